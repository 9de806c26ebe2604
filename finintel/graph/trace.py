"""Follow the money: time-respecting tracing of tainted value through accounts.

:func:`trace` follows the value of seed transactions (victim payments) or seed
accounts forward to where it is now, or backward to where it came from, and
returns a :class:`Trace`: the ``steps`` taken and a ``holders`` schedule ready
for a freezing or recovery request.

How value is attributed
-----------------------
Each account keeps a running balance, rebuilt from the ledger (value whose
source is not in the data counts as clean). When value leaves an account, the
rule decides how much of it is tainted:

``fifo``
    First in, first out: the oldest value in the balance leaves first.
``lifo``
    Last in, first out: the newest value leaves first.
``proportional``
    Haircut: every outflow carries the account's tainted share of its balance.

Tracing is time-respecting: value can only leave an account after it arrived
(transactions are ordered by timestamp, then by their order in the frame).
Value that reaches a ``cash:`` key is cashed out and stops there (the holder is
the agent, flagged); value that reaches a ``fee:`` key (charges, taxes and interest
booked on an account) is spent and stops there too; value that has made `hops` moves stays where it is. The
ledger is first cut down to the accounts the seeds can reach in time, with a
few vectorised passes, so a trace of a 10M-row ledger touches only its part.

Amounts are traced as stated: convert currencies first (or pass `currency=`)
when a trace crosses from shillings to tokens.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from finintel.errors import InputError
from finintel.graph._arrow import _chunks, _pa
from finintel.graph._trace_engine import run_backward, run_forward
from finintel.graph.build import _moving, check_transactions
from finintel.graph.ego import _ts

__all__ = ["HOLDER_COLUMNS", "STEP_COLUMNS", "Trace", "trace"]

STEP_COLUMNS = ("path_id", "seed", "hop", "tx_id", "from", "to", "timestamp", "amount", "share", "currency")
HOLDER_COLUMNS = ("account", "amount", "share", "last_movement", "status", "hop", "path_id", "seed")

Rule = Literal["fifo", "lifo", "proportional"]
_EPS = 1e-9


@dataclass
class Trace:
    """The result of :func:`trace`.

    Attributes
    ----------
    steps : pandas.DataFrame
        One row per tainted movement: ``path_id`` (``P1``, ``P2``… one per seed),
        ``seed``, ``hop`` (the seed transaction is hop 1; receipts of a seed
        account hop 0), ``tx_id``, ``from``, ``to``, ``timestamp``, ``amount``
        (tainted value attributed to the transaction), ``share`` (of the seed
        value), ``currency``.
    holders : pandas.DataFrame
        Where the value ends (forward) or starts (backward): ``account``,
        ``amount``, ``share``, ``last_movement``, ``status`` and the ``hop``
        and ``path_id`` it came by. Forward statuses: ``held``, ``cashed_out``
        (a cash agent), ``charges`` (spent on an account's charges and taxes, a ``fee:``
        key), ``hop_limit`` (not followed further). Backward: ``origin`` (no earlier
        source in the data), ``cash_in``, ``charges`` (credited by the bank: interest,
        a refunded charge), ``hop_limit``.
    seeds : pandas.DataFrame
        ``path_id``, ``seed``, ``kind`` (tx or account), ``value``.
    direction, rule : str
        As given.
    """

    steps: pd.DataFrame
    holders: pd.DataFrame
    seeds: pd.DataFrame
    direction: str
    rule: str
    total: float = field(default=0.0)

    def to_graph(self) -> nx.DiGraph:
        """The traced flows as a graph: one edge per from → to with ``total`` and ``tx_ids``.

        Nodes carry ``held`` (the amount a holder keeps) and ``status``.

        Examples
        --------
        >>> from finintel.testing import transactions
        >>> t = trace(transactions([("victim", "A", 100, "2024-03-01"), ("A", "B", 70, "2024-03-02")]), "t1")
        >>> G = t.to_graph()
        >>> G.edges["A", "B"]["total"], G.nodes["A"]["held"], G.nodes["B"]["status"]
        (70.0, 30.0, 'held')
        """
        G = nx.DiGraph()
        G.graph["view"] = "trace"
        agg = self.steps.groupby(["from", "to"], sort=True).agg(total=("amount", "sum"), tx_ids=("tx_id", "unique"))
        for (a, b), row in agg.iterrows():
            G.add_edge(a, b, total=float(row["total"]), tx_ids=sorted(set(row["tx_ids"])))
        for acct, grp in self.holders.groupby("account", sort=True):
            G.add_node(acct, held=float(grp["amount"].sum()), status=",".join(sorted(set(grp["status"]))))
        return G


def trace(
    tx: pd.DataFrame,
    seeds: str | Iterable[str],
    *,
    direction: Literal["forward", "backward"] = "forward",
    since: Any = None,
    until: Any = None,
    hops: int | None = None,
    rule: Rule = "fifo",
    entities: Mapping[str, str] | pd.Series | pd.DataFrame | None = None,
    currency: str | None = None,
) -> Trace:
    """Follow tainted value from seed transactions or accounts.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema (only ``completed`` rows move value).
    seeds : str or iterable of str
        tx_ids (e.g. victim payments: their whole amount is tainted) or account
        keys (forward: the balance the account held at `since` plus everything
        it received up to `until`; backward: everything it received in the window).
    direction : {"forward", "backward"}, default "forward"
        Where the money went, or where it came from.
    since, until : str or Timestamp, optional
        Window of transactions followed (naive times are UTC). Forward, the
        balances held at `since` are rebuilt from earlier rows; the holders
        are those at `until`.
    hops : int, optional
        Most moves followed (the seed transaction is the first).
    rule : {"fifo", "lifo", "proportional"}, default "fifo"
        How an outflow is split into tainted and clean value (module docstring).
    entities : mapping, Series or DataFrame, optional
        Account → entity (a frame needs ``account`` and ``entity_id``): the
        accounts of one entity share one balance, so value continues across
        them; ``from``/``to``/``account`` are then entity ids.
    currency : str, optional
        Follow only rows in this currency.

    Returns
    -------
    Trace

    Raises
    ------
    InputError
        If a seed is neither a tx_id nor an account key of `tx`, or an option is invalid.

    Examples
    --------
    Victim pays 100 to A, who already held 50; A sends 60 to B, then 90 to C:

    >>> from finintel.testing import transactions
    >>> tx = transactions([
    ...     ("x", "A", 50, "2024-03-01"), ("victim", "A", 100, "2024-03-02"),
    ...     ("A", "B", 60, "2024-03-03"), ("A", "C", 90, "2024-03-04"),
    ... ])
    >>> t = trace(tx, ["t2"], rule="fifo")
    >>> t.holders[["account", "amount", "share", "status"]]
      account  amount  share status
    0       C    90.0    0.9   held
    1       B    10.0    0.1   held
    >>> trace(tx, ["t2"], rule="lifo").holders[["account", "amount"]]
      account  amount
    0       B    60.0
    1       C    40.0
    """
    if direction not in ("forward", "backward"):
        raise InputError(f"direction must be 'forward' or 'backward', got {direction!r}", column="direction")
    if rule not in ("fifo", "lifo", "proportional"):
        raise InputError(f"rule must be 'fifo', 'lifo' or 'proportional', got {rule!r}", column="rule")
    if hops is not None and hops < 1:
        raise InputError(f"hops must be 1 or more, got {hops}", column="hops")
    led = _Ledger(tx, since=since, until=until, entities=entities, currency=currency)
    seed_list = [seeds] if isinstance(seeds, str) else list(seeds)
    seed_rows = led.resolve_seeds(seed_list)
    if direction == "forward":
        steps, holders = run_forward(led, seed_rows, hops=hops, rule=rule)
    else:
        steps, holders = run_backward(led, seed_rows, hops=hops, rule=rule)
    total = float(seed_rows["value"].sum())
    return Trace(
        steps=_finish(steps, STEP_COLUMNS, total, ["hop", "timestamp", "path_id", "tx_id"]),
        holders=_finish(holders, HOLDER_COLUMNS, total, ["amount", "account"], ascending=[False, True]),
        seeds=seed_rows[["path_id", "seed", "kind", "value"]].reset_index(drop=True),
        direction=direction,
        rule=rule,
        total=total,
    )


def _finish(
    rows: list[dict[str, Any]],
    columns: tuple[str, ...],
    total: float,
    order: list[str],
    ascending: bool | list[bool] = True,
) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=[c for c in columns if c != "share"])
    df = df[df["amount"] > _EPS * max(total, 1.0)] if len(df) else df
    df["amount"] = df["amount"].astype("float64").round(9)
    df.insert(columns.index("share"), "share", (df["amount"] / total).round(9) if total > 0 else 0.0)
    for c in ("timestamp", "last_movement"):
        if c in df.columns:
            df[c] = pd.to_datetime(df[c].astype("float64"), unit="us", utc=True).astype("datetime64[us, UTC]")
    df["hop"] = df["hop"].astype("int64")
    return df.sort_values(order, ascending=ascending, kind="mergesort").reset_index(drop=True)


class _Ledger:
    """The moving rows, time-ordered, with integer account codes."""

    def __init__(self, tx: pd.DataFrame, *, since: Any, until: Any, entities: Any, currency: str | None) -> None:
        tx = _moving(check_transactions(tx), True)
        if currency is not None:
            tx = tx[(tx["currency"] == currency).fillna(False).to_numpy()]
        self.until = _ts(until)
        self.since = _ts(since)
        if self.until is not None:
            tx = tx[(tx["timestamp"] <= self.until).to_numpy()]
        ts = pd.DatetimeIndex(tx["timestamp"]).as_unit("us").asi8
        ordered = bool(len(ts) < 2 or (ts[1:] >= ts[:-1]).all())  # case stores are usually in time order
        order = np.arange(len(ts)) if ordered else np.argsort(ts, kind="stable")
        self.n = len(order)
        self.ts = ts[order]
        self.amount = tx["amount"].to_numpy(dtype="float64")[order]
        take = pa.array(order)
        self._tx_ids = pa.concat_arrays(_chunks(_pa(tx["tx_id"]))).take(take) if self.n else pa.array([], pa.string())
        cur = pc.dictionary_encode(pa.concat_arrays(_chunks(_pa(tx["currency"])))) if self.n else None
        self._cur_codes = cur.indices.to_numpy(zero_copy_only=False)[order] if cur is not None else np.zeros(0, "int64")
        self._cur_names = cur.dictionary.to_pylist() if cur is not None else []
        idx, accounts = _encode_accounts(tx["sender"], tx["receiver"])
        self.entity_map = _entity_map(entities)
        nodes = [self.entity_map.get(a, a) for a in accounts]
        codes, uniques = pd.factorize(pd.Series(nodes, dtype=object), sort=False)
        idx = np.asarray(codes, dtype="int64")[idx] if len(idx) else idx
        self.s = idx[: self.n][order]
        self.r = idx[self.n :][order]
        self.keys = np.asarray(uniques, dtype=object)
        # a node is a sink (a cash point, or an account's charges) when every account behind it is one
        cash = np.ones(len(self.keys), dtype=bool)
        fee = np.ones(len(self.keys), dtype=bool)
        for a, c in zip(accounts, codes, strict=True):
            if not a.startswith("cash:"):
                cash[c] = False
            if not a.startswith("fee:"):
                fee[c] = False
        self.is_fee = fee
        self.is_cash = cash | fee
        """Sinks value stops at: cash points and ``fee:`` keys (see :attr:`is_fee` for the latter)."""
        self.start = 0 if self.since is None else int(np.searchsorted(self.ts, _us(self.since), side="left"))

    def positions(self, tx_ids: list[str]) -> np.ndarray:
        """Positions of tx_ids in time order (-1 when absent)."""
        wanted = pa.array(tx_ids, pa.string())
        hits = np.flatnonzero(pc.is_in(self._tx_ids, value_set=wanted).to_numpy(zero_copy_only=False))
        where = {self._tx_ids[int(p)].as_py(): int(p) for p in hits}
        return np.array([where.get(t, -1) for t in tx_ids], dtype="int64")

    def resolve_seeds(self, seeds: list[str]) -> pd.DataFrame:
        if not seeds:
            raise InputError("no seeds given: pass tx_ids or account keys", column="seeds")
        rows = []
        unique = list(dict.fromkeys(str(x) for x in seeds))
        where = self.positions(unique)
        for i, (seed, p) in enumerate(zip(unique, where.tolist(), strict=True), start=1):
            if p >= 0:
                rows.append(
                    {
                        "path_id": f"P{i}",
                        "seed": seed,
                        "kind": "tx",
                        "pos": p,
                        "code": -1,
                        "value": float(self.amount[p]),
                    }
                )
            else:
                key = self.entity_map.get(seed, seed)
                hit = np.flatnonzero(self.keys == key)
                if not len(hit):
                    raise InputError(
                        f"seed {seed!r} is neither a tx_id nor an account key of the transactions"
                        " (after the since/until/currency filters)",
                        column="seeds",
                    )
                rows.append(
                    {
                        "path_id": f"P{i}",
                        "seed": seed,
                        "kind": "account",
                        "pos": -1,
                        "code": int(hit[0]),
                        "value": 0.0,
                    }
                )
        return pd.DataFrame(rows)

    def step(self, j: int, label: str, seed: str, hop: int, amount: float) -> dict[str, Any]:
        return {
            "path_id": label,
            "seed": seed,
            "hop": hop,
            "tx_id": self._tx_ids[j].as_py(),
            "from": self.keys[self.s[j]],
            "to": self.keys[self.r[j]],
            "timestamp": int(self.ts[j]),
            "amount": amount,
            "currency": self._cur_names[self._cur_codes[j]],
        }

    def when(self, value: int) -> pd.Timestamp:
        return pd.Timestamp(value, unit="us", tz="UTC")


_ENCODED: dict[tuple[int, int], tuple[Any, Any, np.ndarray, list[str]]] = {}


def _encode_accounts(sender_col: pd.Series, receiver_col: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer codes of sender then receiver keys, and the keys; memoised per pair of Arrow arrays.

    Encoding 20M keys is most of a trace's cost on a 10M-row ledger, and an analyst traces many
    seeds through one frame. Arrow arrays are immutable (pandas replaces, never edits, them), so
    the same array objects mean the same keys; entries die with the arrays (weak references).
    """
    raw_s = getattr(sender_col.array, "_pa_array", None)
    raw_r = getattr(receiver_col.array, "_pa_array", None)
    arrow = isinstance(raw_s, pa.ChunkedArray) and isinstance(raw_r, pa.ChunkedArray) and raw_s.type == raw_r.type
    key = (id(raw_s), id(raw_r))
    hit = _ENCODED.get(key) if arrow else None
    if hit is not None and hit[0]() is raw_s and hit[1]() is raw_r:
        return hit[2], hit[3]
    if arrow:
        assert raw_s is not None and raw_r is not None
        parts = list(raw_s.chunks) + list(raw_r.chunks)
        both = pa.concat_arrays(parts) if parts else pa.array([], pa.string())
    else:
        both = pa.concat_arrays(_chunks(_pa(sender_col)) + _chunks(_pa(receiver_col)))
    enc = pc.dictionary_encode(both)
    idx = enc.indices.to_numpy(zero_copy_only=False).astype("int64")
    accounts = [str(k) for k in enc.dictionary.to_pylist()]
    if arrow and len(idx) >= 1_000_000:  # only worth keeping for big ledgers

        def evict(_: object, key: tuple[int, int] = key) -> None:
            _ENCODED.pop(key, None)

        _ENCODED[key] = (weakref.ref(raw_s, evict), weakref.ref(raw_r, evict), idx, accounts)
    return idx, accounts


def _us(ts: pd.Timestamp) -> int:
    return int(ts.value) // 1000  # .value is always nanoseconds


def _entity_map(entities: Any) -> dict[str, str]:
    if entities is None:
        return {}
    if isinstance(entities, pd.DataFrame):
        if not {"account", "entity_id"} <= set(entities.columns):
            raise InputError("an entities frame needs columns 'account' and 'entity_id'", column="entities")
        e = entities.dropna(subset=["account", "entity_id"])
        return dict(zip(e["account"].astype(str), e["entity_id"].astype(str), strict=True))
    if isinstance(entities, pd.Series):
        return {str(k): str(v) for k, v in entities.dropna().items()}
    return {str(k): str(v) for k, v in dict(entities).items() if v is not None}
