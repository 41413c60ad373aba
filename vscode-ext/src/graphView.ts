// The dependency graph webview: media/graph.html + media/graph.js (offline, no CDN). The page
// draws the Graph JSON of the server's `gitops-lsp/graph` request; a click on a node posts
// {type: "open", file, line} back, and the extension opens the file at that line.
import * as vscode from "vscode";
import { openTarget, webviewHtml } from "./graphModel";

export interface GraphSource {
  fetch(cluster: string): Promise<unknown>;
  clusters(): Promise<string[]>;
}

export class GraphView {
  private panel: vscode.WebviewPanel | undefined;
  private cluster = "";

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly source: GraphSource,
  ) {}

  async show(cluster: string): Promise<void> {
    this.cluster = cluster;
    if (!this.panel) {
      const media = vscode.Uri.joinPath(this.extensionUri, "media");
      this.panel = vscode.window.createWebviewPanel("gitops-lsp.graph", "Flux dependencies", vscode.ViewColumn.Active, {
        enableScripts: true,
        localResourceRoots: [media],
        retainContextWhenHidden: true,
      });
      const html = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(media, "graph.html")));
      const webview = this.panel.webview;
      webview.html = webviewHtml(html, {
        cspSource: webview.cspSource,
        nonce: nonce(),
        scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "graph.js")).toString(),
      });
      webview.onDidReceiveMessage((m) => void this.onMessage(m));
      this.panel.onDidDispose(() => (this.panel = undefined));
      return; // the page asks for the graph with {type: "ready"}
    }
    this.panel.reveal();
    await this.post();
  }

  private async post(): Promise<void> {
    if (!this.panel) return;
    this.panel.title = `Flux dependencies: ${this.cluster}`;
    try {
      const [graph, clusters] = await Promise.all([this.source.fetch(this.cluster), this.source.clusters()]);
      await this.panel.webview.postMessage({ type: "graph", graph, clusters });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      await this.panel.webview.postMessage({ type: "error", message: `Cannot get the graph of cluster ${this.cluster}: ${msg}` });
    }
  }

  private async onMessage(m: unknown): Promise<void> {
    const msg = m as { type?: string; cluster?: string };
    if (msg.type === "ready") return this.post();
    if (msg.type === "cluster" && typeof msg.cluster === "string") {
      this.cluster = msg.cluster;
      return this.post();
    }
    const target = openTarget(m);
    if (!target) return;
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return;
    const uri = vscode.Uri.joinPath(folder.uri, target.file);
    const pos = new vscode.Position(target.line, 0);
    await vscode.window.showTextDocument(uri, { selection: new vscode.Range(pos, pos), viewColumn: vscode.ViewColumn.One });
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

function nonce(): string {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let s = "";
  for (let i = 0; i < 32; i++) s += chars[Math.floor(Math.random() * chars.length)];
  return s;
}
