"""Charts for case notes and reports: matplotlib ``Figure`` objects, savable as PNG or SVG.

Each function returns a new figure built with the object-oriented API (no pyplot state, safe in
scripts, servers and notebooks), titled and labelled, showing only completed transactions (the ones
that moved value). Amounts are never summed across currencies: a chart over several currencies
uses the one with the most transactions, or the one given, and says so in its title.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from finintel.detect._alerts import money
from finintel.errors import InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["alert_overview", "amount_distribution", "corridor_heatmap", "hour_of_day", "timeline"]

_IN, _OUT, _ALERT = "#009E73", "#D55E00", "#B2182B"
_MAX_BARS = 1_500


def timeline(tx: pd.DataFrame, account: str, *, alerts: pd.DataFrame | None = None) -> Figure:
    """Money in and out of one account over time, its running balance, and the alerted transactions.

    The balance is the running sum of inflows minus outflows from the first transaction shown (the
    opening balance is not in the data), one line per currency.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    account : str
        The account key.
    alerts : pandas.DataFrame, optional
        Alerts whose ``tx_ids`` are marked with a red cross on the flows axis.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: flows (inflows up, outflows down) and running balance.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("x", "acc", 100, "2024-03-01"), ("acc", "y", 30, "2024-03-02")])
    >>> fig = timeline(tx, "acc")
    >>> fig.axes[1].lines[0].get_ydata().tolist()
    [100.0, 70.0]
    """
    tx = _completed(tx, ("sender", "receiver", "amount", "timestamp"))
    mine = tx[(tx["sender"].astype(str) == account) | (tx["receiver"].astype(str) == account)]
    if mine.empty:
        raise InputError(f"account {account!r} has no completed transactions in the data", column="sender")
    mine = mine.sort_values(["timestamp", "tx_id"] if "tx_id" in mine else ["timestamp"], kind="stable")
    when = _naive(mine["timestamp"])
    signed = np.where(mine["receiver"].astype(str).to_numpy() == account, 1.0, -1.0) * mine["amount"].to_numpy(float)
    currency = mine["currency"].astype(str).to_numpy() if "currency" in mine else np.array([""] * len(mine))
    fig = _figure(figsize=(10, 6))
    ax, bx = fig.subplots(2, 1, sharex=True)
    span = (when.max() - when.min()) / np.timedelta64(1, "D") if len(when) > 1 else 1.0
    width = max(span / 150.0, 1 / 24 / 60)
    inflow = signed > 0
    if len(mine) <= _MAX_BARS:
        ax.bar(when[inflow], signed[inflow], width=width, color=_IN, label="inflows")
        ax.bar(when[~inflow], signed[~inflow], width=width, color=_OUT, label="outflows")
    else:  # one bar per day and direction: thousands of bars draw slowly and show nothing more
        day = pd.Series(when).dt.floor("D").to_numpy()
        for sel, colour, label in ((inflow, _IN, "inflows per day"), (~inflow, _OUT, "outflows per day")):
            per_day = pd.Series(signed[sel]).groupby(day[sel]).sum()
            ax.bar(per_day.index.to_numpy(), per_day.to_numpy(float), width=0.8, color=colour, label=label)
    ax.axhline(0, color="#444444", linewidth=0.8)
    if alerts is not None and not alerts.empty and "tx_ids" in alerts and "tx_id" in mine:
        flagged = {str(t) for ids in alerts["tx_ids"] if ids is not None for t in ids}
        hit = mine["tx_id"].astype(str).isin(flagged).to_numpy()
        if hit.any():
            ax.plot(
                when[hit],
                signed[hit],
                linestyle="none",
                marker="x",
                markersize=9,
                color=_ALERT,
                markeredgewidth=2,
                label=f"alerted transactions ({int(hit.sum())})",
            )
    for cur in sorted(set(currency)):
        sel = currency == cur
        bx.step(when[sel], np.cumsum(signed[sel]), where="post", label=_plain(f"running balance {cur}".rstrip()))
    bx.axhline(0, color="#444444", linewidth=0.8)
    name = _name_of(mine, account)
    ax.set_title(f"Timeline of {name}: {int(inflow.sum())} inflows, {int((~inflow).sum())} outflows")
    ax.set_ylabel("amount (in +, out -)")
    ax.legend(loc="upper left", fontsize=8)
    bx.set_title("Running balance from the first transaction shown (opening balance unknown)")
    bx.set_ylabel("balance")
    bx.set_xlabel("time (UTC)")
    bx.legend(loc="upper left", fontsize=8)
    return fig


def corridor_heatmap(tx: pd.DataFrame, *, currency: str | None = None, top: int = 15) -> Figure:
    """Totals sent from each country to each country, as a heat map with the amounts written in.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions with ``sender_country`` and ``receiver_country`` (unknown countries are shown as ``??``).
    currency : str, optional
        Currency to chart; default the one with the most transactions.
    top : int, default 15
        Countries with the most money on each axis; the rest are summed into ``other``.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; rows are sending countries, columns receiving countries.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([dict(sender="a", receiver="b", amount=5.0, timestamp="2024-01-01",
    ...                         sender_country="KE", receiver_country="SA")])
    >>> fig = corridor_heatmap(tx)
    >>> fig.axes[0].images[0].get_array().tolist()
    [[5.0]]
    """
    tx, cur = _one_currency(_completed(tx, ("amount",)), currency)
    df = pd.DataFrame(
        {
            "from": tx["sender_country"].astype("string").fillna("??").to_numpy() if "sender_country" in tx else "??",
            "to": tx["receiver_country"].astype("string").fillna("??").to_numpy() if "receiver_country" in tx else "??",
            "amount": tx["amount"].to_numpy(float),
        }
    )
    df["from"] = _top_or_other(df, "from", top)
    df["to"] = _top_or_other(df, "to", top)
    table = df.pivot_table(index="from", columns="to", values="amount", aggfunc="sum", fill_value=0.0)
    fig = _figure(
        figsize=(1.2 + 0.6 * max(len(table.columns), 3), 1.2 + 0.5 * max(len(table), 3)),
    )
    ax = fig.subplots()
    if table.empty:
        ax.text(0.5, 0.5, "no transactions", ha="center", va="center")
    else:
        from matplotlib.colors import LogNorm

        values = table.to_numpy(float)
        low = values[values > 0].min() if (values > 0).any() else 1.0
        # one domestic corridor often dwarfs the rest: a log scale keeps the small cross-border ones visible
        norm = LogNorm(vmin=low, vmax=values.max()) if values.max() > 100 * low else None
        image = ax.imshow(values, cmap="OrRd", aspect="auto", norm=norm)
        fig.colorbar(image, ax=ax, label=_plain(f"total sent {cur}".rstrip()))
        shade = np.asarray(image.norm(values), dtype=float)  # 0-1 position of each cell on the colour scale
        for i in range(len(table)):
            for j in range(len(table.columns)):
                v = float(values[i, j])
                if v > 0:
                    ax.text(
                        j,
                        i,
                        _short(v),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if shade[i, j] > 0.6 else "black",
                    )
        ax.set_xticks(range(len(table.columns)), [_plain(c) for c in table.columns])
        ax.set_yticks(range(len(table)), [_plain(c) for c in table.index])
    ax.set_xlabel("receiving country")
    ax.set_ylabel("sending country")
    ax.set_title(_plain(f"Corridors: money sent from country to country ({cur or 'amounts'})"))
    return fig


def alert_overview(alerts: pd.DataFrame) -> Figure:
    """Alerts by detector, alerts per week (by alert start) and the distribution of scores.

    Examples
    --------
    >>> a = pd.DataFrame({"detector": ["fan_in", "fan_in", "cycle"], "score": [0.9, 0.5, 0.7],
    ...                   "start": pd.to_datetime(["2024-03-04", "2024-03-05", "2024-03-12"], utc=True)})
    >>> fig = alert_overview(a)
    >>> [float(p.get_width()) for p in fig.axes[0].patches], [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ([2.0, 1.0], ['fan_in', 'cycle'])
    """
    if "detector" not in alerts.columns:
        raise InputError("the alerts frame lacks column detector", column="detector")
    fig = _figure(figsize=(12, 4))
    ax, bx, cx = fig.subplots(1, 3)
    counts = alerts["detector"].astype(str).value_counts().sort_index(ascending=False)
    ax.barh([_plain(d) for d in counts.index], counts.to_numpy(float), color="#0072B2")
    ax.set_title(f"Alerts by detector ({len(alerts):,} in all)")
    ax.set_xlabel("alerts")
    ax.set_ylabel("detector")
    if "start" in alerts and alerts["start"].notna().any():
        start = pd.to_datetime(alerts["start"], utc=True).dropna().dt.tz_convert(None)
        weeks = start.dt.to_period("W-SUN").dt.start_time.value_counts().sort_index()
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num

        # plain day numbers: a bar width in days whatever date converters pandas has registered
        bx.bar(date2num(weeks.index.to_pydatetime()), weeks.to_numpy(float), width=6, align="edge", color="#E69F00")
        locator = AutoDateLocator()
        bx.xaxis.set_major_locator(locator)
        bx.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    bx.set_title("Alerts per week (by start)")
    bx.set_xlabel("week from Monday (UTC)")
    bx.set_ylabel("alerts")
    scores = pd.to_numeric(alerts["score"], errors="coerce").dropna() if "score" in alerts else pd.Series(dtype=float)
    cx.hist(scores.to_numpy(float), bins=np.linspace(0, 1, 11), color=_ALERT, edgecolor="white")
    cx.set_title("Risk scores of the alerts")
    cx.set_xlabel("score (0 = weak, 1 = strong)")
    cx.set_ylabel("alerts")
    return fig


def hour_of_day(
    tx: pd.DataFrame, account: str | None = None, *, tz: str = "UTC", night: tuple[int, int] = (22, 5)
) -> Figure:
    """Transactions per hour of the day in local time, with the night hours shaded.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    account : str, optional
        Only this account's transactions (in or out).
    tz : str, default "UTC"
        Time zone the hours are read in (e.g. ``Africa/Nairobi``; profiles carry one as ``tz``).
    night : (int, int), default (22, 5)
        First and last hour counted as out of hours.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("a", "b", 1, "2024-01-01 23:30"), ("a", "b", 1, "2024-01-02 23:10")])
    >>> fig = hour_of_day(tx)
    >>> [float(p.get_height()) for p in fig.axes[0].patches][23]
    2.0
    """
    tx = _completed(tx, ("timestamp",))
    if account is not None:
        tx = tx[(tx["sender"].astype(str) == account) | (tx["receiver"].astype(str) == account)]
    hours = pd.to_datetime(tx["timestamp"], utc=True).dt.tz_convert(tz).dt.hour
    counts = np.bincount(hours.to_numpy(int), minlength=24).astype(float) if len(hours) else np.zeros(24)
    if night[0] > night[1]:
        late = [h for h in range(24) if h >= night[0] or h <= night[1]]
    else:
        late = [h for h in range(24) if night[0] <= h <= night[1]]
    fig = _figure(figsize=(9, 3.6))
    ax = fig.subplots()
    ax.bar(range(24), counts, color=["#882255" if h in late else "#0072B2" for h in range(24)])
    for h in late:
        ax.axvspan(h - 0.5, h + 0.5, color="#DDDDDD", zorder=0, linewidth=0)
    share = counts[late].sum() / counts.sum() if counts.sum() else 0.0
    who = f" of {_plain(account)}" if account else ""
    ax.set_title(f"Transactions{who} by hour ({tz}): {share:.0%} between {night[0]:02d}:00 and {night[1]:02d}:59")
    ax.set_xlabel(f"hour of day ({tz})")
    ax.set_ylabel("transactions")
    ax.set_xticks(range(0, 24, 2))
    return fig


def amount_distribution(
    tx: pd.DataFrame, *, threshold: float, margin: float = 0.1, currency: str | None = None, bins_per_band: int = 5
) -> Figure:
    """Histogram of amounts up to 1.5x the threshold, with the structuring band just below it shaded.

    The band is ``[threshold * (1 - margin), threshold)``; bins are aligned on its edges so the bars
    inside it hold exactly the transactions in it.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("a", "b", v, "2024-01-01") for v in (9_500, 9_900, 5_000, 10_000)])
    >>> fig = amount_distribution(tx, threshold=10_000, margin=0.1)
    >>> fig.axes[0].get_legend().get_texts()[1].get_text()
    '2 in the band 9,000.00 to under 10,000.00'
    """
    if not threshold > 0 or not 0 < margin < 1:
        raise InputError(
            f"threshold must be > 0 and margin in (0, 1); got {threshold} and {margin}", column="threshold"
        )
    tx, cur = _one_currency(_completed(tx, ("amount",)), currency)
    amounts = tx["amount"].to_numpy(float)
    low = threshold * (1 - margin)
    step = threshold * margin / bins_per_band
    edges = np.arange(threshold - step * np.floor(threshold / step), threshold * 1.5 + step / 2, step)
    edges = edges[edges >= 0]
    fig = _figure(figsize=(9, 4))
    ax = fig.subplots()
    counts, _, _ = ax.hist(amounts[amounts < edges[-1]], bins=edges.tolist(), color="#0072B2", edgecolor="white")
    if np.max(counts, initial=0) > 50:  # small amounts dwarf the band otherwise
        ax.set_yscale("log")
    in_band = int(((amounts >= low) & (amounts < threshold)).sum())
    ax.axvline(threshold, color=_ALERT, linewidth=1.5, label=_plain(f"threshold {money(threshold, cur or None)}"))
    ax.axvspan(
        low,
        threshold,
        color=_ALERT,
        alpha=0.15,
        label=f"{in_band} in the band {money(low)} to under {money(threshold)}",
    )
    above = int((amounts >= edges[-1]).sum())
    more = f"; {above} above 1.5x not shown" if above else ""
    ax.set_title(_plain(f"Amounts ({cur or 'all'}) near the reporting threshold{more}"))
    ax.set_xlabel(_plain(f"amount ({cur})") if cur else "amount")
    ax.set_ylabel("transactions" + (" (log scale)" if ax.get_yscale() == "log" else ""))
    ax.legend(loc="upper left", fontsize=8)
    return fig


def _figure(figsize: tuple[float, float]) -> Figure:
    from matplotlib.figure import Figure  # matplotlib loads on the first chart, not on import finintel.viz

    return Figure(figsize=figsize, layout="constrained")


def _completed(tx: pd.DataFrame, need: Sequence[str]) -> pd.DataFrame:
    missing = [c for c in need if c not in tx.columns]
    if missing:
        raise InputError(f"the transactions frame lacks column(s) {', '.join(missing)}", column=missing[0])
    if "status" in tx.columns:
        status = tx["status"].astype("string")
        tx = tx[(status.isna() | status.eq("completed")).to_numpy()]
    return tx


def _one_currency(tx: pd.DataFrame, currency: str | None) -> tuple[pd.DataFrame, str]:
    if "currency" not in tx.columns or tx.empty:
        return tx, currency or ""
    cur = tx["currency"].astype("string")
    chosen = currency or str(cur.value_counts().index[0])
    return tx[cur.eq(chosen).fillna(False).to_numpy()], chosen


def _top_or_other(df: pd.DataFrame, col: str, top: int) -> pd.Series:
    keep = set(df.groupby(col)["amount"].sum().nlargest(top).index)
    return df[col].where(df[col].isin(keep), "other")


def _naive(ts: pd.Series) -> np.ndarray:
    return pd.to_datetime(ts, utc=True).dt.tz_convert(None).to_numpy()


def _name_of(mine: pd.DataFrame, account: str) -> str:
    for side in ("receiver", "sender"):
        col = f"{side}_name"
        if col in mine:
            names = mine.loc[mine[side].astype(str) == account, col].dropna()
            if len(names):
                return _plain(f"{names.mode().iloc[0]} ({account})")
    return _plain(account)


def _plain(text: object) -> str:
    """Text from the data, shown literally: ``$`` would otherwise start matplotlib mathtext.

    >>> print(_plain("$5 Ltd"))
    \\$5 Ltd
    """
    return str(text).replace("$", r"\$")


def _short(v: float) -> str:
    for div, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:.1f}{unit}"
    return f"{v:.0f}"
