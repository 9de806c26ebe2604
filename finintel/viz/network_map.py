"""Interactive network maps: one self-contained HTML file an investigator opens from a USB stick.

The page inlines vis-network (from the installed pyvis) and makes no network request, so it works
on an air-gapped machine from ``file://`` in Chromium and Firefox. It draws accounts as nodes
(colour = risk score from the alerts, shape = kind, size = money through the account) and flows
as arrows (colour = channel, width = amount), with tooltips naming the account, its totals and
its alerts with their reasons, a legend, a title stating case, period and filters, and a period
slider. The layout settles once and then stops moving.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import pandas as pd

from finintel.errors import InputError
from finintel.viz._graphdata import completed, flow_from_graph, node_alerts, noisy_or
from finintel.viz._html import page
from finintel.viz._legend import kind_of_key
from finintel.viz._payload import payload
from finintel.viz._reduce import collapse_communities, detect_communities
from finintel.viz._select import Flows, ego, flows_from_graph, flows_from_transactions, top_flows

__all__ = ["network_map"]


def network_map(
    G_or_tx: nx.Graph | pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    alerts: pd.DataFrame | None = None,
    entities: pd.DataFrame | None = None,
    focus: str | None = None,
    max_nodes: int = 500,
    title: str | None = None,
    case: Any = None,
    reduce: Literal["auto", "ego", "top_flows", "communities"] = "auto",
    hops: int = 2,
    color_by: Literal["risk", "detector"] = "risk",
    risk: Mapping[str, float] | pd.Series | pd.DataFrame | None = None,
    notes: Sequence[str] = (),
) -> Path:
    """Write an interactive map of the money flows to one self-contained HTML file.

    Parameters
    ----------
    G_or_tx : networkx.Graph or pandas.DataFrame
        Transactions in the canonical schema (only completed ones are drawn), or a graph such
        as ``fi.graph.flow_graph(tx)``, ``transaction_graph(tx)`` or ``ego_network(...)``. The graph
        is read, never changed.
    path : path-like
        The ``.html`` file to write (UTF-8); its folder is created.
    alerts : pandas.DataFrame, optional
        Alerts (``entity, detector, score, reason, tx_ids``): they colour the accounts, list their
        reasons in the tooltips and mark the flows that are their evidence.
    entities : pandas.DataFrame, optional
        Resolved entities (``account, entity_id`` and optionally ``name``): alerts raised on an entity
        show on each of its accounts, and the tooltip names the entity.
    focus : str, optional
        Account key to centre on: the map shows its ego network (`hops` in either direction).
    max_nodes : int, default 500
        Most accounts to draw; bigger graphs are reduced and the page says what was left out.
    title : str, optional
        Page title; default ``"Money flows"`` plus the case name.
    case : str or finintel.Case, optional
        Case name (or a ``Case``, whose folder name is used) for the title.
    reduce : {"auto", "ego", "top_flows", "communities"}, default "auto"
        How to reduce a graph above `max_nodes`: ``auto`` is ``ego`` with a focus, else ``top_flows``.
    hops : int, default 2
        Radius of the ego network around `focus`.
    color_by : {"risk", "detector"}, default "risk"
        Node colour by combined risk score or by the detector of the strongest alert.
    risk : mapping, pandas.Series or pandas.DataFrame, optional
        Risk score per account key or entity id (a frame with ``entity`` and ``score``, as
        ``fi.detect.risk_scores`` gives). Default: ``risk_scores(alerts)`` when that module is
        installed, else each account's alert scores combined as ``1 - prod(1 - score)``.
    notes : sequence of str, optional
        Sentences shown under the title (e.g. the alert a map explains).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        If `focus` is not an account in the data, or a frame lacks a needed column.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("msisdn:+254700000001", "acct:KCB/0012", 9_500, "2024-03-01")])
    >>> network_map(tx, "map.html", title="Op. Jua")  # doctest: +SKIP
    PosixPath('map.html')
    """
    if max_nodes < 1:
        raise InputError(f"max_nodes must be at least 1, got {max_nodes}", column="max_nodes")
    if reduce not in ("auto", "ego", "top_flows", "communities"):
        raise InputError(f"reduce must be auto, ego, top_flows or communities, got {reduce!r}", column="reduce")
    if color_by not in ("risk", "detector"):
        raise InputError(f"color_by must be risk or detector, got {color_by!r}", column="color_by")
    if isinstance(G_or_tx, pd.DataFrame):
        tx, dropped = completed(G_or_tx)
        notes = [*notes, *dropped]
        flows = flows_from_transactions(tx)
    elif isinstance(G_or_tx, nx.Graph):
        flows, notes = flows_from_graph(G_or_tx), list(notes)
    else:
        raise TypeError(f"network_map needs a transactions DataFrame or a networkx graph, got {type(G_or_tx).__name__}")
    entity_of: dict[str, str] = {}
    entity_name: dict[str, str] = {}
    if entities is not None and not entities.empty:
        if "account" not in entities.columns or "entity_id" not in entities.columns:
            raise InputError("an entities frame needs the columns 'account' and 'entity_id'", column="entity_id")
        entity_of = dict(zip(entities["account"].astype(str), entities["entity_id"].astype(str), strict=True))
        if "name" in entities:
            names = entities["name"].astype("string")
            entity_name = {
                a: str(nm) for a, nm in zip(entities["account"].astype(str), names, strict=True) if not pd.isna(nm)
            }
    by_node = node_alerts(alerts, entities)
    scores = _risk(flows.nodes, entity_of, by_node, risk, alerts)
    filters = [f"at most {max_nodes:,} accounts"]
    full_nodes, full_edges = len(flows.nodes), len(flows.pairs)
    how = reduce if reduce != "auto" else ("ego" if focus is not None else "top_flows")
    if focus is not None:
        focus = str(focus)
        if focus not in flows.nodes:
            raise InputError(
                f"the focus account {focus!r} is not in the data ({full_nodes:,} accounts)", column="focus"
            )
        filters.insert(0, f"focus {focus}" + (f", {hops} hops" if how == "ego" else ""))
    keep: set[str] | None = None
    if how == "ego":
        if focus is None:
            raise InputError("reduce='ego' needs a focus account", column="focus")
        keep, more = ego(flows, focus, max_nodes, hops, scores)
        notes += more
    elif full_nodes > max_nodes and how == "top_flows":
        keep, more = top_flows(flows, max_nodes, scores)
        notes += more
    H = _graph(G_or_tx if not isinstance(G_or_tx, pd.DataFrame) else tx, keep)
    _annotate(H, flows, keep, entity_of, entity_name)
    if full_nodes > max_nodes and how == "communities":
        H, more = collapse_communities(H, detect_communities(H), max_nodes, scores)
        scores = {n: H.nodes[n].get("risk") for n in H}
        notes += more
    data = payload(H, by_node, scores, alerts, color_by, focus)
    subtitle = _subtitle(case, data, H, full_nodes, full_edges, alerts, filters)
    name = _case_name(case)
    heading = title or ("Money flows" + (f" - case {name}" if name else ""))
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page(title=heading, subtitle=subtitle, notes=notes, data=data), encoding="utf-8")
    return out


def _risk(
    nodes: Iterable[str],
    entity_of: Mapping[str, str],
    by_node: Mapping[str, list[dict[str, Any]]],
    risk: Mapping[str, float] | pd.Series | pd.DataFrame | None,
    alerts: pd.DataFrame | None,
) -> dict[str, float | None]:
    """Risk per account: given scores, else ``fi.detect.risk_scores(alerts)``, else noisy-or of its alerts.

    An account takes the highest score of its own key and of the resolved entity it belongs to.
    """
    given = _given(risk) if risk is not None else _toolkit_scores(alerts)
    if given is None:
        return {n: noisy_or(a["score"] for a in by_node.get(n, [])) for n in nodes}
    out: dict[str, float | None] = {}
    for n in nodes:
        vals = [given[k] for k in (n, entity_of.get(n)) if k is not None and k in given]
        out[n] = max(vals) if vals else None
    return out


def _graph(source: nx.Graph | pd.DataFrame, keep: set[str] | None) -> nx.DiGraph:
    """The flow graph of the chosen accounts only: a big ledger never becomes a big NetworkX graph."""
    if isinstance(source, pd.DataFrame):
        from finintel.graph.build import flow_graph

        if keep is None:
            return flow_from_graph(flow_graph(source, completed_only=False, by_currency=True))
        s, r = source["sender"].astype(str), source["receiver"].astype(str)
        H = flow_from_graph(
            flow_graph(source[(s.isin(keep) & r.isin(keep)).to_numpy()], completed_only=False, by_currency=True)
        )
        alone = keep - set(H)  # kept (alerted) accounts none of whose flows are drawn
        if alone:
            from finintel.graph.build import node_table

            table = node_table(source[(s.isin(alone) | r.isin(alone)).to_numpy()], completed_only=False)
            for n in sorted(alone):
                row = table.loc[n] if n in table.index else None
                attrs = (
                    {}
                    if row is None
                    else {k: row[k] for k in ("name", "kind", "country") if k in row and not pd.isna(row[k])}
                )
                H.add_node(n, **{"kind": kind_of_key(n), **attrs}, total_in=0.0, total_out=0.0, n_tx=0)
        return H
    if keep is not None:
        by_str = {str(n): n for n in source.nodes}
        source = source.subgraph([by_str[k] for k in keep if k in by_str])
    return flow_from_graph(source)


def _annotate(
    H: nx.DiGraph, flows: Flows, keep: set[str] | None, entity_of: Mapping[str, str], entity_name: Mapping[str, str]
) -> None:
    """Totals over all of an account's flows (not only the drawn ones), and its resolved entity."""
    if keep is not None:
        totals = flows.totals()
        for n, data in H.nodes(data=True):
            if n in totals.index:
                row = totals.loc[n]
                data["total_in"], data["total_out"], data["n_tx"] = (
                    float(row["total_in"]),
                    float(row["total_out"]),
                    int(row["n_tx"]),
                )
    io = flows.currency_io(H.nodes)
    for n, data in H.nodes(data=True):
        data["io"] = io.get(n, [])
        if n in entity_of:
            data["entity_id"] = entity_of[n]
            if n in entity_name:
                data["entity_name"] = entity_name[n]


def _given(risk: Mapping[str, float] | pd.Series | pd.DataFrame) -> dict[str, float]:
    if isinstance(risk, pd.DataFrame):
        key = next((c for c in ("entity", "account", "node") if c in risk.columns), None)
        col = next((c for c in ("score", "risk", "risk_score") if c in risk.columns), None)
        if key is None or col is None:
            raise InputError("a risk frame needs an 'entity' (or 'account') and a 'score' column", column="score")
        pairs: Any = zip(risk[key].astype(str), pd.to_numeric(risk[col], errors="coerce"), strict=True)
    else:
        pairs = risk.items()
    return {str(k): float(v) for k, v in pairs if v is not None and not pd.isna(v)}


def _toolkit_scores(alerts: pd.DataFrame | None) -> dict[str, float] | None:
    """Scores from ``finintel.detect.risk.risk_scores`` when that module is installed, so the map agrees
    with the run's risk_scores.csv; None to fall back to noisy-or."""
    if alerts is None or alerts.empty:
        return {}
    try:
        from finintel.detect.risk import risk_scores
    except ImportError:
        return None
    scores = risk_scores(alerts)
    if not isinstance(scores, pd.DataFrame) or not {"entity", "score"} <= set(scores.columns):
        return None
    return _given(scores)


def _case_name(case: Any) -> str | None:
    if case is None:
        return None
    return Path(case.path).name if hasattr(case, "path") else str(case)


def _subtitle(
    case: Any,
    data: Mapping[str, Any],
    H: nx.DiGraph,
    full_nodes: int,
    full_edges: int,
    alerts: pd.DataFrame | None,
    filters: list[str],
) -> list[str]:
    parts = []
    name = _case_name(case)
    if name:
        parts.append(f"Case: {name}")
    p = data["period"]
    if p["from"] is not None:
        a = pd.Timestamp(p["from"], unit="ms", tz="UTC").strftime("%Y-%m-%d")
        b = pd.Timestamp(p["to"], unit="ms", tz="UTC").strftime("%Y-%m-%d")
        parts.append(f"Period: {a} to {b} (UTC)")
    n_tx = sum(c for _, _, c in H.edges(data="count"))
    parts.append(
        f"{H.number_of_nodes():,} of {full_nodes:,} accounts, {H.number_of_edges():,} of {full_edges:,} flows ({n_tx:,} transactions) drawn"
    )
    if alerts is not None and not alerts.empty:
        parts.append(f"{len(alerts):,} alerts from {alerts['detector'].nunique():,} detectors")
    return [" | ".join(parts), "Filters: " + "; ".join(filters)]
