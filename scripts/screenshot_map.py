"""Take a PNG screenshot of an HTML map in headless Chromium (Debian's, driven by Playwright).

Used to refresh the README's picture of the sample case map::

    finintel run data/samples/exports --config data/samples/screening.toml --out out/
    python scripts/screenshot_map.py out/map.html docs/sample-map.png
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def main(html: str, png: str, chromium: str = "/usr/bin/chromium") -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
        page.goto(Path(html).resolve().as_uri())
        page.wait_for_timeout(6000)  # let the layout settle (physics stops after stabilisation)
        page.screenshot(path=png)
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
