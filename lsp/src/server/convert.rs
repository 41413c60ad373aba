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
