"""Maturity: scores per component, five levels defined in our own words, and the gap ranking.

Plain data in, plain data out (no Django): a *result* here is any mapping with ``id`` and
``outcome`` (``registry.Result.as_dict()`` or a snapshot row), so the same functions work on a
live assessment and on a stored snapshot.

Scores (ISO/TS 37107 reads maturity per capability): met counts 1, partly met 0.5, not met 0;
not applicable is left out. A component's score is the mean over its applicable rules; the
overall score is the mean over every applicable rule (so big components weigh more).

Levels (our own definitions, documented in ``docs/assessment.md``):

1. **Ad hoc** — smart-city work happens in isolated projects; nothing is required.
2. **Initiated** — the foundations are written down: a score of at least 0.25 and the
   component's foundation rules met (e.g. for C: a benefit map, C1, and baselines, C2.a).
3. **Managed** — the component is run as a programme: score ≥ 0.5 and its management rules met.
4. **Integrated** — the component works across the city and with the other components:
   score ≥ 0.75 and its integration rules met.
5. **Optimised** — the component is measured and improved continuously: score ≥ 0.95 and no
   rule of the component is left not met.

Levels are cumulative: a city reaches level *n* only when it also meets every criterion of the
levels below. A required rule counts when it is met or not applicable. A component with no
applicable rule is *not assessed* (level ``None``); the overall level is the lowest level of the
assessed components (a chain is as strong as its weakest link).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MET, PARTLY_MET, NOT_MET, NOT_APPLICABLE = "met", "partly_met", "not_met", "not_applicable"
SCORES = {MET: 1.0, PARTLY_MET: 0.5, NOT_MET: 0.0}
COMPONENTS = ("A", "B-strategy", "B-service", "B-resource", "C", "D")
LEVELS = (1, 2, 3, 4, 5)
LEVEL_NAMES = {1: "ad hoc", 2: "initiated", 3: "managed", 4: "integrated", 5: "optimised"}
#: The minimum component score for each level above 1.
MIN_SCORE = {1: 0.0, 2: 0.25, 3: 0.5, 4: 0.75, 5: 0.95}

#: Rules that must be met (or not applicable) for a component to reach a level, on top of the
#: score; each level's list adds to the lists below it (cumulative, see :func:`required`).
KEY_RULES: dict[str, dict[int, tuple[str, ...]]] = {
    # principles: a vision principle agreed, then the reference principles used, then all four themes
    "A": {2: ("A.1.1",), 3: ("A.2",), 4: ("A.1.2", "A.1.3", "A.1.4")},
    # strategy: a vision aligned with the purposes, then measurable with a lead and a roadmap,
    # then governance bodies, engagement and a city-wide procurement view
    "B-strategy": {2: ("B1.a",), 3: ("B1.f", "B2.a", "B7.a"), 4: ("B2.c", "B3.a", "B4.a")},
    # services: services built around needs, then the channel audit, then open city data
    "B-service": {2: ("B9.a",), 3: ("B11.a",), 4: ("B8", "B9.b")},
    # resources: developments plan smart from the outset, then an architecture, then IT assets governed
    "B-resource": {2: ("B12.a",), 3: ("B14",), 4: ("B13",)},
    # benefits: a benefit map and baselines, then SMART targets and a KPI framework, then owners and reporting
    "C": {2: ("C1", "C2.a"), 3: ("C2.b", "C2.c"), 4: ("C3.a", "C2.f")},
    # risks: a single recommendation; the register must be fully in place from level 3
    "D": {3: ("D.1",)},
}

#: Recommendations a gap holds back: a not-met (or partly met) rule whose ID is a prerequisite of
#: others. Patterns end in ``*`` for "every ID starting with". Documented in docs/assessment.md.
DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "A.1.1": ("B1.a",),                          # the vision principle comes before the vision
    "A.2": ("A.1.*",),                           # the reference principles are the starting point
    "B1.a": ("B1.b", "B1.c", "B1.d", "B1.e"),    # a vision before its qualities
    "B1.f": ("C2.a", "C2.b"),                    # measurable outcomes before baselines and targets
    "B2.a": ("B2.b", "B2.c", "B2.d"),            # a lead before the team and the bodies around them
    "B7.a": ("B7.b", "B7.c", "B7.d", "B7.e"),    # a phased roadmap before what it prioritises
    "B9.a": ("B9.b", "B9.c"),                    # one-stop services before segments and franchises
    "B11.a": ("B11.b.*",),                       # the channel audit before the channel roadmap
    "B13": ("B14",),                             # the IT asset map before the architecture
    "C1": ("C2.*", "C3.*"),                      # the benefit map before tracking and delivery
    "C2.c": ("C2.d", "C2.f", "C2.g"),            # KPIs before their methods, reporting and reuse
    "C3.a": ("C3.b", "C3.c"),                    # owners before their plans and risk management
}

EFFORTS = ("low", "medium", "high")


def _matches(pattern: str, rid: str) -> bool:
    return rid.startswith(pattern[:-1]) if pattern.endswith("*") else rid == pattern


def blocked(rid: str, ids: Iterable[str]) -> list[str]:
    """The recommendation IDs among ``ids`` that ``rid`` is a prerequisite of (itself excluded)."""
    patterns = DEPENDENCIES.get(rid, ())
    return [i for i in ids if i != rid and any(_matches(p, i) for p in patterns)]


def score(results: Iterable[Mapping[str, Any]]) -> float | None:
    """Mean points of the applicable results (met 1, partly met 0.5, not met 0); ``None`` when none applies."""
    points = [SCORES[r["outcome"]] for r in results if r["outcome"] in SCORES]
    return sum(points) / len(points) if points else None


def required(component: str, level: int) -> tuple[str, ...]:
    """Every rule that must be met for ``component`` to reach ``level`` (the lower levels' rules included)."""
    out: list[str] = []
    for lv in LEVELS:
        if lv > level:
            break
        out += KEY_RULES.get(component, {}).get(lv, ())
    return tuple(out)


@dataclass
class Cell:
    """One cell of the component × level matrix."""

    level: int
    reached: bool
    #: what stands between the component and this level: rule IDs not met, and "score" if too low
    missing: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "name": LEVEL_NAMES[self.level], "reached": self.reached,
                "missing": list(self.missing)}


@dataclass
class ComponentMaturity:
    component: str
    score: float | None
    level: int | None
    counts: dict[str, int]
    cells: list[Cell]

    def as_dict(self) -> dict[str, Any]:
        return {"component": self.component, "score": self.score, "level": self.level,
                "level_name": LEVEL_NAMES.get(self.level) if self.level else None,
                "counts": dict(self.counts), "cells": [c.as_dict() for c in self.cells]}


@dataclass
class Maturity:
    components: list[ComponentMaturity]
    score: float | None
    level: int | None
    counts: dict[str, int]

    def component(self, name: str) -> ComponentMaturity:
        return next(c for c in self.components if c.component == name)

    def as_dict(self) -> dict[str, Any]:
        return {"score": self.score, "level": self.level,
                "level_name": LEVEL_NAMES.get(self.level) if self.level else None,
                "counts": dict(self.counts), "components": [c.as_dict() for c in self.components]}


def _counts(results: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts = {MET: 0, PARTLY_MET: 0, NOT_MET: 0, NOT_APPLICABLE: 0}
    for r in results:
        counts[r["outcome"]] += 1
    return counts


def component_maturity(component: str, results: list[Mapping[str, Any]]) -> ComponentMaturity:
    """Score, level and matrix row of one component from its results."""
    value = score(results)
    outcome = {r["id"]: r["outcome"] for r in results}
    cells: list[Cell] = []
    level: int | None = None if value is None else 1
    still = value is not None
    for lv in LEVELS:
        missing: list[str] = []
        if value is None or value + 1e-9 < MIN_SCORE[lv]:
            missing.append("score")
        missing += [i for i in required(component, lv) if outcome.get(i) not in (MET, NOT_APPLICABLE)]
        if lv == 5:
            missing += [r["id"] for r in results if r["outcome"] == NOT_MET and r["id"] not in missing]
        ok = still and not missing
        if ok:
            level = lv
        else:
            still = False
        cells.append(Cell(lv, ok, missing))
    return ComponentMaturity(component, value, level, _counts(results), cells)


def maturity(results: Iterable[Mapping[str, Any]], components: Mapping[str, str]) -> Maturity:
    """Roll results up: ``components`` maps each recommendation ID to its component."""
    results = list(results)
    by: dict[str, list[Mapping[str, Any]]] = {c: [] for c in COMPONENTS}
    for r in results:
        by.setdefault(components[r["id"]], []).append(r)
    rows = [component_maturity(c, by[c]) for c in COMPONENTS]
    levels = [row.level for row in rows if row.level is not None]
    return Maturity(rows, score(results), min(levels) if levels else None, _counts(results))


@dataclass
class Gap:
    """A recommendation not (fully) met, with what it holds back and the effort to close it."""

    id: str
    outcome: str
    blocks: list[str]
    effort: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "outcome": self.outcome, "blocks": list(self.blocks), "blocks_count": len(self.blocks),
                "effort": self.effort}


def gaps(results: Iterable[Mapping[str, Any]], efforts: Mapping[str, str] | None = None) -> list[Gap]:
    """Not-met and partly-met results, the ones holding back most recommendations first, then the
    least effort (low, medium, high), then not met before partly met, then the standard's order."""
    results = list(results)
    ids = [r["id"] for r in results]
    order = {rid: n for n, rid in enumerate(ids)}
    efforts = efforts or {}
    out = [Gap(r["id"], r["outcome"], blocked(r["id"], ids), efforts.get(r["id"], "medium"))
           for r in results if r["outcome"] in (NOT_MET, PARTLY_MET)]
    out.sort(key=lambda g: (-len(g.blocks), EFFORTS.index(g.effort), g.outcome != NOT_MET, order[g.id]))
    return out


def moved(before: Iterable[Mapping[str, Any]], after: Iterable[Mapping[str, Any]]) -> list[tuple[str, str | None, str | None]]:
    """Rules whose outcome differs between two result lists: (id, from, to), in the later list's order.
    A rule absent from one side has ``None`` there."""
    a = {r["id"]: r["outcome"] for r in before}
    b = {r["id"]: r["outcome"] for r in after}
    ids = list(b) + [i for i in a if i not in b]
    return [(i, a.get(i), b.get(i)) for i in ids if a.get(i) != b.get(i)]


