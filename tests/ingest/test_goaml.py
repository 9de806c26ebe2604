"""goAML reader: a synthetic STR read by hand, and the real public samples."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import finintel as fi
from finintel.errors import ConfigError, UnknownFormatError
from finintel.ingest.goaml import read_goaml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "goaml"
STR = FIXTURES / "str_bi_multi.xml"


@pytest.fixture(scope="module")
def frames() -> fi.ingest.Frames:
    return fi.read(STR)


def _row(frames: fi.ingest.Frames, tx_id: str) -> pd.Series:
    tx = frames.transactions.set_index("tx_id")
    return tx.loc[tx_id]


def test_every_transaction_ends_in_transactions_or_rejects(frames):
    assert frames.format == "goaml"
    assert len(frames.transactions) == 4
    assert len(frames.rejects) == 4
    assert frames.rows_read == 8
    assert sorted(frames.transactions["source_row"].tolist() + frames.rejects["source_row"].tolist()) == [
        24,
        78,
        119,
        153,
        161,
        169,
        176,
        187,
    ]


def test_bi_party_person_with_local_phone_meets_msisdn_key(frames):
    r = _row(frames, "goaml:777/TX-1001")
    assert r["sender"] == "msisdn:+254712345678"  # written 0712 345 678 in the report
    assert r["receiver"] == "acct:EQUITY-BANK-KENYA/01002345678"  # SWIFT cut to 8, spaces removed
    assert r["sender_name"] == "Amina Hassan"
    assert r["receiver_name"] == "Horizon Travel Ltd"
    # 14:30 without offset is Nairobi time (UTC+3)
    assert r["timestamp"] == pd.Timestamp("2026-03-01 11:30", tz="UTC")
    assert r["amount"] == 150000.0 and r["currency"] == "KES"
    assert r["channel"] == "bank" and r["status"] == "completed"
    assert r["description"] == "school fees"
    assert r["source_row"] == 24
    attrs = json.loads(r["attributes"])
    assert attrs["report"]["report_code"] == "STR"
    assert attrs["report"]["entity_reference"] == "STR-2026-0042"
    assert attrs["report"]["report_indicators"] == ["RI01", "TF02"]  # written after the transactions
    assert attrs["internal_ref_number"] == "INT-55"
    assert attrs["from_form"] == "t_from_my_client" and attrs["to_form"] == "t_to"
    assert attrs["from_funds_code"] == "K" and attrs["to_funds_code"] == "A"
    assert attrs["sender_party"] == "party:id/ID/12345678"


def test_foreign_currency_leg_and_offset_time(frames):
    r = _row(frames, "goaml:777/TX-1002")
    assert r["sender"] == "iban:DE89370400440532013000"
    assert r["receiver"] == "msisdn:+254722000111"  # tph_country_prefix 254 + 722000111
    assert r["timestamp"] == pd.Timestamp("2026-03-02 07:00", tz="UTC")  # 08:00+01:00
    assert r["amount_exact"] == Decimal("1290000.50")
    assert r["sender_country"] == "DE" and r["receiver_country"] == "KE"
    fx = json.loads(r["attributes"])["from_foreign_currency"]
    assert fx == {"foreign_currency_code": "EUR", "foreign_amount": "9000.00", "foreign_exchange_rate": "143.3333889"}


def test_multi_party_13_decimal_amount_exact(frames):
    r = _row(frames, "goaml:777/TX-1003")
    assert r["amount_exact"] == Decimal("0.1234567890123")
    assert r["sender"] == "msisdn:+254712345678"
    assert r["receiver"] == "msisdn:+254733111222"  # an M-PESA wallet held as an account
    assert r["channel"] == "mobile_money"
    assert r["timestamp"] == pd.Timestamp("2026-03-02 21:15", tz="UTC")  # 00:15 Nairobi
    attrs = json.loads(r["attributes"])
    assert attrs["direction"] == "party order"
    assert [p["role"] for p in attrs["involved_parties"]] == ["A", "B"]


def test_repeated_transactionnumber_stays_unique(frames):
    r = _row(frames, "goaml:777/TX-1001#L187")
    assert r["amount"] == 25.0 and r["receiver"] == "party:name/KILO IMPORTS" and r["receiver_country"] == "UG"


def test_rejects_name_line_element_and_reason(frames):
    rej = frames.rejects.set_index("source_row")
    assert rej.loc[153, "column"] == "amount_local" and "'12,5x'" in rej.loc[153, "problem"]
    assert rej.loc[161, "column"] == "date_transaction" and "'03/04/2026'" in rej.loc[161, "problem"]
    assert rej.loc[169, "column"] == "t_to" and "missing t_to" in rej.loc[169, "problem"]
    assert rej.loc[176, "column"] == "involved_parties" and "party_roles" in rej.loc[176, "problem"]
    assert rej.loc[153, "raw"].startswith("<transaction>")
    assert (frames.rejects["source_file"] == str(STR)).all()


def test_party_roles_resolve_a_three_party_transaction(tmp_path):
    frames = fi.read(STR, party_roles={"C": "from", "A": "to"})
    r = _row(frames, "goaml:777/TX-1007")
    assert (r["sender"], r["receiver"]) == ("party:name/KILO IMPORTS", "party:name/A B")
    # TX-1003 has roles A and B only: with a mapping that names no payer it is rejected, not guessed
    assert 119 in frames.rejects["source_row"].tolist()
    with pytest.raises(ConfigError, match="'from' or 'to'"):
        read_goaml(STR, party_roles={"A": "payer"})


def test_channels_option_maps_transmode_codes():
    frames = fi.read(STR, channels={"K": "cash"})
    assert _row(frames, "goaml:777/TX-1001")["channel"] == "cash"
    assert _row(frames, "goaml:777/TX-1002")["channel"] == "bank"


def test_parties_and_accounts_frames(frames):
    p = frames.parties.set_index("party_id")
    amina = p.loc["party:id/ID/12345678"]
    assert (amina["kind"], amina["first_name"], amina["last_name"]) == ("person", "Amina", "Hassan")
    assert str(amina["birth_date"]) == "1990-05-17"
    assert (amina["phone"], amina["email"], amina["nationality"]) == ("+254712345678", "amina@example.org", "KE")
    assert amina["address"] == "Eastleigh 1st Avenue, Nairobi, KE"
    yonas = p.loc["party:id/PASSPORT-ET/EP1234567"]
    assert (yonas["id_type"], yonas["id_number"]) == ("PASSPORT", "EP1234567")
    org = p.loc["party:reg/KE/PVT-ABC123"]
    assert (org["kind"], org["name"], org["id_number"]) == ("organisation", "Horizon Travel Ltd", "PVT-ABC123")
    assert "party:id/ID/99887766" in p.index  # the reporting person
    acc = frames.accounts.set_index("account")
    equity = acc.loc["acct:EQUITY-BANK-KENYA/01002345678"]
    assert (equity["party_id"], equity["institution"], equity["institution_code"]) == (
        "party:reg/KE/PVT-ABC123",
        "Equity Bank Kenya",
        "EQBLKENAXXX",
    )
    assert equity["opened"] == pd.Timestamp("2019-07-01", tz="UTC")
    assert equity["currency"] == "KES"
    phone_holders = frames.accounts.loc[frames.accounts["account"] == "msisdn:+254712345678", "party_id"]
    assert set(phone_holders) == {"party:id/ID/12345678", "party:name/AMINA HASSAN"}


def test_report_metadata(frames):
    meta = frames.report["report"]
    assert meta["rentity_id"] == "777" and meta["reporting_person"] == "party:id/ID/99887766"
    assert meta["reason"].startswith("Customer receives many small transfers")
    assert frames.report["activity"] is False and frames.report["transactions"] == 8


def test_tz_option(tmp_path):
    frames = fi.read(STR, tz="UTC")
    assert _row(frames, "goaml:777/TX-1001")["timestamp"] == pd.Timestamp("2026-03-01 14:30", tz="UTC")


def test_sniffer_refuses_other_xml(tmp_path):
    other = tmp_path / "r.xml"
    other.write_text("<report><title>quarterly</title></report>")
    with pytest.raises(UnknownFormatError, match="goaml: a <report> without goAML's rentity_id"):
        fi.read(other)


# ----------------------------------------------------------------------------- real samples


@pytest.mark.samples
def test_misp_export_not_schema_valid_still_reads(shared_samples):
    frames = fi.read(shared_samples / "goaml" / "misp-modules_goamlexport.xml")
    assert len(frames.transactions) == 1 and frames.rejects.empty
    r = frames.transactions.iloc[0]
    assert r["tx_id"] == "goaml:2510/TW00000901"
    assert r["sender"] == "acct:ATTBVI/31032027088"
    assert r["receiver"] == "party:name/JEAN MICHEL"
    assert r["amount_exact"] == Decimal("12345") and r["currency"] == "EUR"
    assert r["timestamp"] == pd.Timestamp("2015-12-01 07:03", tz="UTC")  # 10:03 Nairobi
    assert (r["sender_country"], r["receiver_country"]) == ("FR", "LU")  # FRA, LUX in the file
    assert frames.parties["name"].tolist() == ["Pitt Nick", "Jean Michel"]


@pytest.mark.samples
def test_thecury_report_every_transaction_rejected_with_reason(shared_samples):
    frames = fi.read(shared_samples / "goaml" / "thecury_report.xml")
    assert frames.transactions.empty
    assert len(frames.rejects) == 27
    rej = frames.rejects.set_index("source_row")
    assert "before 1753-01-01" in rej.loc[17, "problem"]
    assert rej.loc[371, "column"] == "from_entity"
    assert rej.loc[1131, "problem"] == "missing date_transaction"
    assert (frames.rejects["column"] == "date_transaction").sum() == 26
    assert len(frames.parties) == 13  # KYC of rejected rows is still kept


@pytest.mark.samples
def test_activity_report_has_parties_no_transactions(shared_samples):
    frames = fi.read(shared_samples / "goaml" / "vyttah_USG-dpmsr-activity.xml")
    assert frames.transactions.empty and frames.rejects.empty
    assert frames.report["activity"] is True
    p = frames.parties.set_index("party_id")
    assert p.loc["party:reg/AE/1000001", "name"] == "SAMPLE JEWELLERY L.L.C"
    assert p.loc["party:id/ID/784198000000001", "name"] == "SAMPLEDIR SAMPLELASTDIR"
    # the reporting person's 0500000001 is read in the report's country (AED -> AE), not Kenya
    assert p.loc["party:id/SSN/784199000000001", "phone"] == "+971500000001"


@pytest.mark.samples
def test_xsd_validation_is_reported_never_a_gate(shared_samples):
    xsd = shared_samples / "goaml" / "thecury_goAMLSchema_v5.0.1.xsd"
    frames = fi.read(shared_samples / "goaml" / "misp-modules_goamlexport.xml", xsd=xsd)
    assert len(frames.transactions) == 1
    report = frames.report["xsd"]
    assert report["valid"] is False and report["errors"] == 15
    assert any("gender" in m for m in report["messages"])


def test_namespaced_report_reads_the_same(tmp_path, frames):
    path = tmp_path / "ns.xml"
    path.write_text(STR.read_text().replace("<report>", '<report xmlns="http://www.unodc.org/goaml/example">', 1))
    other = fi.read(path)
    cols = ["tx_id", "timestamp", "sender", "receiver", "amount_exact", "attributes", "source_row"]
    pd.testing.assert_frame_equal(other.transactions[cols], frames.transactions[cols])
    assert other.rejects["source_row"].tolist() == frames.rejects["source_row"].tolist()
    assert len(other.parties) == len(frames.parties)


def test_case_store_round_trip_with_camt(tmp_path):
    case = fi.open_case(tmp_path / "case")
    summary = case.ingest([STR, FIXTURES.parent / "iso20022" / "camt053_v08.xml"])
    assert summary["format"].tolist() == ["goaml", "iso20022"]
    assert summary["rows_written"].tolist() == [4, 4] and summary["rows_rejected"].tolist() == [4, 2]
    tx = case.transactions()
    assert tx.loc[tx["tx_id"] == "goaml:777/TX-1003", "amount_exact"].iloc[0] == Decimal("0.1234567890123")
    parties = case.parties().set_index("party_id")
    assert str(parties.loc["party:id/ID/12345678", "birth_date"]) == "1990-05-17"


def test_unloadable_xsd_is_reported_not_raised(tmp_path):
    xsd = tmp_path / "remote.xsd"
    xsd.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:include schemaLocation="http://attacker.example/codes.xsd"/></xs:schema>'
    )
    frames = fi.read(STR, xsd=xsd)
    assert len(frames.transactions) == 4
    assert frames.report["xsd"]["valid"] is None
    assert frames.report["xsd"]["messages"][0].startswith("the XSD could not be loaded")


@pytest.mark.parametrize(
    ("written", "exact", "problem"),
    [
        ("7900000000000000.0000000000000", Decimal("7900000000000000"), None),  # goAML's largest, 13 decimals
        ("0.0000000000001", Decimal("1E-13"), None),
        ("-100.00", None, "must be positive"),
        ("123456789012345678901", None, "more than 20 digits"),
    ],
)
def test_amount_limits(tmp_path, written, exact, problem):
    path = tmp_path / "big.xml"
    path.write_text(
        "<report><rentity_id>1</rentity_id><report_code>CTR</report_code><currency_code_local>KES</currency_code_local>"
        "<transaction><transactionnumber>B1</transactionnumber><date_transaction>2026-01-02T10:00:00</date_transaction>"
        f"<amount_local>{written}</amount_local>"
        "<t_from><from_entity><name>Alpha</name></from_entity><from_country>KE</from_country></t_from>"
        "<t_to><to_entity><name>Beta</name></to_entity><to_country>KE</to_country></t_to></transaction></report>"
    )
    frames = fi.read(path)
    if problem is None:
        assert frames.transactions["amount_exact"].tolist() == [exact] and frames.rejects.empty
    else:
        assert frames.transactions.empty
        assert frames.rejects.loc[0, "column"] == "amount_local" and problem in frames.rejects.loc[0, "problem"]
