//! YAML text -> positional documents, through tree-sitter-yaml.
//!
//! Owns: parsing one file (incrementally when the caller keeps the previous tree), turning
//! the concrete syntax tree into small `Node` trees with byte ranges for every key and scalar,
//! decoding scalar values and resolving their YAML 1.1 type the way Kubernetes' YAML reader
//! (go-yaml v2) does, expanding aliases within a budget, and reporting syntax problems
//! (errors, duplicate keys, runaway nesting, the parser's own nesting limit); in a file with
//! a syntax error each document is read on its own, so one broken document does not hide the
//! next. Knows nothing about Kubernetes.
//!
//! - `mod.rs`: the data (`Node`, `Document`, `SyntaxProblem`) and the entry points;
//! - `syntax.rs`: tree-sitter (the grammar with its scanner's limits made safe by `guard.c`,
//!   parsers, incremental and ranged parses, documents, syntax errors);
//! - `convert.rs`: tree-sitter nodes -> `Node`s (anchors, aliases, merge and duplicate keys);
//! - `scalar.rs`: scalar decoding and YAML 1.1 types.

mod convert;
mod scalar;
mod syntax;

pub use scalar::resolve_plain;
pub use syntax::{convert, parse, parse_embedded, parse_tree, SyntaxTree, MAX_FLOW_LEVELS, PARSER_MAX_LEVELS};

use crate::files::TextRange;

/// Mappings and sequences nested deeper than this are not converted (reported once instead).
pub const MAX_DEPTH: usize = 100;
/// Nodes that alias expansion may add to one document (an "alias bomb" stops here).
pub const ALIAS_BUDGET: usize = 20_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Source range of the node's text (for a scalar: including quotes or block header).
    pub range: TextRange,
    /// Which file the node's range refers to, as an index into a table held by the owner
    /// (0 = the file the document came from; patches merged in from elsewhere use others).
    pub src: u16,
    pub kind: NodeKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Map(Vec<(Node, Node)>),
    Seq(Vec<Node>),
    Scalar(Scalar),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    /// The decoded value (quotes removed, escapes applied, block scalars unindented).
    pub value: String,
    pub style: ScalarStyle,
    pub ty: ScalarType,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
    /// No text at all (`key:` with nothing after it).
    Empty,
}

/// The type YAML resolves a scalar to (YAML 1.1 rules, as Kubernetes reads manifests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarType {
    Str,
    Int,
    Float,
    Bool,
    Null,
}

impl ScalarType {
    pub fn name(self) -> &'static str {
        match self {
            ScalarType::Str => "string",
            ScalarType::Int => "integer",
            ScalarType::Float => "number",
            ScalarType::Bool => "boolean",
            ScalarType::Null => "null",
        }
    }
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(s) if s.ty != ScalarType::Null || s.style != ScalarStyle::Empty => Some(&s.value),
            _ => None,
        }
    }
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(s) => Some(s),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar(s) if s.ty == ScalarType::Null)
    }
    /// The value under `key` in a mapping (the last one if a key is repeated).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().rev().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v)
    }
    /// The key node of `key` in a mapping.
    pub fn key_node(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().rev().find(|(k, _)| k.as_str() == Some(key)).map(|(k, _)| k)
    }
    /// Follows a path of keys.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |n, k| n.get(k))
    }
    /// A string at a path, if it is a non-null scalar.
    pub fn str_at(&self, path: &[&str]) -> Option<&str> {
        self.at(path)?.as_str()
    }
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match &mut self.kind {
            NodeKind::Map(m) => m.iter_mut().rev().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v),
            _ => None,
        }
    }
    /// Visits every scalar (keys and values), depth first, in source order.
    pub fn for_each_scalar<'a>(&'a self, f: &mut dyn FnMut(&'a Node, &'a Scalar, bool)) {
        match &self.kind {
            NodeKind::Scalar(s) => f(self, s, false),
            NodeKind::Seq(items) => items.iter().for_each(|n| n.for_each_scalar(f)),
            NodeKind::Map(entries) => {
                for (k, v) in entries {
                    if let NodeKind::Scalar(s) = &k.kind {
                        f(k, s, true);
                    }
                    v.for_each_scalar(f);
                }
            }
        }
    }
    /// Sets `src` on this node and every node below it.
    pub fn set_src(&mut self, src: u16) {
        self.src = src;
        match &mut self.kind {
            NodeKind::Scalar(_) => {}
            NodeKind::Seq(items) => items.iter_mut().for_each(|n| n.set_src(src)),
            NodeKind::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
                k.set_src(src);
                v.set_src(src);
            }),
        }
    }
    pub fn null_at(at: usize) -> Node {
        Node {
            range: at..at,
            src: 0,
            kind: NodeKind::Scalar(Scalar { value: String::new(), style: ScalarStyle::Empty, ty: ScalarType::Null }),
        }
    }
}

/// One YAML document of a file.
#[derive(Clone, Debug)]
pub struct Document {
    pub range: TextRange,
    /// `None` for an empty document (only comments or nothing).
    pub root: Option<Node>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyntaxProblemKind {
    /// The parser could not read this part.
    Error,
    /// A key repeats in one mapping; `first` is the earlier key's range.
    DuplicateKey { key: String, first: TextRange },
    /// Mappings and sequences nested deeper than `MAX_DEPTH`; below it nothing is analysed.
    TooDeep,
    /// A token that would open more than [`PARSER_MAX_LEVELS`] block levels at once, which
    /// the parser refuses (it would abort the process): the range is that token's line. The
    /// document is read up to that line, as if it ended there.
    ParserLimit,
    /// Flow collections nested deeper than [`MAX_FLOW_LEVELS`]: the range is the line of the
    /// bracket that goes deeper; the file is read up to that line, as if it ended there.
    FlowLimit,
    /// An alias to an anchor that is not defined above it.
    UnknownAlias(String),
    /// Alias expansion hit `ALIAS_BUDGET`.
    AliasBudget,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxProblem {
    pub range: TextRange,
    pub kind: SyntaxProblemKind,
}

#[derive(Clone, Debug, Default)]
pub struct ParsedYaml {
    pub documents: Vec<Document>,
    pub problems: Vec<SyntaxProblem>,
}

#[cfg(test)]
mod tests;
