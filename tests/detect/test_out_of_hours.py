from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.detect.out_of_hours import out_of_hours
from finintel.testing import assert_alerts_equal, transactions


def test_fixture_night_wallets(tx_small: pd.DataFrame) -> None:
    alerts = out_of_hours(tx_small, profile="KE")  # 21:30 UTC is 00:30 in Nairobi
    assert alerts["entity"].tolist() == ["msisdn:+254700000004", "msisdn:+254700000005"]
    assert alerts["n_night"].tolist() == [7, 7] and alerts["night_share"].tolist() == [1.0, 1.0]
    assert alerts["score"].tolist() == pytest.approx([0.94, 0.94])  # 0.4 + 0.5 + 0.02 * 2
    assert out_of_hours(tx_small).empty  # in UTC, 21:30 is evening, not night


def test_share_and_count_thresholds() -> None:
    night = [("a", "b", 10, f"2024-03-{d:02d} 23:00") for d in range(1, 6)]
    day = [("a", "c", 10, f"2024-03-{d:02d} 12:00") for d in range(1, 7)]
    assert set(out_of_hours(transactions(night + day))["entity"]) == {"b"}  # a: 5 of 11 at night < 50%
    assert out_of_hours(transactions(night[:4])).empty  # 4 < min_count
    alerts = out_of_hours(
        transactions(night + day), min_share=0.4, max_p_value=1.0
    )  # 5 of 11 is not unlikely by chance
    assert set(alerts["entity"]) == {"a", "b"}


def test_periods_split_by_local_month() -> None:
    rows = [("a", f"r{i}", 10, f"2024-03-{28 + i} 23:00") for i in range(3)]
    rows += [("a", f"s{i}", 10, f"2024-04-0{1 + i} 23:00") for i in range(3)]
    assert out_of_hours(transactions(rows)).empty  # 3 + 3 in two months
    assert out_of_hours(transactions(rows), period="all")["n_night"].tolist() == [6]


def test_crypto_is_left_out() -> None:
    rows = [("eth:0xa", "eth:0xb", 1, f"2024-03-0{d} 02:00") for d in range(1, 8)]
    assert out_of_hours(transactions(rows, channel="crypto")).empty


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(5, 21), min_size=1, max_size=30))
def test_daytime_never_fires(hours: list[int]) -> None:
    tx = transactions([("a", "b", 10, pd.Timestamp("2024-03-01") + pd.Timedelta(hours=h)) for h in hours])
    assert out_of_hours(tx).empty


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from("xy"), st.integers(0, 24 * 60)), min_size=1, max_size=40)
)
def test_order_invariance(rows: list[tuple[str, str, int]]) -> None:
    tx = transactions([(s, r, 5, pd.Timestamp("2024-01-01") + pd.Timedelta(hours=h)) for s, r, h in rows])
    shuffled = tx.sample(frac=1.0, random_state=1).reset_index(drop=True)
    assert_alerts_equal(out_of_hours(tx, min_count=2), out_of_hours(shuffled, min_count=2))


def test_date_only_records_are_not_night():
    """Statements with dates only are read at local midnight: their time is unknown, not 00:00."""
    from finintel.detect.out_of_hours import out_of_hours
    from finintel.testing import transactions

    rows = [("acct-A", f"acct-{d}", 500, f"2024-03-{d:02d} 00:00+03:00") for d in range(1, 9)]
    assert out_of_hours(transactions(rows), profile="KE").empty
    assert len(out_of_hours(transactions(rows), profile="KE", skip_midnight=False)) >= 1


def test_a_handful_of_night_transfers_is_not_enough_when_it_could_be_luck() -> None:
    """5 of 9 transfers at night happens by chance for 8% of accounts active around the clock."""
    night = [("a", f"n{d}", 10, f"2024-03-{d:02d} 23:00") for d in range(1, 6)]
    day = [("a", f"d{d}", 10, f"2024-03-{d:02d} 12:00") for d in range(1, 5)]
    assert out_of_hours(transactions(night + day), min_share=0.5).query("entity == 'a'").empty
    assert len(out_of_hours(transactions(night + day), min_share=0.5, max_p_value=1.0).query("entity == 'a'")) == 1
