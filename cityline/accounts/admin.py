"""Editor pages of the identity federation and the roles (B10).

- **Identity providers**: the OpenID Connect providers of a city. The client secret is a
  write-only field: it is stored apart (:class:`~cityline.accounts.models.ProviderSecret`,
  no history, never exported) and never shown back; the list says whether one is set.
- **Role assignments**: who holds which role for which scope. A programme administrator
  grants roles inside their own city only and never the platform administrator role (the
  authorisation layer enforces it, so the API and the CLI are held to the same rule).
- **Federated identities**: which provider account is linked to which Cityline account (read-only).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cityline.core.editor import CitylineAdmin, VersionedForm

from .models import FederatedIdentity, IdentityProvider, RoleAssignment
from .roles import Role


class IdentityProviderForm(VersionedForm):
    client_secret = forms.CharField(
        label=_("client secret"), required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Write-only: type a new secret to set or replace it; leave empty to keep the stored one. "
                    "Public clients (PKCE only) have none."))
    clear_secret = forms.BooleanField(
        label=_("remove the client secret"), required=False,
        help_text=_("Make this a public client that relies on PKCE alone."))

    class Meta:
        model = IdentityProvider
        fields: list[str] = []  # the editor passes the fields of its fieldsets


@admin.register(IdentityProvider)
class IdentityProviderAdmin(CitylineAdmin):
    form = IdentityProviderForm
    list_display = ["name", "key", "issuer", "trust_level", "enabled", "create_accounts", "secret_set"]
    list_filter = ["enabled", "trust_level", "create_accounts"]
    search_fields = ["name", "key", "issuer", "client_id"]
    ordering = ["name"]
    readonly_fields = ["secret_set", "redirect_uri"]
    fieldsets = [
        (_("Provider (B10)"), {"fields": ["key", "name", "issuer", "client_id", "scopes"]}),
        (_("Client secret"), {"fields": ["secret_set", "client_secret", "clear_secret"]}),
        (_("Trust and accounts"), {"fields": ["trust_level", "enabled", "create_accounts", "redirect_uri"]}),
    ]

    @admin.display(description=_("secret set"), boolean=True)
    def secret_set(self, obj):
        from .oidc import client_secret

        return bool(obj and obj.pk and client_secret(obj))

    @admin.display(description=_("redirect URI to register at the provider"))
    def redirect_uri(self, obj):
        if obj is None or obj.pk is None:
            return _("shown once the provider is saved")
        from .oidc import redirect_path

        return _("this site's address followed by %(path)s") % {"path": redirect_path(obj)}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        from .oidc import set_client_secret

        secret = form.cleaned_data.get("client_secret") or ""
        if form.cleaned_data.get("clear_secret"):
            set_client_secret(obj, None)
        elif secret:
            set_client_secret(obj, secret)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(CitylineAdmin):
    list_display = ["user", "role", "organisation", "outcome", "city", "granted_by", "granted_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "note"]
    list_select_related = ["user", "organisation", "outcome", "city", "granted_by"]
    readonly_fields = ["granted_by", "granted_at"]
    fields = ["user", "role", "city", "organisation", "outcome", "note", "granted_by", "granted_at"]

    def get_readonly_fields(self, request, obj=None):
        # The city of a role follows its organisation or outcome; only a programme administrator's is typed.
        return [f for f in super().get_readonly_fields(request, obj) if f != "city"] if obj is None else \
            super().get_readonly_fields(request, obj)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "role" and formfield is not None and not self._platform_admin(request):
            formfield.choices = [c for c in formfield.choices if c[0] != Role.PLATFORM_ADMIN]
        return formfield

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "city" and not self._platform_admin(request):
            from .principals import principal_for

            from cityline.core.models import City

            kwargs["queryset"] = City.objects.filter(pk__in=principal_for(request).cities())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @staticmethod
    def _platform_admin(request) -> bool:
        from .principals import principal_for

        return principal_for(request).platform_admin

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(FederatedIdentity)
class FederatedIdentityAdmin(CitylineAdmin):
    """Links between provider accounts and Cityline accounts: made by signing in, shown here read-only."""

    list_display = ["user", "provider", "subject", "first_seen", "last_login"]
    list_filter = ["provider"]
    search_fields = ["user__username", "subject"]
    list_select_related = ["user", "provider"]
    fields = ["user", "provider", "subject", "first_seen", "last_login"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
