"""Enumerations of the open data platform (B8, B13, B14, C2.g).

Codes follow the vocabularies harvesters expect: licences are SPDX identifiers,
update frequencies and data themes are the EU Publications Office authority tables
that DCAT-AP uses (their URIs are built in :mod:`.domain.vocabularies`).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AssetType(models.TextChoices):
    """What kind of IT or data asset an entry of the register is (B13)."""

    DATASET = "dataset", _("Dataset")
    APPLICATION = "application", _("Application")
    API = "api", _("API")
    IOT_FLEET = "iot_fleet", _("IoT device fleet")
    PLATFORM = "platform", _("Platform")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure")


class AccessLevel(models.TextChoices):
    """Who may see a dataset (B8, B14: personal data protected, public data open)."""

    PUBLIC = "public", _("Public")
    RESTRICTED = "restricted", _("Restricted")
    INTERNAL = "internal", _("Internal")


class PublicationModel(models.TextChoices):
    """On what terms a dataset is offered (B8: free, value-added charged, commercial subscription)."""

    FREE = "free", _("Free")
    VALUE_ADDED = "value_added", _("Value-added, charged")
    COMMERCIAL = "commercial", _("Commercial subscription")


class Frequency(models.TextChoices):
    """How often a dataset is updated (codes of the EU frequency authority table)."""

    CONTINUOUS = "CONT", _("Continuously")
    DAILY = "DAILY", _("Daily")
    WEEKLY = "WEEKLY", _("Weekly")
    MONTHLY = "MONTHLY", _("Monthly")
    QUARTERLY = "QUARTERLY", _("Quarterly")
    ANNUAL = "ANNUAL", _("Annually")
    IRREGULAR = "IRREG", _("Irregularly")
    NEVER = "NEVER", _("Never (historical)")
    UNKNOWN = "UNKNOWN", _("Unknown")


class DataTheme(models.TextChoices):
    """The EU data themes (the DCAT-AP theme vocabulary) a city theme maps to."""

    AGRI = "AGRI", _("Agriculture, fisheries, forestry and food")
    ECON = "ECON", _("Economy and finance")
    EDUC = "EDUC", _("Education, culture and sport")
    ENER = "ENER", _("Energy")
    ENVI = "ENVI", _("Environment")
    GOVE = "GOVE", _("Government and public sector")
    HEAL = "HEAL", _("Health")
    INTR = "INTR", _("International issues")
    JUST = "JUST", _("Justice, legal system and public safety")
    REGI = "REGI", _("Regions and cities")
    SOCI = "SOCI", _("Population and society")
    TECH = "TECH", _("Science and technology")
    TRAN = "TRAN", _("Transport")


class Licence(models.TextChoices):
    """Licences by SPDX identifier; the first group is open (Open Definition conformant)."""

    CC0 = "CC0-1.0", _("Creative Commons Zero 1.0")
    CC_BY = "CC-BY-4.0", _("Creative Commons Attribution 4.0")
    CC_BY_SA = "CC-BY-SA-4.0", _("Creative Commons Attribution-ShareAlike 4.0")
    ODBL = "ODbL-1.0", _("Open Data Commons Open Database Licence 1.0")
    PDDL = "PDDL-1.0", _("Open Data Commons Public Domain Dedication 1.0")
    ODC_BY = "ODC-By-1.0", _("Open Data Commons Attribution 1.0")
    OGL_UK = "OGL-UK-3.0", _("Open Government Licence v3.0 (UK)")
    ETALAB = "etalab-2.0", _("Licence Ouverte / Etalab 2.0")
    DL_DE_BY = "DL-DE-BY-2.0", _("Data licence Germany – attribution – 2.0")
    BSD_3 = "BSD-3-Clause", _("BSD 3-Clause")
    CC_BY_NC = "CC-BY-NC-4.0", _("Creative Commons Attribution-NonCommercial 4.0 (not open)")
    PROPRIETARY = "LicenseRef-proprietary", _("Proprietary terms (not open)")


#: Licences that meet the Open Definition (the first star needs one).
OPEN_LICENCES = frozenset({
    "CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "ODbL-1.0", "PDDL-1.0", "ODC-By-1.0", "OGL-UK-3.0", "etalab-2.0",
    "DL-DE-BY-2.0", "BSD-3-Clause",
})


class DistributionKind(models.TextChoices):
    """A distribution is a file the platform holds (uploaded), a file elsewhere, or an API."""

    FILE = "file", _("File held by the platform")
    REMOTE = "remote", _("File elsewhere (link)")
    API = "api", _("API")


class Format(models.TextChoices):
    """File formats the platform knows (upper case, as CKAN shows them)."""

    CSV = "CSV", "CSV"
    JSON = "JSON", "JSON"
    GEOJSON = "GeoJSON", "GeoJSON"
    PARQUET = "Parquet", "Parquet"
    JSONLD = "JSON-LD", "JSON-LD"
    RDF = "RDF", "RDF/XML"
    TTL = "Turtle", "Turtle"
    XLSX = "XLSX", "XLSX"
    XLS = "XLS", "XLS"
    PDF = "PDF", "PDF"
    XML = "XML", "XML"
    SHP = "SHP", "Shapefile"
    HTML = "HTML", "HTML"
    API = "API", "API"


class GateResult(models.TextChoices):
    """The outcome of a privacy review (B8, B10)."""

    PASSED = "passed", _("Passed")
    BLOCKED = "blocked", _("Blocked")
    OVERRIDDEN = "overridden", _("Blocked, overridden by a data steward")


class TakeUpKind(models.TextChoices):
    """What a take-up count counts (B7.d, B8)."""

    VIEW = "view", _("Page views")
    DOWNLOAD = "download", _("Downloads")
    API = "api", _("API calls")
