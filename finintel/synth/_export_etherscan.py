"""Etherscan "Download CSV Export" of an address's normal (ETH) transactions.

Header exactly as Etherscan writes it, every field double-quoted:
``"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","ContractAddress",
"Value_IN(ETH)","Value_OUT(ETH)","CurrentValue @ $3000/Eth","TxnFee(ETH)","TxnFee(USD)",
"Historical $Price/Eth","Status","ErrCode","Method"`` (the CurrentValue header carries
the price of the day of export). Addresses lower case; values without trailing zeros;
a failed transaction has ``Status`` ``Error(0)`` and an ``ErrCode``.
"""

from __future__ import annotations

import csv
import math
from decimal import Decimal
from pathlib import Path

import pandas as pd

from finintel.synth._export_util import account_rows, digits

__all__ = ["eth_price", "write_etherscan"]

GENESIS_2024 = (1_704_067_200, 18_908_895)  # unix time and Ethereum block at 2024-01-01 00:00 UTC (12 s slots)


def eth_price(ts: pd.Timestamp) -> Decimal:
    """A made-up but plausible USD price of ETH on the day of `ts` (2,200 rising to ~3,800 over 2024 Q1)."""
    day = (ts.tz_convert("UTC").normalize() - pd.Timestamp("2024-01-01", tz="UTC")).days
    return Decimal(f"{2_250 + 17 * max(day, 0) + 90 * math.sin(day / 3):.2f}")


def write_etherscan(tx: pd.DataFrame, account: str, path: Path, *, current_price: int = 3_000) -> list[str]:
    """Write the Etherscan CSV of `account` (``eth:0x…``) to `path`; return the tx_ids written.

    Examples
    --------
    >>> import tempfile, finintel as fi
    >>> led = fi.synth.generate(5_000, seed=3, typologies=[])
    >>> a = led.transactions.loc[led.transactions["sender"].str.startswith("eth:"), "sender"].iloc[0]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     ids = write_etherscan(led.transactions, a, Path(d) / "e.csv")
    ...     head = (Path(d) / "e.csv").read_text().splitlines()[0]
    >>> head[:40]
    '"Txhash","Blockno","UnixTimestamp","Date'
    """
    rows = account_rows(tx, account)
    rows = rows[rows["currency"] == "ETH"]
    header = [
        "Txhash",
        "Blockno",
        "UnixTimestamp",
        "DateTime (UTC)",
        "From",
        "To",
        "ContractAddress",
        "Value_IN(ETH)",
        "Value_OUT(ETH)",
        f"CurrentValue @ ${current_price}/Eth",
        "TxnFee(ETH)",
        "TxnFee(USD)",
        "Historical $Price/Eth",
        "Status",
        "ErrCode",
        "Method",
    ]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writerow(header)
        for r in rows.itertuples(index=False):
            unix = int(r.timestamp.timestamp())
            value = Decimal(r.amount_exact)
            fee = Decimal(21_000 * (8 + int(digits(str(r.tx_id), 2)) % 30)) / Decimal(10**9)  # 8-37 gwei
            price = eth_price(r.timestamp)
            failed = r.status == "failed"
            w.writerow(
                [
                    r.tx_id,
                    GENESIS_2024[1] + (unix - GENESIS_2024[0]) // 12,
                    unix,
                    f"{r.timestamp:%Y-%m-%d %H:%M:%S}",
                    r.sender.split(":", 1)[1],
                    r.receiver.split(":", 1)[1],
                    "",
                    _plain(value if r.direction > 0 else Decimal(0)),
                    _plain(value if r.direction < 0 else Decimal(0)),
                    _plain(value * current_price),
                    _plain(fee),
                    _plain(fee * price),
                    _plain(price),
                    "Error(0)" if failed else "",
                    "Out of gas" if failed else "",
                    "Transfer",
                ]
            )
    return [str(t) for t in rows["tx_id"]]


def _plain(d: Decimal) -> str:
    """Etherscan's number style: no exponent, no trailing zeros (``0.09``, ``0``)."""
    text = format(d.normalize(), "f")
    return text if text != "-0" else "0"
