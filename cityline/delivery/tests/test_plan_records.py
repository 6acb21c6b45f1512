"""Realisation plans as records (C3.b) and the escalation list (C3.d) on the small realisation city."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from cityline.core import actions
from cityline.core.testing import make_city
from cityline.delivery.models import PlanActivity, RealisationPlan
from cityline.delivery.services import escalation_list
from cityline.delivery.testing import ON, make_delivery_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def made():
    return make_delivery_city()


def test_plan_owner_defaults_to_the_benefit_owner(made):
    _city, n, r = made
    assert r["air-plan"].owner == n["cleaner-air"].benefit_owner
    assert r["streets-plan"].owner.name == "Bo Builder"  # given explicitly
    assert r["air-plan"].review_every_days == 90
    assert r["air-plan"].next_review() == date(2025, 8, 30)
    assert r["air-plan"].review_overdue(ON) and not r["streets-plan"].review_overdue(ON)


def test_plan_is_for_an_outcome_only(made):
    city, n, _r = made
    with pytest.raises(ValidationError) as err:
        actions.create(RealisationPlan, city=city, key="lanes-plan", benefit=n["lanes"])
    assert "benefit" in err.value.message_dict
    with pytest.raises(ValidationError) as err:  # one plan per outcome
        actions.create(RealisationPlan, city=city, key="second", benefit=n["cleaner-air"])
    assert "benefit" in err.value.message_dict


def test_activity_due_not_before_start(made):
    city, _n, r = made
    with pytest.raises(ValidationError) as err:
        actions.create(PlanActivity, city=city, key="x", plan=r["air-plan"], title="X",
                       start=date(2026, 5, 1), due=date(2026, 4, 1))
    assert err.value.message_dict == {"due": ["cannot be before the start"]}


def test_self_dependency_is_refused_and_nothing_changes(made):
    _city, _n, r = made
    zones = r["zones"]
    with pytest.raises(ValidationError) as err:
        actions.update(zones, m2m={"depends_on": [r["sensors"], zones]})
    assert err.value.message_dict == {"depends_on": ["an activity cannot depend on itself"]}
    zones.refresh_from_db()
    assert [d.key for d in zones.depends_on.all()] == ["sensors"] and zones.version == 1


def test_dependency_loop_is_refused_with_the_loop_named(made):
    _city, _n, r = made
    survey = r["survey"]  # sensors → survey, zones → sensors, barriers → zones
    with pytest.raises(ValidationError) as err:
        actions.update(survey, m2m={"depends_on": [r["barriers"]]})
    assert err.value.message_dict == {
        "depends_on": ["these dependencies would loop: barriers → zones → sensors → survey → barriers"]}
    assert list(survey.depends_on.all()) == []
    # the reverse side is checked too
    with pytest.raises(ValidationError):
        r["barriers"].required_by.add(survey)


def test_dependency_stays_in_its_city(made):
    _city, _n, r = made
    other_city, n2, r2 = make_delivery_city("elsewhere")
    with pytest.raises(ValidationError) as err:
        actions.update(r["zones"], m2m={"depends_on": [r2["survey"]]})
    assert "depends_on" in err.value.message_dict


def test_escalation_list_names_owners_causes_kpis_actions_and_risks(made):
    city, _n, _r = made
    data = escalation_list(city, ON)
    rows = {row["node"]: row for row in data["escalations"]}
    # quiet-streets is off track through its own (unpublished) KPI, so it comes first
    assert [row["node"] for row in data["escalations"]] == ["quiet-streets", "cleaner-air", "more-cycling"]
    quiet = rows["quiet-streets"]
    assert (quiet["status"], quiet["cause"], quiet["owners"]) == ("off_track", "own", [])
    assert [k["kpi"] for k in quiet["kpis"]] == ["noise"] and quiet["kpis"][0]["status"] == "off_track"
    assert [a["key"] for a in quiet["actions"]] == ["barriers"]
    assert quiet["actions"][0]["waiting_for"] == ["zones"] and not quiet["actions"][0]["overdue"]

    air = rows["cleaner-air"]
    assert (air["status"], air["cause"], air["owners"]) == ("at_risk", "upstream", ["Ada Owner"])
    assert air["path"] == ["lanes", "mobility-data", "more-cycling", "cleaner-air"]
    assert air["path_titles"] == ["lanes", "mobility data", "more cycling", "cleaner air"]
    # its own KPI, then the KPIs along the path back to the cause
    assert [k["kpi"] for k in air["kpis"]] == ["no2", "cycling-share", "lanes-built"]
    assert {k["kpi"]: k["status"] for k in air["kpis"]}["lanes-built"] == "off_track"
    assert all(k["forecast"] for k in air["kpis"])
    # open actions only, dependencies first; the overdue one is flagged
    assert [(a["key"], a["overdue"], a["days_overdue"]) for a in air["actions"]] == [
        ("sensors", True, 60), ("zones", False, 0)]
    assert air["actions"][1]["waiting_for"] == ["sensors"]
    assert air["plan"] == "air-plan" and air["plan_review_overdue"] is True
    # the live risk on an upstream node; the closed one is left out
    assert [(k["key"], k["score"], k["threatens"]) for k in air["risks"]] == [("data-sharing", 12, ["lanes"])]
    assert rows["more-cycling"]["plan"] is None and rows["more-cycling"]["actions"] == []
    assert data["counts"]["off_track"] == 2 and sum(data["counts"].values()) == 4


def test_escalation_list_for_the_public_leaves_unpublished_kpis_out(made):
    city, _n, _r = made
    data = escalation_list(city, ON, published_only=True)
    rows = {row["node"]: row for row in data["escalations"]}
    # without its unpublished KPI, quiet-streets is only at risk through the lanes upstream
    assert (rows["quiet-streets"]["status"], rows["quiet-streets"]["cause"]) == ("at_risk", "upstream")
    assert [row["node"] for row in data["escalations"]] == ["cleaner-air", "more-cycling", "quiet-streets"]
    assert all(k["kpi"] != "noise" for row in data["escalations"] for k in row["kpis"])
    assert sum(data["counts"].values()) == 3
