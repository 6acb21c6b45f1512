"""Citizen services, customer segments, franchise teams (B9), channels and the channel audit (B11.a),
channel-shift scenarios and digital-inclusion actions (B11.b).

A *service* is what a citizen or business gets done (apply for a school place,
report a pothole); it meets *user needs* and is offered through *channels* (a
``ServiceChannel`` offering says which IT system carries it and the service-level
standard promised there). The *channel audit* records, per service, channel and
quarter, how many transactions there were, what they cost, and how well they went.
*Customer segments* group people with shared needs; a *franchise team* is the
cross-city team that owns the experience of one segment. The rules that read these
records (league tables, silo gaps, the channel-shift calculator) are plain Python
in :mod:`.domain`.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityline.benefits.models import BenefitNode, Kpi
from cityline.core.models import CityRecord, KeyedRecord, Organisation, Person

from . import choices
from .domain import channels as channel_rules

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]


def no_years() -> list:
    """Default of a scenario's year-by-year results (a list of objects, not of strings)."""
    return []


def _percent_field(label, help_text="", **kw):
    return models.DecimalField(label, max_digits=5, decimal_places=2, validators=PERCENT, help_text=help_text, **kw)


class ServiceSettings(CityRecord):
    """The city's standards for the channel audit (B11.a): one per city; without it the documented defaults apply."""

    service_level_threshold = _percent_field(
        _("service-level threshold (%)"), default=channel_rules.DEFAULT_SERVICE_LEVEL_THRESHOLD,
        help_text=_("A channel is below standard when fewer than this share of its transactions met their "
                    "service-level standard."),
    )

    class Meta:
        verbose_name = _("service audit settings")
        verbose_name_plural = _("service audit settings")
        constraints = [models.UniqueConstraint(fields=["city"], name="citizen_services_one_settings_per_city")]

    def __str__(self) -> str:
        return str(_("Service audit settings"))


class UserNeed(KeyedRecord):
    """Something people need to get done, in their words; services meet needs and segments have them (B9)."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta(KeyedRecord.Meta):
        ordering = ["name"]
        verbose_name = _("user need")
        verbose_name_plural = _("user needs")

    def __str__(self) -> str:
        return self.name


class Service(KeyedRecord):
    """A service citizens or businesses use, with its providers, needs met, eligibility and life events (B9)."""

    name = models.CharField(_("name"), max_length=200)
    purpose = models.TextField(_("purpose"))
    providers = models.ManyToManyField(
        Organisation, related_name="services", verbose_name=_("provider organisations"),
        help_text=_("The organisations that deliver the service; more than one when it is jointly provided."),
    )
    needs = models.ManyToManyField(UserNeed, blank=True, related_name="services", verbose_name=_("user needs met"))
    eligibility = models.TextField(_("eligibility"), blank=True)
    life_events = models.JSONField(
        _("life events"), default=list, blank=True,
        help_text=_("The life events that bring people to this service."),
    )
    one_stop = models.BooleanField(
        _("one-stop"), default=False,
        help_text=_("Available through a single front door, whichever organisations provide it (B9)."),
    )
    device_candidate = models.BooleanField(
        _("asset-to-device candidate"), default=False,
        help_text=_("Could be engineered out by a direct connection between an asset and a device (B11.b.2), "
                    "e.g. a bin that reports it is full instead of a resident phoning."),
    )
    url = models.URLField(_("link"), blank=True)
    benefit_nodes = models.ManyToManyField(
        BenefitNode, blank=True, related_name="services", verbose_name=_("benefit-map nodes"),
        help_text=_("The outputs and outcomes of the benefit map this service contributes to (C1)."),
    )

    class Meta(KeyedRecord.Meta):
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        events = self.life_events
        if events in (None, ""):
            self.life_events = events = []
        if not isinstance(events, list):
            raise ValidationError({"life_events": _("give a list of life events")})
        allowed = set(choices.LifeEvent.values)
        unknown = [e for e in events if e not in allowed]
        if unknown:
            raise ValidationError(
                {"life_events": _("unknown life event %(e)s; use one of %(allowed)s")
                 % {"e": ", ".join(map(str, unknown)), "allowed": ", ".join(sorted(allowed))}}
            )
        if len(set(events)) != len(events):
            raise ValidationError({"life_events": _("a life event is listed twice")})

    def life_event_labels(self) -> list[str]:
        labels = dict(choices.LifeEvent.choices)
        return [str(labels[e]) for e in self.life_events if e in labels]


class CustomerSegment(KeyedRecord):
    """A group of people with shared needs (parents, commuters, new businesses ...) and how we know them (B9)."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    size = models.PositiveIntegerField(_("size (people)"), null=True, blank=True)
    needs = models.ManyToManyField(UserNeed, blank=True, related_name="segments", verbose_name=_("needs"))
    insight_sources = models.TextField(
        _("insight sources"), blank=True,
        help_text=_("Where what we know about the segment comes from: surveys, journey mapping, complaints, data."),
    )

    class Meta(KeyedRecord.Meta):
        ordering = ["name"]
        verbose_name = _("customer segment")
        verbose_name_plural = _("customer segments")

    def __str__(self) -> str:
        return self.name


class FranchiseTeam(KeyedRecord):
    """A cross-city team that owns the experience of one customer segment across organisations (B9)."""

    name = models.CharField(_("name"), max_length=200)
    segment = models.ForeignKey(CustomerSegment, on_delete=models.CASCADE, related_name="franchise_teams",
                                verbose_name=_("segment"))
    lead = models.ForeignKey(Person, on_delete=models.RESTRICT, null=True, blank=True,
                             related_name="franchise_teams_led", verbose_name=_("lead"))
    members = models.ManyToManyField(Organisation, blank=True, related_name="franchise_teams",
                                     verbose_name=_("member organisations"))
    services = models.ManyToManyField(Service, blank=True, related_name="franchise_teams",
                                      verbose_name=_("services in scope"))
    performance_measures = models.TextField(_("performance measures"), blank=True)
    kpis = models.ManyToManyField(Kpi, blank=True, related_name="franchise_teams", verbose_name=_("KPIs"),
                                  help_text=_("KPIs of the benefit map the team answers for (C2)."))

    class Meta(KeyedRecord.Meta):
        ordering = ["name"]
        verbose_name = _("franchise team")
        verbose_name_plural = _("franchise teams")

    def __str__(self) -> str:
        return self.name


class Channel(KeyedRecord):
    """A channel: face to face, phone, web, app, kiosk, post, intermediary or asset-to-device (B11.a)."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=choices.ChannelKind.choices)
    it_system = models.CharField(
        _("IT system"), max_length=200, blank=True,
        help_text=_("The system behind the channel, unless an offering names its own."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta(KeyedRecord.Meta):
        ordering = ["name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return self.name

    @property
    def digital(self) -> bool:
        return channel_rules.is_digital(self.kind)


class ServiceChannel(CityRecord):
    """A service offered through a channel, on an IT system, with the service level promised there (B11.a)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="offerings",
                                verbose_name=_("service"))
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="offerings",
                                verbose_name=_("channel"))
    it_system = models.CharField(
        _("IT system"), max_length=200, blank=True,
        help_text=_("The system this service uses on this channel; empty means the channel's own system."),
    )
    service_level_standard = models.CharField(
        _("service-level standard"), max_length=300, blank=True,
        help_text=_("What is promised on this channel, e.g. 'answered within 60 seconds'."),
    )

    class Meta:
        ordering = ["service", "channel"]
        verbose_name = _("service channel")
        verbose_name_plural = _("service channels")
        constraints = [models.UniqueConstraint(fields=["service", "channel"],
                                               name="citizen_services_offering_unique")]

    def __str__(self) -> str:
        return f"{self.service} – {self.channel}"

    @property
    def system(self) -> str:
        """The IT system actually used: the offering's own, or else the channel's."""
        return self.it_system or (self.channel.it_system if self.channel_id else "")


class ChannelAudit(CityRecord):
    """One quarter of one service on one channel: volume, cost and how well it went (B11.a)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="audit_rows",
                                verbose_name=_("service"))
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="audit_rows",
                                verbose_name=_("channel"))
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(1990), MaxValueValidator(2100)])
    quarter = models.PositiveSmallIntegerField(_("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)],
                                               help_text=_("Calendar quarter, 1 to 4."))
    transactions = models.PositiveIntegerField(_("transactions"))
    total_cost = models.DecimalField(_("total cost"), max_digits=14, decimal_places=2, validators=NOT_NEGATIVE)
    completion_rate = _percent_field(_("completion rate (%)"), null=True, blank=True,
                                     help_text=_("Share of started transactions that were completed."))
    satisfaction = _percent_field(_("satisfaction (%)"), null=True, blank=True,
                                  help_text=_("Share of users satisfied or very satisfied."))
    service_level_met = _percent_field(_("service level met (%)"), null=True, blank=True,
                                       help_text=_("Share of transactions that met the channel's service-level "
                                                   "standard."))

    class Meta:
        ordering = ["service", "channel", "year", "quarter"]
        verbose_name = _("channel audit row")
        verbose_name_plural = _("channel audit rows")
        constraints = [models.UniqueConstraint(fields=["service", "channel", "year", "quarter"],
                                               name="citizen_services_audit_unique")]

    def __str__(self) -> str:
        return f"{self.service} – {self.channel} – {self.year} Q{self.quarter}"

    @property
    def period(self) -> str:
        return f"{self.year}-Q{self.quarter}"

    @property
    def cost_per_transaction(self) -> Decimal | None:
        from .domain import audit

        return audit.unit_cost(self.total_cost, self.transactions)


class ChannelShiftScenario(KeyedRecord):
    """Moving a share of one service's transactions from one channel to another: inputs and saved results (B11.b)."""

    name = models.CharField(_("name"), max_length=200)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="shift_scenarios",
                                verbose_name=_("service"))
    from_channel = models.ForeignKey(Channel, on_delete=models.RESTRICT, related_name="+",
                                     verbose_name=_("from channel"))
    to_channel = models.ForeignKey(Channel, on_delete=models.RESTRICT, related_name="+",
                                   verbose_name=_("to channel"))
    share_moved = _percent_field(_("share moved (%)"),
                                 help_text=_("Share of the from-channel's yearly transactions moved by the end."))
    years = models.PositiveSmallIntegerField(_("years"), default=1, validators=[MinValueValidator(1),
                                                                                MaxValueValidator(20)],
                                             help_text=_("Years over which the shift builds up in equal steps."))
    baseline_year = models.PositiveSmallIntegerField(
        _("baseline year"), validators=[MinValueValidator(1990), MaxValueValidator(2100)],
        help_text=_("The audit year whose volumes and unit costs the scenario starts from."),
    )
    set_aside = _percent_field(_("set aside for assisted digital (%)"), default=Decimal("0"),
                               help_text=_("Share of the savings kept to fund assisted digital provision "
                                           "(B11.b.3.i)."))
    from_unit_cost = models.DecimalField(
        _("from-channel unit cost"), max_digits=12, decimal_places=4, null=True, blank=True, validators=NOT_NEGATIVE,
        help_text=_("Leave empty to use the audit of the baseline year."),
    )
    to_unit_cost = models.DecimalField(
        _("to-channel unit cost"), max_digits=12, decimal_places=4, null=True, blank=True, validators=NOT_NEGATIVE,
        help_text=_("Leave empty to use the audit of the baseline year (this service, else the channel across "
                    "services)."),
    )
    benefit_nodes = models.ManyToManyField(
        BenefitNode, blank=True, related_name="shift_scenarios", verbose_name=_("benefit-map nodes"),
        help_text=_("The investments and outcomes of the benefit map this scenario supports (C1)."),
    )
    notes = models.TextField(_("notes"), blank=True)
    # Results, computed by clean() from the inputs and the audit and saved with them.
    baseline_transactions = models.PositiveIntegerField(_("baseline transactions"), default=0, editable=False)
    used_from_unit_cost = models.DecimalField(_("from unit cost used"), max_digits=12, decimal_places=4,
                                              default=Decimal("0"), editable=False)
    used_to_unit_cost = models.DecimalField(_("to unit cost used"), max_digits=12, decimal_places=4,
                                            default=Decimal("0"), editable=False)
    moved_transactions = models.PositiveIntegerField(_("transactions moved per year"), default=0, editable=False)
    annual_saving = models.DecimalField(_("yearly saving at full shift"), max_digits=14, decimal_places=2,
                                        default=Decimal("0"), editable=False)
    total_saving = models.DecimalField(_("total saving over the period"), max_digits=14, decimal_places=2,
                                       default=Decimal("0"), editable=False)
    total_set_aside = models.DecimalField(_("total set aside"), max_digits=14, decimal_places=2,
                                          default=Decimal("0"), editable=False)
    total_net_saving = models.DecimalField(_("total net saving"), max_digits=14, decimal_places=2,
                                           default=Decimal("0"), editable=False)
    yearly = models.JSONField(_("year by year"), default=no_years, blank=True, editable=False)

    class Meta(KeyedRecord.Meta):
        ordering = ["key"]
        verbose_name = _("channel-shift scenario")
        verbose_name_plural = _("channel-shift scenarios")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.from_channel_id and self.from_channel_id == self.to_channel_id:
            raise ValidationError({"to_channel": _("choose a channel other than the one transactions move from")})
        if self.service_id and self.from_channel_id and self.to_channel_id and self.baseline_year:
            from . import services

            services.compute_scenario(self)


class DigitalInclusionAction(KeyedRecord):
    """Help so that nobody is left behind by digital channels: assisted digital, training, access points (B11.b.3)."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=choices.InclusionKind.choices)
    description = models.TextField(_("description"), blank=True)
    segments = models.ManyToManyField(CustomerSegment, blank=True, related_name="inclusion_actions",
                                      verbose_name=_("segments served"))
    provider = models.ForeignKey(Organisation, on_delete=models.RESTRICT, null=True, blank=True,
                                 related_name="inclusion_actions", verbose_name=_("provider"))
    reach = models.PositiveIntegerField(_("reach (people)"), default=0)
    cost = models.DecimalField(_("cost"), max_digits=14, decimal_places=2, default=Decimal("0"),
                               validators=NOT_NEGATIVE)
    status = models.CharField(_("status"), max_length=20, choices=choices.InclusionStatus.choices,
                              default=choices.InclusionStatus.PLANNED)
    funded_by = models.ForeignKey(
        ChannelShiftScenario, on_delete=models.SET_NULL, null=True, blank=True, related_name="inclusion_actions",
        verbose_name=_("funded by scenario"),
        help_text=_("The channel-shift scenario whose set-aside pays for this action (B11.b.3.i)."),
    )

    class Meta(KeyedRecord.Meta):
        ordering = ["key"]
        verbose_name = _("digital-inclusion action")
        verbose_name_plural = _("digital-inclusion actions")

    def __str__(self) -> str:
        return self.name
