"""API tokens end to end (B10): stored as a digest, scopes, expiry, revocation, trust level, /api/v1/me,
wrong credentials as 401 on every API face, and the account page that makes and revokes them."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from cityline.accounts import tokens
from cityline.accounts.models import ApiToken
from cityline.accounts.principals import SESSION_TRUST_KEY
from cityline.accounts.roles import Trust
from cityline.accounts.testing import grant
from cityline.core.models import Organisation
from cityline.opendata.models import Dataset

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
API = "/api/v1/cities/testville"
LIST = f"{API}/datasets"
DETAIL = f"{API}/datasets/noise-draft"  # unpublished: staff of the city only
CKAN = "/api/3/action/package_list"


@pytest.fixture
def city(db, settings, tmp_path):
    from cityline.opendata.testing import make_catalogue_city

    settings.CITYLINE_OPENDATA_DIR = tmp_path / "opendata"
    return make_catalogue_city()


@pytest.fixture
def steward(city):
    """Sam, the council's data steward (the council publishes the unpublished noise-draft dataset)."""
    user = get_user_model().objects.create_user("sam", "sam@testville.example", PASSWORD)
    grant(user, "data_steward", organisation=Organisation.objects.get(city=city, key="council"))
    return user


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def make(user, *scopes, trust=Trust.SUBSTANTIAL, days=30):
    return tokens.issue(user, name="script", scopes=list(scopes), days=days, trust_level=trust)


def problem(response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    for word in words:
        assert word in body["detail"], body
    return body


def keys(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["key"] for row in response.json()["results"]}


# --- storage ----------------------------------------------------------------------------------


def test_only_the_digest_is_stored(steward):
    token, raw = make(steward, "read", "write")
    assert raw.startswith("cl_") and len(raw) > 40
    for row in ApiToken.objects.values():
        for value in row.values():
            assert raw not in json.dumps(value, default=str)
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.digest == tokens.digest(raw) and stored.prefix == raw[:10]


# --- reading with a token ---------------------------------------------------------------------


def test_read_scope_shows_the_city_unpublished_records_without_it_they_stay_hidden(client, steward):
    _, reader = make(steward, "read")
    _, writer_only = make(steward, "write")
    assert "noise-draft" in keys(client.get(LIST, **bearer(reader)))
    assert client.get(DETAIL, **bearer(reader)).status_code == 200
    assert "noise-draft" not in keys(client.get(LIST, **bearer(writer_only)))
    assert client.get(DETAIL, **bearer(writer_only)).status_code == 404
    assert "noise-draft" not in keys(client.get(LIST))  # anonymous


def test_write_scope_is_needed_to_change(client, steward):
    _, reader = make(steward, "read")
    _, writer = make(steward, "read", "write")
    patch = {"title": "Noise map (second draft)"}
    r = client.patch(DETAIL, json.dumps(patch), content_type="application/json", HTTP_IF_MATCH='"1"',
                     **bearer(reader))
    problem(r, 403, "'write' scope")
    assert Dataset.objects.get(key="noise-draft").title == "Noise map (draft)"
    r = client.post(LIST, json.dumps({"key": "trees", "title": "Street trees", "description": "Every street tree.",
                                      "publisher": "council"}),
                    content_type="application/json", **bearer(reader))
    problem(r, 403, "'write' scope")
    assert not Dataset.objects.filter(key="trees").exists()
    version = client.get(DETAIL, **bearer(writer)).json()["version"]
    r = client.patch(DETAIL, json.dumps(patch), content_type="application/json",
                     HTTP_IF_MATCH=f'"{version}"', **bearer(writer))
    assert r.status_code == 200, r.content
    assert Dataset.objects.get(key="noise-draft").title == "Noise map (second draft)"
    r = client.post(LIST, json.dumps({"key": "trees", "title": "Street trees", "description": "Every street tree.",
                                      "publisher": "council"}),
                    content_type="application/json", **bearer(writer))
    assert r.status_code == 201, r.content


def test_a_low_trust_token_cannot_act_as_steward(client, steward):
    """A token keeps the trust level of the session that made it; a steward needs 'substantial'."""
    _, low = make(steward, "read", "write", trust=Trust.LOW)
    assert "noise-draft" not in keys(client.get(LIST, **bearer(low)))
    r = client.patch(f"{API}/datasets/air-quality", json.dumps({"title": "x"}), content_type="application/json",
                     HTTP_IF_MATCH='"1"', **bearer(low))
    problem(r, 403, "sam may not change")
    me = client.get("/api/v1/me", **bearer(low)).json()
    assert me["trust_level"] == "low"
    assert me["roles"] == [{"role": "data_steward", "city": "testville", "organisation": "council",
                            "outcome": None, "effective": False}]


# --- wrong credentials: refused on every API face (401; CKAN's 403) -----------------------------


def refused(url: str, response, *words: str) -> None:
    """A 401 problem naming the cause; on the CKAN Action API, CKAN's own "Authorization Error" (403) naming it."""
    if "/api/3/action/" not in url:
        problem(response, 401, *words)
        return
    assert response.status_code == 403, response.content
    error = response.json()["error"]
    assert error["__type"] == "Authorization Error" and all(word in error["message"] for word in words), error


@pytest.mark.parametrize("url", [LIST, DETAIL, CKAN, "/testville/api/3/action/package_list"])
def test_wrong_credentials_are_refused_naming_the_cause(client, steward, url):
    expired, expired_raw = make(steward, "read")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, revoked_raw = make(steward, "read")
    tokens.revoke(revoked)
    for raw in ("cl_not-a-token", expired_raw, revoked_raw):
        r = client.get(url, **bearer(raw))
        refused(url, r, "bearer token is unknown, expired or revoked")
        assert r["WWW-Authenticate"].startswith('Bearer realm="cityline", error="invalid_token"')
    bad = base64.b64encode(b"sam:wrong password").decode()
    refused(url, client.get(url, HTTP_AUTHORIZATION=f"Basic {bad}"), "wrong user name or password")
    # the same requests with good credentials, or none, succeed
    good = base64.b64encode(f"sam:{PASSWORD}".encode()).decode()
    assert client.get(url, HTTP_AUTHORIZATION=f"Basic {good}").status_code == 200
    assert client.get(url, **bearer(make(steward, "read")[1])).status_code == 200
    assert client.get(url).status_code == (404 if url == DETAIL else 200)


def test_a_deactivated_user_token_is_401(client, steward):
    _, raw = make(steward, "read")
    steward.is_active = False
    steward.save()
    problem(client.get(LIST, **bearer(raw)), 401, "unknown, expired or revoked")


# --- /api/v1/me -----------------------------------------------------------------------------------


def test_me_by_token_basic_and_session(client, steward):
    _, raw = make(steward, "read")
    me = client.get("/api/v1/me", **bearer(raw))
    assert me.status_code == 200, me.content
    assert me.json() == {"user": "sam", "authenticated_via": "token", "trust_level": "substantial",
                         "scopes": ["read"], "roles": [{"role": "data_steward", "city": "testville",
                                                        "organisation": "council", "outcome": None,
                                                        "effective": True}]}
    good = base64.b64encode(f"sam:{PASSWORD}".encode()).decode()
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Basic {good}").json()
    assert me["authenticated_via"] == "basic" and me["scopes"] is None and me["trust_level"] == "high"
    session = Client()
    session.force_login(steward)
    me = session.get("/api/v1/me").json()
    assert me["authenticated_via"] == "session" and me["user"] == "sam"
    problem(client.get("/api/v1/me"), 401, "nobody is signed in")


# --- the account page -------------------------------------------------------------------------


PAGE = "/account/tokens/"


def raw_tokens(html: str) -> list[str]:
    return re.findall(r"cl_[A-Za-z0-9_-]{40,}", html)


def test_page_needs_sign_in(client):
    r = client.get(PAGE)
    assert r.status_code == 302 and r["Location"].startswith("/account/sign-in/")


def test_create_shows_the_token_once_list_never_then_revoke(steward):
    c = Client()
    c.force_login(steward)
    session = c.session
    session[SESSION_TRUST_KEY] = Trust.SUBSTANTIAL
    session.save()
    r = c.post(PAGE, {"name": "nightly export", "scopes": ["read"], "days": "30"})
    assert r.status_code == 200
    html = r.content.decode()
    (raw,) = set(raw_tokens(html))
    assert "Copy it now" in html and r["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=steward)
    assert token.digest == tokens.digest(raw) and token.scopes == ["read"]
    assert token.trust_level == Trust.SUBSTANTIAL  # the session's
    assert 29 <= (token.expires_at - timezone.now()).days <= 30
    listing = c.get(PAGE).content.decode()
    assert raw_tokens(listing) == [] and token.prefix in listing and "nightly export" in listing
    assert ">active<" in listing
    # the token works, then is revoked through the page and stops working
    api = Client()
    assert api.get(LIST, **bearer(raw)).status_code == 200
    r = c.post(f"{PAGE}{token.pk}/revoke/")
    assert r.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "revoked" in c.get(PAGE).content.decode()
    problem(api.get(LIST, **bearer(raw)), 401, "revoked")


def test_bad_form_names_the_field_and_creates_nothing(steward):
    c = Client()
    c.force_login(steward)
    r = c.post(PAGE, {"name": "", "days": "400"})
    assert r.status_code == 400
    html = r.content.decode()
    for field in ("name", "scopes", "days"):
        assert f'id="{field}-errors"' in html
    assert "This field is required." in html and "366" in html
    assert not ApiToken.objects.exists()


def test_another_users_token_cannot_be_revoked(steward):
    other = get_user_model().objects.create_user("eve", "eve@example.org", PASSWORD)
    token, _ = make(steward, "read")
    c = Client()
    c.force_login(other)
    assert c.post(f"{PAGE}{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert token.prefix not in c.get(PAGE).content.decode()


def test_revoke_needs_csrf(steward):
    token, _ = make(steward, "read")
    c = Client(enforce_csrf_checks=True)
    c.force_login(steward)
    assert c.post(f"{PAGE}{token.pk}/revoke/").status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_page_in_french(steward):
    c = Client()
    c.force_login(steward)
    r = c.get("/fr/account/tokens/")
    assert r.status_code == 200 and 'lang="fr"' in r.content.decode()
