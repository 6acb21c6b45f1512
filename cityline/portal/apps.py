from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "cityline.portal"
    label = "portal"
    verbose_name = "Public portal"
