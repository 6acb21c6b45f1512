"""Alert rules evaluated over a series' readings as they arrive (issue 6, real-time city management).

Plain Python, no Django: :mod:`cityline.observations.alerts` feeds it the readings of each stored
batch and turns the events it returns into :class:`~cityline.observations.models.Alert` rows.

Two kinds of rule, each with a comparison (``above`` or ``below``):

- **threshold**: a reading *meets* the rule when its value is strictly above (below) the threshold;
- **rate of change**: a reading meets the rule when its value rose (fell) by at least the threshold
  from some earlier reading less than or equal to ``window_seconds`` before it (the lowest (highest)
  value of that window is the reference).

The condition **holds** from the first reading that meets it for as long as every later reading
meets it. An alert **opens** at the first reading at which the held time (its time minus the
time of that first reading) reaches ``duration_seconds`` (0: at once, on the first reading); its
``started_at`` is the first reading's time. While it is open, each reading further above (below)
than the peak so far is a **peak** event. The alert **closes** at the first reading that no longer
meets the rule (``ended_at`` = that reading's time). Held time is only observed at readings: a
gap in the readings does not open an alert until the next reading arrives.

Incremental: :func:`evaluate` takes the :class:`State` the previous batch left and returns the
events of the new readings with the next state, so evaluating batch by batch gives the same
events as evaluating all the readings at once. Readings must come in time order and after
``state.last_time``; :func:`in_order` tells whether a batch does. **Out-of-order readings** (a
reading at or before the last one evaluated, e.g. a late sensor or a redelivered batch) are
not patched into the state: the caller re-evaluates from a fresh state over the readings of the
store from the earliest affected time (the earliest reading of the batch, or the start of an
alert still open or ended after it, whichever is earlier) minus :func:`lookback` (the rule's
duration or window), and reconciles the alerts it finds with those already recorded (an alert is
known by rule, series and ``started_at``, so re-finding one changes nothing). The store keeps one
reading per (series, time), latest write winning, so a replay sees exactly what is stored.

**Readings left out** (:func:`evaluable`): a reading flagged with quality :data:`BAD_QUALITY` and
a reading stamped more than :data:`FUTURE_TOLERANCE` after the time of evaluation (a sensor's clock
fault) are left out of the evaluation, as if absent: they neither open nor close an alert. They
stay stored; a future-stamped reading counts in a later re-evaluation once its time has come.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

THRESHOLD = "threshold"
RATE_OF_CHANGE = "rate_of_change"
ABOVE = "above"
BELOW = "below"

#: Readings flagged with this quality are left out of the evaluation (as if absent).
BAD_QUALITY = "bad"
#: Readings stamped more than this after the time of evaluation are left out of it (a clock fault).
FUTURE_TOLERANCE = timedelta(minutes=5)


class RuleError(ValueError):
    """A rule that cannot be evaluated, naming the field."""

    def __init__(self, field_name: str, problem: str):
        self.field, self.problem = field_name, problem
        super().__init__(f"{field_name}: {problem}")


@dataclass(frozen=True)
class Rule:
    kind: str
    comparison: str
    threshold: float
    duration_seconds: int = 0
    window_seconds: int = 3600

    def __post_init__(self):
        if self.kind not in (THRESHOLD, RATE_OF_CHANGE):
            raise RuleError("kind", f"unknown kind {self.kind!r}; the kinds are {THRESHOLD}, {RATE_OF_CHANGE}")
        if self.comparison not in (ABOVE, BELOW):
            raise RuleError("comparison", f"unknown comparison {self.comparison!r}; use {ABOVE} or {BELOW}")
        if self.duration_seconds < 0:
            raise RuleError("duration_seconds", "cannot be negative")
        if self.kind == RATE_OF_CHANGE and self.window_seconds <= 0:
            raise RuleError("window_seconds", "a rate-of-change rule needs a window of at least one second")


@dataclass(frozen=True)
class Event:
    """``kind`` is ``open``, ``peak`` or ``close``; ``started_at`` identifies the alert."""

    kind: str
    started_at: datetime
    at: datetime
    value: float
    peak: float


@dataclass
class State:
    """What evaluation carries from one batch to the next for one rule and one series."""

    last_time: datetime | None = None
    since: datetime | None = None  # first reading of the current run meeting the rule
    open: bool = False
    peak: float | None = None
    #: Rate of change: (time, value) of the window's readings whose value could still be the reference
    #: (a monotonic queue: ascending values for ``above``, descending for ``below``).
    window: deque = field(default_factory=deque)


def lookback(rule: Rule) -> timedelta:
    """How far before the earliest new reading an evaluation needs the stored readings."""
    seconds = rule.duration_seconds + (rule.window_seconds if rule.kind == RATE_OF_CHANGE else 0)
    return timedelta(seconds=seconds)


def in_order(state: State, first_time: datetime) -> bool:
    """Whether readings starting at ``first_time`` can continue ``state`` (later than all it has seen)."""
    return state.last_time is None or first_time > state.last_time


def in_future(time: datetime, now: datetime) -> bool:
    """Whether a reading at ``time`` is too far ahead of ``now`` to be evaluated (:data:`FUTURE_TOLERANCE`)."""
    return time > now + FUTURE_TOLERANCE


def evaluable(readings, now: datetime) -> list[tuple[datetime, float | None]]:
    """The ``(time, value)`` pairs of ``(time, value, quality)`` readings that the rules evaluate.

    Leaves out readings flagged :data:`BAD_QUALITY` and those stamped more than :data:`FUTURE_TOLERANCE`
    after ``now``; the order is kept.
    """
    return [(t, v) for t, v, quality in readings if quality != BAD_QUALITY and not in_future(t, now)]


def _further(rule: Rule, value: float, than: float) -> bool:
    return value > than if rule.comparison == ABOVE else value < than


def _meets_threshold(rule: Rule, value: float) -> bool:
    return _further(rule, value, rule.threshold)


def _meets_rate(rule: Rule, state: State, time: datetime, value: float) -> bool:
    """Compare with the window's reference, then add this reading to the window."""
    window = state.window
    oldest = time - timedelta(seconds=rule.window_seconds)
    while window and window[0][0] < oldest:
        window.popleft()
    met = False
    if window:
        reference = window[0][1]
        change = value - reference if rule.comparison == ABOVE else reference - value
        met = change >= rule.threshold
    # Keep only readings that could be a later reading's reference: for ``above`` the lowest value, so a
    # reading at or above this one (and older) never can be again. A monotonic queue keeps each update
    # O(1) on average however many readings the window holds.
    while window and not _further(rule, value, window[-1][1]):
        window.pop()
    window.append((time, value))
    return met


def _meets(rule: Rule, state: State, time: datetime, value: float) -> bool:
    if rule.kind == THRESHOLD:
        return _meets_threshold(rule, value)
    return _meets_rate(rule, state, time, value)


def evaluate(rule: Rule, readings, state: State | None = None) -> tuple[list[Event], State]:
    """Events of ``readings`` (``(time, value)`` pairs in time order, after ``state.last_time``).

    Returns the events and the state to pass with the next readings. ``None`` values (a reading
    without a value) are skipped. :class:`ValueError` when a reading is not after the previous one.
    """
    state = State() if state is None else state
    events: list[Event] = []
    duration = timedelta(seconds=rule.duration_seconds)
    for time, value in readings:
        if state.last_time is not None and time <= state.last_time:
            raise ValueError(f"reading at {time.isoformat()} is not after {state.last_time.isoformat()}: "
                             "re-evaluate from the store (out of order)")
        state.last_time = time
        if value is None:
            continue
        value = float(value)
        if not _meets(rule, state, time, value):
            if state.open:
                events.append(Event("close", state.since, time, value, state.peak))
            state.since, state.open, state.peak = None, False, None
            continue
        if state.since is None:
            state.since, state.peak = time, value
        elif _further(rule, value, state.peak):
            state.peak = value
            if state.open:
                events.append(Event("peak", state.since, time, value, value))
        if not state.open and time - state.since >= duration:
            state.open = True
            events.append(Event("open", state.since, time, value, state.peak))
    return events, state


def first_unmet(rule: Rule, readings, since: datetime) -> datetime | None:
    """Time of the first reading at or after ``since`` that does not meet the rule (``None``: none).

    ``readings`` are evaluated from a fresh state, so they should start :func:`lookback` before
    ``since`` (a rate-of-change rule needs its window). A reading without a value is skipped.
    """
    state = State()
    for time, value in readings:
        if value is None:
            continue
        if not _meets(rule, state, time, float(value)) and time >= since:
            return time
    return None


@dataclass
class Interval:
    """An alert as a whole (what a replay finds): open until ``ended_at``."""

    started_at: datetime
    raised_at: datetime
    trigger_value: float
    peak: float
    ended_at: datetime | None = None


def intervals(events: list[Event]) -> list[Interval]:
    """Fold a list of events into the alerts they describe, in order."""
    out: dict[datetime, Interval] = {}
    for e in events:
        if e.kind == "open":
            out[e.started_at] = Interval(e.started_at, e.at, e.value, e.peak)
        elif e.started_at in out:
            alert = out[e.started_at]
            alert.peak = e.peak
            if e.kind == "close":
                alert.ended_at = e.at
    return list(out.values())


def pair(found: list[Interval], recorded: list) -> list[tuple[Interval, object | None]]:
    """Pair each interval a replay found with the recorded alert it is (``None``: a new alert).

    ``recorded`` are the rule and series' alerts (objects with ``started_at`` and ``ended_at``). An
    alert is an interval's when it started at the interval's start or within it (a late reading can
    move the start of a run earlier, never later: a run starting after a recorded alert's start means
    the condition broke in between). An alert still open is preferred (the live alert goes on), then
    one with the same start, then the same end; each alert is paired at most once.
    """
    taken: set[int] = set()
    out: list[tuple[Interval, object | None]] = []
    for f in found:
        candidates = [(i, row) for i, row in enumerate(recorded) if i not in taken and f.started_at <= row.started_at
                      and (f.ended_at is None or row.started_at < f.ended_at)]
        best = min(candidates, default=None, key=lambda c: (c[1].ended_at is not None, c[1].started_at != f.started_at,
                                                             c[1].ended_at != f.ended_at, c[0]))
        if best is not None:
            taken.add(best[0])
        out.append((f, None if best is None else best[1]))
    return out


@dataclass
class Change:
    """What the events of one batch do to one alert (which may have opened in an earlier batch)."""

    started_at: datetime
    opened: bool
    trigger_value: float | None
    peak: float
    ended_at: datetime | None = None


def changes(events: list[Event]) -> list[Change]:
    """Fold one batch's events per alert: opened here or not, the last peak, the close if any."""
    out: dict[datetime, Change] = {}
    for e in events:
        change = out.get(e.started_at)
        if change is None:
            change = out[e.started_at] = Change(e.started_at, e.kind == "open",
                                                e.value if e.kind == "open" else None, e.peak)
        change.peak = e.peak
        if e.kind == "close":
            change.ended_at = e.at
    return list(out.values())
