from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.detect.dormant_burst import dormant_burst
from finintel.testing import assert_alerts_equal, transactions


def _usd(rows: list[tuple]) -> pd.DataFrame:
    return transactions(rows, currency="USD")


def test_new_account_after_ledger_start() -> None:
    rows = [
        ("a", "b", 100, "2024-01-01"),
        ("c", "mule", 6_000, "2024-05-01"),
        ("mule", "d", 5_500, "2024-05-03"),
        ("mule", "e", 400, "2024-05-20"),
    ]
    # without KYC nothing says the mule is new rather than first met by the others in May
    assert dormant_burst(_usd(rows)).empty
    # in a provider's complete export, first seen is opened; c, d and e are new too, but money only went
    # one way through them: the mule received and sent on
    alerts = dormant_burst(_usd(rows), first_seen_as_new=True)
    assert alerts["entity"].tolist() == ["mule"]
    alerts = dormant_burst(_usd(rows), min_value_share=1.0, first_seen_as_new=True)
    assert alerts["entity"].tolist() == ["mule"]
    assert alerts.at[0, "variant"] == "new" and alerts.at[0, "burst_value"] == 11_500.0
    assert (alerts.at[0, "received"], alerts.at[0, "sent"], alerts.at[0, "n_counterparties"]) == (6_000, 5_500, 2)
    assert list(alerts.at[0, "tx_ids"]) == ["t2", "t3"]  # the 20 May transfer is outside the 7-day burst
    assert alerts.at[0, "reason"] == (
        "A new account (first transfer on 2024-05-01) moved USD 11,500.00 within 7 days "
        "(USD 6,000.00 in, USD 5,500.00 out) in 2 transfers with 2 counterparties."
    )
    # 0.55 + 0.25 * log10(1.15)
    assert abs(alerts.at[0, "score"] - (0.55 + 0.25 * 0.0606978403536117)) < 1e-9


def test_kyc_opening_date_decides_what_is_new() -> None:
    rows = [("a", "b", 100, "2024-01-01"), ("c", "mule", 6_000, "2024-05-01"), ("mule", "d", 5_500, "2024-05-03")]
    opened = pd.DataFrame({"account": ["mule"], "opened": pd.to_datetime(["2019-03-01"], utc=True)})
    # KYC: opened five years before, so only its earlier life is outside the export; not new, no known silence
    assert dormant_burst(_usd(rows), accounts=opened).empty
    # opened ten days before its first transfer: new, even though the ledger starts in January
    opened["opened"] = pd.to_datetime(["2024-04-21"], utc=True)
    alerts = dormant_burst(_usd(rows), accounts=opened)
    assert alerts["variant"].tolist() == ["new"]
    assert alerts.at[0, "reason"].startswith("A new account (opened on 2024-04-21, first transfer on 2024-05-01) moved")
    # a naive opening date (no zone) reads as UTC; an account missing from KYC is not new
    naive = pd.DataFrame({"account": ["mule", "zz"], "opened": [pd.Timestamp("2024-04-21"), pd.NaT]})
    assert dormant_burst(_usd(rows), accounts=naive)["entity"].tolist() == ["mule"]
    # and a new account counts from its opening, not from the start of the export
    early = [("c", "mule", 6_000, "2024-01-02"), ("mule", "d", 5_500, "2024-01-03"), ("a", "b", 1, "2024-01-01")]
    opened["opened"] = pd.to_datetime(["2023-12-20"], utc=True)
    assert dormant_burst(_usd(early), first_seen_as_new=True).empty
    assert dormant_burst(_usd(early), accounts=opened)["entity"].tolist() == ["mule"]


def test_accounts_first_seen_near_ledger_start_are_not_new() -> None:
    rows = [("a", "b", 50_000, "2024-01-01"), ("b", "c", 49_000, "2024-01-02")]
    assert dormant_burst(_usd(rows), first_seen_as_new=True).empty


def test_wake_up_paying_many_counterparties() -> None:
    # a wallet used twice in January, silent, then sending to 9 people and receiving from 1 within 2 days
    rows = [("p", "w", 40, "2024-01-03 09:00"), ("w", "q", 30, "2024-01-03 14:00")]
    rows += [("src", "w", 4_000, "2024-03-20 08:00")]
    rows += [("w", f"r{i}", 450, f"2024-03-20 {10 + i}:00") for i in range(9)]
    alerts = dormant_burst(_usd(rows))
    assert alerts["entity"].tolist() == ["w"]
    a = alerts.iloc[0]
    # silent from 3 Jan 14:00 to 20 Mar 08:00: 76 days 18 hours; 10 counterparties; 4,000 + 9 * 450 moved
    assert (a["variant"], a["silent_days"], a["n_counterparties"], a["burst_value"]) == ("dormant", 76, 10, 8_050)
    # earlier average: USD 70 over one 7-day window
    assert a["baseline"] == 70.0 and a["received"] == 4_000 and a["sent"] == 4_050
    # with fewer counterparties and one-way money it is not a burst
    assert dormant_burst(_usd(rows[:1] + rows[2:3] + rows[3:5])).empty


def test_wake_up_with_one_large_payment_is_not_a_burst() -> None:
    # a quiet account receives its end-of-service gratuity and buys a car: one way each, two counterparties
    rows = [("emp", "acct", 800, "2024-01-05"), ("acct", "shop", 300, "2024-01-10")]
    rows += [("emp", "acct", 30_000, "2024-04-01"), ("acct", "dealer", 12_000, "2024-04-03")]
    # 30,000 in, 12,000 out: 0.4 of the larger side, under 0.8
    assert dormant_burst(_usd(rows)).empty
    assert dormant_burst(_usd(rows), min_pass_through=0.4)["entity"].tolist() == ["acct"]
    assert dormant_burst(_usd(rows), min_counterparties=2)["entity"].tolist() == ["acct"]


def test_regular_large_accounts_are_not_bursts() -> None:
    # an account that always moves large sums: the wake-up is not 10x its own average
    rows = [("corp", "supplier", 20_000, f"2024-01-{d:02d}") for d in range(1, 29)]
    rows += [("corp", "supplier", 25_000, "2024-06-01")]
    assert dormant_burst(_usd(rows), min_counterparties=1).empty
    # its average is 560,000 over 4 weeks = 140,000 a week; 25,000 is 0.18 of it
    assert dormant_burst(_usd(rows), ratio=0.2, min_counterparties=1).empty
    assert dormant_burst(_usd(rows), ratio=0.1, min_counterparties=1)["entity"].tolist() == ["corp", "supplier"]
    # by default one counterparty paid one way is no burst at all
    assert dormant_burst(_usd(rows), ratio=0.1).empty


def test_profile_currency_and_threshold() -> None:
    rows = [
        ("a", "b", 10, "2024-01-01"),
        ("a", "b", 10, "2024-01-10"),
        ("x", "a", 600_000, "2024-06-01"),
        ("a", "y", 590_000, "2024-06-01 12:00"),
    ]
    tx = transactions(rows)  # KES
    assert dormant_burst(tx).empty  # generic profile: USD, no KES rate
    alerts = dormant_burst(tx, profile="KE", min_value_share=1.0)  # KES 1,190,000 >= KES 1,000,000
    assert alerts[["entity", "variant", "silent_days"]].values.tolist() == [["a", "dormant", 143]]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.sampled_from("xyz"), st.floats(1, 9_999), st.integers(0, 400)),
        min_size=1,
        max_size=30,
    )
)
def test_nothing_below_value_floor(rows: list[tuple[str, str, float, int]]) -> None:
    # every burst below USD 10,000 in total is silent: amounts are tiny and the windows hold one transfer
    tx = _usd([(s, r, a / 10, pd.Timestamp("2024-01-01") + pd.Timedelta(days=d)) for s, r, a, d in rows[:10]])
    assert dormant_burst(tx).empty


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.sampled_from("xyz"), st.floats(1, 20_000), st.integers(0, 400)),
        min_size=1,
        max_size=30,
    )
)
def test_order_invariance(rows: list[tuple[str, str, float, int]]) -> None:
    tx = _usd([(s, r, a, pd.Timestamp("2024-01-01") + pd.Timedelta(days=d)) for s, r, a, d in rows])
    assert_alerts_equal(dormant_burst(tx), dormant_burst(tx.iloc[::-1].reset_index(drop=True)))
