"""Format-native transaction ids, drawn in bulk: M-Pesa receipts, bank references, chain hashes.

* anything on a mobile wallet: 10 upper-case alphanumerics, the first two coding year and month as
  Safaricom receipts do (``S`` = 2024, ``A`` = January): ``SC12AB34CD``;
* bank and cash: ``FT`` + two-digit year + day of year + five alphanumerics: ``FT24061K3J9Q``;
* remittance between banks: ``RM`` + ten digits;
* ETH: ``0x`` + 64 hex digits; USDT-TRC20: 64 hex digits (TronScan shows no prefix).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["make_ids"]

_ALNUM = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)
_LETTERS = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)


def make_ids(
    rng: np.random.Generator, channel: np.ndarray, currency: np.ndarray, ts_us: np.ndarray, wallet: np.ndarray
) -> np.ndarray:
    """Unique ids (numpy bytes ``S66``) for rows with these channels, currencies and UTC times.

    Rows touching a mobile wallet (`wallet` True) get M-Pesa receipts whatever their channel:
    the wallet provider numbers every movement on its ledger, bank and remittance legs included.
    """
    n = len(channel)
    out = np.empty(n, dtype="S66")
    local = pd.to_datetime(ts_us + 3 * 3_600_000_000, unit="us")
    year = local.year.to_numpy()
    month = local.month.to_numpy()
    doy = local.dayofyear.to_numpy()
    groups = {
        "eth": currency == "ETH",
        "trx": (currency == "USDT-TRC20") & (channel == "crypto"),
        "mm": ((channel == "mobile_money") | wallet) & (channel != "crypto"),
        "remit": (channel == "remittance") & ~wallet,
    }
    groups["mm"] &= ~(groups["eth"] | groups["trx"])
    groups["bank"] = ~(groups["eth"] | groups["trx"] | groups["mm"] | groups["remit"])
    for name, mask in groups.items():
        idx = np.flatnonzero(mask)
        if len(idx):
            out[idx] = _draw(rng, name, year[idx], month[idx], doy[idx])
    for _ in range(20):  # redraw the rare clashes until every id is unique
        dup = pd.Series(out).duplicated(keep="first").to_numpy()
        if not dup.any():
            return out
        for name, mask in groups.items():
            idx = np.flatnonzero(mask & dup)
            if len(idx):
                out[idx] = _draw(rng, name, year[idx], month[idx], doy[idx])
    raise RuntimeError("could not draw unique transaction ids")  # pragma: no cover - 20 clashes in a row


def _draw(rng: np.random.Generator, kind: str, year: np.ndarray, month: np.ndarray, doy: np.ndarray) -> np.ndarray:
    k = len(year)
    if kind == "eth":
        body = _HEX[rng.integers(0, 16, (k, 64))]
        m = np.concatenate([np.full((k, 1), ord("0"), np.uint8), np.full((k, 1), ord("x"), np.uint8), body], axis=1)
    elif kind == "trx":
        m = _HEX[rng.integers(0, 16, (k, 64))]
    elif kind == "mm":
        first = _LETTERS[(year - 2024 + 18) % 26][:, None]  # S for 2024, T for 2025 ...
        second = _LETTERS[month - 1][:, None]
        m = np.concatenate([first, second, _ALNUM[rng.integers(0, 36, (k, 8))]], axis=1)
    elif kind == "remit":
        m = np.concatenate(
            [
                np.full((k, 1), ord("R"), np.uint8),
                np.full((k, 1), ord("M"), np.uint8),
                _DIGITS[rng.integers(0, 10, (k, 10))],
            ],
            axis=1,
        )
    else:
        yy = year % 100
        date = np.stack(
            [_DIGITS[yy // 10], _DIGITS[yy % 10], _DIGITS[doy // 100], _DIGITS[(doy // 10) % 10], _DIGITS[doy % 10]],
            axis=1,
        )
        m = np.concatenate(
            [
                np.full((k, 1), ord("F"), np.uint8),
                np.full((k, 1), ord("T"), np.uint8),
                date,
                _ALNUM[rng.integers(0, 36, (k, 5))],
            ],
            axis=1,
        )
    m = np.ascontiguousarray(m.astype(np.uint8))
    return m.view(f"S{m.shape[1]}").ravel()


def to_arrow_strings(ids: np.ndarray) -> pa.Array:
    """Bytes ids as an Arrow string array (no Python objects)."""
    return pa.array(ids, type=pa.binary()).cast(pa.string())
