"""The NGSI-LD subset (issue 6): every endpoint through Django's test client, its errors, idempotence,
tenants and who may read and write. The real ngsildclient drives it in test_ngsildclient.py."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from cityline.accounts import tokens
from cityline.accounts.roles import Role
from cityline.accounts.testing import grant
from cityline.core import actions
from cityline.core.models import City, Organisation
from cityline.observations import ingest
from cityline.observations.models import NgsiEntity, Series
from cityline.observations.ngsild import domain
from cityline.observations.registry import store_for

BASE = "/ngsi-ld/v1"
ERR = "https://uri.etsi.org/ngsi-ld/errors/"
QUAY = "urn:ngsi-ld:AirQualityObserved:quay"
MILL = "urn:ngsi-ld:AirQualityObserved:mill-lane"
JSON = "application/json"
LD = "application/ld+json"


def aqo(entity_id=QUAY, pm25=31.5, at="2026-03-01T10:00:00Z", district="harbour", **extra):
    body = {"id": entity_id, "type": "AirQualityObserved",
            "pm25": {"type": "Property", "value": pm25, "observedAt": at, "unitCode": "GQ"},
            "district": {"type": "Property", "value": district}}
    body.update(extra)
    return body


@pytest.fixture
def city(db, settings, tmp_path):
    settings.CITYLINE_OBSERVATIONS_DIR = tmp_path / "observations"  # each test its own store
    return City.objects.create(key="portbury", name="Portbury")


def token_for(user, scopes=("read", "write")) -> dict:
    _, raw = tokens.issue(user, name="sensors", scopes=list(scopes), trust_level=3)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def admin(city):
    user = get_user_model().objects.create_user("ops", password="a long enough password")
    grant(user, Role.PROGRAMME_ADMIN, city=city)
    return user


@pytest.fixture
def auth(admin):
    return token_for(admin)


def post(client, path, data, headers, content_type=JSON, **params):
    query = ("?" + "&".join(f"{k}={v}" for k, v in params.items())) if params else ""
    return client.post(BASE + path + query, json.dumps(data), content_type=content_type, **headers)


def readings(city, where="true") -> list[tuple]:
    return store_for(city).query(f"SELECT series, time, value FROM observations WHERE {where} ORDER BY series, time")


def problem(response, kind: str, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == JSON
    body = response.json()
    assert body["type"] == (ERR + kind if not kind.startswith("urn:") else kind), body
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# --- create, get, the mapping onto series ---------------------------------------------------


def test_create_makes_the_series_stores_the_reading_and_keeps_the_entity(client, city, admin, auth):
    response = post(client, "/entities", aqo(relatedTo={"type": "Relationship", "object": MILL},
                                             status={"type": "Property", "value": "ok"},
                                             no2={"type": "Property", "value": 12}), auth)
    assert response.status_code == 201, response.content
    assert response["Location"] == f"{BASE}/entities/{QUAY}"
    series = Series.objects.get(city=city, entity_id=QUAY)  # only pm25: no2 has no observedAt
    assert (series.key, series.group, series.entity_type, series.attribute, series.unit, series.district) == (
        "airqualityobserved-quay-pm25", "airqualityobserved", "AirQualityObserved", "pm25", "µg/m3", "harbour")
    assert not series.public
    assert series.history.first().history_user == admin  # created through the actions layer, as the caller
    assert [(s, v) for s, _, v in readings(city)] == [("airqualityobserved-quay-pm25", 31.5)]
    entity = NgsiEntity.objects.get(city=city, entity_id=QUAY)
    assert entity.entity_type == "AirQualityObserved"
    assert entity.body["relatedTo"] == {"type": "Relationship", "object": MILL}
    assert entity.body["status"]["value"] == "ok" and entity.body["no2"]["value"] == 12

    again = post(client, "/entities", aqo(pm25=40), auth)
    problem(again, "AlreadyExists", 409)
    assert len(readings(city)) == 1 and NgsiEntity.objects.get(entity_id=QUAY).body["pm25"]["value"] == 31.5


def test_get_entity_normalized_key_values_attrs_and_json_ld(client, city, auth):
    post(client, "/entities", aqo(), auth)
    normal = client.get(f"{BASE}/entities/{QUAY}", **auth)
    assert normal.status_code == 200 and normal["Content-Type"] == JSON
    assert normal.json()["pm25"] == {"type": "Property", "value": 31.5, "observedAt": "2026-03-01T10:00:00Z",
                                     "unitCode": "GQ"}
    assert "jsonldContexts/ngsi-ld-core-context-v1.8.jsonld" in normal["Link"] and "@context" not in normal.json()
    simple = client.get(f"{BASE}/entities/{QUAY}", {"options": "keyValues", "attrs": "pm25"}, **auth).json()
    assert simple == {"id": QUAY, "type": "AirQualityObserved", "pm25": 31.5}
    ld = client.get(f"{BASE}/entities/{QUAY}", {"options": "sysAttrs"}, HTTP_ACCEPT=LD, **auth)
    assert ld["Content-Type"] == LD
    assert ld.json()["@context"].endswith("/ngsi-ld/v1/jsonldContexts/ngsi-ld-core-context-v1.8.jsonld")
    assert ld.json()["createdAt"].endswith("Z")
    problem(client.get(f"{BASE}/entities/{MILL}", **auth), "ResourceNotFound", 404)
    problem(client.get(f"{BASE}/entities/not a uri", **auth), "BadRequestData", 400)
    assert client.get(f"{BASE}/entities/{QUAY}", HTTP_ACCEPT="text/html", **auth).status_code == 406


def test_expanded_core_terms_are_compacted_and_the_context_is_served_locally(client, city, auth):
    expanded = {"id": QUAY, "type": "https://uri.etsi.org/ngsi-ld/default-context/AirQualityObserved",
                "https://uri.etsi.org/ngsi-ld/default-context/pm25": {
                    "type": "https://uri.etsi.org/ngsi-ld/Property", "https://uri.etsi.org/ngsi-ld/hasValue": 20,
                    "https://uri.etsi.org/ngsi-ld/observedAt": "2026-03-01T11:00:00+01:00"},
                "@context": ["https://smartdatamodels.org/context.jsonld", domain.CORE_CONTEXT_URI]}
    assert post(client, "/entities", expanded, auth, content_type=LD).status_code == 201
    body = NgsiEntity.objects.get(entity_id=QUAY).body
    assert body["type"] == "AirQualityObserved"
    assert body["pm25"] == {"type": "Property", "value": 20, "observedAt": "2026-03-01T10:00:00Z"}
    assert "@context" not in body
    served = client.get(f"{BASE}/jsonldContexts/ngsi-ld-core-context-v1.8.jsonld")
    assert served.status_code == 200 and served["Content-Type"] == LD
    context = json.loads(b"".join(served.streaming_content))["@context"]
    assert context["observedAt"] == {"@id": "ngsi-ld:observedAt", "@type": "DateTime"}
    assert context["@vocab"] == "https://uri.etsi.org/ngsi-ld/default-context/"
    problem(client.get(f"{BASE}/jsonldContexts/other.jsonld"), "ResourceNotFound", 404)


# --- batch operations and idempotence ---------------------------------------------------------


def test_batch_upsert_creates_then_replaces_and_stores_each_reading_once(client, city, auth):
    batch = [aqo(), aqo(MILL, pm25=12.0, district="mill")]
    first = post(client, "/entityOperations/upsert", batch, auth)
    assert first.status_code == 201 and sorted(first.json()) == [MILL, QUAY]
    again = post(client, "/entityOperations/upsert", batch, auth)
    assert again.status_code == 204
    assert len(readings(city)) == 2  # the same upsert twice: each reading once
    assert Series.objects.filter(city=city).count() == 2 and NgsiEntity.objects.filter(city=city).count() == 2

    later = aqo(pm25=27.0, at="2026-03-01T11:00:00Z")
    del later["district"]
    assert post(client, "/entityOperations/upsert", [later], auth).status_code == 204
    assert "district" not in NgsiEntity.objects.get(entity_id=QUAY).body  # replace (the default)
    merge = {"id": QUAY, "type": "AirQualityObserved", "district": {"type": "Property", "value": "quay"}}
    assert post(client, "/entityOperations/upsert", [merge], auth, options="update").status_code == 204
    body = NgsiEntity.objects.get(entity_id=QUAY).body
    assert body["district"]["value"] == "quay" and body["pm25"]["value"] == 27.0  # update merges
    assert [v for _, _, v in readings(city, "series = 'airqualityobserved-quay-pm25'")] == [31.5, 27.0]


def test_a_batch_upsert_of_known_and_new_entities_keeps_creation_times_and_moves_modification_times(
        client, city, auth):
    known = [aqo(f"urn:ngsi-ld:AirQualityObserved:s{i}", pm25=10.0 + i) for i in range(5)]
    assert post(client, "/entityOperations/upsert", known, auth).status_code == 201
    before = {e.entity_id: (e.created_at, e.modified_at) for e in NgsiEntity.objects.filter(city=city)}
    later = [aqo(e["id"], pm25=50.0 + i, at="2026-03-01T11:00:00Z", district="quay") for i, e in enumerate(known)]
    later.append(aqo(MILL, pm25=7.0))
    answer = post(client, "/entityOperations/upsert", later, auth)
    assert answer.status_code == 201 and answer.json() == [MILL]  # 201 lists the entities created
    after = {e.entity_id: e for e in NgsiEntity.objects.filter(city=city)}
    assert len(after) == 6
    for i, entity in enumerate(known):
        row = after[entity["id"]]
        assert row.body["pm25"]["value"] == 50.0 + i and row.body["district"]["value"] == "quay"
        assert row.created_at == before[entity["id"]][0] and row.modified_at > before[entity["id"]][1]
    assert after[MILL].created_at == after[MILL].modified_at and after[MILL].body["pm25"]["value"] == 7.0
    assert len(readings(city)) == 11


@pytest.mark.parametrize("mode", ["replace", "update"])
def test_a_write_without_a_type_keeps_the_known_entity_s_type(client, city, admin, auth, mode):
    """The broker takes a known entity's type when a write gives none (the HTTP batch paths require one)."""
    from cityline.accounts.authz import principal_for_user
    from cityline.observations.ngsild import broker

    assert post(client, "/entityOperations/upsert", [aqo()], auth).status_code == 201
    pm25 = {"type": "Property", "value": 9.5, "observedAt": "2026-03-01T12:00:00Z"}
    outcome = broker.write(city, principal_for_user(admin), [domain.Entity(QUAY, "", {"pm25": pm25})], mode=mode)
    assert (outcome.updated, outcome.errors, outcome.readings) == ([QUAY], [], 1)
    row = NgsiEntity.objects.get(entity_id=QUAY)
    assert row.entity_type == row.body["type"] == "AirQualityObserved"
    assert ("district" in row.body) == (mode == "update")  # merged into the known body, or replaced
    assert [v for _, _, v in readings(city, "series = 'airqualityobserved-quay-pm25'")] == [31.5, 9.5]
    unknown = domain.Entity("urn:ngsi-ld:AirQualityObserved:dock", "", {"pm25": pm25})
    assert "type: missing" in str(broker.write(city, principal_for_user(admin), [unknown], mode=mode).errors[0])


def test_batch_upsert_reports_each_bad_entity_and_stores_the_others(client, city, auth):
    bad_time = aqo(MILL, at="yesterday")
    no_type = {"id": "urn:ngsi-ld:AirQualityObserved:dock"}
    response = post(client, "/entityOperations/upsert", [aqo(), bad_time, no_type, "nonsense"], auth)
    assert response.status_code == 207, response.content
    body = response.json()
    assert body["success"] == [QUAY]
    errors = {e["entityId"]: e["error"] for e in body["errors"]}
    assert set(errors) == {MILL, "urn:ngsi-ld:AirQualityObserved:dock", ""}
    assert errors[MILL]["type"] == ERR + "BadRequestData" and "pm25.observedAt" in errors[MILL]["detail"]
    assert "type: missing" in errors["urn:ngsi-ld:AirQualityObserved:dock"]["detail"]
    assert "[3]" in errors[""]["detail"]
    assert list(NgsiEntity.objects.values_list("entity_id", flat=True)) == [QUAY]
    assert len(readings(city)) == 1 and not Series.objects.filter(entity_id=MILL).exists()


def test_batch_create_refuses_existing_entities_one_by_one(client, city, auth):
    assert post(client, "/entityOperations/create", [aqo()], auth).status_code == 201
    response = post(client, "/entityOperations/create", [aqo(), aqo(MILL)], auth)
    assert response.status_code == 207
    assert response.json()["success"] == [MILL]
    assert [(e["entityId"], e["error"]["type"]) for e in response.json()["errors"]] == [(QUAY, ERR + "AlreadyExists")]
    problem(post(client, "/entityOperations/upsert", [], auth), "BadRequestData", 400)
    problem(post(client, "/entityOperations/upsert", aqo(), auth), "BadRequestData", 400)


def test_readings_go_through_the_one_write_path(client, city, auth):
    seen = []
    ingest.AFTER_WRITE.append(lambda c, table: seen.append((c.key, table.num_rows)))
    try:
        post(client, "/entityOperations/upsert", [aqo(), aqo(MILL)], auth)
    finally:
        ingest.AFTER_WRITE.pop()
    assert seen == [("portbury", 2)]  # what the alert rules hook onto


# --- PATCH and POST attributes, DELETE -------------------------------------------------------


def test_patch_updates_existing_attributes_and_feeds_the_series(client, city, auth):
    post(client, "/entities", aqo(), auth)
    patch = {"pm25": {"type": "Property", "value": 44.0, "observedAt": "2026-03-01T10:15:00Z"}}
    response = client.patch(f"{BASE}/entities/{QUAY}/attrs", json.dumps(patch), content_type=JSON, **auth)
    assert response.status_code == 204, response.content
    assert [v for _, _, v in readings(city)] == [31.5, 44.0]
    assert NgsiEntity.objects.get(entity_id=QUAY).body["district"]["value"] == "harbour"  # kept

    mixed = {"pm25": {"type": "Property", "value": 45.0, "observedAt": "2026-03-01T10:30:00Z"},
             "no2": {"type": "Property", "value": 9, "observedAt": "2026-03-01T10:30:00Z"}}
    response = client.patch(f"{BASE}/entities/{QUAY}/attrs", json.dumps(mixed), content_type=JSON, **auth)
    assert response.status_code == 207
    assert response.json()["updated"] == ["pm25"]
    assert response.json()["notUpdated"][0]["attributeName"] == "no2"
    assert not Series.objects.filter(attribute="no2").exists()

    appended = client.post(f"{BASE}/entities/{QUAY}/attrs", json.dumps(mixed), content_type=JSON, **auth)
    assert appended.status_code == 204
    assert Series.objects.get(attribute="no2").key == "airqualityobserved-quay-no2"
    keep = client.post(f"{BASE}/entities/{QUAY}/attrs?options=noOverwrite",
                       json.dumps({"pm25": {"type": "Property", "value": 1}}), content_type=JSON, **auth)
    assert keep.status_code == 207 and NgsiEntity.objects.get(entity_id=QUAY).body["pm25"]["value"] == 45.0
    missing = client.patch(f"{BASE}/entities/{MILL}/attrs", json.dumps(patch), content_type=JSON, **auth)
    problem(missing, "ResourceNotFound", 404)


def test_delete_forgets_the_entity_but_keeps_its_series_and_readings(client, city, auth):
    post(client, "/entities", aqo(), auth)
    assert client.delete(f"{BASE}/entities/{QUAY}", **auth).status_code == 204
    assert not NgsiEntity.objects.exists()
    assert Series.objects.filter(entity_id=QUAY).exists() and len(readings(city)) == 1
    problem(client.delete(f"{BASE}/entities/{QUAY}", **auth), "ResourceNotFound", 404)
    assert post(client, "/entities", aqo(), auth).status_code == 201  # and it can come back


# --- one attribute: PATCH and DELETE /entities/{id}/attrs/{attr} ---------------------------------


def patch_attr(client, entity_id, name, fragment, headers, content_type=JSON, **params):
    query = ("?" + "&".join(f"{k}={v}" for k, v in params.items())) if params else ""
    return client.patch(f"{BASE}/entities/{entity_id}/attrs/{name}{query}", json.dumps(fragment),
                        content_type=content_type, **headers)


def test_patch_one_attribute_merges_the_fragment_and_records_the_reading(client, city, auth):
    post(client, "/entities", aqo(no2={"type": "Property", "value": 3, "unitCode": "GQ"}), auth)
    response = patch_attr(client, QUAY, "pm25", {"value": 44.0, "observedAt": "2026-03-01T11:15:00+01:00"}, auth)
    assert response.status_code == 204 and response.content == b""
    body = NgsiEntity.objects.get(entity_id=QUAY).body
    # the fragment's members replace the instance's; its other members (unitCode) and attributes stay
    assert body["pm25"] == {"type": "Property", "value": 44.0, "observedAt": "2026-03-01T10:15:00Z", "unitCode": "GQ"}
    assert body["district"] == {"type": "Property", "value": "harbour"}
    assert [(s, v) for s, _, v in readings(city)] == [("airqualityobserved-quay-pm25", 31.5),
                                                      ("airqualityobserved-quay-pm25", 44.0)]
    # a new value without observedAt would keep the instance's: refused, it would rewrite the reading at that time
    problem(patch_attr(client, QUAY, "pm25", {"value": 45.0}, auth), "BadRequestData", 400)
    assert NgsiEntity.objects.get(entity_id=QUAY).body["pm25"]["value"] == 44.0
    # a correction names the time of the reading it corrects
    assert patch_attr(client, QUAY, "pm25", {"value": 45.0, "observedAt": "2026-03-01T10:15:00Z"},
                      auth).status_code == 204
    assert [v for _, _, v in readings(city)] == [31.5, 45.0]
    # an attribute that becomes a reading (a number with observedAt) gets its series, as PATCH .../attrs makes it
    assert not Series.objects.filter(attribute="no2").exists()
    ld = {"type": "Property", "observedAt": "2026-03-01T10:00:00Z", "@context": domain.CORE_CONTEXT_URI}
    assert patch_attr(client, QUAY, "no2", ld, auth, content_type=LD).status_code == 204
    assert Series.objects.get(attribute="no2").unit == "µg/m3"
    assert [v for s, _, v in readings(city) if s.endswith("no2")] == [3.0]
    assert "@context" not in NgsiEntity.objects.get(entity_id=QUAY).body["no2"]
    # a Relationship's object
    post(client, "/entities", {"id": MILL, "type": "Thing", "near": {"type": "Relationship", "object": QUAY}}, auth)
    dock = "urn:ngsi-ld:AirQualityObserved:dock"
    assert patch_attr(client, MILL, "near", {"type": "Relationship", "object": dock}, auth).status_code == 204
    assert NgsiEntity.objects.get(entity_id=MILL).body["near"] == {"type": "Relationship", "object": dock}
    # a GeoProperty's new geometry, normalized or concise (the geometry alone)
    located = {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.1, 48.1]}}
    assert client.post(f"{BASE}/entities/{MILL}/attrs", json.dumps({"location": located}), content_type=JSON,
                       **auth).status_code == 204
    moved = {"type": "Point", "coordinates": [2.2, 48.2]}
    assert patch_attr(client, MILL, "location", moved, auth).status_code == 204
    assert NgsiEntity.objects.get(entity_id=MILL).body["location"] == {**located, "value": moved}
    off_the_map = {"value": {**moved, "coordinates": [2.2, 98.2]}}
    problem(patch_attr(client, MILL, "location", off_the_map, auth), "BadRequestData", 400)


def test_patch_one_attribute_updates_the_instance_its_dataset_id_names(client, city, auth):
    sensor_b = "urn:ngsi-ld:Dataset:sensorB"
    entity = {"id": QUAY, "type": "WeatherObserved", "temperature": [
        {"type": "Property", "value": 10.5, "observedAt": "2026-03-01T10:00:00Z"},
        {"type": "Property", "value": 11.5, "observedAt": "2026-03-01T10:00:00Z", "datasetId": sensor_b}]}
    assert post(client, "/entities", entity, auth).status_code == 201
    assert patch_attr(client, QUAY, "temperature", {"value": 12.5, "datasetId": sensor_b,
                                                    "observedAt": "2026-03-01T10:00:00Z"}, auth).status_code == 204
    stored = NgsiEntity.objects.get(entity_id=QUAY).body["temperature"]
    assert [(i.get("datasetId"), i["value"]) for i in stored] == [(None, 10.5), (sensor_b, 12.5)]
    unknown = patch_attr(client, QUAY, "temperature", {"value": 1, "datasetId": "urn:ngsi-ld:Dataset:other"}, auth)
    assert "urn:ngsi-ld:Dataset:other" in problem(unknown, "ResourceNotFound", 404)["detail"]
    detail = problem(patch_attr(client, QUAY, "temperature", {"value": 1}, auth, datasetId=sensor_b),
                     "BadRequestData", 400)["detail"]
    assert detail.startswith("datasetId:")
    only_b = {"id": MILL, "type": "WeatherObserved",
              "temperature": {"type": "Property", "value": 9, "datasetId": sensor_b}}
    assert post(client, "/entities", only_b, auth).status_code == 201
    no_default = patch_attr(client, MILL, "temperature", {"value": 8}, auth)
    assert "default" in problem(no_default, "ResourceNotFound", 404)["detail"]
    assert NgsiEntity.objects.get(entity_id=MILL).body["temperature"]["value"] == 9


def test_patch_one_attribute_answers_404_or_400_and_changes_nothing(client, city, auth):
    post(client, "/entities", aqo(location={"type": "GeoProperty",
                                            "value": {"type": "Point", "coordinates": [2.1, 48.1]}}), auth)
    before = NgsiEntity.objects.get(entity_id=QUAY).body
    detail = problem(patch_attr(client, MILL, "pm25", {"value": 1}, auth), "ResourceNotFound", 404)["detail"]
    assert MILL in detail
    detail = problem(patch_attr(client, QUAY, "no2", {"value": 1}, auth), "ResourceNotFound", 404)["detail"]
    assert QUAY in detail and "'no2'" in detail
    for fragment, named in (({}, "pm25"), ([{"type": "Property", "value": 1}], "pm25"), (7, "pm25"),
                            ({"type": "Relationship", "object": MILL}, "pm25.type"),
                            ({"object": MILL}, "'object'"),
                            ({"value": None, "observedAt": "2026-03-01T10:00:00Z"}, "pm25.value"),
                            ({"value": 1}, "a new value needs its observedAt"),
                            ({"observedAt": "yesterday"}, "pm25.observedAt")):
        detail = problem(patch_attr(client, QUAY, "pm25", fragment, auth), "BadRequestData", 400)["detail"]
        assert QUAY in detail and named in detail, (fragment, detail)
    detail = problem(patch_attr(client, QUAY, "location", {"value": {"type": "Point", "coordinates": [48.1, 200]}},
                                auth), "BadRequestData", 400)["detail"]
    assert detail.startswith(f"{QUAY}: location.value.coordinates: latitude 200")
    for name in ("type", "id", "bad name"):
        detail = problem(patch_attr(client, QUAY, name, {"value": 1}, auth), "BadRequestData", 400)["detail"]
        assert detail.startswith("attribute name in the address"), detail
    with_context = {"value": 1, "@context": domain.CORE_CONTEXT_URI}
    problem(patch_attr(client, QUAY, "pm25", with_context, auth), "BadRequestData", 400)
    problem(patch_attr(client, QUAY, "pm25", {"value": 1}, auth, content_type=LD), "BadRequestData", 400)
    assert NgsiEntity.objects.get(entity_id=QUAY).body == before and len(readings(city)) == 1


def test_delete_one_attribute_forgets_it_but_keeps_its_series_and_readings(client, city, auth):
    post(client, "/entities", aqo(), auth)
    modified = NgsiEntity.objects.get(entity_id=QUAY).modified_at
    response = client.delete(f"{BASE}/entities/{QUAY}/attrs/pm25", **auth)
    assert response.status_code == 204 and response.content == b""
    row = NgsiEntity.objects.get(entity_id=QUAY)
    assert row.body == {"id": QUAY, "type": "AirQualityObserved", "district": {"type": "Property", "value": "harbour"}}
    assert row.modified_at > modified
    assert Series.objects.filter(entity_id=QUAY, attribute="pm25").exists() and len(readings(city)) == 1
    assert client.get(f"{BASE}/temporal/entities/{QUAY}", **auth).json()["pm25"][0]["value"] == 31.5
    detail = problem(client.delete(f"{BASE}/entities/{QUAY}/attrs/pm25", **auth), "ResourceNotFound", 404)["detail"]
    assert QUAY in detail and "'pm25'" in detail
    problem(client.delete(f"{BASE}/entities/{MILL}/attrs/pm25", **auth), "ResourceNotFound", 404)
    problem(client.delete(f"{BASE}/entities/{QUAY}/attrs/type", **auth), "BadRequestData", 400)
    # and it can come back, its readings to the same series
    assert patch_attr(client, QUAY, "pm25", {"value": 1}, auth).status_code == 404  # (a partial update needs it)
    again = {"pm25": {"type": "Property", "value": 33.0, "observedAt": "2026-03-01T11:00:00Z"}}
    assert client.post(f"{BASE}/entities/{QUAY}/attrs", json.dumps(again), content_type=JSON, **auth).status_code == 204
    assert [v for _, _, v in readings(city)] == [31.5, 33.0] and Series.objects.filter(entity_id=QUAY).count() == 1


def test_delete_one_attribute_by_dataset_id_or_all_of_its_instances(client, city, auth):
    sensor_b, sensor_c = "urn:ngsi-ld:Dataset:sensorB", "urn:ngsi-ld:Dataset:sensorC"

    def temperature(*datasets):
        return [{"type": "Property", "value": 10 + i, **({"datasetId": ds} if ds else {})}
                for i, ds in enumerate(datasets)]

    def stored():
        value = NgsiEntity.objects.get(entity_id=QUAY).body.get("temperature")
        return value if value is None or isinstance(value, dict) else [i.get("datasetId") for i in value]

    def delete(**params):  # (the test client's delete sends data as the body: the parameters go in the address)
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return client.delete(f"{BASE}/entities/{QUAY}/attrs/temperature?{query}", **auth)

    entity = {"id": QUAY, "type": "WeatherObserved", "temperature": temperature(None, sensor_b, sensor_c)}
    assert post(client, "/entities", entity, auth).status_code == 201
    assert delete(datasetId=sensor_b).status_code == 204 and stored() == [None, sensor_c]
    assert sensor_b in problem(delete(datasetId=sensor_b), "ResourceNotFound", 404)["detail"]
    assert delete().status_code == 204  # the default instance
    assert stored() == {"type": "Property", "value": 12, "datasetId": sensor_c}  # one instance left: an object
    assert "default" in problem(delete(), "ResourceNotFound", 404)["detail"]
    assert problem(delete(deleteAll="yes"), "BadRequestData", 400)["detail"].startswith("deleteAll:")
    assert problem(delete(deleteAll="true", datasetId=sensor_c), "BadRequestData", 400)["detail"].startswith(
        "datasetId:")
    assert stored() == {"type": "Property", "value": 12, "datasetId": sensor_c}
    NgsiEntity.objects.filter(entity_id=QUAY).update(body={**entity, "temperature": temperature(None, sensor_b)})
    assert delete(deleteAll="true").status_code == 204 and stored() is None
    problem(delete(deleteAll="true"), "ResourceNotFound", 404)


def test_one_attribute_operations_need_a_writer_as_every_write(client, city, admin, auth):
    post(client, "/entities", aqo(), auth)
    before = NgsiEntity.objects.get(entity_id=QUAY).body
    fragment = {"value": 50.0, "observedAt": "2026-03-01T12:00:00Z"}
    read_only = token_for(admin, ["read"])
    for headers, kind, status in (({}, "not-authenticated", 401), (read_only, "forbidden", 403),
                                  ({"HTTP_AUTHORIZATION": "Bearer cl_not-a-token"}, "not-authenticated", 401)):
        problem(patch_attr(client, QUAY, "pm25", fragment, headers), f"urn:cityline:problem:{kind}", status)
        problem(client.delete(f"{BASE}/entities/{QUAY}/attrs/pm25", **headers), f"urn:cityline:problem:{kind}", status)
    client.force_login(admin)  # a session is no credential for writes
    problem(patch_attr(client, QUAY, "pm25", fragment, {}), "urn:cityline:problem:not-authenticated", 401)
    problem(client.delete(f"{BASE}/entities/{QUAY}/attrs/pm25"), "urn:cityline:problem:not-authenticated", 401)
    client.logout()
    # the right to feed the series: a data steward of another organisation may not
    mill = Organisation.objects.create(city=city, key="mill-trust", name="Mill trust", sector="public")
    steward = get_user_model().objects.create_user("steward", password="a long enough password")
    grant(steward, Role.DATA_STEWARD, organisation=mill)
    detail = problem(patch_attr(client, QUAY, "pm25", fragment, token_for(steward)),
                     "urn:cityline:problem:forbidden", 403)["detail"]
    assert "airqualityobserved-quay-pm25" in detail
    assert NgsiEntity.objects.get(entity_id=QUAY).body == before and len(readings(city)) == 1


# --- query ----------------------------------------------------------------------------------


def test_query_by_type_and_q_on_latest_values(client, city, auth):
    post(client, "/entityOperations/upsert", [
        aqo(), aqo(MILL, pm25=12.0, district="mill"),
        aqo("urn:ngsi-ld:AirQualityObserved:dock", pm25=26.0, district="harbour"),
        {"id": "urn:ngsi-ld:TrafficFlowObserved:quay-road", "type": "TrafficFlowObserved",
         "intensity": {"type": "Property", "value": 300, "observedAt": "2026-03-01T10:00:00Z"}},
    ], auth)

    def ids(**params):
        response = client.get(f"{BASE}/entities", params, **auth)
        assert response.status_code == 200, response.content
        return [e["id"] for e in response.json()]

    assert ids(type="AirQualityObserved", q='pm25>25;district=="harbour"') == [
        "urn:ngsi-ld:AirQualityObserved:dock", QUAY]
    assert ids(type="AirQualityObserved", q="pm25<=12|pm25>30") == [MILL, QUAY]
    assert ids(type="AirQualityObserved", q="pm25==20..30") == ["urn:ngsi-ld:AirQualityObserved:dock"]
    assert ids(type="AirQualityObserved", q='district=="mill","harbour";(pm25>30|pm25<20)') == [MILL, QUAY]
    assert ids(type="AirQualityObserved", q="pm25.observedAt>=2026-03-01T10:00:00Z;pm25!=26") == [MILL, QUAY]
    assert ids(q="intensity") == ["urn:ngsi-ld:TrafficFlowObserved:quay-road"]
    assert ids(type="AirQualityObserved,TrafficFlowObserved", limit=2, offset=3) == [
        "urn:ngsi-ld:TrafficFlowObserved:quay-road"]
    counted = client.get(f"{BASE}/entities", {"type": "AirQualityObserved", "count": "true", "limit": 0}, **auth)
    assert counted.json() == [] and counted["NGSILD-Results-Count"] == "3"
    projected = client.get(f"{BASE}/entities", {"type": "AirQualityObserved", "attrs": "district",
                                               "options": "keyValues", "limit": 1}, **auth).json()
    assert projected == [{"id": "urn:ngsi-ld:AirQualityObserved:dock", "type": "AirQualityObserved",
                          "district": "harbour"}]
    assert ids(type="None") == []  # what ngsildclient asks on connect

    detail = problem(client.get(f"{BASE}/entities", {"type": "AirQualityObserved", "q": "pm25>>3"}, **auth),
                     "BadRequestData", 400)["detail"]
    assert "q:" in detail and "character 6" in detail
    problem(client.get(f"{BASE}/entities", {"q": 'name~="x.*"'}, **auth), "BadRequestData", 400)
    problem(client.get(f"{BASE}/entities", **auth), "BadRequestData", 400)
    problem(client.get(f"{BASE}/entities", {"type": "AirQualityObserved", "limit": "many"}, **auth),
            "BadRequestData", 400)
    problem(client.get(f"{BASE}/entities", {"type": "AirQualityObserved", "limit": 5000}, **auth),
            "TooManyResults", 403)


# --- temporal -------------------------------------------------------------------------------


def test_temporal_retrieval_from_the_observation_store(client, city, auth):
    post(client, "/entityOperations/upsert",
         [aqo(pm25=float(10 + h), at=f"2026-03-01T{h:02d}:00:00Z",
              no2={"type": "Property", "value": 20 + h, "observedAt": f"2026-03-01T{h:02d}:00:00Z"})
          for h in range(6)], auth)
    url = f"{BASE}/temporal/entities/{QUAY}"

    def values(**params):
        response = client.get(url, params, **auth)
        assert response.status_code == 200, response.content
        return response.json()

    everything = values()
    assert [i["value"] for i in everything["pm25"]] == [10, 11, 12, 13, 14, 15]
    assert everything["pm25"][0] == {"type": "Property", "value": 10.0, "observedAt": "2026-03-01T00:00:00Z",
                                     "unitCode": "GQ"}
    assert [i["value"] for i in everything["no2"]] == [20, 21, 22, 23, 24, 25]
    between = values(attrs="pm25", timerel="between", timeAt="2026-03-01T01:00:00Z",
                     endTimeAt="2026-03-01T03:00:00Z")
    assert set(between) == {"id", "type", "pm25"} and [i["value"] for i in between["pm25"]] == [11, 12]
    assert [i["value"] for i in values(attrs="pm25", timerel="before", timeAt="2026-03-01T02:00:00Z")["pm25"]] == [
        10, 11]
    assert [i["value"] for i in values(attrs="pm25", timerel="after", timeAt="2026-03-01T04:00:00Z")["pm25"]] == [
        14, 15]
    assert [i["value"] for i in values(attrs="pm25", lastN=2)["pm25"]] == [14, 15]
    simple = values(attrs="no2", options="temporalValues", lastN=1)
    assert simple["no2"] == {"type": "Property", "values": [[25.0, "2026-03-01T05:00:00Z"]]}

    problem(client.get(url, {"timerel": "between", "timeAt": "2026-03-01T01:00:00Z"}, **auth), "BadRequestData", 400)
    problem(client.get(url, {"timerel": "during", "timeAt": "2026-03-01T01:00:00Z"}, **auth), "BadRequestData", 400)
    problem(client.get(url, {"timerel": "after"}, **auth), "BadRequestData", 400)
    problem(client.get(url, {"lastN": "0"}, **auth), "BadRequestData", 400)
    problem(client.get(f"{BASE}/temporal/entities/{MILL}", **auth), "ResourceNotFound", 404)
    # representations the subset does not give are refused, never answered in another one
    for params in ({"options": "concise"}, {"format": "concise"}, {"options": "keyValues"}):
        problem(client.get(url, params, **auth), "OperationNotSupported", 422)


def test_temporal_serves_series_fed_by_other_paths(client, city, admin, auth):
    """A series with an entity id, fed by MQTT or files, answers the temporal query without an NGSI-LD entity."""
    actions.create(Series, user=admin, city=city, key="quay-no2", name="Quay NO2", group="air",
                   entity_type="AirQualityObserved", entity_id=QUAY, attribute="no2")
    ingest.write_observations(city, [{"series": "quay-no2", "time": domain.parse_time("2026-03-01T10:00:00Z", "t"),
                                      "value": 17.0}])
    troe = client.get(f"{BASE}/temporal/entities/{QUAY}", **auth).json()
    assert troe == {"id": QUAY, "type": "AirQualityObserved",
                    "no2": [{"type": "Property", "value": 17.0, "observedAt": "2026-03-01T10:00:00Z"}]}


# --- positions, ids and addresses -------------------------------------------------------------


def test_a_location_point_with_decimal_coordinates_positions_the_new_series(client, city, auth):
    """Floats like 48.1 used to reach the DecimalField as 48.1000000 (7 places) and no series could be made."""
    def located(entity_id, lon, lat):
        return aqo(entity_id, location={"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}})

    assert post(client, "/entities", located(QUAY, 2.1, 48.1), auth).status_code == 201
    batch = [located(MILL, -3.70379, 40.41678), located("urn:ngsi-ld:AirQualityObserved:dock", 4.3520014, 50.846557)]
    response = post(client, "/entityOperations/upsert", batch, auth)
    assert response.status_code == 201, response.content
    positions = {s.entity_id: (s.latitude, s.longitude) for s in Series.objects.filter(city=city)}
    assert positions == {QUAY: (Decimal("48.1"), Decimal("2.1")), MILL: (Decimal("40.41678"), Decimal("-3.70379")),
                         "urn:ngsi-ld:AirQualityObserved:dock": (Decimal("50.846557"), Decimal("4.352001"))}
    assert len(readings(city)) == 3


def located(entity_id, geometry, **extra):
    return aqo(entity_id, location={"type": "GeoProperty", "value": geometry}, **extra)


SQUARE = [[2.0, 48.0], [2.1, 48.0], [2.1, 48.1], [2.0, 48.1], [2.0, 48.0]]


@pytest.mark.parametrize("geometry", [
    {"type": "Point", "coordinates": [-180, 90]},
    {"type": "Point", "coordinates": [2.1, 48.1, 35.5], "bbox": [2.1, 48.1, 2.1, 48.1]},
    {"type": "MultiPoint", "coordinates": [[2.1, 48.1], [2.2, 48.2]]},
    {"type": "LineString", "coordinates": [[2.1, 48.1], [2.2, 48.2]]},
    {"type": "MultiLineString", "coordinates": [[[2.1, 48.1], [2.2, 48.2]], [[0, 0], [1, 1], [2, 2]]]},
    {"type": "Polygon", "coordinates": [SQUARE]},
    {"type": "Polygon", "coordinates": [SQUARE[::-1]]},  # the right-hand rule is not enforced (RFC 7946, 3.1.6)
    {"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]},
    {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [2.1, 48.1]},
                                                  {"type": "Polygon", "coordinates": [SQUARE]}]},
])
def test_a_geo_property_takes_each_geojson_geometry_type(client, city, auth, geometry):
    assert post(client, "/entities", located(QUAY, geometry), auth).status_code == 201
    assert NgsiEntity.objects.get(entity_id=QUAY).body["location"] == {"type": "GeoProperty", "value": geometry}


@pytest.mark.parametrize(("value", "said"), [
    ("POINT(2.1 48.1)", "location.value: a GeoProperty's value is a GeoJSON geometry object"),
    (None, "location.value: a GeoProperty's value is a GeoJSON geometry object"),
    ({"type": "point", "coordinates": [2.1, 48.1]}, 'location.value.type: "point" is not a GeoJSON geometry type'),
    ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.1, 48.1]}}, "a Feature is not a geometry"),
    ({"type": "Point"}, "location.value: a Point needs 'coordinates'"),
    ({"type": "Point", "coordinates": [48.1, 200.0]}, "location.value.coordinates: latitude 200.0 is outside -90..90"),
    ({"type": "Point", "coordinates": [-180.5, 48.1]}, "longitude -180.5 is outside -180..180"),
    ({"type": "Point", "coordinates": [2.1]}, "location.value.coordinates: a position is"),
    ({"type": "Point", "coordinates": [2.1, 48.1, 3, 4]}, "2 or 3 numbers"),
    ({"type": "Point", "coordinates": [True, 48.1]}, "2 or 3 numbers (got [true, 48.1])"),
    ({"type": "Point", "coordinates": ["2.1", "48.1"]}, "2 or 3 numbers"),
    ({"type": "Point", "coordinates": [[2.1, 48.1]]}, "2 or 3 numbers"),
    ({"type": "MultiPoint", "coordinates": [2.1, 48.1]}, "location.value.coordinates[0]: a position is"),
    ({"type": "MultiPoint", "coordinates": []}, "location.value.coordinates: expected a non-empty array"),
    ({"type": "LineString", "coordinates": [[2.1, 48.1]]}, "a LineString needs at least 2 positions"),
    ({"type": "MultiLineString", "coordinates": [[[2.1, 48.1], [2.2, 48.2]], [[2.1, 48.1]]]},
     "location.value.coordinates[1]: a LineString needs at least 2 positions"),
    ({"type": "Polygon", "coordinates": [SQUARE[:-1]]}, "location.value.coordinates[0]: a linear ring needs"),
    ({"type": "Polygon", "coordinates": [SQUARE[:2] + SQUARE[:1]]}, "at least 4 positions"),
    ({"type": "Polygon", "coordinates": SQUARE}, "location.value.coordinates[0][0]: a position is"),
    ({"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE[:-1]]]}, "coordinates[1][0]: a linear ring"),
    ({"type": "Point", "coordinates": [2.1, 48.1], "bbox": [2.1, 48.1]}, "location.value.bbox: 4 or 6 numbers"),
    ({"type": "GeometryCollection", "geometries": []}, "a GeometryCollection has a non-empty array 'geometries'"),
    ({"type": "GeometryCollection", "geometries": [{"type": "GeometryCollection", "geometries": [
        {"type": "Point", "coordinates": [2.1, 48.1]}]}]}, "inside a GeometryCollection"),
    ({"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [2.1, 91]}]},
     "location.value.geometries[0].coordinates: latitude 91 is outside -90..90"),
])
def test_a_geo_property_that_is_not_a_geojson_geometry_is_refused(client, city, auth, value, said):
    detail = problem(post(client, "/entities", located(QUAY, value), auth), "BadRequestData", 400)["detail"]
    assert detail.startswith(f"{QUAY}: location.value") and said in detail, detail
    assert not NgsiEntity.objects.exists() and not Series.objects.exists() and readings(city) == []


def test_a_bad_geo_property_in_a_batch_fails_its_entity_only_and_stores_nothing_of_it(client, city, auth):
    point = {"type": "Point", "coordinates": [2.1, 48.1]}
    swapped = {"type": "Point", "coordinates": [48.1, 182.1]}  # latitude first: a common slip
    observed = {"type": "GeoProperty", "value": point, "observedAt": "2026-03-01T10:00:00Z",
                "observationSpace": {"type": "GeoProperty", "value": {"type": "Polygon", "coordinates": [[[0, 0]]]}}}
    dock = aqo("urn:ngsi-ld:AirQualityObserved:dock", location=observed)
    batch = [located(QUAY, point), located(MILL, swapped), dock]
    response = post(client, "/entityOperations/upsert", batch, auth)
    assert response.status_code == 207, response.content
    assert response.json()["success"] == [QUAY]
    errors = {e["entityId"]: e["error"] for e in response.json()["errors"]}
    assert set(errors) == {MILL, "urn:ngsi-ld:AirQualityObserved:dock"}
    assert errors[MILL]["type"] == ERR + "BadRequestData"
    assert errors[MILL]["detail"] == f"[1] {MILL}: location.value.coordinates: latitude 182.1 is outside -90..90 " \
                                     "(a position is [longitude, latitude])"
    assert "location.observationSpace.value.coordinates[0]: a linear ring" in errors[
        "urn:ngsi-ld:AirQualityObserved:dock"]["detail"]
    assert list(NgsiEntity.objects.values_list("entity_id", flat=True)) == [QUAY]
    assert list(Series.objects.values_list("entity_id", flat=True)) == [QUAY]
    assert [s for s, _, _ in readings(city)] == ["airqualityobserved-quay-pm25"]
    # PATCH and POST of attributes check it too, naming the entity
    bad = {"location": {"type": "GeoProperty", "value": swapped}}
    for method in (client.patch, client.post):
        detail = problem(method(f"{BASE}/entities/{QUAY}/attrs", json.dumps(bad), content_type=JSON, **auth),
                         "BadRequestData", 400)["detail"]
        assert detail.startswith(f"{QUAY}: location.value.coordinates: latitude 182.1"), detail
    assert NgsiEntity.objects.get(entity_id=QUAY).body["location"]["value"] == point


def test_the_location_header_is_percent_encoded_and_ids_ending_in_a_slash_are_refused(client, city, auth):
    for entity_id in ("https://example.org/ns#sensor2", "urn:ngsi-ld:Thing:a?b=1", "urn:ngsi-ld:Thing:50%"):
        response = post(client, "/entities", {"id": entity_id, "type": "Thing", "status": "ok"}, auth)
        assert response.status_code == 201, response.content
        location = response["Location"]
        assert "#" not in location and "?" not in location and "//" not in location.removeprefix(BASE)
        found = client.get(location, **auth)
        assert found.status_code == 200, (location, found.content)
        assert found.json()["id"] == entity_id
    assert post(client, "/entities", aqo(), auth)["Location"] == f"{BASE}/entities/{QUAY}"  # colons stay
    detail = problem(post(client, "/entities", {"id": "https://example.org/things/", "type": "Thing"}, auth),
                     "BadRequestData", 400)["detail"]
    assert "id:" in detail and "'/'" in detail
    response = post(client, "/entityOperations/upsert", [{"id": "urn:ngsi-ld:Thing:b/", "type": "Thing"}], auth)
    assert response.status_code == 207 and response.json()["errors"][0]["entityId"] == "urn:ngsi-ld:Thing:b/"
    assert not NgsiEntity.objects.filter(entity_id__endswith="/").exists()


# --- query parameters --------------------------------------------------------------------------


def test_type_takes_or_lists_with_a_bar_or_a_comma_and_refuses_and_and_parentheses(client, city, auth):
    post(client, "/entityOperations/upsert", [aqo(), {"id": "urn:ngsi-ld:Building:town-hall", "type": "Building",
                                                     "name": "Town hall"}], auth)

    def ids(types):
        response = client.get(f"{BASE}/entities", {"type": types}, **auth)
        assert response.status_code == 200, response.content
        return [e["id"] for e in response.json()]

    both = [QUAY, "urn:ngsi-ld:Building:town-hall"]
    assert ids("Building|AirQualityObserved") == both and ids("Building,AirQualityObserved") == both
    assert ids("Building|Other") == ["urn:ngsi-ld:Building:town-hall"]
    for refused in ("Building;AirQualityObserved", "(Building|AirQualityObserved)"):
        detail = problem(client.get(f"{BASE}/entities", {"type": refused}, **auth), "BadRequestData", 400)["detail"]
        assert detail.startswith("type:")


def test_id_pattern_filters_entity_ids(client, city, auth):
    post(client, "/entityOperations/upsert", [aqo(), aqo(MILL), aqo("urn:ngsi-ld:AirQualityObserved:dock")], auth)

    def ids(**params):
        response = client.get(f"{BASE}/entities", params, **auth)
        assert response.status_code == 200, response.content
        return [e["id"] for e in response.json()]

    assert ids(idPattern="quay|dock$") == ["urn:ngsi-ld:AirQualityObserved:dock", QUAY]
    assert ids(type="AirQualityObserved", idPattern="^urn:ngsi-ld:AirQualityObserved:m") == [MILL]
    assert ids(idPattern="^urn:ngsi-ld:Building:") == []
    detail = problem(client.get(f"{BASE}/entities", {"idPattern": "quay(("}, **auth), "BadRequestData", 400)["detail"]
    assert detail.startswith("idPattern:")
    assert ids(type="AirQualityObserved", unrelated="x") == ["urn:ngsi-ld:AirQualityObserved:dock", MILL, QUAY]


def test_an_id_pattern_that_would_backtrack_for_ever_is_refused_in_time(client, city, auth, monkeypatch):
    """Anyone may send a pattern: one that takes exponential time on an id must not hold a server thread."""
    import time

    monkeypatch.setattr(domain, "ID_PATTERN_SECONDS", 0.3)
    post(client, "/entityOperations/upsert", [aqo("urn:ngsi-ld:AirQualityObserved:" + "a" * 60)], auth)
    started = time.monotonic()
    response = client.get(f"{BASE}/entities", {"idPattern": "(a|aa)+$X"}, **auth)
    assert time.monotonic() - started < 5  # with re: minutes
    assert problem(response, "BadRequestData", 400)["detail"] == "idPattern: '(a|aa)+$X' takes too long to match; " \
                                                                 "simplify it"


@pytest.mark.parametrize(("path", "params"), [
    ("/entities", {"georel": "near;maxDistance==2000", "geometry": "Point", "coordinates": "[2.1,48.1]"}),
    ("/entities", {"geometry": "Point", "coordinates": "[2.1,48.1]"}),
    ("/entities", {"geoproperty": "location"}),
    ("/entities", {"geoQ": "{}"}),
    ("/entities", {"csf": "endpoint==x"}),
    ("/entities", {"scopeQ": "/Madrid"}),
    ("/entities", {"pick": "id,pm25"}),
    ("/entities", {"omit": "district"}),
    ("/entities", {"lang": "fr"}),
    (f"/entities/{QUAY}", {"pick": "pm25"}),
    (f"/entities/{QUAY}", {"lang": "fr"}),
    (f"/temporal/entities/{QUAY}", {"aggrMethods": "avg", "aggrPeriodDuration": "PT1H"}),
    (f"/temporal/entities/{QUAY}", {"aggrPeriodDuration": "PT1H"}),
    (f"/temporal/entities/{QUAY}", {"options": "aggregatedValues"}),
    (f"/temporal/entities/{QUAY}", {"format": "aggregatedValues"}),
])
def test_ngsi_ld_parameters_outside_the_subset_are_refused_not_ignored(client, city, auth, path, params):
    post(client, "/entities", aqo(), auth)
    params = {"type": "AirQualityObserved", **params} if path == "/entities" else params
    body = problem(client.get(BASE + path, params, **auth), "OperationNotSupported", 422)
    named = [n for n in ("georel", "geometry", "geoproperty", "geoQ", "csf", "scopeQ", "pick", "omit", "lang",
                         "aggrMethods", "aggrPeriodDuration", "options", "format") if n in params]
    assert body["detail"].startswith(f"{named[0]}:"), body
    assert "not supported" in body["detail"]


def test_attrs_that_the_entity_does_not_have_answer_404(client, city, auth):
    post(client, "/entities", aqo(), auth)
    problem(client.get(f"{BASE}/entities/{QUAY}", {"attrs": "nothingHere"}, **auth), "ResourceNotFound", 404)
    problem(client.get(f"{BASE}/temporal/entities/{QUAY}", {"attrs": "nothingHere"}, **auth), "ResourceNotFound", 404)
    assert client.get(f"{BASE}/entities/{QUAY}", {"attrs": "nothingHere,district"}, **auth).json() == {
        "id": QUAY, "type": "AirQualityObserved", "district": {"type": "Property", "value": "harbour"}}
    assert set(client.get(f"{BASE}/temporal/entities/{QUAY}", {"attrs": "nothingHere,pm25"}, **auth).json()) == {
        "id", "type", "pm25"}


# --- HTTP: Accept, HEAD, addresses outside the subset ------------------------------------------


def test_accept_q_values_choose_the_representation_and_geojson_is_not_acceptable(client, city, auth):
    post(client, "/entities", aqo(), auth)
    url = f"{BASE}/entities/{QUAY}"

    def media(accept):
        return client.get(url, HTTP_ACCEPT=accept, **auth)["Content-Type"]

    assert media(f"{LD};q=0.1, {JSON};q=0.9") == JSON
    assert media(f"{JSON};q=0.5, {LD}") == LD
    assert media(f"{LD}, {JSON}") == LD and media(f"{JSON}, {LD}") == JSON
    assert media(f"{JSON};q=0, */*") == LD
    assert media("application/geo+json, application/json;q=0.5") == JSON
    assert media("application/geo+json, */*;q=0.1") == JSON
    detail = problem(client.get(url, HTTP_ACCEPT="application/geo+json", **auth),
                     "urn:cityline:problem:not-acceptable", 406)["detail"]
    assert "GeoJSON" in detail and "not supported" in detail
    problem(client.get(url, HTTP_ACCEPT=f"{LD};q=0", **auth), "urn:cityline:problem:not-acceptable", 406)


def test_concise_representation_drops_the_types_and_reads_back_the_same(client, city, auth):
    point = {"type": "Point", "coordinates": [2.1, 48.1]}
    sensor_b = "urn:ngsi-ld:Dataset:sensorB"
    normalized = aqo(
        relatedTo={"type": "Relationship", "object": MILL},
        location={"type": "GeoProperty", "value": point},
        observedFrom={"type": "GeoProperty", "value": point, "observedAt": "2026-03-01T10:00:00Z"},
        address={"type": "Property", "value": {"streetAddress": "1 Quay Road"}},
        plannedSite={"type": "Property", "value": point},  # a geometry as a Property's value, not a GeoProperty
        tags={"type": "Property", "value": ["a", "b"]},
        name={"type": "LanguageProperty", "languageMap": {"en": "Quay", "fr": "Quai"}},
        temperature=[{"type": "Property", "value": 10.5},
                     {"type": "Property", "value": 11.5, "datasetId": sensor_b}])
    normalized["pm25"]["accuracy"] = {"type": "Property", "value": 0.9}  # a property of a property
    assert post(client, "/entities", normalized, auth).status_code == 201
    expected = {
        "id": QUAY, "type": "AirQualityObserved",
        "pm25": {"value": 31.5, "observedAt": "2026-03-01T10:00:00Z", "unitCode": "GQ", "accuracy": {"value": 0.9}},
        "district": "harbour",
        "relatedTo": {"object": MILL},
        "location": point,
        "observedFrom": {"value": point, "observedAt": "2026-03-01T10:00:00Z"},
        "address": {"value": {"streetAddress": "1 Quay Road"}},
        "plannedSite": {"type": "Property", "value": point},
        "tags": {"value": ["a", "b"]},
        "name": {"languageMap": {"en": "Quay", "fr": "Quai"}},
        "temperature": [{"value": 10.5}, {"value": 11.5, "datasetId": sensor_b}],
    }
    got = client.get(f"{BASE}/entities/{QUAY}", {"options": "concise"}, **auth)
    assert got.status_code == 200 and got.json() == expected
    assert client.get(f"{BASE}/entities/{QUAY}", {"format": "concise"}, **auth).json() == expected
    with_sys = client.get(f"{BASE}/entities/{QUAY}", {"options": "concise,sysAttrs", "attrs": "district"}, **auth)
    assert set(with_sys.json()) == {"id", "type", "district", "createdAt", "modifiedAt"}
    listed = client.get(f"{BASE}/entities", {"type": "AirQualityObserved", "options": "concise"}, **auth).json()
    assert listed == [expected]
    # lossless: the concise body, sent back, is stored as the normalized one was
    assert post(client, "/entities", {**expected, "id": MILL}, auth).status_code == 201
    stored = {k: v for k, v in NgsiEntity.objects.get(entity_id=MILL).body.items() if k != "id"}
    assert stored == {k: v for k, v in NgsiEntity.objects.get(entity_id=QUAY).body.items() if k != "id"}
    for both in ("concise,keyValues", "normalized,concise", "normalized,simplified"):
        detail = problem(client.get(f"{BASE}/entities/{QUAY}", {"options": both}, **auth), "BadRequestData",
                         400)["detail"]
        assert detail.startswith("options: one representation at a time"), detail
    # refused before the query runs, so an empty answer does not hide it
    problem(client.get(f"{BASE}/entities", {"type": "Nothing", "options": "concise,keyValues"}, **auth),
            "BadRequestData", 400)


def test_head_is_answered_like_get(client, city, auth):
    post(client, "/entities", aqo(), auth)
    for path in (f"/entities/{QUAY}", f"/temporal/entities/{QUAY}", "/jsonldContexts/ngsi-ld-core-context-v1.8.jsonld"):
        response = client.head(BASE + path, **auth)
        assert response.status_code == 200, (path, response.content)
    head = client.head(f"{BASE}/entities", {"type": "AirQualityObserved", "count": "true"}, **auth)
    assert head.status_code == 200 and head["NGSILD-Results-Count"] == "1" and head["Content-Type"] == JSON
    assert client.head(f"{BASE}/entities/{MILL}", **auth).status_code == 404  # (the test client drops HEAD bodies)
    refused = client.put(f"{BASE}/entities/{QUAY}", **auth)
    assert refused.status_code == 405 and refused["Allow"] == "GET, DELETE, HEAD"
    assert client.head(f"{BASE}/entityOperations/upsert", **auth).status_code == 405  # POST only: no HEAD


def test_addresses_outside_the_subset_answer_problem_details(client, city, auth):
    post(client, "/entities", aqo(), auth)
    for method, path in (("get", "/types"), ("get", "/temporal/entities?type=AirQualityObserved"),
                         ("get", "/temporal/entities/"), ("post", "/subscriptions"), ("get", "/jsonldContexts"),
                         ("post", "/entityOperations/delete"),
                         ("get", f"/entities/{QUAY}/attrs/district"), ("post", f"/entities/{QUAY}/attrs/district"),
                         ("put", f"/entities/{QUAY}/attrs/district"), ("options", f"/entities/{QUAY}/attrs/district"),
                         ("get", "/entities/urn:ngsi-ld:Thing:unknown/attrs/district")):
        response = getattr(client, method)(BASE + path, **auth)
        detail = problem(response, "OperationNotSupported", 422)["detail"]
        assert "not supported by this server" in detail, (path, detail)
        assert "no entity" not in detail
    detail = problem(client.put(f"{BASE}/entities/{QUAY}/attrs/district", "{}", content_type=JSON, **auth),
                     "OperationNotSupported", 422)["detail"]
    assert "PUT" in detail and "'district'" in detail and "PATCH" in detail
    detail = problem(client.get(f"{BASE}/nonsense/here", **auth), "ResourceNotFound", 404)["detail"]
    assert "/ngsi-ld/v1/nonsense/here" in detail
    assert NgsiEntity.objects.get(entity_id=QUAY).body["district"]["value"] == "harbour"


# --- datasetId -------------------------------------------------------------------------------


def test_updates_keep_the_attribute_instances_of_other_dataset_ids(client, city, auth):
    sensor_b = "urn:ngsi-ld:Dataset:sensorB"

    def temperature(value, at, dataset=None):
        inst = {"type": "Property", "value": value, "observedAt": at, "unitCode": "CEL"}
        return {**inst, "datasetId": dataset} if dataset else inst

    def stored():
        return {i.get("datasetId"): i["value"] for i in NgsiEntity.objects.get(entity_id=QUAY).body["temperature"]}

    entity = {"id": QUAY, "type": "WeatherObserved", "temperature": [
        temperature(10.5, "2026-03-01T10:00:00Z"), temperature(11.5, "2026-03-01T10:00:00Z", sensor_b)]}
    assert post(client, "/entities", entity, auth).status_code == 201
    appended = {"temperature": temperature(12.0, "2026-03-01T10:10:00Z", sensor_b)}
    response = client.post(f"{BASE}/entities/{QUAY}/attrs", json.dumps(appended), content_type=JSON, **auth)
    assert response.status_code == 204, response.content
    assert stored() == {None: 10.5, sensor_b: 12.0}
    patched = {"temperature": temperature(9.0, "2026-03-01T10:20:00Z")}
    assert client.patch(f"{BASE}/entities/{QUAY}/attrs", json.dumps(patched), content_type=JSON,
                        **auth).status_code == 204
    assert stored() == {None: 9.0, sensor_b: 12.0}
    upsert = {"id": QUAY, "type": "WeatherObserved",
              "temperature": temperature(13.0, "2026-03-01T10:30:00Z", "urn:ngsi-ld:Dataset:sensorC")}
    assert post(client, "/entityOperations/upsert", [upsert], auth, options="update").status_code == 204
    assert stored() == {None: 9.0, sensor_b: 12.0, "urn:ngsi-ld:Dataset:sensorC": 13.0}
    twice = {"id": MILL, "type": "WeatherObserved", "temperature": [{"type": "Property", "value": 1},
                                                                    {"type": "Property", "value": 2}]}
    assert "datasetId" in problem(post(client, "/entities", twice, auth), "BadRequestData", 400)["detail"]


# --- request errors -------------------------------------------------------------------------


def test_bad_requests_are_problem_details(client, city, auth):
    response = client.post(f"{BASE}/entities", "id=1", content_type="text/plain", **auth)
    problem(response, "urn:cityline:problem:unsupported-media-type", 415)
    problem(client.post(f"{BASE}/entities", "{not json", content_type=JSON, **auth), "InvalidRequest", 400)
    detail = problem(post(client, "/entities", aqo(), auth, content_type=LD), "BadRequestData", 400)["detail"]
    assert "@context" in detail
    with_context = {**aqo(), "@context": domain.CORE_CONTEXT_URI}
    problem(post(client, "/entities", with_context, auth), "BadRequestData", 400)
    link = {"HTTP_LINK": f'<{domain.CORE_CONTEXT_URI}>; rel="http://www.w3.org/ns/json-ld#context"'}
    problem(post(client, "/entities", with_context, {**auth, **link}, content_type=LD), "BadRequestData", 400)
    assert post(client, "/entities", aqo(), {**auth, **link}).status_code == 201  # JSON + Link: fine
    detail = problem(post(client, "/entities", {**aqo(MILL), "pm25": {"type": "Quantity", "value": 1}}, auth),
                     "BadRequestData", 400)["detail"]
    assert "pm25.type" in detail
    problem(post(client, "/entities", aqo(MILL, at="2026-03-01T10:00:00"), auth), "BadRequestData", 400)
    problem(post(client, "/entities", {**aqo(MILL), "id": "mill"}, auth), "BadRequestData", 400)
    problem(post(client, "/entities", {**aqo(MILL), "bad name": 1}, auth), "BadRequestData", 400)
    assert client.put(f"{BASE}/entities", **auth).status_code == 405
    assert not NgsiEntity.objects.filter(entity_id=MILL).exists()


# --- tenants --------------------------------------------------------------------------------


def test_the_tenant_header_names_the_city(client, city, admin, auth):
    other = City.objects.create(key="eastwick", name="Eastwick")
    grant(admin, Role.PROGRAMME_ADMIN, city=other)
    tenant = {"HTTP_NGSILD_TENANT": "eastwick"}
    assert post(client, "/entities", aqo(pm25=5.0), {**auth, **tenant}).status_code == 201
    assert NgsiEntity.objects.get().city == other
    assert [v for _, _, v in readings(other)] == [5.0] and readings(city) == []
    # Two cities, no header, no default: the caller must say which
    problem(client.get(f"{BASE}/entities/{QUAY}", **auth), "NonexistentTenant", 404)
    with override_settings(CITYLINE_DEFAULT_CITY="eastwick"):
        assert client.get(f"{BASE}/entities/{QUAY}", **auth).status_code == 200
    with override_settings(CITYLINE_DEFAULT_CITY="portbury"):
        problem(client.get(f"{BASE}/entities/{QUAY}", **auth), "ResourceNotFound", 404)
    problem(client.get(f"{BASE}/entities/{QUAY}", HTTP_NGSILD_TENANT="atlantis", **auth), "NonexistentTenant", 404)


# --- who may --------------------------------------------------------------------------------


def test_writes_need_a_token_with_write_scope_of_staff(client, city, admin):
    problem(post(client, "/entities", aqo(), {}), "urn:cityline:problem:not-authenticated", 401)
    wrong = {"HTTP_AUTHORIZATION": "Bearer cl_not-a-token"}
    problem(post(client, "/entityOperations/upsert", [aqo()], wrong), "urn:cityline:problem:not-authenticated", 401)
    problem(client.get(f"{BASE}/entities", {"type": "AirQualityObserved"}, **wrong),
            "urn:cityline:problem:not-authenticated", 401)
    problem(post(client, "/entities", aqo(), token_for(admin, ["read"])), "urn:cityline:problem:forbidden", 403)
    citizen = get_user_model().objects.create_user("resident", password="a long enough password")
    problem(post(client, "/entities", aqo(), token_for(citizen)), "urn:cityline:problem:forbidden", 403)
    assert not NgsiEntity.objects.exists() and readings(city) == []


def test_a_data_steward_feeds_the_series_of_their_organisation_only(client, city, admin):
    harbour = Organisation.objects.create(city=city, key="harbour-board", name="Harbour board", sector="public")
    mill = Organisation.objects.create(city=city, key="mill-trust", name="Mill trust", sector="public")
    actions.create(Series, user=admin, city=city, key="quay-pm25", name="Quay PM2.5", group="air",
                   entity_type="AirQualityObserved", entity_id=QUAY, attribute="pm25", organisation=harbour)
    actions.create(Series, user=admin, city=city, key="mill-pm25", name="Mill PM2.5", group="air",
                   entity_type="AirQualityObserved", entity_id=MILL, attribute="pm25", organisation=mill)
    steward = get_user_model().objects.create_user("steward", password="a long enough password")
    grant(steward, Role.DATA_STEWARD, organisation=harbour)
    auth = token_for(steward)
    new_attr = aqo(no2={"type": "Property", "value": 3, "observedAt": "2026-03-01T10:00:00Z"})
    response = post(client, "/entityOperations/upsert", [aqo(), aqo(MILL), new_attr], auth)
    assert response.status_code == 207, response.content
    assert response.json()["success"] == [QUAY]
    errors = [(e["entityId"], e["error"]["type"]) for e in response.json()["errors"]]
    assert errors == [(MILL, "urn:cityline:problem:forbidden"), (QUAY, "urn:cityline:problem:forbidden")]
    assert [s for s, _, _ in readings(city)] == ["quay-pm25"]
    assert not Series.objects.filter(attribute="no2").exists()


def entity_writes(client, entity_id, headers) -> dict[str, int | str]:
    """Each way to change or delete an entity's latest state without a reading: what it answers (a batch: the
    status, or the error type of the entity's 207 entry)."""
    status = {"status": {"type": "Property", "value": "BROKEN"}}

    def upsert(**params):
        response = post(client, "/entityOperations/upsert", [{"id": entity_id, "type": "AirQualityObserved", **status}],
                        headers, **params)
        if response.status_code != 207:
            return response.status_code
        return " ".join(e["error"]["type"].rsplit(":", 1)[-1] for e in response.json()["errors"])

    return {
        "PATCH attrs": client.patch(f"{BASE}/entities/{entity_id}/attrs", json.dumps(status), content_type=JSON,
                                    **headers).status_code,
        "POST attrs": post(client, f"/entities/{entity_id}/attrs", {"note": {"type": "Property", "value": "x"}},
                           headers).status_code,
        "PATCH attr": patch_attr(client, entity_id, "status", {"value": "BROKEN"}, headers).status_code,
        "upsert": upsert(),
        "upsert update": upsert(options="update"),
        "DELETE attr": client.delete(f"{BASE}/entities/{entity_id}/attrs/status", **headers).status_code,
        "DELETE": client.delete(f"{BASE}/entities/{entity_id}", **headers).status_code,
    }


REFUSED = {"PATCH attrs": 403, "POST attrs": 403, "PATCH attr": 403, "upsert": "forbidden",
           "upsert update": "forbidden", "DELETE attr": 403, "DELETE": 403}


def test_only_who_may_write_every_series_of_an_entity_writes_or_deletes_it(client, city, admin, auth):
    """Overwriting or deleting an entity needs the right that feeding its series needs (docs/observations.md)."""
    harbour = Organisation.objects.create(city=city, key="harbour-board", name="Harbour board", sector="public")
    mill = Organisation.objects.create(city=city, key="mill-trust", name="Mill trust", sector="public")
    actions.create(Series, user=admin, city=city, key="quay-pm25", name="Quay PM2.5", group="air",
                   entity_type="AirQualityObserved", entity_id=QUAY, attribute="pm25", organisation=harbour)
    users = {}
    for name, role, scope in (("steward", Role.DATA_STEWARD, {"organisation": harbour}),
                              ("other-steward", Role.DATA_STEWARD, {"organisation": mill}),
                              ("contributor", Role.CONTRIBUTOR, {"organisation": mill}),
                              ("harbour-contributor", Role.CONTRIBUTOR, {"organisation": harbour})):
        users[name] = get_user_model().objects.create_user(name, password="a long enough password")
        grant(users[name], role, **scope)
    steward = token_for(users["steward"])
    assert post(client, "/entities", aqo(status={"type": "Property", "value": "ok"}), steward).status_code == 201
    before = NgsiEntity.objects.get(entity_id=QUAY).body
    # staff of the city who may not change the entity's series: every write and delete refused, nothing changed
    for name in ("other-steward", "contributor", "harbour-contributor"):
        assert entity_writes(client, QUAY, token_for(users[name])) == REFUSED, name
        assert NgsiEntity.objects.get(entity_id=QUAY).body == before, name
    detail = problem(client.delete(f"{BASE}/entities/{QUAY}", **token_for(users["other-steward"])),
                     "urn:cityline:problem:forbidden", 403)["detail"]
    assert "quay-pm25" in detail
    assert len(readings(city)) == 1
    # the steward of the series' organisation may
    assert entity_writes(client, QUAY, steward) == {
        "PATCH attrs": 204, "POST attrs": 204, "PATCH attr": 204, "upsert": 204, "upsert update": 204,
        "DELETE attr": 204, "DELETE": 204}
    assert not NgsiEntity.objects.filter(entity_id=QUAY).exists()

    # an entity fed by series of two organisations: only who may change both (a programme administrator)
    assert post(client, "/entities", aqo(status={"type": "Property", "value": "ok"}), steward).status_code == 201
    actions.create(Series, user=admin, city=city, key="quay-no2", name="Quay NO2", group="air",
                   entity_type="AirQualityObserved", entity_id=QUAY, attribute="no2", organisation=mill)
    for name in ("steward", "other-steward"):
        assert entity_writes(client, QUAY, token_for(users[name])) == REFUSED, name
    assert "quay-no2" in problem(client.delete(f"{BASE}/entities/{QUAY}", **steward),
                                 "urn:cityline:problem:forbidden", 403)["detail"]
    assert client.delete(f"{BASE}/entities/{QUAY}", **auth).status_code == 204

    # an entity without series belongs to no organisation: who may add series (the readings' first need)
    plain = {"id": MILL, "type": "AirQualityObserved", "status": {"type": "Property", "value": "ok"}}
    problem(post(client, "/entities", plain, steward), "urn:cityline:problem:forbidden", 403)
    assert post(client, "/entities", plain, auth).status_code == 201
    assert entity_writes(client, MILL, steward) == REFUSED
    assert NgsiEntity.objects.get(entity_id=MILL).body == plain
    assert client.delete(f"{BASE}/entities/{MILL}", **auth).status_code == 204


@pytest.mark.django_db(transaction=True)
def test_a_one_attribute_patch_reads_the_entity_under_the_write_lock(city, admin, monkeypatch):
    """Two PATCHes of one attribute at once: the second waits for the first and builds on it (none is lost)."""
    import threading

    from django.db import connection

    from cityline.accounts.authz import principal_for_user
    from cityline.observations.ngsild import broker

    principal = principal_for_user(admin)
    assert not broker.write(city, principal, [domain.parse_entity(aqo())], mode="create").errors
    first_read, second_done, errors = threading.Event(), threading.Event(), []
    partial_update = domain.partial_update

    def slow_partial_update(body, name, fragment, **kwargs):
        if threading.current_thread().name == "first":
            first_read.set()  # the first PATCH has read the entity: let the second one run meanwhile
            second_done.wait(1.5)
        return partial_update(body, name, fragment, **kwargs)

    monkeypatch.setattr(domain, "partial_update", slow_partial_update)

    def patch(fragment, done=None):
        try:
            broker.update_attribute(city, principal, QUAY, "pm25", fragment)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()
            if done is not None:
                done.set()

    first = threading.Thread(target=patch, name="first",
                             args=({"value": 50.0, "observedAt": "2026-03-01T12:00:00Z"},))
    second = threading.Thread(target=patch, name="second", args=({"unitCode": "GP"}, second_done))
    first.start()
    assert first_read.wait(10)
    second.start()
    first.join(20)
    second.join(20)
    assert not errors
    pm25 = NgsiEntity.objects.get(entity_id=QUAY).body["pm25"]
    assert (pm25["value"], pm25["observedAt"], pm25["unitCode"]) == (50.0, "2026-03-01T12:00:00Z", "GP")


def test_reads_need_a_token_unless_every_series_of_the_entity_is_public(client, city, admin, auth):
    post(client, "/entityOperations/upsert", [aqo(), aqo(MILL)], auth)
    assert client.get(f"{BASE}/entities/{QUAY}").status_code == 404
    assert client.get(f"{BASE}/entities", {"type": "AirQualityObserved"}).json() == []
    assert client.get(f"{BASE}/temporal/entities/{QUAY}").status_code == 404
    series = Series.objects.get(entity_id=QUAY)
    actions.update(series, user=admin, public=True)
    assert client.get(f"{BASE}/entities/{QUAY}").status_code == 200
    assert [e["id"] for e in client.get(f"{BASE}/entities", {"type": "AirQualityObserved"}).json()] == [QUAY]
    assert client.get(f"{BASE}/temporal/entities/{QUAY}").json()["pm25"][0]["value"] == 31.5
    # one unpublished series hides the entity again
    patch = {"no2": {"type": "Property", "value": 4, "observedAt": "2026-03-01T10:00:00Z"}}
    client.post(f"{BASE}/entities/{QUAY}/attrs", json.dumps(patch), content_type=JSON, **auth)
    assert client.get(f"{BASE}/entities/{QUAY}").status_code == 404
    # a staff token without the read scope reads the public view only
    assert client.get(f"{BASE}/entities/{MILL}", **token_for(admin, ["write"])).status_code == 404
    assert client.get(f"{BASE}/entities/{MILL}", **auth).status_code == 200


# --- the domain rules (no Django) ------------------------------------------------------------


def test_query_language_subset():
    body = {"id": QUAY, "type": "AirQualityObserved",
            "pm25": {"type": "Property", "value": 31.5, "observedAt": "2026-03-01T10:00:00Z"},
            "district": {"type": "Property", "value": "harbour"},
            "address": {"type": "Property", "value": {"streetAddress": "1 Quay Road"}},
            "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:42"},
            "ok": {"type": "Property", "value": True}}

    def m(q):
        return domain.matches(domain.parse_query(q), body)

    assert m("pm25>31") and not m("pm25>31.5") and m("pm25>=31.5") and m("pm25!=3")
    assert m('address[streetAddress]=="1 Quay Road"') and m('refDevice=="urn:ngsi-ld:Device:42"')
    assert m("ok==true") and not m("ok==false") and not m('pm25=="31.5"')  # types must agree
    assert m("pm25.observedAt<2026-03-02T00:00:00Z") and not m("pm25.observedAt>2026-03-02T00:00:00Z")
    assert not m("no2") and not m("no2!=3")  # a missing attribute matches nothing
    assert m("pm25==30..32") and not m("pm25!=30..32")
    assert m("(pm25>100|district==\"harbour\");ok==true")
    for bad_q in ("pm25>", "pm25==1..", "(pm25>1", 'district=="harbour', "pm25>1,2", "pm25==abc"):
        with pytest.raises(domain.NgsiError):
            domain.parse_query(bad_q)


def test_query_language_compares_typed_date_time_values():
    """FIWARE IoT Agents send TimeInstant as {"@type": "DateTime", "@value": "…"}: q compares its @value."""
    body = {"id": QUAY, "type": "AirQualityObserved",
            "TimeInstant": {"type": "Property", "value": {"@type": "DateTime", "@value": "2026-03-02T10:00:00Z"}},
            "pm25": {"type": "Property", "value": 31.5,
                     "seen": {"type": "Property", "value": {"@type": "DateTime", "@value": "2026-03-02T10:00:00Z"}}}}

    def m(q):
        return domain.matches(domain.parse_query(q), body)

    assert m("TimeInstant>2026-03-01T00:00:00Z") and not m("TimeInstant<2026-03-01T00:00:00Z")
    assert m("TimeInstant==2026-03-01T00:00:00Z..2026-03-03T00:00:00Z")
    assert m("pm25.seen>=2026-03-02T10:00:00Z") and not m("pm25.seen>2026-03-02T10:00:00Z")


def test_geometry_coordinates_are_finite_numbers_floats_ints_or_decimals():
    def check(*position):
        domain.check_geometry({"type": "Point", "coordinates": list(position)}, "location.value", QUAY)

    check(Decimal("2.1"), Decimal("48.1"))  # what a series' DecimalField holds
    check(2, 48)
    check(2.1, 48.1, Decimal("-12.5"))
    for bad in ((math.nan, 48.1), (2.1, math.inf), (Decimal("NaN"), 48.1), (Decimal("sNaN"), 48.1),
                (2.1, Decimal("Infinity")), (False, 48.1), (2.1, None), (Decimal("180.000001"), 0)):
        with pytest.raises(domain.NgsiError) as refused:
            check(*bad)
        assert refused.value.kind == "BadRequestData" and refused.value.entity_id == QUAY
        assert refused.value.detail.startswith("location.value.coordinates: ")


def test_deleting_an_attribute_instance_keeps_the_attribute_s_place_and_the_others():
    body = {"id": QUAY, "type": "T", "a": {"type": "Property", "value": 1},
            "b": [{"type": "Property", "value": 2}, {"type": "Property", "value": 3, "datasetId": "urn:x:1"}],
            "c": {"type": "Property", "value": 4}}
    out = domain.without_attribute(body, "b", entity_id=QUAY)
    assert list(out) == ["id", "type", "a", "b", "c"]
    assert out["b"] == {"type": "Property", "value": 3, "datasetId": "urn:x:1"}
    assert list(domain.without_attribute(out, "b", entity_id=QUAY, dataset_id="urn:x:1")) == ["id", "type", "a", "c"]
    assert list(domain.without_attribute(body, "b", entity_id=QUAY, delete_all=True)) == ["id", "type", "a", "c"]
    assert body["b"][0]["value"] == 2  # the body given is not changed


def test_concise_input_takes_each_attribute_type_from_its_value_member():
    entity = domain.parse_entity({
        "id": QUAY, "type": "T", "location": {"type": "Point", "coordinates": [2.1, 48.1]},
        "area": {"value": {"type": "Polygon", "coordinates": [SQUARE]}, "observedAt": "2026-03-01T10:00:00Z"},
        "near": {"object": MILL}, "name": {"languageMap": {"en": "Quay"}}, "raw": {"json": {"a": 1}},
        "sizes": {"valueList": [1, 2]}, "route": {"objectList": [{"object": MILL}]}, "kind": {"vocab": "sensor"},
        "plain": {"a": 1}, "speed": [{"value": 5}, {"value": 6, "datasetId": "urn:x:b"}],
        "readings": [{"value": 5}, {"value": 6}]})
    kinds = {name: [i["type"] for i in domain.instances(value)] for name, value in entity.attrs.items()}
    assert kinds == {"location": ["GeoProperty"], "area": ["GeoProperty"], "near": ["Relationship"],
                     "name": ["LanguageProperty"], "raw": ["JsonProperty"], "sizes": ["ListProperty"],
                     "route": ["ListRelationship"], "kind": ["VocabProperty"], "plain": ["Property"],
                     "speed": ["Property", "Property"], "readings": ["Property"]}
    assert entity.attrs["location"] == {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.1, 48.1]}}
    assert entity.attrs["plain"] == {"type": "Property", "value": {"a": 1}}
    # two instances without datasetId are not instances: an array value
    assert entity.attrs["readings"] == {"type": "Property", "value": [{"value": 5}, {"value": 6}]}
    with pytest.raises(domain.NgsiError) as refused:
        domain.parse_entity({"id": QUAY, "type": "T", "location": {"type": "Point", "coordinates": [2.1, 91]}})
    assert refused.value.detail.startswith(f"{QUAY}: location.value.coordinates: latitude 91")
