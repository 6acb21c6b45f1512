"""Public consultation pages (B1.b, B2.g, B3, B11): the list, one consultation, and its live results.

- ``/<city>/consultations/``: open consultations first (closing date, what they are about, how many
  take part), then the closed and responded ones with their outcome;
- ``/<city>/consultations/<key>/``: the question and its background, the records it is about, the
  channels, proposals with their supports, threaded comments, the survey with live results and,
  once published, the city's response ("you said, we did") with the before and after of each change;
- ``/<city>/consultations/<key>/results.json``: the live aggregates (no answer of any one person).

Draft consultations answer 404. Every change is a plain POST form (CSRF, no JavaScript needed)
that redirects back with a message; the rules are the services' (:mod:`.services`), whose field
errors are shown next to the field. Signed-out visitors are sent to the sign-in page. A signed-in
person's POSTs are rate-limited (``participation_post``); a filled honeypot is refused quietly.
Contributors appear under their display name only (``Participant.public_name``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cityline.core import ratelimits
from cityline.core.models import City
from cityline.strategy.choices import PartyCategory

from . import forms, results, services
from .choices import ConsultationStatus, ContributionKind, ResponseChannel, ResponseStatus
from .records import find_record, public_change
from .models import SUBJECT_FIELDS, Consultation, ConsultationResponse, Contribution, Support, SurveyAnswer

RATE_LIMIT = "participation_post"
EXPORT_HEADER = "HTTP_X_CITYLINE_EXPORT"


# --- loading --------------------------------------------------------------------------------------


def _public(city_key: str, key: str) -> tuple[City, Consultation]:
    city = get_object_or_404(City, key=city_key)
    consultation = (Consultation.objects.filter(city=city, key=key).exclude(status=ConsultationStatus.DRAFT)
                    .select_related("organiser", "city").first())
    if consultation is None:
        raise Http404(f"no public consultation {key!r} in {city_key}")
    return city, consultation


def public_consultations(city: City):
    return Consultation.objects.filter(city=city).exclude(status=ConsultationStatus.DRAFT)


# --- links to the records a consultation is about -------------------------------------------------


def _url(name: str, **kwargs) -> str | None:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def record_link(city: City, record_type: str, record) -> dict[str, Any]:
    """Title and public URL (None when there is no public page) of a record a consultation is about."""
    title = getattr(record, "title", None) or getattr(record, "name", None) or str(record)
    url = None
    if record_type == "strategy.VisionObjective":
        url = _url("portal:vision", city=city.key)
        url = url and url + "#objectives"
    elif record_type == "strategy.Principle":
        url = _url("portal:vision", city=city.key)
        url = url and url + "#principles"
    elif record_type == "strategy.Initiative":
        url = _url("portal:roadmap", city=city.key)
    elif record_type == "core.Document":
        url = record.url if record.status == "published" and record.url else None
    elif record_type == "citizen_services.Service":
        url = _url("portal:services", city=city.key)
    elif record_type == "opendata.Dataset":
        url = _url("portal:dataset", city=city.key, key=record.key) if getattr(record, "public", False) else None
    return {"title": title, "url": url, "key": record.key}


def subjects(consultation: Consultation) -> list[dict[str, Any]]:
    """The records the consultation is about, grouped by kind, each with its public link."""
    groups = []
    for field_name, label in SUBJECT_FIELDS:
        field = Consultation._meta.get_field(field_name)
        items = [record_link(consultation.city, label, r) for r in getattr(consultation, field_name).all()]
        if items:
            groups.append({"label": field.verbose_name, "items": items})
    return groups


def _document(doc) -> dict[str, Any]:
    return {"title": doc.title, "url": doc.url if doc.status == "published" and doc.url else None}


# --- the list -------------------------------------------------------------------------------------


def _outcome(c: Consultation, response: ConsultationResponse | None, target_days: int) -> dict[str, Any]:
    if response is not None and response.status == ResponseStatus.PUBLISHED:
        items = list(response.items.all())
        return {"responded": True, "published_on": response.published_on, "summary": response.summary,
                "changed": sum(1 for i in items if i.outcome == "changed"),
                "partly": sum(1 for i in items if i.outcome == "partly"),
                "not_changed": sum(1 for i in items if i.outcome == "not_changed")}
    closed = c.closed_on or c.closes_on
    return {"responded": False, "due_on": closed + timedelta(days=target_days)}


@require_GET
def consultations(request: HttpRequest, city: str) -> HttpResponse:
    city_obj = get_object_or_404(City, key=city)
    rows = list(public_consultations(city_obj).annotate(n_participants=Count("participants", distinct=True))
                .select_related("organiser").prefetch_related(*(f for f, _label in SUBJECT_FIELDS)))
    responses = {r.consultation_id: r for r in ConsultationResponse.objects.filter(consultation__in=rows)
                 .prefetch_related("items")}
    target = services.settings_for(city_obj).response_target_days
    open_rows, past_rows = [], []
    for c in rows:
        entry = {"c": c, "participants": c.n_participants, "subjects": subjects(c)}
        if c.status == ConsultationStatus.OPEN:
            entry["accepting"] = services.accepts_contributions(c)
            entry["not_yet_open"] = services.today() < c.opens_on  # else past its closing date, before the tick
            open_rows.append(entry)
        else:
            entry["outcome"] = _outcome(c, responses.get(c.pk), target)
            past_rows.append(entry)
    open_rows.sort(key=lambda e: (e["c"].closes_on, e["c"].title))
    past_rows.sort(key=lambda e: (e["c"].closed_on or e["c"].closes_on), reverse=True)
    from .public import PAGE

    return render(request, "participation/consultations.html", {
        "city": city_obj, "page": PAGE, "open_rows": open_rows, "past_rows": past_rows,
        "exporting": bool(request.META.get(EXPORT_HEADER)),
    })


# --- one consultation -----------------------------------------------------------------------------


def _tree(consultation: Consultation, participant) -> tuple[list[dict], list[dict]]:
    """(comments, proposals): visible and hidden contributions, replies nested under their parent."""
    rows = list(Contribution.objects.filter(consultation=consultation).select_related("participant")
                .annotate(n_supports=Count("supports")).order_by("created_at", "id"))
    mine = set()
    if participant is not None:
        mine = set(Support.objects.filter(participant=participant).values_list("contribution_id", flat=True))
    nodes = {}
    for row in rows:
        nodes[row.pk] = {
            "id": row.pk, "kind": row.kind, "name": row.participant.public_name, "title": row.public_title,
            "body": row.public_body, "created_at": row.created_at, "hidden": row.hidden, "hidden_reason": row.hidden_reason,
            "erased": row.erased, "supports": row.n_supports, "supported": row.pk in mine,
            "own": participant is not None and row.participant_id == participant.pk, "replies": [],
        }
    comments, proposals = [], []
    for row in rows:
        node = nodes[row.pk]
        if row.parent_id and row.parent_id in nodes:
            nodes[row.parent_id]["replies"].append(node)
        elif row.kind == ContributionKind.PROPOSAL:
            proposals.append(node)
        else:
            comments.append(node)
    return comments, proposals


def _field_label(record, name: str) -> str:
    try:
        return str(record._meta.get_field(name).verbose_name)
    except Exception:  # a field that no longer exists: its name is the best we have
        return name


def response_data(consultation: Consultation) -> dict[str, Any] | None:
    """The published response with its items, each with its record link and the change it made."""
    response = ConsultationResponse.objects.filter(consultation=consultation, status=ResponseStatus.PUBLISHED).first()
    if response is None:
        return None
    items = []
    for item in response.items.order_by("number"):
        entry: dict[str, Any] = {"item": item, "record": None, "change": None}
        if item.record_type and item.record_key:
            try:
                record = find_record(consultation.city_id, item.record_type, item.record_key)
            except LookupError:
                record = None
            if record is not None:
                entry["record"] = record_link(consultation.city, item.record_type, record)
                if item.change_id:
                    change = public_change(record, item.change_id)
                    if change is not None:
                        change["fields"] = [{**f, "label": _field_label(record, f["field"])}
                                            for f in change["fields"]]
                        entry["change"] = change
        items.append(entry)
    return {"response": response, "items": items}


def _profile_form(consultation: Consultation, participant, data=None) -> forms.ProfileForm:
    """How the person takes part: pre-filled with their profile when they already do."""
    settings = services.settings_for(consultation.city)
    initial = {}
    if participant is not None:
        initial = {"display_name": participant.display_name, "anonymous": participant.anonymous,
                   "party_category": participant.party_category, "segment": participant.segment_id,
                   "district": participant.district, "notify": participant.notify}
    # a verified participant keeps that choice offered even if the consultation no longer offers it to newcomers
    allows_anonymous = (consultation.allows_anonymous and settings.allows_verified_anonymous
                        or participant is not None and participant.anonymous)
    return forms.ProfileForm(data, initial=initial, consultation=consultation,
                             segments=services.offered_segments(consultation).order_by("name"),
                             districts=settings.districts,
                             allows_anonymous=allows_anonymous, participant=participant,
                             declared_fixed=services.declared_profile_fixed(consultation), prefix="profile")


def _forms(request, consultation: Consultation, participant, bound: dict[str, Any]) -> dict[str, Any]:
    """Every form of the page, unbound, except the one the person just sent (``bound``)."""
    out = {
        "profile": bound.get("profile") or _profile_form(consultation, participant),
        "comment": bound.get("comment") or forms.CommentForm(prefix="comment"),
        "proposal": bound.get("proposal") or forms.ProposalForm(prefix="proposal"),
        "reply": bound.get("reply"), "reply_parent": bound.get("reply_parent"),
        "report": bound.get("report"), "report_target": bound.get("report_target"),
    }
    questions = list(consultation.questions.order_by("number"))
    if questions:
        initial = {}
        if participant is not None:
            initial = forms.SurveyForm.initial_from(
                SurveyAnswer.objects.filter(participant=participant).select_related("question"))
        out["survey"] = bound.get("survey") or forms.SurveyForm(initial=initial, questions=questions, prefix="survey")
    return out


def _render(request: HttpRequest, city: City, consultation: Consultation, *, bound: dict | None = None,
            status: int = 200) -> HttpResponse:
    participant = services.participant_for(consultation, request.user)
    settings = services.settings_for(city)
    comments, proposals = _tree(consultation, participant)
    accepting = services.accepts_contributions(consultation)
    exporting = bool(request.META.get(EXPORT_HEADER))
    closed_on = consultation.closed_on or consultation.closes_on
    context = {
        "city": city, "c": consultation,
        "page": {"title": consultation.title, "name": "consultation", "description": consultation.question},
        "subjects": subjects(consultation),
        "documents": [_document(d) for d in consultation.documents.all()],
        "audiences": [str(PartyCategory(a).label) for a in consultation.audiences or [] if a in PartyCategory.values],
        "segments": [s.name for s in consultation.segments.all()],
        "channels": [{"code": ch, "label": ResponseChannel(ch).label} for ch in consultation.channels or []
                     if ch in ResponseChannel.values],
        "offline": [ch for ch in consultation.channels or [] if ch != ResponseChannel.ONLINE],
        "takes_online": services.takes_online(consultation),
        "participant": participant, "accepting": accepting, "exporting": exporting,
        # a participant manages how they take part (their name, the e-mail at the response) whatever the channels,
        # also once closed; joining needs the consultation open on the site
        "can_profile": not exporting and (
            services.manages_profile(consultation, participant)
            or participant is None and request.user.is_authenticated and accepting
            and services.takes_online(consultation)),
        "not_yet_open": services.today() < consultation.opens_on,
        # posting (and supporting) needs the online channel; taking back one's support only an open consultation
        "can_post": participant is not None and accepting and services.takes_online(consultation)
        and not exporting,
        "can_withdraw": participant is not None and accepting and not exporting,
        "can_report": request.user.is_authenticated and not exporting,
        "comments": comments, "proposals": proposals,
        "counts": results.participation_counts(consultation),
        "survey_results": results.survey_results(consultation),
        "response": response_data(consultation),
        "due_on": closed_on + timedelta(days=settings.response_target_days)
        if consultation.status == ConsultationStatus.CLOSED else None,
        "sign_in_url": reverse("accounts:sign-in") + "?" + urlencode({"next": request.path}),
        "forms": _forms(request, consultation, participant, bound or {}),
    }
    response = render(request, "participation/consultation.html", context, status=status)
    if request.user.is_authenticated:
        # The page carries the person's own profile and answers: no shared cache may keep it (Vary: Cookie alone
        # leaves that to every cache on the way getting it right).
        patch_cache_control(response, private=True)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def consultation(request: HttpRequest, city: str, key: str) -> HttpResponse:
    city_obj, consultation_obj = _public(city, key)
    if request.method == "POST":
        return _post(request, city_obj, consultation_obj)
    return _render(request, city_obj, consultation_obj)


@require_GET
def results_json(request: HttpRequest, city: str, key: str) -> JsonResponse:
    _city, consultation_obj = _public(city, key)
    response = JsonResponse(results.live_results(consultation_obj), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-cache"
    return response


# --- what people send -----------------------------------------------------------------------------


def _back(request: HttpRequest, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(request.path + (f"#{anchor}" if anchor else ""))


def _post(request: HttpRequest, city: City, consultation: Consultation) -> HttpResponse:
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("accounts:sign-in") + "?" + urlencode({"next": request.path}))
    wait = ratelimits.view_over_limit(request, RATE_LIMIT)
    if wait:
        return ratelimits.too_many_requests(request, wait)
    action = request.POST.get("form", "")
    handler = HANDLERS.get(action)
    if handler is None:
        messages.error(request, _("Unknown form: nothing was changed."))
        return _back(request)
    participant = services.participant_for(consultation, request.user)
    # changing how one takes part stays possible once the consultation has closed: the service decides what may change
    managing = action == "take-part" and services.manages_profile(consultation, participant)
    if action != "report" and not managing and not services.accepts_contributions(consultation):
        messages.error(request, _("This consultation is not open for contributions."))
        return _back(request)
    if action not in ("take-part", "report") and participant is None:
        messages.error(request, _("Take part first: choose the name shown next to what you write."))
        return _back(request, "take-part")
    try:
        return handler(request, city, consultation, participant)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You cannot do that."))
        return _back(request)


def _invalid(request, city, consultation, name: str, form, **extra) -> HttpResponse:
    return _render(request, city, consultation, bound={name: form, **extra}, status=400)


def _take_part(request, city, consultation, participant):
    form = _profile_form(consultation, participant, request.POST)
    if form.is_valid() and form.is_bot():
        return _back(request)
    if form.is_valid():
        try:
            # the page's language is the one the person reads: what the city sends them is written in it
            joined = services.join(consultation, request.user, language=translation.get_language(),
                                   **form.service_kwargs())
        except ValidationError as exc:
            forms.apply_errors(form, exc)
            if participant is None and not services.takes_online(consultation):
                # the page offers no profile form to show the refusal in: say it at the top, whatever field it is on
                messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        else:
            messages.success(request, _("You take part as “%(name)s”.") % {"name": joined.public_name}
                             if participant is None else _("Your profile is saved."))
            return _back(request, "take-part")
    return _invalid(request, city, consultation, "profile", form)


def _parent(consultation, raw) -> Contribution | None:
    if raw in (None, ""):
        return None
    return Contribution.objects.filter(consultation=consultation, pk=raw).first()


def _comment(request, city, consultation, participant):
    form = forms.CommentForm(request.POST, prefix="comment")
    return _write_comment(request, city, consultation, participant, form, "comment")


def _reply(request, city, consultation, participant):
    form = forms.ReplyForm(request.POST, prefix="reply")
    return _write_comment(request, city, consultation, participant, form, "reply")


def _write_comment(request, city, consultation, participant, form, name: str):
    extra = {}
    if name == "reply":
        extra["reply_parent"] = form.data.get("reply-parent")
        try:
            extra["reply_parent"] = int(extra["reply_parent"])
        except (TypeError, ValueError):
            extra["reply_parent"] = None
    if form.is_valid() and form.is_bot():
        return _back(request)
    if form.is_valid():
        parent = _parent(consultation, form.cleaned_data.get("parent"))
        if name == "reply" and parent is None:
            messages.error(request, _("The contribution you reply to is not on this page."))
            return _back(request, "comments")
        else:
            try:
                written = services.contribute(participant, form.cleaned_data["body"], parent=parent)
            except ValidationError as exc:
                forms.apply_errors(form, exc)
                if parent is not None and parent.hidden:
                    # the reply form lives under its contribution, which is no longer shown: say it at the top
                    messages.error(request, " ".join(form.non_field_errors()))
            else:
                messages.success(request, _("Thank you: your reply is published.") if parent
                                 else _("Thank you: your comment is published."))
                return _back(request, f"contribution-{written.pk}")
    return _invalid(request, city, consultation, name, form, **extra)


def _propose(request, city, consultation, participant):
    form = forms.ProposalForm(request.POST, prefix="proposal")
    if form.is_valid() and form.is_bot():
        return _back(request)
    if form.is_valid():
        try:
            written = services.contribute(participant, form.cleaned_data["body"], kind=ContributionKind.PROPOSAL,
                                          title=form.cleaned_data.get("title") or "")
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, _("Thank you: your proposal is published."))
            return _back(request, f"contribution-{written.pk}")
    return _invalid(request, city, consultation, "proposal", form)


def _support(request, city, consultation, participant, *, withdraw: bool = False):
    form = forms.SupportForm(request.POST)
    proposal = (_parent(consultation, form.cleaned_data["proposal"]) if form.is_valid() else None)
    if proposal is None:
        messages.error(request, _("This proposal is not on this page."))
        return _back(request, "proposals")
    try:
        if withdraw:
            services.withdraw_support(participant, proposal)
            messages.success(request, _("You no longer support this proposal.") if proposal.hidden
                             else _("You no longer support “%(title)s”.") % {"title": proposal.title})
        else:
            services.support(participant, proposal)
            messages.success(request, _("You support “%(title)s”.") % {"title": proposal.title})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(request, f"contribution-{proposal.pk}")


def _withdraw(request, city, consultation, participant):
    return _support(request, city, consultation, participant, withdraw=True)


def _survey(request, city, consultation, participant):
    form = forms.SurveyForm(request.POST, questions=consultation.questions.order_by("number"), prefix="survey")
    if form.is_valid() and form.is_bot():
        return _back(request)
    if form.is_valid():
        try:
            services.answer_survey(participant, form.answers())
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, _("Thank you: your answers are saved. You can change them until the "
                                        "consultation closes."))
            return _back(request, "survey")
    return _invalid(request, city, consultation, "survey", form)


def _report(request, city, consultation, participant):
    form = forms.ReportForm(request.POST, prefix="report")
    target = form.data.get("report-contribution")
    contribution = None
    if form.is_valid():
        contribution = _parent(consultation, form.cleaned_data["contribution"])
        if contribution is None:
            messages.error(request, _("This contribution is not on this page."))
            return _back(request)
        try:
            services.report(contribution, request.user, form.cleaned_data["reason"])
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, _("Thank you: the moderators will look at it."))
            return _back(request, f"contribution-{contribution.pk}")
    try:
        target = int(target)
    except (TypeError, ValueError):
        target = None
    return _invalid(request, city, consultation, "report", form, report_target=target)


HANDLERS = {
    "take-part": _take_part,
    "comment": _comment,
    "reply": _reply,
    "propose": _propose,
    "support": _support,
    "withdraw": _withdraw,
    "survey": _survey,
    "report": _report,
}
