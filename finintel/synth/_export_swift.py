"""SWIFT messages of one bank account: its MT940 statement and the MT103 transfers it sent (RJE file).

MT940 (:func:`write_mt940`), as a bank's host-to-host channel delivers it.

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

MT103 (:func:`write_mt103`), an RJE file as SWIFT Alliance exports it: messages separated by a
line holding ``$``, each ``{1:F01<sender BIC>AXXX<session+sequence>}{2:I103<receiver BIC>XXXXN}
{3:{121:<UETR>}}{4:`` then ``:20:`` (sender's reference = the canonical tx_id), ``:23B:CRED``,
``:32A:`` (value date, currency, amount with decimal comma), ``:50K:/<account>`` and the
ordering customer's name, ``:52A:`` ordering institution, ``:57A:`` account-with institution,
``:59:/<account>`` and the beneficiary's name, ``:70:`` remittance information, ``:71A:SHA``,
``-}``. One message per booked credit transfer from the account to another bank account.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from finintel.synth._export_goaml import SWIFT
from finintel.synth._export_util import EAT, account_rows, digits, opening_balance

if TYPE_CHECKING:
    from finintel.synth._generate import Ledger

__all__ = ["ledger_transactions", "mt940_amount", "write_mt103", "write_mt940"]


def mt940_amount(value: Decimal) -> str:
    """SWIFT amount: decimal comma, no thousands separator, a trailing comma for whole amounts.

    >>> mt940_amount(Decimal("250.50")), mt940_amount(Decimal("1500")), mt940_amount(Decimal("0.05"))
    ('250,5', '1500,', '0,05')
    """
    text = format(abs(value).normalize(), "f")
    whole, _, frac = text.partition(".")
    return f"{whole},{frac}"


def write_mt940(
    tx: pd.DataFrame | Ledger,
    path: str | Path,
    *,
    account: str,
    institution: str | None = None,
    statement_number: int = 1,
) -> list[str]:
    """Write the MT940 statement of bank account `account` (``acct:<BANK>/<number>``); return the tx_ids written.

    Parameters
    ----------
    tx : pandas.DataFrame or Ledger
        Canonical transactions (``Ledger.transactions``), or the ledger itself.
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
    rows = account_rows(ledger_transactions(tx), account)
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


def ledger_transactions(data: pd.DataFrame | Ledger) -> pd.DataFrame:
    """The transactions frame of a :class:`~finintel.synth.Ledger`, or the frame itself."""
    return data if isinstance(data, pd.DataFrame) else data.transactions


def _bank_name(key: str) -> str:
    """``acct:KCB-BANK-KENYA/…`` -> ``KCB Bank Kenya`` (the synthetic banks' names, for their BICs)."""
    slug = key.split(":", 1)[1].split("/", 1)[0]
    return next((name for name in SWIFT if name.upper().replace(" ", "-") == slug), slug)


def write_mt103(tx: pd.DataFrame | Ledger, path: str | Path, *, account: str) -> list[str]:
    """Write the MT103s bank account `account` sent to other bank accounts as one RJE file; return the tx_ids.

    Parameters
    ----------
    tx : pandas.DataFrame or Ledger
        Canonical transactions (``Ledger.transactions``), or the ledger itself.
    path : str or Path
        The ``.rje`` file to write.
    account : str
        The ordering customer's account (``acct:<BANK>/<number>``).

    Returns
    -------
    list of str
        Canonical tx_ids (each message's ``:20:``), in file order.

    Examples
    --------
    >>> import tempfile, finintel as fi
    >>> t = fi.testing.transactions([("acct:KCB-BANK-KENYA/1234567890", "acct:DFCU-BANK/9988776655", 15000.5,
    ...                                "2024-03-01 09:00")], currency="USD", channel="bank")
    >>> p = Path(tempfile.mkdtemp()) / "out.rje"
    >>> write_mt103(t, p, account="acct:KCB-BANK-KENYA/1234567890")
    ['t1']
    >>> p.read_text().splitlines()[1:4]
    [':20:t1', ':23B:CRED', ':32A:240301USD15000,5']
    >>> tx, key = fi.read(p).transactions, fi.schema.keys.bank_account_key
    >>> tx.loc[0, "sender"] == key("1234567890", "KCBLKENX"), tx.loc[0, "receiver"] == key("9988776655", "DFCUUGKA")
    (True, True)
    """
    rows = account_rows(ledger_transactions(tx), account)
    bank_to_bank = rows["other"].str.startswith(("acct:", "iban:"))
    rows = rows[(rows["status"] == "completed") & (rows["direction"] < 0) & bank_to_bank]
    bic = SWIFT.get(_bank_name(account), "XXXXKENX")
    messages = []
    for n, r in enumerate(rows.itertuples(index=False), 1):
        other = str(r.other)
        to_bic = SWIFT.get(_bank_name(other), "XXXXKENX") if other.startswith("acct:") else None
        uetr = uuid.UUID(int=int(digits(str(r.tx_id) + account, 38)), version=4)
        day = r.timestamp.tz_convert(EAT)
        receiver = to_bic or "CITIUS33"  # a foreign IBAN: sent through a correspondent
        lines = [
            f"{{1:F01{bic}AXXX{digits(account, 4)}{n:06d}}}{{2:I103{receiver}XXXXN}}{{3:{{121:{uetr}}}}}{{4:",
            f":20:{str(r.tx_id)[:16]}",
            ":23B:CRED",
            f":32A:{day:%y%m%d}{r.currency}{mt940_amount(Decimal(r.amount_exact))}",
            f":50K:/{account.rsplit('/', 1)[-1]}",
            *_swift_lines(_text(r.sender_name) or "NOT PROVIDED", 35, 4),
            f":52A:{bic}",
        ]
        if to_bic:
            lines.append(f":57A:{to_bic}")
        lines += [f":59:/{other.split(':', 1)[1].rsplit('/', 1)[-1]}", *_swift_lines(_text(r.receiver_name), 35, 4)]
        if memo := _text(r.description):
            lines += [":70:" + line for line in _swift_lines(memo, 35, 1)] + _swift_lines(memo, 35, 4)[1:]
        lines += [":71A:SHA", "-}"]
        messages.append("\r\n".join(lines))
    Path(path).write_text("\r\n$\r\n".join(messages) + ("\r\n" if messages else ""), encoding="ascii", errors="replace")
    return [str(t) for t in rows["tx_id"]]


def _swift_lines(text: str, width: int, most: int) -> list[str]:
    """`text` in the SWIFT x character set, cut into at most `most` lines of `width` characters."""
    clean = re.sub(r"\s+", " ", re.sub(r"[^A-Za-z0-9/\-?:().,'+ ]", " ", text.upper())).strip()
    return [clean[i : i + width] for i in range(0, len(clean), width)][:most] or ["NOT PROVIDED"]


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
