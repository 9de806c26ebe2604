"""ISO 20022 messages of one bank account: a camt.053.001.08 statement and the pacs.008.001.08 it sent.

* :func:`write_camt053`: ``BkToCstmrStmt`` with one ``Stmt``: ``Acct`` (``Othr/Id`` account
  number, ``Ccy``, ``Ownr/Nm``, ``Svcr`` BIC), opening (``OPBD``) and closing (``CLBD``)
  balances, then one ``Ntry`` per booked entry in schema order (``NtryRef``, ``Amt Ccy``,
  ``CdtDbtInd``, ``Sts/Cd`` ``BOOK``, ``BookgDt/DtTm`` with the East Africa offset,
  ``ValDt/Dt``, ``AcctSvcrRef`` = the canonical tx_id, ``BkTxCd``, ``NtryDtls/TxDtls`` with
  ``Refs``, ``RltdPties`` (v08 ``Dbtr/Pty/Nm``, ``DbtrAcct``...), ``RltdAgts`` and ``RmtInf``).
  Cash at the counter is bank transaction code ``PMNT/CNTR/CDPT`` (deposit) or ``CWDL``
  (withdrawal) with no counterparty; a wallet on the other side is named (``Nm``) with its
  number in ``RmtInf`` (wallets have no account identification in a bank's statement).
* :func:`write_pacs008`: ``FIToFICstmrCdtTrf`` with one ``CdtTrfTxInf`` per credit transfer the
  account sent to another bank account (``INDA`` settlement, ``SHAR`` charges), ``PmtId`` with
  ``InstrId``/``EndToEndId``/``TxId`` = the canonical tx_id and a ``UETR``, settlement date in
  East Africa Time and ``AccptncDtTm``; debtor and creditor with account and agent BIC.

Only booked (``completed``) transactions are written.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from lxml import etree

from finintel.synth._export_goaml import SWIFT
from finintel.synth._export_swift import _bank_name, _text, ledger_transactions
from finintel.synth._export_util import EAT, account_rows, digits, opening_balance

if TYPE_CHECKING:
    from finintel.synth._generate import Ledger

__all__ = ["write_camt053", "write_pacs008"]

CAMT053 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
PACS008 = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"


def write_camt053(
    tx: pd.DataFrame | Ledger, path: str | Path, *, account: str, owner_name: str | None = None
) -> list[str]:
    """Write the camt.053.001.08 statement of bank account `account` (``acct:<BANK>/<number>``); return the tx_ids.

    Parameters
    ----------
    tx : pandas.DataFrame or Ledger
        Canonical transactions (``Ledger.transactions``), or the ledger itself.
    path : str or Path
        The ``.xml`` file to write.
    account : str
        The statement account.
    owner_name : str, optional
        ``Acct/Ownr/Nm`` (default: the name the ledger gives the account's holder).

    Returns
    -------
    list of str
        The ``AcctSvcrRef`` of each ``Ntry`` (canonical tx_ids), oldest first.

    Examples
    --------
    >>> import tempfile, finintel as fi
    >>> t = fi.testing.transactions([("acct:KCB-BANK-KENYA/1234567890", "acct:EQUITY-BANK-KENYA/0170199", 250.5,
    ...                                "2024-03-01 09:00")], currency="KES", channel="bank")
    >>> p = Path(tempfile.mkdtemp()) / "camt.xml"
    >>> write_camt053(t, p, account="acct:KCB-BANK-KENYA/1234567890")
    ['t1']
    >>> tx = fi.read(p).transactions
    >>> key = fi.schema.keys.bank_account_key  # the reader keys each bank by its BIC, canonicalised
    >>> tx.loc[0, ["tx_id", "amount"]].astype(str).tolist(), tx.loc[0, "receiver"] == key("0170199", "EQBLKENA")
    (['camt:t1', '250.5'], True)
    """
    rows = account_rows(ledger_transactions(tx), account)
    rows = rows[rows["status"] == "completed"]
    bic = SWIFT.get(_bank_name(account), "XXXXKENX")
    ccy = str(rows["currency"].iloc[0]) if len(rows) else "KES"
    signed = [Decimal(a) * d for a, d in zip(rows["amount_exact"], rows["direction"], strict=True)]
    opening = opening_balance(pd.Series(signed, dtype=object), account)
    start = rows["timestamp"].min() if len(rows) else pd.Timestamp("2024-01-01", tz="UTC")
    end = rows["timestamp"].max() if len(rows) else start
    own_name = owner_name or _holder_name(rows, account)
    stamp = (end + pd.Timedelta(days=1)).tz_convert(EAT).normalize() + pd.Timedelta(hours=6)

    doc = etree.Element("Document", nsmap={None: CAMT053})
    stmt_root = _sub(doc, "BkToCstmrStmt")
    hdr = _sub(stmt_root, "GrpHdr")
    _sub(hdr, "MsgId", f"CAMT053-{bic}-{stamp:%Y%m%d}-{digits(account, 6)}")
    _sub(hdr, "CreDtTm", _dttm(stamp))
    stmt = _sub(stmt_root, "Stmt")
    _sub(stmt, "Id", f"{digits(account, 10)}-{stamp:%Y%m%d}")
    _sub(stmt, "ElctrncSeqNb", "1")
    _sub(stmt, "CreDtTm", _dttm(stamp))
    period = _sub(stmt, "FrToDt")
    _sub(period, "FrDtTm", _dttm(start.tz_convert(EAT).normalize()))
    _sub(period, "ToDtTm", _dttm(end.tz_convert(EAT).normalize() + pd.Timedelta(hours=23, minutes=59, seconds=59)))
    acct = _sub(stmt, "Acct")
    _account_id(acct, account)
    _sub(acct, "Ccy", ccy)
    if own_name:
        _sub(_sub(acct, "Ownr"), "Nm", own_name)
    _agent(_sub(acct, "Svcr"), bic)
    _balance(stmt, "OPBD", opening, ccy, start)
    _balance(stmt, "CLBD", opening + sum(signed, Decimal(0)), ccy, end)
    for n, (r, amount) in enumerate(zip(rows.itertuples(index=False), signed, strict=True), 1):
        other, credit = str(r.other), amount > 0
        ind = "CRDT" if credit else "DBIT"
        ntry = _sub(stmt, "Ntry")
        _sub(ntry, "NtryRef", str(n))
        _amt(ntry, "Amt", amount, ccy)
        _sub(ntry, "CdtDbtInd", ind)
        _sub(_sub(ntry, "Sts"), "Cd", "BOOK")
        _sub(_sub(ntry, "BookgDt"), "DtTm", _dttm(r.timestamp))
        _sub(_sub(ntry, "ValDt"), "Dt", f"{r.timestamp.tz_convert(EAT):%Y-%m-%d}")
        _sub(ntry, "AcctSvcrRef", str(r.tx_id))
        family = (
            ("CNTR", "CDPT" if credit else "CWDL")
            if other.startswith("cash:")
            else (("RCDT", "DMCT") if credit else ("ICDT", "DMCT"))
        )
        _bank_code(ntry, family)
        d = _sub(_sub(ntry, "NtryDtls"), "TxDtls")
        refs = _sub(d, "Refs")
        _sub(refs, "AcctSvcrRef", str(r.tx_id))
        _sub(refs, "EndToEndId", str(r.tx_id) if other.startswith(("acct:", "iban:")) else "NOTPROVIDED")
        _amt(d, "Amt", amount, ccy)
        _sub(d, "CdtDbtInd", ind)
        _bank_code(d, family)
        memo = _text(r.description)
        if not other.startswith("cash:"):
            side = "Dbtr" if credit else "Cdtr"
            pties = _sub(d, "RltdPties")
            if name := _text(r.other_name):
                _sub(_sub(_sub(pties, side), "Pty"), "Nm", name[:140])
            if other.startswith(("acct:", "iban:")):
                _account_id(_sub(pties, f"{side}Acct"), other)
                if other.startswith("acct:"):
                    _agent(_sub(_sub(d, "RltdAgts"), f"{side}Agt"), SWIFT.get(_bank_name(other), "XXXXKENX"))
            else:
                memo = f"{memo} {other.split(':', 1)[1]}".strip()
        if memo:
            _sub(_sub(d, "RmtInf"), "Ustrd", memo[:140])
    _write(doc, path)
    return [str(t) for t in rows["tx_id"]]


def write_pacs008(tx: pd.DataFrame | Ledger, path: str | Path, *, account: str) -> list[str]:
    """Write the pacs.008.001.08 credit transfers bank account `account` sent to other bank accounts.

    Parameters
    ----------
    tx : pandas.DataFrame or Ledger
        Canonical transactions (``Ledger.transactions``), or the ledger itself.
    path : str or Path
        The ``.xml`` file to write.
    account : str
        The debtor account (``acct:<BANK>/<number>``).

    Returns
    -------
    list of str
        The canonical tx_ids (each ``EndToEndId``), in file order.

    Examples
    --------
    >>> import tempfile, finintel as fi
    >>> t = fi.testing.transactions([("acct:KCB-BANK-KENYA/1234567890", "iban:GB82WEST12345698765432", 99.99,
    ...                                "2024-03-01 22:30")], currency="KES", channel="bank")
    >>> p = Path(tempfile.mkdtemp()) / "pacs.xml"
    >>> write_pacs008(t, p, account="acct:KCB-BANK-KENYA/1234567890")
    ['t1']
    >>> tx = fi.read(p).transactions
    >>> tx.loc[0, ["receiver", "amount"]].astype(str).tolist(), tx.loc[0, "sender"].endswith("/1234567890")
    (['iban:GB82WEST12345698765432', '99.99'], True)
    """
    rows = account_rows(ledger_transactions(tx), account)
    bank_to_bank = rows["other"].str.startswith(("acct:", "iban:"))
    rows = rows[(rows["status"] == "completed") & (rows["direction"] < 0) & bank_to_bank]
    bic = SWIFT.get(_bank_name(account), "XXXXKENX")
    last = rows["timestamp"].max() if len(rows) else pd.Timestamp("2024-01-01", tz="UTC")
    doc = etree.Element("Document", nsmap={None: PACS008})
    root = _sub(doc, "FIToFICstmrCdtTrf")
    hdr = _sub(root, "GrpHdr")
    _sub(hdr, "MsgId", f"{bic}{last.tz_convert(EAT):%Y%m%d}{digits(account, 8)}")
    _sub(hdr, "CreDtTm", _dttm(last))
    _sub(hdr, "NbOfTxs", str(len(rows)))
    _sub(_sub(hdr, "SttlmInf"), "SttlmMtd", "INDA")
    for r in rows.itertuples(index=False):
        ccy = str(r.currency)
        tr = _sub(root, "CdtTrfTxInf")
        pmt = _sub(tr, "PmtId")
        for tag in ("InstrId", "EndToEndId", "TxId"):
            _sub(pmt, tag, str(r.tx_id))
        _sub(pmt, "UETR", str(uuid.UUID(int=int(digits(str(r.tx_id) + account, 38)), version=4)))
        _amt(tr, "IntrBkSttlmAmt", Decimal(r.amount_exact), ccy)
        _sub(tr, "IntrBkSttlmDt", f"{r.timestamp.tz_convert(EAT):%Y-%m-%d}")
        _sub(tr, "AccptncDtTm", _dttm(r.timestamp))
        _sub(tr, "ChrgBr", "SHAR")
        _sub(_sub(tr, "Dbtr"), "Nm", _text(r.sender_name)[:140] or "NOT PROVIDED")
        _account_id(_sub(tr, "DbtrAcct"), account)
        _agent(_sub(tr, "DbtrAgt"), bic)
        other = str(r.other)
        if other.startswith("iban:"):
            _agent(_sub(tr, "CdtrAgt"), None)
        else:
            _agent(_sub(tr, "CdtrAgt"), SWIFT.get(_bank_name(other), "XXXXKENX"))
        _sub(_sub(tr, "Cdtr"), "Nm", _text(r.receiver_name)[:140] or "NOT PROVIDED")
        _account_id(_sub(tr, "CdtrAcct"), other)
        if memo := _text(r.description):
            _sub(_sub(tr, "RmtInf"), "Ustrd", memo[:140])
    _write(doc, path)
    return [str(t) for t in rows["tx_id"]]


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def _dttm(ts: pd.Timestamp) -> str:
    """ISO date-time in East Africa Time with its offset: ``2024-03-01T12:00:00+03:00``."""
    return ts.tz_convert(EAT).isoformat(timespec="seconds")


def _amt(parent: etree._Element, tag: str, value: Decimal, ccy: str) -> None:
    v = abs(value)
    text = f"{v:.2f}" if v == v.quantize(Decimal("0.01")) else format(v.normalize(), "f")
    _sub(parent, tag, text).set("Ccy", ccy)


def _account_id(parent: etree._Element, key: str) -> None:
    ident = _sub(parent, "Id")
    if key.startswith("iban:"):
        _sub(ident, "IBAN", key[5:])
    else:
        _sub(_sub(ident, "Othr"), "Id", key.rsplit("/", 1)[-1])


def _agent(parent: etree._Element, bic: str | None) -> None:
    fin = _sub(parent, "FinInstnId")
    if bic:
        _sub(fin, "BICFI", bic)
    else:
        _sub(_sub(fin, "Othr"), "Id", "NOTPROVIDED")


def _balance(stmt: etree._Element, code: str, value: Decimal, ccy: str, day: pd.Timestamp) -> None:
    bal = _sub(stmt, "Bal")
    _sub(_sub(_sub(bal, "Tp"), "CdOrPrtry"), "Cd", code)
    _amt(bal, "Amt", value, ccy)
    _sub(bal, "CdtDbtInd", "CRDT" if value >= 0 else "DBIT")
    _sub(_sub(bal, "Dt"), "Dt", f"{day.tz_convert(EAT):%Y-%m-%d}")


def _bank_code(parent: etree._Element, family: tuple[str, str]) -> None:
    domn = _sub(_sub(parent, "BkTxCd"), "Domn")
    _sub(domn, "Cd", "PMNT")
    fmly = _sub(domn, "Fmly")
    _sub(fmly, "Cd", family[0])
    _sub(fmly, "SubFmlyCd", family[1])


def _holder_name(rows: pd.DataFrame, account: str) -> str:
    names = rows["sender_name"].where(rows["sender"] == account, rows["receiver_name"]).dropna()
    return str(names.iloc[0]) if len(names) else ""


def _write(doc: etree._Element, path: str | Path) -> None:
    Path(path).write_bytes(etree.tostring(doc, xml_declaration=True, encoding="UTF-8", pretty_print=True))
