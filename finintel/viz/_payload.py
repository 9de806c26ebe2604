"""The data a map page draws: vis-network nodes, edges and options, the legend and the period.

Every string from the data goes into the fields under ``f`` (shown by the page's own script with
``textContent``) or into canvas labels; nothing here is HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx
import pandas as pd

from finintel.viz import _legend as L
from finintel.viz._graphdata import alert_records

__all__ = ["payload"]

_MAX_ALERTS_SHOWN = 8
_MAX_TX_SHOWN = 12
_ALERT_SHADOW = {"enabled": True, "color": "rgba(178,24,43,0.9)", "size": 6, "x": 0, "y": 0}


def _ms(ts: pd.Timestamp | None) -> int | None:
    return None if ts is None else int(ts.value // 1_000_000)


def payload(
    H: nx.DiGraph,
    by_node: Mapping[str, list[dict[str, Any]]],
    scores: Mapping[str, float | None],
    alerts: pd.DataFrame | None,
    color_by: str,
    focus: str | None,
) -> dict[str, Any]:
    """Nodes, edges, vis-network options, legend, period and isolated nodes of the flow graph `H`.

    `by_node` holds each account's alerts (strongest first), `scores` its risk score; flows that
    carry an alert's evidence transactions get a red glow and list the alert in their tooltip.

    >>> H = nx.DiGraph()
    >>> H.add_edge("a", "b", total=5.0, count=1, currency="KES", channels=["bank"], tx_ids=["t1"], first=None, last=None)
    >>> for n in H: H.nodes[n].update(kind="other", total_in=0.0, total_out=0.0, n_tx=1)
    >>> data = payload(H, {}, {}, None, "risk", None)
    >>> [n["id"] for n in data["nodes"]], data["edges"][0]["f"]["total"], data["period"]
    (['a', 'b'], 5.0, {'from': None, 'to': None})
    """
    by_tx: dict[str, list[dict[str, Any]]] = {}
    if alerts is not None and not alerts.empty and "tx_ids" in alerts:
        for rec, txs in zip(alert_records(alerts), alerts["tx_ids"], strict=True):
            if txs is None or (isinstance(txs, float) and pd.isna(txs)):
                continue
            for t in txs:
                by_tx.setdefault(str(t), []).append(rec)
    detectors = sorted({r["detector"] for recs in by_node.values() for r in recs})
    flows = {n: d["total_in"] + d["total_out"] for n, d in H.nodes(data=True)}
    max_flow = max(flows.values(), default=0.0)
    max_total = max((t for _, _, t in H.edges(data="total")), default=0.0)
    node_cur: dict[str, set[str]] = {}
    edges, times = [], []
    for i, (u, v, d) in enumerate(H.edges(data=True)):
        node_cur.setdefault(u, set()).update(c for c in d["currency"].split(", ") if c)
        node_cur.setdefault(v, set()).update(c for c in d["currency"].split(", ") if c)
        ealerts = list({id(r): r for t in d["tx_ids"] for r in by_tx.get(str(t), [])}.values())
        ealerts.sort(key=lambda r: -(r["score"] or 0.0))
        t0, t1 = _ms(d["first"]), _ms(d["last"])
        times += [t for t in (t0, t1) if t is not None]
        edges.append(
            {
                "id": f"e{i}",
                "from": u,
                "to": v,
                "width": L.edge_width(d["total"], max_total),
                "color": {"color": L.channel_colour(d["channels"])},
                "t0": t0,
                "t1": t1,
                **({"shadow": _ALERT_SHADOW} if ealerts else {}),
                "f": {
                    "total": d["total"],
                    "amounts": sorted([c, v] for c, v in d.get("amounts", {}).items()),
                    "currency": d["currency"],
                    "count": d["count"],
                    "channels": d["channels"],
                    "tx_ids": d["tx_ids"][:_MAX_TX_SHOWN],
                    "more_tx": max(0, len(d["tx_ids"]) - _MAX_TX_SHOWN),
                    "alerts": _public(ealerts[:_MAX_ALERTS_SHOWN]),
                    "more_alerts": max(0, len(ealerts) - _MAX_ALERTS_SHOWN),
                },
            }
        )
    nodes = []
    for n, d in H.nodes(data=True):
        recs = by_node.get(n, []) if d.get("kind") != "community" else []
        score = scores.get(n)
        colour = (
            L.detector_colour(recs[0]["detector"], detectors)
            if color_by == "detector" and recs
            else L.risk_colour(score)
        )
        if color_by == "detector" and not recs:
            colour = L.NO_ALERT_COLOUR
        name = d.get("name") or None
        label = str(d.get("label") or name or n)
        nodes.append(
            {
                "id": n,
                "label": label if len(label) <= 28 else label[:27] + "\u2026",
                "shape": L.KIND_SHAPES.get(d["kind"], L.KIND_SHAPES["other"]),
                "size": L.node_size(flows[n], max_flow),
                "color": {
                    "background": colour,
                    "border": "#000000" if n == focus else "#555555",
                    "highlight": {"background": colour, "border": "#000000"},
                    "hover": {"background": colour, "border": "#000000"},
                },
                "borderWidth": 4 if n == focus else (2 if recs else 1),
                "f": {
                    "name": name,
                    "key": n,
                    "lines": _lines(n, d),
                    "total_in": d["total_in"],
                    "total_out": d["total_out"],
                    "n_tx": d["n_tx"],
                    "io": d.get("io", []),
                    "cur": ", ".join(sorted(node_cur.get(n, set()))),
                    "risk": score,
                    "alerts": _public(recs[:_MAX_ALERTS_SHOWN]),
                    "more_alerts": max(0, len(recs) - _MAX_ALERTS_SHOWN),
                },
            }
        )
    n_nodes = len(nodes)
    big = n_nodes > 150
    options = {
        "autoResize": True,
        "layout": {"improvedLayout": not big, "randomSeed": 7},
        "nodes": {"font": {"size": 12, "face": "system-ui, sans-serif"}, "scaling": {"label": {"drawThreshold": 6}}},
        "edges": {
            "smooth": False if big else {"enabled": True, "type": "continuous", "roundness": 0.3},
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.6}},
            "color": {"opacity": 0.85, "highlight": "#000000", "hover": "#333333"},
            "selectionWidth": 2,
        },
        "interaction": {
            "hover": True,
            "hoverConnectedEdges": False,
            "tooltipDelay": 120,
            "hideEdgesOnDrag": big,
            "navigationButtons": False,
            "keyboard": False,
        },
        "physics": {
            "enabled": True,
            "solver": "barnesHut",
            "barnesHut": {
                "gravitationalConstant": -6000,
                "centralGravity": 0.25,
                "springLength": 140,
                "springConstant": 0.03,
                "damping": 0.35,
                "avoidOverlap": 0.05,
            },
            "stabilization": {"enabled": True, "iterations": _iterations(n_nodes), "updateInterval": 25, "fit": True},
            "minVelocity": 1.0,
        },
    }
    connected = {u for u, v in H.edges()} | {v for u, v in H.edges()}
    legend = L.legend_items(
        [d["kind"] for _, d in H.nodes(data=True)],
        sorted({c for _, _, d in H.edges(data=True) for c in d["channels"]}),
        color_by,
        detectors,
    )
    period = {"from": min(times), "to": max(times)} if times else {"from": None, "to": None}
    return {
        "nodes": nodes,
        "edges": edges,
        "options": options,
        "legend": legend,
        "period": period,
        "isolated": [n for n in H if n not in connected],
    }


def _iterations(n_nodes: int) -> int:
    """Layout budget: about 120,000 node-iterations (a few seconds in a browser), 15 to 1,000 iterations.

    Above a few thousand nodes the layout stops before it has fully settled (the page's
    "Relax layout" button runs more); maps are reduced to `max_nodes` (500) by default.

    >>> _iterations(100), _iterations(2_000), _iterations(10_000)
    (1000, 60, 15)
    """
    return max(15, min(1000, 120_000 // max(n_nodes, 1)))


def _public(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"detector": r["detector"], "score": r["score"], "reason": r["reason"], "alert_id": r["alert_id"]} for r in recs
    ]


def _lines(n: str, d: Mapping[str, Any]) -> list[str]:
    if d.get("kind") == "community":
        lines = [f"{d['members']:,} accounts; flows inside the community: {d['inside_total']:,.2f} (all currencies)"]
        if d.get("alerted"):
            lines.append(f"alerted ({d['n_alerted']:,}): " + ", ".join(d["alerted"]))
        lines.append("largest accounts: " + ", ".join(d.get("top_members", [])))
        return lines
    lines = [f"account {n}", f"kind: {L.KIND_LABELS.get(d['kind'], d['kind'])}"]
    if d.get("country"):
        lines.append(f"country: {d['country']}")
    if d.get("entity_id"):
        lines.append(f"entity: {d['entity_id']}" + (f" ({d['entity_name']})" if d.get("entity_name") else ""))
    return lines
