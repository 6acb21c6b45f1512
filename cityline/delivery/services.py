"""Benefit delivery of a stored city on a date: the escalation list (C3.d) and owner engagement (C3.a, C3.b).

Both are plain data (dicts and lists) built from one :func:`cityline.benefits.realisation.realisation`
run, the city's realisation plans and its risk register, so the API, the board pack (HTML,
CSV, PDF), the editor pages and the reminder e-mails all say the same thing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityline.benefits.domain import benefit_map as bmap
from cityline.benefits.models import BenefitNode
from cityline.benefits.realisation import KpiReport, Realisation, node_owners, realisation
from cityline.core.models import City, Person
from cityline.risks.models import Risk

from .domain import plans as rules
from .models import PlanActivity, RealisationPlan

#: Translated labels of KPI and node statuses (the rules speak English).
STATUS_LABELS = {
    "on_track": _("On track"), "at_risk": _("At risk"), "off_track": _("Off track"), "no_data": _("No data"),
    "data_overdue": _("Data overdue"), "no_target": _("No target"),
}
#: KPI statuses that mean the owner's measurements are not current (C3.a).
STALE = ("data_overdue", "no_data")
#: Risks still being managed.
LIVE_RISKS = ("open", "mitigating")


def status_label(status: str | None) -> str:
    return str(STATUS_LABELS.get(status, status or "—"))


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _kpi_line(r: KpiReport) -> dict[str, Any]:
    s = r.status
    return {"kpi": r.key, "title": r.record.title, "node": r.record.node.key if r.record.node_id else None,
            "unit": r.record.unit, "status": s.status, "status_label": status_label(s.status),
            "actual": s.actual, "actual_date": _iso(s.actual_date), "expected": s.expected,
            "next_due": _iso(s.next_due), "forecast": r.forecast.message}


def _plans(city: City) -> dict[str, RealisationPlan]:
    """The city's plans by the key of the outcome they realise, activities prefetched."""
    qs = (RealisationPlan.objects.filter(city=city).select_related("benefit", "owner")
          .prefetch_related("activities__owner", "activities__depends_on"))
    return {p.benefit.key: p for p in qs}


def _plan_activities(plan: RealisationPlan) -> list[tuple[PlanActivity, rules.Activity]]:
    acts = sorted(plan.activities.all(), key=lambda a: a.key)
    return [(a, a.as_plain([d.key for d in a.depends_on.all()])) for a in acts]


def _all_plain(plans: dict[str, RealisationPlan]) -> list[rules.Activity]:
    """Every activity of the city as plain data (dependencies may cross plans)."""
    return [plain for p in plans.values() for _a, plain in _plan_activities(p)]


def _action_line(record: PlanActivity, plain: rules.Activity, plan: RealisationPlan, on_date: date,
                 waiting: dict[str, list[str]]) -> dict[str, Any]:
    owner = record.owner or plan.owner
    late = rules.days_overdue(plain, on_date)
    return {"key": record.key, "title": record.title, "plan": plan.key, "owner": owner.name if owner else None,
            "status": record.status, "status_label": str(record.get_status_display()),
            "priority": record.priority, "priority_label": str(record.get_priority_display()),
            "start": _iso(record.start), "due": _iso(record.due), "overdue": late > 0, "days_overdue": late,
            "waiting_for": waiting.get(record.key, [])}


def open_actions(plan: RealisationPlan | None, on_date: date, waiting: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The plan's open activities in an order that respects dependencies (high priority first among the ready)."""
    if plan is None:
        return []
    pairs = _plan_activities(plan)
    by_key = {plain.key: (record, plain) for record, plain in pairs}
    try:
        ordered = [a.key for a in rules.critical_order([p for _r, p in pairs])]
    except rules.DependencyCycle:  # stored data is checked on write; never fail a report over it
        ordered = sorted(by_key)
    return [_action_line(by_key[k][0], by_key[k][1], plan, on_date, waiting)
            for k in ordered if rules.is_open(by_key[k][1])]


def _risks_by_node(city: City) -> list[tuple[Risk, set[str]]]:
    risks = Risk.objects.filter(city=city, status__in=LIVE_RISKS).select_related("owner").prefetch_related("threatens")
    return [(r, {n.key for n in r.threatens.all()}) for r in risks.order_by("key")]


def threatening_risks(bm: bmap.BenefitMap, key: str, risks: list[tuple[Risk, set[str]]]) -> list[dict[str, Any]]:
    """Live risks threatening ``key`` or a node upstream of it (C3.c), highest score first."""
    reach = {key} | set(bmap.upstream(bm, key))
    found = [(r, sorted(t & reach)) for r, t in risks if t & reach]
    found.sort(key=lambda pair: (-pair[0].score, pair[0].key))
    return [{"key": r.key, "title": r.title, "score": r.score, "rating": r.rating, "rating_label": r.rating_label,
             "owner": r.owner.name, "status": r.status, "threatens": via} for r, via in found]


def escalation_list(city: City, on_date: date | None = None, *, published_only: bool = False,
                    real: Realisation | None = None) -> dict[str, Any]:
    """Every off-track or at-risk outcome for the programme board, worst first (C3.d).

    Each entry names the outcome's benefit owners, the path of causes (from the off-track
    node upstream to the outcome), the KPIs behind it (its own and those of the nodes on
    the path) with status and forecast, its open plan activities (overdue ones flagged,
    with what they wait for) and the live risks threatening it or anything upstream.
    ``published_only`` leaves unpublished KPIs out (the public face, C2.f).
    """
    real = real or realisation(city, on_date, published_only=published_only)
    on_date = real.on_date
    owners = node_owners(city)
    plans = _plans(city)
    waiting = rules.blocked_by(_all_plain(plans))
    risks = _risks_by_node(city)
    titles = {n.key: n.title for n in real.benefit_map.nodes}
    reports = {r.key: r for r in real.kpis}
    rows = []
    for n in real.escalations():
        path = list(n.risk.path) if n.risk is not None else []
        kpi_keys: list[str] = []
        for key in [n.key, *reversed(path)]:
            for k in real.nodes[key].kpis if key in real.nodes else []:
                if k not in kpi_keys:
                    kpi_keys.append(k)
        plan = plans.get(n.key)
        rows.append({
            "node": n.key, "title": n.title, "kind": n.kind, "status": n.status,
            "status_label": status_label(n.status), "cause": n.cause,
            "owners": [p.name for p in owners.get(n.key, [])],
            "path": path, "path_titles": [titles.get(k, k) for k in path],
            "kpis": [_kpi_line(reports[k]) for k in kpi_keys],
            "plan": plan.key if plan else None,
            "plan_review_overdue": plan.review_overdue(on_date) if plan else None,
            "actions": open_actions(plan, on_date, waiting),
            "risks": threatening_risks(real.benefit_map, n.key, risks),
        })
    return {"city": city.key, "city_name": city.name, "on": on_date.isoformat(), "published_only": published_only,
            "counts": real.counts(), "escalations": rows}


# --- owner engagement (C3.a, C3.b) ------------------------------------------------------------


def engagement(city: City, on_date: date | None = None) -> dict[str, Any]:
    """Per benefit owner: the outcomes they answer for and how current their measurements and plans are.

    An owner answers for the outcomes they own on the benefit map and for the outcomes whose
    realisation plan they own. For each outcome: the KPIs measuring it (those whose data is
    overdue or missing are *stale*), the plan's review dates and its overdue activities.
    ``overdue`` counts what needs the owner's attention; it is what a reminder lists.
    """
    on_date = on_date or timezone.localdate()
    real = realisation(city, on_date)
    plans = _plans(city)
    waiting = rules.blocked_by(_all_plain(plans))
    reports_by_node: dict[str, list[KpiReport]] = {}
    for r in real.kpis:
        if r.record.node_id:
            reports_by_node.setdefault(r.record.node.key, []).append(r)
    last_measured = {}
    for r in real.kpis:  # measurements come ordered by period; the ones after the date are not known yet
        known = [m.period_end for m in r.record.measurements.all() if m.period_end <= on_date]
        last_measured[r.key] = known[-1] if known else None

    nodes = (BenefitNode.objects.filter(city=city, kind__in=(bmap.INTERMEDIATE_OUTCOME, bmap.END_OUTCOME))
             .select_related("benefit_owner").order_by("key"))
    answers: dict[int, tuple[Person, list[BenefitNode]]] = {}
    for node in nodes:
        plan = plans.get(node.key)
        for person in {p.pk: p for p in (node.benefit_owner, plan.owner if plan else None) if p}.values():
            answers.setdefault(person.pk, (person, []))[1].append(node)

    owners = []
    for person, owned in sorted(answers.values(), key=lambda pair: (pair[0].name, pair[0].key)):
        outcomes = []
        total = 0
        for node in owned:
            kpis = []
            for r in reports_by_node.get(node.key, []):
                stale = r.status.status in STALE
                kpis.append({"kpi": r.key, "title": r.record.title, "status": r.status.status,
                             "status_label": status_label(r.status.status),
                             "last_measured": _iso(last_measured[r.key]), "next_due": _iso(r.status.next_due),
                             "stale": stale})
            plan = plans.get(node.key)
            late = [a for a in open_actions(plan, on_date, waiting) if a["overdue"]]
            review_late = plan.review_overdue(on_date) if plan else False
            count = sum(k["stale"] for k in kpis) + len(late) + int(review_late)
            total += count
            outcomes.append({
                "node": node.key, "title": node.title, "kind": node.kind,
                "status": real.nodes[node.key].status if node.key in real.nodes else None,
                "status_label": status_label(real.nodes[node.key].status if node.key in real.nodes else None),
                "kpis": kpis, "plan": plan.key if plan else None,
                "plan_last_reviewed": _iso(plan.last_reviewed) if plan else None,
                "plan_next_review": _iso(plan.next_review()) if plan else None,
                "plan_review_overdue": review_late, "overdue_actions": late, "overdue": count,
            })
        owners.append({"person": person.key, "name": person.name, "email": person.email, "outcomes": outcomes,
                       "overdue": total})
    return {"city": city.key, "city_name": city.name, "on": on_date.isoformat(), "owners": owners}
