//! `gitops-lsp check` end to end: the real binary on the bundled fixtures.

use crate::common;
use common::*;

#[test]
fn home_ops_is_clean() {
    let (code, diags) = check_json(&fixture("home-ops"), &[]);
    assert_eq!(diags, Vec::<serde_json::Value>::new(), "home-ops must have no diagnostic");
    assert_eq!(code, 0);
    let r = run(&["check", fixture("home-ops").to_str().unwrap()], None);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains("0 errors, 0 warnings, 0 notes in 0 files (2 clusters checked: apps, infra)"),
        "{}",
        r.stdout
    );
}

#[test]
fn home_ops_clusters_are_found_from_the_bootstrap_kustomizations() {
    let r = run(&["clusters", fixture("home-ops").to_str().unwrap()], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("cluster infra — root kubernetes/clusters/infra"), "{}", r.stdout);
    assert!(r.stdout.contains("cluster apps — root kubernetes/clusters/apps"), "{}", r.stdout);
    // The per-cluster IPAM folder and the VictoriaMetrics folder chosen by a variable.
    assert!(r.stdout.contains("cilium/ipam/infra"));
    assert!(r.stdout.contains("cilium/ipam/apps"));
    assert!(r.stdout.contains("victoria-metrics/vmcluster"));
    assert!(r.stdout.contains("victoria-metrics/vmagent"));
}

/// Each `fixtures/defects/<code>` yields its code and nothing else, where expected.json says.
#[test]
fn each_defect_yields_exactly_its_code() {
    let root = fixture("defects");
    let mut seen = 0;
    let mut dirs: Vec<_> = std::fs::read_dir(&root).unwrap().flatten().filter(|e| e.path().is_dir()).collect();
    dirs.sort_by_key(|e| e.file_name());
    for entry in dirs {
        let code_name = entry.file_name().to_string_lossy().into_owned();
        let expected: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(entry.path().join("expected.json")).unwrap()).unwrap();
        let (exit, diags) = check_json(&entry.path(), &[]);
        let got: Vec<(String, u64, String, Vec<String>)> = diags
            .iter()
            .map(|d| {
                (
                    d["file"].as_str().unwrap().to_string(),
                    d["range"]["start"]["line"].as_u64().unwrap(),
                    d["code"].as_str().unwrap().to_string(),
                    d["clusters"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect(),
                )
            })
            .collect();
        let mut want: Vec<(String, u64, String, Vec<String>)> = expected
            .iter()
            .map(|d| {
                (
                    d["file"].as_str().unwrap().to_string(),
                    d["line"].as_u64().unwrap(),
                    d["code"].as_str().unwrap().to_string(),
                    d["clusters"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect(),
                )
            })
            .collect();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        want.sort();
        assert_eq!(got_sorted, want, "defect {code_name}: diagnostics differ");
        assert!(got.iter().all(|g| g.2 == code_name), "defect {code_name} yields another code: {got:?}");
        let has_error = diags.iter().any(|d| d["severity"] == "error");
        assert_eq!(exit, i32::from(has_error), "defect {code_name}: exit code");
        seen += 1;
    }
    assert!(seen >= 13, "only {seen} defect fixtures");
}

#[test]
fn json_contract_fields() {
    let (_, diags) = check_json(&fixture("defects/duplicate-object"), &[]);
    let d = &diags[0];
    for key in ["file", "range", "severity", "code", "message", "clusters", "related"] {
        assert!(d.get(key).is_some(), "missing {key} in {d}");
    }
    assert_eq!(d["severity"], "error");
    assert!(!d["file"].as_str().unwrap().contains('\\'));
    let rel = &d["related"][0];
    assert_eq!(rel["file"], "kubernetes/apps/hello/configmap-a.yaml");
    assert_eq!(rel["message"], "first defined here");
    assert!(rel["range"]["start"]["line"].is_u64());
}

fn snapshot_output(defect: &str, format: &str) -> String {
    let r = run(&["check", ".", "--format", format, "--color", "never"], Some(&fixture(&format!("defects/{defect}"))));
    assert_eq!(r.code, 1, "{}", r.stderr);
    r.stdout
}

#[test]
fn human_output_snapshot() {
    insta::assert_snapshot!("human_missing_path", snapshot_output("missing-path", "human"));
    insta::assert_snapshot!("human_undefined_variable", snapshot_output("undefined-variable", "human"));
    insta::assert_snapshot!("human_duplicate_object", snapshot_output("duplicate-object", "human"));
}

#[test]
fn json_output_snapshot() {
    insta::assert_snapshot!("json_dependson_cycle", snapshot_output("dependsOn-cycle", "json"));
}

#[test]
fn sarif_output_snapshot_and_structure() {
    let out = snapshot_output("undefined-variable", "sarif");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // The structure SARIF 2.1.0 requires and GitHub code scanning reads.
    assert_eq!(v["version"], "2.1.0");
    let run0 = &v["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "gitops-lsp");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    for r in &run0["results"].as_array().unwrap()[..] {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
        assert!(region["startColumn"].as_u64().unwrap() >= 1);
        assert!(["error", "warning", "note", "none"].contains(&r["level"].as_str().unwrap()));
    }
    insta::assert_snapshot!("sarif_undefined_variable", out.replace(env!("CARGO_PKG_VERSION"), "VERSION"));
}

#[test]
fn github_annotations() {
    let r = run(&["check", ".", "--format", "github"], Some(&fixture("defects/dependsOn-unknown")));
    assert_eq!(r.code, 1);
    let line = r.stdout.lines().next().unwrap();
    assert!(line.starts_with("::error file=kubernetes/clusters/dev/apps.yaml,line=26,endLine=26,col="), "{line}");
    assert!(line.contains("title=gitops-lsp dependsOn-unknown [dev]::"), "{line}");
    // Run from above the fixture, paths are relative to the current folder.
    let r = run(&["check", "fixtures/defects/dependsOn-unknown", "--format", "github"], Some(&repo_root()));
    assert!(
        r.stdout.starts_with("::error file=fixtures/defects/dependsOn-unknown/kubernetes/clusters/dev/apps.yaml,"),
        "{}",
        r.stdout
    );
}

#[test]
fn workflow_command_escaping() {
    use gitops_lsp::cli::{escape_data, escape_property};
    assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
    assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
}

#[test]
fn cluster_filter_limits_to_named_clusters() {
    let path = fixture("defects/undefined-variable");
    let (code, diags) = check_json(&path, &["--cluster", "prod"]);
    assert_eq!((code, diags.len()), (0, 0), "prod defines the variable: {diags:?}");
    let (code, diags) = check_json(&path, &["--cluster", "dev"]);
    assert_eq!(code, 1);
    assert_eq!(summary(&diags), vec!["undefined-variable@kubernetes/apps/hello/configmap.yaml:9"]);
    let r = run(&["check", path.to_str().unwrap(), "--cluster", "nope"], None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no cluster named `nope`; clusters found: dev, prod"), "{}", r.stderr);
}

#[test]
fn missing_path_argument_exits_2_with_a_message() {
    let r = run(&["check", "/definitely/not/here"], None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot check /definitely/not/here"), "{}", r.stderr);
}

#[test]
fn deny_warnings_turns_warnings_into_failure() {
    // Flux 2.4 without the strict gate: an undefined variable is a warning.
    let repo = mini_repo(&[
        ("kubernetes/clusters/dev/flux-system/gotk-components.yaml", b"# Flux Version: v2.4.0\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n"),
        ("kubernetes/clusters/dev/flux-system/kustomization.yaml", b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-components.yaml\n  - gotk-sync.yaml\n"),
        ("kubernetes/apps/app/configmap.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\ndata:\n  name: \"${NOT_SET}\"\n"),
    ]);
    let (code, diags) = check_json(repo.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0]["severity"], "warning");
    let (code, _) = check_json(repo.path(), &["--deny", "warnings"]);
    assert_eq!(code, 1);
}
