"""The case store: a folder of Parquet datasets and a manifest, append-only and idempotent by file hash.

Layout::

    case/
      manifest/part-<sha>.parquet       one row per ingested file (written last: the commit point)
      index/tx-<sha>.parquet            sorted 8-byte hashes of that file's tx_ids (duplicate check
                                        reads only the files whose index may hold a new id)
      transactions/part-<sha>.parquet   rows of that file in the canonical schema
      parties/ accounts/ rejects/       the same, per file
      alerts/alerts.parquet             the latest screening run (replaced by each run)

A file is read in batches (:func:`finintel.ingest._registry.read_batches`; goAML
streams, other formats come as one batch) and each batch is appended as a row group
to ``part-<sha>.tmp`` of each frame, so ingesting holds one batch in memory whatever
the file's size. The ``.tmp`` files are renamed when the file is read to its end,
then the manifest entry is written. A part file whose hash is not in the manifest
(an ingest that crashed half way) and any ``.tmp`` file are ignored when reading and
overwritten by the next ingest of that file. DuckDB can query the same files:
``SELECT * FROM 'case/transactions/*.parquet'``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from finintel.errors import FinintelError, InputError
from finintel.ingest._registry import (
    BATCH_ROWS,
    Frames,
    detect_format,
    file_sha256,
    finished_batches,
    get_reader,
)
from finintel.schema import frames as F

__all__ = ["Case", "open_case"]

_DATASETS = ("transactions", "parties", "accounts", "rejects")
_SKIP_NAMES = ("readme", "sources", "license", "licence")
SUMMARY_COLUMNS = ["file", "format", "sha256", "rows_read", "rows_written", "rows_rejected", "status", "error"]


def open_case(path: str | os.PathLike[str]) -> Case:
    """Open the case store at `path`, creating the folder if absent.

    Examples
    --------
    >>> import tempfile
    >>> case = fi.open_case(tempfile.mkdtemp())
    >>> case.transactions().empty, list(case.manifest().columns[:3])
    (True, ['file', 'sha256', 'format'])
    """
    return Case(path)


class Case:
    """A case store folder; see the module docstring for its layout."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise InputError("a case store must be a folder, and this is a file", path=str(self.path))
        for name in (*_DATASETS, "manifest", "alerts", "index"):
            (self.path / name).mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"<Case {self.path}: {len(self._manifest_files())} files ingested>"

    # ------------------------------------------------------------------ ingest

    def ingest(
        self,
        paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        format: str | None = None,
        errors: Literal["raise", "collect"] = "raise",
        batch_rows: int = BATCH_ROWS,
        **reader_options: Any,
    ) -> pd.DataFrame:
        """Read exports and store their frames; a file already ingested (same SHA-256) changes nothing.

        Parameters
        ----------
        paths : path or iterable of paths
            Files, or folders (read recursively; README/SOURCES/LICENSE files and hidden files skipped).
        format : str, optional
            Force one reader for every file instead of detecting each file's format.
        errors : {"raise", "collect"}
            A file that cannot be read at all: ``"raise"`` raises its error after the other
            files are ingested; ``"collect"`` reports it in the summary's ``status`` and ``error``.
        batch_rows : int, default 20_000
            Transactions read and stored at a time by a streaming reader (goAML): memory
            is bounded by one batch, whatever the file's size.
        **reader_options
            Passed to each reader (``account=``, ``tz=``, ``mapping=`` ...).

        Returns
        -------
        pandas.DataFrame
            Per file: file, format, sha256, rows_read, rows_written, rows_rejected,
            status (``ingested``, ``already ingested``, ``failed``), error.

        Notes
        -----
        A row whose ``tx_id`` is already in the case from another file (overlapping
        statements, both sides of one transfer) goes to rejects as a duplicate,
        with the file and row where it was first seen. A file is committed whole or
        not at all: an error or a crash half way leaves none of its rows in the case.
        """
        rows: list[dict[str, Any]] = []
        first_error: Exception | None = None
        for path in _expand(paths):
            try:
                rows.append(self._ingest_one(path, format=format, options=reader_options, batch_rows=batch_rows))
            except FinintelError as exc:
                first_error = first_error or exc
                rows.append({"file": str(path), "format": format, "status": "failed", "error": str(exc)})
        summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
        for c in ("rows_read", "rows_written", "rows_rejected"):
            summary[c] = summary[c].astype("Int64")
        if first_error is not None and errors == "raise":
            first_error.summary = summary  # type: ignore[attr-defined]
            raise first_error
        return summary

    def _ingest_one(
        self, path: Path, *, format: str | None, options: dict[str, Any], batch_rows: int = BATCH_ROWS
    ) -> dict[str, Any]:
        if not path.is_file():
            raise InputError("no such file" if not path.exists() else "not a regular file", path=str(path))
        sha = file_sha256(path)
        done = self.manifest()
        if sha in set(done["sha256"].dropna()):
            prev = done.loc[done["sha256"] == sha].iloc[0]
            return {
                "file": str(path),
                "format": prev["format"],
                "sha256": sha,
                "rows_read": 0,
                "rows_written": 0,
                "rows_rejected": 0,
                "status": "already ingested",
                "error": f"same content as {prev['file']}",
            }
        reader = get_reader(format) if format else detect_format(path)
        batches = finished_batches(reader, path, sha256=sha, batch_rows=batch_rows, options=options)
        entry = self._store(batches, sha256=sha, options=options)
        return {
            "file": str(path),
            "format": reader.name,
            "sha256": sha,
            "rows_read": entry["rows_read"],
            "rows_written": entry["rows_written"],
            "rows_rejected": entry["rows_rejected"],
            "status": "ingested",
            "error": None,
        }

    def add(self, frames: Frames, *, options: dict[str, Any] | None = None) -> Frames:
        """Store frames already read (by :func:`finintel.read` or built in code) under their file hash.

        Rows whose ``tx_id`` is already in the case move to rejects. Returns the frames as stored.
        """
        if not frames.sha256:
            raise InputError("frames to add need a sha256 (read them with fi.read)")
        if frames.sha256 in set(self.manifest()["sha256"].dropna()):
            return frames
        stored: list[Frames] = []
        self._store(iter([frames]), sha256=frames.sha256, options=options, stored=stored)
        return stored[0]

    def _store(
        self,
        batches: Iterator[Frames],
        *,
        sha256: str,
        options: dict[str, Any] | None,
        stored: list[Frames] | None = None,
    ) -> dict[str, Any]:
        """Append each batch to the file's part files, then commit them with the manifest entry."""
        key = sha256[:24]
        writers = {name: _PartWriter(self.path / name / f"part-{key}.parquet", F.FRAMES[name]) for name in _DATASETS}
        entry: dict[str, Any] = {
            "file": None,
            "sha256": sha256,
            "format": None,
            "reader_version": None,
            "rows_read": 0,
            "rows_written": 0,
            "rows_rejected": 0,
            "parties": 0,
            "accounts": 0,
        }
        hashes: list[np.ndarray] = []
        try:
            for frames in batches:
                frames = self._drop_known(frames)
                hashes.append(_tx_hash(frames.transactions["tx_id"]))
                for name, writer in writers.items():
                    writer.write(getattr(frames, name))
                entry.update(file=frames.path, format=frames.format, reader_version=frames.reader_version)
                entry["rows_read"] += frames.rows_read
                entry["rows_written"] += len(frames.transactions)
                entry["rows_rejected"] += len(frames.rejects)
                entry["parties"] += len(frames.parties)
                entry["accounts"] += len(frames.accounts)
                if stored is not None:
                    stored.append(frames)
            _atomic_write(
                pa.table({"h": np.sort(np.concatenate(hashes)) if hashes else np.zeros(0, np.uint64)}),
                self.path / "index" / f"tx-{key}.parquet",
            )
            for writer in writers.values():
                writer.close()
        except BaseException:
            for writer in writers.values():
                writer.abort()
            raise
        entry["ingested_at"] = pd.Timestamp(datetime.now(UTC))
        entry["options"] = json.dumps(options or {}, default=str, sort_keys=True)
        _atomic_write(
            F.to_arrow(F.coerce(pd.DataFrame([entry]), F.MANIFEST), F.MANIFEST),
            self.path / "manifest" / f"part-{key}.parquet",
        )
        return entry

    def _drop_known(self, frames: Frames) -> Frames:
        """Move rows whose tx_id is already in the committed files to rejects (naming where it was first)."""
        tx = frames.transactions
        if tx.empty:
            return frames
        files = self._committed("transactions")
        if not files:
            return frames
        # Each committed file has a sorted index of 8-byte hashes of its tx_ids: only files whose
        # index holds one of this batch's hashes are read (cases from before the index: all).
        h = _tx_hash(tx["tx_id"])
        maybe = np.zeros(len(h), dtype=bool)
        suspects = []
        for f in files:
            index = self.path / "index" / f"tx-{Path(f).name[len('part-') : -len('.parquet')]}.parquet"
            if not index.exists():
                suspects.append(f)
                maybe[:] = True
                continue
            known_h = pq.read_table(index, columns=["h"]).column("h").to_numpy()
            if not len(known_h):
                continue
            pos = np.minimum(np.searchsorted(known_h, h), len(known_h) - 1)
            match = known_h[pos] == h
            if match.any():
                suspects.append(f)
                maybe |= match
        if not suspects:
            return frames
        # the scan streams the suspect files' tx_id column and keeps only the ids of this batch
        # that may repeat; file and row are read only for the ids that do
        ids = pa.array(tx["tx_id"].array, from_pandas=True)
        if isinstance(ids, pa.ChunkedArray):
            ids = ids.combine_chunks()
        ids = ids.cast(pa.string())
        data = ds.dataset(suspects, schema=F.TRANSACTIONS.schema, format="parquet")
        probe = ids if maybe.all() else pc.filter(ids, pa.array(maybe))
        known_ids = data.to_table(columns=["tx_id"], filter=pc.field("tx_id").isin(probe)).column("tx_id")
        if not len(known_ids):
            return frames
        hit_arr = pc.fill_null(pc.is_in(ids, value_set=known_ids.combine_chunks()), False)
        hit = pd.Series(hit_arr.to_numpy(zero_copy_only=False), index=tx.index)
        known = F.from_arrow(
            data.to_table(
                columns=["tx_id", "source_file", "source_row"], filter=pc.field("tx_id").isin(known_ids.unique())
            ),
            F.TRANSACTIONS,
        )[["tx_id", "source_file", "source_row"]]
        where = known.drop_duplicates("tx_id").set_index("tx_id")
        dup = tx[hit]
        first = where.loc[dup["tx_id"]]
        extra = pd.DataFrame(
            {
                "source_file": dup["source_file"].to_numpy(),
                "source_row": dup["source_row"].to_numpy(),
                "column": "tx_id",
                "problem": [
                    f"duplicate of a transaction already in the case ({f}, row {r})"
                    for f, r in zip(first["source_file"], first["source_row"], strict=True)
                ],
                "raw": dup["tx_id"].to_numpy(),
                "source_format": dup["source_format"].to_numpy(),
                "source_sha256": dup["source_sha256"].to_numpy(),
            }
        )
        frames.transactions = tx[~hit].reset_index(drop=True)
        frames.rejects = F.coerce(pd.concat([frames.rejects, extra], ignore_index=True), F.REJECTS)
        return frames

    # ------------------------------------------------------------------ read

    def transactions(self, columns: Sequence[str] | None = None, *, filter: Any = None) -> pd.DataFrame:
        """All stored transactions in the canonical schema (optionally some columns, or an Arrow filter)."""
        return self._read("transactions", columns, filter)

    def parties(self) -> pd.DataFrame:
        """People and organisations behind accounts (KYC from goAML, exchanges, statement headers)."""
        return self._read("parties")

    def accounts(self) -> pd.DataFrame:
        """Account keys with holder party, institution, opened/closed."""
        return self._read("accounts")

    def rejects(self) -> pd.DataFrame:
        """Every input row that is not in transactions, with file, row, column and the reason."""
        return self._read("rejects")

    def manifest(self) -> pd.DataFrame:
        """One row per ingested file: file, sha256, format, reader version, row counts, time."""
        files = sorted((self.path / "manifest").glob("part-*.parquet"))
        if not files:
            return F.empty(F.MANIFEST)
        table = pa.concat_tables([pq.read_table(f) for f in files], promote_options="default")
        return F.from_arrow(table, F.MANIFEST).sort_values("ingested_at", kind="stable").reset_index(drop=True)

    def alerts(self) -> pd.DataFrame:
        """Alerts of the latest screening run stored with :meth:`write_alerts` (empty if none)."""
        path = self.path / "alerts" / "alerts.parquet"
        if not path.exists():
            return F.empty(F.ALERTS)
        return F.from_arrow(pq.read_table(path), F.ALERTS)

    def write_alerts(self, alerts: pd.DataFrame) -> Path:
        """Store an alerts frame as the case's current screening result, replacing the previous one."""
        alerts = F.coerce(alerts, F.ALERTS)
        path = self.path / "alerts" / "alerts.parquet"
        _atomic_write(F.to_arrow(alerts, F.ALERTS), path)
        return path

    def dataset(self, name: str = "transactions") -> ds.Dataset:
        """The committed part files of one frame as a pyarrow Dataset (for partitioned, larger-than-memory reads)."""
        spec = F.FRAMES[name]
        return ds.dataset(self._committed(name), schema=spec.schema, format="parquet")

    def _manifest_files(self) -> list[Path]:
        return sorted((self.path / "manifest").glob("part-*.parquet"))

    def _committed(self, name: str) -> list[str]:
        keys = {p.name for p in self._manifest_files()}
        return [str(p) for p in sorted((self.path / name).glob("part-*.parquet")) if p.name in keys]

    def _read(self, name: str, columns: Sequence[str] | None = None, filter: Any = None) -> pd.DataFrame:
        spec = F.FRAMES[name]
        files = self._committed(name)
        if not files:
            df = F.empty(spec)
            return df[list(columns)] if columns else df
        table = ds.dataset(files, schema=spec.schema, format="parquet").to_table(
            columns=list(columns) if columns else None, filter=filter
        )
        df = F.from_arrow(table, spec)
        return df[list(columns)] if columns else df


# near-unique columns: a dictionary would be built and then dropped by the writer
_NO_DICTIONARY = frozenset({"tx_id", "timestamp", "amount", "amount_exact", "attributes", "source_row", "raw"})
# long free text: min/max statistics of it serve no filter
_NO_STATISTICS = frozenset({"attributes", "description", "raw"})


def _write_options(names: Sequence[str]) -> dict[str, Any]:
    return {
        "compression": "zstd",
        "use_dictionary": [c for c in names if c not in _NO_DICTIONARY],
        "write_statistics": [c for c in names if c not in _NO_STATISTICS],
    }


def _atomic_write(table: pa.Table, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp, **_write_options(table.column_names))
    os.replace(tmp, path)


class _PartWriter:
    """One frame of one file: batches appended as row groups to ``<part>.tmp``, renamed by :meth:`close`."""

    def __init__(self, path: Path, spec: F.Frame) -> None:
        self.path, self.spec = path, spec
        self.tmp = path.with_suffix(".tmp")
        self.writer: pq.ParquetWriter | None = None

    def _open(self) -> pq.ParquetWriter:
        if self.writer is None:
            schema = self.spec.schema
            self.writer = pq.ParquetWriter(self.tmp, schema, **_write_options(schema.names))
        return self.writer

    def write(self, df: pd.DataFrame) -> None:
        writer = self._open()
        if len(df):
            df = df[[c for c in self.spec.columns if c in df.columns]]
            writer.write_table(F.to_arrow(df, self.spec))

    def close(self) -> None:
        self._open().close()
        self.writer = None
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if self.writer is not None:
            try:
                self.writer.close()
            finally:
                self.writer = None
        self.tmp.unlink(missing_ok=True)


_HASH_KEY = "finintel-tx-index"[:16].ljust(16, "0")


def _tx_hash(tx_ids: pd.Series) -> np.ndarray:
    """64-bit hashes of transaction ids (fixed key: the same in every process and version)."""
    values = np.asarray(tx_ids.astype(object).to_numpy(dtype=object))
    return np.asarray(pd.util.hash_array(values, hash_key=_HASH_KEY, categorize=False), dtype=np.uint64)


def _expand(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out += [f for f in sorted(p.rglob("*")) if f.is_file() and not _skipped(f)]
        else:
            out.append(p)
    return out


def _skipped(path: Path) -> bool:
    name = path.name.lower()
    return (
        name.startswith(".")
        or name.startswith(_SKIP_NAMES)
        or any(part.startswith(".") for part in path.parts[:-1] if part not in (".", ".."))
    )
