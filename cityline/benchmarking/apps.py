from django.apps import AppConfig


class BenchmarkingConfig(AppConfig):
    name = "cityline.benchmarking"
    label = "benchmarking"
    verbose_name = "Cross-city comparison (B3.c, C2.c)"
