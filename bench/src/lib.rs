//! Benchmarks for gitops-lsp: a generator of realistic multi-cluster Flux + Kustomize
//! repositories (`gen`), helpers shared by the `gen-repo` and `bench` binaries, and the small
//! LSP client of `lsp-bench` and `peer-bench` (`lsp_client`, over the JSON-RPC transport of
//! the `gitops-lsp-test-support` crate, which the integration tests share).
//! See BENCHMARKS.md at the repository root for what is measured and how.

pub mod gen;
pub mod lsp_client;
pub mod machine;
