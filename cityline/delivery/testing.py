"""Realisation plans on the small benefit map of :func:`cityline.benefits.testing.make_realisation_city`, for tests.

Not test code itself: a factory the delivery tests share, written through :mod:`cityline.core.actions`.
"""

from __future__ import annotations

from datetime import date

from cityline.benefits.testing import make_realisation_city
from cityline.core import actions
from cityline.core.testing import make_person
from cityline.risks.models import Risk

from .models import PlanActivity, RealisationPlan

#: The date the delivery tests look at the city (after the 2025 measurements).
ON = date(2026, 3, 1)


def make_delivery_city(key: str = "testville"):
    """The realisation city with plans, activities and a risk. Returns ``(city, nodes, records)``.

    - ``air-plan`` for ``cleaner-air`` (owner: the benefit owner Ada Owner, reviewed
      2025-06-01, so overdue on :data:`ON`): ``survey`` done; ``sensors`` in progress, due
      2025-12-31 (overdue); ``zones`` planned, high priority, depends on ``sensors``
      (blocked by it), due 2026-09-30; ``old-idea`` cancelled.
    - ``streets-plan`` for ``quiet-streets`` (owner Bo Builder, who has no e-mail; reviewed
      2026-02-01, so current): ``barriers`` planned, due 2026-12-31, depends on ``zones``.
    - risk ``data-sharing`` (score 12) threatens ``lanes``, upstream of both outcomes;
      risk ``closed-one`` is closed and threatens ``cleaner-air`` (left out: not live).
    """
    city, n = make_realisation_city(key)
    ada = n["cleaner-air"].benefit_owner
    actions.update(ada, email="ada@example.org")
    bo = make_person(city, "bo-builder", name="Bo Builder")
    air = actions.create(RealisationPlan, city=city, key="air-plan", benefit=n["cleaner-air"],
                         summary="Cut NO2 with cycling and low-emission zones.", last_reviewed=date(2025, 6, 1))
    streets = actions.create(RealisationPlan, city=city, key="streets-plan", benefit=n["quiet-streets"], owner=bo,
                             last_reviewed=date(2026, 2, 1))
    r = {"air-plan": air, "streets-plan": streets}
    r["survey"] = actions.create(PlanActivity, city=city, key="survey", plan=air, title="Baseline survey",
                                 start=date(2024, 1, 1), due=date(2024, 6, 30), status="done")
    r["sensors"] = actions.create(PlanActivity, city=city, key="sensors", plan=air, title="Install air sensors",
                                  start=date(2025, 1, 1), due=date(2025, 12, 31), status="in_progress",
                                  advances=n["cleaner-air"], m2m={"depends_on": [r["survey"]]})
    r["zones"] = actions.create(PlanActivity, city=city, key="zones", plan=air, title="Low-emission zones",
                                start=date(2026, 1, 1), due=date(2026, 9, 30), priority="high",
                                m2m={"depends_on": [r["sensors"]]})
    r["old-idea"] = actions.create(PlanActivity, city=city, key="old-idea", plan=air, title="Car-free Sundays",
                                   due=date(2025, 1, 1), status="cancelled")
    r["barriers"] = actions.create(PlanActivity, city=city, key="barriers", plan=streets, title="Noise barriers",
                                   owner=bo, start=date(2026, 10, 1), due=date(2026, 12, 31),
                                   m2m={"depends_on": [r["zones"]]})
    common = dict(cause="Departments do not share data", effect="Lanes are planned blind", area="strategy",
                  nature="cultural_change", owner=ada)
    r["data-sharing"] = actions.create(Risk, city=city, key="data-sharing", title="Data is not shared",
                                       likelihood=3, impact=4, m2m={"threatens": [n["lanes"]]}, **common)
    r["closed-one"] = actions.create(Risk, city=city, key="closed-one", title="An old worry", likelihood=5,
                                     impact=5, status="closed", m2m={"threatens": [n["cleaner-air"]]}, **common)
    return city, n, r
