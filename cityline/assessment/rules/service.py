"""Assessment rules for B8–B11 citizen-centric service management.

B9 and B11 read the service catalogue, the customer segments, the franchise teams and
the channel audit through :mod:`cityline.citizen_services.services` and the derived
views of :mod:`cityline.citizen_services.domain.audit` (silo gaps, services without a
digital channel, channels below the service-level standard, duplicated channel IT,
asset-to-device candidates), so the assessment says what the service pages say.

B8 reads the open data platform (:mod:`cityline.opendata`: the catalogue, licences,
Five-Star ratings, the asset register). B10 (identity and privacy) has no area of its own
in Cityline yet: its rule looks for what evidence there is (building blocks of the
architecture, standards, documents) and can rise no higher than *partly met* on data. A
staff attestation with its evidence document can raise either.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cityline.architecture.models import BuildingBlock, Standard
from cityline.citizen_services import services as cs
from cityline.citizen_services.domain import audit
from cityline.citizen_services.models import (
    Channel,
    ChannelShiftScenario,
    CustomerSegment,
    DigitalInclusionAction,
    FranchiseTeam,
    Service,
    ServiceChannel,
)
from cityline.core.models import Document

from ..registry import Context, Evidence, Result, rule

#: How many records a reason names before "…", and how many evidence links a result carries at most.
SHOWN = 5
MAX_EVIDENCE = 25


def names(records, limit: int = SHOWN) -> str:
    """A short list for a reason: the first ``limit`` names, then "…"."""
    items = [str(r) for r in records]
    return ", ".join(items[:limit]) + (" …" if len(items) > limit else "")


def evidence_of(ctx: Context, records) -> list[Evidence]:
    """Evidence links to the first records; on the public face, records it may not name are left out (C2.f)."""
    return [ctx.evidence(r) for r in [r for r in records if ctx.may_name(r)][:MAX_EVIDENCE]]


def live_blocks(city, kind: str):
    return list(BuildingBlock.objects.filter(city=city, kind=kind).exclude(lifecycle="retired").order_by("key"))


def documents_about(city, *words: str):
    """Documents whose title or summary mentions one of ``words`` (a hint, not proof)."""
    query = Q()
    for w in words:
        query |= Q(title__icontains=w) | Q(summary__icontains=w)
    return list(Document.objects.filter(query, city=city).order_by("key"))


def without_data_area(ctx: Context, found: list, found_reason, missing_reason, next_step) -> Result:
    """Partly met when some evidence exists for an area Cityline does not model yet, else not met."""
    if found:
        return ctx.partly_met(found_reason, next_step, evidence_of(ctx, found))
    return ctx.not_met(missing_reason, next_step)


# --- B8 -----------------------------------------------------------------------------------------


@rule("B8", title=_("City data is open to the community through a platform and the business change around it"),
      thresholds={"b8_min_datasets": 10, "b8_min_publishers": 2, "b8_min_open_share": 0.9,
                  "b8_min_three_star_share": 0.5, "b8_min_share": 0.6},
      attestable=True, effort="high")
def open_data_platform(ctx: Context) -> Result:
    """B8: five tests on the open data platform (cityline.opendata): at least ``b8_min_datasets`` public
    datasets; published by at least ``b8_min_publishers`` organisations (the coalition of data owners); at
    least ``b8_min_open_share`` of them under an open licence; at least ``b8_min_three_star_share`` of them
    rated three stars or more (open formats, the Five-Star scheme); and a prioritised map of the data
    assets (every asset of the register valued for its reuse potential). The privacy gate keeps personal
    data out of every public dataset by construction. Met when all five pass, partly met from
    ``b8_min_share`` of them. Without any public dataset, platforms in the architecture and open-data
    documents are the evidence (partly met at most)."""
    from cityline.opendata.domain.stars import rating
    from cityline.opendata.choices import OPEN_LICENCES
    from cityline.opendata.models import DataAsset, Dataset

    public = list(Dataset.objects.filter(city=ctx.city, public=True, source_kpi__isnull=True)
                  .select_related("publisher").prefetch_related("distributions__versions").order_by("key"))
    if not public:
        platforms = live_blocks(ctx.city, "data_platform")
        docs = documents_about(ctx.city, "open data", "données ouvertes")
        return without_data_area(
            ctx, platforms + docs,
            _("B8: the open data catalogue has no public dataset yet; %(p)d data platform building block(s) "
              "(%(pn)s) and %(d)d open-data document(s) (%(dn)s) are recorded.")
            % {"p": len(platforms), "pn": names(platforms) or "—", "d": len(docs), "dn": names(docs) or "—"},
            _("B8: no public dataset, no data platform building block and no open-data document is recorded."),
            _("Publish the city's first datasets on the open data platform, under an open licence, and record "
              "the platform's business case and policy."))
    publishers = {d.publisher_id for d in public}
    closed = [d for d in public if d.licence not in OPEN_LICENCES]
    low = [d for d in public if rating(d)["stars"] < 3]
    assets = list(DataAsset.objects.filter(city=ctx.city).order_by("key"))
    unvalued = [a for a in assets if a.reuse_potential is None]
    failed = []
    if len(public) < int(ctx.threshold("b8_min_datasets")):
        failed.append(str(_("only %(n)d public datasets") % {"n": len(public)}))
    if len(publishers) < int(ctx.threshold("b8_min_publishers")):
        failed.append(str(_("only %(n)d publishing organisation(s)") % {"n": len(publishers)}))
    if (len(public) - len(closed)) / len(public) < float(ctx.threshold("b8_min_open_share")):
        failed.append(str(_("not under an open licence: %(keys)s") % {"keys": names(d.key for d in closed)}))
    if (len(public) - len(low)) / len(public) < float(ctx.threshold("b8_min_three_star_share")):
        failed.append(str(_("below three stars: %(keys)s") % {"keys": names(d.key for d in low)}))
    if not assets or unvalued:
        failed.append(str(_("no asset register") if not assets else
                          _("assets without a reuse potential: %(keys)s") % {"keys": names(a.key for a in unvalued)}))
    return ctx.share(
        5 - len(failed), 5, minimum=ctx.threshold("b8_min_share"),
        evidence=evidence_of(ctx, list(dict.fromkeys(closed + low)) or public),  # closed ones rate < 3 too
        reason=_("B8: %(n)d public datasets from %(p)d organisations, %(o)d under an open licence and %(t)d rated "
                 "three stars or more; %(a)d assets in the register. %(passed)d of 5 tests pass%(gaps)s.")
        % {"n": len(public), "p": len(publishers), "o": len(public) - len(closed), "t": len(public) - len(low),
           "a": len(assets), "passed": 5 - len(failed), "gaps": (": " + "; ".join(failed)) if failed else ""},
        next_step=_("Bring more data owners and datasets onto the platform, under open licences and in open "
                    "formats, and value every asset of the register for its reuse potential."))


# --- B9 -----------------------------------------------------------------------------------------


@rule("B9.a", title=_("Services have one front door, several channels and are built around user needs"),
      thresholds={"b9a_min_share": 0.5, "b9a_min_channels": 2}, effort="high")
def one_stop_services(ctx: Context) -> Result:
    """B9.a: a service counts when it is one-stop, meets a recorded user need and is offered on at least
    ``b9a_min_channels`` channels, one of them digital (services without a digital channel come from the audit)."""
    services = list(Service.objects.filter(city=ctx.city).prefetch_related("needs", "offerings").order_by("key"))
    if not services:
        return ctx.not_met(_("B9.a: the service catalogue is empty."),
                           _("Record the city's services with the user needs they meet and their channels."))
    minimum = int(ctx.threshold("b9a_min_channels"))
    no_digital = set(audit.services_without_digital(cs.service_infos(ctx.city), cs.offerings(ctx.city),
                                                    cs.channel_infos(ctx.city)))
    not_one_stop = [s for s in services if not s.one_stop]
    no_need = [s for s in services if not s.needs.all()]
    few = [s for s in services if len(s.offerings.all()) < minimum or s.key in no_digital]
    short = [s for s in services if s in not_one_stop or s in no_need or s in few]
    return ctx.share(
        len(services) - len(short), len(services), minimum=ctx.threshold("b9a_min_share"),
        evidence=evidence_of(ctx, short or services),
        reason=_("B9.a: %(ok)d of %(n)d services are one-stop, meet a user need and are offered on %(min)d or more "
                 "channels including a digital one; %(a)d are not one-stop, %(b)d meet no recorded need, %(c)d "
                 "have too few channels or no digital one (%(names)s).")
        % {"ok": len(services) - len(short), "n": len(services), "min": minimum, "a": len(not_one_stop),
           "b": len(no_need), "c": len(few), "names": names(short) or "—"},
        next_step=_("Give these services a single front door, link them to the user needs they meet and offer "
                    "them on a digital channel as well."))


@rule("B9.b", title=_("The city sees each customer segment whole, across organisations"),
      thresholds={"b9b_min_share": 0.5}, effort="high")
def segment_view(ctx: Context) -> Result:
    """B9.b: a segment counts when it has needs, services meet them and no need sends people to two or more
    organisations without a one-stop service (the silo gaps of the segment view)."""
    segments = list(CustomerSegment.objects.filter(city=ctx.city).prefetch_related("needs", "franchise_teams__services")
                    .order_by("key"))
    if not segments:
        return ctx.not_met(_("B9.b: no customer segment is recorded."),
                           _("Define the city's customer segments (parents, commuters, disabled people …) and "
                             "their needs."))
    infos = cs.service_infos(ctx.city)
    short, gaps = [], 0
    for seg in segments:
        needs = [n.key for n in seg.needs.all()]
        scope = [s.key for t in seg.franchise_teams.all() for s in t.services.all()]
        served = audit.segment_services(needs, scope, infos)
        silo = audit.silo_gaps(needs, infos)
        gaps += len(silo)
        if not needs or not served or silo:
            short.append(seg)
    return ctx.share(
        len(segments) - len(short), len(segments), minimum=ctx.threshold("b9b_min_share"),
        evidence=evidence_of(ctx, short or segments),
        reason=_("B9.b: %(ok)d of %(n)d customer segments have needs met by services without silo gaps; %(gaps)d "
                 "need(s) still send people to several organisations (segments short: %(names)s).")
        % {"ok": len(segments) - len(short), "n": len(segments), "gaps": gaps, "names": names(short) or "—"},
        next_step=_("Record each segment's needs and the services meeting them, and close the silo gaps with a "
                    "one-stop service."))


@rule("B9.c", title=_("Cross-city franchise teams serve each customer segment and measure their impact"),
      thresholds={"b9c_min_share": 0.5})
def franchise_teams(ctx: Context) -> Result:
    """B9.c: a segment counts when a franchise team with a lead, two or more member organisations and
    performance measures or KPIs looks after it."""
    segments = list(CustomerSegment.objects.filter(city=ctx.city).order_by("key"))
    if not segments:
        return ctx.not_met(_("B9.c: no customer segment is recorded, so no franchise team can serve one."),
                           _("Define the customer segments, then a cross-city franchise team for each."))
    teams = list(FranchiseTeam.objects.filter(city=ctx.city).prefetch_related("members", "kpis").order_by("key"))
    good = {t.segment_id for t in teams
            if t.lead_id and len(t.members.all()) >= 2 and (t.kpis.all() or t.performance_measures.strip())}
    short = [s for s in segments if s.pk not in good]
    return ctx.share(
        len(segments) - len(short), len(segments), minimum=ctx.threshold("b9c_min_share"),
        evidence=evidence_of(ctx, short or teams),
        reason=_("B9.c: %(ok)d of %(n)d customer segments have a franchise team with a lead, two or more member "
                 "organisations and performance measures; not yet: %(names)s.")
        % {"ok": len(segments) - len(short), "n": len(segments), "names": names(short) or "—"},
        next_step=_("Set up a cross-city franchise team for these segments, name its lead and member "
                    "organisations, and give it KPIs."))


# --- B10 ----------------------------------------------------------------------------------------

IDENTITY_STANDARDS = ("openid", "oauth", "saml", "eidas", "fido", "verifiable credential")


@rule("B10", title=_("Identity is federated and people control their own data"), attestable=True, effort="high")
def identity_and_privacy(ctx: Context) -> Result:
    """B10: Cityline has no identity area yet; identity building blocks, identity standards and privacy
    documents are the evidence it can find."""
    blocks = live_blocks(ctx.city, "identity")
    query = Q()
    for word in IDENTITY_STANDARDS:
        query |= Q(title__icontains=word) | Q(identifier__icontains=word)
    standards = list(Standard.objects.filter(query, city=ctx.city).exclude(status="retired").order_by("key"))
    docs = documents_about(ctx.city, "privacy", "identity", "vie privée", "identité")
    return without_data_area(
        ctx, blocks + standards + docs,
        _("B10: %(b)d identity building block(s) (%(bn)s), %(s)d identity standard(s) (%(sn)s) and %(d)d privacy "
          "or identity document(s) are recorded, but Cityline cannot yet show the trust federation or that "
          "people control their own data.")
        % {"b": len(blocks), "bn": names(blocks) or "—", "s": len(standards), "sn": names(standards) or "—",
           "d": len(docs)},
        _("B10: no identity building block, identity standard (such as OpenID Connect) or privacy document is "
          "recorded."),
        _("Record the identity service as a building block with the standards it uses and the privacy policy; "
          "attest the trust federation and citizens' control of their data with evidence."))


# --- B11 ----------------------------------------------------------------------------------------


def quarter_end(year: int, quarter: int) -> date:
    return date(year + quarter // 4, quarter % 4 * 3 + 1, 1) - timedelta(days=1)


@rule("B11.a", title=_("Every service's channels are audited for cost and service level"),
      thresholds={"b11a_min_share": 0.5, "b11a_max_age_days": 365})
def channel_audit(ctx: Context) -> Result:
    """B11.a: a service counts when each of its channels has a service-level standard and, in the latest four
    quarters of the audit, its cost and the share of transactions that met the standard. The audit is stale
    when its latest quarter ended more than ``b11a_max_age_days`` ago; channels below standard and duplicated
    channel IT (the pitfalls B11 names) keep it from being met."""
    offers = list(ServiceChannel.objects.filter(city=ctx.city).select_related("service", "channel"))
    if not offers:
        return ctx.not_met(_("B11.a: no service is recorded on any channel."),
                           _("Record which channels each service is offered on, with the service level promised."))
    rows = cs.audit_rows(ctx.city)
    if not rows:
        return ctx.not_met(_("B11.a: %(n)d service channels are recorded but the channel audit is empty.")
                           % {"n": len(offers)},
                           _("Audit each service's channels: transactions, cost and service level per quarter."))
    window = audit.window(rows)
    latest = max(window, key=lambda r: r.index)
    age = (ctx.on_date - quarter_end(latest.year, latest.quarter)).days
    covered = {(r.service, r.channel) for r in window if r.service_level_met is not None}
    services: dict[str, list] = {}
    for o in offers:
        services.setdefault(o.service.key, []).append(o)
    short = sorted({o.service for o in offers
                    if (o.service.key, o.channel.key) not in covered or not o.service_level_standard.strip()},
                   key=lambda s: s.key)
    below = audit.below_standard(window, cs.threshold(ctx.city))
    duplicated = audit.duplicated_it(cs.offerings(ctx.city))
    ok = len(services) - len(short)
    reason = (_("B11.a: %(ok)d of %(n)d services have every channel audited with cost, service-level standard and "
                "level met (%(period)s, latest quarter ended %(age)d days ago); short: %(names)s. Pitfalls: "
                "%(below)d channel(s) below the service-level standard, %(dup)d service(s) on duplicated channel "
                "IT.")
              % {"ok": ok, "n": len(services), "period": audit.period_label(window), "age": age,
                 "names": names(short) or "—", "below": len(below), "dup": len(duplicated)})
    next_step = _("Audit the missing channels, state their service-level standard, and fix the channels below "
                  "standard and the duplicated systems.")
    evidence = evidence_of(ctx, short or [o.service for o in offers])
    if age > int(ctx.threshold("b11a_max_age_days")):
        return ctx.not_met(reason, _("Bring the channel audit up to date: its latest quarter is too old."), evidence)
    if not short and (below or duplicated):
        return ctx.partly_met(reason, next_step, evidence, share=1.0)
    return ctx.share(ok, len(services), minimum=ctx.threshold("b11a_min_share"), reason=reason,
                     next_step=next_step, evidence=evidence)


@rule("B11.b.1", title=_("The channel roadmap starts from what citizens need and how they behave"),
      thresholds={"b11b1_min_share": 0.5})
def roadmap_on_needs(ctx: Context) -> Result:
    """B11.b.1: the channel roadmap is the set of channel-shift scenarios; it counts as centred on citizens when
    its services meet recorded user needs and the segments say where their insight comes from."""
    scenarios = list(ChannelShiftScenario.objects.filter(city=ctx.city).select_related("service")
                     .prefetch_related("service__needs").order_by("key"))
    if not scenarios:
        return ctx.not_met(_("B11.b.1: there is no channel-shift scenario, so no channel roadmap."),
                           _("Plan the channel shifts, service by service, from the channel audit and user needs."))
    segments = list(CustomerSegment.objects.filter(city=ctx.city).order_by("key"))
    blind = [s for s in segments if not s.insight_sources.strip()]
    needless = [s for s in scenarios if not s.service.needs.all()]
    total = len(segments) + len(scenarios)
    short = needless + blind
    return ctx.share(
        total - len(short), total, minimum=ctx.threshold("b11b1_min_share"),
        evidence=evidence_of(ctx, short or scenarios),
        reason=_("B11.b.1: %(s)d channel-shift scenario(s); %(a)d move a service that meets no recorded user need, "
                 "%(b)d of %(seg)d segments record no source of customer insight (%(names)s).")
        % {"s": len(scenarios), "a": len(needless), "b": len(blind), "seg": len(segments),
           "names": names(short) or "—"},
        next_step=_("Link the services to the user needs they meet and record where the insight on each segment "
                    "comes from (surveys, journeys, complaints, data)."))


@rule("B11.b.2", title=_("Services that a connected asset could make unnecessary are found and planned"),
      thresholds={"b11b2_min_share": 0.5}, effort="high")
def asset_to_device(ctx: Context) -> Result:
    """B11.b.2: a candidate service counts when it is already offered on an asset-to-device channel or a
    channel-shift scenario moves it onto one."""
    rows = audit.window(cs.audit_rows(ctx.city))
    candidates = audit.device_candidates(cs.service_infos(ctx.city), rows, cs.channel_infos(ctx.city))
    if not candidates:
        return ctx.not_met(_("B11.b.2: no service is flagged as a candidate for a direct asset-to-device "
                             "connection."),
                           _("Review the catalogue for services a sensor or connected asset could replace, and "
                             "flag them."))
    keys = [c.service for c in candidates]
    device = set(Channel.objects.filter(city=ctx.city, kind="asset_to_device").values_list("pk", flat=True))
    planned = set(ServiceChannel.objects.filter(city=ctx.city, channel__in=device)
                  .values_list("service__key", flat=True))
    planned |= set(ChannelShiftScenario.objects.filter(city=ctx.city, to_channel__in=device)
                   .values_list("service__key", flat=True))
    open_ = [c for c in candidates if c.service not in planned]
    records = {s.key: s for s in Service.objects.filter(city=ctx.city, key__in=keys)}
    return ctx.share(
        len(candidates) - len(open_), len(candidates), minimum=ctx.threshold("b11b2_min_share"),
        evidence=evidence_of(ctx, [records[c.service] for c in (open_ or candidates)]),
        reason=_("B11.b.2: %(ok)d of %(n)d asset-to-device candidates are on a connected-asset channel or planned "
                 "onto one; not yet: %(names)s (%(t)d transactions a year in the audit window).")
        % {"ok": len(candidates) - len(open_), "n": len(candidates),
           "names": names(records[c.service] for c in open_) or "—", "t": sum(c.transactions for c in open_)},
        next_step=_("Plan a channel shift to a direct asset-to-device connection for these services."))


@rule("B11.b.3", title=_("Excluded groups are brought into digital services, funded by the savings"),
      thresholds={"b11b3_min_share": 0.5})
def digital_inclusion(ctx: Context) -> Result:
    """B11.b.3: a segment counts when a live digital-inclusion action (not stopped) serves it; met also needs
    some action funded by channel-shift savings (a scenario's set-aside)."""
    segments = list(CustomerSegment.objects.filter(city=ctx.city).order_by("key"))
    if not segments:
        return ctx.not_met(_("B11.b.3: no customer segment is recorded, so no excluded group is identified."),
                           _("Record the segments at risk of digital exclusion and the help offered to them."))
    actions_ = list(DigitalInclusionAction.objects.filter(city=ctx.city).exclude(status="stopped")
                    .prefetch_related("segments").order_by("key"))
    served = {s.pk for a in actions_ for s in a.segments.all()}
    short = [s for s in segments if s.pk not in served]
    funded = [a for a in actions_ if a.funded_by_id]
    reason = (_("B11.b.3: %(ok)d of %(n)d segments are served by a live digital-inclusion action; %(f)d action(s) "
                "are funded from channel-shift savings; not served: %(names)s.")
              % {"ok": len(segments) - len(short), "n": len(segments), "f": len(funded),
                 "names": names(short) or "—"})
    evidence = evidence_of(ctx, short or actions_)
    if not short and not funded:
        return ctx.partly_met(reason, _("Set aside part of the channel-shift savings to fund assisted digital "
                                        "help, and link the action to its scenario."), evidence, share=1.0)
    return ctx.share(len(segments) - len(short), len(segments), minimum=ctx.threshold("b11b3_min_share"),
                     reason=reason, evidence=evidence,
                     next_step=_("Offer assisted digital help, training or access points to these segments."))
