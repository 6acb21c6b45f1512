"""Procurement rules (B4): long-term value, not price alone."""

from __future__ import annotations

from decimal import Decimal


def total_cost_of_ownership(capital: Decimal, annual: Decimal, years: int, exit_cost: Decimal) -> Decimal:
    """Whole-life cost counted from the start, exit included (B4.b.4)."""
    return Decimal(capital) + Decimal(annual) * int(years) + Decimal(exit_cost)


CHECKLIST = (
    ("buys_outcomes", "B4.b.1"),
    ("open_data_terms", "B4.b.2"),
    ("innovation_incentives", "B4.b.3"),
    ("avoids_lock_in", "B4.b.4"),
)


def checklist_score(entry: dict) -> tuple[int, list[str]]:
    """How many smart-contracting checks an entry passes, and the IDs of those it misses."""
    missing = [rid for field, rid in CHECKLIST if not entry.get(field)]
    return len(CHECKLIST) - len(missing), missing
