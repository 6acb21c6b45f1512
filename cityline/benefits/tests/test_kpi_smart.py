"""SMART checks of baselines, targets and trajectories (C2.a, C2.b). No database.

Each check is shown on a small KPI that has that problem and nothing else.
"""

from __future__ import annotations

import pytest

from cityline.benefits.domain.kpi import kpi_from_dict
from cityline.benefits.domain.smart import is_smart, smart_findings

GOOD = {
    "unit": "km", "direction": "higher_is_better", "frequency": "annual",
    "baseline": {"value": 100, "date": "2024-12-31"},
    "targets": [{"value": 150, "date": "2027-12-31"}],
}


def findings(**changes):
    return [(f.code, f.severity, f.field, f.recommendation) for f in smart_findings(kpi_from_dict({**GOOD, **changes}))]


def codes(**changes):
    return [c for c, *_ in findings(**changes)]


def test_a_complete_kpi_is_smart():
    assert findings() == []
    assert is_smart(kpi_from_dict(GOOD))


@pytest.mark.parametrize("changes, expected", [
    ({"baseline": None}, [("no_baseline", "error", "baseline", "C2.a")]),
    ({"baseline": {"date": "2024-12-31"}}, [("baseline_no_value", "error", "baseline.value", "C2.a")]),
    ({"baseline": {"value": 100}}, [("baseline_no_date", "error", "baseline.date", "C2.a")]),
    ({"targets": []}, [("no_target", "error", "targets", "C2.b")]),
    ({"targets": [{"date": "2027-12-31"}]}, [("target_no_value", "error", "targets[0].value", "C2.b")]),
    ({"targets": [{"value": 150}]}, [("target_no_date", "error", "targets[0].date", "C2.b")]),
    ({"targets": [{"value": 150, "date": "2024-12-31"}]}, [("target_before_baseline", "error", "targets[0].date", "C2.b")]),
    ({"targets": [{"value": 150, "date": "2027-12-31"}, {"value": 160, "date": "2027-12-31"}]},
     [("duplicate_target_date", "error", "targets[1].date", "C2.b")]),
    ({"targets": [{"value": 100, "date": "2027-12-31"}]}, [("target_equals_baseline", "error", "targets[0].value", "C2.b")]),
    ({"targets": [{"value": 90, "date": "2027-12-31"}]},
     [("target_not_better", "error", "targets[0].value", "C2.b")]),
    ({"targets": [{"value": 150, "date": "2027-12-31"}, {"value": 140, "date": "2029-12-31"}]},
     [("target_less_ambitious", "warning", "targets[1].value", "C2.b")]),
    ({"band": {"low": 1, "high": 2}}, [("band_unused", "warning", "band", "C2.b")]),
    ({"unit": " "}, [("no_unit", "warning", "unit", "C2.d")]),
    ({"frequency": None}, [("no_frequency", "warning", "frequency", "C2.f")]),
    ({"trajectory": {"kind": "linear", "points": [{"value": 120, "date": "2026-01-01"}]}},
     [("points_ignored", "warning", "trajectory.points", "C2.b")]),
    ({"trajectory": "custom"}, [("custom_without_points", "warning", "trajectory.points", "C2.b")]),
    ({"trajectory": {"kind": "stepped", "points": [{"value": 120}]}},
     [("point_incomplete", "warning", "trajectory.points[0]", "C2.b")]),
    ({"trajectory": {"kind": "custom", "points": [{"value": 120, "date": "2028-06-30"}]}},
     [("point_outside_plan", "warning", "trajectory.points[0].date", "C2.b")]),
])
def test_each_check_finds_its_problem_and_nothing_else(changes, expected):
    assert findings(**changes) == expected


def test_direction_decides_what_better_means():
    assert codes(direction="lower_is_better") == ["target_not_better"]
    assert codes(direction="lower_is_better", targets=[{"value": 80, "date": "2027-12-31"}]) == []
    lower = dict(direction="lower_is_better",
                 targets=[{"value": 80, "date": "2027-12-31"}, {"value": 85, "date": "2029-12-31"}])
    assert codes(**lower) == ["target_less_ambitious"]
    # targets listed out of date order are compared in date order
    assert codes(targets=[{"value": 200, "date": "2029-12-31"}, {"value": 150, "date": "2027-12-31"}]) == []


def test_band_kpis_need_a_usable_band_and_targets_inside_it():
    band = dict(direction="target_band", targets=[{"value": 85, "date": "2027-12-31"}])
    assert codes(**band) == ["band_missing"]
    assert codes(**band, band={"low": 80}) == ["band_missing"]
    assert codes(**band, band={"low": 90, "high": 80}) == ["band_inverted"]
    assert codes(**band, band={"low": 80, "high": 90}) == []
    assert codes(**band, band={"low": 90, "high": 95}) == ["target_outside_band"]
    # staying in the band is a fine target: no "equals the baseline" finding for bands
    assert codes(**dict(band, baseline={"value": 85, "date": "2024-12-31"}), band={"low": 80, "high": 90}) == []


def test_messages_are_plain_language_and_name_the_values():
    kpi = kpi_from_dict({**GOOD, "unit": "%", "targets": [{"value": 90, "date": "2027-12-31"}, {"value": 120}]})
    messages = [f.message for f in smart_findings(kpi)]
    assert "Target 1 (90%) is worse than the baseline (100%): for this KPI higher is better." in messages
    assert "Target 2 has no date: say by when it is to be reached (time-bound)." in messages
    assert not is_smart(kpi)
    assert smart_findings(kpi)[0].as_dict()["code"] == "target_no_date"


def test_a_draft_with_nothing_gets_the_essentials():
    assert codes(unit="", frequency=None, baseline=None, targets=[]) == ["no_baseline", "no_target", "no_unit", "no_frequency"]


def test_warnings_alone_keep_a_kpi_smart():
    assert is_smart(kpi_from_dict({**GOOD, "unit": "", "frequency": None}))
