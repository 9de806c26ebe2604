"""Screening beyond one in-memory frame: by account bucket on one machine, or on a Dask cluster.

Every detector declares what its work partitions on (see ``fi.detect.available()``):

=============  ======================================================================
``sender``     all rows of one sender are in one bucket
``receiver``   all rows of one receiver are in one bucket
``account``    all rows touching one account (either side) are in one bucket; a row is
               copied to the buckets of both its accounts, and an alert is kept only from
               the bucket that holds every row of its ``entity``
``component``  all rows of one weakly connected component of the money graph are in one bucket
``none``       the whole frame at once (run on the driver)
=============  ======================================================================

Because a detector is a pure function and alert ids are hashes of (detector, entity,
evidence), running it per bucket gives exactly the alerts of the in-memory run.

``engine="partitioned"`` streams the case store's Parquet once, writing one Parquet file
per bucket (the shuffle), then screens one bucket at a time: memory is bounded by the
largest bucket, not the case. ``engine="dask"`` does the same shuffle with
``dask.dataframe`` and runs the same functions on the workers of an existing cluster
(``scheduler="tcp://host:8786"``), or a ``distributed.LocalCluster`` when none is given.
No scheduler of our own.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from finintel._components import ComponentPlan, Layout, component_ids
from finintel.config import ScreeningConfig
from finintel.schema import frames as F
from finintel.store import Case

__all__ = ["bucket_of", "component_ids", "screen_partitioned"]

log = logging.getLogger(__name__)

_HASH_KEY = "finintel-buckets"  # 16 bytes: pandas' hash_array key, fixed so buckets never change between runs


def bucket_of(keys: pd.Series | np.ndarray, n: int) -> np.ndarray:
    """Stable bucket numbers (0..n-1) of account keys: the same key gets the same bucket on every machine.

    >>> b = bucket_of(pd.Series(["msisdn:+254712345678", "eth:0xab", "msisdn:+254712345678"]), 4)
    >>> bool(b[0] == b[2]), bool(((b >= 0) & (b < 4)).all())
    (True, True)
    """
    values = np.asarray(pd.Series(keys).astype(object).fillna("").to_numpy(dtype=object))
    return (pd.util.hash_array(values, hash_key=_HASH_KEY, categorize=True) % np.uint64(max(n, 1))).astype(np.int64)


def screen_partitioned(
    source: Case | pd.DataFrame,
    config: ScreeningConfig,
    *,
    since: str | None = None,
    until: str | None = None,
    engine: Literal["partitioned", "dask"] = "partitioned",
    scheduler: str | None = None,
    partitions: int = 8,
    max_rows: int = 2_000_000,
    context: Mapping[str, Any] | None = None,
    workdir: str | Path | None = None,
) -> pd.DataFrame:
    """Screen per bucket of the detectors' partition keys; same alerts as the in-memory run.

    See the module docstring for how rows are bucketed. `partitions` is the least number of
    account buckets; more are used so that a bucket holds about `max_rows` rows at most.
    `context` holds the data inputs (parties, accounts, tags, watchlist) that every bucket
    receives whole.
    """
    from finintel import detect

    names = config.detectors if config.detectors is not None else list(detect.available()["name"])
    profile = config.resolved_profile()
    params = dict(config.params)
    groups: dict[tuple[str, int | None], list[str]] = {}
    for name in names:
        det = detect.get(name)
        horizon = None
        if det.partition == "component":
            h = det.horizon_of(_resolved(det, profile, params))
            horizon = None if h is None else int(h / pd.Timedelta(microseconds=1))
        groups.setdefault((det.partition, horizon), []).append(name)
    ctx = dict(context or {})
    total = _count(source, since, until)
    out: list[pd.DataFrame] = []
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        plan: ComponentPlan | None = None
        for i, ((kind, horizon), dets) in enumerate(sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))):
            copies = 2 if kind == "account" else 1
            n = max(partitions, -(-copies * total // max(max_rows, 1)))
            if kind == "none":
                for name in dets:
                    out.append(_run_whole(source, name, profile, params, ctx, since, until))
                continue
            job = _Job(dets, profile, params, ctx, kind, n)
            job.max_rows = max_rows
            if kind == "component":
                if plan is None:
                    plan = ComponentPlan.build(_chunks(source, since, until, columns=_PLAN_COLUMNS))
                job.slices = plan.layout(n, max_rows, horizon)
            if engine == "dask":
                from finintel._scale_dask import run_dask

                out.append(run_dask(source, job, since, until, scheduler, plan))
            else:
                out.append(_run_local(source, job, since, until, Path(tmp) / f"{kind}-{i}", plan))
    alerts = [a for a in out if len(a)]
    if not alerts:
        return F.empty(F.ALERTS)
    res = pd.concat(alerts, ignore_index=True, sort=False).drop_duplicates("alert_id")
    return res.sort_values(["detector", "entity", "start", "alert_id"], kind="stable").reset_index(drop=True)


def _resolved(det: Any, profile: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    from finintel.profiles import get_profile, resolve_params

    return dict(resolve_params(det.name, det.defaults, get_profile(profile), dict(params.get(det.name, {}))))


class _Job:
    """What to run in one bucket: picklable, so Dask can ship it to workers."""

    def __init__(
        self,
        detectors: list[str],
        profile: dict[str, Any],
        params: dict[str, Any],
        context: dict[str, Any],
        kind: str,
        n: int,
    ) -> None:
        self.detectors, self.profile, self.params, self.context, self.kind, self.n = (
            detectors,
            profile,
            params,
            context,
            kind,
            n,
        )
        self.slices: Layout | None = None
        self.max_rows = 2_000_000

    def __call__(self, rows: pd.DataFrame, bucket: int | None = None) -> pd.DataFrame:
        from finintel import detect

        tx = F.validate_transactions(
            rows.drop(columns=[c for c in ("_bucket",) if c in rows.columns]).drop_duplicates("tx_id")
        )
        alerts = detect.run(
            tx,
            self.detectors,
            self.profile,
            params={k: v for k, v in self.params.items() if k in self.detectors},
            **self.context,
        )
        if self.kind == "account" and bucket is not None and len(alerts):
            alerts = alerts[bucket_of(alerts["entity"], self.n) == bucket]
        if self.slices is not None and bucket is not None and len(alerts):
            alerts = alerts[self.slices.owns(bucket, alerts["start"])]
        return alerts


_PLAN_COLUMNS = ["sender", "receiver", "timestamp"]


def _count(source: Case | pd.DataFrame, since: str | None, until: str | None) -> int:
    if isinstance(source, pd.DataFrame):
        return len(_read_all(source, since, until))
    return int(source.dataset("transactions").count_rows(filter=_period_filter(since, until)))


def _period_filter(since: str | None, until: str | None) -> Any:
    from finintel.screening import _utc

    cond = None
    for bound, op in ((since, "ge"), (until, "lt")):
        if bound is None:
            continue
        value = pa.scalar(_utc(bound).to_pydatetime(), pa.timestamp("us", tz="UTC"))
        c = pc.field("timestamp") >= value if op == "ge" else pc.field("timestamp") < value
        cond = c if cond is None else cond & c
    return cond


def _read_all(source: Case | pd.DataFrame, since: str | None, until: str | None) -> pd.DataFrame:
    from finintel.screening import period

    tx = source.transactions() if isinstance(source, Case) else source
    return period(tx, since, until)


def _run_whole(
    source: Case | pd.DataFrame,
    name: str,
    profile: dict[str, Any],
    params: dict[str, Any],
    ctx: dict[str, Any],
    since: str | None,
    until: str | None,
) -> pd.DataFrame:
    """A whole-frame detector: on the rows its gather function keeps, or on everything."""
    from finintel import detect

    det = detect.get(name)
    if det.gather is not None:

        def scan(columns: list[str] | None = None) -> Any:
            return _chunks(source, since, until, columns=columns)

        takes = {k: v for k, v in ctx.items() if k in _context_of(det)}
        tx = det.gather(scan, _resolved(det, profile, params), **takes)
    else:
        tx = _read_all(source, since, until)
    return detect.run(tx, [name], profile, params={k: v for k, v in params.items() if k == name}, **ctx)


def _context_of(det: Any) -> tuple[str, ...]:
    import inspect

    from finintel.detect._registry import CONTEXT

    sig = inspect.signature(det.func)
    return tuple(c for c in CONTEXT if c in sig.parameters)


def _buckets(tx: pd.DataFrame, kind: str, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(row positions, bucket numbers) pairs: one pair, or two for `account` (each row under both accounts)."""
    every = np.arange(len(tx))
    if kind in ("sender", "receiver"):
        return [(every, bucket_of(tx[kind], n))]
    if kind == "account":
        return [(every, bucket_of(tx["sender"], n)), (every, bucket_of(tx["receiver"], n))]
    return [(every, np.zeros(len(tx), dtype=np.int64))]


def _run_local(
    source: Case | pd.DataFrame,
    job: _Job,
    since: str | None,
    until: str | None,
    folder: Path,
    plan: ComponentPlan | None,
) -> pd.DataFrame:
    """Shuffle into one Parquet file per bucket, then screen bucket by bucket (bounded memory)."""
    folder.mkdir(parents=True, exist_ok=True)
    writers: dict[int, pq.ParquetWriter] = {}
    try:
        for chunk in _chunks(source, since, until):
            if job.kind == "component" and plan is not None and job.slices is not None:
                comp = plan.components(chunk["sender"])
                t = chunk["timestamp"].to_numpy(dtype="datetime64[us]").astype(np.int64)
                parts = [job.slices.assign(comp, t)]
            else:
                parts = _buckets(chunk, job.kind, job.n)
            table = F.to_arrow(F.validate_transactions(chunk.reset_index(drop=True)), F.TRANSACTIONS)
            for pos, buckets in parts:
                order = np.lexsort((pos, buckets))
                pos, buckets = pos[order], buckets[order]
                cuts = np.flatnonzero(np.diff(buckets)) + 1
                for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(buckets)], strict=True):
                    if hi <= lo:
                        continue
                    b = int(buckets[lo])
                    part = table.take(pa.array(pos[lo:hi]))
                    if b not in writers:
                        writers[b] = pq.ParquetWriter(folder / f"bucket-{b:05d}.parquet", part.schema)
                    writers[b].write_table(part)
    finally:
        for w in writers.values():
            w.close()
    out = []
    for b in sorted(writers):
        path = folder / f"bucket-{b:05d}.parquet"
        rows = F.from_arrow(pq.read_table(path), F.TRANSACTIONS)
        path.unlink()
        t0 = time.perf_counter()
        if len(rows) > 2 * job.max_rows:
            log.warning(
                "bucket %d of %s holds %d rows, over twice max_rows (%d): a connected component whose "
                "detectors declare no time horizon, or denser than the horizon allows; memory grows with it",
                b,
                ",".join(job.detectors),
                len(rows),
                job.max_rows,
            )
        out.append(job(rows, b))
        log.info("%s bucket %d: %d rows in %.1f s", ",".join(job.detectors), b, len(rows), time.perf_counter() - t0)
        del rows
    return pd.concat(out, ignore_index=True) if out else F.empty(F.ALERTS)


def _chunks(
    source: Case | pd.DataFrame,
    since: str | None,
    until: str | None,
    rows: int = 1_000_000,
    columns: list[str] | None = None,
) -> Any:
    from finintel.screening import period

    if isinstance(source, pd.DataFrame):
        data = period(source, since, until)
        for start in range(0, len(data), rows):
            part = data.iloc[start : start + rows]
            yield part[columns] if columns else part
        return
    dataset = source.dataset("transactions")
    for batch in dataset.to_batches(batch_size=rows, columns=columns, filter=_period_filter(since, until)):
        if batch.num_rows:
            table = pa.Table.from_batches([batch])
            yield F.from_arrow(table, F.TRANSACTIONS)[columns] if columns else F.from_arrow(table, F.TRANSACTIONS)
