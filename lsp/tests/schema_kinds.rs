//! Every kind of the schema catalog through the real binary: `check` reports an unknown field
//! on it, and the server completes the keys of its `spec` and shows a key's documentation.

mod common;
use common::lsp::*;
use common::*;
use serde_json::json;

struct Case {
    file: String,
    kind: String,
    first_spec_key: Option<String>,
}

fn repo_with_every_kind() -> (tempfile::TempDir, Vec<Case>) {
    let cat = gitops_lsp::schema::catalog();
    let mut files: Vec<(String, String)> = Vec::new();
    let mut cases = Vec::new();
    let mut resources = String::from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
    for (i, k) in cat.kinds.iter().enumerate() {
        if k.kind == "Kustomization" && k.group == "kustomize.config.k8s.io" || k.kind == "Component" {
            continue; // kustomize's own files are not resources
        }
        let av = k.api_versions().next().unwrap();
        let ns = if k.namespaced { "\n  namespace: default" } else { "" };
        let spec = k.schema.prop("spec");
        let first_spec_key = spec.and_then(|s| cat.resolve(s).1.props.first().map(|(n, _)| n.to_string()));
        let mut text =
            format!("apiVersion: {av}\nkind: {}\nmetadata:\n  name: kind-{i}{ns}\nnotAField: true\n", k.kind);
        if first_spec_key.is_some() {
            text.push_str("spec:\n  \n");
        }
        let file = format!("kubernetes/apps/app/k{i}.yaml");
        resources.push_str(&format!("  - k{i}.yaml\n"));
        cases.push(Case { file: file.clone(), kind: k.kind.clone(), first_spec_key });
        files.push((file, text));
    }
    resources.push_str("  - configmap.yaml\n");
    files.push(("kubernetes/apps/app/kustomization.yaml".into(), resources));
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, t)| (p.as_str(), t.as_bytes())).collect();
    (mini_repo(&refs), cases)
}

#[test]
fn every_catalog_kind_is_checked_completed_and_documented() {
    let (repo, cases) = repo_with_every_kind();
    assert!(cases.len() >= 40, "only {} kinds", cases.len());
    // Check: the unknown top-level field of each kind (line 4 or 5, after metadata).
    let (_, diags) = check_json(repo.path(), &[]);
    for c in &cases {
        let hit = diags.iter().any(|d| {
            d["code"] == "unknown-field"
                && d["file"] == c.file.as_str()
                && d["message"].as_str().unwrap().contains("notAField")
        });
        assert!(
            hit,
            "no unknown-field for {} in {}: {:?}",
            c.kind,
            c.file,
            summary(&diags).iter().filter(|s| s.contains(&c.file)).collect::<Vec<_>>()
        );
    }
    // The server: completion inside `spec`, hover on the `metadata` key.
    let mut lsp = LspClient::start(repo.path());
    lsp.wait_indexed();
    for c in &cases {
        let uri = lsp.uri(&c.file);
        let text = std::fs::read_to_string(repo.path().join(&c.file)).unwrap();
        if let Some(key) = &c.first_spec_key {
            let line = text.lines().count() as u32 - 1;
            let r = lsp.request(
                "textDocument/completion",
                json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": 2}}),
            );
            let labels: Vec<&str> = r["items"]
                .as_array()
                .map(|a| a.iter().map(|i| i["label"].as_str().unwrap()).collect())
                .unwrap_or_default();
            assert!(labels.contains(&key.as_str()), "{}: completion in spec lacks `{key}`: {labels:?}", c.kind);
        }
        let r = lsp.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 2}}),
        );
        let md = r["contents"]["value"].as_str().unwrap_or("");
        assert!(md.contains("metadata"), "{}: no hover on `metadata`: {r}", c.kind);
    }
}
