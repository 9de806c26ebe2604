"""Gather function of the watchlist detector (kept apart from :mod:`finintel.detect.watchlist`, which imports it).

:func:`watchlist_gather` streams a case and keeps only the transfers whose screened name matches a list
entry or whose screened account is a listed wallet: exactly the evidence of the watchlist's alerts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from finintel.detect._registry import Scan
from finintel.detect._streams import BoundedCache, chunks, completed, isin, kept_rows, keyset
from finintel.errors import InputError, MissingDependencyError
from finintel.schema.keys import guess_key, key_namespace

__all__ = ["watchlist_gather"]


def watchlist_gather(
    scan: Scan, params: Mapping[str, Any], *, watchlist: pd.DataFrame | None = None, **_: Any
) -> pd.DataFrame:
    """The rows :func:`finintel.detect.watchlist.watchlist` alerts on, in one pass over a case.

    An alert's evidence is the transfers on which its account carries the matched name (or, for a listed
    wallet, every transfer of that wallet on the screened side), so a row is kept when, on one of the
    screened `sides`, its name scores at least `min_score` against the list (the detector's own blocking
    and scoring) or its account is a wallet among the list's ``identifiers``. Names are scored once per
    distinct name and chunk, with a bounded memo across chunks. Memory: the list's index and the kept rows.

    Parameters
    ----------
    scan : callable
        ``scan(columns=None)``: the case's transactions, chunk by chunk.
    params : mapping
        The detector's resolved parameters (``min_score, min_token_length, max_block, sides``).
    watchlist : pandas.DataFrame, optional
        As for the detector; None or empty keeps nothing.

    Returns
    -------
    pandas.DataFrame
        Canonical transactions: the completed rows the detector's alerts cite.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("acct:B/1", "acct:B/2", 500, "2024-03-01", {"sender_name": "KIDANE Habtemariam Tesfay"}),
    ...                    ("acct:B/3", "acct:B/2", 90, "2024-03-02", {"sender_name": "Achieng Otieno"})])
    >>> wl = pd.DataFrame({"id": ["ET-42"], "name": ["Tesfay Kidane Habtemariam"]})
    >>> params = {"min_score": 90.0, "min_token_length": 3, "max_block": 2000, "sides": ("sender", "receiver")}
    >>> watchlist_gather(lambda columns=None: iter([tx]), params, watchlist=wl)["tx_id"].tolist()
    ['t1']
    """
    if watchlist is None or len(watchlist) == 0:
        return kept_rows([])
    if "name" not in watchlist.columns:
        raise InputError("the watchlist frame lacks column name", column="name")
    try:
        from rapidfuzz import fuzz
    except ImportError as exc:  # pragma: no cover - rapidfuzz is a core dependency
        raise MissingDependencyError("rapidfuzz", "screening") from exc
    from finintel.detect.watchlist import _best, normalize_name

    min_score, min_len = float(params["min_score"]), int(params["min_token_length"])
    max_block = int(params["max_block"])
    variants, block, listed = watchlist_index(watchlist, min_len, normalize_name)
    wallets = keyset(listed)

    def hit(raw: str | None) -> bool:  # the detector reads a missing name as ""; both fold to nothing
        best = _best(normalize_name(raw), variants, block, max_block, min_len, fuzz)
        return best is not None and best[3] >= min_score

    matches = BoundedCache(hit)
    parts = []
    for c in chunks(scan):
        keep = np.zeros(len(c), dtype=bool)
        for side in params["sides"]:
            keep |= matches.map(c[f"{side}_name"]).to_numpy(dtype=bool) | isin(c[side], wallets)
        parts.append(c[completed(c) & keep])
    return kept_rows(parts)


def watchlist_index(
    watchlist: pd.DataFrame, min_len: int, normalize_name: Any
) -> tuple[list[tuple[int, str, str, str]], dict[str, list[int]], dict[str, int]]:
    """A watch list's name variants ``(entry, field, original, normalized)``, blocking tokens
    (token -> variants) and listed wallet keys (key -> entry): what the detector and its gather match on."""
    wl = watchlist.reset_index(drop=True)
    get = lambda c: wl[c].astype(object).fillna("").astype(str) if c in wl.columns else pd.Series("", index=wl.index)  # noqa: E731
    variants: list[tuple[int, str, str, str]] = []
    for i, (name, aliases) in enumerate(zip(get("name"), get("aliases"), strict=True)):
        for field, text in [("name", name), *(("alias", a) for a in aliases.split(";"))]:
            norm = normalize_name(text)
            if norm:
                variants.append((i, field, text.strip(), norm))
    block: dict[str, list[int]] = defaultdict(list)
    for v, (_, _, _, norm) in enumerate(variants):
        for tok in set(norm.split()):
            if len(tok) >= min_len:
                block[tok].append(v)
    wallets: dict[str, int] = {}
    for i, idents in enumerate(get("identifiers")):
        for ident in idents.split(";"):
            key = guess_key(ident.strip()) if ident.strip() else None
            if key and key_namespace(key) in ("eth", "trx", "btc"):
                wallets[key] = i
    return variants, block, wallets
