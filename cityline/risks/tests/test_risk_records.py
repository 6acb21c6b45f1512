"""The risk register as records: rules, editor, API and city pack (D.1, C3.c)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cityline.benefits.models import BenefitNode
from cityline.core import actions
from cityline.core.models import City
from cityline.core.packs import export_pack, import_pack
from cityline.core.testing import make_city, make_person
from cityline.risks.models import Risk, RiskResponse
from cityline.strategy.models import Checkpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def register():
    city = make_city()
    owner = make_person(city, "owner", name="Olu Owner")
    outcome = actions.create(BenefitNode, city=city, key="fewer-floods", kind="end_outcome", title="Fewer floods")
    gate = actions.create(Checkpoint, city=city, key="gate-1", title="Gate 1", phase="initiate",
                          date=date(2024, 12, 1), reviewer="Independent Assurance Ltd", result="passed")
    risk = actions.create(
        Risk, city=city, key="silo-culture", title="Departments keep working in silos",
        cause="Budgets and targets are set per department", effect="Shared services stall",
        area="strategy", nature="cultural_change", likelihood=4, impact=5, owner=owner,
        last_reviewed=date(2026, 6, 1), next_review=date(2026, 12, 1),
        m2m={"threatens": [outcome], "reviewed_at": [gate]},
    )
    actions.create(RiskResponse, city=city, risk=risk, order=1, kind="reduce",
                   description="Joint budget for the shared services", cost=Decimal("40000"))
    return city, risk


def test_score_rating_and_review_dates(register):
    _city, risk = register
    assert (risk.score, risk.rating) == (20, "critical")
    with pytest.raises(ValidationError) as err:
        actions.update(risk, next_review=date(2026, 1, 1))
    assert "next_review" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        actions.update(Risk.objects.get(pk=risk.pk), likelihood=7)
    assert "likelihood" in err.value.message_dict


def test_editor_pages(admin_client, register):
    _city, risk = register
    for url in ("/admin/risks/risk/", "/admin/risks/risk/add/", f"/admin/risks/risk/{risk.pk}/change/",
                "/admin/risks/riskresponse/"):
        assert admin_client.get(url).status_code == 200, url
    assert "20 (Critical)" in admin_client.get(f"/admin/risks/risk/{risk.pk}/change/").content.decode()


def test_api_shows_score_and_what_the_risk_threatens(client, register):
    city, _risk = register
    body = client.get(f"/api/v1/cities/{city.key}/risks/silo-culture").json()
    assert (body["score"], body["rating"]) == (20, "critical")
    assert body["threatens"] == ["fewer-floods"] and body["reviewed_at"] == ["gate-1"]
    found = client.get(f"/api/v1/cities/{city.key}/risks?threatens=fewer-floods").json()["results"]
    assert [r["key"] for r in found] == ["silo-culture"]


def test_city_pack_round_trip_with_risks(register, tmp_path):
    city, _risk = register
    first, second = tmp_path / "first", tmp_path / "second"
    export_pack(city.key, first)
    text = (first / "risks.yaml").read_text()
    assert "threatens: [fewer-floods]" in text and "reviewed_at: [gate-1]" in text and "kind: reduce" in text
    actions.delete(City.objects.get(key=city.key))
    report = import_pack(first, progress=False, trusted=True)
    assert report.count("risks").created == 1
    export_pack(city.key, second)
    assert (first / "risks.yaml").read_bytes() == (second / "risks.yaml").read_bytes()


def test_register_shows_what_each_risk_endangers_through_the_map(client, register):
    from cityline.benefits.models import BenefitLink

    city, risk = register
    outcome = BenefitNode.objects.get(city=city, key="fewer-floods")
    platform = actions.create(BenefitNode, city=city, key="platform", kind="output", output_type="enabler",
                              title="Sensor platform")
    resilience = actions.create(BenefitNode, city=city, key="resilience", kind="purpose", purpose="resilience",
                                title="Resilience")
    actions.create(BenefitLink, city=city, source=platform, target=outcome)
    actions.create(BenefitLink, city=city, source=outcome, target=resilience)
    late = actions.create(Risk, city=city, key="vendor", title="Vendor lock-in", cause="One supplier",
                          effect="Costs rise", area="resource", nature="technology", likelihood=2, impact=3,
                          owner=risk.owner, m2m={"threatens": [platform]})
    body = client.get(f"/api/v1/cities/{city.key}/risk-register").json()
    rows = {r["key"]: r for r in body["risks"]}
    assert rows["vendor"]["endangered_end_outcomes"] == ["fewer-floods"]   # through the map (C3.c)
    assert rows["vendor"]["endangered_purposes"] == ["resilience"]
    assert rows["silo-culture"]["endangered_end_outcomes"] == ["fewer-floods"]  # threatened directly
    assert body["heat_map"][4][3] == ["silo-culture"] and body["heat_map"][2][1] == ["vendor"]
    assert "vendor" in body["overdue_reviews"]  # no review date set
    assert late.rating == "medium"
