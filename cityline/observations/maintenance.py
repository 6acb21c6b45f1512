"""Upkeep of a city's observation store: compaction, and each series' downsampling and retention rules.

- :func:`compact` rewrites every complete day (before today, UTC) whose partition has more than one
  part as one deduplicated part, so reads of it need no deduplication (the store's read plan).
- :func:`apply_rules` applies the rules of each :class:`.models.Series`:

  - **downsampling** (``downsample_after_days`` and ``downsample_interval``): the raw readings
    of days older than the age are replaced by their mean per hour or per day (UTC), time =
    the start of the hour or day, quality ``"downsampled"``, no message id. Readings without
    a value are left out of the mean; an interval with no value at all keeps an empty mean. A
    day already downsampled is left alone (its rows all have quality ``"downsampled"``); a raw
    reading that arrives later for such a day is averaged with the stored means on the next run.
  - **retention** (``retention_days``): readings of days older than that are removed.

  Both work on whole day partitions, through the store's crash-safe rewrite
  (:meth:`.store.ObservationStore.rewrite_partition`): a crash leaves either the old or the new
  partition, never both. Run both daily (``cityline observations compact`` and
  ``cityline observations retention``); both are idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from .registry import store_for

DOWNSAMPLED = "downsampled"
_TRUNC = {"hour": "hour", "day": "day"}


@dataclass
class Upkeep:
    compacted: list[tuple[str, date]] = field(default_factory=list)
    downsampled: list[tuple[str, date, str]] = field(default_factory=list)
    removed: list[tuple[str, date, str]] = field(default_factory=list)


def _today(today: date | None) -> date:
    return today or datetime.now(timezone.utc).date()


def _days(store) -> list[tuple[str, date]]:
    out = []
    for folder in store.partitions():
        out.append((folder.parent.name.removeprefix("group="), date.fromisoformat(folder.name.removeprefix("day="))))
    return sorted(out)


def compact(city, *, today: date | None = None) -> Upkeep:
    """Compact every complete day with more than one part (see the module docstring)."""
    store = store_for(city)
    store.clean_up()
    done = Upkeep()
    first_open = _today(today)
    for folder, parts in sorted(store.partitions().items()):
        group, day = folder.parent.name.removeprefix("group="), date.fromisoformat(folder.name.removeprefix("day="))
        if day < first_open and len(parts) > 1:
            store.compact(group, day)
            done.compacted.append((group, day))
    return done


def apply_rules(city, *, today: date | None = None) -> Upkeep:
    """Downsampling, then retention, for every series of the city that has a rule."""
    from .models import Series

    store = store_for(city)
    store.clean_up()
    today = _today(today)
    done = Upkeep()
    series = list(Series.objects.filter(city=city).values("key", "group", "retention_days",
                                                            "downsample_after_days", "downsample_interval"))
    for group, day in _days(store):
        in_group = [s for s in series if s["group"] == group]
        drop = [s["key"] for s in in_group if s["retention_days"] and day < today - timedelta(days=s["retention_days"])]
        reduce = {s["key"]: s["downsample_interval"] for s in in_group
                  if s["downsample_after_days"] and s["downsample_interval"] in _TRUNC and s["key"] not in drop
                  and day < today - timedelta(days=s["downsample_after_days"])}
        if drop:
            present = _present(store, group, day, drop)
            if present:
                store.rewrite_partition(group, day, "SELECT * FROM partition_rows WHERE NOT list_contains(?, series)",
                                        params=[present])
                done.removed += [(group, day, key) for key in present]
        if reduce:
            raw = _raw(store, group, day, list(reduce))
            for interval in sorted({reduce[k] for k in raw}):
                keys = [k for k in raw if reduce[k] == interval]
                store.rewrite_partition(group, day, (
                    "SELECT * FROM partition_rows WHERE NOT list_contains($keys, series) UNION ALL "
                    f"SELECT series, date_trunc('{_TRUNC[interval]}', time) AS time, avg(value) AS value, "
                    f"'{DOWNSAMPLED}' AS quality, NULL AS message_id, max(written) AS written "
                    "FROM partition_rows WHERE list_contains($keys, series) GROUP BY ALL"),
                    params={"keys": keys})
                done.downsampled += [(group, day, key) for key in keys]
    return done


def _series_in(store, group: str, day: date, keys: list[str], *, raw_only: bool = False) -> list[str]:
    """The series among ``keys`` with readings in the partition (``raw_only``: readings not downsampled)."""
    import duckdb

    parts = [str(p) for p in sorted(store._partition(group, day).glob("*.parquet"))]
    if not parts:
        return []
    with duckdb.connect() as con:
        rows = con.execute("SELECT DISTINCT series FROM read_parquet(?) WHERE list_contains(?, series)"
                           + (" AND quality IS DISTINCT FROM ?" if raw_only else "") + " ORDER BY 1",
                           [parts, keys] + ([DOWNSAMPLED] if raw_only else [])).fetchall()
    return [r[0] for r in rows]


def _present(store, group: str, day: date, keys: list[str]) -> list[str]:
    return _series_in(store, group, day, keys)


def _raw(store, group: str, day: date, keys: list[str]) -> list[str]:
    return _series_in(store, group, day, keys, raw_only=True)


def quarantined(city=None, *, limit: int = 50):
    """The latest quarantined messages (of one city, or all)."""
    from .models import QuarantinedMessage

    rows = QuarantinedMessage.objects.all()
    if city is not None:
        rows = rows.filter(city=city)
    return list(rows.order_by("-received_at", "-id")[:limit]), rows.count()
