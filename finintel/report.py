"""A case report folder: alerts and risk-score tables, maps, charts and an index.html linking them.

``finintel report`` and ``finintel run`` write it; investigators open ``index.html`` in a
browser, offline. Every text that comes from the data is HTML-escaped.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from finintel.store import Case

__all__ = ["write_report"]

log = logging.getLogger("finintel")


def write_report(
    case: Case,
    out: str | Path,
    *,
    profile: str = "generic",
    alerts: pd.DataFrame | None = None,
    max_alert_maps: int = 50,
    progress: bool = False,
) -> Path:
    """Write the report folder for `case` into `out` and return the path of its index.html.

    Contents: ``alerts.csv`` and ``alerts.parquet``, ``risk_scores.csv``, ``rejects.csv``,
    ``manifest.csv``, ``map.html`` (the whole case, reduced when large), ``maps/`` (one map per
    alert, up to `max_alert_maps`, the highest scores first, and one per community, with their own
    index), ``charts/*.png`` and ``index.html``.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from finintel import graph, viz
    from finintel.detect.risk import risk_scores
    from finintel.export.tables import write_table
    from finintel.profiles import get_profile

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tx = case.transactions()
    alerts = case.alerts() if alerts is None else alerts
    prof = get_profile(profile)
    write_table(alerts, out / "alerts.parquet")
    write_table(alerts, out / "alerts.csv")
    scores = risk_scores(alerts) if len(alerts) else pd.DataFrame(columns=["entity", "score"])
    write_table(scores, out / "risk_scores.csv")
    write_table(case.rejects(), out / "rejects.csv")
    manifest = case.manifest()
    write_table(manifest.drop(columns=["ingested_at"]), out / "manifest.csv")

    period = _period(tx)
    name = case.path.resolve().parent.name if case.path.name == "case" else case.path.name
    title = f"Case {name}: {period}"
    G = graph.flow_graph(tx)
    focus = str(scores.iloc[0]["entity"]) if len(scores) else None
    # the whole case; above the map's node limit it is reduced around the highest-risk account
    big = G.number_of_nodes() > 500
    viz.network_map(
        G,
        out / "map.html",
        alerts=alerts if len(alerts) else None,
        title=title,
        focus=focus if big and focus in G else None,
    )

    maps_index = None
    if len(alerts):
        top = alerts.sort_values(["score", "alert_id"], ascending=[False, True]).head(max_alert_maps)
        maps_index = viz.maps_for_run(tx, top, out / "maps", title=title)

    charts = out / "charts"
    charts.mkdir(exist_ok=True)
    figures: list[tuple[str, str]] = []

    def save(fig: Any, name: str, caption: str) -> None:
        fig.savefig(charts / f"{name}.png", dpi=110, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
        figures.append((f"charts/{name}.png", caption))

    if len(alerts):
        save(viz.alert_overview(alerts), "alert_overview", "Alerts by detector and week; risk-score distribution")
    if len(tx):
        save(viz.corridor_heatmap(tx), "corridors", "Cross-border corridors: totals from country to country")
        save(viz.hour_of_day(tx), "hour_of_day", "Activity by hour of day (out-of-hours patterns)")
        thr = float(prof["reporting_threshold"])
        save(
            viz.amount_distribution(tx, threshold=thr, margin=float(prof.get("structuring_margin", 0.1))),
            "amounts",
            "Amounts against the reporting threshold band (structuring)",
        )
        if focus is not None:
            save(
                viz.timeline(tx, focus, alerts=alerts),
                "timeline_top_account",
                f"Timeline of the highest-risk account {focus}",
            )

    index = out / "index.html"
    index.write_text(_index_html(title, manifest, alerts, scores, figures, maps_index, out), encoding="utf-8")
    return index


def _period(tx: pd.DataFrame) -> str:
    if tx.empty:
        return "no transactions"
    return f"{tx['timestamp'].min():%d %b %Y} to {tx['timestamp'].max():%d %b %Y}"


def _index_html(
    title: str,
    manifest: pd.DataFrame,
    alerts: pd.DataFrame,
    scores: pd.DataFrame,
    figures: list[tuple[str, str]],
    maps_index: Path | None,
    out: Path,
) -> str:
    e = html.escape
    by_det = alerts["detector"].value_counts().sort_index() if len(alerts) else pd.Series(dtype=int)
    files = "".join(
        f"<tr><td>{e(Path(str(r.file)).name)}</td><td>{e(str(r.format))}</td><td>{r.rows_written}</td><td>{r.rows_rejected}</td></tr>"
        for r in manifest.itertuples()
    )
    dets = "".join(f"<tr><td>{e(str(k))}</td><td>{v}</td></tr>" for k, v in by_det.items())
    top = "".join(
        f"<tr><td>{e(str(r.entity))}</td><td>{float(r.score):.2f}</td><td>{e(str(getattr(r, 'reasons', getattr(r, 'top_reasons', ''))))}</td></tr>"
        for r in scores.head(20).itertuples()
    )
    alert_rows = "".join(
        f"<tr><td>{e(str(r.detector))}</td><td>{e(str(r.entity))}</td><td>{float(r.score):.2f}</td><td>{e(str(r.reason))}</td></tr>"
        for r in alerts.sort_values(["score", "alert_id"], ascending=[False, True]).head(100).itertuples()
    )
    figs = "".join(
        f'<figure><img src="{e(p)}" alt="{e(c)}"><figcaption>{e(c)}</figcaption></figure>' for p, c in figures
    )
    maps_link = (
        f'<li><a href="{e(str(maps_index.relative_to(out)))}">Maps per alert and per community</a></li>'
        if maps_index
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'">
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}}figure{{display:inline-block;margin:1em}}
img{{max-width:560px}}</style></head><body>
<h1>{e(title)}</h1>
<ul><li><a href="map.html">Network map of the case</a></li>{maps_link}
<li><a href="alerts.csv">Alerts (CSV)</a> · <a href="risk_scores.csv">Risk scores (CSV)</a> · <a href="rejects.csv">Rejected rows (CSV)</a> · <a href="manifest.csv">Files ingested (CSV)</a></li></ul>
<h2>Files ingested</h2><table><tr><th>file</th><th>format</th><th>rows</th><th>rejected</th></tr>{files}</table>
<h2>Alerts by detector ({len(alerts)} in all)</h2><table><tr><th>detector</th><th>alerts</th></tr>{dets}</table>
<h2>Highest risk accounts</h2><table><tr><th>account</th><th>score</th><th>why</th></tr>{top}</table>
<h2>Charts</h2>{figs}
<h2>Alerts, highest score first (first 100)</h2><table><tr><th>detector</th><th>entity</th><th>score</th><th>reason</th></tr>{alert_rows}</table>
</body></html>
"""
