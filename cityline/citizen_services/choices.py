"""Enumerations of citizen services, channels and digital inclusion (B9, B11)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    """The ways a citizen or business reaches a service (B11.a); whether a kind is digital is in domain.channels."""

    FACE_TO_FACE = "face_to_face", _("Face to face")
    PHONE = "phone", _("Telephone")
    WEB = "web", _("Web")
    APP = "app", _("Mobile app")
    KIOSK = "kiosk", _("Self-service kiosk")
    POST = "post", _("Post")
    INTERMEDIARY_PRIVATE = "intermediary_private", _("Intermediary: private partner")
    INTERMEDIARY_VOLUNTARY = "intermediary_voluntary", _("Intermediary: voluntary partner")
    ASSET_TO_DEVICE = "asset_to_device", _("Direct asset-to-device connection")


class LifeEvent(models.TextChoices):
    """Moments in a life that bring people to several services at once (B9); the service directory groups by them."""

    HAVING_A_BABY = "having_a_baby", _("Having a baby")
    STARTING_SCHOOL = "starting_school", _("Starting school")
    MOVING_HOME = "moving_home", _("Moving home")
    LOOKING_FOR_WORK = "looking_for_work", _("Looking for work")
    STARTING_A_BUSINESS = "starting_a_business", _("Starting a business")
    BECOMING_A_CARER = "becoming_a_carer", _("Becoming a carer")
    LIVING_WITH_A_DISABILITY = "living_with_a_disability", _("Living with a disability")
    GETTING_OLDER = "getting_older", _("Getting older")
    RETIRING = "retiring", _("Retiring")
    BEREAVEMENT = "bereavement", _("Dealing with a death")
    TRAVELLING = "travelling", _("Getting around the city")
    HOUSING_NEED = "housing_need", _("Needing a home")


class InclusionKind(models.TextChoices):
    """What a digital-inclusion action offers (B11.b.3)."""

    ASSISTED_DIGITAL = "assisted_digital", _("Assisted digital support")
    TRAINING = "training", _("Digital skills training")
    ACCESS_POINT = "access_point", _("Public access point")
    OTHER = "other", _("Other")


class InclusionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Running")
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped")
