"""Development projects as records: rules, editor, API, city pack (B12)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cityline.core import actions
from cityline.core.models import City
from cityline.core.packs import PackError, export_pack, import_pack, validate_pack
from cityline.core.tests.packs_helpers import edit
from cityline.developments.models import ChecklistEntry, DevelopmentProject
from cityline.developments.services import cross_infrastructure
from cityline.developments.testing import make_developments_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    return make_developments_city()


def road(city):
    return DevelopmentProject.objects.get(city=city, key="quay-road")


@pytest.mark.parametrize("fields, field, message", [
    ({"infrastructure_types": []}, "infrastructure_types", "at least one"),
    ({"infrastructure_types": ["canals"]}, "infrastructure_types", "unknown infrastructure type canals"),
    ({"infrastructure_types": ["water", "water"]}, "infrastructure_types", "listed twice"),
    ({"end_date": "2025-01-01"}, "end_date", "before the start"),
    ({"latitude": Decimal("50.7")}, "longitude", "both latitude and longitude"),
    ({"box_west": None}, "box_west", "all four edges"),
    ({"box_east": Decimal("-1.20")}, "box_east", "east edge"),
    ({"box_north": Decimal("50.60")}, "box_north", "north edge"),
    ({"latitude": Decimal("91"), "longitude": Decimal("0")}, "latitude", "less than or equal to 90"),
])
def test_project_rules(city, fields, field, message):
    project = road(city)
    with pytest.raises(ValidationError) as err:
        actions.update(project, **fields)
    assert message in " ".join(err.value.message_dict[field])
    assert road(city).infrastructure_types == ["transport"]  # nothing written


def test_one_entry_per_checklist_item(city):
    with pytest.raises(ValidationError):
        actions.create(ChecklistEntry, city=city, project=road(city), item="ducting", status="planned")


def test_score_on_the_model_and_in_the_api(city, client):
    assert road(city).checklist_score == 17  # 1 done of 6 applicable
    body = client.get(f"/api/v1/cities/{city.key}/development-projects/quay-road").json()
    assert body["checklist_score"] == 17
    assert body["infrastructure_types"] == ["transport"]
    assert body["initiatives"] == ["quay-works"] and body["risks"] == ["utility-clash"]
    assert body["partners"] == ["water-co"] and body["lead"] == "council"
    found = client.get(f"/api/v1/cities/{city.key}/development-projects?stage=design").json()["results"]
    assert [p["key"] for p in found] == ["quay-main"]


def test_cross_infrastructure_view_of_the_stored_city(city, client):
    body = client.get(f"/api/v1/cities/{city.key}/cross-infrastructure").json()
    assert body == cross_infrastructure(City.objects.get(key=city.key))
    assert body["pairs"] == [{"a": "quay-main", "b": "quay-road", "reasons": ["same_area"],
                              "window_start": "2026-05-01", "window_end": "2026-06-30",
                              "types": ["transport", "water"], "cross_infrastructure": True}]
    assert body["groups"] == [{"keys": ["quay-main", "quay-road"], "areas": ["Harbour Ward", "harbour ward"],
                               "types": ["transport", "water"]}]
    assert body["finished"] == ["old-depot"] and body["undated"] == []
    scores = {c["key"]: c["score"] for c in body["checklists"]}
    assert scores == {"fibre": 0, "old-depot": 0, "quay-main": 0, "quay-road": 17, "school": 0}
    # moving fibre's dates into quay-road's period makes its point inside the box count
    actions.update(DevelopmentProject.objects.get(city=city, key="fibre"), start_date="2026-03-01")
    pairs = client.get(f"/api/v1/cities/{city.key}/cross-infrastructure").json()["pairs"]
    assert ("fibre", "quay-road", ["overlapping_extent"]) in [(p["a"], p["b"], p["reasons"]) for p in pairs]


def test_unknown_city_is_a_404_problem(client, city):
    assert client.get("/api/v1/cities/nowhere/cross-infrastructure").status_code == 404


def test_editor_pages(admin_client, city):
    pk = road(city).pk
    for url in ("/admin/developments/developmentproject/", "/admin/developments/developmentproject/add/",
                f"/admin/developments/developmentproject/{pk}/change/", "/admin/developments/checklistentry/"):
        assert admin_client.get(url).status_code == 200, url
    assert "17 %" in admin_client.get(f"/admin/developments/developmentproject/{pk}/change/").content.decode()


def test_city_pack_round_trip_is_byte_identical(city, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    export_pack(city.key, first)
    text = (first / "developments.yaml").read_text()
    assert "  - key: quay-road\n" in text and "    infrastructure_types: [transport]\n" in text
    assert "      - {item: ducting, status: done, note: Agreed at design review}\n" in text
    assert "    box_west: -1.1\n" in text and "    budget: 2500000\n" in text
    actions.delete(City.objects.get(key=city.key))
    report = import_pack(first, progress=False, trusted=True)
    assert report.count("development_projects").created == 5
    assert report.count("development_projects.checklist").created == 3
    export_pack(city.key, second)
    assert (first / "developments.yaml").read_bytes() == (second / "developments.yaml").read_bytes()
    assert road(City.objects.get(key=city.key)).checklist_score == 17


@pytest.fixture
def exported(city, tmp_path):
    path = tmp_path / "pack"
    export_pack(city.key, path)
    return path


def _refused(pack) -> list[str]:
    before = (DevelopmentProject.objects.count(), ChecklistEntry.objects.count(),
              DevelopmentProject.history.count())
    with pytest.raises(PackError) as err:
        import_pack(pack, progress=False, trusted=True)
    assert (DevelopmentProject.objects.count(), ChecklistEntry.objects.count(),
            DevelopmentProject.history.count()) == before
    with pytest.raises(PackError):
        validate_pack(pack)
    return [str(p) for p in err.value.problems]


def test_bad_infrastructure_type_names_file_line_field(exported):
    line = edit(exported, "developments.yaml", "    infrastructure_types: [transport]\n",
                "    infrastructure_types: [transport, canals]\n")
    problems = _refused(exported)
    assert any(p.startswith(f"developments.yaml:{line}:") and "infrastructure_types" in p and "canals" in p
               for p in problems), problems


def test_unknown_checklist_item_and_reference(exported):
    line = edit(exported, "developments.yaml", "{item: ducting, status: done",
                "{item: moat, status: done")
    problems = _refused(exported)
    assert any(p.startswith(f"developments.yaml:{line}:") and "moat" in p for p in problems), problems


def test_unknown_lead_organisation(exported):
    line = edit(exported, "developments.yaml", "    lead: water-co\n", "    lead: gas-co\n")
    problems = _refused(exported)
    assert any(p.startswith(f"developments.yaml:{line}:") and "unknown organisation 'gas-co'" in p
               for p in problems), problems


def test_model_rule_end_before_start_names_the_field(exported):
    line = edit(exported, "developments.yaml", "    end_date: 2026-06-30\n", "    end_date: 2025-06-30\n")
    problems = _refused(exported)
    assert any(p.startswith(f"developments.yaml:{line}:") and "end_date" in p and "before the start" in p
               for p in problems), problems
