"""The two passes behind :func:`finintel.graph.trace`: forward taint flow, backward funding attribution.

Both first cut the ledger to what the seeds can reach in time (a few
vectorised passes over integer account codes), then walk only those rows in
time order in Python, keeping per-account lots in deques.
"""

from __future__ import annotations

import heapq
from collections import defaultdict, deque
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from finintel.graph.trace import _Ledger

__all__ = ["run_backward", "run_forward"]

_EPS = 1e-9
Key = tuple[str, str, int]  # (path_id, seed, hop)
Rows = list[dict[str, Any]]


def _closure_forward(led: _Ledger, reach: np.ndarray, hops: int | None) -> np.ndarray:
    """Earliest position after which each account may hold tainted value (n + 1: never)."""
    lo = max(led.start, int(reach.min()) + 1) if len(reach) else 0
    pos = np.arange(lo, led.n, dtype="int64")  # rows before the earliest seed cannot carry its value
    s, r = led.s[lo:], led.r[lo:]
    movable = ~led.is_cash[s]
    limit = hops if hops is not None else led.n
    for _ in range(limit):
        cand = movable & (reach[s] < pos)
        if not cand.any():
            break
        arrive = pd.Series(pos[cand] - 1).groupby(r[cand]).min()
        idx = arrive.index.to_numpy()
        new = np.minimum(reach[idx], arrive.to_numpy())
        if np.array_equal(new, reach[idx]):
            break
        reach = reach.copy()
        reach[idx] = new
    return reach


def _opening(led: _Ledger, reach: np.ndarray) -> dict[int, float]:
    """Balance of each reached account at its reach position, rebuilt from earlier rows (clipped at zero)."""
    never = led.n + 1
    pos = np.arange(led.n, dtype="int64")
    ms = (reach[led.s] < never) & (pos <= reach[led.s])
    mr = (reach[led.r] < never) & (pos <= reach[led.r])
    if not (ms.any() or mr.any()):
        return {}
    df = pd.DataFrame(
        {
            "acct": np.concatenate([led.s[ms], led.r[mr]]),
            "pos": np.concatenate([pos[ms], pos[mr]]),
            "delta": np.concatenate([-led.amount[ms], led.amount[mr]]),
        }
    ).sort_values(["acct", "pos"], kind="mergesort")
    df["run"] = df.groupby("acct", sort=False)["delta"].cumsum()
    g = df.groupby("acct", sort=False)["run"]
    bal = g.last() - np.minimum(0.0, g.min())
    return {int(k): float(v) for k, v in bal.items() if v > _EPS}


def run_forward(led: _Ledger, seeds: pd.DataFrame, *, hops: int | None, rule: str) -> tuple[Rows, Rows]:
    """Forward pass: where did the tainted value go? Returns (step rows, holder rows); fills seeds' value."""
    never = led.n + 1
    reach = np.full(len(led.keys), never, dtype="int64")
    seed_tx: dict[int, tuple[str, str]] = {}
    seed_acct: dict[int, tuple[str, str]] = {}
    for row in seeds.itertuples():
        if row.kind == "tx":
            seed_tx[int(row.pos)] = (str(row.path_id), str(row.seed))
            reach[led.r[row.pos]] = min(reach[led.r[row.pos]], row.pos - 1)
        else:
            seed_acct[int(row.code)] = (str(row.path_id), str(row.seed))
            reach[row.code] = min(reach[row.code], led.start - 1)
    reach = _closure_forward(led, reach, hops)
    opening = _opening(led, reach)
    pos = np.arange(led.n, dtype="int64")
    ev = (pos >= led.start) & ((reach[led.s] < pos) | (reach[led.r] < pos))
    ev[list(seed_tx)] = True
    values: dict[str, float] = defaultdict(float)
    steps: dict[tuple[int, str, str, int], float] = defaultdict(float)
    held: dict[tuple[int, str, str, int, str], float] = defaultdict(float)
    last_in: dict[int, int] = {}
    lots: dict[int, deque[list[Any]]] = {}
    bal: dict[int, float] = {}
    comp: dict[int, dict[Key, float]] = {}
    prop = rule == "proportional"

    def init(c: int) -> None:
        if c in lots or c in bal:
            return
        amount = opening.get(c, 0.0)
        key: Key | None = None
        if c in seed_acct and amount > _EPS:
            key = (*seed_acct[c], 0)
            values[key[0]] += amount
            last_in[c] = led.ts[max(int(reach[c]), 0)] if led.n else 0
        if prop:
            bal[c], comp[c] = amount, ({key: amount} if key else {})
        else:
            lots[c] = deque([[amount, key]]) if amount > _EPS else deque()

    def take(c: int, x: float) -> list[tuple[float, Key | None]]:
        init(c)
        out: list[tuple[float, Key | None]] = []
        if prop:
            b = bal[c]
            if b > _EPS:
                f = min(1.0, x / b)
                for k in list(comp[c]):
                    m = comp[c][k] * f
                    out.append((m, k))
                    comp[c][k] -= m
                    if comp[c][k] <= _EPS:
                        del comp[c][k]
            bal[c] = max(0.0, b - x)
            rest = x - sum(m for m, _ in out)
            if rest > _EPS:
                out.append((rest, None))
            return out
        q = lots[c]
        while x > _EPS and q:
            lot = q[0] if rule == "fifo" else q[-1]
            m = min(lot[0], x)
            out.append((m, lot[1]))
            lot[0] -= m
            x -= m
            if lot[0] <= _EPS:
                q.popleft() if rule == "fifo" else q.pop()
        if x > _EPS:
            out.append((x, None))
        if rule == "lifo":
            out.reverse()  # deliver in the order the value arrived
        return out

    def give(c: int, pieces: list[tuple[float, Key | None]], t: int) -> None:
        init(c)
        total = 0.0
        for m, k in pieces:
            total += m
            if k is not None:
                last_in[c] = t
                if led.is_cash[c] or (hops is not None and k[2] >= hops):
                    sink = "charges" if led.is_fee[c] else "cashed_out"
                    held[(c, k[0], k[1], k[2], sink if led.is_cash[c] else "hop_limit")] += m
                    continue
            if prop:
                if k is not None:
                    comp[c][k] = comp[c].get(k, 0.0) + m
            else:
                q = lots[c]
                if k is None and q and q[-1][1] is None:
                    q[-1][0] += m
                else:
                    q.append([m, k])
        if prop:
            bal[c] += total

    for jj in np.flatnonzero(ev):
        j = int(jj)
        a, b, x, t = int(led.s[j]), int(led.r[j]), float(led.amount[j]), int(led.ts[j])
        if a == b and j not in seed_tx:
            continue  # a transfer to oneself moves nothing
        pieces: list[tuple[float, Key | None]]
        pieces = take(a, x) if reach[a] < j and a != b else [(x, None)]
        if j in seed_tx:
            label, seed = seed_tx[j]
            values[label] += x
            pieces = [(x, (label, seed, 1))]
        elif b in seed_acct:
            label, seed = seed_acct[b]
            values[label] += x
            pieces = [(x, (label, seed, 0))]
        else:
            pieces = [(m, (k[0], k[1], k[2] + 1) if k else None) for m, k in pieces]
        for m, k in pieces:
            if k is not None:
                steps[(int(j), k[0], k[1], k[2])] += m
        if reach[b] < j or j in seed_tx:
            give(b, pieces, t)
    for c, q in lots.items():
        for m, k in q:
            if k is not None:
                held[(c, k[0], k[1], k[2], "held")] += m
    for c, parts in comp.items():
        for k, m in parts.items():
            held[(c, k[0], k[1], k[2], "held")] += m
    seeds["value"] = [
        values.get(p, v) if k == "account" else v
        for p, k, v in zip(seeds["path_id"], seeds["kind"], seeds["value"], strict=True)
    ]
    step_rows = [led.step(j, label, seed, hop, m) for (j, label, seed, hop), m in steps.items()]
    holder_rows = [
        {
            "account": led.keys[c],
            "amount": m,
            "last_movement": last_in.get(c),
            "status": status,
            "hop": hop,
            "path_id": label,
            "seed": seed,
        }
        for (c, label, seed, hop, status), m in held.items()
    ]
    return step_rows, holder_rows


def run_backward(led: _Ledger, seeds: pd.DataFrame, *, hops: int | None, rule: str) -> tuple[Rows, Rows]:
    """Backward pass: where did the value come from? Returns (step rows, origin rows); fills seeds' value."""
    pos = np.arange(led.n, dtype="int64")
    demand: dict[int, dict[Key, float]] = defaultdict(lambda: defaultdict(float))
    latest = np.full(len(led.keys), -1, dtype="int64")
    values: dict[str, float] = defaultdict(float)
    for row in seeds.itertuples():
        label, seed = str(row.path_id), str(row.seed)
        if row.kind == "tx":
            js = np.array([row.pos])
        else:
            js = np.flatnonzero((led.r == row.code) & (pos >= led.start) & (led.s != led.r))
        for j in js:
            demand[int(j)][(label, seed, 1)] += float(led.amount[j])
            values[label] += float(led.amount[j])
            latest[led.s[j]] = max(latest[led.s[j]], j)
    window = pos >= led.start
    hi = int(latest.max()) + 1 if len(latest) else 0  # rows after the latest seed cannot have funded it
    bpos, bs, br = pos[led.start : hi], led.s[led.start : hi], led.r[led.start : hi]
    fundable = ~led.is_cash[br]
    for _ in range(hops if hops is not None else led.n):
        cand = fundable & (latest[br] > bpos)
        if not cand.any():
            break
        dep = pd.Series(bpos[cand]).groupby(bs[cand]).max()
        idx = dep.index.to_numpy()
        new = np.maximum(latest[idx], dep.to_numpy())
        if np.array_equal(new, latest[idx]):
            break
        latest = latest.copy()
        latest[idx] = new
    active = ~led.is_cash
    out_ok = window & active[led.s] & (pos <= latest[led.s])
    in_ok = window & active[led.r] & (pos < latest[led.r])
    links: dict[int, list[tuple[int, float]]] = {}
    unfunded: dict[int, float] = {}
    lots: dict[int, deque[list[Any]]] = defaultdict(deque)
    pool: dict[int, dict[int, float]] = defaultdict(dict)
    bal: dict[int, float] = defaultdict(float)
    for j in np.flatnonzero(out_ok | in_ok):
        a, b, x = int(led.s[j]), int(led.r[j]), float(led.amount[j])
        if a == b:
            continue
        if out_ok[j]:
            got: list[tuple[int, float]] = []
            if rule == "proportional":
                if bal[a] > _EPS:
                    f = min(1.0, x / bal[a])
                    for i, v in list(pool[a].items()):
                        got.append((i, v * f))
                        if v * (1 - f) <= _EPS * x:
                            del pool[a][i]
                        else:
                            pool[a][i] = v * (1 - f)
                bal[a] = max(0.0, bal[a] - x)
            else:
                q, need = lots[a], x
                while need > _EPS and q:
                    lot = q[0] if rule == "fifo" else q[-1]
                    m = min(lot[0], need)
                    got.append((lot[1], m))
                    lot[0] -= m
                    need -= m
                    if lot[0] <= _EPS:
                        q.popleft() if rule == "fifo" else q.pop()
            links[int(j)] = got
            unfunded[int(j)] = max(0.0, x - sum(m for _, m in got))
        if in_ok[j]:
            if rule == "proportional":
                pool[b][int(j)] = x
                bal[b] += x
            else:
                lots[b].append([x, int(j)])
    steps: Rows = []
    origins: dict[tuple[int, str, str, int, str], list[float]] = {}

    def origin(c: int, k: Key, m: float, status: str, t: int) -> None:
        slot = origins.setdefault((c, k[0], k[1], k[2], status), [0.0, t])
        slot[0] += m
        slot[1] = max(slot[1], t)

    heap = [-j for j in demand]
    heapq.heapify(heap)
    done: set[int] = set()
    while heap:
        j = -heapq.heappop(heap)
        if j in done:
            continue
        done.add(j)
        a, x, t = int(led.s[j]), float(led.amount[j]), int(led.ts[j])
        for k, d in demand.pop(j).items():
            steps.append(led.step(j, k[0], k[1], k[2], d))
            if led.is_cash[a]:
                origin(a, k, d, "charges" if led.is_fee[a] else "cash_in", t)
            elif (hops is not None and k[2] >= hops) or j not in links:
                origin(a, k, d, "hop_limit" if hops is not None and k[2] >= hops else "origin", t)
            else:
                for i, m in links[j]:
                    demand[i][(k[0], k[1], k[2] + 1)] += d * m / x
                    heapq.heappush(heap, -i)
                if unfunded[j] > _EPS:
                    origin(a, k, d * unfunded[j] / x, "origin", t)
    seeds["value"] = [values.get(p, 0.0) for p in seeds["path_id"]]
    rows = [
        {
            "account": led.keys[c],
            "amount": m,
            "last_movement": t,
            "status": status,
            "hop": hop,
            "path_id": label,
            "seed": seed,
        }
        for (c, label, seed, hop, status), (m, t) in origins.items()
    ]
    return steps, rows
