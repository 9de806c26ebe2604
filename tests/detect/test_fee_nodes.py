"""A ``fee:`` node (one account's charges, taxes and interest) is never a relay of a loop or a chain."""

from __future__ import annotations

import pandas as pd

from finintel.detect._graph_kernels import edge_arrays
from finintel.detect.cycle import cycle
from finintel.detect.layering_chain import layering_chain
from finintel.testing import transactions

M1, M2, M3 = "msisdn:+254711000001", "msisdn:+254711000002", "msisdn:+254711000003"


def _loop(relay: str) -> pd.DataFrame:
    return transactions(
        [
            (M3, M1, 200_000, "2024-03-04 08:00"),
            (M1, relay, 190_000, "2024-03-04 12:00"),
            (relay, M2, 185_000, "2024-03-05 09:00"),
            (M2, M3, 180_000, "2024-03-06 08:00"),
        ]
    )


def test_loop_through_a_fee_node_is_no_cycle() -> None:
    assert len(cycle(_loop("msisdn:+254711000004"), profile="KE")) == 1  # control: the same loop via a person
    assert len(cycle(_loop("fee:" + M1), profile="KE")) == 0


def test_charge_then_interest_is_no_two_hop_cycle() -> None:
    fee = "fee:" + M1
    tx = transactions([(M1, fee, 500_000, "2024-03-01 08:00"), (fee, M1, 480_000, "2024-03-01 09:00")])
    assert len(cycle(tx, profile="KE", min_length=2)) == 0
    assert len(cycle(transactions([(M1, M2, 500_000, "2024-03-01 08:00"), (M2, M1, 480_000, "2024-03-01 09:00")]),
                     profile="KE", min_length=2)) == 1  # fmt: skip


def test_chain_through_a_fee_node_is_no_chain() -> None:
    t0 = pd.Timestamp("2024-03-03 09:00")
    path = ["msisdn:+254700100100", "msisdn:+254700100101", "fee:msisdn:+254700100101", "msisdn:+256772000001",
            "trx:TQdest0000000000000000000000001", "acct:EQUITY/0099"]  # fmt: skip
    rows = [(path[i], path[i + 1], round(300_000 * 0.97**i, 2), t0 + pd.Timedelta(hours=5 * i)) for i in range(5)]
    assert len(layering_chain(transactions(rows), profile="KE")) == 0  # 2 hops either side of it: too short
    person = "msisdn:+254700100199"  # control: the same 5 hops through a person are a chain
    control = [(person if s == path[2] else s, person if r == path[2] else r, *x) for s, r, *x in rows]
    assert len(layering_chain(transactions(control), profile="KE")) == 1


def test_fee_keys_are_institutional() -> None:
    e = edge_arrays(transactions([(M1, "fee:" + M1, 10, "2024-03-01"), (M1, M2, 10, "2024-03-01")]))
    assert dict(zip(e.accounts, e.institutional().tolist(), strict=True)) == {"fee:" + M1: True, M1: False, M2: False}
