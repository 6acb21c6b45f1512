"""Rules of realisation plans without a database (C3.b, C3.d)."""

from datetime import date

import pytest

from cityline.delivery.domain import plans as p

A = p.Activity
ON = date(2026, 3, 1)


def test_open_actions_leave_out_done_and_cancelled():
    acts = [A("a", status="done"), A("b", status="cancelled"), A("c"), A("d", status="blocked"),
            A("e", status="in_progress")]
    assert [a.key for a in p.open_actions(acts)] == ["c", "d", "e"]


def test_overdue_is_open_and_past_due_most_overdue_first():
    acts = [A("late", due=date(2026, 1, 31)), A("later", due=date(2025, 12, 1)), A("today", due=ON),
            A("done-late", due=date(2025, 1, 1), status="done"), A("no-date"),
            A("cancelled-late", due=date(2025, 1, 1), status="cancelled")]
    assert [a.key for a in p.overdue(acts, ON)] == ["later", "late"]
    assert p.days_overdue(acts[0], ON) == 29
    assert p.days_overdue(acts[2], ON) == 0  # due today is not late yet


def test_blocked_by_open_dependencies_only():
    acts = [A("survey", status="done"), A("sensors", status="in_progress", depends_on=("survey",)),
            A("zones", depends_on=("sensors", "survey")), A("dropped", status="cancelled"),
            A("after-dropped", depends_on=("dropped", "elsewhere")), A("closed", status="done", depends_on=("zones",))]
    assert p.blocked_by(acts) == {"zones": ["sensors"]}


def test_schedule_conflict_when_starting_before_a_dependency_is_due():
    acts = [A("a", due=date(2026, 6, 30)), A("b", start=date(2026, 6, 1), depends_on=("a",)),
            A("c", start=date(2026, 7, 1), depends_on=("a",))]
    assert p.schedule_conflicts(acts) == {"b": ["a"]}


def test_find_cycle_names_the_loop():
    assert p.find_cycle({"a": ["b"], "b": ["c"], "c": []}) is None
    assert p.find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert p.find_cycle({"a": ["a"]}) == ["a", "a"]
    assert p.find_cycle({"x": [], "a": ["b"], "b": ["a"]}) == ["a", "b", "a"]


def test_cycle_with_a_proposed_dependency_set():
    graph = {"a": ["b"], "b": [], "c": []}
    assert p.cycle_with(graph, "b", ["a"]) == ["a", "b", "a"]
    assert p.cycle_with(graph, "b", ["c"]) is None
    assert p.cycle_with(graph, "new", ["new"]) == ["new", "new"]


def test_critical_order_respects_dependencies_then_priority_then_due_date():
    acts = [A("paint", priority="low", due=date(2026, 2, 1)), A("walls", priority="low", due=date(2026, 1, 1)),
            A("roof", priority="high", depends_on=("walls",), due=date(2026, 3, 1)),
            A("permit", priority="medium", due=date(2025, 12, 1)),
            A("urgent", priority="high"), A("fence", priority="low", due=date(2026, 1, 1), depends_on=("ghost",))]
    order = [a.key for a in p.critical_order(acts)]
    assert order == ["urgent", "permit", "fence", "walls", "roof", "paint"]
    for a in acts:
        for d in a.depends_on:
            if d in order:
                assert order.index(d) < order.index(a.key)


def test_critical_order_refuses_a_loop():
    with pytest.raises(p.DependencyCycle) as err:
        p.critical_order([A("a", depends_on=("b",)), A("b", depends_on=("a",))])
    assert err.value.cycle == ["a", "b", "a"]


def test_plan_review_due_after_the_interval_and_when_never_reviewed():
    assert p.next_review(date(2026, 1, 1), 90) == date(2026, 4, 1)
    assert not p.review_overdue(date(2026, 1, 1), 90, date(2026, 4, 1))
    assert p.review_overdue(date(2026, 1, 1), 90, date(2026, 4, 2))
    assert p.review_overdue(None, 90, ON)
    assert p.next_review(None) is None
