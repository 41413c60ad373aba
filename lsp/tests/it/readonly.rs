//! The server and the CLI never write: on a read-only copy (`chmod -R a-w`) of
//! `fixtures/home-ops` and of a hostile case, `check` (every format), `render`, `clusters`,
//! `ipam` and a server session with edits (didChange, never saved) all succeed, and afterwards
//! every file, folder and link is as it was (content, modification time, mode) and nothing
//! new appeared. Where strace works, `check` and the server also run traced: no `open` for
//! writing, no create, rename, unlink, mkdir or chmod, no socket, no program started.
//!
//! Running as root, permissions do not stop a write; the before/after comparison and the
//! trace still catch one.
#![cfg(unix)]

use crate::common;
use common::lsp::*;
use common::*;
use serde_json::json;
use std::path::Path;
use std::time::Duration;

/// Manifests of `root` holding `${` (render has something to do there), sorted.
fn substituted_files(root: &Path) -> Vec<String> {
    let state = tree_state(root);
    state
        .iter()
        .filter(|(p, (kind, content, _, _))| {
            *kind == "file" && p.extension().is_some_and(|e| e == "yaml") && content.windows(2).any(|w| w == b"${")
        })
        .map(|(p, _)| p.to_string_lossy().into_owned())
        .collect()
}

/// Everything the binary does on `root`, `expect_check` being check's exit code.
fn exercise(root: &Path, clusters: &[&str], expect_check: i32) {
    let r = root.to_str().unwrap();
    for format in ["human", "json", "sarif", "github"] {
        let o = run(&["check", r, "--format", format], None);
        assert_eq!(o.code, expect_check, "check --format {format}: {}{}", o.stdout, o.stderr);
    }
    for cmd in ["clusters", "ipam"] {
        let o = run(&[cmd, r], None);
        assert_eq!(o.code, 0, "{cmd}: {}", o.stderr);
    }
    let files = substituted_files(root);
    let mut rendered = 0;
    for f in files.iter().take(12) {
        for c in clusters {
            let o = run(&["render", "--root", r, "--cluster", c, root.join(f).to_str().unwrap()], None);
            assert!(o.code == 0 || o.code == 2, "render {f} --cluster {c}: {}", o.stderr);
            assert!(!o.stderr.contains("panicked"), "render {f}: {}", o.stderr);
            rendered += usize::from(o.code == 0);
        }
    }
    assert!(files.is_empty() || rendered > 0, "nothing rendered");
    // Traced: nothing written, nothing outside read, no network, no program.
    if let Some((o, trace)) = strace_run(&["check", ".", "--format", "json"], root) {
        assert_eq!(o.code, expect_check, "{}", o.stderr);
        assert_confined(&trace, root);
    }
    server_session(root, &files);
}

/// A server session: open documents, edit them (never saved), ask hover, completion, inlay
/// hints and a render, shut down. Under strace when it works.
fn server_session(root: &Path, files: &[String]) {
    let log = tempfile::NamedTempFile::new().unwrap();
    let traced = strace_works();
    let wrapper = if traced { strace_prefix(log.path()) } else { Vec::new() };
    let mut c = LspClient::start_opts(root, StartOptions { capture_stderr: true, wrapper, ..Default::default() });
    c.wait_indexed();
    for f in files.iter().take(4) {
        let uri = c.open(f);
        for i in 0..25u32 {
            c.edit(f, (i % 7, 0), (i % 7, 0), if i % 3 == 0 { "  x: \"${CLUSTER}\"\n" } else { "#" });
        }
        for (method, params) in [
            ("textDocument/hover", json!({"textDocument": {"uri": uri}, "position": {"line": 3, "character": 4}})),
            (
                "textDocument/completion",
                json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 10}}),
            ),
            (
                "textDocument/inlayHint",
                json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 200, "character": 0}}}),
            ),
            ("workspace/executeCommand", json!({"command": "gitops-lsp.clusters", "arguments": []})),
        ] {
            let r = c.request_raw(method, params);
            assert!(r.get("error").is_none(), "{method} on {f}: {r}");
        }
    }
    c.settle(Duration::from_millis(300));
    assert!(!c.all_diagnostics().is_empty() || files.is_empty(), "the edits were analysed");
    let stderr = c.stderr_text();
    assert_eq!(c.shutdown(), 0, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    if traced {
        assert_confined(&read_trace(log.path(), root), root);
    }
}

/// Copies `from` into a temporary folder, makes it read-only, runs `f` on the copy (at
/// `sub`), and checks that nothing in the copy changed.
fn on_read_only_copy(from: &Path, sub: &str, f: impl FnOnce(&Path)) {
    let tmp = fast_temp_dir();
    let copy = tmp.path().join("repo-copy");
    copy_tree(from, &copy);
    set_read_only(&copy, true);
    let before = tree_state(&copy);
    let root = copy.join(sub);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&root)));
    let after = tree_state(&copy);
    set_read_only(&copy, false);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e);
    }
    let changed: Vec<_> = before.iter().filter(|(p, s)| after.get(*p) != Some(s)).map(|(p, _)| p).collect();
    let appeared: Vec<_> = after.keys().filter(|p| !before.contains_key(*p)).collect();
    assert!(changed.is_empty(), "changed: {changed:?}");
    assert!(appeared.is_empty(), "appeared: {appeared:?}");
    assert!(before.len() > 5, "the copy holds the fixture");
}

#[test]
fn home_ops_read_only() {
    on_read_only_copy(&fixture("home-ops"), "", |root| exercise(root, &["infra", "apps"], 0));
}

#[test]
fn a_hostile_repository_read_only() {
    // Links out of the repository and loops: the copy keeps them as links.
    on_read_only_copy(&fixture("hostile/symlinks"), "repo", |root| {
        exercise(root, &["dev"], 1);
        let k = "kubernetes/apps/app/kustomization.yaml";
        server_session(root, &[k.to_string(), "kubernetes/apps/app/configmap.yaml".to_string()]);
    });
}
