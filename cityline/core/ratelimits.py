"""Rate limits on sign-in and on the public APIs (B10: identity and privacy management; hardened public API).

Limits, each a django-ratelimit rate (``"10/m"``, ``"600/m"``, ``"5000/h"``), come from the
``CITYLINE_RATE_LIMITS`` setting (the environment variable of the same name overrides single
entries: ``sign_in_ip=20/m,api_anonymous=1200/m``; an empty rate switches that limit off):

- ``sign_in_ip`` / ``sign_in_user``: password sign-in attempts (POST) per client address and
  per user name, so guessing passwords is slow whichever of the two an attacker varies;
- ``api_anonymous``: calls to the machine faces without credentials, per client address: the REST
  API (``/api/v1/``), the CKAN Action API (``/api/3/`` and ``/<city>/api/3/``) and NGSI-LD
  (``/ngsi-ld/``);
- ``api_user``: every request that carries credentials in an ``Authorization`` header (a bearer
  token or HTTP Basic), **whatever its path**, per token or Basic user name. Wrong passwords and
  unknown tokens count too, so guessing a password through Basic is as slow on the CKAN API,
  NGSI-LD or a portal page as on the REST API. The limit is tied to where credentials are
  checked, not to a list of addresses: :func:`credentials_over_limit` counts a request once, and
  :func:`cityline.accounts.principals.credentials_principal` (the one place Basic passwords and
  tokens are checked) asks it before checking anything, so a face the middleware did not see is
  held to it too;
- ``participation_post``: what a signed-in person sends to the public consultation pages
  (taking part, comments, proposals, supports, survey answers, reports), per user; checked by
  the views (:func:`view_over_limit`), since the middleware runs before the session user is known.

A caller over the limit gets ``429 Too Many Requests`` with ``Retry-After`` (seconds); on the
machine faces (:data:`API_PATH`) the body is each face's own error shape (:func:`too_many_requests`):
a problem document ``urn:cityline:problem:too-many-requests`` (``application/problem+json`` on the REST
API, ``application/json`` ProblemDetails on NGSI-LD) or CKAN's error object on the CKAN Action API.

Counters live in Django's ``default`` cache. The default cache is per process (LocMem): a
deployment with several worker processes or machines configures a shared cache (e.g.
``django.core.cache.backends.redis.RedisCache``, which needs the ``redis`` package) so that a
limit holds across workers (docs/security.md). The client address is ``REMOTE_ADDR``: behind
a reverse proxy set ``RATELIMIT_IP_META_KEY`` to the header the proxy fills in.
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

#: Default limits (docs/security.md). A deployment may raise or lower them; "" switches one off.
DEFAULT_LIMITS: dict[str, str] = {
    "sign_in_ip": "10/m",
    "sign_in_user": "10/m",
    "api_anonymous": "600/m",
    "api_user": "1200/m",
    "participation_post": "20/m",
}

#: The machine faces: ``/api/...``, ``/<city>/api/...`` (the CKAN Action API per city) and NGSI-LD. They
#: get the per-address limit for anonymous callers and error documents; credentials are limited everywhere.
API_PATH = re.compile(r"^/(?:[\w-]+/)?api/|^/ngsi-ld/")
#: The faces with an error shape of their own (:func:`too_many_requests`).
CKAN_PATH = re.compile(r"^/(?:[\w-]+/)?api/(?:3/)?action/")
NGSI_LD_PATH = re.compile(r"^/ngsi-ld/")
SIGN_IN_VIEW = "accounts:sign-in"


def parse_env(value: str) -> dict[str, str]:
    """``name=rate,name=rate`` -> {name: rate}; a ValueError names an unknown limit or a bad entry."""
    out: dict[str, str] = {}
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, rate = part.partition("=")
        name, rate = name.strip(), rate.strip()
        if not sep or name not in DEFAULT_LIMITS:
            raise ValueError(
                f"CITYLINE_RATE_LIMITS: {part!r} is not name=rate with a name among {', '.join(DEFAULT_LIMITS)}"
            )
        out[name] = rate
    return out


def configured_limits() -> dict[str, str]:
    """Defaults, then ``settings.CITYLINE_RATE_LIMITS``, then the environment variable."""
    limits = dict(DEFAULT_LIMITS)
    limits.update(getattr(settings, "CITYLINE_RATE_LIMITS", {}) or {})
    limits.update(parse_env(os.environ.get("CITYLINE_RATE_LIMITS", "")))
    return limits


def _ip(request: HttpRequest) -> str:
    meta_key = getattr(settings, "RATELIMIT_IP_META_KEY", None) or "REMOTE_ADDR"
    return (request.META.get(meta_key) or "").split(",")[0].strip() or "unknown"


def credential_key(request: HttpRequest) -> str | None:
    """Who the credentials claim to be (no database look-up): a token digest or the Basic user name."""
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if not value:
        return None
    if scheme == "basic":
        try:
            username = base64.b64decode(value, validate=False).decode("utf-8").partition(":")[0]
        except ValueError:  # not base64 (binascii.Error), not ASCII, not UTF-8 (UnicodeDecodeError)
            username = ""
        return "basic:" + username.lower()
    if scheme == "bearer":
        return "bearer:" + hashlib.sha256(value.encode("utf-8")).hexdigest()
    return None  # a scheme nothing reads: the request is anonymous, and counted as such (by its address)


def _check(request: HttpRequest, group: str, rate: str, key: str) -> int | None:
    """Count one hit; the seconds until the window ends when over the limit, else None."""
    if not rate:
        return None
    usage: dict[str, Any] | None = get_usage(
        request, group=f"cityline.{group}", key=lambda _g, _r: key, rate=rate, increment=True
    )
    if usage and usage["should_limit"]:
        return max(1, math.ceil(usage["time_left"]))
    return None


def _is_sign_in(request: HttpRequest) -> bool:
    if request.method != "POST":
        return False
    try:
        return resolve(request.path_info).view_name == SIGN_IN_VIEW
    except Resolver404:
        return False


#: Request attribute: the outcome of counting the request's credentials (None: under the limit).
_CREDENTIALS_COUNTED = "_cityline_credentials_limit"


def is_api_path(request: HttpRequest) -> bool:
    return bool(API_PATH.match(request.path_info))


def credentials_over_limit(request: HttpRequest) -> int | None:
    """Count the request's ``Authorization`` credentials against ``api_user``, once per request.

    The Retry-After seconds when they are over the limit, else None (also without credentials or
    with rate limits off). The middleware asks first; ``credentials_principal`` asks again before it
    checks a password or a token and gets the same answer without a second count.
    """
    if hasattr(request, _CREDENTIALS_COUNTED):
        return getattr(request, _CREDENTIALS_COUNTED)
    wait = None
    who = credential_key(request)
    if who is not None and getattr(settings, "RATELIMIT_ENABLE", True):
        wait = _check(request, "api_user", configured_limits().get("api_user", ""), who)
    setattr(request, _CREDENTIALS_COUNTED, wait)
    return wait


def over_limit(request: HttpRequest) -> tuple[str, int] | None:
    """(limit name, Retry-After seconds) when this request goes over a limit, else None."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    limits = configured_limits()
    if credential_key(request) is not None:
        wait = credentials_over_limit(request)
        if wait:
            return "api_user", wait
    elif is_api_path(request):
        wait = _check(request, "api_anonymous", limits.get("api_anonymous", ""), "ip:" + _ip(request))
        if wait:
            return "api_anonymous", wait
    if _is_sign_in(request):  # an Authorization header does not spare a password sign-in its own limits
        wait = _check(request, "sign_in_ip", limits.get("sign_in_ip", ""), "ip:" + _ip(request))
        if wait:
            return "sign_in_ip", wait
        username = (request.POST.get("username") or "").strip().lower()
        if username:
            wait = _check(request, "sign_in_user", limits.get("sign_in_user", ""), "user:" + username)
            if wait:
                return "sign_in_user", wait
    return None


def view_over_limit(request: HttpRequest, name: str) -> int | None:
    """For a view: count one hit of the limit ``name`` for the signed-in user (or the client address).

    The Retry-After seconds when over the limit (answer with :func:`too_many_requests`), else None.
    """
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    user = getattr(request, "user", None)
    key = f"user:{user.pk}" if user is not None and user.is_authenticated else "ip:" + _ip(request)
    return _check(request, name, configured_limits().get(name, ""), key)


def too_many_requests(request: HttpRequest, wait: int) -> HttpResponse:
    """429 with Retry-After (seconds), in the error shape of the face asked.

    CKAN's error object on the CKAN Action API (``__type`` "Too Many Requests"), NGSI-LD's
    ProblemDetails (``application/json``) on NGSI-LD, a problem document (``application/problem+json``)
    on the rest of ``/api/``; a short text page elsewhere. The middleware answers with it, and so does
    every face that catches :class:`cityline.accounts.principals.TooManyAttempts` from its credentials check.
    """
    detail = f"Too many requests from this client; try again in {wait} seconds."
    if CKAN_PATH.match(request.path_info):
        from cityline.opendata import ckan

        response = ckan.error_response(request, ckan.TooManyRequests(detail))
        response["Retry-After"] = str(wait)
        return response
    if is_api_path(request):
        from cityline.api.errors import problem_response

        response = problem_response("too-many-requests", detail, headers={"Retry-After": str(wait)})
        if NGSI_LD_PATH.match(request.path_info):
            response["Content-Type"] = "application/json"  # NGSI-LD sends its ProblemDetails as plain JSON
        return response
    message = _("Too many attempts. Please wait %(seconds)s seconds and try again.") % {"seconds": wait}
    response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(wait)
    return response


class RateLimitMiddleware:
    """Answer 429 before the view runs when a request is over one of the limits."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        hit = over_limit(request)
        if hit is not None:
            return too_many_requests(request, hit[1])
        return self.get_response(request)
