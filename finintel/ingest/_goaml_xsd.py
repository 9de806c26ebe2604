"""Validation of a goAML report against an FIU's XSD (reported, never a gate)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from finintel.errors import MissingDependencyError

__all__ = ["validate_xsd"]


def validate_xsd(path: str | Path, xsd: str | Path, *, max_messages: int = 100) -> dict[str, Any]:
    """Validate a goAML report against an FIU's XSD (XSD 1.1), streaming; never raises on invalid files.

    Parameters
    ----------
    path : str or Path
        The report.
    xsd : str or Path
        The schema file (goAML schemas declare XSD 1.1, read with ``xmlschema.XMLSchema11``).
    max_messages : int, default 100
        Keep at most this many messages.

    Returns
    -------
    dict
        ``{"schema": str, "valid": bool, "errors": int, "messages": [str, ...]}``; each message
        names the XML path and, when known, the line. ``valid`` is None when the XSD itself
        cannot be loaded (missing, broken, or importing a schema over the network, which is
        not allowed); the message says why.

    Examples
    --------
    >>> validate_xsd("report.xml", "goAMLSchema.xsd")["valid"]  # doctest: +SKIP
    False
    """
    try:
        import xmlschema
    except ImportError:  # pragma: no cover - optional dependency
        raise MissingDependencyError("xmlschema", "xsd") from None
    try:
        schema = _schema(str(Path(xsd).resolve()), Path(xsd).stat().st_mtime_ns)
    except (OSError, xmlschema.XMLSchemaException, SyntaxError, ValueError) as exc:
        # a missing, broken or remote-importing schema is reported, the report is still read
        return {
            "schema": str(xsd),
            "valid": None,
            "errors": 0,
            "messages": [f"the XSD could not be loaded: {exc}"[:300]],
        }
    messages: list[str] = []
    count = 0
    try:
        resource = xmlschema.XMLResource(str(path), lazy=True, allow="local", defuse="always")
        for err in schema.iter_errors(resource):
            count += 1
            if len(messages) < max_messages:
                line = getattr(err, "sourceline", None)
                where = f"line {line}, " if line else ""
                text = f"{where}{err.path}: {err.reason}"
                messages.append(text if len(text) <= 300 else text[:297] + "...")
    except (OSError, xmlschema.XMLSchemaException, SyntaxError, ValueError) as exc:
        count += 1
        messages.append(f"validation stopped: {exc}"[:300])
    return {"schema": str(xsd), "valid": count == 0, "errors": count, "messages": messages}


@functools.lru_cache(maxsize=4)
def _schema(xsd: str, mtime: int) -> Any:
    """A compiled XSD 1.1 schema, kept for the next file (compiling goAML's takes about a second)."""
    import xmlschema

    return xmlschema.XMLSchema11(xsd, allow="local", defuse="always")
