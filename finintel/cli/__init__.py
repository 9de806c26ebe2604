"""The ``finintel`` command line: batch ingest, screening, maps, traces and reports."""

from finintel.cli.main import main

__all__ = ["main"]
