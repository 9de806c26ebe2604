"""Array kernels for the time-respecting graph detectors (scatter-gather, cycle, chain, pass-through).

NetworkX costs about 10 µs per edge to build and its cycle search is unbounded, so the
graph detectors work on plain numpy arrays instead:

- :func:`edge_arrays` turns a transactions frame into integer-coded edges sorted by
  ``(timestamp, tx_id)`` (so results never depend on row order), with CSR adjacency
  (``out_ptr``/``out_idx`` grouped by sender, ``in_ptr``/``in_idx`` by receiver, each
  block sorted by time).
- :func:`two_hop_pairs` lists, fully vectorised with ``searchsorted``, every pair of edges
  ``x -> u`` then ``u -> y`` where the second follows the first within a window.
- :func:`core_edges` trims the static graph to its directed 2-core (accounts that both
  send and receive, repeatedly), the only place a cycle can live.
- :func:`temporal_cycles` runs a bounded depth-first search from each candidate start
  edge: hops later in time, within the window, amounts in a band around the first leg,
  at most ``max_length`` hops and ``max_steps`` expansions per start edge.

Hops with the *same* timestamp count as in order (sources with dates only, such as many
bank statements, would otherwise lose every same-day hop); paths never revisit an account.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from finintel.errors import ConfigError

__all__ = [
    "EXCHANGE_PSEUDO",
    "INSTITUTIONAL",
    "EdgeArrays",
    "core_edges",
    "duration_text",
    "edge_arrays",
    "span_text",
    "temporal_cycles",
    "timestamp",
    "to_us",
    "two_hop_pairs",
    "time_ranks",
    "window_pairs",
]

INSTITUTIONAL = ("cash:", "paybill:", "fee:")
"""Key namespaces of agent tills, branches and business numbers, and of the charges, taxes and interest
booked on an account (``fee:``): the money of unrelated customers meets at a till, and money spent on
charges goes nowhere, so a path never passes through one (cash paid in at an agent is not the cash paid
out; a charge is not a transfer to a person)."""

EXCHANGE_PSEUDO = ("/convert", "/external", "/funding", "/platform")
"""Endings of the pseudo-accounts the exchange reader books around a user's wallet
(``exch:<exchange>/<user>/convert`` for trades, ``/external`` for the unknown outside,
``/funding`` for a card or bank, ``exch:<exchange>/platform`` for fees and rewards): treated
like institutional keys, so a trade and its reverse leg never look like a loop or a chain."""

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class EdgeArrays:
    """Integer-coded edges of a transactions frame, sorted by ``(timestamp, tx_id)``.

    ``accounts[src[i]] -> accounts[dst[i]]`` moved ``amount[i]`` of ``currencies[cur[i]]``
    at ``t[i]`` (microseconds since the epoch, UTC) in transaction ``tx_id[i]``.
    ``out_idx[out_ptr[n]:out_ptr[n + 1]]`` are the edges account ``n`` sent, in time order;
    ``in_idx[in_ptr[n]:in_ptr[n + 1]]`` the ones it received.
    """

    accounts: npt.NDArray[np.object_]
    tx_id: npt.NDArray[np.object_]
    src: IntArray
    dst: IntArray
    t: IntArray
    amount: FloatArray
    cur: IntArray
    currencies: npt.NDArray[np.object_]
    out_ptr: IntArray
    out_idx: IntArray
    in_ptr: IntArray
    in_idx: IntArray

    @property
    def n_edges(self) -> int:
        return int(self.src.shape[0])

    @property
    def n_nodes(self) -> int:
        return int(self.accounts.shape[0])

    def degree(self) -> IntArray:
        """Edges sent plus edges received, per account."""
        return np.diff(self.out_ptr) + np.diff(self.in_ptr)

    def institutional(self) -> BoolArray:
        """Accounts whose key stands for a till, branch or business number (:data:`INSTITUTIONAL`)
        or an exchange's bookkeeping pseudo-account (:data:`EXCHANGE_PSEUDO`).

        >>> from finintel.testing import transactions
        >>> E = edge_arrays(transactions([("exch:binance/42", "exch:binance/42/convert", 1, "2024-03-01"),
        ...                               ("cash:agent-7", "msisdn:+254700000001", 1, "2024-03-01"),
        ...                               ("msisdn:+254700000001", "fee:msisdn:+254700000001", 1, "2024-03-01")]))
        >>> dict(zip(E.accounts, E.institutional().tolist()))  # doctest: +NORMALIZE_WHITESPACE
        {'cash:agent-7': True, 'exch:binance/42': False, 'exch:binance/42/convert': True,
         'fee:msisdn:+254700000001': True, 'msisdn:+254700000001': False}
        """
        keys = self.accounts.astype(str)
        out = np.zeros(keys.shape, dtype=bool)
        for prefix in INSTITUTIONAL:
            out |= np.char.startswith(keys, prefix)
        exch = np.char.startswith(keys, "exch:")
        for ending in EXCHANGE_PSEUDO:
            out |= exch & np.char.endswith(keys, ending)
        return out

    def relay(self, max_degree: int) -> BoolArray:
        """Accounts a path may pass through: at most `max_degree` transfers and not institutional."""
        return (self.degree() <= max_degree) & ~self.institutional()


def to_us(window: str | pd.Timedelta, name: str = "window") -> int:
    """A pandas offset alias (``"24h"``, ``"30D"``) as whole microseconds.

    >>> to_us("24h")
    86400000000
    """
    try:
        delta = pd.Timedelta(window)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{name} must be a duration such as '24h' or '30D', got {window!r}") from exc
    if pd.isna(delta) or delta <= pd.Timedelta(0):
        raise ConfigError(f"{name} must be a positive duration such as '24h' or '30D', got {window!r}")
    return int(delta // pd.Timedelta(1, "us"))


def edge_arrays(tx: pd.DataFrame) -> EdgeArrays:
    """Edges of `tx` as arrays; self-transfers and rows without a positive amount are left out.

    >>> from finintel.testing import transactions
    >>> E = edge_arrays(transactions([("b", "a", 5, "2024-03-02"), ("a", "b", 9, "2024-03-01")]))
    >>> list(E.tx_id), list(E.accounts[E.src]), E.out_ptr.tolist()
    (['t2', 't1'], ['a', 'b'], [0, 1, 2])
    """
    sender = tx["sender"].to_numpy(dtype=object, na_value=None)
    receiver = tx["receiver"].to_numpy(dtype=object, na_value=None)
    amount = tx["amount"].to_numpy(dtype=np.float64, na_value=np.nan)
    codes, uniques = pd.factorize(np.concatenate([sender, receiver]), use_na_sentinel=True)
    # account codes follow the sorted keys, so that codes never depend on row order
    rank = np.empty(len(uniques), dtype=np.int64)
    by_key = np.argsort(np.asarray(uniques, dtype=str), kind="stable")
    rank[by_key] = np.arange(len(uniques))
    n_rows = len(tx)
    s_code, r_code = codes[:n_rows], codes[n_rows:]
    keep = (s_code >= 0) & (r_code >= 0) & (s_code != r_code) & (amount > 0)
    t_all = _micros(tx["timestamp"])
    ids = tx["tx_id"].astype(str).to_numpy(dtype=object)
    rows = np.flatnonzero(keep)
    # time order; ties broken by a hash of the tx_id (deterministic, row-order free, vectorised),
    # hashed only for the rows that share a timestamp
    rows = rows[np.argsort(t_all[rows], kind="stable")]
    t_rows = t_all[rows]
    tied = np.zeros(rows.size, dtype=bool)
    tied[1:] = t_rows[1:] == t_rows[:-1]
    tied[:-1] |= tied[1:]
    if tied.any():
        tie = np.zeros(rows.size, dtype=np.int64)
        tie[tied] = pd.util.hash_array(ids[rows[tied]]).view(np.int64)
        rows = rows[np.lexsort((tie, t_rows))]
    accounts = np.asarray(uniques, dtype=object)[by_key] if len(uniques) else np.empty(0, dtype=object)
    src = rank[s_code[rows]] if rows.size else np.empty(0, dtype=np.int64)
    dst = rank[r_code[rows]] if rows.size else np.empty(0, dtype=np.int64)
    currency = tx["currency"].to_numpy(dtype=object, na_value="")[rows]
    cur_codes, currencies = pd.factorize(currency, sort=True)
    cur = cur_codes.astype(np.int64)
    df = {"tx_id": ids[rows], "t": t_all[rows], "amount": amount[rows]}
    n = len(accounts)
    out_idx = np.argsort(src, kind="stable").astype(np.int64)  # edges already in time order
    in_idx = np.argsort(dst, kind="stable").astype(np.int64)
    out_ptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))]).astype(np.int64)
    in_ptr = np.concatenate([[0], np.cumsum(np.bincount(dst, minlength=n))]).astype(np.int64)
    return EdgeArrays(
        accounts=accounts,
        tx_id=df["tx_id"],
        src=src.astype(np.int64),
        dst=dst.astype(np.int64),
        t=df["t"].astype(np.int64),
        amount=df["amount"].astype(np.float64),
        cur=cur,
        currencies=np.asarray(currencies, dtype=object),
        out_ptr=out_ptr,
        out_idx=out_idx,
        in_ptr=in_ptr,
        in_idx=in_idx,
    )


def _micros(ts: pd.Series) -> IntArray:
    if str(ts.dtype) != "datetime64[us, UTC]":
        ts = pd.to_datetime(ts, utc=True)
    values = ts.dt.tz_convert(None).to_numpy(dtype="datetime64[us]")
    return values.astype(np.int64)


def two_hop_pairs(E: EdgeArrays, window_us: int, *, via: BoolArray | None = None) -> tuple[IntArray, IntArray]:
    """Every pair of edges ``e1: x -> u``, ``e2: u -> y`` with ``t1 <= t2 <= t1 + window``.

    Pairs are listed without a Python loop: the out-edges of ``u`` are one time-sorted
    CSR block, so ``searchsorted`` on the key ``(account, time)`` gives each first leg its
    range of second legs. ``via`` (a boolean mask over accounts) limits the middle
    account ``u``; pairs returning straight to the sender (``y == x``) are left out.

    >>> from finintel.testing import transactions
    >>> E = edge_arrays(transactions([("a", "b", 9, "2024-03-01"), ("b", "c", 8, "2024-03-02"),
    ...                               ("b", "a", 8, "2024-03-02"), ("b", "d", 8, "2024-04-02")]))
    >>> e1, e2 = two_hop_pairs(E, to_us("7D"))
    >>> list(zip(E.tx_id[e1], E.tx_id[e2]))
    [('t1', 't2')]
    """
    first = np.arange(E.n_edges, dtype=np.int64)
    if via is not None:
        first = first[via[E.dst]]
    e1, e2 = window_pairs(E, first, E.dst[first], window_us, side="out")
    ok = E.dst[e2] != E.src[e1]
    return e1[ok], e2[ok]


def time_ranks(t_sorted: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct times of a sorted time array and each entry's rank among them, in O(n).

    >>> time_ranks(np.array([5, 5, 7, 9]))
    (array([5, 7, 9]), array([0, 0, 1, 2]))
    """
    new = np.ones(t_sorted.size, dtype=bool)
    new[1:] = t_sorted[1:] != t_sorted[:-1]
    return t_sorted[new], (np.cumsum(new) - 1).astype(np.int64)


def window_pairs(
    E: EdgeArrays, anchors: IntArray, nodes: IntArray, window_us: int, *, side: str = "out"
) -> tuple[IntArray, IntArray]:
    """Pairs ``(anchor, edge)``: the edges ``nodes[i]`` sent (``side="out"``) or received
    (``side="in"``) from the time of ``anchors[i]`` to `window_us` after it, vectorised.

    >>> from finintel.testing import transactions
    >>> E = edge_arrays(transactions([("a", "b", 9, "2024-03-01"), ("c", "a", 8, "2024-03-02"),
    ...                               ("d", "a", 8, "2024-04-02")]))
    >>> a, e = window_pairs(E, np.array([0]), E.src[[0]], to_us("7D"), side="in")
    >>> E.tx_id[e].tolist()
    ['t2']
    """
    if E.n_edges == 0 or anchors.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    times, rank = time_ranks(E.t)
    n_t = np.int64(len(times) + 1)
    idx, owner = (E.out_idx, E.src) if side == "out" else (E.in_idx, E.dst)
    key = owner[idx] * n_t + rank[idx]  # sorted: by account, then time
    lo = np.searchsorted(key, nodes * n_t + rank[anchors], side="left")
    hi_rank = np.searchsorted(times, E.t[anchors] + window_us, side="right") - 1
    hi = np.searchsorted(key, nodes * n_t + hi_rank, side="right")
    counts = np.maximum(hi - lo, 0)
    first = np.repeat(anchors, counts)
    offsets = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return first, idx[np.repeat(lo, counts) + offsets]


def core_edges(E: EdgeArrays, mask: BoolArray | None = None, max_rounds: int = 100) -> BoolArray:
    """Edges inside the directed 2-core: both ends send and receive among the kept edges.

    Trimming repeats until nothing changes (or `max_rounds`); no cycle uses a trimmed edge.

    >>> from finintel.testing import transactions
    >>> E = edge_arrays(transactions([("a", "b", 1, "2024-03-01"), ("b", "a", 1, "2024-03-02"),
    ...                               ("b", "c", 1, "2024-03-03")]))
    >>> E.tx_id[core_edges(E)].tolist()
    ['t1', 't2']
    """
    keep = np.ones(E.n_edges, dtype=bool) if mask is None else mask.copy()
    for _ in range(max_rounds):
        outdeg = np.bincount(E.src[keep], minlength=E.n_nodes)
        indeg = np.bincount(E.dst[keep], minlength=E.n_nodes)
        alive = (outdeg > 0) & (indeg > 0)
        new = keep & alive[E.src] & alive[E.dst]
        if new.sum() == keep.sum():
            break
        keep = new
    return keep


def temporal_cycles(
    E: EdgeArrays,
    *,
    window_us: int,
    min_return: float,
    max_length: int,
    edge_mask: BoolArray,
    max_steps: int = 5_000,
    starts: IntArray | None = None,
) -> list[tuple[int, ...]]:
    """Time-respecting simple cycles, one (the earliest to close) per start edge.

    From each start edge ``u -> v`` (amount ``a0`` at ``t0``) a depth-first search follows
    edges of the same currency that are no earlier than the previous hop, no later than
    ``t0 + window``, with amounts between ``min_return * a0`` and ``a0``, never
    revisiting an account, up to `max_length` hops, until an edge returns to ``u``. The
    search from one start edge stops after `max_steps` expansions (hubs with thousands
    of edges in the window). Rotations of one cycle (possible when hops share a timestamp)
    are returned once.

    >>> from finintel.testing import transactions
    >>> E = edge_arrays(transactions([("a", "b", 100, "2024-03-01"), ("b", "c", 95, "2024-03-02"),
    ...                               ("c", "a", 90, "2024-03-03"), ("c", "a", 90, "2024-02-01")]))
    >>> [E.tx_id[list(c)].tolist() for c in temporal_cycles(E, window_us=to_us("7D"), min_return=0.8,
    ...                                                     max_length=6, edge_mask=core_edges(E))]
    [['t1', 't2', 't3']]
    """
    found: dict[tuple[int, ...], tuple[int, ...]] = {}
    out_t = E.t[E.out_idx]
    if starts is None:
        starts = np.flatnonzero(edge_mask)
    for e0 in starts.tolist():
        cyc = _cycle_from(E, out_t, int(e0), window_us, min_return, max_length, edge_mask, max_steps)
        if cyc is not None:
            found.setdefault(tuple(sorted(cyc)), cyc)
    return sorted(found.values(), key=lambda c: (E.t[c[0]], c))


def _cycle_from(
    E: EdgeArrays,
    out_t: IntArray,
    e0: int,
    window_us: int,
    min_return: float,
    max_length: int,
    edge_mask: BoolArray,
    max_steps: int,
) -> tuple[int, ...] | None:
    home = int(E.src[e0])
    a0 = float(E.amount[e0])
    lo_a, hi_a = min_return * a0, a0 * (1 + 1e-9)
    t_end = int(E.t[e0]) + window_us
    cur = E.cur[e0]
    best: tuple[int, ...] | None = None
    best_t = t_end + 1
    stack: list[tuple[int, int, tuple[int, ...]]] = [(int(E.dst[e0]), int(E.t[e0]), (e0,))]
    steps = 0
    while stack and steps < max_steps:
        node, t_prev, path = stack.pop()
        steps += 1
        a, b = int(E.out_ptr[node]), int(E.out_ptr[node + 1])
        lo = a + int(np.searchsorted(out_t[a:b], t_prev, side="left"))
        hi = a + int(np.searchsorted(out_t[a:b], min(t_end, best_t), side="right"))
        if lo >= hi:
            continue
        cand = E.out_idx[lo:hi]
        amt = E.amount[cand]
        cand = cand[(amt >= lo_a) & (amt <= hi_a) & (E.cur[cand] == cur) & edge_mask[cand]]
        if cand.size == 0:
            continue
        visited = {int(E.src[p]) for p in path}
        for e in cand[::-1].tolist():  # the stack pops the earliest edge first
            y = int(E.dst[e])
            if y == home:
                if int(E.t[e]) < best_t or (int(E.t[e]) == best_t and best is not None and len(path) + 1 < len(best)):
                    best, best_t = (*path, e), int(E.t[e])
            elif len(path) + 1 < max_length and y not in visited and e not in path:
                stack.append((y, int(E.t[e]), (*path, e)))
    return best


def span_text(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """Dates as a case note writes them: ``3-4 Mar 2024``, ``28 Feb-2 Mar 2024``, ``on 3 Mar 2024``.

    >>> span_text(pd.Timestamp("2024-03-03"), pd.Timestamp("2024-03-04 10:00"))
    'on 3-4 Mar 2024'
    >>> span_text(pd.Timestamp("2024-03-03 09:00"), pd.Timestamp("2024-03-03 17:00"))
    'on 3 Mar 2024'
    """
    if start.date() == end.date():
        return f"on {start.day} {start:%b %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"on {start.day}-{end.day} {end:%b %Y}"
    if start.year == end.year:
        return f"on {start.day} {start:%b}-{end.day} {end:%b %Y}"
    return f"from {start.day} {start:%b %Y} to {end.day} {end:%b %Y}"


def duration_text(us: int) -> str:
    """A duration in microseconds as a case note writes it.

    >>> duration_text(90 * 60 * 10**6), duration_text(3 * 86_400 * 10**6), duration_text(0)
    ('1.5 hours', '3 days', 'the same minute')
    """
    hours = us / 3_600e6
    if hours < 1 / 60:
        return "the same minute"
    if hours < 1:
        return f"{round(hours * 60)} minutes"
    if hours < 48:
        return f"{hours:.3g} hours" if hours != 1 else "1 hour"
    return f"{hours / 24:.3g} days"


def timestamp(us: int) -> pd.Timestamp:
    """Microseconds since the epoch as a UTC timestamp."""
    return pd.Timestamp(int(us), unit="us", tz="UTC")
