//! Bad input never crashes or hangs `check`: each case gives a diagnostic, and the rest of
//! the repository is still checked (a sentinel undefined variable is still reported).

mod common;
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
fn non_utf8_bytes() {
    let repo = with_extra(
        &[("kubernetes/apps/app/latin1.yaml", b"apiVersion: v1\nkind: ConfigMap\ndata:\n  a: caf\xe9\n")],
        &["latin1.yaml"],
    );
    let s = check(&repo);
    assert!(s.contains(&"unreadable-file@kubernetes/apps/app/latin1.yaml:1".to_string()), "{s:?}");
}

#[test]
fn twenty_megabyte_file() {
    let mut big = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n");
    let mut i = 0;
    while big.len() < 20 * 1024 * 1024 {
        big.push_str(&format!("  key{i}: \"{}\"\n", "x".repeat(100)));
        i += 1;
    }
    let repo = with_extra(&[("kubernetes/apps/app/big.yaml", big.as_bytes())], &["big.yaml"]);
    let (_, diags) = check_json(repo.path(), &[]);
    let d = diags.iter().find(|d| d["file"] == "kubernetes/apps/app/big.yaml").expect("big file reported");
    assert_eq!(d["code"], "unreadable-file");
    assert_eq!(d["severity"], "warning");
    check(&repo);
}

#[test]
fn large_file_under_the_limit_is_parsed() {
    let mut big = String::new();
    for i in 0..20_000 {
        big.push_str(&format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: default\ndata:\n  k: \"v\"\n"));
    }
    big.push_str("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-0\n  namespace: default\n");
    let repo = with_extra(&[("kubernetes/apps/app/many.yaml", big.as_bytes())], &["many.yaml"]);
    let s = check(&repo);
    // The last document repeats the first: found in a 20,000-document file.
    assert!(s.iter().any(|d| d.starts_with("duplicate-object@kubernetes/apps/app/many.yaml")), "{s:?}");
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

#[test]
fn kustomization_that_includes_itself() {
    let repo = with_extra(&[], &["."]);
    let s = check(&repo);
    assert!(s.contains(&"include-cycle@kubernetes/apps/app/kustomization.yaml:5".to_string()), "{s:?}");
}

#[test]
fn kustomizations_including_each_other() {
    let repo = with_extra(
        &[(
            "kubernetes/apps/other/kustomization.yaml",
            b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../app\n",
        )],
        &["../other"],
    );
    let s = check(&repo);
    assert!(s.iter().any(|d| d.starts_with("include-cycle@")), "{s:?}");
}

#[test]
fn resources_outside_the_repo_and_urls() {
    let repo = with_extra(
        &[],
        &["../../../../etc", "/etc/passwd", "https://example.com/x.yaml", "github.com/org/repo//deploy?ref=v1"],
    );
    let s = check(&repo);
    assert!(s.contains(&"path-outside-repo@kubernetes/apps/app/kustomization.yaml:5".to_string()), "{s:?}");
    assert!(s.contains(&"path-outside-repo@kubernetes/apps/app/kustomization.yaml:6".to_string()), "{s:?}");
    assert!(s.contains(&"remote-resource@kubernetes/apps/app/kustomization.yaml:7".to_string()), "{s:?}");
    assert!(s.contains(&"remote-resource@kubernetes/apps/app/kustomization.yaml:8".to_string()), "{s:?}");
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_links_out_of_the_repo() {
    use std::os::unix::fs::symlink;
    let repo = with_extra(&[], &["outside.yaml"]);
    let dir = repo.path().join("kubernetes/apps/app");
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.yaml");
    std::fs::write(
        &secret,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: leaked\nstringData:\n  password: hunter2\n",
    )
    .unwrap();
    symlink(&secret, dir.join("outside.yaml")).unwrap();
    symlink(dir.join("a.yaml"), dir.join("b.yaml")).unwrap();
    symlink(dir.join("b.yaml"), dir.join("a.yaml")).unwrap();
    symlink(repo.path().join("kubernetes"), dir.join("loop")).unwrap();
    let (_, diags) = check_json(repo.path(), &[]);
    let text = serde_json::to_string(&diags).unwrap();
    assert!(!text.contains("hunter2") && !text.contains("leaked"), "read outside the repo: {text}");
    let s = check(&repo);
    assert!(s.contains(&"path-outside-repo@kubernetes/apps/app/kustomization.yaml:5".to_string()), "{s:?}");
    assert!(s.iter().any(|d| d.starts_with("unreadable-file@kubernetes/apps/app/a.yaml")), "{s:?}");
}

#[test]
fn crlf_line_endings_and_bom() {
    let cm = "\u{feff}apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: crlf\r\n  namespace: default\r\ndata:\r\n  x: \"${ALSO_UNSET}\"\r\n";
    let repo = with_extra(&[("kubernetes/apps/app/crlf.yaml", cm.as_bytes())], &["crlf.yaml"]);
    let (_, diags) = check_json(repo.path(), &[]);
    let d = diags.iter().find(|d| d["file"] == "kubernetes/apps/app/crlf.yaml").expect("CRLF file analysed");
    assert_eq!(d["code"], "undefined-variable");
    assert_eq!(d["range"]["start"]["line"], 6);
    assert_eq!(d["range"]["start"]["character"], 6);
    check(&repo);
}
