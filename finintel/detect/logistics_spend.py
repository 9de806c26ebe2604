"""Logistics spend: repeated lodging, transport and advertising payments with little living-expense spend."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from finintel.detect._alerts import make_alerts, money
from finintel.detect._registry import register
from finintel.detect._windows import blocks, duration_text, episodes, local_amounts, seconds

__all__ = ["LIVING_KEYWORDS", "LOGISTICS_KEYWORDS", "fold_text", "logistics_spend", "match_keywords", "spend_category"]

LOGISTICS_KEYWORDS: dict[str, tuple[str, ...]] = {
    "lodging": (
        "hotel",
        "motel",
        "lodge",
        "lodging",
        "guest house",
        "guesthouse",
        "hostel",
        "inn",
        "airbnb",
        "booking.com",
        "bnb",
        "b&b",
        "resort",
        "short stay",
        "oyo",  # English and platforms
        "hoteli",
        "nyumba ya wageni",
        "malazi",
        "gesti",
        "loji",  # Swahili
        "pension",
        "alga",
        "ሆቴል",
        "ፔንሲዮን",
        "አልጋ",  # Amharic (Ethiopian "pension" = small hotel)
        "auberge",
        "hebergement",
        "nuitee",
        "chambre d'hote",  # French (accents are folded)
    ),
    "transport": (
        "taxi",
        "uber",
        "bolt",
        "little cab",
        "matatu",
        "bus",
        "coach",
        "shuttle",
        "fare",
        "airline",
        "flight",
        "train",
        "sgr",
        "madaraka express",
        "boda",
        "tuk tuk",
        "easy coach",
        "modern coast",
        "nauli",
        "basi",
        "usafiri",  # Swahili: fare, bus, transport
        "bajaj",
        "awtobus",
        "selam bus",
        "sky bus",
        "ታክሲ",
        "አውቶቡስ",
        "ባጃጅ",  # Amharic
        "navette",
        "billet",
        "transport",
        "autocar",  # French
    ),
    "advertising": (
        "advert",
        "advertisement",
        "ads",
        "facebook ads",
        "meta platforms",
        "google ads",
        "tiktok ads",
        "classified",
        "jiji",
        "pigiame",
        "locanto",
        "skokka",
        "escort",
        "backpage",
        "massage",
        "tangazo",
        "matangazo",  # Swahili
        "mastawekia",
        "ማስታወቂያ",  # Amharic
        "annonce",
        "publicite",  # French
    ),
}
"""Words in a narrative or payee name per logistics category (English, Swahili, Amharic, French)."""

LIVING_KEYWORDS: tuple[str, ...] = (
    "supermarket",
    "grocery",
    "groceries",
    "naivas",
    "carrefour",
    "quickmart",
    "chandarana",
    "school",
    "hospital",
    "clinic",
    "pharmacy",
    "chemist",
    "kplc",
    "electricity",
    "water bill",
    "nhif",
    "sha contribution",
    "rent",
    "duka",
    "sokoni",
    "chakula",
    "unga",
    "shule",
    "hospitali",
    "dawa",
    "kodi ya nyumba",  # Swahili
    "suk",
    "megeb",
    "timihirt",
    "ሱቅ",
    "ምግብ",
    "ትምህርት",
    "ሆስፒታል",  # Amharic
    "supermarche",
    "epicerie",
    "ecole",
    "pharmacie",
    "hopital",
    "loyer",
    "electricite",  # French
)
"""Words marking ordinary living expenses: food, school, health, utilities, rent."""

_MCC = {
    "lodging": set(range(3501, 3999)) | {7011, 7012},
    "transport": {4111, 4121, 4131, 4411, 4511, 4582, 4722, 4784, 4789} | set(range(3000, 3351)),
    "advertising": {7311, 7319},
    "living": {5411, 5422, 5441, 5451, 5462, 5499, 5912, 8011, 8062, 8099, 8211, 8220, 4900},
}
_MCC_RE = r'"mcc"\s*:\s*"?(?P<mcc>\d{4})'


def _fold_one(s: str) -> str:
    """Case-folded, accents removed (hôtel -> hotel, publicité -> publicite); other scripts kept."""
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)).casefold()


def _arrow(col: pd.Series) -> pa.Array:
    return pa.array(col.astype(object).where(col.notna(), None).to_numpy(), type=pa.string())


def _join(*cols: pd.Series) -> pd.Series:
    """Text columns joined by " | " (missing parts as empty), as an Arrow-backed series."""
    parts = [pc.fill_null(_arrow(c), "") for c in cols]
    return pd.Series(pd.arrays.ArrowExtensionArray(pc.binary_join_element_wise(*parts, " | ")))


def _mcc(attributes: pd.Series) -> np.ndarray:
    """Merchant category codes found in the attributes JSON (``"mcc": "7011"``), -1 where none."""
    found = pc.struct_field(pc.extract_regex(_arrow(attributes), pattern=_MCC_RE), [0])
    return np.asarray(pc.fill_null(pc.cast(found, pa.int64(), safe=False), -1).to_numpy(zero_copy_only=False))


def fold_text(text: pd.Series) -> pa.Array:
    """Texts folded for keyword matching, vectorised in Arrow: NFKD, combining marks dropped, lower case."""
    arr = _arrow(text) if not isinstance(text.dtype, pd.ArrowDtype) else text.array._pa_array.combine_chunks()
    arr = pc.replace_substring_regex(pc.utf8_normalize(arr, "NFKD"), pattern=r"\p{Mn}", replacement="")
    return pc.utf8_lower(arr)


@functools.lru_cache(maxsize=64)
def _patterns(words: tuple[str, ...]) -> tuple[str | None, str | None]:
    folded = sorted({_fold_one(w) for w in words if w}, key=len, reverse=True)
    latin = [re.escape(w) for w in folded if w.isascii()]
    other = [re.escape(w) for w in folded if not w.isascii()]
    word = rf"\b(?:{'|'.join(latin)})(?:s|es)?\b" if latin else None
    return word, ("|".join(other) if other else None)


def match_keywords(folded: pa.Array, words: Sequence[str]) -> np.ndarray:
    """Which folded texts (from :func:`fold_text`) contain one of `words` as a whole word.

    Latin-script words match on word boundaries, with an optional plural ``s``/``es`` ("bus" never matches
    "business"); words in other scripts (Ethiopic) match anywhere. Matching runs in Arrow's RE2 engine,
    linear in the text whatever the number of words.

    >>> match_keywords(fold_text(pd.Series(["Hôtel Palace", "business lunch", "ሆቴል ክፍያ", None])), ["hotel", "bus", "ሆቴል"])
    array([ True, False,  True, False])
    """
    word, other = _patterns(tuple(words))
    hit = np.zeros(len(folded), dtype=bool)
    for pattern in (word, other):
        if pattern:
            hit |= pc.fill_null(pc.match_substring_regex(folded, pattern=pattern), False).to_numpy(zero_copy_only=False)
    return hit


def spend_category(
    tx: pd.DataFrame,
    keywords: Mapping[str, Sequence[str]] | None = None,
    living_keywords: Sequence[str] = LIVING_KEYWORDS,
) -> pd.Series:
    """The spend category of each transfer: a logistics category, ``living``, or missing.

    Read from the narrative and the payee's name (accents and case folded, whole words), and from a
    merchant category code (``"mcc"``) in ``attributes`` when a card or acquirer export gives one.

    >>> from finintel.testing import transactions
    >>> tx = transactions([("a", "b", 1, "2024-01-01", {"description": "Hôtel Palace nuitée"}),
    ...                    ("a", "c", 1, "2024-01-01", {"receiver_name": "Naivas Supermarket"}),
    ...                    ("a", "d", 1, "2024-01-01", {"description": "business lunch"}),
    ...                    ("a", "e", 1, "2024-01-01", {"description": "nauli ya basi"})])
    >>> spend_category(tx).tolist()
    ['lodging', 'living', None, 'transport']
    """
    keywords = LOGISTICS_KEYWORDS if keywords is None else keywords
    text = fold_text(_join(tx["description"], tx["receiver_name"]))
    mcc_num = _mcc(tx["attributes"])
    out = np.full(len(tx), None, dtype=object)
    for category, words in [*keywords.items(), ("living", living_keywords)]:
        hit = match_keywords(text, list(words))
        if category in _MCC:
            hit |= np.isin(mcc_num, list(_MCC[category]))
        out[hit & pd.isna(out)] = category
    return pd.Series(out, index=tx.index, dtype=object, name="category")


@register("logistics_spend", partition="sender")
def logistics_spend(
    tx: pd.DataFrame,
    *,
    keywords: Mapping[str, Sequence[str]] | None = None,
    living_keywords: Sequence[str] = LIVING_KEYWORDS,
    window: str = "30D",
    min_count: int = 5,
    max_living_share: float = 0.2,
    currency: str | None = "USD",
    fx_to_local: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Flag accounts that repeatedly pay for lodging, transport and advertising but hardly for living.

    Trafficking and exploitation need logistics: many short hotel stays, taxis and bus tickets, adverts on
    classified and escort sites, paid by one account, while the account shows little of what a person spends
    on their own life (food, school, health, utilities, rent). Each outgoing transfer is classified by
    :func:`spend_category`; an alert is raised when one sender makes at least `min_count` logistics payments
    within `window` and, over the same period, living expenses are at most `max_living_share` of the value
    of logistics plus living payments.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    keywords : mapping of str to sequence of str, optional
        Words per logistics category; default :data:`LOGISTICS_KEYWORDS` (English, Swahili, Amharic
        transliterations and script, French). Pass your own to add local hotel chains or sites.
    living_keywords : sequence of str
        Words marking living expenses; default :data:`LIVING_KEYWORDS`.
    window : str, default "30D"
        Window the logistics payments are counted in.
    min_count : int, default 5
        Fewest logistics payments in `window`.
    max_living_share : float, default 0.2
        Largest share of living expenses in the period.
    currency : str, optional
        Profile currency (for the amounts in the reason); others converted with `fx_to_local`.
    fx_to_local : mapping, optional
        Rates to the profile currency.

    Returns
    -------
    pandas.DataFrame
        Alerts then ``n_tx, categories, logistics_value, living_value, living_share``. ``score`` is
        ``min(1, 0.45 + 0.05 * (n_tx - min_count) + 0.1 * (n_categories - 1)
        + 0.2 * (1 - living_share / max_living_share))``.

    References
    ----------
    FinCEN FIN-2020-A008 (frequent payments to hotels, ride services, online advertising and escort sites,
    no living expenses), https://www.fincen.gov/resources/advisories/fincen-advisory-fin-2020-a008 ;
    FATF (2018), *Financial Flows from Human Trafficking*,
    https://www.fatf-gafi.org/en/publications/Methodsandtrends/Human-trafficking.html .

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> rows = [("acct-A", f"hotel{i}", 3_500, f"2024-03-{i + 1:02d}", {"receiver_name": f"Hotel No. {i}"})
    ...         for i in range(4)]
    >>> rows += [("acct-A", "jiji", 1_000, "2024-03-05", {"description": "Jiji ads premium"})]
    >>> alerts = logistics_spend(transactions(rows), profile="KE")
    >>> alerts[["entity", "n_tx", "categories", "living_share"]]
       entity  n_tx            categories  living_share
    0  acct-A     5  advertising, lodging           0.0
    >>> print(alerts.at[0, "reason"])
    5 payments for lodging (4) and advertising (1), KES 15,000.00 in all, within 4 days, with no spending on food, school, health or rent.
    """
    w = seconds(window)
    if len(tx) == 0:
        return make_alerts("logistics_spend", [])
    cat = spend_category(tx, keywords, living_keywords).to_numpy(dtype=object)
    amt = np.nan_to_num(local_amounts(tx, currency, fx_to_local))
    frame = tx[["tx_id", "timestamp", "sender"]].reset_index(drop=True).assign(_amt=amt, _cat=cat)
    logistics = frame[pd.notna(cat) & (cat != "living")].reset_index(drop=True)
    living = frame[cat == "living"].sort_values(["sender", "timestamp", "tx_id"]).set_index("sender")
    living.index = living.index.astype(object)  # numpy-backed: fast binary search per lookup
    b = blocks(logistics["sender"], logistics["timestamp"], logistics["tx_id"])
    rows: list[dict[str, Any]] = []
    for lo, hi in episodes(b, w, min_count):
        ev = logistics.iloc[b.order[lo:hi]]
        entity = str(b.keys[b.code[lo]])
        first, last = ev["timestamp"].min(), ev["timestamp"].max()
        liv = living.loc[entity:entity]  # sorted index: a binary search
        liv = liv[(liv["timestamp"] >= first) & (liv["timestamp"] <= last)]
        lval, vval = float(ev["_amt"].sum()), float(liv["_amt"].sum())
        share = vval / (lval + vval) if lval + vval > 0 else 0.0
        if share > max_living_share:
            continue
        rows.append(_alert(entity, ev, lval, vval, share, min_count, max_living_share, currency))
    return make_alerts("logistics_spend", rows)


def _alert(
    entity: str,
    ev: pd.DataFrame,
    lval: float,
    vval: float,
    share: float,
    min_count: int,
    max_share: float,
    currency: str | None,
) -> dict[str, Any]:
    counts = ev["_cat"].value_counts()
    counts = counts.sort_values(ascending=False, kind="stable").sort_index(
        key=lambda s: -counts[s].to_numpy(), kind="stable"
    )
    parts = [f"{c} ({n})" for c, n in counts.items()]
    what = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f" and {parts[-1]}"
    living = (
        "with no spending on food, school, health or rent"
        if vval == 0
        else f"against only {money(vval, currency)} ({share:.0%}) on food, school, health or rent"
    )
    first, last = ev["timestamp"].min(), ev["timestamp"].max()
    reason = (
        f"{len(ev)} payments for {what}, {money(lval, currency)} in all, within {duration_text(first, last)}, {living}."
    )
    n = len(ev)
    score = (
        0.45 + 0.05 * (n - min_count) + 0.1 * (len(counts) - 1) + 0.2 * (1 - share / max_share if max_share > 0 else 1)
    )
    return {
        "entity": entity,
        "score": min(1.0, score),
        "start": first,
        "end": last,
        "tx_ids": ev["tx_id"].astype(str).tolist(),
        "reason": reason,
        "n_tx": n,
        "categories": ", ".join(sorted(counts.index)),
        "logistics_value": lval,
        "living_value": vval,
        "living_share": share,
    }
