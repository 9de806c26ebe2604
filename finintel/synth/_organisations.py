"""Organisations of the synthetic population: agents, paybills, employers, remitters abroad, exchange hot wallets."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from finintel.synth._codes import IBAN_SHAPE, bank_key, iban, tron_address
from finintel.synth._names import BANKS, COUNTRY_CURRENCY, EMPLOYERS, EXCHANGES, FAMILY, GIVEN, MERCHANTS, WALLETS

__all__ = ["FOREIGN", "organisations"]

FOREIGN = ["SA", "AE", "QA", "GB", "US", "LB", "JO", "LY"]


def organisations(rng: np.random.Generator, n_people: int, served: list[str]) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    n_agents = max(20, n_people // 60)
    tills = rng.choice(900_000, n_agents, replace=False) + 100_000
    for i, till in enumerate(tills):
        cc = served[i % len(served)]
        rows.append(
            {
                "account": f"cash:agent-till-{till}",
                "party_id": f"O-AG{i:05d}",
                "kind": "agent",
                "country": cc,
                "institution": WALLETS[cc],
                "name": f"{rng.choice(FAMILY[cc]).upper()} {rng.choice(['AGENCIES', 'SHOP', 'ENTERPRISES', 'COMMUNICATIONS'])}",
            }
        )
    paybills = rng.choice(900_000, sum(len(v) for v in MERCHANTS.values()) * 3, replace=False) + 100_000
    k = 0
    for cc in served:
        for rep in range(3):
            for name in MERCHANTS[cc]:
                label = name if rep == 0 else f"{name} {['', 'BRANCH', 'OUTLET'][rep]} {k}"
                rows.append(
                    {
                        "account": f"paybill:{paybills[k]}",
                        "party_id": f"O-PB{k:05d}",
                        "kind": "paybill",
                        "country": cc,
                        "institution": WALLETS[cc],
                        "name": label,
                    }
                )
                k += 1
    n_emp = max(10, n_people // 200)
    for i in range(n_emp):
        cc = served[i % len(served)]
        bank = str(rng.choice(BANKS[cc]))
        rows.append(
            {
                "account": bank_key(bank, str(rng.integers(10**12, 10**13))),
                "party_id": f"O-EM{i:05d}",
                "kind": "employer",
                "country": cc,
                "institution": bank,
                "name": f"{rng.choice(FAMILY[cc]).upper()} {rng.choice(EMPLOYERS)}",
            }
        )
    n_foreign = max(20, n_people // 50)
    for i in range(n_foreign):
        cc = FOREIGN[i % len(FOREIGN)]
        src = served[i % len(served)]
        key = f"iban:{iban(cc, rng)}" if cc in IBAN_SHAPE else f"acct:{cc}-REMIT/{rng.integers(10**9, 10**10)}"
        rows.append(
            {
                "account": key,
                "party_id": f"O-FX{i:05d}",
                "kind": "foreign",
                "country": cc,
                "institution": f"{cc} remittance",
                "name": f"{rng.choice(GIVEN[src])} {rng.choice(FAMILY[src])}".upper(),
                "currency": "USD",
            }
        )
    for i, ex in enumerate(EXCHANGES):
        rows.append(
            {
                "account": f"trx:{tron_address(rng)}",
                "party_id": f"O-EX{i:02d}",
                "kind": "hot",
                "country": "SC",
                "institution": ex,
                "name": f"{ex.upper()} HOT WALLET",
                "currency": "USDT-TRC20",
            }
        )
    df = pd.DataFrame(rows)
    df["person"] = df["party_id"]
    df["currency"] = (
        df["currency"].fillna(df["country"].map(COUNTRY_CURRENCY))
        if "currency" in df
        else df["country"].map(COUNTRY_CURRENCY)
    )
    return df[["account", "party_id", "person", "kind", "country", "currency", "institution", "name"]]
