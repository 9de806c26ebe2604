"""cycle: time-respecting loops that return most of the value."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.detect.cycle import cycle
from finintel.errors import ConfigError
from finintel.testing import assert_alerts_equal, transactions

LOOP = [
    ("msisdn:+254711000003", "msisdn:+254711000001", 200_000, "2024-03-04 08:00"),
    ("msisdn:+254711000001", "msisdn:+254711000002", 190_000, "2024-03-04 12:00"),
    ("msisdn:+254711000002", "msisdn:+254711000004", 185_000, "2024-03-05 09:00"),
    ("msisdn:+254711000004", "msisdn:+254711000003", 180_000, "2024-03-06 08:00"),
]


def test_four_hop_loop_found_with_hand_computed_numbers() -> None:
    alerts = cycle(transactions(LOOP), profile="KE")
    assert len(alerts) == 1
    a = alerts.iloc[0]
    assert a["entity"] == "msisdn:+254711000001"  # smallest member, not the first sender
    assert list(a["accounts"]) == [
        "msisdn:+254711000003",
        "msisdn:+254711000001",
        "msisdn:+254711000002",
        "msisdn:+254711000004",
    ]
    assert list(a["tx_ids"]) == ["t1", "t2", "t3", "t4"]
    assert a["hops"] == 4 and a["pace"] == "fast"
    assert a["total_out"] == 200_000 and a["total_returned"] == 180_000
    assert a["returned_fraction"] == 0.9
    assert a["duration_hours"] == 48.0
    # KE threshold KES 1,000,000: v = 0.2; r = (0.9 - 0.8) / 0.2 = 0.5; h = 1 -> 0.5 + 0.1 + 0.15 + 0.03
    assert a["score"] == pytest.approx(0.78)
    assert a["start"] == pd.Timestamp("2024-03-04 08:00", tz="UTC")
    assert a["end"] == pd.Timestamp("2024-03-06 08:00", tz="UTC")
    assert "KES 200,000.00 left msisdn:+254711000003 on 4 Mar 2024" in a["reason"]
    assert "KES 180,000.00 (90%)" in a["reason"] and "2 days" in a["reason"]


def test_time_order_broken_is_no_cycle() -> None:
    rows = list(LOOP)
    rows[2] = (*LOOP[2][:3], "2024-03-01 09:00")  # the third hop happens before the second
    assert cycle(transactions(rows)).empty


def test_value_not_returned_is_no_cycle() -> None:
    rows = list(LOOP)
    rows[3] = (*LOOP[3][:2], 120_000, LOOP[3][3])  # only 60% comes back
    assert cycle(transactions(rows)).empty
    assert len(cycle(transactions(rows), min_return=0.5)) == 1


def test_too_long_loop_is_cut_by_max_length() -> None:
    assert cycle(transactions(LOOP), max_length=3).empty
    assert cycle(transactions(LOOP), min_length=5, max_length=6).empty


def test_slow_loop_found_with_lower_score() -> None:
    days = ["2024-01-02", "2024-01-20", "2024-02-10", "2024-03-01"]
    slow_rows = [(s, r, a, d) for (s, r, a, _), d in zip(LOOP, days, strict=True)]
    fast = cycle(transactions(LOOP), profile="KE")
    slow = cycle(transactions(slow_rows), profile="KE")
    assert list(slow["pace"]) == ["slow"]
    assert slow.at[0, "score"] == pytest.approx(0.6 * 0.78)
    assert slow.at[0, "score"] < fast.at[0, "score"]
    assert cycle(transactions(slow_rows), slow_window="30D").empty


def test_repeated_loops_merge_into_one_alert_and_slow_duplicates_drop() -> None:
    rows = []
    for week in range(3):
        day = 1 + 7 * week
        rows += [
            ("a", "b", 1_000, f"2024-05-{day:02d} 10:00"),
            ("b", "a", 950, f"2024-05-{day + 1:02d} 10:00"),
        ]
    alerts = cycle(transactions(rows))
    assert len(alerts) == 1
    assert alerts.at[0, "cycles"] == 3 and alerts.at[0, "total_out"] == 3_000
    assert len(alerts.at[0, "tx_ids"]) == 6
    assert alerts.at[0, "reason"].startswith("3 loops a -> b -> a on 1-16 May 2024")


def test_currencies_never_chain() -> None:
    rows = [dict(sender=s, receiver=r, amount=float(a), timestamp=t, currency="KES") for s, r, a, t in LOOP]
    rows[2]["currency"] = "USDT-TRC20"
    assert cycle(transactions(rows)).empty


def test_same_day_hops_in_date_only_statements_count() -> None:
    rows = [
        ("acct:X/1", "acct:X/2", 50_000, "2024-03-04"),
        ("acct:X/2", "acct:X/3", 49_000, "2024-03-04"),
        ("acct:X/3", "acct:X/1", 48_000, "2024-03-04"),
    ]
    alerts = cycle(transactions(rows))
    assert len(alerts) == 1 and alerts.at[0, "hops"] == 3  # rotations reported once


def test_bad_parameters() -> None:
    with pytest.raises(ConfigError, match="max_length"):
        cycle(transactions(LOOP), max_length=11)
    with pytest.raises(ConfigError, match="window"):
        cycle(transactions(LOOP), window="soon")


@settings(max_examples=12, deadline=None)
@given(st.randoms(use_true_random=False))
def test_row_order_does_not_change_alerts(rnd) -> None:  # type: ignore[no-untyped-def]
    rows = LOOP + [("a", "b", 1_000, "2024-05-01"), ("b", "a", 990, "2024-05-02"), ("b", "c", 10, "2024-05-02")]
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    ids = {r: f"x{i}" for i, r in enumerate(rows)}  # ids follow the transfer, not the row position
    left = transactions([{**_row(r), "tx_id": ids[r]} for r in rows])
    right = transactions([{**_row(r), "tx_id": ids[r]} for r in shuffled])
    assert_alerts_equal(cycle(left), cycle(right))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7), st.integers(1, 100)), max_size=40))
def test_dag_in_time_order_never_yields_a_cycle(edges) -> None:  # type: ignore[no-untyped-def]
    # every edge goes from a lower to a higher node number: no directed loop exists, whatever the times
    rows = [
        (f"n{min(a, b)}", f"n{max(a, b)}", 100 + amt, f"2024-01-01 00:{i % 60:02d}")
        for i, (a, b, amt) in enumerate(edges)
        if a != b
    ]
    assert cycle(transactions(rows), min_return=0.01).empty


def _row(r: tuple) -> dict:  # type: ignore[type-arg]
    return {"sender": r[0], "receiver": r[1], "amount": float(r[2]), "timestamp": r[3]}


@settings(max_examples=15, deadline=None)
@given(st.integers(3, 10), st.lists(st.integers(90, 100), min_size=10, max_size=10))
def test_ring_with_time_running_backwards_never_yields_a_cycle(n, amounts) -> None:  # type: ignore[no-untyped-def]
    # ring n0 -> n1 -> ... -> n0 where each hop happens an hour *before* the previous one
    rows = [
        (f"n{i}", f"n{(i + 1) % n}", amounts[i], pd.Timestamp("2024-01-02") - pd.Timedelta(hours=i)) for i in range(n)
    ]
    assert cycle(transactions(rows), max_length=10).empty
    amounts = sorted(amounts[:n], reverse=True)  # each hop no more than the first leg
    forward = [
        (s, r, amounts[i], pd.Timestamp("2024-01-01") + pd.Timedelta(hours=i)) for i, (s, r, _, _) in enumerate(rows)
    ]
    assert len(cycle(transactions(forward), max_length=10, min_return=0.5)) == 1


def test_loops_through_agents_and_exchange_bookkeeping_accounts_are_not_cycles() -> None:
    rows = [
        ("exch:binance/42", "exch:binance/42/convert", 0.5, "2024-03-01 10:00"),  # a trade and its undo
        ("exch:binance/42/convert", "exch:binance/42", 0.5, "2024-03-02 10:00"),
        ("msisdn:+254700000001", "cash:agent-7", 5_000, "2024-03-01 10:00"),  # cash out, then cash in
        ("cash:agent-7", "msisdn:+254700000001", 4_900, "2024-03-03 10:00"),
    ]
    assert cycle(transactions(rows)).empty
    rows += [
        ("msisdn:+254700000001", "msisdn:+254700000002", 5_000, "2024-03-04"),
        ("msisdn:+254700000002", "msisdn:+254700000001", 4_900, "2024-03-05"),
    ]
    assert list(cycle(transactions(rows))["hops"]) == [2]
