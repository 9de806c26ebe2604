"""The generic tabular reader (bank_csv / bank_excel): real OCA samples, synthetic statements, bad input."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import finintel as fi
from finintel.errors import InputError
from finintel.ingest.tabular import read_tabular

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tabular"


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# --------------------------------------------------------------------------- real samples (OCA, AGPL: read in place only)


def test_oca_plain_signed_amount(shared_samples: Path) -> None:
    fr = fi.read(shared_samples / "bank_csv_xlsx" / "oca_sample_statement_en.csv")
    tx = fr.transactions
    assert fr.format == "bank_csv" and len(tx) == 2 and fr.rejects.empty
    own = fr.report["account"]
    assert own.startswith("acct:UNKNOWN/") and "account=" in json.loads(tx.at[0, "attributes"])["account_source"]
    # "-33.50" USD paid to John Doe (bank account 123456789); month-first dates (12/15/2018)
    assert (tx.at[0, "sender"], tx.at[0, "receiver"], tx.at[0, "receiver_name"]) == (
        own,
        "acct:UNKNOWN/123456789",
        "John Doe",
    )
    assert tx.at[0, "amount_exact"] == Decimal("33.5") and tx.at[0, "currency"] == "USD"
    assert tx.at[0, "timestamp"] == _ts("2018-12-14 21:00")  # midnight in Nairobi
    # "1,525.00" EUR received from Azure Interior (no bank account: a name key)
    assert (tx.at[1, "sender"], tx.at[1, "receiver"], tx.at[1, "amount"]) == (
        "acct:UNKNOWN/AZURE-INTERIOR",
        own,
        1525.0,
    )
    assert json.loads(tx.at[1, "attributes"])["Amount Currency"] == "1,000.00"
    assert tx["source_row"].tolist() == [2, 3]


def test_oca_xlsx_matches_csv(shared_samples: Path) -> None:
    fr = fi.read(shared_samples / "bank_csv_xlsx" / "oca_sample_statement_en.xlsx")
    tx = fr.transactions
    assert fr.format == "bank_excel" and fr.report["sheet"] == "Sheet1"
    assert tx["amount"].tolist() == [33.5, 1525.0] and tx["currency"].tolist() == ["USD", "EUR"]
    assert tx["timestamp"].tolist() == [_ts("2018-12-14 21:00")] * 2 and tx["source_row"].tolist() == [2, 3]


def test_oca_debit_credit_columns(shared_samples: Path) -> None:
    fr = fi.read(
        shared_samples / "bank_csv_xlsx" / "oca_debit_credit_amount.csv", account="555", institution="Test Bank"
    )
    tx = fr.transactions
    own = "acct:TEST-BANK/555"
    assert len(tx) == 4 and fr.rejects.empty
    # credit 20 in; credit "-13.50" is a reversed credit: out; debits "-33.50" and "1,500.00" are out whatever the sign
    assert tx["amount"].tolist() == [20.0, 13.5, 33.5, 1500.0]
    assert tx["receiver"].tolist() == [
        own,
        "acct:UNKNOWN/123456789",
        "acct:UNKNOWN/AZURE-INTERIOR",
        "acct:UNKNOWN/AZURE-INTERIOR",
    ]
    assert tx.at[0, "sender"] == "acct:UNKNOWN/123456789" and tx.at[0, "sender_name"] == "John Doe"
    assert json.loads(tx.at[3, "attributes"])["balance"] == "1,510.00"
    assert fr.accounts.at[0, "account"] == own


def test_oca_metadata_rows_decimal_comma_and_footer(shared_samples: Path) -> None:
    fr = fi.read(shared_samples / "bank_csv_xlsx" / "oca_meta_data_separated_credit_debit.csv")
    tx, rej = fr.transactions, fr.rejects
    assert fr.report["header_row"] == 5 and fr.report["decimal_comma"] is True
    own = fr.report["account"]
    assert own == "acct:1001010101/08088804068"  # Bank code + Account Number from the lines above the header
    assert tx["currency"].unique().tolist() == ["EUR"]  # the ": EUR" line
    assert [str(v) for v in tx["amount_exact"]] == [
        "50.000000000000000000",
        "100.000000000000000000",
        "80.680000000000000000",
        "1300.000000000000000000",
    ]
    assert tx["source_row"].tolist() == [6, 7, 8, 9]
    assert tx.at[3, "receiver"] == own and tx.at[3, "receiver_name"] == "Account Owner"
    # 01/04/20 is ambiguous: day first by default -> 1 April 2020 (the statement period is 01/04/2020-02/04/2020)
    assert tx.at[0, "timestamp"] == _ts("2020-03-31 21:00")
    assert json.loads(tx.at[0, "attributes"]) == {
        "Detail": "DETAILS 1",
        "reference": "UNIQUE OP 1",
        "counterparty_key_from": "unidentified",
    }
    # the footer line is not a transaction: it is rejected with its row and the reason, not dropped
    assert rej["source_row"].tolist() == [10] and rej.at[0, "column"] == "Date"
    assert "Balance at start of period" in rej.at[0, "raw"]


# --------------------------------------------------------------------------- synthetic statement with every kind of row


@pytest.fixture
def kcb() -> fi.ingest.Frames:
    return fi.read(FIXTURES / "kcb_style_statement.csv")


def test_metadata_owner_and_counterparties(kcb: fi.ingest.Frames) -> None:
    tx = kcb.transactions
    own = "acct:UNKNOWN/1234567890"
    assert kcb.report["header_row"] == 7 and kcb.report["blank_rows_skipped"] == 1
    assert tx["source_row"].tolist() == [8, 9, 11, 16]
    # the bank is not named: both cash points stay this account's own cash node, named as the narrative says
    cash = "cash:unknown/acct:UNKNOWN/1234567890"
    assert tx["sender"].tolist() == [own, cash, "iban:GB82WEST12345698765432", own]
    assert tx["receiver"].tolist() == ["msisdn:+254712345678", own, own, cash]
    assert (tx.at[1, "sender_name"], tx.at[3, "receiver_name"]) == ("BRANCH KISUMU", "ATM WESTLANDS")
    assert tx["channel"].tolist() == ["bank", "cash", "bank", "cash"]
    assert tx["amount"].tolist() == [5000.0, 150000.0, 1000.5, 2000.0]
    assert tx["currency"].unique().tolist() == ["KES"]
    assert tx.at[0, "timestamp"] == _ts("2024-03-02 06:15")
    assert tx.at[0, "sender_name"] == "AMINA W. OCHIENG"
    assert json.loads(tx.at[0, "attributes"]) == {
        "balance": "95,000.00",
        "reference": "FT24062AB1",
        "value_date": "02/03/2024",
        "counterparty_key_from": "narrative id",
    }
    assert json.loads(tx.at[1, "attributes"])["counterparty_key_from"] == "cash point"
    assert kcb.accounts.at[0, "account_name"] == "AMINA W. OCHIENG" and kcb.parties.at[0, "name"] == "AMINA W. OCHIENG"


def test_every_bad_row_is_rejected_with_row_column_reason(kcb: fi.ingest.Frames) -> None:
    rej = kcb.rejects.set_index("source_row")
    assert sorted(rej.index) == [12, 13, 14, 15]
    assert rej.at[12, "column"] == "Txn Date" and "not a date" in rej.at[12, "problem"]  # 31/02/2024
    assert rej.at[13, "column"] == "Money Out" and "not a number" in rej.at[13, "problem"]
    assert "both debit and credit" in rej.at[14, "problem"]
    assert "neither debit nor credit" in rej.at[15, "problem"]
    assert rej.at[13, "raw"] == "14/03/2024 08:00,14/03/2024,NOT A NUMBER,X2,abc,,1.00"
    assert kcb.rows_read == len(kcb.transactions) + len(kcb.rejects) == 8


def test_explicit_mapping_signed_amount_and_drcr(tmp_path: Path) -> None:
    p = tmp_path / "s.csv"
    p.write_text(
        "When;What;Sum;Side;Who\n05.03.2024;rent;1.234,50;D;LANDLORD LTD\n06.03.2024;salary;2.000,00;C;EMPLOYER\n07.03.2024;x;0,00;C;Y\n"
    )
    fr = fi.read(
        p,
        format="bank_csv",
        mapping={"timestamp": "When", "amount": "Sum", "drcr": "Side", "counterparty": "Who", "description": "What"},
        currency="KES",
        account="9",
    )
    tx = fr.transactions
    assert tx["amount_exact"].map(str).tolist() == ["1234.500000000000000000", "2000.000000000000000000"]
    assert tx["receiver"].tolist() == ["acct:LANDLORD-LTD".replace("acct:", "acct:UNKNOWN/"), "acct:UNKNOWN/9"]
    assert tx.at[1, "sender"] == "acct:UNKNOWN/EMPLOYER"
    assert fr.rejects["problem"].tolist() == ["zero amount: moves no value"] and fr.rejects["source_row"].tolist() == [
        4
    ]


def test_day_first_detected_from_data_and_override(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("Date,Amount\n01/02/2024,5\n13/02/2024,6\n")
    tx = fi.read(p).transactions
    assert tx["timestamp"].dt.tz_convert("Africa/Nairobi").dt.strftime("%Y-%m-%d").tolist() == [
        "2024-02-01",
        "2024-02-13",
    ]
    q = tmp_path / "m.csv"
    q.write_text("Date,Amount\n01/02/2024,5\n02/03/2024,6\n")  # ambiguous: dayfirst decides
    got = fi.read(q, dayfirst=False, tz="UTC").transactions["timestamp"].tolist()
    assert got == [_ts("2024-01-02"), _ts("2024-02-03")]


def test_missing_required_column_lists_headers_and_aliases(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("Date,Narrative,Debit\n01/02/2024,x,5\n")
    with pytest.raises(
        InputError,
        match=r"missing required column\(s\): timestamp \('Txn Date'\).*headers found: \['Date', 'Narrative', 'Debit'\]",
    ):
        read_tabular(p, mapping={"timestamp": "Txn Date"})
    q = tmp_path / "y.csv"
    q.write_text("Foo,Bar\n1,2\n")
    with pytest.raises(InputError, match="no header row found.*'Foo', 'Bar'") as err:
        read_tabular(q)
    assert str(q) in str(err.value)


def test_empty_header_only_and_bad_encoding(tmp_path: Path) -> None:
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_tabular(empty)
    header = tmp_path / "h.csv"
    header.write_text("Date,Details,Debit,Credit,Balance\n")
    fr = fi.read(header)
    assert fr.transactions.empty and fr.rejects.empty and fr.rows_read == 0
    latin = tmp_path / "l.csv"
    latin.write_bytes("Date,Details,Amount\n01/02/2024,caf\u00e9,5\n".encode("cp1252"))
    with pytest.raises(InputError, match=r"row 2: cannot decode byte b'\\xe9' at offset 34"):
        read_tabular(latin)
    assert fi.read(latin, encoding="cp1252").transactions.at[0, "description"] == "caf\u00e9"


def test_ragged_rows_and_quoted_newlines_keep_spreadsheet_rows(tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_text('Date,Details,Amount\n01/02/2024,"two\nlines",5\n02/02/2024,a,b,c,6\n\n03/02/2024,ok,-7\n')
    fr = fi.read(p)
    assert fr.transactions["source_row"].tolist() == [2, 5] and fr.transactions["description"].tolist() == [
        "two\nlines",
        "ok",
    ]
    assert fr.rejects["source_row"].tolist() == [3] and "5 fields but the header has 3" in fr.rejects.at[0, "problem"]


def test_excel_with_metadata_rows(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Statement of account"])
    ws.append(["Account Number", "0011223344"])
    ws.append(["Customer Name", "JANE ATIENO"])
    ws.append([])
    ws.append(["Transaction Date", "Particulars", "Withdrawals", "Deposits", "Balance"])
    ws.append([pd.Timestamp("2024-05-01 08:30").to_pydatetime(), "Transfer 256772123456", 1500.25, None, 10.0])
    ws.append(["2024-05-02", "=SUM(1,2)", None, 3, 13.0])
    p = tmp_path / "s.xlsx"
    wb.save(p)
    fr = fi.read(p, currency="UGX", country="UG")
    tx = fr.transactions
    assert fr.format == "bank_excel" and fr.report["header_row"] == 5 and tx["source_row"].tolist() == [6, 7]
    assert tx.at[0, "sender"] == "acct:UNKNOWN/0011223344" and tx.at[0, "receiver"] == "msisdn:+256772123456"
    assert tx.at[0, "amount_exact"] == Decimal("1500.25") and tx.at[0, "timestamp"] == _ts("2024-05-01 05:30")
    assert pd.isna(tx.at[1, "description"])  # a formula is never evaluated: no cached value, no text


def test_case_ingest_round_trip(tmp_path: Path) -> None:
    case = fi.open_case(tmp_path / "case")
    summary = case.ingest(FIXTURES / "kcb_style_statement.csv")
    assert summary[["format", "rows_read", "rows_written", "rows_rejected"]].iloc[0].tolist() == ["bank_csv", 8, 4, 4]
    assert len(case.transactions()) == 4 and len(case.rejects()) == 4


def test_counterparty_bank_and_account_in_narrative(tmp_path: Path) -> None:
    p = tmp_path / "n.csv"
    p.write_text(
        "Date,Description,Debit,Credit\n05/01/2024,IFT TO ABEBE KEBEDE DASHEN BANK 4099755125010,100.00,\n"
        "06/01/2024,TRANSFER FROM JOHN OTIENO KCB 1234567890,,50.00\nClosing Balance,,,\n"
    )
    fr = fi.read(p, account="1000", institution="Awash Bank", currency="ETB")
    tx = fr.transactions
    assert tx["receiver"].tolist() == ["acct:DASHEN-BANK/4099755125010", "acct:AWASH-BANK/1000"]
    assert tx["sender"].tolist() == [
        "acct:AWASH-BANK/1000",
        "acct:KCB-BANK-KENYA/1234567890",
    ]  # short name -> canonical
    assert tx.at[0, "receiver_name"] == "ABEBE KEBEDE" and tx.at[1, "sender_name"] == "JOHN OTIENO"
    assert fr.rejects["source_row"].tolist() == [4] and "only text" in fr.rejects.at[0, "problem"]


def test_phone_keys_match_guess_key() -> None:
    import numpy as np
    import pyarrow as pa

    from finintel.ingest._tabular_parse import phone_keys
    from finintel.schema.keys import guess_key

    rng = np.random.default_rng(1)
    local = [f"0{p}{rng.integers(0, 10**8):08d}" for p in rng.choice([7, 1, 2, 3, 4, 9], 1000)]
    intl = [f"+{c}{rng.integers(10**8, 10**9)}" for c in rng.choice([254, 256, 251, 253, 255], 1000)]
    values = local + intl + ["0****393", "12345", "not a phone"]
    for country in ("KE", "UG", "ET", "DJ"):
        assert phone_keys(pa.array(values), country).to_pylist() == [guess_key(v, country) for v in values]


def test_html_table_saved_as_xls(tmp_path: Path) -> None:
    p = tmp_path / "statement.xls"
    p.write_text(
        "<html><head><meta charset='utf-8'></head><body>"
        "<table><tr><td>Account Number:</td><td>0123456789</td></tr><tr><td>Currency:</td><td>UGX</td></tr></table>"
        "<table><tr><th>Posting Date</th><th>Particulars</th><th>Debit</th><th>Credit</th><th>Balance</th></tr>"
        "<tr><td>02/06/2024</td><td>Transfer to 0772123456 &amp; co</td><td>1,000.00</td><td></td><td>9,000.00</td></tr>"
        "<tr><td>03/06/2024</td><td>Deposit</td><td></td><td>500.00</td><td>9,500.00</td></tr></table></body></html>"
    )
    fr = fi.read(p, institution="Stanbic Bank Uganda", country="UG")
    tx = fr.transactions
    assert fr.format == "bank_excel" and fr.report["sheet"] == "html" and fr.report["header_row"] == 3
    assert tx["source_row"].tolist() == [4, 5] and tx["currency"].unique().tolist() == ["UGX"]
    assert (
        tx.at[0, "sender"] == "acct:STANBIC-BANK-UGANDA/0123456789" and tx.at[0, "receiver"] == "msisdn:+256772123456"
    )
    assert tx.at[0, "description"] == "Transfer to 0772123456 & co" and tx["amount"].tolist() == [1000.0, 500.0]


def test_bad_options_are_named(tmp_path: Path) -> None:
    p = tmp_path / "o.csv"
    p.write_text("Bank Name,Dashen Bank\nDate,Amount\n01/02/2024,5\n")
    with pytest.raises(InputError, match="unknown time zone tz='Mars/Base'"):
        read_tabular(p, tz="Mars/Base")
    with pytest.raises(InputError, match="unknown role\\(s\\) 'timestmp' in mapping="):
        read_tabular(p, mapping={"timestmp": "Date"})
    # the statement's "Bank Name" line names the institution of the holder's key, with or without account=
    assert fi.read(p, account="77").transactions.at[0, "receiver"] == "acct:DASHEN-BANK/77"


def test_excel_statement_on_second_sheet(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    cover = wb.active
    cover.title = "Cover"
    cover.append(["Statement for", "JANE"])
    data = wb.create_sheet("Transactions")
    data.append(["Date", "Narrative", "Amount"])
    data.append(["2024-05-02", "salary", 700])
    p = tmp_path / "two.xlsx"
    wb.save(p)
    fr = fi.read(p, currency="KES")
    assert fr.report["sheet"] == "Transactions" and fr.transactions["amount"].tolist() == [700.0]


_cells = st.sampled_from(["", "0.00", "12.50", "1,000.00", "abc", "-5", "(7.25)"])
_dates = st.sampled_from(["", "05/03/2024", "31/02/2024", "2024-03-05 10:00", "Total", "5 Mar 2024"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_dates, st.text('ab ,"\n', max_size=8), _cells, _cells), min_size=1, max_size=12))
def test_every_row_lands_in_transactions_or_rejects(tmp_path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["Date", "Details", "Debit", "Credit"])
    writer.writerows(rows)
    p = tmp_path / "h.csv"
    p.write_text(buf.getvalue())
    fr = fi.read(p, format="bank_csv", currency="KES")
    nonblank = [i + 2 for i, r in enumerate(rows) if any(c.strip() for c in r)]
    seen = sorted(fr.transactions["source_row"].tolist() + fr.rejects["source_row"].tolist())
    assert seen == nonblank
    assert (fr.transactions["amount"] > 0).all()


def test_excel_unicode_text_utf16_tab_separated(tmp_path: Path) -> None:
    p = tmp_path / "u.txt"
    p.write_bytes("Date\tDetails\tAmount\n02/03/2024\tcaf\u00e9 \u20ac\t-12.50\n".encode("utf-16"))
    fr = fi.read(p, currency="KES")
    assert fr.format == "bank_csv" and fr.report["delimiter"] == "\t"
    assert fr.transactions.at[0, "description"] == "caf\u00e9 \u20ac" and fr.transactions.at[0, "amount"] == 12.5


def test_attributes_are_valid_json_for_any_text() -> None:
    import random

    import pyarrow as pa

    from finintel.ingest._tabular_parse import json_objects

    rng = random.Random(1)
    alphabet = ["a", '"', "\\", "\n", "\t", "\x01", "\x1f", "\u00e9", "\u20ac", " ", "\r"]
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(500)] + [None]
    out = json_objects({'k"ey': pa.array(values), "b": pa.array(values[::-1])}, len(values)).to_pylist()
    assert [json.loads(o)['k"ey'] for o in out] == [v or None for v in values]
