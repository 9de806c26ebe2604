import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import finintel as fi
from finintel.errors import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tronscan"
B, C = "trx:TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7", "trx:TJRabPrwbZy45sbavfcjinPJC18kjpRTv8"


def test_tronscan_api_json():
    fr = fi.read(FIXTURES / "tronscan_usdt.json")
    tx, rej = fr.transactions, fr.rejects
    assert fr.format == "tronscan" and fr.report["shape"] == "tronscan"
    assert (len(tx), len(rej), fr.rows_read) == (4, 2, 6)
    first = tx.iloc[0]
    assert first["tx_id"].startswith("trx:" + "1" * 64 + ":trc20:") and tx["tx_id"].is_unique
    assert (first["sender"], first["receiver"]) == (B, C)
    assert first["amount_exact"] == Decimal("1500") and first["currency"] == "USDT-TRC20"  # quant 1500000000 / 10**6
    assert first["timestamp"] == pd.Timestamp("2023-11-14 22:13:20", tz="UTC")
    # contract_ret spelling, hex 41... receiver converted to base58
    assert tx.iloc[1]["receiver"] == "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    assert tx.iloc[1]["amount_exact"] == Decimal("999999.999999")
    assert tx["status"].tolist() == ["completed", "completed", "failed", "pending"]  # REVERT; confirmed false
    assert json.loads(tx.iloc[2]["attributes"])["result"] == "REVERT"
    assert rej["column"].tolist() == ["to_address", "quant"]
    assert "'TNOTAVALIDADDRESS'" in rej.iloc[0]["problem"] and "'12.5'" in rej.iloc[1]["problem"]
    assert tx["source_row"].tolist() == [7, 34, 60, 141]


def test_trongrid_json_scales_by_token_decimals():
    fr = fi.read(FIXTURES / "trongrid_trc20.json", address="TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7")
    tx = fr.transactions
    assert fr.report["shape"] == "trongrid"
    assert tx["amount_exact"].tolist() == [Decimal("20"), Decimal("123.456789012345678901")]
    assert tx["currency"].tolist() == ["USDT-TRC20", "USDD-TRC20"]
    assert [json.loads(a)["direction"] for a in tx["attributes"]] == ["out", "in"]


def test_csv_export_and_bad_rows():
    fr = fi.read(FIXTURES / "tronscan_export.csv")
    tx, rej = fr.transactions, fr.rejects
    assert fr.report["shape"] == "csv"
    assert tx["amount_exact"].tolist() == [Decimal("1250.75"), Decimal("300")]
    assert tx["currency"].tolist() == ["USDT-TRC20", "USDT-TRC20"]  # "Tether USD (USDT)" -> USDT
    assert rej["source_row"].tolist() == [4, 5, 6]
    assert rej["column"].tolist()[:2] == ["Time (UTC)", "Amount"]
    assert "got 3" in rej.iloc[2]["problem"]


def test_truncated_json_and_empty_list(tmp_path):
    cut = tmp_path / "cut.json"
    cut.write_text((FIXTURES / "tronscan_usdt.json").read_text()[:900])
    with pytest.raises(InputError, match="not valid JSON"):
        fi.read(cut, format="tronscan")
    empty = tmp_path / "none.json"
    empty.write_text('{"total": 0, "token_transfers": []}')
    fr = fi.read(empty)
    assert fr.format == "tronscan" and fr.transactions.empty and fr.rejects.empty


def test_sniff_refuses_etherscan_csv(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text(
        '"Txhash","Blockno","UnixTimestamp","From","To"\n"0xaa","1","1","0x' + "1" * 40 + '","0x' + "2" * 40 + '"\n'
    )
    from finintel.ingest.tronscan import _sniff

    assert _sniff(p, p.read_bytes()) is not True


def test_csv_missing_amount_column(tmp_path):
    p = tmp_path / "tr.csv"
    p.write_text("Txn Hash,From,To\nabc123,TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7,TJRabPrwbZy45sbavfcjinPJC18kjpRTv8\n")
    with pytest.raises(InputError, match="no column for amount"):
        fi.read(p)


def test_token_with_more_than_18_decimals_and_hostile_json(tmp_path):
    t = {
        "transaction_id": "ab12cd34",
        "block_ts": 1700000000000,
        "from_address": B[4:],
        "to_address": C[4:],
        "finalResult": "SUCCESS",
    }
    doc = {
        "token_transfers": [
            {**t, "quant": "123456789012345678901234567", "tokenInfo": {"tokenAbbr": "X", "tokenDecimal": 24}},
            {**t, "transaction_id": "ab12cd35", "quant": "9" * 40, "tokenInfo": {"tokenAbbr": "X", "tokenDecimal": 6}},
        ]
    }
    p = tmp_path / "t.json"
    p.write_text(json.dumps(doc))
    fr = fi.read(p)
    assert fr.transactions["amount_exact"].tolist() == [Decimal("123.456789012345678901")]  # 24 decimals cut to 18
    assert json.loads(fr.transactions.iloc[0]["attributes"])["quant"] == "123456789012345678901234567"
    assert "more than 20 digits" in fr.rejects.iloc[0]["problem"]
    deep = tmp_path / "deep.json"
    deep.write_text('{"token_transfers":' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(InputError, match="nests too deeply"):
        fi.read(deep)


def test_same_transfer_from_json_and_csv_has_one_id(tmp_path):
    h = "c" * 64
    j = tmp_path / "t.json"
    j.write_text(
        json.dumps(
            {
                "token_transfers": [
                    {
                        "transaction_id": h,
                        "block_ts": 1710057600000,
                        "from_address": B[4:],
                        "to_address": C[4:],
                        "quant": "1250750000",
                        "finalResult": "SUCCESS",
                        "tokenInfo": {"tokenAbbr": "USDT", "tokenDecimal": 6},
                    }
                ]
            }
        )
    )
    from_csv = fi.read(FIXTURES / "tronscan_export.csv").transactions  # row 2: the same transfer, Amount "1,250.75"
    assert fi.read(j).transactions["tx_id"].tolist() == [from_csv["tx_id"].iloc[0]]
