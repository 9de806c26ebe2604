"""Turn a transactions frame or any NetworkX graph into the flow graph a map draws.

The map never draws the caller's objects directly: it reads them into a fresh ``nx.DiGraph``
with one edge per (sender, receiver) and the attributes below, so the caller's graph is
never changed and every input shape (``flow_graph``, ``transaction_graph``, a hand-made graph)
ends up the same.

node: ``name, kind, country, total_in, total_out, n_tx``;
edge: ``count, total, currency, channels (list), first, last (Timestamp or None), tx_ids (list)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
import pandas as pd

from finintel.errors import InputError
from finintel.viz._legend import kind_of_key

__all__ = ["alert_records", "completed", "flow_from_graph", "flow_from_transactions", "node_alerts", "noisy_or"]

_TX_NEEDED = ("sender", "receiver", "amount")


def completed(tx: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The rows of `tx` that moved value (status completed or blank), and a note on the others.

    >>> from finintel.testing import transactions
    >>> tx = transactions([dict(sender="a", receiver="b", amount=5.0, timestamp="2024-01-01", status="failed")])
    >>> len(completed(tx)[0]), completed(tx)[1]
    (0, ['1 failed, reversed or pending transactions are not drawn (they moved no value)'])
    """
    if not isinstance(tx, pd.DataFrame):
        raise InputError(f"expected a transactions DataFrame, got {type(tx).__name__}")
    missing = [c for c in _TX_NEEDED if c not in tx.columns]
    if missing:
        raise InputError(
            f"a transactions frame needs the columns {', '.join(_TX_NEEDED)}; missing {', '.join(missing)}",
            column=missing[0],
        )
    if "status" not in tx.columns:
        return tx, []
    status = tx["status"].astype("string").str.lower()
    moved = status.isna() | status.eq("completed")
    if moved.all():
        return tx, []
    note = f"{int((~moved).sum()):,} failed, reversed or pending transactions are not drawn (they moved no value)"
    return tx[moved.to_numpy()], [note]


def flow_from_transactions(tx: pd.DataFrame) -> tuple[nx.DiGraph, list[str]]:
    """The flow graph of the completed transactions in `tx`, and notes on what was left out.

    Built with :func:`finintel.graph.flow_graph`, then read by :func:`flow_from_graph`.

    >>> from finintel.testing import transactions
    >>> G, notes = flow_from_transactions(transactions([("a", "b", 5, "2024-01-01"), ("a", "b", 7, "2024-01-02")]))
    >>> G.edges["a", "b"]["total"], G.edges["a", "b"]["count"], notes
    (12.0, 2, [])
    """
    from finintel.graph.build import flow_graph

    tx, notes = completed(tx)
    return flow_from_graph(flow_graph(tx, completed_only=False, by_currency=True)), notes


def flow_from_graph(G: nx.Graph) -> nx.DiGraph:
    """A fresh flow graph read from any NetworkX graph; `G` itself is not changed.

    A ``MultiDiGraph`` of transactions (edge attribute ``amount``) is summed per pair of nodes;
    a ``DiGraph`` with ``total``/``count`` (as from ``flow_graph``) is copied; a graph with only
    ``weight`` uses it as the amount. Node ids become strings.

    >>> M = nx.MultiDiGraph()
    >>> _ = M.add_edge("a", "b", key="t1", amount=3.0)
    >>> _ = M.add_edge("a", "b", key="t2", amount=4.0)
    >>> H = flow_from_graph(M)
    >>> H.edges["a", "b"]["total"], H.edges["a", "b"]["tx_ids"], M.number_of_edges()
    (7.0, ['t1', 't2'], 2)

    Each edge also keeps ``amounts``, the sum per currency, because ``total`` adds currencies up.
    """
    H = nx.DiGraph()
    for n, data in G.nodes(data=True):
        H.add_node(str(n), **{k: data[k] for k in ("name", "kind", "country", "entity_id") if data.get(k) is not None})
    multi = G.is_multigraph()
    edges: Iterable[tuple[Any, Any, Any, Mapping[str, Any]]] = (
        G.edges(keys=True, data=True) if multi else ((u, v, None, d) for u, v, d in G.edges(data=True))
    )
    for u, v, key, data in edges:
        s, r = str(u), str(v)
        amount = _number(data.get("total", data.get("amount", data.get("weight", 0.0))))
        count = int(data.get("count", 1) or 1)
        tx_ids = [str(t) for t in _listish(data.get("tx_ids", data.get("tx_id", key if multi else None)))]
        channels = [str(c) for c in _listish(data.get("channels", data.get("channel")))]
        listed = data.get("currencies")
        currencies = {str(c) for c in _listish(listed)} if listed is not None else set()
        if not currencies and data.get("currency"):
            currencies = {c.strip() for c in str(data["currency"]).split(",")}
        first = _time(data.get("first", data.get("timestamp")))
        last = _time(data.get("last", data.get("timestamp")))
        # per-currency amounts when the source edge is in one currency (flow_graph(by_currency=True),
        # transaction graphs); a pre-summed multi-currency edge stays one "KES+USD" amount
        pot = "+".join(sorted(currencies - {""}))
        if H.has_edge(s, r):
            e = H.edges[s, r]
            e["total"] += amount
            e["count"] += count
            e["tx_ids"].extend(tx_ids)
            e["channels"] = sorted(set(e["channels"]) | set(channels))
            e["currency"] = ", ".join(sorted((set(e["currency"].split(", ")) | currencies) - {""}))
            e["first"] = min((t for t in (e["first"], first) if t is not None), default=None)
            e["last"] = max((t for t in (e["last"], last) if t is not None), default=None)
            e["amounts"][pot] = e["amounts"].get(pot, 0.0) + amount
        else:
            H.add_edge(
                s,
                r,
                total=amount,
                count=count,
                tx_ids=tx_ids,
                channels=sorted(set(channels)),
                currency=", ".join(sorted(currencies - {""})),
                first=first,
                last=last,
                amounts={pot: amount},
            )
    return _fill_nodes(H)


def _fill_nodes(H: nx.DiGraph) -> nx.DiGraph:
    """Totals and counts recomputed from the edges (one pass); kind from the key where not given."""
    total_in: dict[str, float] = {}
    total_out: dict[str, float] = {}
    n_tx: dict[str, int] = {}
    for u, v, d in H.edges(data=True):
        total_out[u] = total_out.get(u, 0.0) + d["total"]
        total_in[v] = total_in.get(v, 0.0) + d["total"]
        n_tx[u] = n_tx.get(u, 0) + d["count"]
        n_tx[v] = n_tx.get(v, 0) + d["count"]
    for n, data in H.nodes(data=True):
        data["total_in"] = float(total_in.get(n, 0.0))
        data["total_out"] = float(total_out.get(n, 0.0))
        data["n_tx"] = int(n_tx.get(n, 0))
        if not data.get("kind"):
            data["kind"] = kind_of_key(n)
    return H


def _number(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return 0.0
    return out if out == out else 0.0


def _listish(value: Any) -> list[Any]:
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return list(value)
    return [value]


def _time(value: Any) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    if ts is pd.NaT or pd.isna(ts):
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def node_alerts(alerts: pd.DataFrame | None, entities: pd.DataFrame | None = None) -> dict[str, list[dict[str, Any]]]:
    """Alerts per account key, strongest first; alerts on a resolved entity go to each of its accounts.

    >>> a = pd.DataFrame({"alert_id": ["x:1"], "detector": ["fan_in"], "entity": ["acct-A"], "score": [0.7],
    ...                   "reason": ["9 senders in 2 days"], "tx_ids": [["t1"]]})
    >>> node_alerts(a)["acct-A"][0]["reason"]
    '9 senders in 2 days'
    """
    out: dict[str, list[dict[str, Any]]] = {}
    if alerts is None or alerts.empty:
        return out
    for col in ("entity", "detector"):
        if col not in alerts.columns:
            raise InputError(f"an alerts frame needs the column {col!r}", column=col)
    members: dict[str, list[str]] = {}
    if entities is not None and not entities.empty:
        if "account" not in entities.columns or "entity_id" not in entities.columns:
            raise InputError("an entities frame needs the columns 'account' and 'entity_id'", column="entity_id")
        for acct, ent in zip(entities["account"].astype(str), entities["entity_id"].astype(str), strict=True):
            members.setdefault(ent, []).append(acct)
    for rec, ent in zip(alert_records(alerts), alerts["entity"].astype(str), strict=True):
        for key in members.get(ent, [ent]):
            out.setdefault(key, []).append(rec)
    for recs in out.values():
        recs.sort(key=lambda r: -(r["score"] or 0.0))
    return out


def alert_records(alerts: pd.DataFrame) -> list[dict[str, Any]]:
    """One ``{alert_id, detector, score, reason}`` dict per alert row, in row order.

    >>> alert_records(pd.DataFrame({"detector": ["fan_in"], "entity": ["a"], "score": [None]}))
    [{'alert_id': 'alert 1', 'detector': 'fan_in', 'score': None, 'reason': ''}]
    """
    n = len(alerts)
    ids = alerts["alert_id"].astype(str).tolist() if "alert_id" in alerts else [f"alert {i + 1}" for i in range(n)]
    dets = alerts["detector"].astype(str).tolist() if "detector" in alerts else ["alert"] * n
    scores = pd.to_numeric(alerts["score"], errors="coerce").tolist() if "score" in alerts else [None] * n
    reasons = alerts["reason"].tolist() if "reason" in alerts else [None] * n
    return [
        {
            "alert_id": a,
            "detector": d,
            "score": None if s is None or pd.isna(s) else float(s),
            "reason": "" if r is None or pd.isna(r) else str(r),
        }
        for a, d, s, r in zip(ids, dets, scores, reasons, strict=True)
    ]


def noisy_or(scores: Iterable[float | None]) -> float | None:
    """Combined risk of independent alerts: ``1 - prod(1 - score)``; None when there is none.

    >>> noisy_or([0.5, 0.5]), noisy_or([])
    (0.75, None)
    """
    vals = [min(max(float(s), 0.0), 1.0) for s in scores if s is not None]
    if not vals:
        return None
    keep = 1.0
    for v in vals:
        keep *= 1.0 - v
    return round(1.0 - keep, 6)
