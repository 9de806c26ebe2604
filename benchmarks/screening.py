"""Full-pack screening throughput: every registered detector on a synthetic ledger (tx/s, peak memory).

Goal (issue 8): 1M transactions in under 30 s on 2 cores, under 4 GB.

Usage::

    python benchmarks/screening.py                     # 1M rows, KE profile
    python benchmarks/screening.py --n 10000000        # 10M rows
    python benchmarks/screening.py --n 200000 --detectors structuring,fan_in

The ledger is generated once per (n, seed) and cached as Parquet under ``--cache`` so that generation is not
timed; the pack then runs in a fresh child process, whose peak resident memory (``ru_maxrss``) is reported
next to the memory held by the loaded frame alone (the baseline).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

GOAL_SECONDS_PER_MILLION = 30.0
GOAL_PEAK_GB = 4.0


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _prepare(n: int, seed: int, cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    base = cache / f"synth_{n}_{seed}"
    if not (base / "transactions.parquet").exists():
        import finintel as fi
        from finintel.schema import frames as F

        t = time.perf_counter()
        led = fi.synth.generate(n, seed=seed)
        base.mkdir(exist_ok=True)
        import pyarrow.parquet as pq

        pq.write_table(F.to_arrow(led.transactions, "transactions"), base / "transactions.parquet")
        led.accounts.to_parquet(base / "accounts.parquet")
        led.parties.to_parquet(base / "parties.parquet")
        led.truth.to_parquet(base / "truth.parquet")
        print(f"generated {n:,} transactions in {time.perf_counter() - t:.1f} s -> {base}", file=sys.stderr)
    return base


def _child(base: Path, profile: str, detectors: list[str] | None) -> None:
    import pandas as pd
    import pyarrow.parquet as pq

    import finintel as fi
    from finintel.schema import frames as F

    tx = F.from_arrow(pq.read_table(base / "transactions.parquet"), "transactions")
    accounts, parties = pd.read_parquet(base / "accounts.parquet"), pd.read_parquet(base / "parties.parquet")
    loaded = _rss_gb()
    names = detectors or list(fi.detect.available()["name"])
    per: dict[str, dict[str, float]] = {}
    total = time.perf_counter()
    for name in names:
        t = time.perf_counter()
        alerts = fi.detect.run(tx, [name], profile=profile, accounts=accounts, parties=parties)
        per[name] = {"seconds": time.perf_counter() - t, "alerts": len(alerts), "peak_gb": _rss_gb()}
    elapsed = time.perf_counter() - total
    print(json.dumps({"rows": len(tx), "seconds": elapsed, "loaded_gb": loaded, "peak_gb": _rss_gb(), "per": per}))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", default="KE")
    ap.add_argument("--detectors", default=None, help="comma-separated names; default: all registered")
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "finintel_detect_bench")
    ap.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    detectors = args.detectors.split(",") if args.detectors else None
    if args.child:
        _child(args.child, args.profile, detectors)
        return 0
    base = _prepare(args.n, args.seed, args.cache)
    cmd = [sys.executable, __file__, "--child", str(base), "--profile", args.profile]
    if args.detectors:
        cmd += ["--detectors", args.detectors]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    rows, secs = res["rows"], res["seconds"]
    print(f"{'detector':28s} {'seconds':>8s} {'tx/s':>12s} {'alerts':>8s} {'peak GB':>8s}")
    for name, r in sorted(res["per"].items(), key=lambda kv: -kv[1]["seconds"]):
        print(
            f"{name:28s} {r['seconds']:8.2f} {rows / max(r['seconds'], 1e-9):12,.0f} {r['alerts']:8d} {r['peak_gb']:8.2f}"
        )
    goal = GOAL_SECONDS_PER_MILLION * rows / 1e6
    print(
        f"\nfull pack: {rows:,} transactions in {secs:.1f} s = {rows / secs:,.0f} tx/s "
        f"(goal {goal:.0f} s: ratio {secs / goal:.2f}x of budget)"
    )
    print(
        f"memory: frames loaded {res['loaded_gb']:.2f} GB, peak {res['peak_gb']:.2f} GB "
        f"(goal {GOAL_PEAK_GB:.0f} GB: ratio {res['peak_gb'] / GOAL_PEAK_GB:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
