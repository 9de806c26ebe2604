"""Reader for Tron TRC-20 token transfers: TronScan/TronGrid API JSON and CSV exports.

Shapes understood, by content:

* TronScan ``/api/token_trc20/transfers`` JSON: ``{"token_transfers": [{"transaction_id",
  "block_ts" (ms), "from_address", "to_address", "quant" (integer in the token's smallest
  unit), "tokenInfo": {"tokenAbbr", "tokenDecimal", ...}, "finalResult"/"contractRet"/
  "contract_ret", "confirmed", "revert"}]}``;
* TronScan ``/api/transfer`` JSON (``data`` of ``transactionHash``, ``timestamp``,
  ``transferFromAddress``, ``transferToAddress``, ``amount``, ``tokenInfo``);
* TronGrid ``/v1/accounts/<address>/transactions/trc20`` JSON (``data`` of ``transaction_id``,
  ``block_timestamp``, ``from``, ``to``, ``value``, ``token_info.symbol/decimals``);
* CSV with those fields as columns (``transaction_id, block_ts, from_address, to_address,
  quant, token_decimal, token_abbr, finalResult``) or the human-readable columns
  (``Transaction Hash``/``Txn Hash``, ``Time (UTC)``, ``From``, ``To``, ``Amount``, ``Token``, ``Result``).

Integer amounts (``quant``, ``value``, API ``amount``) are scaled by the token's decimals
exactly; columns named ``Amount``/``Quantity`` in a CSV are taken as already in
token units. USDT and every other TRC-20 token become ``<symbol>-TRC20``
(``USDT-TRC20``); TRX is ``TRX``. Keys use :func:`~finintel.schema.keys.tron_key`
(hex ``41…`` addresses are converted to base58). A transfer whose result is not
``SUCCESS`` (``REVERT``, ``OUT_OF_ENERGY``...) or is marked ``revert`` keeps its row with
``status="failed"``; an unconfirmed one is ``pending``. ``tx_id`` is
``trx:<transaction id>:trc20:<digest>`` (see :func:`~finintel.ingest.etherscan.transfer_key`):
the same transfer read from the JSON, the CSV or the other party's export has one id.
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_DOWN, Context, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd

from finintel.errors import InputError
from finintel.ingest._registry import Frames, register_reader
from finintel.ingest._util import check_size, decode_text, reject, rejects_frame
from finintel.ingest.etherscan import _subject_account, csv_records, transfer_key
from finintel.ingest.mt103 import line_index
from finintel.schema import frames as F
from finintel.schema.keys import tron_key

__all__ = ["read_tronscan"]

_FIELDS: dict[str, tuple[str, ...]] = {
    "hash": ("transaction_id", "transactionhash", "txnhash", "txhash", "hash", "txid", "transactionid"),
    "time_ms": ("block_ts", "blockts", "block_timestamp", "blocktimestamp", "timestamp"),
    "time_text": ("timeutc", "datetimeutc", "datetime", "time", "date"),
    "from": ("from_address", "fromaddress", "transferfromaddress", "from"),
    "to": ("to_address", "toaddress", "transfertoaddress", "to"),
    "raw": ("quant", "value", "rawamount"),
    "units": ("amount", "quantity", "tokenvalue"),
    "decimals": ("tokendecimal", "token_decimal", "decimals", "tokendecimals"),
    "symbol": ("tokenabbr", "token_abbr", "symbol", "tokensymbol", "token"),
    "result": ("finalresult", "final_result", "contractret", "contract_ret", "result", "status"),
    "confirmed": ("confirmed",),
    "revert": ("revert",),
    "contract": ("contract_address", "contractaddress", "tokenid", "token_id"),
    "block": ("block", "blockno", "blocknumber"),
}
_TRON = re.compile(r"\bT[1-9A-HJ-NP-Za-km-z]{33}\b|\b41[0-9a-fA-F]{40}\b")


def _norm(h: str) -> str:
    return re.sub(r"[^a-z0-9_]", "", h.lower())


def _sniff(path: Path, head: bytes) -> bool | str:
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    if text.startswith(("{", "[")):
        if '"token_transfers"' in text or "transferFromAddress" in text:
            return True
        if '"token_info"' in text and '"transaction_id"' in text:
            return True
        return "JSON without TronScan token_transfers or TronGrid token_info"
    first, _, rest = text.partition("\n")
    cols = {_norm(c.strip().strip('"')).replace("_", "") for c in first.split(",")}
    if not cols & {"transactionid", "transactionhash", "txnhash", "txhash", "hash"}:
        return "no transaction id/hash column"
    if not _TRON.search(rest[:4000]):
        return "no Tron address (T… base58 or 41… hex) in the first rows"
    return True


@register_reader(
    "tronscan",
    sniff=_sniff,
    version="1",
    priority=40,
    description="Tron TRC-20 transfers: TronScan/TronGrid API JSON and CSV",
)
def read_tronscan(path: Path, *, address: str | None = None, encoding: str | None = None, **_: Any) -> Frames:
    """Read TRC-20 transfers (TronScan or TronGrid JSON, or a CSV export) into canonical transactions.

    Parameters
    ----------
    path : Path
        The ``.json`` saved from the API or the ``.csv`` export.
    address : str, optional
        The account the export was made for; only used to tag ``attributes["direction"]``.
    encoding : str, optional
        Text encoding (default UTF-8).

    Returns
    -------
    Frames
        One transaction per transfer; ``report`` has ``shape`` (``tronscan``, ``trongrid``, ``csv``).

    Examples
    --------
    >>> import tempfile, pathlib, json as j
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "usdt.json"
    >>> _ = p.write_text(j.dumps({"token_transfers": [{"transaction_id": "ab12cd34", "block_ts": 1700000000000,
    ...     "from_address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "to_address": "41a614f803b6fd780986a42c78ec9c7f77e6ded13c",
    ...     "quant": "2500000000", "finalResult": "SUCCESS", "tokenInfo": {"tokenAbbr": "USDT", "tokenDecimal": 6}}]}))
    >>> tx = fi.read(p).transactions
    >>> tx.loc[0, "tx_id"], tx.loc[0, "receiver"], float(tx.loc[0, "amount"]), tx.loc[0, "currency"]
    ('trx:ab12cd34:trc20:91c24863', 'trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', 2500.0, 'USDT-TRC20')
    """
    check_size(path)
    text, _enc = decode_text(path, encodings=(encoding,) if encoding else ("utf-8",))
    if not text.strip():
        raise InputError("the file is empty; expected TronScan JSON or CSV", path=str(path))
    subject = _subject(address, path)
    if text.lstrip().startswith(("{", "[")):
        shape, records = _json_records(text, path)
    else:
        shape = "csv"
        header, rows = csv_records(text, path=path)
        probe = dict.fromkeys(header, "x")
        missing = [f for f in ("hash", "from", "to") if _get(probe, f)[0] is None]
        if _get(probe, "raw")[0] is None and _get(probe, "units")[0] is None:
            missing.append("amount (quant, value or Amount)")
        if missing:
            raise InputError(
                f"not a TronScan export: no column for {', '.join(missing)}; header is {', '.join(header)}",
                path=str(path),
                row=1,
            )
        records = []
        for line, fields in rows:
            if len(fields) != len(header):
                records.append(
                    (
                        line,
                        {
                            "__broken__": f"expected {len(header)} fields like the header, got {len(fields)}",
                            "__raw__": ",".join(fields),
                        },
                    )
                )
            else:
                records.append((line, dict(zip(header, fields, strict=True))))
    out: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, rec in records:
        if "__broken__" in rec:
            rejects.append(reject(line, None, str(rec["__broken__"]), rec["__raw__"]))
            continue
        try:
            row = _row(rec, shape, subject)
        except _Reject as r:
            rejects.append(reject(line, r.column, r.problem, rec))
            continue
        h = row.pop("_hash")
        key = transfer_key(
            h, "trc20", row["sender"], row["receiver"], row["currency"], str(row["amount_exact"].normalize())
        )
        seen[key] = seen.get(key, 0) + 1
        row["tx_id"] = f"trx:{key}" + (f".{seen[key]}" if seen[key] > 1 else "")
        row["source_row"] = line
        out.append(row)
    return Frames(
        transactions=pd.DataFrame(out) if out else F.empty(F.TRANSACTIONS),
        rejects=rejects_frame(rejects),
        rows_read=len(records),
        accounts=_subject_account(subject, "tron", "address="),
        report={"shape": shape, "address": subject},
    )


class _Reject(Exception):
    def __init__(self, column: str | None, problem: str) -> None:
        super().__init__(problem)
        self.column, self.problem = column, problem


def _subject(address: str | None, path: Path) -> str | None:
    if not address:
        return None
    try:
        return tron_key(address)
    except InputError as err:
        raise InputError(f"address= {err.problem}", path=str(path)) from None


def _json_records(text: str, path: Path) -> tuple[str, list[tuple[int, dict[str, Any]]]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON (truncated?): {exc.msg}", path=str(path), row=exc.lineno) from None
    except RecursionError:
        raise InputError("the JSON nests too deeply to be an API response; refused", path=str(path)) from None
    if isinstance(doc, dict) and isinstance(doc.get("token_transfers"), list):
        shape, items = "tronscan", doc["token_transfers"]
    elif isinstance(doc, dict) and isinstance(doc.get("data"), list):
        items = doc["data"]
        shape = "trongrid" if any(isinstance(i, dict) and "token_info" in i for i in items) else "tronscan"
    elif isinstance(doc, list):
        shape, items = "tronscan", doc
    else:
        raise InputError("expected a JSON object with a token_transfers or data list", path=str(path))
    out: list[tuple[int, dict[str, Any]]] = []
    pos = 0
    line_of = line_index(text)
    for k, item in enumerate(items):
        rec = (
            item
            if isinstance(item, dict)
            else {"__broken__": f"expected an object, got {type(item).__name__}", "__raw__": json.dumps(item)}
        )
        h = str(rec.get("transaction_id") or rec.get("transactionHash") or rec.get("hash") or "")
        found = text.find(f'"{h}"', pos) if h else -1
        if found >= 0:
            pos = found + 1
            line = line_of(found)
        else:
            line = k + 1
        flat = dict(rec)
        info = rec.get("tokenInfo") or rec.get("token_info") or {}
        if isinstance(info, dict):
            for key in ("tokenAbbr", "tokenDecimal", "tokenId", "symbol", "decimals", "address", "tokenName", "name"):
                if key in info:
                    flat.setdefault(
                        {
                            "symbol": "tokenAbbr",
                            "decimals": "tokenDecimal",
                            "address": "tokenId",
                            "name": "tokenName",
                        }.get(key, key),
                        info[key],
                    )
        if shape == "tronscan" and "amount" in flat and "quant" not in flat:
            flat["quant"] = flat.pop("amount")  # /api/transfer: integer amount in the token's smallest unit
        out.append((line, flat))
    return shape, out


def _get(rec: dict[str, Any], field: str) -> tuple[str | None, Any]:
    by_norm = {_norm(k).replace("_", ""): k for k in rec}
    for name in _FIELDS[field]:
        k = by_norm.get(name.replace("_", ""))
        if k is not None and rec[k] not in (None, ""):
            return k, rec[k]
    return None, None


def _key(rec: dict[str, Any], field: str) -> str:
    col, value = _get(rec, field)
    if value is None:
        raise _Reject(col or field, f"no {field} address")
    try:
        return tron_key(str(value))
    except InputError as err:
        raise _Reject(col, err.problem) from None


def _row(rec: dict[str, Any], shape: str, subject: str | None) -> dict[str, Any]:
    hcol, h = _get(rec, "hash")
    if not h or not re.fullmatch(r"(?:0x)?[0-9a-fA-F]{6,64}", str(h).strip()):
        raise _Reject(hcol or "transaction_id", f"expected a transaction id of hex digits, got {h!r}")
    sender, receiver = _key(rec, "from"), _key(rec, "to")
    ts = _timestamp(rec)
    amount, decimals = _amount(rec)
    _, sym = _get(rec, "symbol")
    symbol = str(sym).strip() if sym else ""
    inner = re.search(r"\(([A-Za-z0-9]{2,12})\)\s*$", symbol)  # "Tether USD (USDT)"
    symbol = inner.group(1) if inner else symbol
    if not symbol:
        raise _Reject("tokenAbbr", "no token symbol: cannot tell USDT from another token")
    currency = "TRX" if symbol.upper() == "TRX" else f"{symbol.upper() if symbol.lower() == 'usdt' else symbol}-TRC20"
    _, result = _get(rec, "result")
    _, revert = _get(rec, "revert")
    _, confirmed = _get(rec, "confirmed")
    res = str(result).strip().upper() if result is not None else ""
    failed = bool(res and res not in ("SUCCESS", "SUCCESSFUL", "CONFIRMED", "1", "TRUE")) or str(revert).lower() in (
        "true",
        "1",
    )
    pending = not failed and str(confirmed).lower() in ("false", "0", "unconfirmed")
    _, contract = _get(rec, "contract")
    _, block = _get(rec, "block")
    attrs = {
        "shape": shape,
        "result": res or None,
        "decimals": decimals,
        "quant": str(_get(rec, "raw")[1]) if decimals is not None else None,
        "contract": contract,
        "block": block,
        "token": symbol,
    }
    if subject:
        attrs["direction"] = "in" if receiver == subject else "out" if sender == subject else "other"
    return {
        "_hash": str(h).strip().lower().removeprefix("0x"),
        "timestamp": ts,
        "sender": sender,
        "receiver": receiver,
        "amount": float(amount),
        "amount_exact": amount,
        "currency": currency,
        "channel": "crypto",
        "status": "failed" if failed else "pending" if pending else "completed",
        "attributes": json.dumps({k: v for k, v in attrs.items() if v is not None}, default=str),
    }


def _amount(rec: dict[str, Any]) -> tuple[Decimal, int | None]:
    rcol, raw = _get(rec, "raw")
    dcol, dec = _get(rec, "decimals")
    if raw is not None and not (
        rcol and _norm(rcol) == "value" and dec is None and re.fullmatch(r"[\d,]*\.\d+", str(raw).strip())
    ):
        text = str(raw).strip()
        if not re.fullmatch(r"\d+", text):
            raise _Reject(rcol, f"expected a whole number of the token's smallest unit, got {raw!r}")
        if dec is None or not re.fullmatch(r"\d{1,2}", str(dec).strip()):
            raise _Reject(dcol or "tokenDecimal", f"expected the token's decimals (0-77) to scale {raw!r}, got {dec!r}")
        places = int(str(dec).strip())
        value = Decimal(text).scaleb(-places, context=Context(prec=120))
        if places > 18:  # the schema keeps 18 decimals; the raw quant stays in attributes
            value = value.quantize(Decimal("1e-18"), rounding=ROUND_DOWN, context=Context(prec=120))
        if value.adjusted() >= 20:
            raise _Reject(
                rcol, f"more than 20 digits before the decimal point once scaled by {places} decimals: {raw!r}"
            )
        return value, places
    ucol, units = _get(rec, "units")
    if units is None and raw is not None:
        ucol, units = rcol, raw
    if units is None:
        raise _Reject("quant", "no amount (quant, value or Amount)")
    text = str(units).strip()
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):  # thousands commas; a decimal comma is refused below
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _Reject(ucol, f"expected an amount like 2500.5, got {units!r}") from None
    if not value.is_finite() or value < 0:
        raise _Reject(ucol, f"expected an unsigned amount, got {units!r}")
    return value, None


def _timestamp(rec: dict[str, Any]) -> pd.Timestamp:
    mcol, ms = _get(rec, "time_ms")
    if ms is not None and re.fullmatch(r"\d{10,13}", str(ms).strip()):
        v = int(str(ms).strip())
        return pd.Timestamp(v, unit="ms" if v > 10**11 else "s", tz="UTC")
    tcol, text = _get(rec, "time_text")
    text = text if text is not None else ms
    try:
        ts = pd.Timestamp(str(text).strip()) if text is not None else pd.NaT
    except ValueError:
        ts = pd.NaT
    if pd.isna(ts):
        raise _Reject(tcol or mcol or "block_ts", f"expected milliseconds since 1970 or a UTC date, got {text!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
