"""The Cityline REST API, version 1, mounted at /api/v1/ (see docs/api.md).

Each area declares its collections in ``<area>/api.py`` (a list ``RESOURCES`` of
:class:`cityline.api.generic.Resource`, a dict ``TAGS`` and, optionally, a function
``add_routes(router)`` for views that are not a collection); this module builds
them into one django-ninja API whose OpenAPI 3.1 document is served at
/api/v1/openapi.json and committed as docs/openapi.json. To add an area, add its
module to :data:`AREAS`.
"""

from __future__ import annotations

from functools import wraps
from importlib import import_module
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from ninja import NinjaAPI, Router

from . import errors, generic

#: Modules that declare API collections, in the order they appear in the document.
AREAS = ["cityline.core.api", "cityline.strategy.api", "cityline.benefits.api", "cityline.risks.api",
         "cityline.delivery.api", "cityline.developments.api", "cityline.architecture.api",
         "cityline.citizen_services.api", "cityline.assessment.api",
         "cityline.benchmarking.api", "cityline.opendata.api", "cityline.participation.api",
         "cityline.accounts.api",
         "cityline.observations.api_ingest", "cityline.observations.api"]

HISTORY_TAG = "history"

DESCRIPTION = """\
The operating model of each city Cityline hosts, as JSON: read it freely, change it as a staff user.

* Collections live under `/cities/{city_key}/`; records with a key are addressed by key, others by id.
* Lists take `_limit`/`_offset` (pagination), `_sort`, `_q` (text search) and field filters; unknown
  parameters are refused with a 400 problem.
* References to other records are their keys; many-to-many references are lists of keys.
* Writes need a staff user (session with CSRF token, or HTTP Basic). `PATCH` and `DELETE` need the version
  you read (`If-Match: "3"` or a `version` field): 409 if the record changed meanwhile, 428 if it is missing.
* Errors are RFC 7807 `application/problem+json` documents; validation problems list `errors` by field.
"""


class CitylineAPI(NinjaAPI):
    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            pattern.callback = _problem_on_405(pattern.callback)
        return patterns, app_name, namespace

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return finalize_schema(schema)


def _problem_on_405(view):
    """django-ninja answers a method a path does not take with a plain-text 405 (HEAD included); ours is a
    problem document, and HEAD on what answers GET is that GET without its body."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed) and request.method == "HEAD" and "GET" in response["Allow"]:
            # HEAD is GET without the body (RFC 9110, 9.3.2), which django-ninja does not provide.
            request.method = "GET"
            try:
                response = view(request, *args, **kwargs)
            finally:
                request.method = "HEAD"
            response.content = b""
        if isinstance(response, HttpResponseNotAllowed):
            methods = [m.strip() for m in response["Allow"].split(",")]
            allowed = ", ".join(methods + ["HEAD"] if "GET" in methods else methods)
            return errors.problem_response(
                "method-not-allowed", f"{request.method} is not allowed here; this endpoint takes {allowed}",
                headers={"Allow": allowed})
        return response

    return wrapped


#: Shared parameters, referenced from every operation that takes them.
SHARED_PARAMETERS = {
    ("path", "city_key"): "CityKey",
    ("query", "_limit"): "Limit",
    ("query", "_offset"): "Offset",
    ("header", "If-Match"): "IfMatch",
}


def finalize_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Corrections django-ninja cannot express, and shared parts moved to components.

    Error responses are ``application/problem+json`` and refer to one shared
    response per status; common parameters are shared too, which keeps the
    committed document readable.
    """
    if not str(schema.get("openapi", "")).startswith("3.1"):
        schema["openapi"] = "3.1.0"  # our schemas are JSON Schema 2020-12, i.e. OpenAPI 3.1
    components = schema.setdefault("components", {})
    shared_responses: dict[str, Any] = {}
    shared_parameters: dict[str, Any] = {}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            params = []
            for param in operation.get("parameters", []):
                name = SHARED_PARAMETERS.get((param.get("in"), param.get("name")))
                if name:
                    if param.get("in") == "path":
                        param = {**param, "description": "The city's key.", "schema": {"type": "string"}}
                    shared_parameters.setdefault(name, param)
                    param = {"$ref": f"#/components/parameters/{name}"}
                params.append(param)
            if "parameters" in operation:
                operation["parameters"] = params
            for status, response in list(operation.get("responses", {}).items()):
                content = response.get("content")
                if str(status).startswith(("4", "5")) and content and "application/json" in content:
                    name = "Problem" + str(status)
                    shared_responses.setdefault(name, {
                        "description": response.get("description", ""),
                        "content": {errors.PROBLEM_MEDIA_TYPE: content["application/json"]},
                    })
                    operation["responses"][status] = {"$ref": f"#/components/responses/{name}"}
    components["parameters"] = dict(sorted(shared_parameters.items()))
    components["responses"] = dict(sorted(shared_responses.items()))
    if not schema.get("servers"):
        schema.pop("servers", None)
    return schema


def _build() -> CitylineAPI:
    areas = [import_module(name) for name in AREAS]
    tags: list[dict[str, str]] = []
    for area in areas:
        tags += [{"name": name, "description": text} for name, text in area.TAGS.items()]
    tags.append({"name": HISTORY_TAG, "description": "Who changed what and when, across a city's operating model."})

    api = CitylineAPI(
        title="Cityline API",
        version="1",
        description=DESCRIPTION,
        urls_namespace="api-v1",
        openapi_extra={"tags": tags},
    )
    errors.install(api)

    router = Router()
    core = import_module("cityline.core.api")
    generic.add_resource(router, core.CITY)
    generic.add_city_history(router, HISTORY_TAG)
    for area in areas:
        for resource in area.RESOURCES:
            generic.add_resource(router, resource)
    for area in areas:
        # Views that are not one collection (analyses, summaries): see e.g. cityline.benefits.api.
        if hasattr(area, "add_routes"):
            area.add_routes(router)

    def unknown(request: HttpRequest, rest: str):
        raise errors.ApiProblem("not-found", f"no API endpoint at {request.path}; see /api/v1/docs")

    def root(request: HttpRequest):
        raise errors.ApiProblem("not-found", "no API endpoint at /api/v1/ itself: the cities are at /api/v1/cities; "
                                             "see /api/v1/docs")

    every_method = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    router.add_api_operation("/{path:rest}", every_method, unknown, include_in_schema=False, url_name="not-found")
    router.add_api_operation("", every_method, root, include_in_schema=False, url_name="root")
    api.add_router("", router)
    return api


api = _build()
