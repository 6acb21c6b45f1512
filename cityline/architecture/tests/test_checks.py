"""The architecture checks (B14) on hand-made data: each finding names its records and recommendation."""

from __future__ import annotations

from datetime import date

import pytest

from cityline.architecture.domain.checks import CHECKS, RECORD_KINDS, Block, Std, Step, check, counts


def codes(findings):
    return [(f.code, f.records) for f in findings]


def test_blocks_without_owner_or_contract_retired_ones_excepted():
    blocks = [
        Block("crm", owner="council", contract="99% uptime"),
        Block("gis", owner=None, contract="  "),
        Block("old-ftp", lifecycle="retired"),  # retired: no longer governed
        Block("portal", owner="council", contract=""),
    ]
    found = check(blocks, [], [])
    assert codes(found) == [
        ("block-without-owner", ("gis",)),
        ("block-without-contract", ("gis",)),
        ("block-without-contract", ("portal",)),
    ]
    assert found[0].recommendation == "B14"
    assert found[0].message == "building block gis has no owner organisation"


def test_adopted_standards_used_nowhere_ignoring_retired_blocks():
    blocks = [Block("a", owner="o", contract="c", standards=("dcat",)),
              Block("b", lifecycle="retired", standards=("ngsi-ld",))]
    stds = [Std("dcat"), Std("ngsi-ld"), Std("sensorthings", "considered"), Std("oauth2")]
    found = check(blocks, stds, [])
    assert codes(found) == [("standard-unused", ("ngsi-ld",)), ("standard-unused", ("oauth2",))]
    assert found[0].recommendation == "B14, B5.b"


def test_legacy_and_retiring_blocks_need_a_live_migration_step():
    blocks = [Block("old-crm", "legacy", "o", "c"), Block("old-gis", "retiring", "o", "c"),
              Block("old-web", "legacy", "o", "c"), Block("new", "active", "o", "c")]
    steps = [Step("s1", 1, "initiate", "new", replaces=("old-crm",)),
             Step("s2", 2, "deliver", "new", replaces=("old-web",), status="cancelled")]
    assert codes(check(blocks, [], steps)) == [("legacy-without-migration", ("old-gis",)),
                                               ("legacy-without-migration", ("old-web",))]


def test_steps_out_of_phase_order_name_the_step_and_the_later_phased_step_before_it():
    blocks = [Block("t", owner="o", contract="c")]
    steps = [
        Step("a", 1, "initiate", "t"),
        Step("b", 2, "deliver", "t"),
        Step("c", 3, "deliver", "t"),
        Step("d", 4, "initiate", "t"),   # back to initiate after deliver
        Step("e", 5, "plan", "t", status="cancelled"),  # cancelled steps are not checked
        Step("f", 6, "transform", "t"),
        Step("g", 7, "consolidate", "t"),
    ]
    found = check(blocks, [], steps)
    assert codes(found) == [("step-out-of-phase-order", ("d", "b")), ("step-out-of-phase-order", ("g", "f"))]
    assert found[0].message == "migration step d (phase initiate) comes after step b (phase deliver) in the plan"
    assert found[0].recommendation == "B14, B7.a"


def test_plan_order_uses_order_then_key_not_input_order():
    blocks = [Block("t", owner="o", contract="c")]
    steps = [Step("z", 1, "deliver", "t"), Step("a", 1, "plan", "t")]  # same order: a before z
    assert check(blocks, [], steps) == []


def test_due_date_outside_its_phase_and_phases_the_roadmap_lacks():
    blocks = [Block("t", owner="o", contract="c")]
    phases = {"initiate": (date(2025, 1, 1), date(2025, 12, 31))}
    steps = [Step("in", 1, "initiate", "t", due=date(2025, 12, 31)),
             Step("late", 2, "initiate", "t", due=date(2026, 1, 1)),
             Step("nophase", 3, "deliver", "t", due=date(2030, 1, 1)),
             Step("nodue", 4, "deliver", "t")]
    found = check(blocks, [], steps, phases)
    assert codes(found) == [("step-due-outside-phase", ("late",))]
    assert found[0].message == ("migration step late is due 2026-01-01, outside the initiate phase "
                                "(2025-01-01 to 2025-12-31)")


def test_step_leading_to_a_legacy_block():
    blocks = [Block("old", "legacy", "o", "c"), Block("older", "legacy", "o", "c")]
    steps = [Step("s", 1, "deliver", "old", replaces=("older",))]
    assert codes(check(blocks, [], steps)) == [("legacy-without-migration", ("old",)),
                                               ("step-to-legacy-target", ("s", "old"))]


def test_a_clean_architecture_has_no_findings_and_counts_list_every_check():
    blocks = [Block("old", "legacy", "o", "c", ("s",)), Block("new", "active", "o", "c", ("s",))]
    found = check(blocks, [Std("s")], [Step("m", 1, "deliver", "new", replaces=("old",))])
    assert found == []
    assert counts(found) == dict.fromkeys(CHECKS, 0)
    assert counts(check([Block("x")], [], []))["block-without-owner"] == 1


def test_unknown_phase_is_refused():
    with pytest.raises(ValueError, match="unknown roadmap phase 'later'"):
        check([], [], [Step("s", 1, "later", "t")])


def test_every_finding_says_what_kind_of_record_each_key_is():
    """Keys are unique per kind only, so pages name a finding's records through RECORD_KINDS."""
    assert set(RECORD_KINDS) == set(CHECKS)
    blocks = [Block("gis", lifecycle="legacy"), Block("crm", lifecycle="retiring", owner="o", contract="c")]
    steps = [Step("s2", 1, "deliver", "crm", due=date(2030, 1, 1)), Step("s1", 2, "plan", "crm")]
    found = check(blocks, [Std("dcat")], steps, {"deliver": (date(2026, 1, 1), date(2026, 12, 31))})
    assert set(counts(found)) == set(CHECKS) and all(counts(found).values())  # every check found something
    for f in found:
        assert len(f.records) == len(RECORD_KINDS[f.code]), f
        assert set(RECORD_KINDS[f.code]) <= {"block", "standard", "step"}
