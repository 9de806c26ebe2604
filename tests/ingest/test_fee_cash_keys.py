"""Charges, cash and bare banking words never become a hub shared by unrelated customers (MT940, MT103, OFX, M-Pesa)."""

from __future__ import annotations

import json
from pathlib import Path

import finintel as fi

KCB = "acct:KCB-BANK-KENYA/0100234567890"


def test_mt940_charges_interest_cash_and_generic_words(tmp_path: Path) -> None:
    p = tmp_path / "kcb.sta"
    p.write_text(
        ":20:S\n:25:0100234567890\n:28C:1/1\n:60F:C240301KES100000,\n"
        ":61:2403010301D50,NCHGNONREF\n:86:LEDGER FEE MARCH\n"  # line 5: charge by its type code
        ":61:2403010301D8,NTRFNONREF\n:86:EXCISE DUTY\n"  # by its narrative
        ":61:2403020302C12,5NTRFNONREF\n:86:CREDIT INTEREST\n"
        ":61:2403030303D20000,NTRFNONREF\n:86:CASH WITHDRAWAL KENCOM BRANCH\n"
        ":61:2403030303C15000,NTRFNONREF\n:86:CASH DEPOSIT\n"
        ":61:2403040304D1000,NTRFNONREF\n:86:?20TRANSFER?32TRANSFER\n"
        ":61:2403040304D900,NTRFNONREF\n:86:?20rent?32JANE WANJIRU\n"
        ":62F:C240304KES93554,5\n-\n"
    )
    tx = fi.read(p, institution="KCBLKENX").transactions
    other = [r if s == KCB else s for s, r in zip(tx["sender"], tx["receiver"], strict=True)]
    assert other[:3] == ["fee:" + KCB] * 3
    assert tx["channel"].tolist() == ["other", "other", "other", "cash", "cash", "bank", "bank"]
    assert other[3] == "cash:KCB-BANK-KENYA/BRANCH KENCOM"
    assert other[4] == "cash:unknown/" + KCB  # an unnamed counter: this account's own cash node
    assert other[5].startswith("acct:UNKNOWN/ENTRY-")  # "TRANSFER" is not anybody's name
    assert other[6] == "acct:UNKNOWN/JANE-WANJIRU"
    assert [json.loads(a)["counterparty_key_from"] for a in tx["attributes"]] == [
        "charge",
        "charge",
        "charge",
        "cash point",
        "cash point",
        "none",
        "name",
    ]
    assert tx["source_row"].tolist() == [5, 7, 9, 11, 13, 15, 17]


def test_mt940_two_accounts_charges_and_unnamed_cash_do_not_meet(tmp_path: Path) -> None:
    keys = set()
    for number in ("111111111", "222222222"):
        p = tmp_path / f"{number}.sta"
        p.write_text(
            f":20:S\n:25:{number}\n:28C:1/1\n:60F:C240301KES0,\n"
            ":61:2403010301D50,NTRFNONREF\n:86:SERVICE CHARGE\n"
            ":61:2403010301D500,NTRFNONREF\n:86:ATM WITHDRAWAL\n-\n"
        )
        tx = fi.read(p, institution="KCBLKENX").transactions
        keys |= set(tx["receiver"])
    assert keys == {
        "fee:acct:KCB-BANK-KENYA/111111111",
        "cash:unknown/acct:KCB-BANK-KENYA/111111111",
        "fee:acct:KCB-BANK-KENYA/222222222",
        "cash:unknown/acct:KCB-BANK-KENYA/222222222",
    }


def test_mt103_generic_beneficiary_name_is_not_a_shared_node(tmp_path: Path) -> None:
    msg = (
        "{{1:F01KCBLKENXAXXX1234123456}}{{2:I103EQBLUGKAXXXXN}}{{4:\n:20:{ref}\n:23B:CRED\n:32A:240315KES{amt},\n"
        ":50K:/0011223344\nAMINA HASSAN\n:59:{payee}\n:71A:OUR\n-}}\n"
    )
    p = tmp_path / "two.rje"
    p.write_text(
        msg.format(ref="R1", amt="100", payee="CASH")
        + "$\n"
        + msg.format(ref="R2", amt="200", payee="CASH")
        + "$\n"
        + msg.format(ref="R3", amt="300", payee="JOHN OKELLO")
    )
    rcv = fi.read(p).transactions["receiver"].tolist()
    assert rcv[0].startswith("acct:UNKNOWN/ENTRY-") and rcv[0].endswith("-PAYEE")
    assert rcv[1].startswith("acct:UNKNOWN/ENTRY-") and rcv[1] != rcv[0]  # two messages to "CASH": two nodes
    assert rcv[2] == "acct:UNKNOWN/JOHN-OKELLO"


def _ofx(rows: str) -> str:
    return (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
        "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX>\n"
        "<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240305120000"
        "<LANGUAGE>ENG<FI><ORG>EQUITY BANK<FID>068</FI></SONRS></SIGNONMSGSRSV1>\n"
        "<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\n<STMTRS><CURDEF>KES\n"
        "<BANKACCTFROM><BANKID>EQBLKENA<ACCTID>0170199887766<ACCTTYPE>SAVINGS</BANKACCTFROM>\n"
        f"<BANKTRANLIST><DTSTART>20240301<DTEND>20240305\n{rows}</BANKTRANLIST>\n"
        "<LEDGERBAL><BALAMT>0<DTASOF>20240305</LEDGERBAL>\n</STMTRS></STMTTRNRS></BANKMSGSRSV1>\n</OFX>\n"
    )


def _stmttrn(ttype: str, amount: str, fitid: str, name: str) -> str:
    return (
        f"<STMTTRN>\n<TRNTYPE>{ttype}\n<DTPOSTED>20240301\n<TRNAMT>{amount}\n<FITID>{fitid}\n<NAME>{name}\n</STMTTRN>\n"
    )


def test_ofx_fees_and_unnamed_atm_stay_on_the_account(tmp_path: Path) -> None:
    p = tmp_path / "eq.ofx"
    p.write_text(
        _ofx(
            _stmttrn("SRVCHG", "-35.00", "F1", "MONTHLY FEE")
            + _stmttrn("DEBIT", "-8.80", "F2", "EXCISE DUTY")
            + _stmttrn("ATM", "-2000.00", "F3", "ATM WITHDRAWAL")
            + _stmttrn("DEBIT", "-500.00", "F4", "POS PURCHASE")
        )
    )
    tx = fi.read(p).transactions
    own = "acct:EQUITY-BANK-KENYA/0170199887766"
    assert tx["receiver"].tolist()[:3] == ["fee:" + own, "fee:" + own, "cash:unknown/" + own]
    assert tx["receiver"].iloc[3] == f"acct:UNKNOWN/ENTRY-{own.replace(':', '-').replace('/', '-')}-F4"
    assert tx["channel"].tolist() == ["other", "other", "cash", "bank"]


def test_mpesa_charges_and_levies_go_to_each_wallets_own_fee_node(tmp_path: Path) -> None:
    head = "Receipt No.,Completion Time,Details,Transaction Status,Paid In,Withdrawn,Balance\n"
    got = {}
    for phone, rows in {
        "0712345678": "R1,2024-03-01 10:00:00,Pay Bill Charge,Completed,,-23.00,977.00\n"
        "R2,2024-03-01 10:01:00,Withdrawal Charge,Completed,,-29.00,948.00\n",
        "0722000111": "R3,2024-03-01 11:00:00,Customer Transfer of Funds Charge,Completed,,-13.00,87.00\n"
        "R4,2024-03-01 11:05:00,E-Levy,Completed,,-2.00,85.00\n",
    }.items():
        p = tmp_path / f"{phone}.csv"
        p.write_text(head + rows)
        tx = fi.read(p, msisdn=phone).transactions
        got[phone] = tx[["receiver", "channel"]].values.tolist()
    assert got == {
        "0712345678": [["fee:msisdn:+254712345678", "other"]] * 2,
        "0722000111": [["fee:msisdn:+254722000111", "other"]] * 2,
    }


def test_telebirr_service_fee_goes_to_the_wallets_own_fee_node(tmp_path: Path) -> None:
    p = tmp_path / "tb.csv"
    p.write_text(
        "Transaction No,Transaction Time,Transaction Type,Counterparty,Amount (ETB),Status,Balance\n"
        "DET8FJGUJ4,2024-08-01 09:00:00,Transfer Money,0911234567 - ABEBE K,1200.00,Completed,800.00\n"
        "DET8FJGUJ7,2024-08-01 09:00:01,Service Fee,,6.00,Completed,794.00\n"
    )
    tx = fi.read(p, msisdn="0933456789").transactions
    me = "msisdn:+251933456789"
    assert tx[["sender", "receiver", "channel"]].values.tolist() == [
        [me, "msisdn:+251911234567", "mobile_money"],
        [me, "fee:" + me, "other"],
    ]
