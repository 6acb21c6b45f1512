"""The benefits section of city packs (``benefits.yaml``): the benefit map (C1).

Declarations only; the engine (:mod:`cityline.core.packs`) reads, checks and writes.
"""

from cityline.core.packs.spec import Collection, Section, register

from . import models

SECTION = register(
    Section(
        file="benefits.yaml",
        title="benefit realisation: the benefit map (C1)",
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
        ],
    )
)
