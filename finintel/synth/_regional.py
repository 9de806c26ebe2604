"""Planted typologies of trafficking and smuggling money in East Africa.

Recruitment-fee funnels, ransom corridors, crypto off-ramps through P2P traders,
dormant accounts that suddenly burst, and night-time activity; see
:mod:`finintel.synth._typologies` for the generic laundering shapes. Amounts
respect the wallet caps of the country's profile.

References
----------
FATF/APG, *Financial Flows from Human Trafficking* (2018); UNODC, *Global Report on
Trafficking in Persons* (2022); ESAAMLG typology reports on mobile money.
"""

from __future__ import annotations

import pandas as pd

from finintel.profiles import get_profile
from finintel.synth._plant import Planter
from finintel.synth._population import COUNTRY_CURRENCY, PER_KES

__all__ = ["crypto_offramp", "dormant_burst", "out_of_hours", "ransom_corridor", "recruitment_funnel"]

H = pd.Timedelta(hours=1)
_GULF = ["SA", "AE", "QA", "LB", "JO"]


def recruitment_funnel(p: Planter, slow: bool = False) -> None:
    """Many unrelated payers sending a similar fee to one recruiter, swept to a bank, then sent abroad."""
    cur = COUNTRY_CURRENCY[p.home]
    prof = p.profile()
    cap = float(prof["mm_tx_cap"] or 1e12)
    fee = round(min(35_000 * PER_KES[cur], 0.9 * cap) / 100) * 100  # one wallet transfer, under the cap
    n = int(p.rng.integers(15, 31))
    span = float(p.rng.uniform(14, 28))
    wallet = p.new_account("wallet", role="recruiter")
    person = next(x for x in p.pop.extra_parties if x["party_id"] == wallet["party_id"])
    bank = p.new_account("bank", person=person)
    payers = p.background_accounts("wallet", p.home, n)
    t0 = p.window(span + 6)
    ids: list[str] = []
    roles = {wallet["account"]: "recruiter", bank["account"]: "recruiter_bank"}
    held = swept = 0.0
    limit = 0.4 * float(prof["mm_balance_cap"] or 500_000)
    last = t0
    t0 = t0.normalize()
    for a, h in zip(payers, p.hours(span, n), strict=True):
        roles[a["account"]] = "payer"
        amt = float(round(fee * float(p.rng.uniform(0.97, 1.03)) / 100) * 100)
        last = t0 + float(h) * H
        ids.append(p.tx(last, a, wallet, amt, channel="mobile_money", description="Customer Transfer"))
        held += amt
        if held >= limit:
            ids += _sweep(p, last + 0.5 * H, wallet, bank, held)
            swept, held = swept + held, 0.0
    if held:
        ids += _sweep(p, last + 1 * H, wallet, bank, held)
        swept += held
    j = int(p.rng.integers(2, 5))
    out_total = swept * float(p.rng.uniform(0.75, 0.9))
    t1 = last + pd.Timedelta(days=1)
    for i in range(j):
        abroad = p.new_account("foreign", _GULF[int(p.rng.integers(len(_GULF)))], role="foreign_beneficiary")
        abroad["name"] = f"{['AL NOOR', 'GULF STAR', 'DESERT ROSE', 'AL FALAH'][i % 4]} MANPOWER SERVICES"
        roles[abroad["account"]] = "foreign_beneficiary"
        ids.append(
            p.tx(
                t1 + float(p.rng.uniform(0, 96)) * H,
                bank,
                abroad,
                round(out_total / j, 2),
                channel="remittance",
                description="Payment to agency",
            )
        )
    p.case(
        "recruitment_funnel",
        ids,
        roles,
        wallet["account"],
        slow=slow,
        params={
            "fee": fee,
            "payers": n,
            "fee_tolerance": 0.03,
            "recruiter": person["name"],
            "recruiter_party": person["party_id"],
        },
        description=f"{n} payers sent about {fee:,.0f} {cur} each to one recruiter, then {j} transfers abroad",
    )


def _sweep(
    p: Planter, when: pd.Timestamp, wallet: dict[str, object], bank: dict[str, object], amount: float
) -> list[str]:
    """Move `amount` from a wallet to its holder's bank account, in parts under the wallet cap."""
    parts = p.split(amount)
    return [
        p.tx(
            when + i * pd.Timedelta(minutes=4),
            wallet,
            bank,
            part,
            channel="mobile_money",
            description="Mobile Wallet to Bank",
        )
        for i, part in enumerate(parts)
    ]


def ransom_corridor(p: Planter, slow: bool = False) -> None:
    """Diaspora inflows from several senders converging on one wallet, each cashed out at an agent within hours."""
    del slow
    cc = "ET" if "ET" in p.countries else p.home
    cap = float(get_profile(cc)["mm_tx_cap"] or 30_000)
    collector = p.new_account("wallet", cc, role="collector")
    agent = p.new_account("agent", cc, role="cash_agent")
    k = int(p.rng.integers(4, 9))
    t = p.window(4.0)
    ids, roles = [], {collector["account"]: "collector", agent["account"]: "cash_agent"}
    for _ in range(k):
        sender = p.new_account(
            "foreign", ["SA", "AE", "GB", "US", "SE", "IL"][int(p.rng.integers(6))], role="diaspora_sender"
        )
        roles[sender["account"]] = "diaspora_sender"
        for _ in range(int(p.rng.integers(1, 3))):
            amt = float(round(cap * float(p.rng.uniform(0.5, 0.95))))
            ids.append(
                p.tx(
                    t,
                    sender,
                    collector,
                    amt,
                    channel="remittance",
                    currency=collector["currency"],
                    description="International Remittance",
                )
            )
            out = float(round(amt * float(p.rng.uniform(0.9, 1.0))))
            ids.append(
                p.tx(
                    t + float(p.rng.uniform(0.3, 4.0)) * H,
                    collector,
                    agent,
                    out,
                    channel="mobile_money",
                    description="Customer Withdrawal At Agent Till",
                )
            )
            t = t + float(p.rng.uniform(4, 14)) * H
    p.case(
        "ransom_corridor",
        ids,
        roles,
        collector["account"],
        params={"senders": k, "max_cash_out_hours": 4.0, "country": cc},
        description=f"{k} senders abroad paid one {cc} wallet, each payment withdrawn in cash within hours",
    )


def crypto_offramp(p: Planter, slow: bool = False) -> None:
    """Wallet payments to a P2P trader, each followed shortly by a USDT-TRC20 credit of similar value."""
    del slow
    cur = COUNTRY_CURRENCY[p.home]
    rate = PER_KES["USDT-TRC20"] / PER_KES[cur]  # USDT per unit of local currency
    wallet = p.new_account("wallet", role="customer")
    person = next(x for x in p.pop.extra_parties if x["party_id"] == wallet["party_id"])
    own_trx = p.new_account("trx", person=person)
    trader_w = p.new_account("wallet", role="p2p_trader")
    trader = next(x for x in p.pop.extra_parties if x["party_id"] == trader_w["party_id"])
    trader_trx = p.new_account("trx", person=trader)
    episodes = int(p.rng.integers(3, 6))
    t = p.window(episodes * 2.0)
    ids = []
    roles = {
        wallet["account"]: "customer",
        own_trx["account"]: "customer_crypto",
        trader_w["account"]: "p2p_trader",
        trader_trx["account"]: "p2p_trader_crypto",
    }
    for _ in range(episodes):
        amt = p.amount(120_000, 0.4)
        ids.append(p.tx(t, wallet, trader_w, amt, channel="mobile_money", description="Customer Transfer"))
        usdt = round(amt * rate * float(p.rng.uniform(0.975, 0.995)), 2)
        ids.append(
            p.tx(
                t + pd.Timedelta(minutes=float(p.rng.uniform(5, 90))),
                trader_trx,
                own_trx,
                usdt,
                channel="crypto",
                currency="USDT-TRC20",
                description="TRC20 USDT Transfer",
            )
        )
        t = t + pd.Timedelta(days=float(p.rng.uniform(1, 2)))
    p.case(
        "crypto_offramp",
        ids,
        roles,
        wallet["account"],
        params={"rate": rate, "max_delay_minutes": 90, "value_tolerance": 0.03, "episodes": episodes},
        description=f"{episodes} wallet payments to a P2P trader each followed within 90 minutes by a USDT credit",
    )


def dormant_burst(p: Planter, slow: bool = False) -> None:
    """An account used twice early, silent for weeks, then a burst of transfers within two days."""
    del slow
    acct = p.new_account("wallet", role="dormant")
    early = p.start + pd.Timedelta(days=float(p.rng.uniform(0, max(p.days * 0.08, 0.5)))) + 9 * H
    burst = p.start + pd.Timedelta(days=max(p.days - 3, 1)) + 8 * H
    if p.days > 10:
        burst = p.start + pd.Timedelta(days=int(p.rng.integers(int(p.days * 0.7), p.days - 2))) + 8 * H
    k = int(p.rng.integers(12, 26))
    peers = p.background_accounts("wallet", p.home, k + 2)
    ids, roles = [], {acct["account"]: "dormant"}
    ids.append(p.tx(early, peers[0], acct, p.amount(800), channel="mobile_money", description="Customer Transfer"))
    ids.append(
        p.tx(early + 5 * H, acct, peers[1], p.amount(500), channel="mobile_money", description="Customer Transfer")
    )
    for i, (peer, h) in enumerate(zip(peers[2:], sorted(p.rng.uniform(0, 46, k)), strict=True)):
        roles[peer["account"]] = "counterparty"
        a, b = (peer, acct) if i % 2 == 0 else (acct, peer)
        ids.append(
            p.tx(
                burst + float(h) * H,
                a,
                b,
                p.amount(40_000, 0.5),
                channel="mobile_money",
                description="Customer Transfer",
            )
        )
    roles.setdefault(peers[0]["account"], "counterparty")
    roles.setdefault(peers[1]["account"], "counterparty")
    quiet = (p.rows[-k]["timestamp"] - p.rows[-k - 1]["timestamp"]) / pd.Timedelta(days=1)
    p.case(
        "dormant_burst",
        ids,
        roles,
        acct["account"],
        params={"dormant_days": round(quiet, 2), "burst_hours": 48, "burst": k},
        description=f"silent for {quiet:.0f} days, then {k} transfers within two days",
    )


def out_of_hours(p: Planter, slow: bool = False) -> None:
    """Transfers made between midnight and 5 a.m. local time, night after night."""
    del slow
    acct = p.new_account("wallet", role="night_owl")
    k = int(p.rng.integers(8, 16))
    peers = p.background_accounts("wallet", p.home, k)
    span = int(p.rng.integers(7, 15))
    day0 = p.window(span + 1).normalize()
    ids, roles = [], {acct["account"]: "night_owl"}
    nights = sorted(p.rng.integers(0, span, k))
    for peer, night in zip(peers, nights, strict=True):
        roles[peer["account"]] = "counterparty"
        when = day0 + pd.Timedelta(days=int(night)) + pd.Timedelta(minutes=float(p.rng.uniform(30, 4.5 * 60)))
        ids.append(
            p.tx(when, acct, peer, p.amount(20_000, 0.5), channel="mobile_money", description="Customer Transfer")
        )
    p.case(
        "out_of_hours",
        ids,
        roles,
        acct["account"],
        params={"local_hours": [0, 5], "tz": "Africa/Nairobi"},
        description=f"{k} transfers between 00:30 and 05:00 local time over {span} nights",
    )
