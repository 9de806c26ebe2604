"""Reader for Parquet files already in the canonical transactions schema (finintel's own exports, the synthetic ledgers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from finintel.ingest._registry import Frames, register_reader
from finintel.schema import frames as F

__all__ = ["read_canonical"]


def _sniff(path: Path, head: bytes) -> bool | str:
    if not head.startswith(b"PAR1"):
        return "not a Parquet file"
    names = set(pq.read_schema(path).names)
    missing = [c for c in F.TRANSACTIONS.required if c not in names]
    return True if not missing else f"Parquet without canonical column(s) {', '.join(missing)}"


@register_reader("canonical", sniff=_sniff, version="1", priority=10)
def read_canonical(path: Path, **options: Any) -> Frames:
    """Canonical transactions in Parquet; ``source_row`` is the 1-based row of the file."""
    table = pq.read_table(path)
    df = table.to_pandas()
    df["source_row"] = range(1, len(df) + 1)
    return Frames(transactions=df, rows_read=len(df))
