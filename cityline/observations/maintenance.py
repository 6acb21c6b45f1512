"""Upkeep of a city's observation store: compaction, and each series' downsampling and retention rules.

- :func:`compact` rewrites every partition (a group's month) that holds more than one part as one
  deduplicated part, so reads of it need no deduplication (the store's read plan). The months still
  being written to (the current UTC month, and the one before during the first day of a month, for
  late readings) are compacted by size tiers instead (:meth:`.store.ObservationStore.merge_tiers`):
  live feeds write a small part per batch, many thousands a day, and merging parts of like size keeps
  their month to a few parts at a cost that does not grow with the month so far, so a run every few
  minutes stays cheap. Once its month is over, a partition is rewritten as one part.
- :func:`apply_rules` applies the rules of each :class:`.models.Series`:

  - **retention** (``retention_days``): readings before the day that many days ago (UTC midnight)
    are removed. A number of days reaching back past year 1 keeps everything (:func:`_cutoff`).
  - **readings of no series**: the readings of a key that no series of the city names in that group
    (a series deleted "leaving the readings in the store") are kept as long as some series of the group
    would keep a reading as old: removed once older than the longest retention of the group's series,
    never while one of them has no retention, nor in a group with no series left (no rule applies). A
    reading written after the run started is never removed so (it may be a series' created meanwhile).
    They are reported apart (:attr:`Upkeep.unnamed`).
  - **downsampling** (``downsample_after_days`` and ``downsample_interval``): the raw readings
    before the day that many days ago are replaced by their mean per hour or per day (UTC), time =
    the start of the hour or day, quality ``"downsampled"``, no message id, and in the column
    :data:`.store.READINGS` the number of raw readings the mean averages. Readings without a value,
    and readings flagged ``bad`` (as the alert rules leave them out), are left out of the mean; an
    interval with none left keeps an empty mean (no value, 0 readings). A series with no raw reading
    left before its cut-off in a month is left alone there (its older rows all have quality
    ``"downsampled"``). A raw reading that arrives later for a downsampled interval is folded into
    its mean on the next run, weighed as one reading against the readings the mean stands for (a
    mean of an earlier version, which does not say, counts as one). The store cannot tell a late
    reading from one re-sent after its interval was downsampled (at-least-once delivery), so a
    re-sent reading counts again, except one stamped at the interval's start, the mean's own key:
    there the mean is kept and the raw reading dropped, as one the mean already counts (every rewrite
    keeps a mean against a raw reading of its key, :meth:`.store.ObservationStore.rewrite_partition`,
    and readers take the mean before any rewrite: :data:`.store.LATEST_FIRST`).

  Both rewrite the month partitions holding such readings, through the store's crash-safe rewrite
  (:meth:`.store.ObservationStore.rewrite_partition`): readers, in any process, see either the old or
  the new partition, never both, even if the run is killed midway; the next run (its clean-up) finishes
  the rewrite. Run ``cityline observations retention`` daily and ``cityline observations
  compact`` daily, or every few minutes where live feeds write; both are idempotent, and both take the
  store's upkeep lock (:meth:`.store.ObservationStore.upkeep`), one run at a time.
- :func:`status` tells what the store holds per group, and which months wait for compaction.
- :class:`Compactor` runs :func:`compact` in the background every few minutes, in a thread at the lowest
  CPU priority: the MQTT consumer compacts its city's store, ``cityline serve`` every city's (the small
  parts NGSI-LD and HTTP writes add), so a live feed's parts do not pile up without a cron job.
"""

from __future__ import annotations

import logging
import os
import threading
import time as clock
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from .domain.rules import BAD_QUALITY
from .registry import store_for, store_to_read
from .store import DOWNSAMPLED, READINGS, month_of

logger = logging.getLogger("cityline.observations")

_TRUNC = {"hour": "hour", "day": "day"}
#: Relation ``cut``: each series of ``$keys`` with its cut-off in ``$cutoffs`` (same order).
_CUT = "WITH cut AS (SELECT unnest($keys) AS k, unnest($cutoffs) AS c) "
#: The partition's rows except those of a series in ``cut`` before its cut-off.
_KEPT = "SELECT p.* FROM partition_rows p LEFT JOIN cut ON p.series = cut.k WHERE cut.k IS NULL OR p.time >= cut.c"
#: Retention: as :data:`_CUT` and :data:`_KEPT`, with ``$written``: a row written since then (NULL: none) is kept
#: whatever its time (see :func:`_apply_rules`: a series created during the run).
_TRIMMED = ("WITH cut AS (SELECT unnest($keys) AS k, unnest($cutoffs) AS c, unnest($written)::TIMESTAMPTZ AS w) "
            "SELECT p.* FROM partition_rows p LEFT JOIN cut ON p.series = cut.k "
            "WHERE cut.k IS NULL OR p.time >= cut.c OR p.written >= cut.w")
#: How many raw readings a row of ``partition_rows p`` brings to a mean: those of a mean (one if it does not say:
#: a mean of an earlier version, or a row sent with that quality), one for a raw reading; none without a value
#: or flagged bad.
_WEIGHT = (f"CASE WHEN p.value IS NULL OR p.quality IS NOT DISTINCT FROM '{BAD_QUALITY}' THEN 0 "
           f"ELSE coalesce(p.{READINGS}, 1) END")


def _means(interval: str) -> str:
    """Downsampling: the rows of the series in ``cut`` before their cut-off, raw readings and means alike, become
    one mean per hour or day, each row weighed by the raw readings it stands for; the rest of the partition stays."""
    return (f"{_CUT}{_KEPT} UNION ALL "
            f"SELECT p.series, date_trunc('{_TRUNC[interval]}', p.time) AS time, "
            f"sum(p.value * {_WEIGHT}) / nullif(sum({_WEIGHT}), 0) AS value, '{DOWNSAMPLED}' AS quality, "
            f"NULL AS message_id, max(p.written) AS written, sum({_WEIGHT}) AS {READINGS} "
            "FROM partition_rows p JOIN cut ON p.series = cut.k WHERE p.time < cut.c GROUP BY ALL")


@dataclass
class Upkeep:
    """What a run did: ``(group, month)`` compacted; ``(group, month, series)`` downsampled or trimmed.

    ``unnamed``: ``(group, month, key)`` whose readings were removed as no series' of the group (a deleted
    series left them).
    """

    compacted: list[tuple[str, date]] = field(default_factory=list)
    downsampled: list[tuple[str, date, str]] = field(default_factory=list)
    removed: list[tuple[str, date, str]] = field(default_factory=list)
    unnamed: list[tuple[str, date, str]] = field(default_factory=list)


def _today(today: date | None) -> date:
    return today or datetime.now(timezone.utc).date()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def compact(city, *, today: date | None = None) -> Upkeep:
    """Compact every partition with more than one part (see the module docstring); ``today`` UTC by default."""
    store = store_to_read(city)  # a rewrite reads and writes files only: no series list, no database
    with store.upkeep():
        store.clean_up()
        open_from = month_of(_today(today) - timedelta(days=1))
        done = Upkeep()
        for group in store.groups():
            for month in store.months(group):
                if month >= open_from:
                    if store.merge_tiers(group, month):
                        done.compacted.append((group, month))
                elif len(store.parts(group, month)) > 1:
                    store.compact(group, month)
                    done.compacted.append((group, month))
    return done


def apply_rules(city, *, today: date | None = None) -> Upkeep:
    """Retention, then downsampling, for every series of the city that has a rule; the readings of deleted series."""
    store = store_for(city)
    with store.upkeep():
        return _apply_rules(store, city, _today(today))


def _apply_rules(store, city, today: date) -> Upkeep:
    from .models import Series

    store.clean_up()
    done = Upkeep()
    # Before the series are read: a reading written since may be of a series created since (a back-fill while the
    # run goes on), which the list would not name; no reading written since is removed as nobody's (_TRIMMED).
    started = datetime.now(timezone.utc)
    series = list(Series.objects.filter(city=city).values("key", "group", "retention_days",
                                                            "downsample_after_days", "downsample_interval"))
    for group in store.groups():
        in_group = [s for s in series if s["group"] == group]
        drop = {s["key"]: _cutoff(today, s["retention_days"]) for s in in_group if s["retention_days"]}
        reduce = {s["key"]: (_cutoff(today, s["downsample_after_days"]), s["downsample_interval"])
                  for s in in_group if s["downsample_after_days"] and s["downsample_interval"] in _TRUNC}
        named, unnamed_cut = {s["key"] for s in in_group}, _unnamed_cutoff(today, in_group)
        for month in store.months(group):
            present = _before(store, group, month, drop)
            unnamed = _unnamed(store, group, month, named, unnamed_cut, started)
            if present or unnamed:
                store.rewrite_partition(group, month, _TRIMMED, params={
                    "keys": present + unnamed, "cutoffs": [drop[k] for k in present] + [unnamed_cut] * len(unnamed),
                    "written": [None] * len(present) + [started] * len(unnamed)})
                done.removed += [(group, month, key) for key in present]
                done.unnamed += [(group, month, key) for key in unnamed]
            raw = _before(store, group, month, {k: c for k, (c, _) in reduce.items()}, raw_only=True)
            for interval in sorted({reduce[k][1] for k in raw}):
                keys = [k for k in raw if reduce[k][1] == interval]
                store.rewrite_partition(group, month, _means(interval),
                                        params={"keys": keys, "cutoffs": [reduce[k][0] for k in keys]})
                done.downsampled += [(group, month, key) for key in keys]
    return done


def _cutoff(today: date, days: int) -> datetime:
    """UTC midnight of the day ``days`` days before ``today``: a rule of that many days applies before it.

    Days that reach back past the calendar's first day (a retention of a million days, about 2,700 years, which
    a series accepts) give that first day: keep everything, rather than an ``OverflowError`` stopping the run.
    """
    if days > (today - date.min).days:
        return _midnight(date.min)
    return _midnight(today - timedelta(days=days))


def _unnamed_cutoff(today: date, in_group: list[dict]) -> datetime | None:
    """Before when the readings of keys no series of the group names are removed; None: never.

    Such readings (a deleted series left them) are kept as long as some series of the group would keep a reading
    as old: for ever while a series of the group has no retention, else the group's longest retention. A group
    with no series left has no rule at all: its readings are kept (the editor's action promised to leave them in
    the store; nothing says for how long), until a series of the group gives it a retention.
    """
    if not in_group or any(not s["retention_days"] for s in in_group):
        return None
    return _cutoff(today, max((s["retention_days"] for s in in_group), default=0))


def _checked_parts(store, group: str, month: date) -> list[str]:
    """The partition's parts, each footer read first: a damaged part raises UnreadablePart, naming it."""
    from .store import part_footer

    found = store.parts(group, month)
    for part in found:
        part_footer(part)
    return [str(p) for p in found]


def _before(store, group: str, month: date, cutoffs: dict[str, datetime], *, raw_only: bool = False) -> list[str]:
    """The series of ``cutoffs`` with readings before their cut-off in the partition (``raw_only``: not downsampled)."""
    keys = sorted(k for k, c in cutoffs.items() if c > _midnight(month))
    parts = _checked_parts(store, group, month) if keys else []
    return _series_in(parts, (
        "JOIN (SELECT unnest($keys) AS k, unnest($cutoffs) AS c) cut ON o.series = cut.k WHERE o.time < cut.c"
        + (" AND o.quality IS DISTINCT FROM $downsampled" if raw_only else "")),
        {"keys": keys, "cutoffs": [cutoffs[k] for k in keys], **({"downsampled": DOWNSAMPLED} if raw_only else {})})


def _unnamed(store, group: str, month: date, named: set[str], cutoff: datetime | None, started: datetime) -> list[str]:
    """The keys of the partition's readings before ``cutoff`` written before ``started`` that no key of ``named`` is."""
    parts = _checked_parts(store, group, month) if cutoff is not None and cutoff > _midnight(month) else []
    return _series_in(parts, "WHERE o.time < $cutoff AND o.written < $started AND NOT list_contains($named, o.series)",
                      {"cutoff": cutoff, "started": started, "named": sorted(named)})


def _series_in(parts: list[str], condition: str, params: dict) -> list[str]:
    """The series keys, sorted, of the rows of ``parts`` (as ``o``) that ``condition`` (joins, then WHERE) keeps."""
    import duckdb

    if not parts:
        return []
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        rows = con.execute(f"SELECT DISTINCT o.series FROM read_parquet($parts) o {condition} ORDER BY 1",
                           {"parts": parts, **params}).fetchall()
    return [r[0] for r in rows]


@dataclass
class GroupState:
    """What the store holds of one series group (:func:`status`), from file names and Parquet footers only."""

    group: str
    months: int
    parts: int
    rows: int  # rows in the parts: a reading stored twice counts twice until compaction
    bytes: int
    first: datetime | None
    last: datetime | None
    most_parts: int  # of its partitions (months), the most parts one holds
    crowded: list[date] = field(default_factory=list)  # months of more parts than the read plan looks at
    unreadable: list[str] = field(default_factory=list)  # "<part>: <why>" of parts whose footer cannot be read
    replaced: int = 0  # parts rewrites replaced, kept a while for readers that listed them (not in parts, rows)
    replaced_bytes: int = 0

    def as_dict(self) -> dict:
        return {"group": self.group, "months": self.months, "parts": self.parts, "rows": self.rows,
                "bytes": self.bytes, "first": self.first.isoformat() if self.first else None,
                "last": self.last.isoformat() if self.last else None, "most_parts": self.most_parts,
                "crowded": [m.isoformat() for m in self.crowded], "unreadable": self.unreadable,
                "replaced": self.replaced, "replaced_bytes": self.replaced_bytes}


def status(city) -> list[GroupState]:
    """Each group's months, parts, rows, bytes and time range; the months whose compaction is due.

    A month of more than :data:`.store.FOOTERS_AT_MOST` parts is "crowded": every read deduplicates all of
    it and opens every part, so ``cityline observations compact`` should run (more often). Parts that
    rewrites replaced and that wait for deletion (:meth:`.store.ObservationStore.retire`) are counted apart.
    """
    from .store import FOOTERS_AT_MOST, UnreadablePart, part_footer, time_bounds

    store = store_to_read(city)
    states = []
    for group in store.groups():
        months = store.months(group)
        parts = {month: store.parts(group, month) for month in months}
        rows, unreadable, readable = 0, [], set()
        for part in (p for ps in parts.values() for p in ps):
            try:
                rows += part_footer(part)[0]
                readable.add(part)
            except UnreadablePart as exc:  # named, not a traceback: the rest is still reported
                unreadable.append(f"{part.relative_to(store.root)}: {exc.__cause__}")
        replaced = store.replaced_parts(group)
        first = time_bounds([p for p in parts[months[0]] if p in readable]) if months else None
        last = time_bounds([p for p in parts[months[-1]] if p in readable]) if months else None
        states.append(GroupState(
            group=group, months=len(months), parts=sum(len(ps) for ps in parts.values()), rows=rows,
            bytes=sum(p.stat().st_size for p in readable), first=first[0] if first else None,
            last=last[1] if last else None, most_parts=max((len(ps) for ps in parts.values()), default=0),
            crowded=[m for m, ps in parts.items() if len(ps) > FOOTERS_AT_MOST], unreadable=unreadable,
            replaced=len(replaced), replaced_bytes=sum(p.stat().st_size for p in replaced)))
    return states


def quarantined(city=None, *, limit: int = 50):
    """The latest quarantined messages (of one city, or all)."""
    from .models import QuarantinedMessage

    rows = QuarantinedMessage.objects.all()
    if city is not None:
        rows = rows.filter(city=city)
    return list(rows.order_by("-received_at", "-id")[:limit]), rows.count()


class Compactor:
    """:func:`compact` of the cities ``cities()`` returns, every ``minutes`` minutes, in a background thread.

    The thread (and the DuckDB threads it starts) runs at the lowest CPU priority, so requests and
    batches come first; a run takes each store's upkeep lock, so a cron'd ``cityline observations
    compact`` waits for it and it for that. A city whose run fails is logged and tried again next
    time; the others go on. ``minutes`` 0: never. Drive it with :meth:`poke` from a loop that runs
    anyway (the MQTT consumer's), or let :meth:`start` run its own timer thread (``cityline serve``).
    """

    def __init__(self, cities: Callable[[], Iterable], minutes: float, *, out: Callable[[str], None] | None = None):
        self.cities, self.minutes = cities, minutes
        self.out = out or (lambda line: logger.info("%s", line))
        self._due = clock.monotonic() + minutes * 60
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    def poke(self, now: float | None = None) -> None:
        """Start a run in a thread when one is due and none is running."""
        now = clock.monotonic() if now is None else now
        if self.minutes <= 0 or now < self._due or (self._thread is not None and self._thread.is_alive()):
            return
        self._due = now + self.minutes * 60
        self._thread = threading.Thread(target=self._run, name="cityline-compaction", daemon=True)
        self._thread.start()

    def start(self) -> None:
        """Run every ``minutes`` minutes in a timer thread of its own until :meth:`stop`."""
        if self.minutes <= 0:
            return

        def timer() -> None:
            while not self._stopped.wait(self.minutes * 60):
                self._run()

        self._thread = threading.Thread(target=timer, name="cityline-compaction", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        """No further runs; let one under way finish (a rewrite cut short is rolled back or forward later)."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    def _run(self) -> None:
        try:  # the lowest CPU priority for this thread and the DuckDB threads it starts
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except (AttributeError, OSError):  # not Linux: at the same priority
            pass
        try:
            cities = list(self.cities())
        except Exception:  # the list of cities comes from the database: down for now, tried again next time
            logger.exception("compaction: the cities could not be listed; tried again in %s minutes", self.minutes)
            return
        finally:
            _close_connection()
        for city in cities:
            if self._stopped.is_set():
                return
            try:
                done = compact(city)
            except Exception:  # upkeep must not stop the server or the ingestion: the next run tries again
                logger.exception("compaction of the observation store of %s failed; tried again next time", city.key)
                continue
            if done.compacted:
                self.out(f"compacted {city.key}: " + ", ".join(f"{group} {month:%Y-%m}"
                                                               for group, month in done.compacted))


def _close_connection() -> None:
    """Close this thread's database connection, if it opened one (a thread's own, never reused)."""
    from django.db import connection

    connection.close()

