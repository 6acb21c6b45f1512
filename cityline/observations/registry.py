"""Where a city's readings live: its observation store, and the series the store knows by key.

Each city has its own store folder (``CITYLINE_OBSERVATIONS_DIR/<city key>``), so the cities of one
instance never read each other's readings. The series group (a :class:`.models.Series` field)
decides the partition; the series key is what a reading names.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from .store import ObservationStore


def store_root(city) -> Path:
    return Path(settings.CITYLINE_OBSERVATIONS_DIR) / city.key


def series_groups(city) -> dict[str, str]:
    """``{series key: group}`` of the city's series."""
    from .models import Series

    return dict(Series.objects.filter(city=city).values_list("key", "group"))


def store_for(city, groups: dict[str, str] | None = None) -> ObservationStore:
    """The city's observation store; a reading of a series the city does not know is refused on write."""
    groups = series_groups(city) if groups is None else groups
    return ObservationStore(store_root(city), group_of=groups.get)


def store_to_read(city) -> ObservationStore:
    """The city's observation store for reading only (no series list is loaded: a write would refuse every row)."""
    return ObservationStore(store_root(city), group_of=lambda series: None)
