"""Choice lists of the observations area (issue 6), named after the standard's and NGSI-LD's concepts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DownsampleInterval(models.TextChoices):
    """What older raw readings of a series are reduced to (their mean per interval)."""

    HOUR = "hour", _("Hourly means")
    DAY = "day", _("Daily means")


class RuleKind(models.TextChoices):
    THRESHOLD = "threshold", _("Threshold")
    RATE_OF_CHANGE = "rate_of_change", _("Rate of change")


class Comparison(models.TextChoices):
    ABOVE = "above", _("Above")
    BELOW = "below", _("Below")


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


class WebhookStatus(models.TextChoices):
    NONE = "none", _("No webhook")
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Engine(models.TextChoices):
    DUCKDB = "duckdb", _("DuckDB (this machine)")
    SPARK = "spark", _("Apache Spark")


class RunStatus(models.TextChoices):
    WRITTEN = "written", _("Measurement written")
    UNCHANGED = "unchanged", _("Unchanged")
    NO_DATA = "no_data", _("No readings in the period")
    REFUSED = "refused", _("Refused")


class IngestSource(models.TextChoices):
    FILE = "file", _("File (CLI)")
    HTTP = "http", _("HTTP upload")
    MQTT = "mqtt", _("MQTT")
    NGSI_LD = "ngsi-ld", _("NGSI-LD")
    DEMO = "demo", _("Demo")
