"""Assessment rules for C1–C3 on hand-made data: every outcome each rule can give (issue 9).

The small maps come from :func:`cityline.benefits.testing.make_realisation_city` and
:func:`cityline.delivery.testing.make_delivery_city` (their docstrings describe them).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cityline.assessment import registry
from cityline.assessment.models import Snapshot
from cityline.benefits.models import BenefitNode, Kpi, KpiTarget
from cityline.benefits.testing import make_realisation_city, node
from cityline.core import actions
from cityline.core.testing import make_city, make_person
from cityline.delivery.testing import ON, make_delivery_city
from cityline.risks.models import Risk, RiskResponse
from cityline.strategy.models import GovernanceBody, InterestedParty, Meeting

pytestmark = pytest.mark.django_db


def run(city, rid, on=ON, **kw):
    return registry.run_rule(registry.load_rules()[rid], registry.Context(city, on, **kw))


@pytest.fixture
def real():
    return make_realisation_city()


def bare_kpi(city, key, node_, **fields):
    return actions.create(Kpi, city=city, key=key, title=key, node=node_, kind=fields.pop("kind", "outcome"),
                          **fields)


# --- C1 -------------------------------------------------------------------------------------------


def test_c1_line_of_sight(real):
    city, n = real
    assert run(make_city("empty"), "C1").outcome == "not_met"
    result = run(city, "C1")
    assert result.outcome == "met" and "0 link(s) rest on assumed evidence" in result.reason
    node(city, "idle", "investment", cost=Decimal("5"))
    result = run(city, "C1")
    assert result.outcome == "partly_met" and "1 investment without line of sight" in result.reason
    assert [e.key for e in result.evidence] == ["idle"]


# --- C2 -------------------------------------------------------------------------------------------


def test_c2a_baselines(real):
    city, n = real
    assert run(make_city("empty"), "C2.a").outcome == "not_met"
    assert run(city, "C2.a").outcome == "met"
    bare_kpi(city, "no-base", n["quiet-streets"])
    result = run(city, "C2.a")
    assert (result.outcome, result.share) == ("partly_met", 0.8) and "missing: no-base" in result.reason
    other = make_city("other")
    bare_kpi(other, "no-base", node(other, "goal", "end_outcome"))
    assert run(other, "C2.a").outcome == "not_met"


def test_c2b_smart_targets(real):
    city, n = real
    assert run(city, "C2.b").outcome == "met"
    vague = bare_kpi(city, "vague", n["quiet-streets"], baseline_value=Decimal("1"), baseline_date=date(2020, 1, 1))
    actions.create(KpiTarget, city=city, kpi=vague, label="some day", value=Decimal("2"))   # no date
    result = run(city, "C2.b")
    assert result.outcome == "partly_met" and "not yet: vague" in result.reason
    other = make_city("other")
    bare_kpi(other, "vague", node(other, "goal", "end_outcome"))
    assert run(other, "C2.b").outcome == "not_met"


def test_c2c_indicators_for_every_node_and_alignment_with_iso_lists(real):
    city, n = real
    assert run(make_city("empty"), "C2.c").outcome == "not_met"
    result = run(city, "C2.c")                  # bikes and mobility-data have no leading indicator
    assert (result.outcome, result.share) == ("partly_met", pytest.approx(4 / 6))
    assert {e.key for e in result.evidence} == {"bikes", "mobility-data"}
    bare_kpi(city, "spend", n["bikes"], kind="leading")
    bare_kpi(city, "feeds", n["mobility-data"], kind="leading")
    result = run(city, "C2.c")                  # complete, but no KPI from ISO 37120/37122/37123
    assert (result.outcome, result.share) == ("partly_met", 0.0)
    assert run(city, "C2.c", thresholds={"c2c_min_standard_share": 0}).outcome == "met"
    other = make_city("other")
    goal = node(other, "goal", "end_outcome")
    for key in ("a", "b"):
        node(other, key, "investment")
    bare_kpi(other, "g", goal)
    assert run(other, "C2.c").outcome == "not_met"   # 1 of 3 nodes measured


def test_c2d_suppliers_users_calculation_and_method(real):
    city, n = real
    assert run(make_city("empty"), "C2.d").outcome == "not_met"
    assert run(city, "C2.d").outcome == "not_met"    # the factory records none of them
    party = actions.create(InterestedParty, city=city, key="stats", name="Statistics office", sector="public",
                           categories=["promoter"], influence="high", interest="high")
    records = list(Kpi.objects.filter(city=city).order_by("key"))
    for k in records[:2]:
        actions.update(k, calculation="Annual average", m2m={"suppliers": [party], "users": [party]})
    result = run(city, "C2.d")
    assert result.outcome == "partly_met" and "no2 (suppliers, users, calculation)" in result.reason
    for k in records[2:]:
        actions.update(k, calculation="Annual average", m2m={"suppliers": [party], "users": [party]})
    assert run(city, "C2.d").outcome == "met"


def test_c2e_snapshots_and_attestation(real):
    city, n = real
    result = run(city, "C2.e")
    assert result.outcome == "not_met"
    doc = registry.Evidence("ISO/TS 37107 review", "core.document", "review")
    att = registry.Attestation("att-e", "C2.e", "met", "Reviewed with ISO/TS 37107 in 2026", doc, date(2027, 1, 1))
    assert run(city, "C2.e", attestations={"C2.e": att}).outcome == "met"
    actions.create(Snapshot, city=city, taken_on=date(2026, 4, 1), results=[{"id": "C1"}], maturity={"overall": 1})
    assert run(city, "C2.e").outcome == "not_met"             # taken after the assessment date
    actions.create(Snapshot, city=city, taken_on=date(2026, 1, 1), results=[{"id": "C1"}], maturity={"overall": 1})
    result = run(city, "C2.e")
    assert result.outcome == "partly_met" and "1 snapshot(s) of this self-assessment are kept (the first on " \
        "2026-01-01)" in result.reason


def test_c2f_published_and_current(real):
    city, n = real
    assert run(make_city("empty"), "C2.f").outcome == "not_met"
    result = run(city, "C2.f")                  # noise is not published
    assert (result.outcome, [e.key for e in result.evidence]) == ("partly_met", ["noise"])
    actions.update(Kpi.objects.get(city=city, key="noise"), published=True)
    assert run(city, "C2.f").outcome == "met"
    late = run(city, "C2.f", on=date(2031, 6, 1))   # four years after the last value: overdue
    assert late.outcome == "not_met" and "4 published ones are overdue" in late.reason


def test_c2g_open_licences(real):
    city, n = real
    assert run(make_city("empty"), "C2.g").outcome == "not_met"
    assert run(city, "C2.g").outcome == "met"
    actions.update(Kpi.objects.get(city=city, key="no2"), licence="LicenseRef-council")
    result = run(city, "C2.g")
    assert result.outcome == "partly_met" and "not open: no2 (LicenseRef-council)" in result.reason
    assert run(city, "C2.g", thresholds={"c2g_open_licences": ["LicenseRef-council"]}).outcome == "not_met"


def test_kpi_data_the_rules_cannot_read_falls_short_and_breaks_no_rule(real):
    """A stored lone on-track tolerance of 20 % (the blank at-risk one defaults to 15 %) cannot be used."""
    city, n = real
    Kpi.objects.filter(city=city, key="no2").update(tolerance_on_track=Decimal("0.2"), tolerance_at_risk=None)
    for rid in ("C2.a", "C2.b"):
        result = run(city, rid)
        assert (result.outcome, result.share) == ("partly_met", 0.75), rid
        assert "No2 (its data cannot be read: tolerance.at_risk)" in result.reason, rid
    assert run(city, "C2.f").outcome == "partly_met" and run(city, "C3.d").outcome


# --- the public face (B2.g): unpublished records are counted, never named (C2.f) -------------------


def test_public_face_counts_unpublished_kpis_but_names_none(real):
    city, n = real
    actions.update(Kpi.objects.get(city=city, key="noise"), title="Secret draft indicator")
    bare_kpi(city, "draft-kpi", n["quiet-streets"])                  # unpublished: no baseline, no target
    bare_kpi(city, "open-kpi", n["quiet-streets"], published=True)   # published: no baseline, no target
    for rid in ("C2.a", "C2.b", "C2.c", "C2.d", "C2.f"):
        staff, public = run(city, rid), run(city, rid, public=True)
        assert (public.outcome, public.share) == (staff.outcome, staff.share), rid
        shown = " ".join([public.reason, *(f"{e.label} {e.key}" for e in public.evidence)])
        assert "draft" not in shown.lower() and "noise" not in shown, (rid, shown)
    assert "missing: draft-kpi, open-kpi." in run(city, "C2.a").reason
    assert "missing: open-kpi and 1 KPI that is not published." in run(city, "C2.a", public=True).reason
    assert "not yet: open-kpi and 1 KPI that is not published." in run(city, "C2.b", public=True).reason
    assert [e.key for e in run(city, "C2.a", public=True).evidence] == ["open-kpi"]
    assert run(city, "C2.d", public=True).reason.endswith(
        "; open-kpi (suppliers, users, calculation, evaluation method) and 2 KPIs that are not published.")
    staff_f, public_f = run(city, "C2.f"), run(city, "C2.f", public=True)
    assert "2 are not published" in public_f.reason and "(2 KPIs that are not published)" in public_f.reason
    assert "Secret draft indicator" in staff_f.reason and [e.key for e in staff_f.evidence] == ["draft-kpi", "noise"]
    assert public_f.evidence == ()


# --- C3 -------------------------------------------------------------------------------------------


def test_c3a_end_outcomes_have_owners(real):
    city, n = real
    assert run(make_city("empty"), "C3.a").outcome == "not_met"
    result = run(city, "C3.a")
    assert result.outcome == "partly_met"
    assert result.reason == "C3.a: 1 of 2 end outcomes have no benefit owner: quiet streets."
    actions.update(n["quiet-streets"], benefit_owner=n["cleaner-air"].benefit_owner)
    assert run(city, "C3.a").outcome == "met"
    for key in ("quiet-streets", "cleaner-air"):
        actions.update(BenefitNode.objects.get(city=city, key=key), benefit_owner=None)
    assert run(city, "C3.a").outcome == "not_met"


def test_c3b_current_plans_with_activities():
    city, n, r = make_delivery_city()
    result = run(city, "C3.b")                  # air-plan's review is overdue; streets-plan is current
    assert (result.outcome, [e.key for e in result.evidence]) == ("partly_met", ["air-plan"])
    actions.update(r["air-plan"], last_reviewed=date(2026, 2, 15))
    assert run(city, "C3.b").outcome == "met"
    assert run(make_realisation_city("noplans")[0], "C3.b").outcome == "not_met"
    assert run(make_city("empty"), "C3.b").outcome == "not_met"


def test_c3c_risks_tied_weighed_and_led_by_benefit_owners():
    city, n, r = make_delivery_city()
    assert run(make_realisation_city("norisk")[0], "C3.c").outcome == "not_met"
    result = run(city, "C3.c")                  # data-sharing has no response
    assert result.outcome == "not_met" and "1 lack costed alternatives (data-sharing)" in result.reason
    risk = r["data-sharing"]
    actions.create(RiskResponse, city=city, risk=risk, kind="reduce", description="Data-sharing agreement",
                   cost=Decimal("20000"), order=1)
    actions.create(RiskResponse, city=city, risk=risk, kind="accept", description="Plan lanes on old data", order=2)
    assert run(city, "C3.c").outcome == "met"   # owned by Ada, owner of cleaner-air downstream
    actions.update(risk, owner=make_person(city, "cy", name="Cy Outsider"))
    result = run(city, "C3.c")
    assert (result.outcome, result.share) == ("partly_met", 1.0)


def test_c3d_programme_board_meets_and_escalated_outcomes_have_owners(real):
    city, n = real
    assert run(city, "C3.d").outcome == "not_met"
    board = actions.create(GovernanceBody, city=city, key="board", name="Programme board", level="strategic",
                           remit="Benefits")
    result = run(city, "C3.d")                  # never met
    assert result.outcome == "partly_met" and "0 meeting(s)" in result.reason
    actions.create(Meeting, city=city, key="m1", body=board, date=date(2026, 2, 1), title="February board")
    result = run(city, "C3.d")                  # quiet-streets is off track with no owner
    assert result.outcome == "partly_met" and "1 of them with no owner" in result.reason
    assert "quiet-streets" in [e.key for e in result.evidence]
    actions.update(n["quiet-streets"], benefit_owner=n["cleaner-air"].benefit_owner)
    assert run(city, "C3.d").outcome == "met"


def test_risk_not_tied_to_the_map_counts_against_c3c():
    city, n, r = make_delivery_city()
    actions.create(Risk, city=city, key="loose", title="Loose", cause="c", effect="e", area="service",
                   nature="business_change", likelihood=2, impact=2, owner=r["air-plan"].owner)
    result = run(city, "C3.c")
    assert result.outcome == "not_met" and "1 threaten no node" in result.reason

