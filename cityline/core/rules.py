"""Validation rules the actions layer applies on top of model validation."""

from django.core.exceptions import ValidationError

from .actions import register_rule
from .domain import documents
from .continuity import would_loop
from .models import Document, Organisation


@register_rule(Document)
def document_moves_forward(instance: Document, old: dict | None) -> None:
    """A policy product goes draft → adopted → published, never back."""
    previous = old["status"] if old else None
    if not documents.allowed_transition(previous, instance.status):
        raise ValidationError({"status": f"cannot go from {previous} back to {instance.status}"})


@register_rule(Organisation)
def successors_do_not_loop(instance: Organisation, old: dict | None) -> None:
    """B2.f: following successors must end somewhere, or nobody really takes over."""
    if would_loop(instance):
        raise ValidationError({"successor": "this would make the chain of successors loop back to itself"})
