"""layering_chain: time-ordered paths where each hop keeps most of the value."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.detect.layering_chain import layering_chain
from finintel.errors import ConfigError
from finintel.testing import assert_alerts_equal, transactions

T0 = pd.Timestamp("2024-03-03 09:00")
PATH = [
    "msisdn:+254700100100",
    "msisdn:+254700100101",
    "acct:EQUITY/0011",
    "msisdn:+256772000001",
    "trx:TQdest0000000000000000000000001",
    "cash:AGENT-77",
]


def _chain(hops: int = 5, gap_hours: float = 5, keep: float = 0.97, amount: float = 300_000) -> list[tuple]:  # type: ignore[type-arg]
    rows = []
    for i in range(hops):
        rows.append((PATH[i], PATH[i + 1], round(amount * keep**i, 2), T0 + pd.Timedelta(hours=gap_hours * i)))
    return rows


def test_chain_found_with_hand_computed_numbers() -> None:
    alerts = layering_chain(transactions(_chain()), profile="KE")
    assert len(alerts) == 1  # the 3- and 4-hop sub-chains are not reported
    a = alerts.iloc[0]
    assert a["entity"] == PATH[0] and list(a["accounts"]) == PATH
    assert list(a["tx_ids"]) == ["t1", "t2", "t3", "t4", "t5"]
    assert a["hops"] == 5 and a["pace"] == "fast"
    assert a["total_out"] == 300_000 and a["total_in"] == pytest.approx(265_587.84)
    assert a["retained_fraction"] == pytest.approx(0.8853, abs=1e-4)
    assert a["duration_hours"] == 20.0
    # 0.5 + 0.2 * 0.8853 + 0.15 * 5/6 + 0.15 * 0.3
    assert a["score"] == pytest.approx(0.5 + 0.2 * 265_587.84 / 300_000 + 0.125 + 0.045, abs=1e-4)
    assert a["reason"].startswith(
        f"KES 300,000.00 left {PATH[0]} on 3 Mar 2024 and went through 4 accounts in 5 hops to cash:AGENT-77"
    )
    assert a["reason"].endswith("each hop within 5 hours of the last")


def test_too_short_chain_is_not_reported() -> None:
    assert layering_chain(transactions(_chain(hops=2))).empty
    assert len(layering_chain(transactions(_chain(hops=2)), min_hops=2)) == 1


def test_time_order_broken_cuts_the_chain() -> None:
    assert len(layering_chain(transactions(_chain(hops=4)))) == 1
    rows = _chain(hops=4)
    rows[2] = (*rows[2][:3], T0 - pd.Timedelta(hours=1))  # the third hop happens before the first
    assert layering_chain(transactions(rows)).empty  # what is left is two 2-hop pieces


def test_value_not_kept_cuts_the_chain() -> None:
    rows = _chain(hops=5)
    rows[3] = (*rows[3][:2], 100_000, rows[3][3])  # the fourth hop passes on a third of the money
    alerts = layering_chain(transactions(rows))
    assert list(alerts["hops"]) == [3] and list(alerts.at[0, "tx_ids"]) == ["t1", "t2", "t3"]


def test_hop_larger_than_the_last_is_new_money() -> None:
    assert layering_chain(transactions(_chain(keep=1.1))).empty


def test_slow_chain_scores_lower_and_window_bounds_it() -> None:
    fast = layering_chain(transactions(_chain()))
    slow = layering_chain(transactions(_chain(gap_hours=24 * 10)))
    assert list(slow["pace"]) == ["slow"] and slow.at[0, "hops"] == 5
    assert slow.at[0, "score"] < fast.at[0, "score"]
    assert layering_chain(transactions(_chain(gap_hours=24 * 10)), slow_window="7D").empty


def test_branches_report_the_longest_chain_per_first_transfer() -> None:
    rows = _chain(hops=4) + [(PATH[2], "msisdn:+254799999999", 280_000, T0 + pd.Timedelta(hours=12))]
    alerts = layering_chain(transactions(rows))
    assert list(alerts["hops"]) == [4]


def test_account_revisited_does_not_loop_the_chain() -> None:
    rows = _chain(hops=3) + [(PATH[3], PATH[1], 270_000, T0 + pd.Timedelta(hours=16))]
    alerts = layering_chain(transactions(rows))
    assert list(alerts["accounts"]) == [PATH[:4]]  # the loop back to PATH[1] is not a fourth hop


def test_bad_parameters() -> None:
    with pytest.raises(ConfigError, match="min_hops"):
        layering_chain(transactions(_chain()), min_hops=1)
    with pytest.raises(ConfigError, match="min_keep"):
        layering_chain(transactions(_chain()), min_keep=2)


@settings(max_examples=10, deadline=None)
@given(st.randoms(use_true_random=False))
def test_row_order_does_not_change_alerts(rnd) -> None:  # type: ignore[no-untyped-def]
    rows = _chain() + [("x", "y", 100, T0), ("y", "z", 99, T0), ("z", "w", 98, T0)]
    recs = [
        {"tx_id": f"id{i}", "sender": s, "receiver": r, "amount": float(a), "timestamp": t}
        for i, (s, r, a, t) in enumerate(rows)
    ]
    shuffled = list(recs)
    rnd.shuffle(shuffled)
    assert_alerts_equal(layering_chain(transactions(recs)), layering_chain(transactions(shuffled)))


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 1_000), min_size=3, max_size=8))
def test_chain_in_reverse_time_order_never_alerts(amounts) -> None:  # type: ignore[no-untyped-def]
    rows = [(f"n{i}", f"n{i + 1}", 1_000, T0 - pd.Timedelta(hours=i + amounts[i] / 1_000)) for i in range(len(amounts))]
    assert layering_chain(transactions(rows), min_hops=2).empty
