"""CKAN Action API v3 (issue 4, item 7; B8, B14): envelope, errors, visibility, search, DataStore.

Through Django's test client against the full view; the real ``ckanapi`` client is in
test_ckanapi_client.py.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.conf import settings

from cityline.core import actions
from cityline.opendata import ckan
from cityline.opendata.domain import tabular
from cityline.opendata.models import Dataset, Distribution, DistributionVersion
from cityline.opendata.testing import make_catalogue_city, sample_files

pytestmark = pytest.mark.django_db

BASE = "/testville/api/3/action/"


def upload(dist: Distribution, src: Path, number: int = 1, review: bool = True) -> DistributionVersion:
    """Store a version of a held file the way uploads do: ingest (Parquet copy), record it, then (``review``) let
    the privacy gate check it, which is what lets the public get it (``DistributionVersion.public``)."""
    from cityline.opendata import services

    data_dir = Path(settings.CITYLINE_OPENDATA_DIR)
    target = data_dir / dist.city.key / dist.key
    done = tabular.ingest(src, target_dir=target, name=f"v{number}", format="csv")
    version = actions.create(
        DistributionVersion, city=dist.city, distribution=dist, number=number, original_name=src.name,
        path=str(done.path.relative_to(data_dir)), parquet_path=str(done.parquet_path.relative_to(data_dir)),
        media_type=done.mediatype, byte_size=done.bytes, checksum=done.sha256, row_count=done.row_count,
        table_schema=done.schema)
    if review:
        services.review_version(version)
        version.refresh_from_db()
    return version


@pytest.fixture
def city(settings, tmp_path):
    settings.CITYLINE_OPENDATA_DIR = tmp_path / "opendata"
    city = make_catalogue_city()
    files = sample_files(tmp_path / "samples")
    upload(Distribution.objects.get(key="air-quality-csv"), files["air-quality-csv"])
    return city


def call(client, action: str, /, base: str = BASE, **params):
    return client.get(base + action, {k: json.dumps(v) if isinstance(v, (list, dict)) else v
                                    for k, v in params.items()})


def ok(client, action: str, /, base: str = BASE, **params):
    r = call(client, action, base, **params)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["success"] is True
    assert body["help"] == f"http://testserver{base}help_show?name={action}"
    return body["result"]


def error(client, action: str, status: int, etype: str, /, base: str = BASE, **params) -> dict:
    r = call(client, action, base, **params)
    assert r.status_code == status, r.content
    body = r.json()
    assert body["success"] is False and "result" not in body
    assert body["error"]["__type"] == etype
    return body["error"]


# ------------------------------------------------------------------ envelope, sites, errors

def test_status_show_per_city_and_at_the_root(client, city):
    result = ok(client, "status_show")
    assert result["site_url"] == "http://testserver/testville"
    assert result["ckan_version"].startswith("2.")
    assert "datastore" in result["extensions"]
    # the only city is the default one: the root serves it, under both API addresses
    assert ok(client, "status_show", base="/api/3/action/")["site_url"] == "http://testserver"
    r = client.get("/api/action/package_list")
    assert r.status_code == 200 and r.json()["success"] and "air-quality" in r.json()["result"]


def test_help_show_returns_the_action_help(client, city):
    assert "Search datasets" in ok(client, "help_show", name="package_search")
    assert error(client, "help_show", 404, "Not Found Error", name="nope")["message"].endswith("nope")


def test_unknown_action_write_action_and_unknown_city(client, city):
    err = error(client, "frobnicate", 400, "Bad Request")
    assert err["message"] == "Bad request - Action name not known: frobnicate"
    r = client.post(BASE + "package_create", data=json.dumps({"name": "x"}), content_type="application/json")
    assert r.status_code == 403 and r.json()["error"]["__type"] == "Authorization Error"
    assert not Dataset.objects.filter(key="x").exists()
    err = error(client, "package_list", 404, "Not Found Error", base="/nowhere/api/3/action/")
    assert "nowhere" in err["message"]


def _basic(username: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.mark.parametrize("base", [BASE, "/api/3/action/", "/testville/api/action/"])
def test_wrong_credentials_get_ckans_authorization_error(client, city, base):
    """CKAN clients read CKAN's error object, not the REST API's problem document: wrong credentials are
    CKAN's "Authorization Error" (403, "Access denied: …", as ckan/views/api.py answers NotAuthorized),
    naming the cause, with the challenge kept in WWW-Authenticate (B10)."""
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("sam", "sam@testville.example", "right password")
    for header, cause in (("Bearer cl_not-a-token", "bearer token is unknown, expired or revoked"),
                          (_basic("sam", "wrong password"), "wrong user name or password")):
        r = client.get(base + "package_list", HTTP_AUTHORIZATION=header)
        assert r.status_code == 403, r.content
        assert r["Content-Type"] == "application/json;charset=utf-8"
        body = r.json()
        assert body["success"] is False and "result" not in body
        assert body["help"] == f"http://testserver{base.split('api/')[0]}api/3/action/help_show?name=package_list"
        assert body["error"]["__type"] == "Authorization Error"
        assert body["error"]["message"].startswith("Access denied: ") and cause in body["error"]["message"]
        assert r["WWW-Authenticate"].split()[0] == header.split()[0]
        # a POST with a JSON body, as ckanapi sends, is refused the same way
        r = client.post(base + "package_search", data=json.dumps({"q": "air"}), content_type="application/json",
                        HTTP_AUTHORIZATION=header)
        assert r.status_code == 403 and r.json()["error"]["__type"] == "Authorization Error"
    # the right password, or none, reads the catalogue
    assert client.get(base + "package_list", HTTP_AUTHORIZATION=_basic("sam", "right password")).status_code == 200
    assert client.get(base + "package_list").status_code == 200


def test_post_with_a_json_body_as_ckanapi_sends(client, city):
    r = client.post(BASE + "package_search", data=json.dumps({"q": "air", "facet.field": ["tags"], "rows": 1}),
                    content_type="application/json")
    body = r.json()
    assert r.status_code == 200 and body["success"]
    assert body["result"]["count"] == 1 and body["result"]["facets"]["tags"]["no2"] == 1
    bad = client.post(BASE + "package_list", data="{not json", content_type="application/json")
    assert bad.status_code == 400 and "JSON Error" in bad.json()["error"]["message"]


def test_validation_errors_name_the_field(client, city):
    assert error(client, "package_show", 409, "Validation Error") == {"__type": "Validation Error",
                                                                      "id": ["Missing value"]}
    assert "rows" in error(client, "package_search", 409, "Validation Error", rows="many")
    assert "rows" in error(client, "package_search", 409, "Validation Error", rows=-1)
    assert "facet.field" in error(client, "package_search", 409, "Validation Error", **{"facet.field": "[oops"})


def test_rows_and_limit_above_the_maximum_are_capped_as_ckan_does(client, city):
    # CKAN's limit_to_configured_maximum: ckan.search.rows_max (1000), ckan.datastore.search.rows_max (32,000)
    assert ok(client, "package_search", rows=5000)["count"] == 3
    result = ok(client, "datastore_search", resource_id=air_id(), limit=40000)
    assert result["limit"] == 32000 and len(result["records"]) == 30
    assert result["_links"]["next"].endswith("offset=32000&limit=32000")


# ------------------------------------------------------------------ visibility and dictionaries

def test_package_list_shows_public_datasets_only(client, city):
    assert ok(client, "package_list") == ["air-quality", "bus-stops", "parking-permits"]
    assert ok(client, "package_list", limit=1, offset=1) == ["bus-stops"]


@pytest.mark.parametrize("key", ["noise-draft", "internal-budget"])
def test_non_public_dataset_is_not_found(client, city, key):
    ds = Dataset.objects.get(key=key)
    assert error(client, "package_show", 404, "Not Found Error", id=key)
    assert error(client, "package_show", 404, "Not Found Error", id=str(ds.uuid))
    assert ok(client, "package_search", q=ds.title)["count"] == 0


def test_package_show_maps_the_dataset_to_ckan(client, city):
    air = Dataset.objects.get(key="air-quality")
    pkg = ok(client, "package_show", id="air-quality")
    assert ok(client, "package_show", id=str(air.uuid)) == pkg
    assert pkg["id"] == str(air.uuid) and pkg["name"] == "air-quality" and pkg["title"] == "Air quality readings"
    assert pkg["type"] == "dataset" and pkg["state"] == "active" and pkg["private"] is False
    assert pkg["license_id"] == "CC-BY-4.0" and pkg["license_title"] == "Creative Commons Attribution 4.0"
    assert pkg["license_url"].startswith("http") and pkg["isopen"] is True
    assert pkg["organization"]["name"] == "council" and pkg["organization"]["title"] == "Testville Council"
    assert pkg["owner_org"] == pkg["organization"]["id"]
    assert [g["name"] for g in pkg["groups"]] == ["environment"]
    assert [t["name"] for t in pkg["tags"]] == ["air", "no2", "pm10"] and pkg["num_tags"] == 3
    assert pkg["maintainer"] == "Dana Steward" and pkg["maintainer_email"] == "data@example.org"
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    assert extras["access_level"] == "public" and extras["publication_model"] == "free"
    assert extras["frequency"] == "DAILY" and extras["temporal_start"] == "2026-01-01"
    assert extras["spatial"] == "Testville" and extras["stars"] == "3"
    assert pkg["metadata_created"] <= pkg["metadata_modified"]
    [res] = pkg["resources"]
    dist = Distribution.objects.get(key="air-quality-csv")
    version = dist.latest_version()
    assert pkg["num_resources"] == 1
    assert res["id"] == str(dist.uuid) and res["package_id"] == pkg["id"] and res["position"] == 0
    assert res["url"] == "http://testserver/testville/files/air-quality/air-quality-csv/"
    assert res["format"] == "CSV" and res["mimetype"] == "text/csv"
    assert res["size"] == version.byte_size and res["hash"] == f"sha256:{version.checksum}"
    assert res["datastore_active"] is True and res["last_modified"]
    # at the root, download URLs are the root's
    root = ok(client, "package_show", base="/api/3/action/", id="air-quality")
    assert root["resources"][0]["url"] == "http://testserver/files/air-quality/air-quality-csv/"


def test_remote_and_api_resources_point_at_their_access_url(client, city):
    pkg = ok(client, "package_show", id="bus-stops")
    by_name = {r["name"]: r for r in pkg["resources"]}
    assert by_name["Stops (GeoJSON)"]["url"] == "https://transport.example.org/stops.geojson"
    assert by_name["Stops API"]["url"] == "https://transport.example.org/api/stops"
    assert by_name["Stops API"]["datastore_active"] is False
    assert pkg["maintainer_email"] is None  # no contact point


def test_stars_extra_agrees_with_the_dataset_rating(client, city):
    """The CKAN API rates plain rows, pages and DCAT rate the model (B8): both read the same facts."""
    from cityline.opendata.domain.stars import rating

    from django.db.models import Prefetch

    visible = Prefetch("distributions__versions", queryset=DistributionVersion.objects.visible())
    for dataset in Dataset.objects.filter(public=True).prefetch_related(visible):
        extras = {e["key"]: e["value"] for e in ok(client, "package_show", id=dataset.key)["extras"]}
        assert extras["stars"] == str(rating(dataset)["stars"]), dataset.key


def test_resource_show(client, city):
    dist = Distribution.objects.get(key="bus-stops-api")
    res = ok(client, "resource_show", id=str(dist.uuid))
    assert res["name"] == "Stops API" and res["format"] == "API"
    assert error(client, "resource_show", 404, "Not Found Error", id="00000000-0000-0000-0000-000000000000")
    noise = Dataset.objects.get(key="noise-draft")
    hidden = actions.create(Distribution, city=city, key="noise-csv", dataset=noise, title="Noise", format="CSV")
    assert error(client, "resource_show", 404, "Not Found Error", id=str(hidden.uuid))


def _air_resource(client) -> list[dict]:
    """The air quality CSV resource as resource_show, package_show and package_search describe it."""
    rid = air_id()
    found = [p for p in ok(client, "package_search", q="air", rows=100)["results"] if p["name"] == "air-quality"]
    packages = (ok(client, "package_show", id="air-quality"), found[0])
    return [ok(client, "resource_show", id=rid), *([r for r in p["resources"] if r["id"] == rid][0] for p in packages)]


def _fewer_rows(path: Path) -> Path:
    lines = path.read_text().splitlines()
    out = path.with_name("fewer.csv")
    out.write_text("\n".join(lines[:4]) + "\n")
    return out


@pytest.mark.parametrize("verdict", ["", "blocked"], ids=["not reviewed yet", "held back by the privacy gate"])
def test_a_version_the_public_may_not_get_is_not_described(client, city, tmp_path, verdict):
    """CKAN describes and serves the latest version anyone may get (DistributionVersion.public, the predicate
    the download, the pages and DCAT use), never a newer one the gate has not released: not its size, hash,
    rows, date or number, and not its rows through the DataStore (B8, B10)."""
    from cityline.opendata.models import PrivacyReview

    dist = Distribution.objects.get(key="air-quality-csv")
    v1 = dist.versions.get()
    assert v1.public
    v2 = upload(dist, _fewer_rows(sample_files(tmp_path / "v2")["air-quality-csv"]), number=2, review=False)
    if verdict:
        actions.create(PrivacyReview, city=city, dataset=dist.dataset, distribution_version=v2, result=verdict)
    DistributionVersion.objects.filter(pk=v2.pk).update(created_at=v1.created_at + dt.timedelta(days=1))
    v2.refresh_from_db()
    assert not v2.public and v2.row_count == 3 and v2.checksum != v1.checksum
    ckan.clear_cache()
    for res in _air_resource(client):
        assert (res["version"], res["rows"], res["size"]) == (1, 30, v1.byte_size), res
        assert res["hash"] == f"sha256:{v1.checksum}" and res["last_modified"] == ckan._iso(v1.created_at)
        assert res["datastore_active"] is True
    assert ok(client, "package_show", id="air-quality")["metadata_modified"] < ckan._iso(v2.created_at)
    assert ok(client, "datastore_search", resource_id=air_id(), limit=0)["total"] == 30  # v1's rows, not v2's
    [row] = ok(client, "datastore_search_sql", sql=f'SELECT count(*) AS n FROM "{air_id()}"')["records"]
    assert row["n"] == 30


def test_a_held_file_turned_into_a_link_describes_no_stored_version(client, city):
    """Its versions are no longer public (the download refuses them): CKAN shows the link only."""
    dist = Distribution.objects.get(key="air-quality-csv")
    actions.update(dist, kind="remote", access_url="https://example.org/air.csv")
    assert not dist.versions.get().public
    ckan.clear_cache()
    for res in _air_resource(client):
        assert res["url"] == "https://example.org/air.csv"
        assert (res["version"], res["rows"], res["size"], res["hash"], res["last_modified"]) == (
            None, None, None, "", None), res
        assert res["datastore_active"] is False
    assert error(client, "datastore_search", 404, "Not Found Error", resource_id=air_id())


def test_organizations_groups_and_tags(client, city):
    assert ok(client, "organization_list") == ["buses", "council"]  # title order: Testville Buses, … Council
    orgs = {o["name"]: o for o in ok(client, "organization_list", all_fields=True)}
    assert orgs["council"]["package_count"] == 2 and orgs["buses"]["package_count"] == 1
    assert orgs["council"]["is_organization"] is True
    assert ok(client, "organization_list", sort="package_count desc") == ["council", "buses"]
    shown = ok(client, "organization_show", id="council", include_datasets=True)
    assert shown["package_count"] == 2
    assert [p["name"] for p in shown["packages"]] == ["air-quality", "parking-permits"]
    assert ok(client, "organization_show", id=orgs["buses"]["id"])["name"] == "buses"
    assert "packages" not in ok(client, "organization_show", id="buses")
    assert error(client, "organization_show", 404, "Not Found Error", id="nobody")

    groups = {g["name"]: g for g in ok(client, "group_list", all_fields=True)}
    assert groups["transport"]["package_count"] == 2  # bus-stops, parking-permits
    assert groups["environment"]["package_count"] == 1  # noise-draft is not public
    assert ok(client, "group_list") == ["environment", "transport"]
    assert [p["name"] for p in ok(client, "group_show", id="environment", include_datasets=True)["packages"]] == [
        "air-quality"]

    assert ok(client, "tag_list") == ["air", "bus", "no2", "parking", "permits", "pm10", "stops"]
    assert ok(client, "tag_list", query="p") == ["parking", "permits", "pm10", "stops"]
    assert ok(client, "tag_list", all_fields=True)[0]["name"] == "air"


# ------------------------------------------------------------------ package_search

def names(result: dict) -> list[str]:
    return [p["name"] for p in result["results"]]


def test_search_q_matches_all_terms_over_title_notes_tags_and_organisation(client, city):
    assert names(ok(client, "package_search", q="air")) == ["air-quality"]
    assert names(ok(client, "package_search", q="readings sensors")) == ["air-quality"]  # title + notes
    assert ok(client, "package_search", q="air stops")["count"] == 0  # every term must match
    assert names(ok(client, "package_search", q="buses")) == ["bus-stops"]  # the organisation's name
    assert names(ok(client, "package_search", q="permit")) == ["parking-permits"]  # word beginnings
    assert ok(client, "package_search", q="*:*")["count"] == 3
    assert ok(client, "package_search")["count"] == 3


@pytest.mark.parametrize("fq, expected", [
    ("organization:council", ["air-quality", "parking-permits"]),
    ("groups:transport", ["bus-stops", "parking-permits"]),
    ("tags:no2", ["air-quality"]),
    ("res_format:CSV", ["air-quality", "parking-permits"]),
    ("res_format:csv", ["air-quality", "parking-permits"]),
    ("res_format:GeoJSON", ["bus-stops"]),
    ('license_id:"ODbL-1.0"', ["bus-stops"]),
    ("name:bus-stops", ["bus-stops"]),
    ("+organization:council +groups:transport", ["parking-permits"]),
    ("organization:council AND res_format:CSV AND tags:air", ["air-quality"]),
    ("groups:(environment OR transport)", ["air-quality", "bus-stops", "parking-permits"]),
    ("-organization:council", ["bus-stops"]),
    ("+dataset_type:dataset +state:active", ["air-quality", "bus-stops", "parking-permits"]),
    ("metadata_modified:[2000-01-01T00:00:00Z TO NOW]", ["air-quality", "bus-stops", "parking-permits"]),
    ("metadata_modified:[2999-01-01T00:00:00Z TO *]", []),
    # Solr date math on NOW (every dataset was modified just now)
    ("metadata_modified:[NOW-1YEAR TO NOW]", ["air-quality", "bus-stops", "parking-permits"]),
    ("metadata_modified:[* TO NOW-1DAY]", []),
    ("metadata_modified:[NOW/DAY TO NOW+1DAYS]", ["air-quality", "bus-stops", "parking-permits"]),
    ("metadata_created:[NOW+1MONTH TO *]", []),
    ("metadata_created:[NOW-2HOURS/HOUR TO *]", ["air-quality", "bus-stops", "parking-permits"]),
])
def test_search_fq(client, city, fq, expected):
    assert sorted(names(ok(client, "package_search", fq=fq, rows=100))) == expected


def test_search_q_with_fields_and_bad_queries(client, city):
    assert names(ok(client, "package_search", q="tags:bus")) == ["bus-stops"]
    err = error(client, "package_search", 400, "Search Query Error", fq="colour:blue")
    assert "colour" in err["message"]
    assert error(client, "package_search", 400, "Search Query Error", sort="popularity desc")
    assert error(client, "package_search", 400, "Search Query Error", fq="organization:council OR tags:x")
    err = error(client, "package_search", 400, "Search Query Error", fq="metadata_modified:[NOW-1FORTNIGHT TO NOW]")
    assert "NOW-1FORTNIGHT" in err["message"]


def test_date_math_on_now_adds_and_rounds_as_solr_does(monkeypatch):
    from cityline.opendata.domain import search as ds

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime(2024, 3, 31, 14, 35, 12, 500, tzinfo=tz)

    monkeypatch.setattr(ds.dt, "datetime", Clock)
    assert ds._date_math("NOW", "f") == dt.datetime(2024, 3, 31, 14, 35, 12, 500)
    assert ds._date_math("NOW-1MONTH", "f") == dt.datetime(2024, 2, 29, 14, 35, 12, 500)  # the month's last day
    assert ds._date_math("NOW-1YEAR/DAY", "f") == dt.datetime(2023, 3, 31)
    assert ds._date_math("NOW/MONTH+2DAYS", "f") == dt.datetime(2024, 3, 3)
    assert ds._date_math("NOW/YEAR", "f") == dt.datetime(2024, 1, 1)
    assert ds._date_math("now+36hours/minute", "f") == dt.datetime(2024, 4, 2, 2, 35)
    assert ds._date_math("NOW-90SECONDS/SECOND", "f") == dt.datetime(2024, 3, 31, 14, 33, 42)
    for bad in ("NOW-", "NOW-1", "NOW/FORTNIGHT", "NOW 1DAY", "NOWISH"):
        with pytest.raises(ds.SearchQueryError):
            ds._date_math(bad, "f")


def test_search_facets(client, city):
    result = ok(client, "package_search", **{"facet.field": ["organization", "res_format", "groups"]})
    assert result["facets"]["organization"] == {"council": 2, "buses": 1}
    assert result["facets"]["res_format"] == {"CSV": 2, "API": 1, "GeoJSON": 1}
    org_items = result["search_facets"]["organization"]["items"]
    assert org_items[0] == {"name": "council", "display_name": "Testville Council", "count": 2}
    assert result["search_facets"]["groups"]["title"] == "groups"
    # facets count the matching datasets only, facet.limit cuts the list
    narrowed = ok(client, "package_search", fq="groups:transport", **{"facet.field": ["tags"], "facet.limit": 2})
    assert narrowed["facets"]["tags"] == {"bus": 1, "parking": 1}
    assert ok(client, "package_search")["facets"] == {}


def test_search_sort_and_paging(client, city):
    assert names(ok(client, "package_search", sort="name asc")) == ["air-quality", "bus-stops", "parking-permits"]
    assert names(ok(client, "package_search", sort="title_string asc")) == [
        "air-quality", "bus-stops", "parking-permits"]  # Air…, Bus…, Parking…
    assert names(ok(client, "package_search", sort="name desc")) == ["parking-permits", "bus-stops", "air-quality"]
    default = ok(client, "package_search")
    assert default["sort"] == "score desc, metadata_modified desc"
    modified = [p["metadata_modified"] for p in default["results"]]
    assert modified == sorted(modified, reverse=True)
    # the newest change comes first
    actions.update(Dataset.objects.get(key="bus-stops"), description="Every bus stop, with shelters.")
    assert names(ok(client, "package_search", sort="metadata_modified desc"))[0] == "bus-stops"
    page = ok(client, "package_search", sort="name asc", rows=2, start=1)
    assert page["count"] == 3 and names(page) == ["bus-stops", "parking-permits"]
    assert ok(client, "package_search", rows=0)["results"] == []
    # score: a title match outranks a description match
    actions.update(Dataset.objects.get(key="parking-permits"), description="Permits for air travel parking.")
    assert names(ok(client, "package_search", q="air"))[0] == "air-quality"


def test_search_sees_changes_made_after_the_index_was_built(client, city, django_capture_on_commit_callbacks):
    assert ok(client, "package_search", q="ozone")["count"] == 0
    air = Dataset.objects.get(key="air-quality")
    # without on-commit callbacks (as another process would): the history check notices
    actions.update(air, title="Air quality and ozone readings")
    assert names(ok(client, "package_search", q="ozone")) == ["air-quality"]
    # with them: the signals of the catalogue models drop the index at commit
    with django_capture_on_commit_callbacks(execute=True):
        actions.update(Dataset.objects.get(key="air-quality"), published=False)
    assert city.pk not in ckan._CACHE
    assert ok(client, "package_search", q="ozone")["count"] == 0
    assert error(client, "package_show", 404, "Not Found Error", id="air-quality")


# ------------------------------------------------------------------ DataStore

def air_id() -> str:
    return str(Distribution.objects.get(key="air-quality-csv").uuid)


def test_datastore_search(client, city):
    rid = air_id()
    result = ok(client, "datastore_search", resource_id=rid, limit=5)
    assert result["total"] == 30 and len(result["records"]) == 5 and result["resource_id"] == rid
    types = {f["id"]: f["type"] for f in result["fields"]}
    assert types == {"station": "text", "time": "timestamp", "district": "text", "no2": "int", "pm10": "int"}
    assert result["records"][0]["station"] == "north-gate"
    assert result["_links"]["start"] == f"/testville/api/3/action/datastore_search?resource_id={rid}&limit=5"
    assert result["_links"]["next"].endswith("offset=5&limit=5")

    filtered = ok(client, "datastore_search", resource_id=rid, filters={"district": "south"}, sort="no2 desc",
                  fields="station,no2", limit=3, offset=1)
    assert filtered["total"] == 10
    assert filtered["records"] == [{"station": "mill-lane", "no2": 29}, {"station": "mill-lane", "no2": 28},
                                   {"station": "mill-lane", "no2": 27}]
    assert ok(client, "datastore_search", resource_id=rid, q="river")["total"] == 10
    lists = ok(client, "datastore_search", resource_id=rid, limit=1, fields=["station"], records_format="lists")
    assert lists["records"] == [["north-gate"]]


def test_datastore_sort_with_nulls_and_q_on_a_number_column(client, city):
    rid = air_id()
    result = ok(client, "datastore_search", resource_id=rid, sort="no2 desc nulls last", fields="no2", limit=1)
    assert result["records"] == [{"no2": 30}] and result["sort"] == "no2 desc nulls last"
    err = error(client, "datastore_search", 409, "Validation Error", resource_id=rid, q={"no2": "21"})
    assert "no2" in err["q"][0] and "not text" in err["q"][0] and "Binder" not in err["q"][0]


def test_datastore_search_errors(client, city):
    rid = air_id()
    err = error(client, "datastore_search", 409, "Validation Error", resource_id=rid, filters={"colour": "red"})
    assert "colour" in err["filters"][0]
    assert "sort" in error(client, "datastore_search", 409, "Validation Error", resource_id=rid, sort="nope")
    assert "limit" in error(client, "datastore_search", 409, "Validation Error", resource_id=rid, limit=-1)
    assert "resource_id" in error(client, "datastore_search", 409, "Validation Error")
    stops_api = str(Distribution.objects.get(key="bus-stops-api").uuid)  # not a table
    assert error(client, "datastore_search", 404, "Not Found Error", resource_id=stops_api)


def test_datastore_of_a_non_public_dataset_is_not_found(client, city, tmp_path):
    noise = Dataset.objects.get(key="noise-draft")
    hidden = actions.create(Distribution, city=city, key="noise-csv", dataset=noise, title="Noise", format="CSV")
    upload(hidden, sample_files(tmp_path / "more")["air-quality-csv"])
    assert error(client, "datastore_search", 404, "Not Found Error", resource_id=str(hidden.uuid))
    assert error(client, "datastore_search_sql", 404, "Not Found Error", sql=f'SELECT * FROM "{hidden.uuid}"')


def test_datastore_search_sql(client, city):
    rid = air_id()
    result = ok(client, "datastore_search_sql",
                sql=f'SELECT district, max(no2) AS top FROM "{rid}" GROUP BY district ORDER BY district')
    assert result["records"] == [{"district": "centre", "top": 30}, {"district": "north", "top": 30},
                                 {"district": "south", "top": 30}]
    assert {f["id"]: f["type"] for f in result["fields"]} == {"district": "text", "top": "int"}
    err = error(client, "datastore_search_sql", 409, "Validation Error", sql=f'DELETE FROM "{rid}"')
    assert "SELECT" in err["query"][0]
    assert error(client, "datastore_search_sql", 409, "Validation Error",
                 sql="SELECT * FROM read_csv('/etc/passwd')")
    assert "sql" in error(client, "datastore_search_sql", 409, "Validation Error")


# ------------------------------------------------------------------ take-up (B7.d, B8)

def api_calls() -> dict[tuple[str, str], int]:
    """API calls counted so far: {(dataset, distribution or ""): count}."""
    from cityline.opendata.models import TakeUpCount

    out: dict[tuple[str, str], int] = {}
    for row in TakeUpCount.objects.filter(kind="api").select_related("dataset", "distribution"):
        key = (row.dataset.key, row.distribution.key if row.distribution else "")
        out[key] = out.get(key, 0) + row.count
    return out


def test_calls_about_one_dataset_count_as_api_take_up(client, city):
    from cityline.opendata import takeup

    rid = air_id()
    stops_api = str(Distribution.objects.get(key="bus-stops-api").uuid)
    ok(client, "package_show", id="air-quality")
    ok(client, "package_show", id=str(Dataset.objects.get(key="air-quality").uuid))
    ok(client, "resource_show", id=stops_api)
    ok(client, "datastore_search", resource_id=rid, limit=1)
    ok(client, "datastore_search_sql", sql=f'SELECT count(*) AS n FROM "{rid}" a JOIN "{rid}" b USING (station)')
    assert api_calls() == {("air-quality", ""): 2, ("bus-stops", "bus-stops-api"): 1,
                           ("air-quality", "air-quality-csv"): 2}  # the SQL query counts once per table
    assert takeup.totals(Dataset.objects.get(key="air-quality"))["api"] == 4
    assert Dataset.objects.get(key="air-quality").take_up.first().city_id == city.pk


def test_searches_lists_and_failed_calls_do_not_count(client, city):
    rid = air_id()
    ok(client, "package_search", q="air")
    ok(client, "package_list")
    ok(client, "organization_show", id="council", include_datasets=True)
    error(client, "package_show", 404, "Not Found Error", id="noise-draft")
    error(client, "datastore_search", 409, "Validation Error", resource_id=rid, sort="nope")
    error(client, "datastore_search_sql", 409, "Validation Error", sql=f'DELETE FROM "{rid}"')
    assert api_calls() == {}


def test_index_and_a_page_of_packages_take_a_fixed_number_of_queries(client, city):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cityline.opendata.models import Theme

    def queries() -> tuple[int, int]:
        ckan.clear_cache()
        with CaptureQueriesContext(connection) as load:
            cat = ckan.load_catalogue(city)
        with CaptureQueriesContext(connection) as page:
            cat.packages(cat.index.search(rows=1000).entries)
        return len(load), len(page)

    before = queries()
    council = Dataset.objects.get(key="air-quality").publisher
    theme = Theme.objects.filter(city=city).first()
    for i in range(5):
        d = actions.create(Dataset, city=city, key=f"extra-{i}", title=f"Extra {i}", description="More data.", publisher=council,
                           licence="CC0-1.0", published=True, m2m={"themes": [theme]})
        actions.create(Distribution, city=city, key=f"extra-{i}-link", dataset=d, title="Link", kind="remote",
                       format="CSV", access_url=f"https://example.org/{i}.csv")
    assert ok(client, "package_search", q="extra")["count"] == 5
    assert queries() == before


# ------------------------------------------------------------------ field queries in q (CKAN: Solr's standard parser)

def test_search_q_title_field_is_a_query_on_the_title(client, city):
    assert names(ok(client, "package_search", q="title:air")) == ["air-quality"]
    assert names(ok(client, "package_search", q="title:Permits")) == ["parking-permits"]
    assert ok(client, "package_search", q="title:hourly")["count"] == 0  # a word of the description only
    assert sorted(names(ok(client, "package_search", q="title:(bus OR parking)"))) == ["bus-stops", "parking-permits"]


def test_search_q_notes_phrase_matches_adjacent_words(client, city):
    assert names(ok(client, "package_search", q='notes:"every bus stop"')) == ["bus-stops"]
    assert ok(client, "package_search", q='notes:"bus every stop"')["count"] == 0  # the words, not in this order
    assert ok(client, "package_search", q='notes:"bus stops"')["count"] == 0  # "Bus stops" is the title, not notes
    assert names(ok(client, "package_search", q='text:"bus stops"')) == ["bus-stops"]  # text: every field


def test_search_q_tags_and_keyword_fields_match_whole_values(client, city):
    assert names(ok(client, "package_search", q="tags:no2")) == ["air-quality"]
    assert ok(client, "package_search", q="tags:no")["count"] == 0  # a keyword field: no word beginnings
    assert sorted(names(ok(client, "package_search", q="res_format:CSV", rows=100))) == ["air-quality",
                                                                                         "parking-permits"]


def test_search_q_field_query_with_free_words(client, city):
    assert names(ok(client, "package_search", q="readings title:air")) == ["air-quality"]
    assert names(ok(client, "package_search", q="title:air readings sensors")) == ["air-quality"]
    assert ok(client, "package_search", q="title:air stops")["count"] == 0  # every part must match
    assert names(ok(client, "package_search", q="parking -title:bus", rows=100)) == ["parking-permits"]


def test_search_q_unknown_field_is_a_search_query_error(client, city):
    err = error(client, "package_search", 400, "Search Query Error", q="colour:blue")
    assert "colour" in err["message"]
    err = error(client, "package_search", 400, "Search Query Error", q="air author:dana")
    assert "author" in err["message"]
    assert names(ok(client, "package_search", q=r"air\:quality")) == ["air-quality"]  # an escaped colon is text
    assert ok(client, "package_search", q="https://data.example.org/air")["count"] == 0  # a web address is text
