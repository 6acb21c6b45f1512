from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True

    name = "cityline.accounts"
    label = "accounts"
    verbose_name = _("Identity, roles and privacy (B10, B14)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import scopes  # noqa: F401  (registers the object-level rules of every area)


class CitylineAdminConfig(admin_apps.AdminConfig):
    default = False

    """The editor (Django admin) with Cityline's site: entry decided by roles, not ``is_staff``."""

    default_site = "cityline.accounts.admin_site.CitylineAdminSite"
