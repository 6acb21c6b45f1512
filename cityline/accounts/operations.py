"""Account administration from the command line (B10): users, roles, API tokens, and who a command acts as.

Plain functions behind ``cityline user|role|token ...`` (:mod:`cityline.cli`). Each checks its
arguments completely before it writes anything and raises :class:`Refused` with a message
naming the bad argument (the CLI prints it and exits with 2).

Who a CLI command acts as: without ``--user`` (or ``CITYLINE_USER``) it acts as
:data:`.authz.OPERATOR`. Whoever can run ``cityline`` against the database already owns the
instance (they hold its settings and the database itself), so nothing is gained by asking
them for a role. With ``--user NAME`` the command acts as that user, at the local accounts'
trust level, and the one authorisation layer (:func:`.authz.can`) decides, as it does for
the editor and the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from . import authz, tokens
from .models import ApiToken, RoleAssignment
from .roles import ASSIGNABLE, SCOPE_OF_ROLE, Role, local_account_trust


class Refused(Exception):
    """A command's arguments are wrong or its user may not do this; nothing was written."""


# --- users ------------------------------------------------------------------------------------


def find_user(name: str):
    user = get_user_model().objects.filter(username=name).first()
    if user is None:
        raise Refused(f"unknown user {name!r}")
    return user


def create_user(name: str, *, email: str = "", password: str) -> object:
    """A local account; the password must pass the instance's password rules."""
    User = get_user_model()
    if not name.strip():
        raise Refused("the user name is empty")
    taken = User.objects.filter(username__iexact=name).values_list("username", flat=True).first()
    if taken is not None:  # user names are typed exactly elsewhere: 'Ann' next to 'ann' would be mistaken for her
        raise Refused(f"user {taken!r} already exists" + (" (user names differing only in case are refused)"
                                                           if taken != name else ""))
    candidate = User(username=name, email=email)
    try:
        candidate.full_clean(exclude=["password"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise Refused(f"{'NAME' if field == 'username' else '--' + field}: {' '.join(messages)}") from None
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise Refused(f"password: {' '.join(exc.messages)}") from None
    return User.objects.create_user(name, email or "", password)


# --- who a command acts as --------------------------------------------------------------------


def acting_principal(name: str | None) -> authz.Principal:
    """The principal of a CLI command: the operator without a name, else that user (local trust level)."""
    if not name:
        return authz.OPERATOR
    user = find_user(name)
    if not user.is_active:
        raise Refused(f"user {name!r} is deactivated")
    return authz.principal_for_user(user, trust=local_account_trust())


def require_programme_admin(principal: authz.Principal, city_key: str) -> None:
    """A whole-city write (pack import, KPI datasets): programme administrator of the city;
    a platform administrator for a city that does not exist yet."""
    from cityline.core.models import City

    if principal.platform_admin:
        return
    city = City.objects.filter(key=city_key).first()
    if city is None:
        raise Refused(f"{principal.label()} may not create city {city_key!r}: that needs a platform administrator")
    if not principal.has_scope("write") or not any(
            g.role == Role.PROGRAMME_ADMIN and g.city_id == city.pk for g in principal.grants):
        raise Refused(f"{principal.label()} may not replace the operating model of {city_key!r}: that needs "
                      f"the programme administrator role of {city_key!r}")


def require(principal: authz.Principal, action: str, target) -> None:
    """:func:`.authz.require` with the refusal as :class:`Refused`."""
    from django.core.exceptions import PermissionDenied

    try:
        authz.require(principal, action, target)
    except PermissionDenied as exc:
        raise Refused(str(exc)) from None


# --- roles ------------------------------------------------------------------------------------


@dataclass
class RoleScope:
    city: object = None
    organisation: object = None
    outcome: object = None


def _split(value: str, option: str) -> tuple[str, str]:
    city, sep, key = value.partition("/")
    if not sep or not city or not key:
        raise Refused(f"{option} {value!r}: write CITY/KEY, e.g. kestermouth/council")
    return city, key


def _city(key: str, option: str = "--city"):
    from cityline.core.models import City

    city = City.objects.filter(key=key).first()
    if city is None:
        known = ", ".join(City.objects.order_by("key").values_list("key", flat=True)) or "none"
        raise Refused(f"{option}: unknown city {key!r} (cities: {known})")
    return city


def resolve_scope(role: str, *, city: str | None = None, organisation: str | None = None,
                  outcome: str | None = None) -> RoleScope:
    """The records behind ``--city K`` / ``--organisation CITY/ORG`` / ``--outcome CITY/NODE`` for a role."""
    from cityline.benefits.models import BenefitNode
    from cityline.core.models import Organisation

    if role not in ASSIGNABLE:
        raise Refused(f"unknown role {role!r}: use {', '.join(r.value for r in ASSIGNABLE)}")
    needed = SCOPE_OF_ROLE[Role(role)]
    given = {name: value for name, value in (("city", city), ("organisation", organisation), ("outcome", outcome))
             if value}
    if needed is None and given:
        raise Refused(f"role {role} is granted for the whole instance: leave out --{next(iter(given))}")
    if needed is not None and set(given) != {needed}:
        example = {"city": "--city KEY", "organisation": "--organisation CITY/ORGKEY",
                   "outcome": "--outcome CITY/NODEKEY"}[needed]
        extra = sorted(set(given) - {needed})
        also = f" (not --{', --'.join(extra)})" if extra else ""
        raise Refused(f"role {role} is granted for an {needed}: give {example}{also}")
    scope = RoleScope()
    if needed == "city":
        scope.city = _city(city)
    elif needed == "organisation":
        city_key, key = _split(organisation, "--organisation")
        c = _city(city_key, "--organisation")
        scope.organisation = Organisation.objects.filter(city=c, key=key).first()
        if scope.organisation is None:
            raise Refused(f"--organisation: unknown organisation key {key!r} in {city_key}")
        scope.city = c
    elif needed == "outcome":
        city_key, key = _split(outcome, "--outcome")
        c = _city(city_key, "--outcome")
        scope.outcome = BenefitNode.objects.filter(city=c, key=key).first()
        if scope.outcome is None:
            raise Refused(f"--outcome: unknown benefit map node {key!r} in {city_key}")
        scope.city = c
    return scope


def _assignments(user, role: str, scope: RoleScope):
    return RoleAssignment.objects.filter(
        user=user, role=role, city=scope.city if SCOPE_OF_ROLE[Role(role)] else None,
        organisation=scope.organisation, outcome=scope.outcome)


def grant_role(username: str, role: str, *, city=None, organisation=None, outcome=None,
               note: str = "") -> RoleAssignment:
    user = find_user(username)
    scope = resolve_scope(role, city=city, organisation=organisation, outcome=outcome)
    if _assignments(user, role, scope).exists():
        raise Refused(f"{username} already holds {role}{describe_scope(scope)}")
    assignment = RoleAssignment(user=user, role=role, city=scope.city, organisation=scope.organisation,
                                outcome=scope.outcome, note=note)
    try:
        assignment.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise Refused(f"--{field}: {' '.join(str(m) for m in messages)}") from None
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError:
        raise Refused(f"{username} already holds {role}{describe_scope(scope)}") from None
    return assignment


def revoke_role(username: str, role: str, *, city=None, organisation=None, outcome=None) -> int:
    user = find_user(username)
    scope = resolve_scope(role, city=city, organisation=organisation, outcome=outcome)
    found = list(_assignments(user, role, scope))
    if not found:
        raise Refused(f"{username} does not hold {role}{describe_scope(scope)}")
    for assignment in found:
        assignment.delete()  # kept in the change history
    return len(found)


def describe_scope(scope) -> str:
    if getattr(scope, "organisation", None) is not None:
        return f" for organisation {scope.organisation.city.key}/{scope.organisation.key}"
    if getattr(scope, "outcome", None) is not None:
        return f" for outcome {scope.outcome.city.key}/{scope.outcome.key}"
    if getattr(scope, "city", None) is not None:
        return f" for city {scope.city.key}"
    return ""


def list_roles(city: str | None = None) -> list[RoleAssignment]:
    qs = RoleAssignment.objects.select_related("user", "city", "organisation__city", "outcome__city")
    if city:
        qs = qs.filter(city=_city(city))
    return list(qs.order_by("user__username", "role", "city__key"))


# --- tokens -----------------------------------------------------------------------------------


def create_token(username: str, *, name: str, scopes: list[str], days: int) -> tuple[ApiToken, str]:
    """A token for a user, at the local accounts' trust level (the CLI is not a sign-in)."""
    user = find_user(username)
    if not user.is_active:
        raise Refused(f"user {username!r} is deactivated")
    try:
        return tokens.issue(user, name=name, scopes=list(scopes), days=days, trust_level=local_account_trust())
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        option = {"scopes": "--scope", "days": "--days", "name": "--name"}.get(field, field)
        raise Refused(f"{option}: {' '.join(messages)}") from None


def status_of(token: ApiToken) -> str:
    """``active``, ``expired`` or ``revoked``."""
    if token.revoked_at is not None:
        return "revoked"
    return "active" if token.active else "expired"


def list_tokens(username: str | None = None) -> list[ApiToken]:
    qs = ApiToken.objects.select_related("user")
    if username:
        qs = qs.filter(user=find_user(username))
    return list(qs.order_by("user__username", "-created_at"))


def revoke_token(prefix: str) -> ApiToken:
    if len(prefix) < len(tokens.PREFIX) + 3:
        raise Refused(f"PREFIX {prefix!r} is too short: give the prefix shown by 'cityline token list'")
    found = list(ApiToken.objects.filter(prefix__startswith=prefix[:10]).select_related("user"))
    found = [t for t in found if (t.prefix.startswith(prefix) or prefix.startswith(t.prefix))]
    if not found:
        raise Refused(f"no token with prefix {prefix!r}")
    if len(found) > 1:
        raise Refused(f"prefix {prefix!r} matches {len(found)} tokens: give more characters")
    tokens.revoke(found[0])
    return found[0]
