"""Benefit realisation of a stored city on a date: every KPI's status and forecast, and the map's status (C2, C3.d).

This module reads the records and hands them to the pure rules:

- :mod:`.domain.status` rates each KPI (on track / at risk / off track / no data /
  data overdue / no target) against its trajectory;
- :mod:`.domain.forecast` projects each KPI to its next target with a Theil–Sen trend;
- :func:`.domain.benefit_map.propagate_status` marks the outcomes and purposes
  downstream of an off-track node "at risk" and names the path of causes.

Everything the public pages, the API, the editor, the escalation list and the board
pack show about "how are we doing" comes from :func:`realisation`, so they never
disagree.

A node's own status is the worst status of the KPIs that measure it, in the order of
:data:`SEVERITY` (off track is worst). A node is a *cause* when its own status is off
track; every intermediate outcome, end outcome and purpose downstream of a cause is
at risk through it (its ``path``), unless its own KPIs already say off track.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from cityline.core.models import City

from .domain import benefit_map as bmap
from .domain import smart
from .domain.forecast import KpiForecast, forecast_many
from .domain.kpi import Kpi as PlainKpi
from .domain.kpi import KpiDataError, kpi_from_dict
from .domain.status import KpiStatus, status_many
from .models import BenefitNode, Kpi, KpiTarget, Measurement, TrajectoryPoint
from .services import load_map

#: Node and KPI statuses from worst to best. "at_risk" on a node may come from its own KPIs or from upstream.
SEVERITY = ("off_track", "at_risk", "data_overdue", "no_data", "no_target", "on_track")
#: Statuses that put a benefit on the programme board's escalation list (C3.d).
ESCALATE = ("off_track", "at_risk")


def worst(statuses: Iterable[str]) -> str | None:
    """The worst of some statuses by :data:`SEVERITY`; None when there are none."""
    ranked = [SEVERITY.index(s) for s in statuses]
    return SEVERITY[min(ranked)] if ranked else None


@dataclass
class KpiReport:
    """One KPI on one date: the record, the plain definition, its status and its forecast."""

    record: Kpi
    plain: PlainKpi
    status: KpiStatus
    forecast: KpiForecast
    #: why the rules cannot read the KPI's data (None when they can); see :func:`readable_kpi`
    problem: KpiDataError | None = None

    @property
    def key(self) -> str:
        return self.record.key

    def smart_findings(self) -> list[smart.Finding]:
        """The SMART findings of the KPI's targets; for data the rules cannot read, one error naming the field."""
        if self.problem is not None:
            return [smart.Finding("unreadable_data", smart.ERROR, self.problem.field,
                                  f"the KPI's data cannot be used: {self.problem}", "C2.b")]
        return smart.smart_findings(self.plain)

    def as_dict(self) -> dict[str, Any]:
        return {"kpi": self.record.key, "title": self.record.title, "kind": self.record.kind,
                "node": self.record.node.key if self.record.node_id else None,
                "published": self.record.published,
                "status": self.status.as_dict(), "forecast": self.forecast.as_dict()}


@dataclass
class NodeStatus:
    """One benefit-map node on one date: its own KPIs' status, and whether an off-track node upstream endangers it."""

    key: str
    kind: str
    title: str
    #: worst status of the KPIs measuring this node (None when no KPI measures it)
    own: str | None
    kpis: list[str] = field(default_factory=list)
    #: the off-track node upstream that endangers this one and the path from it (None when nothing does)
    risk: bmap.RiskPath | None = None

    @property
    def status(self) -> str | None:
        """What the node shows: its own status, raised to at risk when an off-track node upstream endangers it."""
        if self.risk is not None and self.own not in ("off_track", "at_risk"):
            return "at_risk"
        return self.own

    @property
    def cause(self) -> str:
        """Why the node has its status: "own" (its KPIs), "upstream" (an off-track node upstream) or "" (neither)."""
        if self.own in ("off_track", "at_risk"):
            return "own"
        return "upstream" if self.risk is not None else ""

    def as_dict(self) -> dict[str, Any]:
        return {"node": self.key, "kind": self.kind, "title": self.title, "status": self.status,
                "own_status": self.own, "cause": self.cause, "kpis": self.kpis,
                "caused_by": self.risk.cause if self.risk else None,
                "path": list(self.risk.path) if self.risk else []}


@dataclass
class Realisation:
    """The benefit realisation of a city on a date: KPI reports and node statuses."""

    city: City
    on_date: date
    kpis: list[KpiReport]
    nodes: dict[str, NodeStatus]
    benefit_map: bmap.BenefitMap

    def kpi(self, key: str) -> KpiReport:
        return next(r for r in self.kpis if r.key == key)

    def counts(self) -> dict[str, int]:
        """How many KPIs have each status, every status listed."""
        out = {s: 0 for s in SEVERITY}
        for r in self.kpis:
            out[r.status.status] += 1
        return out

    def escalations(self, kinds: Iterable[str] = (bmap.INTERMEDIATE_OUTCOME, bmap.END_OUTCOME)) -> list[NodeStatus]:
        """Outcomes that are off track or at risk, worst first, then by key (C3.d)."""
        wanted = set(kinds)
        found = [n for n in self.nodes.values() if n.kind in wanted and n.status in ESCALATE]
        return sorted(found, key=lambda n: (SEVERITY.index(n.status), n.key))

    def as_dict(self) -> dict[str, Any]:
        return {"city": self.city.key, "on": self.on_date.isoformat(), "counts": self.counts(),
                "kpis": [r.as_dict() for r in self.kpis],
                "nodes": [n.as_dict() for n in self.nodes.values()]}


def kpi_queryset(city: City, published_only: bool = False):
    """The city's KPIs with everything status and forecast read, in two handfuls of queries."""
    qs = (Kpi.objects.filter(city=city).select_related("node", "indicator")
          .prefetch_related(Prefetch("targets", queryset=KpiTarget.objects.order_by("date", "label")),
                            Prefetch("trajectory_points", queryset=TrajectoryPoint.objects.order_by("date")),
                            Prefetch("measurements", queryset=Measurement.objects.order_by("period_end")))
          .order_by("key"))
    return qs.filter(published=True) if published_only else qs


def plain_kpi(record: Kpi) -> PlainKpi:
    """The stored KPI as the plain definition the status and forecast rules take."""
    return kpi_from_dict(record.as_plain())


def readable_kpi(record: Kpi) -> tuple[PlainKpi, KpiDataError | None]:
    """The stored KPI as its plain definition and None; or, when the rules cannot read its data (a row
    saved before a check existed, or written around validation), a bare definition without plan or
    measurements and the error, which names the field at fault."""
    try:
        return plain_kpi(record), None
    except KpiDataError as exc:
        return PlainKpi(id=record.key, name=record.title, unit=str(record.unit or "")), exc


def kpi_reports(records: Iterable[Kpi], on_date: date) -> list[KpiReport]:
    """Status and forecast for some KPI records (prefetched with :func:`kpi_queryset`) on ``on_date``.

    A KPI whose data the rules cannot read does not stop the others: its status is ``no_target`` and
    its forecast ``no_target``, each saying why its status cannot be computed.
    """
    records = list(records)
    readable = [readable_kpi(r) for r in records]
    plains = [p for p, _problem in readable]
    statuses = status_many(plains, on_date)
    forecasts = forecast_many(plains, on_date)
    reports = []
    for r, (p, problem), s, f in zip(records, readable, statuses, forecasts):
        if problem is not None:
            s = replace(s, status="no_target", reason=f"No target: the KPI's data cannot be used ({problem}), "
                                                      "so its status cannot be computed.")
            f = replace(f, outcome="no_target", problem=str(problem))
        reports.append(KpiReport(r, p, s, f, problem))
    return reports


def realisation(city: City, on_date: date | None = None, *, published_only: bool = False) -> Realisation:
    """Every KPI's status and forecast and every node's status for ``city`` on ``on_date`` (default: today).

    ``published_only`` leaves unpublished KPIs out entirely (the public face, C2.f):
    they neither show, nor colour the map, nor count in its line-of-sight findings.
    """
    on_date = on_date or timezone.localdate()
    reports = kpi_reports(kpi_queryset(city, published_only), on_date)
    bm = load_map(city, published_only)
    by_node: dict[str, list[KpiReport]] = {}
    for r in reports:
        if r.record.node_id:
            by_node.setdefault(r.record.node.key, []).append(r)
    nodes: dict[str, NodeStatus] = {}
    for n in bm.nodes:
        measured = by_node.get(n.key, [])
        nodes[n.key] = NodeStatus(n.key, n.kind, n.title, worst(r.status.status for r in measured),
                                  [r.key for r in measured])
    causes = [k for k, n in nodes.items() if n.own == "off_track"]
    for key, path in bmap.propagate_status(bm, causes).items():
        nodes[key].risk = path
    return Realisation(city, on_date, reports, nodes, bm)


def node_owners(city: City) -> dict[str, Any]:
    """Benefit owner of each node: its own, or for a node without one, the owners of the end outcomes it feeds.

    Returns ``{node_key: [Person, ...]}`` (people sorted by name, no duplicates).
    """
    bm = load_map(city)
    own = {n.key: n.benefit_owner for n in BenefitNode.objects.filter(city=city).select_related("benefit_owner")}
    result: dict[str, Any] = {}
    for key, person in own.items():
        if person is not None:
            result[key] = [person]
            continue
        found = {own[d].pk: own[d] for d in bmap.downstream(bm, key)
                 if own.get(d) is not None and bm.node(d).kind == bmap.END_OUTCOME}
        result[key] = sorted(found.values(), key=lambda p: p.name)
    return result


def format_status(result: Realisation) -> str:
    """The realisation as text for the terminal: counts, then KPIs worst first, then the outcomes to escalate."""
    counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in result.counts().items() if n)
    lines = [f"KPIs of {result.city.name} on {result.on_date.isoformat()}: {counts or 'none'}"]
    for r in sorted(result.kpis, key=lambda r: (SEVERITY.index(r.status.status), r.key)):
        lines.append(f"  [{r.status.label}] {r.key}: {r.status.reason}")
        if r.forecast.outcome in ("meets", "misses"):
            lines.append(f"      {r.forecast.message}")
    escalations = result.escalations()
    lines.append(f"\noutcomes off track or at risk (C3.d): {len(escalations)}")
    for n in escalations:
        why = (f"its own KPIs ({', '.join(n.kpis)})" if n.cause == "own"
               else "upstream: " + " -> ".join(n.risk.path))
        lines.append(f"  [{n.status.replace('_', ' ')}] {n.key}: {why}")
    return "\n".join(lines)


def cli_status(args) -> int:
    """``cityline benefits status [--city KEY] [--on DATE] [--json]``."""
    import json
    import sys

    from .services import resolve_city

    try:
        city = resolve_city(args.city)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = realisation(city, args.on)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        print(format_status(result))
    return 0
