"""The principal of a request: session (with its sign-in trust level), bearer token or HTTP Basic."""

from __future__ import annotations

import base64

from django.contrib.auth import authenticate
from django.http import HttpRequest

from . import tokens
from .authz import ANONYMOUS, Principal, principal_for_user

#: Session key holding the trust level of the sign-in (set by the local and OIDC sign-in views).
SESSION_TRUST_KEY = "cityline_trust"
_CACHE = "_cityline_principal"
#: Request attribute: the outcome of checking the ``Authorization`` header (a principal, None or the refusal).
_CHECKED = "_cityline_credentials_checked"


class BadCredentials(Exception):
    """Credentials were sent but are wrong (unknown, expired or revoked token; bad password)."""


class TooManyAttempts(BadCredentials):
    """Credentials were sent too often (the ``api_user`` rate limit): they are not checked at all."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many requests with these credentials; try again in {retry_after} seconds")
        self.retry_after = retry_after


def credentials_principal(request: HttpRequest) -> Principal | None:
    """The principal of an ``Authorization`` header, None without one; BadCredentials if wrong.

    Every check of a password or a token, on any face, goes through here, so the ``api_user`` rate
    limit is asked here first (:func:`cityline.core.ratelimits.credentials_over_limit`, counted once
    per request): over it, nothing is checked and :class:`TooManyAttempts` is raised, so a face that
    reads wrong credentials as anonymous cannot be used to guess passwords either.

    The header is checked once per request: the outcome (the principal, None, or the refusal) is kept
    on the request, so a second caller (the API's authentication classes after
    :class:`cityline.api.credentials.CredentialsMiddleware`) gets the same answer without hashing the
    password again, and the two can never disagree.
    """
    if hasattr(request, _CHECKED):
        outcome = getattr(request, _CHECKED)
        if isinstance(outcome, BadCredentials):
            raise outcome.with_traceback(None)
        return outcome
    try:
        outcome = _check_header(request)
    except BadCredentials as exc:
        setattr(request, _CHECKED, exc)
        raise
    setattr(request, _CHECKED, outcome)
    return outcome


def _check_header(request: HttpRequest) -> Principal | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme in ("bearer", "basic") and value:
        from cityline.core.ratelimits import credentials_over_limit

        wait = credentials_over_limit(request)
        if wait:
            raise TooManyAttempts(wait)
    if scheme == "bearer" and value:
        token = tokens.lookup(value)
        if token is None:
            raise BadCredentials("the bearer token is unknown, expired or revoked")
        return principal_for_user(token.user, trust=token.trust_level, scopes=frozenset(token.scopes))
    if scheme == "basic" and value:
        try:
            username, _, password = base64.b64decode(value).decode("utf-8").partition(":")
        except ValueError:  # not base64 (binascii.Error), not ASCII, not UTF-8 (UnicodeDecodeError)
            raise BadCredentials("the Basic credentials are not valid base64 of user:password") from None
        user = authenticate(request, username=username, password=password)
        if user is None:
            raise BadCredentials("wrong user name or password")
        return principal_for_user(user)
    return None


def remember(request: HttpRequest, principal: Principal) -> None:
    """Cache a principal already worked out (by the API's credentials check) on the request."""
    setattr(request, _CACHE, principal)


def principal_for(request: HttpRequest) -> Principal:
    """Who is asking (cached on the request). Never raises: wrong credentials read as anonymous.

    On the API, wrong credentials never get this far: :mod:`cityline.api.credentials` answers
    them with a 401 problem first.
    """
    cached = getattr(request, _CACHE, None)
    if cached is not None:
        return cached
    try:
        principal = credentials_principal(request)
    except BadCredentials:
        principal = ANONYMOUS
    if principal is None:
        user = getattr(request, "user", None)
        trust = None
        session = getattr(request, "session", None)
        if session is not None:
            trust = session.get(SESSION_TRUST_KEY)
        principal = principal_for_user(user, trust=trust)
    setattr(request, _CACHE, principal)
    return principal
