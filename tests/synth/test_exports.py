"""Export writers: each file parses as its real format, with the rows and amounts of the ledger."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

import finintel as fi

MPESA_HEADER = ["Receipt No.", "Completion Time", "Details", "Transaction Status", "Paid In", "Withdrawn", "Balance"]
BANK_HEADER = ["Date", "Value Date", "Description", "Reference", "Debit", "Credit", "Balance"]
BANK_HEADER_MONEY = [
    "Transaction Date",
    "Value Date",
    "Transaction Details",
    "Cheque No/Reference",
    "Money Out",
    "Money In",
    "Ledger Balance",
]
ETHERSCAN_HEADER = [
    "Txhash",
    "Blockno",
    "UnixTimestamp",
    "DateTime (UTC)",
    "From",
    "To",
    "ContractAddress",
    "Value_IN(ETH)",
    "Value_OUT(ETH)",
    "CurrentValue @ $3000/Eth",
    "TxnFee(ETH)",
    "TxnFee(USD)",
    "Historical $Price/Eth",
    "Status",
    "ErrCode",
    "Method",
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    led = fi.synth.generate(4_000, seed=21)
    folder = tmp_path_factory.mktemp("exports")
    return led, folder, fi.synth.write_exports(led, folder)


def _num(text: str) -> Decimal:
    return Decimal(text.replace(",", "")) if text else Decimal(0)


def _table(path: Path, header: list[str]) -> tuple[list[list[str]], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    at = rows.index(header)
    body = [r for r in rows[at + 1 :] if r and r[0] and len(r) == len(header)]
    return rows[:at], body


def test_manifest_lists_every_file_and_all_formats(exported):
    led, folder, written = exported
    assert list(written.columns) == list(fi.synth.EXPORT_COLUMNS)
    assert {p.name for p in folder.iterdir()} == set(written["file"])
    assert set(written["format"]) == {"mpesa", "bank_csv", "etherscan", "tronscan", "goaml"}
    assert (written["rows"] == written["tx_ids"].map(len)).all()
    known = set(led.transactions["tx_id"])
    assert all(set(ids) <= known for ids in written["tx_ids"])


def test_every_planted_case_is_visible_in_the_exports(exported):
    led, _, written = exported
    seen = {t for ids in written["tx_ids"] for t in ids}
    planted_fiat = set(led.planted().query("channel != 'crypto'")["tx_id"])
    assert planted_fiat <= seen  # the goAML STRs carry every planted fiat transaction
    for case in led.truth.itertuples():
        assert set(case.tx_ids) & seen, case.typology
    crypto = led.truth.loc[led.truth["typology"] == "crypto_offramp", "tx_ids"].iloc[0]
    tron = {t for ids in written.loc[written["format"] == "tronscan", "tx_ids"] for t in ids}
    usdt = led.transactions.set_index("tx_id").loc[crypto].query("currency == 'USDT-TRC20'").index
    assert set(usdt) <= tron


def test_mpesa_statement_rows_balances_and_wording(exported):
    led, folder, written = exported
    tx = led.transactions.set_index("tx_id")
    for row in written[written["format"] == "mpesa"].itertuples():
        meta, body = _table(folder / row.file, MPESA_HEADER)
        assert meta[0] == ["MPESA FULL STATEMENT"] and meta[2][0] == "Mobile Number:"
        assert re.fullmatch(r"07\d{8}|01\d{8}", meta[2][1])
        assert [b[0] for b in body] == row.tx_ids and len(body) == row.rows
        chrono = body[::-1]  # newest first in the file
        times = [b[1] for b in chrono]
        assert times == sorted(times)
        for prev, cur in zip(chrono, chrono[1:], strict=False):
            moved = _num(cur[4]) + _num(cur[5]) if cur[3] == "Completed" else Decimal(0)
            assert _num(cur[6]) == _num(prev[6]) + moved
        for b in body:
            assert re.fullmatch(r"[A-Z0-9]{10}", b[0])
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", b[1])
            assert re.match(
                r"(Customer Transfer to 0\d{9} - |Funds received from \d{12} - |Customer Withdrawal At Agent Till \d{6} - "
                r"|Deposit of Funds at Agent Till \d{6} - |Pay Bill to \d{6} - .* Acc\. |Business Payment from \d{6} - "
                r"|International )",
                b[2],
            ), b[2]
            t = tx.loc[b[0]]
            assert _num(b[4]) + abs(_num(b[5])) == t["amount_exact"]
            local = t["timestamp"].tz_convert("Africa/Nairobi")
            assert b[1] == f"{local:%Y-%m-%d %H:%M:%S}"


def test_bank_statement_metadata_dates_and_running_balance(exported):
    led, folder, written = exported
    tx = led.transactions.set_index("tx_id")
    layouts = set()
    for row in written[written["format"] == "bank_csv"].itertuples():
        text = (folder / row.file).read_text()
        header = BANK_HEADER if ",".join(BANK_HEADER) in text else BANK_HEADER_MONEY
        layouts.add(header[0])
        meta, body = _table(folder / row.file, header)
        labels = [m[0] for m in meta if m]
        assert labels == [
            "Bank Name",
            "Account Number",
            "Account Name",
            "Currency",
            "Statement Period",
            "Opening Balance",
        ]
        assert row.account.endswith("/" + meta[1][1])
        balance = _num(meta[5][1])
        for b in body:
            assert re.fullmatch(r"\d\d[/-]\d\d[/-]\d{4}", b[0]) and re.fullmatch(r"\d\d[/-]\d\d[/-]\d{4}", b[1])
            balance += _num(b[5]) - _num(b[4])
            assert _num(b[6]) == balance
            assert _num(b[4]) + _num(b[5]) == tx.loc[b[3], "amount_exact"]
            assert (
                pd.to_datetime(b[0], dayfirst=True).date()
                == tx.loc[b[3], "timestamp"].tz_convert("Africa/Nairobi").date()
            )
        assert [b[3] for b in body] == row.tx_ids
    assert layouts == {"Date", "Transaction Date"}


def test_etherscan_csv_is_fully_quoted_with_exact_values(exported):
    led, folder, written = exported
    tx = led.transactions.set_index("tx_id")
    rows = written[written["format"] == "etherscan"]
    assert len(rows) >= 1
    for row in rows.itertuples():
        lines = (folder / row.file).read_text().splitlines()
        assert next(csv.reader([lines[0]])) == ETHERSCAN_HEADER
        assert all(line.startswith('"') and line.endswith('"') for line in lines)
        body = list(csv.DictReader(lines))
        assert [b["Txhash"] for b in body] == row.tx_ids
        for b in body:
            t = tx.loc[b["Txhash"]]
            assert re.fullmatch(r"0x[0-9a-f]{64}", b["Txhash"])
            assert Decimal(b["Value_IN(ETH)"]) + Decimal(b["Value_OUT(ETH)"]) == t["amount_exact"]
            assert int(b["UnixTimestamp"]) == int(t["timestamp"].timestamp())
            assert ("eth:" + b["From"], "eth:" + b["To"]) == (t["sender"], t["receiver"])
            assert (b["Status"] == "Error(0)") == (t["status"] == "failed")


def test_tronscan_ui_and_api_variants(exported):
    led, folder, written = exported
    tx = led.transactions.set_index("tx_id")
    rows = written[written["format"] == "tronscan"]
    assert {"ui", "api"} <= {f.split("_")[1] for f in rows["file"]}
    for row in rows.itertuples():
        body = list(csv.DictReader((folder / row.file).read_text().splitlines()))
        ui = "_ui_" in row.file
        assert [b["Txn Hash" if ui else "transaction_id"] for b in body] == row.tx_ids
        for b in body:
            t = tx.loc[b["Txn Hash" if ui else "transaction_id"]]
            if ui:
                assert Decimal(b["Amount"]) == t["amount_exact"] and b["Token"] == "USDT"
                assert b["Time(UTC)"] == f"{t['timestamp']:%Y-%m-%d %H:%M:%S}"
            else:
                assert Decimal(b["quant"]) == t["amount_exact"] * 10**6 and b["tokenDecimal"] == "6"
                assert int(b["block_ts"]) // 1000 == int(t["timestamp"].timestamp())
            assert fi.schema.keys.tron_key(b["From" if ui else "from_address"]) == t["sender"]


def test_goaml_str_structure_and_amounts(exported):
    led, folder, written = exported
    tx = led.transactions.set_index("tx_id")
    for row in written[written["format"] == "goaml"].itertuples():
        root = etree.parse(str(folder / row.file)).getroot()
        assert (
            root.tag == "report" and root.findtext("report_code") == "STR" and root.findtext("submission_code") == "E"
        )
        trans = root.findall("transaction")
        assert [t.findtext("transactionnumber") for t in trans] == row.tx_ids
        local_ccy = root.findtext("currency_code_local")
        for t in trans:
            canon = tx.loc[t.findtext("transactionnumber")]
            assert Decimal(t.findtext("amount_local")) == canon["amount_exact"]
            assert canon["currency"] == local_ccy
            assert (t.find("t_from_my_client") is not None) or (t.find("t_to_my_client") is not None)
            assert (t.find("t_from_my_client") is not None) + (t.find("t_from") is not None) == 1
        people = root.findall(".//signatory/t_person")
        assert people and all(p.findtext("last_name") and p.findtext("ssn") for p in people)


def test_goaml_str_validates_against_the_goaml_5_schema(exported, shared_samples):
    xmlschema = pytest.importorskip("xmlschema")
    xsd = shared_samples / "goaml" / "thecury_goAMLSchema_v5.0.1.xsd"
    if not xsd.exists():
        pytest.skip("goAML XSD not in the shared samples")
    schema = xmlschema.XMLSchema11(str(xsd))
    _, folder, written = exported
    smallest = written[written["format"] == "goaml"].sort_values("rows").iloc[0]
    problems = [
        e for e in schema.iter_errors(str(folder / smallest["file"])) if "report_indicators" not in (e.path or "")
    ]
    assert problems == []  # indicators are FIU lookups; the generic schema only lists '-'


def test_explicit_selection_writes_only_those_accounts(tmp_path):
    led = fi.synth.generate(1_500, seed=4, typologies=[])
    wallet = led.transactions.loc[led.transactions["sender"].str.startswith("msisdn:+254"), "sender"].iloc[0]
    written = fi.synth.write_exports(led, tmp_path, wallets=[wallet], bank_accounts=[], eth=[], tron=[])
    assert written["file"].tolist() == [f"mpesa_statement_{wallet[8:]}.csv"]
    tx = led.transactions
    assert written.at[0, "rows"] == ((tx["sender"] == wallet) | (tx["receiver"] == wallet)).sum()
