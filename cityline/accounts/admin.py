"""Editor pages of the identity federation and the roles (B10).

- **Identity providers**: the OpenID Connect providers of a city. The client secret is a
  write-only field: it is stored apart (:class:`~cityline.accounts.models.ProviderSecret`,
  no history, never exported) and never shown back; the list says whether one is set.
- **Role assignments**: who holds which role for which scope. A programme administrator
  grants roles inside their own city only and never the platform administrator role (the
  authorisation layer enforces it, so the API and the CLI are held to the same rule). They do
  not get a list of every account on the instance: the person is typed (:class:`AccountField`),
  suggested from the role holders of their cities, and anyone else is found by their exact user
  name or e-mail address; the list's search matches e-mail addresses exactly too
  (docs/identity/roles.md, "Granting roles").
- **Federated identities**: which provider account is linked to which Cityline account (read-only).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
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


class AccountInput(forms.TextInput):
    """A text box for a user name or e-mail address, with a ``<datalist>`` of suggested user names."""

    def __init__(self, suggestions=None, attrs=None):
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.suggestions = suggestions

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        list_id = f"{attrs.get('id') or 'id_' + name}_suggestions"
        attrs["list"] = list_id
        box = super().render(name, value, attrs, renderer)
        names = [] if self.suggestions is None else self.suggestions.values_list("username", flat=True)
        options = format_html_join("", '<option value="{}"></option>', ((n,) for n in names))
        return format_html('{}<datalist id="{}">{}</datalist>', box, list_id, options)


class AccountField(forms.Field):
    """The account a role is granted to, named exactly: its user name or its e-mail address.

    For administrators who may not list every account (everyone but platform administrators):
    ``suggestions`` (the role holders of their cities) are offered as they type; any other account
    is found only by its exact user name or (case aside) its e-mail address, never by a part of it.
    """

    default_error_messages = {
        "unknown": _("No account has exactly this user name or e-mail address."),
        "ambiguous": _("Several accounts have this e-mail address: type the user name instead."),
    }

    def __init__(self, *, suggestions=None, **kwargs):
        kwargs.setdefault("widget", AccountInput(suggestions))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        """The user name shown in the box: of the initial account (a key or an account); typed text as typed."""
        User = get_user_model()
        if isinstance(value, User):
            return value.get_username()
        if isinstance(value, int):
            name = User._default_manager.filter(pk=value).values_list(User.USERNAME_FIELD, flat=True).first()
            return name if name is not None else ""
        return value

    def to_python(self, value):
        value = (value or "").strip() if isinstance(value, str) else value
        if value in self.empty_values:
            return None
        User = get_user_model()
        if isinstance(value, User):
            return value
        manager = User._default_manager
        user = manager.filter(**{User.USERNAME_FIELD: value}).first()
        if user is None and "@" in str(value):
            found = list(manager.filter(**{f"{User.get_email_field_name()}__iexact": value})[:2])
            if len(found) > 1:
                raise ValidationError(self.error_messages["ambiguous"], code="ambiguous")
            user = found[0] if found else None
        if user is None:
            raise ValidationError(self.error_messages["unknown"], code="unknown")
        return user

    def has_changed(self, initial, data):
        try:
            chosen = self.to_python(data)
        except ValidationError:
            return True
        initial_pk = initial.pk if isinstance(initial, get_user_model()) else initial
        return str(getattr(chosen, "pk", "") or "") != str(initial_pk if initial_pk is not None else "")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(CitylineAdmin):
    list_display = ["user", "role", "organisation", "outcome", "city", "granted_by", "granted_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "note"]
    #: Everyone but platform administrators: e-mail addresses match only exactly (no probing by a part).
    limited_search_fields = ["user__username", "=user__email", "note"]
    list_select_related = ["user", "organisation", "outcome", "city", "granted_by"]
    readonly_fields = ["granted_by", "granted_at"]
    fields = ["user", "role", "city", "organisation", "outcome", "note", "granted_by", "granted_at"]

    def get_readonly_fields(self, request, obj=None):
        # The city of a role follows its organisation or outcome; only a programme administrator's is typed.
        return [f for f in super().get_readonly_fields(request, obj) if f != "city"] if obj is None else \
            super().get_readonly_fields(request, obj)

    def get_search_fields(self, request):
        return super().get_search_fields(request) if self._platform_admin(request) else self.limited_search_fields

    @staticmethod
    def colleagues(request):
        """The accounts suggested to an administrator: those holding a role in a city where they grant roles."""
        from cityline.core.editor import editable_cities

        cities = editable_cities(request, RoleAssignment) or set()
        return get_user_model()._default_manager.filter(
            pk__in=RoleAssignment.objects.filter(city_id__in=cities).values("user_id")).order_by("username")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "user" and not self._platform_admin(request):
            # Not Django's drop-down of every account on the instance (see AccountField).
            return AccountField(
                suggestions=self.colleagues(request), label=db_field.verbose_name,
                help_text=_("The person's exact user name or e-mail address. The people who already hold a "
                            "role in your city are suggested as you type."))
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
    """Links between provider accounts and Cityline accounts: made by signing in, or by a platform administrator
    for a provider that creates no accounts (the person's identifier at the provider, ``sub``, is on the refusal
    they were shown). A link is never edited: unlink it and link again."""

    list_display = ["user", "provider", "subject", "first_seen", "last_login"]
    list_filter = ["provider"]
    search_fields = ["user__username", "subject"]
    list_select_related = ["user", "provider"]
    fields = ["user", "provider", "subject", "first_seen", "last_login"]

    def get_readonly_fields(self, request, obj=None):
        return ["first_seen", "last_login"] if obj is None else self.fields

    def get_fields(self, request, obj=None):
        return ["user", "provider", "subject"] if obj is None else self.fields

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "user":
            return AccountField(label=db_field.verbose_name, help_text=_(
                "The person's exact user name or e-mail address."))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False
