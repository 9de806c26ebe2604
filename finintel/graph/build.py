"""NetworkX views of a transactions frame: flow graph, transaction graph, ego networks.

Two views, two scales:

- :func:`flow_graph` aggregates first (in Arrow, one ``group_by``), then builds
  one edge per sender → receiver pair (or per pair and currency). This is the
  view for whole ledgers: a 10M-row ledger becomes as many edges as distinct
  pairs, never 10M NetworkX edges.
- :func:`transaction_graph` keeps one edge per transaction (a ``MultiDiGraph``
  keyed by ``tx_id``) with every column as edge attributes: the view for case
  graphs, cycles and explanations, up to about a million rows.

:func:`ego_network` cuts the neighbourhood of one account out of either view,
optionally restricted to a time window and a minimum amount.

Only ``completed`` transactions move value; failed, reversed and pending rows
are left out unless ``completed_only=False``. A row with no status counts as
completed (many exports only list what went through).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from finintel.errors import InputError
from finintel.graph._arrow import _arrow_mode, _chunks, _pa, _pa_pair
from finintel.graph.ego import ego_network
from finintel.schema import frames as F

__all__ = [
    "NODE_KINDS",
    "check_transactions",
    "ego_network",
    "flow_graph",
    "node_kind",
    "node_table",
    "transaction_graph",
]

NODE_KINDS = ("person", "organisation", "bank_account", "wallet", "crypto_address", "cash_agent", "fees")
"""Values of the ``kind`` node attribute. ``fees`` is the charges, taxes and interest booked on one account
(``fee:<account key>``): money spent, not a counterparty."""

_NAMESPACE_KIND = {
    "msisdn": "wallet",
    "masked": "wallet",
    "exch": "wallet",
    "iban": "bank_account",
    "acct": "bank_account",
    "eth": "crypto_address",
    "trx": "crypto_address",
    "btc": "crypto_address",
    "cash": "cash_agent",
    "paybill": "organisation",
    "fee": "fees",
}
_ORG = re.compile(
    r"\b(LTD|LIMITED|PLC|INC|LLC|CORP|CO|COMPANY|ENTERPRISES?|TRADERS?|TRADING|HOLDINGS|GROUP|SACCO|BANK|"
    r"SERVICES|AGENC(Y|IES)|SHOP|STORES?|HOTEL|LOGISTICS|TRAVELS?|TOURS|FOREX|BUREAU|EXCHANGE|MINISTRY|"
    r"INTERNATIONAL|INVESTMENTS?|S\.?A\.?R\.?L|SARL|SA|PLC|FOUNDATION|CHURCH|SCHOOL|UNION)\b\.?",
    re.IGNORECASE,
)

G_ = TypeVar("G_", bound=nx.Graph)


def check_transactions(tx: pd.DataFrame) -> pd.DataFrame:
    """The frame itself when its canonical columns have canonical dtypes, else a validated copy.

    Raises
    ------
    InputError
        If `tx` is not a DataFrame or lacks a required column.

    Examples
    --------
    >>> check_transactions(pd.DataFrame({"sender": ["a"]}))
    Traceback (most recent call last):
    ...
    finintel.errors.InputError: column 'tx_id': the transactions frame lacks column(s) tx_id, timestamp, receiver, amount, currency, channel
    """
    if not isinstance(tx, pd.DataFrame):
        raise InputError(f"expected a transactions DataFrame, got {type(tx).__name__}")
    missing = [c for c in F.TRANSACTIONS.required if c not in tx.columns]
    if missing:
        raise InputError(f"the transactions frame lacks column(s) {', '.join(missing)}", column=missing[0])
    ok = (
        str(tx["timestamp"].dtype) == "datetime64[us, UTC]"
        and tx["amount"].dtype == "float64"
        and all(c in tx.columns for c in F.TRANSACTIONS.columns)
        and isinstance(tx["sender"].dtype, pd.StringDtype)
    )
    return tx if ok else F.validate_transactions(tx)


def _moving(tx: pd.DataFrame, completed_only: bool) -> pd.DataFrame:
    if not completed_only or "status" not in tx.columns:
        return tx
    col = tx["status"]
    if isinstance(col.dtype, pd.CategoricalDtype):  # the canonical dtype: compare integer codes
        codes = col.cat.codes.to_numpy()
        cats = list(col.cat.categories)
        keep = (codes == -1) | (codes == cats.index("completed") if "completed" in cats else False)
    else:
        status = col.astype(object)
        keep = (status.isna() | (status == "completed")).to_numpy(dtype=bool)
    return tx if bool(keep.all()) else tx[keep]


def node_kind(key: str, name: str | None = None) -> str:
    """Kind of a node from its account-key namespace, else from the name.

    Examples
    --------
    >>> node_kind("msisdn:+254712345678"), node_kind("eth:0xab"), node_kind("cash:Agent 7")
    ('wallet', 'crypto_address', 'cash_agent')
    >>> node_kind("fee:acct:KCB-BANK-KENYA/1234567890")
    'fees'
    >>> node_kind("E17", "Blue Nile Trading PLC"), node_kind("E18", "Amina Yusuf")
    ('organisation', 'person')
    """
    ns = str(key).split(":", 1)[0] if ":" in str(key) else ""
    if ns in _NAMESPACE_KIND:
        return _NAMESPACE_KIND[ns]
    return "organisation" if name and _ORG.search(str(name)) else "person"


def node_table(tx: pd.DataFrame, *, completed_only: bool = True) -> pd.DataFrame:
    """One row per account key with the node attributes the graph views carry.

    Columns: ``name`` (most frequent name written for the key), ``kind`` (see
    :data:`NODE_KINDS`), ``country`` (most frequent), ``total_in``, ``total_out``
    (sums of ``amount``, across currencies), ``n_tx`` (transactions in and out),
    and ``currencies`` (sorted list).

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("a", "b", 100, "2024-03-01"), ("b", "c", 90, "2024-03-02")])
    >>> node_table(tx)[["total_in", "total_out", "n_tx"]]
             total_in  total_out  n_tx
    account
    a       0.0      100.0     1
    b     100.0       90.0     2
    c      90.0        0.0     1
    """
    tx = _moving(check_transactions(tx), completed_only)
    s, r = _pa(tx["sender"]), _pa(tx["receiver"])
    amount = pa.array(tx["amount"].to_numpy(dtype="float64"))
    totals = []
    for keys_arr in (r, s):
        t = (
            pa.table({"k": keys_arr, "a": amount})
            .group_by("k", use_threads=False)
            .aggregate([("a", "sum"), ("a", "count")])
        )
        totals.append(t.to_pandas().set_index("k"))
    inn, out = totals
    keys = out.index.union(inn.index)
    table = pd.DataFrame(index=pd.Index(keys, dtype=object, name="account"))
    table["total_in"] = inn["a_sum"].reindex(keys).fillna(0.0).to_numpy(dtype="float64")
    table["total_out"] = out["a_sum"].reindex(keys).fillna(0.0).to_numpy(dtype="float64")
    counts = inn["a_count"].reindex(keys).fillna(0) + out["a_count"].reindex(keys).fillna(0)
    table["n_tx"] = counts.astype("int64").to_numpy()
    both = pa.chunked_array(_chunks(s) + _chunks(r), pa.string())
    names = _arrow_mode(both, _pa_pair(tx, "sender_name", "receiver_name"))
    countries = _arrow_mode(both, _pa_pair(tx, "sender_country", "receiver_country"))
    cur = _pa(tx["currency"])
    cur_t = pa.table({"k": both, "c": pa.chunked_array(_chunks(cur) + _chunks(cur), pa.string())})
    distinct = (
        cur_t.group_by("k", use_threads=False).aggregate([("c", "distinct")]).to_pandas().set_index("k")["c_distinct"]
    )
    currencies = distinct.map(lambda v: sorted(x for x in v if x is not None))
    table["name"] = names.reindex(keys).to_numpy()
    table["country"] = countries.reindex(keys).to_numpy()
    table["kind"] = [node_kind(k, n if isinstance(n, str) else None) for k, n in zip(keys, table["name"], strict=True)]
    table["currencies"] = currencies.reindex(keys).to_numpy()
    table = table[["name", "kind", "country", "total_in", "total_out", "n_tx", "currencies"]]
    return table.sort_index()


def _clean(value: Any) -> Any:
    """Replace pandas missing values with None, numpy scalars with Python ones."""
    if value is None:
        return None
    if isinstance(value, list | dict | tuple):
        return value
    if isinstance(value, np.generic):
        return value.item()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    return value


def _pylist(col: pd.Series) -> list[Any]:
    """A column as Python values, missing values as None (timestamps as pandas Timestamps)."""
    if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(col.dtype):
        return [None if pd.isna(t) else t for t in pd.DatetimeIndex(col)]
    arr = getattr(col.array, "_pa_array", None)
    if arr is not None:
        return list(arr.to_pylist())
    obj = col.astype(object)
    return [_clean(v) for v in obj.where(obj.notna(), None).tolist()]


def _add_nodes(G: nx.Graph, nodes: pd.DataFrame) -> None:
    cols = {}
    for c in nodes.columns:
        col = nodes[c]
        if col.dtype == object or isinstance(col.dtype, pd.StringDtype):
            obj = col.astype(object)
            cols[c] = obj.where(obj.notna(), None).tolist()
        else:
            cols[c] = col.tolist()
    names = list(cols)
    G.add_nodes_from(
        (k, dict(zip(names, vals, strict=True))) for k, *vals in zip(nodes.index, *cols.values(), strict=True)
    )


def flow_graph(
    tx: pd.DataFrame, *, by_currency: bool = False, completed_only: bool = True, tx_ids: bool = True
) -> nx.DiGraph:
    """Aggregated money flows: one edge per sender → receiver pair.

    The frame is aggregated in Arrow first and the graph built from the
    aggregated edges, so a ledger of millions of rows builds as fast as its
    number of distinct pairs allows.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    by_currency : bool, default False
        Keep currencies apart: the result is then a ``MultiDiGraph`` whose edge
        keys are currency codes, one edge per pair and currency, and ``total``
        never adds shillings to dollars. With False, ``total`` sums ``amount``
        across currencies (``currency`` then lists them all, comma-separated).
    completed_only : bool, default True
        Leave out failed, reversed and pending rows.
    tx_ids : bool, default True
        Keep the list of tx_ids on each edge (set False on huge ledgers to save memory).

    Returns
    -------
    networkx.DiGraph
        Edge attributes ``count``, ``total``, ``currency``, ``currencies``
        (list), ``first``, ``last`` (UTC timestamps), ``channels`` (list) and
        ``tx_ids`` (list). Node attributes from :func:`node_table`: ``name``,
        ``kind``, ``country``, ``total_in``, ``total_out``, ``n_tx``, ``currencies``.

    Raises
    ------
    InputError
        If `tx` lacks a canonical column.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([
    ...     ("a", "b", 100, "2024-03-01"), ("a", "b", 50, "2024-03-05"), ("b", "c", 120, "2024-03-06"),
    ... ])
    >>> G = flow_graph(tx)
    >>> G.edges["a", "b"]["count"], G.edges["a", "b"]["total"], G.edges["a", "b"]["tx_ids"]
    (2, 150.0, ['t1', 't2'])
    >>> G.nodes["b"]["total_in"], G.nodes["b"]["total_out"]
    (150.0, 120.0)
    """
    tx = _moving(check_transactions(tx), completed_only)
    G: nx.DiGraph = nx.MultiDiGraph() if by_currency else nx.DiGraph()
    G.graph["view"] = "flow"
    G.graph["by_currency"] = by_currency
    out = _group(tx, by_currency=by_currency, tx_ids=tx_ids)
    _add_nodes(G, _nodes_from_edges(out, tx))
    if out.num_rows == 0:
        return G
    cols = {name: out.column(name).to_pylist() for name in out.column_names if name not in ("first", "last")}
    first = list(pd.DatetimeIndex(pd.to_datetime(out.column("first").cast(pa.int64()).to_numpy(), unit="us", utc=True)))
    last = list(pd.DatetimeIndex(pd.to_datetime(out.column("last").cast(pa.int64()).to_numpy(), unit="us", utc=True)))
    tidy: dict[tuple[Any, ...], tuple[str, ...]] = {}
    joined: dict[tuple[str, ...], str] = {}

    def sort_once(v: list[Any]) -> tuple[str, ...]:
        key = tuple(v)
        if key not in tidy:
            tidy[key] = tuple(sorted(c for c in key if c is not None))
            joined[tidy[key]] = ",".join(tidy[key])
        return tidy[key]

    for i in range(out.num_rows):
        curs = sort_once(cols["currencies"][i])
        attrs: dict[str, Any] = {
            "count": cols["count"][i],
            "total": cols["total"][i],
            "currency": joined[curs],
            "currencies": list(curs),
            "first": first[i],
            "last": last[i],
            "channels": list(sort_once(cols["channels"][i])),
        }
        if tx_ids:
            attrs["tx_ids"] = cols["tx_ids"][i]
        if by_currency:
            G.add_edge(cols["sender"][i], cols["receiver"][i], key=cols["currency"][i], **attrs)
        else:
            G.add_edge(cols["sender"][i], cols["receiver"][i], **attrs)
    return G


def _group(tx: pd.DataFrame, *, by_currency: bool, tx_ids: bool) -> pa.Table:
    """Edges as an Arrow table sorted by pair: sender, receiver, [currency,] count, total, first, last,
    currencies, channels, [tx_ids]."""
    table = pa.table(
        {
            "sender": _pa(tx["sender"]),
            "receiver": _pa(tx["receiver"]),
            "currency": _pa(tx["currency"]),
            "channel": _pa(tx["channel"]),
            "amount": pa.array(tx["amount"].to_numpy(dtype="float64")),
            "timestamp": pa.array(pd.DatetimeIndex(tx["timestamp"]).as_unit("us").asi8, pa.int64()).cast(
                pa.timestamp("us", tz="UTC")
            ),
            "tx_id": _pa(tx["tx_id"]),
        }
    )
    keys = ["sender", "receiver", "currency"] if by_currency else ["sender", "receiver"]
    aggs: list[tuple[str, str]] = [
        ("amount", "count"),
        ("amount", "sum"),
        ("timestamp", "min"),
        ("timestamp", "max"),
        ("currency", "distinct"),
        ("channel", "distinct"),
    ]
    if tx_ids:
        aggs.append(("tx_id", "list"))
    out = table.group_by(keys, use_threads=False).aggregate(aggs)
    names = {
        "amount_count": "count",
        "amount_sum": "total",
        "timestamp_min": "first",
        "timestamp_max": "last",
        "currency_distinct": "currencies",
        "channel_distinct": "channels",
        "tx_id_list": "tx_ids",
    }
    out = out.rename_columns([names.get(c, c) for c in out.column_names])
    return out.sort_by([(k, "ascending") for k in keys])


def _nodes_from_edges(edges: pa.Table, tx: pd.DataFrame) -> pd.DataFrame:
    """:func:`node_table` computed from the aggregated edges (names and countries from the rows)."""
    sums = []
    for side in ("receiver", "sender"):
        t = pa.table({"k": edges.column(side), "total": edges.column("total"), "count": edges.column("count")})
        g = t.group_by("k", use_threads=False).aggregate([("total", "sum"), ("count", "sum")]).to_pandas()
        sums.append(g.set_index("k"))
    inn, out = sums
    keys = out.index.union(inn.index)
    table = pd.DataFrame(index=pd.Index(keys, dtype=object, name="account"))
    table["total_in"] = inn["total_sum"].reindex(keys).fillna(0.0).to_numpy(dtype="float64")
    table["total_out"] = out["total_sum"].reindex(keys).fillna(0.0).to_numpy(dtype="float64")
    counts = inn["count_sum"].reindex(keys).fillna(0) + out["count_sum"].reindex(keys).fillna(0)
    table["n_tx"] = counts.astype("int64").to_numpy()
    s, r = _pa(tx["sender"]), _pa(tx["receiver"])
    both = pa.chunked_array(_chunks(s) + _chunks(r), pa.string())
    names = _arrow_mode(both, _pa_pair(tx, "sender_name", "receiver_name"))
    countries = _arrow_mode(both, _pa_pair(tx, "sender_country", "receiver_country"))
    flat = []
    for side in ("sender", "receiver"):
        lists = edges.column("currencies").combine_chunks() if edges.num_rows else pa.array([], pa.list_(pa.string()))
        parent = pc.list_parent_indices(lists)
        flat.append(pa.table({"k": edges.column(side).combine_chunks().take(parent), "c": pc.list_flatten(lists)}))
    cur = pa.concat_tables(flat).group_by("k", use_threads=False).aggregate([("c", "distinct")]).to_pandas()
    currencies = cur.set_index("k")["c_distinct"].map(lambda v: sorted(x for x in v if x is not None))
    table["name"] = names.reindex(keys).to_numpy()
    table["country"] = countries.reindex(keys).to_numpy()
    table["kind"] = [node_kind(k, n if isinstance(n, str) else None) for k, n in zip(keys, table["name"], strict=True)]
    table["currencies"] = currencies.reindex(keys).to_numpy()
    return table[["name", "kind", "country", "total_in", "total_out", "n_tx", "currencies"]].sort_index()


def transaction_graph(tx: pd.DataFrame, *, completed_only: bool = True) -> nx.MultiDiGraph:
    """One edge per transaction, keyed by ``tx_id``, every column an edge attribute.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    completed_only : bool, default True
        Leave out failed, reversed and pending rows.

    Returns
    -------
    networkx.MultiDiGraph
        Edges ``(sender, receiver, tx_id)``; missing values are ``None``,
        ``amount_exact`` a :class:`decimal.Decimal`. Node attributes as in
        :func:`flow_graph`.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("a", "b", 100, "2024-03-01"), ("a", "b", 50, "2024-03-05")])
    >>> G = transaction_graph(tx)
    >>> sorted(G.edges(keys=True))
    [('a', 'b', 't1'), ('a', 'b', 't2')]
    >>> G.edges["a", "b", "t2"]["amount"], str(G.edges["a", "b", "t2"]["timestamp"])
    (50.0, '2024-03-05 00:00:00+00:00')
    """
    tx = _moving(check_transactions(tx), completed_only)
    G = nx.MultiDiGraph()
    G.graph["view"] = "transactions"
    _add_nodes(G, node_table(tx, completed_only=False))
    if tx.empty:
        return G
    columns = [str(c) for c in tx.columns]
    values = [_pylist(tx[c]) for c in tx.columns]
    rows = zip(*values, strict=True)
    i_s, i_r, i_id = columns.index("sender"), columns.index("receiver"), columns.index("tx_id")
    G.add_edges_from((row[i_s], row[i_r], row[i_id], dict(zip(columns, row, strict=True))) for row in rows)
    return G
