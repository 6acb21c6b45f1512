"""`cityline pack validate|import|export`: exit codes and messages."""

from __future__ import annotations

import pytest

from cityline.cli import main
from cityline.core.models import City, Person
from cityline.core.packs import import_pack

from .packs_helpers import SMALL, copy_pack, edit, read_files, snapshot

pytestmark = pytest.mark.django_db


def test_validate_ok(capsys):
    assert main(["pack", "validate", str(SMALL)]) == 0
    out = capsys.readouterr().out
    assert "valid city pack for Brookfield (brookfield), 55 records" in out
    assert not City.objects.exists()


def test_validate_invalid_prints_each_problem_and_exits_1(tmp_path, capsys):
    pack = copy_pack(SMALL, tmp_path / "p")
    line = edit(pack, "strategy.yaml", "    lead: ana\n", "    lead: anna\n")
    edit(pack, "strategy.yaml", "    participants: 40\n", "    participants: forty\n")
    assert main(["pack", "validate", str(pack)]) == 1
    err = capsys.readouterr().err
    assert f"strategy.yaml:{line}: workstreams[0].lead: unknown person 'anna'" in err
    assert "engagement_activities[0].participants: expected a whole number" in err
    assert "2 problems found; the pack is not valid." in err


def test_import_prints_the_report_and_dry_run_writes_nothing(capsys):
    assert main(["pack", "import", str(SMALL), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "55 records would change" in out and "Dry run: nothing was written." in out
    assert not City.objects.exists()
    assert main(["pack", "import", str(SMALL)]) == 0
    out = capsys.readouterr().out
    assert "55 records changed" in out
    assert any(line.split() == ["people", "3", "0", "0", "0"] for line in out.splitlines())
    assert Person.objects.count() == 3
    assert main(["pack", "import", str(SMALL)]) == 0
    assert "0 records changed" in capsys.readouterr().out


def test_import_of_an_invalid_pack_exits_1_and_writes_nothing(tmp_path, capsys):
    import_pack(SMALL, progress=False, trusted=True)
    before = snapshot()
    pack = copy_pack(SMALL, tmp_path / "p")
    edit(pack, "strategy.yaml", "    end_date: 2029-11-30\n", "    end_date: 2023-11-30\n")
    assert main(["pack", "import", str(pack)]) == 1
    err = capsys.readouterr().err
    assert "contracts[0].end_date: cannot be before start date" in err
    assert "nothing was imported" in err
    assert snapshot() == before


def test_export(tmp_path, capsys):
    assert main(["pack", "export", str(tmp_path / "none")]) == 1
    assert "this instance hosts 0 cities" in capsys.readouterr().err
    import_pack(SMALL, progress=False, trusted=True)
    assert main(["pack", "export", str(tmp_path / "a")]) == 0  # one city: no --city needed
    assert "Exported city brookfield" in capsys.readouterr().out
    other = copy_pack(SMALL, tmp_path / "lakeside")
    edit(other, "pack.yaml", "  key: brookfield\n", "  key: lakeside\n")
    import_pack(other, progress=False, trusted=True)
    assert main(["pack", "export", str(tmp_path / "b")]) == 1
    assert "say which with --city" in capsys.readouterr().err
    assert main(["pack", "export", str(tmp_path / "c"), "--city", "atlantis"]) == 1
    assert "no city with key 'atlantis'" in capsys.readouterr().err
    assert main(["pack", "export", str(tmp_path / "d"), "--city", "brookfield"]) == 0
    assert read_files(tmp_path / "a") == read_files(tmp_path / "d")
