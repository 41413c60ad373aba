//! Hover, definition, references and rename on cursor-marked fixtures (see `ide/mod.rs` for
//! the fixture format: `#- /path` headers, `$0` cursor, `\$0` for a literal).

use crate::ide;

use expect_test::{expect, Expect};
use gitops_lsp::ide::nav;
use ide::{parse, parse_parts, render_edits, render_targets, Fixture};

/// Two clusters found as folders under `clusters/`: infra and apps. Each has a settings
/// ConfigMap (apps lacks POOL_START), Flux Kustomizations `network` and `web`
/// (`web` dependsOn `network`); infra also reads a Secret.
const TWO_CLUSTERS: &str = r#"
#- /clusters/infra/settings.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
  namespace: flux-system
data:
  CLUSTER: infra
  ASN: "64512"
  POOL_START: 10.0.0.100
#- /clusters/infra/secrets.yaml
apiVersion: v1
kind: Secret
metadata:
  name: cluster-secrets
  namespace: flux-system
stringData:
  TOKEN: s3cr3t-value
#- /clusters/infra/ks.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: network
  namespace: flux-system
spec:
  path: ./apps/network
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
      - kind: Secret
        name: cluster-secrets
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: web
  namespace: flux-system
spec:
  dependsOn:
    - name: network
  path: ./apps/web
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substitute:
      REPLICAS: "2"
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
#- /clusters/apps/settings.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
  namespace: flux-system
data:
  CLUSTER: apps
  ASN: "64513"
#- /clusters/apps/ks.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: network
  namespace: flux-system
spec:
  path: ./apps/network
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: web
  namespace: flux-system
spec:
  dependsOn:
    - name: network
  path: ./apps/web
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
#- /apps/web/kustomization.yaml
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
"#;

/// The network app, used by several tests (no cursor).
const NETWORK_APP: &str = r#"
#- /apps/network/kustomization.yaml
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - pool.yaml
"#;

const WEB_DEPLOYMENT: &str = r#"
#- /apps/web/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: ${REPLICAS:=1}
"#;

fn check_hover(fx: Fixture, expect: Expect) {
    let actual = match nav::hover(&fx.analysis, &fx.file, fx.offset) {
        Some(h) => format!("[{}]\n{}\n", ide::slice(&fx, &fx.file, &h.range), h.markdown.trim_end()),
        None => "(none)\n".to_string(),
    };
    expect.assert_eq(&actual);
}

fn check_definition(fx: Fixture, expect: Expect) {
    let targets = nav::definition(&fx.analysis, &fx.file, fx.offset);
    expect.assert_eq(&render_targets(&fx, &targets));
}

fn check_references(fx: Fixture, include_declaration: bool, expect: Expect) {
    let targets = nav::references(&fx.analysis, &fx.file, fx.offset, include_declaration);
    expect.assert_eq(&render_targets(&fx, &targets));
}

fn check_rename(fx: Fixture, new_name: &str, expect: Expect) {
    let prepared = match nav::prepare_rename(&fx.analysis, &fx.file, fx.offset) {
        Ok((r, name)) => {
            format!("prepare: `{}` at {} ({name})\n", ide::slice(&fx, &fx.file, &r), ide::pos(&fx, &fx.file, r.start))
        }
        Err(e) => format!("prepare: refused: {e}\n"),
    };
    let edits = match nav::rename(&fx.analysis, &fx.file, fx.offset, new_name) {
        Ok(edits) => render_edits(&fx, &edits),
        Err(e) => format!("refused: {e}\n"),
    };
    expect.assert_eq(&format!("{prepared}{edits}"));
}

fn pool(cursor_line: &str) -> String {
    format!(
        "#- /apps/network/pool.yaml\napiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: ${{CLUSTER}}-pool\nspec:\n  blocks:\n{cursor_line}\n"
    )
}

// ---------------------------------------------------------------------------------------
// Hover on variables.

#[test]
fn hover_variable_two_clusters_one_unset() {
    let p = pool("    - start: ${POOL_$0START}");
    check_hover(
        parse_parts(&[TWO_CLUSTERS, NETWORK_APP, WEB_DEPLOYMENT, &p]),
        expect![[r#"
            [${POOL_START}]
            `${POOL_START}`

            | cluster | value | source |
            | --- | --- | --- |
            | apps | **unset** (Flux fails the Kustomization) | — |
            | infra | `10.0.0.100` | clusters/infra/settings.yaml:9 (ConfigMap flux-system/cluster-settings) |


            ---

            **CiliumLoadBalancerIPPool `infra-pool`** in cluster `infra`: block 10.0.0.100; pool 0 of 1 used
            - next free: 10.0.0.100
        "#]],
    );
}

#[test]
fn hover_variable_from_secret_is_hidden() {
    let p = pool("    - start: 10.0.0.1\n  token: ${TOK$0EN}");
    let fx = parse_parts(&[TWO_CLUSTERS, NETWORK_APP, WEB_DEPLOYMENT, &p]);
    let h = nav::hover(&fx.analysis, &fx.file, fx.offset).unwrap();
    assert!(!h.markdown.contains("s3cr3t"), "a Secret's value leaked: {}", h.markdown);
    check_hover(
        fx,
        expect![[r#"
            [${TOKEN}]
            `${TOKEN}`

            | cluster | value | source |
            | --- | --- | --- |
            | apps | **unset** (Flux fails the Kustomization) | — |
            | infra | from Secret flux-system/cluster-secrets (hidden) | clusters/infra/secrets.yaml:7 |
        "#]],
    );
}

#[test]
fn hover_variable_with_default_and_inline_substitute() {
    check_hover(
        parse_parts(&[
            TWO_CLUSTERS,
            r#"
            #- /apps/web/deployment.yaml
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              replicas: ${REPL$0ICAS:=1}
            "#,
        ]),
        expect![[r#"
            [${REPLICAS:=1}]
            `${REPLICAS}` in `${REPLICAS:=1}`

            | cluster | value | source |
            | --- | --- | --- |
            | apps | default: `1` | — |
            | infra | `2` | clusters/infra/ks.yaml:32 (postBuild.substitute of flux-system/web) |
        "#]],
    );
}

#[test]
fn hover_variable_nested_in_default_and_non_ascii_before_cursor() {
    check_hover(
        parse_parts(&[
            TWO_CLUSTERS,
            r#"
            #- /apps/web/deployment.yaml
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              annotations:
                note: "Größe → ${REPLICAS:=${AS$0N}} ✓"
            "#,
        ]),
        expect![[r#"
            [${ASN}]
            `${ASN}`

            | cluster | value | source |
            | --- | --- | --- |
            | apps | `64513` | clusters/apps/settings.yaml:8 (ConfigMap flux-system/cluster-settings) |
            | infra | `64512` | clusters/infra/settings.yaml:8 (ConfigMap flux-system/cluster-settings) |
        "#]],
    );
}

#[test]
fn hover_variable_in_unapplied_file() {
    check_hover(
        parse_parts(&[
            TWO_CLUSTERS,
            r#"
            #- /orphans/cm.yaml
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: lost
            data:
              x: ${CLUS$0TER}
            "#,
        ]),
        expect![[r#"
            [${CLUSTER}]
            `${CLUSTER}`

            Not applied by any cluster: no Flux Kustomization builds this object, so nothing substitutes it.
        "#]],
    );
}

#[test]
fn hover_variable_definition_key() {
    check_hover(
        parse_parts(&[
            TWO_CLUSTERS.replace("  ASN: \"64512\"", "  A$0SN: \"64512\"").as_str(),
            NETWORK_APP,
            WEB_DEPLOYMENT,
            &pool("    - start: ${ASN}"),
        ]),
        expect![[r#"
            [ASN]
            **`ASN`** — key of ConfigMap flux-system/cluster-settings

            value: `64512`

            - cluster infra: read by network, web

            1 use of `${ASN}` in the repository
        "#]],
    );
}

// ---------------------------------------------------------------------------------------
// Hover on references, paths and objects.

#[test]
fn hover_depends_on_shows_target_path_and_its_dependencies() {
    check_hover(
        parse_parts(&[
            TWO_CLUSTERS.replacen("    - name: network", "    - name: netw$0ork", 1).as_str(),
            NETWORK_APP,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
        ]),
        expect![[r#"
            [network]
            **Kustomization `network`** (dependsOn)

            | cluster | target | path | depends on |
            | --- | --- | --- | --- |
            | infra | `flux-system/network` in clusters/infra/ks.yaml:4 | `./apps/network` | — |
        "#]],
    );
}

#[test]
fn hover_flux_path_counts_what_the_folder_builds() {
    check_hover(
        parse_parts(&[
            TWO_CLUSTERS.replacen("  path: ./apps/web", "  path: ./apps/$0web", 1).as_str(),
            NETWORK_APP,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
        ]),
        expect![[r#"
            [./apps/web]
            path `./apps/web`

            | cluster | folder | builds |
            | --- | --- | --- |
            | infra | `apps/web` | 1 object: 1 Deployment |
        "#]],
    );
}

#[test]
fn hover_flux_path_missing_folder() {
    check_hover(
        parse_parts(&[
            TWO_CLUSTERS.replacen("  path: ./apps/web", "  path: ./apps/we$0bb", 1).as_str(),
            NETWORK_APP,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
        ]),
        expect![[r#"
            [./apps/webb]
            path `./apps/webb`

            | cluster | folder | builds |
            | --- | --- | --- |
            | infra | `apps/webb` | **does not exist** |
        "#]],
    );
}

#[test]
fn hover_kustomize_resources_entries() {
    check_hover(
        parse_parts(&[
            TWO_CLUSTERS,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
            r#"
            #- /apps/network/kustomization.yaml
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - pool.yaml
              - ../w$0eb
              - ./missing
            "#,
        ]),
        expect![[r#"
            [../web]
            resource `../web`

            - `apps/web` (kustomization.yaml, kind Kustomization): builds 1 object: 1 Deployment
        "#]],
    );
}

#[test]
fn hover_kustomize_missing_entry() {
    check_hover(
        parse_parts(&[
            TWO_CLUSTERS,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
            r#"
            #- /apps/network/kustomization.yaml
            resources:
              - pool.yaml
              - ./miss$0ing
            "#,
        ]),
        expect![[r#"
            [./missing]
            resource `./missing`

            - `apps/network/missing` **does not exist**
        "#]],
    );
}

const SOURCES: &str = r#"
#- /apps/web/source.yaml
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: podinfo
  namespace: default
spec:
  url: oci://ghcr.io/stefanprodan/charts/podinfo
  ref:
    tag: 6.7.1
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: bitnami
  namespace: default
spec:
  type: oci
  url: oci://registry-1.docker.io/bitnamicharts
#- /apps/web/kustomization.yaml
resources:
  - deployment.yaml
  - source.yaml
  - release.yaml
"#;

#[test]
fn hover_chart_ref_shows_url_and_ref() {
    check_hover(
        parse_parts(&[
            TWO_CLUSTERS,
            WEB_DEPLOYMENT,
            SOURCES,
            r#"
            #- /apps/web/release.yaml
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata:
              name: podinfo
              namespace: default
            spec:
              chartRef:
                kind: OCIRepository
                name: podi$0nfo
            "#,
        ]),
        expect![[r#"
            [podinfo]
            **OCIRepository `podinfo`** (chartRef)

            | cluster | target |
            | --- | --- |
            | apps | `default/podinfo` in apps/web/source.yaml:4 |
            | infra | `default/podinfo` in apps/web/source.yaml:4 |

            - url: `oci://ghcr.io/stefanprodan/charts/podinfo`
            - ref: tag `6.7.1`
        "#]],
    );
}

#[test]
fn hover_chart_source_ref_shows_chart_and_version() {
    check_hover(
        parse_parts(&[
            TWO_CLUSTERS,
            WEB_DEPLOYMENT,
            SOURCES,
            r#"
            #- /apps/web/release.yaml
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata:
              name: redis
              namespace: default
            spec:
              chart:
                spec:
                  chart: redis
                  version: 20.x
                  sourceRef:
                    kind: HelmRepository
                    name: bitnami$0
            "#,
        ]),
        expect![[r#"
            [bitnami]
            **HelmRepository `bitnami`** (chart.spec.sourceRef)

            | cluster | target |
            | --- | --- |
            | apps | `default/bitnami` in apps/web/source.yaml:14 |
            | infra | `default/bitnami` in apps/web/source.yaml:14 |

            - url: `oci://registry-1.docker.io/bitnamicharts`
            - type: `oci`
            - chart: `redis` version `20.x`
        "#]],
    );
}

#[test]
fn hover_object_name_shows_clusters_and_chain() {
    check_hover(
        parse_parts(&[TWO_CLUSTERS, &WEB_DEPLOYMENT.replace("  name: web", "  name: w$0eb")]),
        expect![[r#"
            [web]
            **Deployment default/web**

            | cluster | applied as | through |
            | --- | --- | --- |
            | apps | `default/web` | (root) → web |
            | infra | `default/web` | (root) → web |
        "#]],
    );
}

#[test]
fn hover_kind_of_object_with_substituted_name() {
    check_hover(
        parse_parts(&[
            TWO_CLUSTERS,
            NETWORK_APP,
            WEB_DEPLOYMENT,
            &pool("    - start: x").replace("kind: CiliumLoad", "kind: Cilium$0Load"),
        ]),
        expect![[r#"
            [CiliumLoadBalancerIPPool]
            **CiliumLoadBalancerIPPool ${CLUSTER}-pool**

            | cluster | applied as | through |
            | --- | --- | --- |
            | apps | `apps-pool` | (root) → network |
            | infra | `infra-pool` | (root) → network |
        "#]],
    );
}

#[test]
fn hover_remote_resource_is_not_fetched() {
    check_hover(
        parse_parts(&[
            TWO_CLUSTERS,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
            "#- /apps/network/kustomization.yaml\nresources:\n  - pool.yaml\n  - https://github.com/example/x//deploy?ref=v1$0\n",
        ]),
        expect![[r#"
            [https://github.com/example/x//deploy?ref=v1]
            remote `https://github.com/example/x//deploy?ref=v1`: recorded, never fetched; the objects it holds are not analysed
        "#]],
    );
}

#[test]
fn hover_flux_components_entry() {
    check_hover(
        parse_parts(&[
            TWO_CLUSTERS.replacen("  path: ./apps/web\n", "  path: ./apps/web\n  components:\n    - ../../components/lab$0els\n", 1).as_str(),
            WEB_DEPLOYMENT,
            "#- /components/labels/kustomization.yaml\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - cm.yaml\n#- /components/labels/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: labels\n",
        ]),
        expect![[r#"
            [../../components/labels]
            component `../../components/labels`

            - `components/labels` (kustomization.yaml, kind Component): builds 1 object: 1 ConfigMap
        "#]],
    );
}

#[test]
fn hover_substitute_from_entries() {
    let fx = |needle: &str, with: &str| {
        parse_parts(&[
            TWO_CLUSTERS.replacen(needle, with, 1).as_str(),
            NETWORK_APP,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
        ])
    };
    check_hover(
        fx("        name: cluster-settings", "        name: cluster-set$0tings"),
        expect![[r#"
        [cluster-settings]
        **ConfigMap `cluster-settings`** (substituteFrom)

        | cluster | target |
        | --- | --- |
        | infra | `flux-system/cluster-settings` in clusters/infra/settings.yaml:4 |

        - 3 keys
    "#]],
    );
    check_hover(
        fx("        name: cluster-secrets", "        name: cluster-sec$0rets"),
        expect![[r#"
        [cluster-secrets]
        **Secret `cluster-secrets`** (substituteFrom)

        | cluster | target |
        | --- | --- |
        | infra | `flux-system/cluster-secrets` in clusters/infra/secrets.yaml:4 |

        - 1 key (values hidden)
    "#]],
    );
}

#[test]
fn hover_flux_source_ref() {
    check_hover(
        parse_parts(&[
            TWO_CLUSTERS.replacen("    name: flux-system\n", "    name: flux-sys$0tem\n", 1).as_str(),
            NETWORK_APP,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
            r#"
            #- /clusters/infra/flux-system/gotk-sync.yaml
            apiVersion: source.toolkit.fluxcd.io/v1
            kind: GitRepository
            metadata:
              name: flux-system
              namespace: flux-system
            spec:
              url: ssh://git@github.com/example/home-ops
              ref:
                branch: main
            "#,
        ]),
        expect![[r#"
            [flux-system]
            **GitRepository `flux-system`** (sourceRef)

            | cluster | target |
            | --- | --- |
            | infra | `flux-system/flux-system` in clusters/infra/flux-system/gotk-sync.yaml:4 |

            - url: `ssh://git@github.com/example/home-ops`
            - ref: branch `main`
        "#]],
    );
}

#[test]
fn locate_classifies_the_cursor() {
    use gitops_lsp::ide::locate;
    let show = |fx: Fixture| match locate::at(&fx.analysis, &fx.file, fx.offset) {
        Some(l) => {
            let what = match &l.what {
                locate::What::VarUse { expr } => format!("VarUse {}", expr.name),
                locate::What::VarDef { .. } => "VarDef".to_string(),
                locate::What::Ref(r) => format!("Ref {:?} {} {}", r.role, r.kind, r.name),
                other => format!("{other:?}"),
            };
            format!("{what} [{}] obj={}", ide::slice(&fx, &fx.file, &l.range), l.obj.is_some())
        }
        None => "(none)".to_string(),
    };
    let ks = |needle: &str, with: &str| {
        parse_parts(&[
            TWO_CLUSTERS.replacen(needle, with, 1).as_str(),
            NETWORK_APP,
            WEB_DEPLOYMENT,
            &pool("    - start: ${POOL_START}"),
        ])
    };
    let got = [
        show(ks("  path: ./apps/network", "  path: ./apps/net$0work")),
        show(ks("    - name: network", "    - name: $0network")),
        show(ks("    kind: GitRepository", "    kind: Git$0Repository")),
        show(ks("  POOL_START: 10.0.0.100", "  POOL_START: 10.0$0.0.100")),
        show(ks("  POOL_START: 10.0.0.100", "  POOL_START$0: 10.0.0.100")),
        show(ks(
            "kind: ConfigMap\nmetadata:\n  name: cluster-settings",
            "kind: Config$0Map\nmetadata:\n  name: cluster-settings",
        )),
        show(ks("  name: cluster-secrets\n  namespace", "  name: cluster-secrets$0\n  namespace")),
    ];
    expect![[r#"
        FluxPath { raw: "./apps/network" } [./apps/network] obj=true
        Ref DependsOn Kustomization network [network] obj=true
        (none)
        (none)
        VarDef [POOL_START] obj=true
        Kind [ConfigMap] obj=true
        Name [cluster-secrets] obj=true"#]]
    .assert_eq(&got.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Definition.

#[test]
fn definition_of_variable_one_location_per_cluster() {
    check_definition(
        parse_parts(&[TWO_CLUSTERS, NETWORK_APP, WEB_DEPLOYMENT, &pool("    - start: ${CLUS$0TER}")]),
        expect![[r#"
            clusters/apps/settings.yaml:7:3 `CLUSTER` (cluster apps)
            clusters/infra/settings.yaml:7:3 `CLUSTER` (cluster infra)
        "#]],
    );
}

#[test]
fn definition_of_variable_from_inline_substitute_and_unset() {
    check_definition(
        parse_parts(&[TWO_CLUSTERS, &WEB_DEPLOYMENT.replace("${REPLICAS", "${REPLI$0CAS")]),
        expect![[r#"
            clusters/infra/ks.yaml:32:7 `REPLICAS` (cluster infra)
        "#]],
    );
}

#[test]
fn definition_of_depends_on() {
    check_definition(
        parse_parts(&[
            TWO_CLUSTERS.replacen("    - name: network", "    - name: netw$0ork", 1).as_str(),
            NETWORK_APP,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
        ]),
        expect![[r#"
            clusters/infra/ks.yaml:4:9 `network` (cluster infra)
        "#]],
    );
}

#[test]
fn definition_of_helm_release_depends_on() {
    check_definition(
        parse_parts(&[
            TWO_CLUSTERS,
            WEB_DEPLOYMENT,
            SOURCES,
            r#"
            #- /apps/web/release.yaml
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata:
              name: redis
              namespace: default
            spec:
              chartRef: {kind: OCIRepository, name: podinfo}
            ---
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata:
              name: app
              namespace: default
            spec:
              dependsOn:
                - name: re$0dis
              chartRef: {kind: OCIRepository, name: podinfo}
            "#,
        ]),
        expect![[r#"
            apps/web/release.yaml:4:9 `redis` (clusters apps, infra)
        "#]],
    );
}

#[test]
fn definition_of_flux_path_goes_to_kustomization() {
    check_definition(
        parse_parts(&[
            TWO_CLUSTERS.replacen("  path: ./apps/web", "  path: ./apps/$0web", 1).as_str(),
            NETWORK_APP,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
        ]),
        expect![[r#"
            apps/web/kustomization.yaml:1:1 <start> (cluster infra)
        "#]],
    );
}

#[test]
fn definition_of_flux_path_without_kustomization_lists_manifests() {
    check_definition(
        parse_parts(&[
            TWO_CLUSTERS.replacen("  path: ./apps/network", "  path: ./apps/$0network", 1).as_str(),
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
            r#"
            #- /apps/network/extra/svc.yaml
            apiVersion: v1
            kind: Service
            metadata:
              name: x
            "#,
        ]),
        expect![[r#"
            apps/network/pool.yaml:1:1 <start> (cluster infra)
            apps/network/extra/svc.yaml:1:1 <start> (cluster infra)
        "#]],
    );
}

#[test]
fn definition_of_resources_file_and_components_folder() {
    let parts = |entry: &str| {
        let k = format!(
            "#- /apps/network/kustomization.yaml\nresources:\n  - pool.yaml\n{entry}\n#- /components/labels/kustomization.yaml\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
        );
        parse_parts(&[TWO_CLUSTERS, WEB_DEPLOYMENT, &pool("    - start: x"), &k])
    };
    check_definition(
        parts("  - ../web/deploy$0ment.yaml"),
        expect![[r#"
        apps/web/deployment.yaml:1:1 <start>
    "#]],
    );
    check_definition(
        parts("components:\n  - ../../components/lab$0els"),
        expect![[r#"
        components/labels/kustomization.yaml:1:1 <start>
    "#]],
    );
}

#[test]
fn definition_of_flux_components_entry_is_relative_to_path() {
    check_definition(
        parse_parts(&[
            TWO_CLUSTERS
                .replacen(
                    "  path: ./apps/web\n",
                    "  path: ./apps/web\n  components:\n    - ../../components/lab$0els\n",
                    1,
                )
                .as_str(),
            WEB_DEPLOYMENT,
            "#- /components/labels/kustomization.yaml\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
        ]),
        expect![[r#"
            components/labels/kustomization.yaml:1:1 <start> (cluster infra)
        "#]],
    );
}

#[test]
fn definition_of_source_ref_goes_to_the_source_object() {
    check_definition(
        parse_parts(&[
            TWO_CLUSTERS.replacen("    name: flux-system\n", "    name: flux-sys$0tem\n", 1).as_str(),
            NETWORK_APP,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
            r#"
            #- /clusters/infra/flux-system/gotk-sync.yaml
            apiVersion: source.toolkit.fluxcd.io/v1
            kind: GitRepository
            metadata:
              name: flux-system
              namespace: flux-system
            spec:
              url: ssh://git@github.com/example/home-ops
            "#,
        ]),
        expect![[r#"
            clusters/infra/flux-system/gotk-sync.yaml:4:9 `flux-system` (cluster infra)
        "#]],
    );
}

#[test]
fn definition_of_substitute_from_goes_to_configmap_and_external_secret() {
    check_definition(
        parse_parts(&[
            TWO_CLUSTERS.replacen("        name: cluster-settings", "        name: cluster-set$0tings", 1).as_str(),
            NETWORK_APP,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
        ]),
        expect![[r#"
            clusters/infra/settings.yaml:4:9 `cluster-settings` (cluster infra)
        "#]],
    );
    let with_external = TWO_CLUSTERS.replace(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\n  namespace: flux-system\nstringData:\n  TOKEN: s3cr3t-value\n",
        "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: cluster-secrets-es\n  namespace: flux-system\nspec:\n  target:\n    name: cluster-secrets\n  data:\n    - secretKey: TOKEN\n      remoteRef: {key: x}\n",
    );
    check_definition(
        parse_parts(&[
            with_external.replacen("        name: cluster-secrets", "        name: cluster-sec$0rets", 1).as_str(),
            NETWORK_APP,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
        ]),
        expect![[r#"
            clusters/infra/secrets.yaml:4:9 `cluster-secrets-es` (cluster infra)
        "#]],
    );
}

/// A cert-manager / external-secrets / storage / gateway set-up in both clusters, with the
/// referring objects in one shared app.
const REFS: &str = r#"
#- /apps/web/kustomization.yaml
resources:
  - deployment.yaml
  - infra.yaml
  - uses.yaml
#- /apps/web/infra.yaml
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast-${CLUSTER}
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: letsencrypt
---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: onepassword
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: cilium
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: internal
  namespace: default
spec:
  gatewayClassName: cilium
"#;

fn refs_fixture(uses: &str) -> Fixture {
    let uses = format!("#- /apps/web/uses.yaml\n{}", uses.strip_prefix('\n').unwrap_or(uses));
    parse_parts(&[TWO_CLUSTERS, WEB_DEPLOYMENT, REFS, &uses])
}

#[test]
fn definition_of_storage_class_follows_substitution_per_cluster() {
    check_definition(
        refs_fixture(
            r#"
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata:
              name: data
              namespace: default
            spec:
              storageClassName: fa$0st-${CLUSTER}
            "#,
        ),
        expect![[r#"
            apps/web/infra.yaml:4:9 `fast-${CLUSTER}` (clusters apps, infra)
        "#]],
    );
}

#[test]
fn definition_of_issuer_secret_store_gateway_class_and_parent_ref() {
    let uses = |line: &str| {
        refs_fixture(&format!(
            "apiVersion: example.com/v1\nkind: Thing\nmetadata:\n  name: thing\n  namespace: default\nspec:\n{line}\n"
        ))
    };
    check_definition(
        uses("  issuerRef:\n    kind: ClusterIssuer\n    name: letsen$0crypt"),
        expect![[r#"
        apps/web/infra.yaml:9:9 `letsencrypt` (clusters apps, infra)
    "#]],
    );
    check_definition(
        uses("  secretStoreRef:\n    kind: ClusterSecretStore\n    name: onepass$0word"),
        expect![[r#"
        apps/web/infra.yaml:14:9 `onepassword` (clusters apps, infra)
    "#]],
    );
    check_definition(
        uses("  gatewayClassName: cil$0ium"),
        expect![[r#"
        apps/web/infra.yaml:19:9 `cilium` (clusters apps, infra)
    "#]],
    );
    check_definition(
        uses("  parentRefs:\n    - name: inter$0nal"),
        expect![[r#"
        apps/web/infra.yaml:24:9 `internal` (clusters apps, infra)
    "#]],
    );
    check_definition(
        uses("  parentRefs:\n    - name: nowh$0ere"),
        expect![[r#"
        (none)
    "#]],
    );
}

/// Like `REFS`, with the facts that hover shows about each named object.
const REFS_DETAILED: &str = r#"
#- /apps/web/kustomization.yaml
resources:
  - deployment.yaml
  - infra.yaml
  - uses.yaml
#- /apps/web/infra.yaml
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast-${CLUSTER}
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: rook-ceph.rbd.csi.ceph.com
reclaimPolicy: Delete
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: letsencrypt
spec:
  acme:
    server: https://acme-v02.api.letsencrypt.org/directory
    privateKeySecretRef:
      name: letsencrypt
---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: onepassword
spec:
  provider:
    onepassword:
      connectHost: http://onepassword-connect:8080
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: cilium
spec:
  controllerName: io.cilium/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: internal
  namespace: default
spec:
  gatewayClassName: cilium
  listeners:
    - name: https
      protocol: HTTPS
      port: 443
      hostname: "*.example.com"
"#;

fn hover_on(line: &str) -> String {
    let uses = format!(
        "#- /apps/web/uses.yaml\napiVersion: example.com/v1\nkind: Thing\nmetadata:\n  name: thing\n  namespace: default\nspec:\n{line}\n"
    );
    let fx = parse_parts(&[TWO_CLUSTERS, WEB_DEPLOYMENT, REFS_DETAILED, &uses]);
    match nav::hover(&fx.analysis, &fx.file, fx.offset) {
        Some(h) => format!("[{}]\n{}\n", ide::slice(&fx, &fx.file, &h.range), h.markdown.trim_end()),
        None => "(none)\n".to_string(),
    }
}

#[test]
fn hover_on_reference_values_names_the_object_and_where_per_cluster() {
    expect![[r#"
        [fast-${CLUSTER}]
        **StorageClass `fast-${CLUSTER}`** (storageClassName)

        | cluster | target |
        | --- | --- |
        | apps | `fast-apps` in apps/web/infra.yaml:4 |
        | infra | `fast-infra` in apps/web/infra.yaml:4 |

        - provisioner: `rook-ceph.rbd.csi.ceph.com`
        - reclaim policy: `Delete`
        - the cluster's default StorageClass
    "#]]
    .assert_eq(&hover_on("  storageClassName: fa$0st-${CLUSTER}"));
    expect![[r#"
        [letsencrypt]
        **ClusterIssuer `letsencrypt`** (issuerRef)

        | cluster | target |
        | --- | --- |
        | apps | `letsencrypt` in apps/web/infra.yaml:13 |
        | infra | `letsencrypt` in apps/web/infra.yaml:13 |

        - type: `acme`
        - ACME server: `https://acme-v02.api.letsencrypt.org/directory`
    "#]]
    .assert_eq(&hover_on("  issuerRef:\n    kind: ClusterIssuer\n    name: letsen$0crypt"));
    expect![[r#"
        [onepassword]
        **ClusterSecretStore `onepassword`** (secretStoreRef)

        | cluster | target |
        | --- | --- |
        | apps | `onepassword` in apps/web/infra.yaml:23 |
        | infra | `onepassword` in apps/web/infra.yaml:23 |

        - provider: onepassword
    "#]]
    .assert_eq(&hover_on("  secretStoreRef:\n    kind: ClusterSecretStore\n    name: onepass$0word"));
    expect![[r#"
        [cilium]
        **GatewayClass `cilium`** (gatewayClassName)

        | cluster | target |
        | --- | --- |
        | apps | `cilium` in apps/web/infra.yaml:32 |
        | infra | `cilium` in apps/web/infra.yaml:32 |

        - controller: `io.cilium/gateway-controller`
    "#]]
    .assert_eq(&hover_on("  gatewayClassName: cil$0ium"));
    expect![[r#"
        [internal]
        **Gateway `internal`** (parentRefs)

        | cluster | target |
        | --- | --- |
        | apps | `default/internal` in apps/web/infra.yaml:39 |
        | infra | `default/internal` in apps/web/infra.yaml:39 |

        - class: `cilium`
        - listener `https`: HTTPS 443 `*.example.com`
    "#]]
    .assert_eq(&hover_on("  parentRefs:\n    - name: inter$0nal\n      sectionName: https"));
    expect![[r#"
        [nowhere]
        **Gateway `nowhere`** (parentRefs)

        | cluster | target |
        | --- | --- |
        | apps | **not found**: no Gateway `default/nowhere` in this cluster |
        | infra | **not found**: no Gateway `default/nowhere` in this cluster |
    "#]]
    .assert_eq(&hover_on("  parentRefs:\n    - name: nowh$0ere"));
}

// ---------------------------------------------------------------------------------------
// References.

#[test]
fn references_of_variable_uses_and_definitions() {
    let fx = parse_parts(&[TWO_CLUSTERS, NETWORK_APP, WEB_DEPLOYMENT, &pool("    - start: ${CLUS$0TER}")]);
    check_references(
        fx,
        true,
        expect![[r#"
            clusters/apps/settings.yaml:7:3 `CLUSTER` (ConfigMap flux-system/cluster-settings)
            clusters/infra/settings.yaml:7:3 `CLUSTER` (ConfigMap flux-system/cluster-settings)
            apps/network/pool.yaml:4:11 `CLUSTER`
            apps/network/pool.yaml:7:16 `CLUSTER`
        "#]],
    );
    let fx = parse_parts(&[TWO_CLUSTERS, NETWORK_APP, WEB_DEPLOYMENT, &pool("    - start: ${CLUS$0TER}")]);
    check_references(
        fx,
        false,
        expect![[r#"
            apps/network/pool.yaml:4:11 `CLUSTER`
            apps/network/pool.yaml:7:16 `CLUSTER`
        "#]],
    );
}

#[test]
fn references_of_flux_kustomization_are_its_dependents() {
    check_references(
        parse_parts(&[
            TWO_CLUSTERS.replacen("  name: network", "  name: net$0work", 1).as_str(),
            NETWORK_APP,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
        ]),
        true,
        expect![[r#"
            clusters/infra/ks.yaml:4:9 `network`
            clusters/infra/ks.yaml:25:13 `network`
        "#]],
    );
}

#[test]
fn references_from_a_depends_on_entry() {
    check_references(
        parse_parts(&[
            TWO_CLUSTERS.replacen("    - name: network", "    - name: netw$0ork", 1).as_str(),
            NETWORK_APP,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
        ]),
        true,
        expect![[r#"
            clusters/infra/ks.yaml:4:9 `network`
            clusters/infra/ks.yaml:25:13 `network`
        "#]],
    );
}

#[test]
fn definition_on_a_definition_is_itself() {
    check_definition(
        parse_parts(&[
            TWO_CLUSTERS.replace("  ASN: \"64512\"", "  AS$0N: \"64512\"").as_str(),
            NETWORK_APP,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
        ]),
        expect![[r#"
            clusters/infra/settings.yaml:8:3 `ASN`
        "#]],
    );
}

#[test]
fn references_of_settings_configmap_are_its_substitute_from_users() {
    check_references(
        parse_parts(&[
            TWO_CLUSTERS.replacen("  name: cluster-settings", "  name: cluster-$0settings", 1).as_str(),
            NETWORK_APP,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
        ]),
        false,
        expect![[r#"
            clusters/infra/ks.yaml:14:15 `cluster-settings`
            clusters/infra/ks.yaml:35:15 `cluster-settings`
        "#]],
    );
}

#[test]
fn references_of_a_folder_are_its_includers() {
    let k = r#"
        #- /apps/network/kustomization.yaml
        resources:
          - pool.yaml
          - ../web
        #- /apps/other/kustomization.yaml
        resources:
          - ../web
        "#;
    // From a path entry…
    check_references(
        parse_parts(&[
            TWO_CLUSTERS,
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
            &k.replacen("  - ../web", "  - ../w$0eb", 1),
        ]),
        true,
        expect![[r#"
            apps/web/kustomization.yaml:1:1 <start>
            apps/network/kustomization.yaml:3:5 `../web`
            apps/other/kustomization.yaml:2:5 `../web`
            clusters/apps/ks.yaml:24:9 `./apps/web`
            clusters/infra/ks.yaml:26:9 `./apps/web`
        "#]],
    );
    // …from an entry naming a file…
    check_references(
        parse_parts(&[
            &TWO_CLUSTERS.replace("  - deployment.yaml", "  - deploy$0ment.yaml"),
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
            k,
        ]),
        false,
        expect![[r#"
            apps/web/kustomization.yaml:4:5 `deployment.yaml`
        "#]],
    );
    // …and from elsewhere in the folder's kustomization.yaml.
    check_references(
        parse_parts(&[
            &TWO_CLUSTERS.replace(
                "kind: Kustomization\nresources:\n  - deployment.yaml",
                "kind: Kustom$0ization\nresources:\n  - deployment.yaml",
            ),
            WEB_DEPLOYMENT,
            &pool("    - start: x"),
            k,
        ]),
        false,
        expect![[r#"
            apps/network/kustomization.yaml:3:5 `../web`
            apps/other/kustomization.yaml:2:5 `../web`
            clusters/apps/ks.yaml:24:9 `./apps/web`
            clusters/infra/ks.yaml:26:9 `./apps/web`
        "#]],
    );
}

// ---------------------------------------------------------------------------------------
// Rename.

#[test]
fn rename_variable_everywhere() {
    check_rename(
        parse_parts(&[TWO_CLUSTERS, NETWORK_APP, WEB_DEPLOYMENT, &pool("    - start: ${CLUS$0TER}")]),
        "CLUSTER_NAME",
        expect![[r#"
            prepare: `CLUSTER` at apps/network/pool.yaml:7:16 (CLUSTER)
            apps/network/pool.yaml:4:11 `CLUSTER` -> `CLUSTER_NAME`
            apps/network/pool.yaml:7:16 `CLUSTER` -> `CLUSTER_NAME`
            clusters/apps/settings.yaml:7:3 `CLUSTER` -> `CLUSTER_NAME`
            clusters/infra/settings.yaml:7:3 `CLUSTER` -> `CLUSTER_NAME`
        "#]],
    );
}

#[test]
fn rename_from_definition_of_inline_substitute() {
    check_rename(
        parse_parts(&[&TWO_CLUSTERS.replace("      REPLICAS: \"2\"", "      REPLI$0CAS: \"2\""), WEB_DEPLOYMENT]),
        "WEB_REPLICAS",
        expect![[r#"
            prepare: `REPLICAS` at clusters/infra/ks.yaml:32:7 (REPLICAS)
            apps/web/deployment.yaml:7:15 `REPLICAS` -> `WEB_REPLICAS`
            clusters/infra/ks.yaml:32:7 `REPLICAS` -> `WEB_REPLICAS`
        "#]],
    );
}

#[test]
fn rename_refuses_invalid_names_and_existing_ones() {
    let fx = || parse_parts(&[TWO_CLUSTERS, NETWORK_APP, WEB_DEPLOYMENT, &pool("    - start: ${CLUS$0TER}")]);
    check_rename(
        fx(),
        "cluster-name",
        expect![[r#"
        prepare: `CLUSTER` at apps/network/pool.yaml:7:16 (CLUSTER)
        refused: `cluster-name` is not a valid variable name: ASCII letters, digits and `_`, not starting with a digit
    "#]],
    );
    check_rename(
        fx(),
        "ASN",
        expect![[r#"
        prepare: `CLUSTER` at apps/network/pool.yaml:7:16 (CLUSTER)
        refused: `ASN` is already defined (ConfigMap flux-system/cluster-settings, clusters/apps/settings.yaml:8); renaming would merge two variables
    "#]],
    );
}

#[test]
fn rename_refuses_sops_external_secret_and_env_file_definitions() {
    let sops = TWO_CLUSTERS.replace(
        "stringData:\n  TOKEN: s3cr3t-value\n",
        "stringData:\n  TOKEN: ENC[AES256_GCM,data:abc]\nsops:\n  mac: ENC[x]\n",
    );
    check_rename(
        parse_parts(&[&sops, NETWORK_APP, WEB_DEPLOYMENT, &pool("    - start: ${TOK$0EN}")]),
        "API_TOKEN",
        expect![[r#"
            prepare: refused: cannot rename `TOKEN`: it is a key of a SOPS-encrypted Secret (Secret flux-system/cluster-secrets, clusters/infra/secrets.yaml:7): editing it breaks the file's MAC; rename it with `sops` and then retry
            refused: cannot rename `TOKEN`: it is a key of a SOPS-encrypted Secret (Secret flux-system/cluster-secrets, clusters/infra/secrets.yaml:7): editing it breaks the file's MAC; rename it with `sops` and then retry
        "#]],
    );
    let es = TWO_CLUSTERS.replace(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\n  namespace: flux-system\nstringData:\n  TOKEN: s3cr3t-value\n",
        "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: cluster-secrets\n  namespace: flux-system\nspec:\n  data:\n    - secretKey: TOKEN\n      remoteRef: {key: x}\n",
    );
    check_rename(
        parse_parts(&[&es, NETWORK_APP, WEB_DEPLOYMENT, &pool("    - start: ${TOK$0EN}")]),
        "API_TOKEN",
        expect![[r#"
            prepare: refused: cannot rename `TOKEN`: it comes from an ExternalSecret (Secret flux-system/cluster-secrets, clusters/infra/secrets.yaml:8): its key names may be used by templates or the secret store; rename it there by hand
            refused: cannot rename `TOKEN`: it comes from an ExternalSecret (Secret flux-system/cluster-secrets, clusters/infra/secrets.yaml:8): its key names may be used by templates or the secret store; rename it there by hand
        "#]],
    );
    // A generator: literals are renamed in place, a .env file is refused.
    let generated = |env: bool| {
        let gen = if env { "    envs:\n      - settings.env\n" } else { "    literals:\n      - \"LEVEL=debug\"\n" };
        let k = format!(
            "#- /apps/web/kustomization.yaml\nresources:\n  - deployment.yaml\nconfigMapGenerator:\n  - name: web-settings\n    namespace: flux-system\n{gen}#- /apps/web/settings.env\nLEVEL=debug\n"
        );
        let ts = TWO_CLUSTERS.replacen(
            "        name: cluster-settings\n#- /clusters/apps",
            "        name: cluster-settings\n      - kind: ConfigMap\n        name: web-settings\n#- /clusters/apps",
            1,
        );
        let dep = "#- /apps/web/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  level: ${LEV$0EL}\n";
        parse_parts(&[ts.replace("#- /apps/web/kustomization.yaml\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n", "").as_str(), &k, dep])
    };
    check_rename(
        generated(false),
        "LOG_LEVEL",
        expect![[r#"
        prepare: `LEVEL` at apps/web/deployment.yaml:6:12 (LEVEL)
        apps/web/deployment.yaml:6:12 `LEVEL` -> `LOG_LEVEL`
        apps/web/kustomization.yaml:7:10 `LEVEL` -> `LOG_LEVEL`
    "#]],
    );
    check_rename(
        generated(true),
        "LOG_LEVEL",
        expect![[r#"
        prepare: refused: cannot rename `LEVEL`: it is read from a generator's .env file (apps/web/kustomization.yaml:7); rename it in that file by hand
        refused: cannot rename `LEVEL`: it is read from a generator's .env file (apps/web/kustomization.yaml:7); rename it in that file by hand
    "#]],
    );
}

#[test]
fn rename_refuses_what_is_not_a_variable() {
    check_rename(
        parse_parts(&[TWO_CLUSTERS, NETWORK_APP, &WEB_DEPLOYMENT.replace("kind: Deployment", "kind: Deploy$0ment")]),
        "X",
        expect![[r#"
            prepare: refused: only a variable (`${NAME}` or a key that defines it) can be renamed
            refused: only a variable (`${NAME}` or a key that defines it) can be renamed
        "#]],
    );
}

#[test]
fn nothing_at_plain_values_and_outside_the_text() {
    let fx = parse_parts(&[TWO_CLUSTERS, NETWORK_APP, &WEB_DEPLOYMENT.replace("apps/v1", "apps/$0v1")]);
    assert!(nav::hover(&fx.analysis, &fx.file, fx.offset).is_none());
    assert!(nav::definition(&fx.analysis, &fx.file, fx.offset).is_empty());
    assert!(nav::hover(&fx.analysis, &fx.file, 1_000_000).is_none());
    let unknown = gitops_lsp::files::RelPath::new("nope.yaml").unwrap();
    assert!(nav::references(&fx.analysis, &unknown, 0, true).is_empty());
}

#[test]
fn literal_cursor_escape_keeps_dollar_zero() {
    let fx = parse(
        r#"
        #- /x.yaml
        a: "\$0"
        b: $0c
        "#,
    );
    let text = fx.text(&fx.file).to_string();
    assert_eq!(text, "a: \"$0\"\nb: c\n");
    assert_eq!(fx.offset, text.find('c').unwrap());
}

// ---------------------------------------------------------------------------------------
// The bundled home-ops fixture, read from disk.

#[test]
fn home_ops_hover_lb_pool_start_in_infra() {
    let fx = ide::from_disk(
        "home-ops",
        "kubernetes/infrastructure/networking/cilium/ipam/infra/pool.yaml",
        "${CILIUM_LB_POOL_START}",
        3,
    );
    check_hover(
        fx,
        expect![[r#"
            [${CILIUM_LB_POOL_START}]
            `${CILIUM_LB_POOL_START}`

            | cluster | value | source |
            | --- | --- | --- |
            | infra | `10.25.11.100` | kubernetes/clusters/infra/cluster-settings.yaml:18 (ConfigMap flux-system/cluster-settings) |


            ---

            **CiliumLoadBalancerIPPool `infra-pool`** in cluster `infra`: block 10.25.11.100-10.25.11.119; pool 3 of 20 used
            - 10.25.11.100: HelmRelease kube-system/cilium (values)
            - 10.25.11.110: Gateway kube-system/external
            - 10.25.11.111: Gateway kube-system/internal
            - next free: 10.25.11.101, 10.25.11.102, 10.25.11.103
        "#]],
    );
}

#[test]
fn home_ops_definition_of_cluster_in_cilium_release() {
    let fx = ide::from_disk(
        "home-ops",
        "kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml",
        "${CLUSTER}",
        4,
    );
    check_definition(
        fx,
        expect![[r#"
            kubernetes/clusters/apps/cluster-settings.yaml:9:3 `CLUSTER` (cluster apps)
            kubernetes/clusters/infra/cluster-settings.yaml:9:3 `CLUSTER` (cluster infra)
        "#]],
    );
}

#[test]
fn home_ops_hover_depends_on_in_dragonfly() {
    let fx = ide::from_disk(
        "home-ops",
        "kubernetes/workloads/platform/databases/dragonfly/ks.yaml",
        "name: cilium-clustermesh",
        8,
    );
    check_hover(
        fx,
        expect![[r#"
            [cilium-clustermesh]
            **Kustomization `cilium-clustermesh`** (dependsOn)

            | cluster | target | path | depends on |
            | --- | --- | --- | --- |
            | infra | `flux-system/cilium-clustermesh` in kubernetes/clusters/infra/infrastructure.yaml:284 | `./kubernetes/infrastructure/networking/cilium/clustermesh` | cilium-core, cilium-ipam, external-secrets-stores |
        "#]],
    );
}

#[test]
fn home_ops_no_panic_at_any_offset() {
    use gitops_lsp::ide::complete;
    let fx = ide::from_disk("home-ops", "kubernetes/clusters/infra/cluster-settings.yaml", "CLUSTER", 0);
    let a = &fx.analysis;
    let files = [
        "kubernetes/clusters/infra/cluster-settings.yaml",
        "kubernetes/clusters/infra/infrastructure.yaml",
        "kubernetes/workloads/platform/databases/dragonfly/ks.yaml",
        "kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml",
        "kubernetes/infrastructure/kustomization.yaml",
        "kubernetes/components/dragonfly/kustomization.yaml",
        "kubernetes/components/dragonfly/dragonfly.yaml",
    ];
    for p in files {
        let file = gitops_lsp::files::RelPath::new(p).unwrap();
        let len = fx.text(&file).len();
        for offset in 0..=len + 1 {
            let _ = nav::hover(a, &file, offset);
            let _ = nav::definition(a, &file, offset);
            let _ = nav::prepare_rename(a, &file, offset);
            let _ = complete::completion(a, &file, offset);
            if offset % 17 == 0 {
                let _ = nav::references(a, &file, offset, true);
            }
        }
    }
}

#[test]
fn broken_yaml_no_panic_at_any_offset() {
    use gitops_lsp::ide::complete;
    let broken = [
        "#- /apps/network/pool.yaml\napiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: ${CLU\nspec:\n  blocks:\n    - {start: ${POOL_START\n      stop: \"é${",
        "#- /apps/network/pool.yaml\nkind: Kustomization\napiVersion: kustomize.toolkit.fluxcd.io/v1\nspec:\n  dependsOn:\n  - name:\n  -\n  - name: [\n  path: \"./apps/\n  components:\n    - ../\t\n",
        "#- /apps/network/pool.yaml\n\"kind\": HelmRelease\nspec:\n  dependsOn:\n    - name: ${A:=${B:=\n  chartRef: {name: \n---\n- - - x: ${\n...\n  storageClassName: 'fa\n",
        "#- /apps/network/kustomization.yaml\nresources:\n  - ../../\n  - \"./pool\ncomponents: [../x\n  - ",
    ];
    for b in broken {
        let fx = parse_parts(&[TWO_CLUSTERS, &format!("{b}$0")]);
        let len = fx.text(&fx.file).len();
        for offset in 0..=len + 1 {
            let _ = nav::hover(&fx.analysis, &fx.file, offset);
            let _ = nav::definition(&fx.analysis, &fx.file, offset);
            let _ = nav::references(&fx.analysis, &fx.file, offset, true);
            let _ = nav::prepare_rename(&fx.analysis, &fx.file, offset);
            let _ = nav::rename(&fx.analysis, &fx.file, offset, "NEW");
            let _ = complete::completion(&fx.analysis, &fx.file, offset);
        }
    }
}
