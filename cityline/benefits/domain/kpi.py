"""KPI definitions as plain data (C2): what the status and forecast rules need to know.

Plain Python (plus numpy for the measurement arrays), no Django. The Django models,
the CSV importer and the API build a :class:`Kpi` from their own records, either
directly or through :func:`kpi_from_dict`, then call the pure functions in
:mod:`.trajectory`, :mod:`.smart`, :mod:`.status` and :mod:`.forecast`.

Vocabulary (docs/benefits/kpi-status.md has the full rules):

* ``kind``: ``outcome`` (intermediate or end outcome) or ``leading`` (investment,
  activity or output indicator) — C2.c.
* ``direction``: ``higher_is_better``, ``lower_is_better`` or ``target_band``
  (the value should sit between ``band.low`` and ``band.high``).
* ``frequency``: how often a new value is expected (``daily`` … ``biennial``);
  with the reporting grace period it decides when data is overdue (C2.f).
* ``baseline`` (C2.a), ``targets`` and the ``trajectory`` from one to the other (C2.b).
* ``measurements``: value per period end date, with a quality flag. Values flagged
  ``bad`` are kept for display but ignored by status and forecast; ``provisional``
  and ``estimated`` values count, and the status says so.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

KINDS = ("outcome", "leading")
DIRECTIONS = ("higher_is_better", "lower_is_better", "target_band")
TRAJECTORY_KINDS = ("linear", "stepped", "custom")

#: Quality flags of a measurement. ``bad`` values are ignored by status and forecast.
QUALITY_FLAGS = ("ok", "provisional", "estimated", "bad")
QUALITY_CODES = {flag: code for code, flag in enumerate(QUALITY_FLAGS)}
BAD = QUALITY_CODES["bad"]


@dataclass(frozen=True)
class Frequency:
    """How often a KPI gets a new value: one period (months + days) and a reporting grace."""

    name: str
    months: int
    days: int
    grace_days: int


#: Reporting frequencies. A new value is due one period after the latest period end,
#: plus the grace period (statistics are published some time after the period closes).
FREQUENCIES: dict[str, Frequency] = {
    f.name: f
    for f in (
        Frequency("daily", 0, 1, 2),
        Frequency("weekly", 0, 7, 7),
        Frequency("monthly", 1, 0, 31),
        Frequency("quarterly", 3, 0, 62),
        Frequency("annual", 12, 0, 183),
        Frequency("biennial", 24, 0, 183),
    )
}

#: Ordinal (``date.toordinal()``) of 1970-01-01, to convert numpy datetime64[D] values.
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class KpiDataError(ValueError):
    """Invalid KPI data; the message starts with the field path (``targets[1].date: ...``)."""

    def __init__(self, field_path: str, message: str):
        self.field = field_path
        self.problem = message
        super().__init__(f"{field_path}: {message}" if field_path else message)


@dataclass(frozen=True)
class Tolerance:
    """How far from the plan a KPI may be before it is at risk or off track.

    ``on_track`` and ``at_risk`` are fractions (0.05 = 5 %) of the comparison scale:
    a value no more than ``on_track`` worse than planned is on track, no more than
    ``at_risk`` worse is at risk, anything worse is off track. Boundaries count as
    the better status. ``basis`` chooses the scale: ``expected`` (the planned value
    itself) or ``change`` (the whole planned improvement, baseline to final target;
    better for targets near zero such as "no road deaths"). Target-band KPIs always
    use the band's width.
    """

    on_track: float = 0.05
    at_risk: float = 0.15
    basis: str = "expected"

    def __post_init__(self):
        for name in ("on_track", "at_risk"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
                raise KpiDataError(f"tolerance.{name}", f"must be a number of 0 or more (a fraction, 0.05 = 5%), not {value!r}")
        if self.at_risk < self.on_track:
            raise KpiDataError("tolerance.at_risk", f"({self.at_risk}) cannot be smaller than tolerance.on_track ({self.on_track})")
        if self.basis not in ("expected", "change"):
            raise KpiDataError("tolerance.basis", f"unknown basis {self.basis!r}; use 'expected' or 'change'")


DEFAULT_TOLERANCE = Tolerance()


@dataclass(frozen=True)
class Baseline:
    """Starting point of the plan (C2.a); either part may be missing in a draft."""

    value: float | None
    date: date | None

    @property
    def complete(self) -> bool:
        return self.value is not None and self.date is not None


@dataclass(frozen=True)
class Target:
    """A value to reach by a date (C2.b); either part may be missing in a draft (SMART checks say so)."""

    value: float | None
    date: date | None
    label: str = ""

    @property
    def complete(self) -> bool:
        return self.value is not None and self.date is not None


@dataclass(frozen=True)
class Point:
    """An intermediate point of a stepped (milestone) or custom trajectory."""

    value: float | None
    date: date | None

    @property
    def complete(self) -> bool:
        return self.value is not None and self.date is not None


@dataclass(frozen=True)
class Band:
    """The acceptable range of a ``target_band`` KPI (both ends included)."""

    low: float | None
    high: float | None

    @property
    def valid(self) -> bool:
        return self.low is not None and self.high is not None and self.low <= self.high


@dataclass(frozen=True)
class Trajectory:
    """The planned path from baseline to targets: ``linear``, ``stepped`` or ``custom`` (C2.b).

    ``linear`` runs straight from the baseline to each target in turn. ``stepped``
    holds each value until the next milestone date (``points`` are extra milestones
    between the targets). ``custom`` runs straight between the baseline, the
    ``points`` and the targets, so any curve can be drawn point by point.
    """

    kind: str = "linear"
    points: tuple[Point, ...] = ()


class Measurements:
    """Measured values of one KPI as numpy arrays, sorted by period end date.

    ``dates`` are ordinal days (``date.toordinal()``), ``values`` float64,
    ``quality`` small integer codes (:data:`QUALITY_CODES`). One value per period end.
    ``usable_dates``/``usable_values`` leave out the values flagged ``bad``.
    """

    __slots__ = ("dates", "values", "quality", "usable_dates", "usable_values", "usable_quality", "bad_count")

    def __init__(self, dates: Any = (), values: Any = (), quality: Any = None):
        d = np.asarray(dates)
        if d.dtype.kind == "M":
            d = d.astype("datetime64[D]").astype(np.int64) + EPOCH_ORDINAL
        elif d.dtype == object or d.dtype.kind in "US":
            d = np.fromiter((_to_date(x, f"measurements[{i}].period_end").toordinal() for i, x in enumerate(d)),
                            dtype=np.int64, count=len(d))
        d = d.astype(np.int64, copy=False).reshape(-1)
        v = np.asarray(values, dtype=np.float64).reshape(-1)
        if quality is None:
            q = np.zeros(len(d), dtype=np.int8)
        else:
            q = np.asarray(quality)
            if q.dtype.kind in "OUS":
                try:
                    q = np.fromiter((QUALITY_CODES[str(x)] for x in q), dtype=np.int8, count=len(q))
                except KeyError as exc:
                    raise KpiDataError("measurements.quality", f"unknown quality flag {exc.args[0]!r}; use one of {', '.join(QUALITY_FLAGS)}") from None
            q = q.astype(np.int8, copy=False).reshape(-1)
        if not (len(d) == len(v) == len(q)):
            raise KpiDataError("measurements", f"dates ({len(d)}), values ({len(v)}) and quality flags ({len(q)}) differ in length")
        if len(q) and (q.min() < 0 or q.max() >= len(QUALITY_FLAGS)):
            raise KpiDataError("measurements.quality", f"quality codes run from 0 to {len(QUALITY_FLAGS) - 1}")
        if not np.isfinite(v).all():
            i = int(np.flatnonzero(~np.isfinite(v))[0])
            raise KpiDataError(f"measurements[{i}].value", "must be a finite number")
        if len(d) > 1 and not (np.diff(d) > 0).all():
            order = np.argsort(d, kind="stable")
            d, v, q = d[order], v[order], q[order]
            dup = np.flatnonzero(np.diff(d) == 0)
            if len(dup):
                when = date.fromordinal(int(d[dup[0]])).isoformat()
                raise KpiDataError("measurements", f"two values for the period ending {when}; keep one value per period")
        self.dates, self.values, self.quality = d, v, q
        good = q != BAD
        self.bad_count = int(len(q) - good.sum())
        if self.bad_count:
            self.usable_dates, self.usable_values, self.usable_quality = d[good], v[good], q[good]
        else:
            self.usable_dates, self.usable_values, self.usable_quality = d, v, q

    @classmethod
    def from_rows(cls, rows: Iterable[Any]) -> "Measurements":
        """Build from rows: mappings with ``period_end``, ``value`` and optional ``quality``,
        or tuples ``(period_end, value[, quality])``. Errors name the row (0-based)."""
        dates, values, flags = [], [], []
        for i, row in enumerate(rows):
            if isinstance(row, Mapping):
                unknown = set(row) - {"period_end", "value", "quality", "source", "note"}
                if unknown:
                    raise KpiDataError(f"measurements[{i}]", f"unknown field(s) {', '.join(sorted(unknown))}")
                if "period_end" not in row or "value" not in row:
                    raise KpiDataError(f"measurements[{i}]", "needs period_end and value")
                pe, val, qual = row["period_end"], row["value"], row.get("quality") or "ok"
            else:
                row = tuple(row)
                if len(row) not in (2, 3):
                    raise KpiDataError(f"measurements[{i}]", "a row is (period_end, value) or (period_end, value, quality)")
                pe, val = row[0], row[1]
                qual = (row[2] if len(row) == 3 else None) or "ok"
            dates.append(_to_date(pe, f"measurements[{i}].period_end").toordinal())
            number = _to_float(val, f"measurements[{i}].value")
            if number is None:
                raise KpiDataError(f"measurements[{i}].value", "is missing")
            values.append(number)
            if qual not in QUALITY_CODES:
                raise KpiDataError(f"measurements[{i}].quality", f"unknown quality flag {qual!r}; use one of {', '.join(QUALITY_FLAGS)}")
            flags.append(QUALITY_CODES[qual])
        return cls(np.array(dates, dtype=np.int64), np.array(values, dtype=np.float64), np.array(flags, dtype=np.int8))

    def __len__(self) -> int:
        return len(self.dates)

    def usable_until(self, on_date: date | None) -> tuple[np.ndarray, np.ndarray]:
        """Dates and values of the non-bad measurements with period end on or before ``on_date``."""
        if on_date is None:
            return self.usable_dates, self.usable_values
        end = int(np.searchsorted(self.usable_dates, on_date.toordinal(), side="right"))
        return self.usable_dates[:end], self.usable_values[:end]

    def rows(self) -> list[dict[str, Any]]:
        """The measurements back as plain rows (for pages, CSV and JSON)."""
        return [
            {"period_end": date.fromordinal(int(d)), "value": float(v), "quality": QUALITY_FLAGS[int(q)]}
            for d, v, q in zip(self.dates, self.values, self.quality)
        ]


@dataclass(frozen=True)
class Kpi:
    """One KPI definition with its measurements: everything status and forecast need."""

    id: Any = None
    name: str = ""
    kind: str = "outcome"
    unit: str = ""
    direction: str = "higher_is_better"
    frequency: str | None = None
    baseline: Baseline | None = None
    targets: tuple[Target, ...] = ()
    trajectory: Trajectory = field(default_factory=Trajectory)
    band: Band | None = None
    measurements: Measurements = field(default_factory=Measurements)
    grace_days: int | None = None
    tolerance: Tolerance | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise KpiDataError("kind", f"unknown kind {self.kind!r}; use one of {', '.join(KINDS)}")
        if self.direction not in DIRECTIONS:
            raise KpiDataError("direction", f"unknown direction {self.direction!r}; use one of {', '.join(DIRECTIONS)}")
        if self.frequency is not None and self.frequency not in FREQUENCIES:
            raise KpiDataError("frequency", f"unknown frequency {self.frequency!r}; use one of {', '.join(FREQUENCIES)}")
        if self.trajectory.kind not in TRAJECTORY_KINDS:
            raise KpiDataError("trajectory.kind", f"unknown trajectory {self.trajectory.kind!r}; use one of {', '.join(TRAJECTORY_KINDS)}")
        if self.grace_days is not None and (not isinstance(self.grace_days, int) or self.grace_days < 0):
            raise KpiDataError("grace_days", f"must be a whole number of days, 0 or more, not {self.grace_days!r}")
        if not isinstance(self.targets, tuple):
            object.__setattr__(self, "targets", tuple(self.targets))

    @property
    def effective_grace_days(self) -> int | None:
        if self.grace_days is not None:
            return self.grace_days
        return FREQUENCIES[self.frequency].grace_days if self.frequency else None


# --- helpers shared by the rule modules ---------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, for period ends: a month's last day stays a month's last
    day (30 Sep + 3 months = 31 Dec), other days are clipped to the month's end
    (30 Jan + 1 month = 28/29 Feb)."""
    if not months:
        return day
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        return date(year, month, last)
    return date(year, month, min(day.day, last))


def next_due(kpi: Kpi, last: date) -> date | None:
    """The date after which the next value counts as overdue, given the value for period ``last``.

    One period after ``last`` plus the grace period; ``None`` when the KPI has no frequency, or
    when that date would fall after the last day the calendar holds (9999-12-31): no value is
    then ever overdue, as without a frequency.
    """
    if not kpi.frequency:
        return None
    freq = FREQUENCIES[kpi.frequency]
    try:
        return date.fromordinal(add_months(last, freq.months).toordinal() + freq.days + kpi.effective_grace_days)
    except (ValueError, OverflowError):  # past date.max: year 10000 and beyond
        return None


def goodness(direction: str, value: float, band: Band | None = None) -> float:
    """A number that grows as ``value`` gets better: the value itself, its negation,
    or minus its distance from the band (0 anywhere inside the band)."""
    if direction == "higher_is_better":
        return value
    if direction == "lower_is_better":
        return -value
    return -band_distance(value, band)


def band_distance(value: float, band: Band) -> float:
    if value < band.low:
        return band.low - value
    if value > band.high:
        return value - band.high
    return 0.0


def fmt_number(value: float) -> str:
    """A readable number: thousands separators, at most 3 significant decimals, no trailing zeros."""
    if value is None or not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 100:
        text = f"{value:,.0f}"
    elif magnitude >= 1:
        text = f"{value:,.2f}"
    elif magnitude == 0:
        return "0"
    else:
        decimals = max(2, -math.floor(math.log10(magnitude)) + 2)
        text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_quantity(value: float, unit: str) -> str:
    """A number with its unit ("12.5 %" is written "12.5%")."""
    number = fmt_number(value)
    if not unit:
        return number
    return f"{number}{unit}" if unit == "%" else f"{number} {unit}"


def percent_decimals(percent: float) -> int:
    """Decimals that show a percentage: one, or for a smaller one that would round to 0 the decimals that keep
    two significant digits (0.04 %, 0.0025 %), so a variance under 0.05 % never reads as 0 %."""
    size = abs(percent)
    if size == 0 or round(size, 1) != 0:
        return 1
    return -math.floor(math.log10(size)) + 1


def is_percentage(unit: str) -> bool:
    """Whether a unit is a percentage: ``%``, or a share of something, ``% of households``."""
    unit = unit.strip()
    return unit == "%" or unit.startswith("% ")


def fmt_difference(value: float, unit: str) -> str:
    """A difference with its unit; a difference of percentages (``%``, ``% of households``) is in percentage
    points: 93% less 92.1% is 0.9 percentage points, not 0.9% (which would be 0.84 of them)."""
    if is_percentage(unit):
        return f"{fmt_number(value)} percentage points"
    return fmt_quantity(value, unit)


# --- building a Kpi from plain data --------------------------------------------------


def _to_date(value: Any, path: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64):
        return date.fromordinal(int(value.astype("datetime64[D]").astype(np.int64)) + EPOCH_ORDINAL)
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise KpiDataError(path, f"{value!r} is not a date (use YYYY-MM-DD)")


def _to_float(value: Any, path: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise KpiDataError(path, f"{value!r} is not a number")
    try:
        number = float(Decimal(value.strip()) if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError):
        raise KpiDataError(path, f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise KpiDataError(path, f"{value!r} is not a finite number")
    return number


def _optional_date(value: Any, path: str) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _to_date(value, path)


def _check_keys(data: Mapping, allowed: set[str], path: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        where = f"{path}.{unknown[0]}" if path else unknown[0]
        raise KpiDataError(where, f"unknown field; expected one of {', '.join(sorted(allowed))}")


_KPI_FIELDS = {"id", "name", "kind", "unit", "direction", "frequency", "baseline", "targets", "trajectory",
               "band", "measurements", "grace_days", "tolerance"}


def kpi_from_dict(data: Mapping[str, Any]) -> Kpi:
    """Build a :class:`Kpi` from plain data (JSON, YAML, a model's fields).

    Dates are ``date`` objects or ``YYYY-MM-DD`` strings; numbers are ints, floats,
    Decimals or numeric strings. Missing parts of a draft (a target without a date,
    no baseline) are allowed: the SMART checks report them. Malformed data raises
    :class:`KpiDataError` naming the field, e.g. ``targets[1].date: 'soon' is not a date``.
    """
    if not isinstance(data, Mapping):
        raise KpiDataError("", "a KPI is a mapping of fields")
    _check_keys(data, _KPI_FIELDS, "")

    baseline = None
    if data.get("baseline") is not None:
        b = data["baseline"]
        if not isinstance(b, Mapping):
            raise KpiDataError("baseline", "must be a mapping with value and date")
        _check_keys(b, {"value", "date"}, "baseline")
        baseline = Baseline(_to_float(b.get("value"), "baseline.value"), _optional_date(b.get("date"), "baseline.date"))

    targets = []
    for i, t in enumerate(data.get("targets") or ()):
        if not isinstance(t, Mapping):
            raise KpiDataError(f"targets[{i}]", "must be a mapping with value and date")
        _check_keys(t, {"value", "date", "label"}, f"targets[{i}]")
        targets.append(Target(_to_float(t.get("value"), f"targets[{i}].value"),
                              _optional_date(t.get("date"), f"targets[{i}].date"), str(t.get("label") or "")))

    traj = data.get("trajectory") or {}
    if isinstance(traj, str):
        traj = {"kind": traj}
    if not isinstance(traj, Mapping):
        raise KpiDataError("trajectory", "must be a kind name or a mapping with kind and points")
    _check_keys(traj, {"kind", "points"}, "trajectory")
    points = []
    for i, p in enumerate(traj.get("points") or ()):
        if not isinstance(p, Mapping):
            raise KpiDataError(f"trajectory.points[{i}]", "must be a mapping with value and date")
        _check_keys(p, {"value", "date"}, f"trajectory.points[{i}]")
        points.append(Point(_to_float(p.get("value"), f"trajectory.points[{i}].value"),
                            _optional_date(p.get("date"), f"trajectory.points[{i}].date")))
    trajectory = Trajectory(traj.get("kind") or "linear", tuple(points))

    band = None
    if data.get("band") is not None:
        bd = data["band"]
        if isinstance(bd, Mapping):
            _check_keys(bd, {"low", "high"}, "band")
            low, high = bd.get("low"), bd.get("high")
        elif isinstance(bd, (list, tuple)) and len(bd) == 2:
            low, high = bd
        else:
            raise KpiDataError("band", "must be a mapping with low and high, or a pair [low, high]")
        band = Band(_to_float(low, "band.low"), _to_float(high, "band.high"))

    tolerance = None
    if data.get("tolerance") is not None:
        tol = data["tolerance"]
        if not isinstance(tol, Mapping):
            raise KpiDataError("tolerance", "must be a mapping with on_track, at_risk and basis")
        _check_keys(tol, {"on_track", "at_risk", "basis"}, "tolerance")
        values = {k: _to_float(tol[k], f"tolerance.{k}") for k in ("on_track", "at_risk") if tol.get(k) is not None}
        if "basis" in tol:
            values["basis"] = tol["basis"]
        tolerance = Tolerance(**values)

    measurements = data.get("measurements") or ()
    if not isinstance(measurements, Measurements):
        measurements = Measurements.from_rows(measurements)

    grace = data.get("grace_days")
    if grace is not None and (isinstance(grace, bool) or not isinstance(grace, int)):
        raise KpiDataError("grace_days", f"must be a whole number of days, not {grace!r}")

    return Kpi(
        id=data.get("id"),
        name=str(data.get("name") or ""),
        kind=data.get("kind") or "outcome",
        unit=str(data.get("unit") or ""),
        direction=data.get("direction") or "higher_is_better",
        frequency=data.get("frequency") or None,
        baseline=baseline,
        targets=tuple(targets),
        trajectory=trajectory,
        band=band,
        measurements=measurements,
        grace_days=grace,
        tolerance=tolerance,
    )


__all__ = [
    "BAD", "DEFAULT_TOLERANCE", "DIRECTIONS", "FREQUENCIES", "KINDS", "QUALITY_CODES", "QUALITY_FLAGS",
    "TRAJECTORY_KINDS", "Band", "Baseline", "Frequency", "Kpi", "KpiDataError", "Measurements", "Point",
    "Target", "Tolerance", "Trajectory", "add_months", "band_distance", "fmt_difference", "fmt_number", "fmt_quantity",
    "goodness", "is_percentage", "kpi_from_dict", "next_due",
]
