"""The observations editor: series, KPI specs edited as JSON with problems named by path, alert rules with their
series, read-only alerts, runs, quarantine (platform administrators) and NGSI-LD entities."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from cityline.accounts.testing import grant
from cityline.core.tests.test_editor import add_url, change_url, errors_of, form_data
from cityline.observations import models as m
from cityline.observations.tests.records_world import at, make_observations_city, write_readings
from cityline.observations.tests.records_world import own_store  # noqa: F401 (a fixture: each test its own store)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    city, r = make_observations_city()
    User = get_user_model()
    r["padmin"] = User.objects.create_user("padmin", password="x")
    grant(r["padmin"], "programme_admin", city=city)
    r["platform"] = User.objects.create_user("platform", password="x")
    grant(r["platform"], "platform_admin")
    return city, r


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def test_series_list_filters_and_search(world):
    city, r = world
    c = client(r["padmin"])
    page = c.get(changelist(m.Series), {"group": "mobility"})
    assert page.status_code == 200
    assert [o.key for o in page.context["cl"].result_list] == ["trips-all", "trips-bus"]
    page = c.get(changelist(m.Series), {"q": "harbour"})
    assert [o.key for o in page.context["cl"].result_list] == ["air-harbour"]
    page = c.get(changelist(m.Series), {"public__exact": "0"})
    assert [o.key for o in page.context["cl"].result_list] == ["air-station"]


def test_a_spec_is_edited_as_json_and_a_problem_names_its_path(world):
    city, r = world
    c = client(r["padmin"])
    page = c.get(change_url(r["computation"]))
    data = form_data(page)
    assert json.loads(data["spec"]) == r["computation"].spec
    data["spec"] = json.dumps({"value": {"series": {"group": "air"}, "function": "mean", "percentile": 0.5}})
    refused = c.post(change_url(r["computation"]), data)
    assert "value.percentile: only for the function percentile" in errors_of(refused)
    data["spec"] = "{\"value\": "
    refused = c.post(change_url(r["computation"]), data)
    assert "not JSON" in errors_of(refused)
    r["computation"].refresh_from_db()
    assert r["computation"].spec_version == 1 and r["computation"].version == 1
    data["spec"] = json.dumps({"value": {"series": {"group": "air"}, "function": "percentile", "percentile": 0.98}})
    done = c.post(change_url(r["computation"]), data)
    assert done.status_code == 302, errors_of(done)
    r["computation"].refresh_from_db()
    assert r["computation"].spec["value"]["percentile"] == 0.98 and r["computation"].spec_version == 2


def test_a_computation_shows_its_recent_runs(world):
    city, r = world
    m.ComputationRun.objects.create(city=city, computation=r["computation"], period_start=date(2026, 3, 1),
                                    period_end=date(2026, 3, 31), spec_version=1, engine="duckdb", value=17.25,
                                    row_count=4321, status="written")
    page = client(r["padmin"]).get(change_url(r["computation"]))
    html = page.content.decode()
    assert "2026-03-31" in html and "4321" in html and "17.25" in html


def test_an_alert_rule_takes_its_series_and_a_watched_series_is_not_deleted(world):
    city, r = world
    c = client(r["padmin"])
    page = c.get(add_url(m.AlertRule))
    assert page.status_code == 200 and "selectfilter" in page.content.decode().lower()
    data = form_data(page)
    data.update(key="traffic-drop", name="Traffic drops", series=[str(r["trips-all"].pk)], kind="rate_of_change",
                comparison="below", threshold="-500", window_seconds="900", severity="warning", active="on")
    done = c.post(add_url(m.AlertRule), data)
    assert done.status_code == 302, errors_of(done)
    rule = m.AlertRule.objects.get(key="traffic-drop")
    assert list(rule.series.values_list("key", flat=True)) == ["trips-all"]
    delete = reverse("admin:observations_series_delete", args=[r["trips-all"].pk])
    c.post(delete, {"post": "yes"}, follow=True)
    assert m.Series.objects.filter(key="trips-all").exists()


def test_a_series_with_readings_goes_only_by_the_action_that_leaves_them(world):
    city, r = world
    write_readings(city, [("trips-bus", at(1, 8), 3.0)])
    c = client(r["padmin"])
    delete = reverse("admin:observations_series_delete", args=[r["trips-bus"].pk])
    page = c.post(delete, {"post": "yes"}, follow=True)
    assert "1 readings in the store" in page.content.decode()
    assert m.Series.objects.filter(key="trips-bus").exists()
    page = c.post(changelist(m.Series), {"action": "delete_leaving_readings",
                                         ACTION_CHECKBOX_NAME: [str(r["trips-bus"].pk)]}, follow=True)
    assert page.status_code == 200
    assert not m.Series.objects.filter(key="trips-bus").exists()
    from cityline.observations.registry import store_for

    assert store_for(city, {}).query("SELECT count(*) FROM observations WHERE series = 'trips-bus'") == [(1,)]


def test_the_logs_are_read_only_and_quarantine_is_for_platform_administrators(world):
    city, r = world
    alert = m.Alert.objects.create(city=city, rule=r["rule"], series=r["harbour"], started_at=at(1, 8),
                                   raised_at=at(1, 9), trigger_value=31, peak_value=40, message="PM2.5 high")
    closed = m.Alert.objects.create(city=city, rule=r["rule"], series=r["station"], started_at=at(1, 8),
                                    raised_at=at(1, 9), ended_at=at(1, 11), trigger_value=31, peak_value=40,
                                    message="PM2.5 high at the station")
    q = m.QuarantinedMessage.objects.create(city=city, source="mqtt", origin="city/air", payload="{", reason="not JSON",
                                            received_at=at(2))
    entity = m.NgsiEntity.objects.create(city=city, entity_id="urn:ngsi-ld:AirQualityObserved:x",
                                         entity_type="AirQualityObserved", body={"id": "x"}, created_at=at(2),
                                         modified_at=at(2))
    c = client(r["padmin"])
    page = c.get(changelist(m.Alert), {"open": "yes"})
    assert [a.pk for a in page.context["cl"].result_list] == [alert.pk]
    page = c.get(changelist(m.Alert), {"open": "no"})
    assert [a.pk for a in page.context["cl"].result_list] == [closed.pk]
    page = c.get(change_url(alert))
    assert page.status_code == 200 and 'name="message"' not in page.content.decode()
    assert c.post(change_url(alert), {"message": "changed"}).status_code == 403
    assert c.get(add_url(m.Alert)).status_code == 403
    assert c.get(change_url(entity)).status_code == 200
    assert c.get(changelist(m.QuarantinedMessage)).status_code == 403
    assert client(r["platform"]).get(change_url(q)).status_code == 200
    assert m.Alert.objects.get(pk=alert.pk).message == "PM2.5 high"
