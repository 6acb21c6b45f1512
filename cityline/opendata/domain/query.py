"""Query API over tabular distributions: DuckDB over Parquet (issue 4, item 6; B8, B14).

Two entry points, both plain data in, plain data out:

- ``search(parquet_path, filters=, q=, fields=, sort=, limit=, offset=)`` — the
  ``datastore_search`` semantics: equality filters (a list means "any of"), a
  case-insensitive substring search over the text columns, column selection, sort,
  paging, and the total. Column names are checked against the file's schema and
  quoted; values are bound as parameters, never pasted into SQL. Without filters or
  ``q`` the total comes from the Parquet footer (no scan), and an unsorted page is read
  straight from the row groups that hold it — a 100-row page of a 10-million-row file
  in a few milliseconds (bench/bench_datastore.py). Every other page is ordered last by
  the row's position in the file, so that paging covers each row exactly once.
- ``sql(query, tables={name: parquet_path}, row_limit=, timeout_s=)`` — read-only
  SQL: exactly one SELECT (checked with DuckDB's own parser), reading only the given
  tables (exposed as views) and its own WITH queries, calling only reviewed functions
  (``sql_functions.ALLOWED``; the parse tree is walked), nested at most ``MAX_DEPTH`` deep; file access switched
  off and the configuration locked before the query runs; no server path in an error; a
  row limit and a time limit (a timer thread interrupts the connection).

Results are JSON-friendly records (``jsonable``); ``csv_chunks`` streams them as CSV.
Docs: docs/opendata/data-files.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import math
import re
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from . import sql_functions
from .tabular import _table_type

__all__ = ["Page", "QueryError", "QueryTimeout", "SqlResult", "csv_chunks", "jsonable", "parse_sort", "search", "sql"]

MAX_LIMIT = 32_000  # CKAN's datastore_search ceiling (ckan.datastore.search.rows_max default)


class QueryError(ValueError):
    """A query the caller got wrong: ``code`` (stable), ``message`` (English), ``params``."""

    MESSAGES = {
        "unknown-field": "Unknown column '{name}'. Columns: {known}.",
        "bad-sort": "Cannot sort by '{sort}': write 'column' or 'column desc' (optionally followed by "
                    "'nulls first' or 'nulls last'), separated by commas.",
        "q-not-text": "Cannot search '{name}' for text with q: it holds {type_label}, not text; "
                      "use filters for an exact value.",
        "bad-filter-value": "Filter on '{name}': '{value}' is not {type_label}.",
        "bad-limit": "'{name}' must be a whole number from {low} to {high}; got '{value}'.",
        "not-select": "Only one read-only SELECT statement is allowed; got {detail}.",
        "sql-error": "SQL error: {detail}",
        "unknown-table": "Unknown table name '{name}'.",
        "not-allowed": "'{name}' is not allowed in a query: {reason}.",
        "unknown-construct": "This query uses a construct the open data SQL endpoint does not allow: {kind}.",
        "too-deep": "This query is nested too deeply: the open data SQL endpoint allows {limit} levels of expressions "
                    "and subqueries inside one another. Write it with fewer levels (e.g. sum a list, or compute a "
                    "part in a WITH query).",
        "timeout": "The query took longer than {seconds} seconds and was stopped.",
    }

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        self.message = self.MESSAGES[code].format(**params)
        super().__init__(self.message)

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "params": self.params}


class QueryTimeout(QueryError):
    def __init__(self, seconds: float):
        super().__init__("timeout", seconds=seconds)


@dataclass(frozen=True)
class Page:
    """One page of rows. ``fields``: ``[{"id": name, "type": table_schema_type}]``
    (CKAN's shape); ``records``: JSON-friendly dicts; ``total``: rows matching."""

    fields: list[dict]
    records: list[dict]
    total: int
    limit: int
    offset: int
    sort: str | None = None

    def as_dict(self) -> dict:
        return {"fields": self.fields, "records": self.records, "total": self.total, "limit": self.limit,
                "offset": self.offset, **({"sort": self.sort} if self.sort else {})}


@dataclass(frozen=True)
class SqlResult:
    fields: list[dict]
    records: list[dict]
    truncated: bool  # more rows than row_limit: only the first row_limit are here
    row_limit: int
    elapsed_ms: float = 0.0
    tables: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"fields": self.fields, "records": self.records, "truncated": self.truncated,
                "row_limit": self.row_limit, "elapsed_ms": round(self.elapsed_ms, 2)}


# ----------------------------------------------------------------------- helpers

@lru_cache(maxsize=256)
def _meta(path: str, mtime_ns: int, size: int) -> tuple[pa.Schema, int, tuple[int, ...]]:
    """Schema, row count and row-group boundaries from the footer (cached per file version)."""
    md = pq.read_metadata(path)
    starts, n = [], 0
    for i in range(md.num_row_groups):
        starts.append(n)
        n += md.row_group(i).num_rows
    return md.schema.to_arrow_schema(), md.num_rows, tuple(starts)


def _file_meta(path: Path) -> tuple[pa.Schema, int, tuple[int, ...]]:
    st = path.stat()
    return _meta(str(path), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=64)
def _parquet_file(path: str, mtime_ns: int, size: int) -> pq.ParquetFile:
    return pq.ParquetFile(path)


_local = threading.local()


def _con() -> duckdb.DuckDBPyConnection:
    """One DuckDB connection per thread for ``search`` (connections are not thread-safe)."""
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(config={"threads": 2})
        _local.con = con
    return con


def _parser() -> duckdb.DuckDBPyConnection:
    """This thread's connection that parses public queries (nothing runs on it): DuckDB's parser stops at
    ``MAX_DEPTH`` levels of nesting (``max_expression_depth``) instead of recursing as deep as the text goes."""
    con = getattr(_local, "parser", None)
    if con is None:
        con = duckdb.connect(config={"threads": 1, "max_expression_depth": MAX_DEPTH})
        _local.parser = con
    return con


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def jsonable(v: Any) -> Any:
    """A value as JSON can carry it: dates and times as ISO 8601 text, decimals as
    numbers when exact (else text), NaN/infinity as null, bytes as hex."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        if not v.is_finite():
            return None
        if v == v.to_integral_value() and abs(v) < 2**53:
            return int(v)
        f = float(v)
        return f if decimal.Decimal(repr(f)) == v else str(v)
    if isinstance(v, dt.timedelta):
        return f"PT{v.total_seconds():g}S"
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return str(v)


_SORT_ITEM = re.compile(r'^\s*(?:"((?:[^"]|"")+)"|([^\s"]+(?:\s+[^\s"]+)*?))(?:\s+(asc|desc))?'
                        r'(?:\s+nulls\s+(first|last))?\s*$', re.I)


def parse_sort(sort: str, known: Iterable[str]) -> list[tuple[str, str]]:
    """``"col desc, col2"`` → ``[("col", "DESC"), ("col2", "ASC")]``; names must be known.

    As in CKAN (PostgreSQL), ``nulls first`` or ``nulls last`` may follow: ``"col desc nulls last"``
    → ``[("col", "DESC NULLS LAST")]`` (without it, :func:`search` puts empty cells last)."""
    known = list(known)
    out = []
    for item in sort.split(","):
        m = _SORT_ITEM.match(item)
        if not m or not item.strip():
            raise QueryError("bad-sort", sort=sort)
        name = m.group(1).replace('""', '"') if m.group(1) is not None else m.group(2)
        if name not in known:
            raise QueryError("unknown-field", name=name, known=", ".join(known))
        direction = (m.group(3) or "asc").upper()
        out.append((name, f"{direction} NULLS {m.group(4).upper()}" if m.group(4) else direction))
    return out


def _coerce(name: str, t: pa.DataType, value: Any) -> Any:
    """A filter value (often text from a query string) as the column's type."""
    if value is None:
        return None
    tt = _table_type(t)
    try:
        if tt == "integer":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value) if not isinstance(value, str) else int(value.strip())
        if tt == "number":
            if isinstance(value, bool):
                raise ValueError
            f = float(value)
            if not math.isfinite(f):
                raise ValueError
            return f
        if tt == "boolean":
            if isinstance(value, bool):
                return value
            s = str(value).strip().lower()
            if s in ("true", "1", "yes"):
                return True
            if s in ("false", "0", "no"):
                return False
            raise ValueError
        if tt == "date":
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
        if tt == "datetime":
            return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).strip())
    except (TypeError, ValueError) as exc:
        from .tabular import TYPE_LABELS

        raise QueryError("bad-filter-value", name=name, value=value, type_label=TYPE_LABELS.get(tt, tt)) from exc
    return str(value)


def _check_int(name: str, value: Any, low: int, high: int) -> int:
    try:
        n = int(value)
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()) or not low <= n <= high:
            raise ValueError
    except (TypeError, ValueError):
        raise QueryError("bad-limit", name=name, low=low, high=high, value=value) from None
    return n


# ----------------------------------------------------------------------- search

#: DuckDB's virtual column of ``read_parquet``: a row's position in the file, the last sort key of every page.
ROW_NUMBER = "file_row_number"


def search(
    parquet_path: Path | str,
    *,
    filters: dict[str, Any] | None = None,
    q: str | dict[str, str] | None = None,
    fields: list[str] | None = None,
    sort: str | None = None,
    limit: int = 100,
    offset: int = 0,
    include_total: bool = True,
) -> Page:
    """A page of rows of one Parquet file. See the module docstring; raises ``QueryError``.

    ``filters``: ``{column: value}`` or ``{column: [values]}`` (equality / any of).
    ``q``: text, matched case-insensitively as a substring of any text column; or
    ``{column: text}`` to search given columns only. ``fields``: columns to return (all
    by default). ``sort``: ``"col desc, col2"`` (see :func:`parse_sort`). ``limit`` 0–32,000, ``offset`` ≥ 0.
    """
    path = Path(parquet_path)
    schema, num_rows, starts = _file_meta(path)
    names = schema.names
    types = {f.name: f.type for f in schema}
    limit = _check_int("limit", limit, 0, MAX_LIMIT)
    offset = _check_int("offset", offset, 0, 2**62)

    def known(name: str) -> str:
        if name not in types:
            raise QueryError("unknown-field", name=name, known=", ".join(names))
        return name

    cols = [known(f) for f in fields] if fields else list(names)
    order = parse_sort(sort, names) if sort else []

    where, params = [], []
    for name, value in (filters or {}).items():
        known(name)
        values = value if isinstance(value, (list, tuple, set)) else [value]
        values = [_coerce(name, types[name], v) for v in values]
        nulls = any(v is None for v in values)
        values = [v for v in values if v is not None]
        parts = []
        if values:
            parts.append(f"{_q(name)} IN ({', '.join('?' for _ in values)})" if len(values) > 1 else f"{_q(name)} = ?")
            params += values
        if nulls:
            parts.append(f"{_q(name)} IS NULL")
        where.append("(" + " OR ".join(parts) + ")" if parts else "FALSE")
    if q:
        text_cols = [n for n in names if pa.types.is_string(types[n]) or pa.types.is_large_string(types[n])]
        pairs = ([(known(c), t) for c, t in q.items()] if isinstance(q, dict) else [(c, q) for c in text_cols])
        for c, _text in pairs:
            if c not in text_cols:  # DuckDB has no ILIKE for numbers, dates, ...: say so, naming the column
                from .tabular import TYPE_LABELS

                tt = _table_type(types[c])
                raise QueryError("q-not-text", name=c, type_label=TYPE_LABELS.get(tt, tt))
        ors = []
        for c, text in pairs:
            ors.append(f"{_q(c)} ILIKE ? ESCAPE '\\'")
            params.append("%" + re.sub(r"([\\%_])", r"\\\1", str(text)) + "%")
        clause = " OR ".join(ors) if ors else "FALSE"
        where.append(f"({clause})" if not isinstance(q, dict) else "(" + " AND ".join(ors) + ")")

    field_info = [{"id": c, "type": _table_type(types[c])} for c in cols]
    sort_text = ", ".join(f"{c} {d.lower()}" for c, d in order) or None

    if not where and not order:  # the common case: read the page's row groups directly
        records = _page_from_row_groups(path, cols, offset, limit, starts, num_rows)
        return Page(field_info, records, num_rows, limit, offset, sort_text)

    con = _con()
    src = f"read_parquet({_lit(str(path))})"
    where_sql = (" WHERE " + " AND ".join(where)) if where else ""
    # The file's row order breaks ties (and orders an unsorted filtered page), so that pages of one query
    # cover every row exactly once however DuckDB splits the scan between threads (DuckDB's virtual
    # column file_row_number; should the file have a column of that name, every column instead: rows
    # tied on all of them are the same row to a reader).
    tiebreak = ", ".join(_q(c) for c in names) if ROW_NUMBER in types else ROW_NUMBER
    order_sql = " ORDER BY " + "".join(f"{_q(c)} {d}{'' if 'NULLS' in d else ' NULLS LAST'}, "
                                       for c, d in order) + tiebreak
    select = ", ".join(_q(c) for c in cols)
    try:
        cur = con.execute(f"SELECT {select} FROM {src}{where_sql}{order_sql} LIMIT {limit} OFFSET {offset}", params)
        rows = cur.fetchall()
        if not where:
            total = num_rows
        elif include_total:
            total = con.execute(f"SELECT count(*) FROM {src}{where_sql}", params).fetchone()[0]
        else:
            total = -1
    except duckdb.Error as exc:  # e.g. a value out of a column's range
        raise QueryError("sql-error", detail=str(exc)) from exc
    records = [{c: jsonable(v) for c, v in zip(cols, r)} for r in rows]
    return Page(field_info, records, int(total), limit, offset, sort_text)


def _page_from_row_groups(path: Path, cols: list[str], offset: int, limit: int, starts: tuple[int, ...],
                          num_rows: int) -> list[dict]:
    """Rows [offset, offset+limit) read from just the row groups holding them (pyarrow)."""
    if limit == 0 or offset >= num_rows:
        return []
    import bisect

    end = min(offset + limit, num_rows)
    first = bisect.bisect_right(starts, offset) - 1
    last = bisect.bisect_right(starts, end - 1) - 1
    st = path.stat()
    pf = _parquet_file(str(path), st.st_mtime_ns, st.st_size)
    table = pf.read_row_groups(list(range(first, last + 1)), columns=cols, use_threads=False)
    table = table.slice(offset - starts[first], end - offset)
    columns = [table.column(c).to_pylist() for c in cols]
    return [{c: jsonable(v) for c, v in zip(cols, rec)} for rec in zip(*columns)]


# ----------------------------------------------------------------------- SQL

_TABLE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$")

#: How deeply a public query may nest expressions and subqueries inside one another, as DuckDB's parser
#: counts them (its ``max_expression_depth`` setting on the parsing connection, :func:`_parser`):
#: ``a + b + ... `` of 64 terms, or 31 nested subqueries. DuckDB refuses deeper text before building it.
MAX_DEPTH = 64
#: How deeply the parse tree (``json_serialize_sql``, objects and lists inside one another) may nest,
#: counted on its text before it is read: WITH queries, joins and set operations inside one another are
#: not counted by ``MAX_DEPTH``. Every tree within ``MAX_DEPTH`` is less deep than this (at most 3 or so
#: levels of the tree a level of the query; a WITH query inside a subquery, about 9); the walk takes about 3
#: Python frames a level of the tree, and runs on a thread of its own (:func:`_checked`), so it stays
#: within Python's recursion limit (1,000) whatever the caller's stack.
MAX_TREE_DEPTH = 300

_DEPTH_ERROR = re.compile(r"max(?:imum)? expression depth", re.I)


def check_read_only(query: str) -> str:
    """The one statement of ``query`` if it is a SELECT (DuckDB's parser decides); else
    ``QueryError('not-select')``. Comments and a trailing semicolon are allowed."""
    try:
        statements = _parser().extract_statements(query)
    except duckdb.Error as exc:
        if _DEPTH_ERROR.search(str(exc)):
            raise _too_deep() from None
        raise QueryError("sql-error", detail=str(exc)) from exc
    if len(statements) != 1:
        raise QueryError("not-select", detail=f"{len(statements)} statements")
    st = statements[0]
    if st.type != duckdb.StatementType.SELECT:
        raise QueryError("not-select", detail=f"a {st.type.name} statement")
    return query


# What a query may read. Each view's SQL holds the absolute path of its file, and any SELECT can
# read DuckDB's own catalogue (duckdb_views(), information_schema.views, sqlite_master, pg_views,
# pg_get_viewdef()), its settings (duckdb_settings(), pg_settings, current_setting('allowed_paths'):
# the files' paths, the home, temporary and secret directories) and file metadata (parquet_metadata()
# names the file). Switching file access off and locking the configuration stops none of these, so
# the statement is walked as DuckDB's own parser sees it (json_serialize_sql) before it runs: a table
# must be one of the given views or a WITH name in scope, a table function one of the few below that
# make rows from their arguments alone, and every other function one of a reviewed list.
# Everything is allowed by name and refused otherwise (fail closed): tables, table functions, and the
# scalar, aggregate and window functions and macros (sql_functions.ALLOWED, reviewed from DuckDB's
# duckdb_functions() by scripts/gen_sql_functions.py: a function a later DuckDB adds is refused until
# someone reviews it). Operators (+, ||, ~~ for LIKE, ->> ...) are functions by another name and are
# checked the same way.

#: Table functions a query may call: each makes rows from its arguments alone.
TABLE_FUNCTIONS = ("range", "generate_series", "unnest", "repeat", "repeat_row", "json_each", "json_tree")

#: Scalar, aggregate and window functions and macros a query may call (lower case), and the reviewed
#: refusals with their reasons (e.g. current_setting reads a setting, pg_get_viewdef a view's SQL).
ALLOWED_FUNCTIONS = sql_functions.ALLOWED | sql_functions.BINDER_NAMES
REFUSED_FUNCTIONS = frozenset(sql_functions.REFUSED)

# The parse tree, kind by kind, as DuckDB 2.0 writes it (json_serialize_sql). The walk fails closed:
# a node of a kind not described here, a field its kind does not have, a field it lacks, or a value of
# the wrong shape refuses the statement (QueryError "unknown-construct"). A later DuckDB that writes its
# tree differently gets the affected queries refused until these tables are brought up to date; nothing
# it adds goes through unchecked. Each field has a role:
#
#   "-"      plain data: text, a number, a boolean, null, or lists of them (names, flags, positions);
#   "expr"   an expression (its kind is its "class"), "table" a FROM item, "node" a query, "modifier" an
#            ORDER BY, LIMIT or DISTINCT clause (their kind is their "type");
#   any other name: one of the fixed shapes of _SHAPES.
#
# A role ending in "?" may also be null, in "*" is a list of them, in "**" a list of lists of them.
# query_location and query_location_length (where the part starts in the text) may be left out.

_LOCATION = ("query_location", "query_location_length")

#: Expressions by class; each also has class, type and alias.
_EXPRESSIONS: dict[str, dict[str, str]] = {
    "BETWEEN": {"input": "expr", "lower": "expr", "upper": "expr"},
    "CASE": {"case_checks": "case_check*", "else_expr": "expr?"},
    "CAST": {"child": "expr", "type_expr": "expr", "try_cast": "-"},
    "COLLATE": {"child": "expr", "collation": "-"},
    "COLUMN_REF": {"column_names": "-"},
    "COMPARISON": {"left": "expr", "right": "expr"},
    "CONJUNCTION": {"children": "expr*"},
    "CONSTANT": {"literal": "literal"},
    "FUNCTION": {"function_name": "-", "schema": "-", "catalog": "-", "qualified_name": "qualified_name",
                 "arguments": "argument*", "filter": "expr?", "order_bys": "modifier", "distinct": "-",
                 "is_operator": "-", "export_state": "-", "is_legacy_function_call": "-"},
    "LAMBDA": {"lhs": "expr", "expr": "expr", "syntax_type": "-"},
    "OPERATOR": {"children": "expr*"},
    "PARAMETER": {"identifier": "-"},
    "POSITIONAL_REFERENCE": {"index": "-"},
    "STAR": {"relation_name": "-", "exclude_list": "-", "qualified_exclude_list": "column_name*",
             "replace_list": "replacement*", "rename_list": "renaming*", "columns": "-", "expr": "expr?"},
    "SUBQUERY": {"subquery": "statement", "subquery_type": "-", "child": "expr?", "comparison_type": "-"},
    "TYPE": {"type_name": "-", "schema": "-", "catalog": "-", "qualified_name": "qualified_name",
             "children": "expr*"},
    "WINDOW": {"function_name": "-", "schema": "-", "catalog": "-", "qualified_name": "qualified_name",
               "arguments": "argument*", "partitions": "expr*", "orders": "order*", "arg_orders": "order*",
               "filter_expr": "expr?", "start_expr": "expr?", "end_expr": "expr?", "offset_expr": "expr?",
               "default_expr": "expr?", "start": "-", "end": "-", "exclude_clause": "-", "distinct": "-",
               "ignore_nulls": "-", "has_ignore_nulls": "-", "is_legacy_function_call": "-"},
}

#: FROM items by type; each also has type, alias and sample.
_TABLES: dict[str, dict[str, str]] = {
    "BASE_TABLE": {"catalog_name": "-", "schema_name": "-", "table_name": "-", "qualified_name": "qualified_name",
                   "column_name_alias": "-", "at_clause": "at_clause?"},
    "EMPTY": {},
    "EXPRESSION_LIST": {"values": "expr**", "expected_names": "-", "expected_types": "logical_type*"},
    "JOIN": {"left": "table", "right": "table", "condition": "expr?", "join_type": "-", "ref_type": "-",
             "using_columns": "-", "is_implicit": "-", "delim_flipped": "-", "duplicate_eliminated_columns": "expr*",
             "nearest_approx": "-", "nearest_count": "-", "nearest_order_type": "-", "ranking_expression": "expr?"},
    "PIVOT": {"source": "table", "aggregates": "expr*", "unpivot_names": "-", "pivots": "pivot*", "groups": "-",
              "column_name_alias": "-", "include_nulls": "-"},
    "SHOW_REF": {"catalog_name": "-", "schema_name": "-", "table_name": "-", "qualified_name": "qualified_name",
                 "query": "node?", "show_type": "-"},
    "SUBQUERY": {"subquery": "statement", "column_name_alias": "-"},
    "TABLE_FUNCTION": {"function": "expr", "column_name_alias": "-", "with_ordinality": "-"},
}

#: Queries by type; each also has type, modifiers and cte_map (its WITH queries).
_NODES: dict[str, dict[str, str]] = {
    "SELECT_NODE": {"select_list": "expr*", "from_table": "table", "where_clause": "expr?",
                    "group_expressions": "expr*", "group_sets": "-", "aggregate_handling": "-", "having": "expr?",
                    "sample": "sample?", "qualify": "expr?"},
    "SET_OPERATION_NODE": {"setop_type": "-", "setop_all": "-", "children": "node*", "left": "node?",
                           "right": "node?"},
    "RECURSIVE_CTE_NODE": {"cte_name": "-", "union_all": "-", "left": "node", "right": "node", "aliases": "-",
                           "key_targets": "expr*"},
}

#: ORDER BY, LIMIT and DISTINCT clauses by type; each also has type.
_MODIFIERS: dict[str, dict[str, str]] = {
    "ORDER_MODIFIER": {"orders": "order*"},
    "LIMIT_MODIFIER": {"limit": "expr?", "offset": "expr?", "limit_type": "-"},
    "DISTINCT_MODIFIER": {"distinct_on_targets": "expr*"},
}

#: The parts with one fixed shape.
_SHAPES: dict[str, dict[str, str]] = {
    "statement": {"node": "node", "named_param_map": "named_parameter*"},
    "named_parameter": {"key": "-", "value": "-"},
    "cte_query": {"query_node": "node", "aliases": "-", "key_targets": "expr*", "materialized": "-",
                  "payload_aggregates": "expr*"},
    "order": {"type": "-", "null_order": "-", "expression": "expr"},
    "argument": {"name": "-", "expression": "expr"},
    "case_check": {"when_expr": "expr", "then_expr": "expr"},
    "literal": {"kind": "-", "text": "-"},
    "qualified_name": {"path": "-"},
    "column_name": {"catalog": "-", "schema": "-", "table": "-", "column": "-"},
    "replacement": {"key": "-", "value": "expr"},
    "renaming": {"key": "column_name", "value": "-"},
    "at_clause": {"unit": "-", "expr": "expr"},
    "sample": {"sample_size": "value", "is_percentage": "-", "method": "-", "seed": "-", "repeatable": "-",
               "sample_rate": "-"},
    "value": {"type": "logical_type", "is_null": "-", "value": "-"},
    "logical_type": {"id": "-", "type_info": "-"},
    "pivot": {"pivot_expressions": "expr*", "unpivot_names": "-", "entries": "pivot_entry*", "pivot_enum": "-"},
    "pivot_entry": {"values": "value*", "star_expr": "expr?", "alias": "-"},
}

#: The families of nodes told apart by a field: the field, their kinds, the fields all of them have.
_FAMILIES: dict[str, tuple[str, dict[str, dict[str, str]], dict[str, str]]] = {
    "expr": ("class", _EXPRESSIONS, {"type": "-", "alias": "-"}),
    "table": ("type", _TABLES, {"alias": "-", "sample": "sample?"}),
    "node": ("type", _NODES, {"modifiers": "modifier*", "cte_map": "-"}),  # cte_map: _Walk.with_queries
    "modifier": ("type", _MODIFIERS, {}),
}
_FAMILY_NAMES = {"expr": "expression", "table": "FROM item", "node": "query", "modifier": "clause"}


def parse_tree(con: duckdb.DuckDBPyConnection, query: str) -> dict:
    """DuckDB's parse of the one SELECT in ``query`` (``json_serialize_sql``) as plain data: the statement,
    its query under ``node``."""
    try:
        text = con.execute("SELECT json_serialize_sql(?)", [query]).fetchall()[0][0]
    except duckdb.Error as exc:
        if _DEPTH_ERROR.search(str(exc)):
            raise _too_deep() from None
        raise QueryError("sql-error", detail=str(exc)) from exc
    if _json_depth(text) > MAX_TREE_DEPTH:  # before json's decoder, which recurses once per level
        raise _too_deep()
    try:
        out = json.loads(text)
    except RecursionError:  # a backstop: _json_depth bounds it
        raise _too_deep() from None
    if out.get("error") or len(out.get("statements") or []) != 1:
        message = out.get("error_message") or "the statement could not be read"
        if _DEPTH_ERROR.search(message):
            raise _too_deep()
        raise QueryError("sql-error", detail=message)
    return out["statements"][0]


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _json_depth(text: str) -> int:
    """How deeply the objects and lists of a JSON text nest, counted without recursion."""
    depth = deepest = 0
    for ch in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def check_references(tree: dict, tables: Iterable[str]) -> None:
    """``QueryError`` unless the parse tree (a statement, as :func:`parse_tree` gives it) is made only of
    the parts described above (``unknown-construct`` otherwise), reads only ``tables`` and its own WITH
    queries, calls no table function but those of ``TABLE_FUNCTIONS`` and no other function but those of
    ``ALLOWED_FUNCTIONS`` (``not-allowed``)."""
    try:
        _Walk(frozenset(n.lower() for n in tables)).value(tree, "statement", frozenset(), "the statement")
    except RecursionError:  # a backstop: the walk recurses a few frames a level, and the tree's depth is bounded
        raise _too_deep() from None


def _too_deep() -> QueryError:
    return QueryError("too-deep", limit=MAX_DEPTH)




@lru_cache(maxsize=256)
def _checked(query: str, tables: frozenset[str]) -> None:
    """``check_references`` of ``query``, remembered when it passes: asking DuckDB for the parse
    tree costs about as much as running a small query (bench/bench_datastore.py), and the same
    queries come back (a dashboard's, a script's). Parsed on a cursor of the checking thread's parsing
    connection (:func:`_parser`): parsing runs nothing."""
    # On a thread of its own, started for the check and ended after it: a pool's threads, kept waiting between
    # checks, made every later fork of the process with a preexec_fn (pyspark starting its JVM) fail.
    failed: list[BaseException] = []

    def run() -> None:
        try:
            _check(query, tables)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, raised there
            failed.append(exc)

    checker = threading.Thread(target=run, name="cityline-sql-check", daemon=True)
    checker.start()
    checker.join()
    if failed:
        raise failed[0]


def _check(query: str, tables: frozenset[str]) -> None:
    cur = _parser().cursor()
    try:
        check_references(parse_tree(cur, query), tables)
    finally:
        cur.close()


def _unknown(kind: str) -> QueryError:
    return QueryError("unknown-construct", kind=kind)


def _plain(value: Any) -> bool:
    """Text, a number, a boolean, null, or (nested) lists of them."""
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (str, int, float, bool))


class _Walk:
    """One walk of a parse tree over the query's tables ``views`` (lower case). ``ctes`` is passed
    down: the WITH names in scope at that point (lower case, as DuckDB compares names)."""

    def __init__(self, views: frozenset[str]):
        self.views = views
        self.table_functions: set[int] = set()  # the FUNCTION nodes of FROM items (checked by from_item)

    def value(self, value: Any, role: str, ctes: frozenset[str], where: str) -> None:
        """Check that ``value`` has the shape ``role`` says (see above), and check its parts."""
        if role.endswith("?"):
            if value is not None:
                self.value(value, role[:-1], ctes, where)
            return
        if role.endswith("*"):
            if not isinstance(value, list):
                raise _unknown(f"{where} (not a list)")
            for item in value:
                self.value(item, role[:-1], ctes, where)
            return
        if role == "-":
            if not _plain(value):
                raise _unknown(f"{where} (holds more than names and values)")
            return
        if not isinstance(value, dict):
            raise _unknown(f"{where} (not an object)")
        if role in _FAMILIES:
            self.node(value, role, ctes, where)
        else:
            self.fields(value, _SHAPES[role], ctes, where)

    def fields(self, node: dict, shape: dict[str, str], ctes: frozenset[str], kind: str,
               skip: Iterable[str] = ()) -> None:
        """Every field of ``node`` is one of ``shape`` and has its role; every field of ``shape`` is there."""
        for key in node:
            if key not in shape and key not in _LOCATION:
                raise _unknown(f"{kind} with a field '{key}'")
        for key, role in shape.items():
            if key not in node:
                raise _unknown(f"{kind} without its field '{key}'")
            if key not in skip:
                self.value(node[key], role, ctes, f"{kind}.{key}")

    def node(self, node: dict, family: str, ctes: frozenset[str], where: str) -> None:
        """An expression, FROM item, query or clause: a kind the walk knows, each part checked."""
        key, kinds, common = _FAMILIES[family]
        kind = node.get(key)
        if not isinstance(kind, str) or kind not in kinds:
            raise _unknown(f"{_FAMILY_NAMES[family]} {kind if isinstance(kind, str) else '?'} (in {where})")
        shape = {key: "-", **common, **kinds[kind]}
        skip: tuple[str, ...] = ()
        if family == "node":
            ctes = self.with_queries(node, ctes, kind)
            skip = ("cte_map",)
            if kind == "RECURSIVE_CTE_NODE":
                # Only the recursive part sees the query's own name; in the first part the name is the
                # catalogue's.
                self.fields(node, shape, ctes, kind, skip=(*skip, "right"))
                self.value(node["right"], "node", ctes | {str(node["cte_name"]).lower()}, f"{kind}.right")
                return
        if family == "table" and kind == "TABLE_FUNCTION" and isinstance(node.get("function"), dict):
            self.table_functions.add(id(node["function"]))  # its name is checked by from_item, its arguments here
        self.fields(node, shape, ctes, kind, skip=skip)
        if family == "expr" and kind in ("FUNCTION", "WINDOW", "TYPE"):
            name = _qualified(node, "catalog", "schema", "type_name" if kind == "TYPE" else "function_name")
            if kind != "TYPE" and id(node) not in self.table_functions:
                self.function(name[-1], node)
        elif family == "table":
            self.from_item(node, kind, ctes)

    def function(self, name: str, node: dict) -> None:
        """A function (or operator, or macro) a query may call: one of ``ALLOWED_FUNCTIONS``; one that calls an
        aggregate function named in text (``list_aggregate(l, 'sum')``) names an allowed one, literally."""
        allowed(name)
        if name.lower() in sql_functions.AGGREGATE_BY_NAME:
            args = node.get("arguments") or []
            named = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
            expr = named.get("expression") or {}
            literal = expr.get("literal") or {}
            if (named.get("name") or expr.get("class") != "CONSTANT" or literal.get("kind") != "STRING"
                    or not isinstance(literal.get("text"), str)):
                raise QueryError("not-allowed", name=f"{name}()",
                                 reason="the aggregate function it calls must be named in quotes, "
                                        f"e.g. {name}(l, 'sum')")
            allowed(literal["text"])

    def with_queries(self, node: dict, ctes: frozenset[str], kind: str) -> frozenset[str]:
        """Check a query's WITH queries (``cte_map``); return the names in scope in the rest of it.

        A WITH query sees those before it, not itself nor those after: there, its name is the
        catalogue's (WITH sqlite_master AS (FROM sqlite_master) reads the real one)."""
        cte_map = node.get("cte_map")
        if not isinstance(cte_map, dict) or set(cte_map) != {"map"} or not isinstance(cte_map["map"], list):
            raise _unknown(f"{kind}.cte_map (not a list of WITH queries)")
        seen = set(ctes)
        for entry in cte_map["map"]:
            if not isinstance(entry, dict) or set(entry) != {"key", "value"} or not isinstance(entry["key"], str):
                raise _unknown(f"{kind}.cte_map (not a list of WITH queries)")
            self.value(entry["value"], "cte_query", frozenset(seen), f"WITH {entry['key']}")
            seen.add(entry["key"].lower())
        return frozenset(seen)

    def from_item(self, ref: dict, kind: str, ctes: frozenset[str]) -> None:
        """What a FROM item reads: one of the views, a WITH query in scope, or an allowed table function."""
        if kind == "BASE_TABLE":
            path = _qualified(ref, "catalog_name", "schema_name", "table_name")
            catalog, schema = ref["catalog_name"], str(ref["schema_name"]).lower()
            # A WITH name is one only unqualified, or as recurring.<name>: a recursive WITH query's own
            # (USING KEY).
            if path[-1].lower() in ctes and not catalog and schema in ("", "recurring"):
                return
            if self.is_view(catalog, schema, path[-1]):
                return
            raise QueryError("unknown-table", name=".".join(path))
        if kind == "TABLE_FUNCTION":
            fn = ref["function"]
            name = str(fn.get("function_name") or "")
            if fn.get("class") != "FUNCTION" or name.lower() not in TABLE_FUNCTIONS:
                raise QueryError("not-allowed", name=f"{name or '?'}()",
                                 reason="of the table functions, a query may call only " + ", ".join(TABLE_FUNCTIONS))
        if kind == "SHOW_REF":
            # DESCRIBE and SUMMARIZE of a table or a query carry the query (walked); SHOW <name> names a
            # table (SHOW schema.name carries its query too); SHOW TABLES, SHOW DATABASES, ... name a list
            # of the catalogue.
            if ref["table_name"]:
                path = _qualified(ref, "catalog_name", "schema_name", "table_name")
                if ref["show_type"] in ("SHOW", "DESCRIBE") and self.is_view(
                        ref["catalog_name"], ref["schema_name"], path[-1]):
                    return
                raise QueryError("not-allowed", name=f"SHOW {'.'.join(path)}",
                                 reason="DESCRIBE and SUMMARIZE take one of the query's tables or a SELECT")
            if ref["query"] is None:
                raise QueryError("not-allowed", name="SHOW",
                                 reason="DESCRIBE and SUMMARIZE take one of the query's tables or a SELECT")

    def is_view(self, catalog: Any, schema: Any, name: str) -> bool:
        """Whether ``catalog.schema.name`` is one of the query's tables. The views are in memory.main, which
        DuckDB searches before the system's schemas, so a view's name may be qualified that far; any other
        catalogue or schema (system, information_schema, pg_catalog) is the system's."""
        return (name.lower() in self.views and str(catalog).lower() in ("", "memory")
                and str(schema).lower() in ("", "main", "memory"))


def allowed(name: str) -> None:
    """``QueryError('not-allowed')`` unless a query may call the function (or operator, or macro) ``name``."""
    key = name.lower()
    if key in ALLOWED_FUNCTIONS:
        return
    reason = sql_functions.REASONS.get(sql_functions.REFUSED.get(key, ""))
    raise QueryError("not-allowed", name=f"{name}()",
                     reason=reason or "it is not one of the functions the open data SQL endpoint offers")


def _qualified(node: dict, *parts: str) -> list[str]:
    """The name a node refers to (catalogue, schema, name), checked against the path DuckDB binds
    (``qualified_name``): four or more parts, or parts that disagree, are a construct the walk refuses."""
    named = [str(node[p]) for p in parts if node[p]]
    path = node["qualified_name"]["path"]
    if not named or path != named:
        shown = ".".join(str(p) for p in path) or ".".join(named) or "?"
        raise _unknown(f"the qualified name {shown}")
    return named


#: An absolute path in an error message (not inside a word, a number or an address like https://...).
_ABS_PATH = re.compile(r"(?<![\w:/.~-])/(?:[^\s\"'`/]+/)+[^\s\"'`/,;:)]*")


def _scrub(message: str, paths: dict[str, str]) -> str:
    """An error message without server paths: a table's file becomes the table's name, any other path <path>.

    DuckDB names the file in a read error ('Failed to read file "/srv/.../v3.parquet"') and a
    directory in some others (the temporary, secret or extension directory)."""
    for path, name in sorted(paths.items(), key=lambda kv: -len(kv[0])):
        message = message.replace(path, name)
    return _ABS_PATH.sub("<path>", message)


def sql(
    query: str,
    tables: dict[str, Path | str],
    *,
    row_limit: int = 10_000,
    timeout_s: float = 10.0,
    memory_limit: str = "1GB",
    threads: int = 2,
) -> SqlResult:
    """Run one read-only SELECT over ``tables`` (``{view_name: parquet_path}``).

    Each table is a view named by its key (e.g. the resource id; use it in double quotes
    if it is not a plain identifier). Before the query runs, DuckDB's access to files is
    limited to exactly these Parquet files, external access is switched off and the
    configuration is locked, so ``read_csv('/etc/passwd')``, ``COPY``, ``ATTACH``,
    ``INSTALL``/``LOAD``, ``PRAGMA`` and ``SET`` are refused by DuckDB itself even if the
    statement check were bypassed. Before that, the statement is walked
    (``check_references``): it may read only these views and its own WITH queries, call only
    a few table functions and the reviewed functions of ``ALLOWED_FUNCTIONS`` (none reads a setting,
    the catalogue or the environment), and nest at most ``MAX_DEPTH`` deep (``too-deep``), so that no
    answer holds a server path, a setting or the environment; paths are taken out of
    DuckDB's error messages too. At most ``row_limit`` rows come back (``truncated`` says
    whether there were more); after ``timeout_s`` seconds the query is interrupted
    (``QueryTimeout``).
    """
    check_read_only(query)
    row_limit = _check_int("row_limit", row_limit, 1, 10_000_000)
    started = time.perf_counter()
    for name in tables:
        if not _TABLE_NAME.match(name):
            raise QueryError("unknown-table", name=name)
    _checked(query, frozenset(n.lower() for n in tables))
    con = _locked_connection(tables, threads=threads, memory_limit=memory_limit)
    cur = con.cursor()  # one cursor per query: it shares the locked database, and can be interrupted alone
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        cur.interrupt()

    timer = threading.Timer(timeout_s, stop)
    timer.daemon = True
    timer.start()
    try:
        rel = cur.sql(query)
        if rel is None:  # not a query that returns rows
            raise QueryError("not-select", detail="a statement without rows")
        names, dtypes = rel.columns, rel.types
        rows = rel.limit(row_limit + 1).fetchall()
    except duckdb.InterruptException as exc:
        raise QueryTimeout(timeout_s) from exc
    except duckdb.Error as exc:
        if timed_out.is_set():
            raise QueryTimeout(timeout_s) from exc
        raise QueryError("sql-error", detail=_scrub(str(exc), _paths_of(tables))) from exc
    finally:
        timer.cancel()
        cur.close()
    truncated = len(rows) > row_limit
    rows = rows[:row_limit]
    fields = [{"id": n, "type": _duck_type(str(t))} for n, t in zip(names, dtypes)]
    records = [{n: jsonable(v) for n, v in zip(names, r)} for r in rows]
    return SqlResult(fields, records, truncated, row_limit, (time.perf_counter() - started) * 1000, list(tables))


#: Locked-down connections, reused across queries on the same files (see ``_locked_connection``).
_POOL: OrderedDict[tuple, duckdb.DuckDBPyConnection] = OrderedDict()
_POOL_LOCK = threading.Lock()
POOL_SIZE = 16


def _locked_connection(tables: dict[str, Path | str], *, threads: int, memory_limit: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that sees exactly ``tables`` and nothing else, reused while the files are unchanged.

    Setting one up (views, allowed paths, external access off, configuration locked) costs
    more than a typical query, so connections are kept in a small LRU pool keyed by the
    tables, their files' size and modification time, and the limits. A file replaced by a new
    version changes the key; the old connection ages out. Each query runs on its own cursor.
    """
    resolved = []
    for name, path in sorted(tables.items()):
        p = Path(path).resolve()
        try:
            st = p.stat()
        except OSError as exc:
            raise QueryError("unknown-table", name=name) from exc
        resolved.append((name, str(p), st.st_mtime_ns, st.st_size))
    key = (tuple(resolved), threads, memory_limit)
    with _POOL_LOCK:
        con = _POOL.get(key)
        if con is not None:
            _POOL.move_to_end(key)
            return con
    con = duckdb.connect(config={"threads": threads, "memory_limit": memory_limit})
    try:
        for name, p, _mtime, _size in resolved:
            con.execute(f"CREATE VIEW {_q(name)} AS SELECT * FROM read_parquet({_lit(p)})")
        con.execute("SET allowed_paths = [" + ", ".join(_lit(p) for _n, p, _m, _s in resolved) + "]")
        con.execute("SET enable_external_access = false")
        con.execute("SET autoinstall_known_extensions = false")
        con.execute("SET autoload_known_extensions = false")
        con.execute("SET parquet_metadata_cache = true")
        con.execute("SET lock_configuration = true")
    except duckdb.Error as exc:  # a file DuckDB cannot read (a broken footer): its error names the file
        con.close()
        raise QueryError("sql-error", detail=_scrub(str(exc), {p: n for n, p, _m, _s in resolved})) from exc
    with _POOL_LOCK:
        _POOL[key] = con
        while len(_POOL) > POOL_SIZE:
            # Not closed here: a query may still run on a cursor of it; it closes when the last one goes.
            _POOL.popitem(last=False)
    return con


def _paths_of(tables: dict[str, Path | str]) -> dict[str, str]:
    """Each table's file, as given and resolved, to the table's name (for ``_scrub``)."""
    out = {}
    for name, path in tables.items():
        out[str(path)] = name
        out[str(Path(path).resolve())] = name
    return out


def _duck_type(t: str) -> str:
    t = t.upper()
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"):
        return "integer"
    if t in ("FLOAT", "DOUBLE", "REAL") or t.startswith("DECIMAL"):
        return "number"
    if t == "BOOLEAN":
        return "boolean"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "datetime"
    if t.startswith("TIME"):
        return "time"
    return "string"


# ----------------------------------------------------------------------- CSV

def csv_chunks(fields: list[dict] | list[str], records: Iterable[dict], *, rows_per_chunk: int = 1000) -> Iterator[str]:
    """CSV text in chunks (header first) for a streaming HTTP response."""
    names = [f["id"] if isinstance(f, dict) else f for f in fields]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(names)
    n = 0
    for rec in records:
        w.writerow(["" if rec.get(k) is None else _csv_cell(rec.get(k)) for k in names])
        n += 1
        if n % rows_per_chunk == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def _csv_cell(v: Any) -> Any:
    import json

    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, bool):
        return "true" if v else "false"
    return v
