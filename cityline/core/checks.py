"""Cityline's own deployment checks (B10: identity and privacy management), run by ``cityline check --deploy``.

They are Django system checks registered with ``deploy=True``, so Django's own
``manage.py check --deploy`` runs them as well. Each message carries its fix as the hint.
:func:`run` runs every check and returns the messages that fail a deployment (warnings
and errors); the CLI command is a thin shell over it. See docs/security.md.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.checks import CheckMessage, Error, Info, Warning, register

CSP_MIDDLEWARE = "csp.middleware.CSPMiddleware"
UNSAFE_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "*")


@register(checks.Tags.security, deploy=True)
def check_debug(app_configs=None, **kwargs) -> list[CheckMessage]:
    if settings.DEBUG:
        return [Error("DEBUG is on: error pages show code, settings and data to anyone.",
                      hint="Unset CITYLINE_DEBUG (or set it to 0).", id="cityline.E001")]
    return []


@register(checks.Tags.security, deploy=True)
def check_secret_key(app_configs=None, **kwargs) -> list[CheckMessage]:
    """The signing key comes from CITYLINE_SECRET_KEY or from a key file only its owner can read."""
    if os.environ.get("CITYLINE_SECRET_KEY"):
        return []
    path = Path(settings.DATA_DIR) / "secret-key"
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return [Error(f"No secret key: CITYLINE_SECRET_KEY is unset and {path} does not exist.",
                      hint="Set CITYLINE_SECRET_KEY (the same on every web worker) or start Cityline once "
                           "to make the key file.", id="cityline.E002")]
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return [Error(f"The secret key file {path} can be read by others (mode {stat.S_IMODE(mode):o}).",
                      hint=f"chmod 600 {path}", id="cityline.E003")]
    return []


@register(checks.Tags.security, deploy=True)
def check_https(app_configs=None, **kwargs) -> list[CheckMessage]:
    if os.environ.get("CITYLINE_HTTPS", "0") != "1":
        return [Warning("CITYLINE_HTTPS is not 1: cookies are not marked Secure and there is no HSTS.",
                        hint="Serve Cityline over HTTPS (a proxy that sets X-Forwarded-Proto) and set "
                             "CITYLINE_HTTPS=1.", id="cityline.W004")]
    return []


@register(checks.Tags.security, deploy=True)
def check_allowed_hosts(app_configs=None, **kwargs) -> list[CheckMessage]:
    hosts = list(settings.ALLOWED_HOSTS)
    if "*" in hosts or any(h.startswith("*") for h in hosts):
        return [Error(f"ALLOWED_HOSTS accepts any host ({', '.join(hosts)}).",
                      hint="Set CITYLINE_ALLOWED_HOSTS to the site's host names, e.g. data.city.example.org.",
                      id="cityline.E005")]
    if not hosts or set(hosts) <= {"127.0.0.1", "localhost", "testserver", "::1"}:
        return [Warning("ALLOWED_HOSTS names only this machine: the site cannot be reached under its public name.",
                        hint="Set CITYLINE_ALLOWED_HOSTS to the site's host names.", id="cityline.W006")]
    return []


@register(checks.Tags.security, deploy=True)
def check_csp(app_configs=None, **kwargs) -> list[CheckMessage]:
    """The Content-Security-Policy middleware is on and the policy allows no inline or foreign code."""
    out: list[CheckMessage] = []
    if CSP_MIDDLEWARE not in settings.MIDDLEWARE:
        out.append(Error("The Content-Security-Policy middleware is missing.",
                         hint=f"Keep {CSP_MIDDLEWARE!r} in MIDDLEWARE (cityline/settings.py).", id="cityline.E007"))
    policy = (getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}).get("DIRECTIVES", {})
    for directive in ("default-src", "script-src", "style-src", "object-src", "frame-ancestors"):
        if directive not in policy:
            out.append(Error(f"The Content-Security-Policy has no {directive}.",
                             hint="Restore CONTENT_SECURITY_POLICY from cityline/settings.py.", id="cityline.E008"))
    for directive in ("default-src", "script-src", "style-src"):
        weak = [s for s in policy.get(directive, []) if s in UNSAFE_SOURCES]
        if weak:
            out.append(Error(f"The Content-Security-Policy's {directive} allows {', '.join(weak)}.",
                             hint="Move inline code to static files instead of weakening the policy "
                                  "(docs/security.md).", id="cityline.E009"))
    return out


@register(checks.Tags.security, deploy=True)
def check_local_account_trust(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Local (password) accounts get only the trust level the deployment declares (eIDAS low/substantial/high)."""
    from cityline.accounts.roles import Role, trust_from

    out: list[CheckMessage] = []
    try:
        trust_from(getattr(settings, "CITYLINE_LOCAL_ACCOUNT_TRUST", "high"))
    except ValueError as exc:
        out.append(Error(f"CITYLINE_LOCAL_ACCOUNT_TRUST: {exc}.", hint="Use low, substantial or high.",
                         id="cityline.E010"))
    if not os.environ.get("CITYLINE_LOCAL_ACCOUNT_TRUST"):
        out.append(Warning(
            "The trust level of local (password) accounts is not declared; they count as 'high', "
            "enough for every role including platform administrator.",
            hint="Set CITYLINE_LOCAL_ACCOUNT_TRUST to what the city's account process really gives: "
                 "'substantial' for password accounts, 'high' only with strong verification "
                 "(docs/security.md).", id="cityline.W011"))
    for role, value in (getattr(settings, "CITYLINE_ROLE_MIN_TRUST", {}) or {}).items():
        try:
            Role(role)
            trust_from(value)
        except ValueError as exc:
            out.append(Error(f"CITYLINE_ROLE_MIN_TRUST[{role!r}]: {exc}.",
                             hint="Use a role name and low, substantial or high.", id="cityline.E012"))
    return out


@register(checks.Tags.security, deploy=True)
def check_rate_limits(app_configs=None, **kwargs) -> list[CheckMessage]:
    from .ratelimits import configured_limits

    out: list[CheckMessage] = []
    try:
        limits = configured_limits()
    except ValueError as exc:
        return [Error(str(exc), hint="CITYLINE_RATE_LIMITS=name=rate,name=rate (docs/security.md).",
                      id="cityline.E013")]
    if not getattr(settings, "RATELIMIT_ENABLE", True) or not limits.get("sign_in_ip"):
        out.append(Warning("Sign-in attempts are not rate limited.",
                           hint="Remove RATELIMIT_ENABLE=False and keep a sign_in_ip limit.", id="cityline.W014"))
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend.endswith("LocMemCache"):
        out.append(Info("Rate-limit counters live in a per-process cache: with several worker processes "
                        "each one counts on its own.",
                        hint="Configure a shared cache (CACHES, e.g. Redis) for multi-process deployments.",
                        id="cityline.I015"))
    return out


def run(deploy: bool = False) -> list[CheckMessage]:
    """Every system check (with ``deploy``: also the deployment checks), silenced ones left out."""
    return [m for m in checks.run_checks(include_deployment_checks=deploy) if not m.is_silenced()]


def failing(messages: list[CheckMessage]) -> list[CheckMessage]:
    return [m for m in messages if m.level >= checks.WARNING]
