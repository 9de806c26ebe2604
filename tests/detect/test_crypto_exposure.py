from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.detect.crypto_exposure import crypto_exposure, tag_keys
from finintel.errors import InputError
from finintel.testing import assert_alerts_equal, transactions

BAD = "eth:0x1111111111111111111111111111111111111111"
TAGS = pd.DataFrame(
    {"address": ["0x1111111111111111111111111111111111111111"], "tag": ["Lazarus"], "category": ["Sanctions"]}
)


def _tx(rows: list[tuple]) -> pd.DataFrame:
    return transactions(rows, currency="ETH", channel="crypto")


def test_direct_and_two_hop_outgoing() -> None:
    tx = _tx(
        [
            ("eth:0xa", "eth:0xb", 2, "2024-01-01"),  # a pays b before b pays the tagged address
            ("eth:0xb", BAD, 1.5, "2024-01-02"),
            ("eth:0xc", "eth:0xb", 1, "2024-01-03"),
        ]
    )  # c pays b after: c's money cannot have reached BAD
    alerts = crypto_exposure(tx, tags=TAGS)
    assert alerts[["entity", "direction", "hops"]].values.tolist() == [["eth:0xa", "to", 2], ["eth:0xb", "to", 1]]
    assert alerts["score"].tolist() == [0.5, 1.0]
    assert alerts.at[0, "via"] == "eth:0xb"
    assert "through 1 intermediary (eth:0xb) to 1 tagged address (Lazarus: Sanctions)" in alerts.at[0, "reason"]


def test_two_hop_incoming_respects_time() -> None:
    tx = _tx(
        [
            ("eth:0xm", "eth:0xearly", 1, "2024-01-01"),
            (BAD, "eth:0xm", 3, "2024-01-02"),
            ("eth:0xm", "eth:0xlate", 2.9, "2024-01-03"),
        ]
    )
    alerts = crypto_exposure(tx, tags=TAGS)
    assert set(alerts["entity"]) == {"eth:0xm", "eth:0xlate"}
    assert crypto_exposure(tx, tags=TAGS, max_hops=1)["entity"].tolist() == ["eth:0xm"]


def test_category_weights_and_no_tags() -> None:
    tx = _tx([(BAD, "eth:0xm", 3, "2024-01-02")])
    assert crypto_exposure(tx).empty
    ex = TAGS.assign(category="exchange")
    assert crypto_exposure(tx, tags=ex)["score"].tolist() == [0.2]
    assert crypto_exposure(tx, tags=TAGS.assign(category="new-thing"))["score"].tolist() == [0.7]
    assert crypto_exposure(tx, tags=ex, category_weights={"Exchange": 0.1})["score"].tolist() == [0.1]


def test_bad_tag_address_names_row() -> None:
    with pytest.raises(InputError, match="row 2.*address"):
        tag_keys(pd.DataFrame({"address": ["TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "not an address"], "tag": ["a", "b"]}))


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from("abcd"), st.integers(0, 30)), min_size=1, max_size=20)
)
def test_untagged_ledgers_never_fire_and_order_invariance(rows: list[tuple[str, str, int]]) -> None:
    base = [
        (f"eth:0x{s}", f"eth:0x{r}", 1, pd.Timestamp("2024-01-01") + pd.Timedelta(days=d)) for s, r, d in rows if s != r
    ]
    if not base:
        return
    tx = _tx(base)
    assert crypto_exposure(tx, tags=TAGS).empty
    tags = pd.DataFrame({"key": ["eth:0xa"], "tag": ["x"], "category": ["scam"]})
    assert_alerts_equal(
        crypto_exposure(tx, tags=tags), crypto_exposure(tx.iloc[::-1].reset_index(drop=True), tags=tags)
    )
