"""Public pages of strategy management: one data function per page (B2.g, B4.c.2, B5, B6, B7).

Each function takes a city and returns plain, JSON-serialisable data. The same
data feeds the HTML page, its ``.json`` download, its ``.csv`` tables and the
static export (see ``cityline.portal.registry``). Only what may be published
leaves here:

- people in the programme appear by name, role and organisation (B2.g: who leads and
  who sits on which body is public); their e-mail and phone only when their
  ``published_contact`` flag is set — the same rule as the API;
- documents show title, type and status whatever their status, but a link only
  once they are published;
- meeting papers are listed only when published.

Every result carries ``provenance``: the city and the latest ``updated_at`` of the
records it shows.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityline.core.choices import DocumentStatus
from cityline.core.models import City, Document, Organisation, Person
from cityline.portal import registry

from . import choices
from .domain import leadership as leadership_rules
from .domain import procurement as procurement_rules
from .domain import roadmap as roadmap_rules
from .models import (
    AccountableLead,
    BodyMember,
    Checkpoint,
    GlossaryTerm,
    GovernanceBody,
    Initiative,
    InteropCell,
    Meeting,
    Principle,
    PrincipleAgreement,
    ProcurementEntry,
    RoadmapPhase,
    SkillCoverage,
    Vision,
    Workstream,
)

# --- plain-data helpers ---------------------------------------------------------------


def num(value: Decimal | int | float | None) -> int | float | None:
    """A JSON number: whole values as integers, others as floats."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def provenance(city: City, records: Iterable[Any]) -> dict[str, Any]:
    """Which city the data is about and when the records shown last changed."""
    stamps = [city.updated_at] + [r.updated_at for r in records if getattr(r, "updated_at", None)]
    return {"city": city.key, "city_name": city.name, "last_updated": max(stamps).isoformat()}


def public_person(person: Person | None) -> dict[str, Any] | None:
    """What the public may see of a person: name and role always, contact only with ``published_contact`` (B2.g)."""
    if person is None:
        return None
    org = person.organisation
    data: dict[str, Any] = {
        "published": person.published_contact,
        "name": person.name, "role": person.role or None, "email": None, "phone": None,
        "organisation": org.name if org else None,
        "sector": org.sector if org else None,
        "sector_label": str(org.get_sector_display()) if org else None,
    }
    if person.published_contact:
        data.update(email=person.email or None, phone=person.phone or None)
    return data


def public_document(doc: Document) -> dict[str, Any]:
    """A document or policy product: listed with its status; linked only once published."""
    published = doc.status == DocumentStatus.PUBLISHED
    return {
        "key": doc.key, "title": doc.title,
        "type": doc.doc_type, "type_label": str(doc.get_doc_type_display()),
        "status": doc.status, "status_label": str(doc.get_status_display()),
        "owner": doc.owner.name if doc.owner_id else None,
        "adopted_on": iso(doc.adopted_on), "published_on": iso(doc.published_on),
        "url": doc.url if published and doc.url else None,
    }


def sort_key(text: str) -> str:
    """Alphabetical order that ignores case and accents (é files under E)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


# --- A and B1: vision and principles -----------------------------------------------------


def vision(city: City) -> dict[str, Any]:
    """The vision, its weighted purposes and issues, objectives, and the agreed principles (A, B1)."""
    records: list[Any] = []
    v = Vision.objects.filter(city=city).select_related("document").first()
    result: dict[str, Any] = {"vision": None, "purposes": [], "issues": [], "objectives": []}
    if v:
        records.append(v)
        result["vision"] = {
            "title": v.title, "statement": v.statement, "horizon_year": v.horizon_year,
            "document": public_document(v.document) if v.document else None,
        }
        if v.document:
            records.append(v.document)
        for p in v.purposes.all():
            records.append(p)
            result["purposes"].append({"purpose": p.purpose, "label": str(p.get_purpose_display()),
                                       "weight": num(p.weight), "rationale": p.rationale})
        for i in v.issues.all():
            records.append(i)
            result["issues"].append({"issue": i.issue, "label": str(i.get_issue_display()), "weight": num(i.weight)})
        for o in v.objectives.all():
            records.append(o)
            result["objectives"].append({
                "key": o.key, "title": o.title, "description": o.description,
                "purpose": o.purpose, "purpose_label": str(o.get_purpose_display()),
                "indicator": o.indicator, "unit": o.unit,
                "baseline_value": num(o.baseline_value), "baseline_year": o.baseline_year,
                "target_value": num(o.target_value), "target_year": o.target_year,
            })
    principles = Principle.objects.filter(city=city).prefetch_related(
        Prefetch("agreements", queryset=PrincipleAgreement.objects.select_related("organisation"))
    )
    by_group: dict[str, list] = {g.value: [] for g in choices.PrincipleGroup}
    for p in principles:
        records.append(p)
        agreed = []
        for a in p.agreements.all():
            records.append(a)
            agreed.append({"organisation": a.organisation.name, "sector": a.organisation.sector,
                           "sector_label": str(a.organisation.get_sector_display()), "agreed_on": iso(a.agreed_on)})
        by_group[p.group].append({"key": p.key, "title": p.title, "statement": p.statement, "agreed_by": agreed})
    result["principle_groups"] = [
        {"group": g.value, "label": str(g.label), "principles": by_group[g.value]} for g in choices.PrincipleGroup
    ]
    result["provenance"] = provenance(city, records)
    return result


def vision_objective_rows(data: dict[str, Any]):
    header = ["key", "title", "purpose", "indicator", "unit", "baseline_value", "baseline_year",
              "target_value", "target_year"]
    rows = [[o[h] for h in header] for o in data["objectives"]]
    return header, rows


def vision_principle_rows(data: dict[str, Any]):
    header = ["group", "key", "title", "statement", "agreed_by"]
    rows = [
        [g["group"], p["key"], p["title"], p["statement"],
         "; ".join(f"{a['organisation']} ({a['agreed_on']})" for a in p["agreed_by"])]
        for g in data["principle_groups"] for p in g["principles"]
    ]
    return header, rows


def vision_weight_rows(data: dict[str, Any]):
    header = ["kind", "code", "label", "weight"]
    rows = [["purpose", p["purpose"], p["label"], p["weight"]] for p in data["purposes"]]
    rows += [["issue", i["issue"], i["label"], i["weight"]] for i in data["issues"]]
    return header, rows


# --- B2: governance ---------------------------------------------------------------------


def governance(city: City) -> dict[str, Any]:
    """Governance bodies by level with members and meetings, and the accountable leads (B2.a, B2.c, B2.g)."""
    records: list[Any] = []
    bodies = (
        GovernanceBody.objects.filter(city=city).select_related("parent")
        .prefetch_related(
            Prefetch("members", queryset=BodyMember.objects.select_related("person__organisation")),
            Prefetch("meetings", queryset=Meeting.objects.prefetch_related(
                Prefetch("papers", queryset=Document.objects.select_related("owner"))
            )),
        )
    )
    by_level: dict[str, list] = {lvl.value: [] for lvl in choices.BodyLevel}
    for b in bodies:
        records.append(b)
        members = []
        for m in b.members.all():
            records.extend([m, m.person])
            members.append({"role": m.role, "role_label": str(m.get_role_display()), "person": public_person(m.person)})
        meetings = []
        for mt in b.meetings.all():
            records.append(mt)
            papers = [d for d in mt.papers.all() if d.status == DocumentStatus.PUBLISHED]
            records.extend(papers)
            meetings.append({"key": mt.key, "date": iso(mt.date), "title": mt.title, "summary": mt.summary,
                             "papers": [public_document(d) for d in papers]})
        by_level[b.level].append({
            "key": b.key, "name": b.name, "level": b.level, "remit": b.remit, "meets": b.meets,
            "reports_to": b.parent.name if b.parent_id else None,
            "members": members, "meetings": meetings,
        })
    leads = []
    for lead in AccountableLead.objects.filter(city=city).select_related("person__organisation"):
        records.extend([lead, lead.person])
        leads.append({"kind": lead.kind, "kind_label": str(lead.get_kind_display()), "title": lead.title,
                      "since": iso(lead.since), "person": public_person(lead.person)})
    return {
        "leads": leads,
        "levels": [{"level": lvl.value, "label": str(lvl.label), "bodies": by_level[lvl.value]}
                   for lvl in choices.BodyLevel],
        "leadership": leadership(city, bodies, records),
        "provenance": provenance(city, records),
    }


def leadership(city: City, bodies, records: list[Any]) -> dict[str, Any]:
    """The leadership team's skills mix (B2.e) and the sectors on its bodies (B2.b)."""
    skill_rows = list(SkillCoverage.objects.filter(city=city).select_related("person"))
    records.extend(skill_rows)
    coverage = leadership_rules.skills_coverage(
        {"skill": r.skill, "level": r.level, "person": r.person.name} for r in skill_rows
    )
    skill_labels = dict(choices.Skill.choices)
    level_labels = dict(choices.SkillLevel.choices)
    status_labels = {"covered": _("Covered"), "thin": _("Thin"), "missing": _("Missing")}
    people = {m.person_id: m.person for b in bodies for m in b.members.all()}
    mix = leadership_rules.sector_mix(p.organisation.sector if p.organisation_id else None for p in people.values())
    sector_labels = dict(Organisation._meta.get_field("sector").choices)
    return {
        "skills": [
            {"skill": c.skill, "label": str(skill_labels[c.skill]), "status": c.status,
             "status_label": str(status_labels[c.status]), "best_level": c.best_level or None,
             "best_level_label": str(level_labels[c.best_level]) if c.best_level else None, "holders": c.holders}
            for c in coverage
        ],
        "skills_gaps": leadership_rules.skills_gaps(coverage),
        "sectors": [{"sector": s, "label": str(sector_labels[s]), "members": n} for s, n in mix.items()],
        "missing_sectors": leadership_rules.missing_sectors(mix),
    }


def governance_skill_rows(data: dict[str, Any]):
    header = ["skill", "status", "best_level", "holders"]
    rows = [[c["skill"], c["status"], c["best_level"], "; ".join(c["holders"])] for c in data["leadership"]["skills"]]
    return header, rows


def governance_member_rows(data: dict[str, Any]):
    header = ["body", "level", "role", "name", "organisation", "sector", "email", "phone"]
    rows = []
    for level in data["levels"]:
        for b in level["bodies"]:
            for m in b["members"]:
                p = m["person"]
                rows.append([b["name"], level["level"], m["role"], p["name"], p["organisation"], p["sector"],
                             p["email"], p["phone"]])
    return header, rows


def governance_lead_rows(data: dict[str, Any]):
    header = ["kind", "title", "since", "name", "role", "organisation", "email", "phone"]
    rows = [[ld["kind"], ld["title"], ld["since"], ld["person"]["name"], ld["person"]["role"],
             ld["person"]["organisation"], ld["person"]["email"], ld["person"]["phone"]] for ld in data["leads"]]
    return header, rows


def governance_meeting_rows(data: dict[str, Any]):
    header = ["body", "date", "title", "papers"]
    rows = [[b["name"], mt["date"], mt["title"], "; ".join(p["title"] for p in mt["papers"])]
            for level in data["levels"] for b in level["bodies"] for mt in b["meetings"]]
    return header, rows


# --- B7: roadmap ---------------------------------------------------------------------------


def roadmap(city: City, today: date | None = None) -> dict[str, Any]:
    """The roadmap by phase with progress, checkpoints and the ranked quick wins (B7.a–c)."""
    today = today or timezone.localdate()
    records: list[Any] = []
    phase_rows = {p.phase: p for p in RoadmapPhase.objects.filter(city=city)}
    records.extend(phase_rows.values())
    initiatives = []
    for i in Initiative.objects.filter(city=city).select_related("workstream").prefetch_related("projects"):
        records.append(i)
        initiatives.append({
            "key": i.key, "title": i.title, "description": i.description,
            "phase": i.phase, "phase_label": str(i.get_phase_display()),
            "workstream": i.workstream.name, "status": i.status, "status_label": str(i.get_status_display()),
            "progress": i.progress, "cost": num(i.cost), "risk": i.risk, "risk_label": str(i.get_risk_display()),
            "months_to_deliver": i.months_to_deliver, "quick_win_agreed": i.quick_win_agreed,
            "projects": sorted(p.name for p in i.projects.all()),
        })
    phases = []
    for ph in choices.Phase:
        row = phase_rows.get(ph.value)
        items = [i for i in initiatives if i["phase"] == ph.value]
        when = None
        if row:
            when = "past" if row.end_date < today else "future" if row.start_date > today else "current"
        phases.append({
            "phase": ph.value, "label": str(ph.label),
            "start_date": iso(row.start_date) if row else None, "end_date": iso(row.end_date) if row else None,
            "summary": row.summary if row else "", "when": when,
            "progress": roadmap_rules.mean_progress(items), "initiatives": items,
        })
    checkpoints = []
    for c in Checkpoint.objects.filter(city=city):
        records.append(c)
        checkpoints.append({
            "key": c.key, "title": c.title, "phase": c.phase, "phase_label": str(c.get_phase_display()),
            "date": iso(c.date), "reviewer": c.reviewer or None, "result": c.result,
            "result_label": str(c.get_result_display()), "findings": c.findings,
        })
    workstreams = []
    for w in Workstream.objects.filter(city=city).select_related("lead__organisation"):
        records.append(w)
        workstreams.append({"key": w.key, "name": w.name, "kind": w.kind, "kind_label": str(w.get_kind_display()),
                            "lead": public_person(w.lead)})
    quick_wins = [
        {k: q[k] for k in ("rank", "score", "key", "title", "phase", "phase_label", "cost", "risk", "risk_label",
                           "months_to_deliver", "quick_win_agreed", "status", "status_label")}
        for q in roadmap_rules.rank_quick_wins(initiatives, limit=10)
    ]
    return {
        "progress": roadmap_rules.mean_progress(initiatives),
        "phases": phases, "checkpoints": checkpoints, "quick_wins": quick_wins, "workstreams": workstreams,
        "provenance": provenance(city, records),
    }


def roadmap_initiative_rows(data: dict[str, Any]):
    header = ["phase", "key", "title", "workstream", "status", "progress", "cost", "risk", "months_to_deliver",
              "quick_win_agreed", "projects"]
    rows = [[i["phase"], i["key"], i["title"], i["workstream"], i["status"], i["progress"], i["cost"], i["risk"],
             i["months_to_deliver"], i["quick_win_agreed"], "; ".join(i["projects"])]
            for ph in data["phases"] for i in ph["initiatives"]]
    return header, rows


def roadmap_checkpoint_rows(data: dict[str, Any]):
    header = ["phase", "key", "title", "date", "reviewer", "result", "findings"]
    return header, [[c[h] for h in header] for c in data["checkpoints"]]


def roadmap_quick_win_rows(data: dict[str, Any]):
    header = ["rank", "score", "key", "title", "phase", "cost", "risk", "months_to_deliver", "quick_win_agreed"]
    return header, [[q[h] for h in header] for q in data["quick_wins"]]


# --- B4.c.2: procurement pipeline ------------------------------------------------------


CHECKLIST_LABELS = {
    "B4.b.1": _("Buys outcomes and service levels, not inputs"),
    "B4.b.2": _("Open data terms in the contract"),
    "B4.b.3": _("Incentives for innovation, collaboration and shared assets"),
    "B4.b.4": _("Open standards and interoperability, no lock-in"),
}


def procurement(city: City) -> dict[str, Any]:
    """The published pipeline of coming procurements with smart-contracting checks and whole-life cost (B4.b, B4.c.2)."""
    records: list[Any] = []
    entries = []
    totals: dict[str, Decimal] = {}
    for e in ProcurementEntry.objects.filter(city=city).select_related("buyer", "project"):
        records.append(e)
        flags = {f: getattr(e, f) for f, _rid in procurement_rules.CHECKLIST}
        score, missing = procurement_rules.checklist_score(flags)
        tco = procurement_rules.total_cost_of_ownership(e.capital_cost, e.annual_running_cost, e.contract_years,
                                                        e.exit_cost)
        if e.status != choices.ProcurementStatus.CANCELLED:
            totals[e.currency] = totals.get(e.currency, Decimal(0)) + e.estimated_value
        entries.append({
            "key": e.key, "title": e.title, "buyer": e.buyer.name, "buyer_sector": e.buyer.sector,
            "outcome_sought": e.outcome_sought, "estimated_value": num(e.estimated_value), "currency": e.currency,
            "expected_tender_date": iso(e.expected_tender_date),
            "status": e.status, "status_label": str(e.get_status_display()),
            "sme_engagement": e.sme_engagement, "sme_engagement_label": str(e.get_sme_engagement_display()),
            "checklist": [{"id": rid, "field": f, "label": str(CHECKLIST_LABELS[rid]), "met": bool(flags[f])}
                          for f, rid in procurement_rules.CHECKLIST],
            "checklist_score": score, "checklist_total": len(procurement_rules.CHECKLIST),
            "checklist_missing": missing,
            "capital_cost": num(e.capital_cost), "annual_running_cost": num(e.annual_running_cost),
            "contract_years": e.contract_years, "exit_cost": num(e.exit_cost),
            "total_cost_of_ownership": num(tco),
            "project": e.project.name if e.project_id else None,
        })
    return {
        "entries": entries,
        "summary": {
            "count": len(entries),
            "open_value": [{"currency": c, "value": num(v)} for c, v in sorted(totals.items())],
            "with_sme_engagement": sum(1 for e in entries if e["sme_engagement"] != "none"),
            "full_checklist": sum(1 for e in entries if not e["checklist_missing"]),
        },
        "provenance": provenance(city, records),
    }


def procurement_rows(data: dict[str, Any]):
    header = ["key", "title", "buyer", "outcome_sought", "estimated_value", "currency", "expected_tender_date",
              "status", "sme_engagement", "B4.b.1", "B4.b.2", "B4.b.3", "B4.b.4", "checklist_score",
              "capital_cost", "annual_running_cost", "contract_years", "exit_cost", "total_cost_of_ownership"]
    rows = []
    for e in data["entries"]:
        met = {c["id"]: c["met"] for c in e["checklist"]}
        rows.append([e["key"], e["title"], e["buyer"], e["outcome_sought"], e["estimated_value"], e["currency"],
                     e["expected_tender_date"], e["status"], e["sme_engagement"],
                     met["B4.b.1"], met["B4.b.2"], met["B4.b.3"], met["B4.b.4"], e["checklist_score"],
                     e["capital_cost"], e["annual_running_cost"], e["contract_years"], e["exit_cost"],
                     e["total_cost_of_ownership"]])
    return header, rows


# --- B5: interoperability matrix ----------------------------------------------------------


def interoperability(city: City) -> dict[str, Any]:
    """The 3 × 5 interoperability matrix: policy products, barriers and actions per cell (B5)."""
    records: list[Any] = []
    cells = {
        (c.process, c.dimension): c
        for c in InteropCell.objects.filter(city=city).prefetch_related(
            Prefetch("policy_products", queryset=Document.objects.select_related("owner")),
            "barriers", "actions__barrier", "actions__initiative",
        )
    }
    rows = []
    for proc in choices.InteropProcess:
        row_cells = []
        for dim in choices.InteropDimension:
            c = cells.get((proc.value, dim.value))
            cell: dict[str, Any] = {
                "id": f"{proc.value}-{dim.value}", "process": proc.value, "process_label": str(proc.label),
                "dimension": dim.value, "dimension_label": str(dim.label), "recorded": c is not None,
                "notes": "", "policy_products": [], "barriers": [], "actions": [],
            }
            if c is not None:
                records.append(c)
                docs = list(c.policy_products.all())
                records.extend(docs)
                cell["notes"] = c.notes
                cell["policy_products"] = [public_document(d) for d in docs]
                for b in c.barriers.all():
                    records.append(b)
                    cell["barriers"].append({"key": b.key, "description": b.description, "severity": b.severity,
                                             "severity_label": str(b.get_severity_display())})
                for a in c.actions.all():
                    records.append(a)
                    cell["actions"].append({
                        "key": a.key, "title": a.title, "status": a.status,
                        "status_label": str(a.get_status_display()), "due_date": iso(a.due_date),
                        "barrier": a.barrier.key if a.barrier_id else None,
                        "initiative": a.initiative.title if a.initiative_id else None,
                        "aligned_with": a.aligned_with,
                    })
            row_cells.append(cell)
        rows.append({"process": proc.value, "label": str(proc.label), "cells": row_cells})
    return {
        "dimensions": [{"dimension": d.value, "label": str(d.label)} for d in choices.InteropDimension],
        "rows": rows,
        "provenance": provenance(city, records),
    }


def interoperability_rows(data: dict[str, Any]):
    header = ["process", "dimension", "policy_products", "barriers", "actions"]
    rows = [[c["process"], c["dimension"],
             "; ".join(f"{d['title']} ({d['status']})" for d in c["policy_products"]),
             "; ".join(f"{b['description']} ({b['severity']})" for b in c["barriers"]),
             "; ".join(f"{a['title']} ({a['status']})" for a in c["actions"])]
            for r in data["rows"] for c in r["cells"]]
    return header, rows


# --- B6: glossary -------------------------------------------------------------------------


def glossary(city: City) -> dict[str, Any]:
    """The shared glossary in alphabetical order, with related terms and ISO/IEC 30182 concepts (B6)."""
    records: list[Any] = []
    terms = []
    for t in GlossaryTerm.objects.filter(city=city).prefetch_related("related"):
        records.append(t)
        first = sort_key(t.term)[:1].upper()
        terms.append({
            "key": t.key, "term": t.term, "letter": first if first.isalpha() else "#",
            "definition": t.definition, "source": t.source or None,
            "status": t.status, "status_label": str(t.get_status_display()),
            "sccm_concept": t.sccm_concept or None,
            "related": [{"key": r.key, "term": r.term} for r in sorted(t.related.all(), key=lambda r: sort_key(r.term))],
        })
    terms.sort(key=lambda t: (t["letter"] == "#", sort_key(t["term"])))
    letters = []
    for t in terms:
        if not letters or letters[-1] != t["letter"]:
            letters.append(t["letter"])
    return {"letters": letters, "terms": terms, "provenance": provenance(city, records)}


def glossary_rows(data: dict[str, Any]):
    header = ["key", "term", "definition", "source", "status", "sccm_concept", "related"]
    rows = [[t["key"], t["term"], t["definition"], t["source"], t["status"], t["sccm_concept"],
             "; ".join(r["key"] for r in t["related"])] for t in data["terms"]]
    return header, rows


# --- registration: these pages join the portal, its navigation and the static export ------

PAGES = [
    registry.DataPage(
        name="vision", title=_("Vision and principles"), order=10, data=vision,
        template="portal/strategy/vision.html",
        description=_("Where the city wants to be, how it will measure progress, and the principles partners agreed."),
        tables={"": vision_objective_rows, "principles": vision_principle_rows, "weights": vision_weight_rows},
    ),
    registry.DataPage(
        name="governance", title=_("Governance"), order=20, data=governance,
        template="portal/strategy/governance.html",
        description=_("Who leads the programme, the boards that steer it and the papers of their meetings."),
        tables={"": governance_member_rows, "leads": governance_lead_rows, "meetings": governance_meeting_rows,
                "skills": governance_skill_rows},
    ),
    registry.DataPage(
        name="roadmap", title=_("Roadmap"), order=30, data=roadmap,
        template="portal/strategy/roadmap.html",
        description=_("The five phases of the programme, progress of each initiative, reviews and quick wins."),
        tables={"": roadmap_initiative_rows, "checkpoints": roadmap_checkpoint_rows,
                "quick-wins": roadmap_quick_win_rows},
    ),
    registry.DataPage(
        name="procurement", title=_("Procurement pipeline"), order=40, data=procurement,
        template="portal/strategy/procurement.html",
        description=_("Coming procurements, so suppliers of every size can prepare."),
        tables={"": procurement_rows},
    ),
    registry.DataPage(
        name="interoperability", title=_("Interoperability matrix"), order=50, data=interoperability,
        template="portal/strategy/interoperability.html",
        description=_("Policy products, barriers and actions for each process and dimension of interoperability."),
        tables={"": interoperability_rows},
    ),
    registry.DataPage(
        name="glossary", title=_("Glossary"), order=60, data=glossary,
        template="portal/strategy/glossary.html",
        description=_("The shared vocabulary of the programme."),
        tables={"": glossary_rows},
    ),
]
for _page in PAGES:
    registry.register(_page)
