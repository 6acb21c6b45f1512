"""The tests' demo city snapshot (cityline.core.demo_snapshot): a restore gives what a real import gives."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from cityline.core import actions, audit, demo_snapshot
from cityline.core.models import City, Organisation
from cityline.core.testing import make_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh(monkeypatch):
    """No snapshot yet in this process (the next import_demo_pack imports for real)."""
    monkeypatch.setattr(demo_snapshot, "_SNAPSHOTS", {})
    monkeypatch.setattr(demo_snapshot, "STATS", {"imports": 0, "restores": 0})
    return demo_snapshot.STATS


@contextmanager
def rolled_back():
    """An atomic block rolled back at its end (its on_commit callbacks dropped, as in a test)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def dump() -> dict[str, list]:
    """Every table's rows, sorted."""
    return {t: demo_snapshot._sorted_rows(connection, t) for t in demo_snapshot._tables(connection)}


def files_of(key: str) -> dict[str, str]:
    root = Path(settings.CITYLINE_OPENDATA_DIR) / key
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_restore_gives_the_same_tables_and_files_as_the_real_import(fresh):
    empty = dump()
    with rolled_back():
        city = demo_snapshot.import_demo_pack()
        assert fresh == {"imports": 1, "restores": 0}
        real, real_files = dump(), files_of(city.key)
    assert len(real_files) >= 60  # 34 files, each with its Parquet copy
    assert sum(len(rows) for rows in real.values()) > sum(len(rows) for rows in empty.values()) + 4000
    assert dump() == empty

    restored_city = demo_snapshot.import_demo_pack()
    assert fresh == {"imports": 1, "restores": 1}
    assert restored_city.pk == city.pk
    restored = dump()
    assert [t for t in real if real[t] != restored[t]] == []
    assert files_of(city.key) == real_files

    # The audit chain verifies, and goes on from the restored head.
    report = audit.verify(restored_city)
    assert report.ok and report.rows > 4000, [str(p) for p in report.problems[:5]]
    org = Organisation.objects.filter(city=restored_city).first()
    actions.update(org, description="Edited after the restore")
    assert audit.verify(restored_city).ok


def test_a_changed_pack_or_a_database_not_in_the_before_state_gets_a_real_import(fresh, monkeypatch):
    """The two reasons not to restore, one after the other. The mechanism is the demo's
    (:func:`demo_snapshot.restore_or_load`) on the small test pack, which imports in a second where the
    demo pack takes up to a minute on a loaded machine."""
    from cityline.core.packs import import_pack

    from .packs_helpers import SMALL

    def load(directory):
        fresh["loads"] = fresh.get("loads", 0) + 1
        return import_pack(directory, progress=False, trusted=True).city_key

    with rolled_back():
        demo_snapshot.restore_or_load(SMALL, load)
    with rolled_back():
        demo_snapshot.restore_or_load(SMALL, load)
    assert (fresh["loads"], fresh["restores"]) == (1, 1)  # the same pack on the same database: restored
    real = demo_snapshot._fingerprint
    monkeypatch.setattr(demo_snapshot, "_fingerprint", lambda directory: "another version of the pack")
    with rolled_back():
        demo_snapshot.restore_or_load(SMALL, load)
    assert (fresh["loads"], fresh["restores"]) == (2, 1)  # the pack changed: imported again
    monkeypatch.setattr(demo_snapshot, "_fingerprint", real)
    make_city("elsewhere", "Elsewhere")  # one more city than before the first import: no restore
    key = demo_snapshot.restore_or_load(SMALL, load)
    assert (fresh["loads"], fresh["restores"]) == (3, 1)
    assert City.objects.count() == 2 and Organisation.objects.filter(city__key=key).exists()
    assert audit.verify().ok


def test_the_import_work_left_to_the_commit_runs_after_a_restore(fresh, django_capture_on_commit_callbacks):
    """The open data section publishes the KPIs' measurements once the import commits (C2.g): after a
    restore too."""
    from cityline.opendata.models import Dataset

    with rolled_back():
        with django_capture_on_commit_callbacks(execute=True):
            city = demo_snapshot.import_demo_pack()
        real = sorted(Dataset.objects.filter(city=city, source_kpi__isnull=False).values_list("key", flat=True))
    assert real
    with django_capture_on_commit_callbacks(execute=True):
        city = demo_snapshot.import_demo_pack()
    assert fresh["restores"] == 1
    assert sorted(Dataset.objects.filter(city=city, source_kpi__isnull=False).values_list("key", flat=True)) == real
