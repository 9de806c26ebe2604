"""Connected components of a case's money graph, and where their rows go: whole buckets or time slices.

Used by :mod:`finintel.scale` for detectors whose partition is ``component``. The components
are found in one streaming pass that keeps an integer per row, not the rows; a component larger
than a bucket is cut into overlapping time slices of the detectors' declared horizon.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["ComponentPlan", "Layout", "component_ids"]


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


class Layout:
    """Where the rows of each component go: packed whole into a bucket, or cut into time slices.

    Components of at most `max_rows` rows are packed into buckets (largest first, each into the
    first bucket with room). A larger component is cut into slices of `step` microseconds, each
    holding its own span plus `horizon` before and after, so that every alert whose rows (and
    context) lie within `horizon` of its start is seen whole by the slice that owns its start;
    an alert is kept only from that slice. A component is not sliced when its detectors declare
    no horizon, or when a slice would hold over half of it (the rows within the horizon
    then decide memory, and slicing would only repeat work).
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


class ComponentPlan:
    """Weakly connected components of the money graph of a whole case, computed in one streaming pass.

    Keeps one integer per row (sender, receiver codes and time) and the account dictionary, not the rows.
    """

    def __init__(self, keys: pd.Index, label: np.ndarray, size: np.ndarray, tmin: np.ndarray, tmax: np.ndarray) -> None:
        self.keys, self.label, self.size, self.tmin, self.tmax = keys, label, size, tmin, tmax

    @classmethod
    def build(cls, chunks: Any) -> ComponentPlan:
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

    def layout(self, n: int, max_rows: int, horizon: int | None) -> Layout:
        """Pack components into at least `n` buckets of about `max_rows` rows; slice larger ones in time."""
        size = self.size
        big = size > max_rows
        n_bins = max(n, 1)
        load = np.zeros(n_bins, dtype=np.int64)
        bins = np.zeros(len(size), dtype=np.int64)
        # largest first into the least loaded bucket (ties: lowest bucket): deterministic, near balanced
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
                # a slice of `step` plus the horizon on both sides should hold about max_rows rows; when the
                # horizon alone holds more, memory cannot be bounded and a step of twice the horizon keeps
                # each row in at most two slices. Slices of over half the component save nothing.
                step = max(int(max_rows / size[c] * span) - 2 * horizon, 2 * horizon, day)
                k = -(-span // step)
                if k <= 1 or 2 * (step + 2 * horizon) > span:
                    bins[c] = nxt
                    first[c] = nxt
                    nxt += 1
                    continue
                steps[c], counts[c], first[c] = step, k, nxt
                nxt += k
        return Layout(bins, first, steps, counts, self.tmin.copy(), int(horizon or 0))
