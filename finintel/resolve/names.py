"""Personal and company names as East African records write them: transliterate, normalise, compare.

The same person appears as ``JOHN K. MWANGI`` on an M-Pesa statement,
``Mwangi John Kamau`` in a bank's KYC and ``MWANGI, JOHN`` in a goAML report;
``Mohammed``, ``Mohamed`` and ``Muhammad`` are one name in three spellings,
and ``መሐመድ`` or ``محمد`` the same name in Ge'ez or Arabic script.

- :func:`transliterate` (from :mod:`finintel.resolve.translit`, shared with the
  watchlist screen) renders Ge'ez (Amharic, Tigrinya) and Arabic names the way
  records spell them (ተስፋዬ -> Tesfaye), accented Latin without accents.
- :func:`name_tokens` normalises: ``G/``, ``W/``, ``H/`` abbreviations expanded and
  known spelling variants canonicalised (:func:`~finintel.resolve.translit.canonical_tokens`),
  upper case, titles and legal forms dropped, ``Abdul Rahman``/``Abdirahman`` joined,
  spelling variants folded (``OU``→``U``, doubled letters, ``O``→``U``, ``E``→``I``,
  ``PH``→``F``...).
- :func:`name_similarity` compares token sets, order-free (given name, father's
  name and grandfather's name come in any order), an initial matching any
  token with that letter, extra middle names costing little.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import JaroWinkler

from finintel.resolve.translit import canonical_tokens, transliterate

__all__ = ["name_key", "name_similarity", "name_tokens", "skeleton", "transliterate"]

_TITLES = {
    "MR", "MRS", "MS", "MISS", "DR", "PROF", "ENG", "HON", "REV", "SIR", "ALHAJI", "ALHAJ", "HAJI", "HAJJI", "SHEIKH",
    "SHEIK", "SH", "ATO", "WRO", "WEIZERO", "WOIZERO", "WOIZERIT", "WZRO", "WRT", "MAMA", "BABA", "CAPT", "GEN", "COL", "MZEE",
    "BIN", "BINT", "IBN", "AL", "EL", "ELH",
}  # fmt: skip
_LEGAL = {
    "LTD", "LIMITED", "PLC", "INC", "LLC", "CO", "COMPANY", "CORP", "CORPORATION", "SARL", "SA", "GMBH",
    "ENTERPRISE", "ENTERPRISES", "THE", "AND", "OF",
}  # fmt: skip
_PREFIX_JOIN = {
    "ABDUL",
    "ABDEL",
    "ABDOUL",
    "ABDU",
    "ABD",
    "ABDUR",
    "ABDIL",
    "ABU",
    "ABOU",
}


def _fold(token: str) -> str:
    """Fold transliteration variants of one upper-case token."""
    t = token
    for a, b in (("PH", "F"), ("KH", "H"), ("GH", "G"), ("OU", "U"), ("OO", "U"), ("EE", "I"), ("IE", "I"), ("EI", "I"),
                 ("AI", "A"), ("AY", "A"), ("EY", "I"), ("Q", "K"), ("CK", "K"), ("DH", "D"), ("TH", "T"), ("J", "J")):  # fmt: skip
        t = t.replace(a, b)
    t = t.replace("O", "U").replace("E", "I")
    t = re.sub(r"([A-Z])\1+", r"\1", t)
    if len(t) > 3 and t.endswith("H") and t[-2] in "AIU":
        t = t[:-1]  # ABDALLAH / ABDALLA, FATUMAH / FATUMA
    return t


@lru_cache(maxsize=200_000)
def name_tokens(name: str) -> tuple[str, ...]:
    """Normalised tokens of a name, in their written order.

    Examples
    --------
    >>> name_tokens("Dr. Mohammed  Abdul Rahman")
    ('MUHAMID', 'ABDRAHMAN')
    >>> name_tokens("MWANGI, John K.")
    ('MWANGI', 'JUHN', 'K')
    >>> name_tokens("Blue Nile Trading PLC")
    ('BLUI', 'NILI', 'TRADING')
    """
    text = str(name).replace("'", "")  # D'Souza, Ge'ez apostrophes: one word
    raw = [t for t in (c.upper() for c in canonical_tokens(text)) if t not in _TITLES and t not in _LEGAL]
    joined: list[str] = []
    i = 0
    while i < len(raw):
        t = raw[i]
        if t in _PREFIX_JOIN and i + 1 < len(raw):
            t, i = ("ABD" if t.startswith("ABD") else t) + raw[i + 1], i + 1
        elif t.startswith(("ABDUL", "ABDIL", "ABDI", "ABDEL", "ABDOUL", "ABDUR")) and len(t) > 6:  # Abdirahman
            t = "ABD" + re.sub(r"^ABD(UL|IL|EL|OUL|UR|I)", "", t)
        joined.append(t)
        i += 1
    return tuple(_fold(t) if len(t) > 1 else t for t in joined)


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """Consonant skeleton of a folded token, for blocking (vowels after the first letter dropped).

    >>> skeleton("MUHAMID"), skeleton("MUHAMAD"), skeleton("ABRAHIM"), skeleton("IBRAHIM")
    ('MHMD', 'MHMD', 'ABRHM', 'ABRHM')
    """
    head = "A" if token[:1] in "AEIOU" else token[:1]
    return re.sub(r"([A-Z])\1+", r"\1", head + re.sub(r"[AEIOUYW]", "", token[1:]))


def name_key(name: str) -> str:
    """Order-free key of a name: its sorted folded tokens.

    >>> name_key("Mwangi John Kamau") == name_key("JOHN KAMAU MWANGI")
    True
    """
    return " ".join(sorted(name_tokens(name)))


_VOWELS = re.compile("[AEIOU]")


@lru_cache(maxsize=500_000)
def _token_sim(a: str, b: str) -> float:
    if len(a) == 1 or len(b) == 1:
        return 0.9 if a[0] == b[0] else 0.0
    if a == b:
        return 1.0
    s = JaroWinkler.similarity(a, b)
    if skeleton(a) == skeleton(b):
        if s >= 0.8:  # same consonants, close vowels: a spelling variant (MUHAMID/MUHAMAD, YUSUF/YUSIF)
            return max(s, 0.9)
        if not _VOWELS.search(a[1:]) or not _VOWELS.search(b[1:]):
            return 0.85  # Arabic and Ge'ez script write no short vowels: MHMD is likely, not surely, MUHAMID
    # different consonants must be near-identical: WANJIRU and WANJIKU are two names (0.97 by Jaro-Winkler alone);
    # same consonants with other vowels are other names too (HASAN, HUSIN)
    s -= 0.1
    return s if s >= 0.88 else 0.0


def name_similarity(a: str | tuple[str, ...], b: str | tuple[str, ...]) -> float:
    """Similarity of two names, 0-1, insensitive to token order, initials and spelling variants.

    At least two full tokens must agree (one when a name has a single token).

    Examples
    --------
    >>> round(name_similarity("JOHN K. MWANGI", "Mwangi John Kamau"), 3)
    0.967
    >>> round(name_similarity("Mohammed Yusuf Ali", "MUHAMMAD YOUSSEF ALI"), 2)  # known variants: equal
    1.0
    >>> name_similarity("Tesfaye G/Medhin", "TESFAI GEBREMEDHIN"), name_similarity("Tesfaye Girma", "Tefera Girma")
    (1.0, 0.0)
    >>> name_similarity("Mohamed Hassan", "Mohamed Hussein")
    0.0
    >>> name_similarity("ተስፋዬ ግርማ", "Tesfaye Girma") > 0.9
    True
    """
    ta = name_tokens(a) if isinstance(a, str) else a
    tb = name_tokens(b) if isinstance(b, str) else b
    if not ta or not tb:
        return 0.0
    if len(ta) > len(tb):
        ta, tb = tb, ta
    pairs = sorted(((_token_sim(x, y), i, j) for i, x in enumerate(ta) for j, y in enumerate(tb)), reverse=True)
    used_a: set[int] = set()
    used_b: set[int] = set()
    total, full = 0.0, 0
    for s, i, j in pairs:
        if s <= 0 or i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        total += s
        full += len(ta[i]) > 1 and len(tb[j]) > 1
    need = 1 if min(sum(len(t) > 1 for t in ta), sum(len(t) > 1 for t in tb)) <= 1 else 2
    if full < need:
        return 0.0
    return max(0.0, total / len(ta) - 0.05 * (len(tb) - len(used_b)))
