"""The write rules of the observations records (services.py), whichever face writes: a spec's version follows its
changes; a series keeps its group and key once it has readings; a series is not deleted while alert rules name it
or while it has readings, unless asked to leave them in the store; a city goes with all of it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cityline.core import actions
from cityline.core.models import City
from cityline.observations import models as m
from cityline.observations import services
from cityline.observations.registry import store_for
from cityline.observations.tests.records_world import at, make_observations_city, write_readings
from cityline.observations.tests.records_world import own_store  # noqa: F401 (a fixture: each test its own store)

pytestmark = pytest.mark.django_db


def test_the_spec_version_counts_changes_of_the_spec_only():
    city, r = make_observations_city()
    c = r["computation"]
    assert c.spec_version == 1
    actions.update(c, active=False)
    assert c.spec_version == 1 and c.version == 2
    actions.update(c, spec={**c.spec, "combine": "mean"})
    assert c.spec_version == 2
    actions.update(c, spec={**c.spec, "scale": 1.0}, spec_version=99)  # the caller cannot set it
    assert m.KpiComputation.objects.get(pk=c.pk).spec_version == 3
    # the same spec with its keys in another order and 1 for 1.0 is the same spec
    actions.update(c, spec={k: c.spec[k] for k in reversed(list(c.spec))} | {"scale": 1})
    assert m.KpiComputation.objects.get(pk=c.pk).spec_version == 3
    new = actions.create(m.KpiComputation, city=city, kpi=actions.create(
        type(r["kpi"]), city=city, key="other", title="Other", kind="outcome"), spec=c.spec, spec_version=7)
    assert new.spec_version == 1


def test_a_series_keeps_its_group_and_key_once_it_has_readings():
    city, r = make_observations_city()
    station = r["station"]
    actions.update(station, group="air-quality")  # no readings yet: free to move
    actions.update(station, group="air")
    write_readings(city, [("air-station", at(1, 8), 12.0), ("air-station", at(2, 8), 13.0)])
    with pytest.raises(ValidationError) as caught:
        actions.update(m.Series.objects.get(pk=station.pk), group="air-quality")
    assert "2 readings are stored under group air and key air-station" in caught.value.message_dict["group"][0]
    with pytest.raises(ValidationError) as caught:
        actions.update(m.Series.objects.get(pk=station.pk), key="air-centre")
    assert "key" in caught.value.message_dict
    stored = m.Series.objects.get(pk=station.pk)
    assert (stored.group, stored.key, stored.version) == ("air", "air-station", 3)
    # other fields still change
    actions.update(stored, name="PM2.5 at the central station")
    # a reading of another series of the group does not count
    write_readings(city, [("air-harbour", at(1, 8), 12.0)])
    assert services.readings_count(r["harbour"]) == 1


def test_a_series_is_not_deleted_while_rules_watch_it_or_it_has_readings():
    city, r = make_observations_city()
    with pytest.raises(ValidationError, match="watched by the alert rules pm25-high"):
        actions.delete(r["station"])
    actions.update(r["rule"], m2m={"series": [r["harbour"]]})
    write_readings(city, [("air-station", at(1, 8), 12.0)])
    with pytest.raises(ValidationError, match="air-station has 1 readings in the store"):
        actions.delete(m.Series.objects.get(pk=r["station"].pk))
    with pytest.raises(ValidationError, match="watched by the alert rules"):
        services.delete_series(r["harbour"], forget_readings=True)
    services.delete_series(m.Series.objects.get(pk=r["station"].pk), forget_readings=True)
    assert not m.Series.objects.filter(key="air-station").exists()
    # the readings stay in the store, and come back with a series of the same key and group
    assert store_for(city, {}).query("SELECT count(*) FROM observations WHERE series = 'air-station'") == [(1,)]
    actions.create(m.Series, city=city, key="air-station", name="Again", group="air", entity_type="AirQualityObserved",
                   attribute="pm25")
    assert services.readings_count(m.Series.objects.get(key="air-station")) == 1
    # a series without readings or rules goes at once
    actions.delete(r["trips-bus"])


def test_a_series_with_alerts_in_its_history_is_not_deleted():
    """Deleting it would delete its alerts (Alert.series cascades): the alert history is open data."""
    city, r = make_observations_city()
    m.Alert.objects.create(city=city, rule=r["rule"], series=r["station"], started_at=at(1, 8), raised_at=at(1, 9),
                           ended_at=at(1, 10), trigger_value=30.0, peak_value=35.0, message="PM2.5 high")
    actions.update(r["rule"], m2m={"series": [r["harbour"]]})  # no rule watches it any more
    for delete in (lambda s: actions.delete(s), lambda s: services.delete_series(s, forget_readings=True)):
        with pytest.raises(ValidationError, match="air-station has 1 alerts in its history"):
            delete(m.Series.objects.get(pk=r["station"].pk))
    assert m.Alert.objects.filter(series=r["station"]).count() == 1
    City.objects.get(pk=city.pk).delete()  # a whole city goes with all of it
    assert not m.Alert.objects.exists()


def test_a_key_whose_readings_a_deleted_series_left_in_another_group_is_not_taken_there():
    """Every reader takes a series' readings by key: under another group they would be read as the new series'."""
    city, r = make_observations_city()
    actions.update(r["rule"], m2m={"series": [r["harbour"]]})
    write_readings(city, [("air-station", at(1, 8), 99.0)])
    services.delete_series(m.Series.objects.get(pk=r["station"].pk), forget_readings=True)
    fields = dict(city=city, name="Noise at the station", entity_type="NoiseLevelObserved", attribute="LAeq")
    with pytest.raises(ValidationError) as caught:
        actions.create(m.Series, key="air-station", group="noise", **fields)
    assert caught.value.message_dict["key"] == [
        "1 readings of an earlier series with the key air-station are stored under group air: a series of group "
        "noise with this key would read them as its own. Choose another key, or the group air."]
    assert not m.Series.objects.filter(key="air-station").exists()
    # nor by renaming a series of another group, or moving one to another group
    noise = actions.create(m.Series, key="noise-station", group="noise", **fields)
    with pytest.raises(ValidationError, match="stored under group air"):
        actions.update(noise, key="air-station")
    # another key is free; the same key in the old group brings the readings back
    assert m.Series.objects.get(pk=noise.pk).key == "noise-station"
    again = actions.create(m.Series, key="air-station", group="air", **{**fields, "attribute": "pm25"})
    assert services.readings_count(again) == 1


def test_a_city_goes_with_its_series_rules_and_readings_descriptions():
    city, r = make_observations_city()
    write_readings(city, [("air-station", at(1, 8), 12.0)])
    actions.delete(City.objects.get(pk=city.pk))
    assert not m.Series.objects.exists() and not m.AlertRule.objects.exists()


def _alerts(city, r) -> tuple[m.Alert, m.Alert]:
    """A closed alert of the rule pm25-high (its history) and an open one."""
    closed = m.Alert.objects.create(city=city, rule=r["rule"], series=r["harbour"], started_at=at(1, 8),
                                    raised_at=at(1, 9), ended_at=at(1, 10), trigger_value=30.0, peak_value=35.0,
                                    message="PM2.5 above 25")
    still_open = m.Alert.objects.create(city=city, rule=r["rule"], series=r["station"], started_at=at(2, 8),
                                        raised_at=at(2, 9), trigger_value=31.0, peak_value=44.0,
                                        message="PM2.5 above 25")
    return closed, still_open


def test_a_rule_with_alerts_is_not_deleted_but_deactivated(monkeypatch):
    from cityline.observations import webhook

    sent = []
    monkeypatch.setattr(webhook, "schedule", lambda alert, event: sent.append((alert.pk, event)))
    city, r = make_observations_city()
    closed, still_open = _alerts(city, r)
    with pytest.raises(ValidationError, match=r"alert rule pm25-high has 2 alerts in its history \(1 open\).*"
                                              r"deactivate the rule instead"):
        actions.delete(r["rule"])
    assert m.AlertRule.objects.filter(pk=r["rule"].pk).exists() and m.Alert.objects.count() == 2
    # deactivated, its open alert is closed (with the webhook's "closed") and the history stays
    actions.update(m.AlertRule.objects.get(pk=r["rule"].pk), active=False)
    assert sent == [(still_open.pk, "closed")]
    assert m.Alert.objects.get(pk=still_open.pk).ended_at is not None
    with pytest.raises(ValidationError, match=r"2 alerts in its history \(0 open\)"):
        actions.delete(m.AlertRule.objects.get(pk=r["rule"].pk))
    # a rule that never raised an alert goes at once
    quiet = actions.create(m.AlertRule, city=city, key="quiet", name="Quiet", threshold=1,
                           m2m={"series": [r["harbour"]]})
    actions.delete(quiet)
    # a city goes with its rules and their alerts
    actions.delete(City.objects.get(pk=city.pk))
    assert not m.AlertRule.objects.exists() and not m.Alert.objects.exists()


def test_a_computation_keeps_its_kpi_once_it_has_runs():
    city, r = make_observations_city()
    other = actions.create(type(r["kpi"]), city=city, key="pm25-other", title="Other PM2.5", kind="outcome")
    c = actions.update(r["computation"], kpi=other)  # no runs yet: free to move
    c = actions.update(c, kpi=r["kpi"])
    m.ComputationRun.objects.create(city=city, computation=c, period_start=at(1).date(), period_end=at(31).date(),
                                    spec_version=1, engine="duckdb", status="no_data")
    with pytest.raises(ValidationError) as caught:
        actions.update(m.KpiComputation.objects.get(pk=c.pk), kpi=other)
    assert "1 runs computed the KPI pm25-mean" in caught.value.message_dict["kpi"][0]
    assert "Create a new computation for that KPI instead" in caught.value.message_dict["kpi"][0]
    stored = m.KpiComputation.objects.get(pk=c.pk)
    assert stored.kpi == r["kpi"] and stored.version == 3
    actions.update(stored, active=False)  # other fields still change


@pytest.mark.parametrize("fields,named,words", [
    ({"kind": "rate_of_change", "window_seconds": 0}, "window_seconds", "a window of at least one second"),
    ({"kind": "threshold", "comparison": "sideways"}, "comparison", "not a valid choice"),
    ({"kind": "rate_of_change", "duration_seconds": -1}, "duration_seconds", "greater than or equal to 0"),
])
def test_an_alert_rule_is_one_the_evaluator_can_run(fields, named, words):
    city, r = make_observations_city()
    with pytest.raises(ValidationError) as caught:
        actions.create(m.AlertRule, city=city, key="jump", name="Jump", threshold=5, m2m={"series": [r["harbour"]]},
                       **fields)
    assert list(caught.value.message_dict) == [named] and words in caught.value.message_dict[named][0]
    assert len(caught.value.message_dict[named]) == 1
    with pytest.raises(ValidationError):
        actions.update(m.AlertRule.objects.get(pk=r["rule"].pk), **fields)
    # a threshold rule does not use its window
    actions.update(m.AlertRule.objects.get(pk=r["rule"].pk), window_seconds=0)


def test_an_alert_rule_watches_at_least_one_series():
    city, r = make_observations_city()
    for m2m in ({"series": []}, None):
        with pytest.raises(ValidationError) as caught:
            actions.create(m.AlertRule, city=city, key="nothing", name="Watches nothing", threshold=5, m2m=m2m)
        assert "choose at least one series" in caught.value.message_dict["series"][0]
    assert not m.AlertRule.objects.filter(key="nothing").exists()
    with pytest.raises(ValidationError, match="choose at least one series"):
        actions.update(r["rule"], m2m={"series": []})
    rule = m.AlertRule.objects.get(pk=r["rule"].pk)
    assert rule.series.count() == 2
    actions.update(rule, name="PM2.5 high")  # a write that leaves the series alone
    actions.update(rule, m2m={"series": [r["harbour"]]})
    assert list(rule.series.values_list("key", flat=True)) == ["air-harbour"]


@pytest.mark.parametrize("group", ["_air", "-air", "air quality", "ai/r"])
def test_a_series_group_is_a_folder_name_the_store_accepts(group):
    city, r = make_observations_city()
    with pytest.raises(ValidationError) as caught:
        actions.create(m.Series, city=city, key="odd", name="Odd", group=group, entity_type="X", attribute="y")
    assert any("is not a safe folder name for the store" in text for text in caught.value.message_dict["group"])
    with pytest.raises(ValidationError, match="not a safe folder name"):
        actions.update(m.Series.objects.get(pk=r["trips-bus"].pk), group=group)


def test_a_series_group_the_model_accepts_is_one_the_store_accepts():
    city, r = make_observations_city()
    for group in ("air_2", "air-quality", "2air", "A"):
        actions.create(m.Series, city=city, key=f"s-{group.lower()}", name="S", group=group, entity_type="X",
                       attribute="y")
        write_readings(city, [(f"s-{group.lower()}", at(1, 8), 1.0)])
    assert services.readings_count(m.Series.objects.get(key="s-air_2")) == 1


def test_a_second_series_of_an_entity_attribute_names_the_first():
    city, r = make_observations_city()
    with pytest.raises(ValidationError) as caught:
        actions.update(r["station"], entity_id="urn:ngsi-ld:AirQualityObserved:harbour")
    assert caught.value.message_dict == {"entity_id": [
        "series air-harbour already has the entity id urn:ngsi-ld:AirQualityObserved:harbour and the attribute "
        "pm25: a series is one attribute of an entity. Give another entity id or attribute, or change that series."]}
    with pytest.raises(ValidationError, match="series air-harbour already has the entity id"):
        actions.create(m.Series, city=city, key="air-harbour-2", name="Again", group="air",
                       entity_type="AirQualityObserved", entity_id="urn:ngsi-ld:AirQualityObserved:harbour",
                       attribute="pm25")
    # another attribute of the entity, or no entity id, is another series
    actions.update(m.Series.objects.get(pk=r["station"].pk), entity_id="urn:ngsi-ld:AirQualityObserved:harbour",
                   attribute="pm10")
    actions.update(r["harbour"], name="PM2.5 at the harbour quay")  # saving the series itself is no clash
