// Pure helpers of the graph view (no `vscode` import): the page's HTML for a webview, and the
// validation of the page's "open" messages.

export interface WebviewParts {
  cspSource: string;
  nonce: string;
  scriptUri: string;
}

/**
 * media/graph.html as a webview page: a strict Content-Security-Policy (no network, scripts
 * only by nonce) and the script loaded from the extension.
 */
export function webviewHtml(html: string, p: WebviewParts): string {
  const csp = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${p.cspSource} data:; style-src ${p.cspSource} 'unsafe-inline'; script-src 'nonce-${p.nonce}';">`;
  return html
    .replace("<!--CSP-->", csp)
    .replace(/<script src="graph\.js"><\/script>/, `<script nonce="${p.nonce}" src="${p.scriptUri}"></script>`);
}

/** A node click from the page: a workspace-relative file and a 0-based line, or undefined. */
export function openTarget(m: unknown): { file: string; line: number } | undefined {
  if (typeof m !== "object" || m === null) return undefined;
  const o = m as { type?: unknown; file?: unknown; line?: unknown };
  if (o.type !== "open" || typeof o.file !== "string" || !o.file) return undefined;
  if (o.file.startsWith("/") || o.file.split("/").includes("..")) return undefined;
  const line = typeof o.line === "number" && Number.isInteger(o.line) && o.line >= 0 ? o.line : 0;
  return { file: o.file, line };
}
