// The extension in a real VS Code (code-server), driven through its web page by headless
// Chromium: run by e2e/run.sh, which starts code-server with the .vsix installed on a copy of
// fixtures/home-ops (plus one undefined variable) and passes its URL. Every request of the page
// that is not for code-server itself is aborted (and listed in the log).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";

const url = process.env.GITOPS_LSP_E2E_URL;
const out = process.env.GITOPS_LSP_E2E_OUT;
const CHROMIUM = process.env.GITOPS_LSP_CHROMIUM || "/usr/bin/chromium";
const HR = "kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml";

/** Runs a palette command by its title. */
async function command(page, title) {
  await page.keyboard.press("F1");
  await page.waitForSelector(".quick-input-widget input");
  await page.keyboard.type(title);
  await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${title}"]`, { timeout: 10_000 });
  await page.keyboard.press("Enter");
}

/** Puts the cursor at a 1-based line and column of the active editor. */
async function goTo(page, line, column) {
  await page.keyboard.press("Control+G");
  await page.waitForSelector(".quick-input-widget input");
  await page.keyboard.type(`${line}:${column}`);
  await page.keyboard.press("Enter");
}

/** Retries `f` (which returns a value or throws) until it returns a truthy value. */
async function until(what, f, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const v = await f();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
}

test("VS Code (code-server): the extension starts, hovers a ${VAR} per cluster, colours an undefined one", { skip: url ? false : "run through e2e/run.sh", timeout: 240_000 }, async () => {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const outside = [];
  const origin = new URL(url).origin;
  await page.route("**/*", (r) => {
    const u = r.request().url();
    if (u.startsWith(origin) || u.startsWith("data:") || u.startsWith("blob:")) return r.continue();
    outside.push(u);
    return r.abort();
  });
  const shot = (name) => page.screenshot({ path: path.join(out ?? ".", `${name}.png`) });
  try {
    await page.goto(url);
    await page.waitForSelector(".monaco-workbench", { timeout: 90_000 });

    // The status bar item: the extension is active and the server runs.
    await until("the status bar item", async () => {
      const items = await page.$$eval(".statusbar-item", (els) => els.map((e) => e.textContent ?? ""));
      return items.some((t) => t.includes("all clusters"));
    });

    await page.keyboard.press("Control+P");
    await page.waitForSelector(".quick-input-widget input");
    await page.keyboard.type(HR.split("/").slice(-3).join("/"));
    await page.waitForSelector(".quick-input-list .monaco-list-row", { timeout: 20_000 });
    await page.keyboard.press("Enter");
    await page.waitForSelector(".monaco-editor .view-lines", { timeout: 20_000 });

    // Hover `${CLUSTER_ID}` (line 23, inside the name): a row per cluster with its value and source.
    const hover = await until("the hover on ${CLUSTER_ID}", async () => {
      await page.keyboard.press("Escape");
      await goTo(page, 23, 16);
      await page.keyboard.press("Control+K");
      await page.keyboard.press("Control+I");
      await page.waitForSelector(".monaco-hover-content", { timeout: 3_000 });
      const text = await page.$eval(".monaco-hover-content", (e) => e.innerText);
      return /infra/.test(text) && /apps/.test(text) ? text : false;
    });
    await shot("hover");
    assert.match(hover, /\$\{CLUSTER_ID\}/);
    assert.match(hover, /apps\s+2\s/);
    assert.match(hover, /infra\s+1\s/);
    assert.match(hover, /kubernetes\/clusters\/infra\/cluster-settings\.yaml/);
    await page.keyboard.press("Escape");

    // The semantic token of `${NOT_DEFINED_ANYWHERE}` (line 24): type, modifier and the theme
    // rule from package.json's semanticTokenScopes.
    const inspect = await until("the semantic token of an undefined variable", async () => {
      await page.keyboard.press("Escape");
      await goTo(page, 24, 25);
      await command(page, "Developer: Inspect Editor Tokens and Scopes");
      await page.waitForSelector(".token-inspect-widget", { timeout: 5_000 });
      const text = await page.$eval(".token-inspect-widget", (e) => e.innerText);
      return /semantic token type\s+variable/.test(text) && /undefined/.test(text) ? text : false;
    });
    await shot("semantic-token");
    assert.match(inspect, /NOT_DEFINED_ANYWHERE/);
    assert.match(inspect, /modifiers\s+undefined/);
    assert.match(inspect, /invalid\.illegal\.undefined\.flux/);
    // Aborted (so the run is offline); listed for the log (e.g. the extension gallery).
    if (outside.length) console.log(`aborted requests outside code-server: ${[...new Set(outside)].join(", ")}`);
  } catch (e) {
    await shot("failure").catch(() => undefined);
    throw e;
  } finally {
    await browser.close();
  }
});
