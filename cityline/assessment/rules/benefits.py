"""Assessment rules for C1–C3 benefit realisation.

They reuse what the benefits and delivery areas already compute, so the assessment and
the benefit pages never disagree:

- line of sight (C1), missing indicators (C2.c) and missing owners (C3.a) are the
  findings of :func:`cityline.benefits.services.check_city`, picked by the
  recommendation each check serves;
- baselines (C2.a) and SMART targets (C2.b) are the findings of
  :func:`cityline.benefits.domain.smart.smart_findings`;
- reporting (C2.f) reads each KPI's status from :func:`cityline.benefits.realisation.realisation`;
- the escalation list (C3.d) is :meth:`Realisation.escalations`, with the owners of
  :func:`cityline.benefits.realisation.node_owners`.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cityline.benefits.domain import benefit_map as bmap
from cityline.benefits.domain.smart import ERROR, smart_findings
from cityline.benefits.models import BenefitNode, Kpi
from cityline.benefits.realisation import kpi_queryset, node_owners, readable_kpi, realisation
from cityline.benefits.services import check_city, load_map
from cityline.delivery.models import RealisationPlan
from cityline.risks.models import Risk
from cityline.risks.services import endangered
from cityline.strategy.models import GovernanceBody, Meeting

from ..models import Snapshot
from ..registry import Context, Result, rule
from .service import evidence_of, names

#: Indicator lists that C2.c asks KPIs to align with where possible.
STANDARD_LISTS = ("iso37120_2014", "iso37120_2018", "iso37122", "iso37123")
#: SPDX identifiers of open licences for KPI data (C2.g); a city may give its own list.
OPEN_LICENCES = ("CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-3.0", "CC-BY-SA-3.0", "ODC-By-1.0", "ODbL-1.0",
                 "PDDL-1.0", "OGL-UK-3.0", "etalab-2.0", "DL-DE-BY-2.0", "DL-DE-ZERO-2.0", "NLOD-2.0")
LIVE_RISKS = ("open", "mitigating")


def map_findings(ctx: Context, recommendation: str) -> tuple[bmap.Report, list[bmap.Finding]]:
    report = check_city(ctx.city)
    return report, [f for f in report.findings if f.recommendation == recommendation]


def nodes_named(ctx: Context, keys) -> list[BenefitNode]:
    return list(BenefitNode.objects.filter(city=ctx.city, key__in=set(keys)).order_by("key"))


def kpis(ctx: Context) -> list[Kpi]:
    return list(kpi_queryset(ctx.city))


def unpublished_kpis(n: int) -> str:
    return ngettext("%(n)d KPI that is not published", "%(n)d KPIs that are not published", n) % {"n": n}


def kpi_names(ctx: Context, records, listing=names) -> str:
    """The KPIs for a reason, as ``listing`` lists them (default :func:`.service.names`); on the public face
    the unpublished ones are counted, not named (C2.f: they appear on no public page)."""
    records = list(records)
    shown = [k for k in records if ctx.may_name(k)]
    listed = listing(shown)
    hidden = len(records) - len(shown)
    if not hidden:
        return listed or "—"
    if not listed:
        return unpublished_kpis(hidden)
    return _("%(listed)s and %(hidden)s") % {"listed": listed, "hidden": unpublished_kpis(hidden)}


def no_kpis(ctx: Context, rec: str) -> Result:
    return ctx.not_met(_("%(rec)s: the city has no KPI.") % {"rec": rec},
                       _("Measure the outcomes of the benefit map with KPIs, each with a baseline and targets."))


# --- C1 -----------------------------------------------------------------------------------------


@rule("C1", title=_("A benefit map gives line of sight from investments to the strategic purposes"))
def benefit_map(ctx: Context) -> Result:
    """C1: the map has investments, outputs, end outcomes and purposes; met when the line-of-sight checks
    (C1) find no warning or error (links resting on assumed evidence only are noted, not held against it)."""
    report, found = map_findings(ctx, "C1")
    missing = [kind for kind in (bmap.INVESTMENT, bmap.OUTPUT, bmap.END_OUTCOME, bmap.PURPOSE)
               if not report.node_counts.get(kind)]
    if missing or not report.link_count:
        return ctx.not_met(
            _("C1: the benefit map has %(n)d node(s) and %(l)d link(s); it lacks: %(kinds)s.")
            % {"n": sum(report.node_counts.values()), "l": report.link_count,
               "kinds": ", ".join(k.replace("_", " ") for k in missing) or "links"},
            _("Build the benefit map with the interested parties: investments, outputs, intermediate and end "
              "outcomes and the ISO 37101 purposes, linked by their theory of change."))
    serious = [f for f in found if f.severity != bmap.INFO]
    info = len(found) - len(serious)
    counts: dict[str, int] = {}
    for f in serious:
        counts[f.check] = counts.get(f.check, 0) + 1
    summary = ", ".join(f"{n} {check.replace('_', ' ')}" for check, n in counts.items())
    if not serious:
        return ctx.met(_("C1: %(n)d nodes and %(l)d links give line of sight from every investment to the purposes; "
                         "%(i)d link(s) rest on assumed evidence.")
                       % {"n": sum(report.node_counts.values()), "l": report.link_count, "i": info},
                       next_step=_("Gather evidence for the links whose theory of change is only assumed."))
    return ctx.partly_met(
        _("C1: the line-of-sight checks find %(n)d problem(s): %(summary)s (e.g. %(first)s).")
        % {"n": len(serious), "summary": summary, "first": serious[0].message},
        _("Link every investment through a governance change to an end outcome and a purpose, and gather "
          "evidence for the weakest links."),
        evidence_of(ctx, nodes_named(ctx, (k for f in serious for k in f.nodes))))


# --- C2 -----------------------------------------------------------------------------------------


def smart_share(ctx: Context, rec: str, threshold: str, reason, next_step) -> Result:
    """KPIs without an error finding of ``rec`` among their SMART findings, as a share of all KPIs; a KPI whose
    data the rules cannot read (see :func:`cityline.benefits.realisation.readable_kpi`) falls short."""
    records = kpis(ctx)
    if not records:
        return no_kpis(ctx, rec)

    short, unreadable = [], {}
    for k in records:
        plain, problem = readable_kpi(k)
        if problem is not None:     # data the rules cannot read shows nothing: it falls short, and says why
            unreadable[k.pk] = problem.field
            short.append(k)
        elif any(f.severity == ERROR and f.recommendation == rec for f in smart_findings(plain)):
            short.append(k)

    unreadable_label = _("its data cannot be read")  # outside the f-string: xgettext does not look inside

    def listing(shown) -> str:
        return names(f"{k} ({unreadable_label}: {unreadable[k.pk]})" if k.pk in unreadable else k for k in shown)

    return ctx.share(len(records) - len(short), len(records), minimum=ctx.threshold(threshold),
                     evidence=evidence_of(ctx, short or records), next_step=next_step,
                     reason=reason % {"ok": len(records) - len(short), "n": len(records),
                                      "names": kpi_names(ctx, short, listing)})


@rule("C2.a", title=_("Every targeted benefit has a baseline"), thresholds={"c2a_min_share": 0.5}, effort="low")
def baselines(ctx: Context) -> Result:
    return smart_share(ctx, "C2.a", "c2a_min_share",
                       _("C2.a: %(ok)d of %(n)d KPIs have a baseline value and date; missing: %(names)s."),
                       _("Record the value at the start and the date it was measured for these KPIs."))


@rule("C2.b", title=_("Targets are SMART, with trajectories and milestones"), thresholds={"c2b_min_share": 0.5})
def smart_targets(ctx: Context) -> Result:
    return smart_share(ctx, "C2.b", "c2b_min_share",
                       _("C2.b: %(ok)d of %(n)d KPIs have dated, measurable targets that improve on the baseline; "
                         "not yet: %(names)s."),
                       _("Give these KPIs a number to reach and a date to reach it by, better than the baseline."))


@rule("C2.c", title=_("KPIs cover outcomes and leading indicators, aligned with the ISO city indicators"),
      thresholds={"c2c_min_share": 0.5, "c2c_min_standard_share": 0.25})
def kpi_framework(ctx: Context) -> Result:
    """C2.c: the nodes the map checks for indicators (outcomes need an outcome KPI, investments and outputs a
    leading one) with none missing; met also needs ``c2c_min_standard_share`` of KPIs taken from ISO 37120,
    37122 or 37123."""
    report, found = map_findings(ctx, "C2.c")
    records = kpis(ctx)
    if not records:
        return no_kpis(ctx, "C2.c")
    total = sum(report.node_counts.get(k, 0) for k in (bmap.INVESTMENT, bmap.OUTPUT, bmap.INTERMEDIATE_OUTCOME,
                                                        bmap.END_OUTCOME))
    gaps = nodes_named(ctx, (k for f in found for k in f.nodes))
    aligned = [k for k in records if k.indicator_id and k.indicator.source in STANDARD_LISTS]
    share = len(aligned) / len(records)
    reason = (_("C2.c: %(ok)d of %(n)d investments, outputs and outcomes have the indicator they need; %(a)d of "
                "%(k)d KPIs come from ISO 37120, 37122 or 37123; without an indicator: %(names)s.")
              % {"ok": total - len(gaps), "n": total, "a": len(aligned), "k": len(records),
                 "names": names(gaps) or "—"})
    if not gaps and share < float(ctx.threshold("c2c_min_standard_share")):
        return ctx.partly_met(reason, _("Take KPIs from ISO 37120, 37122 or 37123 where one fits, so they can be "
                                        "compared with other cities."), evidence_of(ctx, records), share=share)
    return ctx.share(total - len(gaps), total, minimum=ctx.threshold("c2c_min_share"), reason=reason,
                     evidence=evidence_of(ctx, gaps or records),
                     next_step=_("Measure each outcome with an outcome KPI and each investment and output with a "
                                 "leading indicator."))


@rule("C2.d", title=_("Each KPI has its suppliers, users, agreed calculation and evaluation method"),
      thresholds={"c2d_min_share": 0.5}, effort="low")
def kpi_definitions(ctx: Context) -> Result:
    records = list(Kpi.objects.filter(city=ctx.city).prefetch_related("suppliers", "users").order_by("key"))
    if not records:
        return no_kpis(ctx, "C2.d")

    def gaps(k) -> list[str]:
        return [label for label, ok in ((str(_("suppliers")), k.suppliers.all()), (str(_("users")), k.users.all()),
                                        (str(_("calculation")), k.calculation.strip()),
                                        (str(_("evaluation method")), k.evaluation_method)) if not ok]

    missing = {k.pk: gaps(k) for k in records}
    short = [k for k in records if missing[k.pk]]

    def listing(shown) -> str:
        return ("; ".join(f"{k.key} ({', '.join(missing[k.pk])})" for k in shown[:5])
                + (" …" if len(shown) > 5 else ""))

    return ctx.share(
        len(records) - len(short), len(records), minimum=ctx.threshold("c2d_min_share"),
        evidence=evidence_of(ctx, short or records),
        reason=_("C2.d: %(ok)d of %(n)d KPIs name who supplies and uses them, how they are calculated and how "
                 "impact is evaluated; missing: %(names)s.")
        % {"ok": len(records) - len(short), "n": len(records), "names": kpi_names(ctx, short, listing)},
        next_step=_("Agree with the interested parties who supplies and who uses each KPI, its calculation and "
                    "its evaluation method."))


def snapshots(city, on_date) -> list[Snapshot]:
    """The city's stored assessment snapshots up to ``on_date``, oldest first."""
    return list(Snapshot.objects.filter(city=city, taken_on__lte=on_date).order_by("taken_on"))


@rule("C2.e", title=_("Maturity is tracked over time with ISO/TS 37107"), attestable=True, effort="low")
def maturity_tracked(ctx: Context) -> Result:
    """C2.e: dated snapshots of this self-assessment are the evidence of maturity tracked over time; whether
    the city uses ISO/TS 37107 itself is for staff to attest."""
    found = snapshots(ctx.city, ctx.on_date)
    next_step = _("Attest the ISO/TS 37107 maturity review with its evidence document.")
    if found:
        return ctx.partly_met(_("C2.e: %(n)d snapshot(s) of this self-assessment are kept (the first on %(first)s), "
                                "so maturity is tracked over time; the use of ISO/TS 37107 itself needs an "
                                "attestation.") % {"n": len(found), "first": found[0].taken_on.isoformat()},
                              next_step, evidence_of(ctx, found[-3:]))
    return ctx.not_met(_("C2.e: no snapshot of the self-assessment is kept, so maturity is not tracked over time."),
                       _("Store assessment snapshots regularly (cityline assess) and attest the ISO/TS 37107 "
                         "maturity review."))


@rule("C2.f", title=_("KPIs are reported in public, at each KPI's own frequency"), thresholds={"c2f_min_share": 0.5},
      effort="low")
def public_reporting(ctx: Context) -> Result:
    """C2.f: a KPI counts when it is published on the dashboard and its data is not overdue or missing."""
    real = realisation(ctx.city, ctx.on_date)
    if not real.kpis:
        return no_kpis(ctx, "C2.f")
    hidden = [r.record for r in real.kpis if not r.record.published]
    stale = [r.record for r in real.kpis if r.record.published and r.status.status in ("data_overdue", "no_data")]
    short = hidden + stale
    n = len(real.kpis)
    return ctx.share(
        n - len(short), n, minimum=ctx.threshold("c2f_min_share"),
        evidence=evidence_of(ctx, short or [r.record for r in real.kpis]),
        reason=_("C2.f: %(ok)d of %(n)d KPIs are on the public dashboard with current data; %(h)d are not "
                 "published, %(s)d published ones are overdue or have no data (%(names)s).")
        % {"ok": n - len(short), "n": n, "h": len(hidden), "s": len(stale), "names": kpi_names(ctx, short)},
        next_step=_("Publish these KPIs and record their values as often as their frequency says."))


@rule("C2.g", title=_("Published KPI data is reusable: open licence, open formats, bulk download and API"),
      thresholds={"c2g_min_share": 0.5, "c2g_open_licences": OPEN_LICENCES}, effort="low")
def reusable_data(ctx: Context) -> Result:
    """C2.g: Cityline serves published KPIs as CSV, JSON and through its API; a published KPI counts when its
    licence is one of ``c2g_open_licences``."""
    published = list(Kpi.objects.filter(city=ctx.city, published=True).order_by("key"))
    if not published:
        return ctx.not_met(_("C2.g: no KPI is published, so no KPI data can be reused."),
                           _("Publish the KPIs under an open licence."))
    licences = {str(x).casefold() for x in ctx.threshold("c2g_open_licences")}
    closed = [k for k in published if k.licence.casefold() not in licences]
    return ctx.share(
        len(published) - len(closed), len(published), minimum=ctx.threshold("c2g_min_share"),
        evidence=evidence_of(ctx, closed or published),
        reason=_("C2.g: %(ok)d of %(n)d published KPIs carry an open licence and are served as CSV, JSON and "
                 "through the API; not open: %(names)s.")
        % {"ok": len(published) - len(closed), "n": len(published),
           "names": names(f"{k.key} ({k.licence})" for k in closed) or "—"},
        next_step=_("Release these KPIs under an open licence such as CC-BY-4.0."))


# --- C3 -----------------------------------------------------------------------------------------


@rule("C3.a", title=_("Every end outcome has a senior benefit owner"), thresholds={"c3a_min_share": 0.5}, effort="low")
def benefit_owners(ctx: Context) -> Result:
    report, found = map_findings(ctx, "C3.a")
    total = report.node_counts.get(bmap.END_OUTCOME, 0)
    if not total:
        return ctx.not_met(_("C3.a: the benefit map has no end outcome to own."),
                           _("Add the end outcomes to the benefit map and name their owners."))
    orphans = nodes_named(ctx, (k for f in found for k in f.nodes))
    owned = BenefitNode.objects.filter(city=ctx.city, kind=bmap.END_OUTCOME, benefit_owner__isnull=False)
    return ctx.share(
        total - len(orphans), total, minimum=ctx.threshold("c3a_min_share"),
        evidence=evidence_of(ctx, orphans or owned.order_by("key")),
        reason=_("C3.a: %(no)d of %(n)d end outcomes have no benefit owner: %(names)s.")
        % {"no": len(orphans), "n": total, "names": names(orphans) or "—"},
        next_step=_("Name a senior, empowered benefit owner for each of these end outcomes."))


@rule("C3.b", title=_("Benefit owners keep realisation plans with activities, priorities and dependencies"),
      thresholds={"c3b_min_share": 0.5})
def realisation_plans(ctx: Context) -> Result:
    """C3.b: an end outcome counts when its realisation plan has an owner, at least one activity and a review
    that is not overdue."""
    outcomes = list(BenefitNode.objects.filter(city=ctx.city, kind=bmap.END_OUTCOME).order_by("key"))
    if not outcomes:
        return ctx.not_met(_("C3.b: the benefit map has no end outcome to plan for."),
                           _("Add the end outcomes to the benefit map, then a realisation plan for each."))
    plans = {p.benefit_id: p for p in RealisationPlan.objects.filter(city=ctx.city).prefetch_related("activities")}
    no_plan = [n for n in outcomes if n.pk not in plans]
    weak = [plans[n.pk] for n in outcomes if n.pk in plans
            and (not plans[n.pk].owner_id or not plans[n.pk].activities.all()
                 or plans[n.pk].review_overdue(ctx.on_date))]
    ok = len(outcomes) - len(no_plan) - len(weak)
    return ctx.share(
        ok, len(outcomes), minimum=ctx.threshold("c3b_min_share"),
        evidence=evidence_of(ctx, no_plan + weak or list(plans.values())),
        reason=_("C3.b: %(ok)d of %(n)d end outcomes have a current realisation plan with an owner and activities; "
                 "%(np)d have no plan (%(names)s), %(w)d plan(s) lack an owner or activities or are overdue for "
                 "review (%(plans)s).")
        % {"ok": ok, "n": len(outcomes), "np": len(no_plan), "names": names(no_plan) or "—", "w": len(weak),
           "plans": names(p.key for p in weak) or "—"},
        next_step=_("Give each end outcome a realisation plan with its activities, priorities and dependencies, "
                    "and review it on time."))


@rule("C3.c", title=_("Benefit owners manage the risks to their outcomes, weighing costed responses"),
      thresholds={"c3c_min_share": 0.5, "c3c_min_responses": 2})
def outcome_risks(ctx: Context) -> Result:
    """C3.c: a live risk counts when it threatens a node of the benefit map and has at least
    ``c3c_min_responses`` alternative responses, one of them costed. Met also needs each such risk owned by
    the owner of an end outcome it endangers."""
    risks = list(Risk.objects.filter(city=ctx.city, status__in=LIVE_RISKS).select_related("owner")
                 .prefetch_related("threatens", "responses").order_by("key"))
    if not risks:
        return ctx.not_met(_("C3.c: the risk register has no live risk."),
                           _("Record the risks to the outcomes, with their owners and alternative responses."))
    minimum = int(ctx.threshold("c3c_min_responses"))
    bm = load_map(ctx.city)
    owners = {n.key: n.benefit_owner_id for n in BenefitNode.objects.filter(city=ctx.city, kind=bmap.END_OUTCOME)}
    untied, unweighed, not_led = [], [], []
    for r in risks:
        threatened = sorted(n.key for n in r.threatens.all())
        responses = list(r.responses.all())
        if not threatened:
            untied.append(r)
            continue
        if len(responses) < minimum or not any(x.cost > 0 for x in responses):
            unweighed.append(r)
        outcome_owners = {owners.get(k) for k in endangered(bm, threatened)[bmap.END_OUTCOME]}
        if r.owner_id not in outcome_owners:
            not_led.append(r)
    short = untied + unweighed
    reason = (_("C3.c: %(ok)d of %(n)d live risks threaten a benefit-map node and have %(min)d or more costed "
                "alternative responses; %(u)d threaten no node, %(w)d lack costed alternatives (%(names)s); "
                "%(l)d are not owned by an owner of the end outcomes they endanger.")
              % {"ok": len(risks) - len(short), "n": len(risks), "min": minimum, "u": len(untied),
                 "w": len(unweighed), "names": names(r.key for r in short) or "—", "l": len(not_led)})
    if not short and not_led:
        return ctx.partly_met(reason, _("Have the benefit owners take ownership of the risks to their outcomes."),
                              evidence_of(ctx, not_led), share=1.0)
    return ctx.share(len(risks) - len(short), len(risks), minimum=ctx.threshold("c3c_min_share"), reason=reason,
                     evidence=evidence_of(ctx, short or risks),
                     next_step=_("Tie each risk to the outputs and outcomes it threatens and weigh alternative "
                                 "responses with their costs."))


@rule("C3.d", title=_("A programme board sees the benefits that are off track and takes escalations"),
      thresholds={"c3d_meeting_days": 120}, effort="low")
def programme_board(ctx: Context) -> Result:
    """C3.d: a strategic-level governance body is the forum; it must have met within ``c3d_meeting_days``, and
    every off-track or at-risk outcome on the escalation list must have a benefit owner to answer for it."""
    boards = list(GovernanceBody.objects.filter(city=ctx.city, level="strategic").order_by("key"))
    if not boards:
        return ctx.not_met(_("C3.d: no strategic-level governance body is recorded to take escalations."),
                           _("Set up a programme board at strategic level that reviews benefits off track."))
    window = int(ctx.threshold("c3d_meeting_days"))
    recent = list(Meeting.objects.filter(body__in=boards, date__lte=ctx.on_date,
                                         date__gt=ctx.on_date - timedelta(days=window)).order_by("-date"))
    escalated = realisation(ctx.city, ctx.on_date).escalations()
    owners = node_owners(ctx.city)
    orphans = [n for n in escalated if not owners.get(n.key)]
    reason = (_("C3.d: %(b)d strategic body(ies) (%(names)s), %(m)d meeting(s) in the last %(days)d days; %(e)d "
                "outcome(s) are off track or at risk on the escalation list, %(o)d of them with no owner to answer "
                "for them.")
              % {"b": len(boards), "names": names(boards), "m": len(recent), "days": window, "e": len(escalated),
                 "o": len(orphans)})
    evidence = evidence_of(ctx, boards + recent[:1] + nodes_named(ctx, (n.key for n in orphans)))
    if not recent:
        return ctx.partly_met(reason, _("Hold the programme board regularly and put the escalation list on its "
                                        "agenda."), evidence)
    if orphans:
        return ctx.partly_met(reason, _("Name owners for the escalated outcomes so the board can hold someone to "
                                        "account."), evidence)
    return ctx.met(reason, evidence)
