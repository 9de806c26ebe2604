from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from finintel.detect._windows import blocks, episodes, leading_end, trailing_start


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 50)), min_size=1, max_size=30), st.integers(1, 200))
def test_window_bounds_match_brute_force(rows: list[tuple[str, int]], window: int) -> None:
    keys = pd.Series([k for k, _ in rows])
    ts = pd.Series(pd.to_datetime([t for _, t in rows], unit="s", utc=True))
    b = blocks(keys, ts, [f"t{i:03d}" for i in range(len(rows))])
    lo, hi = trailing_start(b, window), leading_end(b, window)
    for i in range(len(b.t)):
        same = np.flatnonzero(b.code == b.code[i])
        assert lo[i] == same[b.t[same] >= b.t[i] - window].min()  # windows never leave their block
        assert hi[i] == same[b.t[same] <= b.t[i] + window].max() + 1


def test_episodes_merge_overlaps_and_windows_longer_than_the_ledger() -> None:
    keys = pd.Series(["a"] * 4 + ["b"] * 3)
    ts = pd.Series(pd.to_datetime([0, 10, 20, 100, 0, 5, 6], unit="s", utc=True))
    b = blocks(keys, ts, [f"t{i}" for i in range(7)])
    assert episodes(b, 10, 2) == [(0, 3), (4, 7)]
    assert episodes(b, 10_000, 4) == [(0, 4)]  # b's 3 rows never borrow from a's block
