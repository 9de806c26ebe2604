"""Recruitment-fee funnel: many unrelated payers send similar sums to one account that then pays for travel abroad."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from finintel.detect._alerts import make_alerts, money
from finintel.detect._registry import register
from finintel.detect._windows import blocks, duration_text, episodes, local_amounts, seconds, sorted_codes, span_text

__all__ = ["TRAVEL_KEYWORDS", "recruitment_fee_funnel"]

TRAVEL_KEYWORDS: tuple[str, ...] = (
    # English
    "airline",
    "airways",
    "air ticket",
    "flight",
    "ticket",
    "visa",
    "passport",
    "travel",
    "tours",
    "agency",
    "recruitment",
    "placement",
    "medical",
    "gamca",
    "wafid",
    "embassy",
    "consulate",
    "kafala",
    "work permit",
    "iqama",
    "emirates",
    "qatar airways",
    "saudia",
    "flydubai",
    "ethiopian airlines",
    "kenya airways",
    # Swahili
    "ndege",
    "tiketi",
    "safari",
    "pasipoti",
    "ajira",
    "wakala",
    "kibali cha kazi",
    "ubalozi",
    # Amharic (transliterated and script)
    "tiket",
    "pasport",
    "ye sira fekad",
    "wukil",
    "ኤጀንሲ",
    "ቪዛ",
    "ትኬት",
    "ፓስፖርት",
    "አውሮፕላን",
    # French (Djibouti)
    "billet",
    "voyage",
    "vol ",
    "passeport",
    "ambassade",
    "agence",
    "recrutement",
    "permis de travail",
    # Arabic transliteration common in Gulf recruitment
    "maktab",
    "istiqdam",
)
"""Words in a narrative or payee name that mark travel, visa, recruitment or placement spending."""


@register("recruitment_fee_funnel", partition="component")
def recruitment_fee_funnel(
    tx: pd.DataFrame,
    *,
    window: str = "30D",
    min_payers: int = 5,
    max_cv: float = 0.2,
    outflow_window: str = "14D",
    min_outflow_share: float = 0.3,
    travel_keywords: Sequence[str] = TRAVEL_KEYWORDS,
    high_risk_countries: Sequence[str] = (),
    accounts: pd.DataFrame | None = None,
    parties: pd.DataFrame | None = None,
    currency: str | None = "USD",
    fx_to_local: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Flag accounts collecting similar sums from many unrelated payers, then paying for travel or abroad.

    The pattern of recruitment-fee fraud and debt bondage: prospective migrants each pay a "fee" of about
    the same size to a recruiter; the recruiter then buys tickets, visas and medicals, or sends the money
    abroad. Steps:

    1. a receiver gets transfers from at least `min_payers` payers within `window` (bursts merge);
    2. the payers are *unrelated*: payers that also transfer to one another are not counted;
    3. their per-payer totals are *similar*: coefficient of variation (std / mean) at most `max_cv`;
    4. within `outflow_window` after the last payment, at least `min_outflow_share` of the collected value
       leaves the account on travel-like outflows: a narrative or payee name with one of `travel_keywords`,
       a cross-border transfer (both countries known and different), a payee in `high_risk_countries`,
       or the remittance channel.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    window : str, default "30D"
        Window the payments are collected in.
    min_payers : int, default 5
        Fewest unrelated payers.
    max_cv : float, default 0.2
        Largest coefficient of variation of the per-payer totals.
    outflow_window : str, default "14D"
        How long after the last payment travel outflows are looked for.
    min_outflow_share : float, default 0.3
        Share of the collected value that must leave on travel-like outflows.
    travel_keywords : sequence of str
        Case-insensitive words (English, Swahili, Amharic, French, Arabic transliterations by default:
        :data:`TRAVEL_KEYWORDS`).
    high_risk_countries : sequence of str
        ISO alpha-2 destinations that count as travel outflows (profiles fill it).
    currency : str, optional
        Profile currency; others converted with `fx_to_local` or left out.
    fx_to_local : mapping, optional
        Rates to the profile currency.

    Returns
    -------
    pandas.DataFrame
        Alerts then ``n_payers, cv, collected, outflow, outflow_share``. ``score`` is
        ``min(1, 0.45 + 0.25 * (1 - cv / max_cv) + 0.05 * (n_payers - min_payers) + 0.2 * min(1, outflow_share))``.

    References
    ----------
    FATF (2018), *Financial Flows from Human Trafficking* (recruitment fees, debt bondage, payments to travel
    agencies and for visas), https://www.fatf-gafi.org/en/publications/Methodsandtrends/Human-trafficking.html ;
    FinCEN FIN-2020-A008 (payments for travel, visas and recruitment fees by third parties),
    https://www.fincen.gov/resources/advisories/fincen-advisory-fin-2020-a008 .

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> fees = [(f"msisdn:+2547000000{i:02d}", "agent", 50_000 + 500 * i, f"2024-02-{i + 1:02d}") for i in range(6)]
    >>> out = [("agent", "acct:KQ/ticketing", 240_000, "2024-02-10", {"description": "Air ticket JED x6"})]
    >>> alerts = recruitment_fee_funnel(transactions(fees + out), profile="KE")
    >>> alerts[["entity", "n_payers", "collected", "outflow"]]
      entity  n_payers  collected   outflow
    0  agent         6   307500.0  240000.0
    >>> print(alerts.at[0, "reason"])
    6 unrelated payers sent KES 50,000.00 to 52,500.00 each (coefficient of variation 0.02, total KES 307,500.00) within 5 days; then KES 240,000.00 (78%) left within 14 days on travel, visa or cross-border payments.
    """
    w, ow = seconds(window), seconds(outflow_window, name="outflow_window")
    if len(tx) == 0:
        return make_alerts("recruitment_fee_funnel", [])
    amt = np.nan_to_num(local_amounts(tx, currency, fx_to_local))
    frame = (
        tx[["tx_id", "timestamp", "sender", "receiver"]]
        .reset_index(drop=True)
        .assign(_amt=amt, _pos=np.arange(len(tx)))
    )
    travel = _travel_mask(tx, travel_keywords, high_risk_countries)
    # only receivers paid by enough different payers can match
    codes, names = sorted_codes(pd.concat([frame["sender"], frame["receiver"]], ignore_index=True))
    s_code, r_code = codes[: len(frame)], codes[len(frame) :]
    n_payers = pd.Series(s_code).groupby(r_code).nunique()
    many = n_payers.index[(n_payers >= min_payers).to_numpy()].to_numpy()
    # ... and that pay for travel themselves or pay an account that does (their own, checked below)
    travellers = np.unique(s_code[travel])
    hop = np.isin(s_code, many) & np.isin(r_code, travellers)
    many = np.intersect1d(many, np.union1d(travellers, np.unique(s_code[hop])))
    inflows = frame[np.isin(r_code, many)].reset_index(drop=True)
    b = blocks(inflows["receiver"], inflows["timestamp"], inflows["tx_id"])
    # candidate bursts: enough payments (not yet payers) in a window
    cands = episodes(b, w, min_payers)
    if not cands:
        return make_alerts("recruitment_fee_funnel", [])
    ok = _similar_unrelated(s_code, r_code, names, inflows, b, cands, min_payers, max_cv)
    entities = sorted({str(b.keys[b.code[cands[ep][0]]]) for ep in ok})
    own = _own_accounts(tx, entities, accounts, parties)
    by_sender = frame[travel].sort_values(["sender", "timestamp", "tx_id"]).set_index("sender")
    by_sender.index = by_sender.index.astype(object)  # numpy-backed: fast binary search per lookup
    rows: list[dict[str, Any]] = []
    for ep, keep in ok.items():
        lo, hi = cands[ep]
        inflow = inflows.iloc[b.order[lo:hi]]
        entity = str(b.keys[b.code[lo]])
        inflow = inflow[inflow["sender"].isin(keep)]
        per_payer = inflow.groupby("sender", observed=True)["_amt"].sum()
        if len(per_payer) < min_payers or per_payer.mean() <= 0:
            continue
        cv = float(per_payer.std(ddof=0) / per_payer.mean())
        if cv > max_cv:
            continue
        last = inflow["timestamp"].max()
        mine = [a for a in [entity, *sorted(own.get(entity, set()))] if a in by_sender.index]
        out = pd.concat([by_sender.loc[a:a] for a in mine]).reset_index() if mine else by_sender.iloc[:0].reset_index()
        out = out[
            (out["timestamp"] >= inflow["timestamp"].min()) & (out["timestamp"] <= last + pd.Timedelta(seconds=ow))
        ]
        via = sorted(set(out["sender"].astype(str)) - {entity})
        collected, outflow = float(per_payer.sum()), float(out["_amt"].sum())
        share = outflow / collected
        if share < min_outflow_share:
            continue
        moved = frame[(frame["sender"] == entity) & frame["receiver"].isin(via)]
        moved = moved[
            (moved["timestamp"] >= inflow["timestamp"].min()) & (moved["timestamp"] <= out["timestamp"].max())
        ]
        out = pd.concat([out, moved], ignore_index=True) if via else out
        rows.append(
            _alert(
                via,
                entity,
                inflow,
                out,
                per_payer,
                cv,
                collected,
                outflow,
                share,
                min_payers,
                max_cv,
                outflow_window,
                currency,
            )
        )
    return make_alerts("recruitment_fee_funnel", rows)


def _own_accounts(
    tx: pd.DataFrame, entities: list[str], accounts: pd.DataFrame | None, parties: pd.DataFrame | None
) -> dict[str, set[str]]:
    """Accounts the entities pay that belong to the same holder (by party or by name on the transfers)."""
    from finintel.detect.fiat_crypto_offramp import owner_keys

    if not entities:
        return {}
    sub = tx[tx["sender"].isin(entities) | tx["receiver"].isin(entities)]
    keys = owner_keys(sub, accounts, parties).astype(str)
    paid = sub.loc[sub["sender"].isin(entities), ["sender", "receiver"]].astype(str).drop_duplicates()
    same = paid.merge(keys.rename(columns={"account": "sender"}), on="sender").merge(
        keys.rename(columns={"account": "receiver"}), on=["receiver", "owner"]
    )
    same = same[same["sender"] != same["receiver"]]
    return {str(k): set(g) for k, g in same.groupby("sender")["receiver"]}


def _similar_unrelated(
    s_code: np.ndarray,
    r_code: np.ndarray,
    names: np.ndarray,
    inflows: pd.DataFrame,
    b: Any,
    cands: list[tuple[int, int]],
    min_payers: int,
    max_cv: float,
) -> dict[int, set[str]]:
    """Candidate bursts whose unrelated payers are enough and pay similar totals: ``{burst: payers}``.

    Vectorised over all bursts on integer account codes: payers that pay another payer of the same burst
    are dropped, then the coefficient of variation of the per-payer totals is computed per burst.
    """
    lengths = np.array([hi - lo for lo, hi in cands])
    pos = inflows["_pos"].to_numpy()[b.order[np.concatenate([np.arange(lo, hi) for lo, hi in cands])]]
    ep_rows = pd.DataFrame(
        {
            "ep": np.repeat(np.arange(len(cands)), lengths),
            "sender": s_code[pos],
            "receiver": r_code[pos],
            "amt": inflows["_amt"].to_numpy()[b.order[np.concatenate([np.arange(lo, hi) for lo, hi in cands])]],
        }
    )
    ep_rows = ep_rows[ep_rows["sender"] != ep_rows["receiver"]]
    # bursts with too few different payers cannot pass, whatever their relations
    n_distinct = ep_rows.groupby("ep")["sender"].transform("nunique")
    ep_rows = ep_rows[n_distinct.to_numpy() >= min_payers]
    pp = ep_rows[["ep", "sender"]].drop_duplicates()
    payer_codes = pp["sender"].unique()
    # only transfers from one payer to another payer (of any burst) can relate two payers
    mask = np.isin(s_code, payer_codes) & np.isin(r_code, payer_codes)
    pairs = pd.DataFrame({"sender": s_code[mask], "receiver": r_code[mask]}).drop_duplicates()
    pairs = pairs[pairs["sender"] != pairs["receiver"]]
    rel = pp.merge(pairs, on="sender").merge(pp.rename(columns={"sender": "receiver"}), on=["ep", "receiver"])
    related = pd.MultiIndex.from_frame(rel[["ep", "sender"]])
    ep_rows = ep_rows[~pd.MultiIndex.from_frame(ep_rows[["ep", "sender"]]).isin(related)]
    per = ep_rows.groupby(["ep", "sender"])["amt"].sum().reset_index()
    stats = per.groupby("ep")["amt"].agg(["count", "mean"]).join(per.groupby("ep")["amt"].std(ddof=0).rename("std"))
    good = stats.index[
        (stats["count"] >= min_payers) & (stats["mean"] > 0) & (stats["std"] <= max_cv * stats["mean"] + 1e-9)
    ]
    per = per[per["ep"].isin(good)]
    return {int(ep): {str(names[c]) for c in g} for ep, g in per.groupby("ep", sort=True)["sender"]}


def _travel_mask(tx: pd.DataFrame, keywords: Sequence[str], countries: Sequence[str]) -> np.ndarray:
    from finintel.detect.logistics_spend import _join, fold_text, match_keywords

    hit = match_keywords(fold_text(_join(tx["description"], tx["receiver_name"], tx["receiver"])), list(keywords))
    sc = tx["sender_country"].astype("string[pyarrow]").fillna("").str.upper()
    rc = tx["receiver_country"].astype("string[pyarrow]").fillna("").str.upper()
    cross = (sc != "") & (rc != "") & (sc != rc)
    risky = rc.isin([c.upper() for c in countries]) & (rc != "")
    remit = tx["channel"].astype(object) == "remittance"
    return hit | (cross | risky | remit).to_numpy(dtype=bool)


def _alert(
    via: list[str],
    entity: str,
    inflow: pd.DataFrame,
    out: pd.DataFrame,
    per_payer: pd.Series,
    cv: float,
    collected: float,
    outflow: float,
    share: float,
    min_payers: int,
    max_cv: float,
    outflow_window: str,
    currency: str | None,
) -> dict[str, Any]:
    n = len(per_payer)
    first, last = inflow["timestamp"].min(), max(inflow["timestamp"].max(), out["timestamp"].max())
    through = f" through the holder's own account{'s' if len(via) > 1 else ''} {', '.join(via)}" if via else ""
    reason = (
        f"{n} unrelated payers sent {money(float(per_payer.min()), currency)} to {money(float(per_payer.max()))} each "
        f"(coefficient of variation {cv:.2f}, total {money(collected, currency)}) within "
        f"{duration_text(inflow['timestamp'].min(), inflow['timestamp'].max())}; then {money(outflow, currency)} "
        f"({share:.0%}) left within {span_text(outflow_window)}{through} on travel, visa or cross-border payments."
    )
    score = 0.45 + 0.25 * (1 - cv / max_cv if max_cv > 0 else 1) + 0.05 * (n - min_payers) + 0.2 * min(1.0, share)
    return {
        "entity": entity,
        "score": min(1.0, score),
        "start": first,
        "end": last,
        "tx_ids": [*inflow["tx_id"].astype(str), *out["tx_id"].astype(str)],
        "reason": reason,
        "n_payers": n,
        "cv": cv,
        "collected": collected,
        "outflow": outflow,
        "outflow_share": share,
        "via_accounts": ", ".join(via),
    }
