"""Consultations and what people contribute to them (B1.b, B2.g, B3).

City records (``CityRecord``/``KeyedRecord``: editor, API, city pack, change history):
the city's participation settings, consultations with their survey questions, and the
published response ("you said, we did") with its items.

Personal records (plain models with a ``city`` for authorisation; no pack, no history): who
took part (:class:`Participant`, with a chosen display name and optional self-declared
profile), what they wrote (:class:`Contribution`), supports, survey answers, reports, and the
append-only moderation log. Public pages and open data show display names and aggregates only.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cityline.core.models import CityRecord, KeyedRecord, Organisation
from cityline.strategy.choices import PartyCategory

from .choices import (
    ConsultationStatus,
    ContributionKind,
    EngagementMetric,
    MetricPeriod,
    ModerationAction,
    QuestionKind,
    ResponseChannel,
    ResponseOutcome,
    ResponseStatus,
)

#: The records a consultation can be about, as (field name, model label). Response items name one of these.
SUBJECT_FIELDS = [
    ("vision_objectives", "strategy.VisionObjective"),
    ("principles", "strategy.Principle"),
    ("initiatives", "strategy.Initiative"),
    ("policy_products", "core.Document"),
    ("services", "citizen_services.Service"),
    ("datasets", "opendata.Dataset"),
]


def _check_list(value, allowed: list[str], *, empty_ok: bool) -> str | None:
    """The problem with a JSON list of choice values, or None."""
    if not isinstance(value, list):
        return _("give a list")
    if not value and not empty_ok:
        return _("give at least one value")
    unknown = [str(v) for v in value if v not in allowed]
    if unknown:
        return _("unknown value %(v)s; use one of %(allowed)s") % {"v": ", ".join(unknown),
                                                                     "allowed": ", ".join(allowed)}
    if len(set(value)) != len(value):
        return _("a value is listed twice")
    return None


class ParticipationSettings(CityRecord):
    """How a city runs participation: districts people may declare, suppression threshold, response target."""

    districts = models.JSONField(
        _("districts"), default=list, blank=True,
        help_text=_("The districts participants may say they live in (optional, aggregated only)."))
    small_count_threshold = models.PositiveSmallIntegerField(
        _("small-count threshold"), default=5, validators=[MinValueValidator(2), MaxValueValidator(50)],
        help_text=_("Published breakdowns hide any group with fewer participants than this."))
    response_target_days = models.PositiveSmallIntegerField(
        _("response target (days)"), default=60, validators=[MinValueValidator(1)],
        help_text=_("Days after closing by which the city publishes its response."))
    allows_verified_anonymous = models.BooleanField(
        _("allows verified-anonymous participation"), default=False,
        help_text=_("Signed-in people may take part without a public display name, where a consultation allows."))

    class Meta:
        verbose_name = _("participation settings")
        verbose_name_plural = _("participation settings")
        constraints = [models.UniqueConstraint(fields=["city"], name="participation_settings_one_per_city")]

    def __str__(self) -> str:
        return str(_("participation settings"))

    def clean(self) -> None:
        super().clean()
        if not isinstance(self.districts, list) or any(not isinstance(d, str) or not d.strip()
                                                       for d in self.districts):
            raise ValidationError({"districts": _("give a list of district names")})
        if len(set(self.districts)) != len(self.districts):
            raise ValidationError({"districts": _("a district is listed twice")})


class Consultation(KeyedRecord):
    """A question put to the public about named operating-model records, open between two dates (B1.b, B3)."""

    title = models.CharField(_("title"), max_length=200)
    question = models.TextField(_("question"), help_text=_("What the city asks, in plain words."))
    background = models.TextField(_("background"), blank=True)
    organiser = models.ForeignKey(Organisation, on_delete=models.RESTRICT, related_name="consultations",
                                  verbose_name=_("organiser"))
    documents = models.ManyToManyField("core.Document", blank=True, related_name="background_of",
                                       verbose_name=_("background documents"))
    vision_objectives = models.ManyToManyField("strategy.VisionObjective", blank=True, related_name="consultations",
                                               verbose_name=_("vision objectives"))
    principles = models.ManyToManyField("strategy.Principle", blank=True, related_name="consultations",
                                        verbose_name=_("principles"))
    initiatives = models.ManyToManyField("strategy.Initiative", blank=True, related_name="consultations",
                                         verbose_name=_("roadmap initiatives"))
    policy_products = models.ManyToManyField("core.Document", blank=True, related_name="consultations",
                                             verbose_name=_("policy products"))
    services = models.ManyToManyField("citizen_services.Service", blank=True, related_name="consultations",
                                      verbose_name=_("services"))
    datasets = models.ManyToManyField("opendata.Dataset", blank=True, related_name="consultations",
                                      verbose_name=_("datasets"))
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    audiences = models.JSONField(
        _("target audiences"), default=list, blank=True,
        help_text=format_lazy("{} {}", _("Interested-party categories the consultation aims at:"),
                              ", ".join(PartyCategory.values)))
    segments = models.ManyToManyField("citizen_services.CustomerSegment", blank=True, related_name="consultations",
                                      verbose_name=_("customer segments"))
    channels = models.JSONField(
        _("channels"), default=list,
        help_text=format_lazy("{} {}", _("How people can respond:"), ", ".join(ResponseChannel.values)))
    status = models.CharField(_("status"), max_length=20, choices=ConsultationStatus.choices,
                              default=ConsultationStatus.DRAFT)
    closed_on = models.DateField(_("closed on"), null=True, blank=True,
                                 help_text=_("The day it actually closed (set when it closes)."))
    allows_anonymous = models.BooleanField(
        _("allows verified-anonymous contributions"), default=False,
        help_text=_("Only where the city's participation settings allow it."))
    engagement_activity = models.ForeignKey(
        "strategy.EngagementActivity", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="consultations", verbose_name=_("engagement activity"),
        help_text=_("The engagement programme's record of this consultation (B3)."))

    class Meta(KeyedRecord.Meta):
        ordering = ["-opens_on", "title"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status != ConsultationStatus.DRAFT

    def clean(self) -> None:
        super().clean()
        problems = {}
        if self.opens_on and self.closes_on and self.closes_on < self.opens_on:
            problems["closes_on"] = _("closes before it opens")
        problem = _check_list(self.audiences, PartyCategory.values, empty_ok=True)
        if problem:
            problems["audiences"] = problem
        problem = _check_list(self.channels, ResponseChannel.values, empty_ok=False)
        if problem:
            problems["channels"] = problem
        if problems:
            raise ValidationError(problems)


class SurveyQuestion(CityRecord):
    """One question of a consultation's optional structured survey."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="questions",
                                     verbose_name=_("consultation"))
    number = models.PositiveSmallIntegerField(_("number"), help_text=_("Order within the survey, from 1."))
    text = models.CharField(_("question"), max_length=500)
    kind = models.CharField(_("kind"), max_length=20, choices=QuestionKind.choices)
    options = models.JSONField(_("options"), default=list, blank=True,
                               help_text=_("The choices of a single- or multiple-choice question."))
    scale_min = models.SmallIntegerField(_("scale from"), null=True, blank=True)
    scale_max = models.SmallIntegerField(_("scale to"), null=True, blank=True)
    scale_min_label = models.CharField(_("label of the lowest point"), max_length=60, blank=True)
    scale_max_label = models.CharField(_("label of the highest point"), max_length=60, blank=True)
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        ordering = ["consultation", "number"]
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        constraints = [models.UniqueConstraint(fields=["consultation", "number"],
                                               name="participation_question_unique_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"

    def clean(self) -> None:
        super().clean()
        problems = {}
        choice = self.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
        if choice:
            if (not isinstance(self.options, list) or len(self.options) < 2
                    or any(not isinstance(o, str) or not o.strip() for o in self.options)):
                problems["options"] = _("a choice question needs at least two options")
            elif len(set(self.options)) != len(self.options):
                problems["options"] = _("an option is listed twice")
        elif self.options:
            problems["options"] = _("only choice questions have options")
        if self.kind == QuestionKind.SCALE:
            if self.scale_min is None or self.scale_max is None:
                problems["scale_max"] = _("a scale needs its lowest and highest point")
            elif not 2 <= self.scale_max - self.scale_min + 1 <= 11:
                problems["scale_max"] = _("a scale has between 2 and 11 points")
        elif self.scale_min is not None or self.scale_max is not None:
            problems["scale_min"] = _("only scale questions have a scale")
        if problems:
            raise ValidationError(problems)


class ConsultationResponse(CityRecord):
    """The city's published answer when a consultation closes: a summary and its items (closing the loop)."""

    consultation = models.OneToOneField(Consultation, on_delete=models.CASCADE, related_name="response",
                                        verbose_name=_("consultation"))
    summary = models.TextField(_("summary"), help_text=_("What people said, in a few paragraphs."))
    status = models.CharField(_("status"), max_length=20, choices=ResponseStatus.choices,
                              default=ResponseStatus.DRAFT)
    published_on = models.DateField(_("published on"), null=True, blank=True)

    class Meta:
        verbose_name = _("consultation response")
        verbose_name_plural = _("consultation responses")

    def __str__(self) -> str:
        return str(_("Response to %(title)s") % {"title": self.consultation.title}) if self.consultation_id else "?"

    def clean(self) -> None:
        super().clean()
        if self.status == ResponseStatus.PUBLISHED and not self.published_on:
            raise ValidationError({"published_on": _("a published response has a publication date")})


class ResponseItem(CityRecord):
    """One "you said, we did" item: what people said, what the city did, and the record it changed (or why not)."""

    response = models.ForeignKey(ConsultationResponse, on_delete=models.CASCADE, related_name="items",
                                 verbose_name=_("response"))
    number = models.PositiveSmallIntegerField(_("number"))
    you_said = models.TextField(_("you said"))
    we_did = models.TextField(_("we did"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=ResponseOutcome.choices)
    reason = models.TextField(_("why"), blank=True,
                              help_text=_("Why the city did not change it (required when nothing changed)."))
    record_type = models.CharField(_("record type"), max_length=60, blank=True,
                                   choices=[(label, label) for _field, label in SUBJECT_FIELDS],
                                   help_text=_("The kind of record the item is about."))
    record_key = models.SlugField(_("record key"), max_length=80, blank=True)
    change_id = models.PositiveIntegerField(
        _("change"), null=True, blank=True,
        help_text=_("The change in the record's history that this item made (its before and after are shown)."))

    class Meta:
        ordering = ["response", "number"]
        verbose_name = _("response item")
        verbose_name_plural = _("response items")
        constraints = [models.UniqueConstraint(fields=["response", "number"],
                                               name="participation_item_unique_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.you_said[:60]}"

    def clean(self) -> None:
        super().clean()
        from .records import record_problem

        problems = {}
        if self.outcome == ResponseOutcome.NOT_CHANGED and not self.reason.strip():
            problems["reason"] = _("say why nothing changed")
        if bool(self.record_type) != bool(self.record_key):
            problems["record_key"] = _("give both the record type and its key, or neither")
        elif self.change_id and not self.record_type:
            problems["change_id"] = _("a change belongs to a record: give its type and key")
        if not problems and self.record_type and self.city_id:
            problem = record_problem(self.city_id, self.record_type, self.record_key, self.change_id)
            if problem:
                problems["change_id" if self.change_id and "change" in problem else "record_key"] = problem
        if problems:
            raise ValidationError(problems)


class EngagementKpiFeed(CityRecord):
    """A leading-indicator KPI whose values Cityline computes from participation (B3, C2.c)."""

    kpi = models.OneToOneField("benefits.Kpi", on_delete=models.CASCADE, related_name="engagement_feed",
                               verbose_name=_("KPI"))
    metric = models.CharField(_("metric"), max_length=40, choices=EngagementMetric.choices)
    period = models.CharField(_("period"), max_length=20, choices=MetricPeriod.choices, default=MetricPeriod.QUARTER)

    class Meta:
        verbose_name = _("engagement KPI feed")
        verbose_name_plural = _("engagement KPI feeds")

    def __str__(self) -> str:
        return f"{self.kpi}: {self.get_metric_display()}"

    #: The KPI frequency each period writes at (a value per quarter is a quarterly KPI's value).
    FREQUENCY = {MetricPeriod.QUARTER: "quarterly", MetricPeriod.YEAR: "annual"}

    def clean(self) -> None:
        super().clean()
        kpi = self.kpi if self.kpi_id else None
        if kpi is not None and kpi.frequency != self.FREQUENCY.get(self.period):
            raise ValidationError({"period": _("a value per %(period)s fits a %(frequency)s KPI; this KPI is %(kpi)s")
                                   % {"period": self.get_period_display().lower(),
                                      "frequency": self.FREQUENCY.get(self.period, "?"),
                                      "kpi": kpi.get_frequency_display().lower()}})


# --- personal records ---------------------------------------------------------------------------


class Participant(models.Model):
    """A person taking part in one consultation, under a display name of their choice.

    ``user`` is empty for offline responses entered by staff (``entered_by``), and after erasure.
    ``language`` is the site language they took part in, so what the city sends them is in it.
    The profile (interested-party category, customer segment, district) is self-declared and
    optional; it is only ever published aggregated, with small groups suppressed.
    """

    city = models.ForeignKey("core.City", on_delete=models.CASCADE, related_name="+", verbose_name=_("city"))
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="participants",
                                     verbose_name=_("consultation"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="participations", verbose_name=_("user"))
    display_name = models.CharField(_("display name"), max_length=60)
    anonymous = models.BooleanField(_("verified-anonymous"), default=False)
    party_category = models.CharField(_("I take part as"), max_length=20, choices=PartyCategory.choices, blank=True)
    segment = models.ForeignKey("citizen_services.CustomerSegment", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("customer segment"))
    district = models.CharField(_("district"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=ResponseChannel.choices,
                               default=ResponseChannel.ONLINE)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("entered by"))
    notify = models.BooleanField(_("tell me when the city responds"), default=True)
    language = models.CharField(
        _("language"), max_length=10, blank=True,
        help_text=_("The site's language when the person last saved how they take part: e-mails to them are "
                    "written in it (empty: the site's default language)."))
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)

    class Meta:
        ordering = ["consultation", "joined_at", "id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["consultation", "user"], condition=models.Q(user__isnull=False),
                                    name="participation_one_participant_per_person"),
        ]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        from .personal import ERASED_NAME

        if self.anonymous:
            return str(_("Verified participant"))
        if self.user_id is None and self.display_name == ERASED_NAME:  # erased at the person's request
            return str(_("Former participant"))
        return self.display_name


class Contribution(models.Model):
    """A comment, a reply (a comment with a parent) or a proposed alternative, by one participant."""

    city = models.ForeignKey("core.City", on_delete=models.CASCADE, related_name="+", verbose_name=_("city"))
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="contributions",
                                     verbose_name=_("consultation"))
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="contributions",
                                    verbose_name=_("participant"))
    kind = models.CharField(_("kind"), max_length=20, choices=ContributionKind.choices,
                            default=ContributionKind.COMMENT)
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies",
                               verbose_name=_("in reply to"))
    title = models.CharField(_("title"), max_length=200, blank=True, help_text=_("Proposals only."))
    body = models.TextField(_("text"), max_length=5000)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.CharField(_("reason for hiding"), max_length=300, blank=True,
                                     help_text=_("Shown publicly in place of the text."))
    erased = models.BooleanField(_("erased at the author's request"), default=False)

    class Meta:
        ordering = ["consultation", "created_at", "id"]
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        indexes = [models.Index(fields=["consultation", "kind"])]

    def __str__(self) -> str:
        return self.title or self.body[:60]

    @property
    def public_title(self) -> str:
        """The title as the public sees it (a translated marker once erased at the author's request)."""
        if self.erased and self.title:
            return str(_("Erased proposal"))
        return self.title

    @property
    def public_body(self) -> str:
        """The text as the public sees it (a translated marker once erased at the author's request)."""
        return str(_("This contribution was erased at its author's request.")) if self.erased else self.body


class Support(models.Model):
    """One participant's support of one proposal (once per person)."""

    city = models.ForeignKey("core.City", on_delete=models.CASCADE, related_name="+", verbose_name=_("city"))
    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="supports",
                                     verbose_name=_("proposal"))
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="supports",
                                    verbose_name=_("participant"))
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [models.UniqueConstraint(fields=["contribution", "participant"],
                                               name="participation_support_once_per_person")]

    def __str__(self) -> str:
        return f"{self.participant_id} → {self.contribution_id}"


class SurveyAnswer(models.Model):
    """One participant's answer to one survey question: an option, options, a scale point or text."""

    city = models.ForeignKey("core.City", on_delete=models.CASCADE, related_name="+", verbose_name=_("city"))
    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="answers",
                                 verbose_name=_("question"))
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="answers",
                                    verbose_name=_("participant"))
    value = models.JSONField(_("answer"))
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [models.UniqueConstraint(fields=["question", "participant"],
                                               name="participation_answer_once_per_question")]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.value!r}"


class ContributionReport(models.Model):
    """Someone reported a contribution to the moderators."""

    city = models.ForeignKey("core.City", on_delete=models.CASCADE, related_name="+", verbose_name=_("city"))
    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="reports",
                                     verbose_name=_("contribution"))
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("reported by"))
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    resolved = models.BooleanField(_("resolved"), default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [models.UniqueConstraint(fields=["contribution", "reporter"],
                                               condition=models.Q(reporter__isnull=False),
                                               name="participation_report_once_per_person")]

    def __str__(self) -> str:
        return self.reason[:60]


class ModerationEvent(models.Model):
    """The moderation log: who hid or restored which contribution, when and why. Append-only."""

    city = models.ForeignKey("core.City", on_delete=models.CASCADE, related_name="+", verbose_name=_("city"))
    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="moderation",
                                     verbose_name=_("contribution"))
    action = models.CharField(_("action"), max_length=20, choices=ModerationAction.choices)
    reason = models.CharField(_("public reason"), max_length=300)
    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("moderator"))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("moderation event")
        verbose_name_plural = _("moderation log")

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.reason}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("the moderation log is append-only: record a new event instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("the moderation log is append-only")
