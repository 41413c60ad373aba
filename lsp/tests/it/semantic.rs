//! Semantic tokens (`gitops_lsp::ide::semantic`) on small in-memory repositories.
//!
//! Fixtures are `crate::fixture` strings (`#- /path` headers). In the file under test, two
//! `$0` marks give the range to ask for (else the whole file). Each token is rendered as
//! `line:col `text` type.modifier…` (1-based, columns in characters) and compared with an
//! `expect![[...]]` snapshot (`UPDATE_EXPECT=1 cargo test -p gitops-lsp --test it
//! semantic::` rewrites them; each was read and checked by hand).

use crate::fixture;

use expect_test::{expect, Expect};
use gitops_lsp::analysis::Analysis;
use gitops_lsp::files::{RelPath, TextRange};
use gitops_lsp::ide::semantic::{self, modifier, modifier_names, TokenType};
use std::fmt::Write as _;

struct Fixture {
    analysis: Analysis,
    file: RelPath,
    range: Option<TextRange>,
}

/// `file`: the file under test (the one with markers if any, else the last one).
fn parse(text: &str) -> Fixture {
    let files = fixture::parse(text);
    let marked = files.iter().rev().find(|f| f.marks.len() == 2);
    let (file, range) = match marked {
        Some(f) => (f.rel(), Some(f.marks[0]..f.marks[1])),
        None => (files.last().unwrap().rel(), None),
    };
    Fixture { analysis: fixture::analysis(&files), file, range }
}

fn render(fx: &Fixture, cluster: Option<&str>) -> String {
    let snap = &fx.analysis.snapshot;
    let f = snap.file(snap.file_idx(&fx.file).unwrap());
    let mut out = String::new();
    for t in semantic::semantic_tokens(&fx.analysis, &fx.file, fx.range.clone(), cluster) {
        let line = f.text[..t.range.start].matches('\n').count() + 1;
        let col = f.text[..t.range.start].rsplit('\n').next().unwrap().chars().count() + 1;
        let mut name = t.token_type.name().to_string();
        for m in modifier_names(t.modifiers) {
            name.push('.');
            name.push_str(m);
        }
        let _ = writeln!(out, "{line}:{col} `{}` {name}", &f.text[t.range.clone()]);
    }
    out
}

fn check(fixture: &str, cluster: Option<&str>, expect: Expect) {
    expect.assert_eq(&render(&parse(fixture), cluster));
}

/// Two clusters: infra reads a ConfigMap and a Secret, apps only a ConfigMap.
const TWO_CLUSTERS: &str = r#"
#- /clusters/infra/settings.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: cluster-settings
      namespace: flux-system
    data:
      CLUSTER: infra
      DOMAIN: example.com
      EMPTY: ""
    ---
    apiVersion: v1
    kind: Secret
    metadata:
      name: cluster-secrets
      namespace: flux-system
    stringData:
      SECRET_TOKEN: hunter2-infra
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
      DOMAIN: example.com
      EMPTY: set-in-apps
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
    resources:
      - service.yaml
"#;

fn with(extra: &str) -> String {
    format!("{TWO_CLUSTERS}{extra}")
}

const SERVICE: &str = r#"
#- /apps/app/service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: web-${CLUSTER}
      labels:
        domain: "${DOMAIN}"
        token: ${SECRET_TOKEN}
        missing: ${MISSING}
        replicas: ${REPLICAS:=3}
        dash: ${REPLICAS:-3}
        empty: ${EMPTY:=fallback}
        nested: ${MISSING:=${CLUSTER}-${OTHER}}
        upper: ${CLUSTER^^}.${DOMAIN,,}
        len: ${#DOMAIN}
        escaped: $${CLUSTER} costs $$5
        ${CLUSTER}-key: v
"#;

#[test]
fn variables_operators_and_escapes_in_every_cluster() {
    check(
        &with(SERVICE),
        None,
        expect![[r#"
            4:15 `CLUSTER` variable
            6:16 `DOMAIN` variable
            7:14 `SECRET_TOKEN` variable.undefined.secret
            8:16 `MISSING` variable.undefined
            9:17 `REPLICAS` variable.defaulted
            9:25 `:=` operator
            10:13 `REPLICAS` variable.defaulted
            10:21 `:-` operator
            11:14 `EMPTY` variable.defaulted
            11:19 `:=` operator
            12:15 `MISSING` variable.defaulted
            12:22 `:=` operator
            12:26 `CLUSTER` variable
            12:37 `OTHER` variable.undefined
            13:14 `CLUSTER` variable
            13:21 `^^` operator
            13:27 `DOMAIN` variable
            13:33 `,,` operator
            14:12 `#` operator
            14:13 `DOMAIN` variable
            15:14 `$$` escapeSequence
            15:32 `$$` escapeSequence
            16:7 `CLUSTER` variable
        "#]],
    );
}

#[test]
fn modifiers_follow_the_focus_cluster() {
    // infra reads the Secret and sets EMPTY to "": no `undefined` on the token any more.
    check(
        &with(SERVICE),
        Some("infra"),
        expect![[r#"
            4:15 `CLUSTER` variable
            6:16 `DOMAIN` variable
            7:14 `SECRET_TOKEN` variable.secret
            8:16 `MISSING` variable.undefined
            9:17 `REPLICAS` variable.defaulted
            9:25 `:=` operator
            10:13 `REPLICAS` variable.defaulted
            10:21 `:-` operator
            11:14 `EMPTY` variable.defaulted
            11:19 `:=` operator
            12:15 `MISSING` variable.defaulted
            12:22 `:=` operator
            12:26 `CLUSTER` variable
            12:37 `OTHER` variable.undefined
            13:14 `CLUSTER` variable
            13:21 `^^` operator
            13:27 `DOMAIN` variable
            13:33 `,,` operator
            14:12 `#` operator
            14:13 `DOMAIN` variable
            15:14 `$$` escapeSequence
            15:32 `$$` escapeSequence
            16:7 `CLUSTER` variable
        "#]],
    );
    // apps: no Secret (undefined, not secret), EMPTY set (no default used).
    let apps = render(&parse(&with(SERVICE)), Some("apps"));
    assert!(apps.contains("`SECRET_TOKEN` variable.undefined\n"), "{apps}");
    assert!(apps.contains("11:14 `EMPTY` variable\n"), "{apps}");
    // An unknown focus cluster is ignored (every cluster counts).
    assert_eq!(render(&parse(&with(SERVICE)), Some("nope")), render(&parse(&with(SERVICE)), None));
}

#[test]
fn a_range_gives_only_the_tokens_inside() {
    let fixture = with(SERVICE).replace("    missing:", "$0    missing:").replace("    empty:", "$0    empty:");
    check(
        &fixture,
        None,
        expect![[r#"
            8:16 `MISSING` variable.undefined
            9:17 `REPLICAS` variable.defaulted
            9:25 `:=` operator
            10:13 `REPLICAS` variable.defaulted
            10:21 `:-` operator
        "#]],
    );
}

#[test]
fn unsubstituted_where_flux_does_not_substitute() {
    let disabled = r#"
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
        ip: ${CLUSTER}
"#;
    check(
        &with(disabled),
        None,
        expect![[r#"
        7:12 `CLUSTER` variable.unsubstituted
        14:11 `CLUSTER` variable
    "#]],
    );
    // Not applied by any cluster.
    let unapplied = r#"
#- /unapplied/cm.yaml
    apiVersion: v1
    kind: ConfigMap
    data:
      x: ${CLUSTER:=a}
      y: $${CLUSTER}
"#;
    check(
        &with(unapplied),
        None,
        expect![[r#"
        4:8 `CLUSTER` variable.unsubstituted
        4:15 `:=` operator
        5:6 `$$` escapeSequence
    "#]],
    );
    // A Flux Kustomization without postBuild: Flux applies `${...}` as written.
    let no_post_build = r#"
#- /clusters/dev/app.yaml
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: app
      namespace: flux-system
    spec:
      path: ./app
      sourceRef: {kind: GitRepository, name: flux-system}
#- /app/cm.yaml
    apiVersion: v1
    kind: ConfigMap
    data:
      x: ${CLUSTER}
"#;
    check(
        no_post_build,
        None,
        expect![[r#"
        4:8 `CLUSTER` variable.unsubstituted
    "#]],
    );
}

#[test]
fn secrets_made_by_an_external_secret() {
    check(
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
      tunnel: ${TUNNEL_ID}.cfargotunnel.com
      other: ${NOT_THERE}
"#,
        None,
        expect![[r#"
            4:11 `NAME` variable
            6:13 `TUNNEL_ID` variable.secret
            7:12 `NOT_THERE` variable.undefined
        "#]],
    );
}

#[test]
fn block_scalars_aliases_and_non_ascii_text() {
    check(
        &with(
            r#"
#- /apps/app/service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: web
      labels: &labels
        café: "é ${CLUSTER} 🚀 ${DOMAIN}"
      annotations:
        script: |
          first line
          echo ${CLUSTER} $$HOME
            ${DOMAIN:=x}
        copy: *labels
"#,
        ),
        None,
        expect![[r#"
            6:16 `CLUSTER` variable
            6:29 `DOMAIN` variable
            10:14 `CLUSTER` variable
            10:23 `$$` escapeSequence
            11:11 `DOMAIN` variable
            11:17 `:=` operator
        "#]],
    );
}

#[test]
fn legend_names_match_the_bits() {
    assert_eq!(semantic::TOKEN_TYPES[TokenType::Variable as usize], "variable");
    assert_eq!(semantic::TOKEN_TYPES[TokenType::Operator as usize], "operator");
    assert_eq!(semantic::TOKEN_TYPES[TokenType::Escape as usize], "escapeSequence");
    assert_eq!(modifier_names(modifier::UNDEFINED | modifier::SECRET), ["undefined", "secret"]);
    assert_eq!(modifier_names(modifier::DEFAULTED), ["defaulted"]);
    assert_eq!(modifier_names(modifier::UNSUBSTITUTED), ["unsubstituted"]);
    assert_eq!(semantic::TOKEN_MODIFIERS.len(), 4);
}
