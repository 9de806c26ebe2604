"""scatter_gather (A -> {B} -> C) and gather_scatter ({A} -> M -> {C}), in time order."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.detect.scatter_gather import gather_scatter, scatter_gather
from finintel.errors import ConfigError
from finintel.testing import assert_alerts_equal, transactions

SRC = "msisdn:+254711111111"
DST = "acct:KCB/1100223344"
T0 = pd.Timestamp("2024-03-04 08:00")


def _scatter(k: int = 5, lag_hours: float = 6, step_hours: float = 3, keep: float = 0.96) -> list[tuple]:  # type: ignore[type-arg]
    rows = []
    for i in range(k):
        b = f"msisdn:+2547220000{i:02d}"
        t = T0 + pd.Timedelta(hours=step_hours * i)
        rows.append((SRC, b, 90_000, t))
        rows.append((b, DST, 90_000 * keep, t + pd.Timedelta(hours=lag_hours)))
    return rows


def test_scatter_gather_found_with_hand_computed_numbers() -> None:
    alerts = scatter_gather(transactions(_scatter()), profile="KE")
    assert len(alerts) == 1
    a = alerts.iloc[0]
    assert a["entity"] == SRC and a["destination"] == DST and a["pace"] == "fast"
    assert a["k"] == 5 and len(a["tx_ids"]) == 10
    assert a["accounts"][0] == SRC and a["accounts"][-1] == DST and len(a["accounts"]) == 7
    assert a["total_out"] == 450_000 and a["total_in"] == pytest.approx(432_000)
    assert a["retained_fraction"] == 0.96
    assert a["start"] == pd.Timestamp("2024-03-04 08:00", tz="UTC")
    assert a["end"] == pd.Timestamp("2024-03-04 02:00", tz="UTC") + pd.Timedelta(hours=24)  # 20:00 + 6h
    # r = (0.96 - 0.8) / 0.2 = 0.8; n = 5 / 6; v = 450,000 / 1,000,000 = 0.45
    assert a["score"] == pytest.approx(0.5 + 0.2 * 0.8 + 0.15 * 5 / 6 + 0.15 * 0.45, abs=1e-4)
    assert a["reason"] == (
        f"KES 450,000.00 left {SRC} to 5 accounts on 4 Mar 2024 and KES 432,000.00 (96%) reached {DST} "
        "from them on 4-5 Mar 2024, each leg within 6 hours"
    )


def test_scatter_gather_needs_time_order() -> None:
    assert scatter_gather(transactions(_scatter(lag_hours=-1))).empty  # each B pays C before A pays B


def test_scatter_gather_needs_value_conserved_and_enough_intermediaries() -> None:
    assert scatter_gather(transactions(_scatter(keep=0.5))).empty
    assert scatter_gather(transactions(_scatter(k=2))).empty
    assert len(scatter_gather(transactions(_scatter(k=2)), min_intermediaries=2)) == 1


def test_scatter_gather_slow_version_scores_lower() -> None:
    fast = scatter_gather(transactions(_scatter()))
    slow = scatter_gather(transactions(_scatter(lag_hours=20 * 24, step_hours=24 * 5)))
    assert list(slow["pace"]) == ["slow"] and slow.at[0, "k"] == 5
    assert slow.at[0, "score"] < fast.at[0, "score"]
    assert scatter_gather(transactions(_scatter(lag_hours=20 * 24, step_hours=24 * 5)), slow_window="10D").empty


def test_scatter_gather_first_legs_far_apart_split_into_episodes() -> None:
    rows = _scatter(k=3) + [(s, r, a, t + pd.Timedelta(days=30)) for s, r, a, t in _scatter(k=3)]
    rows = [(s, r.replace("2200", "3300") if i >= 6 and r != DST else r, a, t) for i, (s, r, a, t) in enumerate(rows)]
    rows = [(s.replace("2200", "3300") if i >= 6 and s != SRC else s, r, a, t) for i, (s, r, a, t) in enumerate(rows)]
    alerts = scatter_gather(transactions(rows))
    # fast: two episodes of 3; slow (30D) would join them but shares first legs with the fast ones
    assert list(alerts["k"]) == [3, 3] and set(alerts["pace"]) == {"fast"}


def test_scatter_gather_ignores_hub_intermediaries() -> None:
    rows = _scatter()
    rows += [("msisdn:+254722000000", f"x{i}", 10, T0 - pd.Timedelta(days=1)) for i in range(20)]
    assert len(scatter_gather(transactions(rows))) == 1
    alerts = scatter_gather(transactions(rows), max_degree=10)  # B0 has 22 transfers: not followed
    assert alerts.at[0, "k"] == 4


BROKER = "msisdn:+251911000000"


def _gather(n_in: int = 4, n_out: int = 3, lag_hours: float = 12, paid: float = 0.95) -> list[tuple]:  # type: ignore[type-arg]
    rows = [(f"msisdn:+2547000000{i:02d}", BROKER, 30_000, T0 + pd.Timedelta(hours=2 * i)) for i in range(n_in)]
    total = 30_000 * n_in * paid
    last = T0 + pd.Timedelta(hours=2 * (n_in - 1))
    rows += [(BROKER, f"trx:TDest{j}", total / n_out, last + pd.Timedelta(hours=lag_hours + j)) for j in range(n_out)]
    return rows


def test_gather_scatter_found_with_hand_computed_numbers() -> None:
    alerts = gather_scatter(transactions(_gather()), profile="KE")
    assert len(alerts) == 1
    a = alerts.iloc[0]
    assert a["entity"] == BROKER and a["pace"] == "fast"
    assert a["sources"] == 4 and a["destinations"] == 3 and len(a["tx_ids"]) == 7
    assert a["total_in"] == 120_000 and a["total_out"] == pytest.approx(114_000)
    assert a["retained_fraction"] == 0.95
    assert a["end"] == pd.Timestamp("2024-03-04 14:00", tz="UTC") + pd.Timedelta(hours=14)
    # r = 0.75; n = 7 / 12; v = 120,000 / 1,000,000
    assert a["score"] == pytest.approx(0.5 + 0.2 * 0.75 + 0.15 * 7 / 12 + 0.15 * 0.12, abs=1e-4)
    assert a["reason"].startswith(
        f"{BROKER} received KES 120,000.00 from 4 accounts on 4 Mar 2024 and paid KES 114,000.00 (95%)"
    )


def test_gather_scatter_negative_cases() -> None:
    assert gather_scatter(transactions(_gather(lag_hours=-30))).empty  # paid out before collecting
    assert gather_scatter(transactions(_gather(paid=0.5))).empty
    assert gather_scatter(transactions(_gather(n_in=2))).empty
    assert gather_scatter(transactions(_gather(n_out=2))).empty


def test_gather_scatter_paying_back_the_senders_is_not_scattering() -> None:
    rows = _gather(n_out=0)
    rows += [(BROKER, s, 28_000, T0 + pd.Timedelta(days=1, hours=i)) for i, (s, *_rest) in enumerate(rows[:4])]
    assert gather_scatter(transactions(rows)).empty


def test_gather_scatter_slow_scores_lower() -> None:
    fast = gather_scatter(transactions(_gather()))
    slow = gather_scatter(transactions(_gather(lag_hours=24 * 20)))
    assert list(slow["pace"]) == ["slow"] and slow.at[0, "score"] < fast.at[0, "score"]


def test_bad_parameters() -> None:
    with pytest.raises(ConfigError, match="min_return"):
        scatter_gather(transactions(_scatter()), min_return=0)
    with pytest.raises(ConfigError, match="slow_window"):
        gather_scatter(transactions(_gather()), slow_window="often")


@settings(max_examples=8, deadline=None)
@given(st.randoms(use_true_random=False))
def test_row_order_does_not_change_alerts(rnd) -> None:  # type: ignore[no-untyped-def]
    rows = _scatter() + _gather() + [("x", "y", 5, T0), ("y", "z", 5, T0)]
    recs = [
        {"tx_id": f"id{i}", "sender": s, "receiver": r, "amount": float(a), "timestamp": t}
        for i, (s, r, a, t) in enumerate(rows)
    ]
    shuffled = list(recs)
    rnd.shuffle(shuffled)
    left, right = transactions(recs), transactions(shuffled)
    assert_alerts_equal(scatter_gather(left), scatter_gather(right))
    assert_alerts_equal(gather_scatter(left), gather_scatter(right))


@settings(max_examples=15, deadline=None)
@given(st.integers(3, 8), st.lists(st.integers(1, 48), min_size=8, max_size=8))
def test_second_legs_all_before_first_legs_never_alert(k, hours) -> None:  # type: ignore[no-untyped-def]
    rows = []
    for i in range(k):
        rows.append(("A", f"B{i}", 1_000, T0 + pd.Timedelta(days=3, hours=hours[i])))
        rows.append((f"B{i}", "C", 1_000, T0 + pd.Timedelta(hours=hours[i])))
    assert scatter_gather(transactions(rows)).empty
    assert gather_scatter(transactions(rows)).empty
