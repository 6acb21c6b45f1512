"""Validation rules the actions layer applies on top of model validation."""

from django.core.exceptions import ValidationError

from .actions import register_rule
from .domain import documents
from .models import Document


@register_rule(Document)
def document_moves_forward(instance: Document, old: dict | None) -> None:
    """A policy product goes draft → adopted → published, never back."""
    previous = old["status"] if old else None
    if not documents.allowed_transition(previous, instance.status):
        raise ValidationError({"status": f"cannot go from {previous} back to {instance.status}"})
