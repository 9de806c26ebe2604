"""Reader for SWIFT MT940 customer statements and MT942 interim reports.

The statement account (``:25:``) is the owner of every entry; each ``:61:``
statement line becomes one transaction between the owner and the counterparty
named in the ``:86:`` information field that follows it:

* ``C`` (credit) and ``RC`` (reversal of a credit) flow counterparty -> owner,
  ``D`` and ``RD`` owner -> counterparty. Reversals keep the direction of the
  entry they reverse and get ``status="reversed"`` (they move no value), so the
  original and its reversal pair up on sender, receiver and amount.
* The amount (decimal comma) is exact; the currency comes from ``:60F:``/``:60M:``
  (``:34F:`` in an MT942). The timestamp is the value date at midnight in `tz`
  (default UTC); the entry date, funds code, transaction type, references and
  supplementary details go to ``attributes``.
* ``tx_id`` is a hash of the account, the ``:61:`` line and the ``:86:`` text (and a count
  for identical entries), not of the file: the same entry in overlapping statements (an
  MT942 and the day's MT940, a monthly and a quarterly export) gets the same id, and the
  case store keeps it once.
* The counterparty key comes from ``:86:``: an IBAN (German ``?31``/``?38``
  sub-fields, ING/ABN ``/CNTP/`` or ``/IBAN/`` tags, Polish ``Z RACH.:``), else a
  mobile-money wallet when free text names one (``MPESA C2B 254712345678 JANE DOE``:
  ``msisdn:+254712345678``; a phone of KE/UG/ET/DJ next to M-PESA, AIRTEL, MOMO,
  TELEBIRR, B2C/C2B), else a
  bank account (``?30`` bank code + ``?31`` number); charges, interest, commission and
  taxes (``:61:`` type ``NCHG``/``NINT``/``NCOM``/``NTAX``, or a ``:86:`` such as
  ``SERVICE CHARGE``, ``EXCISE DUTY``, ``CREDIT INTEREST``) are ``fee:<own account key>``
  (channel other); cash (``CASH DEPOSIT KENCOM BRANCH``) the cash point named under the
  account's bank, else the account's own ``cash:unknown/<own key>`` (channel cash); else a
  key derived from a counterparty name that looks like one, ``acct:UNKNOWN/<NAME>`` (the
  same name in two statements is the same node: a weak link to be confirmed; ``TRANSFER``
  or ``CHEQUE DEPOSIT`` are not names), else a key unique to the entry,
  ``acct:UNKNOWN/ENTRY-<id>``. ``attributes["counterparty_key_from"]`` says which.

``source_row`` is the line of the ``:61:`` tag in the file. Parsing uses the
``mt-940`` library; a ``:61:`` line it cannot read is rejected with its line,
the rest of the statement is kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from finintel.errors import InputError
from finintel.ingest._charges import cash_point_key, is_charge, name_key
from finintel.ingest._registry import Frames, register_reader
from finintel.ingest._tabular_charges import CASH_WORDS
from finintel.ingest._util import check_size, decode_text, reject, rejects_frame
from finintel.schema import frames as F
from finintel.schema.keys import bank_account_key, fee_key, iban_key, is_valid_iban, normalize_msisdn

__all__ = ["check_statement_line", "parse_information", "read_mt940"]

_TAG = re.compile(r"^:(\d\d[A-Z]?):")
_END = re.compile(r"^-(?:\}.*|XXX.*)?\s*$")
_BIC = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")
_IBAN_TEXT = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
_SLASH_TAGS = (
    "TRTP",
    "CNTP",
    "REMI",
    "EREF",
    "MARF",
    "CSID",
    "BUSP",
    "PURP",
    "IBAN",
    "BIC",
    "NAME",
    "ORDP",
    "BENM",
    "ULTC",
    "ULTD",
    "RTRN",
    "ISDT",
    "PREF",
    "ADDR",
)
_SLASH = re.compile(r"/(" + "|".join(_SLASH_TAGS) + r")/")
_SEPA_KEYS = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|COAM|OAMT|IBAN|BIC)\+")


def _unwrap(text: str) -> str:
    """Newlines normalised; files that write ``@@`` for each line break (some bank portals) are unfolded."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.count("@@") > text.count("\n"):
        text = text.replace("@@", "\n")
    return text


def _sniff(path: Path, head: bytes) -> bool | str:
    text = _unwrap(head.decode("latin-1"))
    if not re.search(r"^:20:", text, re.M) or not re.search(r"^:25:", text, re.M):
        return "no :20: and :25: tags of a SWIFT statement"
    if not re.search(r"^:(?:28C?|60[FM]|34F|61|62[FM]):", text, re.M):
        return "has :20:/:25: but no statement balance (:60F:) or statement line (:61:)"
    return True


@register_reader(
    "mt940", sniff=_sniff, version="1", priority=30, description="SWIFT MT940 statements and MT942 interim reports"
)
def read_mt940(
    path: Path,
    *,
    tz: str = "UTC",
    institution: str | None = None,
    country: str = "KE",
    encoding: str | None = None,
    **_: Any,
) -> Frames:
    """Read a SWIFT MT940/MT942 file (one or several statements) into canonical frames.

    Parameters
    ----------
    path : Path
        The statement file (``.sta``, ``.mt940``, ``.txt``), with or without SWIFT envelope blocks.
    tz : str, default "UTC"
        Zone of the value dates (they carry no time); midnight in this zone becomes the timestamp.
    institution : str, optional
        Bank of the statement account when ``:25:`` names no bank code or BIC
        (used in the ``acct:<institution>/<number>`` key); otherwise a BIC found in the
        file's envelope or header lines, else ``UNKNOWN``.
    country : str, default "KE"
        Country of local phone numbers in ``:86:`` texts that name a mobile-money wallet.
    encoding : str, optional
        Text encoding; by default UTF-8, then cp1252.

    Returns
    -------
    Frames
        One transaction per ``:61:`` line; one account row per statement account.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.sta"
    >>> _ = p.write_text(":20:REF1\\n:25:KCBLKENX/1234567890\\n:28C:1/1\\n:60F:C240301KES1000,00\\n"
    ...                  ":61:2403010301D250,50NTRFNONREF//B1\\n:86:?20rent?32JANE DOE\\n:62F:C240301KES749,50\\n-\\n")
    >>> tx = fi.read(p).transactions
    >>> tx[["sender", "receiver", "amount", "currency", "source_row"]].to_dict("records")
    [{'sender': 'acct:KCB-BANK-KENYA/1234567890', 'receiver': 'acct:UNKNOWN/JANE-DOE', 'amount': 250.5, 'currency': 'KES', 'source_row': 5}]
    """
    check_size(path)
    encodings = (encoding,) if encoding else ("utf-8", "cp1252")
    text, _enc = decode_text(path, encodings=encodings)
    lines = _unwrap(text).split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith(":20:")]
    if not starts:
        raise InputError("no statement found: expected a line starting with :20:", path=str(path))
    if not any(line.startswith(":25:") for line in lines):
        raise InputError("not an MT940/MT942 statement: no :25: account identification line", path=str(path))
    rows: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    accounts: dict[str, dict[str, Any]] = {}
    statements = 0
    for k, start in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else len(lines)
        end = next((i for i in range(start, stop) if _END.match(lines[i])), stop)
        preamble = lines[(starts[k - 1] if k else 0) : start]
        bank = institution or _header_bic(preamble)
        statements += 1
        _read_statement(lines, start, end, bank, (tz, country), rows, rejects, accounts)
    tx = pd.DataFrame(rows) if rows else F.empty(F.TRANSACTIONS)
    return Frames(
        transactions=tx,
        accounts=pd.DataFrame(list(accounts.values())) if accounts else F.empty(F.ACCOUNTS),
        rejects=rejects_frame(rejects),
        rows_read=len(rows) + len(rejects),
        report={"statements": statements},
    )


def _header_bic(preamble: list[str]) -> str | None:
    for line in preamble:
        m = re.search(r"\{1:F\d\d([A-Z0-9]{8})[A-Z0-9]?([A-Z0-9]{3})?", line)
        if m:
            return m.group(1)
        if _BIC.match(line.strip()):
            return line.strip()[:8]
        m = re.match(r"^\d{4} \d\d([A-Z]{6}[A-Z0-9]{2})", line)  # ING: "0000 01INGBNL2AXXXX00001"
        if m:
            return m.group(1)
    return None


def _blocks(lines: list[str], start: int, end: int) -> tuple[list[str], list[tuple[int, int]]]:
    """Header lines of a statement and the (first, stop) line span of every :61: with its :86:."""
    tags = [i for i in range(start, end) if _TAG.match(lines[i])]
    first61 = next((i for i in tags if lines[i].startswith(":61:")), end)
    header = [lines[i] for i in range(start, first61) if lines[i].strip()]
    spans: list[tuple[int, int]] = []
    nxt = end  # walking backwards: the next tag that is not :86: ends a :61: block
    for i in reversed(tags):
        if lines[i].startswith(":61:"):
            spans.append((i, nxt))
        if not lines[i].startswith(":86:"):
            nxt = i
    return header, spans[::-1]


def _parse(text: str) -> Any:
    import mt940

    procs = dict(mt940.models.Transactions.DEFAULT_PROCESSORS)
    procs["post_transaction_details"] = []
    t = mt940.models.Transactions(processors=procs)  # type: ignore[arg-type]
    log = logging.getLogger("mt940")
    level = log.level
    log.setLevel(logging.CRITICAL)  # the library logs every regex miss as an error; we report them as rejects
    try:
        t.parse(text)
    finally:
        log.setLevel(level)
    return t


def _read_statement(
    lines: list[str],
    start: int,
    end: int,
    bank: str | None,
    where: tuple[str, str],
    rows: list[dict[str, Any]],
    rejects: list[dict[str, Any]],
    accounts: dict[str, dict[str, Any]],
) -> None:
    header, spans = _blocks(lines, start, end)
    seen: dict[str, int] = {}
    body = "\n".join(lines[start:end]) + "\n"
    try:
        whole = _parse(body)
        parsed: list[Any] = list(whole) if len(whole) == len(spans) else [None] * len(spans)
        data = whole.data
    except Exception:  # the library raises bare exceptions on malformed tags
        parsed, data = [None] * len(spans), {}
    if not data:
        try:
            data = _parse("\n".join(header) + "\n").data
        except Exception as exc:
            for first, stop in spans:
                rejects.append(
                    reject(first + 1, ":25:", f"statement header cannot be read: {exc}", "\n".join(lines[first:stop]))
                )
            return
    raw25 = str(data.get("account_identification") or "").strip()
    if not raw25:
        for first, stop in spans:
            rejects.append(
                reject(
                    first + 1, ":25:", "the statement has no :25: account identification", "\n".join(lines[first:stop])
                )
            )
        return
    opening = data.get("final_opening_balance") or data.get("intermediate_opening_balance")
    owner = _owner_key(raw25, bank, str(getattr(getattr(opening, "amount", None), "currency", "") or ""))
    mtype = "MT942" if any(h.startswith((":34F:", ":13D:", ":13:")) for h in header) else "MT940"
    for (first, stop), tr in zip(spans, parsed, strict=True):
        raw = "\n".join(lines[first:stop])
        problem = check_statement_line(lines[first])
        if problem:
            rejects.append(reject(first + 1, ":61:", problem, raw))
            continue
        if tr is None:
            try:
                one = _parse("\n".join(header) + "\n" + raw + "\n")
            except Exception as exc:
                rejects.append(reject(first + 1, ":61:", f"statement line cannot be read: {exc}", raw))
                continue
            if len(one) != 1:
                rejects.append(
                    reject(
                        first + 1,
                        ":61:",
                        "statement line does not match the :61: layout "
                        "YYMMDD[MMDD]C|D|RC|RD[funds code]amount(decimal comma)type[reference][//bank reference]",
                        raw,
                    )
                )
                continue
            tr = one[0]
        rows.append(_row(tr.data, lines, first, stop, owner, raw25, data, mtype, seen, where))
    cur = next((r["currency"] for r in reversed(rows) if r["sender"] == owner or r["receiver"] == owner), None)
    accounts.setdefault(
        owner,
        {
            "account": owner,
            "role": "holder",
            "institution_code": bank,
            "currency": cur,
            "attributes": json.dumps({"mt940_account": raw25}),
            "source_row": start + 2,
        },
    )


_LINE61 = re.compile(r"^:61:(\d{6})(\d{4})?(RC|RD|EC|ED|C|D)([A-Z])?(\d[\d,]*)([NSF][A-Z0-9]{3})")


def check_statement_line(line: str) -> str | None:
    """Why a ``:61:`` line breaks the SWIFT layout, or None when it fits.

    Stricter than the ``mt-940`` library, which reads ``C12x,00`` as 12 and moves the rest
    into the reference.

    Examples
    --------
    >>> check_statement_line(":61:2403010302D25000,NTRFNONREF//KCB-01") is None
    True
    >>> check_statement_line(":61:2403030303C12x,00NTRFNONREF")
    "expected the amount as digits with a decimal comma (e.g. 1234,56) followed by a transaction type like NTRF, got '12x,00NTRFNONREF'"
    """
    m = re.match(r"^:61:(\d{6})(\d{4})?", line)
    if not m:
        return f"expected the value date as YYMMDD after :61:, got {line[4:14]!r}"
    try:
        date(2000 + int(m.group(1)[:2]), int(m.group(1)[2:4]), int(m.group(1)[4:6]))
    except ValueError:
        return f"value date {m.group(1)!r} is not a calendar date (YYMMDD)"
    rest = line[m.end() :]
    mark = re.match(r"(RC|RD|EC|ED|C|D)([A-Z])?", rest)
    if not mark:
        return f"expected a debit/credit mark C, D, RC or RD after the dates, got {rest[:6]!r}"
    full = _LINE61.match(line)
    if not full or full.group(5).count(",") != 1 or len(full.group(5)) > 15:
        amount = rest[mark.end(1) :]
        return f"expected the amount as digits with a decimal comma (e.g. 1234,56) followed by a transaction type like NTRF, got {amount[:24]!r}"
    return None


def _owner_key(raw25: str, bank: str | None, currency: str = "") -> str:
    """Key of the statement account; a currency code glued to a plain number (``0100234567890KES``) is dropped.

    >>> _owner_key("0100234567890KES", "KCBLKENX", "KES"), _owner_key("BPHKPLPK/320000546101", None)
    ('acct:KCB-BANK-KENYA/0100234567890', 'acct:BPHKPLPK/320000546101')
    """
    value = re.sub(r"\s", "", raw25)
    if currency and value.endswith(currency) and re.fullmatch(r"[\d/\-]+", value[: -len(currency)]):
        value = value[: -len(currency)]
    m = re.fullmatch(r"([A-Z]{2}\d{2}[A-Z0-9]{10,30}?)([A-Z]{3})?", value)
    if m and is_valid_iban(m.group(1)):
        return iban_key(m.group(1))
    if "/" in value:
        inst, _, number = value.partition("/")
        if inst and number:
            return bank_account_key(number, inst)
    return bank_account_key(value, bank or "UNKNOWN")


def _row(
    d: dict[str, Any],
    lines: list[str],
    first: int,
    stop: int,
    owner: str,
    raw25: str,
    stmt: dict[str, Any],
    mtype: str,
    seen: dict[str, int],
    where: tuple[str, str],
) -> dict[str, Any]:
    tz, country = where
    info_at = next((i for i in range(first, stop) if lines[i].startswith(":86:")), None)
    info_lines = [lines[info_at][4:]] + lines[info_at + 1 : stop] if info_at is not None else []
    info = parse_information(info_lines, country)
    mark = str(d.get("status") or "")
    amount = abs(Decimal(d["amount"].amount))
    # content-based id: the same entry in two overlapping statements (a daily MT942 and the month's
    # MT940) gets the same id, so the case store keeps it once; n tells identical entries apart
    content = "\n".join([owner, lines[first].strip(), re.sub(r"\s+", " ", "".join(info_lines)).strip()])
    seen[content] = seen.get(content, 0) + 1
    tx_id = "mt940:" + hashlib.sha1(f"{content}\n{seen[content]}".encode()).hexdigest()[:20]
    text = info.get("description") or d.get("extra_details") or None
    cp_key, basis = _counterparty_key(info, tx_id, owner=owner, code=str(d.get("id") or ""), text=text)
    value_date: date = d["date"]
    ts = pd.Timestamp(value_date.year, value_date.month, value_date.day).tz_localize(tz).tz_convert("UTC")
    incoming = mark in ("C", "RC")
    entry = d.get("entry_date")
    attrs = {
        "message_type": mtype,
        "statement_reference": stmt.get("transaction_reference"),
        "statement_number": stmt.get("statement_number"),
        "sequence_number": stmt.get("sequence_number"),
        "account": raw25,
        "mark": mark,
        "funds_code": d.get("funds_code"),
        "entry_date": entry.isoformat() if entry else None,
        "transaction_type": d.get("id"),
        "customer_reference": d.get("customer_reference"),
        "bank_reference": d.get("bank_reference"),
        "supplementary_details": d.get("extra_details") or None,
        "counterparty_key_from": basis,
        **{k: v for k, v in info.items() if k != "description"},
    }
    name = info.get("counterparty_name")
    return {
        "tx_id": tx_id,
        "timestamp": ts,
        "sender": cp_key if incoming else owner,
        "receiver": owner if incoming else cp_key,
        "sender_name": name if incoming else None,
        "receiver_name": None if incoming else name,
        "amount": float(amount),
        "amount_exact": amount,
        "currency": d.get("currency"),
        "channel": {"charge": "other", "cash point": "cash"}.get(basis, "bank"),
        "status": "reversed" if mark.startswith("R") else "completed",
        "description": text,
        "attributes": json.dumps(
            {k: v for k, v in attrs.items() if v not in (None, "")}, ensure_ascii=False, default=str
        ),
        "source_row": first + 1,
    }


def _counterparty_key(
    info: dict[str, Any], tx_id: str, *, owner: str = "", code: str = "", text: str | None = None
) -> tuple[str, str]:
    """The counterparty's key and what gave it (``iban``, ``msisdn``, ``account``, ``charge``, ``cash point``...).

    >>> own = "acct:KCB-BANK-KENYA/0100234567890"
    >>> _counterparty_key({}, "mt940:1", owner=own, code="NCHG", text="SERVICE CHARGE")
    ('fee:acct:KCB-BANK-KENYA/0100234567890', 'charge')
    >>> _counterparty_key({}, "mt940:1", owner=own, code="NTRF", text="CASH DEPOSIT KENCOM BRANCH")
    ('cash:KCB-BANK-KENYA/BRANCH KENCOM', 'cash point')
    >>> _counterparty_key({"counterparty_name": "TRANSFER"}, "mt940:ab", owner=own, code="NTRF")
    ('acct:UNKNOWN/ENTRY-ab', 'none')
    """
    if owner and code[-3:].upper() in _FEE_CODES:  # NCHG, FCHG, NINT, NCOM, NTAX...: booked by the bank
        return fee_key(owner), "charge"
    iban = info.get("counterparty_iban")
    if iban:
        return iban_key(iban), "iban"
    if info.get("counterparty_msisdn"):
        return f"msisdn:{info['counterparty_msisdn']}", "msisdn"
    acct = info.get("counterparty_account")
    if acct and re.sub(r"[\s\-]", "", acct):
        return bank_account_key(acct, info.get("counterparty_bank") or "UNKNOWN"), "account"
    name = info.get("counterparty_name")
    if owner and (is_charge(text) or is_charge(name)):
        return fee_key(owner), "charge"
    if owner and text and re.search(CASH_WORDS, text) and not name_key(name):
        inst = owner.split(":", 1)[1].split("/", 1)[0] if owner.startswith("acct:") else None
        return cash_point_key(text, institution=inst, account=owner), "cash point"
    by_name = name_key(name)
    if by_name:
        return by_name, "name"
    return f"acct:UNKNOWN/ENTRY-{tx_id.split(':', 1)[1]}", "none"


_FEE_CODES = {"CHG", "INT", "COM", "TAX"}
"""SWIFT transaction type codes (after the N/F/S prefix) of charges, interest, commission and tax."""


def parse_information(lines: list[str], country: str = "KE") -> dict[str, Any]:
    """Parse a ``:86:`` information field into counterparty and remittance fields.

    Understands the German/Polish ``?NN`` sub-fields (``?00`` posting text, ``?20``-``?29``
    and ``?60``-``?63`` purpose, ``?30`` bank code, ``?31`` account, ``?32``/``?33`` name,
    ``?38`` IBAN), SEPA purpose keys (``EREF+``, ``SVWZ+``...), the ING/ABN AMRO slash
    tags (``/CNTP/iban/bic/name/city/``, ``/IBAN/``, ``/NAME/``, ``/REMI/``) and the
    Polish ``Z RACH.: <account>; OD: <name>`` text. Unstructured text is kept as the description.

    Parameters
    ----------
    lines : list of str
        The field's lines, the ``:86:`` tag removed.
    country : str, default "KE"
        Country (ISO alpha-2) of local phone numbers named in free text.

    Returns
    -------
    dict
        ``description`` and, where found, ``counterparty_iban``, ``counterparty_account``,
        ``counterparty_bank``, ``counterparty_name``, ``gvc``, ``posting_text`` and purpose keys.

    Examples
    --------
    >>> info = parse_information(["166?00GUTSCHRIFT?20EREF+E2E 1?21SVWZ+Rent Jan?30DRESDEFF508?31DE1450880", "0500194785000?32KARL?33 KAUFMANN"])
    >>> info["counterparty_iban"], info["counterparty_name"], info["description"], info["EREF"]
    ('DE14508800500194785000', 'KARL KAUFMANN', 'Rent Jan', 'E2E 1')
    >>> parse_information(["/CNTP/NL91ABNA0417164300/ABNANL2A/J DOE/AMSTERDAM/REMI/invoice 7/"])["counterparty_name"]
    'J DOE'
    """
    out: dict[str, Any] = {}
    if not lines:
        return out
    joined = "".join(lines)
    if re.match(r"^\s*\d{3}\?\d\d", joined) or re.match(r"^\s*\?\d\d", joined):
        _subfields(joined, out)
    elif _SLASH.search(joined):
        _slash_tags(joined, out)
    else:
        text = " ".join(s.strip() for s in lines if s.strip())
        out["description"] = re.sub(r"\s+", " ", text)
        _mobile_money(text, out, country)
        m = re.search(r"Z RACH\.:\s*(\d{26})", text)
        if m:
            nrb = m.group(1)
            if is_valid_iban("PL" + nrb):
                out["counterparty_iban"] = "PL" + nrb
            else:
                out["counterparty_account"] = nrb
        m = re.search(r"\bOD:\s*(.+?)(?:\s{2,}|;|$)", "\n".join(lines), flags=re.M)
        if m:
            out["counterparty_name"] = m.group(1).strip()
    iban = out.get("counterparty_iban")
    if iban and not is_valid_iban(iban):
        out.setdefault("counterparty_account", out.pop("counterparty_iban"))
    return out


_WALLET_WORDS = re.compile(r"M-?PESA|MPESA|AIRTEL|MOMO|MOBILE ?MONEY|TELEBIRR|\bB2C\b|\bC2B\b|\bB2B\b", re.I)
_PHONE = re.compile(r"(?<!\d)(?:\+?(?:254|256|251|253) ?\d{3} ?\d{3} ?\d{2,3}|0[179]\d{2} ?\d{3} ?\d{3})(?!\d)")


def _mobile_money(text: str, out: dict[str, Any], country: str) -> None:
    """A bank entry naming a mobile-money wallet (``MPESA C2B 254712345678 JANE``): the wallet is the counterparty.

    Local numbers are read in the wallet's country (telebirr: ET, MTN MoMo: UG), else in `country`.
    """
    word = _WALLET_WORDS.search(text)
    if not word:
        return
    w = word.group(0).upper()
    local = "ET" if w == "TELEBIRR" else "UG" if w == "MOMO" else country
    for m in _PHONE.finditer(text):
        number = normalize_msisdn(m.group(0), local)
        if number:
            out["counterparty_msisdn"] = number
            name = re.match(r"\s*([A-Z][A-Z .'-]{2,40}?)(?:\s{2,}|\s+REF\b|\s*[/,;]|\s*$)", text[m.end() :])
            if name:
                out.setdefault("counterparty_name", name.group(1).strip())
            return


def _subfields(joined: str, out: dict[str, Any]) -> None:
    head, *parts = re.split(r"\?(\d\d)", joined)
    fields: dict[int, list[str]] = {}
    for code, value in zip(parts[::2], parts[1::2], strict=True):
        fields.setdefault(int(code), []).append(value)
    if head.strip():
        out["gvc"] = head.strip()

    def get(*codes: int, sep: str = "") -> str:
        return sep.join(v for c in codes for v in fields.get(c, [])).strip()

    purpose = get(*range(20, 30), *range(60, 64))
    out["posting_text"] = get(0) or None
    out["prima_nota"] = get(10) or None
    out["text_key_extension"] = get(34) or None
    out["counterparty_bank"] = get(30) or None
    acct = re.sub(r"\s", "", get(31))
    iban38 = re.sub(r"\s", "", get(38))
    if iban38 and _IBAN_TEXT.match(iban38.upper()):
        out["counterparty_iban"] = iban38.upper()
        if acct:
            out["counterparty_account"] = acct
    elif acct and _IBAN_TEXT.match(acct.upper()) and is_valid_iban(acct):
        out["counterparty_iban"] = acct.upper()
    elif acct:
        out["counterparty_account"] = acct
    name = re.sub(r"\s+", " ", get(32, 33)).strip()
    out["counterparty_name"] = name or None
    keys = _SEPA_KEYS.split(purpose)
    if len(keys) > 1:
        for k, v in zip(keys[1::2], keys[2::2], strict=True):
            out[k] = v.strip()
        out["description"] = out.get("SVWZ") or purpose
    else:
        out["description"] = purpose or out.get("posting_text")


def _slash_tags(joined: str, out: dict[str, Any]) -> None:
    marks = list(_SLASH.finditer(joined))
    for m, nxt in zip(marks, [*marks[1:], None], strict=True):
        value = joined[m.end() : nxt.start() if nxt else len(joined)].strip("/").strip()
        tag = m.group(1)
        if tag == "CNTP":
            parts = (value.split("/") + ["", "", "", ""])[:4]
            iban, bic, name, city = (p.strip() for p in parts)
            if iban:
                out["counterparty_iban" if _IBAN_TEXT.match(iban.upper()) else "counterparty_account"] = iban.upper()
            out["counterparty_bank"] = bic or None
            out["counterparty_name"] = name or None
            out["counterparty_city"] = city or None
        elif tag == "IBAN":
            out["counterparty_iban" if _IBAN_TEXT.match(value.upper()) else "counterparty_account"] = value.upper()
        elif tag == "BIC":
            out["counterparty_bank"] = value
        elif tag == "NAME":
            out["counterparty_name"] = value
        elif tag == "REMI":
            out["description"] = re.sub(r"^(?:USTD|STRD)//", "", value).strip("/ ") or None
        else:
            out[tag] = value
    out.setdefault("description", re.sub(r"\s+", " ", joined).strip())
