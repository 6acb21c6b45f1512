"""CSV imports for indicators and KPIs (C2): a city's licensed indicator lists and measurements.

Both imports are all-or-nothing: every row is checked, every problem is reported with
the file, the line and the column, and nothing is written unless the whole file is
good (one transaction, rolled back on any error). Writes go through
:mod:`cityline.core.actions`, so each record is validated by its model rules and has a
history entry with the reason ``CSV import of <file>``.

Formats (UTF-8, comma-separated, a header row; see docs/benefits/indicators-and-kpis.md):

* indicator lists: ``id, name, theme, type, edition`` and optionally ``source`` (where
  the list comes from); the edition names the list (``ISO 37120:2018``, ``ISO 37122:2019``...);
* measurements: ``kpi, period_end, value`` and optionally ``source``, ``quality``, ``note``.
  A row for a KPI and period already stored replaces its value and the optional columns the
  file has; a column the file leaves out keeps what is stored (re-importing a file changes
  nothing).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction

from cityline.core import actions
from cityline.core.models import City

from . import choices
from .models import Kpi, Measurement

INDICATOR_COLUMNS = ("id", "name", "theme", "type", "edition")
INDICATOR_OPTIONAL = ("source",)
MEASUREMENT_COLUMNS = ("kpi", "period_end", "value")
MEASUREMENT_OPTIONAL = ("source", "quality", "note")


@dataclass(frozen=True)
class CsvProblem:
    """One problem in a CSV file: file, line (1 is the header) and column, when known."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class CsvImportError(Exception):
    """The file was refused; nothing was written. ``problems`` lists every problem found."""

    def __init__(self, problems: list[CsvProblem]):
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s), nothing was imported:\n{shown}{more}")


class CsvImportRefused(CsvImportError):
    """The file is good, but whoever imports it may not write some of its rows; nothing was written."""


@dataclass
class ImportSummary:
    """What an import did (or, for a load, would do): counts of created, updated and unchanged rows."""

    file: str
    what: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    details: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def __str__(self) -> str:
        return (f"{self.file}: {self.rows} {self.what} — {self.created} created, {self.updated} updated, "
                f"{self.unchanged} unchanged")


@dataclass
class Row:
    line: int
    values: dict[str, str]


def read_csv(path: Path | str, required: Iterable[str], optional: Iterable[str] = ()) -> tuple[str, list[Row]]:
    """Read a CSV file with a header; refuse missing or unknown columns and unreadable text."""
    path = Path(path)
    name = path.name
    required, optional = tuple(required), tuple(optional)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CsvImportError([CsvProblem(str(path), None, None, "no such file")]) from None
    except UnicodeDecodeError as exc:
        raise CsvImportError([CsvProblem(name, None, None, f"not UTF-8 text (byte {exc.start}); save it as UTF-8")]) \
            from None
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = next(reader)
    except StopIteration:
        raise CsvImportError([CsvProblem(name, 1, None, "the file is empty: it needs a header row")]) from None
    header = [h.strip() for h in header]
    problems = []
    for col in required:
        if col not in header:
            problems.append(CsvProblem(name, 1, col, "missing column"))
    for col in header:
        if col not in required and col not in optional:
            allowed = ", ".join([*required, *optional])
            problems.append(CsvProblem(name, 1, col or "(blank)", f"unknown column; the columns are: {allowed}"))
    seen = set()
    for col in header:
        if col in seen:
            problems.append(CsvProblem(name, 1, col, "column given twice"))
        seen.add(col)
    if problems:
        raise CsvImportError(problems)
    rows: list[Row] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue  # blank lines are allowed
            if len(cells) != len(header):
                problems.append(CsvProblem(name, line, None,
                                           f"{len(cells)} cells where the header has {len(header)}"))
                continue
            rows.append(Row(line, {h: c.strip() for h, c in zip(header, cells)}))
    except csv.Error as exc:
        problems.append(CsvProblem(name, reader.line_num, None, f"not valid CSV: {exc}"))
    if problems:
        raise CsvImportError(problems)
    return name, rows


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date: write it as YYYY-MM-DD") from None


def parse_number(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number (use a dot for decimals, no thousands separators)") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a finite number")
    return value


def _validation_problems(name: str, row: Row, exc: ValidationError, columns: dict[str, str]) -> list[CsvProblem]:
    out = []
    if hasattr(exc, "error_dict"):
        for fname, errors in exc.message_dict.items():
            column = None if fname == NON_FIELD_ERRORS else columns.get(fname, fname)
            out += [CsvProblem(name, row.line, column, msg) for msg in errors]
    else:
        out += [CsvProblem(name, row.line, None, msg) for msg in exc.messages]
    return out


def _write(instance, stored_version: int | None, *, user, reason: str, authorise=None) -> str:
    """Save through the actions layer; return created / updated / unchanged."""
    creating = instance.pk is None
    actions.save(instance, user=user, reason=reason, authorise=authorise)
    if creating:
        return "created"
    if hasattr(instance, "version"):
        return "updated" if instance.version != stored_version else "unchanged"
    return "updated"


# --- measurements -------------------------------------------------------------------------


def import_measurements(path: Path | str, city: City | str, *, user=None, principal=None) -> ImportSummary:
    """Import measurements of a city's KPIs from CSV, all or nothing (C2.b, C2.f).

    ``principal`` (:class:`cityline.accounts.authz.Principal`), or ``user`` alone (their principal, built as the CLI
    builds it, as :func:`cityline.core.packs.import_pack` does): whose rights decide, row by row, for the rows that
    change something (a benefit owner records the measurements of their outcome's KPIs only); any refusal is
    listed with its line and nothing is written (:class:`CsvImportRefused`). With neither (the local operator:
    the CLI without ``--user``), nothing is asked. ``user`` (default: the principal's) is whom the history records.
    """
    if principal is None and user is not None:
        from cityline.accounts.authz import principal_for_user

        principal = principal_for_user(user)
    if isinstance(city, str):
        found = City.objects.filter(key=city).first()
        if found is None:
            raise CsvImportError([CsvProblem(Path(path).name, None, None, f"no city with key {city!r}")])
        city = found
    name, rows = read_csv(path, MEASUREMENT_COLUMNS, MEASUREMENT_OPTIONAL)
    summary = ImportSummary(name, "measurements")
    kpis = {k.key: k for k in Kpi.objects.filter(city=city)}
    existing = {(m.kpi_id, m.period_end): m for m in Measurement.objects.filter(city=city)}
    qualities = set(choices.QualityFlag.values)
    problems: list[CsvProblem] = []
    parsed: list[tuple[Row, Kpi, date, Decimal, dict[str, Any]]] = []
    first_line: dict[tuple[str, date], int] = {}
    for row in rows:
        v = row.values
        row_problems = []
        kpi = kpis.get(v["kpi"])
        if not v["kpi"]:
            row_problems.append(CsvProblem(name, row.line, "kpi", "give the KPI's key"))
        elif kpi is None:
            row_problems.append(CsvProblem(name, row.line, "kpi", f"no KPI with key {v['kpi']!r} in city {city.key!r}"))
        period_end = value = None
        try:
            period_end = parse_date(v["period_end"])
        except ValueError as exc:
            row_problems.append(CsvProblem(name, row.line, "period_end", str(exc)))
        try:
            value = parse_number(v["value"])
        except ValueError as exc:
            row_problems.append(CsvProblem(name, row.line, "value", str(exc)))
        quality = v.get("quality") or choices.QualityFlag.OK
        if quality not in qualities:
            row_problems.append(CsvProblem(name, row.line, "quality",
                                           f"unknown quality {quality!r}; use one of {', '.join(sorted(qualities))}"))
        if period_end is not None and v["kpi"]:
            ident = (v["kpi"], period_end)
            if ident in first_line:
                row_problems.append(CsvProblem(
                    name, row.line, "period_end",
                    f"a second value for KPI {v['kpi']!r} and period {period_end.isoformat()} "
                    f"(the first is on line {first_line[ident]}); keep one value per period"))
            else:
                first_line[ident] = row.line
        if row_problems:
            problems += row_problems
            continue
        # Only the optional columns the file has: one it leaves out keeps what is stored (a file of values alone
        # must not clear a value's notes or take back its "bad" flag); a new measurement takes the defaults.
        extra = {col: (quality if col == "quality" else v[col]) for col in MEASUREMENT_OPTIONAL if col in v}
        parsed.append((row, kpi, period_end, value, extra))
    if problems:
        raise CsvImportError(problems)
    columns = {"kpi": "kpi", "period_end": "period_end", "value": "value", "source": "source",
               "quality": "quality", "note": "note"}
    reason = f"CSV import of {name}"
    authorise = _authorise(principal)
    if user is None and principal is not None:
        user = principal.user
    refused = False
    with transaction.atomic():
        for row, kpi, period_end, value, extra in parsed:
            instance = existing.get((kpi.pk, period_end)) or Measurement(city=city, kpi=kpi, period_end=period_end)
            stored = instance.version if instance.pk else None
            instance.value = value
            for k, val in extra.items():
                setattr(instance, k, val)
            try:
                summary.count(_write(instance, stored, user=user, reason=reason, authorise=authorise))
            except ValidationError as exc:
                problems += _validation_problems(name, row, exc, columns)
            except PermissionDenied as exc:
                refused = True
                problems.append(CsvProblem(name, row.line, "kpi", str(exc)))
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise (CsvImportRefused if refused else CsvImportError)(problems)
    return summary


def _authorise(principal):
    """The rights check :func:`cityline.core.actions.save` asks before a write that changes something (the rules of
    the editor and the API; None for the operator, who may do everything)."""
    from cityline.accounts.authz import write_check

    def describe(action, instance):
        return f"{'record' if action == 'add' else 'change'} measurements of KPI {instance.kpi.key!r}"

    return write_check(principal, describe=describe)


# --- indicator lists ------------------------------------------------------------------------


def import_indicators(path: Path | str, *, user=None, licensed: bool = True) -> ImportSummary:
    """Load an indicator list (ISO 37120:2018, ISO 37122, ISO 37123 ...) into the catalogue, all or nothing.

    The edition column names the list; rows are matched by list and identifier, so
    importing a corrected file updates the names in place.
    """
    from .catalogue import source_for_edition, upsert_indicator

    name, rows = read_csv(path, INDICATOR_COLUMNS, INDICATOR_OPTIONAL)
    summary = ImportSummary(name, "indicators")
    types = set(choices.IndicatorType.values)
    problems: list[CsvProblem] = []
    parsed: list[tuple[Row, dict[str, Any]]] = []
    first_line: dict[tuple[str, str], int] = {}
    for row in rows:
        v = row.values
        row_problems = []
        for col in ("id", "name", "edition"):
            if not v[col]:
                row_problems.append(CsvProblem(name, row.line, col, "required"))
        source = None
        if v["edition"]:
            try:
                source = source_for_edition(v["edition"])
            except ValueError as exc:
                row_problems.append(CsvProblem(name, row.line, "edition", str(exc)))
        kind = v["type"].lower()
        if kind and kind not in types:
            row_problems.append(CsvProblem(name, row.line, "type",
                                           f"unknown type {v['type']!r}; use one of {', '.join(sorted(types))}"))
        if source and v["id"]:
            ident = (source, v["id"])
            if ident in first_line:
                row_problems.append(CsvProblem(name, row.line, "id",
                                               f"indicator {v['id']} of {v['edition']} is already on line "
                                               f"{first_line[ident]}"))
            else:
                first_line[ident] = row.line
        if row_problems:
            problems += row_problems
            continue
        parsed.append((row, {"source": source, "code": v["id"], "name": v["name"], "theme": v["theme"],
                             "indicator_type": kind, "edition": v["edition"], "reference": v.get("source", ""),
                             "licensed": licensed}))
    if problems:
        raise CsvImportError(problems)
    columns = {"code": "id", "name": "name", "theme": "theme", "indicator_type": "type", "edition": "edition",
               "reference": "source", "source": "edition"}
    reason = f"CSV import of {name}"
    with transaction.atomic():
        for row, values in parsed:
            try:
                summary.count(upsert_indicator(values, user=user, reason=reason))
            except ValidationError as exc:
                problems += _validation_problems(name, row, exc, columns)
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise CsvImportError(problems)
    return summary


def iter_problems(exc: CsvImportError) -> Iterator[str]:
    for p in exc.problems:
        yield str(p)


# --- command line (``cityline benefits ...``) ------------------------------------------------


def _report(run) -> int:
    import sys

    try:
        summaries = run()
    except CsvImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, CsvImportRefused) else 1
    for s in summaries if isinstance(summaries, list) else [summaries]:
        print(s)
    return 0


def cli_load_catalogue(args) -> int:
    """``cityline benefits load-catalogue``"""
    from .catalogue import load_catalogue

    return _report(load_catalogue)


def cli_import_indicators(args) -> int:
    """``cityline benefits import-indicators FILE``"""
    return _report(lambda: import_indicators(args.file))


def cli_import_measurements(args) -> int:
    """``cityline benefits import-measurements FILE --city KEY [--user NAME]``: as the local operator, or as the
    user ``--user`` or ``CITYLINE_USER`` names, whose roles then decide (exit status 2 when they do not allow it)."""
    import sys

    from cityline.accounts.cli import acting_principal
    from cityline.accounts.operations import Refused

    city = args.city
    if city is None:
        keys = list(City.objects.values_list("key", flat=True)[:2])
        if len(keys) != 1:
            print("error: give --city KEY (the instance hosts " + ("no city" if not keys else "several cities") + ")",
                  file=sys.stderr)
            return 2
        city = keys[0]
    try:
        principal = acting_principal(args)
    except Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _report(lambda: import_measurements(args.file, city, principal=principal))

