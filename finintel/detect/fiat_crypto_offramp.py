"""Fiat-to-crypto off-ramp: fiat or mobile-money payments to a P2P trader, matched by stablecoin credits to the payer's own wallet."""

from __future__ import annotations

import inspect
import re
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from finintel.detect._alerts import make_alerts, money
from finintel.detect._registry import Scan, register
from finintel.detect._streams import BoundedCache, chunks, completed, isin, kept_rows, keyset
from finintel.detect._windows import local_amounts, seconds, span_text

__all__ = ["fiat_crypto_offramp", "owner_keys"]


def _name_key(name: Any) -> str | None:
    if name is None or name is pd.NA or (isinstance(name, float) and np.isnan(name)):
        return None
    text = "".join(c for c in unicodedata.normalize("NFKD", str(name)) if not unicodedata.combining(c)).casefold()
    tokens = sorted(t for t in re.split(r"[^\w]+", text) if len(t) > 1 and not t.isdigit())
    return "name:" + " ".join(tokens) if len(tokens) >= 2 else None


def owner_keys(
    tx: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    parties: pd.DataFrame | None = None,
    max_accounts_per_name: int = 4,
) -> pd.DataFrame:
    """Who holds each account, as ``(account, owner)`` rows: ``party:<party_id>`` and ``name:<tokens>``.

    Names (from the transactions' sender and receiver names, the accounts' ``account_name`` and the holder
    party's ``name``) are folded to sorted lower-case tokens, so "KAMAU John" and "John Kamau" meet; a
    single-word name links nothing, nor does a name found on more than `max_accounts_per_name` accounts
    (common names: "John Kamau" holds thousands of wallets in Kenya).

    >>> from finintel.testing import transactions
    >>> tx = transactions([("a", "b", 1, "2024-01-01", {"sender_name": "KAMAU John", "receiver_name": "Shop"})])
    >>> owner_keys(tx).values.tolist()
    [['a', 'name:john kamau']]
    """
    parts = [
        pd.DataFrame(
            {"account": tx["sender"].astype(str).to_numpy(), "name": tx["sender_name"].astype(object).to_numpy()}
        ),
        pd.DataFrame(
            {"account": tx["receiver"].astype(str).to_numpy(), "name": tx["receiver_name"].astype(object).to_numpy()}
        ),
    ]
    owners = []
    if accounts is not None and len(accounts) and "account" in accounts.columns:
        acc = accounts.astype({"account": str})
        if "account_name" in acc.columns:
            parts.append(pd.DataFrame({"account": acc["account"], "name": acc["account_name"].astype(object)}))
        if "party_id" in acc.columns:
            held = acc.dropna(subset=["party_id"])
            owners.append(pd.DataFrame({"account": held["account"], "owner": "party:" + held["party_id"].astype(str)}))
            if parties is not None and len(parties) and {"party_id", "name"} <= set(parties.columns):
                named = (
                    held[["account", "party_id"]]
                    .astype({"party_id": str})
                    .merge(parties[["party_id", "name"]].astype({"party_id": str}), on="party_id")
                )
                parts.append(named[["account", "name"]])
    names = pd.concat(parts, ignore_index=True).drop_duplicates()
    folded = {n: _name_key(n) for n in pd.unique(names["name"].dropna())}
    names["owner"] = names["name"].map(folded)
    named = names.dropna(subset=["owner"])[["account", "owner"]].drop_duplicates()
    # a name on more accounts than one person plausibly holds is a common name, not a link
    per_name = named.groupby("owner")["account"].transform("nunique")
    owners.append(named[per_name <= max_accounts_per_name])
    out = pd.concat(owners, ignore_index=True).drop_duplicates()
    return out.sort_values(["account", "owner"]).reset_index(drop=True)


def _gather(
    scan: Scan,
    params: Mapping[str, Any],
    *,
    accounts: pd.DataFrame | None = None,
    parties: pd.DataFrame | None = None,
    **_: Any,
) -> pd.DataFrame:
    """The rows :func:`fiat_crypto_offramp` can use, streamed from a case in four passes (bounded memory).

    1. stablecoin credits that reach the value floor: their times and wallets;
    2. fiat payments that reach the floor and are followed by such a credit within `window`: their payers;
    3. (keys and names only) the holders of those wallets and payers, as :func:`owner_keys` sees them
       (folded names on any transfer, the `accounts`/`parties` frames). A payment can only pair with a
       credit through a holder of both its payer and the wallet, so only payers sharing a holder with some
       wallet matter, and only the names shared that way;
    4. keeps every such credit (the window test reads them all), the payments of those payers, and, for
       each shared name, one transfer per account carrying it until ``max_accounts_per_name + 1``
       accounts are seen: then :func:`owner_keys` links the same holders and drops the same common names
       (a name on at most that many accounts has all of them kept; on more, it is common either way).

    Memory: the credit times, the sets of wallets, payers and their holders, and the kept rows. The
    payments kept are those of payers linked by name or party to a wallet; on a case where most payers
    and wallets share names that is most payments over the floor.
    """
    currency, fx = params["currency"], params["fx_to_local"]
    floor = float(params["reporting_threshold"]) * float(params["min_value_share"])
    coins, w_s = keyset(map(str, params["crypto_currencies"])), seconds(params["window"])
    cap = int(inspect.signature(owner_keys).parameters["max_accounts_per_name"].default)
    legs = ["timestamp", "sender", "receiver", "amount", "currency", "channel", "status"]

    def kinds(c: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:  # (stablecoin credit, fiat payment) over the floor
        v = local_amounts(c, currency, fx)
        ok = completed(c) & np.isfinite(v) & (v >= floor)
        listed = isin(c["currency"], coins)
        crypto = (c["channel"] == "crypto").fillna(False).to_numpy(dtype=bool) | listed
        return ok & listed, ok & ~crypto

    def secs(c: pd.DataFrame) -> np.ndarray:
        return np.asarray(c["timestamp"].to_numpy(dtype="datetime64[us]").astype("int64") // 1_000_000)

    times, wallets, payers = [], set(), set()
    for c in chunks(scan, legs):
        coin = kinds(c)[0]
        times.append(secs(c)[coin])
        wallets.update(c["receiver"][coin].astype(str))
    ct = np.sort(np.concatenate(times)) if times else np.zeros(0, dtype="int64")
    if len(ct) == 0:
        return kept_rows([])

    def payments(c: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        coin, fiat = kinds(c)
        ft = secs(c)
        return coin, fiat & (np.searchsorted(ct, ft + w_s, side="right") > np.searchsorted(ct, ft, side="left"))

    for c in chunks(scan, legs):
        payers.update(c["sender"][payments(c)[1]].astype(str))
    if not payers:
        return kept_rows([])
    fold = BoundedCache(_name_key)
    held = _holders(scan, keyset(wallets | payers), fold, accounts, parties)
    wallet_owners = set(held.loc[held["account"].isin(wallets), "owner"])
    shared = held[held["account"].isin(payers) & held["owner"].isin(wallet_owners)]
    linked = keyset(shared["account"])
    names = {o for o in shared["owner"] if str(o).startswith("name:")}
    seen: dict[str, set[str]] = {}  # shared name -> accounts kept carrying it
    parts = []
    for c in chunks(scan):
        coin, fiat = payments(c)
        keep = coin | (fiat & isin(c["sender"], linked))
        if names:
            keep[_witnesses(c, names, seen, fold, cap)] = True
        parts.append(c[keep])
    return kept_rows(parts)


def _holders(
    scan: Scan, accts: pa.Array, fold: BoundedCache, accounts: pd.DataFrame | None, parties: pd.DataFrame | None
) -> pd.DataFrame:
    """``(account, owner)`` of the accounts `accts`: every folded name they carry, and their context holders."""
    found = [owner_keys(kept_rows([]), accounts, parties, max_accounts_per_name=sys.maxsize)]
    for c in chunks(scan, ["sender", "receiver", "sender_name", "receiver_name", "status"]):
        ok = completed(c)
        for side in ("sender", "receiver"):
            mine = ok & isin(c[side], accts)
            pairs = pd.DataFrame({"account": c[side][mine].astype(str), "owner": fold.map(c[f"{side}_name"][mine])})
            found.append(pairs.dropna().drop_duplicates())
    out = pd.concat(found, ignore_index=True)
    return out[isin(out["account"], accts)].drop_duplicates()


def _witnesses(c: pd.DataFrame, names: set[str], seen: dict[str, set[str]], fold: BoundedCache, cap: int) -> np.ndarray:
    """Positions of rows of `c` showing an account with one of `names` not yet seen, while that name is
    on at most `cap` seen accounts (in row order, sender before receiver: chunk boundaries do not matter).
    Updates `seen`."""
    ok = completed(c)
    found = []
    for side in ("sender", "receiver"):
        key = fold.map(c[f"{side}_name"])
        pos = np.flatnonzero(ok & key.isin(names).to_numpy(dtype=bool))
        found.append(
            pd.DataFrame({"pos": pos, "acct": c[side].iloc[pos].astype(str).to_numpy(), "name": key.to_numpy()[pos]})
        )
    e = pd.concat(found, ignore_index=True).sort_values("pos", kind="stable").drop_duplicates(["acct", "name"])
    e = e[[a not in seen.get(n, ()) for a, n in zip(e["acct"], e["name"], strict=True)]]
    if e.empty:
        return np.zeros(0, dtype="int64")
    room = e["name"].map(lambda n: cap + 1 - len(seen.get(n, ())))
    take = e[e.groupby("name").cumcount() < room]
    for a, n in zip(take["acct"], take["name"], strict=True):
        seen.setdefault(n, set()).add(a)
    return np.asarray(take["pos"].to_numpy(), dtype="int64")


@register("fiat_crypto_offramp", partition="none", gather=_gather)
def fiat_crypto_offramp(
    tx: pd.DataFrame,
    *,
    accounts: pd.DataFrame | None = None,
    parties: pd.DataFrame | None = None,
    window: str = "72h",
    tolerance: float = 0.1,
    reporting_threshold: float = 10_000.0,
    min_value_share: float = 0.05,
    crypto_currencies: Sequence[str] = ("USDT-TRC20", "USDT-ERC20", "USDT", "USDC", "USDC-ERC20"),
    currency: str | None = "USD",
    fx_to_local: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Flag fiat or mobile-money payments to a P2P counterparty that come back as stablecoins to the payer's own wallet.

    P2P off-ramps (Binance P2P, OKX P2P, Telegram OTC desks) work like this: the buyer pays a trader in
    shillings or birr by M-Pesa or bank transfer, and the trader releases USDT to the buyer's wallet.
    Seen in one ledger: a fiat outflow from account A to counterparty C, then, within `window`, a credit
    in one of `crypto_currencies` of similar value (after converting both to the profile `currency`, within
    `tolerance`) to a wallet W held by the same person or entity as A, where C is not. Holders come from
    :func:`owner_keys` (``accounts``/``parties`` frames and names on the transfers).

    Each fiat payment is matched with at most one crypto credit and vice versa (closest value first).
    Rows whose currency cannot be converted are left out.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema (fiat and crypto in one frame: ``case.transactions()``).
    accounts, parties : pandas.DataFrame, optional
        Canonical accounts and parties frames, linking wallets and accounts to holders.
    window : str, default "72h"
        How soon after the fiat payment the crypto credit must arrive.
    tolerance : float, default 0.1
        Largest relative difference between the two values (P2P premiums and fees are a few percent).
    reporting_threshold : float, default 10_000
        Profile threshold; payments below ``min_value_share`` of it are ignored.
    min_value_share : float, default 0.05
        Fraction of the threshold a payment must reach.
    crypto_currencies : sequence of str
        Currencies counted as the crypto leg.
    currency : str, optional
        Profile currency; `fx_to_local` must give rates for the crypto currencies.
    fx_to_local : mapping, optional
        Rates to the profile currency (KE, UG, ET, DJ profiles rate USDT-TRC20).

    Returns
    -------
    pandas.DataFrame
        Alerts then ``n_pairs, fiat_value, crypto_value, wallets, counterparties, link``. ``score`` is
        ``min(1, 0.5 + 0.1 * (n_pairs - 1) + 0.3 * (1 - mean_gap / tolerance))`` with ``mean_gap`` the mean
        relative value difference, times 0.8 when the holder link is by name only.

    References
    ----------
    FATF (2020), *Virtual Assets Red Flag Indicators* (P2P exchange of fiat for virtual assets, funds moved
    to VASPs or wallets shortly after deposit),
    https://www.fatf-gafi.org/en/publications/Fatfrecommendations/Virtual-assets-red-flag-indicators.html ;
    FinCEN FIN-2023-Alert005 (pig butchering: victims and mules buying USDT),
    https://www.fincen.gov/sites/default/files/shared/FinCEN_Alert_Pig_Butchering_FINAL_508c.pdf .

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([
    ...     {"sender": "msisdn:+254711111111", "receiver": "msisdn:+254722222222", "amount": 129_000.0,
    ...      "timestamp": "2024-05-01 10:00", "sender_name": "John Kamau", "receiver_name": "P2P Trader Ltd",
    ...      "channel": "mobile_money"},
    ...     {"sender": "trx:TTrader", "receiver": "trx:TJohn", "amount": 985.0, "timestamp": "2024-05-01 10:20",
    ...      "currency": "USDT-TRC20", "channel": "crypto", "receiver_name": "KAMAU JOHN"},
    ... ])
    >>> alerts = fiat_crypto_offramp(tx, profile="KE")
    >>> alerts[["entity", "n_pairs", "wallets", "link"]]
                     entity  n_pairs    wallets             link
    0  msisdn:+254711111111        1  trx:TJohn  name:john kamau
    >>> print(alerts.at[0, "reason"])
    1 payment of KES 129,000.00 to msisdn:+254722222222 was followed within 3 days by a USDT-TRC20 credit of similar value (KES 127,065.00, within 10%) to trx:TJohn, held by the same holder (name:john kamau).
    """
    if len(tx) == 0:
        return make_alerts("fiat_crypto_offramp", [])
    v = local_amounts(tx, currency, fx_to_local)
    floor = reporting_threshold * min_value_share
    f = pd.DataFrame(
        {
            "tx_id": tx["tx_id"].astype(str).to_numpy(),
            "ts": tx["timestamp"].reset_index(drop=True),
            "s": tx["sender"].astype(str).to_numpy(),
            "r": tx["receiver"].astype(str).to_numpy(),
            "v": v,
            "cur": tx["currency"].astype(str).to_numpy(),
            "ch": tx["channel"].astype(object).to_numpy(),
        }
    )
    f = f[np.isfinite(f["v"]) & (f["v"] >= floor)]
    is_crypto = (f["ch"] == "crypto") | f["cur"].isin(list(crypto_currencies))
    fiat = f[~is_crypto]
    coin = f[is_crypto & f["cur"].isin(list(crypto_currencies))]
    if fiat.empty or coin.empty:
        return make_alerts("fiat_crypto_offramp", [])
    # only fiat payments followed by some stablecoin credit within the window can match
    w_s = seconds(window)
    ct = np.sort(coin["ts"].to_numpy(dtype="datetime64[us]").astype("int64") // 1_000_000)
    ft = fiat["ts"].to_numpy(dtype="datetime64[us]").astype("int64") // 1_000_000
    fiat = fiat[np.searchsorted(ct, ft + w_s, side="right") > np.searchsorted(ct, ft, side="left")]
    if fiat.empty:
        return make_alerts("fiat_crypto_offramp", [])
    own = owner_keys(tx, accounts, parties)
    a = fiat.merge(own.rename(columns={"account": "s"}), on="s")
    k = coin.merge(own.rename(columns={"account": "r"}), on="r")
    pairs = a.merge(k, on="owner", suffixes=("", "_c"))
    w = pd.Timedelta(seconds=seconds(window))
    pairs = pairs[(pairs["ts_c"] >= pairs["ts"]) & (pairs["ts_c"] <= pairs["ts"] + w)]
    pairs = pairs.assign(gap=(pairs["v_c"] - pairs["v"]).abs() / pairs["v"])
    pairs = pairs[pairs["gap"] <= tolerance]
    # the P2P counterparty must not be the same holder
    same = set(zip(own["account"], own["owner"], strict=True))
    pairs = pairs[[(r, o) not in same for r, o in zip(pairs["r"], pairs["owner"], strict=True)]]
    if pairs.empty:
        return make_alerts("fiat_crypto_offramp", [])
    pairs = pairs.assign(strong=pairs["owner"].str.startswith("party:"))
    pairs = pairs.sort_values(
        ["tx_id", "gap", "ts_c", "tx_id_c", "strong", "owner"], ascending=[True, True, True, True, False, True]
    )
    pairs = pairs.drop_duplicates("tx_id").sort_values(["gap", "ts", "tx_id"]).drop_duplicates("tx_id_c")
    rows = [_alert(str(acct), g, tolerance, window, currency) for acct, g in pairs.groupby("s", sort=True)]
    return make_alerts("fiat_crypto_offramp", rows)


def _alert(acct: str, g: pd.DataFrame, tolerance: float, window: str, currency: str | None) -> dict[str, Any]:
    g = g.sort_values(["ts", "tx_id"])
    n = len(g)
    fv, cv = float(g["v"].sum()), float(g["v_c"].sum())
    mean_gap = float(g["gap"].mean())
    strong = bool(g["strong"].all())
    link = ", ".join(sorted(set(g["owner"])))
    wallets = ", ".join(sorted(set(g["r_c"])))
    cps = ", ".join(sorted(set(g["r"])))
    coins = ", ".join(sorted(set(g["cur_c"])))
    amounts = (
        money(fv, currency) if n == 1 else f"{money(float(g['v'].min()), currency)} to {money(float(g['v'].max()))}"
    )
    reason = (
        f"{n} payment{'s' if n != 1 else ''} of {amounts} to {cps} {'was' if n == 1 else 'were each'} followed within "
        f"{span_text(window)} by {'a ' if n == 1 else ''}{coins} credit{'s' if n != 1 else ''} of similar value ({money(cv, currency)}, within {tolerance:.0%}) to "
        f"{wallets}, held by the same holder ({link})."
    )
    score = min(1.0, 0.5 + 0.1 * (n - 1) + 0.3 * (1 - mean_gap / tolerance if tolerance > 0 else 1)) * (
        1.0 if strong else 0.8
    )
    return {
        "entity": acct,
        "score": score,
        "start": g["ts"].min(),
        "end": g["ts_c"].max(),
        "tx_ids": [*g["tx_id"], *g["tx_id_c"]],
        "reason": reason,
        "n_pairs": n,
        "fiat_value": fv,
        "crypto_value": cv,
        "wallets": wallets,
        "counterparties": cps,
        "link": link,
    }
