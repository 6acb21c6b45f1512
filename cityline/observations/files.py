"""Reading observation files: CSV, JSON lines and Parquet, checked row by row, read with DuckDB.

A file holds the columns ``series``, ``time``, ``value`` and optionally ``quality`` and
``message_id`` (no others). ``time`` is ISO 8601 with a time zone (``2026-11-27T08:00:00Z``,
``...+01:00``) or a number of seconds since 1970-01-01 UTC (epoch seconds, decimals allowed;
milliseconds above 10^11), from 1980 to the end of 2200 (:data:`.domain.payload.EPOCH_RULE`, as on
MQTT); Parquet may also hold a ``TIMESTAMP WITH TIME ZONE`` column. A time without a zone is refused:
guessing one would shift every reading. ``value`` is a number or empty (no value); NaN is refused.
A file with no row at all (0 bytes, or only blank lines) is refused as ``empty file``.

A file is one batch, all or nothing: :class:`FileError` names the file, the row (1-based data row;
for CSV and JSON lines also the line) and the column of the first bad row, and nothing of the file
is stored. A CSV file must be read as the rows it holds, Python's csv module being the reference
(:meth:`InputFile.data_rows`): DuckDB's reader takes some quotes otherwise (``"ser"ies`` in a header made it
read no row at all, a space before an opening quote joins lines), and such a file is refused, never stored short.

DuckDB reads (``read_csv``, ``read_ndjson_objects``, ``read_parquet``): the checks run inside
the query that converts the rows (DuckDB's ``error()`` stops it at a bad row), so a good file is
read once. Only when a file is refused is it read again, in order, to find its first bad row
(:meth:`InputFile.first_error`). :meth:`InputFile.batches` hands the rows over as Arrow tables
of at most ``chunk_rows`` rows (the normal path, :func:`.ingest.write_observations`);
:meth:`InputFile.stage` writes them straight to the store's bulk path (big files, never whole
in memory).
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from . import arrow_stage
from .domain.payload import EPOCH_BEFORE, EPOCH_EARLIEST, EPOCH_MS_ABOVE, EPOCH_RULE, compact_time_hint
from .store import SCHEMA, BatchError, ObservationStore, StagedBatch, normalise

FORMATS = ("csv", "jsonl", "parquet")
EXTENSIONS = {".csv": "csv", ".txt": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
              ".parquet": "parquet", ".pq": "parquet"}
#: Compressed files DuckDB reads (it tells the compression from the extension), e.g. readings.csv.gz.
COMPRESSED = (".gz",)
COLUMNS = tuple(SCHEMA.names)
REQUIRED = ("series", "time", "value")
CHUNK_ROWS = 1_000_000
#: How much of a CSV file the Arrow lane's reader parses at a time.
CSV_BLOCK_BYTES = 1 << 24
#: DuckDB's CSV reader refuses a line this long (its max_line_size); the Arrow lane leaves every line this long, and
#: some from half of it, to DuckDB.
LONG_LINE_BYTES = 2_000_000
log = logging.getLogger(__name__)
#: Python's csv module, the reference for what a CSV file holds (:meth:`InputFile.data_rows`), refuses a field over
#: 131,072 characters by default; DuckDB reads fields as long as its lines (two million bytes).
csv.field_size_limit(max(csv.field_size_limit(), LONG_LINE_BYTES))
#: The longest header name read (the field limit above, fixed here: a library imported in the same process may raise
#: the csv module's limit for itself, e.g. to sys.maxsize, and a header whose quote is never closed must not then be
#: read whole into memory).
HEADER_FIELD_LIMIT = LONG_LINE_BYTES
_BOM = b"\xef\xbb\xbf"
#: The text of a quoted CSV field up to its closing quote, or to the end of the line when it goes on (a quote doubled
#: within is one quote). Possessive: a quote that is half of a doubled one never closes the field.
_IN_QUOTES = re.compile(r'(?:[^"]|"")*+')
#: A CSV field that does not open with a quote, or the text beside a closing quote: up to the next comma or line end.
_UNQUOTED = re.compile(r'[^,\r\n]*')

#: Parquet value columns the Arrow lane reads (cast to float64 safely, as DuckDB's CAST AS DOUBLE does).
_ARROW_NUMBERS = {"DOUBLE", "FLOAT", "REAL", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT",
                  "UINTEGER", "UBIGINT"}
_EPOCH = r"-?\d+(\.\d+)?"
#: A DuckDB column type that holds zoned instants: TIMESTAMP WITH TIME ZONE (TIMESTAMPTZ) and its finer or coarser kin
#: (TIMESTAMPTZ_NS: pandas' default, timestamp[ns, tz=UTC]). The DuckDB path and the Arrow lane both ask it.
_ZONED_TYPE = re.compile(r"TIMESTAMPTZ(_.*)?|TIMESTAMP.*WITH TIME ZONE")
#: A time of day, then a zone (a date alone, "2026-11-20", must not pass for a time at offset -20).
_ZONE = r"[Tt ]\d\d(:\d\d(:\d\d([.,]\d+)?)?)? ?(Z|z|[+-]\d\d(:?\d\d)?)$"


class FileError(BatchError):
    """A file that cannot be stored: file name, 1-based data row (and line: CSV, JSON lines), column, problem."""

    def __init__(self, file: str, column: str | None, row: int | None, problem: str, *, line: int | None = None):
        self.file, self.line = file, line
        self.column, self.row, self.problem = column, row, problem
        ValueError.__init__(self, str(self))

    def __str__(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}" + (f" (line {self.line})" if self.line is not None else ""))
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts) + f": {self.problem}"


def format_of(path: str | Path, fmt: str | None = None) -> str:
    """The format named, or the one the file name's extension says (``ValueError``, naming ``path``, when neither)."""
    if fmt:
        if fmt not in FORMATS:
            raise ValueError(f"{path}: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        return fmt
    suffixes = [s.lower() for s in Path(path).suffixes]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in COMPRESSED and len(suffixes) > 1 and EXTENSIONS.get(suffixes[-2]) in ("csv", "jsonl"):
        return EXTENSIONS[suffixes[-2]]  # readings.csv.gz, readings.jsonl.gz: DuckDB reads them compressed
    if suffix not in EXTENSIONS:
        also = " (compressed: .csv.gz, .jsonl.gz)" if suffix in COMPRESSED else ""
        raise ValueError(f"{path}: cannot tell the format from the extension {suffix or '(none)'!r}{also}; "
                         f"give --format ({', '.join(FORMATS)})")
    return EXTENSIONS[suffix]


def _lit(text) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _no_glob(path: Path) -> str:
    """``path`` for DuckDB's readers, which take ``*``, ``?`` and ``[`` as a pattern: each one as a class of itself."""
    return re.sub(r"([*?\[])", r"[\1]", str(path.absolute()))


def _epoch_sql(number: str) -> tuple[str, str]:
    """(seconds since 1970, whether plausible) of an epoch number: :data:`.domain.payload.EPOCH_RULE`, as on MQTT.

    Seconds up to 10^11, milliseconds above, either way from 1980 to the end of 2200: the seconds' window ends
    below 10^11 and the milliseconds' one starts above it, so each number meets the window of its own unit.
    """
    seconds = f"CASE WHEN {number} > {EPOCH_MS_ABOVE!r} THEN {number} / 1000 ELSE {number} END"
    plausible = (f"({number} >= {EPOCH_EARLIEST!r} AND {number} < {EPOCH_BEFORE!r} OR "
                 f"{number} >= {EPOCH_EARLIEST * 1000!r} AND {number} < {EPOCH_BEFORE * 1000!r})")
    return seconds, plausible


def _out_of_range(text: str) -> str:
    return f"'epoch time ' || {text} || ' is out of range: ' || {_lit(EPOCH_RULE)}"


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def _lines(f, size: int = 1 << 16) -> Iterator[bytes]:
    """A binary file's lines, each with its end: LF, CRLF or a lone CR, the line ends of Python's csv module and
    DuckDB's CSV reader (a binary file iterated ends its lines at LF only, so a file of CR line ends was one line)."""
    rest, step = b"", size
    while chunk := f.read(step):
        lines = (rest + chunk).splitlines(keepends=True)  # bytes split at LF, CRLF and CR only
        rest = lines.pop()  # unfinished, or ending in a CR whose LF may come next
        yield from lines
        step = size if lines else step * 2  # a long line is read in growing steps, not copied over and over
    if rest:
        yield rest


def _pairs(data: bytes, pair: bytes) -> int:
    """How often ``pair`` (two bytes) occurs in ``data``, overlapping ones too (three LF hold two pairs LF LF)."""
    count, i = 0, data.find(pair)
    while i >= 0:
        count += 1
        i = data.find(pair, i + 1)
    return count


class _HeaderRecord:
    """A CSV header record read line by line, once, as Python's csv module reads it (comma, double quote, a quote
    doubled within a quoted field, which may span lines; the record ends at a line end outside quotes).

    :attr:`fields` holds each field as ``(name, text beside its closing quote, the field as written)``: the name as
    the csv module reads it (quotes undone, the text beside appended), and what the module passes over, the text a
    closing quote has beside it, which DuckDB's reader does not take. A field longer than
    :data:`HEADER_FIELD_LIMIT` raises the csv module's error for it (``csv.Error``).
    """

    def __init__(self):
        self.fields: list[tuple[str, str, str]] = []
        self._open: list[str] | None = None  # the quoted field still open: its text so far, from its opening quote
        self._open_length = 0

    def add(self, line: str) -> bool:
        """Read the record's next line (with its line end); True when the record ends in it."""
        pos = self._quoted(line, 0) if self._open is not None else self._field(line, 0)
        while pos is not None and pos < len(line) and line[pos] == ",":
            pos = self._field(line, pos + 1)
        return pos is not None

    def end(self) -> list[tuple[str, str, str]]:
        """The fields, once the file ended: a quoted field still open takes the rest, as the csv module reads it."""
        if self._open is not None:
            written = "".join(self._open)
            self.fields.append((written[1:].replace('""', '"'), "", written))
            self._open = None
        return self.fields

    def _field(self, line: str, pos: int) -> int | None:
        if line.startswith('"', pos):
            self._open, self._open_length = ['"'], 0
            return self._quoted(line, pos + 1)
        plain = _UNQUOTED.match(line, pos)
        self._add(plain[0], "", plain[0])
        return plain.end()

    def _quoted(self, line: str, pos: int) -> int | None:
        """Go on with the open quoted field from ``pos``: None when it is still open at the end of the line, else
        the position after it (after the text beside its closing quote)."""
        inside = _IN_QUOTES.match(line, pos)
        text = line[pos:inside.end()]
        self._open_length += len(text) - text.count('""')
        if self._open_length > HEADER_FIELD_LIMIT:
            raise csv.Error(f"field larger than field limit ({HEADER_FIELD_LIMIT})")
        if inside.end() == len(line):
            self._open.append(text)
            return None
        quoted = "".join(self._open) + text + '"'
        self._open = None
        beside = _UNQUOTED.match(line, inside.end() + 1)
        self._add(quoted[1:-1].replace('""', '"') + beside[0], beside[0], quoted + beside[0])
        return beside.end()

    def _add(self, name: str, beside: str, written: str) -> None:
        if len(name) > HEADER_FIELD_LIMIT:
            raise csv.Error(f"field larger than field limit ({HEADER_FIELD_LIMIT})")
        self.fields.append((name, beside, written))


class _RecordCount:
    """The records of a CSV file that holds no double quote, counted from its bytes as they are read: its lines that
    are not blank (ended by LF, CRLF or a lone CR; a BOM at the start is no text), which is what Python's csv module
    reads from such a file. Byte counts and searches only, no copy: a blank line is a line end that follows a line
    end (the byte pairs LF LF, LF CR and CR CR) or starts the file."""

    def __init__(self):
        self.line_ends = self.blank = 0
        self._last = b""
        self._head: bytes | None = b""  # the first bytes, held until they are known to be a BOM or not

    def feed(self, data: bytes) -> None:
        if self._head is not None:
            self._head += data
            if data and len(self._head) < len(_BOM) and _BOM.startswith(self._head):
                return
            data, self._head = self._head.removeprefix(_BOM), None
        if not data:
            return
        joined = self._last == b"\r" and data[:1] == b"\n"  # a CRLF cut in two by the reads
        self.line_ends += data.count(b"\n") - joined
        if (self._last or b"\n") in (b"\r", b"\n") and data[:1] in (b"\r", b"\n") and not joined:
            self.blank += 1
        self.blank += _pairs(data, b"\n\n")
        if b"\r" in data:
            self.line_ends += data.count(b"\r") - data.count(b"\r\n")
            self.blank += _pairs(data, b"\n\r") + _pairs(data, b"\r\r")
        self._last = data[-1:]

    @property
    def records(self) -> int:
        self.feed(b"")  # a file shorter than a BOM
        unended = self._last not in (b"", b"\r", b"\n")
        return self.line_ends + unended - self.blank


class _Scanned:
    """A binary file as Arrow's CSV reader reads it, noting on the way what the lane leaves to DuckDB (see
    :meth:`InputFile.arrow_batches`): a double quote, lines ending in both CRLF and LF (or in a lone CR), and a
    line that may be too long for DuckDB's CSV reader. Byte searches (memchr) only, so a plain file costs next to
    nothing: the line ends are counted only in reads that hold a CR, and a long line is looked for as a stretch of
    :data:`LONG_LINE_BYTES` / 2 bytes (aligned in the file) without a line end, which every line of
    LONG_LINE_BYTES or more holds."""

    def __init__(self, raw):
        self.raw = raw
        self.quoted = self.long_line = False
        self.lf_only = self.crlf_only = True
        self._last = b""
        self._offset = 0
        self._window_has_lf = False
        self.closed = False

    def decline_if_apart(self) -> None:
        """:class:`.arrow_stage.Declined` as soon as the bytes read so far hold what the readers read apart."""
        if self.quoted:
            raise arrow_stage.Declined("a double quote")
        if self.long_line or not (self.lf_only or self.crlf_only):
            raise arrow_stage.Declined("a line of a million bytes or more" if self.long_line
                                       else "lines ending both in CRLF and LF")

    @property
    def mixed_newlines(self) -> bool:
        """Lines ending in both ways, or a lone CR (one ending the file too: it is counted with no next read)."""
        return not (self.lf_only or self.crlf_only) or self._last == b"\r"

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        if data:
            self.quoted = self.quoted or b'"' in data
            if b"\r" in data or self._last == b"\r":
                # A CRLF may be cut in two by the reads: a CR ending one read is counted with the next.
                joined = (b"\r" if self._last == b"\r" else b"") + data
                crlf = joined.count(b"\r\n")
                self.lf_only = False
                self.crlf_only = self.crlf_only and crlf == joined.count(b"\n") and crlf == joined.count(b"\r") - (
                    data.endswith(b"\r"))
            elif b"\n" in data:
                self.crlf_only = False
            self._last = data[-1:]
            self._lines(data)
        return data

    def _lines(self, data: bytes) -> None:
        window = LONG_LINE_BYTES // 2
        start, end = self._offset, self._offset + len(data)
        k = start // window
        while k * window < end:
            low, high = max(k * window, start) - start, min((k + 1) * window, end) - start
            self._window_has_lf = self._window_has_lf or data.find(b"\n", low, high) >= 0
            if (k + 1) * window <= end:  # the window is whole
                self.long_line = self.long_line or not self._window_has_lf
                self._window_has_lf = False
            k += 1
        self._offset = end

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True
        self.raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class InputFile:
    """One observation file (see the module docstring). ``name`` is what errors call it (default: the file's
    name without its folder): ``cityline ingest`` passes the path as given on its command line (two files of
    one name in different folders), the HTTP upload "request body" (never a path on the server)."""

    def __init__(self, path: str | Path, fmt: str | None = None, *, name: str | None = None):
        self.path = Path(path)
        self.name = name or self.path.name
        self.fmt = format_of(self.name, fmt)
        if self.path.is_dir():
            raise FileError(self.name, None, None, "is a directory, not a file")
        if not self.path.is_file():
            raise FileError(self.name, None, None, "no such file")
        if self.path.stat().st_size == 0 or self.fmt == "jsonl" and self._blank():
            raise FileError(self.name, None, None, "empty file")
        #: CSV: blank lines before the header (DuckDB is told to skip them).
        self.skip = 0
        self.types = self._columns()
        for column in REQUIRED:
            if column not in self.types:
                found = ", ".join(repr(c) for c in self.types) or "none"
                hint = ""
                if self.fmt == "csv" and len(self.types) == 1 and re.search(r"[;\t|]", next(iter(self.types))):
                    hint = "; separate the columns with commas"
                raise FileError(self.name, column, None, f"missing column (the columns found: {found}){hint}")
        unknown = [c for c in self.types if c not in COLUMNS]
        if unknown:
            raise FileError(self.name, unknown[0], None, f"unknown column; the columns are {', '.join(COLUMNS)}")

    # --- what the file holds ------------------------------------------------------------------------

    def _columns(self) -> dict[str, str]:
        """``{column: DuckDB type}`` as the file declares them (CSV and JSON: text)."""
        try:
            with _connect() as con:
                if self.fmt == "parquet":
                    try:
                        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_lit(self.source)})").fetchall()
                    except duckdb.Error as exc:  # its footer: e.g. a CSV file given --format parquet
                        problem = self._duckdb_error(exc).problem
                        raise FileError(self.name, None, None, f"not a readable Parquet file ({problem})") from None
                    return {r[0]: r[1] for r in rows}
                if self.fmt == "csv":
                    return {c: "VARCHAR" for c in self._header()}
                # JSON lines: an object's keys are checked row by row (a missing one reads as empty,
                # an unknown one is a row error), so there is no header to read here.
                return {c: "VARCHAR" for c in COLUMNS}
        except duckdb.Error as exc:
            raise self._duckdb_error(exc) from None

    def _blank(self) -> bool:
        """Whether the file (uncompressed) holds nothing but white space: JSON lines with no object at all."""
        try:
            with self._open() as f:
                while chunk := f.read(1 << 16):
                    if chunk.strip():
                        return False
        except (OSError, EOFError) as exc:  # e.g. a .gz file that is not gzip
            raise FileError(self.name, None, None, f"cannot read the file: {exc}") from None
        return True

    @property
    def source(self) -> str:
        """The path as DuckDB's readers take it (absolute, no pattern)."""
        return _no_glob(self.path)

    def _open(self):
        """The file's bytes (uncompressed), as DuckDB reads them."""
        return gzip.open(self.path, "rb") if self.path.suffix.lower() in COMPRESSED else open(self.path, "rb")

    def _header(self) -> list[str]:
        """The CSV header's column names, read here rather than sniffed by DuckDB (which can take a data row
        for the header or a wrong delimiter): comma, double quote, a header row; a BOM, blank lines before
        it and spaces around the names are passed over."""

        def lines(f) -> Iterator[str]:
            for number, raw in enumerate(_lines(f), 1):
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise FileError(self.name, None, None, "not utf-8 encoded; save the file as UTF-8",
                                    line=number) from None
                yield text.removeprefix("\ufeff") if number == 1 else text

        record = _HeaderRecord()
        try:
            with self._open() as f:
                started = False
                for line in lines(f):
                    if not line:  # a file of a BOM alone: no line at all, as the csv module reads it
                        continue
                    if not started and line in ("\n", "\r\n", "\r"):  # a blank line before the header
                        self.skip += 1
                        continue
                    started = True
                    if record.add(line):
                        break
                if not started:
                    raise FileError(self.name, None, None, "empty file")
                fields = record.end()
        except csv.Error as exc:
            raise FileError(self.name, None, None, f"header: {exc}", line=self.skip + 1) from None
        except (OSError, EOFError) as exc:  # e.g. a .gz file that is not gzip
            raise FileError(self.name, None, None, f"cannot read the file: {exc}") from None
        # Python's csv module reads '"ser"ies' as "series"; DuckDB's reader, told the columns, then reads no row at all
        # (a tab after the closing quote too). A name is quoted whole or not at all; spaces around it are fine.
        for name, beside, written in fields:
            if beside.strip(" "):
                raise FileError(self.name, written.strip(" "), None, "text beside a double quote in the header; "
                                f"quote a column name whole (\"{name.strip()}\") or not at all", line=self.skip + 1)
        names = [name.strip() for name, _beside, _written in fields]
        for i, n in enumerate(names):
            if n in names[:i]:
                raise FileError(self.name, n, None, "the header names this column twice", line=self.skip + 1)
        return names

    @property
    def rows_hint(self) -> int | None:
        """The row count when the file says it without being read (Parquet), else None."""
        if self.fmt == "parquet":
            return pq.read_metadata(self.path).num_rows
        return None

    def _raw(self, *, text: bool, ordinal: bool) -> str:
        """The file as a DuckDB relation: its columns (text where ``text``) and ``_row`` (1-based) if ``ordinal``."""
        if self.fmt == "parquet":
            if ordinal:
                return (f"SELECT *, file_row_number + 1 AS _row FROM read_parquet({_lit(self.source)}, "
                        "file_row_number = true)")
            return f"SELECT * FROM read_parquet({_lit(self.source)})"
        if self.fmt == "csv":
            types = {c: ("DOUBLE" if c == "value" and not text else "VARCHAR") for c in self.types}
            columns = "{" + ", ".join(f"{_lit(c)}: {_lit(t)}" for c, t in types.items()) + "}"
            skip = f"skip = {self.skip}, " if self.skip else ""
            source = (f"read_csv({_lit(self.source)}, header = true, delim = ',', quote = '\"', escape = '\"', "
                      f"{skip}columns = {columns}, auto_detect = false)")
        else:
            allowed = ", ".join(_lit(c) for c in COLUMNS)
            fields = ", ".join(f"json ->> {_lit(c)} AS \"{c}\"" for c in self.types)
            source = (f"(SELECT {fields}, CASE WHEN json_type(json) <> 'OBJECT' THEN 'not a JSON object' "
                      f"WHEN len(list_filter(json_keys(json), lambda k: k NOT IN ({allowed}))) > 0 "
                      f"THEN 'unknown key ' || list_filter(json_keys(json), lambda k: k NOT IN ({allowed}))[1] END AS _shape "
                      f"FROM read_ndjson_objects({_lit(self.source)}))")
        # Without an ORDER BY, row_number() OVER () numbers rows in the order DuckDB reads them: file order.
        return f"SELECT *{', row_number() OVER () AS _row' if ordinal else ''} FROM {source}"

    # --- the checked conversion ---------------------------------------------------------------------

    def _time_sql(self, strict: bool) -> tuple[str, str]:
        """(expression for ``time`` as TIMESTAMPTZ, expression naming its problem or NULL)."""
        kind = self.types["time"].upper()
        empty = "CASE WHEN \"time\" IS NULL THEN 'empty' END"
        if _ZONED_TYPE.fullmatch(kind):
            # An empty time stops the strict read (the bulk path would store it in no month otherwise).
            value = "CAST(\"time\" AS TIMESTAMPTZ)"
            return (f"CASE WHEN \"time\" IS NULL THEN error('empty time') ELSE {value} END" if strict else value), empty
        if kind.startswith("TIMESTAMP") or kind == "DATE":
            raise FileError(self.name, "time", None, f"no time zone (the column is {kind}); store times with "
                                                     "their zone, e.g. UTC")
        if kind in ("VARCHAR", "STRING"):
            t = "\"time\""
            epoch = f"(NOT contains({t}, ':') AND regexp_full_match({t}, {_lit(_EPOCH)}))"
            zoned = f"regexp_matches({t}, {_lit(_ZONE)})"
            number = f"{'CAST' if strict else 'TRY_CAST'}({t} AS DOUBLE)"
            # An hour without minutes (2026-11-27T08Z, ISO 8601's reduced precision) is read as the MQTT and JSON
            # paths (Python's fromisoformat) and the Arrow lane read it; DuckDB's cast wants the minutes.
            iso = (f"CASE WHEN substr({t}, 14, 1) IN ('Z', 'z', '+', '-') THEN substr({t}, 1, 13) || ':00' || "
                   f"substr({t}, 14) ELSE {t} END")
            seconds, plausible = _epoch_sql(number)
            if strict:
                value = (f"CASE WHEN {t} IS NULL THEN error('empty time') WHEN {epoch} THEN "
                         f"CASE WHEN {plausible} THEN to_timestamp({seconds}) "
                         f"ELSE error('epoch time out of range: ' || {t}) END "
                         f"WHEN {zoned} THEN CAST({iso} AS TIMESTAMPTZ) "
                         f"ELSE error('no time zone: ' || {t}) END")
            else:
                value = (f"CASE WHEN {epoch} AND {plausible} THEN to_timestamp({seconds}) "
                         f"WHEN {zoned} THEN TRY_CAST({iso} AS TIMESTAMPTZ) END")
            problem = (f"CASE WHEN {t} IS NULL THEN 'empty' WHEN {epoch} AND {plausible} THEN NULL "
                       f"WHEN {epoch} THEN {_out_of_range(t)} "
                       f"WHEN NOT {zoned} THEN 'no time zone (' || {t} || '); write e.g. 2026-11-27T08:00:00Z' "
                       f"WHEN TRY_CAST({iso} AS TIMESTAMPTZ) IS NULL THEN 'not an ISO 8601 time: ' || {t} END")
            return value, problem
        if any(word in kind for word in ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL")):
            seconds, plausible = _epoch_sql("CAST(\"time\" AS DOUBLE)")
            value = f"to_timestamp({seconds})"
            if strict:
                value = f"CASE WHEN {plausible} THEN {value} ELSE error('epoch time out of range') END"
            text = _out_of_range("CAST(\"time\" AS VARCHAR)")
            return value, f"CASE WHEN \"time\" IS NULL THEN 'empty' WHEN NOT {plausible} THEN {text} END"
        raise FileError(self.name, "time", None, f"cannot read a time from a {kind} column; use ISO 8601 text "
                                                 "with a time zone, epoch seconds or a timestamp with time zone")

    def select(self, *, strict: bool = True, ordinal: bool = False) -> str:
        """SELECT series, time, value, quality, message_id (+ ``_ordinal``); ``strict``: raises at a bad row."""
        time_value, _ = self._time_sql(strict)
        value_kind = self.types["value"].upper()
        if value_kind == "BOOLEAN" or value_kind.startswith(("TIMESTAMP", "DATE")):
            raise FileError(self.name, "value", None, f"cannot read numbers from a {value_kind} column")
        value = "CAST(\"value\" AS DOUBLE)"
        if strict:
            value = f"CASE WHEN NOT isfinite({value}) THEN error('value NaN or infinite') ELSE {value} END"
        opt = {c: (f"CAST(\"{c}\" AS VARCHAR)" if c in self.types else "NULL::VARCHAR") for c in ("quality", "message_id")}
        # The JSON shape check rides on the series column: a column of its own would be pruned unread.
        shape = "WHEN _shape IS NOT NULL THEN error(_shape) " if self.fmt == "jsonl" else ""
        series = (f"CASE {shape}WHEN series IS NULL OR series = '' THEN error('empty series') ELSE series END"
                  if strict else "series")
        return (f"SELECT CAST({series} AS VARCHAR) AS series, {time_value} AS time, {value} AS value, "
                f"{opt['quality']} AS quality, {opt['message_id']} AS message_id"
                f"{', _row AS _ordinal' if ordinal else ''} FROM ({self._raw(text=False, ordinal=ordinal)})")

    # --- finding the first bad row ------------------------------------------------------------------

    def first_error(self, groups: dict[str, str] | None = None) -> FileError | None:
        """The first bad row in file order (read again, all text), or None when every row is good."""
        _, time_problem = self._time_sql(strict=False)
        if self.types["value"].upper() in ("VARCHAR", "STRING"):
            value_problem = ("CASE WHEN \"value\" IS NOT NULL AND TRIM(\"value\") <> '' AND "
                             "TRY_CAST(\"value\" AS DOUBLE) IS NULL THEN 'not a number: ' || \"value\" "
                             "WHEN isnan(TRY_CAST(\"value\" AS DOUBLE)) THEN 'not a number (NaN)' "
                             "WHEN isinf(TRY_CAST(\"value\" AS DOUBLE)) THEN 'not a finite number: ' || \"value\" END")
        else:
            # Not isnan(): DuckDB folds it to false where the file's statistics leave NaN out (pyarrow's do).
            value_problem = ("CASE WHEN isinf(CAST(\"value\" AS DOUBLE)) THEN 'not a finite number (infinity)' "
                             "WHEN NOT isfinite(CAST(\"value\" AS DOUBLE)) THEN 'not a number (NaN)' END")
        series_problem = "CASE WHEN series IS NULL OR series = '' THEN 'empty'"
        if groups is not None:
            series_problem += (" WHEN series NOT IN (SELECT series FROM _known) THEN 'no series ''' || series || "
                               "''' in this city; add it first (editor, API or city pack)'")
        series_problem += " END"
        checks = [("series", series_problem), ("time", time_problem), ("value", value_problem)]
        if self.fmt == "jsonl":
            checks.insert(0, ("", "_shape"))
        problem = "CASE " + " ".join(f"WHEN ({p}) IS NOT NULL THEN [{_lit(c)}, ({p})]" for c, p in checks) + " END"
        try:
            with _connect() as con:
                con.execute("CREATE TEMP TABLE _known (series VARCHAR)")
                if groups:
                    con.executemany("INSERT INTO _known VALUES (?)", [(k,) for k in sorted(groups)])
                found = con.execute(
                    f"SELECT _row, _problem FROM (SELECT _row, {problem} AS _problem FROM "
                    f"({self._raw(text=True, ordinal=True)})) WHERE _problem IS NOT NULL ORDER BY _row LIMIT 1"
                ).fetchone()
        except duckdb.Error as exc:
            return self._duckdb_error(exc)
        if found is None:
            return None
        row, (column, text) = int(found[0]), found[1]
        if text.startswith("unknown key "):
            column, text = text.removeprefix("unknown key "), f"unknown key; the keys are {', '.join(COLUMNS)}"
        if column == "time" and (epoch := re.match(r"epoch time (\S+) is out of range", text)):
            hint = compact_time_hint(epoch[1])
            text += f"; {hint}" if hint else ""
        return FileError(self.name, column or None, row, text, line=self._line(row))

    # --- a CSV file's rows: as many read as it holds ------------------------------------------------

    def data_rows(self) -> int:
        """The data rows a CSV file holds as Python's csv module reads it: its records but the header, blank lines
        not counted. One pass: a file without a double quote is counted in its bytes (:class:`_RecordCount`), one
        with a quote is read by ``csv.reader``."""
        count = _RecordCount()
        try:
            with self._open() as f:
                while chunk := f.read(CSV_BLOCK_BYTES):
                    if b'"' in chunk:
                        break
                    count.feed(chunk)
                else:
                    return count.records - 1
            with self._open() as f:
                records = sum(1 for record in csv.reader(io.TextIOWrapper(f, encoding="utf-8-sig", newline=""))
                              if record)
        except (csv.Error, UnicodeDecodeError, OSError, EOFError) as exc:  # DuckDB read it: not expected here
            raise FileError(self.name, None, None, f"cannot read the file as CSV: {exc}") from None
        return records - 1

    def _check_rows(self, read: int) -> None:
        """:class:`FileError` when DuckDB read a CSV file (``read`` rows, before any key given twice was kept once) as
        other than the rows it holds (:meth:`data_rows`)."""
        if self.fmt != "csv":
            return
        held = self.data_rows()
        if read != held:
            raise self._rows_apart(read, held)

    def _rows_apart(self, read: int, held: int) -> FileError:
        """The error for a CSV file DuckDB reads as ``read`` rows where it holds ``held``, at the first row the two
        readings differ (both read again, side by side: the error path only)."""
        problem = (f"the file holds {held:,} data row{'' if held == 1 else 's'} but is read as {read:,}, the rows read "
                   "apart from here on; check the double quotes (a field is quoted whole, with nothing before its "
                   "opening quote)")
        width = len(self.types)
        try:
            with _connect() as con, self._open() as f:
                duck = con.execute(self._raw(text=True, ordinal=False))  # file order (insertion order is kept)
                reader = csv.reader(io.TextIOWrapper(f, encoding="utf-8-sig", newline=""))
                records = end = 0
                for record in reader:
                    start, end = end + 1, reader.line_num
                    records += bool(record)
                    if not record or records == 1:  # a blank line, the header
                        continue
                    got = duck.fetchone()
                    if got is None or [v.strip() for v in record[:width]] != [(v or "").strip() for v in got]:
                        return FileError(self.name, None, records - 1, problem, line=start)
                if duck.fetchone() is not None:
                    return FileError(self.name, None, held + 1, problem)
        except (duckdb.Error, csv.Error, UnicodeDecodeError, OSError, EOFError):
            pass
        return FileError(self.name, None, None, problem)

    # --- where a row is (error path only: the file is read again, line by line) ---------------------

    def _csv_units(self) -> Iterator[tuple[int, bool]]:
        """(physical line it starts on, whether a record) of each "line" DuckDB counts in a CSV file: a
        record (a quoted field may span lines) or a blank line (DuckDB skips it, but counts it)."""
        quoted, start = False, 0
        with self._open() as f:
            for number, raw in enumerate(_lines(f), 1):
                if not quoted:
                    start = number
                    if not raw.rstrip(b"\r\n"):
                        yield number, False
                        continue
                if raw.count(b'"') % 2:  # a doubled quote ("") inside a quoted field does not change this
                    quoted = not quoted
                if not quoted:
                    yield start, True
        if quoted:
            yield start, True

    def _line(self, row: int | None) -> int | None:
        """The physical line of data row ``row`` (1-based) of a CSV or JSON lines file; None for Parquet."""
        if row is None:
            return None
        return self._csv_line(row) if self.fmt == "csv" else self._json_line(row) if self.fmt == "jsonl" else None

    def _csv_line(self, row: int) -> int | None:
        """The physical line of CSV data row ``row`` (1-based, after the header)."""
        records = 0
        for line, record in self._csv_units():
            records += record
            if record and records == row + 1:
                return line
        return None

    def _csv_where(self, unit: int) -> tuple[int | None, int | None]:
        """(data row, physical line) of the ``unit``-th line DuckDB counts (its "CSV Error on Line")."""
        records = 0
        for i, (line, record) in enumerate(self._csv_units(), 1):
            records += record
            if i == unit:
                return (records - 1 if record and records > 1 else None), line
        return None, None

    def _json_line(self, row: int) -> int | None:
        """The physical line of JSON lines object ``row`` (blank lines are skipped)."""
        objects = 0
        with self._open() as f:
            for number, raw in enumerate(f, 1):
                if raw.strip():
                    objects += 1
                    if objects == row:
                        return number
        return None

    def _duckdb_error(self, exc: Exception) -> FileError:
        """A DuckDB error as a :class:`FileError`: DuckDB's reason, the row and line it names, no path (the
        error names the file by :attr:`name`: an HTTP upload's temporary file is no one's business)."""
        message = str(exc).strip() or type(exc).__name__
        for path in {self.source, str(self.path.absolute()), str(self.path)}:
            quoted = r"([\"'])" + re.escape(path) + r"\1"
            # "Malformed JSON in file '<path>', at byte ...": where it is, which the error's name says
            message = re.sub(r"(?i)\s*\bin file " + quoted + ",?", "", message)
            # "... at end of file '<path>'", "File '<path>' too small ...": the word "file" reads on without it
            message = re.sub(r"\s*" + quoted, "", message)
            message = message.replace(path, self.name)
        message = re.sub(r"^[A-Za-z ]*Error: ", "", message)
        lines = message.splitlines()
        csv_line = re.match(r"CSV Error on Line: (\d+)", lines[0])
        if csv_line and self.fmt == "csv":
            # What follows the "Original Line: ..." (one or more lines) up to a blank line or the advice.
            reason = []
            for text in lines[1:]:
                if text.startswith(("Possible", "  file = ")):
                    break
                if text.strip() and not text.startswith("Original Line:"):
                    reason.append(text.strip())
            # The reason is the last of those lines (the record itself may span lines).
            problem = reason[-1] if reason else "cannot read this line"
            row, line = self._csv_where(int(csv_line[1]))
            return FileError(self.name, None, row, problem.rstrip("."), line=line)
        malformed = re.match(r"Malformed JSON(?: in file \".*?\")?,? at byte \d+ in line (\d+): (.*?)\.?"
                             r"( Try auto-detecting.*)?$", lines[0])
        if malformed and self.fmt == "jsonl":
            # DuckDB counts the objects (not blank lines) and names the one after the bad one.
            row = max(int(malformed[1]) - 1, 1)
            return FileError(self.name, None, row, f"not valid JSON: {malformed[2]}", line=self._json_line(row))
        column = re.search(r'column "?([A-Za-z_]+)"?', message)
        return FileError(self.name, column[1] if column else None, None, lines[0])

    def _refused(self, exc: Exception, groups: dict[str, str] | None) -> FileError:
        return self.first_error(groups) or self._duckdb_error(exc)

    # --- reading ------------------------------------------------------------------------------------

    def arrow_batches(self) -> Iterator[pa.RecordBatch]:
        """The file's rows as Arrow batches for :mod:`.arrow_stage`: series, time (``timestamp[us, UTC]``),
        value (float64) and the optional text columns, unchecked; :class:`.arrow_stage.Declined` (now or while
        reading) for a file the lane does not read as the DuckDB path does (see there)."""
        if self.fmt == "parquet":
            return self._arrow_parquet()
        if self.fmt == "csv":
            return self._arrow_csv()
        raise arrow_stage.Declined("JSON lines")

    def _arrow_parquet(self) -> Iterator[pa.RecordBatch]:
        kinds = {c: t.upper() for c, t in self.types.items()}
        if kinds["series"] != "VARCHAR" or any(kinds.get(c, "VARCHAR") != "VARCHAR" for c in ("quality", "message_id")):
            raise arrow_stage.Declined("a text column of another type")
        if not _ZONED_TYPE.fullmatch(kinds["time"]):
            raise arrow_stage.Declined(f"time as {kinds['time']}")
        if kinds["value"] not in _ARROW_NUMBERS:
            raise arrow_stage.Declined(f"value as {kinds['value']}")
        with pq.ParquetFile(self.path, read_dictionary=["series"]) as reader:
            for batch in reader.iter_batches(arrow_stage.BATCH_ROWS, columns=list(self.types)):
                # Safe casts: a time finer than a microsecond or an integer no float holds exactly raises (declined).
                yield batch.set_column(batch.schema.get_field_index("time"), "time",
                                       batch.column("time").cast(arrow_stage.UTC)) \
                    .set_column(batch.schema.get_field_index("value"), "value",
                                batch.column("value").cast(pa.float64()))

    def _arrow_csv(self) -> Iterator[pa.RecordBatch]:
        if self.skip:
            raise arrow_stage.Declined("blank lines before the header")
        names = list(self.types)
        if any("\n" in name or "\r" in name for name in names):
            raise arrow_stage.Declined("a header over several lines")
        types = {"series": pa.dictionary(pa.int32(), pa.string()), "time": arrow_stage.UTC, "value": pa.float64(),
                 "quality": pa.string(), "message_id": pa.string()}
        if self.path.suffix.lower() in COMPRESSED:
            raise arrow_stage.Declined("a compressed file")  # Python's gzip and DuckDB's differ on damaged ones
        scanned = _Scanned(open(self.path, "rb"))
        # As DuckDB's read_csv is told (see _raw): comma, a header row (skipped: its names are read by _header), an
        # empty field is no value, and only it; blank lines skipped. A time without a zone, or an epoch number, is
        # an error here (declined). Quotes are parsed as DuckDB would, but a file with any is declined below.
        with scanned:
            reader = pa_csv.open_csv(
                pa.PythonFile(scanned, mode="r"),
                read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, block_size=CSV_BLOCK_BYTES),
                parse_options=pa_csv.ParseOptions(delimiter=",", quote_char='"', double_quote=True, escape_char=False,
                                                  newlines_in_values=True, ignore_empty_lines=True),
                convert_options=pa_csv.ConvertOptions(column_types={c: types[c] for c in names}, null_values=[""],
                                                      strings_can_be_null=True, quoted_strings_can_be_null=True))
            # Where DuckDB's reader and Arrow's part ways (seen in the bytes read, so no second pass over the file):
            # the two read text around quotes differently ("1"5, "ok" x, a quote never closed), and DuckDB refuses a
            # line over two million bytes and a file whose lines end in both ways (known at its end: a lone CR).
            # A file the lane keeps has no quote and one kind of line end: each line not blank is one row to Arrow's
            # reader as to Python's csv module (data_rows), so the rows are not counted here (it would cost a scan of
            # every byte; the DuckDB path counts them).
            for batch in reader:
                scanned.decline_if_apart()
                yield batch
            scanned.decline_if_apart()
            if scanned.mixed_newlines:
                raise arrow_stage.Declined("lines ending both in CRLF and LF")

    def batches(self, groups: dict[str, str] | None = None, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[pa.Table]:
        """The checked rows as Arrow tables in :data:`.store.SCHEMA` (at most ``chunk_rows`` each).

        :class:`FileError` at the first bad row (DuckDB stops the read there; the file is then
        read again to name the first bad row in file order). With ``groups``, a series not in
        it is a bad row too. A caller storing all or nothing reads every batch before writing.
        """
        from .ingest import check_series

        offset = 0
        try:
            with _connect() as con:
                con.execute("SET preserve_insertion_order = true")
                reader = con.sql(self.select()).to_arrow_reader(chunk_rows)
                for batch in reader:
                    table = normalise(pa.Table.from_batches([batch]))
                    if groups is not None:
                        check_series(table, groups, row_offset=offset + 1)
                    offset += table.num_rows
                    yield table
            self._check_rows(offset)  # every row read, none lost: the caller reads on to here before storing
        except FileError:
            raise
        except BatchError as exc:
            if exc.row is not None and exc.column == "series":
                raise FileError(self.name, exc.column, exc.row, exc.problem, line=self._line(exc.row)) from None
            raise self._refused(exc, groups) from None
        except (duckdb.Error, pa.ArrowException, OSError) as exc:  # DuckDB's error arrives through Arrow's reader
            raise self._refused(exc, groups) from None

    def read(self, groups: dict[str, str] | None = None) -> pa.Table:
        """The whole file as one checked table (for files that fit in memory)."""
        tables = list(self.batches(groups))
        return pa.concat_tables(tables) if tables else SCHEMA.empty_table()

    def stage(self, store: ObservationStore, groups: dict[str, str] | None = None, *,
              lane: bool = True) -> StagedBatch:
        """Write the file to the store's bulk staging (not yet visible; commit or discard the result).

        A Parquet or CSV file goes through :mod:`.arrow_stage` first (``lane=False``: never), which stores
        what the DuckDB path would, faster, or declines; then the DuckDB path takes it
        (:meth:`.store.ObservationStore.stage_bulk`).
        """
        if lane and groups is not None:
            try:
                return arrow_stage.stage(store, self.arrow_batches(), groups)
            except arrow_stage.Declined as why:
                log.info("%s: staged by DuckDB (the Arrow lane declined: %s)", self.name, why)
            except (duckdb.Error, pa.ArrowException, OSError) as exc:  # e.g. a full disk: DuckDB's path says it
                log.warning("%s: staged by DuckDB (the Arrow lane failed: %s)", self.name, exc)
        try:
            with _connect() as con:
                staged = store.stage_bulk(con, lambda ordinal: self.select(ordinal=ordinal), groups=groups)
        except duckdb.Error as exc:
            raise self._refused(exc, groups) from None
        try:
            self._check_rows(staged.read)
        except BaseException:
            staged.discard()
            raise
        return staged
