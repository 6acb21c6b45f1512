"""A small hand-made set of development projects for tests (B12).

``make_developments_city()`` builds, through the actions layer:

- organisations ``council`` (lead) and ``water-co``, ``power-co`` (partners);
- a workstream and initiative ``quay-works`` and a risk ``utility-clash``;
- projects, all in 2026 unless said otherwise:

  ========== ============ ============================== ========================
  key        area         dates                          place / other
  ========== ============ ============================== ========================
  quay-road  Harbour Ward 1 Jan – 30 Jun, transport       box -1.10..-1.05, 50.70..50.75
  quay-main  harbour ward 1 May – 31 Dec, water           no place but the area
  fibre      Old Town     1 Sep – 31 Dec, telecoms        point 50.72, -1.07 (inside quay-road's box)
  school     Hillside     1 Jan – 31 Dec, buildings       alone
  old-depot  Harbour Ward 2020–2021, waste, in operation  finished
  ========== ============ ============================== ========================

  so the cross-infrastructure view finds quay-main–quay-road (same area) and nothing
  else: fibre's point is in quay-road's box but their periods do not meet.

- quay-road's checklist: ducting done, sensors planned, data sharing not applicable,
  the rest absent → 1 done of 6 applicable = 17 %.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cityline.core import actions
from cityline.core.models import City
from cityline.core.testing import make_city, make_organisation, make_person
from cityline.risks.models import Risk
from cityline.strategy.models import Initiative, Workstream

from .models import ChecklistEntry, DevelopmentProject


def make_developments_city(key: str = "testville") -> City:
    city = make_city(key, key.title())
    council = make_organisation(city, "council", name="Testville Council")
    water = make_organisation(city, "water-co", sector="private", name="Water Co")
    make_organisation(city, "power-co", sector="private", name="Power Co")
    lead = make_person(city, "ada", name="Ada Lead", organisation=council)
    ws = actions.create(Workstream, city=city, key="infra", name="Infrastructure", kind="other", lead=lead)
    works = actions.create(Initiative, city=city, key="quay-works", title="Coordinated quay works", phase="deliver",
                           workstream=ws, cost=Decimal("100000"), risk="medium", months_to_deliver=12)
    clash = actions.create(Risk, city=city, key="utility-clash", title="Utility works clash", cause="No joint plan",
                           effect="Road dug twice", area="resource", nature="delivery", likelihood=3, impact=3,
                           owner=lead)

    def project(key, name, area, start, end, types, **extra):
        m2m = extra.pop("m2m", None)
        return actions.create(DevelopmentProject, city=city, key=key, name=name, area=area, start_date=start,
                              end_date=end, infrastructure_types=types, lead=extra.pop("lead", council),
                              m2m=m2m, **extra)

    road = project("quay-road", "Quay road rebuild", "Harbour Ward", date(2026, 1, 1), date(2026, 6, 30),
                   ["transport"], stage="construction", budget=Decimal("2500000.00"),
                   box_west=Decimal("-1.10"), box_south=Decimal("50.70"), box_east=Decimal("-1.05"),
                   box_north=Decimal("50.75"),
                   m2m={"partners": [water], "initiatives": [works], "risks": [clash]})
    project("quay-main", "Quay water main", "harbour ward", date(2026, 5, 1), date(2026, 12, 31), ["water"],
            stage="design", lead=water)
    project("fibre", "Old Town fibre", "Old Town", date(2026, 9, 1), date(2026, 12, 31), ["telecoms"],
            stage="planning", latitude=Decimal("50.72"), longitude=Decimal("-1.07"))
    project("school", "Hillside school", "Hillside", date(2026, 1, 1), date(2026, 12, 31), ["buildings"])
    project("old-depot", "Old depot", "Harbour Ward", date(2020, 1, 1), date(2021, 12, 31), ["waste"],
            stage="operation")
    for item, status in (("ducting", "done"), ("sensors", "planned"), ("data_sharing", "not_applicable")):
        actions.create(ChecklistEntry, city=city, project=road, item=item, status=status,
                       note="Agreed at design review" if status == "done" else "")
    return city
