"""Reader for Blockchair-style Bitcoin exports: output/input dumps and address balance changes.

Two shapes, told apart by their header:

* ``outputs``/``inputs`` dumps (TSV or CSV): ``transaction_hash, index, time, value``
  (satoshi), ``recipient`` and the spending side ``spending_transaction_hash,
  spending_time``; an inputs dump lists the outputs that were spent, in the same columns;
* an address history: ``hash, time, balance_change`` (satoshi, signed), e.g. from the
  address page or the API's transactions list.

Bitcoin moves value between transactions, not accounts, so rows are netted per
transaction from the point of view of the address in focus (``address=``):

* for a transaction T, the focus received ``in`` (its outputs in T) and spent ``out``
  (its outputs whose ``spending_transaction_hash`` is T); ``in - out`` is what T did to it;
* a net gain is one transaction from T's other input addresses (the largest one found in
  the file, the others listed in ``attributes["inputs"]``) to the focus;
* a net loss is one transaction per other output of T found in the file (focus ->
  recipient, that output's value); what is left (the miner fee) is in
  ``attributes["fee_sat"]``;
* a counterparty the file does not show is ``acct:UNKNOWN/BTC-TX-<txid>`` (one key per
  transaction, never shared between unrelated payments).

Amounts are exact BTC (satoshi / 10^8). Rows used to build a transaction are listed in its
``attributes["rows"]``; a row about no transaction of the focus is rejected with that
reason, so every row is accounted for. ``tx_id`` is ``btc:<txid>:<output index>`` for a
payment into one output (the payer's and the payee's exports then agree, and a case
holding both keeps it once), else ``btc:<txid>:net:<focus address>``.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from finintel.errors import InputError
from finintel.ingest._registry import Frames, register_reader
from finintel.ingest._util import check_size, decode_text, reject, rejects_frame
from finintel.ingest.etherscan import _subject_account, csv_records
from finintel.schema import frames as F
from finintel.schema.keys import btc_key

__all__ = ["read_blockchair"]

SATOSHI = Decimal("1e-8")


def _header(head: bytes) -> list[str]:
    first = head.decode("utf-8-sig", errors="replace").splitlines()[0] if head.strip() else ""
    sep = "\t" if "\t" in first else ","
    return [c.strip().strip('"').lower() for c in first.split(sep)]


def _sniff(path: Path, head: bytes) -> bool | str:
    cols = set(_header(head))
    if {"transaction_hash", "value", "recipient"} <= cols or {"hash", "balance_change", "time"} <= cols:
        return True
    return "no Blockchair transaction_hash/value/recipient or hash/balance_change columns"


@register_reader(
    "blockchair",
    sniff=_sniff,
    version="1",
    priority=40,
    description="Blockchair Bitcoin outputs/inputs dumps and address histories",
)
def read_blockchair(path: Path, *, address: str | None = None, encoding: str | None = None, **_: Any) -> Frames:
    """Read a Blockchair Bitcoin export into transactions of the address in focus.

    Parameters
    ----------
    path : Path
        The TSV/CSV dump or address history.
    address : str, optional
        The Bitcoin address in focus. Needed unless every row's recipient is the same address
        (an outputs dump) -- a balance-change history cannot be read without it.
    encoding : str, optional
        Text encoding (default UTF-8).

    Returns
    -------
    Frames
        One or more transactions per Bitcoin transaction of the focus; ``report`` has
        ``address`` and ``bitcoin_transactions``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "hist.csv"
    >>> _ = p.write_text("block_id,hash,time,balance_change\\n800000,ab01,2023-07-24 03:33:29,150000000\\n")
    >>> tx = fi.read(p, address="1BoatSLRHtKNngkdXEeobR76b53LETtpyT").transactions
    >>> tx.loc[0, ["sender", "receiver", "currency"]].tolist(), str(tx.loc[0, "amount_exact"])
    (['acct:UNKNOWN/BTC-TX-ab01', 'btc:1BoatSLRHtKNngkdXEeobR76b53LETtpyT', 'BTC'], '1.500000000000000000')
    """
    check_size(path)
    text, _enc = decode_text(path, encodings=(encoding,) if encoding else ("utf-8",))
    if not text.strip():
        raise InputError("the file is empty; expected a Blockchair export with a header", path=str(path))
    header, records = csv_records(text, delimiter="\t" if "\t" in text.split("\n", 1)[0] else ",", path=path)
    header = [h.lower() for h in header]
    need = (
        ("hash", "time", "balance_change")
        if "balance_change" in header
        else ("transaction_hash", "time", "value", "recipient")
    )
    missing = [c for c in need if c not in header]
    if missing:
        raise InputError(
            f"not a Blockchair export: no column {', '.join(missing)}; header is {', '.join(header)}",
            path=str(path),
            row=1,
        )
    rejects: list[dict[str, Any]] = []
    rows: list[tuple[int, dict[str, str]]] = []
    for line, fields in records:
        if len(fields) != len(header):
            rejects.append(
                reject(
                    line,
                    None,
                    f"expected {len(header)} fields like the header, got {len(fields)} (a truncated or broken row)",
                    ",".join(fields),
                )
            )
        else:
            rows.append((line, dict(zip(header, fields, strict=True))))
    if "balance_change" in header:
        if not address:
            raise InputError("a balance-change history does not name its address: pass address=", path=str(path))
        focus = _focus_key(address, path)
        out = _history(rows, focus, rejects)
    else:
        good = []
        for line, rec in rows:
            problem = _check_output(rec)
            if problem:
                rejects.append(reject(line, problem[0], problem[1], rec))
            else:
                good.append((line, rec))
        focus = _focus_key(address, path) if address else _only_recipient(good, path)
        out = _outputs(good, focus, rejects)
    return Frames(
        transactions=pd.DataFrame(out) if out else F.empty(F.TRANSACTIONS),
        rejects=rejects_frame(rejects),
        rows_read=len(records),
        accounts=_subject_account(focus, "bitcoin", "the address in focus"),
        report={"address": focus, "bitcoin_transactions": len({r["tx_id"].split(":")[1] for r in out})},
    )


def _focus_key(address: str, path: Path) -> str:
    try:
        return btc_key(address)
    except InputError as err:
        raise InputError(f"address= {err.problem}", path=str(path)) from None


def _only_recipient(rows: list[tuple[int, dict[str, str]]], path: Path) -> str:
    found = {r["recipient"].strip() for _, r in rows}
    if len(found) != 1:
        raise InputError(
            f"the export has {len(found)} recipient addresses; pass address= to say which one is in focus",
            path=str(path),
        )
    return btc_key(found.pop())


def _sat(text: str) -> int | None:
    t = text.strip()
    return int(t) if re.fullmatch(r"-?\d+", t) else None


def _check_output(rec: dict[str, str]) -> tuple[str, str] | None:
    if not re.fullmatch(r"[0-9a-fA-F]{4,64}", rec.get("transaction_hash", "").strip()):
        return "transaction_hash", f"expected a transaction hash of hex digits, got {rec.get('transaction_hash')!r}"
    value = _sat(rec.get("value", ""))
    if value is None or value < 0:
        return "value", f"expected a whole number of satoshi like 50000000, got {rec.get('value')!r}"
    if pd.isna(_time(rec.get("time", ""))):
        return "time", f"expected a UTC time like 2009-01-12 03:30:25, got {rec.get('time')!r}"
    recipient = rec.get("recipient", "").strip()
    try:
        btc_key(recipient)
    except InputError:
        return "recipient", f"expected a Bitcoin address, got {recipient!r}"
    return None


def _time(text: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(text.strip())
    except ValueError:
        return pd.NaT
    if pd.isna(ts):
        return pd.NaT
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _tx(
    txid: str, n: str, ts: pd.Timestamp, sender: str, receiver: str, sat: int, line: int, attrs: dict[str, Any]
) -> dict[str, Any]:
    amount = Decimal(sat) * SATOSHI
    return {
        "tx_id": f"btc:{txid}:{n}",
        "timestamp": ts,
        "sender": sender,
        "receiver": receiver,
        "amount": float(amount),
        "amount_exact": amount,
        "currency": "BTC",
        "channel": "crypto",
        "status": "completed",
        "attributes": json.dumps(attrs),
        "source_row": line,
    }


def _outputs(rows: list[tuple[int, dict[str, str]]], focus: str, rejects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    outputs: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(
        list
    )  # rows by the transaction that created them
    spent_in: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)  # rows by the transaction that spent them
    for line, rec in rows:
        outputs[rec["transaction_hash"].strip().lower()].append((line, rec))
        spender = rec.get("spending_transaction_hash", "").strip().lower()
        if spender:
            spent_in[spender].append((line, rec))

    def mine(rec: dict[str, str]) -> bool:
        return btc_key(rec["recipient"]) == focus

    touched = sorted(
        {t for t, rs in outputs.items() if any(mine(r) for _, r in rs)}
        | {t for t, rs in spent_in.items() if any(mine(r) for _, r in rs)}
    )
    used: set[int] = set()
    out: list[dict[str, Any]] = []
    for t in touched:
        own_out = [(n, r) for n, r in outputs.get(t, []) if mine(r)]
        own_in = [(n, r) for n, r in spent_in.get(t, []) if mine(r)]
        other_out = [(n, r) for n, r in outputs.get(t, []) if not mine(r)]
        other_in = [(n, r) for n, r in spent_in.get(t, []) if not mine(r)]
        lines = sorted(n for n, _ in own_out + own_in + other_out + other_in)
        used.update(lines)
        gained = sum(_sat(r["value"]) or 0 for _, r in own_out) - sum(_sat(r["value"]) or 0 for _, r in own_in)
        when = (
            _time(own_out[0][1]["time"])
            if own_out
            else _time(own_in[0][1].get("spending_time", "") or own_in[0][1]["time"])
        )
        if own_in and not own_out and other_out:
            when = _time(other_out[0][1]["time"])
        first = min(n for n, _ in own_out + own_in)
        unknown = f"acct:UNKNOWN/BTC-TX-{t}"
        attrs: dict[str, Any] = {
            "txid": t,
            "rows": lines,
            "focus_received_sat": sum(_sat(r["value"]) or 0 for _, r in own_out),
            "focus_spent_sat": sum(_sat(r["value"]) or 0 for _, r in own_in),
        }
        if gained > 0:
            senders: dict[str, int] = defaultdict(int)
            for _, r in other_in:
                senders[btc_key(r["recipient"])] += _sat(r["value"]) or 0
            sender = max(senders, key=lambda k: senders[k]) if senders else unknown
            # a plain payment into one output of the focus is named by that output, as the payer's export names it
            single = own_out[0][1].get("index", "").strip() if len(own_out) == 1 and not own_in else ""
            out.append(
                _tx(
                    t,
                    single if single.isdigit() else f"net:{focus[4:]}",
                    when,
                    sender,
                    focus,
                    gained,
                    first,
                    {**attrs, "direction": "in", "inputs": sorted(senders) or None},
                )
            )
        elif gained < 0:
            paid = -gained
            if other_out:
                fee = paid - sum(_sat(x["value"]) or 0 for _, x in other_out)
                for k, (n, r) in enumerate(sorted(other_out, key=lambda x: int(x[1].get("index") or 0))):
                    sat = _sat(r["value"]) or 0
                    if sat == 0:
                        rejects.append(
                            reject(n, "value", "a zero-value output (e.g. a data carrier): nothing moved", r)
                        )
                        continue
                    out.append(
                        _tx(
                            t,
                            r.get("index", "").strip() if r.get("index", "").strip().isdigit() else f"out{k}",
                            when,
                            focus,
                            btc_key(r["recipient"]),
                            sat,
                            n,
                            {**attrs, "direction": "out", "output_index": r.get("index"), "fee_sat": fee},
                        )
                    )
            else:
                out.append(_tx(t, f"net:{focus[4:]}", when, focus, unknown, paid, first, {**attrs, "direction": "out"}))
        else:
            for n in lines:
                rejects.append(
                    reject(
                        n,
                        "value",
                        f"not a transfer: in transaction {t} the address in focus got back exactly what it spent",
                        {"txid": t},
                    )
                )
    for line, rec in rows:
        if line not in used:
            rejects.append(
                reject(
                    line,
                    "recipient",
                    f"not about the address in focus {focus}: neither paid to it nor spent from it, nor part of a transaction that was",
                    rec,
                )
            )
    return out


def _history(rows: list[tuple[int, dict[str, str]]], focus: str, rejects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for line, rec in rows:
        h = rec.get("hash", "").strip().lower()
        change = _sat(rec.get("balance_change", ""))
        ts = _time(rec.get("time", ""))
        if not re.fullmatch(r"[0-9a-f]{4,64}", h):
            rejects.append(
                reject(line, "hash", f"expected a transaction hash of hex digits, got {rec.get('hash')!r}", rec)
            )
        elif change is None or change == 0:
            rejects.append(
                reject(
                    line,
                    "balance_change",
                    f"expected a non-zero whole number of satoshi, got {rec.get('balance_change')!r}",
                    rec,
                )
            )
        elif pd.isna(ts):
            rejects.append(
                reject(line, "time", f"expected a UTC time like 2009-01-12 03:30:25, got {rec.get('time')!r}", rec)
            )
        else:
            other = f"acct:UNKNOWN/BTC-TX-{h}"
            sender, receiver = (other, focus) if change > 0 else (focus, other)
            out.append(
                _tx(
                    h,
                    f"net:{focus[4:]}",
                    ts,
                    sender,
                    receiver,
                    abs(change),
                    line,
                    {"txid": h, "block_id": rec.get("block_id"), "direction": "in" if change > 0 else "out"},
                )
            )
    return out
