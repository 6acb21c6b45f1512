"""The benefits section of city packs (``benefits.yaml``): the benefit map (C1), indicators and KPIs (C2).

The indicator catalogue is reference data of the instance and not part of a pack; the
indicators a city measures (``city_indicators``) are, with their list and identifier.

Declarations only; the engine (:mod:`cityline.core.packs`) reads, checks and writes.
"""

from cityline.core.packs.spec import Collection, Section, register

from . import models

FILE = "benefits.yaml"


def _check_baselines(city, directory, *, user=None, dry_run=False, rights=None):
    """The imported KPIs' baselines against their targets as imported. A pack may move a KPI's baseline and its
    targets together (re-baselining), so :meth:`.models.Kpi.clean` leaves the baseline against the targets stored
    before to this check of the final state."""
    problems = []
    for kpi in models.Kpi.objects.filter(city=city, baseline_date__isnull=False).order_by("key"):
        for field, message in kpi.baseline_problems().items():
            problems.append((FILE, f"kpis.{kpi.key}.{field}", message))
    return problems


SECTION = register(
    Section(
        file=FILE,
        title="benefit realisation: the benefit map (C1), indicators and KPIs (C2)",
        order=30,
        collections=[
            Collection(
                "benefit_nodes", models.BenefitNode, key=True,
                fields=["kind", "title", "description", "output_type", "governance_change", "purpose", "cost",
                        "benefit_owner", "initiatives", "projects"],
                description="Investments, outputs (enablers and governance changes), intermediate and end "
                            "outcomes, and ISO 37101 purposes (C1); end outcomes name their benefit owner (C3.a).",
            ),
            Collection(
                "benefit_links", models.BenefitLink, identity=["source", "target"],
                fields=["source", "target", "weight", "evidence", "rationale", "sources"],
                description="Who contributes to what, with the theory of change and its evidence (C1).",
            ),
            Collection(
                "city_indicators", models.CityIndicator, key=True,
                fields=["source", "code", "name", "theme", "definition"],
                description="Indicators the city measures: from a catalogue list (source and identifier) or "
                            "defined by the city (C2.c).",
            ),
            Collection(
                "kpis", models.Kpi, key=True,
                fields=["title", "indicator", "scope", "node", "kind", "unit", "direction", "band_low", "band_high",
                        "frequency", "grace_days", "evaluation_method", "suppliers", "users", "calculation",
                        "baseline_value", "baseline_date", "trajectory", "tolerance_on_track", "tolerance_at_risk",
                        "tolerance_basis", "licence", "published"],
                description="KPIs: indicator, scope, kind, unit, direction, frequency, evaluation method, suppliers "
                            "and users (C2.c, C2.d), baseline (C2.a), trajectory (C2.b), open licence (C2.g).",
                children=[
                    Collection("targets", models.KpiTarget, parent="kpi", identity=["label"],
                               fields=["label", "value", "date", "note"],
                               description="Targets: a value by a date (C2.b)."),
                    Collection("trajectory_points", models.TrajectoryPoint, parent="kpi", identity=["date"],
                               fields=["date", "value"],
                               description="Milestones of a stepped or custom trajectory (C2.b)."),
                ],
            ),
            Collection(
                "measurements", models.Measurement, identity=["kpi", "period_end"],
                fields=["kpi", "period_end", "value", "quality", "source", "note"],
                description="Measured values, one per KPI and period end date (C2.b, C2.f).",
            ),
        ],
        after_import=_check_baselines,
    )
)
