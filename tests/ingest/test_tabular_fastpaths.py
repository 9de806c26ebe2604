"""Fast paths of the tabular reader give the answers of the plain paths (issue 2: ingest speed)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import finintel as fi
from finintel.errors import InputError
from finintel.ingest import _tabular_parse as P

HEAD = "Account Number : 0100234567\nDate,Details,Debit,Credit,Balance\n"


def _rows(n: int) -> str:
    return "".join(f"{i % 28 + 1:02d}/03/2024,Transfer to 07123456{i % 50:02d},{i + 1}.00,,500.00\n" for i in range(n))


def test_bad_utf8_after_the_head_names_offset_and_row(tmp_path: Path) -> None:
    # the first 64 KiB are valid UTF-8; the bad byte is in the body that Arrow reads
    p = tmp_path / "s.csv"
    body = _rows(3000).encode()
    p.write_bytes(HEAD.encode() + body + b"16/03/2024,Caf\xe9 deposit,,250.50,750.50\n")
    with pytest.raises(InputError) as err:
        fi.read(p, institution="Equity Bank")
    assert err.value.row == 3003  # metadata, header, 3000 rows, then the bad line
    assert f"offset {len(HEAD) + len(body) + 14}" in str(err.value)


def test_utf32_and_bom_files_still_read(tmp_path: Path) -> None:
    text = "Date,Details,Debit,Credit,Balance\n15/03/2024,Transfer to 0712345678,1000.00,,500.00\n"
    for enc in ("utf-32", "utf-32-be", "utf-16", "utf-8-sig"):
        p = tmp_path / f"{enc}.csv"
        data = text.encode(enc)
        p.write_bytes(b"\x00\x00\xfe\xff" + data if enc == "utf-32-be" else data)
        tx = fi.read(p, format="bank_csv").transactions
        assert tx["receiver"].tolist() == ["msisdn:+254712345678"], enc
        assert tx["amount"].tolist() == [1000.0], enc


def test_multibyte_head_cut_keeps_row_numbers(tmp_path: Path) -> None:
    # > 64 KiB of two-byte characters in the first rows: the head buffer ends mid-line
    wide = "\u00e9" * 200
    rows = "".join(f"{i % 28 + 1:02d}/03/2024,Malipo kwa {wide} 0712345678,{i + 1}.00,,1.00\n" for i in range(400))
    p = tmp_path / "s.csv"
    p.write_text(HEAD + rows, encoding="utf-8")
    tx = fi.read(p, institution="Equity Bank").transactions
    assert len(tx) == 400
    assert tx["source_row"].iloc[[0, -1]].tolist() == [3, 402]
    assert tx["amount"].iloc[-1] == 400.0


def test_per_distinct_matches_the_plain_function() -> None:
    many = pa.array([f"MPESA TO 07{i % 7}2345678" if i % 5 else None for i in range(500)])
    unique = pa.array([f"REF {i}" for i in range(500)])

    def f(a: pa.Array) -> dict[str, pa.Array]:
        return {"len": pc.utf8_length(a), "m": pc.match_substring_regex(a, "0752")}

    for arr in (many, unique):
        got, want = P.per_distinct(arr, f), f(arr)
        assert got["len"].to_pylist() == want["len"].to_pylist()
        assert got["m"].to_pylist() == want["m"].to_pylist()


def test_counterparty_keys_on_repeated_narratives(tmp_path: Path) -> None:
    # 200 rows, 4 narratives: the narrative parsing runs on distinct values and spreads back
    lines = [
        "Transfer to 0712345678",
        "IFT TO ABEBE K DASHEN BANK 4099755125010",
        "ATM WITHDRAWAL WESTLANDS",
        "POS PURCHASE NAIVAS",
    ]
    body = "".join(f"{i % 28 + 1:02d}/03/2024,{lines[i % 4]},{i + 1}.00,,1.00\n" for i in range(200))
    p = tmp_path / "s.csv"
    p.write_text(HEAD + body, encoding="utf-8")
    tx = fi.read(p, institution="Equity Bank").transactions
    assert tx["receiver"].iloc[:3].tolist() == [
        "msisdn:+254712345678",
        "acct:DASHEN-BANK/4099755125010",
        "cash:EQUITY-BANK-KENYA/ATM WESTLANDS",
    ]
    assert tx["receiver"].iloc[3].startswith("acct:UNKNOWN/UNIDENTIFIED-")
    assert tx["receiver"].value_counts().tolist() == [50, 50, 50, 50]
    assert tx["receiver_country"].iloc[:4].fillna("-").tolist() == ["KE", "-", "-", "-"]
    assert tx["receiver_name"].iloc[1] == "ABEBE K"


def test_detect_dayfirst_reads_the_day_field_of_long_values() -> None:
    assert P.detect_dayfirst(pa.array(["  03/13/2024 10:00:00 extra", "01/02/2024"])) is False
    assert P.detect_dayfirst(pa.array(["13.03.24", None, ""])) is True
    assert P.detect_dayfirst(pa.array([None, ""])) is None


def test_repeated_ids_across_files_name_the_first_file_and_row(tmp_path: Path) -> None:
    # the case compares tx_id in Arrow and reads file and row only for the ids that repeat
    head = "Date,Details,Debit,Credit,Reference\n"
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(head + "01/03/2024,Transfer to 0712345678,10.00,,FT1\n02/03/2024,Deposit,,5.00,FT2\n")
    b.write_text(head + "02/03/2024,Deposit,,5.00,FT2\n03/03/2024,Cash deposit,,7.00,FT3\n")
    case = fi.open_case(tmp_path / "case")
    case.ingest([a, b], institution="Equity Bank", account="0100234567", id_column="Reference")
    assert sorted(case.transactions()["tx_id"]) == ["bank_csv:FT1", "bank_csv:FT2", "bank_csv:FT3"]
    rej = case.rejects()
    assert rej[["source_file", "source_row", "column"]].values.tolist() == [[str(b), 2, "tx_id"]]
    assert rej["problem"].iloc[0] == f"duplicate of a transaction already in the case ({a}, row 3)"


def test_odd_spaces_matches_the_regex_it_replaces() -> None:
    import random

    rng = random.Random(3)
    alphabet = ["1", "/", ":", " ", "\t", "\r", "\n", "\x0b", "\x0c", "\xa0", "\u2009", "a"]
    for _ in range(400):
        values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(1, 3))]
        arr = pa.array(values)
        want = bool(pc.any(pc.match_substring_regex(arr, r"\s\s|[\t\r\n\x{a0}]")).as_py())
        assert P._odd_spaces(arr) is want, values
