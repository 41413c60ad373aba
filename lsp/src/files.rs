//! Files as the analysis sees them: repo-relative paths, texts and line indexes.
//!
//! Owns: `RelPath` (normalised, '/'-separated, relative to the workspace root), `LineIndex`
//! (byte offset <-> line/UTF-16 column), and `Vfs`, the set of inputs one analysis runs on.
//! Never touches the disk: the CLI and the server read files and hand them in.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A byte range inside one file.
pub type TextRange = std::ops::Range<usize>;

/// A path relative to the workspace root, '/'-separated, without `.` or `..` parts.
/// The root itself is the empty string.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct RelPath(Arc<str>);

impl RelPath {
    pub fn root() -> Self {
        RelPath(Arc::from(""))
    }
    /// Builds a path from a '/'-separated relative string; `None` if it climbs above the root.
    pub fn new(p: &str) -> Option<Self> {
        Self::root().join(p)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
    /// The parent folder; the root's parent is the root.
    pub fn parent(&self) -> RelPath {
        match self.0.rfind('/') {
            Some(i) => RelPath(Arc::from(&self.0[..i])),
            None => RelPath::root(),
        }
    }
    pub fn file_name(&self) -> &str {
        match self.0.rfind('/') {
            Some(i) => &self.0[i + 1..],
            None => &self.0,
        }
    }
    /// Joins a relative reference as kustomize and Flux do: `.` and `..` are folded, a
    /// leading `/` is not special here (callers reject absolute paths first).
    /// `None` when the result would leave the root.
    pub fn join(&self, rel: &str) -> Option<RelPath> {
        let mut parts: Vec<&str> = if self.0.is_empty() { Vec::new() } else { self.0.split('/').collect() };
        for part in rel.split(['/', '\\']) {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop()?;
                }
                p => parts.push(p),
            }
        }
        Some(RelPath(Arc::from(parts.join("/"))))
    }
    /// True when `self` is `dir` or lies below it.
    pub fn starts_with(&self, dir: &RelPath) -> bool {
        dir.is_root()
            || self.0.as_ref() == dir.as_str()
            || (self.0.len() > dir.0.len()
                && self.0.starts_with(dir.as_str())
                && self.0.as_bytes()[dir.0.len()] == b'/')
    }
    /// A display form where the root is `.`.
    pub fn display(&self) -> &str {
        if self.0.is_empty() {
            "."
        } else {
            &self.0
        }
    }
}

impl std::fmt::Display for RelPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.display())
    }
}

/// A 0-based line and a column counted in UTF-16 code units (LSP's default encoding).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Default, Hash)]
pub struct Position {
    pub line: u32,
    pub character: u32,
}

/// Line starts of one text, for converting byte offsets to positions and back.
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    line_starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0u32];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| (i + 1) as u32));
        LineIndex { line_starts }
    }
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(*self.line_starts.last().unwrap()) as usize
    }
    /// 0-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&(offset as u32)) {
            Ok(l) => l,
            Err(l) => l - 1,
        }
    }
    /// Byte offset -> position (UTF-16 columns). Offsets past the end clamp to the end;
    /// an offset inside a multi-byte character counts from that character's start.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let line = self.line_of(offset);
        let start = self.line_start(line);
        let mut end = offset;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let character = text[start..end].chars().map(char::len_utf16).sum::<usize>() as u32;
        Position { line: line as u32, character }
    }
    /// Position (UTF-16 columns) -> byte offset; a column past the line's end clamps to it,
    /// a line past the end clamps to the end of the text.
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let line = pos.line as usize;
        if line >= self.line_starts.len() {
            return text.len();
        }
        let start = self.line_start(line);
        let line_end = if line + 1 < self.line_starts.len() { self.line_start(line + 1) } else { text.len() };
        // Lines end at `\n` only (as in the server's rope): a lone `\r` is an ordinary
        // character, and a position never lands between the `\r` and `\n` of a CRLF.
        let content = strip_break(&text[start..line_end]);
        // A column inside a character (between the two halves of a surrogate pair) rounds down.
        let mut units = 0u32;
        for (i, c) in content.char_indices() {
            let width = c.len_utf16() as u32;
            if units + width > pos.character {
                return start + i;
            }
            units += width;
        }
        start + content.len()
    }
    /// The text of one line without its line break (`\n` or `\r\n`).
    pub fn line_text<'a>(&self, text: &'a str, line: usize) -> &'a str {
        let start = self.line_start(line).min(text.len());
        let end = if line + 1 < self.line_starts.len() { self.line_start(line + 1) } else { text.len() };
        strip_break(&text[start..end.min(text.len())])
    }
}

/// A line without its final `\n` or `\r\n`.
fn strip_break(line: &str) -> &str {
    match line.strip_suffix('\n') {
        Some(l) => l.strip_suffix('\r').unwrap_or(l),
        None => line,
    }
}

/// Why a path could not be given to the analysis as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// The bytes are not UTF-8; `at` is the first bad byte.
    NotUtf8 { at: usize },
    /// Larger than the configured limit; the file is skipped.
    TooLarge { size: u64, limit: u64 },
    /// A symbolic link whose target lies outside the workspace; never read.
    LinkOutsideRepo,
    /// Any other read error (permissions, a symlink loop…), with the OS message.
    Io(String),
}

/// The input of one analysis: every manifest's text, every other path that kustomize could
/// name (so that `resources: [values.json]` resolves), and the files that could not be read.
#[derive(Clone, Debug, Default)]
pub struct Vfs {
    pub texts: BTreeMap<RelPath, Arc<str>>,
    pub other_files: BTreeSet<RelPath>,
    pub unreadable: BTreeMap<RelPath, Unreadable>,
}

impl Vfs {
    pub fn insert_text(&mut self, path: RelPath, text: impl Into<Arc<str>>) {
        self.unreadable.remove(&path);
        self.texts.insert(path, text.into());
    }
}

/// True for the file names the analysis parses as manifests.
pub fn is_manifest_name(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relpath_join_folds_dots_and_refuses_leaving_root() {
        let base = RelPath::new("kubernetes/apps").unwrap();
        assert_eq!(base.join("../components/x").unwrap().as_str(), "kubernetes/components/x");
        assert_eq!(base.join("./a/./b/").unwrap().as_str(), "kubernetes/apps/a/b");
        assert!(base.join("../../..").is_none());
        assert_eq!(base.join("../..").unwrap().as_str(), "");
    }

    #[test]
    fn relpath_starts_with_respects_component_boundaries() {
        let a = RelPath::new("kubernetes/apps-x/y").unwrap();
        assert!(!a.starts_with(&RelPath::new("kubernetes/apps").unwrap()));
        assert!(a.starts_with(&RelPath::new("kubernetes").unwrap()));
        assert!(a.starts_with(&RelPath::root()));
    }

    #[test]
    fn line_index_utf16_round_trip_with_non_ascii() {
        let text = "a: é\nb: 😀x\r\nc\n";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap();
        let p = idx.position(text, x);
        assert_eq!(p, Position { line: 1, character: 5 });
        assert_eq!(idx.offset(text, p), x);
        assert_eq!(idx.line_text(text, 1), "b: 😀x");
        for (off, _) in text.char_indices() {
            // The middle of a CRLF line break has no position of its own.
            if text[..off].ends_with('\r') {
                continue;
            }
            assert_eq!(idx.offset(text, idx.position(text, off)), off);
        }
        assert_eq!(idx.offset(text, Position { line: 9, character: 0 }), text.len());
        assert_eq!(idx.offset(text, Position { line: 0, character: 99 }), 3 + 'é'.len_utf8());
    }

    /// Found by tests/props.rs: a column between the two halves of a surrogate pair maps to the
    /// start of that character, never past it.
    #[test]
    fn a_column_inside_a_surrogate_pair_rounds_down() {
        let text = "\n😀𐀀";
        let idx = LineIndex::new(text);
        assert_eq!(idx.offset(text, Position { line: 1, character: 1 }), 1);
        assert_eq!(idx.offset(text, Position { line: 1, character: 2 }), 1 + '😀'.len_utf8());
        assert_eq!(idx.offset(text, Position { line: 1, character: 3 }), 1 + '😀'.len_utf8());
        assert_eq!(idx.offset(text, Position { line: 1, character: 4 }), text.len());
    }

    /// Found by tests/props.rs: a lone `\r` (not before `\n`) is part of its line, so the
    /// offsets after it round-trip; only a CRLF's `\r` belongs to the line break.
    #[test]
    fn line_index_lone_cr_is_an_ordinary_character() {
        let text = "a\rb\r\r\nc\r";
        let idx = LineIndex::new(text);
        for off in 0..=text.len() {
            if off == 5 {
                continue; // between the CR and LF of the CRLF
            }
            assert_eq!(idx.offset(text, idx.position(text, off)), off, "offset {off}");
        }
        assert_eq!(idx.line_text(text, 0), "a\rb\r");
        assert_eq!(idx.line_text(text, 1), "c\r");
        assert_eq!(idx.offset(text, Position { line: 0, character: 99 }), 4);
        assert_eq!(idx.offset(text, Position { line: 1, character: 99 }), text.len());
    }
}
