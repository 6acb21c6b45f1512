"""The open, service-oriented city-wide architecture (B14).

- :class:`BuildingBlock`: an element of the architecture blueprint (an application,
  API, data platform, integration service, identity service or infrastructure) with
  its service description and contract, owner, standards and lifecycle; its reuse
  count is how many services and organisations use it.
- :class:`Standard`: the register of standards the city adopts or considers, with
  the cells of the interoperability matrix (B5) each addresses
  (:class:`StandardCell`) and, through the building blocks, where it is used.
- :class:`MigrationStep`: the phased migration plan from legacy building blocks to
  the target blueprint, each step tied to a roadmap phase (B7.a).

The checks over these records are plain rules in :mod:`.domain.checks`.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityline.citizen_services.models import Service
from cityline.core.models import CityRecord, KeyedRecord, Organisation
from cityline.strategy import choices as strategy_choices
from cityline.strategy.models import InteropCell, RoadmapPhase

from . import choices

#: Building blocks a city pack import retires, by city: their migration steps are checked once the whole pack is
#: written (:func:`.pack.check_retired_blocks`), since the pack writes the steps after the blocks.
_retired_in_import: ContextVar[dict[int, set[int]] | None] = ContextVar("cityline_blocks_retired_in_import",
                                                                         default=None)


def blocks_retired_in_import(city_id: int) -> set[int]:
    """The ids of the city's building blocks the current pack import retired (and forget them)."""
    pending = _retired_in_import.get()
    return pending.pop(city_id, set()) if pending else set()


class Standard(KeyedRecord):
    """A standard in the city's register: adopted, under consideration or retired (B14, B5.b)."""

    body = models.CharField(_("standards body"), max_length=100, help_text=_("e.g. ISO, W3C, OGC, ETSI, IETF"))
    identifier = models.CharField(_("identifier"), max_length=100, help_text=_("e.g. RFC 6749, ISO 37120"))
    title = models.CharField(_("title"), max_length=300)
    edition = models.CharField(_("edition"), max_length=40, blank=True,
                               help_text=_("The version of the standard, e.g. 1.1 or 2023."))
    status = models.CharField(_("status"), max_length=20, choices=choices.StandardStatus.choices,
                              default="considered")
    description = models.TextField(_("description"), blank=True)
    url = models.URLField(_("link"), blank=True)

    class Meta(KeyedRecord.Meta):
        ordering = ["body", "identifier"]
        verbose_name = _("standard")
        verbose_name_plural = _("standards")

    def __str__(self) -> str:
        return f"{self.body} {self.identifier}"

    @property
    def cells(self) -> list[str]:
        """The matrix cells addressed, as ``process/dimension``."""
        return [f"{c.process}/{c.dimension}" for c in self.matrix_cells.all()]


class StandardCell(CityRecord):
    """A cell of the interoperability matrix (B5) that a standard addresses: process × dimension."""

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="matrix_cells",
                                 verbose_name=_("standard"))
    process = models.CharField(_("process"), max_length=20, choices=strategy_choices.InteropProcess.choices)
    dimension = models.CharField(_("dimension"), max_length=20, choices=strategy_choices.InteropDimension.choices)

    class Meta:
        ordering = ["standard", "process", "dimension"]
        verbose_name = _("matrix cell addressed")
        verbose_name_plural = _("matrix cells addressed")
        constraints = [models.UniqueConstraint(fields=["standard", "process", "dimension"],
                                               name="architecture_standard_cell_unique")]

    def __str__(self) -> str:
        return f"{self.get_process_display()} × {self.get_dimension_display()}"

    @property
    def cell(self) -> InteropCell | None:
        """The city's matrix cell (B5), if the matrix has it."""
        return InteropCell.objects.filter(city_id=self.city_id, process=self.process,
                                          dimension=self.dimension).first()


class BuildingBlock(KeyedRecord):
    """An element of the architecture blueprint, described as a service with a contract and an owner (B14)."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=choices.BlockKind.choices)
    description = models.TextField(_("description"), blank=True)
    service_contract = models.TextField(
        _("service contract"), blank=True,
        help_text=_("What the block promises its users: interface, availability, support, data terms."),
    )
    service_level = models.CharField(_("service level"), max_length=200, blank=True,
                                     help_text=_("e.g. 99.5% availability in working hours"))
    api_spec_url = models.URLField(_("API specification"), blank=True)
    owner = models.ForeignKey(Organisation, on_delete=models.RESTRICT, null=True, blank=True,
                              related_name="building_blocks_owned", verbose_name=_("owner organisation"))
    lifecycle = models.CharField(_("lifecycle"), max_length=20, choices=choices.Lifecycle.choices, default="active")
    standards = models.ManyToManyField(Standard, blank=True, related_name="building_blocks",
                                       verbose_name=_("standards used"))
    used_by_organisations = models.ManyToManyField(Organisation, blank=True, related_name="building_blocks_used",
                                                   verbose_name=_("used by organisations"))
    used_by_services = models.ManyToManyField(
        Service, blank=True, related_name="building_blocks", verbose_name=_("used by services"),
        help_text=_("The citizen services (B9) built on this block."),
    )

    class Meta(KeyedRecord.Meta):
        ordering = ["name"]
        verbose_name = _("building block")
        verbose_name_plural = _("building blocks")

    def __str__(self) -> str:
        return self.name

    @property
    def reuse_count(self) -> int:
        """How many services and organisations use this block (B14: sharing and reuse)."""
        return self.used_by_organisations.count() + self.used_by_services.count()

    def live_steps(self) -> list[str]:
        """Keys of the planned or in-progress migration steps that lead to this block."""
        return list(self.target_of_steps.filter(status__in=choices.LIVE_STEP_STATUSES)
                    .order_by("key").values_list("key", flat=True))

    def retirement_problem(self) -> str | None:
        """Why this block cannot be retired (live migration steps still lead to it), or None."""
        live = self.live_steps() if self.pk else []
        if not live:
            return None
        return _("cannot be retired while migration steps still lead to it (%(steps)s); mark them done or "
                 "cancelled, or give them another target first") % {"steps": ", ".join(live)}

    def clean(self) -> None:
        super().clean()
        if not self.pk or self.lifecycle != choices.Lifecycle.RETIRED:
            return
        stored = type(self)._default_manager.filter(pk=self.pk).values_list("lifecycle", flat=True).first()
        if stored == choices.Lifecycle.RETIRED:
            return      # retired already (perhaps before this rule): other edits of the block stay possible
        from cityline.core.packs.importer import importing

        if importing():
            # a pack may mark the steps done or drop them in the same import, written after the blocks
            pending = _retired_in_import.get()
            if pending is None:
                pending = {}
                _retired_in_import.set(pending)
            pending.setdefault(self.city_id, set()).add(self.pk)
            return
        problem = self.retirement_problem()
        if problem:
            raise ValidationError({"lifecycle": problem})


class MigrationStep(KeyedRecord):
    """One step of the phased migration plan from legacy building blocks to the target blueprint (B14, B7.a)."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), help_text=_("Position of the step in the plan (1, 2, …)."))
    replaces = models.ManyToManyField(BuildingBlock, blank=True, related_name="replaced_by_steps",
                                      verbose_name=_("legacy building blocks"))
    target = models.ForeignKey(BuildingBlock, on_delete=models.RESTRICT, related_name="target_of_steps",
                               verbose_name=_("target building block"))
    phase = models.CharField(_("roadmap phase"), max_length=20, choices=strategy_choices.Phase.choices)
    due_date = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=choices.StepStatus.choices, default="planned")

    class Meta(KeyedRecord.Meta):
        ordering = ["order", "key"]
        verbose_name = _("migration step")
        verbose_name_plural = _("migration plan")

    def __str__(self) -> str:
        return self.title

    @property
    def roadmap_phase(self) -> RoadmapPhase | None:
        """The city's roadmap phase with its dates (B7.a), if the roadmap has it."""
        return RoadmapPhase.objects.filter(city_id=self.city_id, phase=self.phase).first()

    def clean(self) -> None:
        super().clean()
        # A step done or cancelled is history: the block it led to may have been retired since.
        if not (self.target_id and self.status in choices.LIVE_STEP_STATUSES
                and self.target.lifecycle == choices.Lifecycle.RETIRED):
            return
        stored = type(self)._default_manager.filter(pk=self.pk).values("target_id", "status").first() \
            if self.pk else None
        if stored and stored["target_id"] == self.target_id and stored["status"] in choices.LIVE_STEP_STATUSES:
            return      # stored so before the rule: editing its title or dates stays possible
        raise ValidationError({"target": _("a migration cannot lead to a retired building block")})
