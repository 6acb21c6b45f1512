"""The declarative description of a city pack: sections, collections, fields.

A *section* is one YAML file of the pack (``core.yaml``, ``strategy.yaml`` ...).
It holds *collections*: a YAML list of records (or one mapping, for a singleton
such as the vision), each record being one model instance. A collection lists the
model fields it carries; the field's *kind* (text, number, date, choice, reference
...) is read from the Django model, so a spec is mostly a list of field names.

Identity (how a record in the file is matched with a row in the database):

- a keyed collection (``key=True``, the model is a ``KeyedRecord``) is matched by
  ``key``, unique in the city; other records refer to it by that key;
- a keyless collection names its natural identity (``identity=[...]``), e.g. an
  accountable lead is ``(person, kind)``; a nested keyless collection is also scoped
  by its parent record (a principle's agreements are matched by organisation within
  that principle);
- a singleton (``single=True``) is one per city.

Areas register their section from ``<app>/pack.py``; the registry finds those
modules with Django's ``autodiscover_modules("pack")`` the first time it is used,
so adding an area to the format is configuration, not engine code
(see ``docs/city-packs.md``).

This module defines *what* a pack contains; :mod:`.reader` parses and checks
files, :mod:`.importer` and :mod:`.exporter` move data, :mod:`.schema` turns the
specs into JSON Schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

FORMAT = "cityline-pack"
FORMAT_VERSION = 1
PACK_FILE = "pack.yaml"
KEY_PATTERN = r"^[-a-zA-Z0-9_]+$"

#: Field kinds. Most are read from the model field; ``enum_list`` (a JSON list of
#: choices), ``str_list`` (a JSON list of texts, in order), ``mapping`` (a JSON object of names to
#: numbers, strings or booleans) and ``json`` (a JSON object nested to any depth, e.g. a KPI
#: computation spec; its keys are written sorted) must be declared.
KINDS = ("str", "text", "int", "decimal", "bool", "date", "enum", "enum_list", "str_list", "ref", "refs", "mapping",
         "json")


@dataclass
class Field:
    """One field of a record, named as the model field.

    Anything left ``None`` is derived from the model field in :meth:`bind`.
    """

    name: str
    kind: str | None = None
    required: bool | None = None
    choices: list[tuple[Any, str]] | None = None
    description: str | None = None
    #: ``check(value) -> [(steps, message), ...]``: what a schema cannot say about the value (read from the
    #: file, as plain JSON data), e.g. a KPI spec's own rules; ``steps`` locate the problem inside the value
    #: (``["value", "function"]``) so it is reported at its own line. Runs while reading, before the database.
    check: Any = None
    # filled in by bind():
    model_field: Any = None
    target: type[models.Model] | None = None  # for ref / refs
    minimum: Any = None
    maximum: Any = None
    max_length: int | None = None
    symmetrical: bool = False

    def bind(self, model: type[models.Model]) -> None:
        mf = model._meta.get_field(self.name)
        self.model_field = mf
        if self.kind is None:
            self.kind = _kind_of(mf)
        if self.kind not in KINDS:
            raise ValueError(f"{model.__name__}.{self.name}: unknown field kind {self.kind!r}")
        if self.kind in ("ref", "refs"):
            self.target = mf.related_model
            if self.kind == "refs":
                self.symmetrical = bool(getattr(mf.remote_field, "symmetrical", False)) and mf.related_model is model
        if self.kind in ("enum", "enum_list") and self.choices is None:
            self.choices = list(mf.choices or [])
        if self.kind in ("enum", "enum_list") and not self.choices:
            raise ValueError(f"{model.__name__}.{self.name}: an enum field needs choices")
        if self.required is None:
            self.required = _required(mf)
        if self.kind == "str" and getattr(mf, "max_length", None):
            self.max_length = mf.max_length
        if self.kind in ("int", "decimal"):
            # only the validators declared on the field, not the database's integer range
            # (which differs between SQLite and PostgreSQL and would make the schema backend-specific)
            for v in [*mf.default_validators, *mf._validators]:
                if isinstance(v, MinValueValidator):
                    self.minimum = v.limit_value
                elif isinstance(v, MaxValueValidator):
                    self.maximum = v.limit_value
            if self.minimum is None and isinstance(mf, (models.PositiveIntegerField, models.PositiveSmallIntegerField,
                                                        models.PositiveBigIntegerField)):
                self.minimum = 0
        if self.description is None:
            label = str(mf.verbose_name)
            help_text = str(getattr(mf, "help_text", "") or "")
            self.description = f"{label}. {help_text}".strip() if help_text else label

    @property
    def choice_values(self) -> list[Any]:
        return [value for value, _label in (self.choices or [])]


def _kind_of(mf) -> str:
    if isinstance(mf, models.ManyToManyField):
        return "refs"
    if isinstance(mf, models.ForeignKey):
        return "ref"
    if getattr(mf, "choices", None):
        return "enum"
    if isinstance(mf, models.BooleanField):
        return "bool"
    if isinstance(mf, models.DateField) and not isinstance(mf, models.DateTimeField):
        return "date"
    if isinstance(mf, models.DecimalField):
        return "decimal"
    if isinstance(mf, models.IntegerField):
        return "int"
    if isinstance(mf, models.TextField):
        return "text"
    if isinstance(mf, models.CharField):  # includes SlugField, URLField, EmailField
        return "str"
    raise ValueError(f"cannot derive a pack field kind for {mf!r}; declare kind=...")


def _required(mf) -> bool:
    if isinstance(mf, models.ManyToManyField):
        return False
    return not (mf.blank or mf.null or mf.has_default())


@dataclass
class Collection:
    """Records of one model inside a section (or nested under a parent record).

    ``fields`` are field names or :class:`Field` objects, in the order they are
    written. ``parent`` names the foreign key to the parent record for nested
    collections. ``order_by`` (field names) overrides the default export order
    (by key, or by identity).
    """

    name: str
    model: type[models.Model]
    fields: list[str | Field]
    key: bool = False
    identity: list[str] = field(default_factory=list)
    single: bool = False
    parent: str | None = None
    children: list[Collection] = field(default_factory=list)
    description: str = ""
    #: Lookups of records Cityline makes itself (e.g. KPI measurement datasets): never exported, and an
    #: import neither matches nor deletes them.
    exclude: dict[str, Any] = field(default_factory=dict)
    # filled in by bind():
    path: str = ""
    section: Section | None = None
    parent_collection: Collection | None = None

    def bind(self, section: Section, parent: Collection | None = None) -> None:
        self.section = section
        self.parent_collection = parent
        self.path = f"{parent.path}.{self.name}" if parent else self.name
        bound: list[Field] = []
        for f in self.fields:
            f = Field(f) if isinstance(f, str) else f
            f.bind(self.model)
            bound.append(f)
        self.fields = bound
        if self.key:
            key_field = Field("key", kind="str", required=True)
            key_field.bind(self.model)
            self.fields = [key_field, *bound]
        names = {f.name for f in self.fields}
        if not self.key and not self.single and not self.identity:
            raise ValueError(f"collection {self.path}: give key=True, single=True or identity=[...]")
        for name in self.identity:
            if name not in names:
                raise ValueError(f"collection {self.path}: identity field {name!r} is not among its fields")
            if not self.field(name).required:
                raise ValueError(f"collection {self.path}: identity field {name!r} must be required")
        if parent is not None and not self.parent:
            raise ValueError(f"nested collection {self.path} must name its parent foreign key")
        for child in self.children:
            child.bind(section, self)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Section:
    """One YAML file of a pack."""

    file: str
    title: str
    collections: list[Collection]
    order: int = 100
    description: str = ""
    #: ``after_import(city, directory, user=..., dry_run=..., rights=...) -> list[(file, where, message)]``: work
    #: an area does once its records are written, e.g. ingesting the data files a pack names (opendata); a
    #: problem may name its line too, ``(file, line, where, message)``.
    #: ``rights`` (:class:`cityline.accounts.authz.Rights`, None for a trusted import): ask ``rights.refusal(action, instance)``
    #: before each write and report any refusal as a problem, writing nothing.
    after_import: Any = None
    #: ``after_commit(city_key)``: work that must see the committed import (run once the import's transaction
    #: commits; never for a dry run), e.g. publishing KPI measurements as open data.
    after_commit: Any = None
    #: ``after_export(city, directory) -> list[Path]``: files an area writes beside its YAML on export,
    #: e.g. the data files its records name by path (opendata), so an exported pack imports again.
    after_export: Any = None

    def bind(self) -> None:
        for c in self.collections:
            c.bind(self)

    def walk(self):
        for c in self.collections:
            yield from c.walk()


# --- the registry ---------------------------------------------------------------------

_sections: dict[str, Section] = {}
_discovered = False


def register(section: Section) -> Section:
    """Add a section to the pack format (call from ``<app>/pack.py``)."""
    if section.file == PACK_FILE or section.file in _sections:
        raise ValueError(f"a section for {section.file} is already registered")
    section.bind()
    known_models = {c.model for s in _sections.values() for c in s.walk()}
    known_names = {c.name for s in _sections.values() for c in s.collections}
    for c in section.walk():
        if c.model in known_models:
            raise ValueError(f"{c.model.__name__} already belongs to another collection")
        known_models.add(c.model)
    for c in section.collections:
        if c.name in known_names or c.name in ("format", "format_version", "city"):
            raise ValueError(f"top-level collection name {c.name!r} is already used")
        known_names.add(c.name)
    _sections[section.file] = section
    return section


def unregister(file: str) -> None:
    """Remove a section (tests only)."""
    _sections.pop(file, None)


def _discover() -> None:
    global _discovered
    if not _discovered:
        from django.utils.module_loading import autodiscover_modules

        _discovered = True
        autodiscover_modules("pack")


def sections() -> list[Section]:
    """Every registered section, in file order."""
    _discover()
    return sorted(_sections.values(), key=lambda s: (s.order, s.file))


def collections() -> list[Collection]:
    """Every collection (nested ones included), in declaration order."""
    return [c for s in sections() for c in s.walk()]


def collection_for_model(model: type[models.Model]) -> Collection:
    for c in collections():
        if c.model is model:
            return c
    raise LookupError(f"no pack collection holds {model._meta.label}; register it in a pack.py")


def import_order() -> list[Collection]:
    """Collections ordered so that every record's references are written before it.

    Parents come before their children and referenced collections before those
    that refer to them (self-references are ordered record by record by the
    importer). Ties keep the declaration order.
    """
    cols = collections()
    deps: dict[str, set[str]] = {}
    for c in cols:
        d = set()
        if c.parent_collection is not None:
            d.add(c.parent_collection.path)
        for f in c.fields:
            if f.kind in ("ref", "refs") and f.target is not c.model:
                d.add(collection_for_model(f.target).path)
        deps[c.path] = d
    ordered: list[Collection] = []
    done: set[str] = set()
    pending = list(cols)
    while pending:
        for c in pending:
            if deps[c.path] <= done:
                ordered.append(c)
                done.add(c.path)
                pending.remove(c)
                break
        else:
            names = ", ".join(c.path for c in pending)
            raise ValueError(f"pack collections refer to each other in a circle: {names}")
    return ordered


# --- pack.yaml: the header and the city ------------------------------------------------


def city_fields() -> list[Field]:
    """Fields of the ``city`` mapping in pack.yaml."""
    from cityline.core.models import City

    global _city_fields
    if _city_fields is None:
        out = []
        for name in ("key", "name", "country", "population", "description", "website"):
            f = Field(name, required=True if name == "key" else None)
            f.bind(City)
            out.append(f)
        _city_fields = out
    return _city_fields


_city_fields: list[Field] | None = None
