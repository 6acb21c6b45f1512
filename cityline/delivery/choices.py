"""Enumerations of benefit delivery (C3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .domain import plans


class ActivityStatus(models.TextChoices):
    PLANNED = plans.PLANNED, _("Planned")
    IN_PROGRESS = plans.IN_PROGRESS, _("In progress")
    DONE = plans.DONE, _("Done")
    BLOCKED = plans.BLOCKED, _("Blocked")
    CANCELLED = plans.CANCELLED, _("Cancelled")


class Priority(models.TextChoices):
    HIGH = plans.HIGH, _("High")
    MEDIUM = plans.MEDIUM, _("Medium")
    LOW = plans.LOW, _("Low")
