from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.detect.fiat_crypto_offramp import fiat_crypto_offramp
from finintel.testing import assert_alerts_equal, transactions

A, C, W = "msisdn:+254711111111", "msisdn:+254722222222", "trx:TWalletOfA"


def _fiat(amount: float, ts: str, **kw: str) -> dict:
    return {"sender": A, "receiver": C, "amount": amount, "timestamp": ts, "channel": "mobile_money", **kw}


def _usdt(amount: float, ts: str, receiver: str = W, **kw: str) -> dict:
    return {
        "sender": "trx:TTrader",
        "receiver": receiver,
        "amount": amount,
        "timestamp": ts,
        "currency": "USDT-TRC20",
        "channel": "crypto",
        **kw,
    }


ACCOUNTS = pd.DataFrame({"account": [A, W, C], "party_id": ["P1", "P1", "P9"]})


def test_matched_through_accounts_frame() -> None:
    tx = transactions(
        [
            _fiat(258_000, "2024-05-01 10:00"),
            _usdt(1_990, "2024-05-01 11:00"),
            _fiat(129_000, "2024-05-03 09:00"),
            _usdt(1_000, "2024-05-03 09:30"),
            _usdt(1_000, "2024-05-20 09:30"),
        ]
    )  # too late for any payment
    alerts = fiat_crypto_offramp(tx, profile="KE", accounts=ACCOUNTS)
    a = alerts.iloc[0]
    assert (a["entity"], a["n_pairs"], a["link"], a["wallets"]) == (A, 2, "party:P1", W)
    assert list(a["tx_ids"]) == ["t1", "t2", "t3", "t4"]
    assert a["crypto_value"] == (1_990 + 1_000) * 129.0
    gaps = [abs(1_990 * 129 - 258_000) / 258_000, 0.0]
    assert a["score"] == pytest.approx(min(1, 0.5 + 0.1 + 0.3 * (1 - sum(gaps) / 2 / 0.1)))


def test_without_holder_link_or_similar_value_nothing() -> None:
    tx = transactions([_fiat(258_000, "2024-05-01 10:00"), _usdt(2_000, "2024-05-01 11:00")])
    assert fiat_crypto_offramp(tx, profile="KE").empty  # no link between A and W
    far = transactions([_fiat(258_000, "2024-05-01 10:00"), _usdt(1_500, "2024-05-01 11:00")])
    assert fiat_crypto_offramp(far, profile="KE", accounts=ACCOUNTS).empty  # 25% apart
    before = transactions([_fiat(258_000, "2024-05-01 10:00"), _usdt(2_000, "2024-04-30 11:00")])
    assert fiat_crypto_offramp(before, profile="KE", accounts=ACCOUNTS).empty


def test_counterparty_of_the_same_holder_is_not_p2p() -> None:
    tx = transactions([_fiat(258_000, "2024-05-01 10:00"), _usdt(2_000, "2024-05-01 11:00")])
    same = ACCOUNTS.assign(party_id=["P1", "P1", "P1"])
    assert fiat_crypto_offramp(tx, profile="KE", accounts=same).empty


def test_generic_profile_cannot_convert_kes() -> None:
    tx = transactions([_fiat(258_000, "2024-05-01 10:00"), _usdt(2_000, "2024-05-01 11:00")])
    assert fiat_crypto_offramp(tx, accounts=ACCOUNTS).empty
    assert len(fiat_crypto_offramp(tx, accounts=ACCOUNTS, fx_to_local={"KES": 1 / 129, "USDT-TRC20": 1.0})) == 1


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.tuples(st.floats(50_000, 500_000), st.floats(0.5, 1.5), st.integers(0, 200)), min_size=1, max_size=8)
)
def test_order_invariance_and_tolerance(rows: list[tuple[float, float, int]]) -> None:
    t0 = pd.Timestamp("2024-05-01")
    recs: list[dict] = []
    for amt, ratio, h in rows:
        recs.append(_fiat(amt, str(t0 + pd.Timedelta(hours=h))))
        recs.append(_usdt(amt * ratio / 129, str(t0 + pd.Timedelta(hours=h + 1))))
    tx = transactions(recs)
    alerts = fiat_crypto_offramp(tx, profile="KE", accounts=ACCOUNTS)
    assert_alerts_equal(
        alerts, fiat_crypto_offramp(tx.iloc[::-1].reset_index(drop=True), profile="KE", accounts=ACCOUNTS)
    )
    if all(abs(r - 1) > 0.1 for _, r, _ in rows):
        # nothing within 10 %: a credit could still match a different payment, but only within tolerance
        for _, a in alerts.iterrows():
            assert a["crypto_value"] == pytest.approx(a["fiat_value"], rel=0.1)


def test_common_names_link_nothing() -> None:
    rows = [
        _fiat(258_000, "2024-05-01 10:00", sender_name="John Kamau"),
        _usdt(2_000, "2024-05-01 11:00", receiver_name="JOHN KAMAU"),
    ]
    # four more wallets credited in the name of other John Kamaus make the name common
    rows += [_usdt(10, "2024-04-01", receiver=f"trx:TOther{i}", receiver_name="John Kamau") for i in range(4)]
    assert fiat_crypto_offramp(transactions(rows), profile="KE").empty
    assert len(fiat_crypto_offramp(transactions(rows[:3]), profile="KE")) == 1
