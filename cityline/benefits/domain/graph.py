"""Linear-time algorithms on integer-indexed directed graphs.

A graph here is a list of adjacency lists: ``succ[v]`` holds the vertices ``v`` has an
edge to (``pred`` is the same for the reversed graph). Vertices are ``0 .. n-1``.
Every function runs in O(vertices + edges) and uses no recursion, so maps with
hundreds of thousands of links neither hang nor hit Python's recursion limit.

Plain Python, no Django: the benefit-map analysis (C1) is built on these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Adjacency = Sequence[Sequence[int]]


def reach(adj: Adjacency, starts: Iterable[int]) -> bytearray:
    """Mark every vertex reachable from ``starts`` by a path of one edge or more.

    A start is marked only when some path leads back to it (a start on a cycle, or a
    start reachable from another start). Pass the reversed graph to find everything
    that can reach ``starts`` instead.
    """
    seen = bytearray(len(adj))
    expanded = bytearray(len(adj))
    stack: list[int] = []
    for s in starts:
        if not expanded[s]:
            expanded[s] = 1
            stack.append(s)
    pop, push = stack.pop, stack.append
    while stack:
        for w in adj[pop()]:
            if not seen[w]:
                seen[w] = 1
                if not expanded[w]:
                    expanded[w] = 1
                    push(w)
    return seen


def condensation_order(succ: Adjacency, indegree: Sequence[int]) -> tuple[list[int], list[list[int]]]:
    """A topological order of the strongly connected components, and the cyclic ones.

    Returns ``(order, cycles)``: ``order`` lists every vertex so that, for every edge
    ``u → v`` between different components, ``u`` comes before ``v`` (the vertices of
    one component are adjacent in it); ``cycles`` lists the components that contain a
    cycle (two vertices or more, or one vertex with an edge to itself), each once.

    Kahn's algorithm first peels off every vertex that is neither on a cycle nor
    downstream of one; Tarjan's algorithm (iterative) then runs on the rest only, and
    its components come out in reverse topological order. Edges never lead from the
    rest back to a peeled vertex, so the two orders concatenate.
    """
    n = len(succ)
    remaining = list(indegree)
    order = [v for v in range(n) if remaining[v] == 0]
    append = order.append
    for v in order:  # the list grows while we walk it: a FIFO queue
        for w in succ[v]:
            remaining[w] -= 1
            if remaining[w] == 0:
                append(w)
    if len(order) == n:
        return order, []
    peeled = bytearray(n)
    for v in order:
        peeled[v] = 1
    components = _tarjan(succ, [v for v in range(n) if not peeled[v]])
    cycles: list[list[int]] = []
    for comp in reversed(components):
        order.extend(comp)
        if len(comp) > 1 or comp[0] in succ[comp[0]]:
            cycles.append(comp)
    return order, cycles


def _tarjan(succ: Adjacency, vertices: Iterable[int]) -> list[list[int]]:
    """Strongly connected components of the subgraph that ``vertices`` spans.

    The subgraph must be closed under ``succ`` (no edge leaves it). Components come
    out in reverse topological order (sinks first), as Tarjan's algorithm gives them.
    """
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    components: list[list[int]] = []
    counter = 0
    for root in vertices:
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(succ[root]))]
        while work:
            v, edges = work[-1]
            for w in edges:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(succ[w])))
                    break
                if w in on_stack and index[w] < low[v]:
                    low[v] = index[w]
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    if low[v] < low[parent]:
                        low[parent] = low[v]
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    components.append(comp)
    return components


def shortest_paths_from(succ: Adjacency, sources: Iterable[int]) -> list[int]:
    """Breadth-first search from several sources at once.

    Returns ``parent``: for each vertex reached by a path of one edge or more from a
    source, the vertex before it on one shortest such path; ``-1`` for a source (that
    no other path reaches first) and ``-2`` for a vertex not reached. Sources are
    taken in the order given and edges in adjacency order, so ties are broken the
    same way on every run.
    """
    parent = [-2] * len(succ)
    queue: list[int] = []
    for s in sources:
        if parent[s] == -2:
            parent[s] = -1
            queue.append(s)
    append = queue.append
    for v in queue:
        for w in succ[v]:
            if parent[w] == -2:
                parent[w] = v
                append(w)
    return parent


def path_to(parent: Sequence[int], v: int) -> list[int]:
    """Walk ``parent`` (from :func:`shortest_paths_from`) back from ``v`` to its source."""
    path = [v]
    while parent[v] >= 0:
        v = parent[v]
        path.append(v)
    path.reverse()
    return path
