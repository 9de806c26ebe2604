"""Arrow helpers shared by the graph views: zero-copy string columns, per-key modes."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__: list[str] = []


def _mode_by_key(keys: pd.Series, values: pd.Series) -> pd.Series:
    """Most frequent non-null value per key (ties: alphabetically first), indexed by key."""
    df = pd.DataFrame({"k": keys.astype(object).to_numpy(), "v": values.astype(object).to_numpy()}).dropna()
    if df.empty:
        return pd.Series(dtype=object)
    df["v"] = df["v"].astype(str).str.strip()
    df = df[df["v"] != ""]
    counts = df.groupby(["k", "v"], sort=False).size().rename("n").reset_index()
    counts = counts.sort_values(["k", "n", "v"], ascending=[True, False, True], kind="mergesort")
    return counts.drop_duplicates("k").set_index("k")["v"]


def _pa(col: pd.Series) -> pa.ChunkedArray:
    """A string column as Arrow, zero-copy when it is already Arrow-backed."""
    arr = getattr(col.array, "_pa_array", None)
    if arr is None and isinstance(col.dtype, pd.CategoricalDtype):
        arr = pa.chunked_array([pa.array(col, from_pandas=True).cast(pa.string())])
    elif arr is None:
        obj = col.astype(object)
        arr = pa.chunked_array([pa.array(obj.where(obj.notna(), None).to_numpy(), pa.string(), from_pandas=True)])
    elif isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr])
    return arr if arr.type == pa.string() else arr.cast(pa.string())


def _chunks(arr: pa.ChunkedArray) -> list[pa.Array]:
    return list(arr.chunks) if arr.num_chunks else [pa.array([], pa.string())]


def _pa_pair(tx: pd.DataFrame, a: str, b: str) -> pa.ChunkedArray:
    parts = []
    for name in (a, b):
        parts += _chunks(_pa(tx[name])) if name in tx.columns else [pa.nulls(len(tx), pa.string())]
    return pa.chunked_array(parts, pa.string())


def _arrow_mode(keys: pa.ChunkedArray, values: pa.ChunkedArray) -> pd.Series:
    """Most frequent non-empty value per key (ties: alphabetically first), indexed by key."""
    v = pc.utf8_trim_whitespace(values)
    t = pa.table({"k": keys, "v": v}).filter(pc.fill_null(pc.greater(pc.utf8_length(v), 0), False))
    if t.num_rows == 0:
        return pd.Series(dtype=object)
    counts = t.group_by(["k", "v"], use_threads=False).aggregate([("v", "count")]).to_pandas()
    counts = counts.sort_values(["k", "v_count", "v"], ascending=[True, False, True], kind="mergesort")
    return counts.drop_duplicates("k").set_index("k")["v"]
