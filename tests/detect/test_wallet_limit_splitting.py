from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.detect.wallet_limit_splitting import wallet_limit_splitting
from finintel.testing import assert_alerts_equal, transactions

W = "msisdn:+254711000001"


def test_generic_profile_has_no_caps() -> None:
    tx = transactions(
        [(W, "msisdn:+254722000000", 249_000, f"2024-03-0{d}") for d in (1, 2, 3)], channel="mobile_money"
    )
    assert wallet_limit_splitting(tx).empty
    assert len(wallet_limit_splitting(tx, profile="KE")) == 1


def test_cash_ins_at_the_limit() -> None:
    rows = [(f"cash:Agent {i}", W, 240_000 + i * 1_000, f"2024-03-0{i + 1} 10:00") for i in range(4)]
    alerts = wallet_limit_splitting(transactions(rows, channel="cash"), profile="KE")
    assert alerts["variant"].tolist() == ["tx_cap_cashin"]
    assert alerts.at[0, "entity"] == W and alerts.at[0, "n_tx"] == 4
    assert alerts.at[0, "total"] == 240_000 + 241_000 + 242_000 + 243_000
    assert abs(alerts.at[0, "score"] - 0.65) < 1e-12


def test_daily_cap_split() -> None:
    # 23:30 UTC is 02:30 the next day in Nairobi: the provider's day, not the UTC day
    rows = [
        (W, f"msisdn:+25472200000{i}", 120_000, t)
        for i, t in enumerate(["2024-03-01 06:00", "2024-03-01 09:00", "2024-03-01 12:00", "2024-03-01 20:30"])
    ]
    rows.append((W, "msisdn:+254722000009", 100_000, "2024-02-29 23:30"))
    alerts = wallet_limit_splitting(transactions(rows, channel="mobile_money"), profile="KE")
    assert alerts["variant"].tolist() == ["daily_cap"]
    assert alerts.at[0, "n_days"] == 1 and alerts.at[0, "n_tx"] == 5
    assert alerts.at[0, "total"] == 580_000.0
    assert "at or near the KES 500,000.00 daily limit" in alerts.at[0, "reason"]


def test_below_band_or_few_transfers_do_not_fire() -> None:
    low = [(W, "msisdn:+254722000000", 200_000, f"2024-03-0{d}") for d in (1, 2, 3, 4)]
    assert wallet_limit_splitting(transactions(low, channel="mobile_money"), profile="KE").empty
    two = [(W, "msisdn:+254722000000", 250_000, f"2024-03-0{d}") for d in (1, 2)]
    assert wallet_limit_splitting(transactions(two, channel="mobile_money"), profile="KE").empty
    bank = [("acct:B/1", "acct:B/2", 249_000, f"2024-03-0{d}") for d in (1, 2, 3)]
    assert wallet_limit_splitting(transactions(bank, channel="bank"), profile="KE").empty


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(1, 224_999), min_size=1, max_size=6))
def test_nothing_fires_below_thresholds(amounts: list[float]) -> None:
    # fewer than 3 per day would be needed for the daily variant; below 90% of the cap for the others
    tx = transactions(
        [(W, "msisdn:+254722000000", a, f"2024-03-{i + 1:02d}") for i, a in enumerate(amounts)], channel="mobile_money"
    )
    assert wallet_limit_splitting(tx, profile="KE").empty


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([W, "msisdn:+254711000002"]), st.floats(100_000, 250_000), st.integers(0, 96)),
        min_size=1,
        max_size=25,
    )
)
def test_order_invariance(rows: list[tuple[str, float, int]]) -> None:
    tx = transactions(
        [(s, "msisdn:+254722000000", a, pd.Timestamp("2024-01-01") + pd.Timedelta(hours=h)) for s, a, h in rows],
        channel="mobile_money",
    )
    shuffled = tx.iloc[::-1].reset_index(drop=True)
    assert_alerts_equal(wallet_limit_splitting(tx, profile="KE"), wallet_limit_splitting(shuffled, profile="KE"))
