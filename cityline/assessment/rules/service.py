"""Assessment rules for B8–B11 citizen-centric service management."""

from django.utils.translation import gettext_lazy as _  # noqa: F401

from ..registry import Context, Result, rule  # noqa: F401
