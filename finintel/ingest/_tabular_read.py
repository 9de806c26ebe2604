"""Turn a loaded statement sheet into canonical frames with a :class:`Profile`; vectorised over rows.

Private helper of :mod:`finintel.ingest.tabular` and :mod:`finintel.ingest.mobile_money`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from finintel.errors import InputError
from finintel.ingest._registry import Frames, file_sha256
from finintel.schema import frames as F

from . import _tabular_parse as P
from ._tabular_parties import PartiesMixin
from ._tabular_profile import (
    BANK_ALIASES,
    STATUS_WORDS,
    Counterparties,
    Profile,
    describe_expected,
    find_header,
    has_required,
    jsonable_meta,
    meta_value,
    parse_meta,
    resolve_roles,
    unused,
)
from ._tabular_sheet import Sheet, load_sheet, normalise_header, split_grid

__all__ = ["read_statement"]

_NULL = pa.scalar(None, pa.string())


def read_statement(
    path: Path,
    profile: Profile,
    *,
    mapping: Mapping[str, str] | None = None,
    account: str | None = None,
    account_name: str | None = None,
    institution: str | None = None,
    currency: str | None = None,
    dayfirst: bool | None = None,
    tz: str | None = None,
    date_format: str | None = None,
    decimal_comma: bool | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    id_column: str | None = None,
    country: str | None = None,
    grid: list[list[str]] | None = None,
    meta_rows: list[list[str]] | None = None,
    **unknown: Any,
) -> Frames:
    """Read one statement with `profile`; see :func:`finintel.ingest.tabular.read_tabular` for the options.

    `grid` (rows of cell text, e.g. tables extracted from a PDF) replaces reading `path` as CSV/Excel;
    `meta_rows` are statement-header lines that come with it. Row numbers are then 1-based rows of `grid`.
    """
    if unknown:
        raise InputError(
            f"unknown option(s) {', '.join(sorted(unknown))} for the {profile.name} reader", path=str(path)
        )
    if institution or country:
        profile = replace(profile, institution=institution or profile.institution, country=country or profile.country)
    mapping = dict(mapping or {})
    if id_column:
        mapping["id"] = id_column
    known = (
        set(profile.aliases)
        | set(BANK_ALIASES)
        | {"id", "sender", "receiver", "sender_name", "receiver_name", "type", "fee"}
    )
    wrong = sorted(set(mapping) - known)
    if wrong:
        raise InputError(
            f"unknown role(s) {', '.join(map(repr, wrong))} in mapping=; roles are {', '.join(sorted(known))}",
            path=str(path),
        )
    zone = tz or profile.tz
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"unknown time zone tz={zone!r}; expected an IANA name like 'Africa/Nairobi' or 'UTC'", path=str(path)
        ) from None
    aliases = profile.aliases

    def describe(rows: Any) -> str:
        seen: list[Any] = next((list(r) for r in rows if sum(1 for c in r if str(c).strip()) >= 2), [])
        return (
            f"expected a row with a date and an amount column ({describe_expected(aliases)}); "
            f"the first row with several values is {[str(c) for c in seen][:12]}"
        )

    def header_row(rows: Any) -> int | None:
        found = find_header(rows, aliases, mapping)
        return found if found is not None or not mapping else find_header(rows, aliases)

    with ThreadPoolExecutor(max_workers=1) as pool:
        sha_job = pool.submit(file_sha256, path)  # hashing releases the GIL: it overlaps the parse
        if grid is not None:
            sh = split_grid(path, grid, header_row, kind="pdf", describe=describe)
            sh.meta = [list(r) for r in (meta_rows or [])] + sh.meta
        else:
            sh = load_sheet(path, header_row, encoding=encoding, delimiter=delimiter, sheet=sheet, describe=describe)
        sha = sha_job.result()
    roles = resolve_roles(sh.header, aliases, mapping)
    present = {normalise_header(h) for h in sh.header} | {h.strip() for h in sh.header}
    missing_map = [
        f"{r} ({v!r})"
        for r, v in mapping.items()
        if str(v).strip() not in present and normalise_header(v) not in present
    ]
    if missing_map or not has_required(roles):
        raise InputError(
            f"missing required column(s): {', '.join(missing_map) or 'a date and an amount (or debit/credit)'}; "
            f"headers found: {sh.header}; expected {describe_expected(aliases)}",
            path=str(path),
            row=sh.header_row,
        )
    return _Builder(path, sh, profile, roles, sha).build(
        account=account,
        account_name=account_name,
        currency=currency,
        dayfirst=dayfirst,
        tz=tz or profile.tz,
        date_format=date_format,
        decimal_comma=decimal_comma,
    )


class _Builder(PartiesMixin):
    def __init__(self, path: Path, sh: Sheet, profile: Profile, roles: dict[str, int], sha: str) -> None:
        self.path, self.sh, self.profile, self.roles, self.sha = path, sh, profile, roles, sha
        body = sh.body
        cells = [pc.utf8_trim_whitespace(body.column(i).combine_chunks()) for i in range(body.num_columns)]
        blank = pc.fill_null(pc.equal(cells[0], ""), True)
        for c in cells[1:]:
            blank = pc.and_(blank, pc.fill_null(pc.equal(c, ""), True))
        nonblank = ~P._mask(blank)
        self.blank_rows = int((~nonblank).sum())
        if self.blank_rows:
            keep = pa.array(nonblank)
            cells = [c.filter(keep) for c in cells]
            body = body.filter(keep)
        self.cells, self.raw = cells, body
        self.rows = sh.rows[nonblank] if self.blank_rows else sh.rows
        self.n = len(self.rows)
        self.problem = np.full(self.n, None, dtype=object)
        self.column = np.full(self.n, None, dtype=object)

    def col(self, role: str) -> pa.Array | None:
        i = self.roles.get(role)
        return self.cells[i] if i is not None else None

    def _text(self, role: str) -> pa.Array:
        c = self.col(role)
        return pa.nulls(self.n, pa.string()) if c is None else pc.if_else(pc.equal(c, ""), _NULL, c)

    def header(self, role: str) -> str:
        return self.sh.header[self.roles[role]]

    def fail(self, mask: np.ndarray, role: str | None, problem: str | np.ndarray) -> None:
        new = mask & (self.problem == None)  # noqa: E711 - elementwise on an object array
        self.problem[new] = problem if isinstance(problem, str) else problem[new]
        self.column[new] = self.header(role) if role and role in self.roles else role

    # ------------------------------------------------------------------ build

    def build(
        self,
        *,
        account: str | None,
        account_name: str | None,
        currency: str | None,
        dayfirst: bool | None,
        tz: str,
        date_format: str | None,
        decimal_comma: bool | None,
    ) -> Frames:
        meta = parse_meta(self.sh.meta)
        owner, owner_how = self._owner(account, meta)  # may set the profile's institution: before counterparties
        self.owner = owner  # cash without a named place and bank charges are keyed to the statement's own account
        prof = self.profile
        # counterparty keys, ids and attributes only read columns (no rejects): Arrow kernels release the GIL,
        # so they run on other cores while dates and amounts are parsed here; results do not depend on timing
        with ThreadPoolExecutor(max_workers=2) as pool:
            cp_job = pool.submit(self._counterparties)
            id_job = pool.submit(self._tx_ids)
            ts = self._timestamps(dayfirst, tz, date_format)
            value, inflow = self._amounts(decimal_comma)
            status = self._status()
            cp = cp_job.result()
            attrs_job = pool.submit(self._attributes, cp, owner_how)
            tx_id = id_job.result()
            snd, rcv, snd_name, rcv_name, snd_cc, rcv_cc = self._parties(cp, owner, account_name, meta, inflow)
            attrs = attrs_job.result()
        holder = account_name or meta_value(meta, "holder")
        cash = P._mask(
            pc.or_(pc.starts_with(pc.fill_null(snd, ""), "cash:"), pc.starts_with(pc.fill_null(rcv, ""), "cash:"))
        )
        channel = pc.if_else(pa.array(cash), pa.scalar(prof.cash_channel), pa.scalar(prof.channel))
        if cp.channel is not None:
            channel = pc.coalesce(cp.channel, channel)
        magnitude = pc.abs(value)
        amount = pc.cast(magnitude, pa.float64())
        ccy = self._currency(currency, meta)
        tx = pd.DataFrame(
            {
                "tx_id": P.to_series(tx_id, "tx_id"),
                "timestamp": P.to_series(ts, "timestamp"),
                "sender": P.to_series(snd, "sender"),
                "receiver": P.to_series(rcv, "receiver"),
                "sender_name": P.to_series(snd_name, "sender_name"),
                "receiver_name": P.to_series(rcv_name, "receiver_name"),
                "amount": P.to_series(amount, "amount"),
                "amount_exact": P.to_series(magnitude, "amount_exact"),
                "currency": P.to_series(ccy, "currency"),
                "channel": P.to_series(channel, "channel"),
                "status": P.to_series(status, "status"),
                "sender_country": P.to_series(snd_cc, "sender_country"),
                "receiver_country": P.to_series(rcv_cc, "receiver_country"),
                "description": P.to_series(
                    self._text("description"),
                    "description",
                ),
                "attributes": P.to_series(attrs, "attributes"),
                "source_row": pd.Series(self.rows, dtype="int64"),
            }
        )
        bad = self.problem != None  # noqa: E711
        rejects = self._rejects(bad)
        tx = tx.loc[~bad].reset_index(drop=True) if bad.any() else tx
        accounts, parties = self._owner_frames(owner, holder, meta, tx["currency"].iloc[0] if len(tx) else None)
        report = {
            "header_row": self.sh.header_row,
            "columns": {r: self.sh.header[i] for r, i in self.roles.items()},
            "metadata": jsonable_meta(meta),
            "account": owner,
            "account_source": owner_how,
            "blank_rows_skipped": self.blank_rows,
            "encoding": self.sh.encoding,
            "delimiter": self.sh.delimiter,
            "sheet": self.sh.sheet_name,
            "date_format": self.date_format,
            "dayfirst": self.dayfirst,
            "decimal_comma": self.decimal_comma,
        }
        return Frames(
            transactions=tx,
            rejects=rejects,
            accounts=accounts,
            parties=parties,
            rows_read=len(tx) + len(rejects),
            report=report,
        )

    def _parties(
        self, cp: Counterparties, owner: str, account_name: str | None, meta: Mapping[str, str], inflow: np.ndarray
    ) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array, pa.Array, pa.Array]:
        """Sender, receiver, their names and countries: explicit columns, else the holder and the counterparty."""
        prof = self.profile
        if "sender" in self.roles and "receiver" in self.roles:
            snd, rcv, snd_name, rcv_name = self._explicit_parties()
            return snd, rcv, snd_name, rcv_name, P.key_country(snd), P.key_country(rcv)
        holder = account_name or meta_value(meta, "holder")
        own, own_name = pa.scalar(owner, pa.string()), pa.scalar(holder, pa.string())
        inflow_arr = pa.array(inflow)
        cp_key = self.unidentified_keys(cp.key, inflow_arr)
        snd, rcv = pc.if_else(inflow_arr, cp_key, own), pc.if_else(inflow_arr, own, cp_key)
        snd_name, rcv_name = pc.if_else(inflow_arr, cp.name, own_name), pc.if_else(inflow_arr, own_name, cp.name)
        home = pa.scalar(
            P.key_country(pa.array([owner]))[0].as_py() or (prof.country if prof.channel == "mobile_money" else None),
            pa.string(),
        )
        cp_cc = cp.country if cp.country is not None else pa.nulls(len(inflow), pa.string())
        if prof.channel == "mobile_money":  # paybills, tills, agents and masked wallets are domestic
            domestic = pc.match_substring_regex(pc.fill_null(cp.key, ""), r"^(paybill|cash|masked):")
            cp_cc = pc.coalesce(cp_cc, pc.if_else(domestic, home, pa.scalar(None, pa.string())))
        cp_cc = pc.coalesce(cp_cc, P.key_country(cp.key))  # the counterparty is the sender of money in
        snd_cc = pc.if_else(inflow_arr, cp_cc, home)
        rcv_cc = pc.if_else(inflow_arr, home, cp_cc)
        return snd, rcv, snd_name, rcv_name, snd_cc, rcv_cc

    # ------------------------------------------------------------------ columns

    def _timestamps(self, dayfirst: bool | None, tz: str, date_format: str | None) -> pa.Array:
        text = self.col("timestamp")
        assert text is not None
        t = self.col("time")
        if t is not None:
            text = pc.binary_join_element_wise(text, t, " ")
        found = P.detect_dayfirst(text)
        self.dayfirst = found if found is not None else (dayfirst if dayfirst is not None else self.profile.dayfirst)
        if found is not None and dayfirst is not None and found != dayfirst:
            self.dayfirst = dayfirst  # the caller overrides what the data suggest
        ts, ok, self.date_format = P.parse_timestamps(text, dayfirst=self.dayfirst, tz=tz, date_format=date_format)
        empty = P._mask(pc.equal(text, ""))
        self.fail(~ok & empty, "timestamp", "missing date: not a transaction row (a summary or footer line?)")
        words = P._mask(pc.invert(pc.match_substring_regex(text, r"\d")))
        self.fail(
            ~ok & words, "timestamp", "no date, only text: not a transaction row (a balance, total or footer line?)"
        )
        order = "day first" if self.dayfirst else "month first"
        self.fail(~ok, "timestamp", f"not a date readable as {self.date_format or order} ({order})")
        return ts

    def _amounts(self, decimal_comma: bool | None) -> tuple[pa.Array, np.ndarray]:
        """Signed magnitudes and a mask of money coming in to the statement's account."""
        cols = [c for c in (self.col("amount"), self.col("debit"), self.col("credit")) if c is not None]
        self.decimal_comma = P.detect_decimal_comma(cols) if decimal_comma is None else decimal_comma
        zero = pa.scalar(0, F.DECIMAL)
        if "debit" in self.roles or "credit" in self.roles:
            d_val, d_ok, d_empty = self._parse("debit")
            c_val, c_ok, c_empty = self._parse("credit")
            d_nz = d_ok & P._mask(pc.not_equal(d_val, zero))
            c_nz = c_ok & P._mask(pc.not_equal(c_val, zero))
            self.fail(d_nz & c_nz, "debit", "both debit and credit hold an amount; expected one of them")
            self.fail(
                ~d_nz & ~c_nz & (d_empty | d_ok) & (c_empty | c_ok),
                "debit",
                "neither debit nor credit holds an amount (zero or empty)",
            )
            # a debit is money out whatever its sign; a negative credit is a credit reversed, money out
            out_val = pc.negate(pc.abs(pc.fill_null(d_val, zero)))
            value = pc.if_else(pa.array(d_nz), out_val, pc.fill_null(c_val, zero))
            inflow = ~d_nz & P._mask(pc.greater(pc.fill_null(c_val, zero), zero))
            return value, inflow
        val, ok, empty = self._parse("amount")
        self.fail(empty, "amount", "missing amount")
        value = pc.fill_null(val, zero)
        self.fail(ok & P._mask(pc.equal(value, zero)), "amount", "zero amount: moves no value")
        inflow = P._mask(pc.greater(value, zero))
        words = self.profile.direction_words
        kind = self.col("type") if self.col("type") is not None else self.col("description")
        if (
            words is not None
            and kind is not None
            and self.col("drcr") is None
            and not bool(pc.any(pc.less(value, zero)).as_py())
        ):
            is_in = P._mask(pc.match_substring_regex(kind, words[0], ignore_case=True))
            is_out = P._mask(pc.match_substring_regex(kind, words[1], ignore_case=True))
            role = "type" if "type" in self.roles else "description"
            self.fail(
                ~is_in & ~is_out,
                role,
                "cannot tell money in from money out: unsigned amount and an unknown transaction type",
            )
            inflow = is_in  # an "in" word wins: "Transfer from", "Payment refund"
        drcr = self.col("drcr")
        if drcr is not None:
            word = pc.utf8_lower(drcr)
            is_dr = P._mask(pc.match_substring_regex(word, r"^(d|dr|debit|db|out|withdrawal|-)\b"))
            is_cr = P._mask(pc.match_substring_regex(word, r"^(c|cr|credit|in|deposit|\+)\b"))
            self.fail(~is_dr & ~is_cr, "drcr", "debit/credit indicator is neither D/DR/Debit nor C/CR/Credit")
            inflow = is_cr
        return value, inflow

    def _parse(self, role: str) -> tuple[pa.Array, np.ndarray, np.ndarray]:
        c = self.col(role)
        if c is None:
            return pa.nulls(self.n, F.DECIMAL), np.zeros(self.n, bool), np.ones(self.n, bool)
        val, ok, empty = P.parse_amounts(c, decimal_comma=self.decimal_comma)
        self.fail(~ok & ~empty, role, "not a number: expected an amount like 1,234.50")
        return val, ok, empty

    def _status(self) -> pa.Array:
        c = self.col("status")
        if c is None:
            return _const("completed", self.n)
        words = P.map_distinct(c, lambda v: STATUS_WORDS.get(normalise_header(v), "?" if v.strip() else "completed"))
        self.fail(
            P._mask(pc.equal(words, "?")),
            "status",
            "unknown transaction status; expected e.g. Completed, Failed, Reversed, Pending",
        )
        return words

    def _tx_ids(self) -> pa.Array:
        rows = pc.cast(pa.array(self.rows), pa.string())
        fallback = pc.binary_join_element_wise(f"{self.profile.name}:{self.sha[:16]}", rows, ":")
        ids = self.col("id")
        if ids is None:
            return fallback
        prefix = self.profile.id_prefix or self.profile.name
        native = pc.binary_join_element_wise(f"{prefix}", ids, ":")
        out = pc.if_else(pc.equal(ids, ""), fallback, native)
        ser = pd.Series(pd.arrays.ArrowStringArray(out))
        dup = ser.duplicated(keep=False).to_numpy()
        if not dup.any():
            return out
        # one receipt on several rows (M-Pesa books the charge under the transfer's receipt): the charge row
        # becomes <id>:charge, further repeats <id>:2, :3 ... so the transfer keeps the id other statements use
        desc = self.col("description")
        charge = dup & (
            P._mask(pc.match_substring_regex(desc, r"(?i)\bcharges?\b|\bfees?\b")) if desc is not None else False
        )
        ser = ser.where(~charge, ser + ":charge")
        rank = ser.groupby(ser, sort=False).cumcount().to_numpy()
        ser = ser.where(rank == 0, ser + ":" + pd.Series(rank + 1).astype(str).to_numpy())
        return pa.array(ser.to_numpy(dtype=object), pa.string())

    def _currency(self, option: str | None, meta: Mapping[str, str]) -> pa.Array:
        c = self.col("currency")
        default = (
            option or _iso(meta_value(meta, "currency")) or self._header_currency() or self.profile.currency or "XXX"
        )
        if c is None:
            return _const(default.upper(), self.n)
        up = pc.utf8_upper(c)
        return pc.if_else(pc.equal(up, ""), default.upper(), up)

    def _header_currency(self) -> str | None:
        for role in ("amount", "debit", "credit"):
            if role in self.roles:
                m = re.search(r"\(([A-Za-z]{3})\)", self.header(role))
                if m:
                    return m.group(1).upper()
        return None

    def _attributes(self, cp: Counterparties, owner_how: str) -> pa.Array:
        fields: dict[str, pa.Array] = {}
        for role in ("balance", "reference", "value_date", "type", "fee", "id"):
            c = self.col(role)
            if c is not None:
                fields[role] = c
        for h, i in unused(self.sh.header, self.roles):
            fields.setdefault(h, self.cells[i])
        fields.update(cp.attributes)
        if owner_how.startswith("derived"):
            fields["account_source"] = _const(owner_how, self.n)
        return P.json_objects(fields, self.n)

    def _rejects(self, bad: np.ndarray) -> pd.DataFrame:
        rows: list[dict[str, Any]] = [dict(r) for r in self.sh.rejects]
        if bad.any():
            idx = pa.array(np.flatnonzero(bad))
            raw = [self.raw.column(i).take(idx) for i in range(self.raw.num_columns)]
            sep = self.sh.delimiter or ","
            texts = pc.binary_join_element_wise(*raw, sep).to_pylist() if len(raw) > 1 else raw[0].to_pylist()
            for j, i in enumerate(np.flatnonzero(bad)):
                rows.append(
                    {
                        "source_row": int(self.rows[i]),
                        "column": self.column[i],
                        "problem": self.problem[i],
                        "raw": texts[j],
                    }
                )
        if not rows:
            return F.empty(F.REJECTS)
        df = pd.DataFrame(rows, columns=["source_row", "column", "problem", "raw"])
        df["source_file"] = str(self.path)
        return df.sort_values("source_row", kind="stable").reset_index(drop=True)

    def _owner_frames(
        self, owner: str, holder: str | None, meta: Mapping[str, str], ccy: Any
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        attrs = json.dumps(jsonable_meta(meta), sort_keys=True, ensure_ascii=False) if meta else None
        party_id = f"{self.profile.name}:holder:{owner}" if holder else None
        accounts = pd.DataFrame(
            [
                {
                    "account": owner,
                    "party_id": party_id,
                    "role": "holder",
                    "institution": None if self.profile.institution == "UNKNOWN" else self.profile.institution,
                    "account_name": holder,
                    "currency": None if ccy is None else str(ccy),
                    "attributes": attrs,
                    "source_row": self.sh.header_row,
                }
            ]
        )
        parties = F.empty(F.PARTIES)
        if holder:
            parties = pd.DataFrame(
                [
                    {
                        "party_id": party_id,
                        "name": holder,
                        "source_row": self.sh.header_row,
                        "phone": owner.split(":", 1)[1] if owner.startswith("msisdn:") else None,
                    }
                ]
            )
        return accounts, parties


def _const(value: str, n: int) -> pa.Array:
    """A text column of one value, built by Arrow without a Python object per row."""
    return pa.array([value], pa.string()).take(pa.array(np.zeros(n, dtype=np.int32)))


def _iso(text: str | None) -> str | None:
    if not text:
        return None
    m = re.search(r"\b([A-Z]{3})\b", text.upper())
    return m.group(1) if m else None
