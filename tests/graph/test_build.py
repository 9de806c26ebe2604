import networkx as nx
import pandas as pd
import pytest

from finintel.errors import InputError
from finintel.graph import ego_network, flow_graph, node_kind, transaction_graph
from finintel.testing import transactions


@pytest.fixture
def tx():
    return transactions(
        [
            {
                "sender": "msisdn:+254711000001",
                "receiver": "msisdn:+254711000002",
                "amount": 100.0,
                "timestamp": "2024-03-01 08:00",
                "sender_name": "JOHN K. MWANGI",
                "receiver_name": "Amina Yusuf",
                "sender_country": "KE",
                "receiver_country": "KE",
                "channel": "mobile_money",
            },
            {
                "sender": "msisdn:+254711000001",
                "receiver": "msisdn:+254711000002",
                "amount": 40.0,
                "timestamp": "2024-03-03 08:00",
                "sender_name": "JOHN MWANGI",
                "receiver_name": "Amina Yusuf",
                "channel": "mobile_money",
            },
            {
                "sender": "msisdn:+254711000001",
                "receiver": "msisdn:+254711000002",
                "amount": 25.0,
                "timestamp": "2024-03-02 08:00",
                "sender_name": "JOHN K. MWANGI",
                "channel": "mobile_money",
                "status": "failed",
            },
            {
                "sender": "msisdn:+254711000002",
                "receiver": "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
                "amount": 10.0,
                "timestamp": "2024-03-04 08:00",
                "currency": "USDT-TRC20",
                "channel": "crypto",
            },
            {
                "sender": "msisdn:+254711000002",
                "receiver": "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
                "amount": 30.0,
                "timestamp": "2024-03-05 08:00",
                "channel": "mobile_money",
            },
            {
                "sender": "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
                "receiver": "cash:Agent 7",
                "amount": 20.0,
                "timestamp": "2024-03-06 08:00",
                "channel": "cash",
            },
        ]
    )


def test_flow_graph_aggregates_completed_only(tx):
    G = flow_graph(tx)
    assert type(G) is nx.DiGraph
    e = G.edges["msisdn:+254711000001", "msisdn:+254711000002"]
    assert e["count"] == 2 and e["total"] == 140.0 and e["tx_ids"] == ["t1", "t2"]
    assert e["first"] == pd.Timestamp("2024-03-01 08:00", tz="UTC")
    assert e["last"] == pd.Timestamp("2024-03-03 08:00", tz="UTC")
    assert e["channels"] == ["mobile_money"] and e["currency"] == "KES"
    mixed = G.edges["msisdn:+254711000002", "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"]
    assert mixed["currencies"] == ["KES", "USDT-TRC20"] and mixed["currency"] == "KES,USDT-TRC20"
    assert mixed["channels"] == ["crypto", "mobile_money"]
    n = G.nodes["msisdn:+254711000001"]
    assert n["name"] == "JOHN K. MWANGI"  # tie 1:1 with "JOHN MWANGI" -> alphabetically first
    assert n["kind"] == "wallet" and n["country"] == "KE"
    assert n["total_out"] == 140.0 and n["total_in"] == 0.0 and n["n_tx"] == 2
    assert G.nodes["msisdn:+254711000002"]["total_in"] == 140.0
    assert G.nodes["msisdn:+254711000002"]["total_out"] == 40.0
    assert G.nodes["cash:Agent 7"]["kind"] == "cash_agent"
    assert G.nodes["trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"]["kind"] == "crypto_address"
    assert flow_graph(tx, completed_only=False).edges["msisdn:+254711000001", "msisdn:+254711000002"]["count"] == 3


def test_flow_graph_by_currency_keeps_currencies_apart(tx):
    G = flow_graph(tx, by_currency=True)
    assert isinstance(G, nx.MultiDiGraph)
    a, b = "msisdn:+254711000002", "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    assert sorted(G[a][b]) == ["KES", "USDT-TRC20"]
    assert G.edges[a, b, "USDT-TRC20"]["total"] == 10.0
    assert G.edges[a, b, "KES"]["total"] == 30.0


def test_transaction_graph_has_every_column(tx):
    G = transaction_graph(tx)
    assert G.number_of_edges() == 5
    d = G.edges["msisdn:+254711000001", "msisdn:+254711000002", "t2"]
    assert set(tx.columns) <= set(d)
    assert d["amount"] == 40.0 and d["sender_name"] == "JOHN MWANGI" and d["receiver_country"] is None
    assert d["timestamp"] == pd.Timestamp("2024-03-03 08:00", tz="UTC")


def test_ego_network_hops_and_filters(tx):
    G = flow_graph(tx)
    ego = ego_network(G, "msisdn:+254711000001", hops=1)
    assert type(ego) is nx.DiGraph
    assert sorted(ego.nodes) == ["msisdn:+254711000001", "msisdn:+254711000002"]
    assert ego.nodes["msisdn:+254711000001"]["name"] == "JOHN K. MWANGI"
    assert ego_network(G, "msisdn:+254711000001", hops=3).number_of_nodes() == 4
    # min_amount cuts the 20.0 cash-out edge, so the agent is out of reach
    assert "cash:Agent 7" not in ego_network(G, "msisdn:+254711000001", hops=3, min_amount=25)
    T = transaction_graph(tx)
    ego = ego_network(T, "cash:Agent 7", hops=2, until="2024-03-04 12:00")
    assert sorted(ego.nodes) == ["cash:Agent 7"]  # the only edge in is on 6 March
    ego = ego_network(T, "msisdn:+254711000002", hops=1, since="2024-03-04")
    assert sorted(ego.edges(keys=True)) == [
        ("msisdn:+254711000002", "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "t4"),
        ("msisdn:+254711000002", "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "t5"),
    ]
    out = ego_network(G, "msisdn:+254711000002", hops=2, direction="in")
    assert sorted(out.nodes) == ["msisdn:+254711000001", "msisdn:+254711000002"]


def test_ego_network_unknown_node(tx):
    with pytest.raises(nx.NodeNotFound, match="nobody"):
        ego_network(flow_graph(tx), "nobody")


def test_missing_column_is_input_error(tx):
    with pytest.raises(InputError, match="amount"):
        flow_graph(tx.drop(columns="amount"))


def test_empty_frame_gives_empty_graph(tx):
    assert flow_graph(tx.iloc[:0]).number_of_nodes() == 0
    assert transaction_graph(tx.iloc[:0]).number_of_edges() == 0


def test_node_kind_by_name():
    assert node_kind("paybill:123456") == "organisation"
    assert node_kind("E1", "Nile Logistics Ltd") == "organisation"
    assert node_kind("E2", "Mohamed Ali Hassan") == "person"
