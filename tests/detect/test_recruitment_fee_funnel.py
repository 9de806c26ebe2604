from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.detect.recruitment_fee_funnel import recruitment_fee_funnel
from finintel.testing import assert_alerts_equal, transactions


def _fees(amounts: list[float], receiver: str = "recruiter") -> list[tuple]:
    return [(f"payer{i}", receiver, a, f"2024-04-{i + 1:02d} 10:00") for i, a in enumerate(amounts)]


OUT_ABROAD = ("recruiter", "acct:ALRAJHI/99", 200_000, "2024-04-15", {"sender_country": "KE", "receiver_country": "SA"})


def test_fees_then_transfer_abroad() -> None:
    tx = transactions(_fees([40_000, 41_000, 39_000, 40_000, 40_000]) + [OUT_ABROAD])
    alerts = recruitment_fee_funnel(tx, profile="KE")
    assert alerts["entity"].tolist() == ["recruiter"]
    a = alerts.iloc[0]
    assert a["n_payers"] == 5 and a["collected"] == 200_000.0 and a["outflow_share"] == 1.0
    assert list(a["tx_ids"]) == ["t1", "t2", "t3", "t4", "t5", "t6"]
    # std of (40, 41, 39, 40, 40) thousand is sqrt(0.4) thousand
    assert a["cv"] == pytest.approx(0.4**0.5 / 40)
    assert a["score"] == pytest.approx(min(1, 0.45 + 0.25 * (1 - a["cv"] / 0.2) + 0.2))


def test_swahili_narrative_counts_as_travel() -> None:
    out = ("recruiter", "acct:BANK/1", 90_000, "2024-04-12", {"description": "Malipo ya tiketi za ndege"})
    tx = transactions(_fees([20_000] * 6) + [out])
    assert recruitment_fee_funnel(tx, profile="KE")["outflow"].tolist() == [90_000.0]


def test_dissimilar_amounts_do_not_fire() -> None:
    tx = transactions(_fees([5_000, 80_000, 20_000, 150_000, 40_000]) + [OUT_ABROAD])
    assert recruitment_fee_funnel(tx, profile="KE").empty


def test_related_payers_are_not_counted() -> None:
    chain = [("payer0", "payer1", 100, "2024-03-01"), ("payer2", "payer3", 100, "2024-03-01")]
    tx = transactions(_fees([40_000] * 5) + [OUT_ABROAD] + chain)
    assert recruitment_fee_funnel(tx, profile="KE").empty  # only payer4 is unrelated
    assert len(recruitment_fee_funnel(tx, profile="KE", min_payers=1)) == 1


def test_no_travel_outflow_does_not_fire() -> None:
    local = ("recruiter", "acct:LANDLORD/1", 150_000, "2024-04-15", {"description": "rent"})
    assert recruitment_fee_funnel(transactions(_fees([40_000] * 6) + [local]), profile="KE").empty


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(10_000, 11_000), min_size=1, max_size=4))
def test_too_few_payers_never_fire(amounts: list[float]) -> None:
    assert recruitment_fee_funnel(transactions(_fees(amounts) + [OUT_ABROAD]), profile="KE").empty


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.floats(9_000, 11_000), st.integers(0, 40)), min_size=1, max_size=20))
def test_order_invariance(rows: list[tuple[int, float, int]]) -> None:
    base = [(f"p{p}", "r", a, pd.Timestamp("2024-01-01") + pd.Timedelta(days=d)) for p, a, d in rows]
    base.append(("r", "x", 50_000, pd.Timestamp("2024-02-01"), {"receiver_country": "SA", "sender_country": "KE"}))
    tx = transactions(base)
    shuffled = tx.sample(frac=1.0, random_state=4).reset_index(drop=True)
    assert_alerts_equal(recruitment_fee_funnel(tx, profile="KE"), recruitment_fee_funnel(shuffled, profile="KE"))


def test_travel_payments_from_the_recruiters_own_bank_account() -> None:
    fees = [
        (f"payer{i}", "msisdn:+254700000009", 35_000, f"2024-04-{i + 1:02d} 10:00", {"receiver_name": "Paul Ndungu"})
        for i in range(6)
    ]
    sweep = ("msisdn:+254700000009", "acct:NCBA/1", 200_000, "2024-04-08", {"receiver_name": "NDUNGU PAUL"})
    agency = (
        "acct:NCBA/1",
        "iban:QA00X",
        190_000,
        "2024-04-10",
        {"sender_country": "KE", "receiver_country": "QA", "description": "Payment to agency", "channel": "remittance"},
    )
    alerts = recruitment_fee_funnel(transactions(fees + [sweep, agency]), profile="KE")
    assert alerts["entity"].tolist() == ["msisdn:+254700000009"]
    assert alerts.at[0, "via_accounts"] == "acct:NCBA/1" and alerts.at[0, "outflow"] == 190_000.0
    assert list(alerts.at[0, "tx_ids"]) == ["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"]
    assert "through the holder's own account acct:NCBA/1" in alerts.at[0, "reason"]
    # a bank account of somebody else is not the recruiter's own
    other = (sweep[0], sweep[1], sweep[2], sweep[3], {"receiver_name": "Jane Wambui"})
    assert recruitment_fee_funnel(transactions(fees + [other, agency]), profile="KE").empty
