from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.detect.fan import fan_in, fan_out
from finintel.testing import assert_alerts_equal, transactions


def test_fan_out_fixture(tx_small: pd.DataFrame) -> None:
    alerts = fan_out(tx_small, profile="KE")
    assert alerts["entity"].tolist() == ["msisdn:+254700000002"]
    assert alerts.at[0, "n_counterparties"] == 12
    assert alerts.at[0, "total"] == sum(1_000 + i for i in range(12))
    assert alerts.at[0, "score"] == 0.6 + 0.4 * (12 / 8 - 1)
    assert fan_in(tx_small, profile="KE").empty


def test_existing_relationships_are_not_new() -> None:
    history = [(f"p{i}", "shop", 100, "2024-01-05") for i in range(10)]
    burst = [(f"p{i}", "shop", 100, "2024-03-01 12:00") for i in range(10)]
    assert fan_in(transactions(history[:7] + burst)).empty  # only 3 payers are new in March
    # history older than the 90-day look-back no longer counts as a relationship
    old = [(f"p{i}", "shop", 100, "2023-09-01") for i in range(10)]
    alerts = fan_in(transactions(old + burst))
    # at the start of the ledger, payers met again later count as known; the renewed contacts are new
    assert alerts["n_counterparties"].tolist() == [10]
    assert alerts["start"].dt.year.tolist() == [2024]
    # when the ledger starts well before (here a month), those 2023 payers were new then
    assert len(fan_in(transactions([("x", "y", 1, "2023-08-01"), *old, *burst]), min_history="1D")) == 2


def test_slow_variant_lower_score_and_not_duplicating_fast() -> None:
    slow = [(f"v{i}", "collector", 50, pd.Timestamp("2024-04-01") + pd.Timedelta(hours=30 * i)) for i in range(20)]
    alerts = fan_in(transactions(slow))
    assert alerts["variant"].tolist() == ["slow"]
    assert (
        alerts.at[0, "n_counterparties"] == 20
        and abs(alerts.at[0, "score"] - 0.6 * min(1.0, 0.6 + 0.4 * (20 / 10 - 1))) < 1e-12
    )
    fast = [(f"v{i}", "collector", 50, pd.Timestamp("2024-04-01") + pd.Timedelta(hours=2 * i)) for i in range(20)]
    assert fan_in(transactions(fast))["variant"].tolist() == ["fast"]


def test_repeat_payments_count_once() -> None:
    rows = [(f"v{i % 4}", "collector", 50, pd.Timestamp("2024-04-01") + pd.Timedelta(hours=i)) for i in range(20)]
    assert fan_in(transactions(rows)).empty


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 7), st.lists(st.integers(0, 200), min_size=7, max_size=7))
def test_below_minimum_never_fires(n: int, hours: list[int]) -> None:
    rows = [("hub", f"m{i}", 10, pd.Timestamp("2024-01-01") + pd.Timedelta(hours=h)) for i, h in enumerate(hours[:n])]
    assert fan_out(transactions(rows)).empty


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ab"), st.integers(0, 15), st.integers(0, 100)), min_size=1, max_size=40))
def test_order_invariance(rows: list[tuple[str, int, int]]) -> None:
    tx = transactions([(s, f"r{r}", 5, pd.Timestamp("2024-01-01") + pd.Timedelta(hours=h)) for s, r, h in rows])
    shuffled = tx.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert_alerts_equal(fan_out(tx, min_counterparties=3), fan_out(shuffled, min_counterparties=3))


def test_accounts_that_always_meet_new_people_are_not_bursts() -> None:
    # an agent serving 10 new customers every 3 days for 60 days: 10 in 3 days is its normal rate
    rows = [(f"c{i}", "agent", 100, pd.Timestamp("2024-01-01") + pd.Timedelta(hours=7.2 * i)) for i in range(200)]
    assert fan_in(transactions(rows)).empty
    burst = [(f"m{i}", "agent", 100, pd.Timestamp("2024-02-20") + pd.Timedelta(minutes=20 * i)) for i in range(40)]
    alerts = fan_in(transactions(rows + burst))
    assert len(alerts) == 1 and alerts.at[0, "n_counterparties"] >= 40
    assert {f"t{i}" for i in range(201, 241)} <= set(alerts.at[0, "tx_ids"])
    # usual rate: the agent's 200 customers over 60 days, about 10 per 3 days
    assert alerts.at[0, "usual"] == pytest.approx(10, rel=0.2)


def test_quiet_account_suddenly_paid_by_strangers() -> None:
    # a wallet paid by the same relative every week, then by 9 strangers within 32 hours
    weekly = [("mum", "acct", 2_000, pd.Timestamp("2024-01-01 10:00") + pd.Timedelta(weeks=i)) for i in range(10)]
    burst = [(f"s{i}", "acct", 3_000, pd.Timestamp("2024-03-10 10:00") + pd.Timedelta(hours=4 * i)) for i in range(9)]
    alerts = fan_in(transactions(weekly + burst))
    assert alerts[["entity", "variant", "n_counterparties"]].values.tolist() == [["acct", "fast", 9]]
    assert list(alerts.at[0, "tx_ids"]) == [f"t{i}" for i in range(11, 20)]  # the strangers, not mum
    # usual: the 10 other incoming transfers over the rest of the ledger (70 days 8 hours less the 3-day
    # window), per 3 days
    assert alerts.at[0, "usual"] == pytest.approx(10 * 3 / (70 + 8 / 24 - 3))
    assert alerts.at[0, "reason"].endswith("; it usually receives 0.4 transfers per 3 days.")
    # the Poisson tail probability of 9 or more when 0.5 (the floor) are usual
    # exp(-0.5) * 0.5**9 / 9! * (1 + 0.5 / 10 + 0.5**2 / 110 + ...)
    assert alerts.at[0, "p_value"] == pytest.approx(3.436e-9, rel=1e-3)


def test_cash_and_bill_counterparties_are_not_senders() -> None:
    # cash paid in at 12 different agents, and a till paying refunds: services, not 12 people
    rows = [(f"cash:agent-{i}", "msisdn:+254711000001", 500, f"2024-03-01 {8 + i}:00") for i in range(12)]
    assert fan_in(transactions(rows)).empty
    assert len(fan_in(transactions(rows), exclude_namespaces=())) == 1


def test_payroll_is_not_a_fan_out() -> None:
    # an employer paying the same 15 staff at the end of every month: after the first month nobody is new,
    # and the first month's payees go on being paid, so they are relationships, not one-off receivers
    start = [("employer", "landlord", 90_000, "2023-11-02")]
    pay = [
        ("employer", f"staff{i}", 30_000, pd.Timestamp(f"2024-{m:02d}-25 09:00") + pd.Timedelta(minutes=i))
        for m in (1, 2, 3)
        for i in range(15)
    ]
    assert fan_out(transactions(start + pay)).empty
    # the same 15 payments made once and never again: 15 one-off receivers in an hour
    alerts = fan_out(transactions(start + pay[:15]))
    assert alerts[["entity", "n_counterparties"]].values.tolist() == [["employer", 15]]


def test_slow_fan_in_must_stand_out_from_the_account_s_own_rate() -> None:
    # 12 strangers pay a shop's wallet over 30 days, 2.5 days apart (never 8 in 3 days: no fast burst)
    strangers = [(f"s{i}", "acct", 700, pd.Timestamp("2024-05-01") + pd.Timedelta(hours=60 * i)) for i in range(12)]
    quiet = [("owner", "acct", 100, "2024-01-01")]
    assert fan_in(transactions(quiet + strangers))["variant"].tolist() == ["slow"]
    # an account that is paid by 36 regular customers every month (the same ones each month from January)
    regulars = [
        (f"c{i}", "acct", 100, pd.Timestamp("2024-01-01") + pd.Timedelta(days=30 * m + i * 0.8))
        for m in range(6)
        for i in range(36)
    ]
    # its usual: the 180 incoming transfers outside the window over the other 148 days, 36.5 a month:
    # 12 strangers are neither 10 times that nor unlikely with so many payments a month
    tx = transactions(regulars + strangers)
    assert fan_in(tx).empty
    assert fan_in(tx, slow_ratio=0.3).empty
    alerts = fan_in(tx, slow_ratio=0.3, significance=1.0)
    assert alerts["variant"].tolist() == ["slow"] and alerts.at[0, "n_counterparties"] == 12
    assert alerts.at[0, "usual"] == pytest.approx(180 * 30 / 148, rel=0.02)


def test_slow_collection_account_with_eleven_payers() -> None:
    # a new wallet paid once each by 11 strangers over 23 days, and by nobody else
    rows = [("x", "y", 1, "2024-01-01")]
    rows += [(f"s{i}", "hub", 6_000, pd.Timestamp("2024-02-20 09:00") + pd.Timedelta(hours=50 * i)) for i in range(11)]
    alerts = fan_in(transactions(rows))
    assert alerts[["entity", "variant", "n_counterparties", "usual"]].values.tolist() == [["hub", "slow", 11, 0.0]]
    assert alerts.at[0, "total"] == 66_000
    # 0.6 * (0.6 + 0.4 * (11 / 10 - 1))
    assert alerts.at[0, "score"] == pytest.approx(0.384)
    assert fan_in(transactions(rows), slow_min_counterparties=12).empty


def test_an_accounts_own_charges_node_is_not_a_counterparty_of_fan_out():
    payer = "msisdn:+254711000001"
    rows = [
        (payer, f"msisdn:+2547220000{i:02d}", 5_000.0, f"2024-03-01 {8 + i // 2:02d}:{(i % 2) * 30:02d}")
        for i in range(9)
    ]
    base = fan_out(transactions(rows), profile="KE", min_counterparties=10)
    charged = rows + [(payer, f"fee:{payer}", 30.0, "2024-03-01 12:00")]
    assert len(base) == 0
    assert (
        len(fan_out(transactions(charged), profile="KE", min_counterparties=10)) == 0
    )  # the charge is not a tenth payee
    tenth = rows + [(payer, "msisdn:+254733000000", 5_000.0, "2024-03-01 12:00")]
    assert len(fan_out(transactions(tenth), profile="KE", min_counterparties=10)) == 1  # a tenth person is
