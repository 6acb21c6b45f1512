"""The NGSI-LD subset (ETSI GS CIM 009) in plain Python: entities, readings, queries, errors.

No Django here: :mod:`.broker` stores what this module checks and shapes, :mod:`.views` speaks HTTP.

- :func:`parse_entity` checks one entity (normalized or concise representation), compacts the
  expanded URIs of the core @context (``https://uri.etsi.org/ngsi-ld/observedAt`` → ``observedAt``)
  and returns it in the normalized representation, every ``observedAt`` in UTC.
- :func:`readings` picks the readings out of an entity: each Property with a number as value
  and an ``observedAt`` (booleans are not numbers). Everything else stays in the entity only.
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


def parse_entity(data: Any, *, where: str = "", require_type: bool = True, context_in_body: bool | None = None) -> Entity:
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
        if isinstance(value, list) and value and all(isinstance(v, dict) and "type" in v for v in value):
            out[name] = [_attribute(v, f"{where}{name}[{i}]", entity_id) for i, v in enumerate(value)]
            keys = [inst.get("datasetId") for inst in out[name]]
            if len(set(keys)) != len(keys):
                raise bad(f"{where}{name}: each instance of an attribute needs its own datasetId (at most one "
                          "without: the default instance)", entity_id=entity_id)
        else:
            out[name] = _attribute(value, f"{where}{name}", entity_id)
    return out


def _attribute(value: Any, where: str, entity_id: str | None) -> dict:
    """One attribute instance, normalized; concise input (a bare value, or no ``type``) is accepted."""
    if not isinstance(value, dict):
        return {"type": "Property", "value": value}  # concise representation: a bare value is a Property
    value = {compact(k): v for k, v in value.items()}
    kind = value.get("type")
    if kind is None:
        if "object" in value:
            kind = "Relationship"
        elif "value" in value:
            kind = "Property"
        else:
            return {"type": "Property", "value": value}  # concise: a JSON object as the value
        value = {"type": kind, **value}
    kind = compact(kind) if isinstance(kind, str) else kind
    if kind not in ATTRIBUTE_TYPES:
        raise bad(f"{where}.type: {json.dumps(kind)} is not an attribute type "
                  f"({', '.join(sorted(ATTRIBUTE_TYPES))})", entity_id=entity_id)
    value["type"] = kind
    required = {"Relationship": "object", "ListRelationship": "objectList", "LanguageProperty": "languageMap",
                "JsonProperty": "json", "ListProperty": "valueList", "VocabProperty": "vocab"}.get(kind, "value")
    if required not in value:
        raise bad(f"{where}: a {kind} needs a '{required}'", entity_id=entity_id)
    if kind == "Property" and value["value"] is None:
        raise bad(f"{where}.value: null is not a value", entity_id=entity_id)
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
        if key not in {"type", "value", "object", "observedAt", "unitCode", "datasetId", "languageMap", "json",
                       "valueList", "objectList", "vocab", "objectType", "lang", "instanceId"} \
                and isinstance(sub, dict):
            value[key] = _attribute(sub, f"{where}.{key}", entity_id)  # a property of a property
    return value


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
