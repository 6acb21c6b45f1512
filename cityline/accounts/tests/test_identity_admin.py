"""Editor pages of the federation and the roles (B10): write-only secrets, who may grant what."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from cityline.accounts import authz
from cityline.accounts.models import FederatedIdentity, IdentityProvider, ProviderSecret, RoleAssignment
from cityline.accounts.principals import SESSION_TRUST_KEY
from cityline.accounts.roles import Role, Trust
from cityline.accounts.testing import grant
from cityline.core import actions
from cityline.core.testing import make_city, make_organisation

pytestmark = pytest.mark.django_db
User = get_user_model()
SECRET = "s3cret-value-never-shown"


@pytest.fixture
def city():
    return make_city("testville", "Testville")


@pytest.fixture
def platform(client):
    admin = User.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(admin)
    return client


def provider_form(city, **extra):
    data = {"city": city.pk, "key": "council-id", "name": "Council ID", "issuer": "https://id.example.org",
            "client_id": "cityline", "scopes": "openid email profile", "trust_level": Trust.SUBSTANTIAL,
            "enabled": "on", "create_accounts": "on", "client_secret": ""}
    data.update(extra)
    return data


def test_the_client_secret_is_write_only(city, platform):
    response = platform.post("/admin/accounts/identityprovider/add/", provider_form(city, client_secret=SECRET))
    assert response.status_code == 302, response.content.decode()[:2000]
    provider = IdentityProvider.objects.get(city=city, key="council-id")
    assert ProviderSecret.objects.get(provider=provider).client_secret == SECRET

    page = platform.get(f"/admin/accounts/identityprovider/{provider.pk}/change/").content.decode()
    assert SECRET not in page
    assert f"/account/sign-in/{city.key}/council-id/callback/" in page  # the redirect URI to register
    listing = platform.get("/admin/accounts/identityprovider/").content.decode()
    assert SECRET not in listing and 'alt="True"' in listing  # "secret set: yes"

    # Saving without typing a secret keeps the stored one; "remove" makes it a public client.
    change = provider_form(city, name="Council ID 2", opened_version=provider.version)
    assert platform.post(f"/admin/accounts/identityprovider/{provider.pk}/change/", change).status_code == 302
    assert ProviderSecret.objects.get(provider=provider).client_secret == SECRET
    provider.refresh_from_db()
    change = provider_form(city, clear_secret="on", opened_version=provider.version)
    assert platform.post(f"/admin/accounts/identityprovider/{provider.pk}/change/", change).status_code == 302
    assert not ProviderSecret.objects.filter(provider=provider).exists()
    assert 'alt="False"' in platform.get("/admin/accounts/identityprovider/").content.decode()


def test_a_programme_administrator_grants_roles_in_their_city_only(city, client):
    other = make_city("elsewhere", "Elsewhere")
    ours, theirs = make_organisation(city, "council"), make_organisation(other, "council")
    padmin = User.objects.create_user("padmin", password="pw")
    grant(padmin, Role.PROGRAMME_ADMIN, city=city)
    someone = User.objects.create_user("someone")
    principal = authz.principal_for_user(padmin, trust=Trust.SUBSTANTIAL)

    assert authz.can(principal, "add", RoleAssignment(user=someone, role=Role.DATA_STEWARD, organisation=ours))
    assert not authz.can(principal, "add", RoleAssignment(user=someone, role=Role.DATA_STEWARD, organisation=theirs))
    assert not authz.can(principal, "add", RoleAssignment(user=someone, role=Role.PLATFORM_ADMIN))
    assert not authz.can(principal, "add", RoleAssignment(user=someone, role=Role.PROGRAMME_ADMIN, city=other))
    platform = authz.principal_for_user(User.objects.create_superuser("root", "r@example.org", "pw"))
    assert authz.can(platform, "add", RoleAssignment(user=someone, role=Role.PLATFORM_ADMIN))

    client.force_login(padmin)
    form = client.get("/admin/accounts/roleassignment/add/").content.decode()
    assert 'value="data_steward"' in form and 'value="platform_admin"' not in form
    ok = client.post("/admin/accounts/roleassignment/add/",
                     {"user": "someone", "role": Role.DATA_STEWARD, "organisation": ours.pk, "note": ""})
    assert ok.status_code == 302, ok.content.decode()[:2000]
    made = RoleAssignment.objects.get(user=someone)
    assert made.city_id == city.pk and made.granted_by == padmin
    refused = client.post("/admin/accounts/roleassignment/add/",
                          {"user": "someone", "role": Role.PLATFORM_ADMIN, "note": ""})
    assert refused.status_code == 200
    refused = client.post("/admin/accounts/roleassignment/add/",
                          {"user": "someone", "role": Role.PROGRAMME_ADMIN, "city": other.pk, "note": ""})
    assert refused.status_code == 200
    assert list(RoleAssignment.objects.filter(user=someone)) == [made]


def test_federated_identities_are_listed_read_only(city, platform):
    provider = actions.create(IdentityProvider, city=city, key="council-id", name="Council ID",
                              issuer="https://id.example.org", client_id="cityline")
    FederatedIdentity.objects.create(user=User.objects.create_user("linked"), provider=provider, subject="sub-1")
    listing = platform.get("/admin/accounts/federatedidentity/")
    assert listing.status_code == 200 and "sub-1" in listing.content.decode()
    link = FederatedIdentity.objects.get()
    page = platform.get(f"/admin/accounts/federatedidentity/{link.pk}/change/")
    assert page.status_code == 200 and 'name="subject"' not in page.content.decode()  # a link is never edited


def test_a_platform_administrator_links_an_account_to_a_provider_that_creates_none(city, platform):
    """With "create accounts" off, the refusal tells people to ask for their account to be linked: a platform
    administrator links it in the editor (it used to be impossible: the page was read-only), and unlinks it."""
    from cityline.accounts import oidc

    provider = actions.create(IdentityProvider, city=city, key="staff-id", name="Staff ID",
                              issuer="https://id.example.org", client_id="cityline", create_accounts=False)
    frank = User.objects.create_user("frank", "frank@example.org")
    with pytest.raises(oidc.SignInError) as refused:
        oidc.link_or_create(provider, {"sub": "0f3a-frank"})
    assert "0f3a-frank" in str(refused.value)  # the identifier to give the administrators

    assert platform.get("/admin/accounts/federatedidentity/add/").status_code == 200
    unknown = platform.post("/admin/accounts/federatedidentity/add/",
                            {"user": "nobody", "provider": provider.pk, "subject": "0f3a-frank"})
    assert unknown.status_code == 200 and "No account has exactly this user name" in unknown.content.decode()
    made = platform.post("/admin/accounts/federatedidentity/add/",
                         {"user": "frank@example.org", "provider": provider.pk, "subject": "0f3a-frank"})
    assert made.status_code == 302, made.content.decode()[:3000]
    assert oidc.link_or_create(provider, {"sub": "0f3a-frank"})[0] == frank
    twice = platform.post("/admin/accounts/federatedidentity/add/",
                          {"user": "root", "provider": provider.pk, "subject": "0f3a-frank"})
    assert twice.status_code == 200 and FederatedIdentity.objects.get().user == frank

    link = FederatedIdentity.objects.get()
    gone = platform.post(f"/admin/accounts/federatedidentity/{link.pk}/delete/", {"post": "yes"})
    assert gone.status_code == 302 and not FederatedIdentity.objects.exists()


def test_only_platform_administrators_link_accounts(city, client):
    padmin = User.objects.create_user("padmin", password="pw")
    grant(padmin, Role.PROGRAMME_ADMIN, city=city)
    client.force_login(padmin)
    assert client.get("/admin/accounts/federatedidentity/add/").status_code == 403


def test_a_programme_administrator_names_people_exactly_and_sees_no_list_of_every_account(city, client):
    """The role-assignment form suggests the people who hold a role in the administrator's city; anyone else
    is found by their exact user name or e-mail address, never from a list of every account (docs/identity/
    roles.md, "Granting roles"). The list's search matches e-mail addresses only exactly as well."""
    other = make_city("elsewhere", "Elsewhere")
    ours = make_organisation(city, "council")
    padmin = User.objects.create_user("padmin", "padmin@testville.example", "pw")
    grant(padmin, Role.PROGRAMME_ADMIN, city=city)
    carol = User.objects.create_user("carol", "carol@testville.example")
    grant(carol, Role.CONTRIBUTOR, organisation=ours)
    jane = User.objects.create_user("elsewhere-id-jane.doe", "jane.doe@gmail.example")  # a citizen elsewhere
    bob = User.objects.create_user("bob-admin-of-elsewhere", "bob@elsewhere.example")
    grant(bob, Role.PROGRAMME_ADMIN, city=other)
    User.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(padmin)
    session = client.session
    session[SESSION_TRUST_KEY] = int(Trust.SUBSTANTIAL)
    session.save()

    page = client.get("/admin/accounts/roleassignment/add/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<select name="user"' not in html and 'name="user"' in html
    assert '<option value="carol">' in html and '<option value="padmin">' in html  # colleagues, suggested
    for hidden in ("elsewhere-id-jane.doe", "jane.doe@", "bob-admin-of-elsewhere", "bob@", "root"):
        assert hidden not in html, hidden

    def add(user: str):
        return client.post("/admin/accounts/roleassignment/add/",
                           {"user": user, "role": Role.CONTRIBUTOR, "organisation": ours.pk, "note": ""})

    for guess in ("jane", "elsewhere-id", "gmail.example", "%", str(jane.pk), "Elsewhere-id-jane.doe"):
        refused = add(guess)
        assert refused.status_code == 200 and "No account has exactly this user name or e-mail address" in \
            refused.content.decode(), guess
        assert "elsewhere-id-jane.doe" not in refused.content.decode()
    assert not RoleAssignment.objects.filter(user=jane).exists()
    assert add("Jane.Doe@Gmail.example").status_code == 302  # the exact e-mail address, case aside
    assert add("bob-admin-of-elsewhere").status_code == 302  # the exact user name
    assert RoleAssignment.objects.filter(user__in=[jane, bob], organisation=ours).count() == 2
    # an address two accounts share names nobody
    User.objects.create_user("twin-1", "twin@testville.example")
    User.objects.create_user("twin-2", "twin@testville.example")
    assert "Several accounts have this e-mail address" in add("twin@testville.example").content.decode()
    # the change page names the account of the assignment
    made = RoleAssignment.objects.get(user=jane)
    assert 'value="elsewhere-id-jane.doe"' in client.get(
        f"/admin/accounts/roleassignment/{made.pk}/change/").content.decode()

    # the list: the user name or the note in part, the e-mail address only whole
    def found(q: str) -> set[str]:
        listing = client.get("/admin/accounts/roleassignment/", {"q": q})
        return {a.user.username for a in listing.context["cl"].result_list}

    assert found("caro") == {"carol"}
    assert found("carol@testville") == set() and found("gmail") == set()
    assert found("Carol@testville.example") == {"carol"}

    # a platform administrator keeps the list of every account and the search by part of an address
    client.force_login(User.objects.get(username="root"))
    html = client.get("/admin/accounts/roleassignment/add/").content.decode()
    assert '<select name="user"' in html and "bob-admin-of-elsewhere" in html
    assert found("carol@testville") == {"carol"}


def test_no_editor_page_shows_a_non_platform_administrator_the_accounts_of_the_instance():
    """Every add, list and change page of the editor (the authorisation matrix's world), as the city's
    programme administrator and a contributor: no account without a role in their city is named."""
    from django.contrib import admin
    from django.urls import reverse

    from . import matrix as m
    from .test_matrix import admin_records

    world = m.build_world(m.make_matrix_city())
    User.objects.create_user("stranger-id-sam.doe", "sam.doe@mail.example")
    strangers = ("stranger-id-sam.doe", "sam.doe@", world.users["padmin_other"].username,
                 world.users["citizen"].username)
    urls = []
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls += [reverse("admin:%s_%s_add" % info), reverse("admin:%s_%s_changelist" % info)]
        urls += [reverse("admin:%s_%s_change" % info, args=[record.pk])
                 for record in admin_records(world, model, {}) if record is not None]
    named = []
    for name in ("padmin", "contributor_a"):
        for url in urls:
            html = world.clients[name].get(url).content.decode()
            named += [f"{url} as {name}: {s}" for s in strangers if s in html]
    assert not named, "\n".join(named)
