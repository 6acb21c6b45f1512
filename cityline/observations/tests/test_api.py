"""Observations in the API: CRUD of series, KPI computations and alert rules by staff (versions, 409, rules of
services.py), read-only alerts and computation runs, and the readings of a series raw and as hourly or daily means,
public series for everyone and the others for staff only; a bad query parameter is a 400 naming it."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cityline.accounts.testing import grant
from cityline.core import actions
from cityline.observations import models as m
from cityline.observations.api import WITHHELD
from cityline.observations.compute import compute_computation
from cityline.observations.tests.records_world import MEAN_SPEC, at, make_observations_city, write_readings
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


def test_a_runs_values_per_group_show_no_series_that_is_not_public(world):
    """Grouped by series, anyone reads the values of the public series only; grouped by district, the values
    only when every series the spec selects is public (a district's value may be one hidden series' own).
    Staff read them all; a run of an earlier spec version shows anyone none."""
    base, city, admin, anonymous = world["base"], world["city"], world["admin"], Client()
    write_readings(city, [("air-harbour", at(2, 8), 10.0), ("air-station", at(2, 8), 77.25)])

    def compute(spec):
        computation = m.KpiComputation.objects.get(pk=world["computation"].pk)
        actions.update(computation, spec=spec)
        compute_computation(m.KpiComputation.objects.get(pk=computation.pk), today=date(2026, 4, 2))
        return m.ComputationRun.objects.filter(computation=computation).latest("pk").pk

    def groups(client, pk) -> dict:
        listed = {r["id"]: r["detail"] for r in client.get(f"{base}/computation-runs").json()["results"]}
        assert client.get(f"{base}/computation-runs/{pk}").json()["detail"] == listed[pk]
        return listed[pk] if listed[pk] == WITHHELD else {g["group"]: g["value"] for g in json.loads(listed[pk])}

    per_series = compute({**MEAN_SPEC, "group_by": "series", "combine": "mean"})
    assert groups(anonymous, per_series) == {"air-harbour": 10.0}
    assert groups(admin, per_series) == {"air-harbour": 10.0, "air-station": 77.25}
    per_district = compute(MEAN_SPEC)  # the station is alone in its district, Centre
    assert groups(anonymous, per_district) == WITHHELD
    assert groups(admin, per_district) == {"Harbour": 10.0, "Centre": 77.25}
    assert groups(anonymous, per_series) == WITHHELD  # the spec has changed since
    actions.update(m.Series.objects.get(pk=world["station"].pk), public=True)
    assert groups(anonymous, per_district) == {"Harbour": 10.0, "Centre": 77.25}
    assert "77.25" in Client().get(f"{base}/computation-runs/{per_district}").json()["detail"]
    actions.update(m.Series.objects.get(pk=world["station"].pk), public=False)
    assert all("77.25" not in r["detail"] for r in anonymous.get(f"{base}/computation-runs").json()["results"])


def test_readings_left_by_a_deleted_series_are_not_those_of_its_key_in_another_group(world):
    """Readings of a key under another group than its series' (a deleted series' left there: services.py refuses
    such a key now, but a store may hold them from before) are not the series' own."""
    from cityline.observations.registry import store_for
    from cityline.observations.store import ObservationStore

    base, city = world["base"], world["city"]
    actions.create(m.Series, city=city, key="noise-station", name="Noise at the station", group="noise",
                   entity_type="NoiseLevelObserved", attribute="LAeq", unit="dB", public=True)
    left = [{"series": "noise-station", "time": at(1, 8), "value": 99.0}]
    ObservationStore(store_for(city).root, lambda _series: "air").write(left)
    for params in ({}, {"interval": "hour"}, {"from": "2026-03-01T00:00:00Z", "to": "2026-03-02T00:00:00Z"}):
        response = Client().get(f"{base}/series/noise-station/readings", params)
        assert response.status_code == 200 and response.json()["results"] == [], params
    write_readings(city, [("noise-station", at(1, 9), 55.0)])
    assert [r["value"] for r in Client().get(f"{base}/series/noise-station/readings").json()["results"]] == [55.0]


def test_reading_times_keep_their_microseconds(world):
    """Django's JSON encoder cuts times to milliseconds: two readings 0.8 ms apart would show the same time."""
    base, client, t = world["base"], Client(), at(1, 8)
    write_readings(world["city"], [
        ("air-harbour", t, 1.0), ("air-harbour", t + timedelta(microseconds=100), 2.0),
        ("air-harbour", t + timedelta(microseconds=900), 3.0), ("air-harbour", t + timedelta(milliseconds=5), 4.0),
        ("air-harbour", datetime(2026, 4, 1, tzinfo=timezone.utc), 5.0)])
    body = client.get(f"{base}/series/air-harbour/readings", {"to": "2026-04-01T00:00:00Z"}).json()
    assert [r["time"] for r in body["results"]] == [
        "2026-03-01T08:00:00Z", "2026-03-01T08:00:00.000100Z", "2026-03-01T08:00:00.000900Z",
        "2026-03-01T08:00:00.005Z"]
    assert body["end"] == "2026-04-01T00:00:00Z"
    page = client.get(f"{base}/series/air-harbour/readings", {"from": "2026-03-01T08:00:00.0001Z", "limit": "1"})
    assert page.json()["start"] == "2026-03-01T08:00:00.000100Z"
    assert [r["value"] for r in page.json()["results"]] == [2.0]
    following = client.get(page.json()["next"].replace("http://testserver", "")).json()
    assert [r["time"] for r in following["results"]] == ["2026-03-01T08:00:00.000900Z"]
    late = {"from": "2026-03-31T00:00:00Z", "to": "2026-04-01T00:00:00.000001Z"}  # the next month's files too
    assert [r["value"] for r in client.get(f"{base}/series/air-harbour/readings", late).json()["results"]] == [5.0]
    assert client.get(f"{base}/series/air-harbour/readings", {"to": "0001-01-01T00:00:00Z"}).json()["results"] == []
    hourly = client.get(f"{base}/series/air-harbour/readings", {"interval": "hour"}).json()["results"]
    assert [(r["time"], r["count"]) for r in hourly] == [("2026-03-01T08:00:00Z", 4), ("2026-04-01T00:00:00Z", 1)]


def test_the_write_rules_answer_with_the_field_or_the_record_in_use(world):
    """Rules of services.py and the models through the API: 422 naming the field, 409 for a rule with alerts."""
    base, admin, city = world["base"], world["admin"], world["city"]

    def refused(response, field):
        assert response.status_code == 422, response.content
        return " ".join(response.json()["errors"][field])

    jump = {"key": "jump", "name": "Jump", "series": ["air-harbour"], "kind": "rate_of_change", "threshold": "5",
            "window_seconds": 0}
    assert "a window of at least one second" in refused(
        admin.post(f"{base}/alert-rules", json.dumps(jump), content_type=JSON), "window_seconds")
    for series in ([], None):
        body = {**jump, "window_seconds": 600, "series": series}
        if series is None:
            del body["series"]
        assert "choose at least one series" in refused(
            admin.post(f"{base}/alert-rules", json.dumps(body), content_type=JSON), "series")
    assert "choose at least one series" in refused(admin.patch(
        f"{base}/alert-rules/pm25-high", json.dumps({"series": []}), content_type=JSON, HTTP_IF_MATCH='"1"'), "series")
    assert not m.AlertRule.objects.filter(key="jump").exists()
    series = {"key": "odd", "name": "Odd", "group": "-air", "entity_type": "AirQualityObserved", "attribute": "pm25"}
    assert "not a safe folder name for the store" in refused(
        admin.post(f"{base}/series", json.dumps(series), content_type=JSON), "group")
    series.update(group="air", entity_id="urn:ngsi-ld:AirQualityObserved:harbour")
    assert "series air-harbour already has the entity id" in refused(
        admin.post(f"{base}/series", json.dumps(series), content_type=JSON), "entity_id")
    # a computation with runs keeps its KPI
    from cityline.benefits.models import Kpi
    from cityline.core import actions

    actions.create(Kpi, city=city, key="pm25-new", title="New PM2.5", kind="outcome", published=True)
    m.ComputationRun.objects.create(city=city, computation=world["computation"], period_start=date(2026, 3, 1),
                                    period_end=date(2026, 3, 31), spec_version=1, engine="duckdb", status="no_data")
    assert "Create a new computation for that KPI instead" in refused(admin.patch(
        f"{base}/kpi-computations/{world['computation'].pk}", json.dumps({"kpi": "pm25-new"}), content_type=JSON,
        HTTP_IF_MATCH='"1"'), "kpi")
    # a rule with alerts is deactivated, not deleted
    m.Alert.objects.create(city=city, rule=world["rule"], series=world["harbour"], started_at=at(2, 8),
                           raised_at=at(2, 9), trigger_value=31.0, peak_value=44.0, message="PM2.5 above 25")
    response = admin.delete(f"{base}/alert-rules/pm25-high", HTTP_IF_MATCH='"1"')
    assert response.status_code == 409, response.content
    assert "pm25-high has 1 alerts in its history (1 open)" in response.json()["detail"]
    assert m.Alert.objects.filter(rule__key="pm25-high").count() == 1
