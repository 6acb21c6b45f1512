"""Engagement metrics as plain functions: suppression edge cases, periods, response time (B3)."""

from datetime import date

import pytest

from cityline.participation.domain import metrics as dm


# --- suppression -------------------------------------------------------------------------------------


def test_zero_is_shown_and_threshold_is_published():
    assert dm.suppress({"a": 0, "b": 5, "c": 7}, 5) == {"a": 0, "b": 5, "c": 7}


def test_threshold_minus_one_is_suppressed_with_the_next_smallest_group():
    # b alone suppressed could be recovered as 22 - 0 - 5 - 10 - ... so the smallest other non-zero (5) goes too
    out = dm.suppress({"a": 0, "b": 4, "c": 5, "d": 10}, 5)
    assert out == {"a": 0, "b": None, "c": None, "d": 10}


def test_single_suppressed_cell_cannot_be_recovered_from_the_total():
    counts = {"north": 3, "south": 12, "centre": 9}
    out = dm.suppress(counts, 5)
    assert [g for g, v in out.items() if v is None] == ["north", "centre"]
    total = sum(counts.values())
    published = sum(v for v in out.values() if v is not None)
    # two unknowns with one equation: 3 + 9 and e.g. 4 + 8 both fit
    assert total - published == 12


def test_two_small_cells_need_no_secondary_suppression():
    assert dm.suppress({"a": 1, "b": 2, "c": 20}, 5) == {"a": None, "b": None, "c": 20}


def test_all_suppressed_when_the_population_is_small():
    assert dm.suppress({"a": 3, "b": 0}, 5) == {"a": None, "b": None}
    assert dm.cells({"north": 3}, 5) == []  # not even the group's name is listed
    assert dm.cells({"north": 2, "south": 2}, 5) == []


def test_every_cell_small_is_all_suppressed():
    assert dm.suppress({"a": 4, "b": 4, "c": 4}, 5) == {"a": None, "b": None, "c": None}


def test_nobody_at_all_is_zeros():
    assert dm.suppress({"a": 0, "b": 0}, 5) == {"a": 0, "b": 0}
    assert dm.cells({}, 5) == []


def test_multiple_choice_is_not_a_partition():
    # 10 respondents, each may pick several: a 3 stays suppressed, nothing else is needed
    assert dm.suppress({"x": 3, "y": 9, "z": 8}, 5, total=10, partition=False) == {"x": None, "y": 9, "z": 8}


def test_threshold_is_the_citys():
    assert dm.suppress({"a": 4, "b": 9, "c": 6}, 3) == {"a": 4, "b": 9, "c": 6}
    with pytest.raises(ValueError):
        dm.suppress({"a": 1}, 0)


def test_cells_order_does_not_reveal_a_suppressed_size():
    rows = dm.cells({"north": 4, "south": 30, "centre": 9, dm.NOT_GIVEN: 12}, 5)
    assert [(r["group"], r["participants"]) for r in rows] == [
        ("south", 30), ("not_given", 12), ("centre", None), ("north", None)]
    assert all(r["suppressed"] == (r["participants"] is None) for r in rows)


# --- figures --------------------------------------------------------------------------------------------


def _rows():
    c1 = dm.ConsultationRow("a", "A", "responded", date(2026, 1, 1), date(2026, 2, 1), date(2026, 2, 1),
                            date(2026, 3, 3))  # 30 days
    c2 = dm.ConsultationRow("b", "B", "closed", date(2026, 2, 1), date(2026, 3, 1), date(2026, 3, 1))
    c3 = dm.ConsultationRow("c", "C", "responded", date(2026, 4, 1), date(2026, 5, 1), date(2026, 5, 1),
                            date(2026, 8, 9))  # 100 days
    people = []
    n = 0
    for key, district, count, channel in [("a", "North", 8, "online"), ("a", "South", 3, "post"),
                                          ("a", "", 6, "online"), ("b", "North", 2, "online"),
                                          ("c", "North", 7, "online"), ("c", "South", 7, "in_person")]:
        for _ in range(count):
            n += 1
            people.append(dm.ParticipantRow(n, key, f"u{n}", district=district, channel=channel))
    contributions = [dm.ContributionRow("a", "comment"), dm.ContributionRow("a", "comment", is_reply=True),
                     dm.ContributionRow("a", "proposal"), dm.ContributionRow("a", "comment", hidden=True)]
    questions = [dm.QuestionRow("a", 1, "Travel?", "single", ("Bike", "Bus")),
                 dm.QuestionRow("a", 2, "Why?", "text")]
    answers = [dm.AnswerRow("a", 1, i, "Bike" if i <= 6 else "Bus") for i in range(1, 12)]
    answers.append(dm.AnswerRow("a", 2, 1, "my neighbour Ann Smith at 3 Quay Road"))
    return dm.Rows([c1, c2, c3], people, contributions, {"a": 2}, questions, answers)


def test_consultation_figures():
    rows = _rows()
    f = dm.consultation_figures(rows.consultations[0], rows, threshold=5, target_days=60, today=date(2026, 9, 1))
    assert f["participants"] == 17
    assert f["offline_participants"] is None and f["offline_share"] is None  # 3 by post: as suppressed as below
    assert f["contributions"] == {"comments": 1, "replies": 1, "proposals": 1, "hidden": 1, "total": 3}
    assert f["supports"] == 2 and f["survey_responses"] == 11
    assert f["days_to_respond"] == 30 and f["responded_in_target"] is True
    district = {r["group"]: r["participants"] for r in f["breakdowns"]["district"]}
    assert district == {"North": 8, "not_given": None, "South": None}  # 3 suppressed, 6 the next smallest
    channel = {r["group"]: r["participants"] for r in f["breakdowns"]["channel"]}
    assert channel == {"online": None, "post": None}  # post (3) alone would be 17 - 14
    survey = f["survey"]
    assert [q["number"] for q in survey] == [1]  # free text is never published
    assert {o["option"]: o["count"] for o in survey[0]["options"]} == {"Bike": 6, "Bus": 5}
    assert "Ann Smith" not in repr(f)


def test_lone_suppressed_group_beside_one_other_group_is_still_recoverable_so_both_go():
    # channel: online 14, post 3 -> post suppressed; secondary suppression takes online as well
    rows = _rows()
    f = dm.consultation_figures(rows.consultations[0], rows, threshold=5, target_days=60, today=date(2026, 9, 1))
    cells = {r["group"]: r["suppressed"] for r in f["breakdowns"]["channel"]}
    assert cells == {"online": True, "post": True}


def test_response_in_target_and_pending():
    c = dm.ConsultationRow("x", "X", "closed", date(2026, 1, 1), date(2026, 2, 1), date(2026, 2, 1))
    assert dm.responded_in_target(c, 60, date(2026, 3, 1)) is None  # still within the target
    assert dm.responded_in_target(c, 60, date(2026, 4, 30)) is False  # target passed without a response
    on_day = dm.ConsultationRow("x", "X", "responded", c.opens_on, c.closes_on, c.closed_on, date(2026, 4, 2))
    assert dm.days_to_respond(on_day) == 60 and dm.responded_in_target(on_day, 60, date(2026, 9, 1)) is True
    late = dm.ConsultationRow("x", "X", "responded", c.opens_on, c.closes_on, c.closed_on, date(2026, 4, 3))
    assert dm.responded_in_target(late, 60, date(2026, 9, 1)) is False
    open_ = dm.ConsultationRow("x", "X", "open", c.opens_on, c.closes_on)
    assert dm.responded_in_target(open_, 60, date(2026, 9, 1)) is None


def test_periods():
    assert dm.period_of(date(2026, 2, 14), "quarter") == ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31))
    assert dm.period_of(date(2026, 12, 31), "quarter") == ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
    assert dm.period_of(date(2026, 5, 1), "year") == ("2026", date(2026, 1, 1), date(2026, 12, 31))
    assert [p[0] for p in dm.periods_between(date(2025, 11, 1), date(2026, 4, 1), "quarter")] == [
        "2025-Q4", "2026-Q1", "2026-Q2"]
    with pytest.raises(ValueError):
        dm.period_of(date(2026, 1, 1), "month")


def test_period_figures_and_metrics():
    rows = _rows()
    quarters = dm.period_figures(rows, "quarter", threshold=5, target_days=60, today=date(2026, 9, 1))
    assert [q["period"] for q in quarters] == ["2026-Q1", "2026-Q2"]
    q1, q2 = quarters
    assert q1["consultations_closed"] == 2 and q1["participants"] == 19 and q1["closed"] is True
    # a: in target; b: closed 1 March, no response after 184 days: late
    assert dm.metric_value(q1, "responded_in_target") == 50.0
    assert dm.metric_value(q1, "median_days_to_respond") == 30
    assert dm.metric_value(q1, "contributions") == 3
    assert dm.metric_value(q1, "offline_share") is None  # a's 3 by post are suppressed there
    assert dm.metric_value(q2, "offline_share") == 50.0  # 7 in person of 14
    assert dm.metric_value(q2, "responded_in_target") == 0.0  # 100 days > 60
    assert dm.metric_value(q2, "participants") == 14
    with pytest.raises(ValueError):
        dm.metric_value(q1, "happiness")
    closed = dm.period_figures(rows, "quarter", threshold=5, target_days=60, today=date(2026, 6, 30),
                               closed_only=True)
    assert [q["period"] for q in closed] == ["2026-Q1"]
    years = dm.period_figures(rows, "year", threshold=5, target_days=60, today=date(2026, 9, 1))
    assert [y["period"] for y in years] == ["2026"] and years[0]["consultations"] == 3


def percent(a, b):
    return round(100.0 * a / b, 2)


def test_period_breakdown_never_reveals_a_consultations_suppressed_group():
    rows = _rows()
    q1 = dm.period_figures(rows, "quarter", threshold=5, target_days=60, today=date(2026, 9, 1))[0]
    # consultation b has 2 people in North (withheld there); a's North is 8. Q1 North = 10 would reveal b's 2.
    district = {r["group"]: r["participants"] for r in q1["breakdowns"]["district"]}
    assert district.get("North") is None
    assert sum(1 for v in district.values() if v is None) != 1


def test_period_breakdown_withheld_when_only_one_group_would_be_suppressed():
    c1 = dm.ConsultationRow("a", "A", "closed", date(2026, 1, 1), date(2026, 2, 1), date(2026, 2, 1))
    c2 = dm.ConsultationRow("b", "B", "closed", date(2026, 1, 1), date(2026, 2, 1), date(2026, 2, 1))
    people = [dm.ParticipantRow(i, "a", f"u{i}", district="North") for i in range(10)]
    people += [dm.ParticipantRow(10 + i, "a", f"v{i}", district="South") for i in range(10)]
    people += [dm.ParticipantRow(20 + i, "b", f"w{i}", district="North") for i in range(3)]
    rows = dm.Rows([c1, c2], people)
    q = dm.period_figures(rows, "quarter", threshold=5, target_days=60, today=date(2026, 9, 1))[0]
    assert q["breakdowns"]["district"] == []  # North alone blocked: 23 - 10 = 13 would give b's 3 away


def test_survey_option_counts_are_suppressed():
    q = dm.QuestionRow("a", 1, "Travel?", "single", ("Bike", "Bus", "Car"))
    answers = [dm.AnswerRow("a", 1, i, "Bike" if i < 9 else "Bus") for i in range(11)]  # Bike 9, Bus 2, Car 0
    [out] = dm.survey_results([q], answers, 5)
    assert {o["option"]: o["count"] for o in out["options"]} == {"Bike": None, "Bus": None, "Car": 0}
    few = [dm.AnswerRow("a", 1, i, "Bike") for i in range(3)]
    [out] = dm.survey_results([q], few, 5)
    assert all(o["count"] is None for o in out["options"])  # even "nobody chose Car" says too much of 3 people
    multi = dm.QuestionRow("a", 2, "Streets?", "multiple", ("High", "Quay"))
    answers = [dm.AnswerRow("a", 2, i, ["High", "Quay"] if i < 3 else ["High"]) for i in range(8)]
    [out] = dm.survey_results([multi], answers, 5)
    assert {o["option"]: o["count"] for o in out["options"]} == {"High": 8, "Quay": None}
    scale = dm.QuestionRow("a", 3, "Safe?", "scale", (), 1, 3)
    answers = [dm.AnswerRow("a", 3, i, i % 3 + 1) for i in range(15)]
    [out] = dm.survey_results([scale], answers, 5)
    assert {o["option"]: o["count"] for o in out["options"]} == {"1": 5, "2": 5, "3": 5}
