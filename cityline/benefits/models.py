"""The benefit map (C1): a directed graph per city from investments to strategic purposes.

Nodes are investments and activities, outputs (enablers or governance changes),
intermediate outcomes, end outcomes and the ISO 37101 purposes; links carry the
theory of change that connects them and how well it is evidenced. The analysis of
the map (line of sight, roll-ups) lives in ``cityline.benefits.domain``.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityline.core.models import CityRecord, KeyedRecord, Person
from cityline.strategy.choices import Purpose
from cityline.strategy.models import Initiative, Project

from . import choices


class BenefitNode(KeyedRecord):
    """One node of the benefit map (C1)."""

    kind = models.CharField(_("kind"), max_length=30, choices=choices.NodeKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    output_type = models.CharField(
        _("output type"), max_length=20, choices=choices.OutputType.choices, blank=True,
        help_text=_("Outputs only: an enabler delivers no benefit unless a governance change follows it (C1)."),
    )
    governance_change = models.CharField(
        _("governance change"), max_length=30, choices=choices.GovernanceChange.choices, blank=True,
        help_text=_("Governance-change outputs: which of the six changes of a smart city operating model."),
    )
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=Purpose.choices, blank=True,
        help_text=_("Purpose nodes only: the ISO 37101 purpose this node stands for."),
    )
    cost = models.DecimalField(
        _("cost"), max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))], help_text=_("Investments only."),
    )
    benefit_owner = models.ForeignKey(
        Person, on_delete=models.RESTRICT, null=True, blank=True, related_name="owned_benefits",
        verbose_name=_("benefit owner"), help_text=_("End outcomes: the senior, empowered owner (C3.a)."),
    )
    initiatives = models.ManyToManyField(
        Initiative, blank=True, related_name="benefit_nodes", verbose_name=_("roadmap initiatives"),
    )
    projects = models.ManyToManyField(Project, blank=True, related_name="benefit_nodes", verbose_name=_("projects"))

    class Meta(KeyedRecord.Meta):
        ordering = ["kind", "title"]
        verbose_name = _("benefit map node")
        verbose_name_plural = _("benefit map nodes")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        kind = choices.NodeKind
        problems: dict[str, str] = {}
        if self.kind == kind.OUTPUT and not self.output_type:
            problems["output_type"] = _("an output is an enabler or a governance change")
        if self.kind != kind.OUTPUT and (self.output_type or self.governance_change):
            problems["output_type"] = _("only outputs have an output type")
        if self.governance_change and self.output_type != choices.OutputType.GOVERNANCE_CHANGE:
            problems["governance_change"] = _("only governance-change outputs name a governance change")
        if (self.kind == kind.PURPOSE) != bool(self.purpose):
            problems["purpose"] = _("a purpose node names its ISO 37101 purpose, and only purpose nodes do")
        if self.cost is not None and self.kind != kind.INVESTMENT:
            problems["cost"] = _("only investments carry a cost")
        if self.benefit_owner_id and self.kind not in (kind.END_OUTCOME, kind.INTERMEDIATE_OUTCOME):
            problems["benefit_owner"] = _("benefit owners own outcomes")
        if problems:
            raise ValidationError(problems)


class BenefitLink(CityRecord):
    """A link of the benefit map: the source contributes to the target, for a stated reason (C1)."""

    source = models.ForeignKey(BenefitNode, on_delete=models.CASCADE, related_name="links_out",
                               verbose_name=_("from"))
    target = models.ForeignKey(BenefitNode, on_delete=models.CASCADE, related_name="links_in",
                               verbose_name=_("to"))
    weight = models.DecimalField(
        _("weight"), max_digits=8, decimal_places=4, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Share of the source's money that flows along this link; blank: split equally."),
    )
    evidence = models.CharField(_("evidence"), max_length=20, choices=choices.Evidence.choices, default="assumed")
    rationale = models.TextField(_("theory of change"), blank=True)
    sources = models.TextField(_("sources"), blank=True, help_text=_("Studies, evaluations or data behind the link."))

    class Meta:
        ordering = ["source__key", "target__key"]
        verbose_name = _("benefit map link")
        verbose_name_plural = _("benefit map links")
        constraints = [models.UniqueConstraint(fields=["source", "target"], name="benefits_link_unique")]

    def __str__(self) -> str:
        return f"{self.source} → {self.target}"

    def clean(self) -> None:
        super().clean()
        if self.source_id and self.source_id == self.target_id:
            raise ValidationError({"target": _("a node cannot lead to itself")})
