from django.apps import AppConfig


class ObservationsConfig(AppConfig):
    name = "cityline.observations"
    label = "observations"
    verbose_name = "Observations and real-time city management"
