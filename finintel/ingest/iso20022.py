"""Reader for ISO 20022 bank messages: camt.053 statements (v02-v08), camt.052/054, pacs.008.

One namespace-agnostic reader (elements are matched on local names, so every message
version and a ``<message>``/``AppHdr`` envelope read alike), streamed with the same
safe parser as goAML (:mod:`finintel.ingest._goaml_xml`).

camt.053/052/054
    The statement account (``Acct``: IBAN or ``Othr/Id``, servicer BIC) is the owner.
    Each ``Ntry`` is one row, or one row per ``TxDtls`` when an entry carries several
    with their own amounts (a batch). ``CdtDbtInd`` decides the direction (never the sign
    of a number): ``CRDT`` is counterparty (``Dbtr``) -> owner, ``DBIT`` owner -> counterparty
    (``Cdtr``). ``Sts`` BOOK is completed, PDNG/INFO pending, ``RvslInd`` true reversed.
    The time is the booking date (``BookgDt``), else the value date. The channel follows
    the bank transaction code (``BkTxCd``): counter cash deposits and withdrawals (sub-family
    ``CDPT``, ``CWDL``...) are ``cash``; with no counterparty, their other side is the cash point
    the narrative names under the servicer (``cash:<BANK>/BRANCH KENCOM``), else the account's own
    ``cash:unknown/<account key>`` (never one node per bank shared by all its customers). Charges,
    commissions, taxes and interest (sub-family ``CHRG``, ``COMM``, ``FEES``, ``INTR``, ``TAXE``, or a
    narrative such as ``SERVICE CHARGE`` with no counterparty) go to ``fee:<account key>``, channel
    ``other``. Card payments (``CCRD``/``MCRD`` ``POSD``) are ``card``.
pacs.008
    Each ``CdtTrfTxInf``: ``Dbtr``/``DbtrAcct``/``DbtrAgt`` -> ``Cdtr``/``CdtrAcct``/``CdtrAgt``,
    ``IntrBkSttlmAmt``, dated by ``IntrBkSttlmDt`` (else ``AccptncDtTm``, else the group header).

Account keys: a valid IBAN is ``iban:``; another number is ``acct:<BIC 8 | clearing id>/<no>``
(:func:`finintel.schema.keys.bank_account_key`); a party named without an account is
``party:name/<NAME>``, and with neither ``unknown:<tx_id>`` (never shared, so unrelated
unknowns are not merged). References (``AcctSvcrRef``, ``EndToEndId``, ``UETR``, ``TxId``,
``MsgId``, ...) go into ``attributes``; ``tx_id`` is ``camt:<AcctSvcrRef>`` (``/n`` per
transaction of a batch), else ``camt:``/``pacs:`` + ``UETR``, else ``MsgId/EndToEndId``, else
a hash of file and line.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from finintel.errors import ConfigError
from finintel.ingest._charges import cash_point_key, is_charge
from finintel.ingest._goaml_xml import RowBuffer, exact_amount, iter_elements, local_name, sniff_head
from finintel.ingest._goaml_xml import find_text as t
from finintel.ingest._goaml_xml import ns_path as q
from finintel.ingest._registry import Frames, file_sha256, register_reader
from finintel.ingest._util import reject, rejects_frame, row_tx_id
from finintel.schema import frames as F
from finintel.schema import keys

__all__ = ["read_iso20022"]

_ROOTS = {
    "BkToCstmrStmt": "camt.053",
    "BkToCstmrAcctRpt": "camt.052",
    "BkToCstmrDbtCdtNtfctn": "camt.054",
    "FIToFICstmrCdtTrf": "pacs.008",
}
_SNIFF = re.compile(rb"<(?:[\w.\-]+:)?(" + b"|".join(k.encode() for k in _ROOTS) + rb")[\s>]")
_VERSION = re.compile(r"(camt|pacs)\.\d{3}\.\d{3}\.\d{2}")
_STATUS = {"BOOK": "completed", "PDNG": "pending", "INFO": "pending", "FUTR": "pending", "RJCT": "failed"}
_REFS = ("MsgId", "AcctSvcrRef", "PmtInfId", "InstrId", "EndToEndId", "UETR", "TxId", "MndtId", "ChqNb", "ClrSysRef")
_TX_SCHEMA = F.READER_SCHEMA


def _sniff(path: Path, head: bytes) -> bool | str:
    text = sniff_head(head)
    if not text.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "not XML"
    if _SNIFF.search(text):
        return True
    return "XML without an ISO 20022 BkToCstmrStmt, BkToCstmrAcctRpt, BkToCstmrDbtCdtNtfctn or FIToFICstmrCdtTrf"


@register_reader("iso20022", sniff=_sniff, version="1", priority=20)
def read_iso20022(path: str | Path, *, tz: str = "UTC", account: str | None = None, channel: str = "bank") -> Frames:
    """ISO 20022 camt.053/052/054 statements and pacs.008 credit transfers, streamed.

    Parameters
    ----------
    path : str or Path
        The message file (``.xml``, or gzip-compressed); any namespace version.
    tz : str, default "UTC"
        Zone of dates and times written without an offset (booking dates); pass the
        bank's zone (e.g. ``"Africa/Nairobi"``) to place them on the local day.
    account : str, optional
        Account key of the statement owner, overriding the one built from ``Acct``.
    channel : str, default "bank"
        Channel of the rows; with the default, entries whose bank transaction code says
        counter cash or card payment are ``cash`` or ``card``.

    Returns
    -------
    Frames
        Transactions, plus parties and accounts named in the message.

    Raises
    ------
    UnsafeInputError
        A DTD, entity declarations or a decompression bomb.
    InputError
        Broken or truncated XML (with the line).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "camt.xml"
    >>> _ = path.write_text(
    ...     '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt>'
    ...     "<Acct><Id><IBAN>GB82WEST12345698765432</IBAN></Id></Acct>"
    ...     '<Ntry><Amt Ccy="EUR">250.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
    ...     "<BookgDt><Dt>2024-03-01</Dt></BookgDt><AcctSvcrRef>R1</AcctSvcrRef><NtryDtls><TxDtls><RltdPties>"
    ...     "<Cdtr><Pty><Nm>Kilo Imports</Nm></Pty></Cdtr><CdtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></CdtrAcct>"
    ...     "</RltdPties></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"
    ... )
    >>> tx = read_iso20022(path).transactions
    >>> tx.loc[0, ["tx_id", "sender", "receiver", "receiver_name", "amount", "status"]].astype(str).tolist()
    ['camt:R1', 'iban:GB82WEST12345698765432', 'iban:DE89370400440532013000', 'Kilo Imports', '250.0', 'completed']
    """
    path = Path(path)
    if channel not in F.CHANNELS:
        raise ConfigError(f"channel must be one of {', '.join(F.CHANNELS)}, got {channel!r}")
    ctx = _Context(path, ZoneInfo(tz), account, channel)
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if m := _SNIFF.search(sniff_head(head)):
        ctx.kind = _ROOTS[m.group(1).decode()]
    for el in iter_elements(path, head):
        name = local_name(el.tag)
        if name == "GrpHdr":
            ctx.msg_id = t(el, "MsgId")
            ctx.group_date = t(el, "IntrBkSttlmDt") or t(el, "CreDtTm")
        elif name == "MsgDefIdr":
            ctx.message = (el.text or "").strip() or None
        elif name == "Ntry" and local_name(el.getparent().tag) in ("Stmt", "Rpt", "Ntfctn"):
            ctx.entry(el)
            _drop(el)
        elif name == "CdtTrfTxInf":
            ctx.transfer(el)
            _drop(el)
        elif name in ("Stmt", "Rpt", "Ntfctn"):
            _drop(el)
        elif name in _ROOTS:
            ctx.kind = _ROOTS[name]
    return ctx.frames()


def _drop(el: Any) -> None:
    """Free a processed element and its processed elder siblings (bounded memory)."""
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is None:
        return
    prev = el.getprevious()
    while prev is not None and local_name(prev.tag) in ("Ntry", "CdtTrfTxInf", "Stmt", "Rpt", "Ntfctn"):
        older = prev.getprevious()
        parent.remove(prev)
        prev = older


class _Context:
    def __init__(self, path: Path, zone: ZoneInfo, account: str | None, channel: str) -> None:
        self.path, self.zone, self.account, self.channel = path, zone, account, channel
        self.msg_id: str | None = None
        self.group_date: str | None = None
        self.message: str | None = None
        self.kind = "camt.053"
        self.rows = RowBuffer(_TX_SCHEMA)
        self.rejects: list[dict[str, Any]] = []
        self.parties: dict[str, dict[str, Any]] = {}
        self.accounts: dict[tuple[str, str | None], dict[str, Any]] = {}
        self.seen: set[str] = set()
        self.sha: str | None = None
        self.rows_read = 0
        self.owner_el: Any = None
        self.owner_bic: str | None = None
        self.owner_key: tuple[str, str | None, str | None] | None = None

    # -------------------------------------------------------------- camt

    def owner(self, stmt: Any) -> tuple[str, str | None, str | None]:
        if self.owner_el is stmt and self.owner_key is not None:
            return self.owner_key
        acct = stmt.find(q("Acct"))
        bic = t(acct, "Svcr/FinInstnId/BIC") or t(acct, "Svcr/FinInstnId/BICFI")
        name = t(acct, "Ownr/Nm") or t(acct, "Nm")
        if self.account:
            key: str | None = self.account
        else:
            key = self._key(t(acct, "Id/IBAN"), t(acct, "Id/Othr/Id"), bic or t(acct, "Id/Othr/Issr"))
        if key is None:
            key = f"unknown:statement/{t(stmt, 'Id') or stmt.sourceline}"
        iban = t(acct, "Id/IBAN")
        country = iban[:2].upper() if iban else (bic[4:6].upper() if bic and len(bic) >= 6 else None)
        pid = self._party(name, t(acct, "Ownr/PstlAdr/Ctry") or country, stmt.sourceline, "statement owner")
        self._account(
            key,
            pid,
            stmt.sourceline,
            institution_code=bic,
            account_name=t(acct, "Nm"),
            currency=t(acct, "Ccy"),
            country=country,
        )
        self.owner_el, self.owner_key, self.owner_bic = stmt, (key, name, country), bic
        return self.owner_key

    def entry(self, ntry: Any) -> None:
        stmt = ntry.getparent()
        owner = self.owner(stmt)
        details = ntry.findall(q("NtryDtls/TxDtls"))
        amounts = [
            (d.find(q("AmtDtls/TxAmt/Amt")) if d.find(q("AmtDtls/TxAmt/Amt")) is not None else d.find(q("Amt")))
            for d in details
        ]
        base: dict[str, Any] = {
            "message": self._message(ntry),
            "statement": t(stmt, "Id"),
            "entry": {k: v for k in ("NtryRef", "AcctSvcrRef", "AddtlNtryInf") if (v := t(ntry, k))},
            "bank_tx_code": _bank_code(ntry),
        }
        if len(details) > 1 and all(a is not None for a in amounts):
            for i, (d, amt) in enumerate(zip(details, amounts, strict=True), 1):
                self.rows_read += 1
                self._camt_row(ntry, d, amt, owner, {**base, "batch": {"index": i, "of": len(details)}}, f"/{i}")
        else:
            self.rows_read += 1
            if len(details) > 1:
                base["tx_details"] = len(details)
            self._camt_row(ntry, details[0] if details else None, ntry.find(q("Amt")), owner, base, "")

    def _camt_row(
        self,
        ntry: Any,
        d: Any,
        amt_el: Any,
        owner: tuple[str, str | None, str | None],
        attrs: dict[str, Any],
        suffix: str,
    ) -> None:
        line = (d if d is not None and suffix else ntry).sourceline
        ind = (t(d, "CdtDbtInd") if d is not None and suffix else None) or t(ntry, "CdtDbtInd")
        if ind not in ("CRDT", "DBIT"):
            return self._reject(line, "CdtDbtInd", f"expected CRDT or DBIT, got {ind!r}", ntry)
        amount, ccy, problem = _amount(amt_el)
        if problem:
            return self._reject(line, "Amt", problem, ntry)
        when_text = t(ntry, "BookgDt/DtTm") or t(ntry, "BookgDt/Dt") or t(ntry, "ValDt/DtTm") or t(ntry, "ValDt/Dt")
        when = self._time(when_text)
        if when is None:
            return self._reject(line, "BookgDt", f"expected a booking or value date, got {when_text!r}", ntry)
        sts = t(ntry, "Sts/Cd") or t(ntry, "Sts/Prtry") or t(ntry, "Sts") or "BOOK"
        status = (
            "reversed" if (t(ntry, "RvslInd") or "").lower() in ("true", "1") else _STATUS.get(sts.upper(), "pending")
        )
        attrs.update(status_code=sts, value_date=t(ntry, "ValDt/Dt") or t(ntry, "ValDt/DtTm"), cdt_dbt=ind)
        refs = {k: v for k in _REFS if d is not None and (v := t(d, f"Refs/{k}"))}
        if self.msg_id:
            refs.setdefault("GrpHdrMsgId", self.msg_id)
        attrs["refs"] = refs
        other = "Dbtr" if ind == "CRDT" else "Cdtr"
        cp = self._counterparty(d, other, line) if d is not None else None
        if d is not None:
            self._extras(d, attrs)
        acct_ref = refs.get("AcctSvcrRef") or t(ntry, "AcctSvcrRef")
        ident = (
            (f"{acct_ref}{suffix}" if acct_ref else None)
            or refs.get("UETR")
            or (f"{refs.get('MsgId') or self.msg_id}/{refs['EndToEndId']}" if _real(refs.get("EndToEndId")) else None)
        )
        tx_id = self._tx_id("camt", ident, line)
        channel = _channel(ntry, d) if self.channel == "bank" else self.channel
        desc = _description(d, ntry)
        if _is_fee(ntry, d) or (cp is None and is_charge(desc)):  # the bank's charge, tax or interest
            cp, channel = (keys.fee_key(owner[0]), None, owner[2]), "other"
        elif cp is None and channel == "cash":  # counter cash: the cash point named, else the account's own
            cp = (cash_point_key(desc, institution=self.owner_bic, account=owner[0]), None, owner[2])
        key, name, country = cp if cp else (f"unknown:{tx_id}", None, None)
        snd, rcv = ((key, name, country), owner) if ind == "CRDT" else (owner, (key, name, country))
        self._row(tx_id, when, snd, rcv, amount, ccy, status, desc, attrs, line, channel)
        return None

    # -------------------------------------------------------------- pacs.008

    def transfer(self, tx: Any) -> None:
        self.rows_read += 1
        line = tx.sourceline
        amount, ccy, problem = _amount(tx.find(q("IntrBkSttlmAmt")))
        if problem:
            return self._reject(line, "IntrBkSttlmAmt", problem, tx)
        when_text = t(tx, "IntrBkSttlmDt") or t(tx, "AccptncDtTm") or self.group_date
        when = self._time(when_text)
        if when is None:
            return self._reject(line, "IntrBkSttlmDt", f"expected a settlement date, got {when_text!r}", tx)
        refs = {k: v for k in _REFS if (v := t(tx, f"PmtId/{k}"))}
        if self.msg_id:
            refs.setdefault("MsgId", self.msg_id)
        attrs: dict[str, Any] = {
            "message": self._message(tx),
            "refs": refs,
            "acceptance": t(tx, "AccptncDtTm"),
            "charges": t(tx, "ChrgBr"),
        }
        instd, instd_ccy, _ = _amount(tx.find(q("InstdAmt")))
        if instd is not None:
            attrs["instructed_amount"] = [str(instd), instd_ccy]
        self._extras(tx, attrs)
        sides = []
        for side in ("Dbtr", "Cdtr"):
            sides.append(self._counterparty(tx, side, line, agents=""))
        ident = refs.get("UETR") or (
            f"{refs['MsgId']}/{refs['EndToEndId']}"
            if _real(refs.get("EndToEndId")) and refs.get("MsgId")
            else (f"{refs.get('MsgId')}/{refs['TxId']}" if refs.get("TxId") else None)
        )
        tx_id = self._tx_id("pacs", ident, line)
        snd = sides[0] or (f"unknown:{tx_id}/debtor", None, None)
        rcv = sides[1] or (f"unknown:{tx_id}/creditor", None, None)
        self._row(tx_id, when, snd, rcv, amount, ccy, "completed", _description(tx, None), attrs, line)
        return None

    # -------------------------------------------------------------- shared

    def _counterparty(
        self, d: Any, side: str, line: int, agents: str = "RltdAgts/"
    ) -> tuple[str, str | None, str | None] | None:
        pties = "RltdPties/" if agents else ""
        party = d.find(q(f"{pties}{side}"))
        if party is not None and party.find(q("Pty")) is not None:  # camt v08: Dbtr/Pty
            party = party.find(q("Pty"))
        acct = d.find(q(f"{pties}{side}Acct"))
        fin = d.find(q(f"{agents}{side}Agt/FinInstnId"))
        bic = t(fin, "BIC") or t(fin, "BICFI")
        clr = t(fin, "ClrSysMmbId/MmbId")
        inst = bic or (f"{t(fin, 'ClrSysMmbId/ClrSysId/Cd') or 'CLR'} {clr}" if clr else None) or t(fin, "Nm")
        name = t(party, "Nm")
        iban, other = t(acct, "Id/IBAN"), t(acct, "Id/Othr/Id")
        key = self._key(iban, other, inst)
        country = (
            (iban[:2].upper() if iban else None)
            or t(party, "PstlAdr/Ctry")
            or t(party, "CtryOfRes")
            or (bic[4:6].upper() if bic and len(bic) >= 6 else None)
        )
        pid = self._party(name, t(party, "PstlAdr/Ctry") or t(party, "CtryOfRes") or country, line, side)
        if key is None:
            if pid is None:
                return None
            key = pid
        else:
            self._account(
                key,
                pid,
                line,
                institution=t(fin, "Nm"),
                institution_code=bic or clr,
                account_name=t(acct, "Nm"),
                currency=t(acct, "Ccy"),
                country=(iban[:2].upper() if iban else None),
            )
        return key, name, country

    @staticmethod
    def _key(iban: str | None, other: str | None, institution: str | None) -> str | None:
        if iban and keys.is_valid_iban(iban):
            return keys.iban_key(iban)
        number = iban or other
        if not number:
            return None
        inst = (
            institution[:8] if institution and re.fullmatch(r"[A-Z0-9]{8}([A-Z0-9]{3})?", institution) else institution
        )
        return keys.bank_account_key(number, inst)

    def _party(self, name: str | None, country: str | None, line: int, role: str) -> str | None:
        if not name:
            return None
        pid = "party:name/" + re.sub(r"\s+", " ", name).strip().upper()
        if pid not in self.parties:
            self.parties[pid] = {
                "party_id": pid,
                "name": name,
                "country": country,
                "source_row": line,
                "attributes": json.dumps({"role": role}),
            }
        return pid

    def _account(self, key: str, pid: str | None, line: int, **cols: Any) -> None:
        if (key, pid) not in self.accounts:
            self.accounts[(key, pid)] = {"account": key, "party_id": pid, "role": "holder", "source_row": line, **cols}

    def _extras(self, d: Any, attrs: dict[str, Any]) -> None:
        for tag, label in (
            ("UltmtDbtr", "ultimate_debtor"),
            ("UltmtCdtr", "ultimate_creditor"),
            ("RltdPties/UltmtDbtr", "ultimate_debtor"),
            ("RltdPties/UltmtCdtr", "ultimate_creditor"),
        ):
            if v := (t(d, f"{tag}/Nm") or t(d, f"{tag}/Pty/Nm")):
                attrs[label] = v
        strd = [
            v
            for x in d.iterfind(q("RmtInf/Strd"))
            for v in (t(x, "CdtrRefInf/Ref"), t(x, "RfrdDocInf/Nb"), t(x, "AddtlRmtInf"))
            if v
        ]
        if strd:
            attrs["remittance_structured"] = strd
        rtr = d.find(q("RtrInf"))
        if rtr is not None:
            attrs["return"] = {"reason": t(rtr, "Rsn/Cd") or t(rtr, "Rsn/Prtry"), "info": t(rtr, "AddtlInf")}
        for tag in ("Purp/Cd", "AddtlTxInf"):
            if v := t(d, tag):
                attrs[tag.split("/")[0]] = v
        agents = {}  # the banks on the way: the corridor an analyst follows
        for tag in ("InstgAgt", "InstdAgt", "IntrmyAgt1", "IntrmyAgt2", "IntrmyAgt3", "DbtrAgt", "CdtrAgt"):
            fin = d.find(q(f"{tag}/FinInstnId"))
            if fin is None:
                fin = d.find(q(f"RltdAgts/{tag}/FinInstnId"))
            if fin is not None and (
                v := t(fin, "BICFI") or t(fin, "BIC") or t(fin, "ClrSysMmbId/MmbId") or t(fin, "Nm")
            ):
                agents[tag] = v
        if agents:
            attrs["agents"] = agents

    def _time(self, text: str | None) -> datetime | None:
        if not text:
            return None
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return (when if when.tzinfo else when.replace(tzinfo=self.zone)).astimezone(UTC)

    def _tx_id(self, prefix: str, ident: str | None, line: int) -> str:
        if ident:
            tx_id = f"{prefix}:{ident}"
            if tx_id in self.seen:
                tx_id = f"{tx_id}#L{line}"
        else:
            self.sha = self.sha or file_sha256(self.path)
            tx_id = row_tx_id(prefix, self.sha, line)
        self.seen.add(tx_id)
        return tx_id

    def _row(
        self,
        tx_id: str,
        when: datetime,
        snd: tuple[str, str | None, str | None],
        rcv: tuple[str, str | None, str | None],
        amount: Decimal | None,
        ccy: str | None,
        status: str,
        description: str | None,
        attrs: dict[str, Any],
        line: int,
        channel: str | None = None,
    ) -> None:
        assert amount is not None
        values = (
            tx_id,
            when,
            snd[0],
            rcv[0],
            snd[1],
            rcv[1],
            float(amount),
            amount,
            ccy,
            channel or self.channel,
            status,
            snd[2],
            rcv[2],
            description,
            json.dumps({k: v for k, v in attrs.items() if v not in (None, {}, [])}, ensure_ascii=False),
            line,
        )
        self.rows.append(values)

    def _message(self, el: Any) -> str:
        """The message definition: the AppHdr's MsgDefIdr, else the namespace (camt.053.001.08), else the root."""
        if self.message:
            return self.message
        m = _VERSION.search(str(el.tag))
        if m:
            self.message = m.group(0)
            return self.message
        return self.kind

    def _reject(self, line: int, column: str, problem: str, el: Any) -> None:
        from lxml import etree

        raw = etree.tostring(el, encoding="unicode")
        self.rejects.append(reject(line, column, problem, raw if len(raw) < 4000 else raw[:4000] + "..."))

    def frames(self) -> Frames:
        tx = F.from_arrow(self.rows.table(), F.TRANSACTIONS) if len(self.rows) else F.empty(F.TRANSACTIONS)
        parties = pd.DataFrame(list(self.parties.values())) if self.parties else F.empty(F.PARTIES)
        accounts = pd.DataFrame(list(self.accounts.values())) if self.accounts else F.empty(F.ACCOUNTS)
        return Frames(
            transactions=tx,
            parties=parties,
            accounts=accounts,
            rejects=rejects_frame(self.rejects),
            rows_read=self.rows_read,
            report={"message": self.message or self.kind},
        )


def _amount(el: Any) -> tuple[Decimal | None, str | None, str | None]:
    """(amount, currency, problem) of an ``Amt Ccy="..."`` element."""
    if el is None:
        return None, None, "missing amount"
    text = (el.text or "").strip()
    ccy = el.get("Ccy")
    amount, problem = exact_amount(text)
    if problem == "not a number":
        return None, ccy, f"expected an amount like 1234.56, got {text!r}"
    if problem == "must be positive":
        return None, ccy, f"ISO 20022 amounts are positive (CdtDbtInd gives the direction), got {text!r}"
    if amount is None:
        return None, ccy, f"amount {text} {problem}"
    if not ccy or not re.fullmatch(r"[A-Z]{3}", ccy):
        return None, ccy, f'expected a Ccy attribute like Ccy="EUR", got {ccy!r}'
    return amount, ccy, None


_CASH = {"CDPT", "CWDL", "BCDP", "BCWD", "FCDP", "FCWD", "MIXD"}
_CARD = {"POSD", "POSC", "SMRT"}
_FEES = {"CHRG", "COMM", "FEES", "INTR", "TAXE"}


def _is_fee(ntry: Any, d: Any) -> bool:
    """True when the bank transaction code books a charge, commission, fee, tax or interest."""
    return any(el is not None and t(el, "BkTxCd/Domn/Fmly/SubFmlyCd") in _FEES for el in (d, ntry))


def _channel(ntry: Any, d: Any) -> str:
    """``cash`` for counter deposits and withdrawals (sub-family CDPT, CWDL, ...), ``card`` for card
    payments (family CCRD/MCRD), else ``bank``, from the ISO external bank transaction code."""
    for el in (d, ntry):
        if el is None:
            continue
        fam, sub = t(el, "BkTxCd/Domn/Fmly/Cd"), t(el, "BkTxCd/Domn/Fmly/SubFmlyCd")
        if sub in _CASH or fam == "CNTR":
            return "cash"
        if fam in ("CCRD", "MCRD") and sub in _CARD:
            return "card"
    return "bank"


def _real(ref: str | None) -> bool:
    return bool(ref) and str(ref).upper() not in ("NOTPROVIDED", "NONREF", "NONE")


def _bank_code(ntry: Any) -> str | None:
    parts = [t(ntry, "BkTxCd/Domn/Cd"), t(ntry, "BkTxCd/Domn/Fmly/Cd"), t(ntry, "BkTxCd/Domn/Fmly/SubFmlyCd")]
    code = "/".join(p for p in parts if p)
    return code or t(ntry, "BkTxCd/Prtry/Cd")


def _description(d: Any, ntry: Any) -> str | None:
    ustrd = (
        [x.text.strip() for x in d.iterfind(q("RmtInf/Ustrd")) if x.text and x.text.strip()] if d is not None else []
    )
    if ustrd:
        return " ".join(ustrd)
    return (t(d, "AddtlTxInf") if d is not None else None) or (t(ntry, "AddtlNtryInf") if ntry is not None else None)
