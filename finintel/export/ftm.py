"""FollowTheMoney (FtM) entities, as JSON lines for Aleph, OpenAleph, yente or ``ftm`` tools.

Every account becomes a ``BankAccount`` (bank and mobile-money accounts) or a
``CryptoWallet``; its holder a ``Person``, ``Company`` or ``LegalEntity``
(from the parties/accounts frames when known, else named as the transactions
write it), joined to a bank account by an ``Ownership`` and to a wallet by
``holder``; a cash agent an ``Organization``; every completed transaction a
``Payment`` with payer, beneficiary and their accounts. Ids are hashes of the
account keys and tx_ids, so exporting the same case twice gives the same ids
and Aleph merges rather than duplicates.

Needs the ``followthemoney`` package (``pip install "finintel[ftm]"``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from finintel.errors import MissingDependencyError
from finintel.graph.build import _moving, check_transactions, node_kind, node_table

__all__ = ["ftm_entities", "write_ftm"]

_CRYPTO = {"eth": "Ethereum", "trx": "Tron", "btc": "Bitcoin"}


def _model() -> Any:
    try:
        from followthemoney import model
    except ImportError as err:
        raise MissingDependencyError("followthemoney", "ftm") from err
    return model


def ftm_entities(
    tx: pd.DataFrame, *, parties: pd.DataFrame | None = None, accounts: pd.DataFrame | None = None
) -> Iterator[dict[str, Any]]:
    """FtM entities (as dicts) for the accounts, holders and completed transactions in `tx`.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([{"sender": "msisdn:+254711000001", "receiver": "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
    ...                     "amount": 250, "timestamp": "2024-03-01", "sender_name": "Amina Yusuf", "currency": "KES"}])
    >>> sorted(e["schema"] for e in ftm_entities(tx))
    ['BankAccount', 'CryptoWallet', 'LegalEntity', 'Ownership', 'Payment', 'Person']
    """
    model = _model()
    tx = _moving(check_transactions(tx), True)
    nodes = node_table(tx, completed_only=False)
    holder_of = _holders(parties, accounts)
    institution = {}
    if accounts is not None and "institution" in accounts.columns:
        institution = {
            str(a): str(i) for a, i in zip(accounts["account"], accounts["institution"], strict=True) if pd.notna(i)
        }
    emitted: dict[str, str] = {}  # account key -> id of the account entity (or of the agent)
    payer: dict[str, str] = {}  # account key -> id of the legal entity behind it
    for key, row in nodes.iterrows():
        key = str(key)
        ns = key.split(":", 1)[0] if ":" in key else ""
        number = key.split(":", 1)[1] if ":" in key else key
        name = row["name"] if isinstance(row["name"], str) else None
        country = row["country"] if isinstance(row["country"], str) else None
        if ns == "cash":
            agent = model.make_entity("Organization")
            agent.make_id("finintel", "agent", key)
            agent.add("name", number)
            agent.add("description", "cash agent, till or branch")
            agent.add("country", country)
            payer[key] = emitted[key] = agent.id
            yield agent.to_dict()
            continue
        holder = holder_of.get(key)
        legal = model.make_entity(holder["schema"] if holder else _schema_for(name))
        legal.make_id("finintel", "holder", holder["party_id"] if holder else key)
        legal.add("name", (holder or {}).get("name") or name or key)
        for prop in ("birthDate", "idNumber", "phone", "email", "country"):
            if holder and holder.get(prop) and prop in legal.schema.properties:
                legal.add(prop, holder[prop])
        if country and not legal.get("country"):
            legal.add("country", country)
        if ns in _CRYPTO:
            wallet = model.make_entity("CryptoWallet")
            wallet.make_id("finintel", "account", key)
            wallet.add("publicKey", number)
            wallet.add("blockchain", _CRYPTO[ns])
            wallet.add("currencySymbol", ",".join(row["currencies"]) if isinstance(row["currencies"], list) else None)
            wallet.add("holder", legal.id)
            yield wallet.to_dict()
            emitted[key] = wallet.id
        else:
            acct = model.make_entity("BankAccount")
            acct.make_id("finintel", "account", key)
            acct.add("accountNumber", number)
            if ns == "iban":
                acct.add("iban", number)
            acct.add("bankName", institution.get(key) or (number.split("/", 1)[0] if ns == "acct" else None))
            acct.add(
                "accountType",
                {"msisdn": "mobile money", "masked": "mobile money", "paybill": "paybill", "exch": "exchange"}.get(ns),
            )
            acct.add("country", country)
            acct.add("name", name)
            own = model.make_entity("Ownership")
            own.make_id("finintel", "owns", key)
            own.add("owner", legal.id)
            own.add("asset", acct.id)
            own.add("role", "account holder")
            yield acct.to_dict()
            yield own.to_dict()
            emitted[key] = acct.id
        payer[key] = legal.id
        yield legal.to_dict()
    for row in tx.itertuples(index=False):
        pay = model.make_entity("Payment")
        pay.make_id("finintel", "tx", row.tx_id)
        pay.add("transactionNumber", row.tx_id)
        pay.add("amount", str(row.amount_exact) if pd.notna(row.amount_exact) else repr(row.amount))
        cur = str(row.currency)
        pay.add("currency", cur if len(cur) == 3 and cur.isalpha() else None)
        pay.add("date", row.timestamp.isoformat())
        pay.add(
            "description",
            " | ".join(
                str(x) for x in (cur if len(cur) != 3 else None, row.description) if x is not None and pd.notna(x) and x
            )
            or None,
        )
        pay.add("payer", payer[str(row.sender)])
        pay.add("beneficiary", payer[str(row.receiver)])
        if emitted.get(str(row.sender)) and not str(row.sender).startswith(("cash:", *(f"{n}:" for n in _CRYPTO))):
            pay.add("payerAccount", emitted[str(row.sender)])
        if emitted.get(str(row.receiver)) and not str(row.receiver).startswith(("cash:", *(f"{n}:" for n in _CRYPTO))):
            pay.add("beneficiaryAccount", emitted[str(row.receiver)])
        pay.add("programme", str(row.channel))
        yield pay.to_dict()


def _schema_for(name: str | None) -> str:
    if not name:
        return "LegalEntity"
    return "Company" if node_kind("x", name) == "organisation" else "Person"


def _holders(parties: pd.DataFrame | None, accounts: pd.DataFrame | None) -> dict[str, dict[str, Any]]:
    if parties is None or accounts is None or "party_id" not in accounts.columns or "party_id" not in parties.columns:
        return {}
    by_id = {}
    for p in parties.to_dict("records"):
        kind = p.get("kind")
        name = (
            p.get("name")
            if isinstance(p.get("name"), str)
            else " ".join(str(p[c]) for c in ("first_name", "last_name") if isinstance(p.get(c), str))
        )
        by_id[str(p["party_id"])] = {
            "party_id": str(p["party_id"]),
            "schema": "Company" if kind == "organisation" else "Person" if kind == "person" else _schema_for(name),
            "name": name or None,
            "birthDate": str(p["birth_date"]) if pd.notna(p.get("birth_date")) else None,
            "idNumber": p.get("id_number") if isinstance(p.get("id_number"), str) else None,
            "phone": p.get("phone") if isinstance(p.get("phone"), str) else None,
            "email": p.get("email") if isinstance(p.get("email"), str) else None,
            "country": p.get("country") if isinstance(p.get("country"), str) else None,
        }
    return {
        str(a): by_id[str(pid)]
        for a, pid in zip(accounts["account"], accounts["party_id"], strict=True)
        if str(pid) in by_id
    }


def write_ftm(
    tx: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    parties: pd.DataFrame | None = None,
    accounts: pd.DataFrame | None = None,
) -> Path:
    """Write :func:`ftm_entities` as JSON lines (UTF-8); returns the path.

    Raises
    ------
    MissingDependencyError
        If ``followthemoney`` is not installed.

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> write_ftm(transactions([("msisdn:+254711000001", "cash:Agent 7", 500, "2024-03-01")]), "case.ftm.json")  # doctest: +SKIP
    PosixPath('case.ftm.json')
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as fh:
        for entity in ftm_entities(tx, parties=parties, accounts=accounts):
            fh.write(json.dumps(entity, ensure_ascii=False, sort_keys=True) + "\n")
    return target
