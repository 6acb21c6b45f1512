"""Who is calling: Django session (with CSRF) for the browser, HTTP Basic for scripts.

Reading is open to everyone (the programme's data is public information, B2.g);
writing needs a staff user (``is_staff``). Token authentication comes later.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security import HttpBasicAuth
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from .errors import ApiProblem


class BasicAuth(HttpBasicAuth):
    """HTTP Basic with a Django user name and password (for scripts; use HTTPS)."""

    def authenticate(self, request: HttpRequest, username: str, password: str) -> Any:
        return authenticate(request, username=username, password=password)


class SessionAuth(APIKeyCookie):
    """The editor's session cookie; unsafe methods need the CSRF token (``X-CSRFToken``)."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # Only a signed-in session is checked for CSRF, so anonymous callers get 401, not 403.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if check_csrf(request):
            raise ApiProblem("forbidden", "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken")
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if key is not None and user is not None and user.is_authenticated:
            return user
        return None


#: Authentication for write operations, tried in order.
WRITE_AUTH = [BasicAuth(), SessionAuth()]


def require_staff(request: HttpRequest):
    """The authenticated user of a write request, who must be staff."""
    user = getattr(request, "auth", None)
    if user is None or not user.is_active or not user.is_staff:
        raise PermissionDenied("only staff users can change the operating model")
    return user


def viewer(request: HttpRequest):
    """The user reading (session or valid Basic credentials), or None. Never raises."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        username, _, password = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return authenticate(request, username=username, password=password)


def viewer_is_staff(request: HttpRequest) -> bool:
    if not hasattr(request, "_cityline_viewer_is_staff"):
        user = viewer(request)
        request._cityline_viewer_is_staff = bool(user and user.is_active and user.is_staff)
    return request._cityline_viewer_is_staff
