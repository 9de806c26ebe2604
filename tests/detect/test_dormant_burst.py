from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.detect.dormant_burst import dormant_burst
from finintel.testing import assert_alerts_equal, transactions


def _usd(rows: list[tuple]) -> pd.DataFrame:
    return transactions(rows, currency="USD")


def test_new_account_after_ledger_start() -> None:
    rows = [
        ("a", "b", 100, "2024-01-01"),
        ("c", "mule", 6_000, "2024-05-01"),
        ("mule", "d", 5_500, "2024-05-03"),
        ("mule", "e", 400, "2024-05-20"),
    ]
    # the default floor is a quarter of the threshold: the new payer and payee are new accounts too
    assert dormant_burst(_usd(rows))["entity"].tolist() == ["c", "d", "mule"]
    alerts = dormant_burst(_usd(rows), min_value_share=1.0)
    assert alerts["entity"].tolist() == ["mule"]
    assert alerts.at[0, "variant"] == "new" and alerts.at[0, "burst_value"] == 11_500.0
    assert list(alerts.at[0, "tx_ids"]) == ["t2", "t3"]  # the 20 May transfer is outside the 7-day burst
    assert (
        alerts.at[0, "reason"]
        == "A new account (first transfer on 2024-05-01) moved USD 11,500.00 in 2 transfers within 7 days."
    )
    # 0.55 + 0.25 * log10(1.15)
    assert abs(alerts.at[0, "score"] - (0.55 + 0.25 * 0.0606978403536117)) < 1e-9


def test_accounts_first_seen_near_ledger_start_are_not_new() -> None:
    rows = [("a", "b", 50_000, "2024-01-01"), ("b", "c", 49_000, "2024-01-02")]
    assert dormant_burst(_usd(rows)).empty


def test_regular_large_accounts_are_not_bursts() -> None:
    # an account that always moves large sums: the wake-up is not 10x its own average
    rows = [("corp", "supplier", 20_000, f"2024-01-{d:02d}") for d in range(1, 29)]
    rows += [("corp", "supplier", 25_000, "2024-06-01")]
    assert dormant_burst(_usd(rows)).empty
    # its average is 560,000 over 4 weeks = 140,000 a week; 25,000 is 0.18 of it
    assert dormant_burst(_usd(rows), ratio=0.2).empty
    assert dormant_burst(_usd(rows), ratio=0.1)["entity"].tolist() == ["corp", "supplier"]


def test_profile_currency_and_threshold() -> None:
    rows = [
        ("a", "b", 10, "2024-01-01"),
        ("a", "b", 10, "2024-01-10"),
        ("x", "a", 600_000, "2024-06-01"),
        ("a", "y", 590_000, "2024-06-01 12:00"),
    ]
    tx = transactions(rows)  # KES
    assert dormant_burst(tx).empty  # generic profile: USD, no KES rate
    alerts = dormant_burst(tx, profile="KE", min_value_share=1.0)  # KES 1,190,000 >= KES 1,000,000
    assert alerts[["entity", "variant", "silent_days"]].values.tolist() == [["a", "dormant", 143]]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.sampled_from("xyz"), st.floats(1, 9_999), st.integers(0, 400)),
        min_size=1,
        max_size=30,
    )
)
def test_nothing_below_value_floor(rows: list[tuple[str, str, float, int]]) -> None:
    # every burst below USD 10,000 in total is silent: amounts are tiny and the windows hold one transfer
    tx = _usd([(s, r, a / 10, pd.Timestamp("2024-01-01") + pd.Timedelta(days=d)) for s, r, a, d in rows[:10]])
    assert dormant_burst(tx).empty


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.sampled_from("xyz"), st.floats(1, 20_000), st.integers(0, 400)),
        min_size=1,
        max_size=30,
    )
)
def test_order_invariance(rows: list[tuple[str, str, float, int]]) -> None:
    tx = _usd([(s, r, a, pd.Timestamp("2024-01-01") + pd.Timedelta(days=d)) for s, r, a, d in rows])
    assert_alerts_equal(dormant_burst(tx), dormant_burst(tx.iloc[::-1].reset_index(drop=True)))
