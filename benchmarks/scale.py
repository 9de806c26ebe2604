"""Benchmark: screening larger than memory (partitioned engine) and on Dask, against in-memory pandas.

Run on demand, not in the test suite::

    python benchmarks/scale.py --rows 10_000_000 --engines memory,partitioned,dask
    python benchmarks/scale.py --rows 50_000_000 --engines partitioned --detectors structuring,fan_in,fan_out

Each engine runs in a fresh subprocess so that its peak RSS (``ru_maxrss``) is its own. The
baseline is the in-memory pandas run (``engine=memory``); ratios are time / baseline time.
The ledger is random (lognormal amounts, 1 account per 20 transactions, 90 days), written in
1M-row canonical Parquet parts and ingested into a case store under benchmarks/_work/.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

WORK = Path(__file__).resolve().parent / "_work"


def make_case(rows: int, seed: int = 0, days: int = 90, per_account: int = 20) -> Path:
    """A case of `rows` random transfers over `days` days, one account per `per_account` transfers."""
    import finintel as fi

    suffix = "" if (days, per_account) == (90, 20) else f"-{days}d-{per_account}"
    case_dir = WORK / f"scale-case-{rows}{suffix}"
    if (case_dir / "manifest").exists() and len(fi.open_case(case_dir).manifest()) == -(-rows // 1_000_000):
        return case_dir
    parts = WORK / f"scale-parts-{rows}{suffix}"
    parts.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_acc = max(rows // per_account, 100)
    start = pd.Timestamp("2024-01-01", tz="UTC").value // 1000
    done = 0
    files = []
    while done < rows:
        n = min(1_000_000, rows - done)
        s = rng.integers(0, n_acc, n)
        r = (s + rng.integers(1, n_acc, n)) % n_acc
        df = pd.DataFrame(
            {
                "tx_id": [f"b{done + i}" for i in range(n)],
                "timestamp": pd.to_datetime(start + rng.integers(0, days * 86400 * 10**6, n), unit="us", utc=True),
                "sender": pd.Series(s).map("msisdn:+2547{:08d}".format),
                "receiver": pd.Series(r).map("msisdn:+2547{:08d}".format),
                "amount": np.round(rng.lognormal(8, 1.6, n), 2),
                "currency": "KES",
                "channel": "mobile_money",
            }
        )
        path = parts / f"part-{done // 1_000_000:05d}.parquet"
        df.to_parquet(path)
        files.append(path)
        done += n
    case = fi.open_case(case_dir)
    case.ingest(files)
    return case_dir


def run_engine(
    case_dir: Path, engine: str, detectors: list[str] | None, partitions: int, max_rows: int
) -> dict[str, float]:
    import finintel as fi
    from finintel.config import load_config
    from finintel.screening import screen

    cfg = load_config(profile="KE")
    cfg.detectors = detectors
    case = fi.open_case(case_dir)
    t0 = time.perf_counter()
    alerts = screen(case, cfg, engine=engine, partitions=partitions, max_rows=max_rows)  # type: ignore[arg-type]
    seconds = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    alerts.groupby("detector").size().to_csv(sys.stderr)
    return {"seconds": seconds, "peak_gb": peak_gb, "alerts": float(len(alerts))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    ap.add_argument("--engines", default="memory,partitioned,dask")
    ap.add_argument("--detectors", default=None, help="comma-separated; default all")
    ap.add_argument("--skip", default=None, help="comma-separated detectors to leave out of all")
    ap.add_argument("--max-rows", type=lambda s: int(s.replace("_", "")), default=2_000_000)
    ap.add_argument("--partitions", type=int, default=16)
    ap.add_argument("--days", type=int, default=90, help="span of the random ledger")
    ap.add_argument("--per-account", type=int, default=20, help="transfers per account")
    ap.add_argument("--child", nargs=2, metavar=("CASE", "ENGINE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    dets = args.detectors.split(",") if args.detectors else None
    if args.skip:
        import finintel as fi

        skip = set(args.skip.split(","))
        dets = [d for d in (dets or list(fi.detect.available()["name"])) if d not in skip]
        args.detectors = ",".join(dets)
    if args.child:
        import logging

        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s")
        print(json.dumps(run_engine(Path(args.child[0]), args.child[1], dets, args.partitions, args.max_rows)))
        return
    t0 = time.perf_counter()
    case_dir = make_case(args.rows, days=args.days, per_account=args.per_account)
    print(f"case of {args.rows:,} transactions ready in {time.perf_counter() - t0:.1f} s: {case_dir}")
    results = {}
    for engine in args.engines.split(","):
        cmd = [sys.executable, __file__, "--child", str(case_dir), engine, "--partitions", str(args.partitions)]
        cmd += ["--max-rows", str(args.max_rows)]
        if args.detectors:
            cmd += ["--detectors", args.detectors]
        out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
        results[engine] = json.loads(out.stdout.strip().splitlines()[-1])
        r = results[engine]
        print(
            f"{engine:<12} {r['seconds']:8.1f} s  peak {r['peak_gb']:5.2f} GB  {int(r['alerts'])} alerts  {args.rows / r['seconds']:,.0f} tx/s"
        )
    if "memory" in results:
        base = results["memory"]["seconds"]
        for engine, r in results.items():
            print(f"ratio {engine}/memory time: {r['seconds'] / base:.2f}")


if __name__ == "__main__":
    main()
