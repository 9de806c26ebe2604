"""Statement rows whose other side is not a customer: bank charges, taxes and interest, and cash points.

Private helper of :mod:`finintel.ingest._tabular_parties`. Three rules keep fake nodes out of the network:

* **Charges, taxes, interest** (``SERVICE CHARGE``, ``EXCISE DUTY``, ``LEDGER FEE``, ``VAT``, ``CREDIT
  INTEREST``, ``PESALINK CHARGES``...) are booked by the bank on the statement's own account; they go to
  ``fee:<own account key>`` (channel ``other``), one node per account, so charges never link two people.
  Fees paid to someone (``RECRUITMENT FEE``, ``SCHOOL FEES``, ``VISA FEE``) are payments, not charges:
  only banking words qualify a fee (:data:`FEE_WORDS`).
* **Cash** (``CASH DEPOSIT - KENCOM BRANCH``, ``ATM WDL 0123 MOI AVE``, ``CDM DEP WESTLANDS``) goes to the
  cash point the narrative names, under the statement's bank (``cash:EQUITY-BANK-KENYA/ATM 0123 MOI AVE``);
  when it names none, or the bank is unknown, to ``cash:unknown/<own account key>``. A depositor named
  after ``BY`` is kept in ``attributes["cash_by"]``.
* **Names**: a counterparty known only by a name becomes ``acct:UNKNOWN/<NAME>`` only when the name looks
  like one (:func:`is_real_name`): ``TRANSFER``, ``MPESA``, ``CHEQUE DEPOSIT`` or ``SALARY JAN`` are not.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from finintel.schema.keys import cash_key

from . import _tabular_parse as P

__all__ = ["CASH_WORDS", "FEE_WORDS", "GENERIC_WORDS", "cash_points", "fee_rows", "is_real_name"]

_CHARGE = r"(?:charges?|chgs?|chrg|fees?|commission|comm)"
_QUALIFIER = (
    r"(?:service|bank|banking|ledger|maintenance|maint|monthly|annual|account|a/c|acct|statement|stmt|sms|alert|"
    r"cheque\s*book|chq\s*book|transaction|txn|transfer|trf|pesalink|rtgs|eft|swift|ift|tt|atm|withdrawal|wdl|cash|"
    r"standing\s+order|s/o|cable|commitment|processing|arrangement|unpaid|returned\s+cheque|rtn\s+chq|card|excess|"
    r"overdraft|od|b2c|mpesa|m-pesa|mobile\s+banking|internet\s+banking|ussd|ledger\s+fee|search|valuation|"
    r"early\s+withdrawal|closure|dormancy|reactivation)"
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
_BANKED = (
    r"(?:ift|rtgs|eft|tt|swift|transfer|trf|pesalink|cheque|chq|withdrawal|statement|ledger|account|a/c|sms|atm|card)"
)
_START = (
    rf"^\W*(?:charges?\b|chgs?\b|chrg\b|bank\s+{_CHARGE}\b|(?:fees?|commission|comm)(?:\W*$|\s+(?:on|for)\s+{_BANKED})|"
    rf"(?:excise|stamp)\s+duty|(?:withholding|w/?h|w\.h\.)\s*tax|wht\b|w/tax\b|vat\b|levy\b|tax\s+on\b|"
    rf"(?:credit|debit|dr|cr|od|overdraft|accrued|penal|savings)\s*interest\b|"
    rf"interest(?:\W*$|\s+(?:paid|cap(?:itali[sz]ed)?\b|charged|earned|posting|accrued|credit|debit|on|for|\d|{_MONTH}\b))|"
    rf"int\.?\s+(?:paid|cap(?:itali[sz]ed)?|earned|charged|posting)\b|penalty\b)"
)
_ANY = (
    rf"\b(?:{_QUALIFIER}(?:\s+[a-z/]+)?\s+{_CHARGE}\b|(?:excise|stamp)\s+duty\b|(?:withholding|w/h)\s+tax\b|"
    rf"(?:debit|credit|overdraft|od|accrued|penal)\s+interest\b|interest\s+(?:paid|capitali[sz]ed|charged|earned|"
    rf"posting|accrued|credit|debit)\b|vat\s+on\b)"
)
FEE_WORDS = rf"(?i){_START}|{_ANY}"
"""Narratives of charges, taxes and interest the bank books: at the start, or a banking word before the fee."""
_FEE_START = "(?i)" + _START


CASH_WORDS = r"(?i)\b(?:cash|csh|cashdep|cashwdl|atm|cdm|teller|counter\s+(?:deposit|withdrawal)|agen(?:t|cy)\s+(?:deposit|dep|withdrawal|wdl))\b"
"""Narratives of cash paid in or taken out."""

_KINDS = (
    ("ATM", re.compile(r"(?i)\batm\b")),
    ("CDM", re.compile(r"(?i)\bcdm\b|deposit\s+machine")),
    ("AGENT", re.compile(r"(?i)\bagen(?:t|cy)\b")),
)
_CASH_NOISE = set(
    "CASH CSH CASHDEP CASHWDL DEPOSIT DEPOSITS DEPOSITED DEP DEPO DPST DEPT WITHDRAWAL WITHDRAWALS WITHDRAW WITHDRAWN WDL WDR WD W D ATM "
    "CDM AGENT AGENCY BANKING TELLER COUNTER OTC OVER THE TXN TRANSACTION TRN TRX AT IN ON NO REF BRANCH BR BRN BRCH "
    "LODGEMENT LODGE PAID PAIDIN SELF MACHINE KES USD ETB UGX DJF TZS EUR FROM TO VIA POS ID OF AND FOR A C".split()
)
_BY = re.compile(r"(?i)\bby\s+(?P<by>[a-z][a-z.' ]*?)\s*(?=\bat\b|@|\s-\s|,|$)")
_REFS = re.compile(
    r"\b[A-Z0-9]*(?:[A-Z]\d|\d[A-Z])[A-Z0-9]*\b|\b\d{9,}\b|"  # mixed letters and digits; long numbers
    r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b|\b\d{1,2}:\d{2}(?::\d{2})?\b|\b\d{1,3}(?:,\d{3})+(?:\.\d+)?\b|\b\d+\.\d{2}\b"
)
_DATES = re.compile(
    r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b|\b\d{1,2}:\d{2}(?::\d{2})?\b|\b\d{1,3}(?:,\d{3})+(?:\.\d+)?\b|\b\d+\.\d{2}\b"
)

GENERIC_WORDS = set(
    "TRANSFER TRANSFERS TRF TRFR TRANS FT IFT EFT RTGS SWIFT PESALINK MPESA M PESA AIRTEL MONEY MOMO MTN TELEBIRR "
    "PAYMENT PAYMENTS PMT PYMT PAY DEPOSIT DEP CHEQUE CHQ CHECK CASH WITHDRAWAL WDL FUNDS FUND INWARD OUTWARD TT "
    "REMITTANCE CREDIT DEBIT CR DR REVERSAL REV REVERSED REFUND SALARY SAL LOAN REPAYMENT INTEREST CHARGE CHARGES "
    "FEE FEES SERVICE LEDGER EXCISE DUTY VAT TAX LEVY COMMISSION BANK ACCOUNT ACC AC A C NO TO FROM BY FOR OF THE "
    "AND ONLINE MOBILE INTERNET BANKING APP USSD POS ATM CDM PURCHASE AIRTIME BILL PAYBILL TILL BUY GOODS B2C C2B "
    "B2B STANDING ORDER SO DIRECT DD CARD VISA OPENING CLOSING BALANCE BF CF BROUGHT FORWARD TOTAL NA N UNKNOWN "
    "OTHER OTHERS VARIOUS SUNDRY SELF OWN INTERNAL ADJUSTMENT CORRECTION INTERBANK DOMESTIC INTERNATIONAL LOCAL "
    "RECEIVED SENT RECEIPT REF REFERENCE TXN TRANSACTION INSTANT NIL NONE KES USD ETB UGX DJF EUR TZS JAN FEB MAR "
    "APR MAY JUN JUL AUG SEP SEPT OCT NOV DEC JANUARY FEBRUARY MARCH APRIL JUNE JULY AUGUST SEPTEMBER OCTOBER "
    "NOVEMBER DECEMBER MONTHLY WEEKLY DAILY ADVANCE TELLER COUNTER BRANCH NEFT IMPS WIRE STANDING".split()
)
"""Banking words that are never, on their own, the name of a counterparty."""


def fee_rows(text: pa.Array, *, anywhere: bool = True) -> np.ndarray:
    """Mask of rows whose text is a bank charge, tax or interest booking.

    With `anywhere` False only narratives that start with one count (a transfer's narrative may
    mention its charges after the payee).

    >>> fee_rows(pa.array(["EXCISE DUTY", "SERVICE CHARGE", "RECRUITMENT FEE TO ALPHA AGENCY",
    ...                    "IFT TO ABEBE DASHEN BANK 12345678 PESALINK CHARGES", "Credit Interest", None])).tolist()
    [True, True, False, True, True, False]
    >>> fee_rows(pa.array(["IFT TO ABEBE DASHEN BANK 12345678 PESALINK CHARGES"]), anywhere=False).tolist()
    [False]
    """
    if text is None or len(text) == 0:
        return np.zeros(0 if text is None else len(text), dtype=bool)
    return P._mask(pc.match_substring_regex(text, FEE_WORDS if anywhere else _FEE_START))


def cash_points(desc: pa.Array, *, institution: str, account: str) -> dict[str, pa.Array]:
    """Cash rows' keys, cash-point names and depositors (null where a row is not cash).

    Parameters
    ----------
    desc : pyarrow.Array
        Narratives.
    institution : str
        The statement's bank (``UNKNOWN`` when not known: every cash point then stays the account's own).
    account : str
        Key of the statement's account, for cash the narrative does not place.

    Returns
    -------
    dict
        ``key`` (``cash:<INSTITUTION>/<KIND> <place>`` or ``cash:unknown/<account>``), ``name``, ``by``.

    Examples
    --------
    >>> got = cash_points(pa.array(["CASH DEPOSIT - KENCOM BRANCH", "ATM WDL 0123 MOI AVE", "CDM DEP WESTLANDS",
    ...                             "CASH DEPOSIT BY JANE WANJIRU", "IFT TO X"]),
    ...                   institution="Equity Bank Kenya", account="acct:EQUITY-BANK-KENYA/1")
    >>> got["key"].to_pylist()  # doctest: +NORMALIZE_WHITESPACE
    ['cash:EQUITY-BANK-KENYA/BRANCH KENCOM', 'cash:EQUITY-BANK-KENYA/ATM 0123 MOI AVE',
     'cash:EQUITY-BANK-KENYA/CDM WESTLANDS', 'cash:unknown/acct:EQUITY-BANK-KENYA/1', None]
    >>> got["by"].to_pylist()[3]
    'JANE WANJIRU'
    """
    known = institution and institution.upper() != "UNKNOWN"
    n = len(desc)
    is_cash = P._mask(pc.match_substring_regex(desc, CASH_WORDS))  # Arrow's regex over all rows; Python on cash only
    out = {k: pa.nulls(n, pa.string()) for k in ("key", "name", "by")}
    if not is_cash.any():
        return out

    def func(values: pa.Array) -> dict[str, pa.Array]:
        keys: list[str | None] = []
        names: list[str | None] = []
        bys: list[str | None] = []
        for v in values.to_pylist():
            place, by = cash_place(v) if v is not None else (None, None)
            keys.append(
                cash_key(place, institution=institution) if place and known else cash_key(None, account=account)
            )
            names.append(place)
            bys.append(by)
        return {
            "key": pa.array(keys, pa.string()),
            "name": pa.array(names, pa.string()),
            "by": pa.array(bys, pa.string()),
        }

    mask = pa.array(is_cash)
    # references, dates and amounts make narratives distinct but never name a place: drop them in Arrow first,
    # so the Python parser runs once per cash point, not once per row
    text = pc.utf8_upper(P._strings(desc).filter(mask))
    text = pc.replace_substring_regex(text, _REFS.pattern, " ")
    got = P.per_distinct(pc.replace_substring_regex(text, r"\s+", " "), func)
    return {k: pc.replace_with_mask(out[k], mask, got[k]) for k in out}


def cash_place(text: str) -> tuple[str | None, str | None]:
    """The cash point a cash narrative names (``KIND place``) and the depositor after ``BY``, each or None.

    >>> cash_place("CASH DEPOSIT BY JOHN KAMAU AT KENCOM BRANCH"), cash_place("Cash withdrawal 15/03/2024 FT24075XK2")
    (('BRANCH KENCOM', 'JOHN KAMAU'), (None, None))
    >>> cash_place("AGENT DEPOSIT 0456 MAMA MBOGA STORES"), cash_place("ATM CASH WITHDRAWAL")
    (('AGENT 0456 MAMA MBOGA STORES', None), (None, None))
    """
    up = text.upper()
    by = None
    m = _BY.search(up)
    if m:
        by = re.sub(r"\s+", " ", m.group("by")).strip(" .'") or None
        up = up[: m.start()] + " " + up[m.end() :]
        by = None if by in ("SELF", "OWNER", "ACCOUNT HOLDER") else by
    kind = next((k for k, rx in _KINDS if rx.search(up)), "BRANCH")
    words = []
    for tok in re.split(r"[^A-Z0-9]+", _DATES.sub(" ", up)):
        if not tok or tok in _CASH_NOISE:
            continue
        digits = sum(c.isdigit() for c in tok)
        if digits == len(tok):
            if kind != "BRANCH" and 2 <= digits <= 8:  # terminal or agent number
                words.append(tok)
        elif digits == 0 or len(tok) < 6:  # letters; mixed ids of 6+ characters are references
            words.append(tok)
    if not any(len(w) >= 3 and w.isalpha() for w in words) and not (kind != "BRANCH" and words):
        return None, by
    return f"{kind} {' '.join(words)}"[:80], by


def is_real_name(name: str) -> bool:
    """True when a counterparty name has a word that is not a banking word (a person's or a firm's name).

    >>> [is_real_name(n) for n in ("TRANSFER", "MPESA", "CHEQUE DEPOSIT", "SALARY JAN 2024", "Azure Interior", "JANE W")]
    [False, False, False, False, True, True]
    """
    words = re.findall(r"[A-Z]+", str(name).upper())
    return any(len(w) >= 3 and w not in GENERIC_WORDS for w in words) or (
        len(words) >= 2 and sum(w not in GENERIC_WORDS for w in words) >= 2
    )
