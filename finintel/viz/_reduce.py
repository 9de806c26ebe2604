"""Collapse a big flow graph into its communities: one node per community, with counts and totals.

The other reductions (ego network, top flows) work on the aggregated flows frame: see ``_select``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import networkx as nx
import pandas as pd

from finintel.detect._alerts import money

__all__ = ["collapse_communities", "detect_communities"]


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
            for cur, value in d["amounts"].items():
                e["amounts"][cur] = e["amounts"].get(cur, 0.0) + value
        else:
            C.add_edge(
                cu,
                cv,
                **{**d, "tx_ids": list(d["tx_ids"]), "channels": list(d["channels"]), "amounts": dict(d["amounts"])},
            )
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
