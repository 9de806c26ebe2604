"""Dormant or new accounts that suddenly move large value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from finintel.detect._alerts import make_alerts, money
from finintel.detect._registry import register
from finintel.detect._windows import (
    Blocks,
    blocks,
    leading_end,
    local_amounts,
    range_sum,
    seconds,
    sorted_codes,
    span_text,
    time_seconds,
)

__all__ = ["dormant_burst"]


@register("dormant_burst", partition="account")
def dormant_burst(
    tx: pd.DataFrame,
    *,
    dormant: str = "45D",
    burst_window: str = "7D",
    reporting_threshold: float = 10_000.0,
    min_value_share: float = 0.25,
    ratio: float = 10.0,
    currency: str | None = "USD",
    fx_to_local: Mapping[str, float] | None = None,
    min_counterparties: int = 8,
    min_pass_through: float = 0.8,
    first_seen_as_new: bool = False,
    accounts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Flag accounts that wake up after a long silence, or are new, and at once pass large value through many hands.

    For every account (either side of a transfer) the gap since its previous transfer is measured. A
    *wake-up* is a transfer after at least `dormant` of silence. A *new* account is one whose first
    transfer comes within `dormant` of its KYC opening date (`accounts`, column ``opened``). An account
    without an opening date that is first seen late in the ledger is not known to be new: statements in a
    case file show a counterparty from its first dealing with the subjects, not from its opening (with
    `first_seen_as_new`, one first seen at least `dormant` after the ledger starts is taken as new, for
    complete exports of a provider).

    What the account moves in and out during `burst_window` from there is a burst when

    - it adds up to at least ``min_value_share * reporting_threshold`` (profile currency),
    - for a wake-up, it is at least `ratio` times the account's average value per `burst_window` before, and
    - it looks like the account is being used as a conduit: it deals with at least `min_counterparties`
      distinct counterparties, or money goes both in and out in near-equal amounts (the smaller side at
      least `min_pass_through` of the larger: received and sent on).

    A salary, pension or one large purchase after a quiet spell moves money one way, with one or two
    counterparties, and does not fire.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    dormant : str, default "45D"
        Silence that makes an account dormant (six weeks: most wallets and current accounts of private
        persons move money at least monthly).
    burst_window : str, default "7D"
        How long after the wake-up the value is added up.
    reporting_threshold : float, default 10_000
        Profile threshold; the burst must reach ``min_value_share`` of it.
    min_value_share : float, default 0.25
        Fraction of the threshold a burst must reach (KE: KES 250,000; the `ratio` to the account's own
        history keeps busy accounts out).
    ratio : float, default 10.0
        How many times the account's own earlier average the burst must be.
    currency : str, optional
        Profile currency; other currencies converted with `fx_to_local` or left out of sums.
    fx_to_local : mapping, optional
        Rates to the profile currency.
    min_counterparties : int, default 8
        Fewest distinct counterparties in the burst that make it a burst without pass-through.
    min_pass_through : float, default 0.8
        How balanced money in and money out of the burst must be, as the smaller over the larger, for a burst
        with fewer counterparties.
    first_seen_as_new : bool, default False
        Without a KYC opening date, take an account first seen at least `dormant` after the ledger starts
        as new (right for a provider's complete export, wrong for a case file of statements).
    accounts : pandas.DataFrame, optional
        The canonical accounts frame (KYC); its ``opened`` dates decide which accounts are new.

    Returns
    -------
    pandas.DataFrame
        Alerts then ``variant`` (``new`` or ``dormant``), ``silent_days``, ``burst_value``, ``baseline``
        (average per window before, 0 for new accounts), ``n_tx``, ``n_counterparties``, ``received`` and
        ``sent`` (within the burst). ``score`` is ``min(1, 0.55 + 0.25 * log10(burst_value / floor))`` with
        ``floor`` the minimum value, plus 0.1 for a wake-up at least ten times above `ratio`.

    References
    ----------
    FATF (2018), *Financial Flows from Human Trafficking* (dormant accounts suddenly active, accounts opened
    to receive proceeds), https://www.fatf-gafi.org/en/publications/Methodsandtrends/Human-trafficking.html ;
    FinCEN FIN-2023-Alert005 (pig butchering: newly opened accounts receiving large sums),
    https://www.fincen.gov/sites/default/files/shared/FinCEN_Alert_Pig_Butchering_FINAL_508c.pdf ;
    FATF (2020), *Virtual Assets Red Flag Indicators* (dormant wallets suddenly active),
    https://www.fatf-gafi.org/en/publications/Fatfrecommendations/Virtual-assets-red-flag-indicators.html .

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([
    ...     ("acct-A", "shop", 50, "2024-01-02"), ("acct-A", "shop", 60, "2024-01-20"),
    ...     ("x", "acct-A", 9_000, "2024-06-01"), ("acct-A", "y", 8_900, "2024-06-02"),
    ... ], currency="USD")
    >>> alerts = dormant_burst(tx, min_value_share=1.0)  # at least the full USD 10,000 threshold
    >>> alerts[["entity", "variant", "silent_days", "burst_value"]]
       entity  variant  silent_days  burst_value
    0  acct-A  dormant          133      17900.0
    >>> print(alerts.at[0, "reason"])
    After 133 days without a transfer, this account moved USD 17,900.00 within 7 days (USD 9,000.00 in, USD 8,900.00 out) in 2 transfers with 2 counterparties, 488 times its earlier average of USD 36.67 per 7 days.
    """
    d_s, w_s = seconds(dormant, name="dormant"), seconds(burst_window, name="burst_window")
    floor = reporting_threshold * min_value_share
    n = len(tx)
    if n == 0:
        return make_alerts("dormant_burst", [])
    amt = local_amounts(tx, currency, fx_to_local)
    accts = pd.concat([tx["sender"], tx["receiver"]], ignore_index=True)
    ts = pd.concat([tx["timestamp"], tx["timestamp"]], ignore_index=True)
    tie, _ = sorted_codes(tx["tx_id"])
    # ties broken by tx id then side, so that a self-transfer's two legs sort the same way every time
    b = blocks(accts, ts, np.concatenate([2 * tie, 2 * tie + 1]))
    value = np.nan_to_num(np.concatenate([amt, amt])[b.order])
    incoming = b.order >= n  # the receiver's leg of a transfer
    t0 = int(b.t.min())
    gap = np.diff(b.t, prepend=t0)
    is_first = np.zeros(len(b.t), dtype=bool)
    is_first[b.start] = True
    wake = ~is_first & (gap >= d_s)
    is_new, opened_s = _is_new(b, t0, d_s, accounts, first_seen_as_new)
    new = is_first & is_new
    cand = np.flatnonzero(wake | new)
    end = leading_end(b, w_s)[cand]
    burst = range_sum(value, cand, end)
    block_start = b.start[b.code[cand]]
    hist = range_sum(value, block_start, cand)
    hist_span = np.where(new[cand], 0, b.t[np.maximum(cand - 1, 0)] - b.t[block_start])
    baseline = hist / np.maximum(1.0, np.ceil((hist_span + 1) / w_s))
    keep = (burst >= floor) & (new[cand] | (burst >= ratio * baseline))
    other = np.concatenate([tx["receiver"].to_numpy(dtype=object), tx["sender"].to_numpy(dtype=object)])
    rows: list[dict[str, Any]] = []
    for i, e, bv, base in zip(cand[keep], end[keep], burst[keep], baseline[keep], strict=True):
        legs = b.order[i:e]
        n_cp = len(set(other[legs].tolist()))
        got = float(value[i:e][incoming[i:e]].sum())
        sent = float(bv) - got
        through = min(got, sent) > 0 and min(got, sent) >= min_pass_through * max(got, sent)
        if n_cp < min_counterparties and not through:
            continue
        opened = pd.Timestamp(int(opened_s[i]), unit="s", tz="UTC") if opened_s[i] >= 0 else None
        facts = Burst(bool(new[i]), int(gap[i]), float(bv), float(base), n_cp, got, sent, through, opened)
        rows.append(
            _alert(str(b.keys[b.code[i]]), tx.iloc[np.unique(legs % n)], facts, floor, ratio, burst_window, currency)
        )
    return make_alerts("dormant_burst", rows)


def _is_new(
    b: Blocks, t0: int, dormant_s: int, accounts: pd.DataFrame | None, first_seen: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Per sorted leg: is the account new then, and its KYC opening time (seconds; -1 when unknown)."""
    seen_late = (b.t - t0 >= dormant_s) & first_seen
    opened_s = np.full(len(b.t), -1, dtype="int64")
    if accounts is None or "opened" not in accounts.columns or accounts.empty:
        return np.asarray(seen_late), opened_s
    opened = pd.Series(
        pd.to_datetime(accounts["opened"], utc=True, errors="coerce").to_numpy(), index=accounts["account"]
    )
    opened = opened[opened.notna() & ~opened.index.duplicated()]
    at = pd.Series(b.keys).map(opened)
    known_key = at.notna().to_numpy()
    secs = np.full(len(b.keys), -1, dtype="int64")
    secs[known_key] = time_seconds(pd.Series(pd.DatetimeIndex(at[known_key]).as_unit("us")))
    opened_s = secs[b.code]
    known = known_key[b.code]
    # with a KYC opening date, an account is new when its first transfer comes within `dormant` of it
    return np.where(known, b.t - opened_s < dormant_s, seen_late), np.where(known, opened_s, -1)


@dataclass(frozen=True)
class Burst:
    """What one burst did: the facts its alert reports."""

    is_new: bool
    gap_s: int
    value: float
    baseline: float
    counterparties: int
    received: float
    sent: float
    pass_through: bool
    opened: pd.Timestamp | None


def _alert(
    entity: str,
    ev: pd.DataFrame,
    f: Burst,
    floor: float,
    ratio: float,
    window: str,
    currency: str | None,
) -> dict[str, Any]:
    silent_days = 0 if f.is_new else f.gap_s // 86_400
    cps = f"{f.counterparties} counterpart{'ies' if f.counterparties != 1 else 'y'}"
    moved = (
        f"moved {money(f.value, currency)} within {span_text(window)} ({money(f.received, currency)} in, "
        f"{money(f.sent, currency)} out) in {len(ev)} transfer{'s' if len(ev) != 1 else ''} with {cps}"
    )
    score = 0.55 + 0.25 * float(np.log10(max(f.value, floor) / floor)) if floor > 0 else 1.0
    if f.is_new:
        kyc = f"opened on {f.opened:%Y-%m-%d}, " if f.opened is not None else ""
        reason = f"A new account ({kyc}first transfer on {ev['timestamp'].min():%Y-%m-%d}) {moved}."
    else:
        times = f.value / f.baseline if f.baseline > 0 else float("inf")
        if times >= 10 * ratio:
            score += 0.1
        vs = (
            f", {times:,.0f} times its earlier average of {money(f.baseline, currency)} per {span_text(window)}"
            if f.baseline > 0
            else ", with no value moved before"
        )
        reason = f"After {silent_days} days without a transfer, this account {moved}{vs}."
    return {
        "entity": entity,
        "score": min(1.0, score),
        "start": ev["timestamp"].min(),
        "end": ev["timestamp"].max(),
        "tx_ids": ev["tx_id"].astype(str).tolist(),
        "reason": reason,
        "variant": "new" if f.is_new else "dormant",
        "silent_days": silent_days,
        "burst_value": f.value,
        "baseline": f.baseline,
        "n_tx": len(ev),
        "n_counterparties": f.counterparties,
        "received": f.received,
        "sent": f.sent,
    }
