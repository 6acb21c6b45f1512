"""Ingesting an uploaded data file safely (issue 4, items 2 and 5; B8, B13, B14, C2.g).

``ingest()`` takes one uploaded file (CSV, JSON array of objects, GeoJSON
FeatureCollection or Parquet, optionally gzip- or zip-compressed) and either refuses it
with a clear error or writes two files into a target directory:

- the **distribution** as it will be downloaded (``<name>.csv|.json|.geojson``, always
  UTF-8 and decompressed; a Parquet upload is rewritten as ``<name>.parquet`` and that
  one file is both distribution and query file);
- the **query file** ``<name>.parquet`` with typed columns from the Table Schema, which
  ``query.py`` reads with DuckDB.

Checks run cheapest first and before any parsing: byte size (from ``stat``, so a 2 GB
file is refused without being read), compression (declared and actual expanded size
and ratio, streamed with a cap: never decompressed into memory), HTML posing as data,
text encoding (UTF-8 unless another encoding is declared), then the Frictionless
framework describes (infers a Table Schema) and validates every row: header, ragged
rows, types and constraints (required, unique, minimum/maximum, enum, pattern,
length). Errors are ``TableError`` values with the row, the column, a stable code and
a plain message ("row 14, column 'pm10': 'abc' is not a number"); the list is capped
(``Limits.max_errors``) and the total is kept.

Both output files are written under temporary names in the target directory and moved
into place with ``os.replace`` only when everything passed, so a refused upload leaves
the directory exactly as it was (tests check this for every kind of bad upload).

Also here: ``datapackage()`` (Frictionless Data Package descriptor), ``csvw_metadata()``
(CSV on the Web, with URI templates for identifier and link columns, for the ★★★★
rule) and ``diff_versions()`` (what changed between two versions, with DuckDB).

Messages are English; each has a stable ``code`` and its ``params``, and the English
templates in ``MESSAGES`` are the msgids the web layer translates (``render()``).
Docs: docs/opendata/data-files.md.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import decimal
import gzip
import hashlib
import json
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "CSVW_CONTEXT", "FORMATS", "MESSAGES", "Ingested", "IngestError", "Limits", "TableError", "VersionDiff",
    "csvw_metadata", "datapackage", "diff_versions", "ingest", "render", "table_schema_of_parquet",
]

MB = 1024 * 1024

#: Formats accepted for upload: format -> (extension of the stored file, media type).
FORMATS = {
    "csv": (".csv", "text/csv"),
    "json": (".json", "application/json"),
    "geojson": (".geojson", "application/geo+json"),
    "parquet": (".parquet", "application/vnd.apache.parquet"),
}
_EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".json": "json", ".geojson": "geojson",
               ".parquet": "parquet", ".pq": "parquet"}
_COMPRESSED_EXTENSIONS = (".gz", ".zip")

def gettext_noop(message: str) -> str:
    """Marks a message for translation (makemessages finds it); the web layer translates it with ``render``."""
    return message


#: English message templates by code. These are the msgids the web layer translates
#: (French in the project catalogue); ``TableError.message`` is the template filled in.
MESSAGES: dict[str, str] = {
    # file-level refusals
    "too-large": gettext_noop("The file '{file}' is {size} bytes; the limit is {limit} bytes."),
    "empty-file": gettext_noop("The file '{file}' is empty."),
    "unsupported-format": gettext_noop("The file '{file}' is not in a supported format ({detail}). Upload CSV, JSON, GeoJSON or Parquet, optionally compressed with gzip or zip."),
    "unsupported-compression": gettext_noop("The file '{file}' is compressed with {detail}, which is not accepted. Use gzip or zip, or upload it uncompressed."),
    "bad-archive": gettext_noop("The compressed file '{file}' cannot be read: {detail}."),
    "archive-members": gettext_noop("The zip file '{file}' must hold exactly one data file; it holds {count}."),
    "decompressed-too-large": gettext_noop("The compressed file '{file}' expands to more than {limit} bytes, the size limit."),
    "compression-ratio": gettext_noop("The compressed file '{file}' expands more than {ratio} times its own size; it is refused as a possible zip bomb."),
    "nested-archive": gettext_noop("The compressed file '{file}' holds another compressed file; upload the data file itself."),
    "html-not-data": gettext_noop("The file '{file}' is a web page (HTML), not {format} data: it starts with '{start}'. The download link probably returned a login or error page; download the data file itself."),
    "encoding-error": gettext_noop("The file '{file}' is not valid {encoding} text: byte {offset} (row {row}) cannot be read. Save it as UTF-8 or declare its encoding (it looks like {guess})."),
    "unknown-encoding": gettext_noop("The encoding '{encoding}' is not known."),
    "bad-json": gettext_noop("The file '{file}' is not valid JSON: {detail} (line {line}, column {column})."),
    "json-not-table": gettext_noop("The file '{file}' must hold a JSON array of objects (one object per row); {detail}."),
    "bad-geojson": gettext_noop("The file '{file}' is not a GeoJSON FeatureCollection: {detail}."),
    "bad-parquet": gettext_noop("The file '{file}' is not a readable Parquet file: {detail}."),
    "too-many-columns": gettext_noop("The file '{file}' has {count} columns; the limit is {limit}."),
    "no-rows": gettext_noop("The file '{file}' has a header but no data rows."),
    "bad-schema": gettext_noop("The declared Table Schema is not valid: {detail}."),
    "invalid-table": gettext_noop("The file '{file}' has {total} error(s); nothing was saved."),
    # header and cell errors (row and column known)
    "type-error": gettext_noop("row {row}, column '{column}': '{value}' is not {type_label}"),
    "required": gettext_noop("row {row}, column '{column}': a value is required"),
    "minimum": gettext_noop("row {row}, column '{column}': {value} is below the minimum {limit}"),
    "maximum": gettext_noop("row {row}, column '{column}': {value} is above the maximum {limit}"),
    "exclusiveMinimum": gettext_noop("row {row}, column '{column}': {value} must be greater than {limit}"),
    "exclusiveMaximum": gettext_noop("row {row}, column '{column}': {value} must be less than {limit}"),
    "minLength": gettext_noop("row {row}, column '{column}': '{value}' is shorter than {limit} characters"),
    "maxLength": gettext_noop("row {row}, column '{column}': '{value}' is longer than {limit} characters"),
    "enum": gettext_noop("row {row}, column '{column}': '{value}' is not one of the allowed values ({limit})"),
    "pattern": gettext_noop("row {row}, column '{column}': '{value}' does not match the pattern {limit}"),
    "unique-error": gettext_noop("row {row}, column '{column}': '{value}' repeats a value of row {other_row}; values in this column must be unique"),
    "primary-key-error": gettext_noop("row {row}: the key repeats the key of row {other_row}; keys must be unique"),
    "missing-cell": gettext_noop("row {row}, column '{column}': the row has too few values (ragged row)"),
    "extra-cell": gettext_noop("row {row}: the row has more values than the header has columns (ragged row; extra value '{value}' at position {position})"),
    "blank-row": gettext_noop("row {row} is empty"),
    "blank-label": gettext_noop("column {position} has no name in the header"),
    "duplicate-label": gettext_noop("column {position}: the name '{column}' appears twice in the header"),
    "incorrect-label": gettext_noop("column {position}: the header says '{value}' but the schema expects '{column}'"),
    "missing-label": gettext_noop("column '{column}' of the schema is missing from the header"),
    "extra-label": gettext_noop("column {position}: '{value}' is in the header but not in the schema"),
    "case-duplicate-label": gettext_noop("column {position}: the name '{column}' differs from '{value}' only in upper and lower case; queries cannot tell them apart, so rename one of them"),
    "parquet-type": gettext_noop("column '{column}': the Parquet type {value} does not match the declared type {type_label}"),
    "integer-range": gettext_noop("row {row}, column '{column}': {value} is too large for a whole number (at most 19 digits); declare the column as text (string)"),
    "other": gettext_noop("row {row}, column '{column}': {detail}"),
    # warnings (the upload is accepted)
    "inferred-as-text": gettext_noop("column '{name}' was inferred as {type} but holds other values: stored as text"),
}

#: How type errors name the expected type ("'abc' is not a number").
TYPE_LABELS = {
    "integer": gettext_noop("a whole number"),
    "number": gettext_noop("a number"),
    "boolean": gettext_noop("true or false"),
    "date": gettext_noop("a date (YYYY-MM-DD)"),
    "datetime": gettext_noop("a date and time (YYYY-MM-DDThh:mm:ss)"),
    "time": gettext_noop("a time (hh:mm:ss)"),
    "year": gettext_noop("a year"),
    "yearmonth": gettext_noop("a year and month (YYYY-MM)"),
    "duration": gettext_noop("a duration (ISO 8601, e.g. P1DT2H)"),
    "geopoint": gettext_noop("a point (lon, lat)"),
    "geojson": gettext_noop("a GeoJSON geometry"),
    "object": gettext_noop("a JSON object"),
    "array": gettext_noop("a JSON array"),
    "string": gettext_noop("text"),
    "any": gettext_noop("a value"),
}


def localised(exc: IngestError, translate: Callable[[str], str]) -> tuple[str, list[dict]]:
    """An ``IngestError``'s message and its errors (as dicts) in the language ``translate`` speaks."""
    errors = []
    for e in exc.errors:
        params = {"row": e.row, "column": e.column, "value": e.value, **e.params}
        errors.append({**e.as_dict(), "message": render(e.code, params, translate)})
    return render(exc.code, exc.params, translate), errors


def render(code: str, params: dict, translate: Callable[[str], str] = lambda s: s) -> str:
    """The message of ``code`` filled with ``params``; pass ``gettext`` as ``translate``."""
    template = translate(MESSAGES.get(code, MESSAGES["other"]))
    if params.get("type_label"):
        params = {**params, "type_label": translate(params["type_label"])}
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return MESSAGES.get(code, code).format_map(_Blank(params))


class _Blank(dict):
    def __missing__(self, key):  # a template field with no value prints as "?"
        return "?"


@dataclass(frozen=True)
class Limits:
    """Upload limits. All are configurable (settings → ``Limits(**...)``)."""

    max_bytes: int = 500 * MB  # the file as uploaded, and again once decompressed
    max_ratio: int = 100  # decompressed size / compressed size
    max_errors: int = 100  # errors listed; the total is counted to the end
    max_columns: int = 1000
    infer_sample_rows: int = 10_000  # rows read to infer a Table Schema
    batch_rows: int = 65_536  # rows per Parquet row group: a page reads little, a scan skips by statistics
    encoding_chunk: int = 1 * MB


@dataclass(frozen=True)
class TableError:
    """One problem in an upload. ``row`` is the row as the user sees it: for CSV the line
    in a spreadsheet (the header is row 1), for JSON, GeoJSON and Parquet the 1-based
    position of the object, feature or record. ``column`` is the field name."""

    code: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    params: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


class IngestError(Exception):
    """The upload is refused. ``code`` and ``params`` say why (``MESSAGES``);
    ``errors`` lists up to ``Limits.max_errors`` row/column errors and ``total_errors``
    counts all of them. Nothing was written to the target directory."""

    def __init__(self, code: str, *, file: str, errors: list[TableError] | None = None, total_errors: int = 0,
                 **params: Any):
        self.code = code
        self.file = file
        self.params = {"file": file, **params}
        self.errors = list(errors or [])
        self.total_errors = total_errors or len(self.errors)
        self.message = render(code, self.params)
        super().__init__(self.message if not self.errors else
                         self.message + "\n" + "\n".join(f"- {e.message}" for e in self.errors[:10]))

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "file": self.file, "params": self.params,
                "errors": [e.as_dict() for e in self.errors], "total_errors": self.total_errors}


@dataclass(frozen=True)
class Ingested:
    """What ``ingest`` stored. ``path``/``sha256``/``bytes``/``mediatype``/``format`` are
    the downloadable distribution; ``parquet_*`` the query file (the same file for a
    Parquet upload). ``schema`` is the Frictionless Table Schema (a dict)."""

    name: str
    format: str
    mediatype: str
    encoding: str | None
    path: Path
    bytes: int
    sha256: str
    parquet_path: Path
    parquet_bytes: int
    parquet_sha256: str
    row_count: int
    schema: dict
    dialect: dict | None = None
    compression: str | None = None  # "gzip" or "zip" when the upload was compressed
    schema_inferred: bool = True
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        d = asdict(self)
        d["path"], d["parquet_path"] = str(self.path), str(self.parquet_path)
        d["warnings"] = list(self.warnings)
        return d


# --------------------------------------------------------------------------- sniffing

_MAGIC_COMPRESSED = {
    b"\x1f\x8b": "gzip", b"PK\x03\x04": "zip", b"PK\x05\x06": "zip", b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz", b"7z\xbc\xaf\x27\x1c": "7z", b"\x28\xb5\x2f\xfd": "zstd", b"Rar!": "rar",
}
_MAGIC_OTHER = {b"%PDF": "PDF", b"\xd0\xcf\x11\xe0": "an old Excel or Word file", b"\x89PNG": "PNG image",
                b"\xff\xd8\xff": "JPEG image", b"SQLite format 3": "SQLite database"}
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])", re.I | re.S)


def _compression_of(head: bytes) -> str | None:
    for magic, name in _MAGIC_COMPRESSED.items():
        if head.startswith(magic):
            return name
    return None


def _format_of(path: Path, head: bytes, declared: str | None, file: str) -> str:
    if declared:
        fmt = declared.lower().lstrip(".")
        fmt = {"pq": "parquet", "tsv": "csv", "application/geo+json": "geojson", "text/csv": "csv",
               "application/json": "json"}.get(fmt, fmt)
        if fmt not in FORMATS:
            raise IngestError("unsupported-format", file=file, detail=f"format '{declared}'")
        return fmt
    if head.startswith(b"PAR1"):
        return "parquet"
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt:
        return fmt
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return "geojson" if b"FeatureCollection" in head else "json"
    if stripped.startswith(b"["):
        return "json"
    return "csv"


def _hash_copy(src: Path, dst_fh, chunk: int = MB) -> tuple[str, int]:
    h, n = hashlib.sha256(), 0
    with open(src, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
            dst_fh.write(block)
            n += len(block)
    return h.hexdigest(), n


def sha256_of(path: Path, chunk: int = MB) -> str:
    """The SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _decompress(path: Path, kind: str, scratch: Path, limits: Limits, file: str) -> Path:
    """Stream-decompress ``path`` into ``scratch`` with a cap on size and ratio.

    The declared size (gzip trailer, zip directory) is checked first; it can lie, so
    the actual output is counted while decompressing and the copy stops as soon as it
    passes the cap. Nothing is held in memory beyond one chunk.
    """
    compressed = path.stat().st_size
    cap = min(limits.max_bytes, max(compressed, 1) * limits.max_ratio)

    def check_declared(size: int) -> None:
        if size > limits.max_bytes:
            raise IngestError("decompressed-too-large", file=file, limit=limits.max_bytes)
        if size > max(compressed, 1) * limits.max_ratio:
            raise IngestError("compression-ratio", file=file, ratio=limits.max_ratio)

    def copy_capped(src, name: str) -> Path:
        out = scratch / name
        written = 0
        with open(out, "wb") as dst:
            while block := src.read(256 * 1024):
                written += len(block)
                if written > cap:
                    if written > limits.max_bytes:
                        raise IngestError("decompressed-too-large", file=file, limit=limits.max_bytes)
                    raise IngestError("compression-ratio", file=file, ratio=limits.max_ratio)
                dst.write(block)
        return out

    inner = Path(file).name
    if kind == "gzip":
        with open(path, "rb") as f:  # ISIZE: the last 4 bytes, uncompressed size mod 2**32
            f.seek(-4, os.SEEK_END)
            check_declared(int.from_bytes(f.read(4), "little"))
        name = inner[:-3] if inner.lower().endswith(".gz") else inner + ".data"
        try:
            with gzip.open(path, "rb") as src:
                return copy_capped(src, name)
        except (OSError, EOFError, zlib.error) as exc:
            raise IngestError("bad-archive", file=file, detail=str(exc)) from exc
    try:
        with zipfile.ZipFile(path) as zf:
            members = [i for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")
                       and not Path(i.filename).name.startswith(".")]
            if len(members) != 1:
                raise IngestError("archive-members", file=file, count=len(members))
            info = members[0]
            check_declared(info.file_size)
            if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
                raise IngestError("compression-ratio", file=file, ratio=limits.max_ratio)
            with zf.open(info) as src:
                return copy_capped(src, Path(info.filename).name or "data")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, zlib.error, EOFError) as exc:
        raise IngestError("bad-archive", file=file, detail=str(exc)) from exc


def _check_encoding(path: Path, encoding: str, limits: Limits, file: str) -> None:
    """Decode the whole file incrementally; on the first bad byte, say where it is."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset, newlines = 0, 0  # bytes and line breaks in the blocks already decoded
    with open(path, "rb") as f:
        while True:
            block = f.read(limits.encoding_chunk)
            held = decoder.getstate()[0]  # bytes of a character cut by the last block
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                bad = offset - len(held) + exc.start
                in_block = max(bad - offset, 0)
                row = newlines + block[:in_block].count(b"\n") + 1
                f.seek(max(0, bad - 2000))
                guess = _guess_encoding(f.read(4000))
                raise IngestError("encoding-error", file=file, encoding=encoding.upper(), offset=bad, row=row,
                                  guess=guess) from exc
            if not block:
                return
            offset += len(block)
            newlines += block.count(b"\n")


def _guess_encoding(sample: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    return best.encoding if best else "unknown"


def _transcode(path: Path, encoding: str, scratch: Path, file: str) -> Path:
    """Re-encode a file declared in another encoding (or with a UTF-8 BOM) as plain UTF-8."""
    out = scratch / ("utf8-" + path.name)
    try:
        with open(path, encoding=encoding, newline="") as src, open(out, "w", encoding="utf-8", newline="") as dst:
            shutil.copyfileobj(src, dst, 1 * MB)
    except UnicodeDecodeError as exc:  # _check_encoding ran first; this is a safety net
        raise IngestError("encoding-error", file=file, encoding=encoding, offset=exc.start, row="?", guess="?") from exc
    return out


# ------------------------------------------------------------------------- schemas

def _load_schema(declared: dict | None, file: str):
    from frictionless import FrictionlessException, Schema

    if declared is None:
        return None
    try:
        schema = Schema.from_descriptor(declared)
    except FrictionlessException as exc:
        raise IngestError("bad-schema", file=file, detail=exc.error.message) from exc
    errors = [e.message for e in schema.metadata_errors] if hasattr(schema, "metadata_errors") else []
    if errors:
        raise IngestError("bad-schema", file=file, detail="; ".join(errors[:3]))
    return schema


def _floatify(schema) -> None:
    for f in schema.fields:
        if f.type == "number":
            f.float_number = True


_ARROW_OF = {
    "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(), "date": pa.date32(),
    "datetime": pa.timestamp("us"), "time": pa.time64("us"), "year": pa.int32(),
}


def _arrow_schema(schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, _ARROW_OF.get(f.type, pa.string())) for f in schema.fields])


def _arrow_value(ftype: str, v: Any) -> Any:
    if v is None:
        return None
    if ftype in _ARROW_OF:
        if ftype == "datetime" and getattr(v, "tzinfo", None) is not None:
            return v.astimezone(dt.timezone.utc).replace(tzinfo=None)  # stored in UTC
        if ftype == "time" and getattr(v, "tzinfo", None) is not None:
            return v.replace(tzinfo=None)
        if ftype == "number" and isinstance(v, decimal.Decimal):
            return float(v)
        return v
    if ftype in ("object", "array", "geojson"):
        return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
    if ftype == "geopoint":
        return f"{v[0]},{v[1]}"
    if ftype == "yearmonth":
        return f"{v[0]:04d}-{v[1]:02d}"
    if ftype == "duration":
        import isodate

        return isodate.duration_isoformat(v)
    return str(v)


def table_schema_of_parquet(path: Path) -> dict:
    """A Table Schema (dict) for a Parquet file's columns, from its footer only."""
    return {"fields": [{"name": f.name, "type": _table_type(f.type)} for f in pq.read_schema(path)]}


def _table_type(t: pa.DataType) -> str:
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "number"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "datetime"
    if pa.types.is_time(t):
        return "time"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return "array"
    if pa.types.is_struct(t) or pa.types.is_map(t):
        return "object"
    return "string"


_PARQUET_COMPATIBLE = {
    "integer": ("integer",), "number": ("integer", "number"), "boolean": ("boolean",), "date": ("date", "datetime"),
    "datetime": ("datetime",), "time": ("time",), "year": ("integer",),
}


# ------------------------------------------------------------------------- sources

def _json_rows(objs: list, file: str, what: str = "item") -> tuple[list[str], Callable[[], Iterator[list]]]:
    header: dict[str, None] = {}
    for i, obj in enumerate(objs, 1):
        if not isinstance(obj, dict):
            raise IngestError("json-not-table", file=file, detail=f"{what} {i} is {type(obj).__name__}, not an object")
        header.update(dict.fromkeys(obj))
    names = list(header)

    def cell(v):
        return json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v

    def rows():
        yield names
        for obj in objs:
            yield [cell(obj.get(k)) for k in names]

    return names, rows


def _read_json(path: Path, file: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise IngestError("bad-json", file=file, detail=exc.msg, line=exc.lineno, column=exc.colno) from exc


def _geojson_rows(data: Any, file: str):
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise IngestError("bad-geojson", file=file, detail="the top level must be {\"type\": \"FeatureCollection\", \"features\": [...]}")
    feats = data["features"]
    props: dict[str, None] = {}
    all_points, any_id = bool(feats), False
    for i, ft in enumerate(feats, 1):
        if not isinstance(ft, dict) or ft.get("type") != "Feature":
            raise IngestError("bad-geojson", file=file, detail=f"feature {i} is not a Feature object")
        p = ft.get("properties") or {}
        if not isinstance(p, dict):
            raise IngestError("bad-geojson", file=file, detail=f"feature {i} has properties that are not an object")
        props.update(dict.fromkeys(p))
        g = ft.get("geometry")
        all_points = all_points and isinstance(g, dict) and g.get("type") == "Point" and len(g.get("coordinates") or []) >= 2
        any_id = any_id or "id" in ft
    names = list(props)
    add_id = any_id and "id" not in props
    add_lonlat = all_points and "lon" not in props and "lat" not in props
    header = (["id"] if add_id else []) + names + ["geometry"] + (["lon", "lat"] if add_lonlat else [])

    def cell(v):
        return json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v

    def rows():
        yield header
        for ft in feats:
            p = ft.get("properties") or {}
            g = ft.get("geometry")
            row = ([ft.get("id")] if add_id else []) + [cell(p.get(k)) for k in names]
            row.append(json.dumps(g, ensure_ascii=False) if g is not None else None)
            if add_lonlat:
                row += list(g["coordinates"][:2])
            yield row

    extra = {"geometry": "geojson", **({"lon": "number", "lat": "number"} if add_lonlat else {})}
    return header, rows, extra


def _parquet_rows(path: Path, file: str):
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise IngestError("bad-parquet", file=file, detail=str(exc)) from exc
    names = pf.schema_arrow.names

    def cell(v):
        return json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, (dict, list)) else v

    def rows():
        yield names
        for batch in pf.iter_batches(batch_size=10_000):
            for rec in zip(*(c.to_pylist() for c in batch.columns)):
                yield [cell(v) for v in rec]

    return pf, rows


# ------------------------------------------------------------------------- errors

_NOTE_CONSTRAINT = re.compile(r'constraint "(\w+)" is "(.*)"', re.S)
_NOTE_OTHER_ROW = re.compile(r"row at position (\d+)")


def _table_error(e, fmt: str, schema) -> TableError:
    """A Frictionless error as a TableError with a plain message."""
    code = e.type
    row = getattr(e, "row_number", None)
    if row is not None and fmt != "csv":
        row -= 1  # inline sources: Frictionless counts the header as row 1; users count objects
    column = getattr(e, "field_name", None) or None
    cell = getattr(e, "cell", None)
    position = getattr(e, "field_number", None)
    params: dict[str, Any] = {"row": row, "column": column, "value": cell, "position": position}
    note = getattr(e, "note", "") or ""
    if code == "type-error":
        ftype = schema.get_field(column).type if column and schema.has_field(column) else "any"
        params["type_label"] = TYPE_LABELS.get(ftype, ftype)
    elif code == "constraint-error":
        m = _NOTE_CONSTRAINT.search(note)
        if m:
            code, params["limit"] = m.group(1), m.group(2)
        if code == "enum" and column and schema.has_field(column):
            params["limit"] = ", ".join(map(str, schema.get_field(column).constraints.get("enum", [])))
        if code not in MESSAGES:
            code = "other"
    elif code in ("unique-error", "primary-key-error"):
        m = _NOTE_OTHER_ROW.search(note)
        other = int(m.group(1)) if m else None
        if other is not None and fmt != "csv":
            other -= 1
        params["other_row"] = other if other is not None else "?"
    elif code in ("incorrect-label", "extra-label", "missing-label", "blank-label", "duplicate-label"):
        label = getattr(e, "label", None)
        params["value"] = label
        if code in ("duplicate-label", "blank-label"):
            params["column"] = label
        row = None
    elif code not in MESSAGES:
        code = "other"
    if code == "other":
        params["detail"] = e.message
    return TableError(code=code, message=render(code, params), row=row, column=params.get("column"),
                      value=None if params.get("value") is None else str(params["value"]), params=params)


# ------------------------------------------------------------------------- ingest

def ingest(
    path: Path | str,
    *,
    target_dir: Path | str,
    name: str,
    format: str | None = None,  # noqa: A002 - the upload's format, as the API calls it
    declared_schema: dict | None = None,
    encoding: str | None = None,
    limits: Limits | None = None,
    display_name: str | None = None,
) -> Ingested:
    """Check, validate and convert one uploaded file; see the module docstring.

    ``name`` is the stem of the stored files (e.g. a distribution id plus version:
    ``"3f2a-v2"``) and must be a plain file name. ``display_name`` names the file in
    messages (default: the upload's own name). ``encoding`` declares a text encoding
    other than UTF-8 (e.g. ``"latin-1"``, ``"cp1252"``); without it, text must be UTF-8.
    Raises ``IngestError``; on error nothing is left in ``target_dir``.
    """
    path, target_dir = Path(path), Path(target_dir)
    limits = limits or Limits()
    file = display_name or path.name
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"bad output name {name!r}")
    if not path.is_file():
        raise IngestError("empty-file", file=file)
    size = path.stat().st_size  # no read: a 2 GB file is refused here at once
    if size > limits.max_bytes:
        raise IngestError("too-large", file=file, size=size, limit=limits.max_bytes)
    if size == 0:
        raise IngestError("empty-file", file=file)
    target_dir.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="cityline-ingest-") as tmp:
        scratch = Path(tmp)
        with open(path, "rb") as f:
            head = f.read(4096)
        compression = _compression_of(head)
        src = path
        if compression:
            if compression not in ("gzip", "zip"):
                raise IngestError("unsupported-compression", file=file, detail=compression)
            src = _decompress(path, compression, scratch, limits, file)
            with open(src, "rb") as f:
                head = f.read(4096)
            if _compression_of(head):
                raise IngestError("nested-archive", file=file)
            if src.stat().st_size == 0:
                raise IngestError("empty-file", file=file)
        for magic, what in _MAGIC_OTHER.items():
            if head.startswith(magic):
                raise IngestError("unsupported-format", file=file, detail=what)
        fmt = _format_of(src if compression else path, head, format, file)

        enc_used = None
        if fmt != "parquet":
            if _HTML_START.match(head.lstrip(b"\xef\xbb\xbf")):
                start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].decode("utf-8", "replace")
                raise IngestError("html-not-data", file=file, format=fmt.upper(), start=start)
            enc = (encoding or "utf-8").lower()
            try:
                enc = codecs.lookup(enc).name
            except LookupError as exc:
                raise IngestError("unknown-encoding", file=file, encoding=encoding) from exc
            _check_encoding(src, enc, limits, file)
            if enc != "utf-8" or head.startswith(codecs.BOM_UTF8):
                src = _transcode(src, "utf-8-sig" if enc == "utf-8" else enc, scratch, file)
            enc_used = "utf-8"

        declared = _load_schema(declared_schema, file)
        return _validate_and_write(src, fmt, declared, limits, file, target_dir, name, compression, enc_used)


def _resource_for(src: Path, fmt: str, file: str, limits: Limits):
    """A Frictionless resource (not yet given a schema) plus extras for the format."""
    from frictionless import Dialect, Resource, formats

    extra_types: dict[str, str] = {}
    parquet_types = None
    if fmt == "csv":
        res = Resource(path=str(src), format="csv", encoding="utf-8")
        return res, extra_types, parquet_types
    if fmt == "json":
        data = _read_json(src, file)
        if not isinstance(data, list):
            raise IngestError("json-not-table", file=file, detail=f"the top level is {type(data).__name__}")
        _, rows = _json_rows(data, file)
    elif fmt == "geojson":
        data = _read_json(src, file)
        _, rows, extra_types = _geojson_rows(data, file)
    else:
        pf, rows = _parquet_rows(src, file)
        parquet_types = {f.name: f.type for f in pf.schema_arrow}
    dialect = Dialect(controls=[formats.InlineControl()])
    return Resource(data=rows, format="inline", dialect=dialect), extra_types, parquet_types


def _infer(res_factory, fmt: str, limits: Limits, extra_types: dict, parquet_types, file: str):
    from frictionless import Detector, FrictionlessException, Schema

    if parquet_types is not None:
        return Schema.from_descriptor({"fields": [{"name": n, "type": _table_type(t)} for n, t in parquet_types.items()]})
    res = res_factory()
    res.detector = Detector(sample_size=limits.infer_sample_rows, field_float_numbers=True)
    try:
        res.infer()
    except FrictionlessException as exc:
        raise IngestError("unsupported-format", file=file, detail=exc.error.message) from exc
    schema = res.schema
    for name, ftype in extra_types.items():
        if schema.has_field(name):
            schema.set_field_type(name, ftype)
    return schema


def _validate_and_write(src, fmt, declared, limits: Limits, file, target_dir: Path, name, compression, enc_used):
    from frictionless import FrictionlessException, Schema

    def factory():
        return _resource_for(src, fmt, file, limits)[0]

    _, extra_types, parquet_types = _resource_for(src, fmt, file, limits) if fmt != "csv" else (None, {}, None)
    inferred = declared is None
    schema = declared or _infer(factory, fmt, limits, extra_types, parquet_types, file)
    if len(schema.fields) > limits.max_columns:
        raise IngestError("too-many-columns", file=file, count=len(schema.fields), limit=limits.max_columns)
    case_errors = _case_duplicates([f.name for f in schema.fields])
    if case_errors:
        raise IngestError("invalid-table", file=file, errors=case_errors[: limits.max_errors],
                          total_errors=len(case_errors), total=len(case_errors))
    _floatify(schema)
    warnings: list[str] = []

    pre_errors: list[TableError] = []
    if parquet_types is not None and declared is not None:  # declared types must fit the file's own types
        for f in declared.fields:
            t = parquet_types.get(f.name)
            if t is not None and _table_type(t) not in _PARQUET_COMPATIBLE.get(f.type, (_table_type(t), "string")):
                if f.type != "string":
                    pre_errors.append(TableError("parquet-type", render("parquet-type", {
                        "column": f.name, "value": str(t), "type_label": TYPE_LABELS.get(f.type, f.type)}),
                        column=f.name, value=str(t)))

    for attempt in (1, 2):
        result = _pass(factory, fmt, schema, limits, target_dir, name, file)
        errors, total, tmp_parquet, rows, dialect = result
        if errors and inferred and attempt == 1:
            # An inferred type that a later row contradicts (the sample saw only numbers,
            # row 80,000 says "n/a"): the column is text, not an error in the file.
            bad = {e.column for e in errors if e.code in _RETYPED_AS_TEXT}
            if bad and all(e.code in _RETYPED_AS_TEXT for e in errors) and total == len(errors):
                for f in list(schema.fields):
                    if f.name in bad:
                        warnings.append(render("inferred-as-text", {"name": f.name, "type": f.type}))
                        schema.set_field_type(f.name, "string")
                _cleanup(tmp_parquet)
                continue
        break

    errors = pre_errors + errors
    total += len(pre_errors)
    if errors:
        _cleanup(tmp_parquet)
        raise IngestError("invalid-table", file=file, errors=errors[: limits.max_errors], total_errors=total, total=total)
    if rows == 0:
        _cleanup(tmp_parquet)
        raise IngestError("no-rows", file=file)

    ext, mediatype = FORMATS[fmt]
    final_parquet = target_dir / f"{name}.parquet"
    staged: list[tuple[Path, Path]] = [(tmp_parquet, final_parquet)]
    try:
        if fmt == "parquet":
            dist_path, dist_sha, dist_bytes = final_parquet, sha256_of(tmp_parquet), tmp_parquet.stat().st_size
        else:
            dist_path = target_dir / f"{name}{ext}"
            fd, tmp_dist = tempfile.mkstemp(prefix=f".{name}{ext}.", suffix=".part", dir=target_dir)
            with os.fdopen(fd, "wb") as out:
                dist_sha, dist_bytes = _hash_copy(src, out)
                out.flush()
                os.fsync(out.fileno())
            staged.append((Path(tmp_dist), dist_path))
        pq_sha, pq_bytes = sha256_of(tmp_parquet), tmp_parquet.stat().st_size
        done: list[Path] = []
        try:
            umask = os.umask(0)
            os.umask(umask)
            for tmp, final in staged:
                os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes files private; stored files are ordinary
                os.replace(tmp, final)
                done.append(final)
        except OSError:
            for final in done:
                _cleanup(final)
            raise
    except BaseException:
        for tmp, _ in staged:
            _cleanup(tmp)
        raise

    try:
        schema_dict = schema.to_descriptor()
    except FrictionlessException:  # pragma: no cover - a schema that validated rows is valid
        schema_dict = Schema.to_dict(schema)
    for f in schema_dict.get("fields", []):
        f.pop("floatNumber", None)
    return Ingested(
        name=name, format=fmt, mediatype=mediatype, encoding=enc_used, path=dist_path, bytes=dist_bytes,
        sha256=dist_sha, parquet_path=final_parquet, parquet_bytes=pq_bytes, parquet_sha256=pq_sha,
        row_count=rows, schema=schema_dict, dialect=dialect, compression=compression,
        schema_inferred=inferred, warnings=tuple(warnings),
    )


def _case_duplicates(names: list[str]) -> list[TableError]:
    """Column names that differ only in letter case (``NO2`` and ``no2``): SQL (DuckDB, the query API, the
    version diff) does not tell them apart and would answer with the other column's values."""
    seen: dict[str, tuple[int, str]] = {}
    out = []
    for position, name in enumerate(names, 1):
        folded = name.casefold()
        if folded in seen and seen[folded][1] != name:
            params = {"position": position, "column": name, "value": seen[folded][1]}
            out.append(TableError("case-duplicate-label", render("case-duplicate-label", params), column=name,
                                  value=seen[folded][1], params=params))
        seen.setdefault(folded, (position, name))
    return out


#: Errors that, in an inferred column, make the column text (with a warning) instead of refusing the upload.
_RETYPED_AS_TEXT = ("type-error", "integer-range")

#: The whole numbers Parquet's int64 holds (Frictionless reads any size; a meter number may have 20 digits).
_INT64 = (-(2**63), 2**63 - 1)


def _range_errors(row, values: list, fmt: str, ftypes: list[str], names: list[str]) -> list[TableError]:
    """A whole number of an ``integer`` column that int64 cannot hold, as a row error naming the column."""
    out = []
    for t, n, v in zip(ftypes, names, values):
        if t == "integer" and isinstance(v, int) and not _INT64[0] <= v <= _INT64[1]:
            number = row.row_number - (1 if fmt != "csv" else 0)  # as _table_error counts rows
            params = {"row": number, "column": n, "value": v}
            out.append(TableError("integer-range", render("integer-range", params), row=number, column=n,
                                  value=str(v), params=params))
    return out


def _as_text(v: Any) -> Any:
    """A JSON or Parquet value of a text column as the text a CSV would hold (``1``, ``true``, ``1.5``)."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (bool, int, float)):
        return json.dumps(v)
    if isinstance(v, dt.timedelta):
        import isodate

        return isodate.duration_isoformat(v)
    if isinstance(v, bytes):  # Parquet binary: text when it is UTF-8, else refused as "not text"
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return v
    return str(v)


def _text_cells(res, positions: list[int]) -> None:
    """Give the text columns of an inline resource (JSON, GeoJSON, Parquet) text values: a column inferred as
    text, or made text because a later row contradicted its inferred type, holds numbers or booleans there,
    which Frictionless would otherwise report as "not text" on every row."""
    if not positions:
        return
    rows = res.data

    def text_rows():
        it = iter(rows())
        yield next(it)  # the header
        for row in it:
            row = list(row)
            for i in positions:
                if i < len(row):
                    row[i] = _as_text(row[i])
            yield row

    res.data = text_rows


def _cleanup(p: Path | None) -> None:
    if p is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(p)


def _pass(factory, fmt, schema, limits: Limits, target_dir: Path, name: str, file: str):
    """One validating read: collect errors, and while there are none, write Parquet."""
    from frictionless import FrictionlessException

    res = factory()
    res.schema = schema
    if fmt != "csv":
        _text_cells(res, [i for i, f in enumerate(schema.fields) if f.type == "string"])
    arrow_schema = _arrow_schema(schema)
    ftypes = [f.type for f in schema.fields]
    names = [f.name for f in schema.fields]
    has_integers = "integer" in ftypes
    errors: list[TableError] = []
    total = 0
    rows = 0
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.parquet.", suffix=".part", dir=target_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    writer = pq.ParquetWriter(tmp, arrow_schema, compression="zstd")
    columns: list[list] = [[] for _ in names]
    dialect = None

    def add(e: TableError) -> None:
        nonlocal total
        total += 1
        if len(errors) < limits.max_errors:
            errors.append(e)

    def flush() -> None:
        if columns[0] if columns else False:
            batch = pa.record_batch([pa.array(c, type=t.type) for c, t in zip(columns, arrow_schema)], schema=arrow_schema)
            writer.write_batch(batch)
            for c in columns:
                c.clear()

    try:
        with res:
            if fmt == "csv" and res.dialect is not None:
                dialect = {k: v for k, v in res.dialect.to_descriptor().items() if k not in ("name", "type", "title")}
                csv_ctl = res.dialect.get_control("csv") if res.dialect.has_control("csv") else None
                if csv_ctl is not None:
                    dialect.update({k: v for k, v in csv_ctl.to_descriptor().items() if k != "type"})
            for e in res.header.errors:
                add(_table_error(e, fmt, schema))
            for row in res.row_stream:
                rows += 1
                if row.errors:
                    for e in row.errors:
                        add(_table_error(e, fmt, schema))
                    continue
                values = row.to_list()
                range_errors = _range_errors(row, values, fmt, ftypes, names) if has_integers else ()
                for e in range_errors:
                    add(e)
                if range_errors:
                    continue
                if total:
                    continue  # already failing: keep counting errors, stop converting
                for i, (t, v) in enumerate(zip(ftypes, values)):
                    columns[i].append(_arrow_value(t, v))
                if len(columns[0]) >= limits.batch_rows:
                    flush()
            if not total:
                flush()
    except FrictionlessException as exc:
        writer.close()
        _cleanup(tmp)
        raise IngestError("unsupported-format", file=file, detail=exc.error.message) from exc
    except IngestError:
        writer.close()
        _cleanup(tmp)
        raise
    except (pa.ArrowException, OverflowError, TypeError, ValueError) as exc:
        writer.close()
        _cleanup(tmp)
        raise IngestError("invalid-table", file=file, total=1, errors=[TableError(
            "other", render("other", {"row": rows, "column": "?", "detail": str(exc)}), row=rows)]) from exc
    writer.close()
    return errors, total, tmp, rows, dialect


# ------------------------------------------------------------------------- data package

def datapackage(
    *,
    name: str,
    title: str | None = None,
    description: str | None = None,
    licenses: Iterable[dict | str] = (),
    resources: Iterable[Ingested | dict],
    version: str | None = None,
    homepage: str | None = None,
    base_dir: Path | str | None = None,
) -> dict:
    """A Frictionless Data Package descriptor (``datapackage.json``) for a distribution.

    ``licenses`` are SPDX ids or dicts (``{"name": "CC-BY-4.0", "path": ..., "title": ...}``).
    Each ``Ingested`` gives one tabular resource for its distribution file and, when the
    distribution is not Parquet itself, one for its Parquet file. Paths are relative to
    ``base_dir`` (default: the directory of each file, i.e. the file name).
    """
    pkg: dict[str, Any] = {"profile": "tabular-data-package", "name": _slug(name)}
    if title:
        pkg["title"] = title
    if description:
        pkg["description"] = description
    if version:
        pkg["version"] = version
    if homepage:
        pkg["homepage"] = homepage
    lic = []
    for item in licenses:
        if isinstance(item, str):
            lic.append({"name": item, "path": f"https://spdx.org/licenses/{item}.html"})
        else:
            lic.append(dict(item))
    if lic:
        pkg["licenses"] = lic
    out = []
    base = Path(base_dir) if base_dir else None

    def rel(p: Path) -> str:
        return str(p.relative_to(base)) if base else p.name

    for r in resources:
        if isinstance(r, dict):
            out.append(r)
            continue
        main = {"name": _slug(r.name) if r.format != "geojson" else _slug(r.name) + "-geojson",
                "path": rel(r.path), "format": r.format, "mediatype": r.mediatype,
                "bytes": r.bytes, "hash": f"sha256:{r.sha256}"}
        if r.format == "parquet":
            # Frictionless reads Parquet through a library, not as bytes, so it cannot check
            # "bytes"/"hash" there and reports them as wrong; they stay in DCAT instead.
            main = {k: v for k, v in main.items() if k not in ("bytes", "hash")}
        if r.format in ("csv", "parquet"):
            main = {**main, "profile": "tabular-data-resource", "schema": r.schema}
            if r.encoding:
                main["encoding"] = r.encoding
            if r.format == "csv" and r.dialect:
                main["dialect"] = {k: v for k, v in r.dialect.items() if k in (
                    "delimiter", "lineTerminator", "quoteChar", "doubleQuote", "escapeChar", "skipInitialSpace",
                    "header", "commentChar", "caseSensitiveHeader")}
        else:
            # JSON and GeoJSON: the file as published; its table is the Parquet resource below
            # (Frictionless would need its optional JSON extra to read a JSON table).
            main["profile"] = "data-resource"
        out.append(main)
        if r.format != "parquet":
            out.append({"name": _slug(r.name) + ("-parquet" if r.format != "geojson" else ""),
                        "path": rel(r.parquet_path), "profile": "tabular-data-resource", "format": "parquet",
                        "mediatype": FORMATS["parquet"][1], "schema": _parquet_schema(r.schema)})
    pkg["resources"] = out
    if any(r.get("profile") != "tabular-data-resource" for r in out):
        pkg["profile"] = "data-package"  # a GeoJSON file is a plain data resource
    return pkg


def _parquet_schema(schema: dict) -> dict:
    """The Table Schema of the Parquet copy: types the Parquet file really holds."""
    fields = []
    for f in schema.get("fields", []):
        f = dict(f)
        if f.get("type") not in _ARROW_OF and f.get("type") != "string":
            f["type"] = "string"
            f.pop("format", None)
        fields.append(f)
    # Frictionless reads Parquet through pandas, where a missing integer comes back as NaN: name it missing.
    missing = list(dict.fromkeys([*schema.get("missingValues", [""]), "nan"]))
    return {**schema, "fields": fields, "missingValues": missing}


def _slug(s: str) -> str:
    s = re.sub(r"[^a-z0-9._-]+", "-", s.lower()).strip("-")
    return s or "data"


# ------------------------------------------------------------------------- CSVW

#: The CSVW JSON-LD context, by reference only: nothing fetches it (the CSVW vocabulary
#: defines it; processors know it by this IRI).
CSVW_CONTEXT = "http://www.w3.org/ns/csvw"

_CSVW_DATATYPES = {
    "string": "string", "integer": "integer", "number": "double", "boolean": "boolean", "date": "date",
    "datetime": "dateTime", "time": "time", "year": "gYear", "yearmonth": "gYearMonth", "duration": "duration",
    "geojson": "json", "object": "json", "array": "json", "geopoint": "string", "any": "string",
}


def csvw_metadata(
    *,
    url: str,
    schema: dict,
    title: str | None = None,
    description: str | None = None,
    license: str | None = None,  # noqa: A002 - CSVW's own term
    identifier: dict[str, str] | None = None,
    links: dict[str, str] | None = None,
    properties: dict[str, str] | None = None,
    dialect: dict | None = None,
    language: str | None = None,
) -> dict:
    """CSV on the Web metadata (JSON-LD) for a CSV distribution at ``url``.

    - ``identifier``: ``{column: uri_template}``, e.g. ``{"station": "https://city.example/id/station/{station}"}``:
      that column identifies the row's subject, so the table gets ``aboutUrl`` (★★★★).
    - ``links``: ``{column: uri_template}``: the column's value is a link to another
      thing, so that column gets ``valueUrl`` (★★★★★ when it points outside).
    - ``properties``: ``{column: property_iri}``: the column's ``propertyUrl``.

    The context is given by its IRI (``CSVW_CONTEXT``); nothing is fetched.
    """
    identifier, links, properties = identifier or {}, links or {}, properties or {}
    names = {f["name"] for f in schema.get("fields", [])}
    for col in (*identifier, *links, *properties):
        if col not in names:
            raise ValueError(f"column {col!r} is not in the schema")
    if len(identifier) > 1:
        raise ValueError("only one identifier column can give the row's aboutUrl")
    columns = []
    for f in schema.get("fields", []):
        col: dict[str, Any] = {"name": _csvw_name(f["name"]), "titles": f.get("title") or f["name"],
                               "datatype": _CSVW_DATATYPES.get(f.get("type", "string"), "string")}
        if f.get("type") == "datetime":
            col["datatype"] = {"base": "dateTime"}
        if f.get("description"):
            col["dc:description"] = f["description"]
        cons = f.get("constraints") or {}
        if cons.get("required"):
            col["required"] = True
        if f["name"] in links:
            col["valueUrl"] = links[f["name"]]
        if f["name"] in properties:
            col["propertyUrl"] = properties[f["name"]]
        columns.append(col)
    table_schema: dict[str, Any] = {"columns": columns}
    if identifier:
        table_schema["aboutUrl"] = next(iter(identifier.values()))
    pk = schema.get("primaryKey")
    if pk:
        table_schema["primaryKey"] = [_csvw_name(k) for k in ([pk] if isinstance(pk, str) else pk)]
    doc: dict[str, Any] = {"@context": CSVW_CONTEXT if not language else [CSVW_CONTEXT, {"@language": language}],
                           "@type": "Table", "url": url}
    if title:
        doc["dc:title"] = title
    if description:
        doc["dc:description"] = description
    if license:
        doc["dc:license"] = {"@id": license if "://" in license else f"https://spdx.org/licenses/{license}.html"}
    if dialect:
        d = {k: dialect[k] for k in ("delimiter", "quoteChar", "doubleQuote", "header", "lineTerminators") if k in dialect}
        if d:
            doc["dialect"] = d
    doc["tableSchema"] = table_schema
    return doc


def _csvw_name(name: str) -> str:
    """CSVW column names must be usable in URI templates: percent-encode what is not."""
    from urllib.parse import quote

    return quote(name, safe="")


# ------------------------------------------------------------------------- versions

@dataclass(frozen=True)
class VersionDiff:
    """What changed from one version of a tabular distribution to the next.

    Without key columns, rows are compared whole (over the columns both versions have,
    as text when a type changed) with multiset difference (``EXCEPT ALL``): an edited
    row counts as one removed and one added. With key columns, a row is added or removed
    when its key is, and ``rows_changed`` counts keys whose other values changed.

    When a key column is missing from either version, rows are compared whole as without
    keys (``key_columns`` is ``None``) and ``key_columns_missing`` says which key columns the
    previous and the new version lack (``{"previous": [...], "new": [...]}``), as does the summary.
    """

    rows_old: int
    rows_new: int
    rows_added: int
    rows_removed: int
    rows_changed: int | None
    columns_added: list[str]
    columns_removed: list[str]
    columns_type_changed: list[dict]
    key_columns: list[str] | None
    key_columns_missing: dict[str, list[str]] | None = None

    @property
    def schema_changed(self) -> bool:
        return bool(self.columns_added or self.columns_removed or self.columns_type_changed)

    def as_dict(self) -> dict:
        return {**asdict(self), "schema_changed": self.schema_changed, "summary": self.summary()}

    def summary(self) -> str:
        """One English line, e.g. for a DCAT ``adms:versionNotes``."""
        parts = [f"{self.rows_added} row(s) added", f"{self.rows_removed} removed"]
        if self.rows_changed is not None:
            parts.append(f"{self.rows_changed} changed")
        text = ", ".join(parts)
        cols = []
        if self.columns_added:
            cols.append("column(s) added: " + ", ".join(self.columns_added))
        if self.columns_removed:
            cols.append("column(s) removed: " + ", ".join(self.columns_removed))
        if self.columns_type_changed:
            cols.append("type changed: " + ", ".join(f"{c['name']} ({c['old']} → {c['new']})" for c in self.columns_type_changed))
        if self.key_columns_missing:
            for side, label in (("previous", "the previous version"), ("new", "the new version")):
                if self.key_columns_missing.get(side):
                    cols.append(f"key column(s) missing from {label}: {', '.join(self.key_columns_missing[side])}")
            cols.append("rows compared whole")
        return text + ("; " + "; ".join(cols) if cols else "")


def diff_versions(old_parquet: Path | str, new_parquet: Path | str, key_columns: list[str] | None = None) -> VersionDiff:
    import duckdb

    old_s = {f.name: f.type for f in pq.read_schema(old_parquet)}
    new_s = {f.name: f.type for f in pq.read_schema(new_parquet)}
    added = [c for c in new_s if c not in old_s]
    removed = [c for c in old_s if c not in new_s]
    common = [c for c in new_s if c in old_s]
    type_changed = [{"name": c, "old": _table_type(old_s[c]), "new": _table_type(new_s[c])}
                    for c in common if old_s[c] != new_s[c]]
    # A column whose type changed is compared in a type both versions' values fit: numbers as numbers (1 and 1.0 are
    # one key), anything else as text (an implicit cast of one side would turn "A1" into a number and fail).
    def numeric(t: pa.DataType) -> bool:
        return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)

    retyped = {c: "DOUBLE" if numeric(old_s[c]) and numeric(new_s[c]) else "VARCHAR"
               for c in (t["name"] for t in type_changed)}
    keys_missing = None
    if key_columns and any(k not in old_s or k not in new_s for k in key_columns):
        # A version without a key column was accepted: compare whole rows and say which keys are missing.
        keys_missing = {"previous": [k for k in key_columns if k not in old_s],
                        "new": [k for k in key_columns if k not in new_s]}
        key_columns = None
    rows_old = pq.read_metadata(old_parquet).num_rows
    rows_new = pq.read_metadata(new_parquet).num_rows

    def q(c: str) -> str:
        return '"' + c.replace('"', '""') + '"'

    def col(c: str) -> str:
        return f"CAST({q(c)} AS {retyped[c]}) AS {q(c)}" if c in retyped else q(c)

    def as_compared(side: str, c: str) -> str:
        return f"CAST({side}.{q(c)} AS {retyped[c]})" if c in retyped else f"{side}.{q(c)}"

    con = duckdb.connect()
    try:
        con.execute("CREATE VIEW o AS SELECT * FROM read_parquet(?)".replace("?", _sql_str(str(old_parquet))))
        con.execute("CREATE VIEW n AS SELECT * FROM read_parquet(?)".replace("?", _sql_str(str(new_parquet))))
        changed = None
        if key_columns:
            keys = ", ".join(col(k) for k in key_columns)
            rows_added = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM n EXCEPT SELECT DISTINCT {keys} FROM o)").fetchone()[0]
            rows_removed = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM o EXCEPT SELECT DISTINCT {keys} FROM n)").fetchone()[0]
            others = [c for c in common if c not in key_columns]
            if others:
                on = " AND ".join(f"{as_compared('o', k)} IS NOT DISTINCT FROM {as_compared('n', k)}"
                                  for k in key_columns)
                diff = " OR ".join(f"{as_compared('o', c)} IS DISTINCT FROM {as_compared('n', c)}" for c in others)
                changed = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {', '.join('o.' + q(k) for k in key_columns)} "
                                      f"FROM o JOIN n ON {on} WHERE {diff})").fetchone()[0]
            else:
                changed = 0
        else:
            cols = ", ".join(col(c) for c in common) or "1 AS _one"
            rows_added = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM n EXCEPT ALL SELECT {cols} FROM o)").fetchone()[0]
            rows_removed = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM o EXCEPT ALL SELECT {cols} FROM n)").fetchone()[0]
    finally:
        con.close()
    return VersionDiff(rows_old=rows_old, rows_new=rows_new, rows_added=int(rows_added), rows_removed=int(rows_removed),
                       rows_changed=None if changed is None else int(changed), columns_added=added,
                       columns_removed=removed, columns_type_changed=type_changed,
                       key_columns=list(key_columns) if key_columns else None, key_columns_missing=keys_missing)


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"
