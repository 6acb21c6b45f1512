from django.apps import AppConfig


class ObservationsConfig(AppConfig):
    name = "cityline.observations"
    label = "observations"
    verbose_name = "Observations and real-time city management"

    def ready(self) -> None:
        # Alert rules react to every stored batch, whatever path brought it (cityline.observations.alerts).
        from . import alerts, ingest, services  # noqa: F401  (services registers the write rules of the actions layer)

        if alerts.on_write not in ingest.AFTER_WRITE:
            ingest.AFTER_WRITE.append(alerts.on_write)
