from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class PortalConfig(AppConfig):
    name = "cityline.portal"
    label = "portal"
    verbose_name = "Public portal"

    def ready(self) -> None:
        # Every installed app may register public pages in its ``public`` module
        # (cityline/<app>/public.py); see cityline.portal.registry.
        autodiscover_modules("public")
