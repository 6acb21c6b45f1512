"""The API answers the same on SQLite and PostgreSQL (cityline.core.portability): its text search finds
accented letters whatever their case, and a write PostgreSQL could not store is refused on both with the
field named. Runs on whichever engine ``DATABASE_URL`` names."""

from __future__ import annotations

import json

import pytest

from cityline.core.testing import make_organisation
from cityline.strategy import models as sm

pytestmark = pytest.mark.django_db

BASE = "/api/v1/cities/testville"


def _found(client, q: str) -> list[str]:
    body = client.get(f"{BASE}/organisations", {"_q": q}).json()
    return sorted(o["key"] for o in body["results"])


def test_search_ignores_the_case_of_accented_letters(client, city):
    make_organisation(city, "zurich", name="Wasserversorgung Zürich")
    make_organisation(city, "ecole", sector="academic", name="école des Mines de Testville")
    assert _found(client, "zürich") == ["zurich"]
    assert _found(client, "ZÜRICH") == ["zurich"]
    assert _found(client, "ÉCOLE") == ["ecole"]
    assert _found(client, "École testville") == ["ecole"]
    assert _found(client, "TESTVILLE") == ["council", "ecole", "uni"]


@pytest.mark.parametrize("data,field", [
    ({"order": 99999999}, "order"),  # a smallint on PostgreSQL: stored on SQLite only, before
    ({"title": "Open\u0000 by default"}, "title"),  # PostgreSQL text cannot hold NUL: a 500 there, before
])
def test_a_write_postgresql_cannot_store_is_refused_on_either_database(staff_client, city, data, field):
    body = {"key": "open", "group": "open_collaborative", "title": "Open by default", "statement": "S", **data}
    r = staff_client.post(f"{BASE}/principles", json.dumps(body), content_type="application/json")
    assert r.status_code == 422, r.content
    assert field in r.json()["errors"], r.json()
    assert not sm.Principle.objects.filter(key="open").exists()
    body.update({"order": 32767} if field == "order" else {"title": "Open by default"})
    assert staff_client.post(f"{BASE}/principles", json.dumps(body), content_type="application/json").status_code == 201
