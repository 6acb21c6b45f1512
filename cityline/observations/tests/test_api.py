"""Observations in the API: CRUD of series, KPI computations and alert rules by staff (versions, 409, rules of
services.py), read-only alerts and computation runs, and the readings of a series raw and as hourly or daily means,
public series for everyone and the others for staff only; a bad query parameter is a 400 naming it."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cityline.accounts.testing import grant
from cityline.observations import models as m
from cityline.observations.tests.records_world import at, make_observations_city, write_readings
from cityline.observations.tests.records_world import own_store  # noqa: F401 (a fixture: each test its own store)

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def world():
    city, r = make_observations_city()
    r["base"] = f"/api/v1/cities/{city.key}"
    user = get_user_model().objects.create_user("city-admin", password="x")
    grant(user, "programme_admin", city=city)
    r["admin"] = Client()
    r["admin"].force_login(user)
    return r


def _keys(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row.get("key") or str(row.get("id")) for row in response.json()["results"])


def test_non_public_series_are_for_staff_only(world):
    base, anonymous = world["base"], Client()
    assert _keys(anonymous.get(f"{base}/series")) == ["air-harbour", "trips-all", "trips-bus"]
    assert anonymous.get(f"{base}/series/air-station").status_code == 404
    assert anonymous.get(f"{base}/series/air-station/readings").status_code == 404
    assert _keys(world["admin"].get(f"{base}/series")) == ["air-harbour", "air-station", "trips-all", "trips-bus"]
    assert world["admin"].get(f"{base}/series/air-station/readings").status_code == 200
    assert _keys(anonymous.get(f"{base}/series?group=mobility")) == ["trips-all", "trips-bus"]
    # alert rules (their series and webhook) are the city's
    assert _keys(anonymous.get(f"{base}/alert-rules")) == []
    assert _keys(world["admin"].get(f"{base}/alert-rules")) == ["pm25-high"]
    # a computation is public with its KPI
    assert len(anonymous.get(f"{base}/kpi-computations").json()["results"]) == 1
    assert len(world["admin"].get(f"{base}/kpi-computations").json()["results"]) == 2


def test_staff_create_update_and_delete_with_versions(world):
    base, admin = world["base"], world["admin"]
    body = {"key": "noise-quay", "name": "Noise at the quay", "group": "noise", "entity_type": "NoiseLevelObserved",
            "attribute": "LAeq", "unit": "dB", "public": True}
    assert Client().post(f"{base}/series", json.dumps(body), content_type=JSON).status_code in (401, 403)
    response = admin.post(f"{base}/series", json.dumps(body), content_type=JSON)
    assert response.status_code == 201, response.content
    assert response.json()["version"] == 1
    response = admin.patch(f"{base}/series/noise-quay", json.dumps({"district": "Quay"}), content_type=JSON,
                           HTTP_IF_MATCH='"1"')
    assert response.status_code == 200 and response.json()["version"] == 2
    stale = admin.patch(f"{base}/series/noise-quay", json.dumps({"district": "Old town"}), content_type=JSON,
                        HTTP_IF_MATCH='"1"')
    assert stale.status_code == 409
    assert m.Series.objects.get(key="noise-quay").district == "Quay"
    # an alert rule over it, by key
    rule = {"key": "noise-loud", "name": "Loud at night", "series": ["noise-quay"], "threshold": "70"}
    response = admin.post(f"{base}/alert-rules", json.dumps(rule), content_type=JSON)
    assert response.status_code == 201, response.content
    assert response.json()["series"] == ["noise-quay"]
    # the series cannot go while the rule watches it
    refused = admin.delete(f"{base}/series/noise-quay", HTTP_IF_MATCH='"2"')
    assert refused.status_code in (409, 422), refused.content
    assert "noise-loud" in refused.json()["detail"] + json.dumps(refused.json().get("errors"))
    assert admin.delete(f"{base}/alert-rules/noise-loud", HTTP_IF_MATCH='"1"').status_code == 204
    assert admin.delete(f"{base}/series/noise-quay", HTTP_IF_MATCH='"2"').status_code == 204
    assert not m.Series.objects.filter(key="noise-quay").exists()


def test_a_spec_is_checked_and_its_version_follows_changes(world):
    base, admin = world["base"], world["admin"]
    pk = world["computation"].pk
    bad = {"spec": {"value": {"series": {"group": "air"}, "function": "median"}}}
    response = admin.patch(f"{base}/kpi-computations/{pk}", json.dumps(bad), content_type=JSON,
                           HTTP_IF_MATCH='"1"')
    assert response.status_code == 422
    assert "value.function" in response.json()["errors"]["spec"][0]
    good = {"spec": {"value": {"series": {"group": "air"}, "function": "max"}}, "spec_version": 42}
    response = admin.patch(f"{base}/kpi-computations/{pk}", json.dumps(good), content_type=JSON,
                           HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.content
    assert response.json()["spec_version"] == 2  # Cityline's count, not the client's
    same = admin.patch(f"{base}/kpi-computations/{pk}", json.dumps({"active": False}), content_type=JSON,
                       HTTP_IF_MATCH='"2"')
    assert same.json()["spec_version"] == 2 and same.json()["version"] == 3


def test_readings_raw_and_as_hourly_and_daily_means(world):
    base = world["base"]
    write_readings(world["city"], [
        ("air-harbour", at(1, 8, 0), 10.0), ("air-harbour", at(1, 8, 30), 20.0), ("air-harbour", at(1, 9, 0), 30.0),
        ("air-harbour", at(2, 8, 0), 5.0), ("air-station", at(1, 8, 0), 99.0)])
    write_readings(world["city"], [("air-harbour", at(1, 8, 30), 21.0)])  # rewritten: the latest write wins
    client = Client()
    raw = client.get(f"{base}/series/air-harbour/readings")
    assert raw.status_code == 200, raw.content
    body = raw.json()
    assert body["interval"] == "raw" and body["count"] == 4 and body["unit"] == "µg/m3"
    assert [r["value"] for r in body["results"]] == [10.0, 21.0, 30.0, 5.0]
    assert body["results"][0]["time"].startswith("2026-03-01T08:00:00")
    assert body["next"] is None
    window = client.get(f"{base}/series/air-harbour/readings", {"from": "2026-03-01T08:30:00Z",
                                                                "to": "2026-03-02T00:00:00+00:00"}).json()
    assert [r["value"] for r in window["results"]] == [21.0, 30.0]
    hourly = client.get(f"{base}/series/air-harbour/readings", {"interval": "hour"}).json()
    assert [(r["time"][:16], r["value"], r["count"], r["min"], r["max"]) for r in hourly["results"]] == [
        ("2026-03-01T08:00", 15.5, 2, 10.0, 21.0), ("2026-03-01T09:00", 30.0, 1, 30.0, 30.0),
        ("2026-03-02T08:00", 5.0, 1, 5.0, 5.0)]
    daily = client.get(f"{base}/series/air-harbour/readings", {"interval": "day"}).json()
    assert [(r["time"][:10], r["value"], r["count"]) for r in daily["results"]] == [
        ("2026-03-01", pytest.approx(61 / 3), 3), ("2026-03-02", 5.0, 1)]
    # a page and the next one
    first = client.get(f"{base}/series/air-harbour/readings", {"limit": "3"}).json()
    assert first["count"] == 3 and first["next"]
    following = client.get(first["next"].replace("http://testserver", "")).json()
    assert [r["value"] for r in following["results"]] == [5.0] and following["next"] is None
    # staff read the non-public series
    staff = world["admin"].get(f"{base}/series/air-station/readings").json()
    assert [r["value"] for r in staff["results"]] == [99.0]


def test_readings_of_a_series_without_any_in_the_store(world):
    response = Client().get(f"{world['base']}/series/trips-bus/readings", {"interval": "day"})
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize("params,named", [
    ({"from": "yesterday"}, "from"), ({"to": "2026-13-01"}, "to"), ({"limit": "0"}, "limit"),
    ({"limit": "ten"}, "limit"), ({"limit": "10001"}, "limit"), ({"interval": "week"}, "interval"),
    ({"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, "to"), ({"since": "2026-03-01"}, "since"),
])
def test_a_bad_readings_parameter_is_a_400_naming_it(world, params, named):
    response = Client().get(f"{world['base']}/series/air-harbour/readings", params)
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert list(response.json()["errors"]) == [named]


def test_alerts_and_runs_are_read_only_and_follow_their_series_and_kpi(world):
    base, city, admin = world["base"], world["city"], world["admin"]
    public = m.Alert.objects.create(city=city, rule=world["rule"], series=world["harbour"], started_at=at(1, 8),
                                    raised_at=at(1, 9), trigger_value=31, peak_value=40, message="PM2.5 high",
                                    webhook_status="failed", webhook_error="connection refused")
    hidden = m.Alert.objects.create(city=city, rule=world["rule"], series=world["station"], started_at=at(1, 8),
                                    raised_at=at(1, 9), ended_at=at(1, 12), trigger_value=31, peak_value=40,
                                    message="PM2.5 high at the station",
                                    end_note="closed because the rule was deactivated")
    run = m.ComputationRun.objects.create(city=city, computation=world["computation"], period_start=date(2026, 3, 1),
                                          period_end=date(2026, 3, 31), spec_version=1, engine="duckdb", value=12.5,
                                          row_count=4, status="written")
    run2 = m.ComputationRun.objects.create(city=city, computation=world["computation2"], period_start=date(2026, 3, 1),
                                           period_end=date(2026, 3, 31), spec_version=1, engine="spark",
                                           status="no_data")
    anonymous = Client()
    rows = anonymous.get(f"{base}/alerts").json()["results"]
    assert [(a["id"], a["open"], a["webhook_status"]) for a in rows] == [(public.pk, True, None)]
    assert anonymous.get(f"{base}/alerts/{hidden.pk}").status_code == 404
    staff_rows = admin.get(f"{base}/alerts", {"open": "false"}).json()["results"]
    assert [(a["id"], a["series"], a["end_note"]) for a in staff_rows] == [
        (hidden.pk, "air-station", "closed because the rule was deactivated")]
    assert rows[0]["end_note"] == ""  # open, or ended because the condition stopped holding
    assert admin.get(f"{base}/alerts/{public.pk}").json()["webhook_error"] == "connection refused"
    assert admin.get(f"{base}/alerts", {"severity": "critical"}).json()["count"] == 2
    assert admin.get(f"{base}/alerts", {"open": "maybe"}).status_code == 400
    assert admin.post(f"{base}/alerts", "{}", content_type=JSON).status_code in (404, 405)
    assert [r["id"] for r in anonymous.get(f"{base}/computation-runs").json()["results"]] == [run.pk]
    assert anonymous.get(f"{base}/computation-runs/{run2.pk}").status_code == 404
    detail = admin.get(f"{base}/computation-runs/{run.pk}").json()
    assert detail["kpi"] == "pm25-mean" and detail["value"] == "12.500000" and detail["row_count"] == 4
    assert admin.get(f"{base}/computation-runs", {"engine": "spark"}).json()["results"][0]["id"] == run2.pk
