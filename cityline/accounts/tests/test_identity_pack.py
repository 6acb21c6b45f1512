"""The identity section of city packs (identity.yaml, B10): providers travel, secrets never do."""

from __future__ import annotations

import shutil

import pytest

from cityline.accounts.models import IdentityProvider, ProviderSecret
from cityline.accounts.roles import Trust
from cityline.core.packs import PackError, export_pack, import_pack, validate_pack
from cityline.core.tests.packs_helpers import DEMO

pytestmark = pytest.mark.django_db


def test_the_demo_providers_import_and_export_unchanged_without_secrets(demo_city, tmp_path):
    provider = IdentityProvider.objects.get(city=demo_city, key="kestermouth-id")
    assert provider.name == "Kestermouth ID" and not provider.enabled
    assert provider.trust_level == Trust.SUBSTANTIAL and provider.create_accounts
    ProviderSecret.objects.create(provider=provider, client_secret="never-exported")

    out = tmp_path / "out"
    export_pack(demo_city.key, out)
    exported = (out / "identity.yaml").read_text()
    assert exported == (DEMO / "identity.yaml").read_text()
    assert "never-exported" not in exported and "secret" not in exported
    # importing it back changes nothing and keeps the secret set in the editor
    assert import_pack(out, progress=False, trusted=True).changes == 0
    assert ProviderSecret.objects.get(provider=provider).client_secret == "never-exported"


def test_a_bad_trust_level_is_named(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(DEMO, pack)
    text = (pack / "identity.yaml").read_text().replace("trust_level: 2", "trust_level: 7")
    (pack / "identity.yaml").write_text(text)
    with pytest.raises(PackError) as error:
        validate_pack(pack)
    assert "identity.yaml" in str(error.value) and "trust_level" in str(error.value)
