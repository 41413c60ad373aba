// media/graph.js layout on the home-ops graphs (the JSON the server returns; pinned by
// lsp/tests/it/graph.rs) and on small graphs with cycles and unknown targets.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { layout } = require("../media/graph.js");

const load = (c) => JSON.parse(fs.readFileSync(new URL(`./fixtures/home-ops.${c}.graph.json`, import.meta.url), "utf8"));

test("layout: every dependency is on a higher layer than its dependent (home-ops)", () => {
  for (const c of ["infra", "apps"]) {
    const g = load(c);
    const l = layout(g);
    assert.equal(l.nodes.length, g.nodes.length);
    assert.equal(l.edges.length, g.edges.length);
    const layer = Object.fromEntries(l.nodes.map((n) => [n.id, n.layer]));
    for (const e of g.edges) assert.ok(layer[e.to] < layer[e.from], `${c}: ${e.from} -> ${e.to}`);
    // Nodes without dependencies are on the top layer.
    const dependents = new Set(g.edges.map((e) => e.from));
    for (const n of g.nodes) if (!dependents.has(n.id)) assert.equal(layer[n.id], 0, n.id);
    // No two nodes overlap.
    for (const a of l.nodes) for (const b of l.nodes) if (a !== b) assert.ok(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y !== b.y, `${a.id} overlaps ${b.id}`);
  }
});

test("layout: depth is the longest dependsOn chain", () => {
  const n = (id) => ({ id, name: id, namespace: "flux-system", missing: false });
  const e = (from, to) => ({ from, to, cycle: false, unknown: false });
  const l = layout({ cluster: "x", nodes: ["a", "b", "c", "d"].map(n), edges: [e("b", "a"), e("c", "b"), e("c", "a"), e("d", "a")] });
  assert.deepEqual(Object.fromEntries(l.nodes.map((p) => [p.id, p.layer])), { a: 0, b: 1, d: 1, c: 2 });
  assert.deepEqual(l.layers, [["a"], ["b", "d"], ["c"]]);
});

test("layout: cycles and self-loops still get layers and drawn edges", () => {
  const n = (id, missing = false) => ({ id, name: id, namespace: "ns", missing });
  const g = {
    cluster: "x",
    nodes: [n("a"), n("b"), n("c"), n("zz", true)],
    edges: [
      { from: "a", to: "b", cycle: true, unknown: false },
      { from: "b", to: "a", cycle: true, unknown: false },
      { from: "c", to: "c", cycle: true, unknown: false },
      { from: "c", to: "zz", cycle: false, unknown: true },
    ],
  };
  const l = layout(g);
  assert.equal(l.nodes.length, 4);
  assert.equal(l.edges.length, 4);
  for (const e of l.edges) assert.ok(e.points.length >= 2 && e.points.flat().every(Number.isFinite));
  assert.ok(l.edges.find((e) => e.to === "zz").unknown);
});

test("layout: empty graph", () => {
  const l = layout({ cluster: "x", nodes: [], edges: [] });
  assert.equal(l.nodes.length, 0);
  assert.ok(l.width > 0 && l.height > 0);
});
