"""Consent under the citizen's control (B14): grant, withdraw, the current decision, receipts.

Every decision is a new :class:`~.models.ConsentEvent` (append-only); the current decision
for a purpose is the person's latest event for it. Consent is given only to a purpose on offer
(published, asking for consent); a consent the person holds can always be withdrawn, whatever
has become of its purpose since (unpublished, no longer asking, deleted); pages name the consent to withdraw by
its grant's receipt ID (:func:`withdraw_grant`), never by a purpose key. Each event carries a machine-readable
receipt following the Kantara Initiative Consent Receipt Specification v1.1, checked against
the JSON Schema shipped beside this module (``consent-receipt.schema.json``) before it is
stored. The receipt names the person only by a pseudonymous id (``piiPrincipalId``).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation

from .choices import SPECIAL_CATEGORIES, ConsentAction
from .models import ConsentEvent, ProcessingPurpose

RECEIPT_VERSION = "KI-CR-v1.1.0"
SCHEMA_PATH = Path(__file__).with_name("consent-receipt.schema.json")
COLLECTION_METHOD = "web form in the Cityline citizen area (signed-in account)"


class ConsentError(ValueError):
    """A consent request that cannot be recorded (e.g. the purpose does not ask for consent)."""


class UnknownConsent(ConsentError):
    """No grant of this person has the receipt ID given (none at all, someone else's, or not a grant)."""


@lru_cache(maxsize=1)
def receipt_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def receipt_problems(receipt: dict[str, Any]) -> list[str]:
    """Every way ``receipt`` breaks the schema, as ``path: message`` lines (empty when valid)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(receipt_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{'.'.join(map(str, e.absolute_path)) or '(receipt)'}: {e.message}"
            for e in sorted(validator.iter_errors(receipt), key=lambda e: list(map(str, e.absolute_path)))]


def validate_receipt(receipt: dict[str, Any]) -> None:
    problems = receipt_problems(receipt)
    if problems:
        raise ConsentError("consent receipt does not follow the schema: " + "; ".join(problems))


# --- who: the pseudonymous subject id ------------------------------------------------------


def subject_id(user) -> str:
    """The person's pseudonymous id: the one on their consent events, else a new random one.

    Random (not derived from the account), so a receipt or an erasure record cannot be traced
    back to an account once the account is gone.
    """
    existing = (ConsentEvent.objects.filter(user=user).order_by("at", "id")
                .values_list("subject", flat=True).first())
    return existing or uuid.uuid4().hex


# --- what is asked --------------------------------------------------------------------------


def consent_purposes(city=None):
    """Published purposes that ask for consent (of one city, or of every city)."""
    qs = ProcessingPurpose.objects.filter(published=True, asks_consent=True).select_related("controller", "city")
    return qs.filter(city=city) if city is not None else qs


def offered(purpose: ProcessingPurpose) -> bool:
    """Whether a person may give consent to ``purpose`` now (published, asking for consent)."""
    return purpose.published and purpose.asks_consent


def categories_of(purpose: ProcessingPurpose) -> list[str]:
    """Categories of personal data the purpose's published holdings hold, in the fixed list's order."""
    from .choices import DataCategory

    held = set()
    for holding in purpose.holdings.filter(published=True):
        held.update(holding.categories or [])
    return [c for c in DataCategory.values if c in held]


# --- receipts -------------------------------------------------------------------------------


def build_receipt(purpose: ProcessingPurpose, *, subject: str, action: str, at: datetime, receipt_id: uuid.UUID,
                  language: str | None = None) -> dict[str, Any]:
    """A Kantara v1.1 consent receipt for one decision about one purpose."""
    controller = purpose.controller
    categories = categories_of(purpose)
    special = [c for c in categories if c in SPECIAL_CATEGORIES]
    purpose_entry = {
        "purpose": purpose.name,
        "purposeCategory": [purpose.category] if purpose.category else [],
        "consentType": "EXPLICIT",
        "piiCategory": categories,
        "primaryPurpose": False,  # what the person asked for works without it: that is why it is optional
        "termination": purpose.termination or "Withdraw at any time in your Cityline account.",
        "thirdPartyDisclosure": bool(purpose.third_parties.strip()),
    }
    if purpose.third_parties.strip():
        purpose_entry["thirdPartyName"] = purpose.third_parties.strip()
    services = [s.name for s in purpose.services.order_by("name")] or [purpose.name]
    pii_controller = {
        "piiController": controller.name,
        "contact": f"{controller.name} data protection contact",
        "address": purpose.contact_address,
        "email": purpose.contact_email,
        "phone": purpose.contact_phone,
    }
    if controller.website:
        pii_controller["piiControllerUrl"] = controller.website
    return {
        "version": RECEIPT_VERSION,
        "jurisdiction": purpose.city.country or "EU",
        "consentTimestamp": int(at.timestamp()),
        "collectionMethod": COLLECTION_METHOD,
        "consentReceiptID": str(receipt_id),
        "language": language or translation.get_language() or settings.LANGUAGE_CODE,
        "piiPrincipalId": subject,
        "piiControllers": [pii_controller],
        "policyUrl": purpose.policy_url or "",
        "services": [{"service": name, "purposes": [dict(purpose_entry)]} for name in services],
        "sensitive": bool(special),
        "spiCat": special,
        "cityline:action": str(action),
        "cityline:city": purpose.city.key,
    }


# --- decisions ------------------------------------------------------------------------------


def current(user, purpose: ProcessingPurpose) -> ConsentEvent | None:
    """The person's latest decision about ``purpose`` (None: never asked)."""
    return ConsentEvent.objects.filter(user=user, purpose=purpose).order_by("-at", "-id").first()


def is_granted(user, purpose: ProcessingPurpose) -> bool:
    event = current(user, purpose)
    return event is not None and event.action == ConsentAction.GRANTED


def states(user, purposes) -> dict[int, ConsentEvent]:
    """Latest event per purpose id, for a list of purposes (one query)."""
    latest: dict[int, ConsentEvent] = {}
    ids = [p.pk for p in purposes]
    for event in ConsentEvent.objects.filter(user=user, purpose_id__in=ids).order_by("at", "id"):
        latest[event.purpose_id] = event
    return latest


def purpose_name(event: ConsentEvent) -> str:
    """The purpose's name as the event's receipt gives it (the purpose may have been renamed or deleted since)."""
    try:
        return event.receipt["services"][0]["purposes"][0]["purpose"]
    except (KeyError, IndexError, TypeError):
        return event.purpose_key


def chain(event: ConsentEvent) -> tuple:
    """Which purpose's chain of decisions ``event`` belongs to: its purpose's id (``purpose_ref``, kept after the
    purpose is deleted), else, for an event of a purpose deleted before that id was kept, its city and key."""
    if event.purpose_ref is not None:
        return ("purpose", event.purpose_ref)
    if event.purpose_id is not None:
        return ("purpose", event.purpose_id)
    return ("key", event.city_id, event.purpose_key)


def _chain_events(user, *, purpose_ref: int | None, city=None, purpose_key: str = ""):
    """The person's events of one chain (:func:`chain`): by the purpose's id, else by city and key (older events)."""
    if purpose_ref is not None:
        return ConsentEvent.objects.filter(user=user, purpose_ref=purpose_ref)
    return ConsentEvent.objects.filter(user=user, city=city, purpose__isnull=True, purpose_ref__isnull=True,
                                       purpose_key=purpose_key)


def held(user, city=None) -> list[ConsentEvent]:
    """The consents the person holds (newest first): per purpose, the latest event, when it is a grant.

    Whatever has become of the purpose: unpublished, no longer asking for consent, or deleted. The events of a
    deleted purpose keep its id (``purpose_ref``), so consents to two deleted purposes of the same key stay two
    (:func:`chain`). Each of these can be withdrawn (:func:`withdraw`, :func:`withdraw_grant`).
    """
    events = ConsentEvent.objects.filter(user=user).select_related("city", "purpose").order_by("-at", "-id")
    if city is not None:
        events = events.filter(city=city)
    seen, result = set(), []
    for event in events:
        group = chain(event)
        if group not in seen:
            seen.add(group)
            if event.action == ConsentAction.GRANTED:
                result.append(event)
    return result


def _repeat(given: dict[str, Any], *, subject: str, action: str, at: datetime, receipt_id: uuid.UUID,
            language: str | None) -> dict[str, Any]:
    """A receipt for ``action`` repeating what the receipt ``given`` recorded (its purpose, controller, notice)."""
    return {**given, "consentTimestamp": int(at.timestamp()), "consentReceiptID": str(receipt_id),
            "language": language or translation.get_language() or settings.LANGUAGE_CODE,
            "piiPrincipalId": subject, "cityline:action": str(action)}


def _record(user, purpose: ProcessingPurpose | None, action: str, *, language: str | None = None,
            city=None, purpose_key: str = "", purpose_ref: int | None = None) -> ConsentEvent:
    """Record a decision about ``purpose`` (None: about the deleted purpose whose id was ``purpose_ref``, or, for
    events recorded before that id was kept, the deleted purpose ``purpose_key`` of ``city``).

    Granting needs a purpose on offer (:func:`offered`). Withdrawing needs only a consent in force:
    its receipt is built from the purpose while it is on offer, else it repeats the grant's receipt
    (what the person agreed to), since the purpose may no longer say what a receipt needs.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        raise ConsentError("sign in to give or withdraw consent")
    if purpose is not None:
        city, purpose_key, purpose_ref = purpose.city, purpose.key, purpose.pk
        events = ConsentEvent.objects.filter(user=user, purpose=purpose)
    else:
        events = _chain_events(user, purpose_ref=purpose_ref, city=city, purpose_key=purpose_key)
    if action == ConsentAction.GRANTED and (purpose is None or not offered(purpose)):
        raise ConsentError(f"purpose {purpose_key!r} does not ask for consent")
    with transaction.atomic():
        # one decision at a time per person: two quick clicks cannot both pass the check below
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        latest = events.order_by("-at", "-id").first()
        granted = latest is not None and latest.action == ConsentAction.GRANTED
        if action == ConsentAction.GRANTED and granted:
            raise ConsentError(f"consent for {purpose_key!r} is already given")
        if action == ConsentAction.WITHDRAWN and not granted:
            raise ConsentError(f"there is no consent for {purpose_key!r} to withdraw")
        at = timezone.now()
        receipt_id = uuid.uuid4()
        subject = subject_id(user)
        if purpose is not None and offered(purpose):
            receipt = build_receipt(purpose, subject=subject, action=action, at=at, receipt_id=receipt_id,
                                    language=language)
        else:
            receipt = _repeat(latest.receipt, subject=subject, action=action, at=at, receipt_id=receipt_id,
                              language=language)
        validate_receipt(receipt)
        return ConsentEvent.objects.create(city=city, user=user, subject=receipt["piiPrincipalId"],
                                           purpose=purpose, purpose_key=purpose_key, purpose_ref=purpose_ref,
                                           action=action, at=at,
                                           receipt_id=receipt_id, receipt=receipt)


def grant(user, purpose: ProcessingPurpose, *, language: str | None = None) -> ConsentEvent:
    """Record that the person gives consent for ``purpose``; returns the event with its receipt."""
    return _record(user, purpose, ConsentAction.GRANTED, language=language)


def withdraw(user, purpose: ProcessingPurpose, *, language: str | None = None) -> ConsentEvent:
    """Record that the person withdraws consent for ``purpose`` (as easy as giving it, GDPR Art. 7(3)).

    At any time: also when the purpose is no longer published or no longer asks for consent.
    """
    return _record(user, purpose, ConsentAction.WITHDRAWN, language=language)


def withdraw_deleted(user, city, purpose_key: str, *, language: str | None = None) -> ConsentEvent:
    """Withdraw the consent the person holds for a purpose of ``city`` and key ``purpose_key`` that has since been
    deleted. Two deleted purposes of the same key may each hold a consent: then the key cannot say which is meant,
    and nothing is recorded (:class:`ConsentError`; name the consent by its grant's receipt, :func:`withdraw_grant`).
    """
    in_force = [e for e in held(user, city) if e.purpose_id is None and e.purpose_key == purpose_key]
    if len(in_force) > 1:
        raise ConsentError(f"consents to {len(in_force)} deleted purposes {purpose_key!r} are in force: name the "
                           "one to withdraw by the receipt ID of its grant")
    if not in_force:
        raise ConsentError(f"there is no consent for {purpose_key!r} to withdraw")
    given = in_force[0]
    return _record(user, None, ConsentAction.WITHDRAWN, language=language, city=given.city,
                   purpose_key=given.purpose_key, purpose_ref=given.purpose_ref)


def own_grant(user, receipt_id) -> ConsentEvent:
    """The person's own grant whose receipt ID is ``receipt_id``: how a page names one exact consent.

    A purpose's key does not: a deleted purpose and a new one of the same key (in the same city) each
    have their own consent. Anyone else's receipt, an unknown or malformed ID, or a withdrawal's
    receipt raise :class:`UnknownConsent`, exactly alike.
    """
    try:
        receipt_id = uuid.UUID(str(receipt_id))
    except ValueError:
        raise UnknownConsent(f"{receipt_id!r} is not a consent receipt ID") from None
    event = (ConsentEvent.objects.select_related("city", "purpose")
             .filter(user=user, receipt_id=receipt_id, action=ConsentAction.GRANTED).first()
             if user is not None and getattr(user, "is_authenticated", False) else None)
    if event is None:
        raise UnknownConsent(f"no grant of yours has the receipt {receipt_id}")
    return event


def withdraw_grant(user, receipt_id, *, language: str | None = None) -> ConsentEvent:
    """Withdraw the consent in force for the purpose of the person's grant with receipt ``receipt_id`` (see
    :func:`own_grant`), whatever has become of that purpose (:func:`withdraw`, :func:`withdraw_deleted`).

    The grant names the purpose, not only the decision: pressed on a page that was open while the person gave
    consent again elsewhere, the withdrawal takes back the consent given since, as they asked (a consent is
    withdrawn as easily as it was given). None in force: :class:`ConsentError`, nothing recorded.
    """
    given = own_grant(user, receipt_id)
    if given.purpose is not None:
        return _record(user, given.purpose, ConsentAction.WITHDRAWN, language=language)
    return _record(user, None, ConsentAction.WITHDRAWN, language=language, city=given.city,
                   purpose_key=given.purpose_key, purpose_ref=given.purpose_ref)
