"""Regenerate the screenshots in docs/img from a synthetic case (no real person's data).

    python docs/make_screenshots.py

Needs Chromium at /usr/bin/chromium and Playwright's Python package (no browser download).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import matplotlib

import finintel as fi

matplotlib.use("Agg")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
IMG = Path(__file__).parent / "img"


def main() -> None:
    from playwright.sync_api import sync_playwright

    led = fi.synth.generate(3_000, seed=7)
    tx = led.transactions
    alerts = fi.detect.run(tx)
    top = alerts.sort_values("score", ascending=False).iloc[0]
    folder = Path(tempfile.mkdtemp(prefix="finintel-docs-"))
    overview = fi.viz.network_map(tx, folder / "overview.html", alerts=alerts, max_nodes=250, case="synthetic seed 7")
    ego = fi.viz.network_map(
        tx, folder / "ego.html", alerts=alerts, focus=str(top["entity"]), hops=2, max_nodes=120, case="synthetic seed 7"
    )
    IMG.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for path, name in ((overview, "map_overview.png"), (ego, "map_ego_tooltip.png")):
            page = b.new_page(viewport={"width": 1400, "height": 860})
            page.goto(path.resolve().as_uri())
            page.wait_for_selector("body[data-stable='1']", state="attached", timeout=120_000)
            if name == "map_ego_tooltip.png":
                node = str(top["entity"])
                x, y = page.evaluate(
                    """(node) => { const n = finintelMap.network, id = finintelMap.idOf(node);
                    const p = n.canvasToDOM(n.getPositions([id])[id]);
                    const r = document.getElementById('map').getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""",
                    node,
                )
                page.mouse.move(x - 30, y - 30)
                page.mouse.move(x, y, steps=4)
                page.wait_for_selector("#tip", state="visible")
            page.screenshot(path=str(IMG / name))
            page.close()
        b.close()
    fig = fi.viz.alert_overview(alerts)
    fig.savefig(IMG / "alert_overview.png", dpi=90)
    print(f"wrote {', '.join(sorted(p.name for p in IMG.glob('*.png')))}")


if __name__ == "__main__":
    main()
