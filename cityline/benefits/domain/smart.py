"""SMART checks of a KPI's baseline, targets and trajectory (C2.a, C2.b).

Each finding has a stable ``code`` (for filters, translations and tests), a
``severity`` — ``error`` when a target is not SMART or the plan cannot be built from
it, ``warning`` when tracking is weaker than it should be — the ``field`` it is
about, a plain-language ``message`` and the recommendation it serves.

Rules (docs/benefits/kpi-status.md lists them with examples):

======================== ======== =======================================================
code                     severity what it finds
======================== ======== =======================================================
no_baseline              error    no baseline at all (C2.a)
baseline_no_value        error    a baseline date without a number
baseline_no_date         error    a baseline number without a date
no_target                error    no target at all
target_no_value          error    a target without a number (not measurable)
target_no_date           error    a target without a date (not time-bound)
target_before_baseline   error    a target dated on or before the baseline
duplicate_target_date    error    two targets for the same date
target_equals_baseline   error    a target that only repeats the baseline
target_not_better        error    a target worse than the baseline, given the direction
target_less_ambitious    warning  a later target worse than an earlier one
band_missing             error    a target-band KPI without a complete band
band_inverted            error    a band whose low end is above its high end
band_unused              warning  a band on a KPI whose direction is not target_band
target_outside_band      error    a target-band KPI's target outside its own band
no_unit                  warning  no unit of measure
no_frequency             warning  no frequency, so overdue data cannot be detected (C2.f)
points_ignored           warning  intermediate points on a linear trajectory
custom_without_points    warning  a custom trajectory with no points (it acts as linear)
point_incomplete         warning  a trajectory point missing its number or date
point_outside_plan       warning  a trajectory point outside the baseline–last target span
======================== ======== =======================================================
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from .kpi import Kpi, fmt_quantity

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    field: str
    message: str
    recommendation: str

    def as_dict(self) -> dict:
        return asdict(self)


def _ordinal(n: int) -> str:
    return f"target {n + 1}"


def smart_findings(kpi: Kpi) -> list[Finding]:
    """Everything that keeps the KPI's targets from being SMART or its plan from being tracked.

    An empty list means the baseline, targets and trajectory are complete and coherent.
    """
    found: list[Finding] = []

    def add(code, severity, field_path, message, rec="C2.b"):
        found.append(Finding(code, severity, field_path, message, rec))

    unit = kpi.unit
    q = lambda v: fmt_quantity(v, unit)  # noqa: E731 - tiny formatter

    # Baseline (C2.a)
    base = kpi.baseline
    if base is None or (base.value is None and base.date is None):
        add("no_baseline", ERROR, "baseline",
            "There is no baseline: record the value at the start and its date, so progress can be measured against it.", "C2.a")
    elif base.value is None:
        add("baseline_no_value", ERROR, "baseline.value", "The baseline has a date but no value.", "C2.a")
    elif base.date is None:
        add("baseline_no_date", ERROR, "baseline.date", "The baseline has a value but no date: say when it was measured.", "C2.a")
    base_ok = base is not None and base.complete

    # Band
    is_band = kpi.direction == "target_band"
    band_ok = False
    if is_band:
        if kpi.band is None or kpi.band.low is None or kpi.band.high is None:
            add("band_missing", ERROR, "band", "A target-band KPI needs both ends of its band (low and high).")
        elif kpi.band.low > kpi.band.high:
            add("band_inverted", ERROR, "band",
                f"The band's low end ({q(kpi.band.low)}) is above its high end ({q(kpi.band.high)}).")
        else:
            band_ok = True
    elif kpi.band is not None:
        add("band_unused", WARNING, "band",
            "A band is set but the direction is not target_band, so the band is ignored.")

    # Targets
    if not kpi.targets:
        add("no_target", ERROR, "targets", "There is no target: say what value is to be reached, and by when.")
    seen_dates: dict[date, int] = {}
    for i, t in enumerate(kpi.targets):
        name = _ordinal(i)
        if t.value is None:
            add("target_no_value", ERROR, f"targets[{i}].value",
                f"{name.capitalize()} has no number: say what value is to be reached (measurable).")
        if t.date is None:
            add("target_no_date", ERROR, f"targets[{i}].date",
                f"{name.capitalize()} has no date: say by when it is to be reached (time-bound).")
        if t.date is not None:
            if t.date in seen_dates:
                add("duplicate_target_date", ERROR, f"targets[{i}].date",
                    f"{name.capitalize()} has the same date ({t.date.isoformat()}) as target {seen_dates[t.date] + 1}.")
            else:
                seen_dates[t.date] = i
            if base_ok and t.date <= base.date:
                add("target_before_baseline", ERROR, f"targets[{i}].date",
                    f"{name.capitalize()} is dated {t.date.isoformat()}, not after the baseline "
                    f"({base.date.isoformat()}); it is left out of the trajectory.")
        if t.value is not None and is_band and band_ok and not (kpi.band.low <= t.value <= kpi.band.high):
            add("target_outside_band", ERROR, f"targets[{i}].value",
                f"{name.capitalize()} ({q(t.value)}) lies outside the band "
                f"{q(kpi.band.low)} to {q(kpi.band.high)}.")

    # Ambition: each target against the baseline, and later targets against earlier ones.
    if not is_band:
        sign = 1 if kpi.direction == "higher_is_better" else -1
        better = "higher" if sign == 1 else "lower"
        if base_ok:
            for i, t in enumerate(kpi.targets):
                if t.value is None or (t.date is not None and t.date <= base.date):
                    continue
                if t.value == base.value:
                    add("target_equals_baseline", ERROR, f"targets[{i}].value",
                        f"{_ordinal(i).capitalize()} ({q(t.value)}) is the same as the baseline: "
                        f"it does not ask for any change (specific).")
                elif sign * (t.value - base.value) < 0:
                    add("target_not_better", ERROR, f"targets[{i}].value",
                        f"{_ordinal(i).capitalize()} ({q(t.value)}) is worse than the baseline ({q(base.value)}): "
                        f"for this KPI {better} is better.")
        dated = sorted(((t.date, i, t.value) for i, t in enumerate(kpi.targets) if t.complete), key=lambda x: (x[0], x[1]))
        best = None
        for when, i, value in dated:
            if best is not None and sign * (value - best[1]) < 0:
                add("target_less_ambitious", WARNING, f"targets[{i}].value",
                    f"{_ordinal(i).capitalize()} ({q(value)} by {when.isoformat()}) is less ambitious than "
                    f"target {best[0] + 1} ({q(best[1])}), which comes earlier.")
            if best is None or sign * (value - best[1]) > 0:
                best = (i, value)

    # Unit and frequency
    if not unit.strip():
        add("no_unit", WARNING, "unit", "There is no unit: say what the number counts or measures.", "C2.d")
    if not kpi.frequency:
        add("no_frequency", WARNING, "frequency",
            "There is no frequency, so late data cannot be flagged: say how often a new value is expected.", "C2.f")

    # Trajectory
    traj = kpi.trajectory
    if traj.kind == "linear" and traj.points:
        add("points_ignored", WARNING, "trajectory.points",
            "A linear trajectory runs straight between baseline and targets, so its points are ignored; "
            "choose stepped or custom to use them.")
    if traj.kind == "custom" and not traj.points:
        add("custom_without_points", WARNING, "trajectory.points",
            "A custom trajectory has no points, so it runs straight like a linear one.")
    if traj.kind in ("stepped", "custom"):
        complete_targets = [t.date for t in kpi.targets if t.complete and (not base_ok or t.date > base.date)]
        start = base.date if base_ok else (min(complete_targets) if complete_targets else None)
        end = max(complete_targets) if complete_targets else None
        for i, p in enumerate(traj.points):
            if not p.complete:
                add("point_incomplete", WARNING, f"trajectory.points[{i}]",
                    f"Trajectory point {i + 1} needs both a number and a date; it is ignored.")
            elif start is not None and end is not None and not (start < p.date < end):
                add("point_outside_plan", WARNING, f"trajectory.points[{i}].date",
                    f"Trajectory point {i + 1} ({p.date.isoformat()}) is outside the plan, which runs from "
                    f"{start.isoformat()} to {end.isoformat()}; it is ignored.")
    return found


def is_smart(kpi: Kpi) -> bool:
    """True when no SMART check reports an error (warnings allowed)."""
    return not any(f.severity == ERROR for f in smart_findings(kpi))
