"""Records of the observations area (issue 6): series, KPI computation specs, alert rules and what they produce.

The readings themselves are not in the database: they live in the Parquet observation store
(:mod:`.store`), one folder per city. The database holds what describes and uses them:

- :class:`Series`: one sensor or system feed (an IT/data asset of B13 where there is one), named
  in the NGSI-LD / FIWARE Smart Data Models vocabulary (entity type and attribute), with its
  grouping (district, operating organisation, weight) and its retention and downsampling rules.
- :class:`KpiComputation`: a KPI of the benefit map computed from readings by a declarative spec
  (:mod:`.domain.spec`); :class:`ComputationRun` is each run's provenance.
- :class:`AlertRule` (threshold or rate of change, per series) and the :class:`Alert` records it raises.
- :class:`QuarantinedMessage`: a reading that could not be stored (malformed payload), kept with its reason.
- :class:`NgsiEntity`: the latest state of an NGSI-LD entity as a context broker holds it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityline.core.models import City, CityRecord, KeyedRecord, Organisation

from . import choices


def validate_group(value: str) -> None:
    """A series group names the store's folder ``group=<group>``: the store's own rule (:data:`.store._SAFE`)."""
    from .store import _SAFE

    if not _SAFE.fullmatch(value or ""):
        raise ValidationError(
            _("%(value)s is not a safe folder name for the store, which keeps readings under group=<group>: "
              "start with a letter or a digit, then letters, digits, '-' or '_'"),
            code="invalid", params={"value": repr(value)})


class Series(KeyedRecord):
    """A time series of readings from one sensor or system feed (issue 6; B13 asset where present)."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    group = models.SlugField(
        _("series group"), max_length=40, validators=[validate_group],
        help_text=_("Readings are stored by group and month, e.g. air, traffic, water. Short and stable."))
    entity_type = models.CharField(
        _("entity type"), max_length=100,
        help_text=_("NGSI-LD / FIWARE Smart Data Models type, e.g. AirQualityObserved, TrafficFlowObserved, "
                    "WaterConsumption."))
    entity_id = models.CharField(
        _("entity id"), max_length=250, blank=True,
        help_text=_("The NGSI-LD entity this series is an attribute of, e.g. "
                    "urn:ngsi-ld:AirQualityObserved:harbour. Several series may share an entity."))
    attribute = models.CharField(_("attribute"), max_length=100,
                                 help_text=_("The measured property in the Smart Data Model, e.g. pm25, intensity."))
    unit = models.CharField(_("unit"), max_length=40, blank=True, help_text=_("E.g. µg/m3, vehicles/h, m3."))
    data_asset = models.ForeignKey("opendata.DataAsset", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="series", verbose_name=_("IT or data asset"),
                                   help_text=_("The sensor network or system in the asset register (B13)."))
    organisation = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="series", verbose_name=_("operating organisation"))
    district = models.CharField(_("district"), max_length=100, blank=True,
                                help_text=_("Where the sensor stands; KPI specs can group by it."))
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True,
                                   validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True,
                                    validators=[MinValueValidator(-180), MaxValueValidator(180)])
    weight = models.DecimalField(
        _("weight"), max_digits=14, decimal_places=4, null=True, blank=True,
        help_text=_("E.g. the population a sensor represents, for population-weighted indicators."))
    interval_seconds = models.PositiveIntegerField(
        _("reading interval (seconds)"), null=True, blank=True,
        help_text=_("How often a reading is expected; used by the simulator and for gaps."))
    public = models.BooleanField(_("public"), default=False,
                                 help_text=_("Readings and alerts are shown on public pages and published as open data."))
    retention_days = models.PositiveIntegerField(
        _("retention (days)"), null=True, blank=True,
        help_text=_("Readings older than this are removed. Empty: kept for ever."))
    downsample_after_days = models.PositiveIntegerField(
        _("downsample after (days)"), null=True, blank=True,
        help_text=_("Raw readings older than this are replaced by their means. Empty: kept raw."))
    downsample_interval = models.CharField(_("downsample to"), max_length=10, blank=True,
                                           choices=choices.DownsampleInterval.choices)

    class Meta(KeyedRecord.Meta):
        ordering = ["group", "key"]
        verbose_name = _("series")
        verbose_name_plural = _("series")
        constraints = KeyedRecord.Meta.constraints + [
            models.UniqueConstraint(fields=["city", "entity_id", "attribute"], condition=~models.Q(entity_id=""),
                                    name="observations_series_unique_entity_attribute"),
        ]

    def __str__(self) -> str:
        return self.name or self.key

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if bool(self.downsample_after_days) != bool(self.downsample_interval):
            errors["downsample_interval"] = _("give both the age after which readings are downsampled and what "
                                              "they are reduced to")
        elif (self.retention_days and self.downsample_after_days
              and self.downsample_after_days >= self.retention_days):
            errors["downsample_after_days"] = (_("downsampling must start before readings are removed (retention "
                                                 "%(days)s days)") % {"days": self.retention_days})
        clash = self._same_entity_attribute()
        if clash is not None:
            errors["entity_id"] = _(
                "series %(other)s already has the entity id %(entity)s and the attribute %(attribute)s: a series "
                "is one attribute of an entity. Give another entity id or attribute, or change that series."
            ) % {"other": clash, "entity": self.entity_id, "attribute": self.attribute}
        if errors:
            raise ValidationError(errors)

    def _same_entity_attribute(self) -> str | None:
        """The key of another series of the city with this entity id and attribute (the constraint's rule)."""
        if not self.entity_id or not self.attribute or self.city_id is None:
            return None
        others = Series._default_manager.filter(city_id=self.city_id, entity_id=self.entity_id,
                                                attribute=self.attribute)
        if self.pk is not None:
            others = others.exclude(pk=self.pk)
        return others.values_list("key", flat=True).first()


class KpiComputation(CityRecord):
    """A KPI computed from readings by a declarative spec (issue 6, C2.b): one value per KPI period."""

    kpi = models.OneToOneField("benefits.Kpi", on_delete=models.CASCADE, related_name="computation",
                               verbose_name=_("KPI"))
    spec = models.JSONField(_("spec"), help_text=_("What to compute: see docs/observations.md, 'KPI specs'."))
    spec_version = models.PositiveIntegerField(
        _("spec version"), default=1, help_text=_("Increases whenever the spec changes; recorded with every run."))
    active = models.BooleanField(_("active"), default=True,
                                 help_text=_("Computed by `cityline kpi compute` and the scheduler."))
    first_period_end = models.DateField(
        _("first period"), null=True, blank=True,
        help_text=_("The first period end to compute; empty: from the first reading."))

    class Meta:
        ordering = ["kpi__key"]
        verbose_name = _("KPI computation")
        verbose_name_plural = _("KPI computations")

    def __str__(self) -> str:
        return str(self.kpi)

    def clean(self) -> None:
        super().clean()
        from .domain import spec as spec_rules

        try:
            spec_rules.parse(self.spec)
        except spec_rules.SpecError as exc:
            raise ValidationError({"spec": str(exc)}) from None


class ComputationRun(models.Model):
    """Provenance of one computed KPI value: spec version, engine, data range and row count (append-only)."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+", verbose_name=_("city"))
    computation = models.ForeignKey(KpiComputation, on_delete=models.CASCADE, related_name="runs",
                                    verbose_name=_("KPI computation"))
    measurement = models.ForeignKey("benefits.Measurement", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="computation_runs", verbose_name=_("measurement"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    spec_version = models.PositiveIntegerField(_("spec version"))
    engine = models.CharField(_("engine"), max_length=20, choices=choices.Engine.choices)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=6, null=True, blank=True)
    row_count = models.BigIntegerField(_("readings used"), default=0)
    data_from = models.DateTimeField(_("first reading"), null=True, blank=True)
    data_to = models.DateTimeField(_("last reading"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=choices.RunStatus.choices)
    detail = models.TextField(_("detail"), blank=True, help_text=_("E.g. the value per district, or why it was refused."))
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True)

    class Meta:
        ordering = ["-computed_at", "-id"]
        verbose_name = _("computation run")
        verbose_name_plural = _("computation runs")
        indexes = [models.Index(fields=["computation", "period_end"])]

    def __str__(self) -> str:
        return f"{self.computation}: {self.period_end.isoformat()} ({self.get_status_display()})"


def validate_webhook_url(value: str) -> None:
    """``AlertRule.webhook_url``: http or https, not to an address alerts are not posted to (see
    :func:`.webhook.check_url`; imported when used, as httpx takes a while to load)."""
    from .webhook import check_url

    check_url(value)


class AlertRule(KeyedRecord):
    """A threshold or rate-of-change rule over one or more series, checked as readings arrive (issue 6)."""

    name = models.CharField(_("name"), max_length=200)
    series = models.ManyToManyField(Series, related_name="alert_rules", verbose_name=_("series"))
    kind = models.CharField(_("kind"), max_length=20, choices=choices.RuleKind.choices,
                            default=choices.RuleKind.THRESHOLD)
    comparison = models.CharField(_("comparison"), max_length=10, choices=choices.Comparison.choices,
                                  default=choices.Comparison.ABOVE)
    threshold = models.DecimalField(
        _("threshold"), max_digits=14, decimal_places=4,
        help_text=_("Threshold: the value. Rate of change: the change within the window."))
    duration_seconds = models.PositiveIntegerField(
        _("for at least (seconds)"), default=0,
        help_text=_("Threshold rules: how long the condition must hold before an alert is raised (0: at once)."))
    window_seconds = models.PositiveIntegerField(
        _("window (seconds)"), default=3600,
        help_text=_("Rate-of-change rules: the time within which the change happens."))
    severity = models.CharField(_("severity"), max_length=10, choices=choices.Severity.choices,
                                default=choices.Severity.WARNING)
    webhook_url = models.URLField(
        _("webhook"), blank=True, validators=[validate_webhook_url],
        help_text=_("Alerts are posted here as JSON (http or https; not a loopback or link-local address); "
                    "empty: the city's default, if any."))
    active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True,
                                   help_text=_("What the alert means and who acts on it."))

    class Meta(KeyedRecord.Meta):
        ordering = ["key"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self) -> str:
        return self.name or self.key

    def clean(self) -> None:
        """The evaluator's own rule (:class:`.domain.rules.Rule`): a rule it could not evaluate is refused here."""
        super().clean()
        from .domain import rules

        try:
            values = (float(self.threshold), int(self.duration_seconds), int(self.window_seconds))
        except (TypeError, ValueError):
            return  # the field's own check says what is wrong
        if min(values[1:]) < 0:
            return  # likewise (a positive integer field)
        try:
            rules.Rule(self.kind, self.comparison, *values)
        except rules.RuleError as exc:
            if exc.field in ("kind", "comparison"):
                return  # not one of the field's choices: its own check says so
            raise ValidationError({exc.field: exc.problem}) from None


class Alert(models.Model):
    """An alert a rule raised for a series: open while the condition holds, then closed (issue 6)."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+", verbose_name=_("city"))
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("rule"))
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("series"))
    started_at = models.DateTimeField(_("condition since"), help_text=_("Time of the first reading that met it."))
    raised_at = models.DateTimeField(_("raised at"), help_text=_("When Cityline recorded the alert."))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True,
                                    help_text=_("Time of the first reading that no longer met it."))
    end_note = models.CharField(_("why it was closed"), max_length=200, blank=True,
                                help_text=_("Empty when the condition stopped holding; else why Cityline closed the "
                                            "alert (its rule was deactivated or no longer watches the series)."))
    trigger_value = models.FloatField(_("value"))
    peak_value = models.FloatField(_("peak value"))
    message = models.CharField(_("message"), max_length=300)
    webhook_status = models.CharField(_("webhook"), max_length=10, choices=choices.WebhookStatus.choices,
                                      default=choices.WebhookStatus.NONE)
    webhook_attempts = models.PositiveSmallIntegerField(_("webhook attempts"), default=0)
    webhook_error = models.CharField(_("webhook error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [models.Index(fields=["city", "raised_at"]), models.Index(fields=["rule", "series", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.rule}: {self.series} ({self.started_at:%Y-%m-%d %H:%M})"

    @property
    def open(self) -> bool:
        return self.ended_at is None


class QuarantinedMessage(models.Model):
    """A message or row that could not become an observation, kept with the reason (never dropped silently)."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("city"))
    source = models.CharField(_("source"), max_length=10, choices=choices.IngestSource.choices)
    origin = models.CharField(_("origin"), max_length=300, blank=True, help_text=_("MQTT topic, file name or URL."))
    payload = models.TextField(_("payload"), help_text=_("As received (bytes that are not UTF-8 in base64)."))
    reason = models.CharField(_("reason"), max_length=500)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("quarantined message")
        verbose_name_plural = _("quarantined messages")

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"


class NgsiEntity(models.Model):
    """The latest state of an NGSI-LD entity (ETSI GS CIM 009) as the context broker subset holds it."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+", verbose_name=_("city"))
    entity_id = models.CharField(_("entity id"), max_length=250)
    entity_type = models.CharField(_("entity type"), max_length=100)
    body = models.JSONField(_("entity"), help_text=_("Normalised NGSI-LD representation, without @context."))
    created_at = models.DateTimeField(_("created at"))
    modified_at = models.DateTimeField(_("modified at"))

    class Meta:
        ordering = ["entity_id"]
        verbose_name = _("NGSI-LD entity")
        verbose_name_plural = _("NGSI-LD entities")
        constraints = [models.UniqueConstraint(fields=["city", "entity_id"], name="observations_ngsientity_unique")]
        indexes = [models.Index(fields=["city", "entity_type"])]

    def __str__(self) -> str:
        return self.entity_id
