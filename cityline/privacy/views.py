"""The citizen area (B10, B14): your account and your data, under ``/account/`` (and ``/fr/account/``).

Thin views over :mod:`.consent` and :mod:`.subject`. Every view needs a signed-in person
and acts on that person's own records only: a receipt of someone else answers 404, as does
one that does not exist. Nothing here needs JavaScript; every change is a POST with CSRF.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cityline.core.models import City

from . import consent, public, subject
from .choices import ConsentAction
from .models import ConsentEvent, ErasureRecord, ProcessingPurpose

ERASED_SESSION_KEY = "privacy_erased"


def _page(title, name: str) -> dict:
    return {"title": title, "name": name}


def tokens_url() -> str:
    """The API token page of the accounts area (another part of issue 7): by name when it exists."""
    try:
        return reverse("accounts:tokens")
    except NoReverseMatch:
        return reverse("privacy:account") + "tokens/"


def how_signed_in(request: HttpRequest) -> dict:
    from cityline.accounts.principals import SESSION_TRUST_KEY
    from cityline.accounts.roles import Trust

    trust = request.session.get(SESSION_TRUST_KEY)
    label = str(Trust(trust).label) if trust in Trust.values else None
    identities = list(request.user.federated_identities.select_related("provider").order_by("provider__name"))
    return {"trust": trust, "trust_label": label, "identities": identities,
            "has_password": request.user.has_usable_password()}


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    """``/account/``: who you are, how you signed in, your roles, tokens and consents."""
    from cityline.accounts.roles import Role

    roles = [{"label": Role(a.role).label if a.role in Role.values else a.role,
              "scope": a.organisation or a.outcome or a.city}
             for a in request.user.role_assignments.select_related("city", "organisation", "outcome")]
    from cityline.participation.models import Participant

    participations = (Participant.objects.filter(user=request.user).select_related("consultation", "city")
                      .order_by("-joined_at", "-id"))
    context = {
        "page": _page(gettext_lazy("Your account and your data"), "account"),
        "signed_in": how_signed_in(request), "roles": roles,
        "tokens_url": tokens_url(), "token_count": request.user.api_tokens.count(),
        "granted": [_held(e) for e in consent.held(request.user)],
        "participations": participations,
    }
    return render(request, "privacy/account.html", context)


def _held(event: ConsentEvent) -> dict:
    """A consent the person holds, for the pages: its name, city, key, grant and whether it is still on offer.

    ``anchor`` is the block's id on the privacy page (:func:`anchor`).
    """
    purpose = event.purpose
    offered = purpose is not None and consent.offered(purpose)
    return {"event": event, "city": event.city, "key": event.purpose_key, "purpose": purpose,
            "name": purpose.name if purpose is not None else consent.purpose_name(event), "offered": offered,
            "anchor": anchor(purpose if offered else event)}


def anchor(of: ProcessingPurpose | ConsentEvent) -> str:
    """The id of a consent block on the privacy page, unique on the page whichever cities it shows: a purpose on
    offer by its id (two cities may each have a purpose of the same key), a consent to a purpose no longer on
    offer by its grant's receipt ID (a deleted purpose and a new one may share a key)."""
    if isinstance(of, ProcessingPurpose):
        return f"purpose-{of.pk}"
    return f"consent-{of.receipt_id}"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def privacy(request: HttpRequest) -> HttpResponse:
    """``/account/privacy/``: the personal data each city holds, and your consents (grant / withdraw)."""
    if request.method == "POST":
        return _decide(request)
    cities = City.objects.order_by("name")
    chosen = request.GET.get("city") or ""
    if chosen:
        cities = cities.filter(key=chosen)
        if not cities:
            raise Http404("no such city")
    user = request.user
    held: dict[int, list[dict]] = {}
    for event in consent.held(user):
        held.setdefault(event.city_id, []).append(_held(event))
    sections = []
    for city in cities:
        inventory = public.inventory(city)
        purposes = list(consent.consent_purposes(city).prefetch_related("services"))
        latest = consent.states(user, purposes)
        asks = [{"purpose": p, "key": p.key, "name": p.name, "event": latest.get(p.pk), "offered": True,
                 "anchor": anchor(p),
                 "granted": latest.get(p.pk) is not None and latest[p.pk].action == ConsentAction.GRANTED}
                for p in purposes]
        # consents the person still holds for purposes no longer on offer: shown so they can be withdrawn
        asks += [{**h, "granted": True} for h in held.get(city.pk, []) if not h["offered"]]
        if inventory["holdings"] or asks:
            sections.append({"city": city, "inventory": inventory, "asks": asks})
    history = ConsentEvent.objects.filter(user=user).select_related("city").order_by("-at", "-id")
    context = {"page": _page(gettext_lazy("Your privacy choices"), "account-privacy"), "sections": sections,
               "all_cities": City.objects.order_by("name"), "chosen": chosen, "history": history}
    return render(request, "privacy/privacy.html", context)


def _decide(request: HttpRequest) -> HttpResponse:
    """Grant (a purpose on offer only) or withdraw (any consent the person holds, GDPR Art. 7(3)).

    The form names exactly what the person saw: a grant the purpose's id (``purpose_id``), a withdrawal
    the receipt ID of the grant in force (``consent``). Never a city and purpose key: a deleted purpose
    and a new one of the same key each have their own consent, and a key cannot tell them apart. A form
    of that older kind is refused (400) and the person asked to reload the page.
    """
    action = request.POST.get("action")
    if action == "withdraw" and request.POST.get("consent"):
        return _withdraw(request, request.POST["consent"])
    if action == "grant" and request.POST.get("purpose_id"):
        return _grant(request, request.POST["purpose_id"])
    if action in ("grant", "withdraw"):
        message = _("This form is out of date: reload the page and choose again.")
    else:
        message = _("Unknown action.")
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def _grant(request: HttpRequest, purpose_id: str) -> HttpResponse:
    """Give consent to the purpose the person saw (by id: a purpose recreated under its key since is another)."""
    well_formed = purpose_id.isascii() and purpose_id.isdigit() and len(purpose_id) <= 18  # a database integer
    purpose = (ProcessingPurpose.objects.select_related("city").filter(pk=int(purpose_id)).first()
               if well_formed else None)
    if purpose is None or not consent.offered(purpose):
        raise Http404("no such purpose")
    try:
        event = consent.grant(request.user, purpose)
        messages.success(request, _("You agreed to “%(purpose)s”. Your receipt: %(receipt)s.")
                         % {"purpose": purpose.name, "receipt": event.receipt_id})
    except consent.ConsentError:
        _unchanged(request, purpose.name)
    return _back(purpose.city.key, anchor(purpose))


def _withdraw(request: HttpRequest, receipt_id: str) -> HttpResponse:
    """Withdraw the very consent the person saw, whatever has become of its purpose (unpublished, no longer
    asking for consent, deleted). A receipt ID that is not one of the person's grants is unknown (404)."""
    try:
        given = consent.own_grant(request.user, receipt_id)
    except consent.UnknownConsent:
        raise Http404("no such consent") from None
    name = given.purpose.name if given.purpose is not None else consent.purpose_name(given)
    try:
        event = consent.withdraw_grant(request.user, given.receipt_id)
        messages.success(request, _("You withdrew your consent to “%(purpose)s”. Your receipt: %(receipt)s.")
                         % {"purpose": name, "receipt": event.receipt_id})
    except consent.ConsentError:
        _unchanged(request, name)
    # back to the purpose's block while it is on offer; else the block is gone with the consent: to the city's section
    offered = given.purpose is not None and consent.offered(given.purpose)
    return _back(given.city.key, anchor(given.purpose) if offered else f"city-{given.city.key}")


def _unchanged(request: HttpRequest, name: str) -> None:
    messages.info(request, _("Nothing changed: your choice for “%(purpose)s” was already recorded.")
                  % {"purpose": name})


def _back(city_key: str, fragment: str) -> HttpResponse:
    """Back to the privacy page of the city, at the block ``fragment`` names (an id of the page)."""
    return redirect(reverse("privacy:privacy") + "?" + urlencode({"city": city_key}) + f"#{fragment}")


@never_cache
@login_required
def receipt(request: HttpRequest, receipt_id) -> HttpResponse:
    """One consent receipt as JSON, only for the person it belongs to (anyone else: 404)."""
    event = get_object_or_404(ConsentEvent, receipt_id=receipt_id, user=request.user)
    response = JsonResponse(event.receipt, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'inline; filename="consent-receipt-{event.receipt_id}.json"'
    return response


@never_cache
@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    """Everything Cityline holds about the signed-in person, as one JSON download (GDPR Art. 15, 20)."""
    response = JsonResponse(subject.export(request.user), json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest) -> HttpResponse:
    """Confirm, then erase the person's account data, sign them out and show the evidence."""
    error = None
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            error = _("Tick the box to confirm that you want your account erased.")
        else:
            try:
                record = subject.erase(request.user, note="requested by the person in the citizen area")
            except subject.ErasureError as exc:
                error = str(exc)
            else:
                logout(request)
                request.session[ERASED_SESSION_KEY] = record.pk
                return redirect("privacy:erased")
    context = {"page": _page(gettext_lazy("Erase your account"), "account-erase"), "error": error,
               "token_count": request.user.api_tokens.count(),
               "identity_count": request.user.federated_identities.count(),
               "role_count": request.user.role_assignments.count(),
               "event_count": ConsentEvent.objects.filter(user=request.user).count(),
               "participation": _participation_counts(request.user)}
    return render(request, "privacy/erase.html", context, status=400 if error else 200)


def _participation_counts(user) -> dict[str, int]:
    from cityline.participation.models import Contribution, Participant

    return {"consultations": Participant.objects.filter(user=user).count(),
            "contributions": Contribution.objects.filter(participant__user=user).count()}


@never_cache
def erased(request: HttpRequest) -> HttpResponse:
    """The confirmation after erasure (the person is signed out by then)."""
    pk = request.session.get(ERASED_SESSION_KEY)
    record = ErasureRecord.objects.filter(pk=pk).first() if pk else None
    if record is None:
        raise Http404("nothing was erased in this session")
    return render(request, "privacy/erased.html",
                  {"page": _page(gettext_lazy("Your account is erased"), "account-erased"), "record": record})
