// The server's semantic token legend (from its `initialize` answer) against package.json: every
// token type and modifier the server sends that is not one of LSP's standard names is declared
// (`semanticTokenTypes` / `semanticTokenModifiers`), and every `semanticTokenScopes` selector
// names only legend types and modifiers, so a theme colours what the server sends.
// Uses the server built by `cargo build` (release, else debug, or GITOPS_LSP_SERVER); skipped
// without one.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ext = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const candidates = [process.env.GITOPS_LSP_SERVER, path.join(ext, "../target/release/gitops-lsp"), path.join(ext, "../target/debug/gitops-lsp")];
const server = candidates.find((p) => p && fs.existsSync(p));

// LSP 3.17's predefined names.
const STANDARD_TYPES = ["namespace", "type", "class", "enum", "interface", "struct", "typeParameter", "parameter", "variable", "property", "enumMember", "event", "function", "method", "macro", "keyword", "modifier", "comment", "string", "number", "regexp", "operator", "decorator"];
const STANDARD_MODIFIERS = ["declaration", "definition", "readonly", "static", "deprecated", "abstract", "async", "modification", "documentation", "defaultLibrary"];

/** Sends `initialize` to the server over stdio and returns its result. */
function initialize(bin) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, ["serve"], { stdio: ["pipe", "pipe", "ignore"] });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { p.kill(); reject(new Error("no initialize answer")); }, 20_000);
    p.stdout.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      const head = buf.indexOf("\r\n\r\n");
      if (head < 0) return;
      const len = Number(/Content-Length: (\d+)/i.exec(buf.subarray(0, head).toString())[1]);
      if (buf.length < head + 4 + len) return;
      clearTimeout(timer);
      p.kill();
      resolve(JSON.parse(buf.subarray(head + 4, head + 4 + len).toString()).result);
    });
    p.on("error", reject);
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { processId: null, rootUri: null, capabilities: {} } });
    p.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
}

test("semantic tokens: package.json declares and scopes the server's legend", { skip: server ? false : "no server built (cargo build)", timeout: 30_000 }, async () => {
  const result = await initialize(server);
  const provider = result.capabilities.semanticTokensProvider;
  assert.ok(provider, "the server offers semantic tokens");
  assert.equal(provider.full, true);
  assert.equal(provider.range, true);
  const { tokenTypes, tokenModifiers } = provider.legend;
  const pkg = JSON.parse(fs.readFileSync(path.join(ext, "package.json"), "utf8")).contributes;
  const declaredTypes = (pkg.semanticTokenTypes ?? []).map((t) => t.id);
  const declaredModifiers = (pkg.semanticTokenModifiers ?? []).map((m) => m.id);
  for (const t of tokenTypes) {
    assert.ok(STANDARD_TYPES.includes(t) || declaredTypes.includes(t), `token type ${t} is not declared in semanticTokenTypes`);
  }
  for (const m of tokenModifiers) {
    assert.ok(STANDARD_MODIFIERS.includes(m) || declaredModifiers.includes(m), `modifier ${m} is not declared in semanticTokenModifiers`);
  }
  for (const t of pkg.semanticTokenTypes ?? []) {
    assert.ok(tokenTypes.includes(t.id), `declared type ${t.id} is not in the server's legend`);
    assert.ok(!t.superType || STANDARD_TYPES.includes(t.superType), `superType of ${t.id}`);
  }
  for (const m of declaredModifiers) assert.ok(tokenModifiers.includes(m), `declared modifier ${m} is not in the server's legend`);
  const yaml = pkg.semanticTokenScopes.find((s) => s.language === "yaml");
  assert.ok(yaml, "scopes for yaml");
  for (const [selector, scopes] of Object.entries(yaml.scopes)) {
    const [type, ...mods] = selector.split(".");
    assert.ok(tokenTypes.includes(type), `selector ${selector}: unknown type`);
    for (const m of mods) assert.ok(tokenModifiers.includes(m), `selector ${selector}: unknown modifier ${m}`);
    assert.ok(scopes.length > 0 && scopes.every((s) => /^[a-z][\w.-]*$/.test(s)), `selector ${selector}: scopes ${scopes}`);
  }
  // Every type and every variable modifier gets a colour.
  for (const t of tokenTypes) assert.ok(yaml.scopes[t], `no scope for ${t}`);
  for (const m of tokenModifiers) assert.ok(yaml.scopes[`variable.${m}`], `no scope for variable.${m}`);
});
