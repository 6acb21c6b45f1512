"""The NGSI-LD subset (ETSI GS CIM 009) in plain Python: entities, readings, queries, errors.

No Django here: :mod:`.broker` stores what this module checks and shapes, :mod:`.views` speaks HTTP.

- :func:`parse_entity` checks one entity (normalized or concise representation), compacts the
  expanded URIs of the core @context (``https://uri.etsi.org/ngsi-ld/observedAt`` → ``observedAt``)
  and returns it in the normalized representation, every ``observedAt`` in UTC.
- :func:`check_geometry`: a GeoProperty's value is a GeoJSON geometry (RFC 7946), checked by hand.
- :func:`readings` picks the readings out of an entity: each Property with a number as value
  and an ``observedAt`` (booleans are not numbers). Everything else stays in the entity only.
- :func:`partial_update` / :func:`without_attribute`: one attribute's PATCH and DELETE on an entity's latest state.
- :func:`representation` / :func:`represent`: normalized, concise (:func:`concise`) or simplified answers.
- :func:`parse_query` / :func:`matches`: the ``q`` query language subset (see its docstring).
- :func:`temporal_window`: the ``timerel`` / ``timeAt`` / ``endTimeAt`` / ``lastN`` parameters.
- :func:`check_parameters`: refuses the NGSI-LD query parameters this subset does not implement.
- :func:`wants_ld`: the ``Accept`` header (q-values) as JSON or JSON-LD, else ``406``.
- :class:`NgsiError`: a ProblemDetails (RFC 7807) answer with an NGSI-LD error type.

Hand-written because no maintained Python library implements the broker side of NGSI-LD
(``ngsildclient`` is a client; the JSON-LD libraries expand and compact whole documents
against fetched contexts, which we must never fetch).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import regex

CORE_CONTEXT_NAME = "ngsi-ld-core-context-v1.8.jsonld"
CORE_CONTEXT_FILE = Path(__file__).parent / "context" / CORE_CONTEXT_NAME
#: Where ETSI publishes the core context (named, never fetched).
CORE_CONTEXT_URI = f"https://uri.etsi.org/ngsi-ld/v1/{CORE_CONTEXT_NAME}"
NGSI_LD = "https://uri.etsi.org/ngsi-ld/"
DEFAULT_VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/"
ERROR_BASE = "https://uri.etsi.org/ngsi-ld/errors/"

#: NGSI-LD error type -> (HTTP status, title).
ERRORS: dict[str, tuple[int, str]] = {
    "InvalidRequest": (400, "Invalid request"),
    "BadRequestData": (400, "Bad request data"),
    "ResourceNotFound": (404, "Resource not found"),
    "NonexistentTenant": (404, "Nonexistent tenant"),
    "AlreadyExists": (409, "Already exists"),
    "OperationNotSupported": (422, "Operation not supported"),
    "TooManyResults": (403, "Too many results"),
    "InternalError": (500, "Internal error"),
}
#: Authentication and authorisation are not NGSI-LD error types: Cityline's own names (as in its REST API).
LOCAL_ERRORS: dict[str, tuple[int, str]] = {
    "not-authenticated": (401, "Authentication required"),
    "forbidden": (403, "Forbidden"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "not-acceptable": (406, "Not acceptable"),
    "method-not-allowed": (405, "Method not allowed"),
    "too-large": (413, "Request body too large"),
}

ATTRIBUTE_TYPES = {"Property", "Relationship", "GeoProperty", "LanguageProperty", "JsonProperty",
                   "ListProperty", "ListRelationship", "VocabProperty"}
#: The member holding each attribute type's value (GS CIM 009, 4.5).
VALUE_MEMBERS = {"Property": "value", "GeoProperty": "value", "Relationship": "object",
                 "ListRelationship": "objectList", "LanguageProperty": "languageMap", "JsonProperty": "json",
                 "ListProperty": "valueList", "VocabProperty": "vocab"}
#: Members of an entity that are not attributes.
ENTITY_MEMBERS = {"id", "type", "@context", "scope", "createdAt", "modifiedAt", "deletedAt"}
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"]+$")
# Forbidden characters in names (GS CIM 009, 4.6.2: those that have a meaning in the query language).
_BAD_NAME = re.compile(r"[\s<>\"'=;()\[\]|,]")
MAX_ENTITIES = 1000


class NgsiError(Exception):
    """An error answer: ``kind`` is an NGSI-LD error type (or a :data:`LOCAL_ERRORS` name)."""

    def __init__(self, kind: str, detail: str, *, entity_id: str | None = None):
        if kind not in ERRORS and kind not in LOCAL_ERRORS:
            raise ValueError(f"unknown error kind {kind!r}")
        self.kind, self.detail, self.entity_id = kind, detail, entity_id
        super().__init__(detail)

    @property
    def status(self) -> int:
        return (ERRORS.get(self.kind) or LOCAL_ERRORS[self.kind])[0]

    def problem(self) -> dict:
        status, title = ERRORS.get(self.kind) or LOCAL_ERRORS[self.kind]
        kind = ERROR_BASE + self.kind if self.kind in ERRORS else f"urn:cityline:problem:{self.kind}"
        return {"type": kind, "title": title, "status": status, "detail": self.detail}


def bad(detail: str, **kwargs) -> NgsiError:
    return NgsiError("BadRequestData", detail, **kwargs)


# --- the core context ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def core_context() -> dict:
    return json.loads(CORE_CONTEXT_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _expanded_terms() -> dict[str, str]:
    """``{expanded URI: term}`` for every term of the core context."""
    ctx = core_context()["@context"]
    prefixes = {k: v for k, v in ctx.items() if isinstance(v, str) and v.endswith(("/", "#"))}

    def expand(iri: str) -> str:
        prefix, sep, rest = iri.partition(":")
        return prefixes[prefix] + rest if sep and prefix in prefixes and not rest.startswith("//") else iri

    out = {}
    for term, definition in ctx.items():
        if term.startswith("@") or term in prefixes:
            continue
        iri = definition.get("@id") if isinstance(definition, dict) else definition
        if isinstance(iri, str) and not iri.startswith("@"):
            out[expand(iri)] = term
    return out


def compact(name: str) -> str:
    """A core-context URI as its short term; a default-vocabulary URI as its local name; else unchanged."""
    term = _expanded_terms().get(name)
    if term is not None:
        return term
    if name.startswith(DEFAULT_VOCAB):
        return name[len(DEFAULT_VOCAB):]
    return name


# --- times -----------------------------------------------------------------------------------


def parse_time(text: Any, what: str) -> datetime:
    """An ISO 8601 date-time with a time zone (``Z`` or an offset), as an aware UTC datetime."""
    if not isinstance(text, str):
        raise bad(f"{what}: expected an ISO 8601 date-time string, got {json.dumps(text)}")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise bad(f"{what}: {text!r} is not an ISO 8601 date-time (e.g. 2026-03-01T12:00:00Z)") from None
    if value.tzinfo is None:
        raise bad(f"{what}: {text!r} has no time zone; NGSI-LD times are UTC (end with Z)")
    return value.astimezone(timezone.utc)


def format_time(value: datetime) -> str:
    """UTC, ``Z``, microseconds only when there are some."""
    value = value.astimezone(timezone.utc)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


# --- entities --------------------------------------------------------------------------------


@dataclass
class Entity:
    """An entity in the normalized representation (attributes without @context)."""

    id: str
    type: str
    attrs: dict[str, Any] = field(default_factory=dict)
    context: Any = None

    def body(self) -> dict:
        return {"id": self.id, "type": self.type, **self.attrs}


def check_id(value: Any, what: str = "id") -> str:
    if not isinstance(value, str) or not _URI.match(value) or len(value) > 250:
        raise bad(f"{what}: an entity id is a URI of at most 250 characters, e.g. "
                  f"urn:ngsi-ld:AirQualityObserved:harbour (got {json.dumps(value)[:100]})")
    return value


def check_name(name: str, what: str) -> str:
    if not name or _BAD_NAME.search(name) or len(name) > 100:
        raise bad(f"{what}: {name!r} is not a valid name (at most 100 characters, none of "
                  "space < > \" ' = ; ( ) [ ] | ,)")
    return name


def _entity_type(value: Any, where: str) -> str:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, list):
        raise bad(f"{where}type: entities of several types are not supported; give one type")
    if not isinstance(value, str):
        raise bad(f"{where}type: expected a string, e.g. AirQualityObserved")
    return check_name(compact(value), f"{where}type")


def parse_entity(data: Any, *, where: str = "", require_type: bool = True,
                 context_in_body: bool | None = None) -> Entity:
    """One entity from a request body, checked; :class:`NgsiError` names the member at fault.

    ``context_in_body``: True (application/ld+json: the @context must be in the body), False
    (application/json: it must not be), None (not checked).
    """
    if not isinstance(data, dict):
        raise bad(f"{where}expected an entity (a JSON object)")
    data = {compact(k): v for k, v in data.items()}
    if context_in_body is True and "@context" not in data:
        raise bad(f"{where}@context: with Content-Type application/ld+json the @context must be in the body")
    if context_in_body is False and "@context" in data:
        raise bad(f"{where}@context: with Content-Type application/json the @context goes in a Link header, "
                  "not in the body")
    if "id" not in data:
        raise bad(f"{where}id: missing")
    entity_id = check_id(data["id"], f"{where}id")
    if entity_id.endswith("/"):
        raise bad(f"{where}id: an entity id may not end with '/' (its address would lose it): {entity_id}",
                  entity_id=entity_id)
    where = where or ""
    if "type" not in data:
        if require_type:
            raise bad(f"{where}type: missing", entity_id=entity_id)
        entity_type = ""
    else:
        entity_type = _entity_type(data["type"], where)
    attrs = parse_attributes({k: v for k, v in data.items() if k not in ENTITY_MEMBERS},
                             where=f"{where}{entity_id}: ", entity_id=entity_id)
    return Entity(entity_id, entity_type, attrs, data.get("@context"))


def parse_attributes(data: Any, *, where: str = "", entity_id: str | None = None) -> dict[str, Any]:
    """Attributes (a fragment) in the normalized representation."""
    if not isinstance(data, dict):
        raise bad(f"{where}expected attributes (a JSON object)", entity_id=entity_id)
    out = {}
    for name, value in data.items():
        name = compact(name)
        if name in ENTITY_MEMBERS:
            continue
        check_name(name, f"{where}attribute")
        if _instance_list(value):
            out[name] = [_attribute(v, f"{where}{name}[{i}]", entity_id) for i, v in enumerate(value)]
            keys = [inst.get("datasetId") for inst in out[name]]
            if len(set(keys)) != len(keys):
                raise bad(f"{where}{name}: each instance of an attribute needs its own datasetId (at most one "
                          "without: the default instance)", entity_id=entity_id)
        else:
            out[name] = _attribute(value, f"{where}{name}", entity_id)
    return out


def _instance_list(value: Any) -> bool:
    """Whether an attribute's array is its instances: each with a ``type`` or, concise, with a value member
    (``value``, ``object`` ...) and, all but one at most, a ``datasetId``. Any other array is a Property's value."""
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        return False
    if all("type" in v for v in value):
        return True
    keys = [{compact(k) for k in v} for v in value]
    return all("type" in k or k & _CONCISE_KINDS.keys() for k in keys) and sum("datasetId" not in k for k in keys) <= 1


#: Members of an attribute instance that hold data, never a property of the attribute.
_DATA_MEMBERS = {"type", "value", "object", "observedAt", "unitCode", "datasetId", "languageMap", "json", "valueList",
                 "objectList", "vocab", "objectType", "lang", "instanceId"}


#: Concise representation: an attribute without ``type`` is of the type its value member says (in this order).
_CONCISE_KINDS = {"object": "Relationship", "value": "Property", "objectList": "ListRelationship",
                  "languageMap": "LanguageProperty", "json": "JsonProperty", "valueList": "ListProperty",
                  "vocab": "VocabProperty"}


def _is_geometry(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") in (*GEOMETRY_DEPTHS, "GeometryCollection")


def _attribute(value: Any, where: str, entity_id: str | None) -> dict:
    """One attribute instance, normalized; concise input (a bare value, or no ``type``) is accepted."""
    if not isinstance(value, dict):
        return {"type": "Property", "value": value}  # concise representation: a bare value is a Property
    if _is_geometry(value) and "value" not in value:
        value = {"type": "GeoProperty", "value": value}  # concise: a GeoProperty as its geometry alone
    value = {compact(k): v for k, v in value.items()}
    kind = value.get("type")
    if kind is None:
        kind = next((k for member, k in _CONCISE_KINDS.items() if member in value), None)
        if kind is None:
            return {"type": "Property", "value": value}  # concise: a JSON object as the value
        if kind == "Property" and _is_geometry(value["value"]):
            kind = "GeoProperty"  # concise: a GeoJSON geometry as the value
        value = {"type": kind, **value}
    kind = compact(kind) if isinstance(kind, str) else kind
    if kind not in ATTRIBUTE_TYPES:
        raise bad(f"{where}.type: {json.dumps(kind)} is not an attribute type "
                  f"({', '.join(sorted(ATTRIBUTE_TYPES))})", entity_id=entity_id)
    value["type"] = kind
    required = VALUE_MEMBERS[kind]
    if required not in value:
        raise bad(f"{where}: a {kind} needs a '{required}'", entity_id=entity_id)
    if kind == "Property" and value["value"] is None:
        raise bad(f"{where}.value: null is not a value", entity_id=entity_id)
    if kind == "GeoProperty":
        check_geometry(value["value"], f"{where}.value", entity_id)
    if kind == "Relationship":
        check_id(value["object"], f"{where}.object")
    if isinstance(value.get("value"), float) and not math.isfinite(value["value"]):
        raise bad(f"{where}.value: not a finite number", entity_id=entity_id)
    if "observedAt" in value:
        value["observedAt"] = format_time(parse_time(value["observedAt"], f"{where}.observedAt"))
    if "unitCode" in value and not isinstance(value["unitCode"], str):
        raise bad(f"{where}.unitCode: expected a UN/CEFACT code string, e.g. GQ", entity_id=entity_id)
    for key in ("createdAt", "modifiedAt"):
        value.pop(key, None)
    for key, sub in list(value.items()):
        if key not in _DATA_MEMBERS and isinstance(sub, dict):
            value[key] = _attribute(sub, f"{where}.{key}", entity_id)  # a property of a property
    return value


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --- GeoJSON geometries (the values of GeoProperties) -------------------------------------------
#
# Checked here by hand: no GeoJSON library is installed (shapely, geojson, pydantic-geojson), and jsonschema, which
# is, would need the GeoJSON schemas (geojson.org) vendored, which check the shapes only: not the longitude and
# latitude ranges, not that a linear ring is closed, not at most three numbers a position. What RFC 7946 asks of
# the geometry objects (clause 3.1) is short enough to write down.

#: GeoJSON geometry types (RFC 7946, 3.1.2-3.1.7) -> how deeply their ``coordinates`` nest positions.
GEOMETRY_DEPTHS = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2,
                   "MultiPolygon": 3}


def _coordinate(value: Any) -> bool:
    """A finite number (not a boolean). Decimal too: domain callers may pass what a DecimalField holds."""
    if isinstance(value, Decimal):
        return value.is_finite()
    return is_number(value) and math.isfinite(value)


def _position(value: Any, where: str, entity_id: str | None) -> None:
    """RFC 7946, 3.1.1: [longitude, latitude] or [longitude, latitude, altitude], WGS 84 degrees (4)."""
    if not isinstance(value, list) or not 2 <= len(value) <= 3 or not all(_coordinate(c) for c in value):
        raise bad(f"{where}: a position is [longitude, latitude] or [longitude, latitude, altitude], 2 or 3 numbers "
                  f"(got {json.dumps(value, default=str)[:100]})", entity_id=entity_id)
    if not -180 <= value[0] <= 180:
        raise bad(f"{where}: longitude {value[0]} is outside -180..180 (a position is [longitude, latitude])",
                  entity_id=entity_id)
    if not -90 <= value[1] <= 90:
        raise bad(f"{where}: latitude {value[1]} is outside -90..90 (a position is [longitude, latitude])",
                  entity_id=entity_id)


def _positions(value: Any, depth: int, where: str, entity_id: str | None) -> None:
    """``depth`` levels of non-empty arrays around positions."""
    if depth == 0:
        _position(value, where, entity_id)
        return
    if not isinstance(value, list) or not value:
        # RFC 7946 (3.1) lets a reader take empty coordinates as a null geometry; a location that locates nothing
        # is better left out, so it is refused rather than kept as a riddle.
        raise bad(f"{where}: expected a non-empty array of {'positions' if depth == 1 else 'arrays'}",
                  entity_id=entity_id)
    for i, item in enumerate(value):
        _positions(item, depth - 1, f"{where}[{i}]", entity_id)


def _line(positions: list, where: str, entity_id: str | None) -> None:
    if len(positions) < 2:
        raise bad(f"{where}: a LineString needs at least 2 positions (RFC 7946, 3.1.4)", entity_id=entity_id)


def _polygon(rings: list, where: str, entity_id: str | None) -> None:
    # The right-hand rule (exterior rings counterclockwise) is not checked: RFC 7946, 3.1.6, asks parsers not to
    # reject polygons that do not follow it.
    for i, ring in enumerate(rings):
        if len(ring) < 4 or ring[0] != ring[-1]:
            raise bad(f"{where}[{i}]: a linear ring needs at least 4 positions, the last the same as the first "
                      "(RFC 7946, 3.1.6)", entity_id=entity_id)


def check_geometry(geo: Any, where: str, entity_id: str | None = None, *, in_collection: bool = False) -> None:
    """A GeoProperty's value: a GeoJSON geometry object (RFC 7946, 3.1), else BadRequestData naming ``where``.

    Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon with ``coordinates`` nested to the
    type's depth; positions of 2 or 3 numbers, longitude within -180..180 and latitude within -90..90; line
    strings of 2 positions or more, closed linear rings of 4 or more. A GeometryCollection holds such geometries
    in ``geometries`` (one level: nested collections, which RFC 7946 3.1.8 says to avoid, are refused). A
    ``bbox`` (5) is 4 or 6 numbers. Other members (foreign members, 6.1) are kept as given.
    """
    if not isinstance(geo, dict):
        raise bad(f"{where}: a GeoProperty's value is a GeoJSON geometry object, e.g. "
                  '{"type": "Point", "coordinates": [2.35, 48.85]} (RFC 7946)', entity_id=entity_id)
    kind = geo.get("type")
    kinds = [*GEOMETRY_DEPTHS, "GeometryCollection"]
    if kind in ("Feature", "FeatureCollection"):
        raise bad(f"{where}.type: a {kind} is not a geometry; give its geometry object", entity_id=entity_id)
    if kind not in kinds or (in_collection and kind == "GeometryCollection"):
        allowed = ", ".join(kinds[:-1] if in_collection else kinds)
        here = " inside a GeometryCollection" if in_collection else ""
        raise bad(f"{where}.type: {json.dumps(kind)[:60]} is not a GeoJSON geometry type{here} ({allowed})",
                  entity_id=entity_id)
    if "bbox" in geo:
        box = geo["bbox"]
        if not isinstance(box, list) or len(box) not in (4, 6) or not all(_coordinate(c) for c in box):
            raise bad(f"{where}.bbox: 4 or 6 numbers (RFC 7946, 5)", entity_id=entity_id)
    if kind == "GeometryCollection":
        parts = geo.get("geometries")
        if "coordinates" in geo or not isinstance(parts, list) or not parts:
            raise bad(f"{where}: a GeometryCollection has a non-empty array 'geometries' of geometry objects and no "
                      "'coordinates' (RFC 7946, 3.1.8)", entity_id=entity_id)
        for i, part in enumerate(parts):
            check_geometry(part, f"{where}.geometries[{i}]", entity_id, in_collection=True)
        return
    if "coordinates" not in geo:
        raise bad(f"{where}: a {kind} needs 'coordinates' (RFC 7946, 3.1)", entity_id=entity_id)
    if "geometries" in geo:
        raise bad(f"{where}: only a GeometryCollection has 'geometries'", entity_id=entity_id)
    coords, at = geo["coordinates"], f"{where}.coordinates"
    _positions(coords, GEOMETRY_DEPTHS[kind], at, entity_id)
    if kind == "LineString":
        _line(coords, at, entity_id)
    elif kind == "MultiLineString":
        for i, line in enumerate(coords):
            _line(line, f"{at}[{i}]", entity_id)
    elif kind == "Polygon":
        _polygon(coords, at, entity_id)
    elif kind == "MultiPolygon":
        for i, polygon in enumerate(coords):
            _polygon(polygon, f"{at}[{i}]", entity_id)


@dataclass(frozen=True)
class Reading:
    attribute: str
    time: datetime
    value: float
    unit_code: str = ""


def instances(value: Any) -> list[dict]:
    return value if isinstance(value, list) else [value]


def readings(attrs: dict[str, Any]) -> list[Reading]:
    """Each Property with a numeric value and an ``observedAt``: a reading of the attribute's series."""
    out = []
    for name, value in attrs.items():
        for inst in instances(value):
            if inst.get("type") == "Property" and is_number(inst.get("value")) and "observedAt" in inst:
                out.append(Reading(name, parse_time(inst["observedAt"], name), float(inst["value"]),
                                   inst.get("unitCode", "")))
    return out


def latest_string(attrs: dict[str, Any], name: str) -> str:
    """The value of a text Property (e.g. ``district``), or ""."""
    for inst in instances(attrs.get(name, [])):
        if isinstance(inst, dict) and inst.get("type") == "Property" and isinstance(inst.get("value"), str):
            return inst["value"]
    return ""


_MICRODEGREE = Decimal("0.000001")


def _degrees(value: float) -> Decimal:
    return Decimal(str(round(float(value), 6))).quantize(_MICRODEGREE)


def point(attrs: dict[str, Any]) -> tuple[Decimal, Decimal] | None:
    """(latitude, longitude) of a ``location`` GeoProperty that is a GeoJSON Point, to 6 decimal places.

    Decimals, not floats: a series' coordinates are ``DecimalField(max_digits=9, decimal_places=6)``, which
    reads the float 48.1 as 48.1000000 (7 places) and refuses it.
    """
    for inst in instances(attrs.get("location", [])):
        geo = inst.get("value") if isinstance(inst, dict) else None
        if isinstance(geo, dict) and geo.get("type") == "Point":
            coords = geo.get("coordinates")
            if isinstance(coords, list) and len(coords) >= 2 and all(is_number(c) for c in coords[:2]):
                lon, lat = coords[0], coords[1]
                if -90 <= lat <= 90 and -180 <= lon <= 180:
                    return _degrees(lat), _degrees(lon)
    return None


# --- representations -------------------------------------------------------------------------


def project(body: dict, attrs: list[str] | None) -> dict:
    if attrs is None:
        return dict(body)
    keep = set(attrs)
    return {k: v for k, v in body.items() if k in ("id", "type") or k in keep}


def key_values(body: dict) -> dict:
    """The simplified (keyValues) representation: each attribute as its value (or object)."""
    out = {}
    for name, value in body.items():
        if name in ("id", "type"):
            out[name] = value
            continue
        simple = [_simple(inst) for inst in instances(value)]
        out[name] = simple[0] if not isinstance(value, list) else simple
    return out


#: ``options`` / ``format`` values naming a representation -> the representation.
_REPRESENTATIONS = {"normalized": "normalized", "concise": "concise", "keyValues": "simplified",
                    "simplified": "simplified"}


def representation(options: set[str]) -> str:
    """The representation ``options`` (and ``format``) ask for: normalized (the default), concise or simplified
    (``keyValues``); two different ones at once are refused (400)."""
    named = sorted(o for o in options if o in _REPRESENTATIONS)
    if len({_REPRESENTATIONS[o] for o in named}) > 1:
        raise bad(f"options: one representation at a time, not {' and '.join(named)}")
    return _REPRESENTATIONS[named[0]] if named else "normalized"


def represent(body: dict, form: str) -> dict:
    """An entity (normalized, as stored) in the :func:`representation` ``form``."""
    if form == "simplified":
        return key_values(body)
    if form == "concise":
        return concise(body)
    return body


def concise(body: dict) -> dict:
    """The concise representation (``options=concise``): each attribute without its ``type``, which its value
    member says again when the body is read back (:func:`parse_entity` takes it). A Property with nothing but a
    text, number or boolean value is that value alone, else ``{"value": ..., "observedAt": ...}``; a GeoProperty
    with nothing but its value is the GeoJSON geometry alone, else ``{"value": <geometry>, ...}``; a Property whose
    value is a GeoJSON geometry keeps its ``type`` (without it, it would read back as a GeoProperty); a Relationship
    ``{"object": ...}``; the other types their value member (``languageMap``, ``json``, ``valueList``,
    ``objectList``, ``vocab``). Properties of attributes, and the instances of an attribute with several, are
    always objects (a bare value there would not read back as a Property)."""
    out = {}
    for name, value in body.items():
        if name in ENTITY_MEMBERS or not isinstance(value, (dict, list)):
            out[name] = value
        elif isinstance(value, list):
            out[name] = [_concise(inst, bare=False) for inst in value]  # several instances: objects, never bare
        else:
            out[name] = _concise(value, bare=True)
    return out


def _concise(inst: Any, *, bare: bool) -> Any:
    if not isinstance(inst, dict) or inst.get("type") not in ATTRIBUTE_TYPES:
        return inst
    out = {}
    for key, sub in inst.items():
        if key == "type":
            continue
        # a property of the attribute as an object: read back, a bare value there is not taken as a Property
        out[key] = sub if key in _DATA_MEMBERS else _concise(sub, bare=False)
    if bare and list(out) == ["value"]:
        if inst["type"] == "Property" and not isinstance(out["value"], (dict, list)):
            return out["value"]
        if inst["type"] == "GeoProperty" and _is_geometry(out["value"]):
            return out["value"]
    if inst["type"] == "Property" and _is_geometry(out.get("value")):
        # without its type, a GeoJSON geometry as a value reads back as a GeoProperty (:func:`_attribute`)
        return {"type": "Property", **out}
    return out


def _simple(inst: Any) -> Any:
    if not isinstance(inst, dict):
        return inst
    for key in ("value", "object", "languageMap", "json", "valueList", "objectList", "vocab"):
        if key in inst:
            return inst[key]
    return None


# --- the query language (q) ------------------------------------------------------------------


class _Tokens:
    def __init__(self, text: str):
        self.text, self.pos = text, 0

    def peek(self) -> str:
        return self.text[self.pos:self.pos + 1]

    def take(self, s: str) -> bool:
        if self.text.startswith(s, self.pos):
            self.pos += len(s)
            return True
        return False

    def error(self, problem: str) -> NgsiError:
        return bad(f"q: {problem} at character {self.pos + 1} of {self.text!r}")


_OPS = ("==", "!=", ">=", "<=", ">", "<", "!~=", "~=")
_ATTR = re.compile(r"[^\s<>\"'=;()|!~,\[\]\.]+")


@dataclass(frozen=True)
class Term:
    path: tuple[str, ...]  # attribute, then sub-attribute (e.g. observedAt)
    keys: tuple[str, ...]  # [key] parts into a JSON value
    op: str | None
    values: tuple = ()  # one value, a list (a,b,c) or a range ("..", low, high)


def parse_query(text: str) -> Any:
    """Parse ``q`` (the subset documented in docs/observations.md).

    Terms: ``attr`` (exists), ``attr op value`` with ``== != > >= < <=``; ``attr.sub`` reads a
    property of the attribute (``pm25.observedAt``), ``attr[key]`` a member of a JSON value.
    Values: numbers, ``"text"``, ``true``/``false``, date-times, lists ``a,b,c`` (== and != only)
    and ranges ``low..high``. ``;`` is AND, ``|`` OR (AND binds tighter), parentheses group.
    Patterns (``~=``) are not supported. The result is a tree for :func:`matches`.
    """
    if len(text) > 2000:
        raise bad("q: at most 2000 characters")
    tokens = _Tokens(text)
    tree = _or(tokens)
    if tokens.pos != len(text):
        raise tokens.error("unexpected character")
    return tree


def _or(t: _Tokens) -> Any:
    parts = [_and(t)]
    while t.take("|"):
        parts.append(_and(t))
    return parts[0] if len(parts) == 1 else ("or", parts)


def _and(t: _Tokens) -> Any:
    parts = [_factor(t)]
    while t.take(";"):
        parts.append(_factor(t))
    return parts[0] if len(parts) == 1 else ("and", parts)


def _factor(t: _Tokens) -> Any:
    if t.take("("):
        tree = _or(t)
        if not t.take(")"):
            raise t.error("missing ')'")
        return tree
    return _term(t)


def _term(t: _Tokens) -> Term:
    path, keys = [], []
    match = _ATTR.match(t.text, t.pos)
    if not match:
        raise t.error("expected an attribute name")
    path.append(compact(match.group()))
    t.pos = match.end()
    while t.peek() in (".", "["):
        if t.take("."):
            match = _ATTR.match(t.text, t.pos)
            if not match:
                raise t.error("expected a sub-attribute name after '.'")
            path.append(compact(match.group()))
            t.pos = match.end()
        else:
            t.take("[")
            end = t.text.find("]", t.pos)
            if end < 0:
                raise t.error("missing ']'")
            keys.append(t.text[t.pos:end])
            t.pos = end + 1
    op = next((o for o in _OPS if t.text.startswith(o, t.pos)), None)
    if op is None:
        return Term(tuple(path), tuple(keys), None)
    if "~" in op:
        raise t.error("pattern matching (~=) is not supported by Cityline's NGSI-LD subset")
    t.pos += len(op)
    first = _value(t)
    if t.take(".."):
        high = _value(t)
        return Term(tuple(path), tuple(keys), op, ("..", first, high))
    values = [first]
    while t.take(","):
        values.append(_value(t))
    if len(values) > 1 and op not in ("==", "!="):
        raise t.error(f"a list of values works with == and != only, not {op}")
    return Term(tuple(path), tuple(keys), op, tuple(values))


_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
_BARE = re.compile(r"[^;|()\",]+")


def _value(t: _Tokens) -> Any:
    if t.take('"'):
        end = t.text.find('"', t.pos)
        if end < 0:
            raise t.error("missing closing '\"'")
        value = t.text[t.pos:end]
        t.pos = end + 1
        return value
    rest = t.text[t.pos:]
    number = _NUMBER.match(rest)
    after = rest[number.end():number.end() + 1] if number else ""
    if number and (after in ("", ";", "|", ")", ",") or rest.startswith("..", number.end())):
        t.pos += number.end()
        text = number.group()
        return float(text) if any(c in text for c in ".eE") else int(text)
    bare = _BARE.match(rest)
    if not bare:
        raise t.error("expected a value")
    text = bare.group().split("..")[0]
    if text in ("true", "false"):
        t.pos += len(text)
        return text == "true"
    try:
        value = parse_time(text, "q")
    except NgsiError:
        raise t.error(f"{text!r} is not a value (quote text: \"{text}\")") from None
    t.pos += len(text)
    return value


def _attr_values(body: dict, term: Term) -> list:
    if term.path[0] == "id":
        return [body.get("id")]
    if term.path[0] == "type":
        return [body.get("type")]
    out = []
    for inst in instances(body.get(term.path[0], [])):
        if not isinstance(inst, dict):
            continue
        node: Any = inst
        for sub in term.path[1:]:
            node = node.get(sub) if isinstance(node, dict) else None
        if len(term.path) > 1 and isinstance(node, dict):
            node = _simple(node)
        elif len(term.path) == 1:
            node = _simple(node)
        for key in term.keys:
            node = node.get(key) if isinstance(node, dict) else None
        node = _unwrap(node)
        if node is not None:
            out.append(node)
    return out


def _unwrap(node: Any) -> Any:
    """A typed JSON-LD value (``{"@type": "DateTime", "@value": "2026-…"}``, as IoT Agents send) as its value."""
    if isinstance(node, dict) and "@value" in node:
        return node["@value"]
    return node


def _compare(have: Any, op: str, want: Any) -> bool:
    if isinstance(want, datetime):
        if not isinstance(have, str):
            return False
        try:
            have = parse_time(have, "")
        except NgsiError:
            return False
    elif is_number(want):
        if not is_number(have):
            return False
    elif type(have) is not type(want):
        return False
    try:
        return {"==": have == want, "!=": have != want, ">": have > want, ">=": have >= want,
                "<": have < want, "<=": have <= want}[op]
    except TypeError:
        return False


def _term_matches(body: dict, term: Term) -> bool:
    found = _attr_values(body, term)
    if term.op is None:
        return bool(found)
    for have in found:
        if term.values and term.values[0] == "..":
            _, low, high = term.values
            inside = _compare(have, ">=", low) and _compare(have, "<=", high)
            if inside == (term.op == "=="):
                return True
        elif term.op == "==":
            if any(_compare(have, "==", v) for v in term.values):
                return True
        elif term.op == "!=":
            if all(_compare(have, "!=", v) for v in term.values):
                return True
        elif _compare(have, term.op, term.values[0]):
            return True
    return False


def matches(tree: Any, body: dict) -> bool:
    if isinstance(tree, Term):
        return _term_matches(body, tree)
    kind, parts = tree
    results = (matches(p, body) for p in parts)
    return all(results) if kind == "and" else any(results)


# --- temporal parameters ---------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    last_n: int | None = None


def temporal_window(params: dict[str, str]) -> Window:
    """``timerel`` (before, after, between) with ``timeAt`` and ``endTimeAt``, and ``lastN``."""
    timerel = params.get("timerel")
    prop = params.get("timeproperty", "observedAt")
    if prop != "observedAt":
        raise bad(f"timeproperty: only observedAt is kept for readings, not {prop!r}")
    last_n = None
    if params.get("lastN") not in (None, ""):
        try:
            last_n = int(params["lastN"])
        except ValueError:
            last_n = 0
        if last_n < 1:
            raise bad(f"lastN: a positive whole number, not {params['lastN']!r}")
    if not timerel:
        if params.get("timeAt") or params.get("endTimeAt"):
            raise bad("timerel: give timerel (before, after or between) with timeAt")
        return Window(last_n=last_n)
    if timerel not in ("before", "after", "between"):
        raise bad(f"timerel: before, after or between, not {timerel!r}")
    if not params.get("timeAt"):
        raise bad(f"timeAt: required with timerel={timerel}")
    at = parse_time(params["timeAt"], "timeAt")
    if timerel == "before":
        return Window(end=at, last_n=last_n)
    if timerel == "after":
        return Window(start=at, last_n=last_n)
    if not params.get("endTimeAt"):
        raise bad("endTimeAt: required with timerel=between")
    end = parse_time(params["endTimeAt"], "endTimeAt")
    if end <= at:
        raise bad("endTimeAt: must be after timeAt")
    return Window(start=at, end=end, last_n=last_n)


def split_list(value: str | None) -> list[str] | None:
    """A comma-separated parameter (attrs, id) as a list of compacted names, None when absent."""
    if value is None or value == "":
        return None
    return [compact(v.strip()) for v in value.split(",") if v.strip()]


def split_types(value: str | None) -> list[str] | None:
    """The ``type`` parameter: types separated by ``,`` or ``|`` (both OR, GS CIM 009 4.17), None when absent.

    AND (``;``) and parentheses are refused: entities here have one type, and a wrong answer is worse than none.
    """
    if value is None or value == "":
        return None
    if any(c in value for c in ";()"):
        raise bad(f"type: only a list of types joined by ',' or '|' (OR) is supported; ';' (AND) and parentheses "
                  f"are not: {value!r}")
    return [compact(v.strip()) for v in re.split(r"[,|]", value) if v.strip()]


#: Seconds a request's ``idPattern`` may spend matching entity ids in all (anyone may send a pattern).
ID_PATTERN_SECONDS = 1.0


def id_pattern(value: str | None) -> Callable[[str], bool] | None:
    """The ``idPattern`` parameter: a test of whether an entity id contains a match of the regular expression.

    Matched with the ``regex`` package, not ``re``: a pattern like ``(.*a)*b`` makes ``re`` backtrack for
    minutes on a long id, and any reader, anonymous ones too, may send one. ``regex`` takes a timeout: all the
    matches of one request share :data:`ID_PATTERN_SECONDS`, after which the query is refused.
    """
    if value is None or value == "":
        return None
    if len(value) > 250:
        raise bad("idPattern: at most 250 characters")
    try:
        pattern = regex.compile(value)
    except regex.error as exc:
        raise bad(f"idPattern: {value!r} is not a regular expression ({exc})") from None
    deadline: list[float] = []  # set by the first match

    def test(entity_id: str) -> bool:
        if not deadline:
            deadline.append(time.monotonic() + ID_PATTERN_SECONDS)
        try:
            return pattern.search(entity_id, timeout=max(deadline[0] - time.monotonic(), 0.001)) is not None
        except TimeoutError:
            raise bad(f"idPattern: {value!r} takes too long to match; simplify it") from None

    return test


# --- parameters this subset does not implement ------------------------------------------------

#: NGSI-LD parameters (GS CIM 009, 6.3 and 6.4) whose answer this subset cannot give: refused rather than
#: ignored, since ignoring them answers unfiltered (or unshaped) data as if it were what was asked.
_UNSUPPORTED_COMMON = {
    "pick": "projection by pick/omit is not supported; use attrs",
    "omit": "projection by pick/omit is not supported; use attrs",
    "lang": "LanguageProperty selection by language is not supported",
    "datasetId": "selecting attribute instances by datasetId is not supported",
    "join": "linked entity retrieval (join) is not supported",
    "joinLevel": "linked entity retrieval (join) is not supported",
    "containedBy": "linked entity retrieval (join) is not supported",
    "entityMap": "entity maps are not supported",
}
_UNSUPPORTED_QUERY = {
    "georel": "geo-queries are not supported",
    "geometry": "geo-queries are not supported",
    "coordinates": "geo-queries are not supported",
    "geoproperty": "geo-queries are not supported",
    "geoQ": "geo-queries are not supported",
    "csf": "context source filters (csf) are not supported (this server has no registrations)",
    "scopeQ": "scope queries (scopeQ) are not supported",
}
_UNSUPPORTED_TEMPORAL = {
    "aggrMethods": "aggregated temporal queries are not supported",
    "aggrPeriodDuration": "aggregated temporal queries are not supported",
}
_UNSUPPORTED_OPTIONS = {
    "aggregatedValues": "aggregated temporal queries are not supported",
}


def check_parameters(params: Any, operation: str) -> None:
    """Refuse (422 OperationNotSupported) the NGSI-LD parameters of ``operation`` that this subset does not implement.

    ``operation``: ``query`` (GET /entities), ``entity`` (GET /entities/{id}) or ``temporal``. ``params``: the
    query string (a mapping; empty values count as absent). Other unknown parameters are ignored.
    """
    refused = dict(_UNSUPPORTED_COMMON)
    if operation == "query":
        refused.update(_UNSUPPORTED_QUERY)
    elif operation == "temporal":
        refused.update(_UNSUPPORTED_TEMPORAL)
    for name, why in refused.items():
        if params.get(name):
            raise NgsiError("OperationNotSupported", f"{name}: {why} by this server")
    for name in ("options", "format"):
        for option in (params.get(name) or "").split(","):
            if option.strip() in _UNSUPPORTED_OPTIONS:
                raise NgsiError("OperationNotSupported",
                                f"{name}: {option.strip()}: {_UNSUPPORTED_OPTIONS[option.strip()]} by this server")


# --- content negotiation ---------------------------------------------------------------------

JSON = "application/json"
JSON_LD = "application/ld+json"
GEO_JSON = "application/geo+json"


def _accepted(accept: str) -> list[tuple[str, float]]:
    """The media ranges of an ``Accept`` header with their q-values, in the header's order."""
    out = []
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        if not media:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 1.0
        out.append((media.lower(), q))
    return out


def wants_ld(accept: str) -> bool:
    """Whether to answer ``application/ld+json`` (else ``application/json``) to this ``Accept`` header.

    Each of the two is given the q-value of the most specific range that covers it (``*/*`` and ``application/*``
    too); q=0 means not acceptable. The higher q wins; on a tie the one named first, and JSON when neither is
    named. Neither acceptable: 406 (GeoJSON, ``application/geo+json``, is not an output of this server).
    """
    ranges = _accepted(accept or "*/*")

    def quality(media: str) -> tuple[float, int]:
        """(q, -position): the range naming the type, else application/*, else */*; a wildcard ranks last."""
        for position, (rng, q) in enumerate(ranges):
            if rng == media:
                return q, -position
        for wildcard in ("application/*", "*/*"):
            for rng, q in ranges:
                if rng == wildcard:
                    return q, -len(ranges)
        return 0.0, -len(ranges)

    json_q, ld_q = quality(JSON), quality(JSON_LD)
    if json_q[0] == 0 and ld_q[0] == 0:
        if any(rng == GEO_JSON and q > 0 for rng, q in ranges):
            raise NgsiError("not-acceptable", f"GeoJSON ({GEO_JSON}) output is not supported by this server; "
                                              f"accept {JSON} or {JSON_LD}")
        raise NgsiError("not-acceptable", f"this server answers {JSON} or {JSON_LD}")
    return ld_q > json_q


# --- merging attribute instances --------------------------------------------------------------


def merge_attribute(old: Any, new: Any) -> Any:
    """The instances of an attribute after an update (GS CIM 009, 5.6.2 / 5.6.3): keyed by ``datasetId``.

    Each new instance replaces the old one with its ``datasetId`` (none: the default instance) or is added;
    the old instances of other datasetIds stay. One instance is returned as an object, several as an array.
    """
    merged = [i for i in instances(old) if isinstance(i, dict)]
    for inst in instances(new):
        key = inst.get("datasetId") if isinstance(inst, dict) else None
        at = next((n for n, o in enumerate(merged) if o.get("datasetId") == key), None)
        if at is None:
            merged.append(inst)
        else:
            merged[at] = inst
    return merged[0] if len(merged) == 1 else merged


# --- one attribute's operations (/entities/{entityId}/attrs/{attrId}) ------------------------------


def attribute_name(name: str, what: str = "attribute name in the address") -> str:
    """An attribute name from an address, compacted; ``id``, ``type`` and the like are not attributes (400)."""
    name = compact(name)
    if name in ENTITY_MEMBERS:
        raise bad(f"{what}: {name!r} is a member of the entity, not an attribute")
    return check_name(name, what)


def _instance_of(body: dict, name: str, dataset_id: Any, entity_id: str) -> dict:
    """The instance of the attribute ``name`` with ``dataset_id`` (None: the default instance), else 404."""
    if name not in body:
        raise NgsiError("ResourceNotFound", f"{entity_id}: the entity has no attribute {name!r}",
                        entity_id=entity_id)
    found = next((i for i in instances(body[name]) if isinstance(i, dict) and i.get("datasetId") == dataset_id), None)
    if found is None:
        which = f"with datasetId {dataset_id}" if dataset_id is not None else "without datasetId (the default one)"
        raise NgsiError("ResourceNotFound", f"{entity_id}: the attribute {name!r} has no instance {which}",
                        entity_id=entity_id)
    return found


def partial_update(body: dict, name: str, fragment: Any, *, entity_id: str) -> dict:
    """Partial Attribute Update (GS CIM 009, 5.6.4): one attribute instance with the members of ``fragment``.

    ``body``: the entity's latest state. The instance updated is the one with the fragment's ``datasetId`` (none:
    the default instance); 404 ResourceNotFound if the entity has no such attribute or instance. The fragment's
    members replace the instance's and the others stay; its ``type``, if given, must be the instance's, and it may
    not hold another type's value member (``object`` on a Property), both 400. A new value of an instance that has
    an ``observedAt`` needs one too (400): kept, the old time would put the new value in place of the reading
    stored at that time, rewriting history unasked. Returns the updated instance, checked like any attribute.
    """
    where = f"{entity_id}: {name}"
    if not isinstance(fragment, dict) or not fragment:
        raise bad(f"{where}: expected an attribute fragment, a JSON object with at least one member "
                  '(e.g. {"value": 12, "observedAt": "2026-03-01T10:00:00Z"})', entity_id=entity_id)
    if _is_geometry(fragment) and "value" not in fragment:
        fragment = {"value": fragment}  # concise: a GeoProperty's new geometry alone
    fragment = {compact(k): v for k, v in fragment.items()}
    current = _instance_of(body, name, fragment.get("datasetId"), entity_id)
    kind = current.get("type")
    given = fragment.get("type")
    given = compact(given) if isinstance(given, str) else given
    if given is not None and given != kind:
        raise bad(f"{where}.type: the attribute is a {kind}, not a {json.dumps(given)[:60]} (an attribute's type "
                  "does not change by a partial update; replace the attribute with PATCH /entities/{entityId}/attrs)",
                  entity_id=entity_id)
    stray = sorted(m for m in set(VALUE_MEMBERS.values()) - {VALUE_MEMBERS.get(kind)} if m in fragment)
    if stray:
        raise bad(f"{where}: '{stray[0]}' is not a member of a {kind} (its value is '{VALUE_MEMBERS.get(kind)}')",
                  entity_id=entity_id)
    member = VALUE_MEMBERS.get(kind)
    if member in fragment and "observedAt" in current and "observedAt" not in fragment:
        raise bad(f"{where}: a new {member} needs its observedAt (the instance's, {current['observedAt']}, would make "
                  "it replace the reading stored at that time; give that time to correct that reading)",
                  entity_id=entity_id)
    return _attribute({**current, **fragment, "type": kind}, where, entity_id)


def delete_parameters(params: Any) -> tuple[str | None, bool]:
    """``datasetId`` and ``deleteAll`` of Delete Entity Attribute (GS CIM 009, 5.6.5): (dataset id, delete all)."""
    raw = params.get("deleteAll") or "false"
    if raw not in ("true", "false"):
        raise bad(f"deleteAll: true or false, not {raw!r}")
    dataset_id = params.get("datasetId") or None
    if raw == "true" and dataset_id is not None:
        raise bad("datasetId: deleteAll=true deletes every instance; give datasetId or deleteAll=true, not both")
    return dataset_id, raw == "true"


def without_attribute(body: dict, name: str, *, entity_id: str, dataset_id: str | None = None,
                      delete_all: bool = False) -> dict:
    """Delete Entity Attribute (GS CIM 009, 5.6.5): the entity's latest state without the attribute's instance.

    The instance with ``dataset_id`` (None: the default instance), or with ``delete_all`` every instance; 404
    ResourceNotFound if there is no such attribute or instance. An attribute left without instances is removed;
    one instance left is an object, several an array (as :func:`merge_attribute` keeps them).
    """
    if delete_all and name not in body:
        raise NgsiError("ResourceNotFound", f"{entity_id}: the entity has no attribute {name!r}", entity_id=entity_id)
    gone = None if delete_all else _instance_of(body, name, dataset_id, entity_id)
    kept = [] if delete_all else [i for i in instances(body[name]) if i is not gone]
    out = {}
    for key, value in body.items():  # in order: the attribute keeps its place
        if key != name:
            out[key] = value
        elif kept:
            out[key] = kept[0] if len(kept) == 1 else kept
    return out
