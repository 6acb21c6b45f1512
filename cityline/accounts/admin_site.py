"""The editor's admin site: who may enter is decided by roles (``authz.editor_access``), not ``is_staff``.

Signing in happens on Cityline's own sign-in page (local accounts and the identity
federation), so the admin's login view sends people there.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse

from .authz import editor_access
from .principals import principal_for


class CitylineAdminSite(admin.AdminSite):
    def has_permission(self, request) -> bool:
        return request.user.is_active and editor_access(principal_for(request))

    def login(self, request, extra_context=None):
        target = request.GET.get("next") or reverse("admin:index")
        return HttpResponseRedirect(reverse("accounts:sign-in") + "?" + urlencode({"next": target}))
