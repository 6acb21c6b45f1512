"""Public consultation pages (mounted under the translated URL patterns, before the portal's)."""

from django.urls import path

from . import views

app_name = "participation"
urlpatterns = [
    path("<slug:city>/consultations/", views.consultations, name="consultations"),
    path("<slug:city>/consultations/<slug:key>/", views.consultation, name="consultation"),
    path("<slug:city>/consultations/<slug:key>/results.json", views.results_json, name="results-json"),
]
