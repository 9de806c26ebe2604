"""Benchmark the synthetic ledger generator (run on demand, not in the test suite).

    python benchmarks/synth.py              # 1k, 10k, 100k, 1M
    python benchmarks/synth.py --big        # also 10M (needs ~10 GB of RAM and a few minutes)
    python benchmarks/synth.py --sizes 1000000

Each size runs in a fresh subprocess so peak memory (max RSS) is that size's own. Printed
ratios are against two named baselines:

* ``goal``: the issue's target of 1,000,000 transactions in 60 s (ratio < 1 meets it);
* ``row-loop``: a plain Python loop drawing one row at a time into dicts, then one
  DataFrame (measured here on 20,000 rows, scaled linearly); ratio = how many times faster.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

CHILD = """
import json, resource, time
import finintel as fi
t = time.perf_counter()
led = fi.synth.generate({n}, seed=0)
dt = time.perf_counter() - t
print(json.dumps({{"seconds": dt, "rows": len(led.transactions), "planted": int(led.truth["n_transactions"].sum()),
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def row_loop_baseline(n: int = 20_000) -> float:
    """Seconds per row of a naive per-row Python generator (the thing vectorisation replaces)."""
    import random

    import pandas as pd

    rnd = random.Random(0)
    wallets = [f"msisdn:+2547{rnd.randrange(10**8):08d}" for _ in range(2_000)]
    t = time.perf_counter()
    rows = []
    for i in range(n):
        rows.append(
            {
                "tx_id": f"T{i:09d}",
                "timestamp": pd.Timestamp("2024-01-01") + pd.Timedelta(seconds=rnd.randrange(90 * 86_400)),
                "sender": rnd.choice(wallets),
                "receiver": rnd.choice(wallets),
                "amount": round(rnd.lognormvariate(7, 1.2)),
                "currency": "KES",
                "channel": "mobile_money",
            }
        )
    pd.DataFrame(rows)
    return (time.perf_counter() - t) / n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--big", action="store_true", help="also run 10,000,000")
    ap.add_argument("--sizes", type=int, nargs="*", help="sizes to run instead of the defaults")
    args = ap.parse_args()
    sizes = args.sizes or [1_000, 10_000, 100_000, 1_000_000] + ([10_000_000] if args.big else [])
    per_row = row_loop_baseline()
    print(f"baseline row-loop: {per_row * 1e6:.1f} us/row (20,000 rows)")
    print(f"{'rows':>12} {'seconds':>9} {'rows/s':>11} {'max RSS MB':>11} {'vs goal':>8} {'vs row-loop':>12}")
    for n in sizes:
        out = subprocess.run([sys.executable, "-c", CHILD.format(n=n)], capture_output=True, text=True)
        if out.returncode:
            print(f"{n:>12,} failed:\n{out.stderr[-2000:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        goal = r["seconds"] / (60.0 * n / 1_000_000)
        speedup = per_row * n / r["seconds"]
        print(
            f"{r['rows']:>12,} {r['seconds']:>9.2f} {r['rows'] / r['seconds']:>11,.0f} {r['max_rss_mb']:>11,.0f} {goal:>8.2f} {speedup:>11.1f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
