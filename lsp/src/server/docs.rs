//! Open documents: text in a rope, the tree-sitter tree kept for incremental re-parses, and
//! the file model built from them. Edits arrive as LSP ranges in UTF-16 code units.

use crate::files::{RelPath, Unreadable};
use crate::host::Change;
use crate::model::FileModel;
use crate::workspace::MAX_FILE_SIZE;
use crate::yaml;
use ropey::Rope;
use std::sync::Arc;
use tower_lsp_server::ls_types as lsp;
use tree_sitter::{InputEdit, Point};

pub struct Doc {
    pub root: usize,
    pub version: i32,
    pub rope: Rope,
    pub tree: Option<yaml::SyntaxTree>,
    pub model: Arc<FileModel>,
}

impl Doc {
    pub fn open(root: usize, rel: RelPath, version: i32, text: &str) -> Doc {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let rope = Rope::from_str(text);
        let (tree, model) = build(rel, text, None);
        Doc { root, version, rope, tree, model }
    }

    /// Applies LSP content changes in order; returns false if one did not fit (its range was
    /// outside the text): the document then holds the best-effort result, never a panic.
    pub fn apply_changes(&mut self, version: i32, changes: &[lsp::TextDocumentContentChangeEvent]) -> bool {
        let mut ok = true;
        let mut tree = self.tree.take();
        for ch in changes {
            match ch.range {
                None => {
                    self.rope = Rope::from_str(&ch.text);
                    tree = None;
                }
                Some(r) => {
                    let (Some(start), Some(end)) = (self.char_of(r.start), self.char_of(r.end)) else {
                        ok = false;
                        continue;
                    };
                    let (start, end) = (start.min(end), start.max(end));
                    let start_byte = self.rope.char_to_byte(start);
                    let old_end_byte = self.rope.char_to_byte(end);
                    let start_position = self.point(start_byte);
                    let old_end_position = self.point(old_end_byte);
                    self.rope.remove(start..end);
                    self.rope.insert(start, &ch.text);
                    let new_end_byte = start_byte + ch.text.len();
                    let new_end_position = self.point(new_end_byte);
                    if let Some(t) = tree.as_mut() {
                        t.edit(&InputEdit {
                            start_byte,
                            old_end_byte,
                            new_end_byte,
                            start_position,
                            old_end_position,
                            new_end_position,
                        });
                    }
                }
            }
        }
        let text = self.rope.to_string();
        let (tree, model) = build(self.model.path.clone(), &text, tree.as_ref());
        self.tree = tree;
        self.model = model;
        self.version = version;
        ok
    }

    /// What the analysis gets of this document: its model, or, over `MAX_FILE_SIZE` (a huge
    /// paste), what it gets of such a file on disk: too large, not read.
    pub fn change(&self) -> Change {
        let size = self.rope.len_bytes() as u64;
        if size > MAX_FILE_SIZE {
            return Change::Unreadable(self.model.path.clone(), Unreadable::TooLarge { size, limit: MAX_FILE_SIZE });
        }
        Change::Parsed(self.model.clone())
    }

    /// LSP position (UTF-16) -> char index; a column past the line end clamps to it; a line
    /// past the end is an error, except the line just after a final newline.
    fn char_of(&self, p: lsp::Position) -> Option<usize> {
        let line = p.line as usize;
        let lines = self.rope.len_lines();
        if line >= lines {
            return if line == lines { Some(self.rope.len_chars()) } else { None };
        }
        let line_start = self.rope.line_to_char(line);
        let line_end = if line + 1 < lines { self.rope.line_to_char(line + 1) } else { self.rope.len_chars() };
        let base = self.rope.char_to_utf16_cu(line_start);
        let target = self.rope.utf16_cu_to_char(base + p.character as usize).min(line_end);
        // Do not eat the line break when the column is past the end of the line.
        let mut c = target;
        while c > line_start && c == line_end && line + 1 < lines {
            let prev = self.rope.char(c - 1);
            if prev == '\n' || prev == '\r' {
                c -= 1;
            } else {
                break;
            }
        }
        Some(c)
    }

    fn point(&self, byte: usize) -> Point {
        let line = self.rope.byte_to_line(byte);
        Point { row: line, column: byte - self.rope.line_to_byte(line) }
    }
}

fn build(rel: RelPath, text: &str, old: Option<&yaml::SyntaxTree>) -> (Option<yaml::SyntaxTree>, Arc<FileModel>) {
    if text.len() as u64 > MAX_FILE_SIZE {
        // Not parsed, as such a file on disk is not read (`change` says so to the analysis).
        return (None, Arc::new(FileModel::from_parsed(rel, Arc::from(text), yaml::ParsedYaml::default())));
    }
    let tree = yaml::parse_tree(text, old);
    let parsed = match &tree {
        Some(t) => yaml::convert(text, t),
        None => yaml::parse(text),
    };
    (tree, Arc::new(FileModel::from_parsed(rel, Arc::from(text), parsed)))
}
