"""Background activity: the ordinary transactions every real ledger is mostly made of.

Vectorised with numpy: counts per kind are drawn once, then each (kind, country)
group draws senders, receivers, amounts and times as arrays. Amounts are
heavy-tailed (log-normal per kind, in Kenyan-shilling terms, converted to the
rail's currency and clipped at the wallet cap of the country's profile); times
follow a weekly rhythm (quieter Sundays) and a daily one (little at night);
salaries land once a month between the 25th and the 28th.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finintel.profiles import get_profile
from finintel.synth._population import COUNTRY_CURRENCY, DECIMALS, PER_KES, Population

__all__ = ["HOURLY", "KINDS", "background"]

# kind: (share, median KES, sigma, channel, description)
KINDS: dict[str, tuple[float, float, float, str, str]] = {
    "p2p": (0.34, 900.0, 1.2, "mobile_money", "Customer Transfer"),
    "xborder": (0.015, 6_000.0, 1.0, "remittance", "Cross-border Mobile Money Transfer"),
    "cash_in": (0.12, 2_500.0, 1.0, "mobile_money", "Deposit of Funds at Agent Till"),
    "cash_out": (0.13, 2_000.0, 1.0, "mobile_money", "Customer Withdrawal At Agent Till"),
    "paybill": (0.14, 1_200.0, 1.1, "mobile_money", "Pay Bill"),
    "bank_p2p": (0.06, 15_000.0, 1.3, "bank", "Funds Transfer"),
    "salary": (0.03, 55_000.0, 0.6, "bank", "Salary"),
    "bank_to_mm": (0.03, 6_000.0, 1.0, "bank", "Bank to Mobile Wallet"),
    "mm_to_bank": (0.02, 8_000.0, 1.0, "mobile_money", "Mobile Wallet to Bank"),
    "remit_in": (0.05, 14_000.0, 0.9, "remittance", "International Remittance"),
    "remit_out": (0.01, 12_000.0, 0.9, "remittance", "International Transfer"),
    "usdt": (0.03, 20_000.0, 1.4, "crypto", "TRC20 USDT Transfer"),
    "exchange": (0.01, 25_000.0, 1.2, "crypto", "Exchange Deposit/Withdrawal"),
    "eth": (0.005, 40_000.0, 1.5, "crypto", "Transfer"),
}
# relative activity by local hour, 00..23
HOURLY = np.array(
    [
        0.15,
        0.08,
        0.05,
        0.04,
        0.05,
        0.2,
        0.6,
        1.2,
        1.8,
        2.0,
        2.0,
        2.0,
        2.1,
        2.0,
        1.9,
        1.9,
        2.0,
        2.2,
        2.3,
        2.1,
        1.7,
        1.2,
        0.7,
        0.35,
    ]
)
_WEEKDAY = np.array([1.0, 1.0, 1.0, 1.0, 1.1, 0.9, 0.6])  # Monday .. Sunday
US_PER_DAY = 86_400_000_000
EAT_OFFSET_US = 3 * 3_600_000_000  # KE, UG, ET and DJ are all UTC+3 without daylight saving


def background(rng: np.random.Generator, pop: Population, n: int, start: pd.Timestamp, days: int) -> pd.DataFrame:
    """`n` ordinary transactions among the background accounts of `pop`.

    Returns a frame with ``sender``/``receiver`` as row positions in ``pop.accounts``,
    ``amount``, ``currency``, ``channel``, ``status``, ``description``, ``kind`` and
    ``ts`` (int64 microseconds since the epoch, UTC).
    """
    acc = pop.accounts
    countries = sorted(set(acc.loc[acc["kind"] == "wallet", "country"]))
    shares = np.array([k[0] for k in KINDS.values()])
    counts = rng.multinomial(n, shares / shares.sum())
    parts: list[pd.DataFrame] = []
    weight = rng.lognormal(0.0, 1.0, len(acc))  # how active each account is
    day_w = _WEEKDAY[(start.dayofweek + np.arange(days)) % 7]
    day_p = day_w / day_w.sum()
    spill = 0
    for (kind, (_, median, sigma, channel, desc)), count in zip(KINDS.items(), counts, strict=True):
        count += spill
        spill = 0
        per_country = rng.multinomial(count, np.full(len(countries), 1 / len(countries)))
        for cc, k in zip(countries, per_country, strict=True):
            if k == 0:
                continue
            got = _kind(rng, pop, weight, kind, cc, int(k), start, days, day_p)
            if got is None:  # no accounts of this kind here (tiny populations): becomes person-to-person
                spill += int(k)
                continue
            snd, rcv, ts, local_cur = got
            cur = _currency(kind, local_cur)
            kes = rng.lognormal(np.log(median), sigma, int(len(snd)))
            amt = np.maximum(kes * PER_KES[cur], 10.0 ** -DECIMALS[cur] * 100)
            if channel == "mobile_money" or kind in ("cash_in", "bank_to_mm", "xborder"):
                cap = get_profile(cc)["mm_tx_cap"]
                amt = np.minimum(amt, cap * rng.uniform(0.3, 1.0, len(amt)) if cap else amt)
                amt = np.maximum(np.round(amt), 1.0)
            else:
                amt = np.round(amt, DECIMALS[cur])
                amt = np.maximum(amt, 10.0 ** -DECIMALS[cur])
            parts.append(
                pd.DataFrame(
                    {
                        "sender": snd,
                        "receiver": rcv,
                        "amount": amt,
                        "currency": cur,
                        "channel": channel,
                        "description": desc if kind != "salary" else "",
                        "kind": kind,
                        "ts": ts,
                    }
                )
            )
    if spill:
        got = _kind(rng, pop, weight, "p2p", countries[0], spill, start, days, day_p)
        if got is None:  # pragma: no cover - every population has hundreds of wallets
            raise RuntimeError("no wallets to carry background transfers")
        snd, rcv, ts, cur0 = got
        parts.append(
            pd.DataFrame(
                {
                    "sender": snd,
                    "receiver": rcv,
                    "amount": np.round(rng.lognormal(6.8, 1.0, spill) * PER_KES[cur0]) + 1,
                    "currency": cur0,
                    "channel": "mobile_money",
                    "description": "Customer Transfer",
                    "kind": "p2p",
                    "ts": ts,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    sal = out["kind"].to_numpy() == "salary"
    months = pd.to_datetime(out.loc[sal, "ts"] + EAT_OFFSET_US, unit="us").dt.strftime("%b %Y").str.upper()
    out.loc[sal, "description"] = "SALARY " + months
    u = rng.random(len(out))
    out["status"] = np.where(u < 0.008, "failed", np.where(u < 0.010, "reversed", "completed"))
    for col in ("currency", "channel", "description", "kind", "status"):
        out[col] = out[col].astype("category")
    return out


def _currency(kind: str, local: str) -> str:
    return {"usdt": "USDT-TRC20", "exchange": "USDT-TRC20", "eth": "ETH"}.get(kind, local)


def _pick(rng: np.random.Generator, pool: np.ndarray, weight: np.ndarray, k: int) -> np.ndarray:
    w = weight[pool]
    return pool[np.searchsorted(np.cumsum(w), rng.random(k) * w.sum(), side="right").clip(0, len(pool) - 1)]


def _times(rng: np.random.Generator, k: int, start: pd.Timestamp, day_p: np.ndarray) -> np.ndarray:
    day = rng.choice(len(day_p), k, p=day_p)
    hour = rng.choice(24, k, p=HOURLY / HOURLY.sum())
    sec = rng.integers(0, 3600, k)
    local = start.value // 1000 + day * US_PER_DAY + (hour * 3600 + sec) * 1_000_000
    return local - EAT_OFFSET_US


def _contacts(rng: np.random.Generator, pool: np.ndarray, senders: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Receivers: 70% among each sender's eight fixed contacts, 30% anyone in `pool`."""
    j = rng.integers(0, 8, len(senders))
    off = (pos * 2_654_435_761 + j * 40_503) % 997 + 1
    contact = pool[(pos + off) % len(pool)]
    anyone = pool[rng.integers(0, len(pool), len(senders))]
    return np.where(rng.random(len(senders)) < 0.7, contact, anyone)


def _kind(
    rng: np.random.Generator,
    pop: Population,
    weight: np.ndarray,
    kind: str,
    cc: str,
    k: int,
    start: pd.Timestamp,
    days: int,
    day_p: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str] | None:
    cur = COUNTRY_CURRENCY[cc]
    wallets, banks = pop.pool("wallet", cc), pop.pool("bank", cc)
    ts = _times(rng, k, start, day_p)
    if kind == "p2p":
        if len(wallets) < 2:
            return None
        snd = _pick(rng, wallets, weight, k)
        pos = np.searchsorted(wallets, snd)
        rcv = _contacts(rng, wallets, snd, pos)
        rcv = np.where(rcv == snd, wallets[(pos + 1) % len(wallets)], rcv)
        return snd, rcv, ts, cur
    if kind == "xborder":
        others = [c for c in sorted(set(pop.accounts.loc[pop.pool("wallet"), "country"])) if c != cc]
        if len(wallets) == 0 or not others:
            return None
        dst = np.concatenate([pop.pool("wallet", c) for c in others])
        return _pick(rng, wallets, weight, k), _pick(rng, dst, weight, k), ts, cur
    if kind == "exchange":
        return _exchange(rng, pop, k, ts)
    pools = {
        "cash_in": (pop.pool("agent", cc), wallets),
        "cash_out": (wallets, pop.pool("agent", cc)),
        "paybill": (wallets, pop.pool("paybill", cc)),
        "bank_p2p": (banks, banks),
        "remit_in": (pop.pool("foreign"), wallets),
        "remit_out": (wallets, pop.pool("foreign")),
        "usdt": (
            np.concatenate([pop.pool("trx"), pop.pool("hot")]),
            np.concatenate([pop.pool("trx"), pop.pool("hot")]),
        ),
        "eth": (pop.pool("eth"), pop.pool("eth")),
    }
    if kind in ("salary", "bank_to_mm", "mm_to_bank"):
        return _own_or_salary(rng, pop, kind, cc, k, start, days, ts, cur)
    src, dst = pools[kind]
    if len(src) == 0 or len(dst) == 0 or (kind in ("bank_p2p", "usdt", "eth") and len(src) < 2):
        return None
    snd = _pick(rng, src, weight, k)
    rcv = _pick(rng, dst, weight, k)
    same = snd == rcv
    rcv[same] = dst[(np.searchsorted(dst, rcv[same]) + 1) % len(dst)]
    return snd, rcv, ts, cur


def _own_or_salary(
    rng: np.random.Generator,
    pop: Population,
    kind: str,
    cc: str,
    k: int,
    start: pd.Timestamp,
    days: int,
    ts: np.ndarray,
    cur: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str] | None:
    banks = pop.pool("bank", cc)
    if len(banks) == 0:
        return None
    if kind == "salary":
        employers = pop.pool("employer", cc)
        local = pd.date_range(start, periods=days, freq="D")
        paydays = np.flatnonzero(local.day == 25)
        if len(employers) == 0 or len(paydays) == 0:
            return None
        n_paid = -(-k // len(paydays))
        staff = rng.choice(banks, min(n_paid, len(banks)), replace=n_paid > len(banks))
        staff = np.resize(staff, n_paid)
        rcv = np.repeat(staff, len(paydays))[:k]
        day = np.tile(paydays, n_paid)[:k] + rng.integers(0, 4, k)
        day = np.minimum(day, days - 1)
        snd = employers[(np.searchsorted(banks, rcv) * 7) % len(employers)]
        sec = rng.integers(8 * 3600, 11 * 3600, k)
        t = start.value // 1000 + day * US_PER_DAY + sec * 1_000_000 - EAT_OFFSET_US
        return snd, rcv, t, cur
    # moves between a person's own bank account and wallet (people as integer codes: isin on strings is slow)
    wallets = pop.pool("wallet", cc)
    person = pop.person_codes
    wallet_of = pd.Series(wallets, index=person[wallets])
    wallet_of = wallet_of[~wallet_of.index.duplicated()]
    pos = wallet_of.index.get_indexer(person[banks])
    banks, pos = banks[pos >= 0], pos[pos >= 0]
    if len(banks) == 0:
        return None
    pick = rng.integers(0, len(banks), k)
    b = banks[pick]
    w = wallet_of.to_numpy()[pos[pick]]
    return (b, w, ts, cur) if kind == "bank_to_mm" else (w, b, ts, cur)


def _exchange(
    rng: np.random.Generator, pop: Population, k: int, ts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str] | None:
    """Deposits from a person's own Tron wallet to their exchange account, and withdrawals back."""
    trx, exch = pop.pool("trx"), pop.pool("exch")
    person = pop.person_codes
    wallet_of = pd.Series(trx, index=person[trx])
    wallet_of = wallet_of[~wallet_of.index.duplicated()]
    pos = wallet_of.index.get_indexer(person[exch])
    exch, pos = exch[pos >= 0], pos[pos >= 0]
    if len(exch) == 0:
        return None
    pick = rng.integers(0, len(exch), k)
    e, w = exch[pick], wallet_of.to_numpy()[pos[pick]]
    deposit = rng.random(k) < 0.55
    return np.where(deposit, w, e), np.where(deposit, e, w), ts, "USDT-TRC20"
