"""The detector registry: a dict filled by a decorator, plus plug-ins from entry points.

A detector is a pure function ``(tx, *, <parameters>) -> alerts``. :func:`register`
wraps it so that every call, direct or through :func:`run`:

1. checks the frame (missing canonical column -> InputError naming it; coerces dtypes if needed),
2. keeps only ``status == "completed"`` rows (failed and reversed transfers move no value),
3. fills each parameter the caller did not give from the jurisdiction profile
   (``profile["<detector>.<param>"]``, then ``profile["<param>"]``), else the signature default,
4. checks the result has the alert columns first.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Literal

import pandas as pd

from finintel.errors import InputError, UnknownDetectorError
from finintel.profiles import get_profile, resolve_params
from finintel.schema import frames as F

__all__ = ["Detector", "available", "get", "register"]

Partition = Literal["sender", "receiver", "account", "component", "none"]
CONTEXT = ("parties", "accounts", "tags", "watchlist", "alerts")
"""Keyword inputs that are data, not parameters: run() passes them to detectors that take them."""

Scan = Callable[..., Iterator[pd.DataFrame]]
"""``scan(columns=None)``: the screened transactions again, chunk by chunk (canonical frames)."""
Gather = Callable[..., pd.DataFrame]
"""``gather(scan, params, **context) -> transactions``: the rows a whole-frame detector can use."""


@dataclass(frozen=True)
class Detector:
    name: str
    func: Callable[..., pd.DataFrame]
    description: str
    partition: Partition
    defaults: Mapping[str, Any]
    horizon: tuple[str, ...] | Callable[[Mapping[str, Any]], pd.Timedelta] = ()
    """Duration parameters whose sum (or a function of the parameters that) bounds the time from an alert's earliest row to its latest,
    context included (``component`` detectors: lets a huge component be screened in time slices)."""
    gather: Gather | None = None
    """For ``none`` detectors: streams the case and returns the only rows the detector can use."""

    def horizon_of(self, params: Mapping[str, Any]) -> pd.Timedelta | None:
        """The time an alert can reach with these parameters (None: not declared, no time slicing)."""
        if not self.horizon:
            return None
        if callable(self.horizon):
            return pd.Timedelta(self.horizon({**self.defaults, **params}))
        return sum((pd.Timedelta(params.get(p, self.defaults[p])) for p in self.horizon), pd.Timedelta(0))

    def __call__(self, tx: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
        return self.func(tx, **kwargs)


_DETECTORS: dict[str, Detector] = {}
_LOADED = False


def register(
    name: str,
    *,
    partition: Partition = "account",
    horizon: tuple[str, ...] | Callable[[Mapping[str, Any]], pd.Timedelta] = (),
    gather: Gather | None = None,
) -> Callable[[Callable[..., pd.DataFrame]], Callable[..., pd.DataFrame]]:
    """Register a detector under `name`.

    Parameters
    ----------
    name : str
        The detector's name, after the typology (``structuring``, ``fan_in``).
    partition : {"sender", "receiver", "account", "component", "none"}
        What its work partitions on, so that it runs unchanged per partition on a distributed
        engine: all rows of one sender, one receiver, one account (either side), one connected
        component, or "none" (needs the whole frame).
    horizon : tuple of str, or callable, optional
        Names of duration parameters (``("slow_window",)``), or a function of the resolved
        parameters returning a Timedelta, whose sum bounds how far in time
        the rows of one alert, and the rows it reads for context, lie from each other. A
        ``component`` detector that declares it can be screened over a component larger than
        memory in overlapping time slices (:mod:`finintel.scale`).
    gather : callable, optional
        For a ``none`` detector: ``gather(scan, params, **context)`` streams the transactions
        with ``scan(columns=None)`` (one or more passes) and returns the rows the detector can
        use; the detector must give the same alerts on them as on the whole frame. Lets the
        partitioned engine run it without loading the case.
    """

    def decorator(func: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        if name in _DETECTORS:
            raise ValueError(f"a detector named {name!r} is already registered")
        sig = inspect.signature(func)
        defaults = {
            p.name: p.default
            for p in sig.parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in CONTEXT
        }
        context = [p for p in CONTEXT if p in sig.parameters]

        @functools.wraps(func)
        def wrapper(tx: pd.DataFrame, *, profile: str | Mapping[str, Any] = "generic", **kwargs: Any) -> pd.DataFrame:
            ctx = {k: kwargs.pop(k) for k in list(kwargs) if k in CONTEXT}
            params = resolve_params(name, defaults, get_profile(profile), kwargs)
            tx = check_transactions(tx)
            if "status" in tx.columns:
                tx = tx[tx["status"].astype(object).fillna("completed") == "completed"]
            alerts = func(tx, **params, **{k: v for k, v in ctx.items() if k in context})
            return _check_alerts(name, alerts)

        doc = (func.__doc__ or name).strip().splitlines()[0]
        for p in () if callable(horizon) else horizon:
            if p not in defaults:
                raise ValueError(f"detector {name!r}: horizon names {p!r}, which is not one of its parameters")
        _DETECTORS[name] = Detector(
            name, wrapper, doc, partition, defaults, horizon if callable(horizon) else tuple(horizon), gather
        )
        return wrapper

    return decorator


def check_transactions(tx: pd.DataFrame) -> pd.DataFrame:
    """The frame itself when its canonical columns have canonical dtypes, else a coerced copy.

    Raises InputError naming a missing required column.
    """
    if not isinstance(tx, pd.DataFrame):
        raise InputError(f"expected a transactions DataFrame, got {type(tx).__name__}")
    missing = [c for c in F.TRANSACTIONS.required if c not in tx.columns]
    if missing:
        raise InputError(f"the transactions frame lacks column(s) {', '.join(missing)}", column=missing[0])
    ok = (
        str(tx["timestamp"].dtype) == "datetime64[us, UTC]"
        and tx["amount"].dtype == "float64"
        and all(c in tx.columns for c in F.TRANSACTIONS.columns)
        and isinstance(tx["sender"].dtype, pd.StringDtype)
    )
    return tx if ok else F.validate_transactions(tx)


def _check_alerts(name: str, alerts: pd.DataFrame) -> pd.DataFrame:
    if alerts.empty and list(alerts.columns[: len(F.ALERT_COLUMNS)]) != list(F.ALERT_COLUMNS):
        return F.empty(F.ALERTS)
    if tuple(alerts.columns[: len(F.ALERT_COLUMNS)]) != F.ALERT_COLUMNS:
        raise TypeError(
            f"detector {name!r} returned columns {list(alerts.columns)}; the first must be {F.ALERT_COLUMNS}"
        )
    return alerts


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    import importlib
    import pkgutil

    import finintel.detect as pkg

    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"finintel.detect.{mod.name}")
    for ep in entry_points(group="finintel.detectors"):
        ep.load()


def available() -> pd.DataFrame:
    """Registered detectors: name, partition key and a one-line description.

    Examples
    --------
    >>> "structuring" in set(fi.detect.available()["name"])
    True
    """
    _load()
    rows = [(d.name, d.partition, d.description) for d in sorted(_DETECTORS.values(), key=lambda d: d.name)]
    return pd.DataFrame(rows, columns=["name", "partition", "description"])


def get(name: str) -> Detector:
    """The detector registered as `name`; an unknown name suggests the closest one."""
    _load()
    if name not in _DETECTORS:
        close = difflib.get_close_matches(name, list(_DETECTORS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownDetectorError(f"no detector named {name!r}.{hint} Known: {', '.join(sorted(_DETECTORS))}")
    return _DETECTORS[name]
