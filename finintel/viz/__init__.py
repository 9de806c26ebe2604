"""Investigator maps and charts: self-contained HTML network maps and matplotlib figures.

``fi.viz.network_map(tx, "map.html", alerts=alerts)`` writes a map an analyst opens offline;
``fi.viz.maps_for_run(tx, alerts, "out/maps")`` writes one per alert and per community with an index;
the chart functions return matplotlib ``Figure`` objects to show or save as PNG/SVG.
"""

from __future__ import annotations

from finintel.viz.charts import alert_overview, amount_distribution, corridor_heatmap, hour_of_day, timeline
from finintel.viz.network_map import network_map
from finintel.viz.reports import alert_maps, community_maps, maps_for_run

__all__ = [
    "alert_maps",
    "alert_overview",
    "amount_distribution",
    "community_maps",
    "corridor_heatmap",
    "hour_of_day",
    "maps_for_run",
    "network_map",
    "timeline",
]
