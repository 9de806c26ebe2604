from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import finintel as fi
from finintel.detect.shared_identifiers import shared_identifiers
from finintel.testing import assert_alerts_equal, transactions

TX = transactions([(f"acct:B/{i}", "shop", 100 + i, f"2024-03-0{i + 1}") for i in range(5)])


def _parties(**cols: list) -> pd.DataFrame:
    return pd.DataFrame({"party_id": [f"p{i}" for i in range(5)], **cols})


ACCOUNTS = pd.DataFrame(
    {
        "account": [f"acct:B/{i}" for i in range(5)],
        "party_id": [f"p{i}" for i in range(5)],
        "opened": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-20", "2024-06-01", "2024-01-02"], utc=True),
    }
)


def test_no_context_no_alerts() -> None:
    assert shared_identifiers(TX).empty
    assert shared_identifiers(TX, accounts=ACCOUNTS).empty  # no shared values


def test_opened_together_sharing_a_device() -> None:
    accounts = ACCOUNTS.assign(attributes=['{"device_id": "IMEI-3581"}'] * 4 + ['{"device_id": "N/A"}'])
    out = shared_identifiers(TX, accounts=accounts)
    # accounts 0-3 share a device; 0, 1, 2 opened within 30 days, 3 in June; 4's "N/A" links nothing
    assert out["entity"].tolist() == ["acct:B/0", "acct:B/1", "acct:B/2"]
    assert set(out["variant"]) == {"opened_together"}
    assert out["group_size"].tolist() == [4, 4, 4]
    assert out["score"].tolist() == pytest.approx([0.3 + 0.4 * 0.9] * 3)
    assert list(out.at[0, "tx_ids"]) == ["t1"]


def test_linked_to_flagged_through_id_document() -> None:
    parties = _parties(id_number=["A-123 456", "a123456", "B999", "C777", "0000"], name=list("ABCDE"))
    flagged = fi.detect.run(
        transactions([("acct:B/0", f"r{i}", 9_500, f"2024-03-0{i + 1}") for i in range(3)], currency="USD"),
        ["structuring"],
    )
    out = shared_identifiers(TX, parties=parties, accounts=ACCOUNTS, alerts=flagged)
    assert out[["entity", "variant"]].values.tolist() == [["acct:B/1", "linked_to_flagged"]]
    assert out.at[0, "shared"] == "ID document A123456"
    assert out.at[0, "score"] == pytest.approx(0.3 + 0.6 * flagged.at[0, "score"])


def test_same_holder_is_not_a_shared_identifier() -> None:
    accounts = ACCOUNTS.assign(party_id="p0")
    parties = _parties(phone=["+254700000000"] * 5)
    assert shared_identifiers(
        TX, parties=parties, accounts=accounts, alerts=pd.DataFrame({"entity": ["acct:B/0"]})
    ).empty


def test_values_shared_too_widely_are_ignored() -> None:
    parties = _parties(address=["Moi Avenue, Nairobi"] * 5)
    flagged = pd.DataFrame({"entity": ["acct:B/0"], "score": [1.0], "detector": ["watchlist"]})
    out = shared_identifiers(TX, parties=parties, accounts=ACCOUNTS, alerts=flagged)
    # 1-4 are linked to the flagged 0; 0, 1, 2 and 4 were opened within 30 days of one another
    assert out["variant"].tolist() == [
        "opened_together",
        "linked_to_flagged+opened_together",
        "linked_to_flagged+opened_together",
        "linked_to_flagged",
        "linked_to_flagged+opened_together",
    ]
    assert shared_identifiers(TX, parties=parties, accounts=ACCOUNTS, alerts=flagged, max_sharing=4).empty


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.sampled_from(["x@y.com", "X@Y.COM ", "z@w.org", None]), min_size=5, max_size=5),
    st.permutations(range(5)),
)
def test_order_invariance(emails: list[str | None], perm: list[int]) -> None:
    parties = _parties(email=emails)
    flagged = pd.DataFrame({"entity": ["acct:B/0"], "score": [0.8], "detector": ["fan_in"]})
    a = shared_identifiers(TX, parties=parties, accounts=ACCOUNTS, alerts=flagged)
    b = shared_identifiers(
        TX.iloc[::-1], parties=parties.iloc[list(perm)], accounts=ACCOUNTS.iloc[list(perm)], alerts=flagged
    )
    assert_alerts_equal(a, b)


def test_nothing_without_a_shared_value() -> None:
    parties = _parties(phone=["+254700000001", "+254700000002", "+254700000003", "+254700000004", "+254700000005"])
    assert shared_identifiers(
        TX, parties=parties, accounts=ACCOUNTS, alerts=pd.DataFrame({"entity": ["acct:B/0"]})
    ).empty


def test_same_person_in_two_kyc_records_is_not_suspicious() -> None:
    # one person known to two banks: two party records, one ID number, one name (in any order or case)
    parties = pd.DataFrame(
        {"party_id": ["p0", "p1"], "name": ["Grace Wanjiru", "WANJIRU GRACE"], "id_number": ["123456", "123456"]}
    )
    accounts = ACCOUNTS.iloc[:2]
    flagged = pd.DataFrame({"entity": ["acct:B/0"], "score": [0.9], "detector": ["fan_in"]})
    assert shared_identifiers(TX, parties=parties, accounts=accounts, alerts=flagged).empty
    other = parties.assign(name=["Grace Wanjiru", "Mary Achieng"])
    assert shared_identifiers(TX, parties=other, accounts=accounts, alerts=flagged)["entity"].tolist() == ["acct:B/1"]


def test_a_linked_account_without_transfers_in_the_period_is_dated_by_its_group_or_opening():
    tx = transactions([("msisdn:+254700000001", "shop", 100, "2024-03-01")])  # only the flagged account moved money
    parties = pd.DataFrame({"party_id": ["p1", "p2"], "name": ["Amina", "Grace"], "id_number": ["A123", "A123"]})
    accounts = pd.DataFrame({"account": ["msisdn:+254700000001", "msisdn:+254700000002"], "party_id": ["p1", "p2"]})
    flagged = pd.DataFrame({"entity": ["msisdn:+254700000001"], "detector": ["structuring"], "score": [0.9]})
    out = shared_identifiers(tx, parties=parties, accounts=accounts, alerts=flagged)
    quiet = out.set_index("entity").loc["msisdn:+254700000002"]
    assert quiet["start"] == pd.Timestamp("2024-03-01", tz="UTC") and quiet["tx_ids"] == []
    opened = accounts.assign(opened=[None, "2024-02-10"])
    out = shared_identifiers(tx, parties=parties, accounts=opened, alerts=flagged)
    assert out.set_index("entity").loc["msisdn:+254700000002", "start"] == pd.Timestamp("2024-02-10", tz="UTC")
