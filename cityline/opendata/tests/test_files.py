"""Downloads of held files (B8): every version citable, data packages that Frictionless accepts,
CSV on the Web metadata with the row and link URI templates, and visibility."""

import json

import frictionless
import pytest
from django.contrib.auth.models import User

from cityline.core import actions
from cityline.opendata import services
from cityline.opendata.models import Dataset, Distribution, TakeUpCount
from cityline.opendata.testing import make_catalogue_city, sample_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(tmp_path):
    city = make_catalogue_city()
    files = sample_files(tmp_path / "upload")
    air = Distribution.objects.select_related("dataset", "city").get(city=city, key="air-quality-csv")
    actions.update(air, about_url="https://data.example.org/station/{station}",
                   column_links={"district": "https://districts.example.org/{district}"})
    services.upload_version(air, files["air-quality-csv"])
    changed = tmp_path / "v2.csv"
    changed.write_text(files["air-quality-csv"].read_text().replace("north-gate", "north-gate-2", 1))
    services.upload_version(air, changed)
    permits = Distribution.objects.select_related("dataset", "city").get(city=city, key="parking-permits-csv")
    services.upload_version(permits, files["parking-permits-csv"])  # blocked by the gate
    return city


BASE = "/testville/files/air-quality/air-quality-csv/"


def test_latest_and_every_version_are_downloadable(client, city):
    latest = client.get(BASE)
    assert latest.status_code == 200
    assert 'filename="air-quality-air-quality-csv-v2.csv"' in latest["Content-Disposition"]
    assert b"north-gate-2" in b"".join(latest.streaming_content)
    first = client.get(BASE + "v1/")
    assert first.status_code == 200 and b"north-gate-2" not in b"".join(first.streaming_content)
    assert client.get(BASE + "v1/data.parquet").status_code == 200
    assert client.get(BASE + "v9/").status_code == 404


def test_the_site_root_serves_the_only_city(client, city):
    assert client.get("/files/air-quality/air-quality-csv/v1/").status_code == 200


def test_blocked_and_unpublished_datasets_are_not_served(client, city):
    assert client.get("/testville/files/parking-permits/parking-permits-csv/").status_code == 404
    from cityline.accounts.testing import grant

    staff = User.objects.create_user("steward")
    grant(staff, "programme_admin", city=city)
    client.force_login(staff)
    assert client.get("/testville/files/parking-permits/parking-permits-csv/").status_code == 200


def test_downloads_count_take_up_without_personal_data(client, city):
    client.get(BASE, REMOTE_ADDR="203.0.113.9")
    client.get(BASE + "v1/")
    air = Dataset.objects.get(city=city, key="air-quality")
    counts = TakeUpCount.objects.filter(dataset=air, kind="download")
    assert sum(c.count for c in counts) == 2
    stored = json.dumps(list(TakeUpCount.objects.values()), default=str)
    assert "203.0.113.9" not in stored


def test_csvw_metadata_names_rows_and_links(client, city):
    meta = client.get(BASE + "v2/csv-metadata.json").json()
    assert meta["url"].endswith(BASE + "v2/")
    assert meta["tableSchema"]["aboutUrl"] == "https://data.example.org/station/{station}"
    district = next(c for c in meta["tableSchema"]["columns"] if c["titles"] == "district")
    assert district["valueUrl"] == "https://districts.example.org/{district}"


def test_published_data_package_validates_with_frictionless(live_server, city):
    """Frictionless reads the descriptor and both files over HTTP from the running server, and checks
    the bytes and hash of the CSV and every row against the schema."""
    url = f"{live_server.url}{BASE}v2/datapackage.json"
    report = frictionless.validate(url)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = frictionless.Package(url)
    assert [r.name for r in package.resources] == ["air-quality-csv-v2", "air-quality-csv-v2-parquet"]
    assert package.resources[0].read_rows()[0]["station"] == "north-gate-2"


def test_every_data_package_of_the_demo_catalogue_validates(demo_city):
    """Frictionless validates the data package of every held file the demo publishes (bytes, hash, schema
    and every row), read from the stored files."""
    from cityline.opendata.files import datapackage_for
    from cityline.opendata.models import DistributionVersion

    versions = list(DistributionVersion.objects.filter(city=demo_city, distribution__dataset__public=True)
                    .select_related("distribution__dataset"))
    assert len(versions) >= 25
    for version in versions:
        descriptor = datapackage_for(None, version)
        files = sorted({services.stored_path(version.path), services.stored_path(version.parquet_path)},
                       key=lambda p: p.suffix == ".parquet")  # the published file first, then its Parquet copy
        # (a Parquet upload is its own query file: one resource)
        assert len(descriptor["resources"]) == len(files)
        for resource, path in zip(descriptor["resources"], files):
            resource["path"] = path.name
        report = frictionless.Package(descriptor, basepath=str(files[0].parent)).validate()
        assert report.valid, (version, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5])
