"""Entity resolution on a hand-made party list whose truth is known."""

import itertools

import pandas as pd
import pytest

from finintel.errors import InputError
from finintel.resolve import apply_decisions, links_of, resolve_entities
from finintel.testing import transactions

# party_id, truth, name, birth_date, id_number, phone, email, country, kind
PARTIES = [
    ("kyc-1", "T1", "Mwangi John Kamau", "1980-02-01", "12345678", "0712 000 001", None, "KE", "person"),
    ("goaml-7", "T1", "JOHN K. MWANGI", "1980-02-01", None, None, None, "KE", "person"),
    ("exch-3", "T1", "John Kamau Mwangi", None, None, "+254712000001", None, None, "person"),
    ("kyc-2", "T2", "Mohammed Abdi Hassan", "1975-05-05", "A1234567", None, None, "KE", "person"),
    ("goaml-8", "T2", "MUHAMMAD ABDI HASAN", "1975-05-05", None, None, None, "SO", "person"),
    ("ae-1", "T2", "محمد عبدي حسن", "1975-05-05", None, None, None, "AE", "person"),
    ("et-1", "T3", "Tesfaye Girma Bekele", "1990-01-01", None, None, None, "ET", "person"),
    ("et-2", "T3", "ተስፋዬ ግርማ በቀለ", "1990-01-01", None, None, None, "ET", "person"),
    ("exch-4", "T3", "TESFAY GIRMA", "1990-01-01", None, None, "Tesfaye.G@example.com", None, "person"),
    ("exch-5", "T3", "T. Girma", None, None, None, "tesfaye.g@example.com ", None, "person"),
    ("kyc-3", "T4", "Amina Yusuf", None, None, "0722 000 002", None, "KE", "person"),
    ("goaml-9", "T4", "AMINA YOUSSEF", None, None, "+254722000002", None, "KE", "person"),
    ("goaml-10", "T4", "A. Yusuf", None, None, None, None, "KE", "person"),  # nothing to link it by: missed
    ("kyc-4", "T5", "Blue Nile Trading PLC", None, "PVT-12345", None, None, "ET", "organisation"),
    ("goaml-11", "T5", "BLUE NILE TRADING", None, "pvt 12345", None, None, "ET", "organisation"),
    # different people with close names
    ("kyc-5", "D1", "John Kamau", "1985-03-03", None, None, None, "KE", "person"),
    ("kyc-6", "D2", "Mohamed Hussein", "1975-05-05", None, None, None, "KE", "person"),
    ("kyc-7", "D3", "Grace Wanjiku", None, None, None, None, "KE", "person"),
    ("kyc-8", "D4", "Grace Wanjiru", None, None, None, None, "KE", "person"),
    ("kyc-9", "D5", "Amina Yusuf", None, None, None, None, "KE", "person"),  # same name as kyc-3, nothing else
]
COLUMNS = ["party_id", "truth", "name", "birth_date", "id_number", "phone", "email", "country", "kind"]


@pytest.fixture
def parties():
    return pd.DataFrame(PARTIES, columns=COLUMNS)


def pairs(groups):
    return {frozenset(p) for g in groups for p in itertools.combinations(sorted(g), 2)}


def test_precision_and_recall_on_known_truth(parties):
    ent = resolve_entities(parties, None)
    got = pairs(ent.groupby("entity_id")["party_id"].apply(list))
    truth = pairs(parties.groupby("truth")["party_id"].apply(list))
    # truth pairs: T1 3 + T2 3 + T3 6 + T4 3 + T5 1 = 16; "A. Yusuf" cannot be linked: 2 pairs missed
    assert len(truth) == 16
    tp = len(got & truth)
    assert tp == 14
    assert len(got) == 14  # precision 14/14 = 1.0: Hussein, Wanjiru, the other Amina Yusuf stay apart
    assert tp / len(got) == 1.0 and tp / len(truth) == 0.875


def test_links_say_why(parties):
    links = links_of(resolve_entities(parties, None)).set_index(["a", "b", "evidence"])
    assert links.loc[("party:exch-4", "party:exch-5", "email"), "value"] == "tesfaye.g@example.com"
    assert links.loc[("party:goaml-9", "party:kyc-3", "phone"), "value"] == "+254722000002"
    assert links.loc[("party:goaml-11", "party:kyc-4", "id_number"), "strength"] == 1.0
    # the two women named Amina Yusuf: a candidate, not merged (two-token name alone: 1.0 x 0.7 + 0.05 same country)
    cand = links.loc[("party:kyc-3", "party:kyc-9", "name")]
    assert cand["strength"] == pytest.approx(0.75) and not cand["accepted"]
    # the name link that carried T2's Arabic-script record is corroborated by the birth date
    assert links.loc[("party:ae-1", "party:kyc-2", "name+birth_date"), "accepted"]


def test_entity_ids_are_deterministic(parties):
    a = resolve_entities(parties, None)
    b = resolve_entities(parties.iloc[::-1].reset_index(drop=True), None)
    pd.testing.assert_frame_equal(a, b)
    t1 = a[a["party_id"] == "kyc-1"].iloc[0]
    # the longest party name; equal lengths: the smallest member key (party:exch-3)
    assert t1["entity_name"] == "John Kamau Mwangi" and t1["n_members"] == 3 and t1["kind"] == "person"


def test_accounts_and_transactions_join_entities(parties):
    accounts = pd.DataFrame(
        {
            "account": ["acct:KCB/0012345", "acct:KCB/0099999"],
            "party_id": ["kyc-1", "kyc-1"],
            "role": ["holder", "signatory"],
        }
    )
    tx = transactions(
        [
            {
                "sender": "msisdn:+254712000001",
                "receiver": "msisdn:+254799999999",
                "amount": 10.0,
                "timestamp": "2024-03-01",
                "sender_name": "JOHN MWANGI",
            }
        ]
    )
    ent = resolve_entities(parties, accounts, tx).set_index("member")
    e1 = ent.loc["party:kyc-1", "entity_id"]
    assert ent.loc["account:acct:KCB/0012345", "entity_id"] == e1  # holder
    assert ent.loc["account:msisdn:+254712000001", "entity_id"] == e1  # the party's phone is the wallet
    assert ent.loc["account:acct:KCB/0099999", "entity_id"] != e1  # a signatory is not the holder
    assert ent.loc["account:msisdn:+254712000001", "name"] == "JOHN MWANGI"
    assert ent.loc["account:msisdn:+254799999999", "n_members"] == 1


def test_placeholder_identifiers_do_not_merge():
    parties = pd.DataFrame(
        {
            "party_id": [f"p{i}" for i in range(25)],
            "name": [f"Person{i} Name{i}" for i in range(25)],
            "phone": ["0700000000"] * 25,
        }
    )
    ent = resolve_entities(parties, None)
    assert ent["entity_id"].nunique() == 25
    links = links_of(ent)
    assert set(links["strength"]) == {0.3} and not links["accepted"].any()


def test_apply_decisions(parties):
    ent = resolve_entities(parties, None)
    links = links_of(ent)
    phone = links[(links["evidence"] == "phone") & (links["a"] == "party:goaml-9")]["link_id"]
    decisions = pd.DataFrame(
        {
            "link_id": list(phone) + [None],
            "a": [None, "party:goaml-10"],
            "b": [None, "party:kyc-3"],
            "decision": ["reject", "accept"],
        }
    )
    new = apply_decisions(ent, decisions).set_index("party_id")
    assert new.loc["goaml-9", "entity_id"] != new.loc["kyc-3", "entity_id"]  # the phone link was rejected
    assert new.loc["goaml-10", "entity_id"] == new.loc["kyc-3", "entity_id"]  # analyst link
    decided = links_of(new.reset_index())
    assert (decided["evidence"] == "analyst").sum() == 1
    assert decided.loc[decided["link_id"].isin(phone), "decision"].tolist() == ["reject"]
    with pytest.raises(InputError, match="accept or reject"):
        apply_decisions(ent, pd.DataFrame({"a": ["party:kyc-3"], "b": ["party:kyc-9"], "decision": ["maybe"]}))


def test_crypto_deposit_address_reused_by_two_kyc_records():
    # two exchanges' KYC list the same TRC20 deposit address under different spellings of one man
    parties = pd.DataFrame({"party_id": ["binance-88", "okx-12", "kyc-77"],
                            "name": ["Abdirahman Farah", "ABDUL RAHMAN FARAH ISMAIL", "Abdirahman Farah"]})  # fmt: skip
    addr = "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    accounts = pd.DataFrame(
        {"account": [addr, addr], "party_id": ["binance-88", "okx-12"], "role": ["holder", "holder"]}
    )
    ent = resolve_entities(parties, accounts).set_index("member")
    assert (
        ent.loc["party:binance-88", "entity_id"]
        == ent.loc["party:okx-12", "entity_id"]
        == ent.loc[f"account:{addr}", "entity_id"]
    )
    assert (
        ent.loc["party:kyc-77", "entity_id"] != ent.loc["party:binance-88", "entity_id"]
    )  # same name only: a candidate
