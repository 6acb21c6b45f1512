"""City pack import while someone else edits the same city (B2.g: nothing is silently overwritten).

The importer reads the city's records once, then writes them one by one through the actions layer,
which refuses to overwrite a record whose version moved on (optimistic locking). A record changed by
someone else in between (the editor, the API, another import on PostgreSQL) must end the import as a
pack problem that names the file, the line and the record, with nothing imported: not a traceback.
"""

from __future__ import annotations

import pytest
from django.db.models import F

from cityline.core.models import City, Organisation
from cityline.core.packs import PackError, import_pack, importer

from .packs_helpers import SMALL, copy_pack, edit, snapshot

pytestmark = pytest.mark.django_db


def _edited_elsewhere(monkeypatch, model, key: str, **values) -> None:
    """Once the importer has read the city, ``key`` is changed behind its back, as a concurrent save would."""
    original = importer._Run.load_existing

    def load_then_someone_edits(run):
        original(run)
        model._default_manager.filter(city=run.city, key=key).update(version=F("version") + 1, **values)

    monkeypatch.setattr(importer._Run, "load_existing", load_then_someone_edits)


def test_a_record_changed_by_someone_else_during_the_import_is_a_named_problem(tmp_path, monkeypatch):
    import_pack(SMALL, progress=False, trusted=True)
    pack = copy_pack(SMALL, tmp_path / "pack")
    line = edit(pack, "core.yaml", "    name: Brookfield University\n", "    name: University of Brookfield\n")
    _edited_elsewhere(monkeypatch, Organisation, "uni", name="Brookfield Uni (edited in the editor)")
    before = snapshot()

    with pytest.raises(PackError) as err:
        import_pack(pack, progress=False, trusted=True)

    problems = [str(p) for p in err.value.problems]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"core.yaml:{line - 1}: organisations[3]: ")
    assert "was changed by someone else while the import ran" in problems[0]
    assert "run the import again" in problems[0]
    # nothing of the import was written (the concurrent edit itself is rolled back with the test's update)
    assert snapshot() == before


def test_the_city_record_changed_during_the_import_is_a_named_problem(tmp_path, monkeypatch):
    import_pack(SMALL, progress=False, trusted=True)
    pack = copy_pack(SMALL, tmp_path / "pack")
    edit(pack, "pack.yaml", "  name: Brookfield\n", "  name: Brookfield Town\n")
    original = importer.actions.update

    def someone_edits_first(instance, **kw):
        if isinstance(instance, City):
            City.objects.filter(pk=instance.pk).update(version=F("version") + 1, description="edited elsewhere")
        return original(instance, **kw)

    monkeypatch.setattr(importer.actions, "update", someone_edits_first)

    with pytest.raises(PackError) as err:
        import_pack(pack, progress=False, trusted=True)

    problems = [str(p) for p in err.value.problems]
    assert len(problems) == 1, problems
    assert problems[0].startswith("pack.yaml:")
    assert ": city: " in problems[0] and "was changed by someone else while the import ran" in problems[0]


# --- a record renamed in the pack: the old one gives way before the new one is written -------------------------

PLAN = """realisation_plans:
  - key: {key}
    benefit: eo-river
    owner: ana
    summary: Clean the river.
"""


def _with_a_plan(pack, key: str):
    (pack / "benefits.yaml").write_text(
        "benefit_nodes:\n  - key: eo-river\n    kind: end_outcome\n    title: A clean river\n", encoding="utf-8")
    (pack / "delivery.yaml").write_text(PLAN.format(key=key), encoding="utf-8")
    return pack


def test_renaming_a_key_whose_record_holds_a_unique_value_imports(tmp_path):
    """One realisation plan per benefit: renaming the plan's key keeps the benefit. The old plan, which the pack
    no longer lists, is deleted as before; the new one must not be refused as a duplicate of it."""
    from cityline.delivery.models import RealisationPlan

    import_pack(_with_a_plan(copy_pack(SMALL, tmp_path / "first"), "plan-river"), progress=False, trusted=True)
    renamed = _with_a_plan(copy_pack(SMALL, tmp_path / "second"), "plan-clean-river")

    dry = import_pack(renamed, progress=False, trusted=True, dry_run=True)
    report = import_pack(renamed, progress=False, trusted=True)

    assert report.count("realisation_plans").as_dict() == {"created": 1, "updated": 0, "deleted": 1, "unchanged": 0}
    assert dry.as_dict() | {"dry_run": False} == report.as_dict()
    city = City.objects.get(key="brookfield")
    assert list(RealisationPlan.objects.filter(city=city).values_list("key", flat=True)) == ["plan-clean-river"]
    history = RealisationPlan.history.filter(city_id=city.pk).order_by("history_id")
    assert [(h.key, h.history_type) for h in history] == [
        ("plan-river", "+"), ("plan-river", "-"), ("plan-clean-river", "+")]


def test_a_unique_value_taken_by_a_record_the_pack_keeps_is_still_refused(tmp_path):
    import_pack(_with_a_plan(copy_pack(SMALL, tmp_path / "first"), "plan-river"), progress=False, trusted=True)
    pack = _with_a_plan(copy_pack(SMALL, tmp_path / "second"), "plan-river")
    (pack / "delivery.yaml").write_text(PLAN.format(key="plan-river") + PLAN.format(key="plan-twin").split("\n", 1)[1],
                                        encoding="utf-8")
    before = snapshot()

    with pytest.raises(PackError) as err:
        import_pack(pack, progress=False, trusted=True)

    assert [str(p) for p in err.value.problems] == [
        "delivery.yaml:7: realisation_plans[1].benefit: Realisation plan with this Benefit already exists."]
    assert snapshot() == before
