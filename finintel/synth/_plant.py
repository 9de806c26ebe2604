"""The planting bench: what every typology uses to add labelled transactions and their ground truth.

A typology function receives a :class:`Planter` and adds transactions with
:meth:`Planter.tx` (local East Africa time in, UTC stored) between accounts it
takes from the background (:meth:`Planter.background_accounts`) or creates
(:meth:`Planter.new_account`), then records one ground-truth case with
:meth:`Planter.case`. Transaction ids are provisional (``planted-000001``) until
the generator gives every row its final, format-native id.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from finintel.profiles import get_profile
from finintel.synth._background import HOURLY
from finintel.synth._population import COUNTRY_CURRENCY, DECIMALS, PER_KES, Population

__all__ = ["TRUTH_COLUMNS", "Planter", "Typology"]

TRUTH_COLUMNS = (
    "case_id",
    "typology",
    "slow",
    "entity",
    "accounts",
    "roles",
    "tx_ids",
    "start",
    "end",
    "currency",
    "total_amount",
    "n_transactions",
    "params",
    "description",
)
"""Columns of the ground-truth frame (``Ledger.truth``)."""

Account = dict[str, Any]


@dataclass
class Planter:
    """State shared by the typology functions while planting one ledger."""

    rng: np.random.Generator
    pop: Population
    start: pd.Timestamp  # local midnight of the first day (naive, East Africa Time)
    days: int
    countries: tuple[str, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)
    truth: list[dict[str, Any]] = field(default_factory=list)
    _taken: set[int] = field(default_factory=set)

    @property
    def home(self) -> str:
        """Country whose profile sets thresholds and caps: KE when served, else the first country."""
        return "KE" if "KE" in self.countries else next((c for c in self.countries if c in COUNTRY_CURRENCY), "KE")

    def profile(self, country: str | None = None) -> dict[str, Any]:
        return get_profile(country or self.home)

    def new_account(
        self,
        kind: str,
        country: str | None = None,
        *,
        role: str = "",
        person: dict[str, Any] | None = None,
        name: tuple[str, str, str] | None = None,
    ) -> Account:
        """A fresh account (and, unless `person` is given, a fresh holder) kept out of the background."""
        country = country or self.home
        holder = person or self.pop.add_person(self.rng, country if kind != "foreign" else "KE", role=role, name=name)
        if kind == "foreign" and person is None:
            holder["country"] = country
        return self.pop.add_account(holder, kind, self.rng, country=country)

    def background_accounts(self, kind: str, country: str | None, k: int) -> list[Account]:
        """`k` distinct ordinary accounts of `kind` (not used by another planted case as a member)."""
        pool = self.pop.pool(kind, country)
        pool = pool[~np.isin(pool, list(self._taken))]
        if len(pool) < k:
            return [self.new_account(kind, country) for _ in range(k)]
        pick = self.rng.choice(pool, k, replace=False)
        self._taken.update(int(i) for i in pick)
        cols = ["account", "party_id", "person", "kind", "country", "currency", "institution", "name"]
        return [dict(zip(cols, row, strict=True)) for row in self.pop.accounts.iloc[pick][cols].itertuples(index=False)]

    def window(self, span_days: float) -> pd.Timestamp:
        """A random local start time leaving `span_days` before the end of the period."""
        latest = max(self.days - span_days - 1, 0.0)
        day = float(self.rng.uniform(0, latest)) if latest > 0 else 0.0
        return self.start + pd.Timedelta(days=int(day)) + pd.Timedelta(hours=float(self.rng.uniform(8, 12)))

    def split(self, amount: float, country: str | None = None) -> list[float]:
        """`amount` in whole-unit parts each under the wallet cap of `country` (the home country by default).

        Examples
        --------
        >>> from finintel.synth._population import build_population
        >>> rng = np.random.default_rng(0)
        >>> p = Planter(rng, build_population(rng, 300, ("KE",)), pd.Timestamp("2024-01-01"), 30, ("KE",))
        >>> p.split(600_000), p.split(1_000)
        ([200000.0, 200000.0, 200000.0], [1000.0])
        """
        limit = self.profile(country)["mm_tx_cap"]
        if not limit or amount <= 0.98 * limit:
            return [float(round(amount))]
        n = int(np.ceil(amount / (0.98 * limit)))
        part = float(round(amount / n))
        return [part] * (n - 1) + [float(round(amount - part * (n - 1)))]

    def hours(self, span_days: float, k: int) -> list[float]:
        """`k` sorted offsets in hours from a local midnight, over ``int(span_days)`` days, busy by day, quiet at night."""
        days = self.rng.integers(0, max(int(span_days), 1), k)
        hour = self.rng.choice(24, k, p=HOURLY / HOURLY.sum()) + self.rng.uniform(0, 1, k)
        return sorted(float(h) for h in days * 24 + hour)

    def tx(
        self,
        when: pd.Timestamp,
        sender: Account,
        receiver: Account,
        amount: float,
        *,
        channel: str,
        currency: str | None = None,
        description: str = "",
        status: str = "completed",
    ) -> str:
        """Add one transaction at local time `when`; returns its provisional id."""
        currency = currency or sender["currency"]
        tx_id = f"planted-{len(self.rows) + 1:06d}"
        self.rows.append(
            {
                "tx_id": tx_id,
                "timestamp": when.floor("s").tz_localize("Africa/Nairobi").tz_convert("UTC"),
                "sender": sender["account"],
                "receiver": receiver["account"],
                "sender_name": sender["name"],
                "receiver_name": receiver["name"],
                "amount": round(float(amount), DECIMALS.get(currency, 2)),
                "currency": currency,
                "channel": channel,
                "status": status,
                "sender_country": sender["country"],
                "receiver_country": receiver["country"],
                "description": description,
            }
        )
        return tx_id

    def case(
        self,
        typology: str,
        tx_ids: list[str],
        roles: dict[str, str],
        entity: str,
        *,
        slow: bool = False,
        params: dict[str, Any] | None = None,
        description: str = "",
    ) -> None:
        """Record one planted case; window, currency and total are computed from its transactions."""
        rows = [r for r in self.rows if r["tx_id"] in set(tx_ids)]
        ts = [r["timestamp"] for r in rows]
        currencies = sorted({r["currency"] for r in rows})
        self.truth.append(
            {
                "case_id": f"C{len(self.truth) + 1:03d}",
                "typology": typology,
                "slow": slow,
                "entity": entity,
                "accounts": list(roles),
                "roles": json.dumps(roles, sort_keys=True),
                "tx_ids": list(tx_ids),
                "start": min(ts),
                "end": max(ts),
                "currency": "/".join(currencies),
                "total_amount": float(sum(r["amount"] for r in rows)) if len(currencies) == 1 else float("nan"),
                "n_transactions": len(rows),
                "params": json.dumps(params or {}, sort_keys=True, default=str),
                "description": description,
            }
        )

    def amount(self, median: float, sigma: float = 0.6, *, cap: bool = True) -> float:
        """A log-normal amount in whole units of the home currency (`median` in KES), under the home wallet cap."""
        median *= PER_KES[COUNTRY_CURRENCY[self.home]]
        value = float(max(round(self.rng.lognormal(np.log(median), sigma)), 1))
        limit = self.profile()["mm_tx_cap"]
        return float(min(value, round(0.98 * limit))) if cap and limit else value


Typology = Callable[[Planter, bool], None]
"""A typology planter: ``plant(planter, slow)`` adds one instance."""
