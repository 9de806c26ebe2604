"""Jurisdiction profiles: the thresholds, caps and corridors detectors read their defaults from.

No threshold is a constant in detector code: each detector parameter without an
explicit value is looked up here as ``<detector>.<parameter>`` first, then as a
profile-wide key (``reporting_threshold``, ``mm_tx_cap`` ...). Values are
configuration and change with regulation; check them against the current rules
of the FIU before relying on them, and override per call or in a screening TOML.

Sources for the defaults (as of 2024):

- KE: POCAMLA 2009 s.44 and CBK guidance: cash/transaction reporting threshold
  USD 10,000 (KES 1,000,000 used here); M-Pesa tariff limits KES 250,000 per
  transaction, KES 500,000 per day, balance KES 500,000.
- UG: AMLA 2013: UGX 20,000,000 (~USD 5,000) cash threshold; MTN MoMo / Airtel
  Money limits UGX 7,000,000 per transaction, UGX 20,000,000 per day (tier 3 ~ UGX 7-20M).
- ET: FIS directive: ETB 300,000 cash threshold; telebirr per-transaction ETB 30,000
  (tiered), daily ETB 100,000, balance ETB 100,000 (level-2 customers).
- DJ: Loi 112/AN/11: DJF 1,000,000 reporting threshold used here; D-Money/Waafi caps
  DJF 300,000 per transaction.
- generic: USD 10,000 threshold, caps unset.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from finintel.errors import ConfigError

__all__ = ["PROFILES", "get_profile", "resolve_params"]

_BASE: dict[str, Any] = {
    "currency": "USD",
    "tz": "UTC",
    "reporting_threshold": 10_000.0,
    "structuring_margin": 0.10,
    "mm_tx_cap": None,
    "mm_daily_cap": None,
    "mm_balance_cap": None,
    "high_risk_corridors": [],
    "high_risk_countries": [],
    "fx_to_local": {},
}

# Corridors seen in trafficking and smuggling cases in the region (FATF/ESAAMLG 2018, UNODC 2022):
# East Africa to the Gulf (labour recruitment), the Horn to Libya/Europe (smuggling), scam compounds in SE Asia.
_EAST_AFRICA_CORRIDORS = [
    ["KE", "SA"],
    ["KE", "AE"],
    ["KE", "QA"],
    ["KE", "OM"],
    ["KE", "LB"],
    ["KE", "MM"],
    ["KE", "KH"],
    ["KE", "LA"],
    ["KE", "TH"],
    ["UG", "SA"],
    ["UG", "AE"],
    ["UG", "JO"],
    ["UG", "KE"],
    ["ET", "SA"],
    ["ET", "LY"],
    ["ET", "SD"],
    ["ET", "DJ"],
    ["ET", "YE"],
    ["ET", "ZA"],
    ["DJ", "YE"],
    ["DJ", "SA"],
    ["SO", "KE"],
    ["ER", "LY"],
    ["SD", "LY"],
    ["LY", "IT"],
]
_HIGH_RISK_COUNTRIES = ["LY", "YE", "SD", "SS", "MM", "KH", "LA", "KP", "IR", "SY"]

PROFILES: dict[str, dict[str, Any]] = {
    "generic": {**_BASE},
    "KE": {
        **_BASE,
        "currency": "KES",
        "tz": "Africa/Nairobi",
        "reporting_threshold": 1_000_000.0,
        "mm_tx_cap": 250_000.0,
        "mm_daily_cap": 500_000.0,
        "mm_balance_cap": 500_000.0,
        "high_risk_corridors": _EAST_AFRICA_CORRIDORS,
        "high_risk_countries": _HIGH_RISK_COUNTRIES,
        "fx_to_local": {
            "USD": 129.0,
            "EUR": 140.0,
            "UGX": 0.035,
            "ETB": 1.05,
            "DJF": 0.73,
            "USDT-TRC20": 129.0,
            "USDT": 129.0,
        },
    },
    "UG": {
        **_BASE,
        "currency": "UGX",
        "tz": "Africa/Kampala",
        "reporting_threshold": 20_000_000.0,
        "mm_tx_cap": 7_000_000.0,
        "mm_daily_cap": 20_000_000.0,
        "mm_balance_cap": 20_000_000.0,
        "high_risk_corridors": _EAST_AFRICA_CORRIDORS,
        "high_risk_countries": _HIGH_RISK_COUNTRIES,
        "fx_to_local": {"USD": 3_700.0, "KES": 28.7, "USDT-TRC20": 3_700.0},
    },
    "ET": {
        **_BASE,
        "currency": "ETB",
        "tz": "Africa/Addis_Ababa",
        "reporting_threshold": 300_000.0,
        "mm_tx_cap": 30_000.0,
        "mm_daily_cap": 100_000.0,
        "mm_balance_cap": 100_000.0,
        "high_risk_corridors": _EAST_AFRICA_CORRIDORS,
        "high_risk_countries": _HIGH_RISK_COUNTRIES,
        "fx_to_local": {"USD": 120.0, "KES": 0.93, "USDT-TRC20": 120.0},
    },
    "DJ": {
        **_BASE,
        "currency": "DJF",
        "tz": "Africa/Djibouti",
        "reporting_threshold": 1_000_000.0,
        "mm_tx_cap": 300_000.0,
        "mm_daily_cap": 1_000_000.0,
        "mm_balance_cap": 1_000_000.0,
        "high_risk_corridors": _EAST_AFRICA_CORRIDORS,
        "high_risk_countries": _HIGH_RISK_COUNTRIES,
        "fx_to_local": {"USD": 178.0, "ETB": 1.48, "USDT-TRC20": 178.0},
    },
}


def get_profile(name: str | Mapping[str, Any] = "generic", **overrides: Any) -> dict[str, Any]:
    """A copy of a jurisdiction profile with `overrides` applied.

    Examples
    --------
    >>> get_profile("KE")["reporting_threshold"]
    1000000.0
    >>> get_profile("KE", reporting_threshold=500_000)["reporting_threshold"]
    500000
    >>> get_profile("XX")
    Traceback (most recent call last):
    ...
    finintel.errors.ConfigError: unknown profile 'XX'; known profiles: generic, KE, UG, ET, DJ
    """
    if isinstance(name, Mapping):
        base = {**copy.deepcopy(_BASE), **copy.deepcopy(dict(name))}
    else:
        key = name if name in PROFILES else str(name).upper() if str(name).upper() in PROFILES else None
        if key is None:
            raise ConfigError(f"unknown profile {name!r}; known profiles: {', '.join(PROFILES)}")
        base = copy.deepcopy(PROFILES[key])
    base.update(overrides)
    return base


def resolve_params(
    detector: str, defaults: Mapping[str, Any], profile: Mapping[str, Any], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """Parameters for one detector: explicit overrides, then ``profile["<detector>.<param>"]``,
    then ``profile[<param>]``, then the detector's own default. Unknown override names raise ConfigError.
    """
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise ConfigError(
            f"detector {detector!r} has no parameter(s) {', '.join(unknown)}; it takes {', '.join(sorted(defaults))}"
        )
    out: dict[str, Any] = {}
    for name, default in defaults.items():
        if name in overrides:
            out[name] = overrides[name]
        elif f"{detector}.{name}" in profile:
            out[name] = profile[f"{detector}.{name}"]
        elif name in profile:
            out[name] = profile[name]
        else:
            out[name] = default
    return out
