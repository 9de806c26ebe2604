"""Network analysis for a case: communities, central accounts, brokers, corridors, cash points.

Graph functions take a graph from :func:`~finintel.graph.flow_graph` (or any
NetworkX graph whose edges carry ``total`` or ``amount``) and return pandas
frames an analyst can sort, filter and paste into a case note. Corridors and
cash points, read from the transactions directly, are in :mod:`finintel.graph.flows`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, Literal, TypeAlias

import networkx as nx
import pandas as pd

from finintel.errors import InputError, MissingDependencyError
from finintel.graph.build import flow_graph

__all__ = ["brokers", "centrality", "communities", "network_summary"]

CommunitiesLike: TypeAlias = pd.DataFrame | Mapping[Hashable, int] | Iterable[Iterable[Hashable]]


def _weight(d: Mapping[str, Any]) -> float:
    w = d.get("total", d.get("amount", 1.0))
    return float(w) if w is not None else 0.0


def _undirected(G: nx.Graph) -> nx.Graph:
    """Simple undirected graph; parallel and opposite edges summed into ``weight``."""
    U = nx.Graph()
    U.add_nodes_from(G.nodes)
    for u, v, d in G.edges(data=True):
        if u == v:
            continue
        w = _weight(d)
        if U.has_edge(u, v):
            U[u][v]["weight"] += w
        else:
            U.add_edge(u, v, weight=w)
    return U


def communities(
    G: nx.Graph,
    *,
    method: Literal["louvain", "leiden", "label_propagation"] = "louvain",
    seed: int = 0,
    resolution: float = 1.0,
) -> pd.DataFrame:
    """Groups of accounts that move money mostly among themselves.

    Runs on the undirected view, edge weight the flow (``total``; ``amount``
    on a transaction graph), so the result depends on where the money went,
    not on how many transfers were made.

    Parameters
    ----------
    G : networkx.Graph
        A flow, transaction or entity graph.
    method : {"louvain", "leiden", "label_propagation"}, default "louvain"
        ``leiden`` needs a NetworkX backend that implements it (e.g. ``nx-cugraph``).
    seed : int, default 0
        Random seed: the same graph and seed give the same communities.
    resolution : float, default 1.0
        Higher gives more, smaller communities (Louvain and Leiden).

    Returns
    -------
    pandas.DataFrame
        ``node``, ``community`` (0 is the largest; ties by smallest node), ``size``.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("a", "b", 100, "2024-03-01"), ("b", "a", 80, "2024-03-02"), ("c", "d", 50, "2024-03-01"),
    ...                    ("b", "c", 1, "2024-03-03")])
    >>> communities(flow_graph(tx))
      node  community  size
    0    a          0     2
    1    b          0     2
    2    c          1     2
    3    d          1     2
    """
    U = _undirected(G)
    if U.number_of_nodes() == 0:
        return pd.DataFrame(
            {"node": pd.Series(dtype=object), "community": pd.Series(dtype="int64"), "size": pd.Series(dtype="int64")}
        )
    if method == "louvain":
        parts = nx.community.louvain_communities(U, weight="weight", resolution=resolution, seed=seed)
    elif method == "leiden":
        try:
            parts = nx.community.leiden_communities(U, weight="weight", resolution=resolution, seed=seed)
        except NotImplementedError as err:
            raise MissingDependencyError("a NetworkX backend with Leiden (nx-cugraph or graspologic)", "graph") from err
    elif method == "label_propagation":
        parts = list(nx.community.asyn_lpa_communities(U, weight="weight", seed=seed))
    else:
        raise InputError(f"method must be louvain, leiden or label_propagation, got {method!r}", column="method")
    ordered = sorted((sorted(p, key=str) for p in parts), key=lambda p: (-len(p), str(p[0])))
    rows = [(n, i, len(p)) for i, p in enumerate(ordered) for n in p]
    return pd.DataFrame(rows, columns=["node", "community", "size"]).astype({"community": "int64", "size": "int64"})


_find_communities = communities  # network_summary's parameter shadows the name


def centrality(G: nx.Graph, *, k: int | None = None, seed: int = 0) -> pd.DataFrame:
    """PageRank (flow-weighted) and betweenness (by hops) of every node.

    Parameters
    ----------
    G : networkx.Graph
        A flow, transaction or entity graph.
    k : int, optional
        Sample `k` source nodes for betweenness (Brandes' approximation);
        default: exact up to 5,000 nodes, else 500 sampled.
    seed : int, default 0
        Seed of the sampling.

    Returns
    -------
    pandas.DataFrame
        ``node``, ``name``, ``pagerank``, ``betweenness``, ``in_degree``,
        ``out_degree``, ``total_in``, ``total_out``; sorted by PageRank.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("a", "hub", 10, "2024-03-01"), ("b", "hub", 10, "2024-03-01"), ("hub", "c", 20, "2024-03-02")])
    >>> c = centrality(flow_graph(tx)).set_index("node")
    >>> round(float(c.at["hub", "betweenness"]), 3), int(c.at["hub", "in_degree"]), c.index[0]  # 2 of 6 pairs go via hub
    (0.333, 2, 'c')
    """
    n = G.number_of_nodes()
    cols = ["node", "name", "pagerank", "betweenness", "in_degree", "out_degree", "total_in", "total_out"]
    if n == 0:
        return pd.DataFrame(columns=cols)
    S = nx.DiGraph() if G.is_directed() else nx.Graph()
    S.add_nodes_from(G.nodes)
    for u, v, d in G.edges(data=True):
        w = _weight(d)
        if S.has_edge(u, v):
            S[u][v]["weight"] += w
        else:
            S.add_edge(u, v, weight=w)
    pr = nx.pagerank(S, weight="weight") if S.number_of_edges() else {v: 1.0 / n for v in S}
    if k is None and n > 5000:
        k = 500
    bc = nx.betweenness_centrality(S, k=min(k, n) if k else None, seed=seed, weight=None)
    ind = S.in_degree() if S.is_directed() else S.degree()
    outd = S.out_degree() if S.is_directed() else S.degree()
    rows = []
    for v in S.nodes:
        a = G.nodes[v]
        tin = a.get(
            "total_in",
            sum(d["weight"] for _, _, d in (S.in_edges(v, data=True) if S.is_directed() else S.edges(v, data=True))),
        )
        tout = a.get("total_out", sum(d["weight"] for _, _, d in S.edges(v, data=True)))
        rows.append((v, a.get("name"), pr[v], bc[v], int(ind[v]), int(outd[v]), float(tin), float(tout)))
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values(["pagerank", "node"], ascending=[False, True], key=None, kind="mergesort").reset_index(
        drop=True
    )


def _membership(communities: CommunitiesLike) -> dict[Hashable, int]:
    if isinstance(communities, pd.DataFrame):
        if not {"node", "community"} <= set(communities.columns):
            raise InputError("a communities frame needs columns 'node' and 'community'", column="community")
        return dict(zip(communities["node"], communities["community"].astype(int), strict=True))
    if isinstance(communities, Mapping):
        return {k: int(v) for k, v in communities.items()}
    return {n: i for i, part in enumerate(communities) for n in part}


def brokers(G: nx.Graph, communities: CommunitiesLike, *, min_communities: int = 2) -> pd.DataFrame:
    """Nodes that move money between communities.

    Parameters
    ----------
    G : networkx.Graph
        The graph the communities were found on.
    communities : DataFrame, mapping or list of sets
        From :func:`communities`, a node → community mapping, or groups of nodes.
    min_communities : int, default 2
        Fewest communities (its own included) a node's flows must touch.

    Returns
    -------
    pandas.DataFrame
        ``node``, ``name``, ``community``, ``n_communities`` (touched by its
        flows), ``external_flow`` (to and from other communities),
        ``total_flow``, ``external_share`` and ``participation`` (Guimerà-Amaral
        participation coefficient over flow: 0 all in one community, towards 1
        spread evenly); sorted by external flow.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("a", "b", 100, "2024-03-01"), ("c", "d", 100, "2024-03-01"), ("b", "c", 30, "2024-03-02")])
    >>> G = flow_graph(tx)
    >>> brokers(G, [{"a", "b"}, {"c", "d"}])[["node", "community", "n_communities", "external_flow"]]
      node  community  n_communities  external_flow
    0    b          0              2           30.0
    1    c          1              2           30.0
    """
    member = _membership(communities)
    flows: dict[Hashable, defaultdict[int, float]] = defaultdict(lambda: defaultdict(float))
    for u, v, d in G.edges(data=True):
        if u == v or u not in member or v not in member:
            continue
        w = _weight(d)
        flows[u][member[v]] += w
        flows[v][member[u]] += w
    rows = []
    for node, by_c in flows.items():
        own = member[node]
        total = sum(by_c.values())
        touched = set(by_c) | {own}
        if len(touched) < min_communities or total <= 0:
            continue
        ext = total - by_c.get(own, 0.0)
        part = 1.0 - sum((w / total) ** 2 for w in by_c.values())
        rows.append((node, G.nodes[node].get("name"), own, len(touched), ext, total, ext / total, part))
    cols = [
        "node",
        "name",
        "community",
        "n_communities",
        "external_flow",
        "total_flow",
        "external_share",
        "participation",
    ]
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values(["external_flow", "node"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def network_summary(
    G_or_tx: nx.Graph | pd.DataFrame, communities: CommunitiesLike | None = None, alerts: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per community: size, flows, alerts, countries and channels.

    Parameters
    ----------
    G_or_tx : networkx.Graph or pandas.DataFrame
        A flow graph, or transactions (a flow graph is built).
    communities : optional
        As for :func:`brokers`; default :func:`communities` (Louvain, seed 0).
    alerts : pandas.DataFrame, optional
        Alerts frame: an alert counts for a community when its ``entity`` is a
        member, or one of its ``tx_ids`` is on an edge inside it.

    Returns
    -------
    pandas.DataFrame
        ``community``, ``size``, ``n_edges`` (inside), ``internal_flow``,
        ``flow_in``, ``flow_out`` (from and to other communities),
        ``top_nodes`` (three largest by flow), ``countries``, ``channels``,
        ``n_alerts``, ``detectors``.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("a", "b", 100, "2024-03-01"), ("c", "d", 40, "2024-03-01"), ("b", "c", 5, "2024-03-02")])
    >>> network_summary(tx, [{"a", "b"}, {"c", "d"}])[["community", "size", "internal_flow", "flow_in", "flow_out"]]
       community  size  internal_flow  flow_in  flow_out
    0          0     2          100.0      0.0       5.0
    1          1     2           40.0      5.0       0.0
    """
    G = flow_graph(G_or_tx) if isinstance(G_or_tx, pd.DataFrame) else G_or_tx
    member = _membership(communities if communities is not None else _find_communities(G))
    stats: dict[int, dict[str, Any]] = defaultdict(
        lambda: {
            "n_edges": 0,
            "internal_flow": 0.0,
            "flow_in": 0.0,
            "flow_out": 0.0,
            "channels": set(),
            "tx_ids": set(),
        }
    )
    for u, v, d in G.edges(data=True):
        cu, cv = member.get(u), member.get(v)
        w = _weight(d)
        if cu is not None and cu == cv:
            st = stats[cu]
            st["n_edges"] += 1
            st["internal_flow"] += w
            st["channels"].update(d.get("channels") or ([d["channel"]] if d.get("channel") else []))
            st["tx_ids"].update(d.get("tx_ids") or ([d["tx_id"]] if d.get("tx_id") else []))
        else:
            if cu is not None:
                stats[cu]["flow_out"] += w
            if cv is not None:
                stats[cv]["flow_in"] += w
    nodes_by_c: dict[int, list[Hashable]] = defaultdict(list)
    for n, c in member.items():
        if n in G:
            nodes_by_c[c].append(n)
    rows = []
    for c in sorted(nodes_by_c):
        ns = nodes_by_c[c]
        st = stats[c]
        flow = {n: float(G.nodes[n].get("total_in", 0.0)) + float(G.nodes[n].get("total_out", 0.0)) for n in ns}
        top = [G.nodes[n].get("name") or str(n) for n in sorted(ns, key=lambda n: (-flow[n], str(n)))[:3]]
        countries = sorted({str(G.nodes[n]["country"]) for n in ns if G.nodes[n].get("country")})
        n_alerts, detectors = 0, []
        if alerts is not None and len(alerts):
            members = set(ns)
            hit = alerts["entity"].isin(members) if "entity" in alerts.columns else pd.Series(False, index=alerts.index)
            if "tx_ids" in alerts.columns and st["tx_ids"]:
                inside = st["tx_ids"]
                hit |= alerts["tx_ids"].map(
                    lambda ids, inside=inside: ids is not None and any(t in inside for t in ids)
                )
            n_alerts = int(hit.sum())
            detectors = sorted(set(alerts.loc[hit, "detector"].astype(str))) if "detector" in alerts.columns else []
        rows.append(
            {"community": c, "size": len(ns), "n_edges": st["n_edges"], "internal_flow": st["internal_flow"], "flow_in": st["flow_in"],
             "flow_out": st["flow_out"], "top_nodes": top, "countries": countries, "channels": sorted(st["channels"]),
             "n_alerts": n_alerts, "detectors": detectors}
        )  # fmt: skip
    return pd.DataFrame(rows)
