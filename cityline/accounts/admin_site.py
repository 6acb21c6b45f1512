"""The editor's admin site: who may enter is decided by roles (``authz.editor_access``), not ``is_staff``.

Signing in happens on Cityline's own sign-in page (local accounts and the identity
federation), so the admin's login view sends people there.

Every page of the editor follows the authorisation layer, whoever registered the model admin.
Django's own permission check (``user.has_perm``) answers yes to any active superuser before a
permission backend is asked, so a model admin that relies on it (Django's ``UserAdmin`` and
``GroupAdmin``, read-only admins, inlines) would give a superuser every power even when the
session's trust level is below what the platform administrator role needs (docs/identity/roles.md).
The site therefore registers each model admin with :class:`AuthzPermissions`: its own answer
**and** :func:`authz.can <cityline.accounts.authz.can>`'s. Admins built on
:class:`~cityline.core.editor.CitylineAdmin` already ask ``authz`` and keep their own answers;
the inlines of every admin get :class:`AuthzInlinePermissions`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse

from . import authz
from .authz import editor_access
from .principals import principal_for


def _can(request, action: str, target) -> bool:
    return authz.can(principal_for(request), action, target)


class AuthzInlinePermissions:
    """Inline mixin: the inline's own answer and the authorisation layer's (for the inline's model)."""

    def _authz_model(self):
        # An auto-created many-to-many table has no rule of its own: editing it changes the parent.
        return self.parent_model if self.opts.auto_created else self.model

    def _authz(self, request, action: str) -> bool:
        if self.opts.auto_created:
            action = "change"
        return _can(request, action, self._authz_model())

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (
            self._authz(request, "view") or self._authz(request, "change"))

    def has_add_permission(self, request, obj):
        return super().has_add_permission(request, obj) and self._authz(request, "add")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._authz(request, "change")

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._authz(request, "delete")


_INLINES: dict[type, type] = {}


def authz_inline(inline_class: type) -> type:
    """The inline class with :class:`AuthzInlinePermissions` (made once per class)."""
    if issubclass(inline_class, AuthzInlinePermissions):
        return inline_class
    if inline_class not in _INLINES:
        _INLINES[inline_class] = type(inline_class.__name__, (AuthzInlinePermissions, inline_class),
                                      {"__module__": inline_class.__module__, "__doc__": inline_class.__doc__})
    return _INLINES[inline_class]


class AuthzInlines:
    """Model admin mixin: every inline it shows asks the authorisation layer too."""

    def get_inlines(self, request, obj):
        return [authz_inline(cls) for cls in super().get_inlines(request, obj)]


class AuthzPermissions(AuthzInlines):
    """Model admin mixin: each permission is the admin's own answer and the authorisation layer's.

    For anyone but an active superuser Django's answer already comes from ``authz`` (through
    :class:`~cityline.accounts.backends.RoleBackend`), so nothing changes for them; a superuser gets
    exactly what their roles give at the session's trust level.
    """

    def _authz(self, request, action: str, obj=None) -> bool:
        return _can(request, action, obj if obj is not None else self.model)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (
            self._authz(request, "view", obj) or self._authz(request, "change", obj))

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._authz(request, "add")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._authz(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._authz(request, "delete", obj)

    def has_module_permission(self, request):
        return super().has_module_permission(request) and (
            self._authz(request, "view") or self._authz(request, "change"))


def authz_admin(admin_class: type) -> type:
    """The model admin class as the editor registers it: asking the authorisation layer (see above)."""
    from cityline.core.editor import CitylineAdmin

    if issubclass(admin_class, AuthzInlines):
        return admin_class
    mixin = AuthzInlines if issubclass(admin_class, CitylineAdmin) else AuthzPermissions
    return type(admin_class.__name__, (mixin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__})


class CitylineAdminSite(admin.AdminSite):
    def has_permission(self, request) -> bool:
        return request.user.is_active and editor_access(principal_for(request))

    def register(self, model_or_iterable, admin_class=None, **options):
        super().register(model_or_iterable, authz_admin(admin_class or admin.ModelAdmin), **options)

    def login(self, request, extra_context=None):
        target = request.GET.get("next") or reverse("admin:index")
        return HttpResponseRedirect(reverse("accounts:sign-in") + "?" + urlencode({"next": target}))
