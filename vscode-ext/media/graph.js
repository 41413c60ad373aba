// The dependency graph page: `layout(graph)` (pure: layers and coordinates) and
// `render(graph, svg, onOpen)` (plain SVG). No libraries, no network. Loaded by the webview
// (media/graph.html), by headless Chromium in the tests, and by node (module.exports) for the
// layout tests.
//
// Graph (the server's `gitops-lsp/graph` result):
//   {cluster, nodes: [{id, name, namespace, path?, file?, line?, clusters?, missing}],
//    edges: [{from, to, cycle, unknown}]}   -- `from` dependsOn `to`.
(function (root) {
  "use strict";

  var NODE_W = 240;
  var NODE_H = 46;
  var GAP_X = 28;
  var GAP_Y = 64;
  var MARGIN = 20;

  /**
   * Layers top to bottom by dependsOn depth: a Kustomization without dependencies is on layer 0,
   * any other one layer below its deepest dependency. Cycle edges are ignored for depth (a
   * cycle has no depth), so every node gets a layer. Within a layer, nodes are ordered by the
   * mean position of their dependencies (fewer crossings), then by id.
   */
  function layout(graph) {
    var nodes = (graph && graph.nodes) || [];
    var edges = (graph && graph.edges) || [];
    var byId = {};
    nodes.forEach(function (n) { byId[n.id] = n; });
    var deps = {};
    nodes.forEach(function (n) { deps[n.id] = []; });
    edges.forEach(function (e) {
      if (!e.cycle && byId[e.from] && byId[e.to] && e.from !== e.to) deps[e.from].push(e.to);
    });
    var depth = {};
    var visiting = {};
    function depthOf(id) {
      if (depth[id] !== undefined) return depth[id];
      if (visiting[id]) return 0; // a cycle not marked as such: cut it here
      visiting[id] = true;
      var d = 0;
      deps[id].forEach(function (t) { d = Math.max(d, depthOf(t) + 1); });
      visiting[id] = false;
      depth[id] = d;
      return d;
    }
    nodes.forEach(function (n) { depthOf(n.id); });

    var layers = [];
    nodes.forEach(function (n) {
      var d = depth[n.id];
      (layers[d] = layers[d] || []).push(n.id);
    });
    for (var i = 0; i < layers.length; i++) layers[i] = layers[i] || [];
    var order = {};
    layers.forEach(function (ids, li) {
      var key = {};
      ids.forEach(function (id) {
        var ps = deps[id].map(function (t) { return order[t]; }).filter(function (x) { return x !== undefined; });
        key[id] = ps.length ? ps.reduce(function (a, b) { return a + b; }, 0) / ps.length : -1;
      });
      ids.sort(function (a, b) { return key[a] - key[b] || (a < b ? -1 : a > b ? 1 : 0); });
      ids.forEach(function (id, k) { order[id] = k; });
      layers[li] = ids;
    });

    var widest = layers.reduce(function (m, l) { return Math.max(m, l.length); }, 0);
    var width = Math.max(1, widest) * (NODE_W + GAP_X) - GAP_X + 2 * MARGIN;
    var height = Math.max(1, layers.length) * (NODE_H + GAP_Y) - GAP_Y + 2 * MARGIN;
    var placed = {};
    var outNodes = [];
    layers.forEach(function (ids, li) {
      var rowW = ids.length * (NODE_W + GAP_X) - GAP_X;
      var x0 = (width - rowW) / 2;
      ids.forEach(function (id, k) {
        var p = { id: id, layer: li, x: x0 + k * (NODE_W + GAP_X), y: MARGIN + li * (NODE_H + GAP_Y), w: NODE_W, h: NODE_H, node: byId[id] };
        placed[id] = p;
        outNodes.push(p);
      });
    });
    var outEdges = [];
    edges.forEach(function (e) {
      var a = placed[e.from];
      var b = placed[e.to];
      if (!a || !b) return;
      var points;
      if (a === b) {
        // A self-dependency: a loop on the right side.
        var rx = a.x + a.w;
        var ry = a.y + a.h / 2;
        points = [[rx, ry - 8], [rx + 22, ry - 18], [rx + 22, ry + 18], [rx, ry + 8]];
      } else if (b.y < a.y) {
        points = [[a.x + a.w / 2, a.y], [b.x + b.w / 2, b.y + b.h]];
      } else {
        // A dependency on the same layer or below (only in cycles): go round by the side.
        var side = b.x >= a.x ? 1 : -1;
        var sx = side > 0 ? a.x + a.w : a.x;
        var tx = side > 0 ? b.x : b.x + b.w;
        points = [[sx, a.y + a.h / 2], [tx, b.y + b.h / 2]];
      }
      outEdges.push({ from: e.from, to: e.to, cycle: !!e.cycle, unknown: !!e.unknown, points: points });
    });
    return { nodes: outNodes, edges: outEdges, layers: layers, width: width, height: height };
  }

  var SVG_NS = "http://www.w3.org/2000/svg";

  function el(doc, name, attrs, parent) {
    var e = doc.createElementNS(SVG_NS, name);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (parent) parent.appendChild(e);
    return e;
  }

  function shorten(s, max) {
    return s.length <= max ? s : "…" + s.slice(s.length - max + 1);
  }

  function pathData(points) {
    if (points.length === 2) {
      var a = points[0];
      var b = points[1];
      var my = (a[1] + b[1]) / 2;
      if (a[1] === b[1]) return "M" + a[0] + "," + a[1] + " L" + b[0] + "," + b[1];
      return "M" + a[0] + "," + a[1] + " C" + a[0] + "," + my + " " + b[0] + "," + my + " " + b[0] + "," + b[1];
    }
    return "M" + points.map(function (p) { return p[0] + "," + p[1]; }).join(" L");
  }

  /** Draws `graph` into `svg`; `onOpen(node)` is called when a node with a file is clicked. */
  function render(graph, svg, onOpen) {
    var doc = svg.ownerDocument;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var l = layout(graph);
    svg.setAttribute("width", l.width);
    svg.setAttribute("height", l.height);
    svg.setAttribute("viewBox", "0 0 " + l.width + " " + l.height);
    var defs = el(doc, "defs", {}, svg);
    [["arrow", "arrow"], ["arrow-bad", "arrow bad"]].forEach(function (m) {
      var marker = el(doc, "marker", { id: m[0], viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
      el(doc, "path", { d: "M0,0 L10,5 L0,10 z", class: m[1] }, marker);
    });
    var inCycle = {};
    var edgeLayer = el(doc, "g", { class: "edges" }, svg);
    l.edges.forEach(function (e) {
      var bad = e.cycle || e.unknown;
      if (e.cycle) { inCycle[e.from] = true; inCycle[e.to] = true; }
      var p = el(doc, "path", {
        class: "edge" + (e.cycle ? " cycle" : "") + (e.unknown ? " unknown" : ""),
        d: pathData(e.points),
        "marker-end": bad ? "url(#arrow-bad)" : "url(#arrow)",
        "data-from": e.from,
        "data-to": e.to,
      }, edgeLayer);
      var t = el(doc, "title", {}, p);
      t.textContent = e.from + " dependsOn " + e.to + (e.cycle ? " (cycle)" : "") + (e.unknown ? " (unknown: no such Flux Kustomization in this cluster)" : "");
    });
    var nodeLayer = el(doc, "g", { class: "nodes" }, svg);
    l.nodes.forEach(function (p) {
      var n = p.node;
      var g = el(doc, "g", {
        class: "node" + (n.missing ? " missing" : "") + (inCycle[n.id] ? " in-cycle" : ""),
        transform: "translate(" + p.x + "," + p.y + ")",
        "data-id": n.id,
        "data-layer": p.layer,
        tabindex: 0,
        role: "button",
      }, nodeLayer);
      el(doc, "rect", { width: p.w, height: p.h, rx: 6, ry: 6 }, g);
      var name = el(doc, "text", { class: "name", x: 10, y: 19 }, g);
      name.textContent = shorten(n.namespace && n.namespace !== "flux-system" ? n.namespace + "/" + n.name : n.name, 32);
      var sub = el(doc, "text", { class: "path", x: 10, y: 36 }, g);
      sub.textContent = n.missing ? "unknown: not in this cluster" : shorten(n.path || "", 38);
      var title = el(doc, "title", {}, g);
      title.textContent = n.id + (n.path ? "\npath: " + n.path : "") + (n.file ? "\n" + n.file + ":" + ((n.line || 0) + 1) : "") +
        (n.clusters && n.clusters.length ? "\nclusters: " + n.clusters.join(", ") : "") + (n.missing ? "\nnot found in this cluster" : "");
      function open() { if (n.file && onOpen) onOpen(n); }
      g.addEventListener("click", open);
      g.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") open(); });
    });
    return l;
  }

  var api = { layout: layout, render: render };
  if (typeof module === "object" && module.exports) module.exports = api;
  root.GitopsGraph = api;

  // In a page: wire the webview messages (or a graph injected as window.__GITOPS_GRAPH__).
  if (typeof document !== "undefined" && document.getElementById && document.getElementById("graph")) {
    var vscode = typeof acquireVsCodeApi === "function" ? acquireVsCodeApi() : undefined;
    var svg = document.getElementById("graph");
    var select = document.getElementById("cluster");
    var message = document.getElementById("message");
    var summary = document.getElementById("summary");
    var show = function (graph, clusters) {
      message.textContent = "";
      var names = clusters && clusters.length ? clusters : [graph.cluster];
      select.innerHTML = "";
      names.forEach(function (c) {
        var o = document.createElement("option");
        o.value = c;
        o.textContent = c;
        if (c === graph.cluster) o.selected = true;
        select.appendChild(o);
      });
      var bad = graph.edges.filter(function (e) { return e.cycle || e.unknown; }).length;
      summary.textContent = graph.nodes.length + " Kustomizations, " + graph.edges.length + " dependsOn" + (bad ? ", " + bad + " broken" : "");
      render(graph, svg, function (n) {
        if (vscode) vscode.postMessage({ type: "open", file: n.file, line: n.line || 0 });
        document.dispatchEvent(new CustomEvent("gitops-open", { detail: { file: n.file, line: n.line || 0 } }));
      });
    };
    root.showGraph = show;
    select.addEventListener("change", function () { if (vscode) vscode.postMessage({ type: "cluster", cluster: select.value }); });
    root.addEventListener("message", function (ev) {
      var m = ev.data || {};
      if (m.type === "graph") show(m.graph, m.clusters);
      else if (m.type === "error") { message.textContent = m.message; while (svg.firstChild) svg.removeChild(svg.firstChild); }
    });
    if (root.__GITOPS_GRAPH__) show(root.__GITOPS_GRAPH__, root.__GITOPS_CLUSTERS__);
    if (vscode) vscode.postMessage({ type: "ready" });
  }
})(typeof window !== "undefined" ? window : globalThis);
