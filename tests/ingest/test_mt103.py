import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import finintel as fi
from finintel.errors import InputError
from finintel.ingest.mt103 import _sniff, tokenize

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mt103"


@pytest.mark.samples
def test_prowide_rje_sample(shared_samples):
    fr = fi.read(shared_samples / "mt103" / "prowide_MT103-out-ack.rje")
    tx, rej = fr.transactions, fr.rejects
    assert fr.format == "mt103"
    assert fr.report == {"messages": 13, "payments": 12, "acks": 0, "naks": 0}
    assert (len(tx), len(rej)) == (12, 1)
    # the '-}{' terminator of the message starting on line 180 is rejected, not guessed
    assert (
        rej.iloc[0]["source_row"] == 180 and "'-}{'" in rej.iloc[0]["problem"] and "line 198" in rej.iloc[0]["problem"]
    )
    first = tx.iloc[0]
    assert first["tx_id"] == "mt103:8579f4a4-a547-463e-ae63-e7c6620d59b4"  # UETR from {121:}
    assert first["amount_exact"] == Decimal("1814.28") and first["currency"] == "USD"
    assert first["timestamp"] == pd.Timestamp("2019-10-14", tz="UTC")
    assert (first["sender_name"], first["receiver_name"]) == (
        "FOO CAPITAL MARKETS LP",
        "MERCADOS Y GESTION DE VALORES SA",
    )
    assert first["receiver"] == "acct:BICFOOYY/00123456789012345678"
    assert first["sender_country"] == "US"  # sending bank BBBBUS3N from the output header
    a = json.loads(first["attributes"])
    assert a["71A"] == "SHA" and a["72"] == "/ACC/ 00940060752415000231" and a["mir"] == "191014BBBBUS3NBXXX6338224492"
    assert a["input_time"] == "2019-10-14T16:10"  # {2:O1031610191014...}
    assert first["description"].startswith("FINDERS FEES-JULY,2007-")
    # MIR when there is no UETR; :32A:061028EUR19999, -> 2006, 19999
    assert tx.iloc[3]["tx_id"] == "mt103:191028CCCCUSMMAXXX5423748406"
    assert tx.iloc[3]["amount_exact"] == Decimal("19999") and tx.iloc[3]["timestamp"].year == 2006
    # :50K:/12345678 with :52A:/3999 FOOAESMMXXX: the account is keyed under the ordering institution
    assert tx.iloc[6]["sender"] == "acct:FOOAESMM/12345678"
    assert tx["source_row"].tolist()[:3] == [1, 23, 38]
    assert tx["amount_exact"].sum() == Decimal(
        "1980746.03"
    )  # 12 hand-added :32A: amounts; the rejected 47000 is not in


def test_remittance_fixture_ack_nak_and_bad_messages():
    fr = fi.read(FIXTURES / "remittance.rje")
    tx, rej = fr.transactions, fr.rejects
    assert fr.report == {"messages": 7, "payments": 2, "acks": 1, "naks": 1}
    assert fr.rows_read == 7
    first = tx.iloc[0]
    assert first[["sender", "receiver", "sender_country", "receiver_country"]].tolist() == [
        "acct:KCB-BANK-KENYA/0011223344",
        "acct:EQUITY-BANK-UGANDA/9988776655",
        "KE",
        "UG",
    ]
    assert (first["sender_name"], first["receiver_name"]) == ("AMINA HASSAN MOHAMED", "JOHN OKELLO")  # 50F/59F 1/ lines
    assert first["description"] == "FAMILY SUPPORT MARCH"
    assert tx.iloc[1][["receiver", "amount_exact", "currency", "receiver_country"]].tolist() == [
        "acct:COMMERCIAL-BANK-OF-ETHIOPIA/1000123456789",
        Decimal("250000"),
        "ETB",
        "ET",
    ]
    assert rej["source_row"].tolist() == [27, 35, 53]
    assert rej["column"].tolist()[:2] == [":32A:", "{2:"]
    assert "'240316USD1.200,00'" in rej.iloc[0]["problem"]
    assert "202" in rej.iloc[1]["problem"] and "truncated" in rej.iloc[2]["problem"]


def test_id_without_uetr_is_stable_across_files(tmp_path):
    src = (FIXTURES / "remittance.rje").read_text()
    copy = tmp_path / "resent.rje"
    copy.write_text("{1:F21KCBLKENXAXXX0000000001}{4:{177:2403150915}{451:0}}\n$\n" + src)
    a, b = fi.read(FIXTURES / "remittance.rje").transactions, fi.read(copy).transactions
    assert a["tx_id"].tolist() == b["tx_id"].tolist()
    assert a["tx_id"].iloc[1].startswith("mt103:") and len(a["tx_id"].iloc[1]) == len("mt103:") + 20


def test_bare_block4_messages(tmp_path):
    p = tmp_path / "bare.txt"
    p.write_text(
        ":20:A\n:32A:240301KES100,5\n:50K:JANE\n:59:/123\nJOE\n-}\n$\n:20:B\n:32A:240302KES7,\n:50K:JANE\n-}\n"
    )
    fr = fi.read(p)
    assert fr.format == "mt103"
    assert fr.transactions["amount_exact"].tolist() == [Decimal("100.5")]
    assert fr.rejects["column"].tolist() == [":59a:"]


def test_tokenizer_and_sniff(tmp_path):
    msgs, seps = tokenize(
        "{1:F01AAAABBCCXXX0000000000}{2:I103DDDDEEFFXXXXN}{4:\n:20:R1\n:70:LINE1\nLINE2\n-}{5:{CHK:ABC}}\n$\n"
    )
    assert seps == 1 and msgs[0].problem is None
    assert msgs[0].get("70") == ("70", "LINE1\nLINE2", 3)
    assert msgs[0].blocks["5"] == "{CHK:ABC}"
    p = tmp_path / "stmt.sta"
    p.write_text(":20:X\n:25:123\n:60F:C240301KES0,\n")
    assert _sniff(p, p.read_bytes()) is not True


def test_empty_file(tmp_path):
    p = tmp_path / "empty.rje"
    p.write_text("\n$\n")
    with pytest.raises(InputError):
        fi.read(p, format="mt103")


def test_parties_and_accounts_from_the_messages():
    fr = fi.read(FIXTURES / "remittance.rje")
    # Amina orders two payments (50F then 50K): one party, one account
    assert fr.parties["name"].tolist() == ["AMINA HASSAN MOHAMED", "JOHN OKELLO", "ABEBE KEBEDE"]
    assert fr.parties.iloc[0][["address", "country", "source_row"]].tolist() == [
        "EASTLEIGH 1ST AVE, KE/NAIROBI",
        "KE",
        6,
    ]
    acc = fr.accounts.set_index("account")
    assert (
        acc.loc["acct:EQUITY-BANK-UGANDA/9988776655", "party_id"]
        == "mt103:acct:EQUITY-BANK-UGANDA/9988776655:JOHN-OKELLO"
    )
    assert acc.loc["acct:COMMERCIAL-BANK-OF-ETHIOPIA/1000123456789", "institution_code"] == "CBETETAA"
