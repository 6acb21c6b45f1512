from django.apps import AppConfig


class OpenDataConfig(AppConfig):
    name = "cityline.opendata"
    label = "opendata"
    verbose_name = "Open data platform (B8, B13)"

    def ready(self) -> None:
        from . import services  # noqa: F401  (connects the gate's re-review on dataset changes)
