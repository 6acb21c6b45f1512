"""Wrong credentials on any API request are a 401 problem naming the cause (B10); on the CKAN Action API,
CKAN's own "Authorization Error" (403) naming it (:func:`cityline.opendata.ckan.credentials_refused`).

Without this, :func:`cityline.accounts.principals.principal_for` would read a caller with an
unknown, expired or revoked bearer token, or a wrong Basic password, as anonymous: their read
requests would quietly get the public view and a script would never learn that its token
has stopped working. Every API request (the REST API ``/api/v1/``, the CKAN Action API
``/api/3/action/`` and its per-city address ``/<city>/api/3/action/``) passes here; a request without an ``Authorization`` header is
untouched (anonymous or session).

Credentials sent too often (:class:`~cityline.accounts.principals.TooManyAttempts`) are not wrong:
they get ``429 Too Many Requests`` with ``Retry-After`` in the face's own error shape
(:func:`cityline.core.ratelimits.too_many_requests`), never a 401 that would tell a script to give up.
The rate limit middleware normally answers first; this holds when it does not run, and also for
a view that checks the header itself and lets ``TooManyAttempts`` through (NGSI-LD).

On the CKAN Action API only, a token sent the way CKAN clients send an API token (``ckanapi`` sends
``Authorization: <token>`` with no scheme and ``X-CKAN-API-Key: <token>``) is read as the bearer token
it is (:class:`CkanApiKeyMiddleware`, before the rate limits): the same rate limit, the same checks,
and a wrong one is CKAN's 403 "Authorization Error" like a wrong bearer token. Elsewhere a header
without a scheme stays no credential.
"""

from __future__ import annotations

import re

from django.http import HttpRequest

from cityline.accounts import principals
from cityline.core.ratelimits import CKAN_PATH, too_many_requests

from .errors import problem_response

#: ``/api/...`` and ``/<city>/api/...``.
API_PATH = re.compile(r"^/(?:[\w-]+/)?api/")


def challenge(request: HttpRequest, detail: str) -> str:
    """The ``WWW-Authenticate`` header for a refused ``Authorization`` header (RFC 6750 for bearer tokens)."""
    scheme = request.headers.get("Authorization", "").partition(" ")[0].lower()
    if scheme == "bearer":
        return f'Bearer realm="cityline", error="invalid_token", error_description="{detail}"'
    return 'Basic realm="cityline", charset="UTF-8"'


#: Schemes an ``Authorization`` header may start with; a one-word header that is not one of them is a CKAN API token.
_SCHEMES = ("bearer", "basic")


def ckan_api_key(request: HttpRequest) -> None:
    """On a CKAN Action API request, turn CKAN's way of sending an API token into a bearer token.

    CKAN reads its API token from ``X-CKAN-API-Key`` or from ``Authorization`` holding the bare token
    (``ckanapi.RemoteCKAN(url, apikey=...)`` sends both). A bare ``Authorization`` value (one word, not a
    scheme) or, without an ``Authorization`` header, the ``X-CKAN-API-Key`` value becomes
    ``Authorization: Bearer <token>``, which everything after reads (the rate limits, the credentials
    check, the challenge). An ``Authorization`` header with a scheme is left as it is.
    """
    header = request.META.get("HTTP_AUTHORIZATION", "").strip()
    key = request.META.get("HTTP_X_CKAN_API_KEY", "").strip()
    token = header if header else key
    if not token or " " in token or token.lower() in _SCHEMES:
        return
    request.META["HTTP_AUTHORIZATION"] = "Bearer " + token
    request.__dict__.pop("headers", None)  # HttpRequest.headers is cached from META


class CkanApiKeyMiddleware:
    """Reads a CKAN client's API token as a bearer token on the CKAN Action API (:func:`ckan_api_key`).

    It comes before :class:`cityline.core.ratelimits.RateLimitMiddleware`, so that the token is held to
    the same ``api_user`` limit as a bearer token, and before :class:`CredentialsMiddleware`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if CKAN_PATH.match(request.path_info):
            ckan_api_key(request)
        return self.get_response(request)


class CredentialsMiddleware:
    """Checks the ``Authorization`` header of API requests once, before any endpoint runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if API_PATH.match(request.path_info) and request.headers.get("Authorization"):
            try:
                principal = principals.credentials_principal(request)
            except principals.TooManyAttempts as exc:
                return too_many_requests(request, exc.retry_after)
            except principals.BadCredentials as exc:
                detail = str(exc)
                if CKAN_PATH.match(request.path_info):  # CKAN's own error object, which CKAN clients read
                    from cityline.opendata import ckan

                    return ckan.credentials_refused(request, detail, challenge(request, detail))
                return problem_response("not-authenticated", detail,
                                        headers={"WWW-Authenticate": challenge(request, detail)})
            if principal is not None:
                principals.remember(request, principal)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        """A view's own credentials check refused credentials sent too often: 429, not a server error."""
        if isinstance(exception, principals.TooManyAttempts):
            return too_many_requests(request, exception.retry_after)
        return None
