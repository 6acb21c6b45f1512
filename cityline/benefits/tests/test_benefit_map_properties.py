"""Property tests of the benefit-map analysis (C1) on random graphs (hypothesis).

Random maps include cycles, self-loops, isolated nodes, zero and missing weights,
duplicate links and links to unknown nodes. The properties:

* the analysis never crashes, and its findings only name nodes and links of the map;
* the roll-up conserves money: invested = at purposes + retained + stranded, within
  float rounding; and it matches an exact reference computed with fractions;
* ``b in downstream(a)`` exactly when ``a in upstream(b)``;
* every reachability check agrees with a naive per-node search (the oracle);
* status propagation reaches exactly the outcomes downstream, along shortest paths.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cityline.benefits.domain import benefit_map as bmap
from cityline.benefits.domain.benefit_map import BenefitMap, Link, Node, analyse, downstream, roll_up, upstream

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KIND_CHOICES = [("investment", None), ("output", "enabler"), ("output", "governance_change"),
                ("intermediate_outcome", None), ("end_outcome", None), ("purpose", None)]
PURPOSE_KEYS = list(bmap.PURPOSES)


@st.composite
def maps(draw, max_nodes=12, allow_bad=True):
    n = draw(st.integers(0, max_nodes))
    nodes = []
    for i in range(n):
        kind, subtype = draw(st.sampled_from(KIND_CHOICES))
        nodes.append(Node(
            key=f"n{i}", kind=kind, subtype=subtype,
            purpose=draw(st.sampled_from(PURPOSE_KEYS)) if kind == "purpose" else None,
            cost=draw(st.one_of(st.none(), st.integers(0, 1000), st.floats(0.01, 1e6)))
            if kind == "investment" else None,
            has_owner=draw(st.booleans()), has_outcome_kpi=draw(st.booleans()),
            has_leading_kpi=draw(st.booleans()),
        ))
    keys = [node.key for node in nodes]
    endpoint = st.sampled_from(keys + (["ghost"] if allow_bad else [])) if keys else st.just("ghost")
    links = draw(st.lists(st.builds(
        Link, endpoint, endpoint,
        weight=st.one_of(st.none(), st.just(0), st.just(0.0), st.floats(0, 10), st.just(bmap.MAX_WEIGHT),
                         st.just(5e-324), st.integers(0, 5)),
        evidence=st.sampled_from(bmap.EVIDENCE_LEVELS)),
        max_size=3 * n + 2))
    if not allow_bad:
        seen, unique = set(), []
        for link in links:
            if link.endpoints not in seen and "ghost" not in link.endpoints:
                seen.add(link.endpoints)
                unique.append(link)
        links = unique
    return nodes, links


# --- naive oracles: a fresh search from every node ---------------------------------------

def naive_reach(bm, start, edges=None):
    """Indices reachable from ``start`` by a path of one link or more."""
    succ = bm.succ if edges is None else edges
    seen, stack = set(), list(succ[start])
    while stack:
        v = stack.pop()
        if v not in seen:
            seen.add(v)
            stack.extend(succ[v])
    return seen


def kinds(bm, *wanted):
    return {i for i, node in enumerate(bm.nodes) if node.kind in wanted}


def naive_findings(bm):
    reach = {i: naive_reach(bm, i) for i in range(len(bm))}
    evidenced = {i: naive_reach(bm, i, bm.evidenced_succ) for i in range(len(bm))}
    key = [node.key for node in bm.nodes]
    sinks, purposes = kinds(bm, "end_outcome", "purpose"), kinds(bm, "purpose")
    outcomes = kinds(bm, "intermediate_outcome", "end_outcome", "purpose")
    investments = kinds(bm, "investment")
    changes = {i for i, node in enumerate(bm.nodes) if node.subtype == "governance_change"}
    useful = {g for g in changes if reach[g] & outcomes}
    out = set()
    for i, node in enumerate(bm.nodes):
        if node.kind == "investment" and not reach[i] & sinks:
            out.add(("investment_without_line_of_sight", (key[i],)))
        if node.kind == "end_outcome":
            if not any(i in reach[j] for j in investments):
                out.add(("end_outcome_unreached", (key[i],)))
            elif not any(i in evidenced[j] for j in investments):
                out.add(("outcome_rests_on_assumptions", (key[i],)))
            if not reach[i] & purposes:
                out.add(("end_outcome_without_purpose", (key[i],)))
        if node.subtype == "enabler" and not reach[i] & useful:
            out.add(("enabler_without_governance_change", (key[i],)))
    # cycles: the classes of "on a cycle together" (mutual reachability, self included)
    on_cycle = {i for i in range(len(bm)) if i in reach[i]}
    for i in on_cycle:
        members = sorted(j for j in on_cycle if j in reach[i] and i in reach[j])
        out.add(("cycle", tuple(key[j] for j in members)))
    for s, targets in enumerate(bm.succ):
        for t in targets:
            if bmap.RANK[bm.nodes[t].kind] < bmap.RANK[bm.nodes[s].kind]:
                out.add(("backward_link", (key[s], key[t])))
    return out


NAIVE_CHECKS = {"investment_without_line_of_sight", "end_outcome_unreached", "outcome_rests_on_assumptions",
                "end_outcome_without_purpose", "enabler_without_governance_change", "cycle", "backward_link"}


def exact_roll_up(bm):
    """The roll-up rules again, in fractions, by relaxing until nothing changes (no topological order)."""
    n = len(bm)
    cyclic = {i for i in range(n) if i in naive_reach(bm, i)}
    cost = [Fraction(node.cost) if node.kind == "investment" and node.cost is not None else Fraction(0)
            for node in bm.nodes]
    weights = [[Fraction(w) for w in ws] for ws in bm.out_weight]

    def passes_on(v):
        return bm.nodes[v].kind != "purpose" and v not in cyclic and sum(weights[v]) > 0

    flow = list(cost)
    for _ in range(n + 1):
        new = list(cost)
        for v in range(n):
            if passes_on(v) and flow[v]:
                total = sum(weights[v])
                for t, w in zip(bm.succ[v], weights[v]):
                    new[t] += flow[v] * w / total
        if new == flow:
            break
        flow = new
    kept = {}
    for v in range(n):
        if flow[v] and not passes_on(v):
            kept[bm.nodes[v].key] = flow[v]
    return flow, kept


def close(a, b, scale):
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, float(scale))


@SETTINGS
@given(maps())
def test_analysis_never_crashes_and_findings_name_real_nodes(data):
    nodes, links = data
    bm = BenefitMap(nodes, links)
    report = analyse(bm)
    known_checks = {c.id for c in bmap.CHECKS} | set(bmap.INPUT_CHECKS)
    keys = set(bm.index) | {"ghost"}
    for f in report.findings:
        assert f.check in known_checks and f.severity in bmap.SEVERITIES and f.message
        assert set(f.nodes) <= keys
        for source, target in f.links:
            assert {source, target} <= keys
    assert report.link_count == len(bm.links) <= len(links)
    assert sum(report.node_counts.values()) == len(bm.nodes)
    report.as_dict()


@SETTINGS
@given(maps())
def test_roll_up_conserves_money_and_matches_the_exact_reference(data):
    nodes, links = data
    bm = BenefitMap(nodes, links)
    r = roll_up(bm)
    scale = r.total_investment
    assert close(r.imbalance, 0, scale)
    assert all(amount >= 0 for amount in [*r.purposes.values(), *r.end_outcomes.values(), *r.retained.values()])
    assert all(s.amount > 0 and s.reason in ("dead_end", "zero_weights", "cycle") for s in r.stranded)
    flow, kept = exact_roll_up(bm)
    for i, node in enumerate(bm.nodes):
        if node.kind == "end_outcome":
            assert close(r.end_outcomes[node.key], flow[i], scale)
        if node.kind == "purpose":
            assert close(r.purposes[node.key], flow[i], scale)
    stopped = {**r.retained, **{s.node: s.amount for s in r.stranded}}
    expected = {k: v for k, v in kept.items() if bm.node(k).kind != "purpose"}
    # amounts below the float tolerance may underflow to nothing (a weight of 5e-324 next to a weight of 2)
    negligible = 1e-9 * max(1.0, float(scale))
    assert {k for k, v in stopped.items() if v > negligible} == {k for k, v in expected.items() if float(v) > negligible}
    for k, v in expected.items():
        assert close(stopped.get(k, 0), v, scale)



@SETTINGS
@given(maps())
def test_money_rounded_to_cents_still_adds_up_to_the_total(data):
    """The rows of the money table (purposes, retained, stranded), rounded to cents together, add up to the total
    rounded to cents, and each row is less than a cent from its amount."""
    r = roll_up(BenefitMap(*data))
    amounts = [*r.by_purpose.values(), *r.retained.values(), r.stranded_total]
    rows = bmap.rounded_shares(amounts, r.total_investment)
    assert sum(round(x * 100) for x in rows) == round(r.total_investment * 100)
    assert all(abs(x - a) < 0.01 + 1e-9 * max(1.0, r.total_investment) for x, a in zip(rows, amounts))

@SETTINGS
@given(maps())
def test_upstream_and_downstream_mirror_each_other(data):
    nodes, links = data
    bm = BenefitMap(nodes, links)
    down = {k: downstream(bm, k) for k in bm.index}
    up = {k: upstream(bm, k) for k in bm.index}
    for a in bm.index:
        for b in bm.index:
            assert (b in down[a]) == (a in up[b])
        assert down[a] == {bm.nodes[i].key for i in naive_reach(bm, bm.index[a])}


@SETTINGS
@given(maps())
def test_reachability_checks_agree_with_a_naive_search_from_every_node(data):
    nodes, links = data
    bm = BenefitMap(nodes, links)
    report = analyse(bm, rollups=False)
    ours = {(f.check, f.nodes) for f in report.findings if f.check in NAIVE_CHECKS}
    assert ours == naive_findings(bm)


@SETTINGS
@given(maps(allow_bad=False), st.data())
def test_propagation_marks_exactly_the_outcomes_downstream_along_shortest_paths(data, draw):
    nodes, links = data
    bm = BenefitMap(nodes, links, strict=True)
    off = draw.draw(st.lists(st.sampled_from(list(bm.index)), unique=True) if bm.index else st.just([]))
    risks = bmap.propagate_status(bm, off)
    sources = {bm.index[k] for k in off}
    reached = set().union(*(naive_reach(bm, s) for s in sources)) - sources if sources else set()
    outcomes = kinds(bm, "intermediate_outcome", "end_outcome", "purpose")
    assert set(risks) == {bm.nodes[i].key for i in reached & outcomes}
    # breadth-first distance from the nearest off-track node
    dist = {s: 0 for s in sources}
    frontier = list(sources)
    while frontier:
        nxt = []
        for v in frontier:
            for w in bm.succ[v]:
                if w not in dist:
                    dist[w] = dist[v] + 1
                    nxt.append(w)
        frontier = nxt
    for key, risk in risks.items():
        path = [bm.index[k] for k in risk.path]
        assert risk.path[0] in off and risk.cause == risk.path[0] and risk.path[-1] == key
        assert all(b in bm.succ[a] for a, b in zip(path, path[1:]))
        assert len(path) - 1 == dist[bm.index[key]]
