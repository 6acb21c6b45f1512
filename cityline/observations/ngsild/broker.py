"""The context broker subset: NGSI-LD entities onto Cityline's series and observations.

- **Latest state**: each entity's normalized representation in :class:`NgsiEntity` (one row per
  city and entity id), replaced (upsert, default) or merged (``options=update``, PATCH and
  POST of attributes, PATCH of one attribute); DELETE of an entity or of one attribute forgets
  it there only.
- **Readings**: each Property with a number as value and an ``observedAt`` becomes a reading
  ``(series, observedAt, value)`` of the :class:`Series` whose ``(entity_id, attribute)`` match,
  written through :func:`cityline.observations.ingest.write_observations` (so alert rules see
  it). The store keeps one reading per ``(series, time)``: the same upsert twice stores each
  reading once.
- **New series**: a reading for an attribute that has no series yet creates one, through
  :mod:`cityline.core.actions` as the caller (history records who): key from the entity id
  and attribute, group a slug of the entity type, name "<type> <id> <attribute>", unit from
  ``unitCode``, district and position from the entity's ``district`` and ``location``
  (when present). Only a caller who may add series in the city (a programme or platform
  administrator) creates series; a data steward feeds the series of their organisation.
- Non-numeric properties, relationships and numbers without ``observedAt`` stay in the
  entity's body only.

Who may do what (docs/observations.md, "NGSI-LD"): writes need credentials in the
``Authorization`` header (an API token with the ``write`` scope, or Basic) of a user with a staff
role in the city, and the right to change each series written to (to add one, for a new
series). Writing or deleting an entity (its body, an attribute, the whole entity) needs the right
to write the entity (:func:`_entity_refusal`): to change every series the city has for its id, or,
for an id without series, to add series. Reads need a caller who reads the city's unpublished
records (a staff role; a token with ``read``) unless every series of the entity is public: an
entity without series, or with one unpublished series, is unknown to everyone else (404, so its
existence does not leak).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.text import slugify

from cityline.accounts import authz
from cityline.core import actions

from .. import ingest
from ..locking import take_sqlite_write_lock
from ..models import NgsiEntity, Series
from ..registry import store_for
from ..store import BatchError
from . import domain as d
from .domain import NgsiError

log = logging.getLogger("cityline.observations")

REASON = "NGSI-LD"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 20
#: SQLite: one NGSI-LD write at a time per process (SQLite has one writer anyway; waiting here is cheaper
#: than its busy loop). PostgreSQL takes row locks (select_for_update) instead.
_SQLITE_WRITES = threading.RLock()  # re-entrant: a one-attribute PATCH reads and writes under one lock
#: UN/CEFACT common codes (the ``unitCode`` of Smart Data Models) -> the unit shown on series.
#: A short table of the codes city sensors use; any other code is kept as given.
UNITS = {
    "GQ": "µg/m3", "GP": "mg/m3", "59": "ppm", "61": "ppb", "CEL": "°C", "FAH": "°F", "KEL": "K", "P1": "%",
    "KMH": "km/h", "MTS": "m/s", "MTR": "m", "MMT": "mm", "CMT": "cm", "MTQ": "m3", "LTR": "l", "KWH": "kWh",
    "KWT": "kW", "WTT": "W", "A97": "hPa", "PAL": "Pa", "2N": "dB", "LUX": "lx", "E32": "vehicles/h",
}


@dataclass(frozen=True)
class _Feed:
    """What a write needs of a series: its key, group and organisation."""

    key: str
    group: str
    organisation_id: int | None


@dataclass
class Outcome:
    """What a write did: entity ids created and updated, per-entity errors, readings written."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[NgsiError] = field(default_factory=list)
    readings: int = 0


# --- who may ----------------------------------------------------------------------------------


def require_writer(principal, city) -> None:
    if not principal.authenticated:
        raise NgsiError("not-authenticated", "writes need credentials: Authorization: Bearer <API token>")
    if not principal.has_scope("write"):
        raise NgsiError("forbidden", "this token has no 'write' scope")
    if not authz.is_staff_of(principal, city.pk):
        raise NgsiError("forbidden", f"{principal.label()} has no role in the city {city.key}")


class _Rights:
    """What a principal may do to the series of one city, asked once per organisation (a write may touch many)."""

    def __init__(self, principal, city):
        self.principal, self.city = principal, city
        self.may_add = authz.can(principal, "add", Series(city=city))
        self._change: dict[int | None, bool] = {}

    def may_change(self, organisation_id: int | None) -> bool:
        if organisation_id not in self._change:
            # Who may feed a series depends on its city and organisation only (the Series scope in
            # cityline/accounts/scopes.py): asked once per organisation, on a stand-in.
            self._change[organisation_id] = authz.can(
                self.principal, "change", Series(city=self.city, organisation_id=organisation_id))
        return self._change[organisation_id]


def _entity_refusal(rights: _Rights, entity_id: str, feeds) -> NgsiError | None:
    """Why the principal may not write or delete the entity ``entity_id`` (None: they may).

    The right to write an entity is the right to write all of it: to change every series the city
    has for its id (``feeds``: their keys and organisations; a data steward: those of their
    organisation; an entity fed by series of several organisations: a caller who may change all of
    them, e.g. a programme administrator); for an id without series (the entity belongs to no
    organisation), the right to add series in the city, the right its first reading needs.
    """
    feeds = list(feeds)
    if not feeds:
        if rights.may_add:
            return None
        return NgsiError("forbidden", f"{entity_id}: the entity has no series and {rights.principal.label()} may "
                         "not add series, which writing an entity without series needs", entity_id=entity_id)
    for feed in sorted(feeds, key=lambda f: f.key):
        if not rights.may_change(feed.organisation_id):
            return NgsiError("forbidden", f"{entity_id}: {rights.principal.label()} may not change the series "
                             f"{feed.key} of this entity", entity_id=entity_id)
    return None


def _require_entity_writer(city, principal, entity_id: str) -> None:
    feeds = [_Feed(key, group, org) for key, group, org in Series.objects.filter(
        city=city, entity_id=entity_id).values_list("key", "group", "organisation_id")]
    refusal = _entity_refusal(_Rights(principal, city), entity_id, feeds)
    if refusal is not None:
        raise refusal


def reads_all(principal, city) -> bool:
    return authz.can_read_unpublished(principal, city.pk)


def public_entities(city, ids: set[str] | None = None) -> set[str]:
    """Entity ids whose series are all public (and that have at least one)."""
    qs = Series.objects.filter(city=city).exclude(entity_id="")
    if ids is not None:
        qs = qs.filter(entity_id__in=ids)
    state: dict[str, bool] = {}
    for entity_id, public in qs.values_list("entity_id", "public"):
        state[entity_id] = state.get(entity_id, True) and public
    return {k for k, v in state.items() if v}


# --- writes ---------------------------------------------------------------------------------


def _series_key(city, entity: d.Entity, attribute: str, taken: set[str]) -> str:
    short = entity.id.removeprefix("urn:ngsi-ld:")
    base = slugify(f"{short}-{attribute}".replace(":", "-"))[:80].strip("-") or "ngsi-ld"
    if base not in taken and not Series.objects.filter(city=city, key=base).exists():
        return base
    digest = hashlib.sha1(f"{entity.id}\n{attribute}".encode()).hexdigest()[:8]
    return f"{base[:71].rstrip('-')}-{digest}"


def _new_series(city, user, entity: d.Entity, reading: d.Reading, taken: set[str]) -> Series:
    short = entity.id.removeprefix("urn:ngsi-ld:").removeprefix(f"{entity.type}:")
    key = _series_key(city, entity, reading.attribute, taken)
    fields = {
        "city": city, "key": key, "name": f"{entity.type} {short} {reading.attribute}"[:200],
        "group": (slugify(entity.type)[:40].strip("-") or "ngsi-ld"), "entity_type": entity.type,
        "entity_id": entity.id, "attribute": reading.attribute,
        "unit": UNITS.get(reading.unit_code, reading.unit_code)[:40],
        "district": d.latest_string(entity.attrs, "district")[:100],
    }
    position = d.point(entity.attrs)
    if position:
        fields["latitude"], fields["longitude"] = position
    return actions.create(Series, user=user, reason=f"{REASON}: first reading of {entity.id} {reading.attribute}",
                          **fields)


def _merge(old: dict | None, entity: d.Entity, mode: str) -> dict:
    """The entity's new body: replaced, or (``update``) each attribute's instances merged by datasetId."""
    if mode == "update" and old is not None:
        attrs = {name: d.merge_attribute(old[name], value) if name in old else value
                 for name, value in entity.attrs.items()}
        return {**old, "type": entity.type or old.get("type"), **attrs}
    return entity.body()


def write(city, principal, entities: list[d.Entity], *, mode: str) -> Outcome:
    """Store entities and their readings. ``mode``: create, replace (upsert) or update (merge).

    Per-entity problems (already exists, no right to a series, a series that cannot be made)
    are reported in :attr:`Outcome.errors`; the other entities are stored. All or nothing per
    request for what passed those checks: one transaction, one store write.
    """
    require_writer(principal, city)
    user = principal.user
    outcome = Outcome()
    ids = {e.id for e in entities}
    now = datetime.now(timezone.utc)
    with _writing():
        # Plain values, not model instances: of the known entities their type (and their body to merge
        # into, for an update), of the series what the rows and the right to feed them need. Building
        # the model instances (JSON bodies, 20 fields a series) was a third of a 100-entity batch upsert.
        locked = NgsiEntity.objects.select_for_update().filter(city=city, entity_id__in=ids)
        if mode == "update":
            existing = {e: (t, body) for e, t, body in locked.values_list("entity_id", "entity_type", "body")}
        else:
            existing = {e: (t, None) for e, t in locked.values_list("entity_id", "entity_type")}
        series = {(e, a): _Feed(key, group, org) for key, group, e, a, org in
                  Series.objects.filter(city=city, entity_id__in=ids).values_list(
                      "key", "group", "entity_id", "attribute", "organisation_id")}
        rights = _Rights(principal, city)
        # the right to write each entity, decided on its series as they were before this request
        feeds: dict[str, list[_Feed]] = {}
        for (entity_id, _attribute), feed in series.items():
            feeds.setdefault(entity_id, []).append(feed)
        refusals = {i: _entity_refusal(rights, i, feeds.get(i, ())) for i in ids}
        taken: set[str] = set()
        rows: list[dict] = []
        bodies: dict[str, dict] = {}
        created_ids: list[str] = []
        for entity in entities:  # in order; a copy of an entity that fails changes nothing, earlier copies stand
            known = entity.id in existing or entity.id in bodies
            if mode == "create" and known:
                outcome.errors.append(NgsiError("AlreadyExists", f"entity {entity.id} already exists",
                                                entity_id=entity.id))
                continue
            if not entity.type:
                if entity.id in bodies:
                    entity.type = bodies[entity.id]["type"]
                elif entity.id in existing:
                    entity.type = existing[entity.id][0]
                else:
                    outcome.errors.append(d.bad(f"{entity.id}: type: missing", entity_id=entity.id))
                    continue
            try:
                if refusals[entity.id] is not None:
                    raise refusals[entity.id]
                entity_rows = []
                for reading in d.readings(entity.attrs):
                    s = series.get((entity.id, reading.attribute))
                    if s is None:
                        if not rights.may_add:
                            raise NgsiError("forbidden", f"{entity.id}: there is no series for the attribute "
                                            f"{reading.attribute!r} and {principal.label()} may not add one",
                                            entity_id=entity.id)
                        made = _create_series(city, user, entity, reading, taken)
                        s = series[(entity.id, reading.attribute)] = _Feed(made.key, made.group, made.organisation_id)
                        taken.add(s.key)
                    if not rights.may_change(s.organisation_id):
                        raise NgsiError("forbidden", f"{entity.id}: {principal.label()} may not feed the series "
                                        f"{s.key}", entity_id=entity.id)
                    entity_rows.append({"series": s.key, "time": reading.time, "value": reading.value})
            except NgsiError as exc:
                exc.entity_id = entity.id
                outcome.errors.append(exc)
                continue
            rows.extend(entity_rows)
            old = bodies.get(entity.id) or (existing[entity.id][1] if entity.id in existing else None)
            bodies[entity.id] = _merge(old, entity, "replace" if mode == "create" else mode)
            if not known:
                created_ids.append(entity.id)
        _save_entities(city, bodies, now, create_only=(mode == "create"))
        if rows:
            try:
                # the groups of the series written to (all known here): no need to list the city's series
                groups = {s.key: s.group for s in series.values()}
                report = ingest.write_observations(city, rows, groups=groups)
            except BatchError as exc:  # every row was checked: a bug, not the caller's data
                log.exception("NGSI-LD: the store refused a checked batch")
                raise NgsiError("InternalError", f"the readings could not be stored: {exc}") from exc
            outcome.readings = report.rows
    outcome.created = [i for i in created_ids if i in bodies]
    outcome.updated = [i for i in bodies if i not in set(created_ids)]
    return outcome


@contextmanager
def _writing():
    """The transaction of one NGSI-LD write; on SQLite, under this process's write lock and SQLite's from the start."""
    sqlite = connection.vendor == "sqlite"
    with (_SQLITE_WRITES if sqlite else nullcontext()), transaction.atomic():
        take_sqlite_write_lock(NgsiEntity)  # SQLite: reading first, it would fail when another connection writes
        yield


def _create_series(city, user, entity: d.Entity, reading: d.Reading, taken: set[str]) -> Series:
    try:
        with transaction.atomic():
            return _new_series(city, user, entity, reading, taken)
    except IntegrityError:
        # Another request made the same series meanwhile: use it.
        found = Series.objects.filter(city=city, entity_id=entity.id, attribute=reading.attribute).first()
        if found is None:
            raise NgsiError("BadRequestData", f"{entity.id}: the series for {reading.attribute!r} could not be "
                            "created (its key is taken)", entity_id=entity.id) from None
        return found
    except ValidationError as exc:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()) \
            if hasattr(exc, "message_dict") else " ".join(exc.messages)
        raise NgsiError("BadRequestData", f"{entity.id}: no series can be made for {reading.attribute!r}: "
                        f"{problems}", entity_id=entity.id) from None


def _save_entities(city, bodies: dict[str, dict], now, *, create_only: bool) -> None:
    """Insert the new entities and update the known ones in one statement per 500.

    One ``INSERT ... ON CONFLICT (city, entity_id) DO UPDATE`` for both (without the ``ON CONFLICT``
    clause when only creating: a known entity is then an ``IntegrityError``). The conflict update sets
    the body, type and ``modified_at`` only, so a known entity keeps its ``created_at``; the rows of
    this request are locked (``select_for_update`` in :func:`write`), and two upserts of one new entity
    at once leave the later one.

    The statement is written here rather than by Django's ``bulk_create(update_conflicts=True)``, which
    builds the same SQL: its compiler (a model instance and a prepared expression per value) took a third
    of a 100-entity batch upsert's time; the values are still prepared by the model's own fields
    (``get_db_prep_save``), so a body is stored exactly as the ORM stores it. (``bulk_update`` was worse
    again: a ``CASE`` expression per field and row.)
    """
    if not bodies:
        return
    meta, qn = NgsiEntity._meta, connection.ops.quote_name
    columns = ["city", "entity_id", "entity_type", "body", "created_at", "modified_at"]
    fields = [meta.get_field(name) for name in columns]
    body_field, stamp = fields[3], fields[4].get_db_prep_save(now, connection)
    rows = [(city.pk, entity_id, body["type"], body_field.get_db_prep_save(body, connection), stamp, stamp)
            for entity_id, body in bodies.items()]
    insert = (f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES ")
    conflict = "" if create_only else (
        f" ON CONFLICT ({qn(fields[0].column)}, {qn(fields[1].column)}) DO UPDATE SET "
        + ", ".join(f"{qn(f.column)} = EXCLUDED.{qn(f.column)}" for f in (fields[3], fields[2], fields[5])))
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for i in range(0, len(rows), 500):
                chunk = rows[i:i + 500]
                cursor.execute(insert + ", ".join([one] * len(chunk)) + conflict, [v for row in chunk for v in row])
    except IntegrityError:
        raise NgsiError("AlreadyExists", "an entity of this request was created by another request "
                        "meanwhile") from None


def update_attributes(city, principal, entity_id: str, attrs: dict, *, only_existing: bool,
                      overwrite: bool = True) -> tuple[list[str], list[dict]]:
    """PATCH (``only_existing``) or POST (append) attributes: (updated names, not updated with reasons).

    The entity is read under the write lock :func:`write` takes again (re-entrant), so which attributes it
    has cannot change between the check and the write."""
    require_writer(principal, city)
    with _writing():
        row = NgsiEntity.objects.select_for_update().filter(city=city, entity_id=entity_id).first()
        if row is None:
            raise NgsiError("ResourceNotFound", f"no entity {entity_id}")
        keep, skipped = {}, []
        for name, value in attrs.items():
            if only_existing and name not in row.body:
                skipped.append({"attributeName": name, "reason": "the entity has no such attribute (use POST "
                                                                 "/entities/{id}/attrs to add one)"})
            elif not overwrite and name in row.body:
                skipped.append({"attributeName": name, "reason": "the attribute exists (noOverwrite)"})
            else:
                keep[name] = value
        if keep:
            outcome = write(city, principal, [d.Entity(entity_id, row.entity_type, keep)], mode="update")
            if outcome.errors:
                raise outcome.errors[0]
    return sorted(keep), skipped


def update_attribute(city, principal, entity_id: str, name: str, fragment: dict) -> None:
    """Partial Attribute Update (PATCH /entities/{id}/attrs/{attr}): the instance the fragment names, its members
    replaced (:func:`.domain.partial_update`), then written by :func:`update_attributes` as PATCH
    /entities/{id}/attrs writes it (the same readings, series and rights). The entity is read under the write
    lock, as :func:`forget_attribute` reads it, so a change made meanwhile by another request is not lost."""
    require_writer(principal, city)
    with _writing():
        body = (NgsiEntity.objects.select_for_update().filter(city=city, entity_id=entity_id)
                .values_list("body", flat=True).first())
        if body is None:
            raise NgsiError("ResourceNotFound", f"no entity {entity_id}")
        instance = d.partial_update(body, name, fragment, entity_id=entity_id)
        _, skipped = update_attributes(city, principal, entity_id, {name: instance}, only_existing=True)
    if skipped:  # cannot happen under the lock; kept as the answer should it ever
        raise NgsiError("ResourceNotFound", f"{entity_id}: the entity has no attribute {name!r}")


def forget_attribute(city, principal, entity_id: str, name: str, *, dataset_id: str | None = None,
                     delete_all: bool = False) -> None:
    """Delete an attribute's instance (``delete_all``: all of them) from an entity's latest state, as :func:`forget`
    does the entity's: the attribute's series and readings stay (:func:`.domain.without_attribute`). Needs the
    right to write the entity (:func:`_entity_refusal`)."""
    require_writer(principal, city)
    with _writing():
        row = NgsiEntity.objects.select_for_update().filter(city=city, entity_id=entity_id).first()
        if row is None:
            raise NgsiError("ResourceNotFound", f"no entity {entity_id}")
        _require_entity_writer(city, principal, entity_id)
        body = d.without_attribute(row.body, name, entity_id=entity_id, dataset_id=dataset_id, delete_all=delete_all)
        NgsiEntity.objects.filter(pk=row.pk).update(body=body, modified_at=datetime.now(timezone.utc))


def forget(city, principal, entity_id: str) -> None:
    """Forget an entity's latest state; its series and readings stay (they are the city's history). Needs the
    right to write the entity (:func:`_entity_refusal`)."""
    require_writer(principal, city)
    with _writing():
        row = NgsiEntity.objects.select_for_update().filter(city=city, entity_id=entity_id).first()
        if row is None:
            raise NgsiError("ResourceNotFound", f"no entity {entity_id}")
        _require_entity_writer(city, principal, entity_id)
        NgsiEntity.objects.filter(pk=row.pk).delete()  # an operational record (no history), like its writes


# --- reads ----------------------------------------------------------------------------------


def _sys(body: dict, row: dict | NgsiEntity) -> dict:
    created = row["created_at"] if isinstance(row, dict) else row.created_at
    modified = row["modified_at"] if isinstance(row, dict) else row.modified_at
    return {**body, "createdAt": d.format_time(created), "modifiedAt": d.format_time(modified)}


def get(city, principal, entity_id: str, *, attrs: list[str] | None = None, sys_attrs: bool = False) -> dict:
    row = NgsiEntity.objects.filter(city=city, entity_id=entity_id).first()
    if row is None or not (reads_all(principal, city) or entity_id in public_entities(city, {entity_id})):
        raise NgsiError("ResourceNotFound", f"no entity {entity_id}")
    if attrs is not None and not set(attrs) & set(row.body):
        raise NgsiError("ResourceNotFound", f"attrs: entity {entity_id} has none of the attributes {', '.join(attrs)}")
    body = d.project(row.body, attrs)
    return _sys(body, row) if sys_attrs else body


def query(city, principal, *, types: list[str] | None, ids: list[str] | None, q=None, attrs: list[str] | None,
          limit: int = DEFAULT_LIMIT, offset: int = 0, sys_attrs: bool = False,
          id_pattern: Callable[[str], bool] | None = None) -> tuple[list[dict], int]:
    """Entities of the types (ids, ids matching ``id_pattern``) matching ``q`` on their latest values: (page, total)."""
    if types is None and ids is None and q is None and attrs is None and id_pattern is None:
        raise d.bad("give at least one of type, id, idPattern, q or attrs")
    if limit > MAX_LIMIT:
        raise NgsiError("TooManyResults", f"limit: at most {MAX_LIMIT} entities per page")
    qs = NgsiEntity.objects.filter(city=city)
    if types is not None:
        qs = qs.filter(entity_type__in=types)
    if ids is not None:
        qs = qs.filter(entity_id__in=ids)
    rows = list(qs.order_by("entity_id").values("entity_id", "body", "created_at", "modified_at"))
    if rows and not reads_all(principal, city):
        visible = public_entities(city, {r["entity_id"] for r in rows})
        rows = [r for r in rows if r["entity_id"] in visible]
    if id_pattern is not None:
        rows = [r for r in rows if id_pattern(r["entity_id"])]
    if q is not None:
        rows = [r for r in rows if d.matches(q, r["body"])]
    if attrs is not None:
        wanted = set(attrs)
        rows = [r for r in rows if wanted & set(r["body"])]
    page = rows[offset:offset + limit]
    out = []
    for r in page:
        body = d.project(r["body"], attrs)
        out.append(_sys(body, r) if sys_attrs else body)
    return out, len(rows)


def temporal(city, principal, entity_id: str, *, attrs: list[str] | None, window: d.Window) -> dict:
    """The temporal representation of an entity's series: each attribute's readings in time order."""
    row = NgsiEntity.objects.filter(city=city, entity_id=entity_id).first()
    all_series = list(Series.objects.filter(city=city, entity_id=entity_id).order_by("attribute"))
    visible = reads_all(principal, city) or (all_series and all(s.public for s in all_series))
    if (row is None and not all_series) or not visible:
        raise NgsiError("ResourceNotFound", f"no entity {entity_id}")
    chosen = [s for s in all_series if attrs is None or s.attribute in attrs]
    if attrs is not None and not chosen:
        raise NgsiError("ResourceNotFound", f"attrs: entity {entity_id} has no readings of {', '.join(attrs)}")
    out: dict = {"id": entity_id, "type": row.entity_type if row else all_series[0].entity_type}
    if not chosen:
        return out
    by_key = {s.key: s for s in chosen}
    where, params = ["series IN (" + ", ".join("?" for _ in by_key) + ")"], list(by_key)
    if window.start is not None:
        where.append("time >= ?")
        params.append(window.start)
    if window.end is not None:
        where.append("time < ?")
        params.append(window.end)
    sql = f"SELECT series, time, value FROM observations WHERE {' AND '.join(where)}"
    if window.last_n:
        sql += " QUALIFY row_number() OVER (PARTITION BY series ORDER BY time DESC) <= ?"
        params.append(window.last_n)
    sql += " ORDER BY series, time"
    con = store_for(city).connect()
    try:
        found = con.sql(sql, params=params).fetchall()
    finally:
        con.close()
    units = {}
    if row is not None:
        for name in {s.attribute for s in chosen}:
            for inst in d.instances(row.body.get(name, [])):
                if isinstance(inst, dict) and inst.get("unitCode"):
                    units[name] = inst["unitCode"]
    for key, time, value in found:
        attribute = by_key[key].attribute
        instance = {"type": "Property", "value": value, "observedAt": d.format_time(time)}
        if attribute in units:
            instance["unitCode"] = units[attribute]
        out.setdefault(attribute, []).append(instance)
    return out


def simplified_temporal(troe: dict) -> dict:
    """``options=temporalValues``: each attribute as ``{"type": "Property", "values": [[value, time], ...]}``."""
    out = {}
    for name, value in troe.items():
        if name in ("id", "type"):
            out[name] = value
        else:
            out[name] = {"type": "Property", "values": [[i["value"], i["observedAt"]] for i in value]}
    return out
