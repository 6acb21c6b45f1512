"""The risk register (D.1): each risk tied to the benefit-map nodes it threatens (C3.c)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityline.benefits.models import BenefitNode
from cityline.core.models import CityRecord, KeyedRecord, Person
from cityline.strategy.models import Checkpoint

from . import choices
from .domain import register

RATING = [MinValueValidator(1), MaxValueValidator(5)]
RATING_LABELS = {"low": _("Low"), "medium": _("Medium"), "high": _("High"), "critical": _("Critical")}


class Risk(KeyedRecord):
    """A key risk to the programme, with cause, effect, rating, owner and review dates (D.1)."""

    title = models.CharField(_("title"), max_length=200)
    cause = models.TextField(_("cause"))
    effect = models.TextField(_("effect"))
    area = models.CharField(_("area"), max_length=20, choices=choices.RiskArea.choices)
    nature = models.CharField(_("nature"), max_length=20, choices=choices.RiskNature.choices)
    likelihood = models.PositiveSmallIntegerField(_("likelihood (1–5)"), validators=RATING)
    impact = models.PositiveSmallIntegerField(_("impact (1–5)"), validators=RATING)
    owner = models.ForeignKey(Person, on_delete=models.RESTRICT, related_name="risks", verbose_name=_("owner"))
    status = models.CharField(_("status"), max_length=20, choices=choices.RiskStatus.choices, default="open")
    last_reviewed = models.DateField(_("last reviewed"), null=True, blank=True)
    next_review = models.DateField(_("next review"), null=True, blank=True)
    threatens = models.ManyToManyField(
        BenefitNode, blank=True, related_name="risks", verbose_name=_("threatens"),
        help_text=_("The outputs and outcomes of the benefit map this risk puts in danger (C3.c)."),
    )
    reviewed_at = models.ManyToManyField(
        Checkpoint, blank=True, related_name="risks_reviewed", verbose_name=_("reviewed at checkpoints"),
        help_text=_("Roadmap checkpoints whose independent review looked at this risk (B7, D.1)."),
    )

    class Meta(KeyedRecord.Meta):
        ordering = ["key"]
        verbose_name = _("risk")
        verbose_name_plural = _("risks")

    def __str__(self) -> str:
        return self.title

    @property
    def score(self) -> int:
        return register.score(self.likelihood, self.impact)

    @property
    def rating(self) -> str:
        return register.rating(self.score)

    @property
    def rating_label(self) -> str:
        return str(RATING_LABELS[self.rating])

    def clean(self) -> None:
        super().clean()
        if self.last_reviewed and self.next_review and self.next_review < self.last_reviewed:
            raise ValidationError({"next_review": _("cannot be before the last review")})


class RiskResponse(CityRecord):
    """One response to a risk with what it costs, so owners can weigh alternatives (C3.c)."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="responses", verbose_name=_("risk"))
    kind = models.CharField(_("kind"), max_length=20, choices=choices.ResponseKind.choices)
    description = models.TextField(_("description"))
    cost = models.DecimalField(_("cost"), max_digits=14, decimal_places=2, default=Decimal("0"),
                               validators=[MinValueValidator(Decimal("0"))])
    status = models.CharField(_("status"), max_length=20, choices=choices.ResponseStatus.choices,
                              default="proposed")
    due_date = models.DateField(_("due"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["risk", "order"]
        verbose_name = _("risk response")
        verbose_name_plural = _("risk responses")
        constraints = [models.UniqueConstraint(fields=["risk", "order"], name="risks_response_order_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description[:60]}"
