//! An edit storm through the real server over stdio: 10,000 random edits to open documents
//! of a copy of `fixtures/home-ops`, interleaved with documents opened and closed (saved or
//! not), files created and deleted on disk (announced with `workspace/didChangeWatchedFiles`),
//! and hover and completion requests, some of them cancelled (`$/cancelRequest`).
//!
//! Nothing waits for the server while the storm blows (edits go out in batches); every few
//! hundred operations the outstanding requests are collected, each within the client's
//! timeout: every request is answered, with a result or a cancellation error, never an
//! internal error, and the server never stops answering. At the end the open documents are
//! written to disk and the server's published diagnostics must equal `gitops-lsp check
//! --format json` on the files on disk (as `lsp_edit_property.rs` compares them).
//!
//! The random sequence is a seeded xorshift: the same storm every run. The counts and the
//! time are printed (`--nocapture`).

use crate::common;
use common::lsp::*;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

const EDITS: usize = 10_000;
const SEED: u64 = 0x005e_ed0f_ed17_5707;

/// Text typed into the documents: YAML structure, substitutions (good and broken), names
/// the repository defines, multi-byte characters, line breaks.
const SNIPPETS: &[&str] = &[
    "${",
    "}",
    "${CLUSTER}",
    "${SECRET_DOMAIN}",
    "${UNDEFINED_X}",
    "${VAR:=d}",
    "\n",
    "  ",
    ": ",
    "- ",
    "é",
    "😀",
    "[",
    "]",
    "{",
    "X_Y",
    "\"",
    "'",
    "name",
    "\r\n",
    "#",
    "---\n",
    "apiVersion: v1\n",
    "kind: ConfigMap\n",
    "dependsOn:\n",
    "  - name: cilium-core\n",
    "path: ./kubernetes/apps\n",
    "&a ",
    "*a",
    "<<: *a\n",
    "\t",
    "",
];

/// xorshift64*: small, deterministic, good enough to pick edits.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

fn yaml_files(root: &Path) -> Vec<String> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut v = Vec::new();
    walk(root, root, &mut v);
    v.sort();
    v
}

#[derive(Default, Debug)]
struct Counts {
    edits: usize,
    opened: usize,
    closed_saved: usize,
    closed_unsaved: usize,
    created: usize,
    deleted: usize,
    hovers: usize,
    completions: usize,
    cancel_sent: usize,
    answered: usize,
    cancelled: usize,
    other_errors: usize,
}

/// Collects the responses of every outstanding request; each must come within the client's
/// timeout. Cancellation (-32800) and "content modified" (-32801) are the only errors allowed.
fn collect(c: &mut LspClient, pending: &mut Vec<(i64, &'static str)>, n: &mut Counts) {
    for (id, method) in pending.drain(..) {
        let r = c.response(id).unwrap_or_else(|| panic!("{method} (id {id}) not answered: the server hangs"));
        match r["error"]["code"].as_i64() {
            None => n.answered += 1,
            Some(-32800) => n.cancelled += 1,
            Some(-32801) => n.other_errors += 1,
            Some(_) => panic!("{method} (id {id}) failed: {r}"),
        }
    }
}

#[test]
fn ten_thousand_edits_end_where_check_ends() {
    let _heavy = heavy();
    let dir = fast_temp_dir();
    copy_dir(&fixture("home-ops"), dir.path());
    let root = dir.path().canonicalize().unwrap();
    let start = Instant::now();
    let mut c = LspClient::start_opts(&root, StartOptions { capture_stderr: true, ..Default::default() });
    c.wait_indexed();
    // Another storm: EDIT_STORM_SEED=<number> (the failing seed is printed).
    let seed = std::env::var("EDIT_STORM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(SEED);
    let mut rng = Rng(seed.max(1));
    let mut n = Counts::default();
    // The server's view of each open document; the disk holds the rest.
    let mut open: BTreeMap<String, String> = BTreeMap::new();
    let mut pending: Vec<(i64, &'static str)> = Vec::new();
    let dirs: Vec<String> = {
        let mut d: Vec<String> =
            yaml_files(&root).iter().filter_map(|f| f.rsplit_once('/').map(|x| x.0.to_string())).collect();
        d.dedup();
        d
    };
    let mut created: Vec<String> = Vec::new();
    // The YAML files on disk.
    let mut files = yaml_files(&root);
    let mut step = 0usize;
    while n.edits < EDITS {
        step += 1;
        // Keep a handful of documents open.
        if open.len() < 3 || (open.len() < 12 && rng.chance(2)) {
            let f = rng.pick(&files).clone();
            if let std::collections::btree_map::Entry::Vacant(e) = open.entry(f) {
                let text = std::fs::read_to_string(root.join(e.key())).unwrap();
                c.open_text(e.key(), &text);
                e.insert(text);
                n.opened += 1;
            }
            continue;
        }
        let roll = rng.below(1000);
        if roll < 8 {
            // Close: saved (written to disk first, as an editor does) or not (back to disk).
            let f = rng.pick(&open.keys().cloned().collect::<Vec<_>>()).clone();
            let text = open.remove(&f).unwrap();
            let uri = c.uri(&f);
            if rng.chance(50) {
                std::fs::write(root.join(&f), &text).unwrap();
                c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": uri, "type": 2}]}));
                n.closed_saved += 1;
            } else {
                n.closed_unsaved += 1;
            }
            c.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
        } else if roll < 14 {
            // A new file on disk (a checkout, another tool), sometimes opened.
            let f = format!("{}/storm-{step}.yaml", rng.pick(&dirs));
            let text = format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: storm-{step}\n  namespace: default\ndata:\n  a: \"${{CLUSTER}}\"\n  b: \"${{STORM_{}}}\"\n",
                rng.below(3)
            );
            std::fs::write(root.join(&f), &text).unwrap();
            c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": c.uri(&f), "type": 1}]}));
            if rng.chance(50) {
                c.open_text(&f, &text);
                open.insert(f.clone(), text);
                n.opened += 1;
            }
            files.push(f.clone());
            created.push(f);
            n.created += 1;
        } else if roll < 19 {
            // A file deleted on disk: mostly one the storm made, sometimes one of the fixture.
            let f = if !created.is_empty() && rng.chance(70) {
                created.swap_remove(rng.below(created.len()))
            } else {
                rng.pick(&files).clone()
            };
            if root.join(&f).exists() {
                files.retain(|x| *x != f);
                std::fs::remove_file(root.join(&f)).unwrap();
                c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": c.uri(&f), "type": 3}]}));
                n.deleted += 1;
            }
        } else if roll < 60 {
            // Hover or completion somewhere in an open document; a quarter are cancelled.
            let f = rng.pick(&open.keys().cloned().collect::<Vec<_>>()).clone();
            let text = &open[&f];
            let at = position(text, rng.below(text.chars().count() + 1));
            let method = if rng.chance(50) { "textDocument/hover" } else { "textDocument/completion" };
            let id = c.send_request(
                method,
                json!({"textDocument": {"uri": c.uri(&f)}, "position": {"line": at.0, "character": at.1}}),
            );
            if method == "textDocument/hover" {
                n.hovers += 1;
            } else {
                n.completions += 1;
            }
            if rng.chance(25) {
                c.cancel(id);
                n.cancel_sent += 1;
            }
            pending.push((id, method));
        } else {
            // An edit: replace up to 6 characters at a random place with a snippet.
            let f = rng.pick(&open.keys().cloned().collect::<Vec<_>>()).clone();
            let snippet = *rng.pick(SNIPPETS);
            let text = open.get_mut(&f).unwrap();
            let at = rng.below(text.chars().count() + 1);
            let del = rng.below(7);
            let (s, e) = apply(text, at, del, snippet);
            c.edit(&f, s, e, snippet);
            n.edits += 1;
        }
        if pending.len() >= 64 {
            collect(&mut c, &mut pending, &mut n);
        }
    }
    collect(&mut c, &mut pending, &mut n);
    let stormed = start.elapsed();
    // The end state: every open document written to disk, so that the disk is what the
    // server sees; the server's diagnostics must come to equal check's.
    for (f, text) in &open {
        std::fs::write(root.join(f), text).unwrap();
    }
    // (An open document whose file was deleted is on disk again: announce it.)
    let back: Vec<Value> =
        open.keys().filter(|f| !files.contains(f)).map(|f| json!({"uri": c.uri(f), "type": 1})).collect();
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": back}));
    let deadline = Instant::now() + Duration::from_secs(60);
    let expected = check_tuples(&root);
    loop {
        c.settle(Duration::from_millis(500));
        let got = c.all_diagnostics();
        if got == expected {
            break;
        }
        if Instant::now() > deadline {
            let only_server: Vec<_> = got.iter().filter(|d| !expected.contains(d)).take(10).collect();
            let only_check: Vec<_> = expected.iter().filter(|d| !got.contains(d)).take(10).collect();
            panic!("seed {seed}: the server's diagnostics differ from check's:\nonly the server: {only_server:#?}\nonly check: {only_check:#?}");
        }
    }
    let stderr = c.stderr_text();
    let rss = peak_rss_of(c.pid());
    assert_eq!(c.shutdown(), 0, "the server did not exit cleanly");
    assert!(!stderr.contains("panicked"), "the server panicked: {stderr}");
    assert_eq!(n.edits, EDITS);
    assert_eq!(n.answered + n.cancelled + n.other_errors, n.hovers + n.completions, "{n:?}");
    assert!(n.created > 0 && n.deleted > 0 && n.closed_saved > 0 && n.closed_unsaved > 0, "{n:?}");
    eprintln!(
        "edit storm (seed {seed}): {} operations in {:.1} s (then {:.1} s to settle), server peak {} MiB; {n:?}; {} diagnostics at the end",
        step,
        stormed.as_secs_f64(),
        (start.elapsed() - stormed).as_secs_f64(),
        rss.unwrap_or(0) / 1024,
        expected.len()
    );
}
