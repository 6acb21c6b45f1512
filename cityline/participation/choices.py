"""Choice lists of the participation area."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsultationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    RESPONDED = "responded", _("Responded")


class ResponseChannel(models.TextChoices):
    """How a person took part: online, or offline with staff entering the response (B11: nobody excluded)."""

    ONLINE = "online", _("Online")
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("By phone")
    POST = "post", _("By post")


class ContributionKind(models.TextChoices):
    COMMENT = "comment", _("Comment")
    PROPOSAL = "proposal", _("Proposal")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    SCALE = "scale", _("Scale")
    TEXT = "text", _("Free text")


class ResponseOutcome(models.TextChoices):
    CHANGED = "changed", _("We changed it")
    PARTLY = "partly", _("We changed part of it")
    NOT_CHANGED = "not_changed", _("We did not change it")


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ModerationAction(models.TextChoices):
    HIDE = "hide", _("Hidden")
    RESTORE = "restore", _("Restored")
    DISMISS = "dismiss", _("Reports dismissed")


class EngagementMetric(models.TextChoices):
    """Engagement figures that can feed a leading-indicator KPI of the benefit map (B3, C2.c)."""

    RESPONDED_IN_TARGET = "responded_in_target", _("Share of closed consultations responded to within the target days")
    PARTICIPANTS = "participants", _("Participants")
    CONTRIBUTIONS = "contributions", _("Contributions")
    CONSULTATIONS_CLOSED = "consultations_closed", _("Consultations closed")
    OFFLINE_SHARE = "offline_share", _("Share of participants who took part offline")
    MEDIAN_DAYS_TO_RESPOND = "median_days_to_respond", _("Median days from closing to published response")


class MetricPeriod(models.TextChoices):
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")
