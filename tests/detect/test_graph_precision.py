"""Precision screens of the graph detectors: value floor, share of activity, loops left to cycle,
slow pass-through to one handler (issue 8: alert volume on ordinary ledgers)."""

from __future__ import annotations

import pandas as pd

from finintel.detect.cycle import cycle
from finintel.detect.layering_chain import layering_chain
from finintel.detect.rapid_pass_through import rapid_pass_through
from finintel.detect.scatter_gather import gather_scatter
from finintel.errors import ConfigError
from finintel.testing import transactions

M = [f"msisdn:+25471100000{i}" for i in range(10)]


def _loop(amounts: tuple[float, float, float, float], currency: str = "KES") -> list[tuple]:  # type: ignore[type-arg]
    times = ("2024-03-04 08:00", "2024-03-04 12:00", "2024-03-05 09:00", "2024-03-06 08:00")
    path = [M[3], M[1], M[2], M[4], M[3]]
    return [(path[i], path[i + 1], amounts[i], times[i], {"currency": currency}) for i in range(4)]


def test_loop_below_the_value_floor_is_not_reported() -> None:
    # KE: 5% of KES 1,000,000 = KES 50,000; the first leg is 40,000
    small = transactions(_loop((40_000, 38_000, 37_000, 36_000)))
    assert cycle(small, profile="KE").empty
    assert len(cycle(small, profile="KE", min_value=0.04)) == 1


def test_value_floor_converts_other_currencies_with_the_profile_rates() -> None:
    # KE fx_to_local UGX 0.035: UGX 2,000,000 = KES 70,000 (kept); UGX 1,000,000 = KES 35,000 (dropped)
    big = transactions(_loop((2_000_000, 1_900_000, 1_850_000, 1_800_000), "UGX"))
    small = transactions(_loop((1_000_000, 950_000, 925_000, 900_000), "UGX"))
    assert list(cycle(big, profile="KE")["total_out"]) == [2_000_000]
    assert cycle(small, profile="KE").empty
    # a currency without a rate has no known value: the floor does not apply
    assert len(cycle(transactions(_loop((0.04, 0.039, 0.038, 0.037), "ETH")), profile="KE")) == 1


def test_loop_among_busy_accounts_is_ordinary_use() -> None:
    # the loop touches its members with 380k + 390k + 375k + 365k = 1,510,000;
    # M[1] also pays shops 8 x 200,000 while it runs: share 1,510 / 3,110 = 0.486 < 0.5
    shops = [(M[1], f"acct:SHOP/{i}", 200_000, f"2024-03-05 {10 + i}:00") for i in range(8)]
    tx = transactions(_loop((200_000, 190_000, 185_000, 180_000)) + shops)
    assert cycle(tx, profile="KE").empty
    assert len(cycle(tx, profile="KE", min_activity_share=0.48)) == 1
    # seven shop payments: 1,510 / 2,910 = 0.519 -> reported
    assert len(cycle(transactions(_loop((200_000, 190_000, 185_000, 180_000)) + shops[:7]), profile="KE")) == 1


GS = [
    ("msisdn:+254700000011", "broker", 60_000, "2024-03-01 09:00"),
    ("msisdn:+254700000012", "broker", 60_000, "2024-03-01 12:00"),
    ("msisdn:+254700000013", "broker", 80_000, "2024-03-02 10:00"),
    ("broker", "driver", 70_000, "2024-03-02 12:00"),
    ("broker", "agent-LY", 90_000, "2024-03-03 08:00"),
    ("broker", "agent-SD", 30_000, "2024-03-03 09:00"),
]


def test_gather_scatter_hub_with_other_business_that_month_is_not_a_collection_account() -> None:
    alone = gather_scatter(transactions(GS), profile="KE")
    assert list(alone["entity"]) == ["broker"]
    # a KES 400,000 salary 15 days earlier: the pattern's 390,000 is 49% of the hub's 790,000
    salary = [("employer", "broker", 400_000, "2024-02-15 09:00")]
    busy = transactions(salary + GS)
    assert gather_scatter(busy, profile="KE").empty
    # measured over 7 days around the pattern, the salary is outside: reported again
    assert list(gather_scatter(busy, profile="KE", activity_context="7D")["entity"]) == ["broker"]


def test_chain_that_closes_into_a_loop_is_left_to_cycle() -> None:
    rows = [
        ("recruiter", "mule-1", 500_000, "2024-03-03 09:00"),
        ("mule-1", "mule-2", 490_000, "2024-03-03 15:00"),
        ("mule-2", "mule-3", 480_000, "2024-03-04 10:00"),
        ("mule-3", "recruiter", 470_000, "2024-03-05 08:00"),
    ]
    tx = transactions(rows)
    assert layering_chain(tx, profile="KE").empty
    assert len(cycle(tx, profile="KE")) == 1
    # without the rule, the chain from the first transfer (three hops) and its rotation from the second
    kept = layering_chain(tx, profile="KE", drop_loops=False)
    assert sorted(list(ids) for ids in kept["tx_ids"]) == [["t1", "t2", "t3"], ["t2", "t3", "t4"]]


def test_slow_pass_through_must_go_mostly_to_one_receiver() -> None:
    # four inflows of 100,000, each sent on three days later: 75,000 to the handler, 25,000 to a shop
    rows = []
    for i, d in enumerate((1, 6, 11, 16)):
        t = pd.Timestamp(f"2024-03-{d:02d} 08:00")
        rows.append((f"msisdn:+2547330000{i:02d}", "mule", 100_000, t))
        rows.append(("mule", "handler", 75_000, t + pd.Timedelta(hours=72)))
        rows.append(("mule", "shop", 25_000, t + pd.Timedelta(hours=73)))
    tx = transactions(rows)
    assert rapid_pass_through(tx, profile="KE").empty  # top receiver share 0.75 < 0.8
    slow = rapid_pass_through(tx, profile="KE", slow_top_receiver_share=0.7)
    assert list(slow["pace"]) == ["slow"] and list(slow["top_receiver_share"]) == [0.75]


def test_mule_with_much_other_activity_around_the_period_is_not_flagged() -> None:
    rows = []
    for i, d in enumerate((1, 3, 5)):
        t = pd.Timestamp(f"2024-03-{d:02d} 08:00")
        rows.append((f"msisdn:+2547330000{i:02d}", "mule", 50_000, t))
        rows.append(("mule", "boss", 48_000, t + pd.Timedelta(hours=2)))
    assert len(rapid_pass_through(transactions(rows), profile="KE")) == 1
    # 294,000 in the period; a 100,000 deposit 20 days before: share 294 / 394 = 0.746 < 0.8
    deposit = [("employer", "mule", 100_000, "2024-02-10 08:00")]
    assert rapid_pass_through(transactions(deposit + rows), profile="KE").empty
    assert len(rapid_pass_through(transactions(deposit + rows), profile="KE", activity_context="7D")) == 1


def test_bad_screen_parameters() -> None:
    tx = transactions(GS)
    for call, name in (
        (lambda: cycle(tx, min_activity_share=1.5), "min_activity_share"),
        (lambda: gather_scatter(tx, slow_activity_share=-0.1), "slow_activity_share"),
        (lambda: layering_chain(tx, min_activity_share=2), "min_activity_share"),
        (lambda: rapid_pass_through(tx, slow_top_receiver_share=1.2), "slow_top_receiver_share"),
        (lambda: rapid_pass_through(tx, activity_context="soon"), "activity_context"),
    ):
        try:
            call()
        except ConfigError as exc:
            assert name in str(exc)
        else:  # pragma: no cover - a failing test shows this
            raise AssertionError(f"{name} accepted a bad value")


def test_slow_gather_scatter_must_gather_first_then_scatter() -> None:
    rows = [
        ("msisdn:+254700000011", "broker", 60_000, "2024-03-01 09:00"),
        ("msisdn:+254700000012", "broker", 60_000, "2024-03-10 12:00"),
        ("broker", "driver", 70_000, "2024-03-12 12:00"),  # paid out before the last inflow
        ("msisdn:+254700000013", "broker", 80_000, "2024-03-20 10:00"),
        ("broker", "agent-LY", 90_000, "2024-03-22 08:00"),
        ("broker", "agent-SD", 30_000, "2024-03-23 09:00"),
    ]
    tx = transactions(rows)
    # 120,000 of the 190,000 paid out after the last inflow: 63% < 80%
    assert gather_scatter(tx, profile="KE").empty
    slow = gather_scatter(tx, profile="KE", slow_paid_after=0.6)
    assert list(slow["pace"]) == ["slow"] and list(slow["total_out"]) == [190_000]


def test_fast_pass_through_spread_over_many_payees_is_not_a_relay() -> None:
    rows = []
    for i, d in enumerate((1, 3, 5)):
        t = pd.Timestamp(f"2024-03-{d:02d} 08:00")
        rows.append((f"msisdn:+2547330000{i:02d}", "trader", 50_000, t))
        rows.append(("trader", f"supplier-{i}", 48_000, t + pd.Timedelta(hours=2)))
    tx = transactions(rows)
    # three payees of 48,000 each: the largest takes a third of the outflows, under 0.5
    assert rapid_pass_through(tx, profile="KE").empty
    fast = rapid_pass_through(tx, profile="KE", min_top_receiver_share=0.3)
    assert list(fast["pace"]) == ["fast"] and list(fast["top_receiver_share"]) == [0.3333]


def test_fast_gather_scatter_paying_out_between_inflows_is_ordinary_use() -> None:
    rows = [
        ("msisdn:+254700000011", "broker", 60_000, "2024-03-01 09:00"),
        ("msisdn:+254700000012", "broker", 60_000, "2024-03-01 12:00"),
        ("broker", "driver", 70_000, "2024-03-01 14:00"),
        ("broker", "agent-SD", 30_000, "2024-03-01 15:00"),
        ("msisdn:+254700000013", "broker", 80_000, "2024-03-02 10:00"),
        ("broker", "agent-LY", 90_000, "2024-03-03 08:00"),
    ]
    tx = transactions(rows)
    # 90,000 of the 190,000 paid out after the last inflow: 47% < 50%
    assert gather_scatter(tx, profile="KE").empty
    fast = gather_scatter(tx, profile="KE", paid_after=0.4)
    assert list(fast["pace"]) == ["fast"] and list(fast["destinations"]) == [3]


def test_slow_two_hop_loop_is_a_repayment_not_a_cycle() -> None:
    rows = [(M[1], M[2], 200_000, "2024-01-02 10:00"), (M[2], M[1], 190_000, "2024-01-25 10:00")]
    assert cycle(transactions(rows), profile="KE").empty
    slow = cycle(transactions(rows), profile="KE", slow_min_hops=2)
    assert list(slow["pace"]) == ["slow"] and list(slow["hops"]) == [2]
