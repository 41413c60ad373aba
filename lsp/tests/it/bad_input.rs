//! Bad input never crashes or hangs `check`: each case gives a diagnostic, and the rest of
//! the repository is still checked (a sentinel undefined variable is still reported).
//!
//! Broken YAML lives here; hostile repositories (symbolic links, `..` and absolute paths,
//! URLs, cycles, alias bombs, huge files, binary and non-UTF-8 files, CRLF and byte-order
//! marks) are in `hostile.rs`, indexed by `fixtures/hostile/README.md`.

use crate::common;
use common::*;

const SENTINEL_CM: &[u8] =
    b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\ndata:\n  name: \"${SENTINEL}\"\n";
const SENTINEL: &str = "undefined-variable@kubernetes/apps/app/configmap.yaml:7";

fn with_extra(extra: &[(&str, &[u8])], kustomization_resources: &[&str]) -> tempfile::TempDir {
    let mut k = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - configmap.yaml\n",
    );
    for r in kustomization_resources {
        k.push_str(&format!("  - {r}\n"));
    }
    let mut files: Vec<(&str, &[u8])> = vec![
        ("kubernetes/apps/app/configmap.yaml", SENTINEL_CM),
        ("kubernetes/apps/app/kustomization.yaml", k.as_bytes()),
    ];
    files.extend_from_slice(extra);
    mini_repo(&files)
}

fn check(repo: &tempfile::TempDir) -> Vec<String> {
    let (code, diags) = check_json(repo.path(), &[]);
    assert_eq!(code, 1, "errors expected: {diags:?}");
    let s = summary(&diags);
    assert!(s.contains(&SENTINEL.to_string()), "the rest of the repo was not checked: {s:?}");
    s
}

#[test]
fn broken_yaml() {
    let repo = with_extra(
        &[(
            "kubernetes/apps/app/broken.yaml",
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b\n  name: x\n",
        )],
        &["broken.yaml"],
    );
    let s = check(&repo);
    assert!(s.iter().any(|d| d.starts_with("yaml-syntax@kubernetes/apps/app/broken.yaml")), "{s:?}");
}

#[test]
fn tabs_used_for_indentation() {
    let repo = with_extra(
        &[("kubernetes/apps/app/tabs.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n")],
        &["tabs.yaml"],
    );
    let (_, diags) = check_json(repo.path(), &[]);
    let d = diags.iter().find(|d| d["code"] == "yaml-syntax").expect("a yaml-syntax diagnostic");
    assert!(d["message"].as_str().unwrap().contains("tabs"), "{d}");
    check(&repo);
}

#[test]
fn duplicate_keys() {
    let repo = with_extra(
        &[("kubernetes/apps/app/dup.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n")],
        &["dup.yaml"],
    );
    let (_, diags) = check_json(repo.path(), &[]);
    let d = diags.iter().find(|d| d["code"] == "yaml-syntax").expect("duplicate key reported");
    assert!(d["message"].as_str().unwrap().contains("duplicate key `name`"), "{d}");
    assert_eq!(d["range"]["start"]["line"], 4);
    assert_eq!(d["related"][0]["range"]["start"]["line"], 3);
    check(&repo);
}

#[test]
fn empty_documents_and_empty_files() {
    let repo = with_extra(
        &[
            ("kubernetes/apps/app/empty.yaml", b""),
            ("kubernetes/apps/app/docs.yaml", b"---\n---\n# only a comment\n---\n"),
        ],
        &["empty.yaml", "docs.yaml"],
    );
    let s = check(&repo);
    assert_eq!(s, vec![SENTINEL.to_string()]);
}

#[test]
fn deep_nesting() {
    let depth = 10_000;
    let text = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  a: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let repo = with_extra(&[("kubernetes/apps/app/deep.yaml", text.as_bytes())], &["deep.yaml"]);
    let s = check(&repo);
    assert!(s.iter().any(|d| d.starts_with("yaml-syntax@kubernetes/apps/app/deep.yaml")), "{s:?}");
}
