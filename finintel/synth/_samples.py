"""The bundled sample case (``data/samples``): exports, ground truth, a crypto tag list and a watch list.

:func:`make_samples` is what ``python scripts/make_samples.py`` runs; the same seed
writes the same bytes. The watch list and tag list are made from the generated ledger
so that some of their entries hit it (with a name variant, as real lists do) and others
do not.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finintel.synth._codes import tron_address
from finintel.synth._exports import write_exports
from finintel.synth._generate import Ledger, generate

__all__ = ["SAMPLE_ARGS", "make_samples", "sample_ledger"]

SAMPLE_ARGS: dict[str, Any] = {"n_transactions": 4_000, "seed": 2024, "start": "2024-01-01", "days": 90}
"""Arguments of :func:`~finintel.synth.generate` for the bundled sample case."""
WATCHLIST_COLUMNS = (
    "id",
    "schema",
    "name",
    "aliases",
    "birth_date",
    "countries",
    "addresses",
    "identifiers",
    "sanctions",
    "phones",
    "emails",
    "dataset",
    "first_seen",
    "last_seen",
    "last_change",
)
TAG_COLUMNS = ("address", "chain", "tag", "category", "source")


def sample_ledger() -> Ledger:
    """The ledger behind the bundled sample case, regenerated from :data:`SAMPLE_ARGS`.

    Examples
    --------
    >>> led = sample_ledger()
    >>> len(led.transactions), led.params["seed"]
    (4000, 2024)
    """
    return generate(**SAMPLE_ARGS)


def make_samples(folder: str | Path) -> pd.DataFrame:
    """Write the sample case into `folder`: ``exports/``, ``exports.csv``, ``truth.csv``, ``tags.csv``, ``watchlist.csv``.

    Parameters
    ----------
    folder : str or Path
        Where to write; ``exports/`` inside it is emptied first. Other files are left alone.

    Returns
    -------
    pandas.DataFrame
        The manifest of :func:`~finintel.synth.write_exports` (``file, format, account, rows, tx_ids``).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     written = make_samples(d)
    ...     names = sorted(p.name for p in Path(d).iterdir())
    >>> names
    ['exports', 'exports.csv', 'tags.csv', 'truth.csv', 'watchlist.csv']
    """
    root = Path(folder)
    led = sample_ledger()
    exports = root / "exports"
    if exports.exists():
        for old in exports.iterdir():
            old.unlink()
    sel = _selection(led)
    written = write_exports(
        led, exports, wallets=sel["wallets"], bank_accounts=sel["bank_accounts"], eth=sel["eth"], tron=sel["tron"]
    )
    manifest = written.assign(tx_ids=written["tx_ids"].map(" ".join))
    manifest.to_csv(root / "exports.csv", index=False, lineterminator="\n")
    _truth_csv(led, written, root / "truth.csv")
    _tags_csv(led, root / "tags.csv")
    _watchlist_csv(led, root / "watchlist.csv")
    return written


def _roles(led: Ledger, typology: str, role: str, *, slow: bool = False) -> list[str]:
    rows = led.truth[(led.truth["typology"] == typology) & (led.truth["slow"] == slow)]
    return [a for r in rows["roles"] for a, x in json.loads(r).items() if x == role]


def _selection(led: Ledger) -> dict[str, list[str]]:
    """A compact set of statements that still shows every typology's focal account at least once."""
    tx = led.transactions
    counts = pd.concat([tx["sender"], tx["receiver"]]).astype(str).value_counts()
    planted = {a for accts in led.truth["accounts"] for a in accts}
    busiest = [k for k in counts.index if k not in planted]

    def ordinary(prefix: str, k: int = 1) -> list[str]:
        return [key for key in busiest if key.startswith(prefix)][:k]

    salaried = tx.loc[
        tx["description"].str.startswith("SALARY")
        & tx["receiver"].str.startswith("acct:")
        & (tx["receiver_country"] == "KE"),
        "receiver",
    ]
    wallets = (
        _roles(led, "recruitment_funnel", "recruiter")
        + _roles(led, "rapid_pass_through", "mule")
        + _roles(led, "crypto_offramp", "customer")
        + _roles(led, "wallet_limit_splitting", "splitter")
        + _roles(led, "fan_in", "hub")
        + ordinary("msisdn:+254", 4)
    )
    banks = (
        _roles(led, "structuring", "structurer")
        + _roles(led, "recruitment_funnel", "recruiter_bank")
        + _roles(led, "layering_chain", "origin")
        + [str(salaried.value_counts().index[0])]
        + ordinary("acct:", 2)
    )
    tron = _roles(led, "crypto_offramp", "customer_crypto") + _roles(led, "crypto_offramp", "p2p_trader_crypto")
    return {"wallets": wallets, "bank_accounts": banks, "eth": ordinary("eth:"), "tron": tron}


def _truth_csv(led: Ledger, written: pd.DataFrame, path: Path) -> None:
    where: dict[str, list[str]] = {}
    for row in written.itertuples():
        for t in row.tx_ids:
            where.setdefault(t, []).append(str(row.file))
    truth = led.truth.copy()
    truth["in_files"] = [" ".join(sorted({f for t in ids for f in where.get(t, [])})) for ids in truth["tx_ids"]]
    truth["accounts"] = truth["accounts"].map(" ".join)
    truth["tx_ids"] = truth["tx_ids"].map(" ".join)
    for col in ("start", "end"):
        truth[col] = truth[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    truth.to_csv(path, index=False, lineterminator="\n")


def _tags_csv(led: Ledger, path: Path) -> None:
    rng = np.random.default_rng(SAMPLE_ARGS["seed"] + 1)
    acc, tx = led.accounts, led.transactions
    rows: list[dict[str, str]] = []
    for key in _roles(led, "crypto_offramp", "p2p_trader_crypto"):
        rows.append(
            {
                "address": key[4:],
                "chain": "tron",
                "tag": "P2P OTC trader, unlicensed (synthetic)",
                "category": "high-risk exchange",
            }
        )
    for r in acc.itertuples():
        if json.loads(str(r.attributes)).get("kind") == "hot":
            rows.append(
                {
                    "address": r.account[4:],
                    "chain": "tron",
                    "tag": f"{str(r.institution).title()}-like exchange hot wallet (synthetic)",
                    "category": "exchange",
                }
            )
    eth = tx[tx["currency"] == "ETH"]
    focus = _selection(led)["eth"][0]  # tag a counterparty of the exported Ethereum address
    peers = pd.concat([eth.loc[eth["receiver"] == focus, "sender"], eth.loc[eth["sender"] == focus, "receiver"]])
    peer = str(peers.value_counts().index[0])
    rows.append(
        {"address": peer[4:], "chain": "ethereum", "tag": "Mixer deposit pool (synthetic)", "category": "mixer"}
    )
    usdt = tx[(tx["currency"] == "USDT-TRC20") & ~tx["sender"].isin([f"trx:{x['address']}" for x in rows])]
    rows.append(
        {
            "address": usdt["sender"].value_counts().index[0][4:],
            "chain": "tron",
            "tag": "Sanctioned OTC broker (synthetic)",
            "category": "sanctioned",
        }
    )
    for category, tag in (
        ("scam", "Investment scam collection (synthetic)"),
        ("ransomware", "Ransomware payout (synthetic)"),
    ):
        rows.append({"address": tron_address(rng), "chain": "tron", "tag": tag, "category": category})
    rows.append(
        {
            "address": "0x" + rng.bytes(20).hex(),
            "chain": "ethereum",
            "tag": "Darknet market (synthetic)",
            "category": "darknet market",
        }
    )
    tags = pd.DataFrame(rows, columns=list(TAG_COLUMNS))
    tags["source"] = "finintel synthetic tag list"
    tags.to_csv(path, index=False, lineterminator="\n")


def _watchlist_csv(led: Ledger, path: Path) -> None:
    rng = np.random.default_rng(SAMPLE_ARGS["seed"] + 2)
    parties = led.parties.set_index("party_id")
    rows: list[dict[str, str]] = []

    def person_entry(pid: str, n: int, name_order: str, reason: str) -> None:
        p = parties.loc[pid]
        middle = json.loads(str(p["attributes"])).get("middle_name", "")
        first, last = str(p["first_name"]), str(p["last_name"])
        name = {"last_first": f"{last} {first} {middle}", "initial": f"{first} {middle[:1]}. {last}"}[name_order]
        rows.append(
            {
                "id": f"fi-synth-{n:04d}",
                "schema": "Person",
                "name": name,
                "aliases": ";".join([f"{first} {last}", f"{first[:1]}. {middle} {last}".upper()]),
                "birth_date": str(p["birth_date"]),
                "countries": str(p["country"]).lower(),
                "addresses": "",
                "identifiers": str(p["id_number"]),
                "sanctions": reason,
                "phones": str(p["phone"] or ""),
                "emails": "",
                "dataset": "finintel_synthetic_watchlist",
            }
        )

    recruiter = json.loads(led.truth.loc[led.truth["typology"] == "recruitment_funnel", "params"].iloc[0])[
        "recruiter_party"
    ]
    person_entry(recruiter, 1, "last_first", "Synthetic list: suspected labour-trafficking recruiter")
    collector = led.accounts.set_index("account").loc[_roles(led, "ransom_corridor", "collector")[0], "party_id"]
    person_entry(str(collector), 2, "initial", "Synthetic list: smuggling network cashier")
    rows.append(
        {
            "id": "fi-synth-0003",
            "schema": "Company",
            "name": "Gulf Star Manpower Services LLC",
            "aliases": "Gulf Star Recruitment;GSMS",
            "countries": "sa;ae",
            "addresses": "Al Olaya, Riyadh",
            "identifiers": "CR1010" + "".join(str(d) for d in rng.integers(0, 10, 6)),
            "sanctions": "Synthetic list: recruitment agency linked to forced labour",
            "dataset": "finintel_synthetic_watchlist",
        }
    )
    for n, (name, country, born) in enumerate(
        [
            ("Tesfamariam Kidane Weldu", "er;ly", "1979-04-02"),
            ("Abdirahman Yusuf Hirsi", "so;ke", "1983-11-19"),
            ("Mariam Nasser Al-Harbi", "sa", "1975-07-30"),
        ],
        start=4,
    ):
        rows.append(
            {
                "id": f"fi-synth-{n:04d}",
                "schema": "Person",
                "name": name,
                "aliases": "",
                "birth_date": born,
                "countries": country,
                "identifiers": "",
                "sanctions": "Synthetic list: smuggling network (not in the ledger)",
                "dataset": "finintel_synthetic_watchlist",
            }
        )
    table = pd.DataFrame(rows, columns=list(WATCHLIST_COLUMNS))
    table[["first_seen", "last_seen", "last_change"]] = "2024-04-01T00:00:00"
    table.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
