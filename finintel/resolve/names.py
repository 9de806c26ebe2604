"""Personal and company names as East African records write them: transliterate, normalise, compare.

The same person appears as ``JOHN K. MWANGI`` on an M-Pesa statement,
``Mwangi John Kamau`` in a bank's KYC and ``MWANGI, JOHN`` in a goAML report;
``Mohammed``, ``Mohamed`` and ``Muhammad`` are one name in three spellings,
and ``መሐመድ`` or ``محمد`` the same name in Ge'ez or Arabic script.

- :func:`transliterate` turns any script into ASCII: ``anyascii`` when it is
  installed, else built-in tables for Ge'ez (Amharic, Tigrinya) and Arabic,
  and Unicode decomposition for accented Latin.
- :func:`name_tokens` normalises: upper case, titles and legal forms dropped,
  ``Abdul Rahman``/``Abdirahman`` joined, spelling variants folded (``OU``→``U``,
  doubled letters, ``O``→``U``, ``E``→``I``, ``PH``→``F``...).
- :func:`name_similarity` compares token sets, order-free (given name, father's
  name and grandfather's name come in any order), an initial matching any
  token with that letter, extra middle names costing little.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz.distance import JaroWinkler

__all__ = ["name_key", "name_similarity", "name_tokens", "skeleton", "transliterate"]

_TITLES = {
    "MR", "MRS", "MS", "MISS", "DR", "PROF", "ENG", "HON", "REV", "SIR", "ALHAJI", "ALHAJ", "HAJI", "HAJJI", "SHEIKH",
    "SHEIK", "SH", "ATO", "WRO", "WEIZERO", "WOIZERO", "WZRO", "WRT", "MAMA", "BABA", "CAPT", "GEN", "COL", "MZEE",
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
    "GEBRE",
    "GEBRA",
    "GBR",
    "WOLDE",
    "WOLD",
    "WLD",
    "WELDE",
}

# Ge'ez syllabary: U+1200.. in rows of 8 (consonant x vowel order)
_GEEZ_CONS = (
    "h l h m s r s sh q qw q qw b v t ch h hw n ny ' k kw kh kw w ' z zh y d d j g gw g t ch p ts ts f p"
).split()  # fmt: skip
_GEEZ_VOW = ("", "u", "i", "a", "e", "", "o", "wa")  # the 1st-order vowel (ä) is written a or e: left out
_ARABIC = {
    "ا": "a", "أ": "a", "إ": "i", "آ": "a", "ب": "b", "ت": "t", "ث": "th", "ج": "j", "ح": "h", "خ": "kh", "د": "d",
    "ذ": "dh", "ر": "r", "ز": "z", "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "ع": "a", "غ": "gh",
    "ف": "f", "ق": "q", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "و": "u", "ي": "i", "ى": "a", "ة": "a",
    "ء": "", "ؤ": "u", "ئ": "i", "پ": "p", "چ": "ch", "ڤ": "v", "گ": "g", "ی": "i", "ک": "k",
}  # fmt: skip


try:  # optional: wider script coverage than the built-in tables
    from anyascii import anyascii as _anyascii  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    _anyascii = None


@lru_cache(maxsize=200_000)
def transliterate(text: str) -> str:
    """ASCII rendering of a name in any script.

    Examples
    --------
    >>> transliterate("ተስፋዬ"), transliterate("José Núñez")
    ('tsfaye', 'Jose Nunez')
    >>> transliterate("محمد")
    'mhmd'
    """
    if _anyascii is not None:
        return str(_anyascii(text))
    out = []
    for ch in text:
        cp = ord(ch)
        if 0x1200 <= cp < 0x1200 + 8 * len(_GEEZ_CONS):
            row, vow = divmod(cp - 0x1200, 8)
            cons = _GEEZ_CONS[row]
            out.append(("a" if vow == 0 else _GEEZ_VOW[vow]) if cons == "'" else cons + _GEEZ_VOW[vow])
        elif ch in _ARABIC:
            out.append(_ARABIC[ch])
        elif 0x064B <= cp <= 0x065F or cp == 0x0640:  # harakat, tatweel
            continue
        elif cp == 0x1361:  # Ethiopic word space
            out.append(" ")
        else:
            out.append(ch)
    text = "".join(out)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


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
    text = transliterate(str(name)).upper()
    text = re.sub(r"[^A-Z0-9' ]+", " ", text.replace("/", " ").replace("-", " ")).replace("'", "")
    raw = [t for t in text.split() if t not in _TITLES and t not in _LEGAL]
    joined: list[str] = []
    i = 0
    while i < len(raw):
        t = raw[i]
        if t in _PREFIX_JOIN and i + 1 < len(raw):
            head = (
                "ABD"
                if t.startswith("ABD")
                else "GBR"
                if t.startswith("GEB")
                else "WLD"
                if t.startswith(("WOL", "WEL"))
                else t
            )
            t, i = head + raw[i + 1], i + 1
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
    >>> round(name_similarity("Mohammed Yusuf Ali", "MUHAMMAD YOUSSEF ALI"), 2)
    0.95
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
