"""The French translation is complete and compiled: no empty, fuzzy or stale entries."""

import re
import subprocess
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "fr" / "LC_MESSAGES"


def entries(text: str):
    for block in text.split("\n\n")[1:]:  # the first block is the header
        ids = re.search(r'^msgid ((?:".*"\n)+)', block + "\n", re.M)
        strs = re.search(r'^msgstr ((?:".*"\n?)+)', block, re.M)
        if ids and strs:
            join = lambda m: "".join(re.findall(r'"(.*)"', m.group(1)))  # noqa: E731
            yield block, join(ids), join(strs)


def test_every_french_entry_is_translated_and_not_fuzzy():
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    untranslated = [msgid for _b, msgid, msgstr in entries(text) if msgid and not msgstr]
    fuzzy = [msgid for block, msgid, _s in entries(text) if "#, fuzzy" in block]
    assert not untranslated, f"untranslated French strings: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy French strings (check and unmark them): {fuzzy[:10]}"


def test_compiled_catalogue_matches_the_po_file(tmp_path):
    """django.mo is what msgfmt makes of django.po (so nobody forgets compilemessages)."""
    if subprocess.run(["which", "msgfmt"], capture_output=True).returncode:
        pytest.fail("msgfmt (gettext) is needed: apt-get install gettext")
    out = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(out), str(LOCALE / "django.po")], check=True)
    assert out.read_bytes() == (LOCALE / "django.mo").read_bytes(), (
        "django.mo is stale: run compilemessages (see docs/portal.md)"
    )
