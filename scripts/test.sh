#!/usr/bin/env bash
# The project's one test command (README: "Run the tests"). Runs every suite:
# the Rust workspace (unit, CLI, language server over stdio, headless Neovim, oracles), then
# the VS Code extension (node tests, grammar, headless Chromium, .vsix packaging) with the
# release server bundled.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
cargo build --release --locked -p gitops-lsp
bash vscode-ext/scripts/ci.sh
