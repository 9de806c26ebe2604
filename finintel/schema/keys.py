"""Namespaced account keys and the normalisers that make them.

The same real account must get the same key in every source: an M-Pesa
counterparty written ``0712 345 678`` and a goAML phone ``+254712345678`` both
become ``msisdn:+254712345678``. Keys are ``<namespace>:<identifier>``:

============  =====================================  ==============================
namespace     identifier                             normalisation
============  =====================================  ==============================
``msisdn``    E.164 phone number                     local formats of KE/UG/ET/DJ
``masked``    a masked phone as printed, ``0****393``  kept verbatim, never guessed
``iban``      IBAN                                   upper case, no spaces
``acct``      ``<institution>/<number>``             upper-case institution, no spaces
``eth``       EVM address (also BSC, Polygon)        lower case
``trx``       Tron base58 address                    case kept; hex ``41…`` converted
``btc``       Bitcoin address                        base58 case kept; bech32 lower case
``cash``      agent, till, branch, ATM as named;       stripped; ``<INSTITUTION>/`` first
              else ``unknown/<account key>``         when the bank is known
``paybill``   M-Pesa paybill/till number             digits
``exch``      ``<exchange>/<user id>``               lower-case exchange
``fee``       ``<account key>``: the charges, taxes  one per account, never shared
              and interest booked on that account
============  =====================================  ==============================

Cash and fee keys never join two customers through a place nobody named: cash
paid in or out at an unnamed counter is ``cash:unknown/<that account's key>``,
and bank charges, excise duty or interest are ``fee:<that account's key>``.
"""

from __future__ import annotations

import hashlib
import re

import phonenumbers

from finintel.errors import InputError
from finintel.schema.institutions import canonical_institution

__all__ = [
    "COUNTRY_CALLING_CODES",
    "bank_account_key",
    "btc_key",
    "cash_key",
    "evm_key",
    "fee_key",
    "guess_key",
    "iban_key",
    "is_valid_iban",
    "key_namespace",
    "msisdn_key",
    "normalize_msisdn",
    "tron_key",
]

COUNTRY_CALLING_CODES = {
    "KE": "254",
    "UG": "256",
    "ET": "251",
    "DJ": "253",
    "TZ": "255",
    "RW": "250",
    "SO": "252",
    "SS": "211",
}
"""Calling codes of the countries finintel serves first, and their neighbours."""

_MASK = re.compile(r"^[+\d]*[*xX•]{2,}[\d]*$")
_EVM = re.compile(r"^0x[0-9a-fA-F]{40}$")
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_TRON = re.compile(rf"^T[{_B58}]{{33}}$")
_TRON_HEX = re.compile(r"^(?:0x)?41[0-9a-fA-F]{40}$")
_BTC_B58 = re.compile(rf"^[13][{_B58}]{{25,34}}$")
_BTC_BECH32 = re.compile(r"^(bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{8,87}$")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")


def normalize_msisdn(text: str, country: str = "KE") -> str | None:
    """Return the E.164 form of a phone number, or None when it is not a valid number.

    Local formats are read in `country` (ISO 3166 alpha-2); numbers with a
    ``+``, ``00`` or a bare country code are read as international.

    Examples
    --------
    >>> normalize_msisdn("0712 345 678")
    '+254712345678'
    >>> normalize_msisdn("254712345678"), normalize_msisdn("+254-712-345-678")
    ('+254712345678', '+254712345678')
    >>> normalize_msisdn("0772 123456", "UG"), normalize_msisdn("0911 234567", "ET"), normalize_msisdn("77 83 12 34", "DJ")
    ('+256772123456', '+251911234567', '+25377831234')
    >>> normalize_msisdn("0****393") is None, normalize_msisdn("hello") is None
    (True, True)
    """
    if text is None:
        return None
    raw = str(text).strip()
    digits = re.sub(r"[\s\-().\u00a0/]", "", raw)
    if not digits or _MASK.match(digits) or not re.fullmatch(r"\+?\d{6,15}", digits):
        return None
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif not digits.startswith("+"):
        for code in COUNTRY_CALLING_CODES.values():
            if digits.startswith(code) and len(digits) >= len(code) + 8:
                digits = "+" + digits
                break
    try:
        number = phonenumbers.parse(digits, None if digits.startswith("+") else country.upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def msisdn_key(text: str, country: str = "KE") -> str:
    """Key of a mobile-money account from a phone number in any local or international form.

    A masked number keeps its mask under ``masked:``; a number that cannot be
    read raises :class:`InputError`.

    Examples
    --------
    >>> msisdn_key("0712 345 678"), msisdn_key("0****393")
    ('msisdn:+254712345678', 'masked:0****393')
    """
    e164 = normalize_msisdn(text, country)
    if e164:
        return f"msisdn:{e164}"
    compact = re.sub(r"\s", "", str(text))
    if _MASK.match(compact):
        return f"masked:{compact}"
    raise InputError(f"expected a phone number like 0712 345 678 or +254712345678, got {text!r}")


def evm_key(address: str) -> str:
    """Key of an Ethereum-family address (lower case; the checksum case carries no identity).

    >>> evm_key("0xF98C0a6E1b2eB3d7d5DAF1E4D3E5aC9b8a7f6E5D")
    'eth:0xf98c0a6e1b2eb3d7d5daf1e4d3e5ac9b8a7f6e5d'
    """
    a = str(address).strip()
    if not _EVM.match(a):
        raise InputError(f"expected an EVM address of 0x and 40 hex digits, got {address!r}")
    return f"eth:{a.lower()}"


def tron_key(address: str) -> str:
    """Key of a Tron address; base58 case is kept, the hex form (``41…``) is converted to base58.

    >>> tron_key("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
    'trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'
    >>> tron_key("41a614f803b6fd780986a42c78ec9c7f77e6ded13c")
    'trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'
    """
    a = str(address).strip()
    if _TRON_HEX.match(a):
        a = _base58check(bytes.fromhex(a[2:] if a.startswith("0x") else a))
    if not _TRON.match(a):
        raise InputError(f"expected a Tron address (T and 33 base58 characters), got {address!r}")
    return f"trx:{a}"


def btc_key(address: str) -> str:
    """Key of a Bitcoin address: legacy base58 case kept, bech32 lower-cased.

    >>> btc_key("BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ"), btc_key("1BoatSLRHtKNngkdXEeobR76b53LETtpyT")
    ('btc:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', 'btc:1BoatSLRHtKNngkdXEeobR76b53LETtpyT')
    """
    a = str(address).strip()
    if _BTC_BECH32.match(a):
        return f"btc:{a.lower()}"
    if _BTC_B58.match(a):
        return f"btc:{a}"
    raise InputError(f"expected a Bitcoin address, got {address!r}")


def iban_key(iban: str) -> str:
    """Key of an IBAN: upper case, spaces removed (the checksum is checked by :func:`is_valid_iban`).

    >>> iban_key("de89 3704 0044 0532 0130 00")
    'iban:DE89370400440532013000'
    """
    a = re.sub(r"\s", "", str(iban)).upper()
    if not _IBAN.match(a):
        raise InputError(f"expected an IBAN like DE89 3704 0044 0532 0130 00, got {iban!r}")
    return f"iban:{a}"


def is_valid_iban(iban: str) -> bool:
    """True when the IBAN's mod-97 check digits are right.

    >>> is_valid_iban("DE89 3704 0044 0532 0130 00"), is_valid_iban("DE88 3704 0044 0532 0130 00")
    (True, False)
    """
    a = re.sub(r"\s", "", str(iban)).upper()
    if not _IBAN.match(a):
        return False
    moved = a[4:] + a[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def bank_account_key(number: str, institution: str | None = None) -> str:
    """Key of a bank account: an IBAN when it is one, else ``acct:<INSTITUTION>/<number>``.

    The institution is canonicalised (:func:`~finintel.schema.institutions.canonical_institution`), so a
    bank's name, an older name and its BIC give the same key.

    >>> bank_account_key("0100 2345 678", "Equity Bank Kenya"), bank_account_key("GB82 WEST 1234 5698 7654 32")
    ('acct:EQUITY-BANK-KENYA/01002345678', 'iban:GB82WEST12345698765432')
    >>> bank_account_key("6515783749650", "BARCKENX") == bank_account_key("6515783749650", "Absa Bank Kenya Ltd")
    True
    """
    compact = re.sub(r"[\s\-]", "", str(number))
    if not compact:
        raise InputError("expected an account number, got an empty value")
    if _IBAN.match(compact.upper()) and is_valid_iban(compact):
        return iban_key(compact)
    return f"acct:{_institution_slug(institution)}/{compact}"


def _institution_slug(institution: str | None) -> str:
    canonical = canonical_institution(institution) or "UNKNOWN"
    return re.sub(r"[^A-Z0-9&]+", "-", canonical).replace("&", "-AND-").strip("-") or "UNKNOWN"


def cash_key(place: str | None, *, institution: str | None = None, account: str | None = None) -> str:
    """Key of a cash point: an agent, till, branch or ATM, as named; else the cash of one account.

    `institution` puts the bank's canonical name first (``KENCOM`` is a branch of several banks); with
    no `place`, `account` (the key of the account the cash went in or out of) makes a node of that
    account's own, so two customers never meet through an unnamed counter.

    >>> cash_key("  Agent 12345 - Kawangware ")
    'cash:Agent 12345 - Kawangware'
    >>> cash_key("BRANCH KENCOM", institution="Equity Bank Kenya")
    'cash:EQUITY-BANK-KENYA/BRANCH KENCOM'
    >>> cash_key(None, account="acct:EQUITY-BANK-KENYA/0100234567")
    'cash:unknown/acct:EQUITY-BANK-KENYA/0100234567'
    """
    name = re.sub(r"\s+", " ", str(place or "")).strip()
    if not name:
        return f"cash:unknown/{account}" if account else "cash:unknown"
    if institution:
        return f"cash:{_institution_slug(institution)}/{name}"
    return f"cash:{name}"


def fee_key(account: str) -> str:
    """Key of the charges, taxes and interest an institution books on one account (not a counterparty).

    >>> fee_key("acct:KCB-BANK-KENYA/1234567890")
    'fee:acct:KCB-BANK-KENYA/1234567890'
    """
    return f"fee:{account}"


def key_namespace(key: str) -> str:
    """The namespace of a key (``msisdn``, ``eth``, ...).

    >>> key_namespace("msisdn:+254712345678")
    'msisdn'
    """
    return str(key).split(":", 1)[0]


def guess_key(text: str, country: str = "KE") -> str | None:
    """Best key for a free-text identifier (phone, IBAN, crypto address), or None.

    >>> guess_key("0729914044"), guess_key("0x52908400098527886E0F7030069857D2E4169EE7")
    ('msisdn:+254729914044', 'eth:0x52908400098527886e0f7030069857d2e4169ee7')
    >>> guess_key("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"), guess_key("random words") is None
    ('trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', True)
    """
    t = str(text).strip()
    if not t:
        return None
    if ":" in t and key_namespace(t) in {
        "msisdn",
        "masked",
        "iban",
        "acct",
        "eth",
        "trx",
        "btc",
        "cash",
        "paybill",
        "exch",
        "fee",
    }:
        return t
    for make in (evm_key, tron_key, btc_key):
        try:
            return make(t)
        except InputError:
            pass
    compact = re.sub(r"\s", "", t)
    if _IBAN.match(compact.upper()) and is_valid_iban(compact):
        return iban_key(compact)
    phone = normalize_msisdn(t, country)
    if phone:
        return f"msisdn:{phone}"
    if _MASK.match(compact):
        return f"masked:{compact}"
    return None


def _base58check(payload: bytes) -> str:
    check = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(payload + check, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    pad = len(payload + check) - len((payload + check).lstrip(b"\0"))
    return "1" * pad + out
