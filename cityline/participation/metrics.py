"""Engagement metrics of a city (B3): load the rows, compute with :mod:`.domain.metrics`.

Only public consultations (not drafts) count, and only published responses. The figures
are what anyone may see: breakdowns by self-declared group are suppressed below the city's
small-count threshold (:class:`~.models.ParticipationSettings`). No name, user or e-mail
address leaves this module: people are counted, never listed.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from cityline.strategy.choices import PartyCategory

from .choices import ConsultationStatus, ResponseChannel, ResponseStatus
from .domain import metrics as dm
from .models import Consultation, ConsultationResponse, Contribution, Participant, Support, SurveyAnswer, SurveyQuestion
from .services import settings_for


def public_consultations(city):
    return Consultation.objects.filter(city=city).exclude(status=ConsultationStatus.DRAFT)


def load_rows(city, consultations=None) -> dm.Rows:
    """The plain rows of ``consultations`` (default: every public consultation of the city)."""
    qs = consultations if consultations is not None else public_consultations(city)
    qs = qs.exclude(status=ConsultationStatus.DRAFT)
    published = dict(ConsultationResponse.objects.filter(consultation__in=qs, status=ResponseStatus.PUBLISHED)
                     .values_list("consultation_id", "published_on"))
    cons = list(qs.order_by("opens_on", "key").values("pk", "key", "title", "status", "opens_on", "closes_on",
                                                       "closed_on"))
    key_of = {c["pk"]: c["key"] for c in cons}
    rows = dm.Rows()
    rows.consultations = [dm.ConsultationRow(c["key"], c["title"], c["status"], c["opens_on"], c["closes_on"],
                                             c["closed_on"], published.get(c["pk"])) for c in cons]
    ids = list(key_of)
    for p in (Participant.objects.filter(consultation_id__in=ids)
              .values("pk", "consultation_id", "user_id", "party_category", "segment__key", "district", "channel")):
        person = f"u{p['user_id']}" if p["user_id"] else f"p{p['pk']}"
        rows.participants.append(dm.ParticipantRow(p["pk"], key_of[p["consultation_id"]], person,
                                                   p["party_category"] or "", p["segment__key"] or "",
                                                   p["district"] or "", p["channel"] or dm.ONLINE))
    rows.contributions = [dm.ContributionRow(key_of[c["consultation_id"]], c["kind"], c["parent_id"] is not None,
                                             c["hidden"])
                          for c in Contribution.objects.filter(consultation_id__in=ids)
                          .values("consultation_id", "kind", "parent_id", "hidden")]
    for cid in Support.objects.filter(contribution__consultation_id__in=ids).values_list(
            "contribution__consultation_id", flat=True):
        rows.supports[key_of[cid]] = rows.supports.get(key_of[cid], 0) + 1
    rows.questions = [dm.QuestionRow(key_of[q["consultation_id"]], q["number"], q["text"], q["kind"],
                                     tuple(q["options"] or ()), q["scale_min"], q["scale_max"])
                      for q in SurveyQuestion.objects.filter(consultation_id__in=ids)
                      .values("consultation_id", "number", "text", "kind", "options", "scale_min", "scale_max")]
    rows.answers = [dm.AnswerRow(key_of[a["question__consultation_id"]], a["question__number"], a["participant_id"],
                                 a["value"])
                    for a in SurveyAnswer.objects.filter(question__consultation_id__in=ids)
                    .values("question__consultation_id", "question__number", "participant_id", "value")]
    return rows


def labels(city) -> dict[str, dict[str, str]]:
    """Readable names of the groups of each dimension (in the active language)."""
    from cityline.citizen_services.models import CustomerSegment

    from django.utils.translation import gettext

    not_given = gettext("Not given")
    return {
        "party_category": {**{v: str(label) for v, label in PartyCategory.choices}, dm.NOT_GIVEN: not_given},
        "segment": {**dict(CustomerSegment.objects.filter(city=city).values_list("key", "name")),
                    dm.NOT_GIVEN: not_given},
        "channel": {v: str(label) for v, label in ResponseChannel.choices},
        "district": {dm.NOT_GIVEN: not_given},
    }


def _context(city, today: date | None):
    s = settings_for(city)
    return {"threshold": s.small_count_threshold, "target_days": s.response_target_days,
            "today": today or timezone.localdate(), "labels": labels(city)}


def consultation_metrics(consultation: Consultation, *, today: date | None = None) -> dict:
    """The published figures of one public consultation (ValueError for a draft)."""
    if not consultation.is_public:
        raise ValueError(f"consultation {consultation.key!r} is a draft: it has no public figures")
    city = consultation.city
    rows = load_rows(city, Consultation.objects.filter(pk=consultation.pk))
    return dm.consultation_figures(rows.consultations[0], rows, **_context(city, today))


def all_consultation_metrics(city, *, today: date | None = None, rows: dm.Rows | None = None) -> list[dict]:
    rows = rows or load_rows(city)
    ctx = _context(city, today)
    return [dm.consultation_figures(c, rows, **ctx) for c in rows.consultations]


def period_metrics(city, period: str = dm.QUARTER, *, today: date | None = None, closed_only: bool = False,
                   rows: dm.Rows | None = None) -> list[dict]:
    """Figures per quarter or year, oldest first (see :func:`.domain.metrics.period_figures`)."""
    return dm.period_figures(rows or load_rows(city), period, closed_only=closed_only, **_context(city, today))
