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
        plan: _ComponentPlan | None = None
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
                    plan = _ComponentPlan.build(_chunks(source, since, until, columns=_PLAN_COLUMNS))
                job.slices = plan.layout(n, max_rows, horizon)
            if engine == "dask":
                out.append(_run_dask(source, job, since, until, scheduler, plan))
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
        self.slices: _Layout | None = None
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


class _Layout:
    """Where the rows of each component go: packed whole into a bucket, or cut into time slices.

    Components of at most `max_rows` rows are packed into buckets (largest first, each into the
    first bucket with room). A larger component is cut into slices of `step` microseconds, each
    holding its own span plus `horizon` before and after, so that every alert whose rows (and
    context) lie within `horizon` of its start is seen whole by the slice that owns its start;
    an alert is kept only from that slice. A component is not sliced when its detectors declare
    no horizon, or when one slice would hold it all.
    """

    def __init__(
        self, bins: np.ndarray, first: np.ndarray, steps: np.ndarray, counts: np.ndarray, t0: np.ndarray, horizon: int
    ) -> None:
        self.bins, self.first, self.steps, self.counts, self.t0, self.horizon = bins, first, steps, counts, t0, horizon
        owner: dict[int, tuple[int, int, int]] = {}
        for c in np.flatnonzero(counts > 1):
            for k in range(int(counts[c])):
                owner[int(first[c]) + k] = (int(c), k, int(counts[c]))
        self.owner = owner

    @property
    def n_buckets(self) -> int:
        ends = self.first + np.maximum(self.counts, 1)
        return int(max(self.bins.max(initial=-1) + 1, ends.max(initial=0)))

    def assign(self, comp: np.ndarray, t_us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row positions, bucket) pairs for rows of components `comp` at times `t_us`; rows may repeat."""
        sliced = self.counts[comp] > 1
        pos = [np.flatnonzero(~sliced)]
        bucket = [self.bins[comp[~sliced]]]
        idx = np.flatnonzero(sliced)
        if len(idx):
            c = comp[idx]
            u = t_us[idx] - self.t0[c]
            step = self.steps[c]
            lo = np.clip(np.floor_divide(u - self.horizon, step), 0, self.counts[c] - 1)
            hi = np.clip(np.floor_divide(u + self.horizon, step), 0, self.counts[c] - 1)
            reps = (hi - lo + 1).astype(np.int64)
            rows = np.repeat(idx, reps)
            k = np.repeat(lo, reps) + (np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps))
            pos.append(rows)
            bucket.append(self.first[comp[rows]] + k)
        return np.concatenate(pos), np.concatenate(bucket).astype(np.int64)

    def owns(self, bucket: int, start: pd.Series) -> np.ndarray:
        """Which alerts (by start time) the slice `bucket` owns; every alert of an unsliced bucket."""
        if bucket not in self.owner:
            return np.ones(len(start), dtype=bool)
        c, k, count = self.owner[bucket]
        t = pd.to_datetime(start, utc=True).to_numpy(dtype="datetime64[us]").astype(np.int64) - self.t0[c]
        step = self.steps[c]
        ok = np.ones(len(t), dtype=bool)
        if k > 0:
            ok &= t >= k * step
        if k < count - 1:
            ok &= t < (k + 1) * step
        return ok


class _ComponentPlan:
    """Weakly connected components of the money graph of a whole case, computed in one streaming pass.

    Keeps one integer per row (sender, receiver codes and time) and the account dictionary, not the rows.
    """

    def __init__(self, keys: pd.Index, label: np.ndarray, size: np.ndarray, tmin: np.ndarray, tmax: np.ndarray) -> None:
        self.keys, self.label, self.size, self.tmin, self.tmax = keys, label, size, tmin, tmax

    @classmethod
    def build(cls, chunks: Any) -> _ComponentPlan:
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        known = pa.array([], pa.string())
        s_parts, r_parts, t_parts = [], [], []
        for chunk in chunks:
            s = pa.array(chunk["sender"].astype(object).fillna("").to_numpy(dtype=object), pa.string())
            r = pa.array(chunk["receiver"].astype(object).fillna("").to_numpy(dtype=object), pa.string())
            both = pc.unique(pa.concat_arrays([s, r]))
            new = pc.filter(both, pc.invert(pc.is_in(both, value_set=known)))
            if len(new):
                known = pa.concat_arrays([known, new])
            s_parts.append(pc.index_in(s, value_set=known).to_numpy().astype(np.int32))
            r_parts.append(pc.index_in(r, value_set=known).to_numpy().astype(np.int32))
            t_parts.append(chunk["timestamp"].to_numpy(dtype="datetime64[us]").astype(np.int64))
        n = len(known)
        if n == 0:
            empty = np.zeros(0, dtype=np.int64)
            return cls(pd.Index([], dtype=object), empty, empty, empty, empty)
        s_code, r_code = np.concatenate(s_parts), np.concatenate(r_parts)
        t = np.concatenate(t_parts)
        del s_parts, r_parts, t_parts
        graph = coo_matrix((np.ones(len(s_code), dtype=np.int8), (s_code, r_code)), shape=(n, n))
        _, labels = connected_components(graph, directed=True, connection="weak")
        del graph
        # number components by their smallest account key, so ids do not depend on row or file order
        rank = np.empty(n, dtype=np.int64)
        rank[pc.sort_indices(known).to_numpy()] = np.arange(n)
        first = np.full(labels.max() + 1, n, dtype=np.int64)
        np.minimum.at(first, labels, rank)
        canon = np.empty_like(first)
        canon[np.argsort(first, kind="stable")] = np.arange(len(first))
        node_label = canon[labels]
        row_label = node_label[s_code]
        size = np.bincount(row_label, minlength=len(first)).astype(np.int64)
        tmin = np.full(len(first), np.iinfo(np.int64).max, dtype=np.int64)
        tmax = np.full(len(first), np.iinfo(np.int64).min, dtype=np.int64)
        np.minimum.at(tmin, row_label, t)
        np.maximum.at(tmax, row_label, t)
        keys = pd.Index(known.to_numpy(zero_copy_only=False), dtype=object)
        return cls(keys, node_label, size, tmin, tmax)

    def components(self, senders: pd.Series) -> np.ndarray:
        """Component id of each row, looked up by its sender."""
        idx = self.keys.get_indexer(senders.astype(object).fillna("").to_numpy(dtype=object))
        return self.label[idx]

    def layout(self, n: int, max_rows: int, horizon: int | None) -> _Layout:
        """Pack components into at least `n` buckets of about `max_rows` rows; slice larger ones in time."""
        size = self.size
        big = size > max_rows
        n_bins = max(n, 1)
        load = np.zeros(n_bins, dtype=np.int64)
        bins = np.zeros(len(size), dtype=np.int64)
        # largest first into the least loaded bucket (ties: lowest bucket): deterministic, near balanced
        import heapq

        heap = [(0, b) for b in range(n_bins)]
        for c in np.lexsort((np.arange(len(size)), -size)):
            if big[c] and horizon is not None:
                continue
            used, b = heapq.heappop(heap)
            bins[c] = b
            load[b] = used + int(size[c])
            heapq.heappush(heap, (int(load[b]), b))
        steps = np.ones(len(size), dtype=np.int64)
        counts = np.zeros(len(size), dtype=np.int64)
        first = np.zeros(len(size), dtype=np.int64)
        nxt = n_bins
        if horizon is not None:
            day = 86_400 * 10**6
            for c in np.flatnonzero(big):
                span = int(self.tmax[c] - self.tmin[c]) + 1
                step = max(int(max_rows / size[c] * span) - 2 * horizon, horizon, day)
                k = -(-span // step)
                if k <= 1:
                    bins[c] = nxt
                    first[c] = nxt
                    nxt += 1
                    continue
                steps[c], counts[c], first[c] = step, k, nxt
                nxt += k
        return _Layout(bins, first, steps, counts, self.tmin.copy(), int(horizon or 0))


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
    plan: _ComponentPlan | None,
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


def _run_dask(
    source: Case | pd.DataFrame,
    job: _Job,
    since: str | None,
    until: str | None,
    scheduler: str | None,
    plan: _ComponentPlan | None = None,
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
    if job.kind == "component" and plan is not None and job.slices is not None:
        layout = job.slices
        n = layout.n_buckets
        comp_of = pd.DataFrame({"sender": plan.keys.to_numpy(), "_comp": plan.label}).astype(
            {"sender": ddf._meta["sender"].dtype}
        )

        def place(part: pd.DataFrame) -> pd.DataFrame:
            t = part["timestamp"].to_numpy(dtype="datetime64[us]").astype(np.int64)
            pos, bucket = layout.assign(part["_comp"].to_numpy(dtype=np.int64), t)
            return part.drop(columns="_comp").iloc[pos].assign(_bucket=bucket)

        tagged = ddf.merge(comp_of, on="sender", how="left").map_partitions(place, meta=meta)
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
