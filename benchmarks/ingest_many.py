"""Benchmark: ingesting many files into one growing case store; CPU seconds per file as the case grows.

Each file's rows are checked against every transaction already in the case (a tx_id seen before
goes to rejects), so a naive check re-reads the whole case for every file and ingest time grows
with the case. The baseline is the first file's time: the ratio of the last file's time to it
should stay near 1.

Run on demand::

    python benchmarks/ingest_many.py --files 12 --rows 1_000_000

Files are random canonical Parquet ledgers written under benchmarks/_work/ (1M rows about 35 MB).
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

WORK = Path(__file__).resolve().parent / "_work"


def main() -> None:
    import finintel as fi

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=12)
    ap.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    args = ap.parse_args()
    parts = _parts(args.files, args.rows)
    case_dir = WORK / "ingest-many-case"
    shutil.rmtree(case_dir, ignore_errors=True)
    case = fi.open_case(case_dir)
    times = []
    for i, path in enumerate(parts):
        t0 = time.process_time()
        summary = case.ingest(path)
        times.append(time.process_time() - t0)
        print(
            f"file {i + 1:3d}: {times[-1]:6.2f} s CPU  case {(i + 1) * args.rows:>12,} rows  {summary.loc[0, 'status']}"
        )
    print(f"ratio last/first file: {times[-1] / times[0]:.2f}  (baseline: the first file, {times[0]:.2f} s CPU)")


def _parts(files: int, rows: int) -> list[Path]:
    import numpy as np
    import pandas as pd

    folder = WORK / f"ingest-many-parts-{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    rng = np.random.default_rng(0)
    start = pd.Timestamp("2024-01-01", tz="UTC").value // 1000
    for f in range(files):
        path = folder / f"part-{f:05d}.parquet"
        out.append(path)
        if path.exists():
            continue
        s = rng.integers(0, rows // 2, rows)
        pd.DataFrame(
            {
                "tx_id": [f"m{f}-{i}" for i in range(rows)],
                "timestamp": pd.to_datetime(start + rng.integers(0, 365 * 86400 * 10**6, rows), unit="us", utc=True),
                "sender": pd.Series(s).map("msisdn:+2547{:08d}".format),
                "receiver": pd.Series((s + 1) % (rows // 2)).map("msisdn:+2547{:08d}".format),
                "amount": np.round(rng.lognormal(8, 1.6, rows), 2),
                "currency": "KES",
                "channel": "mobile_money",
            }
        ).to_parquet(path)
    return out


if __name__ == "__main__":
    main()
