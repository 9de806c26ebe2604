"""Tables (alerts, risk scores, traces) to .parquet, .csv or .jsonl, deterministically.

The same frame always gives the same bytes, so a nightly job re-run over the same inputs writes
identical files. CSV cells a spreadsheet would run as formulas are neutralised.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from finintel.errors import ConfigError

__all__ = ["write_table"]


def write_table(df: pd.DataFrame, path: Path) -> Path:
    """Write alerts (or any frame) to .parquet, .csv or .jsonl, deterministically (same input, same bytes)."""
    import pyarrow.parquet as pq

    from finintel.schema import frames as F

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        spec = F.ALERTS if tuple(df.columns[: len(F.ALERT_COLUMNS)]) == F.ALERT_COLUMNS else None
        import pyarrow as pa

        table = F.to_arrow(df, spec) if spec is not None else pa.Table.from_pandas(df, preserve_index=False)
        pq.write_table(table, path)
    elif suffix == ".csv":
        from finintel.export._csv import write_csv

        write_csv(_flat(df), path)
    elif suffix in (".jsonl", ".ndjson"):
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            for rec in df.to_dict("records"):
                fh.write(
                    json.dumps({k: _jsonable(v) for k, v in rec.items()}, sort_keys=True, ensure_ascii=False) + "\n"
                )
    else:
        raise ConfigError(f"{path}: unsupported output type {suffix or '(none)'}; use .parquet, .csv or .jsonl")
    return path


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    """Lists joined with ';' and timestamps in ISO 8601, so that a CSV cell holds one plain value."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].map(lambda t: t.isoformat() if pd.notna(t) else "")
        elif out[c].dtype == object or "list" in str(out[c].dtype):
            if not out[c].astype(object).map(_is_list).any():
                continue
            out[c] = out[c].map(lambda v: ";".join(map(str, list(v))) if _is_list(v) else ("" if _missing(v) else v))
    return out


def _is_list(v: Any) -> bool:
    return isinstance(v, list | tuple) or (
        hasattr(v, "tolist") and not isinstance(v, str | bytes) and not hasattr(v, "isoformat")
    )


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


def _jsonable(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if hasattr(v, "tolist") and not isinstance(v, str):
        return v.tolist()
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, str | int | float | bool):
        return v
    return str(v)
