"""The person as a data subject (B14): everything their account holds, and erasure.

:func:`export` returns, as plain JSON-ready data, what Cityline holds about one person and
nothing about anyone else (GDPR Art. 15 and 20). :func:`erase` removes their account data
(Art. 17): API tokens, federated identities, role assignments and the account itself. Their
consent events stay as evidence of what was agreed, but without the link to the account
(only the pseudonymous id remains); their participation in consultations is unlinked and its
words replaced (:mod:`cityline.participation.personal`); an :class:`~.models.ErasureRecord` says
what was erased.

What erasure leaves, on purpose: the change history of operating-model records keeps the
change but loses its author (simple-history's ``history_user`` is ``SET_NULL``); the history
of role assignments keeps the numeric id of a user who no longer exists, as security audit
evidence of who held which role.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cityline.participation import personal as participation

from . import consent
from .models import ConsentEvent, ErasureRecord

FORMAT = "cityline-personal-data/1"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def export(user) -> dict[str, Any]:
    """Everything Cityline holds about ``user``: account, identities, roles, token metadata, consents,
    participation in consultations (profiles, contributions, supports, answers, reports filed)."""
    from cityline.accounts.models import ApiToken, FederatedIdentity, RoleAssignment

    identities = FederatedIdentity.objects.filter(user=user).select_related("provider", "provider__city")
    roles = RoleAssignment.objects.filter(user=user).select_related("city", "organisation", "outcome")
    tokens = ApiToken.objects.filter(user=user)
    events = ConsentEvent.objects.filter(user=user).select_related("city").order_by("at", "id")
    return {
        "format": FORMAT,
        "exported_at": timezone.now().isoformat(),
        "pseudonymous_id": consent.subject_id(user) if events else None,
        "account": {
            "username": user.get_username(),
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "is_active": user.is_active,
        },
        "federated_identities": [
            {"provider": i.provider.key, "provider_name": i.provider.name, "city": i.provider.city.key,
             "subject": i.subject, "first_seen": _iso(i.first_seen), "last_login": _iso(i.last_login)}
            for i in identities
        ],
        "role_assignments": [
            {"role": r.role, "city": r.city.key if r.city else None,
             "organisation": r.organisation.key if r.organisation else None,
             "outcome": r.outcome.key if r.outcome else None,
             "granted_at": _iso(r.granted_at), "note": r.note}
            for r in roles
        ],
        "api_tokens": [  # metadata only: the digest never leaves the database
            {"name": t.name, "prefix": t.prefix, "scopes": t.scopes, "trust_level": t.trust_level,
             "created_at": _iso(t.created_at), "expires_at": _iso(t.expires_at),
             "last_used_at": _iso(t.last_used_at), "revoked_at": _iso(t.revoked_at)}
            for t in tokens
        ],
        "consent_events": [
            # purpose_ref tells apart two purposes of the same key (one deleted, the other created since)
            {"city": e.city.key, "purpose": e.purpose_key, "purpose_ref": e.purpose_ref, "action": e.action,
             "at": _iso(e.at),
             "receipt_id": str(e.receipt_id), "receipt": e.receipt}
            for e in events
        ],
        "participation": participation.export(user),
    }


class ErasureError(RuntimeError):
    """The account could not be erased (nothing was changed)."""


def erase(user, *, note: str = "") -> ErasureRecord:
    """Erase the person's Cityline account data in one transaction; returns the evidence record."""
    from django.db.models import ProtectedError, RestrictedError

    from cityline.accounts.models import ApiToken, FederatedIdentity, RoleAssignment

    User = get_user_model()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        subject = consent.subject_id(user)
        erased = {
            "api_tokens": ApiToken.objects.filter(user=user).delete()[0],
            "federated_identities": FederatedIdentity.objects.filter(user=user).delete()[0],
            "role_assignments": _delete_each(RoleAssignment.objects.filter(user=user)),
            "consent_events_pseudonymised": ConsentEvent.objects.filter(user=user).update(user=None),
            **participation.erase(user),
        }
        try:
            deleted, by_model = User.objects.filter(pk=user.pk).delete()
        except (ProtectedError, RestrictedError) as exc:
            raise ErasureError(f"the account cannot be erased: other records still need it ({exc})") from exc
        erased["account"] = by_model.get(User._meta.label, 0)
        others = {label: n for label, n in by_model.items() if label != User._meta.label and n}
        if others:
            erased["other"] = others
        return ErasureRecord.objects.create(subject=subject, erased=erased, note=note)


def _delete_each(queryset) -> int:
    """Delete one by one, so the change history records each removal (role assignments have a history)."""
    count = 0
    for record in queryset:
        record.delete()
        count += 1
    return count
