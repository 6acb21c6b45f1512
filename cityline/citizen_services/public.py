"""Public pages of citizen services (B9, B11): the service directory and the channel audit.

One data function per page feeds the HTML page, its ``.json`` download, its ``.csv``
tables and the static export (``cityline.portal.registry``). Everything here is the
city's published service information; no person's contact details are shown.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cityline.core.models import City
from cityline.portal import registry
from cityline.strategy.public import provenance

from . import choices
from . import services as views
from .models import Channel, ChannelAudit, ChannelShiftScenario, CustomerSegment, DigitalInclusionAction, Service

# --- the service directory (B9) ------------------------------------------------------------


def directory(city: City) -> dict[str, Any]:
    """Every service with its providers and channels, grouped by customer segment and by life event (B9, B11.a)."""
    services = list(Service.objects.filter(city=city)
                    .prefetch_related("providers", "needs", "offerings__channel").order_by("name"))
    segments = list(CustomerSegment.objects.filter(city=city).prefetch_related("needs", "franchise_teams__services")
                    .order_by("name"))
    channels = list(Channel.objects.filter(city=city).order_by("name"))
    rows = []
    for s in services:
        offers = sorted(s.offerings.all(), key=lambda o: o.channel.name)
        rows.append({
            "key": s.key, "name": s.name, "purpose": s.purpose, "eligibility": s.eligibility or None,
            "url": s.url or None, "one_stop": s.one_stop,
            "providers": sorted(p.name for p in s.providers.all()),
            "needs": sorted(n.key for n in s.needs.all()),
            "life_events": list(s.life_events),
            "channels": [{"key": o.channel.key, "name": o.channel.name, "kind": o.channel.kind,
                          "kind_label": str(o.channel.get_kind_display()), "digital": o.channel.digital,
                          "service_level_standard": o.service_level_standard or None} for o in offers],
            "digital": any(o.channel.digital for o in offers),
        })
    by_key = {r["key"]: r for r in rows}
    infos = [views.audit.ServiceInfo(r["key"], r["name"], (), tuple(r["needs"])) for r in rows]
    segment_rows = []
    for seg in segments:
        in_scope = [s.key for t in seg.franchise_teams.all() for s in t.services.all()]
        keys = views.audit.segment_services([n.key for n in seg.needs.all()], in_scope, infos)
        segment_rows.append({
            "key": seg.key, "name": seg.name, "description": seg.description or None, "size": seg.size,
            "needs": sorted(n.name for n in seg.needs.all()),
            "services": [{"key": k, "name": by_key[k]["name"]} for k in sorted(keys, key=lambda k: by_key[k]["name"])],
        })
    event_rows = []
    for value, label in choices.LifeEvent.choices:
        keys = [r["key"] for r in rows if value in r["life_events"]]
        if keys:
            event_rows.append({"key": value, "name": str(label),
                               "services": [{"key": k, "name": by_key[k]["name"]} for k in keys]})
    return {
        "services": rows,
        "segments": segment_rows,
        "life_events": event_rows,
        "summary": {"services": len(rows), "one_stop": sum(r["one_stop"] for r in rows),
                    "without_digital": sum(not r["digital"] for r in rows), "channels": len(channels)},
        "provenance": provenance(city, [*services, *segments, *channels]),
    }


def directory_rows(data: dict[str, Any]):
    header = ["key", "name", "providers", "channels", "digital", "one_stop", "life_events", "segments"]
    segs: dict[str, list[str]] = {}
    for seg in data["segments"]:
        for item in seg["services"]:
            segs.setdefault(item["key"], []).append(seg["key"])
    rows = [[r["key"], r["name"], "; ".join(r["providers"]), "; ".join(c["key"] for c in r["channels"]),
             r["digital"], r["one_stop"], "; ".join(r["life_events"]), "; ".join(segs.get(r["key"], []))]
            for r in data["services"]]
    return header, rows


# --- the channel audit (B11) -----------------------------------------------------------------


def channel_audit(city: City) -> dict[str, Any]:
    """The channel audit's derived views over the latest four quarters, scenarios and inclusion actions (B11)."""
    summary = views.audit_summary(city)
    scenarios = list(ChannelShiftScenario.objects.filter(city=city)
                     .select_related("service", "from_channel", "to_channel").order_by("name"))
    actions = list(DigitalInclusionAction.objects.filter(city=city).prefetch_related("segments").order_by("name"))
    latest = ChannelAudit.objects.filter(city=city).order_by("-updated_at").first()
    summary["scenarios"] = [{
        "key": s.key, "name": s.name, "service": s.service.name, "from_channel": s.from_channel.name,
        "to_channel": s.to_channel.name, "share_moved": str(s.share_moved), "years": s.years,
        "baseline_year": s.baseline_year, "set_aside": str(s.set_aside),
        "moved_transactions": s.moved_transactions, "annual_saving": str(s.annual_saving),
        "total_saving": str(s.total_saving), "total_set_aside": str(s.total_set_aside),
        "total_net_saving": str(s.total_net_saving),
    } for s in scenarios]
    summary["inclusion_actions"] = [{
        "key": a.key, "name": a.name, "kind": a.kind, "kind_label": str(a.get_kind_display()),
        "status": a.status, "status_label": str(a.get_status_display()), "reach": a.reach, "cost": str(a.cost),
        "segments": sorted(s.name for s in a.segments.all()),
    } for a in actions]
    summary["provenance"] = provenance(city, [*scenarios, *actions, *([latest] if latest else [])])
    return summary


def league_rows(data: dict[str, Any]):
    header = ["rank", "channel", "kind", "digital", "transactions", "total_cost", "unit_cost", "services"]
    return header, [[r["rank"], r["channel"], r["kind"], r["digital"], r["transactions"], r["total_cost"],
                     r["unit_cost"], r["services"]] for r in data["league_table"]]


def service_cost_rows(data: dict[str, Any]):
    header = ["service", "channel", "transactions", "total_cost", "unit_cost", "share"]
    rows = []
    for s in data["cost_per_service"]:
        rows.append([s["service"], "", s["transactions"], s["total_cost"], s["unit_cost"], "100.00"])
        rows += [[s["service"], c["channel"], c["transactions"], c["total_cost"], c["unit_cost"], c["share"]]
                 for c in s["channels"]]
    return header, rows


for _page in [
    registry.DataPage(
        name="services", title=_("Service directory"), order=90, data=directory,
        template="portal/citizen_services/directory.html",
        description=_("Every public service by customer segment and life event, with the channels it is offered on."),
        tables={"": directory_rows},
    ),
    registry.DataPage(
        name="channels", title=_("Channel audit"), order=91, data=channel_audit,
        template="portal/citizen_services/channels.html",
        description=_("What each channel costs per transaction, how well it serves people, and the plan to shift "
                      "to digital without leaving anyone behind."),
        tables={"": league_rows, "services": service_cost_rows},
    ),
]:
    registry.register(_page)
