from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.detect.corridor_velocity import corridor_velocity
from finintel.testing import assert_alerts_equal, transactions


def _row(s: str, r: str, amount: float, ts: str, sc: str = "KE", rc: str = "KE") -> tuple:
    return (s, r, amount, ts, {"sender_country": sc, "receiver_country": rc})


def test_generic_profile_has_no_corridors() -> None:
    tx = transactions([_row("a", "b", 900_000, "2024-03-01", "KE", "SA")])
    assert corridor_velocity(tx).empty
    assert len(corridor_velocity(tx, profile="KE")) == 2  # sender out, receiver in


def test_reverse_direction_and_baseline() -> None:
    history = [_row("family", "w", 30_000, f"2024-01-{d:02d}") for d in (3, 10, 17, 24, 31)]
    libya = [_row("x", "w", 300_000, "2024-03-05", "LY", "ET"), _row("y", "w", 250_000, "2024-03-06", "LY", "ET")]
    tx = transactions(history + libya)
    alerts = corridor_velocity(tx, profile="KE", high_risk_corridors=[["ET", "LY"]])
    mine = alerts[alerts["entity"] == "w"]
    assert mine["direction"].tolist() == ["in"] and mine["corridors"].tolist() == ["LY>ET"]
    assert mine["corridor_value"].tolist() == [550_000.0]
    # baseline: 150,000 in the 90 days before the window, per 7 days = 150,000 / (90 / 7)
    assert abs(mine["baseline_value"].iloc[0] - 150_000 * 7 / 90) < 1e-6
    assert corridor_velocity(tx, profile="KE", high_risk_corridors=[["ET", "LY"]], both_directions=False).empty


def test_usual_corridor_flows_stop_firing_once_a_baseline_exists() -> None:
    # a worker sending KES 600,000 home every week: new at first, then it is the account's normal
    rows = [
        _row("worker", "mum", 600_000, str(pd.Timestamp("2024-01-01") + pd.Timedelta(days=7 * i)), "SA", "KE")
        for i in range(30)
    ]
    alerts = corridor_velocity(transactions(rows), profile="KE")
    assert alerts["entity"].tolist() == ["mum", "worker"]
    # transfer k: its window holds 1.2M (k-1 and k), its baseline the k-1 earlier ones per 7 days:
    # 1.2M >= 5 * 600,000 * (k - 1) * 7 / 90 holds up to k = 6, the transfer of 12 February
    assert (alerts["end"] == pd.Timestamp("2024-02-12", tz="UTC")).all()
    assert alerts["n_tx"].tolist() == [7, 7]


def test_small_amounts_below_floor() -> None:
    tx = transactions([_row("a", "b", 400_000, "2024-03-01", "KE", "SA")])
    assert corridor_velocity(tx, profile="KE").shape[0] == 0


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from("ab"), st.floats(1, 499_999), st.sampled_from(["SA", "KE", "LY"]), st.integers(0, 200)
        ),
        min_size=1,
        max_size=20,
    )
)
def test_nothing_below_value_floor(rows: list[tuple[str, float, str, int]]) -> None:
    # one transfer per 8 days below KES 500,000 can never fill a 7-day window up to the floor
    tx = transactions(
        [
            _row(s, "r", a, str(pd.Timestamp("2024-01-01") + pd.Timedelta(days=8 * i)), "KE", c)
            for i, (s, a, c, _) in enumerate(rows)
        ]
    )
    assert corridor_velocity(tx, profile="KE").empty


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("ab"), st.floats(1_000, 900_000), st.sampled_from(["SA", "KE"]), st.integers(0, 200)),
        min_size=1,
        max_size=25,
    )
)
def test_order_invariance(rows: list[tuple[str, float, str, int]]) -> None:
    tx = transactions(
        [_row(s, "r", a, str(pd.Timestamp("2024-01-01") + pd.Timedelta(days=d)), "KE", c) for s, a, c, d in rows]
    )
    shuffled = tx.sample(frac=1.0, random_state=2).reset_index(drop=True)
    assert_alerts_equal(corridor_velocity(tx, profile="KE"), corridor_velocity(shuffled, profile="KE"))
