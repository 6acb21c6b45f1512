"""Assessment rules for B12–B14 on hand-made data: every outcome each rule can give (issue 9)."""

from __future__ import annotations

from datetime import date

import pytest

from cityline.architecture.models import BuildingBlock, MigrationStep, Standard
from cityline.architecture.testing import make_architecture_city
from cityline.assessment import registry
from cityline.core import actions
from cityline.core.testing import make_city, make_organisation
from cityline.developments.models import ChecklistEntry, DevelopmentProject
from cityline.developments.testing import make_developments_city

pytestmark = pytest.mark.django_db

ON = date(2026, 3, 1)
OTHERS = ("quay-main", "fibre", "school", "old-depot")
ITEMS = {"B12.a": ("ducting", "sensors", "data_sharing"), "B12.b": ("holistic_assessment", "joint_sensors"),
         "B12.c": ("partnership", "smart_procurement")}


def run(city, rid, **kw):
    return registry.run_rule(registry.load_rules()[rid], registry.Context(city, ON, **kw))


def mark(city, key, status, *items):
    project = DevelopmentProject.objects.get(city=city, key=key)
    for item in items:
        entry = ChecklistEntry.objects.filter(project=project, item=item).first()
        if entry:
            actions.update(entry, status=status)
        else:
            actions.create(ChecklistEntry, city=city, project=project, item=item, status=status)


@pytest.fixture
def dev():
    return make_developments_city()


def test_b12_needs_projects():
    city = make_city("empty")
    for rid in ("B12.a", "B12.b", "B12.c"):
        assert run(city, rid).outcome == "not_met"


def test_b12a_smart_items_roadmap_and_risks(dev):
    city = dev
    result = run(city, "B12.a")                  # only quay-road has ducting, sensors (planned), roadmap and risks
    assert (result.outcome, result.share) == ("not_met", 0.2)
    assert result.reason.startswith("B12.a: 1 of 5 projects") and "fibre: ducting, sensors, data_sharing, roadmap, " \
        "risks" in result.reason
    for key in OTHERS[:3]:
        mark(city, key, "not_applicable", *ITEMS["B12.a"])
    result = run(city, "B12.a")                  # old-depot left: 1 of 2
    assert (result.outcome, [e.key for e in result.evidence]) == ("partly_met", ["old-depot"])
    mark(city, "old-depot", "not_applicable", *ITEMS["B12.a"])
    assert run(city, "B12.a").outcome == "met"


def test_b12b_holistic_items_and_undated_projects(dev):
    city = dev
    assert run(city, "B12.b").outcome == "not_met"
    for key in OTHERS:
        mark(city, key, "not_applicable", *ITEMS["B12.b"])
    mark(city, "quay-road", "done", "holistic_assessment")
    mark(city, "quay-road", "planned", "joint_sensors")
    result = run(city, "B12.b")
    assert result.outcome == "met" and "finds 1 opportunity(ies)" in result.reason
    actions.update(DevelopmentProject.objects.get(city=city, key="school"), end_date=None)
    result = run(city, "B12.b")
    assert result.outcome == "partly_met" and "1 project(s) have no dates" in result.reason


def test_b12c_partnership_needs_partners_and_smart_procurement(dev):
    city = dev
    assert run(city, "B12.c").outcome == "not_met"
    for key in OTHERS:
        mark(city, key, "not_applicable", *ITEMS["B12.c"])
    mark(city, "quay-road", "done", *ITEMS["B12.c"])          # quay-road has Water Co as partner
    assert run(city, "B12.c").outcome == "met"
    mark(city, "quay-main", "planned", *ITEMS["B12.c"])       # planned, but no partner recorded
    result = run(city, "B12.c")
    assert result.outcome == "partly_met" and "quay-main: partners" in result.reason


def test_b13_building_blocks_are_the_evidence_and_an_attestation_completes_it():
    assert run(make_city("empty"), "B13").outcome == "not_met"
    city = make_architecture_city("arch")
    result = run(city, "B13")
    assert result.outcome == "partly_met" and result.reason.startswith(
        "B13: the asset register is empty; 4 building block(s) are recorded, 3 with an owner and 1 used by two")
    doc = registry.Evidence("Asset register", "core.document", "register")
    att = registry.Attestation("att-13", "B13", "met", "The asset register covers IoT devices", doc, date(2027, 1, 1))
    assert run(city, "B13", attestations={"B13": att}).attestation == "att-13"


def test_b13_reads_the_asset_register():
    from cityline.opendata.models import DataAsset
    from cityline.opendata.testing import make_catalogue_city

    city = make_catalogue_city("assets")
    result = run(city, "B13")  # neither asset has a reuse policy; one IoT fleet
    assert (result.outcome, result.share) == ("not_met", 1 / 3)
    assert "incomplete: air-sensors, permits-db" in result.reason and "1 IoT device fleet(s)" in result.reason
    for asset in DataAsset.objects.filter(city=city):
        actions.update(asset, reuse_policy="Reusable by any city body; open data where not personal")
    result = run(city, "B13")
    assert result.outcome == "met" and "2 with an owner, a reuse potential, a reuse policy and a domain" in result.reason
    actions.update(DataAsset.objects.get(city=city, key="air-sensors"), asset_type="platform")
    result = run(city, "B13")  # no IoT fleet in the register: 2 of 3
    assert (result.outcome, result.share) == ("not_met", 2 / 3)
    assert run(city, "B13", thresholds={"b13_min_share": 0.6}).outcome == "partly_met"


def test_b14_blueprint_standards_plan_and_checks():
    assert run(make_city("empty"), "B14").outcome == "not_met"
    result = run(make_architecture_city("arch"), "B14")
    assert result.outcome == "partly_met" and "the architecture checks find 6 problem(s)" in result.reason
    assert {e.key for e in result.evidence} == {"old-gis", "oauth2", "crm-0", "crm-1"}
    city = make_city("clean", "Clean")
    council = make_organisation(city)
    std = actions.create(Standard, city=city, key="dcat", body="W3C", identifier="DCAT", title="DCAT",
                         status="adopted")
    block = actions.create(BuildingBlock, city=city, key="hub", name="Hub", kind="data_platform", owner=council,
                           service_contract="Daily open data", m2m={"standards": [std]})
    assert "no migration plan" in run(city, "B14").reason
    actions.create(MigrationStep, city=city, key="s1", title="Move", order=1, target=block, phase="deliver")
    assert run(city, "B14").outcome == "met"
