"""Public pages of the observations area (issue 6): the city's sensors with live readings, and its computed KPIs.

Registered in the portal's page registry (city navigation, static export, size and accessibility
checks), each as a data page whose one data function feeds the HTML page, the JSON and the CSV:

- ``/<city>/sensors/`` (``sensors.json``, ``sensors.csv``): the **public** series by group, each with
  its latest reading and the open alerts. The page polls ``sensors.json`` with a static script
  (``observations/live-readings.js``); without JavaScript it shows the values as of page load.
- ``/<city>/sensors/<key>/`` (``<key>.json``, ``<key>.csv`` hourly means of the last 48 hours,
  ``<key>.daily.csv`` daily means of the last 30 days): one public series, with a sparkline.
- ``/<city>/kpi-computations/``: each published KPI computed from readings, its spec in words and
  the latest run of each of its latest periods with its provenance (spec version, engine, data range,
  readings used); never a run's values per group (they may be a series' that is not public).

A series that is not public never appears: not in a list, not as a page (404), not in a download.
Reads go to the month partitions holding the group's newest days only (the store's layout,
``group=<g>/month=<m>/``), filtered on time before deduplication, so a page does not scan years of
readings.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import duckdb
from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cityline.portal import registry

from . import registry as obs_registry
from .models import Alert, ComputationRun, KpiComputation, Series
from .store import deduplicated

#: Recent readings of a series page: hourly means over this many hours, daily means over this many days.
HOURS, DAYS = 48, 30
#: The computed KPIs page: the latest run of each of a KPI's latest periods, this many periods.
PERIODS = 6


def public_series(city):
    return Series.objects.filter(city=city, public=True).order_by("group", "entity_type", "key")


def _since(city, group: str, since: datetime) -> tuple[list[str], datetime]:
    """The Parquet parts that can hold a group's readings from ``since`` on, and ``since``."""
    files = obs_registry.store_to_read(city).group_files(group, since.astimezone(dt_timezone.utc).date())
    return [str(f) for f in files], since


def _read(window: tuple[list[str], datetime], sql: str, params: list) -> list[tuple]:
    """``sql`` over the deduplicated readings of ``_since``'s files (relation ``readings``: series, time, value)."""
    files, since = window
    if not files:
        return []
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        # A view cannot take a prepared parameter: the readings are a CTE of each query instead.
        cte = f"WITH readings AS ({deduplicated('time >= ?', 'series, time, value')}) "
        return con.execute(cte + sql, [files, since, *params]).fetchall()


def latest_readings(city, series: list[Series]) -> dict[str, tuple]:
    """``{key: (time, value)}``: the latest reading of each series (in the newest days of its group first)."""
    store = obs_registry.store_to_read(city)
    out: dict[str, tuple] = {}
    by_group: dict[str, list[str]] = {}
    for s in series:
        by_group.setdefault(s.group, []).append(s.key)
    for group, keys in by_group.items():
        out.update(store.latest(group, keys, days=3))
    return out


def _number(value):
    return None if value is None else round(float(value), 3)


def _series_row(city, s: Series, latest: dict) -> dict:
    time, value = latest.get(s.key, (None, None))
    return {"key": s.key, "name": s.name, "group": s.group, "entity_type": s.entity_type, "attribute": s.attribute,
            "unit": s.unit, "district": s.district, "value": _number(value),
            "time": time.isoformat() if time else None,
            "url": reverse("portal:sensor", kwargs={"city": city.key, "key": s.key})}


def sensors(city) -> dict:
    """The public series by group with their latest readings and the open alerts."""
    series = list(public_series(city))
    latest = latest_readings(city, series)
    groups: dict[str, dict] = {}
    for s in series:
        group = groups.setdefault(s.group, {"group": s.group, "series": []})
        group["series"].append(_series_row(city, s, latest))
    alerts = [{"series": a.series.key, "series_name": a.series.name, "rule": a.rule.name,
               "severity": a.rule.severity, "severity_label": a.rule.get_severity_display(),
               "started_at": a.started_at.isoformat(), "value": a.trigger_value, "peak": a.peak_value,
               "message": a.message}
              for a in Alert.objects.filter(city=city, series__public=True, ended_at=None)
              .select_related("series", "rule").order_by("-started_at")]
    times = [r["time"] for g in groups.values() for r in g["series"] if r["time"]]
    modified = [s.updated_at for s in series]
    last = max(times) if times else (max(modified).isoformat() if modified else None)
    return {"city": city.key, "groups": list(groups.values()), "alerts": alerts,
            "latest": {r["key"]: {"value": r["value"], "time": r["time"]} for g in groups.values()
                       for r in g["series"]},
            "provenance": {"last_updated": last}}


def sensors_rows(data: dict):
    header = ["group", "series", "name", "entity_type", "attribute", "unit", "district", "time", "value"]
    rows = [[g["group"], r["key"], r["name"], r["entity_type"], r["attribute"], r["unit"], r["district"], r["time"],
             r["value"]] for g in data["groups"] for r in g["series"]]
    return header, rows


def sensor_keys(city):
    return list(public_series(city).values_list("key", flat=True))


def sparkline(points: list[tuple[str, float]], width: int = 300, height: int = 60) -> dict:
    """Coordinates of a polyline through ``points`` (label, value) in a ``width`` × ``height`` box."""
    values = [v for _label, v in points if v is not None]
    if len(values) < 2:
        return {"points": "", "min": values[0] if values else None, "max": values[0] if values else None}
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (len(points) - 1)
    coords = [f"{i * step:.1f},{height - 4 - (v - low) / span * (height - 8):.1f}"
              for i, (_label, v) in enumerate(points) if v is not None]
    return {"points": " ".join(coords), "min": round(low, 3), "max": round(high, 3), "width": width,
            "height": height}


def sensor(city, key: str) -> dict:
    """One public series: its description, latest reading, hourly and daily means, open alerts."""
    # a LookupError answers 404: a series that is not public has no page
    s = Series.objects.filter(city=city, public=True, key=key).select_related("organisation", "data_asset").first()
    if s is None:
        raise LookupError(key)
    latest = latest_readings(city, [s]).get(s.key)
    hourly, daily = [], []
    if latest:
        end = latest[0]  # the series' own latest reading: a sensor silent for days still shows its last month
        files = _since(city, s.group, end - timedelta(days=DAYS + 1))
        hourly = _read(files, "SELECT date_trunc('hour', time) AS h, avg(value), count(*) FROM readings "
                              "WHERE series = ? AND time > ? GROUP BY h ORDER BY h",
                       [s.key, end - timedelta(hours=HOURS)])
        daily = _read(files, "SELECT time::DATE AS d, avg(value), min(value), max(value), count(*) FROM readings "
                             "WHERE series = ? AND time > ? GROUP BY d ORDER BY d",
                      [s.key, end - timedelta(days=DAYS)])
    hourly_rows = [{"time": h.isoformat(), "mean": _number(v), "readings": n} for h, v, n in hourly]
    daily_rows = [{"day": d.isoformat(), "mean": _number(v), "min": _number(lo), "max": _number(hi), "readings": n}
                  for d, v, lo, hi, n in daily]
    alerts = [{"rule": a.rule.name, "severity_label": a.rule.get_severity_display(), "started_at": a.started_at.isoformat(),
               "ended_at": a.ended_at.isoformat() if a.ended_at else None, "peak": a.peak_value, "message": a.message}
              for a in Alert.objects.filter(city=city, series=s).select_related("rule").order_by("-started_at")[:10]]
    hourly_series = s.interval_seconds is None or s.interval_seconds < 86400
    return {
        "key": s.key, "name": s.name, "description": s.description, "group": s.group,
        "entity_type": s.entity_type, "entity_id": s.entity_id, "attribute": s.attribute, "unit": s.unit,
        "district": s.district, "organisation": s.organisation.name if s.organisation else "",
        "data_asset": s.data_asset.name if s.data_asset_id else "",
        "interval_seconds": s.interval_seconds,
        "latest": {"time": latest[0].isoformat(), "value": _number(latest[1])} if latest else None,
        "hourly": hourly_rows if hourly_series else [], "daily": daily_rows,
        "chart": sparkline([(r["day"], r["mean"]) for r in daily_rows]),
        "alerts": alerts,
        "provenance": {"last_updated": latest[0].isoformat() if latest else s.updated_at.isoformat()},
    }


def sensor_hourly_rows(data: dict):
    return ["time", "mean", "readings"], [[r["time"], r["mean"], r["readings"]] for r in data["hourly"]]


def sensor_daily_rows(data: dict):
    return (["day", "mean", "min", "max", "readings"],
            [[r["day"], r["mean"], r["min"], r["max"], r["readings"]] for r in data["daily"]])


# --- KPI computations ---------------------------------------------------------------------------


def _selection_words(selection: dict) -> str:
    parts = []
    labels = {"keys": _("series"), "group": _("group"), "entity_type": _("entity type"), "attribute": _("attribute"),
              "district": _("district"), "organisation": _("organisation")}
    for name, value in selection.items():
        values = value if isinstance(value, list) else [value]
        parts.append(f"{labels.get(name, name)} {', '.join(values)}")
    return "; ".join(parts)


def _aggregation_words(agg: dict) -> str:
    function = agg.get("function")
    words = {
        "mean": _("mean"), "sum": _("sum"), "count": _("number of readings"), "min": _("lowest value"),
        "max": _("highest value"),
        "percentile": _("percentile %(p)s") % {"p": agg.get("percentile")},
        "share_above": _("share of time above %(t)s") % {"t": agg.get("threshold")},
        "distinct_count": _("number of distinct days") if agg.get("of") == "day" else _("number of series reporting"),
    }.get(function, function)
    if agg.get("weighted"):
        words = _("%(f)s weighted by each series' weight (e.g. the population it represents)") % {"f": words}
    text = _("%(f)s of the readings of %(s)s") % {"f": words, "s": _selection_words(agg.get("series", {}))}
    where = agg.get("where") or {}
    if "hours" in where:
        text += " " + _("between %(a)s:00 and %(b)s:00 UTC") % {"a": where["hours"][0], "b": where["hours"][1]}
    if "weekdays" in where:
        text += " " + (_("on weekdays") if where["weekdays"] == [1, 2, 3, 4, 5]
                       else _("on ISO weekdays %(d)s") % {"d": ", ".join(map(str, where["weekdays"]))})
    if "min_value" in where:
        text += " " + _("of at least %(v)s") % {"v": where["min_value"]}
    if "max_value" in where:
        text += " " + _("of at most %(v)s") % {"v": where["max_value"]}
    if "quality" in where:
        text += " " + _("with quality %(q)s") % {"q": ", ".join(where["quality"])}
    return text


def describe_spec(spec: dict, frequency_label: str) -> str:
    """A KPI spec in words, e.g. "For each monthly period: mean of the readings of attribute pm25."."""
    if "ratio" in spec:
        body = _("%(n)s, divided by %(d)s") % {"n": _aggregation_words(spec["ratio"]["numerator"]),
                                               "d": _aggregation_words(spec["ratio"]["denominator"])}
    else:
        body = _aggregation_words(spec.get("value", {}))
    if spec.get("group_by"):
        body = _("%(b)s, per %(g)s, then the %(c)s of those") % {"b": body, "g": spec["group_by"],
                                                                  "c": spec.get("combine", "mean")}
    if spec.get("scale", 1) not in (1, 1.0):
        body = _("%(b)s, multiplied by %(s)s") % {"b": body, "s": spec["scale"]}
    return _("For each period (%(f)s): %(b)s.") % {"f": frequency_label, "b": body}


def latest_runs(computation, periods: int = PERIODS) -> list[ComputationRun]:
    """The latest run (the last recorded) of each of the computation's ``periods`` latest periods, newest first.

    The scheduler computes a period again while it is within its KPI's grace, so a period has many runs; the
    last of each is the one with the highest id (one grouped query), and the page shows one row per period.
    """
    last = (ComputationRun.objects.filter(computation=computation).values("period_end").annotate(last=Max("pk"))
            .order_by("-period_end").values_list("last", flat=True)[:periods])
    return list(ComputationRun.objects.filter(pk__in=list(last)).order_by("-period_end"))


def computations(city) -> dict:
    items = []
    latest = None
    for c in (KpiComputation.objects.filter(city=city, active=True, kpi__published=True)
              .select_related("kpi").order_by("kpi__key")):
        runs = latest_runs(c)
        for r in runs:
            latest = max(latest, r.computed_at) if latest else r.computed_at
        items.append({
            "kpi": c.kpi.key, "title": c.kpi.title, "unit": c.kpi.unit, "frequency": c.kpi.get_frequency_display(),
            "url": reverse("portal:kpi", kwargs={"city": city.key, "key": c.kpi.key}),
            "spec_version": c.spec_version, "spec": c.spec,
            "described": describe_spec(c.spec, c.kpi.get_frequency_display()),
            "runs": [{"period_end": r.period_end.isoformat(), "value": _number(r.value), "status": r.status,
                      "status_label": r.get_status_display(), "engine": r.get_engine_display(),
                      "spec_version": r.spec_version, "row_count": r.row_count,
                      "data_from": r.data_from.isoformat() if r.data_from else None,
                      "data_to": r.data_to.isoformat() if r.data_to else None,
                      "computed_at": r.computed_at.isoformat()} for r in runs],
        })
    return {"city": city.key, "computations": items,
            "provenance": {"last_updated": latest.isoformat() if latest else None}}


def computation_rows(data: dict):
    header = ["kpi", "period_end", "value", "status", "engine", "spec_version", "readings_used", "data_from",
              "data_to", "computed_at"]
    rows = [[c["kpi"], r["period_end"], r["value"], r["status"], r["engine"], r["spec_version"], r["row_count"],
             r["data_from"], r["data_to"], r["computed_at"]] for c in data["computations"] for r in c["runs"]]
    return header, rows


def has_sensors(city) -> bool:
    return public_series(city).exists()


def has_computations(city) -> bool:
    return KpiComputation.objects.filter(city=city, active=True, kpi__published=True).exists()


SENSORS = registry.register(registry.DataPage(
    name="sensors", title=_lazy("Sensors"), data=sensors, template="portal/observations/sensors.html",
    tables={"": sensors_rows}, order=62, shown=has_sensors,
    description=_lazy("Live readings from the city's public sensors: air quality, traffic, cycling, water, energy "
                      "and weather, with the alerts open now."),
))
SENSOR = registry.register(registry.DetailPage(
    name="sensor", title=_lazy("Sensor"), segment="sensors", data=sensor, keys=sensor_keys,
    template="portal/observations/sensor.html", tables={"": sensor_hourly_rows, "daily": sensor_daily_rows},
    order=63,
))
COMPUTATIONS = registry.register(registry.DataPage(
    name="kpi-computations", title=_lazy("Computed KPIs"), data=computations,
    template="portal/observations/computations.html", tables={"": computation_rows}, order=64,
    shown=has_computations,
    description=_lazy("KPIs computed from the sensors' raw readings: how each is computed and where each value "
                      "comes from."),
))
