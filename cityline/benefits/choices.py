"""Enumerations of benefit realisation (C1–C3), named as in ISO 37106."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NodeKind(models.TextChoices):
    """The links of the chain a benefit map gives line of sight along (C1), in order."""

    INVESTMENT = "investment", _("Investment or activity")
    OUTPUT = "output", _("Output")
    INTERMEDIATE_OUTCOME = "intermediate_outcome", _("Intermediate outcome")
    END_OUTCOME = "end_outcome", _("End outcome")
    PURPOSE = "purpose", _("Strategic purpose")


class OutputType(models.TextChoices):
    """Outputs are enablers (artefacts, systems) or governance changes (processes, policies, behaviours)."""

    ENABLER = "enabler", _("Enabler")
    GOVERNANCE_CHANGE = "governance_change", _("Governance change")


class GovernanceChange(models.TextChoices):
    """The six governance changes of a smart city operating model (ISO 37106, Table 1)."""

    STAKEHOLDER_ALIGNMENT = "stakeholder_alignment", _("Stakeholder alignment")
    IMPROVED_TRANSPARENCY = "improved_transparency", _("Improved transparency")
    CITIZEN_ENGAGEMENT = "citizen_engagement", _("Citizen engagement")
    CROSS_SILO_COLLABORATION = "cross_silo_collaboration", _("Cross-silo collaboration")
    REAL_TIME_MANAGEMENT = "real_time_management", _("Real-time city management")
    SHARED_RESOURCES = "shared_resources", _("Shared use of common resources")


class Evidence(models.TextChoices):
    """How well a link's theory of change is supported (C1), weakest first."""

    ASSUMED = "assumed", _("Assumed")
    ANECDOTAL = "anecdotal", _("Anecdotal")
    EVALUATED = "evaluated", _("Evaluated")
    PROVEN = "proven", _("Proven")
