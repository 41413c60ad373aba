//! Semantic tokens over stdio JSON-RPC on fixtures/home-ops: the legend in the capabilities,
//! `textDocument/semanticTokens/full` and `/range` decoded from LSP's relative encoding
//! (UTF-16 columns) back to the text they cover, and the refresh on a focus-cluster change.

use crate::common;
use common::lsp::*;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

/// One decoded token: 0-based line, the text it covers, type and modifier names.
#[derive(Debug, Clone, PartialEq)]
struct Tok {
    line: usize,
    text: String,
    kind: String,
    mods: Vec<String>,
}

/// Decodes `data` (5 numbers a token, lines and starts relative to the previous token, UTF-16
/// columns and lengths) against `text`.
fn decode(text: &str, data: &Value, legend: &Value) -> Vec<Tok> {
    let n: Vec<u64> = data.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert_eq!(n.len() % 5, 0, "{n:?}");
    let lines: Vec<&str> = text.split('\n').collect();
    let types = legend["tokenTypes"].as_array().unwrap();
    let modifiers = legend["tokenModifiers"].as_array().unwrap();
    let (mut line, mut col) = (0u64, 0u64);
    let mut out = Vec::new();
    for t in n.chunks(5) {
        if t[0] > 0 {
            line += t[0];
            col = t[1];
        } else {
            col += t[1];
        }
        let utf16: Vec<u16> = lines[line as usize].encode_utf16().collect();
        let end = (col + t[2]) as usize;
        assert!(end <= utf16.len(), "token past the end of line {line}: {t:?}");
        out.push(Tok {
            line: line as usize,
            text: String::from_utf16(&utf16[col as usize..end]).expect("token on UTF-16 boundaries"),
            kind: types[t[3] as usize].as_str().unwrap().to_string(),
            mods: (0..modifiers.len())
                .filter(|i| t[4] & (1 << i) != 0)
                .map(|i| modifiers[i].as_str().unwrap().to_string())
                .collect(),
        });
    }
    out
}

fn tok(line: usize, text: &str, kind: &str, mods: &[&str]) -> Tok {
    Tok { line, text: text.into(), kind: kind.into(), mods: mods.iter().map(|m| m.to_string()).collect() }
}

const HR: &str = "kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml";

#[test]
fn semantic_tokens_over_stdio() {
    let home = tempfile::tempdir().unwrap();
    copy_dir(&fixture("home-ops"), home.path());
    let mut c = LspClient::start(home.path());
    let init = c.request_raw("textDocument/semanticTokens/full", json!({"textDocument": {"uri": c.uri(HR)}}));
    // (A request before indexing is answered or null; what matters comes after.)
    assert!(init.get("error").is_none(), "{init}");
    c.wait_indexed();
    c.settle(Duration::from_millis(100));

    // The server's legend, as a client reads it from `initialize`.
    let legend = c.initialize_result["capabilities"]["semanticTokensProvider"].clone();
    assert_eq!(legend["full"], true);
    assert_eq!(legend["range"], true);
    let legend = legend["legend"].clone();

    // Non-ASCII text before tokens on one line (2- and 4-byte characters: UTF-16 columns differ
    // from bytes and from characters), a multi-line block scalar, an undefined variable, a
    // default and an escape.
    let text = std::fs::read_to_string(home.path().join(HR)).unwrap();
    let marker = "      id: ${CLUSTER_ID}\n";
    assert!(text.contains(marker));
    let edited = text.replacen(
        marker,
        &format!(
            "{marker}      note: \"é🚀 ${{CLUSTER}} ünd ${{NOT_DEFINED_ANYWHERE}}\"\n      \
             script: |\n        first line\n        echo ${{CLUSTER_ID:=0}} $$HOME\n          \
             and ${{NOT_SET:-x}}\n"
        ),
        1,
    );
    c.open_text(HR, &edited);
    c.settle(Duration::from_millis(200));
    let r = c.request("textDocument/semanticTokens/full", json!({"textDocument": {"uri": c.uri(HR)}}));
    let toks = decode(&edited, &r["data"], &legend);
    let line_of = |needle: &str| edited.lines().position(|l| l.contains(needle)).unwrap();
    let note = line_of("note: ");
    let echo = line_of("echo ${CLUSTER_ID");
    let and = line_of("and ${NOT_SET");
    for want in [
        tok(line_of("name: ${CLUSTER}"), "CLUSTER", "variable", &[]),
        tok(line_of("id: ${CLUSTER_ID}"), "CLUSTER_ID", "variable", &[]),
        tok(note, "CLUSTER", "variable", &[]),
        tok(note, "NOT_DEFINED_ANYWHERE", "variable", &["undefined"]),
        tok(echo, "CLUSTER_ID", "variable", &[]),
        tok(echo, ":=", "operator", &[]),
        tok(echo, "$$", "escapeSequence", &[]),
        tok(and, "NOT_SET", "variable", &["defaulted"]),
        tok(and, ":-", "operator", &[]),
    ] {
        assert!(toks.contains(&want), "missing {want:?} in {toks:#?}");
    }
    // Every `${NAME` of the file has its name token, and nothing else is a variable.
    let names = edited.matches("${").count() - edited.matches("$${").count();
    assert_eq!(toks.iter().filter(|t| t.kind == "variable").count(), names, "{toks:#?}");

    // A range: only the tokens of the lines asked for, encoded from the range's first token.
    let r = c.request(
        "textDocument/semanticTokens/range",
        json!({"textDocument": {"uri": c.uri(HR)}, "range": {"start": {"line": note, "character": 0}, "end": {"line": echo + 1, "character": 0}}}),
    );
    let ranged = decode(&edited, &r["data"], &legend);
    let expected: Vec<Tok> = toks.iter().filter(|t| t.line >= note && t.line <= echo).cloned().collect();
    assert_eq!(ranged, expected);
    assert!(!ranged.is_empty());

    // A focus-cluster change asks the editor to ask again (the modifiers follow it).
    c.notify("workspace/didChangeConfiguration", json!({"settings": {"gitops-lsp": {"cluster": "infra"}}}));
    c.wait_until("semantic tokens refresh", |c| {
        c.server_requests.iter().any(|m| m == "workspace/semanticTokens/refresh")
    });
}
