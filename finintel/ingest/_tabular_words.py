"""The words statements use: header aliases, metadata keys, status words, East African bank names.

Private helper of :mod:`finintel.ingest.tabular`; plain data, extended by adding entries.
"""

from __future__ import annotations

import re

__all__ = [
    "BANK_ALIASES",
    "BANK_CANONICAL",
    "BANK_IN_TEXT",
    "BANK_NAMES",
    "META_KEYS",
    "STATUS_WORDS",
    "bank_institution",
]

BANK_ALIASES: dict[str, tuple[str, ...]] = {
    "timestamp": (
        "date",
        "transaction date",
        "txn date",
        "trans date",
        "tran date",
        "posting date",
        "post date",
        "booking date",
        "completion time",
        "date time",
        "datetime",
        "transaction time",
        "date and time",
        "entry date",
        "book date",
    ),
    "value_date": ("value date", "val date", "effective date"),
    "time": ("time", "txn time", "transaction time of day"),
    "debit": (
        "debit",
        "debits",
        "debit amount",
        "withdrawal",
        "withdrawals",
        "withdrawn",
        "money out",
        "paid out",
        "dr",
        "out",
        "amount out",
        "debit amt",
    ),
    "credit": (
        "credit",
        "credits",
        "credit amount",
        "deposit",
        "deposits",
        "paid in",
        "money in",
        "cr",
        "in",
        "amount in",
        "lodgement",
        "lodgements",
        "credit amt",
    ),
    "amount": ("amount", "transaction amount", "txn amount", "amt", "value", "amount signed"),
    "drcr": (
        "dr cr",
        "cr dr",
        "d c",
        "c d",
        "debit credit",
        "credit debit",
        "dr cr indicator",
        "debit credit indicator",
        "credit debit indicator",
        "sign",
    ),
    "balance": (
        "balance",
        "running balance",
        "closing balance",
        "ledger balance",
        "book balance",
        "available balance",
        "bal",
    ),
    "description": (
        "details",
        "narrative",
        "narration",
        "description",
        "particulars",
        "remarks",
        "transaction details",
        "label",
        "memo",
        "transaction description",
        "transaction narrative",
        "purpose",
        "transaction remarks",
    ),
    "reference": (
        "reference",
        "ref",
        "ref no",
        "reference no",
        "reference number",
        "receipt no",
        "receipt",
        "cheque no",
        "chq no",
        "cheque number",
        "cheque no reference",
        "chq no ref",
        "transaction reference",
        "operation number",
        "document number",
        "txn ref",
        "customer reference",
        "bank reference",
    ),
    "counterparty": (
        "counterparty",
        "counter party",
        "beneficiary",
        "beneficiary name",
        "payee",
        "payer",
        "other party",
        "partner name",
        "counterparty name",
        "payee name",
        "payer name",
        "party name",
    ),
    "counterparty_account": (
        "bank account",
        "counterparty account",
        "beneficiary account",
        "other party account",
        "counterparty iban",
        "beneficiary iban",
        "iban",
        "payee account",
    ),
    "currency": ("currency", "ccy", "cur", "currency code"),
    "status": ("status", "transaction status"),
}
"""Header aliases of generic bank and wallet statements, normalised by :func:`normalise_header`."""

BANK_NAMES: tuple[str, ...] = (
    # Kenya
    "KCB BANK KENYA",
    "KCB BANK",
    "KCB",
    "EQUITY BANK KENYA",
    "EQUITY BANK",
    "CO-OPERATIVE BANK OF KENYA",
    "CO-OPERATIVE BANK",
    "COOPERATIVE BANK",
    "NCBA BANK KENYA",
    "NCBA BANK",
    "NCBA",
    "ABSA BANK KENYA",
    "ABSA BANK",
    "ABSA",
    "STANBIC BANK KENYA",
    "STANBIC BANK",
    "STANDARD CHARTERED BANK",
    "STANDARD CHARTERED",
    "DIAMOND TRUST BANK",
    "DTB",
    "I&M BANK",
    "FAMILY BANK",
    "NATIONAL BANK OF KENYA",
    "PRIME BANK",
    "BANK OF AFRICA",
    "SIDIAN BANK",
    "GULF AFRICAN BANK",
    "FIRST COMMUNITY BANK",
    # Uganda
    "STANBIC BANK UGANDA",
    "CENTENARY BANK",
    "DFCU BANK",
    "EQUITY BANK UGANDA",
    "HOUSING FINANCE BANK",
    "POSTBANK UGANDA",
    "BANK OF BARODA",
    "ABSA BANK UGANDA",
    "KCB BANK UGANDA",
    # Ethiopia
    "COMMERCIAL BANK OF ETHIOPIA",
    "CBE",
    "DASHEN BANK",
    "AWASH BANK",
    "BANK OF ABYSSINIA",
    "WEGAGEN BANK",
    "HIBRET BANK",
    "UNITED BANK",
    "NIB INTERNATIONAL BANK",
    "NIB BANK",
    "ZEMEN BANK",
    "COOPERATIVE BANK OF OROMIA",
    "OROMIA BANK",
    "BERHAN BANK",
    "BUNNA BANK",
    "ABAY BANK",
    "ENAT BANK",
    "AMHARA BANK",
    "SIINQEE BANK",
    "TSEHAY BANK",
    "ZAMZAM BANK",
    # Djibouti
    "BCIMR",
    "CAC INTERNATIONAL BANK",
    "SALAAM AFRICAN BANK",
    "EAST AFRICA BANK",
    "BANK OF AFRICA MER ROUGE",
    "EXIM BANK DJIBOUTI",
)
"""Banks of Kenya, Uganda, Ethiopia and Djibouti whose names narratives carry before an account number
(``IFT TO ABEBE KEBEDE DASHEN BANK 4099755125010``); longer names first where one contains another."""

BANK_CANONICAL: dict[str, str] = {
    "KCB": "KCB BANK KENYA",
    "KCB BANK": "KCB BANK KENYA",
    "EQUITY BANK": "EQUITY BANK KENYA",
    "CO-OPERATIVE BANK": "CO-OPERATIVE BANK OF KENYA",
    "COOPERATIVE BANK": "CO-OPERATIVE BANK OF KENYA",
    "NCBA": "NCBA BANK KENYA",
    "NCBA BANK": "NCBA BANK KENYA",
    "ABSA": "ABSA BANK KENYA",
    "ABSA BANK": "ABSA BANK KENYA",
    "STANBIC BANK": "STANBIC BANK KENYA",
    "STANDARD CHARTERED": "STANDARD CHARTERED BANK",
    "DTB": "DIAMOND TRUST BANK",
    "CBE": "COMMERCIAL BANK OF ETHIOPIA",
    "NIB BANK": "NIB INTERNATIONAL BANK",
    "OROMIA BANK": "COOPERATIVE BANK OF OROMIA",
}
"""Short or older bank names -> the name used in keys, so ``KCB 123`` and ``KCB BANK KENYA 123`` meet
(the Kenyan default for names shared across countries; pass ``institution=`` for your own statements)."""


def bank_institution(name: str) -> str:
    """The canonical institution for a bank name found in a narrative.

    >>> bank_institution("cbe"), bank_institution("Dashen  Bank")
    ('COMMERCIAL BANK OF ETHIOPIA', 'DASHEN BANK')
    """
    up = re.sub(r"\s+", " ", str(name).upper()).strip()
    return BANK_CANONICAL.get(up, up)


_BANK_ALT = "|".join(re.escape(b).replace(r"\ ", r"\s+") for b in sorted(BANK_NAMES, key=len, reverse=True))
BANK_IN_TEXT = (
    rf"(?i)\b(?:to|from|by|beneficiary|benef)\s+(?P<name>[^\d]+?)\s+(?P<bank>{_BANK_ALT})\s*(?:a/?c\.?\s*(?:no\.?)?\s*)?"
    rf"(?P<acct>\d{{6,20}})\b"
)
"""A narrative naming a counterparty, a known bank and an account number."""

META_KEYS: dict[str, tuple[str, ...]] = {
    "account": (
        "account number",
        "account no",
        "account num",
        "a c no",
        "a c number",
        "acc no",
        "account",
        "iban",
        "account iban",
    ),
    "msisdn": ("mobile number", "msisdn", "phone number", "mobile no", "phone"),
    "short_code": (
        "short code",
        "shortcode",
        "organization short code",
        "organisation short code",
        "paybill",
        "till number",
    ),
    "holder": (
        "account name",
        "account holder",
        "account holder name",
        "customer name",
        "name",
        "organization name",
        "organisation name",
        "account owner",
        "holder",
    ),
    "currency": ("currency", "account currency", ""),
    "institution": ("bank", "bank name", "institution"),
}
"""Keys of the ``Key : Value`` lines above a statement's header, by what they give."""

STATUS_WORDS: dict[str, str] = {
    "completed": "completed",
    "complete": "completed",
    "success": "completed",
    "successful": "completed",
    "succeeded": "completed",
    "ok": "completed",
    "posted": "completed",
    "approved": "completed",
    "settled": "completed",
    "done": "completed",
    "failed": "failed",
    "failure": "failed",
    "declined": "failed",
    "rejected": "failed",
    "cancelled": "failed",
    "canceled": "failed",
    "expired": "failed",
    "error": "failed",
    "timed out": "failed",
    "timeout": "failed",
    "reversed": "reversed",
    "reversal": "reversed",
    "refunded": "reversed",
    "rolled back": "reversed",
    "pending": "pending",
    "in progress": "pending",
    "processing": "pending",
    "authorized": "pending",
    "authorised": "pending",
    "initiated": "pending",
    "queued": "pending",
}
"""Provider status words (normalised) -> canonical status; a status not listed sends the row to rejects."""
