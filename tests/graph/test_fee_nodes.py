"""``fee:`` keys (an account's charges, taxes and interest) are their own kind of node and a sink for traces."""

from __future__ import annotations

import pytest

from finintel.graph import flow_graph, node_kind, trace
from finintel.testing import transactions
from finintel.viz._legend import KIND_LABELS, KIND_SHAPES, kind_of_key

A, B = "msisdn:+254711000001", "msisdn:+254711000002"
FEE_A = "fee:" + A


def test_fee_node_has_its_own_kind_in_graph_and_legend() -> None:
    tx = transactions([(A, B, 1_000, "2024-03-01"), (A, FEE_A, 23, "2024-03-01"), (FEE_A, A, 5, "2024-03-02")])
    g = flow_graph(tx)
    assert g.nodes[FEE_A]["kind"] == "fees"
    assert g.nodes[A]["kind"] == "wallet"  # the wallet behind it keeps its own kind
    assert node_kind("fee:acct:KCB-BANK-KENYA/1") == "fees"
    assert kind_of_key(FEE_A) == "fees" and KIND_SHAPES["fees"] != KIND_SHAPES["other"]
    assert "charges" in KIND_LABELS["fees"]


def test_trace_stops_at_charges_and_reports_them() -> None:
    # victim -> A 1,000; A pays 30 of charges, then sends 970 on to B: the charge is spent, not a path
    tx = transactions(
        [
            ("victim", A, 1_000, "2024-03-01 08:00"),
            (A, FEE_A, 30, "2024-03-01 09:00"),
            (A, B, 970, "2024-03-01 10:00"),
            (FEE_A, "msisdn:+254711000009", 30, "2024-03-01 11:00"),
        ]  # fmt: skip
    )
    h = trace(tx, ["t1"], rule="fifo").holders.set_index("account")
    assert h.loc[FEE_A, "status"] == "charges" and h.loc[FEE_A, "amount"] == pytest.approx(30.0)
    assert h.loc[B, ["status", "amount"]].tolist() == ["held", 970.0]
    assert "msisdn:+254711000009" not in h.index  # value never leaves a fee node


def test_backward_trace_names_bank_credits_as_charges() -> None:
    tx = transactions([(FEE_A, A, 12.5, "2024-03-01 08:00"), (A, B, 12.5, "2024-03-01 09:00")])
    h = trace(tx, ["t2"], direction="backward").holders.set_index("account")
    assert h.loc[FEE_A, ["status", "amount"]].tolist() == ["charges", 12.5]
