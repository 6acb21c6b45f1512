"""Enumerations of cross-city comparison."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeerSourceKind(models.TextChoices):
    """Where a peer city's values were imported from."""

    CITYLINE_API = "cityline_api", _("Another Cityline's API")
    CITY_PACK = "city_pack", _("A city pack")
    CSV = "csv", _("A CSV file of indicator values")
    INSTANCE = "instance", _("A city of this Cityline")
