from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "cityline.participation"
    label = "participation"
    verbose_name = "Public participation (B1.b, B2.g, B3)"
