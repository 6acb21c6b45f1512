"""The risk register's rules (D.1, C3.c): scores, ratings, the heat map, overdue reviews.

Plain data in, plain data out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

SCALE = range(1, 6)  # likelihood and impact are rated 1 (lowest) to 5 (highest)

#: Rating bands of the score (likelihood × impact, 1–25), lowest first: (upper bound, rating).
BANDS = ((4, "low"), (9, "medium"), (16, "high"), (25, "critical"))

#: Risks that no longer need reviewing.
SETTLED = ("resolved", "closed")


def score(likelihood: int, impact: int) -> int:
    """Likelihood × impact; each must be 1–5."""
    if likelihood not in SCALE or impact not in SCALE:
        raise ValueError(f"likelihood and impact are rated 1 to 5, not {likelihood} and {impact}")
    return likelihood * impact


def rating(value: int) -> str:
    """The band a score falls in: low (1–4), medium (5–9), high (10–16), critical (17–25)."""
    for upper, name in BANDS:
        if value <= upper:
            return name
    raise ValueError(f"a score is at most 25, not {value}")


@dataclass(frozen=True)
class RiskFacts:
    key: str
    likelihood: int
    impact: int
    status: str = "open"
    next_review: date | None = None


def heat_map(risks: Iterable[RiskFacts]) -> list[list[list[str]]]:
    """A 5 × 5 grid of risk keys: ``grid[impact - 1][likelihood - 1]``, settled risks left out."""
    grid: list[list[list[str]]] = [[[] for _ in SCALE] for _ in SCALE]
    for r in sorted(risks, key=lambda r: r.key):
        if r.status in SETTLED:
            continue
        score(r.likelihood, r.impact)  # validates the ratings
        grid[r.impact - 1][r.likelihood - 1].append(r.key)
    return grid


def overdue_reviews(risks: Iterable[RiskFacts], today: date) -> list[str]:
    """Keys of live risks whose review date has passed or that have none (D.1: track progress)."""
    return sorted(
        r.key for r in risks
        if r.status not in SETTLED and (r.next_review is None or r.next_review < today)
    )
