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
import pyarrow as pa
import pyarrow.compute as pc

from finintel.schema import frames as F

__all__ = ["BoundedCache", "chunks", "completed", "isin", "kept_rows", "keyset"]


def completed(chunk: pd.DataFrame) -> np.ndarray:
    """Rows the detector registry passes to a detector: ``status`` completed (or missing).

    >>> from finintel.testing import transactions
    >>> tx = transactions([("a", "b", 1, "2024-01-01"), ("a", "b", 1, "2024-01-01", {"status": "failed"})])
    >>> completed(tx).tolist()
    [True, False]
    """
    if "status" not in chunk.columns:
        return np.ones(len(chunk), dtype=bool)
    status = chunk["status"]
    done = (status == "completed").fillna(False).to_numpy(dtype=bool)
    return np.asarray(done | status.isna().to_numpy(dtype=bool))


def keyset(keys: Iterable[str]) -> pa.Array:
    """Account keys as an Arrow array, for :func:`isin` (build it once per pass, not per chunk)."""
    return pa.array(list(set(keys)), type=pa.large_string())


def isin(values: pd.Series, keys: pa.Array) -> np.ndarray:
    """Which of `values` (account keys, names) are among `keys` (from :func:`keyset`), as a boolean array.

    Arrow-backed string columns are compared in Arrow (no Python strings); missing values are never in.

    >>> isin(pd.Series(["a", "b", None], dtype="string[pyarrow]"), keyset({"b", "c"})).tolist()
    [False, True, False]
    """
    if len(keys) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=bool)
    arr = values.array
    data = pa.array(arr) if hasattr(arr, "__arrow_array__") else pa.array(values.astype(object), from_pandas=True)
    if not pa.types.is_large_string(data.type):
        data = data.cast(pa.large_string())
    hit = pc.is_in(data, value_set=keys, skip_nulls=True)
    return np.asarray(hit.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


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


_MISSING = object()


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
        codes, uniq = pd.factorize(values, use_na_sentinel=True)
        objs = np.asarray(uniq, dtype=object)
        out = np.empty(len(objs) + 1, dtype=object)
        get, miss = self.memo.get, _MISSING
        out[:-1] = [get(u, miss) for u in objs]
        for i in np.flatnonzero(out[:-1] == miss):
            out[i] = self(objs[i])
        out[-1] = self(None)
        return pd.Series(out[codes], index=values.index, dtype=object)
