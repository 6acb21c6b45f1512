"""``POST /api/v1/cities/{city}/observations`` (issue 6): formats, all or nothing, problems naming row and column, auth."""

from __future__ import annotations

import base64
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.contrib.auth import get_user_model

from cityline.accounts import tokens
from cityline.accounts.testing import grant
from cityline.observations.registry import store_for

from .ingest_world import T0, csv_text, iso, make_city

pytestmark = pytest.mark.django_db
URL = "/api/v1/cities/ingestville/observations"
PASSWORD = "pw-123456-ingest"


@pytest.fixture
def city(settings, tmp_path):
    settings.CITYLINE_OBSERVATIONS_DIR = tmp_path / "observations"
    return make_city()


@pytest.fixture
def admin_token(city):
    user = get_user_model().objects.create_user("admin", "admin@example.org", PASSWORD)
    grant(user, "programme_admin", city=city)
    return tokens.issue(user, name="sensors", scopes=["read", "write"], trust_level=3)[1]


def post(client, body: bytes | str, content_type: str, token: str | None = None, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(URL, data=body, content_type=content_type, **headers)


def stored(city) -> int:
    return store_for(city).query("SELECT count(*) FROM observations")[0][0]


def test_each_format_is_stored_and_the_report_returned(client, city, admin_token):
    response = post(client, csv_text([("air-harbour", iso(15 * i), i) for i in range(4)]), "text/csv", admin_token)
    assert response.status_code == 200, response.content
    assert response.json() == {"rows": 4, "series": ["air-harbour"], "first": "2026-11-20T08:00:00+00:00",
                               "last": "2026-11-20T08:45:00+00:00"}
    lines = "".join(json.dumps({"series": "water-level", "time": iso(60 * i), "value": 1}) + "\n" for i in range(3))
    assert post(client, lines, "application/x-ndjson", admin_token).json()["rows"] == 3
    buffer = io.BytesIO()
    pq.write_table(pa.table({"series": ["air-station"], "time": pa.array([T0], pa.timestamp("us", tz="UTC")),
                             "value": [4.0]}), buffer)
    assert post(client, buffer.getvalue(), "application/vnd.apache.parquet", admin_token).json()["rows"] == 1
    assert stored(city) == 8
    # the same readings again: stored once
    post(client, csv_text([("air-harbour", iso(15 * i), i) for i in range(4)]), "text/csv", admin_token)
    assert stored(city) == 8


def test_a_bad_row_is_a_400_naming_row_and_column_and_nothing_is_stored(client, city, admin_token):
    body = csv_text([("air-harbour", iso(0), 1), ("air-harbour", iso(15), 2), ("air-atlantis", iso(30), 3)])
    response = post(client, body, "text/csv", admin_token)
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"] == {"series": ["row 3: no series 'air-atlantis' in this city; add it first "
                                            "(editor, API or city pack)"]}
    assert problem["detail"].startswith("request body, row 3 (line 4), column 'series'")
    assert stored(city) == 0
    response = post(client, "series,time,value\nair-harbour,2026-11-20,1\n", "text/csv", admin_token)
    assert response.status_code == 400 and "time" in response.json()["errors"]
    response = post(client, "a,b\n1,2\n", "application/json", admin_token)
    assert response.status_code == 415
    assert stored(city) == 0


def test_a_body_that_cannot_be_read_is_a_400_naming_the_request_body_not_a_server_path(client, city, admin_token):
    response = post(client, b"PAR1 this is not a parquet file PAR0", "application/vnd.apache.parquet", admin_token)
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert detail.startswith("request body: ") and "/tmp" not in detail and "upload" not in detail, detail
    assert detail == ("request body: not a readable Parquet file (No magic bytes found at end of file); "
                      "nothing was stored")
    assert "cityline-observations" not in response.content.decode()
    response = post(client, "series,time,value\nair-harbour,2026-11-20T08:00:00Z,1,5\n", "text/csv", admin_token)
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {"body": ["row 1: Expected Number of Columns: 3 Found: 4"]}
    response = post(client, '{"series": "air-harbour", "time": "2026-11-20T08:00:00Z", "value": 1},\n',
                    "application/x-ndjson", admin_token)
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith("request body, row 1 (line 1): not valid JSON")
    assert stored(city) == 0


def test_writing_needs_credentials_and_the_right_to_change_series(client, city):
    body = csv_text([("air-harbour", iso(0), 1)])
    assert post(client, body, "text/csv").status_code == 401
    reader = get_user_model().objects.create_user("reader", "reader@example.org", PASSWORD)
    basic = base64.b64encode(f"reader:{PASSWORD}".encode()).decode()
    assert post(client, body, "text/csv", HTTP_AUTHORIZATION=f"Basic {basic}").status_code == 403
    raw = tokens.issue(reader, name="x", scopes=["read", "write"], trust_level=3)[1]
    assert post(client, body, "text/csv", raw).status_code == 403
    assert stored(city) == 0
    grant(reader, "programme_admin", city=city)
    assert post(client, body, "text/csv", HTTP_AUTHORIZATION=f"Basic {basic}").status_code == 200
    assert stored(city) == 1


def test_a_data_steward_feeds_only_their_organisations_series(client, city):
    """B10: the right to feed a series follows its operating organisation; one foreign series refuses the lot."""
    from cityline.core.models import Organisation
    from cityline.core import actions
    from cityline.observations.models import Series

    ours = actions.create(Organisation, city=city, key="port-authority", name="Port authority", sector="public")
    theirs = actions.create(Organisation, city=city, key="water-company", name="Water company", sector="private")
    actions.update(Series.objects.get(city=city, key="air-harbour"), organisation=ours)
    actions.update(Series.objects.get(city=city, key="water-level"), organisation=theirs)
    steward = get_user_model().objects.create_user("steward", "steward@example.org", PASSWORD)
    grant(steward, "data_steward", organisation=ours)
    raw = tokens.issue(steward, name="port sensors", scopes=["read", "write"], trust_level=3)[1]

    mixed = csv_text([("air-harbour", iso(0), 1), ("water-level", iso(0), 2)])
    response = post(client, mixed, "text/csv", raw)
    assert response.status_code == 403, response.content
    assert stored(city) == 0  # not even the steward's own reading

    response = post(client, csv_text([("air-harbour", iso(0), 1)]), "text/csv", raw)
    assert response.status_code == 200, response.content
    assert stored(city) == 1


def test_an_epoch_time_out_of_range_or_an_infinite_value_is_a_400_and_nothing_is_stored(client, city, admin_token):
    for bad, column, problem in [("17642304001230", "time", "row 3: epoch time 17642304001230 is out of range"),
                                 ("20261120", "time", "row 3: epoch time 20261120 is out of range")]:
        body = csv_text([("air-harbour", iso(0), 1), ("air-harbour", iso(60), 2), ("air-harbour", bad, 3)])
        response = post(client, body, "text/csv", admin_token)
        assert response.status_code == 400, response.content
        assert response.json()["errors"][column][0].startswith(problem)
    body = csv_text([("air-harbour", iso(0), 1), ("air-harbour", iso(60), "inf")])
    response = post(client, body, "text/csv", admin_token)
    assert response.status_code == 400 and response.json()["errors"] == {"value": ["row 2: not a finite number: inf"]}
    assert stored(city) == 0


def test_a_compact_date_time_is_a_400_saying_what_it_looks_like_and_nothing_is_stored(client, city, admin_token):
    body = csv_text([("air-harbour", iso(0), 1), ("air-harbour", "202611200800", 2)])
    response = post(client, body, "text/csv", admin_token)
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["time"] == [
        "row 2: epoch time 202611200800 is out of range: give epoch seconds, or milliseconds (numbers over 10^11), "
        "from 1980-01-01 to the end of 2200; 202611200800 looks like a compact date-time (2026-11-20T08:00); "
        "write times as ISO 8601 with a zone"]
    assert response.json()["detail"].startswith("request body, row 2 (line 3), column 'time': ")
    assert stored(city) == 0


@pytest.mark.parametrize("body", ["", "\n\n"])
def test_an_empty_json_lines_body_is_a_400_as_an_empty_csv_body_is(client, city, admin_token, body):
    for content_type in ("text/csv", "application/x-ndjson"):
        # Django's test client sends no Content-Type with an empty body unless told
        response = post(client, body, content_type, admin_token, CONTENT_TYPE=content_type)
        assert response.status_code == 400, (content_type, response.content)
        problem = response.json()
        assert problem["detail"] == "request body: empty file; nothing was stored", content_type
        assert problem["errors"] == {"body": ["empty file"]}, content_type


def test_a_bad_json_lines_row_is_a_400_naming_its_line(client, city, admin_token):
    body = ('{"series": "air-harbour", "time": "2026-11-20T08:00:00Z", "value": 1}\n\n'
            '{"series": "air-harbour", "time": "2026-11-20T09:00:00Z", "value": "abc"}\n')
    response = post(client, body, "application/x-ndjson", admin_token)
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == ("request body, row 2 (line 3), column 'value': not a number: abc; "
                                         "nothing was stored")
    assert response.json()["errors"] == {"value": ["row 2: not a number: abc"]}
    assert stored(city) == 0


def test_the_report_counts_a_key_given_twice_once(client, city, admin_token):
    body = csv_text([("air-harbour", iso(0), 1), ("air-harbour", iso(0), 2), ("air-harbour", iso(15), 3)])
    response = post(client, body, "text/csv", admin_token)
    assert response.status_code == 200 and response.json()["rows"] == 2
    assert stored(city) == 2


def test_a_csv_body_with_text_beside_a_quote_in_its_header_is_a_400_not_an_empty_success(client, city, admin_token):
    """DuckDB's CSV reader read such a body as no row: the answer was 200, rows 0, and every reading was lost."""
    body = '"ser"ies,time,value\n' + csv_text([("air-harbour", iso(15 * i), i) for i in range(4)]).split("\n", 1)[1]
    response = post(client, body, "text/csv", admin_token)
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {'"ser"ies': ['text beside a double quote in the header; quote a column '
                                                      'name whole ("series") or not at all']}
    assert response.json()["detail"].startswith("request body, line 1, column '\"ser\"ies'")
    assert stored(city) == 0
