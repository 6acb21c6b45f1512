"""Roadmap rules (B7): phase progress and the ranking of quick wins.

Plain Python, no Django: takes and returns plain data so the rules can be tested
in milliseconds and reused by the public pages, the API and later the assessment.

Quick wins (B7.b, B7.c): the roadmap should give priority to changes that are
quick, cheap and low-risk, and agree its quick wins with interested parties. The
score below turns those three properties into one number from 0 (slow, the most
expensive, high risk) to 100 (immediate, free, low risk), each counting a third.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

#: How much each risk level keeps of the risk third of the score.
RISK_SCORE = {"low": 1.0, "medium": 0.5, "high": 0.0}
#: A change taking this many months or more gets nothing for speed.
SLOW_MONTHS = 24
#: Open initiatives deliverable within this many months are quick-win candidates;
#: initiatives already agreed as quick wins are always candidates.
QUICK_MONTHS = 12
#: Statuses that take an initiative out of the ranking: it is done or dropped.
CLOSED_STATUSES = frozenset({"completed", "cancelled"})


def quick_win_score(cost: Decimal | float, risk: str, months: int, max_cost: Decimal | float) -> int:
    """Score one change from 0 to 100: cheaper, lower-risk and quicker score higher (B7.c).

    ``max_cost`` is the cost of the most expensive candidate, so cost is judged
    against the rest of the roadmap rather than against an absolute budget.
    """
    if risk not in RISK_SCORE:
        raise ValueError(f"unknown risk level {risk!r}; use one of {', '.join(RISK_SCORE)}")
    if cost < 0 or months < 0:
        raise ValueError("cost and months to deliver cannot be negative")
    cost_part = 1.0 if not max_cost else 1.0 - min(float(cost) / float(max_cost), 1.0)
    time_part = 1.0 - min(months, SLOW_MONTHS) / SLOW_MONTHS
    risk_part = RISK_SCORE[risk]
    return round(100 * (cost_part + time_part + risk_part) / 3)


def rank_quick_wins(initiatives: Iterable[Mapping[str, Any]], limit: int | None = None) -> list[dict[str, Any]]:
    """Rank the open initiatives that could be quick wins (B7.b, B7.c).

    Each initiative is a mapping with at least ``title``, ``cost``, ``risk``,
    ``months_to_deliver``, ``status`` and ``quick_win_agreed``. Returns copies with
    ``score`` and ``rank`` added, best first; ties go to agreed quick wins, then
    to the quicker change, then alphabetically. An initiative with a negative cost or duration cannot be scored
    and is left out (such values are refused when saved; one stored before that must not stop the roadmap).
    """
    candidates = [
        dict(item) for item in initiatives
        if item.get("status") not in CLOSED_STATUSES
        and (item.get("quick_win_agreed") or item["months_to_deliver"] <= QUICK_MONTHS)
        and Decimal(str(item["cost"])) >= 0 and item["months_to_deliver"] >= 0
    ]
    max_cost = max((Decimal(str(c["cost"])) for c in candidates), default=Decimal(0))
    for c in candidates:
        c["score"] = quick_win_score(Decimal(str(c["cost"])), c["risk"], c["months_to_deliver"], max_cost)
    candidates.sort(
        key=lambda c: (-c["score"], not c.get("quick_win_agreed"), c["months_to_deliver"], str(c["title"]).casefold())
    )
    if limit is not None:
        candidates = candidates[:limit]
    for rank, c in enumerate(candidates, start=1):
        c["rank"] = rank
    return candidates


def mean_progress(items: Iterable[Mapping[str, Any]]) -> int | None:
    """Average progress (percent) of the items still counted: cancelled work is left out.

    ``None`` when nothing counts, so a page can say "not started" rather than 0 %.
    """
    values = [int(i["progress"]) for i in items if i.get("status") != "cancelled"]
    if not values:
        return None
    return round(sum(values) / len(values))
