"""Cut a big flow graph down to what a browser can draw and an analyst can read.

Three ways, each saying in plain words what it left out (the notes go on the page):

- ``ego``: the accounts within `hops` of the focus account (two, then one if that is still too many),
  then the largest flows among them;
- ``top_flows``: every alerted account (strongest first) and then the accounts at either end of the
  largest flows, until `max_nodes`;
- ``communities``: each community (Louvain, seed 0) collapsed to one node carrying its counts and totals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import networkx as nx
import pandas as pd

from finintel.detect._alerts import money

__all__ = ["collapse_communities", "detect_communities", "ego", "top_flows"]


def top_flows(H: nx.DiGraph, max_nodes: int, risk: Mapping[str, float | None]) -> tuple[nx.DiGraph, list[str]]:
    """Alerted accounts first, then the endpoints of the largest flows, up to `max_nodes` accounts.

    >>> H = nx.DiGraph()
    >>> H.add_edge("a", "b", total=100.0, count=1); H.add_edge("c", "d", total=5.0, count=1)
    >>> for n in H: H.nodes[n].update(total_in=0.0, total_out=0.0)
    >>> R, notes = top_flows(H, 2, {})
    >>> sorted(R), notes[0]
    (['a', 'b'], 'Showing 2 of 4 accounts and 1 of 2 flows: ...')
    """
    if H.number_of_nodes() <= max_nodes:
        return H, []
    keep: dict[str, None] = {}
    alerted = sorted((n for n in H if risk.get(n)), key=lambda n: (-(risk.get(n) or 0.0), n))
    for n in alerted[:max_nodes]:
        keep[n] = None
    for u, v, _ in sorted(H.edges(data="total"), key=lambda e: (-e[2], e[0], e[1])):
        if len(keep) >= max_nodes:
            break
        if u in keep and v in keep:
            continue
        if len(keep) + (u not in keep) + (v not in keep) > max_nodes:
            continue
        keep[u] = None
        keep[v] = None
    R = H.subgraph(keep).copy()
    why = (
        f"{len(alerted):,} alerted accounts and the largest flows"
        if alerted
        else "the accounts behind the largest flows"
    )
    return R, [_left_out(H, R, why)]


def ego(H: nx.DiGraph, focus: str, max_nodes: int, hops: int = 2) -> tuple[nx.DiGraph, list[str]]:
    """Accounts within `hops` of `focus` (either direction); fewer hops, then top flows, if too many.

    >>> H = nx.DiGraph()
    >>> H.add_edges_from([("a", "b"), ("b", "c"), ("c", "d")], total=1.0, count=1)
    >>> sorted(ego(H, "a", 10)[0])
    ['a', 'b', 'c']
    """
    U = H.to_undirected(as_view=True)
    h = hops
    nodes = set(nx.single_source_shortest_path_length(U, focus, cutoff=h))
    while len(nodes) > max_nodes and h > 1:
        h -= 1
        nodes = set(nx.single_source_shortest_path_length(U, focus, cutoff=h))
    R = H.subgraph(nodes).copy()
    notes = [f"Ego network of the focus account, {h} hop{'s' if h > 1 else ''} in either direction."]
    if R.number_of_nodes() > max_nodes:
        R, more = top_flows(R, max_nodes, {focus: 1.0})
        notes += more
    elif R.number_of_nodes() < H.number_of_nodes():
        notes.append(_left_out(H, R, f"accounts within {h} hops of the focus"))
    return R, notes


def detect_communities(H: nx.DiGraph, seed: int = 0) -> list[set[str]]:
    """Communities of the flow graph from ``finintel.graph.communities`` (Louvain, seed 0), largest first.

    The list index is the community number ``fi.graph.communities`` gives (0 is the largest).

    >>> H = nx.DiGraph()
    >>> H.add_edges_from([("a", "b"), ("x", "y"), ("y", "z")], total=1.0)
    >>> [sorted(c) for c in detect_communities(H)]
    [['x', 'y', 'z'], ['a', 'b']]
    """
    if H.number_of_nodes() == 0:
        return []
    from finintel.graph.analysis import communities

    found = communities(H, seed=seed)
    if isinstance(found, pd.DataFrame):
        by_number = found.groupby("community", sort=True)["node"]
        return [{str(n) for n in nodes} for _, nodes in by_number]
    groups = [{str(n) for n in c} for c in found]
    return sorted(groups, key=lambda c: (-len(c), min(c)))


def collapse_communities(
    H: nx.DiGraph, groups: Sequence[set[str]], max_nodes: int, risk: Mapping[str, float | None]
) -> tuple[nx.DiGraph, list[str]]:
    """One node per community (``community:<i>``) with member counts, totals and the alerted members.

    Flows inside a community are summed into its node; flows between communities become one edge each.
    """
    member_of = {n: i for i, c in enumerate(groups) for n in c}
    C = nx.DiGraph()
    for i, c in enumerate(groups):
        alerted = sorted((n for n in c if risk.get(n)), key=lambda n: -(risk.get(n) or 0.0))
        inside = sum(d for _, v, d in H.out_edges(c, data="total") if v in c)
        top = sorted(c, key=lambda n: -(H.nodes[n]["total_in"] + H.nodes[n]["total_out"]))[:5]
        C.add_node(
            f"community:{i}",
            name=f"Community {i}: {len(c):,} accounts, {len(alerted):,} alerted",
            label=f"Community {i} ({len(c):,})",
            kind="community",
            members=len(c),
            alerted=alerted[:10],
            n_alerted=len(alerted),
            top_members=top,
            inside_total=float(inside),
            risk=max((risk.get(n) or 0.0 for n in c), default=0.0) or None,
        )
    for u, v, d in H.edges(data=True):
        cu, cv = f"community:{member_of[u]}", f"community:{member_of[v]}"
        if cu == cv:
            continue
        if C.has_edge(cu, cv):
            e = C.edges[cu, cv]
            e["total"] += d["total"]
            e["count"] += d["count"]
            e["channels"] = sorted(set(e["channels"]) | set(d["channels"]))
            e["currency"] = ", ".join(sorted((set(e["currency"].split(", ")) | set(d["currency"].split(", "))) - {""}))
            e["tx_ids"].extend(d["tx_ids"])
            e["first"] = min((t for t in (e["first"], d["first"]) if t is not None), default=None)
            e["last"] = max((t for t in (e["last"], d["last"]) if t is not None), default=None)
        else:
            C.add_edge(cu, cv, **{**d, "tx_ids": list(d["tx_ids"]), "channels": list(d["channels"])})
    for n, data in C.nodes(data=True):
        data["total_in"] = float(sum(t for _, _, t in C.in_edges(n, data="total")))
        data["total_out"] = float(sum(t for _, _, t in C.out_edges(n, data="total")))
        data["n_tx"] = int(
            sum(c for _, _, c in C.in_edges(n, data="count")) + sum(c for _, _, c in C.out_edges(n, data="count"))
        )
    notes = [
        f"{H.number_of_nodes():,} accounts collapsed into {len(groups):,} communities (Louvain, seed 0); "
        f"flows inside a community are counted in its node."
    ]
    if C.number_of_nodes() > max_nodes:
        flow = {n: C.nodes[n]["total_in"] + C.nodes[n]["total_out"] + C.nodes[n]["inside_total"] for n in C}
        keep = sorted(C, key=lambda n: (-(C.nodes[n]["risk"] or 0.0), -flow[n], n))[:max_nodes]
        R = C.subgraph(keep).copy()
        notes.append(_left_out(C, R, "alerted and largest communities", unit="communities"))
        C = R
    return C, notes


def _left_out(H: nx.DiGraph, R: nx.DiGraph, why: str, unit: str = "accounts") -> str:
    value_all = sum(t for _, _, t in H.edges(data="total"))
    value_shown = sum(t for _, _, t in R.edges(data="total"))
    return (
        f"Showing {R.number_of_nodes():,} of {H.number_of_nodes():,} {unit} and {R.number_of_edges():,} of "
        f"{H.number_of_edges():,} flows: {why}. Left out: {H.number_of_nodes() - R.number_of_nodes():,} {unit}, "
        f"{H.number_of_edges() - R.number_of_edges():,} flows worth {money(value_all - value_shown)} "
        f"(amounts summed across currencies)."
    )
