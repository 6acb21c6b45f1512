from django.apps import AppConfig


class ArchitectureConfig(AppConfig):
    name = "cityline.architecture"
    label = "architecture"
    verbose_name = "City-wide architecture (B14)"
