"""Cycle: money that goes round a loop of accounts and comes back, hop after hop in time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from finintel.detect._alerts import make_alerts, money
from finintel.detect._graph_kernels import (
    EdgeArrays,
    core_edges,
    duration_text,
    edge_arrays,
    span_text,
    temporal_cycles,
    timestamp,
    to_us,
    window_pairs,
)
from finintel.detect._graph_screens import Activity, check_fraction, local_rates
from finintel.detect._registry import register
from finintel.errors import ConfigError

__all__ = ["cycle"]

SLOW_PACE = 0.6
"""Score multiplier for cycles that close within `slow_window` but not within `window`."""


@register("cycle", partition="component", horizon=("slow_window",))
def cycle(
    tx: pd.DataFrame,
    *,
    max_length: int = 6,
    min_length: int = 2,
    window: str = "7D",
    slow_window: str = "90D",
    min_return: float = 0.8,
    min_amount: float = 0.0,
    reporting_threshold: float = 10_000.0,
    max_degree: int = 1_000,
    max_steps: int = 5_000,
    min_value: float = 0.05,
    min_activity_share: float = 0.5,
    slow_activity_share: float = 0.8,
    slow_min_hops: int = 3,
    currency: str | None = None,
    fx_to_local: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Flag money that leaves an account and comes back to it round a loop, each hop later in time.

    A cycle is a simple loop ``a -> b -> ... -> a`` of 2 to `max_length` transfers in one
    currency where each hop happens no earlier than the one before, the whole loop closes
    within `window` (a *fast* cycle) or `slow_window` (a *slow*, structural one, scored
    lower), and every hop carries between ``min_return`` and 1 times the first leg, so the
    closing leg returns at least ``min_return`` of what left (more coming back than left is
    new money, not the same). Cycles over
    the same accounts that follow one another (gaps under `window`) make one alert; each
    transfer is evidence for one loop only (earlier and fast loops first). An alert's loops
    must also send at least `min_value` of the reporting threshold round and carry at least
    `min_activity_share` of what their members moved while they ran (issue 8: a person moving
    money between their own bank account and wallet among many other payments is not a loop
    of laundered money).

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema (only completed rows are used).
    max_length, min_length : int, default 6 and 2
        Most and fewest hops in a loop (2 to 10). Two-hop loops are also plain loan repayments;
        raise `min_length` to 3 to see only loops through a third party.
    window : str, default "7D"
        Longest time from the first to the last hop of a fast cycle.
    slow_window : str, default "90D"
        Longest time for a slow cycle; slow cycles sharing a transfer with a fast one are dropped.
    min_return : float, default 0.8
        Smallest share of the first leg each hop, and so the returning leg, must carry.
    min_amount : float, default 0
        Smallest first leg considered, in the transactions' currency.
    reporting_threshold : float, default 10_000
        From the jurisdiction profile; a loop moving this much scores the full value term.
    max_degree : int, default 1000
        Accounts with more transfers than this (clearing accounts, exchanges) are left out, as
        are agent tills, branches and business numbers (``cash:``, ``paybill:`` keys): cash paid
        in at an agent is not the cash paid out, so a loop through one is not a loop of money.
    max_steps : int, default 5_000
        Search expansions per start transfer (bounds work around hub accounts).
    min_value : float, default 0.05
        Smallest value sent round the loop(s) of one alert (first legs), as a fraction of
        `reporting_threshold` in the profile `currency` (KE: KES 50,000). Loops in a currency
        with no rate in `fx_to_local` are not held to it.
    min_activity_share : float, default 0.5
        Smallest share of the loop members' value moved (same currency, first to last hop)
        that the loops carry: money going round between accounts that do little else, not
        one transfer back among a busy account's ordinary payments.
    slow_activity_share : float, default 0.8
        The same for slow loops (over weeks, chance loops are likelier).
    slow_min_hops : int, default 3
        Fewest hops of a slow loop: money sent and paid back between two accounts over weeks
        is a loan repaid, or a person's own bank account and wallet (or exchange account and
        wallet), far more often than laundering.
    currency : str, optional
        Profile currency (from the jurisdiction profile); None takes every amount as it is.
    fx_to_local : mapping, optional
        Rates from other currencies to `currency` (from the profile).

    Returns
    -------
    pandas.DataFrame
        Alerts (``ALERT_COLUMNS``) with metrics ``accounts`` (loop members in order from the
        first sender), ``hops``, ``cycles``, ``total_out`` (first legs), ``total_returned``
        (closing legs), ``returned_fraction``, ``duration_hours`` (longest loop) and ``pace``
        (``fast`` or ``slow``). ``entity`` is the lexicographically smallest member.

    Notes
    -----
    Score in [0, 1]: ``pace * (0.5 + 0.2 * r + 0.15 * h + 0.15 * v)`` where ``pace`` is 1 for
    a fast and 0.6 for a slow cycle, ``r = (returned_fraction - min_return) / (1 - min_return)``
    clipped to [0, 1], ``h = min(1, (hops - 1) / 2)`` (a two-hop back-and-forth between one
    person's bank account and wallet is common; a loop through three or more parties is
    not) and ``v = min(1, total_out / reporting_threshold)``.
    The search never enumerates the cycles of the whole graph: it trims the graph to its
    directed 2-core, then runs a depth-first search from each remaining transfer bounded by
    hops, time, amount band and `max_steps`. Transfers in different currencies are never
    chained (no exchange rate is assumed).

    References
    ----------
    .. [1] AMLSim typologies (cycle), https://github.com/IBM/AMLSim/wiki
    .. [2] Altman et al. (2023), "Realistic Synthetic Financial Transactions for Anti-Money
       Laundering Models", NeurIPS Datasets and Benchmarks, https://arxiv.org/abs/2306.16424
    .. [3] FATF (2018), "Financial Flows from Human Trafficking",
       https://www.fatf-gafi.org/en/publications/Methodsandtrends/Human-trafficking.html

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([
    ...     ("acct-A", "acct-B", 100_000, "2024-03-01 09:00"),
    ...     ("acct-B", "acct-C", 97_000, "2024-03-02 10:00"),
    ...     ("acct-C", "acct-A", 95_000, "2024-03-03 11:00"),
    ...     ("acct-A", "acct-D", 5_000, "2024-03-04 11:00"),
    ... ])
    >>> alerts = cycle(tx)
    >>> alerts[["entity", "hops", "returned_fraction", "score"]]
       entity  hops  returned_fraction  score
    0  acct-A     3               0.95   0.95
    >>> list(alerts.at[0, "tx_ids"])
    ['t1', 't2', 't3']
    >>> print(alerts.at[0, "reason"])
    KES 100,000.00 left acct-A on 1 Mar 2024 and KES 95,000.00 (95%) came back to it through acct-B, acct-C within 2.08 days (3 hops)
    """
    if not 2 <= min_length <= max_length <= 10:
        raise ConfigError(
            f"cycle lengths must satisfy 2 <= min_length <= max_length <= 10, got {min_length} and {max_length}"
        )
    if not 0 < min_return <= 1:
        raise ConfigError(f"min_return must be in (0, 1], got {min_return}")
    for name, value in (("min_activity_share", min_activity_share), ("slow_activity_share", slow_activity_share)):
        check_fraction(name, value)
    fast_us, slow_us = to_us(window), to_us(slow_window, "slow_window")
    slow_us = max(slow_us, fast_us)
    E = edge_arrays(tx)
    relay = E.relay(max_degree)
    mask = core_edges(E, (E.amount >= min_amount) & relay[E.src] & relay[E.dst])
    starts = _possible_starts(E, mask, slow_us, min_return)
    found = temporal_cycles(
        E,
        window_us=slow_us,
        min_return=min_return,
        max_length=max_length,
        edge_mask=mask,
        max_steps=max_steps,
        starts=starts,
    )
    found = [c for c in found if len(c) >= min_length]
    used: set[int] = set()
    fast = _disjoint([c for c in found if E.t[c[-1]] - E.t[c[0]] <= fast_us], used)
    slow = _disjoint([c for c in found if E.t[c[-1]] - E.t[c[0]] > fast_us], used)
    rates, act = local_rates(E, currency, fx_to_local), Activity(E)
    floor = min_value * reporting_threshold
    rows = []
    for pace, cycles, multiplier, share in (
        ("fast", fast, 1.0, min_activity_share),
        ("slow", slow, SLOW_PACE, slow_activity_share),
    ):
        for episode in _episodes(E, cycles, fast_us):
            if pace == "slow" and len(episode[0]) < slow_min_hops:
                continue
            edges = np.array([e for c in episode for e in c], dtype=np.int64)
            value = float(sum(E.amount[c[0]] for c in episode)) * rates[E.cur[edges[0]]]
            if value < floor:  # NaN (no rate) is never below
                continue
            if act.share(np.unique(E.src[edges]), edges) < share:
                continue  # the members' other activity dwarfs the loop: ordinary use
            rows.append(_alert(E, episode, pace, multiplier, min_return, reporting_threshold))
    return make_alerts("cycle", rows)


def _possible_starts(E: EdgeArrays, mask: npt.NDArray[np.bool_], w_us: int, min_return: float) -> npt.NDArray[np.int64]:
    """Start transfers whose receiver pays on, and whose sender is paid back, an amount in the
    band within the window (vectorised necessary conditions before the search)."""
    cand = np.flatnonzero(mask)
    found = []
    for nodes, side in ((E.dst[cand], "out"), (E.src[cand], "in")):
        a, e = window_pairs(E, cand, nodes, w_us, side=side)
        a1, a2 = E.amount[a], E.amount[e]
        ok = mask[e] & (e != a) & (E.cur[e] == E.cur[a]) & (a2 >= min_return * a1) & (a2 <= a1 * (1 + 1e-9))
        found.append(np.unique(a[ok]))
    return np.intersect1d(found[0], found[1])


def _disjoint(cycles: list[tuple[int, ...]], used: set[int]) -> list[tuple[int, ...]]:
    """Cycles in time order, each kept only if none of its transfers is in an earlier kept one."""
    out = []
    for c in cycles:
        if used.isdisjoint(c):
            out.append(c)
            used.update(c)
    return out


def _episodes(E: EdgeArrays, cycles: list[tuple[int, ...]], gap_us: int) -> list[list[tuple[int, ...]]]:
    """Cycles over the same accounts, grouped while each starts within `gap_us` of the previous end."""
    by_members: dict[tuple[int, ...], list[tuple[int, ...]]] = defaultdict(list)
    for c in cycles:
        by_members[tuple(sorted(int(E.src[e]) for e in c))].append(c)
    out = []
    for members in sorted(by_members):
        group = sorted(by_members[members], key=lambda c: (E.t[c[0]], c))
        current = [group[0]]
        end = int(E.t[group[0][-1]])
        for c in group[1:]:
            if int(E.t[c[0]]) > end + gap_us:
                out.append(current)
                current = []
            current.append(c)
            end = max(end, int(E.t[c[-1]]))
        out.append(current)
    return out


def _alert(
    E: EdgeArrays,
    episode: list[tuple[int, ...]],
    pace: str,
    multiplier: float,
    min_return: float,
    reporting_threshold: float,
) -> dict[str, object]:
    first = episode[0]
    members = [str(E.accounts[E.src[e]]) for e in first]
    entity = min(members)
    out = float(sum(E.amount[c[0]] for c in episode))
    back = float(sum(E.amount[c[-1]] for c in episode))
    fraction = back / out
    start = int(min(E.t[c[0]] for c in episode))
    end = int(max(E.t[c[-1]] for c in episode))
    longest = int(max(E.t[c[-1]] - E.t[c[0]] for c in episode))
    r = float(np.clip((fraction - min_return) / (1 - min_return), 0, 1)) if min_return < 1 else 1.0
    v = min(1.0, out / reporting_threshold) if reporting_threshold > 0 else 1.0
    h = min(1.0, (len(first) - 1) / 2)
    score = round(multiplier * (0.5 + 0.2 * r + 0.15 * h + 0.15 * v), 4)
    currency = str(E.currencies[E.cur[first[0]]]) or None
    origin = members[0]
    via = ", ".join(members[1:])
    when = span_text(timestamp(start), timestamp(end))
    if len(episode) == 1:
        reason = (
            f"{money(out, currency)} left {origin} {span_text(timestamp(start), timestamp(start))} "
            f"and {money(back, currency)} ({fraction:.0%}) came back to it through {via} within {duration_text(longest)} "
            f"({len(first)} hops)"
        )
    else:
        reason = (
            f"{len(episode)} loops {' -> '.join([*members, origin])} {when}: {money(out, currency)} left {origin} "
            f"and {money(back, currency)} ({fraction:.0%}) came back, each loop within {duration_text(longest)}"
        )
    return {
        "entity": entity,
        "score": score,
        "start": timestamp(start),
        "end": timestamp(end),
        "tx_ids": [str(E.tx_id[e]) for c in episode for e in c],
        "reason": reason,
        "accounts": members,
        "hops": len(first),
        "cycles": len(episode),
        "total_out": out,
        "total_returned": back,
        "returned_fraction": round(fraction, 4),
        "duration_hours": round(longest / 3_600e6, 2),
        "pace": pace,
    }
