//! YAML text -> positional documents, through tree-sitter-yaml.
//!
//! Owns: parsing one file (incrementally when the caller keeps the previous tree), turning
//! the concrete syntax tree into small `Node` trees with byte ranges for every key and scalar,
//! decoding scalar values and resolving their YAML 1.1 type the way Kubernetes' YAML reader
//! (go-yaml v2) does, expanding aliases within a budget, and reporting syntax problems
//! (errors, duplicate keys, runaway nesting); in a file with a syntax error each document is
//! read on its own, so one broken document does not hide the next. Knows nothing about
//! Kubernetes.

use crate::files::TextRange;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use tree_sitter::{Node as TsNode, Parser, Tree};

/// Nesting deeper than this is not converted (it is reported once instead).
pub const MAX_DEPTH: usize = 200;
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
    /// Nesting deeper than `MAX_DEPTH`; below it nothing is analysed.
    TooDeep,
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

struct Kinds {
    document: u16,
    block_mapping: u16,
    block_mapping_pair: u16,
    flow_mapping: u16,
    flow_pair: u16,
    block_sequence: u16,
    block_sequence_item: u16,
    flow_sequence: u16,
    block_node: u16,
    flow_node: u16,
    plain_scalar: u16,
    single_quote_scalar: u16,
    double_quote_scalar: u16,
    block_scalar: u16,
    alias: u16,
    anchor: u16,
    tag: u16,
    comment: u16,
}

fn language() -> tree_sitter::Language {
    tree_sitter_yaml::LANGUAGE.into()
}

fn kinds() -> &'static Kinds {
    static K: OnceLock<Kinds> = OnceLock::new();
    K.get_or_init(|| {
        let l = language();
        let id = |n: &str| l.id_for_node_kind(n, true);
        Kinds {
            document: id("document"),
            block_mapping: id("block_mapping"),
            block_mapping_pair: id("block_mapping_pair"),
            flow_mapping: id("flow_mapping"),
            flow_pair: id("flow_pair"),
            block_sequence: id("block_sequence"),
            block_sequence_item: id("block_sequence_item"),
            flow_sequence: id("flow_sequence"),
            block_node: id("block_node"),
            flow_node: id("flow_node"),
            plain_scalar: id("plain_scalar"),
            single_quote_scalar: id("single_quote_scalar"),
            double_quote_scalar: id("double_quote_scalar"),
            block_scalar: id("block_scalar"),
            alias: id("alias"),
            anchor: id("anchor"),
            tag: id("tag"),
            comment: id("comment"),
        }
    })
}

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut p = Parser::new();
        p.set_language(&language()).expect("tree-sitter-yaml matches the tree-sitter ABI");
        p
    });
}

/// Parses `text` with tree-sitter; `old` is the previous tree of the same document, already
/// `edit`ed by the caller, for an incremental re-parse.
pub fn parse_tree(text: &str, old: Option<&Tree>) -> Option<Tree> {
    PARSER.with(|p| {
        let mut p = p.borrow_mut();
        p.set_included_ranges(&[]).ok();
        p.parse(text, old)
    })
}

/// Parses only `range` of `text` (used for YAML held inside a block scalar, such as a
/// kustomize patch), keeping positions in `text`'s coordinates.
pub fn parse_embedded(text: &str, range: TextRange) -> ParsedYaml {
    parse_range(text, range.clone(), point_of(text, range.start), point_of(text, range.end))
}

/// `parse_embedded` with the points of the range's ends already known.
fn parse_range(text: &str, range: TextRange, start: tree_sitter::Point, end: tree_sitter::Point) -> ParsedYaml {
    let tree = PARSER.with(|p| {
        let mut p = p.borrow_mut();
        let r = tree_sitter::Range { start_byte: range.start, end_byte: range.end, start_point: start, end_point: end };
        if p.set_included_ranges(&[r]).is_err() {
            return None;
        }
        let t = p.parse(text, None);
        p.set_included_ranges(&[]).ok();
        t
    });
    match tree {
        Some(t) => convert_tree(text, &t),
        None => ParsedYaml::default(),
    }
}

/// Start offsets and rows of the lines that are document markers (`---` alone or followed by
/// a space). A `---` line at column 0 always ends the document before it, even inside a
/// block scalar.
fn document_starts(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    for (row, line) in text.split_inclusive('\n').enumerate() {
        let l = line.trim_end_matches(['\n', '\r']);
        if l == "---" || l.starts_with("--- ") || l.starts_with("---\t") {
            out.push((at, row));
        }
        at += line.len();
    }
    out
}

fn point_of(text: &str, offset: usize) -> tree_sitter::Point {
    let before = &text.as_bytes()[..offset];
    let row = memchr::memchr_iter(b'\n', before).count();
    let col = offset - before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    tree_sitter::Point { row, column: col }
}

/// Parses a whole file.
pub fn parse(text: &str) -> ParsedYaml {
    match parse_tree(text, None) {
        Some(tree) => convert(text, &tree),
        None => ParsedYaml {
            documents: Vec::new(),
            problems: vec![SyntaxProblem { range: 0..0, kind: SyntaxProblemKind::Error }],
        },
    }
}

/// Converts a tree-sitter tree of `text` into documents. When the tree has a syntax error
/// and the file holds several documents, each document is parsed again on its own, so that
/// one broken document does not hide the others (tree-sitter's error recovery often swallows
/// everything after the error).
pub fn convert(text: &str, tree: &Tree) -> ParsedYaml {
    if tree.root_node().has_error() {
        let mut starts = document_starts(text);
        if !starts.is_empty() {
            if starts[0].0 != 0 {
                starts.insert(0, (0, 0));
            }
            let text_end = point_of(text, text.len());
            let mut out = ParsedYaml::default();
            for (i, &(start, row)) in starts.iter().enumerate() {
                let (end, end_point) = match starts.get(i + 1) {
                    Some(&(e, r)) => (e, tree_sitter::Point { row: r, column: 0 }),
                    None => (text.len(), text_end),
                };
                let part = parse_range(text, start..end, tree_sitter::Point { row, column: 0 }, end_point);
                out.problems.extend(part.problems);
                out.documents
                    .extend(part.documents.into_iter().filter(|d| d.root.is_some() || d.range.start < d.range.end));
            }
            if out.documents.is_empty() {
                out.documents.push(Document { range: 0..text.len(), root: None });
            }
            return out;
        }
    }
    convert_tree(text, tree)
}

fn convert_tree(text: &str, tree: &Tree) -> ParsedYaml {
    let k = kinds();
    let mut out = ParsedYaml::default();
    let root = tree.root_node();
    if root.has_error() {
        collect_errors(root, &mut out.problems);
    }
    let mut cursor = root.walk();
    let docs: Vec<TsNode> = if root.kind_id() == k.document {
        vec![root]
    } else {
        root.named_children(&mut cursor).filter(|n| n.kind_id() == k.document).collect()
    };
    for doc in docs {
        let mut conv = Converter {
            text,
            problems: &mut out.problems,
            anchors: HashMap::new(),
            alias_budget: ALIAS_BUDGET,
            too_deep_reported: false,
        };
        let mut c = doc.walk();
        let body = doc.named_children(&mut c).find(|n| n.kind_id() == k.block_node || n.kind_id() == k.flow_node);
        let root = body.and_then(|b| conv.node(b, 0));
        out.documents.push(Document { range: doc.byte_range(), root });
    }
    if out.documents.is_empty() {
        out.documents.push(Document { range: 0..text.len(), root: None });
    }
    out
}

fn collect_errors(node: TsNode, out: &mut Vec<SyntaxProblem>) {
    // Iterative: hostile files nest deeply.
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if out.len() >= 20 {
            return;
        }
        if n.is_error() || n.is_missing() {
            let mut r = n.byte_range();
            if n.is_missing() && r.is_empty() {
                r = r.start..r.start;
            }
            out.push(SyntaxProblem { range: r, kind: SyntaxProblemKind::Error });
            continue;
        }
        if n.has_error() {
            let mut c = n.walk();
            let children: Vec<_> = n.children(&mut c).collect();
            stack.extend(children.into_iter().rev());
        }
    }
}

struct Converter<'a> {
    text: &'a str,
    problems: &'a mut Vec<SyntaxProblem>,
    anchors: HashMap<String, Node>,
    alias_budget: usize,
    too_deep_reported: bool,
}

impl Converter<'_> {
    fn node(&mut self, n: TsNode, depth: usize) -> Option<Node> {
        let k = kinds();
        if depth > MAX_DEPTH {
            if !self.too_deep_reported {
                self.too_deep_reported = true;
                self.problems
                    .push(SyntaxProblem { range: n.start_byte()..n.start_byte(), kind: SyntaxProblemKind::TooDeep });
            }
            return None;
        }
        let id = n.kind_id();
        if id == k.block_node || id == k.flow_node {
            let mut anchor: Option<String> = None;
            let mut tag: Option<&str> = None;
            let mut body = None;
            let mut c = n.walk();
            for ch in n.named_children(&mut c) {
                let cid = ch.kind_id();
                if cid == k.anchor {
                    anchor = Some(self.text[ch.byte_range()].trim_start_matches('&').to_string());
                } else if cid == k.tag {
                    tag = Some(&self.text[ch.byte_range()]);
                } else if cid != k.comment {
                    body = Some(ch);
                }
            }
            let mut node = match body {
                Some(b) => self.node(b, depth + 1)?,
                None => Node::null_at(n.end_byte()),
            };
            if let (Some(tag), NodeKind::Scalar(s)) = (tag, &mut node.kind) {
                s.ty = match tag {
                    "!!str" | "!str" | "tag:yaml.org,2002:str" => ScalarType::Str,
                    "!!int" => ScalarType::Int,
                    "!!float" => ScalarType::Float,
                    "!!bool" => ScalarType::Bool,
                    "!!null" => ScalarType::Null,
                    _ => s.ty,
                };
            }
            if let Some(a) = anchor {
                // A later anchor of the same name replaces the earlier one (legal YAML).
                self.anchors.insert(a, node.clone());
            }
            return Some(node);
        }
        if id == k.block_mapping || id == k.flow_mapping {
            let mut entries: Vec<(Node, Node)> = Vec::new();
            let mut seen: HashMap<String, TextRange> = HashMap::new();
            let mut c = n.walk();
            for pair in n.named_children(&mut c) {
                let pid = pair.kind_id();
                if pid != k.block_mapping_pair && pid != k.flow_pair {
                    if pid == k.flow_node {
                        // `{a}` - a key without value.
                        if let Some(key) = self.node(pair, depth + 1) {
                            let at = key.range.end;
                            entries.push((key, Node::null_at(at)));
                        }
                    }
                    continue;
                }
                let key = match pair.child_by_field_name("key") {
                    Some(kn) => match self.node(kn, depth + 1) {
                        Some(kn) => kn,
                        None => continue,
                    },
                    None => Node::null_at(pair.start_byte()),
                };
                let value = match pair.child_by_field_name("value") {
                    Some(vn) => self.node(vn, depth + 1).unwrap_or_else(|| Node::null_at(vn.start_byte())),
                    None => Node::null_at(key.range.end + 1.min(self.text.len() - key.range.end)),
                };
                // `<<: *base` merge keys: splice the aliased mapping's entries in.
                if key.as_str() == Some("<<") && key.as_scalar().is_some_and(|s| s.style == ScalarStyle::Plain) {
                    let merged: Vec<(Node, Node)> = match &value.kind {
                        NodeKind::Map(m) => m.clone(),
                        NodeKind::Seq(items) => {
                            items.iter().filter_map(|i| i.as_map()).flat_map(|m| m.iter().cloned()).collect()
                        }
                        _ => Vec::new(),
                    };
                    for (mk, mv) in merged {
                        if let Some(name) = mk.as_str() {
                            if seen.contains_key(name) {
                                continue;
                            }
                        }
                        entries.push((mk, mv));
                    }
                    continue;
                }
                if let Some(name) = key.as_str() {
                    if let Some(first) = seen.get(name) {
                        self.problems.push(SyntaxProblem {
                            range: key.range.clone(),
                            kind: SyntaxProblemKind::DuplicateKey { key: name.to_string(), first: first.clone() },
                        });
                    } else {
                        seen.insert(name.to_string(), key.range.clone());
                    }
                }
                entries.push((key, value));
            }
            return Some(Node { range: n.byte_range(), src: 0, kind: NodeKind::Map(entries) });
        }
        if id == k.block_sequence || id == k.flow_sequence {
            let mut items = Vec::new();
            let mut c = n.walk();
            for item in n.named_children(&mut c) {
                let iid = item.kind_id();
                if iid == k.block_sequence_item {
                    let mut c2 = item.walk();
                    let inner = item
                        .named_children(&mut c2)
                        .find(|x| x.kind_id() == k.block_node || x.kind_id() == k.flow_node);
                    match inner {
                        Some(i) => {
                            if let Some(node) = self.node(i, depth + 1) {
                                items.push(node);
                            }
                        }
                        None => items.push(Node::null_at(item.end_byte())),
                    }
                } else if iid == k.flow_node {
                    if let Some(node) = self.node(item, depth + 1) {
                        items.push(node);
                    }
                } else if iid == k.flow_pair {
                    // `[a: b]` is a sequence holding a one-entry mapping.
                    let key = item.child_by_field_name("key").and_then(|x| self.node(x, depth + 1));
                    let value = item.child_by_field_name("value").and_then(|x| self.node(x, depth + 1));
                    if let Some(key) = key {
                        let at = key.range.end;
                        items.push(Node {
                            range: item.byte_range(),
                            src: 0,
                            kind: NodeKind::Map(vec![(key, value.unwrap_or_else(|| Node::null_at(at)))]),
                        });
                    }
                }
            }
            return Some(Node { range: n.byte_range(), src: 0, kind: NodeKind::Seq(items) });
        }
        if id == k.alias {
            let name = self.text[n.byte_range()].trim_start_matches('*').to_string();
            return match self.anchors.get(&name) {
                Some(target) => {
                    let size = count_nodes(target);
                    if size > self.alias_budget {
                        if self.alias_budget != usize::MAX {
                            self.problems
                                .push(SyntaxProblem { range: n.byte_range(), kind: SyntaxProblemKind::AliasBudget });
                            self.alias_budget = 0;
                        }
                        Some(Node::null_at(n.start_byte()))
                    } else {
                        self.alias_budget -= size;
                        let mut copy = target.clone();
                        // The copy keeps the anchor's ranges (where its text is), except the
                        // outer node, which points at the alias.
                        copy.range = n.byte_range();
                        Some(copy)
                    }
                }
                None => {
                    self.problems
                        .push(SyntaxProblem { range: n.byte_range(), kind: SyntaxProblemKind::UnknownAlias(name) });
                    Some(Node::null_at(n.start_byte()))
                }
            };
        }
        if id == k.plain_scalar || id == k.single_quote_scalar || id == k.double_quote_scalar || id == k.block_scalar {
            let raw = &self.text[n.byte_range()];
            let (value, style) = if id == k.plain_scalar {
                (fold_lines(raw), ScalarStyle::Plain)
            } else if id == k.single_quote_scalar {
                (fold_lines(&unquote_single(raw)), ScalarStyle::SingleQuoted)
            } else if id == k.double_quote_scalar {
                (unquote_double(raw), ScalarStyle::DoubleQuoted)
            } else {
                decode_block(raw, line_indent_at(self.text, n.start_byte()))
            };
            let ty = if style == ScalarStyle::Plain { resolve_plain(&value) } else { ScalarType::Str };
            return Some(Node { range: n.byte_range(), src: 0, kind: NodeKind::Scalar(Scalar { value, style, ty }) });
        }
        if id == k.anchor || id == k.tag || id == k.comment {
            return None;
        }
        // ERROR nodes and anything unexpected: skip (already reported).
        None
    }
}

fn count_nodes(n: &Node) -> usize {
    match &n.kind {
        NodeKind::Scalar(_) => 1,
        NodeKind::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        NodeKind::Map(entries) => 1 + entries.iter().map(|(k, v)| count_nodes(k) + count_nodes(v)).sum::<usize>(),
    }
}

fn line_indent_at(text: &str, offset: usize) -> usize {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    text[start..].bytes().take_while(|&b| b == b' ').count()
}

/// Multi-line plain and quoted scalars: line breaks fold to spaces, empty lines to '\n'.
fn fold_lines(raw: &str) -> String {
    if !raw.contains('\n') {
        return raw.to_string();
    }
    let mut out = String::new();
    let mut pending_newlines = 0;
    for (i, line) in raw.split('\n').enumerate() {
        let line = line.trim_matches([' ', '\t', '\r']);
        if i == 0 {
            out.push_str(line);
            continue;
        }
        if line.is_empty() {
            pending_newlines += 1;
            continue;
        }
        if pending_newlines > 0 {
            out.extend(std::iter::repeat_n('\n', pending_newlines));
            pending_newlines = 0;
        } else {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

fn unquote_single(raw: &str) -> String {
    let inner = raw.strip_prefix('\'').unwrap_or(raw);
    let inner = inner.strip_suffix('\'').unwrap_or(inner);
    inner.replace("''", "'")
}

fn unquote_double(raw: &str) -> String {
    let inner = raw.strip_prefix('"').unwrap_or(raw);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let inner = if inner.contains('\n') { fold_lines(inner) } else { inner.to_string() };
    if !inner.contains('\\') {
        return inner;
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.push('\\');
            break;
        };
        match e {
            'n' => out.push('\n'),
            't' | '\t' => out.push('\t'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'e' => out.push('\x1b'),
            'f' => out.push('\x0c'),
            'v' => out.push('\x0b'),
            ' ' => out.push(' '),
            '/' => out.push('/'),
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            'N' => out.push('\u{85}'),
            '_' => out.push('\u{a0}'),
            'L' => out.push('\u{2028}'),
            'P' => out.push('\u{2029}'),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..n).filter_map(|_| chars.next()).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push('\\');
                        out.push(e);
                        out.push_str(&hex);
                    }
                }
            }
            '\n' => {}
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    out
}

/// Decodes a `|` or `>` block scalar (header line included in `raw`); `parent_indent` is the
/// indentation of the line the scalar starts on.
fn decode_block(raw: &str, parent_indent: usize) -> (String, ScalarStyle) {
    let (header, body) = match raw.find('\n') {
        Some(i) => (&raw[..i], &raw[i + 1..]),
        None => (raw, ""),
    };
    let header = header.split('#').next().unwrap_or("").trim();
    let style = if header.starts_with('>') { ScalarStyle::Folded } else { ScalarStyle::Literal };
    let chomp = if header.contains('-') {
        '-'
    } else if header.contains('+') {
        '+'
    } else {
        ' '
    };
    let explicit = header.chars().find(|c| c.is_ascii_digit()).and_then(|c| c.to_digit(10)).map(|d| d as usize);
    let lines: Vec<&str> = body.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let indent = explicit.map(|d| parent_indent + d).unwrap_or_else(|| {
        lines.iter().find(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start_matches(' ').len()).unwrap_or(0)
    });
    // Remove up to `indent` leading spaces (a line indented less than the block, which
    // tree-sitter can leave inside the scalar's range, loses only its spaces: cutting it at
    // `indent` bytes could split a character).
    let mut content: Vec<&str> = lines
        .iter()
        .map(|l| {
            let spaces = l.len() - l.trim_start_matches(' ').len();
            &l[spaces.min(indent)..]
        })
        .collect();
    // tree-sitter's range may stop before the final newline; trailing empty lines are chomped below.
    while content.last().is_some_and(|l| l.is_empty()) {
        content.pop();
    }
    let mut value = if style == ScalarStyle::Literal {
        content.join("\n")
    } else {
        let mut s = String::new();
        let mut prev_more_indented = false;
        for (i, line) in content.iter().enumerate() {
            let more = line.starts_with(' ') || line.starts_with('\t');
            if i > 0 {
                if line.is_empty() || more || prev_more_indented {
                    s.push('\n');
                } else if !s.ends_with('\n') {
                    s.push(' ');
                }
            }
            s.push_str(line);
            prev_more_indented = more;
        }
        s
    };
    match chomp {
        '-' => {}
        _ => {
            if !value.is_empty() {
                value.push('\n');
            }
        }
    }
    (value, style)
}

/// YAML 1.1 resolution of a plain scalar, as go-yaml v2 (and so Kubernetes) does it.
pub fn resolve_plain(v: &str) -> ScalarType {
    match v {
        "" | "~" | "null" | "Null" | "NULL" => return ScalarType::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "n" | "N" | "no" | "No" | "NO" | "true" | "True" | "TRUE" | "false"
        | "False" | "FALSE" | "on" | "On" | "ON" | "off" | "Off" | "OFF" => return ScalarType::Bool,
        ".inf" | "-.inf" | "+.inf" | ".Inf" | "-.Inf" | "+.Inf" | ".INF" | "-.INF" | "+.INF" | ".nan" | ".NaN"
        | ".NAN" => return ScalarType::Float,
        _ => {}
    }
    let b = v.as_bytes();
    let first = b[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return ScalarType::Str;
    }
    let plain: String = v.chars().filter(|&c| c != '_').collect();
    let digits = plain.trim_start_matches(['-', '+']);
    let is_int = if let Some(h) = digits.strip_prefix("0x") {
        !h.is_empty() && h.bytes().all(|c| c.is_ascii_hexdigit())
    } else if let Some(o) = digits.strip_prefix("0o") {
        !o.is_empty() && o.bytes().all(|c| (b'0'..=b'7').contains(&c))
    } else if let Some(bn) = digits.strip_prefix("0b") {
        !bn.is_empty() && bn.bytes().all(|c| c == b'0' || c == b'1')
    } else {
        !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit())
    };
    if is_int {
        return ScalarType::Int;
    }
    // Floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    let (mantissa, exp) = match digits.find(['e', 'E']) {
        Some(i) => (&digits[..i], Some(&digits[i + 1..])),
        None => (digits, None),
    };
    let mantissa_ok = {
        let mut parts = mantissa.splitn(2, '.');
        let int = parts.next().unwrap_or("");
        let frac = parts.next();
        int.bytes().all(|c| c.is_ascii_digit())
            && frac.is_none_or(|f| f.bytes().all(|c| c.is_ascii_digit()))
            && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()))
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = e.trim_start_matches(['-', '+']);
        !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit())
    });
    if mantissa_ok && exp_ok && (mantissa.contains('.') || exp.is_some()) {
        return ScalarType::Float;
    }
    ScalarType::Str
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        parse(text).documents.into_iter().next().unwrap().root.unwrap()
    }

    /// Found by fuzzing (fuzz/README.md): a block scalar with an indentation indicator whose
    /// range holds a line indented less than the indicator says, starting with a multi-byte
    /// character, was cut inside that character.
    #[test]
    fn block_scalar_line_indented_less_than_its_indicator() {
        let (v, _) = decode_block(">+1\n\u{38c}:\n      cpu: 500m\n", 0);
        assert_eq!(v, "\u{38c}:\n     cpu: 500m\n");
        let (v, _) = decode_block("|2\n  a\n \u{e9}\n   b\n", 0);
        assert_eq!(v, "a\n\u{e9}\n b\n");
        parse(">+1\n\u{38c}:\n      cpu: 500m\n   ");
    }

    #[test]
    fn multi_document_with_ranges() {
        let text = "a: 1\n---\nkind: ConfigMap\nmetadata:\n  name: x\n";
        let p = parse(text);
        assert_eq!(p.documents.len(), 2);
        let d = p.documents[1].root.as_ref().unwrap();
        let name = d.at(&["metadata", "name"]).unwrap();
        assert_eq!(&text[name.range.clone()], "x");
        assert!(p.problems.is_empty());
    }

    #[test]
    fn scalar_types_follow_yaml_1_1() {
        let r =
            root("a: 64512\nb: \"64512\"\nc: yes\nd: 1.10\ne: ~\nf: on\ng: 0x1F\nh: 10.25.11.1\ni: 1e3\nj: text\nk:\n");
        let ty = |k: &str| r.get(k).unwrap().as_scalar().unwrap().ty;
        assert_eq!(ty("a"), ScalarType::Int);
        assert_eq!(ty("b"), ScalarType::Str);
        assert_eq!(ty("c"), ScalarType::Bool);
        assert_eq!(ty("d"), ScalarType::Float);
        assert_eq!(ty("e"), ScalarType::Null);
        assert_eq!(ty("f"), ScalarType::Bool);
        assert_eq!(ty("g"), ScalarType::Int);
        assert_eq!(ty("h"), ScalarType::Str);
        assert_eq!(ty("i"), ScalarType::Float);
        assert_eq!(ty("j"), ScalarType::Str);
        assert_eq!(ty("k"), ScalarType::Null);
    }

    #[test]
    fn quoted_and_block_scalars_decode() {
        let r = root("a: 'it''s'\nb: \"x\\ty\\u00e9\"\nc: |\n  line1\n  line2\nd: >-\n  folded\n  text\ne: x\n");
        assert_eq!(r.str_at(&["a"]), Some("it's"));
        assert_eq!(r.str_at(&["b"]), Some("x\tyé"));
        assert_eq!(r.str_at(&["c"]), Some("line1\nline2\n"));
        assert_eq!(r.str_at(&["d"]), Some("folded text"));
        assert_eq!(r.str_at(&["e"]), Some("x"));
    }

    #[test]
    fn duplicate_keys_are_reported_with_the_first() {
        let p = parse("a: 1\nb: 2\na: 3\n");
        assert!(
            matches!(&p.problems[0].kind, SyntaxProblemKind::DuplicateKey { key, first } if key == "a" && *first == (0..1))
        );
    }

    #[test]
    fn broken_yaml_gives_problems_and_partial_documents() {
        let p = parse("a: {b: 1\nc: 2\n---\nkind: ConfigMap\n");
        assert!(p.problems.iter().any(|x| x.kind == SyntaxProblemKind::Error));
        assert!(p.documents.iter().any(|d| d.root.as_ref().and_then(|r| r.str_at(&["kind"])) == Some("ConfigMap")));
    }

    #[test]
    fn anchors_aliases_merge_keys_and_redefined_anchors() {
        let r = root("a: &x {k: 1}\nb: *x\nc: &x 2\nd: *x\ne:\n  <<: *x\n");
        assert_eq!(r.at(&["b", "k"]).and_then(Node::as_str), Some("1"));
        assert_eq!(r.str_at(&["d"]), Some("2"));
    }

    #[test]
    fn alias_bomb_is_cut_off() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = format!("*a{}", i - 1);
            s.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        let p = parse(&s);
        assert!(p.problems.iter().any(|x| x.kind == SyntaxProblemKind::AliasBudget));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let depth = 5000;
        let s = "[".repeat(depth) + &"]".repeat(depth);
        let p = parse(&s);
        assert!(p.problems.iter().any(|x| x.kind == SyntaxProblemKind::TooDeep));
    }

    #[test]
    fn a_broken_document_does_not_hide_the_next() {
        let text = "a: {b: 1\n---\nkind: ConfigMap\nmetadata:\n  name: x\n---\nc: [\n";
        let p = parse(text);
        let middle = text.find("kind").unwrap()..text.rfind("---").unwrap();
        assert!(
            p.problems.len() >= 2
                && p.problems.iter().all(|x| x.range.end <= middle.start || x.range.start >= middle.end),
            "{:?}",
            p.problems
        );
        let d = p
            .documents
            .iter()
            .find_map(|d| d.root.as_ref().filter(|r| r.str_at(&["kind"]) == Some("ConfigMap")))
            .expect("the middle document");
        assert_eq!(&text[d.at(&["metadata", "name"]).unwrap().range.clone()], "x");
    }

    #[test]
    fn embedded_yaml_keeps_outer_positions() {
        let text = "patch: |\n  kind: Kustomization\n  spec:\n    path: ./x\n";
        let start = text.find("  kind").unwrap();
        let p = parse_embedded(text, start..text.len());
        let r = p.documents[0].root.as_ref().unwrap();
        let path = r.at(&["spec", "path"]).unwrap();
        assert_eq!(&text[path.range.clone()], "./x");
    }
}
