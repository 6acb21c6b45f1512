"""The staff operations page (mounted under the translated URL patterns, before the portal's)."""

from django.urls import path

from . import operations_views

app_name = "observations-operations"
urlpatterns = [
    path("<slug:city>/operations/", operations_views.operations, name="page"),
    path("<slug:city>/operations/live.json", operations_views.operations_json, name="live"),
]
