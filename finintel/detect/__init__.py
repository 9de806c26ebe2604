"""Detectors: explainable, time-aware typologies over the canonical transactions frame.

``fi.detect.run(tx, profile="KE")`` runs the pack and concatenates the alerts;
``fi.detect.available()`` lists the detectors. Each detector is a module of this
package registered with :func:`register`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from finintel.detect._alerts import alert_id, make_alerts, money
from finintel.detect._registry import CONTEXT, Detector, available, check_transactions, get, register
from finintel.schema import frames as F


def risk_scores(alerts: pd.DataFrame, **options: Any) -> pd.DataFrame:
    """One explainable score per account (or resolved entity); see :func:`finintel.detect.risk.risk_scores`."""
    from finintel.detect.risk import risk_scores as _risk_scores

    return _risk_scores(alerts, **options)


__all__ = [
    "Detector",
    "alert_id",
    "available",
    "check_transactions",
    "get",
    "make_alerts",
    "money",
    "register",
    "risk_scores",
    "run",
]


def run(
    tx: pd.DataFrame,
    detectors: Iterable[str] | None = None,
    profile: str | Mapping[str, Any] = "generic",
    *,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    **overrides: Any,
) -> pd.DataFrame:
    """Run a set of detectors and concatenate their alerts.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions in the canonical schema.
    detectors : iterable of str, optional
        Names (see :func:`available`); all when None.
    profile : str or mapping
        Jurisdiction profile (``generic``, ``KE``, ``UG``, ``ET``, ``DJ``) or a profile dict.
    params : mapping, optional
        Per-detector parameters: ``{"structuring": {"min_count": 4}}``.
    **overrides
        Profile-wide values (``reporting_threshold=...``) and data inputs
        (``parties=``, ``accounts=``, ``tags=``, ``watchlist=``) passed to detectors that take them.

    Returns
    -------
    pandas.DataFrame
        All alerts, sorted by detector, entity and start.
    """
    from finintel.profiles import get_profile

    context = {k: overrides.pop(k) for k in list(overrides) if k in CONTEXT}
    prof = get_profile(profile, **overrides)
    names = list(detectors) if detectors is not None else list(available()["name"])
    params = params or {}
    unknown = set(params) - set(names)
    if unknown:
        from finintel.errors import ConfigError

        raise ConfigError(f"parameters given for detector(s) not run: {', '.join(sorted(unknown))}")
    tx = check_transactions(tx)
    frames = []
    for name in names:
        det = get(name)
        accepts = {k: v for k, v in context.items() if k in _accepted(det)}
        frames.append(det(tx, profile=prof, **dict(params.get(name, {})), **accepts))
    frames = [f for f in frames if len(f)]
    if not frames:
        return F.empty(F.ALERTS)
    out = pd.concat(frames, ignore_index=True, sort=False)
    return out.sort_values(["detector", "entity", "start", "alert_id"], kind="stable").reset_index(drop=True)


def _accepted(det: Detector) -> set[str]:
    import inspect

    return set(inspect.signature(inspect.unwrap(det.func)).parameters)
