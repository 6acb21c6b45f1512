"""Developments and infrastructure in the API (B12). Declarations and the cross-infrastructure view."""

from ninja import Router, Schema

from cityline.api.generic import ERRORS_READ, Resource, get_city

from . import models as m

B12 = "developments: B12 developments and infrastructure"

TAGS = {
    B12: "Development and infrastructure projects with their infrastructure types, stage, place and period, "
         "lead and partners, roadmap initiatives and risks, the smart-delivery checklist (B12.a–c) with its "
         "completeness score, and the cross-infrastructure view of projects that could share works or sensors "
         "(B12.b).",
}

RESOURCES = [
    Resource(m.DevelopmentProject, "development-projects", B12,
             filters=["stage", "area", "lead", "partners", "infrastructure_types", "start_date", "end_date",
                      "initiatives", "risks"],
             search=["key", "name", "description", "area"], computed={"checklist_score": int | None}),
    Resource(m.ChecklistEntry, "development-checklist", B12, filters=["project", "item", "status"],
             search=["note"]),
]


class PairOut(Schema):
    a: str
    b: str
    reasons: list[str]
    window_start: str
    window_end: str
    types: list[str]
    cross_infrastructure: bool


class GroupOut(Schema):
    keys: list[str]
    areas: list[str]
    types: list[str]


class ChecklistOut(Schema):
    key: str
    name: str
    done: int
    planned: int
    missing: int
    not_applicable: int
    score: int | None = None
    open_items: list[str]


class CrossInfrastructureOut(Schema):
    city: str
    pairs: list[PairOut]
    groups: list[GroupOut]
    undated: list[str]
    finished: list[str]
    checklists: list[ChecklistOut]


def add_routes(router: Router) -> None:
    from .services import cross_infrastructure

    @router.get("/cities/{city_key}/cross-infrastructure", response={200: CrossInfrastructureOut, **ERRORS_READ},
                tags=[B12], operation_id="cross_infrastructure",
                summary="Projects that could share works or sensors, and checklist completeness",
                description="Pairs of development projects in the same area (same area name, or intersecting "
                            "bounding boxes or points) whose periods overlap, with the reasons and the shared "
                            "window; groups of linked projects; projects left out (no dates, works finished); "
                            "every project's smart-delivery checklist score (B12.a–c). "
                            "See docs/developments-and-architecture.md.")
    def cross_infrastructure_view(request, city_key: str):
        return cross_infrastructure(get_city(city_key))
