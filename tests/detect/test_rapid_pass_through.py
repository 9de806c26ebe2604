"""rapid_pass_through: most of each inflow leaves within hours, repeatedly (mule accounts)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.detect.rapid_pass_through import rapid_pass_through
from finintel.errors import ConfigError
from finintel.testing import assert_alerts_equal, transactions

MULE = "msisdn:+254722000001"
BOSS = "trx:TXyzBoss000000000000000000000001"


def _mule_rows(hold_hours: float = 2, days: tuple[int, ...] = (1, 3, 5, 7)) -> list[tuple]:  # type: ignore[type-arg]
    rows = []
    for i, d in enumerate(days):
        t = pd.Timestamp(f"2024-03-{d:02d} 08:00")
        rows.append((f"msisdn:+2547330000{i:02d}", MULE, 50_000, t))
        rows.append((MULE, BOSS, 46_000, t + pd.Timedelta(hours=hold_hours)))
    return rows


def test_mule_found_with_hand_computed_numbers() -> None:
    alerts = rapid_pass_through(transactions(_mule_rows()), profile="KE")
    assert len(alerts) == 1
    a = alerts.iloc[0]
    assert a["entity"] == MULE and a["pace"] == "fast"
    assert a["events"] == 4
    assert a["total_in"] == 200_000 and a["total_out"] == 184_000
    assert a["forwarded_fraction"] == 0.92
    assert a["median_hold_hours"] == 2.0
    assert len(a["tx_ids"]) == 8 and len(a["accounts"]) == 5
    assert a["start"] == pd.Timestamp("2024-03-01 08:00", tz="UTC")
    assert a["end"] == pd.Timestamp("2024-03-07 10:00", tz="UTC")
    # f = (0.92 - 0.8) / 0.2 = 0.6; n = 4 / 9; v = 200,000 / 1,000,000 = 0.2
    assert a["score"] == pytest.approx(0.5 + 0.2 * 0.6 + 0.15 * 4 / 9 + 0.15 * 0.2, abs=1e-4)
    assert a["reason"].startswith(f"{MULE} received KES 200,000.00 in 4 transfers from 4 accounts on 1-7 Mar 2024")
    assert "KES 184,000.00 (92%) to 1 account" in a["reason"]


def test_money_that_stays_is_not_pass_through() -> None:
    rows = [r if r[0] != MULE else (MULE, BOSS, 30_000, r[3]) for r in _mule_rows()]  # only 60% leaves
    assert rapid_pass_through(transactions(rows)).empty


def test_outflow_before_inflow_does_not_count() -> None:
    rows = _mule_rows(hold_hours=-2)  # the money left before it arrived: not passing it on
    assert rapid_pass_through(transactions(rows)).empty


def test_too_few_events() -> None:
    assert rapid_pass_through(transactions(_mule_rows(days=(1, 3)))).empty
    assert len(rapid_pass_through(transactions(_mule_rows(days=(1, 3))), min_events=2)) == 1


def test_large_leftover_balance_over_the_period_blocks_the_alert() -> None:
    rows = [*_mule_rows(), ("acct:EMPLOYER/1", MULE, 500_000, "2024-03-04 08:00")]  # salary that stays
    assert rapid_pass_through(transactions(rows)).empty


def test_gap_splits_periods() -> None:
    rows = _mule_rows(days=(1, 2, 3)) + [
        (s, r, a, t + pd.Timedelta(days=60)) for s, r, a, t in _mule_rows(days=(1, 2, 3))
    ]
    alerts = rapid_pass_through(transactions(rows))
    assert list(alerts["events"]) == [3, 3]


def test_slow_pass_through_scored_lower() -> None:
    fast = rapid_pass_through(transactions(_mule_rows(hold_hours=2)))
    slow_rows = _mule_rows(hold_hours=72, days=(1, 6, 11, 16))
    slow = rapid_pass_through(transactions(slow_rows))
    assert list(slow["pace"]) == ["slow"] and slow.at[0, "median_hold_hours"] == 72.0
    assert slow.at[0, "score"] < fast.at[0, "score"]
    assert rapid_pass_through(transactions(slow_rows), slow_window="48h").empty


def test_account_keeping_a_float_counts_each_outflow_once() -> None:
    # inflows every 2 days, each forwarded 3 days later: the account keeps a float of about one
    # inflow and, within 24h of each later inflow, pays out as much (money is fungible)
    alerts = rapid_pass_through(transactions(_mule_rows(hold_hours=72, days=(1, 3, 5, 7, 9))))
    assert len(alerts) == 1
    a = alerts.iloc[0]
    assert a["events"] == 4 and a["median_hold_hours"] == 24.0
    assert a["total_in"] == 200_000 and a["total_out"] == 184_000  # d3-d9 in, d4-d10 out
    assert list(a["tx_ids"]) == ["t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"]


def test_outflow_split_in_parts_counts_and_currencies_do_not_mix() -> None:
    rows = []
    for d in (1, 2, 3):
        rows += [
            ("a", "m", 1_000, f"2024-03-0{d} 08:00"),
            ("m", "b", 500, f"2024-03-0{d} 09:00"),
            ("m", "c", 450, f"2024-03-0{d} 10:00"),
        ]
    alerts = rapid_pass_through(transactions(rows))
    assert alerts.at[0, "events"] == 3 and alerts.at[0, "median_hold_hours"] == 2.0
    usd = [
        dict(sender=s, receiver=r, amount=float(a), timestamp=t, currency="USD" if s == "m" else "KES")
        for s, r, a, t in rows
    ]
    assert rapid_pass_through(transactions(usd)).empty


def test_bad_parameters() -> None:
    with pytest.raises(ConfigError, match="min_fraction"):
        rapid_pass_through(transactions(_mule_rows()), min_fraction=1.5)
    with pytest.raises(ConfigError, match="gap"):
        rapid_pass_through(transactions(_mule_rows()), gap="-1D")


@settings(max_examples=10, deadline=None)
@given(st.randoms(use_true_random=False))
def test_row_order_does_not_change_alerts(rnd) -> None:  # type: ignore[no-untyped-def]
    rows = _mule_rows() + [("x", "y", 10, "2024-03-02"), ("y", "z", 9, "2024-03-02 01:00")]
    recs = [
        {"tx_id": f"id{i}", "sender": s, "receiver": r, "amount": float(a), "timestamp": t}
        for i, (s, r, a, t) in enumerate(rows)
    ]
    shuffled = list(recs)
    rnd.shuffle(shuffled)
    assert_alerts_equal(rapid_pass_through(transactions(recs)), rapid_pass_through(transactions(shuffled)))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 79), min_size=3, max_size=8))
def test_forwarding_below_min_fraction_never_alerts(shares) -> None:  # type: ignore[no-untyped-def]
    rows = []
    for i, share in enumerate(shares):
        t = pd.Timestamp("2024-03-01") + pd.Timedelta(days=i)
        rows.append(("src", "m", 1_000, t))
        if share > 0:
            rows.append(("m", "dst", 10 * share, t + pd.Timedelta(hours=1)))
    assert rapid_pass_through(transactions(rows), slow_window="24h").empty
