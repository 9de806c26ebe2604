import io

import matplotlib
import numpy as np
import pandas as pd
import pytest

import finintel as fi
from finintel.errors import InputError
from finintel.testing import transactions

matplotlib.use("Agg")

ACC = "msisdn:+254711111111"


def test_timeline_flows_balance_and_alerted_marks(tx_case, alerts_case):
    fig = fi.viz.timeline(tx_case, ACC, alerts=alerts_case)
    flows, balance = fig.axes
    bars = {c.get_label(): [float(p.get_height()) for p in c.patches] for c in flows.containers}
    assert bars == {"inflows": [9_500.0, 9_800.0], "outflows": [-15_000.0]}
    assert balance.lines[0].get_ydata().tolist() == [9_500.0, 19_300.0, 4_300.0]
    marks = [ln for ln in flows.lines if ln.get_label().startswith("alerted")]
    assert marks[0].get_label() == "alerted transactions (3)"  # t1, t2 (fan_in/structuring) and t3 (layering)
    assert marks[0].get_ydata().tolist() == [9_500.0, 9_800.0, -15_000.0]
    assert flows.get_title().endswith("(msisdn:+254711111111): 2 inflows, 1 outflows")
    assert balance.get_xlabel() == "time (UTC)"
    svg = io.BytesIO()
    fig.savefig(svg, format="svg")
    assert svg.getvalue().startswith(b"<?xml")
    with pytest.raises(InputError, match="no completed transactions"):
        fi.viz.timeline(tx_case, "nobody")


def test_timeline_of_a_busy_account_has_a_bar_per_day():
    rows = [("x", "acc", 10.0, f"2024-03-0{1 + i % 3} 0{i % 10}:00") for i in range(1_200)]
    rows += [("acc", "y", 1.0, f"2024-03-0{1 + i % 2} 12:00") for i in range(600)]
    fig = fi.viz.timeline(transactions(rows), "acc")
    bars = {c.get_label(): [float(p.get_height()) for p in c.patches] for c in fig.axes[0].containers}
    assert bars == {"inflows per day": [4_000.0, 4_000.0, 4_000.0], "outflows per day": [-300.0, -300.0]}
    assert fig.axes[1].lines[0].get_ydata()[-1] == 12_000.0 - 600.0


def test_mathtext_in_suspect_names_is_shown_as_text():
    tx = transactions(
        [dict(sender="a", receiver="b", amount=5.0, timestamp="2024-01-01", receiver_name="$\\frac{1}{$ Ltd")]
    )
    fig = fi.viz.timeline(tx, "b")
    assert "\\$\\frac{1}{\\$ Ltd (b)" in fig.axes[0].get_title()
    fig.savefig(io.BytesIO(), format="png")  # would raise a mathtext ParseError if parsed


def test_corridor_heatmap_totals_by_country_pair():
    rows = [
        dict(
            sender="a", receiver="b", amount=100.0, timestamp="2024-01-01", sender_country="KE", receiver_country="SA"
        ),
        dict(sender="a", receiver="c", amount=50.0, timestamp="2024-01-01", sender_country="KE", receiver_country="SA"),
        dict(sender="d", receiver="b", amount=7.0, timestamp="2024-01-01", sender_country="ET", receiver_country="KE"),
        dict(
            sender="d",
            receiver="b",
            amount=1e6,
            timestamp="2024-01-01",
            sender_country="ET",
            receiver_country="KE",
            currency="USD",
        ),
        dict(sender="e", receiver="b", amount=3.0, timestamp="2024-01-01"),
    ]
    fig = fi.viz.corridor_heatmap(transactions(rows))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["??", "ET", "KE"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["??", "KE", "SA"]
    assert ax.images[0].get_array().tolist() == [
        [3.0, 0.0, 0.0],
        [0.0, 7.0, 0.0],
        [0.0, 0.0, 150.0],
    ]  # USD row left out
    assert "(KES)" in ax.get_title()


def test_alert_overview_counts(alerts_case):
    fig = fi.viz.alert_overview(alerts_case)
    by_det, by_week, scores = fig.axes
    assert {
        t.get_text(): float(p.get_width()) for t, p in zip(by_det.get_yticklabels(), by_det.patches, strict=True)
    } == {"structuring": 1.0, "layering": 1.0, "fan_in": 1.0}
    # starts 1, 1 and 5 March 2024: weeks from Monday 26 Feb (2 alerts) and Monday 4 March (1)
    assert [float(p.get_height()) for p in by_week.patches] == [2.0, 1.0]
    assert [pd.Timestamp(matplotlib.dates.num2date(p.get_x())).strftime("%Y-%m-%d") for p in by_week.patches] == [
        "2024-02-26",
        "2024-03-04",
    ]
    assert [float(p.get_width()) for p in by_week.patches] == [6.0, 6.0]  # days: visible bars
    assert sorted(float(p.get_height()) for p in scores.patches if p.get_height()) == [1.0, 2.0]
    assert scores.get_xlabel().startswith("score")


def test_hour_of_day_in_local_time_and_night_share(tx_case):
    fig = fi.viz.hour_of_day(tx_case, tz="Africa/Nairobi")
    heights = [float(p.get_height()) for p in fig.axes[0].containers[0]]
    # UTC 08:00, 23:30, 10:00, 11:00 (the failed 12:00 is left out) -> Nairobi 11, 02, 13, 14
    assert np.nonzero(heights)[0].tolist() == [2, 11, 13, 14] and sum(heights) == 4
    assert "25% between 22:00 and 05:59" in fig.axes[0].get_title()
    acct = fi.viz.hour_of_day(tx_case, "msisdn:+254700000002")
    assert [float(p.get_height()) for p in acct.axes[0].containers[0]][23] == 1.0


def test_amount_distribution_band_counts():
    amounts = [9_000, 9_500, 9_999.99, 10_000, 8_999.99, 4_000, 20_000]
    fig = fi.viz.amount_distribution(
        transactions([("a", "b", v, "2024-01-01") for v in amounts]), threshold=10_000, margin=0.1
    )
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["threshold KES 10,000.00", "3 in the band 9,000.00 to under 10,000.00"]
    heights = np.array([p.get_height() for p in ax.patches[:75]])
    lefts = np.array([p.get_x() for p in ax.patches[:75]])
    in_band = heights[(lefts >= 9_000 - 1e-6) & (lefts < 10_000 - 1e-6)].sum()
    assert in_band == 3 and heights.sum() == 6  # 20,000 is above 1.5x the threshold
    assert ax.get_title().endswith("; 1 above 1.5x not shown")
    with pytest.raises(InputError, match="margin"):
        fi.viz.amount_distribution(transactions([("a", "b", 1, "2024-01-01")]), threshold=10_000, margin=1.5)
