"""Views of the portal's own pages: the list of cities and each city's front page.

Strategy pages (and later areas' pages) are data pages served by
``cityline.portal.registry.DataPage``; this module holds only what is not a data page.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from cityline.core.models import City

from . import registry


def home(request):
    """Every city this instance hosts (a region or a shared service may host several)."""
    cities = list(City.objects.order_by("name"))
    return render(request, "portal/home.html", {"cities": cities, "page": registry.get("home")})


def city(request, city):
    """A city's front page: what it publishes, with a short description of each page."""
    city_obj = get_object_or_404(City, key=city)
    sections = [
        {"title": p.title, "description": getattr(p, "description", ""), "url": p.nav_url(city_obj)}
        for p in registry.pages("city") if p.nav and p.name != "city" and p.shown_for(city_obj)
    ]
    return render(request, "portal/city.html", {"city": city_obj, "sections": sections,
                                                "page": registry.get("city")})
