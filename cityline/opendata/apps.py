from django.apps import AppConfig


class OpenDataConfig(AppConfig):
    name = "cityline.opendata"
    label = "opendata"
    verbose_name = "Open data platform (B8, B13)"

    def ready(self) -> None:
        # connect the gate's re-review, the KPI data sync and, in every process (a web worker, the CLI, a
        # shell), the bump of a city's catalogue stamp that tells the CKAN API's caches of a change
        from . import ckan, kpidata, services  # noqa: F401
