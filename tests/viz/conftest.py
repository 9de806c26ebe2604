import json
import re
from pathlib import Path

import pandas as pd
import pytest

from finintel.testing import transactions

HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script></script><!--'


def map_data(path: Path) -> dict:
    """The JSON block a map page draws from."""
    text = Path(path).read_text(encoding="utf-8")
    m = re.search(r"<script type='application/json' id='finintel-data'>(.*?)</script>", text, re.S)
    assert m, "no data block in the page"
    return json.loads(m.group(1))


@pytest.fixture
def tx_case() -> pd.DataFrame:
    """A small trafficking-style case: victims' families pay a recruiter, who passes money on."""
    rows = [
        dict(
            sender="msisdn:+254700000001",
            receiver="msisdn:+254711111111",
            amount=9_500.0,
            timestamp="2024-03-01 08:00",
            sender_name="Amina Yusuf",
            receiver_name=HOSTILE,
            channel="mobile_money",
            description=HOSTILE,
            sender_country="KE",
            receiver_country="KE",
        ),
        dict(
            sender="msisdn:+254700000002",
            receiver="msisdn:+254711111111",
            amount=9_800.0,
            timestamp="2024-03-02 23:30",
            sender_name="ሙሉጌታ በቀለ",
            receiver_name="Recruiter",
            channel="mobile_money",
            sender_country="ET",
            receiver_country="KE",
        ),
        dict(
            sender="msisdn:+254711111111",
            receiver="acct:KCB/0012345",
            amount=15_000.0,
            timestamp="2024-03-05 10:00",
            channel="bank",
            sender_country="KE",
            receiver_country="KE",
        ),
        dict(
            sender="acct:KCB/0012345",
            receiver="trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
            amount=14_000.0,
            timestamp="2024-03-06 11:00",
            channel="crypto",
            sender_country="KE",
            receiver_country="AE",
        ),
        dict(
            sender="acct:KCB/0012345",
            receiver="cash:Agent 7",
            amount=500.0,
            timestamp="2024-03-07 12:00",
            channel="cash",
            status="failed",
        ),
    ]
    return transactions(rows)


@pytest.fixture
def alerts_case() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "alert_id": ["fan_in:1", "structuring:2", "layering:3"],
            "detector": ["fan_in", "structuring", "layering"],
            "entity": ["msisdn:+254711111111", "msisdn:+254711111111", "acct:KCB/0012345"],
            "score": [0.5, 0.5, 0.9],
            "start": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-03-05"], utc=True),
            "end": pd.to_datetime(["2024-03-02", "2024-03-02", "2024-03-06"], utc=True),
            "tx_ids": [["t1", "t2"], ["t1", "t2"], ["t3", "t4"]],
            "reason": ["2 senders in 2 days " + HOSTILE, "2 transfers just under 10,000", "in and out within 1 day"],
        }
    )
