"""Ego networks: the neighbourhood of one account, within a time window and above an amount."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from typing import Any, Literal, TypeVar

import networkx as nx
import pandas as pd

from finintel.errors import InputError

__all__ = ["ego_network"]

G_ = TypeVar("G_", bound=nx.Graph)


def _ts(value: Any) -> pd.Timestamp | None:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def ego_network(
    G: G_,
    node: Hashable,
    hops: int = 2,
    *,
    since: Any = None,
    until: Any = None,
    min_amount: float | None = None,
    direction: Literal["both", "out", "in"] = "both",
) -> G_:
    """The neighbourhood of `node` within `hops` steps, as a graph of the same class.

    Only edges that pass the filters are walked and kept: on a transaction
    graph an edge's ``timestamp`` must lie in ``[since, until]`` and its
    ``amount`` be at least `min_amount`; on a flow graph the edge's
    ``first``–``last`` span must overlap the window and its ``total`` reach
    `min_amount`.

    Parameters
    ----------
    G : networkx.Graph
        A graph from :func:`flow_graph` or :func:`transaction_graph` (any
        NetworkX graph works; edges without the attributes pass the filters).
    node : hashable
        The centre, e.g. an account key.
    hops : int, default 2
        Largest number of steps from `node`.
    since, until : str or Timestamp, optional
        Time window (naive times are UTC).
    min_amount : float, optional
        Smallest edge amount (transaction graph) or total (flow graph) kept.
    direction : {"both", "out", "in"}, default "both"
        Follow edges either way, only onward (where the money went), or only
        backward (where it came from).

    Returns
    -------
    networkx.Graph
        A new graph of the same class as `G` with node and edge attributes copied.

    Raises
    ------
    networkx.NodeNotFound
        If `node` is not in `G`.

    Examples
    --------
    >>> from finintel.graph import flow_graph, transaction_graph
    >>> from finintel.testing import transactions
    >>> tx = transactions([
    ...     ("a", "b", 100, "2024-03-01"), ("b", "c", 90, "2024-03-02"), ("c", "d", 80, "2024-03-03"),
    ...     ("x", "a", 5, "2024-01-01"),
    ... ])
    >>> sorted(ego_network(flow_graph(tx), "b", hops=1).nodes)
    ['a', 'b', 'c']
    >>> sorted(ego_network(transaction_graph(tx), "a", hops=3, since="2024-02-01").edges(keys=True))
    [('a', 'b', 't1'), ('b', 'c', 't2'), ('c', 'd', 't3')]
    """
    if node not in G:
        raise nx.NodeNotFound(f"{node!r} is not a node of the graph ({G.number_of_nodes()} nodes)")
    if hops < 0:
        raise InputError(f"hops must be 0 or more, got {hops}", column="hops")
    lo, hi = _ts(since), _ts(until)

    def keep(d: dict[str, Any]) -> bool:
        if "timestamp" in d:
            t0 = t1 = d["timestamp"]
        else:
            t0, t1 = d.get("first"), d.get("last")
        if lo is not None and t1 is not None and t1 < lo:
            return False
        if hi is not None and t0 is not None and t0 > hi:
            return False
        if min_amount is not None:
            amount = d.get("amount", d.get("total"))
            if amount is not None and amount < min_amount:
                return False
        return True

    multi = G.is_multigraph()
    directed = G.is_directed()

    def steps(u: Hashable) -> list[tuple[Hashable, Hashable, Any, dict[str, Any]]]:
        found: list[tuple[Hashable, Hashable, Any, dict[str, Any]]] = []
        views = []
        if not directed:
            views.append(G.edges(u, keys=True, data=True) if multi else G.edges(u, data=True))
        else:
            if direction in ("both", "out"):
                views.append(G.out_edges(u, keys=True, data=True) if multi else G.out_edges(u, data=True))
            if direction in ("both", "in"):
                views.append(G.in_edges(u, keys=True, data=True) if multi else G.in_edges(u, data=True))
        for view in views:
            for e in view:
                if multi:
                    a, b, k, d = e
                else:
                    (a, b, d), k = e, None
                if keep(d):
                    found.append((a, b, k, d))
        return found

    seen: dict[Hashable, int] = {node: 0}
    kept: dict[tuple[Hashable, Hashable, Any], dict[str, Any]] = {}
    queue = deque([node])
    while queue:
        u = queue.popleft()
        depth = seen[u]
        if depth >= hops:
            continue
        for a, b, k, d in steps(u):
            other = b if a == u else a
            if other not in seen:
                seen[other] = depth + 1
                queue.append(other)
            kept[(a, b, k)] = d
    H = G.__class__()
    H.graph.update(G.graph)
    H.add_nodes_from((n, G.nodes[n]) for n in seen)
    for (a, b, k), d in kept.items():
        if multi:
            H.add_edge(a, b, key=k, **d)
        else:
            H.add_edge(a, b, **d)
    # edges between nodes already inside (e.g. b -> a when walking outward only) that pass the filters
    if direction == "both":  # only the outermost ring was not walked
        for u in [u for u, depth in seen.items() if depth == hops]:
            for a, b, k, d in steps(u):
                if a in seen and b in seen and not (H.has_edge(a, b, k) if multi else H.has_edge(a, b)):
                    if multi:
                        H.add_edge(a, b, key=k, **d)
                    else:
                        H.add_edge(a, b, **d)
    return H
