from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import finintel as fi
from finintel.detect.structuring import structuring
from finintel.testing import transactions


def test_sender_variant_ke_profile(tx_small: pd.DataFrame) -> None:
    alerts = structuring(tx_small, profile="KE")
    assert len(alerts) == 1
    a = alerts.iloc[0]
    assert a["entity"] == "msisdn:+254700000001"
    assert list(a["tx_ids"]) == ["t1", "t2", "t3", "t4"]  # the failed 999,000 transfer is not evidence
    assert a["variant"] == "sender"
    assert a["total"] == 3_880_000.0
    assert a["reason"] == (
        "4 transfers of KES 950,000.00 to 990,000.00 (total KES 3,880,000.00) within 4 days, "
        "each under the KES 1,000,000.00 reporting threshold, to 4 recipients."
    )
    # closeness (0.5 + 0.8 + 0.9 + 0.6) / 4 = 0.7 -> 0.5 + 0.1 * 1 + 0.3 * 0.7
    assert abs(a["score"] - 0.81) < 1e-9


def test_generic_profile_ignores_kes_without_rate(tx_small: pd.DataFrame) -> None:
    # generic profile is in USD with no KES rate: KES amounts are never compared with USD 10,000
    assert structuring(tx_small).empty


def test_fx_conversion_to_profile_currency() -> None:
    tx = transactions([("a", f"r{i}", 7_500, f"2024-01-0{i + 1}") for i in range(3)], currency="USD")
    alerts = structuring(tx, profile="KE")  # 7,500 USD * 129 = 967,500 KES
    assert len(alerts) == 1 and alerts.at[0, "min_amount"] == 967_500.0


def test_at_threshold_and_spread_out_do_not_fire() -> None:
    at = transactions([("a", "b", 10_000, f"2024-01-0{d}") for d in (1, 2, 3)], currency="USD")
    assert structuring(at).empty
    spread = transactions([("a", "b", 9_900, f"2024-01-{d:02d}") for d in (1, 10, 20)], currency="USD")
    assert structuring(spread).empty
    assert len(structuring(spread, window="20D")) == 1


def test_receiver_variant_many_depositors() -> None:
    tx = transactions(
        [(f"payer{i}", "mule", 9_600 + 50 * i, f"2024-05-0{i + 1} 12:00") for i in range(4)], currency="USD"
    )
    alerts = structuring(tx)
    assert alerts["variant"].tolist() == ["receiver"]
    assert alerts.at[0, "entity"] == "mule"
    assert alerts.at[0, "n_counterparties"] == 4
    assert "from 4 different senders into this one account" in alerts.at[0, "reason"]
    # the same deposits from only two senders are not the depositor variant
    two = transactions([(f"payer{i % 2}", "mule", 9_600, f"2024-05-0{i + 1}") for i in range(4)], currency="USD")
    assert structuring(two).empty


def test_overlapping_windows_merge_into_one_alert() -> None:
    tx = transactions([("a", "b", 9_500, f"2024-01-{d:02d}") for d in range(1, 11)], currency="USD")
    alerts = structuring(tx)
    assert len(alerts) == 1 and alerts.at[0, "n_tx"] == 10


def test_profile_specific_parameter() -> None:
    tx = transactions([("a", "b", 9_500, f"2024-01-0{d}") for d in (1, 2, 3)], currency="USD")
    assert structuring(tx, profile={"structuring.min_count": 4}).empty
    assert fi.detect.run(tx, ["structuring"], params={"structuring": {"min_count": 3}}).shape[0] == 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(10_000, 1e9, allow_nan=False), min_size=1, max_size=20))
def test_nothing_fires_at_or_above_threshold(amounts: list[float]) -> None:
    tx = transactions([("s", "r", a, "2024-01-01") for a in amounts], currency="USD")
    assert structuring(tx).empty


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.sampled_from("xyz"), st.floats(8_500, 10_500), st.integers(0, 20)),
        min_size=1,
        max_size=25,
    )
)
def test_row_order_invariance(rows: list[tuple[str, str, float, int]]) -> None:
    base = [(s, r, a, pd.Timestamp("2024-01-01") + pd.Timedelta(days=d)) for s, r, a, d in rows]
    tx = transactions(base, currency="USD")
    shuffled = tx.sample(frac=1.0, random_state=len(rows)).reset_index(drop=True)
    fi.testing.assert_alerts_equal(structuring(tx), structuring(shuffled))
