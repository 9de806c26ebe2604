"""Helpers shared by readers: decoding text, exact amounts, ids, reject rows, safe XML."""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from finintel.errors import InputError, UnsafeInputError
from finintel.schema import frames as F

__all__ = [
    "MAX_FILE_BYTES",
    "decimal_array",
    "decode_text",
    "parse_decimal",
    "reject",
    "rejects_frame",
    "row_tx_id",
    "safe_xml_parser",
    "check_size",
]

MAX_FILE_BYTES = 4 * 1024**3
"""Files larger than this are refused unless a reader streams them (goAML, camt)."""

_NUM_CLEAN = re.compile(r"[\s\u00a0',_]|[A-Za-z$€£]+\.?")


def check_size(path: Path, limit: int = MAX_FILE_BYTES) -> None:
    size = path.stat().st_size
    if size > limit:
        raise UnsafeInputError(
            f"the file is {size / 1e9:.1f} GB, over the {limit / 1e9:.1f} GB this reader loads into memory; "
            "split it or use a streaming reader",
            path=str(path),
        )


def decode_text(path: Path, raw: bytes | None = None, encodings: Iterable[str] = ("utf-8",)) -> tuple[str, str]:
    """Decode a text export: BOM first (UTF-8/16/32), then each of `encodings` strictly.

    Returns ``(text, encoding)``. A file that decodes in none raises an InputError naming
    the byte offset and line of the first undecodable byte, so a user can find it.
    """
    data = raw if raw is not None else path.read_bytes()
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"starts with a {enc} byte-order mark but is not valid {enc}: {exc.reason}", path=str(path)
                ) from None
    first_error: UnicodeDecodeError | None = None
    tried = []
    for enc in encodings:
        tried.append(enc)
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
    assert first_error is not None
    line = data[: first_error.start].count(b"\n") + 1
    raise InputError(
        f"cannot decode byte {data[first_error.start : first_error.start + 1]!r} at offset {first_error.start} "
        f"as {' or '.join(tried)}; pass encoding= (e.g. 'cp1252') if the export uses another encoding",
        path=str(path),
        row=line,
    )


def parse_decimal(text: Any, *, decimal_comma: bool = False) -> Decimal:
    """Parse an amount as written in an export: thousands separators, currency signs, (brackets), trailing minus.

    >>> parse_decimal("1,234.50"), parse_decimal("KES 2 000"), parse_decimal("(15.00)"), parse_decimal("12-")
    (Decimal('1234.50'), Decimal('2000'), Decimal('-15.00'), Decimal('-12'))
    >>> parse_decimal("1.234,56", decimal_comma=True)
    Decimal('1234.56')
    """
    if isinstance(text, Decimal):
        return text
    if isinstance(text, int | float) and not isinstance(text, bool):
        if text != text:
            raise InvalidOperation("NaN")
        return Decimal(repr(text)) if isinstance(text, float) else Decimal(text)
    s = str(text).strip()
    neg = False
    if s.startswith("(") and s.endswith(")"):
        neg, s = True, s[1:-1]
    if s.endswith("-"):
        neg, s = True, s[:-1]
    if decimal_comma:
        s = s.replace(".", "").replace(" ", "").replace(",", ".")
    s = _NUM_CLEAN.sub("", s)
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)(E[+-]?\d+)?", s, flags=re.I):
        raise InvalidOperation(f"not a number: {text!r}")
    d = Decimal(s)
    return -d if neg else d


def decimal_array(texts: pd.Series | pa.Array, *, scale: int = 18) -> tuple[pa.Array, pa.Array]:
    """Vectorised exact amounts: strings with separators to decimal128(38, 18).

    Returns ``(decimals, ok_mask)``; rows that are not numbers are null in `decimals`
    and False in `ok_mask`.
    """
    arr = (
        texts
        if isinstance(texts, pa.Array | pa.ChunkedArray)
        else pa.array(texts.astype(object).where(texts.notna(), None), type=pa.string(), from_pandas=True)
    )
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    cleaned = pc.replace_substring_regex(pc.utf8_trim_whitespace(arr), r"[\s,'_]", "")
    ok = pc.match_substring_regex(cleaned, r"^[+-]?(\d+\.?\d*|\.\d+)$")
    ok = pc.fill_null(ok, False)
    safe = pc.if_else(ok, cleaned, pa.scalar(None, pa.string()))
    # pyarrow casts strings to decimal exactly; strings with more decimals than the scale are refused
    parts = pc.split_pattern(safe, ".", max_splits=1)
    frac_len = pc.utf8_length(
        pc.list_element(
            pc.if_else(pc.greater(pc.list_value_length(parts), 1), parts, pa.scalar(["0", ""], pa.list_(pa.string()))),
            1,
        )
    )
    ok = pc.and_(ok, pc.fill_null(pc.less_equal(frac_len, scale), False))
    safe = pc.if_else(ok, safe, pa.scalar(None, pa.string()))
    dec = pc.cast(pc.cast(safe, pa.decimal128(38, scale)), F.DECIMAL)
    return dec, ok


def row_tx_id(prefix: str, sha256: str, row: int | str) -> str:
    """A stable tx_id for sources without their own: ``<prefix>:<hash of file and row>``."""
    return f"{prefix}:{hashlib.sha1(f'{sha256}:{row}'.encode()).hexdigest()[:16]}"


def reject(row: int | None, column: str | None, problem: str, raw: Any) -> dict[str, Any]:
    """One reject row (source_file is filled in by the dispatcher)."""
    text = raw if isinstance(raw, str) else json.dumps(raw, default=str, ensure_ascii=False)
    return {"source_row": row, "column": column, "problem": problem, "raw": text}


def rejects_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    if not rows:
        return F.empty(F.REJECTS)
    df = pd.DataFrame(rows)
    df["source_file"] = ""
    return df


def safe_xml_parser(**kwargs: Any) -> Any:
    """An lxml parser that never resolves entities, loads DTDs or touches the network."""
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False, **kwargs
    )


def refuse_dtd(path: Path, head: bytes) -> None:
    """Refuse XML with a DOCTYPE that declares entities (XXE, billion laughs) before parsing."""
    if re.search(rb"<!DOCTYPE[^>]*\[", head, flags=re.I) or re.search(rb"<!ENTITY", head, flags=re.I):
        raise UnsafeInputError(
            "the XML declares a DTD with entities; refused (external entities and entity expansion are not allowed)",
            path=str(path),
        )
