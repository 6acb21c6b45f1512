"""Developments and infrastructure (B12): projects planned smart from the outset.

Each project names the infrastructures it touches, where and when it happens, who
leads it, the roadmap initiatives and risks that are its own roadmap and risk
management (B12), and the smart-delivery checklist (B12.a–c) with a completeness
score (:mod:`.domain.checklist`). Projects in the same place at the same time are
found by :mod:`.domain.cross_infrastructure` (B12.b).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityline.core.models import CityRecord, KeyedRecord, Organisation
from cityline.risks.models import Risk
from cityline.strategy.models import Initiative

from . import choices
from .domain import checklist
from .domain import cross_infrastructure as cross

LATITUDE = [MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("90"))]
LONGITUDE = [MinValueValidator(Decimal("-180")), MaxValueValidator(Decimal("180"))]
BOX_FIELDS = ("box_west", "box_south", "box_east", "box_north")


def _coordinate(label, validators):
    return models.DecimalField(label, max_digits=9, decimal_places=6, null=True, blank=True, validators=validators)


class DevelopmentProject(KeyedRecord):
    """A development or infrastructure project with its smart-delivery checklist (B12)."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    infrastructure_types = models.JSONField(
        _("infrastructure types"), default=list,
        help_text=_("One or more of: energy, water, waste, telecoms, transport, buildings, public_realm (B12.b)."),
    )
    stage = models.CharField(_("stage"), max_length=20, choices=choices.Stage.choices, default="concept")
    area = models.CharField(_("area"), max_length=200, help_text=_("The named area or ward where the works happen."))
    latitude = _coordinate(_("latitude"), LATITUDE)
    longitude = _coordinate(_("longitude"), LONGITUDE)
    box_west = _coordinate(_("bounding box: west"), LONGITUDE)
    box_south = _coordinate(_("bounding box: south"), LATITUDE)
    box_east = _coordinate(_("bounding box: east"), LONGITUDE)
    box_north = _coordinate(_("bounding box: north"), LATITUDE)
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)
    lead = models.ForeignKey(Organisation, on_delete=models.RESTRICT, related_name="developments_led",
                             verbose_name=_("lead organisation"))
    partners = models.ManyToManyField(Organisation, blank=True, related_name="development_partnerships",
                                      verbose_name=_("partners"))
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2, null=True, blank=True,
                                 validators=[MinValueValidator(Decimal("0"))])
    initiatives = models.ManyToManyField(
        Initiative, blank=True, related_name="developments", verbose_name=_("roadmap initiatives"),
        help_text=_("The roadmap items of this project (B12)."),
    )
    risks = models.ManyToManyField(
        Risk, blank=True, related_name="developments", verbose_name=_("risks"),
        help_text=_("The risks managed for this project (B12, D.1)."),
    )

    class Meta(KeyedRecord.Meta):
        ordering = ["name"]
        verbose_name = _("development project")
        verbose_name_plural = _("development projects")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        types = self.infrastructure_types
        allowed = set(choices.InfrastructureType.values)
        if not isinstance(types, list) or not types:
            raise ValidationError({"infrastructure_types": _("give at least one infrastructure type")})
        unknown = [t for t in types if t not in allowed]
        if unknown:
            raise ValidationError({"infrastructure_types": _("unknown infrastructure type %(t)s; use one of %(allowed)s")
                                   % {"t": ", ".join(map(str, unknown)), "allowed": ", ".join(sorted(allowed))}})
        if len(set(types)) != len(types):
            raise ValidationError({"infrastructure_types": _("an infrastructure type is listed twice")})
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("cannot be before the start")})
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError({"longitude" if self.longitude is None else "latitude":
                                   _("give both latitude and longitude, or neither")})
        box = [getattr(self, f) for f in BOX_FIELDS]
        if any(v is not None for v in box) and any(v is None for v in box):
            missing = next(f for f, v in zip(BOX_FIELDS, box) if v is None)
            raise ValidationError({missing: _("a bounding box needs all four edges")})
        if all(v is not None for v in box):
            if self.box_west > self.box_east:
                raise ValidationError({"box_east": _("the east edge cannot be west of the west edge")})
            if self.box_south > self.box_north:
                raise ValidationError({"box_north": _("the north edge cannot be south of the south edge")})

    # --- derived ------------------------------------------------------------------------

    def checklist_statuses(self) -> dict[str, str]:
        return {e.item: e.status for e in self.checklist.all()}

    @property
    def completeness(self) -> checklist.Completeness:
        return checklist.completeness(self.checklist_statuses())

    @property
    def checklist_score(self) -> int | None:
        return self.completeness.score

    def site(self) -> cross.Site:
        box = None
        if all(getattr(self, f) is not None for f in BOX_FIELDS):
            box = cross.Box(self.box_west, self.box_south, self.box_east, self.box_north)
        point = (self.latitude, self.longitude) if self.latitude is not None and self.longitude is not None else None
        return cross.Site(self.key, self.area, self.start_date, self.end_date, tuple(self.infrastructure_types or ()),
                          self.stage, box, point)


class ChecklistEntry(CityRecord):
    """One item of a project's smart-delivery checklist, its status and a note (B12.a–c)."""

    project = models.ForeignKey(DevelopmentProject, on_delete=models.CASCADE, related_name="checklist",
                                verbose_name=_("project"))
    item = models.CharField(_("item"), max_length=30, choices=choices.ChecklistItem.choices)
    status = models.CharField(_("status"), max_length=20, choices=choices.ChecklistStatus.choices, default="missing")
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["project", "item"]
        verbose_name = _("checklist entry")
        verbose_name_plural = _("checklist entries")
        constraints = [models.UniqueConstraint(fields=["project", "item"], name="developments_checklist_unique")]

    def __str__(self) -> str:
        return f"{self.get_item_display()}: {self.get_status_display()}"

    @property
    def recommendation(self) -> str:
        return checklist.RECOMMENDATION[self.item]
