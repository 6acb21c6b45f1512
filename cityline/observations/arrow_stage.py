"""The bulk path's fast lane: a big Parquet or CSV file staged into the store by Arrow instead of DuckDB.

Why: DuckDB's partitioned ``COPY`` (:meth:`.store.ObservationStore.stage_bulk`) spends most of the bulk
path's time in the series-to-group join and the partitioned write (bench/README.md, "Bulk ingestion").
Here the file is read by pyarrow (``pyarrow.parquet``, ``pyarrow.csv``, the column types fixed), the checks
run on whole Arrow arrays, the group of each row is looked up once per distinct series (the series column
is read dictionary-encoded), and pyarrow's dataset writer (``pyarrow.dataset.write_dataset``) writes the
``group=/month=`` partitions. Measured about three times as fast as the DuckDB path on the benchmark's file.

**One rule for what is stored.** The lane takes a file only where it reads every row as the DuckDB path
would, and otherwise *declines* (:class:`Declined`, with the reason) before anything is visible: a column
of another type, a row any check refuses (empty series, a series not in the city, no time, a value NaN
or infinite, text that is not UTF-8 or over a million bytes), anything Arrow cannot read or convert (an
epoch number or a time without a zone in a CSV file, ...), what the two CSV readers read differently (a
double quote, lines ending both in CRLF and LF, a line of a million bytes, a compressed file; see
:meth:`.files.InputFile.arrow_batches`), or a key given twice. The DuckDB path then runs from the start,
and either stores the file or names its first bad row. So the lane changes how fast a file is stored,
never what is stored or which error a user reads.

**Keys given twice** (the last row wins on the DuckDB path, which numbers the rows to know which is last):
a file whose rows are in strictly increasing (time, series) or (series, time) order, as loggers and exports
write them, cannot hold a key twice, and the lane checks that order as it reads, at no extra pass. Other
files are checked after staging by counting distinct keys, as the DuckDB path does; if one is given
twice, the lane declines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from .store import _SAFE, DISTINCT_KEYS, STAGING_PREFIX, StagedBatch

UTC = pa.timestamp("us", tz="UTC")
#: Rows the readers hand over at a time.
BATCH_ROWS = 1 << 20
#: Rows of a row group in a staged part (DuckDB writes 122,880). The writer holds up to this many rows of each
#: part it has open, and keeps at most OPEN_PARTS open (the least recently written is closed, its rows written):
#: memory stays near OPEN_PARTS x ROW_GROUP_ROWS rows however many groups and months a file spans (about 700 MB;
#: a file in time order fills few parts at once).
ROW_GROUP_ROWS = 1 << 17
OPEN_PARTS = 128
#: Longer text in quality or message_id is left to the DuckDB path (whose CSV reader refuses lines over 2,000,000
#: bytes; a CSV file's long lines are caught as it is read, this is for Parquet text and a second guard).
MAX_TEXT_BYTES = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_WRITTEN_SCHEMA = pa.schema([
    ("series", pa.dictionary(pa.int32(), pa.string())), ("time", UTC), ("value", pa.float64()),
    ("quality", pa.string()), ("message_id", pa.string()), ("written", UTC),
    ("group", pa.dictionary(pa.int32(), pa.string())), ("month", pa.dictionary(pa.int32(), pa.string())),
])


class Declined(Exception):
    """The file is not for the lane (the message says why); the DuckDB path takes it."""


def _instant(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


@dataclass
class _Seen:
    """What the batches held so far: rows, series (by rank), time range, and whether their order proves every
    key unique (strictly increasing by time then series, or by series then time)."""

    series: int
    rows: int = 0
    first: int | None = None
    last: int | None = None
    by_time: bool = True
    by_series: bool = True
    _tail: tuple[int, int] | None = None
    used: np.ndarray = field(init=False)

    def __post_init__(self):
        self.used = np.zeros(self.series, dtype=bool)

    def see(self, micros: np.ndarray, ranks: np.ndarray) -> None:
        self.rows += len(micros)
        low, high = int(micros.min()), int(micros.max())
        self.first = low if self.first is None else min(self.first, low)
        self.last = high if self.last is None else max(self.last, high)
        self.used[ranks] = True
        if self.by_time or self.by_series:
            t, r = micros, ranks
            if self._tail is not None:  # the order must hold across batches too
                t, r = np.concatenate(([self._tail[0]], micros)), np.concatenate(([self._tail[1]], ranks))
            dt, dr = np.diff(t), np.diff(r)
            self.by_time = self.by_time and bool(np.all((dt > 0) | ((dt == 0) & (dr > 0))))
            self.by_series = self.by_series and bool(np.all((dr > 0) | ((dr == 0) & (dt > 0))))
        self._tail = (int(micros[-1]), int(ranks[-1]))

    @property
    def unique(self) -> bool:
        return self.by_time or self.by_series


def _months(low: int, high: int) -> tuple[list[str], np.ndarray]:
    """The months from ``low``'s to ``high``'s (UTC, as folder values) and the instants the second onwards start."""
    try:
        first, last = _instant(low), _instant(high)
    except OverflowError:
        raise Declined("a time outside years 1 to 9999") from None
    names, starts = [], []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        start = datetime(year, month, 1, tzinfo=timezone.utc)
        names.append(start.date().isoformat())
        if len(names) > 1:
            starts.append((start - _EPOCH) // timedelta(microseconds=1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return names, np.array(starts, dtype=np.int64)


@dataclass
class _Checks:
    """What each batch is checked against and written with (see :func:`stage`)."""

    rank: dict[str, int]  # series key -> its place in the sorted keys
    group_of_rank: np.ndarray  # place -> index into groups
    groups: pa.Array
    written: datetime
    seen: _Seen

    def batches(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """Each batch checked (or :class:`Declined`) with its ``written``, ``group`` and ``month`` columns."""
        while True:
            try:
                batch = next(batches)
                if batch.num_rows:
                    batch = self._checked(batch)
            except StopIteration:
                return
            except Declined:
                raise
            except Exception as exc:  # noqa: BLE001 - whatever Arrow cannot read or convert (a type, a line, a
                # time), the DuckDB path reads or names; that is its answer to give
                raise Declined(f"Arrow cannot read it: {type(exc).__name__}: {exc}") from None
            if batch.num_rows:
                yield batch

    @staticmethod
    def _text(column: pa.Array) -> pa.Array:
        """A text column checked as the DuckDB path checks it: UTF-8 (a Parquet file may hold other bytes), and not
        so long that DuckDB's CSV reader would refuse its line (two million bytes; here a million, to be safe)."""
        column = column.cast(pa.string())
        column.validate(full=True)  # ArrowInvalid on bytes that are not UTF-8
        if column.null_count < len(column) and pc.max(pc.binary_length(column)).as_py() > MAX_TEXT_BYTES:
            raise Declined("a text over a million bytes")
        return column

    def _checked(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        n, names = batch.num_rows, batch.schema.names
        series = batch.column(names.index("series"))
        if not pa.types.is_dictionary(series.type):
            series = pc.dictionary_encode(series)
        if series.null_count:
            raise Declined("an empty series")
        try:
            ranks = np.array([self.rank[key] for key in series.dictionary.to_pylist()], dtype=np.int64)
        except KeyError as exc:
            raise Declined(f"a series not in this city ({exc})") from None
        row_ranks = ranks[series.indices.to_numpy(zero_copy_only=False)]
        time = batch.column(names.index("time"))
        if time.null_count:
            raise Declined("a row without a time")
        value = batch.column(names.index("value"))
        if value.null_count < n and not pc.all(pc.is_finite(value)).as_py():  # nulls are skipped: no value is fine
            raise Declined("a value NaN or infinite")
        micros = time.cast(pa.int64()).to_numpy(zero_copy_only=False)
        self.seen.see(micros, row_ranks)
        months, starts = _months(int(micros.min()), int(micros.max()))
        month = np.searchsorted(starts, micros, side="right").astype(np.int32) if len(starts) else np.zeros(n, np.int32)
        optional = [self._text(batch.column(names.index(name))) if name in names else pa.nulls(n, pa.string())
                    for name in ("quality", "message_id")]
        return pa.RecordBatch.from_arrays([
            series.cast(_WRITTEN_SCHEMA.field("series").type), time, value, *optional,
            pa.repeat(pa.scalar(self.written, UTC), n),
            pa.DictionaryArray.from_arrays(pa.array(self.group_of_rank[row_ranks], pa.int32()), self.groups),
            pa.DictionaryArray.from_arrays(pa.array(month), pa.array(months)),
        ], schema=_WRITTEN_SCHEMA)


def stage(store, batches: Iterable[pa.RecordBatch], groups: dict[str, str]) -> StagedBatch:
    """Stage ``batches`` (columns series, time as ``timestamp[us, UTC]``, value as float64, optionally quality
    and message_id as text) for ``groups``' series; :class:`Declined` when the DuckDB path must take them.

    Nothing is visible until the result is committed; whatever is raised removes the staging folder.
    """
    names = sorted(set(groups.values()))
    if not all(_SAFE.fullmatch(name or "") for name in names):
        raise Declined("a group that is not a safe folder name")  # the DuckDB path names it
    keys = sorted(groups)
    rank = {key: i for i, key in enumerate(keys)}
    group_index = {name: i for i, name in enumerate(names)}
    group_of_rank = np.array([group_index[groups[key]] for key in keys], dtype=np.int32)
    seen = _Seen(len(keys))
    staged = store.staging()
    staged.via = "arrow"
    written = datetime.now(timezone.utc)
    batch = staged.folder.name.removeprefix(STAGING_PREFIX)[:12]  # as the DuckDB path names its parts
    files = staged.folder / "files"
    try:
        ds.write_dataset(
            _Checks(rank, group_of_rank, pa.array(names, pa.string()), written, seen).batches(iter(batches)), files,
            schema=_WRITTEN_SCHEMA, format="parquet", partitioning=["group", "month"], partitioning_flavor="hive",
            basename_template=f"part-{written:%Y%m%dT%H%M%S%f}-{batch}_{{i}}.parquet",
            file_options=ds.ParquetFileFormat().make_write_options(compression="zstd", store_schema=False),
            min_rows_per_group=ROW_GROUP_ROWS, max_rows_per_group=4 * ROW_GROUP_ROWS,
            max_partitions=1 << 20, max_open_files=OPEN_PARTS, existing_data_behavior="overwrite_or_ignore",
            use_threads=True)
        if seen.rows == 0:
            raise Declined("no rows")
        staged.rows = seen.rows
        if not seen.unique and _given_twice(staged):
            raise Declined("a key given twice (the DuckDB path keeps the last)")
        staged.first, staged.last = _instant(seen.first), _instant(seen.last)
        staged.series = [keys[i] for i in np.flatnonzero(seen.used)]
    except BaseException:
        staged.discard()
        raise
    return staged


def _given_twice(staged: StagedBatch) -> bool:
    """Whether the staged files hold a key more than once: the DuckDB path's own check, on a connection set up as it
    sets up its own (bounded memory, spilling into the staging folder)."""
    with duckdb.connect() as con:
        staged.set_up(con)
        (distinct,) = con.execute(f"SELECT {DISTINCT_KEYS} FROM read_parquet({staged.pattern})").fetchone()
        return staged.key_given_twice(con, distinct)
