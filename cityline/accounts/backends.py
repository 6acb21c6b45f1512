"""Django's permission checks (``user.has_perm``) answered by the authorisation layer.

Local accounts sign in with Django's password check (``ModelBackend``), but permissions do
not come from Django's per-user permission tables: ``app.change_model`` is asked of
:func:`cityline.accounts.authz.can`, so the editor, the API and the CLI share one policy.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.backends import ModelBackend

from . import authz

#: Attribute the middleware sets on ``request.user``: the trust level of the session's sign-in.
TRUST_ATTR = "_cityline_trust"


#: Attribute holding the principal built for a user object, with the trust it was built at.
_PRINCIPAL_ATTR = "_cityline_role_principal"


def _principal(user_obj) -> authz.Principal:
    """The user's principal, built once per user object (the editor asks ``has_perm`` once per model
    and page element; each build reads the role assignments). Django's ModelBackend caches the same way
    (``_perm_cache``): a role granted later counts from the next request."""
    trust = getattr(user_obj, TRUST_ATTR, None)
    cached = getattr(user_obj, _PRINCIPAL_ATTR, None)
    if cached is None or cached[0] != trust:
        cached = (trust, authz.principal_for_user(user_obj, trust=trust))
        setattr(user_obj, _PRINCIPAL_ATTR, cached)
    return cached[1]


class RoleBackend(ModelBackend):
    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        if not user_obj.is_active:
            return False
        app_label, _, codename = perm.partition(".")
        action, _, model_name = codename.partition("_")
        if action not in authz.ACTIONS:
            return False
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            return False
        return authz.can(_principal(user_obj), action, obj if obj is not None else model)

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        if not user_obj.is_active:
            return False
        principal = _principal(user_obj)
        return any(authz.can(principal, "view", m) for m in apps.get_app_config(app_label).get_models())

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        return set()  # answered per question by has_perm, never from the permission tables

    get_user_permissions = get_all_permissions
    get_group_permissions = get_all_permissions
