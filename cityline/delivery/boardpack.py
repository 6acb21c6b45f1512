"""The board pack: the escalation list and the KPI status summary for the programme board, as HTML, CSV or PDF (C3.d).

One data function (:func:`board_pack`, built on :func:`.services.escalation_list`) feeds
three renderers, so the printed pack, the spreadsheet and the PDF never disagree:

- HTML: a standalone, printable, accessible page (template ``delivery/board_pack.html``);
- CSV: one row per fact (summary counts, outcomes, their KPIs, open actions, risks),
  with the outcome repeated on each row so a spreadsheet can filter it;
- PDF: written with fpdf2 in DejaVu Sans, shipped in ``fonts/`` (covers "µg/m³", accents, arrows).

The board sees everything: the pack is for staff and includes unpublished KPIs.
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import date
from pathlib import Path
from typing import Any

from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cityline.core.models import City

from .services import STATUS_LABELS, escalation_list

FORMATS = ("html", "csv", "pdf")
CONTENT_TYPES = {"html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}
FONTS = Path(__file__).parent / "fonts"

CSV_COLUMNS = ["section", "outcome", "outcome_title", "outcome_status", "cause", "owners", "path", "type", "key",
               "title", "status", "due", "overdue", "detail"]


def board_pack(city: City, on_date: date | None = None) -> dict[str, Any]:
    """The escalation list with every KPI (published or not) and the status counts with their labels."""
    data = escalation_list(city, on_date, published_only=False)
    data["summary"] = [{"status": s, "label": str(STATUS_LABELS[s]), "count": n} for s, n in data["counts"].items()]
    data["total_kpis"] = sum(data["counts"].values())
    return data


def filename(data: dict[str, Any], fmt: str) -> str:
    return f"board-pack-{data['city']}-{data['on']}.{fmt}"


# --- HTML ------------------------------------------------------------------------------------


def render_html(data: dict[str, Any]) -> str:
    return render_to_string("delivery/board_pack.html", {"pack": data})


# --- CSV -------------------------------------------------------------------------------------


def csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for s in data["summary"]:
        rows.append({"section": "summary", "type": "kpi_status", "key": s["status"], "title": s["label"],
                     "detail": s["count"]})
    for e in data["escalations"]:
        base = {"section": "escalation", "outcome": e["node"], "outcome_title": e["title"],
                "outcome_status": e["status"], "cause": e["cause"], "owners": "; ".join(e["owners"]),
                "path": " → ".join(e["path"])}
        rows.append({**base, "type": "outcome", "key": e["node"], "title": e["title"], "status": e["status"],
                     "detail": " → ".join(e["path_titles"])})
        for k in e["kpis"]:
            rows.append({**base, "type": "kpi", "key": k["kpi"], "title": k["title"], "status": k["status"],
                         "due": k["next_due"] or "", "detail": k["forecast"]})
        for a in e["actions"]:
            waiting = ", ".join(a["waiting_for"])
            rows.append({**base, "type": "action", "key": a["key"], "title": a["title"], "status": a["status"],
                         "due": a["due"] or "", "overdue": "yes" if a["overdue"] else "no",
                         "detail": "; ".join(filter(None, [a["owner"] or "", a["priority"],
                                                             f"waits for {waiting}" if waiting else ""]))})
        for r in e["risks"]:
            rows.append({**base, "type": "risk", "key": r["key"], "title": r["title"], "status": r["status"],
                         "detail": f"score {r['score']} ({r['rating']}); {r['owner']}; via {', '.join(r['threatens'])}"})
    return rows


def render_csv(data: dict[str, Any]) -> str:
    """The rows as CSV; a text cell a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` …) gets a
    leading apostrophe, as in the open data platform's generated files (titles and names come from editors)."""
    from cityline.opendata.generated import cell

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: cell(v) for k, v in row.items()} for row in csv_rows(data))
    return out.getvalue()


# --- PDF -------------------------------------------------------------------------------------


def _number(value: float | None, unit: str = "") -> str:
    """A value as the HTML pack prints it (``floatformat:"-3"``: up to three decimals, never 1.2e+04)."""
    if value is None:
        return "—"
    return f"{floatformat(value, '-3')} {unit}".strip()


def pdf_document(title: str, *, compress: bool = True):
    """A new A4 PDF in DejaVu Sans (accents, µ, arrows) with its title set, and a ``text`` writer.

    ``text(size, body, style="", indent=0, height=None)`` writes a wrapped paragraph. Shared by
    the board pack and the assessment's gap report.
    """
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(title)
    pdf.set_author("Cityline")
    pdf.set_lang(get_language() or "en")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()

    def text(size: float, body: str, style: str = "", indent: float = 0, height: float | None = None) -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(0, height or size * 0.5, body, new_x="LMARGIN", new_y="NEXT")

    return pdf, text


def render_pdf(data: dict[str, Any], *, compress: bool = True) -> bytes:
    """The board pack as a PDF (A4, DejaVu Sans). ``compress=False`` keeps page streams readable (tests)."""
    title = _("Board pack: %(city)s on %(date)s") % {"city": data["city_name"], "date": data["on"]}
    pdf, text = pdf_document(title, compress=compress)

    text(16, title, "B", height=9)
    text(9, _("Escalation list for the programme board (ISO 37106 C3.d): every outcome off track or at risk, "
              "worst first, with its owners, the path of causes, the KPIs behind it, its open actions and the "
              "risks threatening it."))
    pdf.ln(2)
    text(12, _("KPI status summary"), "B", height=7)
    summary = "   ".join(f"{s['label']}: {s['count']}" for s in data["summary"])
    text(10, f"{summary}   ({_('%(n)s KPIs in all') % {'n': data['total_kpis']}})")
    pdf.ln(2)
    text(12, _("Escalations (%(n)s)") % {"n": len(data["escalations"])}, "B", height=7)
    if not data["escalations"]:
        text(10, _("No outcome is off track or at risk."))
    for e in data["escalations"]:
        pdf.ln(2)
        text(11, f"{e['title']} — {e['status_label']}", "B", height=6)
        owners = ", ".join(e["owners"]) or _("no benefit owner")
        text(9, f"{_('Benefit owners')}: {owners}", indent=3)
        if e["path_titles"]:
            text(9, f"{_('Path of causes')}: {' → '.join(e['path_titles'])}", indent=3)
        for k in e["kpis"]:
            text(9, f"• {k['title']} — {k['status_label']}; {_('latest')}: {_number(k['actual'], k['unit'])}"
                    f" ({k['actual_date'] or '—'}); {_('expected')}: {_number(k['expected'], k['unit'])}", indent=3)
            text(8, k["forecast"], indent=7)
        if e["plan"] and e["plan_review_overdue"]:
            text(9, _("The realisation plan's review is overdue."), indent=3)
        if e["actions"]:
            text(9, _("Open actions"), "B", indent=3)
            for a in e["actions"]:
                flag = _("OVERDUE by %(days)s days") % {"days": a["days_overdue"]} if a["overdue"] else ""
                waiting = _("waits for %(keys)s") % {"keys": ", ".join(a["waiting_for"])} if a["waiting_for"] else ""
                parts = [a["status_label"], a["priority_label"], a["owner"] or "", a["due"] or "", flag, waiting]
                text(9, f"• {a['title']} — {'; '.join(p for p in parts if p)}", indent=5)
        elif e["plan"] is None:
            text(9, _("No realisation plan."), indent=3)
        if e["risks"]:
            text(9, _("Risks"), "B", indent=3)
            for r in e["risks"]:
                text(9, f"• {r['title']} — {_('score')} {r['score']} ({r['rating_label']}); {r['owner']}", indent=5)
    return bytes(pdf.output())


# --- one entry point for the CLI and the editor ------------------------------------------------


def render(data: dict[str, Any], fmt: str) -> bytes:
    if fmt == "html":
        return render_html(data).encode("utf-8")
    if fmt == "csv":
        return render_csv(data).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(data)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def cli_board_pack(args) -> int:
    """``cityline benefits board-pack``: write the board pack to a file or standard output."""
    from cityline.benefits.services import resolve_city

    try:
        city = resolve_city(args.city)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        on_date = date.fromisoformat(args.on) if args.on else None
    except ValueError:
        print(f"error: --on {args.on!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    data = board_pack(city, on_date)
    body = render(data, args.format)
    if args.out:
        try:
            Path(args.out).write_bytes(body)
        except OSError as exc:
            print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"board pack ({args.format}, {len(data['escalations'])} escalations) written to {args.out}")
    elif args.format == "pdf":
        sys.stdout.buffer.write(body)
    else:
        sys.stdout.write(body.decode("utf-8"))
    return 0
