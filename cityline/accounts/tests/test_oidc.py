"""Federated sign-in with OpenID Connect (B10) against a real provider (panva's oidc-provider on node).

The provider runs in a subprocess for the whole module; the Django test client plays the
browser on Cityline's side and a ``requests`` session plays it on the provider's side
(its development login and consent forms).
"""

from __future__ import annotations

import html
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

from cityline.accounts import authz
from cityline.accounts.models import FederatedIdentity, IdentityProvider
from cityline.accounts.principals import SESSION_TRUST_KEY
from cityline.accounts.roles import Role, Trust
from cityline.accounts.testing import grant
from cityline.core import actions
from cityline.opendata.models import Dataset
from cityline.opendata.testing import make_catalogue_city

pytestmark = pytest.mark.django_db
User = get_user_model()

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
CITY = "testville"
PROVIDER_KEYS = ["test-idp", "low-idp", "closed-idp"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def issuer():
    """A real OpenID Connect provider on a free port (fails, never skips, when node or the package is missing)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("the OpenID Connect tests need node (Node.js 20): install it, then run "
                    "scripts/ensure-test-tools.sh")
    if not (ROOT / "node_modules" / "oidc-provider" / "package.json").exists():
        pytest.fail("the OpenID Connect tests need the npm package oidc-provider: run scripts/ensure-test-tools.sh "
                    "(npm ci)")
    port = _free_port()
    redirects = [f"http://testserver/account/sign-in/{CITY}/{key}/callback/" for key in PROVIDER_KEYS]
    process = subprocess.Popen([node, str(SCRIPT), str(port), *redirects], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                pytest.fail(f"the OpenID Connect test provider exited: {process.stdout.read()}")
            try:
                if requests.get(url + "/.well-known/openid-configuration", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the OpenID Connect test provider did not answer within 20 s")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def city():
    cache.clear()  # discovery is cached: each test starts clean
    return make_catalogue_city(CITY)


def make_provider(city, issuer, key="test-idp", **extra) -> IdentityProvider:
    fields = {"name": "Test ID", "issuer": issuer, "client_id": "cityline", "trust_level": Trust.SUBSTANTIAL}
    fields.update(extra)
    return actions.create(IdentityProvider, city=city, key=key, **fields)


def start_url(provider, next_url=None) -> str:
    url = reverse("accounts:oidc-start", kwargs={"city": provider.city.key, "provider": provider.key})
    return url + (f"?next={next_url}" if next_url else "")


def _form(page: str, base: str) -> tuple[str, dict]:
    """The first form of a provider page: its absolute action and its hidden inputs."""
    match = re.search(r'<form[^>]*action="([^"]+)"', page)
    assert match, f"no form on the provider's page: {page[:500]}"
    fields = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    return urljoin(base, html.unescape(match.group(1))), fields


def at_provider(authorize_url: str, login: str) -> str:
    """Play the visitor at the provider: log in and consent; return the redirect back to Cityline."""
    browser = requests.Session()
    url, method, data = authorize_url, "GET", None
    for _step in range(12):
        response = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
        if response.is_redirect:
            target = urljoin(url, response.headers["Location"])
            if target.startswith("http://testserver/"):
                return target
            url, method, data = target, "GET", None
            continue
        assert response.status_code == 200, response.text[:500]
        action, fields = _form(response.text, url)
        if 'name="login"' in response.text:
            fields.update(login=login, password="anything")
        url, method, data = action, "POST", fields
    raise AssertionError("the provider never sent the visitor back")


def callback_path(url: str) -> str:
    parsed = urlparse(url)
    return parsed.path + "?" + parsed.query


def sign_in(client, provider, login: str, next_url=None):
    response = client.get(start_url(provider, next_url))
    assert response.status_code == 302, response.content[:500]
    back = at_provider(response["Location"], login)
    return client.get(callback_path(back))


def session_principal(client):
    user = User.objects.get(pk=client.session["_auth_user_id"])
    return authz.principal_for_user(user, trust=client.session[SESSION_TRUST_KEY])


# --- the happy path ------------------------------------------------------------------------------


def test_full_flow_creates_links_and_signs_in(city, issuer, client):
    provider = make_provider(city, issuer)
    response = sign_in(client, provider, "alice", next_url="/account/sign-in/")
    assert response.status_code == 302 and response["Location"] == "/account/sign-in/"
    identity = FederatedIdentity.objects.get(provider=provider, subject="alice")
    assert int(client.session["_auth_user_id"]) == identity.user.pk
    assert client.session["_auth_user_backend"] == "cityline.accounts.backends.RoleBackend"
    assert client.session[SESSION_TRUST_KEY] == Trust.SUBSTANTIAL
    assert identity.user.email == "alice@example.org" and identity.user.first_name == "Test alice"
    assert identity.user.username == "test-idp-alice" and not identity.user.has_usable_password()
    assert identity.last_login is not None

    # Signing in again links to the same account, never a second one.
    client.logout()
    response = sign_in(client, provider, "alice")
    assert response.status_code == 302 and response["Location"] == "/"
    assert FederatedIdentity.objects.filter(provider=provider).count() == 1
    assert int(client.session["_auth_user_id"]) == identity.user.pk


def test_an_unsafe_next_is_replaced_by_the_home_page(city, issuer, client):
    provider = make_provider(city, issuer)
    response = sign_in(client, provider, "bob", next_url="https://evil.example/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" in client.session


def test_the_authorisation_request_carries_pkce_s256_and_the_unprefixed_redirect(city, issuer, client):
    provider = make_provider(city, issuer)
    response = client.get("/fr" + start_url(provider))
    assert response.status_code == 302
    query = parse_qs(urlparse(response["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43  # base64url of a SHA-256 digest
    assert query["state"][0] and query["nonce"][0] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == [f"http://testserver/account/sign-in/{CITY}/test-idp/callback/"]
    assert "openid" in query["scope"][0].split()


def test_the_provider_refuses_a_token_exchange_without_the_verifier(city, issuer, client):
    provider = make_provider(city, issuer)
    response = client.get(start_url(provider))
    back = at_provider(response["Location"], "carol")
    code = parse_qs(urlparse(back).query)["code"][0]
    meta = requests.get(issuer + "/.well-known/openid-configuration", timeout=5).json()
    refused = requests.post(meta["token_endpoint"], timeout=5, data={
        "grant_type": "authorization_code", "code": code, "client_id": "cityline",
        "redirect_uri": f"http://testserver/account/sign-in/{CITY}/test-idp/callback/"})
    assert refused.status_code == 400
    assert refused.json()["error"] in ("invalid_grant", "invalid_request")
    assert "id_token" not in refused.json()


# --- refusals ---------------------------------------------------------------------------------------


def test_a_state_mismatch_signs_nobody_in(city, issuer, client):
    provider = make_provider(city, issuer)
    response = client.get(start_url(provider))
    back = at_provider(response["Location"], "dave")
    query = parse_qs(urlparse(back).query)
    forged = client.get(urlparse(back).path, {"code": query["code"][0], "state": "not-the-state"})
    assert forged.status_code == 400
    assert "state does not match" in forged.content.decode()
    assert "_auth_user_id" not in client.session
    assert not FederatedIdentity.objects.exists()


def test_a_callback_is_used_once(city, issuer, client):
    provider = make_provider(city, issuer)
    response = client.get(start_url(provider))
    back = at_provider(response["Location"], "erin")
    assert client.get(callback_path(back)).status_code == 302
    client.logout()
    again = client.get(callback_path(back))
    assert again.status_code == 400 and "_auth_user_id" not in client.session


def test_an_error_from_the_provider_is_shown_clearly(city, issuer, client):
    provider = make_provider(city, issuer)
    response = client.get(start_url(provider))
    state = parse_qs(urlparse(response["Location"]).query)["state"][0]
    callback = reverse("accounts:oidc-callback", kwargs={"city": CITY, "provider": provider.key})
    page = client.get(callback, {"error": "access_denied", "error_description": "the user said no",
                                 "state": state})
    assert page.status_code == 400
    assert "Test ID did not sign you in: the user said no" in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_provider_that_is_down_gives_a_clear_page(city, client):
    provider = make_provider(city, f"http://127.0.0.1:{_free_port()}")
    page = client.get(start_url(provider))
    assert page.status_code == 400
    assert "Test ID cannot be reached right now" in page.content.decode()


def test_a_disabled_or_unknown_provider_is_not_found(city, issuer, client):
    provider = make_provider(city, issuer, enabled=False)
    assert client.get(start_url(provider)).status_code == 404
    callback = reverse("accounts:oidc-callback", kwargs={"city": CITY, "provider": provider.key})
    assert client.get(callback, {"code": "x", "state": "y"}).status_code == 404
    assert client.get(reverse("accounts:oidc-start", kwargs={"city": CITY, "provider": "nope"})).status_code == 404
    assert client.get(reverse("accounts:oidc-start", kwargs={"city": "elsewhere", "provider": provider.key})
                      ).status_code == 404


def test_a_provider_that_creates_no_accounts_refuses_unknown_people(city, issuer, client):
    provider = make_provider(city, issuer, key="closed-idp", name="Closed ID", create_accounts=False)
    users = User.objects.count()
    page = sign_in(client, provider, "frank")
    assert page.status_code == 400
    assert "does not create accounts" in page.content.decode()
    assert User.objects.count() == users and not FederatedIdentity.objects.exists()
    assert "_auth_user_id" not in client.session

    # Once an administrator links the account, the same person signs in.
    frank = User.objects.create_user("frank")
    FederatedIdentity.objects.create(user=frank, provider=provider, subject="frank")
    assert sign_in(client, provider, "frank").status_code == 302
    assert int(client.session["_auth_user_id"]) == frank.pk


# --- trust decides which roles count ------------------------------------------------------------------


def test_the_providers_trust_level_governs_the_roles(city, issuer, client):
    air = Dataset.objects.get(city=city, key="air-quality")
    steward = User.objects.create_user("steward")
    grant(steward, Role.DATA_STEWARD, organisation=air.publisher)
    low = make_provider(city, issuer, key="low-idp", name="Low ID", trust_level=Trust.LOW)
    substantial = make_provider(city, issuer, key="test-idp", trust_level=Trust.SUBSTANTIAL)
    for provider in (low, substantial):
        FederatedIdentity.objects.create(user=steward, provider=provider, subject="steward")

    assert sign_in(client, low, "steward").status_code == 302
    assert client.session[SESSION_TRUST_KEY] == Trust.LOW
    principal = session_principal(client)
    assert principal.user == steward
    assert not authz.can(principal, "change", air)
    assert client.get(f"/admin/opendata/dataset/{air.pk}/change/").status_code in (302, 403)

    client.logout()
    assert sign_in(client, substantial, "steward").status_code == 302
    assert client.session[SESSION_TRUST_KEY] == Trust.SUBSTANTIAL
    assert authz.can(session_principal(client), "change", air)
    assert client.get(f"/admin/opendata/dataset/{air.pk}/change/").status_code == 200


# --- the sign-in page ----------------------------------------------------------------------------------


def test_the_sign_in_page_lists_enabled_providers(city, issuer, client):
    make_provider(city, issuer)
    make_provider(city, issuer, key="closed-idp", name="Hidden ID", enabled=False)
    page = client.get("/account/sign-in/?next=/testville/").content.decode()
    assert f'href="/account/sign-in/{CITY}/test-idp/?next=/testville/"' in page
    assert "Sign in with Test ID" in page and "Hidden ID" not in page
