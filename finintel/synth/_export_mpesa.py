"""Safaricom M-PESA customer statement as CSV (the statement PDF's tables, as analysts convert them).

Layout: a header block (customer name, mobile number, e-mail, statement period, request
date), a SUMMARY table by transaction type, then the DETAILED STATEMENT with the real
columns ``Receipt No.,Completion Time,Details,Transaction Status,Paid In,Withdrawn,Balance``,
newest first. Times are Nairobi local (``2024-03-01 14:22:05``); amounts carry thousands
separators and two decimals; withdrawals are negative; a failed transaction keeps its line
with ``Transaction Status`` ``Failed`` and moves no balance. Details follow Safaricom's wording:
``Customer Transfer to 0729914044 - JANE DOE``, ``Funds received from 254712345678 - JOHN
MWANGI``, ``Customer Withdrawal At Agent Till 123456 - AGENT NAME``, ``Pay Bill to 888880 -
KPLC PREPAID Acc. 12345``.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from finintel.synth._export_util import account_rows, digits, local, money, opening_balance, party_of, phone_local

__all__ = ["BANK_PAYBILLS", "write_mpesa_statement"]

BANK_PAYBILLS = {
    "KCB-BANK-KENYA": ("522522", "KCB"),
    "EQUITY-BANK-KENYA": ("247247", "Equity Paybill Account"),
    "CO-OPERATIVE-BANK-OF-KENYA": ("400200", "Co-operative Bank"),
    "NCBA-BANK-KENYA": ("880100", "NCBA BANK"),
    "ABSA-BANK-KENYA": ("303030", "ABSA BANK"),
}
"""Bank paybill numbers used for wallet-to-bank and bank-to-wallet details."""
_STATUS = {"completed": "Completed", "failed": "Failed", "reversed": "Reversed", "pending": "Pending"}


def write_mpesa_statement(
    tx: pd.DataFrame,
    parties: pd.DataFrame,
    accounts: pd.DataFrame,
    account: str,
    path: Path,
    *,
    period: tuple[pd.Timestamp, pd.Timestamp],
) -> list[str]:
    """Write the M-PESA statement of wallet `account` to `path`; return the tx_ids written (file order).

    Examples
    --------
    >>> import tempfile, finintel as fi
    >>> led = fi.synth.generate(1_000, seed=3, typologies=[])
    >>> w = led.transactions.loc[led.transactions["sender"].str.startswith("msisdn:+254"), "sender"].iloc[0]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     ids = write_mpesa_statement(led.transactions, led.parties, led.accounts, w, Path(d) / "s.csv",
    ...                                 period=(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-30")))
    ...     text = (Path(d) / "s.csv").read_text()
    >>> "Receipt No.,Completion Time,Details,Transaction Status,Paid In,Withdrawn,Balance" in text, len(ids) > 0
    (True, True)
    """
    rows = account_rows(tx, account)
    done = (rows["status"] == "completed").to_numpy()
    signed = pd.Series(
        [
            Decimal(a) * d if ok else Decimal(0)
            for a, d, ok in zip(rows["amount_exact"], rows["direction"], done, strict=True)
        ],
        dtype=object,
    )
    opening = opening_balance(signed, account)
    balance = opening + signed.cumsum() if len(signed) else signed
    holder = party_of(parties, accounts, account)
    lines: list[list[str]] = []
    when = local(rows["timestamp"]).dt.strftime("%Y-%m-%d %H:%M:%S").tolist()
    summary: dict[str, list[Decimal]] = {}
    for i, r in enumerate(rows.itertuples(index=False)):
        details, kind = _details(r, accounts)
        amt = Decimal(r.amount_exact)
        paid_in = money(amt) if r.direction > 0 else ""
        withdrawn = money(-amt, sign=True) if r.direction < 0 else ""
        lines.append(
            [
                str(r.tx_id),
                when[i],
                details,
                _STATUS.get(str(r.status), "Completed"),
                paid_in,
                withdrawn,
                money(balance.iloc[i]) if len(balance) else "",
            ]
        )
        if done[i]:
            tot = summary.setdefault(kind, [Decimal(0), Decimal(0)])
            tot[0 if r.direction > 0 else 1] += amt
    lines.reverse()  # newest first, as Safaricom prints them
    start, end = period
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["MPESA FULL STATEMENT"])
        w.writerow(["Customer Name:", str(holder.get("name") or "")])
        w.writerow(["Mobile Number:", phone_local(account.split(":", 1)[1])])
        w.writerow(["Email Address:", str(holder.get("email") or "")])
        w.writerow(["Statement Period:", f"{start:%d %b %Y} - {end:%d %b %Y}"])
        w.writerow(["Request Date:", f"{end + pd.Timedelta(days=2):%d %b %Y}"])
        w.writerow([])
        w.writerow(["SUMMARY"])
        w.writerow(["TRANSACTION TYPE", "PAID IN", "PAID OUT"])
        for kind in (
            "SEND MONEY",
            "RECEIVED MONEY",
            "AGENT DEPOSIT",
            "AGENT WITHDRAWAL",
            "LIPA NA M-PESA (PAYBILL)",
            "OTHERS",
        ):
            p_in, p_out = summary.get(kind, [Decimal(0), Decimal(0)])
            w.writerow([kind, money(p_in), money(p_out)])
        w.writerow(
            [
                "TOTAL:",
                money(sum((v[0] for v in summary.values()), Decimal(0))),
                money(sum((v[1] for v in summary.values()), Decimal(0))),
            ]
        )
        w.writerow([])
        w.writerow(["DETAILED STATEMENT"])
        w.writerow(
            ["Receipt No.", "Completion Time", "Details", "Transaction Status", "Paid In", "Withdrawn", "Balance"]
        )
        w.writerows(lines)
    return [line[0] for line in lines]


def _details(r: Any, accounts: pd.DataFrame) -> tuple[str, str]:
    """Safaricom's wording for one line, and its summary type."""
    other, name = str(r.other), str(r.other_name or "").upper()
    space, ident = other.split(":", 1)
    out = r.direction < 0
    if space == "msisdn" and not ident.startswith("+254"):  # M-PESA Global, to or from a wallet abroad
        if out:
            return f"International Transfer to {ident.lstrip('+')} - {name}", "SEND MONEY"
        return f"International Money Transfer from {ident.lstrip('+')} - {name}", "RECEIVED MONEY"
    if space == "msisdn":
        if out:
            return f"Customer Transfer to {phone_local(ident)} - {name}", "SEND MONEY"
        return f"Funds received from {ident.lstrip('+')} - {name}", "RECEIVED MONEY"
    if space == "cash":
        till = ident.rsplit("-", 1)[-1]
        if out:
            return f"Customer Withdrawal At Agent Till {till} - {name}", "AGENT WITHDRAWAL"
        return f"Deposit of Funds at Agent Till {till} - {name}", "AGENT DEPOSIT"
    if space == "paybill":
        return f"Pay Bill to {ident} - {name} Acc. {digits(str(r.tx_id), 6)}", "LIPA NA M-PESA (PAYBILL)"
    if space == "acct" and not ident.startswith(("SA-", "AE-", "QA-", "GB-", "US-", "LB-", "JO-", "SE-", "IL-")):
        inst, number = ident.split("/", 1)
        bill, label = BANK_PAYBILLS.get(inst, ("000000", inst.replace("-", " ")))
        if out:
            return f"Pay Bill to {bill} - {label} Acc. {number}", "LIPA NA M-PESA (PAYBILL)"
        return (
            f"Business Payment from {bill} - {label} via API. Original conversation ID is {digits(str(r.tx_id), 12)}",
            "OTHERS",
        )
    country = str(r.receiver_country if out else r.sender_country)
    if out:
        return f"International Transfer to {name} ({country}) via WorldRemit", "OTHERS"
    return f"International Money Transfer from {name} ({country}) via WorldRemit", "OTHERS"
