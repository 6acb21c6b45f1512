from django.apps import AppConfig


class RisksConfig(AppConfig):
    name = "cityline.risks"
    label = "risks"
    verbose_name = "Key risks (D)"
