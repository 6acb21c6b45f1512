"""The public developments page (B12): opportunities, checklists, downloads."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import translation

from cityline.developments.public import developments
from cityline.developments.testing import make_developments_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    with translation.override("en"):  # labels in English whatever an earlier test left active
        yield make_developments_city()


def test_data_lists_opportunities_and_checklists(city):
    data = developments(city)
    assert [(o["a"], o["b"], o["reason_labels"]) for o in data["opportunities"]] == [
        ("quay-main", "quay-road", ["same area"])]
    assert data["groups"][0]["names"] == ["Quay water main", "Quay road rebuild"]
    assert data["finished"] == ["Old depot"] and data["undated"] == []
    road = next(p for p in data["projects"] if p["key"] == "quay-road")
    assert road["score"] == 17 and (road["done"], road["applicable"]) == (1, 6)
    assert [c["status"] for c in road["checklist"]] == ["done", "planned", "not_applicable", "missing", "missing",
                                                        "missing", "missing"]
    assert road["initiatives"] == ["Coordinated quay works"] and road["risk_count"] == 1
    assert data["summary"] == {"projects": 5, "opportunities": 1, "groups": 1, "complete": 0, "average_score": 3}


def test_page_json_and_csv(client, city):
    html = client.get(f"/{city.key}/developments/").content.decode()
    assert "Quay water main" in html and "same area" in html
    assert "Smart-delivery checklist: 1 of 6 done (17%)" in html
    assert client.get(f"/{city.key}/developments.json").json()["summary"]["opportunities"] == 1
    rows = list(csv.reader(io.StringIO(client.get(f"/{city.key}/developments-opportunities.csv").content.decode())))
    assert rows == [["project_a", "project_b", "reasons", "window_start", "window_end", "infrastructure_types",
                     "cross_infrastructure"],
                    ["quay-main", "quay-road", "same_area", "2026-05-01", "2026-06-30", "transport; water", "true"]]
    checklist = client.get(f"/{city.key}/developments-checklist.csv").content.decode()
    assert "quay-road,ducting,B12.a,done,Agreed at design review" in checklist
    assert client.get("/nowhere/developments/").status_code == 404


def test_french_page(client, city):
    response = client.get(f"/fr/{city.key}/developments/")
    assert response.status_code == 200
