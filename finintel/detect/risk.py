"""Risk scores: one explainable score per account (and per resolved entity) from the alerts of all detectors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from finintel.errors import InputError

__all__ = ["risk_scores"]

_COLUMNS = ["level", "entity", "score", "n_alerts", "n_detectors", "detectors", "top_reasons", "alert_ids"]


def risk_scores(
    alerts: pd.DataFrame,
    *,
    entities: Mapping[str, str] | pd.DataFrame | None = None,
    weights: Mapping[str, float] | None = None,
    top: int = 3,
) -> pd.DataFrame:
    """Combine the alerts on each account into one score, with the reasons that drive it.

    For each account, the strongest alert of each detector counts once (ten structuring alerts are one
    structuring finding), weighted by `weights` (default 1 for every detector), and the detectors combine by
    *noisy-or*: ``score = 1 - prod(1 - weight_d * max_score_d)``. Two independent 0.5 findings give 0.75;
    any 1.0 finding gives 1. The score stays in 0-1 and only grows with more, stronger, different evidence.

    With `entities` (account -> resolved entity id, from entity resolution), the same is done per entity over
    the alerts of all its accounts, and those rows follow with ``level == "entity"``.

    Parameters
    ----------
    alerts : pandas.DataFrame
        Alerts from ``fi.detect.run`` (needs ``alert_id, detector, entity, score, reason``).
    entities : mapping or pandas.DataFrame, optional
        ``{account: entity_id}``, or a frame with ``account`` and ``entity_id`` columns.
    weights : mapping, optional
        Weight per detector name, 0-1 (e.g. ``{"out_of_hours": 0.5}`` for a weak signal).
    top : int, default 3
        How many reasons to list.

    Returns
    -------
    pandas.DataFrame
        ``level, entity, score, n_alerts, n_detectors, detectors, top_reasons, alert_ids``, highest score
        first within each level. ``detectors`` lists the detectors by contribution; ``top_reasons`` holds
        ``"<detector> (<score>): <reason>"`` strings of the strongest alerts.

    Raises
    ------
    InputError
        If `alerts` lacks one of the columns above.

    Examples
    --------
    >>> alerts = pd.DataFrame({
    ...     "alert_id": ["s:1", "s:2", "f:1"], "detector": ["structuring", "structuring", "fan_in"],
    ...     "entity": ["acct-A", "acct-A", "acct-A"], "score": [0.5, 0.6, 0.5],
    ...     "reason": ["3 transfers under the threshold.", "4 transfers under the threshold.", "9 new senders."]})
    >>> r = risk_scores(alerts)
    >>> r[["level", "entity", "score", "n_alerts", "detectors"]]
         level  entity  score  n_alerts              detectors
    0  account  acct-A    0.8         3  structuring, fan_in
    >>> r.at[0, "top_reasons"][0]
    'structuring (0.60): 4 transfers under the threshold.'
    >>> risk_scores(alerts, entities={"acct-A": "person-7"})["entity"].tolist()
    ['acct-A', 'person-7']
    """
    need = ["alert_id", "detector", "entity", "score", "reason"]
    missing = [c for c in need if c not in alerts.columns]
    if missing:
        raise InputError(f"the alerts frame lacks column(s) {', '.join(missing)}", column=missing[0])
    if len(alerts) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _COLUMNS}).astype({"score": "float64"})
    a = alerts[need].copy()
    a["entity"] = a["entity"].astype(str)
    a["detector"] = a["detector"].astype(str)
    a["score"] = a["score"].astype("float64").clip(0.0, 1.0)
    w = a["detector"].map(lambda d: float((weights or {}).get(d, 1.0)))
    a["weighted"] = (a["score"] * w.clip(0.0, 1.0)).fillna(0.0)
    out = [_score(a, "account", top)]
    if entities is not None:
        mapping = _mapping(entities)
        e = a.assign(entity=a["entity"].map(lambda x: mapping.get(x, x)))
        out.append(_score(e.drop_duplicates("alert_id"), "entity", top))
    return pd.concat(out, ignore_index=True)[_COLUMNS]


def _mapping(entities: Mapping[str, str] | pd.DataFrame) -> dict[str, str]:
    if isinstance(entities, pd.DataFrame):
        if not {"account", "entity_id"} <= set(entities.columns):
            raise InputError("the entities frame needs columns account and entity_id", column="entity_id")
        return {str(k): str(v) for k, v in zip(entities["account"], entities["entity_id"], strict=True) if pd.notna(v)}
    return {str(k): str(v) for k, v in entities.items()}


def _score(a: pd.DataFrame, level: str, top: int) -> pd.DataFrame:
    a = a.sort_values(["entity", "weighted", "score", "alert_id"], ascending=[True, False, False, True], kind="stable")
    per_det = a.drop_duplicates(["entity", "detector"])  # strongest alert of each detector
    logs = np.log1p(-per_det["weighted"].clip(upper=1 - 1e-12))
    combined = 1 - np.exp(logs.groupby(per_det["entity"]).sum())
    rows: list[dict[str, Any]] = []
    for entity, g in a.groupby("entity", sort=True):
        dets = per_det.loc[per_det["entity"] == entity, "detector"].tolist()
        best = g.head(top)
        reasons = [
            f"{d} ({s:.2f}): {r}" for d, s, r in zip(best["detector"], best["score"], best["reason"], strict=True)
        ]
        score = float(combined[entity])
        if (g["weighted"] >= 1.0).any():
            score = 1.0
        rows.append(
            {
                "level": level,
                "entity": str(entity),
                "score": round(score, 12),
                "n_alerts": len(g),
                "n_detectors": len(dets),
                "detectors": ", ".join(dets),
                "top_reasons": reasons,
                "alert_ids": sorted(g["alert_id"].astype(str)),
            }
        )
    df = pd.DataFrame(rows, columns=_COLUMNS)
    return df.sort_values(["score", "entity"], ascending=[False, True], kind="stable").reset_index(drop=True)
