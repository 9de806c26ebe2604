"""Reader for OFX/QFX statements (SGML OFX 1.x and XML OFX 2.x), through ``ofxparse``.

Install the optional extra: ``pip install "finintel[ofx]"``. Each ``<STMTTRN>`` of each
bank (``BANKACCTFROM``) or card (``CCACCTFROM``) account becomes one transaction:

* the account is ``acct:<BANKID or FI ORG>/<ACCTID>`` (an IBAN key when ``ACCTID`` is one);
* ``TRNAMT`` gives the amount and, by its sign, the direction (negative: account ->
  payee). Some banks write every amount positive; when a file has no negative amount at
  all, debit-type ``TRNTYPE`` (DEBIT, PAYMENT, CHECK, POS, ATM, FEE, SRVCHG, DIRECTDEBIT,
  REPEATPMT, CASH) mark the outgoing ones, and ``attributes["direction_from"]`` says so;
* the counterparty is the ``<BANKACCTTO>``/``<CCACCTTO>`` account of a transfer when the
  row names one; bank charges, taxes and interest (``TRNTYPE`` FEE, SRVCHG, INT, or a ``NAME``/``MEMO``
  such as ``SERVICE CHARGE``, ``EXCISE DUTY``) go to the account's own ``fee:<account key>`` (channel
  other); ATM/CASH rows (channel cash) to the cash point ``NAME``/``MEMO`` names under the bank
  (``cash:<BANK>/ATM 0123 MOI AVE``), else to the account's own ``cash:unknown/<account key>`` (never
  one ``cash:ATM`` node shared by every customer); else keyed from a ``NAME`` that looks like a name
  (``acct:UNKNOWN/<NAME>``, as in the MT940 reader; ``TRANSFER`` or ``POS PURCHASE`` are not names),
  else a key unique to the row;
* ``tx_id`` is ``ofx:<account>:<FITID>``; ``DTPOSTED`` with its ``[offset:zone]`` in UTC
  (OFX times without a zone are GMT by the standard);
* ``source_row`` is the line of the ``<STMTTRN>`` tag.

``ofxparse`` runs with ``fail_fast=False``: a transaction it cannot read (e.g. ``$120``
as an amount) goes to rejects with its reason and line; the rest of the file is kept.
"""

from __future__ import annotations

import bisect
import io
import json
import re
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from finintel.errors import InputError, MissingDependencyError
from finintel.ingest._charges import cash_point_key, is_charge, name_key
from finintel.ingest._registry import Frames, register_reader
from finintel.ingest._util import check_size, refuse_dtd, reject, rejects_frame
from finintel.schema import frames as F
from finintel.schema.keys import bank_account_key, fee_key

__all__ = ["read_ofx"]

_FEE_TYPES = {"FEE", "SRVCHG", "INT"}
_DEBIT_TYPES = {"DEBIT", "PAYMENT", "CHECK", "POS", "ATM", "FEE", "SRVCHG", "DIRECTDEBIT", "REPEATPMT", "CASH"}
_STMTTRN = re.compile(rb"<STMTTRN>", re.I)
_FITID = re.compile(rb"<FITID>\s*([^<\r\n]*)", re.I)


def _sniff(path: Path, head: bytes) -> bool | str:
    if re.search(rb"OFXHEADER\s*[:=]", head[:2048]) or re.search(rb"<OFX>", head, re.I):
        return True
    return "no OFXHEADER or <OFX> element"


@register_reader(
    "ofx", sniff=_sniff, version="1", priority=30, description="OFX/QFX bank and card statements (ofxparse)"
)
def read_ofx(path: Path, **_: Any) -> Frames:
    """Read an OFX or QFX statement into canonical transactions.

    Parameters
    ----------
    path : Path
        The ``.ofx``/``.qfx`` file (SGML 1.x or XML 2.x).

    Returns
    -------
    Frames
        Transactions of every account in the file; one account row per account.

    Raises
    ------
    MissingDependencyError
        When ``ofxparse`` is not installed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.ofx"
    >>> _ = p.write_text("OFXHEADER:100\\nDATA:OFXSGML\\nVERSION:102\\n\\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>KES\\n"
    ...     "<BANKACCTFROM><BANKID>EQUITY<ACCTID>0170199<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST>\\n"
    ...     "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240301<TRNAMT>-1500.00<FITID>T1<NAME>JANE DOE</STMTTRN>\\n"
    ...     "</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>")
    >>> tx = fi.read(p).transactions
    >>> tx[["tx_id", "sender", "receiver", "currency", "source_row"]].values.tolist()
    [['ofx:acct:EQUITY-BANK-KENYA/0170199:T1', 'acct:EQUITY-BANK-KENYA/0170199', 'acct:UNKNOWN/JANE-DOE', 'KES', 7]]
    """
    try:
        from ofxparse import AccountType, OfxParser
    except ImportError:
        raise MissingDependencyError("ofxparse", "ofx") from None
    check_size(path)
    data = path.read_bytes()
    refuse_dtd(path, data[:65536])
    if not data.strip():
        raise InputError("the file is empty; expected an OFX statement", path=str(path))
    lines_by_fitid, stmttrn_lines, accounts_to = _locate(data)
    _with_fitid = {n for lines in lines_by_fitid.values() for n in lines}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ofx = OfxParser.parse(io.BytesIO(data), fail_fast=False)
    except Exception as exc:  # ofxparse raises bare exceptions for broken headers and structure
        raise InputError(f"not a readable OFX statement: {exc}", path=str(path)) from None
    rows: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    all_tx = [t for a in ofx.accounts for t in getattr(getattr(a, "statement", None), "transactions", None) or []]
    amounts = [t.amount for t in all_tx if isinstance(getattr(t, "amount", None), Decimal | int | float)]
    all_positive = bool(amounts) and all(a >= 0 for a in amounts)
    for acc in ofx.accounts:
        card = getattr(acc, "type", None) == AccountType.CreditCard
        org = getattr(getattr(acc, "institution", None), "organization", None) or None
        if not str(acc.account_id or "").strip():
            continue  # its <STMTTRN> lines are reported below as unread
        owner = bank_account_key(acc.account_id, acc.routing_number or org or ("CARD" if card else "UNKNOWN"))
        stmt = getattr(acc, "statement", None)
        if stmt is None:
            continue
        currency = (getattr(stmt, "currency", None) or "").upper() or None
        accounts.append(
            {
                "account": owner,
                "role": "holder",
                "institution": org,
                "institution_code": acc.routing_number or None,
                "currency": currency,
                "attributes": json.dumps(
                    {"account_type": getattr(acc, "account_type", None) or ("CREDITCARD" if card else None)}
                ),
            }
        )
        for t in stmt.transactions:
            line = _line(lines_by_fitid, str(getattr(t, "id", "")))
            try:
                to = accounts_to.get(line) if line else None
                rows.append(_row(t, owner, currency, card, all_positive, line, to, org or acc.routing_number))
            except (AttributeError, TypeError, ArithmeticError, ValueError) as exc:  # e.g. investment rows, odd dates
                rejects.append(
                    reject(line, "STMTTRN", f"transaction cannot be read as a payment: {exc}", repr(t)[:500])
                )
        for bad in getattr(stmt, "discarded_entries", []):
            content = str(bad.get("content", ""))
            fit = re.search(r"<fitid>\s*([^<\n]*)", content, re.I)
            line = _line(lines_by_fitid, fit.group(1).strip()) if fit else None
            rejects.append(
                reject(
                    line,
                    "TRNAMT" if "amount" in str(bad.get("error", "")).lower() else None,
                    str(bad.get("error")),
                    re.sub(r"\s+", " ", content)[:500],
                )
            )
    unread = sorted(n for lines in lines_by_fitid.values() for n in lines) + sorted(set(stmttrn_lines) - _with_fitid)
    for n in unread:
        rejects.append(
            reject(
                n,
                "STMTTRN",
                "this transaction was not read: the statement around it is truncated or malformed "
                "(no account ACCTID, or tags out of order)",
                f"<STMTTRN> at line {n}",
            )
        )
    return Frames(
        transactions=pd.DataFrame(rows) if rows else F.empty(F.TRANSACTIONS),
        accounts=pd.DataFrame(accounts) if accounts else F.empty(F.ACCOUNTS),
        rejects=rejects_frame(rejects),
        rows_read=len(stmttrn_lines),
        report={"accounts": len(accounts), "statement_transactions": len(stmttrn_lines)},
    )


_ACCTTO = re.compile(rb"<(?:BANK|CC)ACCTTO>(.*?)(?:</(?:BANK|CC)ACCTTO>|</STMTTRN>|$)", re.I | re.S)
_TAGVAL = re.compile(rb"<(BANKID|ACCTID)>\s*([^<\r\n]*)", re.I)


def _locate(data: bytes) -> tuple[dict[str, list[int]], list[int], dict[int, tuple[str, str | None]]]:
    """Line of every <STMTTRN>, the lines by FITID (in file order), and BANKACCTTO/CCACCTTO by line."""
    by_fitid: dict[str, list[int]] = {}
    accounts_to: dict[int, tuple[str, str | None]] = {}
    starts = [m.start() for m in _STMTTRN.finditer(data)]
    newlines = [m.start() for m in re.finditer(rb"\n", data)]
    lines = []
    for k, s in enumerate(starts):
        line = bisect.bisect_left(newlines, s) + 1
        lines.append(line)
        end = starts[k + 1] if k + 1 < len(starts) else len(data)
        fit = _FITID.search(data, s, end)
        if fit:
            by_fitid.setdefault(fit.group(1).decode("latin-1").strip(), []).append(line)
        to = _ACCTTO.search(data[s:end])
        if to:
            found = {
                m.group(1).upper().decode(): m.group(2).decode("latin-1").strip() for m in _TAGVAL.finditer(to.group(1))
            }
            if found.get("ACCTID"):
                accounts_to[line] = (found["ACCTID"], found.get("BANKID") or None)
    return by_fitid, lines, accounts_to


def _line(by_fitid: dict[str, list[int]], fitid: str) -> int | None:
    found = by_fitid.get(fitid.strip())
    return found.pop(0) if found else None


def _row(
    t: Any,
    owner: str,
    currency: str | None,
    card: bool,
    all_positive: bool,
    line: int | None,
    to: tuple[str, str | None] | None,
    institution: str | None = None,
) -> dict[str, Any]:
    amount = Decimal(t.amount)
    ttype = str(t.type or "").upper()
    if amount < 0:
        out, basis = True, "sign"
    elif all_positive and ttype in _DEBIT_TYPES:
        out, basis = True, "trntype"
    else:
        out, basis = False, "sign"
    name = (t.payee or "").strip() or None
    fitid = str(t.id).strip()
    memo = (t.memo or "").strip() or None
    cash = ttype in ("ATM", "CASH") and not to
    fee = not to and not cash and (ttype in _FEE_TYPES or is_charge(name) or (name is None and is_charge(memo)))
    if to:  # a transfer naming the other account (<BANKACCTTO>)
        other, how = bank_account_key(to[0], to[1] or "UNKNOWN"), "account"
    elif fee:  # the bank's charge, tax or interest on this account: not a counterparty
        other, how = fee_key(owner), "charge"
    elif cash:
        other = cash_point_key(name, institution=institution, account=owner, as_named=True)
        if other.startswith("cash:unknown/") and memo:  # NAME names no place ("ATM WITHDRAWAL"): the memo may
            other = cash_point_key(memo, institution=institution, account=owner)
        how = "cash point"
    else:
        by_name = name_key(name)
        entry = f"acct:UNKNOWN/ENTRY-{re.sub(r'[^A-Za-z0-9]+', '-', owner)}-{fitid}"
        other, how = (by_name, "name") if by_name else (entry, "none")
    ts = pd.Timestamp(t.date)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    attrs = {
        "trntype": ttype,
        "fitid": fitid,
        "checknum": getattr(t, "checknum", None) or None,
        "memo": (t.memo or "").strip() or None,
        "sic": getattr(t, "sic", None) or None,
        "direction_from": basis,
        "counterparty_key_from": how,
    }
    return {
        "tx_id": f"ofx:{owner}:{fitid}",
        "timestamp": ts,
        "sender": owner if out else other,
        "receiver": other if out else owner,
        "sender_name": None if out else name,
        "receiver_name": name if out else None,
        "amount": float(abs(amount)),
        "amount_exact": abs(amount),
        "currency": currency,
        "channel": "other" if fee else "cash" if cash else "card" if card else "bank",
        "status": "completed",
        "description": (t.memo or "").strip() or name,
        "attributes": json.dumps({k: v for k, v in attrs.items() if v is not None}, ensure_ascii=False),
        "source_row": line,
    }
