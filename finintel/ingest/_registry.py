"""The reader registry and `read`, which detects a file's format by its content.

A reader is a function ``read_<format>(path, **options) -> Frames`` registered with
:func:`register_reader` together with a ``sniff(path, head) -> True | str`` that looks
at the first bytes of the file (never its name) and says yes, or why not. Readers
fill ``source_row`` and the canonical columns; :func:`read` adds the rest of the
provenance, validates every row, and moves rows that do not fit into rejects, so
every input row ends up in ``transactions`` or in ``rejects``.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from finintel.errors import InputError, UnknownFormatError
from finintel.schema import frames as F

__all__ = ["Frames", "Reader", "available_readers", "file_sha256", "read", "read_head", "register_reader"]

HEAD_BYTES = 64 * 1024


class Sniffer(Protocol):
    def __call__(self, path: Path, head: bytes) -> bool | str: ...


@dataclass
class Frames:
    """What a reader read from one export: the canonical frames and where they came from."""

    transactions: pd.DataFrame = field(default_factory=lambda: F.empty(F.TRANSACTIONS))
    parties: pd.DataFrame = field(default_factory=lambda: F.empty(F.PARTIES))
    accounts: pd.DataFrame = field(default_factory=lambda: F.empty(F.ACCOUNTS))
    rejects: pd.DataFrame = field(default_factory=lambda: F.empty(F.REJECTS))
    format: str = ""
    path: str = ""
    sha256: str = ""
    reader_version: str = ""
    rows_read: int = 0
    """Input rows (records) the reader saw: transactions written plus rows rejected."""
    report: dict[str, Any] = field(default_factory=dict)
    """Reader-specific findings that are not rows (e.g. XSD validation messages)."""

    def __repr__(self) -> str:
        return (
            f"<Frames {self.format} {Path(self.path).name}: {len(self.transactions)} transactions, "
            f"{len(self.parties)} parties, {len(self.accounts)} accounts, {len(self.rejects)} rejects>"
        )


@dataclass(frozen=True)
class Reader:
    name: str
    read: Callable[..., Frames]
    sniff: Sniffer
    version: str
    priority: int
    description: str


_READERS: dict[str, Reader] = {}
_LOADED = False


def register_reader(
    name: str, *, sniff: Sniffer, version: str = "1", priority: int = 50, description: str = ""
) -> Callable[[Callable[..., Frames]], Callable[..., Frames]]:
    """Register a reader function under a format name.

    Parameters
    ----------
    name : str
        Format name stored in ``source_format`` (``mpesa``, ``goaml``, ``camt053``...).
    sniff : callable
        ``sniff(path, head_bytes) -> True | str``: True when the file is in this format,
        else a short reason why not (shown when no reader accepts a file).
    version : str
        Reader version, stored in the manifest; bump it when output changes.
    priority : int
        Lower is tried first; generic readers (tabular) use high numbers.
    """

    def decorator(func: Callable[..., Frames]) -> Callable[..., Frames]:
        if name in _READERS:
            raise ValueError(f"a reader named {name!r} is already registered")
        doc = (description or (func.__doc__ or "").strip().splitlines()[0]) if (description or func.__doc__) else name
        _READERS[name] = Reader(name, func, sniff, version, priority, doc)
        return func

    return decorator


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    import finintel.ingest as pkg

    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"finintel.ingest.{mod.name}")


def available_readers() -> pd.DataFrame:
    """The registered readers: name, version, priority and a one-line description."""
    _load()
    rows = [(r.name, r.version, r.priority, r.description) for r in _sorted()]
    return pd.DataFrame(rows, columns=["format", "version", "priority", "description"])


def _sorted() -> list[Reader]:
    return sorted(_READERS.values(), key=lambda r: (r.priority, r.name))


def get_reader(name: str) -> Reader:
    _load()
    if name not in _READERS:
        raise InputError(f"no reader for format {name!r}; known formats: {', '.join(r.name for r in _sorted())}")
    return _READERS[name]


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_head(path: str | Path, n: int = HEAD_BYTES) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def detect_format(path: str | Path) -> Reader:
    """The reader whose sniffer accepts the file, tried by priority; else UnknownFormatError."""
    _load()
    p = Path(path)
    if not p.is_file():
        raise InputError("no such file" if not p.exists() else "not a regular file", path=str(path))
    head = read_head(p)
    if not head.strip():
        raise InputError("the file is empty; expected an export with at least a header", path=str(path))
    refusals: dict[str, str] = {}
    for reader in _sorted():
        try:
            verdict = reader.sniff(p, head)
        except Exception as exc:  # a sniffer must never stop detection
            verdict = f"sniffer failed: {exc}"
        if verdict is True:
            return reader
        refusals[reader.name] = str(verdict) if verdict else "not recognised"
    raise UnknownFormatError(str(path), refusals)


def read(path: str | Path, *, format: str | None = None, **options: Any) -> Frames:
    """Read one export into the canonical frames, detecting its format by content.

    Parameters
    ----------
    path : str or Path
        The export file.
    format : str, optional
        Skip detection and use this reader (see :func:`available_readers`).
    **options
        Passed to the reader (e.g. ``account=`` for a statement's own account,
        ``tz=`` for sources whose times have no offset, ``mapping=`` for tabular files).

    Returns
    -------
    Frames
        ``.transactions``, ``.parties``, ``.accounts``, ``.rejects`` with provenance filled in.

    Raises
    ------
    UnknownFormatError
        No reader recognised the file; the message lists each reader's reason.
    InputError
        The file cannot be read at all (empty, truncated, wrong encoding), naming the file.
    """
    reader = get_reader(format) if format else detect_format(path)
    p = Path(path)
    sha = file_sha256(p)
    frames = reader.read(p, **options)
    return finish(frames, reader=reader, path=p, sha256=sha)


def finish(frames: Frames, *, reader: Reader, path: Path, sha256: str) -> Frames:
    """Fill provenance, validate rows, and move rows that do not fit into rejects."""
    name, src = reader.name, str(path)
    prov = {"source_format": name, "source_file": src, "source_sha256": sha256}
    tx = frames.transactions.assign(**{k: _constant(v, frames.transactions.index) for k, v in prov.items()})
    valid, failures = F.rows_failing(tx, F.TRANSACTIONS)
    rejects = frames.rejects.assign(**prov) if len(frames.rejects) else F.empty(F.REJECTS)
    if len(failures):
        bad = tx.loc[failures["row"]]
        extra = pd.DataFrame(
            {
                "source_file": src,
                "source_row": bad["source_row"].to_numpy() if "source_row" in bad else None,
                "column": failures["column"].to_numpy(),
                "problem": failures["problem"].to_numpy(),
                "raw": [
                    json.dumps({k: _jsonable(v) for k, v in r.items()}, ensure_ascii=False)
                    for r in bad.to_dict("records")
                ],
                "source_format": name,
                "source_sha256": sha256,
            }
        )
        rejects = pd.concat([rejects, extra], ignore_index=True) if len(rejects) else extra
    frames.transactions = valid
    frames.rejects = F.coerce(rejects, F.REJECTS, path=src)
    frames.parties = F.coerce(
        frames.parties.assign(**prov) if len(frames.parties) else frames.parties, F.PARTIES, path=src
    )
    frames.accounts = F.coerce(
        frames.accounts.assign(**prov) if len(frames.accounts) else frames.accounts, F.ACCOUNTS, path=src
    )
    frames.format, frames.path, frames.sha256, frames.reader_version = name, src, sha256, reader.version
    frames.rows_read = max(frames.rows_read, len(valid) + len(frames.rejects))
    return frames


def _constant(value: str, index: pd.Index) -> pd.Series:
    """A text column holding one value, Arrow-backed (no Python string object per row)."""
    import numpy as np
    import pyarrow as pa

    arr = pa.array([value], pa.string()).take(pa.array(np.zeros(len(index), dtype=np.int32)))
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=index)


def _jsonable(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, str | int | float | bool):
        return v
    return str(v)
