"""HTTP face of the NGSI-LD subset under ``/ngsi-ld/v1/``: headers, bodies and status codes only.

What is stored and who may see it is decided in :mod:`.broker`; the entity rules are in
:mod:`.domain`. Every error is an NGSI-LD ProblemDetails document (``application/json``).

Tenant: the ``NGSILD-Tenant`` header names the city (its key); without it, the default city
(``CITYLINE_DEFAULT_CITY``, or the only city). Writes authenticate with the ``Authorization``
header only (a bearer API token, or Basic), never with a session cookie, so these endpoints are
exempt from CSRF checks without being open to cross-site requests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from urllib.parse import quote

from django.core.exceptions import RequestDataTooBig
from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from cityline.accounts import principals
from cityline.core.models import City
from cityline.opendata.sites import default_city

from . import broker
from . import domain as d
from .domain import NgsiError

JSON = "application/json"
JSON_LD = "application/ld+json"
CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"


# --- request plumbing -----------------------------------------------------------------------


def _problem(exc: NgsiError) -> HttpResponse:
    response = HttpResponse(json.dumps(exc.problem(), ensure_ascii=False), status=exc.status, content_type=JSON)
    if exc.kind == "not-authenticated":
        response["WWW-Authenticate"] = 'Bearer realm="cityline"'
    return response


def endpoint(methods: tuple[str, ...]) -> Callable:
    """A view that answers NgsiError with ProblemDetails and other methods with 405.

    HEAD is answered wherever GET is, as GET (the views take any method they do not name for GET); the server
    sends the headers only.
    """
    if "GET" in methods and "HEAD" not in methods:
        methods = (*methods, "HEAD")

    def wrap(view: Callable) -> Callable:
        @csrf_exempt
        def inner(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                if request.method not in methods:
                    response = _problem(NgsiError("method-not-allowed", f"use {', '.join(methods)}"))
                    response["Allow"] = ", ".join(methods)
                    return response
                return view(request, *args, **kwargs)
            except NgsiError as exc:
                return _problem(exc)
            except RequestDataTooBig:
                return _problem(NgsiError("too-large", "the request body is larger than the server accepts"))

        inner.__name__ = view.__name__
        inner.__doc__ = view.__doc__
        return inner

    return wrap


def _city(request: HttpRequest) -> City:
    key = request.headers.get("NGSILD-Tenant")
    if key:
        city = City.objects.filter(key=key).first()
        if city is None:
            raise NgsiError("NonexistentTenant", f"no tenant (city) {key!r}")
        return city
    city = default_city()
    if city is None:
        raise NgsiError("NonexistentTenant", "this site hosts several cities (or none): name one in the "
                                             "NGSILD-Tenant header (its key), or set CITYLINE_DEFAULT_CITY")
    return city


def _reader(request: HttpRequest):
    """Who reads: Authorization header credentials (refused when wrong) or the session, else anonymous."""
    try:
        principal = principals.credentials_principal(request)
    except principals.TooManyAttempts:
        raise  # 429 with Retry-After, not 401 (cityline.api.credentials.CredentialsMiddleware.process_exception)
    except principals.BadCredentials as exc:
        raise NgsiError("not-authenticated", str(exc)) from None
    if principal is not None:
        principals.remember(request, principal)
        return principal
    return principals.principal_for(request)


def _writer(request: HttpRequest):
    """Who writes: only credentials in the Authorization header count (no session: no CSRF exposure)."""
    try:
        principal = principals.credentials_principal(request)
    except principals.TooManyAttempts:
        raise  # 429 with Retry-After, not 401 (cityline.api.credentials.CredentialsMiddleware.process_exception)
    except principals.BadCredentials as exc:
        raise NgsiError("not-authenticated", str(exc)) from None
    if principal is None:
        raise NgsiError("not-authenticated", "writes need credentials: Authorization: Bearer <API token>")
    return principal


def _link_context(request: HttpRequest) -> str | None:
    link = request.headers.get("Link", "")
    for part in link.split(","):
        if CONTEXT_REL in part and "<" in part and ">" in part:
            return part[part.index("<") + 1:part.index(">")]
    return None


def _body(request: HttpRequest) -> tuple[object, bool]:
    """The JSON body and whether it is JSON-LD (the @context then in the body, no Link header)."""
    media = request.content_type or ""
    if media not in (JSON, JSON_LD):
        raise NgsiError("unsupported-media-type", f"send {JSON} or {JSON_LD}, not {media or 'no Content-Type'}")
    is_ld = media == JSON_LD
    if is_ld and _link_context(request):
        raise d.bad("with Content-Type application/ld+json the @context goes in the body, not in a Link header")
    try:
        return json.loads(request.body.decode("utf-8") or "null"), is_ld
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NgsiError("InvalidRequest", f"the body is not JSON: {exc}") from None


def _wants_ld(request: HttpRequest) -> bool:
    return d.wants_ld(request.headers.get("Accept", ""))


def _context_url(request: HttpRequest) -> str:
    return _link_context(request) or request.build_absolute_uri(f"/ngsi-ld/v1/jsonldContexts/{d.CORE_CONTEXT_NAME}")


def _answer(request: HttpRequest, data, *, status: int = 200, headers: dict | None = None) -> HttpResponse:
    ld = _wants_ld(request)
    context = _context_url(request)
    if ld:
        if isinstance(data, list):
            data = [{**item, "@context": context} for item in data]
        elif isinstance(data, dict):
            data = {**data, "@context": context}
    response = HttpResponse(json.dumps(data, ensure_ascii=False), status=status, content_type=JSON_LD if ld else JSON)
    if not ld:
        response["Link"] = f'<{context}>; rel="{CONTEXT_REL}"; type="{JSON_LD}"'
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def _options(request: HttpRequest) -> set[str]:
    values = set()
    for name in ("options", "format"):
        values.update(v.strip() for v in request.GET.get(name, "").split(",") if v.strip())
    return values


def _int(request: HttpRequest, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise d.bad(f"{name}: a whole number of at least 0, not {raw!r}")
    return value


def _entity_id(entity_id: str) -> str:
    return d.check_id(entity_id, "entity id in the address")


# --- entities -------------------------------------------------------------------------------


@endpoint(("GET", "POST"))
def entities(request: HttpRequest) -> HttpResponse:
    """GET: query entities (type, id, idPattern, q, attrs, limit, offset, count, options). POST: create one."""
    city = _city(request)
    if request.method == "POST":
        principal = _writer(request)
        data, is_ld = _body(request)
        entity = d.parse_entity(data, context_in_body=is_ld)
        outcome = broker.write(city, principal, [entity], mode="create")
        if outcome.errors:
            raise outcome.errors[0]
        response = HttpResponse(status=201)
        response["Location"] = f"/ngsi-ld/v1/entities/{quote(entity.id, safe=':')}"
        return response
    d.check_parameters(request.GET, "query")
    principal = _reader(request)
    q = request.GET.get("q")
    limit = _int(request, "limit", broker.DEFAULT_LIMIT)
    count = request.GET.get("count") == "true"
    if limit == 0 and not count:
        raise d.bad("limit: 0 only together with count=true")
    options = _options(request)
    form = d.representation(options)
    found, total = broker.query(
        city, principal, types=d.split_types(request.GET.get("type")), ids=d.split_list(request.GET.get("id")),
        id_pattern=d.id_pattern(request.GET.get("idPattern")), q=d.parse_query(q) if q else None,
        attrs=d.split_list(request.GET.get("attrs")), limit=limit, offset=_int(request, "offset", 0),
        sys_attrs="sysAttrs" in options)
    headers = {"NGSILD-Results-Count": str(total)} if count else {}
    return _answer(request, [d.represent(b, form) for b in found], headers=headers)


@endpoint(("GET", "DELETE"))
def entity(request: HttpRequest, entity_id: str) -> HttpResponse:
    """GET: one entity (attrs, options=keyValues|concise|sysAttrs). DELETE: forget its latest state."""
    entity_id = _entity_id(entity_id)
    city = _city(request)
    if request.method == "DELETE":
        broker.forget(city, _writer(request), entity_id)
        return HttpResponse(status=204)
    d.check_parameters(request.GET, "entity")
    options = _options(request)
    form = d.representation(options)
    body = broker.get(city, _reader(request), entity_id, attrs=d.split_list(request.GET.get("attrs")),
                      sys_attrs="sysAttrs" in options)
    return _answer(request, d.represent(body, form))


@endpoint(("PATCH", "POST"))
def entity_attrs(request: HttpRequest, entity_id: str) -> HttpResponse:
    """PATCH: update existing attributes. POST: append attributes (options=noOverwrite keeps existing ones)."""
    entity_id = _entity_id(entity_id)
    city = _city(request)
    principal = _writer(request)
    where = f"{entity_id}: "
    attrs = d.parse_attributes(_attributes_body(request, "attributes", where), where=where, entity_id=entity_id)
    if not attrs:
        raise d.bad("no attributes to update")
    updated, not_updated = broker.update_attributes(
        city, principal, entity_id, attrs, only_existing=request.method == "PATCH",
        overwrite="noOverwrite" not in _options(request))
    if not_updated:
        return HttpResponse(json.dumps({"updated": updated, "notUpdated": not_updated}, ensure_ascii=False),
                            status=207, content_type=JSON)
    return HttpResponse(status=204)


def _attributes_body(request: HttpRequest, what: str, where: str) -> dict:
    """A JSON object of attributes (or one attribute's fragment) without its @context, which must be where the
    Content-Type says: in the body for application/ld+json, else not."""
    data, is_ld = _body(request)
    if not isinstance(data, dict):
        raise d.bad(f"{where}expected {what} (a JSON object)")
    if is_ld and "@context" not in data:
        raise d.bad("@context: with Content-Type application/ld+json the @context must be in the body")
    if not is_ld and "@context" in data:
        raise d.bad("@context: with Content-Type application/json the @context goes in a Link header")
    return {k: v for k, v in data.items() if k != "@context"}


def _not_supported(what: str, hint: str = "") -> NgsiError:
    return NgsiError("OperationNotSupported", f"{what} is not supported by this server (Cityline's NGSI-LD "
                                              f"subset, docs/observations.md){hint}")


@endpoint(("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
def entity_attr(request: HttpRequest, entity_id: str, attr: str) -> HttpResponse:
    """``/entities/{id}/attrs/{attr}``. PATCH: partial attribute update (the body one attribute's fragment; the
    instance is named by its datasetId). DELETE: delete the attribute (datasetId, deleteAll) from the entity's
    latest state. Other methods are not in the subset (422)."""
    if request.method not in ("PATCH", "DELETE"):
        raise _not_supported(f"{request.method} /entities/{{entityId}}/attrs/{{attrId}} (attribute {attr!r})",
                             "; read attributes with GET /entities/{entityId}?attrs=…, change one with PATCH")
    entity_id = _entity_id(entity_id)
    name = d.attribute_name(attr)
    city = _city(request)
    principal = _writer(request)
    if request.method == "DELETE":
        dataset_id, delete_all = d.delete_parameters(request.GET)
        broker.forget_attribute(city, principal, entity_id, name, dataset_id=dataset_id, delete_all=delete_all)
        return HttpResponse(status=204)
    if request.GET.get("datasetId"):
        raise d.bad("datasetId: a partial attribute update names its instance by the fragment's datasetId, not by "
                    "a parameter")
    fragment = _attributes_body(request, "an attribute fragment", f"{entity_id}: {name}: ")
    broker.update_attribute(city, principal, entity_id, name, fragment)
    return HttpResponse(status=204)


#: The resources of the NGSI-LD API (GS CIM 009, clause 6) that this subset leaves out.
_NGSI_LD_RESOURCES = re.compile(
    r"^(types|attributes|subscriptions|csourceRegistrations|csourceSubscriptions|entityOperations|temporal|"
    r"jsonldContexts|info|snapshots|entityMaps|csourceRegistrationSubscriptions)(/|$)")


@endpoint(("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
def unsupported(request: HttpRequest, path: str) -> HttpResponse:
    """Any other address under ``/ngsi-ld/v1/``: a ProblemDetails error, not the site's HTML 404."""
    if _NGSI_LD_RESOURCES.match(path):
        raise _not_supported(f"{request.method} /ngsi-ld/v1/{path}")
    raise NgsiError("ResourceNotFound", f"/ngsi-ld/v1/{path} is not an address of this server's NGSI-LD API")


# --- batch operations -----------------------------------------------------------------------


def _batch(request: HttpRequest, mode: str) -> HttpResponse:
    city = _city(request)
    principal = _writer(request)
    data, is_ld = _body(request)
    if not isinstance(data, list):
        raise d.bad("expected an array of entities")
    if not data:
        raise d.bad("the array of entities is empty")
    if len(data) > d.MAX_ENTITIES:
        raise d.bad(f"at most {d.MAX_ENTITIES} entities per batch, not {len(data)}")
    parsed, errors = [], []
    for i, item in enumerate(data):
        try:
            parsed.append(d.parse_entity(item, where=f"[{i}] ", context_in_body=is_ld))
        except NgsiError as exc:
            exc.entity_id = exc.entity_id or (item.get("id") if isinstance(item, dict) else None)
            errors.append(exc)
    outcome = broker.write(city, principal, parsed, mode=mode) if parsed else broker.Outcome()
    errors += outcome.errors
    if errors:
        body = {"success": outcome.created + outcome.updated,
                "errors": [{"entityId": e.entity_id or "", "error": e.problem()} for e in errors]}
        return HttpResponse(json.dumps(body, ensure_ascii=False), status=207, content_type=JSON)
    if mode == "create" or outcome.created:
        # 201 with the ids created (an upsert that only updated answers 204)
        return HttpResponse(json.dumps(outcome.created), status=201, content_type=JSON)
    return HttpResponse(status=204)


@endpoint(("POST",))
def batch_upsert(request: HttpRequest) -> HttpResponse:
    """Create or replace (options=update: merge) each entity of an array."""
    mode = "update" if "update" in _options(request) else "replace"
    return _batch(request, mode)


@endpoint(("POST",))
def batch_create(request: HttpRequest) -> HttpResponse:
    """Create each entity of an array (AlreadyExists per entity that exists)."""
    return _batch(request, "create")


# --- temporal -------------------------------------------------------------------------------


@endpoint(("GET",))
def temporal_entity(request: HttpRequest, entity_id: str) -> HttpResponse:
    """The temporal representation of an entity's numeric attributes (timerel, timeAt, endTimeAt, lastN)."""
    entity_id = _entity_id(entity_id)
    d.check_parameters(request.GET, "temporal")
    city = _city(request)
    window = d.temporal_window(request.GET)
    options = _options(request)  # (the ``format`` parameter's values among them)
    if d.representation(options) != "normalized":
        raise _not_supported("the concise and simplified temporal representations",
                             "; use options=temporalValues for the values alone")
    troe = broker.temporal(city, _reader(request), entity_id, attrs=d.split_list(request.GET.get("attrs")),
                           window=window)
    if "temporalValues" in options:
        troe = broker.simplified_temporal(troe)
    return _answer(request, troe)


# --- the core context -----------------------------------------------------------------------


@endpoint(("GET",))
def core_context(request: HttpRequest, name: str) -> HttpResponse:
    """The NGSI-LD core @context shipped with Cityline (never fetched)."""
    if name != d.CORE_CONTEXT_NAME:
        raise NgsiError("ResourceNotFound", f"no @context {name!r}; this server serves {d.CORE_CONTEXT_NAME}")
    response = FileResponse(d.CORE_CONTEXT_FILE.open("rb"), content_type=JSON_LD)
    response["Cache-Control"] = "public, max-age=86400"
    return response
