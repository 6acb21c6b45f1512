"""Line of sight through the benefit map (C1, C2.c, C3.a): checks, money roll-ups, propagation.

A benefit map is a directed graph whose nodes follow the chain that ISO 37106 asks a
programme to give line of sight along (C1):

    investment → output (enabler or governance change) → intermediate outcome
    → end outcome → purpose (one of the six ISO 37101 purposes)

Plain data in, plain data out, no Django: the models, the city pack, the API, the
CLI (``cityline benefits check``) and the pages turn their records into
:class:`Node` and :class:`Link` values, build a :class:`BenefitMap` and call

* :func:`analyse` — every registered check (see :data:`CHECKS`) plus the roll-up, as a
  :class:`Report` whose findings each name the recommendation they serve;
* :func:`roll_up` — money flowing from investments to end outcomes and purposes;
* :func:`upstream` / :func:`downstream` — everything above or below a node;
* :func:`propagate_status` — which outcomes an off-track leading indicator puts at risk,
  with one reason path each.

The exact rules are written down in ``docs/benefits/line-of-sight.md``; the tests in
``cityline/benefits/tests/test_benefit_map*.py`` hold them to it. Every algorithm is
linear in nodes + links (see :mod:`.graph`), so a map of 100,000 nodes and 300,000
links is analysed in about a second (``bench/benefit_map.py``).
"""

from __future__ import annotations

import gc
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from functools import cached_property, reduce, wraps
from itertools import chain
from operator import or_
from typing import Any, NamedTuple

from . import graph

# --- vocabulary -----------------------------------------------------------------------

INVESTMENT = "investment"
OUTPUT = "output"
INTERMEDIATE_OUTCOME = "intermediate_outcome"
END_OUTCOME = "end_outcome"
PURPOSE = "purpose"

#: Node kinds in chain order (C1). A link whose target comes earlier than its source
#: goes backwards.
NODE_KINDS = (INVESTMENT, OUTPUT, INTERMEDIATE_OUTCOME, END_OUTCOME, PURPOSE)
RANK = {kind: rank for rank, kind in enumerate(NODE_KINDS)}
#: Kinds whose performance is measured by outcome indicators (C2.c).
OUTCOME_KINDS = (INTERMEDIATE_OUTCOME, END_OUTCOME)
#: Kinds whose progress is measured by leading indicators (C2.c).
LEADING_KINDS = (INVESTMENT, OUTPUT)

ENABLER = "enabler"
GOVERNANCE_CHANGE = "governance_change"
#: The two kinds of output (C1): artefacts and systems, or changes in how the city works.
OUTPUT_SUBTYPES = (ENABLER, GOVERNANCE_CHANGE)

ASSUMED = "assumed"
#: Evidence behind a link's theory of change, weakest first (C1).
EVIDENCE_LEVELS = (ASSUMED, "anecdotal", "evaluated", "proven")

#: The six purposes of sustainable communities (ISO 37101), keyed as
#: ``cityline.strategy.choices.Purpose``.
PURPOSES: dict[str, str] = {
    "attractiveness": "Attractiveness",
    "environment": "Preservation and improvement of environment",
    "resilience": "Resilience",
    "resource_use": "Responsible resource use",
    "social_cohesion": "Social cohesion",
    "well_being": "Well-being",
}


@dataclass(frozen=True, slots=True)
class GovernanceChangeType:
    """One of the six governance changes of a smart city operating model (Table 1)."""

    key: str
    title: str
    group: str  # "openness_and_collaboration" or "integrated_smart_working"


#: The six governance changes of Table 1, ready to use as outputs. Keys are stable and
#: match ``cityline.benefits.choices.GovernanceChange``.
GOVERNANCE_CHANGES: tuple[GovernanceChangeType, ...] = (
    GovernanceChangeType("stakeholder_alignment", "Stakeholder alignment", "openness_and_collaboration"),
    GovernanceChangeType("improved_transparency", "Improved transparency", "openness_and_collaboration"),
    GovernanceChangeType("citizen_engagement", "Citizen engagement", "openness_and_collaboration"),
    GovernanceChangeType("cross_silo_collaboration", "Cross-silo collaboration", "integrated_smart_working"),
    GovernanceChangeType("real_time_management", "Real-time city management", "integrated_smart_working"),
    GovernanceChangeType("shared_resources", "Shared use of common resources", "integrated_smart_working"),
)
GOVERNANCE_CHANGE_KEYS = frozenset(g.key for g in GOVERNANCE_CHANGES)

#: Bits of :attr:`BenefitMap.leads_to`.
TO_SINK, TO_PURPOSE, TO_OUTCOME, TO_USEFUL_CHANGE = 1, 2, 4, 8

ERROR, WARNING, INFO = "error", "warning", "info"
#: Severities, most serious first.
SEVERITIES = (ERROR, WARNING, INFO)


def _gc_paused(function: Callable) -> Callable:
    """Run ``function`` with the cyclic garbage collector paused.

    Indexing a large map allocates hundreds of thousands of small lists; each
    allocation burst would otherwise trigger full collections that walk every object
    the process holds (a third of the run time on the benchmark map). Reference
    counting still frees memory as usual; the collector resumes afterwards.
    """
    @wraps(function)
    def wrapper(*args, **kwargs):
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return wrapper


# --- input ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Node:
    """A node of the benefit map.

    ``subtype`` is for outputs only (``"enabler"`` or ``"governance_change"``);
    ``governance_change`` optionally says which of the six of Table 1 a
    governance-change output is; ``purpose`` says which ISO 37101 purpose a purpose
    node stands for (when blank, the key must be the purpose's key). ``cost`` is for
    investments (``None``: not known, counted as 0). ``has_owner``: an end outcome has a
    benefit owner (C3.a). ``has_outcome_kpi``: an outcome is measured by an outcome
    indicator; ``has_leading_kpi``: an investment or output is tracked by a leading
    indicator (C2.c).
    """

    key: str
    kind: str
    title: str = ""
    subtype: str | None = None
    governance_change: str | None = None
    purpose: str | None = None
    cost: float | Decimal | int | None = None
    has_owner: bool = False
    has_outcome_kpi: bool = False
    has_leading_kpi: bool = False

    @property
    def label(self) -> str:
        """How messages name the node: its title and key, or just the key."""
        return f"“{self.title}” ({self.key})" if self.title and self.title != self.key else self.key


@dataclass(frozen=True, slots=True)
class Link:
    """A link of the benefit map: ``source`` contributes to ``target``.

    ``weight``: the share of the source's money that flows along this link, relative to
    the source's other links (``None`` counts as 1, so unweighted links split equally;
    0 carries nothing). ``evidence``: one of :data:`EVIDENCE_LEVELS`. ``rationale`` and
    ``sources`` record the theory of change (C1); the checks do not read them.
    """

    source: str
    target: str
    weight: float | Decimal | int | None = None
    evidence: str = ASSUMED
    rationale: str = ""
    sources: tuple[str, ...] | str = ()

    @property
    def endpoints(self) -> tuple[str, str]:
        return (self.source, self.target)


class Finding(NamedTuple):
    """One problem found in a benefit map.

    ``check`` is the id of the check (see :data:`CHECKS`, or :data:`INPUT_CHECKS` for
    problems with the input itself), ``recommendation`` the ISO 37106 recommendation
    it serves, ``nodes`` the node keys and ``links`` the ``(source, target)`` pairs it
    concerns. ``field`` names the offending field of an input error.
    """

    check: str
    recommendation: str
    severity: str
    message: str
    nodes: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "recommendation": self.recommendation, "severity": self.severity,
                "message": self.message, "nodes": list(self.nodes),
                "links": [list(pair) for pair in self.links], "field": self.field}


class InvalidBenefitMap(ValueError):
    """Raised by ``BenefitMap(..., strict=True)`` when the input has errors; ``errors`` lists them."""

    def __init__(self, errors: list[Finding]):
        self.errors = errors
        lines = "\n".join(f"- {e.message}" for e in errors)
        super().__init__(f"the benefit map has {len(errors)} input error(s):\n{lines}")


class UnknownNode(KeyError):
    """Raised when a node key asked about is not in the map."""

    def __str__(self) -> str:
        return f"no node with key {self.args[0]!r} in the benefit map"


_EVIDENCE_OK = frozenset(EVIDENCE_LEVELS)
#: The largest link weight accepted: weights are relative shares, and a cap keeps their
#: sums finite.
MAX_WEIGHT = 1e9
_SKIP: Any = object()  # a row from_records already reported: skipped, but it keeps its position

#: Ids of the input checks, run while the map is built; rows they reject are left out.
INPUT_CHECKS = ("invalid_node", "duplicate_node", "invalid_link", "unknown_node", "duplicate_link")


def _amount(value: Any) -> float | None:
    """A non-negative finite number as float, ``None`` for blank, or raise ValueError."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError("must be a number")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError("must be a finite number, zero or more")
    return number


def _node_problem(node: Node) -> tuple[str, str] | None:
    """The first thing wrong with a node, as ``(field, explanation)``, or ``None``."""
    if not isinstance(node.key, str) or not node.key.strip():
        return "key", "has no key (a key is non-blank text)"
    kind = node.kind
    if not isinstance(kind, str) or kind not in RANK:
        return "kind", f"has unknown kind {kind!r}; use one of {', '.join(NODE_KINDS)}"
    if kind == OUTPUT:
        if node.subtype not in OUTPUT_SUBTYPES:
            return "subtype", f"is an output, so its subtype must be one of {', '.join(OUTPUT_SUBTYPES)} (not {node.subtype!r})"
    elif node.subtype:
        return "subtype", "has a subtype, but only outputs have one"
    if node.governance_change:
        if node.subtype != GOVERNANCE_CHANGE:
            return "governance_change", "names a governance change but is not a governance-change output"
        if node.governance_change not in GOVERNANCE_CHANGE_KEYS:
            return "governance_change", (f"names unknown governance change {node.governance_change!r}; "
                                         f"use one of {', '.join(sorted(GOVERNANCE_CHANGE_KEYS))}")
    if kind == PURPOSE:
        purpose = node.purpose or node.key
        if purpose not in PURPOSES:
            return "purpose", (f"is a purpose node for unknown purpose {purpose!r}; "
                               f"use one of {', '.join(PURPOSES)}")
    elif node.purpose:
        return "purpose", "names a purpose, but only purpose nodes do"
    if node.cost is not None:
        if kind != INVESTMENT:
            return "cost", "has a cost, but only investments carry one"
        try:
            _amount(node.cost)
        except ValueError as exc:
            return "cost", f"has cost {node.cost!r}, which {exc}"
    return None


class BenefitMap:
    """A benefit map indexed for analysis: nodes numbered ``0 .. n-1``, adjacency lists.

    Rows with input errors (see :data:`INPUT_CHECKS`) are left out and reported in
    :attr:`input_errors`; with ``strict=True`` they raise :class:`InvalidBenefitMap`
    instead (use that when importing, so nothing half-valid is stored). Links touching
    a node that was left out for an error are dropped silently: the node's error says
    why. Node order and link order are kept, so results are deterministic.
    """

    @_gc_paused
    def __init__(self, nodes: Iterable[Node], links: Iterable[Link], *, strict: bool = False):
        errors: list[Finding] = []

        def error(check: str, message: str, nodes=(), links=(), field=None) -> None:
            errors.append(Finding(check, "C1", ERROR, message, tuple(nodes), tuple(links), field))

        self.nodes: list[Node] = []
        self.index: dict[str, int] = {}
        rejected: set[str] = set()
        for position, node in enumerate(nodes, start=1):
            if node is _SKIP:
                continue
            problem = _node_problem(node)
            if problem:
                fld, why = problem
                key = node.key if isinstance(node.key, str) else ""
                error("invalid_node", f"node {position} ({key or 'no key'}) {why}", [key] if key else [], field=fld)
                if key:
                    rejected.add(key)
                continue
            if node.key in self.index:
                error("duplicate_node", f"node {position}: key {node.key!r} is used twice; keys must be unique",
                      [node.key], field="key")
                continue
            self.index[node.key] = len(self.nodes)
            self.nodes.append(node)

        self.rank: list[int] = [RANK[node.kind] for node in self.nodes]
        # Fast path: assume no link is given twice and check afterwards (cheap per node);
        # only when one is, build again, checking each pair, to report it at its position.
        links = links if isinstance(links, (list, tuple)) else list(links)
        mark = len(errors)
        self._add_links(links, rejected, errors, check_pairs=False)
        if any(len(ts) != len(set(ts)) for ts in self.succ):
            del errors[mark:]
            self._add_links(links, rejected, errors, check_pairs=True)
        self.input_errors: list[Finding] = errors
        if strict and errors:
            raise InvalidBenefitMap(errors)

    def _add_links(self, links: Iterable[Link], rejected: set[str], errors: list[Finding],
                   check_pairs: bool) -> None:
        """Index the valid links (the hot loop of building a map: kept lean on purpose)."""
        n = len(self.nodes)
        get = self.index.get
        #: per node, the targets of its links, in link order
        self.succ = succ = [[] for _ in range(n)]
        #: per node, the weights of its links, parallel to ``succ`` (``None`` counts as 1.0)
        self.out_weight = out_weight = [[] for _ in range(n)]
        #: per node, the targets of its links whose evidence is better than 'assumed'
        self.evidenced_succ = evidenced = [[] for _ in range(n)]
        dropped: list[int] = []  # positions of the links left out (rare: the slow path)
        seen_pairs: set[int] = set()
        evidence_ok = _EVIDENCE_OK
        for position, link in enumerate(links, start=1):
            if link is _SKIP:
                dropped.append(position)
                continue
            s = get(link.source)
            t = get(link.target)
            w = link.weight
            ev = link.evidence
            if (s is None or t is None or ev not in evidence_ok
                    or not (w is None or (type(w) is float and 0.0 <= w <= MAX_WEIGHT))):  # noqa: E721
                w = self._link_problem(position, link, s, t, rejected, errors)
                if w is None:
                    dropped.append(position)
                    continue
            elif w is None:
                w = 1.0
            if check_pairs:
                pair = s * n + t
                if pair in seen_pairs:
                    errors.append(Finding("duplicate_link", "C1", ERROR,
                                          f"link {position}: {link.source} → {link.target} is given twice",
                                          (), ((link.source, link.target),)))
                    dropped.append(position)
                    continue
                seen_pairs.add(pair)
            succ[s].append(t)
            out_weight[s].append(w)
            if ev != ASSUMED:
                evidenced[s].append(t)
        #: the accepted links, in input order
        if dropped:
            left_out = set(dropped)
            self.links = [link for position, link in enumerate(links, start=1) if position not in left_out]
        else:
            self.links = list(links)

    @staticmethod
    def _link_problem(position: int, link: Link, s: int | None, t: int | None, rejected: set[str],
                      errors: list[Finding]) -> float | None:
        """The slow path: the link's weight as float when the link is valid, else ``None`` (error recorded)."""
        pair = ((link.source, link.target),)
        where = f"link {position} ({link.source} → {link.target})"
        if s is None or t is None:
            missing = [k for k, i in ((link.source, s), (link.target, t)) if i is None and k not in rejected]
            if missing:
                errors.append(Finding(
                    "unknown_node", "C1", ERROR,
                    f"{where} refers to " + " and ".join(f"unknown node {k!r}" for k in missing),
                    tuple(missing), pair, "source" if s is None and link.source in missing else "target"))
            return None
        if link.evidence not in _EVIDENCE_OK:
            errors.append(Finding("invalid_link", "C1", ERROR,
                                  f"{where} has unknown evidence {link.evidence!r}; "
                                  f"use one of {', '.join(EVIDENCE_LEVELS)}", (), pair, "evidence"))
            return None
        try:
            weight = _amount(link.weight)
            if weight is not None and weight > MAX_WEIGHT:
                raise ValueError(f"is over the largest weight, {MAX_WEIGHT:g} (weights are relative shares)")
        except ValueError as exc:
            errors.append(Finding("invalid_link", "C1", ERROR, f"{where} has weight {link.weight!r}, which {exc}",
                                  (), pair, "weight"))
            return None
        return 1.0 if weight is None else weight

    @classmethod
    def from_records(cls, nodes: Iterable[Mapping[str, Any]], links: Iterable[Mapping[str, Any]],
                     *, strict: bool = False) -> BenefitMap:
        """Build a map from plain mappings (JSON, CSV rows, API payloads) with :class:`Node`/:class:`Link` fields.

        A mapping with an unknown field, or without ``key``/``kind`` (nodes) or
        ``source``/``target`` (links), is an input error like any other.
        """
        node_fields = {f.name for f in fields(Node)}
        link_fields = {f.name for f in fields(Link)}
        problems: list[Finding] = []
        node_list: list[Node] = []
        for position, row in enumerate(nodes, start=1):
            unknown = sorted(set(row) - node_fields)
            missing = [f for f in ("key", "kind") if f not in row]
            if unknown or missing:
                what = f"unknown field {unknown[0]!r}" if unknown else f"no {missing[0]!r}"
                key = row.get("key")
                problems.append(Finding("invalid_node", "C1", ERROR, f"node {position} ({key or 'no key'}) has {what}",
                                        (key,) if isinstance(key, str) and key else (), (),
                                        unknown[0] if unknown else missing[0]))
                node_list.append(_SKIP)  # keeps the positions of the rows after it
                continue
            node_list.append(Node(**row))
        link_list: list[Link] = []
        for position, row in enumerate(links, start=1):
            unknown = sorted(set(row) - link_fields)
            missing = [f for f in ("source", "target") if not isinstance(row.get(f), str)]
            if unknown or missing:
                what = f"unknown field {unknown[0]!r}" if unknown else f"no text {missing[0]!r}"
                problems.append(Finding("invalid_link", "C1", ERROR, f"link {position} has {what}", (), (),
                                        unknown[0] if unknown else missing[0]))
                link_list.append(_SKIP)
                continue
            link_list.append(Link(**row))
        bm = cls(node_list, link_list, strict=False)
        bm.input_errors = problems + bm.input_errors
        if strict and bm.input_errors:
            raise InvalidBenefitMap(bm.input_errors)
        return bm

    # --- lookups -----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.nodes)

    def node(self, key: str) -> Node:
        return self.nodes[self._i(key)]

    def _i(self, key: str) -> int:
        try:
            return self.index[key]
        except KeyError:
            raise UnknownNode(key) from None

    def of_kind(self, *kinds: str) -> list[int]:
        """Indices of the nodes of the given kinds, in map order."""
        if len(kinds) == 1:
            return self._by_kind[kinds[0]]
        ranks = {RANK[k] for k in kinds}
        return [i for i, r in enumerate(self.rank) if r in ranks]

    @cached_property
    def _by_kind(self) -> dict[str, list[int]]:
        by_kind: dict[str, list[int]] = {kind: [] for kind in NODE_KINDS}
        for i, node in enumerate(self.nodes):
            by_kind[node.kind].append(i)
        return by_kind

    # --- shared computations (each done once per map) -----------------------------

    @cached_property
    def structure(self) -> tuple[list[int], list[list[int]]]:
        """``(topological order of the components, cyclic components)``, see :func:`graph.condensation_order`."""
        return graph.condensation_order(self.succ, self.indegree)

    @cached_property
    def indegree(self) -> list[int]:
        """Per node, the number of links into it."""
        indegree = [0] * len(self.nodes)
        for i, count in Counter(chain.from_iterable(self.succ)).items():
            indegree[i] = count
        return indegree

    @cached_property
    def pred(self) -> list[list[int]]:
        """Per node, the sources of the links into it (built on first use: the checks do not need it)."""
        pred: list[list[int]] = [[] for _ in self.nodes]
        for s, targets in enumerate(self.succ):
            for t in targets:
                pred[t].append(s)
        return pred

    @cached_property
    def leads_to(self) -> list[int]:
        """Per node, bit flags saying what a path of one link or more from it reaches.

        :data:`TO_SINK` an end outcome or purpose; :data:`TO_PURPOSE` a purpose;
        :data:`TO_OUTCOME` an intermediate outcome, end outcome or purpose;
        :data:`TO_USEFUL_CHANGE` a governance-change output that itself leads to an
        outcome. One pass over the links in reverse topological order of the strongly
        connected components instead of four searches: every member of a cyclic
        component reaches every member (itself included), so they share their flags.
        """
        own_by_rank = {RANK[INTERMEDIATE_OUTCOME]: TO_OUTCOME, RANK[END_OUTCOME]: TO_SINK | TO_OUTCOME,
                       RANK[PURPOSE]: TO_SINK | TO_PURPOSE | TO_OUTCOME}
        own = [own_by_rank.get(r, 0) for r in self.rank]
        change = [node.subtype == GOVERNANCE_CHANGE for node in self.nodes]
        succ = self.succ
        order, cycles = self.structure
        flags = [0] * len(succ)
        passed = [0] * len(succ)  # what a link into the node passes back: its flags and its own bits
        lookup = passed.__getitem__
        cycle_of: dict[int, list[int] | None] = {m: members for members in cycles for m in members}
        for v in reversed(order):
            if cycle_of and v in cycle_of:
                members = cycle_of[v]
                if members is None:  # already done with the rest of its component
                    continue
                for m in members:
                    cycle_of[m] = None
                inside = set(members)
                f = 0
                for m in members:
                    for w in succ[m]:
                        f |= own[w] if w in inside else passed[w]
                if f & TO_OUTCOME and any(change[m] for m in members):
                    f |= TO_USEFUL_CHANGE
                for m in members:
                    flags[m] = f
                    passed[m] = f | own[m]
                continue
            f = reduce(or_, map(lookup, succ[v]), 0)
            flags[v] = f
            passed[v] = f | own[v] | (TO_USEFUL_CHANGE if change[v] and f & TO_OUTCOME else 0)
        return flags

    @cached_property
    def reached_by_investment(self) -> bytearray:
        """Nodes some investment has a path to."""
        return graph.reach(self.succ, self.of_kind(INVESTMENT))


# --- checks -------------------------------------------------------------------------

class Hit(NamedTuple):
    """What a check function yields; :func:`analyse` adds the check's id, recommendation and severity."""

    message: str
    nodes: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Check:
    """A registered line-of-sight check: ``run(map)`` yields :class:`Hit` values."""

    id: str
    recommendation: str
    severity: str
    rule: str
    run: Callable[[BenefitMap], Iterable[Hit]] = field(repr=False)


#: Every check :func:`analyse` runs, in order. Add one with :func:`register`.
CHECKS: list[Check] = []


def register(id: str, recommendation: str, severity: str, rule: str) -> Callable:
    """Decorator: register ``run(map) -> Iterable[Hit]`` as a check (ids must be unique)."""
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")

    def decorator(run: Callable[[BenefitMap], Iterable[Hit]]) -> Callable:
        if any(c.id == id for c in CHECKS) or id in INPUT_CHECKS:
            raise ValueError(f"a check with id {id!r} is already registered")
        CHECKS.append(Check(id, recommendation, severity, rule, run))
        return run

    return decorator


def _links_within(bm: BenefitMap, members: list[int]) -> list[tuple[str, str]]:
    inside = set(members)
    return [(bm.nodes[s].key, bm.nodes[t].key) for s in members for t in bm.succ[s] if t in inside]


@register("investment_without_line_of_sight", "C1", WARNING,
          "An investment from which no path of links leads to any end outcome or purpose.")
def _investment_without_line_of_sight(bm: BenefitMap) -> Iterator[Hit]:
    leads_to = bm.leads_to
    for i in bm.of_kind(INVESTMENT):
        if not leads_to[i] & TO_SINK:
            node = bm.nodes[i]
            yield Hit(f"Investment {node.label} has no path to any end outcome or purpose: "
                      "nothing shows what benefit it buys.", (node.key,))


@register("end_outcome_unreached", "C1", WARNING,
          "An end outcome to which no path of links leads from any investment.")
def _end_outcome_unreached(bm: BenefitMap) -> Iterator[Hit]:
    reached = bm.reached_by_investment
    for i in bm.of_kind(END_OUTCOME):
        if not reached[i]:
            node = bm.nodes[i]
            yield Hit(f"End outcome {node.label} is not reached by any investment: "
                      "nothing in the programme is shown to deliver it.", (node.key,))


@register("end_outcome_without_purpose", "C1", WARNING,
          "An end outcome from which no path of links leads to any purpose.")
def _end_outcome_without_purpose(bm: BenefitMap) -> Iterator[Hit]:
    leads_to = bm.leads_to
    for i in bm.of_kind(END_OUTCOME):
        if not leads_to[i] & TO_PURPOSE:
            node = bm.nodes[i]
            yield Hit(f"End outcome {node.label} leads to no strategic purpose: "
                      "link it to the ISO 37101 purpose(s) it serves.", (node.key,))


@register("enabler_without_governance_change", "C1", WARNING,
          "An enabler output with no path to an outcome (intermediate outcome, end outcome or purpose) "
          "that passes through a governance-change output.")
def _enabler_without_governance_change(bm: BenefitMap) -> Iterator[Hit]:
    leads_to = bm.leads_to
    for i in bm.of_kind(OUTPUT):
        node = bm.nodes[i]
        if node.subtype == ENABLER and not leads_to[i] & TO_USEFUL_CHANGE:
            why = ("every path from it to an outcome bypasses governance change" if leads_to[i] & TO_OUTCOME
                   else "it leads to no outcome at all")
            yield Hit(f"Enabler {node.label} is not followed by a governance change on any path to an "
                      f"outcome ({why}): an enabler alone delivers no benefit.", (node.key,))


@register("cycle", "C1", ERROR,
          "A set of nodes that lead round to each other (a strongly connected component of two nodes or "
          "more, or a node linked to itself); each such set is reported once.")
def _cycle(bm: BenefitMap) -> Iterator[Hit]:
    for members in bm.structure[1]:
        members = sorted(members)
        keys = tuple(bm.nodes[i].key for i in members)
        shown = ", ".join(keys[:10]) + (f" and {len(keys) - 10} more" if len(keys) > 10 else "")
        yield Hit(f"These nodes lead round in a circle, so the chain from investment to purpose has no "
                  f"direction among them: {shown}.", keys, tuple(_links_within(bm, members)))


@register("backward_link", "C1", WARNING,
          "A link whose target comes earlier in the chain investment → output → intermediate outcome → "
          "end outcome → purpose than its source. Links within one kind are allowed.")
def _backward_link(bm: BenefitMap) -> Iterator[Hit]:
    rank, nodes = bm.rank, bm.nodes
    lowest = rank.__getitem__
    for s, targets in enumerate(bm.succ):
        rs = rank[s]
        if targets and rs and min(map(lowest, targets)) < rs:
            for t in targets:
                if rank[t] < rs:
                    a, b = nodes[s], nodes[t]
                    yield Hit(f"Link {a.key} → {b.key} goes backwards: from {a.kind.replace('_', ' ')} "
                              f"to {b.kind.replace('_', ' ')}.", (a.key, b.key), ((a.key, b.key),))


@register("end_outcome_without_owner", "C3.a", WARNING,
          "An end outcome with no benefit owner.")
def _end_outcome_without_owner(bm: BenefitMap) -> Iterator[Hit]:
    for i in bm.of_kind(END_OUTCOME):
        node = bm.nodes[i]
        if not node.has_owner:
            yield Hit(f"End outcome {node.label} has no benefit owner: name a senior, empowered person.",
                      (node.key,))


@register("end_outcome_without_kpi", "C2.c", WARNING,
          "An end outcome measured by no outcome indicator.")
def _end_outcome_without_kpi(bm: BenefitMap) -> Iterator[Hit]:
    for i in bm.of_kind(END_OUTCOME):
        node = bm.nodes[i]
        if not node.has_outcome_kpi:
            yield Hit(f"End outcome {node.label} has no outcome KPI, so its delivery cannot be tracked.",
                      (node.key,))


@register("intermediate_outcome_without_kpi", "C2.c", INFO,
          "An intermediate outcome measured by no outcome indicator.")
def _intermediate_outcome_without_kpi(bm: BenefitMap) -> Iterator[Hit]:
    for i in bm.of_kind(INTERMEDIATE_OUTCOME):
        node = bm.nodes[i]
        if not node.has_outcome_kpi:
            yield Hit(f"Intermediate outcome {node.label} has no outcome KPI: early benefits go unseen.",
                      (node.key,))


@register("missing_leading_indicator", "C2.c", WARNING,
          "An investment or output tracked by no leading indicator.")
def _missing_leading_indicator(bm: BenefitMap) -> Iterator[Hit]:
    for i in bm.of_kind(*LEADING_KINDS):
        node = bm.nodes[i]
        if not node.has_leading_kpi:
            yield Hit(f"{node.kind.capitalize()} {node.label} has no leading indicator, so slippage "
                      "shows only when the outcomes miss.", (node.key,))


@register("outcome_rests_on_assumptions", "C1", WARNING,
          "An end outcome that investments reach, but only along paths that contain at least one link "
          "whose evidence is 'assumed' (no path from an investment uses better-evidenced links only).")
def _outcome_rests_on_assumptions(bm: BenefitMap) -> Iterator[Hit]:
    reached = bm.reached_by_investment
    evidenced = graph.reach(bm.evidenced_succ, bm.of_kind(INVESTMENT))
    for i in bm.of_kind(END_OUTCOME):
        if reached[i] and not evidenced[i]:
            node = bm.nodes[i]
            yield Hit(f"Every line of sight to end outcome {node.label} rests on at least one link whose "
                      "theory of change is only assumed: gather evidence for the weakest links.", (node.key,))


@register("assumed_link", "C1", INFO,
          "A link whose evidence is 'assumed' (the default): its theory of change has no evidence yet.")
def _assumed_link(bm: BenefitMap) -> Iterator[Hit]:
    for link in bm.links:
        if link.evidence == ASSUMED:
            a, b = link.source, link.target
            yield Hit(f"Link {a} → {b} rests on assumed evidence only.", (a, b), ((a, b),))


# --- roll-ups -----------------------------------------------------------------------

#: Why money stops before reaching an end outcome or a purpose.
DEAD_END, ZERO_WEIGHTS, IN_CYCLE = "dead_end", "zero_weights", "cycle"


@dataclass(frozen=True, slots=True)
class Stranded:
    """Money that stops at ``node``: ``dead_end`` (no links out), ``zero_weights`` (every
    link out has weight 0) or ``cycle`` (the node is on a cycle)."""

    node: str
    amount: float
    reason: str


@dataclass(frozen=True)
class RollUp:
    """Where the money invested ends up. See ``docs/benefits/line-of-sight.md``.

    * ``end_outcomes``: money reaching each end outcome (all of them, 0.0 included);
      money passing through several end outcomes counts at each.
    * ``purposes``: money arriving at each purpose node (purposes keep what reaches them).
    * ``by_purpose``: the same, added up per ISO 37101 purpose key.
    * ``retained``: money that stops at an end outcome with no (weighted) link on.
    * ``stranded``: money that stops anywhere else (see :class:`Stranded`).

    ``retained`` and ``stranded`` list only nodes where money stops, in map order.

    Conservation: ``total_investment == sum(purposes) + sum(retained) + stranded_total``
    up to float rounding (amounts are floats; see :attr:`imbalance`).
    """

    total_investment: float
    end_outcomes: dict[str, float]
    purposes: dict[str, float]
    by_purpose: dict[str, float]
    retained: dict[str, float]
    stranded: tuple[Stranded, ...]

    @property
    def stranded_total(self) -> float:
        return math.fsum(s.amount for s in self.stranded)

    @property
    def imbalance(self) -> float:
        """Money not accounted for by the conservation rule: float rounding only, so near 0."""
        return self.total_investment - math.fsum(
            [*self.purposes.values(), *self.retained.values(), *(s.amount for s in self.stranded)])

    def as_dict(self) -> dict[str, Any]:
        return {
            "total_investment": self.total_investment,
            "end_outcomes": dict(self.end_outcomes),
            "purposes": dict(self.purposes),
            "by_purpose": dict(self.by_purpose),
            "retained": dict(self.retained),
            "stranded": [asdict(s) for s in self.stranded],
            "stranded_total": self.stranded_total,
        }


def rounded_shares(amounts: Iterable[float], total: float, places: int = 2) -> list[float]:
    """``amounts`` that make up ``total`` (the rows of a money table), each rounded to ``places`` decimals so
    that the rounded rows still add up to the rounded total: three purposes sharing 100,000 get 33,333.34,
    33,333.33 and 33,333.33, not 33,333.33 three times. The units left over by rounding each row down go to the
    rows that lost the most (the largest remainder method); amounts already whole in the last place are kept.
    """
    amounts = list(amounts)
    scale = 10 ** places
    units = [math.floor(a * scale) for a in amounts]
    left_over = round(total * scale) - sum(units)
    by_remainder = sorted(range(len(amounts)), key=lambda i: (units[i] - amounts[i] * scale, i))
    if left_over > 0:
        for i in by_remainder[:left_over]:
            units[i] += 1
    elif left_over < 0:  # the amounts add up to more than the total (float noise): take from the smallest remainders
        for i in [i for i in reversed(by_remainder) if units[i] > 0][:-left_over]:
            units[i] -= 1
    return [u / scale for u in units]


def roll_up(bm: BenefitMap) -> RollUp:
    """Follow each investment's cost along the links to end outcomes and purposes.

    Every node passes all the money it receives (plus its own cost, for investments)
    on along its links out, in proportion to their weights; purposes keep what reaches
    them. Nodes on a cycle keep what reaches them from outside the cycle (stranded,
    reason ``cycle``), so cycles cannot make money circulate forever. One pass in
    topological order of the strongly connected components: linear time.
    """
    nodes, succ, out_weight, rank = bm.nodes, bm.succ, bm.out_weight, bm.rank
    order, cycles = bm.structure
    # what a node does with the money it receives: 0 pass it on, 1 keep it (a purpose),
    # 2 strand it (on a cycle); end outcomes with nowhere to go retain it (below)
    stop = bytearray(len(nodes))
    for i in bm.of_kind(PURPOSE):
        stop[i] = 1
    for members in cycles:
        for i in members:
            if not stop[i]:
                stop[i] = 2
    flow = [0.0] * len(nodes)
    costs = []
    for i in bm.of_kind(INVESTMENT):
        cost = nodes[i].cost
        if cost is not None:
            flow[i] = float(cost)
            costs.append(flow[i])
    end_rank = RANK[END_OUTCOME]
    retained: dict[int, float] = {}
    stranded: list[tuple[int, float, str]] = []
    for v in order:
        money = flow[v]
        if not money:
            continue
        if stop[v]:
            if stop[v] == 2:
                stranded.append((v, money, IN_CYCLE))
            continue
        weights = out_weight[v]
        if len(weights) == 1 and weights[0]:
            flow[succ[v][0]] += money
            continue
        total = sum(weights)
        if not total:
            if rank[v] == end_rank:
                retained[v] = money
            else:
                stranded.append((v, money, ZERO_WEIGHTS if weights else DEAD_END))
            continue
        for t, w in zip(succ[v], weights):
            flow[t] += money * (w / total)  # w / total <= 1: no overflow, whatever the weights
    stranded.sort()
    purposes = {nodes[i].key: flow[i] for i in bm.of_kind(PURPOSE)}
    by_purpose = dict.fromkeys(PURPOSES, 0.0)
    for i in bm.of_kind(PURPOSE):
        by_purpose[nodes[i].purpose or nodes[i].key] += flow[i]
    return RollUp(
        total_investment=math.fsum(costs),
        end_outcomes={nodes[i].key: flow[i] for i in bm.of_kind(END_OUTCOME)},
        purposes=purposes,
        by_purpose=by_purpose,
        retained={nodes[v].key: money for v, money in sorted(retained.items())},
        stranded=tuple(Stranded(nodes[v].key, money, reason) for v, money, reason in stranded),
    )


# --- analysis -----------------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    """The result of :func:`analyse`: input errors first, then each check's findings, and the roll-up."""

    findings: tuple[Finding, ...]
    rollup: RollUp | None
    node_counts: dict[str, int]
    link_count: int

    @property
    def ok(self) -> bool:
        """No finding of severity ``error``."""
        return not any(f.severity == ERROR for f in self.findings)

    def by_check(self) -> dict[str, list[Finding]]:
        grouped: dict[str, list[Finding]] = {}
        for f in self.findings:
            grouped.setdefault(f.check, []).append(f)
        return grouped

    def counts(self) -> dict[str, int]:
        """Number of findings per severity (all severities present, zeros included)."""
        counts = dict.fromkeys(SEVERITIES, 0)
        for f in self.findings:
            counts[f.severity] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "counts": self.counts(),
            "node_counts": dict(self.node_counts),
            "link_count": self.link_count,
            "findings": [f.as_dict() for f in self.findings],
            "rollup": self.rollup.as_dict() if self.rollup else None,
        }


@_gc_paused
def analyse(bm: BenefitMap, *, checks: Iterable[Check] | None = None, rollups: bool = True) -> Report:
    """Run the checks (default: all of :data:`CHECKS`, in order) and the roll-up.

    Findings come in check order and, within a check, in map order; the map's input
    errors come first.
    """
    findings = list(bm.input_errors)
    for chk in CHECKS if checks is None else checks:
        cid, rec, sev = chk.id, chk.recommendation, chk.severity
        findings.extend(Finding(cid, rec, sev, h.message, h.nodes, h.links) for h in chk.run(bm))
    node_counts = dict.fromkeys(NODE_KINDS, 0)
    for node in bm.nodes:
        node_counts[node.kind] += 1
    return Report(tuple(findings), roll_up(bm) if rollups else None, node_counts, len(bm.links))


def check_rules() -> list[dict[str, str]]:
    """The registered checks as plain data (id, recommendation, severity, rule), for docs and the CLI."""
    return [{"id": c.id, "recommendation": c.recommendation, "severity": c.severity, "rule": c.rule}
            for c in CHECKS]


# --- navigation and propagation -------------------------------------------------------

def downstream(bm: BenefitMap, key: str) -> frozenset[str]:
    """Keys of every node a path of one link or more leads to from ``key``.

    The node itself is included only when it is on a cycle.
    """
    seen = graph.reach(bm.succ, [bm._i(key)])
    return frozenset(bm.nodes[i].key for i in range(len(seen)) if seen[i])


def upstream(bm: BenefitMap, key: str) -> frozenset[str]:
    """Keys of every node from which a path of one link or more leads to ``key``.

    ``b in downstream(bm, a)`` exactly when ``a in upstream(bm, b)``.
    """
    seen = graph.reach(bm.pred, [bm._i(key)])
    return frozenset(bm.nodes[i].key for i in range(len(seen)) if seen[i])


AT_RISK = "at_risk"


@dataclass(frozen=True, slots=True)
class RiskPath:
    """An outcome put at risk, the off-track node that causes it, and the path between them."""

    node: str
    status: str
    cause: str
    path: tuple[str, ...]  # from ``cause`` to ``node``, both included

    def as_dict(self) -> dict[str, Any]:
        return {"node": self.node, "status": self.status, "cause": self.cause, "path": list(self.path)}


def propagate_status(bm: BenefitMap, off_track: Iterable[str],
                     kinds: Iterable[str] = (INTERMEDIATE_OUTCOME, END_OUTCOME, PURPOSE)) -> dict[str, RiskPath]:
    """Mark every node of ``kinds`` downstream of an off-track node "at risk" (issue 3, item 4).

    ``off_track``: keys of the nodes whose leading indicators are off track. Returns,
    for each node of ``kinds`` reached by a path of one link or more from one of them,
    a :class:`RiskPath` with one shortest path from the nearest off-track node (ties
    go to the off-track node earliest in map order, then to links in map order). The
    off-track nodes themselves are left out: they already have a status of their own.
    Unknown keys raise :class:`UnknownNode`.
    """
    sources = sorted({bm._i(k) for k in off_track})
    wanted = {RANK[k] for k in kinds}
    parent = graph.shortest_paths_from(bm.succ, sources)
    result: dict[str, RiskPath] = {}
    for i, p in enumerate(parent):
        if p >= 0 and bm.rank[i] in wanted:
            path = tuple(bm.nodes[j].key for j in graph.path_to(parent, i))
            result[bm.nodes[i].key] = RiskPath(bm.nodes[i].key, AT_RISK, path[0], path)
    return result


# --- ready-made nodes -----------------------------------------------------------------

def purpose_nodes() -> list[Node]:
    """One purpose node per ISO 37101 purpose, keyed by the purpose's key."""
    return [Node(key, PURPOSE, title, purpose=key) for key, title in PURPOSES.items()]


def governance_change_nodes() -> list[Node]:
    """The six governance changes of Table 1 as outputs, keyed by their stable keys."""
    return [Node(g.key, OUTPUT, g.title, subtype=GOVERNANCE_CHANGE, governance_change=g.key)
            for g in GOVERNANCE_CHANGES]
