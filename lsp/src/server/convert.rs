//! Conversions between core types (byte offsets, `RelPath`) and LSP types (UTF-16
//! positions, URIs). The only place that knows both.

use crate::analysis::Analysis;
use crate::diagnostics::{self, Severity};
use crate::files::{LineIndex, Position, RelPath, TextRange};
use std::path::Path;
use tower_lsp_server::ls_types as lsp;

pub fn to_uri(root: &Path, rel: &RelPath) -> Option<lsp::Uri> {
    let p = if rel.is_root() { root.to_path_buf() } else { root.join(rel.as_str()) };
    lsp::Uri::from_file_path(p)
}

fn pos(p: Position) -> lsp::Position {
    lsp::Position { line: p.line, character: p.character }
}

pub fn lsp_range(li: &LineIndex, text: &str, r: TextRange) -> lsp::Range {
    lsp::Range { start: pos(li.position(text, r.start)), end: pos(li.position(text, r.end)) }
}

/// A range of a file of the analysis (an empty range for files it has no text of).
pub fn file_range(a: &Analysis, file: &RelPath, r: &TextRange) -> lsp::Range {
    match a.snapshot.file_idx(file) {
        Some(i) => {
            let f = a.snapshot.file(i);
            lsp_range(&f.line_index, &f.text, r.clone())
        }
        None => lsp::Range::default(),
    }
}

pub fn offset(li: &LineIndex, text: &str, p: lsp::Position) -> usize {
    li.offset(text, Position { line: p.line, character: p.character })
}

pub fn diagnostic(a: &Analysis, root: &Path, d: &diagnostics::Diagnostic) -> lsp::Diagnostic {
    let severity = match d.severity {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Information => lsp::DiagnosticSeverity::INFORMATION,
        Severity::Hint => lsp::DiagnosticSeverity::HINT,
    };
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|r| {
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location { uri: to_uri(root, &r.file)?, range: file_range(a, &r.file, &r.range) },
                message: r.message.clone(),
            })
        })
        .collect();
    lsp::Diagnostic {
        range: file_range(a, &d.file, &d.range),
        severity: Some(severity),
        code: Some(lsp::NumberOrString::String(d.code.to_string())),
        code_description: None,
        source: Some("gitops-lsp".into()),
        message: d.message.clone(),
        related_information: if related.is_empty() { None } else { Some(related) },
        tags: None,
        data: if d.clusters.is_empty() { None } else { Some(serde_json::json!({ "clusters": d.clusters })) },
    }
}

/// The semantic token legend (`ide::semantic`'s names, in order).
pub fn semantic_legend() -> lsp::SemanticTokensLegend {
    use crate::ide::semantic::{TOKEN_MODIFIERS, TOKEN_TYPES};
    lsp::SemanticTokensLegend {
        token_types: TOKEN_TYPES.iter().map(|t| lsp::SemanticTokenType::new(t)).collect(),
        token_modifiers: TOKEN_MODIFIERS.iter().map(|m| lsp::SemanticTokenModifier::new(m)).collect(),
    }
}

/// Sorted, non-overlapping tokens (byte ranges) in LSP's relative encoding: UTF-16 columns and
/// lengths, each token's line and start relative to the previous one. A token that spans
/// lines (inside a multi-line scalar) is cut into one token per line, line breaks left out,
/// since clients need not support multi-line tokens.
pub fn semantic_tokens(
    li: &LineIndex,
    text: &str,
    tokens: &[crate::ide::semantic::SemanticToken],
) -> Vec<lsp::SemanticToken> {
    let mut out = Vec::with_capacity(tokens.len());
    let (mut prev_line, mut prev_col) = (0u32, 0u32);
    for t in tokens {
        let end = t.range.end.min(text.len());
        let mut start = t.range.start;
        while start < end {
            let line_end = memchr::memchr(b'\n', &text.as_bytes()[start..end]).map_or(end, |i| start + i);
            let mut seg_end = line_end;
            if line_end < end {
                // Leave out a CR before the line break.
                while seg_end > start && text.as_bytes()[seg_end - 1] == b'\r' {
                    seg_end -= 1;
                }
            }
            if seg_end > start && text.is_char_boundary(start) && text.is_char_boundary(seg_end) {
                let p = li.position(text, start);
                let length = text[start..seg_end].encode_utf16().count() as u32;
                let delta_line = p.line - prev_line;
                let delta_start = if delta_line == 0 { p.character - prev_col } else { p.character };
                out.push(lsp::SemanticToken {
                    delta_line,
                    delta_start,
                    length,
                    token_type: t.token_type as u32,
                    token_modifiers_bitset: t.modifiers,
                });
                (prev_line, prev_col) = (p.line, p.character);
            }
            start = line_end + 1;
        }
    }
    out
}
