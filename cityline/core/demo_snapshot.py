"""Tests only: the demo city pack, imported for real once per process and database, then restored.

Importing the demo pack (:data:`settings.CITYLINE_DEMO_PACK`) takes about 17 s: some 4,000 records
with their history and audit entries through :mod:`cityline.core.actions`, and 34 open data files
validated and converted. Many tests only need the demo city to be there. :func:`import_demo_pack`
does the real import the first time in a process (per database and per version of the pack) and
takes a snapshot of what it wrote; afterwards it restores that snapshot, in the current
transaction, in a fraction of a second.

The snapshot
    * ``before``: the row count of every table, and the full contents of the tables the import
      changes and of the tables those refer to (foreign keys), as they were before the import;
    * ``after``: the full contents of every table the import changed (compared row by row, so
      an update that keeps the count is seen too);
    * the city's open data folder (``settings.CITYLINE_OPENDATA_DIR/<city key>``), copied aside.

A restore happens only when the database is exactly in the ``before`` state (same count in every
table, same contents in the guarded tables); otherwise (a test that created records first) the
pack is imported for real, as before. A restore deletes the rows of the changed tables, inserts
the captured ones (foreign keys are checked at commit: Django creates them ``DEFERRABLE INITIALLY
DEFERRED`` on SQLite and PostgreSQL, so the order of inserts does not matter), puts the open data
folder back, resets PostgreSQL's sequences to the restored ids, and reproduces what the import
leaves to later: the sections' ``after_commit`` work (publishing the KPIs as open data) runs on
commit, as after a real import; the audit chain's cached head and the CKAN index cache are dropped.

What differs from a real import: times written by the import (history dates, audit entry times,
``created``/``modified``) are those of the first import in the process, and on PostgreSQL the ids
are those of the first import (a real import takes the next values of the sequences).
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, transaction

#: How many snapshots to keep per database and pack (one per distinct "before" state).
MAX_SNAPSHOTS = 3

_SNAPSHOTS: dict[tuple, list[Snapshot]] = {}
#: Counters for tests and for the curious: real imports and restores done by this process.
STATS = {"imports": 0, "restores": 0}


@dataclass
class Table:
    columns: list[str]
    rows: list[tuple]
    json: dict[int, str] = field(default_factory=dict)  # PostgreSQL: column index → "json" | "jsonb"


@dataclass
class Snapshot:
    city_key: str
    counts: dict[str, int]  # every table's row count before the import
    guarded: dict[str, list[tuple]]  # before: sorted rows of the changed tables and the tables they refer to
    after: dict[str, Table]  # after: the changed tables' rows
    files: Path | None  # a copy of the city's open data folder (None: the import wrote none)
    models: list = field(default_factory=list)  # models of the changed tables (sequence reset)


# --- public -----------------------------------------------------------------------------------------


def import_demo_pack(using: str = DEFAULT_DB_ALIAS):
    """The demo City: imported for real the first time (per process, database and pack version), then
    restored from a snapshot whenever the database is in the state it was before that first import."""
    from cityline.core.models import City

    key = restore_or_load(Path(settings.CITYLINE_DEMO_PACK), _import_demo, using=using)
    return City.objects.using(using).get(key=key)


def _import_demo(directory: Path) -> str:
    from cityline.core.packs import import_pack

    return import_pack(directory, progress=False, trusted=True).city_key


def restore_or_load(directory: Path, load, using: str = DEFAULT_DB_ALIAS) -> str:
    """Restore the snapshot of ``load(directory)`` (which imports a pack and returns its city key) when
    the database is in that snapshot's before state, else run ``load`` and take a snapshot of it."""
    connection = connections[using]
    cache_key = (connection.vendor, connection.settings_dict["NAME"], using, str(directory.resolve()),
                 _fingerprint(directory))
    snapshots = _SNAPSHOTS.setdefault(cache_key, [])
    counts = _counts(connection)
    for snap in snapshots:
        if snap.counts == counts and all(_sorted_rows(connection, t) == rows
                                         for t, rows in snap.guarded.items() if rows):
            with transaction.atomic(using=using):
                _restore(connection, snap)
            STATS["restores"] += 1
            return snap.city_key
    if len(snapshots) >= MAX_SNAPSHOTS:
        STATS["imports"] += 1
        return load(directory)
    snap = _capture(connection, directory, load, counts)
    snapshots.append(snap)
    return snap.city_key


# --- capture ----------------------------------------------------------------------------------------


def _capture(connection, directory: Path, load, counts: dict[str, int]) -> Snapshot:
    before = {t: _sorted_rows(connection, t) for t, n in counts.items() if n}
    # In a transaction of our own even in autocommit: the state is read before the import's
    # on_commit work runs (that work is replayed on commit after a restore, as after a real import).
    with transaction.atomic(using=connection.alias):
        city_key = load(directory)
        STATS["imports"] += 1
        now = _counts(connection)
        changed = [t for t in now if now[t] != counts.get(t, 0)
                   or (now[t] and _sorted_rows(connection, t) != before.get(t, []))]
        after = {t: _read(connection, t) for t in changed}
        files = _copy_files(city_key)
    by_table = _models_by_table()
    models = [by_table[t] for t in changed if t in by_table]
    guarded_tables = set(changed)
    for model in models:
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is not None:
                guarded_tables.add(f.related_model._meta.db_table)
    guarded = {t: before.get(t, []) for t in sorted(guarded_tables) if t in counts}
    return Snapshot(city_key=city_key, counts=counts, guarded=guarded, after=after, files=files, models=models)


def _copy_files(city_key: str) -> Path | None:
    source = Path(settings.CITYLINE_OPENDATA_DIR) / city_key
    if not source.exists():
        return None
    target = Path(tempfile.mkdtemp(prefix="cityline-demo-snapshot-"))
    atexit.register(shutil.rmtree, target, True)
    shutil.copytree(source, target / city_key)
    return target / city_key


# --- restore ----------------------------------------------------------------------------------------


def _restore(connection, snap: Snapshot) -> None:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, data in snap.after.items():
            cursor.execute(f"DELETE FROM {qn(table)}")
        for table, data in snap.after.items():
            if not data.rows:
                continue
            columns = ", ".join(qn(c) for c in data.columns)
            marks = ", ".join(["%s"] * len(data.columns))
            cursor.executemany(f"INSERT INTO {qn(table)} ({columns}) VALUES ({marks})",
                               _adapted(connection, data))
        if connection.vendor == "postgresql":
            for sql in connection.ops.sequence_reset_sql(no_style(), snap.models):
                cursor.execute(sql)
    folder = Path(settings.CITYLINE_OPENDATA_DIR) / snap.city_key
    if folder.exists():
        shutil.rmtree(folder)
    if snap.files is not None:
        shutil.copytree(snap.files, folder)
    # What a real import leaves behind besides rows and files.
    connection._cityline_audit_head = None  # the audit chain's head, cached per transaction
    from cityline.core.packs import spec
    from cityline.opendata import ckan

    ckan.clear_cache()
    for section in spec.sections():
        if section.after_commit is not None:
            transaction.on_commit(functools.partial(section.after_commit, snap.city_key), using=connection.alias)
    transaction.on_commit(ckan.clear_cache, using=connection.alias)  # as the records' record_changed would


def _adapted(connection, data: Table) -> list[tuple]:
    """PostgreSQL: json/jsonb values read back as Python objects are wrapped, psycopg will not adapt a dict."""
    if connection.vendor != "postgresql":
        return data.rows
    json_columns = data.json
    if not json_columns:
        return data.rows
    from psycopg.types.json import Json, Jsonb

    out = []
    for row in data.rows:
        row = list(row)
        for i, kind in json_columns.items():
            value = row[i]
            if value is not None and not isinstance(value, str):
                row[i] = (Jsonb if kind == "jsonb" else Json)(value)
        out.append(tuple(row))
    return out


# --- reading ----------------------------------------------------------------------------------------


def _tables(connection) -> list[str]:
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def _counts(connection) -> dict[str, int]:
    tables = _tables(connection)
    qn = connection.ops.quote_name
    out: dict[str, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(tables), 200):
            chunk = tables[start:start + 200]
            cursor.execute(" UNION ALL ".join(f"SELECT {i}, COUNT(*) FROM {qn(t)}" for i, t in enumerate(chunk)))
            for i, n in cursor.fetchall():
                out[chunk[i]] = n
    return out


def _read(connection, table: str) -> Table:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        columns = [d[0] for d in cursor.description]
        rows = [tuple(r) for r in cursor.fetchall()]
        data = Table(columns=columns, rows=rows)
        if connection.vendor == "postgresql":
            oids = _json_oids()
            data.json = {i: oids[d[1]] for i, d in enumerate(cursor.description) if d[1] in oids}
    return data


@functools.cache
def _json_oids() -> dict[int, str]:
    from psycopg.postgres import types

    return {types["json"].oid: "json", types["jsonb"].oid: "jsonb"}


def _sorted_rows(connection, table: str) -> list[tuple]:
    return sorted(_read(connection, table).rows, key=repr)


def _models_by_table() -> dict[str, Any]:
    return {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}


def _fingerprint(directory: Path) -> str:
    """Changes whenever a file of the pack changes (path, size, modification time)."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            st = os.stat(path)
            digest.update(f"{os.path.relpath(path, directory)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()
