"""The alert rules' evaluation (cityline.observations.domain.rules): plain Python, no database."""

from datetime import datetime, timedelta, timezone

import pytest

from cityline.observations.domain import rules
from cityline.observations.domain.rules import Rule, evaluate, intervals

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def series(*values, step=10):
    """Readings every ``step`` minutes from T0."""
    return [(at(i * step), v) for i, v in enumerate(values)]


def kinds(events):
    return [(e.kind, e.at, e.value) for e in events]


PM25 = Rule("threshold", "above", 25.0, duration_seconds=3600)


def test_threshold_opens_when_held_for_the_duration_and_closes_at_the_first_reading_below():
    readings = series(20, 26, 30, 27, 28, 29, 31, 33, 35, 24, 40)
    events, state = evaluate(PM25, readings)
    # held from 08:10; 09:10 is the first reading an hour later (value 33); peak 35 at 09:20; closed at 09:30
    assert kinds(events) == [("open", at(70), 33.0), ("peak", at(80), 35.0), ("close", at(90), 24.0)]
    assert {e.started_at for e in events} == {at(10)}
    assert events[0].peak == 33.0 and events[-1].peak == 35.0
    # 40 at 09:40 starts a new run, not yet an hour old
    assert not state.open and state.since == at(100)


def test_threshold_run_broken_before_the_duration_raises_nothing():
    events, _ = evaluate(PM25, series(26, 27, 28, 29, 30, 20, 26, 27))
    assert events == []


def test_zero_duration_opens_on_the_first_reading_and_equal_is_not_above():
    rule = Rule("threshold", "above", 25.0)
    events, _ = evaluate(rule, series(25, 25.5, 25))
    assert kinds(events) == [("open", at(10), 25.5), ("close", at(20), 25.0)]


def test_below_threshold_tracks_the_lowest_value_as_peak():
    rule = Rule("threshold", "below", 2.0, duration_seconds=1200)  # reservoir level under 2 m for 20 min
    events, _ = evaluate(rule, series(3, 1.9, 1.5, 1.7, 1.2, 2.5))
    assert kinds(events) == [("open", at(30), 1.7), ("peak", at(40), 1.2), ("close", at(50), 2.5)]
    assert events[0].peak == 1.5  # the lowest value of the run when the alert opened


def test_rate_of_change_above_within_the_window():
    rule = Rule("rate_of_change", "above", 10.0, window_seconds=1800)  # a rise of 10 within 30 minutes
    events, _ = evaluate(rule, series(5, 7, 9, 14, 16, 17, 30, 30, 30, 30))
    # 08:30 (14) vs 08:00 (5): +9 no; 08:40 (16) vs 08:10 (7): +9 no; 08:50 (17) vs 08:20 (9): +8 no;
    # 09:00 (30) vs 08:30 (14): +16 yes; 09:10 (30) vs 08:40 (16): +14; 09:20 vs 08:50 (17): +13;
    # 09:30 (30) vs 09:00 (30): 0 -> closed
    assert kinds(events) == [("open", at(60), 30.0), ("close", at(90), 30.0)]
    assert events[0].started_at == at(60)


def test_rate_of_change_below_uses_the_highest_value_of_the_window():
    rule = Rule("rate_of_change", "below", 5.0, window_seconds=1200)
    events, _ = evaluate(rule, series(20, 18, 17, 12, 12, 12))
    # 08:30 (12): the window 08:10..08:30 has 18 and 17: a fall of 6 -> open; 08:40: window 17, 12: 5 -> still;
    # 08:50: window 12, 12 -> 0 -> close
    assert kinds(events) == [("open", at(30), 12.0), ("close", at(50), 12.0)]


def test_incremental_batches_give_the_same_events_as_one_pass():
    values = [20, 26, 30, 27, 28, 29, 31, 35, 24, 40, 41, 42, 43, 44, 45, 46, 47, 10]
    readings = series(*values)
    for rule in (PM25, Rule("rate_of_change", "above", 10.0, window_seconds=1800),
                 Rule("threshold", "below", 30.0, duration_seconds=600)):
        whole, _ = evaluate(rule, readings)
        state, pieces = None, []
        for start in range(0, len(readings), 4):
            events, state = evaluate(rule, readings[start:start + 4], state)
            pieces.extend(events)
        assert pieces == whole and whole, rule


def test_out_of_order_reading_is_refused_and_a_replay_from_the_store_splits_the_alert():
    readings = series(26, 27, 28, 29, 30, 31, 32, 33)
    events, state = evaluate(PM25, readings)
    assert kinds(events) == [("open", at(60), 32.0), ("peak", at(70), 33.0)]
    late = (at(35), 10.0)  # a sensor's late reading, between 08:30 and 08:40
    assert not rules.in_order(state, late[0])
    with pytest.raises(ValueError, match="out of order"):
        evaluate(PM25, [late], state)
    # what the caller does: re-evaluate the stored readings (now with the late one) from a fresh state
    replayed = sorted(readings + [late])
    alerts = intervals(evaluate(PM25, replayed)[0])
    assert alerts == []  # the run 08:40..09:10 is only 30 minutes: no alert any more
    longer = sorted(series(26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37) + [late])
    (alert,) = intervals(evaluate(PM25, longer)[0])
    assert alert.started_at == at(40) and alert.raised_at == at(100) and alert.ended_at is None


def test_replay_of_the_same_readings_finds_the_same_alert():
    readings = series(20, 26, 30, 27, 28, 29, 31, 33, 35, 24)
    first = intervals(evaluate(PM25, readings)[0])
    again = intervals(evaluate(PM25, readings)[0])
    assert first == again and len(first) == 1 and first[0].ended_at == at(90) and first[0].peak == 35.0


def test_readings_without_value_are_skipped_and_bad_rules_name_the_field():
    events, _ = evaluate(Rule("threshold", "above", 1.0), [(at(0), None), (at(1), 2.0)])
    assert kinds(events) == [("open", at(1), 2.0)]
    with pytest.raises(rules.RuleError, match="comparison"):
        Rule("threshold", "sideways", 1.0)
    with pytest.raises(rules.RuleError, match="window_seconds"):
        Rule("rate_of_change", "above", 1.0, window_seconds=0)


def test_lookback_covers_duration_and_window():
    assert rules.lookback(PM25) == timedelta(hours=1)
    assert rules.lookback(Rule("rate_of_change", "above", 1.0, window_seconds=600)) == timedelta(minutes=10)


def test_bad_and_future_readings_are_left_out_of_the_evaluation():
    now = at(60)
    readings = [(at(0), 30.0, "ok"), (at(10), 0.0, "bad"), (at(20), 31.0, None), (at(64), 5.0, "ok"),
                (at(70), 1.0, "ok")]
    assert rules.evaluable(readings, now) == [(at(0), 30.0), (at(20), 31.0), (at(64), 5.0)]
    assert rules.FUTURE_TOLERANCE == timedelta(minutes=5) and rules.in_future(at(66), now)


def test_first_unmet_is_the_first_reading_from_a_time_on_that_breaks_the_rule():
    readings = series(30, 30, 30, 30, 12, 30, 10)
    assert rules.first_unmet(PM25, readings, at(20)) == at(40)
    assert rules.first_unmet(PM25, readings, at(50)) == at(60)
    assert rules.first_unmet(PM25, series(30, 30), at(0)) is None


def test_pair_prefers_the_open_alert_and_never_pairs_an_alert_started_before_the_run():
    class Row:
        def __init__(self, started, ended=None):
            self.started_at, self.ended_at = started, ended

    closed, still = Row(at(0), at(70)), Row(at(80))
    run = rules.Interval(at(0), at(60), 30.0, 30.0)  # open since 08:00
    assert rules.pair([run], [closed, still]) == [(run, still)]
    assert rules.pair([run], [closed]) == [(run, closed)]  # reopened
    later = rules.Interval(at(50), at(110), 30.0, 30.0)
    assert rules.pair([later], [Row(at(0))]) == [(later, None)]  # the condition broke in between
