"""Template filters of the observations pages."""

from django import template

register = template.Library()


@register.filter
def utc_time(value) -> str:
    """An ISO 8601 time as "2026-11-29 23:00" (the pages say the times are UTC); "—" when empty."""
    if not value:
        return "—"
    return str(value)[:16].replace("T", " ")
