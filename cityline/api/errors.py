"""RFC 7807 problem details for every error the API returns.

Every error body is ``application/problem+json`` with ``type``, ``title``,
``status`` and ``detail``; validation problems add ``errors``: ``{field: [messages]}``
so a client can put each message next to the field it concerns. The ``type`` URIs
are stable names (``urn:cityline:problem:<name>``) listed in ``docs/api.md``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.log import log_response
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from cityline.core.actions import ConflictError

PROBLEM_MEDIA_TYPE = "application/problem+json"

#: name -> (status, title). The names appear in ``type`` as urn:cityline:problem:<name>.
PROBLEMS: dict[str, tuple[int, str]] = {
    "bad-request": (400, "Bad request"),
    "unknown-parameter": (400, "Unknown query parameter"),
    "invalid-parameter": (400, "Invalid query parameter"),
    "not-authenticated": (401, "Authentication required"),
    "forbidden": (403, "Forbidden"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "version-conflict": (409, "Version conflict"),
    "in-use": (409, "Record still in use"),
    "validation": (422, "Invalid data"),
    "version-required": (428, "Version required"),
    "too-many-requests": (429, "Too many requests"),
    "server-error": (500, "Internal server error"),
}


class Problem(Schema):
    """An RFC 7807 problem document."""

    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, list[str]] | None = None


class ApiProblem(Exception):
    """Raise anywhere in an API view to answer with a problem document."""

    def __init__(self, name: str, detail: str, *, errors: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None):
        self.name = name
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        super().__init__(detail)


def problem_response(name: str, detail: str, *, errors: dict[str, list[str]] | None = None,
                     headers: dict[str, str] | None = None, status: int | None = None) -> HttpResponse:
    default_status, title = PROBLEMS[name]
    body: dict[str, Any] = {
        "type": f"urn:cityline:problem:{name}",
        "title": title,
        "status": status or default_status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=body["status"], content_type=PROBLEM_MEDIA_TYPE
    )
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def messages_by_field(exc: DjangoValidationError) -> dict[str, list[str]]:
    """Django ValidationError -> {field: [messages]}; uniqueness errors go on the field the client controls."""
    if not hasattr(exc, "error_dict"):
        return {NON_FIELD_ERRORS: [str(m) for m in exc.messages]}
    out: dict[str, list[str]] = {}
    for field, errors in exc.error_dict.items():
        for error in errors:
            target = field
            params = error.params or {}
            if field == NON_FIELD_ERRORS and error.code == "unique_together":
                # e.g. (city, key): the city comes from the URL, so the client's field is the key.
                client_fields = [f for f in params.get("unique_check", ()) if f != "city"]
                if len(client_fields) == 1:
                    target = client_fields[0]
            for message in error.messages:
                out.setdefault(target, []).append(str(message))
    return out


def _ninja_validation(exc: NinjaValidationError) -> HttpResponse:
    if exc.errors and all(tuple(e.get("loc", ()))[:1] == ("path",) for e in exc.errors):
        # e.g. /vision-purposes/abc: an id that cannot exist
        names = ", ".join(str(e["loc"][-1]) for e in exc.errors)
        return problem_response("not-found", f"no such record: {names} is not valid here")
    errors: dict[str, list[str]] = {}
    in_body = False
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ())]
        source = loc[0] if loc else ""
        in_body = in_body or source == "body"
        # ("body", "payload", "field", ...) or ("path", "id")
        path = loc[2:] if source == "body" else loc[1:]
        field = ".".join(path) or NON_FIELD_ERRORS
        message = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            message = "unknown or read-only field"
        errors.setdefault(field, []).append(message)
    if not in_body:
        names = ", ".join(sorted(errors))
        return problem_response("invalid-parameter", f"invalid value for {names}", errors=errors)
    names = ", ".join(sorted(errors))
    return problem_response("validation", f"the request body is not valid: check {names}", errors=errors)


def install(api: NinjaAPI) -> None:
    """Replace django-ninja's default error bodies with problem documents."""

    def on_problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
        return problem_response(exc.name, exc.detail, errors=exc.errors, headers=exc.headers)

    def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return _ninja_validation(exc)

    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        errors = messages_by_field(exc)
        names = ", ".join(sorted(errors))
        return problem_response("validation", f"the record is not valid: check {names}", errors=errors)

    def on_conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
        headers = {"ETag": f'"{exc.current}"'} if exc.current is not None else {}
        return problem_response("version-conflict", str(exc), headers=headers)

    def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem_response(
            "not-authenticated",
            "sign in as a staff user: a session (with its CSRF token) or HTTP Basic authentication",
            headers={"WWW-Authenticate": 'Basic realm="cityline", charset="UTF-8"'},
        )

    def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return problem_response("forbidden", str(exc) or "you are not allowed to do this")

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        name = {400: "bad-request", 401: "not-authenticated", 403: "forbidden", 404: "not-found",
                405: "method-not-allowed"}.get(exc.status_code, "bad-request")
        detail = str(exc)
        if detail == "Cannot parse request body":
            detail = "the request body is not valid JSON"
        return problem_response(name, detail, status=exc.status_code)

    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem_response("not-found", str(exc) or "no such record")

    def on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        # e.g. more query parameters or a larger body than the server reads; Django would answer an HTML 400
        logging.getLogger(f"django.security.{exc.__class__.__name__}").error(str(exc))
        return problem_response("bad-request", str(exc) or "the request cannot be read")

    api.add_exception_handler(ApiProblem, on_problem)
    api.add_exception_handler(NinjaValidationError, on_validation)
    api.add_exception_handler(DjangoValidationError, on_django_validation)
    api.add_exception_handler(ConflictError, on_conflict)
    api.add_exception_handler(AuthenticationError, on_auth)
    api.add_exception_handler(PermissionDenied, on_forbidden)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_404)
    api.add_exception_handler(SuspiciousOperation, on_suspicious)
    api.add_exception_handler(Exception, on_unexpected)


def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A defect: logged with its traceback as Django would, answered as a problem document (not an HTML page).
    With DEBUG on, Django's own debug page shows it instead."""
    from cityline.accounts.principals import TooManyAttempts

    if isinstance(exc, TooManyAttempts):  # answered 429 by cityline.api.credentials.CredentialsMiddleware
        raise exc
    if settings.DEBUG:
        raise exc
    got_request_exception.send(sender=None, request=request)  # error reporters, and the test client re-raises it
    response = problem_response("server-error", "something went wrong on the server; the error has been logged")
    log_response("Internal Server Error: %s", request.path, response=response, request=request,
                 exception=exc)
    return response
