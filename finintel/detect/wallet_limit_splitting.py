"""Wallet-limit splitting: mobile-money transfers or cash-ins repeatedly at the per-transaction or daily cap."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from finintel.detect._alerts import make_alerts, money
from finintel.detect._registry import register
from finintel.detect._windows import blocks, duration_text, episodes, local_amounts, seconds

__all__ = ["wallet_limit_splitting"]


@register("wallet_limit_splitting", partition="account")
def wallet_limit_splitting(
    tx: pd.DataFrame,
    *,
    mm_tx_cap: float | None = None,
    mm_daily_cap: float | None = None,
    cap_margin: float = 0.1,
    window: str = "7D",
    min_count: int = 3,
    min_split: int = 3,
    tz: str = "UTC",
    currency: str | None = "USD",
    fx_to_local: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Flag wallets that move money in pieces sized by the provider's limits.

    Only mobile-money rows count (``channel == "mobile_money"``, or a sender or receiver key in the
    ``msisdn:`` namespace). Three variants:

    - ``tx_cap_send``: one wallet sends at least `min_count` transfers within `window`, each within
      `cap_margin` below or at the per-transaction cap `mm_tx_cap`;
    - ``tx_cap_cashin``: one wallet receives at least `min_count` such amounts within `window` from cash
      agents (sender key ``cash:``, or channel ``cash``), i.e. repeated cash-ins at the limit;
    - ``daily_cap``: on one local day (profile `tz`) a wallet sends at least `min_split` transfers, each
      under the per-transaction cap, adding up to within `cap_margin` of the daily cap `mm_daily_cap` or more.
      All such days of one wallet form one alert.

    With no caps (the generic profile) nothing is flagged: the caps are provider rules, set per jurisdiction.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    mm_tx_cap, mm_daily_cap : float, optional
        Per-transaction and daily caps in the profile `currency` (KE: 250,000 and 500,000 KES).
    cap_margin : float, default 0.1
        How far below a cap still counts as at the cap, as a fraction of it.
    window : str, default "7D"
        Window for the per-transaction variants.
    min_count : int, default 3
        Fewest at-cap transfers in `window`.
    min_split : int, default 3
        Fewest transfers making up one at-cap day.
    tz : str, default "UTC"
        Time zone of the provider's day (profiles fill it).
    currency : str, optional
        Profile currency; rows in other currencies are converted with `fx_to_local` or left out.
    fx_to_local : mapping, optional
        Rates to the profile currency.

    Returns
    -------
    pandas.DataFrame
        Alerts then ``variant, n_tx, n_days, total``. ``score``: per-transaction variants
        ``min(1, 0.55 + 0.1 * (n_tx - min_count))``; daily variant ``min(1, 0.45 + 0.15 * n_days)``.

    References
    ----------
    FATF (2018), *Financial Flows from Human Trafficking* (mobile money, many small transfers),
    https://www.fatf-gafi.org/en/publications/Methodsandtrends/Human-trafficking.html ;
    FATF (2013), *The Role of Hawala and Other Similar Service Providers* and GSMA/FATF guidance on mobile money
    limits as structuring thresholds; FinCEN FIN-2020-A008,
    https://www.fincen.gov/resources/advisories/fincen-advisory-fin-2020-a008 .

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("msisdn:+254711000001", f"msisdn:+25472200000{i}", 249_000, f"2024-03-0{i + 1} 09:00")
    ...                    for i in range(3)], channel="mobile_money")
    >>> alerts = wallet_limit_splitting(tx, profile="KE")
    >>> alerts[["entity", "variant", "n_tx"]]
                     entity      variant  n_tx
    0  msisdn:+254711000001  tx_cap_send     3
    >>> print(alerts.at[0, "reason"])
    3 mobile-money transfers of KES 249,000.00 to 249,000.00 within 2 days, each at or just under the KES 250,000.00 per-transaction limit.
    """
    if len(tx) == 0 or (mm_tx_cap is None and mm_daily_cap is None):
        return make_alerts("wallet_limit_splitting", [])
    amt = local_amounts(tx, currency, fx_to_local)
    channel = tx["channel"].astype(object)
    sender, receiver = (
        tx["sender"].astype("string[pyarrow]").fillna(""),
        tx["receiver"].astype("string[pyarrow]").fillna(""),
    )
    mm = ((channel == "mobile_money") | sender.str.startswith("msisdn:") | receiver.str.startswith("msisdn:")).to_numpy(
        dtype=bool, na_value=False
    )
    frame = tx[["tx_id", "timestamp", "sender", "receiver"]].reset_index(drop=True)
    rows: list[dict[str, Any]] = []
    if mm_tx_cap is not None:
        at_cap = mm & (amt >= mm_tx_cap * (1 - cap_margin)) & (amt <= mm_tx_cap)
        cashin = ((channel == "cash") | sender.str.startswith("cash:")).to_numpy(dtype=bool, na_value=False)
        for variant, mask, side in (
            ("tx_cap_send", at_cap & ~cashin, "sender"),
            ("tx_cap_cashin", at_cap & cashin, "receiver"),
        ):
            sub = frame[mask].reset_index(drop=True)
            b = blocks(sub[side], sub["timestamp"], sub["tx_id"])
            for lo, hi in episodes(b, seconds(window), min_count):
                idx = b.order[lo:hi]
                rows.append(
                    _tx_alert(
                        variant, str(b.keys[b.code[lo]]), sub.iloc[idx], amt[mask][idx], mm_tx_cap, min_count, currency
                    )
                )
    if mm_daily_cap is not None:
        rows += _daily(frame, amt, mm, mm_tx_cap, mm_daily_cap, cap_margin, min_split, tz, currency)
    return make_alerts("wallet_limit_splitting", rows)


def _tx_alert(
    variant: str, entity: str, ev: pd.DataFrame, values: np.ndarray, cap: float, min_count: int, currency: str | None
) -> dict[str, Any]:
    n = len(ev)
    first, last = ev["timestamp"].min(), ev["timestamp"].max()
    what = "mobile-money transfers" if variant == "tx_cap_send" else "cash-ins into this wallet"
    reason = (
        f"{n} {what} of {money(float(values.min()), currency)} to {money(float(values.max()))} within "
        f"{duration_text(first, last)}, each at or just under the {money(cap, currency)} per-transaction limit."
    )
    return {
        "entity": entity,
        "score": min(1.0, 0.55 + 0.1 * (n - min_count)),
        "start": first,
        "end": last,
        "tx_ids": ev["tx_id"].astype(str).tolist(),
        "reason": reason,
        "variant": variant,
        "n_tx": n,
        "n_days": int(ev["timestamp"].dt.normalize().nunique()),
        "total": float(values.sum()),
    }


def _daily(
    frame: pd.DataFrame,
    amt: np.ndarray,
    mm: np.ndarray,
    tx_cap: float | None,
    daily_cap: float,
    margin: float,
    min_split: int,
    tz: str,
    currency: str | None,
) -> list[dict[str, Any]]:
    ok = mm & ~np.isnan(amt)
    if tx_cap is not None:
        ok &= amt <= tx_cap
    sub = frame[ok].assign(_amt=amt[ok]).sort_values(["timestamp", "tx_id"], kind="stable")
    sub["_day"] = sub["timestamp"].dt.tz_convert(tz).dt.date
    g = sub.groupby(["sender", "_day"], observed=True)["_amt"].agg(["sum", "count"])
    days = g[(g["sum"] >= daily_cap * (1 - margin)) & (g["count"] >= min_split)]
    if days.empty:
        return []
    keys = pd.MultiIndex.from_frame(sub[["sender", "_day"]])
    sub = sub[keys.isin(days.index)]
    out = []
    for sender, ev in sub.groupby("sender", observed=True, sort=True):
        per_day = ev.groupby("_day")["_amt"].sum()
        n_days = len(per_day)
        first, last = ev["timestamp"].min(), ev["timestamp"].max()
        reason = (
            f"On {n_days} day{'s' if n_days != 1 else ''} this wallet sent {len(ev)} mobile-money transfers adding up to "
            f"{money(float(per_day.min()), currency)} to {money(float(per_day.max()))} a day, at or near the "
            f"{money(daily_cap, currency)} daily limit, each day split into {min_split} or more transfers."
        )
        out.append(
            {
                "entity": str(sender),
                "score": min(1.0, 0.45 + 0.15 * n_days),
                "start": first,
                "end": last,
                "tx_ids": ev["tx_id"].astype(str).tolist(),
                "reason": reason,
                "variant": "daily_cap",
                "n_tx": len(ev),
                "n_days": n_days,
                "total": float(ev["_amt"].sum()),
            }
        )
    return out
