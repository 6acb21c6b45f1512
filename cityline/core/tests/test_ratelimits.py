"""Credentials are rate limited wherever they are checked (B10; docs/security.md, "Rate limits").

Every face that checks a Basic password or a bearer token (the REST API, the CKAN Action API at the
site root and per city, NGSI-LD, and every page, which reads an ``Authorization`` header through
``principal_for``) counts against the same ``api_user`` limit, per user name; over it the answer is
429 whatever the password, so no face is a password oracle.
"""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.conf import settings
from django.test import RequestFactory, override_settings

from cityline.accounts import principals
from cityline.core.testing import make_city

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough password"
NGSI = {"HTTP_NGSILD_TENANT": "testville"}

#: Every face that checks credentials, with the headers it needs.
FACES = [
    ("/api/v1/cities", {}),
    ("/api/3/action/package_list", {}),
    ("/testville/api/3/action/package_list", {}),
    ("/ngsi-ld/v1/entities?type=AirQualityObserved", NGSI),
    ("/testville/", {}),  # a portal page: principal_for reads the header (wrong credentials: anonymous)
]


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def assert_too_many(path: str, response) -> dict | str:
    """429 with Retry-After, in the error shape of the face ``path`` belongs to (docs/security.md)."""
    assert response.status_code == 429, (path, response.content)
    assert 1 <= int(response["Retry-After"]) <= 3600
    if path.startswith("/api/v1/"):  # the REST API: a problem document
        assert response["Content-Type"] == "application/problem+json"
        body = response.json()
        assert body["type"] == "urn:cityline:problem:too-many-requests" and body["status"] == 429
    elif "/api/3/action/" in path:  # CKAN's error object, with the help address of the action asked
        assert response["Content-Type"] == "application/json;charset=utf-8"
        body = response.json()
        assert body["success"] is False and body["error"]["__type"] == "Too Many Requests"
        assert "try again in" in body["error"]["message"]
        assert body["help"] == f"http://testserver{path.split('api/3/')[0]}api/3/action/help_show?name=package_list"
    elif path.startswith("/ngsi-ld/"):  # NGSI-LD's ProblemDetails, plain JSON like its other errors
        assert response["Content-Type"] == "application/json"
        body = response.json()
        assert body["type"] == "urn:cityline:problem:too-many-requests" and body["status"] == 429
    else:
        assert response["Content-Type"].startswith("text/plain")
        body = response.content.decode()
    return body


@pytest.fixture
def limits_on():
    cache.clear()
    with override_settings(RATELIMIT_ENABLE=True,
                           CITYLINE_RATE_LIMITS={"api_user": "3/h", "api_anonymous": "3/h",
                                                 "sign_in_ip": "3/h", "sign_in_user": "3/h"}):
        yield
    cache.clear()


@pytest.fixture
def victim():
    make_city("testville")
    return get_user_model().objects.create_user("victim", password=PASSWORD)


@pytest.mark.parametrize(("path", "extra"), FACES)
def test_password_guessing_is_limited_on_every_face(client, limits_on, victim, path, extra):
    codes = [client.get(path, HTTP_AUTHORIZATION=basic("victim", f"guess{i}"), **extra).status_code
             for i in range(3)]
    assert 429 not in codes
    for password in ("guess9", PASSWORD):  # over the limit, the right password gets no other answer
        assert_too_many(path, client.get(path, HTTP_AUTHORIZATION=basic("victim", password), **extra))
    # the user name is limited, not the address: another account is not affected
    get_user_model().objects.create_user("other", password=PASSWORD)
    assert client.get(path, HTTP_AUTHORIZATION=basic("other", PASSWORD), **extra).status_code != 429


def test_one_counter_per_user_name_across_the_faces(client, limits_on, victim):
    for path, extra in FACES[2:]:  # per-city CKAN, NGSI-LD, a portal page: one guess each
        assert client.get(path, HTTP_AUTHORIZATION=basic("VICTIM", "guess"), **extra).status_code != 429
    assert client.get("/api/v1/cities", HTTP_AUTHORIZATION=basic("victim", PASSWORD)).status_code == 429


def test_the_credentials_check_itself_refuses_over_the_limit(limits_on, victim):
    """Where the middleware does not run, ``credentials_principal`` counts and refuses by itself: over the
    limit it checks no password (the right one is refused as well), and it counts each request once."""
    factory = RequestFactory()

    def request(password):
        return factory.get("/somewhere/", HTTP_AUTHORIZATION=basic("victim", password))

    once = request(PASSWORD)
    for _ in range(5):  # asked several times for one request (e.g. a view and principal_for): one count
        assert principals.credentials_principal(once).user == victim
    for i in range(2):
        with pytest.raises(principals.BadCredentials) as refused:
            principals.credentials_principal(request(f"guess{i}"))
        assert not isinstance(refused.value, principals.TooManyAttempts)
    with pytest.raises(principals.TooManyAttempts) as refused:
        principals.credentials_principal(request(PASSWORD))
    assert refused.value.retry_after >= 1
    assert principals.principal_for(request(PASSWORD)).user is None  # read as anonymous, not signed in


@pytest.mark.parametrize(("path", "extra"), FACES[1:4])
def test_anonymous_callers_are_limited_on_every_machine_face(client, limits_on, victim, path, extra):
    for _ in range(3):
        assert client.get(path, **extra).status_code != 429
    assert_too_many(path, client.get(path, **extra))


@pytest.mark.parametrize(("path", "extra"), FACES[1:4])
def test_a_header_of_a_scheme_nothing_reads_counts_as_anonymous(client, limits_on, victim, path, extra):
    """A new made-up header each time (``X <random>``) was a new credentials bucket each time: no limit at all."""
    for i in range(3):
        assert client.get(path, HTTP_AUTHORIZATION=f"X random{i}", **extra).status_code != 429
    assert client.get(path, HTTP_AUTHORIZATION="X random9", **extra).status_code == 429


def test_an_authorization_header_does_not_spare_a_sign_in_its_limits(client, limits_on, victim):
    header = {"HTTP_AUTHORIZATION": "Bearer " + "x" * 40}
    for i in range(3):
        assert client.post("/account/sign-in/", {"username": f"u{i}", "password": "x"},
                           HTTP_AUTHORIZATION=f"Bearer token-{i}").status_code == 200
    assert client.post("/account/sign-in/", {"username": "u9", "password": "x"}, **header).status_code == 429


WITHOUT_RATE_LIMIT_MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "cityline.core.ratelimits.RateLimitMiddleware"]


@pytest.mark.parametrize(("path", "extra"), FACES[:4])
def test_each_face_s_own_credentials_check_answers_429_not_401(client, limits_on, victim, path, extra):
    """Where the rate limit middleware does not run, the credentials check raises TooManyAttempts: each face
    answers it 429 with Retry-After in its own error shape (it used to be a 401 telling a script to give up)."""
    with override_settings(MIDDLEWARE=WITHOUT_RATE_LIMIT_MIDDLEWARE):
        for i in range(3):
            response = client.get(path, HTTP_AUTHORIZATION=basic("victim", f"guess{i}"), **extra)
            # wrong credentials: 401, or CKAN's own "Authorization Error" (403) on the CKAN Action API
            assert response.status_code == (403 if "/api/3/action/" in path else 401), (path, response.content)
        assert_too_many(path, client.get(path, HTTP_AUTHORIZATION=basic("victim", PASSWORD), **extra))


def test_an_ngsi_ld_write_over_the_limit_is_429_too(client, limits_on, victim):
    with override_settings(MIDDLEWARE=WITHOUT_RATE_LIMIT_MIDDLEWARE):
        for i in range(4):
            response = client.post("/ngsi-ld/v1/entities", "{}", content_type="application/json",
                                   HTTP_AUTHORIZATION=basic("victim", f"guess{i}"), **NGSI)
        assert_too_many("/ngsi-ld/", response)


def test_the_rest_api_s_authentication_answers_429_by_itself(client, limits_on, victim):
    """Without either middleware, the REST API's own authentication classes ask the same check and answer 429."""
    middleware = [m for m in WITHOUT_RATE_LIMIT_MIDDLEWARE if m != "cityline.api.credentials.CredentialsMiddleware"]
    with override_settings(MIDDLEWARE=middleware):
        for i in range(3):
            response = client.post("/api/v1/cities", "{}", content_type="application/json",
                                   HTTP_AUTHORIZATION=basic("victim", f"guess{i}"))
            assert response.status_code == 401, response.content
        assert_too_many("/api/v1/cities", client.post("/api/v1/cities", "{}", content_type="application/json",
                                                      HTTP_AUTHORIZATION=basic("victim", PASSWORD)))
