//! Shared helpers for tests that run the real `gitops-lsp` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_gitops-lsp")
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("fixtures").join(rel)
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(args: &[&str], cwd: Option<&Path>) -> Run {
    let mut cmd = Command::new(bin());
    cmd.args(args).env("NO_COLOR", "1");
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    let Output { status, stdout, stderr } = cmd.output().expect("run gitops-lsp");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// `check PATH --format json`, parsed.
pub fn check_json(path: &Path, extra: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let p = path.to_str().unwrap();
    let mut args = vec!["check", p, "--format", "json"];
    args.extend_from_slice(extra);
    let r = run(&args, None);
    let v: serde_json::Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", r.stdout, r.stderr));
    (r.code, v.as_array().unwrap().clone())
}

/// Writes files into a new temporary folder.
pub fn temp_repo(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

/// A small clean one-cluster repo (`dev`) with one app whose ConfigMap uses `${APP_NAME}`;
/// `extra` files are added on top (and may replace).
pub fn mini_repo(extra: &[(&str, &[u8])]) -> tempfile::TempDir {
    let mut files: Vec<(&str, &[u8])> = vec![
        ("kubernetes/clusters/dev/flux-system/kustomization.yaml", b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-sync.yaml\n"),
        (
            "kubernetes/clusters/dev/flux-system/gotk-sync.yaml",
            b"apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1h\n  url: https://example.com/repo\n  ref:\n    branch: main\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./kubernetes/clusters/dev\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
        ),
        ("kubernetes/clusters/dev/cluster-settings.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\ndata:\n  APP_NAME: \"hello\"\n"),
        (
            "kubernetes/clusters/dev/apps.yaml",
            b"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./kubernetes/apps/app\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n",
        ),
        ("kubernetes/apps/app/kustomization.yaml", b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - configmap.yaml\n"),
        ("kubernetes/apps/app/configmap.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\ndata:\n  name: \"${APP_NAME}\"\n"),
    ];
    for (p, c) in extra {
        files.retain(|(q, _)| q != p);
        files.push((p, c));
    }
    temp_repo(&files)
}

/// `code@file:line` (1-based) for each diagnostic, sorted.
pub fn summary(diags: &[serde_json::Value]) -> Vec<String> {
    let mut v: Vec<String> = diags
        .iter()
        .map(|d| {
            format!(
                "{}@{}:{}",
                d["code"].as_str().unwrap(),
                d["file"].as_str().unwrap(),
                d["range"]["start"]["line"].as_u64().unwrap() + 1
            )
        })
        .collect();
    v.sort();
    v
}
pub mod lsp;
