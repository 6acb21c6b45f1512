"""Change history through the API: readable by anyone, who changed it only for staff."""

from __future__ import annotations

import json

import pytest

from cityline.core import actions
from cityline.core.models import Organisation, Person
from cityline.core.testing import make_city, make_organisation

pytestmark = pytest.mark.django_db

BASE = "/api/v1/cities/testville"


@pytest.fixture
def edited(city, staff):
    """Two staff edits on top of the fixture's creations: a rename and a contact change."""
    council = Organisation.objects.get(city=city, key="council")
    actions.update(council, user=staff, name="Testville Metropolitan Council", reason="merger")
    bob = Person.objects.get(city=city, key="bob")
    actions.update(bob, user=staff, email="bob@new.example", role="Researcher")
    return city


def test_city_history_newest_first_and_paginated(client, edited):
    body = client.get(f"{BASE}/history?_limit=2").json()
    total = body["count"]
    assert total >= 17 and body["next"] and body["previous"] is None
    first, second = body["results"]
    assert first["collection"] == "people" and first["object_key"] == "bob" and first["kind"] == "changed"
    assert second["collection"] == "organisations" and second["object_key"] == "council"
    assert second["reason"] == "merger"
    assert second["fields"] == [{"field": "name", "before": "Testville City Council",
                                 "after": "Testville Metropolitan Council"}]
    rest = client.get(body["next"]).json()
    assert rest["offset"] == 2 and len(rest["results"]) == 2
    everything = client.get(f"{BASE}/history?_limit=500").json()
    assert len(everything["results"]) == total
    assert everything["results"][-1]["kind"] == "created"


def test_history_hides_the_user_and_private_fields_from_the_public(client, edited):
    entries = client.get(f"{BASE}/history?_limit=500").json()["results"]
    assert all("user" not in e for e in entries)
    raw = json.dumps(entries)
    assert "bob@new.example" not in raw and "bob@uni.example" not in raw and "editor@" not in raw
    bob_change = entries[0]
    assert [f["field"] for f in bob_change["fields"]] == ["role"]


def test_history_shows_the_user_to_staff(staff_client, edited):
    entries = staff_client.get(f"{BASE}/history?_limit=3").json()["results"]
    assert [e["user"] for e in entries[:2]] == ["editor", "editor"]
    assert {f["field"] for f in entries[0]["fields"]} == {"email", "role"}
    assert "editor@" not in json.dumps(entries)  # user names, never e-mail addresses


def test_city_history_filter_by_collection(client, edited):
    body = client.get(f"{BASE}/history?collection=organisations").json()
    assert body["count"] == 4  # three created, one changed
    assert {e["collection"] for e in body["results"]} == {"organisations"}
    r = client.get(f"{BASE}/history?collection=unicorns")
    assert r.status_code == 400 and "unicorns" in r.json()["detail"]
    r = client.get(f"{BASE}/history?who=me")
    assert r.status_code == 400 and "'who'" in r.json()["detail"]


def test_city_history_is_per_city(client, edited):
    other = make_city("otherton", "Otherton")
    make_organisation(other, "council")
    body = client.get("/api/v1/cities/otherton/history").json()
    assert body["count"] == 1 and body["results"][0]["object_key"] == "council"


def test_record_history(client, staff_client, edited):
    body = client.get(f"{BASE}/organisations/council/history").json()
    assert body["count"] == 2
    assert [e["kind"] for e in body["results"]] == ["changed", "created"]
    assert body["results"][0]["object_key"] == "council" and "user" not in body["results"][0]
    assert staff_client.get(f"{BASE}/organisations/council/history").json()["results"][0]["user"] == "editor"
    r = client.get(f"{BASE}/organisations/ghost/history")
    assert r.status_code == 404


def test_deleted_records_keep_their_key_in_city_history(staff_client, city):
    staff_client.delete(f"{BASE}/documents/data-policy", HTTP_IF_MATCH='"1"')
    latest = staff_client.get(f"{BASE}/history?_limit=1").json()["results"][0]
    assert latest["kind"] == "deleted" and latest["object_key"] == "data-policy" and latest["user"] == "editor"
