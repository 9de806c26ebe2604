from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.detect.logistics_spend import logistics_spend, spend_category
from finintel.testing import assert_alerts_equal, transactions


def _pay(desc: str, amount: float, day: int, **extra: str) -> tuple:
    return ("acct-A", f"m-{desc}", amount, f"2024-03-{day:02d} 12:00", {"description": desc, **extra})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Malipo ya nyumba ya wageni", "lodging"),
        ("ሆቴል ክፍያ", "lodging"),
        ("Pension Addis 2 nights", "lodging"),
        ("Bajaj fare", "transport"),
        ("Billet de bus Djibouti-Tadjourah", "transport"),
        ("matangazo facebook", "advertising"),
        ("Publicité annonce", "advertising"),
        ("school fees term 2", "living"),
        ("business meeting", None),  # 'bus' inside a word is not a bus
        ("innovation hub", None),  # nor is 'inn'
    ],
)
def test_spend_category_languages(text: str, expected: str | None) -> None:
    tx = transactions([("a", "b", 1, "2024-01-01", {"description": text})])
    assert spend_category(tx).iloc[0] == expected


def test_merchant_category_code_in_attributes() -> None:
    tx = transactions(
        [
            ("a", "b", 1, "2024-01-01", {"attributes": '{"mcc": "7011", "terminal": "X1"}'}),
            ("a", "b", 1, "2024-01-01", {"attributes": '{"mcc": 5411}'}),
        ]
    )
    assert spend_category(tx).tolist() == ["lodging", "living"]


def test_logistics_without_living_fires() -> None:
    rows = [_pay("Hotel Sunrise", 4_000, d) for d in (1, 4, 7)] + [_pay("Uber trip", 800, d) for d in (2, 5)]
    rows += [_pay("Skokka ads", 1_500, 6)]
    alerts = logistics_spend(transactions(rows), profile="KE")
    a = alerts.iloc[0]
    assert a["n_tx"] == 6 and a["categories"] == "advertising, lodging, transport"
    assert a["logistics_value"] == 15_100.0 and a["living_value"] == 0.0
    assert a["score"] == pytest.approx(0.45 + 0.05 + 0.2 + 0.2)
    assert a["reason"].startswith("6 payments for lodging (3), transport (2) and advertising (1), KES 15,100.00 in all")


def test_living_expenses_clear_the_account() -> None:
    rows = [_pay("Hotel Sunrise", 4_000, d) for d in range(1, 6)]
    rows += [_pay("Naivas supermarket", 3_000, d) for d in range(1, 6)]  # 15,000 of 35,000 is living
    assert logistics_spend(transactions(rows), profile="KE").empty
    assert len(logistics_spend(transactions(rows), profile="KE", max_living_share=0.5)) == 1


def test_custom_keywords() -> None:
    rows = [_pay("Kilimanjaro Suites", 2_000, d) for d in range(1, 6)]
    assert logistics_spend(transactions(rows)).empty
    assert len(logistics_spend(transactions(rows), keywords={"lodging": ["suites"]})) == 1


@settings(max_examples=15, deadline=None)
@given(st.lists(st.sampled_from(["Hotel", "Taxi", "ads", "rent", "misc"]), min_size=1, max_size=4))
def test_fewer_than_min_count_never_fire(kinds: list[str]) -> None:
    tx = transactions([_pay(k, 100, i + 1) for i, k in enumerate(kinds)])
    assert logistics_spend(tx).empty


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["Hotel", "Taxi", "ads", "rent"]), st.integers(1, 28)), min_size=1, max_size=20)
)
def test_order_invariance(rows: list[tuple[str, int]]) -> None:
    tx = transactions([_pay(k, 100, d) for k, d in rows])
    assert_alerts_equal(
        logistics_spend(tx), logistics_spend(tx.sample(frac=1.0, random_state=5).reset_index(drop=True))
    )
