#!/usr/bin/env bash
# The VS Code extension's CI: install, type-check, build, test (incl. headless Chromium and the
# .vsix contents), package. Needs Node.js >= 20 and npm; Debian package `chromium` for the
# graph page test (skipped without it unless GITOPS_LSP_REQUIRE_CHROMIUM=1, as .ci/run sets).
# Build the server first (cargo build --release) to bundle it into the .vsix.
set -euo pipefail
cd "$(dirname "$0")/.."
export GITOPS_LSP_REQUIRE_CHROMIUM="${GITOPS_LSP_REQUIRE_CHROMIUM:-0}"
npm ci --no-audit --no-fund
npm run typecheck
npm test
ls -l gitops-lsp.vsix
