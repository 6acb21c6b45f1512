"""Every class of bad pack input: the error names file, line and field, and nothing is written.

The database already holds the fixture city when each bad pack is imported, so
"nothing written" means: row counts of every table (history included) and a
checksum of every city's export are exactly as before.
"""

from __future__ import annotations

import pytest

from cityline.core.models import City
from cityline.core.packs import PackError, import_pack, read_pack, validate_pack

from .packs_helpers import SMALL, copy_pack, edit, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack(tmp_path):
    import_pack(SMALL, progress=False, trusted=True)
    return copy_pack(SMALL, tmp_path / "pack")


def refused(pack) -> list[str]:
    """Import ``pack``, expect PackError, check nothing changed; return the problems as text."""
    before = snapshot()
    with pytest.raises(PackError) as err:
        import_pack(pack, progress=False, trusted=True)
    assert snapshot() == before
    # validation finds exactly the same problems
    with pytest.raises(PackError) as again:
        validate_pack(pack)
    assert [str(p) for p in again.value.problems] == [str(p) for p in err.value.problems]
    return [str(p) for p in err.value.problems]


def test_malformed_yaml(pack):
    line = edit(pack, "core.yaml", "    name: Brookfield University\n", "    name: [Brookfield University\n")
    problems = refused(pack)
    assert any(p.startswith("core.yaml:") and "malformed YAML" in p for p in problems), problems
    # PyYAML notices the unclosed list a line or two later; the line is near the edit
    line_found = int(problems[0].split(":")[1])
    assert line <= line_found <= line + 2
    # references into an unreadable file are not reported as unknown (no noise)
    assert not any("unknown organisation" in p for p in problems)


def test_duplicate_key_inside_a_mapping(pack):
    line = edit(pack, "core.yaml", "    email: ana@example.org\n", "    email: ana@example.org\n    email: a@x.org\n")
    problems = refused(pack)
    assert f"core.yaml:{line + 1}: duplicate key 'email' (first given on line {line})" in problems


def test_wrong_type(pack):
    line = edit(pack, "strategy.yaml", "    participants: 40\n", "    participants: forty\n")
    assert f"strategy.yaml:{line}: engagement_activities[0].participants: expected a whole number, got text 'forty'" \
        in refused(pack)


def test_wrong_type_of_a_city_field(pack):
    line = edit(pack, "pack.yaml", "  population: 52000\n", "  population: [52000]\n")
    assert f"pack.yaml:{line}: city.population: expected a whole number, got a list" in refused(pack)


def test_unknown_enum_value_in_a_list(pack):
    line = edit(pack, "strategy.yaml", "    categories: [beneficiary, consumer]\n",
                "    categories: [beneficiary, investr]\n")
    problems = refused(pack)
    assert any(p.startswith(f"strategy.yaml:{line}: interested_parties[0].categories[1]: unknown value 'investr'; "
                            "expected one of promoter, negative_promoter, investor") for p in problems), problems
    assert "did you mean 'investor'?" in problems[0]


def test_missing_required_field(pack):
    line = edit(pack, "strategy.yaml", "  - key: delivery-group\n    name: Delivery group\n    level: delivery\n"
                "    remit: Runs the roadmap.\n", "  - key: delivery-group\n    name: Delivery group\n"
                "    level: delivery\n")
    assert f"strategy.yaml:{line}: governance_bodies[1]: missing required field 'remit'" in refused(pack)


def test_unknown_field(pack):
    line = edit(pack, "strategy.yaml", "    size: sme\n", "    size: sme\n    colour: blue\n")
    problems = refused(pack)
    assert any(p.startswith(f"strategy.yaml:{line + 1}: suppliers[0].colour: unknown field 'colour'")
               for p in problems), problems


def test_invalid_date(pack):
    line = edit(pack, "strategy.yaml", "    date: 2024-06-12\n", "    date: 2024-02-30\n")
    assert f"strategy.yaml:{line}: meetings[0].date: invalid date '2024-02-30': day is out of range for month" \
        in refused(pack)


def test_date_in_the_wrong_form(pack):
    line = edit(pack, "core.yaml", "    adopted_on: 2024-05-02\n", "    adopted_on: 02/05/2024\n")
    assert f"core.yaml:{line}: documents[1].adopted_on: not a date: '02/05/2024' (write dates as YYYY-MM-DD)" \
        in refused(pack)


def test_duplicate_record_key(pack):
    line = edit(pack, "core.yaml", "  - key: cai\n", "  - key: bo\n")
    problems = refused(pack)
    assert any(p.startswith(f"core.yaml:{line}: people[2].key: duplicate key 'bo'") for p in problems), problems


def test_duplicate_natural_identity(pack):
    line = edit(pack, "strategy.yaml", "  - {phase: initiate, start_date", "  - {phase: plan, start_date")
    problems = refused(pack)
    assert any(p.startswith(f"strategy.yaml:{line}: roadmap_phases[1]: duplicate roadmap phase: phase 'plan'")
               for p in problems), problems


def test_unknown_reference(pack):
    line = edit(pack, "strategy.yaml", "    lead: ana\n", "    lead: anna\n")
    assert (f"strategy.yaml:{line}: workstreams[0].lead: unknown person 'anna': no entry of people in core.yaml "
            "has this key; did you mean 'ana'?") in refused(pack)


def test_unknown_reference_in_a_list(pack):
    line = edit(pack, "strategy.yaml", "    parties: [residents, anglers]\n", "    parties: [residents, fishers]\n")
    problems = refused(pack)
    assert any(p.startswith(f"strategy.yaml:{line}: engagement_activities[0].parties[1]: unknown interested party "
                            "'fishers'") for p in problems), problems


def test_model_rule_end_before_start(pack):
    line = edit(pack, "strategy.yaml", "    end_date: 2029-11-30\n", "    end_date: 2023-11-30\n")
    assert f"strategy.yaml:{line}: contracts[0].end_date: cannot be before start date" in refused(pack)


def test_model_rule_on_a_field_the_pack_leaves_out(pack):
    # a completed programme must be 100% done; progress is given as 30
    line = edit(pack, "strategy.yaml", "    status: in_progress\n    progress: 30\n",
                "    status: completed\n    progress: 30\n")
    assert f"strategy.yaml:{line + 1}: programmes[0].progress: a completed item must show 100 percent progress" in refused(pack)


def test_model_rule_in_a_new_city_creates_nothing(tmp_path):
    pack = copy_pack(SMALL, tmp_path / "p")
    edit(pack, "strategy.yaml", "    kind: city_exchange\n    date: 2024-09-02\n    channel: online\n"
         "    partner_city: Lakeside\n", "    kind: city_exchange\n    date: 2024-09-02\n    channel: online\n")
    with pytest.raises(PackError) as err:
        import_pack(pack, progress=False, trusted=True)
    assert "engagement_activities[1].partner_city: a city-to-city exchange names the partner city" in str(err.value)
    assert not City.objects.exists()


def test_every_problem_is_reported_not_just_the_first(pack):
    edit(pack, "core.yaml", "    email: ana@example.org\n", "    email: ana@example.org\n    email: a@x.org\n")
    edit(pack, "strategy.yaml", "    participants: 40\n", "    participants: forty\n")
    edit(pack, "strategy.yaml", "    lead: ana\n", "    lead: anna\n")
    edit(pack, "strategy.yaml", "    end_date: 2029-11-30\n", "    end_date: 2023-11-30\n")
    edit(pack, "strategy.yaml", "    date: 2024-06-12\n", "    date: 2024-02-30\n")
    problems = refused(pack)
    assert len(problems) == 5, problems
    # sorted by file (pack.yaml, core.yaml, strategy.yaml), then line
    assert problems[0].startswith("core.yaml:")
    lines = [int(p.split(":")[1]) for p in problems[1:]]
    assert lines == sorted(lines)


def test_a_newer_format_version_is_refused_with_one_clear_message(pack):
    line = edit(pack, "pack.yaml", "format_version: 1\n", "format_version: 2\n")
    edit(pack, "core.yaml", "    sector: academic\n", "    sector: academic\n    ror_id: 01abc\n")
    assert refused(pack) == [
        f"pack.yaml:{line}: format_version: this pack uses format version 2, but this Cityline reads version 1 "
        "at most: upgrade Cityline to import it"
    ]


def test_unknown_and_missing_files(pack):
    (pack / "benefit.yaml").write_text("benefit_nodes: []\n")
    (pack / "pack.yaml").unlink()
    problems = refused(pack)
    from cityline.core.packs import spec

    files = ", ".join(["pack.yaml", *(section.file for section in spec.sections())])
    assert f"benefit.yaml: unknown file (a pack holds {files}); did you mean benefits.yaml?" in problems
    assert any(p.startswith("pack.yaml: missing") for p in problems)


def test_missing_folder(tmp_path):
    with pytest.raises(PackError) as err:
        import_pack(tmp_path / "nowhere", progress=False, trusted=True)
    assert "no such folder" in str(err.value)


def test_reader_marks_only_the_bad_records(pack):
    edit(pack, "core.yaml", "  - key: cai\n", "  - key: bo\n")
    read = read_pack(pack)
    bad = [r.key for r in read.records["people"] if r.bad]
    assert bad == ["bo"] and len(read.records["people"]) == 3
