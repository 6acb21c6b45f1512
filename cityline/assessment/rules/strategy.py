"""Assessment rules for B1–B7 strategy management."""

from django.utils.translation import gettext_lazy as _  # noqa: F401

from ..registry import Context, Result, rule  # noqa: F401
