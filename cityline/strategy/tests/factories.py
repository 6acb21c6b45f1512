"""A small but complete strategy-management city, built through the actions layer.

Fast tests of the public pages use it instead of the full demo city: a few of every
record type (A, B1–B7), with one person whose contact is published and one whose
contact is not (B2.g), published and draft documents, and initiatives that rank as
quick wins (B7.b, B7.c).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from cityline.core import actions
from cityline.core.models import City, Document, Organisation, Person
from cityline.strategy import models as m

#: Private details that must never appear on a public page or download.
PRIVATE = SimpleNamespace(name="Samira Hidden-Contact", email="samira.private@council.example",
                          phone="+33 9 99 99 99 99")
PUBLIC = SimpleNamespace(name="Ada Published", email="ada.lead@council.example", phone="+33 1 23 45 67 89")
PUBLISHED_URL = "https://docs.riverford.example/digital-strategy.pdf"
DRAFT_URL = "https://intranet.riverford.example/draft-data-policy.docx"


def make_strategy_city(key: str = "riverford", name: str = "Riverford") -> City:
    c = actions.create(City, key=key, name=name, country="FR", population=182000,
                       description="A river city of 182,000 people testing its smart city programme.")

    def make(model, **fields):
        m2m = fields.pop("m2m", None)
        return actions.create(model, city=c, m2m=m2m, **fields)

    council = make(Organisation, key="council", name="Riverford City Council", sector="public")
    uni = make(Organisation, key="uni", name="Riverford University", sector="academic")
    coop = make(Organisation, key="energy-coop", name="Riverside Energy Cooperative", sector="voluntary")
    telco = make(Organisation, key="telco", name="Fibre Nord", sector="private")

    ada = make(Person, key="ada", name=PUBLIC.name, role="Chief digital officer", organisation=council,
               email=PUBLIC.email, phone=PUBLIC.phone, published_contact=True)
    sam = make(Person, key="sam", name=PRIVATE.name, role="Cabinet adviser", organisation=council,
               email=PRIVATE.email, phone=PRIVATE.phone, published_contact=False)
    lin = make(Person, key="lin", name="Lin Okafor", role="Professor of urban data", organisation=uni,
               published_contact=True)

    strategy_doc = make(Document, key="digital-strategy", title="Riverford Digital Strategy", doc_type="strategy",
                        status="published", adopted_on=date(2024, 3, 1), published_on=date(2024, 3, 15),
                        url=PUBLISHED_URL, owner=council)
    data_policy = make(Document, key="data-policy", title="Open Data Policy (draft)", doc_type="policy",
                       status="draft", url=DRAFT_URL, owner=council)
    minutes = make(Document, key="board-minutes-1", title="Board minutes, March", doc_type="minutes",
                   status="published", published_on=date(2024, 3, 20), owner=council)
    private_paper = make(Document, key="board-paper-confidential", title="Confidential budget paper",
                         doc_type="meeting_paper", status="draft", owner=council)

    # A: principles
    open_p = make(m.Principle, key="open-by-default", group="open_collaborative", title="Open by default",
                  statement="We publish data and decisions unless there is a clear reason not to.")
    citizen = make(m.Principle, key="citizens-first", group="citizen_centric", title="Citizens first",
                   statement="Services are designed with the people who use them.")
    make(m.PrincipleAgreement, principle=open_p, organisation=council, agreed_on=date(2024, 1, 10))
    make(m.PrincipleAgreement, principle=open_p, organisation=uni, agreed_on=date(2024, 2, 1))
    make(m.PrincipleAgreement, principle=citizen, organisation=coop, agreed_on=date(2024, 2, 5))

    # B1: vision
    vision = make(m.Vision, title="A river city that works for everyone",
                  statement="By 2035 Riverford is a low-carbon, connected city where every resident can reach "
                            "services online or in person.", horizon_year=2035, document=strategy_doc)
    make(m.VisionPurpose, vision=vision, purpose="well_being", weight=Decimal("0.4"), rationale="Health gaps")
    make(m.VisionPurpose, vision=vision, purpose="environment", weight=Decimal("0.35"))
    make(m.VisionIssue, vision=vision, issue="mobility", weight=Decimal("0.5"))
    make(m.VisionObjective, key="co2", vision=vision, title="Halve transport emissions", purpose="environment",
         indicator="Transport CO2 per resident", unit="t", baseline_value=Decimal("1.8"), baseline_year=2022,
         target_value=Decimal("0.9"), target_year=2035)

    # B2: governance
    board = make(m.GovernanceBody, key="board", name="Smart City Board", level="strategic",
                 remit="Sets outcomes and watches benefits.", meets="quarterly")
    delivery = make(m.GovernanceBody, key="delivery-group", name="Delivery Group", level="delivery",
                    remit="Runs the roadmap.", meets="monthly", parent=board)
    make(m.BodyMember, body=board, person=ada, role="chair")
    make(m.BodyMember, body=board, person=sam, role="member")
    make(m.BodyMember, body=delivery, person=lin, role="member")
    make(m.SkillCoverage, person=ada, skill="technology", level=4, sfia_code="ITSP")
    make(m.SkillCoverage, person=lin, skill="engagement", level=2)
    make(m.Meeting, key="board-2024-03", body=board, date=date(2024, 3, 18), title="Spring board",
         summary="Agreed the roadmap.", m2m={"papers": [minutes, private_paper]})
    make(m.AccountableLead, person=ada, kind="administrative", title="Senior responsible owner",
         since=date(2023, 9, 1))
    make(m.AccountableLead, person=sam, kind="political", title="Cabinet member for digital")

    # B7: roadmap
    for phase, start, end in [("plan", date(2023, 1, 1), date(2023, 12, 31)),
                              ("initiate", date(2024, 1, 1), date(2024, 12, 31)),
                              ("deliver", date(2025, 1, 1), date(2027, 12, 31)),
                              ("consolidate", date(2028, 1, 1), date(2029, 12, 31)),
                              ("transform", date(2030, 1, 1), date(2035, 12, 31))]:
        make(m.RoadmapPhase, phase=phase, start_date=start, end_date=end, summary=f"The {phase} phase.")
    ws = make(m.Workstream, key="services", name="Service transformation", kind="services", lead=ada)
    ws_proc = make(m.Workstream, key="procurement", name="Smarter procurement", kind="procurement", lead=sam)
    project = make(m.Project, key="portal-project", name="Resident portal project", status="in_progress",
                   progress=40, owner=ada)
    wifi = make(m.Initiative, key="library-wifi", title="Free wifi in libraries", phase="initiate", workstream=ws,
                status="in_progress", progress=60, cost=Decimal("20000"), risk="low", months_to_deliver=3,
                quick_win_agreed=True)
    make(m.Initiative, key="resident-portal", title="Resident portal", phase="deliver", workstream=ws,
         status="approved", progress=10, cost=Decimal("850000"), risk="medium", months_to_deliver=18,
         m2m={"projects": [project]})
    make(m.Initiative, key="open-tenders", title="Publish tenders as open data", phase="initiate",
         workstream=ws_proc, status="completed", progress=100, cost=Decimal("5000"), risk="low",
         months_to_deliver=2)
    make(m.Initiative, key="sensor-pilot", title="Air quality sensor pilot", phase="initiate", workstream=ws,
         status="proposed", progress=0, cost=Decimal("120000"), risk="medium", months_to_deliver=8)
    make(m.Checkpoint, key="gate-1", title="End of plan review", phase="plan", date=date(2023, 12, 15),
         reviewer="Regional audit office", result="passed_with_conditions",
         findings="Benefits need owners before delivery.")
    make(m.Checkpoint, key="gate-2", title="End of initiate review", phase="initiate", date=date(2024, 12, 15))

    # B4: procurement
    make(m.ProcurementEntry, key="smart-lighting", title="Smart street lighting", buyer=council,
         outcome_sought="Lit streets at half the energy, with open sensor data.",
         estimated_value=Decimal("2400000"), expected_tender_date=date(2025, 9, 1), status="market_engagement",
         sme_engagement="lots", buys_outcomes=True, open_data_terms=True, innovation_incentives=False,
         avoids_lock_in=True, capital_cost=Decimal("1500000"), annual_running_cost=Decimal("80000"),
         contract_years=10, exit_cost=Decimal("120000"), project=project)
    make(m.ProcurementEntry, key="parking-app", title="Parking payment app", buyer=telco,
         outcome_sought="Pay for parking by phone or at the kiosk.", estimated_value=Decimal("300000"),
         expected_tender_date=date(2025, 6, 1), status="planned", capital_cost=Decimal("100000"),
         annual_running_cost=Decimal("30000"), contract_years=5, exit_cost=Decimal("20000"))

    # B5: interoperability matrix
    cell = make(m.InteropCell, process="strategy", dimension="policy", notes="Strategy agreed at board level.",
                m2m={"policy_products": [strategy_doc, data_policy]})
    barrier = make(m.InteropBarrier, key="no-data-sharing", cell=cell, description="No data-sharing agreement "
                   "between the council and the transport operator.", severity="high")
    make(m.InteropAction, key="sign-dsa", cell=cell, title="Sign a data-sharing agreement", status="in_progress",
         due_date=date(2025, 12, 1), barrier=barrier, initiative=wifi, aligned_with="Regional data framework")
    make(m.InteropCell, process="resource", dimension="technical", notes="")

    # B6: glossary
    od = make(m.GlossaryTerm, key="open-data", term="Open data", definition="Data anyone can use and share.",
              source="Open Definition", status="agreed", sccm_concept="Resource")
    make(m.GlossaryTerm, key="etalab", term="Écosystème", definition="The partners around a service.",
         status="proposed", m2m={"related": [od]})
    make(m.GlossaryTerm, key="benefit", term="benefit", definition="A measurable improvement for someone.",
         status="agreed", sccm_concept="Objective")
    return c
