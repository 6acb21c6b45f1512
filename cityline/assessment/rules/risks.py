"""Assessment rules for D key risks.

D.1 reads the register summary of :func:`cityline.risks.services.register_summary`
(scores, what each risk endangers, overdue reviews) and the roadmap checkpoints whose
independent review looked at risks.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityline.risks.models import Risk
from cityline.risks.services import register_summary
from cityline.strategy.models import Checkpoint

from ..registry import Context, Result, rule
from .service import evidence_of, names

LIVE = ("open", "mitigating")
CHANGE = ("business_change", "cultural_change")
AREAS = ("strategy", "service", "resource")


@rule("D.1", title=_("The key risks are identified, tracked and independently reviewed"),
      thresholds={"d1_min_share": 0.6, "d1_min_change_share": 0.5})
def key_risks(ctx: Context) -> Result:
    """D.1: five tests on the live risks — at least ``d1_min_change_share`` of them are business or cultural
    change; they cover strategy, service and resource management; no review is overdue; they are tied to the
    benefit-map nodes they threaten (C3.c); and a roadmap checkpoint with a result reviewed some of them.
    Met when all five pass, partly met from ``d1_min_share`` of them."""
    summary = register_summary(ctx.city, ctx.on_date)
    live = [r for r in summary["risks"] if r["status"] in LIVE]
    if not live:
        return ctx.not_met(_("D.1: the risk register has no live risk."),
                           _("Identify the key risks to the strategy, mostly business and cultural change, with "
                             "owners, ratings and review dates."))
    change = [r for r in live if r["nature"] in CHANGE]
    areas = {r["area"] for r in live}
    overdue = summary["overdue_reviews"]
    untied = [r for r in live if not r["threatens"]]
    checkpoints = list(Checkpoint.objects.filter(city=ctx.city, risks_reviewed__isnull=False)
                       .exclude(result="pending").distinct().order_by("date"))
    failed = []
    if len(change) / len(live) < float(ctx.threshold("d1_min_change_share")):
        failed.append(str(_("too few business or cultural change risks")))
    if not set(AREAS) <= areas:
        failed.append(str(_("no risk in %(areas)s") % {"areas": ", ".join(sorted(set(AREAS) - areas))}))
    if overdue:
        failed.append(str(_("overdue reviews: %(keys)s") % {"keys": names(overdue)}))
    if untied:
        failed.append(str(_("not tied to the benefit map: %(keys)s") % {"keys": names(r["key"] for r in untied)}))
    if not checkpoints:
        failed.append(str(_("no checkpoint review looked at the risks")))
    flagged = set(overdue) | {r["key"] for r in untied}
    records = list(Risk.objects.filter(city=ctx.city, key__in=flagged).order_by("key")) if flagged else []
    return ctx.share(
        5 - len(failed), 5, minimum=ctx.threshold("d1_min_share"),
        evidence=evidence_of(ctx, records + checkpoints[-2:]
                             or list(Risk.objects.filter(city=ctx.city, status__in=LIVE).order_by("key"))),
        reason=_("D.1: %(n)d live risks, %(c)d of them business or cultural change, across %(a)d of 3 areas; "
                 "%(o)d review(s) overdue; %(k)d checkpoint review(s) looked at risks. %(passed)d of 5 tests "
                 "pass%(gaps)s.")
        % {"n": len(live), "c": len(change), "a": len(areas & set(AREAS)), "o": len(overdue),
           "k": len(checkpoints), "passed": 5 - len(failed), "gaps": (": " + "; ".join(failed)) if failed else ""},
        next_step=_("Review the overdue risks, tie each to what it threatens, cover business and cultural change "
                    "in every area, and have the checkpoint reviewer look at them."))
