"""Odd but possible requests get a problem document, never a server error or an HTML page (docs/api.md, Errors)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

BASE = "/api/v1/cities/testville"
PROBLEM = "application/problem+json"


def problem(response, status: int, name: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"] == f"urn:cityline:problem:{name}" and body["status"] == status
    return body


@pytest.mark.parametrize("offset", ["99999999999999999999999", str(2**63)])
def test_an_offset_beyond_what_a_database_counts_is_a_400_naming_it(client, city, offset):
    body = problem(client.get(f"{BASE}/projects?_offset={offset}"), 400, "invalid-parameter")
    assert "_offset" in body["errors"]


def test_the_largest_offset_a_database_counts_is_an_empty_page(client, city):
    body = client.get(f"{BASE}/projects?_offset={2**63 - 1}").json()
    assert body["count"] == 5 and body["results"] == [] and body["next"] is None


def test_a_search_with_too_many_words_is_a_400_naming_the_parameter(client, city):
    body = problem(client.get(f"{BASE}/projects?_q=" + "+".join(f"word{i}" for i in range(1200))), 400, "invalid-parameter")
    assert list(body["errors"]) == ["_q"]
    assert "words" in body["detail"]


def test_a_search_with_many_repeated_words_still_answers(client, city):
    body = client.get(f"{BASE}/procurement-pipeline?_q=" + "+".join(["sensors"] * 1200)).json()
    assert body["count"] == 4  # the same word twice is the same condition


@pytest.mark.parametrize("method, path, allowed", [
    ("put", f"{BASE}/projects/p1", {"GET", "HEAD", "PATCH", "DELETE"}),
    ("delete", f"{BASE}/projects", {"GET", "HEAD", "POST"}),
    ("post", f"{BASE}/history", {"GET", "HEAD"}),
    ("options", f"{BASE}/projects", {"GET", "HEAD", "POST"}),
])
def test_a_method_the_endpoint_does_not_take_is_a_405_problem_with_allow(client, city, method, path, allowed):
    r = getattr(client, method)(path)
    body = problem(r, 405, "method-not-allowed")
    assert {m.strip() for m in r["Allow"].split(",")} == allowed
    assert method.upper() in body["detail"] and all(m in body["detail"] for m in allowed)


def test_the_api_root_is_a_problem_pointing_at_the_docs(client, city):
    body = problem(client.get("/api/v1/"), 404, "not-found")
    assert "/api/v1/docs" in body["detail"]


def test_too_many_query_parameters_is_a_400_problem(client, city):
    query = "&".join(["owner=ada"] * 3000)
    problem(client.get(f"{BASE}/projects?{query}"), 400, "bad-request")


def test_a_defect_answers_a_500_problem_and_is_logged_with_its_traceback(city, monkeypatch, caplog):
    from django.test import Client

    from cityline.api import query

    def broken(*args, **kwargs):
        raise RuntimeError("a defect")

    monkeypatch.setattr(query, "apply_sort", broken)
    body = problem(Client(raise_request_exception=False).get(f"{BASE}/projects"), 500, "server-error")
    assert "a defect" not in body["detail"]  # no internals in the answer
    logged = [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]
    assert len(logged) == 1 and logged[0].exc_info[1].args == ("a defect",)
    with pytest.raises(RuntimeError):  # the test client still re-raises it, as for any view
        Client().get(f"{BASE}/projects")


def test_head_answers_like_get_without_a_body(client, city):
    r = client.head(f"{BASE}/projects/p1")
    assert r.status_code == 200 and r.content == b""
    assert r["ETag"] == client.get(f"{BASE}/projects/p1")["ETag"]
    assert r["Content-Type"].startswith("application/json")
    missing = client.head(f"{BASE}/projects/nope")  # the same status as GET, the body dropped
    assert missing.status_code == 404 and missing["Content-Type"] == PROBLEM and missing.content == b""
