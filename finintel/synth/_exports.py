"""``write_exports()``: one ledger written as the export files investigators actually receive.

M-PESA statements (Kenyan wallets), bank statements (``acct:`` accounts), Etherscan CSVs
(``eth:``), TronScan CSVs (``trx:``) and goAML STRs, one per reporting institution, covering
every planted fiat transaction. Each writer returns the canonical tx_ids it wrote, collected
in the returned manifest so a round trip through the readers can be checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from finintel.synth._export_bank import write_bank_statement
from finintel.synth._export_etherscan import write_etherscan
from finintel.synth._export_goaml import INDICATORS, _legal, write_goaml
from finintel.synth._export_mpesa import write_mpesa_statement
from finintel.synth._export_tronscan import write_tronscan
from finintel.synth._population import COUNTRY_CURRENCY

if TYPE_CHECKING:
    from finintel.synth._generate import Ledger

__all__ = ["EXPORT_COLUMNS", "default_selection", "write_exports"]

EXPORT_COLUMNS = ("file", "format", "account", "rows", "tx_ids")
"""Columns of the manifest :func:`write_exports` returns."""


def write_exports(
    ledger: Ledger,
    folder: str | Path,
    *,
    wallets: Sequence[str] | None = None,
    bank_accounts: Sequence[str] | None = None,
    eth: Sequence[str] | None = None,
    tron: Sequence[str] | None = None,
    goaml: bool = True,
) -> pd.DataFrame:
    """Write `ledger` as realistic export files in `folder` and return what went where.

    Parameters
    ----------
    ledger : Ledger
        From :func:`finintel.synth.generate`.
    folder : str or Path
        Created if absent; existing files of the same names are replaced.
    wallets, bank_accounts, eth, tron : list of account keys, optional
        Accounts to write statements for (``msisdn:+254…``, ``acct:…``, ``eth:0x…``,
        ``trx:T…``); by default :func:`default_selection` (the focal accounts of the
        planted cases plus the busiest ordinary account of each kind).
    goaml : bool, default True
        Also write goAML STRs (one per reporting institution) with every planted fiat transaction.

    Returns
    -------
    pandas.DataFrame
        ``file, format, account, rows, tx_ids``: one row per file; ``tx_ids`` lists the
        canonical ids written, in file order.

    Examples
    --------
    >>> import tempfile, finintel as fi
    >>> led = fi.synth.generate(3_000, seed=2)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     written = fi.synth.write_exports(led, d)
    >>> sorted(written["format"].unique())
    ['bank_csv', 'etherscan', 'goaml', 'mpesa', 'tronscan']
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    tx, parties, accounts = ledger.transactions, ledger.parties, ledger.accounts
    sel = default_selection(ledger)
    chosen = {"mpesa": wallets, "bank_csv": bank_accounts, "etherscan": eth, "tronscan": tron}
    start = pd.Timestamp(ledger.params.get("start", tx["timestamp"].min().date()))
    period = (start, start + pd.Timedelta(days=int(ledger.params.get("days", 90)) - 1))
    records: list[dict[str, object]] = []
    for fmt in ("mpesa", "bank_csv", "etherscan", "tronscan"):
        given = chosen[fmt]
        keys = list(given) if given is not None else sel[fmt]
        for i, key in enumerate(keys):
            ident = _slug(key.split(":", 1)[1])
            if fmt == "mpesa":
                path = out / f"mpesa_statement_{ident}.csv"
                ids = write_mpesa_statement(tx, parties, accounts, key, path, period=period)
            elif fmt == "bank_csv":
                path = out / f"bank_statement_{ident}.csv"
                layout: Literal["standard", "money_in_out"] = "standard" if i % 3 != 2 else "money_in_out"
                ids = write_bank_statement(tx, parties, accounts, key, path, period=period, variant=layout)
            elif fmt == "etherscan":
                path = out / f"etherscan_{ident}.csv"
                ids = write_etherscan(tx, key, path)
            else:
                variant: Literal["ui", "api"] = "ui" if i % 2 == 0 else "api"
                path = out / f"tronscan_{variant}_{ident}.csv"
                ids = write_tronscan(tx, key, path, variant=variant)
            records.append({"file": path.name, "format": fmt, "account": key, "rows": len(ids), "tx_ids": ids})
    if goaml:
        records += _write_strs(ledger, out, period)
    return pd.DataFrame(records, columns=list(EXPORT_COLUMNS))


def default_selection(ledger: Ledger) -> dict[str, list[str]]:
    """Accounts to export per format: planted cases' focal accounts, then the busiest ordinary one."""
    tx = ledger.transactions
    focal: list[str] = []
    for case in ledger.truth.itertuples():
        roles = json.loads(case.roles)
        focal.append(str(case.entity))
        focal += [a for a, r in roles.items() if r in ("customer_crypto", "p2p_trader_crypto", "recruiter_bank")]
    planted = set(focal)
    counts = pd.concat([tx["sender"], tx["receiver"]]).astype(str).value_counts()
    busiest = [k for k in counts.index if k not in planted]

    def pick(prefix: str) -> list[str]:
        mine = list(dict.fromkeys(k for k in focal if k.startswith(prefix)))
        extra = next((k for k in busiest if k.startswith(prefix)), None)
        return mine + ([extra] if extra else [])

    return {
        "mpesa": pick("msisdn:+254"),
        "bank_csv": pick("acct:"),
        "etherscan": pick("eth:"),
        "tronscan": pick("trx:"),
    }


def _write_strs(ledger: Ledger, out: Path, period: tuple[pd.Timestamp, pd.Timestamp]) -> list[dict[str, object]]:
    tx, accounts = ledger.transactions, ledger.accounts
    ids = {t for ids in ledger.truth["tx_ids"] for t in ids}
    sus = tx[tx["tx_id"].isin(ids) & (tx["channel"] != "crypto")]
    if sus.empty:
        return []
    inst = accounts.set_index("account")["institution"]
    ctry = accounts.set_index("account")["country"]
    served = set(COUNTRY_CURRENCY)

    def reporter(key: str) -> str | None:
        if key in inst.index and ctry.get(key) in served and key.split(":", 1)[0] in ("msisdn", "acct"):
            return _legal(str(inst[key]))
        return None

    re_of = [reporter(s) or reporter(r) or "Unknown" for s, r in zip(sus["sender"], sus["receiver"], strict=True)]
    country_of: dict[str, str] = {}
    for key in inst.index[inst.notna()]:
        country_of.setdefault(_legal(str(inst[key])), str(ctry[key]))
    truth = ledger.truth.set_index("case_id", drop=False)
    case_of = {t: row.case_id for row in truth.itertuples() for t in row.tx_ids}
    records: list[dict[str, object]] = []
    for n, (institution, rows) in enumerate(sus.groupby(pd.Series(re_of, index=sus.index), sort=True), start=1):
        cases = [truth.loc[c] for c in dict.fromkeys(case_of[t] for t in rows["tx_id"])]
        reason = " ".join(f"{c['case_id']}: {c['description']}." for c in cases)
        indicators = sorted({INDICATORS[str(c["typology"])] for c in cases})
        country = country_of.get(str(institution), "KE")
        path = out / f"goaml_str_{_slug(str(institution))}.xml"
        written = write_goaml(
            rows,
            ledger.parties,
            accounts,
            path,
            institution=str(institution),
            country=country,
            currency=COUNTRY_CURRENCY.get(country, "KES"),
            reason=reason,
            indicators=indicators,
            reference=f"STR-{period[1]:%Y}-{n:04d}",
            submitted=period[1] + pd.Timedelta(days=3, hours=10),
        )
        records.append({"file": path.name, "format": "goaml", "account": None, "rows": len(written), "tx_ids": written})
    return records


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()[:48]
