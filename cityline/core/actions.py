"""The one way to write operating-model data.

The editor, the API, the CLI and the city-pack importer all call these functions;
views never call ``save()``. Each write

1. validates the record (``full_clean``: field types, choices, model rules, plus any
   rule registered with :func:`register_rule` or :func:`register_m2m_rule`),
2. runs in a transaction,
3. checks the version the caller last saw (optimistic locking: a concurrent edit
   raises :class:`ConflictError` instead of silently overwriting),
4. records history (who, when, before/after) through django-simple-history, and
5. announces the change on commit (:data:`record_changed`) so later areas can react.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.db.models.signals import pre_delete
from django.dispatch import Signal

#: Sent after the transaction commits: sender=model class, instance, kind ("create", "update", "delete"),
#: reason (the change reason given to the write, e.g. "city pack import").
record_changed = Signal()

Rule = Callable[[models.Model, dict[str, Any] | None], None]
_rules: dict[type[models.Model], list[Rule]] = defaultdict(list)
M2mRule = Callable[[models.Model, dict[str, list]], None]
_m2m_rules: dict[type[models.Model], list[M2mRule]] = defaultdict(list)
_delete_rules: dict[type[models.Model], list[Callable]] = defaultdict(list)
#: ``authorise(instance, old_values, changed_names)``: see :func:`save`.
Authorise = Callable[[models.Model, dict[str, Any] | None, list[str]], None]


class ConflictError(Exception):
    """The record changed since the caller read it."""

    def __init__(self, instance: models.Model, expected: int | None, current: int | None):
        self.instance = instance
        self.expected = expected
        self.current = current
        label = f"{instance._meta.verbose_name} {instance}"
        if current is None:
            msg = f"{label} was deleted by someone else"
        else:
            msg = f"{label} was changed by someone else (you edited version {expected}, it is now {current}); reload and try again"
        super().__init__(msg)


def register_rule(model: type[models.Model]) -> Callable[[Rule], Rule]:
    """Register an extra validation rule ``rule(instance, old_values)`` for a model.

    ``old_values`` is ``None`` on create, else the stored field values before the change.
    Raise ``ValidationError`` to refuse the write.
    """

    def decorator(rule: Rule) -> Rule:
        _rules[model].append(rule)
        return rule

    return decorator


def register_delete_rule(model: type[models.Model]) -> Callable[[Callable], Callable]:
    """Register ``refusal(instance) -> str | None``: why ``instance`` may not be deleted on its own, or None.

    It runs on every face alike, as a ``pre_delete`` receiver of ``model``: a delete of the record itself, or of a
    query of its model, is refused with ``ValidationError(refusal)``; a delete that cascades from another record
    (a whole city) is not asked. The editor's delete page asks it too (:func:`delete_refusal`), so it says why at
    once instead of offering a confirmation the refusal would follow.
    """

    def decorator(refusal: Callable) -> Callable:
        _delete_rules[model].append(refusal)

        def receiver(sender, instance, origin=None, **kwargs):
            own = (origin.model is model if isinstance(origin, models.QuerySet)
                   else origin is instance or (isinstance(origin, model) and origin.pk == instance.pk))
            reason = own and refusal(instance)
            if reason:
                raise ValidationError(reason)

        pre_delete.connect(receiver, sender=model, weak=False,
                           dispatch_uid=f"cityline_delete_rule_{model._meta.label}_{refusal.__name__}")
        return refusal

    return decorator


def delete_refusal(instance: models.Model) -> str | None:
    """The first reason a rule of :func:`register_delete_rule` gives not to delete ``instance``, or None."""
    for refusal in _delete_rules.get(type(instance), ()):
        reason = refusal(instance)
        if reason:
            return reason
    return None


def register_m2m_rule(model: type[models.Model]) -> Callable[[M2mRule], M2mRule]:
    """Register a validation rule ``rule(instance, sets)`` over the many-to-many sets a write gives.

    ``sets`` maps each many-to-many field the write sets to its new related objects; a field left
    out keeps its stored set (none on create: ``instance._state.adding`` is still true). Runs after
    the rules of :func:`register_rule`; raise ``ValidationError`` to refuse the write.
    """

    def decorator(rule: M2mRule) -> M2mRule:
        _m2m_rules[model].append(rule)
        return rule

    return decorator


def _check_m2m(instance: models.Model, resolved: dict[str, list]) -> None:
    """Run the rules of :func:`register_m2m_rule` on the new many-to-many sets."""
    for rule in _m2m_rules.get(type(instance), ()):
        rule(instance, resolved)


def _stored_values(instance: models.Model) -> dict[str, Any] | None:
    if instance.pk is None:
        return None
    row = type(instance)._default_manager.filter(pk=instance.pk).values().first()
    return row


def _m2m_diff(instance: models.Model,
              m2m: dict[str, Iterable[models.Model]]) -> tuple[dict[str, list], dict[str, str]]:
    """Resolve the new related sets and describe what changes, by field name."""
    resolved: dict[str, list] = {}
    notes: dict[str, str] = {}
    for name, targets in m2m.items():
        targets = list(targets)
        resolved[name] = targets
        old = set() if instance.pk is None else {str(o) for o in getattr(instance, name).all()}
        new = {str(o) for o in targets}
        if old != new:
            notes[name] = f"{name}: [{', '.join(sorted(old))}] → [{', '.join(sorted(new))}]"
    return resolved, notes


def _check_m2m_cities(instance: models.Model, resolved: dict[str, list]) -> None:
    """Many-to-many targets stay inside the record's city, like its foreign keys (``CityRecord.clean``).

    Every face sets many-to-many links through :func:`save`, so the editor, the API and the pack
    importer all refuse a link to another city's record; the error names the field and the target.
    A target given as a loaded object is judged by its city as loaded (no query, as for foreign keys);
    one given as a primary key is looked up. A related model without a city is not checked.
    """
    from django.utils.translation import gettext as _

    city_id = getattr(instance, "city_id", None)
    if city_id is None:
        return
    errors: dict[str, list[str]] = {}
    for name, targets in resolved.items():
        related = instance._meta.get_field(name).related_model
        if not targets or "city_id" not in {f.attname for f in related._meta.concrete_fields}:
            continue
        loaded = [t for t in targets if isinstance(t, models.Model) and "city_id" in t.__dict__]
        foreign = [t for t in loaded if t.city_id is not None and t.city_id != city_id]
        seen = {id(t) for t in loaded}
        others = [t.pk if isinstance(t, models.Model) else t for t in targets if id(t) not in seen]
        if others:
            foreign += related._base_manager.filter(pk__in=others, city_id__isnull=False).exclude(
                city_id=city_id).select_related("city")  # the message names each one's city
        for target in foreign:
            errors.setdefault(name, []).append(
                _("“%(target)s” belongs to another city (%(other)s): link records of the same city only")
                % {"target": target, "other": target.city}
            )
    if errors:
        raise ValidationError(errors)


def save(
    instance: models.Model,
    *,
    user=None,
    expected_version: int | None = None,
    m2m: dict[str, Iterable[models.Model]] | None = None,
    reason: str | None = None,
    authorise: Authorise | None = None,
) -> models.Model:
    """Validate and store ``instance`` (new or changed), with its many-to-many sets.

    ``expected_version`` is the version the caller read; when given and the stored
    record has moved on, :class:`ConflictError` is raised and nothing is written.
    ``authorise(instance, old, changed)`` is asked once the write is valid and known to change
    something (never for a no-op write), before anything is written: ``old`` is the stored field
    values (None on create), ``changed`` the names of the fields and many-to-many sets that change.
    It raises (e.g. ``PermissionDenied``) to refuse the write; the city pack importer asks the
    authorisation layer this way, record by record.
    """
    model = type(instance)
    creating = instance._state.adding
    with transaction.atomic():
        old = None if creating else _stored_values(instance)
        validate(instance)
        for rule in _rules.get(model, ()):
            rule(instance, old)
        resolved, notes = _m2m_diff(instance, m2m or {})
        _check_m2m_cities(instance, resolved)
        _check_m2m(instance, resolved)
        changed = [*changed_fields(instance, old), *notes] if old is not None else []
        if old is not None and not changed:
            return instance  # a no-op write leaves no trace
        if authorise is not None:
            authorise(instance, old, changed)
        if not creating and hasattr(instance, "version"):
            expected = instance.version if expected_version is None else expected_version
            bumped = model._default_manager.filter(pk=instance.pk, version=expected).update(
                version=models.F("version") + 1
            )
            if not bumped:
                current = model._default_manager.filter(pk=instance.pk).values_list("version", flat=True).first()
                raise ConflictError(instance, expected, current)
            instance.version = expected + 1
        _annotate(instance, user, reason, list(notes.values()))
        instance.save()
        for name, targets in resolved.items():
            getattr(instance, name).set(targets)
        kind = "create" if creating else "update"
        transaction.on_commit(lambda: record_changed.send(sender=model, instance=instance, kind=kind, reason=reason))
    return instance


def _loaded_references(instance: models.Model) -> set[str]:
    """Foreign keys of ``instance`` that point at an object this process loaded or saved.

    Django's field validation looks each foreign key up in the database to say "does
    not exist" nicely. When the related object itself is attached to the instance and
    came from the database (the editor's form fields, the pack importer and the API
    all attach one), that lookup only repeats what the caller just did; the database's
    own foreign-key constraint still refuses a row deleted in the meantime.
    """
    trusted = set()
    for field in instance._meta.concrete_fields:
        if not field.many_to_one or not field.is_cached(instance):
            continue
        related = field.get_cached_value(instance)
        if (related is not None and related.pk is not None and not related._state.adding
                and getattr(related, field.target_field.attname) == getattr(instance, field.attname)):
            trusted.add(field.name)
    return trusted


def validate(instance: models.Model) -> None:
    """``full_clean`` without re-reading foreign keys already loaded (see :func:`_loaded_references`).

    The steps and the error dictionary are Django's (``Model.full_clean``); only the
    existence check of loaded references is left out — uniqueness and constraints still
    cover every field.
    """
    errors: dict[str, list] = {}
    try:
        instance.clean_fields(exclude=_loaded_references(instance))
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    try:
        instance.clean()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    failed = {name for name in errors if name != "__all__"}
    for check in (instance.validate_unique, instance.validate_constraints):
        try:
            check(exclude=failed)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def changed_fields(instance: models.Model, old: dict[str, Any]) -> list[str]:
    """Names of the fields whose value differs from the stored values ``old`` (bookkeeping left out)."""
    return [field.name for field in instance._meta.concrete_fields
            if field.attname not in ("version", "updated_at")
            and field.get_prep_value(getattr(instance, field.attname)) != field.get_prep_value(old.get(field.attname))]


def _annotate(instance: models.Model, user, reason: str | None, notes: list[str]) -> None:
    if user is not None and getattr(user, "is_authenticated", False):
        instance._history_user = user
    text = "; ".join([t for t in [reason, *notes] if t])
    if text:
        instance._change_reason = text[:2000]


def create(model: type[models.Model], *, user=None, m2m=None, reason: str | None = None,
           authorise: Authorise | None = None, **fields) -> models.Model:
    """Create a record from field values (foreign keys as instances)."""
    return save(model(**fields), user=user, m2m=m2m, reason=reason, authorise=authorise)


def update(
    instance: models.Model,
    *,
    user=None,
    expected_version: int | None = None,
    m2m=None,
    reason: str | None = None,
    authorise: Authorise | None = None,
    **fields,
) -> models.Model:
    """Change some fields of a record; ``expected_version`` guards against concurrent edits."""
    unknown = [name for name in fields if name not in {f.name for f in instance._meta.get_fields()}]
    if unknown:
        raise ValidationError({name: "unknown field" for name in unknown})
    for name, value in fields.items():
        setattr(instance, name, value)
    return save(instance, user=user, expected_version=expected_version, m2m=m2m, reason=reason,
                authorise=authorise)


def delete(instance: models.Model, *, user=None, expected_version: int | None = None, reason: str | None = None) -> None:
    """Delete a record (history keeps its last state and who deleted it)."""
    model = type(instance)
    with transaction.atomic():
        if expected_version is not None and hasattr(instance, "version"):
            current = model._default_manager.filter(pk=instance.pk).values_list("version", flat=True).first()
            if current != expected_version:
                raise ConflictError(instance, expected_version, current)
        _annotate(instance, user, reason, [])
        try:
            instance.delete()
        except (ProtectedError, RestrictedError) as exc:
            blocking = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
            used_by = sorted({f"{o._meta.verbose_name} {o}" for o in blocking})
            raise ValidationError(
                f"{instance._meta.verbose_name} {instance} is still used by: {', '.join(used_by[:10])}"
            ) from exc
        transaction.on_commit(lambda: record_changed.send(sender=model, instance=instance, kind="delete",
                                                          reason=reason))
