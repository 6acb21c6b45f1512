"""Assessment rules for A: the delivery principles, agreed with interested parties.

A.1.1–A.1.4 each look at one group of principles (visionary, citizen-centric, digital,
open and collaborative): the group must hold at least one principle, and each principle
counts once enough organisations have agreed it. A.2 asks that the four reference groups
are all used as the starting point.
"""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from cityline.strategy.choices import PrincipleGroup
from cityline.strategy.models import Principle

from ..registry import Context, Result, rule


def names(records, limit: int = 5) -> str:
    """A short list of records for a reason: the first ``limit`` names, then "…"."""
    items = [str(r) for r in records]
    shown = ", ".join(items[:limit])
    return shown + (" …" if len(items) > limit else "")


def principle_group(ctx: Context, group: str, threshold: str) -> Result:
    """A.1.x: share of the group's principles agreed by at least ``threshold`` organisations."""
    minimum = int(ctx.threshold(threshold))
    principles = list(Principle.objects.filter(city=ctx.city, group=group)
                      .annotate(n=Count("agreements")).order_by("order", "title"))
    label = str(PrincipleGroup(group).label).lower()
    if not principles:
        return ctx.not_met(
            _("The city has no %(group)s delivery principle.") % {"group": label},
            _("Write the city's %(group)s principles and have the interested parties agree them.") % {"group": label})
    short = [p for p in principles if p.n < minimum]
    evidence = [ctx.evidence(p) for p in short or principles]
    if not short:
        return ctx.met(_("All %(n)d %(group)s principles are agreed by at least %(min)d organisations.")
                       % {"n": len(principles), "group": label, "min": minimum}, evidence)
    return ctx.share(
        len(principles) - len(short), len(principles), minimum=0.5, evidence=evidence,
        reason=_("%(short)d of %(total)d %(group)s principles are agreed by fewer than %(min)d organisations: "
                 "%(names)s.") % {"short": len(short), "total": len(principles), "group": label, "min": minimum,
                                  "names": names(short)},
        next_step=_("Ask the interested parties to agree these principles and record their agreement."))


@rule("A.1.1", title=_("Visionary principles are agreed with interested parties"),
      thresholds={"a1_1_min_agreements": 2})
def visionary_principles(ctx: Context) -> Result:
    return principle_group(ctx, PrincipleGroup.VISIONARY, "a1_1_min_agreements")


@rule("A.1.2", title=_("Citizen-centric principles are agreed with interested parties"),
      thresholds={"a1_2_min_agreements": 2})
def citizen_centric_principles(ctx: Context) -> Result:
    return principle_group(ctx, PrincipleGroup.CITIZEN_CENTRIC, "a1_2_min_agreements")


@rule("A.1.3", title=_("Digital principles are agreed with interested parties"),
      thresholds={"a1_3_min_agreements": 2})
def digital_principles(ctx: Context) -> Result:
    return principle_group(ctx, PrincipleGroup.DIGITAL, "a1_3_min_agreements")


@rule("A.1.4", title=_("Open and collaborative principles are agreed with interested parties"),
      thresholds={"a1_4_min_agreements": 2})
def open_principles(ctx: Context) -> Result:
    return principle_group(ctx, PrincipleGroup.OPEN_COLLABORATIVE, "a1_4_min_agreements")


@rule("A.2", title=_("The principles start from the four reference groups"), attestable=True)
def reference_groups(ctx: Context) -> Result:
    """Every reference group holds at least one principle; that they were the starting point needs attesting."""
    principles = list(Principle.objects.filter(city=ctx.city))
    used = {p.group for p in principles}
    missing = [g.label for g in PrincipleGroup if g.value not in used]
    evidence = [ctx.evidence(p) for p in principles]
    if not missing:
        return ctx.met(_("The %(n)d principles cover all four reference groups.") % {"n": len(principles)},
                       evidence)
    done = len(PrincipleGroup) - len(missing)
    return ctx.share(
        done, len(PrincipleGroup), minimum=0.5, evidence=evidence,
        reason=_("%(done)d of 4 reference groups hold a principle; missing: %(missing)s.")
        % {"done": done, "missing": ", ".join(str(m) for m in missing)},
        next_step=_("Start from the reference principles of the missing groups and adapt them to the city."))
