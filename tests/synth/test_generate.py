"""The generator: determinism, schema, valid keys, realistic limits, KYC for entity resolution."""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

import finintel as fi
from finintel.errors import ConfigError
from finintel.profiles import get_profile
from finintel.schema import frames as F
from finintel.schema.keys import is_valid_iban, normalize_msisdn, tron_key


@pytest.fixture(scope="module")
def led() -> fi.synth.Ledger:
    return fi.synth.generate(4_000, seed=11)


def test_same_seed_same_frames_other_seed_differs(led):
    again = fi.synth.generate(4_000, seed=11)
    assert F.to_arrow(led.transactions, "transactions").equals(F.to_arrow(again.transactions, "transactions"))
    pd.testing.assert_frame_equal(led.truth, again.truth)
    pd.testing.assert_frame_equal(led.parties, again.parties)
    other = fi.synth.generate(4_000, seed=12)
    assert not other.transactions["tx_id"].equals(led.transactions["tx_id"])


def test_exact_size_unique_ids_and_canonical_schema(led):
    tx = led.transactions
    assert len(tx) == 4_000
    assert tx["tx_id"].is_unique
    assert list(tx.columns) == list(F.TRANSACTIONS.columns)
    F.validate_transactions(tx)  # raises on any problem
    assert tx["timestamp"].is_monotonic_increasing
    assert tx["source_row"].tolist() == list(range(1, 4_001))


def test_period_respected(led):
    ts = led.transactions["timestamp"]
    assert ts.min() >= pd.Timestamp("2024-01-01", tz="Africa/Nairobi")
    assert ts.max() < pd.Timestamp("2024-03-31", tz="Africa/Nairobi")


def test_amount_exact_is_the_amount_with_the_currency_decimals(led):
    tx = led.transactions
    decimals = {"KES": 2, "UGX": 0, "ETB": 2, "DJF": 0, "USDT-TRC20": 6, "ETH": 8}
    for amount, exact, cur in zip(tx["amount"], tx["amount_exact"], tx["currency"], strict=True):
        assert Decimal(repr(amount)) == exact
        assert exact == exact.quantize(Decimal(1).scaleb(-decimals[cur]))


def test_mobile_money_never_exceeds_the_country_cap(led):
    tx = led.transactions
    mm = tx[(tx["channel"] == "mobile_money") & tx["sender"].str.startswith("msisdn:")]
    for cc, cur in [("KE", "KES"), ("UG", "UGX"), ("ET", "ETB"), ("DJ", "DJF")]:
        rows = mm[(mm["sender_country"] == cc) & (mm["currency"] == cur)]
        assert len(rows) > 100
        assert rows["amount"].max() <= get_profile(cc)["mm_tx_cap"]


def test_keys_are_valid_in_every_namespace(led):
    keys = pd.unique(pd.concat([led.transactions["sender"], led.transactions["receiver"]]).astype(str))
    ns = pd.Series(keys).str.split(":", n=1).str[0].value_counts()
    assert {"msisdn", "acct", "iban", "trx", "eth", "cash", "paybill"} <= set(ns.index)
    for k in keys:
        space, ident = k.split(":", 1)
        if space == "msisdn":
            assert normalize_msisdn(ident) == ident, k
        elif space == "trx":
            assert tron_key(ident) == k
        elif space == "eth":
            assert re.fullmatch(r"0x[0-9a-f]{40}", ident), k
        elif space == "iban":
            assert is_valid_iban(ident), k


def test_night_is_quieter_than_day(led):
    hours = led.transactions["timestamp"].dt.tz_convert("Africa/Nairobi").dt.hour
    assert (hours.between(1, 4)).mean() < 0.05
    assert (hours.between(9, 18)).mean() > 0.5


def test_kyc_has_people_with_several_accounts_and_shared_identifiers(led):
    acc, parties = led.accounts, led.parties
    assert acc["account"].is_unique
    per_party = acc.groupby("party_id")["account"].nunique()
    assert (per_party >= 2).sum() > 20  # wallet + bank (+ crypto) for many people
    people = parties[parties["kind"] == "person"]
    shared_id = people[people.duplicated("id_number", keep=False)]
    shared_phone = people[people.duplicated("phone", keep=False) & people["phone"].notna()]
    truth = led.entities.set_index("party_id")["person"]
    # duplicate records share an identifier and are the same person in the entity ground truth
    for frame, col in ((shared_id, "id_number"), (shared_phone, "phone")):
        assert len(frame) >= 4
        for _, group in frame.groupby(col):
            assert truth.loc[group["party_id"]].nunique() == 1
            assert group["name"].nunique() == 2  # a name variant, e.g. "JOHN K. MWANGI" vs "MWANGI JOHN KAMAU"
    assert set(acc["party_id"]) <= set(parties["party_id"])


def test_typology_subset_and_no_typologies():
    led = fi.synth.generate(1_000, seed=2, typologies=["fan_in"], slow=False)
    assert led.truth["typology"].tolist() == ["fan_in"]
    plain = fi.synth.generate(1_000, seed=2, typologies=[])
    assert plain.truth.empty and len(plain.transactions) == 1_000


def test_bad_arguments_raise_config_error():
    with pytest.raises(ConfigError, match="unknown typology 'fan_inn'"):
        fi.synth.generate(1_000, typologies=["fan_inn"])
    with pytest.raises(ConfigError, match="do not fit"):
        fi.synth.generate(100)
    with pytest.raises(ConfigError, match="countries"):
        fi.synth.generate(1_000, countries=["XX"])
    with pytest.raises(ConfigError, match="start must be a date"):
        fi.synth.generate(1_000, start="first of March")
    one = fi.synth.generate(1_000, seed=1, typologies="fan_out", slow=False)
    assert one.truth["typology"].tolist() == ["fan_out"]


def test_one_country_population_stays_in_that_country():
    led = fi.synth.generate(1_500, seed=4, countries=["UG"])
    wallets = led.transactions.loc[led.transactions["sender"].str.startswith("msisdn:"), "sender"]
    assert wallets.str.startswith("msisdn:+256").all()
    s = led.truth.set_index("typology")
    assert "structuring" in s.index
    assert np.isclose(
        float(pd.read_json(pd.io.common.StringIO(s.loc["structuring", "params"]), typ="series")["threshold"]),
        get_profile("UG")["reporting_threshold"],
    )


def test_whole_second_times_and_format_native_ids(led):
    tx = led.transactions
    assert (tx["timestamp"].dt.microsecond == 0).all()  # every export format states seconds
    wallet = (tx["sender"].str.startswith("msisdn:") | tx["receiver"].str.startswith("msisdn:")) & (
        tx["channel"] != "crypto"
    )
    assert tx.loc[wallet, "tx_id"].str.fullmatch(r"S[A-L][A-Z0-9]{8}").all()  # M-PESA receipts: S = 2024, month letter
    assert tx.loc[tx["currency"] == "ETH", "tx_id"].str.fullmatch(r"0x[0-9a-f]{64}").all()
    assert tx.loc[tx["currency"] == "USDT-TRC20", "tx_id"].str.fullmatch(r"[0-9a-f]{64}").all()
    rest = tx.loc[~wallet & (tx["channel"] != "crypto"), "tx_id"]
    assert rest.str.fullmatch(r"FT24\d{3}[A-Z0-9]{5}|RM\d{10}").all() and len(rest) > 100
