"""Precision screens shared by the graph-pattern detectors: value floor and share of activity.

A shape (loop, chain, fan through a hub, quick pass-through) is common in ordinary ledgers:
a family pooling money, a shop restocking, a person moving money between their own bank
account and wallet. Two checks tell a laundering pattern from that background:

- **value** (:func:`local_rates`): the pattern moves at least a set fraction of the
  jurisdiction's reporting threshold, converted to the profile currency;
- **share of activity** (:class:`Activity`): the pattern is most of what its accounts did
  while it ran (FATF: mule and relay accounts have little other activity; an ordinary
  account's payments are mostly to shops, bills and family, not this one pattern).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from finintel.detect._graph_kernels import EdgeArrays, time_ranks
from finintel.errors import ConfigError

__all__ = ["Activity", "check_fraction", "local_rates"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def local_rates(E: EdgeArrays, currency: str | None, fx_to_local: Mapping[str, float] | None) -> FloatArray:
    """Per currency of `E` (``E.currencies``), the rate to the profile `currency`.

    The profile currency is 1, others come from `fx_to_local`, others are NaN (value
    unknown: a value floor is then not applied). With `currency` None every rate is 1.

    >>> from finintel.detect._graph_kernels import edge_arrays
    >>> from finintel.testing import transactions
    >>> E = edge_arrays(transactions([("a", "b", 1, "2024-03-01"), ("a", "b", 1, "2024-03-01", {"currency": "USD"}),
    ...                               ("a", "b", 1, "2024-03-01", {"currency": "ETH"})]))
    >>> list(E.currencies), local_rates(E, "KES", {"USD": 129.0}).tolist()
    (['ETH', 'KES', 'USD'], [nan, 1.0, 129.0])
    """
    if currency is None:
        return np.ones(len(E.currencies), dtype=np.float64)
    table = {str(currency): 1.0, **{str(k): float(v) for k, v in (fx_to_local or {}).items()}}
    return np.array([table.get(str(c), np.nan) for c in E.currencies], dtype=np.float64)


def check_fraction(name: str, value: float) -> None:
    """Raise ConfigError unless `value` is in [0, 1].

    >>> check_fraction("min_activity_share", 1.5)
    Traceback (most recent call last):
    ...
    finintel.errors.ConfigError: min_activity_share must be in [0, 1], got 1.5
    """
    if not 0 <= value <= 1:
        raise ConfigError(f"{name} must be in [0, 1], got {value}")


class Activity:
    """Value each account sent plus received, per currency, between two times (vectorised).

    >>> from finintel.detect._graph_kernels import edge_arrays, to_us
    >>> from finintel.testing import transactions
    >>> E = edge_arrays(transactions([("a", "b", 100, "2024-03-01"), ("b", "c", 90, "2024-03-02"),
    ...                               ("b", "shop", 400, "2024-03-02"), ("x", "b", 5, "2024-04-01")]))
    >>> act = Activity(E)
    >>> b = int(np.flatnonzero(E.accounts == "b")[0])
    >>> float(act.value(np.array([b]), 0, E.t[0], E.t[0] + to_us("2D"))[0])
    590.0
    >>> round(act.share(np.array([b]), np.array([0, 1])), 4)  # a -> b -> c is 190 of b's 590
    0.322
    """

    def __init__(self, E: EdgeArrays) -> None:
        self.E = E
        self.ncur = np.int64(max(len(E.currencies), 1))
        self.times, rank = time_ranks(E.t)
        self.n_t = np.int64(len(self.times) + 1)
        self.keys: list[IntArray] = []
        self.cums: list[FloatArray] = []
        for owner in (E.src, E.dst):
            ac = owner * self.ncur + E.cur
            order = np.argsort(ac, kind="stable")  # edges are time-sorted already
            self.keys.append(ac[order] * self.n_t + rank[order])
            self.cums.append(np.concatenate([[0.0], np.cumsum(E.amount[order])]))

    def value(self, nodes: IntArray, cur: int, t0: int, t1: int) -> FloatArray:
        """Value sent plus received by each of `nodes` in currency code `cur` with ``t0 <= t <= t1``."""
        ac = nodes.astype(np.int64) * self.ncur + cur
        r0 = np.searchsorted(self.times, t0, side="left")
        r1 = np.searchsorted(self.times, t1, side="right") - 1
        total = np.zeros(nodes.shape, dtype=np.float64)
        for key, cum in zip(self.keys, self.cums, strict=True):
            lo = np.searchsorted(key, ac * self.n_t + r0, side="left")
            hi = np.maximum(np.searchsorted(key, ac * self.n_t + r1, side="right"), lo)
            total += cum[hi] - cum[lo]
        return total

    def share(self, nodes: IntArray, evidence: IntArray, context_us: int = 0) -> float:
        """Share of `nodes`' value moved (in the evidence's currency, from `context_us` before its
        first to `context_us` after its last transfer) that the `evidence` edges touching them
        carry; 1 when they moved nothing else."""
        E = self.E
        evidence = np.unique(evidence)
        cur = int(E.cur[evidence[0]])
        t0, t1 = int(E.t[evidence].min()) - context_us, int(E.t[evidence].max()) + context_us
        total = float(self.value(nodes, cur, t0, t1).sum())
        amount = E.amount[evidence]
        part = sum(float(amount[(E.src[evidence] == n) | (E.dst[evidence] == n)].sum()) for n in nodes.tolist())
        return min(1.0, part / total) if total > 0 else 1.0
