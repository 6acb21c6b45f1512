"""Engagement metrics (B3): plain functions over plain rows, with small-count suppression.

Nothing here touches the database: :mod:`cityline.participation.metrics` loads the rows
(:class:`ConsultationRow`, :class:`ParticipantRow`, :class:`ContributionRow`, answers) and
calls these. The same figures feed the API, the open datasets and the KPI feed.

Suppression (what may be published about self-declared groups):

- A breakdown whose population (its total) is below the threshold but above zero shows no
  group at all, not even the groups' names (:func:`cells` returns an empty list): with so few
  people, even "everyone is in North" says too much.
- Otherwise a group count from 1 to threshold - 1 is suppressed (primary suppression).
- Where the groups add up to a published total (a partition: one group per person), a single
  suppressed group could be recovered by subtraction, so the smallest other non-zero group is
  suppressed too (secondary suppression). The total is always greater than the suppressed
  group, so such a group exists.
- A count of 0 is shown: it says nothing about anyone (except in a small population, above).

A suppressed count is ``None``; whether it was small or suppressed to protect another is
deliberately not told.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

NOT_GIVEN = "not_given"
ONLINE = "online"
DIMENSIONS = ["party_category", "segment", "channel", "district"]
QUARTER, YEAR = "quarter", "year"


# --- suppression -------------------------------------------------------------------------------------


def suppress(counts: dict[str, int], threshold: int, *, total: int | None = None,
             partition: bool = True) -> dict[str, int | None]:
    """``counts`` with the counts that may not be published replaced by ``None``.

    ``partition``: each person is in exactly one group, so the groups add up to ``total``
    (default: their sum), which is published elsewhere; secondary suppression then keeps a
    lone suppressed group from being recovered by subtraction. Without ``partition`` (e.g. a
    multiple-choice question) only primary suppression applies.
    """
    if threshold < 1:
        raise ValueError("the small-count threshold is at least 1")
    population = sum(counts.values()) if total is None else total
    if 0 < population < threshold:
        return {group: None for group in counts}
    out: dict[str, int | None] = {group: (None if 0 < n < threshold else n) for group, n in counts.items()}
    if partition and sum(1 for v in out.values() if v is None) == 1:
        candidates = sorted((n, group) for group, n in out.items() if n)  # published, non-zero
        if candidates:
            out[candidates[0][1]] = None
    return out


def cells(counts: dict[str, int], threshold: int, *, labels: dict[str, str] | None = None,
          total: int | None = None, partition: bool = True, key: str = "participants") -> list[dict]:
    """A suppressed breakdown as rows ``{"group", "label", key, "suppressed"}``, largest published first.

    Groups that occur only (a group not listed has nobody). Empty when the whole breakdown is
    withheld (a population from 1 to threshold - 1).
    """
    population = sum(counts.values()) if total is None else total
    if 0 < population < threshold:
        return []  # withheld: listing the groups would tell where the few people are
    published = suppress(counts, threshold, total=total, partition=partition)
    rows = [{"group": group, "label": (labels or {}).get(group, group), key: value, "suppressed": value is None}
            for group, value in published.items()]
    # order by the published figure only (a suppressed group's true size must not show in the order)
    return sorted(rows, key=lambda r: (r[key] is None, -(r[key] or 0), r["group"] == NOT_GIVEN, r["group"]))


# --- rows ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsultationRow:
    key: str
    title: str
    status: str
    opens_on: date
    closes_on: date
    closed_on: date | None = None
    response_published_on: date | None = None

    @property
    def period_day(self) -> date:
        """The day that places the consultation in a period: when it closed (or is due to close)."""
        return self.closed_on or self.closes_on


@dataclass(frozen=True)
class ParticipantRow:
    id: int
    consultation: str
    person: str  # a stable token for counting distinct people ("u<user id>" or "p<participant id>"); never published
    party_category: str = ""
    segment: str = ""
    district: str = ""
    channel: str = ONLINE


@dataclass(frozen=True)
class ContributionRow:
    consultation: str
    kind: str  # comment | proposal
    is_reply: bool = False
    hidden: bool = False


@dataclass(frozen=True)
class AnswerRow:
    consultation: str
    question: int
    participant: int
    value: Any


@dataclass(frozen=True)
class QuestionRow:
    consultation: str
    number: int
    text: str
    kind: str  # single | multiple | scale | text
    options: tuple = ()
    scale_min: int | None = None
    scale_max: int | None = None


@dataclass
class Rows:
    """Everything the figures of one city are computed from."""

    consultations: list[ConsultationRow] = field(default_factory=list)
    participants: list[ParticipantRow] = field(default_factory=list)
    contributions: list[ContributionRow] = field(default_factory=list)
    supports: dict[str, int] = field(default_factory=dict)  # consultation key -> supports
    questions: list[QuestionRow] = field(default_factory=list)
    answers: list[AnswerRow] = field(default_factory=list)

    def only(self, keys: set[str]) -> "Rows":
        return Rows([c for c in self.consultations if c.key in keys],
                    [p for p in self.participants if p.consultation in keys],
                    [c for c in self.contributions if c.consultation in keys],
                    {k: n for k, n in self.supports.items() if k in keys},
                    [q for q in self.questions if q.consultation in keys],
                    [a for a in self.answers if a.consultation in keys])


# --- figures -------------------------------------------------------------------------------------------


def group_of(participant: ParticipantRow, dimension: str) -> str:
    return getattr(participant, dimension) or NOT_GIVEN


def breakdown(participants: Iterable[ParticipantRow], dimension: str) -> dict[str, int]:
    """Participations by group of ``dimension`` (``not_given`` for an empty answer); groups that occur only."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; use one of {', '.join(DIMENSIONS)}")
    out: dict[str, int] = {}
    for p in participants:
        group = group_of(p, dimension)
        out[group] = out.get(group, 0) + 1
    return out


def contribution_counts(contributions: Iterable[ContributionRow]) -> dict[str, int]:
    """Visible comments, replies and proposals, their sum, and hidden contributions (counted separately)."""
    out = {"comments": 0, "replies": 0, "proposals": 0, "hidden": 0}
    for c in contributions:
        if c.hidden:
            out["hidden"] += 1
        elif c.kind == "proposal":
            out["proposals"] += 1
        elif c.is_reply:
            out["replies"] += 1
        else:
            out["comments"] += 1
    out["total"] = out["comments"] + out["replies"] + out["proposals"]
    return out


def days_to_respond(consultation: ConsultationRow) -> int | None:
    if consultation.closed_on is None or consultation.response_published_on is None:
        return None
    return max(0, (consultation.response_published_on - consultation.closed_on).days)


def responded_in_target(consultation: ConsultationRow, target_days: int, today: date) -> bool | None:
    """True: responded within the target; False: responded late, or the target passed without a response;
    None: not closed yet, or closed and still within the target without a response (not decided yet)."""
    if consultation.closed_on is None:
        return None
    days = days_to_respond(consultation)
    if days is not None:
        return days <= target_days
    return False if (today - consultation.closed_on).days > target_days else None


def percent(part: int | float, whole: int | float) -> float | None:
    return None if not whole else round(100.0 * part / whole, 2)


def survey_results(questions: Iterable[QuestionRow], answers: Iterable[AnswerRow], threshold: int) -> list[dict]:
    """Counts per option (or scale point) of each choice or scale question, suppressed; free text never.

    Single choice and scale are partitions of the question's respondents (secondary
    suppression applies); multiple choice is not (one person may choose several).
    """
    by_question: dict[tuple[str, int], list[Any]] = {}
    for a in answers:
        by_question.setdefault((a.consultation, a.question), []).append(a.value)
    out = []
    for q in sorted(questions, key=lambda q: (q.consultation, q.number)):
        if q.kind == "text":
            continue
        values = by_question.get((q.consultation, q.number), [])
        if q.kind == "scale":
            points = [str(p) for p in range(q.scale_min, q.scale_max + 1)] if q.scale_min is not None else []
        else:
            points = [str(o) for o in q.options]
        counts = {p: 0 for p in points}
        for value in values:
            for v in (value if isinstance(value, list) else [value]):
                if str(v) in counts:
                    counts[str(v)] += 1
        published = suppress(counts, threshold, total=len(values), partition=q.kind != "multiple")
        out.append({"consultation": q.consultation, "number": q.number, "question": q.text, "kind": q.kind,
                    "options": [{"option": p, "count": published[p], "suppressed": published[p] is None}
                                for p in points]})
    return out


def offline_count(channel_cells: list[dict], population: int) -> int | None:
    """People who took part offline, from the published channel breakdown (None where it is suppressed).

    The channel is a breakdown like the others: its offline groups are only as public as
    they are there, so the offline count and share cannot undo the suppression.
    """
    if population == 0:
        return 0
    if not channel_cells or any(r["suppressed"] for r in channel_cells if r["group"] != ONLINE):
        return None
    return sum(r["participants"] for r in channel_cells if r["group"] != ONLINE)


def consultation_figures(c: ConsultationRow, rows: Rows, *, threshold: int, target_days: int, today: date,
                         labels: dict[str, dict[str, str]] | None = None) -> dict:
    """The published figures of one consultation: totals, suppressed breakdowns, response time."""
    mine = rows.only({c.key})
    people = mine.participants
    contributions = contribution_counts(mine.contributions)
    breakdowns = {d: cells(breakdown(people, d), threshold, labels=(labels or {}).get(d), total=len(people))
                  for d in DIMENSIONS}
    offline = offline_count(breakdowns["channel"], len(people))
    return {
        "consultation": c.key, "title": c.title, "status": c.status, "opens_on": c.opens_on,
        "closes_on": c.closes_on, "closed_on": c.closed_on,
        "participants": len(people), "offline_participants": offline,
        "offline_share": None if offline is None else percent(offline, len(people)),
        "contributions": contributions, "supports": mine.supports.get(c.key, 0),
        "survey_responses": len({a.participant for a in mine.answers}),
        "response_published_on": c.response_published_on, "days_to_respond": days_to_respond(c),
        "response_target_days": target_days, "responded_in_target": responded_in_target(c, target_days, today),
        "small_count_threshold": threshold,
        "breakdowns": breakdowns,
        "survey": [{k: v for k, v in q.items() if k != "consultation"}
                   for q in survey_results(mine.questions, mine.answers, threshold)],
    }


# --- periods -------------------------------------------------------------------------------------------


def period_of(day: date, period: str) -> tuple[str, date, date]:
    """``(label, first day, last day)`` of the quarter or year holding ``day``: ``("2026-Q1", ...)``."""
    if period == YEAR:
        return str(day.year), date(day.year, 1, 1), date(day.year, 12, 31)
    if period != QUARTER:
        raise ValueError(f"unknown period {period!r}; use quarter or year")
    q = (day.month - 1) // 3 + 1
    start = date(day.year, 3 * q - 2, 1)
    end = date(day.year + 1, 1, 1) if q == 4 else date(day.year, 3 * q + 1, 1)
    return f"{day.year}-Q{q}", start, date.fromordinal(end.toordinal() - 1)


def periods_between(first: date, last: date, period: str) -> list[tuple[str, date, date]]:
    """Every period from the one holding ``first`` to the one holding ``last``, oldest first."""
    out = []
    label, start, end = period_of(first, period)
    while start <= last:
        out.append((label, start, end))
        label, start, end = period_of(date.fromordinal(end.toordinal() + 1), period)
    return out


def period_figures(rows: Rows, period: str, *, threshold: int, target_days: int, today: date,
                   labels: dict[str, dict[str, str]] | None = None, closed_only: bool = False) -> list[dict]:
    """Figures per period (consultations counted in the period they closed, or are due to close), oldest first.

    ``participants`` counts distinct people; ``participations`` counts people per
    consultation (someone in two consultations counts twice), and the breakdowns count
    participations: a period's group is then the sum of its consultations' groups, and it is
    published only when every one of those is (so a period cannot reveal a consultation's
    suppressed group). ``closed_only``: only periods that have ended before ``today``.
    """
    consultations = [c for c in rows.consultations]
    if not consultations:
        return []
    first = min(c.period_day for c in consultations)
    last = max(c.period_day for c in consultations)
    if closed_only:
        last = min(last, date.fromordinal(period_of(today, period)[1].toordinal() - 1))
    per_consultation = {c.key: consultation_figures(c, rows, threshold=threshold, target_days=target_days,
                                                    today=today, labels=labels) for c in consultations}
    out = []
    for label, start, end in periods_between(first, last, period) if first <= last else []:
        if closed_only and end >= today:
            continue
        inside = [c for c in consultations if start <= c.period_day <= end]
        keys = {c.key for c in inside}
        mine = rows.only(keys)
        people = mine.participants
        closed = [c for c in inside if c.closed_on is not None]
        decided = [responded_in_target(c, target_days, today) for c in closed]
        decided = [d for d in decided if d is not None]
        days = [d for d in (days_to_respond(c) for c in closed) if d is not None]
        breakdowns = {d: _period_cells(people, d, keys, per_consultation, threshold, labels) for d in DIMENSIONS}
        contributions = contribution_counts(mine.contributions)
        offline = offline_count(breakdowns["channel"], len(people))
        out.append({
            "period": label, "starts_on": start, "ends_on": end, "closed": end < today,
            "consultations": len(inside), "consultations_closed": len(closed),
            "participants": len({p.person for p in people}), "participations": len(people),
            "offline_participations": offline,
            "offline_share": None if offline is None else percent(offline, len(people)),
            "contributions": contributions, "supports": sum(mine.supports.values()),
            "survey_responses": len({a.participant for a in mine.answers}),
            "responded": len(days), "responded_in_target": sum(1 for d in decided if d),
            "responded_in_target_share": percent(sum(1 for d in decided if d), len(decided)),
            "median_days_to_respond": statistics.median(days) if days else None,
            "response_target_days": target_days, "small_count_threshold": threshold,
            "breakdowns": breakdowns,
        })
    return out


def _period_cells(people: list[ParticipantRow], dimension: str, keys: set[str], per_consultation: dict,
                  threshold: int, labels: dict | None) -> list[dict]:
    """A period's breakdown: a group is published only when each consultation's count of it is (or is 0).

    A period's group is the sum of its consultations' groups, so publishing it beside a
    suppressed consultation group could reveal that group. If exactly one group ends up
    suppressed (recoverable from the period's total), the whole breakdown is withheld.
    """
    counts = breakdown(people, dimension)
    if 0 < len(people) < threshold:
        return []
    blocked = set()
    for k in keys:
        figures = per_consultation[k]
        listed = {cell["group"]: cell for cell in figures["breakdowns"][dimension]}
        if figures["participants"] and not listed:  # withheld there: every group it has is blocked
            blocked |= {group_of(p, dimension) for p in people if p.consultation == k}
        blocked |= {group for group, cell in listed.items() if cell["suppressed"]}
    rows = [{"group": group, "label": ((labels or {}).get(dimension) or {}).get(group, group),
             "participants": None if group in blocked else n, "suppressed": group in blocked}
            for group, n in counts.items()]
    if sum(1 for r in rows if r["suppressed"]) == 1:
        return []
    return sorted(rows, key=lambda r: (r["suppressed"], -(r["participants"] or 0), r["group"] == NOT_GIVEN,
                                       r["group"]))


def metric_value(figures: dict, metric: str) -> float | int | None:
    """The value of an engagement metric (``choices.EngagementMetric``) from one period's figures."""
    if metric == "responded_in_target":
        return figures["responded_in_target_share"]
    if metric == "participants":
        return figures["participants"]
    if metric == "contributions":
        return figures["contributions"]["total"]
    if metric == "consultations_closed":
        return figures["consultations_closed"]
    if metric == "offline_share":
        return figures["offline_share"]
    if metric == "median_days_to_respond":
        return figures["median_days_to_respond"]
    raise ValueError(f"unknown engagement metric {metric!r}")
