"""Structuring (smurfing): repeated transfers just below the reporting threshold."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from finintel.detect._alerts import make_alerts, money
from finintel.detect._registry import register
from finintel.detect._windows import blocks, duration_text, episodes, local_amounts, seconds

__all__ = ["structuring"]


@register("structuring", partition="account")
def structuring(
    tx: pd.DataFrame,
    *,
    reporting_threshold: float = 10_000.0,
    margin: float = 0.1,
    window: str = "7D",
    min_count: int = 3,
    min_depositors: int = 3,
    currency: str | None = "USD",
    fx_to_local: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Flag accounts that split money into repeated transfers just below the reporting threshold.

    A transfer is *near* when its amount, in the profile currency, lies in
    ``[reporting_threshold * (1 - margin), reporting_threshold)``. Two variants:

    - ``sender``: one account sends at least `min_count` near transfers within any `window`;
    - ``receiver`` ("many depositors into one account"): one account receives at least `min_count`
      near transfers within `window` from at least `min_depositors` different senders.

    Overlapping qualifying windows of one account merge into one alert (one burst, one alert).

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema (only completed rows count).
    reporting_threshold : float, default 10_000
        Threshold in the profile `currency` (the KE/UG/ET/DJ profiles fill it).
    margin : float, default 0.1
        How far below the threshold still counts as near, as a fraction of it.
    window : str, default "7D"
        Trailing window, as a pandas duration.
    min_count : int, default 3
        Fewest near transfers in one window that raise an alert.
    min_depositors : int, default 3
        Fewest distinct senders for the receiver variant.
    currency : str, optional
        The profile currency; None compares every amount as it is.
    fx_to_local : mapping, optional
        Rates to the profile currency (``{"USD": 129.0}``). Rows in another currency with no
        rate are left out, never compared to a threshold set in a different currency.

    Returns
    -------
    pandas.DataFrame
        Alerts (``ALERT_COLUMNS``) then ``variant, n_tx, n_counterparties, total, min_amount, max_amount``
        (amounts in the profile currency). ``score`` is
        ``min(1, 0.5 + 0.1 * (n_tx - min_count) + 0.3 * closeness)``, closeness being the mean position of the
        amounts inside the near band (0 at its floor, 1 at the threshold).

    Raises
    ------
    InputError
        If `tx` lacks a canonical column.

    References
    ----------
    FATF (2018), *Financial Flows from Human Trafficking*, structuring of cash deposits and transfers,
    https://www.fatf-gafi.org/en/publications/Methodsandtrends/Human-trafficking.html ;
    FinCEN FIN-2020-A008, *Supplemental Advisory on Identifying and Reporting Human Trafficking*,
    https://www.fincen.gov/resources/advisories/fincen-advisory-fin-2020-a008 ;
    AMLSim "smurfing"/fan-in patterns and IBM AMLworld (Altman et al. 2023, https://arxiv.org/abs/2306.16424).

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([
    ...     ("acct-A", "acct-X", 9_500, "2024-03-01"),
    ...     ("acct-A", "acct-Y", 9_800, "2024-03-02"),
    ...     ("acct-A", "acct-Z", 9_900, "2024-03-03"),
    ...     ("acct-B", "acct-X", 12_000, "2024-03-03"),
    ... ], currency="USD")
    >>> alerts = structuring(tx)
    >>> alerts["entity"].tolist(), list(alerts.at[0, "tx_ids"]), alerts.at[0, "variant"]
    (['acct-A'], ['t1', 't2', 't3'], 'sender')
    >>> print(alerts.at[0, "reason"])
    3 transfers of USD 9,500.00 to 9,900.00 (total USD 29,200.00) within 2 days, each under the USD 10,000.00 reporting threshold, to 3 recipients.
    """
    w = seconds(window)
    low = reporting_threshold * (1 - margin)
    amt = local_amounts(tx, currency, fx_to_local)
    near = (amt >= low) & (amt < reporting_threshold)
    sub = tx.loc[near, ["tx_id", "timestamp", "sender", "receiver"]].reset_index(drop=True)
    sub_amt = amt[near]
    rows: list[dict[str, Any]] = []
    for variant, side, other in (("sender", "sender", "receiver"), ("receiver", "receiver", "sender")):
        b = blocks(sub[side], sub["timestamp"], sub["tx_id"])
        for lo, hi in episodes(b, w, min_count):
            idx = b.order[lo:hi]
            n_cp = sub[other].iloc[idx].nunique()
            if variant == "receiver" and n_cp < min_depositors:
                continue
            values = sub_amt[idx]
            rows.append(
                _alert(
                    variant,
                    b.keys[b.code[lo]],
                    sub.iloc[idx],
                    values,
                    n_cp,
                    reporting_threshold,
                    low,
                    min_count,
                    currency,
                )
            )
    return make_alerts("structuring", rows)


def _alert(
    variant: str,
    entity: str,
    ev: pd.DataFrame,
    values: np.ndarray,
    n_cp: int,
    threshold: float,
    low: float,
    min_count: int,
    currency: str | None,
) -> dict[str, Any]:
    n = len(ev)
    closeness = float(np.mean((values - low) / (threshold - low))) if threshold > low else 1.0
    first, last = ev["timestamp"].min(), ev["timestamp"].max()
    lo_s, hi_s = money(float(values.min()), currency), money(float(values.max()))
    total = float(values.sum())
    head = f"{n} transfers of {lo_s} to {hi_s} (total {money(total, currency)}) within {duration_text(first, last)}"
    rule = f"each under the {money(threshold, currency)} reporting threshold"
    if variant == "sender":
        reason = f"{head}, {rule}, to {n_cp} recipient{'s' if n_cp != 1 else ''}."
    else:
        reason = f"{head} from {n_cp} different senders into this one account, {rule}."
    return {
        "entity": entity,
        "score": min(1.0, 0.5 + 0.1 * (n - min_count) + 0.3 * closeness),
        "start": first,
        "end": last,
        "tx_ids": ev["tx_id"].astype(str).tolist(),
        "reason": reason,
        "variant": variant,
        "n_tx": n,
        "n_counterparties": n_cp,
        "total": total,
        "min_amount": float(values.min()),
        "max_amount": float(values.max()),
    }
