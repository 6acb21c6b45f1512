"""Placeholder: filled in by the dcat work."""

urlpatterns: list = []
