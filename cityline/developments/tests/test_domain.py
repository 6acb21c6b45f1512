"""The smart-delivery checklist score (B12.a–c) and the cross-infrastructure view (B12.b) on hand-made data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from cityline.developments.domain import checklist
from cityline.developments.domain.cross_infrastructure import Box, Site, cross_view, match

# --- checklist (B12.a, B12.b, B12.c) --------------------------------------------------------


def test_items_are_named_after_b12_parts_in_order():
    assert [rec for _item, rec in checklist.ITEMS] == ["B12.a"] * 3 + ["B12.b"] * 2 + ["B12.c"] * 2
    assert checklist.RECOMMENDATION["smart_procurement"] == "B12.c"


def test_score_counts_done_out_of_applicable_and_missing_items_count_as_missing():
    c = checklist.completeness({"ducting": "done", "sensors": "done", "data_sharing": "planned",
                                "holistic_assessment": "not_applicable", "joint_sensors": "not_applicable"})
    # 7 items, 2 not applicable → 5 apply; 2 done → 40 %
    assert (c.done, c.planned, c.missing, c.not_applicable, c.applicable) == (2, 1, 2, 2, 5)
    assert c.score == 40
    assert c.open_items == ("data_sharing", "partnership", "smart_procurement")


def test_score_rounds_half_up_to_a_whole_percent():
    # 1 of 6 applicable = 16.67 → 17; 1 of 2 = 50; 5 of 6 = 83.33 → 83
    assert checklist.completeness({"ducting": "done", "sensors": "not_applicable"}).score == 17
    na = dict.fromkeys(["ducting", "sensors", "data_sharing", "holistic_assessment", "joint_sensors"],
                       "not_applicable")
    assert checklist.completeness({**na, "partnership": "done"}).score == 50
    five = dict.fromkeys(["ducting", "sensors", "data_sharing", "holistic_assessment", "joint_sensors"], "done")
    assert checklist.completeness({**five, "partnership": "not_applicable"}).score == 83


def test_empty_checklist_scores_zero_and_all_not_applicable_has_no_score():
    assert checklist.completeness({}).score == 0
    assert checklist.completeness({}).missing == 7
    all_na = {item: "not_applicable" for item, _ in checklist.ITEMS}
    assert checklist.completeness(all_na).score is None
    everything = {item: "done" for item, _ in checklist.ITEMS}
    assert checklist.completeness(everything).score == 100


def test_unknown_item_or_status_is_refused():
    with pytest.raises(ValueError, match="unknown checklist item"):
        checklist.completeness({"moat": "done"})
    with pytest.raises(ValueError, match="unknown checklist status"):
        checklist.completeness({"ducting": "maybe"})


# --- the cross-infrastructure view (B12.b) ---------------------------------------------------

JAN, JUN, DEC = date(2026, 1, 1), date(2026, 6, 30), date(2026, 12, 31)


def site(key, area="", start=JAN, end=DEC, types=("water",), **kw):
    return Site(key, area, start, end, tuple(types), **kw)


def test_same_area_name_ignoring_case_and_spaces_and_overlapping_dates_match():
    pair = match(site("b", " Harbour  Ward", date(2026, 3, 1), DEC, ("energy",)),
                 site("a", "harbour ward", JAN, JUN, ("water",)))
    assert pair.a == "a" and pair.b == "b"
    assert pair.reasons == ("same_area",)
    assert (pair.window_start, pair.window_end) == (date(2026, 3, 1), JUN)
    assert pair.types == ("energy", "water")
    assert pair.cross_infrastructure is True


def test_periods_touching_on_one_day_overlap_but_consecutive_days_do_not():
    a = site("a", "Quay", JAN, JUN)
    assert match(a, site("b", "Quay", JUN, DEC)).window_start == JUN  # both include 30 June
    assert match(a, site("c", "Quay", date(2026, 7, 1), DEC)) is None


def test_intersecting_boxes_match_without_a_common_area_name():
    a = site("a", "North", box=Box(D("-1.10"), D("50.70"), D("-1.05"), D("50.75")))
    b = site("b", "South", box=Box(D("-1.05"), D("50.60"), D("-1.00"), D("50.70")))  # shares the corner
    c = site("c", "South", box=Box(D("-1.00"), D("50.76"), D("-0.90"), D("50.80")))  # north of a
    assert match(a, b).reasons == ("overlapping_extent",)
    assert match(a, c) is None
    assert match(b, c).reasons == ("same_area",)  # boxes apart, same name


def test_a_point_inside_a_box_matches_and_both_reasons_are_given():
    box = site("a", "Docks", box=Box(D("-1.10"), D("50.70"), D("-1.00"), D("50.80")))
    inside = site("b", "docks", point=(D("50.75"), D("-1.05")))
    outside = site("c", "Elsewhere", point=(D("50.90"), D("-1.05")))
    assert match(box, inside).reasons == ("same_area", "overlapping_extent")
    assert match(box, outside) is None


def test_same_types_are_not_cross_infrastructure_but_still_an_opportunity():
    pair = match(site("a", "Quay", types=("water", "energy")), site("b", "Quay", types=("energy", "water")))
    assert pair.cross_infrastructure is False
    assert pair.types == ("energy", "water")


def test_view_groups_linked_projects_and_lists_left_out_ones():
    sites = [
        site("road", "Quay", JAN, JUN, ("transport",)),
        site("main", "Quay", date(2026, 5, 1), DEC, ("water",)),
        # linked to main only through its box around Quay's point
        site("fibre", "Old Town", date(2026, 9, 1), DEC, ("telecoms",),
             box=Box(D("0"), D("0"), D("1"), D("1"))),
        site("quay-point", "Quay", date(2026, 10, 1), date(2026, 10, 31), ("energy",), point=(D("0.5"), D("0.5"))),
        site("alone", "Hill", JAN, DEC),
        site("done", "Quay", JAN, DEC, stage="operation"),
        Site("nodate", "Quay", JAN, None, ("waste",)),
    ]
    view = cross_view(sites)
    assert [(p.a, p.b, p.reasons) for p in view.pairs] == [
        ("fibre", "quay-point", ("overlapping_extent",)),
        ("main", "quay-point", ("same_area",)),
        ("main", "road", ("same_area",)),
    ]
    assert [g.keys for g in view.groups] == [("fibre", "main", "quay-point", "road")]
    assert view.groups[0].areas == ("Old Town", "Quay")
    assert view.groups[0].types == ("energy", "telecoms", "transport", "water")
    assert view.undated == ["nodate"]
    assert view.finished == ["done"]


def test_two_separate_groups_sorted_by_first_key():
    view = cross_view([site("z1", "Z"), site("z2", "Z"), site("a1", "A"), site("a2", "A"), site("b", "B")])
    assert [g.keys for g in view.groups] == [("a1", "a2"), ("z1", "z2")]
    assert cross_view([]).pairs == [] and cross_view([]).groups == []
