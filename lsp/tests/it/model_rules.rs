//! The repository model's rules (issue 2, item 3 "The model, complete"), one test per rule,
//! each on a small in-memory repository.
//!
//! Fixtures are `crate::fixture` strings (`#- /path` headers; `#- /.gitops-lsp.toml` is the
//! configuration file). A test's repository is written as shared parts and its own files:
//! `BASE` (cluster `dev` with its `cluster-settings`), `PROD` (a second cluster), `APP_KS` and
//! `APP_CM` (the app `app` at `./apps/app` and its one ConfigMap), `GEN_KS` (a Flux
//! Kustomization of a folder without kustomization.yaml), joined by `parts(&[..])`; `base`,
//! `app`, `app_with` and `app_files` are the common shapes.
//!
//! - `check(fixture)` renders every diagnostic as `path:line:col severity code [clusters] message`
//!   (1-based line and UTF-16 column; the " (cluster x)" suffix that the core appends to messages
//!   is left out, the clusters are in brackets).
//! - `model(fixture)` renders what diagnostics cannot show: each cluster with its root and how
//!   it was found, each Flux Kustomization with its parent (the chain), its resolved path, its
//!   substitution sources and variables (value and source) and the objects it applies.
//! - `eval_in(analysis, cluster, ks, text)` substitutes a text with one (cluster, Flux
//!   Kustomization)'s variables; `chains(analysis, file)` shows which chains of Flux
//!   Kustomizations bring a file's objects into each cluster.
//!
//! The snapshots are expect-test's (`UPDATE_EXPECT=1 cargo test -p gitops-lsp --test it
//! model_rules::` rewrites them); each one was read and checked against Flux's behaviour by hand.

use crate::fixture;

use expect_test::{expect, Expect};
use gitops_lsp::analysis::Analysis;
use gitops_lsp::files::RelPath;
use gitops_lsp::project::{ClusterOrigin, KsNode, Placed, SourceFound, Value};
use gitops_lsp::snapshot::Snapshot;
use gitops_lsp::subst;
use std::fmt::Write as _;
use std::sync::Arc;

// ---------------------------------------------------------------------------------------
// Helpers.

fn analyse(text: &str) -> Analysis {
    fixture::analysis(&fixture::parse(text))
}

/// Schema checks (issue 5) have their own tests; the fixtures here are minimal objects.
const SCHEMA_CODES: &[&str] =
    &["unknown-field", "wrong-type", "missing-required", "invalid-enum", "unknown-kind", "dangling-reference"];

fn render_diags(a: &Analysis) -> String {
    let snap = &a.snapshot;
    let mut s = String::new();
    for d in a.diagnostics().into_iter().filter(|d| !SCHEMA_CODES.contains(&d.code)) {
        let pos = match snap.file_idx(&d.file) {
            Some(fi) => {
                let f = snap.file(fi);
                let p = f.line_index.position(&f.text, d.range.start);
                format!("{}:{}", p.line + 1, p.character + 1)
            }
            None => "0:0".into(),
        };
        let mut msg = d.message.clone();
        let suffix = match d.clusters.len() {
            0 => String::new(),
            1 => format!(" (cluster {})", d.clusters[0]),
            _ => format!(" (clusters {})", d.clusters.join(", ")),
        };
        if !suffix.is_empty() && msg.ends_with(&suffix) {
            msg.truncate(msg.len() - suffix.len());
        }
        writeln!(s, "{}:{pos} {} {} [{}] {msg}", d.file, d.severity.as_str(), d.code, d.clusters.join(", ")).unwrap();
    }
    s
}

/// Every diagnostic of the fixture, one line each.
fn check(fixture: &str) -> String {
    render_diags(&analyse(fixture))
}

fn loc(a: &Analysis, l: &gitops_lsp::project::Loc) -> String {
    let f = a.snapshot.file(l.file);
    let p = f.line_index.position(&f.text, l.range.start);
    format!("{}:{}:{}", f.path, p.line + 1, p.character + 1)
}

fn show_value(v: &Value) -> String {
    match v {
        Value::Known(s) => format!("{s:?}"),
        Value::Secret => "<secret>".into(),
        Value::Unknown => "<unknown>".into(),
    }
}

fn render_ks(a: &Analysis, c: &gitops_lsp::project::Cluster, i: usize, ks: &KsNode, s: &mut String) {
    let snap = &a.snapshot;
    let parent = ks.parent.map(|p| format!(" (from {})", c.kss[p as usize].id)).unwrap_or_default();
    let path = match &ks.path {
        Some(p) => {
            let dir = match (&p.dir, p.leaves_repo) {
                (_, true) => "outside the repository".to_string(),
                (Some(d), _) => d.display().to_string(),
                (None, _) => "?".to_string(),
            };
            format!("path {} -> {dir}", p.raw)
        }
        None => "no path".into(),
    };
    let subst = if ks.bindings.enabled { "substitution on" } else { "substitution off" };
    let tns = ks.target_namespace.as_ref().map(|t| format!(", targetNamespace {t}")).unwrap_or_default();
    writeln!(s, "  ks {}{parent}: {path}; {subst}{tns}", ks.id).unwrap();
    if let Some(e) = &ks.external {
        writeln!(s, "    external: {e}").unwrap();
    }
    if !ks.depends_on.is_empty() {
        let deps: Vec<String> = ks.depends_on.iter().map(|(d, _)| d.to_string()).collect();
        writeln!(s, "    dependsOn: {}", deps.join(", ")).unwrap();
    }
    if !ks.components.is_empty() {
        let comps: Vec<&str> = ks.components.iter().map(|(c, _)| c.as_str()).collect();
        writeln!(s, "    components: {}", comps.join(", ")).unwrap();
    }
    for src in &ks.sources {
        let found = match &src.found {
            SourceFound::InCluster(Some(l)) => format!("in cluster at {}", loc(a, l)),
            SourceFound::InCluster(None) => "in cluster".into(),
            SourceFound::OutsideFlux(l) => format!("outside Flux at {}", loc(a, l)),
            SourceFound::Missing => "missing".into(),
        };
        let opt = if src.optional { " (optional)" } else { "" };
        writeln!(s, "    source {} {}/{}{opt}: {found}", src.kind, src.namespace, src.name).unwrap();
    }
    let mut vars: Vec<_> = ks.bindings.vars.iter().collect();
    vars.sort_by(|x, y| x.0.cmp(y.0));
    for (name, b) in vars {
        let at = b.origin.as_ref().map(|l| format!(" at {}", loc(a, l))).unwrap_or_default();
        writeln!(s, "    var {name} = {} from {}{at}", show_value(&b.value), b.from).unwrap();
    }
    if !ks.bindings.opaque.is_empty() {
        writeln!(s, "    opaque: {}", ks.bindings.opaque.join(", ")).unwrap();
    }
    for pl in c.placements.iter().filter(|p| p.ks as usize == i) {
        let ns = pl.namespace.as_deref().map(|n| format!("{n}/")).unwrap_or_default();
        let flag = if pl.subst_disabled { " [substitution disabled]" } else { "" };
        match pl.obj {
            Placed::Object(l) => {
                let f = snap.file(l.file);
                let o = &f.objects[l.obj as usize];
                let flag = if o.subst_disabled { " [substitution disabled]" } else { flag };
                let name = o.name.as_deref().unwrap_or("?");
                writeln!(s, "    + {} {ns}{}{name}{}  {}{flag}", o.kind, pl.name_prefix, pl.name_suffix, f.path)
                    .unwrap();
            }
            Placed::Generated(g) => {
                let g = &a.project.generated[g as usize];
                let kind = if g.secret { "Secret" } else { "ConfigMap" };
                writeln!(
                    s,
                    "    + {kind} {ns}{}{}{} (generated at {}){flag}",
                    pl.name_prefix,
                    g.name,
                    pl.name_suffix,
                    loc(a, &g.at)
                )
                .unwrap();
            }
        }
    }
}

fn render_model(a: &Analysis) -> String {
    let snap = &a.snapshot;
    let mut s = String::new();
    for c in &a.project.clusters {
        let origin = match &c.origin {
            ClusterOrigin::Config => "named in .gitops-lsp.toml".to_string(),
            ClusterOrigin::Bootstrap(l) => {
                format!("bootstrap {} in {}", snap.file(l.file).objects[l.obj as usize].kind, snap.file(l.file).path)
            }
            ClusterOrigin::ClustersFolder => "a folder under clusters/".into(),
            ClusterOrigin::Default => "default: the Flux Kustomizations nothing includes".into(),
        };
        let strict = if c.strict { "strict" } else { "lenient" };
        writeln!(s, "cluster {}: root {}, {origin}, {strict}", c.name, c.root).unwrap();
        for (i, ks) in c.kss.iter().enumerate() {
            render_ks(a, c, i, ks, &mut s);
        }
    }
    s
}

/// The clusters, Flux Kustomizations, variables and objects of the fixture.
fn model(fixture: &str) -> String {
    render_model(&analyse(fixture))
}

/// `text` substituted with the variables of Flux Kustomization `ks` (its name) in `cluster`:
/// the result (`<unknown>` when it depends on a value the repository does not hold) and each
/// use strict substitution rejects.
fn eval_in(a: &Analysis, cluster: &str, ks: &str, text: &str) -> String {
    let c = a.project.cluster(cluster).expect("cluster");
    let k = c.kss.iter().find(|k| k.id.name == ks).expect("Flux Kustomization");
    let b = &k.bindings;
    let ev = subst::eval(text, &|n| b.lookup(n));
    let mut out = match b.apply(text) {
        Some(t) => format!("{t:?}"),
        None => "<unknown>".into(),
    };
    if let Some(e) = ev.errors.first() {
        out.push_str(&format!(" error: {}", e.message));
    }
    for (name, _) in &ev.undefined {
        out.push_str(&format!(" undefined: {name}"));
    }
    out
}

fn assert_snapshot(actual: String, e: Expect) {
    e.assert_eq(&actual);
}

/// A cluster `dev` bootstrapped by a `flux-system` Kustomization at `./clusters/dev` (a folder
/// without kustomization.yaml: Flux generates one), with a `cluster-settings` ConfigMap.
const BASE: &str = r#"
#- /clusters/dev/flux-system/gotk-sync.yaml
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  url: ssh://git@example.com/home-ops
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  path: ./clusters/dev
  sourceRef:
    kind: GitRepository
    name: flux-system
#- /clusters/dev/cluster-settings.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
  namespace: flux-system
data:
  CLUSTER: dev
"#;

/// A repository made of fixture parts (`BASE`, `APP_KS`, ... and a test's own files).
fn parts(parts: &[&str]) -> String {
    parts.join("\n")
}

fn base(rest: &str) -> String {
    parts(&[BASE, rest])
}

/// A second cluster, `prod`: only its bootstrap Kustomization at `./clusters/prod` (no source,
/// no settings).
const PROD: &str = r#"
#- /clusters/prod/flux-system/gotk-sync.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  path: ./clusters/prod
"#;

// ---------------------------------------------------------------------------------------
// Files.

#[test]
fn base_fixture_is_clean() {
    assert_snapshot(check(BASE), expect![[""]]);
    assert_snapshot(
        model(BASE),
        expect![[r#"
        cluster dev: root clusters/dev, bootstrap Kustomization in clusters/dev/flux-system/gotk-sync.yaml, strict
          ks flux-system/flux-system: path ./clusters/dev -> clusters/dev; substitution off
            + ConfigMap flux-system/cluster-settings  clusters/dev/cluster-settings.yaml
            + GitRepository flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
            + Kustomization flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
    "#]],
    );
}

/// Which Flux Kustomizations bring in the objects of `path`, per cluster, as chains from the
/// cluster's root.
fn chains(a: &Analysis, path: &str) -> String {
    let snap = &a.snapshot;
    let fi = snap.file_idx(&RelPath::new(path).unwrap()).expect("file");
    let mut s = String::new();
    for c in &a.project.clusters {
        for pl in &c.placements {
            let Placed::Object(l) = pl.obj else { continue };
            if l.file != fi {
                continue;
            }
            let mut chain = Vec::new();
            let mut k = Some(pl.ks);
            while let Some(i) = k {
                chain.push(c.kss[i as usize].id.name.clone());
                k = c.kss[i as usize].parent;
            }
            chain.reverse();
            let o = &snap.file(fi).objects[l.obj as usize];
            writeln!(
                s,
                "{} {}: cluster {} via {}",
                o.kind,
                o.name.as_deref().unwrap_or("?"),
                c.name,
                chain.join(" > ")
            )
            .unwrap();
        }
    }
    s
}

#[test]
fn gitignore_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let mut all: Vec<(String, String)> = fixture::parse(BASE).into_iter().map(|f| (f.path, f.text)).collect();
    all.push((".gitignore".into(), "ignored/\n*.local.yaml\n".into()));
    // Would be a yaml-syntax error, and a duplicate of cluster-settings, if read.
    all.push(("clusters/dev/ignored/broken.yaml".into(), "a: {b: 1\n".into()));
    all.push((
        "clusters/dev/settings.local.yaml".into(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\n".into(),
    ));
    all.push((
        "clusters/dev/kept.yaml".into(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n  namespace: default\n".into(),
    ));
    for (p, t) in &all {
        let p = dir.path().join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    }
    let loaded = gitops_lsp::workspace::load(dir.path()).unwrap();
    let read: Vec<&str> = loaded.vfs.texts.keys().map(RelPath::as_str).collect();
    assert_eq!(
        read,
        ["clusters/dev/cluster-settings.yaml", "clusters/dev/flux-system/gotk-sync.yaml", "clusters/dev/kept.yaml"]
    );
    let a = Analysis::new(Arc::new(Snapshot::from_vfs(&loaded.vfs, loaded.config_text.as_deref())));
    assert_eq!(render_diags(&a), "");
    assert!(render_model(&a).contains("+ ConfigMap default/kept  clusters/dev/kept.yaml"));
}

#[test]
fn multi_document_files_keep_ranges() {
    // The third document (after an empty one) is read, and its diagnostic points into it.
    let a = analyse(&app(r#"
        #- /apps/app/all.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: first
          namespace: default
        ---
        # nothing here
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: third
          namespace: default
        data:
          cluster: ${CLUSTER}
          oops: "x-${NOPE}"
        "#));
    assert_snapshot(
        render_diags(&a),
        expect![[r#"
            apps/app/all.yaml:16:12 error undefined-variable [dev] `${NOPE}` is not defined for Flux Kustomization flux-system/app (variables from ConfigMap cluster-settings) and has no default; Flux fails the whole Kustomization: define NOPE or write `${NOPE:=default}`
        "#]],
    );
    assert_snapshot(
        chains(&a, "apps/app/all.yaml"),
        expect![[r#"
        ConfigMap first: cluster dev via flux-system > app
        ConfigMap third: cluster dev via flux-system > app
    "#]],
    );
}

#[test]
fn broken_yaml_gives_a_diagnostic_and_a_partial_model() {
    // The first document is broken; the second is still read.
    let f = base(
        r#"
        #- /clusters/dev/broken.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: broken
          labels: {a: b
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: after-the-break
          namespace: default
        "#,
    );
    assert_snapshot(
        check(&f),
        expect![[r#"
        clusters/dev/broken.yaml:5:3 error yaml-syntax [] YAML syntax error near `labels: {a: b`; the rest of the file is analysed as far as it can be read
    "#]],
    );
    let m = model(&f);
    assert!(m.contains("+ ConfigMap default/after-the-break  clusters/dev/broken.yaml"), "{m}");
}

// ---------------------------------------------------------------------------------------
// Clusters.

#[test]
fn cluster_from_flux_system_kustomization() {
    // `dev` (BASE) and `prod`, whose folder is not under a `clusters/` folder; the folder
    // `clusters/staging` has no bootstrap object, so it is not a cluster here.
    assert_snapshot(
        model(&base(
            r#"
            #- /k8s/envs/prod/flux-system/gotk-sync.yaml
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: flux-system
              namespace: flux-system
            spec:
              path: ./k8s/envs/prod
              sourceRef:
                kind: GitRepository
                name: flux-system
            #- /k8s/envs/prod/settings.yaml
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: cluster-settings
              namespace: flux-system
            data:
              CLUSTER: prod
            #- /clusters/staging/settings.yaml
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: cluster-settings
              namespace: flux-system
            "#,
        )),
        expect![[r#"
            cluster dev: root clusters/dev, bootstrap Kustomization in clusters/dev/flux-system/gotk-sync.yaml, strict
              ks flux-system/flux-system: path ./clusters/dev -> clusters/dev; substitution off
                + ConfigMap flux-system/cluster-settings  clusters/dev/cluster-settings.yaml
                + GitRepository flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
                + Kustomization flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
            cluster prod: root k8s/envs/prod, bootstrap Kustomization in k8s/envs/prod/flux-system/gotk-sync.yaml, strict
              ks flux-system/flux-system: path ./k8s/envs/prod -> k8s/envs/prod; substitution off
                + ConfigMap flux-system/cluster-settings  k8s/envs/prod/settings.yaml
                + Kustomization flux-system/flux-system  k8s/envs/prod/flux-system/gotk-sync.yaml
        "#]],
    );
}

#[test]
fn cluster_from_flux_instance_sync_path() {
    assert_snapshot(
        model(
            r#"
            #- /bootstrap/flux-instance.yaml
            apiVersion: fluxcd.controlplane.io/v1
            kind: FluxInstance
            metadata:
              name: flux
              namespace: flux-system
            spec:
              distribution:
                version: "2.x"
              sync:
                kind: GitRepository
                url: https://example.com/repo
                ref: refs/heads/main
                path: ./kubernetes/clusters/staging
            #- /kubernetes/clusters/staging/settings.yaml
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: cluster-settings
              namespace: flux-system
            "#,
        ),
        expect![[r#"
            cluster staging: root kubernetes/clusters/staging, bootstrap FluxInstance in bootstrap/flux-instance.yaml, strict
              ks flux-system/(root): path kubernetes/clusters/staging -> kubernetes/clusters/staging; substitution off
                + ConfigMap flux-system/cluster-settings  kubernetes/clusters/staging/settings.yaml
        "#]],
    );
}

#[test]
fn clusters_folder_fallback() {
    // No flux-system Kustomization and no FluxInstance: each folder under `clusters/`.
    assert_snapshot(
        model(
            r#"
            #- /kubernetes/clusters/east/apps.yaml
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: apps
              namespace: flux-system
            spec:
              path: ./kubernetes/apps
            #- /kubernetes/clusters/west/apps.yaml
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: apps
              namespace: flux-system
            spec:
              path: ./kubernetes/apps
            #- /kubernetes/apps/cm.yaml
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: app
              namespace: default
            "#,
        ),
        expect![[r#"
            cluster east: root kubernetes/clusters/east, a folder under clusters/, strict
              ks flux-system/(root): path kubernetes/clusters/east -> kubernetes/clusters/east; substitution off
                + Kustomization flux-system/apps  kubernetes/clusters/east/apps.yaml
              ks flux-system/apps (from flux-system/(root)): path ./kubernetes/apps -> kubernetes/apps; substitution off
                + ConfigMap default/app  kubernetes/apps/cm.yaml
            cluster west: root kubernetes/clusters/west, a folder under clusters/, strict
              ks flux-system/(root): path kubernetes/clusters/west -> kubernetes/clusters/west; substitution off
                + Kustomization flux-system/apps  kubernetes/clusters/west/apps.yaml
              ks flux-system/apps (from flux-system/(root)): path ./kubernetes/apps -> kubernetes/apps; substitution off
                + ConfigMap default/app  kubernetes/apps/cm.yaml
        "#]],
    );
}

#[test]
fn default_cluster_from_unincluded_kustomizations() {
    // No entry point at all: one cluster made of the Flux Kustomizations that nothing else
    // includes (`apps` and `other`); `app1` is included by `apps`' folder.
    assert_snapshot(
        model(
            r#"
            #- /deploy/root.yaml
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: apps
              namespace: flux-system
            spec:
              path: ./apps
            ---
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: other
              namespace: flux-system
            spec:
              path: ./other
            #- /apps/app1.yaml
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: app1
              namespace: flux-system
            spec:
              path: ./app1
            #- /app1/cm.yaml
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: app1
              namespace: default
            #- /other/cm.yaml
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: other
              namespace: default
            "#,
        ),
        expect![[r#"
            cluster default: root ., default: the Flux Kustomizations nothing includes, strict
              ks flux-system/(default): no path; substitution off
                + Kustomization flux-system/apps  deploy/root.yaml
                + Kustomization flux-system/other  deploy/root.yaml
              ks flux-system/apps (from flux-system/(default)): path ./apps -> apps; substitution off
                + Kustomization flux-system/app1  apps/app1.yaml
              ks flux-system/other (from flux-system/(default)): path ./other -> other; substitution off
                + ConfigMap default/other  other/cm.yaml
              ks flux-system/app1 (from flux-system/apps): path ./app1 -> app1; substitution off
                + ConfigMap default/app1  app1/cm.yaml
        "#]],
    );
}

#[test]
fn config_file_names_clusters() {
    // The configuration wins over discovery: `alpha` is rooted at its bootstrap
    // Kustomization's folder (which becomes its root object), `beta` at a plain folder; Flux
    // versions and strictness come from the file.
    assert_snapshot(
        model(
            r#"
            #- /.gitops-lsp.toml
            [[cluster]]
            name = "alpha"
            path = "./envs/a"
            flux-version = "2.4.0"

            [[cluster]]
            name = "beta"
            path = "envs/b"
            flux-version = "2.4.0"
            strict-substitution = true
            #- /envs/a/flux-system.yaml
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: flux-system
              namespace: flux-system
            spec:
              path: ./envs/a
            #- /envs/b/cm.yaml
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: b
              namespace: default
            #- /clusters/ignored/cm.yaml
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: not-a-cluster
              namespace: default
            "#,
        ),
        expect![[r#"
            cluster alpha: root envs/a, named in .gitops-lsp.toml, lenient
              ks flux-system/flux-system: path ./envs/a -> envs/a; substitution off
                + Kustomization flux-system/flux-system  envs/a/flux-system.yaml
            cluster beta: root envs/b, named in .gitops-lsp.toml, strict
              ks flux-system/(root): path envs/b -> envs/b; substitution off
                + ConfigMap default/b  envs/b/cm.yaml
        "#]],
    );
}

#[test]
fn cluster_names_stay_unique() {
    // Two bootstrap folders ending in the same name are named by more of their path.
    let m = model(
        r#"
        #- /eu/prod/flux-system/gotk-sync.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: flux-system
          namespace: flux-system
        spec:
          path: ./eu/prod
        #- /us/prod/flux-system/gotk-sync.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: flux-system
          namespace: flux-system
        spec:
          path: ./us/prod
        "#,
    );
    let names: Vec<&str> =
        m.lines().filter_map(|l| l.strip_prefix("cluster ")).map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(names, ["eu/prod", "us/prod"]);
}

// ---------------------------------------------------------------------------------------
// The build graph.

/// The app Kustomization most tests use: `app` at `./apps/app`, variables from
/// cluster-settings.
const APP_KS: &str = r#"
#- /clusters/dev/apps.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
  namespace: flux-system
spec:
  path: ./apps/app
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
"#;

fn app(rest: &str) -> String {
    parts(&[BASE, APP_KS, rest])
}

/// The app's one object when a test needs no other: a ConfigMap without variables.
const APP_CM: &str = r#"
#- /apps/app/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: app
  namespace: default
"#;

#[test]
fn kustomize_resources_files_and_folders() {
    // `resources` names files and folders (built by their own kustomization); a file that no
    // entry names is not part of the build.
    let f = app(r#"
        #- /apps/app/kustomization.yaml
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - cm.yaml
          - ../shared
          - sub
        #- /apps/app/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: listed
          namespace: default
        #- /apps/app/unlisted.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: unlisted
          namespace: default
        #- /apps/app/sub/kustomization.yaml
        resources: [deploy.yaml]
        #- /apps/app/sub/deploy.yaml
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: sub
          namespace: default
        #- /apps/shared/kustomization.yaml
        resources:
          - svc.yaml
        #- /apps/shared/svc.yaml
        apiVersion: v1
        kind: Service
        metadata:
          name: shared
          namespace: default
    "#);
    assert_snapshot(check(&f), expect![[""]]);
    assert_snapshot(
        model(&f),
        expect![[r#"
        cluster dev: root clusters/dev, bootstrap Kustomization in clusters/dev/flux-system/gotk-sync.yaml, strict
          ks flux-system/flux-system: path ./clusters/dev -> clusters/dev; substitution off
            + Kustomization flux-system/app  clusters/dev/apps.yaml
            + ConfigMap flux-system/cluster-settings  clusters/dev/cluster-settings.yaml
            + GitRepository flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
            + Kustomization flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
          ks flux-system/app (from flux-system/flux-system): path ./apps/app -> apps/app; substitution on
            source ConfigMap flux-system/cluster-settings: in cluster at clusters/dev/cluster-settings.yaml:4:9
            var CLUSTER = "dev" from ConfigMap flux-system/cluster-settings at clusters/dev/cluster-settings.yaml:7:3
            + ConfigMap default/listed  apps/app/cm.yaml
            + Service default/shared  apps/shared/svc.yaml
            + Deployment default/sub  apps/app/sub/deploy.yaml
    "#]],
    );
}

#[test]
fn missing_paths_are_errors() {
    assert_snapshot(
        check(&app(r#"
            #- /apps/app/kustomization.yaml
            resources:
              - nope.yaml
              - ../nope
            components:
              - ../no-component
            #- /clusters/dev/more.yaml
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: more
              namespace: flux-system
            spec:
              path: ./apps/ap
        "#)),
        expect![[r#"
            apps/app/kustomization.yaml:2:5 error missing-path [] resources entry `nope.yaml` does not exist (apps/app/nope.yaml not found)
            apps/app/kustomization.yaml:3:5 error missing-path [] resources entry `../nope` does not exist (apps/nope not found)
            apps/app/kustomization.yaml:5:5 error missing-path [] components entry `../no-component` does not exist (apps/no-component not found)
            clusters/dev/more.yaml:7:9 error missing-path [dev] spec.path `./apps/ap` of Flux Kustomization flux-system/more does not exist; did you mean `apps/app`?
        "#]],
    );
}

#[test]
fn components_must_be_kind_component() {
    // kustomize `components` and Flux `spec.components` must name `kind: Component`
    // folders; a Component listed under `resources` is wrong too. The good component's
    // objects are part of the build.
    let f = parts(&[
        BASE,
        APP_KS,
        APP_CM,
        r#"
        #- /apps/app/kustomization.yaml
        resources:
          - cm.yaml
          - ../../components/good
        components:
          - ../../components/good
          - ../../components/plain
        #- /components/good/kustomization.yaml
        apiVersion: kustomize.config.k8s.io/v1alpha1
        kind: Component
        resources:
          - pdb.yaml
        #- /components/good/pdb.yaml
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata:
          name: from-component
          namespace: default
        #- /components/plain/kustomization.yaml
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources: []
        #- /clusters/dev/with-components.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: with-components
          namespace: flux-system
        spec:
          path: ./apps/gen
          components:
            - ../../components/good
            - ../../components/plain
        #- /apps/gen/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: gen
          namespace: default
    "#,
    ]);
    assert_snapshot(
        check(&f),
        expect![[r#"
        apps/app/kustomization.yaml:3:5 error not-a-component [] `../../components/good` is a Component; kustomize only accepts it under components:, not resources:
        apps/app/kustomization.yaml:6:5 error not-a-component [] `../../components/plain` is listed in components but its kustomization is not `kind: Component`; list it under resources, or make it a Component (apiVersion kustomize.config.k8s.io/v1alpha1)
        clusters/dev/with-components.yaml:10:7 error not-a-component [dev] component `../../components/plain` of Flux Kustomization flux-system/with-components is not a folder with a `kind: Component` kustomization
    "#]],
    );
    assert_snapshot(
        model(&f),
        expect![[r#"
        cluster dev: root clusters/dev, bootstrap Kustomization in clusters/dev/flux-system/gotk-sync.yaml, strict
          ks flux-system/flux-system: path ./clusters/dev -> clusters/dev; substitution off
            + Kustomization flux-system/app  clusters/dev/apps.yaml
            + ConfigMap flux-system/cluster-settings  clusters/dev/cluster-settings.yaml
            + Kustomization flux-system/with-components  clusters/dev/with-components.yaml
            + GitRepository flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
            + Kustomization flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
          ks flux-system/app (from flux-system/flux-system): path ./apps/app -> apps/app; substitution on
            source ConfigMap flux-system/cluster-settings: in cluster at clusters/dev/cluster-settings.yaml:4:9
            var CLUSTER = "dev" from ConfigMap flux-system/cluster-settings at clusters/dev/cluster-settings.yaml:7:3
            + ConfigMap default/app  apps/app/cm.yaml
            + PodDisruptionBudget default/from-component  components/good/pdb.yaml
            + PodDisruptionBudget default/from-component  components/good/pdb.yaml
          ks flux-system/with-components (from flux-system/flux-system): path ./apps/gen -> apps/gen; substitution off
            components: ../../components/good, ../../components/plain
            + ConfigMap default/gen  apps/gen/cm.yaml
            + PodDisruptionBudget default/from-component  components/good/pdb.yaml
    "#]],
    );
}

#[test]
fn include_cycle_is_protected() {
    // a -> b -> a, and a folder that includes itself: reported, and the walk ends.
    let f = base(
        r#"
        #- /clusters/dev/apps.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: loop
          namespace: flux-system
        spec:
          path: ./loop/a
        ---
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: self
          namespace: flux-system
        spec:
          path: ./loop/self
        #- /loop/a/kustomization.yaml
        resources: [../b, a.yaml]
        #- /loop/a/a.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: a
          namespace: default
        #- /loop/b/kustomization.yaml
        resources: [../a]
        #- /loop/self/kustomization.yaml
        resources: [., s.yaml]
        #- /loop/self/s.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: s
          namespace: default
    "#,
    );
    assert_snapshot(
        check(&f),
        expect![[r#"
        loop/b/kustomization.yaml:1:13 error include-cycle [] kustomization includes itself: loop/a -> loop/b -> loop/a; remove the entry that closes the loop
        loop/self/kustomization.yaml:1:13 error include-cycle [] kustomization includes itself: loop/self -> loop/self; remove the entry that closes the loop
    "#]],
    );
    assert_snapshot(
        model(&f),
        expect![[r#"
        cluster dev: root clusters/dev, bootstrap Kustomization in clusters/dev/flux-system/gotk-sync.yaml, strict
          ks flux-system/flux-system: path ./clusters/dev -> clusters/dev; substitution off
            + Kustomization flux-system/loop  clusters/dev/apps.yaml
            + Kustomization flux-system/self  clusters/dev/apps.yaml
            + ConfigMap flux-system/cluster-settings  clusters/dev/cluster-settings.yaml
            + GitRepository flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
            + Kustomization flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
          ks flux-system/loop (from flux-system/flux-system): path ./loop/a -> loop/a; substitution off
            + ConfigMap default/a  loop/a/a.yaml
          ks flux-system/self (from flux-system/flux-system): path ./loop/self -> loop/self; substitution off
            + ConfigMap default/s  loop/self/s.yaml
    "#]],
    );
}

/// A Flux Kustomization `gen` at `./apps/gen`, a folder without kustomization.yaml.
const GEN_KS: &str = r#"
#- /clusters/dev/apps.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: gen
  namespace: flux-system
spec:
  path: ./apps/gen
"#;

#[test]
fn flux_generated_kustomization_takes_all_manifests_below() {
    // `spec.path` without kustomization.yaml: every .yaml/.yml in the folder and in its
    // sub-folders, at any depth; other files are not manifests.
    let f = parts(&[
        BASE,
        GEN_KS,
        r#"
        #- /apps/gen/a.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: a
          namespace: default
        #- /apps/gen/sub/b.yml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: b
          namespace: default
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: b
          namespace: default
        #- /apps/gen/sub/deeper/c.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: c
          namespace: default
        #- /apps/gen/README.md
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: not-a-manifest
    "#,
    ]);
    assert_snapshot(check(&f), expect![[""]]);
    assert_snapshot(
        model(&f),
        expect![[r#"
        cluster dev: root clusters/dev, bootstrap Kustomization in clusters/dev/flux-system/gotk-sync.yaml, strict
          ks flux-system/flux-system: path ./clusters/dev -> clusters/dev; substitution off
            + Kustomization flux-system/gen  clusters/dev/apps.yaml
            + ConfigMap flux-system/cluster-settings  clusters/dev/cluster-settings.yaml
            + GitRepository flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
            + Kustomization flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
          ks flux-system/gen (from flux-system/flux-system): path ./apps/gen -> apps/gen; substitution off
            + ConfigMap default/a  apps/gen/a.yaml
            + ConfigMap default/b  apps/gen/sub/b.yml
            + Secret default/b  apps/gen/sub/b.yml
            + ConfigMap default/c  apps/gen/sub/deeper/c.yaml
    "#]],
    );
}

#[test]
fn subfolder_with_kustomization_is_built_as_a_whole() {
    // Inside a generated folder, a sub-folder with a kustomization file is one resource: what
    // its kustomization lists, not every file in it. The cluster folder itself works this way
    // in the seed (`flux-system/` with its own kustomization.yaml).
    let f = parts(&[
        BASE,
        GEN_KS,
        r#"
        #- /apps/gen/top.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: top
          namespace: default
        #- /apps/gen/kz/kustomization.yaml
        resources: [one.yaml]
        namePrefix: kz-
        #- /apps/gen/kz/one.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: one
          namespace: default
        #- /apps/gen/kz/two.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: two
          namespace: default
        #- /apps/gen/kz/deeper/three.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: three
          namespace: default
    "#,
    ]);
    assert_snapshot(
        model(&f),
        expect![[r#"
        cluster dev: root clusters/dev, bootstrap Kustomization in clusters/dev/flux-system/gotk-sync.yaml, strict
          ks flux-system/flux-system: path ./clusters/dev -> clusters/dev; substitution off
            + Kustomization flux-system/gen  clusters/dev/apps.yaml
            + ConfigMap flux-system/cluster-settings  clusters/dev/cluster-settings.yaml
            + GitRepository flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
            + Kustomization flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
          ks flux-system/gen (from flux-system/flux-system): path ./apps/gen -> apps/gen; substitution off
            + ConfigMap default/top  apps/gen/top.yaml
            + ConfigMap default/kz-one  apps/gen/kz/one.yaml
    "#]],
    );
}

#[test]
fn each_object_knows_its_clusters_and_chain() {
    // The same ConfigMap in two clusters, through different chains of Flux Kustomizations.
    let a = analyse(&parts(&[
        BASE,
        PROD,
        r#"
        #- /clusters/dev/apps.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: apps
          namespace: flux-system
        spec:
          path: ./apps
        #- /apps/shared.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: shared
          namespace: flux-system
        spec:
          path: ./shared
        #- /shared/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: shared
          namespace: default
        #- /clusters/prod/shared.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: shared
          namespace: flux-system
        spec:
          path: ./shared
    "#,
    ]));
    assert_snapshot(
        chains(&a, "shared/cm.yaml"),
        expect![[r#"
        ConfigMap shared: cluster dev via flux-system > apps > shared
        ConfigMap shared: cluster prod via flux-system > shared
    "#]],
    );
}

// ---------------------------------------------------------------------------------------
// Variables.

/// A Flux Kustomization `app` at `./apps/app` in `clusters/dev` with the given `postBuild`
/// (indented YAML under `postBuild:`), and one ConfigMap in that folder with the given `data`
/// entries.
fn app_files(post_build: &str, data: &str) -> String {
    let pb: String = post_build.trim_matches('\n').lines().map(|l| format!("    {l}\n")).collect();
    let d: String = data.trim_matches('\n').lines().map(|l| format!("  {l}\n")).collect();
    format!(
        "#- /clusters/dev/apps.yaml\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  path: ./apps/app\n  postBuild:\n{pb}#- /apps/app/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\ndata:\n{d}"
    )
}

/// `app_files` in cluster `dev` (BASE).
fn app_with(post_build: &str, data: &str) -> String {
    parts(&[BASE, &app_files(post_build, data)])
}

/// Only the lines of `model` about Flux Kustomization `ks` (its header, sources, variables
/// and objects), dedented.
fn ks_model(m: &str, ks: &str) -> String {
    let mut out = String::new();
    let mut on = false;
    for l in m.lines() {
        if let Some(rest) = l.strip_prefix("  ks ") {
            on = rest.split([' ', ':']).next().is_some_and(|id| id.ends_with(&format!("/{ks}")));
        } else if l.starts_with("cluster ") {
            on = false;
        }
        if on {
            out.push_str(&l[2..]);
            out.push('\n');
        }
    }
    out
}

#[test]
fn substitute_from_later_entry_wins() {
    let f = format!(
        "{}\n{}",
        app_with(
            "substituteFrom:\n  - kind: ConfigMap\n    name: first\n  - kind: Secret\n    name: second\n  - kind: ConfigMap\n    name: third",
            "a: ${A}\nb: ${B}\nc: ${C}"
        ),
        r#"
        #- /clusters/dev/vars.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: first
          namespace: flux-system
        data:
          A: from-first
          B: from-first
          C: from-first
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: second
          namespace: flux-system
        stringData:
          B: from-second
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: third
          namespace: flux-system
        data:
          A: from-third
        "#
    );
    assert_snapshot(
        ks_model(&model(&f), "app"),
        expect![[r#"
          ks flux-system/app (from flux-system/flux-system): path ./apps/app -> apps/app; substitution on
            source ConfigMap flux-system/first: in cluster at clusters/dev/vars.yaml:4:9
            source Secret flux-system/second: in cluster at clusters/dev/vars.yaml:14:9
            source ConfigMap flux-system/third: in cluster at clusters/dev/vars.yaml:22:9
            var A = "from-third" from ConfigMap flux-system/third at clusters/dev/vars.yaml:25:3
            var B = <secret> from Secret flux-system/second at clusters/dev/vars.yaml:17:3
            var C = "from-first" from ConfigMap flux-system/first at clusters/dev/vars.yaml:9:3
            + ConfigMap default/app  apps/app/cm.yaml
    "#]],
    );
    assert_snapshot(check(&f), expect![[""]]);
}

#[test]
fn inline_substitute_wins_over_all() {
    let f = app_with(
        "substitute:\n  CLUSTER: inline\nsubstituteFrom:\n  - kind: ConfigMap\n    name: cluster-settings",
        "c: ${CLUSTER}",
    );
    assert_snapshot(
        ks_model(&model(&f), "app"),
        expect![[r#"
          ks flux-system/app (from flux-system/flux-system): path ./apps/app -> apps/app; substitution on
            source ConfigMap flux-system/cluster-settings: in cluster at clusters/dev/cluster-settings.yaml:4:9
            var CLUSTER = "inline" from postBuild.substitute of flux-system/app at clusters/dev/apps.yaml:10:7
            + ConfigMap default/app  apps/app/cm.yaml
    "#]],
    );
}

#[test]
fn substitute_from_is_looked_up_in_the_kustomizations_namespace_and_cluster() {
    // `cluster-settings` exists in flux-system (BASE) but the Kustomization lives in `apps`;
    // and `prod-only` is applied by Flux in another cluster only: both are missing here.
    let f = parts(&[
        BASE,
        PROD,
        APP_CM,
        r#"
        #- /clusters/dev/apps.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: app
          namespace: apps
        spec:
          path: ./apps/app
          postBuild:
            substituteFrom:
              - kind: ConfigMap
                name: cluster-settings
              - kind: ConfigMap
                name: prod-only
        #- /clusters/prod/prod-only.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: prod-only
          namespace: apps
        "#,
    ]);
    assert_snapshot(
        check(&f),
        expect![[r#"
        clusters/dev/apps.yaml:11:15 error substitution-source-missing [dev] substituteFrom ConfigMap apps/cluster-settings of Flux Kustomization apps/app does not exist; Flux fails the Kustomization: create it, fix the name, or add `optional: true`
        clusters/dev/apps.yaml:13:15 error substitution-source-missing [dev] substituteFrom ConfigMap apps/prod-only of Flux Kustomization apps/app does not exist; Flux fails the Kustomization: create it, fix the name, or add `optional: true`
    "#]],
    );
}

#[test]
fn optional_missing_source_is_present_and_empty() {
    // An optional source that does not exist defines nothing and is no error; its variables
    // are undefined. A Kustomization whose only source is such a one has no variable at all,
    // so Flux does not substitute its objects.
    let f = format!(
        "{}\n{}",
        app_with(
            "substituteFrom:\n  - kind: ConfigMap\n    name: cluster-settings\n  - kind: ConfigMap\n    name: maybe\n    optional: true",
            "c: ${CLUSTER}\nm: ${FROM_MAYBE}\nd: ${FROM_MAYBE:=fallback}"
        ),
        r#"
        #- /clusters/dev/only-optional.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: only-optional
          namespace: flux-system
        spec:
          path: ./apps/other
          postBuild:
            substituteFrom:
              - kind: Secret
                name: maybe-not
                optional: true
        #- /apps/other/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: other
          namespace: default
        data:
          left: ${AS_IT_IS}
        "#
    );
    assert_snapshot(
        check(&f),
        expect![[r#"
        apps/app/cm.yaml:8:6 error undefined-variable [dev] `${FROM_MAYBE}` is not defined for Flux Kustomization flux-system/app (variables from ConfigMap cluster-settings, ConfigMap maybe) and has no default; Flux fails the whole Kustomization: define FROM_MAYBE or write `${FROM_MAYBE:=default}`
    "#]],
    );
    let m = model(&f);
    assert_snapshot(
        ks_model(&m, "app") + &ks_model(&m, "only-optional"),
        expect![[r#"
          ks flux-system/app (from flux-system/flux-system): path ./apps/app -> apps/app; substitution on
            source ConfigMap flux-system/cluster-settings: in cluster at clusters/dev/cluster-settings.yaml:4:9
            source ConfigMap flux-system/maybe (optional): missing
            var CLUSTER = "dev" from ConfigMap flux-system/cluster-settings at clusters/dev/cluster-settings.yaml:7:3
            + ConfigMap default/app  apps/app/cm.yaml
          ks flux-system/only-optional (from flux-system/flux-system): path ./apps/other -> apps/other; substitution off
            source Secret flux-system/maybe-not (optional): missing
            + ConfigMap default/other  apps/other/cm.yaml
    "#]],
    );
}

#[test]
fn no_substitution_without_variables_or_sources() {
    // No postBuild, an empty postBuild, and a source that exists but is empty: Flux loads no
    // variable and leaves `${...}` as it is; nothing is reported.
    let f = base(
        r#"
        #- /clusters/dev/apps.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: plain
          namespace: flux-system
        spec:
          path: ./apps/plain
        ---
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: empty-post-build
          namespace: flux-system
        spec:
          path: ./apps/plain
          postBuild: {}
        ---
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: empty-source
          namespace: flux-system
        spec:
          path: ./apps/plain
          postBuild:
            substituteFrom:
              - kind: ConfigMap
                name: empty
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: empty
          namespace: flux-system
        #- /apps/plain/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: plain
          namespace: default
        data:
          script: echo ${HOME} ${NOT:?x}
    "#,
    );
    assert_snapshot(check(&f), expect![""]);
    let m = model(&f);
    assert_snapshot(
        ks_model(&m, "plain") + &ks_model(&m, "empty-post-build") + &ks_model(&m, "empty-source"),
        expect![[r#"
          ks flux-system/plain (from flux-system/flux-system): path ./apps/plain -> apps/plain; substitution off
            + ConfigMap default/plain  apps/plain/cm.yaml
          ks flux-system/empty-post-build (from flux-system/flux-system): path ./apps/plain -> apps/plain; substitution off
            + ConfigMap default/plain  apps/plain/cm.yaml
          ks flux-system/empty-source (from flux-system/flux-system): path ./apps/plain -> apps/plain; substitution off
            source ConfigMap flux-system/empty: in cluster at clusters/dev/apps.yaml:33:9
            + ConfigMap default/plain  apps/plain/cm.yaml
    "#]],
    );
}

#[test]
fn substitute_strategy_always() {
    let f = app_with("substituteStrategy: Always", "a: ${UNDEFINED}\nb: ${WITH_DEFAULT:=ok}");
    assert_snapshot(
        check(&f),
        expect![[r#"
        apps/app/cm.yaml:7:6 error undefined-variable [dev] `${UNDEFINED}` is not defined for Flux Kustomization flux-system/app (variables from postBuild.substitute) and has no default; Flux fails the whole Kustomization: define UNDEFINED or write `${UNDEFINED:=default}`
    "#]],
    );
    let a = analyse(&f);
    assert_eq!(eval_in(&a, "dev", "app", "${WITH_DEFAULT:=ok}"), "\"ok\"");
}

#[test]
fn default_forms() {
    // `:=`, `:-` and `=` all give the default when the variable is unset or empty (Flux's
    // envsubst treats `=` like `:=`); `-` is not a form Flux parses.
    let f = app_with("substitute:\n  SET: v\n  EMPTY: \"\"", "x: ${UNSET-d}");
    let a = analyse(&f);
    let mut out = String::new();
    for t in [
        "${UNSET:=d}",
        "${UNSET:-d}",
        "${UNSET=d}",
        "${EMPTY:=d}",
        "${EMPTY:-d}",
        "${EMPTY=d}",
        "${SET:=d}",
        "${SET:-d}",
        "${SET=d}",
        "${UNSET-d}",
    ] {
        writeln!(out, "{t} -> {}", eval_in(&a, "dev", "app", t)).unwrap();
    }
    assert_snapshot(
        out,
        expect![[r#"
        ${UNSET:=d} -> "d"
        ${UNSET:-d} -> "d"
        ${UNSET=d} -> "d"
        ${EMPTY:=d} -> "d"
        ${EMPTY:-d} -> "d"
        ${EMPTY=d} -> "d"
        ${SET:=d} -> "v"
        ${SET:-d} -> "v"
        ${SET=d} -> "v"
        ${UNSET-d} -> <unknown> error: `${UNSET-default}` is not supported by Flux: its parser stops after the name and the build fails with "missing closing brace"; write `${UNSET:-default}` or `${UNSET:=default}` (Flux uses the default when the variable is unset or empty)
    "#]],
    );
    assert_snapshot(
        render_diags(&a),
        expect![[r#"
        apps/app/cm.yaml:7:6 error unsupported-substitution [] `${UNSET-default}` is not supported by Flux: its parser stops after the name and the build fails with "missing closing brace"; write `${UNSET:-default}` or `${UNSET:=default}` (Flux uses the default when the variable is unset or empty)
    "#]],
    );
}

#[test]
fn string_functions() {
    let f = app_with("substitute:\n  V: Hello-World\n  L: hello world\n  P: a/b/c.tar.gz", "");
    let a = analyse(&f);
    let mut out = String::new();
    for t in [
        "${#V}",
        "${V:6}",
        "${V:0:5}",
        "${V:-5}",
        "${V/o/0}",
        "${V//o/0}",
        "${V/#Hello/Bye}",
        "${V/%World/There}",
        "${L^}",
        "${V^^}",
        "${V,}",
        "${V,,}",
        "${P#*/}",
        "${P##*/}",
        "${P%.*}",
        "${P%%.*}",
    ] {
        writeln!(out, "{t} -> {}", eval_in(&a, "dev", "app", t)).unwrap();
    }
    assert_snapshot(
        out,
        expect![[r#"
        ${#V} -> "11"
        ${V:6} -> "World"
        ${V:0:5} -> "Hello"
        ${V:-5} -> "Hello-World"
        ${V/o/0} -> "Hell0-World"
        ${V//o/0} -> "Hell0-W0rld"
        ${V/#Hello/Bye} -> "Bye-World"
        ${V/%World/There} -> "Hello-There"
        ${L^} -> "Hello world"
        ${V^^} -> "HELLO-WORLD"
        ${V,} -> "hello-World"
        ${V,,} -> "hello-world"
        ${P#*/} -> "b/c.tar.gz"
        ${P##*/} -> "c.tar.gz"
        ${P%.*} -> "a/b/c.tar"
        ${P%%.*} -> "a/b/c"
    "#]],
    );
}

#[test]
fn unsupported_forms() {
    // Errors where Flux fails the build; warnings where it parses a form but does something
    // other than bash would.
    let f = app_with(
        "substitute:\n  V: v",
        "a: ${V:?required}\nb: ${V:+alt}\nc: ${V+alt}\nd: ${V-d}\ne: ${!V}\nf: ${}\ng: ${V\nh: ${V,^}",
    );
    assert_snapshot(
        check(&f),
        expect![[r#"
        apps/app/cm.yaml:7:6 warning unsupported-substitution [] `${V:?...}` does not fail in Flux when `V` is unset: Flux treats it like `${V:-...}` and substitutes the text after `:?`; to require the variable write `${V}` (strict substitution fails the build when it is unset)
        apps/app/cm.yaml:8:6 warning unsupported-substitution [] `${V:+...}` is not an alternate value in Flux: Flux treats it like `${V:-...}`, giving the value of `V` when it is set and non-empty and the text after `:+` otherwise
        apps/app/cm.yaml:9:6 error unsupported-substitution [] `${V+alternate}` is not supported by Flux: the build fails with "missing closing brace"
        apps/app/cm.yaml:10:6 error unsupported-substitution [] `${V-default}` is not supported by Flux: its parser stops after the name and the build fails with "missing closing brace"; write `${V:-default}` or `${V:=default}` (Flux uses the default when the variable is unset or empty)
        apps/app/cm.yaml:11:6 error unsupported-substitution [] indirect expansion `${!name}` is not supported by Flux: the build fails with "unable to parse variable name"
        apps/app/cm.yaml:12:6 error unsupported-substitution [] empty `${}`: put a variable name between the braces, e.g. `${cluster_name}`, or write `$${}` for a literal `${}`
        apps/app/cm.yaml:13:6 error unsupported-substitution [] unterminated `${`: no closing `}` before the end of the text; add the `}`, or write `$${` for a literal `${`
        apps/app/cm.yaml:14:6 warning unsupported-substitution [] `,^` is not a case conversion: Flux leaves the value of `V` unchanged; write `^` (first letter upper), `^^` (upper), `,` (first letter lower) or `,,` (lower)
    "#]],
    );
}

#[test]
fn invalid_variable_name_from_substitute_from_key() {
    let f = format!(
        "{}\n{}",
        app_with(
            "substitute:\n  1ST: x\n  ok_name: fine\nsubstituteFrom:\n  - kind: ConfigMap\n    name: bad-keys",
            "a: ${ok_name}"
        ),
        r#"
        #- /clusters/dev/bad-keys.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: bad-keys
          namespace: flux-system
        data:
          app-domain: example.com
          APP_DOMAIN: example.com
        "#
    );
    assert_snapshot(
        check(&f),
        expect![[r#"
        clusters/dev/apps.yaml:10:7 error invalid-variable-name [] `1ST` (postBuild.substitute) is not a valid variable name (letters, digits and `_`, not starting with a digit); Flux fails the substitution: rename it, e.g. `_1ST`
        clusters/dev/bad-keys.yaml:7:3 error invalid-variable-name [dev] `app-domain` (key of substituteFrom ConfigMap flux-system/bad-keys) is not a valid variable name (letters, digits and `_`, not starting with a digit); Flux fails the substitution: rename it, e.g. `APP_DOMAIN`
    "#]],
    );
}

#[test]
fn dollar_name_left_alone() {
    let a = analyse(&app_with("substitute:\n  HOME: /root", "script: echo $HOME $UNDEFINED"));
    assert_eq!(eval_in(&a, "dev", "app", "echo $HOME $UNDEFINED"), "\"echo $HOME $UNDEFINED\"");
    assert_eq!(render_diags(&a), "");
}

#[test]
fn double_dollar_escape() {
    let a = analyse(&app_with("substitute:\n  HOME: /root", "script: echo $${HOME} $${UNDEFINED} costs $$5"));
    assert_eq!(
        eval_in(&a, "dev", "app", "echo $${HOME} $${UNDEFINED} costs $$5"),
        "\"echo ${HOME} ${UNDEFINED} costs $5\""
    );
    assert_eq!(render_diags(&a), "");
}

#[test]
fn substitute_disabled_annotation_and_label() {
    let f = format!(
        "{}\n{}",
        app_with("substitute:\n  V: v", "plain: ${UNDEFINED_HERE}"),
        r#"
        #- /apps/app/annotated.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: annotated
          namespace: default
          annotations:
            kustomize.toolkit.fluxcd.io/substitute: disabled
        data:
          script: ${NOT_SUBSTITUTED}
        #- /apps/app/labelled.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: labelled
          namespace: default
          labels:
            kustomize.toolkit.fluxcd.io/substitute: disabled
        data:
          script: ${NOT_SUBSTITUTED}
        "#
    );
    assert_snapshot(
        check(&f),
        expect![[r#"
        apps/app/cm.yaml:7:10 error undefined-variable [dev] `${UNDEFINED_HERE}` is not defined for Flux Kustomization flux-system/app (variables from postBuild.substitute) and has no default; Flux fails the whole Kustomization: define UNDEFINED_HERE or write `${UNDEFINED_HERE:=default}`
    "#]],
    );
    assert_snapshot(
        ks_model(&model(&f), "app"),
        expect![[r#"
          ks flux-system/app (from flux-system/flux-system): path ./apps/app -> apps/app; substitution on
            var V = "v" from postBuild.substitute of flux-system/app at clusters/dev/apps.yaml:10:7
            + ConfigMap default/annotated  apps/app/annotated.yaml [substitution disabled]
            + ConfigMap default/app  apps/app/cm.yaml
            + ConfigMap default/labelled  apps/app/labelled.yaml [substitution disabled]
    "#]],
    );
}

#[test]
fn parent_substitution_applies_to_child_ks_spec() {
    // `apps` substitutes; the Flux Kustomization it builds has `${CLUSTER}` in its name,
    // path, dependsOn and inline variables, all read after substitution.
    let f = base(
        r#"
        #- /clusters/dev/apps.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: apps
          namespace: flux-system
        spec:
          path: ./apps-root
          postBuild:
            substituteFrom:
              - kind: ConfigMap
                name: cluster-settings
        #- /apps-root/ks.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: app-${CLUSTER}
          namespace: flux-system
        spec:
          path: ./apps/${CLUSTER}
          dependsOn:
            - name: ${CLUSTER}-base
          postBuild:
            substitute:
              WHERE: in-${CLUSTER}
        ---
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: dev-base
          namespace: flux-system
        spec:
          path: ./apps/dev
        #- /apps/dev/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: app
          namespace: default
        data:
          where: ${WHERE}
    "#,
    );
    assert_snapshot(check(&f), expect![[""]]);
    assert_snapshot(
        ks_model(&model(&f), "app-dev"),
        expect![[r#"
          ks flux-system/app-dev (from flux-system/apps): path ./apps/dev -> apps/dev; substitution on
            dependsOn: flux-system/dev-base
            var WHERE = "in-dev" from postBuild.substitute of flux-system/app-dev at apps-root/ks.yaml:12:7
            + ConfigMap default/app  apps/dev/cm.yaml
    "#]],
    );
}

#[test]
fn nested_defaults() {
    let a = analyse(&app_with("substitute:\n  A: a\n  CLUSTER: dev", ""));
    let mut out = String::new();
    for t in [
        "${UNSET:=${CLUSTER}}",
        "${UNSET:-pre-${CLUSTER}-post}",
        "${UNSET:=${ALSO_UNSET:=deep}}",
        "${A:=${B_UNSET}}",
        "${UNSET:=${B_UNSET}}",
    ] {
        writeln!(out, "{t} -> {}", eval_in(&a, "dev", "app", t)).unwrap();
    }
    assert_snapshot(
        out,
        expect![[r#"
        ${UNSET:=${CLUSTER}} -> "dev"
        ${UNSET:-pre-${CLUSTER}-post} -> "pre-dev-post"
        ${UNSET:=${ALSO_UNSET:=deep}} -> "deep"
        ${A:=${B_UNSET}} -> "a" undefined: B_UNSET
        ${UNSET:=${B_UNSET}} -> "" undefined: B_UNSET
    "#]],
    );
}

#[test]
fn parent_spec_patches_apply_before_child_spec_is_read() {
    // `apps` patches every Flux Kustomization it builds: the child gets its variables and
    // its path from the patches.
    let f = base(
        r#"
        #- /clusters/dev/apps.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: apps
          namespace: flux-system
        spec:
          path: ./apps-root
          patches:
            - target:
                group: kustomize.toolkit.fluxcd.io
                kind: Kustomization
              patch: |
                apiVersion: kustomize.toolkit.fluxcd.io/v1
                kind: Kustomization
                metadata:
                  name: not-used
                spec:
                  postBuild:
                    substituteFrom:
                      - kind: ConfigMap
                        name: cluster-settings
            - target:
                kind: Kustomization
                name: child
              patch: |
                - op: replace
                  path: /spec/path
                  value: ./apps/patched
        #- /apps-root/ks.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: child
          namespace: flux-system
        spec:
          path: ./apps/original
        #- /apps/patched/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: app
          namespace: default
        data:
          cluster: ${CLUSTER}
    "#,
    );
    assert_snapshot(check(&f), expect![[""]]);
    assert_snapshot(
        ks_model(&model(&f), "child"),
        expect![[r#"
          ks flux-system/child (from flux-system/apps): path ./apps/patched -> apps/patched; substitution on
            source ConfigMap flux-system/cluster-settings: in cluster at clusters/dev/cluster-settings.yaml:4:9
            var CLUSTER = "dev" from ConfigMap flux-system/cluster-settings at clusters/dev/cluster-settings.yaml:7:3
            + ConfigMap default/app  apps/patched/cm.yaml
    "#]],
    );
}

#[test]
fn kustomize_patches_on_flux_kustomizations() {
    // A kustomization.yaml that lists Flux Kustomizations and patches them (inline with a
    // target, and a strategic-merge file that targets by its own kind and name).
    let f = base(
        r#"
        #- /clusters/dev/apps.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: apps
          namespace: flux-system
        spec:
          path: ./apps-root
        #- /apps-root/kustomization.yaml
        resources: [ks.yaml]
        patches:
          - target:
              kind: Kustomization
            patch: |-
              - op: add
                path: /spec/postBuild
                value:
                  substituteFrom:
                    - kind: ConfigMap
                      name: cluster-settings
          - path: one-patch.yaml
        #- /apps-root/one-patch.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: one
          namespace: flux-system
        spec:
          postBuild:
            substitute:
              ONLY_ONE: "yes"
        #- /apps-root/ks.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: one
          namespace: flux-system
        spec:
          path: ./apps/one
        ---
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: two
          namespace: flux-system
        spec:
          path: ./apps/two
        #- /apps/one/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: one
          namespace: default
        data:
          c: ${CLUSTER}
          o: ${ONLY_ONE}
        #- /apps/two/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: two
          namespace: default
        data:
          c: ${CLUSTER}
          o: ${ONLY_ONE}
    "#,
    );
    assert_snapshot(
        check(&f),
        expect![[r#"
        apps/two/cm.yaml:8:6 error undefined-variable [dev] `${ONLY_ONE}` is not defined for Flux Kustomization flux-system/two (variables from ConfigMap cluster-settings) and has no default; Flux fails the whole Kustomization: define ONLY_ONE or write `${ONLY_ONE:=default}`
    "#]],
    );
    let m = model(&f);
    assert_snapshot(
        ks_model(&m, "one") + &ks_model(&m, "two"),
        expect![[r#"
          ks flux-system/one (from flux-system/apps): path ./apps/one -> apps/one; substitution on
            source ConfigMap flux-system/cluster-settings: in cluster at clusters/dev/cluster-settings.yaml:4:9
            var CLUSTER = "dev" from ConfigMap flux-system/cluster-settings at clusters/dev/cluster-settings.yaml:7:3
            var ONLY_ONE = "yes" from postBuild.substitute of flux-system/one at apps-root/one-patch.yaml:9:7
            + ConfigMap default/one  apps/one/cm.yaml
          ks flux-system/two (from flux-system/apps): path ./apps/two -> apps/two; substitution on
            source ConfigMap flux-system/cluster-settings: in cluster at clusters/dev/cluster-settings.yaml:4:9
            var CLUSTER = "dev" from ConfigMap flux-system/cluster-settings at clusters/dev/cluster-settings.yaml:7:3
            + ConfigMap default/two  apps/two/cm.yaml
    "#]],
    );
}

#[test]
fn variable_values_lose_their_newlines() {
    // Flux removes every "\n" from a value before substituting: a block scalar still gives
    // a usable folder name.
    let f = base(
        r#"
        #- /clusters/dev/vars.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: multi-line
          namespace: flux-system
        data:
          APP_DIR: |
            dev
          LIST: |
            a
            b
        #- /clusters/dev/apps.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: apps
          namespace: flux-system
        spec:
          path: ./apps-root
          postBuild:
            substitute:
              INLINE: "x\ny"
            substituteFrom:
              - kind: ConfigMap
                name: multi-line
        #- /apps-root/ks.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: child
          namespace: flux-system
        spec:
          path: ./apps/${APP_DIR}
        #- /apps/dev/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: app
          namespace: default
    "#,
    );
    assert_snapshot(check(&f), expect![[""]]);
    let m = model(&f);
    assert_snapshot(
        ks_model(&m, "apps") + &ks_model(&m, "child"),
        expect![[r#"
          ks flux-system/apps (from flux-system/flux-system): path ./apps-root -> apps-root; substitution on
            source ConfigMap flux-system/multi-line: in cluster at clusters/dev/vars.yaml:4:9
            var APP_DIR = "dev" from ConfigMap flux-system/multi-line at clusters/dev/vars.yaml:7:3
            var INLINE = "xy" from postBuild.substitute of flux-system/apps at clusters/dev/apps.yaml:10:7
            var LIST = "ab" from ConfigMap flux-system/multi-line at clusters/dev/vars.yaml:9:3
            + Kustomization flux-system/child  apps-root/ks.yaml
          ks flux-system/child (from flux-system/apps): path ./apps/dev -> apps/dev; substitution off
            + ConfigMap default/app  apps/dev/cm.yaml
    "#]],
    );
}

#[test]
fn empty_value_counts_as_undefined() {
    let f = app_with("substitute:\n  EMPTY: \"\"", "e: ${EMPTY}\nd: ${EMPTY:=default}");
    assert_snapshot(
        check(&f),
        expect![[r#"
        apps/app/cm.yaml:7:6 error undefined-variable [dev] `${EMPTY}` is set to "" (from postBuild.substitute of flux-system/app); Flux substitutes nothing: give it a value, or write `${EMPTY:=default}`
    "#]],
    );
}

#[test]
fn undefined_variable_is_reported_per_cluster() {
    // The same app in two clusters; only `prod` lacks `REPLICAS`.
    let f = parts(&[
        BASE,
        PROD,
        r#"
        #- /clusters/dev/cluster-settings-extra.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: extra
          namespace: flux-system
        data:
          REPLICAS: "2"
        #- /clusters/dev/apps.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: app
          namespace: flux-system
        spec:
          path: ./apps/app
          postBuild:
            substituteFrom:
              - kind: ConfigMap
                name: cluster-settings
              - kind: ConfigMap
                name: extra
                optional: true
        #- /clusters/prod/cluster-settings.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: cluster-settings
          namespace: flux-system
        data:
          CLUSTER: prod
        #- /clusters/prod/apps.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: app
          namespace: flux-system
        spec:
          path: ./apps/app
          postBuild:
            substituteFrom:
              - kind: ConfigMap
                name: cluster-settings
              - kind: ConfigMap
                name: extra
                optional: true
        #- /apps/app/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: app-${CLUSTER}
          namespace: default
        data:
          replicas: ${REPLICAS}
          everywhere: ${NOWHERE}
    "#,
    ]);
    assert_snapshot(
        check(&f),
        expect![[r#"
        apps/app/cm.yaml:7:13 error undefined-variable [prod] `${REPLICAS}` is not defined for Flux Kustomization flux-system/app (variables from ConfigMap cluster-settings, ConfigMap extra) and has no default; Flux fails the whole Kustomization: define REPLICAS or write `${REPLICAS:=default}`
        apps/app/cm.yaml:8:15 error undefined-variable [dev, prod] `${NOWHERE}` is not defined for Flux Kustomization flux-system/app (variables from ConfigMap cluster-settings, ConfigMap extra) and has no default; Flux fails the whole Kustomization: define NOWHERE or write `${NOWHERE:=default}`
    "#]],
    );
}

// ---------------------------------------------------------------------------------------
// Secrets.

#[test]
fn external_secret_sealed_secret_sops_count_as_present() {
    // Three Secrets that the repository produces without holding their values: their keys
    // are provided (value unknown), a key none of them has is undefined.
    let f = format!(
        "{}\n{}",
        app_with(
            "substituteFrom:\n  - kind: Secret\n    name: from-eso\n  - kind: Secret\n    name: sealed\n  - kind: Secret\n    name: sops-secret",
            "a: ${DB_PASSWORD}\nb: ${TEMPLATED}\nc: ${TOKEN}\nd: ${API_KEY}\ne: ${IN_NONE}"
        ),
        r#"
        #- /clusters/dev/secrets.yaml
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata:
          name: eso-object
          namespace: flux-system
        spec:
          target:
            name: from-eso
            template:
              data:
                TEMPLATED: "{{ .x }}"
          data:
            - secretKey: DB_PASSWORD
              remoteRef:
                key: db
        ---
        apiVersion: bitnami.com/v1alpha1
        kind: SealedSecret
        metadata:
          name: sealed
          namespace: flux-system
        spec:
          encryptedData:
            TOKEN: AgBy3i4OJSWK+PiTySYZZA==
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: sops-secret
          namespace: flux-system
        stringData:
          API_KEY: ENC[AES256_GCM,data:Tr7o1Q==,iv:1=,tag:2=,type:str]
        sops:
          age:
            - recipient: age1xyz
          version: 3.9.0
        "#
    );
    assert_snapshot(
        check(&f),
        expect![[r#"
        apps/app/cm.yaml:11:6 error undefined-variable [dev] `${IN_NONE}` is not defined for Flux Kustomization flux-system/app (variables from Secret from-eso, Secret sealed, Secret sops-secret) and has no default; Flux fails the whole Kustomization: define IN_NONE or write `${IN_NONE:=default}`
    "#]],
    );
    assert_snapshot(
        ks_model(&model(&f), "app"),
        expect![[r#"
          ks flux-system/app (from flux-system/flux-system): path ./apps/app -> apps/app; substitution on
            source Secret flux-system/from-eso: in cluster at clusters/dev/secrets.yaml:4:9
            source Secret flux-system/sealed: in cluster at clusters/dev/secrets.yaml:20:9
            source Secret flux-system/sops-secret: in cluster at clusters/dev/secrets.yaml:29:9
            var API_KEY = <unknown> from Secret flux-system/sops-secret (SOPS-encrypted) at clusters/dev/secrets.yaml:32:3
            var DB_PASSWORD = <unknown> from Secret flux-system/from-eso at clusters/dev/secrets.yaml:13:18
            var TEMPLATED = <unknown> from Secret flux-system/from-eso at clusters/dev/secrets.yaml:11:9
            var TOKEN = <unknown> from Secret flux-system/sealed at clusters/dev/secrets.yaml:24:5
            + ConfigMap default/app  apps/app/cm.yaml
    "#]],
    );
}

const SECRET_VALUE: &str = "hunter2-do-not-show";

#[test]
fn secret_values_never_shown() {
    // A Secret in clear in the repository (stringData and base64 data): its variables are
    // `Value::Secret`, and no output of the model or the diagnostics holds the value.
    let f = format!(
        "{}\n{}",
        app_with(
            "substituteFrom:\n  - kind: Secret\n    name: cluster-secrets",
            "a: ${PASSWORD}\nb: ${PASSWORD_TYPO}\nc: \"${PASSWORD:0:3}\"\nd: ${ENCODED}"
        ),
        r#"
        #- /clusters/dev/cluster-secrets.yaml
        apiVersion: v1
        kind: Secret
        metadata:
          name: cluster-secrets
          namespace: flux-system
        stringData:
          PASSWORD: hunter2-do-not-show
        data:
          ENCODED: aHVudGVyMi1kby1ub3Qtc2hvdw==
        "#
    );
    let a = analyse(&f);
    let ks = &a.project.cluster("dev").unwrap().kss.iter().find(|k| k.id.name == "app").unwrap().bindings;
    assert_eq!(ks.vars["PASSWORD"].value, Value::Secret);
    assert_eq!(ks.vars["ENCODED"].value, Value::Secret);
    assert_eq!(ks.vars["PASSWORD"].from, "Secret flux-system/cluster-secrets");
    let everything = format!(
        "{}{}{ks:?}{}",
        render_diags(&a),
        render_model(&a),
        eval_in(&a, "dev", "app", "${PASSWORD} ${PASSWORD:0:3} ${ENCODED}")
    );
    assert!(
        !everything.contains(SECRET_VALUE) && !everything.contains("hun") && !everything.contains("aHVud"),
        "{everything}"
    );
    assert_snapshot(
        render_diags(&a),
        expect![[r#"
        apps/app/cm.yaml:8:6 error undefined-variable [dev] `${PASSWORD_TYPO}` is not defined for Flux Kustomization flux-system/app (variables from Secret cluster-secrets) and has no default; Flux fails the whole Kustomization: define PASSWORD_TYPO or write `${PASSWORD_TYPO:=default}`
    "#]],
    );
}

#[test]
fn sops_encrypted_values_recognised() {
    // A SOPS-encrypted ConfigMap: encrypted values are provided, value unknown (never the
    // `ENC[...]` text); values SOPS left in clear (`unencrypted_suffix`) are read.
    let f = format!(
        "{}\n{}",
        app_with(
            "substituteFrom:\n  - kind: ConfigMap\n    name: sops-settings",
            "a: ${DOMAIN}\nb: ${REGION_unencrypted}"
        ),
        r#"
        #- /clusters/dev/sops-settings.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: sops-settings
          namespace: flux-system
        data:
          DOMAIN: ENC[AES256_GCM,data:2zYFmFU=,iv:abc=,tag:def=,type:str]
          REGION_unencrypted: eu-west
        sops:
          unencrypted_suffix: _unencrypted
          version: 3.9.0
        "#
    );
    let a = analyse(&f);
    assert_snapshot(
        ks_model(&render_model(&a), "app"),
        expect![[r#"
          ks flux-system/app (from flux-system/flux-system): path ./apps/app -> apps/app; substitution on
            source ConfigMap flux-system/sops-settings: in cluster at clusters/dev/sops-settings.yaml:4:9
            var DOMAIN = <unknown> from ConfigMap flux-system/sops-settings (SOPS-encrypted) at clusters/dev/sops-settings.yaml:7:3
            var REGION_unencrypted = "eu-west" from ConfigMap flux-system/sops-settings at clusters/dev/sops-settings.yaml:8:3
            + ConfigMap default/app  apps/app/cm.yaml
    "#]],
    );
    assert_eq!(eval_in(&a, "dev", "app", "${DOMAIN}"), "<unknown>");
    assert_eq!(render_diags(&a), "");
}

// ---------------------------------------------------------------------------------------
// What real repositories do, and is no error.

#[test]
fn bootstrap_only_source_is_information() {
    // `cluster-secrets` is created by a bootstrap folder that no Flux Kustomization applies:
    // information (not substitution-source-missing), and its keys are known.
    let f = format!(
        "{}\n{}",
        app_with("substituteFrom:\n  - kind: Secret\n    name: cluster-secrets", "a: ${SECRET_DOMAIN}"),
        r#"
        #- /bootstrap/cluster-secrets.sops.yaml
        apiVersion: v1
        kind: Secret
        metadata:
          name: cluster-secrets
          namespace: flux-system
        stringData:
          SECRET_DOMAIN: ENC[AES256_GCM,data:abc=,iv:x=,tag:y=,type:str]
        sops:
          version: 3.9.0
        "#
    );
    assert_snapshot(
        check(&f),
        expect![[r#"
        clusters/dev/apps.yaml:11:15 information substitution-source-outside-flux [dev] substituteFrom Secret flux-system/cluster-secrets is not applied by Flux in this cluster; it is defined in bootstrap/cluster-secrets.sops.yaml (created outside Flux, e.g. at bootstrap)
    "#]],
    );
    assert_snapshot(
        ks_model(&model(&f), "app"),
        expect![[r#"
          ks flux-system/app (from flux-system/flux-system): path ./apps/app -> apps/app; substitution on
            source Secret flux-system/cluster-secrets: outside Flux at bootstrap/cluster-secrets.sops.yaml:4:9
            var SECRET_DOMAIN = <unknown> from Secret flux-system/cluster-secrets (SOPS-encrypted) at bootstrap/cluster-secrets.sops.yaml:7:3
            + ConfigMap default/app  apps/app/cm.yaml
    "#]],
    );
}

#[test]
fn source_ref_other_gitrepository_same_url() {
    // `home-ops` is this repository under another name (same URL, `.git` or not): its paths
    // resolve here. `podinfo` is another repository: its paths are not checked.
    let f = parts(&[
        BASE,
        APP_CM,
        r#"
        #- /clusters/dev/sources.yaml
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata:
          name: home-ops
          namespace: flux-system
        spec:
          url: ssh://git@example.com/home-ops.git
        ---
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata:
          name: podinfo
          namespace: flux-system
        spec:
          url: https://github.com/stefanprodan/podinfo
        #- /clusters/dev/apps.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: mine
          namespace: flux-system
        spec:
          path: ./apps/app
          sourceRef:
            kind: GitRepository
            name: home-ops
        ---
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: theirs
          namespace: flux-system
        spec:
          path: ./kustomize
          sourceRef:
            kind: GitRepository
            name: podinfo
    "#,
    ]);
    assert_snapshot(check(&f), expect![[""]]);
    let m = model(&f);
    assert_snapshot(
        ks_model(&m, "mine") + &ks_model(&m, "theirs"),
        expect![[r#"
          ks flux-system/mine (from flux-system/flux-system): path ./apps/app -> apps/app; substitution off
            + ConfigMap default/app  apps/app/cm.yaml
          ks flux-system/theirs (from flux-system/flux-system): path ./kustomize -> kustomize; substitution off
            external: GitRepository flux-system/podinfo is not this repository
    "#]],
    );
}

#[test]
fn oci_repository_paths_resolved_to_folder() {
    // `cluster-config` is pushed from ./kubernetes (found: the one folder against which
    // every path of that source resolves); `other` is placed by the configuration file.
    let f = r#"
        #- /.gitops-lsp.toml
        [[cluster]]
        name = "dev"
        path = "kubernetes/clusters/dev"

        [[source]]
        kind = "OCIRepository"
        name = "other"
        path = "deploy"
        #- /kubernetes/clusters/dev/sources.yaml
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: OCIRepository
        metadata:
          name: cluster-config
          namespace: flux-system
        spec:
          url: oci://ghcr.io/example/cluster-config
        ---
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: OCIRepository
        metadata:
          name: other
          namespace: flux-system
        spec:
          url: oci://ghcr.io/example/other
        #- /kubernetes/clusters/dev/apps.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: app
          namespace: flux-system
        spec:
          path: ./apps/app
          sourceRef:
            kind: OCIRepository
            name: cluster-config
        ---
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: infra
          namespace: flux-system
        spec:
          path: ./infra
          sourceRef:
            kind: OCIRepository
            name: cluster-config
        ---
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: from-other
          namespace: flux-system
        spec:
          path: ./apps/app
          sourceRef:
            kind: OCIRepository
            name: other
        #- /kubernetes/apps/app/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: app
          namespace: default
        #- /kubernetes/infra/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: infra
          namespace: default
        #- /deploy/apps/app/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: other-app
          namespace: default
    "#;
    assert_snapshot(check(f), expect![[""]]);
    assert_snapshot(
        model(f),
        expect![[r#"
        cluster dev: root kubernetes/clusters/dev, named in .gitops-lsp.toml, strict
          ks flux-system/(root): path kubernetes/clusters/dev -> kubernetes/clusters/dev; substitution off
            + Kustomization flux-system/app  kubernetes/clusters/dev/apps.yaml
            + Kustomization flux-system/infra  kubernetes/clusters/dev/apps.yaml
            + Kustomization flux-system/from-other  kubernetes/clusters/dev/apps.yaml
            + OCIRepository flux-system/cluster-config  kubernetes/clusters/dev/sources.yaml
            + OCIRepository flux-system/other  kubernetes/clusters/dev/sources.yaml
          ks flux-system/app (from flux-system/(root)): path ./apps/app -> kubernetes/apps/app; substitution off
            + ConfigMap default/app  kubernetes/apps/app/cm.yaml
          ks flux-system/infra (from flux-system/(root)): path ./infra -> kubernetes/infra; substitution off
            + ConfigMap default/infra  kubernetes/infra/cm.yaml
          ks flux-system/from-other (from flux-system/(root)): path ./apps/app -> deploy/apps/app; substitution off
            + ConfigMap default/other-app  deploy/apps/app/cm.yaml
    "#]],
    );
}

#[test]
fn external_source_paths_not_checked() {
    // An OCIRepository whose paths resolve nowhere here, and one the configuration marks
    // external: nothing is read or reported for them.
    let f = parts(&[
        BASE,
        APP_CM,
        r#"
        #- /.gitops-lsp.toml
        [[source]]
        kind = "OCIRepository"
        name = "vendor"
        #- /clusters/dev/apps.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: remote-app
          namespace: flux-system
        spec:
          path: ./deploy/production
          components: [../components/x]
          sourceRef:
            kind: OCIRepository
            name: podinfo
        ---
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: vendor-app
          namespace: flux-system
        spec:
          path: ./apps/app
          sourceRef:
            kind: OCIRepository
            name: vendor
    "#,
    ]);
    assert_snapshot(check(&f), expect![[""]]);
    let m = model(&f);
    assert_snapshot(
        ks_model(&m, "remote-app") + &ks_model(&m, "vendor-app"),
        expect![[r#"
          ks flux-system/remote-app (from flux-system/flux-system): path ./deploy/production -> deploy/production; substitution off
            external: OCIRepository flux-system/podinfo is not this repository
            components: ../components/x
          ks flux-system/vendor-app (from flux-system/flux-system): path ./apps/app -> apps/app; substitution off
            external: OCIRepository flux-system/vendor is external (per .gitops-lsp.toml)
    "#]],
    );
}

#[test]
fn target_namespace_applies() {
    // `spec.targetNamespace` sets the namespace of everything the Kustomization applies: two
    // ConfigMaps from different namespaces now collide, and a substitution source applied
    // that way is found in that namespace.
    let f = base(
        r#"
        #- /clusters/dev/apps.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: settings
          namespace: flux-system
        spec:
          path: ./settings
          targetNamespace: flux-system
        ---
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: app
          namespace: flux-system
        spec:
          path: ./apps/app
          targetNamespace: apps
          postBuild:
            substituteFrom:
              - kind: ConfigMap
                name: app-settings
        #- /settings/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: app-settings
        data:
          COLOR: blue
        #- /apps/app/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: app
          namespace: one
        data:
          color: ${COLOR}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: app
          namespace: two
    "#,
    );
    assert_snapshot(
        check(&f),
        expect![[r#"
        apps/app/cm.yaml:12:9 error duplicate-object [dev] ConfigMap apps/app is defined twice in the build of Flux Kustomization flux-system/app; kustomize fails: remove or rename one
    "#]],
    );
    let m = model(&f);
    assert_snapshot(
        ks_model(&m, "settings") + &ks_model(&m, "app"),
        expect![[r#"
          ks flux-system/settings (from flux-system/flux-system): path ./settings -> settings; substitution off, targetNamespace flux-system
            + ConfigMap flux-system/app-settings  settings/cm.yaml
          ks flux-system/app (from flux-system/flux-system): path ./apps/app -> apps/app; substitution on, targetNamespace apps
            source ConfigMap flux-system/app-settings: in cluster at settings/cm.yaml:4:9
            var COLOR = "blue" from ConfigMap flux-system/app-settings at settings/cm.yaml:6:3
            + ConfigMap apps/app  apps/app/cm.yaml
            + ConfigMap apps/app  apps/app/cm.yaml
    "#]],
    );
}

#[test]
fn replacements_are_not_errors() {
    // Names and namespaces set through kustomize `replacements` (from placeholders): not a
    // duplicate, not an error.
    let f = app(r#"
        #- /apps/app/kustomization.yaml
        resources: [deploy.yaml]
        replacements:
          - source:
              kind: ConfigMap
              name: names
              fieldPath: data.first
            targets:
              - select:
                  kind: Deployment
                  name: placeholder
                fieldPaths: [metadata.name]
        configMapGenerator:
          - name: names
            literals: [first=one]
        #- /apps/app/deploy.yaml
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: placeholder
          namespace: default
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: placeholder
          namespace: default
    "#);
    assert_snapshot(check(&f), expect![""]);
}

#[test]
fn generator_options_disable_substitution() {
    // The substitute-disabled annotation set by generatorOptions (on generated objects), by a
    // generator's own options, or by commonAnnotations / labels (on everything the
    // kustomization builds) turns substitution off; a generator without it is substituted.
    let f = app(r#"
        #- /apps/app/kustomization.yaml
        resources: [sub]
        generatorOptions:
          annotations:
            kustomize.toolkit.fluxcd.io/substitute: disabled
        configMapGenerator:
          - name: scripts
            literals:
              - run.sh=echo ${NOT_A_VARIABLE}
        #- /apps/app/sub/kustomization.yaml
        resources: [cm.yaml, ../other]
        commonAnnotations:
          kustomize.toolkit.fluxcd.io/substitute: disabled
        #- /apps/app/sub/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: in-sub
          namespace: default
        data:
          script: echo ${ALSO_NOT}
        #- /apps/app/other/kustomization.yaml
        labels:
          - pairs:
              kustomize.toolkit.fluxcd.io/substitute: disabled
        resources: [cm.yaml]
        configMapGenerator:
          - name: own-options
            options:
              labels:
                kustomize.toolkit.fluxcd.io/substitute: disabled
            literals:
              - a=${NOT_EITHER}
        #- /apps/app/other/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: in-other
          namespace: default
        data:
          script: echo ${NOR_THIS}
        #- /apps/app2/kustomization.yaml
        configMapGenerator:
          - name: substituted
            literals:
              - cluster=${CLUSTER}
              - missing=${MISSING_IN_GENERATOR}
        #- /clusters/dev/app2.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: app2
          namespace: flux-system
        spec:
          path: ./apps/app2
          postBuild:
            substituteFrom:
              - kind: ConfigMap
                name: cluster-settings
    "#);
    assert_snapshot(
        check(&f),
        expect![[r#"
        apps/app2/kustomization.yaml:5:17 error undefined-variable [dev] `${MISSING_IN_GENERATOR}` is not defined for Flux Kustomization flux-system/app2 (variables from ConfigMap cluster-settings) and has no default; Flux fails the whole Kustomization: define MISSING_IN_GENERATOR or write `${MISSING_IN_GENERATOR:=default}`
    "#]],
    );
    let m = model(&f);
    assert_snapshot(
        ks_model(&m, "app") + &ks_model(&m, "app2"),
        expect![[r#"
          ks flux-system/app (from flux-system/flux-system): path ./apps/app -> apps/app; substitution on
            source ConfigMap flux-system/cluster-settings: in cluster at clusters/dev/cluster-settings.yaml:4:9
            var CLUSTER = "dev" from ConfigMap flux-system/cluster-settings at clusters/dev/cluster-settings.yaml:7:3
            + ConfigMap default/in-sub  apps/app/sub/cm.yaml [substitution disabled]
            + ConfigMap default/in-other  apps/app/other/cm.yaml [substitution disabled]
            + ConfigMap own-options (generated at apps/app/other/kustomization.yaml:6:5) [substitution disabled]
            + ConfigMap scripts (generated at apps/app/kustomization.yaml:6:5) [substitution disabled]
          ks flux-system/app2 (from flux-system/flux-system): path ./apps/app2 -> apps/app2; substitution on
            source ConfigMap flux-system/cluster-settings: in cluster at clusters/dev/cluster-settings.yaml:4:9
            var CLUSTER = "dev" from ConfigMap flux-system/cluster-settings at clusters/dev/cluster-settings.yaml:7:3
            + ConfigMap substituted (generated at apps/app2/kustomization.yaml:2:5)
    "#]],
    );
}

#[test]
fn anchors_redefined_later_are_legal() {
    // An anchor defined twice: each alias takes the nearest definition above it; no
    // diagnostic.
    let f = app_with("substituteFrom:\n  - kind: ConfigMap\n    name: anchored", "a: ${FIRST}-${SECOND}");
    let f = format!(
        "{f}\n{}",
        r#"
        #- /clusters/dev/anchored.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: anchored
          namespace: flux-system
        data:
          ONE: &v one
          FIRST: *v
          TWO: &v two
          SECOND: *v
        "#
    );
    let a = analyse(&f);
    assert_eq!(render_diags(&a), "");
    assert_eq!(eval_in(&a, "dev", "app", "${FIRST}-${SECOND}"), "\"one-two\"");
}

// ---------------------------------------------------------------------------------------
// Strict substitution and Flux versions.

/// An app in cluster `dev` using an undefined variable, with extra files.
fn undefined_in(rest: &str) -> String {
    format!(
        "{}\n{rest}",
        app_with("substituteFrom:\n  - kind: ConfigMap\n    name: cluster-settings", "a: ${UNDEFINED}")
    )
}

#[test]
fn undefined_variable_warning_on_old_flux() {
    // Flux older than 2.9 substitutes "" without strict substitution: a warning. The version
    // comes from the gotk-components header, or from a FluxInstance.
    let from_header = undefined_in(
        r#"
        #- /clusters/dev/flux-system/gotk-components.yaml
        # This manifest was generated by flux. DO NOT EDIT.
        # Flux Version: v2.4.0
        # Components: source-controller,kustomize-controller
        apiVersion: v1
        kind: Namespace
        metadata:
          name: flux-system
        "#,
    );
    assert_snapshot(
        check(&from_header),
        expect![[r#"
        apps/app/cm.yaml:7:6 warning undefined-variable [dev] `${UNDEFINED}` is not defined for Flux Kustomization flux-system/app (variables from ConfigMap cluster-settings) and has no default; this cluster's Flux (older than 2.9, without strict substitution) puts an empty string there: define UNDEFINED or write `${UNDEFINED:=default}`
    "#]],
    );
    let from_instance = parts(&[
        r#"
        #- /bootstrap/flux-instance.yaml
        apiVersion: fluxcd.controlplane.io/v1
        kind: FluxInstance
        metadata:
          name: flux
          namespace: flux-system
        spec:
          distribution:
            version: "2.4.x"
          sync:
            kind: GitRepository
            url: https://example.com/repo
            path: ./clusters/dev
        #- /clusters/dev/settings.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: cluster-settings
          namespace: flux-system
    "#,
        &app_files("substitute:\n  X: x", "a: ${UNDEFINED}"),
    ]);
    assert_snapshot(
        check(&from_instance),
        expect![[r#"
        apps/app/cm.yaml:7:6 warning undefined-variable [dev] `${UNDEFINED}` is not defined for Flux Kustomization flux-system/app (variables from postBuild.substitute) and has no default; this cluster's Flux (older than 2.9, without strict substitution) puts an empty string there: define UNDEFINED or write `${UNDEFINED:=default}`
    "#]],
    );
    let recent = from_header.replace("v2.4.0", "v2.9.1");
    assert_snapshot(
        check(&recent),
        expect![[r#"
        apps/app/cm.yaml:7:6 error undefined-variable [dev] `${UNDEFINED}` is not defined for Flux Kustomization flux-system/app (variables from ConfigMap cluster-settings) and has no default; Flux fails the whole Kustomization: define UNDEFINED or write `${UNDEFINED:=default}`
    "#]],
    );
}

#[test]
fn strict_gate_on_old_flux_is_error() {
    // Flux 2.4 with the StrictPostBuildSubstitutions feature gate: an error again. The gate
    // is set in the bootstrap folder (a kustomize patch on kustomize-controller), or in a
    // FluxInstance's own patches.
    let with_gate = undefined_in(
        r#"
        #- /clusters/dev/flux-system/gotk-components.yaml
        # Flux Version: v2.4.0
        apiVersion: v1
        kind: Namespace
        metadata:
          name: flux-system
        #- /clusters/dev/flux-system/kustomization.yaml
        resources: [gotk-components.yaml, gotk-sync.yaml]
        patches:
          - target:
              kind: Deployment
              name: kustomize-controller
            patch: |
              - op: add
                path: /spec/template/spec/containers/0/args/-
                value: --feature-gates=StrictPostBuildSubstitutions=true
        "#,
    );
    assert_snapshot(
        check(&with_gate),
        expect![[r#"
        apps/app/cm.yaml:7:6 error undefined-variable [dev] `${UNDEFINED}` is not defined for Flux Kustomization flux-system/app (variables from ConfigMap cluster-settings) and has no default; Flux fails the whole Kustomization: define UNDEFINED or write `${UNDEFINED:=default}`
    "#]],
    );
    let instance = parts(&[
        r#"
        #- /bootstrap/flux-instance.yaml
        apiVersion: fluxcd.controlplane.io/v1
        kind: FluxInstance
        metadata:
          name: flux
          namespace: flux-system
        spec:
          distribution:
            version: "2.4.x"
          kustomize:
            patches:
              - target:
                  kind: Deployment
                  name: kustomize-controller
                patch: |
                  - op: add
                    path: /spec/template/spec/containers/0/args/-
                    value: --feature-gates=StrictPostBuildSubstitutions=true
          sync:
            kind: GitRepository
            url: https://example.com/repo
            path: ./clusters/dev
    "#,
        &app_files("substitute:\n  X: x", "a: ${UNDEFINED}"),
    ]);
    assert_snapshot(
        check(&instance),
        expect![[r#"
        apps/app/cm.yaml:7:6 error undefined-variable [dev] `${UNDEFINED}` is not defined for Flux Kustomization flux-system/app (variables from postBuild.substitute) and has no default; Flux fails the whole Kustomization: define UNDEFINED or write `${UNDEFINED:=default}`
    "#]],
    );
}

// ---------------------------------------------------------------------------------------
// Diagnostics that rest on the model.

#[test]
fn variable_not_string() {
    // Numbers, booleans and nulls in ConfigMap data and in postBuild.substitute.
    let f = format!(
        "{}\n{}",
        app_with(
            "substitute:\n  PORT: 8080\n  QUOTED: \"8080\"\nsubstituteFrom:\n  - kind: ConfigMap\n    name: typed",
            ""
        ),
        r#"
        #- /clusters/dev/typed.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: typed
          namespace: flux-system
        data:
          ASN: 64512
          ENABLED: true
          RATIO: 1.5
          NOTHING:
          OK: "64512"
          IP: 10.0.0.1
        "#
    );
    assert_snapshot(
        check(&f),
        expect![[r#"
        clusters/dev/apps.yaml:10:13 error variable-not-string [] postBuild.substitute value of `PORT` is read by YAML as an integer (`8080`); the API server rejects it: quote it, `"8080"`
        clusters/dev/typed.yaml:7:8 error variable-not-string [] ConfigMap data value of `ASN` is read by YAML as an integer (`64512`); the API server rejects it: quote it, `"64512"`
        clusters/dev/typed.yaml:8:12 error variable-not-string [] ConfigMap data value of `ENABLED` is read by YAML as a boolean (`true`); the API server rejects it: quote it, `"true"`
        clusters/dev/typed.yaml:9:10 error variable-not-string [] ConfigMap data value of `RATIO` is read by YAML as a number (`1.5`); the API server rejects it: quote it, `"1.5"`
        clusters/dev/typed.yaml:10:3 error variable-not-string [] ConfigMap data value of `NOTHING` is read by YAML as a null (``); the API server rejects it: quote it, `""`
    "#]],
    );
}

#[test]
fn duplicate_object_in_one_build() {
    // Same group, kind, namespace and name twice in one build (through two files, and
    // through a namespace set by kustomize); a different kind or group is no duplicate.
    let f = app(r#"
        #- /apps/app/kustomization.yaml
        namespace: default
        resources: [a.yaml, b.yaml]
        #- /apps/app/a.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: same
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: same
        #- /apps/app/b.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: same
          namespace: elsewhere
        ---
        apiVersion: example.com/v1
        kind: ConfigMap
        metadata:
          name: same
    "#);
    assert_snapshot(
        check(&f),
        expect![[r#"
        apps/app/b.yaml:4:9 error duplicate-object [dev] ConfigMap default/same is defined twice in the build of Flux Kustomization flux-system/app; kustomize fails: remove or rename one
    "#]],
    );
}

#[test]
fn same_object_in_two_builds_is_not_duplicate() {
    // Two Flux Kustomizations apply the same folder: each build is fine on its own.
    let f = parts(&[
        BASE,
        APP_KS,
        APP_CM,
        r#"
        #- /clusters/dev/again.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: again
          namespace: flux-system
        spec:
          path: ./apps/app
    "#,
    ]);
    assert_snapshot(check(&f), expect![[""]]);
}

#[test]
#[allow(non_snake_case)]
fn dependsOn_unknown_and_cycle() {
    let f = base(
        r#"
        #- /clusters/dev/apps.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: a
          namespace: flux-system
        spec:
          path: ./apps/x
          dependsOn:
            - name: b
        ---
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: b
          namespace: flux-system
        spec:
          path: ./apps/x
          dependsOn:
            - name: a
            - name: databse
            - name: database
              namespace: other
        ---
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: database
          namespace: flux-system
        spec:
          path: ./apps/x
          dependsOn:
            - name: database
        #- /apps/x/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: x
          namespace: default
    "#,
    );
    assert_snapshot(
        check(&f),
        expect![[r#"
        clusters/dev/apps.yaml:9:13 error dependsOn-cycle [dev] dependsOn cycle among Flux Kustomizations: a -> b -> a; none of them can become ready: remove one dependsOn
        clusters/dev/apps.yaml:19:13 error dependsOn-cycle [dev] dependsOn cycle among Flux Kustomizations: a -> b -> a; none of them can become ready: remove one dependsOn
        clusters/dev/apps.yaml:20:13 error dependsOn-unknown [dev] Flux Kustomization flux-system/b depends on `flux-system/databse`, which this cluster does not have; did you mean `database`?
        clusters/dev/apps.yaml:21:13 error dependsOn-unknown [dev] Flux Kustomization flux-system/b depends on `other/database`, which this cluster does not have
        clusters/dev/apps.yaml:32:13 error dependsOn-cycle [dev] dependsOn cycle among Flux Kustomizations: database -> database; none of them can become ready: remove one dependsOn
    "#]],
    );
}

#[test]
#[allow(non_snake_case)]
fn helmrelease_dependsOn() {
    // HelmRelease dependsOn names HelmReleases (namespace defaults to its own): unknown ones
    // and cycles are reported; a Flux Kustomization of that name does not count.
    let f = app(r#"
        #- /apps/app/releases.yaml
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: api
          namespace: web
        spec:
          dependsOn:
            - name: db
              namespace: data
            - name: app
        ---
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: db
          namespace: data
        spec:
          dependsOn:
            - name: api
              namespace: web
    "#);
    assert_snapshot(
        check(&f),
        expect![[r#"
        apps/app/releases.yaml:8:13 error dependsOn-cycle [dev] dependsOn cycle among HelmReleases: api -> db -> api; none of them can become ready: remove one dependsOn
        apps/app/releases.yaml:10:13 error dependsOn-unknown [dev] HelmRelease web/api depends on HelmRelease `web/app`, which this cluster does not have; did you mean `api`?
        apps/app/releases.yaml:19:13 error dependsOn-cycle [dev] dependsOn cycle among HelmReleases: api -> db -> api; none of them can become ready: remove one dependsOn
    "#]],
    );
}

#[test]
fn substitution_source_missing() {
    let f = app_with(
        "substituteFrom:\n  - kind: ConfigMap\n    name: cluster-setings\n  - kind: Secret\n    name: cluster-secrets",
        "a: ${ANYTHING}",
    );
    assert_snapshot(
        check(&f),
        expect![[r#"
        clusters/dev/apps.yaml:11:15 error substitution-source-missing [dev] substituteFrom ConfigMap flux-system/cluster-setings of Flux Kustomization flux-system/app does not exist; Flux fails the Kustomization: create it, fix the name, or add `optional: true`
        clusters/dev/apps.yaml:13:15 error substitution-source-missing [dev] substituteFrom Secret flux-system/cluster-secrets of Flux Kustomization flux-system/app does not exist; Flux fails the Kustomization: create it, fix the name, or add `optional: true`
    "#]],
    );
}

#[test]
fn path_outside_repo() {
    // Reported, never read (the walk stays in the repository).
    let f = app(r#"
        #- /apps/app/kustomization.yaml
        resources:
          - ../../../elsewhere
          - /etc/kubernetes/manifests
        patches:
          - path: ../../../../patch.yaml
        #- /clusters/dev/outside.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: outside
          namespace: flux-system
        spec:
          path: ../../somewhere
    "#);
    assert_snapshot(
        check(&f),
        expect![[r#"
        apps/app/kustomization.yaml:2:5 error path-outside-repo [] `../../../elsewhere` leaves the repository; it is not read
        apps/app/kustomization.yaml:3:5 error path-outside-repo [] absolute path `/etc/kubernetes/manifests` in resources: kustomize needs paths relative to the kustomization; it is not read
        apps/app/kustomization.yaml:5:11 error path-outside-repo [] patch `../../../../patch.yaml` leaves the repository; it is not read
        clusters/dev/outside.yaml:7:9 error path-outside-repo [dev] spec.path `../../somewhere` of Flux Kustomization flux-system/outside leaves the repository
    "#]],
    );
}

#[test]
fn remote_resource() {
    // URLs and remote git references are recorded (information), never fetched.
    let f = parts(&[
        BASE,
        APP_KS,
        APP_CM,
        r#"
        #- /apps/app/kustomization.yaml
        resources:
          - https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.2.0/standard-install.yaml
          - github.com/cilium/cilium//install/kubernetes?ref=v1.16.0
          - cm.yaml
    "#,
    ]);
    assert_snapshot(
        check(&f),
        expect![[r#"
        apps/app/kustomization.yaml:2:5 information remote-resource [] remote resources entry `https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.2.0/standard-install.yaml` is recorded, not fetched: its objects are not analysed
        apps/app/kustomization.yaml:3:5 information remote-resource [] remote resources entry `github.com/cilium/cilium//install/kubernetes?ref=v1.16.0` is recorded, not fetched: its objects are not analysed
    "#]],
    );
    assert!(model(&f).contains("+ ConfigMap default/app  apps/app/cm.yaml"));
}

#[test]
fn flux_kustomization_loop_is_protected() {
    // Flux Kustomizations that apply each other's files: each is one node, the walk ends.
    let f = base(
        r#"
        #- /clusters/dev/a.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: a
          namespace: flux-system
        spec:
          path: ./loop/b
        #- /loop/b/b.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: b
          namespace: flux-system
        spec:
          path: ./clusters/dev
    "#,
    );
    assert_snapshot(
        model(&f),
        expect![[r#"
        cluster dev: root clusters/dev, bootstrap Kustomization in clusters/dev/flux-system/gotk-sync.yaml, strict
          ks flux-system/flux-system: path ./clusters/dev -> clusters/dev; substitution off
            + Kustomization flux-system/a  clusters/dev/a.yaml
            + ConfigMap flux-system/cluster-settings  clusters/dev/cluster-settings.yaml
            + GitRepository flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
            + Kustomization flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
          ks flux-system/a (from flux-system/flux-system): path ./loop/b -> loop/b; substitution off
            + Kustomization flux-system/b  loop/b/b.yaml
          ks flux-system/b (from flux-system/a): path ./clusters/dev -> clusters/dev; substitution off
            + Kustomization flux-system/a  clusters/dev/a.yaml
            + ConfigMap flux-system/cluster-settings  clusters/dev/cluster-settings.yaml
            + GitRepository flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
            + Kustomization flux-system/flux-system  clusters/dev/flux-system/gotk-sync.yaml
    "#]],
    );
}
