"""goAML (UNODC) suspicious transaction report, schema 5.x element order.

``<report>`` with ``rentity_id``, ``submission_code`` ``E``, ``report_code`` ``STR``,
``entity_reference``, ``submission_date``, ``currency_code_local``, ``reporting_person``,
``location``, ``reason``, ``action``, one ``<transaction>`` per reported movement, then
``report_indicators``. Each transaction names both sides: the reporting institution's own
client as ``t_from_my_client``/``t_to_my_client`` (account with institution, number, holder
as ``signatory/t_person`` with names, birth date, ID number, phones and e-mail), the other
side as ``t_from``/``t_to`` (account, person or entity such as an agent till or paybill).
Times are local (``2024-03-01T14:22:05``), as goAML expects. Lookup codes (transmode,
funds, indicators) are configured per FIU; the ones used here are documented in
``TRANSMODE`` and ``INDICATORS``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from lxml import etree

from finintel.synth._export_util import local

__all__ = ["INDICATORS", "TRANSMODE", "write_goaml"]

TRANSMODE = {"bank": "A", "cash": "B", "mobile_money": "C", "remittance": "D"}
"""transmode_code per channel (codes of the generic goAML 5.0.1 lookup; each FIU configures its own)."""
SWIFT = {
    "KCB Bank Kenya": "KCBLKENX",
    "Equity Bank Kenya": "EQBLKENA",
    "Co-operative Bank of Kenya": "KCOOKENA",
    "NCBA Bank Kenya": "CBAFKENX",
    "Absa Bank Kenya": "BARCKENX",
    "Stanbic Bank Uganda": "SBICUGKX",
    "Centenary Bank": "CERBUGKA",
    "dfcu Bank": "DFCUUGKA",
    "Commercial Bank of Ethiopia": "CBETETAA",
    "Awash Bank": "AWINETAA",
    "Dashen Bank": "DASHETAA",
    "BCIMR": "BCIMDJJD",
    "Salaam African Bank": "SAABDJJD",
}
"""BIC of each synthetic bank (the real banks' published codes)."""
WALLET_CODES = {
    "Safaricom PLC": "SAFCOMKE",
    "MTN Mobile Money Uganda Ltd": "MTNMMUG",
    "Ethio Telecom": "ETHTELET",
    "Djibouti Telecom": "DJTELDJ",
}
INDICATORS = {
    "structuring": "STRUC",
    "wallet_limit_splitting": "MMSPLIT",
    "fan_in": "FANIN",
    "fan_out": "FANOUT",
    "scatter_gather": "SCATGATH",
    "gather_scatter": "GATHSCAT",
    "cycle": "ROUNDTRIP",
    "rapid_pass_through": "MULE",
    "layering_chain": "LAYER",
    "recruitment_funnel": "THB-RECRUIT",
    "ransom_corridor": "SOM-RANSOM",
    "crypto_offramp": "VA-P2P",
    "dormant_burst": "DORMANT",
    "out_of_hours": "ODDHOURS",
}
"""report_indicators codes per planted typology."""
CALLING = {"KE": "254", "UG": "256", "ET": "251", "DJ": "253"}
_CITY = {"KE": "Nairobi", "UG": "Kampala", "ET": "Addis Ababa", "DJ": "Djibouti"}


def write_goaml(
    tx: pd.DataFrame,
    parties: pd.DataFrame,
    accounts: pd.DataFrame,
    path: Path,
    *,
    institution: str,
    country: str,
    currency: str,
    reason: str,
    indicators: list[str],
    reference: str,
    submitted: pd.Timestamp,
) -> list[str]:
    """Write an STR by `institution` reporting the rows of `tx` to `path`; return the tx_ids written.

    Parameters
    ----------
    tx : pandas.DataFrame
        The transactions to report (canonical frame); crypto rows are skipped (goAML
        amounts are in ISO currencies).
    parties, accounts : pandas.DataFrame
        KYC frames giving holders' names, IDs and phones.
    institution : str
        Reporting entity, e.g. ``"Safaricom PLC"``; accounts held there are "my client".
    """
    acc = accounts.set_index("account")
    ppl = parties.set_index("party_id")
    rows = tx[tx["channel"] != "crypto"].sort_values(["timestamp", "tx_id"], kind="stable")
    when = local(rows["timestamp"])
    report = etree.Element("report")
    _sub(report, "rentity_id", str(sum(ord(c) for c in institution) * 7))
    _sub(report, "rentity_branch", "Head Office")
    _sub(report, "submission_code", "E")
    _sub(report, "report_code", "STR")
    _sub(report, "entity_reference", reference)
    _sub(report, "submission_date", f"{submitted:%Y-%m-%dT%H:%M:%S}")
    _sub(report, "currency_code_local", currency)
    rp = _sub(report, "reporting_person")
    _sub(rp, "first_name", "Grace")
    _sub(rp, "last_name", "Compliance")
    _sub(rp, "email", "mlro@example.com")
    _sub(rp, "occupation", "Money Laundering Reporting Officer")
    loc = _sub(report, "location")
    _sub(loc, "address_type", "1")
    _sub(loc, "address", "Head Office")
    _sub(loc, "city", _CITY.get(country, "Nairobi"))
    _sub(loc, "country_code", country)
    _sub(report, "reason", reason)
    _sub(report, "action", "Accounts placed under enhanced monitoring; relationship under review.")
    for i, r in enumerate(rows.itertuples(index=False)):
        t = _sub(report, "transaction")
        _sub(t, "transactionnumber", str(r.tx_id))
        _sub(t, "internal_ref_number", f"{reference}-{i + 1:04d}")
        _sub(t, "transaction_location", str(r.sender_country or country))
        _sub(t, "transaction_description", str(r.description or ""))
        _sub(t, "date_transaction", f"{when.iloc[i]:%Y-%m-%dT%H:%M:%S}")
        _sub(t, "value_date", f"{when.iloc[i]:%Y-%m-%dT00:00:00}")
        _sub(t, "transmode_code", TRANSMODE.get(str(r.channel), "-"))
        _sub(t, "amount_local", format(Decimal(r.amount_exact).quantize(Decimal("0.01")), "f"))
        for side in ("from", "to"):
            key = str(r.sender if side == "from" else r.receiver)
            name = r.sender_name if side == "from" else r.receiver_name
            ctry = str((r.sender_country if side == "from" else r.receiver_country) or "")
            info = acc.loc[key].to_dict() if key in acc.index else {}
            mine = info.get("institution") is not None and _legal(str(info.get("institution"))) == institution
            holder = ppl.loc[info["party_id"]].to_dict() if info.get("party_id") in ppl.index else {}
            el = _sub(t, f"t_{side}_my_client" if mine else f"t_{side}")
            _sub(
                el,
                f"{side}_funds_code",
                "K" if (r.channel == "cash" and side == "from") or key.startswith("cash:") else "A",
            )
            if r.currency != currency:
                fc = _sub(el, f"{side}_foreign_currency")
                _sub(fc, "foreign_currency_code", str(r.currency))
                _sub(fc, "foreign_amount", format(Decimal(r.amount_exact), "f"))
            _party(el, side, key, str(name or ""), info, holder, ctry, mine=mine)
            _sub(el, f"{side}_country", ctry or country)
    ind = _sub(report, "report_indicators")
    for code in indicators:
        _sub(ind, "indicator", code)
    path.write_bytes(etree.tostring(report, xml_declaration=True, encoding="UTF-8", pretty_print=True))
    return [str(t) for t in rows["tx_id"]]


def _legal(institution: str) -> str:
    return {
        "M-PESA": "Safaricom PLC",
        "MTN MoMo": "MTN Mobile Money Uganda Ltd",
        "telebirr": "Ethio Telecom",
        "D-Money": "Djibouti Telecom",
    }.get(institution, institution)


def _sub(parent: Any, tag: str, text: str | None = None) -> Any:
    el = etree.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def _party(
    el: Any, side: str, key: str, name: str, info: dict[str, Any], holder: dict[str, Any], ctry: str, *, mine: bool
) -> None:
    space, ident = key.split(":", 1)
    if space in ("cash", "paybill"):
        ent = _sub(el, f"{side}_entity")
        _sub(ent, "name", name or ident)
        number = ident.rsplit("-", 1)[-1]
        _sub(
            ent,
            "commercial_name",
            f"Agent Till {number}"
            if space == "cash" and "till" in ident
            else f"Paybill {number}"
            if space == "paybill"
            else ident,
        )
        _sub(ent, "incorporation_legal_form", "-")
        _sub(ent, "incorporation_number", number)
        _sub(ent, "business", "Mobile money agent" if space == "cash" else "Merchant")
        if mine:  # goAML wants the reporting institution's own clients fully identified
            phone = holder.get("phone")
            if isinstance(phone, str) and phone.startswith("+"):
                _phones(ent, phone)
            addr = _sub(_sub(ent, "addresses"), "address")
            _sub(addr, "address_type", "1")
            _sub(addr, "address", _sub_title(ent.findtext("commercial_name")))
            _sub(addr, "city", _CITY.get(ctry, "Nairobi"))
            _sub(addr, "country_code", ctry or "KE")
        _sub(ent, "incorporation_country_code", ctry or "KE")
        if mine and holder:
            director = _sub(ent, "director_id")
            _person(director, holder, mine=True)
            _sub(director, "role", "A")
        if mine:
            _sub(ent, "incorporation_date", f"{pd.Timestamp(info.get('opened') or '2015-01-01'):%Y-%m-%dT00:00:00}")
        return
    a = _sub(el, f"{side}_account")
    inst = _legal(str(info.get("institution") or f"{ctry} bank"))
    _sub(a, "institution_name", inst)
    if space == "msisdn":
        _sub(a, "institution_code", WALLET_CODES.get(inst, inst.upper()[:8]))
        _sub(a, "non_bank_institution", "true")
        if mine:
            _sub(a, "branch", "Mobile Money")
        _sub(a, "account", ident.lstrip("+"))
    elif space == "iban":
        _sub(a, "institution_code", ident[4:8])
        _sub(a, "institution_country", ident[:2])
        _sub(a, "non_bank_institution", "false")
        _sub(a, "account", ident[4:])
    else:
        if inst in SWIFT:
            _sub(a, "swift", SWIFT[inst])
        else:
            _sub(a, "institution_code", ident.split("/", 1)[0])
        _sub(a, "non_bank_institution", "false")
        if mine:
            _sub(a, "branch", "Head Office")
        _sub(a, "account", ident.split("/", 1)[-1])
    if info.get("currency"):
        _sub(a, "currency_code", str(info["currency"]))
    _sub(a, "account_name", name or str(info.get("account_name") or ""))
    if space == "iban":
        _sub(a, "iban", ident)
    if holder:
        _sub(a, "client_number", str(info.get("party_id")))
        _sub(a, "personal_account_type", "A")
        sig = _sub(a, "signatory")
        _sub(sig, "is_primary", "true")
        _person(_sub(sig, "t_person"), holder, mine=mine)
        _sub(sig, "role", "A")
    if info.get("opened") is not None and not pd.isna(info.get("opened")):
        _sub(a, "opened", f"{pd.Timestamp(info['opened']):%Y-%m-%dT00:00:00}")
    _sub(a, "status_code", "A")


def _person(p: Any, h: dict[str, Any], *, mine: bool) -> None:
    import json

    middle = json.loads(h["attributes"]).get("middle_name") if isinstance(h.get("attributes"), str) else None
    _sub(p, "first_name", str(h.get("first_name") or ""))
    if middle:
        _sub(p, "middle_name", str(middle))
    _sub(p, "last_name", str(h.get("last_name") or ""))
    if h.get("birth_date") is not None and not pd.isna(h.get("birth_date")):
        _sub(p, "birthdate", f"{pd.Timestamp(h['birth_date']):%Y-%m-%dT00:00:00}")
    number = str(h.get("id_number") or "")
    _sub(p, "ssn", number)  # goAML's national identifier field
    if h.get("id_type") == "passport":
        _sub(p, "passport_number", number)
        _sub(p, "passport_country", str(h.get("nationality") or ""))
    else:
        _sub(p, "id_number", number)
    if h.get("nationality") is not None and not pd.isna(h.get("nationality")):
        _sub(p, "nationality1", str(h["nationality"]))
    if h.get("country") is not None and not pd.isna(h.get("country")):
        _sub(p, "residence", str(h["country"]))
    phone = h.get("phone")
    if isinstance(phone, str) and phone.startswith("+"):
        _phones(p, phone)
    if isinstance(h.get("email"), str):
        _sub(p, "email", str(h["email"]))
    if mine:
        _sub(p, "occupation", "Self-employed")


def _phones(parent: Any, phone: str) -> None:
    code = next((c for c in CALLING.values() if phone[1:].startswith(c)), phone[1:4])
    ph = _sub(_sub(parent, "phones"), "phone")
    _sub(ph, "tph_contact_type", "1")
    _sub(ph, "tph_communication_type", "M")
    _sub(ph, "tph_country_prefix", code)
    _sub(ph, "tph_number", phone[1 + len(code) :])


def _sub_title(text: str | None) -> str:
    return text or "-"
