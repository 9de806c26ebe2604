"""Statement profiles: which header names mean which role, and how a provider's rows are keyed.

Private helper of :mod:`finintel.ingest.tabular`. A :class:`Profile` is plain data
plus two optional hooks (counterparty parsing, owner key), so a new bank or wallet
export is a few lines: aliases for its headers and, if needed, a parser for its
narrative.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from finintel.schema.keys import bank_account_key, guess_key

from ._tabular_sheet import normalise_header
from ._tabular_words import (
    BANK_ALIASES,
    BANK_CANONICAL,
    BANK_IN_TEXT,
    BANK_NAMES,
    META_KEYS,
    STATUS_WORDS,
    bank_institution,
)

__all__ = [
    "BANK_ALIASES",
    "BANK_IN_TEXT",
    "BANK_CANONICAL",
    "BANK_NAMES",
    "bank_institution",
    "META_KEYS",
    "STATUS_WORDS",
    "Counterparties",
    "Profile",
    "find_header",
    "parse_meta",
    "resolve_roles",
]


@dataclass
class Counterparties:
    """What a profile's counterparty parser found, one entry per body row (null where nothing)."""

    key: pa.Array
    name: pa.Array
    attributes: dict[str, pa.Array] = field(default_factory=dict)
    channel: pa.Array | None = None
    """Channel per row where the narrative says more than the profile (remittances), else null."""
    country: pa.Array | None = None
    """Counterparty country (ISO alpha-2) where the narrative states it, else null."""


CounterpartyParser = Callable[[Mapping[str, pa.Array], "Profile"], Counterparties | None]
OwnerKey = Callable[[Mapping[str, str], "Profile"], tuple[str, str] | None]


@dataclass(frozen=True)
class Profile:
    """How to read one family of statement exports.

    Parameters
    ----------
    name : str
        Format name (``source_format``) and the prefix of generated ``tx_id`` values.
    aliases : mapping
        Role -> normalised header names (see :data:`BANK_ALIASES` for the roles).
    channel : str
        Channel of every row (``bank``, ``mobile_money``...).
    country : str, optional
        Country for local phone numbers (``KE``, ``UG``, ``ET``, ``DJ``).
    currency : str, optional
        Currency when the file states none.
    institution : str
        Institution part of ``acct:`` keys made from account numbers.
    id_prefix : str, optional
        When set and the ``id`` role is found, ``tx_id`` is ``<id_prefix>:<id>`` (source-native ids).
    signature : callable, optional
        ``signature(normalised headers) -> bool``: True when a header row is this provider's.
    counterparty : callable, optional
        Parses counterparty keys and names from the role columns (narratives, "Other Party Info").
    owner_key : callable, optional
        ``owner_key(metadata, profile) -> (key, how)`` for the statement's own account.
    dayfirst : bool
        Date order when the data cannot tell (no field above 12). East African exports write day first.
    tz : str
        Zone of times written without an offset.
    cash_channel : str
        Channel of rows whose counterparty is a ``cash:`` key (agent cash-in/out, ATM, branch): ``cash``,
        so that placement and cash-out typologies see them; the wallet leg is still the statement's account.
    direction_words : (str, str), optional
        Regexes telling money in from money out by the transaction type, for exports whose amounts are unsigned.
    """

    name: str
    aliases: Mapping[str, tuple[str, ...]]
    channel: str = "bank"
    country: str | None = None
    currency: str | None = None
    institution: str = "UNKNOWN"
    id_prefix: str | None = None
    signature: Callable[[set[str]], bool] | None = None
    counterparty: CounterpartyParser | None = None
    owner_key: OwnerKey | None = None
    dayfirst: bool = True
    tz: str = "Africa/Nairobi"
    cash_channel: str = "cash"
    direction_words: tuple[str, str] | None = None
    """``(in_regex, out_regex)`` matched against the ``type`` (else ``description``) column when amounts carry no sign."""

    def account_key(self, number: str) -> str:
        """Key of an account number given by the user or the statement header."""
        text = str(number).strip()
        if ":" in text and guess_key(text) == text:
            return text
        if self.channel == "mobile_money":
            key = guess_key(text, self.country or "KE")
            if key and key.split(":", 1)[0] in ("msisdn", "masked"):
                return key
            if re.fullmatch(r"\d{5,7}", text):
                return f"paybill:{text}"  # an organisation short code (paybill or till)
        return bank_account_key(text, self.institution)


# --------------------------------------------------------------------------- header and roles


def resolve_roles(
    header: Sequence[str], aliases: Mapping[str, tuple[str, ...]], mapping: Mapping[str, str] | None = None
) -> dict[str, int]:
    """Role -> column index, from an explicit `mapping` (role -> header) first, then from the aliases.

    >>> resolve_roles(["Txn Date", "Narrative", "Withdrawals", "Deposits"], BANK_ALIASES)
    {'timestamp': 0, 'description': 1, 'debit': 2, 'credit': 3}
    >>> resolve_roles(["Txn Date", "Narrative", "Withdrawals"], BANK_ALIASES, {"timestamp": "Txn Date"})["timestamp"]
    0
    """
    norm = [normalise_header(h) for h in header]
    roles: dict[str, int] = {}
    taken: set[int] = set()
    for role, name in (mapping or {}).items():
        want = normalise_header(name)
        hits = [i for i, h in enumerate(header) if h.strip() == str(name).strip()] or [
            i for i, h in enumerate(norm) if h == want
        ]
        if hits:
            roles[role] = hits[0]
            taken.add(hits[0])
    lookup: dict[str, str] = {}
    for role, names in aliases.items():
        for n in names:
            lookup.setdefault(n, role)
    for i, h in enumerate(norm):
        hit = lookup.get(h)
        if hit and hit not in roles and i not in taken:
            roles[hit] = i
            taken.add(i)
    if "timestamp" not in roles and "value_date" in roles:
        roles["timestamp"] = roles.pop("value_date")
    return roles


def has_required(roles: Mapping[str, int]) -> bool:
    """A header is a statement header when it has a date and an amount (or debit/credit) column."""
    return "timestamp" in roles and bool({"amount", "debit", "credit"} & set(roles))


def find_header(
    rows: Sequence[Sequence[str]], aliases: Mapping[str, tuple[str, ...]], mapping: Mapping[str, str] | None = None
) -> int | None:
    """Index of the header row among `rows`: the first row with the most roles that has the required ones."""
    best, best_score = None, 0
    for i, row in enumerate(rows):
        cells = [str(c) for c in row]
        if sum(1 for c in cells if c.strip()) < 2:
            continue
        if mapping and not all(
            any(normalise_header(c) == normalise_header(v) for c in cells) for v in mapping.values()
        ):
            continue
        roles = resolve_roles(cells, aliases, mapping)
        if not has_required(roles):
            continue
        if len(roles) > best_score:
            best, best_score = i, len(roles)
    return best


# --------------------------------------------------------------------------- metadata above the header

_KV = re.compile(r"^\s*([^:]{0,60}?)\s*:\s*(.+?)\s*$")


def parse_meta(rows: Sequence[Sequence[str]]) -> dict[str, str]:
    """``Key : Value`` pairs from the rows above the header, keyed by normalised key, first one wins.

    A cell ``Account Number : 0808`` and a pair of cells ``Account Number | 0808`` both count.

    >>> parse_meta([["Bank code : 1001", "Account Number : 0808 8804"], ["Account Name : Jane", ": EUR"], ["Customer Name", "JOHN"]])
    {'bank code': '1001', 'account number': '0808 8804', 'account name': 'Jane', '': 'EUR', 'customer name': 'JOHN'}
    """
    out: dict[str, str] = {}
    for row in rows:
        cells = [str(c).strip() for c in row]
        for j, cell in enumerate(cells):
            m = _KV.match(cell)
            if m and not re.fullmatch(r"\d{1,2}", m.group(1)):  # not a time like 10:30
                out.setdefault(normalise_header(m.group(1)), m.group(2))
                continue
            key = normalise_header(cell.rstrip(":"))
            nxt = next((c for c in cells[j + 1 : j + 2] if c), "")
            if (
                key
                and nxt
                and re.search(r"[a-z]", key)
                and not _KV.match(nxt)
                and (key in _ALL_META or cell.endswith(":"))
            ):
                out.setdefault(key, nxt)
    return out


_ALL_META = {k for names in META_KEYS.values() for k in names if k}


def meta_value(meta: Mapping[str, str], what: str) -> str | None:
    """The first metadata value for `what` (a key of :data:`META_KEYS`)."""
    for k in META_KEYS[what]:
        v = meta.get(k)
        if v and v.strip():
            return v.strip()
    return None


def describe_expected(aliases: Mapping[str, tuple[str, ...]]) -> str:
    shown = {r: aliases[r][:6] for r in ("timestamp", "amount", "debit", "credit") if r in aliases}
    return "; ".join(f"{r}: {', '.join(repr(a) for a in names)}" for r, names in shown.items())


def unused(header: Sequence[str], roles: Mapping[str, int]) -> list[tuple[str, int]]:
    """Header names not mapped to a role (they go to the attributes)."""
    used = set(roles.values())
    return [(h, i) for i, h in enumerate(header) if i not in used and h.strip()]


def jsonable_meta(meta: Mapping[str, str]) -> dict[str, Any]:
    return {k or "(no label)": v for k, v in meta.items()}
