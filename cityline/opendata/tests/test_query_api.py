"""The native query API: rows, SQL, bulk download, uploads and take-up (issue 4 item 6; B8, B7.d)."""

import csv
import io
import json
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cityline.opendata import services
from cityline.opendata.models import Dataset, Distribution, DistributionVersion, TakeUpCount
from cityline.opendata.testing import make_catalogue_city, sample_files

pytestmark = pytest.mark.django_db

BASE = "/api/v1/cities/testville"
ROWS = f"{BASE}/datasets/air-quality/distributions/air-quality-csv/rows"


@pytest.fixture
def city(tmp_path):
    city = make_catalogue_city()
    files = sample_files(tmp_path / "upload")
    services.upload_version(Distribution.objects.get(city=city, key="air-quality-csv"), files["air-quality-csv"])
    # blocked by the privacy gate (a unique combination of quasi-identifiers): not public
    services.upload_version(Distribution.objects.get(city=city, key="parking-permits-csv"),
                            files["parking-permits-csv"])
    return city


def problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


# --- rows ----------------------------------------------------------------------------------------

def test_rows_filter_sort_fields_and_paging(client, city):
    r = client.get(ROWS, {"filter[district]": "north", "sort": "no2 desc", "fields": "station,no2", "limit": 3})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["total"] == 10 and body["version"] == 1 and len(body["records"]) == 3
    assert [f["id"] for f in body["fields"]] == ["station", "no2"]
    assert [rec["no2"] for rec in body["records"]] == [30, 29, 28]
    assert body["next"] and "offset=3" in body["next"] and body["previous"] is None


def test_rows_repeated_filter_and_json_filters_mean_any_of(client, city):
    repeated = client.get(f"{ROWS}?filter[district]=north&filter[district]=south").json()
    as_json = client.get(ROWS, {"filters": json.dumps({"district": ["north", "south"]})}).json()
    assert repeated["total"] == as_json["total"] == 20
    assert client.get(ROWS, {"q": "RIVER"}).json()["total"] == 10


def test_rows_as_streamed_csv(client, city):
    r = client.get(ROWS, {"format": "csv", "filter[station]": "mill-lane", "fields": "station,pm10"})
    assert r.status_code == 200 and r.streaming and r["Content-Type"].startswith("text/csv")
    assert r["X-Total-Count"] == "10"
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode())))
    assert rows[0] == ["station", "pm10"] and len(rows) == 11 and {row[0] for row in rows[1:]} == {"mill-lane"}


def test_rows_errors_are_problems_naming_parameter_and_column(client, city):
    body = problem(client.get(ROWS, {"filter[colour]": "red"}), 400)
    assert "filter[colour]" in body["errors"] and "colour" in body["detail"]
    body = problem(client.get(ROWS, {"fields": "station,nope"}), 400)
    assert "fields" in body["errors"] and "nope" in body["detail"]
    body = problem(client.get(ROWS, {"sort": "nope desc"}), 400)
    assert "sort" in body["errors"]
    body = problem(client.get(ROWS, {"filters": "{not json"}), 400)
    assert "filters" in body["errors"]
    body = problem(client.get(ROWS, {"limit": "many"}), 400)
    assert "limit" in body["errors"]
    body = problem(client.get(ROWS, {"colour": "red"}), 400)
    assert body["type"].endswith("unknown-parameter") and "colour" in body["errors"]
    body = problem(client.get(ROWS, {"filter[no2]": "lots"}), 400)
    assert "filter[no2]" in body["errors"]
    problem(client.get(ROWS, {"version": 9}), 404)


def test_rows_of_a_blocked_dataset_only_for_staff(client, staff_client, city):
    url = f"{BASE}/datasets/parking-permits/distributions/parking-permits-csv/rows"
    assert not Dataset.objects.get(city=city, key="parking-permits").public
    problem(client.get(url), 404)
    assert staff_client.get(url).json()["total"] == 55


def test_rows_count_api_calls_without_personal_data(client, city):
    client.get(ROWS, REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="probe/1.0")
    client.get(ROWS)
    row = TakeUpCount.objects.get(dataset__key="air-quality", kind="api")
    assert row.count == 2 and row.distribution.key == "air-quality-csv"
    stored = json.dumps(list(TakeUpCount.objects.values()), default=str)
    assert "203.0.113.9" not in stored and "probe" not in stored


# --- SQL ------------------------------------------------------------------------------------------

def test_sql_get_and_post_group_by(client, city):
    q = 'SELECT district, count(*) AS n FROM "air-quality-csv" GROUP BY district ORDER BY district'
    r = client.get(f"{BASE}/sql", {"q": q})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["records"] == [{"district": "centre", "n": 10}, {"district": "north", "n": 10},
                               {"district": "south", "n": 10}]
    assert body["tables"] == ["air-quality-csv"] and body["truncated"] is False
    posted = client.post(f"{BASE}/sql", {"q": q, "format": "csv"}, content_type="application/json")
    assert posted.status_code == 200 and b"".join(posted.streaming_content).decode().splitlines()[0] == "district,n"
    assert TakeUpCount.objects.get(dataset__key="air-quality", kind="api").count == 2


def test_sql_row_limit_and_refusals(client, city):
    r = client.get(f"{BASE}/sql", {"q": 'SELECT * FROM "air-quality-csv"', "limit": 5}).json()
    assert len(r["records"]) == 5 and r["truncated"] is True
    body = problem(client.get(f"{BASE}/sql", {"q": 'DELETE FROM "air-quality-csv"'}), 400)
    assert "q" in body["errors"]
    problem(client.get(f"{BASE}/sql", {"q": "SELECT * FROM read_csv('/etc/passwd')"}), 400)
    problem(client.get(f"{BASE}/sql", {"q": "SELECT 1", "limit": 0}), 400)


def test_sql_anonymous_callers_cannot_reach_private_tables(client, staff_client, city):
    q = 'SELECT count(*) AS n FROM "parking-permits-csv"'
    body = problem(client.get(f"{BASE}/sql", {"q": q}), 400)
    assert "parking-permits-csv" in body["detail"]
    assert staff_client.get(f"{BASE}/sql", {"q": q}).json()["records"] == [{"n": 55}]


# --- bulk download ---------------------------------------------------------------------------------

def test_bulk_zip_has_public_files_and_catalogue_metadata(client, city):
    r = client.get(f"{BASE}/catalogue/bulk.zip")
    assert r.status_code == 200 and r["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(r.streaming_content)))
    names = archive.namelist()
    assert "catalogue.json" in names and "data/air-quality/air-quality-csv-v1.csv" in names
    assert not any("parking-permits" in n for n in names)  # blocked by the gate
    meta = json.loads(archive.read("catalogue.json"))
    keys = [d["key"] for d in meta["datasets"]]
    assert keys == ["air-quality", "bus-stops"]  # public only: not the draft, internal or blocked ones
    air = meta["datasets"][0]["distributions"][0]
    assert air["file"] == "data/air-quality/air-quality-csv-v1.csv" and air["version"]["row_count"] == 30
    assert archive.read(air["file"]).startswith(b"station,time")


def test_bulk_zip_leaves_out_files_over_the_limit(client, city, settings):
    settings.CITYLINE_BULK_MAX_BYTES = 10
    archive = zipfile.ZipFile(io.BytesIO(b"".join(client.get(f"{BASE}/catalogue/bulk.zip").streaming_content)))
    assert archive.namelist() == ["catalogue.json"]
    air = json.loads(archive.read("catalogue.json"))["datasets"][0]["distributions"][0]
    assert air["file"] is None and "omitted" in air


# --- uploads -----------------------------------------------------------------------------------------

UPLOAD = f"{BASE}/distributions/air-quality-csv/versions"


def test_upload_needs_staff(client, city):
    problem(client.post(UPLOAD, {"file": SimpleUploadedFile("a.csv", b"station\nx\n")}), 401)
    get_user_model().objects.create_user("reader", "r@example.org", "pw-123456")
    c = Client()
    c.login(username="reader", password="pw-123456")
    problem(c.post(UPLOAD, {"file": SimpleUploadedFile("a.csv", b"station\nx\n")}), 403)


def test_upload_creates_the_next_version(staff_client, city):
    old = services.stored_path(DistributionVersion.objects.get(distribution__key="air-quality-csv").path).read_bytes()
    data = old + b"harbour,2026-01-11T08:00:00,port,30,12\n"
    r = staff_client.post(UPLOAD, {"file": SimpleUploadedFile("readings.csv", data), "note": "one more"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"] == 2 and body["row_count"] == 31 and body["changes"]["rows_added"] == 1
    assert body["note"] == "one more" and body["gate"] == "passed" and body["url"].endswith("/v2/")


def test_upload_without_a_key_column_is_accepted_and_its_changes_say_so(staff_client, city):
    data = b"station,no2\nnorth,23\nsouth,24\n"  # no "time" key column
    r = staff_client.post(UPLOAD, {"file": SimpleUploadedFile("readings.csv", data)})
    assert r.status_code == 201, r.content
    assert "key column(s) missing from the new version: time" in r.json()["changes"]["summary"]
    fixed = b"station,time,no2\nnorth,2026-01-01T08:00:00,23\n"  # and the corrected file after it
    r = staff_client.post(UPLOAD, {"file": SimpleUploadedFile("readings.csv", fixed)})
    assert r.status_code == 201, r.content
    assert r.json()["changes"]["key_columns_missing"] == {"previous": ["time"], "new": []}


def test_refused_upload_is_a_422_naming_rows_and_columns_and_changes_nothing(staff_client, city):
    bad = b"station,time,district,no2,pm10\nnorth-gate,2026-01-01T08:00:00,north,abc,1\n"
    # the declared schema makes no2 a number, so 'abc' is refused
    dist = Distribution.objects.get(city=city, key="air-quality-csv")
    from cityline.core import actions

    actions.update(dist, declared_schema={"fields": [
        {"name": "station", "type": "string"}, {"name": "time", "type": "datetime"},
        {"name": "district", "type": "string"}, {"name": "no2", "type": "number"},
        {"name": "pm10", "type": "number"}]})
    body = problem(staff_client.post(UPLOAD, {"file": SimpleUploadedFile("bad.csv", bad)}), 422)
    assert "no2" in body["errors"] and "row 2" in body["errors"]["no2"][0]
    assert DistributionVersion.objects.filter(distribution=dist).count() == 1
    problem(staff_client.post(f"{BASE}/distributions/bus-stops-api/versions",
                              {"file": SimpleUploadedFile("x.csv", b"a\n1\n")}), 422)
    problem(staff_client.post(f"{BASE}/distributions/nope/versions",
                              {"file": SimpleUploadedFile("x.csv", b"a\n1\n")}), 404)



def test_an_upload_with_column_names_differing_only_in_case_is_a_422_naming_the_column(staff_client, city):
    # Before: accepted, and the rows endpoint answered column 'no2' with the values of 'NO2'.
    data = b"station,time,NO2,no2\nnorth,2026-01-01T08:00:00,23,99\n"
    body = problem(staff_client.post(UPLOAD, {"file": SimpleUploadedFile("readings.csv", data)}), 422)
    assert "differs from 'NO2' only in upper and lower case" in body["errors"]["no2"][0]
    assert DistributionVersion.objects.filter(distribution__key="air-quality-csv").count() == 1


def test_an_upload_with_20_digit_meter_numbers_keeps_them_exactly(staff_client, city):
    # Before: a 422 "row 2, column '?': Python int too large to convert to C long".
    data = b"station,time,meter\nnorth,2026-01-01T08:00:00,12345678901234567890123\n"
    r = staff_client.post(UPLOAD, {"file": SimpleUploadedFile("readings.csv", data)})
    assert r.status_code == 201, r.content
    rows = staff_client.get(ROWS, {"version": 2}).json()
    assert rows["records"][0]["meter"] == "12345678901234567890123"

# --- take-up -------------------------------------------------------------------------------------------

def test_take_up_is_for_staff_only_and_sums_by_month(client, staff_client, city):
    client.get(ROWS)
    client.get("/testville/files/air-quality/air-quality-csv/")
    problem(client.get(f"{BASE}/take-up"), 401)
    get_user_model().objects.create_user("reader", "r@example.org", "pw-123456")
    import base64

    token = base64.b64encode(b"reader:pw-123456").decode()
    problem(client.get(f"{BASE}/take-up", HTTP_AUTHORIZATION=f"Basic {token}"), 403)
    staff_token = base64.b64encode(b"editor:pw-123456").decode()
    assert client.get(f"{BASE}/take-up", HTTP_AUTHORIZATION=f"Basic {staff_token}").status_code == 200
    body = staff_client.get(f"{BASE}/take-up").json()
    kinds = {(m["dataset"], m["distribution"], m["kind"]): m["count"] for m in body["months"]}
    assert kinds[("air-quality", "air-quality-csv", "api")] == 1
    assert kinds[("air-quality", "air-quality-csv", "download")] == 1
    assert body["totals"]["api"] == 1 and body["datasets"][0]["dataset"] == "air-quality"


def test_openapi_documents_the_query_api():
    from cityline.api.router import api

    paths = json.loads(json.dumps(api.get_openapi_schema()))["paths"]
    rows = paths["/api/v1/cities/{city_key}/datasets/{dataset}/distributions/{distribution}/rows"]["get"]
    assert {p.get("name") for p in rows["parameters"]} >= {"filters", "q", "sort", "fields", "limit", "offset",
                                                           "version", "format"}
    assert "text/csv" in rows["responses"]["200"]["content"]
    assert set(paths["/api/v1/cities/{city_key}/sql"]) == {"get", "post"}
    assert "multipart/form-data" in paths["/api/v1/cities/{city_key}/distributions/{key}/versions"]["post"][
        "requestBody"]["content"]
