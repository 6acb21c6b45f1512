from django.apps import AppConfig


class StrategyConfig(AppConfig):
    name = "cityline.strategy"
    label = "strategy"
    verbose_name = "Strategy management (A, B1–B7)"
