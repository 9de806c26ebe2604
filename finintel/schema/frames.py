"""The canonical frames as pyarrow schemas, and validators that coerce a DataFrame to them.

Every reader writes these frames and every function reads them. A frame's
columns come in the order given here; columns a frame carries beyond the
canonical ones are kept, after them.

Column types
------------
Strings are pandas ``string`` (pyarrow-backed), timestamps ``datetime64[us, UTC]``,
``amount`` float64 and ``amount_exact`` an Arrow ``decimal128(38, 18)``, so that a
frame written to Parquet and read back has exactly the same dtypes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from finintel.errors import InputError

__all__ = [
    "ACCOUNTS",
    "ALERTS",
    "ALERT_COLUMNS",
    "CHANNELS",
    "DECIMAL",
    "FRAMES",
    "MANIFEST",
    "PARTIES",
    "READER_COLUMNS",
    "READER_SCHEMA",
    "REJECTS",
    "STATUSES",
    "TRANSACTIONS",
    "Frame",
    "coerce",
    "empty",
    "from_arrow",
    "to_arrow",
    "validate_accounts",
    "validate_alerts",
    "validate_parties",
    "validate_rejects",
    "validate_transactions",
]

DECIMAL = pa.decimal128(38, 18)
TIMESTAMP = pa.timestamp("us", tz="UTC")
CHANNELS = ("bank", "mobile_money", "crypto", "cash", "card", "remittance", "other")
"""Values of the ``channel`` column."""
STATUSES = ("completed", "failed", "reversed", "pending")
"""Values of the ``status`` column: only ``completed`` rows are flows of value."""
ALERT_COLUMNS = ("alert_id", "detector", "entity", "score", "start", "end", "tx_ids", "reason")
"""The leading columns of every alerts frame; detector-specific metrics follow."""


@dataclass(frozen=True)
class Frame:
    """One canonical frame: its Arrow schema and which columns must be present and non-null."""

    name: str
    schema: pa.Schema
    required: tuple[str, ...]
    unique: tuple[str, ...] = ()
    categories: Mapping[str, tuple[str, ...]] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.schema.names)


def _s(name: str, typ: pa.DataType = pa.string(), doc: str = "") -> pa.Field:  # noqa: B008 - immutable type singleton
    return pa.field(name, typ, metadata={"doc": doc} if doc else None)


TRANSACTIONS = Frame(
    "transactions",
    pa.schema(
        [
            _s("tx_id", doc="source-native id, else a hash of file and row; unique"),
            _s("timestamp", TIMESTAMP, "when it happened, UTC"),
            _s("sender", doc="namespaced account key of the payer"),
            _s("receiver", doc="namespaced account key of the payee"),
            _s("sender_name"),
            _s("receiver_name"),
            _s("amount", pa.float64(), "major units, > 0"),
            _s("amount_exact", DECIMAL, "the amount exactly as the source states it"),
            _s("currency", doc="ISO 4217, or token with chain (USDT-TRC20, ETH)"),
            _s("channel", doc="one of CHANNELS"),
            _s("status", doc="one of STATUSES; only completed rows move value"),
            _s("sender_country", doc="ISO 3166 alpha-2"),
            _s("receiver_country", doc="ISO 3166 alpha-2"),
            _s("description", doc="narrative, memo, details"),
            _s("attributes", doc="JSON object of source-specific fields (references, report metadata)"),
            _s("source_format"),
            _s("source_file"),
            _s("source_sha256"),
            _s("source_row", pa.int64(), "row as a person finds it: spreadsheet row, XML or text line"),
        ]
    ),
    required=("tx_id", "timestamp", "sender", "receiver", "amount", "currency", "channel"),
    unique=("tx_id",),
    categories={"channel": CHANNELS, "status": STATUSES},
)

PARTIES = Frame(
    "parties",
    pa.schema(
        [
            _s("party_id", doc="id of the person or organisation within its source"),
            _s("kind", doc="person or organisation"),
            _s("name"),
            _s("first_name"),
            _s("last_name"),
            _s("birth_date", pa.date32()),
            _s("id_number", doc="national ID, passport or registration number"),
            _s("id_type"),
            _s("phone", doc="E.164"),
            _s("email"),
            _s("address"),
            _s("country", doc="ISO 3166 alpha-2"),
            _s("nationality"),
            _s("attributes"),
            _s("source_format"),
            _s("source_file"),
            _s("source_sha256"),
            _s("source_row", pa.int64()),
        ]
    ),
    required=("party_id",),
    categories={"kind": ("person", "organisation")},
)

ACCOUNTS = Frame(
    "accounts",
    pa.schema(
        [
            _s("account", doc="namespaced account key"),
            _s("party_id", doc="holder, a party_id of the parties frame"),
            _s("role", doc="holder, signatory, beneficial_owner, ..."),
            _s("institution", doc="bank, wallet provider or exchange"),
            _s("institution_code", doc="BIC, bank code, chain"),
            _s("account_name"),
            _s("currency"),
            _s("country"),
            _s("opened", TIMESTAMP),
            _s("closed", TIMESTAMP),
            _s("attributes"),
            _s("source_format"),
            _s("source_file"),
            _s("source_sha256"),
            _s("source_row", pa.int64()),
        ]
    ),
    required=("account",),
)

REJECTS = Frame(
    "rejects",
    pa.schema(
        [
            _s("source_file"),
            _s("source_row", pa.int64()),
            _s("column"),
            _s("problem"),
            _s("raw", doc="the input row or element as text"),
            _s("source_format"),
            _s("source_sha256"),
        ]
    ),
    required=("source_file", "problem"),
)

ALERTS = Frame(
    "alerts",
    pa.schema(
        [
            _s("alert_id"),
            _s("detector"),
            _s("entity", doc="account key or resolved entity id the alert is about"),
            _s("score", pa.float64(), "0-1, higher is more suspicious"),
            _s("start", TIMESTAMP),
            _s("end", TIMESTAMP),
            _s("tx_ids", pa.list_(pa.string()), "the evidence"),
            _s("reason", doc="one sentence with the numbers for a case note"),
        ]
    ),
    required=ALERT_COLUMNS,
    unique=("alert_id",),
)

MANIFEST = Frame(
    "manifest",
    pa.schema(
        [
            _s("file"),
            _s("sha256"),
            _s("format"),
            _s("reader_version"),
            _s("rows_read", pa.int64()),
            _s("rows_written", pa.int64()),
            _s("rows_rejected", pa.int64()),
            _s("parties", pa.int64()),
            _s("accounts", pa.int64()),
            _s("ingested_at", TIMESTAMP),
            _s("options", doc="JSON of the reader options used"),
        ]
    ),
    required=("file", "sha256", "format"),
    unique=("sha256",),
)

READER_COLUMNS: tuple[str, ...] = tuple(
    c for c in TRANSACTIONS.columns if c not in ("source_format", "source_file", "source_sha256")
)
"""The transactions columns a reader fills: every canonical one but the provenance :func:`~finintel.ingest.read` adds."""
READER_SCHEMA = pa.schema([TRANSACTIONS.schema.field(c) for c in READER_COLUMNS])
"""Arrow schema of :data:`READER_COLUMNS`, for readers that build rows in Arrow."""

FRAMES: dict[str, Frame] = {f.name: f for f in (TRANSACTIONS, PARTIES, ACCOUNTS, REJECTS, ALERTS, MANIFEST)}


# --------------------------------------------------------------------------- dtypes


def _pandas_dtype(typ: pa.DataType) -> Any:
    if pa.types.is_string(typ):
        return pd.StringDtype("pyarrow")
    if pa.types.is_timestamp(typ):
        return pd.DatetimeTZDtype("us", "UTC")
    if pa.types.is_float64(typ):
        return np.dtype("float64")
    if pa.types.is_int64(typ):
        return pd.Int64Dtype()
    return pd.ArrowDtype(typ)


def empty(frame: Frame | str) -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes.

    Examples
    --------
    >>> empty("transactions").dtypes["amount_exact"]
    decimal128(38, 18)[pyarrow]
    """
    spec = FRAMES[frame] if isinstance(frame, str) else frame
    return from_arrow(spec.schema.empty_table(), spec)


def to_arrow(df: pd.DataFrame, frame: Frame | str) -> pa.Table:
    """Convert a frame (already validated) to an Arrow table with the canonical schema first."""
    spec = FRAMES[frame] if isinstance(frame, str) else frame
    arrays, fields = [], []
    for field in spec.schema:
        col = df[field.name] if field.name in df.columns else pd.Series(pd.NA, index=df.index, dtype=object)
        arrays.append(_to_arrow_array(col, field.type))
        fields.append(field)
    extra = [c for c in df.columns if c not in spec.columns]
    for c in extra:
        arr = pa.array(df[c], from_pandas=True) if not isinstance(df[c].dtype, pd.ArrowDtype) else df[c].array._pa_array
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        arrays.append(arr)
        fields.append(pa.field(str(c), arr.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _categorical(col: pd.Series, cats: tuple[str, ...]) -> pd.Categorical:
    """`col` as a Categorical of `cats` (other values become missing), without a Python object per row for Arrow text."""
    if isinstance(col.dtype, pd.StringDtype | pd.ArrowDtype):
        arr = pa.array(col.array, from_pandas=True) if isinstance(col.dtype, pd.StringDtype) else col.array._pa_array
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            enc = arr.dictionary_encode()
            known = list(cats)
            found = [known.index(v) if v in known else -1 for v in enc.dictionary.to_pylist()]
            lookup = np.array([*found, -1], dtype=np.int16)
            codes = lookup[enc.indices.fill_null(len(lookup) - 1).to_numpy(zero_copy_only=False)]
            return pd.Categorical.from_codes(codes, categories=known)
    return pd.Categorical(col.astype(object).where(col.notna(), None), categories=list(cats))


def _to_arrow_array(col: pd.Series, typ: pa.DataType) -> pa.Array:
    if isinstance(col.dtype, pd.CategoricalDtype) and pa.types.is_string(typ):
        codes = col.cat.codes.to_numpy()
        values = pa.array([str(c) for c in col.cat.categories], pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), values).cast(typ)
    if isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype(object)
    if isinstance(col.dtype, pd.ArrowDtype) or isinstance(col.dtype, pd.StringDtype):
        arr = pa.array(col.array, from_pandas=True) if isinstance(col.dtype, pd.StringDtype) else col.array._pa_array
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        return arr.cast(typ) if arr.type != typ else arr
    if pa.types.is_timestamp(typ) and pd.api.types.is_datetime64_any_dtype(col.dtype):
        return pa.array(col, type=typ, from_pandas=True)
    if pa.types.is_float64(typ) and col.dtype == np.float64:
        return pa.array(col.to_numpy(), type=typ, from_pandas=True)  # NaN -> null, no Python float per row
    if pa.types.is_int64(typ) and (isinstance(col.dtype, pd.Int64Dtype | pd.Int32Dtype) or col.dtype == np.int64):
        return pa.array(col.array, from_pandas=True).cast(typ)
    return pa.array(col.astype(object).where(col.notna(), None), type=typ, from_pandas=True)


def from_arrow(table: pa.Table, frame: Frame | str) -> pd.DataFrame:
    """Convert an Arrow table to a pandas frame with the canonical dtypes."""
    spec = FRAMES[frame] if isinstance(frame, str) else frame
    data: dict[str, Any] = {}
    for name in table.column_names:
        col = table.column(name)
        if name in spec.columns:
            typ = spec.schema.field(name).type
            if col.type != typ:
                col = col.cast(typ)
            dtype = _pandas_dtype(typ)
            if isinstance(dtype, pd.ArrowDtype):
                data[name] = pd.Series(pd.arrays.ArrowExtensionArray(col), name=name)
            elif isinstance(dtype, pd.StringDtype):
                data[name] = pd.Series(
                    col.to_pandas(types_mapper={pa.string(): dtype, pa.large_string(): dtype}.get), name=name
                ).astype(dtype)
            else:
                data[name] = pd.Series(col.to_pandas(), name=name).astype(dtype)
        else:
            data[name] = col.to_pandas()
    df = pd.DataFrame(data, index=pd.RangeIndex(table.num_rows))
    for name, cats in (spec.categories or {}).items():
        if name in df.columns:
            df[name] = _categorical(df[name], cats)
    for name in spec.columns:
        if name not in df.columns:
            df[name] = empty(spec)[name] if table.num_rows == 0 else pd.Series(pd.NA, index=df.index)
    return df[list(spec.columns) + [c for c in df.columns if c not in spec.columns]]


# --------------------------------------------------------------------------- validation


def coerce(df: pd.DataFrame, frame: Frame | str, *, lazy: bool = False, path: str | None = None) -> pd.DataFrame:
    """Coerce `df` to a canonical frame, or raise an :class:`InputError` naming column and rows.

    Parameters
    ----------
    df : pandas.DataFrame
        The frame to check; it is not modified.
    frame : Frame or str
        Which canonical frame: ``"transactions"``, ``"parties"``, ...
    lazy : bool, default False
        Collect every problem before raising; the error's ``failures`` frame lists them
        (``path, row, column, problem, value``) with ``row`` the frame's index label.
    path : str, optional
        File name to put in error messages.

    Returns
    -------
    pandas.DataFrame
        A new frame: canonical columns first, in order, with canonical dtypes, then any extra columns.
    """
    spec = FRAMES[frame] if isinstance(frame, str) else frame
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame of {spec.name}, got {type(df).__name__}", path=path)
    failures: list[dict[str, Any]] = []
    missing = [c for c in spec.required if c not in df.columns]
    if missing:
        raise InputError(
            f"the {spec.name} frame lacks required column(s) {', '.join(missing)}; "
            f"canonical columns are {', '.join(spec.columns)}",
            path=path,
            column=missing[0],
        )
    out: dict[str, pd.Series] = {}
    index = df.index
    for field in spec.schema:
        name = field.name
        if name not in df.columns:
            out[name] = pd.Series(
                pd.NA, index=index, dtype=_pandas_dtype(field.type) if not pa.types.is_list(field.type) else object
            )
            continue
        col, bad = _coerce_column(df[name], field.type, name)
        for label in bad.index[:50]:
            failures.append(
                {
                    "path": path,
                    "row": label,
                    "column": name,
                    "problem": bad[label],
                    "value": _short(df[name].get(label)),
                }
            )
        if not bad.empty and not lazy:
            _raise(failures, spec, path)
        out[name] = col
    result = pd.DataFrame(out, index=index)
    failures += _check_values(result, spec, path)
    if failures:
        _raise(failures, spec, path)
    for name, cats in (spec.categories or {}).items():
        result[name] = _categorical(result[name], cats)
    extra = [c for c in df.columns if c not in spec.columns]
    for c in extra:
        result[c] = df[c]
    return result.reset_index(drop=True)


def _short(value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _raise(failures: list[dict[str, Any]], spec: Frame, path: str | None) -> None:
    table = pd.DataFrame(failures, columns=["path", "row", "column", "problem", "value"])
    first = failures[0]
    rows = table.loc[table["column"] == first["column"], "row"].tolist()
    shown = ", ".join(str(r) for r in rows[:5]) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
    more = f" ({len(table)} problems in all, see .failures)" if len(table) > 1 else ""
    raise InputError(
        f"{first['problem']} in row(s) {shown} of the {spec.name} frame, e.g. {first['value']}{more}",
        path=path,
        column=str(first["column"]),
        failures=table,
    )


def _coerce_column(col: pd.Series, typ: pa.DataType, name: str) -> tuple[pd.Series, pd.Series]:
    """Return (coerced column, Series of problems indexed by the offending labels)."""
    nothing = pd.Series(dtype=object)
    if pa.types.is_string(typ):
        if isinstance(col.dtype, pd.StringDtype):
            return col.astype(pd.StringDtype("pyarrow")), nothing
        obj = col.astype(object)
        if pd.api.types.infer_dtype(obj, skipna=True) in ("string", "empty"):
            return obj.astype(pd.StringDtype("pyarrow")), nothing
        if name == "attributes":
            obj = obj.map(lambda v: json.dumps(v, sort_keys=True, default=str) if isinstance(v, Mapping) else v)
        ok = obj.isna() | obj.map(lambda v: isinstance(v, str | int | np.integer))
        bad = obj[~ok]
        obj = obj.where(ok, None).map(lambda v: v if v is None or isinstance(v, str) or v is pd.NA else str(v))
        return obj.astype(pd.StringDtype("pyarrow")), pd.Series("expected text", index=bad.index, dtype=object)
    if pa.types.is_timestamp(typ):
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            ts = col
        else:
            ts = (
                pd.to_datetime(col, errors="coerce", utc=True, format="mixed")
                if len(col)
                else pd.Series(pd.NaT, index=col.index)
            )
        if getattr(ts.dt, "tz", None) is None:
            ts = ts.dt.tz_localize("UTC")
        ts = ts.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
        bad = col.notna() & ts.isna()
        return ts, pd.Series("expected a date and time", index=col.index[bad], dtype=object)
    if pa.types.is_float64(typ):
        num = pd.to_numeric(col, errors="coerce") if not pd.api.types.is_float_dtype(col.dtype) else col
        num = num.astype("float64")
        bad = col.notna() & num.isna()
        return num, pd.Series("expected a number", index=col.index[bad], dtype=object)
    if pa.types.is_int64(typ):
        num = pd.to_numeric(col, errors="coerce")
        frac = num.notna() & (num != np.floor(num.fillna(0)))
        bad = (col.notna() & num.isna()) | frac
        return num.where(~bad).astype("Int64"), pd.Series("expected a whole number", index=col.index[bad], dtype=object)
    if pa.types.is_decimal(typ):
        return _coerce_decimal(col, typ)
    if pa.types.is_list(typ):
        if isinstance(col.dtype, pd.ArrowDtype) and col.dtype.pyarrow_dtype == typ:
            return col, nothing
        ok = col.map(lambda v: isinstance(v, list | tuple | np.ndarray))
        vals = [[str(x) for x in v] if good else [] for v, good in zip(col, ok, strict=True)]
        arr = pd.arrays.ArrowExtensionArray(pa.array(vals, type=typ))
        return pd.Series(arr, index=col.index), pd.Series(
            "expected a list", index=col.index[~ok.astype(bool)], dtype=object
        )
    if pa.types.is_date(typ):
        d = pd.to_datetime(col, errors="coerce")
        bad = col.notna() & d.isna()
        return pd.Series(
            pd.arrays.ArrowExtensionArray(pa.array(d.dt.date.where(d.notna(), None), type=typ)), index=col.index
        ), pd.Series("expected a date", index=col.index[bad], dtype=object)
    raise TypeError(f"no coercion for {typ}")  # pragma: no cover - schema is fixed above


def _coerce_decimal(col: pd.Series, typ: pa.DataType) -> tuple[pd.Series, pd.Series]:
    if isinstance(col.dtype, pd.ArrowDtype) and col.dtype.pyarrow_dtype == typ:
        return col, pd.Series(dtype=object)
    problems: dict[Any, str] = {}
    if isinstance(col.dtype, pd.ArrowDtype) and pa.types.is_decimal(col.dtype.pyarrow_dtype):
        try:
            arr = pc.cast(col.array._pa_array, typ)
            return pd.Series(pd.arrays.ArrowExtensionArray(arr), index=col.index), pd.Series(dtype=object)
        except pa.ArrowInvalid:
            pass
    values: list[Decimal | None] = []
    quantum = Decimal(1).scaleb(-typ.scale)
    limit = Decimal(10) ** (typ.precision - typ.scale)
    for label, v in col.items():
        if v is None or (not isinstance(v, str | Decimal) and pd.isna(v)):
            values.append(None)
            continue
        try:
            d = v if isinstance(v, Decimal) else Decimal(str(v).strip())
            if not d.is_finite():
                raise ValueError
            q = d.quantize(
                quantum, context=Context(prec=typ.precision + 2)
            )  # the default 28 digits refuse 20-digit token values
            if q != d:
                problems[label] = f"more than {typ.scale} decimal places"
                values.append(None)
            elif abs(q) >= limit:
                problems[label] = f"more than {typ.precision - typ.scale} digits before the decimal point"
                values.append(None)
            else:
                values.append(q)
        except (ArithmeticError, ValueError):
            problems[label] = "expected an exact number like 1234.56"
            values.append(None)
    arr = pa.array(values, type=typ)
    return pd.Series(pd.arrays.ArrowExtensionArray(arr), index=col.index), pd.Series(problems, dtype=object)


def _check_values(df: pd.DataFrame, spec: Frame, path: str | None) -> list[dict[str, Any]]:
    failures: list[dict[str, Any]] = []

    def add(mask: pd.Series, column: str, problem: str) -> None:
        for label in df.index[mask.to_numpy(dtype=bool, na_value=True)][:50]:
            failures.append(
                {
                    "path": path,
                    "row": label,
                    "column": column,
                    "problem": problem,
                    "value": _short(df.at[label, column]),
                }
            )

    for name in spec.required:
        add(df[name].isna(), name, "missing value")
    for name in spec.unique:
        if _all_distinct(df[name]):
            continue
        dup = df[name].duplicated(keep="first") & df[name].notna()
        add(dup, name, "duplicate value")
    for name, cats in (spec.categories or {}).items():
        add(df[name].notna() & ~df[name].isin(cats), name, f"expected one of {', '.join(cats)}")
    if spec.name == "transactions":
        amt = df["amount"]
        add(amt.notna() & ~(np.isfinite(amt) & (amt > 0)), "amount", "expected a positive finite amount")
    if spec.name == "alerts":
        add(df["reason"].notna() & (df["reason"].str.len() == 0), "reason", "an alert needs a reason")
    return failures


def _all_distinct(col: pd.Series) -> bool:
    """True when an Arrow-backed column has no repeated value (one hash pass, no pandas factorize)."""
    if not isinstance(col.dtype, pd.ArrowDtype | pd.StringDtype) or len(col) == 0:
        return False
    try:
        arr = pa.array(col.array, from_pandas=True)
    except (pa.ArrowException, TypeError):
        return False
    return len(pc.unique(arr)) == len(arr) - arr.null_count + (1 if arr.null_count else 0)


def _validator(frame: Frame) -> Any:
    def validate(df: pd.DataFrame, *, lazy: bool = False, path: str | None = None) -> pd.DataFrame:
        return coerce(df, frame, lazy=lazy, path=path)

    validate.__name__ = f"validate_{frame.name}"
    validate.__doc__ = (
        f"Coerce `df` to the canonical {frame.name} frame, or raise :class:`~finintel.errors.InputError`.\n\n"
        f"Required columns: {', '.join(frame.required)}. See :func:`coerce` for the parameters."
    )
    return validate


validate_parties = _validator(PARTIES)
validate_accounts = _validator(ACCOUNTS)
validate_rejects = _validator(REJECTS)
validate_alerts = _validator(ALERTS)


def validate_transactions(df: pd.DataFrame, *, lazy: bool = False, path: str | None = None) -> pd.DataFrame:
    """Coerce `df` to the canonical transactions frame, or raise an :class:`InputError`.

    Missing optional columns are added as nulls; ``amount_exact`` defaults to ``amount``
    (as written in decimal) when absent; ``status`` defaults to ``completed``. Naive
    timestamps are taken as UTC.

    Parameters
    ----------
    df : pandas.DataFrame
        Transactions; must have ``tx_id, timestamp, sender, receiver, amount, currency, channel``.
    lazy : bool, default False
        Collect every problem (in ``error.failures``) instead of stopping at the first column.
    path : str, optional
        File name to put in error messages.

    Raises
    ------
    InputError
        Naming the column and the first offending rows, e.g. a non-positive amount.

    Examples
    --------
    >>> df = pd.DataFrame({"tx_id": ["t1"], "timestamp": ["2024-03-01 10:00"], "sender": ["msisdn:+254712345678"],
    ...                    "receiver": ["cash:agent-1"], "amount": [100.0], "currency": ["KES"], "channel": ["mobile_money"]})
    >>> tx = fi.schema.validate_transactions(df)
    >>> tx.loc[0, "timestamp"], str(tx.loc[0, "amount_exact"]), tx.loc[0, "status"]
    (Timestamp('2024-03-01 10:00:00+0000', tz='UTC'), '100.000000000000000000', 'completed')
    >>> fi.schema.validate_transactions(df.assign(amount=[-5.0]))
    Traceback (most recent call last):
    ...
    finintel.errors.InputError: column 'amount': expected a positive finite amount in row(s) 0 of the transactions frame, e.g. -5.0
    """
    if isinstance(df, pd.DataFrame) and "amount" in df.columns:
        fill: dict[str, Any] = {}
        if "amount_exact" not in df.columns:
            amt = pd.to_numeric(df["amount"], errors="coerce")
            fill["amount_exact"] = amt.map(
                lambda v: None if pd.isna(v) or not np.isfinite(v) else Decimal(repr(float(v)))
            )
        if "status" not in df.columns:
            fill["status"] = "completed"
        if fill:
            df = df.assign(**fill)
    return coerce(df, TRANSACTIONS, lazy=lazy, path=path)


def rows_failing(df: pd.DataFrame, frame: Frame | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split `df` into the rows that pass validation and a failures frame for the others.

    Used by readers so that one bad row lands in rejects instead of stopping the file.
    Returns ``(valid rows coerced, failures)`` where failures has ``row, column, problem, value``
    with ``row`` the index label of `df`.
    """
    spec = FRAMES[frame] if isinstance(frame, str) else frame
    validate = validate_transactions if spec is TRANSACTIONS else (lambda d, **kw: coerce(d, spec, **kw))
    try:
        return validate(df, lazy=True), pd.DataFrame(columns=["row", "column", "problem", "value"])
    except InputError as err:
        if err.failures is None:
            raise
        failures = _all_failures(df, spec, validate)
        bad_labels = set(failures["row"])
        good = df.loc[[label for label in df.index if label not in bad_labels]]
        return validate(good, lazy=True), failures


def _all_failures(df: pd.DataFrame, spec: Frame, validate: Any) -> pd.DataFrame:
    # The lazy validator keeps 50 failures per check; loop until every bad row is found.
    found: list[pd.DataFrame] = []
    rest = df
    while True:
        try:
            validate(rest, lazy=True)
            break
        except InputError as err:
            if err.failures is None or err.failures.empty:
                raise
            f = err.failures.drop_duplicates("row", keep="first")
            found.append(f)
            rest = rest.drop(index=f["row"].unique())
            if rest.empty:
                break
    return pd.concat(found, ignore_index=True)[["row", "column", "problem", "value"]]


def iter_json(values: Iterable[Any]) -> list[str | None]:
    """Serialise mappings to the JSON text the ``attributes`` columns hold (sorted keys, None kept)."""
    return [None if v is None else json.dumps(v, sort_keys=True, default=str, ensure_ascii=False) for v in values]
