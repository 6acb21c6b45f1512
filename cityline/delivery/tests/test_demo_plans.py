"""The demo city's realisation plans load and feed the escalation list and reminders (C3.b, C3.d, C3.a)."""

from datetime import date

import pytest

from cityline.delivery.domain import plans as rules
from cityline.delivery.models import PlanActivity, RealisationPlan
from cityline.delivery.services import engagement, escalation_list

ON = date(2026, 11, 1)


@pytest.mark.django_db
def test_demo_plans_cover_end_outcomes_with_overdue_and_blocked_work(demo_city):
    plans = RealisationPlan.objects.filter(city=demo_city).select_related("benefit", "owner")
    assert plans.count() >= 5 and all(p.benefit.kind == "end_outcome" and p.owner for p in plans)
    acts = [a.as_plain() for a in PlanActivity.objects.filter(city=demo_city).prefetch_related("depends_on")]
    assert 10 <= len(acts) <= 30
    assert rules.overdue(acts, ON) and rules.blocked_by(acts)
    assert rules.find_cycle({a.key: a.depends_on for a in acts}) is None
    data = escalation_list(demo_city, ON)
    assert any(a["overdue"] for e in data["escalations"] for a in e["actions"])
    owners = engagement(demo_city, ON)["owners"]
    assert any(o["overdue"] for o in owners)
