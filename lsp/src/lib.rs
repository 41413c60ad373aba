//! gitops-lsp: the analysis core of a language server and CI checker for Flux + Kustomize
//! GitOps repositories. See ARCHITECTURE in README.md for the pipeline and its invariants.

pub mod files;
pub mod subst;
pub mod yaml;
pub mod config;
pub mod diagnostics;
pub mod model;
pub mod patch;
pub mod project;
pub mod snapshot;
pub mod analysis;
pub mod network;
pub mod cli;
pub mod workspace;
pub mod ide;
pub mod schema;
pub mod host;
pub mod server;
