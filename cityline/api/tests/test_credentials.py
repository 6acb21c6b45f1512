"""One credentials check per request: the REST API's authentication classes ask the principals module (B10).

``cityline.api.auth`` used to check a Basic password itself after the credentials middleware had checked
it through ``cityline.accounts.principals``: each write hashed the password twice, and the two checks read
the header differently (django-ninja takes a header without a scheme as Basic; the rest of Cityline
reads it as no credentials, so that password check escaped the per-user rate limit).
"""

from __future__ import annotations

import base64
import json

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import cache
from django.test import override_settings

from cityline.core.models import Organisation

from .conftest import PASSWORD, basic

pytestmark = pytest.mark.django_db

URL = "/api/v1/cities/testville/organisations/uni"


class CountingHasher(MD5PasswordHasher):
    """The tests' hasher, counting how many passwords it checks."""

    checked = 0

    def verify(self, password, encoded):
        type(self).checked += 1
        return super().verify(password, encoded)


@pytest.fixture
def hashes():
    """How many passwords were checked since the fixture started (``hashes()``)."""
    CountingHasher.checked = 0
    with override_settings(PASSWORD_HASHERS=[f"{__name__}.CountingHasher"]):
        yield lambda: CountingHasher.checked


@pytest.fixture
def limit():
    cache.clear()
    with override_settings(RATELIMIT_ENABLE=True, CITYLINE_RATE_LIMITS={"api_user": "3/h", "api_anonymous": ""}):
        yield
    cache.clear()


def patch(client, website: str, version: int, headers: dict):
    return client.patch(URL, json.dumps({"website": website}), content_type="application/json",
                        HTTP_IF_MATCH=f'"{version}"', **headers)


def test_a_basic_password_is_checked_once_per_request(client, city, staff, hashes):
    response = patch(client, "https://uni.example", 1, basic("editor"))
    assert response.status_code == 200, response.content
    assert hashes() == 1  # the middleware's check; the write's authentication reuses it
    assert client.get(URL, **basic("editor")).status_code == 200
    assert hashes() == 2
    assert patch(client, "https://other.example", 2, basic("editor", "wrong")).status_code == 401
    assert hashes() == 3
    assert Organisation.objects.get(city=city, key="uni").website == "https://uni.example"


def test_a_wrong_password_is_refused_once_and_counted_once(client, city, staff, hashes, limit):
    for i in range(3):
        before = hashes()
        response = patch(client, f"https://guess{i}.example", 1, basic("editor", f"guess{i}"))
        assert response.status_code == 401 and response["Content-Type"] == "application/problem+json"
        assert hashes() == before + 1
    # three requests, three counts: the fourth is over the limit, and its (right) password is not even checked
    before = hashes()
    response = patch(client, "https://uni.example", 1, basic("editor"))
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert hashes() == before
    assert Organisation.objects.get(city=city, key="uni").website == ""


def test_a_header_without_a_scheme_is_no_credential(client, city, staff, hashes, limit):
    """django-ninja reads ``Authorization: <base64>`` as Basic; its password was checked outside the limit."""
    bare = {"HTTP_AUTHORIZATION": base64.b64encode(f"editor:{PASSWORD}".encode()).decode()}
    for _ in range(5):
        response = patch(client, "https://uni.example", 1, bare)
        assert response.status_code == 401, response.content
    assert hashes() == 0
    assert Organisation.objects.get(city=city, key="uni").website == ""


def test_a_bearer_token_is_looked_up_once_per_request(client, city, staff, monkeypatch):
    from cityline.accounts import tokens

    _, raw = tokens.issue(staff, name="scripts", scopes=["read", "write"], trust_level=3)
    looked_up = []
    original = tokens.lookup
    monkeypatch.setattr(tokens, "lookup", lambda value: looked_up.append(value) or original(value))
    response = patch(client, "https://uni.example", 1, {"HTTP_AUTHORIZATION": f"Bearer {raw}"})
    assert response.status_code == 200, response.content
    assert looked_up == [raw]
