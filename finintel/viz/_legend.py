"""Colours, shapes and sizes of map elements, and the legend that explains them.

One place decides how a map encodes data, so the legend can never disagree with the drawing:
node colour = risk score (or the detector that raised the strongest alert), node shape = kind of
account holder, node size = money through the account, edge colour = channel, edge width = amount.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "CHANNEL_COLOURS",
    "KIND_SHAPES",
    "RISK_BANDS",
    "channel_colour",
    "detector_colour",
    "edge_width",
    "kind_of_key",
    "node_size",
    "risk_colour",
]

#: vis-network shape per kind of node (shapes whose size follows ``size``; ``box``, for an account's
#: charges, is drawn around its label: a sink, never a hub).
KIND_SHAPES: dict[str, str] = {
    "person": "dot",
    "organisation": "square",
    "bank_account": "diamond",
    "wallet": "triangle",
    "crypto_address": "hexagon",
    "cash_agent": "star",
    "fees": "box",
    "community": "dot",
    "other": "triangleDown",
}

#: Human words for the legend.
KIND_LABELS: dict[str, str] = {
    "person": "person",
    "organisation": "organisation",
    "bank_account": "bank account",
    "wallet": "mobile-money wallet",
    "crypto_address": "crypto address",
    "cash_agent": "cash agent / branch",
    "fees": "charges, taxes, interest (of one account)",
    "community": "community (collapsed)",
    "other": "other",
}

#: Edge colour per channel (colour-blind friendly Okabe-Ito palette).
CHANNEL_COLOURS: dict[str, str] = {
    "bank": "#0072B2",
    "mobile_money": "#009E73",
    "crypto": "#E69F00",
    "cash": "#8B5A2B",
    "card": "#CC79A7",
    "remittance": "#56B4E9",
    "other": "#999999",
    "mixed": "#555555",
}

#: (lower bound, colour, label) for risk scores, checked from the top.
RISK_BANDS: tuple[tuple[float, str, str], ...] = (
    (0.8, "#B2182B", "risk 0.8 - 1"),
    (0.5, "#EF6548", "risk 0.5 - 0.8"),
    (0.2, "#FDBB84", "risk 0.2 - 0.5"),
    (1e-12, "#FEE8C8", "risk above 0 - 0.2"),
)
NO_ALERT_COLOUR = "#C7D3DD"

_DETECTOR_PALETTE = ("#D55E00", "#CC79A7", "#0072B2", "#009E73", "#E69F00", "#56B4E9", "#F0E442", "#882255", "#44AA99")

_NAMESPACE_KIND = {
    "msisdn": "wallet",
    "masked": "wallet",
    "exch": "wallet",
    "iban": "bank_account",
    "acct": "bank_account",
    "eth": "crypto_address",
    "trx": "crypto_address",
    "btc": "crypto_address",
    "cash": "cash_agent",
    "paybill": "organisation",
    "fee": "fees",
    "person": "person",
    "party": "person",
    "org": "organisation",
    "entity": "person",
    "community": "community",
}


def kind_of_key(key: str) -> str:
    """The kind of node an account key stands for, from its namespace.

    >>> kind_of_key("msisdn:+254712345678"), kind_of_key("trx:TR7NHq"), kind_of_key("weird")
    ('wallet', 'crypto_address', 'other')
    >>> kind_of_key("fee:msisdn:+254712345678")
    'fees'
    """
    namespace = str(key).split(":", 1)[0] if ":" in str(key) else ""
    return _NAMESPACE_KIND.get(namespace, "other")


def risk_colour(score: float | None) -> str:
    """Fill colour for a risk score in [0, 1]; grey-blue when the node has no alert.

    >>> risk_colour(None), risk_colour(0.9), risk_colour(0.3)
    ('#C7D3DD', '#B2182B', '#FDBB84')
    """
    if score is None or not score > 0:
        return NO_ALERT_COLOUR
    for low, colour, _ in RISK_BANDS:
        if score >= low:
            return colour
    return NO_ALERT_COLOUR


def detector_colour(detector: str | None, detectors: Sequence[str]) -> str:
    """A stable colour per detector name (position in the sorted list of detectors on the map).

    >>> detector_colour("fan_in", ["fan_in", "structuring"]), detector_colour(None, [])
    ('#D55E00', '#C7D3DD')
    """
    if detector is None or detector not in detectors:
        return NO_ALERT_COLOUR
    return _DETECTOR_PALETTE[list(detectors).index(detector) % len(_DETECTOR_PALETTE)]


def channel_colour(channels: Sequence[str]) -> str:
    """Edge colour for the channels a flow used; ``mixed`` when it used several.

    >>> channel_colour(["mobile_money"]), channel_colour(["bank", "cash"])
    ('#009E73', '#555555')
    """
    distinct = sorted(set(channels))
    if len(distinct) == 1:
        return CHANNEL_COLOURS.get(distinct[0], CHANNEL_COLOURS["other"])
    return CHANNEL_COLOURS["mixed"] if distinct else CHANNEL_COLOURS["other"]


def node_size(flow: float, max_flow: float) -> float:
    """Node size 10-40 px, growing with the square root of money in plus out (area ~ money).

    >>> node_size(0, 100), node_size(100, 100), node_size(25, 100)
    (10.0, 40.0, 25.0)
    """
    if not max_flow > 0 or not flow > 0:
        return 10.0
    return round(10.0 + 30.0 * math.sqrt(min(flow / max_flow, 1.0)), 2)


def edge_width(total: float, max_total: float) -> float:
    """Edge width 1-10 px, growing with the square root of the amount.

    >>> edge_width(0, 50), edge_width(50, 50)
    (1.0, 10.0)
    """
    if not max_total > 0 or not total > 0:
        return 1.0
    return round(1.0 + 9.0 * math.sqrt(min(total / max_total, 1.0)), 2)


def legend_items(
    kinds: Sequence[str], channels: Sequence[str], color_by: str, detectors: Sequence[str]
) -> list[dict[str, str]]:
    """Legend entries (``group``, ``label``, ``colour``, ``shape``) for what is on the map."""
    items: list[dict[str, str]] = []
    if color_by == "detector":
        for d in detectors:
            items.append(
                {
                    "group": "node colour: strongest alert",
                    "label": d,
                    "colour": detector_colour(d, detectors),
                    "shape": "dot",
                }
            )
    else:
        for _, colour, label in RISK_BANDS:
            items.append({"group": "node colour: risk score", "label": label, "colour": colour, "shape": "dot"})
    items.append(
        {
            "group": items[0]["group"] if items else "node colour",
            "label": "no alert",
            "colour": NO_ALERT_COLOUR,
            "shape": "dot",
        }
    )
    for k in sorted(set(kinds)):
        items.append(
            {
                "group": "node shape: kind",
                "label": KIND_LABELS.get(k, k),
                "colour": "#666666",
                "shape": KIND_SHAPES.get(k, "dot"),
            }
        )
    for c in sorted(set(channels)):
        items.append(
            {
                "group": "edge colour: channel",
                "label": c.replace("_", " "),
                "colour": CHANNEL_COLOURS.get(c, "#999999"),
                "shape": "line",
            }
        )
    items.append(
        {
            "group": "sizes",
            "label": "node size = money in + out; edge width = amount; arrow = direction",
            "colour": "#666666",
            "shape": "none",
        }
    )
    return items
