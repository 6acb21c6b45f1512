from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "cityline.benefits"
    label = "benefits"
    verbose_name = "Benefit realisation (C1–C3)"
