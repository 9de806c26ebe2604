"""SWIFT MT940 customer statement of one bank account, as a bank's host-to-host channel delivers it.

One file, one statement: the basic header block ``{1:F01<BIC>AXXX…}``, the application header
``{2:O940…}``, then block 4 with ``:20:`` (statement reference), ``:25:`` (the account number),
``:28C:`` (statement/sequence number), ``:60F:`` (opening balance), one ``:61:`` statement line
per booked entry with its ``:86:`` information to account owner, ``:62F:`` (closing balance) and
``:64:`` (closing available balance), ending ``-}``.

* ``:61:`` is ``YYMMDD`` value date, ``MMDD`` entry date, ``C``/``D`` mark, the amount with a
  decimal comma (``250,50``; ``1500,`` for a whole amount), ``NTRF`` and the customer reference
  (the canonical tx_id, at most 16 characters) ``//`` the bank reference;
* ``:86:`` is free text in lines of at most 65 characters, the way East African banks fill it:
  the narrative, then the counterparty (``MPESA B2C 254712345678 JANE DOE`` for a wallet,
  ``<NAME> A/C <number>`` for an account, the branch or agent for cash);
* only booked (``completed``) entries are listed: a failed transfer never reaches a statement and
  a reversed one is booked and reversed on the same day by the synthetic bank (net nothing), so
  neither is written. Dates are East Africa Time; times of day are not in MT940.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pandas as pd

from finintel.synth._export_goaml import SWIFT
from finintel.synth._export_util import EAT, account_rows, digits, opening_balance

__all__ = ["mt940_amount", "write_mt940"]


def mt940_amount(value: Decimal) -> str:
    """SWIFT amount: decimal comma, no thousands separator, a trailing comma for whole amounts.

    >>> mt940_amount(Decimal("250.50")), mt940_amount(Decimal("1500")), mt940_amount(Decimal("0.05"))
    ('250,5', '1500,', '0,05')
    """
    text = format(abs(value).normalize(), "f")
    whole, _, frac = text.partition(".")
    return f"{whole},{frac}"


def write_mt940(
    tx: pd.DataFrame,
    path: str | Path,
    *,
    account: str,
    institution: str | None = None,
    statement_number: int = 1,
) -> list[str]:
    """Write the MT940 statement of bank account `account` (``acct:<BANK>/<number>``); return the tx_ids written.

    Parameters
    ----------
    tx : pandas.DataFrame
        Canonical transactions (``Ledger.transactions``).
    path : str or Path
        The ``.sta`` file to write.
    account : str
        The statement account.
    institution : str, optional
        Bank name, used to find its BIC for the header block (default: from the key).
    statement_number : int, default 1
        Goes to ``:28C:``.

    Returns
    -------
    list of str
        Canonical tx_ids of the ``:61:`` lines, in file order (oldest first).

    Examples
    --------
    >>> import tempfile, finintel as fi
    >>> t = fi.testing.transactions([("acct:KCB-BANK-KENYA/1234567890", "msisdn:+254712345678", 250.5,
    ...                                "2024-03-01 09:00")], currency="KES", channel="bank")
    >>> p = Path(tempfile.mkdtemp()) / "s.sta"
    >>> write_mt940(t, p, account="acct:KCB-BANK-KENYA/1234567890", institution="KCB Bank Kenya") == list(t["tx_id"])
    True
    >>> p.read_text().splitlines()[5:7]
    [':61:2403010301D250,5NTRFt1//349324885359', ':86:MPESA B2C 254712345678']
    """
    rows = account_rows(tx, account)
    rows = rows[rows["status"] == "completed"]
    number = account.rsplit("/", 1)[-1] if account.startswith("acct:") else account.split(":", 1)[1]
    bank = institution or _bank_name(account)
    bic = SWIFT.get(bank, "XXXXKENX")
    currency = str(rows["currency"].iloc[0]) if len(rows) else "KES"
    signed = pd.Series(
        [Decimal(a) * d for a, d in zip(rows["amount_exact"], rows["direction"], strict=True)], dtype=object
    )
    opening = opening_balance(signed, account)
    closing = opening + sum(signed, Decimal(0))
    days = rows["timestamp"].dt.tz_convert(EAT)
    first = days.min() if len(rows) else pd.Timestamp("2024-01-01", tz=EAT)
    last = days.max() if len(rows) else first
    ref = f"STMT{last:%y%m%d}{digits(account, 4)}"
    out = [
        f"{{1:F01{bic}AXXX{digits(account, 10)}}}{{2:O940{last:%H%M%y%m%d}{bic}AXXX{digits(ref, 10)}"
        f"{last:%y%m%d%H%M}N}}{{4:",
        f":20:{ref}",
        f":25:{number}",
        f":28C:{statement_number}/1",
        f":60F:{_balance(opening, first, currency)}",
    ]
    for r, day in zip(rows.itertuples(index=False), days, strict=True):
        mark = "C" if r.direction > 0 else "D"
        own = str(r.tx_id)[:16]
        out.append(f":61:{day:%y%m%d%m%d}{mark}{mt940_amount(Decimal(r.amount_exact))}NTRF{own}//{digits(own, 12)}")
        out += _info(_text(r.description), str(r.other), _text(r.other_name))
    out += [f":62F:{_balance(closing, last, currency)}", f":64:{_balance(closing, last, currency)}", "-}"]
    Path(path).write_text("\r\n".join(out) + "\r\n", encoding="ascii", errors="replace")
    return [str(t) for t in rows["tx_id"]]


def _bank_name(key: str) -> str:
    """``acct:KCB-BANK-KENYA/…`` -> ``KCB Bank Kenya`` (the synthetic banks' names, for their BICs)."""
    slug = key.split(":", 1)[1].split("/", 1)[0]
    return next((name for name in SWIFT if name.upper().replace(" ", "-") == slug), slug)


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)  # type: ignore[call-overload]


def _balance(value: Decimal, day: pd.Timestamp, currency: str) -> str:
    return f"{'C' if value >= 0 else 'D'}{day:%y%m%d}{currency}{mt940_amount(value)}"


def _info(description: str, other: str, name: str) -> list[str]:
    """``:86:`` lines: narrative and counterparty in SWIFT's character set, 65 characters a line, 6 lines."""
    kind, _, ident = other.partition(":")
    if kind == "msisdn":
        wallet = {"+254": "MPESA B2C", "+256": "MTN MOMO", "+251": "TELEBIRR"}.get(ident[:4], "MOBILE MONEY")
        party = f"{wallet} {ident.lstrip('+')} {name}"
    elif kind in ("acct", "iban"):
        party = f"{name} A/C {ident.rsplit('/', 1)[-1]}"
    else:
        party = f"{name or ident}"
    text = re.sub(r"[^A-Za-z0-9/\-?:().,'+ ]", " ", f"{description.upper()} {party}".strip())
    text = re.sub(r"\s+", " ", text)
    lines = [text[i : i + 65] for i in range(0, len(text), 65)][:6] or ["NONE"]
    return [f":86:{lines[0]}", *lines[1:]]
