// Server discovery, settings mapping, rendered-document URIs and graph page helpers: the pure
// modules of src/ (compiled to out/ by scripts/build.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const discovery = require("../out/discovery.js");
const settings = require("../out/settings.js");
const render = require("../out/render.js");
const graphModel = require("../out/graphModel.js");

function env(files, over = {}) {
  return { platform: "linux", arch: "x64", home: "/home/u", pathVar: "/usr/local/bin:/usr/bin", exists: (p) => files.includes(p), ...over };
}

test("discovery: the setting wins, with ~ expanded", () => {
  const c = discovery.resolveServer("~/bin/gitops-lsp", "/ext", env(["/ext/server/linux-x64/gitops-lsp", "/usr/bin/gitops-lsp"]));
  assert.deepEqual(c, { command: "/home/u/bin/gitops-lsp", source: "setting" });
});

test("discovery: a setting naming a missing file is still chosen (the version check reports it)", () => {
  const c = discovery.resolveServer("/nope/gitops-lsp", "/ext", env(["/usr/bin/gitops-lsp"]));
  assert.equal(c.source, "setting");
});

test("discovery: blank setting -> bundled binary for the platform", () => {
  for (const s of [undefined, null, "", "  "]) {
    const c = discovery.resolveServer(s, "/ext", env(["/ext/server/linux-x64/gitops-lsp", "/usr/bin/gitops-lsp"]));
    assert.deepEqual(c, { command: "/ext/server/linux-x64/gitops-lsp", source: "bundled" });
  }
  const arm = discovery.resolveServer("", "/ext", env(["/ext/server/darwin-arm64/gitops-lsp"], { platform: "darwin", arch: "arm64" }));
  assert.equal(arm.source, "bundled");
});

test("discovery: no bundle -> PATH, first match; nothing -> undefined", () => {
  const c = discovery.resolveServer("", "/ext", env(["/usr/bin/gitops-lsp"]));
  assert.deepEqual(c, { command: "/usr/bin/gitops-lsp", source: "path" });
  assert.equal(discovery.resolveServer("", "/ext", env([])), undefined);
  assert.equal(discovery.bundledRelPath("win32", "x64"), "server/win32-x64/gitops-lsp.exe");
});

test("discovery: expandHome", () => {
  assert.equal(discovery.expandHome("~", "/h"), "/h");
  assert.equal(discovery.expandHome("~/x/y", "/h"), "/h/x/y");
  assert.equal(discovery.expandHome("/a/~/b", "/h"), "/a/~/b");
  assert.equal(discovery.expandHome("~other/x", "/h"), "~other/x");
});

test("discovery: error messages say how to fix it", () => {
  const none = discovery.notFoundMessage(undefined, undefined, "linux", "x64");
  assert.match(none, /not found/);
  assert.match(none, /gitops-lsp\.server\.path/);
  assert.match(none, /cargo install/);
  const bad = discovery.notFoundMessage({ command: "/x/gitops-lsp", source: "setting" }, "spawn /x/gitops-lsp ENOENT", "linux", "x64");
  assert.match(bad, /setting \(\/x\/gitops-lsp\) does not run: spawn .*ENOENT/);
  assert.match(bad, /Fix or clear the setting/);
});

test("discovery: checkVersion runs --version and checks the answer", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gitops-lsp-"));
  const good = path.join(dir, "good");
  fs.writeFileSync(good, "#!/bin/sh\necho 'gitops-lsp 9.9.9'\n", { mode: 0o755 });
  const other = path.join(dir, "other");
  fs.writeFileSync(other, "#!/bin/sh\necho 'something else'\n", { mode: 0o755 });
  assert.equal(await discovery.checkVersion(good), "gitops-lsp 9.9.9");
  await assert.rejects(discovery.checkVersion(other), /not "gitops-lsp <version>"/);
  await assert.rejects(discovery.checkVersion(path.join(dir, "missing")), /ENOENT/);
});

test("discovery: the real server answers --version when built", async (t) => {
  const bin = path.resolve("../target/release/gitops-lsp");
  if (!fs.existsSync(bin)) return t.skip("no ../target/release/gitops-lsp (run cargo build --release)");
  assert.match(await discovery.checkVersion(bin), /^gitops-lsp \d+\.\d+\.\d+/);
});

const get = (o) => (k) => o[k];

test("settings: defaults and mapping", () => {
  assert.deepEqual(settings.serverSettings(get({})), { cluster: "", inlayHints: true, logLevel: "info" });
  assert.deepEqual(settings.serverSettings(get({ cluster: " infra ", inlayHints: false, logLevel: "DEBUG" })), { cluster: "infra", inlayHints: false, logLevel: "debug" });
  assert.equal(settings.serverSettings(get({ cluster: null })).cluster, "");
  assert.equal(settings.serverSettings(get({ logLevel: "trace" })).logLevel, "debug");
  assert.equal(settings.serverSettings(get({ logLevel: "loud" })).logLevel, "info");
});

test("settings: initializationOptions are flat, didChangeConfiguration nests under gitops-lsp", () => {
  const g = get({ cluster: "apps" });
  assert.deepEqual(settings.initializationOptions(g), { cluster: "apps", inlayHints: true, logLevel: "info" });
  assert.deepEqual(settings.didChangeConfigurationParams(g), { settings: { "gitops-lsp": { cluster: "apps", inlayHints: true, logLevel: "info" } } });
});

test("settings: which changes restart the server", () => {
  const only = (key) => (k) => k === key || key.startsWith(k + ".");
  assert.equal(settings.changeEffect(only("gitops-lsp.server.path")), "restart");
  assert.equal(settings.changeEffect(only("gitops-lsp.cluster")), "notify");
  assert.equal(settings.changeEffect(only("gitops-lsp.inlayHints")), "notify");
  assert.equal(settings.changeEffect(only("editor.fontSize")), "none");
});

test("settings: status bar text", () => {
  assert.equal(settings.statusText("infra", undefined), "$(server-environment) infra");
  assert.equal(settings.statusText("", undefined), "$(server-environment) all clusters");
  assert.equal(settings.statusText("apps", { percent: 41.6 }), "$(sync~spin) indexing 42% · $(server-environment) apps");
});

test("settings: indexing state from work-done progress (only the indexing token)", () => {
  const t = settings.INDEX_TOKEN;
  let s = {};
  s = settings.indexingAfter(t, { kind: "begin", percentage: 0 }, s);
  assert.deepEqual(s, { percent: 0 });
  s = settings.indexingAfter(t, { kind: "report", percentage: 40 }, s);
  assert.deepEqual(s, { percent: 40 });
  // A report without a percentage keeps the last one.
  assert.deepEqual(settings.indexingAfter(t, { kind: "report" }, s), { percent: 40 });
  // Another token's progress leaves the state as it is (the same object).
  assert.equal(settings.indexingAfter("other", { kind: "end" }, s), s);
  assert.equal(settings.indexingAfter(t, { kind: "end" }, s), undefined);
  assert.equal(settings.statusText("infra", settings.indexingAfter(t, { kind: "end" }, s)), "$(server-environment) infra");
});

test("render: URI round trip", () => {
  const src = "file:///repo/kubernetes/apps/a%20b/ks.yaml";
  const u = render.renderUri(src, "infra");
  assert.ok(u.startsWith("gitops-lsp-rendered:/infra/ks.yaml?"), u);
  const q = new URL(u).search.slice(1);
  assert.deepEqual(render.parseRenderQuery(q), { uri: src, cluster: "infra" });
  assert.equal(render.parseRenderQuery("uri=x"), undefined);
});

test("graph page: webview HTML gets a CSP and the nonce'd script", () => {
  const html = fs.readFileSync("media/graph.html", "utf8");
  const out = graphModel.webviewHtml(html, { cspSource: "vscode-resource:", nonce: "N0NCE", scriptUri: "vscode-resource:/ext/media/graph.js" });
  assert.match(out, /Content-Security-Policy" content="default-src 'none';/);
  assert.match(out, /script-src 'nonce-N0NCE'/);
  assert.match(out, /<script nonce="N0NCE" src="vscode-resource:\/ext\/media\/graph.js"><\/script>/);
  assert.doesNotMatch(out, /src="https?:/);
});

test("graph page: open messages are validated", () => {
  assert.deepEqual(graphModel.openTarget({ type: "open", file: "k/ks.yaml", line: 4 }), { file: "k/ks.yaml", line: 4 });
  assert.deepEqual(graphModel.openTarget({ type: "open", file: "k/ks.yaml" }), { file: "k/ks.yaml", line: 0 });
  assert.equal(graphModel.openTarget({ type: "open", file: "../etc/passwd", line: 1 }), undefined);
  assert.equal(graphModel.openTarget({ type: "open", file: "/etc/passwd" }), undefined);
  assert.equal(graphModel.openTarget({ type: "ready" }), undefined);
  assert.equal(graphModel.openTarget(null), undefined);
});
