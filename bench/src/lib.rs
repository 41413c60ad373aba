//! Benchmarks for gitops-lsp: a generator of realistic multi-cluster Flux + Kustomize
//! repositories (`gen`), and helpers shared by the `gen-repo` and `bench` binaries.
//! See BENCHMARKS.md at the repository root for what is measured and how.

pub mod gen;
pub mod machine;
