"""One goAML ``<transaction>`` to one canonical row (or a reject), and its parties.

Used by :func:`finintel.ingest.goaml.read_goaml`; the forms (bi-party, multi-party)
and the account keys are described there and in :mod:`finintel.ingest._goaml_parties`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from finintel.errors import ConfigError, InputError
from finintel.ingest._goaml_parties import PartyBook, Side, country_code, q, t
from finintel.ingest._goaml_xml import exact_amount, local_name
from finintel.ingest._util import reject
from finintel.schema import frames as F

__all__ = ["report_party", "transaction"]

_TX_FIELDS = (
    "internal_ref_number",
    "transaction_location",
    "transmode_code",
    "transmode_comment",
    "teller",
    "authorized",
    "late_deposit",
    "date_posting",
    "value_date",
    "transaction_type_code",
    "transaction_status",
    "comments",
)
_SQL_DATE_MIN = datetime(1753, 1, 1)


def transaction(
    el: Any,
    meta: dict[str, Any],
    book: PartyBook,
    zone: ZoneInfo,
    roles: dict[str, str],
    channels: dict[str, str],
    currency: str | None,
    path: Path,
) -> dict[str, Any]:
    """One canonical row, or a reject naming line and element."""
    line = el.sourceline
    attrs: dict[str, Any] = {"transactionnumber": t(el, "transactionnumber")}
    attrs.update({k: v for k in _TX_FIELDS if (v := t(el, k))})

    def bad(column: str, problem: str) -> dict[str, Any]:
        from lxml import etree

        raw = etree.tostring(el, encoding="unicode")
        return reject(line, column, problem, raw if len(raw) < 4000 else raw[:4000] + "...")

    try:
        sides = _sides(el, book, line, roles, attrs)
    except InputError as exc:
        return bad(local_name(exc.column or "transaction"), exc.problem)
    text = t(el, "date_transaction")
    if not text:
        return bad("date_transaction", "missing date_transaction")
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return bad("date_transaction", f"expected a date like 2024-03-01T14:30:00, got {text!r}")
    if when.replace(tzinfo=None) < _SQL_DATE_MIN:
        return bad("date_transaction", f"{text} is before 1753-01-01, the earliest date goAML allows (a placeholder?)")
    when = (when if when.tzinfo else when.replace(tzinfo=zone)).astimezone(UTC)
    raw_amount = t(el, "amount_local")
    if not raw_amount:
        return bad("amount_local", "missing amount_local")
    amount, problem = exact_amount(raw_amount)
    if problem == "not a number":
        return bad("amount_local", f"expected an amount like 1234.50, got {raw_amount!r}")
    if problem == "must be positive":
        return bad("amount_local", f"amount_local must be positive (direction is given by from/to), got {raw_amount}")
    if amount is None:
        return bad("amount_local", f"amount_local {raw_amount} {problem}")
    ccy = meta.get("currency_code_local") or currency
    if not ccy:
        return bad("currency_code_local", "the report has no currency_code_local; pass currency= to read it")
    sender, receiver = sides
    channel = channels.get(attrs.get("transmode_code") or "") or (
        "mobile_money" if sender.wallet or receiver.wallet else "bank"
    )
    if channel not in F.CHANNELS:
        raise ConfigError(f"channels maps to {channel!r}; expected one of {', '.join(F.CHANNELS)}")
    attrs.update({"sender_party": sender.party_id, "receiver_party": receiver.party_id})
    return {
        "timestamp": when,
        "sender": sender.key,
        "receiver": receiver.key,
        "sender_name": sender.name,
        "receiver_name": receiver.name,
        "amount": float(amount),
        "amount_exact": amount,
        "currency": ccy.upper(),
        "channel": channel,
        "status": "completed",
        "sender_country": sender.country,
        "receiver_country": receiver.country,
        "description": t(el, "transaction_description"),
        "attributes": json.dumps({k: v for k, v in attrs.items() if v is not None}, ensure_ascii=False, default=str),
        "source_row": line,
        "_number": attrs["transactionnumber"],
    }


def _sides(el: Any, book: PartyBook, line: int, roles: dict[str, str], attrs: dict[str, Any]) -> tuple[Side, Side]:
    parties = el.find(q("involved_parties"))
    if parties is not None:
        return _multi(parties, book, line, roles, attrs)
    out: list[Side] = []
    for d in ("from", "to"):
        block = el.find(q(f"t_{d}_my_client"))
        form = f"t_{d}_my_client"
        if block is None:
            block, form = el.find(q(f"t_{d}")), f"t_{d}"
        if block is None:
            raise InputError(f"missing t_{d} / t_{d}_my_client", column=f"t_{d}")
        attrs[f"{d}_form"] = form
        _funds(block, f"{d}_", attrs, d)
        cond = block.find(q("t_conductor"))
        if cond is not None:
            attrs[f"{d}_conductor"] = book.person(cond, line, "conductor")[0]
        for kind in ("account", "person", "entity"):
            party = block.find(q(f"{d}_{kind}"))
            if party is not None:
                side = book.side(kind, party, line, d)
                side.country = country_code(t(block, f"{d}_country")) or side.country
                out.append(side)
                break
        else:
            raise InputError(f"{form} names no {d}_account, {d}_person or {d}_entity", column=form)
    return out[0], out[1]


def _multi(parties: Any, book: PartyBook, line: int, roles: dict[str, str], attrs: dict[str, Any]) -> tuple[Side, Side]:
    found: list[tuple[str | None, Side]] = []
    for p in parties.iterfind(q("party")):
        role = t(p, "role")
        for kind in ("account", "person", "entity"):
            node = p.find(q(kind)) if p.find(q(kind)) is not None else p.find(q(f"{kind}_my_client"))
            if node is not None:
                side = book.side(kind, node, line, f"party role {role}")
                side.country = country_code(t(p, "country")) or side.country
                found.append((role, side))
                _funds(p, "", attrs, f"party{len(found)}")
                break
        else:
            raise InputError("an involved party names no person, account or entity", column="party")
    attrs["involved_parties"] = [{"role": r, "key": s.key, "party": s.party_id} for r, s in found]
    if roles:
        frm = [s for r, s in found if roles.get(r or "") == "from"]
        to = [s for r, s in found if roles.get(r or "") == "to"]
        if len(frm) == 1 and len(to) == 1:
            attrs["direction"] = "party_roles"
            return frm[0], to[0]
        raise InputError(
            f"party_roles gives {len(frm)} payer(s) and {len(to)} payee(s) among roles "
            f"{[r for r, _ in found]}; expected one of each",
            column="involved_parties",
        )
    if len(found) == 2:
        attrs["direction"] = "party order"
        return found[0][1], found[1][1]
    raise InputError(
        f"{len(found)} involved parties (roles {[r for r, _ in found]}) and no party_roles= to say who paid "
        "whom; pass party_roles={'<role code>': 'from' | 'to'}",
        column="involved_parties",
    )


def _funds(block: Any, prefix: str, attrs: dict[str, Any], label: str) -> None:
    for k in ("funds_code", "funds_comment"):
        if v := t(block, f"{prefix}{k}"):
            attrs[f"{label}_{k}"] = v
    fx = block.find(q(f"{prefix}foreign_currency"))
    if fx is not None:
        attrs[f"{label}_foreign_currency"] = {
            k: t(fx, k) for k in ("foreign_currency_code", "foreign_amount", "foreign_exchange_rate")
        }


def report_party(rp: Any, book: PartyBook) -> None:
    line = rp.sourceline
    for kind in ("person", "account", "entity"):
        node = rp.find(q(kind)) if rp.find(q(kind)) is not None else rp.find(q(f"{kind}_my_client"))
        if node is not None:
            try:
                book.side(kind, node, line, f"report party {t(rp, 'role') or ''}".strip())
            except InputError:
                pass  # a party without name or number adds nothing; the activity has no rows to reject
            return
