"""A screening run: the transactions of a case (or a frame), a configuration, the alerts.

This is what ``finintel screen`` and ``finintel run`` call; notebooks may call it too.
Engines: ``memory`` (the default: one pandas frame), ``partitioned`` (larger than
memory, one account bucket at a time, see :mod:`finintel.scale`) and ``dask`` (the
same detector functions per bucket on a Dask cluster).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pandas as pd

from finintel.config import ScreeningConfig, load_config
from finintel.store import Case

__all__ = ["load_lists", "period", "screen"]


def screen(
    source: Case | pd.DataFrame,
    config: ScreeningConfig | None = None,
    *,
    since: str | None = None,
    until: str | None = None,
    engine: Literal["memory", "partitioned", "dask"] = "memory",
    scheduler: str | None = None,
    partitions: int = 8,
    max_rows: int = 2_000_000,
    progress: bool = False,
) -> pd.DataFrame:
    """Run the configured detectors over a case or a transactions frame.

    Parameters
    ----------
    source : Case or pandas.DataFrame
        A case store (its transactions, parties and accounts are used) or canonical transactions.
    config : ScreeningConfig, optional
        Profile, detectors, parameters and lists; default: every detector with the generic profile.
    since, until : str, optional
        Only transactions with ``since <= timestamp < until``.
    engine : {"memory", "partitioned", "dask"}
        Where to run; all give the same alerts.
    scheduler : str, optional
        Dask scheduler address for ``engine="dask"``; default a LocalCluster.
    partitions : int
        Least number of account buckets for the partitioned and Dask engines.
    max_rows : int
        Rows per bucket the partitioned and Dask engines aim at (more buckets are made, and
        connected components larger than this are screened in overlapping time slices): what
        bounds their memory. About 2 GB of memory per million rows.

    Returns
    -------
    pandas.DataFrame
        Alerts, sorted by detector, entity, start and id.
    """
    from finintel import detect

    config = config or load_config()
    context: dict[str, Any] = load_lists(config)
    if isinstance(source, Case):
        parties, accounts = source.parties(), source.accounts()
        if len(parties):
            context["parties"] = parties
        if len(accounts):
            context["accounts"] = accounts
    if engine != "memory":
        from finintel import scale

        return scale.screen_partitioned(
            source,
            config,
            since=since,
            until=until,
            engine=engine,
            scheduler=scheduler,
            partitions=partitions,
            max_rows=max_rows,
            context=context,
        )
    tx = source.transactions() if isinstance(source, Case) else source
    tx = period(tx, since, until)
    names = config.detectors
    return detect.run(tx, names, config.resolved_profile(), params=config.params, **context)


def period(tx: pd.DataFrame, since: str | None, until: str | None) -> pd.DataFrame:
    """Rows with ``since <= timestamp < until`` (either bound optional; naive bounds are UTC)."""
    if since is None and until is None:
        return tx
    mask = pd.Series(True, index=tx.index)
    if since is not None:
        mask &= tx["timestamp"] >= _utc(since)
    if until is not None:
        mask &= tx["timestamp"] < _utc(until)
    return tx[mask]


def _utc(value: str) -> pd.Timestamp:
    from finintel.errors import ConfigError

    try:
        ts = pd.Timestamp(value)
    except ValueError:
        raise ConfigError(f"expected a date like 2024-03-01, got {value!r}") from None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def load_lists(config: ScreeningConfig) -> dict[str, Any]:
    """The tag list and watch list named in the configuration, as frames."""
    out: dict[str, Any] = {}
    if "tags" in config.lists:
        out["tags"] = pd.read_csv(Path(config.lists["tags"]), dtype=str, keep_default_na=False)
    if "watchlist" in config.lists:
        from finintel.detect.watchlist import load_watchlist

        out["watchlist"] = load_watchlist(Path(config.lists["watchlist"]))
    return out
