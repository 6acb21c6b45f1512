"""The strategy section of city packs (``strategy.yaml``): A and B1–B7.

Declares which records ``strategy.yaml`` holds and how each is identified; the
engine (:mod:`cityline.core.packs`) does the reading, checking and writing.
"""

from cityline.core.packs.spec import Collection, Field, Section, register

from . import choices, models

PORTFOLIO = [
    "name", "description", "owner", "status", "progress", "start_date", "end_date", "budget",
    "business_case_costs", "expected_benefits", "success_indicators",
]

SECTION = register(
    Section(
        file="strategy.yaml",
        title="strategy management: delivery principles (A) and B1–B7",
        order=20,
        collections=[
            # A: delivery principles, with who agreed them (A.1, A.2)
            Collection(
                "principles", models.Principle, key=True,
                fields=["group", "title", "statement", "order"],
                children=[
                    Collection(
                        "agreements", models.PrincipleAgreement, parent="principle",
                        identity=["organisation"], fields=["organisation", "agreed_on"],
                    ),
                ],
            ),
            # B1: the vision, its weighted purposes and issues, its objectives (B1.a, B1.f)
            Collection(
                "vision", models.Vision, single=True,
                fields=["title", "statement", "horizon_year", "document"],
                children=[
                    Collection("purposes", models.VisionPurpose, parent="vision", identity=["purpose"],
                               fields=["purpose", "weight", "rationale"]),
                    Collection("issues", models.VisionIssue, parent="vision", identity=["issue"],
                               fields=["issue", "weight"]),
                    Collection(
                        "objectives", models.VisionObjective, parent="vision", key=True,
                        fields=["title", "description", "purpose", "indicator", "unit", "baseline_value",
                                "baseline_year", "target_value", "target_year", "order"],
                    ),
                ],
            ),
            # B2: leadership and governance
            Collection(
                "governance_bodies", models.GovernanceBody, key=True,
                fields=["name", "level", "remit", "meets", "parent"],
                children=[
                    Collection("members", models.BodyMember, parent="body", identity=["person"],
                               fields=["person", "role"]),
                ],
            ),
            Collection("meetings", models.Meeting, key=True, fields=["body", "date", "title", "summary", "papers"]),
            Collection("accountable_leads", models.AccountableLead, identity=["person", "kind"],
                       fields=["person", "kind", "title", "since"]),
            Collection("skills", models.SkillCoverage, identity=["person", "skill"],
                       fields=["person", "skill", "level", "sfia_code"]),
            Collection("programmes", models.Programme, key=True, fields=PORTFOLIO),
            Collection("projects", models.Project, key=True, fields=[*PORTFOLIO, "programme"]),
            # B3: collaborative engagement
            Collection(
                "interested_parties", models.InterestedParty, key=True,
                fields=[
                    "name", "organisation",
                    Field("categories", kind="enum_list", required=True, choices=choices.PartyCategory.choices),
                    "sector", "influence", "interest", "description",
                ],
            ),
            Collection(
                "engagement_activities", models.EngagementActivity, key=True,
                fields=["title", "kind", "date", "channel", "participants", "parties", "partner_city", "outcome"],
            ),
            # B4: procurement and supplier management
            Collection(
                "procurement_pipeline", models.ProcurementEntry, key=True,
                fields=[
                    "title", "buyer", "outcome_sought", "estimated_value", "currency", "expected_tender_date",
                    "status", "sme_engagement", "buys_outcomes", "open_data_terms", "innovation_incentives",
                    "avoids_lock_in", "capital_cost", "annual_running_cost", "contract_years", "exit_cost", "project",
                ],
            ),
            Collection("suppliers", models.Supplier, key=True, fields=["name", "size", "organisation", "website"]),
            Collection(
                "contracts", models.Contract, key=True,
                fields=["title", "supplier", "buyer", "procurement", "value", "currency", "start_date", "end_date",
                        "data_ownership", "data_terms", "exit_terms"],
            ),
            # B5: the interoperability matrix, cell by cell
            Collection(
                "interoperability_matrix", models.InteropCell, identity=["process", "dimension"],
                fields=["process", "dimension", "notes", "policy_products"],
                children=[
                    Collection("barriers", models.InteropBarrier, parent="cell", key=True,
                               fields=["description", "severity"]),
                    Collection("actions", models.InteropAction, parent="cell", key=True,
                               fields=["title", "status", "due_date", "barrier", "initiative", "aligned_with"]),
                ],
            ),
            # B6: glossary
            Collection("glossary", models.GlossaryTerm, key=True,
                       fields=["term", "definition", "source", "status", "sccm_concept", "related"]),
            # B7: roadmap
            Collection("roadmap_phases", models.RoadmapPhase, identity=["phase"],
                       fields=["phase", "start_date", "end_date", "summary"]),
            Collection("workstreams", models.Workstream, key=True, fields=["name", "kind", "lead", "description"]),
            Collection(
                "initiatives", models.Initiative, key=True,
                fields=["title", "phase", "workstream", "description", "status", "progress", "cost", "risk",
                        "months_to_deliver", "quick_win_agreed", "early_adopters", "projects"],
            ),
            Collection("checkpoints", models.Checkpoint, key=True,
                       fields=["title", "phase", "date", "reviewer", "result", "findings"]),
        ],
    )
)
