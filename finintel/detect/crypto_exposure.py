"""Crypto exposure: value received from or sent to tagged addresses, directly or within two time-respecting hops."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from finintel.detect._alerts import make_alerts, money
from finintel.detect._registry import Scan, register
from finintel.detect._streams import chunks, completed, isin, kept_rows, keyset
from finintel.detect._windows import local_amounts
from finintel.errors import InputError
from finintel.schema.keys import guess_key

__all__ = ["CATEGORY_WEIGHTS", "crypto_exposure", "tag_keys"]

CATEGORY_WEIGHTS: dict[str, float] = {
    "sanctions": 1.0,
    "sanctioned": 1.0,
    "ransomware": 1.0,
    "terrorist_financing": 1.0,
    "csam": 1.0,
    "human_trafficking": 1.0,
    "scam": 0.9,
    "fraud": 0.9,
    "pig_butchering": 0.9,
    "darknet": 0.9,
    "stolen_funds": 0.9,
    "mixer": 0.8,
    "guarantee_marketplace": 0.8,
    "high_risk_exchange": 0.6,
    "gambling": 0.5,
    "p2p_exchange": 0.4,
    "exchange": 0.2,
}
"""Risk weight per tag category (case-insensitive); categories not listed weigh 0.7."""


def tag_keys(tags: pd.DataFrame) -> pd.DataFrame:
    """The tag list with a canonical account ``key`` per row (``eth:0x…``, ``trx:T…``, ``btc:…``).

    `tags` has ``key`` (already canonical) or ``address`` (as published: any case, any chain), plus
    ``tag`` and ``category``. Rows whose address is not recognised raise an InputError naming the row.

    >>> tag_keys(pd.DataFrame({"address": ["0xABCDEF0123456789ABCDEF0123456789ABCDEF01"], "tag": ["x"], "category": ["scam"]}))
                                                key tag category
    0  eth:0xabcdef0123456789abcdef0123456789abcdef01   x     scam
    """
    if "key" in tags.columns:
        keys = tags["key"].astype(object)
    elif "address" in tags.columns:
        keys = tags["address"].astype(object).map(lambda a: guess_key(str(a)) if pd.notna(a) else None)
        bad = keys.isna() & tags["address"].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"not a recognised crypto address or account key: {tags['address'].iloc[row]!r}",
                row=row + 1,
                column="address",
            )
    else:
        raise InputError("the tags frame needs a 'key' or an 'address' column", column="address")
    out = pd.DataFrame(
        {
            "key": keys,
            "tag": tags["tag"].astype(object) if "tag" in tags.columns else "tagged",
            "category": tags["category"].astype(object).fillna("unknown") if "category" in tags.columns else "unknown",
        }
    )
    return out.dropna(subset=["key"]).drop_duplicates(["key", "tag", "category"]).reset_index(drop=True)


def _gather(scan: Scan, params: Mapping[str, Any], *, tags: pd.DataFrame | None = None, **_: Any) -> pd.DataFrame:
    """The rows :func:`crypto_exposure` reads, streamed from a case in one or two passes (bounded memory).

    Hop 1 reads the rows with a tagged address on either side. Hop 2 (``max_hops >= 2``) also reads the
    payments of accounts paid directly by a tagged address, and the receipts of accounts that paid a
    tagged address directly: a first pass over ``sender, receiver, status`` collects those intermediaries,
    the second keeps the rows. Memory: the tag keys, the intermediaries and the kept rows.

    >>> from finintel.testing import transactions
    >>> tx = transactions([("trx:TTag", "trx:TMule", 5, "2024-04-01"), ("trx:TMule", "trx:TOut", 4, "2024-04-02"),
    ...                    ("trx:TX", "trx:TY", 3, "2024-04-02")])
    >>> tags = pd.DataFrame({"key": ["trx:TTag"], "tag": ["scam vendor"], "category": ["scam"]})
    >>> _gather(lambda columns=None: iter([tx if columns is None else tx[columns]]), {"max_hops": 2}, tags=tags)["tx_id"].tolist()
    ['t1', 't2']
    """
    if tags is None or len(tags) == 0:
        return kept_rows([])
    tagged = keyset(tag_keys(tags)["key"].astype(str))
    paid_by_tag: set[str] = set()  # receivers of a tagged address: their payments are hop-2 "from" rows
    paid_tag: set[str] = set()  # payers of a tagged address: their receipts are hop-2 "to" rows
    if int(params.get("max_hops", 2)) >= 2:
        for c in chunks(scan, ["sender", "receiver", "status"]):
            ok = completed(c)
            s_tag, r_tag = isin(c["sender"], tagged), isin(c["receiver"], tagged)
            paid_by_tag.update(c["receiver"][ok & s_tag & ~r_tag].astype(str))
            paid_tag.update(c["sender"][ok & r_tag & ~s_tag].astype(str))
    mid_in, mid_out = keyset(paid_by_tag), keyset(paid_tag)
    parts = []
    for c in chunks(scan):
        s, r = c["sender"], c["receiver"]
        keep = isin(s, tagged) | isin(r, tagged) | isin(s, mid_in) | isin(r, mid_out)
        parts.append(c[completed(c) & keep])
    return kept_rows(parts)


@register("crypto_exposure", partition="none", gather=_gather)
def crypto_exposure(
    tx: pd.DataFrame,
    *,
    tags: pd.DataFrame | None = None,
    max_hops: int = 2,
    hop_decay: float = 0.5,
    category_weights: Mapping[str, float] | None = None,
    currency: str | None = "USD",
    fx_to_local: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Flag accounts that received value from, or sent value to, tagged addresses, directly or via one intermediary.

    `tags` is a user-supplied list (exchange attribution, sanctions lists such as OFAC SDN digital currency
    addresses, scam reports, the analyst's own case). Exposure is *time-respecting*:

    - hop 1: a transfer between the account and a tagged address;
    - hop 2, incoming: the account was paid by an intermediary *after* the intermediary first received from a
      tagged address; outgoing: the account paid an intermediary *before* the intermediary last paid a tagged
      address (money can only flow forward in time).

    One alert per account, direction and hop. Tagged addresses themselves are not alerted.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema (any channel: tags may name exchange accounts as well).
    tags : pandas.DataFrame, optional
        ``address`` or ``key``, ``tag``, ``category``; see :func:`tag_keys`. None: nothing is flagged.
    max_hops : int, default 2
        1 for direct exposure only.
    hop_decay : float, default 0.5
        Score factor for hop 2.
    category_weights : mapping, optional
        Weights per category, over :data:`CATEGORY_WEIGHTS`.
    currency : str, optional
        Profile currency for the value in the reason; other currencies converted with `fx_to_local`.
    fx_to_local : mapping, optional
        Rates to the profile currency.

    Returns
    -------
    pandas.DataFrame
        Alerts then ``direction, hops, tags, categories, value, n_tx, via``. ``score`` is the largest category
        weight times 1 (hop 1) or `hop_decay` (hop 2).

    References
    ----------
    FATF (2020), *Virtual Assets Red Flag Indicators of Money Laundering and Terrorist Financing* (funds from
    or to addresses linked to illicit activity, mixers, darknet markets),
    https://www.fatf-gafi.org/en/publications/Fatfrecommendations/Virtual-assets-red-flag-indicators.html ;
    FinCEN FIN-2023-Alert005 (pig butchering: USDT sent to scam-linked addresses),
    https://www.fincen.gov/sites/default/files/shared/FinCEN_Alert_Pig_Butchering_FINAL_508c.pdf .

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> scam = "trx:TXgbB1oCvPnYdXbKztu8bM7YzADJyPDWnL"
    >>> tx = transactions([
    ...     (scam, "trx:TMule", 5_000, "2024-04-01 10:00"),
    ...     ("trx:TMule", "trx:TCashout", 4_900, "2024-04-01 12:00"),
    ...     ("trx:TCashout", "trx:TEarlier", 100, "2024-03-01 12:00"),
    ... ], currency="USDT-TRC20", channel="crypto")
    >>> tags = pd.DataFrame({"key": [scam], "tag": ["Huione Guarantee vendor"], "category": ["scam"]})
    >>> alerts = crypto_exposure(tx, tags=tags, profile="KE")
    >>> alerts[["entity", "direction", "hops", "score"]]
             entity direction  hops  score
    0  trx:TCashout      from     2   0.45
    1     trx:TMule      from     1   0.90
    >>> print(alerts.at[1, "reason"])
    Received KES 645,000.00 in 1 transfer directly from 1 tagged address (Huione Guarantee vendor: scam).
    """
    if tags is None or len(tags) == 0 or len(tx) == 0:
        return make_alerts("crypto_exposure", [])
    t = tag_keys(tags)
    weights = {**CATEGORY_WEIGHTS, **{k.casefold(): float(v) for k, v in (category_weights or {}).items()}}
    t["weight"] = t["category"].astype(str).str.casefold().map(weights).fillna(0.7)
    tagged = set(t["key"])
    info = (
        t.sort_values(["weight", "tag"], ascending=[False, True])
        .groupby("key")
        .agg(
            tag=("tag", lambda s: "; ".join(sorted(set(map(str, s))))),
            category=("category", lambda s: ", ".join(sorted(set(map(str, s))))),
            weight=("weight", "max"),
        )
    )
    value = local_amounts(tx, currency, fx_to_local)
    f = pd.DataFrame(
        {
            "tx_id": tx["tx_id"].astype(str).to_numpy(),
            "ts": tx["timestamp"].reset_index(drop=True),
            "s": tx["sender"].astype(str).to_numpy(),
            "r": tx["receiver"].astype(str).to_numpy(),
            "v": value,
        }
    )
    s_tag, r_tag = f["s"].isin(tagged), f["r"].isin(tagged)
    rows: list[dict[str, Any]] = []
    d_in = f[s_tag & ~r_tag].assign(entity=lambda d: d["r"], source=lambda d: d["s"], via="")
    d_out = f[r_tag & ~s_tag].assign(entity=lambda d: d["s"], source=lambda d: d["r"], via="")
    parts = [("from", 1, d_in), ("to", 1, d_out)]
    if max_hops >= 2:
        first_in = d_in.groupby("entity")["ts"].min()
        src_in = d_in.groupby("entity")["source"].agg(lambda s: sorted(set(s)))
        h_in = f[f["s"].isin(first_in.index) & ~r_tag & (f["r"] != f["s"])].copy()
        h_in = h_in[h_in["ts"] >= h_in["s"].map(first_in)]
        h_in = h_in.assign(entity=h_in["r"], via=h_in["s"], source=h_in["s"].map(lambda a: src_in[a]))
        last_out = d_out.groupby("entity")["ts"].max()
        dst_out = d_out.groupby("entity")["source"].agg(lambda s: sorted(set(s)))
        h_out = f[f["r"].isin(last_out.index) & ~s_tag & (f["r"] != f["s"])].copy()
        h_out = h_out[h_out["ts"] <= h_out["r"].map(last_out)]
        h_out = h_out.assign(entity=h_out["s"], via=h_out["r"], source=h_out["r"].map(lambda a: dst_out[a]))
        direct = set(d_in["entity"]) | set(d_out["entity"])
        parts += [
            ("from", 2, h_in[~h_in["entity"].isin(direct)].explode("source")),
            ("to", 2, h_out[~h_out["entity"].isin(direct)].explode("source")),
        ]
    for direction, hops, d in parts:
        if d.empty:
            continue
        for entity, g in d.groupby("entity", sort=True):
            rows.append(_alert(str(entity), direction, hops, g, info, hop_decay, currency))
    return make_alerts("crypto_exposure", rows)


def _alert(
    entity: str, direction: str, hops: int, g: pd.DataFrame, info: pd.DataFrame, decay: float, currency: str | None
) -> dict[str, Any]:
    ev = g.drop_duplicates("tx_id")
    srcs = sorted(set(g["source"]))
    tags = "; ".join(sorted({f"{info.at[k, 'tag']}: {info.at[k, 'category']}" for k in srcs}))
    weight = float(max(info.at[k, "weight"] for k in srcs))
    value = float(np.nansum(ev["v"])) if ev["v"].notna().any() else float("nan")
    worth = f"{money(value, currency)} " if not np.isnan(value) else ""
    n, k = len(ev), len(srcs)
    verb = "Received" if direction == "from" else "Sent"
    via = sorted(set(g["via"]) - {""})
    how = (
        "directly "
        if hops == 1
        else f"through {len(via)} intermediar{'y' if len(via) == 1 else 'ies'} ({', '.join(via[:3])}) "
    )
    reason = (
        f"{verb} {worth}in {n} transfer{'s' if n != 1 else ''} {how}{direction} {k} tagged address"
        f"{'es' if k != 1 else ''} ({tags})."
    )
    return {
        "entity": entity,
        "score": weight * (1.0 if hops == 1 else decay),
        "start": ev["ts"].min(),
        "end": ev["ts"].max(),
        "tx_ids": ev["tx_id"].tolist(),
        "reason": reason,
        "direction": direction,
        "hops": hops,
        "tags": "; ".join(sorted({str(info.at[s, "tag"]) for s in srcs})),
        "categories": ", ".join(sorted({str(info.at[s, "category"]) for s in srcs})),
        "value": value,
        "n_tx": n,
        "via": ", ".join(via),
    }
