"""The gap report (issue 9): summary matrix, top gaps and evidence appendix as HTML, PDF and CSV.

One data function (:func:`gap_report`) feeds the three renderers. The PDF reuses the board pack's
vendored DejaVu fonts (:func:`cityline.delivery.boardpack.pdf_document`), so accents and arrows print.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from cityline.core.models import City
from cityline.delivery.boardpack import pdf_document
from cityline.opendata.generated import cell

from .domain import maturity as mat
from .services import assess

FORMATS = ("html", "pdf", "csv")
CONTENT_TYPES = {"html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}
CSV_COLUMNS = ["section", "component", "id", "title", "outcome", "score", "level", "blocks", "effort", "reason",
               "next_step", "evidence"]


def level_name(level: int | None) -> str:
    names = {1: _("ad hoc"), 2: _("initiated"), 3: _("managed"), 4: _("integrated"), 5: _("optimised")}
    return str(names.get(level, _("not assessed")))


def component_label(component: str) -> str:
    labels = {"A": _("A principles"), "B-strategy": _("B strategy management"),
              "B-service": _("B service management"), "B-resource": _("B resource management"),
              "C": _("C benefit realisation"), "D": _("D key risks")}
    return str(labels.get(component, component))


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def gap_report(city: City, on_date: date | None = None, top: int = 15, *, public: bool = False) -> dict[str, Any]:
    """Plain data for the gap report: the matrix rows, the top gaps and every result with its evidence.

    ``public``: for the public page, naming no unpublished record (see :func:`.services.assess`).
    """
    a = assess(city, on_date, public=public)
    data = a.as_dict()
    by_id = {r["id"]: r for r in data["results"]}
    rows = []
    for c in data["maturity"]["components"]:
        rows.append({**c, "label": component_label(c["component"]), "score_text": _score(c["score"]),
                     "level_text": level_name(c["level"]),
                     "cells": [{**cell, "name": level_name(cell["level"])} for cell in c["cells"]]})
    data["matrix"] = rows
    data["level_names"] = [level_name(lv) for lv in mat.LEVELS]
    data["overall"] = {"score_text": _score(data["maturity"]["score"]), "level_text": level_name(data["maturity"]["level"])}
    data["top_gaps"] = [{**g, "title": by_id[g["id"]]["title"], "reason": by_id[g["id"]]["reason"],
                         "next_step": by_id[g["id"]]["next_step"], "outcome_label": by_id[g["id"]]["outcome_label"]}
                        for g in data["gaps"][:top]]
    data["appendix"] = [r for r in data["results"] if r["evidence"] or r["attestation"]]
    return data


def filename(data: dict[str, Any], fmt: str) -> str:
    return f"assessment-gaps-{data['city']}-{data['on']}.{fmt}"


def render_html(data: dict[str, Any]) -> str:
    return render_to_string("assessment/gap_report.html", {"report": data})


def csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for c in data["matrix"]:
        rows.append({"section": "matrix", "component": c["component"], "score": _score(c["score"]),
                     "level": c["level"] or ""})
    rows.append({"section": "matrix", "component": "overall", "score": _score(data["maturity"]["score"]),
                 "level": data["maturity"]["level"] or ""})
    for g in data["gaps"]:
        r = next(x for x in data["results"] if x["id"] == g["id"])
        rows.append({"section": "gap", "component": r["component"], "id": g["id"], "title": r["title"],
                     "outcome": g["outcome"], "blocks": " ".join(g["blocks"]), "effort": g["effort"],
                     "reason": r["reason"], "next_step": r["next_step"]})
    for r in data["results"]:
        rows.append({"section": "result", "component": r["component"], "id": r["id"], "title": r["title"],
                     "outcome": r["outcome"], "effort": r["effort"], "reason": r["reason"],
                     "next_step": r["next_step"],
                     "evidence": "; ".join(e["label"] for e in r["evidence"])})
    return rows


def render_csv(data: dict[str, Any]) -> str:
    """The rows as CSV; text a spreadsheet would run as a formula (evidence labels are record names) gets a "'"."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: cell(v) for k, v in row.items()} for row in csv_rows(data))
    return out.getvalue()


def render_pdf(data: dict[str, Any], *, compress: bool = True) -> bytes:
    """The gap report as a PDF (A4, DejaVu Sans). ``compress=False`` keeps page streams readable (tests)."""
    title = _("ISO 37106 gap report: %(city)s on %(date)s") % {"city": data["city_name"], "date": data["on"]}
    pdf, text = pdf_document(title, compress=compress)

    text(16, title, "B", height=9)
    text(9, _("How far the city's operating model meets each ISO 37106 recommendation, the maturity level "
              "of each component, and the gaps to close first."))
    pdf.ln(2)
    text(12, _("Maturity matrix"), "B", height=7)
    widths = [58, 16, 22] + [19] * 5
    pdf.set_font("DejaVu", "B", 8)
    for w, head in zip(widths, [_("Component"), _("Score"), _("Level")] + data["level_names"], strict=True):
        pdf.cell(w, 6, head, border=1)
    pdf.ln()
    pdf.set_font("DejaVu", "", 8)
    for c in data["matrix"]:
        pdf.cell(widths[0], 6, c["label"], border=1)
        pdf.cell(widths[1], 6, c["score_text"], border=1)
        pdf.cell(widths[2], 6, c["level_text"], border=1)
        for level_cell in c["cells"]:
            pdf.cell(19, 6, "✓" if level_cell["reached"] else "", border=1, align="C")
        pdf.ln()
    text(9, _("Overall: score %(score)s, level %(level)s.") % {"score": data["overall"]["score_text"],
                                                                 "level": data["overall"]["level_text"]})
    pdf.ln(2)
    text(12, _("Top gaps"), "B", height=7)
    if not data["top_gaps"]:
        text(10, _("No gap: every assessed recommendation is met."))
    for g in data["top_gaps"]:
        text(10, f"{g['id']} — {g['title']} ({g['outcome_label']})", "B", height=5.5)
        blocks = ", ".join(g["blocks"]) or "—"
        text(8, _("Holds back %(n)s: %(ids)s; effort %(effort)s") % {"n": g["blocks_count"], "ids": blocks,
                                                                      "effort": g["effort"]}, indent=3)
        text(9, g["reason"], indent=3)
        if g["next_step"]:
            text(9, f"→ {g['next_step']}", indent=3)
    pdf.ln(2)
    text(12, _("Evidence appendix"), "B", height=7)
    for r in data["appendix"]:
        text(9, f"{r['id']} ({r['outcome_label']})", "B")
        if r["attestation"]:
            text(8, _("Rests on attestation %(key)s") % {"key": r["attestation"]}, indent=3)
        for e in r["evidence"]:
            text(8, f"• {e['label']} [{e['kind']} {e['key']}]", indent=3)
    return bytes(pdf.output())


def render(data: dict[str, Any], fmt: str) -> bytes:
    if fmt == "html":
        return render_html(data).encode("utf-8")
    if fmt == "csv":
        return render_csv(data).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(data)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
