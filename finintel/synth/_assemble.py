"""Background and planted rows into one time-sorted canonical Arrow table with format-native ids."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from finintel.schema import frames as F
from finintel.synth._ids import make_ids
from finintel.synth._population import DECIMALS, Population

__all__ = ["SOURCE_FORMAT", "assemble"]

SOURCE_FORMAT = "finintel.synth"
"""``source_format`` of generated rows."""


def assemble(
    pop: Population, bg: pd.DataFrame, rows: list[dict[str, Any]], rng: np.random.Generator, seed: int
) -> tuple[pa.Table, dict[str, str]]:
    """Background and planted rows as one time-sorted Arrow table with final ids.

    Everything is carried as integer positions (into the account table and into the
    categories of the low-cardinality columns) until after the sort, so each string
    column is materialised exactly once.
    """
    cols = [
        "tx_id",
        "timestamp",
        "sender",
        "receiver",
        "sender_name",
        "receiver_name",
        "amount",
        "currency",
        "channel",
        "status",
        "sender_country",
        "receiver_country",
        "description",
    ]
    pl = pd.DataFrame(rows, columns=cols)
    acc = pop.all_accounts()[["account", "name", "country", "kind"]]
    known = pd.Index(acc["account"])
    for side in ("sender", "receiver"):  # cash points planted without an account row (bank branches)
        new = pl.loc[known.get_indexer(pl[side]) < 0, [side, f"{side}_name", f"{side}_country"]].drop_duplicates(side)
        new.columns = ["account", "name", "country"]
        acc = pd.concat([acc, new.assign(kind="cash")], ignore_index=True)
        known = pd.Index(acc["account"])
    on_chain = acc["kind"].isin(["trx", "eth"]).to_numpy()
    keys = pa.array(acc["account"].to_numpy(dtype=object), pa.string())
    names = pa.array(acc["name"].where(~on_chain, None).to_numpy(dtype=object), pa.string())
    ctry = pa.array(acc["country"].to_numpy(dtype=object), pa.string())
    is_wallet = acc["account"].str.startswith("msisdn:").to_numpy(dtype=bool)

    snd = np.concatenate([bg["sender"].to_numpy(np.int64), known.get_indexer(pl["sender"])])
    rcv = np.concatenate([bg["receiver"].to_numpy(np.int64), known.get_indexer(pl["receiver"])])
    ts = np.concatenate(
        [bg["ts"].to_numpy(np.int64), np.array([t.value // 1000 for t in pl["timestamp"]], dtype=np.int64)]
    )
    amount = np.concatenate([bg["amount"].to_numpy(float), pl["amount"].to_numpy(float)])
    codes, cats = {}, {}
    for col in ("currency", "channel", "status", "description"):
        cats[col] = sorted(set(bg[col].cat.categories) | set(pl[col]))
        codes[col] = np.concatenate(
            [
                bg[col].cat.set_categories(cats[col]).cat.codes.to_numpy(np.int32),
                pd.Categorical(pl[col], categories=cats[col]).codes.astype(np.int32),
            ]
        )
    provisional = np.concatenate([np.full(len(bg), "", dtype=object), pl["tx_id"].to_numpy(dtype=object)])
    order = np.argsort(ts, kind="stable")
    snd, rcv, ts, amount, provisional = snd[order], rcv[order], ts[order], amount[order], provisional[order]
    codes = {k: v[order] for k, v in codes.items()}

    def decode(col: str) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(codes[col]), pa.array(cats[col], pa.string())).cast(pa.string())

    text = {col: np.array(cats[col], dtype=object)[codes[col]] for col in ("channel", "currency")}
    tx_id = make_ids(rng, text["channel"], text["currency"], ts, is_wallet[snd] | is_wallet[rcv])
    planted_pos = np.flatnonzero(provisional != "")
    id_map = dict(zip(provisional[planted_pos], tx_id.take(pa.array(planted_pos)).to_pylist(), strict=True))
    del text, provisional  # ten million object pointers each: free them before the string columns are built
    s_idx, r_idx = pa.array(snd), pa.array(rcv)
    del snd, rcv
    amounts = pa.array(amount, pa.float64())
    currency = decode("currency")
    n = len(order)
    out = {
        "tx_id": tx_id,
        "timestamp": pa.array(ts, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        "sender": keys.take(s_idx),
        "receiver": keys.take(r_idx),
        "sender_name": names.take(s_idx),
        "receiver_name": names.take(r_idx),
        "amount": amounts,
        "amount_exact": _exact(amounts, currency),
        "currency": currency,
        "channel": decode("channel"),
        "status": decode("status"),
        "sender_country": ctry.take(s_idx),
        "receiver_country": ctry.take(r_idx),
        "description": decode("description"),
        "attributes": pa.nulls(n, pa.string()),
        "source_format": pa.array(np.full(n, SOURCE_FORMAT, dtype=object), pa.string()),
        "source_file": pa.array(np.full(n, f"synth:seed={seed}", dtype=object), pa.string()),
        "source_sha256": pa.nulls(n, pa.string()),
        "source_row": pa.array(np.arange(1, n + 1, dtype=np.int64)),
    }
    return pa.table(out), id_map


def _exact(amount: pa.Array, currency: pa.Array) -> pa.Array:
    """Exact decimals of amounts already rounded to their currency's decimals."""
    result = pa.nulls(len(amount), F.DECIMAL)
    for scale in sorted(set(DECIMALS.values())):
        curs = [c for c, s in DECIMALS.items() if s == scale]
        mask = pc.is_in(currency, pa.array(curs))
        if not pc.any(mask).as_py():
            continue
        dec = pc.cast(pc.cast(amount, pa.decimal128(38, scale), safe=False), F.DECIMAL)
        result = pc.if_else(mask, dec, result)
    other = pc.is_null(result)
    if pc.any(other).as_py():
        result = pc.if_else(other, pc.cast(pc.cast(amount, pa.decimal128(38, 2), safe=False), F.DECIMAL), result)
    return result
