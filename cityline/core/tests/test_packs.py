"""City packs: import, export, round trip, replacement, history (issue 2 item 6; B2.g, B6.b).

A pack is the full state of one city: import creates or replaces it in one
transaction through the actions layer; export is byte-for-byte deterministic.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from cityline.core import actions
from cityline.core.models import City, Document, Organisation, Person
from cityline.core.packs import REASON, export_pack, import_pack, validate_pack
from cityline.strategy.models import (
    Checkpoint,
    GlossaryTerm,
    InteropBarrier,
    InteropCell,
    Meeting,
    PrincipleAgreement,
    VisionPurpose,
)

from .packs_helpers import DEMO, SMALL, copy_pack, edit, history_count, read_files, snapshot

pytestmark = pytest.mark.django_db


def _import(path, **kw):
    """An import by the platform's own set-up (trusted; ``user`` only names whom the history records)."""
    return import_pack(path, progress=False, trusted=True, **kw)


def test_import_creates_the_city_and_every_record():
    report = _import(SMALL)
    city = City.objects.get(key="brookfield")
    assert city.name == "Brookfield"
    assert city.country == "NO"  # stays text: not YAML 1.1's boolean "no"
    assert report.count("city").created == 1
    assert report.count("organisations").created == 5
    assert report.count("principles.agreements").created == 2
    assert report.count("interoperability_matrix.actions").created == 1
    assert report.changes == report.records == 55
    old = Organisation.objects.get(city=city, key="old-trust")
    assert old.successor.key == "health"  # a reference to a record written later in the file
    assert str(Document.objects.get(key="strategy-2030").published_on) == "2024-03-15"
    meeting = Meeting.objects.get(city=city, key="board-2024-06")
    assert sorted(meeting.papers.values_list("key", flat=True)) == ["minutes-1", "strategy-2030"]
    weights = dict(VisionPurpose.objects.filter(city=city).values_list("purpose", "weight"))
    assert str(weights["environment"]) == "0.400"
    # a symmetrical relation listed on one side only holds on both
    outcome = GlossaryTerm.objects.get(city=city, key="outcome")
    assert list(outcome.related.values_list("key", flat=True)) == ["benefit"]


def test_history_records_every_created_record_with_the_import_reason():
    user = get_user_model().objects.create_user("editor")
    _import(SMALL, user=user)
    org = Organisation.objects.get(key="council")
    entries = list(org.history.all())
    assert len(entries) == 1
    assert entries[0].history_change_reason.startswith(REASON)
    assert entries[0].history_user == user


def test_reimport_of_an_unchanged_pack_changes_nothing_and_adds_no_history():
    _import(SMALL)
    before = history_count()
    state = snapshot()
    report = _import(SMALL)
    assert report.changes == 0
    assert report.count("organisations").unchanged == 5
    assert history_count() == before
    assert snapshot() == state


def test_import_of_a_changed_pack_reports_the_right_counts(tmp_path):
    _import(SMALL)
    pack = copy_pack(SMALL, tmp_path / "p")
    edit(pack, "core.yaml", "    role: Mayor\n", "    role: Lord mayor\n")
    edit(pack, "core.yaml", "  - key: rivertech\n", "  - key: ngo\n    name: River Friends\n    sector: voluntary\n"
         "  - key: rivertech\n")
    edit(pack, "strategy.yaml", "  - key: gate-2\n    title: End of initiate phase\n    phase: initiate\n"
         "    date: 2025-06-30\n", "")
    edit(pack, "strategy.yaml", "      - {organisation: uni, agreed_on: 2024-02-01}\n", "")
    edit(pack, "strategy.yaml", "papers: [strategy-2030, minutes-1]", "papers: [strategy-2030]")
    before = history_count()
    report = _import(pack)
    assert report.count("people").as_dict() == {"created": 0, "updated": 1, "deleted": 0, "unchanged": 2}
    assert report.count("organisations").as_dict() == {"created": 1, "updated": 0, "deleted": 0, "unchanged": 5}
    assert report.count("checkpoints").as_dict() == {"created": 0, "updated": 0, "deleted": 1, "unchanged": 1}
    assert report.count("principles.agreements").deleted == 1
    assert report.count("meetings").updated == 1
    assert report.changes == 5
    assert history_count() == before + 5
    bo = Person.objects.get(key="bo")
    assert bo.role == "Lord mayor" and bo.version == 2
    assert bo.history.first().history_change_reason == REASON
    assert not Checkpoint.objects.filter(key="gate-2").exists()
    assert list(Meeting.objects.get().papers.values_list("key", flat=True)) == ["strategy-2030"]


def test_pack_replaces_the_city_model_records_absent_from_it_are_deleted(tmp_path):
    _import(SMALL)
    pack = copy_pack(SMALL, tmp_path / "p")
    # drop a whole interoperability cell (with its barrier) and a glossary term
    edit(pack, "strategy.yaml", "  - process: resource\n    dimension: technical\n    barriers:\n"
         "      - {key: old-scada, description: Closed SCADA protocols., severity: medium}\n", "")
    edit(pack, "strategy.yaml", "  - key: open-data\n    term: Open data\n"
         "    definition: Data anyone can use, for any purpose.\n    source: Open Definition\n", "")
    report = _import(pack)
    assert report.count("interoperability_matrix").deleted == 1
    assert report.count("interoperability_matrix.barriers").deleted == 1
    assert report.count("glossary").deleted == 1
    assert not InteropBarrier.objects.filter(key="old-scada").exists()
    assert InteropCell.objects.count() == 1
    assert not GlossaryTerm.objects.filter(key="open-data").exists()
    deleted = GlossaryTerm.history.filter(key="open-data", history_type="-").get()
    assert deleted.history_change_reason == REASON


def test_an_area_file_left_out_means_that_area_is_empty(tmp_path):
    _import(SMALL)
    pack = copy_pack(SMALL, tmp_path / "p")
    (pack / "strategy.yaml").unlink()
    report = _import(pack)
    assert report.count("principles").deleted == 2
    assert not PrincipleAgreement.objects.exists()
    assert Organisation.objects.count() == 5


def test_dry_run_reports_and_writes_nothing(tmp_path):
    _import(SMALL)
    pack = copy_pack(SMALL, tmp_path / "p")
    edit(pack, "core.yaml", "    role: Mayor\n", "    role: Lord mayor\n")
    state = snapshot()
    report = _import(pack, dry_run=True)
    assert report.dry_run and report.count("people").updated == 1
    assert snapshot() == state


def test_validate_reports_what_would_change_and_writes_nothing():
    state = snapshot()
    report = validate_pack(SMALL)
    assert report.count("city").created == 1 and report.records == 55
    assert snapshot() == state
    assert not City.objects.exists()


def test_two_cities_in_one_instance_stay_separate(tmp_path):
    _import(SMALL)
    other = copy_pack(SMALL, tmp_path / "lakeside")
    edit(other, "pack.yaml", "  key: brookfield\n  name: Brookfield\n", "  key: lakeside\n  name: Lakeside\n")
    report = _import(other)
    assert report.count("organisations").created == 5  # same keys, another city
    assert Organisation.objects.filter(key="council").count() == 2
    lakeside_before = read_files(export_pack("lakeside", tmp_path / "l1")[0].parent)
    # replacing brookfield's model leaves lakeside untouched
    pack = copy_pack(SMALL, tmp_path / "b")
    edit(pack, "strategy.yaml", "  - key: gate-2\n    title: End of initiate phase\n    phase: initiate\n"
         "    date: 2025-06-30\n", "")
    assert _import(pack).count("checkpoints").deleted == 1
    assert Checkpoint.objects.filter(key="gate-2", city__key="lakeside").exists()
    assert read_files(export_pack("lakeside", tmp_path / "l2")[0].parent) == lakeside_before


def _round_trip(source, tmp_path):
    report = _import(source)
    first = tmp_path / "first"
    export_pack(report.city_key, first)
    # the export holds everything: importing it back into the same database changes nothing
    assert _import(first).changes == 0
    # into an empty database and out again: the same bytes. Empty it with a pack that
    # only names the city (every record is deleted), then delete the city itself.
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "pack.yaml").write_bytes((first / "pack.yaml").read_bytes())
    emptied = _import(empty)
    assert emptied.count("city").unchanged == 1
    assert emptied.changes == sum(c.deleted for c in emptied.counts.values()) > 0
    actions.delete(City.objects.get(key=report.city_key))
    assert not City.objects.exists() and not Organisation.objects.exists()
    _import(first)
    second = tmp_path / "second"
    export_pack(report.city_key, second)
    assert read_files(first) == read_files(second)
    return read_files(first)


def test_round_trip_of_the_fixture_pack_is_byte_identical(tmp_path):
    files = _round_trip(SMALL, tmp_path)
    from cityline.core.packs import spec

    # every registered section is written, even when empty (areas add sections as they come)
    assert set(files) == {"pack.yaml", *(section.file for section in spec.sections())}
    assert {"core.yaml", "strategy.yaml", "benefits.yaml", "risks.yaml"} <= set(files)
    strategy = files["strategy.yaml"].decode()
    assert "statement: |\n      We start from outcomes.\n      Technology comes second.\n" in strategy
    assert "budget: 1500000\n" in strategy and "business_case_costs: 1250000.5\n" in strategy
    assert "      - {person: bo, role: chair}\n" in strategy
    # keyless records in the order of their choices: plan before initiate
    assert strategy.index("  - phase: plan\n") < strategy.index("  - phase: initiate\n")


@pytest.mark.skipif(not (DEMO / "pack.yaml").exists(), reason="the demo pack is not there yet")
def test_round_trip_of_the_demo_pack_is_byte_identical(tmp_path):
    """The demo pack out and back: export, import into an empty database, export again, same bytes.

    Shorter than :func:`_round_trip` (the demo's import is the costliest step of the suite): the
    re-import that changes nothing and the emptying pack are shown on the small pack above.
    """
    report = _import(DEMO)
    first = tmp_path / "first"
    export_pack(report.city_key, first)
    actions.delete(City.objects.get(key=report.city_key))
    assert not City.objects.exists()
    _import(first)
    second = tmp_path / "second"
    export_pack(report.city_key, second)
    files = read_files(first)
    assert files == read_files(second)
    assert b"format_version: 1" in files["pack.yaml"]


@pytest.mark.skipif(not (DEMO / "pack.yaml").exists(), reason="the demo pack is not there yet")
def test_demo_city_fixture_loads_the_demo(demo_city):
    assert Organisation.objects.filter(city=demo_city).count() > 5
    assert InteropCell.objects.filter(city=demo_city).count() == 15  # the full 3 × 5 matrix (B5)
    assert GlossaryTerm.objects.filter(city=demo_city).count() >= 30  # B6.b
