"""Storing observation files for a city, all or nothing: what ``cityline ingest`` and the HTTP upload share.

:func:`load` takes one or more :class:`.files.InputFile` and stores them in the city's store:

1. **Prepare every file** before anything becomes visible. A small file (under
   :data:`BULK_ROWS` rows for Parquet, :data:`BULK_BYTES` for CSV and JSON lines) is read and
   checked in memory; a big one goes through the store's bulk path
   (:meth:`.store.ObservationStore.stage_bulk`: DuckDB writes it to a hidden staging folder,
   never whole in memory). The first bad row of any file stops everything
   (:class:`.files.FileError`) and the staged files are removed: nothing is stored.
2. **Commit**: small files through :func:`.ingest.write_observations` (the one write path; it
   runs the ``AFTER_WRITE`` hooks, so alert rules see every reading); staged files by
   :meth:`.store.StagedBatch.commit` (crash-safe: see the store's docstring).

**Alert hooks on the bulk path**: a big file is usually history (a back-fill), and rules only
look at the recent tail of a series (a threshold held for a duration, a change within a window).
So after a big file is committed, the ``AFTER_WRITE`` hooks get the file's readings from
:data:`HOOK_TAIL` (one day) before its latest reading on, at most :data:`HOOK_ROWS` rows (the
latest), not the whole file.

Loading is idempotent: a reading loaded again replaces itself (same ``(series, time)``), so a
failed or repeated load can simply be run again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from . import ingest
from .files import InputFile
from .registry import series_groups, store_for
from .store import StagedBatch, normalise

#: Parquet files with more rows than this, and CSV or JSON files larger than BULK_BYTES, take the bulk path.
BULK_ROWS = 1_000_000
BULK_BYTES = 64 * 1024 * 1024
#: What the alert hooks see of a big file: its readings from this long before its latest one ...
HOOK_TAIL = timedelta(days=1)
#: ... and at most this many of them (the latest).
HOOK_ROWS = 1_000_000


def is_big(source: InputFile) -> bool:
    rows = source.rows_hint
    return rows > BULK_ROWS if rows is not None else source.path.stat().st_size > BULK_BYTES


@dataclass
class _Prepared:
    source: InputFile
    tables: list[pa.Table] = field(default_factory=list)
    staged: StagedBatch | None = None


def load(city, sources: list[InputFile], *, bulk: bool | None = None, react: bool = True,
         progress=None, check_series=None) -> ingest.WriteReport:
    """Store every file or none (see the module docstring); returns what was stored.

    ``bulk``: True or False forces the path, None decides per file by size. ``progress(rows)``
    is called as rows are read. Raises :class:`.files.FileError` naming the first bad row.
    ``check_series(keys)``, when given, sees the set of series keys the files hold once every file
    is read and before anything is stored; whatever it raises (e.g. ``PermissionDenied`` for a
    series the caller may not feed) discards everything.
    """
    groups = series_groups(city)
    store = store_for(city, groups)
    prepared: list[_Prepared] = []
    try:
        for source in sources:
            item = _Prepared(source)
            prepared.append(item)
            if bulk if bulk is not None else is_big(source):
                item.staged = source.stage(store, groups)
                if progress:
                    progress(item.staged.rows)
            else:
                for table in source.batches(groups):
                    item.tables.append(table)
                    if progress:
                        progress(table.num_rows)
        if check_series is not None:
            keys: set[str] = set()
            for item in prepared:
                if item.staged is not None:
                    keys.update(item.staged.series or [])
                for table in item.tables:
                    keys.update(pc.unique(table.column("series")).to_pylist())
            check_series(keys)
    except BaseException:
        for item in prepared:
            if item.staged is not None:
                item.staged.discard()
        raise

    reports = []
    for index, item in enumerate(prepared):
        if item.staged is None:
            table = pa.concat_tables(item.tables) if item.tables else None
            if table is not None:
                reports.append(ingest.write_observations(city, table, groups=groups, react=react))
            continue
        staged = item.staged
        tail = _tail(staged) if react and ingest.AFTER_WRITE and staged.rows else None
        staged.commit()
        reports.append(ingest.WriteReport(rows=staged.rows, series=list(staged.series or []),
                                          first=staged.first, last=staged.last))
        if tail is not None and tail.num_rows:
            for hook in ingest.AFTER_WRITE:
                hook(city, tail)
    return merge(reports)


def _tail(staged: StagedBatch) -> pa.Table:
    """The staged batch's latest readings (see "Alert hooks on the bulk path"), in series and time order."""
    files = [str(p) for p in staged.files()]
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        table = con.sql(
            "SELECT series, time, value, quality, message_id FROM ("
            " SELECT * FROM read_parquet(?) WHERE time >= ? ORDER BY time DESC LIMIT ?) ORDER BY series, time",
            params=[files, staged.last - HOOK_TAIL, HOOK_ROWS]).to_arrow_table()
    return normalise(table)


def merge(reports: list[ingest.WriteReport]) -> ingest.WriteReport:
    out = ingest.WriteReport()
    series: set[str] = set()
    for report in reports:
        out.rows += report.rows
        series.update(report.series)
        if report.first is not None and (out.first is None or report.first < out.first):
            out.first = report.first
        if report.last is not None and (out.last is None or report.last > out.last):
            out.last = report.last
    out.series = sorted(series)
    return out


def open_files(paths: list[str | Path], fmt: str | None = None) -> list[InputFile]:
    return [InputFile(path, fmt) for path in paths]
