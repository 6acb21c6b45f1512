"""Assessment rules for B12–B14 digital and physical resource management."""

from django.utils.translation import gettext_lazy as _  # noqa: F401

from ..registry import Context, Result, rule  # noqa: F401
