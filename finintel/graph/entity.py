"""The flow graph lifted from accounts to the entities behind them."""

from __future__ import annotations

import networkx as nx
import pandas as pd

from finintel.errors import InputError
from finintel.graph.build import check_transactions, flow_graph, node_kind

__all__ = ["entity_graph", "entity_map"]


def entity_map(entities: pd.DataFrame) -> dict[str, str]:
    """Account key → entity_id from an entities frame (:func:`finintel.resolve.resolve_entities`).

    Examples
    --------
    >>> entity_map(pd.DataFrame({"entity_id": ["E1", "E1"], "account": ["a", None]}))
    {'a': 'E1'}
    """
    if not {"entity_id", "account"} <= set(entities.columns):
        raise InputError("an entities frame needs columns 'entity_id' and 'account'", column="account")
    e = entities.dropna(subset=["account"])
    return dict(zip(e["account"].astype(str), e["entity_id"].astype(str), strict=True))


def entity_graph(
    tx: pd.DataFrame, entities: pd.DataFrame, *, keep_accounts: bool = False, by_currency: bool = False
) -> nx.DiGraph:
    """Money flows between resolved entities.

    Each account is replaced by its entity (accounts no entity claims stay as
    they are), then flows are aggregated as in :func:`~finintel.graph.flow_graph`.
    Transfers between two accounts of one entity become a self-loop on it.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    entities : pandas.DataFrame
        Entities frame with ``entity_id`` and ``account`` (and optionally
        ``entity_name``, ``kind``).
    keep_accounts : bool, default False
        Also add each account as a node, joined to its entity by an edge with
        ``relation="holds"`` (flow edges have ``relation="flow"``).
    by_currency : bool, default False
        As in :func:`~finintel.graph.flow_graph`.

    Returns
    -------
    networkx.DiGraph
        Entity nodes carry ``name``, ``kind``, ``accounts`` (list) and the flow
        totals; edges the flow attributes.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("mpesa:A", "B", 100, "2024-03-01"), ("B", "bank:A", 40, "2024-03-02")])
    >>> ent = pd.DataFrame({"entity_id": ["E1", "E1"], "account": ["mpesa:A", "bank:A"], "entity_name": ["Amina", "Amina"]})
    >>> G = entity_graph(tx, ent)
    >>> sorted(G.edges(data="total"))
    [('B', 'E1', 40.0), ('E1', 'B', 100.0)]
    >>> G.nodes["E1"]["accounts"]
    ['bank:A', 'mpesa:A']
    """
    tx = check_transactions(tx)
    mapping = entity_map(entities)
    lifted = tx.copy()
    for col in ("sender", "receiver"):
        keys = lifted[col].astype(object)
        lifted[col] = keys.map(lambda k: mapping.get(k, k)).astype("string[pyarrow]")
    G = flow_graph(lifted, by_currency=by_currency)
    G.graph["view"] = "entities"
    names = entities.drop_duplicates("entity_id").set_index("entity_id")
    members: dict[str, list[str]] = {}
    for acct, eid in mapping.items():
        members.setdefault(eid, []).append(acct)
    for eid, accts in members.items():
        if eid not in G:
            continue
        node = G.nodes[eid]
        node["accounts"] = sorted(accts)
        node["n_accounts"] = len(accts)
        if "entity_name" in names.columns and pd.notna(names.at[eid, "entity_name"]):
            node["name"] = str(names.at[eid, "entity_name"])
        kind = str(names.at[eid, "kind"]) if "kind" in names.columns and pd.notna(names.at[eid, "kind"]) else None
        node["kind"] = kind if kind in ("person", "organisation") else node_kind(eid, node.get("name"))
    for _, _, d in G.edges(data=True):
        d["relation"] = "flow"
    if keep_accounts:
        seen = set(pd.concat([tx["sender"], tx["receiver"]]).astype(str))
        for acct, eid in mapping.items():
            if acct in seen and eid in G:
                G.add_node(acct, kind=node_kind(acct), name=acct, entity_id=eid)
                G.add_edge(eid, acct, relation="holds", count=0, total=0.0)
    return G
