"""Assessment rules for B8–B11 on hand-made data: every outcome each rule can give (issue 9)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cityline.architecture.models import BuildingBlock, Standard
from cityline.assessment import registry
from cityline.citizen_services import models as m
from cityline.citizen_services.testing import make_services_city
from cityline.core import actions
from cityline.core.testing import make_city

pytestmark = pytest.mark.django_db

#: After the 2025-Q1 audit of the services city (its quarter ended 91 days before).
ON = date(2025, 6, 30)


def run(city, rid, on=ON, **kw):
    return registry.run_rule(registry.load_rules()[rid], registry.Context(city, on, **kw))


def attested(rid):
    doc = registry.Evidence("Evidence document", "core.document", "evidence")
    return {rid: registry.Attestation("att-1", rid, "met", "Staff attest it with evidence", doc, date(2030, 1, 1))}


def good_service(service, *channels, **extra):
    actions.update(service, one_stop=True, **extra)
    for ch in channels:
        actions.create(m.ServiceChannel, city=service.city, service=service, channel=ch)


@pytest.fixture
def svc():
    return make_services_city()


# --- B8, B10: areas Cityline does not model yet ---------------------------------------------------


def test_b8_needs_evidence_of_an_open_data_platform_and_accepts_an_attestation():
    city = make_city()
    assert run(city, "B8").outcome == "not_met"
    actions.create(BuildingBlock, city=city, key="hub", name="Data hub", kind="data_platform")
    result = run(city, "B8")
    assert result.outcome == "partly_met" and "1 data platform building block(s) (Data hub)" in result.reason
    assert "no public dataset" in result.reason
    assert [e.key for e in result.evidence] == ["hub"]
    raised = run(city, "B8", attestations=attested("B8"))
    assert (raised.outcome, raised.attestation) == ("met", "att-1")


def test_b8_reads_the_open_data_catalogue():
    from cityline.opendata.models import DataAsset, Dataset
    from cityline.opendata.testing import make_catalogue_city

    city = make_catalogue_city("opencity")
    # public: air-quality (no file uploaded yet: no star), bus-stops (remote GeoJSON + API, ODbL), parking-permits
    result = run(city, "B8")
    assert (result.outcome, result.share) == ("partly_met", 0.6)
    assert result.reason.startswith("B8: 3 public datasets from 2 organisations, 3 under an open licence and 1 "
                                    "rated three stars or more; 2 assets in the register. 3 of 5 tests pass")
    assert "only 3 public datasets" in result.reason and "below three stars: air-quality, parking-permits" in result.reason
    lenient = {"b8_min_datasets": 3, "b8_min_three_star_share": 0.3}
    assert run(city, "B8", thresholds=lenient).outcome == "met"
    actions.update(Dataset.objects.get(city=city, key="bus-stops"), licence="LicenseRef-proprietary")
    actions.update(DataAsset.objects.get(city=city, key="permits-db"), reuse_potential=None)
    result = run(city, "B8", thresholds=lenient)  # a closed licence also costs bus-stops its stars: 2 of 5
    assert (result.outcome, result.share) == ("not_met", 0.4)
    assert "not under an open licence: bus-stops" in result.reason
    # each dataset is evidence once, though a closed licence also puts it below three stars
    assert sorted(e.key for e in result.evidence) == ["air-quality", "bus-stops", "parking-permits"]
    assert "assets without a reuse potential: permits-db" in result.reason


def test_b10_finds_identity_standards_and_accepts_an_attestation():
    city = make_city()
    assert run(city, "B10").outcome == "not_met"
    actions.create(Standard, city=city, key="oidc", body="OpenID Foundation", identifier="OpenID Connect Core 1.0",
                   title="OpenID Connect", status="adopted")
    result = run(city, "B10")
    assert result.outcome == "partly_met" and "1 identity standard(s)" in result.reason
    assert run(city, "B10", attestations=attested("B10")).outcome == "met"


# --- B9 -------------------------------------------------------------------------------------------


def test_b9a_counts_one_stop_multichannel_services_built_on_needs(svc):
    city, r = svc
    assert run(make_city("empty"), "B9.a").outcome == "not_met"
    result = run(city, "B9.a")
    assert result.outcome == "not_met" and result.reason.startswith("B9.a: 0 of 3 services")
    good_service(r["bins"], m2m={"needs": [r["care"]]})          # phone and web already
    good_service(r["blue-badge"], r["web"])                       # counter + web
    result = run(city, "B9.a")
    assert (result.outcome, result.share) == ("partly_met", pytest.approx(2 / 3))
    assert [e.key for e in result.evidence] == ["bus-pass"]
    good_service(r["bus-pass"], r["phone"])
    assert run(city, "B9.a").outcome == "met"


def test_b9b_segments_need_services_without_silo_gaps(svc):
    city, r = svc
    assert run(make_city("empty"), "B9.b").outcome == "not_met"
    # get-about is met by the council (blue badge) and the NHS (bus pass) with no one-stop door: a silo gap
    result = run(city, "B9.b")
    assert result.outcome == "not_met" and "1 need(s) still send people" in result.reason
    actions.update(r["blue-badge"], one_stop=True)
    assert run(city, "B9.b").outcome == "met"
    actions.create(m.CustomerSegment, city=city, key="carers", name="Carers", m2m={"needs": [r["care"]]})
    result = run(city, "B9.b")                                    # no service meets care
    assert (result.outcome, [e.key for e in result.evidence]) == ("partly_met", ["carers"])


def test_b9c_franchise_teams_need_a_lead_members_and_measures(svc):
    city, r = svc
    assert run(make_city("empty"), "B9.c").outcome == "not_met"
    assert run(city, "B9.c").outcome == "not_met"                 # the team has no performance measures
    actions.update(r["older-team"], performance_measures="Journeys completed first time")
    assert run(city, "B9.c").outcome == "met"
    actions.create(m.CustomerSegment, city=city, key="parents", name="Parents")
    result = run(city, "B9.c")
    assert result.outcome == "partly_met" and "not yet: Parents" in result.reason


# --- B11 ------------------------------------------------------------------------------------------


def test_b11a_audit_coverage_pitfalls_and_freshness(svc):
    city, r = svc
    assert run(make_city("empty"), "B11.a").outcome == "not_met"
    result = run(city, "B11.a")                                   # no offering states its service level
    assert result.outcome == "not_met" and result.reason.startswith("B11.a: 0 of 3 services")
    offers = {(o.service.key, o.channel.key): o for o in m.ServiceChannel.objects.filter(city=city)}
    for o in offers.values():
        actions.update(o, service_level_standard="Done within a day")
    result = run(city, "B11.a")                                   # bus pass on the web is not audited
    assert result.outcome == "partly_met" and "short: Bus Pass" in result.reason
    actions.create(m.ChannelAudit, city=city, service=r["bus-pass"], channel=r["web"], year=2025, quarter=1,
                   transactions=100, total_cost=Decimal("10.00"), service_level_met=Decimal("97"))
    result = run(city, "B11.a")                                   # phone below standard, bins on two systems
    assert (result.outcome, result.share) == ("partly_met", 1.0)
    assert "1 channel(s) below the service-level standard, 1 service(s) on duplicated channel IT" in result.reason
    actions.delete(offers[("bins", "phone")])
    actions.update(m.ChannelAudit.objects.get(service=r["bins"], channel=r["phone"]), service_level_met=Decimal("95"))
    assert run(city, "B11.a").outcome == "met"
    stale = run(city, "B11.a", on=date(2026, 6, 30))
    assert stale.outcome == "not_met" and "456 days ago" in stale.reason


def scenario(city, r, **extra):
    return actions.create(m.ChannelShiftScenario, city=city, key="bins-online", name="Bins online",
                          service=r["bins"], from_channel=r["phone"], to_channel=extra.pop("to", r["web"]),
                          share_moved=Decimal("50"), baseline_year=2025, **extra)


def test_b11b1_the_channel_roadmap_rests_on_needs_and_insight(svc):
    city, r = svc
    assert run(city, "B11.b.1").outcome == "not_met"              # no scenario
    scenario(city, r)
    result = run(city, "B11.b.1")                                 # bins meets no need; the segment has no insight
    assert result.outcome == "not_met" and result.share == 0
    actions.update(r["older-people"], insight_sources="Annual residents' survey")
    assert run(city, "B11.b.1").outcome == "partly_met"
    actions.update(r["bins"], m2m={"needs": [r["care"]]})
    assert run(city, "B11.b.1").outcome == "met"


def test_b11b2_candidates_must_be_planned_onto_a_connected_asset(svc):
    city, r = svc
    result = run(city, "B11.b.2")
    assert result.outcome == "not_met" and "not yet: Bins (1000 transactions" in result.reason
    scenario(city, r, to=r["sensor"], to_unit_cost=Decimal("0.10"))
    assert run(city, "B11.b.2").outcome == "met"
    actions.update(r["blue-badge"], device_candidate=True)
    result = run(city, "B11.b.2")
    assert (result.outcome, [e.key for e in result.evidence]) == ("partly_met", ["blue-badge"])
    actions.update(r["bins"], device_candidate=False)
    actions.update(r["blue-badge"], device_candidate=False)
    assert run(city, "B11.b.2").outcome == "not_met"              # nothing flagged at all


def test_b11b3_segments_are_helped_and_the_help_is_funded_by_savings(svc):
    city, r = svc
    assert run(make_city("empty"), "B11.b.3").outcome == "not_met"
    assert run(city, "B11.b.3").outcome == "not_met"              # nobody helped
    help_ = actions.create(m.DigitalInclusionAction, city=city, key="help", name="Assisted digital",
                           kind="assisted_digital", status="active", m2m={"segments": [r["older-people"]]})
    result = run(city, "B11.b.3")
    assert (result.outcome, result.share) == ("partly_met", 1.0) and "0 action(s) are funded" in result.reason
    actions.update(help_, funded_by=scenario(city, r, set_aside=Decimal("10")))
    assert run(city, "B11.b.3").outcome == "met"
    actions.update(help_, status="stopped")
    assert run(city, "B11.b.3").outcome == "not_met"
