"""Invented identifiers in real formats: phone numbers, national IDs, bank account keys, IBANs, Tron addresses."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

__all__ = ["IBAN_SHAPE", "PHONE", "bank_key", "birth", "iban", "national_id", "phone", "tron_address", "unique_phones"]

PHONE = {  # (prefix, choices for the next digit, random digits after it)
    "KE": ("+2547", "0129", 7),
    "UG": ("+2567", "0578", 7),
    "ET": ("+2519", "1234", 7),
    "DJ": ("+25377", "0123456789", 5),
}
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
IBAN_SHAPE = {"AE": (3, 16), "SA": (2, 18), "QA": (4, 21), "GB": (4, 14), "LB": (4, 20), "JO": (4, 22), "LY": (6, 15)}


def bank_key(institution: str, number: str) -> str:
    """Same key as :func:`finintel.schema.keys.bank_account_key` for a non-IBAN number."""
    slug = "-".join("".join(ch if ch.isalnum() else " " for ch in institution.upper()).split())
    return f"acct:{slug}/{number}"


def unique_phones(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    out = np.empty(len(country), dtype=object)
    for cc in np.unique(country):
        m = np.flatnonzero(country == cc)
        prefix, nxt, k = PHONE[str(cc)]
        space = len(nxt) * 10**k
        if len(m) > space // 2:
            raise ValueError(f"too many people in {cc} for its phone range")
        draw = rng.choice(space, len(m), replace=False)
        out[m] = [f"{prefix}{nxt[v // 10**k]}{v % 10**k:0{k}d}" for v in draw]
    return out


def phone(rng: np.random.Generator, cc: str) -> str:
    prefix, nxt, k = PHONE[cc]
    return f"{prefix}{nxt[int(rng.integers(len(nxt)))]}{int(rng.integers(10**k)):0{k}d}"


def national_id(rng: np.random.Generator, cc: str) -> str:
    return f"{int(rng.integers(10**7, 10**8))}" if cc in ("KE", "UG") else f"{int(rng.integers(10**9, 10**10))}"


def birth(rng: np.random.Generator) -> pd.Timestamp:
    return pd.Timestamp("1965-01-01") + pd.Timedelta(days=int(rng.integers(0, 365 * 38)))


def tron_address(rng: np.random.Generator) -> str:
    """A valid Tron base58check address (0x41 + 20 random bytes).

    Examples
    --------
    >>> from finintel.schema.keys import tron_key
    >>> a = tron_address(np.random.default_rng(1))
    >>> a[0], len(a), tron_key(a) == "trx:" + a
    ('T', 34, True)
    """
    payload = b"\x41" + rng.bytes(20)
    check = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(payload + check, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return out


def iban(country: str, rng: np.random.Generator) -> str:
    """A random IBAN of `country` with correct mod-97 check digits.

    Examples
    --------
    >>> from finintel.schema.keys import is_valid_iban
    >>> i = iban("AE", np.random.default_rng(0))
    >>> len(i), is_valid_iban(i)
    (23, True)
    """
    bank_len, acct_len = IBAN_SHAPE[country]
    bban = "".join(str(d) for d in rng.integers(0, 10, bank_len + acct_len))
    moved = bban + country + "00"
    check = 98 - int("".join(str(int(ch, 36)) for ch in moved)) % 97
    return f"{country}{check:02d}{bban}"
