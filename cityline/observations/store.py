"""The observation store: time series as Parquet files partitioned by series group and day, read with DuckDB.

An observation is ``(series, time, value)`` with an optional ``quality`` flag and ``message_id``
(issue 6). Its natural key is ``(series, time)``: writing the same reading again (a redelivered
MQTT message, a bulk file loaded twice) never makes a second observation, because every read
keeps one row per key, the one written last. So ingestion may be at-least-once and the store
still holds each reading exactly once.

Layout under ``root``::

    group=<group>/day=<YYYY-MM-DD>/part-<written>-<uuid>.parquet

- **Atomic writes.** Each part is written to a hidden temporary file in its partition folder and
  moved into place with ``os.replace``, which is atomic on one file system: a reader lists only
  ``*.parquet`` files, so it sees a part whole or not at all, and a crash leaves only a
  temporary file that :meth:`ObservationStore.clean_up` removes.
- **Reads** go through DuckDB's ``read_parquet`` with Hive partitioning, deduplicating on the
  natural key (latest ``written`` wins; ties go to the later file name).
- **Compaction** rewrites a partition's parts as one deduplicated part (written atomically before
  the old parts are removed; a reader in between sees duplicates, which the read removes).
- **Retention** drops whole day partitions older than a cut-off for a group.

Plain Python (pyarrow, DuckDB): no Django, so the same module serves the CLI, a consumer process
and tests. Where pyarrow's own ``write_to_dataset`` would do the partitioning, it writes in place
(no atomic rename) and cannot keep the write time per part, so the few lines here do it by hand.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

#: The columns of a batch, their Arrow types, and whether they are required.
SCHEMA = pa.schema([
    pa.field("series", pa.string(), nullable=False),
    pa.field("time", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("value", pa.float64()),
    pa.field("quality", pa.string()),
    pa.field("message_id", pa.string()),
])
REQUIRED = ("series", "time", "value")
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")


class BatchError(ValueError):
    """A batch that cannot be stored, naming the column and the first bad row (0-based). Nothing is written."""

    def __init__(self, column: str, row: int | None, problem: str):
        self.column, self.row, self.problem = column, row, problem
        where = f"column {column!r}" + (f", row {row}" if row is not None else "")
        super().__init__(f"{where}: {problem}")


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
            nan = pc.is_nan(column.fill_null(0.0))
            if pc.any(nan).as_py():
                raise BatchError("value", int(pc.index(nan, True).as_py()), "not a number (NaN)")
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=SCHEMA)


class ObservationStore:
    """Observations under ``root`` (see the module docstring). ``group_of(series)`` names a series' group."""

    def __init__(self, root: str | os.PathLike, group_of=None):
        self.root = Path(root)
        self.group_of = group_of or (lambda series: series.split(".", 1)[0])

    # --- writing --------------------------------------------------------------------------------

    def _partition(self, group: str, day: date) -> Path:
        if not _SAFE.fullmatch(group):
            raise BatchError("series", None, f"group {group!r} is not a safe folder name")
        return self.root / f"group={group}" / f"day={day.isoformat()}"

    def write(self, batch: pa.Table | list[dict]) -> int:
        """Store a batch, all or nothing per partition file; returns the number of rows written.

        The whole batch is checked before anything is written (:class:`BatchError` names the column
        and row). Rows for several groups and days become one part per partition.
        """
        table = normalise(pa.Table.from_pylist(batch) if isinstance(batch, list) else batch)
        if table.num_rows == 0:
            return 0
        groups = [self.group_of(s) for s in table.column("series").to_pylist()]
        for row, group in enumerate(groups):
            if not isinstance(group, str) or not _SAFE.fullmatch(group):
                raise BatchError("series", row, f"group {group!r} is not a safe folder name")
        days = pc.strftime(table.column("time"), format="%Y-%m-%d").to_pylist()
        written = datetime.now(timezone.utc)
        table = table.append_column("written", pa.array([written] * table.num_rows, pa.timestamp("us", tz="UTC")))
        keys = pa.array([f"{g}\x00{d}" for g, d in zip(groups, days)])
        for key in pc.unique(keys).to_pylist():
            group, day = key.split("\x00")
            part = table.filter(pc.equal(keys, key))
            self._write_part(self._partition(group, date.fromisoformat(day)), part, written)
        return table.num_rows

    def _write_part(self, folder: Path, part: pa.Table, written: datetime) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        name = f"part-{written:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:12]}.parquet"
        temporary = folder / f".{name}.partial"
        pq.write_table(part, temporary, compression="zstd")
        with open(temporary, "rb") as fh:  # on disk before it becomes visible
            os.fsync(fh.fileno())
        os.replace(temporary, folder / name)
        return folder / name

    # --- reading --------------------------------------------------------------------------------

    def files(self) -> list[Path]:
        return sorted(self.root.glob("group=*/day=*/*.parquet"))

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with the view ``observations`` (one row per series and time)."""
        con = duckdb.connect()
        if not self.files():
            con.execute("CREATE VIEW observations AS SELECT NULL::VARCHAR AS series, NULL::TIMESTAMPTZ AS time, "
                        "NULL::DOUBLE AS value, NULL::VARCHAR AS quality, NULL::VARCHAR AS message_id, "
                        "NULL::VARCHAR AS \"group\", NULL::DATE AS day WHERE false")
            return con
        con.execute("SET TimeZone = 'UTC'")
        # A view cannot take a prepared parameter: the glob goes in as a quoted literal. It matches the
        # visible parts only (temporary files end in ".partial").
        pattern = str(self.root / "group=*" / "day=*" / "*.parquet").replace("'", "''")
        con.execute(
            "CREATE VIEW observations AS SELECT series, time, value, quality, message_id, \"group\", day FROM ("
            " SELECT *, row_number() OVER (PARTITION BY series, time ORDER BY written DESC, filename DESC) AS rn"
            f" FROM read_parquet('{pattern}', hive_partitioning = true, filename = true,"
            "                   hive_types = {'group': VARCHAR, 'day': DATE})"
            ") WHERE rn = 1")
        return con

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with self.connect() as con:
            return con.execute(sql, params or []).fetchall()

    # --- upkeep ---------------------------------------------------------------------------------

    def compact(self, group: str, day: date) -> int:
        """Rewrite one partition as a single deduplicated part; returns its row count."""
        folder = self._partition(group, day)
        parts = sorted(folder.glob("*.parquet"))
        if len(parts) <= 1:
            return pq.read_metadata(parts[0]).num_rows if parts else 0
        with duckdb.connect() as con:
            merged = con.sql(
                "SELECT series, time, value, quality, message_id, written FROM ("
                " SELECT *, row_number() OVER (PARTITION BY series, time ORDER BY written DESC, filename DESC) AS rn"
                " FROM read_parquet(?, filename = true)) WHERE rn = 1 ORDER BY series, time",
                params=[[str(p) for p in parts]]).to_arrow_table()
        merged = merged.cast(pa.schema(list(SCHEMA) + [pa.field("written", pa.timestamp("us", tz="UTC"))]))
        newest = max(merged.column("written").to_pylist())
        self._write_part(folder, merged, newest)
        for part in parts:
            part.unlink()
        return merged.num_rows

    def drop_before(self, group: str, cutoff: date) -> list[date]:
        """Retention: remove the group's day partitions before ``cutoff``; returns the days removed."""
        removed = []
        for folder in sorted((self.root / f"group={group}").glob("day=*")):
            day = date.fromisoformat(folder.name.removeprefix("day="))
            if day < cutoff:
                trash = folder.with_name(f".{folder.name}.removing")
                os.replace(folder, trash)  # gone for readers at once, then deleted
                shutil.rmtree(trash)
                removed.append(day)
        return removed

    def clean_up(self) -> int:
        """Remove what a crash may leave: temporary part files and half-removed partitions."""
        count = 0
        for leftover in list(self.root.glob("group=*/day=*/.*.partial")) + list(self.root.glob("group=*/.*.removing")):
            if leftover.is_dir():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()
            count += 1
        return count
