"""KPI status on any date: expected value, latest actual, variance and a traffic light (C2.b, C2.f, C3.d).

The rules, in the order they are applied (docs/benefits/kpi-status.md has worked examples):

1. **no_target** — the KPI has no complete target (a number and a date after the
   baseline), so there is no plan to be on track against.
2. **no_data** — no usable measurement with a period end on or before the date
   (values flagged ``bad`` do not count).
3. The **latest usable value** is compared with what the plan expected *for its own
   period end* (not for the report date: a March value is judged against March's
   plan). The variance is signed so that a positive number means better than planned:
   ``actual - expected`` when higher is better, ``expected - actual`` when lower is
   better, and for a target band the change in distance to the band (0 inside it).
   The relative variance divides it by a scale: the planned value (``basis="expected"``,
   the default), the whole planned change from baseline to final target
   (``basis="change"``), or the band's width for target-band KPIs; when the chosen
   scale is zero the other one is used, and when both are zero the variance is judged
   as it is (no worse than planned is on track, anything worse off track).
4. The rating: no more than ``tolerance.on_track`` worse than planned (default 5 %) is
   **on_track**, no more than ``tolerance.at_risk`` worse (default 15 %) **at_risk**,
   anything worse **off_track**. Being better than planned is always on track; a value
   exactly on a boundary gets the better status.
5. **data_overdue** replaces the rating when the next value was due and has not come:
   the report date is after the latest period end plus one period of the KPI's
   frequency plus its grace period (defaults in :data:`.kpi.FREQUENCIES`). The rating
   of the last value is kept in ``rating`` so a page can show both.

Before the baseline date the plan expects the baseline value; after the final target
date it expects the final target to be held. Measurements after the report date are
ignored, so any past date can be replayed. A tolerance set on the KPI overrides the
one passed to the functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date

import numpy as np

from .kpi import (
    DEFAULT_TOLERANCE, FREQUENCIES, QUALITY_FLAGS, Kpi, Tolerance, fmt_quantity, goodness, next_due, percent_decimals,
)
from .trajectory import Plan

STATUSES = ("on_track", "at_risk", "off_track", "no_data", "data_overdue", "no_target")
#: Statuses that rate a value against the plan.
RATINGS = ("on_track", "at_risk", "off_track")
LABELS = {
    "on_track": "On track", "at_risk": "At risk", "off_track": "Off track",
    "no_data": "No data", "data_overdue": "Data overdue", "no_target": "No target",
}
#: Slack on relative comparisons so that a value exactly on a boundary is not lost to rounding.
EPS = 1e-9


@dataclass(frozen=True)
class KpiStatus:
    """Status of one KPI on one date. Plain data: ``as_dict()`` for JSON."""

    kpi_id: object
    on_date: date
    status: str
    reason: str
    #: on_track / at_risk / off_track for the latest value (kept when the status is data_overdue), else None.
    rating: str | None = None
    #: the plan's value on ``on_date``
    expected: float | None = None
    #: the latest usable value, its period end and quality flag
    actual: float | None = None
    actual_date: date | None = None
    actual_quality: str | None = None
    #: the plan's value for the latest value's period end, and the variance against it
    expected_at_actual: float | None = None
    variance: float | None = None
    relative_variance: float | None = None
    #: after this date the next value is overdue (None without a frequency)
    next_due: date | None = None

    @property
    def label(self) -> str:
        return LABELS[self.status]

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("on_date", "actual_date", "next_due"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        data["label"] = self.label
        return data


def variance(kpi: Kpi, actual: float, planned: float, tolerance: Tolerance | None = None) -> tuple[float, float | None]:
    """Signed variance of ``actual`` against ``planned``: (absolute, relative), positive = better than planned.

    The relative variance is ``None`` when no non-zero scale exists (see the module rules).
    """
    tol = kpi.tolerance or tolerance or DEFAULT_TOLERANCE
    absolute = goodness(kpi.direction, actual, kpi.band) - goodness(kpi.direction, planned, kpi.band)
    scale = _scale(kpi, planned, tol, Plan(kpi))
    return absolute, (absolute / scale if scale else None)


def rate(absolute: float, relative: float | None, tolerance: Tolerance) -> str:
    """on_track / at_risk / off_track from a signed variance (boundaries count as the better status)."""
    if relative is None:
        return "on_track" if absolute >= -EPS * max(1.0, abs(absolute)) else "off_track"
    if relative >= -tolerance.on_track - EPS:
        return "on_track"
    if relative >= -tolerance.at_risk - EPS:
        return "at_risk"
    return "off_track"


def status(kpi: Kpi, on_date: date, tolerance: Tolerance | None = None) -> KpiStatus:
    """The status of one KPI on ``on_date`` (see the module docstring for the rules)."""
    return _status(kpi, on_date, on_date.toordinal(), tolerance or DEFAULT_TOLERANCE)


def status_many(kpis: Iterable[Kpi], on_date: date, tolerance: Tolerance | None = None) -> list[KpiStatus]:
    """The status of many KPIs on the same date, in the same order (10,000 KPIs take well under a second)."""
    day = on_date.toordinal()
    tol = tolerance or DEFAULT_TOLERANCE
    return [_status(kpi, on_date, day, tol) for kpi in kpis]


# --- internals ---------------------------------------------------------------------


def _scale(kpi: Kpi, planned: float, tol: Tolerance, compiled: Plan) -> float | None:
    if kpi.direction == "target_band":
        width = kpi.band.high - kpi.band.low
        return width or abs((kpi.band.high + kpi.band.low) / 2) or None
    span = abs(compiled.values[-1] - compiled.values[0]) if compiled else 0.0
    first, second = (abs(planned), span) if tol.basis == "expected" else (span, abs(planned))
    return first or second or None


def _pct(x: float) -> str:
    """A fraction as an unsigned percentage: 12.3%, 5%, and 0.0025% rather than 0% (see ``percent_decimals``)."""
    size = abs(x) * 100
    return f"{size:.{percent_decimals(size)}f}".rstrip("0").rstrip(".") + "%"


def _tolerance_phrase(rating: str, tol: Tolerance, relative: float | None) -> str:
    if relative is None:
        return "no worse than planned" if rating == "on_track" else "worse than planned"
    if relative >= 0:
        return "better than planned" if relative > EPS else "as planned"
    if rating == "on_track":
        return f"within the {_pct(tol.on_track)} on-track tolerance"
    if rating == "at_risk":
        return f"beyond the {_pct(tol.on_track)} on-track tolerance, within the {_pct(tol.at_risk)} at-risk tolerance"
    return f"beyond the {_pct(tol.at_risk)} at-risk tolerance"


def _status(kpi: Kpi, on_date: date, day: int, default_tol: Tolerance) -> KpiStatus:
    tol = kpi.tolerance or default_tol
    compiled = Plan(kpi)
    unit = kpi.unit
    band_ok = kpi.direction != "target_band" or (kpi.band is not None and kpi.band.valid)
    expected_now = compiled.at(day)

    m = kpi.measurements
    end = int(np.searchsorted(m.usable_dates, day, side="right"))
    if end:
        actual = float(m.usable_values[end - 1])
        actual_day = int(m.usable_dates[end - 1])
        actual_date = date.fromordinal(actual_day)
        quality = QUALITY_FLAGS[int(m.usable_quality[end - 1])]
        due = next_due(kpi, actual_date)
    else:
        actual = actual_date = quality = None
        due = next_due(kpi, kpi.baseline.date) if kpi.baseline is not None and kpi.baseline.date else None
    common = dict(kpi_id=kpi.id, on_date=on_date, expected=expected_now, actual=actual,
                  actual_date=actual_date, actual_quality=quality, next_due=due)

    if not compiled or not band_ok:
        why = ("the target band is incomplete" if not band_ok
               else "there is no complete target (a number and a date after the baseline)")
        reason = f"No target: {why}, so there is nothing to be on track against."
        if actual is not None:
            reason += f" Latest value: {fmt_quantity(actual, unit)} on {actual_date.isoformat()}."
        return KpiStatus(status="no_target", reason=reason, **common)

    if actual is None:
        recorded = int(np.searchsorted(m.dates, day, side="right"))
        if recorded:
            reason = f"No data: all {recorded} value(s) recorded so far are flagged bad, so none can be used."
        else:
            reason = "No data: no value has been recorded yet."
        if due is not None and day > due.toordinal():
            reason += f" The first value was due by {due.isoformat()}."
        return KpiStatus(status="no_data", reason=reason, **common)

    planned = compiled.at(actual_day)
    absolute = goodness(kpi.direction, actual, kpi.band) - goodness(kpi.direction, planned, kpi.band)
    scale = _scale(kpi, planned, tol, compiled)
    relative = absolute / scale if scale else None
    rating = rate(absolute, relative, tol)

    what = f"{fmt_quantity(actual, unit)} on {actual_date.isoformat()}"
    if kpi.direction == "target_band":
        low, high = kpi.band.low, kpi.band.high
        where = "inside" if low <= actual <= high else ("below" if actual < low else "above")
        text = f"{what} is {where} the band {fmt_quantity(low, unit)} to {fmt_quantity(high, unit)}"
        if not (low <= planned <= high):
            text += f"; the plan expected {fmt_quantity(planned, unit)} by then"
    else:
        text = f"{what} against {fmt_quantity(planned, unit)} planned"
    if relative is not None and abs(relative) > EPS:
        text += f" ({_pct(relative)} {'better' if relative > 0 else 'worse'} than planned"
        if kpi.direction == "target_band":
            text += " as a share of the band's width"
        text += ")"
    text += f": {_tolerance_phrase(rating, tol, relative)}."
    if quality in ("provisional", "estimated"):
        text += f" The value is {quality}."
    if actual_day > compiled.days[-1]:
        text += f" The final target date ({compiled.knots[-1].date.isoformat()}) has passed; the value is judged against the target itself."

    values = dict(rating=rating, expected_at_actual=planned, variance=absolute, relative_variance=relative)
    if due is not None and day > due.toordinal():
        freq = FREQUENCIES[kpi.frequency]
        reason = (f"Data overdue: the latest value is for the period ending {actual_date.isoformat()}; "
                  f"with a {freq.name} frequency and {kpi.effective_grace_days} days' grace the next one was due by "
                  f"{due.isoformat()}. The latest value was {LABELS[rating].lower()}: {text}")
        return KpiStatus(status="data_overdue", reason=reason, **common, **values)
    return KpiStatus(status=rating, reason=f"{LABELS[rating]}: {text}", **common, **values)
