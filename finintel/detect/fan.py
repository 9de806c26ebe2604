"""Fan-in and fan-out: many new counterparties within a short window (and a slow version over weeks)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from finintel.detect._alerts import make_alerts, money
from finintel.detect._registry import register
from finintel.detect._windows import (
    blocks,
    duration_text,
    merge_windows,
    seconds,
    sorted_codes,
    span_text,
    trailing_start,
)

__all__ = ["fan_in", "fan_out"]


@register("fan_in", partition="receiver")
def fan_in(
    tx: pd.DataFrame,
    *,
    window: str = "3D",
    min_counterparties: int = 8,
    lookback: str = "90D",
    slow_window: str = "30D",
    slow_min_counterparties: int = 12,
    ratio: float = 3.0,
    min_history: str = "35D",
    exclude_namespaces: Sequence[str] = ("cash", "paybill"),
) -> pd.DataFrame:
    """Flag accounts receiving from many senders they had no prior relationship with, within a short window.

    A *first contact* is a transfer from a sender the receiver has not received from in the previous
    `lookback` (or ever, in the ledger). An alert is raised when one receiver has at least
    `min_counterparties` first contacts within `window` (fast burst), or at least `slow_min_counterparties`
    within `slow_window` (slow, structural fan-in; skipped where a fast burst already covers it).

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    window : str, default "3D"
        Window of the fast variant.
    min_counterparties : int, default 8
        Fewest new senders in `window`.
    lookback : str, default "90D"
        How far back a previous transfer between the same pair makes it an existing relationship.
    slow_window : str, default "30D"
        Window of the slow variant.
    slow_min_counterparties : int, default 12
        Fewest new senders in `slow_window`.
    ratio : float, default 3.0
        How many times the account's usual rate of new counterparties (first contacts per window, over the
        rest of the ledger) the burst must be: agents, merchants and billers meet new customers every day.
    min_history : str, default "35D"
        In the ledger's first `min_history`, a first contact with a counterparty met again later is taken
        as an existing relationship: with no history before the export starts, a monthly payroll or
        rent run there would otherwise look like a burst of new counterparties.
    exclude_namespaces : sequence of str, default ("cash", "paybill")
        Account-key namespaces never alerted: cash agents, tills and pay-bills serve the public.

    Notes
    -----
    A window must hold at least `ratio` times the account's usual number of first contacts *and* four
    Poisson standard deviations above it (``usual + 4 * sqrt(usual)``), so that random busy days of
    accounts with many customers do not fire.

    Returns
    -------
    pandas.DataFrame
        Alerts then ``variant, n_counterparties, total, usual``; evidence is the first-contact transfers;
        ``usual`` is the account's usual number of first contacts per window.
        ``score``: fast ``min(1, 0.6 + 0.4 * (n / min_counterparties - 1))``, slow the same formula on its
        own minimum, times 0.6 (at most 0.6).

    Notes
    -----
    At the start of a ledger every pair is new: an export that starts on a given day shows no history
    before it. Read alerts within `lookback` of the first transaction with that in mind.

    References
    ----------
    AMLSim fan-in/fan-out typologies (https://github.com/IBM/AMLSim) and IBM AMLworld pattern definitions,
    Altman et al. (2023), "Realistic Synthetic Financial Transactions for Anti-Money Laundering Models",
    https://arxiv.org/abs/2306.16424 ; FATF (2018), *Financial Flows from Human Trafficking* (collection accounts
    receiving from many victims, funnel accounts),
    https://www.fatf-gafi.org/en/publications/Methodsandtrends/Human-trafficking.html ;
    FinCEN FIN-2020-A008, https://www.fincen.gov/resources/advisories/fincen-advisory-fin-2020-a008 .

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([(f"victim{i}", "collector", 500 + i, f"2024-03-01 {8 + i}:00") for i in range(8)])
    >>> alerts = fan_in(tx)
    >>> alerts["entity"].tolist(), alerts["n_counterparties"].tolist()
    (['collector'], [8])
    >>> print(alerts.at[0, "reason"])
    8 senders with no transfer to this account in the previous 90 days paid it within 7 hours (total KES 4,028.00), at least 8 within 3 days.
    """
    return _fan(
        tx,
        "fan_in",
        "receiver",
        "sender",
        window,
        min_counterparties,
        lookback,
        slow_window,
        slow_min_counterparties,
        ratio,
        min_history,
        exclude_namespaces,
    )


@register("fan_out", partition="sender")
def fan_out(
    tx: pd.DataFrame,
    *,
    window: str = "3D",
    min_counterparties: int = 8,
    lookback: str = "90D",
    slow_window: str = "30D",
    slow_min_counterparties: int = 12,
    ratio: float = 3.0,
    min_history: str = "35D",
    exclude_namespaces: Sequence[str] = ("cash", "paybill"),
) -> pd.DataFrame:
    """Flag accounts paying many receivers they had no prior relationship with, within a short window.

    The mirror of :func:`fan_in`: first contacts are transfers to receivers the sender has not paid in the
    previous `lookback`. Same parameters, score and slow variant.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    window, min_counterparties, lookback, slow_window, slow_min_counterparties, ratio, min_history
        As for :func:`fan_in`.
    exclude_namespaces : sequence of str
        As for :func:`fan_in`.

    Returns
    -------
    pandas.DataFrame
        Alerts then ``variant, n_counterparties, total``.

    References
    ----------
    AMLSim fan-in/fan-out typologies (https://github.com/IBM/AMLSim) and IBM AMLworld pattern definitions,
    Altman et al. (2023), "Realistic Synthetic Financial Transactions for Anti-Money Laundering Models",
    https://arxiv.org/abs/2306.16424 ; FATF (2018), *Financial Flows from Human Trafficking* (collection accounts
    receiving from many victims, funnel accounts),
    https://www.fatf-gafi.org/en/publications/Methodsandtrends/Human-trafficking.html ;
    FinCEN FIN-2020-A008, https://www.fincen.gov/resources/advisories/fincen-advisory-fin-2020-a008 .

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("hub", f"mule{i}", 900, f"2024-03-01 {8 + i}:00") for i in range(9)])
    >>> fan_out(tx)[["entity", "variant", "n_counterparties"]]
      entity variant  n_counterparties
    0    hub    fast                 9
    """
    return _fan(
        tx,
        "fan_out",
        "sender",
        "receiver",
        window,
        min_counterparties,
        lookback,
        slow_window,
        slow_min_counterparties,
        ratio,
        min_history,
        exclude_namespaces,
    )


def _fan(
    tx: pd.DataFrame,
    name: str,
    side: str,
    other: str,
    window: str,
    min_n: int,
    lookback: str,
    slow_window: str,
    slow_min: int,
    ratio: float,
    min_history: str,
    exclude_namespaces: Sequence[str],
) -> pd.DataFrame:
    w, lb, sw = seconds(window), seconds(lookback, name="lookback"), seconds(slow_window, name="slow_window")
    frame = tx[["tx_id", "timestamp", side, other, "amount", "currency"]].reset_index(drop=True)
    cs, _ = sorted_codes(frame[side])
    co, _ = sorted_codes(frame[other])
    pair = cs * (int(co.max()) + 1 if len(co) else 1) + co
    pb = blocks(pair, frame["timestamp"], frame["tx_id"])
    gap = np.diff(pb.t, prepend=0)
    first_in_block = np.zeros(len(pb.t), dtype=bool)
    first_in_block[pb.start] = True
    new_sorted = first_in_block | (gap > lb)
    if len(pb.t):
        # at the start of the export, a pair that keeps meeting later was most likely met before it
        warmup = pb.t < pb.t.min() + seconds(min_history, name="min_history")
        recurs = (pb.stop - pb.start)[pb.code] > 1
        new_sorted &= ~(warmup & recurs)
    is_new = np.zeros(len(frame), dtype=bool)
    is_new[pb.order] = new_sorted
    if exclude_namespaces:
        ns = tuple(f"{n}:" for n in exclude_namespaces)
        is_new &= ~frame[side].astype("string[pyarrow]").str.startswith(ns).to_numpy(dtype=bool, na_value=False)
    first = frame[is_new].reset_index(drop=True)
    b = blocks(first[side], first["timestamp"], first["tx_id"])
    span = int(pb.t.max() - pb.t.min()) if len(pb.t) else 0
    rows: list[dict[str, Any]] = []
    fast_spans: dict[str, list[tuple[int, int]]] = {}
    n_all = (b.stop - b.start)[b.code] if len(b.t) else np.zeros(0, dtype="int64")
    for variant, win, need in (("fast", w, min_n), ("slow", sw, slow_min)):
        # each window is judged against the account's own rate of first contacts outside it
        lo_all = trailing_start(b, win)
        count = np.arange(len(b.t)) - lo_all + 1
        usual_all = (n_all - count) * win / max(span - win, win)
        ok = np.flatnonzero(
            (count >= need) & (count >= ratio * usual_all) & (count >= usual_all + 4 * np.sqrt(usual_all))
        )
        for lo, hi in merge_windows(lo_all, ok):
            entity = str(b.keys[b.code[lo]])
            t0, t1 = int(b.t[lo]), int(b.t[hi - 1])
            usual = float(usual_all[ok[(ok >= lo) & (ok < hi)]].max())
            if variant == "slow" and any(s <= t1 and t0 <= e for s, e in fast_spans.get(entity, [])):
                continue
            if variant == "fast":
                fast_spans.setdefault(entity, []).append((t0, t1))
            ev = first.iloc[b.order[lo:hi]]
            rows.append({**_alert(name, variant, entity, ev, other, need, win, lookback), "usual": usual})
    return make_alerts(name, rows)


def _alert(
    name: str, variant: str, entity: str, ev: pd.DataFrame, other: str, need: int, win: int, lookback: str
) -> dict[str, Any]:
    n = int(ev[other].nunique())
    score = min(1.0, 0.6 + 0.4 * (n / need - 1))
    if variant == "slow":
        score *= 0.6
    currencies = ev["currency"].astype(str).unique()
    cur = str(currencies[0]) if len(currencies) == 1 else None
    total = float(ev["amount"].sum())
    total_s = money(total, cur) if len(currencies) == 1 else f"{money(total)} in {len(currencies)} currencies"
    first, last = ev["timestamp"].min(), ev["timestamp"].max()
    who = "senders" if name == "fan_in" else "receivers"
    rel = "to this account" if name == "fan_in" else "from this account"
    verb = "paid it" if name == "fan_in" else "were paid by it"
    reason = (
        f"{n} {who} with no transfer {rel} in the previous {span_text(lookback)} {verb} within "
        f"{duration_text(first, last)} (total {total_s}), at least {need} within {span_text(win)}."
    )
    return {
        "entity": entity,
        "score": score,
        "start": first,
        "end": last,
        "tx_ids": ev["tx_id"].astype(str).tolist(),
        "reason": reason,
        "variant": variant,
        "n_counterparties": n,
        "total": total,
    }
