"""The reader registry and `read`, which detects a file's format by its content.

A reader is a function ``read_<format>(path, **options) -> Frames`` registered with
:func:`register_reader` together with a ``sniff(path, head) -> True | str`` that looks
at the first bytes of the file (never its name) and says yes, or why not. Readers
fill ``source_row`` and the canonical columns; :func:`read` adds the rest of the
provenance, validates every row, and moves rows that do not fit into rejects, so
every input row ends up in ``transactions`` or in ``rejects``.

A reader that can stream also registers ``batches=``: a generator
``(path, *, batch_rows, **options) -> Iterator[Frames]`` yielding at most
`batch_rows` transactions at a time, each party and account once in the whole file.
:func:`read_batches` runs it (or wraps the plain reader in one batch), which is what
the case store ingests with, in memory bounded by the batch; :func:`read` returns the
whole file at once.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from finintel.errors import InputError, UnknownFormatError
from finintel.schema import frames as F

__all__ = [
    "BATCH_ROWS",
    "Frames",
    "Reader",
    "available_readers",
    "concat_frames",
    "file_sha256",
    "finished_batches",
    "read",
    "read_batches",
    "read_head",
    "register_reader",
]

BATCH_ROWS = 20_000
"""Default transactions per batch of :func:`read_batches`.

Reading, checking and storing a goAML batch costs about 3 KB per transaction at its
peak (the frames, their Arrow copies, the allocator's slack): 20 000 rows keep that
near 60 MB, and Parquet row groups of 20 000 rows still read fast.
"""

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
    batches: Callable[..., Iterator[Frames]] | None = None
    """``(path, *, batch_rows, **options) -> Iterator[Frames]`` when the reader streams."""


_READERS: dict[str, Reader] = {}
_LOADED = False


def register_reader(
    name: str,
    *,
    sniff: Sniffer,
    version: str = "1",
    priority: int = 50,
    description: str = "",
    batches: Callable[..., Iterator[Frames]] | None = None,
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
    description : str, optional
        One line for :func:`available_readers` (default: the reader's first docstring line).
    batches : callable, optional
        The same reader as a generator of :class:`Frames` batches (see :func:`read_batches`).
    """

    def decorator(func: Callable[..., Frames]) -> Callable[..., Frames]:
        if name in _READERS:
            raise ValueError(f"a reader named {name!r} is already registered")
        doc = (description or (func.__doc__ or "").strip().splitlines()[0]) if (description or func.__doc__) else name
        _READERS[name] = Reader(name, func, sniff, version, priority, doc, batches)
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


def read_batches(
    path: str | Path, *, format: str | None = None, batch_rows: int = BATCH_ROWS, **options: Any
) -> Iterator[Frames]:
    """Read one export in batches of at most `batch_rows` transactions, each ready to store.

    Each batch has its provenance filled and its invalid rows moved to its rejects (as
    :func:`read` does for the whole file). A streaming reader (goAML) gives each party
    and account once, in the batch where it is first met, and finds a repeated
    ``tx_id`` across batches; other readers give the whole file as one batch. The
    batches' ``rows_read`` add up to the file's; ``report`` (reader findings such as
    XSD messages) is complete on the last batch.

    Parameters
    ----------
    path : str or Path
        The export file.
    format : str, optional
        Skip detection and use this reader.
    batch_rows : int, default 20_000
        Most transactions in one batch (rejects come on top).
    **options
        Passed to the reader.

    Yields
    ------
    Frames
        One batch; :func:`concat_frames` of all of them equals ``read(path)``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "str.xml"
    >>> tx = "".join(
    ...     f"<transaction><transactionnumber>T{i}</transactionnumber>"
    ...     f"<date_transaction>2026-03-0{i}T10:00:00</date_transaction><amount_local>{i}00</amount_local>"
    ...     "<t_from><from_account><swift>EQBLKENA</swift><account>111</account></from_account></t_from>"
    ...     "<t_to><to_account><swift>EQBLKENA</swift><account>222</account></to_account></t_to></transaction>"
    ...     for i in range(1, 6)
    ... )
    >>> _ = path.write_text(f"<report><rentity_id>7</rentity_id><report_code>STR</report_code>"
    ...     f"<currency_code_local>KES</currency_code_local>{tx}</report>")
    >>> [(len(b.transactions), len(b.accounts), b.rows_read) for b in read_batches(path, batch_rows=2)]
    [(2, 2, 2), (2, 0, 2), (1, 0, 1)]
    """
    reader = get_reader(format) if format else detect_format(path)
    p = Path(path)
    return finished_batches(reader, p, sha256=file_sha256(p), batch_rows=batch_rows, options=options)


def finished_batches(
    reader: Reader, path: Path, *, sha256: str, batch_rows: int, options: dict[str, Any]
) -> Iterator[Frames]:
    """The batches of one file by a known reader, each through :func:`finish` (see :func:`read_batches`)."""
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, got {batch_rows}")
    if reader.batches is None:
        yield finish(reader.read(path, **options), reader=reader, path=path, sha256=sha256)
        return
    for frames in reader.batches(path, batch_rows=batch_rows, **options):
        yield finish(frames, reader=reader, path=path, sha256=sha256)


def concat_frames(batches: Iterable[Frames]) -> Frames:
    """One :class:`Frames` from batches of the same file (rows in order, counts added, last report kept).

    >>> a = Frames(format="goaml", rows_read=2, report={"transactions": 2})
    >>> b = Frames(format="goaml", rows_read=1, report={"transactions": 3})
    >>> whole = concat_frames([a, b])
    >>> whole.rows_read, whole.report, whole.format
    (3, {'transactions': 3}, 'goaml')
    """
    parts = list(batches)
    if not parts:
        return Frames()
    if len(parts) == 1:
        return parts[0]
    last = parts[-1]
    out = Frames(
        format=last.format,
        path=last.path,
        sha256=last.sha256,
        reader_version=last.reader_version,
        rows_read=sum(p.rows_read for p in parts),
        report=last.report,
    )
    for name in ("transactions", "parties", "accounts", "rejects"):
        frames = [getattr(p, name) for p in parts if len(getattr(p, name))]
        if len(frames) == 1:
            setattr(out, name, frames[0])
        elif frames:
            setattr(out, name, pd.concat(frames, ignore_index=True))
    return out


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
