"""goAML XML for a selection of transactions, to share with another FIU or file a report.

Builds one ``<report>`` (goAML schema 5.x, UNODC) with a ``<transaction>``
per selected row: ``t_from``/``t_to`` with the account (institution, number,
holder as signatory when the accounts and parties frames know it), a person
when the key is not an account, or an entity for a cash agent. Amounts are
converted to the local currency with `fx` (or a jurisdiction profile's
``fx_to_local``); a foreign ISO currency is kept in ``from_foreign_currency``.

goAML lookup codes (``transmode_code``, funds codes, account types, report
codes) differ from one FIU to the next: pass your FIU's in `codes`; the
defaults are the schema's ``-`` placeholder, which an FIU will ask to replace.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from lxml import etree

from finintel.errors import InputError
from finintel.graph.build import check_transactions

__all__ = ["DEFAULT_CODES", "goaml_report", "write_goaml"]

DEFAULT_CODES: dict[str, Any] = {
    "submission_code": "E",
    "report_code": "STR",
    "transmode": {
        "bank": "-",
        "mobile_money": "-",
        "crypto": "-",
        "cash": "-",
        "card": "-",
        "remittance": "-",
        "other": "-",
    },
    "funds": "-",
    "account_type": "-",
    "account_status": "-",
    "address_type": "-",
    "entity_status": "---",
    "indicators": ["-"],
}
"""Code-list values used when `codes` does not give one (the schema's placeholders)."""

_NON_BANK = {"msisdn", "masked", "eth", "trx", "btc", "exch", "paybill"}


def _sub(parent: etree._Element, tag: str, text: Any = None) -> etree._Element:
    el = etree.SubElement(parent, tag)
    if text is not None:
        el.text = str(text)
    return el


def _date(ts: Any, tz: str) -> str:
    t = pd.Timestamp(ts)
    if t.tzinfo is not None:
        t = t.tz_convert(tz).tz_localize(None)
    return t.strftime("%Y-%m-%dT%H:%M:%S")


def _split_name(name: str | None) -> tuple[str, str | None, str]:
    parts = str(name or "").replace(",", " ").split()
    if not parts:
        return "UNKNOWN", None, "UNKNOWN"
    if len(parts) == 1:
        return parts[0], None, parts[0]
    return parts[0], " ".join(parts[1:-1]) or None, parts[-1]


def goaml_report(
    tx: pd.DataFrame,
    *,
    tx_ids: Iterable[str] | None = None,
    parties: pd.DataFrame | None = None,
    accounts: pd.DataFrame | None = None,
    rentity_id: int = 0,
    rentity_branch: str | None = None,
    entity_reference: str | None = None,
    reporting_person: Mapping[str, str] | None = None,
    location: Mapping[str, str] | None = None,
    reason: str | None = None,
    action: str | None = None,
    currency_local: str | None = None,
    fx: Mapping[str, float] | None = None,
    profile: str | None = None,
    default_country: str = "KE",
    tz: str = "Africa/Nairobi",
    codes: Mapping[str, Any] | None = None,
    submitted: dt.datetime | None = None,
) -> etree._Element:
    """The goAML ``<report>`` element for the selected transactions (see :func:`write_goaml`).

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([{"sender": "msisdn:+254711000001", "receiver": "acct:KCB/0012345", "amount": 1500,
    ...                     "timestamp": "2024-03-01 07:00", "sender_name": "AMINA YUSUF", "channel": "mobile_money"}])
    >>> rep = goaml_report(tx, rentity_id=42, reason="Victim payments", submitted=dt.datetime(2024, 4, 1))
    >>> rep.findtext("transaction/amount_local"), rep.findtext("transaction/date_transaction")
    ('1500', '2024-03-01T10:00:00')
    >>> rep.findtext("transaction/t_from/from_account/account"), rep.findtext("transaction/t_to/to_account/institution_name")
    ('+254711000001', 'KCB')
    """
    tx = check_transactions(tx)
    if tx_ids is not None:
        wanted = list(dict.fromkeys(str(t) for t in tx_ids))
        known = set(tx["tx_id"].astype(str))
        missing = [t for t in wanted if t not in known]
        if missing:
            raise InputError(f"tx_id(s) not in the transactions: {', '.join(missing[:10])}", column="tx_id")
        tx = tx.set_index(tx["tx_id"].astype(str)).loc[wanted].reset_index(drop=True)
    if tx.empty:
        raise InputError("no transactions to report: a goAML report needs at least one", column="tx_id")
    code = {**DEFAULT_CODES, **(codes or {})}
    currencies = sorted(set(tx["currency"].astype(str)))
    local = currency_local or (currencies[0] if len(currencies) == 1 else None)
    if local is None:
        raise InputError(f"transactions in {', '.join(currencies)}: pass currency_local= (and fx=)", column="currency")
    rates = dict(fx or {})
    if profile is not None:
        from finintel.profiles import get_profile

        rates = {**get_profile(profile).get("fx_to_local", {}), **rates}
    lacking = sorted({c for c in currencies if c != local and c not in rates})
    if lacking:
        raise InputError(f"no exchange rate to {local} for {', '.join(lacking)}: pass fx={{...}}", column="currency")
    holders = _holders(parties, accounts)
    inst = _institutions(accounts)

    rep = etree.Element("report")
    _sub(rep, "rentity_id", int(rentity_id))
    _sub(rep, "rentity_branch", rentity_branch or "-")
    _sub(rep, "submission_code", code["submission_code"])
    _sub(rep, "report_code", code["report_code"])
    if entity_reference:
        _sub(rep, "entity_reference", entity_reference)
    _sub(rep, "submission_date", (submitted or dt.datetime.now()).strftime("%Y-%m-%dT%H:%M:%S"))
    _sub(rep, "currency_code_local", local)
    who = dict(reporting_person or {})
    rp = _sub(rep, "reporting_person")
    _sub(rp, "first_name", who.get("first_name", "UNKNOWN"))
    _sub(rp, "last_name", who.get("last_name", "UNKNOWN"))
    if who.get("email"):
        _sub(rp, "email", who["email"])
    where = dict(location or {})
    loc = _sub(rep, "location")
    _sub(loc, "address_type", where.get("address_type", code["address_type"]))
    _sub(loc, "address", where.get("address", "UNKNOWN"))
    _sub(loc, "city", where.get("city", "UNKNOWN"))
    _sub(loc, "country_code", where.get("country_code", default_country))
    if reason:
        _sub(rep, "reason", reason[:4000])
    if action:
        _sub(rep, "action", action[:4000])
    for row in tx.to_dict("records"):
        _transaction(rep, row, code, local, rates, holders, inst, default_country, tz)
    ind = _sub(rep, "report_indicators")
    for value in code["indicators"]:
        _sub(ind, "indicator", value)
    return rep


def _transaction(
    rep: etree._Element,
    row: dict[str, Any],
    code: Mapping[str, Any],
    local: str,
    rates: Mapping[str, float],
    holders: Mapping[str, dict[str, Any]],
    inst: Mapping[str, str],
    default_country: str,
    tz: str,
) -> None:
    t = _sub(rep, "transaction")
    _sub(t, "transactionnumber", row["tx_id"])
    _sub(t, "transaction_location", str(row.get("channel") or "other").replace("_", " "))
    cur = str(row["currency"])
    amount = (
        Decimal(str(row["amount_exact"]))
        if row.get("amount_exact") is not None and pd.notna(row.get("amount_exact"))
        else Decimal(repr(row["amount"]))
    )
    desc = row.get("description") if isinstance(row.get("description"), str) else None
    if cur != local and not (len(cur) == 3 and cur.isalpha()):
        desc = f"{amount.normalize():f} {cur}" + (f"; {desc}" if desc else "")
    _sub(t, "transaction_description", (desc or f"{row.get('channel') or 'other'} transfer")[:4000])
    _sub(t, "date_transaction", _date(row["timestamp"], tz))
    transmode = code["transmode"]
    _sub(
        t,
        "transmode_code",
        transmode.get(str(row.get("channel")), "-") if isinstance(transmode, Mapping) else transmode,
    )
    rate = Decimal("1") if cur == local else Decimal(str(rates[cur]))
    _sub(t, "amount_local", f"{(amount * rate).normalize():f}")
    for side in ("from", "to"):
        key = str(row["sender" if side == "from" else "receiver"])
        name = row.get(f"{'sender' if side == 'from' else 'receiver'}_name")
        country = row.get(f"{'sender' if side == 'from' else 'receiver'}_country")
        party = _sub(t, f"t_{side}")
        _sub(party, f"{side}_funds_code", code["funds"])
        if side == "from" and cur != local and len(cur) == 3 and cur.isalpha():
            fc = _sub(party, "from_foreign_currency")
            _sub(fc, "foreign_currency_code", cur)
            _sub(fc, "foreign_amount", f"{amount.normalize():f}")
            _sub(fc, "foreign_exchange_rate", f"{rate.normalize():f}")
        _party(party, side, key, name if isinstance(name, str) else None, holders.get(key), inst.get(key), code)
        _sub(party, f"{side}_country", country if isinstance(country, str) and country else default_country)


def _party(
    parent: etree._Element,
    side: str,
    key: str,
    name: str | None,
    holder: dict[str, Any] | None,
    institution: str | None,
    code: Mapping[str, Any],
) -> None:
    ns, _, number = key.partition(":")
    if not number:
        ns, number = "", key
    if ns == "cash":
        ent = _sub(parent, f"{side}_entity")
        _sub(ent, "name", number[:255])
        _sub(ent, "business", "cash agent")
        return
    if ns == "":
        _person(_sub(parent, f"{side}_person"), holder or {"name": name or key})
        return
    acct = _sub(parent, f"{side}_account")
    bank = institution or (
        number.split("/", 1)[0] if ns == "acct" else {"msisdn": "mobile money", "masked": "mobile money"}.get(ns, ns)
    )
    _sub(acct, "institution_name", bank[:255])
    _sub(acct, "institution_code", bank[:50])
    _sub(acct, "non_bank_institution", "true" if ns in _NON_BANK else "false")
    _sub(acct, "account", (number.split("/", 1)[1] if ns == "acct" and "/" in number else number)[:50])
    account_name = (holder or {}).get("name") or name
    if account_name:
        _sub(acct, "account_name", str(account_name)[:255])
    if ns == "iban":
        _sub(acct, "iban", number)
    if holder:
        sig = _sub(acct, "signatory")
        _sub(sig, "is_primary", "true")
        _person(_sub(sig, "t_person"), holder)


def _person(el: etree._Element, person: Mapping[str, Any]) -> None:
    first, middle, last = _split_name(person.get("name"))
    _sub(el, "first_name", (person.get("first_name") or first)[:100])
    if middle and not person.get("first_name"):
        _sub(el, "middle_name", middle[:100])
    _sub(el, "last_name", (person.get("last_name") or last)[:100])
    if person.get("birth_date"):
        _sub(el, "birthdate", f"{str(person['birth_date'])[:10]}T00:00:00")
    if person.get("id_number"):
        _sub(el, "id_number", str(person["id_number"])[:255])
    if person.get("nationality"):
        _sub(el, "nationality1", person["nationality"])


def _holders(parties: pd.DataFrame | None, accounts: pd.DataFrame | None) -> dict[str, dict[str, Any]]:
    if parties is None or accounts is None or "party_id" not in accounts.columns:
        return {}
    by_id: dict[str, dict[str, Any]] = {}
    for p in parties.to_dict("records"):
        clean = {
            k: v
            for k, v in p.items()
            if v is not None and not (isinstance(v, float) and pd.isna(v)) and v is not pd.NA and v is not pd.NaT
        }
        if not clean.get("name"):
            clean["name"] = " ".join(str(clean[c]) for c in ("first_name", "last_name") if clean.get(c))
        by_id[str(p["party_id"])] = clean
    return {
        str(a): by_id[str(pid)]
        for a, pid in zip(accounts["account"], accounts["party_id"], strict=True)
        if str(pid) in by_id
    }


def _institutions(accounts: pd.DataFrame | None) -> dict[str, str]:
    if accounts is None or "institution" not in accounts.columns:
        return {}
    return {
        str(a): str(i)
        for a, i in zip(accounts["account"], accounts["institution"], strict=True)
        if isinstance(i, str) and i
    }


def write_goaml(tx: pd.DataFrame, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write a goAML XML report for the selected transactions; returns the path.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    path : path-like
        The XML file to write (UTF-8).
    **options
        As :func:`goaml_report`: ``tx_ids`` (the selection, in report order;
        default every row), ``parties``/``accounts`` (holders become
        signatories), ``rentity_id``, ``reporting_person`` (``first_name``,
        ``last_name``), ``location`` (``address``, ``city``, ``country_code``),
        ``reason``, ``action``, ``currency_local``, ``fx`` or ``profile``,
        ``default_country`` (for rows without a country), ``tz`` (local time
        of ``date_transaction``), ``codes`` (your FIU's lookup codes, see
        :data:`DEFAULT_CODES`).

    Raises
    ------
    InputError
        For an unknown tx_id, or a currency with no rate to the local one.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> write_goaml(transactions([("msisdn:+254711000001", "cash:Agent 7", 500, "2024-03-01")]), "str.xml",
    ...             rentity_id=42, reporting_person={"first_name": "Jane", "last_name": "Analyst"})  # doctest: +SKIP
    PosixPath('str.xml')
    """
    rep = goaml_report(tx, **options)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(etree.tostring(rep, xml_declaration=True, encoding="UTF-8", pretty_print=True))
    return target
