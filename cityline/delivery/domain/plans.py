"""Rules of benefit realisation plans (C3.b, C3.d): plain data in, plain data out.

A plan lists the activities that have to happen for one benefit to be realised, each
with dates, a priority and the other activities it waits for. These functions answer
the questions a benefit owner and the programme board ask of a plan:

- which activities are still open ("open actions": neither done nor cancelled);
- which open activities are overdue (their due date has passed);
- which open activities wait for another activity that is not finished (blocked by a
  dependency), and which start before an activity they depend on is due;
- whether the dependencies loop (a cycle can never be scheduled);
- in which order the work can be done (dependencies first; among what is ready, high
  priority, then the earliest due date, then the key);
- when the plan is next due for review, and whether that review is overdue.

No Django here: the records are turned into :class:`Activity` by the caller.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

PLANNED = "planned"
IN_PROGRESS = "in_progress"
DONE = "done"
BLOCKED = "blocked"
CANCELLED = "cancelled"
STATUSES = (PLANNED, IN_PROGRESS, DONE, BLOCKED, CANCELLED)
#: Activities that no longer need doing.
CLOSED = (DONE, CANCELLED)

HIGH, MEDIUM, LOW = "high", "medium", "low"
PRIORITIES = (HIGH, MEDIUM, LOW)

DEFAULT_REVIEW_DAYS = 90


@dataclass(frozen=True)
class Activity:
    """One activity of a realisation plan."""

    key: str
    title: str = ""
    status: str = PLANNED
    priority: str = MEDIUM
    start: date | None = None
    due: date | None = None
    depends_on: tuple[str, ...] = ()


class DependencyCycle(ValueError):
    """The dependencies loop; ``cycle`` lists the keys around the loop, first key repeated at the end."""

    def __init__(self, cycle: list[str]):
        self.cycle = cycle
        super().__init__("dependencies loop: " + " → ".join(cycle))


def is_open(activity: Activity) -> bool:
    """An open action: neither done nor cancelled."""
    return activity.status not in CLOSED


def open_actions(activities: Iterable[Activity]) -> list[Activity]:
    return [a for a in activities if is_open(a)]


def days_overdue(activity: Activity, on_date: date) -> int:
    """Days past the due date of an open activity (0 when not overdue, closed, or without a due date)."""
    if not is_open(activity) or activity.due is None or activity.due >= on_date:
        return 0
    return (on_date - activity.due).days


def is_overdue(activity: Activity, on_date: date) -> bool:
    return days_overdue(activity, on_date) > 0


def overdue(activities: Iterable[Activity], on_date: date) -> list[Activity]:
    """Open activities whose due date is before ``on_date``, most overdue first."""
    late = [a for a in activities if is_overdue(a, on_date)]
    return sorted(late, key=lambda a: (a.due, a.key))


def blocked_by(activities: Iterable[Activity]) -> dict[str, list[str]]:
    """Open activities waiting for a dependency that is still open: ``{key: [open dependency keys]}``.

    A cancelled dependency does not block (nothing is coming); a dependency outside the
    given activities is ignored.
    """
    acts = list(activities)
    by_key = {a.key: a for a in acts}
    out: dict[str, list[str]] = {}
    for a in acts:
        if not is_open(a):
            continue
        waiting = sorted(d for d in a.depends_on if d in by_key and is_open(by_key[d]))
        if waiting:
            out[a.key] = waiting
    return out


def schedule_conflicts(activities: Iterable[Activity]) -> dict[str, list[str]]:
    """Open activities planned to start before an open dependency is due: ``{key: [dependency keys]}``."""
    acts = list(activities)
    by_key = {a.key: a for a in acts}
    out: dict[str, list[str]] = {}
    for a in acts:
        if not is_open(a) or a.start is None:
            continue
        early = sorted(d for d in a.depends_on
                       if d in by_key and is_open(by_key[d]) and by_key[d].due is not None and by_key[d].due > a.start)
        if early:
            out[a.key] = early
    return out


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A loop in ``{key: keys it depends on}``, as ``[a, b, …, a]``; None when there is none.

    Self-dependency counts as a loop (``[a, a]``). Deterministic: keys are visited in sorted order.
    """
    deps = {k: sorted(set(v)) for k, v in graph.items()}
    white, grey, black = 0, 1, 2
    colour: dict[str, int] = {}
    for root in sorted(deps):
        if colour.get(root, white) != white:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        colour[root] = grey
        while stack:
            node, i = stack[-1]
            children = deps.get(node, [])
            if i < len(children):
                stack[-1] = (node, i + 1)
                child = children[i]
                state = colour.get(child, white)
                if state == grey:
                    return path[path.index(child):] + [child]
                if state == white:
                    colour[child] = grey
                    stack.append((child, 0))
                    path.append(child)
            else:
                colour[node] = black
                stack.pop()
                path.pop()
    return None


def cycle_with(graph: Mapping[str, Iterable[str]], key: str, depends_on: Iterable[str]) -> list[str] | None:
    """The loop ``key`` would close if it depended on ``depends_on`` (everything else as in ``graph``)."""
    trial = {k: list(v) for k, v in graph.items()}
    trial[key] = list(depends_on)
    return find_cycle(trial)


def critical_order(activities: Iterable[Activity]) -> list[Activity]:
    """Activities in an order that respects every dependency (topological).

    Among the activities that are ready, high priority goes first, then the earliest due
    date (no date last), then the key. Dependencies on activities outside the list are
    ignored. Raises :class:`DependencyCycle` when the dependencies loop.
    """
    acts = list(activities)
    by_key = {a.key: a for a in acts}
    graph = {a.key: [d for d in a.depends_on if d in by_key] for a in acts}
    cycle = find_cycle(graph)
    if cycle:
        raise DependencyCycle(cycle)
    waiting = {k: len(set(v)) for k, v in graph.items()}
    followers: dict[str, list[str]] = {k: [] for k in graph}
    for k, deps in graph.items():
        for d in set(deps):
            followers[d].append(k)

    def rank(a: Activity) -> tuple:
        return (PRIORITIES.index(a.priority) if a.priority in PRIORITIES else len(PRIORITIES),
                a.due is None, a.due or date.max, a.key)

    ready = [(rank(by_key[k]), k) for k, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    out: list[Activity] = []
    while ready:
        _rank, k = heapq.heappop(ready)
        out.append(by_key[k])
        for f in followers[k]:
            waiting[f] -= 1
            if waiting[f] == 0:
                heapq.heappush(ready, (rank(by_key[f]), f))
    return out


def next_review(last_reviewed: date | None, every_days: int = DEFAULT_REVIEW_DAYS) -> date | None:
    """When the plan is next due for review; None when it was never reviewed (due now)."""
    if last_reviewed is None:
        return None
    return last_reviewed + timedelta(days=every_days)


def review_overdue(last_reviewed: date | None, every_days: int, on_date: date) -> bool:
    """A plan never reviewed, or whose last review is more than ``every_days`` old on ``on_date``."""
    due = next_review(last_reviewed, every_days)
    return due is None or due < on_date
