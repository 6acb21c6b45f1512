"""Benefit realisation in the API: the benefit map (C1), city indicators, KPIs, targets and measurements (C2).

Declarations only: :mod:`cityline.api.generic` builds list, detail, create, update,
delete and history for each collection.
"""

from cityline.api.generic import Resource

from . import models as m

C1 = "benefits: C1 benefit map"
C2 = "benefits: C2 KPIs"

TAGS = {
    C1: "The benefit map: investments, outputs (enablers and governance changes), intermediate and end "
        "outcomes and the ISO 37101 purposes, with the links between them, their theory of change and "
        "its evidence (C1); end outcomes name their benefit owner (C3.a).",
    C2: "Indicators the city measures (from a catalogue list or its own), KPIs with kind, unit, direction, "
        "frequency, evaluation method, suppliers and users (C2.c, C2.d), baseline (C2.a), targets and "
        "trajectory points (C2.b), and measurements, one per KPI and period end date, which systems can push "
        "here (C2.b, C2.f). KPI data carries an SPDX licence (C2.g).",
}

RESOURCES = [
    Resource(m.BenefitNode, "benefit-nodes", C1,
             filters=["kind", "output_type", "governance_change", "purpose", "benefit_owner", "initiatives",
                      "projects"],
             search=["key", "title", "description"]),
    Resource(m.BenefitLink, "benefit-links", C1, filters=["source", "target", "evidence"],
             search=["rationale", "sources"]),
    Resource(m.CityIndicator, "city-indicators", C2, filters=["source", "code", "theme"],
             search=["key", "name", "code", "theme", "definition"]),
    Resource(m.Kpi, "kpis", C2,
             filters=["indicator", "node", "kind", "direction", "frequency", "evaluation_method", "trajectory",
                      "suppliers", "users", "published"],
             search=["key", "title", "scope", "calculation"]),
    Resource(m.KpiTarget, "kpi-targets", C2, filters=["kpi", "date"], search=["label", "note"]),
    Resource(m.TrajectoryPoint, "trajectory-points", C2, filters=["kpi", "date"]),
    Resource(m.Measurement, "measurements", C2, filters=["kpi", "period_end", "quality"], search=["source", "note"]),
]
