"""Queries and computations over stored citizen-service records, feeding the domain rules (B9, B11)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils.translation import gettext as _

from .domain import audit, shift


def _year_totals(rows) -> tuple[int, Decimal]:
    agg = rows.aggregate(t=Sum("transactions"), c=Sum("total_cost"))
    return int(agg["t"] or 0), Decimal(agg["c"] or 0)


def compute_scenario(scenario) -> None:
    """Fill a scenario's saved results from its inputs and the audit of its baseline year (B11.b).

    Raises ValidationError naming the input when the audit holds no baseline.
    """
    from .models import ChannelAudit

    rows = ChannelAudit.objects.filter(city_id=scenario.city_id, year=scenario.baseline_year)
    t_from, c_from = _year_totals(rows.filter(service_id=scenario.service_id, channel_id=scenario.from_channel_id))
    if t_from == 0:
        raise ValidationError({"baseline_year": _(
            "the channel audit has no transactions of this service on the from channel in %(year)s"
        ) % {"year": scenario.baseline_year}})
    u_from = scenario.from_unit_cost
    if u_from is None:
        u_from = audit.unit_cost(c_from, t_from)
    u_to = scenario.to_unit_cost
    if u_to is None:
        t_to, c_to = _year_totals(rows.filter(service_id=scenario.service_id, channel_id=scenario.to_channel_id))
        if t_to == 0:
            t_to, c_to = _year_totals(rows.filter(channel_id=scenario.to_channel_id))
        if t_to == 0:
            raise ValidationError({"to_unit_cost": _(
                "the channel audit has no transactions on the to channel in %(year)s; give its unit cost"
            ) % {"year": scenario.baseline_year}})
        u_to = audit.unit_cost(c_to, t_to)
    try:
        result = shift.calculate(t_from, u_from, u_to, scenario.share_moved, scenario.years,
                                 scenario.set_aside, start_year=scenario.baseline_year + 1)
    except shift.ShiftError as exc:
        raise ValidationError({exc.field if hasattr(scenario, exc.field) else "__all__": exc.message}) from exc
    scenario.baseline_transactions = result.baseline_transactions
    scenario.used_from_unit_cost = result.from_unit_cost
    scenario.used_to_unit_cost = result.to_unit_cost
    scenario.moved_transactions = result.moved_transactions
    scenario.annual_saving = result.annual_saving
    scenario.total_saving = result.total_saving
    scenario.total_set_aside = result.total_set_aside
    scenario.total_net_saving = result.total_net_saving
    scenario.yearly = [y.as_dict() for y in result.years]


# --- plain data for the domain rules ----------------------------------------------------------


def audit_rows(city) -> list[audit.AuditRow]:
    from .models import ChannelAudit

    return [
        audit.AuditRow(r["service__key"], r["channel__key"], r["year"], r["quarter"], r["transactions"],
                       r["total_cost"], r["completion_rate"], r["satisfaction"], r["service_level_met"])
        for r in ChannelAudit.objects.filter(city=city).values(
            "service__key", "channel__key", "year", "quarter", "transactions", "total_cost", "completion_rate",
            "satisfaction", "service_level_met")
    ]


def channel_infos(city) -> list[audit.ChannelInfo]:
    from .models import Channel

    return [audit.ChannelInfo(c.key, c.name, c.kind, c.it_system) for c in Channel.objects.filter(city=city)]


def offerings(city) -> list[audit.Offering]:
    from .models import ServiceChannel

    return [audit.Offering(o.service.key, o.channel.key, o.system)
            for o in ServiceChannel.objects.filter(city=city).select_related("service", "channel")]


def service_infos(city) -> list[audit.ServiceInfo]:
    from .models import Service

    out = []
    for s in Service.objects.filter(city=city).prefetch_related("providers", "needs"):
        out.append(audit.ServiceInfo(s.key, s.name, tuple(sorted(p.key for p in s.providers.all())),
                                     tuple(sorted(n.key for n in s.needs.all())), s.one_stop, s.device_candidate))
    return out


def threshold(city) -> Decimal:
    """The city's service-level threshold, or the documented default (B11.a)."""
    from .domain.channels import DEFAULT_SERVICE_LEVEL_THRESHOLD
    from .models import ServiceSettings

    found = ServiceSettings.objects.filter(city=city).values_list("service_level_threshold", flat=True).first()
    return found if found is not None else DEFAULT_SERVICE_LEVEL_THRESHOLD


def _money(value) -> str | None:
    return None if value is None else str(value)


def audit_summary(city, year: int | None = None) -> dict:
    """Every derived view of the channel audit for one city (B11.a, B11.b.2), as plain JSON-ready data.

    ``year`` picks a calendar year; without it, the latest four quarters in the audit.
    """
    all_rows = audit_rows(city)
    rows = audit.window(all_rows, year)
    chans = channel_infos(city)
    names = {c.key: c.name for c in chans}
    svcs = service_infos(city)
    snames = {s.key: s.name for s in svcs}
    offs = offerings(city)
    limit = threshold(city)
    return {
        "city": city.key,
        "year": year,
        "period": audit.period_label(rows),
        "years": sorted({r.year for r in all_rows}),
        "service_level_threshold": str(limit),
        "cost_per_service": [
            {"service": s.service, "name": snames.get(s.service, s.service), "transactions": s.transactions,
             "total_cost": str(s.total_cost), "unit_cost": _money(s.unit_cost),
             "channels": [{"channel": c.channel, "name": names.get(c.channel, c.channel),
                           "transactions": c.transactions, "total_cost": str(c.total_cost),
                           "unit_cost": _money(c.unit_cost), "share": str(c.share)} for c in s.channels]}
            for s in audit.cost_per_service(rows)
        ],
        "league_table": [
            {"rank": r.rank, "channel": r.channel, "name": names.get(r.channel, r.channel), "kind": r.kind,
             "digital": r.digital, "transactions": r.transactions, "total_cost": str(r.total_cost),
             "unit_cost": _money(r.unit_cost), "services": r.services}
            for r in audit.league_table(rows, chans)
        ],
        "services_without_digital": [
            {"service": k, "name": snames.get(k, k)} for k in audit.services_without_digital(svcs, offs, chans)
        ],
        "below_standard": [
            {"channel": b.channel, "name": names.get(b.channel, b.channel),
             "service_level_met": str(b.service_level_met), "shortfall": str(b.shortfall),
             "services": [{"service": s, "name": snames.get(s, s), "service_level_met": str(level)}
                          for s, level in b.services]}
            for b in audit.below_standard(rows, limit)
        ],
        "duplicated_it": [
            {"service": d.service, "name": snames.get(d.service, d.service),
             "systems": [{"system": system, "channels": list(channels)} for system, channels in d.systems]}
            for d in audit.duplicated_it(offs)
        ],
        "device_candidates": [
            {"service": d.service, "name": snames.get(d.service, d.service), "transactions": d.transactions,
             "total_cost": str(d.total_cost), "channels": list(d.channels)}
            for d in audit.device_candidates(svcs, rows, chans)
        ],
    }


def segment_view(city, segment) -> dict:
    """The whole-of-city view of one customer segment (B9): every service, channel, provider and KPI that touches
    it, its franchise teams and inclusion actions, and its silo gaps."""
    from .models import Service

    teams = list(segment.franchise_teams.all().prefetch_related("services", "members", "kpis").select_related("lead"))
    needs = {n.key: n.name for n in segment.needs.all()}
    svcs = service_infos(city)
    keys = audit.segment_services(needs, [s.key for t in teams for s in t.services.all()], svcs)
    services = (Service.objects.filter(city=city, key__in=keys)
                .prefetch_related("providers", "needs", "offerings__channel", "benefit_nodes__kpis"))
    # only published KPIs: the view is public (C2.g)
    kpis = {k.key: k.title for t in teams for k in t.kpis.all() if k.published}
    service_rows = []
    providers: dict[str, str] = {}
    channels: dict[str, str] = {}
    for s in services:
        for p in s.providers.all():
            providers[p.key] = p.name
        offers = sorted(s.offerings.all(), key=lambda o: o.channel.key)
        for o in offers:
            channels[o.channel.key] = o.channel.name
        for node in s.benefit_nodes.all():
            for k in node.kpis.all():
                if k.published:
                    kpis[k.key] = k.title
        service_rows.append({
            "service": s.key, "name": s.name, "one_stop": s.one_stop,
            "providers": sorted(p.key for p in s.providers.all()),
            "needs": sorted(n.key for n in s.needs.all() if n.key in needs),
            "channels": [o.channel.key for o in offers],
            "life_events": list(s.life_events),
        })
    service_rows.sort(key=lambda r: r["service"])
    gaps = audit.silo_gaps(needs, svcs)
    return {
        "city": city.key,
        "segment": segment.key,
        "name": segment.name,
        "size": segment.size,
        "needs": [{"need": k, "name": needs[k]} for k in sorted(needs)],
        "franchise_teams": [{"team": t.key, "name": t.name, "lead": t.lead.key if t.lead_id else None,
                             "members": sorted(o.key for o in t.members.all())} for t in teams],
        "services": service_rows,
        "providers": [{"organisation": k, "name": providers[k]} for k in sorted(providers)],
        "channels": [{"channel": k, "name": channels[k]} for k in sorted(channels)],
        "kpis": [{"kpi": k, "title": kpis[k]} for k in sorted(kpis)],
        "inclusion_actions": sorted(a.key for a in segment.inclusion_actions.all()),
        "silo_gaps": [{"need": g.need, "name": needs.get(g.need, g.need), "organisations": list(g.organisations),
                       "services": list(g.services)} for g in gaps],
    }


def calculate_shift(city, *, service, from_channel, to_channel, share_moved, baseline_year, years=1,
                    set_aside=Decimal("0"), from_unit_cost=None, to_unit_cost=None) -> dict:
    """Run the channel-shift calculator on unsaved inputs (keys of the city's records); nothing is written.

    Raises ValidationError naming the input, as saving a scenario would.
    """
    from .models import Channel, ChannelShiftScenario, Service

    problems = {}
    found = {}
    for name, model, key in (("service", Service, service), ("from_channel", Channel, from_channel),
                             ("to_channel", Channel, to_channel)):
        found[name] = model.objects.filter(city=city, key=key).first()
        if found[name] is None:
            problems[name] = _("no record with key %(key)s in this city") % {"key": key}
    if problems:
        raise ValidationError(problems)
    scenario = ChannelShiftScenario(city=city, key="calculator", name="calculator", share_moved=share_moved,
                                    years=years, baseline_year=baseline_year, set_aside=set_aside,
                                    from_unit_cost=from_unit_cost, to_unit_cost=to_unit_cost, **found)
    scenario.full_clean(exclude=["key"], validate_unique=False)
    return scenario_result(scenario)


def scenario_result(scenario) -> dict:
    """A scenario's inputs and saved results as plain data."""
    return {
        "service": scenario.service.key, "from_channel": scenario.from_channel.key,
        "to_channel": scenario.to_channel.key, "share_moved": str(scenario.share_moved), "years": scenario.years,
        "baseline_year": scenario.baseline_year, "set_aside": str(scenario.set_aside),
        "baseline_transactions": scenario.baseline_transactions,
        "from_unit_cost": str(scenario.used_from_unit_cost), "to_unit_cost": str(scenario.used_to_unit_cost),
        "unit_saving": str(scenario.used_from_unit_cost - scenario.used_to_unit_cost),
        "moved_transactions": scenario.moved_transactions, "annual_saving": str(scenario.annual_saving),
        "yearly": scenario.yearly, "total_saving": str(scenario.total_saving),
        "total_set_aside": str(scenario.total_set_aside), "total_net_saving": str(scenario.total_net_saving),
    }
