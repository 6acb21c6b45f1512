"""Enumerations of the city-wide architecture (B14)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BlockKind(models.TextChoices):
    """What kind of architecture building block a record is (B14: modular services)."""

    APPLICATION = "application", _("Application")
    API = "api", _("API")
    DATA_PLATFORM = "data_platform", _("Data platform")
    INTEGRATION = "integration", _("Integration service")
    IDENTITY = "identity", _("Identity and access")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure")


class Lifecycle(models.TextChoices):
    """Where a building block is in its life, in order (B14: the migration from legacy to target)."""

    PROPOSED = "proposed", _("Proposed")
    ACTIVE = "active", _("Active")
    LEGACY = "legacy", _("Legacy")
    RETIRING = "retiring", _("Retiring")
    RETIRED = "retired", _("Retired")


class StandardStatus(models.TextChoices):
    ADOPTED = "adopted", _("Adopted")
    CONSIDERED = "considered", _("Under consideration")
    RETIRED = "retired", _("Retired")


class StepStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


#: Steps still to do: only they may not lead to a retired building block.
LIVE_STEP_STATUSES = (StepStatus.PLANNED, StepStatus.IN_PROGRESS)
