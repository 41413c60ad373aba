// The injection grammar (../grammars/flux-substitution.tmLanguage.json) tokenized with
// vscode-textmate + vscode-oniguruma on top of VS Code's YAML grammar (tm-grammars).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));

const INJECTION = "gitops-lsp.flux-substitution.injection";
const injection = JSON.parse(fs.readFileSync(new URL("../../grammars/flux-substitution.tmLanguage.json", import.meta.url), "utf8"));
const yaml = require("tm-grammars/grammars/yaml.json");
const pkg = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8"));

const registry = new vsctm.Registry({
  onigLib: Promise.resolve({ createOnigScanner: (p) => new oniguruma.OnigScanner(p), createOnigString: (s) => new oniguruma.OnigString(s) }),
  loadGrammar: async (scope) => (scope === "source.yaml" ? yaml : scope === INJECTION ? injection : null),
  getInjections: (scope) => (scope === "source.yaml" ? [INJECTION] : undefined),
});
const grammar = await registry.loadGrammar("source.yaml");

/** Tokenizes `lines`; returns [text, scopes] for each token of the last line. */
function tokens(...lines) {
  let stack = vsctm.INITIAL;
  let out;
  for (const line of lines) {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    out = r.tokens.map((t) => [line.slice(t.startIndex, t.endIndex), t.scopes]);
  }
  return out;
}

/** The scopes of the first token whose text is `text`. */
function scopesOf(toks, text) {
  const t = toks.find(([s]) => s === text);
  assert.ok(t, `no token "${text}" in ${JSON.stringify(toks.map(([s]) => s))}`);
  return t[1];
}

const has = (scopes, name) => assert.ok(scopes.some((s) => s === name || s.startsWith(name + ".")) , `${name} not in ${scopes.join(" ")}`);
const hasNot = (scopes, prefix) => assert.ok(!scopes.some((s) => s.startsWith(prefix)), `${prefix} in ${scopes.join(" ")}`);

test("the package declares the injection into source.yaml", () => {
  const g = pkg.contributes.grammars.find((x) => x.scopeName === INJECTION);
  assert.deepEqual(g.injectTo, ["source.yaml"]);
  assert.equal(g.path, "./grammars/flux-substitution.tmLanguage.json");
});

test("${VAR} in a plain scalar", () => {
  const t = tokens("  cluster: ${CLUSTER}");
  has(scopesOf(t, "${"), "punctuation.definition.template-expression.begin.flux");
  const v = scopesOf(t, "CLUSTER");
  has(v, "variable.other.substitution.flux");
  has(v, "meta.template.expression.flux");
  has(scopesOf(t, "}"), "punctuation.definition.template-expression.end.flux");
});

test("${VAR} embedded in a plain scalar, twice", () => {
  const t = tokens("host: app.${CLUSTER}.${SECRET_DOMAIN}");
  has(scopesOf(t, "CLUSTER"), "variable.other.substitution.flux");
  has(scopesOf(t, "SECRET_DOMAIN"), "variable.other.substitution.flux");
  hasNot(scopesOf(t, "pp."), "meta.template.expression.flux");
});

test("${VAR:=default} in a double-quoted scalar", () => {
  const t = tokens('replicas: "${DRAGONFLY_REPLICAS:=3}"');
  const v = scopesOf(t, "DRAGONFLY_REPLICAS");
  has(v, "variable.other.substitution.flux");
  has(v, "string.quoted.double.yaml");
  has(scopesOf(t, ":="), "keyword.operator.default.flux");
  has(scopesOf(t, "3"), "string.unquoted.default.flux");
  has(scopesOf(t, "}"), "punctuation.definition.template-expression.end.flux");
  hasNot(scopesOf(t, '"'), "meta.template.expression.flux");
});

test("${VAR:-default} in a single-quoted scalar, with a nested default", () => {
  const t = tokens("url: 'https://${HOST:-${CLUSTER}.lan}/x'");
  has(scopesOf(t, "HOST"), "variable.other.substitution.flux");
  has(scopesOf(t, ":-"), "keyword.operator.default.flux");
  const nested = scopesOf(t, "CLUSTER");
  has(nested, "variable.other.substitution.flux");
  has(nested, "string.unquoted.default.flux");
  has(scopesOf(t, ".lan"), "string.unquoted.default.flux");
  has(scopesOf(t, "/x"), "string.quoted.single.yaml");
  hasNot(scopesOf(t, "/x"), "meta.template.expression.flux");
});

test("$${escaped} is an escape, not a variable", () => {
  const t = tokens("script: echo $${HOME}");
  has(scopesOf(t, "$${HOME}"), "constant.character.escape.flux");
  assert.ok(!t.some(([, s]) => s.includes("variable.other.substitution.flux")));
});

test("in a block scalar", () => {
  const t = tokens("data:", "  config.txt: |", "    name=${APP_NAME}");
  has(scopesOf(t, "APP_NAME"), "variable.other.substitution.flux");
});

test("unsupported forms are marked invalid; $VAR and comments are left alone", () => {
  has(scopesOf(tokens("a: ${NAME:?required}"), ":?required"), "invalid.illegal.substitution.flux");
  const plain = tokens("a: $NAME");
  assert.ok(!plain.some(([, s]) => s.some((x) => x.endsWith(".flux"))), JSON.stringify(plain));
  const comment = tokens("# uses ${CLUSTER}");
  assert.ok(!comment.some(([, s]) => s.some((x) => x.endsWith(".flux"))), JSON.stringify(comment));
});

test("Flux's string functions, ${#VAR} and ${VAR=default} are operators, not invalid", () => {
  for (const [line, op, arg] of [
    ["a: ${CLUSTER^^}", "^^", undefined],
    ["a: ${CLUSTER,}", ",", undefined],
    ["a: ${HOST/lan/home}", "/", "lan/home"],
    ["a: ${HOST//./-}", "//", "./-"],
    ["a: ${IMAGE##*/}", "##", "*/"],
    ["a: ${FILE%.yaml}", "%", ".yaml"],
    ["a: ${NAME:0:3}", ":", "0:3"],
  ]) {
    const t = tokens(line);
    // The operator inside the expression (not the mapping's `:`).
    const opTok = t.find(([x, sc]) => x === op && sc.includes("meta.template.expression.flux"));
    assert.ok(opTok, `${line}: no ${op} in the expression: ${JSON.stringify(t)}`);
    has(opTok[1], "keyword.operator.function.flux");
    if (arg) has(scopesOf(t, arg), "string.unquoted.argument.flux");
    assert.ok(!t.some(([, sc]) => sc.some((x) => x.startsWith("invalid."))), `${line}: ${JSON.stringify(t)}`);
  }
  const len = tokens("a: ${#CLUSTER}");
  has(scopesOf(len, "#"), "keyword.operator.length.flux");
  has(scopesOf(len, "CLUSTER"), "variable.other.substitution.flux");
  const eq = tokens("a: ${REPLICAS=2}");
  has(scopesOf(eq, "="), "keyword.operator.default.flux");
  has(scopesOf(eq, "2"), "string.unquoted.default.flux");
  // A substitution inside a function's argument.
  has(scopesOf(tokens("a: ${HOST/${OLD}/new}"), "OLD"), "variable.other.substitution.flux");
  // Forms Flux rejects stay invalid.
  has(scopesOf(tokens("a: ${NAME-x}"), "-x"), "invalid.illegal.substitution.flux");
  has(scopesOf(tokens("a: ${NAME:+x}"), ":+x"), "invalid.illegal.substitution.flux");
});

test("an unclosed ${ stops at the closing quote", () => {
  const t = tokens('a: "${NAME" # c');
  const quote = t.filter(([s]) => s === '"').at(-1);
  hasNot(quote[1], "meta.template.expression.flux");
  has(scopesOf(t, "#"), "comment.line");
});
