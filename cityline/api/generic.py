"""One generic router for every operating-model collection.

Per-entity code is configuration (as NetBox's viewsets): an area declares a
:class:`Resource` — the model, its URL name, which fields filter and which are
searched — and :func:`add_resource` builds the list, detail, create, update,
delete and history operations with typed schemas named after the model.

The shape every collection shares:

- records belong to a city: ``/cities/{city_key}/<collection>``;
- keyed records are addressed by key, keyless ones by id, the single vision by
  the collection itself (``/cities/{city_key}/vision``);
- foreign keys read and write as the referenced record's key (or id for keyless
  records); many-to-many fields as lists of keys;
- every object carries ``version`` (optimistic locking) and ``updated_at``.

Writes go through :mod:`cityline.core.actions` with ``user=request.user``, so the
API adds no business rules of its own and history records who changed what.

This module deliberately has no ``from __future__ import annotations``: view
signatures are built at run time from real type objects.
"""

import inspect
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, Optional

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, Field, create_model

from cityline.core import actions
from cityline.core import history as core_history
from cityline.core.models import City

from . import query
from .auth import require, viewer_is_staff, write_auth
from .errors import ApiProblem, Problem

# --- declarations -----------------------------------------------------------------------


@dataclass
class Resource:
    """How one model appears in the API. Everything else is derived from the model."""

    model: type[models.Model]
    #: URL segment, named as in the city pack (``procurement-pipeline``).
    collection: str
    #: OpenAPI tag (the area of the standard).
    tag: str
    #: Fields usable as query filters (``?status=planned&buyer=council``).
    filters: Sequence[str] = ()
    #: Fields searched by ``_q`` (case-insensitive, every word must match one of them).
    search: Sequence[str] = ()
    #: One record per city (the vision): no key, no id in the URL.
    single: bool = False
    #: Read-only properties of the model to include: name -> Python type.
    computed: dict[str, type] = field(default_factory=dict)
    #: Fields shown to staff only, unless the record's ``published_if`` field is true.
    private: Sequence[str] = ()
    published_if: str | None = None
    #: False only for the city itself (``/cities``).
    scoped: bool = True
    #: Rows anyone but staff sees only when this lookup is true (e.g. ``"published"``,
    #: ``"kpi__published"``); others do not exist for them (404, left out of lists).
    visible_if: str | None = None
    #: Rows only staff ever see (e.g. the privacy gate's reviews); others get 404 and empty lists.
    staff_only: bool = False
    #: No create, update or delete through the API: the records are written by a process of their own
    #: (e.g. a distribution's versions, only through the upload path).
    read_only: bool = False
    #: Extra ``prefetch_related`` lookups the ``computed`` properties read (e.g. a dataset's
    #: ``distributions__versions`` for its rating), so a list runs them once, not once a row.
    prefetch: Sequence[str] = ()

    # derived when built
    specs: list["FieldSpec"] = field(default_factory=list, init=False, repr=False)
    filter_specs: dict[str, query.FilterSpec] = field(default_factory=dict, init=False, repr=False)
    sortable: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    @property
    def name(self) -> str:
        return self.model.__name__

    @property
    def keyed(self) -> bool:
        return _is_keyed(self.model)

    @property
    def verbose(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def verbose_plural(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    @property
    def op_prefix(self) -> str:
        return self.collection.replace("-", "_")


@dataclass
class FieldSpec:
    name: str
    field: models.Field
    kind: str  # "value", "fk", "m2m", or "auto" (points at the city's single record)
    target: type[models.Model] | None = None

    @property
    def by_key(self) -> bool:
        return self.target is not None and _is_keyed(self.target)


#: Every built resource by model, so references and history can find collections.
REGISTRY: dict[type[models.Model], Resource] = {}

#: Fields every city record has and the API handles itself.
_MANAGED = {"city", "version", "updated_at"}


def _is_keyed(model: type[models.Model]) -> bool:
    try:
        model._meta.get_field("key")
    except Exception:
        return False
    return True


def _is_single(model: type[models.Model]) -> bool:
    res = REGISTRY.get(model)
    return bool(res and res.single)


def _specs(resource: Resource) -> list[FieldSpec]:
    meta = resource.model._meta
    out: list[FieldSpec] = []
    for f in meta.fields:
        if f.primary_key or f.name in _MANAGED:
            continue
        if isinstance(f, models.ForeignKey):
            kind = "auto" if _is_single(f.related_model) else "fk"
            out.append(FieldSpec(f.name, f, kind, f.related_model))
        else:
            out.append(FieldSpec(f.name, f, "value"))
    for f in meta.many_to_many:
        out.append(FieldSpec(f.name, f, "m2m", f.related_model))
    return out


# --- types ----------------------------------------------------------------------------


def _choices(f: models.Field) -> list | None:
    if not f.choices:
        return None
    values = [value for value, _label in f.flatchoices]
    if f.blank and not f.null and "" not in values and isinstance(values[0], str):
        values.append("")  # a blank choice field stores the empty string
    return values


def _base_type(f: models.Field, *, output: bool) -> Any:
    values = _choices(f)
    if values:
        return Literal[tuple(values)]
    if isinstance(f, models.BooleanField):
        return bool
    if isinstance(f, models.DecimalField):
        return str if output else Decimal
    if isinstance(f, (models.IntegerField, models.AutoField)):
        return int
    if isinstance(f, models.DateTimeField):
        return datetime
    if isinstance(f, models.DateField):
        return date
    if isinstance(f, models.JSONField):
        return list[str] if f.default is list else Any
    if isinstance(f, models.UUIDField):
        return uuid.UUID
    return str


def _constraints(f: models.Field) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if f.choices:
        return extra
    if isinstance(f, models.CharField) and f.max_length:
        extra["max_length"] = f.max_length
    if isinstance(f, models.DecimalField):
        extra["max_digits"] = f.max_digits
        extra["decimal_places"] = f.decimal_places
    if isinstance(f, (models.PositiveIntegerField, models.PositiveSmallIntegerField,
                      models.PositiveBigIntegerField)):
        extra["ge"] = 0
    # Only validators the model declares: Django adds integer range validators that depend on the
    # database backend, and the document must be the same on SQLite and PostgreSQL.
    for v in [*f._validators, *f.default_validators]:
        if isinstance(v, MinValueValidator) and not callable(v.limit_value):
            extra["ge"] = v.limit_value
        if isinstance(v, MaxValueValidator) and not callable(v.limit_value):
            extra["le"] = v.limit_value
    return extra


def _describe(f: models.Field, *extra: str) -> dict[str, Any]:
    info: dict[str, Any] = {"title": str(f.verbose_name)[:1].upper() + str(f.verbose_name)[1:]}
    parts = [str(f.help_text)] if f.help_text else []
    parts += [e for e in extra if e]
    if parts:
        info["description"] = " ".join(parts)
    return info


def _ref_note(spec: FieldSpec) -> str:
    target = str(spec.target._meta.verbose_name)
    how = "key" if spec.by_key else "id"
    if spec.kind == "m2m":
        return f"Keys of {spec.target._meta.verbose_name_plural}." if spec.by_key else f"Ids of {target} records."
    return f"The {target}'s {how}."


def _out_field(resource: Resource, spec: FieldSpec) -> tuple[Any, Any]:
    f = spec.field
    if spec.kind == "fk":
        t = str if spec.by_key else int
        t = Optional[t] if f.null else t
        return t, Field(**_describe(f, _ref_note(spec)))
    if spec.kind == "m2m":
        t = str if spec.by_key else int
        return list[t], Field(**_describe(f, _ref_note(spec)))
    t = _base_type(f, output=True)
    notes = []
    if isinstance(f, models.DecimalField):
        notes.append("A decimal number, as a string to keep it exact.")
    if spec.name in resource.private:
        notes.append(f"Null unless {resource.published_if} is true (staff see it always).")
        t = Optional[t]
    elif f.null:
        t = Optional[t]
    return t, Field(**_describe(f, *notes))


def _required_on_create(f: models.Field) -> bool:
    return not (f.blank or f.null or f.has_default())


def _in_field(spec: FieldSpec, *, patch: bool) -> tuple[Any, Any]:
    f = spec.field
    if spec.kind in ("fk", "m2m"):
        ref = str if spec.by_key else int
        t = list[ref] if spec.kind == "m2m" else (Optional[ref] if f.null else ref)
        required = spec.kind == "fk" and not patch and _required_on_create(f)
        info = _describe(f, _ref_note(spec))
        return t, (Field(..., **info) if required else Field(None, **info))
    t = _base_type(f, output=False)
    if f.null:
        t = Optional[t]
    info = {**_describe(f), **_constraints(f)}
    if patch or not _required_on_create(f):
        if not patch and f.has_default() and not callable(f.default):
            default = f.default
            default = str(default) if isinstance(default, Decimal) else default
            info["json_schema_extra"] = {"default": default}
        return t, Field(None, **info)
    return t, Field(..., **info)


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


def _schemas(resource: Resource) -> tuple[type, type, type, type]:
    with translation.override("en"):
        out_fields: dict[str, Any] = {"id": (int, Field(title="Id"))}
        create_fields: dict[str, Any] = {}
        patch_fields: dict[str, Any] = {}
        for spec in resource.specs:
            if spec.kind == "auto":
                continue
            out_fields[spec.name] = _out_field(resource, spec)
            create_fields[spec.name] = _in_field(spec, patch=False)
            patch_fields[spec.name] = _in_field(spec, patch=True)
        for name, t in resource.computed.items():
            label = name.replace("_", " ")
            if t is Decimal:
                out_fields[name] = (str, Field(title=label.capitalize(),
                                               description="Computed, read-only. A decimal number as a string."))
            else:
                out_fields[name] = (t, Field(title=label.capitalize(), description="Computed, read-only."))
        out_fields["version"] = (int, Field(
            title="Version", description="Increases at every change; send it back as If-Match to update or delete."))
        out_fields["updated_at"] = (datetime, Field(title="Updated at"))
        patch_fields["version"] = (Optional[int], Field(
            None, title="Version", description="The version you read (or send the If-Match header)."))
        doc = _model_doc(resource.model)
        out = create_model(resource.name, __base__=Schema, __doc__=doc, **out_fields)
        create = create_model(f"{resource.name}Create", __base__=InputSchema,
                              __doc__=f"A new {resource.verbose}.", **create_fields)
        patch = create_model(f"{resource.name}Patch", __base__=InputSchema,
                             __doc__=f"Changes to a {resource.verbose}: only the fields sent change.",
                             **patch_fields)
        page = create_model(f"{resource.name}Page", __base__=Schema,
                            __doc__=f"One page of {resource.verbose_plural}.",
                            count=(int, Field(description="Records matching the filters.")),
                            limit=(int, ...), offset=(int, ...),
                            next=(Optional[str], Field(description="The next page, or null.")),
                            previous=(Optional[str], Field(description="The previous page, or null.")),
                            results=(list[out], ...))
    return out, create, patch, page


def _model_doc(model: type[models.Model]) -> str:
    doc = inspect.getdoc(model) or ""
    if not doc or doc.startswith(f"{model.__name__}("):  # Django's generated signature
        return str(model._meta.verbose_name).capitalize() + "."
    return doc


# --- filters and sorting ----------------------------------------------------------------


def _filter_spec(resource: Resource, name: str) -> query.FilterSpec:
    if name == "updated_at":
        return query.FilterSpec(name, name, query.parse_datetime, ordered=True,
                                openapi_type={"type": "string", "format": "date-time"})
    spec = next((s for s in resource.specs if s.name == name), None)
    if spec is None or spec.kind == "auto":
        raise LookupError(f"{resource.name}: cannot filter on {name!r}")
    f = spec.field
    if spec.kind in ("fk", "m2m"):
        many = spec.kind == "m2m"
        if spec.by_key:
            return query.FilterSpec(name, f"{name}__key", query.parse_text, many=many,
                                    openapi_type={"type": "string"}, description=_ref_note(spec))
        path = f"{name}__pk" if many else f.attname
        return query.FilterSpec(name, path, query.parse_int, many=many,
                                openapi_type={"type": "integer"}, description=_ref_note(spec))
    values = _choices(f)
    if values:
        if all(isinstance(v, int) for v in values):
            allowed = [str(v) for v in values]
            return query.FilterSpec(name, name, lambda v, a=allowed: int(query.parse_choice(a)(v)),
                                    openapi_type={"type": "integer", "enum": values})
        return query.FilterSpec(name, name, query.parse_choice([str(v) for v in values]),
                                openapi_type={"type": "string", "enum": values})
    if isinstance(f, models.BooleanField):
        return query.FilterSpec(name, name, query.parse_bool, openapi_type={"type": "boolean"})
    if isinstance(f, models.DecimalField):
        return query.FilterSpec(name, name, query.parse_decimal, ordered=True, openapi_type={"type": "number"})
    if isinstance(f, models.IntegerField):
        return query.FilterSpec(name, name, query.parse_int, ordered=True, openapi_type={"type": "integer"})
    if isinstance(f, models.DateTimeField):
        return query.FilterSpec(name, name, query.parse_datetime, ordered=True,
                                openapi_type={"type": "string", "format": "date-time"})
    if isinstance(f, models.DateField):
        return query.FilterSpec(name, name, query.parse_date, ordered=True,
                                openapi_type={"type": "string", "format": "date"})
    if isinstance(f, models.JSONField):
        return query.FilterSpec(name, name, query.parse_text, contains=True, openapi_type={"type": "string"},
                                description="Records whose list holds this value.")
    return query.FilterSpec(name, name, query.parse_text, openapi_type={"type": "string"},
                            description="Exact match.")


def _sortable(resource: Resource) -> dict[str, str]:
    out = {"id": "pk"}
    for spec in resource.specs:
        if spec.name in resource.private:
            continue  # sorting by a private field would leak its order (B2.g)
        if spec.kind == "value" and not isinstance(spec.field, models.JSONField):
            out[spec.name] = spec.name
        elif spec.kind == "fk":
            out[spec.name] = f"{spec.name}__key" if spec.by_key else spec.field.attname
    out["version"] = "version"
    out["updated_at"] = "updated_at"
    return out


def _default_order(resource: Resource) -> list[str]:
    return list(resource.model._meta.ordering or ["pk"])


def _list_parameters(resource: Resource) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"in": "query", "name": "_limit", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": query.MAX_LIMIT, "default": query.DEFAULT_LIMIT},
         "description": f"Page size (at most {query.MAX_LIMIT})."},
        {"in": "query", "name": "_offset", "required": False,
         "schema": {"type": "integer", "minimum": 0, "default": 0},
         "description": "How many records to skip."},
        {"in": "query", "name": "_sort", "required": False, "schema": {"type": "string"},
         "description": "Comma-separated fields to sort by, - in front for descending. Sortable: "
                        + ", ".join(sorted(resource.sortable)) + "."},
    ]
    if resource.search:
        params.append({"in": "query", "name": "_q", "required": False, "schema": {"type": "string"},
                       "description": "Text search (every word must appear) in: " + ", ".join(resource.search) + "."})
    for spec in resource.filter_specs.values():
        desc = (spec.description + " " if spec.description else "") + "Repeat the parameter to match any of several values."
        params.append({"in": "query", "name": spec.name, "required": False,
                       "schema": spec.openapi_type or {"type": "string"}, "description": desc})
        if spec.ordered:
            for suffix, word in (("gte", "at least"), ("lte", "at most"), ("gt", "after / above"),
                                 ("lt", "before / below")):
                params.append({"in": "query", "name": f"{spec.name}__{suffix}", "required": False,
                               "schema": spec.openapi_type or {"type": "string"},
                               "description": f"{spec.name} {word} this value."})
    return params


def _allowed_params(resource: Resource) -> tuple[set[str], str]:
    allowed = {"_limit", "_offset", "_sort"} | query.allowed_filter_params(resource.filter_specs)
    if resource.search:
        allowed.add("_q")
    filters = ", ".join(resource.filter_specs) or "none"
    reserved = ", ".join(p for p in query.RESERVED if p in allowed)
    return allowed, f"filters here: {filters}; reserved: {reserved}"


# --- reading and writing ----------------------------------------------------------------


def get_city(city_key: str) -> City:
    city = City.objects.filter(key=city_key).first()
    if city is None:
        raise ApiProblem("not-found", f"no city with key {city_key!r}")
    return city


def base_queryset(resource: Resource, city: City | None, *, public: bool = False) -> models.QuerySet:
    """The records of a collection; ``public``: only those anyone may see (see ``Resource.visible_if``)."""
    qs = resource.model._default_manager.all()
    if resource.scoped:
        qs = qs.filter(city=city)
    if public and resource.staff_only:
        qs = qs.none()
    elif public and resource.visible_if:
        qs = qs.filter(**{resource.visible_if: True})
    related = [s.name for s in resource.specs if s.kind == "fk" and s.by_key]
    if related:
        qs = qs.select_related(*related)
    m2m = [s.name for s in resource.specs if s.kind == "m2m"]
    if m2m or resource.prefetch:
        qs = qs.prefetch_related(*m2m, *resource.prefetch)
    return qs


def get_record(resource: Resource, city: City | None, ref: Any, *, public: bool = False) -> models.Model:
    qs = base_queryset(resource, city, public=public)
    where = f" in city {city.key!r}" if city is not None else ""
    if resource.single:
        obj = qs.first()
        if obj is None:
            raise ApiProblem("not-found", f"there is no {resource.verbose}{where} yet")
        return obj
    if resource.keyed:
        obj = qs.filter(key=ref).first()
        what = f"with key {ref!r}"
    else:
        obj = qs.filter(pk=ref).first()
        what = f"with id {ref}"
    if obj is None:
        raise ApiProblem("not-found", f"no {resource.verbose} {what}{where}")
    return obj


def public_targets(resource: Resource, city: City | None, objs: Sequence[models.Model]) -> dict[str, set[int]]:
    """For a reader without a role in the city: for each reference of ``objs`` to a collection whose records
    only some may see (``visible_if``, ``staff_only``, e.g. unpublished KPIs), the ids they may see."""
    out: dict[str, set[int]] = {}
    for spec in resource.specs:
        target = REGISTRY.get(spec.target) if spec.kind in ("fk", "m2m") else None
        if target is None or not (target.visible_if or target.staff_only):
            continue
        if spec.kind == "fk":
            ids = {getattr(o, spec.field.attname) for o in objs} - {None}
        else:
            ids = {item.pk for o in objs for item in getattr(o, spec.name).all()}
        rows = base_queryset(target, city if target.scoped else None, public=True).filter(pk__in=ids)
        out[spec.name] = set(rows.values_list("pk", flat=True)) if ids else set()
    return out


def serialize(resource: Resource, obj: models.Model, *, staff: bool,
              visible: dict[str, set[int]] | None = None) -> dict[str, Any]:
    """The record as the API shows it; ``visible`` (see :func:`public_targets`) leaves out the references a
    reader without a role may not see: null for a single reference, left out of a list (C2.f)."""
    visible = visible or {}
    out: dict[str, Any] = {"id": obj.pk}
    for spec in resource.specs:
        if spec.kind == "auto":
            continue
        if spec.kind == "fk":
            if spec.name in visible and getattr(obj, spec.field.attname) not in visible[spec.name]:
                out[spec.name] = None
            elif spec.by_key:
                target = getattr(obj, spec.name)
                out[spec.name] = target.key if target is not None else None
            else:
                out[spec.name] = getattr(obj, spec.field.attname)
        elif spec.kind == "m2m":
            items = getattr(obj, spec.name).all()
            if spec.name in visible:
                items = [o for o in items if o.pk in visible[spec.name]]
            out[spec.name] = sorted(o.key for o in items) if spec.by_key else sorted(o.pk for o in items)
        else:
            value = getattr(obj, spec.name)
            out[spec.name] = str(value) if isinstance(value, Decimal) else value
    for name in resource.computed:
        value = getattr(obj, name)
        out[name] = str(value) if isinstance(value, Decimal) else value
    if resource.private and not staff and not (resource.published_if and getattr(obj, resource.published_if)):
        for name in resource.private:
            out[name] = None
    out["version"] = obj.version
    out["updated_at"] = obj.updated_at
    return out


def resolve(resource: Resource, city: City | None, data: dict[str, Any], *, creating: bool):
    """Turn request values (keys for references) into model values; report every unknown key."""
    fields: dict[str, Any] = {}
    m2m: dict[str, list] = {}
    errors: dict[str, list[str]] = {}
    where = f" in city {city.key!r}" if city is not None else ""
    for spec in resource.specs:
        if spec.kind == "auto":
            if creating:
                target = spec.target._default_manager.filter(city=city).first()
                if target is None:
                    errors[spec.name] = [f"the city has no {spec.target._meta.verbose_name} yet: create it first"]
                else:
                    fields[spec.name] = target
            continue
        if spec.name not in data:
            continue
        value = data[spec.name]
        if spec.kind == "value":
            fields[spec.name] = value
            continue
        manager = spec.target._default_manager
        scope = manager.filter(city=city) if city is not None else manager.all()
        lookup = "key" if spec.by_key else "pk"
        label = spec.target._meta.verbose_name
        if spec.kind == "fk":
            if value is None:
                fields[spec.name] = None
                continue
            target = scope.filter(**{lookup: value}).first()
            if target is None:
                errors[spec.name] = [f"no {label} with {'key' if spec.by_key else 'id'} {value!r}{where}"]
            else:
                fields[spec.name] = target
        else:
            wanted = list(dict.fromkeys(value))
            found = {getattr(o, lookup if spec.by_key else "pk"): o
                     for o in scope.filter(**{f"{lookup}__in": wanted})}
            missing = [v for v in wanted if v not in found]
            if missing:
                errors[spec.name] = [f"no {label} with {'key' if spec.by_key else 'id'} "
                                     f"{', '.join(map(repr, missing))}{where}"]
            else:
                m2m[spec.name] = [found[v] for v in wanted]
    if errors:
        raise ApiProblem("validation", "unknown references: " + ", ".join(sorted(errors)), errors=errors)
    return fields, m2m


def parse_if_match(request: HttpRequest) -> int | None:
    header = request.headers.get("If-Match")
    if header is None:
        return None
    value = header.strip()
    if value == "*":
        raise ApiProblem("version-required", 'If-Match: * is not enough: send the version you read, e.g. If-Match: "3"')
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    try:
        return int(value)
    except ValueError:
        raise ApiProblem("bad-request", f'If-Match must carry the record version in quotes, e.g. "3" (got {header!r})',
                         errors={"If-Match": ["use the record version, e.g. \"3\""]}) from None


def expected_version(request: HttpRequest, body_version: int | None) -> int:
    header_version = parse_if_match(request)
    if header_version is not None and body_version is not None and header_version != body_version:
        raise ApiProblem("bad-request", f"If-Match says version {header_version} but the body says {body_version}",
                         errors={"version": ["does not match If-Match"]})
    version = header_version if header_version is not None else body_version
    if version is None:
        raise ApiProblem("version-required",
                         'send the version you read: an If-Match: "<version>" header or a "version" field',
                         errors={"version": ["required (or send If-Match)"]})
    return version


def _delete_body_version(request: HttpRequest) -> int | None:
    if not request.body:
        return None
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise ApiProblem("bad-request", "the request body is not valid JSON") from None
    if not isinstance(data, dict) or set(data) - {"version"}:
        raise ApiProblem("validation", 'a DELETE body may only hold {"version": <n>}',
                         errors={NON_FIELD_ERRORS: ['only "version" is allowed']})
    version = data.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise ApiProblem("validation", "version must be a whole number", errors={"version": ["a whole number"]})
    return version


def _etag(response: HttpResponse, obj: models.Model) -> None:
    response["ETag"] = f'"{obj.version}"'


# --- history ----------------------------------------------------------------------------


class HistoryField(Schema):
    field: str
    before: Any = None
    after: Any = None


class HistoryEntry(Schema):
    """One change: who (staff viewers only), when, what, and each field's before/after."""

    when: datetime
    kind: Literal["created", "changed", "deleted"]
    collection: Optional[str] = Field(None, description="The API collection of the record.")
    model: str
    model_label: str
    object_id: int
    object_key: Optional[str] = Field(None, description="The record's key (keyed records).")
    object: str
    user: Optional[str] = Field(
        None, description="User name of who changed it; only present for staff viewers (null: a system change).")
    reason: str
    version: Optional[int] = None
    fields: list[HistoryField]


class HistoryPage(Schema):
    """One page of changes, newest first."""

    count: int
    limit: int
    offset: int
    next: Optional[str] = None
    previous: Optional[str] = None
    results: list[HistoryEntry]


def history_entries(changes: list[core_history.Change], *, staff: bool,
                    keys: dict[tuple[str, int], str] | None = None) -> list[dict[str, Any]]:
    from django.apps import apps

    out = []
    for ch in changes:
        model = apps.get_model(ch.model)
        res = REGISTRY.get(model)
        private = set(res.private) if res and not staff else set()
        entry: dict[str, Any] = {
            "when": ch.when, "kind": ch.kind, "collection": res.collection if res else None,
            "model": ch.model, "model_label": ch.model_label, "object_id": ch.object_id,
            "object_key": (keys or {}).get((ch.model, ch.object_id)), "object": ch.object_repr,
            "reason": ch.reason if staff else ch.public_reason, "version": ch.version,
            "fields": [f for f in ch.fields if f["field"] not in private],
        }
        if staff:
            entry["user"] = ch.user
        out.append(entry)
    return out


def public_history(city: City) -> Callable[[type[models.Model], models.QuerySet], models.QuerySet]:
    """What of a city's history a reader without a role sees (B10): the changes of the records they can
    read now. Records only staff see (privacy reviews), records hidden by ``visible_if`` (an unpublished
    KPI and its measurements, a draft or restricted dataset and its files) and models the API does not
    publish leave no trace, not even their name or key; deleted records of those collections neither,
    since whether they were public cannot be told any more."""

    def restrict(model: type[models.Model], rows: models.QuerySet) -> models.QuerySet:
        res = REGISTRY.get(model)
        if res is None or res.staff_only:
            return rows.none()
        if res.visible_if:
            visible = model._default_manager.filter(city=city, **{res.visible_if: True}).values("pk")
            return rows.filter(id__in=visible)
        return rows

    return restrict


def history_keys(changes: list[core_history.Change]) -> dict[tuple[str, int], str]:
    """The key of each changed record, from its historical rows (so deleted records have one too)."""
    from django.apps import apps

    by_model: dict[str, set[int]] = {}
    for ch in changes:
        by_model.setdefault(ch.model, set()).add(ch.object_id)
    keys: dict[tuple[str, int], str] = {}
    for label, ids in by_model.items():
        model = apps.get_model(label)
        if not _is_keyed(model):
            continue
        rows = model.history.filter(id__in=ids).order_by("history_date").values_list("id", "key")
        for pk, key in rows:
            keys[(label, pk)] = key  # the latest row wins
    return keys


# --- building operations --------------------------------------------------------------------


def _view(name: str, func: Callable, params: list[tuple[str, Any]]) -> Callable:
    """Give a generic view the signature django-ninja reads (path params, body, response)."""
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    sig = [inspect.Parameter("request", kind, annotation=HttpRequest)]
    sig += [inspect.Parameter(n, kind, annotation=a) for n, a in params]
    func.__signature__ = inspect.Signature(sig)
    func.__name__ = name
    func.__qualname__ = name
    func.__doc__ = None
    return func


ERRORS_READ = {400: Problem, 404: Problem}
ERRORS_WRITE = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}
IF_MATCH = {
    "in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
    "description": 'The version you read, quoted ("3"). Required unless the body carries "version".',
}


class _ReadsOnly:
    """Passes GET operations on to the router and drops the others."""

    def __init__(self, router: Router):
        self.router = router

    def add_api_operation(self, path, methods, *args, **kwargs):
        if list(methods) == ["GET"]:
            self.router.add_api_operation(path, methods, *args, **kwargs)


def add_resource(router: Router, resource: Resource) -> None:
    """Register the operations of one collection on ``router`` (reads only for a ``read_only`` one)."""
    ops = _ReadsOnly(router) if resource.read_only else router
    REGISTRY[resource.model] = resource
    resource.specs = _specs(resource)
    resource.filter_specs = {name: _filter_spec(resource, name) for name in [*resource.filters, "updated_at"]}
    resource.sortable = _sortable(resource)
    out_schema, create_schema, patch_schema, page_schema = _schemas(resource)
    order = _default_order(resource)
    allowed, hint = _allowed_params(resource)
    res, p = resource, resource.op_prefix

    if resource.scoped:
        base = f"/cities/{{city_key}}/{resource.collection}"
        scope_params: list[tuple[str, Any]] = [("city_key", str)]
    else:
        base = f"/{resource.collection}"
        scope_params = []
    if resource.single:
        item, item_params = base, []
    elif resource.scoped:
        ref_name, ref_type = ("key", str) if resource.keyed else ("id", int)
        item, item_params = f"{base}/{{{ref_name}}}", [(ref_name, ref_type)]
    else:
        item, item_params = f"{base}/{{city_key}}", [("city_key", str)]

    def scope_of(kw: dict[str, Any]) -> City | None:
        return get_city(kw["city_key"]) if res.scoped else None

    def ref_of(kw: dict[str, Any]) -> Any:
        if res.single:
            return None
        if not res.scoped:
            return kw["city_key"]
        return kw.get("key", kw.get("id"))

    def location(request: HttpRequest, obj: models.Model) -> str:
        if res.single:
            return request.path
        ref = obj.key if res.keyed else obj.pk
        return request.build_absolute_uri(request.path.rstrip("/") + f"/{ref}")

    tags = [resource.tag]

    # list
    if not resource.single:
        def list_view(request, **kw):
            city = scope_of(kw)
            params = request.GET
            query.check_known(params, allowed, hint)
            limit, offset = query.page_bounds(params)
            qs = base_queryset(res, city, public=not viewer_is_staff(request, city))
            qs = query.apply_filters(qs, params, res.filter_specs)
            # A private field is searched only for readers who may see it: a match would reveal its content.
            searchable = [f for f in res.search if f not in res.private or viewer_is_staff(request, city)]
            qs = query.apply_search(qs, params, searchable)
            qs = query.apply_sort(qs, params, res.sortable, order)
            count = qs.count()
            staff = viewer_is_staff(request, city)
            objs = list(qs[offset:offset + limit])
            visible = None if staff else public_targets(res, city, objs)
            rows = [serialize(res, o, staff=staff, visible=visible) for o in objs]
            return query.page(request, count, limit, offset, rows)

        ops.add_api_operation(
            base, ["GET"], _view(f"{p}_list", list_view, scope_params),
            response={200: page_schema, **ERRORS_READ}, operation_id=f"{p}_list", url_name=f"{p}-list",
            summary=f"List {resource.verbose_plural}", tags=tags,
            description=_model_doc(resource.model),
            openapi_extra={"parameters": _list_parameters(resource)},
        )

    # create
    def create_view(request, payload, response: HttpResponse, **kw):
        city = scope_of(kw)
        require(request, "add", res.model, city=city)
        if res.single and base_queryset(res, city).exists():
            raise ApiProblem("version-conflict", f"the city already has a {res.verbose}: PATCH it instead")
        fields, m2m = resolve(res, city, payload.model_dump(exclude_unset=True), creating=True)
        if res.scoped:
            fields["city"] = city
        user = require(request, "add", res.model(**fields))  # object level: e.g. the steward's organisation
        obj = actions.create(res.model, user=user, m2m=m2m or None, **fields)
        obj = get_record(res, city, None if res.single else (obj.key if res.keyed else obj.pk))
        response["Location"] = location(request, obj)
        _etag(response, obj)
        return Status(201, serialize(res, obj, staff=True))

    ops.add_api_operation(
        base, ["POST"],
        _view(f"{p}_create", create_view, [*scope_params, ("payload", create_schema), ("response", HttpResponse)]),
        response={201: out_schema, **ERRORS_WRITE}, auth=write_auth(res.model, "add", scoped=res.scoped), operation_id=f"{p}_create",
        url_name=f"{p}-create", summary=f"Create a {resource.verbose}", tags=tags,
        description="Staff only. References are given by key.",
    )

    # detail
    def detail_view(request, response: HttpResponse, **kw):
        city = scope_of(kw)
        staff = viewer_is_staff(request, city)
        obj = get_record(res, city, ref_of(kw), public=not staff)
        _etag(response, obj)
        return serialize(res, obj, staff=staff, visible=None if staff else public_targets(res, city, [obj]))

    detail_params = [*scope_params, *item_params] if resource.scoped else item_params
    ops.add_api_operation(
        item, ["GET"], _view(f"{p}_get", detail_view, [*detail_params, ("response", HttpResponse)]),
        response={200: out_schema, 404: Problem}, operation_id=f"{p}_get", url_name=f"{p}-detail",
        summary=f"Get a {resource.verbose}", tags=tags,
        description="The ETag header carries the version to send back as If-Match.",
    )

    # update
    def update_view(request, payload, response: HttpResponse, **kw):
        city = scope_of(kw)
        require(request, "change", res.model, city=city)
        obj = get_record(res, city, ref_of(kw))
        user = require(request, "change", obj)
        data = payload.model_dump(exclude_unset=True)
        version = expected_version(request, data.pop("version", None))
        if obj.version != version:
            raise actions.ConflictError(obj, version, obj.version)
        fields, m2m = resolve(res, city, data, creating=False)
        for name, value in fields.items():  # the record as it would be: it must stay in the caller's scope
            setattr(obj, name, value)
        require(request, "change", obj)
        actions.update(obj, user=user, expected_version=version, m2m=m2m or None, **fields)
        obj = get_record(res, city, obj.key if (res.keyed and not res.single) else ref_of(kw))
        _etag(response, obj)
        return serialize(res, obj, staff=True)

    ops.add_api_operation(
        item, ["PATCH"],
        _view(f"{p}_update", update_view, [*detail_params, ("payload", patch_schema), ("response", HttpResponse)]),
        response={200: out_schema, **ERRORS_WRITE, 428: Problem}, auth=write_auth(res.model, "change", scoped=res.scoped), operation_id=f"{p}_update",
        url_name=f"{p}-update", summary=f"Update a {resource.verbose}", tags=tags,
        description="Staff only. Send the version you read (If-Match or a version field): "
                    "409 if the record changed since, 428 if the version is missing.",
        openapi_extra={"parameters": [IF_MATCH]},
    )

    # delete
    def delete_view(request, **kw):
        city = scope_of(kw)
        require(request, "delete", res.model, city=city)
        obj = get_record(res, city, ref_of(kw))
        user = require(request, "delete", obj)
        version = expected_version(request, _delete_body_version(request))
        try:
            actions.delete(obj, user=user, expected_version=version)
        except DjangoValidationError as exc:
            raise ApiProblem("in-use", " ".join(exc.messages)) from exc
        return Status(204, None)

    ops.add_api_operation(
        item, ["DELETE"], _view(f"{p}_delete", delete_view, detail_params),
        response={204: None, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 428: Problem},
        auth=write_auth(res.model, "delete", scoped=res.scoped), operation_id=f"{p}_delete", url_name=f"{p}-delete",
        summary=f"Delete a {resource.verbose}", tags=tags,
        description="Staff only. Send the version you read as If-Match: 409 if it changed "
                    "or is still used by other records, 428 if the version is missing.",
        openapi_extra={"parameters": [IF_MATCH]},
    )

    # one record's history
    if resource.scoped:
        def record_history_view(request, **kw):
            city = scope_of(kw)
            obj = get_record(res, city, ref_of(kw), public=not viewer_is_staff(request, city))
            query.check_known(request.GET, {"_limit", "_offset"}, "reserved: _limit, _offset")
            limit, offset = query.page_bounds(request.GET)
            changes = core_history.object_history(obj)
            staff = viewer_is_staff(request, city)
            window = changes[offset:offset + limit]
            keys = {(c.model, c.object_id): obj.key for c in window} if res.keyed else {}
            rows = history_entries(window, staff=staff, keys=keys)
            return query.page(request, len(changes), limit, offset, rows)

        ops.add_api_operation(
            f"{item}/history", ["GET"], _view(f"{p}_history", record_history_view, detail_params),
            response={200: HistoryPage, **ERRORS_READ}, operation_id=f"{p}_history", url_name=f"{p}-history",
            summary=f"History of a {resource.verbose}", tags=tags, exclude_unset=True,
            description="Every change, newest first. The user is shown to staff viewers only.",
            openapi_extra={"parameters": _page_parameters()},
        )


def _page_parameters() -> list[dict[str, Any]]:
    return [
        {"in": "query", "name": "_limit", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": query.MAX_LIMIT, "default": query.DEFAULT_LIMIT},
         "description": f"Page size (at most {query.MAX_LIMIT})."},
        {"in": "query", "name": "_offset", "required": False,
         "schema": {"type": "integer", "minimum": 0, "default": 0}, "description": "How many changes to skip."},
    ]


def add_city_history(router: Router, tag: str) -> None:
    """``/cities/{city_key}/history``: the whole operating model's timeline, newest first."""

    def city_history_view(request, city_key):
        city = get_city(city_key)
        collections = {r.collection: m for m, r in REGISTRY.items() if r.scoped}
        allowed = {"_limit", "_offset", "collection"}
        query.check_known(request.GET, allowed, "use _limit, _offset or collection")
        limit, offset = query.page_bounds(request.GET, max_offset=query.MAX_HISTORY_OFFSET)
        model = None
        if "collection" in request.GET:
            name = request.GET["collection"]
            if name not in collections:
                raise ApiProblem("invalid-parameter", f"collection: unknown collection {name!r}",
                                 errors={"collection": [f"use one of {', '.join(sorted(collections))}"]})
            model = collections[name]
        models_ = [model] if model else core_history.tracked_models()
        staff = viewer_is_staff(request, city)
        restrict = None if staff else public_history(city)
        count = sum((restrict(m, m.history.filter(city_id=city.pk)) if restrict else
                     m.history.filter(city_id=city.pk)).count() for m in models_)
        changes = core_history.city_history(city, limit=offset + limit, model=model, restrict=restrict)[offset:]
        rows = history_entries(changes, staff=staff, keys=history_keys(changes))
        return query.page(request, count, limit, offset, rows)

    params = [
        *_page_parameters(),
        {"in": "query", "name": "collection", "required": False, "schema": {"type": "string"},
         "description": "Only changes to this collection (e.g. projects)."},
    ]
    router.add_api_operation(
        "/cities/{city_key}/history", ["GET"], _view("city_history", city_history_view, [("city_key", str)]),
        response={200: HistoryPage, **ERRORS_READ}, operation_id="city_history", url_name="city-history",
        summary="Change history of a city's operating model", tags=[tag], exclude_unset=True,
        description="Every create, change and delete across the city's records, newest first. "
                    "Readable by anyone; the user who made a change is shown to staff viewers only.",
        openapi_extra={"parameters": params},
    )
