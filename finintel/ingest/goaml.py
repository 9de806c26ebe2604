"""Reader for goAML XML reports (UNODC; STR, SAR, CTR, activity reports; schema 4.x-5.x).

The file is streamed (lxml ``iterparse``, elements cleared as they are read).
:func:`read_goaml` (``fi.read``) returns the whole file's frames; :func:`iter_goaml`,
which ``Case.ingest`` uses, hands them out in batches, so ingesting a file of any size
needs one batch of memory (measured: 306 MB peak for a 1 GB report, see
``benchmarks/ingest_goaml.py``). Each ``<transaction>`` becomes one
row from its sender to its receiver:

* bi-party form: ``t_from``/``t_from_my_client`` -> ``t_to``/``t_to_my_client``, each
  holding a ``*_account``, ``*_person`` or ``*_entity`` (keys: see
  :mod:`finintel.ingest._goaml_parties`);
* multi-party form (``involved_parties``): the ``party`` whose role is mapped to
  ``"from"`` in `party_roles` pays the one mapped to ``"to"``; without a mapping (role
  codes differ per FIU) a two-party transaction is read in document order and says so
  in its attributes (``"direction": "party order"``); anything else is rejected with the
  reason.

``amount``/``currency`` are ``amount_local`` in the report's ``currency_code_local``
(exact to goAML's 13 decimals in ``amount_exact``); a foreign-currency leg
(``foreign_currency_code``, ``foreign_amount``, ``foreign_exchange_rate``) is kept in
``attributes`` with the report metadata (``rentity_id``, ``report_code``,
``submission_date``, ``entity_reference``, ``fiu_ref_number``, ``reason`` cut to 500
characters, ``report_indicators``; all of it, full text, is in ``Frames.report``) and the
transaction's own fields.
``source_row`` is the line of the ``<transaction>`` element. An activity report
(``<activity>``) has no transactions: its parties and accounts still come out, and
``Frames.report["activity"]`` says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pyarrow.compute as pc

from finintel.errors import ConfigError
from finintel.ingest._goaml_ids import IdSet
from finintel.ingest._goaml_parties import PartyBook, country_code, forget, t
from finintel.ingest._goaml_tx import report_party, transaction
from finintel.ingest._goaml_xml import (
    RowBuffer,
    first_element,
    iter_elements,
    local_name,
    sniff_head,
    strip_namespaces,
    tail_elements,
)
from finintel.ingest._goaml_xsd import validate_xsd
from finintel.ingest._registry import BATCH_ROWS, Frames, concat_frames, file_sha256, register_reader
from finintel.ingest._util import rejects_frame, row_tx_id
from finintel.schema import frames as F

__all__ = ["iter_goaml", "read_goaml", "validate_xsd"]

_META = (
    "rentity_id",
    "rentity_branch",
    "submission_code",
    "report_code",
    "entity_reference",
    "fiu_ref_number",
    "submission_date",
    "report_date",
    "currency_code_local",
    "action",
    "schema_version",
)
_REASON_CHARS = 500
_ROW_META = (
    "rentity_id",
    "report_code",
    "entity_reference",
    "fiu_ref_number",
    "submission_date",
    "reason",
    "report_indicators",
)
"""Report metadata repeated in each transaction's attributes (all of it is in ``Frames.report``)."""
_TX_SCHEMA = F.READER_SCHEMA


def _sniff(path: Path, head: bytes) -> bool | str:
    text = sniff_head(head)
    root = first_element(text)
    if root != "report":
        return f"root element is <{root}>, not goAML's <report>" if root else "not XML"
    if re.search(rb"<(\w+:)?(rentity_id|report_code)[\s>]", text):
        return True
    return "a <report> without goAML's rentity_id or report_code"


def iter_goaml(
    path: str | Path,
    *,
    batch_rows: int | None = BATCH_ROWS,
    tz: str = "Africa/Nairobi",
    country: str | None = None,
    currency: str | None = None,
    party_roles: dict[str, str] | None = None,
    channels: dict[str, str] | None = None,
    xsd: str | Path | None = None,
) -> Iterator[Frames]:
    """A goAML report read in batches of at most `batch_rows` transactions (see :func:`read_goaml`).

    Memory is bounded by one batch plus the ids met so far (transactions, parties,
    accounts; 8 bytes each once a batch has left, see
    :class:`~finintel.ingest._goaml_ids.IdSet`), whatever the file's size: each party
    and account comes once, in the
    batch where it is first met; a transaction number repeated anywhere in the file
    gets the same ``#L<line>`` tx_id as in one read. Rejected transactions count
    towards a batch. ``report_indicators``, which goAML writes after the
    transactions, are read from the end of the file before the first batch leaves, so
    every row's attributes are as :func:`read_goaml` gives them; the last batch
    carries ``Frames.report``.

    Parameters
    ----------
    path : str or Path
        The report (``.xml``, or gzip-compressed).
    batch_rows : int or None, default 20_000
        Most transactions (rows plus rejects) per batch; None: the whole file in one.
    tz, country, currency, party_roles, channels, xsd
        As for :func:`read_goaml`.

    Yields
    ------
    Frames
        One batch, before :func:`finintel.ingest._registry.finish` (no provenance yet).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "str.xml"
    >>> tx = "".join(
    ...     f"<transaction><transactionnumber>T{i}</transactionnumber>"
    ...     f"<date_transaction>2026-03-0{i}T10:00:00</date_transaction><amount_local>{i}00</amount_local>"
    ...     "<t_from><from_account><swift>EQBLKENA</swift><account>111</account></from_account></t_from>"
    ...     "<t_to><to_account><swift>EQBLKENA</swift><account>222</account></to_account></t_to></transaction>"
    ...     for i in range(1, 4)
    ... )
    >>> _ = path.write_text(f"<report><rentity_id>7</rentity_id><report_code>STR</report_code>"
    ...     f"<currency_code_local>KES</currency_code_local>{tx}</report>")
    >>> [(b.transactions["tx_id"].tolist(), len(b.accounts)) for b in iter_goaml(path, batch_rows=2)]
    [(['goaml:7/T1', 'goaml:7/T2'], 2), (['goaml:7/T3'], 0)]
    """
    path = Path(path)
    zone = ZoneInfo(tz)
    roles = {str(k): v for k, v in (party_roles or {}).items()}
    if bad := [v for v in roles.values() if v not in ("from", "to")]:
        raise ConfigError(f"party_roles values must be 'from' or 'to', got {bad[0]!r}")
    if batch_rows is not None and batch_rows < 1:
        raise ConfigError(f"batch_rows must be at least 1, got {batch_rows}")
    meta: dict[str, Any] = {}
    book = PartyBook(country=(country or "KE").upper())
    rows = RowBuffer(_TX_SCHEMA)
    rejects: list[dict[str, Any]] = []
    seen_ids = IdSet()
    sha: list[str] = []
    activity = False
    n_tx = in_batch = 0
    prefix: str | None = None
    """The report metadata put in every row's attributes, fixed when the first batch leaves."""
    for el in iter_elements(path):
        parent = el.getparent()
        if parent is None:
            break
        if parent.getparent() is not None:
            continue
        name = local_name(el.tag)
        if name != el.tag:
            strip_namespaces(el)
        if name == "transaction":
            if batch_rows is not None and in_batch >= batch_rows:  # a full batch leaves when the next row comes
                if prefix is None:
                    prefix = _prefix(_with_tail(meta, path))
                yield _frames(rows, rejects, book, prefix, in_batch)
                rejects, in_batch = [], 0
                seen_ids.compact()
                book.compact()
            n_tx += 1
            in_batch += 1
            row = transaction(el, meta, book, zone, roles, channels or {}, currency, path)
            if "problem" in row:
                rejects.append(row)
            else:
                row["tx_id"] = _tx_id(row, meta, seen_ids, path, sha)
                rows.append(tuple(row.get(c) for c in F.READER_COLUMNS))
        elif name == "activity":
            activity = True
            book.country = (country or _report_country(meta)).upper()
            for rp in el.iterfind("report_parties/report_party"):
                report_party(rp, book)
            meta["goods_services"] = len(el.findall("goods_services/item"))
        elif name in _META:
            meta[name] = (el.text or "").strip() or None
            if name == "currency_code_local" and not country:
                book.country = _report_country(meta).upper()
        elif name == "reason":
            meta["reason"] = (el.text or "").strip() or None
        elif name == "location":
            meta["location_country"] = country_code(t(el, "country_code"))
            if not country:
                book.country = _report_country(meta).upper()
        elif name == "report_indicators":
            meta["report_indicators"] = _indicators(el)
        elif name == "reporting_person":
            meta["reporting_person"] = book.person(el, el.sourceline, "reporting person")[0]
        forget()
        el.clear(keep_tail=False)
        while el.getprevious() is not None:
            del parent[0]
    report: dict[str, Any] = {"report": meta, "activity": activity, "transactions": n_tx}
    if activity:
        report["note"] = "an activity report: no transactions, only the parties and accounts it names"
    final = _prefix(meta)
    if prefix is not None and prefix != final:
        report["batches"] = (
            "report metadata written after the first batch's transactions (other than report_indicators "
            "at the end) is missing from the attributes of every row; it is all in report['report']"
        )
    if xsd is not None:
        report["xsd"] = validate_xsd(path, xsd)
    yield _frames(rows, rejects, book, prefix or final, in_batch, report)


@register_reader("goaml", sniff=_sniff, version="1", priority=20, batches=iter_goaml)
def read_goaml(
    path: str | Path,
    *,
    tz: str = "Africa/Nairobi",
    country: str | None = None,
    currency: str | None = None,
    party_roles: dict[str, str] | None = None,
    channels: dict[str, str] | None = None,
    xsd: str | Path | None = None,
) -> Frames:
    """goAML XML report (STR/SAR/CTR, activity reports), streamed.

    Parameters
    ----------
    path : str or Path
        The report (``.xml``, or gzip-compressed).
    tz : str, default "Africa/Nairobi"
        Zone of ``date_transaction`` values written without an offset.
    country : str, optional
        Country (ISO alpha-2) in which local phone numbers are read; default: the
        report's ``location``, else the country of ``currency_code_local``, else KE.
    currency : str, optional
        Currency of ``amount_local`` when the report has no ``currency_code_local``.
    party_roles : dict, optional
        ``{role code: "from" | "to"}`` for the multi-party (``involved_parties``) form.
    channels : dict, optional
        ``{transmode_code: channel}`` (codes differ per FIU); default channel ``bank``,
        ``mobile_money`` when either side is a mobile-money account (a wallet).
    xsd : str or Path, optional
        An FIU's goAML XSD to validate against (needs ``xmlschema``); the messages go
        to ``Frames.report["xsd"]`` and never stop reading.

    Returns
    -------
    Frames
        Transactions, parties and accounts; ``.report`` holds the report metadata.

    Raises
    ------
    UnsafeInputError
        A DTD, entity declarations or a decompression bomb.
    InputError
        Broken or truncated XML (with the line).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "str.xml"
    >>> _ = path.write_text(
    ...     "<report><rentity_id>7</rentity_id><report_code>STR</report_code>"
    ...     "<currency_code_local>KES</currency_code_local><transaction>"
    ...     "<transactionnumber>T1</transactionnumber><date_transaction>2026-03-01T14:30:00</date_transaction>"
    ...     "<amount_local>1500.25</amount_local>"
    ...     "<t_from><from_person><first_name>Amina</first_name><last_name>Hassan</last_name><phones><phone>"
    ...     "<tph_number>0712 345 678</tph_number></phone></phones></from_person><from_country>KE</from_country></t_from>"
    ...     "<t_to><to_account><swift>EQBLKENA</swift><account>0100 2345 678</account></to_account>"
    ...     "<to_country>KE</to_country></t_to></transaction></report>"
    ... )
    >>> tx = read_goaml(path).transactions
    >>> tx.loc[0, ["tx_id", "sender", "receiver", "amount", "currency"]].astype(str).tolist()
    ['goaml:7/T1', 'msisdn:+254712345678', 'acct:EQUITY-BANK-KENYA/01002345678', '1500.25', 'KES']
    >>> str(tx.loc[0, "timestamp"])
    '2026-03-01 11:30:00+00:00'
    """
    return concat_frames(
        iter_goaml(
            path,
            batch_rows=None,
            tz=tz,
            country=country,
            currency=currency,
            party_roles=party_roles,
            channels=channels,
            xsd=xsd,
        )
    )


def _report_country(meta: dict[str, Any]) -> str:
    """The report's country: its location, else the country of its local currency (KES -> KE), else KE."""
    if meta.get("location_country"):
        return str(meta["location_country"])
    ccy = str(meta.get("currency_code_local") or "").upper()
    if len(ccy) == 3 and not ccy.startswith(("X", "EU")) and phonenumbers.country_code_for_region(ccy[:2]):
        return ccy[:2]
    return "KE"


def _tx_id(row: dict[str, Any], meta: dict[str, Any], seen: IdSet, path: Path, sha: list[str]) -> str:
    number = row.pop("_number")
    if number:
        tx_id = f"goaml:{meta.get('rentity_id') or 'unknown'}/{number}"
        if tx_id in seen:
            tx_id = f"{tx_id}#L{row['source_row']}"
    else:
        if not sha:
            sha.append(file_sha256(path))
        tx_id = row_tx_id("goaml", sha[0], row["source_row"])
    seen.add(tx_id)
    return tx_id


def _indicators(el: Any) -> list[str]:
    return [x.text.strip() for x in el if x.text and x.text.strip()]


def _with_tail(meta: dict[str, Any], path: Path) -> dict[str, Any]:
    """`meta` with the row metadata goAML writes after the transactions (report_indicators), read from the end."""
    out = dict(meta)
    for el in tail_elements(path):
        if el.tag == "report_indicators":
            out.setdefault("report_indicators", _indicators(el))
        elif el.tag in _ROW_META:
            out.setdefault(str(el.tag), (el.text or "").strip() or None)
    return out


def _prefix(meta: dict[str, Any]) -> str:
    """The opening of every row's attributes: ``{"report": {...}`` without the closing brace."""
    reason = meta.get("reason")
    short = {k: meta.get(k) for k in _ROW_META}
    short["reason"] = reason[:_REASON_CHARS] + "..." if reason and len(reason) > _REASON_CHARS else reason
    return json.dumps({"report": {k: v for k, v in short.items() if v is not None}}, ensure_ascii=False)[:-1]


def _frames(
    rows: RowBuffer,
    rejects: list[dict[str, Any]],
    book: PartyBook,
    prefix: str,
    n_tx: int,
    report: dict[str, Any] | None = None,
) -> Frames:
    """One batch: the rows gathered since the last one (the buffers are emptied)."""
    table = rows.take()
    if table.num_rows:
        # every row's attributes start with "{" and hold at least the form of its parties
        attrs = pc.binary_join_element_wise(prefix, pc.utf8_slice_codeunits(table.column("attributes"), 1), ", ")
        table = table.set_column(table.schema.get_field_index("attributes"), "attributes", attrs)
        tx = F.from_arrow(table, F.TRANSACTIONS)
    else:
        tx = F.empty(F.TRANSACTIONS)
    del table
    return Frames(
        transactions=tx,
        parties=book.parties_frame(),
        accounts=book.accounts_frame(),
        rejects=rejects_frame(rejects),
        rows_read=n_tx,
        report=report or {},
    )
