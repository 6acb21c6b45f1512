"""Every validation rule of the strategy models, exercised through the actions layer.

Each case names the recommendation the rule serves; a refused write leaves nothing behind.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cityline.core import actions
from cityline.core.testing import make_city, make_organisation, make_person
from cityline.strategy import models as m

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    return make_city()


def refused(model, field, **fields):
    """Creating ``model`` with ``fields`` is refused with an error on ``field``; nothing is stored."""
    before = model.objects.count()
    with pytest.raises(ValidationError) as err:
        actions.create(model, **fields)
    assert field in err.value.message_dict, err.value.message_dict
    assert model.objects.count() == before
    return err.value.message_dict[field]


def test_interested_party_needs_known_distinct_categories(city):  # B3.a
    base = dict(city=city, key="p", name="P", sector="public", influence="low", interest="high")
    assert "give at least one category" in refused(m.InterestedParty, "categories", categories=[], **base)
    assert "unknown category investr" in refused(m.InterestedParty, "categories", categories=["investr"], **base)[0]
    assert refused(m.InterestedParty, "categories", categories=["investor", "investor"], **base)
    party = actions.create(m.InterestedParty, categories=["promoter", "negative_promoter"], **base)
    assert party.categories == ["promoter", "negative_promoter"]


def test_city_exchange_names_the_partner_city(city):  # B3.c
    base = dict(city=city, key="x", title="Visit", kind="city_exchange", date=date(2025, 5, 1), channel="in_person")
    refused(m.EngagementActivity, "partner_city", **base)
    assert actions.create(m.EngagementActivity, partner_city="Port-Sablon", **base).pk


def test_checkpoint_result_needs_an_independent_reviewer(city):  # B7, D.1
    base = dict(city=city, key="c", title="Gate 1", phase="initiate", date=date(2024, 12, 1))
    refused(m.Checkpoint, "reviewer", result="passed", **base)
    assert actions.create(m.Checkpoint, result="pending", **base).pk


def test_completed_initiative_and_project_are_fully_progressed(city):  # B2.d, B7
    ws = actions.create(m.Workstream, city=city, key="w", name="W", kind="governance")
    refused(m.Initiative, "progress", city=city, key="i", title="I", phase="plan", workstream=ws, cost=1, risk="low",
            months_to_deliver=3, status="completed", progress=80)
    refused(m.Project, "progress", city=city, key="p", name="P", status="completed", progress=10)


def test_dates_run_forwards(city):  # B7.a, B2.d, B4
    refused(m.RoadmapPhase, "end_date", city=city, phase="plan", start_date=date(2024, 1, 1),
            end_date=date(2023, 1, 1))
    refused(m.Project, "end_date", city=city, key="p", name="P", start_date=date(2025, 1, 1),
            end_date=date(2024, 1, 1))
    vision = actions.create(m.Vision, city=city, title="V", statement="S", horizon_year=2035)
    refused(m.VisionObjective, "target_year", city=city, vision=vision, key="o", title="O", purpose="resilience",
            indicator="I", baseline_year=2024, target_year=2020, target_value=Decimal("1"))


def test_one_vision_per_city_and_weights_between_0_and_1(city):  # B1, B1.a
    vision = actions.create(m.Vision, city=city, title="V", statement="S", horizon_year=2035)
    with pytest.raises(ValidationError):
        actions.create(m.Vision, city=city, title="V2", statement="S", horizon_year=2040)
    refused(m.VisionPurpose, "weight", city=city, vision=vision, purpose="resilience", weight=Decimal("1.5"))
    refused(m.VisionPurpose, "purpose", city=city, vision=vision, purpose="happiness", weight=Decimal("0.5"))


def test_sfia_code_is_four_capital_letters(city):  # B2.e
    ada = make_person(city)
    refused(m.SkillCoverage, "sfia_code", city=city, person=ada, skill="strategy", level=3, sfia_code="itsp")
    assert actions.create(m.SkillCoverage, city=city, person=ada, skill="strategy", level=3, sfia_code="ITSP").pk


def test_interop_action_barrier_belongs_to_the_same_cell(city):  # B5.a, B5.b
    legal = actions.create(m.InteropCell, city=city, process="strategy", dimension="legal")
    tech = actions.create(m.InteropCell, city=city, process="resource", dimension="technical")
    barrier = actions.create(m.InteropBarrier, city=city, cell=legal, key="b", description="No data sharing agreement",
                             severity="high")
    refused(m.InteropAction, "barrier", city=city, cell=tech, key="a", title="Fix", barrier=barrier)
    with pytest.raises(ValidationError):  # one record per cell of the 3 × 5 matrix
        actions.create(m.InteropCell, city=city, process="strategy", dimension="legal")


def test_total_cost_of_ownership_counts_the_exit(city):  # B4.b.4
    buyer = make_organisation(city)
    entry = actions.create(
        m.ProcurementEntry, city=city, key="lights", title="Lights", buyer=buyer, outcome_sought="Light",
        estimated_value=Decimal("100"), expected_tender_date=date(2027, 1, 1), capital_cost=Decimal("1000"),
        annual_running_cost=Decimal("200"), contract_years=5, exit_cost=Decimal("300"),
    )
    assert entry.total_cost_of_ownership == Decimal("2300")


def test_contract_dates_and_data_ownership_choice(city):  # B4.b.2
    buyer = make_organisation(city)
    supplier = actions.create(m.Supplier, city=city, key="s", name="S", size="sme")
    base = dict(city=city, key="c", title="C", supplier=supplier, buyer=buyer, value=Decimal("10"))
    refused(m.Contract, "end_date", start_date=date(2025, 1, 1), end_date=date(2024, 1, 1),
            data_ownership="city_owns", **base)
    refused(m.Contract, "data_ownership", start_date=date(2025, 1, 1), data_ownership="mine", **base)


def test_costs_and_values_are_never_negative(city):  # B7.c, B4.b.4, B2.d
    """A negative cost used to be stored, then broke the quick-win ranking: the public roadmap, its downloads
    and the whole self-assessment (B7.c) answered 500."""
    ws = actions.create(m.Workstream, city=city, key="w", name="W", kind="governance")
    initiative = dict(city=city, key="i", title="I", phase="plan", workstream=ws, risk="low", months_to_deliver=3)
    assert "greater than or equal to 0" in refused(m.Initiative, "cost", cost=Decimal("-5000"), **initiative)[0]
    buyer = make_organisation(city)
    entry = dict(city=city, key="e", title="E", buyer=buyer, outcome_sought="O", estimated_value=Decimal("1"),
                 expected_tender_date=date(2027, 1, 1))
    for field in ("estimated_value", "capital_cost", "annual_running_cost", "exit_cost"):
        refused(m.ProcurementEntry, field, **{**entry, field: Decimal("-1")})
    refused(m.Programme, "budget", city=city, key="p", name="P", budget=Decimal("-1"))
    refused(m.Project, "business_case_costs", city=city, key="p", name="P", business_case_costs=Decimal("-1"))
    supplier = actions.create(m.Supplier, city=city, key="s", name="S", size="sme")
    refused(m.Contract, "value", city=city, key="c", title="C", supplier=supplier, buyer=buyer, value=Decimal("-1"),
            start_date=date(2025, 1, 1), data_ownership="city_owns")
    assert actions.create(m.Initiative, cost=Decimal("0"), **initiative).pk   # free changes are fine
