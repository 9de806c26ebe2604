from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.detect.ransom_corridor import ransom_corridor
from finintel.testing import assert_alerts_equal, transactions

W = "msisdn:+251911000001"


def _abroad(n: int, amount: float = 1_000, hour0: int = 8) -> list[tuple]:
    return [
        (f"d{i}", W, amount, f"2024-05-01 {hour0 + i:02d}:00", {"sender_country": "SE", "receiver_country": "ET"})
        for i in range(n)
    ]


def test_convergence_with_quick_cashout() -> None:
    rows = _abroad(4) + [
        (W, "cash:Agent 1", 3_000, "2024-05-01 20:00"),
        (W, "eth:0xabc", 900, "2024-05-02 09:00", {"channel": "crypto"}),
    ]
    alerts = ransom_corridor(transactions(rows, currency="USD"))
    a = alerts.iloc[0]
    assert (a["entity"], a["variant"], a["n_senders"]) == (W, "convergence", 4)
    assert a["cashout"] == 3_900.0 and a["cashout_share"] == pytest.approx(0.975)
    assert a["hours_to_cashout"] == pytest.approx(22.0)
    assert list(a["tx_ids"]) == ["t1", "t2", "t3", "t4", "t5", "t6"]
    assert a["score"] == pytest.approx(0.5 + 0.05 + 0.4 * 0.975)


def test_no_cashout_or_slow_cashout_does_not_fire() -> None:
    assert ransom_corridor(transactions(_abroad(5), currency="USD")).empty
    late = _abroad(5) + [(W, "cash:Agent 1", 4_900, "2024-05-10 10:00")]
    assert ransom_corridor(transactions(late, currency="USD")).empty
    assert len(ransom_corridor(transactions(late, currency="USD"), cashout_window="10D")) == 1


def test_domestic_payments_are_not_diaspora() -> None:
    rows = [
        (f"d{i}", W, 1_000, f"2024-05-01 0{i}:00", {"sender_country": "ET", "receiver_country": "ET"}) for i in range(5)
    ]
    rows.append((W, "cash:Agent 1", 5_000, "2024-05-01 12:00"))
    assert ransom_corridor(transactions(rows, currency="USD")).empty
    remit = [(f"d{i}", W, 1_000, f"2024-05-01 0{i}:00", {"channel": "remittance"}) for i in range(5)]
    assert len(ransom_corridor(transactions(remit + rows[-1:], currency="USD"))) == 1


def test_one_payer_at_the_cap_ke() -> None:
    payer, collector = "msisdn:+254722000001", "msisdn:+254733000002"
    rows = [(payer, collector, 250_000, f"2024-06-0{d} 10:00") for d in (1, 2, 3)]
    rows.append((collector, "cash:Agent Eastleigh", 700_000, "2024-06-03 15:00"))
    alerts = ransom_corridor(transactions(rows, channel="mobile_money"), profile="KE")
    assert alerts[["entity", "variant"]].values.tolist() == [[collector, "cap_repeats"]]
    assert alerts.at[0, "reason"].startswith("One payer sent this account 3 transfers at the KES 250,000.00 limit")
    assert ransom_corridor(transactions(rows, channel="mobile_money")).empty  # no cap in the generic profile


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 2), st.floats(100, 5_000))
def test_fewer_senders_never_fire(n: int, amount: float) -> None:
    rows = _abroad(n, amount) + [(W, "cash:Agent 1", amount * n, "2024-05-01 23:00")]
    assert ransom_corridor(transactions(rows, currency="USD")).empty


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 72), st.booleans()), min_size=1, max_size=20))
def test_order_invariance(rows: list[tuple[int, int, bool]]) -> None:
    t0 = pd.Timestamp("2024-05-01")
    base = [
        (f"d{s}", W, 500, t0 + pd.Timedelta(hours=h), {"sender_country": "SE", "receiver_country": "ET"})
        if not cash
        else (W, "cash:A", 800, t0 + pd.Timedelta(hours=h))
        for s, h, cash in rows
    ]
    tx = transactions(base, currency="USD")
    assert_alerts_equal(ransom_corridor(tx), ransom_corridor(tx.iloc[::-1].reset_index(drop=True)))
