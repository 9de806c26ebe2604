"""Flows read straight from the transactions: country corridors and cash points."""

from __future__ import annotations

import numpy as np
import pandas as pd

from finintel.graph.build import _moving, check_transactions

__all__ = ["cash_points", "corridors"]


def corridors(tx: pd.DataFrame) -> pd.DataFrame:
    """Money moved from country to country, per currency.

    Returns
    -------
    pandas.DataFrame
        ``sender_country``, ``receiver_country`` (``None`` when the source does
        not say), ``currency``, ``n_tx``, ``total``, ``n_senders``,
        ``n_receivers``, ``first``, ``last``, ``cross_border``; largest total first.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([
    ...     {"sender": "a", "receiver": "b", "amount": 100, "timestamp": "2024-03-01", "sender_country": "KE", "receiver_country": "UG"},
    ...     {"sender": "c", "receiver": "b", "amount": 50, "timestamp": "2024-03-02", "sender_country": "KE", "receiver_country": "UG"},
    ... ])
    >>> corridors(tx)[["sender_country", "receiver_country", "n_tx", "total", "n_senders", "cross_border"]]
      sender_country receiver_country  n_tx  total  n_senders  cross_border
    0             KE               UG     2  150.0          2          True
    """
    tx = _moving(check_transactions(tx), True)
    df = pd.DataFrame(
        {
            "sender_country": tx["sender_country"].astype(object).where(tx["sender_country"].notna(), None),
            "receiver_country": tx["receiver_country"].astype(object).where(tx["receiver_country"].notna(), None),
            "currency": tx["currency"].astype(object),
            "amount": tx["amount"].to_numpy(),
            "sender": tx["sender"].astype(object),
            "receiver": tx["receiver"].astype(object),
            "timestamp": tx["timestamp"],
        }
    )
    keys = ["sender_country", "receiver_country", "currency"]
    out = (
        df.groupby(keys, dropna=False, sort=False)
        .agg(
            n_tx=("amount", "size"),
            total=("amount", "sum"),
            n_senders=("sender", "nunique"),
            n_receivers=("receiver", "nunique"),
            first=("timestamp", "min"),
            last=("timestamp", "max"),
        )
        .reset_index()
    )
    out["cross_border"] = (
        (out["sender_country"] != out["receiver_country"])
        & out["sender_country"].notna()
        & out["receiver_country"].notna()
    )
    out = out.astype({"n_tx": "int64", "n_senders": "int64", "n_receivers": "int64"})
    out[["sender_country", "receiver_country"]] = (
        out[["sender_country", "receiver_country"]]
        .astype(object)
        .where(out[["sender_country", "receiver_country"]].notna(), None)
    )
    return out.sort_values(
        ["total"] + keys, ascending=[False, True, True, True], kind="mergesort", na_position="last"
    ).reset_index(drop=True)


def cash_points(tx: pd.DataFrame) -> pd.DataFrame:
    """Cash agents, tills and branches (``cash:`` keys) with the cash paid in and out through them.

    ``cash_in`` is cash a customer deposited (the agent sends e-money to the
    customer's account); ``cash_out`` is cash a customer withdrew.

    Returns
    -------
    pandas.DataFrame
        ``agent``, ``currency``, ``cash_in``, ``n_cash_in``, ``cash_out``,
        ``n_cash_out``, ``n_customers``, ``first``, ``last``; busiest first.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("cash:Agent 7", "m1", 500, "2024-03-01"), ("m1", "cash:Agent 7", 450, "2024-03-02"),
    ...                    ("m2", "cash:Agent 7", 100, "2024-03-02")])
    >>> cash_points(tx)[["agent", "cash_in", "cash_out", "n_customers"]]
              agent  cash_in  cash_out  n_customers
    0  cash:Agent 7    500.0     550.0            2
    """
    tx = _moving(check_transactions(tx), True)
    s, r = tx["sender"].astype(object), tx["receiver"].astype(object)
    ins = tx[s.str.startswith("cash:").to_numpy()]
    outs = tx[r.str.startswith("cash:").to_numpy()]
    df = pd.concat(
        [
            pd.DataFrame({"agent": ins["sender"].astype(object), "customer": ins["receiver"].astype(object), "dir": "in",
                          "amount": ins["amount"], "currency": ins["currency"].astype(object), "timestamp": ins["timestamp"]}),
            pd.DataFrame({"agent": outs["receiver"].astype(object), "customer": outs["sender"].astype(object), "dir": "out",
                          "amount": outs["amount"], "currency": outs["currency"].astype(object), "timestamp": outs["timestamp"]}),
        ],
        ignore_index=True,
    )  # fmt: skip
    cols = ["agent", "currency", "cash_in", "n_cash_in", "cash_out", "n_cash_out", "n_customers", "first", "last"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["in_amt"] = np.where(df["dir"] == "in", df["amount"], 0.0)
    df["out_amt"] = np.where(df["dir"] == "out", df["amount"], 0.0)
    out = (
        df.groupby(["agent", "currency"], sort=True)
        .agg(
            cash_in=("in_amt", "sum"),
            n_cash_in=("dir", lambda d: int((d == "in").sum())),
            cash_out=("out_amt", "sum"),
            n_cash_out=("dir", lambda d: int((d == "out").sum())),
            n_customers=("customer", "nunique"),
            first=("timestamp", "min"),
            last=("timestamp", "max"),
        )
        .reset_index()
    )
    out = out.astype({"n_cash_in": "int64", "n_cash_out": "int64", "n_customers": "int64"})
    busy = out["cash_in"] + out["cash_out"]
    return (
        out.assign(_b=busy)
        .sort_values(["_b", "agent"], ascending=[False, True], kind="mergesort")
        .drop(columns="_b")
        .reset_index(drop=True)[cols]
    )
