// Mapping VS Code settings to what the server reads (initializationOptions and
// workspace/didChangeConfiguration, both under the `gitops-lsp` key: cluster, inlayHints,
// logLevel). Pure: no `vscode` import.

export const SECTION = "gitops-lsp";

export interface ServerSettings {
  /** The focus cluster; "" means every cluster. */
  cluster: string;
  inlayHints: boolean;
  logLevel: "error" | "warn" | "info" | "debug";
}

/** Reads one setting (`vscode.WorkspaceConfiguration.get` fits). */
export type Getter = <T>(key: string) => T | undefined;

const LEVELS = ["error", "warn", "info", "debug"] as const;

export function serverSettings(get: Getter): ServerSettings {
  const cluster = get<string | null>("cluster");
  const level = String(get<string>("logLevel") ?? "info").toLowerCase();
  return {
    cluster: typeof cluster === "string" ? cluster.trim() : "",
    inlayHints: get<boolean>("inlayHints") !== false,
    logLevel: (LEVELS as readonly string[]).includes(level) ? (level as ServerSettings["logLevel"]) : level === "trace" ? "debug" : "info",
  };
}

/** What the server receives as initializationOptions (the settings themselves, not nested). */
export function initializationOptions(get: Getter): ServerSettings {
  return serverSettings(get);
}

/** The params of workspace/didChangeConfiguration. */
export function didChangeConfigurationParams(get: Getter): { settings: { [SECTION]: ServerSettings } } {
  return { settings: { [SECTION]: serverSettings(get) } };
}

/** Which changed settings need what: a restart (server path) or a notification. */
export function changeEffect(affects: (key: string) => boolean): "restart" | "notify" | "none" {
  if (affects(`${SECTION}.server.path`)) return "restart";
  if (["cluster", "inlayHints", "logLevel"].some((k) => affects(`${SECTION}.${k}`))) return "notify";
  return "none";
}

/** The status bar text for a focus cluster and an indexing state. */
export function statusText(cluster: string, indexing: { percent?: number } | undefined): string {
  const focus = cluster ? `$(server-environment) ${cluster}` : "$(server-environment) all clusters";
  if (!indexing) return focus;
  const pct = indexing.percent === undefined ? "" : ` ${Math.round(indexing.percent)}%`;
  return `$(sync~spin) indexing${pct} · ${focus}`;
}

/** The work-done progress token under which the server reports indexing. */
export const INDEX_TOKEN = "gitops-lsp/index";

/** The indexing state for the status bar (`undefined`: not indexing). */
export type Indexing = { percent?: number } | undefined;

/** The indexing state after one work-done progress value (`begin`, `report`, `end`) of any
 * token: only the server's indexing token changes it (`end` ends it); otherwise `prev` itself. */
export function indexingAfter(token: string | number, value: { kind: string; percentage?: number }, prev: Indexing): Indexing {
  if (token !== INDEX_TOKEN) return prev;
  if (value.kind === "end") return undefined;
  return { percent: value.percentage ?? prev?.percent };
}
