"""GraphML and GEXF (Gephi) files from any finintel graph.

NetworkX writes only scalar attributes; the graph views carry lists
(``tx_ids``, ``channels``), timestamps and decimals. Those become strings:
lists and dicts as JSON, timestamps in ISO 8601 (UTC), decimals exactly as
written; missing values are left out. An attribute holding different types
on different nodes or edges is written as text throughout, so the file has one
declared type per key and re-reads cleanly.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

__all__ = ["portable_graph", "write_gexf", "write_graphml"]


def _scalar(value: Any) -> Any:
    """A GraphML-safe value, or None to drop the attribute."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        if isinstance(value, pd.Timestamp) and pd.isna(value):
            return None
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset | dict | np.ndarray):
        seq = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return json.dumps(seq.tolist() if isinstance(seq, np.ndarray) else seq, default=str, ensure_ascii=False)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _clean_all(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned = [{k: v for k, v in ((str(k), _scalar(v)) for k, v in d.items()) if v is not None} for d in items]
    types: dict[str, set[type]] = defaultdict(set)
    for d in cleaned:
        for k, v in d.items():
            types[k].add(type(v))
    for k, ts in types.items():
        if ts == {int, float}:
            for d in cleaned:
                if k in d:
                    d[k] = float(d[k])
        elif len(ts) > 1:
            for d in cleaned:
                if k in d:
                    d[k] = str(d[k])
    return cleaned


def portable_graph(G: nx.Graph) -> nx.Graph:
    """A copy of `G` whose node ids are strings and attributes scalars (see module docstring).

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_edge("a", "b", tx_ids=["t1", "t2"], first=pd.Timestamp("2024-03-01", tz="UTC"), note=None)
    >>> portable_graph(G).edges["a", "b"]
    {'tx_ids': '["t1", "t2"]', 'first': '2024-03-01T00:00:00+00:00'}
    """
    H = G.__class__()
    H.graph.update({k: v for k, v in ((str(k), _scalar(v)) for k, v in G.graph.items()) if v is not None})
    nodes = list(G.nodes(data=True))
    for (n, _), attrs in zip(nodes, _clean_all([d for _, d in nodes]), strict=True):
        H.add_node(str(n), **attrs)
    if G.is_multigraph():
        edges = list(G.edges(keys=True, data=True))
        for (u, v, k, _), attrs in zip(edges, _clean_all([d for *_, d in edges]), strict=True):
            H.add_edge(str(u), str(v), key=str(k), **attrs)
    else:
        plain = list(G.edges(data=True))
        for (u, v, _), attrs in zip(plain, _clean_all([d for *_, d in plain]), strict=True):
            H.add_edge(str(u), str(v), **attrs)
    return H


def write_graphml(G: nx.Graph, path: str | os.PathLike[str]) -> Path:
    """Write `G` as GraphML (yEd, Cytoscape, Gephi, i2 via converters); returns the path.

    Examples
    --------
    >>> from finintel.graph import flow_graph
    >>> from finintel.testing import transactions
    >>> G = flow_graph(transactions([("a", "b", 100, "2024-03-01")]))
    >>> path = write_graphml(G, "case.graphml")  # doctest: +SKIP
    >>> nx.read_graphml(path).edges["a", "b"]["tx_ids"]  # doctest: +SKIP
    '["t1"]'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    nx.write_graphml(portable_graph(G), target, encoding="utf-8", named_key_ids=True)
    return target


def write_gexf(G: nx.Graph, path: str | os.PathLike[str]) -> Path:
    """Write `G` as GEXF 1.2 for Gephi; returns the path. Node labels are the ``name`` attribute when present.

    Examples
    --------
    >>> from finintel.graph import flow_graph
    >>> from finintel.testing import transactions
    >>> write_gexf(flow_graph(transactions([("a", "b", 100, "2024-03-01")])), "case.gexf")  # doctest: +SKIP
    PosixPath('case.gexf')
    """
    H = portable_graph(G)
    for n, d in H.nodes(data=True):
        d.setdefault("label", d.get("name", n))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    nx.write_gexf(H, target, encoding="utf-8")
    return target
