"""Mobile-money statements: Safaricom M-Pesa, MTN MoMo, Airtel Money and telebirr (CSV or Excel).

Each provider is a :class:`~finintel.ingest._tabular_profile.Profile` of the generic
tabular reader (:mod:`finintel.ingest.tabular`): header aliases, a country for local
phone numbers, a currency, a time zone and, for M-Pesa, a parser of the counterparty
written in ``Details`` and ``Other Party Info``. Files are recognised by their header
row (e.g. ``Receipt No.`` with ``Completion Time`` or ``Paid In``/``Withdrawn`` is
M-Pesa), never by their name. To support another wallet, add a profile to
:data:`PROFILES` and register it with :func:`register_profile`.

Keys and conventions
--------------------
* ``tx_id`` is ``<provider>:<transaction id>`` (``mpesa:<Receipt No>``): receipts are
  unique across the provider, so one transfer in both parties' statements is one
  transaction in a case (the second copy goes to rejects as a duplicate). A charge
  booked under the transfer's receipt becomes ``mpesa:<Receipt No>:charge``; other
  repeats of one id in a file get ``:2``, ``:3``...
* Counterparties: phone numbers -> ``msisdn:+2547...``; masked numbers as printed
  (``0****393``) -> ``masked:0****393``; paybill and till numbers -> ``paybill:<no>``;
  a bank's paybill with an account number (``Pay Bill to 522522 - KCB Acc. 1234567``)
  -> the bank account ``acct:KCB-BANK-KENYA/1234567`` (:data:`BANK_PAYBILLS`);
  agents -> ``cash:agent-till-<no>``; charges, levies and taxes the provider books on the
  wallet (``Pay Bill Charge``, ``Withdrawal Charge``, ``E-Levy``) -> the wallet's own
  ``fee:<wallet key>`` (channel ``other``; one node per wallet, never a shared hub), Fuliza overdraft -> ``acct:SAFARICOM-MPESA/FULIZA``, airtime/bundles -> ``acct:SAFARICOM-MPESA/AIRTIME``;
  ``International Money Transfer from NAME (AE) via WorldRemit`` -> ``acct:UNKNOWN/NAME``,
  channel ``remittance``, country AE.
* Countries: the wallet's own (KE, UG, ET), and a counterparty's from its phone's calling
  code, its IBAN or the remittance narrative.
* Agent cash-in/out rows get channel ``cash`` (a placement or cash-out leg, seen by
  cash typologies); the other rows ``mobile_money``.
* ``Transaction Status`` Failed/Cancelled/Declined -> ``failed``, Reversed ->
  ``reversed``: kept, never counted as completed flows.
* The statement's own account: ``account=``/``msisdn=``, else the ``Mobile Number``,
  ``Short Code`` or ``Account Number`` line above the header.
* Times are read in the provider's zone (Africa/Nairobi, Africa/Kampala,
  Africa/Addis_Ababa) unless ``tz=`` is given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from finintel.ingest._registry import Frames, register_reader
from finintel.schema.keys import bank_account_key, fee_key, guess_key

from . import _tabular_parse as P
from ._charges import MOBILE_CHARGE_WORDS
from ._tabular_profile import Counterparties, Profile, meta_value
from ._tabular_sheet import is_excel, is_utf16_text
from .tabular import read_tabular, sniff_header

__all__ = [
    "AIRTEL",
    "MPESA",
    "MTN_MOMO",
    "PROFILES",
    "TELEBIRR",
    "OWN_FEE",
    "mpesa_counterparties",
    "own_fees",
    "read_mobile_money",
    "register_profile",
]

_NULL = pa.scalar(None, pa.string())
OWN_FEE = "fee:@statement-account"
"""Counterparty key :func:`mpesa_counterparties` gives a charge before the wallet is known; :func:`own_fees`
turns it into ``fee:<wallet key>``."""
_ID = r"\+?[0-9][0-9*xX\x{2022}]{2,14}[0-9]"
_DASH = r"\s*[-\x{2013}\x{2014}]\s*"
_DETAILS = rf"^(?:(?P<kind>.*?)\s+)?(?P<id>{_ID})(?:{_DASH}|\s+)(?P<name>.*?)(?:\s+Acc(?:ount)?\b\.?\s*(?:No\.?)?\s*:?\s*(?P<acc>\S.*?))?\s*$"
_OTHER = rf"^(?P<id>{_ID})(?:{_DASH}|\s+)?(?P<name>.*?)\s*$"
_ACC_MARK = r"^(?i:acc(?:ount)?\.?\s*(?:no\.?)?\s*:?\s*)"


def mpesa_counterparties(cols: Mapping[str, pa.Array], profile: Profile) -> Counterparties:
    """Counterparty keys and names from M-Pesa ``Other Party Info`` (first) and ``Details``.

    >>> details = pa.array(["Customer Transfer to 0729914044 - JANE DOE", "Pay Bill to 888880 - KPLC PREPAID Acc. 12345",
    ...                     "Customer Withdrawal At Agent Till 123456 - AGENT NAME", "Funds received from 0****393 - JOHN DOE",
    ...                     "Pay Bill Charge"])
    >>> cp = mpesa_counterparties({"description": details}, MPESA)
    >>> cp.key.to_pylist()
    ['msisdn:+254729914044', 'paybill:888880', 'cash:agent-till-123456', 'masked:0****393', 'fee:@statement-account']
    >>> cp.name.to_pylist()[:3], cp.attributes["account_reference"].to_pylist()[1]
    (['JANE DOE', 'KPLC PREPAID', 'AGENT NAME'], '12345')
    """
    country = profile.country or "KE"
    desc = cols.get("description")
    n = len(desc) if desc is not None else len(next(iter(cols.values())))
    key, name = pa.nulls(n, pa.string()), pa.nulls(n, pa.string())
    attrs: dict[str, pa.Array] = {}
    other = cols.get("other_party")
    if other is not None:
        got = pc.extract_regex(other, _OTHER)
        key = P.map_distinct(pc.struct_field(got, "id"), lambda v: _classify(v, "", country))
        # "254712345678 - NAME" gives both; a bare name (no number) is still the counterparty's name
        name = pc.if_else(
            pc.is_valid(pc.struct_field(got, "id")), _blank_null(pc.struct_field(got, "name")), _blank_null(other)
        )
        attrs["other_party_info"] = other
    if desc is not None:
        got = pc.extract_regex(desc, _DETAILS)
        kind = pc.fill_null(pc.struct_field(got, "kind"), "")
        ids = pc.struct_field(got, "id")
        pair = pc.binary_join_element_wise(kind, ids, "\x1f")
        k = P.map_distinct(pair, lambda v: _classify(v.split("\x1f")[1], v.split("\x1f")[0], country))
        # a name ending in "Account" ("Equity Paybill Account Acc. 0123") leaves the marker on the number
        acc = _blank_null(pc.replace_substring_regex(pc.struct_field(got, "acc"), _ACC_MARK, ""))
        # Pay Bill to a bank's paybill with the bank account as "Acc.": the money lands in that bank account
        bank = P.map_distinct(pc.binary_join_element_wise(ids, acc, "\x1f"), _bank_account)
        charge = pc.match_substring_regex(desc, MOBILE_CHARGE_WORDS)
        airtime = pc.match_substring_regex(desc, r"(?i)\bairtime\b|\bbundles?\b")
        overdraft = pc.match_substring_regex(desc, r"(?i)\bfuliza\b|\boverdraft\b|\bod loan\b")
        k = pc.coalesce(
            bank,
            k,
            pc.if_else(charge, OWN_FEE, _NULL),
            pc.if_else(overdraft, "acct:SAFARICOM-MPESA/FULIZA", _NULL),
            pc.if_else(airtime, "acct:SAFARICOM-MPESA/AIRTIME", _NULL),
        )
        remit = pc.extract_regex(desc, _REMIT)
        remit_name = _blank_null(pc.struct_field(remit, "name"))
        remit_key = P.map_distinct(remit_name, lambda v: f"acct:UNKNOWN/{_name_id(v)}")
        key = pc.coalesce(key, k, remit_key)
        name = pc.coalesce(name, _blank_null(pc.struct_field(got, "name")), remit_name)
        attrs["account_reference"] = acc
        attrs["paybill"] = pc.if_else(pc.is_valid(bank), ids, _NULL)
        attrs["remittance_provider"] = _blank_null(pc.struct_field(remit, "via"))
        channel = pc.if_else(pc.is_valid(remit_name), "remittance", _NULL)
        country = _blank_null(pc.struct_field(remit, "cc"))
        return Counterparties(key, name, attrs, channel=channel, country=country)
    kind = cols.get("type")
    if kind is not None:  # telebirr: no details column; "Service Fee" or "E-Levy" as the transaction type
        key = pc.coalesce(key, pc.if_else(pc.match_substring_regex(kind, MOBILE_CHARGE_WORDS), OWN_FEE, _NULL))
    return Counterparties(key, name, attrs)


BANK_PAYBILLS: dict[str, str] = {
    "522522": "KCB-BANK-KENYA",
    "247247": "EQUITY-BANK-KENYA",
    "400200": "CO-OPERATIVE-BANK-OF-KENYA",
    "880100": "NCBA-BANK-KENYA",
    "303030": "ABSA-BANK-KENYA",
    "222111": "FAMILY-BANK",
    "542542": "I-M-BANK",
    "600100": "STANBIC-BANK-KENYA",
}
"""Paybill numbers of Kenyan banks: ``Pay Bill to 522522 ... Acc. 1234567890`` pays into ``acct:KCB-BANK-KENYA/1234567890``.
Pass the same institution name (e.g. ``institution="KCB Bank Kenya"``) when reading that bank's statements so keys meet."""

_REMIT = (
    r"(?i)^(?:international money transfer|imt|remittance)\b.*?\b(?:from|to)\s+(?P<name>[^(]+?)\s*"
    r"(?:\((?P<cc>[A-Z]{2})\))?\s*(?:\bvia\s+(?P<via>.+?))?\s*$"
)


def _bank_account(pair: str) -> str | None:
    paybill, _, acc = pair.partition("\x1f")
    inst = BANK_PAYBILLS.get(paybill.strip())
    acc = acc.strip()
    if inst and re.fullmatch(r"\d{6,20}", acc):
        return bank_account_key(acc, inst)
    return None


def _name_id(name: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", str(name).upper()).strip("-")[:80]


def _blank_null(arr: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(pc.fill_null(arr, ""), ""), _NULL, arr)


def _classify(ident: str, kind: str, country: str) -> str | None:
    ident = ident.strip()
    if not ident:
        return None
    if "agent" in kind.lower():
        return f"cash:agent-till-{ident}"
    key = guess_key(ident, country)
    if key and key.startswith(("msisdn:", "masked:")):
        return key
    if ident.isdigit() and len(ident) <= 8:
        return f"paybill:{ident}"
    return key


def _mpesa_owner(meta: Mapping[str, str], profile: Profile) -> tuple[str, str] | None:
    for what in ("msisdn", "short_code", "account"):
        v = meta_value(meta, what)
        if v:
            text = v.replace(" ", "")
            if what == "short_code" and text.isdigit():
                return f"paybill:{text}", "statement header"
            return profile.account_key(text), "statement header"
    return None


def _has(headers: set[str], *names: str) -> bool:
    return any(n in headers for n in names)


MPESA = Profile(
    "mpesa",
    {
        "id": ("receipt no", "receipt", "receipt number", "mpesa receipt", "receipt no s"),
        "timestamp": ("completion time", "date", "transaction date", "completion date", "date time"),
        "time": ("time",),
        "description": ("details", "transaction details", "description"),
        "status": ("transaction status", "status"),
        "credit": ("paid in", "paid in ksh", "money in"),
        "debit": ("withdrawn", "withdrawal", "paid out", "money out"),
        "balance": ("balance",),
        "type": ("reason type", "transaction type"),
        "other_party": ("other party info", "other party"),
    },
    channel="mobile_money",
    country="KE",
    currency="KES",
    institution="MPESA",
    id_prefix="mpesa",
    signature=lambda h: (
        _has(h, "receipt no", "receipt", "receipt number")
        and (_has(h, "completion time") or _has(h, "paid in") and _has(h, "withdrawn"))
    ),
    counterparty=mpesa_counterparties,
    owner_key=_mpesa_owner,
)
"""Safaricom M-Pesa customer statements and organisation-portal exports (KE)."""

MTN_MOMO = Profile(
    "mtn_momo",
    {
        "id": ("id", "transaction id", "financial transaction id", "txn id"),
        "timestamp": ("date", "transaction date", "date time", "datetime"),
        "time": ("time",),
        "status": ("status", "transaction status"),
        "type": ("type", "transaction type"),
        "sender": ("from", "from account", "from msisdn", "sender", "payer"),
        "sender_name": ("from name", "sender name", "payer name"),
        "receiver": ("to", "to account", "to msisdn", "receiver", "payee"),
        "receiver_name": ("to name", "receiver name", "payee name"),
        "amount": ("amount",),
        "fee": ("fee", "fees"),
        "currency": ("currency",),
        "balance": ("balance", "post balance"),
        "description": ("information", "note", "description", "message"),
    },
    channel="mobile_money",
    country="UG",
    currency="UGX",
    institution="MTN-MOMO",
    id_prefix="mtn_momo",
    signature=lambda h: (
        _has(h, "from")
        and _has(h, "to")
        and _has(h, "from name", "to name")
        and _has(h, "id", "transaction id", "financial transaction id")
    ),
    tz="Africa/Kampala",
)
"""MTN Mobile Money transaction exports (UG): From/To accounts, names, amount, fee, currency."""

AIRTEL = Profile(
    "airtel_money",
    {
        "id": ("transaction id", "txn id", "reference id", "transaction ref"),
        "timestamp": ("transaction date", "transaction date time", "txn date", "date", "date time"),
        "description": ("description", "service", "service name", "transaction type", "service type"),
        "sender": ("sender msisdn", "sender", "payer msisdn", "from msisdn", "source msisdn"),
        "sender_name": ("sender name", "payer name"),
        "receiver": ("receiver msisdn", "receiver", "payee msisdn", "to msisdn", "destination msisdn"),
        "receiver_name": ("receiver name", "payee name"),
        "counterparty_account": ("msisdn", "counterparty msisdn", "party msisdn", "other msisdn"),
        "amount": ("amount", "transaction amount"),
        "drcr": ("credit debit", "debit credit", "cr dr", "dr cr"),
        "status": ("status", "transaction status"),
        "balance": ("balance", "post balance", "closing balance"),
        "fee": ("fee", "charges", "service charge"),
    },
    channel="mobile_money",
    country="UG",
    currency="UGX",
    institution="AIRTEL-MONEY",
    id_prefix="airtel_money",
    signature=lambda h: (
        _has(h, "sender msisdn", "receiver msisdn", "payer msisdn", "payee msisdn")
        or (_has(h, "service", "service name") and _has(h, "transaction id"))
    ),
    tz="Africa/Kampala",
)
"""Airtel Money statements (UG by default; pass country="KE" for Airtel Kenya)."""

TELEBIRR = Profile(
    "telebirr",
    {
        "id": ("transaction no", "transaction number", "transaction id", "receipt no"),
        "timestamp": ("transaction time", "transaction date", "date", "date time"),
        "type": ("transaction type", "type"),
        "other_party": ("counterparty", "counter party", "credited party", "debited party", "other party"),
        "amount": ("amount", "transaction amount"),
        "status": ("status", "transaction status"),
        "balance": ("balance", "account balance"),
        "fee": ("fee", "service fee"),
        "description": ("description", "remark", "reason"),
    },
    channel="mobile_money",
    country="ET",
    currency="ETB",
    institution="TELEBIRR",
    id_prefix="telebirr",
    signature=lambda h: (
        _has(h, "transaction no", "transaction number") and _has(h, "transaction time", "transaction type")
    ),
    counterparty=mpesa_counterparties,
    owner_key=_mpesa_owner,  # the Mobile Number line above the header, as for M-Pesa
    tz="Africa/Addis_Ababa",
    direction_words=(
        r"receiv|deposit|cash ?in|refund|incoming|credit|transfer from|salary|reversal",
        r"send|sent|transfer|pay|purchase|buy|withdraw|cash ?out|airtime|bill|outgoing|debit|fee|charge|levy|tax",
    ),
)
"""telebirr (Ethio Telecom) statements (ET); unsigned amounts take their direction from the transaction type."""

PROFILES: dict[str, Profile] = {p.name: p for p in (MPESA, MTN_MOMO, AIRTEL, TELEBIRR)}
"""The registered mobile-money profiles by format name."""


def read_mobile_money(
    path: str | Path, profile: Profile | str = MPESA, *, msisdn: str | None = None, **options: Any
) -> Frames:
    """Read a mobile-money statement with a provider profile.

    Parameters
    ----------
    path : str or Path
        CSV or Excel export.
    profile : Profile or str
        ``mpesa``, ``mtn_momo``, ``airtel_money``, ``telebirr`` or a custom :class:`Profile`.
    msisdn : str, optional
        The statement owner's phone number (same as ``account=``).
    **options
        As :func:`finintel.ingest.tabular.read_tabular` (``account=``, ``tz=``, ``dayfirst=``, ``country=``...).

    Returns
    -------
    Frames
        Canonical frames; ``report`` says which columns and metadata lines were used.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "mpesa.csv"
    >>> _ = p.write_text("Receipt No.,Completion Time,Details,Transaction Status,Paid In,Withdrawn,Balance\\n"
    ...                  "SFK1A2B3C4,2024-03-01 10:15:00,Customer Transfer to 0729914044 - JANE DOE,Completed,,-1500.00,500.00\\n")
    >>> tx = fi.read(p, msisdn="0712345678").transactions
    >>> tx.loc[0, ["tx_id", "sender", "receiver", "receiver_name", "amount"]].astype(str).tolist()
    ['mpesa:SFK1A2B3C4', 'msisdn:+254712345678', 'msisdn:+254729914044', 'JANE DOE', '1500.0']
    """
    prof = PROFILES[profile] if isinstance(profile, str) else profile
    if msisdn and not options.get("account"):
        options["account"] = msisdn
    return own_fees(read_tabular(path, profile=prof, **options))


def own_fees(frames: Frames) -> Frames:
    """Key the charges of a wallet statement to the wallet's own ``fee:<wallet key>`` (in place; returned).

    A charge's other side is the statement's wallet, so each wallet's charges stay on a node of its own
    and never link two customers.

    >>> import pandas as pd
    >>> fr = Frames(transactions=pd.DataFrame({"sender": ["msisdn:+254712345678"], "receiver": [OWN_FEE],
    ...                                         "channel": ["other"]}))
    >>> own_fees(fr).transactions["receiver"].tolist()
    ['fee:msisdn:+254712345678']
    """
    tx = frames.transactions
    if len(tx) == 0:
        return frames
    for side, other in (("receiver", "sender"), ("sender", "receiver")):
        mask = (tx[side] == OWN_FEE).to_numpy(dtype=bool, na_value=False)
        if mask.any():
            tx.loc[mask, side] = [fee_key(str(k)) for k in tx.loc[mask, other]]
            tx.loc[mask, "channel"] = "other"
    return frames


def _sniffer(profile: Profile) -> Any:
    def sniff(path: Path, head: bytes) -> bool | str:
        binary = b"\x00" in head[:4096] and not is_utf16_text(head)
        if not is_excel(head) and (head.startswith((b"PAR1", b"%PDF", b"<")) or binary):
            return "not a CSV or Excel statement"
        return sniff_header(path, head, profile)

    return sniff


def register_profile(profile: Profile, *, priority: int = 40, version: str = "1") -> None:
    """Register a reader named after `profile` that claims files whose header matches its signature.

    Parameters
    ----------
    profile : Profile
        Header aliases, country, currency, time zone and keying hooks of the provider.
    priority : int, default 40
        Sniffing order; below the generic tabular readers (90) so the provider's reader wins.
    version : str
        Reader version stored in the manifest.

    Examples
    --------
    >>> from finintel.ingest.tabular import Profile
    >>> wave = Profile("wave_money", {"id": ("transaction id",), "timestamp": ("date",), "amount": ("amount",),
    ...                               "counterparty_account": ("counterpart phone",)},
    ...                channel="mobile_money", country="UG", currency="UGX", id_prefix="wave",
    ...                signature=lambda headers: "counterpart phone" in headers)
    >>> register_profile(wave)  # doctest: +SKIP
    """

    def reader(path: Path, **options: Any) -> Frames:
        return read_mobile_money(path, profile, **options)

    reader.__doc__ = f"{profile.name} statement (CSV/Excel); see :func:`read_mobile_money`."
    register_reader(
        profile.name,
        sniff=_sniffer(profile),
        version=version,
        priority=priority,
        description=_DESCRIPTIONS.get(profile.name, f"{profile.name} statement (CSV/Excel)"),
    )(reader)


_DESCRIPTIONS = {
    "mpesa": "Safaricom M-Pesa statement (customer or organisation portal; CSV/XLS/XLSX)",
    "mtn_momo": "MTN MoMo transaction export (CSV/Excel)",
    "airtel_money": "Airtel Money statement (CSV/Excel)",
    "telebirr": "telebirr statement (CSV/Excel)",
}

for _p in PROFILES.values():
    register_profile(_p)
