"""goAML read and stored in batches: the same frames as one read, committed whole or not at all."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import finintel as fi
from finintel.errors import InputError
from finintel.ingest._registry import concat_frames, read_batches
from finintel.store import Case

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "goaml"
STR = FIXTURES / "str_bi_multi.xml"

_PERSON = (
    "<{d}_person><first_name>P{n}</first_name><last_name>Test</last_name><id_number>{n:06d}</id_number>"
    "<phones><phone><tph_communication_type>M</tph_communication_type><tph_number>07{p:08d}</tph_number>"
    "</phone></phones></{d}_person>"
)
_ACCOUNT = "<{d}_account><swift>EQBLKENA</swift><account>{n:010d}</account></{d}_account>"


def write_report(path: Path, n: int, *, repeat: dict[int, int] | None = None, bad: tuple[int, ...] = ()) -> Path:
    """A goAML STR of `n` transactions between 7 people and 5 accounts, one line per transaction.

    Transaction ``i`` is on line ``i + 3``; ``repeat={i: j}`` gives transaction ``i`` the
    number of transaction ``j``; transactions in `bad` have a negative amount.
    """
    lines = [
        "<report>",
        "<rentity_id>55</rentity_id><report_code>STR</report_code><currency_code_local>KES</currency_code_local>",
        "<reason>mule accounts</reason>",
    ]
    for i in range(1, n + 1):
        number = (repeat or {}).get(i, i)
        who = i % 7
        sender = _PERSON.format(d="from", n=who, p=10_000_000 + who)
        receiver = _ACCOUNT.format(d="to", n=i % 5)
        amount = "-5" if i in bad else f"{i}00.50"
        lines.append(
            f"<transaction><transactionnumber>T{number}</transactionnumber>"
            f"<date_transaction>2026-03-{1 + i % 28:02d}T10:00:00</date_transaction><amount_local>{amount}</amount_local>"
            f"<t_from>{sender}</t_from><t_to>{receiver}</t_to></transaction>"
        )
    lines.append("<report_indicators><indicator>RI01</indicator><indicator>TF02</indicator></report_indicators>")
    lines.append("</report>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _sorted(df: pd.DataFrame, *by: str) -> pd.DataFrame:
    return df.sort_values(list(by), kind="stable").reset_index(drop=True)


def _same(a: fi.ingest.Frames, b: fi.ingest.Frames) -> None:
    pd.testing.assert_frame_equal(_sorted(a.transactions, "tx_id"), _sorted(b.transactions, "tx_id"))
    pd.testing.assert_frame_equal(_sorted(a.parties, "party_id"), _sorted(b.parties, "party_id"))
    pd.testing.assert_frame_equal(
        _sorted(a.accounts, "account", "role", "source_row"), _sorted(b.accounts, "account", "role", "source_row")
    )
    pd.testing.assert_frame_equal(_sorted(a.rejects, "source_row"), _sorted(b.rejects, "source_row"))


@pytest.mark.parametrize("batch_rows", [1, 3, 7, 8, 1000])
def test_batches_of_the_str_fixture_equal_one_read(batch_rows):
    whole = fi.read(STR)
    batches = list(read_batches(STR, batch_rows=batch_rows))
    # 8 <transaction> elements: 4 rows and 4 rejects, cut every `batch_rows` of them
    assert [b.rows_read for b in batches] == [min(batch_rows, 8 - i) for i in range(0, 8, batch_rows)]
    assert [len(b.transactions) + len(b.rejects) for b in batches] == [b.rows_read for b in batches]
    _same(concat_frames(batches), whole)
    assert concat_frames(batches).rows_read == whole.rows_read == 8
    # report_indicators come after the transactions; every row has them, even those handed out first
    for tx in (b.transactions for b in batches):
        assert all(json.loads(a)["report"]["report_indicators"] == ["RI01", "TF02"] for a in tx["attributes"])
    # the repeated TX-1001 (line 187) is found across batches, as in one read
    assert "goaml:777/TX-1001#L187" in set(concat_frames(batches).transactions["tx_id"])
    assert batches[-1].report["transactions"] == 8 and batches[-1].report["report"]["report_code"] == "STR"
    assert all(b.report == {} for b in batches[:-1])


def test_gzip_and_namespaces_in_batches(tmp_path):
    text = STR.read_text(encoding="utf-8").replace("<report>", '<g:report xmlns:g="urn:goaml">', 1)
    text = text.replace("<", "<g:").replace("<g:/", "</g:").replace("<g:?", "<?").replace("<g:!", "<!")
    text = text.replace("<g:g:report", "<g:report")
    path = tmp_path / "str.xml.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    whole = fi.read(path)
    assert len(whole.transactions) == 4 and len(whole.rejects) == 4
    batches = list(read_batches(path, batch_rows=2))
    assert len(batches) == 4
    _same(concat_frames(batches), whole)
    first = json.loads(batches[0].transactions["attributes"].iloc[0])
    assert first["report"]["report_indicators"] == ["RI01", "TF02"]


def test_each_party_and_account_once_across_batches(tmp_path):
    path = write_report(tmp_path / "r.xml", 40)
    batches = list(read_batches(path, batch_rows=3))
    assert len(batches) == 14
    parties = pd.concat([b.parties for b in batches])
    # 7 people (i % 7), each first met in transactions 1..7, so in the first three batches only
    assert len(parties) == parties["party_id"].nunique() == 7
    assert [len(b.parties) for b in batches[:4]] == [3, 3, 1, 0]
    accounts = pd.concat([b.accounts for b in batches])
    # 5 bank accounts (no holder) and the 7 people's phones, once each
    assert len(accounts) == 12 and accounts["account"].nunique() == 12


def test_case_ingest_in_tiny_batches_equals_one_batch(tmp_path):
    path = write_report(tmp_path / "r.xml", 25, repeat={20: 4}, bad=(9, 17))
    small, big = fi.open_case(tmp_path / "small"), fi.open_case(tmp_path / "big")
    s = small.ingest(path, batch_rows=3)
    b = big.ingest(path, batch_rows=10_000)
    cols = ["status", "rows_read", "rows_written", "rows_rejected"]
    assert s[cols].values.tolist() == b[cols].values.tolist() == [["ingested", 25, 23, 2]]
    for name in ("transactions", "parties", "accounts", "rejects"):
        key = {"transactions": ["tx_id"], "parties": ["party_id"], "accounts": ["account", "role"]}.get(
            name, ["source_row"]
        )
        pd.testing.assert_frame_equal(_sorted(getattr(small, name)(), *key), _sorted(getattr(big, name)(), *key))
    tx = small.transactions().set_index("tx_id")
    # transaction 20 repeats the number T4 in the 7th batch: kept, tx_id suffixed with its line (20 + 3)
    assert tx.loc["goaml:55/T4#L23", "amount"] == 2000.5 and tx.loc["goaml:55/T4", "amount"] == 400.5
    assert sorted(small.rejects()["source_row"]) == [12, 20]
    m = small.manifest().iloc[0]
    assert (m["rows_read"], m["rows_written"], m["rows_rejected"], m["parties"], m["accounts"]) == (25, 23, 2, 7, 12)
    # one Parquet file per frame for the file, one row group per batch of 3 (2 rejects in batches 3 and 6)
    key = m["sha256"][:24]
    part = small.path / "transactions" / f"part-{key}.parquet"
    assert [p.name for p in (small.path / "transactions").iterdir()] == [part.name]
    assert pq.ParquetFile(part).metadata.num_row_groups == 9
    assert pq.ParquetFile(part).metadata.num_rows == 23
    assert pq.ParquetFile(big.path / "transactions" / f"part-{key}.parquet").metadata.num_row_groups == 1


def test_ingest_again_changes_nothing(tmp_path):
    path = write_report(tmp_path / "r.xml", 10)
    case = fi.open_case(tmp_path / "case")
    case.ingest(path, batch_rows=3)
    before = {p: p.read_bytes() for p in case.path.rglob("*") if p.is_file()}
    again = case.ingest(path, batch_rows=2)
    assert again.loc[0, ["status", "rows_written"]].tolist() == ["already ingested", 0]
    assert {p: p.read_bytes() for p in case.path.rglob("*") if p.is_file()} == before
    assert len(case.transactions()) == 10


def test_crash_between_batches_commits_nothing_and_reingest_gives_the_file_once(tmp_path, monkeypatch):
    path = write_report(tmp_path / "r.xml", 10)
    case = fi.open_case(tmp_path / "case")
    calls = []
    real = Case._drop_known

    def crash_on_third(self, frames):
        calls.append(len(frames.transactions))
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(self, frames)

    monkeypatch.setattr(Case, "_drop_known", crash_on_third)
    with pytest.raises(RuntimeError, match="disk full"):
        case.ingest(path, batch_rows=3)
    assert calls == [3, 3, 3]
    assert case.transactions().empty and case.manifest().empty and case.parties().empty
    assert not list(case.path.rglob("*.tmp"))  # the batches already appended are removed
    monkeypatch.setattr(Case, "_drop_known", real)
    summary = case.ingest(path, batch_rows=3)
    assert summary.loc[0, ["status", "rows_written"]].tolist() == ["ingested", 10]
    assert case.transactions()["tx_id"].is_unique and len(case.transactions()) == 10


def test_leftovers_of_a_killed_ingest_are_ignored_then_overwritten(tmp_path):
    path = write_report(tmp_path / "r.xml", 6)
    case = fi.open_case(tmp_path / "case")
    key = fi.ingest.file_sha256(path)[:24]
    # a process killed half way: a .tmp being appended, a part renamed before its manifest entry
    (case.path / "parties" / f"part-{key}.tmp").write_bytes(b"PAR1 half written")
    other = fi.open_case(tmp_path / "other")
    other.ingest(write_report(tmp_path / "r2.xml", 2))
    stale = next((other.path / "transactions").glob("part-*.parquet"))
    (case.path / "transactions" / f"part-{key}.parquet").write_bytes(stale.read_bytes())
    assert case.transactions().empty and case.parties().empty
    case.ingest(path, batch_rows=4)
    assert len(case.transactions()) == 6 and len(case.parties()) == 6
    assert not list(case.path.rglob("*.tmp"))


def test_broken_xml_after_some_batches_commits_nothing(tmp_path):
    path = write_report(tmp_path / "r.xml", 12)
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("<transaction><transactionnumber>T11<")] + "<transaction><amount", "utf-8")
    case = fi.open_case(tmp_path / "case")
    with pytest.raises(InputError, match="broken XML") as err:
        case.ingest(path, batch_rows=3)
    assert "r.xml" in str(err.value)
    assert case.transactions().empty and case.manifest().empty
    assert not list(case.path.rglob("*.tmp"))


def test_duplicate_of_an_earlier_file_rejected_in_every_batch_naming_its_first_row(tmp_path):
    first = write_report(tmp_path / "first.xml", 4)
    second = write_report(tmp_path / "second.xml", 9, bad=(5,))  # T1..T4 again, then new numbers
    case = fi.open_case(tmp_path / "case")
    case.ingest(first)
    s = case.ingest(second, batch_rows=2)
    assert s.loc[0, ["rows_read", "rows_written", "rows_rejected"]].tolist() == [9, 4, 5]
    rej = case.rejects().sort_values("source_row")
    dup = rej[rej["column"] == "tx_id"]
    assert dup["raw"].tolist() == ["goaml:55/T1", "goaml:55/T2", "goaml:55/T3", "goaml:55/T4"]
    assert dup["problem"].iloc[3] == f"duplicate of a transaction already in the case ({first}, row 7)"
    assert sorted(case.transactions()["tx_id"]) == [f"goaml:55/T{i}" for i in (1, 2, 3, 4, 6, 7, 8, 9)]


def test_other_readers_come_as_one_batch(tmp_path):
    from finintel.testing import transactions

    ledger = tmp_path / "ledger.parquet"
    transactions([("a", "b", 100, "2024-03-01 10:00"), ("b", "c", 90.5, "2024-03-01 12:00")]).drop(
        columns=["source_row"]
    ).to_parquet(ledger)
    batches = list(read_batches(ledger, batch_rows=1))
    assert len(batches) == 1 and len(batches[0].transactions) == 2


def test_batch_rows_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        list(read_batches(STR, batch_rows=0))


def test_metadata_written_after_the_first_batch_is_reported(tmp_path):
    base = write_report(tmp_path / "r.xml", 5).read_text(encoding="utf-8").replace("<reason>mule accounts</reason>", "")
    # not goAML's order: <reason> after the transactions is read from the end of the file, like report_indicators
    end = tmp_path / "end.xml"
    end.write_text(base.replace("</report>", "<reason>late</reason></report>"), encoding="utf-8")
    batches = list(read_batches(end, batch_rows=2))
    reports = [json.loads(a)["report"] for b in batches for a in b.transactions["attributes"]]
    assert len(reports) == 5 and all(
        r["reason"] == "late" and r["report_indicators"] == ["RI01", "TF02"] for r in reports
    )
    assert "batches" not in batches[-1].report
    # between the transactions (after the first batch left): in the report, and said to be missing from the rows
    mid = tmp_path / "mid.xml"
    mid.write_text(
        base.replace(
            "<transaction><transactionnumber>T4<", "<reason>late</reason>\n<transaction><transactionnumber>T4<"
        )
    )
    batches = list(read_batches(mid, batch_rows=2))
    reports = [json.loads(a)["report"] for b in batches for a in b.transactions["attributes"]]
    assert len(reports) == 5 and all("reason" not in r and r["report_indicators"] == ["RI01", "TF02"] for r in reports)
    assert batches[-1].report["report"]["reason"] == "late"
    assert "missing from the attributes" in batches[-1].report["batches"]
    whole = fi.read(mid)  # read whole, every row has it
    assert (
        "batches" not in whole.report and json.loads(whole.transactions["attributes"][0])["report"]["reason"] == "late"
    )
