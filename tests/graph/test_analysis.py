import networkx as nx
import pandas as pd
import pytest

from finintel.errors import MissingDependencyError
from finintel.graph import (
    brokers,
    cash_points,
    centrality,
    communities,
    corridors,
    entity_graph,
    flow_graph,
    network_summary,
)
from finintel.testing import transactions


@pytest.fixture
def two_rings():
    # ring 1: a, b, c (100 each way); ring 2: x, y, z (200); b -> x 7 is the only bridge
    rows = []
    for ring, amount in (("abc", 100), ("xyz", 200)):
        for s, r in zip(ring, ring[1:] + ring[0], strict=False):
            rows.append((s, r, amount, "2024-03-01"))
    rows.append(("b", "x", 7, "2024-03-02"))
    return transactions(rows)


def test_communities_deterministic(two_rings):
    G = flow_graph(two_rings)
    c1 = communities(G, seed=0)
    assert dict(zip(c1["node"], c1["community"], strict=False)) == {"a": 0, "b": 0, "c": 0, "x": 1, "y": 1, "z": 1}
    pd.testing.assert_frame_equal(c1, communities(G, seed=0))
    lp = communities(G, method="label_propagation")
    assert lp.groupby("community")["node"].apply(lambda s: "".join(sorted(s))).tolist() == ["abc", "xyz"]
    with pytest.raises(MissingDependencyError):
        communities(G, method="leiden")


def test_brokers(two_rings):
    G = flow_graph(two_rings)
    b = brokers(G, communities(G)).set_index("node")
    assert sorted(b.index) == ["b", "x"]
    # b: 100 in from a, 100 out to c, 7 to x -> external 7 of 207; participation 1 - (200/207)^2 - (7/207)^2
    assert b.at["b", "external_flow"] == 7.0 and b.at["b", "total_flow"] == 207.0
    assert b.at["b", "participation"] == pytest.approx(1 - (200 / 207) ** 2 - (7 / 207) ** 2)


def test_centrality_ranks_and_sampling(two_rings):
    c = centrality(flow_graph(two_rings))
    assert c.iloc[0]["node"] in {"x", "y", "z"}  # the 200-ring holds the most flow
    assert set(c.columns) >= {"pagerank", "betweenness", "total_in", "total_out"}
    assert c["pagerank"].sum() == pytest.approx(1.0)
    sampled = centrality(flow_graph(two_rings), k=3, seed=1)
    assert len(sampled) == 6


def test_corridors_per_currency():
    tx = transactions(
        [
            {
                "sender": "a",
                "receiver": "b",
                "amount": 100,
                "timestamp": "2024-03-01",
                "sender_country": "KE",
                "receiver_country": "UG",
            },
            {
                "sender": "a",
                "receiver": "c",
                "amount": 30,
                "timestamp": "2024-03-02",
                "sender_country": "KE",
                "receiver_country": "UG",
                "currency": "USDT-TRC20",
            },
            {
                "sender": "d",
                "receiver": "e",
                "amount": 500,
                "timestamp": "2024-03-03",
                "sender_country": "ET",
                "receiver_country": "ET",
            },
            {
                "sender": "d",
                "receiver": "e",
                "amount": 999,
                "timestamp": "2024-03-03",
                "sender_country": "ET",
                "receiver_country": "DJ",
                "status": "failed",
            },
            {"sender": "f", "receiver": "g", "amount": 5, "timestamp": "2024-03-03"},
        ]
    )
    c = corridors(tx)
    assert c[["sender_country", "receiver_country", "currency", "total", "cross_border"]].values.tolist() == [
        ["ET", "ET", "KES", 500.0, False],
        ["KE", "UG", "KES", 100.0, True],
        ["KE", "UG", "USDT-TRC20", 30.0, True],
        [None, None, "KES", 5.0, False],
    ]


def test_cash_points():
    tx = transactions(
        [
            ("cash:Agent 1", "m1", 1000, "2024-03-01"),
            ("cash:Agent 1", "m2", 500, "2024-03-02"),
            ("m1", "cash:Agent 2", 900, "2024-03-03"),
            ("m1", "m2", 50, "2024-03-03"),
        ]
    )
    cp = cash_points(tx).set_index("agent")
    assert cp.loc["cash:Agent 1", ["cash_in", "n_cash_in", "cash_out", "n_customers"]].tolist() == [1500.0, 2, 0.0, 2]
    assert cp.loc["cash:Agent 2", ["cash_in", "cash_out", "n_cash_out"]].tolist() == [0.0, 900.0, 1]
    assert list(cp.index) == ["cash:Agent 1", "cash:Agent 2"]


def test_network_summary_with_alerts(two_rings):
    alerts = pd.DataFrame(
        {
            "alert_id": ["A1", "A2"],
            "detector": ["cycle", "fan"],
            "entity": ["cycle-1", "z"],
            "tx_ids": [["t1", "t2"], ["t5"]],
        }
    )
    s = network_summary(two_rings, alerts=alerts).set_index("community")
    assert s.loc[0, ["size", "n_edges", "internal_flow", "flow_out", "flow_in"]].tolist() == [3, 3, 300.0, 7.0, 0.0]
    assert s.loc[1, ["internal_flow", "flow_in"]].tolist() == [600.0, 7.0]
    assert s.loc[0, "n_alerts"] == 1 and s.loc[0, "detectors"] == ["cycle"]  # by tx_ids on ring 1's edges
    assert s.loc[1, "n_alerts"] == 1 and s.loc[1, "detectors"] == ["fan"]  # by entity z (and t5)


def test_entity_graph_keep_accounts():
    tx = transactions(
        [("mpesa:A", "B", 100, "2024-03-01"), ("bank:A", "B", 20, "2024-03-02"), ("mpesa:A", "bank:A", 5, "2024-03-03")]
    )
    ent = pd.DataFrame(
        {
            "entity_id": ["E1", "E1"],
            "account": ["mpesa:A", "bank:A"],
            "entity_name": ["Amina Y", "Amina Y"],
            "kind": ["person", "person"],
        }
    )
    G = entity_graph(tx, ent)
    assert G.edges["E1", "B"]["total"] == 120.0 and G.edges["E1", "B"]["count"] == 2
    assert G.edges["E1", "E1"]["total"] == 5.0  # transfer between own accounts
    assert G.nodes["E1"]["name"] == "Amina Y" and G.nodes["E1"]["kind"] == "person"
    H = entity_graph(tx, ent, keep_accounts=True)
    assert H.edges["E1", "bank:A"]["relation"] == "holds" and H.edges["E1", "B"]["relation"] == "flow"
    assert isinstance(H, nx.DiGraph)
