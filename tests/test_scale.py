"""Partitioned and Dask screening give exactly the alerts of the in-memory run."""

import numpy as np
import pandas as pd
import pytest

import finintel as fi
from finintel.config import load_config
from finintel.scale import bucket_of, component_ids
from finintel.screening import screen
from finintel.testing import assert_alerts_equal


@pytest.fixture(scope="module")
def ledger() -> pd.DataFrame:
    """3,000 random KES transfers among 150 accounts, plus planted patterns the pack should find."""
    rng = np.random.default_rng(11)
    n, accounts = 3_000, [f"msisdn:+2547{n:08d}" for n in range(150)]
    ts = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.sort(rng.uniform(0, 60 * 86400, n)), unit="s")
    s = rng.integers(0, 150, n)
    r = (s + rng.integers(1, 150, n)) % 150
    df = pd.DataFrame(
        {
            "tx_id": [f"r{i}" for i in range(n)],
            "timestamp": ts,
            "sender": [accounts[i] for i in s],
            "receiver": [accounts[i] for i in r],
            "amount": np.round(rng.lognormal(8, 1.5, n), 2),
            "currency": "KES",
            "channel": "mobile_money",
        }
    )
    planted = []
    t0 = pd.Timestamp("2024-02-01 09:00", tz="UTC")
    for i in range(5):  # structuring just under the KE threshold
        planted.append(
            (f"p{i}", t0 + pd.Timedelta(hours=20 * i), "acct:KCB/STRUCT", f"acct:KCB/R{i}", 940_000 + 10_000 * i)
        )
    for i in range(12):  # fan-in to a hub from new payers
        planted.append(
            (f"f{i}", t0 + pd.Timedelta(hours=i), f"msisdn:+2541100000{i:02d}", "msisdn:+254799999999", 5_000.0)
        )
    for i, (a, b) in enumerate(
        [("acct:X/1", "acct:X/2"), ("acct:X/2", "acct:X/3"), ("acct:X/3", "acct:X/1")]
    ):  # a cycle
        planted.append((f"c{i}", t0 + pd.Timedelta(hours=3 * i), a, b, 300_000.0 - 1_000 * i))
    extra = pd.DataFrame(planted, columns=["tx_id", "timestamp", "sender", "receiver", "amount"]).assign(
        currency="KES", channel="bank"
    )
    return fi.schema.validate_transactions(pd.concat([df, extra], ignore_index=True))


def test_bucket_of_is_stable_and_in_range():
    keys = pd.Series(["msisdn:+254712345678", "eth:0xab", "msisdn:+254712345678"])
    b = bucket_of(keys, 7)
    assert b[0] == b[2] and ((b >= 0) & (b < 7)).all()
    assert bucket_of(keys, 7).tolist() == b.tolist()


def test_component_ids_do_not_depend_on_row_order():
    s = pd.Series(["a", "c", "x", "b"])
    r = pd.Series(["b", "d", "y", "c"])
    ids = component_ids(s, r)
    assert ids.tolist() == [0, 0, 1, 0]
    rev = component_ids(s[::-1].reset_index(drop=True), r[::-1].reset_index(drop=True))
    assert rev.tolist() == [0, 1, 0, 0]


def test_partitioned_engine_equals_in_memory_on_a_synthetic_ledger_with_every_typology():
    """Every detector must declare the partition key its work needs (e.g. a funnel also reads the recipient's outflows)."""
    tx = fi.synth.generate(n_transactions=6_000, seed=3).transactions
    cfg = load_config(profile="KE")
    memory = screen(tx, cfg)
    assert memory["detector"].nunique() >= 10
    part = screen(tx, cfg, engine="partitioned", partitions=6)
    assert memory.groupby("detector").size().to_dict() == part.groupby("detector").size().to_dict()
    assert_alerts_equal(memory, part)


def test_partitioned_engine_equals_in_memory(ledger, tmp_path):
    cfg = load_config(profile="KE")
    memory = screen(ledger, cfg)
    assert len(memory) > 0
    assert {"structuring", "fan_in"} <= set(memory["detector"])
    part = screen(ledger, cfg, engine="partitioned", partitions=5)
    assert_alerts_equal(memory, part)


def test_dask_local_cluster_equals_in_memory(ledger, tmp_path):
    pytest.importorskip("distributed", reason="dask[distributed] is not installed (pip install 'finintel[dask]')")
    path = tmp_path / "ledger.parquet"
    ledger.drop(columns=["source_row"]).to_parquet(path)
    case = fi.open_case(tmp_path / "case")
    case.ingest(path)
    cfg = load_config(profile="KE")
    memory = screen(case, cfg)
    distributed = screen(case, cfg, engine="dask", partitions=4)
    assert_alerts_equal(memory, distributed)


COMPONENT_DETECTORS = ["cycle", "scatter_gather", "gather_scatter", "layering_chain", "recruitment_fee_funnel"]


@pytest.fixture(scope="module")
def long_ledger() -> pd.DataFrame:
    """8,000 synthetic transactions over 800 days: one giant component, planted loops and chains in it."""
    return fi.synth.generate(n_transactions=8_000, seed=5, days=800).transactions


def test_a_giant_component_is_screened_in_time_slices_with_the_same_alerts(long_ledger):
    from finintel._components import ComponentPlan
    from finintel.scale import _chunks

    plan = ComponentPlan.build(
        _chunks(long_ledger, None, None, rows=1_000, columns=["sender", "receiver", "timestamp"])
    )
    giant = int(np.argmax(plan.size))
    assert plan.size[giant] > 0.9 * len(long_ledger)
    horizon = int(fi.detect.get("scatter_gather").horizon_of({}) / pd.Timedelta(microseconds=1))
    layout = plan.layout(2, 1_000, horizon)
    assert layout.counts[giant] >= 6  # 800 days cut into steps of twice the 30-day horizon
    cycle = int(fi.detect.get("cycle").horizon_of({}) / pd.Timedelta(microseconds=1))
    assert plan.layout(2, 1_000, cycle).counts[giant] >= 3  # steps of 180 days, slices of 360
    layering = int(fi.detect.get("layering_chain").horizon_of({}) / pd.Timedelta(microseconds=1))
    assert plan.layout(2, 1_000, layering).counts[giant] == 0  # 330 days on each side: slices would hold most of it
    cfg = load_config(profile="KE")
    cfg.detectors = COMPONENT_DETECTORS
    memory = screen(long_ledger, cfg)
    assert memory["detector"].nunique() == len(COMPONENT_DETECTORS)
    sliced = screen(long_ledger, cfg, engine="partitioned", partitions=2, max_rows=1_000)
    assert_alerts_equal(memory, sliced)


def test_slices_overlap_by_the_horizon_and_each_alert_is_kept_by_one_slice():
    from finintel._components import Layout

    day = 86_400 * 10**6
    # one component (id 0), sliced in 3 steps of 10 days from t0 = 0, horizon 2 days, buckets 4, 5, 6
    layout = Layout(
        bins=np.array([0]),
        first=np.array([4]),
        steps=np.array([10 * day]),
        counts=np.array([3]),
        t0=np.array([0]),
        horizon=2 * day,
    )
    t = np.array([0, 9 * day, 11 * day, 25 * day, 29 * day])
    pos, bucket = layout.assign(np.zeros(len(t), dtype=np.int64), t)
    where = pd.DataFrame({"row": pos, "bucket": bucket}).groupby("row")["bucket"].apply(sorted).to_dict()
    assert where == {0: [4], 1: [4, 5], 2: [4, 5], 3: [6], 4: [6]}
    starts = pd.Series(pd.to_datetime([9 * day, 11 * day, 40 * day], unit="us", utc=True))
    assert layout.owns(4, starts).tolist() == [True, False, False]
    assert layout.owns(5, starts).tolist() == [False, True, False]
    assert layout.owns(6, starts).tolist() == [False, False, True]  # the last slice owns everything after it
    assert layout.owns(0, starts).tolist() == [True, True, True]  # an unsliced bucket keeps all


def test_max_rows_makes_more_account_buckets_with_the_same_alerts(ledger):
    cfg = load_config(profile="KE")
    cfg.detectors = ["structuring", "fan_in", "fan_out", "rapid_pass_through"]
    memory = screen(ledger, cfg)
    assert len(memory) > 0
    many = screen(ledger, cfg, engine="partitioned", partitions=1, max_rows=300)
    assert_alerts_equal(memory, many)
