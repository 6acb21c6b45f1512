"""The public architecture and standards pages (B14): blocks, reuse, migration plan, checks, the register."""

from __future__ import annotations

import pytest
from django.utils import translation

from cityline.architecture.public import architecture, standards
from cityline.architecture.testing import make_architecture_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    with translation.override("en"):  # labels in English whatever an earlier test left active
        yield make_architecture_city()


def test_architecture_data(city):
    data = architecture(city)
    hub = next(b for b in data["blocks"] if b["key"] == "data-hub")
    assert hub["reuse_count"] == 3 and hub["owner"] == "Testville Council"
    assert hub["standards"] == [{"key": "dcat", "label": "W3C DCAT"}] and hub["used_by_services"] == ["Report it"]
    assert [s["key"] for s in data["migration"]] == ["crm-1", "crm-0"]
    checks = {c["code"]: c for c in data["checks"]}
    assert checks["legacy-without-migration"]["findings"][0]["names"] == ["Old GIS"]
    assert checks["step-out-of-phase-order"]["findings"][0]["names"] == ["Choose the CRM", "Move cases to the new CRM"]
    assert checks["standard-unused"]["findings"][0]["names"] == ["IETF RFC 6749"]
    assert data["summary"]["findings"] == 6


def test_standards_data(city):
    data = standards(city)
    assert [g["status"] for g in data["groups"]] == ["adopted", "considered"]
    dcat = next(s for s in data["standards"] if s["key"] == "dcat")
    assert dcat["used_by"] == ["Data hub"] and dcat["edition"] == "3"
    assert dcat["cells"] == [{"process": "resource", "dimension": "semantic",
                              "label": "Digital and physical resource management × Semantic"}]
    assert data["summary"] == {"standards": 3, "adopted": 2, "unused_adopted": 1}


def test_pages_and_downloads(client, city):
    html = client.get(f"/{city.key}/architecture/").content.decode()
    assert "Old GIS" in html and "No owner" in html and "Legacy building blocks with no migration step" in html
    html = client.get(f"/{city.key}/standards/").content.decode()
    assert "W3C DCAT" in html and "Not used yet" in html
    assert "crm-0" in client.get(f"/{city.key}/architecture-checks.csv").content.decode()
    assert client.get(f"/{city.key}/standards.csv").content.decode().splitlines()[0] == \
        "key,body,identifier,title,edition,status,url,matrix_cells,used_by"
    assert client.get(f"/fr/{city.key}/architecture/").status_code == 200
    assert client.get("/nowhere/standards/").status_code == 404


def test_findings_name_the_right_kind_of_record_when_keys_are_shared(city):
    """Keys are unique per kind only: a standard keyed like a building block must not rename the block."""
    from cityline.architecture.models import Standard
    from cityline.core import actions

    actions.create(Standard, city=city, key="old-gis", body="OGC", identifier="WMS", title="Web Map Service",
                   status="adopted")
    actions.create(Standard, city=city, key="crm-0", body="OGC", identifier="WFS", title="Web Feature Service",
                   status="considered")
    checks = {c["code"]: c for c in architecture(city)["checks"]}
    assert checks["block-without-owner"]["findings"][0]["names"] == ["Old GIS"]
    assert checks["legacy-without-migration"]["findings"][0]["names"] == ["Old GIS"]
    assert checks["step-due-outside-phase"]["findings"][0]["names"] == ["Choose the CRM"]
    assert [f["names"] for f in checks["standard-unused"]["findings"]] == [["IETF RFC 6749"], ["OGC WMS"]]


def test_standards_used_only_by_retired_blocks_count_as_unused(city):
    """The register agrees with the standard-unused check: a retired block no longer uses a standard."""
    from cityline.architecture.models import BuildingBlock
    from cityline.core import actions

    actions.update(BuildingBlock.objects.get(city=city, key="data-hub"), lifecycle="retired")
    data = standards(city)
    dcat = next(s for s in data["standards"] if s["key"] == "dcat")
    assert dcat["used_by"] == []
    assert data["summary"]["unused_adopted"] == 2
    unused = {f["records"][0] for c in architecture(city)["checks"] if c["code"] == "standard-unused"
              for f in c["findings"]}
    assert unused == {"dcat", "oauth2"}
