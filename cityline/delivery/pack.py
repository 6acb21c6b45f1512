"""The delivery section of city packs (``delivery.yaml``): benefit realisation plans and their activities (C3.b).

Activities are nested under their plan; ``depends_on`` names other activities by key
(of any plan of the city). Declarations only; the engine (:mod:`cityline.core.packs`)
reads, checks and writes.
"""

from cityline.core.packs.spec import Collection, Section, register

from . import models

SECTION = register(
    Section(
        file="delivery.yaml",
        title="benefit delivery (C3): realisation plans and their activities",
        order=50,
        collections=[
            Collection(
                "realisation_plans", models.RealisationPlan, key=True,
                fields=["benefit", "owner", "summary", "last_reviewed", "review_every_days"],
                description="One plan per intermediate or end outcome: owner (default: the benefit owner, C3.a), "
                            "summary and review dates (C3.b).",
                children=[
                    Collection(
                        "activities", models.PlanActivity, parent="plan", key=True,
                        fields=["title", "description", "owner", "start", "due", "status", "priority",
                                "depends_on", "advances"],
                        description="What has to happen, by whom and when, with priority and the activities it "
                                    "waits for (by key; dependencies cannot loop) (C3.b).",
                    ),
                ],
            ),
        ],
    )
)
