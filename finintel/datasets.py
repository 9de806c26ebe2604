"""The bundled synthetic sample case in ``data/samples``: paths, frames and the ledger behind them.

The case is made by ``python scripts/make_samples.py`` from
``finintel.synth.generate(**finintel.synth.SAMPLE_ARGS)``; no real person's data is in it.

========================  =====================================================================
``load_sample(name)``     returns
========================  =====================================================================
``"ledger"``              the :class:`~finintel.synth.Ledger` (regenerated from the seed: same bytes)
``"transactions"``        its canonical transactions frame (all rows, not only the exported ones)
``"truth"``               ``truth.csv``: one row per planted case, ``accounts``/``tx_ids`` as lists
``"exports"``             ``exports.csv``: which file holds which tx_ids
``"tags"``                ``tags.csv``: crypto address tags (address, chain, tag, category, source)
``"watchlist"``           ``watchlist.csv``: a watch list in the OpenSanctions simple-CSV shape
========================  =====================================================================
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

import pandas as pd

from finintel.errors import ConfigError

if TYPE_CHECKING:
    from finintel.synth import Ledger

__all__ = ["SAMPLES", "load_sample", "sample_paths"]

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
"""Folder of the bundled sample case."""
_NAMES = ("ledger", "transactions", "truth", "exports", "tags", "watchlist")
_FORMATS = ("mpesa", "bank_csv", "etherscan", "tronscan", "goaml")


def sample_paths(fmt: str | None = None) -> list[Path]:
    """The export files of the sample case, sorted; only those of one format when `fmt` is given.

    Parameters
    ----------
    fmt : {"mpesa", "bank_csv", "etherscan", "tronscan", "goaml"}, optional
        Keep only files of this format.

    Examples
    --------
    >>> [p.name for p in sample_paths("etherscan")]  # doctest: +ELLIPSIS
    ['etherscan_0x....csv']
    >>> len(sample_paths()) > 10
    True
    """
    if fmt is not None and fmt not in _FORMATS:
        raise ConfigError(f"unknown sample format {fmt!r}; known: {', '.join(_FORMATS)}")
    manifest = _csv("exports")
    if fmt is not None:
        manifest = manifest[manifest["format"] == fmt]
    return sorted(SAMPLES / "exports" / f for f in manifest["file"])


@overload
def load_sample(name: Literal["ledger"]) -> Ledger: ...
@overload
def load_sample(name: Literal["transactions", "truth", "exports", "tags", "watchlist"]) -> pd.DataFrame: ...
def load_sample(name: str) -> Ledger | pd.DataFrame:
    """A frame (or the whole ledger) of the bundled sample case.

    Parameters
    ----------
    name : {"ledger", "transactions", "truth", "exports", "tags", "watchlist"}
        What to load; see the module docstring.

    Raises
    ------
    ConfigError
        For an unknown name.

    Examples
    --------
    >>> truth = load_sample("truth")
    >>> first = truth.iloc[0]
    >>> first["typology"], int(first["n_transactions"]) == len(first["tx_ids"])
    ('structuring', True)
    >>> int((load_sample("tags")["category"] == "exchange").sum())
    4
    """
    if name not in _NAMES:
        raise ConfigError(f"unknown sample {name!r}; known: {', '.join(_NAMES)}")
    if name in ("ledger", "transactions"):
        from finintel.synth import sample_ledger

        led = sample_ledger()
        return led if name == "ledger" else led.transactions
    frame = _csv(name)
    if name == "truth":
        for col in ("accounts", "tx_ids", "in_files"):
            frame[col] = frame[col].fillna("").str.split().map(list)
        for col in ("start", "end"):
            frame[col] = pd.to_datetime(frame[col], utc=True).astype("datetime64[us, UTC]")
    if name == "exports":
        frame["tx_ids"] = frame["tx_ids"].fillna("").str.split().map(list)
    return frame


def _csv(name: str) -> pd.DataFrame:
    path = SAMPLES / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing; run `python scripts/make_samples.py` to regenerate the sample case"
        )
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]).pipe(_types, name)


def _types(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    if name == "truth":
        frame["slow"] = frame["slow"] == "True"
        frame["total_amount"] = pd.to_numeric(frame["total_amount"])
        frame["n_transactions"] = pd.to_numeric(frame["n_transactions"]).astype("int64")
    if name == "exports":
        frame["rows"] = pd.to_numeric(frame["rows"]).astype("int64")
    return frame
