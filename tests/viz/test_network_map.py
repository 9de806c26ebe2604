import copy
import json
import re

import networkx as nx
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import finintel as fi
from finintel.errors import InputError
from finintel.testing import transactions
from tests.viz.conftest import HOSTILE, map_data

R = "msisdn:+254711111111"
BANK = "acct:KCB/0012345"


def test_map_draws_every_completed_flow_with_hand_computed_totals(tmp_path, tx_case, alerts_case):
    path = fi.viz.network_map(tx_case, tmp_path / "m.html", alerts=alerts_case, case="Op Jua")
    data = map_data(path)
    # 5 rows, one failed (to cash:Agent 7): 5 accounts drawn? the failed row's receiver is not drawn.
    assert sorted(n["id"] for n in data["nodes"]) == sorted(
        ["msisdn:+254700000001", "msisdn:+254700000002", R, BANK, "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"]
    )
    assert len(data["edges"]) == 4
    rec = {n["id"]: n["f"] for n in data["nodes"]}[R]
    assert (rec["total_in"], rec["total_out"], rec["n_tx"]) == (19_300.0, 15_000.0, 3)
    text = path.read_text(encoding="utf-8")
    assert "1 failed, reversed or pending transactions are not drawn" in text
    assert "Period: 2024-03-01 to 2024-03-06 (UTC)" in text
    assert "Case: Op Jua" in text and "3 alerts from 3 detectors" in text


def test_shapes_follow_kind_and_edges_follow_channel(tmp_path, tx_case):
    data = map_data(fi.viz.network_map(tx_case, tmp_path / "m.html"))
    shapes = {n["id"]: n["shape"] for n in data["nodes"]}
    assert shapes[R] == "triangle" and shapes[BANK] == "diamond"
    assert shapes["trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"] == "hexagon"
    colours = {(e["from"], e["to"]): e["color"]["color"] for e in data["edges"]}
    assert colours[(R, BANK)] == "#0072B2"  # bank
    assert colours[(BANK, "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")] == "#E69F00"  # crypto
    widths = {(e["from"], e["to"]): e["width"] for e in data["edges"]}
    assert widths[(R, BANK)] == 10.0  # the largest flow
    assert widths[("msisdn:+254700000001", R)] < widths[(R, BANK)]


def _noisy_or_only(monkeypatch):
    """Pretend finintel.detect.risk is absent, so the map combines alert scores itself."""
    import sys

    monkeypatch.setitem(sys.modules, "finintel.detect.risk", None)


def test_risk_combines_alerts_and_tooltips_carry_reasons(tmp_path, tx_case, alerts_case, monkeypatch):
    _noisy_or_only(monkeypatch)
    data = map_data(fi.viz.network_map(tx_case, tmp_path / "m.html", alerts=alerts_case))
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes[R]["f"]["risk"] == pytest.approx(0.75)  # 1 - (1 - 0.5) * (1 - 0.5)
    assert nodes[BANK]["f"]["risk"] == pytest.approx(0.9)
    assert nodes[BANK]["color"]["background"] == "#B2182B"  # 0.8-1 band
    assert nodes[R]["color"]["background"] == "#EF6548"  # 0.5-0.8 band
    assert nodes["msisdn:+254700000001"]["f"]["risk"] is None
    assert [a["detector"] for a in nodes[R]["f"]["alerts"]] == ["fan_in", "structuring"]
    assert nodes[R]["f"]["alerts"][0]["reason"] == "2 senders in 2 days " + HOSTILE
    marked = {(e["from"], e["to"]) for e in data["edges"] if e.get("shadow", {}).get("enabled")}
    assert marked == {
        ("msisdn:+254700000001", R),
        ("msisdn:+254700000002", R),
        (R, BANK),
        (BANK, "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
    }


def test_given_risk_scores_colour_accounts_and_entities(tmp_path, tx_case, alerts_case):
    entities = pd.DataFrame({"account": [BANK], "entity_id": ["E9"]})
    scores = pd.DataFrame({"entity": [R, "E9"], "score": [0.3, 0.85]})
    data = map_data(
        fi.viz.network_map(tx_case, tmp_path / "m.html", alerts=alerts_case, entities=entities, risk=scores)
    )
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes[R]["f"]["risk"] == 0.3 and nodes[R]["color"]["background"] == "#FDBB84"
    assert nodes[BANK]["f"]["risk"] == 0.85  # through its entity
    assert nodes["msisdn:+254700000001"]["f"]["risk"] is None
    with pytest.raises(InputError, match="risk frame needs"):
        fi.viz.network_map(tx_case, tmp_path / "m.html", risk=pd.DataFrame({"who": ["x"], "score": [1.0]}))


def test_alerts_on_a_resolved_entity_show_on_its_accounts(tmp_path, tx_case, monkeypatch):
    _noisy_or_only(monkeypatch)
    entities = pd.DataFrame({"account": [R, BANK], "entity_id": ["E1", "E1"], "name": ["John K. Mwangi"] * 2})
    alerts = pd.DataFrame(
        {
            "alert_id": ["w:1"],
            "detector": ["watchlist"],
            "entity": ["E1"],
            "score": [0.6],
            "tx_ids": [[]],
            "reason": ["name matches a listed person"],
        }
    )
    data = map_data(fi.viz.network_map(tx_case, tmp_path / "m.html", alerts=alerts, entities=entities))
    nodes = {n["id"]: n["f"] for n in data["nodes"]}
    assert nodes[R]["risk"] == nodes[BANK]["risk"] == pytest.approx(0.6)
    assert "entity: E1 (John K. Mwangi)" in nodes[BANK]["lines"]


def test_hostile_text_never_appears_as_markup(tmp_path, tx_case, alerts_case):
    path = fi.viz.network_map(tx_case, tmp_path / "m.html", alerts=alerts_case, title=HOSTILE, case=HOSTILE)
    text = path.read_text(encoding="utf-8")
    assert "<img" not in text and 'onerror="window' not in text
    assert "window.__pwned=2</script>" not in text
    assert text.count("</script>") == 3  # vis-network, the data block, the page's own script
    data = map_data(path)  # and the JSON gives the text back exactly
    assert {n["f"]["name"] for n in data["nodes"]} >= {HOSTILE, "ሙሉጌታ በቀለ"}


def test_page_loads_nothing_from_the_network(tmp_path, tx_case):
    text = fi.viz.network_map(tx_case, tmp_path / "m.html").read_text(encoding="utf-8")
    assert not re.search(r"<(script|img|iframe)[^>]+src=|<link\b|@import|url\(\s*['\"]?(https?:)?//", text, re.I)
    assert "default-src 'none'" in text and "connect-src 'none'" in text


def test_caller_graph_is_not_changed_and_keys_stay_strings(tmp_path):
    G = nx.DiGraph()
    G.add_edge("0712345678", "00254700", total=5.0, count=1, channels=["mobile_money"], tx_ids=["t1"])
    G.nodes["0712345678"]["name"] = "Wanjiru"
    before = copy.deepcopy(G)
    data = map_data(fi.viz.network_map(G, tmp_path / "m.html"))
    assert nx.utils.graphs_equal(G, before) and dict(G.nodes(data=True)) == dict(before.nodes(data=True))
    assert dict(G.edges[("0712345678", "00254700")]) == dict(before.edges[("0712345678", "00254700")])
    assert sorted(n["id"] for n in data["nodes"]) == ["00254700", "0712345678"]


def test_transaction_multigraph_is_summed_per_pair(tmp_path):
    tx = transactions([("a", "b", 5, "2024-01-01"), ("a", "b", 7, "2024-01-03"), ("b", "a", 1, "2024-01-04")])
    G = fi.graph.transaction_graph(tx)
    data = map_data(fi.viz.network_map(G, tmp_path / "m.html"))
    edges = {(e["from"], e["to"]): e["f"] for e in data["edges"]}
    assert edges[("a", "b")]["total"] == 12.0 and edges[("a", "b")]["count"] == 2
    assert edges[("a", "b")]["tx_ids"] == ["t1", "t2"]
    assert data["period"] == {"from": 1704067200000, "to": 1704326400000}


def test_flow_in_two_currencies_keeps_each_amount(tmp_path):
    tx = pd.concat(
        [
            transactions([("a", "b", 1_000, "2024-01-01")], currency="KES"),
            transactions([("a", "b", 7.5, "2024-01-02")], currency="USDT-TRC20"),
        ],
        ignore_index=True,
    )
    tx["tx_id"] = ["k1", "u1"]
    data = map_data(fi.viz.network_map(tx, tmp_path / "m.html"))
    f = data["edges"][0]["f"]
    assert f["amounts"] == [["KES", 1_000.0], ["USDT-TRC20", 7.5]] and f["count"] == 2
    assert f["currency"] == "KES, USDT-TRC20"
    io = {n["id"]: n["f"]["io"] for n in data["nodes"]}
    assert io == {
        "a": [["KES", 0.0, 1_000.0], ["USDT-TRC20", 0.0, 7.5]],
        "b": [["KES", 1_000.0, 0.0], ["USDT-TRC20", 7.5, 0.0]],
    }


def test_file_is_utf8(tmp_path, tx_case):
    path = fi.viz.network_map(tx_case, tmp_path / "sub" / "m.html")
    assert "ሙሉጌታ በቀለ" in path.read_bytes().decode("utf-8")


def _star_case(n_leaves: int) -> pd.DataFrame:
    rows = [(f"msisdn:+2547000{i:05d}", "hub", 100.0 + i, "2024-01-01") for i in range(n_leaves)]
    rows += [("x", "y", 5.0, "2024-01-02")]
    return transactions(rows)


def test_big_graph_keeps_alerted_and_largest_flows_and_says_what_is_left_out(tmp_path):
    tx = _star_case(30)  # 33 accounts, 31 flows
    alerts = pd.DataFrame(
        {"alert_id": ["a:1"], "detector": ["d"], "entity": ["y"], "score": [0.4], "tx_ids": [["t31"]], "reason": ["r"]}
    )
    path = fi.viz.network_map(tx, tmp_path / "m.html", alerts=alerts, max_nodes=10)
    data = map_data(path)
    ids = {n["id"] for n in data["nodes"]}
    assert len(ids) == 10
    # y (alerted) first; then hub and the largest leaves (amounts 129, 128, ...); x joins y's edge? no: top flows only
    assert {"y", "hub", "msisdn:+254700000029", "msisdn:+254700000022"} <= ids
    nodes = {n["id"]: n["f"] for n in data["nodes"]}
    assert nodes["hub"]["total_in"] == 30 * 100 + sum(range(30))  # all its inflows, not only the 8 drawn
    assert (nodes["y"]["total_in"], nodes["y"]["n_tx"]) == (5.0, 1)  # alerted: drawn, though x is not
    text = path.read_text(encoding="utf-8")
    assert "Showing 10 of 33 accounts and 8 of 31 flows" in text and "Left out: 23 accounts, 23 flows" in text


def test_focus_draws_its_ego_network(tmp_path):
    tx = transactions(
        [
            ("a", "b", 1, "2024-01-01"),
            ("b", "c", 1, "2024-01-02"),
            ("c", "d", 1, "2024-01-03"),
            ("d", "e", 1, "2024-01-04"),
        ]
    )
    data = map_data(fi.viz.network_map(tx, tmp_path / "m.html", focus="b", hops=1))
    assert sorted(n["id"] for n in data["nodes"]) == ["a", "b", "c"]
    assert {n["id"]: n["borderWidth"] for n in data["nodes"]}["b"] == 4
    with pytest.raises(InputError, match="focus account 'zz' is not in the data"):
        fi.viz.network_map(tx, tmp_path / "m.html", focus="zz")
    with pytest.raises(InputError, match="reduce must be"):
        fi.viz.network_map(tx, tmp_path / "m.html", reduce="biggest")
    with pytest.raises(InputError, match="needs a focus"):
        fi.viz.network_map(tx, tmp_path / "m.html", reduce="ego")


def test_communities_are_collapsed_with_counts(tmp_path):
    clique = [(f"a{i}", f"a{j}", 10.0, "2024-01-01") for i in range(4) for j in range(4) if i != j]
    clique += [(f"b{i}", f"b{j}", 10.0, "2024-01-01") for i in range(4) for j in range(4) if i != j]
    tx = transactions([*clique, ("a0", "b0", 3.0, "2024-01-02")])
    path = fi.viz.network_map(tx, tmp_path / "m.html", max_nodes=5, reduce="communities")
    data = map_data(path)
    assert len(data["nodes"]) == 2 and len(data["edges"]) == 1
    assert data["edges"][0]["f"]["total"] == 3.0
    assert {n["label"] for n in data["nodes"]} == {"Community 0 (4)", "Community 1 (4)"}
    assert {n["f"]["name"] for n in data["nodes"]} == {
        "Community 0: 4 accounts, 0 alerted",
        "Community 1: 4 accounts, 0 alerted",
    }
    assert "8 accounts collapsed into 2 communities" in path.read_text(encoding="utf-8")


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_survives_the_json_block_and_cannot_close_it(text):
    from finintel.viz._html import safe_json

    block = safe_json({"name": text, "reason": [text]})
    assert "<" not in block and ">" not in block and "\u2028" not in block and "\u2029" not in block
    assert json.loads(block) == {"name": text, "reason": [text]}


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.sampled_from("abcdefgh"), st.floats(0.01, 1e9)),
        min_size=1,
        max_size=25,
    ),
    st.integers(1, 8),
)
def test_map_never_draws_more_than_max_nodes_and_sums_what_it_draws(tmp_path_factory, rows, max_nodes):
    rows = [(s, r, a, "2024-01-01") for s, r, a in rows if s != r]
    if not rows:
        return
    tx = transactions(rows)
    data = map_data(fi.viz.network_map(tx, tmp_path_factory.mktemp("p") / "m.html", max_nodes=max_nodes))
    ids = {n["id"] for n in data["nodes"]}
    assert 0 < len(ids) <= max_nodes
    drawn = tx[tx["sender"].isin(ids) & tx["receiver"].isin(ids)]
    assert sum(e["f"]["total"] for e in data["edges"]) == pytest.approx(drawn["amount"].sum())
    assert sum(e["f"]["count"] for e in data["edges"]) == len(drawn)


def test_colour_by_detector_of_the_strongest_alert(tmp_path, tx_case, alerts_case):
    data = map_data(fi.viz.network_map(tx_case, tmp_path / "m.html", alerts=alerts_case, color_by="detector"))
    colours = {n["id"]: n["color"]["background"] for n in data["nodes"]}
    # detectors sorted: fan_in, layering, structuring -> palette positions 0, 1, 2
    assert colours[BANK] == "#CC79A7"  # layering
    assert colours[R] == "#D55E00"  # fan_in (0.5 ties structuring; fan_in listed first)
    assert colours["msisdn:+254700000001"] == "#C7D3DD"
    groups = {item["group"] for item in data["legend"]}
    assert "node colour: strongest alert" in groups


def test_ego_drops_to_fewer_hops_then_largest_flows(tmp_path):
    rows = [(f"l{i:02d}", "hub", 10.0 + i, "2024-01-01") for i in range(30)]
    rows += [(f"far{i:02d}", f"l{i:02d}", 1.0, "2024-01-02") for i in range(30)]
    tx = transactions(rows)  # hub, 30 leaves at 1 hop, 30 more accounts at 2 hops
    path = fi.viz.network_map(tx, tmp_path / "a.html", focus="hub", hops=2, max_nodes=35)
    ids = {n["id"] for n in map_data(path)["nodes"]}
    assert ids == {"hub"} | {f"l{i:02d}" for i in range(30)}
    assert "Ego network of the focus account, 1 hop in either direction." in path.read_text("utf-8")
    path = fi.viz.network_map(tx, tmp_path / "b.html", focus="hub", hops=1, max_nodes=5)
    ids = {n["id"] for n in map_data(path)["nodes"]}
    assert ids == {"hub", "l29", "l28", "l27", "l26"}  # the focus, then its largest flows (39, 38, 37, 36)
