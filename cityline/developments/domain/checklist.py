"""The smart-delivery checklist of a development project (B12.a–c) and its completeness score.

Plain data in, plain data out. Each item is named after the part of B12 it serves:

- B12.a smart from the outset: ducting for communications, sensors fitted at build
  time, a data-sharing protocol agreed;
- B12.b holistic across infrastructures: a common assessment, a joint sensor network;
- B12.c partnerships and business models, smart procurement (as B4 asks).

Completeness counts only items that are *done*, out of the items that apply (every
item except those marked *not applicable*). An item with no entry counts as
*missing*. The score is a whole percentage rounded half up; a project where no item
applies has no score (``None``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

#: The checklist items in order, with the recommendation each serves.
ITEMS: tuple[tuple[str, str], ...] = (
    ("ducting", "B12.a"),
    ("sensors", "B12.a"),
    ("data_sharing", "B12.a"),
    ("holistic_assessment", "B12.b"),
    ("joint_sensors", "B12.b"),
    ("partnership", "B12.c"),
    ("smart_procurement", "B12.c"),
)
RECOMMENDATION = dict(ITEMS)
STATUSES = ("done", "planned", "not_applicable", "missing")


@dataclass(frozen=True)
class Completeness:
    done: int
    planned: int
    missing: int
    not_applicable: int
    #: Whole percent of applicable items that are done; None when nothing applies.
    score: int | None
    #: Items still to do (planned or missing), in checklist order.
    open_items: tuple[str, ...]

    @property
    def applicable(self) -> int:
        return self.done + self.planned + self.missing


def status_of(statuses: Mapping[str, str], item: str) -> str:
    """The status of one item; an item with no entry is missing."""
    return statuses.get(item) or "missing"


def completeness(statuses: Mapping[str, str]) -> Completeness:
    """Score a checklist given as ``{item: status}`` (items not given are missing)."""
    unknown = sorted(set(statuses) - set(RECOMMENDATION))
    if unknown:
        raise ValueError(f"unknown checklist item(s): {', '.join(unknown)}")
    counts = dict.fromkeys(STATUSES, 0)
    open_items = []
    for item, _rec in ITEMS:
        status = status_of(statuses, item)
        if status not in counts:
            raise ValueError(f"unknown checklist status {status!r} for {item}")
        counts[status] += 1
        if status in ("planned", "missing"):
            open_items.append(item)
    applicable = counts["done"] + counts["planned"] + counts["missing"]
    score = None
    if applicable:
        score = int((Decimal(100 * counts["done"]) / applicable).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    return Completeness(counts["done"], counts["planned"], counts["missing"], counts["not_applicable"], score,
                        tuple(open_items))
