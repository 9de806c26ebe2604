"""TronScan CSV of an address's TRC-20 (USDT) transfers, in the two shapes found in the wild.

* ``variant="ui"``: the tronscan.org "Download CSV" export, written for people:
  ``Txn Hash,Block,Time(UTC),From,To,Token,Amount,Result`` with ``Time(UTC)`` a UTC
  date-time and ``Amount`` in token units (``773.5``). Token units go under a human header,
  never under the API's ``quant`` (an integer in the smallest unit): a ``quant`` of
  ``1000`` with no ``tokenDecimal`` beside it could be 1000 USDT or 0.001 USDT;
* ``variant="api"``: the ``/api/token_trc20/transfers`` records flattened to CSV,
  ``transaction_id,block_ts,from_address,to_address,quant,tokenAbbr,tokenDecimal,
  contract_address,confirmed,finalResult`` with ``block_ts`` in milliseconds and ``quant``
  an integer in the token's smallest unit (``773500000`` for 773.5 USDT, 6 decimals).

Failed transfers have ``Result``/``finalResult`` ``REVERT``. Only on-chain transfers are
written: movements booked inside an exchange (``exch:`` accounts) are not on TronScan.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Literal

import pandas as pd

from finintel.synth._export_util import account_rows

__all__ = ["USDT_TRC20_CONTRACT", "write_tronscan"]

USDT_TRC20_CONTRACT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
GENESIS_2024 = (1_704_067_200, 57_451_000)  # unix time and approximate Tron block at 2024-01-01 (3 s blocks)


def write_tronscan(tx: pd.DataFrame, account: str, path: Path, *, variant: Literal["ui", "api"] = "ui") -> list[str]:
    """Write the TRC-20 transfers of `account` (``trx:T…``) to `path`; return the tx_ids written.

    Examples
    --------
    >>> import tempfile, finintel as fi
    >>> led = fi.synth.generate(3_000, seed=3, typologies=[])
    >>> a = led.transactions.loc[led.transactions["currency"] == "USDT-TRC20", "sender"].iloc[0]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = write_tronscan(led.transactions, a, Path(d) / "t.csv")
    ...     (Path(d) / "t.csv").read_text().splitlines()[0]
    'Txn Hash,Block,Time(UTC),From,To,Token,Amount,Result'
    """
    rows = account_rows(tx, account)
    on_chain = rows["sender"].str.startswith("trx:") & rows["receiver"].str.startswith("trx:")
    rows = rows[(rows["currency"] == "USDT-TRC20") & on_chain].sort_values(
        ["timestamp", "tx_id"], ascending=False, kind="stable"
    )
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        if variant == "ui":
            w.writerow(["Txn Hash", "Block", "Time(UTC)", "From", "To", "Token", "Amount", "Result"])
        else:
            w.writerow(
                [
                    "transaction_id",
                    "block_ts",
                    "from_address",
                    "to_address",
                    "quant",
                    "tokenAbbr",
                    "tokenDecimal",
                    "contract_address",
                    "confirmed",
                    "finalResult",
                ]
            )
        for r in rows.itertuples(index=False):
            unix = int(r.timestamp.timestamp())
            result = "REVERT" if r.status == "failed" else "SUCCESS"
            value = Decimal(r.amount_exact)
            src, dst = r.sender.split(":", 1)[1], r.receiver.split(":", 1)[1]
            if variant == "ui":
                w.writerow(
                    [
                        r.tx_id,
                        GENESIS_2024[1] + (unix - GENESIS_2024[0]) // 3,
                        f"{r.timestamp:%Y-%m-%d %H:%M:%S}",
                        src,
                        dst,
                        "USDT",
                        format(value.normalize(), "f"),
                        result,
                    ]
                )
            else:
                w.writerow(
                    [
                        r.tx_id,
                        unix * 1000 + int(r.timestamp.microsecond // 1000),
                        src,
                        dst,
                        int(value * 10**6),
                        "USDT",
                        6,
                        USDT_TRC20_CONTRACT,
                        "true",
                        result,
                    ]
                )
    return [str(t) for t in rows["tx_id"]]
