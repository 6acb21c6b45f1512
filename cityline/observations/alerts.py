"""Alerts raised as readings arrive (issue 6, real-time city management).

:func:`on_write` is registered in :data:`cityline.observations.ingest.AFTER_WRITE` (by
``ObservationsConfig.ready``), so every ingestion path (bulk files, HTTP, MQTT, NGSI-LD, the
demo) raises alerts the same way, right after the batch is stored. For each batch:

1. the city's active rules by series (cached for :data:`RULES_TTL` seconds, so a consumer
   taking ten batches a second does not ask the database each time); a batch without a series
   that has a rule costs one set lookup;
2. per rule and series, the batch's readings in time order (one per time, the last one in the
   batch winning, as in the store) are evaluated by :mod:`.domain.rules` against the state the
   previous batch left in memory (the fast path: no read from the store);
3. when there is no state yet (a process that just started, a rule that changed) or the batch
   has a reading at or before the last one evaluated (a late reading, a redelivered batch), the
   rule is re-evaluated from the stored readings instead: from the earliest affected time (the
   batch's first reading, or the start of an alert still open or ended after it, whichever is
   earlier) minus the rule's duration or window. The alerts found are paired with those recorded
   (:func:`.domain.rules.pair`: by rule, series and ``started_at``, or started within the alert
   found), so redelivering a batch never makes a second alert; an alert found still open keeps the
   recorded open one (or reopens a closed one, sent as "opened" again); a recorded open alert the
   late readings break is closed at the first reading, from the earliest late one on, that no
   longer meets the rule;
4. :class:`~.models.Alert` rows are opened, their peak updated and closed in one transaction,
   and the webhook (:mod:`.webhook`) is sent after it commits, in the background (the webhooks a
   process that ended left pending are sent again from the city's next batch: :func:`.webhook.resume`).

Readings flagged ``bad`` or stamped in the future are left out (:func:`.domain.rules.evaluable`).
:func:`close_open` closes the open alerts of a rule deactivated or of a series taken out of it.

The state lives in the process that ingests: feed a series through one process at a time (one
MQTT consumer, or the HTTP server) or the other process falls back to step 3 when it sees the
series next. Only the partitions (group and month folders) that hold the needed days are read.
"""

from __future__ import annotations

import logging
import threading
import time as clock
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone as dt_timezone

import pyarrow as pa
import pyarrow.compute as pc
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .domain import rules as domain
from .locking import take_sqlite_write_lock
from .registry import store_to_read
from .store import deduplicated

log = logging.getLogger("cityline.observations")

#: Seconds a city's rules are cached (a changed rule takes effect within this time).
RULES_TTL = 5.0


@dataclass(frozen=True)
class RuleInfo:
    id: int
    key: str
    name: str
    rule: domain.Rule
    signature: tuple  # (version, ...) : a changed rule starts from a fresh state


@dataclass(frozen=True)
class SeriesInfo:
    id: int
    key: str
    group: str
    name: str
    unit: str
    public: bool


@dataclass
class CityRules:
    loaded: float
    by_series: dict[str, list[RuleInfo]]
    series: dict[str, SeriesInfo]


_rules: dict[int, CityRules] = {}
_states: dict[tuple, domain.State] = {}
_lock = threading.RLock()


def reset() -> None:
    """Forget cached rules and evaluation states (tests; a rule changed and must apply at once)."""
    with _lock:
        _rules.clear()
        _states.clear()


def rules_for(city) -> CityRules:
    """The city's active rules by series key (cached for :data:`RULES_TTL` seconds)."""
    from .models import AlertRule

    now = clock.monotonic()
    cached = _rules.get(city.pk)
    if cached is not None and now - cached.loaded < RULES_TTL:
        return cached
    by_series: dict[str, list[RuleInfo]] = {}
    series: dict[str, SeriesInfo] = {}
    for r in AlertRule.objects.filter(city_id=city.pk, active=True).prefetch_related("series").order_by("pk"):
        try:
            rule = domain.Rule(r.kind, r.comparison, float(r.threshold), r.duration_seconds, r.window_seconds)
        except domain.RuleError as exc:
            log.warning("alert rule %s of %s cannot be evaluated: %s", r.key, city.key, exc)
            continue
        info = RuleInfo(r.pk, r.key, r.name, rule, (r.version, rule))
        for s in r.series.all():
            series[s.key] = SeriesInfo(s.pk, s.key, s.group, s.name, s.unit, s.public)
            by_series.setdefault(s.key, []).append(info)
    loaded = CityRules(now, by_series, series)
    _rules[city.pk] = loaded
    return loaded


# --- reading the store ------------------------------------------------------------------------------


def read_series(city, series: SeriesInfo, since: datetime) -> list[tuple[datetime, float | None, str | None]]:
    """The stored ``(time, value, quality)`` of one series from ``since`` on, in time order (one per time, as every
    reader takes it: :data:`.store.LATEST_FIRST`).

    Lists only the month partitions of the series' group from ``since``'s month on, instead of the
    whole store (which :meth:`.store.ObservationStore.connect` globs).
    """
    import duckdb

    files = [str(f) for f in store_to_read(city).group_files(series.group, since.astimezone(dt_timezone.utc).date())]
    if not files:
        return []
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        return con.sql(f"{deduplicated('series = ? AND time >= ?', 'time, value, quality')} ORDER BY time",
                       params=[files, series.key, since]).fetchall()


# --- reacting to a batch ----------------------------------------------------------------------------


def _batch_readings(table: pa.Table, keys: list[str]) -> dict[str, list[tuple[datetime, float | None, str | None]]]:
    """``(time, value, quality)`` of the given series in the batch, by series, in time order, one per time."""
    mask = pc.is_in(table.column("series"), value_set=pa.array(keys, pa.string()))
    part = table.filter(mask).select(["series", "time", "value", "quality"])
    part = part.append_column("row", pa.array(range(part.num_rows), pa.int64()))
    part = part.sort_by([("series", "ascending"), ("time", "ascending"), ("row", "ascending")])
    out: dict[str, list] = {}
    names, times, values, qualities = (part.column(c).to_pylist() for c in ("series", "time", "value", "quality"))
    for name, t, v, q in zip(names, times, values, qualities):
        readings = out.setdefault(name, [])
        if readings and readings[-1][0] == t:
            readings[-1] = (t, v, q)
        else:
            readings.append((t, v, q))
    return out


def on_write(city, table: pa.Table) -> None:
    """The :data:`.ingest.AFTER_WRITE` hook: evaluate the rules of the batch's series, record alerts.

    Then, at most once a minute, queue again the webhooks of the city's alerts that a process which ended
    left pending (:func:`.webhook.resume`).
    """
    from . import webhook

    try:
        react(city, table)
    except Exception:  # an alert problem never undoes or blocks a stored batch; it is logged
        log.exception("alert rules of %s could not be evaluated for a batch of %s rows", city.key, table.num_rows)
    webhook.resume_due(city)


def react(city, table: pa.Table) -> int:
    """Evaluate and record; returns the number of alerts opened or closed."""
    known = rules_for(city)
    if not known.by_series:
        return 0
    present = pc.unique(table.column("series")).to_pylist()
    keys = [k for k in present if k in known.by_series]
    if not keys:
        return 0
    batch = _batch_readings(table, keys)
    changed = 0
    now = timezone.now()
    with _lock:
        for key, readings in batch.items():
            series = known.series[key]
            for info in known.by_series[key]:
                changed += _evaluate(city, info, series, readings, now)
    if changed and any(known.series[k].public for k in batch):
        from . import alertdata

        alertdata.schedule(city)  # the alert history of public series as open data, after commit
    return changed


def _evaluate(city, info: RuleInfo, series: SeriesInfo, readings: list, now: datetime) -> int:
    """One rule over one series' batch (``(time, value, quality)`` in time order): in memory, else a replay."""
    state_key = (city.pk, info.id, series.key)
    state = _states.get(state_key)
    if state is not None and state[0] == info.signature and domain.in_order(state[1], readings[0][0]):
        usable = domain.evaluable(readings, now)  # bad-quality and future-stamped readings left out
        if not usable:
            return 0
        events, next_state = domain.evaluate(info.rule, usable, state[1])
        _states[state_key] = (info.signature, next_state)
        return _apply(city, info, series, events) if events else 0
    # A reading rewritten at or before the last one evaluated changes the evaluation even when it is now
    # flagged bad (it hides the earlier one), so the replay starts at the batch's first reading that is not
    # stamped in the future; a batch of future-stamped readings only changes nothing.
    present = [t for t, _v, _q in readings if not domain.in_future(t, now)]
    if not present:
        return 0
    return _replay(city, info, series, present[0], state_key, now)


def _message(info: RuleInfo, series: SeriesInfo, value: float) -> str:
    unit = f" {series.unit}" if series.unit else ""
    return (_("%(rule)s: %(series)s at %(value)s%(unit)s")
            % {"rule": info.name or info.key, "series": series.name or series.key, "value": f"{value:g}",
               "unit": unit})[:300]


def _still_watching(city, info: RuleInfo, series: SeriesInfo) -> bool:
    """Whether the rule is still active and watching the series, asked first thing in the transaction that records.

    The rules come from a cache (:data:`RULES_TTL`); another process may have deactivated the rule or taken
    the series out of it meanwhile and closed its open alerts (:func:`close_open`): an alert opened or
    reopened from the stale cache would then stay open for ever. The rule's row is locked to the end of the
    transaction (PostgreSQL; SQLite has no row locks: the transaction takes the database's write lock first,
    :func:`.locking.take_sqlite_write_lock`, so it waits for a concurrent writer rather than failing when it
    first writes), so such a change, whose save updates that row first, either waits for this one to commit
    and then closes what it recorded, or commits first and is seen here. The lock also keeps two processes
    from recording the same rule and series at once. When it is no longer watching, the city's cached rules
    are dropped so the next batch reloads them.
    """
    from .models import AlertRule

    take_sqlite_write_lock(AlertRule)
    watching = AlertRule.objects.select_for_update(of=("self",)).filter(
        pk=info.id, active=True, series__pk=series.id).values_list("pk", flat=True)[:1]
    if list(watching):
        return True
    _forget_city(city.pk)
    return False


def _open(city, info: RuleInfo, series: SeriesInfo, started_at, raised_value: float, peak: float,
          ended_at=None) -> tuple[object, bool]:
    from . import webhook
    from .choices import WebhookStatus
    from .models import Alert, AlertRule

    rule = AlertRule.objects.get(pk=info.id)
    status = WebhookStatus.PENDING if webhook.target(rule) else WebhookStatus.NONE
    alert, created = Alert.objects.get_or_create(
        rule_id=info.id, series_id=series.id, started_at=started_at,
        defaults={"city_id": city.pk, "raised_at": timezone.now(), "trigger_value": raised_value, "peak_value": peak,
                  "ended_at": ended_at, "message": _message(info, series, raised_value),
                  "webhook_status": status})
    if created:
        webhook.schedule(alert, "opened")
        if ended_at is not None:
            webhook.schedule(alert, "closed")
    return alert, created


def _apply(city, info: RuleInfo, series: SeriesInfo, events: list[domain.Event]) -> int:
    """Record the events of one rule and series (in one transaction; webhooks after commit)."""
    from . import webhook
    from .models import Alert

    changed = 0
    with transaction.atomic():
        if not _still_watching(city, info, series):
            return 0
        for alert in domain.changes(events):
            if alert.opened:
                _, created = _open(city, info, series, alert.started_at, alert.trigger_value, alert.peak,
                                   alert.ended_at)
                changed += created
                if created:
                    continue
            rows = Alert.objects.filter(rule_id=info.id, series_id=series.id, started_at=alert.started_at)
            if alert.ended_at is not None:
                closing = list(rows.filter(ended_at__isnull=True))
                rows.filter(ended_at__isnull=True).update(ended_at=alert.ended_at, peak_value=alert.peak)
                for row in closing:
                    row.ended_at, row.peak_value = alert.ended_at, alert.peak
                    webhook.schedule(row, "closed")
                    changed += 1
            else:
                rows.filter(ended_at__isnull=True).update(peak_value=alert.peak)
    return changed


def _replay(city, info: RuleInfo, series: SeriesInfo, first: datetime, state_key: tuple, now: datetime) -> int:
    """Re-evaluate from the store and reconcile with the recorded alerts (see the module docstring).

    The store is read before the rule's row is locked (:func:`_still_watching`): a slow read (DuckDB over the
    month partitions) must not hold up every other writer of the rule. The alerts recorded are read before the
    store, and again once the lock is held: unchanged, no other process recorded anything for the rule and
    series in between, and every alert recorded was derived from readings stored before the read, which the
    read saw. Changed (another process recorded an alert, closed one or raised a peak, perhaps from readings
    stored after this read), the store is read again under the lock, as the reconciliation must see what those
    alerts were derived from: otherwise it could close or reopen them from an older view of the readings.
    """
    recorded = _recorded(info, series, first)
    readings = _readings_for(city, info, series, first, recorded, now)
    with transaction.atomic():
        if not _still_watching(city, info, series):
            return 0
        again = _recorded(info, series, first)
        if [_seen(a) for a in again] != [_seen(a) for a in recorded]:
            recorded, readings = again, _readings_for(city, info, series, first, again, now)
        return _reconcile(city, info, series, first, recorded, readings, state_key)


def _recorded(info: RuleInfo, series: SeriesInfo, first: datetime) -> list:
    """The recorded alerts a replay from ``first`` reconciles: open, or ended at or after ``first``."""
    from .models import Alert

    return list(Alert.objects.filter(rule_id=info.id, series_id=series.id)
                .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=first)).order_by("started_at", "pk"))


def _seen(alert) -> tuple:
    """What a replay's reconciliation depends on in a recorded alert (not its webhook bookkeeping, which the
    delivery threads update all the time)."""
    return (alert.pk, alert.started_at, alert.ended_at, alert.peak_value, alert.trigger_value, alert.end_note)


def _readings_for(city, info: RuleInfo, series: SeriesInfo, first: datetime, recorded: list, now: datetime) -> list:
    """The stored readings a replay from ``first`` evaluates: from the earliest of ``first`` and the recorded
    alerts' starts, minus the rule's duration or window (bad-quality and future-stamped ones left out)."""
    anchor = min([first] + [a.started_at for a in recorded])
    return domain.evaluable(read_series(city, series, anchor - domain.lookback(info.rule)), now)


def _reconcile(city, info: RuleInfo, series: SeriesInfo, first: datetime, recorded: list, readings: list,
               state_key: tuple) -> int:
    """:func:`_replay`'s work, inside its transaction, on the recorded alerts and readings read for it."""
    from . import webhook
    from .choices import WebhookStatus
    from .models import Alert

    anchor = min([first] + [a.started_at for a in recorded])
    events, state = domain.evaluate(info.rule, readings)
    _states[state_key] = (info.signature, state)
    found = [f for f in domain.intervals(events) if f.ended_at is None or f.ended_at >= anchor]
    changed = 0
    matched: set[int] = set()
    for f, row in domain.pair(found, recorded):
        if row is None:
            _, created = _open(city, info, series, f.started_at, f.trigger_value, f.peak, f.ended_at)
            changed += created
            continue
        matched.add(row.pk)
        updates: dict = {"peak_value": f.peak}
        if row.started_at != f.started_at:
            updates["started_at"] = f.started_at
        event = None
        if row.ended_at is None and f.ended_at is not None:
            updates["ended_at"], event = f.ended_at, "closed"
        elif row.ended_at is not None and f.ended_at is None:
            # a correction shows the condition never ended: the alert is open again, sent as "opened"
            updates.update(ended_at=None, end_note="")
            event = "opened"
            if webhook.target(row.rule):
                updates["webhook_status"] = WebhookStatus.PENDING
        Alert.objects.filter(pk=row.pk).update(**updates)
        if event:
            for name, value in updates.items():
                setattr(row, name, value)
            webhook.schedule(row, event)
            changed += 1
    for row in recorded:
        if row.pk not in matched and row.ended_at is None:
            # no longer an alert by the replay: closed at the first reading, from the earliest affected
            # one on, that does not meet the rule (the readings before it were already evaluated)
            since = max(row.started_at, first)
            end = domain.first_unmet(info.rule, readings, since) or since
            Alert.objects.filter(pk=row.pk).update(ended_at=end)
            row.ended_at = end
            webhook.schedule(row, "closed")
            changed += 1
    return changed


def close_open(rule, series_ids=None, *, note: str) -> int:
    """Close the open alerts of ``rule`` (of ``series_ids`` only, when given) now, saying why in ``note``.

    For a rule deactivated or a series taken out of it (:mod:`.services` calls this on every such write,
    whichever face made it): nothing would ever close them otherwise. The webhook is sent "closed" and the
    rule's state forgotten once the transaction commits.
    """
    from . import alertdata, webhook
    from .models import Alert

    rows = Alert.objects.filter(rule_id=rule.pk, ended_at__isnull=True).select_related("rule", "series")
    if series_ids is not None:
        rows = rows.filter(series_id__in=list(series_ids))
    closing = list(rows)
    if not closing:
        return 0
    now = timezone.now()
    Alert.objects.filter(pk__in=[a.pk for a in closing]).update(ended_at=now, end_note=note[:200])
    for alert in closing:
        alert.ended_at, alert.end_note = now, note[:200]
        webhook.schedule(alert, "closed")
    transaction.on_commit(lambda: _forget_city(rule.city_id))
    if any(a.series.public for a in closing):
        alertdata.schedule(rule.city)
    return len(closing)


def _forget_city(city_id: int) -> None:
    """Drop a city's cached rules so a change applies at once in this process."""
    with _lock:
        _rules.pop(city_id, None)
