//! Secret values are never shown: not in hover, inlay hints, completion, `render` (CLI and
//! the `gitops-lsp.render` command), `check` in any format, or the server's log and messages.
//!
//! The fixture `fixtures/hostile/secrets` feeds variables from a plain Secret (`stringData`
//! and base64 `data`), a SOPS-encrypted Secret (`ENC[...]` values, a `sops:` block with mac,
//! lastmodified and an age recipient) and a `secretGenerator` (literal and env file) into one
//! Flux Kustomization, and uses them everywhere. Every secret value holds a unique marker;
//! no marker, nor its base64 form, may appear in any output. `--show-secrets` is the one way
//! to see them, and the control test checks that it does (so the markers are reachable).

use crate::common;
use common::lsp::*;
use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The secret values written in the fixture (the base64 one as written and decoded).
const MARKERS: &[&str] = &[
    "mkr-stringdata-pw-H3k9",
    "mkr-shadow-J6p4",
    "mkr-badkey-N2c7",
    "7391528460",
    "mkr-multi-line1-W4",
    "mkr-multi-line2-Z8",
    "mkr-data-token-R8v2K",
    "bWtyLWRhdGEtdG9rZW4tUjh2Mks",
    "mkrSopsData4Xq",
    "mkrSopsIv8Yh",
    "mkrSopsTag2Wd",
    "mkrSopsAgeBlob5Rt",
    "mkrSopsMac7Lp",
    "mkrSopsMacIv3",
    "mkrSopsMacTag",
    "mkr-genlit-B5t3",
    "mkr-genenv-C9m1",
    "mkr-app-pw-F1r6",
    "mkr-app-broken-V3n8",
    "mkr-app-required-L2s5",
    "mkr-app-msg-D4g7",
    "mkr-notbase64-K7",
    "mkr-app-default-P9q2",
    "mkr-app-alt-U6e1",
    "mkr-app-composed-Y3h5",
];

fn root() -> PathBuf {
    fixture("hostile/secrets").canonicalize().unwrap()
}

fn base64(s: &str) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for ch in b.chunks(3) {
        let n =
            (u32::from(ch[0]) << 16) | (u32::from(*ch.get(1).unwrap_or(&0)) << 8) | u32::from(*ch.get(2).unwrap_or(&0));
        for i in 0..=ch.len() {
            out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
        }
    }
    out
}

/// Each marker and its base64 form (without padding, so a prefix match is enough).
fn forbidden() -> Vec<String> {
    let mut v = Vec::new();
    for m in MARKERS {
        v.push(m.to_string());
        v.push(base64(m));
    }
    v
}

/// Every place a marker was seen (so one run reports them all).
#[derive(Default)]
struct Leaks(Vec<String>);

impl Leaks {
    fn check(&mut self, what: &str, text: &str) {
        // One report per place: the first marker found, with some context.
        if let Some((m, at)) = forbidden().into_iter().find_map(|m| text.find(&m).map(|at| (m, at))) {
            let floor = |mut i: usize| {
                while !text.is_char_boundary(i) {
                    i -= 1;
                }
                i
            };
            let from = floor(at.saturating_sub(200));
            let to = floor((at + m.len() + 200).min(text.len()));
            self.0.push(format!("`{m}` in {what}: …{}…", &text[from..to]));
        }
    }
    #[track_caller]
    fn assert_none(&self) {
        assert!(self.0.is_empty(), "{} secret values shown:\n{}", self.0.len(), self.0.join("\n\n"));
    }
}

/// Every file of the fixture, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

fn manifests(dir: &Path) -> Vec<String> {
    files(dir).into_iter().filter(|f| f.ends_with(".yaml")).collect()
}

#[test]
fn every_marker_is_a_secret_value_of_the_fixture() {
    let dir = root();
    let all: String = files(&dir).iter().map(|f| std::fs::read_to_string(dir.join(f)).unwrap()).collect();
    for m in MARKERS {
        assert!(all.contains(m) || all.contains(&base64(m)), "marker `{m}` is not in the fixture any more");
    }
    // The fixture is read as intended: the secret sources exist and feed variables.
    let (_, diags) = check_json(&dir, &[]);
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(!codes.contains(&"substitution-source-missing"), "{diags:?}");
    assert!(!codes.contains(&"undefined-variable"), "{diags:?}");
}

#[test]
fn show_secrets_is_the_only_way_to_see_them() {
    let dir = root();
    let cm = dir.join("kubernetes/apps/app/configmap.yaml");
    let r = run(
        &["render", "--cluster", "dev", "--show-secrets", "--root", dir.to_str().unwrap(), cm.to_str().unwrap()],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for m in ["mkr-stringdata-pw-H3k9", "mkr-data-token-R8v2K", "mkr-genlit-B5t3", "mkr-genenv-C9m1"] {
        assert!(r.stdout.contains(m), "--show-secrets does not show `{m}`:\n{}", r.stdout);
    }
}

#[test]
fn check_never_shows_a_secret_value() {
    let dir = root();
    let mut leaks = Leaks::default();
    for format in ["human", "json", "sarif", "github"] {
        let r = run(&["check", ".", "--format", format], Some(&dir));
        assert_eq!(r.code, 1, "the fixture has errors ({format}): {}{}", r.stdout, r.stderr);
        leaks.check(&format!("check --format {format}"), &r.stdout);
        leaks.check(&format!("check --format {format} (stderr)"), &r.stderr);
    }
    leaks.assert_none();
    // The diagnostics on Secret files are still there, only without the values.
    let (_, diags) = check_json(&dir, &[]);
    let on = |file: &str, code: &str| diags.iter().any(|d| d["file"] == file && d["code"] == code);
    assert!(on("kubernetes/clusters/dev/cluster-secrets.yaml", "invalid-variable-name"), "{diags:?}");
    assert!(on("kubernetes/clusters/dev/cluster-secrets.yaml", "wrong-type"), "{diags:?}");
    assert!(on("kubernetes/apps/app/app-secret.yaml", "unsupported-substitution"), "{diags:?}");
}

#[test]
fn other_commands_never_show_a_secret_value() {
    let dir = root();
    let mut leaks = Leaks::default();
    for f in manifests(&dir) {
        let r =
            run(&["render", "--cluster", "dev", "--root", dir.to_str().unwrap(), dir.join(&f).to_str().unwrap()], None);
        leaks.check(&format!("render {f}"), &r.stdout);
        leaks.check(&format!("render {f} (stderr)"), &r.stderr);
    }
    for cmd in ["clusters", "ipam"] {
        let r = run(&[cmd, dir.to_str().unwrap()], None);
        assert_eq!(r.code, 0, "{cmd}: {}", r.stderr);
        leaks.check(cmd, &format!("{}{}", r.stdout, r.stderr));
    }
    leaks.assert_none();
}

/// Every (line, UTF-16 column) of a text, the end of each line included.
fn positions(text: &str) -> Vec<(u32, u32)> {
    let mut v = Vec::new();
    for (l, line) in text.split('\n').enumerate() {
        let len: u32 = line.chars().map(|c| c.len_utf16() as u32).sum();
        for c in 0..=len {
            v.push((l as u32, c));
        }
    }
    v
}

fn pos(uri: &str, (line, character): (u32, u32)) -> Value {
    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
}

#[test]
fn the_server_never_shows_a_secret_value() {
    let dir = root();
    let mut leaks = Leaks::default();
    let mut c = LspClient::start_opts(
        &dir,
        StartOptions {
            init_options: json!({"logLevel": "debug", "cluster": "dev"}),
            args: vec!["--log-level".into(), "debug".into()],
            capture_stderr: true,
            transcript: true,
            ..Default::default()
        },
    );
    c.wait_indexed();
    let files = manifests(&dir);
    let mut texts = Vec::new();
    for f in &files {
        c.open(f);
        texts.push(std::fs::read_to_string(dir.join(f)).unwrap());
    }
    c.settle(Duration::from_millis(300));
    assert!(!c.all_diagnostics().is_empty(), "diagnostics were published");
    let mut hovers = 0;
    let mut completions = 0;
    let mut shown = 0;
    for (f, text) in files.iter().zip(&texts) {
        let uri = c.uri(f);
        let ps = positions(text);
        // Hover everywhere: every variable use, every secret key and value.
        let rs = c.request_many(ps.iter().map(|&p| ("textDocument/hover", pos(&uri, p))).collect());
        for (r, p) in rs.iter().zip(&ps) {
            assert!(r.get("error").is_none(), "hover {f}:{p:?} failed: {r}");
            shown += usize::from(!r["result"].is_null());
            leaks.check(&format!("hover at {f}:{p:?}"), &r.to_string());
        }
        hovers += ps.len();
        // Completion wherever a variable is written (`${` and inside the name).
        let at_vars: Vec<(u32, u32)> = ps
            .iter()
            .copied()
            .filter(|&(l, ch)| {
                let line = text.split('\n').nth(l as usize).unwrap_or("");
                let before: String = line.chars().take(ch as usize).collect();
                before.rfind("${").is_some_and(|i| !before[i..].contains('}'))
            })
            .collect();
        let rs = c.request_many(at_vars.iter().map(|&p| ("textDocument/completion", pos(&uri, p))).collect());
        for (r, p) in rs.iter().zip(&at_vars) {
            assert!(r.get("error").is_none(), "completion {f}:{p:?} failed: {r}");
            leaks.check(&format!("completion at {f}:{p:?}"), &r.to_string());
        }
        completions += at_vars.len();
        let lines = text.split('\n').count() as u32;
        let whole = json!({"start": {"line": 0, "character": 0}, "end": {"line": lines, "character": 0}});
        for (method, params) in [
            ("textDocument/inlayHint", json!({"textDocument": {"uri": uri}, "range": whole})),
            ("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}})),
            ("textDocument/codeLens", json!({"textDocument": {"uri": uri}})),
            ("textDocument/documentLink", json!({"textDocument": {"uri": uri}})),
            ("workspace/executeCommand", json!({"command": "gitops-lsp.render", "arguments": [uri, "dev"]})),
        ] {
            let r = c.request_raw(method, params);
            leaks.check(&format!("{method} on {f}"), &r.to_string());
        }
    }
    assert!(shown > 50, "hover answered at {shown} places only");
    // Completion right after a new `${` in a file that reads the secret sources.
    let cm = "kubernetes/apps/app/configmap.yaml";
    let at = (texts[files.iter().position(|f| f == cm).unwrap()].lines().count() as u32, 0);
    c.edit(cm, at, at, "  typed: \"${");
    let r = c.request("textDocument/completion", pos(&c.uri(cm), (at.0, 12)));
    let labels: Vec<&str> = r["items"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"SECRET_PASSWORD") && labels.contains(&"GEN_ENV_SECRET"), "{labels:?}");
    leaks.check("completion after a new `${`", &r.to_string());
    for (method, params) in [
        ("workspace/symbol", json!({"query": ""})),
        ("workspace/executeCommand", json!({"command": "gitops-lsp.clusters", "arguments": []})),
        ("gitops-lsp/graph", json!({"cluster": "dev"})),
    ] {
        let r = c.request_raw(method, params);
        leaks.check(method, &r.to_string());
    }
    c.settle(Duration::from_millis(300));
    // What the server sent on its own (diagnostics, logMessage, progress…); the responses
    // were checked one by one above.
    let transcript: Vec<String> = c.transcript.clone().unwrap();
    let unasked: Vec<&String> = transcript.iter().filter(|m| m.contains("\"method\"")).collect();
    let stderr = c.stderr_text();
    assert_eq!(c.shutdown(), 0);
    eprintln!("{hovers} hovers, {completions} completions, {} messages", transcript.len());
    for m in unasked {
        leaks.check("a message from the server", m);
    }
    assert!(stderr.contains("[gitops-lsp"), "the debug log was captured: {stderr}");
    leaks.check("the server's log (stderr, debug level)", &stderr);
    leaks.assert_none();
}
