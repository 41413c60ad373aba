//! gitops-lsp: the analysis core of a language server and CI checker for Flux + Kustomize
//! GitOps repositories. See ARCHITECTURE in README.md for the pipeline and its invariants.

pub mod analysis;
pub mod cli;
pub mod config;
pub mod diagnostics;
pub mod files;
pub mod host;
pub mod ide;
pub mod model;
pub mod network;
pub mod patch;
pub mod project;
pub mod schema;
pub mod server;
pub mod snapshot;
pub mod subst;
pub mod workspace;
pub mod yaml;
