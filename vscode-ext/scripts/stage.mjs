// Copies into the extension folder what `vsce package` must ship from outside it:
// the grammar (../grammars) and, when built, the server for this platform
// (GITOPS_LSP_SERVER, else ../target/release/gitops-lsp) under server/<platform>-<arch>/.
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const ext = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repo = path.resolve(ext, "..");

fs.mkdirSync(path.join(ext, "grammars"), { recursive: true });
fs.copyFileSync(path.join(repo, "grammars/flux-substitution.tmLanguage.json"), path.join(ext, "grammars/flux-substitution.tmLanguage.json"));

const exe = process.platform === "win32" ? "gitops-lsp.exe" : "gitops-lsp";
const server = process.env.GITOPS_LSP_SERVER || path.join(repo, "target/release", exe);
const dest = path.join(ext, "server", `${process.platform}-${process.arch}`);
fs.rmSync(path.join(ext, "server"), { recursive: true, force: true });
if (fs.existsSync(server)) {
  fs.mkdirSync(dest, { recursive: true });
  fs.copyFileSync(server, path.join(dest, exe));
  fs.chmodSync(path.join(dest, exe), 0o755);
  console.log(`stage: bundled ${server} as server/${process.platform}-${process.arch}/${exe}`);
} else {
  console.log(`stage: no server at ${server}: the .vsix will use gitops-lsp.server.path or PATH`);
}
