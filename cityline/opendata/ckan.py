"""Placeholder: filled in by the ckan work."""

urlpatterns: list = []
