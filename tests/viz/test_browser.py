"""Maps opened in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright)."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import finintel as fi
from finintel.schema.frames import validate_transactions
from tests.viz.conftest import HOSTILE

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"), args=ARGS
        )
        yield b
        b.close()


class Opened:
    def __init__(self, browser, path: Path, timeout_ms: int = 20_000):
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.resolve().as_uri())
        if path.name != "index.html":  # wait_for_function would need eval, which the page's CSP forbids
            self.page.wait_for_selector("body[data-stable='1']", state="attached", timeout=timeout_ms)

    def _route(self, route):
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def js(self, expr: str):
        return self.page.evaluate(expr)

    def close(self):
        self.page.close()


@pytest.fixture
def opened(browser):
    pages: list[Opened] = []

    def open_(path, **kw):
        pages.append(Opened(browser, Path(path), **kw))
        return pages[-1]

    yield open_
    for p in pages:
        p.close()


def test_map_renders_every_node_and_edge_offline(opened, tmp_path, tx_case, alerts_case):
    G = fi.graph.flow_graph(tx_case)
    page = opened(fi.viz.network_map(G, tmp_path / "m.html", alerts=alerts_case))
    drawn = page.js("[finintelMap.network.body.nodeIndices.length, finintelMap.network.body.edgeIndices.length]")
    assert drawn == [G.number_of_nodes(), G.number_of_edges()] == [5, 4]
    assert page.js("finintelMap.network.physics.physicsEnabled") is False  # settled, then stopped
    assert page.requests == [] and page.errors == []
    assert page.js("document.querySelectorAll('#legend .lg-item').length") > 5
    edge_tip = page.js(
        "(() => { const m = finintelMap, e = m.edges.get({filter: x => x.from === m.idOf('msisdn:+254711111111')"
        " && x.to === m.idOf('acct:KCB/0012345')})[0]; return m.tooltip('edge', e.id).textContent; })()"
    )
    assert "KES 15,000.00 in 1 transactions" in edge_tip and "from 2024-03-05 10:00 UTC" in edge_tip
    assert "layering (score 0.90)" in edge_tip  # the flow is evidence of the layering alert


def test_hovering_a_node_shows_its_alert_reasons(opened, tmp_path, tx_case, alerts_case, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "finintel.detect.risk", None)  # noisy-or of the alert scores
    page = opened(fi.viz.network_map(tx_case, tmp_path / "m.html", alerts=alerts_case))
    node = "acct:KCB/0012345"
    x, y = page.js(
        f"""(() => {{ const n = finintelMap.network, id = finintelMap.idOf('{node}');
        const p = n.canvasToDOM(n.getPositions([id])[id]);
        const r = document.getElementById('map').getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }})()"""
    )
    page.page.mouse.move(x - 40, y - 40)
    page.page.mouse.move(x, y, steps=4)
    page.page.wait_for_selector("#tip", state="visible", timeout=5_000)
    tip = page.js("document.getElementById('tip').textContent")
    assert "layering (score 0.90)" in tip and "in and out within 1 day" in tip and node in tip
    assert "in KES 15,000.00 / out KES 14,000.00" in tip  # the failed KES 500 to cash is not counted
    built = page.js("finintelMap.tooltip('node', 'msisdn:+254711111111').textContent")
    assert "2 senders in 2 days " + HOSTILE in built and "risk score 0.75" in built


def test_hostile_names_and_reasons_do_not_run(opened, tmp_path, tx_case, alerts_case):
    path = fi.viz.network_map(tx_case, tmp_path / "m.html", alerts=alerts_case, title=HOSTILE, case=HOSTILE)
    page = opened(path)
    page.js(
        """(() => { const d = document.getElementById('details');
        finintelMap.nodes.getIds().forEach(id => d.appendChild(finintelMap.tooltip('node', id)));
        finintelMap.edges.getIds().forEach(id => d.appendChild(finintelMap.tooltip('edge', id))); })()"""
    )
    page.page.wait_for_timeout(300)  # give any injected onerror handler its chance
    assert page.js("typeof window.__pwned") == "undefined"
    assert page.js("document.querySelectorAll('#details img, #details script, header img').length") == 0
    assert page.js("document.querySelector('h1').textContent") == HOSTILE
    assert page.dialogs == [] and page.requests == [] and page.errors == []
    index = fi.viz.maps_for_run(tx_case, alerts_case, tmp_path / "run", title=HOSTILE)
    idx = opened(index)
    assert idx.js("typeof window.__pwned") == "undefined" and idx.js("document.images.length") == 0
    assert idx.dialogs == [] and idx.requests == []


def test_page_policy_blocks_injected_scripts_even_if_escaping_failed(opened, tmp_path, tx_case):
    page = opened(fi.viz.network_map(tx_case, tmp_path / "m.html"))
    page.js(
        """(() => { const s = document.createElement('script'); s.textContent = 'window.__injected = 1';
        document.body.appendChild(s);
        document.body.insertAdjacentHTML('beforeend', '<img src="data:," onerror="window.__injected = 2">'); })()"""
    )
    page.page.wait_for_timeout(300)
    assert page.js("typeof window.__injected") == "undefined"
    assert any("Content Security Policy" in e for e in page.errors)  # blocked, and said so


def test_prototype_named_accounts_are_ordinary_accounts(opened, tmp_path):
    import networkx as nx

    G = nx.DiGraph()
    G.add_edge("__proto__", "constructor", total=5.0, count=1)
    G.nodes["__proto__"]["name"] = "toString"
    page = opened(fi.viz.network_map(G, tmp_path / "m.html"))
    assert page.js("finintelMap.tooltip('node', '__proto__').textContent").startswith("toString")
    assert page.js("finintelMap.network.body.nodeIndices.length") == 2 and page.errors == []


def test_period_slider_filters_flows(opened, tmp_path, tx_case):
    page = opened(fi.viz.network_map(tx_case, tmp_path / "m.html"))
    # flows on 1, 2, 5 and 6 March; 4-5 March keeps only the 5 March flow and its two accounts
    shown = page.js(
        "(() => { finintelMap.setPeriod(Date.UTC(2024, 2, 4), Date.UTC(2024, 2, 5, 23, 59));"
        " return [finintelMap.edgeView.length, finintelMap.nodeView.length, finintelMap.network.body.edgeIndices.length]; })()"
    )
    assert shown == [1, 2, 1]
    assert page.errors == []


def test_two_thousand_accounts_settle_within_seconds(opened, tmp_path):
    rng = np.random.default_rng(0)
    n, m = 2_000, 4_000
    s = rng.permutation(np.tile(np.arange(n), 2))
    r = (s + rng.integers(1, n, m)) % n
    tx = validate_transactions(
        pd.DataFrame(
            {
                "tx_id": [f"t{i}" for i in range(m)],
                "sender": [f"msisdn:+2547{x:08d}" for x in s],
                "receiver": [f"msisdn:+2547{x:08d}" for x in r],
                "amount": rng.lognormal(8, 1, m),
                "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90 * 86_400, m), unit="s"),
                "currency": "KES",
                "channel": "mobile_money",
            }
        )
    )
    page = opened(fi.viz.network_map(tx, tmp_path / "big.html", max_nodes=2_000), timeout_ms=30_000)
    assert page.js("finintelMap.network.body.nodeIndices.length") == 2_000
    settle_ms = page.js("finintelMap.stabilizedAt - finintelMap.started")
    assert settle_ms < 15_000, f"layout took {settle_ms:.0f} ms"
    assert page.errors == [] and page.requests == []
