"""Who is calling the API, and what they may do.

Three ways in: a bearer token (``Authorization: Bearer cl_…``, for machine clients; scoped
and expiring, see :mod:`cityline.accounts.tokens`), HTTP Basic with a local account (scripts;
use HTTPS), and the browser session (with CSRF). What a caller may then do is decided by the
authorisation layer (:mod:`cityline.accounts.authz`), the same one the editor and the CLI use.

Reading published records is open to everyone (B2.g); unpublished ones need a role in the city.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security import HttpBasicAuth, HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from cityline.accounts import authz, principals
from cityline.accounts.principals import principal_for

from .errors import ApiProblem


def header_user(request: HttpRequest) -> Any:
    """The user of the request's ``Authorization`` header, by the one credentials check of
    :func:`cityline.accounts.principals.credentials_principal` (done once per request, rate limited
    there); None when the header is missing, of another scheme or wrong.

    django-ninja hands the authentication classes the decoded token or user name and password; they
    are not checked a second time here, so a Basic password is hashed once per request and the REST
    API cannot accept credentials the rest of Cityline refuses (e.g. a header without a scheme,
    which django-ninja reads as Basic).
    """
    try:
        principal = principals.credentials_principal(request)
    except principals.TooManyAttempts as exc:
        raise ApiProblem("too-many-requests",
                         f"Too many requests with these credentials; try again in {exc.retry_after} seconds.",
                         headers={"Retry-After": str(exc.retry_after)}) from None
    except principals.BadCredentials:
        return None
    return principal.user if principal is not None else None


class BearerAuth(HttpBearer):
    """An API token (``Authorization: Bearer cl_…``)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return header_user(request)


class BasicAuth(HttpBasicAuth):
    """HTTP Basic with a local account's user name and password (for scripts; use HTTPS)."""

    def authenticate(self, request: HttpRequest, username: str, password: str) -> Any:
        return header_user(request)


class SessionAuth(APIKeyCookie):
    """The browser's session cookie; unsafe methods need the CSRF token (``X-CSRFToken``)."""

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
WRITE_AUTH = [BearerAuth(), BasicAuth(), SessionAuth()]


class _Guarded:
    """An authentication that also asks the class-level question (may this caller ``action`` some
    ``model`` record of the city at all?) before django-ninja reads the body: a caller without the
    right gets 403, not a validation answer about a body they may not send (B10)."""

    def __init__(self, *args, guard: tuple[Any, str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        self.guard = guard

    def __call__(self, request: HttpRequest) -> Any:
        result = super().__call__(request)
        if result:
            from cityline.core.models import City

            model, action, scoped = self.guard
            city_key = (getattr(request, "resolver_match", None) and request.resolver_match.kwargs or {}).get(
                "city_key") if scoped else None
            city = City.objects.filter(key=city_key).only("pk").first() if city_key else None
            authz.require(principal_for(request), action, model, city_id=getattr(city, "pk", None))
        return result


def write_auth(model: Any, action: str, *, scoped: bool = True) -> list:
    """:data:`WRITE_AUTH` that also checks ``action`` on ``model`` in the path's city before the body is read."""
    guard = (model, action, scoped)
    return [_GUARDED[a.__class__](guard=guard) for a in WRITE_AUTH]


#: The guarded classes keep their names: the OpenAPI document names its security schemes after them.
_GUARDED = {a.__class__: type(a.__class__.__name__, (_Guarded, a.__class__), {}) for a in WRITE_AUTH}


def require(request: HttpRequest, action: str, target: Any, *, city=None):
    """The authenticated user of a write request, if the authorisation layer allows ``action`` on ``target``.

    ``target`` is a model instance (unsaved for "add") or a model class; ``city`` narrows a
    class-level question to one city. Raises ``PermissionDenied`` (403) naming what is missing.
    """
    authz.require(principal_for(request), action, target, city_id=getattr(city, "pk", city))
    return request.auth if getattr(request, "auth", None) is not None else request.user


def viewer(request: HttpRequest):
    """The user reading (session, token or valid Basic credentials), or None. Never raises."""
    return principal_for(request).user


def viewer_is_staff(request: HttpRequest, city=None) -> bool:
    """Whether the caller reads unpublished records of ``city`` (any city when None): a role there."""
    return authz.can_read_unpublished(principal_for(request), getattr(city, "pk", city))


def require_staff(request: HttpRequest, city=None):
    """The user of a request that needs a staff role in ``city`` (area endpoints outside the generic router)."""
    principal = principal_for(request)
    if not authz.is_staff_of(principal, getattr(city, "pk", city)):
        raise PermissionDenied("this needs a role in the city (contributor, steward, owner or administrator)")
    return principal.user
