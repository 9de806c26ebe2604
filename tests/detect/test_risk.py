from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import finintel as fi
from finintel.detect.risk import risk_scores
from finintel.errors import InputError


def _alerts(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["alert_id", "detector", "entity", "score"]).assign(
        reason=lambda d: "r " + d["alert_id"]
    )


def test_noisy_or_counts_each_detector_once() -> None:
    a = _alerts(
        [
            ("1", "structuring", "A", 0.5),
            ("2", "structuring", "A", 0.5),
            ("3", "fan_in", "A", 0.5),
            ("4", "watchlist", "B", 0.9),
        ]
    )
    r = risk_scores(a)
    assert r["entity"].tolist() == ["B", "A"]
    assert r["score"].tolist() == pytest.approx([0.9, 0.75])
    assert r.loc[1, "n_alerts"] == 3 and r.loc[1, "n_detectors"] == 2
    assert r.loc[1, "alert_ids"] == ["1", "2", "3"]


def test_weights_and_certain_findings() -> None:
    a = _alerts([("1", "out_of_hours", "A", 0.8), ("2", "watchlist", "A", 1.0), ("3", "out_of_hours", "B", 0.8)])
    r = risk_scores(a, weights={"out_of_hours": 0.5}).set_index("entity")
    assert r.loc["A", "score"] == 1.0
    assert r.loc["B", "score"] == pytest.approx(0.4)
    assert r.loc["A", "top_reasons"][0] == "watchlist (1.00): r 2"


def test_entity_level_merges_accounts() -> None:
    a = _alerts([("1", "structuring", "A", 0.5), ("2", "fan_in", "B", 0.5), ("3", "fan_in", "C", 0.2)])
    ents = pd.DataFrame({"account": ["A", "B"], "entity_id": ["P1", "P1"]})
    r = risk_scores(a, entities=ents)
    e = r[r["level"] == "entity"].set_index("entity")
    assert e.loc["P1", "score"] == pytest.approx(0.75) and e.loc["P1", "n_alerts"] == 2
    assert e.loc["C", "score"] == pytest.approx(0.2)  # unmapped accounts stay themselves
    assert (r["level"] == "account").sum() == 3


def test_bad_and_empty_input() -> None:
    with pytest.raises(InputError, match="reason"):
        risk_scores(pd.DataFrame({"alert_id": [], "detector": [], "entity": [], "score": []}))
    assert risk_scores(fi.detect.run(fi.testing.transactions([]))).empty


def test_on_real_alerts(tx_small: pd.DataFrame) -> None:
    r = risk_scores(fi.detect.run(tx_small, profile="KE"))
    top = r.set_index("entity").loc["msisdn:+254700000001"]
    assert "structuring" in top["detectors"] and top["score"] >= 0.81


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["d1", "d2", "d3"]), st.sampled_from("AB"), st.floats(0, 1)), min_size=1, max_size=12
    )
)
def test_score_bounds_and_monotonic(rows: list[tuple[str, str, float]]) -> None:
    a = _alerts([(str(i), d, e, s) for i, (d, e, s) in enumerate(rows)])
    r = risk_scores(a).set_index("entity")
    for ent, g in a.groupby("entity"):
        assert g["score"].max() - 1e-9 <= r.loc[ent, "score"] <= 1.0
    extra = pd.concat([a, _alerts([("x", "d4", "A", 0.3)])], ignore_index=True)
    if "A" in r.index:
        assert risk_scores(extra).set_index("entity").loc["A", "score"] >= r.loc["A", "score"] - 1e-12
