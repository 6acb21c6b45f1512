"""Risk scores, ratings, heat map and overdue reviews (D.1): pure functions."""

from datetime import date

import pytest

from cityline.risks.domain.register import RiskFacts, heat_map, overdue_reviews, rating, score


@pytest.mark.parametrize("likelihood,impact,expected,band", [
    (1, 1, 1, "low"), (2, 2, 4, "low"), (1, 5, 5, "medium"), (3, 3, 9, "medium"),
    (2, 5, 10, "high"), (4, 4, 16, "high"), (3, 6 - 1, 15, "high"), (5, 4, 20, "critical"), (5, 5, 25, "critical"),
])
def test_score_and_rating_bands(likelihood, impact, expected, band):
    assert score(likelihood, impact) == expected
    assert rating(expected) == band


@pytest.mark.parametrize("likelihood,impact", [(0, 3), (3, 6), (-1, 1)])
def test_ratings_outside_one_to_five_are_refused(likelihood, impact):
    with pytest.raises(ValueError, match="1 to 5"):
        score(likelihood, impact)


def test_heat_map_places_live_risks_by_impact_and_likelihood():
    grid = heat_map([
        RiskFacts("b-skills", likelihood=4, impact=5),
        RiskFacts("a-culture", likelihood=4, impact=5),
        RiskFacts("c-data", likelihood=1, impact=2),
        RiskFacts("d-closed", likelihood=5, impact=5, status="closed"),
    ])
    assert grid[4][3] == ["a-culture", "b-skills"]
    assert grid[1][0] == ["c-data"]
    assert grid[4][4] == []  # settled risks leave the map
    assert sum(len(cell) for row in grid for cell in row) == 3


def test_overdue_reviews_include_missing_dates_but_not_settled_risks():
    today = date(2026, 11, 26)
    risks = [
        RiskFacts("late", 3, 3, next_review=date(2026, 11, 1)),
        RiskFacts("due-today", 3, 3, next_review=today),
        RiskFacts("never", 3, 3, next_review=None),
        RiskFacts("done", 3, 3, status="resolved", next_review=date(2020, 1, 1)),
    ]
    assert overdue_reviews(risks, today) == ["late", "never"]
