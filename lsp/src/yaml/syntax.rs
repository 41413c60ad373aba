//! tree-sitter-yaml: the grammar (with its scanner's limits made safe), one parser per
//! thread, whole-file, incremental and ranged parses, the split of a broken file into
//! documents parsed on their own, and syntax errors. Turning trees into `Node`s is
//! `convert.rs`.
//!
//! Owns the two limits of tree-sitter-yaml's external scanner (`guard.c` makes them safe):
//!
//! - **Nesting.** The scanner keeps one entry per open block mapping, block sequence or
//!   block scalar (its indentation stack; flow collections `[`/`{` take none) and tree-sitter
//!   aborts the process when that stack, serialized, outgrows its 1024-byte buffer: 10
//!   bytes of header and 4 per entry, so at the 254th entry. The exact bound is therefore
//!   [`PARSER_MAX_LEVELS`] = 253 open levels, counted by the scanner, which no text bound
//!   can predict exactly (error recovery opens levels too). So the guard checks the real
//!   state after every token and refuses the one token that would open level 254 (the
//!   parser sees a syntax error there, and its error recovery often swallows the whole
//!   document). The document is then read again up to the start of that token's line, as
//!   if it ended there, and [`SyntaxProblemKind::ParserLimit`] is reported on that line in
//!   place of the errors the refusal caused. Every other document is read as usual.
//! - **Rows.** The scanner counts rows in 16 bits; the guard keeps them relative to the last
//!   token, so files over 32,767 lines read correctly. Columns stay 16-bit: indentation over
//!   32,767 columns is a syntax error.

use super::convert::Converter;
use super::{Document, ParsedYaml, SyntaxProblem, SyntaxProblemKind, ALIAS_BUDGET};
use crate::files::TextRange;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use tree_sitter::{InputEdit, Node as TsNode, Parser, Tree};

/// Block collections and block scalars open at once that the parser reads (see the module
/// comment): a token that would open one more is refused.
pub const PARSER_MAX_LEVELS: usize = 253;

/// Flow collections (`[`, `{`) open at once past which a text is not given to the parser,
/// which spends about 1.4 KB and several microseconds per level: a 16 MiB file of `[` would
/// take gigabytes. go-yaml, with which Flux and kustomize read manifests, refuses more than
/// 10,000 too. The text is read up to the line that goes deeper, as if it ended there.
pub const MAX_FLOW_LEVELS: usize = 10_000;

pub(super) struct Kinds {
    pub(super) document: u16,
    pub(super) block_mapping: u16,
    pub(super) block_mapping_pair: u16,
    pub(super) flow_mapping: u16,
    pub(super) flow_pair: u16,
    pub(super) block_sequence: u16,
    pub(super) block_sequence_item: u16,
    pub(super) flow_sequence: u16,
    pub(super) block_node: u16,
    pub(super) flow_node: u16,
    pub(super) plain_scalar: u16,
    pub(super) single_quote_scalar: u16,
    pub(super) double_quote_scalar: u16,
    pub(super) block_scalar: u16,
    pub(super) alias: u16,
    pub(super) anchor: u16,
    pub(super) tag: u16,
    pub(super) comment: u16,
}

extern "C" {
    /// tree-sitter-yaml's grammar with the guarded scanner (`guard.c`).
    fn gitops_yaml_language() -> *const ();
    /// Tokens this thread's parses refused since the last call, and the byte offset where
    /// the first one started; resets both.
    fn gitops_yaml_take_refusal(first_at: *mut u32) -> u32;
}

fn language() -> tree_sitter::Language {
    static LANGUAGE: OnceLock<tree_sitter::Language> = OnceLock::new();
    LANGUAGE
        .get_or_init(|| {
            // SAFETY: `gitops_yaml_language` returns a pointer to a static TSLanguage, a copy
            // of tree-sitter-yaml's with two scanner functions wrapped; it is built once, here.
            let f = unsafe { tree_sitter_language::LanguageFn::from_raw(gitops_yaml_language) };
            let guarded: tree_sitter::Language = f.into();
            // The original, which `guard.c` calls into (naming it also links its C code).
            let original: tree_sitter::Language = tree_sitter_yaml::LANGUAGE.into();
            assert_eq!(guarded.node_kind_count(), original.node_kind_count(), "guard.c copies tree-sitter-yaml");
            guarded
        })
        .clone()
}

/// Where the first token refused since the last call started, if any (this thread).
fn take_refusal() -> Option<usize> {
    let mut at = 0u32;
    // SAFETY: a plain call; `at` outlives it.
    let n = unsafe { gitops_yaml_take_refusal(&mut at) };
    (n > 0).then_some(at as usize)
}

pub(super) fn kinds() -> &'static Kinds {
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

/// A tree-sitter tree of one text, and where the parser refused to nest deeper (the start of
/// the first refused token), if it did.
#[derive(Clone)]
pub struct SyntaxTree {
    pub tree: Tree,
    pub refused_at: Option<usize>,
    /// Where flow nesting passed [`MAX_FLOW_LEVELS`] (that bracket): the tree covers the text
    /// up to the start of its line only.
    pub flow_cut_at: Option<usize>,
}

impl SyntaxTree {
    /// Tells the tree about an edit of its text, before an incremental re-parse.
    pub fn edit(&mut self, edit: &InputEdit) {
        self.tree.edit(edit);
    }
}

/// Parses `text` with tree-sitter; `old` is the previous tree of the same document, already
/// `edit`ed by the caller, for an incremental re-parse. A tree where a token was refused is
/// not reused: its refusal would not be seen again in the parts tree-sitter reuses.
pub fn parse_tree(text: &str, old: Option<&SyntaxTree>) -> Option<SyntaxTree> {
    if flow_too_deep(text, 0..text.len()).is_some() {
        return parse_tree_in(
            text,
            0..text.len(),
            tree_sitter::Point { row: 0, column: 0 },
            point_of(text, text.len()),
        );
    }
    let old = old.filter(|o| o.refused_at.is_none() && o.flow_cut_at.is_none()).map(|o| &o.tree);
    PARSER.with(|p| {
        let mut p = p.borrow_mut();
        p.set_included_ranges(&[]).ok();
        take_refusal();
        let tree = p.parse(text, old);
        let refused_at = take_refusal();
        tree.map(|tree| SyntaxTree { tree, refused_at, flow_cut_at: None })
    })
}

/// The bracket that opens flow level [`MAX_FLOW_LEVELS`] + 1 in `text[range]`, counting each
/// `[` and `{` up and each `]` and `}` down, outside comments. Brackets inside scalars count
/// too: a text can be cut that go-yaml would read, but only one with thousands of unclosed
/// brackets in its scalars.
fn flow_too_deep(text: &str, range: TextRange) -> Option<usize> {
    let bytes = &text.as_bytes()[range.clone()];
    if bytes.len() <= MAX_FLOW_LEVELS {
        return None;
    }
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_FLOW_LEVELS {
                    return Some(range.start + i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r') => {
                i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The start of the line holding `at`.
fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// Parses only `range` of `text` (used for YAML held inside a block scalar, such as a
/// kustomize patch), keeping positions in `text`'s coordinates.
pub fn parse_embedded(text: &str, range: TextRange) -> ParsedYaml {
    parse_range(text, range.clone(), point_of(text, range.start), point_of(text, range.end))
}

/// `parse_embedded` with the points of the range's ends already known. Where the parser
/// refused a token (see the module comment), the range is read again up to the start of that
/// token's line, as if it ended there, and the limit is reported on that line.
fn parse_range(text: &str, range: TextRange, start: tree_sitter::Point, end: tree_sitter::Point) -> ParsedYaml {
    let mut end = (range.end, end);
    let mut limit: Option<TextRange> = None;
    // The read up to the refused line normally refuses nothing (the same tokens come before
    // it); a few rounds cover error recovery that refused earlier, speculatively.
    for _ in 0..4 {
        let Some(tree) = parse_tree_in(text, range.start..end.0, start, end.1) else { break };
        let refused = tree.refused_at.filter(|_| tree.tree.root_node().has_error());
        let Some(at) = refused else {
            let mut out = convert_tree(text, &tree);
            out.problems.extend(limit.map(|r| SyntaxProblem { range: r, kind: SyntaxProblemKind::ParserLimit }));
            return out;
        };
        let line = line_of(text, at);
        limit.get_or_insert_with(|| line.clone());
        let cut = line_start(text, line.start).max(range.start);
        if cut >= end.0 {
            break;
        }
        end = (cut, point_of(text, cut));
    }
    // Nothing before the refused token could be read: the document, empty, and the limit.
    let range = range.start..end.0;
    ParsedYaml {
        documents: vec![Document { range, root: None }],
        problems: limit.map(|r| SyntaxProblem { range: r, kind: SyntaxProblemKind::ParserLimit }).into_iter().collect(),
    }
}

fn parse_tree_in(
    text: &str,
    range: TextRange,
    start: tree_sitter::Point,
    end: tree_sitter::Point,
) -> Option<SyntaxTree> {
    // Past `MAX_FLOW_LEVELS`, up to the start of that line only.
    let flow_cut_at = flow_too_deep(text, range.clone());
    let (range, end) = match flow_cut_at {
        Some(at) => {
            let cut = line_start(text, at).max(range.start);
            (range.start..cut, point_of(text, cut))
        }
        None => (range, end),
    };
    PARSER.with(|p| {
        let mut p = p.borrow_mut();
        let r = tree_sitter::Range { start_byte: range.start, end_byte: range.end, start_point: start, end_point: end };
        p.set_included_ranges(&[r]).ok()?;
        take_refusal();
        let t = p.parse(text, None);
        let refused_at = take_refusal();
        p.set_included_ranges(&[]).ok();
        t.map(|tree| SyntaxTree { tree, refused_at, flow_cut_at })
    })
}

/// The text of the line holding `at`, without its indentation and trailing blanks.
fn line_of(text: &str, at: usize) -> TextRange {
    let at = at.min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = &text[start..end];
    let trimmed = line.trim_start();
    let from = start + (line.len() - trimmed.len());
    from..from + trimmed.trim_end().len()
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
pub fn convert(text: &str, tree: &SyntaxTree) -> ParsedYaml {
    if tree.tree.root_node().has_error() || tree.flow_cut_at.is_some() {
        let mut starts = document_starts(text);
        if !starts.is_empty() || tree.refused_at.is_some() || tree.flow_cut_at.is_some() {
            if starts.first().is_none_or(|s| s.0 != 0) {
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

fn convert_tree(text: &str, tree: &SyntaxTree) -> ParsedYaml {
    let k = kinds();
    let mut out = ParsedYaml::default();
    let root = tree.tree.root_node();
    if root.has_error() {
        collect_errors(root, &mut out.problems);
    }
    if let Some(at) = tree.flow_cut_at {
        out.problems.push(SyntaxProblem { range: line_of(text, at), kind: SyntaxProblemKind::FlowLimit });
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
