"""OFX 2.2 (XML) bank statement download of one account, as internet banking's "Export to OFX/Money" writes it.

The XML declaration and the ``<?OFX OFXHEADER="200" VERSION="220" …?>`` processing instruction,
then ``SIGNONMSGSRSV1`` (server time, ``FI/ORG`` the bank's name) and one ``BANKMSGSRSV1/
STMTTRNRS/STMTRS`` with ``CURDEF``, ``BANKACCTFROM`` (``BANKID`` the bank's BIC, ``ACCTID``,
``ACCTTYPE``), ``BANKTRANLIST`` and ``LEDGERBAL``. Each ``STMTTRN`` has the elements in the
order of the OFX 2.2 schema: ``TRNTYPE`` (``CREDIT``/``DEBIT``, ``XFER`` for account-to-account
transfers, ``DEP``/``CASH`` for cash paid in or drawn at a branch), ``DTPOSTED`` (``YYYYMMDDHHMMSS.XXX[+3:EAT]``), ``TRNAMT`` (signed: negative is money
out), ``FITID`` (the canonical tx_id), ``NAME`` (at most 32 characters), ``BANKACCTTO`` for a
transfer to or from another bank account, ``MEMO``.

Only posted (``completed``) transactions are listed: OFX statements carry no failed transfers.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from lxml import etree

from finintel.synth._export_goaml import SWIFT
from finintel.synth._export_swift import _bank_name, ledger_transactions
from finintel.synth._export_util import EAT, account_rows, digits, opening_balance

if TYPE_CHECKING:
    from finintel.synth._generate import Ledger

__all__ = ["ofx_time", "write_ofx"]


def ofx_time(ts: pd.Timestamp) -> str:
    """OFX date-time in East Africa Time with its offset and zone name.

    >>> ofx_time(pd.Timestamp("2024-03-01 06:15:30", tz="UTC"))
    '20240301091530.000[+3:EAT]'
    """
    return f"{ts.tz_convert(EAT):%Y%m%d%H%M%S}.000[+3:EAT]"


def write_ofx(
    tx: pd.DataFrame | Ledger, path: str | Path, *, account: str, institution: str | None = None
) -> list[str]:
    """Write the OFX 2.2 statement of bank account `account` (``acct:<BANK>/<number>``); return the tx_ids written.

    Parameters
    ----------
    tx : pandas.DataFrame or Ledger
        Canonical transactions (``Ledger.transactions``), or the ledger itself.
    path : str or Path
        The ``.ofx`` file to write.
    account : str
        The statement account.
    institution : str, optional
        Bank name for ``FI/ORG`` and its BIC for ``BANKID`` (default: from the key).

    Returns
    -------
    list of str
        The FITIDs (canonical tx_ids) in file order, oldest first.

    Examples
    --------
    >>> import tempfile, finintel as fi
    >>> t = fi.testing.transactions([("acct:KCB-BANK-KENYA/1234567890", "acct:EQUITY-BANK-KENYA/0170199", 250.5,
    ...                                "2024-03-01 09:00")], currency="KES", channel="bank")
    >>> p = Path(tempfile.mkdtemp()) / "s.ofx"
    >>> write_ofx(t, p, account="acct:KCB-BANK-KENYA/1234567890", institution="KCB Bank Kenya")
    ['t1']
    >>> [line for line in p.read_text().splitlines() if "TRNAMT" in line or "BANKID" in line]
    ['          <BANKID>KCBLKENX</BANKID>', '            <TRNAMT>-250.50</TRNAMT>', '              <BANKID>EQBLKENA</BANKID>']
    """
    rows = account_rows(ledger_transactions(tx), account)
    rows = rows[rows["status"] == "completed"]
    bank = institution or _bank_name(account)
    currency = str(rows["currency"].iloc[0]) if len(rows) else "KES"
    signed = [Decimal(a) * d for a, d in zip(rows["amount_exact"], rows["direction"], strict=True)]
    opening = opening_balance(pd.Series(signed, dtype=object), account)
    start = rows["timestamp"].min() if len(rows) else pd.Timestamp("2024-01-01", tz="UTC")
    end = rows["timestamp"].max() if len(rows) else start

    ofx = etree.Element("OFX")
    sonrs = _sub(_sub(ofx, "SIGNONMSGSRSV1"), "SONRS")
    _status(sonrs)
    _sub(sonrs, "DTSERVER", ofx_time(end + pd.Timedelta(days=1)))
    _sub(sonrs, "LANGUAGE", "ENG")
    fi_ = _sub(sonrs, "FI")
    _sub(fi_, "ORG", bank)
    _sub(fi_, "FID", digits(bank, 5))
    trnrs = _sub(_sub(ofx, "BANKMSGSRSV1"), "STMTTRNRS")
    _sub(trnrs, "TRNUID", digits(account, 8))
    _status(trnrs)
    stmt = _sub(trnrs, "STMTRS")
    _sub(stmt, "CURDEF", currency)
    _account(_sub(stmt, "BANKACCTFROM"), account, bank)
    tranlist = _sub(stmt, "BANKTRANLIST")
    _sub(tranlist, "DTSTART", ofx_time(start))
    _sub(tranlist, "DTEND", ofx_time(end))
    for r, amount in zip(rows.itertuples(index=False), signed, strict=True):
        other = str(r.other)
        to_account = other.startswith(("acct:", "iban:"))
        st = _sub(tranlist, "STMTTRN")
        _sub(st, "TRNTYPE", _trntype(other, amount))
        _sub(st, "DTPOSTED", ofx_time(r.timestamp))
        _sub(st, "TRNAMT", _amount(amount))
        _sub(st, "FITID", str(r.tx_id))
        _sub(st, "NAME", _text(r.other_name)[:32] or other.split(":", 1)[1][:32])
        if to_account:
            _account(_sub(st, "BANKACCTTO"), other, _bank_name(other))
        memo = _text(r.description)
        if other.startswith("msisdn:"):
            memo = f"{memo} {other.split(':', 1)[1]}".strip()
        if memo:
            _sub(st, "MEMO", memo[:255])
    bal = _sub(stmt, "LEDGERBAL")
    _sub(bal, "BALAMT", _amount(opening + sum(signed, Decimal(0))))
    _sub(bal, "DTASOF", ofx_time(end))
    body = etree.tostring(ofx, pretty_print=True, encoding="unicode")
    header = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>\n'
    )
    Path(path).write_text(header + body, encoding="utf-8")
    return [str(t) for t in rows["tx_id"]]


def _trntype(other: str, amount: Decimal) -> str:
    """``XFER`` between accounts, ``DEP``/``CASH`` at a branch or agent, else ``CREDIT``/``DEBIT``."""
    if other.startswith(("acct:", "iban:")):
        return "XFER"
    if other.startswith("cash:"):
        return "DEP" if amount > 0 else "CASH"
    return "CREDIT" if amount > 0 else "DEBIT"


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def _status(parent: etree._Element) -> None:
    st = _sub(parent, "STATUS")
    _sub(st, "CODE", "0")
    _sub(st, "SEVERITY", "INFO")


def _account(el: etree._Element, key: str, bank: str) -> None:
    if key.startswith("iban:"):
        _sub(el, "BANKID", key[5:9])
        _sub(el, "ACCTID", key[5:])
    else:
        _sub(el, "BANKID", SWIFT.get(bank, "XXXXKENX"))
        _sub(el, "ACCTID", key.rsplit("/", 1)[-1])
    _sub(el, "ACCTTYPE", "CHECKING")


def _amount(value: Decimal) -> str:
    return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else format(value.normalize(), "f")


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)  # type: ignore[call-overload]
