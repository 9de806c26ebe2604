from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest

import finintel as fi
from finintel.errors import InputError
from finintel.schema import frames as F


def _tx(**cols):
    base = {
        "tx_id": ["t1", "t2", "t3"],
        "timestamp": ["2024-03-01T10:00:00+03:00", "2024-03-02 08:00", "2024-03-03"],
        "sender": ["msisdn:+254712345678", "msisdn:+254712345678", "iban:KE00"],
        "receiver": ["cash:agent-1", "iban:KE00", "eth:0xabc"],
        "amount": [100.0, 2500.5, 7.25],
        "currency": ["KES", "KES", "USD"],
        "channel": ["mobile_money", "bank", "crypto"],
    }
    base.update(cols)
    return pd.DataFrame(base)


def test_coerces_types_and_converts_offsets_to_utc():
    tx = fi.schema.validate_transactions(_tx())
    assert list(tx.columns) == list(F.TRANSACTIONS.columns)
    assert str(tx["timestamp"].dtype) == "datetime64[us, UTC]"
    assert tx.loc[0, "timestamp"] == pd.Timestamp("2024-03-01 07:00", tz="UTC")  # +03:00 Nairobi -> UTC
    assert tx.loc[1, "amount_exact"] == Decimal("2500.5")
    assert list(tx["status"]) == ["completed"] * 3
    assert isinstance(tx["channel"].dtype, pd.CategoricalDtype)


@pytest.mark.parametrize(
    ("change", "column", "message"),
    [
        ({"amount": [100.0, "12,5x", 7.0]}, "amount", "expected a number"),
        ({"amount": [100.0, 0.0, 7.0]}, "amount", "positive"),
        ({"timestamp": ["2024-03-01", "not a date", "2024-03-03"]}, "timestamp", "expected a date"),
        ({"tx_id": ["t1", "t1", "t3"]}, "tx_id", "duplicate"),
        ({"channel": ["bank", "pigeon", "bank"]}, "channel", "expected one of"),
        ({"sender": ["a", None, "c"]}, "sender", "missing value"),
    ],
)
def test_errors_name_column_and_row(change, column, message):
    with pytest.raises(InputError, match=message) as info:
        fi.schema.validate_transactions(_tx(**change))
    assert info.value.column == column
    assert "row(s) 1" in str(info.value)
    assert info.value.failures.loc[0, "row"] == 1


def test_missing_required_column_is_named():
    with pytest.raises(InputError, match="lacks required column") as info:
        fi.schema.validate_transactions(_tx().drop(columns="currency"))
    assert info.value.column == "currency"


def test_lazy_collects_every_problem():
    with pytest.raises(InputError) as info:
        fi.schema.validate_transactions(_tx(amount=[-1.0, "x", 5.0], currency=["KES", None, "USD"]), lazy=True)
    got = set(map(tuple, info.value.failures[["row", "column"]].to_numpy().tolist()))
    assert {(0, "amount"), (1, "amount"), (1, "currency")} <= got


def test_exact_amounts_keep_18_decimals_and_refuse_more():
    tx = fi.schema.validate_transactions(_tx(amount_exact=["1.123456789012345678", "2500.5", "7.25"]))
    assert tx.loc[0, "amount_exact"] == Decimal("1.123456789012345678")
    with pytest.raises(InputError, match="decimal places"):
        fi.schema.validate_transactions(_tx(amount_exact=["1.1234567890123456789", "2500.5", "7.25"]))


def test_rows_failing_splits_good_from_bad():
    good, failures = F.rows_failing(_tx(amount=[100.0, "oops", 7.0]), F.TRANSACTIONS)
    assert list(good["tx_id"]) == ["t1", "t3"]
    assert failures[["row", "column"]].to_numpy().tolist() == [[1, "amount"]]


def test_arrow_round_trip_preserves_dtypes_and_values(tmp_path):
    tx = fi.schema.validate_transactions(_tx(attributes=[{"ref": "A1"}, None, {"n": 2}]))
    table = F.to_arrow(tx, F.TRANSACTIONS)
    assert table.schema.field("amount_exact").type == pa.decimal128(38, 18)
    import pyarrow.parquet as pq

    pq.write_table(table, tmp_path / "t.parquet")
    back = F.from_arrow(pq.read_table(tmp_path / "t.parquet"), F.TRANSACTIONS)
    pd.testing.assert_frame_equal(back, tx)
    assert back.loc[0, "attributes"] == '{"ref": "A1"}'


def test_empty_frames_have_canonical_dtypes():
    for name, spec in F.FRAMES.items():
        df = F.empty(name)
        assert list(df.columns) == list(spec.columns), name
        assert df.empty


def test_alerts_validation_requires_reason():
    alerts = pd.DataFrame(
        {
            "alert_id": ["a1"],
            "detector": ["x"],
            "entity": ["e"],
            "score": [0.5],
            "start": ["2024-01-01"],
            "end": ["2024-01-02"],
            "tx_ids": [["t1"]],
            "reason": [""],
        }
    )
    with pytest.raises(InputError, match="needs a reason"):
        fi.schema.validate_alerts(alerts)
