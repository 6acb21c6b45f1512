"""The demo city: load it once, create an editor account, say how to sign in.

`cityline demo` (and `make demo`) call :func:`prepare_demo`; running it again reuses
what is there: the city is only imported when it is missing, the account only
created once. The account's password is random, generated on this machine and
kept in the data directory (never in the repository).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model

from .models import City

DEMO_USERNAME = "editor"


def demo_pack_dir() -> Path:
    return Path(settings.CITYLINE_DEMO_PACK)


def demo_city_key() -> str:
    with open(demo_pack_dir() / "pack.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)["city"]["key"]


def _credentials_file() -> Path:
    return Path(settings.DATA_DIR) / "demo-credentials.txt"


def ensure_editor_account() -> dict:
    """Create the demo editor (a superuser) once; return its name and, when known, password."""
    User = get_user_model()
    creds = _credentials_file()
    user = User.objects.filter(username=DEMO_USERNAME).first()
    if user is None:
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(DEMO_USERNAME, email="", password=password)
        creds.parent.mkdir(parents=True, exist_ok=True)
        creds.write_text(f"{DEMO_USERNAME}\n{password}\n", encoding="utf-8")
        os.chmod(creds, 0o600)
        return {"username": DEMO_USERNAME, "password": password, "new": True}
    if creds.exists():
        lines = creds.read_text(encoding="utf-8").split()
        if len(lines) >= 2 and user.check_password(lines[1]):
            return {"username": DEMO_USERNAME, "password": lines[1], "new": False}
    return {"username": DEMO_USERNAME, "password": None, "new": False}


#: Demo accounts with a role each, to see the authorisation layer at work (docs/identity/roles.md):
#: (user name, role, scope kind, scope key in the demo city).
DEMO_ROLE_ACCOUNTS = [
    ("steward", "data_steward", "organisation", "urban-observatory"),
    ("owner", "benefit_owner", "outcome", "eo-clean-air"),
    ("citizen", None, None, None),
]


def ensure_role_accounts(city: City) -> list[dict]:
    """Create the demo's role accounts once (random passwords, kept beside the editor's); return them."""
    from cityline.accounts.models import RoleAssignment
    from cityline.accounts.testing import grant
    from cityline.benefits.models import BenefitNode

    from .models import Organisation

    User = get_user_model()
    creds = Path(settings.DATA_DIR) / "demo-accounts.txt"
    known = {}
    if creds.exists():
        words = creds.read_text(encoding="utf-8").split()
        known = dict(zip(words[0::2], words[1::2], strict=False))
    accounts = []
    for username, role, scope, key in DEMO_ROLE_ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            known[username] = secrets.token_urlsafe(12)
            user = User.objects.create_user(username, password=known[username])
        if role and not RoleAssignment.objects.filter(user=user, role=role).exists():
            target = (Organisation.objects.filter(city=city, key=key).first() if scope == "organisation"
                      else BenefitNode.objects.filter(city=city, key=key).first())
            if target is not None:
                grant(user, role, **{scope: target})
        password = known.get(username)
        accounts.append({"username": username, "role": role or "citizen", "scope": key,
                         "password": password if password and user.check_password(password) else None})
    creds.parent.mkdir(parents=True, exist_ok=True)
    creds.write_text("".join(f"{u} {p}\n" for u, p in known.items()), encoding="utf-8")
    os.chmod(creds, 0o600)
    return accounts


def prepare_demo() -> dict:
    """Import the demo city pack if its city is missing, and make sure an editor account exists."""
    from .packs import import_pack

    key = demo_city_key()
    imported = None
    if not City.objects.filter(key=key).exists():
        # the platform's own set-up: trusted; its open data section also publishes the KPIs' data (C2.g)
        imported = import_pack(demo_pack_dir(), trusted=True)
    city = City.objects.get(key=key)
    prepare_peer(city)
    account = ensure_editor_account()
    prepare_participation(city)
    prepare_observations(city)
    return {"city": city, "imported": imported, "account": account, "roles": ensure_role_accounts(city)}


def prepare_participation(city: City) -> None:
    """Synthetic residents, their contributions and the changes that closed the loop (once; issue 8)."""
    from cityline.participation.demo import seed_participation

    seed_participation(city, staff=get_user_model().objects.filter(username=DEMO_USERNAME).first())


def prepare_observations(city: City) -> dict:
    """The demo's sensor readings (real NOAA weather, synthetic air, traffic, water, energy; once), then the
    KPIs computed from them (issue 6)."""
    from cityline.observations.demo import seed_observations

    report = seed_observations(city)
    try:
        from cityline.observations import compute
    except ImportError:  # the KPI computation part is not there yet
        return report
    compute.compute_city(city)
    return report


def peer_pack_dir() -> Path:
    """The second demo city, Kestermouth's comparison partner (issue 9): next to the demo pack."""
    return demo_pack_dir().parent / "peer-city-pack"


def prepare_peer(city: City) -> None:
    """Load the peer demo city once and register it as a peer of ``city`` from its pack (B3.c), with
    its published ISO 37106 assessment (run here, since the peer lives in this instance)."""
    from cityline.benchmarking.imports import import_city_pack, import_local_assessment
    from cityline.benchmarking.models import PeerAssessment, PeerCity

    from .packs import import_pack

    directory = peer_pack_dir()
    if not (directory / "pack.yaml").exists():
        return
    with open(directory / "pack.yaml", encoding="utf-8") as fh:
        peer_key = yaml.safe_load(fh)["city"]["key"]
    if not City.objects.filter(key=peer_key).exists():
        import_pack(directory, trusted=True)
    if not PeerCity.objects.filter(city=city, key=peer_key).exists():
        import_city_pack(city, directory)
    if not PeerAssessment.objects.filter(city=city, peer__key=peer_key).exists():
        import_local_assessment(city, peer_key)


def describe(info: dict, host: str, port: int) -> str:
    city = info["city"]
    account = info["account"]
    base = f"http://{host}:{port}"
    lines = [
        "",
        f"Demo city: {city.name}" + (" (loaded from the demo city pack)" if info["imported"] else " (already loaded)"),
        f"  Public site:  {base}/",
        f"  In French:    {base}/fr/",
        f"  Editor:       {base}/admin/",
        f"  API:          {base}/api/v1/docs  (OpenAPI: {base}/api/v1/openapi.json)",
    ]
    if account["password"]:
        lines.append(f"  Sign in to the editor as '{account['username']}' with password '{account['password']}'")
        lines.append(f"  (kept in {_credentials_file()}; change it with `cityline manage changepassword editor`)")
    else:
        lines.append(
            f"  Sign in to the editor as '{account['username']}' with the password you set "
            "(reset it with `.venv/bin/cityline manage changepassword editor`)."
        )
    roles = [a for a in info.get("roles", []) if a["password"]]
    if roles:
        lines.append(f"  Accounts with one role each (sign in at {base}/account/sign-in/):")
        for a in roles:
            scope = f" of {a['scope']}" if a["scope"] else ""
            lines.append(f"    {a['username']:<8} {a['role'].replace('_', ' ')}{scope}: password '{a['password']}'")
    lines.append("")
    return "\n".join(lines)
