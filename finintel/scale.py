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

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from finintel.config import ScreeningConfig
from finintel.schema import frames as F
from finintel.store import Case

__all__ = ["bucket_of", "component_ids", "screen_partitioned"]

_HASH_KEY = "finintel-buckets"  # 16 bytes: pandas' hash_array key, fixed so buckets never change between runs


def bucket_of(keys: pd.Series | np.ndarray, n: int) -> np.ndarray:
    """Stable bucket numbers (0..n-1) of account keys: the same key gets the same bucket on every machine.

    >>> b = bucket_of(pd.Series(["msisdn:+254712345678", "eth:0xab", "msisdn:+254712345678"]), 4)
    >>> bool(b[0] == b[2]), bool(((b >= 0) & (b < 4)).all())
    (True, True)
    """
    values = np.asarray(pd.Series(keys).astype(object).fillna("").to_numpy(dtype=object))
    return (pd.util.hash_array(values, hash_key=_HASH_KEY, categorize=True) % np.uint64(max(n, 1))).astype(np.int64)


def component_ids(senders: pd.Series, receivers: pd.Series) -> pd.Series:
    """Weakly connected component id of every row (sender, receiver) of a frame, via scipy's csgraph.

    Component ids are numbered by their smallest account key, so they do not depend on row order.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    keys = pd.Index(
        pd.unique(pd.concat([senders.astype(object), receivers.astype(object)], ignore_index=True))
    ).sort_values()
    s = keys.get_indexer(senders.astype(object))
    r = keys.get_indexer(receivers.astype(object))
    n = len(keys)
    graph = coo_matrix((np.ones(len(s), dtype=np.int8), (s, r)), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="weak")
    # renumber components by their first (smallest) key: keys are sorted, so first occurrence order is canonical
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return pd.Series(rank[labels[s]], index=senders.index)


def screen_partitioned(
    source: Case | pd.DataFrame,
    config: ScreeningConfig,
    *,
    since: str | None = None,
    until: str | None = None,
    engine: Literal["partitioned", "dask"] = "partitioned",
    scheduler: str | None = None,
    partitions: int = 8,
    context: Mapping[str, Any] | None = None,
    workdir: str | Path | None = None,
) -> pd.DataFrame:
    """Screen per bucket of the detectors' partition keys; same alerts as the in-memory run.

    See the module docstring for how rows are bucketed. `context` holds the data inputs
    (parties, accounts, tags, watchlist) that every bucket receives whole.
    """
    from finintel import detect

    names = config.detectors if config.detectors is not None else list(detect.available()["name"])
    kinds: dict[str, list[str]] = {}
    for name in names:
        kinds.setdefault(detect.get(name).partition, []).append(name)
    profile = config.resolved_profile()
    ctx = dict(context or {})
    out: list[pd.DataFrame] = []
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        for kind, dets in sorted(kinds.items()):
            job = _Job(dets, profile, dict(config.params), ctx, kind, partitions)
            if engine == "dask":
                out.append(_run_dask(source, job, since, until, scheduler))
            else:
                out.append(_run_local(source, job, since, until, Path(tmp) / kind))
    alerts = [a for a in out if len(a)]
    if not alerts:
        return F.empty(F.ALERTS)
    res = pd.concat(alerts, ignore_index=True, sort=False).drop_duplicates("alert_id")
    return res.sort_values(["detector", "entity", "start", "alert_id"], kind="stable").reset_index(drop=True)


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
        return alerts


def _read_all(source: Case | pd.DataFrame, since: str | None, until: str | None) -> pd.DataFrame:
    from finintel.screening import period

    tx = source.transactions() if isinstance(source, Case) else source
    return period(tx, since, until)


def _buckets(tx: pd.DataFrame, kind: str, n: int) -> list[tuple[pd.Series, pd.DataFrame]]:
    """(bucket numbers, rows) pairs: one pair, or two for `account` (each row under both of its accounts)."""
    if kind == "sender":
        return [(pd.Series(bucket_of(tx["sender"], n), index=tx.index), tx)]
    if kind == "receiver":
        return [(pd.Series(bucket_of(tx["receiver"], n), index=tx.index), tx)]
    if kind == "account":
        return [
            (pd.Series(bucket_of(tx["sender"], n), index=tx.index), tx),
            (pd.Series(bucket_of(tx["receiver"], n), index=tx.index), tx),
        ]
    if kind == "component":
        return [(component_ids(tx["sender"], tx["receiver"]) % n, tx)]
    return [(pd.Series(0, index=tx.index), tx)]


def _run_local(
    source: Case | pd.DataFrame, job: _Job, since: str | None, until: str | None, folder: Path
) -> pd.DataFrame:
    """Shuffle into one Parquet file per bucket, then screen bucket by bucket (bounded memory)."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 1 if job.kind == "none" else job.n
    writers: dict[int, pq.ParquetWriter] = {}
    comp: pd.DataFrame | None = None
    if job.kind == "component":
        pairs = _pairs(source, since, until)
        comp = pairs.assign(_bucket=component_ids(pairs["sender"], pairs["receiver"]) % n)
    try:
        for chunk in _chunks(source, since, until):
            if comp is not None:
                merged = chunk.merge(comp, on=["sender", "receiver"], how="left")
                parts = [(merged["_bucket"], merged.drop(columns="_bucket"))]
            else:
                parts = _buckets(chunk, job.kind if n > 1 else "none", n)
            for buckets, rows in parts:
                for b, grp in rows.groupby(buckets.to_numpy(), sort=True):
                    table = F.to_arrow(F.validate_transactions(grp), F.TRANSACTIONS)
                    if int(b) not in writers:
                        writers[int(b)] = pq.ParquetWriter(folder / f"bucket-{int(b):05d}.parquet", table.schema)
                    writers[int(b)].write_table(table)
    finally:
        for w in writers.values():
            w.close()
    out = []
    for b in sorted(writers):
        rows = F.from_arrow(pq.read_table(folder / f"bucket-{b:05d}.parquet"), F.TRANSACTIONS)
        out.append(job(rows, b))
    return pd.concat(out, ignore_index=True) if out else F.empty(F.ALERTS)


def _chunks(source: Case | pd.DataFrame, since: str | None, until: str | None, rows: int = 1_000_000) -> Any:
    from finintel.screening import period

    if isinstance(source, pd.DataFrame):
        data = period(source, since, until)
        for start in range(0, len(data), rows):
            yield data.iloc[start : start + rows]
        return
    dataset = source.dataset("transactions")
    for batch in dataset.to_batches(batch_size=rows):
        yield period(F.from_arrow(pa.Table.from_batches([batch]), F.TRANSACTIONS), since, until)


def _pairs(source: Case | pd.DataFrame, since: str | None, until: str | None) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        tx = _read_all(source, since, until)
        return tx[["sender", "receiver"]].drop_duplicates().reset_index(drop=True)
    cols = ["sender", "receiver", "timestamp"]
    parts = []
    for batch in source.dataset("transactions").to_batches(columns=cols, batch_size=2_000_000):
        df = batch.to_pandas()
        from finintel.screening import period

        parts.append(period(df, since, until)[["sender", "receiver"]].drop_duplicates())
    return (
        pd.concat(parts, ignore_index=True).drop_duplicates().reset_index(drop=True)
        if parts
        else pd.DataFrame(columns=["sender", "receiver"])
    )


def _run_dask(
    source: Case | pd.DataFrame, job: _Job, since: str | None, until: str | None, scheduler: str | None
) -> pd.DataFrame:
    """The same shuffle with dask.dataframe; the same _Job per bucket on the cluster's workers."""
    try:
        import dask.dataframe as dd
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - exercised only without the extra
        from finintel.errors import MissingDependencyError

        raise MissingDependencyError("dask[distributed]", "dask") from None

    n = 1 if job.kind == "none" else job.n
    if isinstance(source, Case):
        files = source._committed("transactions")
        if not files:
            return F.empty(F.ALERTS)
        ddf = dd.read_parquet(files, dtype_backend="pyarrow")
    else:
        ddf = dd.from_pandas(_read_all(source, None, None), npartitions=max(1, min(n, 8)))
    if since or until:
        from finintel.screening import _utc

        if since:
            ddf = ddf[ddf["timestamp"] >= _utc(since)]
        if until:
            ddf = ddf[ddf["timestamp"] < _utc(until)]

    def tag(part: pd.DataFrame, column: str) -> pd.DataFrame:
        return part.assign(_bucket=bucket_of(part[column], n) if n > 1 else 0)

    meta = ddf._meta.assign(_bucket=np.int64(0))
    if job.kind == "component" and n > 1:
        pairs = ddf[["sender", "receiver"]].drop_duplicates().compute()
        comp = pairs.assign(_bucket=(component_ids(pairs["sender"], pairs["receiver"]) % n).astype("int64"))
        tagged = ddf.merge(comp, on=["sender", "receiver"], how="left")
    elif job.kind == "account" and n > 1:
        tagged = dd.concat(
            [ddf.map_partitions(tag, "sender", meta=meta), ddf.map_partitions(tag, "receiver", meta=meta)]
        )
    elif job.kind in ("sender", "receiver") and n > 1:
        tagged = ddf.map_partitions(tag, job.kind, meta=meta)
    else:
        tagged = ddf.map_partitions(lambda p: p.assign(_bucket=np.int64(0)), meta=meta)
    # task-based shuffle: the P2P shuffle cannot unpack some pyarrow-backed extension columns
    shuffled = tagged.shuffle(on="_bucket", npartitions=n, shuffle_method="tasks")
    alerts_meta = F.empty(F.ALERTS)

    def run_part(part: pd.DataFrame) -> pd.DataFrame:
        if part.empty:
            return alerts_meta
        out = [job(grp, int(b)) for b, grp in part.groupby("_bucket", sort=True)]
        out = [a[list(F.ALERT_COLUMNS)] for a in out if len(a)]
        return pd.concat(out, ignore_index=True) if out else alerts_meta

    own = scheduler is None
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) if own else None
    client = Client(cluster if own else scheduler)
    try:
        result = shuffled.map_partitions(run_part, meta=alerts_meta).compute()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    if result.empty:
        return F.empty(F.ALERTS)
    # Workers return the alert columns only (one meta for every detector); metrics stay in the in-memory run.
    return F.coerce(result.reset_index(drop=True), F.ALERTS)
