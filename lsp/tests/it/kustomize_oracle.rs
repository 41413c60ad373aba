//! Differential test of the build model against the real kustomize (`kubectl kustomize`):
//! for every folder with a kustomization.yaml in the fixtures, the objects the model places
//! (kind, namespace, name) equal what kustomize builds. Skips without kubectl, unless
//! GITOPS_LSP_REQUIRE_KUBECTL=1 (CI sets it).

use crate::common;
use common::*;
use gitops_lsp::analysis::Analysis;
use gitops_lsp::project::Placed;
use gitops_lsp::snapshot::Snapshot;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

type Key = (String, String, String);

fn kustomize(dir: &Path) -> Option<BTreeSet<Key>> {
    let out = Command::new("kubectl").args(["kustomize", dir.to_str().unwrap()]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).unwrap();
    let mut set = BTreeSet::new();
    for doc in text.split("\n---\n") {
        let v: serde_json::Value = match serde_yaml_ng::from_str(doc) {
            Ok(v) => v,
            Err(_) => continue,
        };
        let kind = v["kind"].as_str().unwrap_or("").to_string();
        if kind.is_empty() {
            continue;
        }
        let ns = v["metadata"]["namespace"].as_str().unwrap_or("").to_string();
        let name = v["metadata"]["name"].as_str().unwrap_or("").to_string();
        set.insert((kind, ns, name));
    }
    Some(set)
}

/// The model's objects for one folder: a cluster rooted there (named in the config), the
/// objects its root build places.
fn model_objects(root: &Path, rel_dir: &str) -> BTreeSet<Key> {
    let mut loaded = gitops_lsp::workspace::load(root).unwrap();
    let config = format!("[[cluster]]\nname = \"x\"\npath = \"{rel_dir}\"\n");
    loaded.config_text = Some(config);
    let a = Analysis::new(Arc::new(Snapshot::from_vfs(&loaded.vfs, loaded.config_text.as_deref())));
    let c = a.project.cluster("x").unwrap();
    let mut set = BTreeSet::new();
    for pl in c.placements.iter().filter(|p| p.ks == 0) {
        let (kind, name, ns) = match pl.obj {
            Placed::Object(l) => {
                let o = &a.snapshot.file(l.file).objects[l.obj as usize];
                (
                    o.kind.clone(),
                    o.name.clone().unwrap_or_default(),
                    pl.namespace.as_deref().map(str::to_string).or(o.namespace.clone()),
                )
            }
            Placed::Generated(g) => {
                let g = &a.project.generated[g as usize];
                (
                    (if g.secret { "Secret" } else { "ConfigMap" }).to_string(),
                    g.name.clone(),
                    pl.namespace.as_deref().map(str::to_string).or(g.namespace.clone()),
                )
            }
        };
        set.insert((kind, ns.unwrap_or_default(), format!("{}{name}{}", pl.name_prefix, pl.name_suffix)));
    }
    set
}

/// Drops kustomize's generator hash suffix (`-` and 10 characters) where the model has the
/// name without it.
fn unhash(k: &BTreeSet<Key>, model: &BTreeSet<Key>) -> BTreeSet<Key> {
    k.iter()
        .map(|(kind, ns, name)| {
            if !model.contains(&(kind.clone(), ns.clone(), name.clone()))
                && name.len() > 11
                && name.as_bytes()[name.len() - 11] == b'-'
            {
                let base = name[..name.len() - 11].to_string();
                if model.contains(&(kind.clone(), ns.clone(), base.clone())) {
                    return (kind.clone(), ns.clone(), base);
                }
            }
            (kind.clone(), ns.clone(), name.clone())
        })
        .collect()
}

#[test]
fn model_builds_what_kustomize_builds() {
    if Command::new("kubectl").arg("version").arg("--client").output().is_err() {
        skip("kustomize_oracle (kubectl kustomize)", "kubectl not installed", Some("GITOPS_LSP_REQUIRE_KUBECTL"));
        return;
    }
    let root = fixture("home-ops");
    let mut checked = 0;
    let mut dirs = Vec::new();
    for entry in walk(&root) {
        if entry.file_name().is_some_and(|n| n == "kustomization.yaml") {
            dirs.push(entry.parent().unwrap().to_path_buf());
        }
    }
    dirs.sort();
    for dir in dirs {
        let rel = dir.strip_prefix(&root).unwrap().to_str().unwrap().to_string();
        // Components are built only inside a Kustomization.
        let text = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
        if text.contains("kind: Component") {
            continue;
        }
        let Some(expected) = kustomize(&dir) else { panic!("kubectl kustomize failed on {rel}") };
        let got = model_objects(&root, &rel);
        assert_eq!(got, unhash(&expected, &got), "{rel}: the model and kustomize build different objects");
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} folders checked");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
