"""The roles of Cityline and the trust levels of sign-in (B10), as plain data.

A role is granted to a user for a scope: an organisation (contributor, data steward), an
outcome of the benefit map (benefit owner), a city (programme administrator) or the whole
instance (platform administrator). "Registered citizen" is what every signed-in person is;
it needs no assignment.

Trust levels follow eIDAS' levels of assurance (low, substantial, high). Each identity
provider of the federation has one; local accounts have ``CITYLINE_LOCAL_ACCOUNT_TRUST``.
A role only takes effect when the session's trust level reaches the role's minimum
(``CITYLINE_ROLE_MIN_TRUST`` overrides the defaults below).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITIZEN = "citizen", _("registered citizen")
    CONTRIBUTOR = "contributor", _("contributor")
    DATA_STEWARD = "data_steward", _("data steward")
    BENEFIT_OWNER = "benefit_owner", _("benefit owner")
    PROGRAMME_ADMIN = "programme_admin", _("programme administrator")
    PLATFORM_ADMIN = "platform_admin", _("platform administrator")


class Trust(models.IntegerChoices):
    LOW = 1, _("low")
    SUBSTANTIAL = 2, _("substantial")
    HIGH = 3, _("high")


#: What each role is granted for.
SCOPE_OF_ROLE = {
    Role.CITIZEN: None,
    Role.CONTRIBUTOR: "organisation",
    Role.DATA_STEWARD: "organisation",
    Role.BENEFIT_OWNER: "outcome",
    Role.PROGRAMME_ADMIN: "city",
    Role.PLATFORM_ADMIN: None,
}

#: Roles that are assigned (the citizen role is implicit for every signed-in person).
ASSIGNABLE = [r for r in Role if r != Role.CITIZEN]

#: Staff roles: they open the editor and read the unpublished records of their city.
STAFF_ROLES = frozenset({Role.CONTRIBUTOR, Role.DATA_STEWARD, Role.BENEFIT_OWNER, Role.PROGRAMME_ADMIN,
                         Role.PLATFORM_ADMIN})

DEFAULT_MIN_TRUST = {
    Role.CITIZEN: Trust.LOW,
    Role.CONTRIBUTOR: Trust.SUBSTANTIAL,
    Role.DATA_STEWARD: Trust.SUBSTANTIAL,
    Role.BENEFIT_OWNER: Trust.SUBSTANTIAL,
    Role.PROGRAMME_ADMIN: Trust.SUBSTANTIAL,
    Role.PLATFORM_ADMIN: Trust.HIGH,
}


def trust_from(value) -> int:
    """A trust level from its number or name ("substantial"); ValueError names the bad value."""
    if isinstance(value, int) and value in Trust.values:
        return value
    text = str(value).strip().lower()
    for level in Trust:
        if text in (str(level.value), level.name.lower()):
            return level.value
    raise ValueError(f"unknown trust level {value!r}: use low, substantial or high")


def min_trust(role: str) -> int:
    overrides = getattr(settings, "CITYLINE_ROLE_MIN_TRUST", {}) or {}
    if role in overrides:
        return trust_from(overrides[role])
    return int(DEFAULT_MIN_TRUST[Role(role)])


def local_account_trust() -> int:
    return trust_from(getattr(settings, "CITYLINE_LOCAL_ACCOUNT_TRUST", "high"))
