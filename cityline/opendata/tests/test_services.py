"""Uploads, versions and the privacy gate through the one write path (B8, B10)."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from cityline.core import actions
from cityline.core.models import Person
from cityline.opendata import services
from cityline.opendata.domain.tabular import IngestError
from cityline.opendata.models import Dataset, Distribution, DistributionVersion, PrivacyReview

pytestmark = pytest.mark.django_db


def dist(city, key):
    return Distribution.objects.select_related("dataset", "city").get(city=city, key=key)


def test_upload_creates_a_version_with_parquet_schema_and_a_passed_review(city, files):
    version = services.upload_version(dist(city, "air-quality-csv"), files["air-quality-csv"])
    assert version.number == 1 and version.row_count == 30
    assert services.stored_path(version.path).read_bytes().startswith(b"station,time")
    assert services.stored_path(version.parquet_path).exists()
    assert [f["name"] for f in version.table_schema["fields"]] == ["station", "time", "district", "no2", "pm10"]
    assert version.source_checksum == services.sha256_of(files["air-quality-csv"])
    review = PrivacyReview.objects.get(distribution_version=version)
    assert review.result == "passed"
    air = Dataset.objects.get(city=city, key="air-quality")
    assert air.gate == "passed" and air.public and air.modified is not None


def test_second_upload_is_a_new_version_with_what_changed(city, files, tmp_path):
    d = dist(city, "air-quality-csv")
    services.upload_version(d, files["air-quality-csv"])
    more = tmp_path / "more.csv"
    more.write_text(files["air-quality-csv"].read_text() + "harbour,2026-01-11T08:00:00,port,30,12\n")
    v2 = services.upload_version(d, more, note="one more station")
    assert v2.number == 2 and v2.row_count == 31
    assert v2.changes["rows_added"] == 1 and v2.changes["rows_removed"] == 0
    assert services.stored_path(d.versions.get(number=1).path).exists()  # the earlier version stays


def test_a_version_without_a_key_column_does_not_block_the_next_upload(city, tmp_path):
    d = dist(city, "air-quality-csv")
    assert d.key_column_list == ["station", "time"]
    v1 = tmp_path / "v1.csv"
    v1.write_text("station,no2\nnorth,21\nsouth,22\n")  # no "time": accepted, as before
    services.upload_version(d, v1)
    v2 = tmp_path / "v2.csv"
    v2.write_text("station,time,no2\nnorth,2026-01-01T08:00:00,21\nsouth,2026-01-01T08:00:00,22\n")
    version = services.upload_version(d, v2)  # the corrected file
    assert version.number == 2 and version.changes["key_columns"] is None
    assert version.changes["key_columns_missing"] == {"previous": ["time"], "new": []}
    assert "key column(s) missing from the previous version: time" in version.changes["summary"]


def test_refused_upload_changes_nothing(city, files, tmp_path):
    d = dist(city, "air-quality-csv")
    services.upload_version(d, files["air-quality-csv"])
    folder = services.distribution_dir(d)
    before = sorted(p.name for p in folder.iterdir())
    bad = tmp_path / "bad.csv"
    bad.write_text("<!DOCTYPE html><html><body>Not found</body></html>")
    with pytest.raises(IngestError) as exc:
        services.upload_version(d, bad, original_name="readings.csv")
    assert "readings.csv" in exc.value.message
    assert sorted(p.name for p in folder.iterdir()) == before
    assert DistributionVersion.objects.filter(distribution=d).count() == 1


def test_microdata_with_a_unique_combination_is_blocked_and_leaves_the_public_catalogue(city, files):
    services.upload_version(dist(city, "parking-permits-csv"), files["parking-permits-csv"])
    permits = Dataset.objects.get(city=city, key="parking-permits")
    assert permits.gate == "blocked" and not permits.public
    review = PrivacyReview.objects.get(dataset=permits)
    assert review.k == 1
    offending = review.report["k_anonymity"]["offending"]
    assert any(c["values"] == ["18-34", "harbour"] or c.get("combination") == ["18-34", "harbour"]
               or "harbour" in str(c) for c in offending)


def test_override_needs_a_steward_and_a_justification_and_is_recorded(city, files):
    services.upload_version(dist(city, "parking-permits-csv"), files["parking-permits-csv"])
    permits = Dataset.objects.get(city=city, key="parking-permits")
    dana = Person.objects.get(city=city, key="dana")
    with pytest.raises(ValidationError):
        services.override_gate(permits, steward=dana, justification="ok")
    assert Dataset.objects.get(pk=permits.pk).gate == "blocked"
    services.override_gate(permits, steward=dana,
                           justification="The harbour permit is a council van, not a resident.")
    permits = Dataset.objects.get(pk=permits.pk)
    assert permits.gate == "overridden" and permits.public
    override = PrivacyReview.objects.get(dataset=permits, result="overridden")
    assert override.steward == dana and override.history.count() == 1


def test_changing_quasi_identifiers_reviews_again(city, files):
    services.upload_version(dist(city, "parking-permits-csv"), files["parking-permits-csv"])
    permits = Dataset.objects.get(city=city, key="parking-permits")
    actions.update(permits, quasi_identifiers="age_band")  # every age band has at least 6 rows
    permits = Dataset.objects.get(pk=permits.pk)
    assert permits.gate == "passed" and permits.public
    assert PrivacyReview.objects.filter(dataset=permits).count() == 2


def test_a_quasi_identifier_the_file_lacks_blocks(city, files):
    permits = Dataset.objects.get(city=city, key="parking-permits")
    actions.update(permits, quasi_identifiers="age_band, postcode")
    services.upload_version(dist(city, "parking-permits-csv"), files["parking-permits-csv"])
    review = PrivacyReview.objects.get(dataset=permits)
    assert review.result == "blocked" and "postcode" in review.report["reasons"][0]["message"]


def test_only_held_distributions_take_uploads(city, files):
    with pytest.raises(ValueError, match="only a file held by the platform"):
        services.upload_version(dist(city, "bus-stops-geojson"), files["air-quality-csv"])


def test_stored_paths_cannot_leave_the_data_folder():
    with pytest.raises(ValueError):
        services.stored_path("../../etc/passwd")


def test_pack_dry_run_checks_like_an_upload_and_stores_nothing(city, files, settings):
    """A dry run refuses what an import would refuse (here a distribution that holds no file) and keeps
    nothing: no version, no file under the data folder."""
    directory = files["air-quality-csv"].parent
    actions.update(dist(city, "air-quality-csv"), pack_file=files["air-quality-csv"].name)
    actions.update(dist(city, "bus-stops-geojson"), pack_file=files["air-quality-csv"].name)
    problems = services.ingest_pack_files(city, directory, dry_run=True)
    assert [(p.distribution, "only a file held by the platform" in p.message) for p in problems] == [
        ("bus-stops-geojson", True)]
    assert not DistributionVersion.objects.filter(distribution__city=city).exists()
    data_dir = Path(settings.CITYLINE_OPENDATA_DIR)
    assert not data_dir.exists() or not any(data_dir.rglob("*"))
