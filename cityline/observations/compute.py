"""KPI values computed from readings (issue 6, C2.b): specs run on DuckDB or Spark, written to the KPI history.

:func:`compute_computation` takes a :class:`.models.KpiComputation`, works out the periods of its
KPI's frequency that have ended by ``today`` (from ``first_period_end``, else from the first
reading of the groups its series belong to), runs the compiled spec (:mod:`.domain.sql`) over all
of them in one query, and for each period:

- writes or updates the KPI's :class:`cityline.benefits.models.Measurement` for that period end
  through :mod:`cityline.core.actions` (validated, in the change history), source
  :data:`SOURCE`, note naming the spec version and the readings used (status ``written``), or
  leaves it as it is when the value and note are the same (``unchanged``);
- leaves a measurement from another source (entered by hand, imported) alone and reports it
  (``refused``), as do a value the spec cannot give (a zero denominator, series without a weight)
  and an invalid spec;
- records ``no_data`` when no reading falls in the period. A measurement computed earlier is then
  **kept**: readings are removed by retention rules long after their KPI value was recorded, and
  the KPI history must not lose it. (Delete it by hand if it was wrong.) When it was computed under
  an earlier spec version, the run says so and reports it as a problem: the KPI history would
  otherwise mix two definitions without anyone noticing;
- keeps a measurement computed at the current spec version whose period's readings were
  **downsampled** since (a retention rule replaced them by hourly or daily means): its value came
  from the raw readings, which a count, sum or percentile of the means would not give again; the run
  records the value the downsampled readings give, as ``unchanged``;
- a count, distinct count or sum whose filters no reading of the period passes is 0 (the series
  reported, nothing met the filters), noted as such; only a period without readings has no value.

Every period computed gets a :class:`.models.ComputationRun` (the provenance: spec version,
engine, value, readings used, first and last reading, and the value per group as detail).

Values are quantised to the 6 decimal places of the benefits value field (half-even).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal

from django.db import transaction
from django.utils import timezone

from cityline.core import actions
from cityline.core.portability import SQLITE_DECIMAL_DIGITS

from .domain import periods as P
from .domain import sql as S
from .domain.spec import Spec, SpecError, parse
from .models import ComputationRun, KpiComputation, Series
from .registry import store_for, store_root, store_to_read
from .store import written_of

log = logging.getLogger("cityline.observations")

SOURCE = "Cityline observations"
ENGINES = ("duckdb", "spark")
_PLACES = Decimal("0.000001")  # benefits.models.VALUE_PLACES = 6
_LIMIT = Decimal(10) ** 14     # VALUE_DIGITS 20 - VALUE_PLACES 6
_SIGNIFICANT = Context(prec=SQLITE_DECIMAL_DIGITS, rounding=ROUND_HALF_EVEN)


@dataclass
class PeriodResult:
    period_end: date
    status: str
    value: Decimal | None = None
    row_count: int = 0
    detail: str = ""

    def as_dict(self) -> dict:
        return {"period_end": self.period_end.isoformat(), "status": self.status,
                "value": None if self.value is None else str(self.value), "row_count": self.row_count,
                "detail": self.detail}


@dataclass
class ComputationResult:
    kpi: str
    engine: str
    spec_version: int
    periods: list[PeriodResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for p in self.periods if p.status == status)

    def as_dict(self) -> dict:
        return {"kpi": self.kpi, "engine": self.engine, "spec_version": self.spec_version,
                "written": self.count("written"), "unchanged": self.count("unchanged"),
                "no_data": self.count("no_data"), "refused": self.count("refused"),
                "periods": [p.as_dict() for p in self.periods], "problems": self.problems}


def quantise(value: float) -> Decimal:
    """A computed value as the benefits value field stores it; ValueError when it cannot be stored."""
    if value is None or not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    # 15 significant digits: what SQLite keeps, so both databases store (and compare) the same value
    number = _SIGNIFICANT.create_decimal(repr(float(value))).quantize(_PLACES, rounding=ROUND_HALF_EVEN)
    if abs(number) >= _LIMIT:
        raise ValueError(f"{value!r} is too large for a KPI value (at most 14 digits before the point)")
    return number


# --- the relations the SQL reads -------------------------------------------------------------------

def series_meta_rows(city) -> list[tuple]:
    """``(series, group, entity_type, attribute, district, organisation, weight)`` per series of the city."""
    rows = Series.objects.filter(city=city).values_list("key", "group", "entity_type", "attribute", "district",
                                                        "organisation__key", "weight").order_by("key")
    return [(key, group, etype or None, attr or None, district or None, org or None,
             None if weight is None else float(weight))
            for key, group, etype, attr, district, org, weight in rows]


class Engine:
    """A connection to one engine with ``observations`` and ``series_meta`` for one city."""

    def __init__(self, city, name: str = "duckdb", *, meta_rows: list[tuple] | None = None):
        if name not in ENGINES:
            raise ValueError(f"unknown engine {name!r}; the engines are {', '.join(ENGINES)}")
        self.city, self.name = city, name
        self.meta_rows = series_meta_rows(city) if meta_rows is None else meta_rows
        if name == "duckdb":
            self.con = store_for(city, {r[0]: r[1] for r in self.meta_rows}).connect()
            self.con.execute("SET TimeZone = 'UTC'")
            self.con.register("series_meta", S.series_meta_table(self.meta_rows))
        else:
            from . import spark

            self.spark = spark.session()
            spark.register(self.spark, str(store_root(self.city)), self.meta_rows, cache=True)

    def run(self, sql: str) -> list[tuple]:
        if self.name == "duckdb":
            return self.con.sql(sql).fetchall()
        from . import spark

        return spark.run(self.spark, sql)

    def close(self) -> None:
        if self.name == "duckdb":
            self.con.close()
        else:
            self.spark.catalog.dropTempView("observations")  # and its cached readings with it


def _series_of(spec: Spec, meta_rows: list[tuple]) -> dict[str, str]:
    """``{series key: group}`` of the series the spec selects (on either side)."""
    out = {}
    for row in meta_rows:
        key, group, etype, attr, district, org, _ = row
        values = {"keys": key, "group": group, "entity_type": etype, "attribute": attr, "district": district,
                  "organisation": org}
        for agg in spec.aggregations():
            sel = agg.series
            if all(not getattr(sel, n) or values[n] in getattr(sel, n) for n in values):
                out[key] = group
    return out


def _groups_of(spec: Spec, meta_rows: list[tuple]) -> set[str]:
    """The store groups holding the spec's series (to find the first reading from the folder names)."""
    return set(_series_of(spec, meta_rows).values())


def first_day(city, spec: Spec, meta_rows: list[tuple]) -> date | None:
    """The first day with readings in the groups of the spec's series: the store's statistics name it, no scan."""
    store = store_to_read(city)
    days = [day for group in _groups_of(spec, meta_rows) if (day := store.first_day(group)) is not None]
    return min(days) if days else None


def periods_for(computation: KpiComputation, spec: Spec | None, today: date,
                meta_rows: list[tuple]) -> list[tuple[date, date]]:
    """The periods of the KPI's frequency that ended before ``today`` (see the module docstring)."""
    frequency = computation.kpi.frequency
    odd_end = True
    if computation.first_period_end:
        start = computation.first_period_end
        odd_end = computation.first_period_end.year % 2 == 1
    else:
        start = first_day(computation.city, spec, meta_rows) if spec is not None else None
        if start is None:
            return []
    return P.ended_periods(frequency, start, today, odd_end=odd_end)


# --- writing ---------------------------------------------------------------------------------------

def _record(computation, engine: str, period, status: str, *, value=None, row_count=0, data_from=None,
            data_to=None, detail="", measurement=None) -> ComputationRun:
    # ComputationRun is this process's own provenance log (append-only), not an operating-model record.
    return ComputationRun.objects.create(
        city=computation.city, computation=computation, measurement=measurement, period_start=period[0],
        period_end=period[1], spec_version=computation.spec_version, engine=engine, value=value,
        row_count=row_count, data_from=data_from, data_to=data_to, status=status, detail=detail[:4000])


def _note(computation, row_count: int, first: datetime | None, last: datetime | None) -> str:
    if not row_count:
        return (f"Computed from the period's readings, none of which passed the spec's filters "
                f"(spec version {computation.spec_version})")
    return (f"Computed from {row_count} reading(s), {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC "
            f"(spec version {computation.spec_version})")


def _written_under(computation, period_end: date, measurement) -> int | None:
    """The spec version of the last run that wrote (or confirmed) ``measurement``; None if no run did."""
    return (computation.runs.filter(period_end=period_end, measurement=measurement,
                                    status__in=("written", "unchanged"))
            .order_by("-pk").values_list("spec_version", flat=True).first())


def compute_computation(computation: KpiComputation, *, engine: str = "duckdb", today: date | None = None,
                        periods: list[tuple[date, date]] | None = None, user=None,
                        connection: Engine | None = None) -> ComputationResult:
    """Compute one KPI for every ended period (or ``periods``) and write its measurements (module docstring)."""
    from cityline.benefits.models import Measurement

    today = today or timezone.localdate()
    kpi = computation.kpi
    result = ComputationResult(kpi.key, engine, computation.spec_version)
    own = connection is None
    meta_rows = connection.meta_rows if connection is not None else series_meta_rows(computation.city)
    try:
        spec = parse(computation.spec)
    except SpecError as exc:
        spec = None
        problem = f"the spec cannot be computed: {exc}"
    if periods is None:
        periods = periods_for(computation, spec, today, meta_rows)
    if spec is None:
        result.problems.append(problem)
        with transaction.atomic():
            for period in periods[-1:]:  # one refusal is enough to show on the KPI
                _record(computation, engine, period, "refused", detail=problem)
                result.periods.append(PeriodResult(period[1], "refused", detail=problem))
        return result
    if not periods:
        return result
    bounds = [P.bounds(p) for p in periods]
    dialect = "spark" if engine == "spark" else "duckdb"
    conn = connection or Engine(computation.city, engine, meta_rows=meta_rows)
    existing = {m.period_end: m for m in Measurement.objects.filter(kpi=kpi)}
    try:
        rows = {r[0]: r for r in conn.run(S.compile_spec(spec, bounds, dialect))}
        groups: dict[int, list] = {}
        if spec.group_by:
            for period, grp, value, n in conn.run(S.compile_groups(spec, bounds, dialect)):
                groups.setdefault(period, []).append({"group": grp, "value": value, "readings": n})
        downsampled = _downsampled_since(computation, conn, spec, meta_rows, periods, bounds, rows, existing)
    finally:
        if own:
            conn.close()
    with transaction.atomic():
        for index, period in enumerate(periods):
            end = period[1]
            current = existing.get(end)
            row = rows.get(index)
            if row is None:
                kept = current if current is not None and current.source == SOURCE else None
                detail = "no readings in the period"
                if kept is not None:
                    version = _written_under(computation, end, kept)
                    if version in (None, computation.spec_version):
                        detail += "; the measurement computed earlier is kept"
                    else:
                        detail += (f"; the measurement computed earlier under spec version {version} ({kept.value}) "
                                   f"is kept, but it does not follow version {computation.spec_version}: delete it "
                                   "from the KPI history if it no longer holds")
                        result.problems.append(f"{end.isoformat()}: {detail}")
                _record(computation, engine, period, "no_data", detail=detail, measurement=kept)
                result.periods.append(PeriodResult(end, "no_data", detail=detail))
                continue
            _, raw, row_count, first_us, last_us = row  # no reading used (0): none passed the filters
            first, last = S.to_datetime(first_us), S.to_datetime(last_us)
            provenance = {"row_count": int(row_count), "data_from": first, "data_to": last}
            detail = json.dumps(groups[index], default=str) if index in groups else ""
            try:
                value = quantise(raw)
            except ValueError as exc:
                why = ("the spec gives no value for these readings (a zero or missing denominator, or series "
                       "without a weight)" if raw is None else str(exc))
                _record(computation, engine, period, "refused", detail=why, **provenance)
                result.periods.append(PeriodResult(end, "refused", row_count=int(row_count), detail=why))
                continue
            if current is not None and current.source != SOURCE:
                why = (f"a measurement from {current.source or 'another source'!r} is already recorded for "
                       f"{end.isoformat()}; left as it is")
                result.problems.append(why)
                _record(computation, engine, period, "refused", value=value, detail=why, **provenance)
                result.periods.append(PeriodResult(end, "refused", value, int(row_count), why))
                continue
            if index in downsampled:
                why = (f"kept: the period's readings were downsampled since the measurement was computed from them "
                       f"at this spec version (from the downsampled readings: {value})")
                _record(computation, engine, period, "unchanged", value=current.value, detail=why,
                        measurement=current, **provenance)
                result.periods.append(PeriodResult(end, "unchanged", current.value, int(row_count), why))
                continue
            note = _note(computation, int(row_count), first, last)
            reason = f"computed from observations (spec version {computation.spec_version}, {engine})"
            if current is None:
                current = actions.create(Measurement, user=user, city=computation.city, kpi=kpi, period_end=end,
                                         value=value, source=SOURCE, note=note, reason=reason)
                status = "written"
            elif current.value != value or current.note != note:
                actions.update(current, user=user, value=value, note=note, reason=reason)
                status = "written"
            else:
                status = "unchanged"
            _record(computation, engine, period, status, value=value, detail=detail, measurement=current,
                    **provenance)
            result.periods.append(PeriodResult(end, status, value, int(row_count), detail))
    return result


def _downsampled_since(computation, conn, spec: Spec, meta_rows, periods, bounds, rows, existing) -> set[int]:
    """The periods whose value would change only because their readings were downsampled since it was computed.

    Downsampling replaces a series' old raw readings by their hourly or daily means: a count, a sum or a
    percentile of those is not what the raw readings gave. A measurement computed from observations at the
    current spec version is kept for a period that now holds downsampled readings of the spec's series.
    """
    series = sorted(_series_of(spec, meta_rows))
    out = set()
    for index, period in enumerate(periods):
        current, row = existing.get(period[1]), rows.get(index)
        if current is None or current.source != SOURCE or row is None:
            continue
        try:
            if quantise(row[1]) == current.value:
                continue
        except ValueError:
            pass
        if _written_under(computation, period[1], current) != computation.spec_version:
            continue
        if conn.run(S.compile_downsampled(series, bounds[index], conn.name))[0][0]:
            out.add(index)
    return out


def due_periods(computation: KpiComputation, today: date, meta_rows: list[tuple]) -> list[tuple[date, date]]:
    """What the scheduler computes: ended periods without a run at the current spec version, the periods
    still inside the KPI's reporting grace (late readings may still arrive for them), and the periods whose
    months got readings written after their last run (a gateway's back-fill, a correction, after the grace)."""
    from cityline.benefits.domain.kpi import FREQUENCIES

    try:
        spec = parse(computation.spec)
    except SpecError:
        spec = None
    all_periods = periods_for(computation, spec, today, meta_rows)
    last_run: dict[date, datetime] = {}
    for end, at in computation.runs.filter(spec_version=computation.spec_version).values_list("period_end",
                                                                                            "computed_at"):
        last_run[end] = max(at, last_run.get(end, at))
    grace = computation.kpi.grace_days
    if grace is None:
        grace = FREQUENCIES[computation.kpi.frequency].grace_days
    newest = _newest_written(computation.city, spec, meta_rows) if spec is not None and last_run else {}

    def written_since_run(period: tuple[date, date]) -> bool:
        month, last = period[0].replace(day=1), period[1].replace(day=1)
        while month <= last:
            if month in newest and newest[month] > last_run[period[1]]:
                return True
            month = (month + timedelta(days=32)).replace(day=1)
        return False

    return [p for p in all_periods if p[1] not in last_run or (today - p[1]) <= timedelta(days=grace)
            or written_since_run(p)]


def _newest_written(city, spec: Spec, meta_rows: list[tuple]) -> dict[date, datetime]:
    """For each month (first day) of the spec's groups, when its newest reading was written (part file names)."""
    store = store_to_read(city)
    newest: dict[date, datetime] = {}
    for group in _groups_of(spec, meta_rows):
        for part in store.group_files(group):  # one listing of each month folder
            written = written_of(part)
            if written is not None:
                month = date.fromisoformat(part.parent.name.removeprefix("month="))
                newest[month] = max(written, newest.get(month, written))
    return newest


def computations_of(city, kpi: str | None = None):
    qs = KpiComputation.objects.filter(city=city, active=True).select_related("kpi", "city").order_by("kpi__key")
    if kpi is not None:
        qs = KpiComputation.objects.filter(city=city, kpi__key=kpi).select_related("kpi", "city")
    return list(qs)


def compute_city(city, *, engine: str = "duckdb", today: date | None = None, user=None, kpi: str | None = None,
                 due_only: bool = False, progress=None) -> list[ComputationResult]:
    """Every active KPI computation of the city (or only ``kpi``), one query each on one connection."""
    today = today or timezone.localdate()
    computations = computations_of(city, kpi)
    if not computations:
        return []
    conn = Engine(city, engine)
    results = []
    try:
        for computation in (progress(computations) if progress else computations):
            periods = due_periods(computation, today, conn.meta_rows) if due_only else None
            if due_only and not periods:
                continue
            results.append(compute_computation(computation, engine=engine, today=today, periods=periods,
                                               user=user, connection=conn))
            log.info("KPI %s computed on %s: %s", computation.kpi.key, engine, results[-1].as_dict())
    finally:
        conn.close()
    return results
