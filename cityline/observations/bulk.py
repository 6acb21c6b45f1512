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
failed or repeated load can simply be run again. Of several files on one command, a later file wins
for a key both hold, whichever path each takes; the report counts each stored reading once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from . import ingest
from .files import InputFile
from .registry import series_groups, store_for
from .store import StagedBatch, keep_last, normalise

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
    written: datetime
    tables: list[pa.Table] = field(default_factory=list)
    table: pa.Table | None = None
    staged: StagedBatch | None = None
    tail: pa.Table | None = None
    committed: bool = False

    @property
    def span(self) -> tuple[datetime, datetime] | None:
        """The first and last reading time, or None when the file holds no reading."""
        if self.staged is not None:
            return (self.staged.first, self.staged.last) if self.staged.rows else None
        if self.table is None or self.table.num_rows == 0:
            return None
        times = self.table.column("time")
        return pc.min(times).as_py(), pc.max(times).as_py()


def load(city, sources: list[InputFile], *, bulk: bool | None = None, react: bool = True,
         progress=None, check_series=None) -> ingest.WriteReport:
    """Store every file or none (see the module docstring); returns what was stored.

    ``bulk``: True or False forces the path, None decides per file by size. ``progress(rows)``
    is called as rows are read. Raises :class:`.files.FileError` naming the first bad row.
    ``check_series(keys)``, when given, sees the set of series keys the files hold once every file
    is read and before anything is stored; whatever it raises (e.g. ``PermissionDenied`` for a
    series the caller may not feed) discards everything. Whatever fails before the first file is
    committed discards every staged file: nothing of the command is stored.
    """
    groups = series_groups(city)
    store = store_for(city, groups)
    prepared: list[_Prepared] = []
    try:
        for source in sources:
            # The write time of a file read in memory is taken now, before the next file is staged: a
            # later file on the command (normal or bulk path) then wins over an earlier one for a key.
            item = _Prepared(source, datetime.now(timezone.utc))
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
        # What can still fail is done before the first commit (then nothing of the command is stored).
        for item in prepared:
            if item.staged is None:
                item.table = keep_last(pa.concat_tables(item.tables)) if item.tables else None
                item.tables = []
            elif react and ingest.AFTER_WRITE and item.staged.rows:
                item.tail = _tail(item.staged)
        rows = _readings(prepared)
    except BaseException:
        _discard(prepared)
        raise

    reports = []
    try:
        for item in prepared:
            item.committed = True
            if item.staged is None:
                if item.table is not None:
                    reports.append(ingest.write_observations(city, item.table, groups=groups, react=react,
                                                             written=item.written))
                continue
            staged = item.staged
            staged.commit()
            reports.append(ingest.WriteReport(rows=staged.rows, series=list(staged.series or []),
                                              first=staged.first, last=staged.last))
            if item.tail is not None and item.tail.num_rows:
                for hook in ingest.AFTER_WRITE:
                    hook(city, item.tail)
    except BaseException:
        _discard([item for item in prepared if not item.committed])
        raise
    report = merge(reports)
    report.rows = rows
    return report


def _discard(prepared: list[_Prepared]) -> None:
    for item in prepared:
        if item.staged is not None:
            item.staged.discard()


def _relation(item: _Prepared, name: str) -> str:
    if item.staged is None:
        return f"SELECT series, time FROM {name}"
    files = ", ".join("'" + str(path).replace("'", "''") + "'" for path in item.staged.files())
    return f"SELECT series, time FROM read_parquet([{files}])"


def _readings(prepared: list[_Prepared]) -> int:
    """How many readings the files store: each file's keys (once each), less those a later file gives again."""
    rows = sum(item.staged.rows if item.staged is not None else item.table.num_rows if item.table else 0
               for item in prepared)
    spans = [item.span for item in prepared]
    if sum(1 for span in spans if span) < 2:
        return rows
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        for i, item in enumerate(prepared):
            if item.staged is None and item.table is not None:
                con.register(f"_file{i}", item.table)
        for i, item in enumerate(prepared):
            # Only files whose time ranges meet can share a key: for most commands nothing is read again.
            later = [j for j in range(i + 1, len(prepared))
                     if spans[i] and spans[j] and spans[j][0] <= spans[i][1] and spans[i][0] <= spans[j][1]]
            if not later:
                continue
            others = " UNION ALL ".join(_relation(prepared[j], f"_file{j}") for j in later)
            rows -= con.execute(
                f"SELECT count(*) FROM ({_relation(item, f'_file{i}')}) a SEMI JOIN ("
                f"SELECT series, time FROM ({others}) WHERE time BETWEEN ? AND ?) b USING (series, time)",
                [spans[i][0], spans[i][1]]).fetchone()[0]
    return rows


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
