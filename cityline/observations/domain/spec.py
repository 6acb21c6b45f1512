"""KPI computation specs: a declarative description of how a KPI value is computed from readings (issue 6).

A spec (JSON in the database, YAML in the city pack) is one aggregation, or the ratio of two::

    {"version": 1,
     "value": {"series": {"group": "air", "attribute": "pm25"},
               "where": {"quality": ["ok"], "hours": [7, 19]},
               "function": "mean"},
     "group_by": "district", "combine": "max",
     "scale": 1}

    {"version": 1,
     "ratio": {"numerator":   {"series": {"keys": ["trips-bus"]}, "function": "sum"},
               "denominator": {"series": {"keys": ["trips-all"]}, "function": "sum"}},
     "scale": 100}

- ``series`` selects series by any of ``keys``, ``group``, ``entity_type``, ``attribute``, ``district``,
  ``organisation`` (all given must match; lists mean "any of").
- ``where`` filters readings: ``quality`` (flags kept; a reading without a flag counts as ``ok``),
  ``min_value`` / ``max_value`` (inclusive), ``hours`` ``[from, to)`` of the day in UTC,
  ``weekdays`` (ISO 1 = Monday ... 7 = Sunday).
- ``function``: ``mean``, ``sum``, ``count``, ``min``, ``max``, ``percentile`` (with ``percentile``
  between 0 and 1, linear interpolation), ``share_above`` (share of time above ``threshold``: each
  reading holds until the next one of its series, for at most ``max_gap_seconds``), and
  ``distinct_count`` (of ``of``: ``series`` or ``day``). ``weighted: true`` makes ``mean`` a mean
  weighted by each series' ``weight`` (e.g. population-weighted exposure).
- ``group_by`` (``district``, ``organisation`` or ``series``) computes the aggregation per group and
  ``combine`` (``mean``, ``min``, ``max``, ``sum``) makes one value of them; a ratio is grouped the
  same way on both sides.
- ``scale`` multiplies the result (e.g. 100 for a percentage).

The period is the KPI's: one value per day, week, month, quarter or year of its frequency.

Plain Python (no Django): :func:`parse` checks a spec and names the field at fault
(``value.function: ...``); :mod:`cityline.observations.domain.sql` compiles a parsed spec to SQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

VERSION = 1
FUNCTIONS = ("mean", "sum", "count", "min", "max", "percentile", "share_above", "distinct_count")
GROUP_BY = ("district", "organisation", "series")
COMBINE = ("mean", "min", "max", "sum")
SELECTORS = ("keys", "group", "entity_type", "attribute", "district", "organisation")
DISTINCT_OF = ("series", "day")


class SpecError(ValueError):
    """A spec that cannot be computed; the message starts with the path of the field at fault."""

    def __init__(self, path: str, problem: str):
        self.path, self.problem = path, problem
        super().__init__(f"{path}: {problem}" if path else problem)


@dataclass(frozen=True)
class Selection:
    keys: tuple[str, ...] = ()
    group: tuple[str, ...] = ()
    entity_type: tuple[str, ...] = ()
    attribute: tuple[str, ...] = ()
    district: tuple[str, ...] = ()
    organisation: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filters:
    quality: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    hours: tuple[int, int] | None = None
    weekdays: tuple[int, ...] = ()


@dataclass(frozen=True)
class Aggregation:
    series: Selection
    function: str
    where: Filters = field(default_factory=Filters)
    percentile: float | None = None
    threshold: float | None = None
    max_gap_seconds: int = 3600
    of: str = "series"
    weighted: bool = False


@dataclass(frozen=True)
class Spec:
    value: Aggregation | None = None
    numerator: Aggregation | None = None
    denominator: Aggregation | None = None
    group_by: str | None = None
    combine: str = "mean"
    scale: float = 1.0

    @property
    def is_ratio(self) -> bool:
        return self.numerator is not None

    def aggregations(self) -> list[Aggregation]:
        return [self.value] if self.value is not None else [self.numerator, self.denominator]


def _strings(value: Any, path: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise SpecError(path, "a name or a non-empty list of names")
    return tuple(value)


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(path, f"a number, not {value!r}")
    if not math.isfinite(value):  # JSON readers accept Infinity and NaN; SQL cannot compute with them
        raise SpecError(path, f"a finite number, not {value!r}")
    return float(value)


def _only(data: dict, allowed: tuple[str, ...], path: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        prefix = f"{path}." if path else ""
        raise SpecError(f"{prefix}{unknown[0]}", f"unknown field; the fields are {', '.join(allowed)}")


def _mapping(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise SpecError(path, "an object (mapping) expected")
    return value


def _selection(data: Any, path: str) -> Selection:
    data = _mapping(data, path)
    _only(data, SELECTORS, path)
    if not data:
        raise SpecError(path, f"select series by at least one of {', '.join(SELECTORS)}")
    return Selection(**{name: _strings(value, f"{path}.{name}") for name, value in data.items()})


def _filters(data: Any, path: str) -> Filters:
    data = _mapping(data, path)
    _only(data, ("quality", "min_value", "max_value", "hours", "weekdays"), path)
    out: dict[str, Any] = {}
    if "quality" in data:
        out["quality"] = _strings(data["quality"], f"{path}.quality")
    for name in ("min_value", "max_value"):
        if name in data:
            out[name] = _number(data[name], f"{path}.{name}")
    if "min_value" in out and "max_value" in out and out["min_value"] > out["max_value"]:
        raise SpecError(f"{path}.min_value", "is above max_value")
    if "hours" in data:
        hours = data["hours"]
        if (not isinstance(hours, list) or len(hours) != 2 or not all(isinstance(h, int) and not isinstance(h, bool)
                                                                       for h in hours)
                or not 0 <= hours[0] < hours[1] <= 24):
            raise SpecError(f"{path}.hours", "[from, to) hours of the day, 0 <= from < to <= 24")
        out["hours"] = (hours[0], hours[1])
    if "weekdays" in data:
        days = data["weekdays"]
        if (not isinstance(days, list) or not days
                or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in days)):
            raise SpecError(f"{path}.weekdays", "a list of ISO weekdays, 1 (Monday) to 7 (Sunday)")
        out["weekdays"] = tuple(sorted(set(days)))
    return Filters(**out)


def _aggregation(data: Any, path: str) -> Aggregation:
    data = _mapping(data, path)
    _only(data, ("series", "where", "function", "percentile", "threshold", "max_gap_seconds", "of", "weighted"),
          path)
    if "series" not in data:
        raise SpecError(f"{path}.series", "missing: which series feed the KPI")
    function = data.get("function")
    if function not in FUNCTIONS:
        raise SpecError(f"{path}.function", f"{function!r} is not one of {', '.join(FUNCTIONS)}")
    out: dict[str, Any] = {"series": _selection(data["series"], f"{path}.series"), "function": function}
    if "where" in data:
        out["where"] = _filters(data["where"], f"{path}.where")
    if function == "percentile":
        if "percentile" not in data:
            raise SpecError(f"{path}.percentile", "missing: which percentile (0 to 1, e.g. 0.95)")
        p = _number(data["percentile"], f"{path}.percentile")
        if not 0 <= p <= 1:
            raise SpecError(f"{path}.percentile", "between 0 and 1 (e.g. 0.95)")
        out["percentile"] = p
    elif "percentile" in data:
        raise SpecError(f"{path}.percentile", "only for the function percentile")
    if function == "share_above":
        if "threshold" not in data:
            raise SpecError(f"{path}.threshold", "missing: the value above which time counts")
        out["threshold"] = _number(data["threshold"], f"{path}.threshold")
        if "max_gap_seconds" in data:
            gap = data["max_gap_seconds"]
            if isinstance(gap, bool) or not isinstance(gap, int) or gap <= 0:
                raise SpecError(f"{path}.max_gap_seconds", "a whole number of seconds above 0")
            out["max_gap_seconds"] = gap
    else:
        for name in ("threshold", "max_gap_seconds"):
            if name in data:
                raise SpecError(f"{path}.{name}", "only for the function share_above")
    if function == "distinct_count":
        of = data.get("of", "series")
        if of not in DISTINCT_OF:
            raise SpecError(f"{path}.of", f"{of!r} is not one of {', '.join(DISTINCT_OF)}")
        out["of"] = of
    elif "of" in data:
        raise SpecError(f"{path}.of", "only for the function distinct_count")
    if "weighted" in data:
        if not isinstance(data["weighted"], bool):
            raise SpecError(f"{path}.weighted", "true or false")
        if data["weighted"] and function != "mean":
            raise SpecError(f"{path}.weighted", "only a mean can be weighted")
        out["weighted"] = data["weighted"]
    return Aggregation(**out)


def parse(data: Any) -> Spec:
    """A checked :class:`Spec`, or :class:`SpecError` naming the field."""
    data = _mapping(data, "")
    _only(data, ("version", "value", "ratio", "group_by", "combine", "scale"), "")
    version = data.get("version", VERSION)
    if version != VERSION:
        raise SpecError("version", f"this Cityline reads spec version {VERSION}, not {version!r}")
    if ("value" in data) == ("ratio" in data):
        raise SpecError("value", "give either value (one aggregation) or ratio (numerator and denominator)")
    out: dict[str, Any] = {}
    if "value" in data:
        out["value"] = _aggregation(data["value"], "value")
    else:
        ratio = _mapping(data["ratio"], "ratio")
        _only(ratio, ("numerator", "denominator"), "ratio")
        for side in ("numerator", "denominator"):
            if side not in ratio:
                raise SpecError(f"ratio.{side}", "missing")
            out[side] = _aggregation(ratio[side], f"ratio.{side}")
    if data.get("group_by") is not None:
        if data["group_by"] not in GROUP_BY:
            raise SpecError("group_by", f"{data['group_by']!r} is not one of {', '.join(GROUP_BY)}")
        out["group_by"] = data["group_by"]
    if "combine" in data:
        if "group_by" not in out:
            raise SpecError("combine", "only with group_by")
        if data["combine"] not in COMBINE:
            raise SpecError("combine", f"{data['combine']!r} is not one of {', '.join(COMBINE)}")
        out["combine"] = data["combine"]
    if "scale" in data:
        out["scale"] = _number(data["scale"], "scale")
    return Spec(**out)
