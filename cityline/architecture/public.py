"""Public pages of the city-wide architecture (B14): building blocks and the migration plan; the standards register.

One data function per page feeds the HTML page, its ``.json`` download, its ``.csv``
tables and the static export (``cityline.portal.registry``). B14 asks for published
service descriptions, clear ownership of each element of the blueprint and published
standards, so everything here is public; the architecture checks
(:mod:`.domain.checks`) are shown as well, with the records they name.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from cityline.core.models import City
from cityline.portal import registry
from cityline.strategy import choices as strategy_choices
from cityline.strategy.public import iso, provenance

from . import choices
from .domain import checks as check_rules
from .models import BuildingBlock, MigrationStep, Standard
from .services import findings

CHECK_TITLES = {
    "block-without-owner": _("Building blocks without an owner"),
    "block-without-contract": _("Building blocks without a service contract"),
    "standard-unused": _("Adopted standards no building block uses"),
    "legacy-without-migration": _("Legacy building blocks with no migration step"),
    "step-out-of-phase-order": _("Migration steps out of roadmap-phase order"),
    "step-due-outside-phase": _("Migration steps due outside their roadmap phase"),
    "step-to-legacy-target": _("Migration steps leading to a legacy building block"),
}


def _standard_label(s: Standard) -> str:
    return f"{s.body} {s.identifier}"


def architecture(city: City) -> dict[str, Any]:
    """Building blocks with owner, lifecycle, standards and reuse; the migration plan; the checks (B14)."""
    blocks = list(BuildingBlock.objects.filter(city=city).select_related("owner")
                  .prefetch_related("standards", "used_by_organisations", "used_by_services").order_by("name"))
    steps = list(MigrationStep.objects.filter(city=city).select_related("target").prefetch_related("replaces")
                 .order_by("order", "key"))
    names = {b.key: b.name for b in blocks}
    block_rows = []
    for b in blocks:
        orgs = sorted(o.name for o in b.used_by_organisations.all())
        services = sorted(s.name for s in b.used_by_services.all())
        block_rows.append({
            "key": b.key, "name": b.name, "kind": b.kind, "kind_label": str(b.get_kind_display()),
            "description": b.description or None, "service_contract": b.service_contract or None,
            "service_level": b.service_level or None, "api_spec_url": b.api_spec_url or None,
            "owner": b.owner.name if b.owner_id else None,
            "lifecycle": b.lifecycle, "lifecycle_label": str(b.get_lifecycle_display()),
            "standards": [{"key": s.key, "label": _standard_label(s)}
                          for s in sorted(b.standards.all(), key=lambda s: (s.body, s.identifier))],
            "used_by_organisations": orgs, "used_by_services": services,
            "reuse_count": len(orgs) + len(services),
        })
    phase_labels = dict(strategy_choices.Phase.choices)
    step_rows = [{
        "key": s.key, "order": s.order, "title": s.title, "description": s.description or None,
        "replaces": sorted(b.name for b in s.replaces.all()), "target": s.target.name,
        "phase": s.phase, "phase_label": str(phase_labels[s.phase]), "due_date": iso(s.due_date),
        "status": s.status, "status_label": str(s.get_status_display()),
    } for s in steps]
    found = findings(city)
    labels = {"block": names, "step": {s.key: s.title for s in steps},
              "standard": {s.key: _standard_label(s) for s in Standard.objects.filter(city=city)}}

    def names_of(f: check_rules.Finding) -> list[str]:
        kinds = check_rules.RECORD_KINDS[f.code]
        return [labels[kind].get(k, k) for kind, k in zip(kinds, f.records)]

    check_rows = []
    for code, rec in check_rules.CHECKS.items():
        items = [f for f in found if f.code == code]
        check_rows.append({"code": code, "title": str(CHECK_TITLES[code]), "recommendation": rec,
                           "findings": [{"records": list(f.records), "names": names_of(f),
                                         "message": f.message} for f in items]})
    lifecycle_counts = [{"lifecycle": v, "label": str(label), "count": sum(1 for b in blocks if b.lifecycle == v)}
                        for v, label in choices.Lifecycle.choices]
    return {
        "blocks": block_rows,
        "migration": step_rows,
        "checks": check_rows,
        "summary": {"blocks": len(blocks), "lifecycles": lifecycle_counts, "steps": len(steps),
                    "findings": len(found)},
        "provenance": provenance(city, [*blocks, *steps]),
    }


def block_rows(data: dict[str, Any]):
    header = ["key", "name", "kind", "lifecycle", "owner", "service_level", "api_spec_url", "standards",
              "used_by_organisations", "used_by_services", "reuse_count"]
    rows = [[b["key"], b["name"], b["kind"], b["lifecycle"], b["owner"], b["service_level"], b["api_spec_url"],
             "; ".join(s["key"] for s in b["standards"]), "; ".join(b["used_by_organisations"]),
             "; ".join(b["used_by_services"]), b["reuse_count"]] for b in data["blocks"]]
    return header, rows


def migration_rows(data: dict[str, Any]):
    header = ["order", "key", "title", "replaces", "target", "phase", "due_date", "status"]
    rows = [[s["order"], s["key"], s["title"], "; ".join(s["replaces"]), s["target"], s["phase"], s["due_date"],
             s["status"]] for s in data["migration"]]
    return header, rows


def check_csv_rows(data: dict[str, Any]):
    header = ["check", "recommendation", "records", "message"]
    rows = [[c["code"], c["recommendation"], "; ".join(f["records"]), f["message"]]
            for c in data["checks"] for f in c["findings"]]
    return header, rows


def standards(city: City) -> dict[str, Any]:
    """The register of standards: status, matrix cells addressed (B5) and where each is used (B14)."""
    # Where used: the building blocks that list it, retired ones left out as in the standard-unused check.
    in_use = models.Prefetch("building_blocks", to_attr="blocks_in_use",
                             queryset=BuildingBlock.objects.exclude(lifecycle=choices.Lifecycle.RETIRED))
    items = list(Standard.objects.filter(city=city).prefetch_related("matrix_cells", in_use)
                 .order_by("body", "identifier"))
    rows = []
    for s in items:
        rows.append({
            "key": s.key, "body": s.body, "identifier": s.identifier, "title": s.title,
            "edition": s.edition or None, "status": s.status, "status_label": str(s.get_status_display()),
            "description": s.description or None, "url": s.url or None,
            "cells": [{"process": c.process, "dimension": c.dimension,
                       "label": f"{c.get_process_display()} × {c.get_dimension_display()}"}
                      for c in s.matrix_cells.all()],
            "used_by": sorted(b.name for b in s.blocks_in_use),
        })
    groups = [{"status": v, "label": str(label), "standards": [r for r in rows if r["status"] == v]}
              for v, label in choices.StandardStatus.choices]
    return {
        "standards": rows,
        "groups": [g for g in groups if g["standards"]],
        "summary": {"standards": len(rows), "adopted": sum(1 for r in rows if r["status"] == "adopted"),
                    "unused_adopted": sum(1 for r in rows if r["status"] == "adopted" and not r["used_by"])},
        "provenance": provenance(city, [*items, *(c for s in items for c in s.matrix_cells.all())]),
    }


def standard_rows(data: dict[str, Any]):
    header = ["key", "body", "identifier", "title", "edition", "status", "url", "matrix_cells", "used_by"]
    rows = [[s["key"], s["body"], s["identifier"], s["title"], s["edition"], s["status"], s["url"],
             "; ".join(f'{c["process"]}/{c["dimension"]}' for c in s["cells"]), "; ".join(s["used_by"])]
            for s in data["standards"]]
    return header, rows


registry.register(registry.DataPage(
    name="architecture", title=_("City-wide architecture"), order=110, data=architecture,
    template="portal/architecture/architecture.html",
    description=_("The shared building blocks of the city's systems, who owns them, and the plan to retire old ones."),
    tables={"": block_rows, "migration": migration_rows, "checks": check_csv_rows},
))
registry.register(registry.DataPage(
    name="standards", title=_("Standards"), order=111, data=standards,
    template="portal/architecture/standards.html",
    description=_("The open standards the city and its partners adopt, and where each is used."),
    tables={"": standard_rows},
))
