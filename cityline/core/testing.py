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
