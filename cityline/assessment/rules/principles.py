"""Assessment rules for A."""

from django.utils.translation import gettext_lazy as _  # noqa: F401

from ..registry import Context, Result, rule  # noqa: F401
