"""Corridor velocity: flows on high-risk corridors far above the account's own baseline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from finintel.detect._alerts import make_alerts, money
from finintel.detect._registry import register
from finintel.detect._windows import blocks, local_amounts, merge_windows, range_sum, seconds, span_text, trailing_start

__all__ = ["corridor_velocity"]


@register("corridor_velocity", partition="account")
def corridor_velocity(
    tx: pd.DataFrame,
    *,
    high_risk_corridors: Sequence[Sequence[str]] = (),
    both_directions: bool = True,
    window: str = "7D",
    baseline: str = "90D",
    ratio: float = 5.0,
    reporting_threshold: float = 10_000.0,
    min_value_share: float = 0.5,
    currency: str | None = "USD",
    fx_to_local: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Flag accounts whose flows on high-risk corridors jump far above their own usual flows.

    A transfer is *on a corridor* when ``(sender_country, receiver_country)`` is one of
    `high_risk_corridors` (or its reverse, with `both_directions`). For each account and direction
    (its outflows as sender, its inflows as receiver), the corridor value in the trailing `window` is compared
    with the account's average value per `window`, all corridors and countries, in the `baseline` period
    before the window. An alert needs both:

    - corridor value in the window at least ``min_value_share * reporting_threshold``, and
    - at least `ratio` times that baseline (any amount when the account moved nothing before).

    Qualifying windows of one account merge into one alert. Rows without both countries are never on a
    corridor: readers fill countries where the source states them (SWIFT, goAML, remittance exports).

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    high_risk_corridors : sequence of (origin, destination)
        ISO alpha-2 pairs (the KE/UG/ET/DJ profiles list East Africa - Gulf, Horn - Libya, scam-compound
        corridors). Empty: nothing is flagged.
    both_directions : bool, default True
        Count the reverse of each corridor too (wages and ransoms flow both ways).
    window : str, default "7D"
        Trailing window of corridor value.
    baseline : str, default "90D"
        History before the window the average comes from.
    ratio : float, default 5.0
        How many times the baseline the corridor value must be.
    reporting_threshold : float, default 10_000
        Profile threshold in the profile `currency`.
    min_value_share : float, default 0.5
        Fraction of the threshold the corridor value must reach.
    currency : str, optional
        Profile currency; others converted with `fx_to_local` or left out.
    fx_to_local : mapping, optional
        Rates to the profile currency.

    Returns
    -------
    pandas.DataFrame
        Alerts then ``direction, corridors, corridor_value, baseline_value, n_tx``. ``score`` is
        ``min(1, 0.5 + 0.2 * log10(corridor_value / (ratio * baseline_value)))`` (0.5 to 1), and 0.5 when the
        account moved nothing in the baseline period.

    References
    ----------
    FATF (2018), *Financial Flows from Human Trafficking* (payments to and from countries on trafficking routes),
    https://www.fatf-gafi.org/en/publications/Methodsandtrends/Human-trafficking.html ;
    FATF/ESAAMLG and UNODC (2022) migrant smuggling financial flows; FinCEN FIN-2020-A008,
    https://www.fincen.gov/resources/advisories/fincen-advisory-fin-2020-a008 .

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> home = [("acct-A", "acct-B", 20_000, f"2024-01-{d:02d}", {"sender_country": "KE", "receiver_country": "KE"})
    ...         for d in (2, 16, 30)]
    >>> gulf = [("acct-A", "acct-S", 400_000, "2024-03-0" + d, {"sender_country": "KE", "receiver_country": "SA"})
    ...         for d in "12"]
    >>> alerts = corridor_velocity(transactions(home + gulf), profile="KE")
    >>> alerts[["entity", "direction", "corridors", "n_tx"]]
       entity direction corridors  n_tx
    0  acct-A       out     KE>SA     2
    1  acct-S        in     KE>SA     2
    >>> print(alerts.at[0, "reason"])
    KES 800,000.00 sent on the KE>SA corridor in 2 transfers within 7 days, 171 times this account's average of KES 4,666.67 per 7 days in the 90 days before.
    """
    pairs = {f"{str(a).upper()}>{str(b).upper()}" for a, b in high_risk_corridors}
    if both_directions:
        pairs |= {f"{p[3:]}>{p[:2]}" for p in pairs}
    if not pairs or len(tx) == 0:
        return make_alerts("corridor_velocity", [])
    w, bl = seconds(window), seconds(baseline, name="baseline")
    floor = reporting_threshold * min_value_share
    amt = np.nan_to_num(local_amounts(tx, currency, fx_to_local))
    sc = tx["sender_country"].astype("string[pyarrow]").fillna("").str.upper()
    rc = tx["receiver_country"].astype("string[pyarrow]").fillna("").str.upper()
    corridor = (sc + ">" + rc).to_numpy()
    on = pd.Series(corridor).isin(pairs).to_numpy()
    rows: list[dict[str, Any]] = []
    for direction, side in (("out", "sender"), ("in", "receiver")):
        acct_on = tx[side].astype(object).to_numpy()[on]
        if len(acct_on) == 0:
            continue
        # only accounts with at least one corridor transfer need their history
        keep = tx[side].isin(pd.unique(acct_on)).to_numpy()
        sub = tx.loc[keep, ["tx_id", "timestamp", side]].reset_index(drop=True)
        b = blocks(sub[side], sub["timestamp"], sub["tx_id"])
        value = amt[keep][b.order]
        is_on = on[keep][b.order]
        lo = trailing_start(b, w)
        cval = range_sum(np.where(is_on, value, 0.0), lo, np.arange(len(value)) + 1)
        c = b.composite(w + bl)
        base_lo, base_hi = np.searchsorted(c, c - w - bl, "left"), np.searchsorted(c, c - w, "left")
        base = range_sum(value, base_lo, base_hi) / (bl / w)
        q = np.flatnonzero(is_on & (cval >= floor) & (cval >= ratio * base))
        for s, e in merge_windows(lo, q):
            idx = np.arange(s, e)[is_on[s:e]]
            ev = sub.iloc[b.order[idx]]
            at = q[(q >= s) & (q < e)]
            peak = at[np.argmax(cval[at])]
            rows.append(
                _alert(
                    direction,
                    str(b.keys[b.code[s]]),
                    ev,
                    corridor[keep][b.order[idx]],
                    float(value[idx].sum()),
                    float(cval[peak]),
                    float(base[peak]),
                    ratio,
                    window,
                    baseline,
                    currency,
                )
            )
    return make_alerts("corridor_velocity", rows)


def _alert(
    direction: str,
    entity: str,
    ev: pd.DataFrame,
    corridors: np.ndarray,
    total: float,
    peak: float,
    base: float,
    ratio: float,
    window: str,
    baseline: str,
    currency: str | None,
) -> dict[str, Any]:
    names = ", ".join(sorted(set(corridors.tolist())))
    verb = "sent" if direction == "out" else "received"
    n = len(ev)
    head = f"{money(total, currency)} {verb} on the {names} corridor{'s' if ',' in names else ''} in {n} transfer{'s' if n != 1 else ''}"
    if base > 0:
        score = min(1.0, 0.5 + 0.2 * float(np.log10(peak / (ratio * base))))
        tail = (
            f", {peak / base:,.0f} times this account's average of {money(base, currency)} per {span_text(window)} "
            f"in the {span_text(baseline)} before"
        )
    else:
        score, tail = 0.5, f", with no flows in the {span_text(baseline)} before"
    first, last = ev["timestamp"].min(), ev["timestamp"].max()
    within = (
        f" within {span_text(window)}"
        if (last - first).total_seconds() <= seconds(window)
        else f" from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    )
    return {
        "entity": entity,
        "score": score,
        "start": first,
        "end": last,
        "tx_ids": ev["tx_id"].astype(str).tolist(),
        "reason": f"{head}{within}{tail}.",
        "direction": direction,
        "corridors": names,
        "corridor_value": total,
        "baseline_value": base,
        "n_tx": n,
    }
