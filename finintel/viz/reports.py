"""Maps for a screening run: one per alert (its evidence), one per community, and an index page.

``maps_for_run(tx, alerts, "out/maps")`` is the one call the CLI and notebooks make after a screening;
it writes ``index.html`` linking an overview map, a map per alert and a map per community, each a
self-contained file made by :func:`finintel.viz.network_map`.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from finintel.detect._alerts import money
from finintel.errors import InputError
from finintel.viz._graphdata import flow_from_graph, flow_from_transactions
from finintel.viz._reduce import detect_communities
from finintel.viz.network_map import network_map

__all__ = ["alert_maps", "community_maps", "maps_for_run"]


def alert_maps(
    tx: pd.DataFrame,
    alerts: pd.DataFrame,
    folder: str | os.PathLike[str],
    *,
    max_nodes: int = 500,
    case: Any = None,
    entities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Write one map per alert, drawing the transactions that are its evidence.

    Each map is centred on the alerted account, lists the alert's reason under the title, and
    shows every alert that touches the accounts drawn.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    alerts : pandas.DataFrame
        Alerts in the canonical schema (``alert_id, detector, entity, score, tx_ids, reason``).
    folder : path-like
        Folder for the maps (created).
    max_nodes, case, entities
        As in :func:`network_map`.

    Returns
    -------
    pandas.DataFrame
        One row per alert: ``alert_id, detector, entity, score, reason, n_tx, file`` (file relative
        to `folder`).

    Examples
    --------
    >>> alert_maps(tx, alerts, "out/maps/alerts")  # doctest: +SKIP
    """
    _need(alerts, ("alert_id", "detector", "entity", "tx_ids"), "alerts")
    if "tx_id" not in tx.columns:
        raise InputError("the transactions frame lacks column tx_id", column="tx_id")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    used: set[str] = set()
    tx_ids = tx["tx_id"].astype(str)
    for i, a in enumerate(alerts.itertuples(index=False), start=1):
        evidence = {str(t) for t in (a.tx_ids if a.tx_ids is not None else [])}
        sub = tx[tx_ids.isin(evidence).to_numpy()]
        name = _filename(f"{i:04d}-{a.detector}-{str(a.alert_id).split(':')[-1]}", used)
        reason = str(getattr(a, "reason", "") or "")
        score = getattr(a, "score", None)
        notes = [
            f"Alert {a.alert_id} ({a.detector}, score {score:.2f}): {reason}"
            if score == score and score is not None
            else f"Alert {a.alert_id} ({a.detector}): {reason}"
        ]
        if len(sub) < len(evidence):
            notes.append(
                f"{len(evidence) - len(sub):,} of the alert's {len(evidence):,} evidence transactions are not in the data."
            )
        accounts = set(sub["sender"].astype(str)) | set(sub["receiver"].astype(str))
        focus = str(a.entity) if str(a.entity) in accounts else None
        network_map(
            sub,
            out / name,
            alerts=_touching(alerts, accounts, entities),
            entities=entities,
            focus=focus,
            max_nodes=max_nodes,
            case=case,
            title=f"{a.detector} alert on {a.entity}",
            notes=notes,
            reduce="top_flows",
        )
        rows.append(
            {
                "alert_id": str(a.alert_id),
                "detector": str(a.detector),
                "entity": str(a.entity),
                "score": score,
                "reason": reason,
                "n_tx": len(sub),
                "file": name,
            }
        )
    return pd.DataFrame(rows, columns=["alert_id", "detector", "entity", "score", "reason", "n_tx", "file"])


def community_maps(
    G_or_tx: nx.Graph | pd.DataFrame,
    folder: str | os.PathLike[str],
    *,
    alerts: pd.DataFrame | None = None,
    communities: list[set[str]] | None = None,
    min_size: int = 3,
    max_maps: int = 100,
    max_nodes: int = 500,
    case: Any = None,
    entities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Write one map per community of the flow graph (largest first).

    Parameters
    ----------
    G_or_tx : networkx.Graph or pandas.DataFrame
        Transactions or a graph, as for :func:`network_map`.
    folder : path-like
        Folder for the maps (created).
    alerts : pandas.DataFrame, optional
        Alerts shown on the maps and counted per community.
    communities : list of sets of account keys, optional
        Default: ``finintel.graph.communities`` (Louvain, seed 0); a community's number is its
        position in this list (0 is the largest), as in ``finintel map --community N``.
    min_size : int, default 3
        Smallest community that gets a map.
    max_maps : int, default 100
        Most maps written; communities with alerts come first, then the largest.

    Returns
    -------
    pandas.DataFrame
        ``community, accounts, flows, total, alerted_accounts, file``, one row per map written.

    Examples
    --------
    >>> community_maps(tx, "out/maps/communities", alerts=alerts)  # doctest: +SKIP
    """
    H = flow_from_transactions(G_or_tx)[0] if isinstance(G_or_tx, pd.DataFrame) else flow_from_graph(G_or_tx)
    groups = communities if communities is not None else detect_communities(H)
    alerted = set(alerts["entity"].astype(str)) if alerts is not None and not alerts.empty else set()
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    ranked = sorted(
        ((i, {str(n) for n in c}) for i, c in enumerate(groups) if len(c) >= min_size),
        key=lambda ic: (-len(ic[1] & alerted), -len(ic[1]), ic[0]),
    )
    rows = []
    for number, members in ranked[:max_maps]:
        sub = H.subgraph(members & set(H)).copy()
        total = sum(t for _, _, t in sub.edges(data="total"))
        name = f"community-{number:04d}.html"
        n_alerted = len(members & alerted)
        network_map(
            sub,
            out / name,
            alerts=_touching(alerts, members, entities),
            entities=entities,
            max_nodes=max_nodes,
            case=case,
            title=f"Community {number}: {len(members):,} accounts",
            notes=[f"{n_alerted:,} alerted accounts; flows inside the community {money(total)} (all currencies)."],
        )
        rows.append(
            {
                "community": number,
                "accounts": len(members),
                "flows": sub.number_of_edges(),
                "total": total,
                "alerted_accounts": n_alerted,
                "file": name,
            }
        )
    return pd.DataFrame(rows, columns=["community", "accounts", "flows", "total", "alerted_accounts", "file"])


def maps_for_run(
    tx: pd.DataFrame,
    alerts: pd.DataFrame,
    folder: str | os.PathLike[str],
    *,
    title: str | None = None,
    case: Any = None,
    entities: pd.DataFrame | None = None,
    max_nodes: int = 500,
    max_alert_maps: int = 200,
    max_community_maps: int = 50,
) -> Path:
    """Write every map of a screening run and an ``index.html`` linking them; return the index path.

    The folder gets ``overview.html`` (the whole network, reduced to `max_nodes`), ``alerts/`` (a map
    per alert, strongest first, at most `max_alert_maps`) and ``communities/`` (a map per community
    of at least three accounts, alerted ones first).

    Examples
    --------
    >>> maps_for_run(tx, alerts, "out/maps", title="Operation Jua")  # doctest: +SKIP
    PosixPath('out/maps/index.html')
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    heading = title or "Screening run maps"
    H, _ = flow_from_transactions(tx)
    network_map(
        H,
        out / "overview.html",
        alerts=alerts,
        entities=entities,
        max_nodes=max_nodes,
        case=case,
        title=f"{heading}: overview",
    )
    ranked = alerts
    if not alerts.empty and "score" in alerts:
        ranked = alerts.sort_values(["score", "alert_id"], ascending=[False, True], na_position="last")
    a_index = alert_maps(
        tx, ranked.head(max_alert_maps), out / "alerts", max_nodes=max_nodes, case=case, entities=entities
    )
    c_index = community_maps(
        H,
        out / "communities",
        alerts=alerts,
        max_maps=max_community_maps,
        max_nodes=max_nodes,
        case=case,
        entities=entities,
    )
    index = out / "index.html"
    index.write_text(_index_page(heading, H, alerts, a_index, c_index, len(alerts) - len(a_index)), encoding="utf-8")
    return index


def _index_page(
    title: str, H: nx.DiGraph, alerts: pd.DataFrame, a_index: pd.DataFrame, c_index: pd.DataFrame, skipped: int
) -> str:
    e = html.escape
    rows_a = "".join(
        f"<tr><td><a href='alerts/{e(r.file)}'>{e(r.alert_id)}</a></td><td>{e(r.detector)}</td><td>{e(r.entity)}</td>"
        f"<td>{'' if r.score is None or r.score != r.score else f'{r.score:.2f}'}</td><td>{r.n_tx:,}</td><td>{e(r.reason)}</td></tr>"
        for r in a_index.itertuples(index=False)
    )
    rows_c = "".join(
        f"<tr><td><a href='communities/{e(r.file)}'>Community {r.community}</a></td><td>{r.accounts:,}</td>"
        f"<td>{r.flows:,}</td><td>{e(money(r.total))}</td><td>{r.alerted_accounts:,}</td></tr>"
        for r in c_index.itertuples(index=False)
    )
    more = f"<p>{skipped:,} weaker alerts have no map of their own.</p>" if skipped > 0 else ""
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{e(title)}</title><style>body{{font-family:system-ui,sans-serif;margin:16px;color:#222}}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;"
        "vertical-align:top}th{background:#f0f0f0}</style></head><body>"
        f"<h1>{e(title)}</h1><p>{H.number_of_nodes():,} accounts, {H.number_of_edges():,} flows, {len(alerts):,} alerts. "
        "Every map is a single file that opens offline.</p>"
        "<p><a href='overview.html'>Overview map of the whole network</a></p>"
        f"<h2>Alerts ({len(a_index):,} maps)</h2>{more}<table><tr><th>alert</th><th>detector</th><th>account</th>"
        f"<th>score</th><th>transactions</th><th>reason</th></tr>{rows_a}</table>"
        f"<h2>Communities ({len(c_index):,} maps)</h2><table><tr><th>community</th><th>accounts</th><th>flows</th>"
        f"<th>money inside</th><th>alerted accounts</th></tr>{rows_c}</table></body></html>\n"
    )


def _touching(alerts: pd.DataFrame | None, accounts: set[str], entities: pd.DataFrame | None) -> pd.DataFrame | None:
    """The alerts about these accounts (or the resolved entities they belong to): all one map can show."""
    if alerts is None or alerts.empty:
        return alerts
    keys = set(accounts)
    if entities is not None and not entities.empty and {"account", "entity_id"} <= set(entities.columns):
        acct = entities["account"].astype(str)
        keys |= set(entities.loc[acct.isin(accounts).to_numpy(), "entity_id"].astype(str))
    return alerts[alerts["entity"].astype(str).isin(keys).to_numpy()]


def _filename(stem: str, used: set[str]) -> str:
    """A safe, unique file name from untrusted text (alert ids and detector names)."""
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("._")[:80] or "alert"
    name, k = f"{base}.html", 2
    while name in used:
        name, k = f"{base}-{k}.html", k + 1
    used.add(name)
    return name


def _need(df: pd.DataFrame, cols: tuple[str, ...], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"the {what} frame lacks column(s) {', '.join(missing)}", column=missing[0])
