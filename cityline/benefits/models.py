"""The benefit map (C1): a directed graph per city from investments to strategic purposes.

Nodes are investments and activities, outputs (enablers or governance changes),
intermediate outcomes, end outcomes and the ISO 37101 purposes; links carry the
theory of change that connects them and how well it is evidenced. The analysis of
the map (line of sight, roll-ups) lives in ``cityline.benefits.domain``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cityline.core.models import CityRecord, KeyedRecord, Person
from cityline.strategy.choices import Purpose
from cityline.strategy.models import Initiative, InterestedParty, Project

from . import choices
from .domain.kpi import DEFAULT_TOLERANCE


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


# --- indicators and KPIs (C2) ----------------------------------------------------------------
#
# Two levels of indicator:
#
# * ``Indicator`` is the instance-wide catalogue: reference lists (ISO 37120, U4SSC) shipped
#   with Cityline and the lists a city holds under licence (ISO 37120:2018, 37122, 37123),
#   loaded with ``cityline benefits load-catalogue`` / ``import-indicators``. It belongs to no
#   city and is not in city packs.
# * ``CityIndicator`` is an indicator a city measures: taken from the catalogue (source and
#   code) or defined by the city (source ``city``). It is a city record, in the city pack and
#   the API, so KPIs refer to it like to any other record. A catalogue reference is checked
#   when this instance holds that list; the name travels with the city indicator, so a pack
#   still imports where the licensed list is not loaded.

VALUE_DIGITS = 20
VALUE_PLACES = 6
SPDX_ID = RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9.+-]*$", _("an SPDX licence identifier, e.g. CC-BY-4.0"))


#: Set while one write gives a KPI together with its targets (the editor's form with its targets inline): the
#: baseline is then checked against the targets as they end up (:meth:`Kpi.baseline_problems`), not as stored.
_TARGETS_WRITTEN_WITH_KPI: ContextVar[bool] = ContextVar("cityline_kpi_targets_written_with_kpi", default=False)


@contextmanager
def targets_written_with_kpi() -> Iterator[None]:
    """A write that gives a KPI and its targets at once (re-baselining moves both): :meth:`Kpi.clean` leaves the
    baseline against the stored targets alone, and the caller checks :meth:`Kpi.baseline_problems` once the
    targets are written, in the same transaction. A city pack import does the same (``benefits/pack.py``)."""
    token = _TARGETS_WRITTEN_WITH_KPI.set(True)
    try:
        yield
    finally:
        _TARGETS_WRITTEN_WITH_KPI.reset(token)


def _value_field(label, **kwargs):
    return models.DecimalField(label, max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, **kwargs)


class Indicator(models.Model):
    """An entry of the indicator catalogue (C2.c): identifier and name as the list gives them.

    Instance-wide reference data, not a city record. Definitions are not copied: the
    catalogue holds facts (identifiers, names, themes), a city writes its own
    calculation notes on each KPI (C2.d).
    """

    source = models.CharField(_("list"), max_length=20, choices=choices.IndicatorSource.choices)
    code = models.CharField(_("identifier"), max_length=60, help_text=_("As the list numbers it, e.g. 5.1."))
    name = models.CharField(_("name"), max_length=300)
    theme = models.CharField(_("theme"), max_length=200, blank=True,
                             help_text=_("ISO 37120 theme, or U4SSC dimension."))
    sub_theme = models.CharField(_("sub-theme"), max_length=200, blank=True,
                                 help_text=_("U4SSC sub-dimension and category."))
    indicator_type = models.CharField(_("type"), max_length=20, choices=choices.IndicatorType.choices, blank=True)
    edition = models.CharField(_("edition"), max_length=100, blank=True)
    reference = models.TextField(_("where it comes from"), blank=True)
    licensed = models.BooleanField(
        _("loaded by this instance"), default=False,
        help_text=_("Imported from a list the city holds under licence, not shipped with Cityline."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["source", "code"]
        verbose_name = _("catalogue indicator")
        verbose_name_plural = _("indicator catalogue")
        constraints = [models.UniqueConstraint(fields=["source", "code"], name="benefits_indicator_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        super().clean()
        if self.source == choices.IndicatorSource.CITY:
            raise ValidationError({"source": _("city-defined indicators belong to a city, not to the catalogue")})


class IndicatorTheme(models.Model):
    """A theme (clause) of a catalogue list, e.g. the 19 themes of ISO 37120:2018."""

    source = models.CharField(_("list"), max_length=20, choices=choices.IndicatorSource.choices)
    clause = models.CharField(_("clause"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    reference = models.TextField(_("where it comes from"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["source", "clause"]
        verbose_name = _("indicator theme")
        verbose_name_plural = _("indicator themes")
        constraints = [models.UniqueConstraint(fields=["source", "clause"], name="benefits_theme_unique_clause")]

    def __str__(self) -> str:
        return f"{self.clause} {self.name}"


class CityIndicator(KeyedRecord):
    """An indicator the city measures: from the catalogue, or defined by the city (C2.c)."""

    source = models.CharField(_("list"), max_length=20, choices=choices.IndicatorSource.choices,
                              default=choices.IndicatorSource.CITY)
    code = models.CharField(_("identifier"), max_length=60, blank=True,
                            help_text=_("The identifier in the list; blank for city-defined indicators."))
    name = models.CharField(_("name"), max_length=300, blank=True,
                            help_text=_("Blank: taken from the catalogue."))
    theme = models.CharField(_("theme"), max_length=200, blank=True)
    definition = models.TextField(_("definition"), blank=True,
                                  help_text=_("What it measures, in the city's own words."))

    class Meta(KeyedRecord.Meta):
        ordering = ["source", "code", "name"]
        verbose_name = _("city indicator")
        verbose_name_plural = _("city indicators")

    def __str__(self) -> str:
        return f"{self.code} {self.name}" if self.code else self.name

    @property
    def catalogue_entry(self) -> Indicator | None:
        if self.source == choices.IndicatorSource.CITY or not self.code:
            return None
        return Indicator.objects.filter(source=self.source, code=self.code).first()

    def clean(self) -> None:
        super().clean()
        city_defined = self.source == choices.IndicatorSource.CITY
        if city_defined and self.code:
            raise ValidationError({"code": _("a city-defined indicator has no catalogue identifier")})
        if not city_defined and not self.code:
            raise ValidationError({"code": _("give the indicator's identifier in the list")})
        entry = self.catalogue_entry
        if entry is None and not city_defined and Indicator.objects.filter(source=self.source).exists():
            raise ValidationError({"code": _("the catalogue has no indicator %(code)s in this list")
                                   % {"code": self.code}})
        if entry is not None:
            self.name = self.name or entry.name
            self.theme = self.theme or entry.theme
        if not self.name:
            raise ValidationError({"name": _("give the indicator a name (this list is not in the catalogue)")})


class Kpi(KeyedRecord):
    """A key performance indicator: an indicator measured for a scope, with baseline and targets (C2).

    Status and forecast are computed by ``cityline.benefits.domain`` from these records.
    """

    indicator = models.ForeignKey(
        CityIndicator, on_delete=models.RESTRICT, null=True, blank=True, related_name="kpis",
        verbose_name=_("indicator"), help_text=_("Blank for a KPI that stands on its own title."),
    )
    title = models.CharField(_("title"), max_length=300)
    scope = models.CharField(_("scope"), max_length=200, blank=True,
                             help_text=_("Where or whom it covers: the whole city, a district, a service."))
    node = models.ForeignKey(
        BenefitNode, on_delete=models.RESTRICT, null=True, blank=True, related_name="kpis",
        verbose_name=_("measures"), help_text=_("The benefit map node this KPI measures (C2.c)."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=choices.KpiKind.choices,
                            help_text=_("Outcome indicators measure outcomes; leading indicators measure "
                                        "investments, activities and outputs (C2.c)."))
    unit = models.CharField(_("unit"), max_length=60, blank=True)
    direction = models.CharField(_("direction"), max_length=20, choices=choices.Direction.choices,
                                 default=choices.Direction.HIGHER_IS_BETTER)
    band_low = _value_field(_("band low"), null=True, blank=True, help_text=_("Target band KPIs only."))
    band_high = _value_field(_("band high"), null=True, blank=True, help_text=_("Target band KPIs only."))
    frequency = models.CharField(_("frequency"), max_length=20, choices=choices.Frequency.choices,
                                 default=choices.Frequency.ANNUAL)
    grace_days = models.PositiveIntegerField(
        _("reporting grace (days)"), null=True, blank=True,
        help_text=_("Days after a period closes before its value counts as overdue; blank: the frequency's default."),
    )
    evaluation_method = models.CharField(_("evaluation method"), max_length=30,
                                         choices=choices.EvaluationMethod.choices, blank=True,
                                         help_text=_("How the impact is evaluated (C2.d)."))
    suppliers = models.ManyToManyField(
        InterestedParty, blank=True, related_name="supplied_kpis", verbose_name=_("data suppliers"),
        help_text=_("Interested parties that supply the data (C2.d)."),
    )
    users = models.ManyToManyField(
        InterestedParty, blank=True, related_name="used_kpis", verbose_name=_("users"),
        help_text=_("Interested parties that use the KPI (C2.d)."),
    )
    calculation = models.TextField(_("calculation and data gathering"), blank=True,
                                   help_text=_("The agreed calculation and how the data is gathered (C2.d)."))
    baseline_value = _value_field(_("baseline value"), null=True, blank=True, help_text=_("C2.a"))
    baseline_date = models.DateField(_("baseline date"), null=True, blank=True)
    trajectory = models.CharField(_("trajectory"), max_length=20, choices=choices.TrajectoryKind.choices,
                                  default=choices.TrajectoryKind.LINEAR,
                                  help_text=_("From baseline to targets: linear, stepped milestones or custom "
                                              "points (C2.b)."))
    tolerance_on_track = models.DecimalField(
        _("on-track tolerance"), max_digits=6, decimal_places=4, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Fraction (0.05 = 5%) a value may be worse than planned and still be on track; blank: default."),
    )
    tolerance_at_risk = models.DecimalField(
        _("at-risk tolerance"), max_digits=6, decimal_places=4, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Fraction a value may be worse than planned and still only be at risk; blank: default."),
    )
    tolerance_basis = models.CharField(_("tolerance basis"), max_length=20, choices=choices.ToleranceBasis.choices,
                                       default=choices.ToleranceBasis.EXPECTED)
    licence = models.CharField(_("licence"), max_length=60, default="CC-BY-4.0", validators=[SPDX_ID],
                               help_text=_("SPDX identifier of the open licence of its data (C2.g)."))
    published = models.BooleanField(_("published"), default=False,
                                    help_text=_("Shown on the public dashboard and in open data (C2.f)."))

    class Meta(KeyedRecord.Meta):
        ordering = ["title"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")

    def __str__(self) -> str:
        return self.title

    def as_plain(self, measurements: bool = True) -> dict:
        """This KPI as plain data for ``cityline.benefits.domain.kpi.kpi_from_dict`` (status, forecast, SMART)."""
        tolerance = {k: float(v) for k, v in (("on_track", self.tolerance_on_track),
                                              ("at_risk", self.tolerance_at_risk)) if v is not None}
        if tolerance or self.tolerance_basis != choices.ToleranceBasis.EXPECTED:
            tolerance["basis"] = self.tolerance_basis
        band = None
        if self.direction == choices.Direction.TARGET_BAND:
            band = {"low": self.band_low, "high": self.band_high}
        return {
            "id": self.key, "name": self.title, "kind": self.kind, "unit": self.unit, "direction": self.direction,
            "frequency": self.frequency or None, "grace_days": self.grace_days,
            "baseline": {"value": self.baseline_value, "date": self.baseline_date},
            "targets": [{"value": t.value, "date": t.date, "label": t.label} for t in self.targets.all()],
            "trajectory": {"kind": self.trajectory,
                           "points": [{"value": p.value, "date": p.date} for p in self.trajectory_points.all()]},
            "band": band, "tolerance": tolerance or None,
            "measurements": [{"period_end": m.period_end, "value": m.value, "quality": m.quality}
                             for m in self.measurements.all()] if measurements else [],
        }

    def clean(self) -> None:
        super().clean()
        problems: dict[str, str] = {}
        band = self.direction == choices.Direction.TARGET_BAND
        if band:
            if self.band_low is None or self.band_high is None:
                problems["band_low"] = _("a target band needs both ends")
            elif self.band_low >= self.band_high:
                problems["band_high"] = _("the top of the band must be above its bottom")
        elif self.band_low is not None or self.band_high is not None:
            problems["band_low"] = _("only target band KPIs have a band")
        if self.node_id and self.kind:
            node_kind = self.node.kind
            outcome_nodes = (choices.NodeKind.INTERMEDIATE_OUTCOME, choices.NodeKind.END_OUTCOME,
                             choices.NodeKind.PURPOSE)
            if self.kind == choices.KpiKind.OUTCOME and node_kind not in outcome_nodes:
                problems["node"] = _("an outcome indicator measures an outcome or a purpose (C2.c)")
            if self.kind == choices.KpiKind.LEADING and node_kind in outcome_nodes:
                problems["node"] = _("a leading indicator measures an investment, activity or output (C2.c)")
        problems.update(self._tolerance_problems())
        if not _targets_come_later():
            problems.update(self.baseline_problems())
        if problems:
            raise ValidationError(problems)

    def baseline_problems(self) -> dict[str, str]:
        """The baseline date against the stored targets: each dated target is due after it (C2.a, C2.b)."""
        if not (self.pk and self.baseline_date):
            return {}
        late = self.targets.filter(date__lte=self.baseline_date).order_by("date", "label").first()
        if late is None:
            return {}
        return {"baseline_date": _("target %(label)s is due on or before the baseline date") % {"label": late.label}}

    def _tolerance_problems(self) -> dict[str, str]:
        """Each tolerance given is compared with the other's effective value: as given, or the default when blank
        (the status rules use the default then, so 0.2 on track with a blank at-risk tolerance cannot work)."""
        on_track, at_risk = self.tolerance_on_track, self.tolerance_at_risk
        if on_track is not None and at_risk is not None:
            if at_risk < on_track:
                return {"tolerance_at_risk": _("cannot be smaller than the on-track tolerance")}
        elif on_track is not None and on_track > Decimal(str(DEFAULT_TOLERANCE.at_risk)):
            return {"tolerance_on_track": _(
                "cannot be larger than the at-risk tolerance, which is blank and so takes the default "
                "(%(default)s): give the at-risk tolerance too") % {"default": DEFAULT_TOLERANCE.at_risk}}
        elif at_risk is not None and at_risk < Decimal(str(DEFAULT_TOLERANCE.on_track)):
            return {"tolerance_at_risk": _(
                "cannot be smaller than the on-track tolerance, which is blank and so takes the default "
                "(%(default)s): give the on-track tolerance too") % {"default": DEFAULT_TOLERANCE.on_track}}
        return {}


def _targets_come_later() -> bool:
    """Whether the KPI's targets are written after it in the same write, and checked once they are."""
    from cityline.core.packs.importer import importing

    return _TARGETS_WRITTEN_WITH_KPI.get() or importing()


class KpiTarget(CityRecord):
    """A target of a KPI: a value to reach by a date (C2.b). Vague targets are kept and flagged."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="targets", verbose_name=_("KPI"))
    label = models.CharField(_("label"), max_length=100, help_text=_("E.g. 2030 target, interim milestone."))
    value = _value_field(_("value"), null=True, blank=True)
    date = models.DateField(_("date"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["kpi__key", "date", "label"]
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        constraints = [models.UniqueConstraint(fields=["kpi", "label"], name="benefits_kpitarget_unique_label")]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.label}"

    def clean(self) -> None:
        super().clean()
        if self.kpi_id and self.date and self.kpi.baseline_date and self.date <= self.kpi.baseline_date:
            raise ValidationError({"date": _("a target is due after the baseline date (%(date)s)")
                                   % {"date": self.kpi.baseline_date.isoformat()}})


class TrajectoryPoint(CityRecord):
    """A point of a stepped or custom trajectory between baseline and target (C2.b)."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="trajectory_points",
                            verbose_name=_("KPI"))
    date = models.DateField(_("date"))
    value = _value_field(_("value"))

    class Meta:
        ordering = ["kpi__key", "date"]
        verbose_name = _("trajectory point")
        verbose_name_plural = _("trajectory points")
        constraints = [models.UniqueConstraint(fields=["kpi", "date"], name="benefits_trajectorypoint_unique_date")]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.date.isoformat() if self.date else '?'}"

    def clean(self) -> None:
        super().clean()
        if self.kpi_id and self.date and self.kpi.baseline_date and self.date <= self.kpi.baseline_date:
            raise ValidationError({"date": _("a trajectory point comes after the baseline date (%(date)s)")
                                   % {"date": self.kpi.baseline_date.isoformat()}})


class Measurement(CityRecord):
    """A measured value of a KPI for the period ending on a date (C2.b, C2.f); one per period."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="measurements", verbose_name=_("KPI"))
    period_end = models.DateField(_("period end"))
    value = _value_field(_("value"))
    source = models.CharField(_("source"), max_length=300, blank=True,
                              help_text=_("Where the value comes from: survey, system, dataset."))
    quality = models.CharField(_("quality"), max_length=20, choices=choices.QualityFlag.choices,
                               default=choices.QualityFlag.OK)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["kpi__key", "period_end"]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        constraints = [models.UniqueConstraint(fields=["kpi", "period_end"], name="benefits_measurement_unique_period")]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.period_end.isoformat() if self.period_end else '?'}"
