"""Who may do what (role assignments), how people sign in (the identity federation, B10),
and how machine clients call the API (tokens, stored hashed).

These are instance-level records, not operating-model records: they are edited by
administrators in the editor, and the identity providers (without secrets) travel in city
packs. Every change is kept in the change history.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cityline.core.models import KeyedRecord

from .roles import SCOPE_OF_ROLE, Role, Trust


class RoleAssignment(models.Model):
    """A role granted to a user for a scope (organisation, outcome, city or the instance)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments",
                             verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=20, choices=[c for c in Role.choices if c[0] != Role.CITIZEN])
    city = models.ForeignKey("core.City", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("city"),
                             help_text=_("Filled in from the organisation or outcome; the scope of a programme "
                                         "administrator."))
    organisation = models.ForeignKey("core.Organisation", on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="role_assignments", verbose_name=_("organisation"),
                                     help_text=_("The scope of a contributor or a data steward."))
    outcome = models.ForeignKey("benefits.BenefitNode", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="role_assignments", verbose_name=_("outcome"),
                                help_text=_("The scope of a benefit owner: an end or intermediate outcome."))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("granted by"))
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["user__username", "role"]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "city", "organisation", "outcome"],
                                    name="accounts_roleassignment_unique", nulls_distinct=False),
        ]

    def __str__(self) -> str:
        scope = self.organisation or self.outcome or self.city
        label = Role(self.role).label if self.role in Role.values else self.role
        return f"{self.user} — {label}" + (f" ({scope})" if scope else "")

    def clean(self) -> None:
        super().clean()
        if self.role not in Role.values or self.role == Role.CITIZEN:
            raise ValidationError({"role": _("unknown role %(role)s") % {"role": self.role}})
        scope = SCOPE_OF_ROLE[Role(self.role)]
        problems = {}
        if scope == "organisation":
            if not self.organisation_id:
                problems["organisation"] = _("a %(role)s is granted for an organisation") % {"role": Role(self.role).label}
            else:
                self.city_id = self.organisation.city_id
        if scope != "organisation" and self.organisation_id:
            problems["organisation"] = _("only contributors and data stewards have an organisation")
        if scope == "outcome":
            if not self.outcome_id:
                problems["outcome"] = _("a benefit owner is granted for an outcome")
            else:
                from cityline.benefits.choices import NodeKind

                if self.outcome.kind not in (NodeKind.END_OUTCOME, NodeKind.INTERMEDIATE_OUTCOME):
                    problems["outcome"] = _("benefit owners own end or intermediate outcomes")
                self.city_id = self.outcome.city_id
        if scope != "outcome" and self.outcome_id:
            problems["outcome"] = _("only benefit owners have an outcome")
        if scope == "city" and not self.city_id:
            problems["city"] = _("a programme administrator is granted for a city")
        if scope is None and self.city_id:
            problems["city"] = _("a platform administrator is granted for the whole instance, not a city")
        if problems:
            raise ValidationError(problems)


class IdentityProvider(KeyedRecord):
    """An OpenID Connect provider of a city's federation (council, national ID, another public body).

    A city record, so the federation travels in the city pack (without the secret).
    """

    name = models.CharField(_("name"), max_length=200, help_text=_("Shown on the sign-in button."))
    issuer = models.URLField(_("issuer"), help_text=_("The OpenID Connect issuer; its discovery document is "
                                                       "read from <issuer>/.well-known/openid-configuration."))
    client_id = models.CharField(_("client ID"), max_length=200)
    scopes = models.CharField(_("scopes"), max_length=200, default="openid email profile")
    trust_level = models.PositiveSmallIntegerField(
        _("trust level"), choices=Trust.choices, default=Trust.SUBSTANTIAL,
        help_text=_("Level of assurance of the identities it vouches for; roles need a minimum level."))
    enabled = models.BooleanField(_("enabled"), default=True)
    create_accounts = models.BooleanField(
        _("create accounts"), default=True,
        help_text=_("Create a Cityline account the first time one of its users signs in."))

    class Meta(KeyedRecord.Meta):
        ordering = ["name"]
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")

    def __str__(self) -> str:
        return self.name


class ProviderSecret(models.Model):
    """A provider's client secret, kept apart: no history, never in city packs, the API or exports.

    Empty (or absent) for a public client that relies on PKCE alone.
    """

    provider = models.OneToOneField(IdentityProvider, on_delete=models.CASCADE, related_name="secret")
    client_secret = models.CharField(_("client secret"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("client secret")
        verbose_name_plural = _("client secrets")

    def __str__(self) -> str:
        return f"secret of {self.provider.key}"


class FederatedIdentity(models.Model):
    """A user's identity at one provider (its ``sub``), linked to their Cityline account."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="federated_identities")
    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="identities")
    subject = models.CharField(_("subject"), max_length=255)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_login = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("federated identity")
        verbose_name_plural = _("federated identities")
        constraints = [models.UniqueConstraint(fields=["provider", "subject"], name="accounts_identity_unique")]

    def __str__(self) -> str:
        return f"{self.provider.key}:{self.subject}"


class ApiToken(models.Model):
    """A bearer token for a machine client: scoped, expiring, stored as a SHA-256 hash only."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens",
                             verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for."))
    prefix = models.CharField(_("prefix"), max_length=16, db_index=True, editable=False,
                              help_text=_("The first characters of the token, to recognise it."))
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    trust_level = models.PositiveSmallIntegerField(_("trust level"), choices=Trust.choices, default=Trust.SUBSTANTIAL,
                                                   help_text=_("The trust level of the session that created it."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
