"""Checks over the city-wide architecture (B14). Plain data in, plain data out.

B14 asks for clear ownership and governance of every element of the blueprint,
modular services with service descriptions and contracts, published open standards,
and a phased migration plan from legacy systems to the target. Each check below
names the records it found and the recommendation it serves:

``block-without-owner`` (B14)
    a building block that is not retired has no owner organisation.
``block-without-contract`` (B14)
    a building block that is not retired has no service contract.
``standard-unused`` (B14, B5.b)
    a standard the city has *adopted* is used by no building block (retired blocks
    do not count).
``legacy-without-migration`` (B14)
    a *legacy* or *retiring* building block is replaced by no migration step (cancelled
    steps do not count).
``step-out-of-phase-order`` (B14, B7.a)
    taking the live steps (not cancelled) in plan order (``order``, then key), a step
    sits in an earlier roadmap phase than a step before it; the finding names the step
    and the earlier step with the latest phase.
``step-due-outside-phase`` (B14, B7.a)
    a live step's due date falls outside the dates of its roadmap phase (when the
    roadmap has that phase).
``step-to-legacy-target`` (B14)
    a live step migrates to a building block that is itself legacy or retiring.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date

#: Roadmap phases in order (B7.a).
PHASES = ("plan", "initiate", "deliver", "consolidate", "transform")
LEGACY = ("legacy", "retiring")

CHECKS: dict[str, str] = {
    "block-without-owner": "B14",
    "block-without-contract": "B14",
    "standard-unused": "B14, B5.b",
    "legacy-without-migration": "B14",
    "step-out-of-phase-order": "B14, B7.a",
    "step-due-outside-phase": "B14, B7.a",
    "step-to-legacy-target": "B14",
}

#: What each record a finding names is, in order: keys are unique per kind only, so a
#: standard and a building block may share one.
RECORD_KINDS: dict[str, tuple[str, ...]] = {
    "block-without-owner": ("block",),
    "block-without-contract": ("block",),
    "standard-unused": ("standard",),
    "legacy-without-migration": ("block",),
    "step-out-of-phase-order": ("step", "step"),
    "step-due-outside-phase": ("step",),
    "step-to-legacy-target": ("step", "block"),
}


@dataclass(frozen=True)
class Block:
    key: str
    lifecycle: str = "active"
    owner: str | None = None
    contract: str = ""
    standards: tuple[str, ...] = ()


@dataclass(frozen=True)
class Std:
    key: str
    status: str = "adopted"


@dataclass(frozen=True)
class Step:
    key: str
    order: int
    phase: str
    target: str
    replaces: tuple[str, ...] = ()
    due: date | None = None
    status: str = "planned"


@dataclass(frozen=True)
class Finding:
    code: str
    recommendation: str
    records: tuple[str, ...]
    message: str

    def as_dict(self) -> dict:
        d = asdict(self)
        d["records"] = list(self.records)
        return d


def _finding(code: str, records: Iterable[str], message: str) -> Finding:
    return Finding(code, CHECKS[code], tuple(records), message)


def check(blocks: Iterable[Block], standards: Iterable[Std], steps: Iterable[Step],
          phases: Mapping[str, tuple[date, date]] | None = None) -> list[Finding]:
    """Every finding, in the order of :data:`CHECKS`, records sorted by key within each check.

    ``phases`` maps a roadmap phase to its (start, end) dates; phases it lacks are not
    date-checked.
    """
    blocks = sorted(blocks, key=lambda b: b.key)
    standards = sorted(standards, key=lambda s: s.key)
    steps = list(steps)
    phases = phases or {}
    by_key = {b.key: b for b in blocks}
    current = [b for b in blocks if b.lifecycle != "retired"]
    live_steps = sorted((s for s in steps if s.status != "cancelled"), key=lambda s: (s.order, s.key))
    out: list[Finding] = []

    for b in current:
        if not b.owner:
            out.append(_finding("block-without-owner", [b.key], f"building block {b.key} has no owner organisation"))
    for b in current:
        if not b.contract.strip():
            out.append(_finding("block-without-contract", [b.key],
                                f"building block {b.key} has no service contract"))
    used = {s for b in current for s in b.standards}
    for s in standards:
        if s.status == "adopted" and s.key not in used:
            out.append(_finding("standard-unused", [s.key],
                                f"standard {s.key} is adopted but no building block uses it"))
    replaced = {k for s in live_steps for k in s.replaces}
    for b in blocks:
        if b.lifecycle in LEGACY and b.key not in replaced:
            out.append(_finding("legacy-without-migration", [b.key],
                                f"building block {b.key} is {b.lifecycle} but no migration step replaces it"))
    latest: Step | None = None
    for s in live_steps:
        if s.phase not in PHASES:
            raise ValueError(f"migration step {s.key}: unknown roadmap phase {s.phase!r}")
        if latest is not None and PHASES.index(s.phase) < PHASES.index(latest.phase):
            out.append(_finding("step-out-of-phase-order", [s.key, latest.key],
                                f"migration step {s.key} (phase {s.phase}) comes after step {latest.key} "
                                f"(phase {latest.phase}) in the plan"))
        if latest is None or PHASES.index(s.phase) > PHASES.index(latest.phase):
            latest = s
    for s in sorted(live_steps, key=lambda s: s.key):
        window = phases.get(s.phase)
        if s.due and window and not (window[0] <= s.due <= window[1]):
            out.append(_finding("step-due-outside-phase", [s.key],
                                f"migration step {s.key} is due {s.due.isoformat()}, outside the {s.phase} phase "
                                f"({window[0].isoformat()} to {window[1].isoformat()})"))
    for s in sorted(live_steps, key=lambda s: s.key):
        target = by_key.get(s.target)
        if target is not None and target.lifecycle in LEGACY:
            out.append(_finding("step-to-legacy-target", [s.key, target.key],
                                f"migration step {s.key} leads to {target.key}, which is itself {target.lifecycle}"))
    return out


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """How many findings each check produced (every check listed, zero included)."""
    out = dict.fromkeys(CHECKS, 0)
    for f in findings:
        out[f.code] += 1
    return out
