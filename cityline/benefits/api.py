"""Benefit realisation in the API: the benefit map (C1).

Declarations only: :mod:`cityline.api.generic` builds list, detail, create, update,
delete and history for each collection.
"""

from cityline.api.generic import Resource

from . import models as m

C1 = "benefits: C1 benefit map"

TAGS = {
    C1: "The benefit map: investments, outputs (enablers and governance changes), intermediate and end "
        "outcomes and the ISO 37101 purposes, with the links between them, their theory of change and "
        "its evidence (C1); end outcomes name their benefit owner (C3.a).",
}

RESOURCES = [
    Resource(m.BenefitNode, "benefit-nodes", C1,
             filters=["kind", "output_type", "governance_change", "purpose", "benefit_owner", "initiatives",
                      "projects"],
             search=["key", "title", "description"]),
    Resource(m.BenefitLink, "benefit-links", C1, filters=["source", "target", "evidence"],
             search=["rationale", "sources"]),
]
