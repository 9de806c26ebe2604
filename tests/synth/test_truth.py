"""Ground truth matches the planted transactions: every property recomputed from the ledger, not trusted."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import finintel as fi
from finintel.profiles import get_profile

H = pd.Timedelta(hours=1)
SERVED = {"KE", "UG", "ET", "DJ"}


@pytest.fixture(scope="module")
def led() -> fi.synth.Ledger:
    return fi.synth.generate(5_000, seed=5)


def cases(led, typology):
    rows = led.truth[led.truth["typology"] == typology]
    assert len(rows) >= 1, typology
    tx = led.transactions.set_index("tx_id", drop=False)
    for case in rows.itertuples():
        yield case, tx.loc[list(case.tx_ids)].sort_values("timestamp"), json.loads(case.roles), json.loads(case.params)


def test_every_typology_planted_fast_and_slow(led):
    counts = led.truth.groupby(["typology", "slow"]).size()
    for name in fi.synth.TYPOLOGIES:
        assert counts.loc[(name, False)] >= 1
    for name in fi.synth.SLOW_TYPOLOGIES:
        assert counts.loc[(name, True)] == 1
    assert sorted(led.truth.loc[(led.truth["typology"] == "cycle") & ~led.truth["slow"], "n_transactions"]) == [
        2,
        3,
        4,
        5,
        6,
    ]


def test_truth_rows_are_consistent_with_their_transactions(led):
    tx = led.transactions.set_index("tx_id")
    all_ids = [t for ids in led.truth["tx_ids"] for t in ids]
    assert len(all_ids) == len(set(all_ids))  # no transaction in two cases
    for case in led.truth.itertuples():
        rows = tx.loc[list(case.tx_ids)]
        assert len(rows) == case.n_transactions
        assert rows["timestamp"].min() == case.start and rows["timestamp"].max() == case.end
        parties = set(rows["sender"]) | set(rows["receiver"])
        assert parties == set(case.accounts) == set(json.loads(case.roles))
        assert case.entity in parties
        assert (rows["status"] == "completed").all()
        if "/" not in case.currency:
            assert rows["amount"].sum() == pytest.approx(case.total_amount)


def test_structuring_amounts_inside_the_band_within_the_window(led):
    threshold = get_profile("KE")["reporting_threshold"]
    for case, rows, roles, params in cases(led, "structuring"):
        assert params["band"] == [threshold * 0.9, threshold]
        side = "sender" if params["side"] == "sender" else "receiver"
        legs = rows[rows[side] == case.entity]
        assert len(legs) == params["legs"] >= 4
        assert legs["amount"].between(threshold * 0.9, threshold, inclusive="left").all()
        assert legs["timestamp"].max() - legs["timestamp"].min() <= pd.Timedelta(days=params["window_days"])
        funding = rows.drop(legs.index)  # transfers out are funded by one lump sum that arrived before them
        if side == "sender":
            assert len(funding) == 1 and funding["receiver"].iloc[0] == case.entity
            assert roles[funding["sender"].iloc[0]] == "funding_source"
            assert funding["timestamp"].iloc[0] < legs["timestamp"].min()
            assert funding["amount"].iloc[0] >= legs["amount"].sum()
        else:
            assert funding.empty


def test_wallet_splitting_near_cap_and_within_daily_cap(led):
    prof = get_profile("KE")
    for case, rows, roles, params in cases(led, "wallet_limit_splitting"):
        out = rows[rows["sender"] == case.entity]
        top_ups = rows[rows["receiver"] == case.entity]
        assert len(out) == params["transfers"] >= 6
        assert out["amount"].between(0.9 * prof["mm_tx_cap"], prof["mm_tx_cap"]).all()
        day = out["timestamp"].dt.tz_convert("Africa/Nairobi").dt.date
        assert out.groupby(day)["amount"].sum().max() <= prof["mm_daily_cap"]
        assert out.groupby(day).size().max() <= 2
        # topped up from the holder's own bank account; the wallet never holds more than the balance cap
        assert set(top_ups["sender"]) == {a for a, r in roles.items() if r == "funding_account"}
        signed = rows["amount"].where(rows["receiver"] == case.entity, -rows["amount"])
        balance = signed.cumsum()
        assert balance.min() >= 0 and balance.max() <= prof["mm_balance_cap"]


@pytest.mark.parametrize(
    "typology,hub_side,member_side", [("fan_in", "receiver", "sender"), ("fan_out", "sender", "receiver")]
)
def test_fans_every_member_meets_the_hub_inside_the_window(led, typology, hub_side, member_side):
    for case, rows, roles, params in cases(led, typology):
        assert (rows[hub_side] == case.entity).all()
        members = {a for a, r in roles.items() if r != "hub"}
        assert set(rows[member_side]) == members and len(members) == len(rows) >= 10
        assert case.end - case.start <= pd.Timedelta(days=params["window_days"])
        if case.slow:
            assert case.end - case.start > pd.Timedelta(days=7)


def test_scatter_gather_each_intermediary_forwards_after_receiving(led):
    for _, rows, roles, _ in cases(led, "scatter_gather"):
        src = next(a for a, r in roles.items() if r == "source")
        sink = next(a for a, r in roles.items() if r == "sink")
        for mid in (a for a, r in roles.items() if r == "intermediary"):
            got = rows[(rows["sender"] == src) & (rows["receiver"] == mid)]
            sent = rows[(rows["sender"] == mid) & (rows["receiver"] == sink)]
            assert len(got) == len(sent) == 1
            assert sent["timestamp"].iloc[0] > got["timestamp"].iloc[0]
            assert 0.9 * got["amount"].iloc[0] <= sent["amount"].iloc[0] <= got["amount"].iloc[0]


def test_gather_scatter_all_outflows_after_all_inflows(led):
    for case, rows, _, params in cases(led, "gather_scatter"):
        ins, outs = rows[rows["receiver"] == case.entity], rows[rows["sender"] == case.entity]
        assert len(ins) + len(outs) == len(rows)
        assert ins["sender"].nunique() == params["payers"] and outs["receiver"].nunique() == params["beneficiaries"]
        assert ins["timestamp"].max() < outs["timestamp"].min()
        assert 0.85 * ins["amount"].sum() <= outs["amount"].sum() <= ins["amount"].sum()


def test_cycles_are_time_ordered_and_return_to_the_start(led):
    for case, rows, _, params in cases(led, "cycle"):
        legs = rows.sort_values("timestamp")
        assert len(legs) == params["length"]
        assert legs["sender"].iloc[0] == case.entity == legs["receiver"].iloc[-1]
        assert (legs["receiver"].iloc[:-1].to_numpy() == legs["sender"].iloc[1:].to_numpy()).all()
        assert legs["timestamp"].is_monotonic_increasing and legs["timestamp"].is_unique
        assert legs["sender"].nunique() == len(legs)
        assert legs["amount"].iloc[-1] >= 0.8 * legs["amount"].iloc[0]


def test_rapid_pass_through_outflows_follow_inflows_within_hours_and_little_stays(led):
    for case, rows, _, params in cases(led, "rapid_pass_through"):
        ins, outs = rows[rows["receiver"] == case.entity], rows[rows["sender"] == case.entity]
        assert len(outs) >= params["episodes"]
        assert outs["amount"].max() <= get_profile("KE")["mm_tx_cap"]
        for t in outs["timestamp"]:
            last_in = ins.loc[ins["timestamp"] < t, "timestamp"].max()
            assert t - last_in <= params["max_hold_hours"] * H
        assert outs["amount"].sum() >= 0.92 * ins["amount"].sum()
        all_tx = led.transactions
        assert (
            not ((all_tx["sender"] == case.entity) | (all_tx["receiver"] == case.entity))
            .loc[~all_tx["tx_id"].isin(case.tx_ids)]
            .any()
        )  # the mule does nothing else


def test_layering_chain_keeps_most_value_over_three_or_more_hops(led):
    for case, rows, _, params in cases(led, "layering_chain"):
        legs = rows.sort_values("timestamp")
        assert len(legs) == params["hops"] >= 3
        assert legs["sender"].iloc[0] == case.entity
        assert (legs["receiver"].iloc[:-1].to_numpy() == legs["sender"].iloc[1:].to_numpy()).all()
        assert legs["amount"].iloc[-1] / legs["amount"].iloc[0] == pytest.approx(params["kept"], abs=1e-4)
        assert params["kept"] >= 0.8
        assert set(legs["channel"]) == {"bank", "mobile_money"}


def test_recruitment_funnel_similar_fees_then_abroad(led):
    for case, rows, _roles, params in cases(led, "recruitment_funnel"):
        fees = rows[rows["receiver"] == case.entity]
        assert fees["sender"].nunique() == len(fees) == params["payers"] >= 15
        assert (abs(fees["amount"] / params["fee"] - 1) <= params["fee_tolerance"] + 100 / params["fee"]).all()
        persons = led.entities.set_index("party_id")["person"]
        holders = led.accounts.set_index("account").loc[fees["sender"], "party_id"]
        assert persons.loc[holders].nunique() == len(fees)  # unrelated payers
        abroad = rows[rows["receiver_country"].isin(["SA", "AE", "QA", "LB", "JO"])]
        assert len(abroad) >= 2 and (abroad["channel"] == "remittance").all()
        assert abroad["timestamp"].min() > fees["timestamp"].max()
        assert abroad["amount"].sum() <= fees["amount"].sum()


def test_ransom_corridor_inflows_from_abroad_cashed_out_within_hours(led):
    for case, rows, _roles, params in cases(led, "ransom_corridor"):
        ins, outs = rows[rows["receiver"] == case.entity], rows[rows["sender"] == case.entity]
        assert not ins["sender_country"].isin(SERVED).any() and (ins["channel"] == "remittance").all()
        assert ins["sender"].nunique() == params["senders"] >= 4
        assert outs["receiver"].str.startswith("cash:").all()
        for t in outs["timestamp"]:
            assert t - ins.loc[ins["timestamp"] < t, "timestamp"].max() <= params["max_cash_out_hours"] * H
        cap = get_profile(params["country"])["mm_tx_cap"]
        assert rows["amount"].max() <= cap


def test_crypto_offramp_each_payment_matched_by_a_usdt_credit(led):
    for case, rows, roles, params in cases(led, "crypto_offramp"):
        pays = rows[rows["sender"] == case.entity]
        credits = rows[rows["currency"] == "USDT-TRC20"]
        own = next(a for a, r in roles.items() if r == "customer_crypto")
        assert len(pays) == len(credits) == params["episodes"] and (credits["receiver"] == own).all()
        assert own.startswith("trx:T")
        for (_, pay), (_, credit) in zip(pays.iterrows(), credits.iterrows(), strict=True):
            assert (
                pd.Timedelta(0)
                < credit["timestamp"] - pay["timestamp"]
                <= pd.Timedelta(minutes=params["max_delay_minutes"])
            )
            assert credit["amount"] == pytest.approx(pay["amount"] * params["rate"], rel=params["value_tolerance"])


def test_dormant_then_burst(led):
    for case, _rows, _, params in cases(led, "dormant_burst"):
        tx = led.transactions
        mine = tx[(tx["sender"] == case.entity) | (tx["receiver"] == case.entity)]["timestamp"].sort_values()
        gaps = mine.diff().dropna()
        assert gaps.max() / pd.Timedelta(days=1) == pytest.approx(params["dormant_days"], abs=0.01)
        assert params["dormant_days"] >= 30
        burst = mine[mine > mine.iloc[1]]
        assert len(burst) == params["burst"] and burst.max() - burst.min() <= pd.Timedelta(hours=48)


def test_out_of_hours_all_at_night_local_time(led):
    for _, rows, _, params in cases(led, "out_of_hours"):
        hours = rows["timestamp"].dt.tz_convert(params["tz"]).dt.hour
        assert hours.between(*params["local_hours"], inclusive="left").all()


@settings(max_examples=4, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    countries=st.sampled_from([("KE",), ("KE", "UG"), ("ET", "DJ"), ("KE", "UG", "ET", "DJ")]),
)
def test_truth_holds_for_any_seed_and_countries(seed, countries):
    led = fi.synth.generate(1_500, seed=seed, countries=countries)
    tx = led.transactions.set_index("tx_id")
    home = "KE" if "KE" in countries else countries[0]
    prof = get_profile(home)
    for case in led.truth.itertuples():
        rows = tx.loc[list(case.tx_ids)]
        assert rows["timestamp"].min() == case.start and set(rows["sender"]) | set(rows["receiver"]) == set(
            case.accounts
        )
        if case.typology == "structuring":
            side = json.loads(case.params)["side"]
            legs = rows[rows[side] == case.entity]["amount"]
            assert legs.between(prof["reporting_threshold"] * 0.9, prof["reporting_threshold"], inclusive="left").all()
        if case.typology == "cycle":
            legs = rows.sort_values("timestamp")
            assert legs["sender"].iloc[0] == legs["receiver"].iloc[-1] == case.entity
    mm = led.transactions[
        (led.transactions["channel"] == "mobile_money") & led.transactions["sender"].str.startswith("msisdn:")
    ]
    for cc in countries:
        local = mm[
            (mm["sender_country"] == cc) & (mm["currency"] == {"KE": "KES", "UG": "UGX", "ET": "ETB", "DJ": "DJF"}[cc])
        ]
        assert local["amount"].max() <= get_profile(cc)["mm_tx_cap"]
