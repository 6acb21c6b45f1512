"""Public page of developments and infrastructure (B12): projects, their checklists, shared-works opportunities.

One data function feeds the HTML page, its ``.json`` download, its ``.csv`` tables and
the static export (``cityline.portal.registry``). Shown: each project's types, stage,
place, period, lead and partners, budget, the titles of its roadmap initiatives and the
number of risks managed for it (the risk register itself is not public), the
smart-delivery checklist (B12.a–c) with its completeness, and the cross-infrastructure
opportunities (B12.b) computed by :mod:`.domain.cross_infrastructure`.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cityline.core.models import City
from cityline.portal import registry
from cityline.strategy.public import iso, num, provenance

from . import choices
from .domain import checklist as checklist_rules
from .services import projects, view_of

REASON_LABELS = {
    "same_area": _("same area"),
    "overlapping_extent": _("overlapping sites"),
}


def developments(city: City) -> dict[str, Any]:
    """Every project with its checklist, and the projects that could share works or sensors (B12)."""
    items = projects(city)
    names = {p.key: p.name for p in items}
    type_labels = dict(choices.InfrastructureType.choices)
    item_labels = dict(choices.ChecklistItem.choices)
    status_labels = dict(choices.ChecklistStatus.choices)
    rows = []
    for p in items:
        entries = {e.item: e for e in p.checklist.all()}
        c = checklist_rules.completeness({k: e.status for k, e in entries.items()})
        check_rows = []
        for item, rec in checklist_rules.ITEMS:
            e = entries.get(item)
            status = e.status if e else "missing"
            check_rows.append({"item": item, "label": str(item_labels[item]), "recommendation": rec,
                               "status": status, "status_label": str(status_labels[status]),
                               "note": (e.note or None) if e else None})
        rows.append({
            "key": p.key, "name": p.name, "description": p.description or None,
            "infrastructure_types": list(p.infrastructure_types),
            "type_labels": [str(type_labels.get(t, t)) for t in p.infrastructure_types],
            "stage": p.stage, "stage_label": str(p.get_stage_display()), "area": p.area,
            "latitude": num(p.latitude), "longitude": num(p.longitude),
            "box": [num(getattr(p, f)) for f in ("box_west", "box_south", "box_east", "box_north")]
            if p.box_west is not None else None,
            "start_date": iso(p.start_date), "end_date": iso(p.end_date),
            "lead": p.lead.name, "partners": sorted(o.name for o in p.partners.all()),
            "budget": num(p.budget),
            "initiatives": sorted(i.title for i in p.initiatives.all()),
            "risk_count": len(p.risks.all()),
            "checklist": check_rows, "score": c.score, "done": c.done, "applicable": c.applicable,
        })
    view = view_of(items)
    pairs = [{
        "a": pr.a, "a_name": names[pr.a], "b": pr.b, "b_name": names[pr.b], "reasons": list(pr.reasons),
        "reason_labels": [str(REASON_LABELS[r]) for r in pr.reasons],
        "window_start": iso(pr.window_start), "window_end": iso(pr.window_end),
        "types": list(pr.types), "type_labels": [str(type_labels.get(t, t)) for t in pr.types],
        "cross_infrastructure": pr.cross_infrastructure,
    } for pr in view.pairs]
    groups = [{"keys": list(g.keys), "names": [names[k] for k in g.keys], "areas": list(g.areas),
               "type_labels": [str(type_labels.get(t, t)) for t in g.types]} for g in view.groups]
    scores = [r["score"] for r in rows if r["score"] is not None]
    return {
        "projects": rows,
        "opportunities": pairs,
        "groups": groups,
        "undated": [names[k] for k in view.undated],
        "finished": [names[k] for k in view.finished],
        "summary": {"projects": len(rows), "opportunities": len(pairs), "groups": len(groups),
                    "complete": sum(1 for s in scores if s == 100),
                    "average_score": round(sum(scores) / len(scores)) if scores else None},
        "provenance": provenance(city, [*items, *(e for p in items for e in p.checklist.all())]),
    }


def project_rows(data: dict[str, Any]):
    header = ["key", "name", "infrastructure_types", "stage", "area", "latitude", "longitude", "start_date",
              "end_date", "lead", "partners", "budget", "checklist_score"]
    rows = [[p["key"], p["name"], "; ".join(p["infrastructure_types"]), p["stage"], p["area"], p["latitude"],
             p["longitude"], p["start_date"], p["end_date"], p["lead"], "; ".join(p["partners"]), p["budget"],
             p["score"]] for p in data["projects"]]
    return header, rows


def opportunity_rows(data: dict[str, Any]):
    header = ["project_a", "project_b", "reasons", "window_start", "window_end", "infrastructure_types",
              "cross_infrastructure"]
    rows = [[o["a"], o["b"], "; ".join(o["reasons"]), o["window_start"], o["window_end"], "; ".join(o["types"]),
             o["cross_infrastructure"]] for o in data["opportunities"]]
    return header, rows


def checklist_csv_rows(data: dict[str, Any]):
    header = ["project", "item", "recommendation", "status", "note"]
    rows = [[p["key"], c["item"], c["recommendation"], c["status"], c["note"]]
            for p in data["projects"] for c in p["checklist"]]
    return header, rows


registry.register(registry.DataPage(
    name="developments", title=_("Developments and infrastructure"), order=100, data=developments,
    template="portal/developments/developments.html",
    description=_("Building and infrastructure projects, how smart each is from the outset, and where works "
                  "could be shared."),
    tables={"": project_rows, "opportunities": opportunity_rows, "checklist": checklist_csv_rows},
))
