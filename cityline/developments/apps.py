from django.apps import AppConfig


class DevelopmentsConfig(AppConfig):
    name = "cityline.developments"
    label = "developments"
    verbose_name = "Developments and infrastructure (B12)"
