"""``generate()``: a seeded, multi-rail synthetic ledger with planted, labelled typologies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from finintel.errors import ConfigError
from finintel.schema import frames as F
from finintel.synth import _regional, _typologies
from finintel.synth._assemble import assemble
from finintel.synth._background import background
from finintel.synth._kyc import kyc
from finintel.synth._plant import TRUTH_COLUMNS, Planter, Typology
from finintel.synth._population import build_population

__all__ = ["SLOW_TYPOLOGIES", "TYPOLOGIES", "Ledger", "generate"]

TYPOLOGIES: dict[str, Typology] = {
    "structuring": _typologies.structuring,
    "wallet_limit_splitting": _typologies.wallet_limit_splitting,
    "fan_in": _typologies.fan_in,
    "fan_out": _typologies.fan_out,
    "scatter_gather": _typologies.scatter_gather,
    "gather_scatter": _typologies.gather_scatter,
    "cycle": _typologies.cycle,
    "rapid_pass_through": _typologies.rapid_pass_through,
    "layering_chain": _typologies.layering_chain,
    "recruitment_funnel": _regional.recruitment_funnel,
    "ransom_corridor": _regional.ransom_corridor,
    "crypto_offramp": _regional.crypto_offramp,
    "dormant_burst": _regional.dormant_burst,
    "out_of_hours": _regional.out_of_hours,
}
"""Typology names and their planters."""
SLOW_TYPOLOGIES = ("fan_in", "fan_out", "scatter_gather", "gather_scatter", "cycle", "layering_chain")
"""Typologies also planted in a slow form (legs spread over weeks, ``slow=True`` in the truth)."""


@dataclass
class Ledger:
    """A synthetic case: transactions, KYC and the ground truth of what was planted.

    Attributes
    ----------
    transactions, parties, accounts : pandas.DataFrame
        Canonical frames (:mod:`finintel.schema.frames`).
    truth : pandas.DataFrame
        One row per planted case, columns ``TRUTH_COLUMNS``: ``typology``, ``slow``,
        ``entity`` (the focal account), ``accounts`` and ``tx_ids`` (lists), ``roles``
        (JSON ``{account: role}``), ``start``/``end`` (UTC), ``params`` (JSON).
    entities : pandas.DataFrame
        ``party_id -> person``: which party records are the same real person
        (ground truth for entity resolution).
    """

    transactions: pd.DataFrame
    parties: pd.DataFrame
    accounts: pd.DataFrame
    truth: pd.DataFrame
    entities: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)

    def to_exports(self, folder: str | Path, **options: Any) -> pd.DataFrame:
        """Write the ledger as realistic export files; see :func:`finintel.synth.write_exports`."""
        from finintel.synth._exports import write_exports

        return write_exports(self, folder, **options)

    def planted(self) -> pd.DataFrame:
        """The planted transactions (those named in ``truth``), in ledger order.

        Examples
        --------
        >>> led = generate(1_000, seed=3, typologies=["fan_in"], slow=False)
        >>> hub = led.truth.at[0, "entity"]
        >>> bool((led.planted()["receiver"] == hub).all()), len(led.planted()) == int(led.truth.at[0, "n_transactions"])
        (True, True)
        """
        ids = set(x for ids in self.truth["tx_ids"] for x in ids)
        return self.transactions[self.transactions["tx_id"].isin(ids)]


def generate(
    n_transactions: int = 10_000,
    *,
    seed: int = 0,
    start: str = "2024-01-01",
    days: int = 90,
    countries: Sequence[str] = ("KE", "UG", "ET", "DJ"),
    typologies: Literal["all"] | Sequence[str] = "all",
    slow: bool = True,
) -> Ledger:
    """Generate a synthetic multi-rail ledger with planted, labelled typologies.

    Background activity (wallet transfers, agent cash-in/out, bills, salaries, bank
    transfers, remittances, USDT-TRC20 and ETH transfers) is drawn with numpy; the
    typologies of :data:`TYPOLOGIES` are planted on top, sized by the home country's
    profile (KE when served): structuring just below ``reporting_threshold``, wallet
    splitting near ``mm_tx_cap``. The same arguments give the same frames, byte for byte.

    Parameters
    ----------
    n_transactions : int, default 10_000
        Rows in all, planted ones included (1,000 to 10,000,000; see benchmarks/synth.py for time and memory).
    seed : int, default 0
        Seed of every random draw.
    start : str, default "2024-01-01"
        First local (East Africa Time) day of the period.
    days : int, default 90
        Length of the period.
    countries : sequence of str, default ("KE", "UG", "ET", "DJ")
        Countries whose people, wallets and banks make the background.
    typologies : "all" or list of str, default "all"
        Which typologies to plant (names of :data:`TYPOLOGIES`); ``[]`` plants none.
    slow : bool, default True
        Also plant the slow variants of :data:`SLOW_TYPOLOGIES`.

    Returns
    -------
    Ledger
        With ``transactions``, ``parties``, ``accounts``, ``truth`` and ``entities``.

    Raises
    ------
    ConfigError
        For an unknown typology or country, or too few transactions to hold the planted ones.

    Examples
    --------
    >>> led = generate(2_000, seed=1)
    >>> len(led.transactions), led.transactions["tx_id"].is_unique
    (2000, True)
    >>> sorted(led.truth["typology"].unique())[:3]
    ['crypto_offramp', 'cycle', 'dormant_burst']
    """
    if isinstance(typologies, str):
        names = list(TYPOLOGIES) if typologies == "all" else [typologies]
    else:
        names = list(typologies)
    unknown = [t for t in names if t not in TYPOLOGIES]
    if unknown:
        raise ConfigError(f"unknown typology {unknown[0]!r}; known: {', '.join(TYPOLOGIES)}")
    bad = [c for c in countries if c not in ("KE", "UG", "ET", "DJ")]
    if bad or not countries:
        raise ConfigError(f"countries must be among KE, UG, ET, DJ, got {list(countries)}")
    if days < 1 or n_transactions < 1:
        raise ConfigError("n_transactions and days must be positive")
    try:
        t0 = pd.Timestamp(start).tz_localize(None).normalize()
    except (ValueError, TypeError) as err:
        raise ConfigError(f"start must be a date like '2024-01-01', got {start!r}") from err
    seeds = np.random.SeedSequence(seed).spawn(4)
    rng_pop, rng_bg, rng_plant, rng_ids = (np.random.default_rng(s) for s in seeds)
    pop = build_population(rng_pop, max(300, n_transactions // 15), tuple(countries))
    planter = Planter(rng_plant, pop, t0, days, tuple(countries))
    _plant_all(planter, names, n_transactions, slow)
    n_bg = n_transactions - len(planter.rows)
    if n_bg < 0:
        raise ConfigError(
            f"{len(planter.rows)} planted transactions do not fit in n_transactions={n_transactions}; "
            "ask for more transactions or fewer typologies"
        )
    bg = background(rng_bg, pop, n_bg, t0, days)
    table, id_map = assemble(pop, bg, planter.rows, rng_ids, seed)
    del bg
    tx = F.from_arrow(table, F.TRANSACTIONS)
    del table  # keep one copy of the rows alive at a time (10M rows)
    tx = F.validate_transactions(tx)
    truth = _truth(planter.truth, id_map)
    parties, accounts, entities = kyc(pop, t0, np.random.default_rng(seeds[0].spawn(1)[0]))
    params = {
        "n_transactions": n_transactions,
        "seed": seed,
        "start": str(t0.date()),
        "days": days,
        "countries": list(countries),
        "typologies": names,
        "slow": slow,
    }
    return Ledger(tx, parties, accounts, truth, entities, params)


def _plant_all(p: Planter, names: list[str], n: int, slow: bool) -> None:
    reps = max(1, int(np.log10(max(n, 1) / 1_000)))
    for name in names:
        plant = TYPOLOGIES[name]
        for _ in range(reps):
            if name == "cycle":
                for length in range(2, 7):
                    _typologies.cycle(p, False, length)
            else:
                plant(p, False)
        if slow and name in SLOW_TYPOLOGIES:
            plant(p, True)


def _truth(rows: list[dict[str, Any]], id_map: dict[str, str]) -> pd.DataFrame:
    truth = pd.DataFrame(rows, columns=list(TRUTH_COLUMNS))
    truth["tx_ids"] = [[id_map[t] for t in ids] for ids in truth["tx_ids"]]
    for col in ("start", "end"):
        truth[col] = pd.to_datetime(truth[col], utc=True).astype("datetime64[us, UTC]")
    return truth
