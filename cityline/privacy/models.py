"""The personal-data inventory, the purposes it serves, consent events and erasure evidence (B10, B14).

``ProcessingPurpose`` and ``PersonalDataHolding`` are city records: edited in the editor,
versioned with history, carried by the city pack (``privacy.yaml``) and published on
``/<city>/privacy/`` (B14: transparency about personal data; B2.g: open governance).

``ConsentEvent`` and ``ErasureRecord`` are personal records, not part of the operating
model: no city pack, no generic API, read-only for platform administrators in the editor.
Consent is append-only: the current decision for a purpose is the latest event
(:mod:`cityline.privacy.consent`).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cityline.core.models import KeyedRecord, Organisation

from .choices import ConsentAction, DataCategory, LawfulBasis


class ProcessingPurpose(KeyedRecord):
    """Why personal data is processed, by which controller, on which lawful basis (GDPR Art. 6)."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    controller = models.ForeignKey(Organisation, on_delete=models.RESTRICT, related_name="processing_purposes",
                                   verbose_name=_("controller"),
                                   help_text=_("The organisation that decides why and how the data is used."))
    category = models.CharField(_("purpose category"), max_length=100, blank=True,
                                help_text=_("A short category for consent receipts, e.g. 'research' or "
                                            "'communications'."))
    lawful_basis = models.CharField(_("lawful basis"), max_length=30, choices=LawfulBasis.choices)
    asks_consent = models.BooleanField(
        _("asks for consent"), default=False,
        help_text=_("People choose whether to take part, and may withdraw at any time in their account."))
    services = models.ManyToManyField("citizen_services.Service", blank=True, related_name="processing_purposes",
                                      verbose_name=_("services"))
    policy_url = models.URLField(_("privacy notice"), blank=True)
    termination = models.TextField(_("how consent ends"), blank=True,
                                   help_text=_("What happens when consent is withdrawn or the purpose ends."))
    third_parties = models.TextField(_("third parties"), blank=True,
                                     help_text=_("Who else receives the data for this purpose, if anyone."))
    contact_email = models.EmailField(_("contact e-mail"), blank=True,
                                      help_text=_("The controller's data protection contact for this purpose."))
    contact_phone = models.CharField(_("contact phone"), max_length=50, blank=True)
    contact_address = models.TextField(_("contact address"), blank=True)
    published = models.BooleanField(_("published"), default=True)

    class Meta(KeyedRecord.Meta):
        ordering = ["name"]
        verbose_name = _("processing purpose")
        verbose_name_plural = _("processing purposes")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        problems = {}
        if self.lawful_basis == LawfulBasis.CONSENT and not self.asks_consent:
            problems["asks_consent"] = _("a purpose whose lawful basis is consent must ask for consent")
        if self.asks_consent:
            if not self.policy_url:
                problems["policy_url"] = _("a purpose that asks for consent needs a privacy notice")
            if not self.termination.strip():
                problems["termination"] = _("say how consent ends (what happens on withdrawal)")
            if not self.contact_email:
                problems["contact_email"] = _("a purpose that asks for consent needs a contact e-mail")
        if problems:
            raise ValidationError(problems)


def validate_categories(value) -> None:
    """A non-empty list of known categories of personal data, each once (names the bad value)."""
    allowed = DataCategory.values
    if not isinstance(value, list) or not value:
        raise ValidationError(_("give at least one category of personal data"))
    unknown = [str(c) for c in value if c not in allowed]
    if unknown:
        raise ValidationError(_("unknown category %(c)s; use one of %(allowed)s")
                              % {"c": ", ".join(unknown), "allowed": ", ".join(allowed)})
    if len(set(value)) != len(value):
        raise ValidationError(_("a category is listed twice"))


class PersonalDataHolding(KeyedRecord):
    """An entry of the personal-data inventory: a system, who holds it, what it holds about whom, why (B14)."""

    name = models.CharField(_("system"), max_length=200, help_text=_("The system or record set."))
    description = models.TextField(_("description"), blank=True)
    holder = models.ForeignKey(Organisation, on_delete=models.RESTRICT, related_name="personal_data_holdings",
                               verbose_name=_("holder"))
    service = models.ForeignKey("citizen_services.Service", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="personal_data_holdings", verbose_name=_("service"))
    data_asset = models.ForeignKey("opendata.DataAsset", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="personal_data_holdings", verbose_name=_("data asset"))
    building_block = models.ForeignKey("architecture.BuildingBlock", on_delete=models.SET_NULL, null=True,
                                       blank=True, related_name="personal_data_holdings",
                                       verbose_name=_("building block"))
    categories = models.JSONField(
        _("categories of personal data"), default=list, validators=[validate_categories],
        help_text=format_lazy("{} {}.", _("One or more of:"), ", ".join(DataCategory.values)))
    data_subjects = models.CharField(_("about whom"), max_length=300,
                                     help_text=_("Whose data it is, e.g. 'residents who pay council tax'."))
    purposes = models.ManyToManyField(ProcessingPurpose, related_name="holdings", verbose_name=_("purposes"))
    lawful_basis = models.CharField(_("lawful basis"), max_length=30, choices=LawfulBasis.choices)
    retention = models.CharField(_("kept for"), max_length=300,
                                 help_text=_("How long the data is kept, in words."))
    retention_days = models.PositiveIntegerField(_("kept for (days)"), null=True, blank=True)
    shared_with = models.ManyToManyField(Organisation, blank=True, related_name="personal_data_received",
                                         verbose_name=_("shared with"))
    shared_with_others = models.CharField(_("also shared with"), max_length=300, blank=True,
                                          help_text=_("Recipients that are not organisations of the city."))
    transfers_outside_eea = models.BooleanField(_("transfers outside the EEA"), default=False)
    transfers = models.CharField(_("transfers"), max_length=300, blank=True,
                                 help_text=_("Where to and under which safeguard."))
    security_measures = models.TextField(_("security measures"), blank=True)
    published = models.BooleanField(_("published"), default=True,
                                    help_text=_("The inventory is public by default (B14)."))

    class Meta(KeyedRecord.Meta):
        ordering = ["holder__name", "name"]
        verbose_name = _("personal data holding")
        verbose_name_plural = _("personal data holdings")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.transfers_outside_eea and not self.transfers.strip():
            raise ValidationError({"transfers": _("say where the data goes and under which safeguard")})

    @property
    def special(self) -> bool:
        from .choices import SPECIAL_CATEGORIES

        return any(c in SPECIAL_CATEGORIES for c in self.categories or [])


class ConsentEvent(models.Model):
    """One consent decision of one person for one purpose, with its receipt. Append-only.

    ``subject`` is the person's pseudonymous id (the receipt's ``piiPrincipalId``). Erasure
    removes the link to the user and keeps the event as evidence.

    ``purpose_ref`` is the purpose's id, kept when the purpose is deleted (``purpose`` then becomes
    empty): the events of one purpose form one chain, also after a deletion, and a later purpose of
    the same key is another chain. It is empty only on events of purposes deleted before it was
    kept (migration 0002): those are told apart by city and ``purpose_key`` alone.
    """

    city = models.ForeignKey("core.City", on_delete=models.CASCADE, related_name="+", verbose_name=_("city"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="consent_events", verbose_name=_("user"))
    subject = models.CharField(_("pseudonymous subject"), max_length=64, db_index=True)
    purpose = models.ForeignKey(ProcessingPurpose, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="consent_events", verbose_name=_("purpose"))
    purpose_key = models.SlugField(_("purpose key"), max_length=80)
    purpose_ref = models.PositiveBigIntegerField(
        _("purpose identifier"), null=True, blank=True, db_index=True,
        help_text=_("The purpose's id, kept when the purpose is deleted: consents to two deleted purposes of "
                    "the same key stay apart."))
    action = models.CharField(_("action"), max_length=10, choices=ConsentAction.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    receipt_id = models.UUIDField(_("receipt ID"), default=uuid.uuid4, unique=True, editable=False)
    receipt = models.JSONField(_("receipt"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("consent event")
        verbose_name_plural = _("consent events")

    def __str__(self) -> str:
        return f"{self.purpose_key}: {self.action} ({self.at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("consent events are append-only: record a new event instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("consent events are kept as evidence; erasure pseudonymises them")


class ErasureRecord(models.Model):
    """Evidence that a person's account data was erased: when, their pseudonymous id, what (counts)."""

    at = models.DateTimeField(_("at"), default=timezone.now)
    subject = models.CharField(_("pseudonymous subject"), max_length=64, db_index=True)
    erased = models.JSONField(_("erased"), default=dict, help_text=_("Number of records erased, by kind."))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("erasure record")
        verbose_name_plural = _("erasure records")

    def __str__(self) -> str:
        return f"{self.subject} ({self.at:%Y-%m-%d})"
