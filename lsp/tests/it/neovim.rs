//! A real editor: headless Neovim 0.11 with the repository's `lsp/gitops_lsp.lua` attached to
//! the real `gitops-lsp`. Skips without `nvim` unless GITOPS_LSP_REQUIRE_NVIM=1 (CI sets it).

use crate::common;
use common::lsp::copy_dir;
use common::*;
use std::process::Command;

#[test]
fn neovim_hover_definition_and_diagnostics() {
    let nvim = std::env::var("NVIM_BIN").unwrap_or_else(|_| "nvim".into());
    let version = Command::new(&nvim).arg("--version").output();
    let Some(version) = version.ok().filter(|o| o.status.success()) else {
        skip("neovim (editor session)", "nvim not installed (NVIM_BIN)", Some("GITOPS_LSP_REQUIRE_NVIM"));
        return;
    };
    assert!(String::from_utf8_lossy(&version.stdout).contains("NVIM v0.1"), "Neovim 0.10+ expected");
    let home = tempfile::tempdir().unwrap();
    copy_dir(&fixture("home-ops"), home.path());
    std::fs::create_dir(home.path().join(".git")).unwrap();
    let defect = tempfile::tempdir().unwrap();
    copy_dir(&fixture("defects/dependsOn-unknown"), defect.path());
    std::fs::create_dir(defect.path().join(".git")).unwrap();
    let out = tempfile::NamedTempFile::new().unwrap();
    let script = repo_root().join("lsp/tests/nvim/session.lua");
    let status = Command::new(&nvim)
        .args(["--headless", "--clean", "-l"])
        .arg(&script)
        .arg(repo_root())
        .arg(bin())
        .arg(home.path().canonicalize().unwrap())
        .arg(defect.path().canonicalize().unwrap())
        .arg(out.path())
        .env("XDG_STATE_HOME", home.path().join(".state"))
        .status()
        .expect("run nvim");
    assert!(status.success(), "nvim exited with {status}");
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path()).unwrap()).expect("session result");
    assert_eq!(result["ok"], true, "{}", result["error"]);
    assert_eq!(result["root"].as_str().unwrap(), home.path().canonicalize().unwrap().to_str().unwrap());
    let hover = result["hover"].as_str().unwrap();
    assert!(hover.contains("infra") && hover.contains("apps"), "{hover}");
    let defs: Vec<(String, u64)> = result["definitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["file"].as_str().unwrap().to_string(), d["line"].as_u64().unwrap()))
        .collect();
    for cluster in ["infra", "apps"] {
        let (file, line) = defs
            .iter()
            .find(|(f, _)| f.ends_with(&format!("kubernetes/clusters/{cluster}/cluster-settings.yaml")))
            .unwrap_or_else(|| panic!("no definition in {cluster}: {defs:?}"));
        let text = std::fs::read_to_string(file).unwrap();
        assert!(text.lines().nth(*line as usize).unwrap().trim_start().starts_with("CLUSTER:"), "{file}:{line}");
    }
    let diags = result["diagnostics"].as_array().unwrap();
    assert!(
        diags.iter().any(|d| d["code"] == "dependsOn-unknown" && d["lnum"] == 25 && d["severity"] == 1),
        "{diags:?}"
    );
}
