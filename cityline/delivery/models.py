"""Benefit realisation plans (C3.b): per outcome, the activities that deliver it, with dates, priority and dependencies.

A plan belongs to one intermediate or end outcome of the benefit map and is owned by
a person (by default the outcome's benefit owner, C3.a). Its activities wait for
other activities of the same city; those dependencies must never loop. The loop
check runs when the dependency set changes (whichever way it is written: editor,
API, pack import), so a refused change is a field error on ``depends_on`` and nothing
is stored.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from cityline.benefits.models import BenefitNode
from cityline.core.models import KeyedRecord, Person

from . import choices
from .domain import plans

OUTCOME_KINDS = ("intermediate_outcome", "end_outcome")


class RealisationPlan(KeyedRecord):
    """How one outcome of the benefit map will be realised, who owns the plan and when it was last reviewed (C3.b)."""

    benefit = models.OneToOneField(
        BenefitNode, on_delete=models.RESTRICT, related_name="realisation_plan", verbose_name=_("benefit"),
        help_text=_("The intermediate or end outcome this plan realises."),
    )
    owner = models.ForeignKey(
        Person, on_delete=models.RESTRICT, null=True, blank=True, related_name="realisation_plans",
        verbose_name=_("owner"), help_text=_("Who answers for the plan; left empty, the benefit owner (C3.a)."),
    )
    summary = models.TextField(_("summary"), blank=True)
    last_reviewed = models.DateField(_("last reviewed"), null=True, blank=True)
    review_every_days = models.PositiveSmallIntegerField(
        _("review every (days)"), default=plans.DEFAULT_REVIEW_DAYS, validators=[MinValueValidator(1)],
        help_text=_("How often the owner reviews the plan; after that the review is overdue."),
    )

    class Meta(KeyedRecord.Meta):
        ordering = ["key"]
        verbose_name = _("realisation plan")
        verbose_name_plural = _("realisation plans")

    def __str__(self) -> str:
        if self.benefit_id is None:
            return self.key
        return str(_("Plan for %(benefit)s") % {"benefit": self.benefit.title})

    def clean(self) -> None:
        super().clean()
        if self.benefit_id is not None:
            if self.benefit.kind not in OUTCOME_KINDS:
                raise ValidationError({"benefit": _("a realisation plan is for an intermediate or end outcome")})
            if self.owner_id is None and self.benefit.benefit_owner_id is not None:
                self.owner = self.benefit.benefit_owner

    def next_review(self) -> date | None:
        return plans.next_review(self.last_reviewed, self.review_every_days)

    def review_overdue(self, on_date: date) -> bool:
        return plans.review_overdue(self.last_reviewed, self.review_every_days, on_date)


class PlanActivity(KeyedRecord):
    """One activity of a realisation plan: dates, status, priority, and the activities it waits for (C3.b)."""

    plan = models.ForeignKey(RealisationPlan, on_delete=models.CASCADE, related_name="activities",
                             verbose_name=_("plan"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        Person, on_delete=models.RESTRICT, null=True, blank=True, related_name="plan_activities",
        verbose_name=_("owner"), help_text=_("Who does it; left empty, the plan's owner."),
    )
    start = models.DateField(_("start"), null=True, blank=True)
    due = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=choices.ActivityStatus.choices,
                              default=choices.ActivityStatus.PLANNED)
    priority = models.CharField(_("priority"), max_length=10, choices=choices.Priority.choices,
                                default=choices.Priority.MEDIUM)
    depends_on = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="required_by", verbose_name=_("depends on"),
        help_text=_("Activities of this city that must finish first; dependencies cannot loop."),
    )
    advances = models.ForeignKey(
        BenefitNode, on_delete=models.SET_NULL, null=True, blank=True, related_name="advancing_activities",
        verbose_name=_("advances"), help_text=_("The benefit-map node this activity moves forward, if any."),
    )

    class Meta(KeyedRecord.Meta):
        ordering = ["key"]
        verbose_name = _("plan activity")
        verbose_name_plural = _("plan activities")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.start and self.due and self.due < self.start:
            raise ValidationError({"due": _("cannot be before the start")})

    @property
    def is_open(self) -> bool:
        return self.status not in plans.CLOSED

    def as_plain(self, depends_on: list[str] | None = None) -> plans.Activity:
        """The activity as the plain data the rules of :mod:`.domain.plans` take."""
        if depends_on is None:
            depends_on = [d.key for d in self.depends_on.all()]
        return plans.Activity(self.key, self.title, self.status, self.priority, self.start, self.due,
                              tuple(sorted(depends_on)))


def dependency_graph(city_id: int) -> dict[str, list[str]]:
    """``{activity key: keys it depends on}`` for every activity of a city."""
    graph: dict[str, list[str]] = {
        k: [] for k in PlanActivity.objects.filter(city_id=city_id).values_list("key", flat=True)}
    through = PlanActivity.depends_on.through.objects.filter(from_planactivity__city_id=city_id)
    for src, dst in through.values_list("from_planactivity__key", "to_planactivity__key"):
        graph.setdefault(src, []).append(dst)
    return graph


def check_dependencies(activity: PlanActivity, targets: list[PlanActivity]) -> None:
    """Refuse a dependency set that crosses cities, names the activity itself, or closes a loop."""
    if any(t.pk == activity.pk for t in targets):
        raise ValidationError({"depends_on": _("an activity cannot depend on itself")})
    if any(t.city_id != activity.city_id for t in targets):
        raise ValidationError({"depends_on": _("must belong to the same city")})
    cycle = plans.cycle_with(dependency_graph(activity.city_id), activity.key, [t.key for t in targets])
    if cycle:
        raise ValidationError({"depends_on": _("these dependencies would loop: %(cycle)s")
                               % {"cycle": " → ".join(cycle)}})


@receiver(m2m_changed, sender=PlanActivity.depends_on.through)
def _dependencies_change(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """Check every addition of dependencies before it is stored (inside the caller's transaction)."""
    if action != "pre_add" or not pk_set:
        return
    if reverse:
        # ``instance`` becomes a dependency of each activity in pk_set
        for follower in PlanActivity.objects.filter(pk__in=pk_set):
            check_dependencies(follower, [*follower.depends_on.all(), instance])
        return
    added = list(PlanActivity.objects.filter(pk__in=pk_set))
    current = [a for a in instance.depends_on.all() if a.pk not in pk_set]
    check_dependencies(instance, current + added)
