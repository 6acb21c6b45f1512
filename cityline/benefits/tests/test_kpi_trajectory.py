"""Trajectories from baseline to targets (C2.b): linear, stepped, custom, several targets. No database."""

from __future__ import annotations

from datetime import date

import pytest

from cityline.benefits.domain.kpi import kpi_from_dict
from cityline.benefits.domain.trajectory import Plan, expected, expected_series, final_target, plan

D = date


def make(kind="linear", points=(), targets=None, baseline=(100, "2020-01-01")):
    data = {
        "targets": targets if targets is not None else [
            {"value": 200, "date": "2020-01-11"}, {"value": 100, "date": "2020-01-21"}],
        "trajectory": {"kind": kind, "points": [{"value": v, "date": d} for v, d in points]},
    }
    if baseline is not None:
        data["baseline"] = {"value": baseline[0], "date": baseline[1]}
    return kpi_from_dict(data)


def test_linear_runs_straight_to_each_target_in_turn_and_holds_outside():
    kpi = make()
    assert [expected(kpi, D(2020, 1, d)) for d in (1, 2, 6, 11, 16, 21, 25)] == [100, 110, 150, 200, 150, 100, 100]
    assert expected(kpi, D(2019, 6, 1)) == 100  # before the baseline: the baseline value
    assert expected(kpi, D(2030, 1, 1)) == 100  # after the final target: the final target, held


def test_stepped_holds_each_value_until_the_next_milestone():
    kpi = make("stepped", points=[(150, "2020-01-06")])
    assert [expected(kpi, D(2020, 1, d)) for d in (1, 5, 6, 10, 11, 20, 21, 30)] == [100, 100, 150, 150, 200, 200, 100, 100]


def test_custom_draws_straight_lines_through_its_points():
    kpi = make("custom", points=[(120, "2020-01-06"), (190, "2020-01-16")])
    assert [expected(kpi, D(2020, 1, d)) for d in (1, 3, 6, 11, 16, 21)] == [100, 108, 120, 200, 190, 100]
    assert [k.source for k in plan(kpi)] == ["baseline", "point", "target", "point", "target"]


def test_custom_without_points_is_linear_and_linear_ignores_points():
    days = [D(2020, 1, d) for d in range(1, 25)]
    assert expected_series(make("custom"), days) == expected_series(make(), days)
    assert expected_series(make("linear", points=[(999, "2020-01-06")]), days) == expected_series(make(), days)


def test_points_outside_the_plan_or_incomplete_are_ignored():
    kpi = kpi_from_dict({
        "baseline": {"value": 0, "date": "2020-01-01"}, "targets": [{"value": 10, "date": "2020-01-11"}],
        "trajectory": {"kind": "custom", "points": [
            {"value": 50, "date": "2019-12-01"}, {"value": 50, "date": "2020-02-01"},
            {"value": 50, "date": "2020-01-11"}, {"value": None, "date": "2020-01-05"}, {"value": 5}]},
    })
    assert [(k.source, k.value) for k in plan(kpi)] == [("baseline", 0.0), ("target", 10.0)]
    assert expected(kpi, D(2020, 1, 6)) == 5


def test_targets_are_taken_in_date_order_and_incomplete_or_early_ones_left_out():
    kpi = make(targets=[{"value": 300, "date": "2020-01-21"}, {"value": 500}, {"date": "2020-01-05"},
                        {"value": 900, "date": "2019-12-31"}, {"value": 200, "date": "2020-01-11"}])
    assert [(k.date.day, k.value) for k in plan(kpi)] == [(1, 100), (11, 200), (21, 300)]
    assert final_target(kpi).value == 300


def test_without_a_baseline_the_plan_starts_at_the_first_target():
    kpi = make(baseline=None)
    assert [expected(kpi, D(2020, 1, d)) for d in (1, 11, 16, 21)] == [200, 200, 150, 100]


def test_without_a_complete_target_there_is_no_plan():
    kpi = make(targets=[{"value": 5}, {"date": "2021-01-01"}])
    assert plan(kpi) == [] and not Plan(kpi)
    assert expected(kpi, D(2020, 6, 1)) is None
    assert final_target(kpi) is None


def test_one_target_only():
    kpi = make(targets=[{"value": 136.5, "date": "2020-12-31"}], baseline=(100, "2020-01-01"))
    assert expected(kpi, D(2020, 7, 1)) == pytest.approx(100 + 36.5 * 182 / 365)
