import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import finintel as fi
from finintel.errors import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "blockchair"
FOCUS = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"


def test_outputs_dump_netted_per_transaction():
    fr = fi.read(FIXTURES / "outputs_focus.tsv", address=FOCUS)
    tx, rej = fr.transactions, fr.rejects
    assert fr.format == "blockchair" and fr.rows_read == 7
    assert (len(tx), len(rej)) == (2, 2)
    incoming, outgoing = tx.iloc[0], tx.iloc[1]
    # tx 22..: 0.3 BTC to the focus, funded by 3J98... (row 2 is spent in it)
    assert incoming[["sender", "receiver", "amount_exact"]].tolist() == [
        "btc:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        "btc:" + FOCUS,
        Decimal("0.3"),
    ]
    assert incoming["timestamp"] == pd.Timestamp("2023-07-24 05:00", tz="UTC")
    # tx 33..: the focus spent its 0.3, got 0.0499 change: 0.25 to bc1q..., fee 0.0001 (10000 sat)
    assert outgoing[["sender", "receiver", "amount_exact"]].tolist() == [
        "btc:" + FOCUS,
        "btc:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        Decimal("0.25"),
    ]
    a = json.loads(outgoing["attributes"])
    assert (a["fee_sat"], a["rows"]) == (10000, [3, 5, 6])
    assert rej["source_row"].tolist() == [8, 7]
    assert "'abc'" in rej.iloc[0]["problem"] and "not about the address in focus" in rej.iloc[1]["problem"]


def test_address_required_when_several_recipients():
    with pytest.raises(InputError, match="address="):
        fi.read(FIXTURES / "outputs_focus.tsv")


def test_balance_change_history(tmp_path):
    p = tmp_path / "hist.csv"
    p.write_text(
        "block_id,hash,time,balance_change\n800000,ab01,2023-07-24 03:33:29,150000000\n800001,ab02,2023-07-25 03:33:29,-2500\n800002,zz,2023-07-25,1\n800003,ab03,2023-07-26,0\n"
    )
    fr = fi.read(p, address="bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
    tx = fr.transactions
    assert tx["amount_exact"].tolist() == [Decimal("1.5"), Decimal("0.000025")]
    assert tx.iloc[1][["sender", "receiver"]].tolist() == [
        "btc:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "acct:UNKNOWN/BTC-TX-ab02",
    ]
    assert fr.rejects[["source_row", "column"]].values.tolist() == [[4, "hash"], [5, "balance_change"]]
    with pytest.raises(InputError, match="address="):
        fi.read(p)


def test_truncated_dump(tmp_path):
    lines = (FIXTURES / "outputs_focus.tsv").read_text().splitlines()
    p = tmp_path / "cut.tsv"
    p.write_text("\n".join(lines[:3]) + "\n" + lines[3][:40])
    fr = fi.read(p, address=FOCUS)
    assert fr.rejects["source_row"].tolist() == [4]
    # the 0.3 BTC was spent in tx 33.. whose outputs are cut off: it goes to that transaction's unknown outputs
    spent = fr.transactions.iloc[1]
    assert spent[["receiver", "amount_exact"]].tolist() == ["acct:UNKNOWN/BTC-TX-" + "3" * 64, Decimal("0.3")]


def test_missing_columns(tmp_path):
    p = tmp_path / "bc.tsv"
    p.write_text("transaction_hash\tindex\ttime\tvalue\naa00\t0\t2024-01-01\t5\n")
    with pytest.raises(InputError, match="no column recipient"):
        fi.read(p, format="blockchair", address=FOCUS)


def test_payer_and_payee_exports_name_a_payment_alike():
    payee = fi.read(FIXTURES / "outputs_focus.tsv", address=FOCUS).transactions
    payer = fi.read(FIXTURES / "outputs_focus.tsv", address="3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy").transactions
    # 3J98... spent 0.5 BTC in tx 22.., got 0.1999 back: 0.3 to the focus in output 0, fee 0.0001
    # (and first received the 0.5 in tx 11.. from inputs the file does not show)
    assert payer[["tx_id", "sender", "receiver", "amount_exact"]].values.tolist() == [
        [
            "btc:" + "1" * 64 + ":0",
            "acct:UNKNOWN/BTC-TX-" + "1" * 64,
            "btc:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            Decimal("0.5"),
        ],
        ["btc:" + "2" * 64 + ":0", "btc:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "btc:" + FOCUS, Decimal("0.3")],
    ]
    assert payee["tx_id"].iloc[0] == payer["tx_id"].iloc[1]
