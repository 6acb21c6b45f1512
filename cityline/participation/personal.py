"""A person's participation as personal data (B14): what they can download, and what erasure does.

:func:`export` lists, per consultation the person took part in, their participant profile, their
contributions, the proposals they support, their survey answers and the reports they filed. It is
part of ``/account/my-data.json`` (:func:`cityline.privacy.subject.export`).

:func:`erase` is called by :func:`cityline.privacy.subject.erase`, in its transaction, before the
account is deleted. The choices, so that consultations stay coherent and nobody can be found again:

- **Participants** are unlinked from the account (``user`` empty), their display name becomes the
  neutral placeholder :data:`ERASED_NAME` (shown as "Former participant"), ``anonymous`` and
  ``notify`` are switched off and the language they took part in is cleared. The self-declared
  profile (interested-party category, customer segment, district, channel) stays: it is only ever
  published aggregated with small groups suppressed, and once the link to the account is gone it
  no longer points to anyone; engagement figures already published do not change.
- **Contributions** stay as rows (threads, replies by others, support counts and totals stay
  coherent) but their text becomes :data:`ERASED_TEXT`, a proposal's title :data:`ERASED_TITLE`, and
  ``erased`` is set.
- **Supports** and **choice / scale survey answers** stay as anonymous counts: they hold nothing but
  the choice, and their participant is no longer linked to anyone.
- **Free-text survey answers** are deleted: words can identify their author.
- **Reports** the person filed lose the link to them (the moderators keep the report and its reason).
- Offline responses the person **entered as staff**, and **moderation decisions** they took, lose
  the link to them (as the change history of city records does).
"""

from __future__ import annotations

from typing import Any

#: The display name an erased participant keeps (the public pages show its translation).
ERASED_NAME = "Former participant"
#: What replaces the title and text of an erased contribution.
ERASED_TEXT = "This contribution was erased at its author's request."
#: What replaces the title of an erased proposal.
ERASED_TITLE = "Erased proposal"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def export(user) -> dict[str, list[dict[str, Any]]]:
    """The person's participation: one entry per consultation they took part in, and the reports they filed."""
    from .models import Contribution, ContributionReport, Participant, Support, SurveyAnswer

    participants = list(Participant.objects.filter(user=user)
                        .select_related("consultation", "city", "segment").order_by("joined_at", "id"))
    contributions = (Contribution.objects.filter(participant__in=participants)
                     .select_related("parent").order_by("created_at", "id"))
    supports = (Support.objects.filter(participant__in=participants)
                .select_related("contribution").order_by("created_at", "id"))
    answers = (SurveyAnswer.objects.filter(participant__in=participants)
               .select_related("question").order_by("question__number"))
    by_participant: dict[int, dict[str, list]] = {p.pk: {"contributions": [], "supports": [], "survey_answers": []}
                                                  for p in participants}
    for c in contributions:
        by_participant[c.participant_id]["contributions"].append({
            "id": c.pk, "kind": c.kind, "in_reply_to": c.parent_id, "title": c.title, "text": c.body,
            "created": _iso(c.created_at), "hidden": c.hidden, "hidden_reason": c.hidden_reason,
            "erased": c.erased})
    for s in supports:
        by_participant[s.participant_id]["supports"].append({
            "proposal": s.contribution_id, "proposal_title": s.contribution.title, "at": _iso(s.created_at)})
    for a in answers:
        by_participant[a.participant_id]["survey_answers"].append({
            "question": a.question.number, "question_text": a.question.text, "answer": a.value,
            "answered_at": _iso(a.answered_at)})
    out = []
    for p in participants:
        out.append({
            "city": p.city.key, "consultation": p.consultation.key, "consultation_title": p.consultation.title,
            "participant": {
                "display_name": p.display_name, "anonymous": p.anonymous, "party_category": p.party_category,
                "segment": p.segment.key if p.segment else None, "district": p.district, "channel": p.channel,
                "notify": p.notify, "language": p.language, "joined_at": _iso(p.joined_at)},
            **by_participant[p.pk],
        })
    reports = (ContributionReport.objects.filter(reporter=user)
               .select_related("contribution__consultation", "city").order_by("created_at", "id"))
    return {"consultations": out, "reports_filed": [
        {"city": r.city.key, "consultation": r.contribution.consultation.key, "contribution": r.contribution_id,
         "reason": r.reason, "at": _iso(r.created_at), "resolved": r.resolved}
        for r in reports
    ]}


def erase(user) -> dict[str, int]:
    """Unlink and neutralise the person's participation (see the module docstring); returns counts by kind.

    Runs inside the caller's transaction (:func:`cityline.privacy.subject.erase`).
    """
    from .choices import QuestionKind
    from .models import Contribution, ContributionReport, ModerationEvent, Participant, Support, SurveyAnswer

    participants = Participant.objects.filter(user=user)
    ids = list(participants.values_list("pk", flat=True))
    contributions = Contribution.objects.filter(participant_id__in=ids)
    contributions.exclude(title="").update(title=ERASED_TITLE)
    counts = {
        "participation_contributions_erased": contributions.update(body=ERASED_TEXT, erased=True),
        "participation_survey_text_answers_deleted": SurveyAnswer.objects.filter(
            participant_id__in=ids, question__kind=QuestionKind.TEXT).delete()[0],
        "participation_survey_answers_kept_anonymous": SurveyAnswer.objects.filter(participant_id__in=ids).count(),
        "participation_supports_kept_anonymous": Support.objects.filter(participant_id__in=ids).count(),
        "participation_reports_unlinked": ContributionReport.objects.filter(reporter=user).update(reporter=None),
        "participation_offline_entries_unlinked": Participant.objects.filter(entered_by=user).update(entered_by=None),
        "participation_moderation_unlinked": ModerationEvent.objects.filter(moderator=user).update(moderator=None),
    }
    # the participant rows last: the queries above select by their ids, not by the account
    counts["participation_participants_unlinked"] = Participant.objects.filter(pk__in=ids).update(
        user=None, display_name=ERASED_NAME, anonymous=False, notify=False, language="")
    return counts
