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
