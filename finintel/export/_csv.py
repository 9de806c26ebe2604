"""CSV writing that cannot be turned into a spreadsheet formula (CSV/formula injection).

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
(or their full-width forms) is run as a formula by Excel and LibreOffice; a
name such as ``=HYPERLINK("http://…")`` planted in a transaction narrative
would run on the analyst's machine. Every text cell is prefixed with ``'``
(OWASP's advice); numbers stay numbers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["neutralise", "write_csv"]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def neutralise(value: Any) -> Any:
    """Make one cell safe to open in a spreadsheet; non-text values are returned unchanged.

    Examples
    --------
    >>> neutralise('=HYPERLINK("http://x")'), neutralise("-5"), neutralise("Amina"), neutralise(-5.0)
    ('\\'=HYPERLINK("http://x")', "'-5", 'Amina', -5.0)
    """
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str], *, bom: bool = False) -> Path:
    """Write `df` as UTF-8 CSV with every text cell neutralised; returns the path.

    Parameters
    ----------
    df : pandas.DataFrame
        Any frame; it is not modified.
    path : path-like
        Where to write (parent folders are created).
    bom : bool, default False
        Start with a UTF-8 byte-order mark, which makes older Excel read
        Amharic and Arabic names correctly.

    Examples
    --------
    >>> write_csv(pd.DataFrame({"name": ["=1+1"], "amount": [5.0]}), "out.csv")  # doctest: +SKIP
    PosixPath('out.csv')
    """
    out = df.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].astype(object).map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(target, index=False, encoding="utf-8-sig" if bom else "utf-8", lineterminator="\n")
    return target
