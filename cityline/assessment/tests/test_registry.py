"""The rule registry: IDs, outcomes, shares and attestations (plain Python, no database)."""

from datetime import date

import pytest

from cityline.assessment import registry as reg


def test_the_reference_lists_every_recommendation_at_its_finest_level():
    ids = reg.recommendation_ids()
    assert len(ids) == 68
    assert list(ids)[:3] == ["A.1.1", "A.1.2", "A.1.3"] and "D.1" in ids
    assert "B4.b" not in ids and "B4.b.4" in ids          # parents are assessed through their children
    assert set(ids.values()) == set(reg.COMPONENTS)


@pytest.fixture
def sandbox(monkeypatch):
    monkeypatch.setattr(reg, "RULES", {})
    return reg


def test_share_gives_met_partly_or_not_met(sandbox):
    @sandbox.rule("X.1", title="test", thresholds={"minimum": 0.5})
    def x(ctx):
        done, total = ctx.city
        return ctx.share(done, total, minimum=ctx.threshold("minimum"), reason="r", next_step="n")

    def outcome(done, total, thresholds=None):
        return sandbox.run_rule(sandbox.RULES["X.1"], sandbox.Context((done, total), date(2026, 1, 1),
                                                                     thresholds or {})).outcome

    assert outcome(4, 4) == "met" and outcome(2, 4) == "partly_met" and outcome(1, 4) == "not_met"
    assert outcome(0, 0) == "not_met"
    assert outcome(2, 4, {"minimum": 0.75}) == "not_met"    # a city's own threshold wins


def test_a_current_attestation_raises_an_attestable_rule_and_an_expired_one_does_not(sandbox):
    @sandbox.rule("X.2", title="culture", attestable=True)
    def x(ctx):
        return ctx.not_met("nothing in the data shows it", "attest it with evidence")

    doc = sandbox.Evidence("Culture survey 2026", "core.document", "culture-survey")
    att = sandbox.Attestation("att-1", "X.2", "met", "Survey shows the change", doc, date(2026, 12, 31))
    ctx = sandbox.Context(None, date(2026, 6, 1), attestations={"X.2": att})
    result = sandbox.run_rule(sandbox.RULES["X.2"], ctx)
    assert (result.outcome, result.attestation, result.evidence) == ("met", "att-1", (doc,))
    ctx.on_date = date(2027, 1, 1)
    assert sandbox.run_rule(sandbox.RULES["X.2"], ctx).outcome == "not_met"


def test_one_rule_per_id(sandbox):
    sandbox.rule("X.3", title="a")(lambda ctx: None)
    with pytest.raises(ValueError):
        sandbox.rule("X.3", title="b")(lambda ctx: None)


def test_every_recommendation_has_exactly_one_rule_and_every_rule_a_known_id():
    """Issue 9: a recommendation ID without a rule fails the build."""
    rules = reg.load_rules()
    ids = reg.recommendation_ids()
    missing = [i for i in ids if i not in rules]
    unknown = [i for i in rules if i not in ids]
    assert not missing, f"recommendations without an assessment rule: {missing}"
    assert not unknown, f"rules for IDs that are not in reference/recommendations.csv: {unknown}"
    for r in rules.values():
        assert str(r.title).strip(), f"{r.id} has no title"


def test_a_thresholds_default_says_what_a_citys_value_may_be():
    """A share stays from 0 to 1, a count is a whole number, a list of licences stays a list: a city writing 60 for
    60 %, or one licence as text, would otherwise turn rules not met without a word (C2.f, C2.g)."""
    assert [reg.threshold_kind(d) for d in (0.5, 180, ("CC0-1.0",), True, "x")] == [
        reg.SHARE, reg.COUNT, reg.TEXT_LIST, reg.ANY, reg.ANY]
    assert [reg.threshold_fits(v, reg.SHARE) for v in (0, 0.6, 1, 60, -0.1, "0.6", True)] == [
        True, True, True, False, False, False, False]
    assert [reg.threshold_fits(v, reg.COUNT) for v in (0, 90, 90.0, 90.5, -1, "90", False)] == [
        True, True, True, False, False, False, False]
    assert [reg.threshold_fits(v, reg.TEXT_LIST) for v in (["CC0-1.0"], [], "CC-BY-4.0", [5], [""], 3)] == [
        True, True, False, False, False, False]
    declared = reg.declared_thresholds()
    assert reg.threshold_kind(declared["c2f_min_share"]) == reg.SHARE
    assert reg.threshold_kind(declared["c3d_meeting_days"]) == reg.COUNT
    assert reg.threshold_kind(declared["c2g_open_licences"]) == reg.TEXT_LIST


def test_attestable_ids_are_the_rules_that_take_an_attestation():
    ids = reg.attestable_ids()
    assert {"A.2", "B1.e", "B4.c.5", "C2.e"} <= set(ids)        # the demo city's attestations
    assert "B2.a" not in ids and "C1" not in ids                 # shown by the records alone
    assert ids == [i for i in reg.recommendation_ids() if i in ids]
