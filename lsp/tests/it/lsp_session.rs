//! The language server driven over stdio JSON-RPC: lifecycle, sync, live diagnostics.

use crate::common;
use common::lsp::*;
use common::*;
use serde_json::json;
use std::time::Duration;

fn diags_equal_check(c: &mut LspClient) {
    c.settle(Duration::from_millis(300));
    assert_eq!(c.all_diagnostics(), check_tuples(&c.root), "server diagnostics differ from `check`");
}

#[test]
fn initialize_reports_progress_and_publishes_what_check_reports() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("defects/missing-path"), dir.path());
    let mut c = LspClient::start(dir.path());
    c.wait_indexed();
    let kinds: Vec<String> = c
        .notifications
        .iter()
        .filter(|n| n["method"] == "$/progress")
        .map(|n| n["params"]["value"]["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds.first().map(String::as_str), Some("begin"));
    assert!(kinds.iter().any(|k| k == "report"));
    c.wait_until("diagnostics", |c| c.diagnostics.len() == 2);
    diags_equal_check(&mut c);
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn home_ops_has_no_diagnostics_and_requests_answer_during_indexing() {
    let mut c = LspClient::start(&fixture("home-ops"));
    // Answered at once from what is known, even before indexing ends.
    let uri = c.uri("kubernetes/clusters/infra/cluster-settings.yaml");
    let r = c.request_raw(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
    );
    assert!(r.get("error").is_none() || r["error"]["code"] == -32601, "{r}");
    c.wait_indexed();
    c.settle(Duration::from_millis(400));
    assert!(c.all_diagnostics().is_empty(), "{:?}", c.all_diagnostics());
}

#[test]
fn edits_update_diagnostics_with_versions_and_clear_when_fixed() {
    let repo = mini_repo(&[]);
    let mut c = LspClient::start(repo.path());
    c.wait_indexed();
    c.settle(Duration::from_millis(200));
    assert!(c.all_diagnostics().is_empty());
    let rel = "kubernetes/apps/app/configmap.yaml";
    let uri = c.open(rel);
    // `  name: "${APP_NAME}"` is line 6; rename the use to an undefined variable.
    let v = c.edit(rel, (6, 19), (6, 19), "X");
    c.wait_until("undefined-variable", |c| c.codes(rel) == ["undefined-variable"]);
    assert_eq!(c.diagnostics[&uri]["version"], json!(v));
    let v = c.edit(rel, (6, 19), (6, 20), "");
    c.wait_until("cleared", |c| c.codes(rel).is_empty() && c.diagnostics.contains_key(&uri));
    // The clearing publish carries the version it was computed for, too.
    assert_eq!(c.diagnostics[&uri]["version"], json!(v));
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn settings_edit_updates_the_files_that_use_the_variable() {
    let repo = mini_repo(&[]);
    let mut c = LspClient::start(repo.path());
    c.wait_indexed();
    let settings = "kubernetes/clusters/dev/cluster-settings.yaml";
    c.open(settings);
    // Line 6 is `  APP_NAME: "hello"`: rename the key.
    c.edit(settings, (6, 2), (6, 10), "APP_TITLE");
    c.wait_until("a diagnostic in the user of the variable", |c| {
        c.codes("kubernetes/apps/app/configmap.yaml") == ["undefined-variable"]
    });
    c.edit(settings, (6, 2), (6, 11), "APP_NAME");
    c.wait_until("cleared", |c| c.codes("kubernetes/apps/app/configmap.yaml").is_empty());
}

#[test]
fn deleting_a_folder_turns_the_path_red_and_new_files_are_picked_up() {
    let repo = mini_repo(&[]);
    let mut c = LspClient::start(repo.path());
    c.wait_indexed();
    let app = repo.path().join("kubernetes/apps/app");
    std::fs::remove_dir_all(&app).unwrap();
    let app_uri = uri_of(&app.canonicalize().unwrap_or(c.root.join("kubernetes/apps/app")));
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": app_uri, "type": 3}]}));
    c.wait_until("missing-path", |c| c.codes("kubernetes/clusters/dev/apps.yaml") == ["missing-path"]);
    // Recreate it with a new file: a watcher event for the folder reads what is inside.
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - new.yaml\n",
    )
    .unwrap();
    std::fs::write(
        app.join("new.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new\ndata:\n  a: \"${NEW_VAR}\"\n",
    )
    .unwrap();
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": c.uri("kubernetes/apps/app"), "type": 1}]}));
    c.wait_until("new file analysed", |c| c.codes("kubernetes/apps/app/new.yaml") == ["undefined-variable"]);
    assert!(c.codes("kubernetes/clusters/dev/apps.yaml").is_empty());
    diags_equal_check(&mut c);
}

#[test]
fn closed_documents_fall_back_to_disk() {
    let repo = mini_repo(&[]);
    let mut c = LspClient::start(repo.path());
    c.wait_indexed();
    let rel = "kubernetes/apps/app/configmap.yaml";
    let uri = c.open(rel);
    c.edit(rel, (6, 19), (6, 19), "X");
    c.wait_until("undefined", |c| c.codes(rel) == ["undefined-variable"]);
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
    c.wait_until("back to the disk text", |c| c.codes(rel).is_empty() && c.diagnostics.contains_key(&uri));
}

#[test]
fn utf16_positions_with_non_ascii_text() {
    // A line with characters outside the BMP before the edit point.
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\ndata:\n  name: \"😀é ${APP_NAME}\"\n";
    let repo = mini_repo(&[("kubernetes/apps/app/configmap.yaml", cm.as_bytes())]);
    let mut c = LspClient::start(repo.path());
    c.wait_indexed();
    let rel = "kubernetes/apps/app/configmap.yaml";
    c.open(rel);
    // `  name: "😀é ${APP_NAME}"`: 😀 is 2 UTF-16 units; `${` starts at 2+6+1+2+1+1 = 13; the name at 15.
    c.edit(rel, (6, 15), (6, 18), "");
    c.wait_until("undefined", |c| c.codes(rel) == ["undefined-variable"]);
    let d = &c.diagnostics[&c.uri(rel)]["diagnostics"][0];
    assert_eq!(d["range"]["start"], json!({"line": 6, "character": 13}));
    assert!(d["message"].as_str().unwrap().contains("${_NAME}"), "{d}");
    // The same text on disk gives the same diagnostics through `check`.
    std::fs::write(repo.path().join(rel), cm.replace("${APP_NAME}", "${_NAME}")).unwrap();
    diags_equal_check(&mut c);
}

#[test]
fn bad_requests_never_kill_the_server() {
    let _heavy = heavy();
    let repo = mini_repo(&[]);
    let mut c = LspClient::start(repo.path());
    c.wait_indexed();
    let ghost = c.uri("nope.yaml");
    // didChange before didOpen, unknown documents, positions past the end.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": ghost, "version": 2}, "contentChanges": [{"text": "x"}]}),
    );
    let r = c.request_raw(
        "textDocument/hover",
        json!({"textDocument": {"uri": ghost}, "position": {"line": 999, "character": 999}}),
    );
    assert!(r.get("result").is_some_and(|v| v.is_null()) || r.get("error").is_some(), "{r}");
    let rel = "kubernetes/apps/app/configmap.yaml";
    c.open(rel);
    // An edit whose range lies past the end, and an out-of-order version.
    c.notify("textDocument/didChange", json!({"textDocument": {"uri": c.uri(rel), "version": 5}, "contentChanges": [{"range": {"start": {"line": 500, "character": 0}, "end": {"line": 501, "character": 0}}, "text": "zzz"}]}));
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": c.uri(rel), "version": 3}, "contentChanges": [{"text": "garbage: ["}]}),
    );
    // A 20 MB paste.
    let big = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n{}",
        "  k: \"v\"\n".repeat(20 * 1024 * 1024 / 9)
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": c.uri(rel), "version": 9}, "contentChanges": [{"text": big}]}),
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": c.uri(rel), "version": 10}, "contentChanges": [{"text": "a: [\n\tb: {"}]}),
    );
    c.wait_until("syntax error on the last text", |c| c.codes(rel).iter().any(|x| x == "yaml-syntax"));
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn version_and_help_flags() {
    let r = run(&["--version"], None);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("gitops-lsp "), "{}", r.stdout);
    let r = run(&["--help"], None);
    assert!(r.stdout.contains("check") && r.stdout.contains("serve"), "{}", r.stdout);
}

/// An edit that changes what other files show (a substitution source: the project changes)
/// asks the editor for new semantic tokens and inlay hints; an edit of a value inside one
/// file (the project is kept) does not, since the editor re-asks for that file anyway.
#[test]
fn refreshes_follow_project_changes_only() {
    let repo = mini_repo(&[]);
    let mut c = LspClient::start(repo.path());
    c.wait_indexed();
    c.open("kubernetes/apps/app/configmap.yaml");
    c.open("kubernetes/clusters/dev/cluster-settings.yaml");
    c.settle(Duration::from_millis(300));
    let count = |c: &LspClient| c.server_requests.iter().filter(|m| *m == "workspace/semanticTokens/refresh").count();
    let before = count(&c);
    // `name: "${APP_NAME}"` -> `name: "${APP_NAME} x"`: a value in a leaf file.
    c.edit("kubernetes/apps/app/configmap.yaml", (6, 20), (6, 20), " x");
    c.settle(Duration::from_millis(400));
    assert_eq!(count(&c), before, "a leaf edit keeps the project: no refresh");
    // Rename the key the app reads: the source changed.
    c.edit("kubernetes/clusters/dev/cluster-settings.yaml", (6, 2), (6, 5), "APX");
    c.wait_until("semantic tokens refresh", |c| count(c) > before);
    c.wait_until("inlay hint refresh", |c| c.server_requests.iter().any(|m| m == "workspace/inlayHint/refresh"));
    c.wait_until("undefined-variable", |c| {
        c.codes("kubernetes/apps/app/configmap.yaml").iter().any(|x| x == "undefined-variable")
    });
}

/// With many variables, completion sends labels and one-line details at once and each
/// documentation on `completionItem/resolve` (value per cluster and its source).
#[test]
fn completion_resolves_variable_documentation_lazily() {
    let mut settings =
        String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\ndata:\n  APP_NAME: \"hello\"\n");
    for i in 0..80 {
        settings.push_str(&format!("  LB_IP_APP{i}: \"10.0.0.{i}\"\n"));
    }
    let repo = mini_repo(&[("kubernetes/clusters/dev/cluster-settings.yaml", settings.as_bytes())]);
    let mut c = LspClient::start(repo.path());
    c.wait_indexed();
    let rel = "kubernetes/apps/app/configmap.yaml";
    c.open(rel);
    // `  name: "${APP_NAME}"`: complete right after `${`.
    let r = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": c.uri(rel)}, "position": {"line": 6, "character": 11}}),
    );
    let items = r["items"].as_array().unwrap();
    let item = items.iter().find(|i| i["label"] == "LB_IP_APP7").expect("LB_IP_APP7 offered");
    assert!(item["documentation"].is_null(), "documentation left for resolve: {item}");
    assert_eq!(item["detail"], "dev: 10.0.0.7", "{item}");
    let resolved = c.request("completionItem/resolve", item.clone());
    let doc = resolved["documentation"]["value"].as_str().unwrap_or_default();
    assert!(doc.contains("10.0.0.7") && doc.contains("cluster-settings"), "{resolved}");
    assert_eq!(resolved["label"], "LB_IP_APP7");
    assert_eq!(r["isIncomplete"], false, "81 variables fit in one list");
}

/// Hundreds of variables: the list holds those that start with what is typed, at most 200,
/// and says it is incomplete when capped (the editor asks again as the user types).
#[test]
fn completion_caps_long_variable_lists_by_prefix() {
    let mut settings =
        String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\ndata:\n  APP_NAME: \"hello\"\n");
    for i in 0..300 {
        settings.push_str(&format!("  LB_IP_APP{i}: \"10.0.{}.{}\"\n", i / 250, i % 250));
    }
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\ndata:\n  name: \"${LB_IP_APP29}\"\n";
    let repo = mini_repo(&[
        ("kubernetes/clusters/dev/cluster-settings.yaml", settings.as_bytes()),
        ("kubernetes/apps/app/configmap.yaml", cm.as_bytes()),
    ]);
    let mut c = LspClient::start(repo.path());
    c.wait_indexed();
    let rel = "kubernetes/apps/app/configmap.yaml";
    c.open(rel);
    let uri = c.uri(rel);
    let at = |character: u32| json!({"textDocument": {"uri": uri}, "position": {"line": 6, "character": character}});
    let all = c.request("textDocument/completion", at(11));
    assert_eq!(all["items"].as_array().unwrap().len(), 200);
    assert_eq!(all["isIncomplete"], true);
    // `${LB_IP_APP29|`: the eleven that start with it, complete.
    let some = c.request("textDocument/completion", at(22));
    let mut labels: Vec<&str> =
        some["items"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    labels.sort();
    assert_eq!(labels.len(), 11, "{labels:?}");
    assert!(labels.iter().all(|l| l.starts_with("LB_IP_APP29")), "{labels:?}");
    assert_eq!(some["isIncomplete"], false);
}
