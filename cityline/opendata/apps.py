from django.apps import AppConfig


class OpenDataConfig(AppConfig):
    name = "cityline.opendata"
    label = "opendata"
    verbose_name = "Open data platform (B8, B13)"
