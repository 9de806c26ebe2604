import pandas as pd

import finintel as fi
from finintel.testing import transactions
from tests.viz.conftest import HOSTILE, map_data


def test_alert_maps_draw_each_alerts_evidence(tmp_path, tx_case, alerts_case):
    index = fi.viz.alert_maps(tx_case, alerts_case, tmp_path)
    assert list(index["alert_id"]) == ["fan_in:1", "structuring:2", "layering:3"]
    assert list(index["n_tx"]) == [2, 2, 2]
    assert list(index["file"]) == ["0001-fan_in-1.html", "0002-structuring-2.html", "0003-layering-3.html"]
    data = map_data(tmp_path / "0003-layering-3.html")
    assert sorted((e["from"], e["to"]) for e in data["edges"]) == [
        ("acct:KCB/0012345", "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
        ("msisdn:+254711111111", "acct:KCB/0012345"),
    ]
    focus = [n["id"] for n in data["nodes"] if n["borderWidth"] == 4]
    assert focus == ["acct:KCB/0012345"]
    assert "in and out within 1 day" in (tmp_path / "0003-layering-3.html").read_text(encoding="utf-8")


def test_alert_whose_evidence_is_missing_says_so(tmp_path, tx_case):
    alerts = pd.DataFrame(
        {
            "alert_id": ["x:../../etc"],
            "detector": ["x/../y"],
            "entity": ["ghost"],
            "score": [0.3],
            "tx_ids": [["t1", "nope"]],
            "reason": ["r"],
        }
    )
    index = fi.viz.alert_maps(tx_case, alerts, tmp_path)
    assert index.at[0, "file"] == "0001-x_.._y-.._.._etc.html"  # no path separators from untrusted text
    assert (tmp_path / index.at[0, "file"]).is_file()
    assert "1 of the alert&#x27;s 2 evidence transactions are not in the data" in (
        tmp_path / index.at[0, "file"]
    ).read_text("utf-8")


def test_community_maps_one_per_community_alerted_first(tmp_path):
    a = [(f"a{i}", f"a{j}", 10.0, "2024-01-01") for i in range(3) for j in range(3) if i != j]
    b = [(f"b{i}", f"b{j}", 1.0, "2024-01-01") for i in range(4) for j in range(4) if i != j]
    tx = transactions([*a, *b, ("p", "q", 1.0, "2024-01-01")])
    alerts = pd.DataFrame(
        {"alert_id": ["z:1"], "detector": ["z"], "entity": ["a1"], "score": [0.5], "tx_ids": [["t1"]], "reason": ["r"]}
    )
    index = fi.viz.community_maps(tx, tmp_path, alerts=alerts)
    assert list(index["accounts"]) == [3, 4]  # the 2-account pair p-q gets no map (min_size=3)
    assert list(index["alerted_accounts"]) == [1, 0]
    assert list(index["total"]) == [60.0, 12.0]
    assert len(map_data(tmp_path / index.at[1, "file"])["edges"]) == 12


def test_maps_for_run_writes_index_linking_every_map(tmp_path, tx_case, alerts_case):
    index = fi.viz.maps_for_run(tx_case, alerts_case, tmp_path / "maps", title="Run " + HOSTILE)
    assert index == tmp_path / "maps" / "index.html"
    text = index.read_text(encoding="utf-8")
    assert "<img" not in text and "&lt;img src=x" in text
    for link in [
        "overview.html",
        "alerts/0001-layering-3.html",
        "alerts/0002-fan_in-1.html",
        "communities/community-0000.html",
    ]:
        assert f"href='{link}'" in text
        assert (tmp_path / "maps" / link).is_file()
