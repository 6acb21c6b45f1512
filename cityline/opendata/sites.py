"""Which city a catalogue address serves.

Every catalogue endpoint lives under the city (``/<city>/api/3/action/…``,
``/<city>/catalog.ttl``), so one instance can host several cities, each a CKAN-like
site of its own for harvesters. The same endpoints at the site root serve the
default city: ``CITYLINE_DEFAULT_CITY``, or the only city when there is one.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404

from cityline.core.models import City


def default_city() -> City | None:
    key = getattr(settings, "CITYLINE_DEFAULT_CITY", "")
    if key:
        return City.objects.filter(key=key).first()
    cities = list(City.objects.all()[:2])
    return cities[0] if len(cities) == 1 else None


def resolve_city(city_key: str | None) -> City:
    """The city named in the URL, or the default city at the site root; 404 when there is none."""
    if city_key:
        city = City.objects.filter(key=city_key).first()
        if city is None:
            raise Http404(f"no city with key {city_key!r}")
        return city
    city = default_city()
    if city is None:
        keys = ", ".join(City.objects.values_list("key", flat=True)) or "none"
        raise Http404(f"this site hosts several cities (or none): use /<city>/… (cities: {keys}), "
                      "or set CITYLINE_DEFAULT_CITY")
    return city
