"""Fixed lists of the privacy app: lawful bases (GDPR Art. 6) and categories of personal data."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LawfulBasis(models.TextChoices):
    """The six lawful bases of GDPR Article 6(1)."""

    CONSENT = "consent", _("consent")
    CONTRACT = "contract", _("contract")
    LEGAL_OBLIGATION = "legal_obligation", _("legal obligation")
    VITAL_INTERESTS = "vital_interests", _("vital interests")
    PUBLIC_TASK = "public_task", _("public task")
    LEGITIMATE_INTERESTS = "legitimate_interests", _("legitimate interests")


class DataCategory(models.TextChoices):
    """Categories of personal data an inventory entry may hold."""

    IDENTITY = "identity", _("identity (name, date of birth, reference numbers)")
    CONTACT = "contact", _("contact details (e-mail, phone)")
    ADDRESS = "address", _("home address")
    LOCATION = "location", _("location and movements")
    FINANCIAL = "financial", _("financial (bank details, payments, benefits)")
    HOUSEHOLD = "household", _("household and family circumstances")
    VEHICLE = "vehicle", _("vehicles (registration numbers)")
    ONLINE = "online", _("online identifiers (account, device, IP address)")
    BEHAVIOURAL = "behavioural", _("behaviour and use of services")
    IMAGES = "images", _("images and CCTV footage")
    CHILDREN = "children", _("children's data")
    HEALTH = "health", _("health and care (special category)")
    BIOMETRIC = "biometric", _("biometric (special category)")
    BELIEFS = "beliefs", _("religious or political beliefs (special category)")
    ETHNICITY = "ethnicity", _("racial or ethnic origin (special category)")
    CRIMINAL = "criminal", _("criminal offences (Art. 10)")


#: Special categories (GDPR Art. 9) and criminal offence data (Art. 10): a receipt marks them ``sensitive``.
SPECIAL_CATEGORIES = frozenset({DataCategory.HEALTH, DataCategory.BIOMETRIC, DataCategory.BELIEFS,
                                DataCategory.ETHNICITY, DataCategory.CRIMINAL})


class ConsentAction(models.TextChoices):
    GRANTED = "granted", _("granted")
    WITHDRAWN = "withdrawn", _("withdrawn")
