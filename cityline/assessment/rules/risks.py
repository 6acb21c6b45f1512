"""Assessment rules for D key risks."""

from django.utils.translation import gettext_lazy as _  # noqa: F401

from ..registry import Context, Result, rule  # noqa: F401
