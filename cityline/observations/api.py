"""Observations in the API (issue 6): series, KPI computation specs, alert rules, alerts, computation runs, readings.

Declarations only for the records (:mod:`cityline.api.generic` builds list, detail, create, update,
delete and history; writes go through :mod:`cityline.core.actions` and the rules of :mod:`.services`):

- ``series``: anyone reads the public ones; the others only staff of the city (404 for anyone else).
- ``kpi-computations``: as their KPI (published KPIs for everyone). ``spec_version`` is Cityline's:
  it increases when the spec changes, whatever a client sends.
- ``alert-rules``: staff of the city only (a rule names series that may not be public, and its webhook).
- ``alerts`` and ``computation-runs``: read-only lists and details (Cityline writes them as readings
  arrive and KPIs are computed; they are logs, not versioned records, so they are served here rather
  than by the generic machinery); an alert is public when its series is, a run when its KPI is
  published. An alert's webhook delivery is for staff. A run's values per group (its ``detail``) are
  for staff when they could show a series that is not public (:func:`public_detail`).

``GET /cities/{city}/series/{key}/readings`` reads the readings of one series from the city's
observation store with DuckDB (the files of the series' group only): raw, or hourly/daily means. Reading
times keep their microseconds (:data:`ExactTime`).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import PlainSerializer, WithJsonSchema

from cityline.api import query
from cityline.api.auth import viewer_is_staff
from cityline.api.errors import ApiProblem
from cityline.api.generic import ERRORS_READ, Resource, get_city

from . import models as m
from . import services  # noqa: F401  (the write rules every API write goes through)
from .domain.spec import Spec, SpecError, parse
from .store import deduplicated

OBSERVATIONS = "observations: series, KPI computations, alerts"

TAGS = {
    OBSERVATIONS: "Sensor and system series named in the NGSI-LD / FIWARE Smart Data Models vocabulary (entity type "
                  "and attribute), with their B13 asset, grouping, retention and downsampling; their readings, raw "
                  "or as hourly and daily means; KPIs of the benefit map computed from readings by a declarative "
                  "spec, with each run's provenance (spec version, engine, data range, row count); threshold and "
                  "rate-of-change alert rules and the alerts they raised. Non-public series, their readings and "
                  "alerts stay with staff. See docs/observations.md.",
}

RESOURCES = [
    Resource(m.Series, "series", OBSERVATIONS,
             filters=["group", "entity_type", "entity_id", "attribute", "district", "organisation", "data_asset",
                      "public"],
             search=["key", "name", "description", "entity_id"], visible_if="public"),
    Resource(m.KpiComputation, "kpi-computations", OBSERVATIONS, filters=["kpi", "active", "spec_version"],
             visible_if="kpi__published"),
    Resource(m.AlertRule, "alert-rules", OBSERVATIONS, filters=["series", "kind", "comparison", "severity", "active"],
             search=["key", "name", "description"], staff_only=True),
]

#: At most this many readings (or means) in one answer.
MAX_READINGS = 10_000
DEFAULT_READINGS = 1_000
INTERVALS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
PARAMS = ("from", "to", "limit", "interval")
#: What a viewer who is not staff of the city reads in a run's ``detail`` instead of values per group it may not see.
WITHHELD = "values per group shown to staff of the city only: they may include series that are not public"


def utc_time(value: datetime) -> str:
    """ISO 8601 as the rest of the API writes times (``Z`` for UTC, milliseconds when there are some), but with
    the microseconds of a time that has them: Django's JSON encoder would cut ``08:00:00.0001`` to ``08:00:00.000``."""
    if value.microsecond % 1000:
        text = value.isoformat()
    else:
        text = value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


#: A time that can be a reading's (or one given with ``from``/``to``), with its microseconds; still ``date-time``
#: in the OpenAPI document.
ExactTime = Annotated[datetime, PlainSerializer(utc_time, return_type=str),
                      WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization")]


class AlertOut(Schema):
    id: int
    rule: str
    series: str
    severity: str
    started_at: ExactTime
    raised_at: datetime
    ended_at: ExactTime | None = None
    end_note: str = Field("", description="Why Cityline closed the alert while its condition still held (its rule "
                                          "was deactivated, or no longer watches the series); empty otherwise.")
    open: bool
    trigger_value: float
    peak_value: float
    message: str
    webhook_status: str | None = None
    webhook_attempts: int | None = None
    webhook_error: str | None = None


class AlertPage(Schema):
    count: int
    limit: int
    offset: int
    next: str | None = None
    previous: str | None = None
    results: list[AlertOut]


class RunOut(Schema):
    id: int
    kpi: str
    computation: int
    measurement: int | None = None
    period_start: date
    period_end: date
    spec_version: int
    engine: str
    value: str | None = None
    row_count: int
    data_from: ExactTime | None = None
    data_to: ExactTime | None = None
    status: str
    detail: str
    computed_at: datetime


class RunPage(Schema):
    count: int
    limit: int
    offset: int
    next: str | None = None
    previous: str | None = None
    results: list[RunOut]


class ReadingOut(Schema):
    time: ExactTime
    value: float | None = None
    quality: str | None = None
    count: int | None = None
    min: float | None = None
    max: float | None = None


class ReadingsOut(Schema):
    series: str
    unit: str
    interval: str
    start: ExactTime | None = None
    end: ExactTime | None = None
    count: int
    next: str | None = None
    results: list[ReadingOut]


_PARAMETERS = [
    {"in": "query", "name": "from", "required": False, "schema": {"type": "string", "format": "date-time"},
     "description": "First time included (ISO 8601; without an offset it is UTC)."},
    {"in": "query", "name": "to", "required": False, "schema": {"type": "string", "format": "date-time"},
     "description": "First time no longer included (ISO 8601; without an offset it is UTC)."},
    {"in": "query", "name": "limit", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_READINGS, "default": DEFAULT_READINGS},
     "description": "At most this many readings (or means); `next` continues after the last one."},
    {"in": "query", "name": "interval", "required": False, "schema": {"enum": list(INTERVALS)},
     "description": "Means per hour or per day (UTC) instead of the raw readings."},
]


def _bad(param: str, message: str) -> ApiProblem:
    return ApiProblem("invalid-parameter", f"{param}: {message}", errors={param: [message]})


def _time(params, name: str) -> datetime | None:
    if name not in params:
        return None
    try:
        value = query.parse_datetime(params[name])
    except ValueError as exc:
        raise _bad(name, str(exc)) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _limit(params) -> int:
    if "limit" not in params:
        return DEFAULT_READINGS
    try:
        limit = int(params["limit"])
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_READINGS:
        raise _bad("limit", _("use a whole number from 1 to %(max)s") % {"max": MAX_READINGS})
    return limit


def read_readings(city, series: m.Series, *, start: datetime | None, end: datetime | None, limit: int,
                  interval: str | None) -> list[dict]:
    """Up to ``limit + 1`` readings (or means per ``interval``) of the series from ``start`` to before ``end``.

    Read from the part files of the series' group only, of the months from ``start`` to ``end``: readings
    left in the store by a deleted series of the same key in another group are not this series'. One row
    per time, the latest write winning (as the store's view); times are UTC. Means are DuckDB's ``avg``
    over the readings with a value, per hour or day starting at that hour or day (UTC).
    """
    import duckdb

    from .registry import store_to_read

    # the month of `end` too (it may start the month): the time filter leaves its readings out
    files = store_to_read(city).group_files(series.group, start.astimezone(UTC).date() if start else None,
                                            end.astimezone(UTC).date() if end else None)
    if not files:
        return []
    where, params = ["series = ?"], [[str(f) for f in files], series.key]
    if start is not None:
        where.append("time >= ?")
        params.append(start)
    if end is not None:
        where.append("time < ?")
        params.append(end)
    # Times leave DuckDB as UTC wall-clock timestamps (no zone).
    readings = deduplicated(" AND ".join(where), "time, value, quality")
    if interval is None:
        sql = (f"SELECT time AT TIME ZONE 'UTC' AS t, value, quality FROM ({readings}) "
               f"ORDER BY time LIMIT {limit + 1}")
    else:
        sql = (f"SELECT date_trunc('{interval}', time AT TIME ZONE 'UTC') AS t, avg(value), count(value), "
               f"min(value), max(value) FROM ({readings}) GROUP BY t ORDER BY t LIMIT {limit + 1}")
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        rows = con.execute(sql, params).fetchall()
    if interval is None:
        return [{"time": t.replace(tzinfo=UTC), "value": v, "quality": q} for t, v, q in rows]
    return [{"time": t.replace(tzinfo=UTC), "value": v, "count": n, "min": lo, "max": hi} for t, v, n, lo, hi in rows]


def _page_parameters(filters: list[tuple[str, str]]) -> list[dict]:
    return [*({"in": "query", "name": name, "required": False, "schema": {"type": "string"}, "description": text}
              for name, text in filters),
            {"in": "query", "name": "_limit", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": query.MAX_LIMIT, "default": query.DEFAULT_LIMIT},
             "description": f"Page size (at most {query.MAX_LIMIT})."},
            {"in": "query", "name": "_offset", "required": False, "schema": {"type": "integer", "minimum": 0},
             "description": "How many to skip."}]


ALERT_FILTERS = [("rule", "An alert rule's key."), ("series", "A series' key."),
                 ("open", "true: alerts whose condition still holds; false: ended ones."),
                 ("severity", "info, warning or critical (the rule's).")]
RUN_FILTERS = [("kpi", "A KPI's key."), ("status", "written, unchanged, no_data or refused."),
               ("engine", "duckdb or spark.")]


def alert_out(a: m.Alert, *, staff: bool) -> dict:
    out = {"id": a.pk, "rule": a.rule.key, "series": a.series.key, "severity": a.rule.severity,
           "started_at": a.started_at, "raised_at": a.raised_at, "ended_at": a.ended_at, "end_note": a.end_note,
           "open": a.open,
           "trigger_value": a.trigger_value, "peak_value": a.peak_value, "message": a.message}
    if staff:  # where the webhook posts and why it failed is the city's business
        out.update(webhook_status=a.webhook_status, webhook_attempts=a.webhook_attempts, webhook_error=a.webhook_error)
    return out


def run_out(r: m.ComputationRun, *, detail: str | None = None) -> dict:
    return {"id": r.pk, "kpi": r.computation.kpi.key, "computation": r.computation_id,
            "measurement": r.measurement_id, "period_start": r.period_start, "period_end": r.period_end,
            "spec_version": r.spec_version, "engine": r.engine, "value": None if r.value is None else str(r.value),
            "row_count": r.row_count, "data_from": r.data_from, "data_to": r.data_to, "status": r.status,
            "detail": r.detail if detail is None else detail, "computed_at": r.computed_at}


def _per_group(detail: str) -> list | None:
    """A run's values per group (the JSON list :mod:`.compute` writes as its detail); None for a text detail."""
    if not detail.startswith("["):
        return None
    try:
        groups = json.loads(detail)
    except ValueError:
        return None
    return groups if isinstance(groups, list) else None


#: A spec's series selectors and the Series fields they match (:mod:`.domain.spec`).
_SELECTORS = {"keys": "key", "group": "group", "entity_type": "entity_type", "attribute": "attribute",
              "district": "district", "organisation": "organisation__key"}


def selects_private(city, spec: Spec) -> bool:
    """Whether the spec selects a series of the city that is not public (all of a selection's selectors must
    match, a list meaning any of; a series selected by either side of a ratio counts)."""
    selected = Q()
    for agg in spec.aggregations():
        selected |= Q(**{f"{field}__in": getattr(agg.series, name) for name, field in _SELECTORS.items()
                         if getattr(agg.series, name)})
    return m.Series.objects.filter(city=city, public=False).filter(selected).exists()


def public_groups(computation: m.KpiComputation) -> str | None:
    """Which values per group of a run at the computation's current spec version anyone may read.

    ``"series"`` (grouped by series): those of the public series, each computed from that series' readings
    alone. ``"all"`` (grouped by district or organisation): every group's, when every series the spec selects
    is public; a group's value may otherwise be that of one series that is not public. None: none of them.
    """
    try:
        spec = parse(computation.spec)
    except SpecError:
        return None
    if spec.group_by == "series":
        return "series"
    if spec.group_by and not selects_private(computation.city_id, spec):
        return "all"
    return None


def public_detail(run: m.ComputationRun, rule: str | None, public_series: set[str]) -> str:
    """A run's detail as a viewer who is not staff of the city reads it (docs/observations.md, "API").

    A text detail (no data, refused, kept) as it is. Values per group as ``rule`` (:func:`public_groups` of the
    run's computation) allows, ``public_series`` being the keys of the city's public series; none at all for a
    run of an earlier spec version, which may have selected or grouped other series than the current spec.
    """
    groups = _per_group(run.detail)
    if groups is None:
        return run.detail
    if rule is None or run.spec_version != run.computation.spec_version:
        return WITHHELD
    if rule == "all":
        return run.detail
    return json.dumps([g for g in groups if isinstance(g, dict) and g.get("group") in public_series], default=str)


def runs_out(city, runs, *, staff: bool) -> list[dict]:
    """:func:`run_out` of each run, with the detail a viewer who is not staff of the city reads."""
    if staff:
        return [run_out(r) for r in runs]
    public_series = set(m.Series.objects.filter(city=city, public=True).values_list("key", flat=True))
    rules: dict[int, str | None] = {}
    out = []
    for r in runs:
        if r.computation_id not in rules:
            rules[r.computation_id] = public_groups(r.computation)
        out.append(run_out(r, detail=public_detail(r, rules[r.computation_id], public_series)))
    return out


def _alerts(request, city):
    qs = m.Alert.objects.filter(city=city).select_related("rule", "series")
    return qs if viewer_is_staff(request, city) else qs.filter(series__public=True)


def _runs(request, city):
    qs = m.ComputationRun.objects.filter(city=city).select_related("computation__kpi")
    return qs if viewer_is_staff(request, city) else qs.filter(computation__kpi__published=True)


def _choice(params, name: str, allowed) -> str | None:
    if name not in params:
        return None
    if params[name] not in allowed:
        raise _bad(name, _("use one of %(choices)s") % {"choices": ", ".join(allowed)})
    return params[name]


def add_routes(router: Router) -> None:
    @router.get("/cities/{city_key}/alerts", response={200: AlertPage, **ERRORS_READ}, tags=[OBSERVATIONS],
                summary="Alerts raised by the alert rules", operation_id="alerts_list",
                openapi_extra={"parameters": _page_parameters(ALERT_FILTERS)},
                description="Newest first. An alert is open while its rule's condition holds (`ended_at` empty). "
                            "Alerts of series that are not public, and the webhook delivery of every alert, are "
                            "shown to staff of the city only. Read-only: Cityline raises alerts as readings arrive.")
    def alerts_list(request, city_key: str):
        from .choices import Severity

        city = get_city(city_key)
        params = request.GET
        query.check_known(params, {*(n for n, _t in ALERT_FILTERS), "_limit", "_offset"},
                          "filters: rule, series, open, severity; _limit, _offset")
        qs = _alerts(request, city)
        if "rule" in params:
            qs = qs.filter(rule__key=params["rule"])
        if "series" in params:
            qs = qs.filter(series__key=params["series"])
        if "open" in params:
            try:
                qs = qs.filter(ended_at__isnull=query.parse_bool(params["open"]))
            except ValueError as exc:
                raise _bad("open", str(exc)) from None
        severity = _choice(params, "severity", Severity.values)
        if severity:
            qs = qs.filter(rule__severity=severity)
        limit, offset = query.page_bounds(params)
        staff = viewer_is_staff(request, city)
        rows = [alert_out(a, staff=staff) for a in qs.order_by("-raised_at", "-pk")[offset:offset + limit]]
        return query.page(request, qs.count(), limit, offset, rows)

    @router.get("/cities/{city_key}/alerts/{id}", response={200: AlertOut, **ERRORS_READ}, tags=[OBSERVATIONS],
                summary="One alert", operation_id="alerts_detail",
                description="An alert of a series that is not public is found by staff of the city only.")
    def alerts_detail(request, city_key: str, id: int):
        city = get_city(city_key)
        alert = _alerts(request, city).filter(pk=id).first()
        if alert is None:
            raise ApiProblem("not-found", f"no alert {id} in {city.key}")
        return alert_out(alert, staff=viewer_is_staff(request, city))

    @router.get("/cities/{city_key}/computation-runs", response={200: RunPage, **ERRORS_READ},
                tags=[OBSERVATIONS], summary="KPI computation runs (provenance of computed values)",
                operation_id="computation_runs_list", openapi_extra={"parameters": _page_parameters(RUN_FILTERS)},
                description="Newest first: each computed KPI value with the spec version, engine, data range and "
                            "number of readings it used, and its status. Runs of unpublished KPIs are shown to "
                            "staff of the city only. Read-only: `cityline kpi compute` writes them.")
    def computation_runs_list(request, city_key: str):
        from .choices import Engine, RunStatus

        city = get_city(city_key)
        params = request.GET
        query.check_known(params, {*(n for n, _t in RUN_FILTERS), "_limit", "_offset"},
                          "filters: kpi, status, engine; _limit, _offset")
        qs = _runs(request, city)
        if "kpi" in params:
            qs = qs.filter(computation__kpi__key=params["kpi"])
        for name, allowed in (("status", RunStatus.values), ("engine", Engine.values)):
            value = _choice(params, name, allowed)
            if value:
                qs = qs.filter(**{name: value})
        limit, offset = query.page_bounds(params)
        rows = runs_out(city, qs.order_by("-computed_at", "-pk")[offset:offset + limit],
                        staff=viewer_is_staff(request, city))
        return query.page(request, qs.count(), limit, offset, rows)

    @router.get("/cities/{city_key}/computation-runs/{id}", response={200: RunOut, **ERRORS_READ},
                tags=[OBSERVATIONS], summary="One KPI computation run", operation_id="computation_runs_detail",
                description="A run of an unpublished KPI is found by staff of the city only.")
    def computation_runs_detail(request, city_key: str, id: int):
        city = get_city(city_key)
        run = _runs(request, city).filter(pk=id).first()
        if run is None:
            raise ApiProblem("not-found", f"no computation run {id} in {city.key}")
        return runs_out(city, [run], staff=viewer_is_staff(request, city))[0]

    @router.get("/cities/{city_key}/series/{key}/readings", response={200: ReadingsOut, **ERRORS_READ},
                tags=[OBSERVATIONS], summary="Readings of one series, raw or as hourly or daily means",
                operation_id="series_readings", openapi_extra={"parameters": _PARAMETERS},
                description="The series' readings from `from` (included) to `to` (excluded), oldest first, one per "
                            "time (a reading written again replaces the earlier one). With `interval=hour` or "
                            "`day`, the mean, count, minimum and maximum of the readings per hour or day (UTC), "
                            "each at the start of its hour or day. At most `limit` rows; `next` is the address of "
                            "the rows after them. A series that is not public is found only by staff of the city. "
                            "A bad parameter answers 400 naming it.")
    def series_readings(request, city_key: str, key: str):
        city = get_city(city_key)
        params = request.GET
        query.check_known(params, set(PARAMS), "parameters: " + ", ".join(PARAMS))
        start, end, limit = _time(params, "from"), _time(params, "to"), _limit(params)
        if start is not None and end is not None and end <= start:
            raise _bad("to", _("must be after from"))
        interval = params.get("interval")
        if interval is not None and interval not in INTERVALS:
            raise _bad("interval", _("use one of %(choices)s") % {"choices": ", ".join(INTERVALS)})
        qs = m.Series.objects.filter(city=city, key=key)
        if not viewer_is_staff(request, city):
            qs = qs.filter(public=True)
        series = qs.first()
        if series is None:
            raise ApiProblem("not-found", f"no series with key {key!r} in {city.key}")
        rows = read_readings(city, series, start=start, end=end, limit=limit, interval=interval)
        nxt = None
        if len(rows) > limit:
            rows = rows[:limit]
            step = INTERVALS[interval] if interval else timedelta(microseconds=1)
            following = request.GET.copy()
            following["from"] = (rows[-1]["time"] + step).isoformat()
            nxt = request.build_absolute_uri(f"{request.path}?{following.urlencode()}")
        return {"series": series.key, "unit": series.unit, "interval": interval or "raw", "start": start,
                "end": end, "count": len(rows), "next": nxt, "results": rows}
