"""KPI specs compiled to SQL, for DuckDB (one machine) and Spark SQL (a cluster): the same query, two dialects.

(A third dialect, PostgreSQL, serves the benchmark's comparison and any city that keeps readings
in a PostgreSQL-compatible engine.)

:func:`compile_spec` turns a parsed :class:`~.spec.Spec` and one or more periods ``[start, end)``
into one query over two relations:

- ``observations(series, time, value, quality)``: one row per reading (deduplicated on
  ``(series, time)``), ``time`` a UTC timestamp; for DuckDB also the store's partition columns
  ``"group"`` and ``month`` (:meth:`~cityline.observations.store.ObservationStore.connect`), which the
  query filters on so that DuckDB reads only the files it needs (:func:`_partitions`);
- ``series_meta(series, "group", entity_type, attribute, district, organisation, weight)``: one row
  per series (``organisation`` is the organisation's key; blank district or organisation is NULL).

The query returns one row per period that has readings::

    period (0-based index into the periods), value, row_count, first_us, last_us

(``first_us``/``last_us``: the first and last reading used, as microseconds since 1970 UTC; the
row count and range are the run's provenance). Several periods are one scan: each reading gets its
period's index and everything is grouped by it, so computing 36 months costs about one month's
query more than computing one. :func:`compile_groups` gives the value per group (``group_by``)
for the run's detail.

How each function is computed (the documented rules, see docs/observations.md "KPI specs"):

- readings without a value are not used; a reading without a quality flag counts as ``ok``;
- ``share_above``: each reading holds until the next reading of its series (whatever the filters),
  for at most ``max_gap_seconds`` and never past the period end; the share is the held time of
  readings strictly above the threshold over the held time of all readings kept by the filters;
- weighted ``mean``: the mean of each series, weighted by the series' weight (series without a
  weight are left out): ``sum(w_s * mean_s) / sum(w_s)``;
- ``distinct_count`` of ``day``: UTC days with at least one reading;
- ``group_by``: the aggregation per group, then ``combine`` over the groups (series without a
  district or organisation make one group of their own); a ratio is taken per group, then combined;
- a ratio's numerator of ``count`` or ``distinct_count`` with no readings is 0; a zero or missing
  denominator gives no value;
- a ``count``, ``distinct_count`` or ``sum`` with filters (``where``) is 0 for a period (or group) whose
  selected series have readings none of which passes the filters ("days with PM2.5 of 25 or more" in a
  clean month); a period without readings of those series has no value.

All sides of a ratio are aggregated in one pass (``FILTER (WHERE ...)`` per side), and the window
functions that ``share_above`` (``lead``) and a weighted mean (readings per series) need run once. A
weighted mean whose other side, if any, is a sum, count, mean or extreme needs no window: it is
aggregated per series first (:func:`_per_series_aggregates`).

Literals are inlined, never bound as parameters: DuckDB views and Spark SQL do not share a
parameter style, and the query must run unchanged on both. Strings are quoted by doubling single
quotes (and, for Spark, whose parser reads backslash escapes, doubling backslashes); numbers go in
as ``CAST('<repr of a float>' AS DOUBLE)`` or as Python ints, never as text from the spec.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from .spec import Aggregation, Filters, Selection, Spec

DIALECTS = ("duckdb", "spark", "postgres")
_COMBINE_SQL = {"mean": "avg", "min": "min", "max": "max", "sum": "sum"}


@dataclass(frozen=True)
class Dialect:
    name: str

    def string(self, text: str) -> str:
        if not isinstance(text, str):
            raise TypeError(f"a string literal expected, not {text!r}")
        if self.name == "spark":
            text = text.replace("\\", "\\\\")
        return "'" + text.replace("'", "''") + "'"

    def number(self, value: float) -> str:
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"a finite number expected, not {value!r}")
        return f"CAST('{value!r}' AS {self.double})"

    @property
    def double(self) -> str:
        return "DOUBLE PRECISION" if self.name == "postgres" else "DOUBLE"

    def ident(self, name: str) -> str:
        return f"`{name}`" if self.name == "spark" else f'"{name}"'

    def timestamp(self, moment: datetime) -> str:
        if moment.tzinfo is None:
            raise ValueError("period bounds need a time zone (UTC)")
        text = moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
        if self.name == "spark":
            return f"TIMESTAMP '{text}+00:00'"
        return f"TIMESTAMPTZ '{text}+00'"  # DuckDB and PostgreSQL

    def utc(self, column: str) -> str:
        """The column as a UTC wall-clock time (for hours, weekdays and days)."""
        # Spark: the session time zone is UTC (spark.py sets it). DuckDB: a plain TIMESTAMP built from the
        # microseconds, whatever the session's time zone; ``AT TIME ZONE`` goes through ICU and made the
        # hour, weekday and day filters about twice as slow as the rest of a query (bench/kpi_compute.py).
        if self.name == "spark":
            return column
        if self.name == "duckdb":
            return f"make_timestamp(epoch_us({column}))"
        return f"({column} AT TIME ZONE 'UTC')"

    def hour(self, column: str) -> str:
        if self.name == "postgres":
            return f"CAST(extract(hour FROM {self.utc(column)}) AS INTEGER)"
        return f"hour({self.utc(column)})"

    def iso_weekday(self, column: str) -> str:
        if self.name == "postgres":
            return f"CAST(extract(isodow FROM {self.utc(column)}) AS INTEGER)"
        return f"(weekday({column}) + 1)" if self.name == "spark" else f"isodow({self.utc(column)})"

    def day(self, column: str) -> str:
        return f"to_date({column})" if self.name == "spark" else f"CAST({self.utc(column)} AS DATE)"

    def epoch_us(self, column: str) -> str:
        if self.name == "postgres":  # extract(epoch) is an exact numeric with the microseconds
            return f"CAST(extract(epoch FROM {column}) * 1000000 AS BIGINT)"
        return f"unix_micros({column})" if self.name == "spark" else f"epoch_us({column})"

    def percentile(self, column: str, p: float) -> str:
        if self.name == "postgres":
            return f"percentile_cont({self.number(p)}) WITHIN GROUP (ORDER BY {column})"
        fn = "percentile" if self.name == "spark" else "quantile_cont"
        return f"{fn}({column}, {self.number(p)})"


def dialect(name: str) -> Dialect:
    if name not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {name!r}; the dialects are {', '.join(DIALECTS)}")
    return Dialect(name)


Period = tuple[datetime, datetime]


def _check_periods(periods: list[Period]) -> None:
    if not periods:
        raise ValueError("at least one period is needed")
    for start, end in periods:
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("period bounds need a time zone (UTC)")
        if not start < end:
            raise ValueError(f"a period must end after it starts: {start} .. {end}")
    for (_, end), (start, _) in zip(periods, periods[1:]):
        if start < end:
            raise ValueError("periods must be in order and must not overlap")


def _month_start(moment: datetime) -> date | None:
    """The month a bound starts, if it is a UTC month's first instant."""
    utc = moment.astimezone(timezone.utc)
    return utc.date() if utc.day == 1 and utc.timetz() == time(0, tzinfo=timezone.utc) else None


def _period_of_month(periods: list[Period]) -> str | None:
    """DuckDB, periods of whole UTC months (months, quarters, years): each reading's period index read
    from its file's ``month`` partition column, one list lookup; None for other periods.

    The ``CASE`` of :func:`_period_case` compares each reading's time with the bounds in turn (18 tests
    a reading on average for 36 months); the partition column is the same for a whole file. The simple
    specs of bench/kpi_compute.py took 20-25 % less time this way (bench/README.md). A month between
    two periods that do not touch maps to NULL; the WHERE leaves its readings out anyway.
    """
    starts = [(_month_start(s), _month_start(e)) for s, e in periods]
    if any(s is None or e is None for s, e in starts):
        return None
    first = starts[0][0]

    def offset(month: date) -> int:  # months since the first period's start
        return (month.year - first.year) * 12 + month.month - first.month

    index = [None] * offset(starts[-1][1])
    for i, (s, e) in enumerate(starts):
        index[offset(s):offset(e)] = [i] * (offset(e) - offset(s))
    listed = ", ".join("NULL" if i is None else str(i) for i in index)
    return f"[{listed}][datediff('month', DATE '{first.isoformat()}', o.month) + 1]"


def _period_case(d: Dialect, periods: list[Period]) -> tuple[str, str]:
    """(expression giving each reading its period index, the WHERE bounding the whole range)."""
    contiguous = all(a[1] == b[0] for a, b in zip(periods, periods[1:]))
    if contiguous:  # only the upper bound per branch: the WHERE holds the lower one
        branches = " ".join(f"WHEN o.time < {d.timestamp(end)} THEN {i}" for i, (_, end) in enumerate(periods))
        where = f"o.time >= {d.timestamp(periods[0][0])} AND o.time < {d.timestamp(periods[-1][1])}"
    else:
        branches = " ".join(f"WHEN o.time >= {d.timestamp(s)} AND o.time < {d.timestamp(e)} THEN {i}"
                            for i, (s, e) in enumerate(periods))
        where = " OR ".join(f"(o.time >= {d.timestamp(s)} AND o.time < {d.timestamp(e)})" for s, e in periods)
        where = f"({where})"
    by_month = _period_of_month(periods) if d.name == "duckdb" else None
    return by_month or f"CASE {branches} END", where


def _in(d: Dialect, column: str, values: tuple) -> str:
    if len(values) == 1:
        return f"{column} = {d.string(values[0])}"
    return f"{column} IN ({', '.join(d.string(v) for v in values)})"


def _partitions(d: Dialect, periods: list[Period], aggs: list[Aggregation]) -> str:
    """DuckDB only: the Hive partitions (``"group"``, ``month``) of the store's files the query needs.

    The store's ``observations`` view carries the partition columns of its files
    (``group=<g>/month=<m>``), and DuckDB skips the files a filter on them rules out without opening
    them. Both filters are implied by the others, so they change no result: ``month`` is the UTC
    month of ``time`` (its first day; the periods' range, by whole months), and a series' readings
    are all stored under its group (a group cannot change once a series has readings). A KPI for
    last month over years of readings then reads last month's files, and a spec on one group that
    group's files.
    """
    if d.name != "duckdb":
        return ""
    first = periods[0][0].astimezone(timezone.utc).date().replace(day=1)
    last = (periods[-1][1] - timedelta(microseconds=1)).astimezone(timezone.utc).date().replace(day=1)
    parts = [f"o.month >= DATE '{first.isoformat()}' AND o.month <= DATE '{last.isoformat()}'"]
    groups = [a.series.group for a in aggs]
    if all(groups):
        parts.append(_in(d, f"o.{d.ident('group')}", tuple(sorted({g for gs in groups for g in gs}))))
    return " AND " + " AND ".join(parts)


def _selection(d: Dialect, sel: Selection) -> str:
    parts = []
    columns = {"keys": "o.series", "group": f"m.{d.ident('group')}", "entity_type": "m.entity_type",
               "attribute": "m.attribute", "district": "m.district", "organisation": "m.organisation"}
    for name, column in columns.items():
        values = getattr(sel, name)
        if values:
            parts.append(_in(d, column, values))
    return "(" + " AND ".join(parts) + ")"


def _condition(d: Dialect, agg: Aggregation) -> str:
    """Which readings an aggregation uses: its series and its filters (on the ``obs`` columns)."""
    sel = agg.series
    parts = []
    columns = {"keys": "series", "group": "grp_group", "entity_type": "entity_type", "attribute": "attribute",
               "district": "district", "organisation": "organisation"}
    for name, column in columns.items():
        values = getattr(sel, name)
        if values:
            parts.append(_in(d, column, values))
    w = agg.where
    if w.quality:
        parts.append(_in(d, "quality", w.quality))
    if w.min_value is not None:
        parts.append(f"value >= {d.number(w.min_value)}")
    if w.max_value is not None:
        parts.append(f"value <= {d.number(w.max_value)}")
    if w.hours is not None:
        h_from, h_to = (int(h) for h in w.hours)
        parts.append(f"{d.hour('time')} >= {h_from} AND {d.hour('time')} < {h_to}")
    if w.weekdays:
        parts.append(f"{d.iso_weekday('time')} IN ({', '.join(str(int(x)) for x in w.weekdays)})")
    return " AND ".join(parts)


def _filter(*conds: str | None) -> str:
    """``FILTER (WHERE ...)`` for the conditions that are not None (see :func:`_unfiltered`); "" for none."""
    kept = [c for c in conds if c is not None]
    return f" FILTER (WHERE {' AND '.join(kept)})" if kept else ""


def _aggregate(d: Dialect, agg: Aggregation, k: int, cond: str | None) -> str:
    """The aggregate expression of one side over the readings of a (period, group) (``cond`` None: all of them)."""
    f = _filter(cond)
    fn = agg.function
    if fn == "mean" and agg.weighted:
        # sum over series of w_s * mean_s / sum of w_s, in one pass: each of a series' n_s readings
        # carries w_s / n_s (n_s counted per period by a window in ``obs``).
        c = _filter(cond, "weight IS NOT NULL")
        return f"sum(value * weight / nullif(n_{k}, 0)){c} / nullif(sum(weight / nullif(n_{k}, 0)){c}, 0)"
    if fn == "mean":
        return f"avg(value){f}"
    if fn in ("sum", "min", "max"):
        return f"{fn}(value){f}"
    if fn == "count":
        return f"count(*){f}"
    if fn == "percentile":
        return f"{d.percentile('value', agg.percentile)}{f}"
    if fn == "distinct_count":
        target = "series" if agg.of == "series" else d.day("time")
        return f"count(DISTINCT {target}){f}"
    if fn == "share_above":
        held = f"held_{k}"
        above = f"CASE WHEN value > {d.number(agg.threshold)} THEN {held} ELSE 0 END"
        return f"CAST(sum({above}){f} AS {d.double}) / nullif(CAST(sum({held}){f} AS {d.double}), 0)"
    raise ValueError(f"unknown function {fn!r}")


def _provenance(d: Dialect, used: str | None) -> list[str]:
    """The readings used (``n``) and the first and last of them, for a run's provenance."""
    f, t = _filter(used), d.epoch_us("time")
    return [f"count(*){f} AS n", f"min({t}){f} AS first_us", f"max({t}){f} AS last_us"]


def _unfiltered(aggs: list[Aggregation], conds: list[str]) -> tuple[list[str | None], str | None]:
    """Each side's condition, None where the rows it aggregates need no ``FILTER``; and a ``WHERE`` for them.

    A ``FILTER`` clause per aggregate costs a condition per reading and aggregate even when every reading
    meets it (a mean over 25 M readings: 0.36 s with its ``FILTER`` clauses, 0.22 s without, bench/README.md).
    One side: its condition becomes the rows' ``WHERE`` (a weighted mean's also leaves out the series without a
    weight, which add nothing to its value and are not among the readings it used). Several sides over the same
    series: a side with no filter of its own takes every row the series selection let through. (Not with windows: ``share_above``
    holds each reading until the next one whatever the filters, so the rows cannot be narrowed first.)
    """
    if len(aggs) == 1:
        if aggs[0].function == "mean" and aggs[0].weighted:  # series without a weight take no part
            return [None], f"({conds[0]}) AND weight IS NOT NULL"
        return [None], conds[0]
    same_series = all(a.series == aggs[0].series for a in aggs)
    return [None if same_series and a.where == Filters() else c for a, c in zip(aggs, conds)], None


#: Functions whose value is 0 for a period whose readings all fail the filters (see ``zero`` in :func:`_body`).
_ZERO_WHEN_NONE_PASS = ("count", "distinct_count", "sum")

#: Functions whose value over a group follows from sums, counts and extremes per series: a weighted mean
#: with only these is computed in two steps (:func:`_per_series_aggregates`).
_PER_SERIES = ("mean", "sum", "count", "min", "max")


def _per_series_aggregates(d: Dialect, aggs: list[Aggregation], conds: list[str | None], used: str | None,
                           source: str) -> list[str]:
    """The ``agg`` CTE in two steps: per (period, group, series), then per (period, group).

    For a weighted mean (with, on a ratio's other side, only functions of :data:`_PER_SERIES`): each
    series' sum and count first, then ``sum(w_s * sum_s / n_s) / sum(w_s)`` over the series. Two hash
    aggregations instead of a window partitioned by series (a sort of every reading): the weighted
    spec of bench/kpi_compute.py took 1.16 s with the window and 0.49 s this way, at 20 M readings.
    """
    inner = _provenance(d, used)
    outer = ["CAST(sum(n) AS BIGINT) AS n", "min(first_us) AS first_us", "max(last_us) AS last_us"]
    for k, (a, cond) in enumerate(zip(aggs, conds)):
        f = _filter(cond)
        if a.function in ("min", "max"):
            inner.append(f"{a.function}(value){f} AS x_{k}")
            outer.insert(k, f"{a.function}(x_{k}) AS v_{k}")
            continue
        inner += [f"sum(value){f} AS s_{k}", f"count(*){f} AS c_{k}"]
        if a.function == "mean" and a.weighted:
            held = f" FILTER (WHERE c_{k} > 0 AND weight IS NOT NULL)"
            value = f"sum(weight * s_{k} / c_{k}){held} / nullif(sum(weight){held}, 0)"
        else:
            value = {"mean": f"sum(s_{k}) / nullif(sum(c_{k}), 0)", "sum": f"sum(s_{k})",
                     "count": f"sum(c_{k})"}[a.function]
        outer.insert(k, f"{value} AS v_{k}")
    return [f"per_series AS (SELECT period, grp, series, weight, {', '.join(inner)} FROM {source} "
            f"GROUP BY period, grp, series, weight)",
            f"agg AS (SELECT period, grp, {', '.join(outer)} FROM per_series GROUP BY period, grp)"]


def _body(spec: Spec, periods: list[Period], d: Dialect) -> str:
    """The CTEs up to ``grouped(period, grp, value, n, first_us, last_us)``."""
    _check_periods(periods)
    aggs = spec.aggregations()
    period_expr, period_where = _period_case(d, periods)
    group_expr = {None: "0", "district": "m.district", "organisation": "m.organisation",
                  "series": "o.series"}[spec.group_by]
    selected = " OR ".join(_selection(d, a.series) for a in aggs)
    conds = [_condition(d, a) for a in aggs]
    per_series = (any(a.function == "mean" and a.weighted for a in aggs)
                  and all(a.function in _PER_SERIES for a in aggs))
    # A count, distinct count or sum whose filters no reading of the period passes is 0, not "no readings",
    # when the selected series did report: ``seen`` counts their readings before the filters.
    zero = not spec.is_ratio and aggs[0].function in _ZERO_WHEN_NONE_PASS and aggs[0].where != Filters()
    # Windows are keyed by a number given to each series (``sid``): sorting the readings by an integer
    # rather than by the series' text key made share_above about 15 % faster (bench/kpi_compute.py, 25 M
    # readings: 5.1 -> 4.4 s). ``lead`` runs over the series' whole range, not per period: a next reading
    # in a later period is past the period's end, where ``held`` stops anyway.
    windows = []
    if any(a.function == "share_above" for a in aggs):
        ends = " ".join(f"WHEN {i} THEN {d.epoch_us(d.timestamp(e))}" for i, (_, e) in enumerate(periods))
        windows.append(f"{d.epoch_us('time')} AS t_us")
        windows.append(f"lead({d.epoch_us('time')}) OVER (PARTITION BY sid ORDER BY time) AS next_us")
        windows.append(f"CASE period {ends} END AS end_us")
    for k, a in enumerate(aggs):
        if a.function == "mean" and a.weighted and not per_series:  # c_<k>: the side's filter (``flagged``)
            windows.append(f"sum(CASE WHEN c_{k} THEN 1 ELSE 0 END) OVER (PARTITION BY sid, period) AS n_{k}")
    meta, sid = "series_meta", ""
    if windows:
        meta, sid = "(SELECT *, row_number() OVER (ORDER BY series) AS sid FROM series_meta)", "m.sid AS sid, "
    obs = (f"SELECT o.series AS series, o.time AS time, o.value AS value, coalesce(o.quality, 'ok') AS quality, "
           f"m.{d.ident('group')} AS grp_group, m.entity_type AS entity_type, m.attribute AS attribute, "
           f"m.district AS district, m.organisation AS organisation, m.weight AS weight, {sid}"
           f"{period_expr} AS period, {group_expr} AS grp "
           f"FROM observations o JOIN {meta} m ON o.series = m.series "
           f"WHERE {period_where}{_partitions(d, periods, aggs)} AND o.value IS NOT NULL AND ({selected})")
    ctes = [f"obs AS ({obs})"]
    source = "obs"
    if windows:
        # A window sorts its input with every column the input carries: each side's filters become one
        # boolean column first (``c_<k>``), so the sort moves a few numbers per reading instead of the
        # series' text key and metadata (share_above about 10 % faster at 20 M readings, bench/README.md).
        flags = ", ".join(f"({cond}) AS c_{k}" for k, cond in enumerate(conds))
        keep = "series, " if any(a.function == "distinct_count" and a.of == "series" for a in aggs) else ""
        ctes.append(f"flagged AS (SELECT sid, period, grp, weight, time, value, {keep}{flags} FROM obs)")
        conds = [f"c_{k}" for k in range(len(aggs))]
        held = []
        for k, a in enumerate(aggs):
            if a.function == "share_above":
                gap = int(a.max_gap_seconds) * 1_000_000
                held.append(f"least(coalesce(next_us, end_us), t_us + {gap}, end_us) - t_us AS held_{k}")
        inner = f"SELECT *, {', '.join(windows)} FROM flagged"
        ctes.append(f"win AS ({inner})")
        source = "win"
        if held:
            ctes.append(f"held AS (SELECT *, {', '.join(held)} FROM win)")
            source = "held"
    elif not zero:  # (with ``zero`` the rows stay whole: the aggregate filters, ``seen`` counts them all)
        conds, where = _unfiltered(aggs, conds)
        if where is not None:
            ctes.append(f"kept AS (SELECT * FROM obs WHERE {where})")
            source = "kept"
    # The readings used (provenance): a weighted mean's side leaves out the series without a weight (one side
    # alone has no such rows left: see :func:`_unfiltered`).
    sides = [f"({c}) AND weight IS NOT NULL" if c is not None and a.function == "mean" and a.weighted else c
             for a, c in zip(aggs, conds)]
    if None in sides:
        used = None  # a side takes every row of the source
    else:
        used = sides[0] if len(sides) == 1 else f"({sides[0]}) OR ({sides[1]})"
    if per_series:
        ctes += _per_series_aggregates(d, aggs, conds, used, source)
    else:
        columns = [f"{_aggregate(d, a, k, c)} AS v_{k}" for k, (a, c) in enumerate(zip(aggs, conds))]
        columns += _provenance(d, used) + (["count(*) AS seen"] if zero else [])
        ctes.append(f"agg AS (SELECT period, grp, {', '.join(columns)} FROM {source} GROUP BY period, grp)")
    if spec.is_ratio:
        numerator = "v_0"
        if spec.numerator.function in ("count", "distinct_count"):
            numerator = "coalesce(v_0, 0)"
        value = f"CASE WHEN v_1 <> 0 THEN CAST({numerator} AS {d.double}) / CAST(v_1 AS {d.double}) END"
    else:
        value = f"CAST({'coalesce(v_0, 0)' if zero else 'v_0'} AS {d.double})"
    kept = "n > 0 OR seen > 0" if zero else "n > 0"
    ctes.append(f"grouped AS (SELECT period, grp, {value} AS value, n, first_us, last_us FROM agg WHERE {kept})")
    return "WITH " + ",\n".join(ctes)


def compile_spec(spec: Spec, periods: list[Period], dialect_name: str = "duckdb") -> str:
    """One query: ``period, value, row_count, first_us, last_us`` per period with readings (see the module)."""
    d = dialect(dialect_name)
    combine = _COMBINE_SQL[spec.combine] if spec.group_by else "max"  # one group: any combine is the value
    scaled = f"{combine}(value) * {d.number(spec.scale)}"
    return (f"{_body(spec, periods, d)}\n"
            f"SELECT period, {scaled} AS value, CAST(sum(n) AS BIGINT) AS row_count, min(first_us) AS first_us, "
            f"max(last_us) AS last_us FROM grouped GROUP BY period ORDER BY period")


def compile_groups(spec: Spec, periods: list[Period], dialect_name: str = "duckdb") -> str:
    """The value of each group before ``combine``: ``period, grp, value, row_count`` (scaled like the KPI)."""
    d = dialect(dialect_name)
    return (f"{_body(spec, periods, d)}\n"
            f"SELECT period, grp, value * {d.number(spec.scale)} AS value, n AS row_count FROM grouped "
            f"ORDER BY period, grp")


def compile_downsampled(series: list[str], period: Period, dialect_name: str = "duckdb") -> str:
    """How many readings of ``series`` in ``period`` are downsampled ones (quality ``downsampled``): one count."""
    d = dialect(dialect_name)
    start, end = period
    listed = _in(d, "series", tuple(series)) if series else "false"
    return (f"SELECT count(*) FROM observations WHERE quality = 'downsampled' AND {listed} "
            f"AND time >= {d.timestamp(start)} AND time < {d.timestamp(end)}")


def series_meta_table(rows: list[tuple]):
    """``series_meta`` rows ``(series, group, entity_type, attribute, district, organisation, weight)`` as an
    Arrow table, to register in DuckDB."""
    import pyarrow as pa

    names = ["series", "group", "entity_type", "attribute", "district", "organisation", "weight"]
    types = [pa.string()] * 6 + [pa.float64()]
    return pa.table({n: pa.array([r[i] for r in rows], t) for i, (n, t) in enumerate(zip(names, types))})


def to_datetime(us: int | None) -> datetime | None:
    """``first_us``/``last_us`` of a result row as an aware UTC datetime."""
    if us is None:
        return None
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=int(us))
