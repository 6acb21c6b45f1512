"""The demo city's benefit map, KPIs and risks meet issue 3, item 8 (C1, C2, C3, D).

The files come from ``scripts/gen_demo_benefits.py`` (synthetic data). The demo is
imported once for the module through the city pack importer, the facts the tests need are
read, and the import is rolled back.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from cityline.benefits import realisation as rz
from cityline.benefits.models import BenefitLink, BenefitNode, Kpi, Measurement
from cityline.benefits.services import check_city
from cityline.core.demo_snapshot import import_demo_pack
from cityline.core.packs import export_pack
from cityline.risks.models import Risk

pytestmark = pytest.mark.django_db

#: The day the generator's scenarios are designed for (``AS_OF`` in scripts/gen_demo_benefits.py).
AS_OF = dt.date(2026, 11, 30)
PACK = Path(settings.CITYLINE_DEMO_PACK)
REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def shipped_catalogue() -> dict[tuple[str, str], str]:
    with open(REFERENCE / "iso37120_indicators.csv", encoding="utf-8") as fh:
        names = {("iso37120_2014", r["id"]): r["name"] for r in csv.DictReader(fh)}
    with open(REFERENCE / "u4ssc_kpis.csv", encoding="utf-8") as fh:
        names.update({("u4ssc", r["code"]): r["name"] for r in csv.DictReader(fh)})
    return names


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """Plain facts about the imported demo city (imported once, rolled back afterwards)."""
    out = tmp_path_factory.mktemp("demo-export")
    with django_db_blocker.unblock(), transaction.atomic():
        city = import_demo_pack()
        export_pack(city, out)
        nodes = {n.key: n for n in BenefitNode.objects.filter(city=city).prefetch_related("initiatives", "projects")}
        linked = {n.key: (bool(n.initiatives.all()), bool(n.projects.all())) for n in nodes.values()}
        spans = {}
        for kpi in Kpi.objects.filter(city=city).select_related("indicator", "node"):
            dates = sorted(Measurement.objects.filter(kpi=kpi).values_list("period_end", flat=True))
            spans[kpi.key] = (kpi, dates)
        real = rz.realisation(city, AS_OF)
        facts = {
            "nodes": nodes,
            "linked": linked,
            "links": list(BenefitLink.objects.filter(city=city).select_related("source", "target")),
            "kpis": spans,
            "measurements": Measurement.objects.filter(city=city).count(),
            "risks": [(r, sorted(r.threatens.values_list("key", flat=True)), list(r.responses.all()))
                      for r in Risk.objects.filter(city=city).prefetch_related("responses")],
            "reviewed_at": {r.key: sorted(r.reviewed_at.values_list("key", flat=True))
                            for r in Risk.objects.filter(city=city)},
            "report": check_city(city),
            "statuses": {r.key: r.status.status for r in real.kpis},
            "counts": real.counts(),
            "node_status": {k: (n.status, n.cause, n.risk.path if n.risk else None) for k, n in real.nodes.items()},
            "export": out,
        }
        transaction.set_rollback(True)
    return facts


def findings(demo, check: str) -> set[str]:
    return {key for f in demo["report"].by_check().get(check, []) for key in f.nodes}


def test_committed_files_are_exactly_what_the_exporter_writes(demo):
    for name in ("benefits.yaml", "risks.yaml"):
        assert (demo["export"] / name).read_bytes() == (PACK / name).read_bytes(), name


def test_benefit_map_has_the_full_chain_all_purposes_and_governance_changes(demo):  # C1
    nodes = demo["nodes"].values()
    kinds = Counter(n.kind for n in nodes)
    assert len(demo["nodes"]) >= 60
    assert all(kinds[k] >= 6 for k in ("investment", "output", "intermediate_outcome", "end_outcome"))
    assert {n.purpose for n in nodes if n.kind == "purpose"} == {
        "attractiveness", "environment", "resilience", "resource_use", "social_cohesion", "well_being"}
    changes = {n.governance_change for n in nodes if n.output_type == "governance_change"}
    assert len(changes - {""}) >= 2
    assert {n.output_type for n in nodes if n.kind == "output"} == {"enabler", "governance_change"}
    investments = [n for n in nodes if n.kind == "investment"]
    assert all(n.cost and n.cost > 0 for n in investments)
    # roadmap initiatives and projects lead to investment nodes (C1)
    assert sum(1 for n in investments if demo["linked"][n.key][0]) >= 10
    assert sum(1 for n in investments if demo["linked"][n.key][1]) >= 8


def test_links_carry_rationale_mixed_evidence_sources_and_weights(demo):  # C1
    links = demo["links"]
    assert all(link.rationale for link in links)
    assert set(Counter(link.evidence for link in links)) == {"assumed", "anecdotal", "evaluated", "proven"}
    assert all(link.sources for link in links if link.evidence in ("evaluated", "proven"))
    assert any(link.weight is not None for link in links)


def test_end_outcomes_mostly_have_owners(demo):  # C3.a
    ends = [n for n in demo["nodes"].values() if n.kind == "end_outcome"]
    owned = [n for n in ends if n.benefit_owner_id]
    assert len(owned) >= 0.75 * len(ends)
    assert len(owned) < len(ends)  # one gap is planted


def test_forty_catalogue_kpis_with_five_years_of_measurements(demo):  # C2.a-C2.d
    catalogue = shipped_catalogue()
    from_lists = []
    for kpi, dates in demo["kpis"].values():
        ind = kpi.indicator
        if ind.source in ("iso37120_2014", "u4ssc"):
            assert catalogue.get((ind.source, ind.code)) == ind.name, ind.key
            if dates and (dates[-1] - dates[0]).days >= 5 * 365:
                from_lists.append(kpi)
    assert len(from_lists) >= 40
    kpis = [kpi for kpi, _ in demo["kpis"].values()]
    assert {k.kind for k in kpis} == {"outcome", "leading"}
    assert sum(k.direction == "target_band" for k in kpis) >= 2
    assert {"annual", "quarterly", "monthly"} <= {k.frequency for k in kpis}
    assert all(k.evaluation_method and k.unit and k.calculation and k.baseline_value is not None for k in kpis)
    assert 0 < sum(not k.published for k in kpis) < len(kpis) / 4
    assert 1000 <= demo["measurements"] <= 2000


def test_risks_threaten_the_map_with_ratings_owners_and_costed_responses(demo):  # D.1, C3.c
    risks = demo["risks"]
    assert len(risks) >= 15
    for risk, threatens, responses in risks:
        assert 1 <= len(threatens) <= 3, risk.key
        assert set(threatens) <= set(demo["nodes"])
        assert 1 <= risk.likelihood <= 5 and 1 <= risk.impact <= 5 and risk.owner_id
        assert responses, risk.key
    natures = Counter(r.nature for r, _, _ in risks)
    assert natures["business_change"] + natures["cultural_change"] > len(risks) / 2
    assert {r.area for r, _, _ in risks} == {"strategy", "service", "resource"}
    assert any(r.next_review < AS_OF for r, _, _ in risks if r.status in ("open", "mitigating"))
    assert any(demo["reviewed_at"].values())  # roadmap checkpoints that reviewed risks (B7, D.1)


@pytest.mark.parametrize("check, node", [
    ("investment_without_line_of_sight", "inv-legacy-crm-exit"),
    ("enabler_without_governance_change", "out-crm-decommissioned"),
    ("enabler_without_governance_change", "out-led-lanterns"),
    ("end_outcome_unreached", "eo-visitor-economy"),
    ("end_outcome_without_owner", "eo-data-trust"),
    ("end_outcome_without_kpi", "eo-healthy-estuary"),
    ("missing_leading_indicator", "out-participation-site"),
    ("intermediate_outcome_without_kpi", "io-digital-confidence"),
    ("outcome_rests_on_assumptions", "eo-data-trust"),
    ("backward_link", "eo-digital-inclusion"),
    ("assumed_link", "gc-co-design"),
])
def test_line_of_sight_check_finds_each_planted_gap(demo, check, node):  # C1, C2.c, C3.a
    assert node in findings(demo, check)


def test_planted_gaps_are_the_only_structural_findings(demo):
    assert findings(demo, "investment_without_line_of_sight") == {"inv-legacy-crm-exit"}
    assert findings(demo, "end_outcome_unreached") == {"eo-visitor-economy"}
    assert findings(demo, "end_outcome_without_owner") == {"eo-data-trust"}
    assert findings(demo, "end_outcome_without_kpi") == {"eo-healthy-estuary"}
    assert not findings(demo, "cycle")
    assert not findings(demo, "end_outcome_without_purpose")


def test_status_mix_and_an_outcome_at_risk_through_an_off_track_leading_indicator(demo):  # C2.b, C3.d
    counts, statuses = demo["counts"], demo["statuses"]
    total = sum(counts.values())
    assert 0.5 <= counts["on_track"] / total <= 0.75
    assert counts["at_risk"] and counts["off_track"] and counts["data_overdue"]
    leading_off = {kpi.node.key for kpi, _ in demo["kpis"].values()
                   if kpi.kind == "leading" and statuses[kpi.key] == "off_track"}
    assert len(leading_off) >= 2
    status, cause, path = demo["node_status"]["eo-healthy-life"]
    assert (status, cause) == ("at_risk", "upstream")
    assert path[0] in leading_off and path[-1] == "eo-healthy-life"
    upstream_risk = [k for k, (s, c, p) in demo["node_status"].items()
                     if s == "at_risk" and c == "upstream" and demo["nodes"][k].kind == "end_outcome"]
    assert len(upstream_risk) >= 2
