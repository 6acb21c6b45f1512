from django.apps import AppConfig


class OpenDataConfig(AppConfig):
    name = "cityline.opendata"
    label = "opendata"
    verbose_name = "Open data platform (B8, B13)"

    def ready(self) -> None:
        from . import kpidata, services  # noqa: F401  (connect the gate's re-review and the KPI data sync)
