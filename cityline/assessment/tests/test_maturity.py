"""Maturity roll-ups, levels and gap ranking (pure; ISO 37106 C2.e via ISO/TS 37107-style levels)."""

from cityline.assessment.domain import maturity as mat

COMPONENTS = {"C1": "C", "C2.a": "C", "C2.b": "C", "C2.c": "C", "C3.a": "C", "C2.f": "C",
              "D.1": "D", "A.1.1": "A", "A.2": "A", "B7.a": "B-strategy", "B7.b": "B-strategy",
              "B7.c": "B-strategy"}


def r(rid, outcome):
    return {"id": rid, "outcome": outcome}


def test_scores_count_met_one_partly_half_and_leave_not_applicable_out():
    results = [r("C1", "met"), r("C2.a", "partly_met"), r("C2.b", "not_met"), r("C2.c", "not_applicable"),
               r("D.1", "partly_met")]
    m = mat.maturity(results, COMPONENTS)
    assert m.component("C").score == 0.5                    # (1 + 0.5 + 0) / 3
    assert m.component("D").score == 0.5
    assert m.score == 0.5                                   # (1 + .5 + 0 + .5) / 4
    assert m.component("A").score is None and m.component("A").level is None
    assert m.counts == {"met": 1, "partly_met": 2, "not_met": 1, "not_applicable": 1}


def test_a_level_needs_its_score_and_its_key_rules_met_and_every_level_below():
    # C at 0.5 with C1 met but C2.a only partly met: level 2 needs C1 and C2.a met, so C stays at 1
    results = [r("C1", "met"), r("C2.a", "partly_met"), r("C2.b", "not_met")]
    c = mat.maturity(results, COMPONENTS).component("C")
    assert c.level == 1
    assert [cell.reached for cell in c.cells] == [True, False, False, False, False]
    assert c.cells[1].missing == ["C2.a"]
    assert c.cells[2].missing == ["C2.a", "C2.b", "C2.c"]

    results = [r("C1", "met"), r("C2.a", "met"), r("C2.b", "met"), r("C2.c", "not_applicable"), r("C3.a", "not_met")]
    c = mat.maturity(results, COMPONENTS).component("C")
    assert c.score == 0.75 and c.level == 3                  # level 4 needs C3.a and C2.f
    assert c.cells[3].missing == ["C3.a", "C2.f"]
    assert c.cells[4].missing == ["score", "C3.a", "C2.f"]   # 5: score 0.75 < 0.95; C3.a not met listed once


def test_level_five_needs_no_rule_left_not_met_and_the_overall_level_is_the_weakest_component():
    results = [r("D.1", "met"), r("A.1.1", "met"), r("A.2", "partly_met")]
    m = mat.maturity(results, COMPONENTS)
    assert m.component("D").level == 5
    assert m.component("A").score == 0.75 and m.component("A").level == 2   # A.2 partly met blocks level 3
    assert m.level == 2
    row = m.as_dict()["components"][0]
    assert row["component"] == "A" and row["level_name"] == "initiated"
    assert [c["reached"] for c in row["cells"]] == [True, True, False, False, False]


def test_gaps_are_ranked_by_what_they_hold_back_then_effort():
    results = [r("B7.a", "partly_met"), r("B7.b", "not_met"), r("B7.c", "not_met"), r("C1", "not_met"),
               r("C2.a", "not_met"), r("C2.b", "met"), r("D.1", "not_met")]
    gaps = mat.gaps(results, {"D.1": "low", "B7.b": "high"})
    assert [(g.id, len(g.blocks), g.effort) for g in gaps] == [
        ("C1", 2, "medium"),            # holds back C2.a and C2.b
        ("B7.a", 2, "medium"),          # holds back B7.b and B7.c (after C1: same count, partly met)
        ("D.1", 0, "low"),
        ("B7.c", 0, "medium"),
        ("C2.a", 0, "medium"),
        ("B7.b", 0, "high"),
    ]
    assert gaps[0].blocks == ["C2.a", "C2.b"]
    assert mat.blocked("B11.a", ["B11.a", "B11.b.1", "B11.b.2", "B12.a"]) == ["B11.b.1", "B11.b.2"]


def test_moved_lists_rules_whose_outcome_changed():
    before = [r("C1", "not_met"), r("C2.a", "met"), r("D.1", "partly_met")]
    after = [r("C1", "met"), r("C2.a", "met"), r("A.2", "met")]
    assert mat.moved(before, after) == [("C1", "not_met", "met"), ("A.2", None, "met"), ("D.1", "partly_met", None)]
