"""A superuser is a platform administrator only at the trust level the role needs, in the editor too (B10).

Django answers ``user.has_perm`` with yes for any active superuser before a permission backend is asked;
the editor's site registers every model admin so that the authorisation layer decides as well
(:mod:`cityline.accounts.admin_site`). A superuser signed in below *high* trust gets exactly what their
other roles give: Django's account pages, the audit chain and the inlines included.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from cityline.accounts.principals import SESSION_TRUST_KEY
from cityline.accounts.roles import Trust
from cityline.accounts.testing import grant
from cityline.core.testing import make_city

from . import matrix as m
from .test_matrix import admin_records

pytestmark = pytest.mark.django_db
User = get_user_model()


def signed_in(user, trust: int) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_TRUST_KEY] = int(trust)
    session.save()
    return client


@pytest.fixture
def root():
    city = make_city()
    user = User.objects.create_superuser("root", "root@x.example", "pw-long-enough-1")
    grant(user, "programme_admin", city=city)
    return user


@pytest.fixture
def eve():
    return User.objects.create_user("eve", "eve@private.example", "pw-long-enough-2")


def make_superuser_form(user) -> dict:
    return {"username": user.username, "email": user.email, "is_active": "on", "is_staff": "on",
            "is_superuser": "on", "date_joined_0": "2024-01-01", "date_joined_1": "00:00:00",
            "initial-date_joined_0": "2024-01-01", "initial-date_joined_1": "00:00:00",
            "last_login_0": "", "last_login_1": ""}


def test_below_high_trust_a_superuser_has_no_account_pages(root, eve):
    client = signed_in(root, Trust.SUBSTANTIAL)  # e.g. through a 'substantial' identity provider
    index = client.get("/admin/")
    assert index.status_code == 200  # their programme administrator role counts at this level
    assert "/admin/auth/" not in index.content.decode()
    for url in ["/admin/auth/user/", f"/admin/auth/user/{eve.pk}/change/", f"/admin/auth/user/{eve.pk}/password/",
                "/admin/auth/user/add/", "/admin/auth/group/", "/admin/core/auditentry/",
                "/admin/accounts/identityprovider/"]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "eve@private.example" not in response.content.decode()
    assert client.get("/admin/auth/").status_code == 404  # the app's index: no model of it opens
    response = client.post(f"/admin/auth/user/{eve.pk}/change/", make_superuser_form(eve))
    assert response.status_code == 403
    eve.refresh_from_db()
    assert not eve.is_superuser and not eve.is_staff


def test_a_superuser_without_another_role_below_high_trust_does_not_enter(eve):
    root = User.objects.create_superuser("lonely-root", "lr@x.example", "pw-long-enough-1")
    client = signed_in(root, Trust.SUBSTANTIAL)
    assert client.get("/admin/").status_code == 302  # to the sign-in page
    assert client.get("/admin/auth/user/").status_code == 302


def test_at_high_trust_a_superuser_keeps_the_account_pages(root, eve):
    client = signed_in(root, Trust.HIGH)
    assert "/admin/auth/user/" in client.get("/admin/").content.decode()
    listing = client.get("/admin/auth/user/")
    assert listing.status_code == 200 and "eve@private.example" in listing.content.decode()
    response = client.post(f"/admin/auth/user/{eve.pk}/change/", make_superuser_form(eve))
    assert response.status_code == 302, response.content.decode()[:2000]
    eve.refresh_from_db()
    assert eve.is_superuser
    assert client.get("/admin/core/auditentry/").status_code == 200
    # a platform administrator by role assignment (not a superuser) too
    assert signed_in(eve, Trust.HIGH).get("/admin/auth/user/").status_code == 200


def editor_view(client, url) -> tuple:
    """What a page of the editor grants: the status, the models the index links, the inlines' permissions."""
    response = client.get(url)
    seen: tuple = (response.status_code,)
    context = response.context or {}
    if response.status_code == 200 and "app_list" in context:
        seen += (sorted(model["admin_url"] for app in context["app_list"] for model in app["models"]),)
    if response.status_code == 200 and "inline_admin_formsets" in context:
        seen += (sorted((f.opts.__class__.__name__, f.has_add_permission, f.has_change_permission,
                         f.has_delete_permission, f.has_view_permission) for f in context["inline_admin_formsets"]),)
    return seen


@pytest.mark.parametrize("role", ["contributor_a", "padmin"])
def test_below_high_trust_a_superuser_gets_on_every_editor_page_what_their_role_gives(role):
    """Every page of the editor (the matrix world's), as a superuser holding one role signed in at
    'substantial', and as a plain user holding the same role: the same answers, the same inline rights."""
    world = m.build_world(m.make_matrix_city())
    root = User.objects.create_superuser("root", "root@matrix.example", "pw-long-enough-1")
    for assignment in world.users[role].role_assignments.all():
        grant(root, assignment.role, city=assignment.city, organisation=assignment.organisation,
              outcome=assignment.outcome)
    as_root, as_role = signed_in(root, Trust.SUBSTANTIAL), world.clients[role]
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls += [reverse("admin:app_list", args=[model._meta.app_label]),
                 reverse("admin:%s_%s_changelist" % info), reverse("admin:%s_%s_add" % info)]
        for record in admin_records(world, model, {}):
            if record is not None:
                urls += [reverse("admin:%s_%s_change" % info, args=[record.pk]),
                         reverse("admin:%s_%s_delete" % info, args=[record.pk])]
    differences = []
    for url in dict.fromkeys(urls):
        mine, theirs = editor_view(as_root, url), editor_view(as_role, url)
        if mine != theirs:
            differences.append(f"{url}: superuser {mine}, {role} {theirs}")
    assert not differences, f"{len(differences)} of {len(urls)} pages differ:\n" + "\n".join(differences)
