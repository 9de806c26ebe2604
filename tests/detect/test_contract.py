"""The contract every registered detector keeps (both detector packs and plug-ins)."""

from __future__ import annotations

import pandas as pd
import pytest

import finintel as fi
from finintel.errors import InputError
from finintel.schema.frames import ALERT_COLUMNS
from finintel.testing import assert_alerts_equal

NAMES = list(fi.detect.available()["name"])


@pytest.mark.parametrize("name", NAMES)
def test_columns_first_and_reasons(name: str, tx_small: pd.DataFrame) -> None:
    alerts = fi.detect.get(name)(tx_small, profile="KE")
    assert tuple(alerts.columns[: len(ALERT_COLUMNS)]) == ALERT_COLUMNS
    assert alerts["reason"].str.len().gt(0).all()
    assert alerts["score"].between(0, 1).all()
    assert alerts["alert_id"].is_unique
    assert (alerts["start"] <= alerts["end"]).all()


@pytest.mark.parametrize("name", NAMES)
def test_evidence_exists_in_input(name: str, tx_small: pd.DataFrame) -> None:
    alerts = fi.detect.get(name)(tx_small, profile="KE")
    ids = {t for ts in alerts["tx_ids"] for t in ts}
    assert ids <= set(tx_small["tx_id"])
    failed = set(tx_small.loc[tx_small["status"] == "failed", "tx_id"])
    assert not ids & failed


@pytest.mark.parametrize("name", NAMES)
def test_empty_in_empty_out(name: str, tx_small: pd.DataFrame) -> None:
    alerts = fi.detect.get(name)(tx_small.iloc[:0], profile="KE")
    assert alerts.empty
    assert tuple(alerts.columns[: len(ALERT_COLUMNS)]) == ALERT_COLUMNS


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("column", ["amount", "timestamp", "sender"])
def test_missing_column_is_named(name: str, column: str, tx_small: pd.DataFrame) -> None:
    with pytest.raises(InputError, match=column):
        fi.detect.get(name)(tx_small.drop(columns=column), profile="KE")


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_and_row_order_invariant(name: str, tx_small: pd.DataFrame) -> None:
    det = fi.detect.get(name)
    before = tx_small.copy()
    first = det(tx_small, profile="KE")
    pd.testing.assert_frame_equal(tx_small, before)  # input never mutated
    assert_alerts_equal(first, det(tx_small, profile="KE"))
    shuffled = tx_small.sample(frac=1.0, random_state=7).reset_index(drop=True)
    assert_alerts_equal(first, det(shuffled, profile="KE"))
    reversed_ = tx_small.iloc[::-1].reset_index(drop=True)
    assert_alerts_equal(first, det(reversed_, profile="KE"))
