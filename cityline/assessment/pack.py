"""The assessment section of city packs (``assessment.yaml``): settings and attestations (issue 9).

Snapshots are not in the pack: they are a record of past assessments, taken again by ``cityline assess --save``.
"""

from cityline.core.packs.spec import Collection, Field, Section, register

from . import models

SECTION = register(
    Section(
        file="assessment.yaml",
        title="ISO 37106 self-assessment: thresholds, publication (B2.g) and attestations",
        order=90,
        collections=[
            Collection(
                "settings", models.AssessmentSettings, single=True,
                fields=[Field("thresholds", kind="mapping",
                              description="Threshold name → value, overriding the defaults the rules declare "
                                          "(docs/assessment.md lists them); unknown names are refused."),
                        "publish"],
                description="The city's own thresholds for the assessment rules and whether the assessment is "
                            "public (B2.g).",
            ),
            Collection(
                "attestations", models.Attestation, key=True,
                fields=["recommendation", "outcome", "statement", "evidence", "attested_by", "attested_on",
                        "expires"],
                description="Staff statements that a recommendation the data cannot show is met or partly met, "
                            "with the document that backs each and the date it expires.",
            ),
        ],
    )
)
