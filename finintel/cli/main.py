"""``finintel`` console script (placeholder until the CLI issue lands)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["entry_point", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with `argv` (default: sys.argv[1:]) and return the exit code."""
    print("finintel: the command line is not built yet", file=sys.stderr)
    return 3


def entry_point() -> None:
    sys.exit(main())
