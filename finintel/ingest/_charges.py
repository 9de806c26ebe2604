"""Counterparties that are not customers, for readers that key one row at a time (OFX, camt, MT940, MT103).

The vectorised bank-statement rules live in :mod:`finintel.ingest._tabular_charges`; this module applies
the same rules to single rows so every reader keys charges, cash and bare names alike:

* a bank charge, tax, levy or interest booking is ``fee:<own account key>`` (:func:`is_charge`);
* cash goes to the cash point the data names, under the account's bank, else to the account's own
  ``cash:unknown/<own account key>`` (:func:`cash_point_key`);
* a counterparty known only by a name becomes ``acct:UNKNOWN/<NAME>`` only when the name looks like one
  (:func:`name_key`): ``TRANSFER``, ``MPESA`` or ``CHEQUE DEPOSIT`` do not.
"""

from __future__ import annotations

import re

from finintel.schema.keys import cash_key, fee_key

from ._tabular_charges import FEE_WORDS, GENERIC_WORDS, cash_place, is_real_name

__all__ = ["MOBILE_CHARGE_WORDS", "cash_point_key", "fee_key", "is_charge", "is_real_name", "name_key"]

_FEE = re.compile(FEE_WORDS)

MOBILE_CHARGE_WORDS = r"(?i)\b(?:charges?|fees?|e-?levy|levy|excise\s+duty|duty|tax(?:es)?|commission)\b"
"""Wallet statement rows whose details name a charge, levy or tax (``Pay Bill Charge``, ``E-Levy``)."""


def is_charge(text: str | None) -> bool:
    """True when a narrative books a bank charge, tax or interest (not a fee paid to someone).

    >>> [is_charge(t) for t in ("SERVICE CHARGE", "EXCISE DUTY", "Credit Interest", "RECRUITMENT FEE TO ALPHA", None)]
    [True, True, True, False, False]
    """
    return bool(text) and _FEE.search(str(text)) is not None


def cash_point_key(place: str | None, *, institution: str | None, account: str, as_named: bool = False) -> str:
    """Key of cash paid in or out of `account`: the named cash point under its bank, else the account's own.

    `place` may be a narrative (``ATM WDL 0123 MOI AVE``) or a cash point's name; words that name no place
    (``ATM``, ``CASH WITHDRAWAL``) give the account's own node, so customers never meet at an unnamed counter.
    With `as_named`, a `place` that names one is kept as written (a field holding only the cash point's name,
    such as OFX ``NAME``), not reduced to the words of a narrative.

    >>> cash_point_key("ATM WDL 0123 MOI AVE", institution="Equity Bank Kenya", account="acct:EQUITY-BANK-KENYA/1")
    'cash:EQUITY-BANK-KENYA/ATM 0123 MOI AVE'
    >>> cash_point_key("ATM", institution="Equity Bank Kenya", account="acct:EQUITY-BANK-KENYA/1")
    'cash:unknown/acct:EQUITY-BANK-KENYA/1'
    >>> cash_point_key("KENCOM BRANCH", institution=None, account="iban:KE1")
    'cash:unknown/iban:KE1'
    >>> cash_point_key("ATM Eastleigh 2", institution="Equity Bank", account="a", as_named=True)
    'cash:EQUITY-BANK-KENYA/ATM Eastleigh 2'
    """
    known = bool(institution) and str(institution).upper() != "UNKNOWN"
    named, _ = cash_place(str(place)) if place else (None, None)
    if named and known:
        return cash_key(str(place) if as_named else named, institution=institution)
    return cash_key(None, account=account)


def name_key(name: str | None) -> str | None:
    """``acct:UNKNOWN/<NAME>`` for a name that looks like a person's or a firm's, else None.

    >>> name_key("Jane Doe"), name_key("TRANSFER"), name_key("CHEQUE DEPOSIT"), name_key(None)
    ('acct:UNKNOWN/JANE-DOE', None, None, None)
    """
    if not name or not is_real_name(name):
        return None
    slug = re.sub(r"[^A-Z0-9]+", "-", str(name).upper()).strip("-")[:80]
    return f"acct:UNKNOWN/{slug}" if slug and slug not in GENERIC_WORDS else None
