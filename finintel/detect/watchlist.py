"""Watchlist screening: names and wallet addresses on transfers against a sanctions or PEP list."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finintel.detect._alerts import make_alerts
from finintel.detect._gathers import watchlist_gather, watchlist_index
from finintel.detect._registry import register
from finintel.errors import InputError, MissingDependencyError
from finintel.resolve.translit import canonical_tokens

__all__ = ["WATCHLIST_COLUMNS", "load_watchlist", "normalize_name", "watchlist"]

WATCHLIST_COLUMNS = ("id", "schema", "name", "aliases", "birth_date", "countries", "identifiers", "dataset")
"""Columns of a loaded watchlist, after the OpenSanctions / FollowTheMoney "simple CSV" export."""


def normalize_name(name: Any) -> str:
    """A name folded for matching: transliterated, accents removed, lower case, punctuation to spaces.

    Ge'ez and Arabic script are transliterated the way records spell names (ተስፋዬ -> tesfaye), ``G/``,
    ``W/``, ``H/`` abbreviations expanded and known spelling variants canonicalised, all by
    :func:`finintel.resolve.translit.canonical_tokens`, the same rules entity resolution uses.

    >>> normalize_name("  Mulugéta, TESFAYE-Haile "), normalize_name("ተስፋዬ ሙሉጌታ")
    ('mulugeta tesfaye haile', 'tesfaye mulugeta')
    >>> normalize_name("Tesfay G/Medhin") == normalize_name("ተስፋዬ ገብረመድህን") == "tesfaye gebremedhin"
    True
    """
    if name is None or name is pd.NA or (isinstance(name, float) and np.isnan(name)):
        return ""
    return " ".join(canonical_tokens(str(name)))


def load_watchlist(path: str | Path) -> pd.DataFrame:
    """Read a watchlist: an OpenSanctions/FtM simple CSV, or the UN Security Council consolidated list XML.

    Parameters
    ----------
    path : str or Path
        ``*.csv`` with at least ``name`` (and ideally ``id, schema, aliases, birth_date, countries,
        identifiers``; multi-valued fields separated by ``;``), or the UN list's ``consolidated.xml``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`WATCHLIST_COLUMNS`, multi-valued fields joined by ``;``.

    Raises
    ------
    InputError
        A CSV without a ``name`` column, or an XML that is not the UN consolidated list.
    UnsafeInputError
        An XML declaring a DTD with entities.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "list.csv"
    >>> _ = p.write_text("id,schema,name,aliases\\nNK-1,Person,Jane Doe,J. Doe;Janet Doe\\n", encoding="utf-8")
    >>> load_watchlist(p)[["id", "name", "aliases"]]
         id      name              aliases
    0  NK-1  Jane Doe  J. Doe;Janet Doe
    """
    p = Path(path)
    from finintel.ingest._util import check_size, refuse_dtd

    check_size(p)
    head = p.read_bytes()[:4096]
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        refuse_dtd(p, p.read_bytes())
        return _load_un_xml(p)
    df = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if "name" not in df.columns:
        raise InputError(
            f"a watchlist CSV needs a 'name' column; found {', '.join(df.columns)}", path=str(p), column="name"
        )
    for c in WATCHLIST_COLUMNS:
        if c not in df.columns:
            df[c] = ""
    df["dataset"] = df["dataset"].where(df["dataset"] != "", p.name)
    df["id"] = df["id"].where(df["id"] != "", pd.Series([f"row{i + 2}" for i in range(len(df))], index=df.index))
    return df[list(WATCHLIST_COLUMNS)].reset_index(drop=True)


def _load_un_xml(p: Path) -> pd.DataFrame:
    from lxml import etree

    from finintel.ingest._util import safe_xml_parser

    root = etree.parse(str(p), safe_xml_parser()).getroot()
    if root.tag != "CONSOLIDATED_LIST":
        raise InputError(f"expected the UN consolidated list (root CONSOLIDATED_LIST), found <{root.tag}>", path=str(p))
    rows = []
    for kind, schema in (("INDIVIDUAL", "Person"), ("ENTITY", "Organization")):
        for el in root.iter(kind):

            def texts(xpath: str, node: Any = el) -> list[str]:
                return [t.strip() for t in node.xpath(xpath) if isinstance(t, str) and t.strip()]

            name = " ".join(texts("FIRST_NAME/text()|SECOND_NAME/text()|THIRD_NAME/text()|FOURTH_NAME/text()"))
            aliases = texts(f"{kind}_ALIAS/ALIAS_NAME/text()")
            dob = texts(f"{kind}_DATE_OF_BIRTH/DATE/text()|{kind}_DATE_OF_BIRTH/YEAR/text()")
            countries = texts("NATIONALITY/VALUE/text()")
            ids = texts(f"{kind}_DOCUMENT/NUMBER/text()")
            ref = texts("REFERENCE_NUMBER/text()") or texts("DATAID/text()")
            rows.append(
                {
                    "id": ref[0] if ref else f"line{el.sourceline}",
                    "schema": schema,
                    "name": name,
                    "aliases": ";".join(aliases),
                    "birth_date": ";".join(dob),
                    "countries": ";".join(countries),
                    "identifiers": ";".join(ids),
                    "dataset": "UN SC consolidated list",
                }
            )
    return pd.DataFrame(rows, columns=list(WATCHLIST_COLUMNS))


@register("watchlist", partition="none", gather=watchlist_gather)
def watchlist(
    tx: pd.DataFrame,
    *,
    watchlist: pd.DataFrame | None = None,
    min_score: float = 90.0,
    min_token_length: int = 3,
    max_block: int = 2_000,
    sides: Sequence[str] = ("sender", "receiver"),
) -> pd.DataFrame:
    """Screen the names and wallet addresses on transfers against a watchlist (sanctions, PEPs, case subjects).

    Names (``sender_name``, ``receiver_name``) and the list's names and aliases are folded by
    :func:`normalize_name`; candidates share a name token of at least `min_token_length` characters (tokens
    carried by more than `max_block` list names are not used for blocking, unless a name has no other), and
    are scored with rapidfuzz ``token_sort_ratio`` (word order free), or ``token_set_ratio`` x 0.95 when all
    words of the shorter name (two or more) appear in the longer. Account keys that are crypto addresses are
    matched exactly against addresses among the list's ``identifiers`` (score 100).

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    watchlist : pandas.DataFrame, optional
        From :func:`load_watchlist`, or any frame with ``name`` (and ``id, aliases, identifiers, dataset``).
        None: nothing is flagged.
    min_score : float, default 90
        Smallest name score (0-100) that raises an alert.
    min_token_length : int, default 3
        Shortest name token used for blocking.
    max_block : int, default 2000
        Tokens shared by more list names than this are too common to block on.
    sides : sequence of str
        Which parties to screen: ``sender`` and/or ``receiver``.

    Returns
    -------
    pandas.DataFrame
        One alert per account and list entry; then ``list_id, list_name, matched_name, matched_field,
        match_score, dataset``. ``score`` is ``match_score / 100``.

    References
    ----------
    FATF Recommendation 6 and 7 (targeted financial sanctions) and FATF (2020) *Virtual Assets Red Flag
    Indicators* (addresses on sanctions lists),
    https://www.fatf-gafi.org/en/publications/Fatfrecommendations/Virtual-assets-red-flag-indicators.html ;
    UN Security Council consolidated list, https://main.un.org/securitycouncil/en/content/un-sc-consolidated-list ;
    OpenSanctions data, https://www.opensanctions.org/docs/bulk/csv/ .

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([("acct:B/1", "acct:B/2", 500, "2024-03-01", {"sender_name": "KIDANE Habtemariam Tesfay"})])
    >>> wl = pd.DataFrame({"id": ["ET-42"], "name": ["Tesfay Kidane Habtemariam"], "aliases": [""], "dataset": ["case list"]})
    >>> alerts = watchlist(tx, watchlist=wl)
    >>> alerts[["entity", "list_id", "match_score"]]
         entity list_id  match_score
    0  acct:B/1   ET-42        100.0
    >>> print(alerts.at[0, "reason"])
    Sender name 'KIDANE Habtemariam Tesfay' on 1 transfer matches 'Tesfay Kidane Habtemariam' (ET-42, case list, name) with score 100.
    """
    if watchlist is None or len(watchlist) == 0 or len(tx) == 0:
        return make_alerts("watchlist", [])
    try:
        from rapidfuzz import fuzz
    except ImportError as exc:  # pragma: no cover - rapidfuzz is a core dependency
        raise MissingDependencyError("rapidfuzz", "screening") from exc
    if "name" not in watchlist.columns:
        raise InputError("the watchlist frame lacks column name", column="name")
    wl = watchlist.reset_index(drop=True)
    get = lambda c: wl[c].astype(object).fillna("").astype(str) if c in wl.columns else pd.Series("", index=wl.index)  # noqa: E731
    ids, datasets = (
        get("id").where(get("id") != "", "entry " + pd.Series(range(1, len(wl) + 1)).astype(str)),
        get("dataset"),
    )
    variants, block, wallets = watchlist_index(watchlist, min_token_length, normalize_name)
    rows: list[dict[str, Any]] = []
    for side in sides:
        col = f"{side}_name"
        f = pd.DataFrame(
            {
                "tx_id": tx["tx_id"].astype(str).to_numpy(),
                "ts": tx["timestamp"].reset_index(drop=True),
                "acct": tx[side].astype(str).to_numpy(),
                "name": tx[col].astype(object).fillna("").astype(str).to_numpy(),
            }
        )
        names = pd.Series(f["name"].unique())
        folded = dict(zip(names, names.map(normalize_name), strict=True))
        hits: dict[str, tuple[int, str, str, float]] = {}
        for raw, n in folded.items():
            best = _best(n, variants, block, max_block, min_token_length, fuzz)
            if best and best[3] >= min_score:
                hits[raw] = best
        m = f[f["name"].isin(list(hits))]
        for (acct, raw), g in m.groupby(["acct", "name"], sort=True):
            entry, field, matched, score = hits[str(raw)]
            rows.append(_alert(str(acct), side, g, str(raw), ids[entry], datasets[entry], matched, field, score))
        w = f[f["acct"].isin(list(wallets))]
        for acct, g in w.groupby("acct", sort=True):
            entry = wallets[str(acct)]
            rows.append(_alert(str(acct), side, g, str(acct), ids[entry], datasets[entry], str(acct), "wallet", 100.0))
    return make_alerts("watchlist", rows)


def _best(
    n: str,
    variants: list[tuple[int, str, str, str]],
    block: dict[str, list[int]],
    max_block: int,
    min_len: int,
    fuzz: Any,
) -> tuple[int, str, str, float] | None:
    toks = [t for t in set(n.split()) if len(t) >= min_len and t in block]
    if not toks:
        return None
    usable = [t for t in toks if len(block[t]) <= max_block] or [min(toks, key=lambda t: (len(block[t]), t))]
    cands = sorted({v for t in usable for v in block[t]})
    best: tuple[int, str, str, float] | None = None
    a = set(n.split())
    for v in cands:
        entry, field, text, other = variants[v]
        score = float(fuzz.token_sort_ratio(n, other))
        b = set(other.split())
        short = a if len(a) <= len(b) else b
        if len(short) >= 2 and short <= (a | b) and short <= (a & b):
            score = max(score, 0.95 * float(fuzz.token_set_ratio(n, other)))
        if best is None or (score, -entry) > (best[3], -best[0]):
            best = (entry, field, text, round(score, 1))
    return best


def _alert(
    acct: str,
    side: str,
    g: pd.DataFrame,
    shown: str,
    list_id: str,
    dataset: str,
    matched: str,
    field: str,
    score: float,
) -> dict[str, Any]:
    n = len(g)
    what = f"{side.capitalize()} name '{shown}'" if field != "wallet" else f"{side.capitalize()} address {shown}"
    src = ", ".join(x for x in (list_id, dataset, field) if x)
    reason = f"{what} on {n} transfer{'s' if n != 1 else ''} matches '{matched}' ({src}) with score {score:.0f}."
    return {
        "entity": acct,
        "score": min(1.0, score / 100),
        "start": g["ts"].min(),
        "end": g["ts"].max(),
        "tx_ids": g["tx_id"].tolist(),
        "reason": reason,
        "list_id": list_id,
        "list_name": matched,
        "matched_name": shown,
        "matched_field": field,
        "match_score": score,
        "dataset": dataset,
    }
