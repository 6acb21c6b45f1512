"""Enumerations of the risk register (D)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RiskArea(models.TextChoices):
    """Which part of the operating model a risk sits in (D.1)."""

    STRATEGY = "strategy", _("Strategy management")
    SERVICE = "service", _("Service management")
    RESOURCE = "resource", _("Resource management")


class RiskNature(models.TextChoices):
    """What kind of risk it is; the key risks are mostly business and cultural change (D.1)."""

    BUSINESS_CHANGE = "business_change", _("Business change")
    CULTURAL_CHANGE = "cultural_change", _("Cultural change")
    FINANCIAL = "financial", _("Financial")
    LEGAL = "legal", _("Legal and regulatory")
    TECHNOLOGY = "technology", _("Technology")
    DELIVERY = "delivery", _("Delivery")


class RiskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MITIGATING = "mitigating", _("Being mitigated")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class ResponseKind(models.TextChoices):
    AVOID = "avoid", _("Avoid")
    REDUCE = "reduce", _("Reduce")
    TRANSFER = "transfer", _("Transfer")
    ACCEPT = "accept", _("Accept")
    CONTINGENCY = "contingency", _("Contingency plan")


class ResponseStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    AGREED = "agreed", _("Agreed")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    REJECTED = "rejected", _("Rejected")
