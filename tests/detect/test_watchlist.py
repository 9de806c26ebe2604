from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.detect.watchlist import load_watchlist, normalize_name, watchlist
from finintel.errors import InputError, UnsafeInputError
from finintel.testing import assert_alerts_equal, transactions

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "detect"


def test_load_un_xml() -> None:
    wl = load_watchlist(FIX / "un_list_small.xml")
    assert wl["id"].tolist() == ["XXi.001", "XXe.002"]
    assert wl["name"].tolist() == ["ABDULLAHI GEDI WARSAME", "SAHEL DESERT TRANSPORT COMPANY"]
    assert wl.at[0, "aliases"] == "Abdi Gedi;Abu Warsame"
    assert (wl.at[0, "birth_date"], wl.at[0, "countries"], wl.at[0, "identifiers"]) == ("1979", "Somalia", "P0000001")
    assert wl["schema"].tolist() == ["Person", "Organization"]


def test_load_simple_csv_and_refusals(tmp_path: Path) -> None:
    wl = load_watchlist(FIX / "sanctions_simple.csv")
    assert len(wl) == 3 and wl.at[0, "aliases"] == "Tekle Berhane;ተክሌ በርሀነ"
    bad = tmp_path / "x.csv"
    bad.write_text("who,what\na,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="'name'"):
        load_watchlist(bad)
    bomb = tmp_path / "x.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">]><CONSOLIDATED_LIST>&a;</CONSOLIDATED_LIST>')
    with pytest.raises(UnsafeInputError):
        load_watchlist(bomb)


def test_screening_names_aliases_scripts_and_wallets() -> None:
    wl = load_watchlist(FIX / "sanctions_simple.csv")
    tx = transactions(
        [
            ("msisdn:+251911000001", "acct:B/1", 100, "2024-03-01", {"sender_name": "GEBREMARIAM Tekle Berhane"}),
            ("msisdn:+251911000002", "acct:B/1", 100, "2024-03-02", {"sender_name": "ተክሌ በርሀነ"}),
            ("msisdn:+251911000003", "trx:TQ5NMKUcXRGzqUxddnVPGBvSNhCEEYsyyc", 100, "2024-03-03"),
            ("msisdn:+251911000004", "acct:B/2", 100, "2024-03-04", {"sender_name": "Mohamed Alinur"}),
            ("msisdn:+251911000005", "acct:B/2", 100, "2024-03-05", {"sender_name": "Tekle Haile"}),
        ]
    )
    alerts = watchlist(tx, watchlist=wl)
    got = alerts.set_index("entity")[["list_id", "matched_field", "match_score"]]
    assert got.loc["msisdn:+251911000001"].tolist() == ["NK-test-1", "name", 100.0]
    assert got.loc["msisdn:+251911000002", "matched_field"] == "alias"  # Ethiopic script alias, transliterated
    assert got.loc["trx:TQ5NMKUcXRGzqUxddnVPGBvSNhCEEYsyyc"].tolist() == ["NK-test-2", "wallet", 100.0]
    assert set(alerts["entity"]) == {
        "msisdn:+251911000001",
        "msisdn:+251911000002",
        "trx:TQ5NMKUcXRGzqUxddnVPGBvSNhCEEYsyyc",
    }


def test_subset_names_and_threshold() -> None:
    wl = pd.DataFrame({"id": ["U1"], "name": ["Abdullahi Gedi Warsame"]})
    tx = transactions([("a", "b", 1, "2024-01-01", {"receiver_name": "Abdullahi Warsame"})])
    alerts = watchlist(tx, watchlist=wl)
    assert alerts["entity"].tolist() == ["b"] and alerts.at[0, "match_score"] == 95.0  # token_set 100 x 0.95
    assert watchlist(tx, watchlist=wl, min_score=96).empty
    assert watchlist(tx, watchlist=wl, sides=["sender"]).empty


def test_normalize_name_variants() -> None:
    assert normalize_name("José  D'Souza") == "jose d souza"
    assert normalize_name("አበበ ቢቂላ") == "abebe bikila"  # ቂ is written k: the athlete Abebe Bikila
    assert normalize_name(None) == ""


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.sampled_from(["Grace Wanjiru", "Peter Otieno", "Tekle Berhane", "Berhane Tekle", ""]),
        min_size=1,
        max_size=10,
    )
)
def test_order_invariance_and_unlisted_never_fire(names: list[str]) -> None:
    wl = load_watchlist(FIX / "sanctions_simple.csv")
    tx = transactions(
        [(f"acct:B/{i % 3}", "shop", 5, f"2024-01-0{i % 9 + 1}", {"sender_name": n}) for i, n in enumerate(names)]
    )
    alerts = watchlist(tx, watchlist=wl)
    matched = set(alerts["matched_name"]) if len(alerts) else set()
    assert matched <= {"Tekle Berhane", "Berhane Tekle"}
    assert bool(matched) == bool({"Tekle Berhane", "Berhane Tekle"} & set(names))
    assert_alerts_equal(alerts, watchlist(tx.iloc[::-1].reset_index(drop=True), watchlist=wl))
