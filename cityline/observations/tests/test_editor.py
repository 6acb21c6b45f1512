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


def test_the_delete_page_of_a_rule_with_alerts_or_a_watched_series_says_why_at_once(world):
    """Not Django's "your account doesn't have permission to delete ... alerts" (nobody may delete alerts), nor a
    confirmation the refusal follows: the record's own reason, and no button to confirm."""
    city, r = world
    m.Alert.objects.create(city=city, rule=r["rule"], series=r["harbour"], started_at=at(1, 8), raised_at=at(1, 9),
                           trigger_value=31, peak_value=40, message="PM2.5 high")
    write_readings(city, [("trips-bus", at(1, 8), 3.0)])
    c = client(r["padmin"])
    for record, reason in ((r["rule"], "deactivate the rule instead"), (r["harbour"], "take it out of them first"),
                           (r["trips-bus"], "1 readings in the store")):
        page = c.get(reverse(f"admin:observations_{record._meta.model_name}_delete", args=[record.pk]))
        html = page.content.decode()
        assert page.status_code == 200 and reason in html, html
        assert "permission" not in html and 'name="post"' not in html and change_url(record) in html
    page = c.get(reverse("admin:observations_series_delete", args=[r["trips-all"].pk]))
    assert 'name="post"' in page.content.decode()  # nothing refuses it: Django's confirmation
    # a damaged part in the series' group: the page opens (the delete itself then says what it can), no 500
    from cityline.observations.registry import store_for

    month = store_for(city, {}).root / f"group={r['trips-bus'].group}" / "month=2026-01-01"
    month.mkdir(parents=True, exist_ok=True)
    (month / "part-20260101T000000000000-damaged.parquet").write_bytes(b"not parquet at all")
    assert c.get(reverse("admin:observations_series_delete", args=[r["trips-bus"].pk])).status_code == 200


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


def test_a_steward_deletes_with_the_action_only_the_series_of_their_organisation(world):
    """The action asks each ticked series, as the delete page does: one not the steward's and nothing is deleted."""
    from cityline.core import actions
    from cityline.core.models import Organisation

    city, r = world
    buses = actions.create(Organisation, city=city, key="buses", name="Buses", sector="private")
    other = actions.create(Organisation, city=city, key="other", name="Other", sector="private")
    common = dict(city=city, group="misc", entity_type="X", attribute="y")
    own = actions.create(m.Series, key="bus-feed", name="Bus feed", organisation=buses, **common)
    theirs = actions.create(m.Series, key="other-feed", name="Other's feed", organisation=other, **common)
    steward = get_user_model().objects.create_user("steward", password="x")
    grant(steward, "data_steward", organisation=buses, city=city)
    c = client(steward)
    assert c.get(reverse("admin:observations_series_delete", args=[theirs.pk])).status_code == 403
    page = c.post(changelist(m.Series), {"action": "delete_leaving_readings",
                                         ACTION_CHECKBOX_NAME: [str(own.pk), str(theirs.pk)]}, follow=True)
    text = " ".join(str(x) for x in page.context["messages"])
    assert "Nothing was done" in text and "Other's feed" in text and "Bus feed" not in text
    assert m.Series.objects.filter(pk__in=[own.pk, theirs.pk]).count() == 2
    page = c.post(changelist(m.Series), {"action": "delete_leaving_readings",
                                         ACTION_CHECKBOX_NAME: [str(own.pk)]}, follow=True)
    assert "1 series deleted" in " ".join(str(x) for x in page.context["messages"])
    assert not m.Series.objects.filter(pk=own.pk).exists() and m.Series.objects.filter(pk=theirs.pk).exists()


def test_the_alert_rule_form_offers_and_links_only_series_of_the_rules_city(world):
    city, r = world
    other, r2 = make_observations_city("umbra")
    c = client(r["padmin"])
    page = c.get(add_url(m.AlertRule))  # two cities, no city chosen: the programme administrator's city
    offered = page.context["adminform"].form.fields["series"].queryset
    assert {s.city_id for s in offered} == {city.pk} and offered.count() == 4
    data = form_data(page)
    data.update(city=str(city.pk), key="cross", name="Cross-city", series=[str(r2["harbour"].pk)], kind="threshold",
                comparison="above", threshold="10", duration_seconds="0", window_seconds="3600", severity="warning",
                active="on")
    refused = c.post(add_url(m.AlertRule), data)
    assert "series" in refused.context["adminform"].form.errors
    # a platform administrator is offered every city's series: the write itself refuses the other city's
    refused = client(r["platform"]).post(add_url(m.AlertRule), data)
    assert "“PM2.5 at the harbour” belongs to another city (Umbra)" in errors_of(refused)
    assert not m.AlertRule.objects.filter(key="cross").exists()


def test_the_alert_and_run_list_filters_name_only_rules_and_computations_of_the_viewers_cities(world):
    from decimal import Decimal

    from cityline.core import actions

    city, r = world
    other, r2 = make_observations_city("umbra")
    actions.update(r2["rule"], name="Umbra's rule")
    actions.create(m.AlertRule, city=city, key="station-high", name="Station high", threshold=Decimal("50"),
                   m2m={"series": [r["station"]]})
    c = client(r["padmin"])

    def named(model, path) -> set[int]:
        specs = c.get(changelist(model)).context["cl"].filter_specs
        return {pk for spec in specs if getattr(spec, "field_path", None) == path for pk, _label in spec.lookup_choices}

    lumen_rules = set(m.AlertRule.objects.filter(city=city).values_list("pk", flat=True))
    assert named(m.Alert, "rule") == lumen_rules and len(lumen_rules) == 2
    assert "Umbra&#x27;s rule" not in c.get(changelist(m.Alert)).content.decode()
    assert named(m.ComputationRun, "computation") == {r["computation"].pk, r["computation2"].pk}


def _field_errors(response, name: str) -> str:
    assert response.status_code == 200, f"expected the form again, got {response.status_code}"
    return " ".join(response.context["adminform"].form.errors.get(name, []))


def test_the_write_rules_are_shown_on_their_fields(world):
    """A group the store refuses, an entity attribute another series has, a rule the evaluator cannot run, a
    computation moved to another KPI once it has runs: refused next to the field, naming what clashes."""
    from cityline.core import actions

    city, r = world
    c = client(r["padmin"])
    data = form_data(c.get(add_url(m.Series)))
    data.update(city=str(city.pk), key="odd", name="Odd group", group="_air", entity_type="X", attribute="y")
    assert "'_air' is not a safe folder name for the store" in _field_errors(c.post(add_url(m.Series), data), "group")
    data = form_data(c.get(change_url(r["station"])))
    data["entity_id"] = "urn:ngsi-ld:AirQualityObserved:harbour"
    refused = c.post(change_url(r["station"]), data)
    assert "series air-harbour already has the entity id urn:ngsi-ld:AirQualityObserved:harbour and the attribute " \
           "pm25" in _field_errors(refused, "entity_id")
    assert "Constraint" not in errors_of(refused)
    data = form_data(c.get(change_url(r["rule"])))
    data.update(kind="rate_of_change", window_seconds="0")
    refused = c.post(change_url(r["rule"]), data)
    assert "a window of at least one second" in _field_errors(refused, "window_seconds")
    m.ComputationRun.objects.create(city=city, computation=r["computation"], period_start=date(2026, 3, 1),
                                    period_end=date(2026, 3, 31), spec_version=1, engine="duckdb", status="no_data")
    other = actions.create(type(r["kpi"]), city=city, key="pm25-new", title="New PM2.5", kind="outcome")
    data = form_data(c.get(change_url(r["computation"])))
    data["kpi"] = str(other.pk)
    refused = c.post(change_url(r["computation"]), data)
    assert "1 runs computed the KPI pm25-mean" in _field_errors(refused, "kpi")
    assert m.KpiComputation.objects.get(pk=r["computation"].pk).kpi_id == r["kpi"].pk
    assert not m.Series.objects.filter(key="odd").exists()
    assert m.AlertRule.objects.get(pk=r["rule"].pk).kind == "threshold"
