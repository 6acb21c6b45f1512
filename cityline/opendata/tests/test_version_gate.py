"""Regressions of the open data audit: blocked versions stay hidden, the asset re-runs the gate, a change of
the gate's settings reviews the older versions too, sorted pages cover every row once, a failed upload keeps
the stored files (B8, B10)."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cityline.core import actions
from cityline.opendata import services
from cityline.opendata.domain import query as dq
from cityline.opendata.models import DataAsset, Dataset, Distribution, DistributionVersion
from cityline.opendata.testing import make_catalogue_city

PERSONAL = ("station,time,contact_email,no2\nnorth,2026-01-01T08:00:00,jane.doe@gmail.com,21\n"
            "south,2026-01-01T08:00:00,john.smith@yahoo.co.uk,22\n")
CLEAN = "station,time,no2\nnorth,2026-01-01T08:00:00,21\nsouth,2026-01-01T08:00:00,22\n"
FILES = "/testville/files/air-quality/air-quality-csv"
ROWS = "/api/v1/cities/testville/datasets/air-quality/distributions/air-quality-csv/rows"


def air(city) -> Distribution:
    return Distribution.objects.select_related("dataset", "city").get(city=city, key="air-quality-csv")


def upload(city, tmp_path, name: str, text: str) -> DistributionVersion:
    path = tmp_path / name
    path.write_text(text)
    return services.upload_version(air(city), path)


@pytest.fixture
def blocked_then_passed(db, tmp_path):
    """v1 names people (blocked by the gate), v2 does not (passed): the dataset is public."""
    city = make_catalogue_city()
    upload(city, tmp_path, "v1.csv", PERSONAL)
    assert Dataset.objects.get(city=city, key="air-quality").gate == "blocked"
    upload(city, tmp_path, "v2.csv", CLEAN)
    ds = Dataset.objects.get(city=city, key="air-quality")
    assert ds.gate == "passed" and ds.public
    return city


# --- 1. a version the gate blocked is never served, whatever the later versions ------------------


@pytest.mark.django_db
def test_a_blocked_version_stays_hidden_once_a_later_version_passes(client, blocked_then_passed):
    for suffix in ("v1/", "v1/data.parquet", "v1/datapackage.json", "v1/csv-metadata.json"):
        assert client.get(f"{FILES}/{suffix}").status_code == 404, suffix
    assert client.get(f"{FILES}/v2/").status_code == 200
    assert client.get(ROWS, {"version": 1}).status_code == 404
    assert client.get(ROWS, {"version": 2}).json()["total"] == 2
    listed = client.get("/api/v1/cities/testville/distribution-versions").json()["results"]
    assert [v["number"] for v in listed] == [2]
    assert b"jane.doe" not in client.get("/api/v1/cities/testville/distribution-versions").content
    ttl = client.get("/testville/dataset/air-quality.ttl").content
    assert b"air-quality-csv/v2/" in ttl and b"air-quality-csv/v1/" not in ttl
    page = client.get("/testville/data/air-quality/").content
    assert b"air-quality-csv/v2/" in page and b"air-quality-csv/v1/" not in page


@pytest.mark.django_db
def test_staff_still_get_the_blocked_version(staff_client, blocked_then_passed):
    assert staff_client.get(f"{FILES}/v1/").status_code == 200
    assert staff_client.get(ROWS, {"version": 1}).json()["total"] == 2
    assert DistributionVersion.objects.get(number=1).gate == "blocked"


@pytest.mark.django_db
def test_versions_of_a_distribution_no_longer_held_are_not_served(client, tmp_path):
    city = make_catalogue_city()
    upload(city, tmp_path, "v1.csv", CLEAN)
    assert client.get(f"{FILES}/v1/").status_code == 200
    actions.update(air(city), kind="remote", access_url="https://example.org/air.csv")
    assert client.get(f"{FILES}/v1/").status_code == 404
    assert client.get(f"{FILES}/").status_code == 404
    assert client.get(ROWS, {"version": 1}).status_code == 404


# --- 2. the asset is one of the gate's inputs -----------------------------------------------------


@pytest.mark.django_db
def test_marking_the_asset_as_holding_personal_data_reviews_its_datasets(tmp_path):
    city = make_catalogue_city()
    upload(city, tmp_path, "homes.csv", "station,time,lat,lon\n" + "".join(
        f"s{i},2026-01-01T08:00:00,53.80{i}12,-1.54{i}34\n" for i in range(10)))
    ds = Dataset.objects.get(city=city, key="air-quality")
    assert ds.gate == "passed" and ds.public
    actions.update(DataAsset.objects.get(city=city, key="air-sensors"), personal_data=True)
    ds.refresh_from_db()
    assert (ds.gate, ds.public) == ("blocked", False)
    assert not DistributionVersion.objects.get(distribution__dataset=ds).public


def _by_district(districts) -> str:
    return "station,time,district,no2\n" + "".join(
        f"s{i},2026-01-0{n}T08:00:00,{district},{20 + i}\n" for n, district in enumerate(districts, 1)
        for i in range(3))


@pytest.mark.django_db
def test_tightening_the_gate_hides_every_older_version_it_now_blocks(client, staff_client, tmp_path):
    """A change of the gate's settings reviews every stored version, not the latest only: v1, which passed
    under the looser settings, is no longer served once they block it, even after a later upload passes."""
    city = make_catalogue_city()
    ds = actions.update(Dataset.objects.get(city=city, key="air-quality"), microdata=True,
                        quasi_identifiers="district", k_threshold=3)
    for name in ("v1.csv", "v2.csv"):  # groups of 3 rows per district: k = 3
        upload(city, tmp_path, name, _by_district(["north", "south"]))
    ds.refresh_from_db()
    assert ds.gate == "passed" and ds.public
    assert [client.get(f"{FILES}/v{n}/").status_code for n in (1, 2)] == [200, 200]

    actions.update(ds, k_threshold=5)  # the steward raises the minimum k: both versions now fail it
    assert dict(DistributionVersion.objects.values_list("number", "gate")) == {1: "blocked", 2: "blocked"}
    # the steward uploads the districts merged: v3 passes, the dataset is public again, v1 and v2 are not
    upload(city, tmp_path, "v3.csv", _by_district(["all", "all"]))
    ds.refresh_from_db()
    assert ds.gate == "passed" and ds.public
    for n in (1, 2):
        assert client.get(f"{FILES}/v{n}/").status_code == 404, n
        assert client.get(f"{FILES}/v{n}/data.parquet").status_code == 404, n
        assert client.get(ROWS, {"version": n}).status_code == 404, n
        assert staff_client.get(f"{FILES}/v{n}/").status_code == 200, n
    assert client.get(f"{FILES}/v3/").status_code == 200
    ttl = client.get("/testville/dataset/air-quality.ttl").content
    assert b"air-quality-csv/v3/" in ttl
    assert b"air-quality-csv/v1/" not in ttl and b"air-quality-csv/v2/" not in ttl
    listed = client.get("/api/v1/cities/testville/distribution-versions").json()["results"]
    assert [v["number"] for v in listed] == [3]

    actions.update(ds, k_threshold=3)  # relaxed again: every version passes and is public again
    assert dict(DistributionVersion.objects.values_list("number", "public")) == {1: True, 2: True, 3: True}
    assert [client.get(f"{FILES}/v{n}/").status_code for n in (1, 2, 3)] == [200, 200, 200]
    ttl = client.get("/testville/dataset/air-quality.ttl").content
    assert all(f"air-quality-csv/v{n}/".encode() in ttl for n in (1, 2, 3))


# --- 3. paging a sorted or filtered query ---------------------------------------------------------


def _ties(tmp_path, n=60_000, first="id"):
    table = pa.table({first: list(range(n)), "district": [["north", "centre", "south"][i % 3] for i in range(n)]})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=2000)
    return path


@pytest.mark.parametrize("first", ["id", "file_row_number"])
def test_pages_sorted_on_a_column_with_ties_cover_every_row_once(tmp_path, first):
    path = _ties(tmp_path, first=first)
    seen = []
    for offset in range(0, 60_000, 5000):
        seen += [r[first] for r in dq.search(path, sort="district", limit=5000, offset=offset,
                                             include_total=False).records]
    assert len(seen) == len(set(seen)) == 60_000
    seen = []
    for offset in range(0, 40_000, 5000):
        seen += [r[first] for r in dq.search(path, filters={"district": ["north", "south"]}, limit=5000,
                                             offset=offset).records]
    assert seen == [i for i in range(60_000) if i % 3 != 1]  # the file's order


# --- 4. a failed upload leaves the stored versions alone ------------------------------------------


@pytest.mark.django_db
def test_an_upload_that_loses_the_race_keeps_the_stored_files(tmp_path, monkeypatch, staff_client):
    city = make_catalogue_city()
    v1 = upload(city, tmp_path, "a.csv", CLEAN)
    stored = services.stored_path(v1.path), services.stored_path(v1.parquet_path)
    before = [p.read_bytes() for p in stored]
    # the second upload chose its number before the first committed
    monkeypatch.setattr(Distribution, "latest_version", lambda self: None)
    with pytest.raises(services.UploadConflict):
        upload(city, tmp_path, "b.csv", CLEAN.replace("21", "99"))
    assert [p.exists() for p in stored] == [True, True], "the failed upload deleted the stored version's files"
    assert [p.read_bytes() for p in stored] == before
    response = staff_client.post("/api/v1/cities/testville/distributions/air-quality-csv/versions",
                                 {"file": SimpleUploadedFile("c.csv", CLEAN.replace("21", "98").encode())})
    assert response.status_code == 409, response.content
    assert "upload the file again" in response.json()["detail"]
    monkeypatch.undo()
    assert [p.read_bytes() for p in stored] == before
    assert sorted(p.name for p in stored[0].parent.iterdir()) == ["v1.csv", "v1.parquet"]
    assert DistributionVersion.objects.count() == 1
    assert upload(city, tmp_path, "d.csv", CLEAN.replace("21", "97")).number == 2
