//! Fixtures for the editor-feature tests (`ide_nav.rs`, `ide_complete.rs`).
//!
//! A fixture is one string holding several files, each after a header line
//! `#- /path/to/file.yaml` (a YAML comment, so fixtures stay readable as YAML). The common
//! indentation of the whole string is removed first. The cursor is the exact two
//! characters `$0` (written anywhere, even right before `{` or inside a `${...}`); write
//! `\$0` for a literal `$0`. Exactly one cursor per fixture. A file named
//! `/.gitops-lsp.toml` is the configuration.
#![allow(dead_code)]

use gitops_lsp::analysis::Analysis;
use gitops_lsp::files::{RelPath, TextRange, Vfs};
use gitops_lsp::ide::{CompletionItem, NavTarget, TextEdit};
use gitops_lsp::snapshot::Snapshot;
use std::sync::Arc;

pub struct Fixture {
    pub analysis: Analysis,
    pub file: RelPath,
    pub offset: usize,
}

impl Fixture {
    pub fn text(&self, file: &RelPath) -> &str {
        let s = &self.analysis.snapshot;
        &s.file(s.file_idx(file).expect("file in fixture")).text
    }
}

pub fn trim_indent(s: &str) -> String {
    let s = s.strip_prefix('\n').unwrap_or(s);
    let indent = s.lines().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min().unwrap_or(0);
    let mut out = String::new();
    for l in s.trim_end().lines() {
        out.push_str(if l.len() >= indent { &l[indent..] } else { l.trim_start() });
        out.push('\n');
    }
    out
}

/// Removes the cursor marker; returns the text and the cursor's byte offset.
fn take_cursor(text: &str) -> (String, Option<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut cursor = None;
    let mut rest = text;
    while let Some(i) = rest.find("$0") {
        if rest[..i].ends_with('\\') {
            out.push_str(&rest[..i - 1]);
            out.push_str("$0");
        } else {
            out.push_str(&rest[..i]);
            assert!(cursor.is_none(), "more than one $0 cursor in the fixture");
            cursor = Some(out.len());
        }
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    (out, cursor)
}

/// Parses fixture parts (each trimmed of its own indentation) as one fixture.
pub fn parse_parts(parts: &[&str]) -> Fixture {
    let all: String = parts.iter().map(|p| trim_indent(p)).collect();
    parse(&all)
}

pub fn parse(fixture: &str) -> Fixture {
    let fixture = trim_indent(fixture);
    let mut files: Vec<(String, String)> = Vec::new();
    for line in fixture.lines() {
        if let Some(p) = line.strip_prefix("#- ") {
            files.push((p.trim().trim_start_matches('/').to_string(), String::new()));
        } else {
            let (_, t) = files.last_mut().expect("the fixture starts with a `#- /path` header");
            t.push_str(line);
            t.push('\n');
        }
    }
    let mut vfs = Vfs::default();
    let mut config = None;
    let mut cursor = None;
    for (path, text) in files {
        let (text, c) = take_cursor(&text);
        let rel = RelPath::new(&path).unwrap();
        if let Some(c) = c {
            assert!(cursor.is_none(), "more than one $0 cursor in the fixture");
            cursor = Some((rel.clone(), c));
        }
        if path == ".gitops-lsp.toml" {
            config = Some(text);
        } else {
            vfs.insert_text(rel, text);
        }
    }
    let (file, offset) = cursor.expect("no $0 cursor in the fixture");
    let snapshot = Arc::new(Snapshot::from_vfs(&vfs, config.as_deref()));
    Fixture { analysis: Analysis::new(snapshot), file, offset }
}

/// Loads a folder of `fixtures/` from disk; the cursor is the first occurrence of `needle`
/// in `file` plus `delta` bytes.
pub fn from_disk(folder: &str, file: &str, needle: &str, delta: usize) -> Fixture {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join("fixtures").join(folder);
    let loaded = gitops_lsp::workspace::load(&root).expect("fixture folder");
    let snapshot = Arc::new(Snapshot::from_vfs(&loaded.vfs, loaded.config_text.as_deref()));
    let analysis = Analysis::new(snapshot);
    let file = RelPath::new(file).unwrap();
    let text = {
        let s = &analysis.snapshot;
        s.file(s.file_idx(&file).expect("file in fixture folder")).text.clone()
    };
    let offset = text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in {file}")) + delta;
    Fixture { analysis, file, offset }
}

/// `path:line:col` (1-based, columns in characters).
pub fn pos(fx: &Fixture, file: &RelPath, offset: usize) -> String {
    let text = fx.text(file);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    format!("{file}:{line}:{col}")
}

pub fn slice<'a>(fx: &'a Fixture, file: &RelPath, r: &TextRange) -> &'a str {
    &fx.text(file)[r.clone()]
}

pub fn render_targets(fx: &Fixture, targets: &[NavTarget]) -> String {
    let mut out = String::new();
    for t in targets {
        let focus =
            if t.focus.is_empty() { "<start>".to_string() } else { format!("`{}`", slice(fx, &t.file, &t.focus)) };
        out.push_str(&format!("{} {focus}", pos(fx, &t.file, t.focus.start)));
        if let Some(l) = &t.label {
            out.push_str(&format!(" ({l})"));
        }
        out.push('\n');
    }
    if out.is_empty() {
        out.push_str("(none)\n");
    }
    out
}

pub fn render_edits(fx: &Fixture, edits: &[TextEdit]) -> String {
    let mut out = String::new();
    for e in edits {
        out.push_str(&format!(
            "{} `{}` -> `{}`\n",
            pos(fx, &e.file, e.range.start),
            slice(fx, &e.file, &e.range),
            e.new_text
        ));
    }
    out
}

pub fn render_completions(fx: &Fixture, items: &[CompletionItem]) -> String {
    let mut out = String::new();
    if let Some(first) = items.first() {
        out.push_str(&format!("replace `{}`\n", slice(fx, &fx.file, &first.replace)));
    }
    for i in items {
        out.push_str(&format!("{:?} {}", i.kind, i.label));
        if let Some(t) = &i.insert_text {
            out.push_str(&format!(" => `{t}`"));
        }
        if let Some(d) = &i.detail {
            out.push_str(&format!(" — {d}"));
        }
        out.push('\n');
        if items.first().is_some_and(|f| f.replace != i.replace) {
            out.push_str(&format!("  (replaces `{}`)\n", slice(fx, &fx.file, &i.replace)));
        }
    }
    if out.is_empty() {
        out.push_str("(none)\n");
    }
    out
}
