"""The open data section of city packs: data files named by path inside the pack (B8).

A pack's data file is ingested on import like any upload; a bad file, a missing one or a path that
leaves the pack is a problem naming opendata.yaml, the distribution and the file, and the import
writes nothing.
"""

import re
from pathlib import Path

import pytest

from cityline.core import actions
from cityline.core.packs import PackError, export_pack, import_pack, validate_pack
from cityline.opendata import services
from cityline.opendata.models import Dataset, Distribution, DistributionVersion
from cityline.opendata.testing import make_catalogue_city, sample_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack(tmp_path):
    """The test catalogue with one uploaded file, exported as a pack (YAML plus the data file)."""
    city = make_catalogue_city()
    air = Distribution.objects.select_related("dataset", "city").get(city=city, key="air-quality-csv")
    actions.update(air, pack_file="data/air-quality.csv")
    services.upload_version(air, sample_files(tmp_path / "upload")["air-quality-csv"])
    directory = tmp_path / "pack"
    export_pack(city, directory)
    return directory, directory / "data" / "air-quality.csv"


def versions():
    return DistributionVersion.objects.filter(distribution__key="air-quality-csv").count()


def test_export_writes_the_data_file_and_an_unchanged_import_adds_no_version(pack):
    directory, data = pack
    assert data.read_text().startswith("station,time,district,no2,pm10")
    import_pack(directory, progress=False, trusted=True)
    assert versions() == 1


def test_a_changed_data_file_becomes_the_next_version(pack):
    directory, data = pack
    data.write_text(data.read_text() + "harbour,2026-01-11T08:00:00,port,30,12\n")
    import_pack(directory, progress=False, trusted=True)
    assert versions() == 2
    latest = Distribution.objects.get(key="air-quality-csv").latest_version()
    assert latest.row_count == 31 and latest.changes["rows_added"] == 1


def test_a_bad_data_file_is_a_problem_naming_it_and_nothing_is_written(pack):
    directory, data = pack
    (directory / "opendata.yaml").write_text((directory / "opendata.yaml").read_text()
                                             .replace("title: Air quality readings", "title: Air quality (new)"))
    data.write_text("<!DOCTYPE html><html><body>Sign in</body></html>")
    with pytest.raises(PackError) as exc:
        import_pack(directory, progress=False, trusted=True)
    text = str(exc.value)
    assert "opendata.yaml" in text and "distributions.air-quality-csv.pack_file" in text
    assert data.name in text and "HTML" in text
    assert versions() == 1
    assert Dataset.objects.get(key="air-quality").title == "Air quality readings"  # the YAML change rolled back


def test_a_missing_file_or_one_outside_the_pack_is_refused(pack):
    directory, data = pack
    yaml = directory / "opendata.yaml"
    for path in ("data/nowhere.csv", "../../etc/passwd"):
        yaml.write_text(re.sub(r"pack_file: \S+", f"pack_file: {path}", yaml.read_text(), count=1))
        with pytest.raises(PackError) as exc:
            import_pack(directory, progress=False, trusted=True)
        assert path in str(exc.value) and "pack_file" in str(exc.value)
        expected = "no such file inside the pack" if path == "data/nowhere.csv" else "inside the pack"
        assert expected in str(exc.value)
    assert versions() == 1


def test_validating_a_pack_checks_its_data_files_and_stores_none(pack, opendata_dir):
    directory, data = pack
    data.write_text("station,no2\nnorth,1\nsouth\n")  # a ragged row
    before = sorted(p.relative_to(opendata_dir) for p in Path(opendata_dir).rglob("*") if p.is_file())
    with pytest.raises(PackError) as exc:
        validate_pack(directory)
    assert "row 3" in str(exc.value)
    after = sorted(p.relative_to(opendata_dir) for p in Path(opendata_dir).rglob("*") if p.is_file())
    assert after == before and versions() == 1
