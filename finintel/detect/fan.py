"""Fan-in and fan-out: many new counterparties within a short window (and a slow version over weeks)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.special import pdtrc

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
    slow_min_counterparties: int = 10,
    ratio: float = 3.0,
    slow_ratio: float = 10.0,
    significance: float = 1e-6,
    min_usual: float = 0.5,
    min_history: str = "35D",
    exclude_namespaces: Sequence[str] = ("cash", "paybill", "fee"),
) -> pd.DataFrame:
    """Flag accounts suddenly paid by many new, one-off senders: a collection or funnel account.

    A *new sender* is one that had not paid the account in the previous `lookback` (or ever, in the
    ledger) and whose payments to it begin and end inside the window: a sender who keeps paying it
    afterwards is a regular relationship (a customer, a family member), not a stranger. An alert is raised
    when one receiver has at least `min_counterparties` new senders within `window` (fast burst), or at
    least `slow_min_counterparties` within `slow_window` (slow fan-in; skipped where a fast burst already
    covers it), and that number is a burst against the account's own history:

    - at least `ratio` (fast) or `slow_ratio` (slow) times the account's *usual* number of incoming
      transfers per window (all of them, from anyone, over the rest of the ledger), and
    - unlikely under that usual rate: the Poisson probability of so many, with the usual rate taken as at
      least `min_usual`, is at most `significance`.

    So a merchant, agent or biller that is paid by strangers every day never fires, nor does an employee
    paid by the same employer every month; a new or quiet account that many strangers pay at once does.

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
    slow_min_counterparties : int, default 10
        Fewest new senders in `slow_window`.
    ratio : float, default 3.0
        How many times the account's usual number of incoming transfers per `window` the fast burst must be.
    slow_ratio : float, default 10.0
        The same for the slow variant: over weeks an account's activity drifts more than a Poisson count
        would, so a slow fan-in must stand out by an order of magnitude.
    significance : float, default 1e-6
        Largest Poisson tail probability ``P(X >= n | usual)`` that still counts as a burst. Small, because
        every window of every account in a ledger is tested.
    min_usual : float, default 0.5
        Usual transfers per window assumed for an account with less history (a new account).
    min_history : str, default "35D"
        In the ledger's first `min_history`, a first contact with a counterparty met again later is taken
        as an existing relationship: with no history before the export starts, a monthly payroll or
        rent run there would otherwise look like a burst of new counterparties.
    exclude_namespaces : sequence of str, default ("cash", "paybill", "fee")
        Account-key namespaces that serve the public (cash agents and branches, tills, pay-bills) or are no
        counterparty at all (an account's own charges, `fee:`): never
        alerted, and never counted as counterparties (cash paid in at ten agents is not ten senders).

    Returns
    -------
    pandas.DataFrame
        Alerts then ``variant, n_counterparties, total, usual, p_value``; evidence is the transfers of the
        new senders; ``usual`` is the account's usual number of incoming transfers per window and
        ``p_value`` the Poisson tail probability of the burst.
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
    8 senders with no transfer to this account in the previous 90 days paid it within 7 hours (total KES 4,028.00), at least 8 within 3 days; it usually receives 0.0 transfers per 3 days.
    """
    return _fan(
        tx,
        "fan_in",
        "receiver",
        "sender",
        _Rules(
            window,
            min_counterparties,
            lookback,
            slow_window,
            slow_min_counterparties,
            ratio,
            slow_ratio,
            significance,
            min_usual,
            min_history,
            tuple(exclude_namespaces),
        ),
    )


@register("fan_out", partition="sender")
def fan_out(
    tx: pd.DataFrame,
    *,
    window: str = "3D",
    min_counterparties: int = 8,
    lookback: str = "90D",
    slow_window: str = "30D",
    slow_min_counterparties: int = 10,
    ratio: float = 3.0,
    slow_ratio: float = 10.0,
    significance: float = 1e-6,
    min_usual: float = 0.5,
    min_history: str = "35D",
    exclude_namespaces: Sequence[str] = ("cash", "paybill", "fee"),
) -> pd.DataFrame:
    """Flag accounts suddenly paying many new, one-off receivers: a distributor or disbursement account.

    The mirror of :func:`fan_in`: new receivers are ones the sender had not paid in the previous
    `lookback` and stops paying after the window; the burst is judged against the account's usual number
    of outgoing transfers. A payroll paying the same staff every month, or a wallet paying bills and
    withdrawing cash, does not fire. Same parameters, score and slow variant.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    window, min_counterparties, lookback, slow_window, slow_min_counterparties : optional
        As for :func:`fan_in`, counting receivers.
    ratio, slow_ratio, significance, min_usual, min_history : optional
        As for :func:`fan_in`, against the account's usual number of outgoing transfers.
    exclude_namespaces : sequence of str
        As for :func:`fan_in`.

    Returns
    -------
    pandas.DataFrame
        Alerts then ``variant, n_counterparties, total, usual, p_value``.

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
        _Rules(
            window,
            min_counterparties,
            lookback,
            slow_window,
            slow_min_counterparties,
            ratio,
            slow_ratio,
            significance,
            min_usual,
            min_history,
            tuple(exclude_namespaces),
        ),
    )


class _Rules(NamedTuple):
    window: str
    min_n: int
    lookback: str
    slow_window: str
    slow_min: int
    ratio: float
    slow_ratio: float
    significance: float
    min_usual: float
    min_history: str
    exclude_namespaces: tuple[str, ...]


def _fan(tx: pd.DataFrame, name: str, side: str, other: str, r: _Rules) -> pd.DataFrame:
    w, sw = seconds(r.window), seconds(r.slow_window, name="slow_window")
    lb = seconds(r.lookback, name="lookback")
    frame = tx[["tx_id", "timestamp", side, other, "amount", "currency"]]
    if r.exclude_namespaces:
        # tills, pay-bills and cash points serve the public: neither alerted nor counted as counterparties
        ns = tuple(f"{n}:" for n in r.exclude_namespaces)
        svc = frame[side].astype("string[pyarrow]").str.startswith(ns).to_numpy(dtype=bool, na_value=False)
        svc |= frame[other].astype("string[pyarrow]").str.startswith(ns).to_numpy(dtype=bool, na_value=False)
        frame = frame[~svc]
    frame = frame.reset_index(drop=True)
    if frame.empty:
        return make_alerts(name, [])
    new, lasts = _first_contacts(frame, side, other, lb, seconds(r.min_history, name="min_history"))
    b = blocks(frame[side], frame["timestamp"], frame["tx_id"])
    new, lasts = new[b.order], lasts[b.order]
    span = int(b.t.max() - b.t.min())
    n_all = (b.stop - b.start)[b.code]
    pos = np.arange(len(b.t))
    rows: list[dict[str, Any]] = []
    fast_spans: dict[str, list[tuple[int, int]]] = {}
    for variant, win, need, times in (("fast", w, r.min_n, r.ratio), ("slow", sw, r.slow_min, r.slow_ratio)):
        lo_all = trailing_start(b, win)
        # a new counterparty counts when its dealings with the account begin and end inside the window
        counted = new & (lasts <= win)
        cum = np.concatenate([[0], np.cumsum(counted)])
        count = cum[pos + 1] - cum[lo_all]
        # the account's usual number of transfers per window, outside it: a burst of new counterparties
        # must be unlikely even if every usual transfer had gone to a new one (agents, merchants, payroll)
        usual_all = (n_all - (pos - lo_all + 1)) * win / max(span - win, win)
        p_all = pdtrc(count - 1, np.maximum(usual_all, r.min_usual))
        ok = np.flatnonzero(counted & (count >= need) & (count >= times * usual_all) & (p_all <= r.significance))
        for lo, hi in merge_windows(lo_all, ok):
            entity = str(b.keys[b.code[lo]])
            t0, t1 = int(b.t[lo]), int(b.t[hi - 1])
            if variant == "slow" and any(s <= t1 and t0 <= e for s, e in fast_spans.get(entity, [])):
                continue
            if variant == "fast":
                fast_spans.setdefault(entity, []).append((t0, t1))
            sel = lo + np.flatnonzero(counted[lo:hi])
            ev = frame.iloc[b.order[sel]]
            at = ok[(ok >= lo) & (ok < hi)]
            best = at[np.argmin(p_all[at])]
            usual, p = float(usual_all[best]), float(p_all[best])
            rows.append({**_alert(name, variant, entity, ev, other, need, win, r.lookback, usual), "p_value": p})
    return make_alerts(name, rows)


def _first_contacts(
    frame: pd.DataFrame, side: str, other: str, lookback_s: int, history_s: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: is it a first contact between the pair, and how long (s) the pair keeps dealing from there."""
    cs, _ = sorted_codes(frame[side])
    co, _ = sorted_codes(frame[other])
    pair = cs * (int(co.max()) + 1) + co
    pb = blocks(pair, frame["timestamp"], frame["tx_id"])
    gap = np.diff(pb.t, prepend=0)
    first_in_block = np.zeros(len(pb.t), dtype=bool)
    first_in_block[pb.start] = True
    new_sorted = first_in_block | (gap > lookback_s)
    # at the start of the export, a pair that keeps meeting later was most likely met before it
    warmup = pb.t < pb.t.min() + history_s
    recurs = (pb.stop - pb.start)[pb.code] > 1
    new_sorted &= ~(warmup & recurs)
    episode = np.cumsum(first_in_block | (gap > lookback_s)) - 1
    ep_end = np.zeros(int(episode[-1]) + 1, dtype="int64")
    np.maximum.at(ep_end, episode, pb.t)
    new = np.zeros(len(frame), dtype=bool)
    new[pb.order] = new_sorted
    lasts = np.zeros(len(frame), dtype="int64")
    lasts[pb.order] = ep_end[episode] - pb.t
    return new, lasts


def _alert(
    name: str,
    variant: str,
    entity: str,
    ev: pd.DataFrame,
    other: str,
    need: int,
    win: int,
    lookback: str,
    usual: float,
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
    does = "receives" if name == "fan_in" else "makes"
    reason = (
        f"{n} {who} with no transfer {rel} in the previous {span_text(lookback)} {verb} within "
        f"{duration_text(first, last)} (total {total_s}), at least {need} within {span_text(win)}; "
        f"it usually {does} {usual:,.1f} transfers per {span_text(win)}."
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
        "usual": usual,
    }
