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


def test_a_city_goes_with_its_series_rules_and_readings_descriptions():
    city, r = make_observations_city()
    write_readings(city, [("air-station", at(1, 8), 12.0)])
    actions.delete(City.objects.get(pk=city.pk))
    assert not m.Series.objects.exists() and not m.AlertRule.objects.exists()
