"""Benefit delivery in the API (C3): realisation plans, their activities, and the programme board's escalation list."""

from ninja import Router, Schema

from cityline.api.auth import viewer_is_staff
from cityline.api.generic import ERRORS_READ, Resource, get_city

from . import models as m

C3 = "delivery: C3 benefit delivery"

TAGS = {
    C3: "Benefit realisation plans per outcome with their owner and review dates, plan activities with dates, "
        "status, priority and dependencies (C3.b), and the escalation list of off-track and at-risk outcomes "
        "for the programme board (C3.d).",
}

RESOURCES = [
    Resource(m.RealisationPlan, "realisation-plans", C3, filters=["benefit", "owner", "last_reviewed"],
             search=["key", "summary"]),
    Resource(m.PlanActivity, "plan-activities", C3,
             filters=["plan", "owner", "status", "priority", "start", "due", "depends_on", "advances"],
             search=["key", "title", "description"], computed={"is_open": bool}),
]


# --- the escalation list (C3.d): a view, not a collection ---------------------------------


class KpiLine(Schema):
    kpi: str
    title: str
    node: str | None = None
    unit: str
    status: str
    status_label: str
    actual: float | None = None
    actual_date: str | None = None
    expected: float | None = None
    next_due: str | None = None
    forecast: str


class ActionLine(Schema):
    key: str
    title: str
    plan: str
    owner: str | None = None
    status: str
    status_label: str
    priority: str
    priority_label: str
    start: str | None = None
    due: str | None = None
    overdue: bool
    days_overdue: int
    waiting_for: list[str]


class RiskLine(Schema):
    key: str
    title: str
    score: int
    rating: str
    rating_label: str
    owner: str
    status: str
    threatens: list[str]


class Escalation(Schema):
    node: str
    title: str
    kind: str
    status: str
    status_label: str
    cause: str
    owners: list[str]
    path: list[str]
    path_titles: list[str]
    kpis: list[KpiLine]
    plan: str | None = None
    plan_review_overdue: bool | None = None
    actions: list[ActionLine]
    risks: list[RiskLine]


class EscalationList(Schema):
    city: str
    city_name: str
    on: str
    published_only: bool
    counts: dict[str, int]
    escalations: list[Escalation]


def add_routes(router: Router) -> None:
    from datetime import date

    from cityline.api.errors import ApiProblem

    from .services import escalation_list

    @router.get("/cities/{city_key}/escalations", response={200: EscalationList, **ERRORS_READ}, tags=[C3],
                operation_id="escalations", summary="Escalation list for the programme board (C3.d)",
                description="Every outcome that is off track or at risk, worst first, with its benefit owners, "
                            "the path of causes, the KPIs behind it with status and forecast, its open plan "
                            "activities (overdue ones flagged) and the risks threatening it or anything upstream. "
                            "Staff see every KPI; anyone else sees the list computed from published KPIs only "
                            "(C2.f). `on` (YYYY-MM-DD) picks the date, default today. See docs/benefits/delivery.md.")
    def escalations(request, city_key: str, on: str | None = None):
        city = get_city(city_key)
        try:
            on_date = date.fromisoformat(on) if on else None
        except ValueError:
            raise ApiProblem("bad-request", f"on: {on!r} is not a date (YYYY-MM-DD)") from None
        return escalation_list(city, on_date, published_only=not viewer_is_staff(request, city))
