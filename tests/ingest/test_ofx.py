import json
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import finintel as fi
from finintel.errors import MissingDependencyError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ofx"


@pytest.mark.samples
def test_sgml_checking_sample(shared_samples):
    fr = fi.read(shared_samples / "ofx" / "ofxparse_checking.ofx")
    tx = fr.transactions
    assert fr.format == "ofx" and (len(tx), len(fr.rejects)) == (3, 0)
    owner = "acct:5472369148/1452687~7"
    assert tx["tx_id"].tolist() == [f"ofx:{owner}:0000486", f"ofx:{owner}:0000487", f"ofx:{owner}:0000488"]
    assert tx.iloc[0][["receiver", "amount_exact", "currency"]].tolist() == [
        owner,
        Decimal("0.01"),
        "USD",
    ]  # CREDIT 0.01
    assert tx.iloc[1][["sender", "receiver_name", "amount_exact"]].tolist() == [
        owner,
        "AUTOMATIC WITHDRAWAL, ELECTRIC BILL",
        Decimal("34.51"),
    ]
    assert tx["source_row"].tolist() == [46, 54, 62]
    a = json.loads(tx.iloc[2]["attributes"])
    assert (a["trntype"], a["checknum"]) == ("CHECK", "319")
    assert fr.accounts.iloc[0][["account", "institution"]].tolist() == [owner, "FAKE"]


@pytest.mark.samples
def test_xml_samples(shared_samples):
    fr = fi.read(shared_samples / "ofx" / "oca_test_ofx.ofx")
    tx = fr.transactions
    assert (len(tx), len(fr.accounts)) == (4, 2)  # four BANKTRANLISTs in one statement; an empty card statement
    assert tx["amount_exact"].sum() == Decimal("360") and set(tx["sender"]) == {"acct:000000123/123456"}
    assert fr.accounts["account"].tolist() == ["acct:000000123/123456", "acct:CARD/123412341234"]
    sun = fi.read(shared_samples / "ofx" / "ofxparse_suncorp.ofx").transactions
    assert sun.iloc[0][["tx_id", "amount_exact", "currency"]].tolist() == [
        "ofx:acct:SUNCORP/123456789:1",
        Decimal("16.85"),
        "AUD",
    ]
    assert sun.iloc[0]["timestamp"] == pd.Timestamp("2013-12-15", tz="UTC")


@pytest.mark.samples
def test_bad_decimal_is_rejected_not_fatal(shared_samples):
    fr = fi.read(shared_samples / "ofx" / "ofxparse_fail_nice_decimal_error.ofx")
    assert fr.transactions.empty and len(fr.accounts) == 1
    assert fr.rejects[["source_row", "column"]].values.tolist() == [[34, "TRNAMT"]]
    assert "'$120'" in fr.rejects.iloc[0]["problem"]


def test_positive_only_amounts_zone_offset_and_atm_cash():
    fr = fi.read(FIXTURES / "equity_positive_amounts.ofx")
    tx = fr.transactions
    owner = "acct:EQUITY-BANK-KENYA/0170199887766"
    assert tx.iloc[0][["sender", "receiver", "sender_name"]].tolist() == [
        "acct:UNKNOWN/HAWALA-TRADERS-LTD",
        owner,
        "HAWALA TRADERS LTD",
    ]
    assert tx.iloc[0]["timestamp"] == pd.Timestamp("2024-03-01 06:30", tz="UTC")  # 09:30 EAT
    # the bank writes every amount positive: ATM and PAYMENT are outgoing by their TRNTYPE
    # the ATM the row names, under the bank: not one cash:ATM node shared by every customer of every bank
    assert tx.iloc[1][["sender", "receiver", "channel"]].tolist() == [
        owner,
        "cash:EQUITY-BANK-KENYA/ATM EASTLEIGH 2",
        "cash",
    ]
    assert tx.iloc[2]["receiver"] == "acct:UNKNOWN/JOHN-OKELLO"
    assert json.loads(tx.iloc[2]["attributes"])["direction_from"] == "trntype"
    assert fr.rejects[["source_row", "column"]].values.tolist() == [[40, "TRNAMT"]]
    assert fr.accounts.iloc[0]["institution"] == "EQUITY BANK"


def test_truncated_file_rejects_every_unread_transaction(shared_samples, tmp_path):
    src = (shared_samples / "ofx" / "ofxparse_checking.ofx").read_text()
    cut = tmp_path / "cut.ofx"
    cut.write_text(src[: src.index("<FITID>0000488")])
    fr = fi.read(cut)
    assert fr.transactions.empty
    assert fr.rejects["source_row"].tolist() == [46, 54, 62]
    assert "truncated" in fr.rejects.iloc[0]["problem"]


def test_missing_ofxparse(monkeypatch):
    monkeypatch.setitem(sys.modules, "ofxparse", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "finintel\[ofx\]"'):
        fi.read(FIXTURES / "equity_positive_amounts.ofx")


def test_transfer_names_the_other_account(tmp_path):
    src = (FIXTURES / "equity_positive_amounts.ofx").read_text()
    p = tmp_path / "xfer.ofx"
    p.write_text(
        src.replace(
            "<NAME>JOHN OKELLO\n",
            "<NAME>JOHN OKELLO\n<BANKACCTTO><BANKID>KCBLKENX<ACCTID>1100223344<ACCTTYPE>CHECKING</BANKACCTTO>\n",
        )
    )
    tx = fi.read(p).transactions
    assert tx.iloc[2][["receiver", "receiver_name", "channel"]].tolist() == [
        "acct:KCB-BANK-KENYA/1100223344",
        "JOHN OKELLO",
        "bank",
    ]
    assert tx.iloc[0]["sender"] == "acct:UNKNOWN/HAWALA-TRADERS-LTD"  # rows without BANKACCTTO keep the name key
