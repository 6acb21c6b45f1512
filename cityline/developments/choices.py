"""Enumerations of developments and infrastructure (B12)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InfrastructureType(models.TextChoices):
    """The kinds of infrastructure a project builds or changes (B12.b)."""

    ENERGY = "energy", _("Energy")
    WATER = "water", _("Water")
    WASTE = "waste", _("Waste")
    TELECOMS = "telecoms", _("Telecoms")
    TRANSPORT = "transport", _("Transport")
    BUILDINGS = "buildings", _("Buildings")
    PUBLIC_REALM = "public_realm", _("Public realm")


class Stage(models.TextChoices):
    """Where a project is in its life, in order."""

    CONCEPT = "concept", _("Concept")
    PLANNING = "planning", _("Planning")
    DESIGN = "design", _("Design")
    PROCUREMENT = "procurement", _("Procurement")
    CONSTRUCTION = "construction", _("Construction")
    OPERATION = "operation", _("Operation")


class ChecklistItem(models.TextChoices):
    """The smart-delivery checklist, one item per part of B12 (label names the recommendation)."""

    DUCTING = "ducting", _("Ducting for communications laid with the works (B12.a)")
    SENSORS = "sensors", _("Sensors fitted at build time (B12.a)")
    DATA_SHARING = "data_sharing", _("Data-sharing protocol agreed (B12.a)")
    HOLISTIC_ASSESSMENT = "holistic_assessment", _("Holistic assessment across infrastructures (B12.b)")
    JOINT_SENSORS = "joint_sensors", _("Joint sensor network with other infrastructures (B12.b)")
    PARTNERSHIP = "partnership", _("Partnership and business model (B12.c)")
    SMART_PROCUREMENT = "smart_procurement", _("Smart procurement as in B4 (B12.c)")


class ChecklistStatus(models.TextChoices):
    DONE = "done", _("Done")
    PLANNED = "planned", _("Planned")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")
    MISSING = "missing", _("Missing")
