// `npm run package` (vsce) produces gitops-lsp.vsix; its contents: the bundle, the grammar, the
// graph page, the server when one was built, and no sources, tests or node_modules.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const ext = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** File names of a zip, from its central directory. */
function zipEntries(buf) {
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  assert.ok(eocd >= 0, "not a zip");
  const count = buf.readUInt16LE(eocd + 10);
  let off = buf.readUInt32LE(eocd + 16);
  const names = [];
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(off), 0x02014b50);
    const n = buf.readUInt16LE(off + 28), m = buf.readUInt16LE(off + 30), k = buf.readUInt16LE(off + 32);
    names.push(buf.toString("utf8", off + 46, off + 46 + n));
    off += 46 + n + m + k;
  }
  return names;
}

test("vsce package: the .vsix holds what the extension needs and nothing else", { timeout: 180_000 }, () => {
  const vsix = path.join(ext, "gitops-lsp.vsix");
  if (process.env.GITOPS_LSP_SKIP_PACKAGE !== "1" || !fs.existsSync(vsix)) {
    execFileSync("npm", ["run", "--silent", "package"], { cwd: ext, stdio: ["ignore", "pipe", "inherit"] });
  }
  const names = zipEntries(fs.readFileSync(vsix)).filter((n) => !n.endsWith("/"));
  const files = names.filter((n) => n.startsWith("extension/")).map((n) => n.slice("extension/".length));
  for (const want of ["package.json", "readme.md", "dist/extension.js", "media/graph.html", "media/graph.js", "grammars/flux-substitution.tmLanguage.json"]) {
    assert.ok(files.some((f) => f.toLowerCase() === want.toLowerCase()), `${want} missing from ${files.join(", ")}`);
  }
  const server = `server/${process.platform}-${process.arch}/gitops-lsp`;
  if (fs.existsSync(path.join(ext, "../target/release/gitops-lsp")) || process.env.GITOPS_LSP_SERVER) {
    assert.ok(files.includes(server), `${server} missing`);
  }
  for (const f of files) {
    assert.ok(!f.startsWith("src/") && !f.startsWith("test/") && !f.startsWith("out/") && !f.startsWith("scripts/"), `dev file ${f}`);
    assert.ok(!f.startsWith("node_modules/"), `dependency ${f} (the bundle needs none)`);
    assert.ok(!f.endsWith(".ts") && !f.endsWith(".map") && !f.endsWith(".mjs"), `dev file ${f}`);
  }
  // The manifest points at files that are in the package.
  const pkg = JSON.parse(fs.readFileSync(path.join(ext, "package.json"), "utf8"));
  assert.ok(files.includes(pkg.main.replace(/^\.\//, "")));
  for (const g of pkg.contributes.grammars) assert.ok(files.includes(g.path.replace(/^\.\//, "")));
});
