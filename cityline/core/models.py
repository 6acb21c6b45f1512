"""The small core every area builds on: the city, organisations, people, documents.

Every operating-model record belongs to a city (``CityRecord``). One Cityline
instance can host several cities (a region, or a shared service for small
municipalities). Records that city packs refer to carry a ``key``: a slug that is
unique per city and model and is how YAML files point at each other.

Every concrete model gets a change history (django-simple-history) and a
``version`` number used for optimistic locking by the actions layer
(``cityline.core.actions``): views, the API, the CLI and the pack importer never
call ``save()`` themselves.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import choices
from .domain import documents as document_rules


class City(models.Model):
    key = models.SlugField(_("key"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2 code"))
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("city")
        verbose_name_plural = _("cities")

    def __str__(self) -> str:
        return self.name


class CityRecord(models.Model):
    """Abstract base of every operating-model record: belongs to a city, versioned, with history."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+", verbose_name=_("city"))
    version = models.PositiveIntegerField(default=1, help_text=_("Increases at every change (optimistic locking)."))
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        # Every record that points at another city record must stay inside its city.
        for field in self._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and field.name != "city":
                target = getattr(self, field.name, None)
                target_city = getattr(target, "city_id", None)
                if target is not None and target_city is not None and self.city_id and target_city != self.city_id:
                    raise ValidationError({field.name: _("must belong to the same city")})


class KeyedRecord(CityRecord):
    """A city record with a stable key (slug) unique within its city."""

    key = models.SlugField(_("key"), max_length=80, help_text=_("Stable identifier, unique within the city."))

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["city", "key"], name="%(app_label)s_%(class)s_unique_key"),
        ]


class Organisation(KeyedRecord):
    name = models.CharField(_("name"), max_length=200)
    sector = models.CharField(_("sector"), max_length=20, choices=choices.Sector.choices)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), blank=True)
    lifecycle = models.CharField(
        _("lifecycle"), max_length=20, choices=choices.OrganisationLifecycle.choices,
        default=choices.OrganisationLifecycle.ACTIVE,
    )
    successor = models.ForeignKey(
        "self", on_delete=models.RESTRICT, null=True, blank=True, related_name="predecessors",
        verbose_name=_("successor"), help_text=_("Who takes over its assets and services (B2.f)."),
    )

    class Meta(KeyedRecord.Meta):
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.successor_id and self.successor_id == self.pk:
            raise ValidationError({"successor": _("an organisation cannot succeed itself")})
        if self.lifecycle == choices.OrganisationLifecycle.MERGED and not self.successor_id:
            raise ValidationError({"successor": _("a merged organisation needs a successor")})


class Person(KeyedRecord):
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.RESTRICT, null=True, blank=True, related_name="people",
        verbose_name=_("organisation"),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    published_contact = models.BooleanField(
        _("published contact"), default=False,
        help_text=_("Publish e-mail and phone on public pages and in the API (B2.g); names and roles are public."),
    )

    class Meta(KeyedRecord.Meta):
        ordering = ["name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.name


class Document(KeyedRecord):
    """A document or policy product: strategy, policy, standard, framework, papers (B2.g, B5)."""

    title = models.CharField(_("title"), max_length=300)
    doc_type = models.CharField(_("type"), max_length=20, choices=choices.DocumentType.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=choices.DocumentStatus.choices, default=choices.DocumentStatus.DRAFT
    )
    summary = models.TextField(_("summary"), blank=True)
    url = models.URLField(_("link"), blank=True)
    owner = models.ForeignKey(
        Organisation, on_delete=models.RESTRICT, null=True, blank=True, related_name="documents",
        verbose_name=_("owner"),
    )
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)

    class Meta(KeyedRecord.Meta):
        ordering = ["title"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        """Published: its summary and link are public (before that, only its title, type and status, B2.g)."""
        return self.status == choices.DocumentStatus.PUBLISHED

    def clean(self) -> None:
        super().clean()
        problems = document_rules.check_dates(self.status, self.adopted_on, self.published_on)
        if problems:
            raise ValidationError(problems)


from .audit_models import AuditEntry  # noqa: E402,F401  (the audit chain, cityline.core.audit)
