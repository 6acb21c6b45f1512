"""Enumerations of the core: sectors, organisation lifecycle, policy products."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")
    VOLUNTARY = "voluntary", _("Voluntary")
    ACADEMIC = "academic", _("Academic")


class OrganisationLifecycle(models.TextChoices):
    """Where a partner organisation is in its life (B2.f: continuity as partners change)."""

    ACTIVE = "active", _("Active")
    MERGING = "merging", _("Merging")
    MERGED = "merged", _("Merged into successor")
    DECLINING = "declining", _("Declining")
    DISSOLVED = "dissolved", _("Dissolved")


class DocumentType(models.TextChoices):
    """Kinds of policy product: the documents that fill the interoperability matrix (B5)."""

    STRATEGY = "strategy", _("Strategy")
    POLICY = "policy", _("Policy")
    STANDARD = "standard", _("Standard")
    FRAMEWORK = "framework", _("Framework")
    GUIDANCE = "guidance", _("Guidance")
    PLAN = "plan", _("Plan")
    BUSINESS_CASE = "business_case", _("Business case")
    AGREEMENT = "agreement", _("Agreement")
    REPORT = "report", _("Report")
    MEETING_PAPER = "meeting_paper", _("Meeting paper")
    MINUTES = "minutes", _("Minutes")


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ADOPTED = "adopted", _("Adopted")
    PUBLISHED = "published", _("Published")
