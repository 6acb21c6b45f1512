"""Continuity of assets and services when partners change (B2.f)."""

import pytest
from django.core.exceptions import ValidationError

from cityline.core import actions, continuity
from cityline.core.domain.continuity import continuity_findings, successor_chain
from cityline.core.models import Document, Organisation
from cityline.core.testing import make_city, make_organisation, make_person


def org(name, lifecycle="active", successor=None):
    return {"name": name, "lifecycle": lifecycle, "successor": successor}


def test_successor_chain_follows_and_detects_loops():
    assert successor_chain("a", {"a": "b", "b": "c", "c": None}) == (["b", "c"], False)
    assert successor_chain("a", {"a": "b", "b": "a"}) == (["b"], True)
    assert successor_chain("a", {}) == ([], False)


def test_findings_name_missing_and_broken_hand_overs():
    orgs = {
        "trust": org("Port Trust", "dissolved"),                      # no successor, still relied on
        "agency": org("Energy Agency", "merged", successor="old-co"),  # hands over to a dissolved body
        "old-co": org("Old Co", "dissolved"),
        "fine": org("Fine Ltd", "merged", successor="council"),
        "council": org("Council"),
        "idle": org("Idle Club", "dissolved"),                       # nothing relies on it: no finding
    }
    relying = {"trust": ["contract: Harbour sensors"], "agency": ["document: Heat plan"]}
    findings = {f.organisation: f for f in continuity_findings(orgs, relying)}
    assert set(findings) == {"trust", "agency"}
    assert findings["trust"].problem == "no_successor" and findings["trust"].dependants == ("contract: Harbour sensors",)
    assert "Old Co, which is dissolved" in findings["agency"].message


@pytest.mark.django_db
def test_city_findings_list_what_still_relies_on_a_dissolved_partner():
    city = make_city()
    trust = make_organisation(city, "trust", name="Port Trust")
    make_person(city, "ada", organisation=trust, name="Ada")
    actions.create(Document, city=city, key="plan", title="Harbour plan", doc_type="plan", owner=trust)
    actions.update(trust, lifecycle="dissolved")
    (finding,) = continuity.city_findings(city)
    assert finding.organisation == "trust" and finding.problem == "no_successor"
    assert finding.dependants == ("document: Harbour plan", "person: Ada")
    council = make_organisation(city, "council", name="Council")
    actions.update(trust, successor=council)
    assert continuity.city_findings(city) == []


@pytest.mark.django_db
def test_a_loop_of_successors_is_refused():
    city = make_city()
    a = make_organisation(city, "a")
    b = make_organisation(city, "b", lifecycle="merged", successor=a)
    with pytest.raises(ValidationError) as err:
        actions.update(a, lifecycle="merged", successor=b)
    assert "loop" in str(err.value.message_dict["successor"])
    assert Organisation.objects.get(pk=a.pk).successor_id is None


@pytest.mark.django_db
def test_organisation_editor_shows_the_hand_over_check(admin_client):
    city = make_city()
    trust = make_organisation(city, "trust", name="Port Trust")
    make_person(city, "ada", organisation=trust, name="Ada")
    actions.update(trust, lifecycle="dissolved")
    page = admin_client.get(f"/admin/core/organisation/{trust.pk}/change/").content.decode()
    assert "names no successor" in page and "person: Ada" in page
