"""API tokens for machine clients: random, shown once, stored as a SHA-256 digest.

A token is 32 random bytes (``secrets.token_urlsafe``) behind the prefix ``cl_``. Because it
is long and random, a fast digest is the right way to store it (as GitHub and PyPI do); a
slow password hash would only make every API call slow. Tokens carry scopes (``read``,
``write``), an expiry date and the trust level of the session that created them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from .authz import SCOPES
from .models import ApiToken

PREFIX = "cl_"
MAX_DAYS = 366


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue(user, *, name: str, scopes: list[str], days: int = 90, trust_level: int) -> tuple[ApiToken, str]:
    """Create a token; returns the record and the raw token, which is never stored or shown again."""
    unknown = sorted(set(scopes) - set(SCOPES))
    problems = {}
    if unknown:
        problems["scopes"] = f"unknown scope(s) {', '.join(unknown)}: use {', '.join(SCOPES)}"
    if not scopes:
        problems["scopes"] = f"give at least one scope: {', '.join(SCOPES)}"
    if not 1 <= days <= MAX_DAYS:
        problems["days"] = f"a token lives 1 to {MAX_DAYS} days, not {days}"
    if not name.strip():
        problems["name"] = "say what the token is for"
    elif len(name.strip()) > (longest := ApiToken._meta.get_field("name").max_length):
        problems["name"] = f"at most {longest} characters, not {len(name.strip())}"
    if problems:
        raise ValidationError(problems)
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip(), prefix=raw[:10], digest=digest(raw), scopes=sorted(set(scopes)),
        trust_level=trust_level, expires_at=timezone.now() + timedelta(days=days),
    )
    return token, raw


def lookup(raw: str) -> ApiToken | None:
    """The active token for a raw value, or None (unknown, expired, revoked or inactive user)."""
    if not raw or not raw.startswith(PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=digest(raw)).first()
    if token is None or not token.active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # bookkeeping, not a record change
    return token


def revoke(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
