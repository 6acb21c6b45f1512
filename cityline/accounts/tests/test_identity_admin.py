"""Editor pages of the federation and the roles (B10): write-only secrets, who may grant what."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from cityline.accounts import authz
from cityline.accounts.models import FederatedIdentity, IdentityProvider, ProviderSecret, RoleAssignment
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
                     {"user": someone.pk, "role": Role.DATA_STEWARD, "organisation": ours.pk, "note": ""})
    assert ok.status_code == 302, ok.content.decode()[:2000]
    made = RoleAssignment.objects.get(user=someone)
    assert made.city_id == city.pk and made.granted_by == padmin
    refused = client.post("/admin/accounts/roleassignment/add/",
                          {"user": someone.pk, "role": Role.PLATFORM_ADMIN, "note": ""})
    assert refused.status_code == 200
    refused = client.post("/admin/accounts/roleassignment/add/",
                          {"user": someone.pk, "role": Role.PROGRAMME_ADMIN, "city": other.pk, "note": ""})
    assert refused.status_code == 200
    assert list(RoleAssignment.objects.filter(user=someone)) == [made]


def test_federated_identities_are_listed_read_only(city, platform):
    provider = actions.create(IdentityProvider, city=city, key="council-id", name="Council ID",
                              issuer="https://id.example.org", client_id="cityline")
    FederatedIdentity.objects.create(user=User.objects.create_user("linked"), provider=provider, subject="sub-1")
    listing = platform.get("/admin/accounts/federatedidentity/")
    assert listing.status_code == 200 and "sub-1" in listing.content.decode()
    assert platform.get("/admin/accounts/federatedidentity/add/").status_code == 403
