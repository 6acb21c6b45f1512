from django.apps import AppConfig
from django.core import checks


class ObservationsConfig(AppConfig):
    name = "cityline.observations"
    label = "observations"
    verbose_name = "Observations and real-time city management"

    def ready(self) -> None:
        # Alert rules react to every stored batch, whatever path brought it (cityline.observations.alerts).
        from . import alerts, ingest, services  # noqa: F401  (services registers the write rules of the actions layer)

        if alerts.on_write not in ingest.AFTER_WRITE:
            ingest.AFTER_WRITE.append(alerts.on_write)
        checks.register(check_webhook_proxy)


def check_webhook_proxy(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``cityline check`` names a ``CITYLINE_WEBHOOK_PROXY`` that alerts cannot go through (every delivery would
    fail with the same error)."""
    from .webhook import ProxySettingError, proxy

    try:
        proxy()
    except ProxySettingError as exc:
        return [checks.Error(str(exc), hint="Set CITYLINE_WEBHOOK_PROXY to the forward proxy's address, e.g. "
                             "http://proxy.example.org:3128, or unset it for direct deliveries.",
                             id="observations.E001")]
    return []
