"""Cash, bank charges and name-only counterparties in bank statements: no fake node joins two customers."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import finintel as fi
from finintel.ingest._tabular_charges import cash_place, fee_rows, is_real_name

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tabular"
GRACE = "acct:EQUITY-BANK-KENYA/0170100200300"
PETER = "acct:KCB-BANK-KENYA/1188776655"


@pytest.fixture(scope="module")
def equity() -> fi.ingest.Frames:
    return fi.read(FIXTURES / "charges_equity_statement.csv")


@pytest.fixture(scope="module")
def kcb() -> fi.ingest.Frames:
    return fi.read(FIXTURES / "charges_kcb_statement.csv")


def _other(tx: pd.DataFrame, own: str) -> list[str]:
    return [r if s == own else s for s, r in zip(tx["sender"], tx["receiver"], strict=True)]


def test_every_row_has_a_counterparty_of_its_kind(equity: fi.ingest.Frames) -> None:
    tx = equity.transactions
    assert equity.rows_read == 19 and len(tx) == 18 and equity.rejects["source_row"].tolist() == [25]
    fee, payee = f"fee:{GRACE}", tx["receiver"][tx["receiver"].str.contains("UNIDENTIFIED")].iloc[0]
    payer = payee.replace("-PAYEE", "-PAYER")
    assert _other(tx, GRACE) == [
        "cash:EQUITY-BANK-KENYA/BRANCH KENCOM",  # row 7: the branch the narrative names, under the bank
        "cash:EQUITY-BANK-KENYA/BRANCH KENCOM",  # row 8: depositor after BY kept apart, place after AT
        f"cash:unknown/{GRACE}",  # row 9: no place: this account's own cash node
        "cash:EQUITY-BANK-KENYA/ATM 0123 MOI AVE",
        fee,  # ATM WITHDRAWAL CHARGE: a charge, not cash
        fee,  # EXCISE DUTY
        "cash:EQUITY-BANK-KENYA/CDM WESTLANDS",
        fee,  # SERVICE CHARGE
        fee,  # LEDGER FEE
        fee,  # CHARGES FOR IFT TO ABEBE ...: the charge, not Abebe's account
        "acct:DASHEN-BANK/4099755125010",
        "acct:UNKNOWN/ALPHA-MANPOWER-AGENCY",  # a recruitment fee is a payment to someone
        payee,  # beneficiary "TRANSFER"
        payee,  # beneficiary "MPESA"
        payer,  # payer "CHEQUE DEPOSIT": unidentified payers and payees are two nodes
        "acct:UNKNOWN/JANE-WANJIRU",
        fee,  # CREDIT INTEREST (money in from the bank)
        fee,  # VAT ON CHARGES
    ]
    assert payee.startswith("acct:UNKNOWN/UNIDENTIFIED-") and payee.endswith("-PAYEE")
    assert tx["channel"].tolist() == ["cash"] * 4 + ["other"] * 2 + ["cash"] + ["other"] * 3 + ["bank"] * 5 + [
        "bank",
        "other",
        "other",
    ]


def test_names_and_attributes_say_what_the_narrative_said(equity: fi.ingest.Frames) -> None:
    tx = equity.transactions
    attrs = [json.loads(a) for a in tx["attributes"]]
    assert tx.at[0, "sender_name"] == "BRANCH KENCOM" and tx.at[3, "receiver_name"] == "ATM 0123 MOI AVE"
    assert attrs[1]["cash_by"] == "JOHN KAMAU" and attrs[0]["cash_by"] is None
    assert pd.isna(tx.at[9, "receiver_name"])  # the charge's row does not take Abebe's name
    assert tx.at[10, "receiver_name"] == "ABEBE K"
    assert tx.at[12, "receiver_name"] == "TRANSFER"  # as written, though not a key
    assert [a["counterparty_key_from"] for a in attrs[:4]] == ["cash point"] * 4
    assert attrs[5]["counterparty_key_from"] == "charge"
    assert attrs[10]["counterparty_key_from"] == "narrative account"
    assert attrs[12]["counterparty_key_from"] == "unidentified"
    assert attrs[15]["counterparty_key_from"] == "name"
    assert tx.at[16, "sender"] == f"fee:{GRACE}" and tx.at[16, "amount"] == 12.4  # interest paid in


def test_two_customers_of_two_banks_never_meet(equity: fi.ingest.Frames, kcb: fi.ingest.Frames) -> None:
    a, b = (
        set(equity.transactions[["sender", "receiver"]].stack()),
        set(kcb.transactions[["sender", "receiver"]].stack()),
    )
    assert a & b == set()
    assert len(kcb.transactions) == 7 and set(_other(kcb.transactions, PETER)) >= {
        f"fee:{PETER}",
        f"cash:unknown/{PETER}",
    }
    G = fi.graph.flow_graph(pd.concat([equity.transactions, kcb.transactions], ignore_index=True))
    comps = [c for c in nx.weakly_connected_components(G) if GRACE in c or PETER in c]
    assert len(comps) == 2


def test_no_fake_round_trip_through_unidentified_counterparties(kcb: fi.ingest.Frames) -> None:
    # 1,000 to "MPESA" and 1,000 from "CHEQUE DEPOSIT": two unknown parties, not money coming back
    tx = kcb.transactions
    assert tx.at[4, "receiver"].endswith("-PAYEE") and tx.at[5, "sender"].endswith("-PAYER")
    assert fi.detect.run(tx, detectors=["cycle"]).empty


def test_same_named_branch_of_one_bank_is_one_cash_point(tmp_path: Path, equity: fi.ingest.Frames) -> None:
    p = tmp_path / "other.csv"
    p.write_text(
        "Bank Name,Equity Bank\nAccount Number,0170999\nCurrency,KES\n\nDate,Narrative,Debit,Credit\n"
        "01/04/2024,Cash Deposit  -  Kencom Branch,,700.00\n01/04/2024,Cash deposit,,100.00\n"
        "02/04/2024,SERVICE CHARGE,30.00,\n"
    )
    tx = fi.read(p).transactions
    own = "acct:EQUITY-BANK-KENYA/0170999"
    assert tx["sender"].tolist()[:2] == ["cash:EQUITY-BANK-KENYA/BRANCH KENCOM", f"cash:unknown/{own}"]
    assert tx.at[2, "receiver"] == f"fee:{own}"
    shared = set(tx[["sender", "receiver"]].stack()) & set(equity.transactions[["sender", "receiver"]].stack())
    assert shared == {"cash:EQUITY-BANK-KENYA/BRANCH KENCOM"}  # a real place both used; nothing else


@pytest.mark.parametrize(
    ("text", "fee"),
    [
        ("SERVICE CHARGE", True),
        ("Excise Duty on Charges", True),
        ("LEDGER FEE", True),
        ("SMS ALERT CHARGES", True),
        ("VAT", True),
        ("WITHHOLDING TAX ON INTEREST", True),
        ("INTEREST", True),
        ("DEBIT INTEREST APR 2024", True),
        ("PESALINK CHARGE FT24061XYZ", True),
        ("RECRUITMENT FEE ALPHA AGENCY", False),
        ("SCHOOL FEES ST MARY'S", False),
        ("VISA FEE EMBASSY", False),
        ("INTEREST CAPITAL LTD PAYMENT", False),
        ("TRANSFER TO JOHN", False),
    ],
)
def test_fee_words(text: str, fee: bool) -> None:
    assert fee_rows(pa.array([text])).tolist() == [fee]


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("CASH DEPOSIT - KENCOM BRANCH", "BRANCH KENCOM"),
        ("ATM WDL 0123 MOI AVE", "ATM 0123 MOI AVE"),
        ("CDM DEP WESTLANDS", "CDM WESTLANDS"),
        ("ATM CASH WDL 12/04/2024 14:05 KES 5,000.00", None),  # nothing but a date, a time and an amount
        ("CASH WITHDRAWAL FT24103QWE12", None),  # a reference is not a place
        ("Cash deposit by self", None),
    ],
)
def test_cash_place(text: str, place: str | None) -> None:
    assert cash_place(text)[0] == place


def test_real_names() -> None:
    assert [is_real_name(n) for n in ("EXCISE DUTY", "MPESA", "CHEQUE DEPOSIT", "Fund Transfer", "Ali Hassan")] == [
        False,
        False,
        False,
        False,
        True,
    ]


_NARRATIVES = [
    "CASH DEPOSIT",
    "CASH DEPOSIT - KENCOM BRANCH",
    "ATM WDL 0123 MOI AVE",
    "ATM WITHDRAWAL",
    "SERVICE CHARGE",
    "EXCISE DUTY",
    "CREDIT INTEREST",
    "FUNDS TRANSFER",
    "CHEQUE DEPOSIT",
    "MPESA",
    "IFT TO ABEBE K DASHEN BANK 4099755125010",
    "RENT",
]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(_NARRATIVES), st.sampled_from(["", "TRANSFER", "MPESA", "Jane Wanjiru"]), st.booleans()
        ),
        min_size=1,
        max_size=15,
    ),
    bank=st.sampled_from(["Equity Bank Kenya", "KCB Bank Kenya", ""]),
)
def test_no_statement_row_keys_a_shared_placeholder(
    tmp_path: Path, rows: list[tuple[str, str, bool]], bank: str
) -> None:
    body = "".join(f"0{i % 9 + 1}/04/2024,{d},{w},{'' if inflow else '10.00'},{'10.00' if inflow else ''}\n"
                   for i, (d, w, inflow) in enumerate(rows))  # fmt: skip
    p = tmp_path / "s.csv"
    p.write_text(f"Bank Name,{bank}\nAccount Number,555\n\nDate,Narrative,Beneficiary,Debit,Credit\n{body}")
    fr = fi.read(p, format="bank_csv")
    tx = fr.transactions
    own = fr.report["account"]
    assert fr.rows_read == len(tx) + len(fr.rejects) == len(rows)
    other = _other(tx, own)
    placeholders = ("cash:branch", "cash:atm", "cash:unknown", "acct:UNKNOWN/TRANSFER", "acct:UNKNOWN/MPESA")
    assert not set(other) & set(placeholders)
    for key in other:  # whatever is not a real party or a named bank cash point is this account's own
        if key.startswith(("fee:", "cash:unknown/")):
            assert key.endswith(own)
        if key.startswith("cash:") and not key.startswith("cash:unknown/"):
            assert bank and key.startswith("cash:" + bank.upper().replace(" ", "-") + "/")
