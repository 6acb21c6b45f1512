"""Importing a pack: create the city, or replace its operating model, in one transaction.

Every write goes through :mod:`cityline.core.actions`, so each record is validated
(``full_clean`` and registered rules) and every change lands in the history with
the reason ``"city pack import"``. Records are upserted by key or natural identity
(an unchanged record is not written, so it gets no history entry), then records of
the city that the pack no longer lists are deleted.

Rights (B10): an import by a user (``cityline pack import --user``, or :func:`import_pack` given a
``user`` or a ``principal``) asks the authorisation layer (:func:`cityline.accounts.authz.can`, the
rules of the editor and the API) for every record it would create, change or delete, the city record
included: ``add`` for a new record, ``change`` for one whose fields or links change (as stored and as
it would be; a link cut so that a circle of records can be deleted too), ``delete`` for one the pack
no longer lists, and for the follow-up work of an area (e.g. ``change`` of a distribution whose data
file the pack replaces). A record left as it is needs no right. A refused record is not written; every
refusal is reported (file, line, record, the right it needs) and the whole import is rolled back
(:class:`~.errors.PackRefused`). Only a caller that says ``trusted=True`` (the local operator, the
demo, the platform's own set-up) is asked for nothing.

All or nothing: problems found while reading and problems raised by model rules are
collected together; if there is any, the transaction is rolled back and
:class:`~.errors.PackError` lists them all. A dry run rolls back too, after
reporting what would have changed.
"""

from __future__ import annotations

import functools
import sys
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from cityline.accounts.authz import Refusal, Rights, principal_for_user  # Refusal: callers catch importer.Refusal
from cityline.core import actions
from cityline.core.models import City

from . import spec, yamlio
from .errors import PackError, PackRefused, Problem
from .reader import Pack, Record, parse_date, read_pack

REASON = "city pack import"

_importing: ContextVar[bool] = ContextVar("cityline_pack_import", default=False)


def importing() -> bool:
    """Whether the current write is part of a city pack import.

    A pack states the whole model at once, so a rule that checks a *transition* or another
    record written later in the same import (e.g. a consultation that is responded to only once
    its response, written after it, is published) can relax while importing and leave the
    check of the final state to its section's ``after_import``.
    """
    return _importing.get()


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def changes(self) -> int:
        return self.created + self.updated + self.deleted

    @property
    def total(self) -> int:
        return self.created + self.updated + self.deleted + self.unchanged

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "deleted": self.deleted, "unchanged": self.unchanged}


@dataclass
class ImportReport:
    """What an import changed (or would change, for a dry run), collection by collection."""

    city_key: str = ""
    city_name: str = ""
    dry_run: bool = False
    counts: dict[str, Counts] = field(default_factory=dict)

    def count(self, name: str) -> Counts:
        return self.counts.setdefault(name, Counts())

    @property
    def changes(self) -> int:
        return sum(c.changes for c in self.counts.values())

    @property
    def records(self) -> int:
        return sum(c.total - c.deleted for c in self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "city": self.city_key, "dry_run": self.dry_run, "changes": self.changes,
            "collections": {name: c.as_dict() for name, c in self.counts.items()},
        }

    def as_text(self) -> str:
        rows = [(name, c) for name, c in self.counts.items() if c.total]
        width = max([len(name) for name, _ in rows] + [len("collection")])
        head = f"{'collection':<{width}}  {'created':>7}  {'updated':>7}  {'deleted':>7}  {'unchanged':>9}"
        lines = [head]
        total = Counts()
        for name, c in rows:
            lines.append(f"{name:<{width}}  {c.created:>7}  {c.updated:>7}  {c.deleted:>7}  {c.unchanged:>9}")
            total.created += c.created
            total.updated += c.updated
            total.deleted += c.deleted
            total.unchanged += c.unchanged
        lines.append(f"{'total':<{width}}  {total.created:>7}  {total.updated:>7}  {total.deleted:>7}  "
                     f"{total.unchanged:>9}")
        return "\n".join(lines)


def import_pack(directory: Path | str, user=None, dry_run: bool = False, progress: bool | None = None,
                principal=None, *, trusted: bool = False) -> ImportReport:
    """Import a pack folder; raise :class:`PackError` (with every problem) and write nothing if it is invalid.

    Who imports must be said, one way or the other:

    - ``principal`` (:class:`cityline.accounts.authz.Principal`), or ``user`` alone (their principal is built
      as the CLI and the API build it, at the local accounts' trust level): every record the import would
      create, change or delete, and every data file it would store, must be theirs to write, else
      :class:`PackRefused` names each refusal and nothing is written;
    - ``trusted=True``: the platform's own set-up (the CLI without ``--user``, the demo), asked for nothing;
      ``user`` then only names whom the history records.

    Neither is a ``TypeError``: nobody is trusted by leaving the user out. ``user`` defaults to the
    principal's user (whom the history records).
    ``progress``: show a progress bar per collection on stderr (``None``: only on a terminal).
    """
    if trusted and principal is not None and not principal.operator:
        raise TypeError("import_pack(): a trusted import asks no principal's rights; give trusted=True or a "
                        "principal, not both")
    if principal is None and not trusted:
        if user is None:
            raise TypeError("import_pack(): say who imports: principal=... or user=... (their rights are asked), "
                            "or trusted=True (the platform's own set-up, asked for nothing)")
        principal = principal_for_user(user)
    if principal is not None and user is None:
        user = principal.user
    rights = Rights(principal) if principal is not None and not principal.operator else None
    pack = read_pack(directory)
    with transaction.atomic():
        report, problems = apply(pack, user=user, progress=progress, dry_run=dry_run, rights=rights)
        problems = pack.problems + problems
        if problems or dry_run:
            transaction.set_rollback(True)
    if problems:
        pack.problems = problems
        raise (PackRefused if rights is not None and rights.refused else PackError)(pack.sorted_problems())
    report.dry_run = dry_run
    if not dry_run:
        for section in spec.sections():
            if section.after_commit is not None:
                # immediately in autocommit; after the caller's transaction when there is one
                transaction.on_commit(functools.partial(section.after_commit, report.city_key))
    return report


def validate_pack(directory: Path | str) -> ImportReport:
    """Check a pack completely (reading, schema, references, model rules) and write nothing.

    Model rules need the database: the import is run and rolled back. Returns what
    an import would change; raises :class:`PackError` listing every problem.
    """
    return import_pack(directory, dry_run=True, progress=False, trusted=True)


# --- the work -----------------------------------------------------------------------------


def conflict_message(exc: actions.ConflictError) -> str:
    """A record someone else changed (or deleted) between the import's reading and its writing: the import's
    optimistic lock refuses to overwrite it, and the whole import is rolled back."""
    record = f"{exc.instance._meta.verbose_name} {str(exc.instance)!r}"
    if exc.current is None:
        return _("%(record)s was deleted by someone else while the import ran: nothing was imported; run the "
                 "import again") % {"record": record}
    return _("%(record)s was changed by someone else while the import ran (version %(expected)s when the import "
             "read it, %(current)s now): nothing was imported; run the import again") % {
        "record": record, "expected": exc.expected, "current": exc.current}


def convert(f: spec.Field, raw: Any) -> Any:
    """A YAML value (already schema-checked) as the model field's Python value."""
    if raw is None:
        if f.kind in ("enum_list", "str_list"):
            return []
        if f.kind == "mapping":
            return {}
        return f.model_field.get_default()
    if f.kind == "json":
        return yamlio.to_json(raw)
    if f.kind == "date":
        return parse_date(raw)
    if f.kind == "decimal":
        return raw if isinstance(raw, Decimal) else Decimal(str(raw))
    if f.kind in ("enum_list", "str_list"):
        return list(raw)
    if f.kind == "mapping":  # JSON has no Decimal: whole numbers stay int, others become float
        return {k: (int(v) if v.as_tuple().exponent >= 0 else float(v)) if isinstance(v, Decimal) else v for k, v in raw.items()}
    return raw


class _Run:
    def __init__(self, pack: Pack, city: City, user, report: ImportReport, progress: bool | None,
                 rights: Rights | None = None):
        self.pack = pack
        self.city = city
        self.user = user
        self.rights = rights
        self.report = report
        self.progress = progress
        self.problems: list[Problem] = []
        self.order = spec.import_order()
        # database state before the import: identity → instance, and pk → identity
        self.existing: dict[str, dict[tuple, Any]] = {}
        self.identity_of_pk: dict[str, dict[int, tuple]] = {}
        # what the pack wrote: identity → instance (for keyed collections identity = (key,))
        self.written: dict[str, dict[tuple, Any]] = {}
        self.instance_of: dict[int, Any] = {}  # id(Record) → saved instance
        self.failed: set[int] = set()  # id(Record) of records not written
        self.seen: dict[str, set[tuple]] = {}
        self.deferred: list[tuple[Record, Any, dict[str, Any], dict[str, list]]] = []
        self.touched: set[int] = set()  # id(Record) already counted as created/updated

    # identities -------------------------------------------------------------------------

    def load_existing(self) -> None:
        for c in self.order:
            by_identity: dict[tuple, Any] = {}
            pk_map: dict[int, tuple] = {}
            for obj in c.model._default_manager.filter(city=self.city).exclude(**c.exclude).order_by("pk"):
                identity = self.db_identity(c, obj)
                by_identity[identity] = obj
                pk_map[obj.pk] = identity
            self.existing[c.path] = by_identity
            self.identity_of_pk[c.path] = pk_map
            self.written[c.path] = {}
            self.seen[c.path] = set()

    def db_identity(self, c: spec.Collection, obj) -> tuple:
        if c.key:
            return (obj.key,)
        if c.single:
            own: tuple = ()
        else:
            values = []
            for name in c.identity:
                f = c.field(name)
                if f.kind == "ref":
                    target = spec.collection_for_model(f.target)
                    pk = getattr(obj, f.model_field.attname)
                    values.append(self.identity_of_pk[target.path].get(pk, (None,))[0])
                else:
                    value = getattr(obj, f.model_field.attname)
                    # the reader keeps dates as text: compare a stored date the same way
                    values.append(value.isoformat() if isinstance(value, date) else value)
            own = tuple(values)
        if c.parent_collection is not None and not c.key:
            parent_pk = getattr(obj, c.model._meta.get_field(c.parent).attname)
            return (self.identity_of_pk[c.parent_collection.path].get(parent_pk), own)
        return own

    def pack_identity(self, r: Record) -> tuple | None:
        own = r.identity()
        if own is None:
            return None
        if r.parent is not None and not r.collection.key:
            parent = self.pack_identity(r.parent)
            return None if parent is None else (parent, own)
        return own

    # writing ------------------------------------------------------------------------------

    def run(self) -> None:
        self.load_existing()
        for c in self.order:
            records = self.pack.records.get(c.path, [])
            for r in records:
                identity = self.pack_identity(r)
                if identity is not None:
                    self.seen[c.path].add(identity)
            counts = self.report.count(c.path)
            ordered = self.order_records(c, [r for r in records if not r.bad])
            for r in self.progress_bar(ordered, c.path):
                self.write(r, counts)
        for r, instance, fks, m2m in self.deferred:
            self.write_deferred(r, instance, fks, m2m)
        for c in reversed(self.order):
            self.delete_absent(c)

    def progress_bar(self, items: list, label: str):
        if self.progress is False or not items:
            return items
        from tqdm import tqdm

        return tqdm(items, desc=label, unit="record", file=sys.stderr, leave=False,
                    disable=None if self.progress is None else False)

    def order_records(self, c: spec.Collection, records: list[Record]) -> list[Record]:
        """Records that refer to others of the same collection come after them (cycles keep pack order)."""
        self_refs = [f for f in c.fields if f.kind == "ref" and f.target is c.model]
        if not self_refs or not c.key:
            return records
        by_key = {r.key: r for r in records}
        placed: set[str] = set()
        out: list[Record] = []
        pending = list(records)
        progress = True
        while pending and progress:
            progress = False
            for r in list(pending):
                needs = {r.data.get(f.name) for f in self_refs} - {None, r.key}
                if all(n in placed or n not in by_key for n in needs):
                    out.append(r)
                    placed.add(r.key)
                    pending.remove(r)
                    progress = True
        return out + pending

    def target(self, f: spec.Field, key: str) -> tuple[str, Any]:
        """("ok", instance) | ("later", None) for a same-collection record not written yet | ("failed", None)."""
        c = spec.collection_for_model(f.target)
        instance = self.written[c.path].get((key,))
        if instance is not None:
            return "ok", instance
        pending = [r for r in self.pack.records.get(c.path, []) if r.key == key
                   and not r.bad and id(r) not in self.failed and id(r) not in self.instance_of]
        return ("later", None) if pending else ("failed", None)

    def write(self, r: Record, counts: Counts) -> None:
        c = r.collection
        if r.parent is not None and id(r.parent) not in self.instance_of:
            self.failed.add(id(r))  # its parent could not be written: reported there
            return
        identity = self.pack_identity(r)
        instance = self.existing[c.path].get(identity) or c.model(city=self.city)
        creating = instance.pk is None
        version = getattr(instance, "version", None)
        later_fks: dict[str, str] = {}
        m2m: dict[str, list] = {}
        later_m2m: dict[str, list[str]] = {}
        for f in c.fields:
            raw = r.data.get(f.name)
            if f.kind == "ref":
                if raw is None:
                    setattr(instance, f.name, None)
                    continue
                state, obj = self.target(f, raw)
                if state == "failed":
                    self.failed.add(id(r))
                    return
                if state == "later":
                    later_fks[f.name] = raw
                    setattr(instance, f.name, None)
                else:
                    setattr(instance, f.name, obj)
            elif f.kind == "refs":
                wanted = self.wanted_refs(r, f)
                objs = []
                for key in wanted:
                    state, obj = self.target(f, key)
                    if state == "failed":
                        self.failed.add(id(r))
                        return
                    if state == "later":
                        later_m2m[f.name] = wanted
                        break
                    objs.append(obj)
                else:
                    m2m[f.name] = objs + self.kept_links(instance, f)
            else:
                setattr(instance, f.name, convert(f, raw))
        if r.parent is not None:
            setattr(instance, c.parent, self.instance_of[id(r.parent)])
        if not self.save(r, instance, m2m):
            return
        self.instance_of[id(r)] = instance
        if identity is not None:
            self.written[c.path][identity] = instance
        if creating:
            counts.created += 1
            self.touched.add(id(r))
        elif instance.version != version:
            counts.updated += 1
            self.touched.add(id(r))
        else:
            counts.unchanged += 1
        if later_fks or later_m2m:
            self.deferred.append((r, instance, later_fks, later_m2m))

    def kept_links(self, instance, f: spec.Field) -> list:
        """The links of ``instance`` to records Cityline writes itself (the target collection's ``exclude``, e.g.
        a KPI's measurement dataset): a pack never holds them, so an import keeps them as they are."""
        target = spec.collection_for_model(f.target)
        if instance.pk is None or not target.exclude:
            return []
        return list(getattr(instance, f.name).filter(**target.exclude).order_by("pk"))

    def wanted_refs(self, r: Record, f: spec.Field) -> list[str]:
        keys = [k for k in (r.data.get(f.name) or []) if isinstance(k, str)]
        if f.symmetrical and r.key:
            # a symmetrical relation (related glossary terms) holds whichever side lists it
            for other in self.pack.records.get(r.collection.path, []):
                if other is not r and r.key in (other.data.get(f.name) or []) and other.key and not other.bad:
                    keys.append(other.key)
        return sorted(set(keys))

    def write_deferred(self, r: Record, instance, fks: dict[str, str], m2m_keys: dict[str, list[str]]) -> None:
        version = instance.version
        for name, key in fks.items():
            state, obj = self.target(r.collection.field(name), key)
            if state != "ok":
                return
            setattr(instance, name, obj)
        m2m = {}
        for name, keys in m2m_keys.items():
            objs = []
            for key in keys:
                state, obj = self.target(r.collection.field(name), key)
                if state != "ok":
                    return
                objs.append(obj)
            m2m[name] = objs + self.kept_links(instance, r.collection.field(name))
        if not self.save(r, instance, m2m):
            return
        if instance.version != version and id(r) not in self.touched:
            counts = self.report.count(r.collection.path)
            counts.unchanged -= 1
            counts.updated += 1
            self.touched.add(id(r))

    def save(self, r: Record, instance, m2m: dict[str, list], make_way: bool = True) -> bool:
        try:
            actions.save(instance, user=self.user, m2m=m2m, reason=REASON,
                         authorise=self.rights.authorise if self.rights is not None else None)
        except Refusal as exc:
            self.failed.add(id(r))
            self.problems.append(Problem(r.file, r.line, r.where(), str(exc)))
            return False
        except actions.ConflictError as exc:
            self.failed.add(id(r))
            self.problems.append(Problem(r.file, r.line, r.where(), conflict_message(exc)))
            return False
        except ValidationError as exc:
            if make_way and self.make_way(r.collection, instance):
                return self.save(r, instance, m2m, make_way=False)
            self.failed.add(id(r))
            self.problems.extend(model_problems(r, exc))
            return False
        except IntegrityError as exc:
            self.failed.add(id(r))
            self.problems.append(Problem(r.file, r.line, r.where(), f"refused by the database: {exc}".strip()))
            return False
        return True

    def make_way(self, c: spec.Collection, instance) -> bool:
        """Delete now the records of ``c`` the pack no longer lists that hold a unique value ``instance`` takes.

        A pack states the final state: a record whose key is renamed (one realisation plan per benefit, the
        old plan's key changed) replaces the old record, which would only be deleted after every record is
        written, so the new one would be refused as a duplicate of it. Each such deletion is asked for as in
        :meth:`delete_absent` (which then finds the record gone and counts it); returns whether any was deleted.
        """
        doomed = {pk for pk, identity in self.identity_of_pk[c.path].items()
                  if identity not in self.seen[c.path] and pk != instance.pk}
        if not doomed:
            return False
        model = c.model
        checks, _dates = instance._get_unique_checks(include_meta_constraints=True)
        lookups = [(fields, None) for _model, fields in checks]
        lookups += [(con.fields, con.condition) for con in model._meta.constraints
                    if isinstance(con, models.UniqueConstraint) and con.fields and con.condition is not None]
        blockers: dict[int, Any] = {}
        for fields, condition in lookups:
            values = {}
            for name in fields:
                f = model._meta.get_field(name)
                values[f.attname] = getattr(instance, f.attname)
            if any(v is None for v in values.values()):
                continue  # nothing is unique with an empty value
            qs = model._default_manager.filter(pk__in=doomed, **values)
            if condition is not None:
                qs = qs.filter(condition)
            blockers.update((obj.pk, obj) for obj in qs)
        if not blockers:
            return False
        for obj in blockers.values():
            if self.rights is not None and self.rights.refusal("delete", obj, note=", which the pack no longer lists"):
                return False  # refused: reported by delete_absent
        try:
            with transaction.atomic():
                for obj in blockers.values():
                    actions.delete(obj, user=self.user, reason=REASON)
        except ValidationError:
            return False  # cannot be deleted: reported by delete_absent
        return True

    def delete_absent(self, c: spec.Collection) -> None:
        counts = self.report.count(c.path)
        doomed = [obj for identity, obj in self.existing[c.path].items() if identity not in self.seen[c.path]]
        if self.rights is not None:  # every deletion is asked for before any of the collection is made
            refusals = {id(obj): self.rights.refusal("delete", obj, note=", which the pack no longer lists")
                        for obj in doomed}
            for obj in doomed:
                if refusals[id(obj)]:
                    self.problems.append(Problem(c.section.file, None, c.path, refusals[id(obj)]))
            doomed = [obj for obj in doomed if not refusals[id(obj)]]
        ordered = self.deletion_order(c, doomed)
        if ordered is None:
            return  # a circle could not be cut: refused, reported there
        for instance in ordered:
            if not c.model._default_manager.filter(pk=instance.pk).exists():
                counts.deleted += 1  # removed with its parent
                continue
            try:
                actions.delete(instance, user=self.user, reason=REASON)
            except ValidationError as exc:
                text = "; ".join(exc.messages)
                self.problems.append(Problem(
                    c.section.file, None, c.path,
                    f"cannot delete {c.model._meta.verbose_name} {str(instance)!r}, which the pack no longer "
                    f"lists: {text}",
                ))
                continue
            counts.deleted += 1

    def deletion_order(self, c: spec.Collection, doomed: list) -> list | None:
        """Records referring to others of the same collection go first; a circle is cut by clearing the link.

        Clearing the link is a change of that record, asked for like any other: refused, the problem is
        reported and None returned (nothing of the collection is deleted).
        """
        self_refs = [f for f in c.fields if f.kind == "ref" and f.target is c.model]
        if not self_refs:
            return doomed
        out = []
        pending = list(doomed)
        while pending:
            pks = {o.pk for o in pending}
            free = [o for o in pending
                    if not any(getattr(other, f.model_field.attname) == o.pk
                               for other in pending if other is not o for f in self_refs)]
            if not free:  # a circle: unlink one record so the others can go
                first = pending[0]
                for f in self_refs:
                    if getattr(first, f.model_field.attname) in pks:
                        setattr(first, f.name, None)
                authorise = None
                if self.rights is not None:
                    authorise = functools.partial(self.rights.authorise,
                                                  note=", which the pack no longer lists, to unlink it before it is "
                                                       "deleted")
                try:
                    actions.save(first, user=self.user, reason=REASON, authorise=authorise)
                except Refusal as exc:
                    self.problems.append(Problem(c.section.file, None, c.path, str(exc)))
                    return None
                except actions.ConflictError as exc:
                    self.problems.append(Problem(c.section.file, None, c.path, conflict_message(exc)))
                    return None
                except ValidationError:
                    pass  # its deletion will report the problem
                free = [first]
            for o in free:
                out.append(o)
                pending.remove(o)
        return out


def model_problems(r: Record, exc: ValidationError) -> list[Problem]:
    """Map a model ValidationError back to the record's lines in the file."""
    out = []
    names = {f.name for f in r.collection.fields}
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            text = "; ".join(messages)
            if name in names or name in r.data:
                out.append(Problem(r.file, r.line_of(name), r.where(name), text))
            elif name in (NON_FIELD_ERRORS, "city", r.collection.parent):
                out.append(Problem(r.file, r.line, r.where(), text))
            else:
                out.append(Problem(r.file, r.line, r.where(name), text))
    else:
        out.append(Problem(r.file, r.line, r.where(), "; ".join(exc.messages)))
    return out


def apply(pack: Pack, user=None, progress: bool | None = None, dry_run: bool = False,
          rights: Rights | None = None) -> tuple[ImportReport, list[Problem]]:
    """Write the pack into the current transaction; return the report and model-rule problems.

    Records the reader marked bad are skipped (their problems are already known); with ``rights``,
    records the principal may not write are not written and reported.
    The caller owns the transaction and rolls it back when there are problems.
    """
    report = ImportReport()
    header_ok = not any(p.file == spec.PACK_FILE for p in pack.problems)
    if not header_ok or pack.unreadable or pack.city is None or pack.city_key is None:
        # without the city, or with a file we could not parse, comparing with the database would only add noise
        return report, []
    values = {f.name: convert(f, pack.city.get(f.name)) for f in spec.city_fields()}
    report.city_key = values["key"]
    report.city_name = values["name"]
    problems: list[Problem] = []
    city = City.objects.filter(key=values["key"]).first()
    counts = report.count("city")
    city_record = Record(spec.Collection("city", City, fields=[], single=True), spec.PACK_FILE, ["city"], pack.city)
    city_record.collection.fields = spec.city_fields()
    authorise = rights.authorise if rights is not None else None
    try:
        if city is None:
            city = actions.create(City, user=user, reason=REASON, authorise=authorise, **values)
            counts.created += 1
        else:
            version = city.version
            actions.update(city, user=user, reason=REASON, authorise=authorise, **values)
            if city.version != version:
                counts.updated += 1
            else:
                counts.unchanged += 1
    except Refusal as exc:
        problems.append(Problem(spec.PACK_FILE, pack.city.line, "city", str(exc)))
        if city is None:
            return report, problems
        city.refresh_from_db()  # left as it is; the records are still checked, so every refusal is reported
    except ValidationError as exc:
        return report, model_problems(city_record, exc)
    except actions.ConflictError as exc:
        return report, [*problems, Problem(spec.PACK_FILE, pack.city.line, "city", conflict_message(exc))]
    run = _Run(pack, city, user, report, progress, rights)
    token = _importing.set(True)
    try:
        run.run()
    finally:
        _importing.reset(token)
    problems.extend(run.problems)
    if not problems and not pack.problems:
        # Areas' follow-up work (e.g. ingesting data files) only on records that were all accepted; it asks
        # ``rights`` (None for a trusted import) before it writes anything.
        for section in spec.sections():
            if section.after_import is not None:
                for found in section.after_import(city, pack.directory, user=user, dry_run=dry_run, rights=rights):
                    file, line, where, message = found if len(found) == 4 else (found[0], None, *found[1:])
                    problems.append(Problem(file, line, where, message))
    return report, problems
