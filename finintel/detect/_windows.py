"""Shared array kernels for windowed detectors: per-account time-sorted blocks and numpy searchsorted.

Every windowed detector asks the same questions of a ledger: for each transfer of one account, which of the
account's transfers fall in the trailing (or leading) window, how many and how much. Answering them with
``groupby().rolling()`` costs seconds per million rows; here the rows are sorted once by (account, time) into
contiguous *blocks* and a window boundary is one :func:`numpy.searchsorted` over a composite key
``block * M + seconds`` (``M`` larger than the ledger's time span, so a window never leaves its block).

Also here: amounts in the profile currency (:func:`local_amounts`), window strings as seconds
(:func:`seconds`) and the stable row order that makes every detector independent of input order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from finintel.errors import ConfigError

__all__ = [
    "Blocks",
    "blocks",
    "duration_text",
    "episodes",
    "leading_end",
    "local_amounts",
    "merge_windows",
    "range_sum",
    "seconds",
    "sorted_codes",
    "span_text",
    "time_seconds",
    "trailing_start",
]


def seconds(window: str | pd.Timedelta | float, *, name: str = "window") -> int:
    """A window as whole seconds: ``"7D"``, ``"48h"``, ``"90min"`` or a number of seconds.

    >>> seconds("7D"), seconds("48h"), seconds(30)
    (604800, 172800, 30)
    """
    if isinstance(window, int | float) and not isinstance(window, bool):
        value = float(window)
    else:
        try:
            value = pd.Timedelta(window).total_seconds()
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{name} must be a duration like '7D' or '48h', got {window!r}") from exc
    if not value > 0:
        raise ConfigError(f"{name} must be a positive duration, got {window!r}")
    return int(value)


def span_text(window: str | pd.Timedelta | float) -> str:
    """A window as an analyst writes it.

    >>> span_text("7D"), span_text("36h"), span_text("1D"), span_text("90min")
    ('7 days', '36 hours', '1 day', '90 minutes')
    """
    s = seconds(window)
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if s % size == 0:
            n = s // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{s} seconds"


def local_amounts(tx: pd.DataFrame, currency: str | None, fx_to_local: Mapping[str, float] | None) -> np.ndarray:
    """Amounts in the profile `currency`: same-currency rows as they are, others times ``fx_to_local[code]``.

    Rows in a currency with no rate are NaN, so that they never meet a threshold set in another currency.
    With `currency` None every amount is taken as it is.

    >>> from finintel.testing import transactions
    >>> tx = transactions([("a", "b", 10, "2024-01-01"), ("a", "b", 10, "2024-01-01", {"currency": "USD"}),
    ...                    ("a", "b", 10, "2024-01-01", {"currency": "EUR"})])
    >>> local_amounts(tx, "KES", {"USD": 129.0})
    array([  10., 1290.,   nan])
    """
    amount = tx["amount"].to_numpy(dtype="float64", na_value=np.nan)
    if currency is None:
        return amount.copy()
    cur = tx["currency"].astype(object).to_numpy()
    rate = pd.Series(cur).map({str(currency): 1.0, **{str(k): float(v) for k, v in (fx_to_local or {}).items()}})
    out: np.ndarray = amount * rate.to_numpy(dtype="float64", na_value=np.nan)
    return out


@dataclass(frozen=True)
class Blocks:
    """Rows sorted by (key, time, tie-break): ``order`` indexes the input positionally.

    ``code`` is the block number of each sorted row, ``t`` its time in seconds, ``keys`` the block keys
    (``keys[code]``), ``start``/``stop`` the first and one-past-last sorted row of each block.
    """

    order: np.ndarray
    code: np.ndarray
    t: np.ndarray
    keys: np.ndarray
    start: np.ndarray
    stop: np.ndarray

    def composite(self, pad: int) -> np.ndarray:
        """``code * M + t`` with ``M`` > time span + 2 `pad`: sorted, and a window of up to `pad` seconds
        around any row stays inside its block."""
        if len(self.t) == 0:
            return np.zeros(0, dtype="int64")
        t0 = int(self.t.min())
        m = int(self.t.max()) - t0 + 2 * int(pad) + 1
        if (int(self.code.max()) + 1) * m >= 2**62:  # pragma: no cover - needs centuries of data
            raise ConfigError("the ledger spans too long a time for the windowed kernels")
        return self.code.astype("int64") * m + (self.t - t0) + int(pad)


def time_seconds(ts: pd.Series) -> np.ndarray:
    """UTC timestamps as int64 seconds since the epoch."""
    values = ts.to_numpy(dtype="datetime64[us]")
    return values.astype("int64") // 1_000_000


def sorted_codes(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes ranking `values` in sorted order, and the sorted distinct values (missing as "").

    Text goes through Arrow's dictionary encoding (C++), several times faster than pandas on object arrays.

    >>> sorted_codes(pd.Series(["b", "a", None, "b"], dtype="string[pyarrow]"))
    (array([2, 1, 0, 2]), array(['', 'a', 'b'], dtype=object))
    """
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        codes, uniques = pd.factorize(values, sort=True)
        return np.asarray(codes, dtype="int64"), np.asarray(uniques, dtype=object)
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.StringDtype | pd.ArrowDtype):
        arr = (
            pa.array(values.array, from_pandas=True)
            if isinstance(values.dtype, pd.StringDtype)
            else values.array._pa_array
        )
    else:
        arr = pa.array(
            pd.Series(values).astype(object).where(pd.Series(values).notna(), None).to_numpy(), type=pa.string()
        )
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = pc.fill_null(arr.cast(pa.string()), "")
    enc = pc.dictionary_encode(arr)
    order = np.asarray(pc.sort_indices(enc.dictionary))
    rank = np.empty(len(order), dtype="int64")
    rank[order] = np.arange(len(order))
    codes = rank[np.asarray(enc.indices, dtype="int64")] if len(arr) else np.zeros(0, dtype="int64")
    return codes, np.asarray(enc.dictionary.take(pa.array(order)).to_pylist() if len(order) else [], dtype=object)


def blocks(keys: pd.Series | np.ndarray, ts: pd.Series, tiebreak: Sequence[Any] | np.ndarray | pd.Series) -> Blocks:
    """Sort rows into per-key blocks ordered by time, ties broken by `tiebreak` (the tx_id) so that input order never matters.

    >>> from finintel.testing import transactions
    >>> tx = transactions([("b", "x", 1, "2024-01-02"), ("a", "x", 1, "2024-01-03"), ("a", "y", 1, "2024-01-01")])
    >>> b = blocks(tx["sender"], tx["timestamp"], tx["tx_id"])
    >>> b.order.tolist(), b.keys.tolist(), b.start.tolist(), b.stop.tolist()
    ([2, 1, 0], ['a', 'b'], [0, 2], [2, 3])
    """
    codes, uniques = sorted_codes(keys)
    tie, _ = sorted_codes(tiebreak)
    t = time_seconds(ts) if isinstance(ts, pd.Series) else np.asarray(ts, dtype="int64")
    order = np.lexsort((tie, t, codes))
    code = codes[order]
    bounds = np.flatnonzero(np.diff(code)) + 1 if len(code) else np.zeros(0, dtype="int64")
    start = np.concatenate([[0], bounds]).astype("int64") if len(code) else np.zeros(0, dtype="int64")
    stop = np.concatenate([bounds, [len(code)]]).astype("int64") if len(code) else np.zeros(0, dtype="int64")
    return Blocks(order, code, t[order], np.asarray(uniques, dtype=object), start, stop)


def trailing_start(b: Blocks, window_s: int) -> np.ndarray:
    """For each sorted row, the first sorted row of its block at most `window_s` seconds earlier."""
    c = b.composite(window_s)
    out: np.ndarray = np.searchsorted(c, c - window_s, side="left")
    return out


def leading_end(b: Blocks, window_s: int) -> np.ndarray:
    """For each sorted row, one past the last sorted row of its block at most `window_s` seconds later."""
    c = b.composite(window_s)
    out: np.ndarray = np.searchsorted(c, c + window_s, side="right")
    return out


def range_sum(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sums of ``values[lo:hi]`` for many ranges at once (prefix sums; NaN counts as 0)."""
    csum = np.concatenate([[0.0], np.cumsum(np.nan_to_num(values.astype("float64")))])
    out: np.ndarray = csum[hi] - csum[lo]
    return out


def episodes(b: Blocks, window_s: int, min_count: int, weight: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Maximal runs of sorted rows where every row lies in some window of `window_s` holding `min_count` rows.

    Overlapping qualifying windows of one block merge into one episode, so one burst gives one alert.
    With `weight` (0/1 per sorted row) only weighted rows count towards `min_count`.
    Returns ``(lo, hi)`` pairs of sorted positions, `hi` exclusive.

    >>> from finintel.testing import transactions
    >>> tx = transactions([("a", "x", 1, f"2024-01-0{d}") for d in (1, 2, 3, 9)] + [("b", "x", 1, "2024-01-01")])
    >>> b = blocks(tx["sender"], tx["timestamp"], tx["tx_id"])
    >>> episodes(b, 3 * 86_400, 3), episodes(b, 30 * 86_400, 4)
    ([(0, 3)], [(0, 4)])
    """
    n = len(b.t)
    if n == 0:
        return []
    lo = trailing_start(b, window_s)
    hi = np.arange(n)
    if weight is None:
        count = hi - lo + 1
    else:
        w = np.concatenate([[0], np.cumsum(weight.astype("int64"))])
        count = w[hi + 1] - w[lo]
    return merge_windows(lo, np.flatnonzero(count >= min_count))


def merge_windows(lo: np.ndarray, ends: np.ndarray) -> list[tuple[int, int]]:
    """Merge windows ``[lo[e], e]`` of the sorted rows `ends` (ascending) into ``(lo, hi)`` runs, `hi` exclusive.

    `lo` is a window start per sorted row (e.g. from :func:`trailing_start`); windows that overlap or touch
    the same rows merge; windows never cross a block boundary, so neither do runs.

    >>> merge_windows(np.array([0, 0, 1, 3, 3, 5]), np.array([1, 2, 5]))
    [(0, 3), (5, 6)]
    """
    if len(ends) == 0:
        return []
    s, e = lo[ends], ends
    new = np.concatenate([[True], s[1:] > e[:-1]])
    first = np.flatnonzero(new)
    starts = s[first]
    stops = np.maximum.reduceat(e, first) + 1
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def duration_text(first: pd.Timestamp, last: pd.Timestamp) -> str:
    """How long an episode lasted, rounded the way a case note puts it.

    >>> duration_text(pd.Timestamp("2024-03-01 10:00"), pd.Timestamp("2024-03-04 09:00"))
    '3 days'
    >>> duration_text(pd.Timestamp("2024-03-01 10:00"), pd.Timestamp("2024-03-01 15:30"))
    '6 hours'
    """
    s = (last - first).total_seconds()
    if s >= 86_400:
        n = round(s / 86_400)
        return f"{n} day{'s' if n != 1 else ''}"
    if s >= 3_600:
        n = round(s / 3_600)
        return f"{n} hour{'s' if n != 1 else ''}"
    n = max(1, round(s / 60))
    return f"{n} minute{'s' if n != 1 else ''}"
