"""Mobile-money statements other than M-PESA: MTN MoMo (Uganda) and telebirr (Ethiopia) as CSV.

* :func:`write_mtn_momo`: the MoMo partner-portal transaction export, one row per transaction,
  ``Id,External Transaction Id,Date,Status,Type,Provider Category,Information,Note,From,
  From Name,To,To Name,Initiated By,Amount,Currency,Fee,Fee Currency,Balance``: wallets as
  ``FRI:<msisdn>/MSISDN``, merchants and agents as ``FRI:<code>/USER``, local Kampala time
  (``2024-03-01 09:15:30``), ``SUCCESSFUL``/``FAILED``, unsigned amounts (From/To give the
  direction), newest first.
* :func:`write_telebirr`: the telebirr customer statement: ``Customer Name``, ``Mobile Number``
  and ``Statement Period`` lines, a blank line, then ``Transaction No,Transaction Time,
  Transaction Type,Counterparty,Transaction Status,Amount,Service Fee,Balance`` with the other
  party as ``<number> - <NAME>``, unsigned amounts (the type says the direction: ``Send Money``,
  ``Receive Money``, ``Cash Out``...), Addis Ababa time, oldest first.

Both keep the canonical tx_id as the transaction number. The ledger has no Airtel Money wallets,
so there is no Airtel writer.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from finintel.synth._export_swift import _text, ledger_transactions
from finintel.synth._export_util import account_rows, opening_balance

if TYPE_CHECKING:
    from finintel.synth._generate import Ledger

__all__ = ["write_mtn_momo", "write_telebirr"]

MOMO_HEADER = [
    "Id",
    "External Transaction Id",
    "Date",
    "Status",
    "Type",
    "Provider Category",
    "Information",
    "Note",
    "From",
    "From Name",
    "To",
    "To Name",
    "Initiated By",
    "Amount",
    "Currency",
    "Fee",
    "Fee Currency",
    "Balance",
]
TELEBIRR_HEADER = [
    "Transaction No",
    "Transaction Time",
    "Transaction Type",
    "Counterparty",
    "Transaction Status",
    "Amount",
    "Service Fee",
    "Balance",
]


def write_mtn_momo(tx: pd.DataFrame | Ledger, path: str | Path, *, account: str) -> list[str]:
    """Write the MTN MoMo export of wallet `account` (``msisdn:+256…``); return the tx_ids written.

    Parameters
    ----------
    tx : pandas.DataFrame or Ledger
        Canonical transactions (``Ledger.transactions``), or the ledger itself.
    path : str or Path
        The ``.csv`` file to write.
    account : str
        The wallet.

    Returns
    -------
    list of str
        Canonical tx_ids (the ``Id`` column), in file order (newest first).

    Examples
    --------
    >>> import tempfile, finintel as fi
    >>> t = fi.testing.transactions([("msisdn:+256772123456", "msisdn:+256701234567", 150000, "2024-03-01 06:15:30")],
    ...                             currency="UGX", channel="mobile_money")
    >>> p = Path(tempfile.mkdtemp()) / "momo.csv"
    >>> write_mtn_momo(t, p, account="msisdn:+256772123456")
    ['t1']
    >>> p.read_text().splitlines()[1]
    't1,,2024-03-01 09:15:30,SUCCESSFUL,TRANSFER,,,,FRI:256772123456/MSISDN,,FRI:256701234567/MSISDN,,ID:256772123456/MSISDN,150000,UGX,0,UGX,3103'
    """
    rows = account_rows(ledger_transactions(tx), account)
    balance = _balances(rows, account)
    local = rows["timestamp"].dt.tz_convert("Africa/Kampala")
    own = _handle(account)
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(MOMO_HEADER)
        for r, when, bal in reversed(list(zip(rows.itertuples(index=False), local, balance, strict=True))):
            other = str(r.other)
            kind = _momo_type(other, int(r.direction))
            ok = r.status == "completed"
            w.writerow(
                [
                    r.tx_id,
                    "",
                    f"{when:%Y-%m-%d %H:%M:%S}",
                    "SUCCESSFUL" if ok else "FAILED",
                    kind,
                    "",
                    _text(r.description),
                    "",
                    _handle(str(r.sender)),
                    _text(r.sender_name),
                    _handle(str(r.receiver)),
                    _text(r.receiver_name),
                    own.replace("FRI:", "ID:"),
                    _plain(Decimal(r.amount_exact)),
                    r.currency,
                    "0",
                    r.currency,
                    _plain(bal) if bal is not None else "",
                ]
            )
    return [str(t) for t in reversed(list(rows["tx_id"]))]


def write_telebirr(tx: pd.DataFrame | Ledger, path: str | Path, *, account: str, name: str | None = None) -> list[str]:
    """Write the telebirr statement of wallet `account` (``msisdn:+251…``); return the tx_ids written.

    Parameters
    ----------
    tx : pandas.DataFrame or Ledger
        Canonical transactions (``Ledger.transactions``), or the ledger itself.
    path : str or Path
        The ``.csv`` file to write.
    account : str
        The wallet.
    name : str, optional
        ``Customer Name`` line (default: the holder's name in the ledger).

    Returns
    -------
    list of str
        Canonical tx_ids (``Transaction No``), oldest first.

    Examples
    --------
    >>> import tempfile, finintel as fi
    >>> t = fi.testing.transactions([("msisdn:+251911234567", "msisdn:+251922345678", 1200.5, "2024-03-01 06:15:30")],
    ...                             currency="ETB", channel="mobile_money")
    >>> p = Path(tempfile.mkdtemp()) / "telebirr.csv"
    >>> write_telebirr(t, p, account="msisdn:+251911234567", name="ABEBE KEBEDE")
    ['t1']
    >>> p.read_text().splitlines()[4:6]
    ['Transaction No,Transaction Time,Transaction Type,Counterparty,Transaction Status,Amount,Service Fee,Balance', 't1,2024-03-01 09:15:30,Send Money,251922345678,Completed,1200.50,0.00,1995.00']
    """
    rows = account_rows(ledger_transactions(tx), account)
    balance = _balances(rows, account)
    local = rows["timestamp"].dt.tz_convert("Africa/Addis_Ababa")
    holder = name or _holder(rows, account)
    start = local.min() if len(rows) else pd.Timestamp("2024-01-01", tz="Africa/Addis_Ababa")
    end = local.max() if len(rows) else start
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Customer Name", holder])
        w.writerow(["Mobile Number", account.split(":", 1)[1].lstrip("+")])
        w.writerow(["Statement Period", f"{start:%Y-%m-%d} to {end:%Y-%m-%d}"])
        w.writerow([])
        w.writerow(TELEBIRR_HEADER)
        for r, when, bal in zip(rows.itertuples(index=False), local, balance, strict=True):
            other, name_ = str(r.other), _text(r.other_name)
            ident = other.split(":", 1)[1].rsplit("-", 1)[-1].lstrip("+")
            w.writerow(
                [
                    r.tx_id,
                    f"{when:%Y-%m-%d %H:%M:%S}",
                    _telebirr_type(other, int(r.direction)),
                    f"{ident} - {name_}" if name_ else ident,
                    "Completed" if r.status == "completed" else "Failed",
                    f"{Decimal(r.amount_exact):.2f}",
                    "0.00",
                    f"{bal:.2f}" if bal is not None else "",
                ]
            )
    return [str(t) for t in rows["tx_id"]]


def _handle(key: str) -> str:
    kind, _, ident = key.partition(":")
    if kind == "msisdn":
        return f"FRI:{ident.lstrip('+')}/MSISDN"
    return f"FRI:{ident.rsplit('-', 1)[-1].rsplit('/', 1)[-1]}/USER"


def _momo_type(other: str, direction: int) -> str:
    if other.startswith("cash:"):
        return "CASH_IN" if direction > 0 else "CASH_OUT"
    return "PAYMENT" if other.startswith("paybill:") else "TRANSFER"


def _telebirr_type(other: str, direction: int) -> str:
    if other.startswith("cash:"):
        return "Cash In" if direction > 0 else "Cash Out"
    if other.startswith("paybill:"):
        return "Refund" if direction > 0 else "Merchant Payment"
    if other.startswith(("acct:", "iban:")):
        return "Receive from Bank" if direction > 0 else "Transfer to Bank"
    return "Receive Money" if direction > 0 else "Send Money"


def _balances(rows: pd.DataFrame, account: str) -> list[Decimal | None]:
    """Running balance after each completed row (None on a failed one: it moved nothing)."""
    moved = [
        Decimal(a) * d if s == "completed" else Decimal(0)
        for a, d, s in zip(rows["amount_exact"], rows["direction"], rows["status"], strict=True)
    ]
    running = opening_balance(pd.Series(moved, dtype=object), account)
    out: list[Decimal | None] = []
    for m, s in zip(moved, rows["status"], strict=True):
        running += m
        out.append(running if s == "completed" else None)
    return out


def _holder(rows: pd.DataFrame, account: str) -> str:
    names = rows["sender_name"].where(rows["sender"] == account, rows["receiver_name"]).dropna()
    return str(names.iloc[0]) if len(names) else ""


def _plain(d: Decimal) -> str:
    return format(d.normalize(), "f")
