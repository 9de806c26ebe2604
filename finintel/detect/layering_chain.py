"""Layering chain: money passed on hop after hop, each hop soon after the last and keeping most of the value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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

__all__ = ["layering_chain"]

SLOW_PACE = 0.6
"""Score multiplier for chains whose hops follow within `slow_window` but not `window`."""


def _horizon(params: Mapping[str, Any]) -> pd.Timedelta:
    """A chain of `max_hops` hops, each within `slow_window` of the last, plus the closing-loop check after it."""
    return pd.Timedelta(params["slow_window"]) * (int(params["max_hops"]) + 1)


@register("layering_chain", partition="component", horizon=_horizon)
def layering_chain(
    tx: pd.DataFrame,
    *,
    min_hops: int = 3,
    max_hops: int = 10,
    window: str = "3D",
    slow_window: str = "30D",
    min_keep: float = 0.8,
    max_degree: int = 1_000,
    reporting_threshold: float = 10_000.0,
    min_value: float = 0.05,
    min_activity_share: float = 0.5,
    slow_activity_share: float = 0.8,
    drop_loops: bool = True,
    currency: str | None = None,
    fx_to_local: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Flag chains of transfers ``a -> b -> c -> d ...`` where each hop passes on most of the last.

    A chain is a time-ordered path of at least `min_hops` transfers in one currency: each
    hop leaves the account the previous hop paid into, no earlier than that hop and within
    `window` of it, carrying between `min_keep` and 1 times the previous hop's amount; no
    account appears twice. A chain never passes through, or starts at, an agent till, branch or
    business number (``cash:``, ``paybill:`` keys), though it may end at one (a cash-out).
    A chain must also start with at least `min_value` of the reporting threshold and carry at
    least `min_activity_share` of what its intermediate accounts moved while it ran; a chain
    whose last account pays the first is a piece of a loop, left to ``cycle``.
    Only maximal chains are reported (none lies inside a longer one),
    the longest from each first transfer. Chains whose hops follow within `slow_window` but
    not `window` are reported with a lower score, unless they share a transfer with a fast chain;
    with gaps of weeks, amount matches by chance are likelier, so a slow chain must also keep
    `min_keep` of the first hop's amount overall, not only hop by hop.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema (only completed rows are used).
    min_hops, max_hops : int, default 3 and 10
        Shortest chain reported; longest followed.
    window : str, default "3D"
        Longest time between consecutive hops of a fast chain.
    slow_window : str, default "30D"
        Longest time between consecutive hops of a slow (structural) chain.
    min_keep : float, default 0.8
        Smallest share of the previous hop's amount a hop must carry.
    max_degree : int, default 1000
        Accounts with more transfers than this (clearing accounts, exchanges) end a chain.
    reporting_threshold : float, default 10_000
        From the jurisdiction profile; a chain starting with this much scores the full value term.
    min_value : float, default 0.05
        Smallest first hop, as a fraction of `reporting_threshold` in the profile `currency`
        (KE: KES 50,000); chains in a currency with no rate in `fx_to_local` are not held to it.
    min_activity_share : float, default 0.5
        Smallest share of the intermediate accounts' value moved (same currency, first to
        last hop) that the chain carries: layers that do little else (FATF: mule accounts),
        not busy accounts whose ordinary payments happen to line up.
    slow_activity_share : float, default 0.8
        The same for slow chains (over weeks, chance matches are likelier).
    drop_loops : bool, default True
        Leave out chains whose last account pays the first (same currency, within the
        chain's window of it, between `min_keep` times the smallest hop and the largest hop
        over `min_keep`): each is a piece of a loop, reported once, whole, by ``cycle``.
    currency : str, optional
        Profile currency (from the jurisdiction profile); None takes every amount as it is.
    fx_to_local : mapping, optional
        Rates from other currencies to `currency` (from the profile).

    Returns
    -------
    pandas.DataFrame
        Alerts, ``entity`` the origin account, with metrics ``accounts`` (the path),
        ``hops``, ``total_out`` (first hop), ``total_in`` (last hop), ``retained_fraction``
        (last / first), ``duration_hours`` and ``pace``.

    Notes
    -----
    Score in [0, 1]: ``pace * (0.5 + 0.2 * retained_fraction + 0.15 * h + 0.15 * v)`` with
    ``pace`` 1 (fast) or 0.6 (slow), ``h = min(1, hops / 6)`` and
    ``v = min(1, total_out / reporting_threshold)``.
    Longest chains come from dynamic programming over the vectorised list of consecutive hop
    pairs (``L[e2] = max(L[e1] + 1)``, at most `max_hops` rounds of ``numpy.maximum.at``),
    then each chain is read back through its best predecessor.

    References
    ----------
    .. [1] AMLSim typologies (stack, fan-out chains), https://github.com/IBM/AMLSim/wiki
    .. [2] Altman et al. (2023), "Realistic Synthetic Financial Transactions for Anti-Money
       Laundering Models", NeurIPS Datasets and Benchmarks, https://arxiv.org/abs/2306.16424
    .. [3] FATF (2018), "Financial Flows from Human Trafficking" (layering through mule
       accounts), https://www.fatf-gafi.org/en/publications/Methodsandtrends/Human-trafficking.html

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([
    ...     ("recruiter", "mule-1", 500_000, "2024-03-03 09:00"),
    ...     ("mule-1", "mule-2", 490_000, "2024-03-03 15:00"),
    ...     ("mule-2", "mule-3", 480_000, "2024-03-04 10:00"),
    ...     ("mule-3", "trx:TWallet", 470_000, "2024-03-05 08:00"),
    ...     ("mule-2", "shop", 2_000, "2024-03-04 11:00"),
    ... ])
    >>> alerts = layering_chain(tx)
    >>> alerts[["entity", "hops", "retained_fraction", "score"]]
          entity  hops  retained_fraction   score
    0  recruiter     4               0.94  0.938
    >>> print(alerts.at[0, "reason"])
    KES 500,000.00 left recruiter on 3 Mar 2024 and went through 3 accounts in 4 hops to trx:TWallet on 3-5 Mar 2024, KES 470,000.00 (94%) arriving; each hop within 22 hours of the last
    """
    if not 2 <= min_hops <= max_hops <= 50:
        raise ConfigError(f"chain lengths must satisfy 2 <= min_hops <= max_hops <= 50, got {min_hops} and {max_hops}")
    if not 0 < min_keep <= 1:
        raise ConfigError(f"min_keep must be in (0, 1], got {min_keep}")
    check_fraction("min_activity_share", min_activity_share)
    check_fraction("slow_activity_share", slow_activity_share)
    fast_us = to_us(window)
    slow_us = max(to_us(slow_window, "slow_window"), fast_us)
    E = edge_arrays(tx)
    e1, e2 = two_hop_pairs(E, slow_us, via=E.relay(max_degree))
    a1, a2 = E.amount[e1], E.amount[e2]
    ok = (E.cur[e1] == E.cur[e2]) & (a2 >= min_keep * a1) & (a2 <= a1 * (1 + 1e-9)) & ~E.institutional()[E.src[e1]]
    e1, e2 = e1[ok], e2[ok]
    fast = E.t[e2] - E.t[e1] <= fast_us
    used: set[int] = set()
    rows: list[dict[str, object]] = []
    rates, act = local_rates(E, currency, fx_to_local), Activity(E)
    floor = min_value * reporting_threshold
    for pace, sel, multiplier, share in (
        ("fast", fast, 1.0, min_activity_share),
        ("slow", np.ones_like(fast), SLOW_PACE, slow_activity_share),
    ):
        for chain in _chains(E, e1[sel], e2[sel], min_hops, max_hops):
            if pace == "slow" and (used.intersection(chain) or E.amount[chain[-1]] < min_keep * E.amount[chain[0]]):
                continue  # slow: already reported fast, or lost more than min_keep overall (coincidence)
            if E.amount[chain[0]] * rates[E.cur[chain[0]]] < floor:  # NaN (no rate) is never below
                continue
            if drop_loops and _closes(E, chain, fast_us if pace == "fast" else slow_us, min_keep):
                continue  # a piece of a loop: the cycle detector reports the whole loop
            edges = np.array(chain, dtype=np.int64)
            if act.share(E.src[edges[1:]], edges) < share:
                continue  # the layers' other activity dwarfs the chain: ordinary payments lining up
            used.update(chain)
            rows.append(_alert(E, chain, pace, multiplier, reporting_threshold))
    return make_alerts("layering_chain", rows)


def _chains(
    E: EdgeArrays, e1: npt.NDArray[np.int64], e2: npt.NDArray[np.int64], min_hops: int, max_hops: int
) -> list[list[int]]:
    """Maximal chains of at least `min_hops` hops, the longest per first transfer."""
    if e1.size == 0:
        return []
    length = np.ones(E.n_edges, dtype=np.int64)
    for _ in range(max_hops - 1):
        new = length.copy()
        np.maximum.at(new, e2, length[e1] + 1)
        new = np.minimum(new, max_hops)
        if np.array_equal(new, length):
            break
        length = new
    # best predecessor of each edge: longest chain behind it, then the larger amount, then the earlier edge
    order = np.lexsort((e1, -E.amount[e1], -length[e1], e2))
    first = np.ones(order.size, dtype=bool)
    first[1:] = e2[order][1:] != e2[order][:-1]
    pred = np.full(E.n_edges, -1, dtype=np.int64)
    pred[e2[order][first]] = e1[order][first]
    best: dict[int, list[int]] = {}
    for end in np.flatnonzero(length >= min_hops).tolist():
        chain = _walk_back(E, pred, end, max_hops)
        if len(chain) < min_hops:
            continue
        key = chain[0]
        if key not in best or _better(E, chain, best[key]):
            best[key] = chain
    # drop chains lying inside a longer one (a suffix, or a piece cut where an account repeats)
    kept: list[list[int]] = []
    holding: dict[int, list[set[int]]] = {}
    for chain in sorted(best.values(), key=lambda c: (-len(c), c)):
        edges = set(chain)
        if any(edges <= other for other in holding.get(chain[0], [])):
            continue
        kept.append(chain)
        for e in chain:
            holding.setdefault(e, []).append(edges)
    return sorted(kept, key=lambda c: (int(E.t[c[0]]), c))


def _closes(E: EdgeArrays, chain: list[int], w_us: int, min_keep: float) -> bool:
    """Whether the chain's last account pays its first one, within `w_us` of the chain, an amount in band."""
    start, end = int(E.src[chain[0]]), int(E.dst[chain[-1]])
    out = E.out_idx[E.out_ptr[end] : E.out_ptr[end + 1]]
    back = out[E.dst[out] == start]
    if back.size == 0:
        return False
    amounts = E.amount[chain]
    t = E.t[back]
    ok = (
        (E.cur[back] == E.cur[chain[0]])
        & (t >= E.t[chain[0]] - w_us)
        & (t <= E.t[chain[-1]] + w_us)
        & (E.amount[back] >= min_keep * amounts.min())
        & (E.amount[back] <= amounts.max() / min_keep)
    )
    return bool(ok.any())


def _walk_back(E: EdgeArrays, pred: npt.NDArray[np.int64], end: int, max_hops: int) -> list[int]:
    chain = [end]
    seen = {int(E.dst[end]), int(E.src[end])}
    while len(chain) < max_hops:
        p = int(pred[chain[-1]])
        if p < 0 or int(E.src[p]) in seen:
            break
        seen.add(int(E.src[p]))
        chain.append(p)
    return chain[::-1]


def _better(E: EdgeArrays, a: list[int], b: list[int]) -> bool:
    return (len(a), float(E.amount[a[-1]]), [-x for x in a]) > (len(b), float(E.amount[b[-1]]), [-x for x in b])


def _alert(
    E: EdgeArrays, chain: list[int], pace: str, multiplier: float, reporting_threshold: float
) -> dict[str, object]:
    path = [str(E.accounts[E.src[e]]) for e in chain] + [str(E.accounts[E.dst[chain[-1]]])]
    first, last = float(E.amount[chain[0]]), float(E.amount[chain[-1]])
    fraction = last / first
    start, end = int(E.t[chain[0]]), int(E.t[chain[-1]])
    gaps = np.diff(E.t[chain])
    h = min(1.0, len(chain) / 6)
    v = min(1.0, first / reporting_threshold) if reporting_threshold > 0 else 1.0
    currency = str(E.currencies[E.cur[chain[0]]]) or None
    reason = (
        f"{money(first, currency)} left {path[0]} {span_text(timestamp(start), timestamp(start))} and went through "
        f"{len(path) - 2} accounts in {len(chain)} hops to {path[-1]} {span_text(timestamp(start), timestamp(end))}, "
        f"{money(last, currency)} ({fraction:.0%}) arriving; each hop within {duration_text(int(gaps.max()))} of the last"
    )
    return {
        "entity": path[0],
        "score": round(multiplier * (0.5 + 0.2 * fraction + 0.15 * h + 0.15 * v), 4),
        "start": timestamp(start),
        "end": timestamp(end),
        "tx_ids": [str(E.tx_id[e]) for e in chain],
        "reason": reason,
        "accounts": path,
        "hops": len(chain),
        "total_out": first,
        "total_in": last,
        "retained_fraction": round(fraction, 4),
        "duration_hours": round((end - start) / 3_600e6, 2),
        "pace": pace,
    }
