"""Planted money-laundering shapes: structuring, limit splitting, fans, scatter/gather, cycles, mules, chains.

Each function plants one instance with a :class:`~finintel.synth._plant.Planter`
and records its ground truth. Thresholds and caps come from the jurisdiction
profile of the planter's home country (KE when served): structuring amounts fall
in ``[threshold * (1 - margin), threshold)``, wallet-limit splits in
``[0.9 * cap, cap]``. ``slow=True`` spreads the same shape over weeks.
"""

from __future__ import annotations

import pandas as pd

from finintel.synth._plant import Planter

__all__ = [
    "cycle",
    "fan_in",
    "fan_out",
    "gather_scatter",
    "layering_chain",
    "rapid_pass_through",
    "scatter_gather",
    "structuring",
    "wallet_limit_splitting",
]

H = pd.Timedelta(hours=1)


def structuring(p: Planter, slow: bool = False) -> None:
    """Repeated transfers (or cash deposits) in a band just below the reporting threshold within days."""
    prof = p.profile()
    threshold, margin = float(prof["reporting_threshold"]), float(prof["structuring_margin"])
    lo = threshold * (1 - margin)
    deposits = bool(p.rng.random() < 0.5)
    span = 20.0 if slow else 5.0
    k = int(p.rng.integers(4, 8))
    actor = p.new_account("bank", role="structurer")
    base = p.window(span + 3).normalize()
    t0 = base + pd.Timedelta(days=3)  # the money to structure out arrives in the days before
    offsets = p.hours(span, k)
    ids, roles = [], {actor["account"]: "structurer"}
    amounts = [float(p.rng.integers(int(lo) // 100, int(threshold) // 100)) * 100 for _ in range(k)]
    if deposits:
        branches = [
            {
                "account": f"cash:{actor['institution']} branch {b}",
                "name": f"{actor['institution']} {b} branch".upper(),
                "country": p.home,
                "currency": actor["currency"],
            }
            for b in ("Moi Avenue", "Westlands", "Kenyatta Avenue", "Eastleigh")
        ]
        for h, amt in zip(offsets, amounts, strict=True):
            br = branches[int(p.rng.integers(len(branches)))]
            roles.setdefault(br["account"], "branch")
            ids.append(p.tx(t0 + h * H, br, actor, amt, channel="cash", description="Cash deposit"))
    else:
        source = p.new_account("foreign", "AE", role="funding_source")
        source["name"] = "AL MANARA GENERAL TRADING LLC"
        roles[source["account"]] = "funding_source"
        lump = round(sum(amounts) * float(p.rng.uniform(1.02, 1.15)), -2)
        arrival = base + pd.Timedelta(days=int(p.rng.integers(0, 3))) + float(p.rng.uniform(9, 15)) * H
        ids.append(
            p.tx(
                arrival,
                source,
                actor,
                lump,
                channel="remittance",
                currency=actor["currency"],
                description="Inward remittance",
            )
        )
        dests = p.background_accounts("bank", p.home, int(p.rng.integers(2, 5)))
        for h, amt in zip(offsets, amounts, strict=True):
            d = dests[int(p.rng.integers(len(dests)))]
            roles.setdefault(d["account"], "beneficiary")
            ids.append(p.tx(t0 + h * H, actor, d, amt, channel="bank", description="Funds Transfer"))
    p.case(
        "structuring",
        ids,
        roles,
        actor["account"],
        slow=slow,
        params={
            "threshold": threshold,
            "band": [lo, threshold],
            "window_days": span,
            "side": "receiver" if deposits else "sender",
            "legs": k,
        },
        description=f"{k} {'cash deposits' if deposits else 'transfers'} each just under the {threshold:,.0f} reporting threshold",
    )


def wallet_limit_splitting(p: Planter, slow: bool = False) -> None:
    """A wallet topped up from its holder's bank each day, then emptied in transfers close to the per-transaction cap.

    At most two transfers a day, so the daily and balance caps of the profile hold as they would on a real wallet.
    """
    prof = p.profile()
    cap = float(prof["mm_tx_cap"] or 250_000)
    lo = 0.9 * cap
    k = int(p.rng.integers(6, 11))
    actor = p.new_account("wallet", role="splitter")
    holder = next(x for x in p.pop.extra_parties if x["party_id"] == actor["party_id"])
    bank = p.new_account("bank", person=holder)
    dests = p.background_accounts("wallet", p.home, int(p.rng.integers(1, 4)))
    t0 = p.window(k / 2 + 2)
    ids, roles = [], {actor["account"]: "splitter", bank["account"]: "funding_account"}
    for day in range(0, k, 2):
        amounts = [float(p.rng.integers(int(lo), int(cap) + 1)) for _ in range(min(2, k - day))]
        start = t0 + pd.Timedelta(days=day // 2) + float(p.rng.uniform(0, 6)) * H
        ids.append(p.tx(start, bank, actor, sum(amounts), channel="bank", description="Bank to Mobile Wallet"))
        for i, amt in enumerate(amounts):
            d = dests[(day + i) % len(dests)]
            roles.setdefault(d["account"], "beneficiary")
            when = start + float(p.rng.uniform(0.2, 1.5)) * H + i * float(p.rng.uniform(0.2, 3.0)) * H
            ids.append(p.tx(when, actor, d, amt, channel="mobile_money", description="Customer Transfer"))
    p.case(
        "wallet_limit_splitting",
        ids,
        roles,
        actor["account"],
        slow=slow,
        params={"cap": cap, "band": [lo, cap], "daily_cap": prof["mm_daily_cap"], "transfers": k},
        description=f"{k} wallet transfers each within 10% of the {cap:,.0f} per-transaction cap, topped up from a bank daily",
    )


def fan_in(p: Planter, slow: bool = False) -> None:
    """Many distinct senders paying one hub within a window (days, or weeks when slow)."""
    span = float(p.rng.uniform(21, 35)) if slow else 2.0
    k = int(p.rng.integers(10, 21))
    hub = p.new_account("wallet", role="hub")
    members = p.background_accounts("wallet", p.home, k)
    t0 = p.window(span).normalize()
    ids = [
        p.tx(t0 + float(h) * H, m, hub, p.amount(6_000), channel="mobile_money", description="Customer Transfer")
        for m, h in zip(members, p.hours(span, k), strict=True)
    ]
    roles = {hub["account"]: "hub", **{m["account"]: "sender" for m in members}}
    p.case(
        "fan_in",
        ids,
        roles,
        hub["account"],
        slow=slow,
        params={"window_days": span, "senders": k},
        description=f"{k} distinct senders paid one wallet within {span:.0f} days",
    )


def fan_out(p: Planter, slow: bool = False) -> None:
    """One hub paying many distinct receivers within a window."""
    span = float(p.rng.uniform(21, 35)) if slow else 2.0
    k = int(p.rng.integers(10, 21))
    hub = p.new_account("wallet", role="hub")
    members = p.background_accounts("wallet", p.home, k)
    t0 = p.window(span).normalize()
    ids = [
        p.tx(t0 + float(h) * H, hub, m, p.amount(5_000), channel="mobile_money", description="Customer Transfer")
        for m, h in zip(members, p.hours(span, k), strict=True)
    ]
    roles = {hub["account"]: "hub", **{m["account"]: "receiver" for m in members}}
    p.case(
        "fan_out",
        ids,
        roles,
        hub["account"],
        slow=slow,
        params={"window_days": span, "receivers": k},
        description=f"one wallet paid {k} distinct receivers within {span:.0f} days",
    )


def scatter_gather(p: Planter, slow: bool = False) -> None:
    """A -> {B1..Bk} -> C: each intermediary forwards most of what it got, after getting it."""
    k = int(p.rng.integers(3, 7))
    gap = (2.0, 10.0) if slow else (0.5, 8.0)  # days when slow, else hours
    unit = pd.Timedelta(days=1) if slow else H
    src = p.new_account("bank", role="source")
    dst = p.new_account("bank", role="sink")
    mids = [p.new_account("wallet", role="intermediary") for _ in range(k)]
    t0 = p.window(25.0 if slow else 2.0)
    ids, roles = [], {src["account"]: "source", dst["account"]: "sink"}
    for i, m in enumerate(mids):
        roles[m["account"]] = "intermediary"
        amt = p.amount(120_000, 0.3)
        t_in = t0 + (i * 1.5 if slow else i * 0.2) * unit
        ids.append(p.tx(t_in, src, m, amt, channel="bank", description="Bank to Mobile Wallet"))
        t_out = t_in + float(p.rng.uniform(*gap)) * unit
        ids.append(
            p.tx(
                t_out,
                m,
                dst,
                round(amt * float(p.rng.uniform(0.95, 0.99))),
                channel="mobile_money",
                description="Mobile Wallet to Bank",
            )
        )
    p.case(
        "scatter_gather",
        ids,
        roles,
        src["account"],
        slow=slow,
        params={"intermediaries": k},
        description=f"one account scattered funds over {k} wallets that forwarded them to one account",
    )


def gather_scatter(p: Planter, slow: bool = False) -> None:
    """{A1..Ak} -> M -> {C1..Cj}: every outflow of the middle account follows all its inflows."""
    k, j = int(p.rng.integers(4, 9)), int(p.rng.integers(3, 6))
    span_in = 14.0 if slow else 1.0
    mid = p.new_account("wallet", role="middle")
    payers = p.background_accounts("wallet", p.home, k)
    outs = [p.new_account("wallet", role="beneficiary") for _ in range(j)]
    t0 = p.window(span_in * 2 + 1)
    ids, roles, total = [], {mid["account"]: "middle"}, 0.0
    t0 = t0.normalize()
    for a, h in zip(payers, p.hours(span_in, k), strict=True):
        roles[a["account"]] = "payer"
        amt = p.amount(20_000, 0.4)
        total += amt
        ids.append(p.tx(t0 + float(h) * H, a, mid, amt, channel="mobile_money", description="Customer Transfer"))
    t1 = t0 + pd.Timedelta(days=int(span_in))
    share = total * float(p.rng.uniform(0.9, 0.98)) / j
    for c, h in zip(outs, p.hours(span_in, j), strict=True):
        roles[c["account"]] = "beneficiary"
        for n, part in enumerate(p.split(share)):
            when = t1 + float(h) * H + n * pd.Timedelta(minutes=3)
            ids.append(p.tx(when, mid, c, part, channel="mobile_money", description="Customer Transfer"))
    p.case(
        "gather_scatter",
        ids,
        roles,
        mid["account"],
        slow=slow,
        params={"payers": k, "beneficiaries": j},
        description=f"{k} payers into one wallet, then {j} payouts of most of it",
    )


def cycle(p: Planter, slow: bool = False, length: int | None = None) -> None:
    """A time-respecting cycle of 2-6 accounts returning most of the value to where it started."""
    n = length or int(p.rng.integers(2, 7))
    kinds = ["bank", "wallet"]
    accts = [p.new_account(kinds[i % 2], role="cycle") for i in range(n)]
    unit = pd.Timedelta(days=1) if slow else H
    gaps = p.rng.uniform(4, 9, n) if slow else p.rng.uniform(1, 30, n)
    t = p.window(float(gaps.sum() * (1 if slow else 1 / 24)) + 1)
    amt = p.amount(180_000, 0.2)
    ids, roles = [], {}
    for i in range(n):
        a, b = accts[i], accts[(i + 1) % n]
        roles[a["account"]] = "origin" if i == 0 else "link"
        channel = "bank" if a["kind"] == "bank" else "mobile_money"
        ids.append(
            p.tx(
                t,
                a,
                b,
                amt,
                channel=channel,
                description="Funds Transfer" if channel == "bank" else "Customer Transfer",
            )
        )
        t = t + float(gaps[i]) * unit
        amt = round(amt * float(p.rng.uniform(0.96, 0.995)))
    p.case(
        "cycle",
        ids,
        roles,
        accts[0]["account"],
        slow=slow,
        params={"length": n},
        description=f"a cycle of {n} accounts returning the money to where it started",
    )


def rapid_pass_through(p: Planter, slow: bool = False) -> None:
    """A mule wallet: money in from a few senders, out to one account within hours, little left behind."""
    del slow
    mule = p.new_account("wallet", role="mule")
    dest = p.new_account("bank", role="collector")
    episodes = int(p.rng.integers(2, 4))
    t = p.window(episodes * 3.0)
    ids, roles, residual = [], {mule["account"]: "mule", dest["account"]: "collector"}, 0.0
    for _ in range(episodes):
        senders = p.background_accounts("wallet", p.home, int(p.rng.integers(2, 5)))
        got = 0.0
        for s in senders:
            roles[s["account"]] = "sender"
            amt = p.amount(30_000, 0.4)
            got += amt
            ids.append(p.tx(t, s, mule, amt, channel="mobile_money", description="Customer Transfer"))
            t = t + float(p.rng.uniform(0.1, 1.0)) * H
        out = float(round(got * float(p.rng.uniform(0.93, 0.99))))
        residual += got - out
        t = t + float(p.rng.uniform(0.5, 4.5)) * H
        for part in p.split(out):  # a wallet cannot send more than its cap at once
            ids.append(p.tx(t, mule, dest, part, channel="mobile_money", description="Mobile Wallet to Bank"))
            t = t + float(p.rng.uniform(2, 6)) * pd.Timedelta(minutes=1)
        t = t + pd.Timedelta(days=float(p.rng.uniform(1, 2.5)))
    p.case(
        "rapid_pass_through",
        ids,
        roles,
        mule["account"],
        params={"episodes": episodes, "max_hold_hours": 6.0},
        description=f"{episodes} times money in and out of one wallet within hours, {residual:,.0f} left behind",
    )


def layering_chain(p: Planter, slow: bool = False) -> None:
    """A chain of at least three hops across bank and wallet accounts, each keeping most of the value."""
    hops = int(p.rng.integers(3, 7))
    accts = [p.new_account(["bank", "wallet"][i % 2], role="layer") for i in range(hops + 1)]
    unit = pd.Timedelta(days=1) if slow else H
    t = p.window(hops * (8.0 if slow else 1.0) + 1)
    amt = p.amount(200_000, 0.15)
    first = amt
    ids, roles = [], {}
    for i in range(hops):
        a, b = accts[i], accts[i + 1]
        roles[a["account"]] = "origin" if i == 0 else "layer"
        channel = "bank" if a["kind"] == "bank" else "mobile_money"
        ids.append(p.tx(t, a, b, amt, channel=channel, description="Funds Transfer"))
        t = t + float(p.rng.uniform(2, 8) if slow else p.rng.uniform(1, 20)) * unit
        amt = round(amt * float(p.rng.uniform(0.95, 0.995)))
    roles[accts[-1]["account"]] = "destination"
    last = p.rows[-1]["amount"]
    p.case(
        "layering_chain",
        ids,
        roles,
        accts[0]["account"],
        slow=slow,
        params={"hops": hops, "kept": round(last / first, 4)},
        description=f"{hops} hops keeping {last / first:.0%} of the value",
    )
