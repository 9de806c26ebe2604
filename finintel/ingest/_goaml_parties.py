"""goAML persons, entities and accounts: their account keys and the parties/accounts rows.

Keys (the ``sender``/``receiver`` of a transaction)
---------------------------------------------------
* an account (``t_account``): ``iban:`` when it has a valid IBAN; a mobile-money wallet
  (a phone number held at M-Pesa, MTN, Airtel, telebirr, a ``non_bank_institution``)
  ``msisdn:+E164``; else ``acct:<SWIFT 8 | institution_code | institution_name>/<number>``
  (:func:`finintel.schema.keys.bank_account_key`);
* a person (``t_person``): ``msisdn:+E164`` of their first valid mobile phone, read in
  the report's country (``tph_country_prefix`` when given); else their party id;
* an entity (``t_entity``): its party id.

Party ids (``party_id`` of the parties frame)
---------------------------------------------
* ``party:id/<TYPE>/<NUMBER>`` for a person with a national ID (``ID``), ``SSN`` or
  passport (``PASSPORT-<country>``), first found in that order;
* ``party:reg/<COUNTRY>/<NUMBER>`` for an entity with an incorporation number;
* ``party:name/<NAME IN CAPITALS>`` (a person's ``/<birthdate>`` appended) otherwise.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from finintel.errors import InputError
from finintel.ingest._goaml_ids import IdSet
from finintel.ingest._goaml_xml import RowBuffer, element_text
from finintel.schema import frames as F
from finintel.schema import keys

__all__ = ["PartyBook", "Side", "country_code", "forget", "t"]

_MOBILE = re.compile(
    r"m-?pesa|safaricom|mtn|airtel|telebirr|ethio ?tel|momo|mobile money|wallet|d-money|waafi|evc", re.I
)


def q(path: str) -> str:
    return path  # goAML elements are read after strip_namespaces(): plain paths


_KIDS: dict[Any, dict[str, str | None]] = {}


def t(el: Any, path: str) -> str | None:
    """Stripped text at `path` below `el` (first match), None when absent or blank.

    The children's texts are read once per element and kept until :func:`forget`
    (lxml's ``findtext`` costs microseconds a call; a transaction needs ~80).
    """
    if el is None:
        return None
    if "/" in path:
        head, rest = path.split("/", 1)
        return t(el.find(head), rest)
    kids = _KIDS.get(el)
    if kids is None:
        kids = {}
        for c in el:
            tag = c.tag
            if isinstance(tag, str) and tag not in kids:
                txt = c.text
                kids[tag] = (txt.strip() or None) if txt else None
        _KIDS[el] = kids
    return kids.get(path)


def forget() -> None:
    """Drop the children's texts kept by :func:`t` (call after each transaction)."""
    _KIDS.clear()


@functools.lru_cache(maxsize=1 << 16)
def _msisdn(number: str, country: str) -> str | None:
    return keys.normalize_msisdn(number, country)


def country_code(text: str | None) -> str | None:
    """ISO 3166 alpha-2 from a goAML country: two letters kept, other forms mapped when possible.

    >>> country_code("ke"), country_code(None)
    ('KE', None)
    """
    if not text:
        return None
    s = text.strip()
    if re.fullmatch(r"[A-Za-z]{2}", s):
        return s.upper()
    try:  # optional: followthemoney knows alpha-3 codes and names (FRA, France)
        from followthemoney.types import registry

        got = registry.country.clean(s)
        return got.upper() if got and len(got) == 2 else None
    except ImportError:  # pragma: no cover - optional dependency
        return None


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


@dataclass
class Side:
    """One side of a transaction: the account key, name, country, and the party behind it."""

    key: str
    name: str | None
    country: str | None
    party_id: str | None
    kind: str
    wallet: bool = False
    """True when the key is a mobile-money wallet held as an account (not merely a person's phone)."""


@dataclass
class PartyBook:
    """Parties and accounts met in a report, each given once (first occurrence).

    Rows are handed out batch by batch (:meth:`parties_frame`, :meth:`accounts_frame`);
    only the ids met so far are kept for the whole file (compacted by :meth:`compact`).
    """

    country: str = "KE"
    party_ids: IdSet = field(default_factory=IdSet)
    account_ids: IdSet = field(default_factory=IdSet)
    """(account, party_id, role) already written."""
    party_rows: RowBuffer = field(default_factory=lambda: RowBuffer(_PARTY_SCHEMA))
    """Rows packed into Arrow as they come (a Python dict per party would cost ten times more)."""
    account_rows: RowBuffer = field(default_factory=lambda: RowBuffer(_ACCOUNT_SCHEMA))

    def parties_frame(self) -> pd.DataFrame:
        """The parties met since the last call, one row each, in the canonical column names and types.

        Their ids stay known, so a party met again in a later batch is not repeated.
        """
        if not len(self.party_rows):
            return F.empty(F.PARTIES)
        return F.from_arrow(self.party_rows.take(), F.PARTIES)

    def accounts_frame(self) -> pd.DataFrame:
        """The accounts met since the last call, one row per (account, holder or signatory, role)."""
        if not len(self.account_rows):
            return F.empty(F.ACCOUNTS)
        return F.from_arrow(self.account_rows.take(), F.ACCOUNTS)

    def compact(self) -> None:
        """Fold the ids met into 8 bytes each (between batches; see :class:`IdSet`)."""
        self.party_ids.compact()
        self.account_ids.compact()

    # ------------------------------------------------------------------ sides

    def side(self, kind: str, el: Any, line: int | None, role: str) -> Side:
        """Key, name and party of a ``*_account`` / ``*_person`` / ``*_entity`` element."""
        if kind == "account":
            return self.account(el, line, role)
        if kind == "person":
            pid, name, phone = self.person(el, line, role)
            if not pid:
                raise InputError("the person has no name, ID or phone", column=el.tag)
            if phone:
                self._account(f"msisdn:{phone}", pid, "holder", line, institution="mobile phone")
            return Side(f"msisdn:{phone}" if phone else pid, name, country_code(t(el, "residence")), pid, "person")
        pid, name = self.entity(el, line, role)
        if not pid:
            raise InputError("the entity has no name or incorporation number", column=el.tag)
        return Side(pid, name, country_code(t(el, "incorporation_country_code")), pid, "entity")

    def account(self, el: Any, line: int | None, role: str) -> Side:
        number, iban = t(el, "account"), t(el, "iban")
        swift, code, inst = t(el, "swift"), t(el, "institution_code"), t(el, "institution_name")
        if not number and not iban:
            raise InputError("the account has no account number or IBAN", column=str(el.tag))
        key = self._account_key(number, iban, swift, code, inst, t(el, "non_bank_institution"))
        holder, holder_name = None, None
        ent = el.find(q("t_entity"))
        if ent is not None:
            holder, holder_name = self.entity(ent, line, "account holder")
        signatories = [(s.find(q("t_person")), t(s, "role"), t(s, "is_primary")) for s in el.iterfind(q("signatory"))]
        signatories += [
            (s.find(q("t_person")), t(s, "role"), None)
            for s in el.iterfind(q("related_persons/account_related_person"))
        ]
        for person, prole, primary in signatories:
            pid, pname, _ = self.person(person, line, f"signatory {prole}" if prole else "signatory")
            if pid is None:
                continue
            if holder is None and primary in (None, "true", "1"):
                holder, holder_name = pid, pname
            if pid != holder:
                self._account(key, pid, prole or "signatory", line)
        name = t(el, "account_name") or holder_name
        country = (iban[:2].upper() if iban else None) or (swift[4:6].upper() if swift and len(swift) >= 6 else None)
        self._account(
            key,
            holder,
            "holder",
            line,
            institution=inst,
            institution_code=swift or code,
            account_name=t(el, "account_name"),
            currency=t(el, "currency_code"),
            country=country,
            opened=t(el, "opened"),
            closed=t(el, "closed"),
            attributes={
                k: v
                for k in (
                    "branch",
                    "client_number",
                    "personal_account_type",
                    "account_type",
                    "status_code",
                    "balance",
                    "beneficiary",
                )
                if (v := t(el, k))
            },
        )
        return Side(key, name, country, holder, "account", wallet=key.startswith("msisdn:"))

    def _account_key(
        self,
        number: str | None,
        iban: str | None,
        swift: str | None,
        code: str | None,
        inst: str | None,
        non_bank: str | None,
    ) -> str:
        if iban and keys.is_valid_iban(iban):
            return keys.iban_key(iban)
        assert number or iban
        number = number or iban or ""
        if (non_bank in ("true", "1") or _MOBILE.search(inst or "")) and (
            phone := keys.normalize_msisdn(number, self.country)
        ):
            return f"msisdn:{phone}"
        institution = swift[:8] if swift and len(swift) >= 8 else (swift or code or inst)
        return keys.bank_account_key(number, institution)

    # ------------------------------------------------------------------ parties

    def person(self, el: Any, line: int | None, role: str) -> tuple[str | None, str | None, str | None]:
        """Add a ``t_person`` to the parties; returns (party_id, name, E.164 phone)."""
        if el is None:
            return None, None, None
        first, middle, last = t(el, "first_name"), t(el, "middle_name"), t(el, "last_name")
        name = " ".join(p for p in (first, middle, last) if p) or None
        birth = _date(t(el, "birthdate"))
        ids: list[tuple[str, str, str | None]] = []
        for tag, typ in (("id_number", "ID"), ("ssn", "SSN")):
            if v := t(el, tag):
                ids.append((typ, v, None))
        if v := t(el, "passport_number"):
            ids.append(("PASSPORT", v, country_code(t(el, "passport_country"))))
        for ident in el.iterfind(q("identification")):
            if v := t(ident, "number"):
                ids.append((t(ident, "type") or "ID", v, country_code(t(ident, "issue_country"))))
        phones = self._phones(el)
        mobile = next((p for p, comm in phones if comm in (None, "M")), phones[0][0] if phones else None)
        if ids:
            typ, num, cc = ids[0]
            pid = f"party:id/{typ.upper()}{'-' + cc if cc and typ.upper() == 'PASSPORT' else ''}/{num.strip().upper()}"
        elif name:
            pid = f"party:name/{_norm(name)}" + (f"/{birth.isoformat()}" if birth else "")
        elif mobile:
            pid = f"party:phone/{mobile}"
        else:
            return None, None, None
        if pid not in self.party_ids:
            self.party_ids.add(pid)
            self.party_rows.append(
                _pack(
                    PARTY_COLUMNS,
                    {
                        "party_id": pid,
                        "kind": "person",
                        "name": name,
                        "first_name": first,
                        "last_name": last,
                        "birth_date": birth,
                        "id_number": ids[0][1] if ids else None,
                        "id_type": ids[0][0] if ids else None,
                        "phone": mobile,
                        "email": next(iter(self._emails(el)), None),
                        "address": self._address(el),
                        "country": country_code(t(el, "residence")),
                        "nationality": country_code(t(el, "nationality1")),
                        "attributes": json.dumps(
                            {
                                "role": role,
                                "ids": [list(i) for i in ids],
                                "phones": [p for p, _ in phones],
                                "emails": self._emails(el),
                                **{
                                    k: v
                                    for k in (
                                        "middle_name",
                                        "gender",
                                        "title",
                                        "alias",
                                        "birth_place",
                                        "occupation",
                                        "employer_name",
                                        "nationality2",
                                        "tax_number",
                                    )
                                    if (v := t(el, k))
                                },
                            },
                            ensure_ascii=False,
                        ),
                        "source_row": line,
                    },
                )
            )
        return pid, name, mobile

    def entity(self, el: Any, line: int | None, role: str) -> tuple[str | None, str | None]:
        """Add a ``t_entity`` (and its directors) to the parties; returns (party_id, name)."""
        name, number = t(el, "name"), t(el, "incorporation_number")
        cc = country_code(t(el, "incorporation_country_code"))
        if number:
            pid = f"party:reg/{cc or 'XX'}/{number.strip().upper()}"
        elif name:
            pid = f"party:name/{_norm(name)}"
        else:
            return None, None
        if pid not in self.party_ids:
            self.party_ids.add(pid)
            phones = self._phones(el)
            self.party_rows.append(
                _pack(
                    PARTY_COLUMNS,
                    {
                        "party_id": pid,
                        "kind": "organisation",
                        "name": name,
                        "id_number": number,
                        "id_type": "incorporation_number" if number else None,
                        "phone": phones[0][0] if phones else None,
                        "email": next(iter(self._emails(el)), None),
                        "address": self._address(el),
                        "country": cc,
                        "attributes": json.dumps(
                            {
                                "role": role,
                                **{
                                    k: v
                                    for k in (
                                        "commercial_name",
                                        "incorporation_legal_form",
                                        "business",
                                        "incorporation_date",
                                        "incorporation_state",
                                        "tax_number",
                                        "url",
                                    )
                                    if (v := t(el, k))
                                },
                            },
                            ensure_ascii=False,
                        ),
                        "source_row": line,
                    },
                )
            )
            for d in el.iterfind(q("director_id")):
                self.person(d, line, f"director of {pid} ({t(d, 'role') or 'role not given'})")
            for rp in el.iterfind(q("related_persons/entity_related_person")):
                self.person(rp.find(q("person")), line, f"related to {pid} ({t(rp, 'role') or 'role not given'})")
        return pid, name

    def _phones(self, el: Any) -> list[tuple[str, str | None]]:
        out = []
        for ph in el.iterfind(q("phones/phone")):
            number, prefix = t(ph, "tph_number"), t(ph, "tph_country_prefix")
            if not number:
                continue
            digits = re.sub(r"\D", "", prefix or "")
            e164 = _msisdn(f"+{digits}{number.lstrip('0')}" if digits else number, self.country)
            if e164:
                out.append((e164, t(ph, "tph_communication_type")))
        return out

    @staticmethod
    def _emails(el: Any) -> list[str]:
        return [e for e in (element_text(x) for x in el.iterfind(q("email"))) if e]

    @staticmethod
    def _address(el: Any) -> str | None:
        a = el.find(q("addresses/address"))
        if a is None:
            return None
        parts = [t(a, k) for k in ("address", "town", "city", "zip", "state", "country_code")]
        return ", ".join(p for p in parts if p) or None

    def _account(self, key: str, party_id: str | None, role: str, line: int | None, **cols: Any) -> None:
        k = (key, party_id, role)
        if k in self.account_ids:
            return
        self.account_ids.add(k)
        for c in ("opened", "closed"):
            if c in cols:
                cols[c] = _timestamp(cols[c])
        attrs = cols.pop("attributes", None)
        self.account_rows.append(
            _pack(
                ACCOUNT_COLUMNS,
                {
                    "account": key,
                    "party_id": party_id,
                    "role": role,
                    "source_row": line,
                    "attributes": json.dumps(attrs, ensure_ascii=False) if attrs else None,
                    **cols,
                },
            )
        )


PARTY_COLUMNS = (
    "party_id",
    "kind",
    "name",
    "first_name",
    "last_name",
    "birth_date",
    "id_number",
    "id_type",
    "phone",
    "email",
    "address",
    "country",
    "nationality",
    "attributes",
    "source_row",
)
ACCOUNT_COLUMNS = (
    "account",
    "party_id",
    "role",
    "institution",
    "institution_code",
    "account_name",
    "currency",
    "country",
    "opened",
    "closed",
    "attributes",
    "source_row",
)
_PARTY_SCHEMA: pa.Schema = pa.schema([F.PARTIES.schema.field(c) for c in PARTY_COLUMNS])
_ACCOUNT_SCHEMA: pa.Schema = pa.schema([F.ACCOUNTS.schema.field(c) for c in ACCOUNT_COLUMNS])


def _timestamp(text: str | None) -> datetime | None:
    """An ISO date-time as UTC (naive taken as UTC), None when it cannot be read."""
    if not text:
        return None
    try:
        d = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (d if d.tzinfo else d.replace(tzinfo=UTC)).astimezone(UTC)


def _pack(columns: tuple[str, ...], row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row.get(c) for c in columns)


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().upper()
