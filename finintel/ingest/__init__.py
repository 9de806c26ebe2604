"""Readers for the exports FIUs receive, each registered and detected by content.

Every public module of this package (not starting with ``_``) is imported on first
use and registers its readers with :func:`register_reader`; ``fi.read`` picks one
by sniffing the file's first bytes.
"""

from finintel.ingest._registry import (
    Frames,
    Reader,
    available_readers,
    detect_format,
    file_sha256,
    read,
    read_batches,
    register_reader,
)

__all__ = [
    "Frames",
    "Reader",
    "available_readers",
    "detect_format",
    "file_sha256",
    "read",
    "read_batches",
    "register_reader",
]
