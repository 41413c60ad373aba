// URIs of the read-only "rendered manifest" documents: one per (source file, cluster).
// Pure: no `vscode` import (the extension wraps these strings in vscode.Uri).

export const RENDER_SCHEME = "gitops-lsp-rendered";

/** The virtual document's URI text: `gitops-lsp-rendered:/<cluster>/<file name>?<query>`. */
export function renderUri(sourceUri: string, cluster: string): string {
  const name = decodeURIComponent(sourceUri.split("/").pop() ?? "manifest.yaml") || "manifest.yaml";
  const query = new URLSearchParams({ uri: sourceUri, cluster }).toString();
  return `${RENDER_SCHEME}:/${encodeURIComponent(cluster)}/${encodeURIComponent(name)}?${query}`;
}

/** The (source URI, cluster) of a virtual document's query; undefined when malformed. */
export function parseRenderQuery(query: string): { uri: string; cluster: string } | undefined {
  const q = new URLSearchParams(query);
  const uri = q.get("uri");
  const cluster = q.get("cluster");
  return uri && cluster ? { uri, cluster } : undefined;
}
