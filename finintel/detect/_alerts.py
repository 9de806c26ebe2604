"""Building alerts frames: deterministic ids, the canonical columns first, metrics after."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from finintel.schema import frames as F

__all__ = ["alert_id", "make_alerts", "money"]


def alert_id(detector: str, entity: str, tx_ids: Sequence[str]) -> str:
    """A stable id: the same detector, entity and evidence always give the same id.

    >>> alert_id("structuring", "acct-A", ["t2", "t1"]) == alert_id("structuring", "acct-A", ["t1", "t2"])
    True
    """
    digest = hashlib.sha1("\x1f".join([detector, str(entity), *sorted(map(str, tx_ids))]).encode()).hexdigest()[:16]
    return f"{detector}:{digest}"


def make_alerts(detector: str, rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """An alerts frame from dicts with ``entity, score, start, end, tx_ids, reason`` and any metrics.

    Rows are sorted by entity, start and id so that output never depends on input order.
    """
    records = []
    for r in rows:
        tx_ids = sorted(dict.fromkeys(str(t) for t in r["tx_ids"]))
        rec = {"alert_id": alert_id(detector, r["entity"], tx_ids), "detector": detector, **r, "tx_ids": tx_ids}
        records.append(rec)
    if not records:
        return F.empty(F.ALERTS)
    df = pd.DataFrame(records)
    df = df.drop_duplicates("alert_id")
    metrics = [c for c in df.columns if c not in F.ALERT_COLUMNS]
    df = df[list(F.ALERT_COLUMNS) + metrics]
    df = F.coerce(df, F.ALERTS)
    return df.sort_values(["entity", "start", "alert_id"], kind="stable").reset_index(drop=True)


def money(value: float, currency: str | None = None) -> str:
    """Amounts as an analyst writes them: ``KES 9,500.00``.

    >>> money(9500, "KES"), money(0.5)
    ('KES 9,500.00', '0.50')
    """
    text = f"{value:,.2f}"
    return f"{currency} {text}" if currency else text
