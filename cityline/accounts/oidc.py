"""Federated sign-in with OpenID Connect (B10: identity and privacy management).

The authorisation-code flow with PKCE (S256) against any number of a city's
:class:`~cityline.accounts.models.IdentityProvider` records:

1. :func:`begin` reads the provider's discovery document (cached briefly), draws a
   ``state``, a ``nonce`` and a PKCE ``code_verifier``, keeps them in the session and
   returns the provider's authorisation URL.
2. :func:`complete` checks the callback (an ``error`` from the provider, the ``state``),
   exchanges the code (with the verifier; with the client secret if the provider has
   one), validates the ID token against the provider's JWKS (signature, ``iss``, ``aud``,
   ``exp``, ``nonce``), reads the userinfo claims, and links or creates the account
   through :class:`~cityline.accounts.models.FederatedIdentity`.

Every failure raises :class:`SignInError` with a message meant for the person signing in;
nobody is signed in by a failed flow. The session then carries the provider's trust level
(``SESSION_TRUST_KEY``), which decides which of the user's roles count (see :mod:`.roles`).

The redirect URI registered at the provider is always the unprefixed one
(``/account/sign-in/<city>/<provider>/callback/``), whatever language the visitor browses in.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .models import FederatedIdentity, IdentityProvider

#: Session key holding the flows in progress, by state.
SESSION_FLOWS_KEY = "cityline_oidc_flows"
#: At most this many flows in progress per session (older ones are dropped).
MAX_FLOWS = 5
#: A flow must come back within this many seconds.
FLOW_TTL = 600
#: Discovery documents and key sets are cached this long (seconds).
DISCOVERY_TTL = 300
HTTP_TIMEOUT = 10


class SignInError(Exception):
    """The sign-in failed; the message is shown to the person signing in."""


@dataclass(frozen=True)
class SignedIn:
    user: object
    identity: FederatedIdentity
    created: bool
    next_url: str


# --- the provider's metadata ---------------------------------------------------------------


def _get_json(url: str, what: str, provider: IdentityProvider) -> dict:
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise SignInError(_("%(provider)s cannot be reached right now (its %(what)s could not be read). "
                            "Please try again later or use another way to sign in.")
                          % {"provider": provider.name, "what": what}) from exc
    if not isinstance(data, dict):
        raise SignInError(_("%(provider)s sent an unreadable %(what)s.") % {"provider": provider.name, "what": what})
    return data


def discovery(provider: IdentityProvider) -> dict:
    """The provider's OpenID Connect discovery document (cached for ``DISCOVERY_TTL`` seconds)."""
    issuer = provider.issuer.rstrip("/")
    key = "cityline-oidc-discovery:" + issuer
    data = cache.get(key)
    if data is None:
        data = _get_json(issuer + "/.well-known/openid-configuration", _("discovery document"), provider)
        missing = [f for f in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri") if not data.get(f)]
        if missing or data["issuer"].rstrip("/") != issuer:
            raise SignInError(_("%(provider)s is not configured correctly (its discovery document does not "
                                "match its issuer). Please tell the site administrators.")
                              % {"provider": provider.name})
        cache.set(key, data, DISCOVERY_TTL)
    return data


def key_set(provider: IdentityProvider, meta: dict, *, refresh: bool = False) -> KeySet:
    key = "cityline-oidc-jwks:" + meta["jwks_uri"]
    data = None if refresh else cache.get(key)
    if data is None:
        data = _get_json(meta["jwks_uri"], _("signing keys"), provider)
        cache.set(key, data, DISCOVERY_TTL)
    try:
        return KeySet.import_key_set(data)
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise SignInError(_("%(provider)s published signing keys Cityline cannot read.")
                          % {"provider": provider.name}) from exc


# --- the flow --------------------------------------------------------------------------------


def redirect_path(provider: IdentityProvider) -> str:
    """The path of the callback: never language-prefixed, so one redirect URI serves every language."""
    with translation.override(settings.LANGUAGE_CODE):
        return reverse("accounts:oidc-callback", kwargs={"city": provider.city.key, "provider": provider.key})


def redirect_uri(request, provider: IdentityProvider) -> str:
    """The callback URL registered at the provider (absolute)."""
    return request.build_absolute_uri(redirect_path(provider))


def safe_next(request, candidate: str | None) -> str:
    """``candidate`` if it stays on this site, else the home page."""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return "/"


def _session(provider: IdentityProvider, meta: dict, redirect: str, **kwargs) -> OAuth2Session:
    secret = client_secret(provider)
    return OAuth2Session(
        client_id=provider.client_id,
        client_secret=secret or None,
        scope=provider.scopes,
        redirect_uri=redirect,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        **kwargs,
    )


def client_secret(provider: IdentityProvider) -> str:
    """The provider's client secret; "" for a public client (PKCE alone)."""
    from .models import ProviderSecret

    try:
        return provider.secret.client_secret or ""
    except ProviderSecret.DoesNotExist:
        return ""


def set_client_secret(provider: IdentityProvider, secret: str | None) -> None:
    """Store (or, with an empty value, remove) a provider's client secret: kept apart, without history."""
    from .models import ProviderSecret

    if secret:
        ProviderSecret.objects.update_or_create(provider=provider, defaults={"client_secret": secret})
    else:
        ProviderSecret.objects.filter(provider=provider).delete()


def begin(request, provider: IdentityProvider, next_url: str | None = None) -> str:
    """Start a sign-in: remember state, nonce and verifier in the session; the URL to send the visitor to."""
    if not provider.enabled:
        raise SignInError(_("Signing in with %(provider)s is switched off.") % {"provider": provider.name})
    meta = discovery(provider)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = generate_token(64)
    redirect = redirect_uri(request, provider)
    client = _session(provider, meta, redirect)
    url, _state = client.create_authorization_url(
        meta["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier)
    flows = {s: f for s, f in request.session.get(SESSION_FLOWS_KEY, {}).items()
             if f.get("started", 0) > time.time() - FLOW_TTL}
    flows[state] = {"provider": provider.pk, "nonce": nonce, "verifier": verifier, "redirect_uri": redirect,
                    "next": safe_next(request, next_url), "started": time.time()}
    if len(flows) > MAX_FLOWS:
        flows = dict(sorted(flows.items(), key=lambda kv: kv[1]["started"])[-MAX_FLOWS:])
    request.session[SESSION_FLOWS_KEY] = flows
    return url


def _pop_flow(request, provider: IdentityProvider, state: str | None) -> dict:
    flows = dict(request.session.get(SESSION_FLOWS_KEY, {}))
    flow = flows.pop(state, None) if state else None
    request.session[SESSION_FLOWS_KEY] = flows
    if flow is None or flow.get("provider") != provider.pk:
        raise SignInError(_("This sign-in link is not the one Cityline started (the state does not match), or it "
                            "was already used. Nobody was signed in: please start again."))
    if flow.get("started", 0) < time.time() - FLOW_TTL:
        raise SignInError(_("The sign-in took too long. Nobody was signed in: please start again."))
    return flow


def validate_id_token(provider: IdentityProvider, meta: dict, id_token: str, nonce: str) -> dict:
    """The claims of a valid ID token (signature, iss, aud, exp, nonce), else SignInError."""
    algorithms = [a for a in meta.get("id_token_signing_alg_values_supported", ["RS256"]) if a != "none"]
    bad = _("%(provider)s sent an identity token Cityline cannot trust. Nobody was signed in.") % {
        "provider": provider.name}
    token = None
    for refresh in (False, True):  # the provider may have rotated its keys since we cached them
        try:
            token = jwt.decode(id_token, key_set(provider, meta, refresh=refresh), algorithms=algorithms)
            break
        except (JoseError, ValueError) as exc:
            if refresh:
                raise SignInError(bad) from exc
    registry = jwt.JWTClaimsRegistry(
        leeway=60,
        iss={"essential": True, "value": meta["issuer"]},
        aud={"essential": True, "value": provider.client_id},
        exp={"essential": True},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(token.claims)
    except JoseError as exc:
        raise SignInError(bad) from exc
    aud = token.claims.get("aud")
    if isinstance(aud, list) and len(aud) > 1 and token.claims.get("azp") != provider.client_id:
        raise SignInError(bad)
    return dict(token.claims)


def complete(request, provider: IdentityProvider) -> SignedIn:
    """Finish a sign-in from the provider's redirect; sign the user in and return who it was."""
    from django.contrib.auth import login

    from .principals import SESSION_TRUST_KEY

    params = request.GET
    state = params.get("state")
    if params.get("error"):
        # Drop the flow so its state cannot be replayed.
        request.session[SESSION_FLOWS_KEY] = {
            s: f for s, f in request.session.get(SESSION_FLOWS_KEY, {}).items() if s != state}
        detail = params.get("error_description") or params.get("error")
        raise SignInError(_("%(provider)s did not sign you in: %(detail)s") % {
            "provider": provider.name, "detail": detail[:300]})
    flow = _pop_flow(request, provider, state)
    if not provider.enabled:
        raise SignInError(_("Signing in with %(provider)s is switched off.") % {"provider": provider.name})
    code = params.get("code")
    if not code:
        raise SignInError(_("%(provider)s sent no authorisation code. Nobody was signed in.")
                          % {"provider": provider.name})
    meta = discovery(provider)
    client = _session(provider, meta, flow["redirect_uri"], state=state)
    try:
        token = client.fetch_token(meta["token_endpoint"], grant_type="authorization_code", code=code,
                                   code_verifier=flow["verifier"], timeout=HTTP_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - network errors and OAuth errors alike end here
        raise SignInError(_("%(provider)s refused to complete the sign-in (%(detail)s). Nobody was signed in.")
                          % {"provider": provider.name, "detail": str(exc)[:200]}) from exc
    id_token = token.get("id_token")
    if not id_token:
        raise SignInError(_("%(provider)s sent no identity token. Nobody was signed in.")
                          % {"provider": provider.name})
    claims = validate_id_token(provider, meta, id_token, flow["nonce"])
    claims.update(_userinfo(provider, meta, client, claims["sub"]))
    user, identity, created = link_or_create(provider, claims)
    if not user.is_active:
        raise SignInError(_("This account is disabled. Nobody was signed in."))
    login(request, user, backend="cityline.accounts.backends.RoleBackend")
    request.session[SESSION_TRUST_KEY] = int(provider.trust_level)
    return SignedIn(user=user, identity=identity, created=created, next_url=flow["next"])


def _userinfo(provider: IdentityProvider, meta: dict, client: OAuth2Session, subject: str) -> dict:
    """Claims from the userinfo endpoint (e-mail, name), when the provider has one; {} on any failure."""
    endpoint = meta.get("userinfo_endpoint")
    if not endpoint:
        return {}
    try:
        response = client.get(endpoint, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        data = response.json()
    except Exception:  # noqa: BLE001 - the ID token is enough to sign in; userinfo only adds details
        return {}
    if not isinstance(data, dict) or data.get("sub") != subject:
        return {}
    return {k: data[k] for k in ("email", "email_verified", "name", "given_name", "family_name",
                                 "preferred_username") if k in data}


# --- accounts ----------------------------------------------------------------------------------


_UNSAFE = re.compile(r"[^\w.@+-]+")


def username_for(provider: IdentityProvider, claims: dict) -> str:
    """A free, valid Django user name derived from the claims (never trusted as an identity)."""
    User = get_user_model()
    base = claims.get("preferred_username") or (claims.get("email") or "").split("@")[0] or "user"
    base = _UNSAFE.sub("-", str(base)).strip("-.")[:100] or "user"
    base = f"{provider.key}-{base}"[:140]
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def link_or_create(provider: IdentityProvider, claims: dict):
    """The account of ``(provider, sub)``: linked before, or created when the provider may create accounts."""
    subject = str(claims["sub"])
    identity = FederatedIdentity.objects.select_related("user").filter(provider=provider, subject=subject).first()
    created = False
    if identity is None:
        if not provider.create_accounts:
            raise SignInError(_("%(provider)s vouched for you, but you have no Cityline account linked to it and "
                                "this provider does not create accounts. Nobody was signed in: ask the site "
                                "administrators to link your account, giving them your user name or e-mail "
                                "address and your identifier at %(provider)s: %(subject)s")
                              % {"provider": provider.name, "subject": subject[:255]})
        User = get_user_model()
        try:
            with transaction.atomic():
                user = User(username=username_for(provider, claims))
                email = claims.get("email") or ""
                if email and claims.get("email_verified", True) is not False:
                    user.email = str(email)[:254]
                user.first_name = str(claims.get("given_name") or claims.get("name") or "")[:150]
                user.last_name = str(claims.get("family_name") or "")[:150]
                user.set_unusable_password()
                user.save()
                identity = FederatedIdentity.objects.create(user=user, provider=provider, subject=subject)
                created = True
        except IntegrityError:  # the same person signing in twice at once: the other request linked them
            identity = FederatedIdentity.objects.select_related("user").get(provider=provider, subject=subject)
    identity.last_login = timezone.now()
    identity.save(update_fields=["last_login"])
    return identity.user, identity, created
