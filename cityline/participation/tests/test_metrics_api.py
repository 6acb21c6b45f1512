"""Engagement metrics in the API (B3): public, suppressed; a small group never appears with its count."""

from __future__ import annotations

import json

import pytest

from .metrics_world import make_metrics_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_metrics_world()


def test_consultation_metrics_are_public_and_suppressed(client, world):
    city, r = world
    response = client.get("/api/v1/cities/riverford/consultations/bus-routes/metrics")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["participants"] == 14 and body["small_count_threshold"] == 5
    assert body["days_to_respond"] == 19 and body["responded_in_target"] is True
    district = {g["group"]: (g["participants"], g["suppressed"]) for g in body["breakdowns"]["district"]}
    assert district == {"North": (7, False), "South": (None, True), "not_given": (None, True)}
    groups = [g for dim in body["breakdowns"].values() for g in dim]
    assert all(g["participants"] is None or g["participants"] >= 5 for g in groups)
    options = {o["option"]: o["count"] for o in body["survey"][0]["options"]}
    assert options == {"Bike": 8, "Bus": None, "Car": None}
    text = json.dumps(body)
    assert "Resident 01" not in text and "@mail.example.org" not in text and "resident-" not in text


def test_drafts_and_unknown_consultations_are_not_found(client, world):
    assert client.get("/api/v1/cities/riverford/consultations/draft-plan/metrics").status_code == 404
    assert client.get("/api/v1/cities/riverford/consultations/nope/metrics").status_code == 404
    assert client.get("/api/v1/cities/nowhere/consultations/bus-routes/metrics").status_code == 404


def test_period_metrics(client, world):
    city, r = world
    body = client.get("/api/v1/cities/riverford/participation/metrics?period=quarter").json()
    assert body["period"] == "quarter"
    by = {p["period"]: p for p in body["periods"]}
    assert by["2025-Q1"]["participants"] == 14 and by["2025-Q1"]["responded_in_target_share"] == 100.0
    assert by["2025-Q1"]["median_days_to_respond"] == 19
    for p in body["periods"]:
        for dim in p["breakdowns"].values():
            assert all(g["participants"] is None or g["participants"] >= 5 for g in dim)
    years = client.get("/api/v1/cities/riverford/participation/metrics?period=year").json()
    assert years["periods"][0]["period"] == "2025" and years["periods"][0]["participants"] == 20
    assert client.get("/api/v1/cities/riverford/participation/metrics?period=month").status_code in (400, 422)
