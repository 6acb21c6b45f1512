"""Hardening (B10): security headers and the Content-Security-Policy, no inline scripts on the
portal, rate limits on sign-in and the APIs, and ``cityline check --deploy`` (docs/security.md)."""

from __future__ import annotations

import base64
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import override_settings
from django.utils import translation

from cityline.core import security

ROOT = Path(__file__).resolve().parents[3]


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


# --- headers ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/fr/", "/account/sign-in/", "/api/v1/cities", "/api/3/action/status_show",
                                  "/admin/login/"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_http_only_and_same_site(client):
    from django.conf import settings

    user = get_user_model().objects.create_user("cookie-user", password="a long enough password")
    assert user
    client.get("/account/sign-in/")
    csrf = client.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"
    response = client.post("/account/sign-in/", {"username": "cookie-user", "password": "a long enough password",
                                                 "csrfmiddlewaretoken": csrf.value})
    assert response.status_code == 302
    session = client.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"


def test_style_hashes_are_the_csp_hashes_of_each_style_block():
    html = "<html><head><style>\n  body { color: red; }\n</style></head><body><style>p{}</style></body></html>"
    # echo -n $'\n  body { color: red; }\n' | openssl dgst -sha256 -binary | base64
    import hashlib

    expected = base64.b64encode(hashlib.sha256(b"\n  body { color: red; }\n").digest()).decode()
    assert security.style_hashes(html)[0] == f"'sha256-{expected}'"
    assert len(security.style_hashes(html)) == 2
    assert security.style_hashes("<p>no style</p>") == []


@pytest.mark.django_db
def test_the_board_pack_page_allows_only_its_own_style_block(client):
    """The printable board pack keeps its <style> (it must work saved to disk) by hash, not 'unsafe-inline'."""
    from cityline.accounts.testing import grant
    from cityline.strategy.tests.factories import make_strategy_city

    city = make_strategy_city()
    admin = get_user_model().objects.create_user("pmo", password="a long enough password")
    grant(admin, "programme_admin", city=city)
    client.force_login(admin)
    from django.urls import reverse

    url = reverse("admin:delivery_board_pack")
    response = client.get(url, {"city": city.key, "format": "html"})
    assert response.status_code == 200, response.content[:300]
    style_src = directives(response)["style-src"]
    assert style_src[0] == "'self'" and "'unsafe-inline'" not in style_src
    assert style_src[1:] == security.style_hashes(response.content.decode())
    assert len(style_src) == 2
    # other editor pages keep the strict policy
    assert directives(client.get(url))["style-src"] == ["'self'"]


# --- no inline script or style on any portal page ------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>", re.IGNORECASE)
DATA_TYPES = ("application/json", "application/ld+json")


def inline_code(html: str) -> list[str]:
    """Inline scripts (other than JSON data blocks), style attributes, <style> blocks and on* handlers."""
    found = []
    for match in INLINE_SCRIPT.finditer(html):
        attrs = match.group(1)
        kind = re.search(r"""\btype=["']?([^"'\s>]+)""", attrs)
        if not (kind and kind.group(1).lower() in DATA_TYPES):
            found.append(match.group(0))
    found += re.findall(r"<[^>]+\sstyle=[\"'][^>]*>", html)
    found += re.findall(r"<style\b[^>]*>", html, re.IGNORECASE)
    found += re.findall(r"<[^>]+\son[a-z]+=[\"'][^>]*>", html)
    return found


def test_the_inline_code_finder_finds_inline_code():
    assert inline_code('<script>alert(1)</script><script src="/a.js"></script>') == ["<script>"]
    assert inline_code('<script type="application/ld+json">{}</script>') == []
    assert inline_code('<script type="module">x</script>') == ['<script type="module">']
    assert len(inline_code('<span style="width: 3%">x</span><style>p{}</style><a onclick="x()">')) == 3


@pytest.mark.django_db
def test_no_portal_page_has_inline_scripts_or_styles(client):
    """Every page of the registry (both languages) renders without inline code the policy would block."""
    from cityline.portal import registry
    from cityline.strategy.tests.factories import make_strategy_city

    city = make_strategy_city()
    seen = 0
    for page in registry.pages():
        for lang in ("en", "fr"):
            with translation.override(lang):
                paths = page.paths(None if page.scope == "site" else city)
            for path in paths[:1]:
                response = client.get(path)
                assert response.status_code == 200, path
                assert inline_code(response.content.decode()) == [], path
                seen += 1
    assert seen >= 2 * 10


# --- rate limits ---------------------------------------------------------------------------------


@pytest.fixture
def limits_on():
    cache.clear()
    with override_settings(RATELIMIT_ENABLE=True):
        yield
    cache.clear()


@pytest.mark.django_db
def test_sign_in_attempts_are_limited_per_address(client, limits_on):
    # An hourly window: django-ratelimit's windows are fixed, so a minute window could roll over mid-test.
    with override_settings(CITYLINE_RATE_LIMITS={"sign_in_ip": "3/h", "sign_in_user": ""}):
        for i in range(3):
            assert client.post("/account/sign-in/", {"username": f"u{i}", "password": "x"}).status_code == 200
        response = client.post("/account/sign-in/", {"username": "u9", "password": "x"})
        assert response.status_code == 429
        assert 1 <= int(response["Retry-After"]) <= 3600
        assert "Too many attempts" in response.content.decode()
        # reading the page is not an attempt
        assert client.get("/account/sign-in/").status_code == 200
        # another address is not affected
        assert client.post("/account/sign-in/", {"username": "u0", "password": "x"},
                           REMOTE_ADDR="10.0.0.2").status_code == 200


@pytest.mark.django_db
def test_sign_in_attempts_are_limited_per_user_name_whatever_the_address(client, limits_on):
    with override_settings(CITYLINE_RATE_LIMITS={"sign_in_ip": "", "sign_in_user": "2/m"}):
        for i in range(2):
            r = client.post("/fr/account/sign-in/", {"username": "Alice", "password": "x"}, REMOTE_ADDR=f"10.0.1.{i}")
            assert r.status_code == 200
        r = client.post("/fr/account/sign-in/", {"username": "alice", "password": "x"}, REMOTE_ADDR="10.0.1.9")
        assert r.status_code == 429 and "Retry-After" in r
        assert "Trop" in r.content.decode() or "Too many" in r.content.decode()
        assert client.post("/account/sign-in/", {"username": "bob", "password": "x"}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/cities", "/api/3/action/package_list"])
def test_anonymous_api_callers_are_limited_per_address_with_a_problem_document(client, limits_on, path):
    with override_settings(CITYLINE_RATE_LIMITS={"api_anonymous": "4/m"}):
        for _ in range(4):
            assert client.get(path).status_code in (200, 404)
        response = client.get(path)
        assert response.status_code == 429
        body = response.json()
        if "/3/action/" in path:  # the CKAN Action API answers in CKAN's error object
            assert body["success"] is False and body["error"]["__type"] == "Too Many Requests"
        else:
            assert response["Content-Type"] == "application/problem+json"
            assert body["type"] == "urn:cityline:problem:too-many-requests" and body["status"] == 429
        assert int(response["Retry-After"]) >= 1
        assert client.get(path, REMOTE_ADDR="10.0.2.1").status_code != 429


@pytest.mark.django_db
def test_api_callers_with_credentials_are_limited_per_user(client, limits_on):
    get_user_model().objects.create_user("reader", password="a long enough password")
    basic = "Basic " + base64.b64encode(b"reader:a long enough password").decode()
    other = "Basic " + base64.b64encode(b"someone:wrong").decode()
    with override_settings(CITYLINE_RATE_LIMITS={"api_anonymous": "1/m", "api_user": "3/m"}):
        for _ in range(3):
            assert client.get("/api/v1/cities", HTTP_AUTHORIZATION=basic).status_code == 200
        assert client.get("/api/v1/cities", HTTP_AUTHORIZATION=basic).status_code == 429
        # a different user name counts apart (and wrong passwords count too)
        assert client.get("/api/v1/cities", HTTP_AUTHORIZATION=other).status_code == 401
        # anonymous callers from the same address have their own counter
        assert client.get("/api/v1/cities").status_code == 200
        assert client.get("/api/v1/cities").status_code == 429


def test_the_environment_overrides_single_limits(monkeypatch):
    from cityline.core import ratelimits

    monkeypatch.setenv("CITYLINE_RATE_LIMITS", "sign_in_ip=20/m, api_anonymous=")
    limits = ratelimits.configured_limits()
    assert limits["sign_in_ip"] == "20/m" and limits["api_anonymous"] == "" and limits["api_user"] == "1200/m"
    monkeypatch.setenv("CITYLINE_RATE_LIMITS", "sign_in=20/m")
    with pytest.raises(ValueError, match="'sign_in=20/m'.*sign_in_ip"):
        ratelimits.configured_limits()


@pytest.mark.django_db
def test_rate_limits_are_off_in_the_normal_test_run(client):
    for _ in range(11):  # one more than the default limit
        assert client.post("/account/sign-in/", {"username": "x", "password": "y"}).status_code == 200


# --- cityline check --deploy ---------------------------------------------------------------------


def run_check(tmp_path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CITYLINE_", "DJANGO_"))}
    clean.update({"CITYLINE_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    clean.update(env)
    return subprocess.run([sys.executable, "-m", "cityline.cli", "check", "--deploy"], cwd=ROOT, env=clean,
                          capture_output=True, text=True, timeout=120)


SAFE = {
    "CITYLINE_HTTPS": "1",
    "CITYLINE_ALLOWED_HOSTS": "data.city.example.org",
    "CITYLINE_LOCAL_ACCOUNT_TRUST": "substantial",
}


def test_check_deploy_passes_safe_settings(tmp_path):
    result = run_check(tmp_path, CITYLINE_SECRET_KEY=secrets.token_urlsafe(50), **SAFE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No problems found." in result.stdout


def test_check_deploy_fails_unsafe_settings_and_names_each_fix(tmp_path):
    result = run_check(tmp_path, CITYLINE_DEBUG="1", CITYLINE_ALLOWED_HOSTS="*")
    assert result.returncode == 1
    out = result.stdout
    for check_id in ("cityline.E001", "cityline.W004", "cityline.E005", "cityline.W011", "security.W018"):
        assert check_id in out, out
    assert "fix: Unset CITYLINE_DEBUG" in out
    assert "problem(s) to fix" in result.stderr


def test_check_deploy_refuses_a_key_file_others_can_read(tmp_path):
    key = tmp_path / "secret-key"
    key.write_text(secrets.token_urlsafe(50) + "\n")
    key.chmod(0o644)
    result = run_check(tmp_path, **SAFE)
    assert result.returncode == 1 and "cityline.E003" in result.stdout and "chmod 600" in result.stdout
    key.chmod(0o600)
    result = run_check(tmp_path, **SAFE)
    assert result.returncode == 0, result.stdout


def test_check_deploy_refuses_a_weakened_policy(settings):
    from cityline.core import checks

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"],
                                                       "script-src": ["'self'", "'unsafe-inline'"]}}
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != checks.CSP_MIDDLEWARE]
    ids = [m.id for m in checks.check_csp()]
    assert ids == ["cityline.E007", "cityline.E009"]
