"""Helpers for tests in every area: small records made through the actions layer."""

from __future__ import annotations

from . import actions
from .models import City, Organisation, Person


def make_city(key: str = "testville", name: str = "Testville") -> City:
    return actions.create(City, key=key, name=name, country="FR")


def make_organisation(city: City, key: str = "council", sector: str = "public", **extra) -> Organisation:
    return actions.create(Organisation, city=city, key=key, name=extra.pop("name", key.title()), sector=sector, **extra)


def make_person(city: City, key: str = "ada", **extra) -> Person:
    return actions.create(Person, city=city, key=key, name=extra.pop("name", key.title()), **extra)


def schema_of(connection) -> dict[str, dict]:
    """The database's tables with their columns and constraints, in a form two databases can be
    compared by (constraint and index names left out: only what they cover and do)."""
    schema = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            columns = sorted([c.name, str(c.type_code), bool(c.null_ok)]
                             for c in connection.introspection.get_table_description(cursor, table))
            constraints = sorted(
                [list(c["columns"] or ()), bool(c["primary_key"]), bool(c["unique"]),
                 list(c["foreign_key"] or ()), bool(c["index"]), bool(c["check"]), list(c.get("orders") or ())]
                for c in connection.introspection.get_constraints(cursor, table).values())
            schema[table] = {"columns": columns, "constraints": constraints}
    return schema
