"""The OpenAPI document: version 3.1, complete, and identical to the committed docs/openapi.json."""

from __future__ import annotations

import difflib
import json

import pytest

from cityline.api.export_openapi import COMMITTED, REGENERATE, render

pytestmark = pytest.mark.django_db

COLLECTIONS = [
    "organisations", "people", "documents", "principles", "principle-agreements", "vision", "vision-purposes",
    "vision-issues", "vision-objectives", "governance-bodies", "body-members", "meetings", "accountable-leads",
    "skills", "programmes", "projects", "interested-parties", "engagement-activities", "procurement-pipeline",
    "suppliers", "contracts", "interop-cells", "interop-barriers", "interop-actions", "glossary",
    "roadmap-phases", "workstreams", "initiatives", "checkpoints",
]
METHODS = {"get", "post", "patch", "delete", "put"}


@pytest.fixture(scope="module")
def served(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def test_openapi_version_is_3_1(served):
    assert served["openapi"].startswith("3.1.")


def test_every_collection_has_its_operations(served):
    paths = served["paths"]
    assert set(paths["/api/v1/cities"]) == {"get", "post"}
    assert set(paths["/api/v1/cities/{city_key}"]) == {"get", "patch", "delete"}
    assert "get" in paths["/api/v1/cities/{city_key}/history"]
    for name in COLLECTIONS:
        base = f"/api/v1/cities/{{city_key}}/{name}"
        if name == "vision":
            assert set(paths[base]) == {"get", "post", "patch", "delete"}
            continue
        assert set(paths[base]) == {"get", "post"}, name
        items = [p for p in paths if p.startswith(base + "/{") and not p.endswith("/history")]
        assert len(items) == 1, name
        assert set(paths[items[0]]) == {"get", "patch", "delete"}, name
        assert "get" in paths[items[0] + "/history"], name


def test_every_operation_has_summary_tag_and_unique_id(served):
    tags = {t["name"] for t in served["tags"]}
    ids = []
    for path, method, op in operations(served):
        assert op.get("summary"), (path, method)
        assert op.get("tags") and set(op["tags"]) <= tags, (path, method)
        ids.append(op["operationId"])
    assert len(ids) == len(set(ids))


def test_writes_are_secured_and_reads_are_open(served):
    for path, method, op in operations(served):
        if method == "get":
            assert "security" not in op, path
        else:
            assert {"BasicAuth"} in [set(s) for s in op["security"]], (path, method)
            assert {"SessionAuth"} in [set(s) for s in op["security"]], (path, method)


def test_schemas_are_named_after_the_models(served):
    schemas = served["components"]["schemas"]
    for name in ["City", "Organisation", "Person", "Document", "ProcurementEntry", "ProcurementEntryCreate",
                 "ProcurementEntryPatch", "ProcurementEntryPage", "Vision", "GlossaryTerm", "Problem", "HistoryPage"]:
        assert name in schemas, name
    assert schemas["ProcurementEntry"]["properties"]["buyer"]["type"] == "string"  # a key
    assert schemas["Meeting"]["properties"]["papers"]["type"] == "array"
    assert "version" in schemas["ProcurementEntryPatch"]["properties"]
    assert schemas["ProcurementEntryCreate"]["additionalProperties"] is False


def test_errors_are_problem_json(served):
    responses = served["components"]["responses"]
    assert {"Problem400", "Problem401", "Problem403", "Problem404", "Problem409", "Problem422",
            "Problem428"} <= set(responses)
    for response in responses.values():
        assert list(response["content"]) == ["application/problem+json"]


def test_list_filters_are_documented(served):
    op = served["paths"]["/api/v1/cities/{city_key}/procurement-pipeline"]["get"]
    names = {p.get("name") for p in op["parameters"]} | {p.get("$ref", "").rsplit("/", 1)[-1] for p in op["parameters"]}
    assert {"_sort", "_q", "status", "buyer", "expected_tender_date__gte", "Limit", "Offset", "CityKey"} <= names


def test_served_document_matches_the_committed_file(served):
    committed = COMMITTED.read_text(encoding="utf-8")
    expected = render(served)
    if committed != expected:
        diff = "".join(difflib.unified_diff(committed.splitlines(True), expected.splitlines(True),
                                            "docs/openapi.json (committed)", "served", n=2))
        pytest.fail(
            "The API contract changed: the served OpenAPI document differs from docs/openapi.json.\n"
            f"If the change is intended, regenerate it with:\n    {REGENERATE}\n"
            f"and commit it with the change. Diff (first 4000 characters):\n{diff[:4000]}"
        )
    assert json.loads(committed) == served
