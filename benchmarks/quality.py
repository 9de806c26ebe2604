"""Detection quality of the detector pack on a synthetic ledger with planted typologies.

For each planted typology of ``fi.synth.generate`` (``ledger.truth``: typology, focal ``entity``, member
``accounts``, ``tx_ids``), the detector(s) meant to find it are run and scored:

- account level: recall = planted cases whose focal account (or, second figure, any member account) is
  the entity of an alert; precision = alerted accounts that are members of some planted case of that typology
  (``acct_P``), and, second figure, of a planted case of any typology (``acct_P_any``: a recruitment-fee
  collector is a fan-in too, so an alert on it is no false positive for an analyst);
- transaction level: precision / recall / F1 of the union of alert evidence tx_ids against the planted tx_ids;
- alert volume per 10,000 accounts in the ledger (what an analyst's queue would hold).

Baseline for the ratios: a random detector alerting as many accounts has precision = planted members / all
accounts (printed as ``base P``), so ``P / base P`` is the lift.

Usage::

    python benchmarks/quality.py                  # 1M rows, seed 1, KE profile
    python benchmarks/quality.py --n 200000 --seed 3
    python benchmarks/quality.py --detectors fan_in,fan_out,dormant_burst   # only these typologies
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from screening import _prepare

DETECTORS: dict[str, list[str]] = {
    "structuring": ["structuring"],
    "wallet_limit_splitting": ["wallet_limit_splitting"],
    "fan_in": ["fan_in"],
    "fan_out": ["fan_out"],
    "scatter_gather": ["scatter_gather"],
    "gather_scatter": ["gather_scatter", "scatter_gather"],
    "cycle": ["cycle"],
    "rapid_pass_through": ["rapid_pass_through"],
    "layering_chain": ["layering_chain"],
    "recruitment_funnel": ["recruitment_fee_funnel"],
    "ransom_corridor": ["ransom_corridor"],
    "crypto_offramp": ["fiat_crypto_offramp"],
    "dormant_burst": ["dormant_burst"],
    "out_of_hours": ["out_of_hours"],
}
"""Planted typology -> the detectors whose alerts should find it."""


def _prf(tp: int, n_pred: int, n_true: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_true if n_true else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate(tx: pd.DataFrame, truth: pd.DataFrame, alerts: pd.DataFrame) -> pd.DataFrame:
    """Per-typology precision/recall/F1 at account and transaction level, and alerts per 10k accounts."""
    n_accounts = pd.concat([tx["sender"], tx["receiver"]]).nunique()
    planted = {a for accts in truth["accounts"] for a in accts}
    rows = []
    for typ, dets in DETECTORS.items():
        cases = truth[truth["typology"] == typ]
        if cases.empty:
            continue
        al = alerts[alerts["detector"].isin(dets)]
        alerted = set(al["entity"].astype(str))
        members = {a for accts in cases["accounts"] for a in accts}
        case_hit = sum(1 for _, c in cases.iterrows() if str(c["entity"]) in alerted)
        case_any = sum(1 for _, c in cases.iterrows() if alerted & set(c["accounts"]))
        acc_p = len(alerted & members) / len(alerted) if alerted else 0.0
        true_tx = {t for ids in cases["tx_ids"] for t in ids}
        pred_tx = {t for ids in al["tx_ids"] for t in ids}
        tx_p, tx_r, tx_f = _prf(len(true_tx & pred_tx), len(pred_tx), len(true_tx))
        acc_r = case_hit / len(cases)
        acc_f = 2 * acc_p * acc_r / (acc_p + acc_r) if acc_p + acc_r else 0.0
        rows.append(
            {
                "typology": typ,
                "detectors": ",".join(dets),
                "cases": len(cases),
                "alerts": len(al),
                "acct_P": acc_p,
                "acct_P_any": len(alerted & planted) / len(alerted) if alerted else 0.0,
                "acct_R_focal": acc_r,
                "acct_R_any": case_any / len(cases),
                "acct_F1": acc_f,
                "base_P": len(members) / n_accounts,
                "tx_P": tx_p,
                "tx_R": tx_r,
                "tx_F1": tx_f,
                "alerts_per_10k_accts": len(al) / n_accounts * 1e4,
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", default="KE")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/finintel_detect_bench"))
    ap.add_argument("--detectors", default="", help="comma-separated: score only the typologies these detectors find")
    args = ap.parse_args(argv)
    import pyarrow.parquet as pq

    import finintel as fi
    from finintel.schema import frames as F

    base = _prepare(args.n, args.seed, args.cache)
    tx = F.from_arrow(pq.read_table(base / "transactions.parquet"), "transactions")
    truth = pd.read_parquet(base / "truth.parquet")
    accounts, parties = pd.read_parquet(base / "accounts.parquet"), pd.read_parquet(base / "parties.parquet")
    names = sorted({d for ds in DETECTORS.values() for d in ds} & set(fi.detect.available()["name"]))
    if args.detectors:
        names = sorted(set(names) & set(args.detectors.split(",")))
    t = time.perf_counter()
    alerts = fi.detect.run(tx, names, profile=args.profile, accounts=accounts, parties=parties)
    secs = time.perf_counter() - t
    res = evaluate(tx, truth, alerts)
    if args.detectors:
        res = res[[set(d.split(",")) <= set(names) for d in res["detectors"]]]
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3f}".format):
        print(res.to_string(index=False))
    print(
        f"\n{len(tx):,} transactions, {len(alerts):,} alerts from {len(names)} detectors in {secs:.1f} s "
        f"(profile {args.profile}, seed {args.seed})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
