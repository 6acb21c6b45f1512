"""The risks section of city packs (``risks.yaml``): the risk register (D)."""

from cityline.core.packs.spec import Collection, Field, Section, register

from . import models

SECTION = register(
    Section(
        file="risks.yaml",
        title="key risks (D): the risk register",
        order=40,
        collections=[
            Collection(
                "risks", models.Risk, key=True,
                fields=["title", "cause", "effect", "area", "nature", "likelihood", "impact", "owner", "status",
                        "last_reviewed", "next_review", "threatens", "reviewed_at"],
                description="Key risks with cause, effect, rating and owner, the benefit-map nodes they threaten "
                            "(C3.c) and the checkpoints that reviewed them (D.1).",
                children=[
                    Collection("responses", models.RiskResponse, parent="risk", identity=["order"],
                               fields=[Field("order", required=True, description="Position of the response in the list (1, 2, …)."),
                                       "kind", "description", "cost", "status", "due_date"]),
                ],
            ),
        ],
    )
)
