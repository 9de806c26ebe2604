"""Benchmark: whole-frame detectors on what their gather function keeps, against loading the whole case.

Run on demand, not in the test suite::

    python benchmarks/gather.py --rows 1_000_000
    python benchmarks/gather.py --rows 10_000_000 --detectors crypto_exposure,watchlist

For each of the four ``partition="none"`` detectors (watchlist, crypto_exposure, fiat_crypto_offramp,
shared_identifiers) two fresh subprocesses run it on the same case store, so that each peak RSS
(``ru_maxrss``) is its own:

- ``whole`` (the baseline): ``case.transactions()`` then the detector: memory grows with the case;
- ``gather``: the detector's gather function streams the case in 1M-row Arrow batches (as
  :mod:`finintel.scale` does), then the detector runs on the rows kept.

Printed: seconds, peak RSS, rows kept, alerts, whether both runs gave the same alert ids, and the ratios
gather/whole. The ledger is random: one account per 20 transfers, each account with a fixed holder name
from 300 x 300 first and last names (so common names exist), names on 90% of senders and 80% of
receivers, 3% USDT-TRC20 transfers between wallets (a fifth of the
wallets held by an account's holder: same name), 25 tagged wallets, a 40-entry watchlist, an
accounts/parties frame with phones shared by 30 small groups of holders.

Measured (2 shared cores, other jobs running), ``python benchmarks/gather.py --rows 4_000_000``
(1M-row batches); same alert ids in every case:

====================  =========  ==========  =============  ==============  ===========
detector              rows kept  alerts      whole s / GB   gather s / GB   peak ratio
====================  =========  ==========  =============  ==============  ===========
watchlist             253,065    16,648      54.5 / 4.24    21.8 / 1.96     0.46
crypto_exposure       2,140      1,221       22.1 / 4.13    23.3 / 2.02     0.49
fiat_crypto_offramp   203,790    510         98.1 / 4.43    65.0 / 2.54     0.57
shared_identifiers    2,995      55          34.6 / 4.16    21.7 / 2.11     0.51
====================  =========  ==========  =============  ==============  ===========

The gather peak is one 1M-row batch in pandas (about 1.5 GB) plus the rows kept, whatever the case size;
the whole-frame peak grows with the case.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

WORK = Path(__file__).resolve().parent / "_work"
DETECTORS = ("watchlist", "crypto_exposure", "fiat_crypto_offramp", "shared_identifiers")


def _names(n: int, rng: np.random.Generator) -> np.ndarray:
    first = np.array([f"First{i:03d}" for i in range(300)], dtype=object)
    last = np.array([f"Last{i:03d}" for i in range(300)], dtype=object)
    return first[rng.integers(0, 300, n)] + " " + last[rng.integers(0, 300, n)]


def make_case(rows: int, seed: int = 0) -> Path:
    """A case store of `rows` random transfers with names, wallets and context frames beside it."""
    import finintel as fi

    case_dir = WORK / f"gather-case-{rows}"
    if (case_dir / "context.json").exists():
        return case_dir
    rng = np.random.default_rng(seed)
    n_acc = max(rows // 20, 200)
    n_wal = max(n_acc // 10, 50)
    acc_keys = np.array([f"msisdn:+2547{i:08d}" for i in range(n_acc)], dtype=object)
    wal_keys = np.array([f"eth:0x{i:040x}" for i in range(n_wal)], dtype=object)
    acc_names, wal_names = _names(n_acc, rng), _names(n_wal, rng)
    wal_names[: n_wal // 5] = acc_names[: n_wal // 5]
    parts_dir = WORK / f"gather-parts-{rows}"
    parts_dir.mkdir(parents=True, exist_ok=True)
    start = pd.Timestamp("2024-01-01", tz="UTC").value // 1000
    files, done = [], 0
    while done < rows:
        n = min(1_000_000, rows - done)
        coin = rng.random(n) < 0.03
        s = rng.integers(0, n_acc, n)
        r = (s + rng.integers(1, n_acc, n)) % n_acc
        ws, wr = rng.integers(0, n_wal, n), rng.integers(0, n_wal, n)
        sender = np.where(coin, wal_keys[ws], acc_keys[s])
        receiver = np.where(coin, wal_keys[wr], acc_keys[r])
        s_name = np.where(coin, wal_names[ws], acc_names[s])
        r_name = np.where(coin, wal_names[wr], acc_names[r])
        df = pd.DataFrame(
            {
                "tx_id": [f"g{done + i}" for i in range(n)],
                "timestamp": pd.to_datetime(start + rng.integers(0, 90 * 86400 * 10**6, n), unit="us", utc=True),
                "sender": sender,
                "receiver": receiver,
                "sender_name": np.where(rng.random(n) < 0.9, s_name, None),
                "receiver_name": np.where(rng.random(n) < 0.8, r_name, None),
                "amount": np.where(coin, np.round(rng.lognormal(6, 1.5, n), 2), np.round(rng.lognormal(9, 1.6, n), 2)),
                "currency": np.where(coin, "USDT-TRC20", "KES"),
                "channel": np.where(coin, "crypto", "mobile_money"),
            }
        )
        path = parts_dir / f"part-{done // 1_000_000:05d}.parquet"
        df.to_parquet(path)
        files.append(path)
        done += n
    fi.open_case(case_dir).ingest(files)
    # context: tags, watchlist, accounts and parties (phones shared by 30 groups of 2-4 holders)
    tags = pd.DataFrame({"key": wal_keys[rng.choice(n_wal, 25, replace=False)], "tag": "scam", "category": "scam"})
    listed = rng.choice(n_acc, 40, replace=False)
    watch = pd.DataFrame({"id": [f"L{i}" for i in range(40)], "name": acc_names[listed], "identifiers": ""}).astype(
        object
    )
    watch.loc[:2, "identifiers"] = [k.removeprefix("eth:") for k in wal_keys[:3]]
    keys = np.concatenate([acc_keys, wal_keys])
    names = np.concatenate([acc_names, wal_names])
    party = np.array([f"P{i:08d}" for i in range(len(keys))], dtype=object)
    phone = np.array([f"+2547{i:08d}" for i in range(len(keys))], dtype=object)
    for g in range(30):
        members = rng.choice(len(keys), int(rng.integers(2, 5)), replace=False)
        phone[members] = f"+254799{g:06d}"
    context = {
        "tags": tags.to_dict("list"),
        "watchlist": watch.to_dict("list"),
        "accounts": {"account": keys.tolist(), "party_id": party.tolist()},
        "parties": {"party_id": party.tolist(), "name": names.tolist(), "phone": phone.tolist()},
    }
    (case_dir / "context.json").write_text(json.dumps(context))
    return case_dir


def _context(case_dir: Path, name: str) -> dict[str, Any]:
    ctx = {k: pd.DataFrame(v) for k, v in json.loads((case_dir / "context.json").read_text()).items()}
    takes = {
        "watchlist": ("watchlist",),
        "crypto_exposure": ("tags",),
        "fiat_crypto_offramp": ("accounts", "parties"),
        "shared_identifiers": ("accounts", "parties"),
    }[name]
    out = {k: ctx[k] for k in takes}
    if name == "shared_identifiers":  # linked_to_flagged: the first holder of each shared phone is flagged
        first = ctx["parties"][ctx["parties"]["phone"].str.startswith("+254799")].drop_duplicates("phone")
        flagged = ctx["accounts"][ctx["accounts"]["party_id"].isin(first["party_id"])]["account"]
        out["alerts"] = pd.DataFrame({"entity": flagged, "detector": "structuring", "score": 0.8})
    return out


def run(case_dir: Path, name: str, mode: str, chunk: int) -> dict[str, Any]:
    import pyarrow as pa

    import finintel as fi
    from finintel.profiles import get_profile, resolve_params
    from finintel.schema import frames as F

    det = fi.detect.get(name)
    ctx = _context(case_dir, name)
    case = fi.open_case(case_dir)
    t0 = time.perf_counter()
    if mode == "whole":
        tx = case.transactions()
    else:
        data = case.dataset("transactions")

        def scan(columns: list[str] | None = None) -> Any:
            for batch in data.to_batches(batch_size=chunk, columns=columns):
                if batch.num_rows:
                    yield F.from_arrow(pa.Table.from_batches([batch]), F.TRANSACTIONS)

        assert det.gather is not None
        tx = det.gather(scan, resolve_params(name, det.defaults, get_profile("KE"), {}), **ctx)
    alerts = det(tx, profile="KE", **ctx)
    return {
        "seconds": time.perf_counter() - t0,
        "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "rows": len(tx),
        "alerts": sorted(alerts["alert_id"]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    ap.add_argument("--detectors", default=",".join(DETECTORS))
    ap.add_argument("--modes", default="whole,gather", help="whole (baseline) and/or gather")
    ap.add_argument("--chunk", type=lambda s: int(s.replace("_", "")), default=1_000_000, help="rows per scanned batch")
    ap.add_argument("--child", nargs=3, metavar=("CASE", "DETECTOR", "MODE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run(Path(args.child[0]), args.child[1], args.child[2], args.chunk)))
        return
    t0 = time.perf_counter()
    case_dir = make_case(args.rows)
    print(f"case of {args.rows:,} transactions ready in {time.perf_counter() - t0:.1f} s: {case_dir}")
    for name in args.detectors.split(","):
        res = {}
        for mode in args.modes.split(","):
            cmd = [sys.executable, __file__, "--child", str(case_dir), name, mode, "--chunk", str(args.chunk)]
            out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
            res[mode] = r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{name:<20} {mode:<6} {r['seconds']:7.1f} s  peak {r['peak_gb']:5.2f} GB  "
                f"{r['rows']:>11,} rows  {len(r['alerts']):>6,} alerts"
            )
        if set(res) != {"whole", "gather"}:
            continue
        w, g = res["whole"], res["gather"]
        print(
            f"{name:<20} gather/whole: time {g['seconds'] / w['seconds']:.2f}, peak {g['peak_gb'] / w['peak_gb']:.2f}, "
            f"rows {g['rows'] / max(w['rows'], 1):.4f}; same alerts: {g['alerts'] == w['alerts']}"
        )


if __name__ == "__main__":
    main()
