import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

import finintel as fi
from finintel.cli import main
from finintel.testing import transactions


@pytest.fixture
def ledger(tmp_path):
    """A canonical Parquet ledger: acct-A structures three KES transfers just under the KE threshold."""
    tx = transactions(
        [
            ("acct-A", "acct-X", 950_000, "2024-03-01 10:00"),
            ("acct-A", "acct-Y", 960_000, "2024-03-02 10:00"),
            ("acct-A", "acct-Z", 970_000, "2024-03-03 10:00"),
            ("acct-B", "acct-X", 1_500, "2024-03-03 11:00"),
        ],
        currency="KES",
    )
    path = tmp_path / "ledger.parquet"
    tx.drop(columns=["source_row"]).to_parquet(path)
    return path


def test_ingest_prints_per_file_and_is_idempotent(tmp_path, ledger, capsys):
    assert main(["ingest", str(tmp_path / "case"), str(ledger)]) == 0
    out = capsys.readouterr().out
    assert "canonical" in out and "4 rows" in out and "ingested" in out
    assert main(["ingest", str(tmp_path / "case"), str(ledger), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["files"][0]["status"] == "already ingested"
    assert len(fi.open_case(tmp_path / "case").transactions()) == 4


def test_ingest_exit_2_after_ingesting_the_readable_files(tmp_path, ledger, capsys):
    bad = tmp_path / "garbage.bin"
    bad.write_bytes(b"\x00\x01\x02 not an export")
    assert main(["ingest", str(tmp_path / "case"), str(bad), str(ledger)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("finintel: error: ") and "garbage.bin" in err and "Traceback" not in err
    assert len(fi.open_case(tmp_path / "case").transactions()) == 4


def test_screen_writes_alerts_and_fails_on_alerts_when_asked(tmp_path, ledger, capsys):
    case = tmp_path / "case"
    main(["ingest", str(case), str(ledger), "-q"])
    out = tmp_path / "alerts.csv"
    code = main(
        ["screen", str(case), "--profile", "KE", "--detectors", "structuring", "--out", str(out), "--fail-on-alerts"]
    )
    assert code == 1
    alerts = pd.read_csv(out)
    assert alerts["entity"].tolist() == ["acct-A"]
    assert alerts["tx_ids"].tolist() == ["t1;t2;t3"]
    assert len(fi.open_case(case).alerts()) == 1
    assert main(["screen", str(case), "--profile", "KE", "--detectors", "structuring"]) == 0  # no --fail-on-alerts


def test_screen_output_is_byte_identical_on_rerun(tmp_path, ledger):
    case = tmp_path / "case"
    main(["ingest", str(case), str(ledger), "-q"])
    for suffix in ("csv", "jsonl", "parquet"):
        a, b = tmp_path / f"a.{suffix}", tmp_path / f"b.{suffix}"
        main(["screen", str(case), "--profile", "KE", "--out", str(a), "-q"])
        main(["screen", str(case), "--profile", "KE", "--out", str(b), "-q"])
        assert a.read_bytes() == b.read_bytes(), suffix


def test_bad_config_is_exit_2_with_the_key_named(tmp_path, ledger, capsys):
    case = tmp_path / "case"
    main(["ingest", str(case), str(ledger), "-q"])
    cfg = tmp_path / "screening.toml"
    cfg.write_text('profile = "KE"\n[detectors.structuring]\nmin_cuont = 4\n')
    assert main(["screen", str(case), "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "min_cuont" in err and "screening.toml" in err
    cfg.write_text('profile = "KE"\n[detectors.structuring]\nmin_count = "many"\n')
    assert main(["screen", str(case), "--config", str(cfg)]) == 2
    assert "must be a number" in capsys.readouterr().err
    assert main(["screen", str(case), "--detectors", "strcturing"]) == 2
    assert "Did you mean 'structuring'" in capsys.readouterr().err


def test_usage_errors_and_help(capsys):
    assert main(["screen"]) == 2
    assert "finintel: error:" in capsys.readouterr().err
    assert main(["screen", "--help"]) == 0
    assert "examples:" in capsys.readouterr().out
    assert main([]) == 2


def test_internal_error_is_exit_3_without_traceback_unless_debug(tmp_path, ledger, capsys, monkeypatch):
    from finintel.cli import commands

    def boom(args):
        raise RuntimeError("something broke")

    monkeypatch.setattr(commands, "cmd_detectors", boom)
    assert main(["detectors"]) == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: something broke" in err and "Traceback" not in err
    assert main(["detectors", "--debug"]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_console_script_runs_end_to_end(tmp_path, ledger):
    exe = shutil.which("finintel")
    if exe is None:
        pytest.skip("the finintel console script is not installed (pip install -e .)")
    result = subprocess.run(
        [exe, "ingest", str(tmp_path / "case"), str(ledger), "--json"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["files"][0]["rows_written"] == 4
    result = subprocess.run(
        [sys.executable, "-m", "finintel", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and result.stdout.startswith("finintel ")


def test_map_trace_and_report_commands(tmp_path, ledger, capsys):
    case = tmp_path / "case"
    main(["ingest", str(case), str(ledger), "-q"])
    main(["screen", str(case), "--profile", "KE", "-q"])
    alert_id = fi.open_case(case).alerts()["alert_id"].iloc[0]
    capsys.readouterr()
    assert main(["map", str(case), "--alert", alert_id, "--out", str(tmp_path / "a.html"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["nodes"] == 4 and info["edges"] == 3  # acct-A and its three recipients
    assert main(["map", str(case), "--account", "acct-X", "--hops", "1", "--out", str(tmp_path / "x.html")]) == 0
    assert main(["map", str(case), "--account", "nobody", "--out", str(tmp_path / "n.html")]) == 2
    assert main(["map", str(case), "--community", "99", "--out", str(tmp_path / "c.html")]) == 2
    assert "does not exist" in capsys.readouterr().err
    # seeds are victim payments (tx_ids): their value now sits with the recipients
    assert main(["trace", str(case), "--seed", "t1", "--seed", "t2", "--out", str(tmp_path / "trace.csv")]) == 0
    holders = pd.read_csv(tmp_path / "trace-holders.csv")
    held = dict(zip(holders["account"], holders[[c for c in holders.columns if "amount" in c][0]], strict=True))
    assert held == {"acct-X": 950_000.0, "acct-Y": 960_000.0}
    assert main(["report", str(case), "--out", str(tmp_path / "report")]) == 0
    index = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "structuring" in index and (tmp_path / "report" / "map.html").exists()
