"""The tamper-evident audit trail: every historical row sealed in one hash chain (B2.g, B10).

django-simple-history keeps one historical table per tracked model (see
:mod:`cityline.core.history`). This module adds one :class:`~cityline.core.audit_models.AuditEntry`
per historical row, written in the same transaction as the change, whose ``hash`` covers

    prev_hash, seq, model, history_id, row_digest, actor, at

so that any later edit, deletion or insertion in the stored history shows up when the chain
is walked again (:func:`verify`, ``cityline audit verify``). The head (``cityline audit head``)
can be published elsewhere: only against such an anchor can a cut-off tail be detected.

Decisions (docs/identity/audit.md):

- ``row_digest`` is SHA-256 of a canonical JSON object of the historical row's fields, every
  field except ``history_id`` (sealed in the hash itself) and ``history_user_id`` (erasing a
  user sets it to NULL, which must not break the chain). The digested field names are kept
  with the entry, so adding a column to a tracked model later does not invalidate old entries.
- ``actor`` is a pseudonym: HMAC-SHA256 of the user's id with a key derived from SECRET_KEY.
  The chain never holds a username.
- Appends are serialised: ``pg_advisory_xact_lock`` on PostgreSQL; SQLite serialises writers.
  ``seq`` and ``prev_hash`` are unique, so even a missed lock cannot fork the chain (the second
  writer fails instead).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, Iterable

from django.apps import apps
from django.db import connections, models, router, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .audit_models import GENESIS, AuditEntry

#: Fields of a historical row the digest leaves out (see the module docstring).
EXCLUDED = {"history_id", "history_user_id"}
#: The advisory lock that serialises appends on PostgreSQL ("CityAud").
LOCK_KEY = 0x43697479417564


# --- canonical form --------------------------------------------------------------------------

def _utc(v: datetime) -> str:
    if timezone.is_naive(v):
        v = timezone.make_aware(v)
    return v.astimezone(UTC).isoformat(timespec="microseconds")


def _decimal(value: Any) -> str:
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    return format(d.normalize(), "f")


def _duration(v: timedelta) -> int:
    return (v.days * 86400 + v.seconds) * 1_000_000 + v.microseconds


def _converter(f: models.Field) -> Callable[[Any], Any]:
    """How one field's value is written canonically: the same before and after a database round trip."""
    if isinstance(f, models.ForeignKey):
        f = f.target_field
    if isinstance(f, models.BooleanField):
        return bool
    if isinstance(f, models.DecimalField):
        return _decimal
    if isinstance(f, models.DateTimeField):
        return lambda v: _utc(f.to_python(v))
    if isinstance(f, models.DateField):
        return lambda v: f.to_python(v).isoformat()
    if isinstance(f, models.TimeField):
        return lambda v: f.to_python(v).isoformat()
    if isinstance(f, models.DurationField):
        return lambda v: _duration(f.to_python(v))
    if isinstance(f, models.FloatField):
        return float
    if isinstance(f, (models.IntegerField, models.AutoField)):
        return int
    if isinstance(f, models.UUIDField):
        return lambda v: str(v if isinstance(v, uuid.UUID) else uuid.UUID(str(v)))
    if isinstance(f, models.JSONField):
        return lambda v: v
    if isinstance(f, models.FileField):
        return lambda v: str(getattr(v, "name", v) or "")
    return str


def canonical(f: models.Field, value: Any) -> Any:
    """One field value in canonical form (``None`` stays ``None``)."""
    return None if value is None else _converter(f)(value)


def digest_fields(historical_model: type[models.Model]) -> list[models.Field]:
    """The fields of a historical model the row digest covers, sorted by column name."""
    return sorted((f for f in historical_model._meta.concrete_fields if f.attname not in EXCLUDED),
                  key=lambda f: f.attname)


Spec = list[tuple[str, Callable[[Any], Any]]]


def digest_spec(fields: Iterable[models.Field]) -> Spec:
    return [(f.attname, _converter(f)) for f in fields]


def row_digest(row: models.Model, fields: Iterable[models.Field] | Spec) -> str:
    """SHA-256 of the canonical JSON of ``row``'s ``fields`` (sorted keys, no spaces, UTF-8)."""
    spec = fields if isinstance(fields, list) and fields and isinstance(fields[0], tuple) else digest_spec(fields)
    data = {}
    for name, conv in spec:
        value = getattr(row, name)
        data[name] = None if value is None else conv(value)
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def pseudonym(user_id: int | None) -> str:
    """The actor of a change: HMAC-SHA256 of the user id keyed from SECRET_KEY; "" for none."""
    if user_id is None:
        return ""
    return salted_hmac("cityline.core.audit.actor", str(user_id), algorithm="sha256").hexdigest()


def _at(value: datetime) -> str:
    return _utc(value)


def entry_hash(prev_hash: str, seq: int, model: str, history_id: int, digest: str, actor: str,
               at: datetime) -> str:
    """The hash of one link: SHA-256 of the canonical JSON array of its sealed parts."""
    blob = json.dumps([prev_hash, int(seq), model, int(history_id), digest, actor, _at(at)],
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# --- the tracked models ----------------------------------------------------------------------

def historical_models() -> list[type[models.Model]]:
    """Every simple-history historical model (one per tracked model), in a stable order."""
    found = [m for m in apps.get_models() if hasattr(m, "instance_type") and hasattr(m, "history_id")
             and "history_type" in {f.name for f in m._meta.concrete_fields}]
    return sorted(found, key=lambda m: m.instance_type._meta.label_lower)


def _city_of(row: models.Model, label: str) -> int | None:
    if label == "core.city":
        return row.id
    return getattr(row, "city_id", None)


_FIELDS: dict[type[models.Model], tuple[Spec, str, str]] = {}


def _fields_of(historical_model) -> tuple[Spec, str, str]:
    """(digest spec, digested field names, primary key column of the tracked model), per historical model."""
    cached = _FIELDS.get(historical_model)
    if cached is None:
        fields = digest_fields(historical_model)
        cached = _FIELDS[historical_model] = (digest_spec(fields), ",".join(f.attname for f in fields),
                                              historical_model.instance_type._meta.pk.attname)
    return cached


# --- appending -------------------------------------------------------------------------------

def _head_for_append(using: str) -> tuple[int, str]:
    """The chain head, locked for this transaction. Cached while this transaction holds the lock.

    The cache is tied to an ``on_commit`` marker: commit, rollback, and the rollback of a
    savepoint that holds the marker all drop it, so the head is read again from the database.
    """
    conn = connections[using]
    cached = getattr(conn, "_cityline_audit_head", None)
    if cached is not None:
        idx, marker, seq, head = cached
        queue = conn.run_on_commit
        if conn.in_atomic_block and idx < len(queue) and queue[idx][1] is marker:
            return seq, head
    if conn.vendor == "postgresql":
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
    last = AuditEntry.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
    return last if last else (0, GENESIS)


def _remember_head(using: str, seq: int, head: str) -> None:
    conn = connections[using]

    def marker() -> None:  # runs (as a no-op) at commit; its presence marks the cache as valid
        conn._cityline_audit_head = None

    transaction.on_commit(marker, using=using)
    conn._cityline_audit_head = (len(conn.run_on_commit) - 1, marker, seq, head)


_COLUMNS = ("seq", "at", "model", "history_id", "object_id", "city_id", "kind", "actor", "fields", "row_digest",
            "prev_hash", "hash")


def _append(rows: list[models.Model], using: str) -> None:
    seq, head = _head_for_append(using)
    conn = connections[using]
    at_field = AuditEntry._meta.get_field("at")
    params = []
    for row in rows:
        model = type(row)
        label = model.instance_type._meta.label_lower
        spec, names, pk_name = _fields_of(model)
        digest = row_digest(row, spec)
        actor = pseudonym(row.history_user_id)
        seq += 1
        h = entry_hash(head, seq, label, row.history_id, digest, actor, row.history_date)
        params.append((seq, at_field.get_db_prep_value(row.history_date, conn), label, row.history_id,
                       getattr(row, pk_name), _city_of(row, label), row.history_type, actor, names, digest, head, h))
        head = h
    # One plain INSERT per batch: this runs for every history row (thousands in a pack import).
    table = conn.ops.quote_name(AuditEntry._meta.db_table)
    columns = ", ".join(conn.ops.quote_name(c) for c in _COLUMNS)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
    with conn.cursor() as cur:
        if len(params) == 1:
            cur.execute(sql, params[0])
        else:
            cur.executemany(sql, params)
    _remember_head(using, seq, head)


def seal(rows: Iterable[models.Model], using: str | None = None) -> None:
    """Append entries for historical rows already saved, in order (same transaction as the caller's).

    The signal handler calls it for every row simple-history writes. Bulk paths that bypass
    the signal (``bulk_create_with_history``, ``bulk_history_create``) must call it with the
    rows they created; :func:`verify` reports any row left unsealed.
    """
    rows = list(rows)
    if not rows:
        return
    using = using or router.db_for_write(AuditEntry)
    if connections[using].in_atomic_block:
        _append(rows, using)
        return
    with transaction.atomic(using=using):
        _append(rows, using)


def bulk_history_create(model: type[models.Model], objs: list[models.Model], **kwargs) -> list[models.Model]:
    """``model.history.bulk_history_create`` followed by sealing the new rows (one transaction)."""
    with transaction.atomic():
        rows = model.history.bulk_history_create(objs, **kwargs)
        if rows and any(r.history_id is None for r in rows):  # backends without RETURNING on bulk insert
            rows = list(model.history.order_by("-history_id")[: len(rows)])[::-1]
        seal(rows)
    return rows


def on_historical_record(sender, history_instance=None, using=None, **kwargs) -> None:
    """simple-history's ``post_create_historical_record``: seal the new row."""
    if history_instance is not None and history_instance.pk is not None:
        seal([history_instance], using=using or history_instance._state.db)


def connect() -> None:
    from simple_history.signals import post_create_historical_record

    post_create_historical_record.connect(on_historical_record, dispatch_uid="cityline.core.audit")


# --- verifying -------------------------------------------------------------------------------

@dataclass
class Problem:
    seq: int | None
    model: str
    object_id: int | None
    history_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "no entry"
        return f"{where}: {self.model} object {self.object_id} history {self.history_id}: {self.message}"


@dataclass
class Report:
    city: str | None
    entries: int = 0
    rows: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"city": self.city, "ok": self.ok, "entries": self.entries, "rows": self.rows,
                "head_seq": self.head_seq, "head_hash": self.head_hash,
                "problems": [p.__dict__ | {"text": str(p)} for p in self.problems]}


def head() -> tuple[int, str]:
    """The last entry's seq and hash ((0, GENESIS) for an empty chain)."""
    last = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    return last if last else (0, GENESIS)


def _rows_in_scope(city) -> dict[tuple[str, int], models.Model]:
    rows: dict[tuple[str, int], models.Model] = {}
    for hm in historical_models():
        label = hm.instance_type._meta.label_lower
        qs = hm.objects.all()
        if city is not None:
            if label == "core.city":
                qs = qs.filter(id=city.pk)
            elif "city_id" in {f.attname for f in hm._meta.concrete_fields}:
                qs = qs.filter(city_id=city.pk)
            else:
                continue
        for row in qs.iterator(chunk_size=2000):
            rows[(label, row.history_id)] = row
    return rows


def verify(city=None, *, progress: bool = False) -> Report:
    """Walk the whole chain and check it against the historical tables.

    Every entry's hash is recomputed and its link to the previous one checked; ``seq`` must
    run 1, 2, 3 … without gaps. With ``city``, the rows checked (each entry's row exists and
    matches its digest; every row has an entry) are that city's only, but the chain itself
    is always walked in full: one broken link makes everything after it unproven.
    """
    report = Report(city=getattr(city, "key", None))
    rows = _rows_in_scope(city)
    report.rows = len(rows)
    by_label = {hm.instance_type._meta.label_lower: hm for hm in historical_models()}
    fields_cache: dict[tuple[str, str], list[models.Field] | str] = {}
    problems = report.problems

    total = AuditEntry.objects.count()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="entry", desc="audit", file=sys.stderr, disable=not total)
    expected, prev = 1, GENESIS
    for e in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        report.entries += 1
        if bar is not None:
            bar.update(1)

        def problem(message: str, entry=e) -> None:
            problems.append(Problem(entry.seq, entry.model, entry.object_id, entry.history_id, message))

        if e.seq != expected:
            if e.seq > expected:
                problem(f"entries {expected}..{e.seq - 1} are missing (deleted from the chain)")
            else:
                problem(f"sequence goes back (expected {expected})")
        elif e.prev_hash != prev:
            problem("does not link to the previous entry (previous entry altered or replaced)")
        if entry_hash(e.prev_hash, e.seq, e.model, e.history_id, e.row_digest, e.actor, e.at) != e.hash:
            problem("entry altered: its hash does not match its contents")
        expected, prev = e.seq + 1, e.hash
        report.head_seq, report.head_hash = e.seq, e.hash

        if city is not None and e.city_id != city.pk:
            continue
        row = rows.pop((e.model, e.history_id), None)
        if row is None:
            problem("historical row missing (deleted behind the chain's back)")
            continue
        key = (e.model, e.fields)
        fields = fields_cache.get(key)
        if fields is None:
            known = {f.attname: f for f in digest_fields(by_label[e.model])}
            gone = [n for n in e.fields.split(",") if n not in known]
            fields = fields_cache[key] = (f"fields no longer stored: {', '.join(gone)}" if gone
                                          else digest_spec([known[n] for n in e.fields.split(",")]))
        if isinstance(fields, str):
            problem(fields)
            continue
        if row_digest(row, fields) != e.row_digest:
            problem("historical row altered: its contents do not match the sealed digest")
        model = type(row)
        if (e.kind, e.object_id, e.city_id) != (row.history_type, getattr(row, model.instance_type._meta.pk.attname),
                                                _city_of(row, e.model)):
            problem("entry does not describe its historical row (kind, object or city altered)")
        if row.history_user_id is not None and pseudonym(row.history_user_id) != e.actor:
            problem("historical row's user does not match the sealed actor")
    if bar is not None:
        bar.close()
    for (label, history_id), row in sorted(rows.items()):
        model = type(row)
        problems.append(Problem(None, label, getattr(row, model.instance_type._meta.pk.attname), history_id,
                                "historical row has no audit entry (written behind the chain's back)"))
    return report


# --- chaining what is already there (the data migration) -------------------------------------

def _stream(qs, spec):
    label = spec[0]
    for r in qs.iterator(chunk_size=2000):
        yield r.history_date, label, r.history_id, spec, r


def chain_existing(state_apps, using: str = "default", batch: int = 1000) -> int:
    """Seal every historical row already stored, ordered by (history_date, model, history_id).

    Used by the data migration on an upgraded instance; ``state_apps`` is the migration state.
    Rows already sealed are skipped, so running it twice does nothing the second time.
    """
    Entry = state_apps.get_model("core", "AuditEntry")
    sealed = set(Entry.objects.using(using).values_list("model", "history_id"))
    last = Entry.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
    seq, prev = last if last else (0, GENESIS)
    streams = []
    for hm in state_apps.get_models():
        names = {f.attname for f in hm._meta.concrete_fields}
        if not hm.__name__.startswith("Historical") or not {"history_id", "history_type"} <= names:
            continue
        tracked = state_apps.get_model(hm._meta.app_label, hm.__name__[len("Historical"):])
        label = tracked._meta.label_lower
        fields = digest_fields(hm)
        spec = (label, digest_spec(fields), ",".join(f.attname for f in fields), tracked._meta.pk.attname)
        streams.append(_stream(hm.objects.using(using).order_by("history_date", "history_id"), spec))
    pending = []
    count = 0
    for when, label, history_id, (_, fields, names, pk_name), row in heapq.merge(*streams, key=lambda t: t[:3]):
        if (label, history_id) in sealed:
            continue
        digest = row_digest(row, fields)
        actor = pseudonym(row.history_user_id)
        seq += 1
        h = entry_hash(prev, seq, label, history_id, digest, actor, when)
        pending.append(Entry(seq=seq, at=when, model=label, history_id=history_id,
                             object_id=getattr(row, pk_name), city_id=_city_of(row, label), kind=row.history_type,
                             actor=actor, fields=names, row_digest=digest, prev_hash=prev, hash=h))
        prev = h
        count += 1
        if len(pending) >= batch:
            Entry.objects.using(using).bulk_create(pending)
            pending = []
    if pending:
        Entry.objects.using(using).bulk_create(pending)
    return count


# --- command line ----------------------------------------------------------------------------

def cli_verify(city_key: str | None) -> int:
    from .models import City

    city = None
    if city_key:
        city = City.objects.filter(key=city_key).first()
        if city is None:
            known = ", ".join(City.objects.order_by("key").values_list("key", flat=True)) or "none"
            print(f"error: no city with key {city_key!r} (cities here: {known})", file=sys.stderr)
            return 2
    report = verify(city, progress=True)
    scope = f"city {city.key}" if city else "all cities"
    if report.ok:
        print(f"audit chain verified ({scope}): {report.entries} entries, {report.rows} historical rows, "
              f"head {report.head_seq} {report.head_hash}")
        return 0
    print(f"audit chain has {len(report.problems)} problem(s) ({scope}):")
    for p in report.problems:
        print(f"  {p}")
    return 1


def cli_head() -> int:
    seq, h = head()
    print(f"{seq} {h}")
    return 0
