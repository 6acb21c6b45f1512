"""Status and forecast of a stored city's KPIs, and their propagation along the benefit map (C2, C3.d)."""

from datetime import date

import pytest

from cityline.benefits import realisation
from cityline.benefits.testing import make_realisation_city

pytestmark = pytest.mark.django_db
ON = date(2026, 6, 30)


def test_each_kpi_gets_status_and_forecast():
    city, _ = make_realisation_city()
    r = realisation.realisation(city, ON)
    status = {k.key: k.status.status for k in r.kpis}
    assert status == {"lanes-built": "off_track", "cycling-share": "on_track", "no2": "on_track",
                      "noise": "off_track"}
    lanes = r.kpi("lanes-built").forecast
    assert lanes.outcome == "misses" and lanes.target_value == 110
    assert r.counts()["off_track"] == 2 and sum(r.counts().values()) == 4


def test_an_off_track_leading_indicator_puts_the_outcomes_downstream_at_risk_with_the_path():
    city, _ = make_realisation_city()
    nodes = realisation.realisation(city, ON).nodes
    assert nodes["lanes"].status == "off_track" and nodes["lanes"].cause == "own"
    air = nodes["cleaner-air"]
    assert air.own == "on_track" and air.status == "at_risk" and air.cause == "upstream"
    assert air.risk.path == ("lanes", "mobility-data", "more-cycling", "cleaner-air")
    assert nodes["environment"].status == "at_risk"
    # upstream of the cause, and outputs, are not outcomes: nothing propagates to them
    assert nodes["bikes"].status is None and nodes["mobility-data"].status is None


def test_the_public_face_leaves_unpublished_kpis_out():
    city, _ = make_realisation_city()
    staff = realisation.realisation(city, ON)
    public = realisation.realisation(city, ON, published_only=True)
    assert "noise" in [k.key for k in staff.kpis] and "noise" not in [k.key for k in public.kpis]
    assert staff.nodes["quiet-streets"].own == "off_track"
    assert public.nodes["quiet-streets"].own is None and public.nodes["quiet-streets"].status == "at_risk"


def test_escalations_list_off_track_and_at_risk_outcomes_worst_first():
    city, _ = make_realisation_city()
    esc = realisation.realisation(city, ON).escalations()
    assert [(n.key, n.status) for n in esc] == [("quiet-streets", "off_track"), ("cleaner-air", "at_risk"),
                                                  ("more-cycling", "at_risk")]


def test_status_is_replayable_on_a_past_date():
    city, _ = make_realisation_city()
    r = realisation.realisation(city, date(2019, 6, 30))
    assert {k.status.status for k in r.kpis} == {"no_data"}
    assert not r.escalations()


def test_owners_of_a_node_are_its_own_or_those_of_the_end_outcomes_it_feeds():
    city, _ = make_realisation_city()
    owners = realisation.node_owners(city)
    assert [p.name for p in owners["cleaner-air"]] == ["Ada Owner"]
    assert [p.name for p in owners["lanes"]] == ["Ada Owner"]      # feeds cleaner-air (owned) and quiet-streets (not)
    assert owners["quiet-streets"] == [] and owners["environment"] == []
