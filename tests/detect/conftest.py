"""Small named ledgers for the detector tests, built from literal rows."""

from __future__ import annotations

import pandas as pd
import pytest

from finintel.testing import transactions


def _small() -> pd.DataFrame:
    """A KES ledger a few detectors fire on under the KE profile, plus quiet background."""
    rows: list[tuple | dict] = []
    # structuring: 4 transfers just under KES 1,000,000 from one account within 5 days
    for i, (amt, day) in enumerate([(950_000, 1), (980_000, 2), (990_000, 4), (960_000, 5)]):
        rows.append(("msisdn:+254700000001", f"acct:BANK/{i}", amt, f"2024-03-0{day} 10:00"))
    # fan-out: one wallet pays 12 new wallets within a day
    for i in range(12):
        rows.append(("msisdn:+254700000002", f"msisdn:+2547100000{i:02d}", 1_000 + i, f"2024-03-10 {8 + i:02d}:15"))
    # background: regular salary-like payments
    for d in range(1, 28):
        rows.append(("acct:EMPLOYER/1", "msisdn:+254700000003", 20_000, f"2024-02-{d:02d} 09:00"))
    # night-time activity
    for d in range(1, 8):
        rows.append(
            {
                "sender": "msisdn:+254700000004",
                "receiver": "msisdn:+254700000005",
                "amount": 5_000.0,
                "timestamp": f"2024-03-0{d} 21:30",
                "channel": "mobile_money",
            }
        )
    # a failed transfer (never counts)
    rows.append(
        {
            "sender": "msisdn:+254700000001",
            "receiver": "acct:BANK/9",
            "amount": 999_000.0,
            "timestamp": "2024-03-03 10:00",
            "status": "failed",
        }
    )
    return transactions(rows)


@pytest.fixture
def tx_small() -> pd.DataFrame:
    """About 50 KES transfers: structuring, fan-out, night activity and background."""
    return _small()
