"""Scatter-gather and gather-scatter: money split across intermediaries and brought together, in time order."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from finintel.detect._alerts import make_alerts, money
from finintel.detect._graph_kernels import (
    EdgeArrays,
    duration_text,
    edge_arrays,
    span_text,
    timestamp,
    to_us,
    two_hop_pairs,
)
from finintel.detect._graph_screens import Activity, check_fraction, local_rates
from finintel.detect._registry import register
from finintel.errors import ConfigError

__all__ = ["gather_scatter", "scatter_gather"]

SLOW_PACE = 0.6
"""Score multiplier for patterns seen only with `slow_window`."""


@register("scatter_gather", partition="component", horizon=("slow_window",))
def scatter_gather(
    tx: pd.DataFrame,
    *,
    min_intermediaries: int = 3,
    window: str = "7D",
    slow_window: str = "30D",
    min_return: float = 0.8,
    max_degree: int = 1_000,
    reporting_threshold: float = 10_000.0,
    min_value: float = 0.05,
    min_activity_share: float = 0.5,
    slow_activity_share: float = 0.8,
    currency: str | None = None,
    fx_to_local: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Flag money sent from one account through several intermediaries to one destination.

    The pattern ``A -> {B1..Bk} -> C``: each ``Bi`` receives a transfer from ``A`` and, no
    earlier and within `window`, pays ``C`` (same currency) between ``min_return`` and 1 times
    that transfer; at least `min_intermediaries` such ``Bi`` whose first legs lie within
    `window` of the episode's first. The same shape over `slow_window` is reported with a
    lower score unless it shares a first leg with a fast one. Agent tills, branches and
    business numbers (``cash:``, ``paybill:`` keys) are never ``A``, ``Bi`` or ``C``: unrelated
    customers' money meets there. To keep ordinary ledgers quiet (issue 8), a pattern must also
    move at least `min_value` of the reporting threshold and carry at least
    `min_activity_share` of what its intermediaries moved while it ran.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema (only completed rows are used).
    min_intermediaries : int, default 3
        Fewest intermediaries ``k``.
    window : str, default "7D"
        Longest time from a first leg to its second leg, and from the first first leg to the
        last, of a fast pattern.
    slow_window : str, default "30D"
        The same for a slow (structural) pattern (legs spread over weeks).
    min_return : float, default 0.8
        Share of what each intermediary received from ``A`` that it must pay on to ``C``.
    max_degree : int, default 1000
        Intermediaries with more transfers than this (clearing accounts, exchanges) are not followed.
    reporting_threshold : float, default 10_000
        From the jurisdiction profile; a pattern moving this much scores the full value term.
    min_value : float, default 0.05
        Smallest value of one pattern (what ``A`` sent the intermediaries), as a fraction of `reporting_threshold`
        in the profile `currency` (KE: KES 50,000); patterns in a currency with no rate in
        `fx_to_local` are not held to it.
    min_activity_share : float, default 0.5
        Smallest share of the intermediaries' value moved (same currency, first to last transfer of
        the pattern) that the pattern carries: relays that do little else (FATF: mule
        accounts), not ordinary accounts whose other payments happen to fit the shape.
    slow_activity_share : float, default 0.8
        The same for slow patterns (over weeks, chance matches are likelier).
    currency : str, optional
        Profile currency (from the jurisdiction profile); None takes every amount as it is.
    fx_to_local : mapping, optional
        Rates from other currencies to `currency` (from the profile).

    Returns
    -------
    pandas.DataFrame
        Alerts, ``entity`` the source ``A``, with metrics ``accounts`` (``A``, the
        intermediaries, ``C``), ``destination``, ``k``, ``total_out`` (A to the
        intermediaries), ``total_in`` (intermediaries to C), ``retained_fraction``,
        ``duration_hours`` and ``pace``.

    Notes
    -----
    Score in [0, 1]: ``pace * (0.5 + 0.2 * r + 0.15 * n + 0.15 * v)`` with ``pace`` 1 (fast) or
    0.6 (slow), ``r`` the retained fraction scaled from `min_return` (0) to 1 (1),
    ``n = min(1, k / (2 * min_intermediaries))`` and ``v = min(1, total_out / reporting_threshold)``.
    Two-hop paths are listed with a vectorised ``searchsorted`` join; only source-destination
    pairs with enough distinct intermediaries reach the per-pattern code. An intermediary
    splitting what it forwards into several smaller transfers is not matched (each forwarded
    transfer must carry ``min_return`` of the one received).

    References
    ----------
    .. [1] AMLSim typologies (fan-in, fan-out, scatter-gather, gather-scatter, bipartite),
       https://github.com/IBM/AMLSim/wiki
    .. [2] Altman et al. (2023), "Realistic Synthetic Financial Transactions for Anti-Money
       Laundering Models", NeurIPS Datasets and Benchmarks, https://arxiv.org/abs/2306.16424
    .. [3] FATF (2018), "Financial Flows from Human Trafficking",
       https://www.fatf-gafi.org/en/publications/Methodsandtrends/Human-trafficking.html

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([
    ...     ("boss", "m1", 150_000, "2024-03-03 09:00"), ("m1", "cash-out", 145_000, "2024-03-03 15:00"),
    ...     ("boss", "m2", 150_000, "2024-03-03 10:00"), ("m2", "cash-out", 140_000, "2024-03-04 09:00"),
    ...     ("boss", "m3", 150_000, "2024-03-04 08:00"), ("m3", "cash-out", 145_000, "2024-03-05 08:00"),
    ... ])
    >>> alerts = scatter_gather(tx)
    >>> alerts[["entity", "destination", "k", "retained_fraction", "score"]]
      entity destination  k  retained_fraction   score
    0   boss    cash-out  3             0.9556  0.8806
    >>> print(alerts.at[0, "reason"])
    KES 450,000.00 left boss to 3 accounts on 3-4 Mar 2024 and KES 430,000.00 (96%) reached cash-out from them on 3-5 Mar 2024, each leg within 24 hours
    """
    _check(min_intermediaries, min_return, min_activity_share, slow_activity_share)
    E = edge_arrays(tx)
    rows: list[dict[str, object]] = []
    for pace, pairs, w_us, multiplier in _passes(
        E, window, slow_window, max_degree, (min_intermediaries, 1, 1, min_intermediaries)
    ):
        rows += _scatter_gather_rows(
            E, pairs, w_us, pace, multiplier, min_intermediaries, min_return, reporting_threshold
        )
    rows = _screen(
        E, rows, currency, fx_to_local, min_value * reporting_threshold, min_activity_share, slow_activity_share
    )
    return make_alerts("scatter_gather", _drop_slow_duplicates(rows))


@register("gather_scatter", partition="component", horizon=("slow_window", "activity_context"))
def gather_scatter(
    tx: pd.DataFrame,
    *,
    min_sources: int = 3,
    min_destinations: int = 3,
    window: str = "7D",
    slow_window: str = "30D",
    min_return: float = 0.8,
    max_degree: int = 1_000,
    reporting_threshold: float = 10_000.0,
    min_value: float = 0.05,
    min_activity_share: float = 0.8,
    slow_activity_share: float = 0.9,
    activity_context: str = "30D",
    paid_after: float = 0.5,
    slow_paid_after: float = 0.8,
    currency: str | None = None,
    fx_to_local: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Flag an account that collects from several senders and then pays several receivers.

    The pattern ``{A1..Ak} -> M -> {C1..Cj}``: inflows to ``M`` from at least `min_sources`
    accounts, each followed (no earlier, within `window`, same currency) by outflows to at
    least `min_destinations` accounts other than the senders, paying on between
    ``min_return`` and ``1 / min_return`` times what came in. Inflows within `window` of the episode's first form one
    episode; the same shape over `slow_window` scores lower unless it shares an inflow with
    a fast one. Agent tills and business numbers (``cash:``, ``paybill:``) are never ``M``
    and do not count as senders or receivers. To keep ordinary ledgers quiet (issue 8), the
    episode must also take in at least `min_value` of the reporting threshold and carry at
    least `min_activity_share` of all the hub moved from `activity_context` before it to
    `activity_context` after it (a collection account, not a busy wallet).

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema (only completed rows are used).
    min_sources, min_destinations : int, default 3
        Fewest distinct senders into and receivers out of ``M``.
    window : str, default "7D"
        Longest time from an inflow to the outflows it explains, and from the first inflow to
        the last, of a fast pattern.
    slow_window : str, default "30D"
        The same for a slow (structural) pattern, which must also pay out at least
        `slow_paid_after` of the value after its last inflow (gathering first, then scattering).
    min_return : float, default 0.8
        Share of the episode's inflows that must leave again (and the inverse, the most that may leave).
    max_degree : int, default 1000
        Accounts with more transfers than this (clearing accounts, exchanges) are not screened
        here: their volume is ordinary business and listing their paths costs most.
    reporting_threshold : float, default 10_000
        From the jurisdiction profile; a pattern moving this much scores the full value term.
    min_value : float, default 0.05
        Smallest value of one pattern (what ``M`` received), as a fraction of `reporting_threshold`
        in the profile `currency` (KE: KES 50,000); patterns in a currency with no rate in
        `fx_to_local` are not held to it.
    min_activity_share : float, default 0.8
        Smallest share of the hub' value moved (same currency, first to last transfer of
        the pattern) that the pattern carries: relays that do little else (FATF: mule
        accounts), not ordinary accounts whose other payments happen to fit the shape.
    slow_activity_share : float, default 0.9
        The same for slow patterns (over weeks, chance matches are likelier).
    paid_after : float, default 0.5
        Smallest share of a fast pattern's outflows paid after its last inflow (gathering
        first, then scattering; an account that is paid and pays every day, interleaved, is
        ordinary use).
    slow_paid_after : float, default 0.8
        The same for a slow pattern.
    activity_context : str, default "30D"
        The hub's activity share is measured from this long before the pattern's first
        transfer to this long after its last: a collection account that does nothing else
        that month, not a busy wallet whose trading happens to fit the shape.
    currency : str, optional
        Profile currency (from the jurisdiction profile); None takes every amount as it is.
    fx_to_local : mapping, optional
        Rates from other currencies to `currency` (from the profile).

    Returns
    -------
    pandas.DataFrame
        Alerts, ``entity`` the hub ``M``, with metrics ``accounts`` (senders, then
        receivers), ``sources``, ``destinations``, ``total_in``, ``total_out``,
        ``retained_fraction`` (out / in, at most 1), ``duration_hours`` and ``pace``.

    Notes
    -----
    Score in [0, 1]: ``pace * (0.5 + 0.2 * r + 0.15 * n + 0.15 * v)`` as for
    :func:`scatter_gather`, with ``n = min(1, (sources + destinations) / (2 * (min_sources + min_destinations)))``
    and ``v = min(1, total_in / reporting_threshold)``.

    References
    ----------
    .. [1] AMLSim typologies (fan-in, fan-out, scatter-gather, gather-scatter, bipartite),
       https://github.com/IBM/AMLSim/wiki
    .. [2] Altman et al. (2023), "Realistic Synthetic Financial Transactions for Anti-Money
       Laundering Models", NeurIPS Datasets and Benchmarks, https://arxiv.org/abs/2306.16424
    .. [3] FATF (2018), "Financial Flows from Human Trafficking",
       https://www.fatf-gafi.org/en/publications/Methodsandtrends/Human-trafficking.html

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([
    ...     ("family-1", "broker", 60_000, "2024-03-01 09:00"), ("family-2", "broker", 60_000, "2024-03-01 12:00"),
    ...     ("family-3", "broker", 80_000, "2024-03-02 10:00"), ("broker", "driver", 70_000, "2024-03-02 12:00"),
    ...     ("broker", "agent-LY", 90_000, "2024-03-03 08:00"), ("broker", "agent-SD", 30_000, "2024-03-03 09:00"),
    ... ])
    >>> alerts = gather_scatter(tx)
    >>> alerts[["entity", "sources", "destinations", "retained_fraction", "score"]]
       entity  sources  destinations  retained_fraction  score
    0  broker        3             3               0.95  0.875
    >>> print(alerts.at[0, "reason"])
    broker received KES 200,000.00 from 3 accounts on 1-2 Mar 2024 and paid KES 190,000.00 (95%) to 3 other accounts on 2-3 Mar 2024
    """
    _check(min(min_sources, min_destinations), min_return, min_activity_share, slow_activity_share)
    check_fraction("slow_paid_after", slow_paid_after)
    check_fraction("paid_after", paid_after)
    E = edge_arrays(tx)
    rows: list[dict[str, object]] = []
    for pace, pairs, w_us, multiplier in _passes(
        E, window, slow_window, max_degree, (1, min_sources, min_destinations, 1)
    ):
        rows += _gather_scatter_rows(
            E,
            pairs,
            w_us,
            pace,
            multiplier,
            min_sources,
            min_destinations,
            min_return,
            reporting_threshold,
            paid_after if pace == "fast" else slow_paid_after,
        )
    rows = _screen(
        E,
        rows,
        currency,
        fx_to_local,
        min_value * reporting_threshold,
        min_activity_share,
        slow_activity_share,
        to_us(activity_context, "activity_context"),
    )
    return make_alerts("gather_scatter", _drop_slow_duplicates(rows))


def _check(minimum: int, min_return: float, share: float, slow_share: float) -> None:
    check_fraction("min_activity_share", share)
    check_fraction("slow_activity_share", slow_share)
    if minimum < 1:
        raise ConfigError(f"the fewest accounts on each side must be at least 1, got {minimum}")
    if not 0 < min_return <= 1:
        raise ConfigError(f"min_return must be in (0, 1], got {min_return}")


Pairs = dict[str, npt.NDArray[np.int64]]


def _distinct_counterparties(E: EdgeArrays) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per account: how many distinct accounts it paid, and was paid by."""
    links = np.unique(E.src * np.int64(E.n_nodes) + E.dst)
    src, dst = links // E.n_nodes, links % E.n_nodes
    return np.bincount(src, minlength=E.n_nodes), np.bincount(dst, minlength=E.n_nodes)


def _passes(
    E: EdgeArrays, window: str, slow_window: str, max_degree: int, need: tuple[int, int, int, int] | None = None
) -> Iterator[tuple[str, Pairs, int, float]]:
    """The fast pass, then the slow one, each with its two-hop pairs as columns of arrays.

    Pairs pass only through relay accounts (not institutional, at most `max_degree`
    transfers), stay in one currency and start and end at accounts that are not institutional.
    """
    fast_us = to_us(window)
    slow_us = max(to_us(slow_window, "slow_window"), fast_us)
    via, first, last = E.relay(max_degree), ~E.institutional(), ~E.institutional()
    if need is not None:  # static screens: distinct counterparties an account must have at all
        n_out, n_in = _distinct_counterparties(E)
        first &= n_out >= need[0]
        via &= (n_in >= need[1]) & (n_out >= need[2])
        last &= n_in >= need[3]
    e1, e2 = two_hop_pairs(E, slow_us, via=via)
    keep = (E.cur[e1] == E.cur[e2]) & first[E.src[e1]] & last[E.dst[e2]]
    e1, e2 = e1[keep], e2[keep]
    pairs = {
        "e1": e1,
        "e2": e2,
        "a": E.src[e1],
        "m": E.dst[e1],
        "c": E.dst[e2],
        "t1": E.t[e1],
        "t2": E.t[e2],
        "cur": E.cur[e1],
    }
    fast = pairs["t2"] - pairs["t1"] <= fast_us
    yield "fast", {k: v[fast] for k, v in pairs.items()}, fast_us, 1.0
    yield "slow", pairs, slow_us, SLOW_PACE


def _select(pairs: Pairs, mask: npt.NDArray[np.bool_]) -> Pairs:
    return {k: v[mask] for k, v in pairs.items()}


def _groups_with(pairs: Pairs, keys: list[str], count: str, minimum: int) -> npt.NDArray[np.bool_]:
    """Pairs whose group (by `keys`) has at least `minimum` distinct values of `count`."""
    if len(pairs["e1"]) == 0:
        return np.zeros(0, dtype=bool)
    df = pd.DataFrame({k: pairs[k] for k in [*keys, count]})
    n = df.drop_duplicates().groupby(keys).size()
    good = n[n >= minimum].index
    return np.asarray(pd.MultiIndex.from_frame(df[keys]).isin(good), dtype=bool)


def _episodes(pairs: Pairs, keys: list[str], w_us: int) -> tuple[Pairs, npt.NDArray[np.int64]]:
    """Pairs sorted by `keys` then first leg, and each pair's episode number.

    Per group, the first episode starts at the first pair; the next one at the first pair
    whose first leg is more than `w_us` after the current episode's start (greedy, fixed-width
    runs, never chained). Computed for all groups at once by following the "next start"
    pointer, one step per episode.
    """
    order = np.lexsort((pairs["e2"], pairs["e1"], pairs["t1"], *[pairs[k] for k in reversed(keys)]))
    p = {k: v[order] for k, v in pairs.items()}
    n = len(order)
    if n == 0:
        return p, np.zeros(0, dtype=np.int64)
    new_group = np.zeros(n, dtype=bool)
    new_group[0] = True
    for k in keys:
        new_group[1:] |= p[k][1:] != p[k][:-1]
    gid = np.cumsum(new_group) - 1
    times = np.unique(p["t1"])
    n_t = np.int64(len(times) + 1)
    key = gid * n_t + np.searchsorted(times, p["t1"])
    limit = np.searchsorted(times, p["t1"] + w_us, side="right") - 1
    nxt = np.searchsorted(key, gid * n_t + limit, side="right")
    is_start = np.zeros(n, dtype=bool)
    frontier = np.flatnonzero(new_group)
    while frontier.size:
        is_start[frontier] = True
        after = nxt[frontier]
        inside = after < n
        frontier = after[inside][gid[after[inside]] == gid[frontier[inside]]]
    return p, np.cumsum(is_start) - 1


def _slices(ep: npt.NDArray[np.int64], wanted: npt.NDArray[np.int64]) -> list[tuple[int, int]]:
    """(start, end) positions of the episodes numbered in `wanted` (ep is sorted)."""
    lo = np.searchsorted(ep, wanted, side="left")
    hi = np.searchsorted(ep, wanted, side="right")
    return list(zip(lo.tolist(), hi.tolist(), strict=True))


def _scatter_gather_rows(
    E: EdgeArrays,
    pairs: Pairs,
    w_us: int,
    pace: str,
    multiplier: float,
    min_k: int,
    min_return: float,
    reporting_threshold: float,
) -> list[dict[str, object]]:
    a1, a2 = E.amount[pairs["e1"]], E.amount[pairs["e2"]]
    pairs = _select(pairs, (a2 >= min_return * a1) & (a2 <= a1 * (1 + 1e-9)))
    pairs = _select(pairs, _groups_with(pairs, ["a", "c", "cur"], "m", min_k))
    p, ep = _episodes(pairs, ["a", "c", "cur"], w_us)
    if ep.size == 0:
        return []
    # vectorised screen: episodes with at least min_k intermediaries paying on min_return
    df = pd.DataFrame({"ep": ep, "m": p["m"], "e1": p["e1"], "e2": p["e2"]})
    d1, d2 = df.drop_duplicates(["ep", "e1"]), df.drop_duplicates(["ep", "e2"])
    sent = pd.Series(E.amount[d1["e1"].to_numpy()]).groupby([d1["ep"].to_numpy(), d1["m"].to_numpy()]).sum()
    got = pd.Series(E.amount[d2["e2"].to_numpy()]).groupby([d2["ep"].to_numpy(), d2["m"].to_numpy()]).sum()
    got = got.reindex(sent.index, fill_value=0.0)
    good = (np.minimum(sent, got) >= min_return * sent).groupby(level=0).sum()
    wanted = good[good >= min_k].index.to_numpy(dtype=np.int64)
    rows = []
    for i, j in _slices(ep, wanted):
        e1s, e2s = np.unique(p["e1"][i:j]), np.unique(p["e2"][i:j])
        mids, inv1 = np.unique(E.dst[e1s], return_inverse=True)
        pos2 = np.searchsorted(mids, E.src[e2s])
        sent = np.bincount(inv1, weights=E.amount[e1s], minlength=len(mids))
        got = np.bincount(pos2, weights=E.amount[e2s], minlength=len(mids))
        ok = np.minimum(sent, got) >= min_return * sent
        k = int(ok.sum())
        if k < min_k:
            continue
        e1_all, e2_all = e1s[ok[inv1]], e2s[ok[pos2]]
        out, reached = float(sent[ok].sum()), float(got[ok].sum())
        fraction = float(np.minimum(sent, got)[ok].sum()) / out
        in_ep = ok[np.searchsorted(mids, p["m"][i:j])]
        longest = int((p["t2"][i:j] - p["t1"][i:j])[in_ep].max())
        r = (fraction - min_return) / (1 - min_return) if min_return < 1 else 1.0
        n = min(1.0, k / (2 * min_k))
        v = min(1.0, out / reporting_threshold) if reporting_threshold > 0 else 1.0
        currency = str(E.currencies[int(p["cur"][i])]) or None
        first_span = span_text(timestamp(E.t[e1_all].min()), timestamp(E.t[e1_all].max()))
        second_span = span_text(timestamp(E.t[e2_all].min()), timestamp(E.t[e2_all].max()))
        source, dest = str(E.accounts[p["a"][i]]), str(E.accounts[p["c"][i]])
        start, end = int(E.t[e1_all].min()), int(E.t[e2_all].max())
        rows.append(
            {
                "entity": source,
                "score": round(multiplier * (0.5 + 0.2 * r + 0.15 * n + 0.15 * v), 4),
                "start": timestamp(start),
                "end": timestamp(end),
                "tx_ids": [str(x) for x in E.tx_id[np.concatenate([e1_all, e2_all])]],
                "reason": (
                    f"{money(out, currency)} left {source} to {k} accounts {first_span} and "
                    f"{money(reached, currency)} ({fraction:.0%}) reached {dest} from them {second_span}, "
                    f"each leg within {duration_text(longest)}"
                ),
                "accounts": [source, *(str(x) for x in E.accounts[mids[ok]]), dest],
                "destination": dest,
                "k": k,
                "total_out": out,
                "total_in": reached,
                "retained_fraction": round(fraction, 4),
                "duration_hours": round((end - start) / 3_600e6, 2),
                "pace": pace,
                "_first_legs": {int(x) for x in e1_all},
                "_edges": np.concatenate([e1_all, e2_all]),
                "_nodes": mids[ok],
                "_value": out,
            }
        )
    return rows


def _gather_scatter_rows(
    E: EdgeArrays,
    pairs: Pairs,
    w_us: int,
    pace: str,
    multiplier: float,
    min_sources: int,
    min_destinations: int,
    min_return: float,
    reporting_threshold: float,
    paid_after: float,
) -> list[dict[str, object]]:
    # a receiver that also sent to M in the window is paying back, not scattering
    pairs = _select(pairs, pairs["a"] != pairs["c"])
    pairs = _select(pairs, _groups_with(pairs, ["m", "cur"], "a", min_sources))
    pairs = _select(pairs, _groups_with(pairs, ["m", "cur"], "c", min_destinations))
    p, ep = _episodes(pairs, ["m", "cur"], w_us)
    if ep.size == 0:
        return []
    # vectorised screen: enough distinct senders and receivers, value conserved both ways
    df = pd.DataFrame({"ep": ep, "a": p["a"], "c": p["c"], "e1": p["e1"], "e2": p["e2"]})
    n_a = df.drop_duplicates(["ep", "a"]).groupby("ep").size()
    n_c = df.drop_duplicates(["ep", "c"]).groupby("ep").size()
    d1, d2 = df.drop_duplicates(["ep", "e1"]), df.drop_duplicates(["ep", "e2"])
    received = pd.Series(E.amount[d1["e1"].to_numpy()]).groupby(d1["ep"].to_numpy()).sum()
    paid = (
        pd.Series(E.amount[d2["e2"].to_numpy()])
        .groupby(d2["ep"].to_numpy())
        .sum()
        .reindex(received.index, fill_value=0.0)
    )
    ok = (n_a.reindex(received.index) >= min_sources) & (n_c.reindex(received.index) >= min_destinations)
    ok &= (paid >= min_return * received) & (paid <= received / min_return)
    wanted = received.index[ok.to_numpy()].to_numpy(dtype=np.int64)
    rows = []
    for i, j in _slices(ep, wanted):
        e1s, e2s = np.unique(p["e1"][i:j]), np.unique(p["e2"][i:j])
        senders = np.unique(E.src[e1s])
        receivers = np.setdiff1d(np.unique(E.dst[e2s]), senders)
        if len(senders) < min_sources or len(receivers) < min_destinations:
            continue
        received, paid = float(E.amount[e1s].sum()), float(E.amount[e2s].sum())
        if not min_return * received <= paid <= received / min_return:
            continue  # money stayed, or far more left than came in: not the same money
        if E.amount[e2s][E.t[e2s] >= E.t[e1s].max()].sum() < paid_after * paid:
            continue  # collecting and paying out interleaved is ordinary use
        fraction = min(1.0, paid / received)
        r = (fraction - min_return) / (1 - min_return) if min_return < 1 else 1.0
        n = min(1.0, (len(senders) + len(receivers)) / (2 * (min_sources + min_destinations)))
        v = min(1.0, received / reporting_threshold) if reporting_threshold > 0 else 1.0
        currency = str(E.currencies[int(p["cur"][i])]) or None
        hub = str(E.accounts[p["m"][i]])
        start, end = int(E.t[e1s].min()), int(E.t[e2s].max())
        rows.append(
            {
                "entity": hub,
                "score": round(multiplier * (0.5 + 0.2 * r + 0.15 * n + 0.15 * v), 4),
                "start": timestamp(start),
                "end": timestamp(end),
                "tx_ids": [str(x) for x in E.tx_id[np.concatenate([e1s, e2s])]],
                "reason": (
                    f"{hub} received {money(received, currency)} from {len(senders)} accounts "
                    f"{span_text(timestamp(start), timestamp(E.t[e1s].max()))} and paid {money(paid, currency)} "
                    f"({paid / received:.0%}) to {len(receivers)} other accounts "
                    f"{span_text(timestamp(E.t[e2s].min()), timestamp(end))}"
                ),
                "accounts": [*(str(x) for x in E.accounts[senders]), *(str(x) for x in E.accounts[receivers])],
                "sources": len(senders),
                "destinations": len(receivers),
                "total_in": received,
                "total_out": paid,
                "retained_fraction": round(fraction, 4),
                "duration_hours": round((end - start) / 3_600e6, 2),
                "pace": pace,
                "_first_legs": {int(x) for x in e1s},
                "_edges": np.concatenate([e1s, e2s]),
                "_nodes": np.array([p["m"][i]], dtype=np.int64),
                "_value": received,
            }
        )
    return rows


def _screen(
    E: EdgeArrays,
    rows: list[dict[str, object]],
    currency: str | None,
    fx_to_local: Mapping[str, float] | None,
    floor: float,
    share: float,
    slow_share: float,
    context_us: int = 0,
) -> list[dict[str, object]]:
    """Rows moving at least `floor` (profile currency) whose relays' activity the pattern dominates."""
    if not rows:
        return rows
    rates, act = local_rates(E, currency, fx_to_local), Activity(E)
    out = []
    for row in rows:
        edges: npt.NDArray[np.int64] = row.pop("_edges")  # type: ignore[assignment]
        nodes: npt.NDArray[np.int64] = row.pop("_nodes")  # type: ignore[assignment]
        value = float(row.pop("_value")) * rates[E.cur[edges[0]]]  # type: ignore[arg-type]
        if value < floor:  # NaN (no rate) is never below
            continue
        if act.share(nodes, edges, context_us) < (share if row["pace"] == "fast" else slow_share):
            continue  # the relays' other activity dwarfs the pattern: ordinary use
        out.append(row)
    return out


def _drop_slow_duplicates(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Slow patterns sharing a first leg with a fast one of the same entity add nothing: drop them."""
    fast: dict[object, set[int]] = {}
    for row in rows:
        if row["pace"] == "fast":
            fast.setdefault(row["entity"], set()).update(row["_first_legs"])  # type: ignore[arg-type]
    out = []
    for row in rows:
        legs = row.pop("_first_legs")
        if row["pace"] == "slow" and fast.get(row["entity"], set()) & legs:  # type: ignore[operator]
            continue
        out.append(row)
    return out
