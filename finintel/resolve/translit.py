"""One transliteration of Ethiopic (Ge'ez) and Arabic names into the Latin spellings records use.

The same person is ``ተስፋዬ ገብረመድኅን`` in an Ethiopian bank's KYC, ``TESFAYE G/MEDHIN`` in
its SWIFT message and ``Tesfay Gebremedhin`` on a sanctions list. Every module that
compares names (:mod:`finintel.resolve.names`, :mod:`finintel.detect.watchlist`) goes
through this module so that the three meet.

- :func:`transliterate` renders Ge'ez syllables the way passports and bank records
  spell Amharic and Tigrinya names (ተስፋዬ -> Tesfaye, ብርሃኑ -> Birhanu, ኃይለ -> Haile),
  Arabic script letter by letter (with the spellings of the commonest names: محمد ->
  Mohammed), accented Latin without accents; ``anyascii``, when installed, only for
  other scripts.
- :func:`canonical_tokens` folds what records write differently for one name:
  ``G/``, ``W/``, ``H/``, ``T/``, ``K/`` abbreviations (``G/Medhin`` = ``Gebremedhin``),
  spelling variants (``Tesfaie``/``Tesfay`` = ``Tesfaye``, ``Mohamed``/``Muhammad`` =
  ``Mohammed``, Somali ``Maxamed``), and compounds written apart (``Haile Mariam`` =
  ``Hailemariam``).

Ge'ez rules
-----------
A syllable's consonant takes its vowel order: 1st ``e`` (``a`` after h and the glottals,
``o`` after w: ወልደ -> Wolde), 2nd ``u``, 3rd ``i``, 4th ``a``, 5th ``e``, 7th ``o``,
8th ``wa``; labialised letters ``kw``/``gw``/``hw`` (ኋ -> hwa). The 6th order writes
the consonant alone or with a short ``i``; records insert that ``i`` where Amharic
speakers hear it: after a word-initial consonant (ግርማ -> Girma, ምሕረት -> Mihret), to
break three consonants (መስፍን -> Mesfin) and final clusters other than ``st``
(ትዕግስት -> Tigist, ሽመልስ -> Shimelis). ይ after a vowel is ``i`` (ኃይሌ -> Haile),
ቅ is ``k`` (በቀለ -> Bekele), final ኝ is ``gn`` (ደሳለኝ -> Desalegn). Gemination is not
written in the script; the spellings of a few very common names that double a letter
(ዮሐንስ -> Yohannes) come from :data:`GEEZ_NAMES`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["ARABIC_NAMES", "GEEZ_NAMES", "VARIANTS", "canonical_tokens", "transliterate"]

# Ge'ez rows of 8 code points from U+1200 -> consonant ("" = glottal/pharyngeal vowel carrier)
_ROWS = {
    0x1200: "h", 0x1208: "l", 0x1210: "h", 0x1218: "m", 0x1220: "s", 0x1228: "r", 0x1230: "s", 0x1238: "sh",
    0x1240: "k", 0x1250: "kh", 0x1260: "b", 0x1268: "v", 0x1270: "t", 0x1278: "ch", 0x1280: "h", 0x1290: "n",
    0x1298: "ny", 0x12A0: "", 0x12A8: "k", 0x12B8: "h", 0x12C8: "w", 0x12D0: "", 0x12D8: "z", 0x12E0: "zh",
    0x12E8: "y", 0x12F0: "d", 0x12F8: "d", 0x1300: "j", 0x1308: "g", 0x1318: "ng", 0x1320: "t", 0x1328: "ch",
    0x1330: "p", 0x1338: "ts", 0x1340: "ts", 0x1348: "f", 0x1350: "p",
}  # fmt: skip
_LABIAL = {0x1248: "kw", 0x1258: "khw", 0x1288: "hw", 0x12B0: "kw", 0x12C0: "hw", 0x1310: "gw"}  # ቈ ቘ ኈ ኰ ዀ ጐ
_LABIAL_VOWEL = {0: "e", 2: "i", 3: "a", 4: "e", 5: ""}
_ORDER_VOWEL = ("e", "u", "i", "a", "e", "", "o", "wa")
_PUNCT = {"\u1361": " ", "\u1362": " ", "\u1363": ",", "\u1364": ";", "\u1365": ":", "\u1366": ":", "\u1368": " "}
_FINAL_OK = {("s", "t")}  # final clusters records write without a vowel: ትዕግስት Tigist, ቅድስት Kidist

GEEZ_NAMES = {
    "ዮሐንስ": "Yohannes", "ዮሃንስ": "Yohannes", "ታደሰ": "Tadesse", "ተሰማ": "Tessema", "ደሳለኝ": "Dessalegn",
    "ሚካኤል": "Mikael", "ኢትዮጵያ": "Ethiopia", "መንግሥቱ": "Mengistu", "መንግስቱ": "Mengistu", "ሥላሴ": "Selassie",
    "ስላሴ": "Selassie", "ሰላም": "Selam", "ሃና": "Hanna", "ሐና": "Hanna", "ማርያም": "Mariam", "ኢየሱስ": "Iyesus",
    "እግዚአብሔር": "Egziabher", "ገብረእግዚአብሔር": "Gebreegziabher", "ጊዮርጊስ": "Giorgis", "ሙሴ": "Musse",
    "አብርሃም": "Abraham", "ሰሎሞን": "Solomon", "ግደይ": "Gidey", "መሐመድ": "Mohammed", "መሀመድ": "Mohammed", "ሙሐመድ": "Mohammed", "አሕመድ": "Ahmed", "አህመድ": "Ahmed",
}  # fmt: skip
"""Whole Ge'ez words whose usual Latin spelling the letter rules cannot give (gemination, church names)."""

_ARABIC = {
    "ا": "a", "أ": "a", "إ": "i", "آ": "a", "ب": "b", "ت": "t", "ث": "th", "ج": "j", "ح": "h", "خ": "kh", "د": "d",
    "ذ": "dh", "ر": "r", "ز": "z", "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "ع": "a", "غ": "gh",
    "ف": "f", "ق": "q", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "و": "u", "ي": "i", "ى": "a", "ة": "a",
    "ء": "", "ؤ": "u", "ئ": "i", "پ": "p", "چ": "ch", "ڤ": "v", "گ": "g", "ی": "i", "ک": "k",
}  # fmt: skip
ARABIC_NAMES = {
    "محمد": "Mohammed", "أحمد": "Ahmed", "احمد": "Ahmed", "محمود": "Mahmoud", "علي": "Ali", "على": "Ali",
    "حسن": "Hassan", "حسين": "Hussein", "عمر": "Omar", "عثمان": "Osman", "يوسف": "Yusuf", "إبراهيم": "Ibrahim",
    "ابراهيم": "Ibrahim", "إسماعيل": "Ismail", "اسماعيل": "Ismail", "عبدالله": "Abdullahi", "عبد الله": "Abdullahi",
    "عبدالرحمن": "Abdirahman", "عبد الرحمن": "Abdirahman", "فاطمة": "Fatuma", "عائشة": "Aisha", "خديجة": "Khadija",
    "آدم": "Adam", "موسى": "Musa", "عيسى": "Issa", "صالح": "Saleh", "خالد": "Khalid", "سعيد": "Said",
}  # fmt: skip
"""The commonest Arabic-script names, spelled as East African records spell them (short vowels are not written)."""

VARIANTS = {
    "tesfaye": ("tesfaie", "tesfay", "tesfai", "tesfaye", "tesfayie"),
    "haile": ("hayle", "hailie", "hayile", "haile", "hailay"),
    "gebre": ("gebra", "gabre", "gebere", "gebri", "gabra", "gebrai"),
    "wolde": ("welde", "walde", "wolda", "welda", "woldie"),
    "tekle": ("tekele", "teklai", "tekla"),
    "kidane": ("kidanie", "kidani"),
    "tsegaye": ("tsegay", "tsegai", "segaye", "tsigaye"),
    "yohannes": ("yohanes", "yohannis", "yohanis", "johannes", "yohannnes"),
    "birhanu": ("berhanu", "brhanu", "birhano"),
    "mihret": ("mehret", "miheret", "mhret"),
    "mulugeta": ("mulugueta", "mullugeta"),
    "dessalegn": ("desalegn", "desalegne", "dessalegne", "dessaleny"),
    "gebremedhin": ("gebremedehin", "gebremehdin"),
    "mohammed": (
        "mohamed", "muhammad", "muhammed", "mohammad", "mohamad", "muhamed", "mohamud", "mohamoud", "maxamed",
        "mahamed", "mohammod", "mouhamed", "mohamet",
    ),
    "ahmed": ("ahmad", "axmed", "ahmet", "ahamed"),
    "ali": ("cali", "aly"),
    "omar": ("umar", "cumar", "omer"),
    "hassan": ("hasan", "xasan", "hasen"),
    "hussein": ("husein", "hussain", "husain", "xuseen", "hussien", "houssein"),
    "yusuf": ("yousuf", "youssouf", "yussuf", "yusef", "yousef", "youssef", "yusuuf"),
    "ibrahim": ("ibraahim", "ebrahim", "ibrahima"),
    "ismail": ("ismael", "ismaaciil", "ismaciil", "ismayil"),
    "abdullahi": ("abdulahi", "abdillahi", "cabdullahi", "abdallah", "abdullah", "abdalla"),
    "fatuma": ("fatima", "fatouma", "faduma", "fadumo", "fatma", "faatuma"),
    "osman": ("othman", "usman", "cusmaan", "osmaan"),
}  # fmt: skip
"""Canonical spelling -> spellings of the same name seen in East African records (lower case)."""

_ARABIC_PHRASES = sorted((k for k in ARABIC_NAMES if " " in k), key=len, reverse=True)
_CANON = {v: k for k, vs in VARIANTS.items() for v in (*vs, k)}
_ABBREV = {"g": "gebre", "w": "wolde", "h": "haile", "t": "tekle", "k": "kidane"}
_HEADS = ("gebre", "wolde", "haile", "tekle", "kidane", "habte", "zere", "fikre", "tesfa", "hagere")
_TAILS = {
    "mariam", "maryam", "medhin", "medihin", "michael", "mikael", "mikail", "selassie", "selasie", "silassie",
    "sellasie", "egziabher", "yesus", "iyesus", "kidan", "giorgis", "giyorgis", "tsadik", "amlak", "hiwot",
    "meskel", "hawariat", "haimanot", "haymanot", "gabriel", "gebriel", "kristos", "christos", "lul", "tensae",
}  # fmt: skip
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_HEAD_SPELLINGS = sorted({*_HEADS, *(v for v, k in _CANON.items() if k in _HEADS)}, key=len, reverse=True)

try:  # optional: other scripts (Cyrillic, Chinese...) when installed; never used for Ge'ez or Arabic
    from anyascii import anyascii as _anyascii  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    _anyascii = None


@lru_cache(maxsize=200_000)
def transliterate(text: str) -> str:
    """ASCII rendering of a name in Ge'ez, Arabic or accented Latin script, as records spell it.

    Parameters
    ----------
    text : str
        A name or any text; Latin letters pass through unchanged (accents dropped).

    Returns
    -------
    str
        ASCII text; each Ge'ez or Arabic word capitalised (the scripts have no case).

    Examples
    --------
    >>> transliterate("ተስፋዬ ግርማ"), transliterate("ኃይለ ሥላሴ"), transliterate("ብርሃኑ")
    ('Tesfaye Girma', 'Haile Selassie', 'Birhanu')
    >>> transliterate("ወልደ ምሕረት"), transliterate("ፀጋዬ") == transliterate("ጸጋዬ") == "Tsegaye"
    ('Wolde Mihret', True)
    >>> transliterate("محمد علي"), transliterate("José Núñez")
    ('Mohammed Ali', 'Jose Nunez')
    """
    if text.isascii():
        return text
    out = re.sub(r"[\u1200-\u137f]+", lambda m: _geez_word(m.group()), str(text))
    for phrase in _ARABIC_PHRASES:
        out = out.replace(phrase, ARABIC_NAMES[phrase])
    out = re.sub(r"[\u0600-\u06ff]+", lambda m: _arabic_word(m.group()), out)
    if _anyascii is not None and not out.isascii():
        out = str(_anyascii(out))
    return unicodedata.normalize("NFKD", out).encode("ascii", "ignore").decode("ascii")


def canonical_tokens(text: str) -> tuple[str, ...]:
    """Lower-case tokens of a name with abbreviations expanded, variant spellings and split compounds folded.

    Parameters
    ----------
    text : str
        A name in any script (transliterated first).

    Returns
    -------
    tuple of str
        Tokens in written order: ``G/``, ``W/``, ``H/``, ``T/``, ``K/`` become Gebre, Wolde, Haile,
        Tekle, Kidane joined to the next word; a spelling in :data:`VARIANTS` becomes its canonical
        form; a head (Gebre, Wolde, Haile...) followed by a church name (Mariam, Medhin, Selassie...)
        is written as one word. The titles ``W/ro`` and ``W/t`` become ``woizero`` and ``woizerit``.

    Examples
    --------
    >>> canonical_tokens("TESFAIE G/Medhin")
    ('tesfaye', 'gebremedhin')
    >>> canonical_tokens("Tesfay Gebra Medhin") == canonical_tokens("ተስፋዬ ገብረመድህን")
    True
    >>> canonical_tokens("Hayle Mariam"), canonical_tokens("W/ro Almaz W/Michael")
    (('hailemariam',), ('woizero', 'almaz', 'woldemichael'))
    >>> canonical_tokens("Maxamed Cali"), canonical_tokens("Tefera")
    (('mohammed', 'ali'), ('tefera',))
    """
    low = transliterate(str(text)).lower()
    if "/" in low:
        low = re.sub(r"\bw\s*/\s*(?:ro|o)\b", "woizero", low)  # titles: Woizero (Mrs), Woizerit (Miss)
        low = re.sub(r"\bw\s*/\s*(?:t|rt|ri)\b", "woizerit", low)
        low = re.sub(r"\b([gwhtk])\s*/\s*(?=[a-z])", lambda m: _ABBREV[m.group(1)] + "\x00", low).replace("\x00", "")
    toks = [_split_compound(t) for t in _NON_ALNUM.split(low) if t]
    flat = [p for t in toks for p in t]
    out: list[str] = []
    i = 0
    while i < len(flat):
        t = flat[i]
        if t in _HEADS and i + 1 < len(flat) and flat[i + 1] in _TAILS:
            t, i = t + flat[i + 1], i + 1
        out.append(_CANON.get(t, t))
        i += 1
    return tuple(out)


@lru_cache(maxsize=100_000)
def _split_compound(token: str) -> tuple[str, ...]:
    """``gebramedhin`` -> (``gebre``, ``medhin``) when both halves are known; else the token canonicalised."""
    for head in _HEAD_SPELLINGS:
        if token.startswith(head) and token[len(head) :] in _TAILS:
            return (_CANON.get(head, head), token[len(head) :])
    return (_CANON.get(token, token),)


def _syllables(word: str) -> list[tuple[str, int]]:
    """(consonant, vowel order 1-8) per Ge'ez letter; order 0 for punctuation and unknown letters."""
    out = []
    for ch in word:
        cp = ord(ch)
        row, col = cp - (cp - 0x1200) % 8, (cp - 0x1200) % 8
        if row in _LABIAL and col in _LABIAL_VOWEL:
            out.append((_LABIAL[row] + _LABIAL_VOWEL[col] if col != 5 else _LABIAL[row], -1))
        elif row in _ROWS:
            out.append((_ROWS[row], col + 1))
        else:
            out.append((_PUNCT.get(ch, ""), 0))
    return out


def _geez_word(word: str) -> str:
    parts = re.split(r"([\u1360-\u137f])", word)  # Ethiopic punctuation and numerals split words
    return "".join(_PUNCT.get(p, "") if len(p) == 1 and p in _PUNCT else _one_word(p) for p in parts if p)


@lru_cache(maxsize=100_000)
def _one_word(word: str) -> str:
    if word in GEEZ_NAMES:
        return GEEZ_NAMES[word]
    syl = _syllables(word)
    # segments: (consonant or "", vowel or None); None marks a bare 6th-order consonant
    seg: list[list[str | None]] = []
    for i, (c, order) in enumerate(syl):
        if order == -1:  # labialised, vowel already attached ("" for the 6th order)
            seg.append([c, None] if c.endswith("w") and c in _LABIAL.values() else [c, ""])
        elif order == 0:
            continue
        elif c == "":  # glottal/pharyngeal: a vowel alone
            v = "a" if order in (1, 4, 8) else ("e" if i == 0 else "i") if order == 6 else _ORDER_VOWEL[order - 1]
            if seg and seg[-1][1] is None and order != 6:
                seg[-1][1] = "i"  # ዳንኤል Daniel, ገብርኤል Gebriel
            seg.append(["", v])
        elif order == 6 and c == "y":
            seg.append(["y" if i == 0 else "", "i"])  # ይመር Yimer, ኃይሌ Haile, ሕይወት Hiwot
        elif order == 6:
            seg.append(["gn" if c == "ny" and i == len(syl) - 1 else c, None])
        else:
            v = _ORDER_VOWEL[order - 1]
            if order == 1 and c == "h":
                v = "a"  # ሀይለ Haile, ሐጎስ Hagos
            elif order == 1 and c == "w":
                v = "o"  # ወልደ Wolde, ወርቁ Worku
            seg.append([c, v])
    _epenthesis(seg)
    text = "".join(f"{c}{v or ''}" for c, v in seg)
    return text[:1].upper() + text[1:]


def _epenthesis(seg: list[list[str | None]]) -> None:
    """Give bare consonants the short ``i`` records write: initial, in triple clusters, in final clusters."""
    n = len(seg)
    i = 0
    while i < n:
        if seg[i][1] is not None:
            i += 1
            continue
        j = i
        while j < n and seg[j][1] is None:
            j += 1
        run = list(range(i, j))  # bare consonants i..j-1
        onset = 1 if j < n and seg[j][0] else 0  # the next syllable starts with a consonant
        if i == 0 and len(run) + onset >= 2:
            seg[i][1] = "u" if seg[i][0] == "w" else "i"  # ግርማ Girma, ውበት Wubet
            run = run[1:]
        if j == n:  # final cluster
            while len(run) >= 2:
                if len(run) == 2 and (seg[run[0]][0], seg[run[1]][0]) in _FINAL_OK:
                    break
                if len(run) == 3 and (seg[run[1]][0], seg[run[2]][0]) in _FINAL_OK:
                    seg[run[0]][1] = "i"  # ትዕግስት Tigist
                    break
                seg[run[-2]][1] = "i"  # መስፍን Mesfin, ሽመልስ Shimelis
                run = run[:-2]
        else:  # medial: the run and the next onset make at most two consonants
            while len(run) + onset >= 3:
                seg[run[1]][1] = "i"
                run = run[2:]
        i = j


def _arabic_word(word: str) -> str:
    if word in ARABIC_NAMES:
        return ARABIC_NAMES[word]
    text = "".join(_ARABIC.get(ch, "") for ch in word)  # harakat, tatweel and other marks are dropped
    return text[:1].upper() + text[1:]
