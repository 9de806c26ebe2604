"""Synthetic people, organisations and the accounts they hold, with KYC details.

Everything here is invented: names are drawn from short lists of common given and
family names per country, phone numbers from the mobile ranges of KE/UG/ET/DJ,
national IDs and account numbers from random digits. A share of people hold
several accounts across rails (wallet, bank, Tron, Ethereum, exchange), and some
are registered twice under a name variant, sharing a phone or ID number, so that
entity resolution has something to find.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from finintel.synth._codes import (
    IBAN_SHAPE,
    PHONE,
    bank_key,
    birth,
    iban,
    national_id,
    phone,
    tron_address,
    unique_phones,
)
from finintel.synth._names import BANKS, COUNTRY_CURRENCY, EXCHANGES, WALLETS
from finintel.synth._names import FAMILY as _FAMILY
from finintel.synth._names import GIVEN as _GIVEN
from finintel.synth._names import MIDDLE as _MIDDLE
from finintel.synth._organisations import organisations

__all__ = ["COUNTRY_CURRENCY", "PER_KES", "Population", "build_population", "iban", "tron_address"]

PER_KES = {
    "KES": 1.0,
    "UGX": 28.7,
    "ETB": 0.93,
    "DJF": 1.37,
    "USD": 1 / 129.0,
    "USDT-TRC20": 1 / 129.0,
    "ETH": 1 / 390_000.0,
}
"""Units of each currency per Kenyan shilling (rounded, in line with finintel.profiles fx_to_local)."""
DECIMALS = {"KES": 2, "UGX": 0, "ETB": 2, "DJF": 0, "USD": 2, "USDT-TRC20": 6, "ETH": 8}


@dataclass
class Population:
    """People and organisations (``parties``) and their accounts, as two frames plus lookups.

    ``accounts`` columns: ``account`` (key), ``party_id``, ``person`` (the true
    identity behind the party, for entity-resolution ground truth), ``kind``
    (wallet, bank, trx, eth, exch, paybill, agent, employer, foreign, hot),
    ``country``, ``currency``, ``institution``, ``name`` (display name).
    """

    parties: pd.DataFrame
    accounts: pd.DataFrame
    extra_parties: list[dict[str, Any]] = field(default_factory=list)
    extra_accounts: list[dict[str, Any]] = field(default_factory=list)
    _counter: int = 0
    _used: set[str] = field(default_factory=set)
    _pools: dict[tuple[str, str | None], np.ndarray] = field(default_factory=dict)
    _codes: np.ndarray | None = None

    def pool(self, kind: str, country: str | None = None) -> np.ndarray:
        """Row positions in ``accounts`` of background accounts of one kind (and country); cached."""
        key = (kind, country)
        if key not in self._pools:
            a = self.accounts
            mask = a["kind"].to_numpy() == kind
            if country is not None:
                mask &= a["country"].to_numpy() == country
            self._pools[key] = np.flatnonzero(mask)
        return self._pools[key]

    @property
    def person_codes(self) -> np.ndarray:
        """The true person behind each background account, as an integer code."""
        if self._codes is None:
            self._codes = pd.factorize(self.accounts["person"])[0]
        return self._codes

    def add_person(
        self, rng: np.random.Generator, country: str, *, role: str = "", name: tuple[str, str, str] | None = None
    ) -> dict[str, Any]:
        """A new person kept out of the background (used by the planted typologies)."""
        self._counter += 1
        cc = country if country in _GIVEN else "KE"
        first, middle, last = name or (
            str(rng.choice(_GIVEN[cc])),
            str(rng.choice(_MIDDLE[cc])),
            str(rng.choice(_FAMILY[cc])),
        )
        pid = f"P-X{self._counter:05d}"
        person = {
            "party_id": pid,
            "person": pid,
            "kind": "person",
            "first_name": first,
            "middle_name": middle,
            "last_name": last,
            "name": f"{first} {middle} {last}".upper(),
            "birth_date": birth(rng),
            "id_number": national_id(rng, cc),
            "id_type": "national_id" if country in _GIVEN else "passport",
            "phone": phone(rng, cc) if country in _GIVEN else None,
            "email": f"{first}.{last}{int(rng.integers(1, 99))}@example.com".lower(),
            "country": country,
            "nationality": cc,
            "role": role,
        }
        self.extra_parties.append(person)
        return person

    def add_account(
        self,
        person: dict[str, Any],
        kind: str,
        rng: np.random.Generator,
        *,
        country: str | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """A new account of `kind` held by `person` (wallet uses the person's phone)."""
        country = country or person["country"]
        currency = COUNTRY_CURRENCY.get(country, "USD")
        institution = None
        if kind == "wallet":
            key = f"msisdn:{person['phone']}"
            institution = WALLETS.get(country)
        elif kind == "bank":
            institution = str(rng.choice(BANKS.get(country, BANKS["KE"])))
            key = bank_key(institution, "".join(str(d) for d in rng.integers(0, 10, 13)))
        elif kind == "foreign":
            key = (
                f"iban:{iban(country, rng)}"
                if country in IBAN_SHAPE
                else f"acct:{country}-BANK/{rng.integers(10**9, 10**10)}"
            )
            institution = f"{country} bank"
            currency = "USD"
        elif kind == "trx":
            key, currency, institution = f"trx:{tron_address(rng)}", "USDT-TRC20", "TRON"
        elif kind == "eth":
            key, currency, institution = f"eth:0x{rng.bytes(20).hex()}", "ETH", "Ethereum"
        elif kind == "agent":
            key, institution = f"cash:agent-till-{rng.integers(100000, 999999)}", WALLETS.get(country)
        else:
            raise ValueError(f"unknown account kind {kind!r}")
        if not self._used:
            self._used = set(self.accounts["account"])
        if key in self._used:  # a random clash with an existing account: draw again
            if kind == "wallet":
                person["phone"] = phone(rng, country if country in PHONE else "KE")
            return self.add_account(person, kind, rng, country=country, name=name)
        self._used.add(key)
        acct = {
            "account": key,
            "party_id": person["party_id"],
            "person": person["person"],
            "kind": kind,
            "country": country,
            "currency": currency,
            "institution": institution,
            "name": name or person["name"],
        }
        self.extra_accounts.append(acct)
        return acct

    def all_parties(self) -> pd.DataFrame:
        if not self.extra_parties:
            return self.parties.copy()
        return pd.concat(
            [self.parties, pd.DataFrame(self.extra_parties, columns=self.parties.columns)], ignore_index=True
        )

    def all_accounts(self) -> pd.DataFrame:
        if not self.extra_accounts:
            return self.accounts.copy()
        return pd.concat(
            [self.accounts, pd.DataFrame(self.extra_accounts, columns=self.accounts.columns)], ignore_index=True
        )


def build_population(rng: np.random.Generator, n_people: int, countries: tuple[str, ...]) -> Population:
    """Background people, organisations and accounts for `countries` (vectorised)."""
    served = [c for c in countries if c in _GIVEN] or ["KE"]
    country = np.array(served)[rng.integers(0, len(served), n_people)]
    first, middle, last = (np.empty(n_people, dtype=object) for _ in range(3))
    for cc in served:
        m = country == cc
        k = int(m.sum())
        first[m] = np.array(_GIVEN[cc], dtype=object)[rng.integers(0, len(_GIVEN[cc]), k)]
        middle[m] = np.array(_MIDDLE[cc], dtype=object)[rng.integers(0, len(_MIDDLE[cc]), k)]
        last[m] = np.array(_FAMILY[cc], dtype=object)[rng.integers(0, len(_FAMILY[cc]), k)]
    dup = np.flatnonzero(rng.random(n_people) < 0.04)
    phones = unique_phones(rng, np.concatenate([country, country[dup]]))
    phone, alt_phone = phones[:n_people], phones[n_people:]
    nid = np.array([f"{v:08d}" for v in rng.choice(90_000_000, n_people, replace=False) + 10_000_000], dtype=object)
    pid = np.array([f"P{i:07d}" for i in range(n_people)], dtype=object)
    full = (pd.Series(first) + " " + pd.Series(middle) + " " + pd.Series(last)).str.upper().to_numpy(dtype=object)
    people = pd.DataFrame(
        {
            "party_id": pid,
            "person": pid,
            "kind": "person",
            "first_name": first,
            "middle_name": middle,
            "last_name": last,
            "name": full,
            "birth_date": pd.Timestamp("1960-01-01") + pd.to_timedelta(rng.integers(0, 365 * 45, n_people), unit="D"),
            "id_number": nid,
            "id_type": "national_id",
            "phone": phone,
            "email": (
                pd.Series(first).str.lower()
                + "."
                + pd.Series(last).str.lower()
                + rng.integers(1, 999, n_people).astype(str)
                + "@example.com"
            ).to_numpy(),
            "country": country,
            "nationality": country,
            "role": "",
        }
    )
    # duplicate KYC records: the same person registered again with a name variant, same ID or same phone
    twins = people.iloc[dup].copy()
    twins["party_id"] = [f"P{i:07d}D" for i in dup]
    variant = rng.integers(0, 3, len(dup))
    f, m_, la = twins["first_name"].str.upper(), twins["middle_name"].str.upper(), twins["last_name"].str.upper()
    twins["name"] = np.where(
        variant == 0, f + " " + m_.str[0] + ". " + la, np.where(variant == 1, la + " " + f + " " + m_, f + " " + la)
    )
    share_phone = rng.random(len(dup)) < 0.5
    twins.loc[~share_phone, "phone"] = alt_phone[~share_phone]
    twins.loc[share_phone, "id_number"] = [f"A{v:07d}" for v in rng.integers(0, 10**7, int(share_phone.sum()))]
    twins["id_type"] = np.where(share_phone, "passport", "national_id")
    parties = pd.concat([people, twins], ignore_index=True)
    accounts = _background_accounts(rng, parties, n_people, served)
    return Population(parties=parties, accounts=accounts)


def _background_accounts(
    rng: np.random.Generator, parties: pd.DataFrame, n_people: int, served: list[str]
) -> pd.DataFrame:
    frames = []
    p = parties
    cur = p["country"].map(COUNTRY_CURRENCY).to_numpy()
    wallets = pd.DataFrame(
        {
            "account": "msisdn:" + p["phone"],
            "party_id": p["party_id"],
            "person": p["person"],
            "kind": "wallet",
            "country": p["country"],
            "currency": cur,
            "institution": p["country"].map(WALLETS),
            "name": p["name"],
        }
    )
    frames.append(wallets.drop_duplicates("account"))  # a shared phone is one wallet, registered to the first holder
    banked = rng.random(len(p)) < 0.35
    inst = np.empty(len(p), dtype=object)
    for cc in served:
        m = p["country"].to_numpy() == cc
        inst[m] = np.array(BANKS[cc], dtype=object)[rng.integers(0, len(BANKS[cc]), int(m.sum()))]
    numbers = rng.integers(10**12, 10**13, len(p)).astype(str)
    bank_names = (
        p["last_name"].str.upper() + " " + p["first_name"].str.upper() + " " + p["middle_name"].str.upper()
    ).to_numpy()
    bank = pd.DataFrame(
        {
            "account": [bank_key(i, n) for i, n in zip(inst[banked], numbers[banked], strict=True)],
            "party_id": p["party_id"].to_numpy()[banked],
            "person": p["person"].to_numpy()[banked],
            "kind": "bank",
            "country": p["country"].to_numpy()[banked],
            "currency": cur[banked],
            "institution": inst[banked],
            "name": bank_names[banked],
        }
    )
    frames.append(bank)
    for kind, share, currency, inst_name in (("trx", 0.04, "USDT-TRC20", "TRON"), ("eth", 0.015, "ETH", "Ethereum")):
        sel = np.sort(rng.choice(n_people, max(int(share * n_people), 8), replace=False))
        keys = (
            [f"trx:{tron_address(rng)}" for _ in sel]
            if kind == "trx"
            else ["eth:0x" + rng.bytes(20).hex() for _ in sel]
        )
        frames.append(
            pd.DataFrame(
                {
                    "account": keys,
                    "party_id": p["party_id"].to_numpy()[sel],
                    "person": p["person"].to_numpy()[sel],
                    "kind": kind,
                    "country": p["country"].to_numpy()[sel],
                    "currency": currency,
                    "institution": inst_name,
                    "name": p["name"].to_numpy()[sel],
                }
            )
        )
        if kind == "trx":  # most people holding USDT also have an account at an exchange
            users = sel[rng.random(len(sel)) < 0.7]
            exchange = np.array(EXCHANGES, dtype=object)[rng.integers(0, len(EXCHANGES), len(users))]
            uids = rng.choice(9 * 10**8, len(users), replace=False) + 10**8
            frames.append(
                pd.DataFrame(
                    {
                        "account": [f"exch:{e}/{u}" for e, u in zip(exchange, uids, strict=True)],
                        "party_id": p["party_id"].to_numpy()[users],
                        "person": p["person"].to_numpy()[users],
                        "kind": "exch",
                        "country": p["country"].to_numpy()[users],
                        "currency": currency,
                        "institution": exchange,
                        "name": p["name"].to_numpy()[users],
                    }
                )
            )
    frames.append(organisations(rng, n_people, served))
    out = pd.concat(frames, ignore_index=True)
    return out.drop_duplicates("account", ignore_index=True)
