"""Assessment rules for B12–B14 digital and physical resource management.

B12.a–c read each development project's smart-delivery checklist
(:mod:`cityline.developments.domain.checklist`, whose items are named after B12.a, b and
c) and the cross-infrastructure view (:mod:`cityline.developments.domain.cross_infrastructure`).
An item *done* or *planned* counts as built into the project; *missing* does not; a
project for which every item of a recommendation is *not applicable* is left out of it.

B14 reads the architecture (building blocks, adopted standards, migration plan) and the
findings of :func:`cityline.architecture.services.findings`.

B13 reads the register of IT and data assets of the open data platform
(:mod:`cityline.opendata`); a city without a register falls back on the building blocks of
the architecture (partly met at most). It still accepts an attestation.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityline.architecture import services as arch
from cityline.architecture.models import BuildingBlock, MigrationStep, Standard
from cityline.developments import services as dev
from cityline.developments.domain import checklist
from cityline.strategy.models import Workstream

from ..registry import Context, Result, rule
from .service import evidence_of, names

IN_PLAN = ("done", "planned")


def project_items(project, recommendation: str) -> list[tuple[str, str]]:
    """(item, status) of the checklist items serving ``recommendation`` that apply to the project."""
    statuses = project.checklist_statuses()
    return [(item, checklist.status_of(statuses, item)) for item, rec in checklist.ITEMS
            if rec == recommendation and checklist.status_of(statuses, item) != "not_applicable"]


def checklist_rule(ctx: Context, recommendation: str, threshold: str, extra=None) -> tuple[list, list, list]:
    """(projects assessed, projects short, names of missing items) for one part of B12.

    ``extra(project)`` may add what else a project needs (a list of missing things).
    """
    projects = dev.projects(ctx.city)
    assessed, short, missing = [], [], []
    for p in projects:
        items = project_items(p, recommendation)
        if not items:
            continue
        assessed.append(p)
        gaps = [item for item, status in items if status not in IN_PLAN] + (extra(p) if extra else [])
        if gaps:
            short.append(p)
            missing.append(f"{p.key}: {', '.join(gaps)}")
    return assessed, short, missing


def checklist_result(ctx: Context, rec: str, threshold: str, assessed, short, missing, reason, next_step,
                     note: str = "") -> Result:
    if not assessed:
        return ctx.not_met(_("%(rec)s: no development project has a checklist item of %(rec)s that applies.")
                           % {"rec": rec},
                           _("Record the city's development and infrastructure projects with their smart-delivery "
                             "checklist."))
    return ctx.share(
        len(assessed) - len(short), len(assessed), minimum=ctx.threshold(threshold),
        evidence=evidence_of(ctx, short or assessed),
        reason=(reason % {"ok": len(assessed) - len(short), "n": len(assessed),
                          "missing": "; ".join(missing[:5]) + (" …" if len(missing) > 5 else "") or "—"}) + note,
        next_step=next_step)


@rule("B12.a", title=_("Developments are planned smart from the outset, each with its own roadmap and risks"),
      thresholds={"b12a_min_share": 0.5}, effort="high")
def smart_from_outset(ctx: Context) -> Result:
    """B12.a: ducting, sensors and a data-sharing protocol are done or planned, and the project has roadmap
    initiatives and managed risks (B12: a project-level roadmap and risk management)."""
    def roadmap_and_risks(p) -> list[str]:
        return ([] if p.initiatives.all() else ["roadmap"]) + ([] if p.risks.all() else ["risks"])

    found = checklist_rule(ctx, "B12.a", "b12a_min_share", roadmap_and_risks)
    return checklist_result(
        ctx, "B12.a", "b12a_min_share", *found,
        _("B12.a: %(ok)d of %(n)d projects build ducting, sensors and data sharing into their plans and have a "
          "roadmap and risks of their own; missing: %(missing)s."),
        _("Add the missing items to these projects' plans at design stage and record their roadmap initiatives "
          "and risks."))


@rule("B12.b", title=_("Projects are seen together across energy, water, waste, telecoms and transport"),
      thresholds={"b12b_min_share": 0.5})
def holistic_view(ctx: Context) -> Result:
    """B12.b: a common assessment and a joint sensor network are done or planned. The reason adds what the
    cross-infrastructure view finds (works in the same place at the same time on different infrastructures);
    projects without dates keep the rule from being met, as the view cannot place them."""
    projects = dev.projects(ctx.city)
    view = dev.view_of(projects)
    crossing = [pair for pair in view.pairs if pair.cross_infrastructure]
    assessed, short, missing = checklist_rule(ctx, "B12.b", "b12b_min_share")
    result = checklist_result(
        ctx, "B12.b", "b12b_min_share", assessed, short, missing,
        _("B12.b: %(ok)d of %(n)d projects have a common assessment across infrastructures and a joint sensor "
          "network in their plans; missing: %(missing)s."),
        _("Assess these projects together with the other infrastructures in the same place and time, and plan "
          "shared sensors; give every project its dates."),
        " " + str(_("The cross-infrastructure view finds %(pairs)d opportunity(ies) to share works across "
                    "infrastructures; %(undated)d project(s) have no dates, so the view cannot place them.")
                  % {"pairs": len(crossing), "undated": len(view.undated)}))
    if result.outcome == "met" and view.undated:
        return ctx.partly_met(result.reason, _("Give every project its start and end dates, so the "
                                               "cross-infrastructure view can coordinate it."),
                              result.evidence, share=1.0)
    return result


@rule("B12.c", title=_("Projects build partnerships and business models and buy smartly"),
      thresholds={"b12c_min_share": 0.5})
def partnerships(ctx: Context) -> Result:
    """B12.c: a partnership and business model and smart procurement (B4) are done or planned; a
    partnership item done or planned needs a partner organisation recorded on the project."""
    def partners(p) -> list[str]:
        status = checklist.status_of(p.checklist_statuses(), "partnership")
        return ["partners"] if status in IN_PLAN and not p.partners.all() else []

    found = checklist_rule(ctx, "B12.c", "b12c_min_share", partners)
    return checklist_result(
        ctx, "B12.c", "b12c_min_share", *found,
        _("B12.c: %(ok)d of %(n)d projects have a partnership and business model and smart procurement in their "
          "plans; missing: %(missing)s."),
        _("Agree partners and a business model for these projects and buy them the smart way (B4)."))


# --- B13 ----------------------------------------------------------------------------------------


@rule("B13", title=_("The city's major IT and data resources are mapped and governed as shared assets"),
      thresholds={"b13_min_share": 0.8}, attestable=True, effort="high")
def it_and_data_assets(ctx: Context) -> Result:
    """B13: the register of IT and data assets (cityline.opendata): every asset has an owner, a reuse
    potential (valued, so the most reusable come first), a reuse policy and a domain (identifiable across
    ownership domains), and the register covers IoT devices. Met when every asset passes every test and
    the register has an IoT fleet; partly met from ``b13_min_share`` of the assets. Without a register, the
    building blocks of the architecture and IT-asset workstreams are the evidence (partly met at most)."""
    from cityline.opendata.models import DataAsset

    assets = list(DataAsset.objects.filter(city=ctx.city).order_by("key"))
    if not assets:
        return _b13_without_register(ctx)
    incomplete = [a for a in assets if not (a.owner_id and a.reuse_potential and a.reuse_policy.strip()
                                            and a.domain.strip())]
    iot = [a for a in assets if a.asset_type == "iot_fleet"]
    done = len(assets) - len(incomplete) + (1 if iot else 0)
    total = len(assets) + 1
    return ctx.share(
        done, total, minimum=ctx.threshold("b13_min_share"),
        evidence=evidence_of(ctx, incomplete or assets),
        reason=_("B13: %(n)d assets in the register, %(c)d with an owner, a reuse potential, a reuse policy and a "
                 "domain (incomplete: %(keys)s); %(i)d IoT device fleet(s); %(p)d hold personal data.")
        % {"n": len(assets), "c": len(assets) - len(incomplete), "keys": names(a.key for a in incomplete) or "—",
           "i": len(iot), "p": sum(1 for a in assets if a.personal_data)},
        next_step=_("Give every asset an owner, a reuse potential, a reuse policy and a domain, and register the "
                    "IoT device fleets and the data they produce."))


def _b13_without_register(ctx: Context) -> Result:
    blocks = list(BuildingBlock.objects.filter(city=ctx.city).exclude(lifecycle="retired")
                  .prefetch_related("used_by_organisations", "used_by_services").order_by("key"))
    streams = list(Workstream.objects.filter(city=ctx.city, kind="it_assets").order_by("key"))
    if not blocks and not streams:
        return ctx.not_met(_("B13: no IT or data resource is recorded: no asset register, no building block and "
                             "no IT-asset workstream."),
                           _("Map the city's major IT and data resources in the asset register, starting with the "
                             "building blocks of the architecture, and give each an owner."))
    owned = [b for b in blocks if b.owner_id]
    shared = [b for b in blocks if b.reuse_count >= 2]
    return ctx.partly_met(
        _("B13: the asset register is empty; %(n)d building block(s) are recorded, %(o)d with an owner and %(s)d "
          "used by two or more services or organisations, and %(w)d IT-asset workstream(s).")
        % {"n": len(blocks), "o": len(owned), "s": len(shared), "w": len(streams)},
        _("Record the city's IT and data assets, IoT device fleets included, in the asset register, each with "
          "an owner, a reuse potential and a reuse policy."),
        evidence_of(ctx, streams + blocks), share=len(owned) / len(blocks) if blocks else None)


# --- B14 ----------------------------------------------------------------------------------------


@rule("B14", title=_("An open, service-oriented architecture blueprint and a phased migration plan are agreed"),
      effort="high")
def open_architecture(ctx: Context) -> Result:
    """B14: the blueprint is the building blocks; met when standards are adopted, a migration plan exists and
    the architecture checks find nothing (owners, contracts, unused standards, legacy without migration, plan
    order and dates)."""
    blocks = list(BuildingBlock.objects.filter(city=ctx.city).exclude(lifecycle="retired").order_by("key"))
    if not blocks:
        return ctx.not_met(_("B14: the architecture blueprint has no building block."),
                           _("Describe the city-wide architecture as building blocks with owners, service contracts "
                             "and the open standards they use."))
    adopted = Standard.objects.filter(city=ctx.city, status="adopted").count()
    steps = MigrationStep.objects.filter(city=ctx.city).exclude(status="cancelled").count()
    findings = arch.findings(ctx.city)
    flagged = {k for f in findings for k in f.records}
    records = [*BuildingBlock.objects.filter(city=ctx.city, key__in=flagged).order_by("key"),
               *Standard.objects.filter(city=ctx.city, key__in=flagged).order_by("key"),
               *MigrationStep.objects.filter(city=ctx.city, key__in=flagged).order_by("key")]
    gaps = ([str(_("no adopted standard"))] if not adopted else []) + \
           ([str(_("no migration plan"))] if not steps else [])
    reason = (_("B14: %(b)d building blocks, %(s)d adopted standard(s), %(m)d migration step(s); the architecture "
                "checks find %(f)d problem(s)%(gaps)s: %(list)s.")
              % {"b": len(blocks), "s": adopted, "m": steps, "f": len(findings),
                 "gaps": ("; " + ", ".join(gaps)) if gaps else "",
                 "list": names([f.message for f in findings], 3) or "—"})
    if not findings and not gaps:
        return ctx.met(reason, evidence_of(ctx, blocks))
    return ctx.partly_met(reason, _("Fix what the architecture checks find: owners, service contracts, unused "
                                    "standards and the migration of legacy blocks; adopt open standards and plan "
                                    "the migration by roadmap phase."),
                          evidence_of(ctx, records or blocks))
