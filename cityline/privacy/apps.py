from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "cityline.privacy"
    label = "privacy"
    verbose_name = "Privacy and personal data (B10, B14)"
