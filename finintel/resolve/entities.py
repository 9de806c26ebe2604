"""Who is behind which account: group parties and accounts into persons and organisations.

Evidence, strongest first (``strength`` 0-1 on each link):

- ``holder``: an account's holder in the accounts frame (1.0); signatories and
  beneficial owners are listed at 0.3, never merged automatically.
- ``id_number`` (1.0), ``email`` (0.95), ``phone`` (0.9, E.164) shared by two
  parties; ``phone`` between a party and the ``msisdn:`` account of that number
  (0.95). A value shared by more than `max_shared` parties is a placeholder
  (``00000000``, ``none@none.com``) and only proposed (0.3). Conflicting birth
  dates or ID numbers cut a link to 0.4.
- ``name`` (fuzzy, :func:`finintel.resolve.names.name_similarity`): with equal
  birth dates ``0.5 + score / 2``; on the name alone ``score x (0.6 + 0.05 per
  full token, up to 4)`` + 0.05 for the same country, so only an exact name of
  four or more parts merges without corroboration (on 100k synthetic parties,
  letting exact three-part names merge cost 5 points of precision); different
  birth dates or ID numbers veto the link.

Links at or above `threshold` are accepted and merged by union-find; the rest
stay in the links frame as candidates for an analyst (:func:`apply_decisions`).

Why not Splink: Splink estimates match weights by expectation-maximisation
over a DuckDB backend; it needs that engine, training passes and enough
labelled-looking data per case, and gives different weights on different
case files. A case file of a few thousand KYC records and statements has no
training data; rapidfuzz with explicit blocking is fast (100k parties in
seconds), deterministic, and every link says why it exists, which is what
an analyst signs off on.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from finintel.errors import InputError
from finintel.graph.build import node_kind
from finintel.resolve.names import name_similarity, name_tokens, skeleton
from finintel.schema.keys import COUNTRY_CALLING_CODES, normalize_msisdn

__all__ = ["ENTITY_COLUMNS", "LINK_COLUMNS", "apply_decisions", "links_of", "resolve_entities", "resolve_links"]

ENTITY_COLUMNS = (
    "entity_id",
    "member",
    "member_type",
    "account",
    "party_id",
    "name",
    "entity_name",
    "kind",
    "n_members",
)
LINK_COLUMNS = ("link_id", "a", "b", "evidence", "value", "strength", "accepted")
_HOLDER_ROLES = {"", "holder", "owner", "account_holder", "primary", "main", "none", "nan"}


def resolve_entities(
    parties: pd.DataFrame | None,
    accounts: pd.DataFrame | None,
    tx: pd.DataFrame | None = None,
    *,
    threshold: float = 0.85,
    min_name_score: float = 0.85,
    max_shared: int = 20,
    max_block: int = 400,
) -> pd.DataFrame:
    """Resolve parties and accounts into entities (persons and organisations).

    Parameters
    ----------
    parties, accounts : pandas.DataFrame or None
        Canonical parties and accounts frames (either may be None or empty).
    tx : pandas.DataFrame, optional
        Transactions: every account key in them becomes a member, named by the
        name most often written for it (``sender_name``/``receiver_name``).
    threshold : float, default 0.85
        Links at least this strong are merged.
    min_name_score : float, default 0.85
        Smallest name similarity that makes a name link.
    max_shared : int, default 20
        An identifier shared by more parties than this is a placeholder.
    max_block : int, default 400
        Largest name block compared pairwise (bigger blocks are very common
        name pairs; their members are still linked by identifiers).

    Returns
    -------
    pandas.DataFrame
        One row per member, columns :data:`ENTITY_COLUMNS`; ``entity_id`` is
        ``E`` + a hash of the entity's smallest member key, so it stays the
        same across runs. The links (:data:`LINK_COLUMNS`) are in
        ``links_of(entities)``.

    Examples
    --------
    >>> parties = pd.DataFrame({
    ...     "party_id": ["p1", "p2", "p3"],
    ...     "name": ["Mwangi John Kamau", "JOHN K. MWANGI", "Amina Yusuf"],
    ...     "birth_date": ["1980-02-01", "1980-02-01", None],
    ... })
    >>> accounts = pd.DataFrame({"account": ["msisdn:+254711000001"], "party_id": ["p3"]})
    >>> ent = resolve_entities(parties, accounts)
    >>> sorted(ent.groupby("entity_id")["member"].apply(sorted).tolist())
    [['account:msisdn:+254711000001', 'party:p3'], ['party:p1', 'party:p2']]
    >>> links_of(ent)[["a", "b", "evidence", "accepted"]]
                              a         b      evidence  accepted
    0  account:msisdn:+254711000001  party:p3        holder      True
    1                      party:p1  party:p2  name+birth_date      True
    """
    members = _members(parties, accounts, tx)
    links = _links(
        members, parties, accounts, min_name_score=min_name_score, max_shared=max_shared, max_block=max_block
    )
    links["accepted"] = links["strength"] >= threshold
    return _entities(members, links)


def resolve_links(
    parties: pd.DataFrame | None, accounts: pd.DataFrame | None, tx: pd.DataFrame | None = None, **options: Any
) -> pd.DataFrame:
    """The links frame alone (see :func:`resolve_entities`).

    Examples
    --------
    >>> parties = pd.DataFrame({"party_id": ["p1", "p2"], "name": ["A One", "B Two"], "email": ["x@ke.co", "X@ke.co"]})
    >>> resolve_links(parties, None)[["a", "b", "evidence", "value", "strength"]]
              a         b evidence    value  strength
    0  party:p1  party:p2    email  x@ke.co      0.95
    """
    return links_of(resolve_entities(parties, accounts, tx, **options))


def links_of(entities: pd.DataFrame) -> pd.DataFrame:
    """The links behind an entities frame, columns :data:`LINK_COLUMNS` (plus ``decision`` once decided).

    Examples
    --------
    >>> ent = resolve_entities(pd.DataFrame({"party_id": ["p1"], "name": ["Amina"]}), None)
    >>> list(links_of(ent).columns) == list(LINK_COLUMNS)
    True
    """
    data = entities.attrs.get("links")
    if data is None:
        raise InputError("this entities frame carries no links; pass links= explicitly", column="links")
    return pd.DataFrame(data)


def apply_decisions(
    entities: pd.DataFrame, decisions: pd.DataFrame, *, links: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Apply an analyst's accept/reject decisions on links and recompute the entities.

    Parameters
    ----------
    entities : pandas.DataFrame
        From :func:`resolve_entities`.
    decisions : pandas.DataFrame
        ``decision`` (``accept``/``reject``, or True/False) and either ``link_id``
        or the pair ``a``, ``b`` (member keys, either order). A pair with no
        link yet becomes an ``analyst`` link.
    links : pandas.DataFrame, optional
        The links, when `entities` no longer carries them.

    Returns
    -------
    pandas.DataFrame
        A new entities frame; its links carry the ``decision`` column.

    Examples
    --------
    >>> parties = pd.DataFrame({"party_id": ["p1", "p2"], "name": ["Amina Yusuf", "AMINA YUSUF"]})
    >>> ent = resolve_entities(parties, None)
    >>> ent["entity_id"].nunique()  # a two-token name alone is only a candidate
    2
    >>> decided = apply_decisions(ent, pd.DataFrame({"a": ["party:p2"], "b": ["party:p1"], "decision": ["accept"]}))
    >>> decided["entity_id"].nunique()
    1
    """
    links = (links_of(entities) if links is None else links).copy()
    if "decision" not in decisions.columns:
        raise InputError("decisions need a 'decision' column (accept or reject)", column="decision")
    if "decision" not in links.columns:
        links["decision"] = pd.Series([None] * len(links), dtype=object)
    links["decision"] = links["decision"].astype(object)
    pair_index = {frozenset((a, b)): i for i, (a, b) in enumerate(zip(links["a"], links["b"], strict=True))}
    id_index = {lid: i for i, lid in enumerate(links["link_id"])}
    extra = []
    for n, row in enumerate(decisions.to_dict("records"), start=1):
        verdict = _verdict(row.get("decision"), n)
        if "link_id" in row and isinstance(row["link_id"], str) and row["link_id"] in id_index:
            idx = [id_index[row["link_id"]]]
        elif "a" in row and "b" in row:
            pair = frozenset((str(row["a"]), str(row["b"])))
            idx = [i for p, i in pair_index.items() if p == pair]
            if not idx:
                if verdict:
                    extra.append(
                        _link(str(row["a"]), str(row["b"]), "analyst", "decision", 1.0) | {"decision": "accept"}
                    )
                continue
        else:
            raise InputError(f"decision {n} names no known link_id and no a/b pair", row=n, column="link_id")
        for i in idx:
            links.iloc[i, links.columns.get_loc("decision")] = "accept" if verdict else "reject"
    if extra:
        links = pd.concat([links, pd.DataFrame(extra)], ignore_index=True)
    decided = links["decision"].notna()
    links.loc[decided, "accepted"] = links.loc[decided, "decision"] == "accept"
    members = entities[["member", "member_type", "account", "party_id", "name", "kind"]].drop_duplicates("member")
    return _entities(members.reset_index(drop=True), links)


def _verdict(value: Any, n: int) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"accept", "accepted", "yes", "true", "1", "same", "merge"}:
        return True
    if text in {"reject", "rejected", "no", "false", "0", "different", "split"}:
        return False
    raise InputError(f"expected accept or reject, got {value!r}", row=n, column="decision")


# --------------------------------------------------------------------------- members


def _text(df: pd.DataFrame | None, col: str) -> pd.Series:
    if df is None or col not in df.columns:
        return pd.Series([None] * (0 if df is None else len(df)), dtype=object)
    s = df[col].astype(object)
    return s.where(s.notna(), None).map(lambda v: (str(v).strip() or None) if v is not None else None)


def _members(parties: pd.DataFrame | None, accounts: pd.DataFrame | None, tx: pd.DataFrame | None) -> pd.DataFrame:
    frames = []
    if parties is not None and len(parties):
        if "party_id" not in parties.columns:
            raise InputError("the parties frame lacks column party_id", column="party_id")
        name = _text(parties, "name")
        full = (_text(parties, "first_name").fillna("") + " " + _text(parties, "last_name").fillna("")).str.strip()
        name = name.where(name.notna(), full.where(full != "", None))
        p = pd.DataFrame(
            {
                "member": "party:" + _text(parties, "party_id").astype(str),
                "member_type": "party",
                "account": None,
                "party_id": _text(parties, "party_id"),
                "name": name,
                "kind": _text(parties, "kind"),
                "birth_date": _text(parties, "birth_date"),
                "id_number": _text(parties, "id_number").map(_norm_id),
                "phone": [
                    _phone(v, c) for v, c in zip(_text(parties, "phone"), _text(parties, "country"), strict=True)
                ],
                "email": _text(parties, "email").map(lambda v: v.lower() if v and "@" in v else None),
                "country": _text(parties, "country"),
            }
        )
        frames.append(p.groupby("member", sort=False).first().reset_index())  # one party row per party_id
    names: dict[str, str] = {}
    if tx is not None and len(tx):
        from finintel.graph._arrow import _mode_by_key

        keys = pd.concat([tx["sender"], tx["receiver"]], ignore_index=True)
        written = pd.concat([_text(tx, "sender_name"), _text(tx, "receiver_name")], ignore_index=True)
        names = _mode_by_key(keys, written).to_dict()
        for k in keys.astype(str).unique():
            names.setdefault(k, None)  # type: ignore[arg-type]
    acct_rows: dict[str, str | None] = {}
    if accounts is not None and len(accounts):
        if "account" not in accounts.columns:
            raise InputError("the accounts frame lacks column account", column="account")
        for k, n in zip(_text(accounts, "account"), _text(accounts, "account_name"), strict=True):
            if k is not None and (acct_rows.get(k) is None):
                acct_rows[k] = n
    for k, n in names.items():
        if acct_rows.get(k) is None:
            acct_rows[k] = n
    if acct_rows:
        keys_list = sorted(acct_rows)
        frames.append(
            pd.DataFrame(
                {
                    "member": ["account:" + k for k in keys_list],
                    "member_type": "account",
                    "account": keys_list,
                    "party_id": None,
                    "name": [acct_rows[k] for k in keys_list],
                    "kind": None,
                    "birth_date": None,
                    "id_number": None,
                    "phone": [k.split(":", 1)[1] if k.startswith("msisdn:") else None for k in keys_list],
                    "email": None,
                    "country": None,
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            columns=[
                "member",
                "member_type",
                "account",
                "party_id",
                "name",
                "kind",
                "birth_date",
                "id_number",
                "phone",
                "email",
                "country",
            ]
        )
    members = pd.concat(frames, ignore_index=True).astype(object)
    members = members.where(members.notna(), None)
    members["kind"] = [
        k if k in ("person", "organisation") else node_kind("x", n) if t == "party" else _acct_kind(a, n)
        for k, n, t, a in zip(members["kind"], members["name"], members["member_type"], members["account"], strict=True)
    ]
    return members


def _acct_kind(account: str, name: str | None) -> str:
    if account.startswith("paybill:"):
        return "organisation"
    return node_kind("x", name) if name else "unknown"


def _norm_id(value: str | None) -> str | None:
    if not value:
        return None
    text = "".join(ch for ch in value.upper() if ch.isalnum())
    return text if len(text) >= 5 and text.strip("0") else None


def _phone(value: str | None, country: str | None) -> str | None:
    if not value:
        return None
    cc = country if country and len(country) == 2 else "KE"
    digits = "".join(ch for ch in value if ch.isdigit())
    code = COUNTRY_CALLING_CODES.get(cc.upper())
    # fast paths for the usual forms (0712345678, 254712345678, +254 712 345 678); phonenumbers for the rest
    if code and len(digits) == 10 and digits.startswith("0"):
        return f"+{code}{digits[1:]}"
    if code and digits.startswith(code) and len(digits) == len(code) + 9:
        return f"+{digits}"
    return normalize_msisdn(value, cc)


def _link(a: str, b: str, evidence: str, value: Any, strength: float) -> dict[str, Any]:
    a, b = sorted((a, b))
    lid = "L" + hashlib.sha1(f"{a}|{b}|{evidence}|{value}".encode()).hexdigest()[:12]
    return {
        "link_id": lid,
        "a": a,
        "b": b,
        "evidence": evidence,
        "value": str(value),
        "strength": round(float(strength), 4),
    }


# --------------------------------------------------------------------------- links


def _links(
    members: pd.DataFrame,
    parties: pd.DataFrame | None,
    accounts: pd.DataFrame | None,
    *,
    min_name_score: float,
    max_shared: int,
    max_block: int,
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    info = members.set_index("member").to_dict("index")
    if accounts is not None and len(accounts) and "party_id" in accounts.columns:
        roles = _text(accounts, "role")
        for acct, pid, role in zip(_text(accounts, "account"), _text(accounts, "party_id"), roles, strict=True):
            if acct and pid and f"party:{pid}" in info:
                holder = str(role).lower() in _HOLDER_ROLES if role else True
                rows.append(
                    _link(
                        f"account:{acct}",
                        f"party:{pid}",
                        "holder" if holder else str(role),
                        acct,
                        1.0 if holder else 0.3,
                    )
                )
    for field, strength in (("id_number", 1.0), ("email", 0.95), ("phone", 0.9)):
        rows += _shared(members, info, field, strength, max_shared)
    rows += _name_links(members, info, min_name_score, max_block)
    links = pd.DataFrame(rows, columns=list(LINK_COLUMNS[:-1]))
    links = links.sort_values(["strength", "link_id"], ascending=[False, True]).drop_duplicates(["a", "b", "evidence"])
    return links.sort_values(["a", "b", "evidence"]).reset_index(drop=True)


def _conflict(x: dict[str, Any], y: dict[str, Any], fields: Iterable[str]) -> bool:
    return any(x.get(f) and y.get(f) and x[f] != y[f] for f in fields)


def _shared(
    members: pd.DataFrame, info: dict[str, dict[str, Any]], field: str, strength: float, max_shared: int
) -> list[dict[str, Any]]:
    rows = []
    have = members[members[field].notna()]
    have = have[have[field].duplicated(keep=False)]  # only values held by two or more members link anything
    for value, grp in have.groupby(field, sort=True):
        ms = sorted(grp["member"])
        n_parties = int((grp["member_type"] == "party").sum())
        if len(ms) < 2:
            continue
        for a, b in zip(ms, ms[1:], strict=False) if len(ms) > 50 else itertools.combinations(ms, 2):
            x, y = info[a], info[b]
            s = strength
            if x["member_type"] != y["member_type"]:
                s = 0.95  # a party's phone is the msisdn account's own number
            if n_parties > max_shared:
                s = 0.3
            elif _conflict(x, y, ("birth_date",) if field == "id_number" else ("birth_date", "id_number")):
                s = 0.4
            rows.append(_link(a, b, field, value, s))
    return rows


def _name_links(
    members: pd.DataFrame, info: dict[str, dict[str, Any]], min_score: float, max_block: int
) -> list[dict[str, Any]]:
    named = members[members["name"].notna()]
    by_tokens: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for m, n in zip(named["member"], named["name"], strict=True):
        toks = name_tokens(n)
        if toks:
            by_tokens[tuple(sorted(toks))].append(m)
    blocks: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
    for toks in by_tokens:
        full = sorted({skeleton(t) for t in toks if len(t) > 1})[:5]
        keys = [tuple(full)] if len(full) == 1 else list(itertools.combinations(full, 2))
        for k in keys:
            blocks[k].append(toks)
    scored: dict[tuple[tuple[str, ...], tuple[str, ...]], float] = {}
    for block in blocks.values():
        if len(block) > max_block or len(block) < 2:
            continue
        ordered = sorted(block)
        # a C++ prefilter over the whole block; the token-aware scorer runs only on plausible pairs
        text = [" ".join(t) for t in ordered]
        close = process.cdist(text, text, scorer=fuzz.token_set_ratio, score_cutoff=70, dtype=np.uint8, workers=1)
        for i, j in zip(*np.nonzero(np.triu(close, 1)), strict=True):
            p, q = ordered[int(i)], ordered[int(j)]
            if (p, q) not in scored and (_covers(p, q) or _covers(q, p)):
                scored[(p, q)] = name_similarity(p, q)
    rows = []
    for toks, ms in by_tokens.items():
        if len(ms) > 1:
            pairs = (
                itertools.combinations(sorted(ms), 2)
                if len(ms) <= 50
                else zip(sorted(ms), sorted(ms)[1:], strict=False)
            )
            rows += [r for a, b in pairs if (r := _name_link(info, a, b, 1.0, toks))]
    for (p, q), s in scored.items():
        if s >= min_score:
            for a in by_tokens[p]:
                for b in by_tokens[q]:
                    if r := _name_link(info, a, b, s, p if len(p) <= len(q) else q):
                        rows.append(r)
    return rows


@lru_cache(maxsize=300_000)
def _features(toks: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    full = frozenset(skeleton(t) for t in toks if len(t) > 1)
    initials = frozenset(t for t in toks if len(t) == 1)
    return full, initials, frozenset(t[0] for t in toks)


def _covers(short: tuple[str, ...], other: tuple[str, ...]) -> bool:
    """Can every token of `short` find a partner in `other`? (Needed for a score of 0.85 or more.)

    One unmatched token caps :func:`name_similarity` at (n - 1) / n, under 0.85 for names of up to six parts;
    a partner shares the consonant skeleton (or, for an initial, the first letter).
    """
    full, initials, _ = _features(short)
    o_full, _, o_first = _features(other)
    return full <= o_full and initials <= o_first


def _name_link(
    info: dict[str, dict[str, Any]], a: str, b: str, score: float, toks: tuple[str, ...]
) -> dict[str, Any] | None:
    x, y = info[a], info[b]
    kx, ky = x["kind"], y["kind"]
    if {kx, ky} == {"person", "organisation"} or _conflict(x, y, ("birth_date", "id_number")):
        return None
    if x.get("birth_date") and x["birth_date"] == y.get("birth_date"):
        return _link(a, b, "name+birth_date", f"{x['name']} | {y['name']} | {x['birth_date']}", 0.5 + score / 2)
    full = sum(len(t) > 1 for t in toks)
    strength = score * (0.6 + 0.05 * min(full, 4))
    if x.get("country") and x["country"] == y.get("country"):
        strength += 0.05
    return _link(a, b, "name", f"{x['name']} | {y['name']}", min(strength, 0.95))


# --------------------------------------------------------------------------- entities


def _entities(members: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    parent = {m: m for m in members["member"]}

    def find(m: str) -> str:
        while parent[m] != m:
            parent[m] = parent[parent[m]]
            m = parent[m]
        return m

    for a, b, ok in zip(links["a"], links["b"], links["accepted"], strict=True):
        if ok and a in parent and b in parent:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    out = members[["member", "member_type", "account", "party_id", "name", "kind"]].copy()
    roots = [find(m) for m in out["member"]]
    out.insert(0, "entity_id", ["E" + hashlib.sha1(r.encode()).hexdigest()[:10] for r in roots])
    grp = out.groupby("entity_id", sort=False)
    out["n_members"] = grp["member"].transform("size").astype("int64")
    best = out.assign(
        rank=(out["member_type"] != "party").astype(int), length=-out["name"].fillna("").str.len()
    ).sort_values(["entity_id", "rank", "length", "member"])
    ent_name = best.dropna(subset=["name"]).drop_duplicates("entity_id").set_index("entity_id")["name"]
    out["entity_name"] = out["entity_id"].map(ent_name)
    known = out[out["kind"].isin(["person", "organisation"])]
    kinds = (
        known.groupby(["entity_id", "kind"]).size().reset_index(name="n")
        .sort_values(["entity_id", "n", "kind"], ascending=[True, False, False])
        .drop_duplicates("entity_id").set_index("entity_id")["kind"]
    )  # fmt: skip
    out["kind"] = out["entity_id"].map(kinds).fillna("unknown")
    out = out[list(ENTITY_COLUMNS)].sort_values(["entity_id", "member"]).reset_index(drop=True)
    out.attrs["links"] = links.to_dict("list")
    return out
