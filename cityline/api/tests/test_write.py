"""Writing: staff only, through the actions layer, with versions (409/428) and problem+json errors."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from cityline.core import history
from cityline.core.models import Document, Organisation
from cityline.strategy import models as sm

from .conftest import basic

pytestmark = pytest.mark.django_db

BASE = "/api/v1/cities/testville"
JSON = "application/json"


def post(client, url, data, **extra):
    return client.post(url, json.dumps(data), content_type=JSON, **extra)


def patch(client, url, data, **extra):
    return client.patch(url, json.dumps(data), content_type=JSON, **extra)


def problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:cityline:problem:")
    assert body["title"] and body["detail"]
    return body


def test_create_with_references_by_key_records_the_user(staff_client, city):
    r = post(staff_client, f"{BASE}/procurement-pipeline", {
        "key": "buy-9", "title": "Smart parking", "buyer": "council", "outcome_sought": "Free spaces known live",
        "estimated_value": "250000.50", "expected_tender_date": "2026-09-01", "project": "p3",
        "avoids_lock_in": True,
    })
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["buyer"] == "council" and body["project"] == "p3" and body["estimated_value"] == "250000.50"
    assert body["status"] == "planned" and body["version"] == 1  # model defaults apply
    assert r["Location"].endswith(f"{BASE}/procurement-pipeline/buy-9") and r["ETag"] == '"1"'
    entry = sm.ProcurementEntry.objects.get(city=city, key="buy-9")
    assert entry.buyer.key == "council" and entry.avoids_lock_in
    (change,) = history.object_history(entry)
    assert change.kind == "created" and change.user == "editor"


def test_create_with_many_to_many_keys(staff_client, city):
    r = post(staff_client, f"{BASE}/meetings", {
        "key": "board-1", "body": "board", "date": "2025-05-01", "title": "First board", "papers": ["strategy"],
    })
    problem(r, 422)  # no body "board" yet
    post(staff_client, f"{BASE}/governance-bodies",
         {"key": "board", "name": "Smart City Board", "level": "strategic", "remit": "Outcomes and benefits"})
    r = post(staff_client, f"{BASE}/meetings", {
        "key": "board-1", "body": "board", "date": "2025-05-01", "title": "First board",
        "papers": ["strategy", "data-policy"],
    })
    assert r.status_code == 201, r.content
    assert r.json()["papers"] == ["data-policy", "strategy"]
    meeting = sm.Meeting.objects.get(city=city, key="board-1")
    assert sorted(meeting.papers.values_list("key", flat=True)) == ["data-policy", "strategy"]


def test_unknown_references_are_422_naming_each_field(staff_client, city):
    r = post(staff_client, f"{BASE}/meetings", {
        "key": "m", "body": "nobody", "date": "2025-05-01", "title": "T", "papers": ["strategy", "ghost"],
    })
    body = problem(r, 422)
    assert "nobody" in body["errors"]["body"][0]
    assert "'ghost'" in body["errors"]["papers"][0] and "strategy" not in body["errors"]["papers"][0]
    assert not sm.Meeting.objects.exists()


def test_vision_children_belong_to_the_city_vision(staff_client, city):
    r = post(staff_client, f"{BASE}/vision-purposes", {"purpose": "resilience", "weight": 0.25})
    assert r.status_code == 201, r.content
    assert r["Location"].endswith(f"/vision-purposes/{r.json()['id']}")
    assert sm.VisionPurpose.objects.get().vision == sm.Vision.objects.get(city=city)
    r = post(staff_client, f"{BASE}/vision", {"title": "Another", "statement": "...", "horizon_year": 2040})
    problem(r, 409)


def test_patch_with_if_match_changes_only_sent_fields(staff_client, city):
    r = patch(staff_client, f"{BASE}/projects/p2", {"status": "on_hold", "programme": None},
              HTTP_IF_MATCH='"1"')
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "on_hold" and body["programme"] is None and body["name"] == "Project 2"
    assert body["version"] == 2 and r["ETag"] == '"2"'
    project = sm.Project.objects.get(city=city, key="p2")
    latest = history.object_history(project)[0]
    assert latest.user == "editor"
    assert {f["field"] for f in latest.fields} == {"status", "programme"}


def test_patch_with_version_in_body_and_key_change(staff_client, city):
    r = patch(staff_client, f"{BASE}/organisations/telco", {"version": 1, "key": "fibre", "lifecycle": "declining"})
    assert r.status_code == 200, r.content
    assert r.json()["key"] == "fibre"
    assert staff_client.get(f"{BASE}/organisations/fibre").json()["lifecycle"] == "declining"


def test_stale_version_is_409_and_nothing_changes(staff_client, city):
    assert patch(staff_client, f"{BASE}/projects/p1", {"progress": 30}, HTTP_IF_MATCH='"1"').status_code == 200
    r = patch(staff_client, f"{BASE}/projects/p1", {"progress": 50}, HTTP_IF_MATCH='"1"')
    body = problem(r, 409)
    assert body["type"] == "urn:cityline:problem:version-conflict"
    assert "changed by someone else" in body["detail"]
    assert r["ETag"] == '"2"'
    assert sm.Project.objects.get(city=city, key="p1").progress == 30
    r = staff_client.delete(f"{BASE}/projects/p1", HTTP_IF_MATCH='"1"')
    problem(r, 409)
    assert sm.Project.objects.filter(city=city, key="p1").exists()


def test_missing_version_is_428(staff_client, city):
    body = problem(patch(staff_client, f"{BASE}/projects/p1", {"progress": 30}), 428)
    assert "If-Match" in body["detail"] and "version" in body["errors"]
    problem(staff_client.delete(f"{BASE}/projects/p1"), 428)
    problem(patch(staff_client, f"{BASE}/projects/p1", {"progress": 30}, HTTP_IF_MATCH="*"), 428)
    assert sm.Project.objects.get(city=city, key="p1").version == 1


def test_header_and_body_versions_must_agree(staff_client, city):
    body = problem(patch(staff_client, f"{BASE}/projects/p1", {"progress": 30, "version": 2},
                         HTTP_IF_MATCH='"1"'), 400)
    assert "version" in body["errors"]
    problem(patch(staff_client, f"{BASE}/projects/p1", {"progress": 30}, HTTP_IF_MATCH='"one"'), 400)


def test_delete_with_version_records_the_user(staff_client, city):
    doc = Document.objects.get(city=city, key="data-policy")
    r = staff_client.delete(f"{BASE}/documents/data-policy", HTTP_IF_MATCH='W/"1"')
    assert r.status_code == 204 and r.content == b""
    assert not Document.objects.filter(pk=doc.pk).exists()
    deleted = Document.history.filter(id=doc.pk, history_type="-").get()
    assert deleted.history_user.username == "editor"


def test_delete_with_version_in_body(staff_client, city):
    r = staff_client.delete(f"{BASE}/projects/p1", json.dumps({"version": 1}), content_type=JSON)
    assert r.status_code == 204
    assert not sm.Project.objects.filter(city=city, key="p1").exists()


def test_delete_of_a_record_still_in_use_is_409(staff_client, city):
    body = problem(staff_client.delete(f"{BASE}/organisations/council", HTTP_IF_MATCH='"1"'), 409)
    assert body["type"] == "urn:cityline:problem:in-use" and "still used by" in body["detail"]
    assert Organisation.objects.filter(city=city, key="council").exists()


def test_validation_errors_name_the_fields(staff_client, city):
    # pydantic layer: types, choices, unknown and read-only fields
    r = post(staff_client, f"{BASE}/projects", {"key": "p9", "name": "X", "status": "dreaming", "progress": 120,
                                                 "colour": "red", "updated_at": "2020-01-01T00:00:00Z"})
    body = problem(r, 422)
    assert body["type"] == "urn:cityline:problem:validation"
    assert set(body["errors"]) == {"status", "progress", "colour", "updated_at"}
    assert body["errors"]["colour"] == ["unknown or read-only field"]
    # model rules (actions layer: full_clean)
    r = post(staff_client, f"{BASE}/projects", {"key": "p9", "name": "X", "status": "completed", "progress": 50,
                                                 "start_date": "2025-06-01", "end_date": "2025-01-01"})
    body = problem(r, 422)
    assert "progress" in body["errors"] or "end_date" in body["errors"]
    # missing required field
    body = problem(post(staff_client, f"{BASE}/projects", {"name": "No key"}), 422)
    assert "key" in body["errors"]
    assert not sm.Project.objects.filter(name__in=["X", "No key"]).exists()


def test_duplicate_key_is_reported_on_the_key_field(staff_client, city):
    body = problem(post(staff_client, f"{BASE}/organisations", {"key": "council", "name": "Again",
                                                                 "sector": "public"}), 422)
    assert list(body["errors"]) == ["key"]


def test_patch_model_rule_violation_leaves_record_untouched(staff_client, city):
    body = problem(patch(staff_client, f"{BASE}/projects/p2", {"status": "completed"}, HTTP_IF_MATCH='"1"'), 422)
    assert "progress" in body["errors"]
    project = sm.Project.objects.get(city=city, key="p2")
    assert project.status == "approved" and project.version == 1


def test_malformed_json_is_400(staff_client, city):
    r = staff_client.post(f"{BASE}/projects", "{not json", content_type=JSON)
    body = problem(r, 400)
    assert "JSON" in body["detail"]


def test_anonymous_write_is_401(client, city):
    r = post(client, f"{BASE}/organisations", {"key": "x", "name": "X", "sector": "public"})
    problem(r, 401)
    assert r["WWW-Authenticate"].startswith("Basic")
    problem(patch(client, f"{BASE}/organisations/council", {"name": "Y"}, HTTP_IF_MATCH='"1"'), 401)
    problem(client.delete(f"{BASE}/organisations/telco", HTTP_IF_MATCH='"1"'), 401)
    assert not Organisation.objects.filter(key="x").exists()
    assert Organisation.objects.get(city=city, key="council").name == "Testville City Council"


def test_non_staff_write_is_403(member_client, member, city):
    problem(post(member_client, f"{BASE}/organisations", {"key": "x", "name": "X", "sector": "public"}), 403)
    problem(Client().delete(f"{BASE}/organisations/telco", HTTP_IF_MATCH='"1"', **basic("reader")), 403)
    assert Organisation.objects.filter(city=city, key="telco").exists()


def test_http_basic_for_scripts(city, staff):
    client = Client()
    r = patch(client, f"{BASE}/organisations/uni", {"website": "https://uni.example"}, HTTP_IF_MATCH='"1"',
              **basic("editor"))
    assert r.status_code == 200, r.content
    assert history.object_history(Organisation.objects.get(city=city, key="uni"))[0].user == "editor"
    problem(patch(client, f"{BASE}/organisations/uni", {"website": ""}, HTTP_IF_MATCH='"2"',
                  **basic("editor", "wrong")), 401)


def test_session_writes_need_the_csrf_token(staff, city):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    r = post(client, f"{BASE}/organisations", {"key": "x", "name": "X", "sector": "public"})
    assert "CSRF" in problem(r, 403)["detail"]
    token = "t" * 32  # what the csrftoken cookie holds; the page sends it back as X-CSRFToken
    client.cookies["csrftoken"] = token
    r = post(client, f"{BASE}/organisations", {"key": "x", "name": "X", "sector": "public"}, HTTP_X_CSRFTOKEN=token)
    assert r.status_code == 201, r.content


def test_city_create_update_delete(staff_client, city):
    r = post(staff_client, "/api/v1/cities", {"key": "newtown", "name": "Newtown", "country": "GB"})
    assert r.status_code == 201, r.content
    assert r["Location"].endswith("/api/v1/cities/newtown")
    r = patch(staff_client, "/api/v1/cities/newtown", {"population": 120000}, HTTP_IF_MATCH='"1"')
    assert r.json()["population"] == 120000 and r.json()["version"] == 2
    problem(staff_client.delete("/api/v1/cities/newtown", HTTP_IF_MATCH='"1"'), 409)
    assert staff_client.delete("/api/v1/cities/newtown", HTTP_IF_MATCH='"2"').status_code == 204
    problem(staff_client.get("/api/v1/cities/newtown"), 404)


def test_single_vision_lifecycle(staff_client, city):
    from cityline.core.testing import make_city

    make_city("otherton", "Otherton")
    url = "/api/v1/cities/otherton/vision"
    problem(post(staff_client, "/api/v1/cities/otherton/vision-objectives", {
        "key": "air", "title": "Cleaner air", "purpose": "environment", "indicator": "NO2", "target_value": 20,
        "target_year": 2030}), 422)  # no vision yet to attach it to
    r = post(staff_client, url, {"title": "Otherton 2040", "statement": "A fair, green town.", "horizon_year": 2040})
    assert r.status_code == 201, r.content
    assert r["Location"].endswith(url)
    r = patch(staff_client, url, {"horizon_year": 2045}, HTTP_IF_MATCH=r["ETag"])
    assert r.status_code == 200 and r.json()["horizon_year"] == 2045
    assert staff_client.delete(url, HTTP_IF_MATCH=r["ETag"]).status_code == 204
    assert not sm.Vision.objects.filter(city__key="otherton").exists()
    assert sm.Vision.objects.filter(city=city).exists()


def test_swagger_explorer_is_served_from_local_assets(client):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    html = r.content.decode()
    assert "swagger-ui-bundle.js" in html and "cdn." not in html
