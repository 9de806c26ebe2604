"""Reader for centralised-exchange account histories: Binance and Coinbase, several generations.

Variants, recognised by their header:

* ``binance`` -- Transaction History ``User_ID,UTC_Time,Account,Operation,Coin,Change,Remark``
  (older exports without ``User_ID``: pass ``user=``);
* ``binance_deposit_withdrawal`` -- ``Date(UTC),Coin,Network,Amount,TransactionFee,Address,TXID,Status``;
* ``binance_trades`` -- Trade History ``Date(UTC),Pair,Side,Price,Executed,Amount,Fee`` (amounts
  with their coin: ``0.5BTC``) or ``Date(UTC),Market,Type,Price,Amount,Total,Fee,Fee Coin``;
* ``coinbase_wallet`` -- the older per-wallet export (``Transactions``/``User``/``Account``
  lines, then ``Timestamp,Balance,Amount,Currency,To,...,Bitcoin Hash``; dates ``M/D/YY H:MM``);
* ``coinbase_report`` -- the "Transactions" report (``Timestamp,Transaction Type,Asset,
  Quantity Transacted,Spot Price...,Notes``, with or without a leading ``ID``);
* ``coinbase_pro`` -- Coinbase Pro fills (``portfolio,trade id,product,side,created at,size,...``).

How exchange activity maps to the canonical frame (one row per movement, nothing dropped):

* The user's wallet is ``exch:<exchange>/<user id>`` (``user=`` when the export does not
  name the user; otherwise ``exch:<exchange>/file-<first 8 hex of the file hash>``, so that
  two anonymous exports never merge by accident).
* A **trade** (Binance Buy/Sell/Transaction rows at one ``UTC_Time``, a Coinbase Buy, Sell
  or Convert, a Pro fill) is a conversion through the user's own conversion account
  ``exch:<exchange>/<user>/convert``: the coin given goes user -> convert, the coin
  received convert -> user, each leg a row with ``attributes["kind"] = "trade"`` and a
  shared ``attributes["trade_group"]``. Fees go user -> ``exch:<exchange>/platform``
  (``kind = "fee"``); rewards, interest and distributions come from the platform.
* **Deposits and withdrawals** flow between the user and the outside: the address or
  e-mail named in the export when there is one (keyed with ``guess_key``; a Coinbase
  e-mail becomes ``exch:coinbase/<email>``), else ``exch:<exchange>/<user>/external``.
  On-chain deposit/withdrawal rows get the chain in the currency (``USDT-TRC20``).
* The fiat side of a Coinbase buy or sell (``Transfer Total``, ``Total (inclusive of fees)``)
  is a second leg of the trade: from the user's funding source ``exch:coinbase/<user>/funding``
  (bank or card, named in ``attributes["payment_method"]``) in the old wallet export, from the
  user's fiat wallet in the Transactions report.
* A Coinbase export's ``User,<e-mail or name>,<id>`` line becomes a ``parties`` row holding
  the wallet in ``accounts`` (``party_id`` ``exch:coinbase/<id>:holder``).
* Transfers between the user's own exchange wallets (Spot <-> Funding, Earn) go through
  ``exch:<exchange>/<user>/internal``.

Signed amounts give the direction; a row whose amount is zero or unreadable is rejected
with its line and column. ``tx_id`` is ``<exchange>:<hash of the row's content>:<leg>`` (a
count tells identical rows apart), so the same row in two overlapping exports has the same id.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd

from finintel.errors import InputError
from finintel.ingest._registry import Frames, file_sha256, register_reader
from finintel.ingest._util import check_size, decode_text, reject, rejects_frame
from finintel.ingest.etherscan import csv_records
from finintel.schema import frames as F
from finintel.schema.keys import guess_key

__all__ = ["VARIANTS", "read_exchange"]

VARIANTS: dict[str, tuple[str, ...]] = {
    "binance": ("utctime", "operation", "coin", "change"),
    "binance_deposit_withdrawal": ("dateutc", "coin", "amount", "address", "txid", "status"),
    "binance_trades": ("dateutc", "price", "fee"),
    "coinbase_wallet": ("timestamp", "balance", "amount", "currency", "to"),
    "coinbase_report": ("timestamp", "transactiontype", "asset", "quantitytransacted"),
    "coinbase_pro": ("portfolio", "tradeid", "product", "side", "createdat", "size"),
}
"""Variant name -> normalised header columns that identify it."""

_NETWORK_SUFFIX = {
    "TRX": "TRC20",
    "TRC20": "TRC20",
    "TRON": "TRC20",
    "ETH": "ERC20",
    "ERC20": "ERC20",
    "BSC": "BEP20",
    "BEP20": "BEP20",
    "MATIC": "POLYGON",
    "POLYGON": "POLYGON",
}


def _norm(h: str) -> str:
    return re.sub(r"[^a-z0-9]", "", h.lower())


def _find_header(lines: list[str]) -> tuple[str, int] | None:
    for i, line in enumerate(lines[:15]):
        cols = {_norm(c) for c in re.split(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", line)}
        for name, need in VARIANTS.items():
            if all(n in cols for n in need):
                return name, i
    return None


def _sniff(path: Path, head: bytes) -> bool | str:
    text = head.decode("utf-8-sig", errors="replace")
    found = _find_header(text.splitlines())
    return True if found else "no Binance or Coinbase account-history header"


@register_reader(
    "exchange",
    sniff=_sniff,
    version="1",
    priority=40,
    description="Binance and Coinbase account histories (trades as conversions)",
)
def read_exchange(
    path: Path,
    *,
    user: str | None = None,
    direction: str | None = None,
    tz: str = "UTC",
    encoding: str | None = None,
    **_: Any,
) -> Frames:
    """Read a Binance or Coinbase account-history export into canonical transactions.

    Parameters
    ----------
    path : Path
        The CSV export.
    user : str, optional
        The exchange user id, for exports that do not name it (Binance deposit/withdrawal
        history, Coinbase Pro fills).
    direction : {"deposit", "withdrawal"}, optional
        For a Binance deposit or withdrawal history, which one it is (the file does not
        say). Without it a row with a fee is a withdrawal and one without a deposit, and
        ``attributes["direction_from"]`` says it was guessed.
    tz : str, default "UTC"
        Zone of timestamps written without one (the old Coinbase wallet export).
    encoding : str, optional
        Text encoding (default UTF-8).

    Returns
    -------
    Frames
        Transactions; ``report`` has ``variant``, ``user`` and ``trades`` (conversions grouped).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "b.csv"
    >>> _ = p.write_text("User_ID,UTC_Time,Account,Operation,Coin,Change,Remark\\n"
    ...     "42,2024-01-05 10:00:00,Spot,Deposit,USDT,500,\\n"
    ...     "42,2024-01-05 11:00:00,Spot,Transaction Spend,USDT,-100,\\n"
    ...     "42,2024-01-05 11:00:00,Spot,Transaction Buy,BTC,0.0025,\\n")
    >>> tx = fi.read(p).transactions
    >>> tx[["sender", "receiver", "amount", "currency"]].values.tolist()
    [['exch:binance/42/external', 'exch:binance/42', 500.0, 'USDT'], ['exch:binance/42', 'exch:binance/42/convert', 100.0, 'USDT'], ['exch:binance/42/convert', 'exch:binance/42', 0.0025, 'BTC']]
    """
    check_size(path)
    text, _enc = decode_text(path, encodings=(encoding,) if encoding else ("utf-8",))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    found = _find_header(lines)
    if not found:
        raise InputError("no Binance or Coinbase header found in the first 15 lines", path=str(path))
    variant, at = found
    if direction not in (None, "deposit", "withdrawal"):
        raise InputError(f"direction= must be 'deposit' or 'withdrawal', got {direction!r}", path=str(path))
    sha = file_sha256(path)
    header, records = csv_records("\n".join(lines[at:]), path=path)
    records = [(n + at, r) for n, r in records]
    ctx = _Ctx(sha=sha, tz=tz, user=user, direction=direction, preamble=lines[:at], variant=variant)
    out: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    rows = []
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
            rows.append(
                (
                    line,
                    {_norm(h): v for h, v in zip(header, fields, strict=True)},
                    dict(zip(header, fields, strict=True)),
                )
            )
    handler = {
        "binance": _binance,
        "binance_deposit_withdrawal": _binance_dw,
        "binance_trades": _binance_trade,
        "coinbase_wallet": _coinbase_wallet,
        "coinbase_report": _coinbase_report,
        "coinbase_pro": _coinbase_pro,
    }[variant]
    seen: dict[str, int] = {}
    for line, rec, raw in rows:
        # content-based id: the same row in two overlapping exports gets the same tx_id (the case keeps it once)
        who = "" if rec.get("userid", "").strip() else ctx.user_key()  # a row naming its user needs no file-level user
        content = "|".join([variant, who, *raw.values()])
        seen[content] = seen.get(content, 0) + 1
        ctx.row_id = hashlib.sha1(f"{content}|{seen[content]}".encode()).hexdigest()[:20]
        try:
            out.extend(handler(rec, line, ctx))
        except _Reject as r:
            rejects.append(reject(line, _col(raw, r.column), r.problem, raw))
    parties, accounts = _holder(ctx)
    return Frames(
        transactions=pd.DataFrame(out) if out else F.empty(F.TRANSACTIONS),
        parties=parties,
        accounts=accounts,
        rejects=rejects_frame(rejects),
        rows_read=len(records),
        report={
            "variant": variant,
            "user": ", ".join(sorted(ctx.users)) or ctx.user_key(),
            "trades": len({json.loads(r["attributes"]).get("trade_group") for r in out} - {None}),
        },
    )


def _holder(ctx: _Ctx) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The exchange user as a party holding the wallet, when the export names them (Coinbase ``User`` line)."""
    if not ctx.holder:
        return F.empty(F.PARTIES), F.empty(F.ACCOUNTS)
    who, line = ctx.holder
    key = ctx.user_key()
    party_id = f"{key}:holder"
    email = who if "@" in who else None
    party = {
        "party_id": party_id,
        "name": None if email else who,
        "email": email,
        "attributes": json.dumps({"exchange": ctx.exchange}),
        "source_row": int(line),
    }
    account = {
        "account": key,
        "party_id": party_id,
        "role": "holder",
        "institution": ctx.exchange.title(),
        "source_row": int(line),
    }
    return pd.DataFrame([party]), pd.DataFrame([account])


def _col(raw: dict[str, str], normed: str) -> str:
    return next((h for h in raw if _norm(h) == normed), normed)


class _Reject(Exception):
    def __init__(self, column: str, problem: str) -> None:
        super().__init__(problem)
        self.column, self.problem = column, problem


class _Ctx:
    def __init__(
        self, *, sha: str, tz: str, user: str | None, direction: str | None, preamble: list[str], variant: str
    ) -> None:
        self.sha, self.tz, self.direction, self.variant = sha, tz, direction, variant
        self.exchange = "binance" if variant.startswith("binance") else "coinbase"
        self.user = user
        self.holder: tuple[str, str] | None = None  # (name or e-mail, line) from a Coinbase "User,<who>,<id>" line
        for at, line in enumerate(preamble, start=1):
            parts = [p.strip() for p in next(csv.reader([line]), [])]
            if variant.startswith("coinbase") and len(parts) > 2 and parts[0] == "User" and parts[2]:
                self.user = user or parts[2]
                self.holder = (parts[1], str(at))
        self.users: set[str] = set()
        self.row_id = ""

    def user_key(self, uid: str | None = None) -> str:
        who = uid or self.user or f"file-{self.sha[:8]}"
        return f"exch:{self.exchange}/{who}"


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def _plain(text: str) -> str:
    """Drop thousands commas (``1,141.5``) and a ``$``; a decimal comma (``0,5``) is left to fail, never read as 5."""
    t = text.strip().replace("$", "")
    return t.replace(",", "") if _THOUSANDS.match(t) else t


def _amount(rec: dict[str, str], col: str, *, signed: bool = True) -> Decimal:
    text = _plain(rec.get(col) or "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _Reject(col, f"expected a number like -0.4960368 or 6.0E-7, got {rec.get(col)!r}") from None
    if not value.is_finite():
        raise _Reject(col, f"expected a finite number, got {rec.get(col)!r}")
    if value == 0:
        raise _Reject(col, "the amount is zero: nothing moved")
    if not signed and value < 0:
        raise _Reject(col, f"expected an unsigned amount, got {rec.get(col)!r}")
    return value


def _time(rec: dict[str, str], col: str, ctx: _Ctx, fmt: str | None = None) -> pd.Timestamp:
    text = (rec.get(col) or "").strip().removesuffix(" UTC")
    try:
        ts = pd.to_datetime(text, format=fmt) if fmt else pd.Timestamp(text)
    except (ValueError, TypeError):
        ts = pd.NaT
    if pd.isna(ts):
        raise _Reject(col, f"expected a date and time like 2017-12-04 19:13:15, got {rec.get(col)!r}")
    return ts.tz_localize(ctx.tz).tz_convert("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _tx(
    ctx: _Ctx,
    line: int,
    leg: int,
    ts: pd.Timestamp,
    sender: str,
    receiver: str,
    amount: Decimal,
    currency: str,
    kind: str,
    attrs: dict[str, Any],
    *,
    status: str = "completed",
    description: str | None = None,
) -> dict[str, Any]:
    a = {"kind": kind, "variant": ctx.variant, **{k: v for k, v in attrs.items() if v not in (None, "")}}
    return {
        "tx_id": f"{ctx.exchange}:{ctx.row_id}:{leg}",
        "timestamp": ts,
        "sender": sender,
        "receiver": receiver,
        "amount": float(abs(amount)),
        "amount_exact": abs(amount),
        "currency": currency.strip().upper(),
        "channel": "crypto",
        "status": status,
        "description": description,
        "attributes": json.dumps(a, ensure_ascii=False),
        "source_row": line,
    }


def _kind(operation: str) -> str:
    """What a Binance ``Operation`` is: deposit, withdrawal, fee, internal, trade, p2p (an outside party) or income.

    >>> [_kind(o) for o in ("Deposit", "Transaction Fee", "Binance Convert", "P2P Trading", "Staking Purchase", "Launchpool Interest")]
    ['deposit', 'fee', 'trade', 'p2p', 'internal', 'income']
    """
    op = operation.lower()
    if "deposit" in op:
        return "deposit"
    if "withdraw" in op:
        return "withdrawal"
    if "fee" in op and "funding fee" not in op:
        return "fee"
    if re.search(r"transfer between|main and funding|subscription|redemption|purchase|\block|unlock|collateral", op):
        return "internal"
    if re.search(r"\b(buy|sell|sold|spend|revenue|transaction|convert|exchange|otc|trade|swap)\b", op):
        return "trade"
    if re.search(r"p2p|c2c|\bpay\b|send|receive|crypto box|red packet|gift card|card spending|merchant", op):
        return "p2p"
    return "income"


def _counterpart(ctx: _Ctx, kind: str, user: str) -> str:
    return {
        "deposit": f"{user}/external",
        "withdrawal": f"{user}/external",
        "p2p": f"{user}/external",
        "trade": f"{user}/convert",
        "internal": f"{user}/internal",
    }.get(kind, f"exch:{ctx.exchange}/platform")


def _binance(rec: dict[str, str], line: int, ctx: _Ctx) -> list[dict[str, Any]]:
    uid = rec.get("userid", "").strip() or None  # older exports have no User_ID column: user= or a per-file key
    ts = _time(rec, "utctime", ctx)
    change = _amount(rec, "change")
    coin = rec.get("coin", "").strip()
    if not coin:
        raise _Reject("coin", "no coin")
    op = rec.get("operation", "").strip()
    kind = _kind(op)
    user = ctx.user_key(uid)
    ctx.users.add(user)
    other = _counterpart(ctx, kind, user)
    sender, receiver = (other, user) if change > 0 else (user, other)
    group = f"binance:{user.split('/', 1)[1]}:{ts.isoformat()}" if kind in ("trade", "fee") else None
    attrs = {
        "operation": op,
        "account": rec.get("account"),
        "remark": rec.get("remark"),
        "trade_group": group,
        "side": ("received" if change > 0 else "given") if kind == "trade" else None,
    }
    return [_tx(ctx, line, 1, ts, sender, receiver, change, coin, kind, attrs, description=op)]


def _binance_dw(rec: dict[str, str], line: int, ctx: _Ctx) -> list[dict[str, Any]]:
    ts = _time(rec, "dateutc", ctx)
    amount = _amount(rec, "amount", signed=False)
    fee_text = (rec.get("transactionfee") or "0").strip() or "0"
    try:
        fee = Decimal(fee_text)
    except InvalidOperation:
        raise _Reject("transactionfee", f"expected a number, got {fee_text!r}") from None
    direction, basis = (
        (ctx.direction, "option") if ctx.direction else (("withdrawal" if fee > 0 else "deposit"), "fee (guess)")
    )
    coin, network = rec.get("coin", "").strip().upper(), rec.get("network", "").strip().upper()
    suffix = _NETWORK_SUFFIX.get(network)
    currency = f"{coin}-{suffix}" if suffix and coin not in (network, "ETH", "TRX", "BNB") else coin
    user = ctx.user_key()
    address = rec.get("address", "").strip()
    source = rec.get("sourceaddress", "").strip()
    ext = (
        guess_key(source if direction == "deposit" else address)
        if (source if direction == "deposit" else address)
        else None
    )
    ext = ext or f"{user}/external"
    sender, receiver = (ext, user) if direction == "deposit" else (user, ext)
    status_text = rec.get("status", "").strip().lower()
    status = (
        "completed"
        if status_text in ("completed", "success", "successful", "1", "6", "")
        else "pending"
        if status_text in ("pending", "processing", "0", "4")
        else "failed"
    )
    attrs = {
        "direction_from": basis,
        "network": network,
        "address": address,
        "txid": rec.get("txid"),
        "fee": fee_text,
        "status_text": rec.get("status"),
    }
    return [_tx(ctx, line, 1, ts, sender, receiver, amount, currency, direction, attrs, status=status)]


def _coinbase_wallet(rec: dict[str, str], line: int, ctx: _Ctx) -> list[dict[str, Any]]:
    ts = _time(rec, "timestamp", ctx, fmt="%m/%d/%y %H:%M")
    amount = _amount(rec, "amount")
    user = ctx.user_key()
    to = rec.get("to", "").strip()
    total = rec.get("transfertotal", "").strip()
    if total:
        kind, other = "trade", f"{user}/convert"
    else:
        kind = "receive" if amount > 0 else "send"
        found = (f"exch:coinbase/{to.lower()}" if "@" in to else guess_key(to)) if to else None
        other = found or f"{user}/external"
    sender, receiver = (other, user) if amount > 0 else (user, other)
    chash = next((v for k, v in rec.items() if k.startswith("bitcoinhash")), "")
    cid = next((v for k, v in rec.items() if k.startswith("coinbaseid")), "")
    attrs = {
        "to": to,
        "notes": rec.get("notes"),
        "balance": rec.get("balance"),
        "transfer_total": total,
        "transfer_total_currency": rec.get("transfertotalcurrency"),
        "transfer_fee": rec.get("transferfee"),
        "transfer_fee_currency": rec.get("transferfeecurrency"),
        "payment_method": rec.get("transferpaymentmethod"),
        "coinbase_id": cid,
        "chain_hash": chash,
        "trade_group": f"coinbase:{line}" if kind == "trade" else None,
    }
    legs = [
        _tx(
            ctx,
            line,
            1,
            ts,
            sender,
            receiver,
            amount,
            rec.get("currency", ""),
            kind,
            attrs,
            description=rec.get("notes") or None,
        )
    ]
    fiat_currency = (rec.get("transfertotalcurrency") or "").strip()
    if total and fiat_currency:  # the fiat side of a buy or sell, fees included, to/from the user's funding source
        try:
            paid = abs(Decimal(_plain(total)))
        except InvalidOperation:
            raise _Reject("transfertotal", f"expected a number, got {total!r}") from None
        funding = f"{user}/funding"
        s, r = (funding, f"{user}/convert") if amount > 0 else (f"{user}/convert", funding)
        fiat = {**attrs, "side": "given" if amount > 0 else "received"}
        legs.append(
            _tx(ctx, line, 2, ts, s, r, paid, fiat_currency, "trade", fiat, description=rec.get("notes") or None)
        )
    return legs


_CONVERTED = re.compile(r"Converted\s+([\d.,]+)\s+(\w+)\s+to\s+([\d.,]+)\s+(\w+)", re.I)
_TO_ADDR = re.compile(r"\bto\s+(\S+)", re.I)


def _coinbase_report(rec: dict[str, str], line: int, ctx: _Ctx) -> list[dict[str, Any]]:
    ts = _time(rec, "timestamp", ctx)
    qty = abs(_amount(rec, "quantitytransacted"))
    asset = rec.get("asset", "").strip()
    ttype = rec.get("transactiontype", "").strip()
    t = ttype.lower()
    notes = rec.get("notes", "").strip()
    user = ctx.user_key()
    price_cur = rec.get("spotpricecurrency") or rec.get("pricecurrency")
    attrs: dict[str, Any] = {
        "transaction_type": ttype,
        "notes": notes,
        "id": rec.get("id"),
        "price_currency": price_cur,
        "spot_price": rec.get("spotpriceattransaction") or rec.get("priceattransaction"),
        "subtotal": rec.get("subtotal"),
        "total": next((v for k, v in rec.items() if k.startswith("totalinclusive")), None),
        "fees": next((v for k, v in rec.items() if k.startswith("fees")), None),
    }
    if "convert" in t:
        m = _CONVERTED.search(notes)
        attrs["trade_group"] = f"coinbase:{line}"
        legs = [
            _tx(
                ctx,
                line,
                1,
                ts,
                user,
                f"{user}/convert",
                qty,
                asset,
                "trade",
                {**attrs, "side": "given"},
                description=notes or ttype,
            )
        ]
        if m:
            got = Decimal(_plain(m.group(3)))
            if got > 0:
                legs.append(
                    _tx(
                        ctx,
                        line,
                        2,
                        ts,
                        f"{user}/convert",
                        user,
                        got,
                        m.group(4),
                        "trade",
                        {**attrs, "side": "received"},
                        description=notes or ttype,
                    )
                )
        return legs
    if "buy" in t or "sell" in t:
        attrs["trade_group"] = f"coinbase:{line}"
        buy = "buy" in t
        attrs["side"] = "received" if buy else "given"
        s, r = (f"{user}/convert", user) if buy else (user, f"{user}/convert")
        legs = [_tx(ctx, line, 1, ts, s, r, qty, asset, "trade", attrs, description=notes or ttype)]
        try:
            paid = abs(Decimal(_plain(str(attrs["total"] or ""))))
        except InvalidOperation:
            paid = Decimal(0)
        if paid > 0 and price_cur:  # the fiat leg: Total, fees included
            fiat = {**attrs, "side": "given" if buy else "received"}
            legs.append(_tx(ctx, line, 2, ts, r, s, paid, price_cur, "trade", fiat, description=notes or ttype))
        return legs
    if "send" in t or "withdraw" in t:
        m = _TO_ADDR.search(notes)
        dest = (guess_key(m.group(1)) if m else None) or f"{user}/external"
        return [
            _tx(
                ctx,
                line,
                1,
                ts,
                user,
                dest,
                qty,
                asset,
                "withdrawal" if "withdraw" in t else "send",
                attrs,
                description=notes or ttype,
            )
        ]
    if "receive" in t or "deposit" in t:
        return [
            _tx(
                ctx,
                line,
                1,
                ts,
                f"{user}/external",
                user,
                qty,
                asset,
                "deposit" if "deposit" in t else "receive",
                attrs,
                description=notes or ttype,
            )
        ]
    return [
        _tx(
            ctx,
            line,
            1,
            ts,
            f"exch:{ctx.exchange}/platform",
            user,
            qty,
            asset,
            "income",
            attrs,
            description=notes or ttype,
        )
    ]


_WITH_COIN = re.compile(r"^([\d.,]+(?:[eE][+-]?\d+)?)\s*([A-Za-z][A-Za-z0-9]{1,11})$")
_QUOTES = (
    "FDUSD",
    "USDT",
    "USDC",
    "BUSD",
    "TUSD",
    "DAI",
    "BTC",
    "ETH",
    "BNB",
    "TRY",
    "EUR",
    "GBP",
    "BRL",
    "NGN",
    "ZAR",
    "UAH",
    "RUB",
    "AUD",
)


def _binance_trade(rec: dict[str, str], line: int, ctx: _Ctx) -> list[dict[str, Any]]:
    """One fill of the Binance Trade History: base and quote legs through the convert account, and the fee."""
    ts = _time(rec, "dateutc", ctx)
    side = (rec.get("side") or rec.get("type") or "").strip().upper()
    if side not in ("BUY", "SELL"):
        raise _Reject("side", f"expected BUY or SELL, got {(rec.get('side') or rec.get('type'))!r}")
    if "executed" in rec:  # Date(UTC),Pair,Side,Price,Executed,Amount,Fee: each amount carries its coin
        base, base_coin = _coin_amount(rec, "executed")
        quote, quote_coin = _coin_amount(rec, "amount")
        fee, fee_coin = _coin_amount(rec, "fee", zero_ok=True)
    else:  # Date(UTC),Market,Type,Price,Amount,Total,Fee,Fee Coin
        market = (rec.get("market") or rec.get("pair") or "").strip().upper()
        quote_coin = next((q for q in _QUOTES if market.endswith(q) and len(market) > len(q)), "")
        if not quote_coin:
            raise _Reject("market", f"cannot split the market {market!r} into coins; expected e.g. BTCUSDT")
        base_coin = market[: -len(quote_coin)]
        base, quote = abs(_amount(rec, "amount")), abs(_amount(rec, "total"))
        fee, fee_coin = (
            Decimal(_plain(rec.get("fee") or "0") or "0"),
            (rec.get("feecoin") or quote_coin).strip().upper(),
        )
    user = ctx.user_key()
    conv = f"{user}/convert"
    attrs = {
        "side": side.lower(),
        "price": rec.get("price"),
        "pair": rec.get("pair") or rec.get("market"),
        "trade_group": f"binance:{ctx.row_id}",
    }
    buy = side == "BUY"
    legs = [
        _tx(
            ctx,
            line,
            1,
            ts,
            conv if buy else user,
            user if buy else conv,
            base,
            base_coin,
            "trade",
            {**attrs, "side": "received" if buy else "given"},
        ),
        _tx(
            ctx,
            line,
            2,
            ts,
            user if buy else conv,
            conv if buy else user,
            quote,
            quote_coin,
            "trade",
            {**attrs, "side": "given" if buy else "received"},
        ),
    ]
    if fee > 0:
        legs.append(_tx(ctx, line, 3, ts, user, f"exch:{ctx.exchange}/platform", fee, fee_coin, "fee", attrs))
    return legs


def _coin_amount(rec: dict[str, str], col: str, *, zero_ok: bool = False) -> tuple[Decimal, str]:
    text = (rec.get(col) or "").strip()
    m = _WITH_COIN.match(text)
    if not m:
        raise _Reject(col, f"expected an amount with its coin like 0.5BTC, got {rec.get(col)!r}")
    try:
        value = Decimal(_plain(m.group(1)))
    except InvalidOperation:
        raise _Reject(col, f"expected an amount with its coin like 0.5BTC, got {rec.get(col)!r}") from None
    if value <= 0 and not zero_ok:
        raise _Reject(col, "the amount is zero: nothing moved")
    return value, m.group(2).upper()


def _coinbase_pro(rec: dict[str, str], line: int, ctx: _Ctx) -> list[dict[str, Any]]:
    ts = _time(rec, "createdat", ctx)
    size = _amount(rec, "size", signed=False)
    total = _amount(rec, "total")
    fee_text = (rec.get("fee") or "0").strip() or "0"
    try:
        fee = Decimal(fee_text)
    except InvalidOperation:
        raise _Reject("fee", f"expected a number, got {fee_text!r}") from None
    product = rec.get("product", "").strip()
    if "-" not in product:
        raise _Reject("product", f"expected a product like ETH-BTC, got {product!r}")
    base, quote = product.split("-", 1)
    unit = (rec.get("pricefeetotalunit") or quote).strip() or quote
    side = rec.get("side", "").strip().upper()
    if side not in ("BUY", "SELL"):
        raise _Reject("side", f"expected BUY or SELL, got {rec.get('side')!r}")
    user = ctx.user_key()
    conv = f"{user}/convert"
    attrs = {
        "trade_id": rec.get("tradeid"),
        "portfolio": rec.get("portfolio"),
        "product": product,
        "price": rec.get("price"),
        "fee": fee_text,
        "total": rec.get("total"),
        "trade_group": f"coinbasepro:{line}",
    }
    gross = abs(total) - fee if side == "BUY" else abs(total) + fee
    legs = [
        _tx(ctx, line, 1, ts, conv, user, size, base, "trade", {**attrs, "side": "received"})
        if side == "BUY"
        else _tx(ctx, line, 1, ts, user, conv, size, base, "trade", {**attrs, "side": "given"}),
        _tx(ctx, line, 2, ts, user, conv, gross, unit, "trade", {**attrs, "side": "given"})
        if side == "BUY"
        else _tx(ctx, line, 2, ts, conv, user, gross, unit, "trade", {**attrs, "side": "received"}),
    ]
    if fee > 0:
        legs.append(_tx(ctx, line, 3, ts, user, f"exch:{ctx.exchange}/platform", fee, unit, "fee", attrs))
    return legs
