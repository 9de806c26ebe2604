"""Safe, streaming XML for the goAML and ISO 20022 readers.

Both readers parse with :func:`iter_elements`, which

* refuses any ``<!DOCTYPE`` (goAML and ISO 20022 never use one): external entities
  (XXE), entity expansion (billion laughs) and DTDs fetched over the network are
  refused with an :class:`~finintel.errors.UnsafeInputError` naming the file, before
  and while parsing (lxml is also told never to resolve entities, load a DTD or use
  the network);
* streams: lxml ``iterparse`` with elements cleared as the caller goes, so memory
  stays bounded for any file size; gzip-compressed files are decompressed on the
  fly and refused when they expand more than :data:`MAX_GZIP_RATIO` times (a
  decompression bomb);
* turns a syntax error (a truncated or corrupt file) into an
  :class:`~finintel.errors.InputError` naming file and line.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from finintel.errors import InputError, UnsafeInputError
from finintel.ingest._util import refuse_dtd

__all__ = [
    "MAX_GZIP_RATIO",
    "element_text",
    "find_text",
    "ns_path",
    "first_element",
    "iter_elements",
    "local_name",
    "RowBuffer",
    "exact_amount",
    "sniff_head",
    "strip_namespaces",
    "tail_elements",
]

MAX_GZIP_RATIO = 200
"""A gzip member that expands more than this many times (and past 1 GB) is refused as a bomb."""
_GZIP_MIN_BOMB = 1 << 30
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)[\s/>]")


def sniff_head(head: bytes) -> bytes:
    """The first bytes of a file as XML text: gunzipped when compressed (bounded to 64 KiB).

    >>> import gzip
    >>> sniff_head(gzip.compress(b"<report/>"))
    b'<report/>'
    """
    if head[:2] == b"\x1f\x8b":
        try:
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 65536)
        except zlib.error:
            return b""
    return head


def first_element(head: bytes) -> str | None:
    """Local name of the first element in an XML head (after declaration, comments, BOM).

    >>> first_element(b'<?xml version="1.0"?><!-- x --><ns:Document xmlns:ns="urn:x">')
    'Document'
    """
    text = head.lstrip(b"\xef\xbb\xbf")
    text = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", b"", text, flags=re.S)
    m = _FIRST_TAG.search(text)
    return m.group(2).decode("ascii", "replace") if m else None


def local_name(tag: Any) -> str:
    """An element's tag without its namespace.

    >>> local_name("{urn:iso:std:iso:20022:tech:xsd:camt.053.001.08}Ntry"), local_name("report")
    ('Ntry', 'report')
    """
    t = str(tag)
    return t.rsplit("}", 1)[-1]


class RowBuffer:
    """Rows gathered as Python values and packed into Arrow arrays every `chunk` rows.

    A million rows held as Python objects cost several hundred MB; packed into Arrow
    columns they cost about their bytes, which keeps a streaming reader's memory low.

    >>> buf = RowBuffer(pa.schema([("a", pa.string()), ("n", pa.int64())]), chunk=2)
    >>> for row in [("x", 1), ("y", 2), ("z", 3)]:
    ...     buf.append(row)
    >>> buf.table().column("n").to_pylist()
    [1, 2, 3]
    """

    def __init__(self, schema: pa.Schema, chunk: int = 4096) -> None:
        self.schema, self.chunk = schema, chunk
        self.rows: list[tuple[Any, ...]] = []
        self.batches: list[pa.RecordBatch] = []

    def __len__(self) -> int:
        return len(self.rows) + sum(b.num_rows for b in self.batches)

    def append(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.chunk:
            self._flush()

    def _flush(self) -> None:
        if self.rows:
            cols = list(zip(*self.rows, strict=True))
            arrays = [pa.array(c, type=f.type) for c, f in zip(cols, self.schema, strict=True)]
            self.batches.append(pa.RecordBatch.from_arrays(arrays, schema=self.schema))
            self.rows = []

    def table(self) -> pa.Table:
        self._flush()
        return pa.Table.from_batches(self.batches, schema=self.schema)

    def take(self) -> pa.Table:
        """The rows gathered so far as one table, and the buffer emptied (for the next batch)."""
        table = self.table()
        self.batches = []
        return table


def exact_amount(text: str | None) -> tuple[Decimal | None, str | None]:
    """``(amount, problem)``: a positive decimal that fits ``decimal128(38, 18)``, or why not.

    Trailing zeros beyond 18 decimals are dropped (the value is unchanged); no rounding
    ever happens, and no decimal context limits the digits (goAML allows 16 + 13).

    >>> exact_amount("7900000000000000.0000000000000")
    (Decimal('7900000000000000'), None)
    >>> exact_amount("0.1234567890123")
    (Decimal('0.1234567890123'), None)
    >>> exact_amount("-5")[1], exact_amount("1.0000000000000000001")[1]
    ('must be positive', 'has more than 18 decimals')
    """
    try:
        amount = Decimal((text or "").strip())
    except InvalidOperation:
        return None, "not a number"
    if not amount.is_finite():
        return None, "not a number"
    if amount <= 0:
        return None, "must be positive"
    sign, digits, exp = amount.as_tuple()
    assert isinstance(exp, int)
    while exp < 0 and len(digits) > 1 and digits[-1] == 0:
        digits, exp = digits[:-1], exp + 1
    if exp < -18:
        return None, "has more than 18 decimals"
    if len(digits) + exp > 20:
        return None, "has more than 20 digits before the decimal point"
    return Decimal((sign, digits, exp)), None


_PATHS: dict[str, str] = {}


def ns_path(path: str) -> str:
    """A namespace-agnostic lxml path: ``a/b`` -> ``{*}a/{*}b``.

    >>> ns_path("Ntry/Amt")
    '{*}Ntry/{*}Amt'
    """
    got = _PATHS.get(path)
    if got is None:
        got = _PATHS[path] = "/".join("{*}" + p for p in path.split("/"))
    return got


def find_text(el: Any, path: str) -> str | None:
    """Stripped text at `path` below `el` in any namespace, None when absent or blank."""
    return element_text(el.find(ns_path(path))) if el is not None else None


def strip_namespaces(el: Any) -> None:
    """Drop the namespace of `el` and every element below it (goAML is read with plain paths)."""
    for x in el.iter():
        if isinstance(x.tag, str) and x.tag[:1] == "{":
            x.tag = x.tag.rsplit("}", 1)[-1]


def element_text(el: Any) -> str | None:
    """Stripped text of an element, None when absent or blank."""
    if el is None or el.text is None:
        return None
    s = str(el.text).strip()
    return s or None


class _BombGuard:
    """A gzip stream that refuses to expand past MAX_GZIP_RATIO times its compressed size."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.raw = open(path, "rb")
        self.gz = gzip.GzipFile(fileobj=self.raw)
        self.limit = max(_GZIP_MIN_BOMB, path.stat().st_size * MAX_GZIP_RATIO)
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        try:
            data = self.gz.read(n if n and n > 0 else 1 << 16)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"the gzip stream is corrupt or truncated ({exc})", path=str(self.path)) from None
        self.count += len(data)
        if self.count > self.limit:
            raise UnsafeInputError(
                f"the gzip file expands to more than {self.limit / 1e9:.1f} GB ({MAX_GZIP_RATIO}x its size): "
                "refused as a possible decompression bomb; decompress it yourself if you trust it",
                path=str(self.path),
            )
        return data

    def close(self) -> None:
        self.gz.close()
        self.raw.close()


def _open(path: Path) -> IO[bytes] | _BombGuard:
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return _BombGuard(path) if magic == b"\x1f\x8b" else open(path, "rb")


def iter_elements(path: Path, head: bytes | None = None) -> Iterator[Any]:
    """Yield every element at its end tag, streaming, after refusing DTDs and entities.

    The caller clears what it has used (``el.clear()`` and deleting earlier siblings)
    to keep memory bounded. Raises :class:`UnsafeInputError` for a DOCTYPE, an entity
    declaration or a gzip bomb, :class:`InputError` (with the line) for broken XML.
    """
    from lxml import etree

    path = Path(path)
    if head is None:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    text_head = sniff_head(head)
    refuse_dtd(path, text_head)
    if _DOCTYPE.search(text_head):
        raise UnsafeInputError(
            "the XML has a DOCTYPE (a DTD); goAML and ISO 20022 files never do, and a DTD can fetch "
            "files or URLs: refused",
            path=str(path),
        )
    source = _open(path)
    context = etree.iterparse(
        source,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    checked = False
    try:
        for event, el in context:
            if event == "start":
                if not checked:
                    checked = True
                    docinfo = el.getroottree().docinfo
                    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
                        raise UnsafeInputError("the XML has a DOCTYPE (a DTD): refused", path=str(path))
                continue
            yield el
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if getattr(exc, "lineno", None) else None
        msg = str(exc.msg if getattr(exc, "msg", None) else exc)
        hint = " (the file looks truncated: was the export or download cut off?)" if _truncated(msg) else ""
        raise InputError(f"broken XML: {msg}{hint}", path=str(path), row=line) from None
    finally:
        source.close()


_TAIL_BYTES = 1 << 20
_LAST_CLOSE = re.compile(rb"</(?:[\w.\-]+:)?(?:transaction|activity)\s*>")
_PREFIX = re.compile(rb"<(/?)[A-Za-z_][\w.\-]*:")


def tail_elements(path: Path) -> list[Any]:
    """The top-level elements written after the last transaction (or activity), read from the last MiB.

    goAML writes ``report_indicators`` after all the transactions; a reader that hands
    out its first rows before reaching the end reads them here first. Namespace
    prefixes are dropped. Returns ``[]`` when the tail cannot be read as XML (the
    caller then learns the values at the end, as usual). A gzip file is decompressed
    (through the bomb guard) to reach its end.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "r.xml"
    >>> _ = path.write_text("<report><transaction>...</transaction><report_indicators><indicator>RI01</indicator>"
    ...     "</report_indicators></report>")
    >>> [(e.tag, [x.text for x in e]) for e in tail_elements(path)]
    [('report_indicators', ['RI01'])]
    """
    from lxml import etree

    from finintel.ingest._util import safe_xml_parser

    source = _open(path)
    try:
        if isinstance(source, _BombGuard):
            tail = b""
            while block := source.read(1 << 20):
                tail = (tail + block)[-_TAIL_BYTES:]
        else:
            size = path.stat().st_size
            source.seek(max(0, size - _TAIL_BYTES))
            tail = source.read()
    finally:
        source.close()
    ends = list(_LAST_CLOSE.finditer(tail))
    if not ends or _DOCTYPE.search(tail) or b"<!ENTITY" in tail:
        return []
    rest = _PREFIX.sub(rb"<\1", tail[ends[-1].end() :])
    rest = re.sub(rb"</report\s*>\s*$", b"", rest.strip())
    try:
        root = etree.fromstring(b"<report>" + rest + b"</report>", safe_xml_parser(remove_comments=True))
    except etree.XMLSyntaxError:
        return []
    return [el for el in root if isinstance(el.tag, str)]


def _truncated(msg: str) -> bool:
    m = msg.lower()
    return "premature end" in m or "end of data" in m or "not closed" in m or "extra content" not in m and "eof" in m
