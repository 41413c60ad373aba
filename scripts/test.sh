#!/usr/bin/env bash
# The project's one test command (README: "Run the tests"). Runs every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
