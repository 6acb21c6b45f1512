"""Reading a pack folder and checking everything that can be checked without a database.

:func:`read_pack` parses every file (with line numbers), validates each against its
JSON Schema, then checks what a schema cannot: real calendar dates, duplicate keys
and natural identities, and references to keys that are not in the pack. Every
problem is collected (the reader never stops at the first one) as a
:class:`~.errors.Problem` naming file, line and field path.

Records with a problem are marked ``bad`` so the importer skips them (and what
depends on them) while it looks for model-rule problems in the rest.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from . import schema, spec, yamlio
from .errors import Problem
from .yamlio import LineDict, LineList

SUFFIXES = (".yaml", ".yml")


@dataclass(eq=False)
class Record:
    """One record of a collection as read from a file."""

    collection: spec.Collection
    file: str
    path: list[Any]
    data: LineDict
    parent: Record | None = None
    bad: bool = False

    @property
    def line(self) -> int:
        return self.data.line

    @property
    def key(self) -> str | None:
        value = self.data.get("key")
        return value if isinstance(value, str) else None

    def line_of(self, name: str) -> int:
        return self.data.key_lines.get(name, self.data.line)

    def where(self, *steps: Any) -> str:
        return yamlio.format_path([*self.path, *steps])

    def identity(self) -> tuple | None:
        """Natural identity: ``(key,)``, the identity fields' values, or ``()`` for a singleton."""
        c = self.collection
        if c.key:
            return (self.key,) if self.key else None
        if c.single:
            return ()
        values = tuple(self.data.get(name) for name in c.identity)
        if any(v is None or isinstance(v, (dict, list)) for v in values):
            return None
        return values


@dataclass
class Pack:
    """A pack folder as read: parsed files, records by collection, problems."""

    directory: Path
    files: dict[str, Any] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)
    records: dict[str, list[Record]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    city: LineDict | None = None

    def problem(self, file: str, line: int | None, path: str, message: str) -> None:
        self.problems.append(Problem(file, line, path, message))

    def all_records(self) -> list[Record]:
        return [r for rs in self.records.values() for r in rs]

    def sorted_problems(self) -> list[Problem]:
        order = {spec.PACK_FILE: 0, **{s.file: i + 1 for i, s in enumerate(spec.sections())}}
        unique = dict.fromkeys(self.problems)
        return sorted(unique, key=lambda p: (order.get(p.file, 999), p.file, p.line or 0, p.path, p.message))

    @property
    def city_key(self) -> str | None:
        key = self.city.get("key") if isinstance(self.city, dict) else None
        return key if isinstance(key, str) else None


def read_pack(directory: Path | str) -> Pack:
    """Parse and check a pack folder without touching the database."""
    directory = Path(directory)
    pack = Pack(directory)
    if not directory.is_dir():
        pack.problem(str(directory), None, "", "no such folder")
        return pack
    known = [spec.PACK_FILE, *(s.file for s in spec.sections())]
    present = sorted(p.name for p in directory.iterdir() if p.is_file() and p.suffix in SUFFIXES)
    for name in present:
        if name not in known:
            hint = difflib.get_close_matches(name, known, n=1)
            extra = f"; did you mean {hint[0]}?" if hint else ""
            pack.problem(name, None, "", f"unknown file (a pack holds {', '.join(known)}){extra}")
    if spec.PACK_FILE not in present:
        pack.problem(spec.PACK_FILE, None, "", "missing: every pack starts with pack.yaml (format, format_version, city)")

    root = directory.resolve()
    for name in known:
        if name not in present:
            continue
        if root not in (directory / name).resolve().parents:  # a link to a file outside the pack
            pack.problem(name, None, "", "refused: a link to a file outside the pack folder")
            pack.unreadable.add(name)
            continue
        try:
            text = (directory / name).read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            pack.problem(name, None, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")
            pack.unreadable.add(name)
            continue
        data, yaml_problems = yamlio.load(text)
        for p in yaml_problems:
            pack.problem(name, p.line, "", p.message)
        if data is None and yaml_problems and yaml_problems[0].message.startswith("malformed"):
            pack.unreadable.add(name)
            continue
        pack.files[name] = data

    header = pack.files.get(spec.PACK_FILE)
    if isinstance(header, dict):
        version = header.get("format_version")
        if isinstance(version, int) and not isinstance(version, bool) and version > spec.FORMAT_VERSION:
            pack.problem(
                spec.PACK_FILE, header.key_lines.get("format_version"), "format_version",
                f"this pack uses format version {version}, but this Cityline reads version "
                f"{spec.FORMAT_VERSION} at most: upgrade Cityline to import it",
            )
            return pack  # a newer format: anything else we would say is noise
        pack.city = header.get("city") if isinstance(header.get("city"), LineDict) else None

    _collect_records(pack)
    _check_schema(pack)
    _check_dates(pack)
    _check_values(pack)
    _check_identities(pack)
    _check_references(pack)
    return pack


# --- records -----------------------------------------------------------------------------


def _collect_records(pack: Pack) -> None:
    for c in spec.collections():
        pack.records[c.path] = []
    for section in spec.sections():
        data = pack.files.get(section.file)
        if not isinstance(data, LineDict):
            continue
        for c in section.collections:
            _collect(pack, section.file, c, data, [], None)


def _collect(pack: Pack, file: str, c: spec.Collection, container: LineDict, base: list, parent: Record | None):
    value = container.get(c.name)
    items: list[tuple[list, Any]] = []
    if c.single:
        items = [([*base, c.name], value)]
    elif isinstance(value, LineList):
        items = [([*base, c.name, i], item) for i, item in enumerate(value)]
    for path, item in items:
        if not isinstance(item, LineDict):
            continue
        record = Record(c, file, path, item, parent)
        pack.records[c.path].append(record)
        for child in c.children:
            _collect(pack, file, child, item, path, record)


def _record_at(pack: Pack, file: str, path: list) -> Record | None:
    """The innermost record whose path is a prefix of ``path``."""
    best = None
    for r in pack.all_records():
        if r.file == file and path[: len(r.path)] == r.path and (best is None or len(r.path) > len(best.path)):
            best = r
    return best


# --- schema --------------------------------------------------------------------------------

_TYPE_WORDS = {
    "string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
    "array": "a list", "object": "a mapping (field: value)", "null": "nothing",
}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (true/false)"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    if isinstance(value, str):
        return f"text {value!r}"
    return f"the number {value}"


def _schema_messages(error) -> list[tuple[list, str]]:
    """Turn one jsonschema error into (path, message) pairs in our words."""
    path = list(error.absolute_path)
    v, value, inst = error.validator, error.validator_value, error.instance
    if v == "type":
        wanted = [value] if isinstance(value, str) else list(value)
        words = " or ".join(_TYPE_WORDS.get(w, w) for w in wanted if w != "null")
        hint = " (put it in quotes)" if "string" in wanted and isinstance(inst, (int, float)) else ""
        if "string" in wanted and isinstance(inst, bool):
            hint = " (put it in quotes)"
        return [(path, f"expected {words}, got {_describe(inst)}{hint}")]
    if v == "enum":
        allowed = ", ".join(str(x) for x in value if x is not None)
        hint = difflib.get_close_matches(str(inst), [str(x) for x in value if x is not None], n=1)
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        return [(path, f"unknown value {inst!r}; expected one of {allowed}{extra}")]
    if v == "const":
        return [(path, f"must be {value!r}, got {inst!r}")]
    if v == "required":
        missing = [name for name in value if isinstance(inst, dict) and name not in inst]
        return [(path, f"missing required field {name!r}") for name in missing]
    if v == "additionalProperties":
        known = list(error.schema.get("properties", {}))
        out = []
        for name in inst:
            if name not in known:
                hint = difflib.get_close_matches(str(name), known, n=1)
                extra = f"; did you mean {hint[0]!r}?" if hint else f"; known fields: {', '.join(known)}"
                out.append(([*path, name], f"unknown field {name!r}{extra}"))
        return out
    if v == "pattern":
        if value == schema.DATE_PATTERN:
            return [(path, f"not a date: {inst!r} (write dates as YYYY-MM-DD)")]
        return [(path, f"not a valid key: {inst!r} (use letters, digits, '-' and '_' only)")]
    if v == "minimum":
        return [(path, f"{inst} is too small: the minimum is {value}")]
    if v == "maximum":
        return [(path, f"{inst} is too large: the maximum is {value}")]
    if v == "maxLength":
        return [(path, f"is {len(inst)} characters long; at most {value} are allowed")]
    if v == "minItems":
        return [(path, f"needs at least {value} item{'s' if value != 1 else ''}")]
    if v == "uniqueItems":
        return [(path, "lists the same value twice")]
    return [(path, error.message)]


def _check_schema(pack: Pack) -> None:
    for name, data in pack.files.items():
        validator = schema.validator_for(name)
        for error in validator.iter_errors(data):
            for path, message in _schema_messages(error):
                line = yamlio.line_of(data, path)
                pack.problem(name, line, yamlio.format_path(path), message)
                record = _record_at(pack, name, path)
                if record is not None:
                    record.bad = True


# --- dates, identities, references -----------------------------------------------------------


def parse_date(value: str) -> date:
    return date.fromisoformat(value)


def _check_dates(pack: Pack) -> None:
    city_fields = [(spec.PACK_FILE, ["city"], pack.city, f, None) for f in spec.city_fields() if f.kind == "date"]
    checks = city_fields + [
        (r.file, r.path, r.data, f, r) for r in pack.all_records() for f in r.collection.fields if f.kind == "date"
    ]
    for file, base, data, f, record in checks:
        if not isinstance(data, dict):
            continue
        value = data.get(f.name)
        if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:
                parse_date(value)
            except ValueError as exc:
                pack.problem(file, data.key_lines.get(f.name), yamlio.format_path([*base, f.name]),
                             f"invalid date {value!r}: {exc}")
                if record is not None:
                    record.bad = True


def _check_values(pack: Pack) -> None:
    """Each field's own ``check`` (e.g. a KPI spec's rules), reported at the line of the part at fault."""
    for r in pack.all_records():
        for f in r.collection.fields:
            value = r.data.get(f.name)
            if f.check is None or value is None or (f.kind == "json" and not isinstance(value, dict)):
                continue  # a value of the wrong type is reported by the schema already
            for steps, message in f.check(yamlio.to_json(value)):
                path = [f.name, *steps]
                pack.problem(r.file, yamlio.line_of(r.data, path), r.where(*path), message)
                r.bad = True


def _identity_text(record: Record, identity: tuple) -> str:
    return ", ".join(f"{name} {value!r}" for name, value in zip(record.collection.identity, identity))


def _check_identities(pack: Pack) -> None:
    for c in spec.collections():
        seen: dict[Any, Record] = {}
        for r in pack.records[c.path]:
            identity = r.identity()
            if identity is None:
                continue
            if c.single:
                continue
            scope = identity if c.key else (id(r.parent), identity)
            if scope in seen:
                first = seen[scope]
                where = f"{first.file}:{first.line}" if first.file != r.file else f"line {first.line}"
                if c.key:
                    pack.problem(r.file, r.line_of("key"), r.where("key"),
                                 f"duplicate key {r.key!r}: already used by another {c.model._meta.verbose_name} "
                                 f"({where})")
                else:
                    pack.problem(r.file, r.line, r.where(),
                                 f"duplicate {c.model._meta.verbose_name}: {_identity_text(r, identity)} "
                                 f"is already given ({where})")
                r.bad = True
            else:
                seen[scope] = r


def _keys(pack: Pack) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for c in spec.collections():
        if c.key:
            out[c.path] = {r.key for r in pack.records[c.path] if r.key}
    return out


def _check_references(pack: Pack) -> None:
    keys = _keys(pack)
    for r in pack.all_records():
        for f in r.collection.fields:
            if f.kind not in ("ref", "refs") or f.name not in r.data:
                continue
            target = spec.collection_for_model(f.target)
            if target.section.file in pack.unreadable:
                continue  # that file could not be read; its parse error is reported already
            value = r.data[f.name]
            values = [(None, value)] if f.kind == "ref" else (
                list(enumerate(value)) if isinstance(value, list) else [])
            for index, item in values:
                if not isinstance(item, str):
                    continue
                if item not in keys.get(target.path, set()):
                    steps = [f.name] if index is None else [f.name, index]
                    line = yamlio.line_of(r.data, steps)
                    what = target.model._meta.verbose_name
                    hint = difflib.get_close_matches(item, sorted(keys.get(target.path, ())), n=1)
                    extra = f"; did you mean {hint[0]!r}?" if hint else ""
                    pack.problem(r.file, line, r.where(*steps),
                                 f"unknown {what} {item!r}: no entry of {target.path} in {target.section.file} "
                                 f"has this key{extra}")
                    r.bad = True
