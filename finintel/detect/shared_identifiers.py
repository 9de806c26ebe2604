"""Shared identifiers: accounts of different holders linked by one phone, ID document, email, device or address."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from finintel.detect._alerts import make_alerts
from finintel.detect._registry import Scan, register
from finintel.detect._streams import chunks, completed, isin, kept_rows, keyset
from finintel.detect._windows import seconds, span_text
from finintel.detect.watchlist import normalize_name

__all__ = ["shared_identifiers"]

WEIGHTS = {"id_number": 1.0, "device": 0.9, "phone": 0.9, "email": 0.8, "address": 0.5}
"""How strongly one shared value of each kind ties two accounts together (an address is shared by families)."""

_JUNK = {"", "na", "n/a", "none", "null", "unknown", "nil", "0", "-", "--", "xxx", "not provided", "nan", "<na>"}
_DEVICE_KEYS = ("device", "device_id", "deviceid", "imei", "device_fingerprint", "android_id")


def _gather(
    scan: Scan,
    params: Mapping[str, Any],
    *,
    parties: pd.DataFrame | None = None,
    accounts: pd.DataFrame | None = None,
    **_: Any,
) -> pd.DataFrame:
    """The rows :func:`shared_identifiers` reads, in one pass over a case: transfers of linked accounts.

    The links come from the `accounts` and `parties` frames alone; transactions are only the evidence
    (``tx_ids``, ``start``, ``end``) of the accounts that share a value (after the `max_sharing` and
    one-person filters). Memory: the linked account keys and their rows.

    >>> from finintel.testing import transactions
    >>> tx = transactions([("msisdn:+254700000001", "shop", 100, "2024-03-01"), ("x", "y", 5, "2024-03-01")])
    >>> parties = pd.DataFrame({"party_id": ["p1", "p2"], "name": ["Amina", "Grace"], "phone": ["+254799000000"] * 2})
    >>> accounts = pd.DataFrame({"account": ["msisdn:+254700000001", "msisdn:+254700000002"], "party_id": ["p1", "p2"]})
    >>> params = {"max_sharing": 50, "kinds": ("phone",)}
    >>> _gather(lambda columns=None: iter([tx]), params, parties=parties, accounts=accounts)["tx_id"].tolist()
    ['t1']
    """
    linked = keyset(_linked(accounts, parties, params["kinds"], int(params["max_sharing"])))
    if len(linked) == 0:
        return kept_rows([])
    parts = [c[completed(c) & (isin(c["sender"], linked) | isin(c["receiver"], linked))] for c in chunks(scan)]
    return kept_rows(parts)


def _linked(
    accounts: pd.DataFrame | None, parties: pd.DataFrame | None, kinds: Sequence[str], max_sharing: int
) -> set[str]:
    """Accounts that :func:`shared_identifiers` links (the same filters), whose transfers are evidence."""
    if accounts is None or len(accounts) == 0 or "account" not in accounts.columns:
        return set()
    links = _identifiers(accounts, parties, kinds)
    if links.empty:
        return set()
    sizes = links.groupby(["kind", "value"])["account"].transform("nunique")
    holders = links.groupby(["kind", "value"])["person"].transform("nunique")
    return set(links.loc[(sizes >= 2) & (sizes <= max_sharing) & (holders >= 2), "account"].astype(str))


@register("shared_identifiers", partition="none", gather=_gather)
def shared_identifiers(
    tx: pd.DataFrame,
    *,
    parties: pd.DataFrame | None = None,
    accounts: pd.DataFrame | None = None,
    alerts: pd.DataFrame | None = None,
    opened_within: str = "30D",
    min_accounts: int = 3,
    max_sharing: int = 50,
    kinds: Sequence[str] = ("id_number", "device", "phone", "email", "address"),
) -> pd.DataFrame:
    """Flag accounts held by different people who share a phone, ID document, email, device or address.

    Mule networks and trafficking rings open accounts in the names of victims or recruits, but run them from
    the same phones and devices, with the same contact email or address. From the ``accounts`` frame
    (account -> holder ``party_id``, ``opened``, device fields in ``attributes``) and the ``parties`` frame
    (``phone``, ``id_number``, ``email``, ``address``) this detector links accounts whose holders are different
    parties but share a value, and joins the links into groups. It raises an alert for an account when:

    - ``linked_to_flagged``: another account of its group is the entity of an alert in `alerts`;
    - ``opened_together``: at least `min_accounts` accounts of its group were opened within `opened_within`.

    Values shared by more than `max_sharing` accounts (a branch address, a placeholder number) and empty
    placeholders ("N/A", "0", "unknown") link nothing. Without `accounts` nothing is flagged.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema (the evidence: transfers of the linked accounts).
    parties, accounts : pandas.DataFrame, optional
        Canonical parties and accounts frames (``case.parties()``, ``case.accounts()``).
    alerts : pandas.DataFrame, optional
        Alerts already raised (``fi.detect.run`` output); their entities seed ``linked_to_flagged``.
    opened_within : str, default "30D"
        Window of account openings.
    min_accounts : int, default 3
        Fewest accounts of a group opened within the window.
    max_sharing : int, default 50
        Values shared by more accounts than this are ignored.
    kinds : sequence of str
        Identifier kinds to link on, among ``id_number, device, phone, email, address``.

    Returns
    -------
    pandas.DataFrame
        Alerts then ``variant, group_size, shared, linked_accounts``. ``score``: linked to flagged
        ``min(1, 0.3 + 0.6 * strength * flagged_score)``; opened together
        ``min(1, 0.3 + 0.4 * strength + 0.05 * (n_opened - min_accounts))``; ``strength`` is the largest
        weight of the kinds the account shares (ID document 1.0, device and phone 0.9, email 0.8, address 0.5).

    References
    ----------
    FATF (2018), *Financial Flows from Human Trafficking* (accounts opened for victims, controlled by the
    same people; shared addresses and phone numbers),
    https://www.fatf-gafi.org/en/publications/Methodsandtrends/Human-trafficking.html ;
    FinCEN FIN-2020-A008 (several accounts with the same phone, email or address),
    https://www.fincen.gov/resources/advisories/fincen-advisory-fin-2020-a008 .

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("msisdn:+254700000001", "shop", 100, "2024-03-01"), ("msisdn:+254700000002", "shop", 90, "2024-03-02")])
    >>> parties = pd.DataFrame({"party_id": ["p1", "p2"], "name": ["Amina", "Grace"], "id_number": ["A123", "B456"],
    ...                         "phone": ["+254799000000", "+254 799 000 000"]})
    >>> accounts = pd.DataFrame({"account": ["msisdn:+254700000001", "msisdn:+254700000002"], "party_id": ["p1", "p2"]})
    >>> flagged = pd.DataFrame({"entity": ["msisdn:+254700000001"], "detector": ["structuring"], "score": [0.9]})
    >>> out = shared_identifiers(tx, parties=parties, accounts=accounts, alerts=flagged)
    >>> out[["entity", "variant", "shared"]]
                     entity            variant                 shared
    0  msisdn:+254700000002  linked_to_flagged  phone +254799000000
    >>> print(out.at[0, "reason"])
    This account's holder shares phone +254799000000 with the holder of 1 other account (msisdn:+254700000001), which is already flagged by structuring (score 0.90).
    """
    if accounts is None or len(accounts) == 0 or "account" not in accounts.columns:
        return make_alerts("shared_identifiers", [])
    links = _identifiers(accounts, parties, kinds)
    if links.empty:
        return make_alerts("shared_identifiers", [])
    sizes = links.groupby(["kind", "value"])["account"].transform("nunique")
    holders = links.groupby(["kind", "value"])["person"].transform("nunique")
    links = links[(sizes >= 2) & (sizes <= max_sharing) & (holders >= 2)]
    if links.empty:
        return make_alerts("shared_identifiers", [])
    G = nx.Graph()
    for (kind, value), g in links.groupby(["kind", "value"], sort=True):
        accts = sorted(set(g["account"]))
        G.add_edges_from(((a, b, {"kinds": {(kind, value)}}) for a, b in zip(accts, accts[1:], strict=False)))
    by_account = links.groupby("account")[["kind", "value"]].apply(
        lambda g: sorted(set(zip(g["kind"], g["value"], strict=True)))
    )
    flagged = _flagged(alerts)
    opened = _opened(accounts)
    win = seconds(opened_within, name="opened_within")
    linked = set(links["account"])
    legs = pd.concat(
        [
            pd.DataFrame(
                {
                    "a": tx["sender"].astype(str).to_numpy(),
                    "tx_id": tx["tx_id"].astype(str).to_numpy(),
                    "ts": tx["timestamp"].reset_index(drop=True),
                }
            ),
            pd.DataFrame(
                {
                    "a": tx["receiver"].astype(str).to_numpy(),
                    "tx_id": tx["tx_id"].astype(str).to_numpy(),
                    "ts": tx["timestamp"].reset_index(drop=True),
                }
            ),
        ],
        ignore_index=True,
    )
    legs = legs[legs["a"].isin(linked)]
    evidence = legs.groupby("a")["tx_id"].agg(lambda t: sorted(set(t)))
    first_ts, last_ts = legs.groupby("a")["ts"].min(), legs.groupby("a")["ts"].max()
    rows: list[dict[str, Any]] = []
    for comp in sorted(nx.connected_components(G), key=lambda c: sorted(c)[0]):
        members = sorted(comp)
        hits = {a: flagged[a] for a in members if a in flagged}
        for acct in members:
            shared = by_account.get(acct, [])
            strength = max((WEIGHTS.get(k, 0.5) for k, _ in shared), default=0.5)
            others = [m for m in members if m != acct]
            what = " and ".join(_show(k, v) for k, v in shared[:3])
            ev = evidence.get(acct, [])
            ts = _period(acct, members, first_ts, last_ts, opened)
            if ts is None:  # no transfer in the screened period and no opening date: nothing to date it by
                continue
            flagged_others = {a: hits[a] for a in others if a in hits}
            found: list[tuple[str, float, str]] = []
            if flagged_others:
                top_a, (det, sc) = max(flagged_others.items(), key=lambda kv: (kv[1][1], kv[0]))
                which = "which is" if len(others) == 1 else f"of which {top_a} is"
                plural = "s" if len(others) > 1 else ""
                found.append(
                    (
                        "linked_to_flagged",
                        min(1.0, 0.3 + 0.6 * strength * sc),
                        f"This account's holder shares {what} with the holder{plural} of {len(others)} other "
                        f"account{plural} ({_names(others)}), {which} already flagged by {det} (score {sc:.2f}).",
                    )
                )
            burst = _opened_burst(acct, members, opened, win)
            if len(burst) >= min_accounts:
                found.append(
                    (
                        "opened_together",
                        min(1.0, 0.3 + 0.4 * strength + 0.05 * (len(burst) - min_accounts)),
                        f"Opened on {opened[acct]:%Y-%m-%d}, within {span_text(opened_within)} of {len(burst) - 1} other "
                        f"accounts of other holders sharing {what} ({_names([b for b in burst if b != acct])}).",
                    )
                )
            if found:
                variant = "+".join(f[0] for f in found)
                reason = " ".join(f[2] for f in found)
                score = max(f[1] for f in found)
                rows.append(_row(acct, score, ts, ev, reason, variant, len(members), what, others))
    return make_alerts("shared_identifiers", rows)


def _period(
    acct: str, members: list[str], first_ts: pd.Series, last_ts: pd.Series, opened: dict[str, pd.Timestamp]
) -> tuple[Any, Any] | None:
    """The account's first and last transfer; else its opening date; else its group's transfers."""
    if acct in first_ts.index:
        return first_ts[acct], last_ts[acct]
    if acct in opened:
        return opened[acct], opened[acct]
    firsts = [first_ts[m] for m in members if m in first_ts.index]
    lasts = [last_ts[m] for m in members if m in last_ts.index]
    return (min(firsts), max(lasts)) if firsts else None


def _row(
    acct: str,
    score: float,
    ts: tuple[Any, Any],
    ev: list[str],
    reason: str,
    variant: str,
    size: int,
    what: str,
    others: list[str],
) -> dict[str, Any]:
    return {
        "entity": acct,
        "score": score,
        "start": ts[0],
        "end": ts[1],
        "tx_ids": ev,
        "reason": reason,
        "variant": variant,
        "group_size": size,
        "shared": what,
        "linked_accounts": ", ".join(others),
    }


def _names(accts: list[str], n: int = 3) -> str:
    return ", ".join(accts[:n]) + (f" and {len(accts) - n} more" if len(accts) > n else "")


def _show(kind: str, value: str) -> str:
    return {"id_number": "ID document", "device": "device"}.get(kind, kind) + f" {value}"


def _norm(kind: str, value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    if text.casefold() in _JUNK:
        return None
    if kind == "phone":
        digits = re.sub(r"\D", "", text)
        return f"+{digits}" if len(digits) >= 9 and len(set(digits)) > 1 else None
    if kind == "id_number":
        out = re.sub(r"[^0-9A-Za-z]", "", text).upper()
        return out if len(out) >= 4 and len(set(out)) > 1 else None
    if kind == "email":
        return text.casefold() if "@" in text else None
    if kind == "address":
        out = re.sub(r"[^\w]+", " ", text.casefold()).strip()
        return out if len(out) >= 6 else None
    return text.casefold() if len(text) >= 4 else None


def _identifiers(accounts: pd.DataFrame, parties: pd.DataFrame | None, kinds: Sequence[str]) -> pd.DataFrame:
    acc = accounts.copy()
    acc["holder"] = acc["party_id"].astype(object) if "party_id" in acc.columns else None
    acc["holder"] = acc["holder"].where(acc["holder"].notna(), "account:" + acc["account"].astype(str))
    acc["holder"] = acc["holder"].astype(str)
    # the person behind a holder: two party records with the same name are one person (duplicate KYC, two banks)
    names = acc["account_name"].astype(object) if "account_name" in acc.columns else pd.Series(None, index=acc.index)
    if parties is not None and {"party_id", "name"} <= set(parties.columns):
        by_party = dict(zip(parties["party_id"].astype(str), parties["name"].astype(object), strict=True))
        names = acc["holder"].map(by_party).where(lambda n: n.notna(), names)
    keys = names.map(lambda n: " ".join(sorted(normalize_name(n).split())))
    acc["person"] = ("name:" + keys).where(keys != "", "party:" + acc["holder"])
    person = dict(zip(acc["holder"], acc["person"], strict=False))
    rows: list[tuple[str, str, str, str]] = []
    if "device" in kinds and "attributes" in acc.columns:
        for account, holder, attrs in zip(
            acc["account"].astype(str), acc["holder"].astype(str), acc["attributes"], strict=True
        ):
            for dev in _devices(attrs):
                rows.append((account, holder, "device", dev))
    if parties is not None and len(parties) and "party_id" in parties.columns:
        cols = [k for k in kinds if k in parties.columns]
        long = parties[["party_id", *cols]].melt(id_vars="party_id", var_name="kind", value_name="raw")
        if "device" in kinds and "attributes" in parties.columns:
            devs = [
                (p, "device", d)
                for p, a in zip(parties["party_id"], parties["attributes"], strict=True)
                for d in _devices(a)
            ]
            if devs:
                long = pd.concat([long, pd.DataFrame(devs, columns=["party_id", "kind", "raw"])], ignore_index=True)
        long["value"] = [_norm(k, v) for k, v in zip(long["kind"], long["raw"], strict=True)]
        long = long.dropna(subset=["value"]).astype({"party_id": object})
        merged = acc[["account", "holder"]].merge(long, left_on="holder", right_on="party_id")
        rows += list(
            zip(
                merged["account"].astype(str),
                merged["holder"].astype(str),
                merged["kind"],
                merged["value"],
                strict=True,
            )
        )
    out = pd.DataFrame(rows, columns=["account", "holder", "kind", "value"]).drop_duplicates()
    return out.assign(person=out["holder"].map(person).fillna("party:" + out["holder"]))


def _devices(attrs: Any) -> list[str]:
    if not isinstance(attrs, str) or not attrs.strip().startswith("{"):
        return []
    try:
        data = json.loads(attrs)
    except ValueError:
        return []
    out = [_norm("device", data.get(k)) for k in _DEVICE_KEYS if isinstance(data, dict)]
    return [d for d in out if d]


def _flagged(alerts: pd.DataFrame | None) -> dict[str, tuple[str, float]]:
    if alerts is None or len(alerts) == 0 or "entity" not in alerts.columns:
        return {}
    a = alerts
    if "detector" in a.columns:
        a = a[a["detector"].astype(str) != "shared_identifiers"]
    score = a["score"].astype(float) if "score" in a.columns else pd.Series(1.0, index=a.index)
    det = a["detector"].astype(str) if "detector" in a.columns else pd.Series("an earlier screening", index=a.index)
    best = (
        pd.DataFrame({"entity": a["entity"].astype(str), "det": det, "score": score})
        .sort_values(["entity", "score", "det"], ascending=[True, False, True])
        .drop_duplicates("entity")
    )
    return {e: (d, float(s)) for e, d, s in zip(best["entity"], best["det"], best["score"], strict=True)}


def _opened(accounts: pd.DataFrame) -> dict[str, pd.Timestamp]:
    if "opened" not in accounts.columns:
        return {}
    o = pd.to_datetime(accounts["opened"], utc=True, errors="coerce")
    return {a: t for a, t in zip(accounts["account"].astype(str), o, strict=True) if pd.notna(t)}


def _opened_burst(acct: str, members: list[str], opened: dict[str, pd.Timestamp], win: int) -> list[str]:
    if acct not in opened:
        return []
    t = opened[acct]
    best: list[str] = []
    # the densest window containing this account's opening
    times = sorted((opened[m], m) for m in members if m in opened)
    for start, _ in times:
        if start > t or (t - start).total_seconds() > win:
            continue
        inside = [m for tm, m in times if start <= tm and (tm - start).total_seconds() <= win]
        if len(inside) > len(best):
            best = inside
    return best
