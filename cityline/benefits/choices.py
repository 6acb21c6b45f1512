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


# --- indicators and KPIs (C2) ---------------------------------------------------------------
# The values match the plain-data vocabulary of ``cityline.benefits.domain.kpi``.


class IndicatorSource(models.TextChoices):
    """Where an indicator comes from: a published list (C2.c) or the city itself."""

    ISO37120_2014 = "iso37120_2014", _("ISO 37120:2014 (city services and quality of life)")
    ISO37120_2018 = "iso37120_2018", _("ISO 37120:2018 (city services and quality of life)")
    ISO37122 = "iso37122", _("ISO 37122 (smart cities)")
    ISO37123 = "iso37123", _("ISO 37123 (resilient cities)")
    U4SSC = "u4ssc", _("ITU U4SSC KPIs for smart sustainable cities")
    OTHER = "other", _("Other published list")
    CITY = "city", _("Defined by the city")


class IndicatorType(models.TextChoices):
    """How a list ranks its indicators (ISO 37120: core, supporting, profile; U4SSC: core, advanced)."""

    CORE = "core", _("Core")
    SUPPORTING = "supporting", _("Supporting")
    ADVANCED = "advanced", _("Advanced")
    PROFILE = "profile", _("Profile")


class KpiKind(models.TextChoices):
    """Outcome indicators measure outcomes; leading indicators measure investments, activities, outputs (C2.c)."""

    OUTCOME = "outcome", _("Outcome indicator")
    LEADING = "leading", _("Leading indicator")


class Direction(models.TextChoices):
    """Which values are better."""

    HIGHER_IS_BETTER = "higher_is_better", _("Higher is better")
    LOWER_IS_BETTER = "lower_is_better", _("Lower is better")
    TARGET_BAND = "target_band", _("Within a target band")


class Frequency(models.TextChoices):
    """How often a new value is expected (decides when data is overdue, C2.f)."""

    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    ANNUAL = "annual", _("Annual")
    BIENNIAL = "biennial", _("Every two years")


class EvaluationMethod(models.TextChoices):
    """How the KPI's impact is evaluated (C2.d)."""

    REAL_TIME = "real_time", _("Real time")
    PERIODIC_SURVEY = "periodic_survey", _("Periodic survey")
    LONGITUDINAL_STUDY = "longitudinal_study", _("Longitudinal study")


class TrajectoryKind(models.TextChoices):
    """The planned path from baseline to target (C2.b)."""

    LINEAR = "linear", _("Linear")
    STEPPED = "stepped", _("Stepped milestones")
    CUSTOM = "custom", _("Custom points")


class ToleranceBasis(models.TextChoices):
    """What a KPI's tolerance is a fraction of."""

    EXPECTED = "expected", _("The expected value")
    CHANGE = "change", _("The whole planned change")


class QualityFlag(models.TextChoices):
    """How far a measured value can be trusted; bad values are kept but not used for status."""

    OK = "ok", _("OK")
    PROVISIONAL = "provisional", _("Provisional")
    ESTIMATED = "estimated", _("Estimated")
    BAD = "bad", _("Bad (ignored)")
