"""Line of sight through the benefit map (C1, C2.c, C3.a): every check on a small hand-made map.

Plain functions, no database. Each check test builds a map that is clean except for
the gaps it plants, and asserts the complete set of findings of *all* checks, so a
check that finds too much or too little, or another check that fires by accident,
fails the test. The rules are in docs/benefits/line-of-sight.md.
"""

from __future__ import annotations

import ast
import pathlib
from decimal import Decimal

import pytest

from cityline.benefits.domain import benefit_map as bmap
from cityline.benefits.domain.benefit_map import (
    BenefitMap,
    InvalidBenefitMap,
    Link,
    Node,
    UnknownNode,
    analyse,
    downstream,
    propagate_status,
    roll_up,
    upstream,
)

DOMAIN = pathlib.Path(bmap.__file__).parent
DOCS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "benefits" / "line-of-sight.md"


# --- building small maps: every node complete unless a test says otherwise --------------

def inv(key, cost=100, **kw):
    return Node(key, "investment", f"Investment {key}", cost=cost, **{"has_leading_kpi": True, **kw})


def enabler(key, **kw):
    return Node(key, "output", f"Enabler {key}", subtype="enabler", **{"has_leading_kpi": True, **kw})


def change(key, **kw):
    return Node(key, "output", f"Change {key}", subtype="governance_change", **{"has_leading_kpi": True, **kw})


def mid(key, **kw):
    return Node(key, "intermediate_outcome", f"Early benefit {key}", **{"has_outcome_kpi": True, **kw})


def end(key, **kw):
    return Node(key, "end_outcome", f"Benefit {key}", **{"has_owner": True, "has_outcome_kpi": True, **kw})


def purpose(key, **kw):
    return Node(key, "purpose", bmap.PURPOSES.get(key, key), **kw)


def link(source, target, evidence="evaluated", **kw):
    return Link(source, target, evidence=evidence, **kw)


def chain(*keys, evidence="evaluated"):
    return [link(a, b, evidence) for a, b in zip(keys, keys[1:])]


# i1 → e1 (enabler) → g1 (governance change) → m1 → x1 → environment: nothing to find.
BASE_NODES = [inv("i1"), enabler("e1"), change("g1"), mid("m1"), end("x1"), purpose("environment")]
BASE_LINKS = chain("i1", "e1", "g1", "m1", "x1", "environment")


def found(report, *, checks=None):
    """The findings as a set of (check, nodes, links), optionally only some checks."""
    return {(f.check, f.nodes, f.links) for f in report.findings if checks is None or f.check in checks}


def run(extra_nodes=(), extra_links=(), *, replace=()):
    nodes = [n for n in BASE_NODES if n.key not in {r.key for r in replace}] + list(replace) + list(extra_nodes)
    return analyse(BenefitMap(nodes, BASE_LINKS + list(extra_links), strict=True))


def test_the_base_map_is_clean():
    report = run()
    assert report.findings == ()
    assert report.ok
    assert report.node_counts == {"investment": 1, "output": 2, "intermediate_outcome": 1, "end_outcome": 1,
                                  "purpose": 1}
    assert report.link_count == 5


# --- one test per check: (extra nodes, extra links, replaced nodes, expected findings) -----

CASES = {
    "investment_without_line_of_sight": (
        # i2 alone; i4 stops at an intermediate outcome; i3 and i5 do reach a sink
        [inv("i2"), inv("i3"), inv("i4"), mid("m2"), inv("i5")],
        [link("i3", "g1"), link("i4", "m2"), link("i5", "environment")],
        [],
        {("investment_without_line_of_sight", ("i2",), ()), ("investment_without_line_of_sight", ("i4",), ())},
    ),
    "end_outcome_unreached": (
        # x2 has nothing upstream; x3 is reached only from m3, which no investment reaches; x4 is reached
        [end("x2"), mid("m3"), end("x3"), end("x4")],
        [link("x2", "environment"), link("m3", "x3"), link("x3", "environment"), link("m1", "x4"),
         link("x4", "environment")],
        [],
        {("end_outcome_unreached", ("x2",), ()), ("end_outcome_unreached", ("x3",), ())},
    ),
    "end_outcome_without_purpose": (
        # x5 stops; x6 reaches a purpose through x7 (end → end is allowed)
        [end("x5"), end("x6"), end("x7")],
        [link("m1", "x5"), link("m1", "x6"), link("x6", "x7"), link("x7", "environment")],
        [],
        {("end_outcome_without_purpose", ("x5",), ())},
    ),
    "enabler_without_governance_change": (
        # e2 bypasses governance change; e3 is a dead end; e5's change leads nowhere;
        # e4 reaches g1 through another enabler and e6 has one good path: both fine
        [enabler("e2"), enabler("e3"), enabler("e4"), enabler("e5"), change("g2"), enabler("e6")],
        [link("i1", "e2"), link("e2", "m1"), link("i1", "e3"), link("i1", "e4"), link("e4", "e1"),
         link("i1", "e5"), link("e5", "g2"), link("i1", "e6"), link("e6", "m1"), link("e6", "g1")],
        [],
        {("enabler_without_governance_change", ("e2",), ()), ("enabler_without_governance_change", ("e3",), ()),
         ("enabler_without_governance_change", ("e5",), ())},
    ),
    "cycle": (
        # m4 ⇄ m5 (same kind: no backward link) and a self-loop on x1; each reported once
        [mid("m4"), mid("m5")],
        [link("m1", "m4"), link("m4", "m5"), link("m5", "m4"), link("m5", "x1"), link("x1", "x1")],
        [],
        {("cycle", ("m4", "m5"), (("m4", "m5"), ("m5", "m4"))), ("cycle", ("x1",), (("x1", "x1"),))},
    ),
    "backward_link": (
        # m1 → e9 (outcome to output) and x1 → m6 (end to intermediate) go backwards, without
        # closing a cycle; e4 → e1 and x6 → x7 stay within one kind and are allowed
        [enabler("e9"), change("g3"), mid("m6"), end("x8"), enabler("e4"), end("x6"), end("x7")],
        [link("m1", "e9"), link("e9", "g3"), link("g3", "x1"), link("x1", "m6"), link("m6", "x8"),
         link("x8", "environment"), link("i1", "e4"), link("e4", "e1"), link("m1", "x6"), link("x6", "x7"),
         link("x7", "environment")],
        [],
        {("backward_link", ("m1", "e9"), (("m1", "e9"),)), ("backward_link", ("x1", "m6"), (("x1", "m6"),))},
    ),
    "end_outcome_without_owner": (
        [end("x2", has_owner=False)],
        [link("m1", "x2"), link("x2", "environment")],
        # an intermediate outcome needs no owner for this check
        [mid("m1", has_owner=False)],
        {("end_outcome_without_owner", ("x2",), ())},
    ),
    "end_outcome_without_kpi": (
        [], [], [end("x1", has_outcome_kpi=False, has_leading_kpi=True)],
        {("end_outcome_without_kpi", ("x1",), ())},
    ),
    "intermediate_outcome_without_kpi": (
        [], [], [mid("m1", has_outcome_kpi=False)],
        {("intermediate_outcome_without_kpi", ("m1",), ())},
    ),
    "missing_leading_indicator": (
        # outcomes are not expected to have leading indicators
        [], [], [inv("i1", has_leading_kpi=False), change("g1", has_leading_kpi=False),
                 end("x1", has_leading_kpi=False)],
        {("missing_leading_indicator", ("i1",), ()), ("missing_leading_indicator", ("g1",), ())},
    ),
}


@pytest.mark.parametrize("check", sorted(CASES))
def test_each_check_finds_exactly_its_gaps(check):
    nodes, links, replace, expected = CASES[check]
    assert found(run(nodes, links, replace=replace)) == expected


def test_every_registered_check_except_the_evidence_ones_has_a_case_above():
    evidence_checks = {"outcome_rests_on_assumptions", "assumed_link"}  # tested separately below
    assert {c.id for c in bmap.CHECKS} == set(CASES) | evidence_checks


def test_enabler_messages_say_which_way_it_fails():
    nodes, links, replace, _ = CASES["enabler_without_governance_change"]
    messages = {f.nodes[0]: f.message for f in run(nodes, links, replace=replace).findings}
    assert "bypasses governance change" in messages["e2"]
    assert "leads to no outcome at all" in messages["e3"]
    assert "leads to no outcome at all" in messages["e5"]


def test_findings_carry_recommendation_and_severity_of_their_check():
    nodes, links, replace, _ = CASES["cycle"]
    report = run(nodes, links, replace=replace)
    assert {(f.recommendation, f.severity) for f in report.findings} == {("C1", "error")}
    assert not report.ok
    report = run(*CASES["end_outcome_without_owner"][:2], replace=CASES["end_outcome_without_owner"][2])
    (finding,) = report.findings
    assert (finding.recommendation, finding.severity) == ("C3.a", "warning")
    assert "Benefit x2" in finding.message and "no benefit owner" in finding.message
    assert report.ok
    assert finding.as_dict() == {"check": "end_outcome_without_owner", "recommendation": "C3.a",
                                 "severity": "warning", "message": finding.message, "nodes": ["x2"],
                                 "links": [], "field": None}


# --- evidence (C1: a credible, evidence-based theory of change) ---------------------------

def test_an_assumed_link_is_reported_and_so_is_the_outcome_resting_on_it():
    links = [link(a.source, a.target, "assumed" if a.source == "g1" else "evaluated") for a in BASE_LINKS]
    report = analyse(BenefitMap(BASE_NODES, links, strict=True))
    assert found(report) == {("assumed_link", ("g1", "m1"), (("g1", "m1"),)),
                             ("outcome_rests_on_assumptions", ("x1",), ())}
    assert {f.severity for f in report.findings if f.check == "assumed_link"} == {"info"}


def test_one_fully_evidenced_path_is_enough_for_the_outcome():
    links = [link(a.source, a.target, "assumed" if a.source == "g1" else "anecdotal") for a in BASE_LINKS]
    report = analyse(BenefitMap(BASE_NODES, [*links, link("g1", "x1", "proven")], strict=True))
    assert found(report) == {("assumed_link", ("g1", "m1"), (("g1", "m1"),))}


def test_every_path_with_some_assumed_link_counts_as_resting_on_assumptions():
    # two paths to x1, each with a different assumed link
    nodes = [*BASE_NODES, change("g2")]
    links = [link("i1", "e1"), link("e1", "g1", "assumed"), link("g1", "m1"), link("e1", "g2"),
             link("g2", "m1", "assumed"), link("m1", "x1"), link("x1", "environment")]
    assert found(analyse(BenefitMap(nodes, links, strict=True)), checks={"outcome_rests_on_assumptions"}) == {
        ("outcome_rests_on_assumptions", ("x1",), ())}


def test_unreached_outcomes_are_not_also_said_to_rest_on_assumptions():
    nodes = [*BASE_NODES, end("x2")]
    report = analyse(BenefitMap(nodes, [*BASE_LINKS, link("x2", "environment", "assumed")], strict=True))
    assert found(report) == {("end_outcome_unreached", ("x2",), ()),
                             ("assumed_link", ("x2", "environment"), (("x2", "environment"),))}


def test_links_default_to_assumed_evidence():
    assert Link("a", "b").evidence == "assumed"


# --- input errors -------------------------------------------------------------------------

BAD_NODES = [
    (Node("", "investment"), "key", "has no key"),
    (Node("n", "project"), "kind", "unknown kind 'project'"),
    (Node("n", "output"), "subtype", "subtype must be one of enabler, governance_change"),
    (Node("n", "end_outcome", subtype="enabler"), "subtype", "only outputs have one"),
    (Node("n", "output", subtype="enabler", governance_change="citizen_engagement"), "governance_change",
     "not a governance-change output"),
    (Node("n", "output", subtype="governance_change", governance_change="world_peace"), "governance_change",
     "unknown governance change 'world_peace'"),
    (Node("n", "purpose"), "purpose", "unknown purpose 'n'"),
    (Node("n", "purpose", purpose="happiness"), "purpose", "unknown purpose 'happiness'"),
    (Node("n", "end_outcome", purpose="environment"), "purpose", "only purpose nodes do"),
    (Node("n", "output", subtype="enabler", cost=5), "cost", "only investments carry one"),
    (Node("n", "investment", cost=-1), "cost", "zero or more"),
    (Node("n", "investment", cost=float("nan")), "cost", "finite"),
    (Node("n", "investment", cost="12"), "cost", "must be a number"),
]


@pytest.mark.parametrize(("node", "field", "text"), BAD_NODES, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD_NODES)])
def test_invalid_nodes_are_reported_by_field_and_left_out(node, field, text):
    bm = BenefitMap([inv("i1"), node], [link("i1", node.key)] if node.key else [])
    (error,) = bm.input_errors
    assert (error.check, error.field, error.severity, error.recommendation) == ("invalid_node", field, "error", "C1")
    assert text in error.message and error.message.startswith("node 2 ")
    assert [n.key for n in bm.nodes] == ["i1"]
    assert bm.links == []  # the link to the rejected node goes with it, without a second error
    with pytest.raises(InvalidBenefitMap) as raised:
        BenefitMap([inv("i1"), node], [], strict=True)
    assert raised.value.errors == [error] and "1 input error" in str(raised.value)


BAD_LINKS = [
    (link("i1", "x9"), "unknown_node", "target", "unknown node 'x9'", ("x9",)),
    (link("x9", "e1"), "unknown_node", "source", "unknown node 'x9'", ("x9",)),
    (link("i1", "e1", "rumour"), "invalid_link", "evidence", "unknown evidence 'rumour'", ()),
    (link("i1", "e1", weight=-0.5), "invalid_link", "weight", "zero or more", ()),
    (link("i1", "e1", weight=float("inf")), "invalid_link", "weight", "finite", ()),
    (link("i1", "e1", weight=float("nan")), "invalid_link", "weight", "finite", ()),
    (link("i1", "e1", weight=1e10), "invalid_link", "weight", "over the largest weight, 1e+09", ()),
    (link("i1", "e1", weight=True), "invalid_link", "weight", "must be a number", ()),
    (link("i1", "e1", weight="2"), "invalid_link", "weight", "must be a number", ()),
]


@pytest.mark.parametrize(("bad", "check", "field", "text", "nodes"), BAD_LINKS,
                         ids=[f"{b[1]}-{b[2]}-{i}" for i, b in enumerate(BAD_LINKS)])
def test_invalid_links_are_reported_by_field_and_left_out(bad, check, field, text, nodes):
    bm = BenefitMap([inv("i1"), enabler("e1")], [link("i1", "e1", weight=2), bad])
    (error,) = bm.input_errors
    assert (error.check, error.field, error.nodes, error.links) == (check, field, nodes, ((bad.source, bad.target),))
    assert text in error.message and error.message.startswith("link 2 ")
    assert bm.links == [link("i1", "e1", weight=2)]
    assert bm.out_weight == [[2.0], []]


def test_duplicate_keys_and_links_keep_the_first():
    nodes = [inv("i1", cost=10), enabler("e1"), inv("i1", cost=99)]
    links = [link("i1", "e1", weight=1), link("i1", "e1", weight=5)]
    bm = BenefitMap(nodes, links)
    assert [(e.check, e.message) for e in bm.input_errors] == [
        ("duplicate_node", "node 3: key 'i1' is used twice; keys must be unique"),
        ("duplicate_link", "link 2: i1 → e1 is given twice"),
    ]
    assert bm.node("i1").cost == 10 and bm.links == [links[0]]
    report = analyse(bm)
    assert [f.check for f in report.findings[:2]] == ["duplicate_node", "duplicate_link"]


def test_decimal_and_int_amounts_are_accepted():
    bm = BenefitMap([inv("i1", cost=Decimal("12.50")), enabler("a"), enabler("b")],
                    [link("i1", "a", weight=Decimal("1.5")), link("i1", "b", weight=3)], strict=True)
    assert bm.out_weight[0] == [1.5, 3.0]
    assert [(s.node, s.amount) for s in roll_up(bm).stranded] == [("a", pytest.approx(12.5 / 3)),
                                                                   ("b", pytest.approx(12.5 * 2 / 3))]


def test_from_records_builds_the_same_map_and_reports_bad_rows():
    rows = [{"key": "i1", "kind": "investment", "cost": 5}, {"key": "e1", "kind": "output", "subtype": "enabler"},
            {"key": "x", "kind": "output", "colour": "red"}, {"kind": "end_outcome"}]
    links = [{"source": "i1", "target": "e1", "evidence": "proven"}, {"source": "i1"},
             {"source": "i1", "target": "e1", "strength": 3}]
    bm = BenefitMap.from_records(rows, links)
    assert [(e.check, e.field, e.message) for e in bm.input_errors] == [
        ("invalid_node", "colour", "node 3 (x) has unknown field 'colour'"),
        ("invalid_node", "key", "node 4 (no key) has no 'key'"),
        ("invalid_link", "target", "link 2 has no text 'target'"),
        ("invalid_link", "strength", "link 3 has unknown field 'strength'"),
    ]
    assert [n.key for n in bm.nodes] == ["i1", "e1"] and bm.links == [Link("i1", "e1", evidence="proven")]
    with pytest.raises(InvalidBenefitMap):
        BenefitMap.from_records(rows, links, strict=True)


def test_positions_in_messages_count_rows_from_records_skipped():
    bm = BenefitMap.from_records([{"key": "a", "kind": "?", "x": 1}, {"key": "b", "kind": "nope"}], [])
    assert [e.message.split(" ")[1] for e in bm.input_errors] == ["1", "2"]


# --- roll-ups ---------------------------------------------------------------------------

def test_money_splits_equally_by_default_and_by_normalised_weights():
    nodes = [inv("i1", cost=90), end("a"), end("b"), end("c"), inv("i2", cost=60), end("d"), end("e"),
             *bmap.purpose_nodes()]
    links = [link("i1", "a"), link("i1", "b"), link("i1", "c"),
             link("i2", "d", weight=1), link("i2", "e", weight=0.5),   # 2 : 1
             link("a", "environment"), link("b", "environment", weight=3), link("b", "well_being"),  # 3 : 1
             link("c", "resilience", weight=0), link("c", "well_being", weight=0.25),   # all to well-being
             link("d", "attractiveness"), link("e", "attractiveness")]
    r = roll_up(BenefitMap(nodes, links, strict=True))
    assert r.total_investment == 150
    assert r.end_outcomes == {"a": 30, "b": 30, "c": 30, "d": 40, "e": 20}
    assert r.purposes == {"attractiveness": 60, "environment": 52.5, "resilience": 0, "resource_use": 0,
                          "social_cohesion": 0, "well_being": 37.5}
    assert r.by_purpose == r.purposes
    assert r.retained == {} and r.stranded == () and r.imbalance == 0


def test_unweighted_links_count_as_weight_one_beside_weighted_ones():
    r = roll_up(BenefitMap([inv("i1", cost=30), end("a"), end("b")], [link("i1", "a", weight=2), link("i1", "b")]))
    assert r.end_outcomes == {"a": 20, "b": 10}
    assert r.retained == {"a": 20, "b": 10}  # end outcomes with nowhere to go keep the money


def test_stranded_money_says_where_and_why():
    nodes = [inv("i1", cost=40), enabler("e1"), inv("i2", cost=7), mid("m1"), end("x1"), inv("i3", cost=None),
             inv("i4", cost=0)]
    links = [link("i1", "e1"), link("i1", "m1"), link("m1", "x1", weight=0), link("i3", "e1")]
    r = roll_up(BenefitMap(nodes, links, strict=True))
    assert r.total_investment == 47
    assert r.stranded == (bmap.Stranded("e1", 20, "dead_end"), bmap.Stranded("i2", 7, "dead_end"),
                          bmap.Stranded("m1", 20, "zero_weights"))
    assert r.stranded_total == 47 and r.end_outcomes == {"x1": 0}
    assert r.as_dict()["stranded"][1] == {"node": "i2", "amount": 7, "reason": "dead_end"}


def test_money_reaching_a_cycle_stays_there_and_purposes_keep_what_reaches_them():
    nodes = [inv("i1", cost=100), mid("m1"), mid("m2"), end("x1"), purpose("environment"), purpose("well_being"),
             inv("i2", cost=10)]
    links = [link("i1", "m1"), link("i1", "x1"), link("m1", "m2"), link("m2", "m1"), link("m2", "x1"),
             link("x1", "environment"), link("environment", "well_being"), link("well_being", "environment"),
             link("i2", "i2")]
    r = roll_up(BenefitMap(nodes, links, strict=True))
    assert r.stranded == (bmap.Stranded("m1", 50, "cycle"), bmap.Stranded("i2", 10, "cycle"))
    assert r.end_outcomes == {"x1": 50}
    assert r.purposes == {"environment": 50, "well_being": 0}
    assert r.imbalance == 0


def test_money_through_several_end_outcomes_counts_at_each_and_by_purpose_adds_nodes_up():
    nodes = [inv("i1", cost=10), end("x1"), end("x2"), purpose("environment"),
             Node("environment-2", "purpose", "Environment (again)", purpose="environment")]
    links = [link("i1", "x1"), link("x1", "x2"), link("x2", "environment"), link("x2", "environment-2")]
    r = roll_up(BenefitMap(nodes, links, strict=True))
    assert r.end_outcomes == {"x1": 10, "x2": 10}
    assert r.purposes == {"environment": 5, "environment-2": 5}
    assert r.by_purpose["environment"] == 10 and sum(r.by_purpose.values()) == 10


def test_the_report_carries_the_roll_up_unless_asked_not_to():
    bm = BenefitMap(BASE_NODES, BASE_LINKS, strict=True)
    assert analyse(bm).rollup == roll_up(bm)
    assert analyse(bm, rollups=False).rollup is None
    data = analyse(bm).as_dict()
    assert data["rollup"]["purposes"] == {"environment": 100.0}
    assert data["counts"] == {"error": 0, "warning": 0, "info": 0} and data["ok"] is True


# --- navigation and propagation ---------------------------------------------------------

def test_upstream_and_downstream():
    bm = BenefitMap([*BASE_NODES, mid("m2"), inv("i2")],
                    [*BASE_LINKS, link("m1", "m2"), link("m2", "m1"), link("i2", "m2")])
    assert downstream(bm, "e1") == {"g1", "m1", "m2", "x1", "environment"}
    assert upstream(bm, "x1") == {"i1", "e1", "g1", "m1", "m2", "i2"}
    assert "m1" in downstream(bm, "m1") and "m1" in upstream(bm, "m1")  # on a cycle
    assert downstream(bm, "environment") == frozenset() and upstream(bm, "i1") == frozenset()
    with pytest.raises(UnknownNode, match="no node with key 'nope' in the benefit map"):
        upstream(bm, "nope")


def test_off_track_nodes_put_the_outcomes_downstream_at_risk_with_the_shortest_reason():
    nodes = [*BASE_NODES, inv("i2"), end("x2"), purpose("well_being")]
    links = [*BASE_LINKS, link("i2", "x1"), link("m1", "x2"), link("x2", "well_being")]
    bm = BenefitMap(nodes, links, strict=True)
    risks = propagate_status(bm, ["e1", "i2"])
    assert {k: r.path for k, r in risks.items()} == {
        "m1": ("e1", "g1", "m1"),
        "x1": ("i2", "x1"),                              # i2 is nearer than e1
        "x2": ("e1", "g1", "m1", "x2"),
        "environment": ("i2", "x1", "environment"),
        "well_being": ("e1", "g1", "m1", "x2", "well_being"),
    }
    assert {r.status for r in risks.values()} == {"at_risk"}
    assert risks["x1"].cause == "i2" and risks["x1"].as_dict()["path"] == ["i2", "x1"]
    assert set(propagate_status(bm, ["e1"], kinds=["end_outcome"])) == {"x1", "x2"}
    assert propagate_status(bm, []) == {}


def test_off_track_outcomes_are_not_reported_as_at_risk_and_ties_go_to_map_order():
    nodes = [inv("a"), inv("b"), end("x1"), end("x2")]
    bm = BenefitMap(nodes, [link("a", "x1"), link("b", "x1"), link("x1", "x2")], strict=True)
    risks = propagate_status(bm, ["b", "a", "x1"])
    assert {k: r.path for k, r in risks.items()} == {"x2": ("x1", "x2")}
    assert propagate_status(bm, ["b", "a"])["x1"].path == ("a", "x1")
    with pytest.raises(UnknownNode):
        propagate_status(bm, ["zzz"])


# --- vocabulary, architecture, docs -------------------------------------------------------

def test_ready_made_purposes_and_governance_changes():
    assert [n.key for n in bmap.purpose_nodes()] == ["attractiveness", "environment", "resilience",
                                                     "resource_use", "social_cohesion", "well_being"]
    changes = bmap.governance_change_nodes()
    assert [n.key for n in changes] == ["stakeholder_alignment", "improved_transparency", "citizen_engagement",
                                        "cross_silo_collaboration", "real_time_management", "shared_resources"]
    assert {n.subtype for n in changes} == {"governance_change"}
    assert {g.group for g in bmap.GOVERNANCE_CHANGES} == {"openness_and_collaboration", "integrated_smart_working"}
    # all valid, and a map of them alone has nothing wrong with its input
    assert BenefitMap([*bmap.purpose_nodes(), *changes], [], strict=True).input_errors == []


def test_vocabulary_matches_the_django_choices():
    from cityline.strategy.choices import Purpose

    assert list(bmap.PURPOSES) == list(Purpose.values)
    choices = pytest.importorskip("cityline.benefits.choices")
    assert list(bmap.NODE_KINDS) == list(choices.NodeKind.values)
    assert list(bmap.OUTPUT_SUBTYPES) == list(choices.OutputType.values)
    assert list(bmap.EVIDENCE_LEVELS) == list(choices.Evidence.values)
    assert [g.key for g in bmap.GOVERNANCE_CHANGES] == list(choices.GovernanceChange.values)


def test_the_domain_package_never_imports_django():
    for path in sorted(DOMAIN.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n == "django" or n.startswith("django.") for n in names), path


def test_every_check_is_documented_with_its_recommendation():
    text = DOCS.read_text()
    for rule in bmap.check_rules():
        assert f"`{rule['id']}`" in text, rule["id"]
    for check in bmap.INPUT_CHECKS:
        assert f"`{check}`" in text, check


def test_checks_can_be_registered_and_ids_are_unique():
    with pytest.raises(ValueError, match="already registered"):
        bmap.register("cycle", "C1", "error", "again")(lambda bm: [])
    with pytest.raises(ValueError, match="unknown severity"):
        bmap.register("new", "C1", "fatal", "?")
    try:
        @bmap.register("link_without_rationale", "C1", "info", "A link with no theory of change written down.")
        def _no_rationale(bm):
            for ln in bm.links:
                if not ln.rationale:
                    yield bmap.Hit(f"Link {ln.source} → {ln.target} has no rationale.", links=(ln.endpoints,))

        report = analyse(BenefitMap(BASE_NODES, [*BASE_LINKS[:-1], link("x1", "environment", rationale="why")]))
        assert found(report) == {("link_without_rationale", (), ((a.source, a.target),)) for a in BASE_LINKS[:-1]}
    finally:
        bmap.CHECKS[:] = [c for c in bmap.CHECKS if c.id != "link_without_rationale"]


def test_the_example_in_the_docs_gives_what_the_docs_say():
    text = DOCS.read_text()
    code = text.split("### Example\n\n```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own documentation
    assert [(f.check, f.nodes) for f in namespace["report"].findings] == [
        ("enabler_without_governance_change", ("open-data",))]
    assert "# [('enabler_without_governance_change', ('open-data',))]" in code
    # and the fix the docs describe makes it go
    bm_module = namespace["analyse"].__module__
    assert bm_module == bmap.__name__
    fixed_nodes = [*namespace["nodes"], *[n for n in bmap.governance_change_nodes() if n.key == "improved_transparency"]]
    fixed_links = [link("sensors", "open-data"), link("open-data", "improved_transparency"),
                   link("improved_transparency", "cleaner-air"), link("cleaner-air", "environment")]
    report = analyse(BenefitMap(fixed_nodes, fixed_links, strict=True))
    assert found(report) == {("missing_leading_indicator", ("improved_transparency",), ())}
