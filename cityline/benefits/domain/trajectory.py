"""The planned path of a KPI from its baseline to its targets (C2.b).

The plan is a list of knots (date, value):

* the baseline, when it has both a value and a date (C2.a);
* every complete target (a number and a date) dated after the baseline, in date order;
* for ``stepped`` and ``custom`` trajectories, the intermediate ``points`` that fall
  strictly between the first knot and the last target (others are ignored and the
  SMART checks say so).

``expected(kpi, day)`` reads the plan: before the first knot it is the first knot's
value (the plan has not started), after the last target it is the last target's
value (the target is to be held), and in between it is interpolated in a straight
line (``linear``, ``custom``) or held at the last milestone reached (``stepped``).
A KPI without a baseline starts its plan at its first target. A KPI without any
complete target has no plan: ``expected`` returns ``None``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .kpi import Kpi


@dataclass(frozen=True)
class Knot:
    """One point of the plan; ``source`` is ``baseline``, ``target`` or ``point``."""

    date: date
    value: float
    source: str


def plan(kpi: Kpi) -> list[Knot]:
    """The knots of the KPI's planned trajectory, in date order (empty when there is no complete target)."""
    start = kpi.baseline if kpi.baseline is not None and kpi.baseline.complete else None
    seen: set[date] = set()
    targets: list[Knot] = []
    for t in sorted((t for t in kpi.targets if t.complete), key=lambda t: t.date):
        if (start is not None and t.date <= start.date) or t.date in seen:
            continue
        seen.add(t.date)
        targets.append(Knot(t.date, float(t.value), "target"))
    if not targets:
        return []
    knots = [Knot(start.date, float(start.value), "baseline")] if start is not None else []
    if kpi.trajectory.kind in ("stepped", "custom"):
        first, last = (knots[0] if knots else targets[0]).date, targets[-1].date
        for p in kpi.trajectory.points:
            if p.complete and first < p.date < last and p.date not in seen:
                seen.add(p.date)
                targets.append(Knot(p.date, float(p.value), "point"))
        targets.sort(key=lambda k: k.date)
    return knots + targets


class Plan:
    """A compiled plan for fast repeated reads (the batch status uses it)."""

    __slots__ = ("days", "values", "stepped", "knots")

    def __init__(self, kpi: Kpi):
        self.knots = plan(kpi)
        self.days = [k.date.toordinal() for k in self.knots]
        self.values = [k.value for k in self.knots]
        self.stepped = kpi.trajectory.kind == "stepped"

    def __bool__(self) -> bool:
        return bool(self.knots)

    def at(self, day: int) -> float | None:
        """Expected value on ordinal day ``day``."""
        days, values = self.days, self.values
        if not days:
            return None
        if day <= days[0]:
            return values[0]
        if day >= days[-1]:
            return values[-1]
        i = bisect.bisect_right(days, day)  # days[i-1] <= day < days[i]
        if self.stepped or days[i - 1] == day:
            return values[i - 1]
        d0, d1, v0, v1 = days[i - 1], days[i], values[i - 1], values[i]
        return v0 + (v1 - v0) * (day - d0) / (d1 - d0)


def expected(kpi: Kpi, on_date: date) -> float | None:
    """The value the plan expects on ``on_date`` (``None`` when the KPI has no complete target)."""
    return Plan(kpi).at(on_date.toordinal())


def expected_series(kpi: Kpi, dates: Iterable[date]) -> list[float | None]:
    """The plan read at many dates (for a chart's trajectory line)."""
    compiled = Plan(kpi)
    return [compiled.at(d.toordinal()) for d in dates]


def final_target(kpi: Kpi) -> Knot | None:
    """The last target of the plan (the one that counts after its date)."""
    knots = [k for k in plan(kpi) if k.source == "target"]
    return knots[-1] if knots else None
