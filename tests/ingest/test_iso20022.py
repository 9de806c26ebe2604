"""ISO 20022 reader: a synthetic camt.053 v08 read by hand, and the real public samples."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import finintel as fi
from finintel.errors import ConfigError, UnknownFormatError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "iso20022"
CAMT = FIXTURES / "camt053_v08.xml"
OWNER = "acct:KCB-BANK-KENYA/1180012345678"


@pytest.fixture(scope="module")
def frames() -> fi.ingest.Frames:
    return fi.read(CAMT, tz="Africa/Nairobi")


def _row(frames: fi.ingest.Frames, tx_id: str) -> pd.Series:
    return frames.transactions.set_index("tx_id").loc[tx_id]


def test_counts_and_provenance(frames):
    assert frames.format == "iso20022"
    assert frames.transactions["tx_id"].tolist() == [
        "camt:KCB-8842/1",
        "camt:KCB-8842/2",
        "camt:KCB-8843",
        "camt:KCB-8844",
    ]
    assert frames.transactions["source_row"].tolist() == [43, 75, 102, 139]  # TxDtls lines for a batch, else Ntry
    assert frames.rows_read == 6


def test_batch_entry_splits_into_its_transactions(frames):
    a, b = _row(frames, "camt:KCB-8842/1"), _row(frames, "camt:KCB-8842/2")
    assert (a["sender"], a["receiver"], a["amount_exact"]) == (
        OWNER,
        "acct:EQUITY-BANK-KENYA/01002345678",
        Decimal("120000.00"),
    )
    assert (b["sender"], b["receiver"], b["amount_exact"]) == (
        OWNER,
        "iban:GB82WEST12345698765432",
        Decimal("180000.00"),
    )
    assert a["amount"] + b["amount"] == 300000.0  # the entry's total
    assert (a["sender_name"], a["receiver_name"], b["receiver_name"]) == (
        "Horizon Travel Ltd",
        "Amina Hassan",
        "Kilo Imports",
    )
    assert a["timestamp"] == pd.Timestamp("2026-03-01 07:15", tz="UTC")  # BookgDt/DtTm 10:15+03:00
    assert a["description"] == "salary March" and a["currency"] == "KES" and a["status"] == "completed"
    assert (b["sender_country"], b["receiver_country"]) == ("KE", "GB")  # BIC KCBLKE.., IBAN GB..
    refs = json.loads(a["attributes"])["refs"]
    assert refs == {
        "EndToEndId": "PAYROLL-1",
        "UETR": "0f6d3a1e-1111-4c8e-9a51-1a2b3c4d5e6f",
        "GrpHdrMsgId": "STMT-2026-03-01",
    }


def test_reversal_credit_comes_from_counterparty(frames):
    r = _row(frames, "camt:KCB-8843")
    assert (r["sender"], r["receiver"], r["status"]) == ("iban:GB82WEST12345698765432", OWNER, "reversed")
    assert r["timestamp"] == pd.Timestamp("2026-03-01 21:00", tz="UTC")  # date 2026-03-02 in Nairobi
    assert json.loads(r["attributes"])["return"]["reason"] == "AC04"


def test_pending_entry_without_details_has_unknown_counterparty(frames):
    r = _row(frames, "camt:KCB-8844")
    assert (r["sender"], r["receiver"], r["status"]) == ("unknown:camt:KCB-8844", OWNER, "pending")
    assert r["amount_exact"] == Decimal("2500.50")


def test_rejects_negative_amount_and_bad_date(frames):
    rej = frames.rejects.set_index("source_row")
    assert rej.loc[150, "column"] == "Amt" and "'-50.00'" in rej.loc[150, "problem"]
    assert rej.loc[161, "column"] == "BookgDt" and "'02.03.2026'" in rej.loc[161, "problem"]


def test_parties_and_accounts(frames):
    acc = frames.accounts.set_index("account")
    assert acc.loc[OWNER, "party_id"] == "party:name/HORIZON TRAVEL LTD"
    assert (acc.loc[OWNER, "institution_code"], acc.loc[OWNER, "currency"]) == ("KCBLKENXXXX", "KES")
    p = frames.parties.set_index("party_id")
    assert p.loc["party:name/KILO IMPORTS", "country"] == "UG"  # PstlAdr/Ctry, not the IBAN's GB


def test_default_tz_is_utc_for_dates_without_time():
    r = fi.read(CAMT).transactions.set_index("tx_id").loc["camt:KCB-8843"]
    assert r["timestamp"] == pd.Timestamp("2026-03-02", tz="UTC")


def test_account_option_overrides_owner_key():
    tx = fi.read(CAMT, account="msisdn:+254712345678").transactions
    assert (tx["sender"] == "msisdn:+254712345678").sum() == 2


def test_sniffer_refuses_pain_and_non_xml(tmp_path):
    pain = tmp_path / "pain.xml"
    pain.write_text('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn/></Document>')
    with pytest.raises(UnknownFormatError, match="iso20022: XML without an ISO 20022"):
        fi.read(pain)


# ----------------------------------------------------------------------------- real samples


@pytest.mark.samples
def test_oca_camt053_reversal_batch(shared_samples):
    frames = fi.read(shared_samples / "iso20022_camt053" / "oca_test-camt053.xml")
    tx = frames.transactions
    assert len(tx) == 4 and frames.rejects.empty
    assert tx["amount_exact"].tolist() == [Decimal("754.25"), Decimal("564.05"), Decimal("100.00"), Decimal("1405.31")]
    assert tx["status"].tolist() == ["completed", "reversed", "reversed", "completed"]
    assert tx["source_row"].tolist() == [50, 144, 185, 228]
    first, last = tx.iloc[0], tx.iloc[3]
    assert first["sender"] == "iban:NL77ABNA0574908765" and first["receiver_name"] == "INSURANCE COMPANY TESTX"
    assert first["receiver"] == "acct:ABNANL2A/NL46ABNA0499998748"  # its IBAN check digits are wrong
    assert first["timestamp"] == pd.Timestamp("2014-01-05", tz="UTC")
    assert (last["sender"], last["receiver"]) == ("iban:NL69ABNA0522123643", "iban:NL77ABNA0574908765")
    assert json.loads(tx.iloc[1]["attributes"])["return"]["reason"] == "AC06"


@pytest.mark.samples
@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("genkgo_camt053.v2.minimal.xml", 1),
        ("genkgo_camt053.v2.multi.statement.xml", 2),
        ("genkgo_camt053.v2.five.decimals.xml", 1),
        ("prowide_camt.053.001.07.xml", 0),
    ],
)
def test_camt053_sample_counts(shared_samples, name, count):
    frames = fi.read(shared_samples / "iso20022_camt053" / name)
    assert len(frames.transactions) == count and frames.rejects.empty


@pytest.mark.samples
def test_genkgo_minimal_values(shared_samples):
    r = fi.read(shared_samples / "iso20022_camt053" / "genkgo_camt053.v2.minimal.xml").transactions.iloc[0]
    assert (r["sender"], r["receiver"]) == ("iban:NL56AGDH9619008421", "iban:NL26VAYB8060476890")
    assert (r["sender_name"], r["amount_exact"], r["currency"]) == ("NAME NAME", Decimal("8.85"), "EUR")
    assert r["timestamp"] == pd.Timestamp("2014-12-31", tz="UTC")


@pytest.mark.samples
def test_genkgo_multi_statement_directions(shared_samples):
    tx = fi.read(shared_samples / "iso20022_camt053" / "genkgo_camt053.v2.multi.statement.xml").transactions
    assert tx["amount_exact"].tolist() == [Decimal("8.85"), Decimal("7.00")]
    assert tx.iloc[1]["sender"] == "iban:NL26VAYB8060476890"  # DBIT: the owner pays
    assert tx.iloc[1]["receiver"] == "iban:NL56AGDH9619008421"


@pytest.mark.samples
def test_pacs008_fedwire(shared_samples):
    r = fi.read(
        shared_samples / "iso20022_pacs008" / "moov_CustomerCreditTransfer_Scenario1_Step1.xml"
    ).transactions.iloc[0]
    assert r["tx_id"] == "pacs:8a562c67-ca16-48ba-b074-65581be6f011"
    assert (r["sender"], r["receiver"]) == ("acct:USABA-021040078/5647772655", "acct:USABA-021040078/567876543")
    assert (r["sender_name"], r["receiver_name"]) == ("Corporation A", "Corporation B")
    assert (r["amount_exact"], r["currency"]) == (Decimal("510000.74"), "USD")
    assert r["timestamp"] == pd.Timestamp("2025-04-01", tz="UTC")


@pytest.mark.samples
def test_pacs008_in_apphdr_envelope(shared_samples):
    frames = fi.read(shared_samples / "iso20022_pacs008" / "prowide_pacs.008.001.07.xml")
    r = frames.transactions.iloc[0]
    assert r["tx_id"] == "pacs:823823423/223423423"  # MsgId/EndToEndId
    assert (r["sender"], r["receiver"]) == ("party:name/JOHN DOE", "party:name/MIKE SMITH")  # no accounts given
    assert (r["amount_exact"], r["currency"]) == (Decimal("5000"), "USD")
    assert r["timestamp"] == pd.Timestamp("2018-07-31", tz="UTC")
    assert (r["sender_country"], r["receiver_country"]) == ("AR", "US")
    assert json.loads(r["attributes"])["message"] == "pacs.008.001.07"


def test_camt054_notification_reads_like_a_statement(tmp_path, frames):
    text = (
        CAMT.read_text().replace("camt.053.001.08", "camt.054.001.08").replace("BkToCstmrStmt", "BkToCstmrDbtCdtNtfctn")
    )
    path = tmp_path / "camt054.xml"
    path.write_text(text.replace("<Stmt>", "<Ntfctn>").replace("</Stmt>", "</Ntfctn>"))
    other = fi.read(path, tz="Africa/Nairobi")
    cols = ["tx_id", "timestamp", "sender", "receiver", "amount_exact", "status"]
    pd.testing.assert_frame_equal(other.transactions[cols], frames.transactions[cols])
    assert json.loads(other.transactions.at[0, "attributes"])["message"] == "camt.054.001.08"


def test_unknown_channel_refused():
    with pytest.raises(ConfigError, match="channel must be one of"):
        fi.read(CAMT, channel="wire")


def test_counter_cash_goes_to_the_named_cash_point_else_the_accounts_own_and_charges_to_fee(tmp_path):
    path = tmp_path / "cash.xml"
    path.write_text(
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>'
        "<Acct><Id><Othr><Id>1180012345678</Id></Othr></Id><Svcr><FinInstnId><BIC>KCBLKENX</BIC></FinInstnId></Svcr></Acct>"
        '<Ntry><Amt Ccy="KES">950000.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>'
        "<BookgDt><Dt>2026-03-02</Dt></BookgDt><AcctSvcrRef>C1</AcctSvcrRef>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>CNTR</Cd><SubFmlyCd>CWDL</SubFmlyCd></Fmly></Domn></BkTxCd></Ntry>"
        '<Ntry><Amt Ccy="KES">120.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>'
        "<BookgDt><Dt>2026-03-02</Dt></BookgDt><AcctSvcrRef>C2</AcctSvcrRef>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>CCRD</Cd><SubFmlyCd>POSD</SubFmlyCd></Fmly></Domn></BkTxCd></Ntry>"
        '<Ntry><Amt Ccy="KES">300000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        "<BookgDt><Dt>2026-03-03</Dt></BookgDt><AcctSvcrRef>C3</AcctSvcrRef>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>CNTR</Cd><SubFmlyCd>CDPT</SubFmlyCd></Fmly></Domn></BkTxCd>"
        "<AddtlNtryInf>CASH DEPOSIT - KENCOM BRANCH</AddtlNtryInf></Ntry>"
        '<Ntry><Amt Ccy="KES">55.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>'
        "<BookgDt><Dt>2026-03-03</Dt></BookgDt><AcctSvcrRef>C4</AcctSvcrRef>"
        "<BkTxCd><Domn><Cd>ACMT</Cd><Fmly><Cd>MDOP</Cd><SubFmlyCd>CHRG</SubFmlyCd></Fmly></Domn></BkTxCd></Ntry>"
        '<Ntry><Amt Ccy="KES">8.80</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>'
        "<BookgDt><Dt>2026-03-03</Dt></BookgDt><AcctSvcrRef>C5</AcctSvcrRef>"
        "<AddtlNtryInf>EXCISE DUTY</AddtlNtryInf></Ntry>"
        "</Stmt></BkToCstmrStmt></Document>"
    )
    tx = fi.read(path).transactions.set_index("tx_id")
    own = "acct:KCB-BANK-KENYA/1180012345678"
    # unnamed counter cash: the account's own node, not one cash:KCBLKENX node shared by all KCB customers
    assert (tx.loc["camt:C1", "receiver"], tx.loc["camt:C1", "channel"]) == ("cash:unknown/" + own, "cash")
    assert tx.loc["camt:C1", "sender"] == own
    assert (tx.loc["camt:C2", "receiver"], tx.loc["camt:C2", "channel"]) == ("unknown:camt:C2", "card")
    assert (tx.loc["camt:C3", "sender"], tx.loc["camt:C3", "receiver"]) == ("cash:KCB-BANK-KENYA/BRANCH KENCOM", own)
    for charge in ("camt:C4", "camt:C5"):  # a CHRG bank transaction code; an excise duty narrative
        assert tx.loc[charge, ["sender", "receiver", "channel"]].tolist() == [own, "fee:" + own, "other"]
    assert fi.read(path, channel="other").transactions["channel"].tolist() == ["other"] * 5


@pytest.mark.samples
def test_pacs008_keeps_the_agents_on_the_way(shared_samples):
    r = fi.read(shared_samples / "iso20022_pacs008" / "prowide_pacs.008.001.07.xml").transactions.iloc[0]
    assert json.loads(r["attributes"])["agents"] == {"DbtrAgt": "ITUSUSP1XXX", "CdtrAgt": "USTBUS31XXX"}
