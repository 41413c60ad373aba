//! Fixtures for the editor-feature tests (`ide_nav.rs`, `ide_complete.rs`): a multi-file
//! fixture (`crate::fixture`: `#- /path` headers, `\$0` for a literal `$0`) with exactly one
//! `$0`, the cursor; and how these tests print what a feature returns.

use crate::fixture;
use gitops_lsp::analysis::Analysis;
use gitops_lsp::files::{RelPath, TextRange};
use gitops_lsp::ide::{CompletionItem, NavTarget, TextEdit};

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

/// Parses fixture parts (e.g. a shared repository and a test's own files) as one fixture.
pub fn parse_parts(parts: &[&str]) -> Fixture {
    parse(&parts.join("\n"))
}

pub fn parse(text: &str) -> Fixture {
    let files = fixture::parse(text);
    let mut marked = files.iter().filter(|f| !f.marks.is_empty());
    let file = marked.next().expect("no $0 cursor in the fixture");
    assert!(file.marks.len() == 1 && marked.next().is_none(), "more than one $0 cursor in the fixture");
    Fixture { analysis: fixture::analysis(&files), file: file.rel(), offset: file.marks[0] }
}

/// Loads a folder of `fixtures/` from disk; the cursor is the first occurrence of `needle`
/// in `file` plus `delta` bytes.
pub fn from_disk(folder: &str, file: &str, needle: &str, delta: usize) -> Fixture {
    let analysis = fixture::load(&crate::common::fixture(folder));
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
