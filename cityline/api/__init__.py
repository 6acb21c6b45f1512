"""The REST API at /api/v1/ (django-ninja, OpenAPI 3.1)."""
