"""Helpers shared by the export writers: money and date formats, account rows, opening balances."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pandas as pd

__all__ = ["account_rows", "digits", "local", "money", "opening_balance", "party_of", "phone_local"]

EAT = "Africa/Nairobi"


def money(value: Decimal | float, places: int = 2, *, sign: bool = False) -> str:
    """``1234.5 -> '1,234.50'`` (thousands separators, fixed places); negative with a minus when `sign`.

    >>> money(1234.5), money(Decimal("-25000"), sign=True), money(0.1 + 0.2)
    ('1,234.50', '-25,000.00', '0.30')
    """
    q = Decimal(str(value)).quantize(Decimal(1).scaleb(-places))
    text = f"{abs(q):,.{places}f}"
    return f"-{text}" if sign and q < 0 else text


def local(ts: pd.Series) -> pd.Series:
    """UTC timestamps as naive East Africa Time."""
    return ts.dt.tz_convert(EAT).dt.tz_localize(None)


def account_rows(tx: pd.DataFrame, account: str) -> pd.DataFrame:
    """The rows of `tx` touching `account`, oldest first, with ``direction`` (+1 in, -1 out) and ``other``."""
    mine = tx[(tx["sender"] == account) | (tx["receiver"] == account)].copy()
    out = (mine["sender"] == account).to_numpy()
    mine["direction"] = [-1 if o else 1 for o in out]
    mine["other"] = mine["receiver"].where(out, mine["sender"])
    mine["other_name"] = mine["receiver_name"].where(out, mine["sender_name"])
    return mine.sort_values(["timestamp", "tx_id"], kind="stable")


def opening_balance(signed: pd.Series, seed: str) -> Decimal:
    """An opening balance that keeps the running balance at or above zero, with a little to spare."""
    running = signed.cumsum()
    need = -min(Decimal(0), *running.tolist()) if len(running) else Decimal(0)
    spare = Decimal(int(hashlib.sha1(seed.encode()).hexdigest()[:6], 16) % 5_000)
    return need + spare


def digits(key: str, n: int) -> str:
    """`n` stable pseudo-random digits derived from `key` (account references, conversation ids)."""
    h = int(hashlib.sha1(key.encode()).hexdigest(), 16)
    return str(h)[-n:].zfill(n)


def phone_local(e164: str) -> str:
    """``+254712345678 -> '0712345678'`` for Kenya, else the number without its plus.

    >>> phone_local("+254712345678"), phone_local("+256772123456")
    ('0712345678', '256772123456')
    """
    return "0" + e164[4:] if e164.startswith("+254") else e164.lstrip("+")


def party_of(parties: pd.DataFrame, accounts: pd.DataFrame, account: str) -> dict[str, object]:
    """The KYC record of the holder of `account` (empty dict when unknown)."""
    holder = accounts.loc[accounts["account"] == account, "party_id"]
    if holder.empty:
        return {}
    rows = parties[parties["party_id"] == holder.iloc[0]]
    return {} if rows.empty else rows.iloc[0].to_dict()
