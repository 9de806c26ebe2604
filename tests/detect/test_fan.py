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
        and abs(alerts.at[0, "score"] - 0.6 * (0.6 + 0.4 * (20 / 12 - 1))) < 1e-12
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
