"""Assessment rules for B1–B7 strategy management.

Each rule reads the strategy records of one city (vision, governance, engagement,
procurement, interoperability, glossary, roadmap) and reuses the plain rules of
``cityline.strategy.domain`` and ``cityline.core.continuity`` where they exist.
Several rules combine a few checks: they are met when every check holds, partly met
when some do, not met when none does (``checks`` below).
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from django.db.models import Count, Max, Q
from django.utils.translation import gettext_lazy as _

from cityline.benefits.models import Measurement
from cityline.core.choices import Sector
from cityline.core.continuity import city_findings
from cityline.core.models import Document, Organisation, Person
from cityline.risks.domain.register import SETTLED
from cityline.risks.models import Risk
from cityline.strategy import choices
from cityline.strategy.domain import leadership
from cityline.strategy.domain.procurement import CHECKLIST
from cityline.strategy.domain.roadmap import QUICK_MONTHS, quick_win_score
from cityline.strategy.models import (
    AccountableLead, BodyMember, Checkpoint, Contract, EngagementActivity, GlossaryTerm, GovernanceBody, Initiative,
    InteropAction, InteropBarrier, InteropCell, InterestedParty, Principle, ProcurementEntry, Programme, Project,
    RoadmapPhase, SkillCoverage, Vision, VisionObjective, VisionPurpose, Workstream,
)

from ..registry import Context, Result, rule
from .principles import names

#: Evidence lists stop here so a result stays readable; the reason gives the full count.
MAX_EVIDENCE = 40
#: Kinds of engagement that gather what users need (user research, B1.b).
RESEARCH_KINDS = ("survey", "workshop", "co_creation")
#: Channels that let the public take part digitally (B1.b, B2.g).
DIGITAL_CHANNELS = ("online", "hybrid")
#: The three sectors of a cross-sector partnership (B3.b).
PARTNER_SECTORS = ("public", "private", "voluntary")
#: Workstreams the Plan phase sets up (B7.a).
PLAN_WORKSTREAMS = ("governance", "engagement", "procurement", "planning", "it_assets", "interoperability", "risk")
#: Statuses of work the city has committed to or done (B7.c).
STARTED = ("approved", "in_progress", "completed")
#: Data terms that keep a contract's data open to the city (B4.b.2).
OPEN_DATA_OWNERSHIP = ("city_owns", "supplier_publishes_open", "frand")


def evidence(ctx: Context, records) -> list:
    return [ctx.evidence(r) for r in list(records)[:MAX_EVIDENCE]]


def of_city(model, ctx: Context):
    return model.objects.filter(city=ctx.city)


def vision(ctx: Context) -> Vision | None:
    return of_city(Vision, ctx).first()


def no_vision(ctx: Context) -> Result:
    return ctx.not_met(_("The city has no vision."), _("Write the city vision and record it."))


def checks(ctx: Context, results: list[tuple[bool, object]], *, met, next_step, records=()) -> Result:
    """Combine named checks ``(passed, description)``: all → met, some → partly met, none → not met."""
    passed = [str(d) for ok, d in results if ok]
    failed = [str(d) for ok, d in results if not ok]
    ev = evidence(ctx, records)
    if not failed:
        return ctx.met(met, ev)
    reason = _("%(done)d of %(total)d checks hold. Missing: %(missing)s.") % {
        "done": len(passed), "total": len(results), "missing": "; ".join(failed)}
    if passed:
        return ctx.partly_met(reason, next_step, ev, share=len(passed) / len(results))
    return ctx.not_met(reason, next_step, ev)


def open_pipeline(ctx: Context):
    return of_city(ProcurementEntry, ctx).exclude(status="cancelled").order_by("expected_tender_date", "key")


def sector_label(sector: str) -> str:
    return str(dict(Sector.choices).get(sector, sector)).lower()


def since(ctx: Context, days: int):
    return ctx.on_date - timedelta(days=int(days))


# --- B1: city vision ---------------------------------------------------------------------


@rule("B1.a", title=_("The vision serves the six purposes with local priorities"),
      thresholds={"b1a_min_share": 0.5})
def vision_purposes(ctx: Context) -> Result:
    v = vision(ctx)
    if v is None:
        return no_vision(ctx)
    rows = {p.purpose: p for p in of_city(VisionPurpose, ctx).filter(vision=v, weight__gt=0)}
    done = [p for p in rows.values() if p.rationale.strip()]
    gaps = [label for value, label in choices.Purpose.choices if value not in rows or not rows[value].rationale.strip()]
    return ctx.share(
        len(done), len(choices.Purpose), minimum=ctx.threshold("b1a_min_share"),
        evidence=[ctx.evidence(v)] + evidence(ctx, rows.values()),
        reason=_("%(done)d of 6 purposes are weighted in the vision with a local priority%(gaps)s.")
        % {"done": len(done), "gaps": (_("; missing: %(names)s") % {"names": ", ".join(map(str, gaps))}) if gaps
           else ""},
        next_step=_("Weigh the missing purposes in the vision and say why each matters locally."))


@rule("B1.b", title=_("The vision was shaped with residents, user research and online participation"),
      thresholds={"b1b_min_activities": 3}, attestable=True)
def vision_co_created(ctx: Context) -> Result:
    """Engagement records show iteration (several activities), user research and digital participation."""
    acts = list(of_city(EngagementActivity, ctx).exclude(kind="city_exchange").filter(date__lte=ctx.on_date))
    minimum = int(ctx.threshold("b1b_min_activities"))
    return checks(ctx, [
        (len(acts) >= minimum, _("at least %(min)d engagement activities (there are %(n)d)")
         % {"min": minimum, "n": len(acts)}),
        (any(a.kind in RESEARCH_KINDS for a in acts), _("a survey, workshop or co-creation session")),
        (any(a.channel in DIGITAL_CHANNELS for a in acts), _("an activity open online")),
    ], met=_("%(n)d engagement activities, with user research and online participation.") % {"n": len(acts)},
        next_step=_("Run further rounds of engagement on the vision, including online ones, and record them."),
        records=acts)


@rule("B1.c", title=_("The vision embraces technology, data and collaboration"),
      thresholds={"b1c_min_weight": 0.5}, attestable=True)
def vision_embraces_smart(ctx: Context) -> Result:
    v = vision(ctx)
    if v is None:
        return no_vision(ctx)
    weight = float(ctx.threshold("b1c_min_weight"))
    issues = {i.issue: float(i.weight) for i in v.issues.all()}
    groups = set(of_city(Principle, ctx).values_list("group", flat=True))
    return checks(ctx, [
        (issues.get("innovation", 0) >= weight, _("innovation weighted at least %(w)s in the vision") % {"w": weight}),
        (issues.get("governance", 0) >= weight,
         _("governance and engagement weighted at least %(w)s in the vision") % {"w": weight}),
        ("digital" in groups, _("a digital principle")),
        ("open_collaborative" in groups, _("an open and collaborative principle")),
    ], met=_("The vision weighs innovation and engagement, and digital and open principles back it."),
        next_step=_("Give technology, data and collaboration an explicit place in the vision and its principles."),
        records=[v])


@rule("B1.d", title=_("The vision covers the city's social, economic, political and environmental goals"),
      thresholds={"b1d_min_share": 0.5})
def vision_integrated(ctx: Context) -> Result:
    v = vision(ctx)
    if v is None:
        return no_vision(ctx)
    covered = {i.issue for i in v.issues.all() if i.weight > 0}
    missing = [label for value, label in choices.Issue.choices if value not in covered]
    return ctx.share(
        len(covered), len(choices.Issue), minimum=ctx.threshold("b1d_min_share"), evidence=[ctx.evidence(v)],
        reason=_("The vision addresses %(done)d of the 12 issues of sustainable development%(gaps)s.")
        % {"done": len(covered), "gaps": (_("; missing: %(names)s") % {"names": names(missing)}) if missing else ""},
        next_step=_("Relate the vision to the issues it leaves out, or say why they are not a local priority."))


@rule("B1.e", title=_("The vision is brought to life with data and visual models"), attestable=True)
def vision_visualised(ctx: Context) -> Result:
    """Objectives with a baseline can be charted; published KPI measurements feed the public dashboard."""
    v = vision(ctx)
    if v is None:
        return no_vision(ctx)
    objectives = list(of_city(VisionObjective, ctx).filter(vision=v, baseline_value__isnull=False))
    measured = of_city(Measurement, ctx).filter(kpi__published=True).exists()
    return checks(ctx, [
        (bool(objectives), _("vision objectives with a baseline and a target to chart")),
        (measured, _("published KPI measurements on the dashboard")),
    ], met=_("%(n)d vision objectives can be charted and the dashboard shows measured progress.")
        % {"n": len(objectives)},
        next_step=_("Publish measured progress against the vision; show it with charts, maps or a city model."),
        records=[v, *objectives])


@rule("B1.f", title=_("The vision is measurable"), thresholds={"b1f_min_share": 0.5})
def vision_measurable(ctx: Context) -> Result:
    v = vision(ctx)
    if v is None:
        return no_vision(ctx)
    objectives = list(of_city(VisionObjective, ctx).filter(vision=v))
    if not objectives:
        return ctx.not_met(_("The vision has no measurable objective."),
                           _("Give the vision objectives, each with an indicator, a baseline and a target."),
                           [ctx.evidence(v)])
    short = [o for o in objectives if o.baseline_value is None or not o.baseline_year]
    return ctx.share(
        len(objectives) - len(short), len(objectives), minimum=ctx.threshold("b1f_min_share"),
        evidence=evidence(ctx, short or objectives),
        reason=(_("%(short)d of %(total)d vision objectives have no baseline: %(names)s.")
                % {"short": len(short), "total": len(objectives), "names": names(short)}) if short
        else _("All %(n)d vision objectives have an indicator, a baseline and a target.") % {"n": len(objectives)},
        next_step=_("Record the baseline value and year of each objective."))


# --- B2: leadership and governance -----------------------------------------------------


@rule("B2.a", title=_("Named political and administrative leads are accountable"))
def accountable_leads(ctx: Context) -> Result:
    leads = list(of_city(AccountableLead, ctx).select_related("person"))
    kinds = {lead.kind for lead in leads}
    missing = [label for value, label in choices.LeadKind.choices if value not in kinds]
    if not missing:
        return ctx.met(_("Accountable leads: %(names)s.") % {"names": names(leads)}, evidence(ctx, leads))
    if not leads:
        return ctx.not_met(_("Nobody is named as accountable lead."),
                           _("Name a political and an administrative lead inside the local authority."))
    return ctx.partly_met(_("Missing: %(kinds)s.") % {"kinds": ", ".join(map(str, missing))},
                          _("Name the missing accountable lead."), evidence(ctx, leads), share=0.5)


def members_by_sector(ctx: Context, bodies=None):
    qs = of_city(BodyMember, ctx).select_related("person__organisation", "body")
    if bodies is not None:
        qs = qs.filter(body__in=bodies)
    return qs


@rule("B2.b", title=_("The leadership team spans the sectors"), thresholds={"b2b_min_sectors": 3})
def leadership_sectors(ctx: Context) -> Result:
    members = list(members_by_sector(ctx))
    # each person once, however many bodies they sit on: the governance page counts the same way
    people = {m.person_id: m.person for m in members}.values()
    mix = leadership.sector_mix(p.organisation.sector if p.organisation_id else None for p in people)
    present = [s for s, n in mix.items() if n]
    missing = leadership.missing_sectors(mix)
    minimum = int(ctx.threshold("b2b_min_sectors"))
    bodies = {m.body for m in members}
    reason = _("Board members come from %(n)d sectors (%(mix)s)%(gaps)s.") % {
        "n": len(present), "mix": ", ".join(f"{sector_label(s)} {mix[s]}" for s in present) or "-",
        "gaps": (_("; none from: %(names)s") % {"names": ", ".join(map(sector_label, missing))}) if missing else ""}
    if len(present) >= minimum:
        return ctx.met(reason, evidence(ctx, bodies))
    step = _("Invite leaders from the missing sectors onto the governance bodies.")
    if len(present) >= 2:
        return ctx.partly_met(reason, step, evidence(ctx, bodies), share=len(present) / minimum)
    return ctx.not_met(reason, step, evidence(ctx, bodies))


@rule("B2.c", title=_("Cross-sector boards govern at strategic and delivery level"))
def governance_bodies(ctx: Context) -> Result:
    bodies = list(of_city(GovernanceBody, ctx))
    sectors: dict[int, set] = {b.pk: set() for b in bodies}
    for m in members_by_sector(ctx):
        if m.person.organisation_id:
            sectors[m.body_id].add(m.person.organisation.sector)
    cross = [b for b in bodies if len(sectors[b.pk]) >= 2]
    return checks(ctx, [
        (any(b.level == "strategic" for b in cross), _("a cross-sector board at strategic level")),
        (any(b.level == "delivery" for b in cross), _("a cross-sector board at delivery level")),
    ], met=_("%(n)d cross-sector boards at strategic and delivery level.") % {"n": len(cross)},
        next_step=_("Set up the missing board with members from more than one sector."), records=bodies)


@rule("B2.d", title=_("The programme is managed formally with business cases and a risk framework"),
      thresholds={"b2d_min_share": 0.5})
def programme_management(ctx: Context) -> Result:
    programmes = list(of_city(Programme, ctx).exclude(status="cancelled"))
    if not programmes:
        return ctx.not_met(_("No programme is recorded."),
                           _("Record the programmes with their business case and success indicators."))
    short = [p for p in programmes if p.business_case_costs is None or not p.expected_benefits.strip()
             or not p.success_indicators.strip()]
    # the register in use: live risks (open or being mitigated); closed and resolved ones are history
    risks = of_city(Risk, ctx).exclude(status__in=SETTLED).count()
    ratio = (len(programmes) - len(short)) / len(programmes)
    reason = _("%(done)d of %(total)d programmes have a full business case (costs, benefits, success indicators); "
               "%(risks)d live risks (open or being mitigated) on the shared register.") % {
        "done": len(programmes) - len(short), "total": len(programmes), "risks": risks}
    ev = evidence(ctx, short or programmes)
    if not short and risks:
        return ctx.met(reason, ev)
    step = (_("Complete the business cases of: %(names)s.") % {"names": names(short)}) if short else \
        _("Manage the programme's risks and issues on the shared risk register.")
    if ratio >= ctx.threshold("b2d_min_share"):
        return ctx.partly_met(reason, step, ev, share=ratio)
    return ctx.not_met(reason, step, ev)


@rule("B2.e", title=_("The leadership holds the skills mix"), thresholds={"b2e_min_share": 0.6})
def leadership_skills(ctx: Context) -> Result:
    rows = list(of_city(SkillCoverage, ctx).select_related("person"))
    coverage = leadership.skills_coverage({"skill": r.skill, "level": r.level, "person": r.person.name} for r in rows)
    gaps = leadership.skills_gaps(coverage)
    labels = dict(choices.Skill.choices)
    return ctx.share(
        len(coverage) - len(gaps), len(coverage), minimum=ctx.threshold("b2e_min_share"), evidence=evidence(ctx, rows),
        reason=(_("%(done)d of %(total)d leadership skills are held at practitioner level or above; "
                  "missing or thin: %(gaps)s.") % {"done": len(coverage) - len(gaps), "total": len(coverage),
                                                  "gaps": ", ".join(str(labels[g]) for g in gaps)}) if gaps
        else _("Every leadership skill is held at practitioner level or above."),
        next_step=_("Recruit, train or second people for the missing skills (an SFIA profile helps)."))


@rule("B2.f", title=_("Assets and services carry on when partners change"))
def continuity(ctx: Context) -> Result:
    if not of_city(Organisation, ctx).exists():
        return ctx.not_met(_("No partner organisation is recorded."),
                           _("Record the partner organisations and where each is in its life."))
    findings = city_findings(ctx.city)
    changing = list(of_city(Organisation, ctx).exclude(lifecycle="active"))
    if not findings:
        return ctx.met(_("%(n)d partners are merging, declining or gone; each hands over to an active successor.")
                       % {"n": len(changing)}, evidence(ctx, changing))
    broken = of_city(Organisation, ctx).filter(key__in=[f.organisation for f in findings])
    reason = _("%(n)d hand-overs are broken: %(msgs)s.") % {
        "n": len(findings), "msgs": "; ".join(f.message for f in findings[:5])}
    step = _("Name an active successor for each organisation and move its records over.")
    handled = len(changing) - len(findings)
    if handled > 0:
        return ctx.partly_met(reason, step, evidence(ctx, broken), share=handled / len(changing))
    return ctx.not_met(reason, step, evidence(ctx, broken))


@rule("B2.g", title=_("Governance is open: strategy, leaders, progress and participation are published"),
      thresholds={"b2g_report_days": 190, "b2g_participation_days": 365})
def open_governance(ctx: Context) -> Result:
    docs = of_city(Document, ctx).filter(status="published")
    strategy = list(docs.filter(doc_type="strategy"))
    leaders = list(Person.objects.filter(
        Q(lead_roles__isnull=False) | Q(pk__in=of_city(Programme, ctx).values("owner")), city=ctx.city).distinct())
    hidden = [p for p in leaders if not (p.published_contact and (p.email or p.phone))]
    recent = since(ctx, ctx.threshold("b2g_report_days"))
    reports = list(docs.filter(doc_type__in=("report", "meeting_paper", "minutes"),
                               published_on__gte=recent, published_on__lte=ctx.on_date))
    online = list(of_city(EngagementActivity, ctx).filter(
        channel__in=DIGITAL_CHANNELS, date__lte=ctx.on_date,
        date__gte=since(ctx, ctx.threshold("b2g_participation_days"))))
    return checks(ctx, [
        (bool(strategy), _("a published vision or strategy document")),
        (bool(leaders) and not hidden, _("published contacts for every programme leader%(who)s")
         % {"who": (" (" + names(hidden) + ")") if hidden else ""}),
        (bool(reports), _("a progress report or board paper published in the last %(d)s days")
         % {"d": ctx.threshold("b2g_report_days")}),
        (bool(online), _("online public participation in the last %(d)s days")
         % {"d": ctx.threshold("b2g_participation_days")}),
    ], met=_("Strategy, leaders' contacts, %(n)d recent reports and online participation are public.")
        % {"n": len(reports)},
        next_step=_("Publish what is missing on the city's open pages."),
        records=[*strategy, *hidden, *reports[:5]])


# --- B3: collaborative engagement --------------------------------------------------------


def engaged_parties(ctx: Context, window_days: int):
    """Interested parties that took part in an activity in the window."""
    start = since(ctx, window_days)
    return of_city(InterestedParty, ctx).filter(
        activities__date__gte=start, activities__date__lte=ctx.on_date).distinct()


@rule("B3.a", title=_("Every category of interested party is engaged"),
      thresholds={"b3a_window_days": 730, "b3a_min_share": 0.5})
def parties_engaged(ctx: Context) -> Result:
    engaged = list(engaged_parties(ctx, ctx.threshold("b3a_window_days")))
    covered = {c for p in engaged for c in p.categories}
    missing = [label for value, label in choices.PartyCategory.choices if value not in covered]
    return ctx.share(
        len(choices.PartyCategory) - len(missing), len(choices.PartyCategory),
        minimum=ctx.threshold("b3a_min_share"), evidence=evidence(ctx, engaged),
        reason=_("%(n)d interested parties took part in the last %(d)s days, "
                 "covering %(done)d of 6 categories%(gaps)s.")
        % {"n": len(engaged), "d": ctx.threshold("b3a_window_days"), "done": 6 - len(missing),
           "gaps": (_("; missing: %(names)s") % {"names": ", ".join(map(str, missing))}) if missing else ""},
        next_step=_("Identify and involve parties of the missing categories, critics included."))


@rule("B3.b", title=_("Public, private and voluntary partners work together"),
      thresholds={"b3b_window_days": 730})
def cross_sector_partnership(ctx: Context) -> Result:
    engaged = list(engaged_parties(ctx, ctx.threshold("b3b_window_days")))
    present = {p.sector for p in engaged}
    missing = [s for s in PARTNER_SECTORS if s not in present]
    done = len(PARTNER_SECTORS) - len(missing)
    reason = _("Parties from %(done)d of 3 sectors (public, private, voluntary) took part recently%(gaps)s.") % {
        "done": done, "gaps": (_("; missing: %(names)s") % {"names": ", ".join(map(sector_label, missing))})
        if missing else ""}
    step = _("Bring partners from the missing sectors into the programme's activities.")
    if not missing:
        return ctx.met(reason, evidence(ctx, engaged))
    if done >= 2:
        return ctx.partly_met(reason, step, evidence(ctx, engaged), share=done / 3)
    return ctx.not_met(reason, step, evidence(ctx, engaged))


def partner_name(text: str) -> str:
    """A partner city's name as written, in Unicode's compatibility form (NFKC) with its spaces tidied."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def partner_cities(written) -> list[str]:
    """The distinct partner cities among names as written, compared as a person reads them: case, spaces and
    Unicode forms aside ("Liège", " LIÈGE " and a decomposed "liège" are one city; a blank name is none). Each
    city is named as it was written last, tidied (:func:`partner_name`); sorted by that name."""
    by_city: dict[str, str] = {}
    for text in written:
        name = partner_name(text)
        if name:
            by_city[name.casefold()] = name
    return sorted(by_city.values(), key=str.casefold)


@rule("B3.c", title=_("The city exchanges with other cities"),
      thresholds={"b3c_window_days": 730, "b3c_min_partner_cities": 2})
def city_exchange(ctx: Context) -> Result:
    exchanges = list(of_city(EngagementActivity, ctx).filter(kind="city_exchange", date__lte=ctx.on_date)
                     .order_by("date", "pk"))
    recent = [e for e in exchanges if e.date >= since(ctx, ctx.threshold("b3c_window_days"))]
    cities = partner_cities(e.partner_city for e in recent)
    minimum = int(ctx.threshold("b3c_min_partner_cities"))
    reason = _("%(n)d exchanges with %(c)d other cities in the last %(d)s days (%(names)s); %(all)d in all.") % {
        "n": len(recent), "c": len(cities), "d": ctx.threshold("b3c_window_days"), "names": names(cities) or "-",
        "all": len(exchanges)}
    step = _("Exchange with more cities: peer visits, shared pilots, comparing indicators.")
    if len(cities) >= minimum:
        return ctx.met(reason, evidence(ctx, recent))
    if exchanges:
        return ctx.partly_met(reason, step, evidence(ctx, exchanges), share=len(cities) / minimum)
    return ctx.not_met(reason, step)


# --- B4: procurement and suppliers ---------------------------------------------------------


@rule("B4.a", title=_("Major procurements are seen city-wide, across public bodies"),
      thresholds={"b4a_min_buyers": 2})
def city_wide_pipeline(ctx: Context) -> Result:
    entries = list(open_pipeline(ctx).select_related("buyer"))
    buyers = sorted({e.buyer.name for e in entries})
    minimum = int(ctx.threshold("b4a_min_buyers"))
    if not entries:
        return ctx.not_met(_("The procurement pipeline is empty."),
                           _("Gather the coming major procurements of the council and its public partners."))
    reason = _("%(n)d procurements from %(b)d buyers: %(names)s.") % {
        "n": len(entries), "b": len(buyers), "names": names(buyers)}
    if len(buyers) >= minimum:
        return ctx.met(reason, evidence(ctx, entries))
    return ctx.partly_met(reason, _("Add the coming procurements of the other public bodies."),
                          evidence(ctx, entries), share=len(buyers) / minimum)


def checklist_rule(ctx: Context, field: str, threshold: str, contracts: list | None = None,
                   contract_ok=None) -> Result:
    """B4.b.x: share of the open pipeline (and contracts, where they show it) passing one smart check."""
    entries = list(open_pipeline(ctx))
    contracts = contracts or []
    items = entries + contracts
    if not items:
        return ctx.not_met(_("No procurement or contract is recorded."),
                           _("Record the procurement pipeline with its smart-contracting checklist."))
    short = [e for e in entries if not getattr(e, field)] + [c for c in contracts if not contract_ok(c)]
    done = len(items) - len(short)
    return ctx.share(
        done, len(items), minimum=ctx.threshold(threshold), evidence=evidence(ctx, short or items),
        reason=(_("%(short)d of %(total)d procurements and contracts miss this check: %(names)s.")
                % {"short": len(short), "total": len(items), "names": names(short)}) if short
        else _("All %(n)d procurements and contracts pass this check.") % {"n": len(items)},
        next_step=_("Write the requirement into these procurements before they go to tender."))


@rule("B4.b.1", title=_("Procurements buy outcomes and service levels"), thresholds={"b4b1_min_share": 0.5})
def buys_outcomes(ctx: Context) -> Result:
    return checklist_rule(ctx, CHECKLIST[0][0], "b4b1_min_share")


@rule("B4.b.2", title=_("Procurements and contracts keep the data open"), thresholds={"b4b2_min_share": 0.5})
def open_data_terms(ctx: Context) -> Result:
    contracts = list(of_city(Contract, ctx))
    return checklist_rule(ctx, CHECKLIST[1][0], "b4b2_min_share", contracts,
                          lambda c: c.data_ownership in OPEN_DATA_OWNERSHIP)


@rule("B4.b.3", title=_("Procurements reward innovation, collaboration and shared assets"),
      thresholds={"b4b3_min_share": 0.5})
def innovation_incentives(ctx: Context) -> Result:
    return checklist_rule(ctx, CHECKLIST[2][0], "b4b3_min_share")


@rule("B4.b.4", title=_("Procurements avoid lock-in and count exit costs"), thresholds={"b4b4_min_share": 0.5})
def avoids_lock_in(ctx: Context) -> Result:
    contracts = list(of_city(Contract, ctx))
    return checklist_rule(ctx, CHECKLIST[3][0], "b4b4_min_share", contracts, lambda c: bool(c.exit_terms.strip()))


@rule("B4.c.1", title=_("Procurement policies are published"), attestable=True)
def procurement_policy(ctx: Context) -> Result:
    """A document about procurement (its title says so) that is published."""
    docs = list(of_city(Document, ctx).filter(Q(title__icontains="procure") | Q(key__icontains="procure")))
    published = [d for d in docs if d.status == "published"]
    if published:
        return ctx.met(_("Published: %(names)s.") % {"names": names(published)}, evidence(ctx, published))
    if docs:
        return ctx.partly_met(_("The procurement policy exists but is not published: %(names)s.")
                              % {"names": names(docs)}, _("Publish the procurement policy."), evidence(ctx, docs))
    return ctx.not_met(_("No procurement policy is recorded."),
                       _("Adopt and publish the city's smart procurement policy."))


@rule("B4.c.2", title=_("The procurement pipeline is published and kept up to date"),
      thresholds={"pipeline_fresh_days": 180})
def pipeline_is_current(ctx: Context) -> Result:
    entries = list(open_pipeline(ctx))
    if not entries:
        return ctx.not_met(_("No procurement is on the pipeline."), _("Publish the coming procurements."))
    last = of_city(ProcurementEntry, ctx).aggregate(last=Max("updated_at"))["last"].date()
    coming = [e for e in entries if e.expected_tender_date >= ctx.on_date and e.status != "awarded"]
    fresh = (ctx.on_date - last).days <= int(ctx.threshold("pipeline_fresh_days"))
    return checks(ctx, [
        (fresh, _("an update in the last %(d)s days (last: %(date)s)")
         % {"d": ctx.threshold("pipeline_fresh_days"), "date": last.isoformat()}),
        (bool(coming), _("procurements still to come")),
    ], met=_("%(n)d coming procurements, last updated %(date)s.") % {"n": len(coming), "date": last.isoformat()},
        next_step=_("Review the pipeline and publish an update with the coming procurements."), records=entries)


@rule("B4.c.3", title=_("Suppliers, small firms included, are engaged early"), thresholds={"b4c3_min_share": 0.5})
def early_supplier_engagement(ctx: Context) -> Result:
    entries = list(open_pipeline(ctx))
    if not entries:
        return ctx.not_met(_("No procurement is on the pipeline."),
                           _("Plan supplier days open to small firms before each major tender."))
    short = [e for e in entries if e.sme_engagement == "none" and e.status != "market_engagement"]
    return ctx.share(
        len(entries) - len(short), len(entries), minimum=ctx.threshold("b4c3_min_share"),
        evidence=evidence(ctx, short or entries),
        reason=(_("%(short)d of %(total)d procurements plan no early or SME engagement: %(names)s.")
                % {"short": len(short), "total": len(entries), "names": names(short)}) if short
        else _("All %(n)d procurements engage suppliers and small firms early.") % {"n": len(entries)},
        next_step=_("Hold a supplier day or split these procurements into lots small firms can bid for."))


@rule("B4.c.4", title=_("Small firms lead innovation"))
def sme_led_innovation(ctx: Context) -> Result:
    entries = list(open_pipeline(ctx))
    challenges = [e for e in entries if e.sme_engagement == "challenge"]
    subcontracting = [e for e in entries if e.sme_engagement == "subcontracting"]
    sme_contracts = list(of_city(Contract, ctx).filter(supplier__size="sme"))
    return checks(ctx, [
        (bool(challenges), _("an innovation challenge or competition")),
        (bool(subcontracting or sme_contracts), _("work for small firms, directly or required of large suppliers")),
    ], met=_("Innovation challenges: %(c)d; procurements requiring SME subcontracting: %(s)d; "
             "contracts with small firms: %(k)d.")
        % {"c": len(challenges), "s": len(subcontracting), "k": len(sme_contracts)},
        next_step=_("Run an innovation challenge, or require large suppliers to work with small firms."),
        records=[*challenges, *subcontracting, *sme_contracts])


@rule("B4.c.5", title=_("The culture of buying supports innovation"), attestable=True)
def procurement_culture(ctx: Context) -> Result:
    """Culture cannot be read from records: the share of procurements passing every smart check is a sign only."""
    entries = list(open_pipeline(ctx))
    full = [e for e in entries if all(getattr(e, f) for f, _id in CHECKLIST)]
    reason = _("%(done)d of %(total)d procurements pass every smart-contracting check; the culture change itself "
               "needs a staff attestation.") % {"done": len(full), "total": len(entries)}
    step = _("Attest the change (training, guidance, decisions) with evidence.")
    if full:
        return ctx.partly_met(reason, step, evidence(ctx, full), share=len(full) / len(entries))
    return ctx.not_met(reason, step)


# --- B5: interoperability -------------------------------------------------------------------


@rule("B5.a", title=_("The interoperability matrix is used to find barriers"), thresholds={"b5a_min_share": 0.5})
def interop_barriers(ctx: Context) -> Result:
    cells = list(of_city(InteropCell, ctx).annotate(products=Count("policy_products", distinct=True),
                                                     found=Count("barriers", distinct=True)))
    assessed = [c for c in cells if c.notes.strip() or c.products or c.found]
    barriers = sum(c.found for c in cells)
    total = len(choices.InteropProcess) * len(choices.InteropDimension)
    reason = _("%(done)d of %(total)d matrix cells are assessed; %(b)d barriers found.") % {
        "done": len(assessed), "total": total, "b": barriers}
    step = _("Review every cell of the matrix with its policy products and record the barriers.")
    if len(assessed) == total and barriers:
        return ctx.met(reason, evidence(ctx, assessed))
    if len(assessed) / total >= ctx.threshold("b5a_min_share"):
        return ctx.partly_met(reason, step, evidence(ctx, assessed), share=len(assessed) / total)
    return ctx.not_met(reason, step, evidence(ctx, assessed))


@rule("B5.b", title=_("Barriers have actions on the roadmap"), thresholds={"b5b_min_share": 0.5})
def interop_actions(ctx: Context) -> Result:
    barriers = list(of_city(InteropBarrier, ctx).select_related("cell"))
    if not barriers:
        return ctx.not_met(_("No interoperability barrier is recorded, so none is acted on."),
                           _("Find the barriers first (B5.a), then plan actions against them."))
    acted = set(of_city(InteropAction, ctx).exclude(status="dropped").filter(initiative__isnull=False)
                .values_list("barrier_id", flat=True))
    short = [b for b in barriers if b.pk not in acted]
    return ctx.share(
        len(barriers) - len(short), len(barriers), minimum=ctx.threshold("b5b_min_share"),
        evidence=evidence(ctx, short or barriers),
        reason=(_("%(short)d of %(total)d barriers have no action carried by a roadmap initiative: %(names)s.")
                % {"short": len(short), "total": len(barriers), "names": names(b.key for b in short)}) if short
        else _("Each of the %(n)d barriers has an action on the roadmap.") % {"n": len(barriers)},
        next_step=_("Plan an action for each barrier, drawing on standards, and attach it to a roadmap initiative."))


@rule("B5.c", title=_("Interoperability work is aligned with other cities and authorities"),
      thresholds={"b5c_met_share": 0.5})
def interop_alignment(ctx: Context) -> Result:
    actions = list(of_city(InteropAction, ctx).exclude(status="dropped"))
    if not actions:
        return ctx.not_met(_("No interoperability action is recorded."),
                           _("Plan interoperability actions and align them with other cities and authorities."))
    aligned = [a for a in actions if a.aligned_with.strip()]
    ratio = len(aligned) / len(actions)
    reason = _("%(done)d of %(total)d interoperability actions name the cities, authorities or standards they "
               "align with.") % {"done": len(aligned), "total": len(actions)}
    step = _("Align further actions with other cities, national bodies or common standards, and say which.")
    if ratio >= ctx.threshold("b5c_met_share"):
        return ctx.met(reason, evidence(ctx, aligned))
    if aligned:
        return ctx.partly_met(reason, step, evidence(ctx, aligned), share=ratio)
    return ctx.not_met(reason, step, evidence(ctx, actions))


# --- B6: terminology ---------------------------------------------------------------------------


@rule("B6.a", title=_("Key concepts are mapped to a formal city model"), thresholds={"b6a_min_share": 0.5})
def concept_model(ctx: Context) -> Result:
    terms = list(of_city(GlossaryTerm, ctx).annotate(links=Count("related")))
    if not terms:
        return ctx.not_met(_("The city has no glossary."),
                           _("Start a glossary of key terms and map each to the Smart City Concept Model."))
    unmapped = [t for t in terms if not t.sccm_concept]
    linked = any(t.links for t in terms)
    done = len(terms) - len(unmapped)
    reason = _("%(done)d of %(total)d terms are mapped to a concept of the model; %(rel)s.") % {
        "done": done, "total": len(terms),
        "rel": _("terms are related to each other") if linked else _("no term is related to another")}
    step = _("Map the remaining terms to the concept model and record how terms relate.")
    ev = evidence(ctx, unmapped or terms)
    if not unmapped and linked:
        return ctx.met(reason, ev)
    if done / len(terms) >= ctx.threshold("b6a_min_share"):
        return ctx.partly_met(reason, step, ev, share=done / len(terms))
    return ctx.not_met(reason, step, ev)


@rule("B6.b", title=_("The glossary is agreed, shared and maintained"),
      thresholds={"b6b_min_agreed": 0.8, "b6b_fresh_days": 365})
def glossary(ctx: Context) -> Result:
    terms = list(of_city(GlossaryTerm, ctx))
    if not terms:
        return ctx.not_met(_("The city has no glossary."), _("Agree a shared glossary of key terms."))
    agreed = [t for t in terms if t.status == "agreed"]
    last = max(t.updated_at for t in terms).date()
    days = int(ctx.threshold("b6b_fresh_days"))
    return checks(ctx, [
        (len(agreed) / len(terms) >= ctx.threshold("b6b_min_agreed"),
         _("at least %(p)d%% of terms agreed (%(done)d of %(total)d)")
         % {"p": round(100 * ctx.threshold("b6b_min_agreed")), "done": len(agreed), "total": len(terms)}),
        ((ctx.on_date - last).days <= days, _("an update in the last %(d)d days (last: %(date)s)")
         % {"d": days, "date": last.isoformat()}),
    ], met=_("%(done)d of %(total)d terms agreed; last updated %(date)s.")
        % {"done": len(agreed), "total": len(terms), "date": last.isoformat()},
        next_step=_("Agree the proposed terms with the partners and review the glossary regularly."),
        records=[t for t in terms if t.status != "agreed"] or terms)


# --- B7: roadmap -----------------------------------------------------------------------------


@rule("B7.a", title=_("A phased roadmap with the planning workstreams"), thresholds={"b7a_min_share": 0.5})
def phased_roadmap(ctx: Context) -> Result:
    phases = list(of_city(RoadmapPhase, ctx))
    kinds = set(of_city(Workstream, ctx).values_list("kind", flat=True))
    missing = [str(label) for value, label in choices.Phase.choices if value not in {p.phase for p in phases}]
    missing += [str(label) for value, label in choices.WorkstreamKind.choices
                if value in PLAN_WORKSTREAMS and value not in kinds]
    total = len(choices.Phase) + len(PLAN_WORKSTREAMS)
    return ctx.share(
        total - len(missing), total, minimum=ctx.threshold("b7a_min_share"), evidence=evidence(ctx, phases),
        reason=(_("%(done)d of %(total)d phases and planning workstreams are on the roadmap; missing: %(names)s.")
                % {"done": total - len(missing), "total": total, "names": ", ".join(missing)}) if missing
        else _("All five phases and the planning workstreams are on the roadmap."),
        next_step=_("Add the missing phases and workstreams to the roadmap."))


@rule("B7.b", title=_("Quick wins are agreed with interested parties"), thresholds={"b7b_min_quick_wins": 2})
def quick_wins_agreed(ctx: Context) -> Result:
    agreed = list(of_city(Initiative, ctx).filter(quick_win_agreed=True).exclude(status="cancelled"))
    minimum = int(ctx.threshold("b7b_min_quick_wins"))
    reason = _("%(n)d quick wins are agreed with interested parties%(names)s.") % {
        "n": len(agreed), "names": (": " + names(agreed)) if agreed else ""}
    step = _("Agree quick wins with the interested parties and mark them on the roadmap.")
    if len(agreed) >= minimum:
        return ctx.met(reason, evidence(ctx, agreed))
    if agreed:
        return ctx.partly_met(reason, step, evidence(ctx, agreed), share=len(agreed) / minimum)
    return ctx.not_met(reason, step)


@rule("B7.c", title=_("Quick, cheap, low-risk changes come first"),
      thresholds={"b7c_top": 5, "b7c_min_share": 0.5})
def quick_cheap_first(ctx: Context) -> Result:
    """The best-scoring quick-win candidates (roadmap quick-win score) are approved, under way or done."""
    items = [i for i in of_city(Initiative, ctx).exclude(status="cancelled")
             if i.quick_win_agreed or i.months_to_deliver <= QUICK_MONTHS]
    if not items:
        return ctx.not_met(_("No initiative is quick enough to be a quick win."),
                           _("Look for changes that are quick, cheap and low-risk and put them on the roadmap."))
    top_cost = max(i.cost for i in items)
    items.sort(key=lambda i: (-quick_win_score(i.cost, i.risk, i.months_to_deliver, top_cost), i.title.casefold()))
    top = items[:int(ctx.threshold("b7c_top"))]
    waiting = [i for i in top if i.status not in STARTED]
    return ctx.share(
        len(top) - len(waiting), len(top), minimum=ctx.threshold("b7c_min_share"),
        evidence=evidence(ctx, waiting or top),
        reason=(_("%(short)d of the %(total)d best quick-win candidates have not started: %(names)s.")
                % {"short": len(waiting), "total": len(top), "names": names(waiting)}) if waiting
        else _("The %(n)d best quick-win candidates are approved, under way or done.") % {"n": len(top)},
        next_step=_("Approve and start these quick, low-cost, low-risk changes first."))


@rule("B7.d", title=_("Early users' experience improves the services and drives take-up"),
      thresholds={"b7d_window_days": 365}, attestable=True)
def learn_from_users(ctx: Context) -> Result:
    start = since(ctx, ctx.threshold("b7d_window_days"))
    heard = list(of_city(EngagementActivity, ctx).filter(kind__in=RESEARCH_KINDS, date__gte=start,
                                                         date__lte=ctx.on_date).exclude(outcome=""))
    delivered = list(of_city(Initiative, ctx).filter(status="completed")) + \
        list(of_city(Project, ctx).filter(status="completed"))
    return checks(ctx, [
        (bool(delivered), _("something delivered that users can try")),
        (bool(heard), _("user research with a recorded outcome in the last %(d)s days")
         % {"d": ctx.threshold("b7d_window_days")}),
    ], met=_("%(d)d deliveries and %(h)d recent user research activities with recorded outcomes.")
        % {"d": len(delivered), "h": len(heard)},
        next_step=_("Ask early users what works, record what changes, and act on it to raise take-up."),
        records=[*heard, *delivered[:10]])


@rule("B7.e", title=_("Early adopters and champions carry the roadmap, with independent reviews"),
      thresholds={"b7e_min_share": 0.5}, attestable=True)
def champions_and_reviews(ctx: Context) -> Result:
    live = list(of_city(Initiative, ctx).filter(status__in=("approved", "in_progress", "completed")))
    named = [i for i in live if i.early_adopters.strip()]
    due = list(of_city(Checkpoint, ctx).filter(date__lte=ctx.on_date))
    unreviewed = [c for c in due if c.result == "pending" or not c.reviewer]
    share = len(named) / len(live) if live else 0
    return checks(ctx, [
        (share >= ctx.threshold("b7e_min_share"), _("champions named for at least %(p)d%% of live initiatives "
                                                    "(%(done)d of %(total)d)")
         % {"p": round(100 * ctx.threshold("b7e_min_share")), "done": len(named), "total": len(live)}),
        (bool(due) and not unreviewed, _("an independent review at every past checkpoint%(who)s")
         % {"who": (" (" + names(unreviewed) + ")") if unreviewed else ""}),
    ], met=_("%(n)d initiatives name early adopters or champions; %(c)d checkpoints reviewed independently.")
        % {"n": len(named), "c": len(due)},
        next_step=_("Name early adopters and champions for each initiative and have each checkpoint reviewed."),
        records=[*unreviewed, *named[:10]])
