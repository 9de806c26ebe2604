"""The bundled sample case: reproducible, complete, and consistent with the ledger it came from."""

from __future__ import annotations

import csv
import json
import re

import pandas as pd
import pytest

import finintel as fi
from finintel.errors import ConfigError
from finintel.schema.keys import evm_key, tron_key

SAMPLES = fi.datasets.SAMPLES


@pytest.fixture(scope="module")
def ledger():
    return fi.datasets.load_sample("ledger")


def test_regenerating_gives_the_committed_bytes(tmp_path):
    fi.synth.make_samples(tmp_path)
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert len(made) == len(fi.datasets.sample_paths()) + 4  # exports + exports.csv, truth, tags, watchlist
    for rel in made:  # other tools may keep their own files (a screening config) beside these
        assert (tmp_path / rel).read_bytes() == (SAMPLES / rel).read_bytes(), rel
    committed = {p.relative_to(SAMPLES) for p in (SAMPLES / "exports").iterdir()}
    assert committed == {p for p in made if p.parts[0] == "exports"}


def test_sizes_and_paths():
    total = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert 100_000 < total < 5_000_000
    paths = fi.datasets.sample_paths()
    assert len(paths) == len(fi.datasets.load_sample("exports")) and all(p.exists() for p in paths)
    assert {p.suffix for p in fi.datasets.sample_paths("goaml")} == {".xml"}
    with pytest.raises(ConfigError, match="unknown sample format"):
        fi.datasets.sample_paths("pdf")
    with pytest.raises(ConfigError, match="unknown sample"):
        fi.datasets.load_sample("nope")


def test_truth_csv_is_the_ledger_truth_and_every_typology_is_exported(ledger):
    truth = fi.datasets.load_sample("truth")
    assert len(ledger.transactions) == 4_000
    pd.testing.assert_series_equal(truth["tx_ids"], ledger.truth["tx_ids"], check_names=False)
    pd.testing.assert_series_equal(truth["start"], ledger.truth["start"], check_names=False)
    assert set(truth["typology"]) == set(fi.synth.TYPOLOGIES)
    assert truth["in_files"].map(len).gt(0).all()
    exports = fi.datasets.load_sample("exports")
    in_statements = {t for ids in exports.loc[exports["format"] != "goaml", "tx_ids"] for t in ids}
    shown = {row.typology for row in truth.itertuples() if set(row.tx_ids) & in_statements}
    assert shown >= {
        "structuring",
        "wallet_limit_splitting",
        "fan_in",
        "rapid_pass_through",
        "layering_chain",
        "recruitment_funnel",
        "crypto_offramp",
    }


def test_tags_are_valid_addresses_some_in_the_ledger(ledger):
    tags = fi.datasets.load_sample("tags")
    keys = [tron_key(a) if c == "tron" else evm_key(a) for a, c in zip(tags["address"], tags["chain"], strict=True)]
    seen = set(ledger.transactions["sender"]) | set(ledger.transactions["receiver"])
    hits = tags[[k in seen for k in keys]]
    assert {"high-risk exchange", "exchange", "mixer", "sanctioned"} <= set(hits["category"])
    assert len(tags) - len(hits) == 3


def test_watchlist_hits_planted_people_under_a_name_variant(ledger):
    wl = fi.datasets.load_sample("watchlist")
    assert list(wl.columns[:9]) == [
        "id",
        "schema",
        "name",
        "aliases",
        "birth_date",
        "countries",
        "addresses",
        "identifiers",
        "sanctions",
    ]
    recruiter = json.loads(ledger.truth.set_index("typology").loc["recruitment_funnel", "params"])["recruiter_party"]
    party = ledger.parties.set_index("party_id").loc[recruiter]
    entry = wl.set_index("id").loc["fi-synth-0001"]
    assert entry["name"].upper() != party["name"]  # a variant, not a copy
    assert set(re.findall(r"\w+", entry["name"].upper())) == set(party["name"].split())
    assert entry["identifiers"] == party["id_number"] and entry["phones"] == party["phone"]
    assert f"msisdn:{entry['phones']}" in set(ledger.transactions["receiver"])


def test_values_read_by_hand_from_the_shipped_files():
    """Literal values copied from the committed files (regenerate and update them together)."""
    truth = fi.datasets.load_sample("truth").set_index("case_id")
    assert truth.at["C001", "typology"] == "structuring"
    assert truth.at["C001", "entity"] == "acct:ABSA-BANK-KENYA/6515783749650"
    text = (SAMPLES / "exports" / "bank_statement_absa_bank_kenya_6515783749650.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    assert rows[5] == ["Opening Balance", "2,837.00"]
    assert rows[8] == [  # the lump sum that is then structured out
        "11/01/2024",
        "11/01/2024",
        "INWARD TT AL MANARA GENERAL TRADING LLC AE123462042529837700178",
        "RM0273613920",
        "",
        "7,403,600.00",
        "7,406,437.00",
    ]
    debits = [float(r[4].replace(",", "")) for r in rows[8:] if len(r) == 7 and r[4]]
    assert len(debits) == 7 and all(900_000 <= d < 1_000_000 for d in debits)  # every one just under KES 1,000,000
    assert set(truth.at["C001", "tx_ids"]) == {r[3] for r in rows[8:] if len(r) == 7}
    goaml = (SAMPLES / "exports" / "goaml_str_safaricom_plc.xml").read_text()
    assert goaml.count("<transaction>") == 180
