"""Ransom corridor: diaspora payments converging on one wallet or agent and cashed out at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from finintel.detect._alerts import make_alerts, money
from finintel.detect._registry import register
from finintel.detect._windows import blocks, duration_text, episodes, local_amounts, seconds, sorted_codes

__all__ = ["ransom_corridor"]


@register("ransom_corridor", partition="account")
def ransom_corridor(
    tx: pd.DataFrame,
    *,
    window: str = "3D",
    min_senders: int = 3,
    cashout_window: str = "48h",
    min_cashout_share: float = 0.7,
    mm_tx_cap: float | None = None,
    cap_margin: float = 0.1,
    min_cap_repeats: int = 3,
    currency: str | None = "USD",
    fx_to_local: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Flag wallets where payments from abroad converge and are cashed out quickly (ransom, smuggling fees).

    Kidnap-for-ransom on the Horn of Africa - Libya route and migrant smuggling fees are paid by relatives,
    often in the diaspora, into one wallet or agent account, then withdrawn as cash or moved to crypto within
    hours. Two variants:

    - ``convergence``: within `window`, a receiver gets *diaspora inflows* (both countries known and
      different, or the ``remittance`` channel) from at least `min_senders` different senders;
    - ``cap_repeats``: one payer sends the same receiver at least `min_cap_repeats` transfers, each within
      `cap_margin` of the mobile-money cap `mm_tx_cap`, within `window` (a family paying a ransom at the limit).

    Both need a *cash-out*: within `cashout_window` of the last inflow, at least `min_cashout_share` of the value
    leaves the receiver as cash (channel ``cash`` or a ``cash:`` key) or crypto (channel ``crypto``).

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    window : str, default "3D"
        Window of the converging payments.
    min_senders : int, default 3
        Fewest different senders for ``convergence``.
    cashout_window : str, default "48h"
        How soon after the last inflow the cash-out must happen.
    min_cashout_share : float, default 0.7
        Share of the inflow that must be cashed out.
    mm_tx_cap : float, optional
        Per-transaction mobile-money cap in the profile currency (profiles fill it); None skips ``cap_repeats``.
    cap_margin : float, default 0.1
        How far below the cap counts as at the cap.
    min_cap_repeats : int, default 3
        Fewest at-cap transfers from one payer.
    currency : str, optional
        Profile currency; others converted with `fx_to_local` or left out.
    fx_to_local : mapping, optional
        Rates to the profile currency.

    Returns
    -------
    pandas.DataFrame
        Alerts then ``variant, n_senders, inflow, cashout, cashout_share, hours_to_cashout``. ``score`` is
        ``min(1, 0.5 + 0.05 * (n_senders - min_senders) + 0.4 * min(1, cashout_share))`` for convergence and
        ``min(1, 0.5 + 0.1 * (n_tx - min_cap_repeats) + 0.4 * min(1, cashout_share))`` for cap repeats.

    References
    ----------
    FATF (2018), *Financial Flows from Human Trafficking* (ransom payments by families through money transfer
    and mobile money), https://www.fatf-gafi.org/en/publications/Methodsandtrends/Human-trafficking.html ;
    FATF (2022), *Money Laundering and Terrorist Financing Risks Arising from Migrant Smuggling*,
    https://www.fatf-gafi.org/en/publications/Methodsandtrends/Migrant-smuggling.html ;
    FinCEN FIN-2020-A008, https://www.fincen.gov/resources/advisories/fincen-advisory-fin-2020-a008 .

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> abroad = [(f"diaspora{i}", "msisdn:+251911000001", 1_500, f"2024-05-01 {9 + i}:00",
    ...            {"sender_country": c, "receiver_country": "ET"}) for i, c in enumerate(["SE", "US", "NO"])]
    >>> cash = [("msisdn:+251911000001", "cash:Agent 77 Merkato", 4_400, "2024-05-01 18:00")]
    >>> alerts = ransom_corridor(transactions(abroad + cash, currency="USD"))
    >>> alerts[["entity", "variant", "n_senders", "cashout_share"]]
                     entity      variant  n_senders  cashout_share
    0  msisdn:+251911000001  convergence          3       0.977778
    >>> print(alerts.at[0, "reason"])
    3 senders abroad (NO, SE, US) paid this account USD 4,500.00 within 2 hours; USD 4,400.00 (98%) was cashed out within 7 hours of the last payment.
    """
    w, cw = seconds(window), seconds(cashout_window, name="cashout_window")
    if len(tx) == 0:
        return make_alerts("ransom_corridor", [])
    amt = np.nan_to_num(local_amounts(tx, currency, fx_to_local))
    frame = tx[["tx_id", "timestamp", "sender", "receiver", "sender_country"]].reset_index(drop=True).assign(_amt=amt)
    sc = tx["sender_country"].astype("string[pyarrow]").fillna("").str.upper().to_numpy()
    rc = tx["receiver_country"].astype("string[pyarrow]").fillna("").str.upper().to_numpy()
    channel = tx["channel"].astype(object).to_numpy()
    diaspora = ((sc != "") & (rc != "") & (sc != rc)) | (channel == "remittance")
    cashout = (
        (channel == "cash")
        | (channel == "crypto")
        | tx["receiver"].astype("string[pyarrow]").str.startswith("cash:").to_numpy(dtype=bool, na_value=False)
    )
    outs = frame[cashout].sort_values(["sender", "timestamp", "tx_id"]).set_index("sender")
    outs.index = outs.index.astype(object)  # numpy-backed: fast binary search per lookup
    rows: list[dict[str, Any]] = []
    sub = frame[diaspora & ~cashout].reset_index(drop=True)
    b = blocks(sub["receiver"], sub["timestamp"], sub["tx_id"])
    for lo, hi in episodes(b, w, min_senders):
        ev = sub.iloc[b.order[lo:hi]]
        n = int(ev["sender"].nunique())
        if n >= min_senders:
            rows += _with_cashout(
                "convergence", str(b.keys[b.code[lo]]), ev, outs, cw, min_cashout_share, min_senders, currency
            )
    if mm_tx_cap is not None:
        cap = frame[(amt >= mm_tx_cap * (1 - cap_margin)) & (amt <= mm_tx_cap) & ~cashout].reset_index(drop=True)
        cs, _ = sorted_codes(cap["sender"])
        cr, _ = sorted_codes(cap["receiver"])
        pb = blocks(cs * (int(cr.max()) + 1 if len(cr) else 1) + cr, cap["timestamp"], cap["tx_id"])
        for lo, hi in episodes(pb, w, min_cap_repeats):
            ev = cap.iloc[pb.order[lo:hi]]
            rows += _with_cashout(
                "cap_repeats",
                str(ev["receiver"].iloc[0]),
                ev,
                outs,
                cw,
                min_cashout_share,
                min_cap_repeats,
                currency,
                cap=mm_tx_cap,
            )
    return make_alerts("ransom_corridor", rows)


def _with_cashout(
    variant: str,
    entity: str,
    ev: pd.DataFrame,
    outs: pd.DataFrame,
    cw: int,
    min_share: float,
    need: int,
    currency: str | None,
    cap: float | None = None,
) -> list[dict[str, Any]]:
    first, last = ev["timestamp"].min(), ev["timestamp"].max()
    out = outs.loc[entity:entity]  # sorted index: a binary search
    out = out[(out["timestamp"] >= first) & (out["timestamp"] <= last + pd.Timedelta(seconds=cw))]
    inflow, cashed = float(ev["_amt"].sum()), float(out["_amt"].sum())
    share = cashed / inflow if inflow > 0 else 0.0
    if share < min_share or out.empty:
        return []
    hours = (out["timestamp"].max() - last).total_seconds() / 3600
    after = f"{max(hours, 0):.0f} hours" if hours >= 1 else "an hour"
    n_senders = int(ev["sender"].nunique())
    cash = f"{money(cashed, currency)} ({share:.0%}) was cashed out within {after} of the last payment"
    if variant == "convergence":
        countries = ", ".join(sorted({str(c) for c in ev["sender_country"].dropna().astype(str) if c}))
        where = f" ({countries})" if countries else ""
        reason = (
            f"{n_senders} senders abroad{where} paid this account {money(inflow, currency)} within "
            f"{duration_text(first, last)}; {cash}."
        )
        score = 0.5 + 0.05 * (n_senders - need) + 0.4 * min(1.0, share)
    else:
        reason = (
            f"One payer sent this account {len(ev)} transfers at the {money(cap or 0.0, currency)} limit "
            f"(total {money(inflow, currency)}) within {duration_text(first, last)}; {cash}."
        )
        score = 0.5 + 0.1 * (len(ev) - need) + 0.4 * min(1.0, share)
    return [
        {
            "entity": entity,
            "score": min(1.0, score),
            "start": first,
            "end": max(last, out["timestamp"].max()),
            "tx_ids": [*ev["tx_id"].astype(str), *out["tx_id"].astype(str)],
            "reason": reason,
            "variant": variant,
            "n_senders": n_senders,
            "inflow": inflow,
            "cashout": cashed,
            "cashout_share": share,
            "hours_to_cashout": hours,
        }
    ]
