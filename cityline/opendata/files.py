"""Placeholder: filled in by the files work."""

urlpatterns: list = []
