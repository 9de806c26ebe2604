"""The Dask engine of :mod:`finintel.scale`: the same buckets and the same detector calls on a cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from finintel.schema import frames as F
from finintel.store import Case

if TYPE_CHECKING:
    from finintel._components import ComponentPlan
    from finintel.scale import _Job

__all__ = ["run_dask"]


def run_dask(
    source: Case | pd.DataFrame,
    job: _Job,
    since: str | None,
    until: str | None,
    scheduler: str | None,
    plan: ComponentPlan | None = None,
) -> pd.DataFrame:
    """The same shuffle with dask.dataframe; the same _Job per bucket on the cluster's workers."""
    try:
        import dask.dataframe as dd
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - exercised only without the extra
        from finintel.errors import MissingDependencyError

        raise MissingDependencyError("dask[distributed]", "dask") from None

    from finintel.scale import _read_all, bucket_of

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

    import dask

    own = scheduler is None
    # a busy machine can take longer than the 30 s defaults to start and connect workers
    with dask.config.set({"distributed.comm.timeouts.connect": "120s", "distributed.comm.timeouts.tcp": "300s"}):
        cluster = (
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") if own else None
        )
        client = Client(cluster if own else scheduler, timeout="120s")
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
