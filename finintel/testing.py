"""Builders and assertions for tests and doctests (public: plug-in authors use them too)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from finintel.schema import frames as F

__all__ = ["assert_alerts_equal", "transactions"]


def transactions(
    rows: Iterable[tuple[Any, ...] | dict[str, Any]], *, currency: str = "KES", channel: str = "bank"
) -> pd.DataFrame:
    """A canonical transactions frame from literal rows.

    Each row is ``(sender, receiver, amount, timestamp)`` (optionally more columns as a dict);
    tx_ids are ``t1, t2, ...`` in row order; naive timestamps are UTC.

    Examples
    --------
    >>> tx = transactions([("a", "b", 100, "2024-03-01 10:00"), ("b", "c", 90, "2024-03-01 12:00")])
    >>> tx[["tx_id", "sender", "receiver", "amount"]]
      tx_id sender receiver  amount
    0    t1      a        b   100.0
    1    t2      b        c    90.0
    """
    records = []
    for i, row in enumerate(rows, start=1):
        if isinstance(row, dict):
            rec = {"tx_id": f"t{i}", "currency": currency, "channel": channel, **row}
        else:
            sender, receiver, amount, ts, *rest = row
            rec = {
                "tx_id": f"t{i}",
                "sender": sender,
                "receiver": receiver,
                "amount": float(amount),
                "timestamp": ts,
                "currency": currency,
                "channel": channel,
            }
            if rest:
                rec.update(rest[0])
        records.append(rec)
    if not records:
        return F.empty(F.TRANSACTIONS)
    return F.validate_transactions(pd.DataFrame(records))


def assert_alerts_equal(left: pd.DataFrame, right: pd.DataFrame, *, check_scores: bool = True) -> None:
    """Assert two alerts frames hold the same alerts (order-insensitive, by alert_id)."""
    cols = list(F.ALERT_COLUMNS) if check_scores else [c for c in F.ALERT_COLUMNS if c != "score"]
    a = left[cols].sort_values("alert_id").reset_index(drop=True)
    b = right[cols].sort_values("alert_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
