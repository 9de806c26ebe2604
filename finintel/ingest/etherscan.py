"""Reader for Etherscan-family CSV exports (Etherscan, BscScan, PolygonScan and clones).

Three export kinds share this reader, told apart by their header:

* ``normal`` -- "Transactions": ``Value_IN(ETH)``/``Value_OUT(ETH)``, ``TxnFee(ETH)``,
  ``Status``, ``ErrCode``, ``Method`` (the ``CurrentValue @ $<price>/Eth`` header
  changes with the price on the day of export and is ignored);
* ``internal`` -- "Internal Txns": ``ParentTxFrom``, ``ParentTxTo``, ``TxTo``, ``Value_IN/OUT``;
* ``token`` -- "ERC-20 Token Txns" (``TokenValue``/``Value``/``Quantity``, ``TokenSymbol``),
  also the renamed headers (``Transaction Hash``, ``Date Time (UTC)``, ``Token Symbol``...);
  NFT exports (a ``TokenId`` column) count tokens: 1 per ERC-721 row, ``TokenValue`` for
  ERC-1155, in currency ``<symbol>-NFT`` with the token id in ``attributes``.

Rows move value from ``From`` to ``To`` (``ContractAddress`` for a contract creation). The
amount is ``Value_IN`` when the subject received, else ``Value_OUT`` (never the sign),
kept exactly as written (token values of 20 significant digits stay exact; more than 18
decimals are truncated to 18 and the full text kept in ``attributes["value_text"]``).
Failed transactions (``Status`` ``Error(...)`` or an ``ErrCode``) keep their row with
``status="failed"``. A row that moves nothing (a contract call with value 0) is not a
transaction: it goes to rejects with that reason, so every row is accounted for.

``tx_id`` is ``<chain>:<hash>:normal:1`` for a transaction's own value, and
``<chain>:<hash>:<kind>:<digest>`` for token and internal transfers, the digest naming the
transfer by its sender, receiver, currency and amount (``.2``, ``.3`` for identical repeats): several
token transfers of one transaction stay distinct, and a transfer between two suspects has
the same id in both suspects' exports, so a case holding both keeps it once. Currency is the native coin (``ETH``, ``BNB``, ``MATIC``)
or ``<symbol>-<standard>`` for tokens (``USDT-ERC20``, ``USDT-BEP20``, ``USDC-POLYGON``).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import re
from decimal import ROUND_DOWN, Context, Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from finintel.errors import InputError
from finintel.ingest._registry import Frames, register_reader
from finintel.ingest._util import check_size, decode_text, reject, rejects_frame
from finintel.schema import frames as F
from finintel.schema.keys import evm_key

__all__ = ["CHAINS", "csv_records", "read_etherscan", "transfer_key"]

CHAINS: dict[str, tuple[str, str, str]] = {
    "ethereum": ("eth", "ETH", "ERC20"),
    "bsc": ("bsc", "BNB", "BEP20"),
    "polygon": ("polygon", "MATIC", "POLYGON"),
    "arbitrum": ("arbitrum", "ETH", "ARB"),
    "optimism": ("optimism", "ETH", "OP"),
    "avalanche": ("avax", "AVAX", "AVAXC"),
    "fantom": ("ftm", "FTM", "FANTOM"),
    "base": ("base", "ETH", "BASE"),
}
"""chain name -> (tx_id prefix, native coin, token standard suffix)."""

_ALIASES = {
    "eth": "ethereum",
    "bnb": "bsc",
    "bscscan": "bsc",
    "matic": "polygon",
    "pol": "polygon",
    "polygonscan": "polygon",
    "avax": "avalanche",
    "ftm": "fantom",
}
_NATIVE_CHAIN = {
    "ETH": "ethereum",
    "BNB": "bsc",
    "MATIC": "polygon",
    "POL": "polygon",
    "AVAX": "avalanche",
    "FTM": "fantom",
}

_COLS = {
    "hash": ("txhash", "transactionhash", "txnhash", "hash"),
    "block": ("blockno", "blocknumber", "block"),
    "unix": ("unixtimestamp",),
    "datetime": ("datetimeutc", "datetime", "datetimeutc0", "date"),
    "from": ("from",),
    "to": ("to", "txto"),
    "contract": ("contractaddress",),
    "value": ("tokenvalue", "value", "quantity", "amount"),
    "symbol": ("tokensymbol", "symbol"),
    "token_name": ("tokenname",),
    "token_id": ("tokenid",),
    "status": ("status",),
    "errcode": ("errcode", "iserror"),
    "method": ("method",),
    "parent_from": ("parenttxfrom",),
    "parent_to": ("parenttxto",),
    "type": ("type",),
}
_KEEP = ("block", "method", "token_name", "token_id", "type", "parent_from", "parent_to", "contract")


def _norm(h: str) -> str:
    return re.sub(r"[^a-z0-9]", "", h.lower())


def _header(head: bytes) -> list[str]:
    text = head.decode("utf-8-sig", errors="replace")
    first = text.splitlines()[0] if text.strip() else ""
    return [c.strip().strip('"') for c in first.split(",")]


def _sniff(path: Path, head: bytes) -> bool | str:
    cols = {_norm(c) for c in _header(head)}
    if not cols & {"txhash", "transactionhash", "txnhash"}:
        return "no Txhash/Transaction Hash column"
    if not cols & {"blockno", "unixtimestamp"}:
        return "no Blockno/UnixTimestamp column of an Etherscan export"
    if "from" not in cols:
        return "no From column"
    return True


@register_reader(
    "etherscan",
    sniff=_sniff,
    version="1",
    priority=40,
    description="Etherscan/BscScan/PolygonScan CSV exports (normal, internal, token)",
)
def read_etherscan(
    path: Path, *, address: str | None = None, chain: str | None = None, encoding: str | None = None, **_: Any
) -> Frames:
    """Read an Etherscan-family CSV export into canonical transactions.

    Parameters
    ----------
    path : Path
        The CSV as downloaded from the explorer.
    address : str, optional
        The address the export was made for (the explorer does not write it in the file).
        Without it, the one address on every row is used when there is one; it is
        stored in ``report["address"]`` and decides In/Out for the amount.
    chain : str, optional
        ``ethereum``, ``bsc``, ``polygon``... By default read from ``Value_IN(<coin>)``
        in the header, else Ethereum (token exports name no coin: pass ``chain=`` for BscScan).
    encoding : str, optional
        Text encoding (default UTF-8).

    Returns
    -------
    Frames
        Transactions; ``report`` has ``kind``, ``chain`` and ``address``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "erc20.csv"
    >>> _ = p.write_text('"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","TokenValue","USDValueDayOfTx","ContractAddress","TokenName","TokenSymbol"\\n'
    ...     '"0xaa","1","1700000000","2023-11-14 22:13:20","0x' + "1" * 40 + '","0x' + "2" * 40 + '","12345678901234.123456","N/A","0x' + "3" * 40 + '","Tether USD","USDT"\\n')
    >>> tx = fi.read(p).transactions
    >>> tx.loc[0, "tx_id"], tx.loc[0, "currency"], str(tx.loc[0, "amount_exact"])
    ('eth:0xaa:token:6d7b1502', 'USDT-ERC20', '12345678901234.123456000000000000')
    """
    check_size(path)
    text, _enc = decode_text(path, encodings=(encoding,) if encoding else ("utf-8",))
    if not text.strip():
        raise InputError("the file is empty; expected an Etherscan CSV with a header", path=str(path))
    raw_cols, records = csv_records(text, path=path)
    good = [(n, dict(zip(raw_cols, r, strict=True))) for n, r in records if len(r) == len(raw_cols)]
    cols = _resolve(raw_cols)
    missing = [c for c in ("hash", "from", "to") if c not in cols] + (
        [] if "unix" in cols or "datetime" in cols else ["UnixTimestamp"]
    )
    if missing:
        raise InputError(
            f"not an Etherscan export: no column for {', '.join(missing)}; header is {', '.join(raw_cols)}",
            path=str(path),
            row=1,
        )
    native_in = next((m for c in raw_cols if (m := re.match(r"Value_IN\((\w+)\)", c.strip()))), None)
    native_out = next((c for c in raw_cols if re.match(r"Value_OUT\(\w+\)", c.strip())), None)
    kind = "token" if "symbol" in cols else ("internal" if "parent_from" in cols or "type" in cols else "normal")
    if kind != "token" and not native_in:
        raise InputError(
            "expected Value_IN(<coin>) and Value_OUT(<coin>) columns, or a TokenSymbol column", path=str(path), row=1
        )
    chain_name = _chain(chain, native_in.group(1) if native_in else None, path)
    prefix, native, standard = CHAINS[chain_name]
    subject = _subject([r for _, r in good], cols, address, path)
    rows: list[dict[str, Any]] = []
    rejects = [
        reject(
            n,
            None,
            f"expected {len(raw_cols)} fields like the header, got {len(r)} (a truncated or broken row)",
            ",".join(r),
        )
        for n, r in records
        if len(r) != len(raw_cols)
    ]
    seen: dict[str, int] = {}
    for line, rec in good:
        try:
            row = _row(
                rec, cols, kind, native_in.group(0) if native_in else None, native_out, subject, native, standard
            )
        except _Reject as r:
            rejects.append(reject(line, r.column, r.problem, rec))
            continue
        h = row.pop("_hash")
        key = transfer_key(
            h,
            kind,
            row["sender"],
            row["receiver"],
            row["currency"],
            str(row["amount_exact"].normalize()),
            rec.get(cols.get("token_id", ""), ""),
        )
        seen[key] = seen.get(key, 0) + 1
        row["tx_id"] = (
            f"{prefix}:{h}:normal:1"
            if kind == "normal"
            else f"{prefix}:{key}" + (f".{seen[key]}" if seen[key] > 1 else "")
        )
        row["source_row"] = line
        rows.append(row)
    return Frames(
        transactions=pd.DataFrame(rows) if rows else F.empty(F.TRANSACTIONS),
        rejects=rejects_frame(rejects),
        rows_read=len(records),
        accounts=_subject_account(subject, chain_name, "the export's address"),
        report={"kind": kind, "chain": chain_name, "address": subject},
    )


def _subject_account(key: str | None, chain: str, why: str) -> pd.DataFrame:
    """One accounts row for the address an export is about (its holder is not known from the file)."""
    if not key:
        return F.empty(F.ACCOUNTS)
    return pd.DataFrame([{"account": key, "institution_code": chain, "attributes": json.dumps({"subject": why})}])


def transfer_key(tx_hash: str, kind: str, *fields: str) -> str:
    """``<hash>:<kind>:<digest>``: one transfer of a transaction, the same whichever party's export it is read from.

    Explorer exports carry no log index, so a transfer is named by a digest of its parsed
    sender and receiver keys, currency and amount (``1,000.50`` and ``1000.5`` agree);
    identical transfers in one transaction are told apart by a count.

    >>> transfer_key("0xAB", "token", "eth:0x1", "eth:0x2", "USDT-ERC20", "5")
    '0xab:token:8d14b176'
    """
    digest = hashlib.sha1("|".join(f.strip().lower() for f in fields).encode()).hexdigest()[:8]
    return f"{tx_hash.strip().lower()}:{kind}:{digest}"


def csv_records(
    text: str, delimiter: str = ",", path: Path | None = None
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and ``(line, fields)`` of every non-blank row of a CSV text; lines as an editor numbers them.

    Rows with a different number of fields are returned as they are, for the caller to reject.

    >>> csv_records('a,b\\n1,"x\\ny"\\n\\n2\\n')
    (['a', 'b'], [(2, ['1', 'x\\ny']), (5, ['2'])])
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] = []
    out: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            # our own limit: csv's is process-wide and other libraries raise it (followthemoney: 30 MB)
            if any(len(c) > MAX_FIELD_CHARS for c in row):
                raise csv.Error(f"a field is longer than {MAX_FIELD_CHARS:,} characters")
            if not header:
                header = [c.strip() for c in row]
            elif any(c.strip() for c in row):
                out.append((start, [c.strip() for c in row]))
            start = reader.line_num + 1
    except csv.Error as exc:  # e.g. a field over the csv module's size limit: a hostile or corrupt file
        raise InputError(
            f"the CSV cannot be read from line {start}: {exc}", path=str(path) if path else None, row=start
        ) from None
    return header, out


MAX_FIELD_CHARS = 131_072
"""Longest field accepted; no explorer export field comes close (a hostile or corrupt file)."""


class _Reject(Exception):
    def __init__(self, column: str, problem: str) -> None:
        super().__init__(problem)
        self.column, self.problem = column, problem


def _resolve(raw_cols: list[str]) -> dict[str, str]:
    normed = {_norm(c): c for c in raw_cols}
    out: dict[str, str] = {}
    for field, names in _COLS.items():
        for n in names:
            if n in normed:
                out[field] = normed[n]
                break
    return out


def _chain(chain: str | None, coin: str | None, path: Path) -> str:
    if chain:
        name = _ALIASES.get(chain.lower(), chain.lower())
        if name not in CHAINS:
            raise InputError(f"unknown chain {chain!r}; known: {', '.join(CHAINS)}", path=str(path))
        return name
    if coin:
        upper = coin.upper()
        if upper not in _NATIVE_CHAIN:
            raise InputError(
                f"Value_IN({coin}) names a coin of no chain finintel knows; pass chain= (one of {', '.join(CHAINS)})",
                path=str(path),
                row=1,
            )
        return _NATIVE_CHAIN[upper]
    return "ethereum"


def _subject(recs: list[dict[str, str]], cols: dict[str, str], address: str | None, path: Path) -> str | None:
    if address:
        try:
            return evm_key(address)
        except InputError as err:
            raise InputError(f"address= {err.problem}", path=str(path)) from None
    if not recs:
        return None
    common: set[str] | None = None
    for rec in recs:
        pair = {rec[cols["from"]].strip().lower(), rec[cols["to"]].strip().lower()}
        common = pair if common is None else common & pair
        if not common:
            return None
    found = sorted(common or ())
    return evm_key(found[0]) if len(found) == 1 and re.fullmatch(r"0x[0-9a-f]{40}", found[0]) else None


_NUMBER = re.compile(r"^(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?(?:[eE][+-]?\d+)?$")


def _amount(text: str, column: str) -> tuple[Decimal, str | None]:
    clean = text.strip()
    if clean.startswith("-"):
        raise _Reject(column, f"expected an unsigned amount (direction comes from In/Out), got {text!r}")
    if not _NUMBER.match(clean):
        raise _Reject(column, f"expected a number like 0.25 or 1,234.5, got {text!r}")
    value = Decimal(clean.replace(",", ""))
    if value.adjusted() >= 20:
        raise _Reject(column, f"more than 20 digits before the decimal point: {text!r}")
    exact = value.quantize(Decimal("1e-18"), rounding=ROUND_DOWN, context=Context(prec=60))
    return exact, (clean if exact != value else None)


def _key(text: str, column: str) -> str:
    try:
        return evm_key(text)
    except InputError as err:
        raise _Reject(column, err.problem) from None


def _row(
    rec: dict[str, str],
    cols: dict[str, str],
    kind: str,
    col_in: str | None,
    col_out: str | None,
    subject: str | None,
    native: str,
    standard: str,
) -> dict[str, Any]:
    h = rec[cols["hash"]].strip().lower()
    if not re.fullmatch(r"0x[0-9a-f]{64}|0x[0-9a-f]+", h):
        raise _Reject(cols["hash"], f"expected a transaction hash like 0x and 64 hex digits, got {rec[cols['hash']]!r}")
    ts = _timestamp(rec, cols)
    sender = _key(rec[cols["from"]], cols["from"])
    to_text = rec[cols["to"]].strip() or (rec.get(cols.get("contract", ""), "") or "").strip()
    if not to_text:
        raise _Reject(cols["to"], "no recipient: To and ContractAddress are both empty")
    receiver = _key(to_text, cols["to"])
    truncated: str | None
    if kind == "token":
        amount, truncated = _amount(rec[cols["value"]], cols["value"]) if "value" in cols else (Decimal(1), None)
        symbol = rec[cols["symbol"]].strip() or "UNKNOWN"
        # ERC-721/1155 rows carry a TokenId: count of tokens of that collection, not a fungible amount
        currency = f"{symbol}-NFT" if "token_id" in cols else f"{symbol}-{standard}"
    else:
        assert col_in is not None and col_out is not None
        v_in, t_in = _amount(rec[col_in] or "0", col_in)
        v_out, t_out = _amount(rec[col_out] or "0", col_out)
        if v_in > 0 and v_out > 0:
            raise _Reject(col_in, f"both {col_in} and {col_out} are non-zero ({rec[col_in]}, {rec[col_out]})")
        amount, truncated = (v_in, t_in) if v_in > 0 else (v_out, t_out)
        currency = native
        if subject and v_in > 0 and receiver != subject and kind == "normal":
            raise _Reject(col_in, f"value is In but the receiver {receiver} is not the subject address {subject}")
    if amount == 0:
        fee = next((rec[c] for c in _extras(tuple(rec)) if _norm(c).startswith("txnfee") and "usd" not in _norm(c)), "")
        raise _Reject(
            cols.get("value", col_out or ""),
            "no value moved (a contract call or transfer of 0)" + (f"; fee {fee}" if fee else ""),
        )
    err = (rec.get(cols.get("errcode", ""), "") or "").strip()
    status_text = (rec.get(cols.get("status", ""), "") or "").strip()
    failed = bool(err and err not in ("0", "false", "False")) or status_text.lower().startswith(("error", "fail"))
    attrs: dict[str, Any] = {"kind": kind, "value_text": truncated}
    for field in _KEEP:
        if field in cols and rec.get(cols[field], "").strip():
            attrs[field] = rec[cols[field]].strip()
    for c in _extras(tuple(rec)):
        if rec[c].strip():
            attrs[c] = rec[c].strip()
    if subject:
        attrs["direction"] = "in" if receiver == subject else "out" if sender == subject else "other"
    return {
        "_hash": h,
        "timestamp": ts,
        "sender": sender,
        "receiver": receiver,
        "amount": float(amount),
        "amount_exact": amount,
        "currency": currency,
        "channel": "crypto",
        "status": "failed" if failed else "completed",
        "description": attrs.get("method") or attrs.get("token_name"),
        "attributes": json.dumps({k: v for k, v in attrs.items() if v is not None}, ensure_ascii=False),
    }


@functools.lru_cache(maxsize=32)
def _extras(header: tuple[str, ...]) -> tuple[str, ...]:
    """Columns kept verbatim in attributes: fees, historical prices, status."""
    return tuple(
        c
        for c in header
        if _norm(c).startswith(("txnfee", "historical", "usdvalue")) or _norm(c) in ("status", "errcode")
    )


def _timestamp(rec: dict[str, str], cols: dict[str, str]) -> pd.Timestamp:
    unix = rec.get(cols.get("unix", ""), "").strip()
    if unix:
        if not re.fullmatch(r"\d{9,11}", unix):
            raise _Reject(cols["unix"], f"expected seconds since 1970 like 1504958289, got {unix!r}")
        return pd.Timestamp(int(unix), unit="s", tz="UTC")
    text = rec.get(cols.get("datetime", ""), "").strip()
    try:
        ts = pd.Timestamp(text)
    except ValueError:
        ts = pd.NaT
    if pd.isna(ts):
        raise _Reject(cols.get("datetime", "DateTime (UTC)"), f"expected a date like 2017-09-09 11:58:09, got {text!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
