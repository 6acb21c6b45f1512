"""Benchmark: line-of-sight analysis and roll-ups of a large benefit map (issue 3, C1).

Generates a reproducible random layered benefit map (default 100,000 nodes and
300,000 links, seed 37106), then, in the same process:

1. times ``BenefitMap(nodes, links)`` + ``analyse(...)`` (all checks and the roll-up)
   from cityline.benefits.domain.benefit_map: best of ``--repeat`` runs, with the
   time of each phase;
2. times a straightforward baseline with networkx: per-node ``nx.descendants`` /
   ``nx.ancestors`` queries for the reachability checks and a per-investment flow
   push for the roll-up. Those queries are far too slow to run for every node, so
   they run on a random sample of ``--sample`` nodes per query type and the mean
   time per query is multiplied by the number of nodes of that type (an estimate,
   printed as such). Whole-graph steps (building the DiGraph, SCCs, attribute
   checks) are timed in full.

Prints the times and the ratio baseline / ours. Run from the repository root:

    .venv/bin/python bench/benefit_map.py            # the issue's size
    .venv/bin/python bench/benefit_map.py --nodes 10000 --links 30000 --sample 50

Needs networkx (the ``bench`` extra) for the baseline; ``--no-baseline`` skips it.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from cityline.benefits.domain import benefit_map as bmap  # noqa: E402

# Share of the nodes of each kind (purposes: always the six).
SHARES = {"investment": 0.20, "output": 0.30, "intermediate_outcome": 0.25, "end_outcome": 0.25}
# Where links from each kind (and output subtype) go, with relative odds.
TARGETS = {
    "investment": {"enabler": 6, "governance_change": 3, "intermediate_outcome": 1},
    "enabler": {"enabler": 1, "governance_change": 6, "intermediate_outcome": 2},
    "governance_change": {"intermediate_outcome": 6, "end_outcome": 3},
    "intermediate_outcome": {"intermediate_outcome": 2, "end_outcome": 6},
    "end_outcome": {"purpose": 8, "end_outcome": 1},
}
#: Share of links drawn between any two nodes (backward links, cycles, self-loops).
NOISE = 0.002


def generate(n_nodes: int, n_links: int, seed: int) -> tuple[list[bmap.Node], list[bmap.Link]]:
    """A layered random benefit map with a few gaps, backward links and cycles."""
    rng = random.Random(seed)
    nodes: list[bmap.Node] = bmap.purpose_nodes()
    pools: dict[str, list[str]] = {"purpose": [n.key for n in nodes], "enabler": [], "governance_change": [],
                                   "investment": [], "intermediate_outcome": [], "end_outcome": []}
    rest = n_nodes - len(nodes)
    counts = {kind: int(rest * share) for kind, share in SHARES.items()}
    counts["end_outcome"] += rest - sum(counts.values())
    for kind, count in counts.items():
        for i in range(count):
            key = f"{kind[:3]}-{i}"
            if kind == "investment":
                node = bmap.Node(key, kind, f"Investment {i}", cost=round(rng.uniform(1e4, 5e6), 2),
                                 has_leading_kpi=rng.random() < 0.8)
                pools["investment"].append(key)
            elif kind == "output":
                subtype = "enabler" if rng.random() < 0.6 else "governance_change"
                node = bmap.Node(key, kind, f"Output {i}", subtype=subtype, has_leading_kpi=rng.random() < 0.7)
                pools[subtype].append(key)
            else:
                node = bmap.Node(key, kind, f"Outcome {i}", has_owner=rng.random() < 0.85,
                                 has_outcome_kpi=rng.random() < 0.8)
                pools[kind].append(key)
            nodes.append(node)
    sources = [(k, key) for k in ("investment", "enabler", "governance_change", "intermediate_outcome",
                                  "end_outcome") for key in pools[k]]
    all_keys = [n.key for n in nodes]
    choices = {k: (list(t), list(t.values())) for k, t in TARGETS.items()}
    evidence = bmap.EVIDENCE_LEVELS
    links: list[bmap.Link] = []
    pairs: set[tuple[str, str]] = set()
    while len(links) < n_links:
        if rng.random() < NOISE:
            s, t = rng.choice(all_keys), rng.choice(all_keys)
        else:
            kind, s = rng.choice(sources)
            kinds, odds = choices[kind]
            t = rng.choice(pools[rng.choices(kinds, odds)[0]])
        if (s, t) in pairs:
            continue
        pairs.add((s, t))
        weight = None if rng.random() < 0.5 else rng.choice((0.0, 0.5, 1.0, 2.0, 3.0))
        links.append(bmap.Link(s, t, weight, evidence[rng.randrange(4)]))
    return nodes, links


def ours(nodes, links) -> tuple[dict[str, float], bmap.Report]:
    """One run, phase by phase (with the collector paused throughout, as analyse() does)."""
    gc.disable()
    try:
        return _phases(nodes, links)
    finally:
        gc.enable()


def _phases(nodes, links) -> tuple[dict[str, float], bmap.Report]:
    phases: dict[str, float] = {}
    t0 = time.perf_counter()
    bm = bmap.BenefitMap(nodes, links)
    phases["build index"] = time.perf_counter() - t0
    t = time.perf_counter()
    _ = bm.structure
    phases["SCC + topological order"] = time.perf_counter() - t
    t = time.perf_counter()
    _ = bm.leads_to, bm.reached_by_investment
    phases["reachability (shared by the checks)"] = time.perf_counter() - t
    findings = list(bm.input_errors)
    for chk in bmap.CHECKS:
        t = time.perf_counter()
        report = bmap.analyse(bm, checks=[chk], rollups=False)
        findings.extend(report.findings[len(bm.input_errors):])
        phases[f"check {chk.id}"] = time.perf_counter() - t
    t = time.perf_counter()
    rollup = bmap.roll_up(bm)
    phases["roll-up"] = time.perf_counter() - t
    phases["total"] = time.perf_counter() - t0
    return phases, bmap.Report(tuple(findings), rollup, {}, len(bm.links))


def ours_end_to_end(nodes, links) -> tuple[float, float]:
    """Wall-clock and CPU seconds of building the map and analysing it (checks and roll-up)."""
    t0, c0 = time.perf_counter(), time.process_time()
    bmap.analyse(bmap.BenefitMap(nodes, links))
    return time.perf_counter() - t0, time.process_time() - c0


def baseline(nodes, links, sample: int, seed: int) -> dict[str, float]:
    """networkx, node by node. Returns estimated seconds per step (sampled steps are scaled)."""
    import networkx as nx

    rng = random.Random(seed + 1)
    times: dict[str, float] = {}
    t = time.perf_counter()
    G = nx.DiGraph()
    for n in nodes:
        G.add_node(n.key, node=n)
    for link in links:
        G.add_edge(link.source, link.target, weight=1.0 if link.weight is None else float(link.weight),
                   evidence=link.evidence)
    times["build DiGraph"] = time.perf_counter() - t
    by_kind: dict[str, list[str]] = {}
    for n in nodes:
        by_kind.setdefault(n.subtype or n.kind, []).append(n.key)
    sinks = set(by_kind["end_outcome"]) | set(by_kind["purpose"])
    investments = set(by_kind["investment"])
    outcomes = set(by_kind["intermediate_outcome"]) | sinks
    purposes = set(by_kind["purpose"])
    changes = set(by_kind["governance_change"])

    def scaled(name, population, query):
        picks = rng.sample(population, min(sample, len(population)))
        t = time.perf_counter()
        for key in picks:
            query(key)
        times[name] = (time.perf_counter() - t) / len(picks) * len(population)

    scaled("investments: descendants ∩ sinks", by_kind["investment"],
           lambda k: any(d in sinks for d in nx.descendants(G, k)))
    scaled("end outcomes: ancestors ∩ investments", by_kind["end_outcome"],
           lambda k: any(a in investments for a in nx.ancestors(G, k)))
    scaled("end outcomes: descendants ∩ purposes", by_kind["end_outcome"],
           lambda k: any(G.nodes[d]["node"].kind == "purpose" for d in nx.descendants(G, k)))
    scaled("governance changes: descendants ∩ outcomes", by_kind["governance_change"],
           lambda k: any(d in outcomes for d in nx.descendants(G, k)))
    scaled("enablers: descendants ∩ governance changes", by_kind["enabler"],
           lambda k: any(d in changes for d in nx.descendants(G, k)))
    evidenced = nx.subgraph_view(G, filter_edge=lambda a, b: G.edges[a, b]["evidence"] != "assumed")
    scaled("end outcomes: evidenced ancestors ∩ investments", by_kind["end_outcome"],
           lambda k: any(a in investments for a in nx.ancestors(evidenced, k)))
    t = time.perf_counter()
    _ = [c for c in nx.strongly_connected_components(G) if len(c) > 1]
    _ = list(nx.selfloop_edges(G))
    times["cycles: strongly_connected_components"] = time.perf_counter() - t
    t = time.perf_counter()
    rank = bmap.RANK
    _ = [(a, b) for a, b in G.edges if rank[G.nodes[b]["node"].kind] < rank[G.nodes[a]["node"].kind]]
    _ = [n for n in nodes if n.kind == "end_outcome" and not (n.has_owner and n.has_outcome_kpi)]
    _ = [n for n in nodes if n.kind in ("investment", "output") and not n.has_leading_kpi]
    _ = [(a, b) for a, b, e in G.edges(data="evidence") if e == "assumed"]
    times["attribute checks and backward links"] = time.perf_counter() - t

    def push_money(key):
        # one investment's money pushed through its descendants in topological order
        # (skipped when they hold a cycle: that only flatters the baseline)
        sub = G.subgraph(nx.descendants(G, key) | {key})
        if not nx.is_directed_acyclic_graph(sub):
            return
        flow = {key: float(G.nodes[key]["node"].cost or 0)}
        for v in nx.topological_sort(sub):
            money = flow.get(v, 0.0)
            out = [(w, wt) for _, w, wt in sub.out_edges(v, data="weight")] if v not in purposes else []
            total = sum(w for _, w in out)
            for w, wt in out:
                if total:
                    flow[w] = flow.get(w, 0.0) + money * wt / total

    scaled("roll-up: per-investment flow push", by_kind["investment"], push_money)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--links", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=37106)
    parser.add_argument("--repeat", type=int, default=3, help="runs of our analysis; the best counts")
    parser.add_argument("--sample", type=int, default=20, help="baseline queries per query type")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args(argv)

    t = time.perf_counter()
    nodes, links = generate(args.nodes, args.links, args.seed)
    print(f"generated {len(nodes):,} nodes and {len(links):,} links (seed {args.seed}) "
          f"in {time.perf_counter() - t:.1f} s")

    gc.collect()
    phases, report = ours(nodes, links)
    print("\nour analysis, one run by phase:")
    for name, seconds in phases.items():
        print(f"  {name:<45} {seconds:8.3f} s")
    runs, cpu = [], []
    for _ in range(args.repeat):
        gc.collect()
        wall, used = ours_end_to_end(nodes, links)
        runs.append(wall)
        cpu.append(used)
    best = min(runs)
    print(f"\nBenefitMap(...) + analyse(...) end to end: best {best:.3f} s, median {statistics.median(runs):.3f} s, "
          f"worst {max(runs):.3f} s of {args.repeat} runs (CPU best {min(cpu):.3f} s; "
          f"budget 2 s: {'OK' if best < 2 else 'OVER'}); load average {os.getloadavg()[0]:.2f}")
    counts: dict[str, int] = {}
    for f in report.findings:
        counts[f.check] = counts.get(f.check, 0) + 1
    print("findings:", ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    r = report.rollup
    print(f"money: invested {r.total_investment:,.0f}; at purposes {sum(r.purposes.values()):,.0f}; "
          f"retained at end outcomes {sum(r.retained.values()):,.0f}; stranded {r.stranded_total:,.0f}; "
          f"imbalance {r.imbalance:.3g}")

    if args.no_baseline:
        return 0
    print(f"\nbaseline (networkx, per-node queries; sampled steps: {args.sample} queries, scaled):")
    times = baseline(nodes, links, args.sample, args.seed)
    for name, seconds in times.items():
        print(f"  {name:<50} {seconds:10.1f} s")
    total = sum(times.values())
    print(f"baseline total (estimated): {total:,.0f} s")
    print(f"ratio baseline / ours: {total / best:,.0f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
