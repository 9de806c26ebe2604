"""Vectorised parsers for statement columns: amounts, dates, JSON attributes, per-value key mapping.

Private helper of :mod:`finintel.ingest.tabular`. Everything works on whole Arrow
columns (``pyarrow.compute``); Python runs once per *distinct* value at most.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from finintel.ingest._util import decimal_array
from finintel.schema import frames as F

__all__ = [
    "DATE_FORMATS",
    "detect_dayfirst",
    "detect_decimal_comma",
    "json_objects",
    "key_country",
    "map_distinct",
    "parse_amounts",
    "parse_timestamps",
    "per_distinct",
    "phone_keys",
]

_TIMES = ("%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p")
_ISO = [
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y%m%d",
]
_NAMED = [
    "%d-%b-%Y",
    "%d %b %Y",
    "%d-%b-%y",
    "%d %b %y",
    "%d-%b-%Y %H:%M:%S",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%d-%b-%Y %H:%M",
    "%b %d, %Y",
    "%d %B %Y",
    "%B %d, %Y",
]


def _numeric(order: str) -> list[str]:
    out = []
    for sep in ("/", "-", "."):
        a, b = ("%d", "%m") if order == "dmy" else ("%m", "%d")
        for year in ("%Y", "%y"):
            d = f"{a}{sep}{b}{sep}{year}"
            out += [f"{d} {t}" for t in _TIMES] + [d]
    return out


DATE_FORMATS: dict[str, list[str]] = {"dmy": _ISO + _numeric("dmy") + _NAMED, "mdy": _ISO + _numeric("mdy") + _NAMED}
"""Formats tried, by field order; the one that reads most of a sample of the column wins."""


def _strings(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr if arr.type == pa.string() else pc.cast(arr, pa.string())


def _mask(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


# --------------------------------------------------------------------------- amounts


def detect_decimal_comma(columns: list[pa.Array]) -> bool:
    """True when amounts are written ``1.234,56`` (a comma then one or two digits ends some value and no dot does).

    >>> detect_decimal_comma([pa.array(["-50,00", "1300,00", ""])]), detect_decimal_comma([pa.array(["1,500.00", "20"])])
    (True, False)
    """
    comma = dot = False
    for arr in columns:
        if not pc.any(pc.match_substring(_strings(arr), ",")).as_py():
            continue  # no comma at all in this column
        s = pc.utf8_trim_whitespace(_strings(arr))
        comma = comma or bool(pc.any(pc.match_substring_regex(s, r"\d,\d{1,2}\)?-?$")).as_py())
        dot = dot or bool(pc.any(pc.match_substring_regex(s, r"\d\.\d{1,2}\)?-?$")).as_py())
        dot = dot or bool(pc.any(pc.match_substring_regex(s, r"\d,\d{3}\.")).as_py())
    return comma and not dot


def parse_amounts(
    arr: pa.Array | pa.ChunkedArray, *, decimal_comma: bool = False
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Parse amounts as banks write them: ``1,234.50``, ``KES 2 000``, ``(15.00)``, ``12-``, ``+31070,11``, ``50.00 DR``.

    Returns ``(decimals, ok, empty)``: signed exact amounts (null where not a number),
    a mask of rows that are numbers and a mask of empty cells.

    >>> dec, ok, empty = parse_amounts(pa.array(["1,234.50", "(15.00)", "12-", "KES 2 000", "", "abc", "50 DR", "Dr 7"]))
    >>> [str(v) if v is not None else None for v in dec.to_pylist()][:4]
    ['1234.500000000000000000', '-15.000000000000000000', '-12.000000000000000000', '2000.000000000000000000']
    >>> ok.tolist(), empty.tolist()
    ([True, True, True, True, False, False, True, True], [False, False, False, False, True, False, False, False])
    >>> [str(v) for v in dec.to_pylist()[6:]]
    ['-50.000000000000000000', '-7.000000000000000000']
    """
    s = pc.utf8_trim_whitespace(pc.fill_null(_strings(arr), ""))
    empty = _mask(pc.equal(s, ""))
    if not decimal_comma:
        # fast path: plain numbers with at most thousands commas need no regex clean-up
        plain = pc.replace_substring(s, ",", "")
        simple = pc.match_substring_regex(plain, r"^-?\d+(\.\d+)?$")
        if pc.all(pc.or_(simple, pc.equal(s, ""))).as_py():
            if (pc.max(pc.utf8_length(plain)).as_py() or 0) <= 20:
                # validated above: Arrow casts the text to decimal exactly
                dec = pc.cast(pc.if_else(simple, plain, pa.scalar(None, pa.string())), pa.decimal128(38, 18))
                return dec, _mask(simple), empty
            dec, ok = decimal_array(plain)
            return dec, _mask(ok), empty
    neg = pc.or_(
        pc.match_substring_regex(s, r"^\(.*\)$"), pc.match_substring_regex(s, r"(-|(?i:\bdr?))$|^(?i:dr)\.?\s")
    )
    t = pc.replace_substring_regex(s, r"(?i)\s*(dr?|cr?)$", "")
    t = pc.replace_substring_regex(t, r"^\((.*)\)$", r"\1")
    t = pc.replace_substring_regex(t, r"-$", "")
    t = pc.replace_substring_regex(t, r"(?i)^[a-z$€£]{1,4}\.?\s*|\s*[a-z$€£]{1,4}\.?$", "")  # currency code or sign
    t = pc.replace_substring_regex(t, "[\\s\u00a0'_]", "")
    if decimal_comma:
        t = pc.replace_substring(pc.replace_substring(t, ".", ""), ",", ".")
    else:
        t = pc.replace_substring(t, ",", "")
    t = pc.if_else(pc.and_(neg, pc.invert(pc.starts_with(t, "-"))), pc.binary_join_element_wise("-", t, ""), t)
    t = pc.replace_substring_regex(t, r"^\+", "")
    dec, ok = decimal_array(t)
    return dec, _mask(ok), empty


# --------------------------------------------------------------------------- dates


def detect_dayfirst(arr: pa.Array | pa.ChunkedArray) -> bool | None:
    """Day first (True), month first (False) or undecided (None) from numeric dates like ``15/03/2024``.

    A first field above 12 means day first; a second field above 12 means month first.

    >>> detect_dayfirst(pa.array(["01/04/20", "15/04/20"])), detect_dayfirst(pa.array(["12/15/2018"])), detect_dayfirst(pa.array(["01/04/20"]))
    (True, False, None)
    """
    # the pattern reads at most 10 characters: the distinct 10-character prefixes (days) decide
    prefix = pc.utf8_slice_codeunits(pc.utf8_trim_whitespace(_strings(arr)), 0, 10)
    parts = pc.extract_regex(prefix.dictionary_encode().dictionary, r"^(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-]\d{2,4}")
    if parts.null_count == len(parts):
        return None
    a = pc.cast(pc.struct_field(parts, "a"), pa.int32())
    b = pc.cast(pc.struct_field(parts, "b"), pa.int32())
    first_big = bool(pc.any(pc.greater(a, 12)).as_py())
    second_big = bool(pc.any(pc.greater(b, 12)).as_py())
    if first_big != second_big:
        return first_big
    return None


def parse_timestamps(
    arr: pa.Array | pa.ChunkedArray, *, dayfirst: bool, tz: str, date_format: str | None = None
) -> tuple[pa.Array, np.ndarray, str]:
    """Parse a date or date-time column to UTC microseconds; times without an offset are read in `tz`.

    The format is the one of :data:`DATE_FORMATS` that reads most of a sample (or `date_format`);
    values it cannot read are retried one by one with pandas. Returns ``(timestamps, ok, format)``.

    >>> ts, ok, fmt = parse_timestamps(pa.array(["15/03/2024 14:05", "16/03/2024 09:00", "x"]), dayfirst=True, tz="Africa/Nairobi")
    >>> fmt, [str(v) for v in ts.to_pylist()[:2]], ok.tolist()
    ('%d/%m/%Y %H:%M', ['2024-03-15 11:05:00+00:00', '2024-03-16 06:00:00+00:00'], [True, True, False])
    """
    s = pc.utf8_trim_whitespace(pc.fill_null(_strings(arr), ""))
    if _odd_spaces(s):
        s = pc.replace_substring_regex(s, r"\s+", " ")
    nonempty = pc.filter(s, pc.not_equal(s, ""))
    fmt = date_format or _best_format(nonempty, dayfirst)
    out_type = pa.timestamp("us", tz="UTC")
    if fmt is None:
        parsed = pa.nulls(len(s), out_type)
    else:
        parsed = _check_day(s, pc.strptime(s, format=fmt, unit="us", error_is_null=True), fmt)
        if "%z" not in fmt:
            parsed = pc.assume_timezone(parsed, timezone=tz, ambiguous="earliest", nonexistent="earliest")
        parsed = parsed.cast(out_type)
    bad = pc.and_(pc.is_null(parsed), pc.not_equal(s, ""))
    if pc.any(bad).as_py():
        parsed = _retry(s, parsed, bad, dayfirst=dayfirst, tz=tz)
    year = pc.year(parsed)
    parsed = pc.if_else(
        pc.fill_null(pc.and_(pc.greater_equal(year, 1900), pc.less(year, 2200)), False),
        parsed,
        pa.scalar(None, out_type),
    )
    return parsed, _mask(pc.is_valid(parsed)), fmt or ""


def _odd_spaces(s: pa.Array) -> bool:
    """True when some value has two whitespace characters in a row, a tab, a line break or a no-break space.

    The same as searching ``\\s\\s|[\\t\\r\\n\\xa0]`` (RE2's ``\\s`` is ``[\\t\\n\\f\\r ]``), with plain substring
    scans first: any ``\\s\\s`` not holding a tab or line break is two spaces or holds a form feed.

    >>> _odd_spaces(pa.array(["15/03/2024 10:00"])), _odd_spaces(pa.array(["15/03/2024  10:00"]))
    (False, True)
    >>> _odd_spaces(pa.array(["15/03/2024\\x0c 10:00"])), _odd_spaces(pa.array(["15/03/2024\\x0c10:00"]))
    (True, False)
    """
    for ch in ("  ", "\t", "\r", "\n", "\xa0"):
        if pc.any(pc.match_substring(s, ch)).as_py():
            return True
    if pc.any(pc.match_substring(s, "\x0c")).as_py():
        return bool(pc.any(pc.match_substring_regex(s, r"\s\s")).as_py())
    return False


def _check_day(s: pa.Array, parsed: pa.Array, fmt: str) -> pa.Array:
    """Null where the day written differs from the day read: strptime rolls 31/02 over to 2 or 3 March."""
    if "%z" in fmt:
        return parsed  # already in UTC: the day may differ from the one written
    if fmt.startswith("%d"):
        pattern = r"^(?P<d>\d{1,2})\D"
    elif fmt.startswith("%m"):
        pattern = r"^\d{1,2}\D(?P<d>\d{1,2})\D"
    elif fmt.startswith(("%Y-%m-%d", "%Y/%m/%d")):
        pattern = r"^\d{4}\D\d{1,2}\D(?P<d>\d{1,2})"
    else:
        return parsed
    written = pc.cast(pc.struct_field(pc.extract_regex(s, pattern), "d"), pa.int64())
    same = pc.fill_null(pc.equal(written, pc.day(parsed)), True)
    return pc.if_else(same, parsed, pa.scalar(None, parsed.type))


def _best_format(values: pa.Array, dayfirst: bool) -> str | None:
    sample = values.slice(0, 200)
    if len(sample) > 0 and len(values) > 400:
        sample = pa.concat_arrays([sample, values.slice(len(values) // 2, 100), values.slice(len(values) - 100, 100)])
    if len(sample) == 0:
        return None
    best, best_n = None, 0
    for fmt in DATE_FORMATS["dmy" if dayfirst else "mdy"]:
        got = _check_day(sample, pc.strptime(sample, format=fmt, unit="us", error_is_null=True), fmt)
        year = pc.year(got)
        n = int(pc.sum(pc.fill_null(pc.and_(pc.greater_equal(year, 1900), pc.less(year, 2200)), False)).as_py() or 0)
        if n > best_n:
            best, best_n = fmt, n
            if n == len(sample):
                break
    return best


def _retry(s: pa.Array, parsed: pa.Array, bad: pa.Array, *, dayfirst: bool, tz: str) -> pa.Array:
    # numeric dates the chosen format could not read are invalid (31/02/2024), not another format: no retry
    numeric = pc.match_substring_regex(
        s, r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}( \d{1,2}:\d{2}(:\d{2})?( ?[AaPp][Mm])?)?$"
    )
    idx = np.flatnonzero(_mask(bad) & ~_mask(numeric))
    if len(idx) == 0:
        return parsed
    texts = pd.Series(s.take(pa.array(idx)).to_pylist(), dtype=object)
    with np.errstate(all="ignore"):
        got = pd.to_datetime(texts, errors="coerce", dayfirst=dayfirst, format="mixed")
    vals: list[Any] = []
    for v in got:
        if pd.isna(v):
            vals.append(None)
            continue
        ts = pd.Timestamp(v)
        ts = ts.tz_localize(tz, ambiguous="NaT", nonexistent="NaT") if ts.tzinfo is None else ts
        vals.append(None if pd.isna(ts) else ts.tz_convert("UTC"))
    fixed = np.asarray(parsed.to_numpy(zero_copy_only=False), dtype="datetime64[us]").copy()
    for i, v in zip(idx, vals, strict=True):
        fixed[i] = np.datetime64("NaT") if v is None else np.datetime64(v.tz_localize(None), "us")
    return pa.array(fixed, type=pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC"))


# --------------------------------------------------------------------------- attributes and keys


def _json_escape(arr: pa.Array) -> pa.Array:
    """Text escaped for the inside of a JSON string; one scan when nothing needs escaping."""
    t = _strings(arr)
    if not pc.any(pc.match_substring_regex(t, r'["\\\x00-\x1f]')).as_py():
        return t
    for ch, esc in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        t = pc.replace_substring(t, ch, esc)
    if pc.any(pc.match_substring_regex(t, r"[\x00-\x08\x0b\x0c\x0e-\x1f]")).as_py():
        for code in (*range(9), 11, 12, *range(14, 32)):
            t = pc.replace_substring(t, chr(code), f"\\u{code:04x}")
    return t


def json_objects(fields: Mapping[str, pa.Array], n: int) -> pa.Array:
    """JSON object text per row from text columns, built without a Python loop; empty or null values become null.

    >>> json_objects({"balance": pa.array(["10.00", ""]), "ref": pa.array(['a"b', None])}, 2).to_pylist()
    ['{"balance":"10.00","ref":"a\\\\"b"}', '{"balance":null,"ref":null}']
    >>> json_objects({"b": pa.array(["1", "2"]), "a": pa.array(["x", "y"])}, 2).to_pylist()
    ['{"a":"x","b":"1"}', '{"a":"y","b":"2"}']
    """
    if not fields:
        return pa.nulls(n, pa.string())
    pieces: list[Any] = []
    for i, key in enumerate(sorted(fields)):
        col = _strings(fields[key])
        name = _json_escape(pa.array([key]))[0].as_py()
        lead = ("{" if i == 0 else ",") + f'"{name}":'
        empty = pc.fill_null(pc.equal(col, ""), True)
        if not pc.any(empty).as_py():  # every row has a value: quote it in the one join below
            pieces += [lead + '"', _json_escape(col), '"']
            continue
        quoted = pc.binary_join_element_wise('"', _json_escape(col), '"', "")
        pieces += [lead, pc.if_else(empty, "null", quoted)]
    return pc.binary_join_element_wise(*pieces, "}", "")


def phone_keys(arr: pa.Array | pa.ChunkedArray, country: str) -> pa.Array:
    """Keys of phone-like text (``guess_key``), calling the phone library once per number *range*, not per number.

    Whether a number is valid depends on its length and leading digits (numbering plans of KE, UG, ET,
    DJ constrain at most the first six national digits), not on its last three, so ``0712345678`` is
    checked as ``0712345000`` and the checked key gets the real last three digits back; a test compares
    this with ``guess_key`` on thousands of random numbers.
    Text that is not plain digits goes through :func:`~finintel.schema.keys.guess_key` one distinct value at a time.

    >>> phone_keys(pa.array(["0712345678", "+254 733 000 111", "0****393", None]), "KE").to_pylist()
    ['msisdn:+254712345678', 'msisdn:+254733000111', 'masked:0****393', None]
    """
    from finintel.schema.keys import guess_key

    s = _strings(arr)
    compact = pc.replace_substring_regex(s, r"[\s\-().]", "")
    numeric = pc.fill_null(pc.match_substring_regex(compact, r"^\+?\d{8,15}$"), False)
    length = pc.utf8_length(compact)
    head = pc.utf8_slice_codeunits(compact, 0, -3)
    tail = pc.utf8_slice_codeunits(compact, -3)
    rep = pc.binary_join_element_wise(head, "000", "")
    rep_key = map_distinct(pc.if_else(numeric, rep, pa.scalar(None, pa.string())), lambda v: guess_key(v, country))
    is_phone = pc.fill_null(pc.and_(pc.starts_with(rep_key, "msisdn:"), pc.greater_equal(length, 8)), False)
    fast = pc.binary_join_element_wise(pc.utf8_slice_codeunits(rep_key, 0, -3), tail, "")
    slow = map_distinct(pc.if_else(numeric, pa.scalar(None, pa.string()), s), lambda v: guess_key(v, country))
    return pc.if_else(is_phone, fast, pc.if_else(numeric, pa.scalar(None, pa.string()), slow))


def key_country(keys: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Country (ISO alpha-2) an account key reveals: a phone's calling code or an IBAN's prefix, else null.

    >>> key_country(pa.array(["msisdn:+254712345678", "iban:GB82WEST12345698765432", "paybill:888880", None])).to_pylist()
    ['KE', 'GB', None, None]
    """
    return per_distinct(keys, lambda s: {"cc": _key_country(s)})["cc"]


def _key_country(s: pa.Array) -> pa.Array:
    import phonenumbers

    iban = pc.utf8_slice_codeunits(pc.struct_field(pc.extract_regex(s, r"^iban:(?P<c>[A-Z]{2})"), "c"), 0, 2)
    e164 = pc.struct_field(pc.extract_regex(s, r"^msisdn:(?P<n>\+\d{4,6})"), "n")

    def region(prefix: str) -> str | None:
        for size in (1, 2, 3):
            try:
                code = int(prefix[1 : 1 + size])
            except ValueError:
                return None
            got = phonenumbers.region_code_for_country_code(code)
            if got and got != "ZZ":
                return str(got)
        return None

    return pc.coalesce(iban, map_distinct(e164, region))


def per_distinct(
    arr: pa.Array | pa.ChunkedArray, func: Callable[[pa.Array], dict[str, pa.Array]], *, sample: int = 20_000
) -> dict[str, pa.Array]:
    """Run the column function `func` on the distinct values of `arr` only, and spread its results back by index.

    Narratives, dates and account keys repeat in statements (one counterparty, one day, one holder
    on many rows), so regular expressions then run once per distinct value. When a sample of the
    column is mostly distinct, `func` runs on the column as it is. Results are the same either way.

    >>> got = per_distinct(pa.array(["a1", "b22", "a1", None]), lambda a: {"n": pc.utf8_length(a)})
    >>> got["n"].to_pylist()
    [2, 3, 2, None]
    """
    s = _strings(arr)
    head = s.slice(0, sample)
    if len(s) < 64 or pc.count_distinct(head, mode="all").as_py() > len(head) // 2:
        return func(s)
    enc = s.dictionary_encode()
    if len(enc.dictionary) > len(s) // 2:
        return func(s)
    return {k: v.take(enc.indices) for k, v in func(enc.dictionary).items()}


def map_distinct(arr: pa.Array | pa.ChunkedArray, func: Callable[[str], str | None]) -> pa.Array:
    """Apply `func` once per distinct value and spread the results back (nulls stay null)."""
    enc = _strings(arr).dictionary_encode()
    values = [None if v is None else func(v) for v in enc.dictionary.to_pylist()]
    return pa.array(values, pa.string()).take(enc.indices)


def to_series(arr: pa.Array, name: str) -> pd.Series:
    """An Arrow column as a pandas Series with the canonical dtype of transactions column `name`."""
    typ = F.TRANSACTIONS.schema.field(name).type
    if pa.types.is_string(typ):
        return pd.Series(pd.arrays.ArrowStringArray(_strings(arr)), name=name)
    if pa.types.is_decimal(typ):
        return pd.Series(pd.arrays.ArrowExtensionArray(arr.cast(typ)), name=name)
    if pa.types.is_timestamp(typ):
        return pd.Series(arr.cast(typ).to_pandas(), name=name).astype("datetime64[us, UTC]", copy=False)
    return pd.Series(arr.to_numpy(zero_copy_only=False), name=name)
