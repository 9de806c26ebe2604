"""Every exception finintel raises.

::

    FinintelError                      base of everything below
    ├── InputError (ValueError)        data that does not fit: names file, row, column
    │   └── UnknownFormatError         no reader recognised a file; lists each reader's refusal
    ├── UnsafeInputError (ValueError)  hostile input refused: XML entities, bombs, oversize files
    ├── ConfigError (ValueError)       a bad screening configuration, profile or parameter
    ├── UnknownDetectorError (KeyError)
    └── MissingDependencyError (ImportError)  an optional extra is not installed

Each error keeps its pieces as attributes (``path``, ``row``, ``column``, ``problem``)
so that callers (the CLI, a notebook) can show them or collect them in a table.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ConfigError",
    "FinintelError",
    "InputError",
    "MissingDependencyError",
    "UnknownDetectorError",
    "UnknownFormatError",
    "UnsafeInputError",
]

PathLike = str | os.PathLike[str]


class FinintelError(Exception):
    """Base class of every error finintel raises on purpose."""


class InputError(FinintelError, ValueError):
    """Data that does not fit the canonical schema: says where, and what was expected.

    Parameters
    ----------
    problem : str
        What was expected and what was found.
    path, row, column : optional
        Where: the file, the row as a person finds it (spreadsheet row, XML line),
        and the column or element.
    failures : pandas.DataFrame, optional
        Every problem found when checking a whole frame (``path, row, column, problem, value``).

    Examples
    --------
    >>> str(InputError("expected a number like 1234.56, got '12,5x'", path="march.csv", row=17, column="amount"))
    "march.csv, row 17, column 'amount': expected a number like 1234.56, got '12,5x'"
    """

    def __init__(
        self,
        problem: str,
        *,
        path: PathLike | None = None,
        row: int | None = None,
        column: str | None = None,
        failures: pd.DataFrame | None = None,
    ) -> None:
        self.problem, self.path, self.row, self.column = problem, path, row, column
        self.failures = failures
        where = [
            str(path) if path else "",
            f"row {row}" if row is not None else "",
            f"column {column!r}" if column else "",
        ]
        prefix = ", ".join(w for w in where if w)
        super().__init__(f"{prefix}: {problem}" if prefix else problem)


class UnknownFormatError(InputError):
    """No registered reader recognised the file; ``refusals`` maps reader name to its reason."""

    def __init__(self, path: PathLike, refusals: dict[str, str]) -> None:
        self.refusals = refusals
        tried = "; ".join(f"{name}: {why}" for name, why in refusals.items())
        super().__init__(f"no reader recognised this file (tried {tried})", path=path)


class UnsafeInputError(FinintelError, ValueError):
    """Hostile or oversized input refused before it could do harm."""

    def __init__(self, problem: str, *, path: PathLike | None = None) -> None:
        self.problem, self.path = problem, path
        super().__init__(f"{path}: {problem}" if path else problem)


class ConfigError(FinintelError, ValueError):
    """A bad screening configuration, profile name or detector parameter."""


class UnknownDetectorError(FinintelError, KeyError):
    """No detector is registered under the requested name."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class MissingDependencyError(FinintelError, ImportError):
    """An optional dependency is missing; the message gives the exact pip command."""

    def __init__(self, package: str, extra: str) -> None:
        self.package, self.extra = package, extra
        super().__init__(f'{package} is needed for this; install it with: pip install "finintel[{extra}]"')
