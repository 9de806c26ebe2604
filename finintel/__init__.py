"""finintel: financial intelligence for FIUs, police and prosecutors.

Ingest exports into a canonical Parquet case store, build networks, flag laundering
and trafficking patterns, and map and share the findings.

>>> import finintel as fi
>>> fi.__version__
'0.1.0'
"""

from finintel import errors, schema
from finintel._version import __version__
from finintel.errors import FinintelError, InputError
from finintel.ingest import Frames, available_readers, read
from finintel.store import Case, open_case

__all__ = [
    "Case",
    "FinintelError",
    "Frames",
    "InputError",
    "__version__",
    "available_readers",
    "errors",
    "open_case",
    "read",
    "schema",
]


def __getattr__(name: str) -> object:
    # Heavier subpackages load on first use: fi.detect, fi.graph, fi.viz, fi.report, fi.export, fi.synth ...
    import importlib

    if name in {
        "detect",
        "graph",
        "viz",
        "synth",
        "resolve",
        "export",
        "datasets",
        "profiles",
        "testing",
        "cli",
        "scale",
        "report",
        "screening",
        "config",
    }:
        return importlib.import_module(f"finintel.{name}")
    raise AttributeError(f"module 'finintel' has no attribute {name!r}")
