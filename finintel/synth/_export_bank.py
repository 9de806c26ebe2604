"""Bank account statement as CSV, the way Kenyan and regional banks' internet banking exports it.

Metadata lines on top (bank name, account number, account name, currency, statement
period, opening balance), a blank line, then ``Date,Value Date,Description,Reference,
Debit,Credit,Balance``: day-first dates (``05/01/2024``), amounts with thousands
separators and two decimals, quoted by the CSV writer where they contain commas, oldest
first, closing balance line at the end. ``variant="money_in_out"`` writes the layout several
Kenyan banks use instead: ``Transaction Date,Value Date,Transaction Details,Cheque No/Reference,
Money Out,Money In,Ledger Balance`` with ``05-01-2024`` dates. Failed and reversed transfers are
not listed (a bank statement shows only what was booked).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from finintel.synth._export_util import account_rows, local, money, opening_balance, party_of, phone_local

__all__ = ["HEADERS", "write_bank_statement"]

HEADERS = {
    "standard": ["Date", "Value Date", "Description", "Reference", "Debit", "Credit", "Balance"],
    "money_in_out": [
        "Transaction Date",
        "Value Date",
        "Transaction Details",
        "Cheque No/Reference",
        "Money Out",
        "Money In",
        "Ledger Balance",
    ],
}
"""Column headers of the two statement layouts: the common one, and the "money out / money in" one of
several Kenyan banks (with ``dd-mm-yyyy`` dates); same columns in the same order."""


def write_bank_statement(
    tx: pd.DataFrame,
    parties: pd.DataFrame,
    accounts: pd.DataFrame,
    account: str,
    path: Path,
    *,
    period: tuple[pd.Timestamp, pd.Timestamp],
    variant: Literal["standard", "money_in_out"] = "standard",
) -> list[str]:
    """Write the statement of bank account `account` (``acct:<BANK>/<number>``) to `path`; return the tx_ids written.

    Examples
    --------
    >>> import tempfile, finintel as fi
    >>> led = fi.synth.generate(1_000, seed=3, typologies=[])
    >>> a = led.transactions.loc[led.transactions["sender"].str.startswith("acct:"), "sender"].iloc[0]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     ids = write_bank_statement(led.transactions, led.parties, led.accounts, a, Path(d) / "b.csv",
    ...                                period=(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-30")))
    ...     lines = (Path(d) / "b.csv").read_text().splitlines()
    >>> lines[0].startswith("Bank Name,"), "Date,Value Date,Description,Reference,Debit,Credit,Balance" in lines
    (True, True)
    """
    rows = account_rows(tx, account)
    rows = rows[rows["status"] == "completed"]
    signed = pd.Series(
        [Decimal(a) * d for a, d in zip(rows["amount_exact"], rows["direction"], strict=True)], dtype=object
    )
    opening = opening_balance(signed, account)
    balance = (opening + signed.cumsum()).tolist() if len(signed) else []
    meta = accounts.loc[accounts["account"] == account].iloc[0] if (accounts["account"] == account).any() else None
    institution = str(meta["institution"]) if meta is not None else account.split(":", 1)[1].split("/", 1)[0]
    holder = party_of(parties, accounts, account)
    number = account.split("/", 1)[1] if account.startswith("acct:") else account.split(":", 1)[1]
    currency = str(meta["currency"]) if meta is not None else str(rows["currency"].iloc[0]) if len(rows) else ""
    name = str(meta["account_name"]) if meta is not None else str(holder.get("name") or "")
    when = local(rows["timestamp"])
    start, end = period
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Bank Name", institution])
        w.writerow(["Account Number", number])
        w.writerow(["Account Name", name])
        w.writerow(["Currency", currency])
        w.writerow(["Statement Period", f"{start:%d/%m/%Y} - {end:%d/%m/%Y}"])
        w.writerow(["Opening Balance", money(opening)])
        w.writerow([])
        w.writerow(HEADERS[variant])
        for i, r in enumerate(rows.itertuples(index=False)):
            day = when.iloc[i]
            value_day = day + pd.Timedelta(days=1) if r.channel == "cash" and day.hour >= 15 else day
            amt = Decimal(r.amount_exact)
            fmt = "%d/%m/%Y" if variant == "standard" else "%d-%m-%Y"
            w.writerow(
                [
                    day.strftime(fmt),
                    value_day.strftime(fmt),
                    _narrative(r),
                    str(r.tx_id),
                    money(amt) if r.direction < 0 else "",
                    money(amt) if r.direction > 0 else "",
                    money(balance[i]),
                ]
            )
        w.writerow([])
        w.writerow(["Closing Balance", money(balance[-1] if balance else opening)])
    return [str(t) for t in rows["tx_id"]]


def _narrative(r: Any) -> str:
    other, name = str(r.other), str(r.other_name or "").upper()
    space, ident = other.split(":", 1)
    out = r.direction < 0
    desc = str(r.description or "")
    if desc.startswith("SALARY"):
        return f"{desc} {name}".strip()
    if space == "msisdn":
        return f"MPESA B2C {phone_local(ident)} {name}" if out else f"MPESA C2B {ident.lstrip('+')} {name}"
    if space == "cash":
        return f"CASH DEPOSIT {ident.upper()}"
    if space == "iban":
        return f"OUTWARD TT {name} {ident}" if out else f"INWARD TT {name} {ident}"
    if space == "acct":
        inst, number = ident.split("/", 1)
        kind = (
            "RTGS"
            if float(r.amount) >= 1_000_000
            else "PESALINK"
            if float(r.amount) <= 999_999 and inst.endswith("KENYA")
            else "IFT"
        )
        return f"{kind} {'TO' if out else 'FROM'} {name} {inst.replace('-', ' ')} {number}"
    return f"{desc.upper()} {name}".strip()
