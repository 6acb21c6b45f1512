"""Quick-win ranking and phase progress (B7.b, B7.c): plain functions, no database."""

from decimal import Decimal

import pytest

from cityline.strategy.domain import roadmap


def item(title, cost, risk, months, status="approved", agreed=False, progress=0):
    return {"title": title, "cost": cost, "risk": risk, "months_to_deliver": months,
            "status": status, "quick_win_agreed": agreed, "progress": progress}


def test_score_is_100_for_free_immediate_low_risk_and_0_for_the_opposite():
    assert roadmap.quick_win_score(0, "low", 0, max_cost=1000) == 100
    assert roadmap.quick_win_score(1000, "high", 24, max_cost=1000) == 0
    # each factor is a third
    assert roadmap.quick_win_score(1000, "low", 24, max_cost=1000) == 33
    assert roadmap.quick_win_score(500, "medium", 12, max_cost=1000) == 50


def test_score_caps_slow_changes_and_handles_zero_max_cost():
    assert roadmap.quick_win_score(0, "high", 60, max_cost=0) == roadmap.quick_win_score(0, "high", 24, max_cost=0)
    assert roadmap.quick_win_score(0, "low", 0, max_cost=0) == 100


def test_score_rejects_unknown_risk_and_negative_values():
    with pytest.raises(ValueError, match="unknown risk level 'extreme'"):
        roadmap.quick_win_score(1, "extreme", 1, max_cost=1)
    with pytest.raises(ValueError):
        roadmap.quick_win_score(-1, "low", 1, max_cost=1)


def test_ranking_prefers_cheap_quick_low_risk_changes():
    ranked = roadmap.rank_quick_wins([
        item("Expensive platform", Decimal("900000"), "high", 11),
        item("Open data portal refresh", Decimal("20000"), "low", 3),
        item("Sensor pilot", Decimal("150000"), "medium", 6),
    ])
    assert [r["title"] for r in ranked] == ["Open data portal refresh", "Sensor pilot", "Expensive platform"]
    assert [r["rank"] for r in ranked] == [1, 2, 3]
    assert ranked[0]["score"] > ranked[1]["score"] > ranked[2]["score"]


def test_ranking_leaves_out_closed_and_slow_unagreed_initiatives_but_keeps_agreed_ones():
    ranked = roadmap.rank_quick_wins([
        item("Done already", 10, "low", 2, status="completed", progress=100),
        item("Dropped", 10, "low", 2, status="cancelled"),
        item("Long programme", 10, "low", 30),
        item("Agreed but slow", 10, "low", 18, agreed=True),
        item("Quick one", 10, "low", 2),
    ])
    assert [r["title"] for r in ranked] == ["Quick one", "Agreed but slow"]


def test_ties_go_to_agreed_quick_wins_and_limit_applies():
    ranked = roadmap.rank_quick_wins([
        item("B not agreed", 10, "low", 2),
        item("A not agreed", 10, "low", 2),
        item("C agreed", 10, "low", 2, agreed=True),
    ], limit=2)
    assert [r["title"] for r in ranked] == ["C agreed", "A not agreed"]


def test_an_initiative_stored_with_a_negative_cost_is_left_out_not_a_crash():
    # refused when saved since costs may not be negative; a row stored before must not take the roadmap down
    ranked = roadmap.rank_quick_wins([item("Negative", -5000, "low", 2), item("Quick one", 10, "low", 2)])
    assert [r["title"] for r in ranked] == ["Quick one"]


def test_ranking_does_not_change_its_input():
    source = [item("Quick one", 10, "low", 2)]
    roadmap.rank_quick_wins(source)
    assert "score" not in source[0]


def test_mean_progress_leaves_out_cancelled_work():
    assert roadmap.mean_progress([item("a", 1, "low", 1, progress=100),
                                  item("b", 1, "low", 1, progress=50),
                                  item("c", 1, "low", 1, status="cancelled", progress=0)]) == 75
    assert roadmap.mean_progress([]) is None
