"""Generic bank and wallet statements in CSV or Excel, read through a column mapping.

Registered as ``bank_csv`` (CSV/TSV/semicolon text) and ``bank_excel`` (.xls, .xlsx),
both at low priority so that readers of specific exports (M-Pesa, MoMo...) win.

How a statement is read
-----------------------
* **Files**: CSV (delimiter detected; UTF-8 with or without BOM, else ``encoding=``),
  .xlsx (read-only, cached values: formulas and macros never run), .xls, and HTML tables
  saved as .xls by many portals; in a workbook, the first sheet with a statement header.
* **Header row**: the first of the top 60 rows holding a date column and an amount
  (or debit/credit) column, recognised by header aliases (:data:`BANK_ALIASES`) or
  named by ``mapping=``. Rows above it are metadata: ``Account Number : ...``,
  ``Account Name : ...``, a currency; the statement's own account and holder are
  taken from there when ``account=`` is not given.
* **Direction**: debit/credit columns, or a signed amount (negative = money out)
  with an optional Dr/Cr indicator column, relative to the statement's account.
  A debit is money out whatever its sign; a negative credit is money out too.
* **Counterparty**: bank charges, taxes and interest (``SERVICE CHARGE``, ``EXCISE DUTY``,
  ``CREDIT INTEREST``) are not a counterparty: ``fee:<own account key>``, channel ``other``,
  one node per account. Else a counterparty account column; else a known East African bank
  and account number in the narrative (``IFT TO ABEBE K DASHEN BANK 4099755125010`` ->
  ``acct:DASHEN-BANK/4099755125010``, see ``BANK_NAMES``); else a phone number, IBAN or
  crypto address in the narrative; else, for cash (channel ``cash``), the cash point the
  narrative names under the statement's bank (``ATM WDL 0123 MOI AVE`` ->
  ``cash:EQUITY-BANK-KENYA/ATM 0123 MOI AVE``) or, when it names none or the bank is
  unknown, ``cash:unknown/<own account key>``, so that two customers never meet through
  "cash"; else ``acct:UNKNOWN/<NAME>`` from a counterparty name that looks like a name
  (not ``TRANSFER``, ``MPESA``, ``CHEQUE DEPOSIT``); else, per file, one
  ``acct:UNKNOWN/UNIDENTIFIED-<sha8>-PAYER`` node for money in and one ``...-PAYEE`` node
  for money out (one node for both would fake a round trip). ``attributes["counterparty_key_from"]``
  says which rule gave the key.
* **Countries**: a phone's calling code or an IBAN's prefix gives ``sender_country`` /
  ``receiver_country``; nothing is guessed for plain account numbers.
* **Dates**: day-first or month-first is read from the data (a first field above
  12 means day first, a second field above 12 month first); when the data cannot
  tell, ``dayfirst=`` decides, default True (East African exports write day
  first); an explicit ``dayfirst=`` always wins. Dates the chosen format cannot read
  (31/02/2024) are rejected, never rolled over. Times without an offset are read in
  ``tz=`` (default Africa/Nairobi).
* **Amounts**: thousands separators, currency codes, ``(15.00)``, ``12-`` and
  ``50.00 DR`` are understood; a decimal comma (``1.234,56``) is detected or set
  with ``decimal_comma=``. Amounts are kept exactly (``amount_exact``).
* **Ids**: ``tx_id`` is ``<format>:<file sha256[:16]>:<row>``, unless ``id_column=``
  names a column of ids unique to the source. Bank references are not assumed unique, so
  two overlapping statements of one account give two copies of the shared rows; pass
  ``id_column=`` when the bank's reference is a true transaction id.
* Every non-blank row lands in transactions or in rejects (bad date, non-numeric
  amount, both or neither of debit and credit, zero amount, ragged row), with the
  row number as a spreadsheet shows it; blank rows are skipped and counted in
  ``report["blank_rows_skipped"]``. Balance, reference and any column not mapped go
  into ``attributes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from finintel.ingest._registry import _READERS, Frames, register_reader

from ._tabular_profile import BANK_ALIASES, Profile, find_header
from ._tabular_read import read_statement
from ._tabular_sheet import head_rows, is_excel, is_utf16_text, normalise_header

__all__ = [
    "BANK",
    "BANK_ALIASES",
    "Profile",
    "claimed_by",
    "read_bank_csv",
    "read_bank_excel",
    "read_tabular",
    "sniff_header",
]

BANK = Profile("bank_csv", BANK_ALIASES)
"""The generic bank-statement profile."""

GENERIC_PRIORITY = 90


def read_tabular(
    path: str | Path,
    *,
    mapping: Mapping[str, str] | None = None,
    account: str | None = None,
    account_name: str | None = None,
    institution: str | None = None,
    currency: str | None = None,
    dayfirst: bool | None = None,
    tz: str | None = None,
    date_format: str | None = None,
    decimal_comma: bool | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    id_column: str | None = None,
    country: str | None = None,
    profile: Profile = BANK,
) -> Frames:
    """Read a bank or wallet statement (CSV or Excel) into canonical frames.

    Parameters
    ----------
    path : str or Path
        The statement.
    mapping : dict, optional
        Role -> header name, e.g. ``{"timestamp": "Txn Date", "debit": "Withdrawals"}``; roles are
        ``timestamp, time, value_date, amount, debit, credit, drcr, balance, description, reference,
        counterparty, counterparty_account, currency, status, id, sender, receiver``. Roles not named are
        found by their aliases.
    account : str, optional
        The statement's own account (number or key); else read from the metadata rows, else derived.
    account_name, institution : str, optional
        Holder name, and institution for ``acct:<INSTITUTION>/<number>`` keys.
    currency : str, optional
        ISO 4217 code when the file has no currency column (else metadata, else ``XXX``).
    dayfirst : bool, optional
        Date order when the data cannot tell; see the module notes.
    tz : str, optional
        Zone of times without an offset, default ``Africa/Nairobi``.
    date_format : str, optional
        A strptime format to use instead of detection.
    decimal_comma : bool, optional
        Amounts written ``1.234,56``; detected when not given.
    encoding, delimiter : str, optional
        Text encoding (default UTF-8, with or without BOM) and field delimiter (detected).
    sheet : str or int, optional
        Excel sheet name or 0-based index (default: the first non-empty sheet).
    id_column : str, optional
        Header of a column of source-native transaction ids.
    country : str, optional
        ISO country for local phone numbers in narratives (default: the profile's, else KE).
    profile : Profile
        Aliases and keying rules; mobile-money readers pass theirs.

    Returns
    -------
    Frames
        ``transactions`` (without file provenance: :func:`finintel.read` adds it), ``rejects``,
        ``accounts``/``parties`` for the statement holder, and ``report`` (header row, columns used,
        metadata, date format, ...).

    Raises
    ------
    InputError
        Empty file, undecodable bytes (with offset and line), no header row, or a missing required
        column (listing the headers found and the aliases expected).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "stmt.csv"
    >>> _ = p.write_text("Account Number : 0100234567\\nDate,Details,Debit,Credit,Balance\\n"
    ...                  "15/03/2024,Transfer to 0712345678,1000.00,,500.00\\n"
    ...                  "16/03/2024,Cash deposit - Kencom branch,,250.50,750.50\\n17/03/2024,Excise duty,1.50,,749.00\\n")
    >>> tx = fi.read(p, institution="Equity Bank").transactions
    >>> tx[["sender", "receiver", "channel"]].to_numpy().tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['acct:EQUITY-BANK-KENYA/0100234567', 'msisdn:+254712345678', 'bank'],
     ['cash:EQUITY-BANK-KENYA/BRANCH KENCOM', 'acct:EQUITY-BANK-KENYA/0100234567', 'cash'],
     ['acct:EQUITY-BANK-KENYA/0100234567', 'fee:acct:EQUITY-BANK-KENYA/0100234567', 'other']]
    """
    return read_statement(
        Path(path),
        profile,
        mapping=mapping,
        account=account,
        account_name=account_name,
        institution=institution,
        currency=currency,
        dayfirst=dayfirst,
        tz=tz,
        date_format=date_format,
        decimal_comma=decimal_comma,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        id_column=id_column,
        country=country,
    )


def claimed_by(path: Path, head: bytes, me: str) -> str | None:
    """Name of a more specific registered reader that accepts this file, if any."""
    mine = _READERS[me].priority if me in _READERS else GENERIC_PRIORITY
    for reader in sorted(_READERS.values(), key=lambda r: (r.priority, r.name)):
        if reader.name == me or reader.priority >= mine:
            continue
        try:
            if reader.sniff(path, head) is True:
                return reader.name
        except Exception:
            continue
    return None


def sniff_header(path: Path, head: bytes, profile: Profile) -> bool | str:
    """True when a header row with a date and an amount column is among the first rows."""
    try:
        rows, _ = head_rows(path, head, prefer=lambda r: find_header(r, profile.aliases))
    except Exception as exc:
        return f"cannot read as a table: {exc}"
    idx = find_header(rows, profile.aliases)
    if idx is None:
        return "no header row with a date and an amount (or debit/credit) column in the first rows"
    if profile.signature is not None and not profile.signature({normalise_header(c) for c in rows[idx]}):
        return f"header {rows[idx][:8]} is not a {profile.name} header"
    return True


def _sniff_csv(path: Path, head: bytes) -> bool | str:
    if is_excel(head) or head.startswith((b"PAR1", b"%PDF", b"<?xml", b"<")):
        return "not a delimited text file"
    if b"\x00" in head[:4096] and not is_utf16_text(head):
        return "not a delimited text file"
    verdict = sniff_header(path, head, BANK)
    if verdict is not True:
        return verdict
    other = claimed_by(path, head, "bank_csv")
    return f"claimed by the more specific {other} reader" if other else True


def _sniff_excel(path: Path, head: bytes) -> bool | str:
    if not is_excel(head):
        return "not an Excel workbook (.xls, .xlsx, or an HTML table saved as .xls)"
    verdict = sniff_header(path, head, BANK)
    if verdict is not True:
        return verdict
    other = claimed_by(path, head, "bank_excel")
    return f"claimed by the more specific {other} reader" if other else True


@register_reader(
    "bank_csv",
    sniff=_sniff_csv,
    version="1",
    priority=GENERIC_PRIORITY,
    description="Generic bank/wallet statement CSV (header aliases or mapping=)",
)
def read_bank_csv(path: Path, **options: Any) -> Frames:
    """Generic bank/wallet statement CSV; see :func:`read_tabular` for the options."""
    return read_tabular(path, **options)


@register_reader(
    "bank_excel",
    sniff=_sniff_excel,
    version="1",
    priority=GENERIC_PRIORITY,
    description="Generic bank/wallet statement Excel (.xls/.xlsx; cached values, formulas never run)",
)
def read_bank_excel(path: Path, **options: Any) -> Frames:
    """Generic bank/wallet statement Excel workbook; see :func:`read_tabular` for the options."""
    from dataclasses import replace

    return read_tabular(path, **{"profile": replace(BANK, name="bank_excel"), **options})
