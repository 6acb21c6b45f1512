"""KPI charts and the benefit map as inline SVG, drawn on the server (C2.f, C1).

Plain Python, no JavaScript library and no Django: the public pages pass the plain
data their data functions return (``cityline.benefits.public``) and the words to
show (already translated), and get SVG markup back. A chart draws

- the baseline (a square) and the planned trajectory (a dashed line through the
  plan's knots, C2.b),
- the targets (diamonds),
- the measured values (dots joined by a line; values flagged *bad* are hollow),
- the forecast trend to the next target date (a dotted line) inside its uncertainty
  band (a shaded polygon).

Every chart is ``role="img"`` with a ``<title>`` and a ``<desc>`` it is labelled by;
the pages put a data table with the same numbers beside it, so nothing is conveyed by
the picture alone. Shapes differ as well as colours (WCAG 1.4.1).
"""

from __future__ import annotations

import math
from datetime import date
from html import escape
from typing import Any

#: Drawing area of a full chart and of a dashboard sparkline (viewBox units).
FULL = (640, 300)
SPARK = (240, 64)
MARGIN = {"left": 56, "right": 16, "top": 14, "bottom": 30}
SPARK_MARGIN = {"left": 4, "right": 4, "top": 6, "bottom": 6}


def _d(value: str | date) -> int:
    return (value if isinstance(value, date) else date.fromisoformat(value)).toordinal()


def fmt(value: float) -> str:
    """A short number for axis labels: 12 500 → 12500, 0.25 → 0.25, 1234567 → 1.23M."""
    if value == 0:
        return "0"
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= 1e4:
        return f"{value / 1e3:.3g}k"
    return f"{value:.4g}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``low``..``high`` (1, 2 or 5 times a power of ten apart)."""
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / (count + 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


class _Scale:
    """Maps (day, value) to viewBox coordinates."""

    def __init__(self, days: list[int], values: list[float], size: tuple[int, int], margin: dict[str, int],
                 ticks: bool):
        self.w, self.h = size
        self.m = margin
        lo_d, hi_d = min(days), max(days)
        if hi_d == lo_d:
            lo_d, hi_d = lo_d - 183, hi_d + 183
        lo_v, hi_v = min(values), max(values)
        if ticks:
            self.yticks = nice_ticks(lo_v, hi_v)
            lo_v, hi_v = self.yticks[0], self.yticks[-1]
        else:
            self.yticks = []
            pad = (hi_v - lo_v) * 0.08 or abs(hi_v) * 0.1 or 1.0
            lo_v, hi_v = lo_v - pad, hi_v + pad
        self.lo_d, self.hi_d, self.lo_v, self.hi_v = lo_d, hi_d, lo_v, hi_v
        #: decimals of coordinates: a sparkline is small enough for whole units
        self.digits = 1 if ticks else 0

    def x(self, day: int) -> float:
        span = self.w - self.m["left"] - self.m["right"]
        return round(self.m["left"] + (day - self.lo_d) / (self.hi_d - self.lo_d) * span, self.digits)

    def y(self, value: float) -> float:
        span = self.h - self.m["top"] - self.m["bottom"]
        return round(self.h - self.m["bottom"] - (value - self.lo_v) / (self.hi_v - self.lo_v) * span, self.digits)

    def pt(self, day: int, value: float) -> str:
        return f"{self.x(day):g},{self.y(value):g}"


#: a sparkline draws at most this many measured values
SPARK_POINTS = 24


def thin(points: list, limit: int) -> list:
    """At most ``limit`` points, evenly spread, always keeping the first and the last."""
    if len(points) <= limit:
        return points
    step = (len(points) - 1) / (limit - 1)
    return [points[round(i * step)] for i in range(limit)]


def chart_series(kpi: dict[str, Any]) -> dict[str, list]:
    """The series a chart draws, from a KPI's plain data, as ``(day ordinal, value, ...)`` tuples."""
    plan = [(_d(k["date"]), k["value"], k["source"]) for k in kpi.get("plan", [])]
    baseline = kpi.get("baseline") or {}
    base = [(_d(baseline["date"]), baseline["value"])] if baseline.get("date") and baseline.get("value") is not None else []
    targets = [(_d(t["date"]), t["value"]) for t in kpi.get("targets", []) if t.get("date") and t.get("value") is not None]
    actual = [(_d(m["period_end"]), m["value"], m.get("quality") == "bad") for m in kpi.get("measurements", [])]
    trend = [(_d(p["date"]), p["value"], p["low"], p["high"]) for p in (kpi.get("forecast") or {}).get("trend", [])]
    return {"plan": plan, "baseline": base, "targets": targets, "actual": actual, "trend": trend}


def kpi_chart(kpi: dict[str, Any], *, chart_id: str, title: str, desc: str, sparkline: bool = False) -> str:
    """SVG markup of one KPI's chart (see the module docstring); empty string when there is nothing to draw."""
    s = chart_series(kpi)
    days = [p[0] for p in s["plan"]] + [p[0] for p in s["baseline"]] + [p[0] for p in s["targets"]] \
        + [p[0] for p in s["actual"]] + [p[0] for p in s["trend"]]
    values = [p[1] for p in s["plan"]] + [p[1] for p in s["baseline"]] + [p[1] for p in s["targets"]] \
        + [p[1] for p in s["actual"]] + [v for p in s["trend"] for v in p[1:]]
    if not days:
        return ""
    if sparkline:  # a glance: the plan and the measured line, thinned to SPARK_POINTS values, no band
        s["actual"] = thin(s["actual"], SPARK_POINTS)
        s["trend"] = []
    size, margin = (SPARK, SPARK_MARGIN) if sparkline else (FULL, MARGIN)
    sc = _Scale(days, values, size, margin, ticks=not sparkline)
    w, h = size
    tid, did = f"{chart_id}-title", f"{chart_id}-desc"
    labelled = f"{tid} {did}" if desc else tid
    out = [f'<svg class="chart{" spark" if sparkline else ""}" id="{chart_id}" viewBox="0 0 {w} {h}" role="img" '
           f'aria-labelledby="{labelled}" focusable="false">',
           f'<title id="{tid}">{escape(title)}</title>' + (f'<desc id="{did}">{escape(desc)}</desc>' if desc else "")]
    if not sparkline:
        out.append(_axes(sc))
    if len(s["trend"]) >= 2:
        upper = " ".join(sc.pt(d, hi) for d, _v, _lo, hi in s["trend"])
        lower = " ".join(sc.pt(d, lo) for d, _v, lo, _hi in reversed(s["trend"]))
        out.append(f'<polygon class="band" points="{upper} {lower}"/>')
        out.append(f'<polyline class="trend" points="{" ".join(sc.pt(d, v) for d, v, _l, _h in s["trend"])}"/>')
    if len(s["plan"]) >= 2:
        out.append(f'<polyline class="plan" points="{" ".join(sc.pt(d, v) for d, v, _src in s["plan"])}"/>')
    good = [(d, v) for d, v, bad in s["actual"] if not bad]
    if len(good) >= 2:
        out.append(f'<polyline class="actual-line" points="{" ".join(sc.pt(d, v) for d, v in good)}"/>')
    if not sparkline:
        for d, v in s["baseline"]:
            x, y = sc.x(d), sc.y(v)
            out.append(f'<rect class="baseline" x="{x - 4.5}" y="{y - 4.5}" width="9" height="9"/>')
        for d, v in s["targets"]:
            x, y = sc.x(d), sc.y(v)
            out.append(f'<path class="target" d="M{x},{round(y - 7, 1)} l7,7 l-7,7 l-7,-7 z"/>')
        for d, v, bad in s["actual"]:
            out.append(f'<circle class="actual{" bad" if bad else ""}" cx="{sc.x(d)}" cy="{sc.y(v)}" r="3.5"/>')
    else:
        for d, v in s["targets"][-1:]:
            x, y = sc.x(d), sc.y(v)
            out.append(f'<path class="target" d="M{x},{round(y - 4, 1)} l4,4 l-4,4 l-4,-4 z"/>')
        if good:
            d, v = good[-1]
            out.append(f'<circle class="actual" cx="{sc.x(d)}" cy="{sc.y(v)}" r="2.5"/>')
    out.append("</svg>")
    return "".join(out)


def _axes(sc: _Scale) -> str:
    parts = ['<g class="axes" aria-hidden="true">']
    left, right = sc.m["left"], sc.w - sc.m["right"]
    bottom = sc.h - sc.m["bottom"]
    for v in sc.yticks:
        y = sc.y(v)
        parts.append(f'<line class="grid" x1="{left}" x2="{right}" y1="{y}" y2="{y}"/>'
                     f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">{escape(fmt(v))}</text>')
    first, last = date.fromordinal(sc.lo_d).year, date.fromordinal(sc.hi_d).year
    years = list(range(first + 1, last + 1))
    step = max(1, math.ceil(len(years) / 8))
    for year in years[::step]:
        x = sc.x(date(year, 1, 1).toordinal())
        parts.append(f'<line class="tick" x1="{x}" x2="{x}" y1="{bottom}" y2="{bottom + 5}"/>'
                     f'<text x="{x}" y="{bottom + 18}" text-anchor="middle">{year}</text>')
    parts.append(f'<line class="axis" x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}"/>')
    parts.append("</g>")
    return "".join(parts)


# --- the benefit map ------------------------------------------------------------------

COLUMN_W, NODE_W, NODE_H, ROW_H, TOP = 200, 176, 44, 54, 40


def map_layout(nodes: list[dict[str, Any]], links: list[tuple[str, str]], kinds: list[str]) -> dict[str, tuple[float, float]]:
    """Top-left corner of each node: one column per kind in chain order, rows ordered to keep links short.

    Purposes keep their given order; each column to their left is sorted by the mean row
    of the nodes its links lead to (a barycentre pass from right to left), so a node sits
    near what it feeds. Nodes leading nowhere go to the bottom of their column.
    """
    column = {k: i for i, k in enumerate(kinds)}
    succ: dict[str, list[str]] = {}
    for a, b in links:
        succ.setdefault(a, []).append(b)
    by_kind: dict[str, list[dict]] = {k: [] for k in kinds}
    for n in nodes:
        by_kind.setdefault(n["kind"], []).append(n)
    row: dict[str, float] = {}
    for kind in reversed(kinds):
        col = by_kind.get(kind, [])

        def weight(n, _row=row):
            ahead = [_row[t] for t in succ.get(n["key"], []) if t in _row]
            return (0, sum(ahead) / len(ahead)) if ahead else (1, 0.0)

        if kind != kinds[-1]:
            col.sort(key=lambda n: (*weight(n), n["key"]))
        for i, n in enumerate(col):
            row[n["key"]] = i
    return {n["key"]: (column[n["kind"]] * COLUMN_W + 8, TOP + row[n["key"]] * ROW_H) for n in nodes}


def _short(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def benefit_map_svg(nodes: list[dict[str, Any]], links: list[tuple[str, str]], kinds: list[tuple[str, str]],
                    *, map_id: str, title: str, desc: str) -> str:
    """The benefit map as SVG: columns by kind, links as curves, each node a box with its title and status.

    ``nodes`` carry ``key``, ``kind``, ``title``, ``status`` (a code or None),
    ``status_label`` (words), ``index`` (the number used in data attributes), ``up`` and
    ``down`` (indices upstream and downstream) and ``purposes`` (purpose keys it serves).
    ``kinds`` is ``[(kind, heading)]`` in chain order. The boxes are plain graphics; the
    page's script makes them focusable buttons (the nested list is the content without it).
    """
    pos = map_layout(nodes, links, [k for k, _ in kinds])
    rows = max([1] + [sum(1 for n in nodes if n["kind"] == k) for k, _ in kinds])
    w, h = len(kinds) * COLUMN_W, TOP + rows * ROW_H
    index = {n["key"]: n["index"] for n in nodes}
    tid, did = f"{map_id}-title", f"{map_id}-desc"
    out = [f'<svg class="benefit-map" id="{map_id}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
           f'aria-labelledby="{tid} {did}">',
           f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>',
           '<g class="columns" aria-hidden="true">']
    for i, (_kind, heading) in enumerate(kinds):
        out.append(f'<text class="col-head" x="{i * COLUMN_W + 8}" y="20">{escape(heading)}</text>')
    out.append('</g><g class="links" aria-hidden="true">')
    for a, b in links:
        if a not in pos or b not in pos:
            continue
        (x1, y1), (x2, y2) = pos[a], pos[b]
        x1, y1, x2, y2 = x1 + NODE_W, y1 + NODE_H / 2, x2, y2 + NODE_H / 2
        mid = (x1 + x2) / 2
        out.append(f'<path class="link" data-from="{index[a]}" data-to="{index[b]}" '
                   f'd="M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"/>')
    out.append('</g><g class="nodes">')
    for n in nodes:
        x, y = pos[n["key"]]
        status = n.get("status") or "none"
        out.append(
            f'<g class="node status-{status}" id="{map_id}-n{n["index"]}" data-index="{n["index"]}" '
            f'data-key="{escape(n["key"])}" data-up="{" ".join(map(str, n["up"]))}" '
            f'data-down="{" ".join(map(str, n["down"]))}" data-purposes="{" ".join(n["purposes"])}" '
            f'data-label="{escape(n["label"])}">'
            f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="4"/>'
            f'<text x="{x + 8}" y="{y + 18}">{escape(_short(n["title"]))}</text>'
            f'<text class="node-status" x="{x + 8}" y="{y + 35}">{escape(n.get("status_label") or "")}</text></g>'
        )
    out.append("</g></svg>")
    return "".join(out)


__all__ = ["kpi_chart", "benefit_map_svg", "map_layout", "nice_ticks", "chart_series", "fmt"]
