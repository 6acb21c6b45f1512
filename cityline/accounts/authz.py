"""The one authorisation layer: who may view, add, change or delete what (B10).

The editor (through :class:`cityline.core.editor.CitylineAdmin` and the admin site), the
API (:mod:`cityline.api.generic` and the area endpoints) and the CLI (``--user``) all ask
:func:`can` / :func:`require`; nothing else decides.

The policy, in words:

- **Anyone** reads published records (the portal, the API, open data). Nobody signed out
  reads an unpublished record, personal data or a restricted dataset.
- A **registered citizen** manages their own account, consents and data (the citizen area).
- A **contributor** (per organisation) adds and changes the records that belong to their
  organisation (its documents, procurement entries, building blocks ...), except open data.
- A **data steward** (per organisation) adds, changes and deletes their organisation's data
  assets, datasets and distributions, uploads versions and decides privacy-gate overrides.
- A **benefit owner** (per outcome) adds, changes and deletes the realisation plans and plan
  activities of their outcomes, and records measurements of the outcome's KPIs.
- A **programme administrator** (per city) does everything inside their city, including
  granting roles other than platform administrator.
- A **platform administrator** does everything, including cities and identity providers.

Every role holder of a city also reads the city's unpublished records (they are colleagues
on the programme). A role counts only when the session's trust level reaches the role's
minimum (:mod:`.roles`), and a token's scopes limit what its calls may do.

Object-level rules come from :func:`register`: for each model, the lookup path to the
organisation or outcome a record belongs to. A model nobody registered can be changed by
administrators only, and ``rule_for`` reports it, so the matrix test fails until a rule is
written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models

from .roles import STAFF_ROLES, Role, min_trust

ACTIONS = ("view", "add", "change", "delete")
#: Token scopes: ``read`` lets a token see what its user may see unpublished, ``write`` lets it change records.
SCOPES = {"read": "read unpublished records the user may see", "write": "create, change and delete records"}
WRITE_ACTIONS = frozenset({"add", "change", "delete"})


@dataclass(frozen=True)
class Grant:
    role: str
    city_id: int | None = None
    organisation_id: int | None = None
    outcome_id: int | None = None


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user (or nobody), the roles that count for this session, token scopes."""

    user: Any = None
    grants: tuple[Grant, ...] = ()
    trust: int = 0
    #: None for a browser session or the CLI (no limit); a set for a token.
    scopes: frozenset[str] | None = None
    #: The CLI's local operator (no ``--user``): whoever runs the command owns the instance.
    operator: bool = False

    @property
    def authenticated(self) -> bool:
        return self.operator or (self.user is not None and getattr(self.user, "is_authenticated", False))

    @property
    def platform_admin(self) -> bool:
        return self.operator or any(g.role == Role.PLATFORM_ADMIN for g in self.grants)

    def cities(self) -> set[int]:
        return {g.city_id for g in self.grants if g.city_id is not None}

    def has_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    def label(self) -> str:
        if self.operator:
            return "the local operator"
        return getattr(self.user, "username", None) or "anonymous"


ANONYMOUS = Principal()
OPERATOR = Principal(operator=True)


@dataclass(frozen=True)
class Scope:
    """How a model's records belong to an organisation or an outcome, and which roles edit them."""

    area: str
    organisation: str | None = None  # lookup path to the organisation's id, e.g. "dataset__publisher_id"
    outcome: str | None = None  # lookup path to the outcome's id
    #: The organisation-scoped role that edits these records: contributor or data steward.
    org_role: str = Role.CONTRIBUTOR
    #: Whether the org-scoped role may delete (stewards do; contributors don't).
    org_delete: bool = False
    #: Administrators only (role assignments, identity providers, cities).
    admin_only: bool = False
    #: Platform administrators only.
    platform_only: bool = False
    #: Nobody writes through the generic faces (written by a process of its own).
    read_only: bool = False


_SCOPES: dict[type[models.Model], Scope] = {}


def register(model: type[models.Model], scope: Scope) -> None:
    _SCOPES[model] = scope


def rule_for(model: type[models.Model]) -> Scope | None:
    return _SCOPES.get(model)


def registered_models() -> list[type[models.Model]]:
    return list(_SCOPES)


# --- building principals --------------------------------------------------------------------


def principal_for_user(user, *, trust: int | None = None, scopes: frozenset[str] | None = None) -> Principal:
    """The principal of a user at a trust level (local accounts' level when not given)."""
    from .roles import local_account_trust

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    trust = local_account_trust() if trust is None else trust
    grants = [Grant(Role.CITIZEN)]
    if user.is_superuser:
        grants.append(Grant(Role.PLATFORM_ADMIN))
    for a in user.role_assignments.all():
        grants.append(Grant(a.role, a.city_id, a.organisation_id, a.outcome_id))
    effective = tuple(g for g in grants if trust >= min_trust(g.role))
    return Principal(user=user, grants=effective, trust=trust, scopes=scopes)


# --- the policy -----------------------------------------------------------------------------


def _resolve(obj: models.Model, path: str | None) -> Any:
    """Follow ``a__b_id`` on an instance (unsaved instances included)."""
    if path is None:
        return None
    current: Any = obj
    for part in path.split("__"):
        if current is None:
            return None
        current = getattr(current, part, None)
    return current


def city_of(target: Any) -> int | None:
    from cityline.core.models import City

    if isinstance(target, City):
        return target.pk
    return getattr(target, "city_id", None)


def is_staff_of(principal: Principal, city_id: int | None) -> bool:
    """Whether the principal holds a staff role in the city (or anywhere, when city_id is None)."""
    if principal.platform_admin:
        return True
    return any(g.role in STAFF_ROLES and (city_id is None or g.city_id == city_id) for g in principal.grants)


def can_read_unpublished(principal: Principal, city_id: int | None) -> bool:
    """Role holders of a city read its unpublished records; a token needs the ``read`` scope."""
    return principal.has_scope("read") and is_staff_of(principal, city_id)


def editor_access(principal: Principal) -> bool:
    """Whether the editor opens at all for this principal."""
    return principal.authenticated and is_staff_of(principal, None)


def can(principal: Principal, action: str, target: Any, *, city_id: int | None = None) -> bool:
    """Whether ``principal`` may ``action`` ("view", "add", "change", "delete") ``target``.

    ``target`` is a model instance (object-level rule; an unsaved instance for "add") or a
    model class (may they do it to some record of this model at all?). ``city_id`` narrows a
    class-level question to one city.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if action in WRITE_ACTIONS and not principal.has_scope("write"):
        return False
    if not principal.authenticated:
        return False
    if principal.platform_admin:
        return True
    model = target if isinstance(target, type) else type(target)
    instance = None if isinstance(target, type) else target
    scope = _SCOPES.get(model)
    if scope is None or scope.platform_only:
        return False
    if scope.read_only and action in WRITE_ACTIONS:
        return False
    city = city_of(instance) if instance is not None else city_id
    if scope.admin_only and instance is not None and hasattr(instance, "role") and action in WRITE_ACTIONS:
        # A role assignment: a programme administrator grants roles inside their city only (the city of
        # its organisation or outcome, maybe not filled in yet) and never the platform administrator role.
        if instance.role == Role.PLATFORM_ADMIN:
            return False
        city = city or _resolve(instance, "organisation__city_id") or _resolve(instance, "outcome__city_id")
        if city is None:
            return False
    if action == "view":
        return can_read_unpublished(principal, city)
    for g in principal.grants:
        if city is not None and g.city_id != city:
            continue
        if g.role == Role.PROGRAMME_ADMIN:
            return True
        if scope.admin_only:
            continue
        if scope.organisation and g.role == scope.org_role:
            if action == "delete" and not scope.org_delete:
                continue
            if instance is None or _resolve(instance, scope.organisation) == g.organisation_id:
                return True
        if scope.outcome and g.role == Role.BENEFIT_OWNER:
            if instance is None or _resolve(instance, scope.outcome) == g.outcome_id:
                return True
    return False


def needed(action: str, target: Any) -> str:
    """Who the policy lets ``action`` ``target`` (a model instance), in words, for a refusal that names the
    missing right: "a platform administrator", "the programme administrator role of 'kestermouth'" ..."""
    from cityline.core.models import City

    model = target if isinstance(target, type) else type(target)
    instance = None if isinstance(target, type) else target
    scope = _SCOPES.get(model)
    if scope is None or scope.platform_only or (scope.read_only and action in WRITE_ACTIONS):
        return "a platform administrator"
    city_id = city_of(instance) if instance is not None else None
    if scope.admin_only and hasattr(instance, "role") and action in WRITE_ACTIONS:  # a role assignment, as in can
        if instance.role == Role.PLATFORM_ADMIN:
            return "a platform administrator"
        city_id = city_id or _resolve(instance, "organisation__city_id") or _resolve(instance, "outcome__city_id")
    key = City.objects.filter(pk=city_id).values_list("key", flat=True).first() if city_id is not None else None
    admin = f"the programme administrator role of {key!r}" if key else "the programme administrator role of its city"
    if action == "view":
        return f"a role in {key!r}" if key else "a role in its city"
    if scope.admin_only:
        return admin
    if scope.organisation and not (action == "delete" and not scope.org_delete):
        return f"the {Role(scope.org_role).label} role of its organisation or {admin}"
    if scope.outcome:
        return f"the {Role.BENEFIT_OWNER.label} role of its outcome or {admin}"
    return admin


def require(principal: Principal, action: str, target: Any, *, city_id: int | None = None) -> None:
    """:func:`can`, or ``PermissionDenied`` with a message naming who, what and why."""
    if can(principal, action, target, city_id=city_id):
        return
    model = target if isinstance(target, type) else type(target)
    what = str(model._meta.verbose_name)
    if action in WRITE_ACTIONS and not principal.has_scope("write"):
        raise PermissionDenied(f"this token has no 'write' scope: it cannot {action} a {what}")
    if not principal.authenticated:
        raise PermissionDenied(f"sign in to {action} a {what}")
    raise PermissionDenied(f"{principal.label()} may not {action} this {what}: no role grants it")


class Refusal(PermissionDenied):
    """A write the principal's roles do not allow (the message names who, the record and the right it needs)."""


class Rights:
    """The rights of one principal, asked for each write of a batch (a city pack, a CSV of measurements): the rules of
    the editor and the API, with a refusal that names the record and the right it needs. ``refused`` counts the
    refusals, so a batch can tell "refused" from "invalid".

    ``describe(action, instance)``, when given, names the record in the refusal ("record measurements of KPI
    'bikes'"); otherwise its model and key ("add KPI 'bikes'").
    """

    def __init__(self, principal: Principal, *, describe=None):
        self.principal = principal
        self.describe = describe
        self.refused = 0

    def refusal(self, action: str, instance, *, changed=(), note: str = "") -> str | None:
        """Why the principal may not ``action`` the record (None when they may)."""
        if can(self.principal, action, instance):
            return None
        self.refused += 1
        if self.describe is not None:
            what = self.describe(action, instance)
        else:
            key = getattr(instance, "key", None)
            what = f"{action} {instance._meta.verbose_name} {key if isinstance(key, str) and key else str(instance)!r}"
        if changed:
            what += f" ({', '.join(changed)})"
        if action in WRITE_ACTIONS and not self.principal.has_scope("write"):
            need = "a token with the 'write' scope"
        else:
            need = needed(action, instance)
        return f"{self.principal.label()} may not {what}{note}: that needs {need}"

    def authorise(self, instance, old: dict | None, changed: list[str], *, note: str = "") -> None:
        """The hook of :func:`cityline.core.actions.save`: ``add`` a new record, ``change`` one as stored (``old``,
        its field values) and as it would be. Raises :class:`Refusal` (``note`` is added after the record's name)."""
        if old is None:
            why = self.refusal("add", instance, note=note)
        else:
            before = type(instance)(**old)
            why = (self.refusal("change", before, changed=changed, note=note)
                   or self.refusal("change", instance, changed=changed, note=note))
        if why:
            raise Refusal(why)


def write_check(principal: Principal | None, *, describe=None):
    """The rights hook of :func:`cityline.core.actions.save` for a batch written as ``principal``
    (:meth:`Rights.authorise`), or None when nothing is to be asked: no principal, or the local operator, who may do
    everything."""
    if principal is None or principal.operator:
        return None
    return Rights(principal, describe=describe).authorise
