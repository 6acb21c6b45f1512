"""Retiring a building block in a city pack that also finishes or drops the steps leading to it, and blocks stored
retired before the rule (review of 08b9381, B14)."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from cityline.architecture.models import BuildingBlock, MigrationStep
from cityline.architecture.testing import make_architecture_city
from cityline.core import actions
from cityline.core.packs import PackError, export_pack, import_pack, validate_pack

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    return make_architecture_city()


def block(city, key):
    return BuildingBlock.objects.get(city=city, key=key)


def retire_crm(text: str) -> tuple[str, int]:
    """The pack text with ``crm`` retired, and the line of its lifecycle."""
    start = text.index("  - key: crm\n")
    end = text.index("\n  - key:", start + 5) + 1
    part = text[start:end]
    assert "    lifecycle: active\n" in part
    line = text[:start + part.index("    lifecycle: active\n")].count("\n") + 1
    return text[:start] + part.replace("    lifecycle: active\n", "    lifecycle: retired\n") + text[end:], line


def test_a_pack_that_finishes_the_steps_and_retires_their_block_imports(city, tmp_path):
    export_pack(city.key, tmp_path / "p")
    f = tmp_path / "p" / "architecture.yaml"
    text, _line = retire_crm(f.read_text())
    f.write_text(text.replace("status: planned", "status: done").replace("status: in_progress", "status: done"))
    import_pack(tmp_path / "p", progress=False, trusted=True)
    assert block(city, "crm").lifecycle == "retired"
    assert set(MigrationStep.objects.filter(city=city, target__key="crm").values_list("status", flat=True)) == {"done"}


def test_a_pack_that_drops_the_steps_and_retires_their_block_imports(city, tmp_path):
    export_pack(city.key, tmp_path / "p")
    f = tmp_path / "p" / "architecture.yaml"
    text, _line = retire_crm(f.read_text())
    f.write_text(text[:text.index("migration_steps:")] + "migration_steps: []\n")
    import_pack(tmp_path / "p", progress=False, trusted=True)
    assert block(city, "crm").lifecycle == "retired"
    assert not MigrationStep.objects.filter(city=city).exists()


def test_a_pack_that_retires_a_block_live_steps_still_lead_to_is_refused_at_its_line(city, tmp_path):
    export_pack(city.key, tmp_path / "p")
    f = tmp_path / "p" / "architecture.yaml"
    text, line = retire_crm(f.read_text())
    f.write_text(text.replace("status: in_progress", "status: done", 1))
    for attempt in (lambda: import_pack(tmp_path / "p", progress=False, trusted=True),
                    lambda: validate_pack(tmp_path / "p")):
        with pytest.raises(PackError) as err:
            attempt()
        problems = [str(p) for p in err.value.problems]
        assert any(re.match(rf"architecture\.yaml:{line}: building_blocks\[\d+\]\.lifecycle: cannot be retired "
                            r"while migration steps still lead to it \(crm-0, crm-1\)", p) for p in problems), problems
    assert block(city, "crm").lifecycle == "active"         # nothing written


def test_a_block_retired_before_the_rule_can_still_be_edited(city):
    BuildingBlock.objects.filter(city=city, key="crm").update(lifecycle="retired")      # stored before the rule
    crm = block(city, "crm")
    actions.update(crm, description="Kept for the archive")
    assert block(city, "crm").description == "Kept for the archive"
    step = MigrationStep.objects.get(city=city, key="crm-0")       # and so can a step stored leading to it
    actions.update(step, title="Choose the CRM (again)")
    assert MigrationStep.objects.get(city=city, key="crm-0").title == "Choose the CRM (again)"


def test_a_pack_keeping_a_block_retired_before_the_rule_imports_again(city, tmp_path):
    BuildingBlock.objects.filter(city=city, key="crm").update(lifecycle="retired")      # stored before the rule
    export_pack(city.key, tmp_path / "p")
    f = tmp_path / "p" / "architecture.yaml"
    f.write_text(f.read_text().replace("Case management as a service", "Case management, archived"))
    import_pack(tmp_path / "p", progress=False, trusted=True)
    assert block(city, "crm").service_contract == "Case management, archived"


def test_retiring_a_block_in_the_editor_is_still_refused(city, admin_client):
    crm = block(city, "crm")
    url = f"/admin/architecture/buildingblock/{crm.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(lifecycle="retired", opened_version=crm.version, owner=crm.owner_id,
                standards=[], used_by_organisations=[], used_by_services=[])
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "cannot be retired while migration steps still lead to it (crm-0, crm-1)" in response.content.decode()
    assert block(city, "crm").lifecycle == "active"
    with pytest.raises(ValidationError) as err:
        actions.update(block(city, "crm"), lifecycle="retired")
    assert "crm-0, crm-1" in " ".join(err.value.message_dict["lifecycle"])
