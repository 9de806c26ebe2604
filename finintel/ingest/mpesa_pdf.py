"""Safaricom M-Pesa statements as PDF (decrypted), read through pdfplumber's table extraction.

The "DETAILED STATEMENT" table (``Receipt No.``, ``Completion Time``, ``Details``,
``Transaction Status``, ``Paid In``, ``Withdrawn``, ``Balance``) is collected across
pages (continuation tables without a header included), wrapped cells are joined with
a space, and the rows go through the same M-Pesa profile as CSV/Excel statements
(:data:`finintel.ingest.mobile_money.MPESA`): same keys, same ``mpesa:<Receipt No>``
ids, so a PDF and a CSV of overlapping periods dedupe in a case. The ``Customer
Name``/``Mobile Number`` lines above the tables name the statement owner.

``source_row`` is the row of the extracted table as a person counts it (header = 1,
continuing across pages); the PDF page of each row is in ``attributes`` (``Page``).
pdfplumber is an optional dependency: ``pip install "finintel[pdf]"``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from finintel.errors import InputError, MissingDependencyError
from finintel.ingest._registry import Frames, register_reader

from ._tabular_read import read_statement
from ._tabular_sheet import normalise_header
from ._util import check_size
from .mobile_money import MPESA, own_fees

__all__ = ["MPESA_PDF", "read_mpesa_pdf"]

MPESA_PDF = replace(MPESA, name="mpesa_pdf", id_prefix="mpesa")
"""The M-Pesa profile, with ``source_format`` mpesa_pdf and ids shared with the CSV/Excel statements."""


def _pdfplumber() -> Any:
    try:
        import pdfplumber
    except ImportError as exc:
        raise MissingDependencyError("pdfplumber", "pdf") from exc
    return pdfplumber


def _open(path: Path, password: str | None) -> Any:
    pdfplumber = _pdfplumber()
    try:
        return pdfplumber.open(path, password=password or "")
    except Exception as exc:  # pdfminer raises several unrelated types for encrypted or broken files
        name = type(exc).__name__
        if "Password" in name or "Encrypt" in name or "password" in str(exc).lower():
            raise InputError(
                "the PDF is encrypted; pass password= (M-Pesa statements use the ID number) or decrypt it first",
                path=str(path),
            ) from None
        raise InputError(f"cannot read the PDF: {name}: {exc}", path=str(path)) from None


def _is_header(row: list[str]) -> bool:
    cells = {normalise_header(c) for c in row}
    return bool({"receipt no", "receipt"} & cells) and bool({"completion time", "date"} & cells)


def extract_grid(path: Path, *, password: str | None = None) -> tuple[list[list[str]], list[list[str]]]:
    """The statement-header lines and the detailed-statement rows (header first, a ``Page`` column added)."""
    meta: list[list[str]] = []
    grid: list[list[str]] = []
    width = 0
    with _open(path, password) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            if number == 1:
                text = page.extract_text() or ""
                for line in text.splitlines():
                    if "detailed statement" in line.lower() or "receipt no" in line.lower():
                        break
                    if line.strip():
                        meta.append([line.strip()])
            for table in page.extract_tables():
                rows = [[" ".join(str(c or "").split()) for c in r] for r in table]
                for row in rows:
                    if _is_header(row):
                        if not grid:
                            grid.append([*row, "Page"])
                            width = len(row)
                        continue
                    if width and len(row) == width and any(row):
                        grid.append([*row, str(number)])
    return meta, grid


def _sniff(path: Path, head: bytes) -> bool | str:
    if not head.startswith(b"%PDF"):
        return "not a PDF"
    try:
        pdf = _open(path, None)
    except MissingDependencyError:
        return 'pdfplumber is not installed (pip install "finintel[pdf]")'
    except InputError as exc:
        return exc.problem
    with pdf:
        text = (pdf.pages[0].extract_text() or "") if pdf.pages else ""
    low = text.lower()
    if ("m-pesa" in low or "mpesa" in low) and "receipt no" in low:
        return True
    return "a PDF without an M-Pesa detailed statement table on its first page"


@register_reader(
    "mpesa_pdf",
    sniff=_sniff,
    version="1",
    priority=40,
    description="Safaricom M-Pesa statement PDF (decrypted; needs pdfplumber)",
)
def read_mpesa_pdf(
    path: str | Path, *, password: str | None = None, msisdn: str | None = None, **options: Any
) -> Frames:
    """Read a decrypted M-Pesa PDF statement.

    Parameters
    ----------
    path : str or Path
        The PDF.
    password : str, optional
        For a statement still encrypted (Safaricom uses the customer's ID number).
    msisdn : str, optional
        The statement owner's phone number, when the PDF does not show it.
    **options
        As :func:`finintel.ingest.tabular.read_tabular` (``tz=``, ``account=``...).

    Returns
    -------
    Frames
        As the CSV/Excel M-Pesa reader; ``report["pages"]`` is the page count read.

    Raises
    ------
    MissingDependencyError
        pdfplumber is not installed.
    InputError
        Encrypted without the right password, unreadable, or no detailed-statement table.

    Examples
    --------
    >>> fr = fi.read("statement.pdf", msisdn="0712345678")  # doctest: +SKIP
    """
    p = Path(path)
    check_size(p)
    meta, grid = extract_grid(p, password=password)
    if not grid:
        raise InputError(
            "no M-Pesa detailed-statement table (Receipt No., Completion Time, ...) found in the PDF", path=str(p)
        )
    if msisdn and not options.get("account"):
        options["account"] = msisdn
    # charges to the wallet's own fee: node, as the CSV/Excel reader does
    return own_fees(read_statement(p, MPESA_PDF, grid=grid, meta_rows=meta, **options))
