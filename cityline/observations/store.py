"""The observation store: time series as Parquet files partitioned by series group and month, read with DuckDB.

An observation is ``(series, time, value)`` with an optional ``quality`` flag and ``message_id``
(issue 6). Its natural key is ``(series, time)``: writing the same reading again (a redelivered
MQTT message, a bulk file loaded twice) never makes a second observation, because every read
keeps one row per key, the one written last. So ingestion may be at-least-once and the store
still holds each reading exactly once.

Layout under ``root``::

    group=<group>/month=<YYYY-MM-01>/part-<written>-<uuid>.parquet

A partition is a group's month (UTC), named by its first day. Months, not days: a city's history
is read far more often than it is written, and every file costs an open and its metadata; three
years of one group are 36 files after compaction instead of 1,096 (bench/README.md measures both).
A store written in the earlier layout, ``day=<YYYY-MM-DD>`` folders, is moved into its months by
:meth:`ObservationStore.clean_up` (``cityline observations compact`` runs it); until then its
readings are not seen.

- **Atomic writes.** Each part is written to a hidden temporary file in its partition folder and
  moved into place with ``os.replace``, which is atomic on one file system: a reader lists only
  ``*.parquet`` files, so it sees a part whole or not at all, and a crash leaves only a
  temporary file that :meth:`ObservationStore.clean_up` removes.
- **Reads** go through DuckDB's ``read_parquet`` with Hive partitioning, deduplicating on the
  natural key (latest ``written`` wins; ties go to the later file name; a downsampled mean wins
  against a raw reading of its key: :data:`LATEST_FIRST`).
- **Compaction** rewrites a partition's parts as one deduplicated part. Replaced parts are not deleted
  at once: they are named in the partition's ``.replaced`` file, which every listing leaves out, and
  deleted by a later :meth:`ObservationStore.clean_up` once named there for
  :data:`REPLACED_KEPT_SECONDS`, so a reader that listed them before (a connection's view, a page,
  a KPI run) can still open them (:meth:`ObservationStore.retire`). The switch is one atomic step:
  the old parts are named there first as replaced *by the new part*, an entry a listing honours only
  once that part is in the folder, and the new part is then renamed into the folder. A listing (one
  directory scan) sees the old parts or the new one, never both, in any process, even if the rewrite
  is killed between the two steps (see :meth:`ObservationStore._roll_forward`).
- **Retention** (:meth:`ObservationStore.drop_before`) removes a group's readings before a cut-off
  day: months wholly before it are dropped, the month it falls in is rewritten;
  :meth:`ObservationStore.rewrite_partition` rewrites one partition through a SQL query (the
  per-series retention and downsampling of :mod:`.maintenance` use it). A mean written by
  downsampling (quality :data:`DOWNSAMPLED`) carries the number of raw readings it stands for in the
  column :data:`READINGS`, which only such parts have; a rewrite keeps a mean against a raw reading
  of its key written after it.
- **One key per batch.** A batch with the same ``(series, time)`` twice keeps its last row before
  it is written, so no part holds a key twice and parts of one batch never share a key.
- **Bulk path** (:meth:`ObservationStore.stage_bulk`, then :meth:`StagedBatch.commit`): a big
  file goes through DuckDB straight to Parquet, never whole in memory. DuckDB's
  ``COPY ... (FORMAT parquet, PARTITION_BY ("group", month))`` writes the batch into a hidden staging
  folder ``.staging-<batch>/files/`` under ``root`` (the source query raises on the first bad row,
  so a bad file stops there; a batch with duplicate keys is written again keeping each key's last
  row). Committing writes the marker ``COMPLETE`` (after every staged file is flushed to disk) and
  then moves each file into its partition with ``os.replace``, under a unique name
  ``part-<written>-<batch>_<n>.parquet``. A crash before the marker leaves a staging folder that
  :meth:`ObservationStore.clean_up` removes (nothing of the batch was visible); a crash after it
  leaves one that ``clean_up`` rolls forward (finishes the moves). A staging folder in use is
  locked (``flock``), so ``clean_up`` from another process leaves it alone. Readers see each part
  whole; while a batch is being moved in, a reader may see some of its partitions and not yet others.
  Compaction and :meth:`ObservationStore.rewrite_partition` use the same staging (their manifest
  also names the parts to remove); with the switch above, a crash midway never leaves both the old
  and the new rows for readers, and ``clean_up`` finishes the rewrite.
- **Read plan** (:meth:`ObservationStore.relation_sql`, used by :meth:`ObservationStore.connect`):
  a part's batch is in its name (``<written>-<batch>``). A partition whose parts all come from one
  batch holds each key once, so it is read directly, with no deduplication. Of a partition with parts
  of several batches, a part whose time range (from its Parquet statistics) meets no other part's
  cannot share a key with them and is read directly too (:func:`overlapping`: a live feed's batches,
  and the merged tiers of its month, follow one another in time); only the parts whose ranges overlap
  go through the ``row_number()`` window that keeps the latest write (all of a partition's parts when
  it holds more than :data:`FOOTERS_AT_MOST`). Compaction makes a partition clean again.
  ``connect(fast=False)`` deduplicates everything (the reference the fast plan is tested against). The
  view lists the files present when the connection opens: open a new connection to see later writes.

Plain Python (pyarrow, DuckDB): no Django, so the same module serves the CLI, a consumer process
and tests. Where pyarrow's own ``write_to_dataset`` would do the partitioning, it writes in place
(no atomic rename) and cannot keep the write time per part, so the few lines here do it by hand.
"""

from __future__ import annotations

import fcntl
import functools
import json
import math
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .domain.rules import FUTURE_TOLERANCE

#: The columns of a batch, their Arrow types, and whether they are required.
SCHEMA = pa.schema([
    pa.field("series", pa.string(), nullable=False),
    pa.field("time", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("value", pa.float64()),
    pa.field("quality", pa.string()),
    pa.field("message_id", pa.string()),
])
REQUIRED = ("series", "time", "value")
#: The quality of a mean that downsampling (:mod:`.maintenance`) put in place of the raw readings of an hour or
#: a day, stamped at its start. A rewrite keeps such a row against a raw reading of its key (see
#: :meth:`ObservationStore.rewrite_partition`).
DOWNSAMPLED = "downsampled"
#: The column of a part, beside :data:`SCHEMA` and ``written``, that says how many raw readings a mean stands
#: for (:data:`DOWNSAMPLED` rows; NULL for a raw reading). Only rewrites write it, and only in parts holding a
#: mean: other parts lack it, and the readers select their columns by name, so they never see it.
READINGS = "readings"
#: Which write of a key readers and rewrites take (the first in this order, over ``read_parquet(...,
#: filename = true)``): a mean (:data:`DOWNSAMPLED`) against any raw reading of its key, then the latest written,
#: then the later file name. A raw reading re-sent for a mean's instant is one the mean already counts.
LATEST_FIRST = f"quality IS NOT DISTINCT FROM '{DOWNSAMPLED}' DESC, written DESC, filename DESC"
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")


def deduplicated(where: str, columns: str = "series, time, value, quality") -> str:
    """SQL of the readings of the parts listed in the statement's first parameter that meet ``where``, one per
    series and time, the write every reader takes (:data:`LATEST_FIRST`).

    ``where`` filters on the key (series, time) only: such a filter keeps or drops every write of a reading alike,
    so it goes before the deduplication, which then sorts only the readings asked for.
    """
    return (f"SELECT {columns} FROM read_parquet(?, filename = true) WHERE {where} "
            f"QUALIFY row_number() OVER (PARTITION BY series, time ORDER BY {LATEST_FIRST}) = 1")


class BatchError(ValueError):
    """A batch that cannot be stored, naming the column and the first bad row (0-based). Nothing is written."""

    def __init__(self, column: str, row: int | None, problem: str):
        self.column, self.row, self.problem = column, row, problem
        where = f"column {column!r}" + (f", row {row}" if row is not None else "")
        super().__init__(f"{where}: {problem}")


class LayoutError(RuntimeError):
    """A store folder that :meth:`ObservationStore.clean_up` cannot tidy without a person's decision."""


def _first_null(column: pa.ChunkedArray | pa.Array) -> int | None:
    if column.null_count == 0:
        return None
    mask = pc.is_null(column)
    return int(pc.index(mask, True).as_py())


def normalise(batch: pa.Table) -> pa.Table:
    """The batch in :data:`SCHEMA` (missing optional columns added as nulls), or :class:`BatchError`."""
    names = set(batch.column_names)
    for name in REQUIRED:
        if name not in names:
            raise BatchError(name, None, "missing column")
    unknown = sorted(names - set(SCHEMA.names))
    if unknown:
        raise BatchError(unknown[0], None, f"unknown column; the columns are {', '.join(SCHEMA.names)}")
    columns = []
    for field in SCHEMA:
        if field.name not in names:
            columns.append(pa.nulls(batch.num_rows, field.type))
            continue
        column = batch.column(field.name)
        try:
            if field.name == "time" and pa.types.is_timestamp(column.type) and column.type.tz is None:
                raise BatchError("time", None, "times need a time zone (e.g. UTC)")
            column = column.cast(field.type)
        except BatchError:
            raise
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise BatchError(field.name, None, f"cannot read as {field.type}: {exc}") from None
        if not field.nullable:
            row = _first_null(column)
            if row is not None:
                raise BatchError(field.name, row, "empty")
        if field.name == "value" and pa.types.is_floating(column.type):
            bad = pc.invert(pc.is_finite(column.fill_null(0.0)))
            if pc.any(bad).as_py():
                row = int(pc.index(bad, True).as_py())
                nan = math.isnan(column[row].as_py())
                raise BatchError("value", row, "not a number (NaN)" if nan else "not a finite number (infinity)")
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=SCHEMA)


def keep_last(table: pa.Table) -> pa.Table:
    """The batch with one row per ``(series, time)``: the last one (a batch may correct itself)."""
    if table.num_rows < 2:
        return table
    indexed = table.append_column("_row", pa.array(range(table.num_rows), pa.int64()))
    last = indexed.group_by(["series", "time"], use_threads=False).aggregate([("_row", "max")])
    if last.num_rows == table.num_rows:
        return table
    rows = last.column("_row_max")
    return table.take(pc.take(rows, pc.sort_indices(rows)))


#: The month (UTC, its first day) of a ``time`` TIMESTAMPTZ. ``make_timestamp(epoch_us(...))`` is the UTC wall
#: clock as a plain TIMESTAMP: truncating a TIMESTAMPTZ or casting it to DATE goes through ICU, several times slower.
MONTH_SQL = "date_trunc('month', make_timestamp(epoch_us({t})))::DATE"
STAGING_PREFIX = ".staging-"
UPKEEP_LOCK = ".upkeep.lock"
COMPLETE = "COMPLETE"
_PART = re.compile(r"part-(?P<written>\d{8}T\d{12})-(?P<batch>[0-9a-f]+)(?:_\d+)*\.parquet")
#: How far ahead of now a reading's time may be before :meth:`ObservationStore.recent` stops counting back from it:
#: the tolerance after which the alert rules leave a reading out as a clock fault.
CLOCK_SKEW = FUTURE_TOLERANCE
#: The partition folders of a group, and of the earlier layout (see :meth:`ObservationStore.clean_up`).
PARTITIONS, DAY_PARTITIONS = "month=*", "day=*"


#: Size-tiered compaction (:meth:`ObservationStore.merge_tiers`): a tier is merged once it holds this many
#: parts; tier k holds parts of TIER_ROWS * FAN_IN**(k - 1) to TIER_ROWS * FAN_IN**k rows (tier 0: fewer).
#: Rows, not bytes: a merged part, sorted, compresses far better than the small parts it came from.
FAN_IN = 4
TIER_ROWS = 10_000
#: A rewrite reads at most this many parts in one statement: DuckDB's memory grows with the files a statement
#: lists (about 1.4 GB for 100,000 small parts: bench/many_parts.py), so a month of more parts (a store whose
#: compaction never ran) is merged in rounds of this many first (:meth:`ObservationStore.rewrite_partition`).
MERGE_AT_MOST = 1024


def size_tier(rows: int) -> int:
    """The tier of a part of ``rows`` rows: 0 below :data:`TIER_ROWS`, then one more per :data:`FAN_IN` times."""
    tier, bound = 0, TIER_ROWS
    while rows >= bound:
        tier, bound = tier + 1, bound * FAN_IN
    return tier


def month_of(day: date) -> date:
    """The partition a day belongs to: its month, named by the month's first day."""
    return day.replace(day=1)


def batch_of(part: Path) -> str:
    """The batch a part file comes from (``<written>-<id>`` in its name; the whole name if unknown)."""
    found = _PART.fullmatch(part.name)
    return f"{found['written']}-{found['batch']}" if found else part.name


def written_of(part: Path) -> datetime | None:
    """When the newest reading of a part was written, from its name (a rewrite names its part so); None if unknown."""
    found = _PART.fullmatch(part.name)
    if found is None:
        return None
    return datetime.strptime(found["written"], "%Y%m%dT%H%M%S%f").replace(tzinfo=timezone.utc)


def _latest_of(files: list[Path], series: list[str], where: str, moment: datetime) -> dict[str, tuple]:
    """The latest reading ``(time, value)`` of each of ``series`` in ``files`` whose time meets ``where``."""
    if not files:
        return {}
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        rows = con.execute(
            "SELECT series, time, value FROM read_parquet(?, filename = true) "
            f"WHERE series IN (SELECT unnest(?)) AND {where} "
            f"QUALIFY row_number() OVER (PARTITION BY series ORDER BY time DESC, {LATEST_FIRST}) = 1",
            [[str(f) for f in files], list(series), moment]).fetchall()
    return {key: (time, value) for key, time, value in rows}


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


class UnreadablePart(LayoutError):
    """A part file whose Parquet footer cannot be read (damaged, truncated, not Parquet)."""

    def __init__(self, part: Path, problem: Exception):
        super().__init__(f"{part}: not a readable Parquet part ({problem}). Nothing was changed; move the file out "
                         "of the store (or restore it from a backup) and run `cityline observations compact` again.")
        self.part = part


def _replaced(folder: Path) -> dict[str, tuple[float, str | None]]:
    """The parts of a partition replaced by a rewrite: ``{name: (when (Unix time), by)}`` (see :data:`REPLACED`).

    ``by`` is the part that replaces it, or None: an entry with a ``by`` takes effect once that part is in the
    folder (:func:`_in_effect`), so the old parts leave the readers' listings in the same step (one atomic
    rename) as the new part joins them.
    """
    try:
        text = (folder / REPLACED).read_text()
    except FileNotFoundError:
        return {}
    found = {}
    for line in text.splitlines():
        try:
            when, name, *by = line.split(" ")
            if len(by) > 1 or not name:
                raise ValueError(line)
            found.setdefault(name, (float(when), by[0] if by else None))
        except ValueError:  # not one of ours: the file is written whole (os.replace), so never half a line
            raise LayoutError(f"{folder / REPLACED}: line {line!r} is not '<time> <part name> [<replacing part>]'; "
                              "restore the file or remove the line") from None
    return found


def _in_effect(by: str | None, names: set[str], replaced: dict[str, tuple[float, str | None]]) -> bool:
    """Whether an entry of :data:`REPLACED` replacing by ``by`` hides its part, given the folder's ``names``.

    It does when it names no replacing part, or when that part has arrived: it is in the folder, or itself
    named in the file (replaced in turn by a later rewrite: it was in the folder then).
    """
    return by is None or by in names or by in replaced


def _live_parts(folder: Path) -> list[Path]:
    """A partition's parts for readers and rewrites: its ``*.parquet`` files but those a rewrite replaced.

    One directory scan gives both the parts and whether a :data:`REPLACED` file is there (every connection
    lists every partition: no extra system call per partition for the usual case of none). The same scan says
    whether a replacing part has arrived, so a listing sees a rewrite's old parts or its new one, never both
    and never neither (the new part is renamed into the folder after the file names it, see :meth:`retire`).
    """
    try:
        with os.scandir(folder) as entries:
            names = {entry.name for entry in entries}
    except (FileNotFoundError, NotADirectoryError):
        return []
    replaced = _replaced(folder) if REPLACED in names else {}
    gone = {name for name, (_, by) in replaced.items() if _in_effect(by, names, replaced)}
    return [folder / name for name in sorted(names) if name.endswith(".parquet") and name not in gone]


def _write_replaced(folder: Path, replaced: dict[str, tuple[float, str | None]]) -> None:
    if not replaced:
        (folder / REPLACED).unlink(missing_ok=True)
        return
    temporary = folder / f"{REPLACED}.partial"
    temporary.write_text("".join(f"{when:.6f} {name}" + (f" {by}" if by else "") + "\n"
                                 for name, (when, by) in sorted(replaced.items())))
    _fsync(temporary)
    os.replace(temporary, folder / REPLACED)


def _into_folder(folder: Path, put) -> None:
    """Make ``folder`` and call ``put()``, which creates a file in it; once more if the folder vanished meanwhile.

    A clean-up in another thread or process removes a partition folder that a purge of replaced parts left
    empty (a month retention dropped, then a late reading for it): between the ``mkdir`` and the file's
    creation the folder may be gone. Once the file is in it, the folder is not empty and stays.
    """
    for attempt in (1, 2):
        folder.mkdir(parents=True, exist_ok=True)
        try:
            put()
            return
        except FileNotFoundError:
            if attempt == 2 or folder.exists():
                raise


def _modified_before(path: Path, moment: float) -> bool:
    try:
        return path.stat().st_mtime < moment
    except FileNotFoundError:  # its write finished meanwhile: it is a part now
        return False


# (rows, (first, last) time or None, whether it has the column READINGS) of a part file, by path, size and
# modification time: a part never changes once it is in place (written aside, then renamed), so a footer is read
# once however often it is asked for.
@functools.lru_cache(maxsize=100_000)
def _footer(path: str, size: int, mtime_ns: int) -> tuple[int, tuple[datetime, datetime] | None, bool]:
    meta = pq.read_metadata(path)
    schema = meta.schema.to_arrow_schema()
    column, weighed = schema.get_field_index("time"), READINGS in schema.names
    first = last = None
    for i in range(meta.num_row_groups):
        stats = meta.row_group(i).column(column).statistics
        if stats is None or not stats.has_min_max:
            return meta.num_rows, None, weighed
        first = stats.min if first is None else min(first, stats.min)
        last = stats.max if last is None else max(last, stats.max)
    return meta.num_rows, (first, last) if first is not None else None, weighed


def _part_footer(part: Path) -> tuple[int, tuple[datetime, datetime] | None, bool]:
    try:
        status = part.stat()
        return _footer(str(part), status.st_size, status.st_mtime_ns)
    except (OSError, pa.ArrowException) as exc:
        raise UnreadablePart(part, exc) from exc


def part_footer(part: Path) -> tuple[int, tuple[datetime, datetime] | None]:
    """A part's row count and time range from its footer (None: no statistics); :class:`UnreadablePart` if none."""
    return _part_footer(part)[:2]


def time_bounds(parts: list[Path]) -> tuple[datetime, datetime] | None:
    """The earliest and latest ``time`` in ``parts``, from their row groups' statistics (no data read).

    None when they hold no row, or a row group has no statistics (every writer here writes them).
    """
    first = last = None
    for part in parts:
        rows, bounds = part_footer(part)
        if rows and bounds is None:
            return None
        if bounds:
            first = bounds[0] if first is None else min(first, bounds[0])
            last = bounds[1] if last is None else max(last, bounds[1])
    return (first, last) if first is not None else None


def overlapping(parts: list[Path]) -> set[Path]:
    """The parts whose ``time`` range meets another part's (bounds included); all when one cannot say.

    Every part holds each key ``(series, time)`` once (a batch keeps its last row per key; a rewrite
    deduplicates), so a part outside this set shares no key with any other part of ``parts``.
    """
    ranges = []
    for part in parts:
        try:
            bounds = time_bounds([part])
        except UnreadablePart:  # the query that needs it will say so
            bounds = None
        if bounds is None:  # no statistics: it may share a key with any of them
            return set(parts)
        ranges.append((*bounds, part))
    ranges.sort(key=lambda r: (r[0], r[1]))
    found, cluster, end = set(), [], None
    for first, last, part in ranges:  # sweep: a cluster of ranges that meet, in order of their start
        if cluster and first > end:
            if len(cluster) > 1:
                found.update(cluster)
            cluster, end = [], None
        cluster.append(part)
        end = last if end is None else max(end, last)
    if len(cluster) > 1:
        found.update(cluster)
    return found


#: The read plan looks at the time ranges of a partition's parts (one footer each) up to this many parts; a
#: partition of more is deduplicated whole, as every connection would read all those footers (compaction is due).
#: (1,000 footers of small parts take about 0.05 s.)
FOOTERS_AT_MOST = 1024
#: A temporary part file (``.<name>.partial``) is a crash's leftover once untouched this long; younger, it may be
#: a part being written right now (writers take no lock), which :meth:`ObservationStore.clean_up` leaves alone.
PARTIAL_GRACE_SECONDS = 600
#: Parts a rewrite replaced are named in their partition's :data:`REPLACED` file (no reader lists them from then
#: on) and deleted by :meth:`ObservationStore.clean_up` once named there this long: a reader that listed them
#: before (a connection's view, a KPI run, a page) can still open them meanwhile. A line of the file is
#: ``<Unix time> <part name>`` or ``<Unix time> <part name> <replacing part>``: the latter hides its part only
#: once the replacing part is in the folder (:func:`_in_effect`).
REPLACED, REPLACED_KEPT_SECONDS = ".replaced", 600
#: Up to this many staged files are flushed one by one on commit; more take one ``os.sync()``.
SYNC_EACH_UP_TO = 32


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


#: The count of distinct ``(series, time)`` keys a scan of staged files takes (:meth:`StagedBatch.key_given_twice`):
#: counting 64-bit hashes costs about a third of grouping by the (text, timestamp) keys themselves.
DISTINCT_KEYS = "count(DISTINCT hash(series, time))"


@dataclass
class StagedBatch:
    """A batch written to a staging folder, not yet visible; :meth:`commit` or :meth:`discard` it."""

    store: "ObservationStore"
    folder: Path
    rows: int = 0
    #: The rows read from the source, before a key given twice was kept once (:meth:`ObservationStore.stage_bulk`).
    read: int = 0
    series: list[str] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None
    remove: list[str] = field(default_factory=list)
    #: Which writer staged it: "duckdb" (:meth:`ObservationStore.stage_bulk`) or "arrow" (:mod:`.arrow_stage`).
    via: str = "duckdb"
    _lock: object = None

    def files(self) -> list[Path]:
        return sorted((self.folder / "files").glob(f"group=*/{PARTITIONS}/*.parquet"))

    @property
    def pattern(self) -> str:
        """The staged files as a DuckDB ``read_parquet`` pattern (an SQL literal)."""
        return _literal(self.folder / "files" / "group=*" / PARTITIONS / "*.parquet")

    def set_up(self, con: duckdb.DuckDBPyConnection, memory_limit: str | None = "2GB") -> None:
        """Set a DuckDB connection up for the bulk path's work on this batch: UTC, rows in any order, memory bounded
        by ``memory_limit`` (None: DuckDB's default) and spilling into the staging folder (removed with it)."""
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET preserve_insertion_order = false")
        if memory_limit:
            con.execute(f"SET memory_limit = {_literal(memory_limit)}")
        con.execute(f"SET temp_directory = {_literal(self.folder / 'spill')}")

    def key_given_twice(self, con: duckdb.DuckDBPyConnection, distinct: int) -> bool:
        """Whether the staged files (of :attr:`rows` rows) hold a ``(series, time)`` key more than once, given
        ``distinct``, their :data:`DISTINCT_KEYS` counted by the caller's scan: fewer distinct hashes than rows. Equal
        keys hash alike, so no repeated key is missed; a hash collision only costs the exact count here (grouping
        by the keys themselves)."""
        return distinct < self.rows and bool(con.execute(
            f"SELECT count(*) FROM (SELECT series, time FROM read_parquet({self.pattern}) GROUP BY series, time "
            "HAVING count(*) > 1)").fetchone()[0])

    def commit(self) -> int:
        """Make the batch visible (crash-safe: see the module docstring); returns its row count."""
        files = self.files()
        if len(files) > SYNC_EACH_UP_TO:
            # Many files (a back-fill writes one per group and month): one sync of the file systems costs
            # less than an fsync per file (measured: ~17 s for 4,749 files against well under a second)
            # and gives the same guarantee, every staged byte on disk before the marker is written.
            os.sync()
        else:
            for path in files:
                _fsync(path)
        marker = self.folder / COMPLETE
        marker.write_text(json.dumps({"remove": self.remove, "rows": self.rows}))
        _fsync(marker)
        self.store._roll_forward(self.folder)
        self._unlock()
        return self.rows

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None


class ObservationStore:
    """Observations under ``root`` (see the module docstring). ``group_of(series)`` names a series' group."""

    def __init__(self, root: str | os.PathLike, group_of=None):
        self.root = Path(root)
        self.group_of = group_of or (lambda series: series.split(".", 1)[0])

    # --- writing --------------------------------------------------------------------------------

    def _group_folder(self, group: str) -> Path:
        if not _SAFE.fullmatch(group):
            raise BatchError("series", None, f"group {group!r} is not a safe folder name")
        return self.root / f"group={group}"

    def _partition(self, group: str, month: date) -> Path:
        """The folder of a group's month (any day of the month names it)."""
        return self._group_folder(group) / f"month={month_of(month).isoformat()}"

    def write(self, batch: pa.Table | list[dict], *, written: datetime | None = None) -> int:
        """Store a batch, all or nothing per partition file; returns the number of rows written (one per key).

        The whole batch is checked, and every partition it goes to named, before anything is written
        (:class:`BatchError` names the column and row). Rows for several groups and months become one
        part per partition. ``written`` (default: now) is the write time that decides which of two
        readings of one key a reader sees (the later); a caller storing several batches in order gives it.
        """
        table = normalise(pa.Table.from_pylist(batch) if isinstance(batch, list) else batch)
        if table.num_rows == 0:
            return 0
        table = keep_last(table)
        groups = [self.group_of(s) for s in table.column("series").to_pylist()]
        for row, group in enumerate(groups):
            if not isinstance(group, str) or not _SAFE.fullmatch(group):
                raise BatchError("series", row, f"group {group!r} is not a safe folder name")
        months = pc.strftime(table.column("time"), format="%Y-%m-01").to_pylist()
        written = written or datetime.now(timezone.utc)
        table = table.append_column("written", pa.array([written] * table.num_rows, pa.timestamp("us", tz="UTC")))
        keys = pa.array([f"{g}\x00{m}" for g, m in zip(groups, months)])
        # Every partition is named (a month that is not a date is refused) before any part is written.
        plan = []
        for key in pc.unique(keys).to_pylist():
            group, month = key.split("\x00")
            try:
                first_day = date.fromisoformat(month)
            except ValueError:
                raise BatchError("time", int(pc.index(keys, key).as_py()), "out of range (year 1 to 9999)") from None
            plan.append((self._partition(group, first_day), key))
        for folder, key in plan:
            self._write_part(folder, table.filter(pc.equal(keys, key)), written)
        return table.num_rows

    def _write_part(self, folder: Path, part: pa.Table, written: datetime) -> Path:
        name = f"part-{written:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:12]}.parquet"
        temporary = folder / f".{name}.partial"
        _into_folder(folder, lambda: pq.write_table(part, temporary, compression="zstd"))
        with open(temporary, "rb") as fh:  # on disk before it becomes visible
            os.fsync(fh.fileno())
        os.replace(temporary, folder / name)
        return folder / name

    # --- the bulk path -----------------------------------------------------------------------------

    def staging(self) -> StagedBatch:
        """A new, empty staging folder (locked while in use: :meth:`clean_up` leaves it alone); its writer puts
        part files under ``folder / "files"`` in the store's ``group=/month=`` layout, then commits or discards."""
        self.root.mkdir(parents=True, exist_ok=True)
        folder = self.root / f"{STAGING_PREFIX}{uuid.uuid4().hex[:16]}"
        (folder / "files").mkdir(parents=True)
        lock = open(folder / "lock", "w")
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return StagedBatch(self, folder, _lock=lock)

    def stage_bulk(self, con: duckdb.DuckDBPyConnection, source, *, groups: dict[str, str] | None = None,
                   memory_limit: str | None = "2GB") -> StagedBatch:
        """Write a batch from a DuckDB query to a staging folder; :meth:`StagedBatch.commit` makes it visible.

        ``source(ordinal)`` returns the SQL of a SELECT with the columns series, time (TIMESTAMPTZ),
        value, quality and message_id that raises (DuckDB ``error()``) on a bad row; with
        ``ordinal=True`` it adds ``_ordinal``, the row's place in the input (used only when the
        batch holds a key twice: the last row wins). ``groups`` maps series to groups (a series
        not in it is refused); without it the group is the part of the key before the first ".".
        Any error removes the staging folder and is raised as it came.
        """
        staged = self.staging()
        folder = staged.folder
        written = datetime.now(timezone.utc)
        batch = folder.name.removeprefix(STAGING_PREFIX)[:12]
        try:
            staged.set_up(con, memory_limit)
            if groups is not None:
                bad = sorted(g for g in set(groups.values()) if not _SAFE.fullmatch(g or ""))
                if bad:
                    raise BatchError("series", None, f"group {bad[0]!r} is not a safe folder name")
                con.execute("CREATE OR REPLACE TEMP TABLE _series_groups (series VARCHAR PRIMARY KEY, \"group\" VARCHAR)")
                if groups:
                    con.executemany("INSERT INTO _series_groups VALUES (?, ?)", sorted(groups.items()))
                group_sql = ("CASE WHEN g.\"group\" IS NULL THEN error('no series ''' || s.series || "
                             "''' in this city; add it first (editor, API or city pack)') ELSE g.\"group\" END")
                join = "LEFT JOIN _series_groups g ON g.series = s.series"
            else:
                group_sql = ("CASE WHEN NOT regexp_full_match(split_part(s.series, '.', 1), "
                             f"{_literal(_SAFE.pattern)}) THEN error('group ' || split_part(s.series, '.', 1) || "
                             "' is not a safe folder name') ELSE split_part(s.series, '.', 1) END")
                join = ""

            def copy(query: str) -> int:
                shutil.rmtree(folder / "files", ignore_errors=True)
                return con.execute(
                    f"COPY (SELECT s.series, s.time, s.value, s.quality, s.message_id, "
                    f"TIMESTAMPTZ {_literal(written.isoformat())} AS written, {group_sql} AS \"group\", "
                    f"{MONTH_SQL.format(t='s.time')} AS month FROM ({query}) s {join}) "
                    f"TO {_literal(folder / 'files')} (FORMAT parquet, PARTITION_BY (\"group\", month), "
                    f"FILENAME_PATTERN {_literal(f'part-{written:%Y%m%dT%H%M%S%f}-{batch}_{{i}}')}, "
                    "COMPRESSION zstd, WRITE_PARTITION_COLUMNS false)").fetchone()[0]

            staged.rows = staged.read = copy(source(False))
            if staged.rows:
                # One scan of the staged files: the batch's series and time range, and whether a key may be
                # given twice (StagedBatch.key_given_twice).
                summary = (f"SELECT {DISTINCT_KEYS}, min(time), max(time), "
                           f"list(DISTINCT series ORDER BY series) FROM read_parquet({staged.pattern})")
                distinct, staged.first, staged.last, staged.series = con.execute(summary).fetchone()
                if staged.key_given_twice(con, distinct):
                    staged.rows = copy(f"SELECT series, time, value, quality, message_id FROM ({source(True)}) "
                                       "QUALIFY row_number() OVER (PARTITION BY series, time ORDER BY _ordinal DESC) = 1")
            shutil.rmtree(folder / "spill", ignore_errors=True)
        except BaseException:
            staged.discard()
            raise
        return staged

    def _roll_forward(self, folder: Path) -> None:
        """Finish a complete staging: move its files into their partitions, retire the parts it replaces.

        A rewrite's new part and the parts it replaces change places for readers in one step: the parts are
        first named in their partition's :data:`REPLACED` file as replaced by the new part, which hides them
        only once that part is in the folder (:func:`_in_effect`); the part's rename is then the switch. A crash
        before it leaves the old parts read, after it the new one; run again (:meth:`clean_up`), the roll
        forward finds the entries in place (and the part, if it was moved) and finishes.
        """
        manifest = json.loads((folder / COMPLETE).read_text() or "{}")
        files = folder / "files"
        removed: dict[Path, list[str]] = {}
        for name in manifest.get("remove", []):
            removed.setdefault((self.root / name).parent, []).append(Path(name).name)
        # (a staging of the earlier layout, left by a crash before an upgrade, holds day folders: they go to the
        # store as they are, and clean_up() then moves them into their months)
        staged = sorted(path for layout in (PARTITIONS, DAY_PARTITIONS)
                        for path in files.glob(f"group=*/{layout}/*.parquet"))
        arriving = {(self.root / path.relative_to(files)).parent: path.name for path in staged}  # the last moved
        for partition, names in removed.items():
            if partition in arriving:
                self.retire(partition, names, by=arriving[partition])
        for path in staged:
            target = self.root / path.relative_to(files)
            _into_folder(target.parent, lambda: os.replace(path, target))
        for partition, names in removed.items():  # no new part (a rewrite that left no row): retired at once
            if partition not in arriving:
                self.retire(partition, names)
        shutil.rmtree(folder)

    # --- reading --------------------------------------------------------------------------------

    def files(self) -> list[Path]:
        return [part for folder in sorted(self.root.glob(f"group=*/{PARTITIONS}")) for part in _live_parts(folder)]

    def groups(self) -> list[str]:
        """The groups with a folder in the store."""
        return sorted(folder.name.removeprefix("group=") for folder in self.root.glob("group=*") if folder.is_dir())

    def group_files(self, group: str, since: date | None = None, until: date | None = None) -> list[Path]:
        """A group's part files, of the months from ``since``'s month to ``until``'s (all when None), oldest first.

        For readers of one group (live readings, a series' page, alerts): the folder names say
        which files can hold a reading of a day, with no file opened.
        """
        folder = self._group_folder(group)
        first = f"month={month_of(since).isoformat()}" if since else ""
        last = f"month={month_of(until).isoformat()}" if until else "month=~"  # "~" sorts after every digit
        return [part for month in sorted(folder.glob(PARTITIONS)) if first <= month.name <= last
                for part in _live_parts(month)]

    def parts(self, group: str, month: date) -> list[Path]:
        """The part files of one partition (any day of the month names it)."""
        return _live_parts(self._partition(group, month))

    def replaced_parts(self, group: str) -> list[Path]:
        """A group's parts that rewrites replaced and :meth:`clean_up` has not deleted yet (see :meth:`retire`)."""
        found = []
        for folder in sorted(self._group_folder(group).glob(PARTITIONS)):
            replaced = _replaced(folder)
            present = set(os.listdir(folder)) if replaced else set()
            found += [folder / name for name, (_, by) in sorted(replaced.items())
                      if name in present and _in_effect(by, present, replaced)]
        return found

    def months(self, group: str) -> list[date]:
        """The months (first days) a group has parts for, oldest first."""
        folder = self._group_folder(group)
        return [date.fromisoformat(m.name.removeprefix("month=")) for m in sorted(folder.glob(PARTITIONS))
                if _live_parts(m)]

    def first_day(self, group: str) -> date | None:
        """The UTC day of a group's first reading (its first month's statistics; no data read); None if none."""
        months = self.months(group)
        if not months:
            return None
        bounds = time_bounds(self.parts(group, months[0]))
        return bounds[0].astimezone(timezone.utc).date() if bounds else months[0]

    def recent(self, group: str, days: float, *, now: datetime | None = None) -> tuple[list[Path], datetime | None]:
        """The part files that can hold the group's readings of its newest ``days`` days, and where those start.

        "Newest" counts back from the group's latest reading (not from today), so a feed that
        stopped still shows its last readings; but never from further ahead than now (and
        :data:`CLOCK_SKEW`): one reading stamped days ahead by a sensor's faulty clock would move the
        window past every other series of the group (``now``: the present, for tests). Readers filter on
        ``time >= since``; ``since`` is None (read every file) when the statistics cannot say.
        """
        months = self.months(group)
        if not months:
            return [], None
        bounds = time_bounds(self.parts(group, months[-1]))
        if bounds is None:
            return self.group_files(group), None
        since = min(bounds[1], (now or datetime.now(timezone.utc)) + CLOCK_SKEW) - timedelta(days=days)
        return self.group_files(group, since.astimezone(timezone.utc).date()), since

    def latest(self, group: str, series: list[str], days: float) -> dict[str, tuple[datetime, float | None]]:
        """``{series: (time, value)}``: the latest reading of each of ``series`` (of ``group``), latest write winning.

        Looked for in the group's newest ``days`` days (:meth:`recent`: a few files, whatever the size of
        the store). A series with no reading there (a sensor silent for longer than the others) is then
        looked for in the older readings, only it, so a page shows when it last reported instead of nothing.
        """
        if not series:
            return {}
        files, since = self.recent(group, days)
        found = _latest_of(files, series, "time >= ?", since or datetime.min.replace(tzinfo=timezone.utc))
        missing = [key for key in series if key not in found]
        if missing and since is not None:
            found.update(_latest_of(self.group_files(group), missing, "time < ?", since))
        return found

    def partitions(self) -> dict[Path, list[Path]]:
        """Each partition folder with its parts."""
        out: dict[Path, list[Path]] = {}
        for part in self.files():
            out.setdefault(part.parent, []).append(part)
        return out

    def relation_sql(self, *, fast: bool = True) -> str | None:
        """A SELECT of the deduplicated observations (see "Read plan"); None when the store is empty."""
        files = self.files()
        if not files:
            return None
        options = "hive_partitioning = true, hive_types = {'group': VARCHAR, 'month': DATE}"
        columns = "series, time, value, quality, message_id, \"group\", month"

        def listing(paths: list[Path]) -> str:
            return "[" + ", ".join(_literal(p) for p in paths) + "]"

        if fast:
            clean, mixed = [], []
            for parts in self.partitions().values():
                if len({batch_of(p) for p in parts}) == 1:
                    clean.extend(parts)
                    continue
                shared = overlapping(parts) if len(parts) <= FOOTERS_AT_MOST else parts
                for part in parts:
                    (mixed if part in shared else clean).append(part)
        else:
            clean, mixed = [], files
        selects = []
        if clean:
            selects.append(f"SELECT {columns} FROM read_parquet({listing(clean)}, {options})")
        if mixed:
            # A key lies in one partition, so partitioning the window by "group" and month as well changes no
            # row, and lets DuckDB push a filter on them below the window: files of other partitions stay shut.
            selects.append(
                f"SELECT {columns} FROM read_parquet({listing(mixed)}, {options}, filename = true) "
                "QUALIFY row_number() OVER (PARTITION BY \"group\", month, series, time "
                f"ORDER BY {LATEST_FIRST}) = 1")
        return " UNION ALL ".join(selects)

    def connect(self, *, fast: bool = True) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with the view ``observations`` (one row per series and time).

        ``fast`` (the default) reads partitions written by one batch without deduplicating them
        (see "Read plan" in the module docstring); ``fast=False`` deduplicates every partition.
        """
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        relation = self.relation_sql(fast=fast)
        if relation is None:
            con.execute("CREATE VIEW observations AS SELECT NULL::VARCHAR AS series, NULL::TIMESTAMPTZ AS time, "
                        "NULL::DOUBLE AS value, NULL::VARCHAR AS quality, NULL::VARCHAR AS message_id, "
                        "NULL::VARCHAR AS \"group\", NULL::DATE AS month WHERE false")
            return con
        # A view cannot take a prepared parameter: the file names go in as quoted literals.
        con.execute(f"CREATE VIEW observations AS {relation}")
        return con

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with self.connect() as con:
            return con.execute(sql, params or []).fetchall()

    # --- upkeep ---------------------------------------------------------------------------------

    @contextmanager
    def upkeep(self) -> Iterator[None]:
        """Hold the store's upkeep lock: one run that rewrites partitions (compaction, retention) at a time.

        A rewrite lists a partition's parts and replaces them. Two runs at once over the same parts could
        undo each other: a merge that read parts before a retention run removed some of their readings would
        bring those readings back when it finishes (and raw readings already downsampled would be averaged
        in again). A second run waits for the first, in this process or another (``flock`` on
        :data:`UPKEEP_LOCK` in the store's folder). Writers of new parts do not take it: a rewrite replaces
        only the parts it listed, so a part written meanwhile stays.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / UPKEEP_LOCK, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            yield

    def rewrite_partition(self, group: str, month: date, select: str | None = None, *,
                          params: list | dict | None = None, parts: list[Path] | None = None) -> int:
        """Replace a partition's parts by one part, crash-safe (a staging with a manifest); returns its rows.

        ``month`` is any day of the partition's month. The new part holds ``select`` over the
        relation ``partition_rows`` (the partition's rows, one per key, with their ``written``;
        columns series, time, value, quality, message_id, written and :data:`READINGS`, NULL in parts
        without it: a ``select`` keeps them all, e.g. ``SELECT * ...``), or the rows as they are
        (compaction). One row per key: the latest written, except that a mean (quality
        :data:`DOWNSAMPLED`) is kept against raw readings of its key written after it. A mean is stamped at
        the start of its hour or day, so a raw reading of that instant re-sent after the downsampling
        (at-least-once delivery) would otherwise replace the mean of the whole interval: the re-sent
        reading is taken as one the mean already counts, and dropped (readers take the mean too:
        :data:`LATEST_FIRST`). No row left: the partition is removed. ``parts``: replace only these parts of
        the partition (a merge of some parts, without ``select``); the others stay as they are. Without
        ``parts``, a partition of more than :data:`MERGE_AT_MOST` parts is first merged in rounds of that
        many (rows keep their ``written``), so no statement lists more files than that.
        """
        folder = self._partition(group, month)
        if parts is None:
            parts = self.parts(group, month)
            while len(parts) > MERGE_AT_MOST:  # in rounds, oldest parts first, each round crash-safe on its own
                for chunk in (parts[i:i + MERGE_AT_MOST] for i in range(0, len(parts), MERGE_AT_MOST)):
                    if len(chunk) > 1:
                        self.rewrite_partition(group, month, parts=chunk)
                parts = self.parts(group, month)
        elif select is not None:
            raise ValueError("a select applies to the whole partition, not to some of its parts")
        if not parts:
            return 0
        # Which parts have the column READINGS; a damaged part stops the rewrite here, named (UnreadablePart).
        weighed = [_part_footer(part)[2] for part in parts]
        staged = self.staging()
        staged.remove = [p.relative_to(self.root).as_posix() for p in parts]
        staging = staged.folder
        try:
            with duckdb.connect() as con:
                con.execute("SET TimeZone = 'UTC'")
                con.execute(f"SET temp_directory = {_literal(staging / 'spill')}")
                # Parts with and without the column READINGS are read apart: read_parquet takes the columns of
                # the first file it lists, and refuses a later file that lacks one of them.
                reads = " UNION ALL ".join(
                    f"SELECT series, time, value, quality, message_id, written, {column} AS {READINGS}, filename "
                    f"FROM read_parquet([{', '.join(_literal(p) for p, w in zip(parts, weighed) if w == has)}], "
                    "filename = true)" for has, column in ((True, READINGS), (False, "NULL::BIGINT")) if has in weighed)
                con.execute(
                    f"CREATE TEMP VIEW partition_rows AS SELECT * EXCLUDE (filename) FROM ({reads}) "
                    f"QUALIFY row_number() OVER (PARTITION BY series, time ORDER BY {LATEST_FIRST}) = 1")
                newest = con.execute("SELECT max(written) FROM partition_rows").fetchone()[0]
                query = select or "SELECT * FROM partition_rows"
                # Written at the newest ``written`` of the old parts, so a batch stored since still wins.
                name = f"part-{newest.astimezone(timezone.utc):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:12]}.parquet"
                target = staging / "files" / folder.relative_to(self.root) / name
                target.parent.mkdir(parents=True)
                con.execute(f"CREATE TEMP TABLE rewritten AS SELECT series, time::TIMESTAMPTZ AS time, "
                            f"value::DOUBLE AS value, quality::VARCHAR AS quality, message_id::VARCHAR AS message_id, "
                            f"written::TIMESTAMPTZ AS written, {READINGS}::BIGINT AS {READINGS} FROM ({query}) "
                            "ORDER BY series, time", params or [])
                staged.rows, weights = con.execute(f"SELECT count(*), count({READINGS}) FROM rewritten").fetchone()
                if staged.rows:  # the column READINGS only in a part that holds a mean: other parts stay as they were
                    columns = "*" if weights else f"* EXCLUDE ({READINGS})"
                    con.execute(f"COPY (SELECT {columns} FROM rewritten) TO {_literal(target)} "
                                "(FORMAT parquet, COMPRESSION zstd)")
            shutil.rmtree(staging / "spill", ignore_errors=True)
        except BaseException:
            staged.discard()
            raise
        staged.commit()
        return staged.rows

    def compact(self, group: str, month: date) -> int:
        """Rewrite one partition (a group's month) as a single deduplicated part; returns its row count."""
        parts = self.parts(group, month)
        if len(parts) <= 1:
            return pq.read_metadata(parts[0]).num_rows if parts else 0
        return self.rewrite_partition(group, month)

    def merge_tiers(self, group: str, month: date) -> int:
        """Size-tiered compaction of a partition still being written to; returns the parts merged.

        Live feeds add a small part per batch (MQTT every fraction of a second). Rewriting the whole
        month at each run would rewrite the month so far again and again, so a month still open is
        compacted by tiers: parts of like size (:func:`size_tier`) are merged into one part once a tier
        holds :data:`FAN_IN` of them, and bigger parts are left alone until parts of their size join
        them. Each reading is rewritten about once per tier (a few times in all, not once per run), and
        a partition keeps a few parts per tier, whatever the number of batches. Readers see the same
        rows: the merged part keeps each row's ``written``, and rows of other parts still win or lose
        against them as before. (Two cases can turn out differently: a key written by two batches at the
        same microsecond, where readers then take the part with the later name; and a raw reading of a
        mean's key, which a rewrite drops for the mean, see :meth:`rewrite_partition`.)
        """
        merged = 0
        while True:
            tiers: dict[int, list[Path]] = {}
            for part in self.parts(group, month):
                tiers.setdefault(size_tier(part_footer(part)[0]), []).append(part)
            full = next((parts for _, parts in sorted(tiers.items()) if len(parts) >= FAN_IN), None)
            if full is None:
                return merged
            full = full[:MERGE_AT_MOST]  # the oldest; the rest of the tier in the next rounds
            self.rewrite_partition(group, month, parts=full)
            merged += len(full)

    def drop_before(self, group: str, cutoff: date) -> list[date]:
        """Retention: remove the group's readings before the day ``cutoff``; returns the months touched.

        A month wholly before the cut-off is dropped; the month holding it keeps its readings from the
        cut-off on (a crash-safe rewrite).
        """
        touched = []
        for month in self.months(group):
            if month < month_of(cutoff):
                self.drop_partition(group, month)
            elif month == month_of(cutoff) < cutoff and self._reaches_before(group, month, cutoff):
                self.rewrite_partition(group, month, "SELECT * FROM partition_rows WHERE time >= ?",
                                       params=[datetime(cutoff.year, cutoff.month, cutoff.day, tzinfo=timezone.utc)])
            else:
                continue
            touched.append(month)
        return touched

    def _reaches_before(self, group: str, month: date, cutoff: date) -> bool:
        bounds = time_bounds(self.parts(group, month))
        return bounds is None or bounds[0].astimezone(timezone.utc).date() < cutoff  # no statistics: look

    def drop_partition(self, group: str, month: date) -> None:
        """Remove a partition: its parts are gone for readers at once, deleted by a later :meth:`clean_up`."""
        folder = self._partition(group, month)
        if folder.exists():
            self.retire(folder, [part.name for part in _live_parts(folder)])

    def retire(self, folder: Path, names: list[str], *, by: str | None = None) -> None:
        """Take parts of a partition folder away from readers; :meth:`clean_up` deletes them later.

        A reader lists a partition's parts, then opens them (a DuckDB view lists them when the connection
        opens); deleting a part in between would fail its query. So a replaced part is first only named in
        the partition's :data:`REPLACED` file, which every listing leaves out, and deleted once it has been
        named there for :data:`REPLACED_KEPT_SECONDS`. Rewrites run under the upkeep lock: one writer of
        the file at a time. ``by``: the part (a name in ``folder``) that replaces them, about to be renamed
        into the folder; until it is there, the parts stay (see :meth:`_roll_forward`). A part named already
        keeps its entry, unless that entry still waits for its replacing part: it is named afresh (its time
        counts from now, when the new part is about to arrive).
        """
        replaced, now = _replaced(folder), time.time()
        present = set(os.listdir(folder)) if folder.is_dir() else set()
        fresh = {name: (now, by) for name in names if name in present and (
            name not in replaced or not _in_effect(replaced[name][1], present, replaced))}
        if fresh:
            _write_replaced(folder, {**replaced, **fresh})

    def _purge_replaced(self) -> None:
        """Delete the replaced parts named for :data:`REPLACED_KEPT_SECONDS` or more (once their entry is in effect)."""
        due = time.time() - REPLACED_KEPT_SECONDS
        for folder in sorted(self.root.glob(f"group=*/{PARTITIONS}")):
            replaced = _replaced(folder)
            if not replaced:
                continue
            present = set(os.listdir(folder))
            old = [name for name, (when, by) in replaced.items()
                   if when <= due and _in_effect(by, present, replaced)]
            if not old:
                continue
            for name in old:
                (folder / name).unlink(missing_ok=True)
                del replaced[name]
            # An entry whose replacing part is deleted now stays in effect: it no longer needs to name that part.
            _write_replaced(folder, {name: (when, None if by in old else by) for name, (when, by) in replaced.items()})
            try:
                folder.rmdir()  # a partition left empty
            except OSError:
                pass

    def clean_up(self) -> int:
        """Repair what a crash may leave and move a store of the earlier layout; returns the leftovers handled.

        Temporary part files (once untouched for :data:`PARTIAL_GRACE_SECONDS`: a younger one may be a
        write under way in another thread or process, which takes no lock), half-removed partitions of
        earlier versions and the parts rewrites replaced (once kept :data:`REPLACED_KEPT_SECONDS` for the
        readers that listed them; not counted) are removed; a staging folder is rolled
        forward when its marker says it is complete, removed otherwise (unless a live process holds it).
        Day partitions of the earlier layout (``group=<g>/day=<d>/``) are moved into their months
        (not counted): each part keeps its name with the day added (``..._<YYYYMMDD>.parquet``), so
        parts of one batch from different days stay apart and keep their batch. Each move is an
        ``os.replace``; a crash midway leaves some days moved, and the next run moves the rest. A day
        folder that still holds something else once its parts are moved (a file a person put there)
        raises :class:`LayoutError` naming it; what was moved stays readable, the rest stays in place.
        """
        count = 0
        stale = time.time() - PARTIAL_GRACE_SECONDS
        leftovers = [*(p for p in self.root.glob(f"group=*/{PARTITIONS}/.*.partial") if _modified_before(p, stale)),
                     *self.root.glob(f"group=*/{DAY_PARTITIONS}/.*.partial"), *self.root.glob("group=*/.*.removing")]
        for leftover in leftovers:
            if leftover.is_dir():
                shutil.rmtree(leftover)
            else:
                leftover.unlink(missing_ok=True)
            count += 1
        self._purge_replaced()
        for staging in sorted(self.root.glob(f"{STAGING_PREFIX}*")):
            lock_path = staging / "lock"
            lock = open(lock_path, "a") if lock_path.exists() else None
            try:
                if lock is not None:
                    try:
                        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        continue  # being written right now
                if (staging / COMPLETE).exists():
                    self._roll_forward(staging)
                else:
                    shutil.rmtree(staging)
                count += 1
            finally:
                if lock is not None:
                    lock.close()
        for folder in sorted(self.root.glob(f"group=*/{DAY_PARTITIONS}")):
            day = date.fromisoformat(folder.name.removeprefix("day="))
            target = self._partition(folder.parent.name.removeprefix("group="), day)
            target.mkdir(exist_ok=True)
            for part in sorted(folder.glob("*.parquet")):
                os.replace(part, target / f"{part.stem}_{day:%Y%m%d}.parquet")
            strays = sorted(entry.name for entry in folder.iterdir())
            if strays:
                raise LayoutError(f"{folder} is a day partition of the earlier layout, and once its parts were moved "
                                  f"into {target.name} it still holds {', '.join(strays)}, which are not parts of "
                                  "the store: move them elsewhere and run `cityline observations compact` again")
            folder.rmdir()
        return count
