"""Benchmark: flow graph of a large ledger, a 3-hop ego network, and seed traces.

Run on demand (not part of the test suite)::

    python benchmarks/graph.py --n 10_000_000

Goals (issue 4): flow_graph from 10M transactions < 60 s and < 6 GB;
ego network and trace < 2 s. Baseline for the ratios: the design note's
measurement of building a NetworkX MultiDiGraph directly, ~10 µs per
transaction (DESIGN.md, "Scale").

The ledger is random but shaped like a mobile-money case file: 1 account per
10 transactions, senders drawn from a heavy-tailed (Zipf-like) activity
distribution, each sender paying one of its 3 regular counterparties, one
year of timestamps, log-normal amounts, 2% cash-outs to 2,000 agents.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd
import pyarrow as pa

from finintel.graph import ego_network, flow_graph, trace


def ledger(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_acc = max(n // 10, 10)
    weights = 1.0 / np.arange(1, n_acc + 1) ** 0.8
    weights /= weights.sum()
    sender = rng.choice(n_acc, size=n, p=weights)
    contacts = rng.integers(0, n_acc, size=(n_acc, 3))
    receiver = contacts[sender, rng.integers(0, 3, size=n)]
    keys = np.array([f"msisdn:+2547{i:08d}" for i in range(n_acc)], dtype=object)
    agents = np.array([f"cash:Agent {i}" for i in range(2000)], dtype=object)
    recv = keys[receiver]
    cash = rng.random(n) < 0.02
    recv[cash] = agents[rng.integers(0, 2000, size=int(cash.sum()))]
    ts = pd.Timestamp("2024-01-01", tz="UTC").value // 1000 + np.sort(rng.integers(0, 365 * 86_400_000_000, size=n))
    string = pd.ArrowDtype(pa.string())
    s = pd.StringDtype("pyarrow")
    tx = pd.DataFrame(
        {
            "tx_id": pd.array(pa.array([f"T{i:09d}" for i in range(n)]), dtype=string).astype(s),
            "timestamp": pd.to_datetime(ts, unit="us", utc=True).as_unit("us"),
            "sender": pd.Series(keys[sender], dtype=s),
            "receiver": pd.Series(recv, dtype=s),
            "sender_name": pd.Series(pd.NA, index=range(n), dtype=s),
            "receiver_name": pd.Series(pd.NA, index=range(n), dtype=s),
            "amount": np.round(rng.lognormal(7, 1.2, size=n), 2),
            "amount_exact": pd.array(pa.nulls(n, pa.decimal128(38, 18)), dtype=pd.ArrowDtype(pa.decimal128(38, 18))),
            "currency": pd.Series(["KES"] * n, dtype=s),
            "channel": pd.Categorical(
                ["mobile_money"] * n,
                categories=["bank", "mobile_money", "crypto", "cash", "card", "remittance", "other"],
            ),
            "status": pd.Categorical(["completed"] * n, categories=["completed", "failed", "reversed", "pending"]),
        }
    )
    for col in (
        "sender_country",
        "receiver_country",
        "description",
        "attributes",
        "source_format",
        "source_file",
        "source_sha256",
    ):
        tx[col] = pd.Series(pd.NA, index=range(n), dtype=s)
    tx["source_row"] = pd.Series(pd.NA, index=range(n), dtype="Int64")
    return tx


def rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # Linux: kilobytes


def traces(tx: pd.DataFrame, hub: str, n: int) -> None:
    """Seed traces from a mid-year payment into `hub`; the last one repeated (warm: account codes memoised)."""
    # a mid-year payment into the busiest account, so the trace has somewhere to go
    into_hub = np.flatnonzero((tx["receiver"] == hub).to_numpy())
    seed_pos = int(into_hub[np.argmin(np.abs(into_hub - n // 2))])
    seed = str(tx["tx_id"].iloc[seed_pos])
    day = tx["timestamp"].iloc[seed_pos]
    for kwargs in (
        {"hops": 3},
        {"until": day + pd.Timedelta(days=7)},
        {"hops": 3, "rule": "proportional"},
        {"direction": "backward", "hops": 3},
        {"hops": 3},
    ):
        t0, c0 = time.perf_counter(), time.process_time()
        t = trace(tx, [seed], **kwargs)
        print(
            f"trace({kwargs}): {len(t.steps):,} steps, {len(t.holders):,} holders in {time.perf_counter() - t0:.2f} s wall, "
            f"{time.process_time() - c0:.2f} s CPU (goal < 2 s); "
            f"holders sum {t.holders['amount'].sum():,.2f} of {t.total:,.2f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--no-tx-ids", action="store_true", help="flow_graph(tx_ids=False)")
    ap.add_argument("--trace-only", action="store_true", help="skip flow_graph and ego networks")
    args = ap.parse_args()
    t0 = time.perf_counter()
    tx = ledger(args.n)
    t_gen = time.perf_counter() - t0
    base = rss_gb()
    print(f"ledger: {args.n:,} rows generated in {t_gen:.1f} s; peak RSS so far {base:.2f} GB")

    if args.trace_only:
        traces(tx, str(tx["sender"].value_counts().index[0]), args.n)
        return
    t0, c0 = time.perf_counter(), time.process_time()
    G = flow_graph(tx, tx_ids=not args.no_tx_ids)
    t_flow, c_flow = time.perf_counter() - t0, time.process_time() - c0
    peak = rss_gb()
    baseline = args.n * 10e-6
    print(
        f"flow_graph: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges in {t_flow:.1f} s wall, {c_flow:.1f} s CPU "
        f"(goal < 60 s; MultiDiGraph baseline ~{baseline:.0f} s -> {baseline / t_flow:.1f}x); "
        f"peak RSS {peak:.2f} GB (+{peak - base:.2f} GB over the ledger; goal < 6 GB)"
    )

    hub = max((G.degree(v), str(v)) for v in G.nodes if not str(v).startswith("cash:"))[1]
    mid = sorted(G.nodes, key=str)[len(G) // 3]
    for label, node in (("median-ish account", mid), ("busiest account", hub)):
        t0, c0 = time.perf_counter(), time.process_time()
        ego = ego_network(G, node, hops=3)
        print(
            f"ego_network(hops=3) around the {label}: {ego.number_of_nodes():,} nodes, {ego.number_of_edges():,} edges "
            f"in {time.perf_counter() - t0:.2f} s wall, {time.process_time() - c0:.2f} s CPU (goal < 2 s)"
        )
    del G

    traces(tx, hub, args.n)
    print(f"peak RSS {rss_gb():.2f} GB")


if __name__ == "__main__":
    main()
