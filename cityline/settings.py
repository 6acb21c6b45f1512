"""Django settings for Cityline.

Everything a deployment changes comes from environment variables:

- ``DATABASE_URL``: any dj-database-url URL; default is an embedded SQLite file in
  ``CITYLINE_DATA_DIR`` (``./var`` from the working directory). PostgreSQL:
  ``postgres://user@host:5432/dbname`` (psycopg 3).
- ``CITYLINE_DATA_DIR``: where the SQLite file and other local state live.
- ``CITYLINE_SECRET_KEY``: the signing key; without it, a random key is made once and
  kept in ``CITYLINE_DATA_DIR/secret-key``.
- ``CITYLINE_CSRF_TRUSTED_ORIGINS``: comma-separated origins (``https://city.example.org``)
  when Cityline runs behind a proxy under another name.
- ``CITYLINE_HTTPS``: ``1`` when served over HTTPS: secure cookies, HSTS and a redirect of plain
  HTTP requests (``CITYLINE_SSL_REDIRECT=0`` leaves the redirect to the proxy).
- ``CITYLINE_RATE_LIMITS``: ``name=rate,...`` over the default rate limits (docs/security.md).
- ``CITYLINE_DEBUG``: ``1`` for development.
- ``CITYLINE_SITE_URL``: the public address of the site, for links in e-mails.
- ``CITYLINE_EMAIL_BACKEND``, ``CITYLINE_FROM_EMAIL``: how and from whom e-mail is sent
  (default: printed on the console).
- ``CITYLINE_ALLOWED_HOSTS``: comma-separated host names.
- ``CITYLINE_OPENDATA_DIR``: where the open data platform keeps uploaded files, their
  Parquet copies and versions (default ``CITYLINE_DATA_DIR/opendata``).
- ``CITYLINE_DEFAULT_CITY``: the city served at the site root by the CKAN-compatible API
  (``/api/3/action/``) and the DCAT catalogue (``/catalog.ttl``); default: the only city.
- ``CITYLINE_PRIVACY_MIN_K``: the smallest group size the privacy gate accepts in
  microdata (default 5).
- ``CITYLINE_LOCAL_ACCOUNT_TRUST``: trust level of local (password) accounts: ``low``,
  ``substantial`` or ``high`` (default ``high``: the city issues them itself). Identity
  providers of the federation carry their own (docs/security.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("CITYLINE_DATA_DIR", Path.cwd() / "var")).resolve()

DEBUG = os.environ.get("CITYLINE_DEBUG", "0") == "1"


def _secret_key() -> str:
    """CITYLINE_SECRET_KEY, or a random key made once for this instance and kept in the data folder.

    No key is ever shipped in the repository, and an instance that sets none still gets
    its own (the demo, a single-server install); several web workers must share one, so
    a multi-server deployment sets CITYLINE_SECRET_KEY.
    """
    key = os.environ.get("CITYLINE_SECRET_KEY", "")
    if key:
        return key
    path = DATA_DIR / "secret-key"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        import secrets

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_text(encoding="utf-8").strip()
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(key + "\n")
        return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("CITYLINE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CITYLINE_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
if os.environ.get("CITYLINE_HTTPS", "0") == "1":
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    # Plain-HTTP requests that reach Cityline are redirected (the proxy sets X-Forwarded-Proto).
    SECURE_SSL_REDIRECT = os.environ.get("CITYLINE_SSL_REDIRECT", "1") == "1"
# HSTS for subdomains and the browsers' preload list commit the city's whole domain: a decision
# for the domain's owner, not for this application (docs/security.md).
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Cookies: never readable by scripts, not sent on cross-site sub-requests (docs/security.md).
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (django-csp): our own scripts and styles only, no inline code, no
# framing (docs/security.md). A standalone document may allow its own <style> block by hash
# (cityline.core.security.allow_inline_styles).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

INSTALLED_APPS = [
    "cityline.accounts.apps.CitylineAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "ninja",
    "cityline.core",
    "cityline.accounts",
    "cityline.privacy",
    "cityline.participation",
    "cityline.strategy",
    "cityline.benefits",
    "cityline.risks",
    "cityline.delivery",
    "cityline.citizen_services",
    "cityline.developments",
    "cityline.architecture",
    "cityline.assessment",
    "cityline.benchmarking",
    "cityline.opendata",
    "cityline.observations",
    "cityline.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "cityline.core.security.SecurityHeadersMiddleware",
    "cityline.core.security.RequestSizeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "cityline.api.credentials.CkanApiKeyMiddleware",  # a CKAN client's API token, before the rate limits read it
    "cityline.core.ratelimits.RateLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cityline.accounts.middleware.TrustLevelMiddleware",
    "cityline.api.credentials.CredentialsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "cityline.urls"
WSGI_APPLICATION = "cityline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'cityline.sqlite3'}",
        conn_max_age=int(os.environ.get("CITYLINE_DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded default: make sure its folder exists, whichever command runs first.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Wait for a concurrent writer instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # It runs in write-ahead-log mode: cityline/core/apps.py sets it on the first connection of a process.

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
#: English dates as 26 November 2026 and 2026-11-26, not the American defaults (cityline/formats/en).
FORMAT_MODULE_PATH = ["cityline.formats"]
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Only a deployment that runs `cityline manage collectstatic` needs a STATIC_ROOT; otherwise
# whitenoise serves straight from the app folders (no collectstatic step for the demo).
STATIC_ROOT = os.environ.get("CITYLINE_STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "/"
# Passwords are checked by Django's ModelBackend; permissions come from roles (cityline.accounts.authz).
AUTHENTICATION_BACKENDS = ["cityline.accounts.backends.RoleBackend"]

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True

CITYLINE_DEMO_PACK = PACKAGE_DIR / "demo" / "city-pack"

# Open data platform (cityline.opendata)
CITYLINE_OPENDATA_DIR = Path(os.environ.get("CITYLINE_OPENDATA_DIR") or DATA_DIR / "opendata").resolve()
# Observations (cityline.observations, issue 6): the Parquet observation store, one folder per city
CITYLINE_OBSERVATIONS_DIR = Path(os.environ.get("CITYLINE_OBSERVATIONS_DIR") or DATA_DIR / "observations").resolve()
# Where alerts are posted (JSON) when their rule names no webhook of its own; empty: nowhere
CITYLINE_ALERT_WEBHOOK = os.environ.get("CITYLINE_ALERT_WEBHOOK", "")
# Webhooks may be posted to loopback addresses (127.0.0.0/8, ::1, localhost): development and tests only
CITYLINE_WEBHOOK_ALLOW_LOOPBACK = os.environ.get("CITYLINE_WEBHOOK_ALLOW_LOOPBACK", "0") == "1"
# The forward proxy webhooks go through (http:// or https://, e.g. http://proxy.internal:3128); empty: they connect
# directly (HTTP_PROXY and HTTPS_PROXY are not read for them). Checked when used (cityline.observations.webhook.proxy)
CITYLINE_WEBHOOK_PROXY = os.environ.get("CITYLINE_WEBHOOK_PROXY", "").strip()
CITYLINE_DEFAULT_CITY = os.environ.get("CITYLINE_DEFAULT_CITY", "")
CITYLINE_PRIVACY_MIN_K = int(os.environ.get("CITYLINE_PRIVACY_MIN_K", "5"))

# Identity and roles (cityline.accounts)
CITYLINE_LOCAL_ACCOUNT_TRUST = os.environ.get("CITYLINE_LOCAL_ACCOUNT_TRUST", "high")
CITYLINE_ROLE_MIN_TRUST: dict[str, str] = {}

# Rate limits on sign-in and the public APIs (cityline.core.ratelimits, docs/security.md):
# {name: rate}, over the defaults; the CITYLINE_RATE_LIMITS environment variable
# ("sign_in_ip=20/m,api_anonymous=1200/m") overrides single entries. Counters live in the
# default cache: several worker processes need a shared one (CACHES, e.g. Redis).
CITYLINE_RATE_LIMITS: dict[str, str] = {}

# Public address of the site, for links in e-mails (e.g. "the city has responded").
CITYLINE_SITE_URL = os.environ.get("CITYLINE_SITE_URL", "http://127.0.0.1:8000")
# Mail: the console by default (the demo prints messages); a deployment sets an SMTP backend and
# Django's EMAIL_HOST, EMAIL_PORT, ... settings.
EMAIL_BACKEND = os.environ.get("CITYLINE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("CITYLINE_FROM_EMAIL", "cityline@localhost")
