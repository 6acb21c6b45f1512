from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cityline.core"
    label = "core"
    verbose_name = "Cityline core"

    def ready(self) -> None:
        from . import rules  # noqa: F401  (registers validation rules with the actions layer)
        from .audit import connect

        connect()  # every historical row is sealed in the audit chain (cityline.core.audit)
        from . import checks  # noqa: F401  (registers the deployment checks)
