"""Public pages of benefit realisation: KPI dashboard, benefit map, purposes and outcomes (C1, C2.f, C2.g, C3).

Each data function takes a city (and, for a detail page, a key) and returns plain,
JSON-serialisable data; the same data feeds the HTML page, its ``.json`` download,
its ``.csv`` tables and the static export (see ``cityline.portal.registry``).

Everything about KPIs comes from
:func:`cityline.benefits.realisation.realisation` with ``published_only=True``: an
unpublished KPI appears in no page and no download, and does not colour the map
(C2.f). Benefit owners follow the strategy pages' rule (name and role; contact
only with ``published_contact``, B2.g). Risks have no publication flag: they are
programme data, and the live ones (not resolved or closed) are shown with title,
rating and status. Realisation plans (``cityline.delivery``, when installed) show on
outcome pages with their activities.

Texts computed by the rules in ``cityline.benefits.domain`` (a status's reason, a
forecast's message, a line-of-sight finding, a SMART finding) are in English; the
pages mark them ``lang="en"`` on the French site.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.apps import apps
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cityline.core.models import City
from cityline.portal import registry
from cityline.strategy.choices import Purpose
from cityline.strategy.public import iso, num, provenance, public_person

from . import choices
from .domain import benefit_map as bmap
from .domain import trajectory
from .domain.kpi import is_percentage
from .models import BenefitNode
from .realisation import SEVERITY, KpiReport, Realisation, node_owners, realisation, worst

STATUS_LABELS = {
    "on_track": _("On track"), "at_risk": _("At risk"), "off_track": _("Off track"),
    "no_data": _("No data"), "data_overdue": _("Data overdue"), "no_target": _("No target"),
}
NOT_MEASURED = _("Not measured")
FORECAST_LABELS = {
    "meets": _("Projected to meet the target"), "misses": _("Projected to miss the target"),
    "not_enough_data": _("Not enough data to forecast"), "no_target": _("No target to forecast to"),
    "target_passed": _("No target ahead"),
}
SEVERITY_LABELS = {bmap.ERROR: _("Error"), bmap.WARNING: _("Warning"), bmap.INFO: _("Note")}
CHECK_TITLES = {
    "investment_without_line_of_sight": _("Investments with no path to an end outcome or purpose"),
    "end_outcome_unreached": _("End outcomes no investment reaches"),
    "end_outcome_without_purpose": _("End outcomes that lead to no purpose"),
    "enabler_without_governance_change": _("Enablers with no governance change on the way to an outcome"),
    "cycle": _("Cycles"),
    "backward_link": _("Links that go backwards in the chain"),
    "end_outcome_without_owner": _("End outcomes without a benefit owner"),
    "end_outcome_without_kpi": _("End outcomes without an outcome indicator"),
    "intermediate_outcome_without_kpi": _("Intermediate outcomes without an outcome indicator"),
    "missing_leading_indicator": _("Investments and outputs without a leading indicator"),
    "outcome_rests_on_assumptions": _("End outcomes reached only through assumed links"),
    "assumed_link": _("Links resting on assumed evidence"),
}
QUALITY_LABELS = dict(choices.QualityFlag.choices)
KIND_LABELS = dict(choices.NodeKind.choices)
PURPOSE_LABELS = dict(Purpose.choices)
OUTCOME_KINDS = (bmap.INTERMEDIATE_OUTCOME, bmap.END_OUTCOME)
#: risk statuses that no longer threaten anything
DEAD_RISKS = ("resolved", "closed")
#: points sampled along a forecast trend for its chart (the band is linear in time on either side of the pivot)
TREND_POINTS = 7


def status_label(status: str | None):
    return STATUS_LABELS.get(status, NOT_MEASURED) if status else NOT_MEASURED


def licence_url(spdx: str) -> str:
    return f"https://spdx.org/licenses/{spdx}.html"


#: the fewest decimals a KPI's computed figures (expected value, variance, forecast) are shown with
MIN_DECIMALS = 2
#: ... and the significant digits they keep at the scale of the KPI's own values
SIGNIFICANT = 3


def display_decimals(values) -> int:
    """How many decimals show a KPI's computed figures: two, or more when the KPI's own values are small, so
    that they keep three significant digits at its scale (0.004 mg/m³ is not shown as 0)."""
    scale = max((abs(float(v)) for v in values if v is not None and math.isfinite(float(v))), default=0.0)
    if not scale:
        return MIN_DECIMALS
    return max(MIN_DECIMALS, SIGNIFICANT - 1 - math.floor(math.log10(scale)))


def purpose_of(node: bmap.Node) -> str:
    """The ISO 37101 purpose key a purpose node stands for."""
    return node.purpose or node.key


# --- what every page reads once ----------------------------------------------------------


@dataclass
class Context:
    """One city's published benefit realisation, with the lookups the pages share."""

    city: City
    real: Realisation
    records: dict[str, BenefitNode]
    owners: dict[str, list]
    _down: dict[str, frozenset] = field(default_factory=dict)
    _up: dict[str, frozenset] = field(default_factory=dict)

    @property
    def bm(self) -> bmap.BenefitMap:
        return self.real.benefit_map

    def down(self, key: str) -> frozenset:
        if key not in self._down:
            self._down[key] = bmap.downstream(self.bm, key)
        return self._down[key]

    def up(self, key: str) -> frozenset:
        if key not in self._up:
            self._up[key] = bmap.upstream(self.bm, key)
        return self._up[key]

    def node_url(self, key: str) -> str | None:
        node = self.bm.node(key)
        if node.kind in OUTCOME_KINDS:
            return reverse("portal:outcome", kwargs={"city": self.city.key, "key": key})
        if node.kind == bmap.PURPOSE and purpose_of(node) in PURPOSE_LABELS:
            return reverse("portal:purpose", kwargs={"city": self.city.key, "key": purpose_of(node)})
        return None

    def node_ref(self, key: str) -> dict[str, Any]:
        """A node as other records mention it: key, title, kind, status and the page it has."""
        node = self.bm.node(key)
        status = self.real.nodes[key].status
        return {"key": key, "title": node.title or key, "kind": node.kind, "kind_label": str(KIND_LABELS[node.kind]),
                "status": status, "status_label": str(status_label(status)), "url": self.node_url(key)}

    def serves(self, key: str) -> tuple[list[str], list[str]]:
        """End outcome keys and purpose codes a node serves (itself included), in map order."""
        reach = self.down(key) | {key}
        ends = [n.key for n in self.bm.nodes if n.key in reach and n.kind == bmap.END_OUTCOME]
        purposes = []
        for n in self.bm.nodes:
            if n.key in reach and n.kind == bmap.PURPOSE and purpose_of(n) not in purposes:
                purposes.append(purpose_of(n))
        return ends, [p for p in PURPOSE_LABELS if p in purposes]

    def purpose_nodes(self, code: str) -> list[str]:
        return [n.key for n in self.bm.nodes if n.kind == bmap.PURPOSE and purpose_of(n) == code]


def load(city: City, on_date: date | None = None) -> Context:
    real = realisation(city, on_date, published_only=True)
    records = {n.key: n for n in BenefitNode.objects.filter(city=city).select_related("benefit_owner__organisation")}
    return Context(city, real, records, node_owners(city))


def _provenance(ctx: Context, kpis: list[KpiReport] | None = None) -> dict[str, Any]:
    records: list[Any] = list(ctx.records.values())
    for r in ctx.real.kpis if kpis is None else kpis:
        records.append(r.record)
        records.extend(r.record.measurements.all())
    data = provenance(ctx.city, records)
    data["on"] = ctx.real.on_date.isoformat()
    return data


# --- one KPI as plain data ------------------------------------------------------------------


def _trend(r: KpiReport, on_date: date) -> list[dict[str, Any]]:
    """Points of the forecast trend and its band from the latest value (or today) to the target date."""
    fc = r.forecast
    if fc.slope_per_day is None or fc.target_date is None:
        return []
    start = r.status.actual_date or on_date
    end = fc.target_date
    if end <= start:
        return []
    span = end.toordinal() - start.toordinal()
    days = sorted({start.toordinal() + round(span * i / (TREND_POINTS - 1)) for i in range(TREND_POINTS)}
                  | ({round(fc.pivot_day)} if start.toordinal() < fc.pivot_day < end.toordinal() else set()))
    out = []
    for d in days:
        value, low, high = fc.value_at(date.fromordinal(d))
        out.append({"date": date.fromordinal(d).isoformat(), "value": value, "low": low, "high": high})
    return out


def kpi_data(ctx: Context, r: KpiReport, *, definition: bool = False) -> dict[str, Any]:
    """One published KPI: definition, status, forecast, and the series its chart draws (C2.f)."""
    k = r.record
    st, fc = r.status, r.forecast
    ind = k.indicator
    ends, purposes = ctx.serves(k.node.key) if k.node_id and k.node.key in ctx.bm.index else ([], [])
    recorded = [k.baseline_value, k.band_low, k.band_high, *(t.value for t in k.targets.all()),
                *(m.value for m in k.measurements.all())]
    data: dict[str, Any] = {
        "key": k.key, "title": k.title,
        "url": reverse("portal:kpi", kwargs={"city": ctx.city.key, "key": k.key}),
        # the pages show recorded values as recorded, computed ones with this many decimals
        "decimals": display_decimals(recorded),
        "indicator": {"list": ind.source, "list_label": str(ind.get_source_display()), "code": ind.code or None,
                      "name": ind.name} if ind else None,
        "unit": k.unit,
        # a difference of percentages (the variance) is in percentage points, not a share of the value
        "difference_unit": str(_("percentage points")) if is_percentage(k.unit) else k.unit,
        "kind": k.kind, "kind_label": str(k.get_kind_display()),
        "direction": k.direction, "direction_label": str(k.get_direction_display()),
        "band": {"low": num(k.band_low), "high": num(k.band_high)} if k.direction == "target_band" else None,
        "frequency": k.frequency or None, "frequency_label": str(k.get_frequency_display()) if k.frequency else None,
        "node": ctx.node_ref(k.node.key) if k.node_id and k.node.key in ctx.bm.index else None,
        "end_outcomes": [ctx.node_ref(e) for e in ends],
        "purposes": [{"purpose": p, "label": str(PURPOSE_LABELS[p])} for p in purposes],
        "licence": k.licence, "licence_url": licence_url(k.licence),
        "status": {
            "status": st.status, "label": str(status_label(st.status)),
            "rating": st.rating, "rating_label": str(status_label(st.rating)) if st.rating else None,
            "reason": st.reason, "on": iso(st.on_date),
            "expected": st.expected, "actual": st.actual, "actual_date": iso(st.actual_date),
            "actual_quality": st.actual_quality, "expected_at_actual": st.expected_at_actual,
            "variance": st.variance, "relative_variance": st.relative_variance, "next_due": iso(st.next_due),
        },
        "forecast": {
            "outcome": fc.outcome, "label": str(FORECAST_LABELS.get(fc.outcome, fc.outcome)), "message": fc.message, "method": fc.method, "confidence": fc.confidence,
            "n_points": fc.n_points, "target_date": iso(fc.target_date), "target_value": fc.target_value,
            "value": fc.value, "low": fc.low, "high": fc.high, "gap": fc.gap,
            "slope_per_year": fc.slope_per_year, "trend": _trend(r, ctx.real.on_date),
        },
        "baseline": {"value": num(k.baseline_value), "date": iso(k.baseline_date)},
        "targets": [{"label": t.label, "value": num(t.value), "date": iso(t.date)} for t in k.targets.all()],
        "trajectory": k.trajectory, "trajectory_label": str(k.get_trajectory_display()),
        "plan": [{"date": iso(kn.date), "value": kn.value, "source": kn.source} for kn in trajectory.plan(r.plain)],
        "measurements": [
            {"period_end": iso(m.period_end), "value": num(m.value), "quality": m.quality,
             "quality_label": str(QUALITY_LABELS.get(m.quality, m.quality)), "source": m.source,
             "expected": trajectory.expected(r.plain, m.period_end)}
            for m in k.measurements.all()
        ],
    }
    if definition:
        data.update({
            "scope": k.scope, "calculation": k.calculation,
            "evaluation_method": k.evaluation_method or None,
            "evaluation_method_label": str(k.get_evaluation_method_display()) if k.evaluation_method else None,
            "suppliers": sorted(p.name for p in k.suppliers.all()),
            "users": sorted(p.name for p in k.users.all()),
            "smart": [f.as_dict() for f in r.smart_findings()],
        })
    return data


KPI_HEADER = ["key", "title", "indicator_list", "indicator_code", "indicator_name", "unit", "kind", "direction",
              "frequency", "node", "status", "rating", "expected", "actual", "actual_date", "variance",
              "relative_variance", "next_due", "forecast_outcome", "forecast_target_date", "forecast_target_value",
              "forecast_value", "forecast_low", "forecast_high", "licence"]


def kpi_row(k: dict[str, Any]) -> list[Any]:
    ind, st, fc = k["indicator"] or {}, k["status"], k["forecast"]
    return [k["key"], k["title"], ind.get("list"), ind.get("code"), ind.get("name"), k["unit"], k["kind"],
            k["direction"], k["frequency"], k["node"]["key"] if k["node"] else None, st["status"], st["rating"],
            st["expected"], st["actual"], st["actual_date"], st["variance"], st["relative_variance"], st["next_due"],
            fc["outcome"], fc["target_date"], fc["target_value"], fc["value"], fc["low"], fc["high"], k["licence"]]


MEASUREMENT_HEADER = ["kpi", "period_end", "value", "quality", "source", "licence"]


def measurement_rows(kpis: list[dict[str, Any]]) -> list[list[Any]]:
    return [[k["key"], m["period_end"], m["value"], m["quality"], m["source"], k["licence"]]
            for k in kpis for m in k["measurements"]]


# --- the KPI dashboard (C2.f, C2.g) ------------------------------------------------------


def dashboard(city: City, on_date: date | None = None) -> dict[str, Any]:
    """Every published KPI with status, forecast and chart series, grouped by the purpose and end outcome it serves."""
    ctx = load(city, on_date)
    kpis = [kpi_data(ctx, r) for r in ctx.real.kpis]
    counts = ctx.real.counts()
    groups: dict[tuple, dict[str, Any]] = {}
    for k in kpis:
        # the first end outcome the KPI serves, under that outcome's first purpose, so an
        # end outcome is always shown under the same purpose
        end = k["end_outcomes"][0] if k["end_outcomes"] else None
        served = ctx.serves(end["key"])[1] if end else [p["purpose"] for p in k["purposes"]]
        purpose = served[0] if served else None
        group = groups.setdefault(purpose, {
            "purpose": purpose, "label": str(PURPOSE_LABELS[purpose]) if purpose else str(_("Not linked to a purpose yet")),
            "url": reverse("portal:purpose", kwargs={"city": city.key, "key": purpose})
            if purpose and ctx.purpose_nodes(purpose) else None,
            "outcomes": {},
        })
        slot = group["outcomes"].setdefault(end["key"] if end else None, {
            "outcome": end, "kpis": [],
        })
        slot["kpis"].append(k["key"])
    order = {p: i for i, p in enumerate(PURPOSE_LABELS)}
    grouped = []
    for purpose in sorted(groups, key=lambda p: order.get(p, len(order))):
        g = groups[purpose]
        outs = sorted(g["outcomes"].values(), key=lambda o: (o["outcome"] is None, (o["outcome"] or {}).get("title", "")))
        grouped.append({**g, "outcomes": outs})
    return {
        "on": ctx.real.on_date.isoformat(),
        "total": len(kpis),
        "counts": [{"status": s, "label": str(status_label(s)), "count": counts[s]} for s in SEVERITY],
        "groups": grouped,
        "licences": [{"licence": lic, "url": licence_url(lic)} for lic in sorted({k["licence"] for k in kpis})],
        "kpis": kpis,
        "provenance": _provenance(ctx),
    }


def dashboard_rows(data: dict[str, Any]):
    return KPI_HEADER, [kpi_row(k) for k in data["kpis"]]


def dashboard_measurement_rows(data: dict[str, Any]):
    return MEASUREMENT_HEADER, measurement_rows(data["kpis"])


# --- one KPI ----------------------------------------------------------------------------------


def kpi_keys(city: City) -> list[str]:
    from .realisation import kpi_queryset

    return list(kpi_queryset(city, published_only=True).values_list("key", flat=True))


def kpi_page(city: City, key: str, on_date: date | None = None) -> dict[str, Any]:
    """One published KPI in full: chart series, measurements, definition, SMART findings (C2.a–d, C2.f)."""
    ctx = load(city, on_date)
    report = next((r for r in ctx.real.kpis if r.key == key), None)
    if report is None:
        raise KeyError(key)
    return {"kpi": kpi_data(ctx, report, definition=True), "provenance": _provenance(ctx, [report])}


def kpi_measurement_rows(data: dict[str, Any]):
    k = data["kpi"]
    header = ["period_end", "value", "expected", "quality", "source", "licence"]
    return header, [[m["period_end"], m["value"], m["expected"], m["quality"], m["source"], k["licence"]]
                    for m in k["measurements"]]


# --- the benefit map (C1) ---------------------------------------------------------------------


def _tree(ctx: Context) -> tuple[list[dict[str, Any]], set[str]]:
    """Purposes with everything feeding them, following links upstream; a node's inputs are listed once.

    A node reached a second time (it feeds several things) is listed again with a link to
    where its own inputs are shown, so the list stays as long as the map, not its paths.
    """
    bm = ctx.bm
    pred = bm.pred
    expanded: set[str] = set()

    def item(i: int) -> dict[str, Any]:
        node = bm.nodes[i]
        data = ctx.node_ref(node.key)
        data["cost"] = num(node.cost) if node.kind == bmap.INVESTMENT and node.cost is not None else None
        data["kpis"] = ctx.real.nodes[node.key].kpis
        if node.key in expanded:
            data.update(repeat=True, children=[])
            return data
        expanded.add(node.key)
        inputs = sorted(set(pred[i]), key=lambda j: (-bm.rank[j], bm.nodes[j].title or bm.nodes[j].key))
        data.update(repeat=False, children=[item(j) for j in inputs])
        return data

    roots = sorted(bm.of_kind(bmap.PURPOSE), key=lambda i: (list(PURPOSE_LABELS).index(purpose_of(bm.nodes[i]))
                                                             if purpose_of(bm.nodes[i]) in PURPOSE_LABELS else 99,
                                                             bm.nodes[i].key))
    return [item(i) for i in roots], expanded


def _findings(ctx: Context) -> tuple[dict[str, Any], bmap.RollUp | None]:
    report = bmap.analyse(ctx.bm)
    checks = []
    for check_id, found in report.by_check().items():
        checks.append({
            "check": check_id, "title": str(CHECK_TITLES.get(check_id, check_id.replace("_", " "))),
            "recommendation": found[0].recommendation, "severity": found[0].severity,
            "severity_label": str(SEVERITY_LABELS[found[0].severity]), "count": len(found),
            "messages": [f.message for f in found],
        })
    counts = report.counts()
    return {"ok": report.ok, "counts": [{"severity": s, "label": str(SEVERITY_LABELS[s]), "count": counts[s]}
                                        for s in bmap.SEVERITIES], "checks": checks}, report.rollup


def benefit_map(city: City, on_date: date | None = None) -> dict[str, Any]:
    """The benefit map: nodes with status and line of sight, the nested list, findings and money per purpose (C1)."""
    ctx = load(city, on_date)
    bm = ctx.bm
    position = {n.key: i for i, n in enumerate(bm.nodes)}
    nodes = []
    for i, n in enumerate(bm.nodes):
        ref = ctx.node_ref(n.key)
        _ends, purposes = ctx.serves(n.key)
        ref.update({
            "index": i, "subtype": n.subtype,
            "subtype_label": str(dict(choices.OutputType.choices).get(n.subtype, "")) if n.subtype else None,
            "cost": num(n.cost) if n.cost is not None else None, "purposes": purposes,
            "up": sorted(position[k] for k in ctx.up(n.key)), "down": sorted(position[k] for k in ctx.down(n.key)),
            "kpis": ctx.real.nodes[n.key].kpis,
            "label": f"{n.title or n.key} ({KIND_LABELS[n.kind]}): {status_label(ctx.real.nodes[n.key].status)}",
        })
        nodes.append(ref)
    evidence = dict(choices.Evidence.choices)
    links = [{"source": link.source, "target": link.target, "evidence": link.evidence,
              "evidence_label": str(evidence.get(link.evidence, link.evidence))} for link in bm.links]
    tree, listed = _tree(ctx)
    findings, rollup = _findings(ctx)
    money = None
    if rollup is not None:
        # every row of the money table, so they add up to the total (line-of-sight.md: conservation):
        # what reaches each purpose, what end outcomes with no link on retain, and what is stranded; rounded to
        # cents together, so that the rounded rows still add up to the total
        purposes = [(p, a) for p, a in rollup.by_purpose.items() if p in PURPOSE_LABELS]
        retained = list(rollup.retained.items())
        *cents, stranded = bmap.rounded_shares(
            [a for _p, a in purposes] + [a for _k, a in retained] + [rollup.stranded_total], rollup.total_investment)
        money = {
            "total_investment": num(round(rollup.total_investment, 2)),
            "by_purpose": [{"purpose": p, "label": str(PURPOSE_LABELS[p]), "amount": num(amount),
                            "url": reverse("portal:purpose", kwargs={"city": city.key, "key": p})
                            if ctx.purpose_nodes(p) else None}
                           for (p, _a), amount in zip(purposes, cents)],
            "retained": [{**ctx.node_ref(k), "amount": num(amount)}
                         for (k, _a), amount in zip(retained, cents[len(purposes):])],
            "retained_total": num(round(sum(cents[len(purposes):]), 2)),
            "stranded": num(stranded),
        }
        money["by_purpose"].sort(key=lambda row: list(PURPOSE_LABELS).index(row["purpose"]))
    present = [p for p in PURPOSE_LABELS if ctx.purpose_nodes(p)]
    return {
        "kinds": [{"kind": k, "label": str(KIND_LABELS[k])} for k in bmap.NODE_KINDS],
        "purposes": [{"purpose": p, "label": str(PURPOSE_LABELS[p])} for p in present],
        "nodes": nodes, "links": links, "tree": tree,
        "unlinked": [ctx.node_ref(n.key) for n in bm.nodes if n.key not in listed],
        "findings": findings, "money": money,
        "provenance": _provenance(ctx),
    }


def benefit_map_rows(data: dict[str, Any]):
    header = ["key", "kind", "title", "subtype", "status", "cost", "purposes", "kpis"]
    return header, [[n["key"], n["kind"], n["title"], n["subtype"], n["status"], n["cost"], "; ".join(n["purposes"]),
                     "; ".join(n["kpis"])] for n in data["nodes"]]


def benefit_map_link_rows(data: dict[str, Any]):
    header = ["source", "target", "evidence"]
    return header, [[lk["source"], lk["target"], lk["evidence"]] for lk in data["links"]]


# --- purposes and outcomes (C1, C3) ------------------------------------------------------------


def _risks(ctx: Context, keys: list[str]) -> list[dict[str, Any]]:
    """Risks that threaten these nodes or anything upstream of them (C3.c), highest score first."""
    from cityline.risks.models import Risk

    reach = set(keys)
    for key in keys:
        reach |= ctx.up(key)
    risks = (Risk.objects.filter(city=ctx.city, threatens__key__in=reach).exclude(status__in=DEAD_RISKS)
             .distinct().prefetch_related("threatens"))
    out = []
    for r in risks:
        threatened = sorted(n.key for n in r.threatens.all() if n.key in reach)
        direct = [k for k in threatened if k in keys]
        out.append({
            "key": r.key, "title": r.title, "score": r.score, "rating": r.rating, "rating_label": r.rating_label,
            "likelihood": r.likelihood, "impact": r.impact,
            "status": r.status, "status_label": str(r.get_status_display()),
            "direct": bool(direct),
            "through": [] if direct else [ctx.node_ref(k) for k in threatened],
        })
    out.sort(key=lambda r: (-r["score"], r["key"]))
    return out


def _plans(ctx: Context, keys: list[str]) -> list[dict[str, Any]] | None:
    """The realisation plans of these outcomes with their activities (C3.b); None without the delivery app."""
    if not delivery_installed():
        return None
    from cityline.delivery.models import RealisationPlan

    plans = (RealisationPlan.objects.filter(city=ctx.city, benefit__key__in=keys)
             .select_related("owner__organisation").prefetch_related("activities").order_by("key"))
    out = []
    for plan in plans:
        activities = sorted(plan.activities.all(), key=lambda a: (a.due or date.max, a.key))
        out.append({
            "key": plan.key, "summary": plan.summary, "owner": public_person(plan.owner),
            "last_reviewed": iso(plan.last_reviewed), "next_review": iso(plan.next_review()),
            "activities": [{"key": a.key, "title": a.title, "start": iso(a.start), "due": iso(a.due),
                            "status": a.status, "status_label": str(a.get_status_display()),
                            "priority": a.priority, "priority_label": str(a.get_priority_display())}
                           for a in activities],
        })
    return out


def _reason(ctx: Context, keys: list[str]) -> dict[str, Any] | None:
    """Why the nodes are at risk: the off-track node upstream and the path from it (None when nothing upstream is)."""
    for key in keys:
        ns = ctx.real.nodes[key]
        if ns.cause == "upstream" and ns.risk is not None:
            cause = ns.risk.cause
            return {"cause": ctx.node_ref(cause), "path": [ctx.node_ref(k) for k in ns.risk.path],
                    "cause_kpis": [{"key": kk, "title": ctx.real.kpi(kk).record.title,
                                    "url": reverse("portal:kpi", kwargs={"city": ctx.city.key, "key": kk}),
                                    "status": ctx.real.kpi(kk).status.status,
                                    "status_label": str(status_label(ctx.real.kpi(kk).status.status))}
                                   for kk in ctx.real.nodes[cause].kpis]}
    return None


def _detail(ctx: Context, keys: list[str], title: str, kind: str) -> dict[str, Any]:
    """What a purpose or outcome page shows for its node(s)."""
    bm = ctx.bm
    status = worst(s for s in (ctx.real.nodes[k].status for k in keys) if s)
    own_kpis = [r for r in ctx.real.kpis if r.record.node_id and r.record.node.key in keys]
    upstream = set().union(*(ctx.up(k) for k in keys)) - set(keys)
    downstream = set().union(*(ctx.down(k) for k in keys)) - set(keys)
    ordered = [n for n in bm.nodes if n.key in upstream]
    investments = [{**ctx.node_ref(n.key), "cost": num(n.cost)} for n in ordered if n.kind == bmap.INVESTMENT]
    outputs = [{**ctx.node_ref(n.key), "subtype": n.subtype,
                "subtype_label": str(dict(choices.OutputType.choices).get(n.subtype, "")),
                "governance_change": n.governance_change,
                "governance_change_label": str(dict(choices.GovernanceChange.choices).get(n.governance_change, ""))
                if n.governance_change else None}
               for n in ordered if n.kind == bmap.OUTPUT]
    owners: dict[int, Any] = {}
    for k in keys:
        for person in ctx.owners.get(k, []):
            owners[person.pk] = person
    feeding = [r for r in ctx.real.kpis if r.record.node_id and r.record.node.key in upstream]
    descriptions = [ctx.records[k].description for k in keys if k in ctx.records and ctx.records[k].description]
    return {
        "keys": keys, "title": title, "kind": kind, "kind_label": str(KIND_LABELS[kind]),
        "description": "\n\n".join(descriptions),
        "status": status, "status_label": str(status_label(status)),
        "own_status": worst(s for s in (ctx.real.nodes[k].own for k in keys) if s),
        "reason": _reason(ctx, keys),
        "owners": [public_person(p) for p in sorted(owners.values(), key=lambda p: p.name)],
        "kpis": [kpi_data(ctx, r, definition=False) for r in own_kpis],
        "feeding_kpis": [{"key": r.key, "title": r.record.title, "kind_label": str(r.record.get_kind_display()),
                          "url": reverse("portal:kpi", kwargs={"city": ctx.city.key, "key": r.key}),
                          "node": ctx.node_ref(r.record.node.key), "status": r.status.status,
                          "status_label": str(status_label(r.status.status))} for r in feeding],
        "investments": investments,
        "investment_total": num(sum((n["cost"] or 0) for n in investments)) if investments else None,
        "outputs": outputs,
        "intermediate_outcomes": [ctx.node_ref(n.key) for n in ordered if n.kind == bmap.INTERMEDIATE_OUTCOME],
        "end_outcomes": [ctx.node_ref(n.key) for n in ordered if n.kind == bmap.END_OUTCOME],
        "serves": [ctx.node_ref(n.key) for n in bm.nodes if n.key in downstream
                   and n.kind in (bmap.END_OUTCOME, bmap.PURPOSE)],
        "risks": _risks(ctx, keys),
        "plans": _plans(ctx, keys) if kind in OUTCOME_KINDS else None,
        "provenance": _provenance(ctx, own_kpis + feeding),
    }


def _money(ctx: Context, keys: list[str]) -> float | None:
    rollup = bmap.roll_up(ctx.bm)
    kind = ctx.bm.node(keys[0]).kind
    if kind == bmap.END_OUTCOME:
        return num(round(rollup.end_outcomes.get(keys[0], 0.0), 2))
    if kind == bmap.PURPOSE:
        return num(round(sum(rollup.purposes.get(k, 0.0) for k in keys), 2))
    return None


def outcome_keys(city: City) -> list[str]:
    return list(BenefitNode.objects.filter(city=city, kind__in=OUTCOME_KINDS).order_by("key")
                .values_list("key", flat=True))


def outcome(city: City, key: str, on_date: date | None = None) -> dict[str, Any]:
    """An intermediate or end outcome: status and why, owner, KPIs, what feeds it, money, risks (C1, C3)."""
    ctx = load(city, on_date)
    if key not in ctx.bm.index or ctx.bm.node(key).kind not in OUTCOME_KINDS:
        raise KeyError(key)
    node = ctx.bm.node(key)
    data = _detail(ctx, [key], node.title or key, node.kind)
    data["money"] = _money(ctx, [key])
    return data


def purpose_keys(city: City) -> list[str]:
    found = set()
    for kind, purpose, key in BenefitNode.objects.filter(city=city, kind=bmap.PURPOSE).values_list("kind", "purpose", "key"):
        found.add(purpose or key)
    return [p for p in PURPOSE_LABELS if p in found]


def purpose(city: City, key: str, on_date: date | None = None) -> dict[str, Any]:
    """One ISO 37101 purpose: its status, the end outcomes and everything else that feeds it, money, risks."""
    if key not in PURPOSE_LABELS:
        raise KeyError(key)
    ctx = load(city, on_date)
    keys = ctx.purpose_nodes(key)
    if not keys:
        raise KeyError(key)
    data = _detail(ctx, keys, str(PURPOSE_LABELS[key]), bmap.PURPOSE)
    data["purpose"] = key
    data["money"] = _money(ctx, keys)
    return data


def detail_kpi_rows(data: dict[str, Any]):
    return KPI_HEADER, [kpi_row(k) for k in data["kpis"]]


def delivery_installed() -> bool:
    return apps.is_installed("cityline.delivery")


# --- registration: after the strategy pages in the navigation --------------------------------

PAGES = [
    registry.DataPage(
        name="kpis", title=_("KPI dashboard"), order=70, data=dashboard,
        template="portal/benefits/dashboard.html",
        description=_("How each published indicator is doing against its plan, with its forecast and open data."),
        tables={"": dashboard_rows, "measurements": dashboard_measurement_rows},
    ),
    registry.DataPage(
        name="benefit-map", title=_("Benefit map"), order=80, data=benefit_map,
        template="portal/benefits/benefit_map.html",
        description=_("How each investment leads to outcomes and to the city's purposes, and where the gaps are."),
        tables={"": benefit_map_rows, "links": benefit_map_link_rows},
    ),
    registry.DetailPage(
        name="kpi", title=_("KPI"), order=71, segment="kpis", data=kpi_page, keys=kpi_keys,
        template="portal/benefits/kpi.html", tables={"": kpi_measurement_rows},
    ),
    registry.DetailPage(
        name="purpose", title=_("Purpose"), order=81, segment="purposes", data=purpose, keys=purpose_keys,
        template="portal/benefits/node.html", tables={"": detail_kpi_rows},
    ),
    registry.DetailPage(
        name="outcome", title=_("Outcome"), order=82, segment="outcomes", data=outcome, keys=outcome_keys,
        template="portal/benefits/node.html", tables={"": detail_kpi_rows},
    ),
]
for _page in PAGES:
    registry.register(_page)
