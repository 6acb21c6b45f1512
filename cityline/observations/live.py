"""What the operations page shows (issue 6, real-time city management): reads only.

- :func:`latest_readings`: the latest reading of every series of a city, read from each group's
  newest days of readings (the month partitions holding them; a series silent for longer is looked
  for further back, alone: :meth:`.store.ObservationStore.latest`), cached for :data:`LATEST_TTL` seconds so several people watching the page cost one read;
- :func:`snapshot`: the open alerts (newest first), the recent alert history and the latest
  readings as rows of display text, for the page and its JSON face alike (so the page's small
  script only copies text and needs no translations of its own).
"""

from __future__ import annotations

import threading
import time as clock
from datetime import datetime
from datetime import timezone as dt_timezone

from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from .registry import store_to_read

#: Seconds the latest readings of a city are cached.
LATEST_TTL = 2.0
#: How many days of each group's newest readings are searched for the latest ones.
DAYS_SEARCHED = 2
#: How many past alerts the page lists.
RECENT = 50

_latest: dict[int, tuple[float, dict]] = {}
_lock = threading.Lock()


def latest_readings(city) -> dict[str, tuple[datetime, float | None]]:
    """``{series key: (time, value)}`` of the latest stored reading of each series (latest write wins)."""
    now = clock.monotonic()
    with _lock:
        cached = _latest.get(city.pk)
        if cached is not None and now - cached[0] < LATEST_TTL:
            return cached[1]
    from .models import Series

    store = store_to_read(city)
    by_group: dict[str, list[str]] = {}
    for key, group in Series.objects.filter(city=city).values_list("key", "group"):
        by_group.setdefault(group, []).append(key)
    found: dict = {}
    for group in store.groups():
        found.update(store.latest(group, by_group.get(group, []), DAYS_SEARCHED))
    with _lock:
        _latest[city.pk] = (now, found)
    return found


def forget(city=None) -> None:
    with _lock:
        if city is None:
            _latest.clear()
        else:
            _latest.pop(city.pk, None)


def _when(value: datetime | None) -> str:
    return value.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if value else ""  # the page says UTC


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.6g}" if abs(value) < 1e15 else f"{value:g}"
    return f"{text} {unit}".strip()


def _alert_row(a, *, recent: bool) -> dict:
    unit = a.series.unit
    cells = [a.rule.name or a.rule.key, a.series.name or a.series.key, a.rule.get_severity_display(),
             _when(a.started_at), _when(a.raised_at)]
    if recent:
        ended = _when(a.ended_at) if a.ended_at else _("still open")
        if a.ended_at and a.end_note:
            ended = f"{ended} ({a.end_note})"
        cells += [ended, _number(a.peak_value, unit),
                  a.get_webhook_status_display()]
    else:
        cells += [_number(a.trigger_value, unit), _number(a.peak_value, unit)]
    return {"id": a.pk, "severity": a.rule.severity, "cells": cells,
            "announce": _("New alert: %(message)s") % {"message": a.message}}


def snapshot(city, *, now: datetime | None = None) -> dict:
    """Everything the page shows, as display text; ``open`` first."""
    from .models import Alert, Series

    now = now or timezone.now()
    alerts = Alert.objects.filter(city=city).select_related("rule", "series")
    open_alerts = [_alert_row(a, recent=False) for a in alerts.filter(ended_at__isnull=True)
                   .order_by("-raised_at", "-id")]
    recent = [_alert_row(a, recent=True) for a in alerts.order_by("-raised_at", "-id")[:RECENT]]
    latest = latest_readings(city)
    readings = []
    for s in Series.objects.filter(city=city).order_by("group", "key"):
        time, value = latest.get(s.key, (None, None))
        age = timesince(time, now) if time and time <= now else ("—" if time is None else _("in the future"))
        readings.append({"id": s.key, "cells": [s.name or s.key, _number(value), s.unit or "—",
                                                _when(time) or _("no recent reading"), age],
                         "time": time.isoformat() if time else None, "value": value})
    return {"city": city.key, "generated_at": now.isoformat(), "updated": _when(now),
            "open": open_alerts, "recent": recent, "readings": readings}
