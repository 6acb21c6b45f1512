"""``GET /api/v1/me``: who the API thinks the caller is (B10). Built by :mod:`cityline.api.router`."""

from __future__ import annotations

from ninja import Router, Schema

from cityline.api.errors import ApiProblem, Problem

IDENTITY = "identity"
TAGS = {IDENTITY: "Who is calling: the user, the way they authenticated, their trust level, token scopes and roles."}
RESOURCES: list = []


class RoleOut(Schema):
    role: str
    city: str | None = None
    organisation: str | None = None
    outcome: str | None = None
    effective: bool


class Me(Schema):
    user: str
    authenticated_via: str
    trust_level: str
    scopes: list[str] | None = None
    roles: list[RoleOut]


def add_routes(router: Router) -> None:
    from .principals import principal_for
    from .whoami import describe, method_of

    @router.get("/me", response={200: Me, 401: Problem}, tags=[IDENTITY], summary="Who am I",
                operation_id="me",
                description="The caller as the API sees them: user name, how they authenticated (``session``, "
                            "``token`` or ``basic``), the trust level (low, substantial, high), the token's scopes "
                            "(null for a session or Basic: no limit) and every role with its scope (city, "
                            "organisation or outcome key), ``effective`` when the trust level reaches the role's "
                            "minimum. 401 when anonymous or when the credentials are wrong.")
    def me(request):
        principal = principal_for(request)
        if principal.user is None:
            raise ApiProblem("not-authenticated", "nobody is signed in: send a bearer token, HTTP Basic "
                             "credentials or a session cookie", headers={"WWW-Authenticate": 'Bearer realm="cityline"'})
        return describe(principal, method_of(request))
