//! Every kind of the schema catalog through the real binary: `check` reports an unknown field
//! on it, and the server completes the keys of its `spec` and shows, on a nested key of that
//! kind, the key's own description, type, enum values and default.

use crate::common;
use common::lsp::*;
use common::*;
use serde_json::json;

struct Case {
    file: String,
    kind: String,
    first_spec_key: Option<String>,
    /// A file with a nested key of this kind, its line and what hover must show.
    nested: Option<Nested>,
}

struct Nested {
    file: String,
    line: u32,
    column: u32,
    key: String,
    must_show: Vec<String>,
}

/// One step of a key path: a key, or an item of the array above.
#[derive(Clone)]
enum Seg {
    Key(String),
    Item,
}

/// The deepest key path (objects and arrays of objects, up to four keys, not apiVersion,
/// kind or metadata) that ends on a documented scalar, preferring one with an enum or a
/// default; with a value for it and what hover must show.
fn nested_key(
    cat: &gitops_lsp::schema::Catalog,
    root: &gitops_lsp::schema::Schema,
) -> Option<(Vec<Seg>, String, Vec<String>)> {
    use gitops_lsp::schema::Ty;
    let mut best: Option<(usize, Vec<Seg>, String, Vec<String>)> = None;
    let mut stack: Vec<(Vec<Seg>, &gitops_lsp::schema::Schema)> = vec![(vec![], root)];
    while let Some((path, s)) = stack.pop() {
        let (_, s) = cat.resolve(s);
        let keys = path.iter().filter(|x| matches!(x, Seg::Key(_))).count();
        for (k, f) in &s.props {
            if path.is_empty() && matches!(&**k, "apiVersion" | "kind" | "metadata") {
                continue;
            }
            let (doc, r) = cat.resolve(f);
            let mut p = path.clone();
            p.push(Seg::Key(k.to_string()));
            if keys < 3 && r.ty == Ty::Object && !r.props.is_empty() {
                stack.push((p.clone(), f));
            }
            if let (true, Some(item)) = (keys < 3 && r.ty == Ty::Array, r.items.as_deref()) {
                if cat.resolve(item).1.ty == Ty::Object {
                    let mut q = p.clone();
                    q.push(Seg::Item);
                    stack.push((q, item));
                }
            }
            if !r.ty.is_scalar() || doc.is_empty() {
                continue;
            }
            let default = f.default.as_ref().or(r.default.as_ref());
            let value = r.enum_values.first().map(|e| e.to_string()).unwrap_or_else(|| match r.ty {
                Ty::Integer | Ty::Number | Ty::IntOrString | Ty::Quantity => "1".into(),
                Ty::Boolean => "true".into(),
                Ty::Duration => "1m".into(),
                _ => "x".into(),
            });
            let mut must = vec![doc.to_string(), f.type_label(cat)];
            must.extend(r.enum_values.iter().map(|e| format!("`{e}`")));
            if let Some(d) = default {
                must.push(format!("Default: `{d}`"));
            }
            let score = keys + 1 + if r.enum_values.is_empty() && default.is_none() { 0 } else { 10 };
            if best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, p, value, must));
            }
        }
    }
    best.map(|(_, p, v, m)| (p, v, m))
}

/// YAML lines for a key path ending in `value`; the leaf key's line and column.
fn write_path(path: &[Seg], value: &str, out: &mut String) -> (u32, u32) {
    let (mut indent, mut dash, mut at) = (0usize, false, (0, 0));
    for (i, seg) in path.iter().enumerate() {
        match seg {
            Seg::Item => dash = true,
            Seg::Key(k) => {
                let col = indent + if dash { 2 } else { 0 };
                let lead = format!("{}{}", " ".repeat(indent), if dash { "- " } else { "" });
                at = (out.lines().count() as u32, col as u32);
                if i + 1 == path.len() {
                    out.push_str(&format!("{lead}{k}: {value}\n"));
                } else {
                    out.push_str(&format!("{lead}{k}:\n"));
                }
                dash = false;
                indent = col + 2;
            }
        }
    }
    at
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
        let nested = nested_key(cat, &k.schema).map(|(path, value, must_show)| {
            let mut t = format!("apiVersion: {av}\nkind: {}\nmetadata:\n  name: nested-{i}{ns}\n", k.kind);
            let (line, col) = write_path(&path, &value, &mut t);
            let file = format!("kubernetes/apps/app/nested/n{i}.yaml");
            files.push((file.clone(), t));
            let Some(Seg::Key(key)) = path.last().cloned() else { unreachable!() };
            Nested { file, line, column: col + 1, key, must_show }
        });
        cases.push(Case { file: file.clone(), kind: k.kind.clone(), first_spec_key, nested });
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
    let mut nested = 0;
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
        // Hover on a nested key of this kind: its own doc, type, enum and default.
        if let Some(n) = &c.nested {
            let r = lsp.request(
                "textDocument/hover",
                json!({"textDocument": {"uri": lsp.uri(&n.file)}, "position": {"line": n.line, "character": n.column}}),
            );
            let md = r["contents"]["value"].as_str().unwrap_or("");
            assert!(md.starts_with(&format!("**{}**", n.key)), "{}: hover on `{}`: {r}", c.kind, n.key);
            for want in &n.must_show {
                assert!(md.contains(want.as_str()), "{}: hover on `{}` lacks {want:?}: {md}", c.kind, n.key);
            }
            nested += 1;
        }
    }
    // Nearly every kind has a documented field besides apiVersion, kind and metadata.
    assert!(nested * 10 >= cases.len() * 9, "only {nested} of {} kinds had a field to hover", cases.len());
}
