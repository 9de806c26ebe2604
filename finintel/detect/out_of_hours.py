"""Out-of-hours activity: a large share of an account's transfers between late evening and early morning."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from finintel.detect._alerts import make_alerts
from finintel.detect._registry import register
from finintel.errors import ConfigError

__all__ = ["out_of_hours"]


@register("out_of_hours", partition="account")
def out_of_hours(
    tx: pd.DataFrame,
    *,
    tz: str = "UTC",
    night_start: int = 22,
    night_end: int = 5,
    min_count: int = 5,
    min_share: float = 0.5,
    period: Literal["all", "month", "week"] = "month",
    exclude_channels: Sequence[str] = ("crypto",),
    skip_midnight: bool = True,
    max_p_value: float = 0.01,
) -> pd.DataFrame:
    """Flag accounts doing most of their business at night, local time.

    A transfer is at *night* when its local hour (profile `tz`) is at or after `night_start` or before
    `night_end`. For each account (either side) and `period` (local calendar month by default), an alert is
    raised when at least `min_count` transfers and at least `min_share` of all its transfers are at night.
    Crypto transfers are left out by default: chains settle around the clock whatever their owner does.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    tz : str, default "UTC"
        Local time zone (profiles fill it: ``Africa/Nairobi`` for KE).
    night_start, night_end : int, default 22 and 5
        The night, as local hours ``[night_start, 24) + [0, night_end)``.
    min_count : int, default 5
        Fewest night transfers in one period.
    min_share : float, default 0.5
        Smallest share of the period's transfers that are at night.
    period : {"month", "week", "all"}, default "month"
        Local calendar period the shares are counted in; "all" takes the whole input.
    exclude_channels : sequence of str, default ("crypto",)
        Channels not counted at all.
    max_p_value : float, default 0.01
        The night count must also be unlikely by chance: the binomial probability of at least that many
        night transfers out of the period's total, if each were at night with the baseline probability
        (the night's share of the day: the hours from night_start to night_end over 24), is at most this.
        It keeps accounts with a handful of transfers from alerting on luck.
    skip_midnight : bool, default True
        Leave out transfers at exactly 00:00:00 local time: that is how sources that give only a date
        (bank statements, MT940, pacs.008) are read, so their time of day is unknown, not night.

    Returns
    -------
    pandas.DataFrame
        Alerts then ``period, n_night, n_total, night_share``. ``score`` is
        ``min(1, 0.4 + 0.5 * (night_share - min_share) / (1 - min_share) + 0.02 * (n_night - min_count))``.

    References
    ----------
    FinCEN FIN-2020-A008 (transactions at unusual hours: late-night payments for commercial sex, hotels),
    https://www.fincen.gov/resources/advisories/fincen-advisory-fin-2020-a008 ;
    FATF (2018), *Financial Flows from Human Trafficking*,
    https://www.fatf-gafi.org/en/publications/Methodsandtrends/Human-trafficking.html .

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("acct-A", "acct-B", 500, f"2024-03-0{d} 20:30") for d in range(1, 7)]
    ...                   + [("acct-A", "shop", 90, "2024-03-07 10:00")])
    >>> alerts = out_of_hours(tx, profile="KE")
    >>> alerts[["entity", "n_night", "n_total"]]
       entity  n_night  n_total
    0  acct-A        6        7
    1  acct-B        6        6
    >>> print(alerts.at[0, "reason"])
    6 of this account's 7 transfers in 2024-03 (86%) took place between 22:00 and 05:00 Africa/Nairobi time.
    """
    if not (0 <= night_start <= 24 and 0 <= night_end <= 24):
        raise ConfigError(f"night hours must be between 0 and 24, got {night_start} and {night_end}")
    if period not in ("all", "month", "week"):
        raise ConfigError(f"period must be 'all', 'month' or 'week', got {period!r}")
    keep = ~tx["channel"].astype(object).isin(list(exclude_channels)).to_numpy()
    sub = tx.loc[keep, ["tx_id", "timestamp", "sender", "receiver"]]
    if sub.empty:
        return make_alerts("out_of_hours", [])
    local = sub["timestamp"].dt.tz_convert(tz)
    if skip_midnight:
        known = (local.dt.hour != 0) | (local.dt.minute != 0) | (local.dt.second != 0) | (local.dt.microsecond != 0)
        sub, local = sub[known.to_numpy()], local[known.to_numpy()]
        if sub.empty:
            return make_alerts("out_of_hours", [])
    hour = local.dt.hour.to_numpy()
    night = (
        (hour >= night_start) | (hour < night_end)
        if night_start > night_end
        else (hour >= night_start) & (hour < night_end)
    )
    naive = local.dt.tz_localize(None)
    if period == "all":
        label = pd.Series("all", index=sub.index)
    elif period == "month":
        label = pd.Series(naive.dt.year.to_numpy() * 100 + naive.dt.month.to_numpy(), index=sub.index)
    else:
        iso = naive.dt.isocalendar()
        label = pd.Series(iso["year"].to_numpy() * 100 + iso["week"].to_numpy(), index=sub.index)
    long = pd.DataFrame(
        {
            "account": np.concatenate(
                [sub["sender"].astype(object).to_numpy(), sub["receiver"].astype(object).to_numpy()]
            ),
            "period": np.concatenate([label.to_numpy(), label.to_numpy()]),
            "night": np.concatenate([night, night]),
            "tx_id": np.concatenate([sub["tx_id"].astype(object).to_numpy()] * 2),
            "timestamp": pd.concat([sub["timestamp"], sub["timestamp"]], ignore_index=True),
        }
    ).drop_duplicates(["account", "tx_id"])
    g = long.groupby(["account", "period"], sort=True)["night"].agg(["sum", "count"])
    hours = ((24 - night_start + night_end) if night_start > night_end else (night_end - night_start)) / 24
    baseline = hours
    from scipy.stats import binom

    p_value = binom.sf(g["sum"].to_numpy() - 1, g["count"].to_numpy(), baseline)
    hit = g[(g["sum"] >= min_count) & (g["sum"] >= min_share * g["count"]) & (p_value <= max_p_value)]
    if hit.empty:
        return make_alerts("out_of_hours", [])
    ev_all = long[long["night"]].set_index(["account", "period"]).sort_index()
    rows: list[dict[str, Any]] = []
    for (account, per), (n_night, n_total) in hit.iterrows():
        ev = ev_all.loc[[(account, per)]]
        share = n_night / n_total
        per = per if period == "all" else f"{int(per) // 100}-{'W' if period == 'week' else ''}{int(per) % 100:02d}"
        span = "" if per == "all" else f" in {per}"
        reason = (
            f"{n_night} of this account's {n_total} transfers{span} ({share:.0%}) took place between "
            f"{night_start:02d}:00 and {night_end:02d}:00 {tz} time."
        )
        score = (
            0.4 + (0.5 * (share - min_share) / (1 - min_share) if min_share < 1 else 0.5) + 0.02 * (n_night - min_count)
        )
        rows.append(
            {
                "entity": str(account),
                "score": float(min(1.0, score)),
                "start": ev["timestamp"].min(),
                "end": ev["timestamp"].max(),
                "tx_ids": ev["tx_id"].astype(str).tolist(),
                "reason": reason,
                "period": str(per),
                "n_night": int(n_night),
                "n_total": int(n_total),
                "night_share": float(share),
            }
        )
    return make_alerts("out_of_hours", rows)
