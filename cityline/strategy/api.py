"""Strategy management in the API: delivery principles (A) and B1–B7.

Declarations only (model, URL name as in the city pack, filters, search fields):
:mod:`cityline.api.generic` builds list, detail, create, update, delete and history.
"""

from decimal import Decimal

from cityline.api.generic import Resource

from . import models as m

A = "strategy: A principles"
B1 = "strategy: B1 vision"
B2 = "strategy: B2 governance"
B3 = "strategy: B3 engagement"
B4 = "strategy: B4 procurement"
B5 = "strategy: B5 interoperability"
B6 = "strategy: B6 glossary"
B7 = "strategy: B7 roadmap"

TAGS = {
    A: "Delivery principles in four groups and which organisations agreed them (A.1, A.2).",
    B1: "The city vision, its weighting against the ISO 37101 purposes and issues, and its measurable "
        "objectives (B1.a, B1.f). A city has one vision, addressed as /vision; its purposes, issues and "
        "objectives belong to it without naming it.",
    B2: "Governance bodies and their members and meetings, accountable leads, leadership skills, "
        "and the programme and project portfolio (B2.a–B2.g).",
    B3: "Interested parties by category, sector, influence and interest, and engagement activities (B3).",
    B4: "The published procurement pipeline with its smart-contracting checklist and total cost of "
        "ownership, suppliers and contracts with their data terms (B4.a–B4.c).",
    B5: "The 3 × 5 interoperability matrix: cells with their policy products, barriers and actions (B5).",
    B6: "The shared glossary mapped to ISO/IEC 30182 concepts (B6).",
    B7: "The five-phase roadmap, workstreams, initiatives with what quick-win ranking needs, and "
        "checkpoints with independent review (B7).",
}

RESOURCES = [
    # A
    Resource(m.Principle, "principles", A, filters=["group"], search=["key", "title", "statement"]),
    Resource(m.PrincipleAgreement, "principle-agreements", A,
             filters=["principle", "organisation", "agreed_on"]),
    # B1
    Resource(m.Vision, "vision", B1, single=True),
    Resource(m.VisionPurpose, "vision-purposes", B1, filters=["purpose", "weight"]),
    Resource(m.VisionIssue, "vision-issues", B1, filters=["issue", "weight"]),
    Resource(m.VisionObjective, "vision-objectives", B1, filters=["purpose", "target_year"],
             search=["key", "title", "description", "indicator"]),
    # B2
    Resource(m.GovernanceBody, "governance-bodies", B2, filters=["level", "parent"],
             search=["key", "name", "remit"]),
    Resource(m.BodyMember, "body-members", B2, filters=["body", "person", "role"]),
    Resource(m.Meeting, "meetings", B2, filters=["body", "date", "papers"], search=["key", "title", "summary"]),
    Resource(m.AccountableLead, "accountable-leads", B2, filters=["person", "kind"], search=["title"]),
    Resource(m.SkillCoverage, "skills", B2, filters=["person", "skill", "level"]),
    Resource(m.Programme, "programmes", B2, filters=["status", "owner", "start_date", "end_date", "progress"],
             search=["key", "name", "description"]),
    Resource(m.Project, "projects", B2,
             filters=["status", "owner", "programme", "start_date", "end_date", "progress"],
             search=["key", "name", "description"]),
    # B3
    Resource(m.InterestedParty, "interested-parties", B3,
             filters=["categories", "sector", "influence", "interest", "organisation"],
             search=["key", "name", "description"]),
    Resource(m.EngagementActivity, "engagement-activities", B3, filters=["kind", "channel", "date", "parties"],
             search=["key", "title", "outcome", "partner_city"]),
    # B4
    Resource(m.ProcurementEntry, "procurement-pipeline", B4,
             filters=["status", "buyer", "sme_engagement", "expected_tender_date", "estimated_value", "project",
                      "buys_outcomes", "open_data_terms", "innovation_incentives", "avoids_lock_in"],
             search=["key", "title", "outcome_sought"],
             computed={"total_cost_of_ownership": Decimal}),
    Resource(m.Supplier, "suppliers", B4, filters=["size", "organisation"], search=["key", "name"]),
    Resource(m.Contract, "contracts", B4,
             filters=["supplier", "buyer", "procurement", "data_ownership", "start_date", "end_date"],
             search=["key", "title", "data_terms"]),
    # B5
    Resource(m.InteropCell, "interop-cells", B5, filters=["process", "dimension", "policy_products"],
             search=["notes"]),
    Resource(m.InteropBarrier, "interop-barriers", B5, filters=["cell", "severity"], search=["key", "description"]),
    Resource(m.InteropAction, "interop-actions", B5, filters=["cell", "status", "barrier", "initiative", "due_date"],
             search=["key", "title", "aligned_with"]),
    # B6
    Resource(m.GlossaryTerm, "glossary", B6, filters=["status", "sccm_concept", "related"],
             search=["key", "term", "definition", "source"]),
    # B7
    Resource(m.RoadmapPhase, "roadmap-phases", B7, filters=["phase", "start_date", "end_date"]),
    Resource(m.Workstream, "workstreams", B7, filters=["kind", "lead"], search=["key", "name", "description"]),
    Resource(m.Initiative, "initiatives", B7,
             filters=["phase", "workstream", "status", "risk", "quick_win_agreed", "cost", "months_to_deliver",
                      "projects"],
             search=["key", "title", "description"]),
    Resource(m.Checkpoint, "checkpoints", B7, filters=["phase", "result", "date"],
             search=["key", "title", "findings", "reviewer"]),
]
