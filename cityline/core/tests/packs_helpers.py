"""Helpers for the city pack tests: copy a pack, edit it, snapshot the database."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from django.apps import apps

from cityline.core.models import City
from cityline.core.packs import render_pack

ROOT = Path(__file__).resolve().parents[3]
SMALL = ROOT / "tests" / "fixtures" / "packs" / "small"
DEMO = ROOT / "cityline" / "demo" / "city-pack"


def copy_pack(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def edit(pack: Path, file: str, old: str, new: str) -> int:
    """Replace ``old`` (exactly once) with ``new`` in a pack file; return the line where ``new`` starts."""
    path = pack / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {file}"
    index = text.index(old)
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[:index].count("\n") + 1


def snapshot() -> tuple[dict[str, int], str]:
    """Row counts of every operating-model and history table, and a checksum of every city's export."""
    counts = {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label in ("core", "strategy")
    }
    exports = {c.key: render_pack(c) for c in City.objects.order_by("key")}
    digest = hashlib.sha256(json.dumps(exports, sort_keys=True).encode()).hexdigest()
    return counts, digest


def history_count() -> int:
    return sum(
        m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label in ("core", "strategy") and m.__name__.startswith("Historical")
    )


def read_files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}
