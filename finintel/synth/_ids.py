"""Format-native transaction ids, drawn in bulk: M-Pesa receipts, bank references, chain hashes.

* anything on a mobile wallet: 10 upper-case alphanumerics, the first two coding year and
  month as Safaricom receipts do (``S`` = 2024, ``A`` = January): ``SC12AB34CD``;
* bank and cash: ``FT`` + two-digit year + day of year + five alphanumerics: ``FT24061K3J9Q``;
* remittance between banks: ``RM`` + ten digits;
* ETH: ``0x`` + 64 hex digits; USDT-TRC20: 64 hex digits (TronScan shows no prefix).

Uniqueness is checked on integers (the random part plus the date prefix), never on
strings, so ten million ids cost a few hundred megabytes at most.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["make_ids"]

_ALNUM = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_LETTERS = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_SPACE = {"mm": 36**8, "bank": 36**5, "remit": 10**10, "eth": 16**15, "trx": 16**15}


def make_ids(
    rng: np.random.Generator, channel: np.ndarray, currency: np.ndarray, ts_us: np.ndarray, wallet: np.ndarray
) -> pa.Array:
    """Unique ids (an Arrow string array) for rows with these channels, currencies and UTC times.

    Rows touching a mobile wallet (`wallet` True) get M-Pesa receipts whatever their channel:
    the wallet provider numbers every movement on its ledger, bank and remittance legs included.

    Examples
    --------
    >>> ts = np.array([1_709_280_000_000_000] * 3)  # 2024-03-01 UTC
    >>> ids = make_ids(np.random.default_rng(0), np.array(["mobile_money", "bank", "crypto"]),
    ...                np.array(["KES", "KES", "ETH"]), ts, np.array([True, False, False]))
    >>> [len(i) for i in ids.to_pylist()], ids[0].as_py()[:2], ids[1].as_py()[:7]
    ([10, 12, 66], 'SC', 'FT24061')
    """
    n = len(channel)
    local = pd.to_datetime(ts_us + 3 * 3_600_000_000, unit="us")
    year, month, doy = local.year.to_numpy(), local.month.to_numpy(), local.dayofyear.to_numpy()
    eth = currency == "ETH"
    trx = (currency == "USDT-TRC20") & (channel == "crypto") & ~eth
    mm = ((channel == "mobile_money") | wallet) & (channel != "crypto") & ~eth & ~trx
    remit = (channel == "remittance") & ~wallet & ~mm
    groups = {"eth": eth, "trx": trx, "mm": mm, "remit": remit, "bank": ~(eth | trx | mm | remit)}
    pieces, positions = [], []
    for name, mask in groups.items():
        idx = np.flatnonzero(mask)
        if len(idx) == 0:
            continue
        prefix = {"mm": (year[idx] - 2000) * 12 + month[idx], "bank": (year[idx] % 100) * 1000 + doy[idx]}.get(
            name, np.zeros(len(idx), dtype=np.int64)
        )
        draw = _unique(rng, prefix.astype(np.int64), _SPACE[name])
        pieces.append(_encode(rng, name, draw, year[idx], month[idx], doy[idx]))
        positions.append(idx)
    if not pieces:
        return pa.array([], pa.string())
    combined = pa.concat_arrays(pieces)
    order = np.empty(n, dtype=np.int64)
    order[np.concatenate(positions)] = np.arange(n)
    return combined.take(pa.array(order))


def _unique(rng: np.random.Generator, prefix: np.ndarray, space: int) -> np.ndarray:
    """Random integers in ``[0, space)``, distinct within each prefix value."""
    draw = rng.integers(0, space, len(prefix), dtype=np.int64)
    for _ in range(50):
        key = pd.Series(prefix * space + draw if space < 2**44 else draw)
        dup = key.duplicated(keep="first").to_numpy()
        if not dup.any():
            return draw
        draw[dup] = rng.integers(0, space, int(dup.sum()), dtype=np.int64)
    raise RuntimeError("could not draw unique transaction ids")  # pragma: no cover - 50 clashes in a row


def _digits(values: np.ndarray, base: int, width: int, alphabet: np.ndarray) -> np.ndarray:
    out = np.empty((len(values), width), dtype=np.uint8)
    v = values.copy()
    for col in range(width - 1, -1, -1):
        out[:, col] = alphabet[v % base]
        v //= base
    return out


def _encode(
    rng: np.random.Generator, kind: str, draw: np.ndarray, year: np.ndarray, month: np.ndarray, doy: np.ndarray
) -> pa.Array:
    k = len(draw)
    if kind in ("eth", "trx"):  # 60 checked bits, then 196 more random bits: a 256-bit hash
        body = np.concatenate([_digits(draw, 16, 15, _HEX), _HEX[rng.integers(0, 16, (k, 49))]], axis=1)
        m = np.concatenate([np.tile(np.frombuffer(b"0x", np.uint8), (k, 1)), body], axis=1) if kind == "eth" else body
    elif kind == "mm":
        first = _LETTERS[(year - 2024 + 18) % 26][:, None]  # S for 2024, T for 2025 ...
        second = _LETTERS[month - 1][:, None]
        m = np.concatenate([first, second, _digits(draw, 36, 8, _ALNUM)], axis=1)
    elif kind == "remit":
        m = np.concatenate([np.tile(np.frombuffer(b"RM", np.uint8), (k, 1)), _digits(draw, 10, 10, _ALNUM)], axis=1)
    else:
        date = _digits((year % 100) * 1000 + doy, 10, 5, _ALNUM)
        m = np.concatenate(
            [np.tile(np.frombuffer(b"FT", np.uint8), (k, 1)), date, _digits(draw, 36, 5, _ALNUM)], axis=1
        )
    m = np.ascontiguousarray(m.astype(np.uint8))
    arr = pa.array(m.view(f"S{m.shape[1]}").ravel(), type=pa.binary()).cast(pa.string())
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr  # pyarrow chunks millions of rows
