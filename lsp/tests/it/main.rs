//! The integration tests of gitops-lsp: one test binary (linking the library and its
//! dependencies once, not once per file), one module per suite.
//!
//! Run one suite with `cargo test -p gitops-lsp --test it SUITE::` (e.g. `check_cli::`), one
//! test with its full path (`cargo test -p gitops-lsp --test it check_cli::json_output_snapshot`).
//! Suites that need an external tool (Neovim, Go, kubectl, Chromium, strace) say they skipped
//! when it is missing, unless CI's `GITOPS_LSP_REQUIRE_*` variables ask for it.
//!
//! Shared helpers: [`common`] (running the real binary, temporary repositories, the JSON-RPC
//! client over stdio), [`fixture`] (multi-file fixture strings with `$0` marks: the one
//! parser of every in-memory test) and [`ide`] (a fixture with one cursor, and how the editor
//! features are printed).
//! Data: `snapshots/` (insta's, named after the module), and beside this folder
//! `../proptest-regressions/` (proptest's saved failing cases, by module), `../nvim/` (Neovim
//! scripts), `../oracle/` (the Go substitution oracle), `../fuzz_regressions/` (crash inputs
//! replayed by `fuzz_regressions`).

mod common;
mod fixture;
mod ide;

mod bad_input;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod broken_pipe;
mod check_cli;
mod edit_storm;
mod fuzz_regressions;
mod graph;
mod hostile;
mod ide_complete;
mod ide_nav;
mod ide_outline;
mod incremental;
mod kustomize_oracle;
mod lsp_edit_property;
mod lsp_features;
mod lsp_session;
mod model_rules;
mod neovim;
mod network;
mod props;
mod readonly;
mod render_cli;
mod schema;
mod schema_folders;
mod schema_kinds;
mod secrets;
mod semantic;
mod semantic_lsp;
mod semantic_nvim;
mod subst_oracle;
