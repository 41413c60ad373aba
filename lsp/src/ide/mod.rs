//! Editor features as plain data: hover, definition, references, rename, completion,
//! symbols, links, inlay hints, code lenses, render. Each is a pure function of an
//! `Analysis` and a file position (byte offsets); none knows LSP. The server converts.
//!
//! Sub-modules (each owned by one feature group):
//! - `locate`: what is at an offset (a `${VAR}`, a dependsOn name, a path entry, a ref…);
//! - `nav`: hover, definition, references, rename;
//! - `complete`: completion;
//! - `outline`: document/workspace symbols, document links, inlay hints, code lenses;
//! - `render`: a file as one cluster's Flux would apply it;
//! - `network`: hover and completion on addresses (pools, requested IPs).
//! - `graph`: the Flux Kustomization dependency graph of a cluster;
//! - `semantic`: semantic tokens for `${VAR}` (defined, undefined, from a Secret…).

pub mod complete;
pub mod graph;
pub mod locate;
pub mod nav;
pub mod network;
pub mod outline;
pub mod render;
pub mod semantic;

use crate::files::{RelPath, TextRange};

/// A place the editor can show or jump to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NavTarget {
    pub file: RelPath,
    /// The whole thing (e.g. the object, the key and value).
    pub range: TextRange,
    /// What to select/highlight inside `range` (e.g. the name).
    pub focus: TextRange,
    /// Why this target (e.g. "cluster infra"), for editors that show a list.
    pub label: Option<String>,
}

/// Markdown to show for a range of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    pub range: TextRange,
    pub markdown: String,
}

/// One edit of a workspace edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub file: RelPath,
    pub range: TextRange,
    pub new_text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    Variable,
    Reference,
    Folder,
    File,
    Field,
    Value,
    Keyword,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    /// One line (e.g. "infra: 10.25.11.100 · apps: 10.25.11.120").
    pub detail: Option<String>,
    /// Markdown.
    pub documentation: Option<String>,
    /// The text that replaces `replace`; `label` when `None`.
    pub insert_text: Option<String>,
    /// The range the item replaces (the partial word at the cursor).
    pub replace: TextRange,
    /// Sort key; items sort by it, then by label.
    pub sort: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Object,
    Key,
    Variable,
    Kustomization,
    HelmRelease,
    Source,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    pub file: RelPath,
    pub range: TextRange,
    pub focus: TextRange,
    pub children: Vec<Symbol>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentLink {
    pub range: TextRange,
    /// A file (a folder links to its kustomization file when it has one).
    pub target: RelPath,
    pub tooltip: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlayHint {
    /// Where the hint is shown (after the `${...}`).
    pub offset: usize,
    pub label: String,
    pub tooltip: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeLens {
    pub range: TextRange,
    pub title: String,
}
