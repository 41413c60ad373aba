// Finding the server binary: the `gitops-lsp.server.path` setting (with `~` expanded), else
// the binary bundled in the .vsix under server/<platform>-<arch>/, else `gitops-lsp` on PATH.
// Pure helpers (no `vscode` import) so that node's test runner can exercise them.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFile } from "node:child_process";

export const BINARY = "gitops-lsp";

export type Source = "setting" | "bundled" | "path";

export interface Candidate {
  /** What to run: an absolute path, or the bare name to look up on PATH. */
  command: string;
  source: Source;
}

export interface Env {
  platform: NodeJS.Platform;
  arch: string;
  home: string;
  /** The PATH variable. */
  pathVar: string;
  exists(p: string): boolean;
}

export function realEnv(): Env {
  return {
    platform: process.platform,
    arch: process.arch,
    home: os.homedir(),
    pathVar: process.env.PATH ?? "",
    exists: (p) => {
      try {
        return fs.statSync(p).isFile();
      } catch {
        return false;
      }
    },
  };
}

/** `~` and `~/x` become the home folder; anything else is returned as is. */
export function expandHome(p: string, home: string): string {
  if (p === "~") return home;
  if (p.startsWith("~/") || p.startsWith("~\\")) return path.join(home, p.slice(2));
  return p;
}

export function exeName(platform: NodeJS.Platform): string {
  return platform === "win32" ? `${BINARY}.exe` : BINARY;
}

/** The folder of the bundled binary inside the extension, e.g. `server/linux-x64`. */
export function bundledRelPath(platform: NodeJS.Platform, arch: string): string {
  return path.posix.join("server", `${platform}-${arch}`, exeName(platform));
}

/** The binary on PATH, as an absolute path, or undefined. */
export function findOnPath(env: Env): string | undefined {
  const sep = env.platform === "win32" ? ";" : ":";
  for (const dir of env.pathVar.split(sep)) {
    if (!dir) continue;
    const p = path.join(dir, exeName(env.platform));
    if (env.exists(p)) return p;
  }
  return undefined;
}

/**
 * The server to run. A setting always wins (even when the file is missing: the version check
 * then says so, rather than silently running another binary).
 */
export function resolveServer(settingPath: string | null | undefined, extensionDir: string, env: Env): Candidate | undefined {
  const configured = (settingPath ?? "").trim();
  if (configured) {
    let p = expandHome(configured, env.home);
    if (!path.isAbsolute(p) && (p.includes("/") || p.includes("\\"))) p = path.resolve(p);
    return { command: p, source: "setting" };
  }
  const bundled = path.join(extensionDir, bundledRelPath(env.platform, env.arch));
  if (env.exists(bundled)) return { command: bundled, source: "bundled" };
  const onPath = findOnPath(env);
  if (onPath) return { command: onPath, source: "path" };
  return undefined;
}

/** Runs `<command> --version`; resolves to its first line (e.g. `gitops-lsp 0.1.0`). */
export function checkVersion(command: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, ["--version"], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${err.message}${stderr ? `: ${stderr.trim()}` : ""}`));
        return;
      }
      const line = stdout.trim().split(/\r?\n/)[0] ?? "";
      if (!line.startsWith(BINARY)) {
        reject(new Error(`\`${command} --version\` printed "${line}", not "${BINARY} <version>"`));
        return;
      }
      resolve(line);
    });
  });
}

/** The message shown when no usable server is found: what happened and how to fix it. */
export function notFoundMessage(candidate: Candidate | undefined, error: string | undefined, platform: string, arch: string): string {
  const install = "Install it with `cargo install --path lsp` (from a clone of gitops-lsp) or set `gitops-lsp.server.path` to the binary.";
  if (!candidate) {
    return `gitops-lsp: the language server was not found: no \`gitops-lsp.server.path\` setting, no binary bundled for ${platform}-${arch} in this extension, and no \`gitops-lsp\` on PATH. ${install}`;
  }
  const where =
    candidate.source === "setting"
      ? `the \`gitops-lsp.server.path\` setting (${candidate.command})`
      : candidate.source === "bundled"
        ? `the bundled server (${candidate.command})`
        : `\`gitops-lsp\` on PATH (${candidate.command})`;
  const fix = candidate.source === "setting" ? "Fix or clear the setting." : install;
  return `gitops-lsp: ${where} does not run: ${error ?? "unknown error"}. ${fix}`;
}
