"""Taking part and running consultations: every face (portal, editor, API, CLI, demo) calls these.

City records (consultations, responses) are written through :mod:`cityline.core.actions`, so
they are validated, versioned and in the change history. Personal records (participants,
contributions, supports, answers, reports, the moderation log) are written here, each in one
transaction, after the same checks whichever face asks.

Errors are ``ValidationError`` with a message naming the field, or ``PermissionDenied``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityline.core import actions

from .choices import ConsultationStatus, ContributionKind, ModerationAction, QuestionKind, ResponseChannel
from .choices import ResponseStatus
from .domain import lifecycle, spam
from .models import (
    Consultation,
    ConsultationResponse,
    Contribution,
    ContributionReport,
    ModerationEvent,
    Participant,
    ParticipationSettings,
    Support,
    SurveyAnswer,
    SurveyQuestion,
)


def settings_for(city) -> ParticipationSettings:
    """The city's participation settings (the defaults, unsaved, when it has none)."""
    return ParticipationSettings.objects.filter(city=city).first() or ParticipationSettings(city=city)


def _has_published_response(consultation: Consultation) -> bool:
    if not consultation.pk:
        return False
    return ConsultationResponse.objects.filter(consultation=consultation, status=ResponseStatus.PUBLISHED).exists()


@actions.register_rule(Consultation)
def _lifecycle_rule(instance: Consultation, old: dict[str, Any] | None) -> None:
    from cityline.core.packs.importer import importing

    # A city pack states the final state at once (the response is written after its consultation):
    # the pack section checks that state once everything is written (participation/pack.py).
    problem = None if importing() else lifecycle.transition_problem(
        old["status"] if old else None, instance.status, has_published_response=_has_published_response(instance))
    if problem:
        message, params = problem
        raise ValidationError({"status": _(message) % params})
    _closed_on_rule(instance, old, importing=importing())
    if old and old["status"] != ConsultationStatus.DRAFT and instance.status != ConsultationStatus.DRAFT:
        # Once people could see it, the question is what they answered: it may not change under them.
        if old["question"] != instance.question:
            raise ValidationError({"question": _("the question cannot change once the consultation is public")})
    if instance.allows_anonymous and not settings_for(instance.city).allows_verified_anonymous:
        raise ValidationError({"allows_anonymous": _("the city's participation settings do not allow "
                                                     "verified-anonymous participation")})


def _closed_on_rule(instance: Consultation, old: dict[str, Any] | None, *, importing: bool) -> None:
    """``closed_on`` is the day the consultation actually closed, the same whichever face closes or reopens it: set
    (to today unless given) when it closes, cleared when it reopens, refused on a consultation that has not closed.
    A city pack states it as it is (a closed consultation without the day keeps none)."""
    closed = instance.status in (ConsultationStatus.CLOSED, ConsultationStatus.RESPONDED)
    was_closed = old is not None and old["status"] in (ConsultationStatus.CLOSED, ConsultationStatus.RESPONDED)
    if closed:
        if instance.closed_on is None and not importing and not was_closed:  # the day it closes, not a later save
            instance.closed_on = today()
        return
    if instance.closed_on is None:
        return
    if was_closed and old["closed_on"] == instance.closed_on and not importing:
        instance.closed_on = None  # reopened: it has not closed (yet)
        return
    raise ValidationError({"closed_on": _("only a closed consultation has a closing day: it is set when the "
                                          "consultation closes")})


@actions.register_rule(ConsultationResponse)
def _response_rule(instance: ConsultationResponse, old: dict[str, Any] | None) -> None:
    from cityline.core.packs.importer import importing

    if importing():
        return  # checked on the final state by the pack section (participation/pack.py)
    if old and old["status"] == ResponseStatus.PUBLISHED and instance.status == ResponseStatus.DRAFT:
        raise ValidationError({"status": _("a published response stays published; correct it instead")})
    if instance.status == ResponseStatus.PUBLISHED and instance.consultation.status in (ConsultationStatus.DRAFT,
                                                                                      ConsultationStatus.OPEN):
        raise ValidationError({"status": _("publish the response once the consultation has closed")})


@actions.register_rule(SurveyQuestion)
def _answered_question_rule(instance: SurveyQuestion, old: dict[str, Any] | None) -> None:
    """Once people answered a question, what they answered may not change under them (every face saves through
    here): its consultation, kind, options (answers store the option's text: renaming one would orphan them)
    and scale stay; its wording, labels, number and whether it is required may be corrected."""
    if not old or not SurveyAnswer.objects.filter(question_id=instance.pk).exists():
        return
    problems = {}
    if old["consultation_id"] != instance.consultation_id:
        problems["consultation"] = _("people answered this question: it stays in its consultation")
    if old["kind"] != instance.kind:
        problems["kind"] = _("people answered this question: its kind cannot change (their answers would be "
                             "lost); add a new question instead")
    elif sorted(old["options"] or []) != sorted(instance.options or []):
        problems["options"] = _("people answered this question: its options cannot be added, removed or renamed "
                                "(answers name the option they chose); they may be reordered, or add a new "
                                "question instead")
    if (old["scale_min"], old["scale_max"]) != (instance.scale_min, instance.scale_max):
        problems.setdefault("scale_max", _("people answered this question: its scale cannot change; its labels "
                                           "may be corrected"))
    if problems:
        raise ValidationError(problems)


# --- deleting: never what people said ----------------------------------------------------------------
#
# A consultation people took part in, or a survey question they answered, is their record as much as
# the city's: deleting it would delete their contributions and answers with it. The rule is a
# delete rule (:func:`cityline.core.actions.register_delete_rule`), so every face is refused alike (editor, API, city
# pack re-import, CLI); the faces turn the ValidationError into their refusal. Deleting the whole city still deletes
# everything.


@actions.register_delete_rule(Consultation)
def consultation_delete_refusal(consultation: Consultation) -> str | None:
    """Why ``consultation`` may not be deleted (people took part in it), or None."""
    if not consultation.pk:
        return None
    participants = Participant.objects.filter(consultation=consultation).count()
    if not participants:
        return None
    contributions = Contribution.objects.filter(consultation=consultation).count()
    return _("consultation %(key)s cannot be deleted: people took part in it (participants: %(participants)s, "
             "contributions: %(contributions)s), and deleting it would delete what they said. Close it instead: "
             "it stays on record, read-only (a city pack keeps listing it).") % {
        "key": consultation.key, "participants": participants, "contributions": contributions}


@actions.register_delete_rule(SurveyQuestion)
def question_delete_refusal(question: SurveyQuestion) -> str | None:
    """Why ``question`` may not be deleted (people answered it), or None."""
    if not question.pk:
        return None
    answers = SurveyAnswer.objects.filter(question=question).count()
    if not answers:
        return None
    return _("survey question %(number)s cannot be deleted: people answered it (answers: %(answers)s), and "
             "deleting it would delete their answers. Keep it (a city pack keeps listing it); its wording can "
             "still be corrected.") % {"number": question.number, "answers": answers}


# --- lifecycle ---------------------------------------------------------------------------------------


def today() -> date:
    return timezone.localdate()


def accepts_contributions(consultation: Consultation, *, on: date | None = None) -> bool:
    return lifecycle.accepts_contributions(consultation.status, consultation.opens_on, consultation.closes_on,
                                           on or today())


def open_consultation(consultation: Consultation, *, user=None) -> Consultation:
    return actions.update(consultation, user=user, reason="Consultation opened", status=ConsultationStatus.OPEN)


def close_consultation(consultation: Consultation, *, user=None, on: date | None = None) -> Consultation:
    return actions.update(consultation, user=user, reason="Consultation closed", status=ConsultationStatus.CLOSED,
                          closed_on=on or today())


def close_due(city=None, *, on: date | None = None) -> list[Consultation]:
    """Close every open consultation whose closing date has passed (run daily, e.g. ``cityline participation tick``)."""
    day = on or today()
    qs = Consultation.objects.filter(status=ConsultationStatus.OPEN, closes_on__lt=day)
    if city is not None:
        qs = qs.filter(city=city)
    return [close_consultation(c, on=c.closes_on) for c in qs.order_by("pk")]


def publish_response(consultation: Consultation, *, user=None, on: date | None = None,
                     notify: bool = True) -> ConsultationResponse:
    """Publish the consultation's response and mark it responded; tell the participants who asked to know."""
    response = ConsultationResponse.objects.filter(consultation=consultation).first()
    if response is None:
        raise ValidationError({"response": _("write the response first")})
    if not response.items.exists():
        raise ValidationError({"items": _("a response says what changed and what did not: add at least one item")})
    with transaction.atomic():
        # Participants are told once, when the response comes out: publishing it again (a re-run, an action
        # selected twice) completes the consultation's status if need be but sends nothing.
        first = response.status != ResponseStatus.PUBLISHED
        if first:
            response = actions.update(response, user=user, reason="Response published",
                                      status=ResponseStatus.PUBLISHED, published_on=on or today())
        consultation.refresh_from_db()
        if consultation.status != ConsultationStatus.RESPONDED:
            actions.update(consultation, user=user, reason="Response published", status=ConsultationStatus.RESPONDED)
        if notify and first:
            from .notify import notify_response

            transaction.on_commit(lambda: notify_response(response.pk))
    return response


# --- taking part -------------------------------------------------------------------------------------


def takes_online(consultation: Consultation) -> bool:
    """Whether people may take part on the site (``online`` among its channels); offline-only consultations take
    responses in person, by phone or by post, which staff enter (:func:`enter_offline_response`)."""
    return ResponseChannel.ONLINE in (consultation.channels or [])


def _require_online(consultation: Consultation) -> None:
    if not takes_online(consultation):
        raise ValidationError(_("this consultation takes responses offline only (in person, by phone or by post), "
                                "not on the site"))


def _require_accepting(consultation: Consultation) -> None:
    if not accepts_contributions(consultation):
        raise ValidationError(_("this consultation is not open for contributions"))


def _require_open(consultation: Consultation) -> None:
    _require_accepting(consultation)
    _require_online(consultation)


def _identifiers(user) -> set[str]:
    email = (user.email or "").strip().casefold()
    out = {user.get_username().casefold()}
    if email:
        out |= {email, email.split("@", 1)[0]}
    return {x for x in out if x}


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _reserved_names() -> set[str]:
    """The labels the site shows in place of a name ("Verified participant", "Former participant"), in every
    language of the site: a display name copying one would pass for it."""
    from django.conf import settings
    from django.utils import translation

    from .personal import ERASED_NAME

    labels = {"Verified participant", "Former participant", ERASED_NAME}
    out = {_name_key(label) for label in labels}
    for code, _label in settings.LANGUAGES:
        with translation.override(code):
            out |= {_name_key(_(label)) for label in labels}
    return out


def _name_taken(consultation: Consultation, user, name: str) -> bool:
    """Whether another participant of the consultation shows the same name (case and spacing aside)."""
    if not consultation.pk:
        return False
    if user is None:
        return False  # a response staff enter from a form or a letter: two may well sign alike
    others = Participant.objects.filter(consultation=consultation, anonymous=False, entered_by__isnull=True)
    others = others.exclude(user=user)
    key = _name_key(name)
    return any(_name_key(other) == key for other in others.values_list("display_name", flat=True).iterator())


def profile_problems(consultation: Consultation, user, *, display_name: str, anonymous: bool, district: str,
                     segment, current: Participant | None = None) -> dict[str, str]:
    """What is wrong with a participant profile, by field (empty: nothing). ``current``: the person's participant
    record when they already take part (a verified participant stays one if the consultation no longer offers it)."""
    problems: dict[str, str] = {}
    name = display_name.strip()
    if not anonymous:
        if len(name) < 2:
            problems["display_name"] = _("choose a display name of at least two characters")
        elif user is not None and name.casefold() in _identifiers(user):
            problems["display_name"] = _("choose a display name other than your user name or e-mail address: "
                                         "it is shown publicly")
        elif "@" in name:
            problems["display_name"] = _("a display name cannot contain an e-mail address")
        elif _name_key(name) in _reserved_names():
            problems["display_name"] = _("this name is what the site shows for verified or former participants: "
                                         "choose another")
        elif _name_taken(consultation, user, name):
            problems["display_name"] = _("someone taking part in this consultation already uses this name: "
                                         "choose another")
    city_settings = settings_for(consultation.city)
    keeps_anonymity = current is not None and current.anonymous
    if anonymous and not keeps_anonymity and not (consultation.allows_anonymous
                                                   and city_settings.allows_verified_anonymous):
        problems["anonymous"] = _("this consultation does not allow anonymous participation")
    # A value the person declared earlier is kept as it is, even if the city has since changed its districts: once
    # the consultation closed the form does not show it, and it must not stop them changing what it does show.
    districts = city_settings.districts or []
    if district and district not in districts and not (current is not None and district == current.district):
        problems["district"] = _("choose one of the city's districts")
    if segment is not None and not (current is not None and segment.pk == current.segment_id):
        if segment.city_id != consultation.city_id:
            problems["segment"] = _("unknown customer segment")
        # a person chooses among the segments the consultation asks about; staff entering a letter or a call
        # (no user) write down whichever of the city's segments the person said
        elif user is not None and not offered_segments(consultation).filter(pk=segment.pk).exists():
            problems["segment"] = _("choose one of the customer segments this consultation asks about")
    return problems


def offered_segments(consultation: Consultation):
    """The customer segments a person may say they belong to: the consultation's, else the city's."""
    from cityline.citizen_services.models import CustomerSegment

    segments = CustomerSegment.objects.filter(city=consultation.city)
    if consultation.pk and consultation.segments.exists():
        return segments.filter(pk__in=consultation.segments.values("pk"))
    return segments


def site_language(code: str | None) -> str:
    """The site language ``code`` stands for (``fr-CA`` → ``fr``), or "" when the site does not speak it."""
    from django.utils import translation

    if not code:
        return ""
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return ""


#: What a participant declares about themselves: counted in the consultation's engagement figures.
DECLARED_FIELDS = ("party_category", "segment", "district")


def manages_profile(consultation: Consultation, participant: Participant | None) -> bool:
    """Whether ``participant`` may change how they take part: for as long as the consultation is public, whatever
    its channels now are and after it has closed (the e-mail they may switch off comes with the response)."""
    return participant is not None and consultation.is_public


def declared_profile_fixed(consultation: Consultation) -> bool:
    """Whether what participants declared (:data:`DECLARED_FIELDS`) is fixed: once the consultation no longer takes
    contributions (closed, or past its closing date) it is what the engagement figures count, as support and
    survey answers are."""
    return not accepts_contributions(consultation)


def _declared_problems(participant: Participant, *, party_category: str, segment, district: str) -> dict[str, str]:
    message = _("the consultation has closed: what you declared is counted in its figures and no longer changes")
    given = {"party_category": party_category, "segment": segment.pk if segment is not None else None,
             "district": district}
    stored = {"party_category": participant.party_category, "segment": participant.segment_id,
              "district": participant.district}
    return {name: message for name in DECLARED_FIELDS if (given[name] or None) != (stored[name] or None)}


def join(consultation: Consultation, user, *, display_name: str = "", anonymous: bool = False,
         party_category: str = "", segment=None, district: str = "", notify: bool = True,
         language: str | None = None) -> Participant:
    """The user's participant record for this consultation, created or updated from their profile.

    Joining needs the consultation open for contributions on the site (within its dates, ``online`` among its
    channels). Someone who already takes part changes their profile (display name, anonymity, whether they are
    e-mailed when the city responds) for as long as the consultation is public (:func:`manages_profile`); once it
    has closed, what they declared about themselves stays as counted (:func:`declared_profile_fixed`).

    ``language`` is the site language the person took part in (the public page passes the request's): what the
    city sends them is written in it (:mod:`.notify`). None keeps the one stored; a language the site does not
    speak is stored as "" (the site's default).
    """
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_("sign in to take part"))
    if not consultation.is_public:
        raise ValidationError(_("this consultation is not open for contributions"))
    fields = {"display_name": display_name.strip() if not anonymous else "", "anonymous": anonymous,
              "party_category": party_category, "segment": segment, "district": district, "notify": notify}
    if language is not None:
        fields["language"] = site_language(language)
    with transaction.atomic():
        current = Participant.objects.select_for_update().filter(consultation=consultation, user=user).first()
        if not manages_profile(consultation, current):
            _require_open(consultation)
        problems = profile_problems(consultation, user, display_name=display_name, anonymous=anonymous,
                                    district=district, segment=segment, current=current)
        if current is not None and declared_profile_fixed(consultation):
            problems = {**_declared_problems(current, party_category=party_category, segment=segment,
                                             district=district), **problems}
        if problems:
            raise ValidationError(problems)
        participant, created = Participant.objects.get_or_create(
            consultation=consultation, user=user, defaults={"city": consultation.city, **fields})
        if not created:
            for name, value in fields.items():
                setattr(participant, name, value)
            participant.save()
    return participant


def participant_for(consultation: Consultation, user) -> Participant | None:
    if user is None or not user.is_authenticated:
        return None
    return Participant.objects.filter(consultation=consultation, user=user).first()


def contribute(participant: Participant, body: str, *, kind: str = ContributionKind.COMMENT, title: str = "",
               parent: Contribution | None = None, offline: bool = False) -> Contribution:
    """Add a comment, a reply (``parent``) or a proposal by ``participant``."""
    consultation = participant.consultation
    if not offline:
        _require_open(consultation)
    problems: dict[str, str] = {}
    if kind not in ContributionKind.values:
        problems["kind"] = _("unknown kind of contribution")
    if kind == ContributionKind.PROPOSAL:
        if len(title.strip()) < 3:
            problems["title"] = _("give your proposal a title")
        if parent is not None:
            problems["parent"] = _("a proposal is not a reply")
    if parent is not None and (parent.consultation_id != consultation.pk or parent.hidden):
        problems["parent"] = _("you can only reply to a visible contribution of this consultation")
    recent = list(Contribution.objects.filter(participant=participant).values_list("body", "created_at"))
    problem = spam.text_problem(body, recent, timezone.now())
    if problem:
        message, params = problem
        problems["body"] = _(message) % params
    if problems:
        raise ValidationError(problems)
    return Contribution.objects.create(city=consultation.city, consultation=consultation, participant=participant,
                                       kind=kind, parent=parent, title=title.strip(), body=body.strip())


def support(participant: Participant, proposal: Contribution) -> Support:
    """Support a proposal: once per person, not one's own, not a hidden one."""
    _require_open(participant.consultation)
    if proposal.consultation_id != participant.consultation_id or proposal.kind != ContributionKind.PROPOSAL:
        raise ValidationError({"proposal": _("only proposals of this consultation can be supported")})
    if proposal.hidden:
        raise ValidationError({"proposal": _("this proposal was hidden by the moderators")})
    if proposal.participant_id == participant.pk:
        raise ValidationError({"proposal": _("you cannot support your own proposal")})
    try:
        with transaction.atomic():
            return Support.objects.create(city=proposal.city, contribution=proposal, participant=participant)
    except IntegrityError:
        raise ValidationError({"proposal": _("you already support this proposal")}) from None


def withdraw_support(participant: Participant, proposal: Contribution) -> bool:
    """Take back one's support for a proposal; returns whether there was one to take back.

    Possible for as long as the consultation is open for contributions, whatever its channels now are: a
    consultation that stopped taking responses online refuses new support on the site (:func:`support`) but
    leaves people free to take back what they gave there. Also when the moderators hid the proposal since: one's
    support for it is still one's own. Not once the consultation has closed (or is past its closing date): the
    support counts are then part of what the consultation gathered, which the city weighs in its response and
    publishes in the engagement figures, as survey answers are fixed at closing. Only one's own support goes.
    """
    _require_accepting(participant.consultation)
    deleted, _rows = Support.objects.filter(contribution=proposal, participant=participant).delete()
    return bool(deleted)


def clean_answer(question: SurveyQuestion, raw: Any) -> Any:
    """The stored form of one answer, or ValidationError naming the question. ``None``/empty: no answer."""
    label = _("question %(n)s") % {"n": question.number}
    empty = raw in (None, "", []) or (isinstance(raw, str) and not raw.strip())
    if empty:
        if question.required:
            raise ValidationError({f"q{question.number}": _("%(q)s needs an answer") % {"q": label}})
        return None
    if question.kind == QuestionKind.SINGLE:
        if raw not in question.options:
            raise ValidationError({f"q{question.number}": _("%(q)s: choose one of the options") % {"q": label}})
        return raw
    if question.kind == QuestionKind.MULTIPLE:
        values = raw if isinstance(raw, list) else [raw]
        if any(v not in question.options for v in values) or len(set(values)) != len(values):
            raise ValidationError({f"q{question.number}": _("%(q)s: choose among the options") % {"q": label}})
        return [o for o in question.options if o in values]
    if question.kind == QuestionKind.SCALE:
        try:
            point = int(raw)
        except (TypeError, ValueError):
            point = None
        if point is None or not question.scale_min <= point <= question.scale_max:
            raise ValidationError({f"q{question.number}": _("%(q)s: choose a point from %(a)s to %(b)s")
                                   % {"q": label, "a": question.scale_min, "b": question.scale_max}})
        return point
    text = str(raw).strip()
    if len(text) > 2000:
        raise ValidationError({f"q{question.number}": _("%(q)s: keep it under 2000 characters") % {"q": label}})
    return text


def answer_survey(participant: Participant, answers: dict[int, Any], *, offline: bool = False) -> list[SurveyAnswer]:
    """Record (or replace) the participant's answers, all or nothing. ``answers``: question number → raw value."""
    consultation = participant.consultation
    if not offline:
        _require_open(consultation)
    questions = list(consultation.questions.order_by("number"))
    unknown = sorted(set(answers) - {q.number for q in questions})
    if unknown:
        raise ValidationError({"answers": _("no question %(n)s in this survey") % {"n": unknown[0]}})
    cleaned, problems = {}, {}
    for question in questions:
        try:
            cleaned[question] = clean_answer(question, answers.get(question.number))
        except ValidationError as exc:
            problems.update(exc.message_dict)
    if problems:
        raise ValidationError(problems)
    stored = []
    with transaction.atomic():
        for question, value in cleaned.items():
            if value is None:
                SurveyAnswer.objects.filter(question=question, participant=participant).delete()
                continue
            answer, _created = SurveyAnswer.objects.update_or_create(
                question=question, participant=participant,
                defaults={"city": consultation.city, "value": value, "answered_at": timezone.now()})
            stored.append(answer)
    return stored


def enter_offline_response(consultation: Consultation, *, staff, channel: str, display_name: str,
                           body: str = "", answers: dict[int, Any] | None = None, party_category: str = "",
                           segment=None, district: str = "") -> Participant:
    """Staff enter a response received in person, by phone or by post, so nobody is excluded (B11).

    Accepted while the consultation is open or closed (post arrives late), not once the response is out.
    """
    from cityline.accounts.authz import principal_for_user, require

    require(principal_for_user(staff), "add", Contribution(city=consultation.city, consultation=consultation))
    if channel not in ResponseChannel.values or channel == ResponseChannel.ONLINE:
        raise ValidationError({"channel": _("an offline response comes in person, by phone or by post")})
    if channel not in (consultation.channels or []):
        raise ValidationError({"channel": _("this consultation does not take responses %(channel)s")
                               % {"channel": str(ResponseChannel(channel).label).lower()}})
    if consultation.status not in (ConsultationStatus.OPEN, ConsultationStatus.CLOSED):
        raise ValidationError(_("responses are entered while the consultation is open or just closed"))
    problems = profile_problems(consultation, None, display_name=display_name, anonymous=False, district=district,
                                segment=segment)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        participant = Participant.objects.create(
            city=consultation.city, consultation=consultation, user=None, display_name=display_name.strip(),
            party_category=party_category, segment=segment, district=district, channel=channel, entered_by=staff,
            notify=False)
        if body.strip():
            contribute(participant, body, offline=True)
        if answers:
            answer_survey(participant, answers, offline=True)
    return participant


# --- moderation --------------------------------------------------------------------------------------


def report(contribution: Contribution, user, reason: str) -> ContributionReport:
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_("sign in to report a contribution"))
    reason = reason.strip()
    if len(reason) < 3:
        raise ValidationError({"reason": _("say briefly what is wrong")})
    try:
        with transaction.atomic():
            return ContributionReport.objects.create(city=contribution.city, contribution=contribution,
                                                     reporter=user, reason=reason[:500])
    except IntegrityError:
        raise ValidationError({"reason": _("you have already reported this contribution")}) from None


def _moderate(contribution: Contribution, moderator, action: str, reason: str) -> ModerationEvent:
    from cityline.accounts.authz import principal_for_user, require

    require(principal_for_user(moderator), "change", contribution)
    reason = reason.strip()
    if len(reason) < 3:
        raise ValidationError({"reason": _("give the public reason")})
    with transaction.atomic():
        contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
        if action == ModerationAction.HIDE:
            if contribution.hidden:
                raise ValidationError(_("this contribution is already hidden"))
            contribution.hidden, contribution.hidden_reason = True, reason[:300]
        elif action == ModerationAction.RESTORE:
            if not contribution.hidden:
                raise ValidationError(_("this contribution is not hidden"))
            contribution.hidden, contribution.hidden_reason = False, ""
        contribution.save(update_fields=["hidden", "hidden_reason"])
        contribution.reports.filter(resolved=False).update(resolved=True)
        return ModerationEvent.objects.create(city=contribution.city, contribution=contribution, action=action,
                                              reason=reason[:300], moderator=moderator)


def hide(contribution: Contribution, moderator, reason: str) -> ModerationEvent:
    """Hide a contribution; the public sees the reason in its place, and the moderation log records it."""
    return _moderate(contribution, moderator, ModerationAction.HIDE, reason)


def restore(contribution: Contribution, moderator, reason: str) -> ModerationEvent:
    return _moderate(contribution, moderator, ModerationAction.RESTORE, reason)


def dismiss_reports(contribution: Contribution, moderator, reason: str) -> ModerationEvent:
    """The reports were unfounded: keep the contribution, resolve the reports, log it."""
    return _moderate(contribution, moderator, ModerationAction.DISMISS, reason)
