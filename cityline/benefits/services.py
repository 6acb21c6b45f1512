"""The benefit map of a stored city as the plain data the line-of-sight analysis takes.

The checks, roll-ups and navigation live in :mod:`cityline.benefits.domain.benefit_map`;
this module only reads the records (nodes, links, owners, KPIs) and hands them over.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from cityline.core.models import City

from .domain import benefit_map as bmap
from .models import BenefitLink, BenefitNode, Kpi


def load_map(city: City, published_only: bool = False) -> bmap.BenefitMap:
    """The city's benefit map, with which nodes have an owner and which are measured by which kind of KPI.

    ``published_only`` counts published KPIs only (the public face, C2.f): a node measured only by an
    unpublished KPI is then a node without an indicator, as the public sees it.
    """
    measuring = Kpi.objects.filter(published=True) if published_only else Kpi.objects.all()

    def kpis(kind: str):
        return Exists(measuring.filter(node=OuterRef("pk"), kind=kind))

    rows = (
        BenefitNode.objects.filter(city=city)
        .annotate(outcome_kpi=kpis("outcome"), leading_kpi=kpis("leading"))
        .order_by("key")
    )
    nodes = [
        bmap.Node(
            key=n.key, kind=n.kind, title=n.title, subtype=n.output_type or None,
            governance_change=n.governance_change or None, purpose=n.purpose or None, cost=n.cost,
            has_owner=n.benefit_owner_id is not None, has_outcome_kpi=n.outcome_kpi, has_leading_kpi=n.leading_kpi,
        )
        for n in rows
    ]
    links = [
        bmap.Link(source=s, target=t, weight=w, evidence=e)
        for s, t, w, e in BenefitLink.objects.filter(city=city)
        .order_by("source__key", "target__key")
        .values_list("source__key", "target__key", "weight", "evidence")
    ]
    return bmap.BenefitMap(nodes, links)


def check_city(city: City, published_only: bool = False) -> bmap.Report:
    """Line-of-sight findings and money roll-ups for one city (C1, C2.c, C3.a); ``published_only`` as for
    :func:`load_map` (what someone who is not staff of the city may know)."""
    return bmap.analyse(load_map(city, published_only))


def line_of_sight(city: City, key: str) -> dict[str, list[str]]:
    """Everything upstream and downstream of one node, as sorted keys."""
    bm = load_map(city)
    return {"upstream": sorted(bmap.upstream(bm, key)), "downstream": sorted(bmap.downstream(bm, key))}


def format_report(report: bmap.Report, city: City) -> str:
    """The report as text for the terminal: findings grouped by check, then where the money goes."""
    lines = [f"Benefit map of {city.name}: " + ", ".join(f"{n} {k.replace('_', ' ')}"
                                                      for k, n in report.node_counts.items()) +
             f", {report.link_count} links"]
    counts = report.counts()
    lines.append("findings: " + ", ".join(f"{n} {sev}" for sev, n in counts.items()))
    for check, findings in report.by_check().items():
        first = findings[0]
        lines.append(f"\n[{first.recommendation}] {check} ({first.severity}, {len(findings)})")
        lines += [f"  - {f.message}" for f in findings]
    if report.rollup is not None:
        r = report.rollup
        lines.append(f"\nmoney: {r.total_investment:,.2f} invested")
        purposes = sorted(r.purposes.items(), key=lambda kv: -kv[1])
        # rounded to cents together, so that the lines add up to the total
        *cents, stranded = bmap.rounded_shares(
            [a for _k, a in purposes] + list(r.retained.values()) + [r.stranded_total], r.total_investment)
        for (key, _a), amount in zip(purposes, cents):
            lines.append(f"  reaches purpose {key}: {amount:,.2f}")
        for key, amount in zip(r.retained, cents[len(purposes):]):
            lines.append(f"  retained at end outcome {key} (no link on to a purpose): {amount:,.2f}")
        if r.stranded_total:
            lines.append(f"  stranded before any outcome: {stranded:,.2f}")
    return "\n".join(lines)


def resolve_city(key: str | None) -> City:
    """The city a command is about: ``key``, or the only city when the instance hosts one."""
    if key:
        city = City.objects.filter(key=key).first()
        if city is None:
            known = ", ".join(City.objects.order_by("key").values_list("key", flat=True)) or "none"
            raise LookupError(f"no city with key {key!r} (cities here: {known})")
        return city
    cities = list(City.objects.order_by("key")[:2])
    if len(cities) != 1:
        raise LookupError("give --city KEY (the instance hosts " + ("no city" if not cities else "several cities") + ")")
    return cities[0]


def cli_check(args) -> int:
    """``cityline benefits check [--city KEY] [--json] [--strict]``: line of sight for one city (C1)."""
    import json
    import sys

    try:
        city = resolve_city(args.city)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = check_city(city)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        print(format_report(report, city))
    if args.strict and report.findings:
        print(f"{len(report.findings)} finding(s); --strict makes that a failure", file=sys.stderr)
        return 1
    return 0


def recordable_kpis(principal, kpis):
    """The KPIs of the queryset ``kpis`` whose measurements ``principal`` may record: a benefit owner those of
    their outcome, a programme administrator every KPI of their city (C3.a). Each KPI is asked of the
    authorisation layer, as saving the measurement is, so the editor offers exactly what it would store."""
    from cityline.accounts import authz

    from .models import Measurement

    if principal.platform_admin:
        return kpis
    allowed = [k.pk for k in kpis.only("pk", "city_id", "node_id")
               if authz.can(principal, "add", Measurement(kpi=k, city_id=k.city_id))]
    return kpis.filter(pk__in=allowed)
