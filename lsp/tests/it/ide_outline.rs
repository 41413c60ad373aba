//! Document and workspace symbols, document links, inlay hints, code lenses and render
//! (`gitops_lsp::ide::{outline, render}`), each on a small in-memory repository.
//!
//! Fixtures are `crate::fixture` strings (`#- /path` headers); `$0` marks a position (two of
//! them a range) where a feature needs one, in the last file that has marks (else the last
//! file). Each feature has one helper that calls it and renders the result as short text,
//! compared with an `expect![[...]]` snapshot (`UPDATE_EXPECT=1 cargo test -p gitops-lsp
//! --test it ide_outline::` rewrites them; each was read and checked by hand).

use crate::fixture;

use expect_test::{expect, Expect};
use gitops_lsp::analysis::Analysis;
use gitops_lsp::files::{RelPath, TextRange};
use gitops_lsp::ide::{outline, render, Symbol};
use std::fmt::Write as _;

// ---------------------------------------------------------------------------------------
// Helpers.

struct Fixture {
    analysis: Analysis,
    /// The file holding `$0` markers (else the last file), and the marked offsets.
    file: RelPath,
    marks: Vec<usize>,
}

fn parse(text: &str) -> Fixture {
    let files = fixture::parse(text);
    let marked = files.iter().rev().find(|f| !f.marks.is_empty()).or(files.last()).expect("a fixture has files");
    Fixture { analysis: fixture::analysis(&files), file: marked.rel(), marks: marked.marks.clone() }
}

impl Fixture {
    fn text(&self, file: &RelPath) -> &str {
        let snap = &self.analysis.snapshot;
        &snap.file(snap.file_idx(file).expect("file in the fixture")).text
    }
    fn line_col(&self, file: &RelPath, offset: usize) -> String {
        let snap = &self.analysis.snapshot;
        let f = snap.file(snap.file_idx(file).unwrap());
        let p = f.line_index.position(&f.text, offset);
        format!("{}:{}", p.line + 1, p.character + 1)
    }
    /// The range between the two markers, or the whole file.
    fn range(&self) -> TextRange {
        match self.marks.as_slice() {
            [a, b] => *a..*b,
            _ => 0..self.text(&self.file).len(),
        }
    }
}

/// A tree of symbols, one per line: `name [detail]`, with the kind for non-keys, and the
/// source text of the focus range when it differs from the name.
fn show_symbols(fx: &Fixture, syms: &[Symbol], depth: usize, parent: Option<&TextRange>, out: &mut String) {
    for s in syms {
        if let Some(p) = parent {
            assert!(p.start <= s.range.start && s.range.end <= p.end, "{} is outside its parent", s.name);
        }
        assert!(s.range.start <= s.focus.start && s.focus.end <= s.range.end, "{}: focus outside range", s.name);
        let kind = match s.kind {
            gitops_lsp::ide::SymbolKind::Key => String::new(),
            k => format!("{k:?} "),
        };
        let detail = s.detail.as_ref().map(|d| format!(" [{d}]")).unwrap_or_default();
        let _ =
            writeln!(out, "{}{kind}{}{detail} @{}", "  ".repeat(depth), s.name, fx.line_col(&s.file, s.focus.start));
        show_symbols(fx, &s.children, depth + 1, Some(&s.range), out);
    }
}

fn check_symbols(fixture: &str, expect: Expect) {
    let fx = parse(fixture);
    let syms = outline::document_symbols(&fx.analysis, &fx.file);
    let mut out = String::new();
    show_symbols(&fx, &syms, 0, None, &mut out);
    expect.assert_eq(&out);
}

fn check_workspace_symbols(fixture: &str, query: &str, expect: Expect) {
    let fx = parse(fixture);
    let mut out = String::new();
    for s in outline::workspace_symbols(&fx.analysis, query) {
        let focus = &fx.text(&s.file)[s.focus.clone()];
        let _ = writeln!(
            out,
            "{:?} {} [{}] {}:{} `{focus}`",
            s.kind,
            s.name,
            s.detail.unwrap_or_default(),
            s.file,
            fx.line_col(&s.file, s.focus.start)
        );
    }
    expect.assert_eq(&out);
}

fn check_links(fixture: &str, expect: Expect) {
    let fx = parse(fixture);
    let text = fx.text(&fx.file);
    let mut out = String::new();
    for l in outline::document_links(&fx.analysis, &fx.file) {
        let _ = writeln!(out, "`{}` -> {} ({})", &text[l.range.clone()], l.target, l.tooltip.unwrap_or_default());
    }
    expect.assert_eq(&out);
}

/// Each hint shown inside its line (`⟨label⟩` at its offset), its tooltip below.
fn check_hints(fixture: &str, cluster: Option<&str>, expect: Expect) {
    let fx = parse(fixture);
    let text = fx.text(&fx.file);
    let mut out = String::new();
    for h in outline::inlay_hints(&fx.analysis, &fx.file, fx.range(), cluster) {
        let line_start = text[..h.offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[h.offset..].find('\n').map_or(text.len(), |i| h.offset + i);
        let _ = writeln!(out, "{}⟨{}⟩{}", text[line_start..h.offset].trim_start(), h.label, &text[h.offset..line_end]);
        for t in h.tooltip.unwrap_or_default().lines() {
            let _ = writeln!(out, "    {t}");
        }
    }
    expect.assert_eq(&out);
}

fn check_lenses(fixture: &str, expect: Expect) {
    let fx = parse(fixture);
    let text = fx.text(&fx.file);
    let mut out = String::new();
    for l in outline::code_lenses(&fx.analysis, &fx.file) {
        let _ = writeln!(out, "`{}` {}: {}", &text[l.range.clone()], fx.line_col(&fx.file, l.range.start), l.title);
    }
    expect.assert_eq(&out);
}

fn check_render(fixture: &str, cluster: &str, show_secrets: bool, expect: Expect) {
    let fx = parse(fixture);
    let out = match render::render(&fx.analysis, &fx.file, cluster, show_secrets) {
        Ok(t) => t,
        Err(e) => format!("Err: {e}\n"),
    };
    expect.assert_eq(&out);
}

/// Two clusters found from `clusters/<name>/` folders, each applying `apps/app` through a
/// Flux Kustomization `app` that takes variables from its ConfigMap `cluster-settings`
/// (and, in infra, the Secret `cluster-secrets`).
const TWO_CLUSTERS: &str = r#"
#- /clusters/infra/settings.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: cluster-settings
      namespace: flux-system
    data:
      CLUSTER: infra
      LB_IP: "10.25.11.100"
      DOMAIN: example.com
      BANNER: |
        multi
        line
    ---
    apiVersion: v1
    kind: Secret
    metadata:
      name: cluster-secrets
      namespace: flux-system
    stringData:
      SECRET_TOKEN: hunter2-infra
    data:
      SECRET_B64: aHVudGVyMi1iNjQ=
#- /clusters/infra/app.yaml
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: app
      namespace: flux-system
    spec:
      path: ./apps/app
      sourceRef:
        kind: GitRepository
        name: flux-system
      postBuild:
        substituteFrom:
          - kind: ConfigMap
            name: cluster-settings
          - kind: Secret
            name: cluster-secrets
#- /clusters/apps/settings.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: cluster-settings
      namespace: flux-system
    data:
      CLUSTER: apps
      LB_IP: "10.25.11.120"
      DOMAIN: example.com
#- /clusters/apps/app.yaml
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: app
      namespace: flux-system
    spec:
      path: ./apps/app
      sourceRef:
        kind: GitRepository
        name: flux-system
      postBuild:
        substituteFrom:
          - kind: ConfigMap
            name: cluster-settings
#- /apps/app/kustomization.yaml
    apiVersion: kustomize.config.k8s.io/v1beta1
    kind: Kustomization
    namespace: app
    resources:
      - service.yaml
"#;

fn with(extra: &str) -> String {
    format!("{TWO_CLUSTERS}{extra}")
}

// ---------------------------------------------------------------------------------------
// Document symbols.

#[test]
fn document_symbols_objects_then_keys() {
    check_symbols(
        &with(
            r#"
#- /apps/app/service.yaml
    # a comment
    apiVersion: v1
    kind: Service
    metadata:
      name: web
      annotations:
        lbipam.cilium.io/ips: ${LB_IP}
    spec:
      type: LoadBalancer
      ports:
        - name: http
          port: 80
        - port: 443
      selector:
        app: web
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: deep
      namespace: other
    data:
      a:
        b:
          c:
            d:
              e: too deep
"#,
        ),
        expect![[r#"
            Object Service web [app] @5:9
              apiVersion [v1] @2:1
              kind [Service] @3:1
              metadata @4:1
                name [web] @5:3
                annotations @6:3
                  lbipam.cilium.io/ips [${LB_IP}] @7:5
              spec @8:1
                type [LoadBalancer] @9:3
                ports [2 items] @10:3
                  http @11:7
                    name [http] @11:7
                    port [80] @12:7
                  [1] @13:7
                    port [443] @13:7
                selector @14:3
                  app [web] @15:5
            Object ConfigMap deep [other] @20:9
              apiVersion [v1] @17:1
              kind [ConfigMap] @18:1
              metadata @19:1
                name [deep] @20:3
                namespace [other] @21:3
              data @22:1
                a @23:3
                  b @24:5
                    c @25:7
        "#]],
    );
}

#[test]
fn document_symbols_of_a_kustomization_are_its_top_level_keys() {
    check_symbols(
        r#"
#- /apps/app/kustomization.yaml
    apiVersion: kustomize.config.k8s.io/v1beta1
    kind: Kustomization
    resources:
      - service.yaml
      - ../other
    configMapGenerator:
      - name: settings
        literals:
          - A=1
    secretGenerator:
      - name: creds
        literals:
          - PASSWORD=hunter2
        options:
          labels:
            shown: no-value
"#,
        expect![[r#"
            apiVersion [kustomize.config.k8s.io/v1beta1] @1:1
            kind [Kustomization] @2:1
            resources [2 items] @3:1
            configMapGenerator [1 item] @6:1
              settings @7:5
                name [settings] @7:5
                literals [1 item] @8:5
            secretGenerator [1 item] @10:1
              creds @11:5
                name @11:5
                literals [1 item] @12:5
                options @14:5
                  labels @15:7
                    shown @16:9
        "#]],
    );
}

#[test]
fn document_symbols_never_show_secret_values() {
    let fx = parse(&with("#- /apps/app/service.yaml\n    kind: Service\n"));
    let file = RelPath::new("clusters/infra/settings.yaml").unwrap();
    let mut out = String::new();
    show_symbols(&fx, &outline::document_symbols(&fx.analysis, &file), 0, None, &mut out);
    expect![[r#"
        Object ConfigMap cluster-settings [flux-system] @4:9
          apiVersion [v1] @1:1
          kind [ConfigMap] @2:1
          metadata @3:1
            name [cluster-settings] @4:3
            namespace [flux-system] @5:3
          data @6:1
            CLUSTER [infra] @7:3
            LB_IP [10.25.11.100] @8:3
            DOMAIN [example.com] @9:3
            BANNER [multi…] @10:3
        Object Secret cluster-secrets [flux-system] @17:9
          apiVersion [v1] @14:1
          kind [Secret] @15:1
          metadata @16:1
            name [cluster-secrets] @17:3
            namespace [flux-system] @18:3
          stringData @19:1
            SECRET_TOKEN @20:3
          data @21:1
            SECRET_B64 @22:3
    "#]]
    .assert_eq(&out);
}

// ---------------------------------------------------------------------------------------
// Workspace symbols.

const FLUX_OBJECTS: &str = r#"
#- /apps/app/service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: web
#- /apps/app/helm.yaml
    apiVersion: helm.toolkit.fluxcd.io/v2
    kind: HelmRelease
    metadata:
      name: web-chart
      namespace: app
    ---
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: OCIRepository
    metadata:
      name: web-oci
      namespace: app
#- /unused/ks.yaml
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: orphan-webapp
    ---
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: lb-webapp
"#;

#[test]
fn workspace_symbols_match_by_substring_and_fuzzy() {
    let fixture = format!(
        "{}{}",
        with(FLUX_OBJECTS),
        "#- /apps/app/kustomization.yaml\n    resources: [service.yaml, helm.yaml]\n"
    );
    check_workspace_symbols(
        &fixture,
        "web",
        expect![[r#"
            HelmRelease web-chart [HelmRelease app · apps, infra] apps/app/helm.yaml:4:9 `web-chart`
            Source web-oci [OCIRepository app · apps, infra] apps/app/helm.yaml:10:9 `web-oci`
            Kustomization lb-webapp [Kustomization · no cluster] unused/ks.yaml:9:9 `lb-webapp`
            Kustomization orphan-webapp [Kustomization · no cluster] unused/ks.yaml:4:9 `orphan-webapp`
        "#]],
    );
    check_workspace_symbols(
        &fixture,
        "LBIP",
        expect![[r#"
            Variable LB_IP [ConfigMap flux-system/cluster-settings · apps] clusters/apps/settings.yaml:8:3 `LB_IP`
            Variable LB_IP [ConfigMap flux-system/cluster-settings · infra] clusters/infra/settings.yaml:8:3 `LB_IP`
        "#]],
    );
    // On a tie, Flux objects come before variables.
    check_workspace_symbols(
        &fixture,
        "lb",
        expect![[r#"
        Kustomization lb-webapp [Kustomization · no cluster] unused/ks.yaml:9:9 `lb-webapp`
        Variable LB_IP [ConfigMap flux-system/cluster-settings · apps] clusters/apps/settings.yaml:8:3 `LB_IP`
        Variable LB_IP [ConfigMap flux-system/cluster-settings · infra] clusters/infra/settings.yaml:8:3 `LB_IP`
    "#]],
    );
    check_workspace_symbols(
        &fixture,
        "app",
        expect![[r#"
            Kustomization app [Kustomization flux-system · apps] clusters/apps/app.yaml:4:9 `app`
            Kustomization app [Kustomization flux-system · infra] clusters/infra/app.yaml:4:9 `app`
            Kustomization lb-webapp [Kustomization · no cluster] unused/ks.yaml:9:9 `lb-webapp`
            Kustomization orphan-webapp [Kustomization · no cluster] unused/ks.yaml:4:9 `orphan-webapp`
        "#]],
    );
    check_workspace_symbols(
        &fixture,
        "secret",
        expect![[r#"
            Variable SECRET_B64 [Secret flux-system/cluster-secrets · infra] clusters/infra/settings.yaml:22:3 `SECRET_B64`
            Variable SECRET_TOKEN [Secret flux-system/cluster-secrets · infra] clusters/infra/settings.yaml:20:3 `SECRET_TOKEN`
        "#]],
    );
}

#[test]
fn workspace_symbols_are_capped() {
    let mut fixture = String::from("#- /many/ks.yaml\n");
    for i in 0..300 {
        let _ = write!(
            fixture,
            "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ks-{i:03}\n"
        );
    }
    let fx = parse(&fixture);
    let all = outline::workspace_symbols(&fx.analysis, "");
    assert_eq!(all.len(), outline::WORKSPACE_SYMBOL_LIMIT);
    assert_eq!(all[0].name, "ks-000");
    let some = outline::workspace_symbols(&fx.analysis, "KS-29");
    // Prefix matches first, then fuzzy ones (`ks-029`: k, s, -, 2, 9 in order).
    let names: Vec<&str> = some.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names[..10], (290..300).map(|i| format!("ks-{i}")).collect::<Vec<_>>());
    assert_eq!(names[10..12], ["ks-029", "ks-129"]);
    assert_eq!(names.len(), 21);
}

// ---------------------------------------------------------------------------------------
// Document links.

#[test]
fn document_links_on_flux_paths_and_components() {
    check_links(
        r#"
#- /clusters/dev/apps.yaml
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: app
      namespace: flux-system
    spec:
      path: "./apps/app"
      components:
        - ../../components/common
        - ../../components/missing
      sourceRef:
        kind: GitRepository
        name: flux-system
    ---
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: plain
      namespace: flux-system
    spec:
      path: ./plain
      sourceRef:
        kind: GitRepository
        name: flux-system
    ---
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: gone
      namespace: flux-system
    spec:
      path: ./does-not-exist
      sourceRef:
        kind: GitRepository
        name: flux-system
    ---
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: outside
      namespace: flux-system
    spec:
      path: ../../..
      sourceRef:
        kind: GitRepository
        name: flux-system$0
#- /apps/app/kustomization.yaml
    resources: [cm.yaml]
#- /apps/app/cm.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: cm
#- /components/common/kustomization.yaml
    apiVersion: kustomize.config.k8s.io/v1alpha1
    kind: Component
#- /plain/b/second.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: b
#- /plain/a.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: a
"#,
        expect![[r#"
            `./apps/app` -> apps/app/kustomization.yaml (spec.path: folder apps/app (opens its kustomization.yaml))
            `../../components/common` -> components/common/kustomization.yaml (component: folder components/common (opens its kustomization.yaml))
            `./plain` -> plain/a.yaml (spec.path: folder plain (no kustomization file: Flux applies every manifest below it; opens the first))
        "#]],
    );
}

#[test]
fn document_links_on_a_path_that_differs_per_cluster() {
    check_links(
        r#"
#- /clusters/infra/settings.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: cluster-settings
      namespace: flux-system
    data:
      CLUSTER: infra
#- /clusters/apps/settings.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: cluster-settings
      namespace: flux-system
    data:
      CLUSTER: apps
#- /clusters/infra/kustomization.yaml
    apiVersion: kustomize.config.k8s.io/v1beta1
    kind: Kustomization
    resources: [../../shared/ks.yaml, settings.yaml]
#- /clusters/apps/kustomization.yaml
    apiVersion: kustomize.config.k8s.io/v1beta1
    kind: Kustomization
    resources: [../../shared/ks.yaml, settings.yaml]
#- /shared/ks.yaml
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: parent
      namespace: flux-system
    spec:
      path: ./shared/parent
      sourceRef:
        kind: GitRepository
        name: flux-system
      postBuild:
        substituteFrom:
          - kind: ConfigMap
            name: cluster-settings
#- /shared/parent/child.yaml
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: child
      namespace: flux-system
    spec:
      path: ./per-cluster/${CLUSTER}
      sourceRef:
        kind: GitRepository
        name: flux-system$0
#- /per-cluster/infra/kustomization.yaml
    resources: []
#- /per-cluster/apps/kustomization.yaml
    resources: []
"#,
        expect![[r#"
            `./per-cluster/${CLUSTER}` -> per-cluster/apps/kustomization.yaml (spec.path per cluster: apps: folder per-cluster/apps; infra: folder per-cluster/infra; this link follows cluster apps (opens its kustomization.yaml))
        "#]],
    );
}

#[test]
fn document_links_in_a_kustomization() {
    check_links(
        r#"
#- /apps/app/kustomization.yaml
    apiVersion: kustomize.config.k8s.io/v1beta1
    kind: Kustomization
    resources:
      - deployment.yaml
      - ./sub
      - ./no-kustomization
      - missing.yaml
      - https://github.com/org/repo//deploy?ref=v1
      - ../../../outside
      - /etc/passwd
    components:
      - ../../components/common
    patches:
      - path: patch.yaml
      - patch: |-
          - op: add
            path: /x
            value: 1
    configMapGenerator:
      - name: settings
        envs:
          - settings.env
        files:
          - config.json
          - other=values.json
    $0
#- /apps/app/deployment.yaml
    kind: Deployment
#- /apps/app/patch.yaml
    kind: Deployment
#- /apps/app/settings.env
    A=1
#- /apps/app/config.json
    {}
#- /apps/app/values.json
    {}
#- /apps/app/sub/kustomization.yaml
    resources: []
#- /apps/app/no-kustomization/x.yaml
    kind: ConfigMap
#- /components/common/kustomization.yaml
    kind: Component
"#,
        expect![[r#"
            `deployment.yaml` -> apps/app/deployment.yaml (resource: apps/app/deployment.yaml)
            `./sub` -> apps/app/sub/kustomization.yaml (resource: folder apps/app/sub (opens its kustomization.yaml))
            `../../components/common` -> components/common/kustomization.yaml (component: folder components/common (opens its kustomization.yaml))
            `patch.yaml` -> apps/app/patch.yaml (patch: apps/app/patch.yaml)
            `settings.env` -> apps/app/settings.env (generator file: apps/app/settings.env)
            `config.json` -> apps/app/config.json (generator file: apps/app/config.json)
            `values.json` -> apps/app/values.json (generator file: apps/app/values.json)
        "#]],
    );
}

// ---------------------------------------------------------------------------------------
// Inlay hints.

const SERVICE: &str = r#"
#- /apps/app/service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: web
      labels:
        cluster: ${CLUSTER}
        domain: "${DOMAIN}"
        token: ${SECRET_TOKEN}
        replicas: ${REPLICAS:=3}
        missing: ${MISSING}
        banner: ${BANNER}
        upper: ${CLUSTER^^}-${DOMAIN}
        escaped: $${CLUSTER}
      annotations:
        lbipam.cilium.io/ips: ${LB_IP}
"#;

#[test]
fn inlay_hints_in_every_cluster() {
    check_hints(
        &with(SERVICE),
        None,
        expect![[r#"
            cluster: ${CLUSTER}⟨apps: apps · infra: infra⟩
                apps: apps (from ConfigMap flux-system/cluster-settings)
                infra: infra (from ConfigMap flux-system/cluster-settings)
            domain: "${DOMAIN}⟨= example.com⟩"
                apps: example.com (from ConfigMap flux-system/cluster-settings)
                infra: example.com (from ConfigMap flux-system/cluster-settings)
            token: ${SECRET_TOKEN}⟨apps: unset · infra: (secret)⟩
                apps: unset: `SECRET_TOKEN` is not defined and has no default; Flux fails the Kustomization
                infra: (secret) (from Secret flux-system/cluster-secrets); the value is never shown
            replicas: ${REPLICAS:=3}⟨default 3⟩
                apps: 3 (the default: `REPLICAS` is not set or empty)
                infra: 3 (the default: `REPLICAS` is not set or empty)
            missing: ${MISSING}⟨unset⟩
                apps: unset: `MISSING` is not defined and has no default; Flux fails the Kustomization
                infra: unset: `MISSING` is not defined and has no default; Flux fails the Kustomization
            banner: ${BANNER}⟨apps: unset · infra: multiline⟩
                apps: unset: `BANNER` is not defined and has no default; Flux fails the Kustomization
                infra: multiline (from ConfigMap flux-system/cluster-settings)
            upper: ${CLUSTER^^}⟨apps: APPS · infra: INFRA⟩-${DOMAIN}
                apps: APPS (from ConfigMap flux-system/cluster-settings)
                infra: INFRA (from ConfigMap flux-system/cluster-settings)
            upper: ${CLUSTER^^}-${DOMAIN}⟨= example.com⟩
                apps: example.com (from ConfigMap flux-system/cluster-settings)
                infra: example.com (from ConfigMap flux-system/cluster-settings)
            lbipam.cilium.io/ips: ${LB_IP}⟨apps: .120 · infra: .100⟩
                apps: 10.25.11.120 (from ConfigMap flux-system/cluster-settings)
                infra: 10.25.11.100 (from ConfigMap flux-system/cluster-settings)
        "#]],
    );
}

#[test]
fn inlay_hints_for_one_cluster_and_a_range() {
    let fixture =
        with(SERVICE).replace("      labels:", "      labels:$0").replace("        replicas:", "$0        replicas:");
    check_hints(
        &fixture,
        Some("infra"),
        expect![[r#"
            cluster: ${CLUSTER}⟨= infra⟩
                infra: infra (from ConfigMap flux-system/cluster-settings)
            domain: "${DOMAIN}⟨= example.com⟩"
                infra: example.com (from ConfigMap flux-system/cluster-settings)
            token: ${SECRET_TOKEN}⟨(secret)⟩
                infra: (secret) (from Secret flux-system/cluster-secrets); the value is never shown
        "#]],
    );
    check_hints(&fixture, Some("nope"), expect![[""]]);
}

#[test]
fn inlay_hints_where_flux_does_not_substitute() {
    check_hints(
        &with(
            r#"
#- /apps/app/service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: web
      annotations:
        kustomize.toolkit.fluxcd.io/substitute: disabled
        raw: ${CLUSTER}
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: web2
      annotations:
        ip: ${LB_IP}$0
#- /unapplied/cm.yaml
    apiVersion: v1
    kind: ConfigMap
    data:
      x: ${CLUSTER}
"#,
        ),
        None,
        expect![[r#"
            raw: ${CLUSTER}⟨not substituted⟩
                apps: not substituted: substitution is disabled for it (kustomize.toolkit.fluxcd.io/substitute: disabled)
                infra: not substituted: substitution is disabled for it (kustomize.toolkit.fluxcd.io/substitute: disabled)
            ip: ${LB_IP}⟨apps: .120 · infra: .100⟩
                apps: 10.25.11.120 (from ConfigMap flux-system/cluster-settings)
                infra: 10.25.11.100 (from ConfigMap flux-system/cluster-settings)
        "#]],
    );
}

#[test]
fn inlay_hints_from_an_external_secret_read_secret() {
    check_hints(
        r#"
#- /clusters/dev/secrets.yaml
    apiVersion: external-secrets.io/v1
    kind: ExternalSecret
    metadata:
      name: cluster-secrets
      namespace: flux-system
    spec:
      target:
        name: cluster-secrets
      data:
        - secretKey: TUNNEL_ID
          remoteRef: {key: x}
#- /clusters/dev/app.yaml
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: app
      namespace: flux-system
    spec:
      path: ./app
      sourceRef: {kind: GitRepository, name: flux-system}
      postBuild:
        substitute:
          NAME: web
        substituteFrom:
          - kind: Secret
            name: cluster-secrets
#- /app/cm.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: ${NAME}
    data:
      tunnel: ${TUNNEL_ID}.cfargotunnel.com$0
"#,
        None,
        expect![[r#"
            name: ${NAME}⟨= web⟩
                dev: web (from postBuild.substitute of flux-system/app)
            tunnel: ${TUNNEL_ID}⟨(secret)⟩.cfargotunnel.com
                dev: (secret): `TUNNEL_ID` comes from Secret flux-system/cluster-secrets, whose value is not in the repository
        "#]],
    );
}

// ---------------------------------------------------------------------------------------
// Code lenses.

#[test]
fn code_lenses_on_flux_kustomizations() {
    check_lenses(
        r#"
#- /clusters/infra/kustomization.yaml
    resources: [../../shared/ks.yaml]
#- /clusters/apps/kustomization.yaml
    resources: [../../shared/ks.yaml, extra.yaml]
#- /clusters/apps/extra.yaml
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: extra
      namespace: flux-system
    spec:
      dependsOn:
        - name: base
        - name: apps
      path: ./shared
      sourceRef: {kind: GitRepository, name: flux-system}
#- /shared/ks.yaml
    $0apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: base
      namespace: flux-system
    spec:
      path: ./shared/base
      sourceRef: {kind: GitRepository, name: flux-system}
    ---
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: apps
      namespace: flux-system
    spec:
      dependsOn:
        - name: base
      path: ./shared/apps
      sourceRef: {kind: GitRepository, name: flux-system}
    ---
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    spec:
      path: ./nowhere
#- /shared/base/cm.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: base
#- /shared/apps/cm.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: apps
"#,
        expect![[r#"
            `base` 4:9: clusters: apps, infra · depends on 0 · needed by 2
            `apps` 13:9: clusters: apps, infra · depends on 1 · needed by 1
            `apiVersion: kustomize.toolkit.fluxcd.io/v1` 21:1: clusters: apps, infra · depends on 0 · needed by 0
        "#]],
    );
}

// ---------------------------------------------------------------------------------------
// Render.

const RENDERED: &str = r#"
#- /apps/app/service.yaml
    # Leading comment stays.
    apiVersion: v1
    kind: Service
    metadata:
      name: web # trailing comment stays
      annotations:
        lbipam.cilium.io/ips: "${LB_IP}"
        token: ${SECRET_TOKEN}
        b64: ${SECRET_B64}
        banner: ${BANNER:=none}
        replicas: ${REPLICAS:=3}
        escaped: $${CLUSTER} and $$HOME
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: second
    data:
      cluster: ${CLUSTER}$0
"#;

#[test]
fn render_substitutes_masks_secrets_and_keeps_comments() {
    check_render(
        &with(RENDERED),
        "infra",
        false,
        expect![[r##"
            # gitops-lsp render: apps/app/service.yaml in cluster infra, as Flux applies it after postBuild substitution
            # applied by Flux Kustomization flux-system/app: variables from ConfigMap flux-system/cluster-settings, Secret flux-system/cluster-secrets
            # values from Secrets are shown as **secret** (--show-secrets shows the ones written in the repository)
            # Leading comment stays.
            apiVersion: v1
            kind: Service
            metadata:
              name: web # trailing comment stays
              annotations:
                lbipam.cilium.io/ips: "10.25.11.100"
                token: '**secret**'
                b64: '**secret**'
                banner: multiline
                replicas: 3
                escaped: ${CLUSTER} and $HOME
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: second
            data:
              cluster: infra
        "##]],
    );
}

#[test]
fn render_shows_secrets_written_in_the_repository_when_asked() {
    check_render(
        &with(RENDERED),
        "infra",
        true,
        expect![[r##"
        # gitops-lsp render: apps/app/service.yaml in cluster infra, as Flux applies it after postBuild substitution
        # applied by Flux Kustomization flux-system/app: variables from ConfigMap flux-system/cluster-settings, Secret flux-system/cluster-secrets
        # WARNING: this output shows Secret values
        # Leading comment stays.
        apiVersion: v1
        kind: Service
        metadata:
          name: web # trailing comment stays
          annotations:
            lbipam.cilium.io/ips: "10.25.11.100"
            token: hunter2-infra
            b64: hunter2-b64
            banner: multiline
            replicas: 3
            escaped: ${CLUSTER} and $HOME
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: second
        data:
          cluster: infra
    "##]],
    );
}

#[test]
fn render_leaves_unset_variables_and_says_flux_fails() {
    check_render(
        &with(RENDERED),
        "apps",
        false,
        expect![[r##"
        # gitops-lsp render: apps/app/service.yaml in cluster apps, as Flux applies it after postBuild substitution
        # applied by Flux Kustomization flux-system/app: variables from ConfigMap flux-system/cluster-settings
        # error: source line 8: `SECRET_TOKEN` is not set and `${SECRET_TOKEN}` has no default; Flux fails Flux Kustomization flux-system/app (strict substitution); left as written
        # error: source line 9: `SECRET_B64` is not set and `${SECRET_B64}` has no default; Flux fails Flux Kustomization flux-system/app (strict substitution); left as written
        # Leading comment stays.
        apiVersion: v1
        kind: Service
        metadata:
          name: web # trailing comment stays
          annotations:
            lbipam.cilium.io/ips: "10.25.11.120"
            token: ${SECRET_TOKEN}
            b64: ${SECRET_B64}
            banner: none
            replicas: 3
            escaped: ${CLUSTER} and $HOME
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: second
        data:
          cluster: apps
    "##]],
    );
}

#[test]
fn render_leaves_out_documents_the_cluster_does_not_apply() {
    let mut fx = parse(&with(RENDERED));
    // The model applies files whole; take the ConfigMap out of infra's build, as a kustomize
    // `$patch: delete` would.
    let fi = fx.analysis.snapshot.file_idx(&fx.file).unwrap();
    let infra = fx.analysis.project.clusters.iter().position(|c| c.name == "infra").unwrap();
    std::sync::Arc::get_mut(&mut fx.analysis.project).unwrap().clusters[infra]
        .placements
        .retain(|p| !matches!(p.obj, gitops_lsp::project::Placed::Object(l) if l.file == fi && l.obj == 1));
    let out = render::render(&fx.analysis, &fx.file, "infra", false).unwrap();
    expect![[r##"
        # gitops-lsp render: apps/app/service.yaml in cluster infra, as Flux applies it after postBuild substitution
        # applied by Flux Kustomization flux-system/app: variables from ConfigMap flux-system/cluster-settings, Secret flux-system/cluster-secrets
        # values from Secrets are shown as **secret** (--show-secrets shows the ones written in the repository)
        # left out: document 2 (ConfigMap second, source line 14): cluster infra does not apply it
        # Leading comment stays.
        apiVersion: v1
        kind: Service
        metadata:
          name: web # trailing comment stays
          annotations:
            lbipam.cilium.io/ips: "10.25.11.100"
            token: '**secret**'
            b64: '**secret**'
            banner: multiline
            replicas: 3
            escaped: ${CLUSTER} and $HOME
    "##]].assert_eq(&out);
}

#[test]
fn render_of_an_object_two_kustomizations_apply() {
    let extra = r#"
#- /clusters/infra/more.yaml
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: more
      namespace: flux-system
    spec:
      path: ./apps/more
      sourceRef:
        kind: GitRepository
        name: flux-system
      postBuild:
        substitute:
          CLUSTER: infra-more
#- /apps/more/kustomization.yaml
    resources: [../app/second.yaml]
#- /apps/app/second.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: second
    data:
      cluster: ${CLUSTER}$0
"#;
    let fixture = with(extra).replace("      - service.yaml\n", "      - service.yaml\n      - second.yaml\n");
    check_render(
        &fixture,
        "infra",
        false,
        expect![[r#"
        # gitops-lsp render: apps/app/second.yaml in cluster infra, as Flux applies it after postBuild substitution
        # applied by Flux Kustomization flux-system/app: variables from ConfigMap flux-system/cluster-settings, Secret flux-system/cluster-secrets
        # note: ConfigMap second is also applied by Flux Kustomization flux-system/more; shown as flux-system/app applies it
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: second
        data:
          cluster: infra
    "#]],
    );
}

#[test]
fn render_leaves_text_where_flux_does_not_substitute() {
    let fixture = with(
        r#"
#- /apps/app/service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: web
      annotations:
        kustomize.toolkit.fluxcd.io/substitute: disabled
        raw: ${CLUSTER}
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: web2
      annotations:
        ip: ${LB_IP}
"#,
    );
    check_render(
        &fixture,
        "apps",
        false,
        expect![[r#"
        # gitops-lsp render: apps/app/service.yaml in cluster apps, as Flux applies it after postBuild substitution
        # applied by Flux Kustomization flux-system/app: variables from ConfigMap flux-system/cluster-settings
        # note: Service web (source line 1) is left as written: substitution is disabled for it (kustomize.toolkit.fluxcd.io/substitute: disabled)
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          annotations:
            kustomize.toolkit.fluxcd.io/substitute: disabled
            raw: ${CLUSTER}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web2
          annotations:
            ip: 10.25.11.120
    "#]],
    );
}

#[test]
fn render_errors_say_what_is_wrong() {
    let fixture = with(RENDERED);
    check_render(
        &fixture,
        "prod",
        false,
        expect![[r#"
        Err: no cluster named `prod`; clusters found: apps, infra
    "#]],
    );
    let unapplied =
        with("#- /elsewhere/cm.yaml\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: x$0\n");
    check_render(
        &unapplied,
        "infra",
        false,
        expect![[r#"
        Err: cluster `infra` does not apply elsewhere/cm.yaml; no cluster applies it
    "#]],
    );
    let fx = parse(&fixture);
    let k = RelPath::new("apps/app/kustomization.yaml").unwrap();
    expect!["apps/app/kustomization.yaml is a kustomization file: kustomize reads it and Flux applies what it builds; render the manifests it lists instead"].assert_eq(&render::render(&fx.analysis, &k, "infra", false).unwrap_err());
    let none = RelPath::new("apps/app/none.yaml").unwrap();
    expect!["apps/app/none.yaml is not a manifest of the workspace (not a .yaml/.yml file, ignored by .gitignore, or not below the root)"].assert_eq(&render::render(&fx.analysis, &none, "infra", false).unwrap_err());
}

// ---------------------------------------------------------------------------------------
// Secrets never leak.

/// Every output but hover and `render --show-secrets` is free of Secret values.
#[test]
fn no_secret_value_in_symbols_links_hints_lenses_or_render() {
    let fx = parse(&with(RENDERED));
    let a = &fx.analysis;
    let mut all = String::new();
    for f in a.snapshot.files.iter() {
        let p = &f.path;
        let _ = write!(all, "{:?}", outline::document_symbols(a, p));
        let _ = write!(all, "{:?}", outline::document_links(a, p));
        let _ = write!(all, "{:?}", outline::inlay_hints(a, p, 0..f.text.len(), None));
        let _ = write!(all, "{:?}", outline::code_lenses(a, p));
        for c in ["apps", "infra"] {
            let _ = write!(all, "{:?}", outline::inlay_hints(a, p, 0..f.text.len(), Some(c)));
            let _ = write!(all, "{:?}", render::render(a, p, c, false));
        }
    }
    let _ = write!(all, "{:?}", outline::workspace_symbols(a, ""));
    let _ = write!(all, "{:?}", outline::workspace_symbols(a, "secret"));
    assert!(all.contains("SECRET_TOKEN"), "the outputs were produced");
    for secret in ["hunter2", "aHVudGVyMi1iNjQ="] {
        if let Some(i) = all.find(secret) {
            panic!("`{secret}` leaked: …{}…", &all[i.saturating_sub(300)..(i + 100).min(all.len())]);
        }
    }
    // The one output that shows them, on request.
    let shown = render::render(a, &fx.file, "infra", true).unwrap();
    assert!(shown.contains("hunter2-infra") && shown.contains("hunter2-b64"), "{shown}");
}
