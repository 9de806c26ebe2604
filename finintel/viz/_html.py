"""The single self-contained HTML page of a map: vis-network inlined, data as inert JSON, own tooltips.

Security model (the data comes from suspects' own transfers): every string from the data reaches the
page only inside one ``<script type="application/json">`` block, with ``<``, ``>``, ``&`` and U+2028/2029
escaped so it can never close the block, and the page's own script puts it on screen with
``textContent`` or canvas labels only — never ``innerHTML`` and never vis-network's HTML titles. A
Content-Security-Policy forbids any network request (the file must work on an air-gapped machine)
and any script but the page's own two, named by their SHA-256 (so even markup that slipped through
could run neither inline code nor event-handler attributes). The header text is HTML-escaped in Python.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["page", "safe_json", "vis_assets"]

CSP = (
    "default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'"
)


def script_hash(code: str) -> str:
    """CSP source allowing exactly one inline script: only the page's own two scripts may run.

    >>> script_hash("")
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
    """
    digest = base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


@functools.cache
def vis_assets() -> tuple[str, str, str]:
    """(version, JavaScript, CSS) of the newest vis-network shipped inside the installed pyvis.

    >>> vis_assets()[0].startswith("9.")
    True
    """
    import importlib.util

    spec = importlib.util.find_spec("pyvis")  # located, not imported: importing pyvis pulls in IPython
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - pyvis is a core dependency
        from finintel.errors import MissingDependencyError

        raise MissingDependencyError("pyvis", "viz")
    lib = Path(next(iter(spec.submodule_search_locations))) / "lib"
    found = sorted(
        lib.glob("vis-9*/vis-network.min.js"), key=lambda p: tuple(int(x) for x in p.parent.name[4:].split("."))
    )
    if not found:  # pragma: no cover - a broken pyvis install
        raise FileNotFoundError(f"vis-network not found under {lib}; reinstall pyvis>=0.3.2")
    js = found[-1].read_text(encoding="utf-8")
    css = found[-1].with_suffix("").with_suffix(".css").read_text(encoding="utf-8")
    # Nothing in the library may end the inline blocks it sits in.
    js = js.replace("</script", "<\\/script").replace("<!--", "<\\!--")
    css = css.replace("</style", "<\\/style")
    return found[-1].parent.name[4:], js, css


@functools.cache
def _vis_hash() -> str:
    return script_hash(vis_assets()[1])


def safe_json(value: Any) -> str:
    """JSON that is inert inside a ``<script type="application/json">`` block of an HTML page.

    NaN and infinities become null; ``<``, ``>``, ``&`` and the JavaScript line separators are
    escaped, so no string in the data can close the block or start a comment.

    >>> safe_json({"name": "</script><img src=x onerror=alert(1)>", "x": float("nan")})
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003cimg src=x onerror=alert(1)\\\\u003e", "x": null}'
    """
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
    except ValueError:  # a NaN or infinity somewhere: walk the data once to replace them
        text = json.dumps(_finite(value), ensure_ascii=False, allow_nan=False, default=str)
    for raw, esc in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, esc)
    return text


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def page(*, title: str, subtitle: Sequence[str], notes: Sequence[str], data: Mapping[str, Any]) -> str:
    """The whole HTML document of a map."""
    version, js, css = vis_assets()
    scripts = f"{_vis_hash()} {script_hash(_JS)}"
    esc = functools.partial(html.escape, quote=True)
    sub = "".join(f"<p class='meta'>{esc(s)}</p>" for s in subtitle)
    note = "".join(f"<p class='note'>{esc(n)}</p>" for n in notes)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP.format(scripts=scripts)}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<meta name='generator' content='finintel (vis-network {esc(version)})'>"
        f"<title>{esc(title)}</title>\n<style>{css}</style>\n<style>{_CSS}</style>\n"
        f"<script>{js}</script>\n</head><body>"
        f"<header><h1>{esc(title)}</h1>{sub}{note}"
        "<noscript><p class='note'>This map needs JavaScript (it makes no network request).</p></noscript></header>"
        "<div id='controls'></div><div id='wrap'><div id='map'></div><aside id='side'><div id='details'>"
        "<p class='hint'>Hover over or click an account or a flow to see its details and alerts.</p></div>"
        "<div id='legend'></div></aside></div><div id='tip' role='tooltip'></div><div id='progress'></div>\n"
        f"<script type='application/json' id='finintel-data'>{safe_json(data)}</script>\n"
        f"<script>{_JS}</script>\n</body></html>\n"
    )


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header{padding:8px 14px;border-bottom:1px solid #ddd;background:#fff}
h1{font-size:18px;margin:2px 0}.meta{margin:2px 0;font-size:13px;color:#444}
.note{margin:4px 0;font-size:13px;color:#8a4b00;background:#fff4e0;padding:3px 6px;border-radius:3px}
#controls{padding:4px 14px;font-size:13px;background:#fff;border-bottom:1px solid #eee}
#controls input[type=range]{width:260px;vertical-align:middle}
#wrap{display:flex;height:calc(100vh - 130px);min-height:420px}
#map{flex:1;background:#fff;border-right:1px solid #ddd}
#side{width:340px;overflow:auto;padding:8px 10px;font-size:12.5px;background:#fff}
#tip{position:fixed;display:none;max-width:420px;background:#fffff0;border:1px solid #999;padding:6px 8px;
 font-size:12px;box-shadow:2px 2px 6px rgba(0,0,0,.2);pointer-events:none;z-index:10;white-space:normal}
.t-head{font-weight:600;font-size:13px;margin-bottom:2px;overflow-wrap:anywhere}
.t-line{margin:1px 0;overflow-wrap:anywhere}.t-alert{margin:3px 0 0 0;padding-left:6px;border-left:3px solid #B2182B}
.lg-group{font-weight:600;margin:8px 0 2px}.lg-item{display:flex;align-items:center;gap:6px;margin:1px 0}
.lg-sw{display:inline-block;width:14px;height:14px;border:1px solid #666;border-radius:50%}
.lg-line{display:inline-block;width:22px;height:4px}
#progress{position:fixed;bottom:8px;left:14px;font-size:12px;color:#555}
.hint{color:#666}
"""

_JS = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("finintel-data").textContent);
  // vis-network keeps items in plain objects, so an account key such as "__proto__" cannot be a vis id:
  // nodes get their position as id, and Maps (not objects) hold everything keyed by data.
  var info = {n: new Map(), e: new Map()};
  var keyToId = new Map();
  var nodeItems = data.nodes.map(function (n, i) {
    keyToId.set(n.id, i); info.n.set(i, n.f);
    var o = Object.assign({}, n); delete o.f; o.id = i; return o;
  });
  var edgeItems = data.edges.map(function (e) {
    info.e.set(e.id, Object.assign({from: e.from, to: e.to, first: e.t0, last: e.t1}, e.f));
    var o = Object.assign({}, e); delete o.f; o.from = keyToId.get(e.from); o.to = keyToId.get(e.to); return o;
  });
  function nodeId(idOrKey) { return typeof idOrKey === "number" ? idOrKey : keyToId.get(idOrKey); }
  function nameOf(key) { var f = info.n.get(keyToId.get(key)); return (f && f.name) || key; }
  var nodes = new vis.DataSet(nodeItems);
  var edges = new vis.DataSet(edgeItems);
  var period = {from: -Infinity, to: Infinity};
  var shownNodes = null;
  var edgeView = new vis.DataView(edges, {filter: function (e) {
    return (e.t1 === null || e.t1 >= period.from) && (e.t0 === null || e.t0 <= period.to);
  }});
  var nodeView = new vis.DataView(nodes, {filter: function (n) { return shownNodes === null || shownNodes.has(n.id); }});

  function el(tag, cls, text) {
    var x = document.createElement(tag);
    if (cls) { x.className = cls; }
    if (text !== undefined && text !== null) { x.textContent = String(text); }
    return x;
  }
  function money(v, cur) {
    if (v === null || v === undefined) { return "-"; }
    var s = Number(v).toLocaleString("en-US", {minimumFractionDigits: 2, maximumFractionDigits: 2});
    return cur ? cur + " " + s : s;
  }
  function day(ms) { return ms === null || ms === undefined ? "?" : new Date(ms).toISOString().slice(0, 16).replace("T", " ") + " UTC"; }
  function alertBlock(box, alerts, more) {
    (alerts || []).forEach(function (a) {
      var d = el("div", "t-alert");
      d.appendChild(el("div", "t-line", a.detector + (a.score === null ? "" : " (score " + a.score.toFixed(2) + ")")));
      d.appendChild(el("div", "t-line", a.reason));
      box.appendChild(d);
    });
    if (more) { box.appendChild(el("div", "t-line", "... and " + more + " more alerts")); }
  }
  function tooltip(kind, id) {
    var box = el("div", "t-box");
    if (kind === "node") {
      var f = info.n.get(nodeId(id));
      if (!f) { return box; }
      box.appendChild(el("div", "t-head", f.name || f.key));
      f.lines.forEach(function (l) { box.appendChild(el("div", "t-line", l)); });
      if (f.io && f.io.length) {
        f.io.forEach(function (r) { box.appendChild(el("div", "t-line", "in " + money(r[1], r[0]) + " / out " + money(r[2], r[0]))); });
        box.appendChild(el("div", "t-line", f.n_tx + " transactions"));
      } else {
        box.appendChild(el("div", "t-line", "in " + money(f.total_in) + " / out " + money(f.total_out) + " in " + f.n_tx + " transactions" + (f.cur ? " (" + f.cur + ")" : "")));
      }
      if (f.risk !== null) { box.appendChild(el("div", "t-line", "risk score " + f.risk.toFixed(2))); }
      alertBlock(box, f.alerts, f.more_alerts);
    } else {
      var g = info.e.get(id);
      if (!g) { return box; }
      box.appendChild(el("div", "t-head", nameOf(g.from) + " \u2192 " + nameOf(g.to)));
      box.appendChild(el("div", "t-line", g.from + " \u2192 " + g.to));
      var amt = (g.amounts && g.amounts.length) ? g.amounts.map(function (p) { return money(p[1], p[0]); }).join(" + ") : money(g.total, g.currency);
      box.appendChild(el("div", "t-line", amt + " in " + g.count + " transactions"));
      box.appendChild(el("div", "t-line", "from " + day(g.first) + " to " + day(g.last)));
      box.appendChild(el("div", "t-line", "channels: " + g.channels.join(", ")));
      box.appendChild(el("div", "t-line", "tx ids: " + g.tx_ids.join(", ") + (g.more_tx ? " ... +" + g.more_tx : "")));
      alertBlock(box, g.alerts, g.more_alerts);
    }
    return box;
  }

  var container = document.getElementById("map");
  var network = new vis.Network(container, {nodes: nodeView, edges: edgeView}, data.options);
  var api = {network: network, nodes: nodes, edges: edges, nodeView: nodeView, edgeView: edgeView,
             tooltip: tooltip, idOf: nodeId, stable: false, stabilizedAt: null, started: performance.now(), setPeriod: null};
  window.finintelMap = api;
  var progress = document.getElementById("progress");
  network.on("stabilizationProgress", function (p) { progress.textContent = "Laying out the network... " + Math.round(100 * p.iterations / p.total) + "%"; });
  network.on("stabilizationIterationsDone", function () {
    network.setOptions({physics: false});
    api.stable = true;
    api.stabilizedAt = performance.now();
    progress.textContent = "";
    document.body.setAttribute("data-stable", "1");
  });

  var tip = document.getElementById("tip");
  function showTip(kind, id, pointer) {
    tip.replaceChildren(tooltip(kind, id));
    var r = container.getBoundingClientRect();
    tip.style.left = Math.min(r.left + pointer.x + 14, window.innerWidth - 440) + "px";
    tip.style.top = (r.top + pointer.y + 14) + "px";
    tip.style.display = "block";
  }
  function hideTip() { tip.style.display = "none"; }
  network.on("hoverNode", function (p) { showTip("node", p.node, p.pointer.DOM); });
  network.on("hoverEdge", function (p) { showTip("edge", p.edge, p.pointer.DOM); });
  network.on("blurNode", hideTip);
  network.on("blurEdge", hideTip);
  network.on("dragStart", hideTip);
  var details = document.getElementById("details");
  network.on("click", function (p) {
    if (p.nodes.length) { details.replaceChildren(tooltip("node", p.nodes[0])); }
    else if (p.edges.length) { details.replaceChildren(tooltip("edge", p.edges[0])); }
  });

  var legend = document.getElementById("legend");
  var group = null;
  data.legend.forEach(function (item) {
    if (item.group !== group) { group = item.group; legend.appendChild(el("div", "lg-group", group)); }
    var row = el("div", "lg-item");
    if (item.shape === "line") { var ln = el("span", "lg-line"); ln.style.background = item.colour; row.appendChild(ln); }
    else if (item.shape !== "none") {
      var sw = el("span", "lg-sw"); sw.style.background = item.colour;
      if (item.shape !== "dot") { sw.style.borderRadius = "2px"; }
      row.appendChild(sw);
    }
    row.appendChild(el("span", null, item.label + (item.shape !== "dot" && item.shape !== "line" && item.shape !== "none" ? " (" + item.shape + ")" : "")));
    legend.appendChild(row);
  });

  var controls = document.getElementById("controls");
  if (data.period && data.period.from !== null && data.period.to > data.period.from) {
    var DAY = 86400000, lo = Math.floor(data.period.from / DAY) * DAY, hi = Math.ceil((data.period.to + 1) / DAY) * DAY;
    var steps = Math.max(1, Math.round((hi - lo) / DAY));
    var a = el("input"), b = el("input"), label = el("span");
    [a, b].forEach(function (x) { x.type = "range"; x.min = 0; x.max = steps; x.step = 1; });
    a.value = 0; b.value = steps; a.id = "period-from"; b.id = "period-to";
    a.setAttribute("aria-label", "period start"); b.setAttribute("aria-label", "period end");
    function apply() {
      var i = Math.min(+a.value, +b.value), j = Math.max(+a.value, +b.value);
      api.setPeriod(lo + i * DAY, lo + j * DAY - 1);
    }
    api.setPeriod = function (from, to) {
      period.from = from; period.to = to;
      var full = from <= data.period.from && to >= data.period.to;
      if (full) { shownNodes = null; } else {
        shownNodes = new Set(data.isolated.map(nodeId));
        edgeView.get({filter: function (e) { return (e.t1 === null || e.t1 >= from) && (e.t0 === null || e.t0 <= to); }})
          .forEach(function (e) { shownNodes.add(e.from); shownNodes.add(e.to); });
      }
      edgeView.refresh(); nodeView.refresh();
      label.textContent = " " + day(from).slice(0, 10) + " to " + day(to).slice(0, 10) + ": " + edgeView.length + " flows, " + nodeView.length + " accounts shown";
    };
    a.addEventListener("input", apply); b.addEventListener("input", apply);
    controls.appendChild(el("span", null, "Period (flows active in it): "));
    controls.appendChild(a); controls.appendChild(b); controls.appendChild(label);
    apply();
  } else {
    controls.appendChild(el("span", null, data.nodes.length + " accounts, " + data.edges.length + " flows"));
  }
  var relax = el("button", null, "Relax layout");
  relax.type = "button";
  relax.addEventListener("click", function () { network.setOptions({physics: {enabled: true}}); network.stabilize(200); });
  controls.appendChild(relax);
})();
"""
