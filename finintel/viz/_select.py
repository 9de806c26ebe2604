"""Choose which accounts a map draws, on an aggregated frame of flows, before any graph is built.

A ledger of millions of rows is first summed per (sender, receiver) pair with pandas; the choice of
accounts (ego network of the focus, or alerted accounts and the largest flows) is made on that
frame, and only the chosen accounts' transactions are turned into a NetworkX graph. Each choice
says in plain words what it left out (the notes go on the page):

- ``ego``: the accounts within `hops` of the focus account, either direction (fewer hops if that is
  still too many, then the largest flows among them);
- ``top_flows``: every alerted account (strongest first), then the accounts at either end of the
  largest flows, until `max_nodes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa

from finintel.detect._alerts import money

__all__ = ["Flows", "ego", "flows_from_graph", "flows_from_transactions", "top_flows"]


@dataclass(frozen=True)
class Flows:
    """Flows summed per pair (``pairs``: u, v, total, count) and every account (``nodes``)."""

    pairs: pd.DataFrame
    nodes: frozenset[str]
    #: node, currency, total_in, total_out: money per account and currency ("" when unknown)
    by_currency: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["node", "currency", "total_in", "total_out"])
    )

    def currency_io(self, nodes: Iterable[str]) -> dict[str, list[list[Any]]]:
        """``{account: [[currency, in, out], ...]}`` for the given accounts, currencies sorted.

        >>> f = flows_from_transactions(fi.testing.transactions([("a", "b", 2, "2024-01-01")]))
        >>> f.currency_io(["a"])
        {'a': [['KES', 0.0, 2.0]]}
        """
        bc = self.by_currency
        sel = bc[bc["node"].isin(set(nodes)).to_numpy()].sort_values(["node", "currency"])
        out: dict[str, list[list[Any]]] = {}
        for n, c, i, o in zip(sel["node"], sel["currency"], sel["total_in"], sel["total_out"], strict=True):
            out.setdefault(str(n), []).append([str(c), float(i), float(o)])
        return out

    def totals(self) -> pd.DataFrame:
        """Per account: ``total_in, total_out, n_tx`` over all its flows (not only the drawn ones)."""
        p = self.pairs
        out = p.groupby("u", sort=False)[["total", "count"]].sum()
        inn = p.groupby("v", sort=False)[["total", "count"]].sum()
        idx = pd.Index(sorted(self.nodes), dtype=object)
        return pd.DataFrame(
            {
                "total_in": inn["total"].reindex(idx).fillna(0.0).to_numpy(float),
                "total_out": out["total"].reindex(idx).fillna(0.0).to_numpy(float),
                "n_tx": (inn["count"].reindex(idx).fillna(0) + out["count"].reindex(idx).fillna(0)).to_numpy(int),
            },
            index=idx,
        )


def flows_from_transactions(tx: pd.DataFrame) -> Flows:
    """Sum completed transactions per (sender, receiver) pair.

    >>> from finintel.testing import transactions
    >>> f = flows_from_transactions(transactions([("a", "b", 2, "2024-01-01"), ("a", "b", 3, "2024-01-02")]))
    >>> f.pairs.to_dict("records"), sorted(f.nodes)
    ([{'u': 'a', 'v': 'b', 'total': 5.0, 'count': 2}], ['a', 'b'])
    """
    table = pa.table(
        {
            "u": pa.array(tx["sender"].astype(object).to_numpy(), pa.string()),
            "v": pa.array(tx["receiver"].astype(object).to_numpy(), pa.string()),
            "total": pa.array(pd.to_numeric(tx["amount"], errors="coerce").fillna(0.0).to_numpy(float)),
        }
    )
    grouped = table.group_by(["u", "v"], use_threads=False).aggregate([("total", "sum"), ("total", "count")])
    grouped = grouped.sort_by([("u", "ascending"), ("v", "ascending")])
    pairs = grouped.to_pandas().rename(columns={"total_sum": "total", "total_count": "count"})[
        ["u", "v", "total", "count"]
    ]
    pairs["count"] = pairs["count"].astype(int)
    cur = tx["currency"].astype(object).fillna("").to_numpy() if "currency" in tx else np.full(len(tx), "", object)
    money_ = pd.DataFrame(
        {"u": table["u"].to_numpy(), "v": table["v"].to_numpy(), "c": cur, "a": table["total"].to_numpy()}
    )
    return Flows(pairs, frozenset(pairs["u"]) | frozenset(pairs["v"]), _by_currency(money_))


def _by_currency(df: pd.DataFrame) -> pd.DataFrame:
    """From rows (u, v, c, a): per node and currency, money in and out."""
    out = df.groupby(["u", "c"], sort=False)["a"].sum().rename("total_out").rename_axis(["node", "currency"])
    inn = df.groupby(["v", "c"], sort=False)["a"].sum().rename("total_in").rename_axis(["node", "currency"])
    both = pd.concat([inn, out], axis=1).fillna(0.0).reset_index()
    return both[["node", "currency", "total_in", "total_out"]]


def flows_from_graph(G: nx.Graph) -> Flows:
    """Sum the edges of any graph per (u, v) pair: ``total`` (or ``amount``, ``weight``) and ``count``.

    >>> M = nx.MultiDiGraph([("a", "b", {"amount": 2.0}), ("a", "b", {"amount": 3.0})]); M.add_node("z")
    >>> f = flows_from_graph(M)
    >>> f.pairs.to_dict("records"), sorted(f.nodes)
    ([{'u': 'a', 'v': 'b', 'total': 5.0, 'count': 2}], ['a', 'b', 'z'])
    """
    rows: list[tuple[str, str, float, int, str]] = []
    for u, v, d in G.edges(data=True):
        value = d.get("total", d.get("amount", d.get("weight", 0.0)))
        try:
            total = float(value)
        except (TypeError, ValueError):
            total = 0.0
        listed = d.get("currencies")
        cur = (
            "+".join(sorted(str(c) for c in listed))
            if isinstance(listed, list | tuple)
            else str(d.get("currency") or "")
        )
        rows.append(
            (str(u), str(v), total if total == total else 0.0, int(d.get("count", 1) or 1), cur.replace(",", "+"))
        )
    df = pd.DataFrame(rows, columns=["u", "v", "total", "count", "c"])
    pairs = df.groupby(["u", "v"], sort=True).agg(total=("total", "sum"), count=("count", "sum")).reset_index()
    return Flows(pairs, frozenset(str(n) for n in G.nodes), _by_currency(df.rename(columns={"total": "a"})))


def top_flows(flows: Flows, max_nodes: int, risk: Mapping[str, float | None]) -> tuple[set[str], list[str]]:
    """Alerted accounts first (strongest first), then the endpoints of the largest flows, up to `max_nodes`.

    >>> f = Flows(pd.DataFrame({"u": ["a", "c"], "v": ["b", "d"], "total": [100.0, 5.0], "count": [1, 1]}),
    ...           frozenset("abcd"))
    >>> keep, notes = top_flows(f, 2, {})
    >>> sorted(keep), notes[0]
    (['a', 'b'], 'Showing 2 of 4 accounts and 1 of 2 flows: ...')
    """
    if len(flows.nodes) <= max_nodes:
        return set(flows.nodes), []
    alerted = sorted((n for n in flows.nodes if risk.get(n)), key=lambda n: (-(risk.get(n) or 0.0), n))
    keep: dict[str, None] = dict.fromkeys(alerted[:max_nodes])
    p = flows.pairs
    order = np.argsort(-p["total"].to_numpy(float), kind="stable")  # pairs are sorted by (u, v): ties stay so
    us, vs = p["u"].to_numpy()[order], p["v"].to_numpy()[order]
    for u, v in zip(us, vs, strict=True):
        if len(keep) >= max_nodes:
            break
        new = (u not in keep) + (v not in keep)
        if new and len(keep) + new <= max_nodes:
            keep[u] = None
            keep[v] = None
    if not keep:  # no flow fits (max_nodes 1, or no flows at all): the accounts that move the most
        totals = flows.totals()
        busiest = (totals["total_in"] + totals["total_out"]).sort_values(ascending=False, kind="stable")
        keep = dict.fromkeys(str(n) for n in busiest.index[:max_nodes])
    why = (
        f"{len(alerted):,} alerted accounts and the largest flows"
        if alerted
        else "the accounts behind the largest flows"
    )
    return set(keep), [left_out(flows, set(keep), why)]


def ego(
    flows: Flows, focus: str, max_nodes: int, hops: int, risk: Mapping[str, float | None]
) -> tuple[set[str], list[str]]:
    """Accounts within `hops` of `focus` (either direction); fewer hops, then top flows, if too many.

    >>> f = Flows(pd.DataFrame({"u": ["a", "b", "c"], "v": ["b", "c", "d"], "total": 1.0, "count": 1}), frozenset("abcd"))
    >>> sorted(ego(f, "a", 10, 2, {})[0])
    ['a', 'b', 'c']
    """
    rings = _rings(flows.pairs, focus, hops)
    h = len(rings) - 1
    nodes = set().union(*rings)
    while len(nodes) > max_nodes and h > 1:
        h -= 1
        nodes = set().union(*rings[: h + 1])
    notes = [f"Ego network of the focus account, {h} hop{'s' if h != 1 else ''} in either direction."]
    if len(nodes) > max_nodes:
        p = flows.pairs
        inner = Flows(p[p["u"].isin(nodes).to_numpy() & p["v"].isin(nodes).to_numpy()], frozenset(nodes))
        nodes, _ = top_flows(inner, max_nodes, {**risk, focus: 2.0})
        notes.append(
            left_out(
                flows, nodes, f"the focus, alerted accounts and the largest flows within {h} hop{'s' if h != 1 else ''}"
            )
        )
    elif len(nodes) < len(flows.nodes):
        notes.append(left_out(flows, nodes, f"accounts within {h} hop{'s' if h != 1 else ''} of the focus"))
    return nodes, notes


def _rings(pairs: pd.DataFrame, focus: str, hops: int) -> list[set[str]]:
    """Accounts at distance 0, 1, ... `hops` from `focus` (stops early when nothing new is reached)."""
    u, v = pairs["u"], pairs["v"]
    seen = {focus}
    rings = [{focus}]
    for _ in range(hops):
        frontier = list(rings[-1])
        nxt = set(v[u.isin(frontier)].tolist()) | set(u[v.isin(frontier)].tolist())
        nxt -= seen
        if not nxt:
            break
        seen |= nxt
        rings.append(nxt)
    return rings


def left_out(flows: Flows, keep: Iterable[Any], why: str, unit: str = "accounts") -> str:
    """One sentence: what is drawn, why, and how many accounts, flows and how much value are not."""
    keep = set(keep)
    p = flows.pairs
    shown = p["u"].isin(keep).to_numpy() & p["v"].isin(keep).to_numpy()
    n_all, e_all = len(flows.nodes), len(p)
    n_shown, e_shown = len(keep & flows.nodes), int(shown.sum())
    value = float(p["total"].to_numpy(float)[~shown].sum())
    return (
        f"Showing {n_shown:,} of {n_all:,} {unit} and {e_shown:,} of {e_all:,} flows: {why}. "
        f"Left out: {n_all - n_shown:,} {unit}, {e_all - e_shown:,} flows worth {money(value)} "
        f"(amounts summed across currencies)."
    )
