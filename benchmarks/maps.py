"""Map build time, HTML size and the browser's time to a stable layout, for 500, 2,000 and 10,000 accounts.

Run on demand (not part of the test suite):

    python benchmarks/maps.py                 # 500, 2000, 10000 accounts; browser timing when Chromium is there
    python benchmarks/maps.py --sizes 500 2000 --no-browser
    python benchmarks/maps.py --sizes 500 --big 1000000   # also: a 1M-transaction ledger reduced to 500 accounts

Each ledger is synthetic: n mobile-money accounts, 2n transfers over 90 days (random pairs, lognormal
amounts). ``network_map`` is called with ``max_nodes=n`` so the whole graph is drawn (the default of
500 would reduce it). The baseline ratio is against ``fi.graph.flow_graph`` on the same ledger: how much
the map adds to building the graph it draws. The browser time is from page script start to vis-network's
``stabilizationIterationsDone`` in headless Chromium (/usr/bin/chromium via Playwright).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import finintel as fi
from finintel.schema.frames import validate_transactions

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def ledger(n: int, seed: int = 0, m: int | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    m = 2 * n if m is None else m
    s = rng.permutation(np.resize(np.arange(n), m))
    r = (s + rng.integers(1, n, m)) % n
    return validate_transactions(
        pd.DataFrame(
            {
                "tx_id": [f"t{i}" for i in range(m)],
                "sender": [f"msisdn:+2547{x:08d}" for x in s],
                "receiver": [f"msisdn:+2547{x:08d}" for x in r],
                "amount": rng.lognormal(8, 1, m).round(2),
                "timestamp": pd.Timestamp("2024-01-01", tz="UTC")
                + pd.to_timedelta(rng.integers(0, 90 * 86_400, m), unit="s"),
                "currency": "KES",
                "channel": "mobile_money",
            }
        )
    )


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def browser_seconds(paths: list[Path]) -> list[float | None]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return [None] * len(paths)
    if not Path("/usr/bin/chromium").exists():
        return [None] * len(paths)
    out: list[float | None] = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for path in paths:
            page = b.new_page(viewport={"width": 1400, "height": 900})
            page.goto(path.resolve().as_uri())
            page.wait_for_selector("body[data-stable='1']", state="attached", timeout=300_000)
            out.append(page.evaluate("finintelMap.stabilizedAt - finintelMap.started") / 1000)
            page.close()
        b.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 2_000, 10_000])
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument(
        "--big", type=int, default=0, help="also time a map of a ledger of this many transactions (n/10 accounts)"
    )
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="finintel-maps-"))
    rows, paths = [], []
    for n in args.sizes:
        tx = ledger(n)
        base = best_of(lambda tx=tx: fi.graph.flow_graph(tx))
        path = folder / f"map_{n}.html"
        build = best_of(lambda tx=tx, n=n, path=path: fi.viz.network_map(tx, path, max_nodes=n))
        paths.append(path)
        rows.append(
            {
                "accounts": n,
                "transactions": len(tx),
                "flow_graph_s": round(base, 3),
                "map_build_s": round(build, 3),
                "ratio_vs_flow_graph": round(build / base, 1),
                "html_MB": round(path.stat().st_size / 1e6, 2),
            }
        )
    secs = [None] * len(paths) if args.no_browser else browser_seconds(paths)
    for row, s in zip(rows, secs, strict=True):
        row["browser_stable_s"] = None if s is None else round(s, 2)
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"maps written to {folder}")
    if args.big:
        tx = ledger(args.big // 10, m=args.big)
        t = time.perf_counter()
        fi.viz.network_map(tx, folder / "big.html")
        print(
            f"{args.big:,} transactions, {args.big // 10:,} accounts -> map of 500 accounts: {time.perf_counter() - t:.1f} s"
        )


if __name__ == "__main__":
    main()
