// The VS Code face of gitops-lsp: starts the server (found by ./discovery), maps settings
// (./settings), and adds the commands, the status bar item, the rendered-manifest documents and
// the dependency graph view (./graphView). All analysis happens in the server.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
} from "vscode-languageclient/node";
import { checkVersion, notFoundMessage, realEnv, resolveServer } from "./discovery";
import { changeEffect, didChangeConfigurationParams, indexingAfter, initializationOptions, SECTION, statusText } from "./settings";
import { parseRenderQuery, RENDER_SCHEME, renderUri } from "./render";
import { GraphView } from "./graphView";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let traceOutput: vscode.OutputChannel;
let status: vscode.StatusBarItem;
let indexing: { percent?: number } | undefined;
let graphView: GraphView | undefined;

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

function getter<T>(key: string): T | undefined {
  return config().get<T>(key);
}

function updateStatus(): void {
  const cluster = getter<string | null>("cluster") ?? "";
  status.text = statusText(cluster, indexing);
  status.tooltip = client?.state === State.Running ? "gitops-lsp: focus cluster (click to switch)" : "gitops-lsp: server not running (click to pick a cluster once it runs)";
  status.show();
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const candidate = resolveServer(getter<string | null>("server.path"), context.extensionPath, realEnv());
  let version: string | undefined;
  let error: string | undefined;
  if (candidate) {
    try {
      version = await checkVersion(candidate.command);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
  }
  if (!candidate || !version) {
    const msg = notFoundMessage(candidate, error, process.platform, process.arch);
    output.appendLine(msg);
    void vscode.window.showErrorMessage(msg, "Open Settings").then((pick) => {
      if (pick) void vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.server.path`);
    });
    return;
  }
  output.appendLine(`Using ${version} from ${candidate.command} (${candidate.source})`);
  const serverOptions: ServerOptions = { command: candidate.command, args: ["serve"] };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "yaml" }],
    initializationOptions: initializationOptions(getter),
    outputChannel: output,
    traceOutputChannel: traceOutput,
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/{*.yaml,*.yml,.gitops-lsp.toml,.gitignore}"),
    },
    // The server reports indexing under one token; show it in the status bar. The client's own
    // progress feature answers window/workDoneProgress/create (it is in place before the server
    // can send it) and passes every report of every token through this middleware, so no report
    // is missed however early indexing starts or ends.
    middleware: {
      handleWorkDoneProgress: (token, value, next) => {
        const after = indexingAfter(token, value, indexing);
        if (after !== indexing) {
          indexing = after;
          updateStatus();
        }
        next(token, value);
      },
    },
  };
  client = new LanguageClient(SECTION, "GitOps LSP", serverOptions, clientOptions);
  client.onDidChangeState(() => updateStatus());
  indexing = {};
  updateStatus();
  await client.start();
  // A server that reports no progress: stop showing "indexing" after a while.
  setTimeout(() => {
    if (indexing && indexing.percent === undefined) {
      indexing = undefined;
      updateStatus();
    }
  }, 5000);
}

async function stopClient(): Promise<void> {
  const c = client;
  client = undefined;
  indexing = undefined;
  if (c) await c.stop().catch(() => undefined);
}

async function runningClient(): Promise<LanguageClient> {
  if (!client || client.state !== State.Running) throw new Error("the gitops-lsp server is not running (see Output > GitOps LSP)");
  return client;
}

async function clusters(): Promise<string[]> {
  const c = await runningClient();
  const r = await c.sendRequest<unknown>("workspace/executeCommand", { command: "gitops-lsp.clusters", arguments: [] });
  return Array.isArray(r) ? r.map(String) : [];
}

async function askCluster(placeHolder: string, preferFocus: boolean): Promise<string | undefined> {
  const focus = getter<string | null>("cluster") ?? "";
  const names = await clusters();
  if (preferFocus && focus && names.includes(focus)) return focus;
  if (names.length === 1 && preferFocus) return names[0];
  return vscode.window.showQuickPick(names, { placeHolder });
}

class RenderedProvider implements vscode.TextDocumentContentProvider {
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const q = parseRenderQuery(uri.query);
    if (!q) return "# gitops-lsp: malformed rendered-manifest URI";
    try {
      const c = await runningClient();
      const text = await c.sendRequest<unknown>("workspace/executeCommand", { command: "gitops-lsp.render", arguments: [q.uri, q.cluster] });
      return typeof text === "string" ? text : JSON.stringify(text, null, 2);
    } catch (e) {
      return `# gitops-lsp: cannot render ${q.uri} for cluster ${q.cluster}: ${e instanceof Error ? e.message : String(e)}\n`;
    }
  }
}

function guard(f: () => Promise<unknown>): () => Promise<void> {
  return async () => {
    try {
      await f();
    } catch (e) {
      void vscode.window.showErrorMessage(`gitops-lsp: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("GitOps LSP");
  traceOutput = vscode.window.createOutputChannel("GitOps LSP Trace");
  status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
  status.command = "gitops-lsp.pickCluster";
  context.subscriptions.push(output, traceOutput, status);
  graphView = new GraphView(context.extensionUri, {
    fetch: async (cluster) => (await runningClient()).sendRequest("gitops-lsp/graph", { cluster }),
    clusters,
  });
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(RENDER_SCHEME, new RenderedProvider()),
    vscode.commands.registerCommand(
      "gitops-lsp.restartServer",
      guard(async () => {
        await stopClient();
        await startClient(context);
      }),
    ),
    vscode.commands.registerCommand(
      "gitops-lsp.pickCluster",
      guard(async () => {
        const names = await clusters();
        const all = "$(list-flat) all clusters";
        const pick = await vscode.window.showQuickPick([all, ...names], { placeHolder: "Focus cluster for inlay hints and code lenses" });
        if (pick === undefined) return;
        await config().update("cluster", pick === all ? null : pick, vscode.ConfigurationTarget.Workspace);
      }),
    ),
    vscode.commands.registerCommand(
      "gitops-lsp.showRendered",
      guard(async () => {
        const editor = vscode.window.activeTextEditor;
        if (!editor || editor.document.uri.scheme !== "file") throw new Error("open a YAML file of the repository first");
        const cluster = await askCluster("Render for which cluster?", false);
        if (!cluster) return;
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(renderUri(editor.document.uri.toString(), cluster)));
        await vscode.languages.setTextDocumentLanguage(doc, "yaml");
        await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true });
      }),
    ),
    vscode.commands.registerCommand(
      "gitops-lsp.showGraph",
      guard(async () => {
        const cluster = await askCluster("Dependency graph of which cluster?", true);
        if (cluster) await graphView?.show(cluster);
      }),
    ),
    vscode.commands.registerCommand(
      "gitops-lsp.checkWorkspace",
      guard(async () => {
        await runningClient();
        // The server publishes every file's diagnostics after indexing; show them.
        await vscode.commands.executeCommand("workbench.actions.view.problems");
      }),
    ),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      const effect = changeEffect((k) => e.affectsConfiguration(k));
      if (effect === "restart") {
        await stopClient();
        await startClient(context);
      } else if (effect === "notify" && client?.state === State.Running) {
        await client.sendNotification("workspace/didChangeConfiguration", didChangeConfigurationParams(getter));
      }
      updateStatus();
    }),
  );
  updateStatus();
  await startClient(context);
}

export async function deactivate(): Promise<void> {
  graphView?.dispose();
  await stopClient();
}
