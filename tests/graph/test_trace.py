"""Hand-built ledgers; every expected number is worked out in the comments."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.errors import InputError
from finintel.graph import trace
from finintel.testing import transactions


@pytest.fixture
def ledger():
    # x pays A 50 (clean) on 1 Mar; the victim pays A 100 on 2 Mar; A sends 60 to B (3 Mar), then 90 to C (4 Mar).
    return transactions(
        [
            ("x", "A", 50, "2024-03-01"),
            ("victim", "A", 100, "2024-03-02"),
            ("A", "B", 60, "2024-03-03"),
            ("A", "C", 90, "2024-03-04"),
        ]
    )


def held(t):
    return dict(zip(t.holders["account"], t.holders["amount"], strict=True))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # FIFO: A's balance is [50 clean, 100 tainted]; the 60 takes 50 clean + 10 tainted; the 90 takes 90 tainted.
        ("fifo", {"B": 10.0, "C": 90.0}),
        # LIFO: the 60 takes the newest 60 tainted; left [50 clean, 40 tainted]; the 90 takes 40 tainted + 50 clean.
        ("lifo", {"B": 60.0, "C": 40.0}),
        # proportional: 100/150 tainted; the 60 carries 40 (A keeps 60 tainted of 90); the 90 carries all 60.
        ("proportional", {"B": 40.0, "C": 60.0}),
    ],
)
def test_forward_rules(ledger, rule, expected):
    t = trace(ledger, ["t2"], rule=rule)
    assert held(t) == pytest.approx(expected)
    assert t.total == 100.0
    assert t.holders["share"].sum() == pytest.approx(1.0)
    assert set(t.holders["status"]) == {"held"}
    steps = t.steps.set_index("tx_id")
    assert steps.loc["t2", "hop"] == 1 and steps.loc["t2", "amount"] == 100.0
    assert steps.loc["t3", "amount"] == pytest.approx(expected["B"])
    assert steps.loc["t3", "hop"] == 2 and steps.loc["t3", "from"] == "A" and steps.loc["t3", "to"] == "B"
    assert steps.loc["t3", "share"] == pytest.approx(expected["B"] / 100)
    last = t.holders.set_index("account")["last_movement"]
    assert last["C"] == pd.Timestamp("2024-03-04", tz="UTC")


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # FIFO at A: t3 (60) used x's 50 + 10 of the victim's; t4 (90) used 90 of the victim's.
        ("fifo", {"victim": 90.0}),
        # LIFO: t3 used 60 of the victim's 100; t4 used the other 40 and x's 50.
        ("lifo", {"victim": 40.0, "x": 50.0}),
        # proportional: t3 took 0.4 of each lot (20 of x, 40 of victim); t4 took the rest: x 30, victim 60.
        ("proportional", {"victim": 60.0, "x": 30.0}),
    ],
)
def test_backward_rules(ledger, rule, expected):
    t = trace(ledger, "t4", direction="backward", rule=rule)
    assert held(t) == pytest.approx(expected)
    assert set(t.holders["status"]) == {"origin"}
    assert t.total == 90.0


def test_cash_out_and_hop_limit():
    tx = transactions(
        [
            ("victim", "A", 100, "2024-03-01"),
            ("A", "cash:Agent 7 Eastleigh", 30, "2024-03-02"),
            ("A", "B", 70, "2024-03-03"),
            ("B", "C", 70, "2024-03-04"),
            ("cash:Agent 7 Eastleigh", "D", 30, "2024-03-05"),  # the agent's float: not followed
        ]
    )
    t = trace(tx, "t1")
    h = t.holders.set_index("account")
    assert h.loc["cash:Agent 7 Eastleigh", "status"] == "cashed_out" and h.loc["cash:Agent 7 Eastleigh", "amount"] == 30
    assert h.loc["C", "amount"] == 70 and h.loc["C", "hop"] == 3
    assert "D" not in h.index
    # 2 moves followed: the seed (hop 1) and A -> B (hop 2); the 70 stays at B
    t2 = trace(tx, "t1", hops=2).holders.set_index("account")
    assert t2.loc["B", "status"] == "hop_limit" and t2.loc["B", "amount"] == 70
    assert "C" not in t2.index


def test_time_respecting():
    # A paid B 80 before the victim's money arrived: none of it is tainted.
    tx = transactions([("A", "B", 80, "2024-03-01"), ("victim", "A", 100, "2024-03-02"), ("A", "C", 20, "2024-03-03")])
    assert held(trace(tx, "t2")) == {"A": 80.0, "C": 20.0}


def test_account_seed_with_opening_balance():
    # A's balance on 2 Mar is 100 - 30 = 70 (rebuilt from earlier rows), then A receives 50: seed value 120.
    tx = transactions(
        [
            ("x", "A", 100, "2024-03-01"),
            ("A", "y", 30, "2024-03-01 12:00"),
            ("z", "A", 50, "2024-03-03"),
            ("A", "B", 100, "2024-03-04"),
        ]
    )
    t = trace(tx, "A", since="2024-03-02")
    assert t.total == 120.0 and t.seeds.at[0, "kind"] == "account"
    assert held(t) == {"B": 100.0, "A": 20.0}


def test_entities_pool_accounts():
    # A's M-Pesa wallet receives, A's bank account pays out: only linked through the entity.
    tx = transactions([("victim", "mpesa:A", 100, "2024-03-01"), ("bank:A", "B", 100, "2024-03-02")])
    assert held(trace(tx, "t1")) == {"mpesa:A": 100.0}
    t = trace(tx, "t1", entities={"mpesa:A": "E1", "bank:A": "E1"})
    assert held(t) == {"B": 100.0}


def test_unknown_seed():
    tx = transactions([("a", "b", 1, "2024-03-01")])
    with pytest.raises(InputError, match="'nope' is neither"):
        trace(tx, ["nope"])
    with pytest.raises(InputError, match="rule"):
        trace(tx, "t1", rule="magic")


def test_to_graph(ledger):
    G = trace(ledger, "t2").to_graph()
    assert G.edges["A", "C"]["total"] == 90.0 and G.nodes["C"]["held"] == 90.0


rows = st.lists(
    st.tuples(st.sampled_from("ABCDE"), st.sampled_from("ABCDEF"), st.integers(1, 100), st.integers(0, 30)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(rows, st.sampled_from(["fifo", "lifo", "proportional"]), st.sampled_from(["forward", "backward"]))
def test_value_is_conserved(data, rule, direction):
    tx = transactions([(s, r, a, pd.Timestamp("2024-01-01") + pd.Timedelta(days=d)) for s, r, a, d in data])
    t = trace(tx, "t1", rule=rule, direction=direction)
    assert t.holders["amount"].sum() == pytest.approx(t.total, rel=1e-6)
    assert (t.steps["amount"] <= tx.set_index("tx_id").loc[t.steps["tx_id"], "amount"].to_numpy() + 1e-6).all()
