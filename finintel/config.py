"""Screening configuration in TOML, validated with clear errors.

Example ``screening.toml``::

    profile = "KE"                     # generic, KE, UG, ET, DJ

    [profile_overrides]                # any profile key
    reporting_threshold = 500000

    [detectors]
    enabled = ["structuring", "fan_in", "cycle"]   # default: all; or
    # disabled = ["out_of_hours"]

    [detectors.structuring]            # parameters of one detector
    min_count = 4
    window = "10D"

    [lists]                            # paths relative to this file
    tags = "tags.csv"                  # crypto address tags (crypto_exposure)
    watchlist = "watchlist.csv"        # sanctions / watch list (watchlist)

Unknown keys, unknown detectors, unknown parameters and values of the wrong type are
errors that name the key and the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finintel.errors import ConfigError
from finintel.profiles import PROFILES, get_profile

__all__ = ["ScreeningConfig", "load_config"]

_TOP = {"profile", "profile_overrides", "detectors", "lists"}
_LISTS = {"tags", "watchlist"}


@dataclass
class ScreeningConfig:
    """What a screening run does: the profile, its overrides, the detectors and their parameters, and the lists."""

    profile: str = "generic"
    profile_overrides: dict[str, Any] = field(default_factory=dict)
    detectors: list[str] | None = None
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    lists: dict[str, Path] = field(default_factory=dict)

    def resolved_profile(self) -> dict[str, Any]:
        return get_profile(self.profile, **self.profile_overrides)


def load_config(path: str | Path | None = None, *, profile: str | None = None) -> ScreeningConfig:
    """Read and validate a screening TOML file (or only a profile name when `path` is None).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.toml"
    >>> _ = p.write_text('profile = "KE"\\n[detectors]\\nenabled = ["structuring"]\\n[detectors.structuring]\\nmin_count = 4\\n')
    >>> cfg = load_config(p)
    >>> cfg.profile, cfg.detectors, cfg.params
    ('KE', ['structuring'], {'structuring': {'min_count': 4}})
    >>> _ = p.write_text('profil = "KE"\\n')
    >>> load_config(p)
    Traceback (most recent call last):
    ...
    finintel.errors.ConfigError: ...s.toml: unknown key 'profil'; did you mean 'profile'? Known keys: detectors, lists, profile, profile_overrides
    """
    from finintel import detect

    cfg = ScreeningConfig()
    if path is not None:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{p}: no such configuration file") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{p}: not valid TOML: {exc}") from None
        _check_keys(p, "", data, _TOP)
        cfg.profile = _typed(p, "profile", data.get("profile", "generic"), str)
        cfg.profile_overrides = dict(_typed(p, "profile_overrides", data.get("profile_overrides", {}), dict))
        dets = _typed(p, "detectors", data.get("detectors", {}), dict)
        known = set(detect.available()["name"])
        enabled = dets.get("enabled")
        disabled = dets.get("disabled", [])
        for key in ("enabled", "disabled"):
            if key in dets:
                names = _typed(p, f"detectors.{key}", dets[key], list)
                for n in names:
                    if n not in known:
                        detect.get(n)  # raises with a suggestion
        if enabled is not None and disabled:
            raise ConfigError(f"{p}: give detectors.enabled or detectors.disabled, not both")
        if enabled is not None:
            cfg.detectors = list(enabled)
        elif disabled:
            cfg.detectors = [n for n in sorted(known) if n not in set(disabled)]
        for name, params in dets.items():
            if name in ("enabled", "disabled"):
                continue
            if name not in known:
                detect.get(name)
            params = _typed(p, f"detectors.{name}", params, dict)
            defaults = detect.get(name).defaults
            for k, v in params.items():
                if k not in defaults:
                    raise ConfigError(
                        f"{p}: detector {name!r} has no parameter {k!r}; it takes {', '.join(sorted(defaults))}"
                    )
                _check_value_type(p, f"detectors.{name}.{k}", v, defaults[k])
            cfg.params[name] = dict(params)
        lists = _typed(p, "lists", data.get("lists", {}), dict)
        _check_keys(p, "lists.", lists, _LISTS)
        for k, v in lists.items():
            target = (p.parent / _typed(p, f"lists.{k}", v, str)).resolve()
            if not target.is_file():
                raise ConfigError(f"{p}: lists.{k} names {target}, which does not exist")
            cfg.lists[k] = target
    if profile is not None:
        cfg.profile = profile
    if cfg.profile not in PROFILES and cfg.profile.upper() not in PROFILES:
        raise ConfigError(f"unknown profile {cfg.profile!r}; known profiles: {', '.join(PROFILES)}")
    base = get_profile(cfg.profile)
    for k, v in cfg.profile_overrides.items():
        if k not in base and "." not in k:
            raise ConfigError(f"profile_overrides: unknown profile key {k!r}; known keys: {', '.join(sorted(base))}")
        if k in base and base[k] is not None:
            _check_value_type(Path(str(path)) if path else Path("profile"), f"profile_overrides.{k}", v, base[k])
    return cfg


def _check_keys(path: Path, prefix: str, data: Mapping[str, Any], allowed: set[str]) -> None:
    import difflib

    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"{path}: unknown key {prefix}{key!r}{hint} Known keys: {', '.join(sorted(allowed))}")


def _typed(path: Path, key: str, value: Any, typ: type) -> Any:
    if not isinstance(value, typ):
        raise ConfigError(f"{path}: {key} must be a {typ.__name__}, got {type(value).__name__} {value!r}")
    return value


def _check_value_type(path: Path, key: str, value: Any, default: Any) -> None:
    if default is None or isinstance(default, bool) != isinstance(value, bool):
        if isinstance(default, bool):
            raise ConfigError(f"{path}: {key} must be true or false, got {value!r}")
        return
    if isinstance(default, int | float) and not isinstance(default, bool):
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ConfigError(f"{path}: {key} must be a number, got {value!r}")
        if value < 0:
            raise ConfigError(f"{path}: {key} must not be negative, got {value!r}")
    elif isinstance(default, str) and not isinstance(value, str):
        raise ConfigError(f"{path}: {key} must be text, got {value!r}")
    elif isinstance(default, list | tuple) and not isinstance(value, list):
        raise ConfigError(f"{path}: {key} must be a list, got {value!r}")
