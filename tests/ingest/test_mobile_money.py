"""Mobile-money readers: M-Pesa (real sample + synthetic), MTN MoMo, Airtel Money, telebirr; sniffing."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import finintel as fi
from finintel.ingest import detect_format
from finintel.ingest._registry import read_head
from finintel.ingest.tabular import _sniff_csv

OWNER = "msisdn:+254712345678"


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


MPESA_CSV = """\
MPESA FULL STATEMENT
Customer Name:,AMINA WANJIRU
Mobile Number:,0712345678
Statement Period:,01 Mar 2024 - 31 Mar 2024
Receipt No.,Completion Time,Details,Transaction Status,Paid In,Withdrawn,Balance
SC11AAAAA1,2024-03-01 10:15:00,Customer Transfer to 0729914044 - JANE DOE,Completed,,-1500.00,500.00
SC11AAAAA2,2024-03-01 11:00:00,Funds received from 254733000111 - JOHN K MWANGI,Completed,"20,000.00",,"20,500.00"
SC11AAAAA3,2024-03-02 09:00:00,Pay Bill to 888880 - KPLC PREPAID Acc. 12345,Completed,,-250.00,"20,250.00"
SC11AAAAA4,2024-03-02 12:30:00,Customer Withdrawal At Agent Till 123456 - BAHATI SHOP,Completed,,"-10,000.00","10,250.00"
SC11AAAAA5,2024-03-03 08:00:00,Deposit of Funds at Agent Till 654321 - MAMA MBOGA,Completed,"3,000.00",,"13,250.00"
SC11AAAAA6,2024-03-03 09:00:00,Customer Transfer to 0****393 - PETER O,Failed,,-700.00,"13,250.00"
SC11AAAAA7,2024-03-03 10:00:00,Merchant Payment to 123456 - SUPERMARKET,Reversed,,-99.00,"13,250.00"
SC11AAAAA8,2024-03-03 10:00:01,Customer Transfer of Funds Charge,Completed,,-13.00,"13,237.00"
SC11AAAAA9,2024-03-04 10:00:00,Business Payment from 303030 - EQUITY BANK,Completed,abc,,"13,237.00"
SC11AAAAB1,2024-03-05 10:00:00,Pay Bill to 522522 - KCB Acc. 1234567890,Completed,,"-5,000.00","8,237.00"
SC11AAAAB2,2024-03-06 10:00:00,International Money Transfer from IVAN BYARUHANGA (AE) via WorldRemit,Completed,"1,575.83",,"9,812.83"
"""


@pytest.fixture
def mpesa_csv(tmp_path: Path) -> Path:
    p = tmp_path / "statement.csv"
    p.write_text(MPESA_CSV)
    return p


def test_real_mpesa_org_portal_xls(shared_samples: Path) -> None:
    path = shared_samples / "mobile_money" / "mifos-plugins_mpesa_example_import.xls"
    fr = fi.read(path)
    tx = fr.transactions
    assert fr.format == "mpesa" and fr.report["header_row"] == 23 and fr.rejects.empty
    assert tx["tx_id"].tolist() == ["mpesa:C94ZH942", "mpesa:C94ZH726", "mpesa:C94ZH740"]
    assert tx["source_row"].tolist() == [24, 25, 26]
    assert tx["sender"].tolist() == ["msisdn:+254729914044", "msisdn:+254722502291", "msisdn:+254722827927"]
    assert tx["sender_name"].tolist() == ["SALLY O.JIMA", "JIM THULE", "KIM SHOEINDO"]
    assert set(tx["receiver"]) == {"acct:MPESA/149991117"}  # "Account Number 1499911-17" in the summary block
    assert tx["amount"].tolist() == [2750.0, 2750.0, 3211.0] and set(tx["currency"]) == {"KES"}
    assert tx.at[0, "timestamp"] == _ts("2008-10-23 14:47:33")  # 17:47:33 in Nairobi
    attrs = json.loads(tx.at[0, "attributes"])
    assert attrs["account_reference"] == "90982" and attrs["type"] == "Pay Utility" and attrs["balance"] == "8711"
    assert set(tx["status"]) == {"completed"} and set(tx["channel"]) == {"mobile_money"}


def test_mpesa_customer_statement(mpesa_csv: Path) -> None:
    fr = fi.read(mpesa_csv)
    tx = fr.transactions.set_index("tx_id")
    assert fr.format == "mpesa" and fr.report["account"] == OWNER and fr.report["header_row"] == 5
    assert len(tx) == 10 and fr.rows_read == 11
    assert tx.loc["mpesa:SC11AAAAA1", ["sender", "receiver", "receiver_name", "amount"]].tolist() == [
        OWNER,
        "msisdn:+254729914044",
        "JANE DOE",
        1500.0,
    ]
    assert tx.loc["mpesa:SC11AAAAA2", ["sender", "receiver", "sender_name", "amount"]].tolist() == [
        "msisdn:+254733000111",
        OWNER,
        "JOHN K MWANGI",
        20000.0,
    ]
    assert tx.loc["mpesa:SC11AAAAA3", "receiver"] == "paybill:888880"
    assert json.loads(tx.loc["mpesa:SC11AAAAA3", "attributes"])["account_reference"] == "12345"
    assert tx.loc["mpesa:SC11AAAAA4", ["receiver", "channel", "amount"]].tolist() == [
        "cash:agent-till-123456",
        "cash",
        10000.0,
    ]
    assert tx.loc["mpesa:SC11AAAAA5", ["sender", "receiver", "channel"]].tolist() == [
        "cash:agent-till-654321",
        OWNER,
        "cash",
    ]
    assert tx.loc["mpesa:SC11AAAAA6", ["receiver", "status"]].tolist() == ["masked:0****393", "failed"]
    assert tx.loc["mpesa:SC11AAAAA7", ["receiver", "status"]].tolist() == ["paybill:123456", "reversed"]
    # the charge stays on the wallet's own fee node, not a shared Safaricom node linking every customer
    assert tx.loc["mpesa:SC11AAAAA8", ["receiver", "channel"]].tolist() == ["fee:" + OWNER, "other"]
    assert (tx["status"] == "completed").sum() == 8
    # a bank paybill with an account number pays into that bank account
    assert tx.loc["mpesa:SC11AAAAB1", "receiver"] == "acct:KCB-BANK-KENYA/1234567890"
    assert json.loads(tx.loc["mpesa:SC11AAAAB1", "attributes"])["paybill"] == "522522"
    imt = tx.loc["mpesa:SC11AAAAB2"]
    assert [imt["sender"], imt["channel"], imt["sender_country"], imt["receiver_country"]] == [
        "acct:UNKNOWN/IVAN-BYARUHANGA",
        "remittance",
        "AE",
        "KE",
    ]
    assert tx.loc["mpesa:SC11AAAAA1", ["sender_country", "receiver_country"]].tolist() == ["KE", "KE"]
    assert tx.loc["mpesa:SC11AAAAA1", "timestamp"] == _ts("2024-03-01 07:15")
    assert fr.rejects[["source_row", "column"]].values.tolist() == [[14, "Paid In"]]
    assert fr.accounts.at[0, "account_name"] == "AMINA WANJIRU" and fr.parties.at[0, "phone"] == "+254712345678"


def test_generic_reader_refuses_what_mpesa_claims(mpesa_csv: Path) -> None:
    assert detect_format(mpesa_csv).name == "mpesa"
    assert _sniff_csv(mpesa_csv, read_head(mpesa_csv)) == "claimed by the more specific mpesa reader"


def test_same_receipt_in_both_statements_dedupes(tmp_path: Path) -> None:
    sender = tmp_path / "a.csv"
    sender.write_text(
        "Receipt No.,Completion Time,Details,Transaction Status,Paid In,Withdrawn,Balance\n"
        "SC22BBBBB1,2024-03-05 10:00:00,Customer Transfer to 0729914044 - JANE DOE,Completed,,-800.00,0.00\n"
    )
    receiver = tmp_path / "b.csv"
    receiver.write_text(
        "Receipt No.,Completion Time,Details,Transaction Status,Paid In,Withdrawn,Balance\n"
        "SC22BBBBB1,2024-03-05 10:00:00,Funds received from 0712345678 - AMINA W,Completed,800.00,,800.00\n"
    )
    case = fi.open_case(tmp_path / "case")
    case.ingest(sender, msisdn="0712345678")
    case.ingest(receiver, msisdn="0729914044")
    tx = case.transactions()
    assert tx[["tx_id", "sender", "receiver"]].values.tolist() == [["mpesa:SC22BBBBB1", OWNER, "msisdn:+254729914044"]]
    assert case.rejects()["problem"].str.contains("duplicate").tolist() == [True]


def test_mpesa_org_portal_xlsx_other_party_info(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Account Holder", "ACME SACCO LTD"])
    ws.append(["Short Code", "552211"])
    ws.append(["Time Period", "01-04-2024 to 30-04-2024"])
    ws.append([])
    ws.append(
        [
            "Receipt No.",
            "Completion Time",
            "Initiation Time",
            "Details",
            "Transaction Status",
            "Paid In",
            "Withdrawn",
            "Balance",
            "Balance Confirmed",
            "Reason Type",
            "Other Party Info",
            "Linked Transaction ID",
            "A/C No.",
        ]
    )
    ws.append(
        [
            "SD41CCCCC1",
            "15-04-2024 14:03:10",
            "15-04-2024 14:03:09",
            "Payment received",
            "Completed",
            5000,
            None,
            5000,
            "true",
            "Pay Bill Online",
            "254711222333 - MARY ACHIENG",
            None,
            "LOAN-7",
        ]
    )
    ws.append(
        [
            "SD41CCCCC2",
            "16-04-2024 09:00:00",
            "16-04-2024 09:00:00",
            "Business Payment to 254722000999 - TOM",
            "Completed",
            None,
            -2000,
            3000,
            "true",
            "Business Payment",
            "254722000999 - TOM OTIENO",
            None,
            None,
        ]
    )
    p = tmp_path / "org.xlsx"
    wb.save(p)
    fr = fi.read(p)
    tx = fr.transactions
    assert fr.format == "mpesa" and fr.report["account"] == "paybill:552211"
    assert tx[["sender", "receiver"]].values.tolist() == [
        ["msisdn:+254711222333", "paybill:552211"],
        ["paybill:552211", "msisdn:+254722000999"],
    ]
    assert tx["sender_name"].tolist() == ["MARY ACHIENG", "ACME SACCO LTD"]
    assert tx["receiver_name"].tolist() == ["ACME SACCO LTD", "TOM OTIENO"]  # Other Party Info wins over Details
    assert tx.at[0, "timestamp"] == _ts("2024-04-15 11:03:10")
    assert json.loads(tx.at[0, "attributes"])["A/C No."] == "LOAN-7"


def test_mtn_momo_explicit_from_to(tmp_path: Path) -> None:
    p = tmp_path / "momo.csv"
    p.write_text(
        "Id,Date,Status,Type,From,From Name,To,To Name,Amount,Fee,Currency,Balance\n"
        "1001,2024-06-01 08:00:00,SUCCESSFUL,TRANSFER,FRI:256772123456/MSISDN,OKELLO J,FRI:256701987654/MSISDN,NAKATO S,-50000,500,UGX,100000\n"
        "1002,2024-06-01 09:30:00,FAILED,TRANSFER,0772123456,OKELLO J,0701987654,NAKATO S,20000,0,UGX,100000\n"
        "1003,2024-06-02 10:00:00,SUCCESSFUL,CASH_OUT,0772123456,OKELLO J,,AGENT,10000,0,UGX,90000\n"
    )
    fr = fi.read(p)
    tx = fr.transactions
    assert fr.format == "mtn_momo"
    assert tx["tx_id"].tolist() == ["mtn_momo:1001", "mtn_momo:1002"]
    assert (
        tx["sender"].tolist() == ["msisdn:+256772123456"] * 2
        and tx["receiver"].tolist() == ["msisdn:+256701987654"] * 2
    )
    assert tx["amount"].tolist() == [50000.0, 20000.0] and tx["status"].tolist() == ["completed", "failed"]
    assert tx.at[0, "timestamp"] == _ts("2024-06-01 05:00") and json.loads(tx.at[0, "attributes"])["fee"] == "500"
    assert fr.rejects[["source_row", "column", "problem"]].values.tolist() == [[4, "To", "missing receiver account"]]


def test_airtel_money(tmp_path: Path) -> None:
    p = tmp_path / "airtel.csv"
    p.write_text(
        "Transaction ID,Transaction Date,Service,Sender MSISDN,Receiver MSISDN,Amount,Status,Balance\n"
        "AM1,05/07/2024 13:00,P2P,0752111222,0701333444,15000,Success,1000\n"
        'AM2,25/07/2024 13:00,P2P,0701333444,0752111222,"1,000",Success,2000\n'
    )
    tx = fi.read(p).transactions
    assert tx["tx_id"].tolist() == ["airtel_money:AM1", "airtel_money:AM2"]
    assert tx["sender"].tolist() == ["msisdn:+256752111222", "msisdn:+256701333444"]
    assert tx["timestamp"].tolist() == [_ts("2024-07-05 10:00"), _ts("2024-07-25 10:00")]
    assert tx["currency"].unique().tolist() == ["UGX"]


def test_telebirr_unsigned_amounts_direction_from_type(tmp_path: Path) -> None:
    p = tmp_path / "tb.csv"
    p.write_text(
        "Transaction No,Transaction Time,Transaction Type,Counterparty,Amount (ETB),Status,Balance\n"
        "DET8FJGUJ4,2024-08-01 09:00:00,Transfer Money,0911234567 - ABEBE K,1200.00,Completed,800.00\n"
        "DET8FJGUJ5,2024-08-02 09:00:00,Receive Money,0922345678 - SARA T,300.00,Completed,1100.00\n"
        "DET8FJGUJ6,2024-08-03 09:00:00,Mystery,0922345678 - SARA T,1.00,Completed,1100.00\n"
    )
    fr = fi.read(p, msisdn="0933456789")
    tx = fr.transactions
    me = "msisdn:+251933456789"
    assert fr.format == "telebirr"
    assert tx[["sender", "receiver"]].values.tolist() == [[me, "msisdn:+251911234567"], ["msisdn:+251922345678", me]]
    assert tx["currency"].unique().tolist() == ["ETB"] and tx["tx_id"].tolist() == [
        "telebirr:DET8FJGUJ4",
        "telebirr:DET8FJGUJ5",
    ]
    assert fr.rejects["source_row"].tolist() == [4] and "money in from money out" in fr.rejects.at[0, "problem"]


def _mpesa_pdf(path: Path) -> None:
    """A two-page M-Pesa-style PDF statement drawn with matplotlib (a table with ruled cells on each page)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    header = ["Receipt No.", "Completion Time", "Details", "Transaction Status", "Paid In", "Withdrawn", "Balance"]
    pages = [
        [
            header,
            [
                "SC11AAAAA1",
                "2024-03-01 10:15:00",
                "Customer Transfer to 0729914044 - JANE DOE",
                "Completed",
                "",
                "-1,500.00",
                "500.00",
            ],
            [
                "SC11AAAAA2",
                "2024-03-01 11:00:00",
                "Funds received from 254733000111 - JOHN",
                "Completed",
                "20,000.00",
                "",
                "20,500.00",
            ],
        ],
        [
            [
                "SC11AAAAA3",
                "2024-03-02 09:00:00",
                "Pay Bill to 888880 - KPLC Acc. 12345",
                "Failed",
                "",
                "-250.00",
                "20,500.00",
            ]
        ],
    ]
    with plt.rc_context({"pdf.fonttype": 42}), PdfPages(path) as pdf:
        for i, rows in enumerate(pages):
            fig = plt.figure(figsize=(8.27, 11.69))
            if i == 0:
                fig.text(0.05, 0.95, "M-PESA FULL STATEMENT", fontsize=12)
                fig.text(0.05, 0.92, "Customer Name: AMINA WANJIRU", fontsize=9)
                fig.text(0.05, 0.90, "Mobile Number: 0712345678", fontsize=9)
                fig.text(0.05, 0.86, "DETAILED STATEMENT", fontsize=10)
            ax = fig.add_axes((0.02, 0.4, 0.96, 0.44))
            ax.axis("off")
            table = ax.table(
                cellText=rows, loc="upper left", cellLoc="left", colWidths=[0.11, 0.15, 0.36, 0.12, 0.09, 0.09, 0.08]
            )
            table.auto_set_font_size(False)
            table.set_fontsize(5)
            pdf.savefig(fig)
            plt.close(fig)


def test_mpesa_pdf_statement(tmp_path: Path) -> None:
    pytest.importorskip("pdfplumber")
    p = tmp_path / "statement.pdf"
    _mpesa_pdf(p)
    fr = fi.read(p)
    tx = fr.transactions
    assert fr.format == "mpesa_pdf" and fr.report["account"] == OWNER
    assert tx["tx_id"].tolist() == ["mpesa:SC11AAAAA1", "mpesa:SC11AAAAA2", "mpesa:SC11AAAAA3"]
    assert tx["receiver"].tolist() == ["msisdn:+254729914044", OWNER, "paybill:888880"]
    assert tx["amount"].tolist() == [1500.0, 20000.0, 250.0] and tx["status"].tolist() == [
        "completed",
        "completed",
        "failed",
    ]
    assert tx["source_row"].tolist() == [2, 3, 4] and [json.loads(a)["Page"] for a in tx["attributes"]] == [
        "1",
        "1",
        "2",
    ]
    assert tx.at[0, "timestamp"] == _ts("2024-03-01 07:15")


def test_mpesa_pdf_without_pdfplumber(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from finintel.errors import MissingDependencyError
    from finintel.ingest.mpesa_pdf import read_mpesa_pdf

    monkeypatch.setitem(sys.modules, "pdfplumber", None)
    p = tmp_path / "x.pdf"
    p.write_bytes(b"%PDF-1.4\n")
    with pytest.raises(MissingDependencyError, match=r'pip install "finintel\[pdf\]"'):
        read_mpesa_pdf(p)


def test_separate_date_and_time_columns_and_bare_counterparty_name(tmp_path: Path) -> None:
    p = tmp_path / "tb2.csv"
    p.write_text(
        "Transaction No,Transaction Time,Transaction Type,Counterparty,Amount,Status\n"
        "DEL1AAAA01,2024-08-01 09:00:00,Merchant Payment,ADDIS SUPERMARKET,-250.00,Completed\n"
    )
    tx = fi.read(p, msisdn="0933456789").transactions
    assert tx[["receiver", "receiver_name"]].values.tolist() == [
        ["acct:UNKNOWN/ADDIS-SUPERMARKET", "ADDIS SUPERMARKET"]
    ]
    q = tmp_path / "momo2.csv"
    q.write_text(
        "Id,Date,Time,Status,From,From Name,To,To Name,Amount,Currency\n"
        "9,02/06/2024,14:30,SUCCESSFUL,0772123456,A,0701987654,B,100,UGX\n"
    )
    assert fi.read(q).transactions.at[0, "timestamp"] == _ts("2024-06-02 11:30")


def test_charge_booked_under_the_transfer_receipt_keeps_both_rows(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text(
        "Receipt No.,Completion Time,Details,Transaction Status,Paid In,Withdrawn,Balance\n"
        "SC33DDDDD1,2024-03-05 10:00:00,Customer Transfer of Funds Charge,Completed,,-13.00,987.00\n"
        "SC33DDDDD1,2024-03-05 10:00:00,Customer Transfer to 0729914044 - JANE DOE,Completed,,-800.00,1000.00\n"
        "SC33DDDDD2,2024-03-05 11:00:00,Customer Transfer to 0729914044 - JANE DOE,Completed,,-5.00,995.00\n"
        "SC33DDDDD2,2024-03-05 11:00:00,Customer Transfer to 0729914044 - JANE DOE,Completed,,-5.00,990.00\n"
    )
    fr = fi.read(p, msisdn="0712345678")
    assert fr.transactions["tx_id"].tolist() == [
        "mpesa:SC33DDDDD1:charge",
        "mpesa:SC33DDDDD1",
        "mpesa:SC33DDDDD2",
        "mpesa:SC33DDDDD2:2",
    ]
    assert fr.rejects.empty


def test_mpesa_details_wordings() -> None:
    import pyarrow as pa

    from finintel.ingest.mobile_money import MPESA, mpesa_counterparties

    details = pa.array(
        [
            "Customer Transfer to 2547******890 JOHN DOE",
            "Funds received from - 0722****123 MARY W",
            "Airtime Purchase",
            "OverDraft of Credit Party",
            "Customer Send Money to 0712345678 - A B",
        ]
    )
    cp = mpesa_counterparties({"description": details}, MPESA)
    assert cp.key.to_pylist() == [
        "masked:2547******890",
        "masked:0722****123",
        "acct:SAFARICOM-MPESA/AIRTIME",
        "acct:SAFARICOM-MPESA/FULIZA",
        "msisdn:+254712345678",
    ]
    assert cp.name.to_pylist() == ["JOHN DOE", "MARY W", None, None, "A B"]
