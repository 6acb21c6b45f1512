"""Who the caller is, as plain data (B10): the answer of ``GET /api/v1/me``.

A client can check what its credentials amount to before it acts: the user, how they were
authenticated, the trust level of the session or token, the token's scopes, and every role
the user holds with its scope, marked ``effective`` when the trust level reaches the
role's minimum (a role below it does not count for these credentials).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .authz import Principal
from .roles import Role, Trust, min_trust


def method_of(request: HttpRequest) -> str:
    """How the request authenticated: ``token``, ``basic`` or ``session``."""
    scheme = request.headers.get("Authorization", "").partition(" ")[0].lower()
    return {"bearer": "token", "basic": "basic"}.get(scheme, "session")


def describe(principal: Principal, method: str) -> dict[str, Any]:
    user = principal.user
    roles = []
    if user.is_superuser:
        roles.append({"role": Role.PLATFORM_ADMIN.value, "city": None, "organisation": None, "outcome": None,
                      "effective": principal.trust >= min_trust(Role.PLATFORM_ADMIN)})
    for a in user.role_assignments.select_related("city", "organisation", "outcome"):
        roles.append({
            "role": a.role,
            "city": a.city.key if a.city_id else None,
            "organisation": a.organisation.key if a.organisation_id else None,
            "outcome": a.outcome.key if a.outcome_id else None,
            "effective": principal.trust >= min_trust(a.role),
        })
    return {
        "user": user.get_username(),
        "authenticated_via": method,
        "trust_level": Trust(principal.trust).name.lower() if principal.trust in Trust.values else str(principal.trust),
        "scopes": sorted(principal.scopes) if principal.scopes is not None else None,
        "roles": roles,
    }
