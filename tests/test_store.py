import json
from pathlib import Path

import pandas as pd
import pytest

import finintel as fi
from finintel.errors import InputError, UnknownFormatError
from finintel.ingest import Frames, register_reader
from finintel.testing import transactions


def _parquet(tmp_path: Path, rows, name="ledger.parquet") -> Path:
    path = tmp_path / name
    transactions(rows).drop(columns=["source_row"]).to_parquet(path)
    return path


@pytest.fixture
def ledger(tmp_path):
    return _parquet(tmp_path, [("a", "b", 100, "2024-03-01 10:00"), ("b", "c", 90.5, "2024-03-01 12:00")])


def test_ingest_twice_changes_nothing(tmp_path, ledger):
    case = fi.open_case(tmp_path / "case")
    first = case.ingest(ledger)
    assert first.loc[0, ["status", "rows_written", "rows_rejected"]].tolist() == ["ingested", 2, 0]
    files_before = sorted(p.relative_to(case.path) for p in case.path.rglob("*") if p.is_file())
    second = case.ingest(ledger)
    assert second.loc[0, "status"] == "already ingested"
    assert sorted(p.relative_to(case.path) for p in case.path.rglob("*") if p.is_file()) == files_before
    assert len(case.transactions()) == 2
    assert len(case.manifest()) == 1
    # a copy of the same bytes under another name is the same evidence
    copy = tmp_path / "copy.parquet"
    copy.write_bytes(ledger.read_bytes())
    assert fi.open_case(case.path).ingest(copy).loc[0, "status"] == "already ingested"


def test_round_trip_through_the_store_keeps_types(tmp_path, ledger):
    case = fi.open_case(tmp_path / "case")
    case.ingest(ledger)
    stored = case.transactions()
    expected = fi.read(ledger).transactions
    pd.testing.assert_frame_equal(stored, expected)
    assert stored.loc[0, "source_sha256"] == case.manifest().loc[0, "sha256"]
    assert stored["source_row"].tolist() == [1, 2]


def test_overlapping_files_do_not_duplicate_transactions(tmp_path, ledger):
    other = _parquet(tmp_path, [("a", "b", 100, "2024-03-01 10:00"), ("c", "d", 5, "2024-03-02")], "other.parquet")
    case = fi.open_case(tmp_path / "case")
    case.ingest([ledger, other])
    # tx_id is the source's own id: both of other's ids are already in the case, so both rows are duplicates
    assert sorted(case.transactions()["tx_id"]) == ["t1", "t2"]
    rejects = case.rejects()
    assert len(rejects) == 2
    assert rejects["problem"].str.contains("duplicate of a transaction already in the case").all()
    assert (rejects["source_file"] == str(other)).all()
    summary = case.manifest().set_index("file")
    assert summary.loc[str(other), "rows_read"] == 2
    assert summary.loc[str(other), "rows_written"] + summary.loc[str(other), "rows_rejected"] == 2


def test_duplicate_check_reads_only_files_whose_id_index_may_hold_the_ids(tmp_path, monkeypatch):
    import finintel.store as store

    first = _parquet(tmp_path, [("a", "b", 1, "2024-03-01"), ("b", "c", 2, "2024-03-02")], "first.parquet")
    unrelated = transactions([("x", "y", 3, "2024-03-03")]).assign(tx_id="u1").drop(columns=["source_row"])
    unrelated.to_parquet(tmp_path / "unrelated.parquet")
    case = fi.open_case(tmp_path / "case")
    case.ingest([first, tmp_path / "unrelated.parquet"])
    assert len(list((case.path / "index").glob("tx-*.parquet"))) == 2
    read: list[list[str]] = []
    real = store.ds.dataset

    def spy(files, *args, **kwargs):
        read.append([Path(f).name for f in files])
        return real(files, *args, **kwargs)

    monkeypatch.setattr(store.ds, "dataset", spy)
    again = transactions([("a", "b", 1, "2024-03-01")]).drop(columns=["source_row"])  # tx_id t1, as in `first`
    again.to_parquet(tmp_path / "again.parquet")
    case.ingest(tmp_path / "again.parquet")
    first_key = case.manifest().set_index("file").loc[str(first), "sha256"][:24]
    assert read[0] == [f"part-{first_key}.parquet"]  # the unrelated file's transactions were not read
    assert "first.parquet, row 1" in case.rejects()["problem"].iloc[-1]


def test_duplicates_are_found_in_a_case_written_before_the_id_index(tmp_path, ledger):
    case = fi.open_case(tmp_path / "case")
    case.ingest(ledger)
    for index in (case.path / "index").glob("*.parquet"):
        index.unlink()
    other = _parquet(tmp_path, [("a", "b", 100, "2024-03-01 10:00")], "other.parquet")
    case.ingest(other)
    assert len(case.transactions()) == 2
    assert case.rejects()["problem"].str.contains("duplicate of a transaction already in the case").all()


def test_bad_rows_land_in_rejects_with_file_row_and_column(tmp_path):
    def sniff(path, head):
        return True if head.startswith(b"TESTFMT") else "no TESTFMT magic"

    @register_reader("testfmt_bad_rows", sniff=sniff, priority=1)
    def read_testfmt(path, **options):
        rows = [json.loads(line) for line in path.read_text().splitlines()[1:]]
        df = pd.DataFrame(rows)
        df["source_row"] = range(2, len(df) + 2)
        return Frames(transactions=df, rows_read=len(df))

    path = tmp_path / "x.txt"
    good = {
        "tx_id": "g1",
        "timestamp": "2024-01-01",
        "sender": "a",
        "receiver": "b",
        "amount": 5,
        "currency": "KES",
        "channel": "bank",
    }
    lines = [
        "TESTFMT",
        json.dumps(good),
        json.dumps({**good, "tx_id": "g2", "amount": "abc"}),
        json.dumps({**good, "tx_id": "g3", "timestamp": "yesterday"}),
    ]
    path.write_text("\n".join(lines))
    try:
        case = fi.open_case(tmp_path / "case")
        summary = case.ingest(path)
        assert summary.loc[0, ["rows_read", "rows_written", "rows_rejected"]].tolist() == [3, 1, 2]
        rej = case.rejects().sort_values("source_row")
        assert rej[["source_file", "source_row", "column"]].to_numpy().tolist() == [
            [str(path), 3, "amount"],
            [str(path), 4, "timestamp"],
        ]
        assert json.loads(rej.iloc[0]["raw"])["amount"] == "abc"
    finally:
        from finintel.ingest import _registry

        _registry._READERS.pop("testfmt_bad_rows")


def test_unknown_format_lists_each_reader_refusal(tmp_path):
    path = tmp_path / "mystery.bin"
    path.write_bytes(b"\x00\x01 nothing anyone reads")
    with pytest.raises(UnknownFormatError) as info:
        fi.read(path)
    assert "canonical" in info.value.refusals
    assert str(path) in str(info.value)


def test_empty_file_is_a_clear_error_and_collect_mode_keeps_going(tmp_path, ledger):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        fi.read(empty)
    case = fi.open_case(tmp_path / "case")
    summary = case.ingest([empty, ledger], errors="collect")
    assert summary["status"].tolist() == ["failed", "ingested"]
    assert "empty" in summary.loc[0, "error"]
    with pytest.raises(InputError) as info:
        fi.open_case(tmp_path / "case2").ingest([empty, ledger])
    assert info.value.summary["status"].tolist() == ["failed", "ingested"]  # the other file was ingested first


def test_half_written_ingest_is_ignored(tmp_path, ledger):
    case = fi.open_case(tmp_path / "case")
    case.ingest(ledger)
    # simulate a crash after data files, before the manifest commit point
    orphan = case.path / "transactions" / "part-orphan.parquet"
    orphan.write_bytes((next((case.path / "transactions").glob("part-*.parquet"))).read_bytes())
    assert len(case.transactions()) == 2


def test_alerts_round_trip(tmp_path):
    case = fi.open_case(tmp_path / "case")
    alerts = pd.DataFrame(
        {
            "alert_id": ["a1"],
            "detector": ["structuring"],
            "entity": ["acct-A"],
            "score": [0.7],
            "start": [pd.Timestamp("2024-01-01", tz="UTC")],
            "end": [pd.Timestamp("2024-01-03", tz="UTC")],
            "tx_ids": [["t1", "t2"]],
            "reason": ["2 transfers"],
        }
    )
    case.write_alerts(alerts)
    back = case.alerts()
    assert list(back.loc[0, "tx_ids"]) == ["t1", "t2"]
    assert back.loc[0, "start"] == pd.Timestamp("2024-01-01", tz="UTC")


def test_case_path_must_be_a_folder(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InputError, match="folder"):
        fi.open_case(f)


def test_missing_file_is_an_input_error_naming_it(tmp_path):
    case = fi.open_case(tmp_path / "case")
    summary = case.ingest([tmp_path / "nope.csv"], errors="collect")
    assert summary.loc[0, "status"] == "failed" and "no such file" in summary.loc[0, "error"]
    assert str(tmp_path / "nope.csv") in summary.loc[0, "error"]
