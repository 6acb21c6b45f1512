from django.apps import AppConfig


class CitizenServicesConfig(AppConfig):
    name = "cityline.citizen_services"
    label = "citizen_services"
    verbose_name = "Citizen services and channels (B9, B11)"
