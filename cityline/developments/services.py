"""The cross-infrastructure view and checklist scores of a stored city (B12.a–c)."""

from __future__ import annotations

from typing import Any

from cityline.core.models import City

from .domain import checklist
from .domain import cross_infrastructure as cross
from .models import DevelopmentProject


def projects(city: City) -> list[DevelopmentProject]:
    return list(DevelopmentProject.objects.filter(city=city).select_related("lead")
                .prefetch_related("checklist", "partners", "initiatives", "risks").order_by("key"))


def view_of(items: list[DevelopmentProject]) -> cross.CrossView:
    return cross.cross_view(p.site() for p in items)


def checklist_rows(items: list[DevelopmentProject]) -> list[dict[str, Any]]:
    rows = []
    for p in items:
        c = checklist.completeness(p.checklist_statuses())
        rows.append({"key": p.key, "name": p.name, "done": c.done, "planned": c.planned, "missing": c.missing,
                     "not_applicable": c.not_applicable, "score": c.score, "open_items": list(c.open_items)})
    return rows


def cross_infrastructure(city: City) -> dict[str, Any]:
    """The cross-infrastructure view (B12.b) and every project's checklist completeness (B12.a–c)."""
    items = projects(city)
    view = view_of(items)
    return {
        "city": city.key,
        "pairs": [{"a": p.a, "b": p.b, "reasons": list(p.reasons), "window_start": p.window_start.isoformat(),
                   "window_end": p.window_end.isoformat(), "types": list(p.types),
                   "cross_infrastructure": p.cross_infrastructure} for p in view.pairs],
        "groups": [{"keys": list(g.keys), "areas": list(g.areas), "types": list(g.types)} for g in view.groups],
        "undated": view.undated,
        "finished": view.finished,
        "checklists": checklist_rows(items),
    }
