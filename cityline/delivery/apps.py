from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "cityline.delivery"
    label = "delivery"
    verbose_name = "Benefit delivery (C3)"

    def ready(self) -> None:
        from . import models  # noqa: F401 - connects the dependency checks
