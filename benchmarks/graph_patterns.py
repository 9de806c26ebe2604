"""Time the time-respecting graph-pattern detectors on a large synthetic ledger.

Run on demand (not part of the test suite)::

    python benchmarks/graph_patterns.py                 # 1,000,000 transactions
    python benchmarks/graph_patterns.py --n 100000      # quicker
    python benchmarks/graph_patterns.py --no-snapml     # skip the IBM Snap ML comparison

The ledger comes from ``fi.synth.generate`` (background activity of KE, UG, ET and DJ
with planted, labelled typologies) and is cached as Parquet in the temp folder. For each
detector the script prints wall time, alerts (fast and slow), and recall on the planted
cases of the same typology (a case counts as found when one alert holds at least half of
its transactions). The goal is the five detectors on 1M transactions in well under 30 s
on 2 cores. Wall and CPU seconds are both printed: on a shared machine the wall time
mostly measures the neighbours.

Baseline: IBM Snap ML's ``GraphFeaturePreprocessor`` (``pip install snapml``), computing
per-edge fan, degree, scatter-gather and temporal-cycle pattern histograms on the same
edge list with 2 threads and a 7-day window; the ratio printed is finintel time / Snap ML
time. The two do different work (Snap ML counts patterns per edge for model features;
finintel finds, conserves-value-checks and explains each pattern, with a slow second
pass), so the ratio is a yardstick, not a like-for-like race.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import finintel as fi

DETECTORS = ("rapid_pass_through", "scatter_gather", "gather_scatter", "cycle", "layering_chain")


def ledger(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The synthetic ledger and its ground truth, generated once and cached."""
    cache = Path(tempfile.gettempdir()) / f"finintel-bench-{n}-{seed}"
    tx_path, truth_path = cache.with_suffix(".tx.parquet"), cache.with_suffix(".truth.parquet")
    if tx_path.exists() and truth_path.exists():
        return pd.read_parquet(tx_path), pd.read_parquet(truth_path)
    t0 = time.perf_counter()
    led = fi.synth.generate(n, seed=seed)
    print(f"generated {n:,} transactions in {time.perf_counter() - t0:.1f} s")
    led.transactions.to_parquet(tx_path)
    led.truth.to_parquet(truth_path)
    return led.transactions, led.truth


def recall(alerts: pd.DataFrame, truth: pd.DataFrame, typology: str) -> tuple[int, int]:
    cases = truth[truth["typology"] == typology]
    evidence = [set(ids) for ids in alerts["tx_ids"]]
    found = 0
    for ids in cases["tx_ids"]:
        want = set(ids)
        found += any(len(want & got) >= 0.5 * len(want) for got in evidence)
    return found, len(cases)


def run_finintel(tx: pd.DataFrame, truth: pd.DataFrame) -> float:
    tx = fi.detect.check_transactions(tx)
    total = cpu_total = 0.0
    print(f"{'detector':<20} {'wall s':>8} {'cpu s':>8} {'alerts':>7} {'fast':>6} {'slow':>6}  recall (planted cases)")
    for name in DETECTORS:
        det = fi.detect.get(name)
        t0, c0 = time.perf_counter(), time.process_time()
        alerts = det(tx, profile="KE")
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        total += dt
        cpu_total += cpu
        pace = alerts["pace"].value_counts() if len(alerts) else pd.Series(dtype=int)
        found, cases = recall(alerts, truth, name)
        print(
            f"{name:<20} {dt:8.2f} {cpu:8.2f} {len(alerts):7d} {pace.get('fast', 0):6d} {pace.get('slow', 0):6d}"
            f"  {found}/{cases}"
        )
    print(f"{'total':<20} {total:8.2f} {cpu_total:8.2f}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (a shared machine slows wall time)")
    return total


def run_snapml(tx: pd.DataFrame) -> float | None:
    try:
        from snapml import GraphFeaturePreprocessor
    except ImportError:
        print("snapml not installed (pip install snapml): no baseline")
        return None
    accounts, codes = np.unique(
        np.concatenate([tx["sender"].astype(str), tx["receiver"].astype(str)]), return_inverse=True
    )
    n = len(tx)
    seconds = tx["timestamp"].astype("int64").to_numpy() // 10**6
    X = np.column_stack([np.arange(n), codes[:n], codes[n:], seconds, tx["amount"].to_numpy()]).astype(np.float64)
    X = X[np.argsort(X[:, 3], kind="stable")]
    week = 7 * 86_400
    gp = GraphFeaturePreprocessor()
    gp.set_params(
        {
            "num_threads": 2,
            "vertex_stats": False,
            "fan": True,
            "fan_tw": week,
            "degree": True,
            "degree_tw": week,
            "scatter-gather": True,
            "scatter-gather_tw": week,
            "temp-cycle": True,
            "temp-cycle_tw": week,
            "lc-cycle": False,
        }
    )
    t0 = time.perf_counter()
    features = gp.fit_transform(X)
    dt = time.perf_counter() - t0
    print(
        f"snapml GraphFeaturePreprocessor (fan, degree, scatter-gather, temp-cycle; 7 days; 2 threads): {dt:.2f} s, {features.shape[1]} columns"
    )
    return dt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-snapml", action="store_true")
    args = parser.parse_args()
    tx, truth = ledger(args.n, args.seed)
    print(f"{len(tx):,} transactions, {tx['sender'].nunique() + tx['receiver'].nunique():,} account sides")
    ours = run_finintel(tx, truth)
    if not args.no_snapml:
        base = run_snapml(tx)
        if base:
            print(f"ratio finintel / snapml = {ours / base:.2f}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
