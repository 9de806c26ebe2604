"""Rapid pass-through: an account that sends on most of each inflow within hours (mule behaviour)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from finintel.detect._alerts import make_alerts, money
from finintel.detect._graph_kernels import EdgeArrays, edge_arrays, span_text, time_ranks, timestamp, to_us
from finintel.detect._graph_screens import Activity, check_fraction, local_rates
from finintel.detect._registry import register
from finintel.errors import ConfigError

__all__ = ["rapid_pass_through"]

SLOW_PACE = 0.6
"""Score multiplier for pass-through seen only with `slow_window`."""


@register("rapid_pass_through", partition="account")
def rapid_pass_through(
    tx: pd.DataFrame,
    *,
    window: str = "24h",
    slow_window: str = "7D",
    min_fraction: float = 0.8,
    min_events: int = 3,
    max_residual: float = 0.2,
    min_share: float = 0.5,
    gap: str = "30D",
    min_amount: float = 0.0,
    reporting_threshold: float = 10_000.0,
    min_value: float = 0.05,
    min_activity_share: float = 0.8,
    activity_context: str = "30D",
    min_top_receiver_share: float = 0.5,
    slow_top_receiver_share: float = 0.8,
    currency: str | None = None,
    fx_to_local: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Flag accounts where most of each inflow leaves again within hours, again and again.

    An inflow *passes through* when the account's outflows (same currency) in the
    `window` after it add up to at least `min_fraction` of it. An outflow is never counted
    for two inflows: within the window either the account's other inflows do not make up
    for what left, or (a steady pipeline) everything received earlier has left too, first
    in, first out.

    An account raises an alert when at least `min_events` inflows pass through, consecutive
    ones no more than `gap` apart, making at least `min_share` of its inflows, and over that
    period (first such inflow to `window` after the last) it paid out between
    ``1 - max_residual`` (little is left behind) and ``1 / (1 - max_residual)`` (more would
    be its own money being spent) of what it received. Accounts that do the same only over
    `slow_window` (days rather than hours) get a lower score, unless a fast alert already
    covers their inflows, and only when one receiver took at least `slow_top_receiver_share` of the outflows (a
    relay to a handler, not a week's spending). Agent tills, branches and business numbers
    (``cash:``, ``paybill:`` keys) pass money through by design and are not screened.
    A period must also take in at least `min_value` of the reporting threshold and carry at
    least `min_activity_share` of what the account moved from `activity_context` before it to
    `activity_context` after it (mule accounts do little else), and its largest receiver must
    take at least `min_top_receiver_share` of the outflows (a handler or collector).

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema (only completed rows are used).
    window : str, default "24h"
        How soon the money must leave for a fast pass-through.
    slow_window : str, default "7D"
        How soon it must leave for a slow (structural) pass-through.
    min_fraction : float, default 0.8
        Share of an inflow that must leave within the window.
    min_events : int, default 3
        Fewest inflows passing through in one period.
    max_residual : float, default 0.2
        Largest share of the period's inflows still in the account at its end.
    min_share : float, default 0.5
        Smallest share of the period's inflows that must pass through (a mule passes most of
        its inflows on; an ordinary account only some).
    gap : str, default "30D"
        Longest quiet time between pass-throughs of one period; a longer one starts a new alert.
    min_amount : float, default 0
        Smallest inflow considered, in the transactions' currency.
    reporting_threshold : float, default 10_000
        From the jurisdiction profile; a period moving this much scores the full value term.
    min_value : float, default 0.05
        Smallest value received over the period, as a fraction of `reporting_threshold` in the
        profile `currency` (KE: KES 50,000); periods in a currency with no rate in
        `fx_to_local` are not held to it.
    min_activity_share : float, default 0.8
        Smallest share of the account's value moved (same currency) from `activity_context`
        before the period to `activity_context` after it that the period carries: a mule
        account does little else (FATF); an ordinary account whose in and out happen to
        balance for a while goes on with its other payments.
    activity_context : str, default "30D"
        How far before and after the period the account's other activity is counted.
    min_top_receiver_share : float, default 0.5
        Smallest share of a period's outflows that its largest receiver must take: a mule
        passes money on to a handler or collector; an ordinary account that receives and pays
        as often as it is paid (a trader, a busy household) spreads its payments over many payees.
    slow_top_receiver_share : float, default 0.8
        Smallest share of a slow period's outflows that its largest receiver must take: over
        days, passing money on to one handler is a relay; spreading it over many payees is a
        week's spending.
    currency : str, optional
        Profile currency (from the jurisdiction profile); None takes every amount as it is.
    fx_to_local : mapping, optional
        Rates from other currencies to `currency` (from the profile).

    Returns
    -------
    pandas.DataFrame
        Alerts (``ALERT_COLUMNS``), ``entity`` the account, with metrics ``accounts``
        (counterparties), ``events``, ``total_in``, ``total_out``, ``forwarded_fraction``
        (out / in over the period), ``median_hold_hours`` (from each passing inflow to the
        outflow that completes ``min_fraction`` of it), ``top_receiver_share`` (the largest
        receiver's share of the outflows), ``duration_hours`` and ``pace``.

    Notes
    -----
    Score in [0, 1]: ``pace * (0.5 + 0.2 * f + 0.15 * n + 0.15 * v)`` with ``pace`` 1 (fast)
    or 0.6 (slow), ``f`` the forwarded fraction scaled from ``1 - max_residual`` (0) to 1 (1),
    ``n = min(1, events / (3 * min_events))`` and ``v = min(1, total_in / reporting_threshold)``.
    Vectorised: one ``searchsorted`` per inflow over the account's time-sorted outflows and
    their running sum; no loop over rows.

    References
    ----------
    .. [1] AMLSim typologies (fan-in/fan-out, stack), https://github.com/IBM/AMLSim/wiki
    .. [2] Altman et al. (2023), "Realistic Synthetic Financial Transactions for Anti-Money
       Laundering Models", NeurIPS Datasets and Benchmarks, https://arxiv.org/abs/2306.16424
    .. [3] FATF (2018), "Financial Flows from Human Trafficking" (money mules and funnel
       accounts), https://www.fatf-gafi.org/en/publications/Methodsandtrends/Human-trafficking.html

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([
    ...     ("victim-1", "mule", 10_000, "2024-03-01 09:00"), ("mule", "boss", 9_500, "2024-03-01 11:00"),
    ...     ("victim-2", "mule", 20_000, "2024-03-05 09:00"), ("mule", "boss", 19_000, "2024-03-05 10:00"),
    ...     ("victim-3", "mule", 15_000, "2024-03-09 09:00"), ("mule", "boss", 14_000, "2024-03-09 20:00"),
    ... ])
    >>> alerts = rapid_pass_through(tx)
    >>> alerts[["entity", "events", "forwarded_fraction", "median_hold_hours", "score"]]
      entity  events  forwarded_fraction  median_hold_hours   score
    0   mule       3              0.9444                2.0  0.8444
    >>> print(alerts.at[0, "reason"])
    mule received KES 45,000.00 in 3 transfers from 3 accounts on 1-9 Mar 2024 and sent on KES 42,500.00 (94%) to 1 account; 3 inflows each went on (at least 80%) within 24h, median 2 hours
    """
    if not 0 < min_fraction <= 1 or not 0 <= max_residual < 1:
        raise ConfigError(
            f"min_fraction must be in (0, 1] and max_residual in [0, 1), got {min_fraction} and {max_residual}"
        )
    if min_events < 1:
        raise ConfigError(f"min_events must be at least 1, got {min_events}")
    check_fraction("min_activity_share", min_activity_share)
    check_fraction("slow_top_receiver_share", slow_top_receiver_share)
    check_fraction("min_top_receiver_share", min_top_receiver_share)
    context_us = to_us(activity_context, "activity_context")
    fast_us, slow_us, gap_us = to_us(window), to_us(slow_window, "slow_window"), to_us(gap, "gap")
    E = edge_arrays(tx)
    if E.n_edges == 0:
        return make_alerts("rapid_pass_through", [])
    flows = _Flows(E)
    institutional = E.institutional()
    rows: list[dict[str, object]] = []
    covered: set[int] = set()
    rates, act = local_rates(E, currency, fx_to_local), Activity(E)
    floor = min_value * reporting_threshold
    for pace, w_us, label, multiplier in (
        ("fast", fast_us, window, 1.0),
        ("slow", max(slow_us, fast_us), slow_window, SLOW_PACE),
    ):
        passed, hold = flows.passing(w_us, min_fraction, min_amount)
        passed &= ~institutional[E.dst]
        for ev in _periods(E, flows, passed, gap_us, w_us, min_events, max_residual, min_share):
            inflows = set(ev.tolist())
            if pace == "slow" and covered & inflows:
                continue
            row = _alert(
                E,
                flows,
                ev,
                hold,
                w_us,
                label,
                pace,
                multiplier,
                min_fraction,
                min_events,
                max_residual,
                min_share,
                reporting_threshold,
                min_top_receiver_share if pace == "fast" else slow_top_receiver_share,
            )
            if row is None:
                continue
            edges: npt.NDArray[np.int64] = row.pop("_edges")  # type: ignore[assignment]
            if float(row["total_in"]) * rates[E.cur[ev[0]]] < floor:  # type: ignore[arg-type]
                continue  # NaN (no rate) is never below
            if act.share(E.dst[ev[:1]], edges, context_us) < min_activity_share:
                continue  # the account's other activity around the period dwarfs it: ordinary use
            covered |= inflows
            rows.append(row)
    return make_alerts("rapid_pass_through", rows)


class _Flows:
    """Per (account, currency) time-sorted inflows and outflows with running sums."""

    def __init__(self, E: EdgeArrays) -> None:
        ncur = np.int64(max(len(E.currencies), 1))
        self.times, self.rank = time_ranks(E.t)
        self.n_t = np.int64(len(self.times) + 1)
        self.ac_in = E.dst * ncur + E.cur
        self.ac_out = E.src * ncur + E.cur
        self.out_order = np.argsort(self.ac_out, kind="stable")  # edges are time-sorted already
        self.in_order = np.argsort(self.ac_in, kind="stable")
        self.out_key = self.ac_out[self.out_order] * self.n_t + self.rank[self.out_order]
        self.in_key = self.ac_in[self.in_order] * self.n_t + self.rank[self.in_order]
        self.out_cum = np.concatenate([[0.0], np.cumsum(E.amount[self.out_order])])
        self.in_cum = np.concatenate([[0.0], np.cumsum(E.amount[self.in_order])])
        self.amount = E.amount
        self.t = E.t

    def rank_at(self, t_us: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Rank of the last distinct timestamp at or before each time."""
        return (np.searchsorted(self.times, t_us, side="right") - 1).astype(np.int64)

    def out_range(
        self, ac: npt.NDArray[np.int64], t0: npt.NDArray[np.int64], t1: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Positions in ``out_order`` of the outflows of `ac` with ``t0 <= t <= t1``."""
        lo = np.searchsorted(self.out_key, ac * self.n_t + np.searchsorted(self.times, t0, side="left"), side="left")
        hi = np.searchsorted(self.out_key, ac * self.n_t + self.rank_at(t1), side="right")
        return lo.astype(np.int64), np.maximum(hi, lo).astype(np.int64)

    def in_range(
        self, ac: npt.NDArray[np.int64], t0: npt.NDArray[np.int64], t1: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        lo = np.searchsorted(self.in_key, ac * self.n_t + np.searchsorted(self.times, t0, side="left"), side="left")
        hi = np.searchsorted(self.in_key, ac * self.n_t + self.rank_at(t1), side="right")
        return lo.astype(np.int64), np.maximum(hi, lo).astype(np.int64)

    def passing(
        self, w_us: int, min_fraction: float, min_amount: float
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
        """Which edges, as inflows, pass through within `w_us`; and hours until they did.

        An inflow passes when its account's outflows in the window reach ``min_fraction`` of
        it and either (burst) the window's inflows exceed its outflows by no more than the
        rest of it, or (pipeline) by the window's end the account has sent on everything it
        received before this inflow plus ``min_fraction`` of it (first in, first out). Both
        tests assign each outflow once, so one transfer out never explains two inflows.
        """
        # work in in_order (by account, then time) so every searchsorted gets sorted needles
        e = self.in_order
        ac, t, amount = self.ac_in[e], self.t[e], self.amount[e]
        r_end = self.rank_at(self.t + w_us)[e]  # sorted needles (edge order), then permuted
        key0, key1 = ac * self.n_t + self.rank[e], ac * self.n_t + r_end
        lo = np.searchsorted(self.out_key, key0, side="left")
        hi = np.maximum(np.searchsorted(self.out_key, key1, side="right"), lo)
        sent = self.out_cum[hi] - self.out_cum[lo]
        ilo = np.searchsorted(self.in_key, key0, side="left")
        ihi = np.maximum(np.searchsorted(self.in_key, key1, side="right"), ilo)
        received = self.in_cum[ihi] - self.in_cum[ilo]
        need = min_fraction * amount
        eps = 1e-9 * amount
        burst = received - sent <= amount - need + eps
        out_start = np.searchsorted(self.out_key, ac * self.n_t, side="left")
        in_start = np.searchsorted(self.in_key, ac * self.n_t, side="left")
        before = self.in_cum[np.arange(len(e))] - self.in_cum[in_start]
        pipeline = self.out_cum[hi] - self.out_cum[out_start] >= before + need - eps
        ok = (sent >= need - eps) & (burst | pipeline) & (amount >= min_amount)
        # the outflow completing `need`: first position where the running sum reaches it
        done = np.searchsorted(self.out_cum, self.out_cum[lo] + need - eps, side="left")
        done = np.clip(done - 1, 0, max(len(self.out_order) - 1, 0))
        passed = np.zeros(len(e), dtype=bool)
        passed[e] = ok
        hold = np.full(len(e), np.nan)
        hold[e] = np.where(ok, (self.t[self.out_order[done]] - t) / 3_600e6, np.nan)
        return passed, hold


def _periods(
    E: EdgeArrays,
    flows: _Flows,
    passed: npt.NDArray[np.bool_],
    gap_us: int,
    w_us: int,
    min_events: int,
    max_residual: float,
    min_share: float,
) -> list[npt.NDArray[np.int64]]:
    """Passing inflows grouped per (account, currency) into periods split by quiet gaps,
    keeping (vectorised) the periods with enough events, little residue and a large share."""
    idx = np.flatnonzero(passed)
    if idx.size == 0:
        return []
    idx = idx[np.argsort(flows.ac_in[idx], kind="stable")]  # edges are in (time, tie-hash) order
    ac, t = flows.ac_in[idx], E.t[idx]
    new = np.ones(idx.size, dtype=bool)
    new[1:] = (ac[1:] != ac[:-1]) | (t[1:] - t[:-1] > gap_us)
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], idx.size]
    events = ends - starts
    first, last = idx[starts], idx[ends - 1]
    span_end = E.t[last] + w_us
    ilo, ihi = flows.in_range(ac[starts], E.t[first], span_end)
    olo, ohi = flows.out_range(ac[starts], E.t[first], span_end)
    total_in = flows.in_cum[ihi] - flows.in_cum[ilo]
    total_out = flows.out_cum[ohi] - flows.out_cum[olo]
    forwarded = np.divide(total_out, total_in, out=np.zeros_like(total_in), where=total_in > 0)
    ok = (
        (events >= min_events)
        # money stayed, or the account spends far more than passes through it
        & (forwarded >= 1 - max_residual)
        & (forwarded <= 1 / (1 - max_residual))
        # a few quick payments among many inflows that stay: ordinary use
        & (events >= min_share * (ihi - ilo))
    )
    return [idx[s:e] for s, e in zip(starts[ok].tolist(), ends[ok].tolist(), strict=True)]


def _alert(
    E: EdgeArrays,
    flows: _Flows,
    ev: npt.NDArray[np.int64],
    hold: npt.NDArray[np.float64],
    w_us: int,
    label: str,
    pace: str,
    multiplier: float,
    min_fraction: float,
    min_events: int,
    max_residual: float,
    min_share: float,
    reporting_threshold: float,
    top_receiver_share: float,
) -> dict[str, object] | None:
    if ev.size < min_events:
        return None
    ac = flows.ac_in[ev[:1]]
    start, last = int(E.t[ev[0]]), int(E.t[ev[-1]])
    end_t = np.array([last + w_us])
    ilo, ihi = flows.in_range(ac, np.array([start]), end_t)
    olo, ohi = flows.out_range(ac, np.array([start]), end_t)
    total_in = float(flows.in_cum[ihi[0]] - flows.in_cum[ilo[0]])
    total_out = float(flows.out_cum[ohi[0]] - flows.out_cum[olo[0]])
    forwarded = total_out / total_in if total_in > 0 else 0.0
    if not 1 - max_residual <= forwarded <= 1 / (1 - max_residual):
        return None  # money stayed, or the account spends far more than passes through it
    ins = flows.in_order[ilo[0] : ihi[0]]
    if ev.size < min_share * ins.size:
        return None  # a few quick payments among many inflows that stay: ordinary use
    outs = flows.out_order[olo[0] : ohi[0]]
    by_receiver = (
        np.bincount(np.unique(E.dst[outs], return_inverse=True)[1], weights=E.amount[outs])
        if outs.size
        else np.zeros(1)
    )
    top_share = float(by_receiver.max() / total_out) if outs.size else 0.0
    if top_share < top_receiver_share:
        return None  # spread over many payees: ordinary spending, not a relay to a handler
    end = int(E.t[outs].max()) if outs.size else last
    account = str(E.accounts[E.dst[ev[0]]])
    currency = str(E.currencies[E.cur[ev[0]]]) or None
    senders = sorted({str(a) for a in E.accounts[E.src[ins]]})
    receivers = sorted({str(a) for a in E.accounts[E.dst[outs]]})
    f = min(1.0, (forwarded - (1 - max_residual)) / max_residual) if max_residual > 0 else 1.0
    n = min(1.0, ev.size / (3 * min_events))
    v = min(1.0, total_in / reporting_threshold) if reporting_threshold > 0 else 1.0
    score = round(multiplier * (0.5 + 0.2 * f + 0.15 * n + 0.15 * v), 4)
    median_hold = float(np.nanmedian(hold[ev]))
    hold_text = f"{median_hold:.3g} hours" if median_hold < 48 else f"{median_hold / 24:.3g} days"
    reason = (
        f"{account} received {money(total_in, currency)} in {ins.size} transfers from {len(senders)} "
        f"account{'s' if len(senders) != 1 else ''} {span_text(timestamp(start), timestamp(end))} and sent on "
        f"{money(total_out, currency)} ({forwarded:.0%}) to {len(receivers)} account{'s' if len(receivers) != 1 else ''}; "
        f"{ev.size} inflows each went on (at least {min_fraction:.0%}) within {label}, median {hold_text}"
    )
    return {
        "entity": account,
        "score": score,
        "start": timestamp(start),
        "end": timestamp(end),
        "tx_ids": [str(x) for x in E.tx_id[np.concatenate([ins, outs])]],
        "reason": reason,
        "accounts": sorted(set(senders) | set(receivers)),
        "events": int(ev.size),
        "total_in": total_in,
        "total_out": total_out,
        "forwarded_fraction": round(forwarded, 4),
        "median_hold_hours": round(median_hold, 2),
        "top_receiver_share": round(top_share, 4),
        "duration_hours": round((end - start) / 3_600e6, 2),
        "pace": pace,
        "_edges": np.concatenate([ins, outs]),
    }
