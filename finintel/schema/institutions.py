"""Canonical names of banks, so that one account gets one key whether a source names its bank or gives its BIC.

A bank statement says ``Absa Bank Kenya``, a goAML report ``BARCKENX``, an MT103 ``BARCKENXXXX``
and an older narrative ``Barclays Bank of Kenya``: all four are ``ABSA BANK KENYA``, so account
``6515783749650`` is ``acct:ABSA-BANK-KENYA/6515783749650`` in every source. Unknown names and
codes are kept as given (upper-cased, legal suffixes dropped). Extend :data:`BANKS` for other
countries; BICs are the banks' published codes.
"""

from __future__ import annotations

import re

__all__ = ["BANKS", "canonical_institution"]

BANKS: dict[str, tuple[str, ...]] = {
    # Kenya
    "KCB BANK KENYA": ("KCBLKENX", "KCB", "KCB BANK", "KENYA COMMERCIAL BANK"),
    "EQUITY BANK KENYA": ("EQBLKENA", "EQUITY BANK", "EQUITY"),
    "CO-OPERATIVE BANK OF KENYA": ("KCOOKENA", "CO-OPERATIVE BANK", "COOPERATIVE BANK", "CO-OP BANK", "COOP BANK"),
    "NCBA BANK KENYA": ("CBAFKENX", "NCBA", "NCBA BANK", "CBA", "COMMERCIAL BANK OF AFRICA"),
    "ABSA BANK KENYA": ("BARCKENX", "ABSA", "ABSA BANK", "BARCLAYS BANK OF KENYA", "BARCLAYS KENYA"),
    "STANBIC BANK KENYA": ("SBICKENX", "STANBIC BANK", "CFC STANBIC"),
    "STANDARD CHARTERED BANK": ("SCBLKENX", "STANDARD CHARTERED", "STANCHART"),
    "DIAMOND TRUST BANK": ("DTKEKENA", "DTB"),
    "I&M BANK": ("IMBLKENA", "I AND M BANK"),
    "FAMILY BANK": ("FABLKENA",),
    "NATIONAL BANK OF KENYA": ("NBKEKENX", "NBK"),
    # Uganda
    "STANBIC BANK UGANDA": ("SBICUGKX",),
    "CENTENARY BANK": ("CERBUGKA", "CENTENARY RURAL DEVELOPMENT BANK"),
    "DFCU BANK": ("DFCUUGKA", "DFCU"),
    "EQUITY BANK UGANDA": ("EQBLUGKA",),
    "KCB BANK UGANDA": ("KCBLUGKA",),
    "ABSA BANK UGANDA": ("BARCUGKX",),
    # Ethiopia
    "COMMERCIAL BANK OF ETHIOPIA": ("CBETETAA", "CBE"),
    "AWASH BANK": ("AWINETAA", "AWASH INTERNATIONAL BANK"),
    "DASHEN BANK": ("DASHETAA",),
    "BANK OF ABYSSINIA": ("ABYSETAA", "BOA ETHIOPIA"),
    "WEGAGEN BANK": ("WEGAETAA",),
    "HIBRET BANK": ("UNTDETAA",),
    "NIB INTERNATIONAL BANK": ("NIBIETAA", "NIB BANK"),
    "ZEMEN BANK": ("ZEMEETAA",),
    "COOPERATIVE BANK OF OROMIA": ("CBORETAA", "OROMIA BANK", "COOP BANK OF OROMIA"),
    # Djibouti
    "BCIMR": ("BCIMDJJD", "BANQUE POUR LE COMMERCE ET L'INDUSTRIE MER ROUGE"),
    "SALAAM AFRICAN BANK": ("SAABDJJD",),
}
"""Canonical bank name -> its BIC8s and the other names sources use."""

_SUFFIX = re.compile(r"[\s,.]+(LTD|LIMITED|PLC|S\.?C|S\.?A|SA|CO|INC)\.?$")
_BIC = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def _norm(text: str) -> str:
    up = re.sub(r"\s+", " ", str(text).upper()).strip()
    while True:
        stripped = _SUFFIX.sub("", up).strip()
        if stripped == up:
            return up
        up = stripped


_LOOKUP: dict[str, str] = {}
for _name, _aliases in BANKS.items():
    _LOOKUP[_norm(_name)] = _name
    for _alias in _aliases:
        _LOOKUP[_norm(_alias)] = _name


def canonical_institution(text: str | None) -> str | None:
    """The canonical name of a bank given by name, alias or BIC (8 or 11 characters); unknown ones as given.

    Examples
    --------
    >>> canonical_institution("BARCKENXXXX"), canonical_institution("Absa Bank Kenya Ltd"), canonical_institution("cbe")
    ('ABSA BANK KENYA', 'ABSA BANK KENYA', 'COMMERCIAL BANK OF ETHIOPIA')
    >>> canonical_institution("Bank of Nowhere PLC"), canonical_institution(None) is None
    ('BANK OF NOWHERE', True)
    """
    if text is None or not str(text).strip():
        return None
    key = _norm(text)
    if key in _LOOKUP:
        return _LOOKUP[key]
    compact = key.replace(" ", "")
    if _BIC.match(compact) and compact[:8] in _LOOKUP:
        return _LOOKUP[compact[:8]]
    return key
