"""What SQLite and PostgreSQL must agree on: the values a field accepts and what a text lookup finds.

Cityline runs on SQLite (the embedded default, ``make demo``) and on PostgreSQL (production), and a
city moves between them with city packs. So whatever one database accepts the other must accept,
and a search must find the same records on both. :func:`install` (called once, from the core app's
``ready()``) settles the differences below in one place for every model, including those of apps
added later.

What a field accepts (:func:`portable_validators`, wired by :func:`add_validators`):

- **Integer ranges.** Django gives an integer field the range of the *connection*
  (``connection.ops.integer_field_range``): 64 bits for every integer field on SQLite, but 16 bits for
  PostgreSQL's ``smallint`` and 32 for its ``integer``. A migration step's order of 99999999 was
  stored on SQLite and refused on PostgreSQL, so a pack exported from the one did not import into the
  other. Every integer field gets PostgreSQL's range for its type; where a field declares a bound at
  least as tight (``progress`` from 0 to 100) that one is kept and none is added (Django then adds no
  connection range either: it adds one only when no validator is as strict).
- **Decimal precision.** SQLite keeps a decimal with a fraction as a float, 15 significant digits (Django's
  SQLite backend reads it back to that precision): a KPI target of 123456789012.3456, which its field
  (16 digits, 4 places) allows, came back as 123456789012.3460 on SQLite only, and a pack carried the
  changed value on. A decimal field that allows more than 15 digits refuses, on both engines, a value
  of more than 15 significant digits, so what is stored is what either engine gives back.
- **NUL characters.** PostgreSQL's ``text`` and ``jsonb`` cannot hold the character U+0000; SQLite
  stores it. A pack with one was imported on SQLite and ended in a ``DataError`` traceback on
  PostgreSQL. Every text and JSON field refuses it (Django's ``ProhibitNullCharactersValidator``, which
  its forms use but its model fields do not; for JSON, at any depth, keys included).

The validators go on the field *instance's* ``default_validators``: Django does not write those into
migrations (``validators=`` would be: every field of every app would need a migration that changes
nothing in the database), ``full_clean`` (so the actions layer, the editor, the API and the pack
importer) runs them, and the pack schema (``cityline.core.packs.spec``) and the OpenAPI document
(``cityline.api.generic``) read their bounds, so ``cityline pack validate`` names the file, line and
field of a value out of range and the API documents it, the same on either engine.

What a text lookup finds (:func:`fold_case_as_postgresql`):

- **Case-insensitive lookups on non-ASCII text.** SQLite's ``LIKE`` and ``UPPER()`` fold ASCII
  letters only, so ``?_q=zürich`` did not find "Zürich" on SQLite while PostgreSQL found it. SQLite
  now compares as Django's PostgreSQL backend does, ``UPPER(column) LIKE UPPER(pattern)``, with
  ``UPPER``/``LOWER`` replaced on every SQLite connection by Python's, one character to one character
  like PostgreSQL's (``ß`` stays ``ß``: Python alone would make it ``SS``). This covers ``iexact``,
  ``icontains``, ``istartswith`` and ``iendswith`` everywhere (the API's ``_q``, the editor's search
  boxes, the assessment rules) and ``Upper``/``Lower`` expressions.

The alternative, a database backend of our own (an SQLite backend whose operations report
PostgreSQL's ranges and lookups), would do part of this from ``settings.DATABASES`` but must be named
in every deployment's ``DATABASE_URL`` handling, and would not reach NUL characters or decimal
precision; Django's lookup registration and ``connection_created`` signal work with the stock backends.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import (DecimalValidator, MaxValueValidator, MinValueValidator,
                                    ProhibitNullCharactersValidator)
from django.db import models
from django.db.backends.postgresql.operations import DatabaseOperations as PostgreSQLOperations
from django.db.backends.signals import connection_created
from django.db.models import lookups
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

#: Internal type → (lowest, highest) value PostgreSQL's column type holds (Django's own table).
POSTGRESQL_INTEGER_RANGES: dict[str, tuple[int, int]] = dict(PostgreSQLOperations.integer_field_ranges)
#: What SQLite holds in any integer column: 64 bits. Ranges as wide need no bound of our own.
_SQLITE_RANGE = (-(2**63), 2**63 - 1)
#: Significant digits a decimal keeps on SQLite (stored as a float; Django reads it back to 15 digits).
SQLITE_DECIMAL_DIGITS = 15


def _limit(validator) -> int:
    value = validator.limit_value
    return value() if callable(value) else value


def integer_bounds(field: models.Field) -> list[MinValueValidator | MaxValueValidator]:
    """The validators ``field`` needs so it accepts only what PostgreSQL's column holds (none if it already
    does, or if the column is as wide as SQLite's)."""
    internal = field.get_internal_type()
    if not isinstance(field, models.IntegerField) or internal not in POSTGRESQL_INTEGER_RANGES:
        return []
    low, high = POSTGRESQL_INTEGER_RANGES[internal]
    declared = [*field.default_validators, *field._validators]
    needed: list[MinValueValidator | MaxValueValidator] = []
    if low > _SQLITE_RANGE[0] and not any(isinstance(v, MinValueValidator) and _limit(v) >= low for v in declared):
        needed.append(MinValueValidator(low))
    if high < _SQLITE_RANGE[1] and not any(isinstance(v, MaxValueValidator) and _limit(v) <= high for v in declared):
        needed.append(MaxValueValidator(high))
    return needed


@deconstructible
class SignificantDigitsValidator:
    """Refuse a decimal of more than ``limit`` significant digits (leading and trailing zeros do not count)."""

    message = _("Ensure that there are no more than %(limit)s significant digits (more are not kept exactly on "
                "every database Cityline runs on).")
    code = "max_significant_digits"

    def __init__(self, limit: int = SQLITE_DECIMAL_DIGITS, max_digits: int | None = None,
                 decimal_places: int | None = None):
        self.limit = limit
        self.field_limits = (max_digits, decimal_places)  # the field's own, whose refusal is enough on its own

    def __call__(self, value) -> None:
        if not isinstance(value, Decimal) or not value.is_finite() or not value:
            return  # not a finite non-zero number: DecimalField's own validation speaks
        if self.field_limits[0] is not None:
            try:
                DecimalValidator(*self.field_limits)(value)
            except ValidationError:
                return  # more digits than the field holds at all: its own message says so, one message is enough
        if len(value.normalize().as_tuple().digits) > self.limit:
            raise ValidationError(self.message, code=self.code, params={"limit": self.limit, "value": value})

    def __eq__(self, other) -> bool:
        return isinstance(other, SignificantDigitsValidator) and other.limit == self.limit


@deconstructible
class JSONNullCharactersValidator(ProhibitNullCharactersValidator):
    """Django's NUL check at every depth of JSON data, keys included (PostgreSQL's ``jsonb`` refuses
    ``\\u0000``)."""

    def __call__(self, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                super().__call__(key)
                self(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                self(item)
        elif isinstance(value, str):
            super().__call__(value)


def portable_validators(field: models.Field) -> list:
    """The validators ``field`` lacks to accept exactly what both SQLite and PostgreSQL store."""
    existing = [*field.default_validators, *field._validators]
    if isinstance(field, models.IntegerField):
        return integer_bounds(field)
    if isinstance(field, models.DecimalField) and (field.max_digits or 0) > SQLITE_DECIMAL_DIGITS:
        return [] if SignificantDigitsValidator() in existing \
            else [SignificantDigitsValidator(max_digits=field.max_digits, decimal_places=field.decimal_places)]
    if isinstance(field, models.JSONField):
        return [] if any(isinstance(v, JSONNullCharactersValidator) for v in existing) \
            else [JSONNullCharactersValidator()]
    if isinstance(field, (models.CharField, models.TextField)):
        return [] if any(isinstance(v, ProhibitNullCharactersValidator) for v in existing) \
            else [ProhibitNullCharactersValidator()]
    return []


def add_validators() -> None:
    """Give every field of every installed model (history and many-to-many tables included) its
    :func:`portable_validators`; idempotent."""
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.local_concrete_fields:
            needed = portable_validators(field)
            if needed:
                # On the instance: not a constructor argument, so not in deconstruct() nor in migrations.
                field.default_validators = [*field.default_validators, *needed]
                # Field.validators is cached, and CharField's __init__ already filled the cache (its
                # MaxLengthValidator lives only there): add to it rather than dropping it, in a new list
                # (a history model's copy of a field shares the original's).
                cached = field.__dict__.get("validators")
                if cached is not None:
                    field.__dict__["validators"] = [*cached, *needed]


# --- case-insensitive text lookups ------------------------------------------------------------


def upper_as_postgresql(value):
    """``UPPER(text)`` as PostgreSQL computes it in a UTF-8 database (each character's upper case when that is
    one character, the character itself otherwise)."""
    if not isinstance(value, str):
        return value
    upper = value.upper()
    if len(upper) == len(value):  # no character grew ("ß" → "SS"), so each mapped to exactly one
        return upper
    return "".join(u if len(u := c.upper()) == 1 else c for c in value)


#: Letters whose lower case is more than one character, with their one-character form.
_SIMPLE_LOWER = {"\u0130": "i"}  # "İ"


def lower_as_postgresql(value):
    """``LOWER(text)`` as PostgreSQL computes it (see :func:`upper_as_postgresql`)."""
    if not isinstance(value, str):
        return value
    lower = value.lower()
    if len(lower) == len(value):
        return lower
    return "".join(u if len(u := c.lower()) == 1 else _SIMPLE_LOWER.get(c, c) for c in value)


def sqlite_functions(sender, connection, **kwargs) -> None:
    """Replace SQLite's ASCII-only ``UPPER`` and ``LOWER`` on every new SQLite connection."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function("UPPER", 1, upper_as_postgresql, deterministic=True)
    connection.connection.create_function("LOWER", 1, lower_as_postgresql, deterministic=True)


class _UpperOnSQLite:
    """On SQLite, ``UPPER(lhs) LIKE UPPER(rhs)`` instead of relying on ``LIKE``'s ASCII-only folding
    (what Django's PostgreSQL backend writes; other engines keep Django's SQL)."""

    def as_sqlite(self, compiler, connection):
        lhs_sql, params = self.process_lhs(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        params.extend(rhs_params)
        if isinstance(self, lookups.PatternLookup) and (hasattr(self.rhs, "as_sql") or self.bilateral_transforms):
            rhs_op = self.get_rhs_op(connection, rhs_sql)  # SQLite's pattern_ops already UPPER() the expression
        else:
            rhs_op = self.get_rhs_op(connection, f"UPPER({rhs_sql})")
        return f"UPPER({lhs_sql}) {rhs_op}", params


class IExact(_UpperOnSQLite, lookups.IExact):
    pass


class IContains(_UpperOnSQLite, lookups.IContains):
    pass


class IStartsWith(_UpperOnSQLite, lookups.IStartsWith):
    pass


class IEndsWith(_UpperOnSQLite, lookups.IEndsWith):
    pass


def fold_case_as_postgresql() -> None:
    """Register the lookups on every field (fields with lookups of their own, such as JSONField's, keep
    them) and the functions on every SQLite connection."""
    for lookup in (IExact, IContains, IStartsWith, IEndsWith):
        models.Field.register_lookup(lookup)
    connection_created.connect(sqlite_functions, dispatch_uid="cityline.core.portability.sqlite_functions")


def install() -> None:
    add_validators()
    fold_case_as_postgresql()
