"""``generate()``: a seeded, multi-rail synthetic ledger with planted, labelled typologies."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from finintel.errors import ConfigError
from finintel.schema import frames as F
from finintel.synth import _regional, _typologies
from finintel.synth._background import background
from finintel.synth._ids import make_ids
from finintel.synth._plant import TRUTH_COLUMNS, Planter, Typology
from finintel.synth._population import DECIMALS, Population, build_population

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
SOURCE_FORMAT = "finintel.synth"


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
    names = list(TYPOLOGIES) if typologies == "all" else list(typologies)
    unknown = [t for t in names if t not in TYPOLOGIES]
    if unknown:
        raise ConfigError(f"unknown typology {unknown[0]!r}; known: {', '.join(TYPOLOGIES)}")
    bad = [c for c in countries if c not in ("KE", "UG", "ET", "DJ")]
    if bad or not countries:
        raise ConfigError(f"countries must be among KE, UG, ET, DJ, got {list(countries)}")
    if days < 1 or n_transactions < 1:
        raise ConfigError("n_transactions and days must be positive")
    t0 = pd.Timestamp(start).tz_localize(None).normalize()
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
    table, id_map = _assemble(pop, bg, planter.rows, rng_ids, seed)
    del bg
    tx = F.from_arrow(table, F.TRANSACTIONS)
    del table  # keep one copy of the rows alive at a time (10M rows)
    tx = F.validate_transactions(tx)
    truth = _truth(planter.truth, id_map)
    parties, accounts, entities = _kyc(pop, t0, np.random.default_rng(seeds[0].spawn(1)[0]))
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


def _assemble(
    pop: Population, bg: pd.DataFrame, rows: list[dict[str, Any]], rng: np.random.Generator, seed: int
) -> tuple[pa.Table, dict[str, str]]:
    """Background and planted rows as one time-sorted Arrow table with final ids.

    Everything is carried as integer positions (into the account table and into the
    categories of the low-cardinality columns) until after the sort, so each string
    column is materialised exactly once.
    """
    cols = [
        "tx_id",
        "timestamp",
        "sender",
        "receiver",
        "sender_name",
        "receiver_name",
        "amount",
        "currency",
        "channel",
        "status",
        "sender_country",
        "receiver_country",
        "description",
    ]
    pl = pd.DataFrame(rows, columns=cols)
    acc = pop.all_accounts()[["account", "name", "country", "kind"]]
    known = pd.Index(acc["account"])
    for side in ("sender", "receiver"):  # cash points planted without an account row (bank branches)
        new = pl.loc[known.get_indexer(pl[side]) < 0, [side, f"{side}_name", f"{side}_country"]].drop_duplicates(side)
        new.columns = ["account", "name", "country"]
        acc = pd.concat([acc, new.assign(kind="cash")], ignore_index=True)
        known = pd.Index(acc["account"])
    on_chain = acc["kind"].isin(["trx", "eth"]).to_numpy()
    keys = pa.array(acc["account"].to_numpy(dtype=object), pa.string())
    names = pa.array(acc["name"].where(~on_chain, None).to_numpy(dtype=object), pa.string())
    ctry = pa.array(acc["country"].to_numpy(dtype=object), pa.string())
    is_wallet = acc["account"].str.startswith("msisdn:").to_numpy(dtype=bool)

    snd = np.concatenate([bg["sender"].to_numpy(np.int64), known.get_indexer(pl["sender"])])
    rcv = np.concatenate([bg["receiver"].to_numpy(np.int64), known.get_indexer(pl["receiver"])])
    ts = np.concatenate(
        [bg["ts"].to_numpy(np.int64), np.array([t.value // 1000 for t in pl["timestamp"]], dtype=np.int64)]
    )
    amount = np.concatenate([bg["amount"].to_numpy(float), pl["amount"].to_numpy(float)])
    codes, cats = {}, {}
    for col in ("currency", "channel", "status", "description"):
        cats[col] = sorted(set(bg[col].cat.categories) | set(pl[col]))
        codes[col] = np.concatenate(
            [
                bg[col].cat.set_categories(cats[col]).cat.codes.to_numpy(np.int32),
                pd.Categorical(pl[col], categories=cats[col]).codes.astype(np.int32),
            ]
        )
    provisional = np.concatenate([np.full(len(bg), "", dtype=object), pl["tx_id"].to_numpy(dtype=object)])
    order = np.argsort(ts, kind="stable")
    snd, rcv, ts, amount, provisional = snd[order], rcv[order], ts[order], amount[order], provisional[order]
    codes = {k: v[order] for k, v in codes.items()}

    def decode(col: str) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(codes[col]), pa.array(cats[col], pa.string())).cast(pa.string())

    text = {col: np.array(cats[col], dtype=object)[codes[col]] for col in ("channel", "currency")}
    tx_id = make_ids(rng, text["channel"], text["currency"], ts, is_wallet[snd] | is_wallet[rcv])
    planted_pos = np.flatnonzero(provisional != "")
    id_map = dict(zip(provisional[planted_pos], tx_id.take(pa.array(planted_pos)).to_pylist(), strict=True))
    s_idx, r_idx = pa.array(snd), pa.array(rcv)
    amounts = pa.array(amount, pa.float64())
    currency = decode("currency")
    n = len(order)
    out = {
        "tx_id": tx_id,
        "timestamp": pa.array(ts, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        "sender": keys.take(s_idx),
        "receiver": keys.take(r_idx),
        "sender_name": names.take(s_idx),
        "receiver_name": names.take(r_idx),
        "amount": amounts,
        "amount_exact": _exact(amounts, currency),
        "currency": currency,
        "channel": decode("channel"),
        "status": decode("status"),
        "sender_country": ctry.take(s_idx),
        "receiver_country": ctry.take(r_idx),
        "description": decode("description"),
        "attributes": pa.nulls(n, pa.string()),
        "source_format": pa.array(np.full(n, SOURCE_FORMAT, dtype=object), pa.string()),
        "source_file": pa.array(np.full(n, f"synth:seed={seed}", dtype=object), pa.string()),
        "source_sha256": pa.nulls(n, pa.string()),
        "source_row": pa.array(np.arange(1, n + 1, dtype=np.int64)),
    }
    return pa.table(out), id_map


def _exact(amount: pa.Array, currency: pa.Array) -> pa.Array:
    """Exact decimals of amounts already rounded to their currency's decimals."""
    result = pa.nulls(len(amount), F.DECIMAL)
    for scale in sorted(set(DECIMALS.values())):
        curs = [c for c, s in DECIMALS.items() if s == scale]
        mask = pc.is_in(currency, pa.array(curs))
        if not pc.any(mask).as_py():
            continue
        dec = pc.cast(pc.cast(amount, pa.decimal128(38, scale), safe=False), F.DECIMAL)
        result = pc.if_else(mask, dec, result)
    other = pc.is_null(result)
    if pc.any(other).as_py():
        result = pc.if_else(other, pc.cast(pc.cast(amount, pa.decimal128(38, 2), safe=False), F.DECIMAL), result)
    return result


def _truth(rows: list[dict[str, Any]], id_map: dict[str, str]) -> pd.DataFrame:
    truth = pd.DataFrame(rows, columns=list(TRUTH_COLUMNS))
    truth["tx_ids"] = [[id_map[t] for t in ids] for ids in truth["tx_ids"]]
    for col in ("start", "end"):
        truth[col] = pd.to_datetime(truth[col], utc=True).astype("datetime64[us, UTC]")
    return truth


def _kyc(
    pop: Population, t0: pd.Timestamp, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    parties = pop.all_parties()
    accounts = pop.all_accounts()
    org = pd.DataFrame({"party_id": accounts["party_id"], "name": accounts["name"], "country": accounts["country"]})
    org = org[~org["party_id"].isin(parties["party_id"])].drop_duplicates("party_id")
    people = pd.DataFrame(
        {
            "party_id": parties["party_id"],
            "kind": "person",
            "name": parties["name"],
            "first_name": parties["first_name"],
            "last_name": parties["last_name"],
            "birth_date": pd.to_datetime(parties["birth_date"]),
            "id_number": parties["id_number"],
            "id_type": parties["id_type"],
            "phone": parties["phone"],
            "email": parties["email"],
            "country": parties["country"],
            "nationality": parties["nationality"],
            "attributes": _json_of(parties["middle_name"], "middle_name"),
        }
    )
    orgs = org.assign(kind="organisation")
    out_parties = pd.concat([people, orgs], ignore_index=True)
    out_parties["source_format"] = SOURCE_FORMAT
    opened = t0 - pd.to_timedelta(rng.integers(30, 365 * 8, len(accounts)), unit="D")
    out_accounts = pd.DataFrame(
        {
            "account": accounts["account"],
            "party_id": accounts["party_id"],
            "role": "holder",
            "institution": accounts["institution"],
            "account_name": accounts["name"],
            "currency": accounts["currency"],
            "country": accounts["country"],
            "opened": opened.tz_localize("UTC"),
            "attributes": _json_of(accounts["kind"], "kind"),
            "source_format": SOURCE_FORMAT,
        }
    )
    entities = pd.concat(
        [
            parties[["party_id", "person"]],
            accounts.loc[~accounts["party_id"].isin(parties["party_id"]), ["party_id", "person"]].drop_duplicates(
                "party_id"
            ),
        ],
        ignore_index=True,
    )
    return F.validate_parties(out_parties), F.validate_accounts(out_accounts), entities


def _json_of(values: pd.Series, key: str) -> pd.Series:
    """``{"<key>": value}`` as JSON text per row, encoding each distinct value once."""
    codes, uniques = pd.factorize(values)
    texts = np.array([json.dumps({key: u}) for u in uniques] + [None], dtype=object)
    return pd.Series(texts[codes], index=values.index)
