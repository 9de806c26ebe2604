"""Who is on the other side of each statement row: the holder's key and counterparty keys and names.

Private helper of :mod:`finintel.ingest.tabular`: a mixin of the statement builder in
:mod:`finintel.ingest._tabular_read`. Counterparties come, in this order, from the
profile's own parser (M-Pesa details), a narrative that starts as a bank charge, tax or
interest (``fee:<own account>``), a counterparty-account column, a bank and account
number in the narrative, a phone/IBAN/crypto address in the narrative, a charge named
later in the narrative, cash words (the named cash point, else ``cash:unknown/<own
account>``), a counterparty name that looks like a name, and last one
``acct:UNKNOWN/UNIDENTIFIED-<sha8>`` placeholder per file, which the builder splits into a
payer and a payee node (see :mod:`._tabular_charges`).
``attributes["counterparty_key_from"]`` says which rule gave each row's key: ``provider``,
``charge``, ``account column``, ``narrative account``, ``narrative id``, ``cash point``,
``name`` or ``unidentified``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from finintel.errors import InputError
from finintel.schema.keys import bank_account_key, fee_key, guess_key

from . import _tabular_parse as P
from ._tabular_charges import cash_points, fee_rows, is_real_name
from ._tabular_profile import BANK_IN_TEXT, Counterparties, Profile, bank_institution, meta_value

__all__ = ["PartiesMixin"]

_NULL = pa.scalar(None, pa.string())
_ID_IN_TEXT = r"(?P<id>\+?\b\d[\d ]{7,14}\d\b|\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b|\b0x[0-9a-fA-F]{40}\b|\bT[1-9A-HJ-NP-Za-km-z]{33}\b)"


class PartiesMixin:
    """Holder and counterparty keys; the builder provides the columns and the reject bookkeeping."""

    profile: Profile
    sha: str
    owner: str
    """Key of the statement's own account: set by the builder before :meth:`_counterparties` runs."""
    n: int
    cells: list[pa.Array]
    roles: dict[str, int]

    def col(self, role: str) -> pa.Array | None:
        raise NotImplementedError

    def fail(self, mask: np.ndarray, role: str | None, problem: str | np.ndarray) -> None:
        raise NotImplementedError

    def _owner(self, account: str | None, meta: Mapping[str, str]) -> tuple[str, str]:
        prof = self.profile
        if prof.institution == "UNKNOWN":  # the statement names its bank: use it for the holder's key
            inst = meta_value(meta, "institution") or meta.get("bank code")
            if inst:
                prof = self.profile = replace(prof, institution=inst)
        if account:
            return prof.account_key(account), "account= option"
        if prof.owner_key is not None:
            got = prof.owner_key(meta, prof)
            if got:
                return got
        number = meta_value(meta, "account")
        if number:
            if prof.channel == "mobile_money":
                return prof.account_key(number), "statement header"
            return bank_account_key(number, prof.institution), "statement header"
        return (
            f"acct:UNKNOWN/{self.sha[:8]}",
            "derived from the file's SHA-256: the statement names no account; pass account=",
        )

    def _counterparties(self) -> Counterparties:
        prof, n = self.profile, self.n
        found = prof.counterparty(self._role_cols(), prof) if prof.counterparty else None
        key = found.key if found is not None else pa.nulls(n, pa.string())
        name = found.name if found is not None else pa.nulls(n, pa.string())
        attrs = dict(found.attributes) if found is not None else {}
        how = pc.if_else(pc.is_valid(key), pa.scalar("provider"), _NULL)
        country = prof.country or "KE"
        fee = pa.scalar(fee_key(self.owner))

        def take(new: pa.Array, label: str) -> None:
            nonlocal key, how
            how = pc.if_else(pc.and_(pc.is_null(key), pc.is_valid(new)), pa.scalar(label), how)
            key = pc.coalesce(key, new)

        def fee_where(mask: np.ndarray) -> pa.Array:
            return pc.if_else(pa.array(mask), fee, _NULL)

        desc, cname, acct = self.col("description"), self.col("counterparty"), self.col("counterparty_account")
        cname = None if cname is None else pc.if_else(pc.equal(cname, ""), _NULL, cname)
        no = np.zeros(n, dtype=bool)
        fee_start = (fee_rows(desc, anywhere=False) if desc is not None else no) | (
            fee_rows(cname) if cname is not None else no
        )
        take(fee_where(fee_start), "charge")
        if acct is not None:
            if prof.channel == "mobile_money":
                k = P.map_distinct(acct, lambda v: guess_key(v, country) or _bank_key(v, prof.institution))
            else:
                k = P.map_distinct(acct, lambda v: _crypto_or_iban(v) or _bank_key(v, "UNKNOWN"))
            take(k, "account column")
        if cname is not None:
            name = pc.coalesce(name, cname)
        if desc is not None:
            got = P.per_distinct(desc, lambda d: _narrative(d, country))
            take(got["bank"], "narrative account")
            charge = pc.starts_with(pc.fill_null(key, ""), "fee:")
            name = pc.coalesce(name, pc.if_else(charge, _NULL, got["name"]))  # not the payee of a charged transfer
            take(got["id"], "narrative id")
            take(fee_where(fee_rows(desc)), "charge")
            cash = cash_points(desc, institution=prof.institution, account=self.owner)
            take(cash["key"], "cash point")
            named_cash = pc.starts_with(pc.fill_null(key, ""), "cash:")
            name = pc.coalesce(name, pc.if_else(named_cash, cash["name"], _NULL))
            by = pc.if_else(named_cash, cash["by"], _NULL)
            if by.null_count < n:
                attrs["cash_by"] = by
        by_name = P.map_distinct(name, lambda v: f"acct:UNKNOWN/{_name_id(v)}" if is_real_name(v) else None)
        take(by_name, "name")
        take(pa.nulls(n, pa.string()).fill_null(self.unidentified), "unidentified")
        attrs["counterparty_key_from"] = how
        is_fee = pc.starts_with(key, "fee:")
        channel = pc.if_else(is_fee, pa.scalar("other"), _NULL)
        if found is not None and found.channel is not None:
            channel = pc.coalesce(found.channel, channel)
        return Counterparties(key, name, attrs, channel, found.country if found else None)

    @property
    def unidentified(self) -> str:
        """Placeholder key of counterparties nothing identifies; see :meth:`unidentified_keys`."""
        return f"acct:UNKNOWN/UNIDENTIFIED-{self.sha[:8]}"

    def unidentified_keys(self, key: pa.Array, inflow: pa.Array) -> pa.Array:
        """Unidentified payers and payees of one statement as two nodes, ``-PAYER`` and ``-PAYEE``.

        One node for both would return money to the holder that never came back (an unknown
        salary payer and an unknown shop would close a cycle through it).
        """
        ph = self.unidentified
        split = pc.if_else(inflow, pa.scalar(ph + "-PAYER"), pa.scalar(ph + "-PAYEE"))
        return pc.if_else(pc.fill_null(pc.equal(key, ph), False), split, key)

    def _role_cols(self) -> dict[str, pa.Array]:
        return {r: self.cells[i] for r, i in self.roles.items()}

    def _explicit_parties(self) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
        country = self.profile.country or "KE"
        out = []
        for role in ("sender", "receiver"):
            c = self.col(role)
            assert c is not None
            bare = pc.replace_substring_regex(c, r"(?i)^(fri|id):|/(msisdn|mm|user)$", "")
            bare = pc.if_else(pc.equal(bare, ""), _NULL, bare)
            phone = P.phone_keys(bare, country)  # numbers: once per number range, not per row
            rest = pc.if_else(pc.is_null(phone), bare, _NULL)
            key = pc.coalesce(phone, P.map_distinct(rest, lambda v: _party_key(v, country, self.profile.institution)))
            self.fail(P._mask(pc.is_null(key)), role, f"missing {role} account")
            out.append(key)
        names = []
        for role in ("sender_name", "receiver_name"):
            c = self.col(role)
            names.append(pa.nulls(self.n, pa.string()) if c is None else pc.if_else(pc.equal(c, ""), _NULL, c))
        return out[0], out[1], names[0], names[1]


def _narrative(desc: pa.Array, country: str) -> dict[str, pa.Array]:
    """Keys read from narratives: a bank and account number (and the name before it), a phone/IBAN/crypto id."""
    named = pc.extract_regex(desc, BANK_IN_TEXT)
    bank_key = P.map_distinct(
        pc.binary_join_element_wise(pc.struct_field(named, "bank"), pc.struct_field(named, "acct"), "\x1f"),
        lambda v: _bank_key(v.split("\x1f")[1], bank_institution(v.split("\x1f")[0])),
    )
    ids = P.phone_keys(pc.struct_field(pc.extract_regex(desc, _ID_IN_TEXT), "id"), country)
    return {"bank": bank_key, "name": pc.struct_field(named, "name"), "id": ids}


def _name_id(name: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", str(name).upper()).strip("-")[:80]


def _bank_key(text: str, institution: str) -> str | None:
    try:
        return bank_account_key(text, institution)
    except InputError:
        return None


def _crypto_or_iban(text: str) -> str | None:
    key = guess_key(text)
    return key if key and not key.startswith(("msisdn:", "masked:")) else None


def _party_key(text: str, country: str, institution: str) -> str | None:
    t = re.sub(r"^(?i:fri|id):", "", str(text).strip())
    t = re.sub(r"/(?i:msisdn|mm|user)$", "", t)
    if not t:
        return None
    return guess_key(t, country) or _bank_key(t, institution)
