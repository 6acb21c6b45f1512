"""Template helpers of the public portal: navigation, language switcher, dates and numbers."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info

from cityline.portal import registry

register = template.Library()


@register.simple_tag
def city_nav(city):
    """Title and URL of each city page in the menu (every registered page, in order)."""
    return registry.nav(city) if city else []


@register.simple_tag(takes_context=True)
def language_links(context):
    """The same page in every language (no JavaScript: plain links, B11 / WCAG 3.1.2)."""
    request = context["request"]
    current = get_language()
    links = []
    for code, _name in settings.LANGUAGES:
        info = get_language_info(code)
        links.append({"code": code, "name": info["name_local"], "current": code == current,
                      "url": translate_url(request.path, code)})
    return links


@register.filter
def as_date(value):
    """An ISO date or date-time string (as in the data functions) as a date, for the ``date`` filter."""
    if not value:
        return None
    if isinstance(value, (date, datetime)):
        return value
    try:
        return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    except ValueError:
        return None


@register.filter
def percent(value):
    """0.25 → 25 (weights as whole percentages)."""
    if value is None:
        return ""
    return round(float(value) * 100)
