"""The architecture as records: rules, reuse, checks of a stored city, editor, API, city pack (B14)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cityline.architecture.models import BuildingBlock, MigrationStep, Standard, StandardCell
from cityline.architecture.services import architecture_checks
from cityline.architecture.testing import make_architecture_city
from cityline.core import actions
from cityline.core.models import City
from cityline.core.packs import PackError, export_pack, import_pack, validate_pack
from cityline.core.tests.packs_helpers import edit
from cityline.strategy.models import InteropCell

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    return make_architecture_city()


def block(city, key):
    return BuildingBlock.objects.get(city=city, key=key)


def test_reuse_count_is_services_plus_organisations(city):
    assert block(city, "data-hub").reuse_count == 3
    assert block(city, "crm").reuse_count == 0


def test_where_a_standard_is_used_and_the_matrix_cell_it_addresses(city):
    dcat = Standard.objects.get(city=city, key="dcat")
    assert [b.key for b in dcat.building_blocks.all()] == ["data-hub"]
    assert dcat.cells == ["resource/semantic"]
    cell = StandardCell.objects.get(standard=dcat)
    assert cell.cell is None  # the city has no matrix yet
    made = actions.create(InteropCell, city=city, process="resource", dimension="semantic")
    assert StandardCell.objects.get(standard=dcat).cell == made


def test_migration_cannot_lead_to_a_retired_block(city):
    actions.update(block(city, "old-gis"), lifecycle="retired")
    with pytest.raises(ValidationError) as err:
        actions.create(MigrationStep, city=city, key="x", title="x", order=3, target=block(city, "old-gis"),
                       phase="deliver")
    assert "target" in err.value.message_dict


def test_a_step_knows_its_roadmap_phase(city):
    step = MigrationStep.objects.get(city=city, key="crm-0")
    assert str(step.roadmap_phase.start_date) == "2025-01-01"


def test_checks_of_the_stored_city(city, client):
    body = client.get(f"/api/v1/cities/{city.key}/architecture-checks").json()
    assert body == architecture_checks(City.objects.get(key=city.key))
    assert [(f["code"], f["records"]) for f in body["findings"]] == [
        ("block-without-owner", ["old-gis"]),
        ("block-without-contract", ["old-gis"]),
        ("standard-unused", ["oauth2"]),
        ("legacy-without-migration", ["old-gis"]),
        ("step-out-of-phase-order", ["crm-0", "crm-1"]),
        ("step-due-outside-phase", ["crm-0"]),
    ]
    assert body["counts"]["step-to-legacy-target"] == 0
    assert body["findings"][2]["recommendation"] == "B14, B5.b"


def test_api_collections(city, client):
    base = f"/api/v1/cities/{city.key}"
    hub = client.get(f"{base}/building-blocks/data-hub").json()
    assert hub["reuse_count"] == 3 and hub["owner"] == "council" and hub["standards"] == ["dcat"]
    assert hub["used_by_services"] == ["report-it"] and hub["used_by_organisations"] == ["council", "police"]
    legacy = client.get(f"{base}/building-blocks?lifecycle=legacy").json()["results"]
    assert [b["key"] for b in legacy] == ["old-crm"]
    steps = client.get(f"{base}/migration-steps?replaces=old-crm").json()["results"]
    assert [s["key"] for s in steps] == ["crm-1"]
    assert client.get(f"{base}/standards?status=considered").json()["results"][0]["key"] == "ngsi-ld"


def test_editor_pages(admin_client, city):
    hub = block(city, "data-hub")
    for url in ("/admin/architecture/buildingblock/", "/admin/architecture/buildingblock/add/",
                f"/admin/architecture/buildingblock/{hub.pk}/change/", "/admin/architecture/standard/",
                f"/admin/architecture/standard/{Standard.objects.get(key='dcat').pk}/change/",
                "/admin/architecture/migrationstep/", "/admin/architecture/standardcell/"):
        assert admin_client.get(url).status_code == 200, url


def test_city_pack_round_trip_is_byte_identical(city, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    export_pack(city.key, first)
    text = (first / "architecture.yaml").read_text()
    assert "  - key: dcat\n" in text and "    matrix_cells:\n      - {process: resource, dimension: semantic}\n" in text
    assert "    replaces: [old-crm]\n" in text and "    used_by_organisations: [council, police]\n" in text
    assert "    used_by_services: [report-it]\n" in text
    actions.delete(City.objects.get(key=city.key))
    report = import_pack(first, progress=False, trusted=True)
    assert report.count("building_blocks").created == 4
    assert report.count("standards.matrix_cells").created == 1
    assert report.count("migration_steps").created == 2
    export_pack(city.key, second)
    assert (first / "architecture.yaml").read_bytes() == (second / "architecture.yaml").read_bytes()


@pytest.fixture
def exported(city, tmp_path):
    path = tmp_path / "pack"
    export_pack(city.key, path)
    return path


def _refused(pack) -> list[str]:
    before = (BuildingBlock.objects.count(), Standard.objects.count(), MigrationStep.objects.count(),
              BuildingBlock.history.count())
    with pytest.raises(PackError) as err:
        import_pack(pack, progress=False, trusted=True)
    assert (BuildingBlock.objects.count(), Standard.objects.count(), MigrationStep.objects.count(),
            BuildingBlock.history.count()) == before
    with pytest.raises(PackError):
        validate_pack(pack)
    return [str(p) for p in err.value.problems]


def test_unknown_standard_reference(exported):
    line = edit(exported, "architecture.yaml", "    standards: [dcat]\n", "    standards: [dcat, dkat]\n")
    problems = _refused(exported)
    assert any(p.startswith(f"architecture.yaml:{line}:") and "unknown standard 'dkat'" in p
               and "did you mean 'dcat'" in p for p in problems), problems


def test_bad_lifecycle_and_phase(exported):
    line = edit(exported, "architecture.yaml", "    lifecycle: legacy\n", "    lifecycle: ancient\n")
    problems = _refused(exported)
    assert any(p.startswith(f"architecture.yaml:{line}:") and "lifecycle" in p and "ancient" in p
               for p in problems), problems


def test_model_rule_retired_target(exported):
    text = (exported / "architecture.yaml").read_text()
    start = text.index("  - key: crm\n")
    block_text = text[start:text.index("  - key: data-hub\n")]
    assert "    lifecycle: active\n" in block_text
    (exported / "architecture.yaml").write_text(
        text[:start] + block_text.replace("    lifecycle: active\n", "    lifecycle: retired\n")
        + text[start + len(block_text):])
    # over the stored city: the block is refused, naming the planned steps that still lead to it
    problems = _refused(exported)
    block_line = text[:start].count("\n") + 1
    assert any(p.startswith("architecture.yaml:") and "lifecycle" in p and "crm-0, crm-1" in p
               and int(p.split(":")[1]) > block_line for p in problems), problems
    # into a new city: the steps pointing at the retired block are refused, naming the step's target line
    actions.delete(City.objects.get(key="testville"))
    problems = _refused(exported)
    step_line = text[:text.index("  - key: crm-0\n")].count("\n") + 1
    assert any(p.startswith("architecture.yaml:") and "target" in p and "retired building block" in p
               and int(p.split(":")[1]) > step_line for p in problems), problems


def test_duplicate_matrix_cell(exported):
    line = edit(exported, "architecture.yaml", "      - {process: resource, dimension: semantic}\n",
                "      - {process: resource, dimension: semantic}\n      - {process: resource, dimension: semantic}\n")
    problems = _refused(exported)
    assert any(p.startswith(f"architecture.yaml:{line + 1}:") and "duplicate" in p for p in problems), problems


# --- a retired building block and the steps that lead to it (B14) --------------------------


def test_a_block_a_live_step_leads_to_cannot_be_retired(city):
    """Retiring ``crm`` while two planned steps lead to it would leave a plan the pack cannot re-import."""
    with pytest.raises(ValidationError) as err:
        actions.update(block(city, "crm"), lifecycle="retired")
    message = " ".join(err.value.message_dict["lifecycle"])
    assert "crm-0" in message and "crm-1" in message
    assert block(city, "crm").lifecycle == "active"  # nothing written


def test_a_done_step_may_lead_to_a_block_retired_since(city, tmp_path):
    """Once its live steps are done or cancelled, a block can be retired and the city pack still round-trips."""
    actions.update(MigrationStep.objects.get(city=city, key="crm-1"), status="done")
    actions.update(MigrationStep.objects.get(city=city, key="crm-0"), status="cancelled")
    actions.update(block(city, "crm"), lifecycle="retired")
    first, second = tmp_path / "first", tmp_path / "second"
    export_pack(city.key, first)
    actions.delete(City.objects.get(key=city.key))
    import_pack(first, progress=False, trusted=True)
    city = City.objects.get(key=city.key)
    assert block(city, "crm").lifecycle == "retired"
    assert MigrationStep.objects.get(city=city, key="crm-1").target == block(city, "crm")
    export_pack(city.key, second)
    assert (first / "architecture.yaml").read_bytes() == (second / "architecture.yaml").read_bytes()
    # a live step still cannot be planned to it, nor a done one reopened
    with pytest.raises(ValidationError) as err:
        actions.update(MigrationStep.objects.get(city=city, key="crm-1"), status="in_progress")
    assert "retired building block" in " ".join(err.value.message_dict["target"])
