"""Load a CSV or Excel statement as a header, the metadata rows above it and a body of text columns.

Private helper of :mod:`finintel.ingest.tabular`. Every cell becomes text (Excel
dates as ISO text, whole numbers without ``.0``) so that one set of vectorised
parsers serves CSV and Excel alike. Rows are numbered as a spreadsheet shows
them: 1-based, counting metadata rows, the header and blank rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from finintel.errors import InputError
from finintel.ingest._util import check_size, decode_text

__all__ = [
    "HEAD_ROWS",
    "Sheet",
    "cell_text",
    "head_rows",
    "is_excel",
    "is_html_table",
    "is_utf16_text",
    "load_sheet",
    "normalise_header",
    "split_grid",
]

HEAD_ROWS = 60
"""How many rows from the top are searched for the header row."""

XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_DELIMITERS = (",", ";", "\t", "|")

HeaderFinder = Callable[[Sequence[Sequence[str]]], int | None]


@dataclass
class Sheet:
    """A statement split into its parts; ``body`` columns are named by position (``c0``, ``c1``...)."""

    header: list[str]
    header_row: int
    """1-based row of the header as a spreadsheet shows it."""
    meta: list[list[str]]
    """The rows above the header (statement title, account number, period...)."""
    body: pa.Table
    rows: np.ndarray
    """Spreadsheet row number of each body row."""
    kind: str = "csv"
    encoding: str = ""
    delimiter: str = ""
    sheet_name: str = ""
    rejects: list[dict[str, Any]] = field(default_factory=list)
    """Rows that cannot be split into the header's columns (ragged rows)."""


def normalise_header(text: str) -> str:
    """Lower-case a header, drop parenthesised notes and punctuation: ``"Receipt No."`` -> ``"receipt no"``.

    >>> normalise_header(" Receipt No. "), normalise_header("Amount (KES)"), normalise_header("A/C No.")
    ('receipt no', 'amount', 'a c no')
    """
    t = re.sub(r"\(.*?\)", " ", str(text).lower())
    return re.sub(r"[^0-9a-z]+", " ", t).strip()


def is_excel(head: bytes) -> bool:
    """True for an .xls (OLE2), .xlsx (zip) or an HTML table saved as .xls, by the first bytes."""
    return head.startswith(XLS_MAGIC) or head.startswith(ZIP_MAGIC) or is_html_table(head)


def is_html_table(head: bytes) -> bool:
    """True for an HTML page holding a table (what many portals export as "Excel")."""
    start = head[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<html", b"<!doctype html", b"<table", b"<meta", b"<head")) and b"<t" in head.lower()


def cell_text(value: Any) -> str:
    """One spreadsheet cell as text: dates as ISO, whole-number floats without ``.0``, None as ``""``.

    >>> cell_text(2750.0), cell_text(33.5), cell_text(datetime(2008, 10, 23, 17, 47, 33)), cell_text(None)
    ('2750', '33.5', '2008-10-23 17:47:33', '')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if value != value:
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


# --------------------------------------------------------------------------- head (for sniffing and header search)


def head_rows(
    path: Path, head: bytes, *, encoding: str | None = None, n: int = HEAD_ROWS, prefer: HeaderFinder | None = None
) -> tuple[list[list[str]], str]:
    """The first `n` rows of a CSV (from `head` bytes) or Excel file, as text, and the delimiter ('' for Excel)."""
    if is_excel(head):
        return _excel_rows(path, limit=n, prefer=prefer)[0], ""
    text = _head_text(head, encoding)
    lines = text.splitlines()[:n]
    delim = _guess_delimiter(lines)
    return [list(r) for r in csv.reader(lines, delimiter=delim)], delim


def _head_text(head: bytes, encoding: str | None) -> str:
    """The first bytes as text for sniffing: a UTF-16/32 byte-order mark (Excel's "Unicode Text") wins."""
    for bom, enc in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if head.startswith(bom):
            cut = len(head) - (len(head) % 4)
            return head[:cut].decode(enc, errors="replace").lstrip("\ufeff")
    return head.decode(encoding or "utf-8", errors="replace").lstrip("\ufeff")


def is_utf16_text(head: bytes) -> bool:
    """True for text with a UTF-16 or UTF-32 byte-order mark."""
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def _guess_delimiter(lines: list[str]) -> str:
    best, best_score = ",", -1
    for d in _DELIMITERS:
        counts = [len(next(csv.reader([ln], delimiter=d), [])) for ln in lines if ln.strip()]
        if not counts:
            continue
        # the delimiter that splits most lines into the same, largest number of fields
        top = max(set(counts), key=lambda c: (counts.count(c) * (c > 1), c))
        score = counts.count(top) * (top > 1) * 1000 + top
        if score > best_score:
            best, best_score = d, score
    return best


# --------------------------------------------------------------------------- full load


def load_sheet(
    path: Path,
    find_header: HeaderFinder,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    describe: Callable[[Sequence[Sequence[str]]], str] = lambda rows: "",
) -> Sheet:
    """Read `path` and split it at the header row that `find_header` picks among the first rows.

    Raises
    ------
    InputError
        Empty file, undecodable text, or no header row found (the message says what was expected).
    """
    check_size(path)
    raw = path.read_bytes()
    if not raw[:4096].strip() and not raw.strip():
        raise InputError("the file is empty; expected a statement with a header row", path=str(path))
    if is_excel(raw[:4096]):
        grid, name = _excel_rows(path, sheet=sheet, prefer=find_header)
        kind = "html" if is_html_table(raw[:4096]) else "excel"
        return split_grid(path, grid, find_header, kind=kind, sheet_name=name, describe=describe)
    encodings = (encoding,) if encoding else ("utf-8",)
    text: str | None = None
    head = _utf8_head(raw) if encodings == ("utf-8",) else None
    if head is None:  # another encoding, a UTF-16/32 BOM, or bad bytes up front: decode all (errors name the offset)
        text, enc = decode_text(path, raw, encodings)
        head, cut = text[: 1 << 16], len(text) > 1 << 16
    else:  # UTF-8: the body is checked by Arrow's reader, and decoded in full only if that path fails
        enc = "utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8"
        cut = len(raw) > 1 << 16
    head_text = head.lstrip("\ufeff")
    delim = delimiter or _guess_delimiter(head_text.splitlines()[:HEAD_ROWS])
    head_grid, line_ends = _records(head_text, delim, cut=cut)
    idx = find_header(head_grid)
    if idx is None:
        raise InputError(f"no header row found in the first {HEAD_ROWS} rows; {describe(head_grid)}", path=str(path))
    data = raw if enc in ("utf-8", "utf-8-sig") else (text or "").encode("utf-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    del text
    fast = _fast_body(data, line_ends[idx], len(head_grid[idx]), delim, idx)
    if fast is not None:
        body, rows = fast
        return Sheet(head_grid[idx], idx + 1, head_grid[:idx], body, rows, "csv", enc, delim)
    if enc in ("utf-8", "utf-8-sig"):
        decode_text(path, raw, ("utf-8",))  # invalid UTF-8 in the body: raise naming its offset and line
    grid = [list(r) for r in csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delim)]
    return split_grid(path, grid, lambda g: idx, kind="csv", encoding=enc, delimiter=delim, describe=describe)


def _utf8_head(raw: bytes) -> str | None:
    """The first 64 KiB of UTF-8 text (a character cut at the end is left out), or None if not UTF-8 there.

    >>> len(_utf8_head(("x" * 65535 + "\u00e9 and more").encode())), _utf8_head(b"caf\\xe9"), _utf8_head(b"caf\\xc3\\xa9")
    (65535, None, 'caf\u00e9')
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)):  # UTF-32 LE's starts as 16 LE
        return None
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(raw[: 1 << 16], final=len(raw) <= 1 << 16)
    except UnicodeDecodeError:
        return None


def _records(text: str, delim: str, *, cut: bool) -> tuple[list[list[str]], list[int]]:
    """The first records of a CSV text and, for each, the number of physical lines read up to its end.

    `cut` says that `text` is the head of a longer file: its last line, unless complete, is left out.
    """
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")) and cut:
        lines.pop()  # a line cut at the end of the head buffer
    reader = csv.reader(iter(lines), delimiter=delim)
    grid: list[list[str]] = []
    ends: list[int] = []
    try:
        for rec in reader:
            grid.append(list(rec))
            ends.append(reader.line_num)
            if len(grid) >= HEAD_ROWS:
                break
    except csv.Error:
        pass
    return grid, ends


def _fast_body(data: bytes, header_lines: int, width: int, delim: str, idx: int) -> tuple[pa.Table, np.ndarray] | None:
    """Parse the body with Arrow's multithreaded CSV reader when row numbers stay exact (no blank or ragged lines)."""
    offset = 0
    for _ in range(header_lines):
        nl = data.find(b"\n", offset)
        if nl < 0:
            offset = len(data)
            break
        offset = nl + 1
    body = memoryview(data)[offset:]
    names = [f"c{i}" for i in range(width)]
    if not bytes(body[:4096]).strip():
        if bytes(body).strip():
            return None
        return pa.table({n: pa.array([], pa.string()) for n in names}), np.empty(0, dtype=np.int64)
    expected = data.count(b"\n", offset) + (0 if data.endswith(b"\n") else 1)
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None  # ragged rows or quoted newlines: the slow path handles them row by row
    if table.num_rows != expected:
        return None  # blank lines were skipped: exact row numbers need the csv module
    table = table.combine_chunks()
    return table, np.arange(idx + 2, idx + 2 + table.num_rows, dtype=np.int64)


def split_grid(
    path: Path,
    grid: list[list[str]],
    find_header: HeaderFinder,
    *,
    kind: str,
    encoding: str = "",
    delimiter: str = "",
    sheet_name: str = "",
    describe: Callable[[Sequence[Sequence[str]]], str] = lambda rows: "",
) -> Sheet:
    idx = find_header(grid[:HEAD_ROWS])
    if idx is None:
        raise InputError(
            f"no header row found in the first {HEAD_ROWS} rows; {describe(grid[:HEAD_ROWS])}", path=str(path)
        )
    header = [c.strip() for c in grid[idx]]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    cols: list[list[str]] = [[] for _ in range(width)]
    rows: list[int] = []
    rejects: list[dict[str, Any]] = []
    for i in range(idx + 1, len(grid)):
        r = grid[i]
        extra = [c for c in r[width:] if str(c).strip()]
        if extra:
            rejects.append(
                {
                    "source_row": i + 1,
                    "column": None,
                    "raw": delimiter.join(r) if delimiter else repr(r),
                    "problem": f"row has {len(r)} fields but the header has {width}; the values cannot be matched to columns",
                }
            )
            continue
        rows.append(i + 1)
        for j in range(width):
            cols[j].append(r[j] if j < len(r) else "")
    body = pa.table({f"c{j}": pa.array(cols[j], pa.string()) for j in range(width)})
    return Sheet(
        header,
        idx + 1,
        grid[:idx],
        body,
        np.asarray(rows, dtype=np.int64),
        kind,
        encoding,
        delimiter,
        sheet_name,
        rejects,
    )


def _excel_rows(
    path: Path, *, sheet: str | int | None = None, limit: int | None = None, prefer: HeaderFinder | None = None
) -> tuple[list[list[str]], str]:
    """Rows of one sheet as text: `sheet` if given, else the first sheet where `prefer` finds a header."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if is_html_table(head):
        return _html_rows(path, limit)
    if head.startswith(XLS_MAGIC):
        return _xls_rows(path, sheet, limit, prefer)
    return _xlsx_rows(path, sheet, limit, prefer)


def _xls_rows(
    path: Path, sheet: str | int | None, limit: int | None, prefer: HeaderFinder | None
) -> tuple[list[list[str]], str]:
    import xlrd  # a core dependency, imported late to keep `import finintel` light

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as exc:
        raise InputError(f"cannot open as an Excel 97-2003 (.xls) workbook: {exc}", path=str(path)) from None

    def rows(ws: Any, lim: int | None) -> list[list[str]]:
        out = []
        for i in range(ws.nrows if lim is None else min(lim, ws.nrows)):
            row = []
            for c in ws.row(i):
                if c.ctype == xlrd.XL_CELL_DATE:
                    row.append(cell_text(xlrd.xldate.xldate_as_datetime(c.value, book.datemode)))
                elif c.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                    row.append("")
                else:
                    row.append(cell_text(c.value))
            out.append(row)
        return out

    try:
        sheets = [book.sheet_by_index(i) for i in range(book.nsheets)]
        ws = _pick_sheet(path, sheets, sheet, lambda s: int(s.nrows), prefer, lambda s: rows(s, HEAD_ROWS))
        return rows(ws, limit), str(ws.name)
    finally:
        book.release_resources()


def _xlsx_rows(
    path: Path, sheet: str | int | None, limit: int | None, prefer: HeaderFinder | None
) -> tuple[list[list[str]], str]:
    import zipfile

    import openpyxl

    try:
        # read_only streams the sheet; data_only reads cached values and never evaluates formulas or macros
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(f"cannot open as an Excel (.xlsx) workbook: {exc}", path=str(path)) from None

    def rows(ws: Any, lim: int | None) -> list[list[str]]:
        return [[cell_text(v) for v in r] for r in ws.iter_rows(values_only=True, max_row=lim)]

    try:
        ws = _pick_sheet(
            path, list(book.worksheets), sheet, lambda s: int(s.max_row or 0), prefer, lambda s: rows(s, HEAD_ROWS)
        )
        return rows(ws, limit), str(ws.title)
    finally:
        book.close()


def _html_rows(path: Path, limit: int | None) -> tuple[list[list[str]], str]:
    """Rows of every ``<tr>`` in document order (metadata tables first, then the statement table)."""
    from lxml import etree, html

    parser = html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    try:
        doc = html.fromstring(path.read_bytes(), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise InputError(f"cannot read the HTML table: {exc}", path=str(path)) from None
    out: list[list[str]] = []
    for tr in doc.iter("tr"):
        out.append([" ".join(cell.text_content().split()) for cell in tr if cell.tag in ("td", "th")])
        if limit is not None and len(out) >= limit:
            break
    return out, "html"


def _pick_sheet(
    path: Path,
    sheets: list[Any],
    wanted: str | int | None,
    size: Callable[[Any], int],
    prefer: HeaderFinder | None = None,
    head: Callable[[Any], list[list[str]]] | None = None,
) -> Any:
    if not sheets:
        raise InputError("the workbook has no sheets", path=str(path))
    if wanted is None:
        nonempty = [s for s in sheets if size(s) > 0]
        if prefer is not None and head is not None and len(nonempty) > 1:
            for s in nonempty:  # a cover or summary sheet first: take the first sheet with a statement header
                if prefer(head(s)) is not None:
                    return s
        return nonempty[0] if nonempty else sheets[0]
    if isinstance(wanted, int):
        if not 0 <= wanted < len(sheets):
            raise InputError(f"sheet={wanted} but the workbook has {len(sheets)} sheet(s)", path=str(path))
        return sheets[wanted]
    for s in sheets:
        if getattr(s, "name", getattr(s, "title", None)) == wanted:
            return s
    names = [getattr(s, "name", getattr(s, "title", "")) for s in sheets]
    raise InputError(f"no sheet named {wanted!r}; sheets are {', '.join(map(str, names))}", path=str(path))
