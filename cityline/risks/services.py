"""The risk register of a stored city: heat map, overdue reviews and what each risk endangers (D.1, C3.c).

Scores and reviews come from :mod:`cityline.risks.domain.register`; what a risk endangers
comes from following the benefit map downstream of the nodes it threatens
(:mod:`cityline.benefits.domain.benefit_map`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from cityline.benefits.domain import benefit_map as bmap
from cityline.benefits.services import load_map
from cityline.core.models import City

from .domain import register
from .models import Risk

ENDANGERED_KINDS = (bmap.END_OUTCOME, bmap.PURPOSE)


def endangered(bm: bmap.BenefitMap, threatened: list[str]) -> dict[str, list[str]]:
    """End outcomes and purposes a risk endangers: the threatened nodes and everything downstream of them."""
    reached: set[str] = set(threatened)
    for key in threatened:
        reached |= bmap.downstream(bm, key)
    out: dict[str, list[str]] = {kind: [] for kind in ENDANGERED_KINDS}
    for key in sorted(reached):
        kind = bm.node(key).kind
        if kind in out:
            out[kind].append(key)
    return out


def register_summary(city: City, today: date | None = None) -> dict[str, Any]:
    """Every risk with its score, rating and what it endangers; the heat map; overdue reviews."""
    today = today or timezone.localdate()
    risks = list(Risk.objects.filter(city=city).select_related("owner").prefetch_related("threatens").order_by("key"))
    facts = [register.RiskFacts(r.key, r.likelihood, r.impact, r.status, r.next_review) for r in risks]
    bm = load_map(city)
    rows = []
    for r in risks:
        threatened = sorted(n.key for n in r.threatens.all())
        reach = endangered(bm, threatened)
        rows.append({
            "key": r.key, "title": r.title, "area": r.area, "nature": r.nature, "status": r.status,
            "likelihood": r.likelihood, "impact": r.impact, "score": r.score, "rating": r.rating,
            "owner": r.owner.name, "next_review": r.next_review.isoformat() if r.next_review else None,
            "threatens": threatened, "endangered_end_outcomes": reach[bmap.END_OUTCOME],
            "endangered_purposes": reach[bmap.PURPOSE],
        })
    return {
        "city": city.key,
        "on": today.isoformat(),
        "risks": rows,
        "heat_map": register.heat_map(facts),
        "overdue_reviews": register.overdue_reviews(facts, today),
    }
