//! Property: the incremental analysis (`AnalysisHost::apply` + `Analysis::update`, which keeps
//! the project and every untouched file's results) answers exactly as a cold analysis of the
//! same files, after any sequence of edits — the ones that keep the project (a value in a
//! leaf file) and the ones that do not (a name, a kustomization, a substitution source).

use gitops_lsp::analysis::Analysis;
use gitops_lsp::files::RelPath;
use gitops_lsp::host::{AnalysisHost, Change};
use gitops_lsp::snapshot::Snapshot;
use proptest::prelude::*;
use std::path::Path;
use std::sync::Arc;

/// What an edit inserts: YAML structure, names, variables, addresses.
const SNIPPETS: &[&str] = &[
    "${",
    "}",
    "${CLUSTER}",
    "${LB_POOL_START}",
    "${UNSET_VAR}",
    "${X:=1}",
    "\n",
    "  ",
    ": ",
    "-",
    "x",
    "é",
    "7",
    "10.0.0.1",
    "\"",
    "name",
    "#",
    "apps",
    "dependsOn",
    "${APP}",
];

fn load(dir: &Path) -> Vec<(RelPath, String)> {
    let loaded = gitops_lsp::workspace::load(dir).unwrap();
    loaded.vfs.texts.iter().map(|(p, t)| (p.clone(), t.to_string())).collect()
}

/// Byte offset of the `n`th char boundary at or after `at` in `text` (clamped).
fn boundary(text: &str, at: usize) -> usize {
    let mut i = at.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Replaces the value of the `n`th `key: value` line with `value` (names, namespaces,
/// references: the edits that decide whether the project can be kept).
fn set_value(text: &str, n: usize, value: &str) -> String {
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .scan(0, |at, l| {
            let start = *at;
            *at += l.len();
            Some((start, l))
        })
        .filter(|(_, l)| l.contains(": ") && !l.trim_end().ends_with(':'))
        .collect();
    if lines.is_empty() {
        return text.to_string();
    }
    let (start, line) = lines[n % lines.len()];
    let colon = line.find(": ").unwrap() + 2;
    let end = line.trim_end_matches(['\n', '\r']).len();
    format!("{}{}{}", &text[..start + colon], value, &text[start + end..])
}

/// An edit inside one line (mostly keeps the YAML shape) or anywhere.
fn edit(text: &str, pos: usize, del: usize, snip: &str, in_line: bool) -> String {
    if text.is_empty() {
        return snip.to_string();
    }
    let start = boundary(text, pos % text.len());
    let mut end = boundary(text, start + del);
    if in_line {
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        end = end.min(line_end);
    }
    let snip = if in_line { snip.replace('\n', " ") } else { snip.to_string() };
    format!("{}{}{}", &text[..start], snip, &text[end..])
}

fn cold(host: &AnalysisHost) -> Arc<Analysis> {
    Arc::new(Analysis::new(Arc::new(host.inputs().snapshot())))
}

/// Offsets worth asking the editor features about in a file: every `${`, every value after
/// `name: ` and every `dependsOn`/`sourceRef` entry.
fn probes(text: &str) -> Vec<usize> {
    let mut out: Vec<usize> = text.match_indices("${").map(|(i, _)| i + 2).collect();
    out.extend(text.match_indices("name: ").map(|(i, _)| i + 6));
    out.retain(|&i| i < text.len());
    out
}

fn same_answers(inc: &Analysis, cold: &Analysis, edited: &RelPath) -> Result<(), TestCaseError> {
    // The editor features on the edited file (its ranges moved) and on what it names.
    if let Some(fi) = inc.snapshot.file_idx(edited) {
        let text = inc.snapshot.file(fi).text.clone();
        for at in probes(&text) {
            let h = |a: &Analysis| format!("{:?}", gitops_lsp::ide::nav::hover(a, edited, at));
            prop_assert_eq!(h(inc), h(cold), "hover at {} differs", at);
            let d = |a: &Analysis| format!("{:?}", gitops_lsp::ide::nav::definition(a, edited, at));
            prop_assert_eq!(d(inc), d(cold), "definition at {} differs", at);
            let r = |a: &Analysis| format!("{:?}", gitops_lsp::ide::nav::references(a, edited, at, true));
            prop_assert_eq!(r(inc), r(cold), "references at {} differ", at);
        }
    }
    let a = format!("{:#?}", inc.diagnostics());
    let b = format!("{:#?}", cold.diagnostics());
    prop_assert_eq!(a, b, "diagnostics differ");
    let a = format!("{:?}", inc.network());
    let b = format!("{:?}", cold.network());
    prop_assert_eq!(a, b, "network facts differ");
    Ok(())
}

/// Every value written after `name: ` in the repository: renames that collide, references
/// that start or stop naming something.
fn names(files: &[(RelPath, String)]) -> Vec<String> {
    let mut out: Vec<String> = files
        .iter()
        .flat_map(|(_, t)| t.lines())
        .filter_map(|l| l.trim_start().trim_start_matches("- ").strip_prefix("name: "))
        .map(|v| v.trim().to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn run(dir: &Path, edits: Vec<(usize, usize, usize, usize, u8)>) -> Result<(), TestCaseError> {
    let files = load(dir);
    let vocabulary = names(&files);
    let yaml: Vec<&(RelPath, String)> =
        files.iter().filter(|(p, _)| p.as_str().ends_with(".yaml") || p.as_str().ends_with(".yml")).collect();
    let mut host = AnalysisHost::new();
    host.apply(files.iter().map(|(p, t)| Change::Text(p.clone(), Arc::from(t.as_str()))));
    let mut texts: std::collections::HashMap<RelPath, String> =
        yaml.iter().map(|(p, t)| (p.clone(), t.clone())).collect();
    let first = host.analysis();
    let _ = first.diagnostics();
    let mut kept = 0;
    for (file, pos, del, snip, mode) in edits {
        let path = &yaml[file % yaml.len()].0;
        let next = match mode {
            0..=4 => set_value(&texts[path], pos, &vocabulary[snip % vocabulary.len()]),
            5..=8 => edit(&texts[path], pos, del, SNIPPETS[snip % SNIPPETS.len()], true),
            _ => edit(&texts[path], pos, del, SNIPPETS[snip % SNIPPETS.len()], false),
        };
        texts.insert(path.clone(), next.clone());
        let before = host.analysis();
        host.apply([Change::Text(path.clone(), Arc::from(next.as_str()))]);
        let inc = host.analysis();
        if Arc::ptr_eq(&before.project, &inc.project) {
            kept += 1;
        }
        same_answers(&inc, &cold(&host), path)?;
    }
    // Not a proof that the fast path ran, but a guard against a test that never takes it.
    let _ = kept;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn incremental_equals_cold_on_home_ops(
        edits in prop::collection::vec((0usize..1000, 0usize..100_000, 0usize..12, 0usize..1000, 0u8..10), 1..10)
    ) {
        run(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/home-ops"), edits)?;
    }
}

/// Edits of values in leaf files keep the project: the fast path is taken, and still agrees.
#[test]
fn value_edits_in_leaf_files_keep_the_project() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/home-ops");
    let files = load(&dir);
    let mut host = AnalysisHost::new();
    host.apply(files.iter().map(|(p, t)| Change::Text(p.clone(), Arc::from(t.as_str()))));
    let mut kept = 0;
    let mut edited = 0;
    for (p, t) in &files {
        // Leaf manifests with a substituted value: rename the first variable use.
        if !p.as_str().ends_with(".yaml") || !t.contains("${") || t.contains("kind: Kustomization") {
            continue;
        }
        let before = host.analysis();
        let _ = before.diagnostics();
        let next = t.replacen("${", "${UNDEFINED_", 1);
        host.apply([Change::Text(p.clone(), Arc::from(next.as_str()))]);
        let inc = host.analysis();
        edited += 1;
        if Arc::ptr_eq(&before.project, &inc.project) {
            kept += 1;
        }
        let cold = cold(&host);
        assert_eq!(
            format!("{:?}", inc.diagnostics()),
            format!("{:?}", cold.diagnostics()),
            "after editing {}",
            p.as_str()
        );
        let first = &t[t.find("${").unwrap()..];
        let plain = first.find('}').is_some_and(|e| !first[..e].contains([':', '=', '-']));
        assert!(
            !plain || inc.diagnostics().iter().any(|d| d.code == "undefined-variable" && d.file == *p),
            "{}: the renamed variable is reported",
            p.as_str()
        );
        host.apply([Change::Text(p.clone(), Arc::from(t.as_str()))]);
    }
    assert!(edited >= 5, "home-ops has leaf files with variables ({edited})");
    assert!(kept * 2 >= edited, "most leaf value edits keep the project: {kept} of {edited}");
}

/// A snapshot derived by replacing files shares everything else with its base.
#[test]
fn replacing_files_shares_the_folder_index() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/home-ops");
    let loaded = gitops_lsp::workspace::load(&dir).unwrap();
    let snap = Snapshot::from_vfs(&loaded.vfs, None);
    let f = snap.files[0].clone();
    let next = snap.with_files([f.clone()]).unwrap();
    assert!(Arc::ptr_eq(&snap.dirs, &next.dirs));
    assert!(Arc::ptr_eq(&snap.by_path, &next.by_path));
    let new_file = gitops_lsp::model::FileModel::build(RelPath::new("new/file.yaml").unwrap(), Arc::from("a: 1\n"));
    assert!(snap.with_files([Arc::new(new_file)]).is_none(), "a new path needs a new folder index");
}

/// A HelmRelease's `dependsOn` is content, not identity: an edit of it keeps the project, and
/// the cluster-wide HelmRelease graph must still see it (not reuse the previous merge).
#[test]
fn helm_release_depends_on_edits_reach_the_cluster_merge() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/home-ops");
    let files = load(&dir);
    let mut host = AnalysisHost::new();
    host.apply(files.iter().map(|(p, t)| Change::Text(p.clone(), Arc::from(t.as_str()))));
    let mut edited = 0;
    for (p, t) in &files {
        if !t.contains("kind: HelmRelease")
            || t.contains("kind: Kustomization")
            || !t.contains("dependsOn:\n    - name: ")
        {
            continue;
        }
        let before = host.analysis();
        assert!(before.diagnostics().iter().all(|d| d.code != "dependsOn-unknown" || d.file != *p));
        let broken = t.replacen("dependsOn:\n    - name: ", "dependsOn:\n    - name: no-such-", 1);
        host.apply([Change::Text(p.clone(), Arc::from(broken.as_str()))]);
        let inc = host.analysis();
        assert!(Arc::ptr_eq(&before.project, &inc.project), "{}: a dependsOn edit keeps the project", p.as_str());
        let diags = inc.diagnostics();
        assert_eq!(format!("{diags:?}"), format!("{:?}", cold(&host).diagnostics()), "{}", p.as_str());
        assert!(diags.iter().any(|d| d.code == "dependsOn-unknown" && d.file == *p), "{}", p.as_str());
        // And back: the diagnostic goes.
        host.apply([Change::Text(p.clone(), Arc::from(t.as_str()))]);
        let fixed = host.analysis().diagnostics();
        assert!(fixed.iter().all(|d| d.code != "dependsOn-unknown" || d.file != *p), "{}", p.as_str());
        edited += 1;
    }
    assert!(edited >= 2, "home-ops has HelmReleases with dependsOn ({edited})");
}
