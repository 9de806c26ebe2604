import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import finintel as fi
from finintel.errors import InputError
from finintel.ingest.mt940 import parse_information

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mt940"


def attrs(tx: pd.DataFrame, i: int) -> dict:
    return json.loads(tx.at[i, "attributes"])


@pytest.mark.samples
@pytest.mark.parametrize(
    ("name", "count", "statements"),
    [
        ("wolph-betterplace_sepa_snippet.sta", 11, 2),
        ("wolph-cmxl_mt940.sta", 16, 3),
        ("wolph-jejik_abnamro.sta", 10, 2),
        ("wolph-jejik_ing.sta", 7, 1),
        ("wolph-mBank_mt942.sta", 3, 1),
    ],
)
def test_sample_counts(shared_samples, name, count, statements):
    fr = fi.read(shared_samples / "mt940" / name)
    assert fr.format == "mt940"
    assert (len(fr.transactions), len(fr.rejects), fr.report["statements"]) == (count, 0, statements)
    assert fr.transactions["tx_id"].is_unique


@pytest.mark.samples
def test_betterplace_sepa_values(shared_samples):
    tx = fi.read(shared_samples / "mt940" / "wolph-betterplace_sepa_snippet.sta").transactions
    first = tx.iloc[0]
    # :61:0709070904CR50990,05NTRFNONREF//0724710333343453 on line 5; ?31 IBAN wrapped over two lines
    assert (first["sender"], first["receiver"]) == ("iban:DE14508800500194785000", "acct:50880050/0194787400888")
    assert first["sender_name"] == "KARL KAUFMANN"
    assert first["amount_exact"] == Decimal("50990.05") and first["currency"] == "EUR"
    assert first["timestamp"] == pd.Timestamp("2007-09-07", tz="UTC")
    assert first["source_row"] == 5
    a = attrs(tx, 0)
    assert a["entry_date"] == "2007-09-04" and a["bank_reference"] == "0724710333343453" and a["funds_code"] == "R"
    assert a["EREF"] == "EndToEndId TFNR 22 004 00001"
    # "Richter Renate 70 Zeichen B" + "eginn ..." : ?32/?33 are fixed-width chunks joined without a space
    assert tx.iloc[7]["sender_name"].startswith("Richter Renate 70 Zeichen Beginn")
    # second statement: debit 0,08 on line 29 and 'CR15000,' (no decimals) on line 35
    assert tx.iloc[4][["sender", "amount", "source_row"]].tolist() == ["acct:50880050/0194791600888", 0.08, 29]
    assert tx.iloc[6][["amount", "source_row"]].tolist() == [15000.0, 35]
    assert (
        tx.iloc[10]["amount_exact"] == Decimal("3572569.03") and tx.iloc[10]["sender"] == "acct:50880050/0194791600888"
    )


@pytest.mark.samples
def test_cmxl_polish_statement_and_account_with_bank_code(shared_samples):
    tx = fi.read(shared_samples / "mt940" / "wolph-cmxl_mt940.sta").transactions
    assert set(tx["currency"]) == {"DEM", "EUR", "PLN"}
    # ?3010020030?31234567?32MUELLER: standing order out of 10020030/1234567
    assert tx.iloc[11][["sender", "receiver", "receiver_name", "amount"]].tolist() == [
        "acct:10020030/1234567",
        "acct:10020030/234567",
        "MUELLER",
        800.0,
    ]
    # ?31 account wrapped across lines: '084756' + '4700'
    assert tx.iloc[12]["sender"] == "acct:50060400/0847564700"
    # Polish ?38 IBAN wins over ?31; the statement account is BIC/number
    row = tx.iloc[13]
    assert (row["sender"], row["receiver"], row["source_row"]) == (
        "iban:PL08106000760000777777777777",
        "acct:BPHKPLPK/320000546101",
        53,
    )
    assert attrs(tx, 13)["supplementary_details"] == "Card transaction"


@pytest.mark.samples
def test_abnamro_bic_from_header_and_intermediate_balance(shared_samples):
    fr = fi.read(shared_samples / "mt940" / "wolph-jejik_abnamro.sta")
    tx = fr.transactions
    assert set(tx["sender"]) == {"acct:ABNANL2A/517852257"}  # every entry is a debit
    assert tx["amount_exact"].sum() == Decimal("345.93")  # 9+11.59+11.63+11.80+13.45+15.49+107+141.48+9.49+15
    assert tx.iloc[8]["source_row"] == 36  # first :61: of the :60M: continuation statement
    assert fr.accounts["account"].tolist() == ["acct:ABNANL2A/517852257"]


@pytest.mark.samples
def test_ing_totals(shared_samples):
    tx = fi.read(shared_samples / "mt940" / "wolph-jejik_ing.sta").transactions
    owner = "acct:INGBNL2A/0001234567"
    assert tx.loc[tx["sender"] == owner, "amount_exact"].sum() == Decimal("50.27")
    assert tx.loc[tx["receiver"] == owner, "amount_exact"].sum() == Decimal("4.68")


@pytest.mark.samples
def test_mt942_interim_report(shared_samples):
    tx = fi.read(shared_samples / "mt940" / "wolph-mBank_mt942.sta").transactions
    assert tx["amount_exact"].tolist() == [Decimal("0.01")] * 3
    assert set(tx["sender"]) == {"iban:PL56114010810000267002001001"}
    assert set(tx["receiver"]) == {"iban:PL29114010810000267002001002"}
    assert tx.iloc[0]["sender_name"] == "JAN NOWAK"
    assert attrs(tx, 0)["message_type"] == "MT942" and attrs(tx, 2)["bank_reference"] == "MB170119012121"


def test_reversal_bad_amount_and_envelope():
    fr = fi.read(FIXTURES / "kcb_reversal.sta")
    tx = fr.transactions
    assert len(tx) == 4 and len(fr.rejects) == 1
    assert fr.rows_read == 5
    owner = "acct:KCB-BANK-KENYA/1234567890"  # institution from the {1:F01KCBLKENXAXXX...} envelope
    debit, reversal = tx.iloc[0], tx.iloc[1]
    assert (debit["sender"], debit["receiver"], debit["status"]) == (owner, "iban:DE89370400440532013000", "completed")
    # RD reverses a debit: same direction, status reversed
    assert (reversal["sender"], reversal["receiver"], reversal["status"]) == (
        owner,
        "iban:DE89370400440532013000",
        "reversed",
    )
    assert reversal["description"] == "wrong account" and attrs(tx, 1)["mark"] == "RD"
    assert tx.iloc[2][["sender", "sender_name", "amount"]].tolist() == [
        "acct:UNKNOWN/MOHAMED-ALI",
        "MOHAMED ALI",
        4500.75,
    ]
    assert attrs(tx, 2)["counterparty_key_from"] == "name"
    assert tx.iloc[3]["sender"].startswith("acct:UNKNOWN/ENTRY-") and tx.iloc[3]["source_row"] == 15
    bad = fr.rejects.iloc[0]
    assert (bad["source_row"], bad["column"]) == (13, ":61:")
    assert "'12x,00NTRFNONREF'" in bad["problem"]


def test_missing_account_header_rejects_every_line(tmp_path):
    p = tmp_path / "noacct.sta"
    p.write_text(":20:X\n:25:\n:60F:C240301KES0,\n:61:240301D10,NTRFNONREF\n:61:240301C5,NTRFNONREF\n-\n")
    fr = fi.read(p, format="mt940")
    assert fr.transactions.empty
    assert fr.rejects["source_row"].tolist() == [4, 5]
    assert (fr.rejects["column"] == ":25:").all()


def test_statement_without_entries_and_truncated_file(tmp_path):
    p = tmp_path / "empty.sta"
    p.write_text(":20:X\n:25:123\n:28C:1\n:60F:C240301KES0,\n:62F:C240301KES0,\n-\n")
    fr = fi.read(p)
    assert fr.transactions.empty and fr.rejects.empty and fr.report["statements"] == 1
    cut = tmp_path / "cut.sta"
    cut.write_text(":20:X\n:25:123\n:28C:1\n:60F:C240301KES0,\n:61:240301D10,NTRFNONREF\n:86:rent\n:61:2403")
    fr = fi.read(cut)
    assert len(fr.transactions) == 1 and fr.rejects["source_row"].tolist() == [7]
    assert "YYMMDD" in fr.rejects.iloc[0]["problem"]


def test_not_a_statement_is_not_sniffed(tmp_path):
    p = tmp_path / "mt103.txt"
    p.write_text("{4:\n:20:REF\n:23B:CRED\n:32A:240301KES100,\n-}\n")
    with pytest.raises(InputError):
        fi.read(p, format="mt940")
    from finintel.ingest.mt940 import _sniff

    assert _sniff(p, p.read_bytes()) is not True


def test_parse_information_unstructured_keeps_text():
    info = parse_information(["BEA   NR:XXX1234   21.05.11/12.54 DIRCKIII", "KATWIJK,PAS999"])
    assert info == {"description": "BEA NR:XXX1234 21.05.11/12.54 DIRCKIII KATWIJK,PAS999"}


@pytest.mark.parametrize(
    ("text", "country", "key", "name"),
    [
        ("MPESA C2B 254712345678 JANE WANJIRU REF QWE123XYZ", "KE", "+254712345678", "JANE WANJIRU"),
        ("AIRTEL MONEY B2C TO 0733 123456", "KE", "+254733123456", None),
        ("AIRTEL MONEY B2C TO 0772 123456", "UG", "+256772123456", None),
        (
            "TELEBIRR TRANSFER 0911234567 ABEBE KEBEDE/",
            "KE",
            "+251911234567",
            "ABEBE KEBEDE",
        ),  # telebirr numbers are Ethiopian
    ],
)
def test_mobile_money_wallet_named_in_free_text(text, country, key, name):
    info = parse_information([text], country)
    assert info["counterparty_msisdn"] == key and info.get("counterparty_name") == name


def test_phone_without_wallet_word_is_not_a_counterparty():
    assert "counterparty_msisdn" not in parse_information(["INVOICE 0712345678 PAID"])


def test_bank_to_mpesa_entry_keys_the_wallet(tmp_path):
    p = tmp_path / "equity.sta"
    p.write_text(
        ":20:S\n:25:0170199887766\n:28C:1/1\n:60F:C240301KES0,\n:61:2403010301D70000,NTRFNONREF\n:86:MPESA B2C 0712345678 JOHN OKELLO\n-\n"
    )
    tx = fi.read(p, institution="EQBLKENA").transactions
    assert tx.iloc[0][["sender", "receiver", "receiver_name"]].tolist() == [
        "acct:EQUITY-BANK-KENYA/0170199887766",
        "msisdn:+254712345678",
        "JOHN OKELLO",
    ]
    assert attrs(tx, 0)["counterparty_key_from"] == "msisdn"


def test_overlapping_statements_give_the_same_ids(tmp_path):
    entry = ":61:2403010301D250,50NTRFNONREF//B1\n:86:?20rent?32JANE DOE\n"
    twice = ":61:2403010301D99,NTRFNONREF\n:86:?20coffee\n" * 2
    daily = tmp_path / "day.sta"
    daily.write_text(
        ":20:D1\n:25:KCBLKENX/1234567890\n:28C:1/1\n:60F:C240301KES1000,00\n" + entry + twice + ":62F:C240301KES0,\n-\n"
    )
    month = tmp_path / "month.sta"
    month.write_text(
        ":20:M3\n:25:KCBLKENX/1234567890\n:28C:3/1\n:60F:C240229KES1000,00\n:61:2402290229C5,NTRFNONREF\n"
        + entry
        + twice
        + "-\n"
    )
    a, b = fi.read(daily).transactions, fi.read(month).transactions
    assert a["tx_id"].is_unique and len(a) == 3  # the two identical coffees stay two
    assert a["tx_id"].tolist() == b["tx_id"].tolist()[1:]


def test_at_at_line_separators(tmp_path):
    p = tmp_path / "atat.sta"
    p.write_text(
        "@@:20:S@@:25:KCBLKENX/1234567890@@:28C:1/1@@:60F:C240301KES0,@@:61:2403010301C10,NTRFNONREF@@:86:?32MARY@@-@@"
    )
    fr = fi.read(p)
    assert fr.format == "mt940"
    assert fr.transactions[["sender", "amount", "source_row"]].values.tolist() == [["acct:UNKNOWN/MARY", 10.0, 6]]
