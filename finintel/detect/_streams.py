"""Helpers for gather functions: whole-frame detectors reading a case chunk by chunk (bounded memory).

A gather function (``@register(..., partition="none", gather=fn)``) streams the screened transactions with
``scan(columns=None)`` one or more times, keeps sets of account keys between passes and only the rows its
detector can use, and returns them as one canonical frame. These helpers keep that code short and the
same in every detector.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from finintel.schema import frames as F

__all__ = ["BoundedCache", "chunks", "completed", "isin", "kept_rows"]


def completed(chunk: pd.DataFrame) -> np.ndarray:
    """Rows the detector registry passes to a detector: ``status`` completed (or missing).

    >>> from finintel.testing import transactions
    >>> tx = transactions([("a", "b", 1, "2024-01-01"), ("a", "b", 1, "2024-01-01", {"status": "failed"})])
    >>> completed(tx).tolist()
    [True, False]
    """
    if "status" not in chunk.columns:
        return np.ones(len(chunk), dtype=bool)
    return np.asarray(chunk["status"].astype(object).fillna("completed").to_numpy() == "completed", dtype=bool)


def isin(values: pd.Series, keys: set[str] | frozenset[str]) -> np.ndarray:
    """``values.astype(str)`` (as the detectors read account keys) member of `keys`, as a boolean array.

    >>> isin(pd.Series(["a", "b", None], dtype="string"), {"b", "<NA>"}).tolist()
    [False, True, True]
    """
    if not keys or len(values) == 0:
        return np.zeros(len(values), dtype=bool)
    return np.asarray(values.astype(str).isin(keys).to_numpy(), dtype=bool)


def kept_rows(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The rows kept from each chunk, as one canonical transactions frame (empty: the canonical empty frame).

    >>> from finintel.testing import transactions
    >>> tx = transactions([("a", "b", 1, "2024-01-01"), ("b", "c", 2, "2024-01-02")])
    >>> kept_rows([tx.iloc[:1], tx.iloc[1:]])["tx_id"].tolist(), len(kept_rows([]))
    (['t1', 't2'], 0)
    """
    frames = [p for p in parts if len(p)]
    if not frames:
        return F.empty(F.TRANSACTIONS)
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    return pd.concat(frames, ignore_index=True)


def chunks(scan: Callable[..., Iterator[pd.DataFrame]], columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
    """One pass over the case: ``scan(columns=columns)``, skipping empty chunks."""
    for chunk in scan(columns=columns):
        if len(chunk):
            yield chunk


class BoundedCache:
    """A memo dict that forgets everything when it holds more than `limit` entries (memory stays bounded).

    Gather functions fold and score each distinct name once per chunk; across chunks the cache saves
    recomputing common names without growing with the number of distinct names in the case.

    >>> c = BoundedCache(str.upper, limit=2)
    >>> [c(x) for x in ["a", "b", "a", "c"]], len(c.memo)
    (['A', 'B', 'A', 'C'], 1)
    """

    def __init__(self, func: Callable[[Any], Any], limit: int = 500_000) -> None:
        self.func, self.limit = func, limit
        self.memo: dict[Hashable, Any] = {}

    def __call__(self, key: Hashable) -> Any:
        try:
            return self.memo[key]
        except KeyError:
            pass
        if len(self.memo) >= self.limit:
            self.memo.clear()
        value = self.memo[key] = self.func(key)
        return value

    def map(self, values: pd.Series) -> pd.Series:
        """`func` of every value of `values` (computed once per distinct value; missing values as None).

        >>> BoundedCache(lambda s: s and s.upper()).map(pd.Series(["a", None, "a"])).tolist()
        ['A', None, 'A']
        """
        codes, uniq = pd.factorize(values.astype(object), use_na_sentinel=True)
        out = np.empty(len(uniq) + 1, dtype=object)
        out[:-1] = [self(u) for u in uniq]
        out[-1] = self(None)
        return pd.Series(out[codes], index=values.index, dtype=object)
