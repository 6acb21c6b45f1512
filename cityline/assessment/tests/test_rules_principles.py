"""Assessment rules for A: delivery principles agreed with interested parties (A.1.1–A.1.4, A.2).

Each rule is run on hand-made data for every outcome it can give; the demo city is
checked once for the module.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from cityline.assessment import registry as reg
from cityline.core import actions
from cityline.core.demo_snapshot import import_demo_pack
from cityline.core.testing import make_city, make_organisation
from cityline.strategy.models import Principle, PrincipleAgreement

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 6, 1)
GROUPS = {"A.1.1": "visionary", "A.1.2": "citizen_centric", "A.1.3": "digital", "A.1.4": "open_collaborative"}


def run(city, rid, **context):
    return reg.run_rule(reg.load_rules()[rid], reg.Context(city, ON, **context))


def principle(city, key, group, agreed_by=()):
    p = actions.create(Principle, city=city, key=key, group=group, title=key.title(), statement="We do it.")
    for org in agreed_by:
        actions.create(PrincipleAgreement, city=city, principle=p, organisation=org, agreed_on=dt.date(2025, 1, 1))
    return p


@pytest.fixture
def city():
    c = make_city()
    c.orgs = [make_organisation(c, k, s) for k, s in (("council", "public"), ("chamber", "private"),
                                                       ("charity", "voluntary"))]
    return c


@pytest.mark.parametrize("rid", list(GROUPS))
def test_a_group_without_principles_is_not_met(city, rid):
    principle(city, "other", next(g for r, g in GROUPS.items() if r != rid), city.orgs)
    result = run(city, rid)
    assert result.outcome == "not_met" and "no" in result.reason and result.next_step


@pytest.mark.parametrize("rid", list(GROUPS))
def test_every_principle_of_the_group_agreed_is_met(city, rid):
    principle(city, "one", GROUPS[rid], city.orgs[:2])
    principle(city, "two", GROUPS[rid], city.orgs)
    result = run(city, rid)
    assert (result.outcome, result.share) == ("met", None)
    assert {e.key for e in result.evidence} == {"one", "two"}


@pytest.mark.parametrize("rid", list(GROUPS))
@pytest.mark.parametrize("agreed, outcome", [(1, "partly_met"), (0, "not_met")])
def test_principles_lacking_agreement_are_named(city, rid, agreed, outcome):
    principle(city, "agreed", GROUPS[rid], city.orgs[:2] if agreed else city.orgs[:1])
    principle(city, "lonely", GROUPS[rid], city.orgs[:1])
    result = run(city, rid)
    assert result.outcome == outcome
    assert "lonely" in result.reason.lower() and result.evidence[-1].key == "lonely"
    assert result.share == agreed / 2


def test_the_city_sets_how_many_organisations_must_agree(city):
    principle(city, "one", "visionary", city.orgs[:2])
    assert run(city, "A.1.1").outcome == "met"
    assert run(city, "A.1.1", thresholds={"a1_1_min_agreements": 3}).outcome == "not_met"


@pytest.mark.parametrize("groups, outcome", [
    (("visionary", "citizen_centric", "digital", "open_collaborative"), "met"),
    (("visionary", "digital"), "partly_met"),
    (("digital",), "not_met"),
    ((), "not_met"),
])
def test_a2_the_four_reference_groups(city, groups, outcome):
    for g in groups:
        principle(city, g, g)
    result = run(city, "A.2")
    assert result.outcome == outcome
    if outcome != "met":
        assert "missing" in result.reason and result.next_step


def test_a2_an_attestation_that_annex_b_was_the_start_raises_it(city):
    principle(city, "digital", "digital")
    att = reg.Attestation("att-a2", "A.2", "met", "Workshop minutes show the reference set was the start",
                          reg.Evidence("Workshop minutes", "core.document", "minutes"), dt.date(2026, 12, 31))
    result = run(city, "A.2", attestations={"A.2": att})
    assert (result.outcome, result.attestation) == ("met", "att-a2")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        city = import_demo_pack()
        results = {rid: run(city, rid) for rid in (*GROUPS, "A.2")}
        transaction.set_rollback(True)
    return results


def test_the_demo_city_has_agreed_principles_in_every_group(demo):
    # Kestermouth's principles are all agreed by two or more partners: A comes out met.
    assert {r.outcome for r in demo.values()} == {"met"}
    assert all(r.evidence for r in demo.values())
