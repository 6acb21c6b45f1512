"""Live survey results of a consultation: aggregates only (B2.g, B3).

``survey_results(consultation)`` returns plain, JSON-serialisable data for the public page and
``results.json``: per question the number of people who answered, and

- for single- and multiple-choice questions, each option's count and percentage of those who
  answered the question (several options per person for multiple choice, so the shares of a
  multiple-choice question can add up to more than 100);
- for scale questions, the mean and the distribution over every point of the scale;
- for free-text questions, only how many answered: the answers themselves are never published.

No answer is tied to a person here: only counts leave this module. The counts are published, so
they follow the same small-count rules as the open data (:func:`.domain.metrics.suppress`, the
city's ``small_count_threshold``): a question answered by fewer people than the threshold shows
no breakdown, a smaller group is ``None`` (shown as "—"), and on single-choice and scale questions
a second group is withheld when one alone would be recoverable from the total. A scale's mean is
published only when no point of its distribution is withheld: with the total, the mean gives a
second equation over the withheld counts, enough to work out two of them (nine "5" and one "1":
points 1 and 5 withheld, but 10 people with a mean of 4.6 can only be that split). With every count
published the mean adds nothing. Totals (people who answered) stay public.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count

from .choices import ContributionKind, QuestionKind
from .domain import metrics as dm
from .models import Consultation, Contribution, Participant, SurveyAnswer


def _percent(count: int | None, total: int) -> float | None:
    if count is None:
        return None
    return round(100.0 * count / total, 1) if total else 0.0


def _question(question, values: list[Any], threshold: int) -> dict[str, Any]:
    answered = len(values)
    data: dict[str, Any] = {"number": question.number, "text": question.text, "kind": question.kind,
                            "answered": answered}
    if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        counts: Counter = Counter()
        for value in values:
            for option in (value if isinstance(value, list) else [value]):
                counts[option] += 1
        shown = dm.suppress({o: counts[o] for o in question.options}, threshold, total=answered,
                            partition=question.kind == QuestionKind.SINGLE)
        data["options"] = [{"label": o, "count": shown[o], "percent": _percent(shown[o], answered)}
                           for o in question.options]
    elif question.kind == QuestionKind.SCALE:
        points = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        counts = Counter(points)
        scale = range(question.scale_min, question.scale_max + 1)
        shown = dm.suppress({p: counts[p] for p in scale}, threshold, total=len(points))
        labels = {question.scale_min: question.scale_min_label, question.scale_max: question.scale_max_label}
        data["scale"] = {"min": question.scale_min, "max": question.scale_max,
                         "min_label": question.scale_min_label, "max_label": question.scale_max_label}
        # The mean is a second equation over the counts: with two points withheld (and their sum known from
        # the total) it would give each of them away. So it is published only when every count is.
        complete = bool(points) and all(n is not None for n in shown.values())
        data["mean"] = round(sum(points) / len(points), 2) if complete else None
        data["distribution"] = [{"point": p, "label": labels.get(p) or "", "count": shown[p],
                                 "percent": _percent(shown[p], len(points))}
                                for p in scale]
    return data


def survey_results(consultation: Consultation) -> dict[str, Any]:
    """Per-question aggregates of the consultation's survey (empty ``questions`` when it has none)."""
    questions = list(consultation.questions.order_by("number"))
    by_question: dict[int, list[Any]] = {q.pk: [] for q in questions}
    respondents: set[int] = set()
    for question_id, participant_id, value in (SurveyAnswer.objects.filter(question__consultation=consultation)
                                               .values_list("question_id", "participant_id", "value")):
        by_question.setdefault(question_id, []).append(value)
        respondents.add(participant_id)
    from .services import settings_for

    threshold = settings_for(consultation.city).small_count_threshold
    return {"respondents": len(respondents), "suppressed_below": threshold,
            "questions": [_question(q, by_question[q.pk], threshold) for q in questions]}


def participation_counts(consultation: Consultation) -> dict[str, Any]:
    """How many took part and contributed, and each visible proposal's support count."""
    contributions = Contribution.objects.filter(consultation=consultation)
    proposals = (contributions.filter(kind=ContributionKind.PROPOSAL, hidden=False)
                 .annotate(n=Count("supports")).order_by("created_at", "id"))
    return {
        "participants": Participant.objects.filter(consultation=consultation).count(),
        "contributions": contributions.filter(hidden=False).count(),
        "proposals": [{"id": p.pk, "supports": p.n} for p in proposals],
    }


def live_results(consultation: Consultation) -> dict[str, Any]:
    """What ``results.json`` serves: the survey aggregates and the participation counts."""
    return {"consultation": consultation.key, "status": consultation.status,
            **participation_counts(consultation), "survey": survey_results(consultation)}
