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
