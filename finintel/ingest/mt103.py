"""Reader for SWIFT MT103 single customer credit transfers (FIN messages and RJE files).

A small tokenizer of our own reads the blocks ``{1:}{2:}{3:}{4:...-}{5:}`` of each
message; RJE files hold several messages separated by ``$``. Each MT103 becomes one
transaction from the ordering customer (``:50A/F/K:``) to the beneficiary
(``:59:``/``:59A:``/``:59F:``):

* amount, currency and value date from ``:32A:`` (decimal comma, exact); ``:33B:``,
  ``:36:``, ``:71A:`` charges, ``:23B:``, ``:72:`` and the agents go to ``attributes``;
* account keys from the ``/account`` lines (an IBAN when it is one, else
  ``acct:<bank BIC>/<number>`` with the ordering institution ``:52A:`` or the sending
  bank for the payer, the account-with institution ``:57A:`` or the receiving bank for
  the payee); a party with no account gets ``acct:UNKNOWN/<NAME>`` like the MT940 reader when
  the name looks like one (not ``CASH``, ``TRANSFER``), else ``acct:UNKNOWN/ENTRY-<message>-PAYER``
  or ``-PAYEE``, a node of this message's own;
* countries from ``:50F:``/``:59F:`` ``3/CC/town`` lines, else the IBAN, else the bank's BIC;
* ``tx_id`` is ``mt103:<UETR>`` (block 3 tag 121) when present, else ``mt103:<MIR>`` (the
  message input reference of an output message), else a hash of the sending bank and the
  block-4 text (with a count for identical messages): the same message in two files has one id;
* ``source_row`` is the line where the message starts (``{1:`` or its first field);
* the ordering customer and the beneficiary (name, address lines, country) become
  ``parties`` rows, each holding its account in ``accounts`` (``party_id`` is
  ``mt103:<account key>:<NAME>``; KYC to feed entity resolution, not a verified identity).

ACK/NAK service messages (``{1:F21...}{4:{177:...}{451:0}}``) are acknowledgements, not
payments: they are counted (``report["acks"]``, ``report["naks"]``) and produce no row.
A message whose blocks are malformed (e.g. a ``-}{`` terminator), that is not an MT103, or
that lacks ``:32A:``/``:50a:``/``:59a:`` goes to rejects with the reason.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from finintel.errors import InputError
from finintel.ingest._charges import name_key
from finintel.ingest._registry import Frames, register_reader
from finintel.ingest._util import check_size, decode_text, reject, rejects_frame
from finintel.schema import frames as F
from finintel.schema.keys import bank_account_key, iban_key, is_valid_iban

__all__ = ["Message", "line_index", "read_mt103", "tokenize"]

_FIELD = re.compile(r"^:(\d\d[A-Z]?):")
_BIC = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")


@dataclass
class Message:
    """One FIN message: its header blocks, block-4 fields with their lines, and any problem."""

    line: int
    blocks: dict[str, str] = field(default_factory=dict)
    fields: list[tuple[str, str, int]] = field(default_factory=list)
    problem: str | None = None
    raw: str = ""

    def get(self, *tags: str) -> tuple[str, str, int] | None:
        """The first field with one of `tags` as ``(tag, value, line)``."""
        return next((f for f in self.fields if f[0] in tags), None)


def _sniff(path: Path, head: bytes) -> bool | str:
    text = head.decode("latin-1")
    if re.search(r"\{2:[IO]103", text) or (re.search(r"\{1:F21", text) and "{451:" in text):
        return True
    if "{1:" in text:
        return "SWIFT FIN blocks, but no MT103 ({2:I103 or {2:O103) in the first messages"
    if re.search(r"^:20:", text, re.M) and re.search(r"^:32A:", text, re.M) and re.search(r"^:59[AF]?:", text, re.M):
        return True
    return "no SWIFT MT103 blocks or :20:/:32A:/:59: fields"


def tokenize(text: str) -> tuple[list[Message], int]:
    """Split FIN/RJE text into messages; returns the messages and the number of ``$`` separators.

    Examples
    --------
    >>> msgs, _ = tokenize("{1:F01AAAABBCCXXX0000000000}{2:I103DDDDEEFFXXXXN}{4:\\n:20:R1\\n:32A:240301KES10,\\n-}")
    >>> msgs[0].blocks["2"], msgs[0].get("32A")
    ('I103DDDDEEFFXXXXN', ('32A', '240301KES10,', 3))
    """
    seps = len(re.findall(r"^\s*\$\s*$", text, flags=re.M))
    line_of = line_index(text)
    starts = [m.start() for m in re.finditer(r"\{1:", text)]
    if not starts:
        chunks = [m.start() for m in re.finditer(r"^:20:", text, flags=re.M)]
        out = []
        for k, s in enumerate(chunks):
            end = chunks[k + 1] if k + 1 < len(chunks) else len(text)
            body = re.split(r"^-\}?\s*$|^\$\s*$", text[s:end], maxsplit=1, flags=re.M)[0]
            msg = Message(line=line_of(s), raw=text[s:end].strip())
            _fields(msg, body, msg.line)
            out.append(msg)
        return out, seps
    msgs = []
    for k, s in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(text)
        msgs.append(_message(text, s, end, line_of))
    return msgs, seps


def line_index(text: str) -> Callable[[int], int]:
    """A function from a character offset of `text` to its 1-based line, in O(log n).

    >>> line_index("a\\nb\\nc")(4)
    3
    """
    newlines = [m.start() for m in re.finditer("\n", text)]
    return lambda pos: bisect.bisect_left(newlines, pos) + 1


def _message(text: str, start: int, end: int, line_of: Callable[[int], int]) -> Message:
    msg = Message(line=line_of(start), raw=text[start:end].strip())
    pos = start
    while pos < end and text[pos] == "{":
        m = re.match(r"\{([0-9A-Z]):", text[pos:end])
        if not m:
            at = line_of(pos)
            after = "after block 4 " if "4" in msg.blocks else ""
            msg.problem = f"malformed block or separator {after}at line {at}: {text[max(start, pos - 2) : pos + 1]!r} starts no block; expected '{{<n>:' or '$'"
            return msg
        label, body_start = m.group(1), pos + m.end()
        if label == "4" and not text.startswith("{", body_start):
            close = text.find("\n-}", body_start, end)
            if close < 0:
                msg.problem = "block 4 has no '-}' terminator (truncated message?)"
                return msg
            msg.blocks["4"] = text[body_start:close]
            _fields(msg, text[body_start:close], line_of(body_start))
            pos = close + 3
            continue
        depth, i = 1, body_start
        while i < end and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth:
            msg.problem = f"block {label} is not closed with '}}' (truncated message?)"
            return msg
        msg.blocks[label] = text[body_start : i - 1]
        pos = i
    rest = text[pos:end]
    if rest.strip().strip("$").strip():
        line = line_of(pos)
        msg.problem = f"malformed message end at line {line}: {rest.strip()[:12]!r} after the last block, expected '$' or the next message"
    return msg


def _fields(msg: Message, body: str, first_line: int) -> None:
    for offset, line in enumerate(body.split("\n")):
        m = _FIELD.match(line)
        if m:
            msg.fields.append((m.group(1), line[m.end() :], first_line + offset))
        elif msg.fields and line.strip():
            tag, value, at = msg.fields[-1]
            msg.fields[-1] = (tag, value + "\n" + line, at)


@register_reader(
    "mt103",
    sniff=_sniff,
    version="1",
    priority=30,
    description="SWIFT MT103 customer transfers (FIN/RJE), ACK/NAK counted",
)
def read_mt103(path: Path, *, tz: str = "UTC", encoding: str | None = None, **_: Any) -> Frames:
    """Read MT103 messages (one FIN message or an RJE file of several) into canonical transactions.

    Parameters
    ----------
    path : Path
        The ``.fin``, ``.rje``, ``.txt`` or ``.out`` file.
    tz : str, default "UTC"
        Zone of the ``:32A:`` value date, which has no time.
    encoding : str, optional
        Text encoding (default UTF-8, then cp1252).

    Returns
    -------
    Frames
        One transaction per MT103; ``report`` counts ``messages``, ``payments``, ``acks``, ``naks``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.rje"
    >>> _ = p.write_text("{1:F01KCBLKENXAXXX0000000000}{2:I103EQBLUGKAXXXXN}{4:\\n:20:REF-1\\n:23B:CRED\\n"
    ...   ":32A:240301USD15000,50\\n:50K:/0011223344\\nAMINA HASSAN\\n:59:/9988776655\\nJOHN OKELLO\\n:71A:SHA\\n-}")
    >>> tx = fi.read(p).transactions
    >>> tx.loc[0, ["sender", "receiver", "receiver_name", "currency", "sender_country", "receiver_country"]].tolist()
    ['acct:KCB-BANK-KENYA/0011223344', 'acct:EQUITY-BANK-UGANDA/9988776655', 'JOHN OKELLO', 'USD', 'KE', 'UG']
    """
    check_size(path)
    text, _enc = decode_text(path, encodings=(encoding,) if encoding else ("utf-8", "cp1252"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError("the file is empty; expected SWIFT MT103 messages", path=str(path))
    seen: dict[str, int] = {}
    msgs, _seps = tokenize(text)
    if not msgs:
        raise InputError("no SWIFT message found: expected {1:...}{2:...}{4: blocks or :20: fields", path=str(path))
    rows: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    acks = naks = 0
    parties: dict[str, dict[str, Any]] = {}
    accounts: dict[tuple[str, str], dict[str, Any]] = {}
    for msg in msgs:
        if msg.problem:
            rejects.append(reject(msg.line, None, msg.problem, msg.raw))
            continue
        if msg.blocks.get("1", "").startswith("F21"):
            status = re.search(r"\{451:(\d)\}", msg.blocks.get("4", ""))
            if status and status.group(1) == "1":
                naks += 1
            else:
                acks += 1
            continue
        mt = re.match(r"[IO](\d{3})", msg.blocks.get("2", ""))
        if msg.blocks and (not mt or mt.group(1) != "103"):
            rejects.append(
                reject(
                    msg.line,
                    "{2:",
                    f"message type {mt.group(1) if mt else '?'} is not an MT103 customer transfer",
                    msg.raw,
                )
            )
            continue
        try:
            row = _row(msg, seen, tz)
        except _Reject as r:
            rejects.append(reject(r.line or msg.line, r.column, r.problem, msg.raw))
            continue
        for party, account in row.pop("_parties"):
            parties.setdefault(party["party_id"], party)
            accounts.setdefault((account["account"], account["party_id"]), account)
        rows.append(row)
    return Frames(
        transactions=pd.DataFrame(rows) if rows else F.empty(F.TRANSACTIONS),
        parties=pd.DataFrame(list(parties.values())) if parties else F.empty(F.PARTIES),
        accounts=pd.DataFrame(list(accounts.values())) if accounts else F.empty(F.ACCOUNTS),
        rejects=rejects_frame(rejects),
        rows_read=len(msgs),
        report={"messages": len(msgs), "payments": len(rows), "acks": acks, "naks": naks},
    )


class _Reject(Exception):
    def __init__(self, column: str, problem: str, line: int | None = None) -> None:
        super().__init__(problem)
        self.column, self.problem, self.line = column, problem, line


@dataclass
class _Party:
    account: str | None = None
    bic: str | None = None
    name: str | None = None
    address: list[str] = field(default_factory=list)
    country: str | None = None


def _party(tag: str, value: str) -> _Party:
    lines = [s.strip() for s in value.split("\n") if s.strip()]
    p = _Party()
    if lines and lines[0].startswith("/") and not re.match(r"^/\d/", lines[0]):
        acct = lines.pop(0)[1:].strip()
        p.account = None if acct in ("", "-") else acct
    elif lines and tag.endswith("F") and not re.match(r"^\d/", lines[0]):
        p.account = lines.pop(0)  # 50F party identifier "CODE/CC/ID"
    if tag.endswith("A"):
        p.bic = lines[0] if lines else None
        p.name = p.bic
        return p
    if tag.endswith("F"):
        names = [s[2:] for s in lines if s.startswith("1/")]
        p.name = " ".join(names) or None
        p.address = [s[2:] for s in lines if s[:2] in ("2/", "3/")]
        town = next((s for s in lines if s.startswith("3/")), None)
        if town and re.match(r"^3/[A-Z]{2}(/|$)", town):
            p.country = town[2:4]
        return p
    p.name = lines[0] if lines else None
    p.address = lines[1:]
    return p


def _bic(value: str | None) -> str | None:
    if not value:
        return None
    lines = [s.strip() for s in value.split("\n") if s.strip()]
    cand = next((s for s in lines if _BIC.match(s)), None)
    return cand


def _key(p: _Party, bank: str | None, entry: str = "") -> str:
    """The party's account key; with no account, its name when it looks like one, else a key of this message's own.

    A bare ``CASH`` or ``TRANSFER`` in ``:59:`` (or no name at all) must not join every such message into one node.

    >>> _key(_Party(name="JANE DOE"), None), _key(_Party(name="TRANSFER"), None, "u1-PAYEE")
    ('acct:UNKNOWN/JANE-DOE', 'acct:UNKNOWN/ENTRY-u1-PAYEE')
    """
    if p.account:
        compact = re.sub(r"[\s\-]", "", p.account)
        if re.match(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$", compact.upper()) and is_valid_iban(compact):
            return iban_key(compact)
        return bank_account_key(p.account, (bank or "UNKNOWN")[:8])
    return name_key(p.name) or f"acct:UNKNOWN/ENTRY-{entry or 'NO-NAME'}"


def _country(p: _Party, key: str, bank: str | None) -> str | None:
    if p.country:
        return p.country
    if key.startswith("iban:"):
        return key[5:7]
    import phonenumbers

    code = bank[4:6] if bank and _BIC.match(bank) else None
    return code if code in phonenumbers.SUPPORTED_REGIONS else None


def _row(msg: Message, seen: dict[str, int], tz: str) -> dict[str, Any]:
    f32 = msg.get("32A")
    if not f32:
        raise _Reject(":32A:", "no :32A: value date, currency and amount")
    m = re.fullmatch(r"(\d{6})([A-Z]{3})(\d[\d,]*)", f32[1].strip())
    if not m or m.group(3).count(",") != 1 or len(m.group(3)) > 15:
        raise _Reject(
            ":32A:",
            f"expected YYMMDD, currency and amount with a decimal comma like 240301KES1500,00, got {f32[1].strip()!r}",
            f32[2],
        )
    yy, mm, dd = int(m.group(1)[:2]), int(m.group(1)[2:4]), int(m.group(1)[4:])
    try:
        value_date = date(2000 + yy if yy < 80 else 1900 + yy, mm, dd)
    except ValueError:
        raise _Reject(":32A:", f"value date {m.group(1)!r} is not a calendar date (YYMMDD)", f32[2]) from None
    amount = Decimal(m.group(3).replace(",", "."))
    f50, f59 = msg.get("50A", "50F", "50K", "50"), msg.get("59", "59A", "59F")
    if not f50:
        raise _Reject(":50a:", "no ordering customer (:50A:, :50F: or :50K:)")
    if not f59:
        raise _Reject(":59a:", "no beneficiary customer (:59:, :59A: or :59F:)")
    payer, payee = _party(f50[0], f50[1]), _party(f59[0], f59[1])
    b1, b2 = msg.blocks.get("1", ""), msg.blocks.get("2", "")
    own = b1[3:11] if len(b1) >= 11 else None
    other = None
    if b2.startswith("O") and len(b2) >= 36:  # O + MT + input time + MIR (date, LT address, session, sequence)
        other = b2[14:22]
    elif b2.startswith("I") and len(b2) >= 12:
        other = b2[4:12]
    sending, receiving = (other, own) if b2.startswith("O") else (own, other)
    f52, f57 = msg.get("52A", "52D"), msg.get("57A", "57D", "57B")
    payer_bank = (_bic(f52[1]) if f52 else None) or sending
    payee_bank = (_bic(f57[1]) if f57 else None) or receiving
    uetr = re.search(r"\{121:([0-9a-fA-F-]{36})\}", msg.blocks.get("3", ""))
    mir = b2[8:36] if b2.startswith("O") and len(b2) >= 36 else None
    content = f"{sending}\n{msg.blocks.get('4') or chr(10).join(f'{t}:{v}' for t, v, _ in msg.fields)}"
    seen[content] = seen.get(content, 0) + 1
    digest = hashlib.sha1(f"{content}\n{seen[content]}".encode()).hexdigest()[:20]
    tx_id = f"mt103:{uetr.group(1).lower()}" if uetr else f"mt103:{mir}" if mir else f"mt103:{digest}"
    entry = re.sub(r"[^A-Za-z0-9]+", "-", tx_id.split(":", 1)[1]).strip("-")
    sender = _key(payer, payer_bank or sending, f"{entry}-PAYER")
    receiver = _key(payee, payee_bank or receiving, f"{entry}-PAYEE")
    attrs: dict[str, Any] = {
        "sender_reference": (msg.get("20") or ("", "", 0))[1].strip() or None,
        "uetr": uetr.group(1).lower() if uetr else None,
        "mir": mir,
        "input_time": _input_time(b2),
        "sending_bank": sending,
        "receiving_bank": receiving,
        "ordering_institution": payer_bank,
        "account_with_institution": payee_bank,
        "ordering_customer_address": payer.address or None,
        "beneficiary_address": payee.address or None,
    }
    for tag in ("13C", "23B", "23E", "26T", "33B", "36", "53A", "53B", "54A", "56A", "71A", "71F", "71G", "72", "77B"):
        got = msg.get(tag)
        if got:
            attrs[tag] = got[1].strip()
    remittance = msg.get("70")
    sender_country, receiver_country = _country(payer, sender, payer_bank), _country(payee, receiver, payee_bank)
    ts = pd.Timestamp(value_date.year, value_date.month, value_date.day).tz_localize(tz).tz_convert("UTC")
    return {
        "tx_id": tx_id,
        "timestamp": ts,
        "sender": sender,
        "receiver": receiver,
        "sender_name": payer.name,
        "receiver_name": payee.name,
        "amount": float(amount),
        "amount_exact": amount,
        "currency": m.group(2),
        "channel": "bank",
        "status": "completed",
        "sender_country": sender_country,
        "receiver_country": receiver_country,
        "description": re.sub(r"\s*\n\s*", " ", remittance[1]).strip() if remittance else None,
        "attributes": json.dumps({k: v for k, v in attrs.items() if v is not None}, ensure_ascii=False),
        "source_row": msg.line,
        "_parties": [
            _holder(payer, sender, payer_bank, "ordering_customer", f50, sender_country),
            _holder(payee, receiver, payee_bank, "beneficiary", f59, receiver_country),
        ],
    }


def _input_time(b2: str) -> str | None:
    """When the sender's bank input an output message (block 2: ``O103HHMMYYMMDD...``), as ISO text; its zone is the sender's."""
    m = re.match(r"O\d{3}(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})", b2)
    if not m:
        return None
    hh, mi, yy, mo, dd = m.groups()
    return f"20{yy}-{mo}-{dd}T{hh}:{mi}"


def _holder(
    p: _Party, key: str, bank: str | None, role: str, fld: tuple[str, str, int], country: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The party (name, address, country as the message states them) and its account row."""
    slug = re.sub(r"[^A-Z0-9]+", "-", str(p.name or "").upper()).strip("-") or "NO-NAME"
    party_id = f"mt103:{key}:{slug}"
    party = {
        "party_id": party_id,
        "name": p.name,
        "address": ", ".join(p.address) or None,
        "country": country,
        "attributes": json.dumps({"role": role, "field": f":{fld[0]}:"}),
        "source_row": fld[2],
    }
    account = {
        "account": key,
        "party_id": party_id,
        "role": "holder",
        "institution_code": bank,
        "account_name": p.name,
        "country": country,
        "source_row": fld[2],
    }
    return party, account
