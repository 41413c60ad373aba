//! Completion on cursor-marked fixtures (see `ide/mod.rs` for the fixture format). The text
//! around the cursor is often broken YAML on purpose: that is what an editor sends while
//! the user types.

use crate::ide;

use expect_test::{expect, Expect};
use gitops_lsp::ide::complete;
use ide::{parse_parts, render_completions, Fixture};

/// Two clusters (folders under `clusters/`): infra and apps, with different settings
/// (apps lacks POOL_START), a Secret in infra, Flux Kustomizations `network` and `web`, a
/// Component, and a HelmRelease in the web app.
const REPO: &str = r#"
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
  path: ./apps/web
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
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
#- /apps/network/kustomization.yaml
resources:
  - pool.yaml
#- /apps/web/kustomization.yaml
resources:
  - release.yaml
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
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast
#- /components/labels/kustomization.yaml
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
#- /components/other/kustomization.yaml
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - cm.yaml
#- /components/other/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: other
"#;

fn check(fx: Fixture, expect: Expect) {
    let items = complete::completion(&fx.analysis, &fx.file, fx.offset);
    expect.assert_eq(&render_completions(&fx, &items));
}

fn with_pool(line: &str) -> Fixture {
    let pool = format!(
        "#- /apps/network/pool.yaml\napiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: pool\nspec:\n  blocks:\n{line}\n"
    );
    parse_parts(&[REPO, &pool])
}

#[test]
fn variables_after_dollar_brace_show_per_cluster_values() {
    check(
        with_pool("    - start: ${$0"),
        expect![[r#"
            replace ``
            Variable ASN => `ASN}` — apps: 64513 · infra: 64512
            Variable CLUSTER => `CLUSTER}` — apps: apps · infra: infra
            Variable POOL_START => `POOL_START}` — apps: unset · infra: 10.0.0.100
            Variable TOKEN => `TOKEN}` — apps: unset · infra: (secret)
        "#]],
    );
}

#[test]
fn variables_inside_a_partial_name_replace_the_whole_word() {
    check(
        with_pool("    - start: ${POO$0L_ST}\n      stop: x"),
        expect![[r#"
            replace `POOL_ST`
            Variable ASN — apps: 64513 · infra: 64512
            Variable CLUSTER — apps: apps · infra: infra
            Variable POOL_START — apps: unset · infra: 10.0.0.100
            Variable TOKEN — apps: unset · infra: (secret)
        "#]],
    );
}

#[test]
fn variables_in_unterminated_expression_in_broken_yaml() {
    // An unclosed flow mapping above and an unterminated `${CLU`: no tree for this document.
    check(
        with_pool("    - {start: 10.0.0.1\n      stop: \"${CLU$0"),
        expect![[r#"
            replace `CLU`
            Variable ASN => `ASN}` — apps: 64513 · infra: 64512
            Variable CLUSTER => `CLUSTER}` — apps: apps · infra: infra
            Variable POOL_START => `POOL_START}` — apps: unset · infra: 10.0.0.100
            Variable TOKEN => `TOKEN}` — apps: unset · infra: (secret)
        "#]],
    );
}

#[test]
fn variables_after_non_ascii_text_and_in_a_default() {
    check(
        with_pool("    - start: \"Größe → ${ASN:=${CL$0\""),
        expect![[r#"
            replace `CL`
            Variable ASN => `ASN}` — apps: 64513 · infra: 64512
            Variable CLUSTER => `CLUSTER}` — apps: apps · infra: infra
            Variable POOL_START => `POOL_START}` — apps: unset · infra: 10.0.0.100
            Variable TOKEN => `TOKEN}` — apps: unset · infra: (secret)
        "#]],
    );
}

#[test]
fn no_variables_after_escaped_dollar() {
    check(
        with_pool("    - start: $${$0"),
        expect![[r#"
        (none)
    "#]],
    );
}

#[test]
fn secret_values_never_appear_in_completion() {
    let fx = with_pool("    - start: ${TO$0");
    let items = complete::completion(&fx.analysis, &fx.file, fx.offset);
    let token = items.iter().find(|i| i.label == "TOKEN").unwrap();
    let doc = token.documentation.clone().unwrap_or_default();
    assert!(!doc.contains("s3cr3t") && !token.detail.clone().unwrap_or_default().contains("s3cr3t"));
    expect![[r#"
        - apps: unset
        - infra: hidden (Secret) (Secret flux-system/cluster-secrets)
    "#]]
    .assert_eq(&doc);
}

#[test]
fn depends_on_names_of_the_clusters_in_an_unfinished_entry() {
    let ks = r#"
        #- /clusters/infra/more.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: late
          namespace: flux-system
        spec:
          dependsOn:
            - name: $0
          path: ./apps/web
        "#;
    check(
        parse_parts(&[REPO, ks]),
        expect![[r#"
            replace ``
            Reference network — flux-system · ./apps/network · infra
            Reference web — flux-system · ./apps/web · infra
        "#]],
    );
}

#[test]
fn depends_on_names_compact_sequence_with_partial_name() {
    let ks = r#"
        #- /clusters/infra/more.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: late
        spec:
          dependsOn:
          - name: net$0
        "#;
    check(
        parse_parts(&[REPO, ks]),
        expect![[r#"
            replace `net`
            Reference network — flux-system · ./apps/network · infra
            Reference web — flux-system · ./apps/web · infra
        "#]],
    );
}

#[test]
fn depends_on_names_when_the_document_does_not_parse() {
    // `metadata: {name: late` is unclosed: the document has no tree at all.
    let ks = r#"
        #- /clusters/infra/more.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata: {name: late
        spec:
          dependsOn:
            - name: w$0
        "#;
    check(
        parse_parts(&[REPO, ks]),
        expect![[r#"
            replace `w`
            Reference network — flux-system · ./apps/network · infra
            Reference web — flux-system · ./apps/web · infra
        "#]],
    );
}

#[test]
fn helm_release_depends_on_offers_helm_releases() {
    let hr = r#"
        #- /apps/web/other.yaml
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: app
          namespace: default
        spec:
          dependsOn:
            - namespace: default
              name: r$0
        "#;
    let k = "#- /apps/web/kustomization.yaml\nresources:\n  - release.yaml\n  - other.yaml\n";
    check(
        parse_parts(&[&REPO.replace("#- /apps/web/kustomization.yaml\nresources:\n  - release.yaml\n", ""), k, hr]),
        expect![[r#"
            replace `r`
            Reference redis — HelmRelease default · infra
        "#]],
    );
}

#[test]
fn flux_path_offers_folders_from_the_repository_root() {
    let ks = r#"
        #- /clusters/infra/more.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: late
        spec:
          path: ./apps/$0
        "#;
    check(
        parse_parts(&[REPO, ks]),
        expect![[r#"
            replace `./apps/`
            Folder ./apps/network — kustomization.yaml
            Folder ./apps/web — kustomization.yaml
        "#]],
    );
}

#[test]
fn flux_path_quoted_and_empty() {
    let ks = r#"
        #- /clusters/infra/more.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: late
        spec:
          path: "$0"
        "#;
    check(
        parse_parts(&[REPO, ks]),
        expect![[r#"
            replace ``
            Folder ./apps/network — kustomization.yaml
            Folder ./apps/web — kustomization.yaml
            Folder ./components/labels — kustomization.yaml
            Folder ./components/other — kustomization.yaml
            Folder ./apps — manifests (Flux generates the kustomization)
            Folder ./clusters — manifests (Flux generates the kustomization)
            Folder ./clusters/apps — manifests (Flux generates the kustomization)
            Folder ./clusters/infra — manifests (Flux generates the kustomization)
            Folder ./components — manifests (Flux generates the kustomization)
        "#]],
    );
}

#[test]
fn flux_components_relative_to_path() {
    let ks = r#"
        #- /clusters/infra/more.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: late
        spec:
          path: ./apps/web
          components:
            - $0
        "#;
    check(
        parse_parts(&[REPO, ks]),
        expect![[r#"
            replace ``
            Folder ../../components/labels — Component components/labels
        "#]],
    );
}

#[test]
fn kustomize_resources_files_and_folders_relative_to_the_kustomization() {
    let k = r#"
        #- /apps/web/kustomization.yaml
        resources:
          - release.yaml
          - $0
        #- /apps/web/extra.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: extra
        #- /apps/web/sub/cm.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: sub
        "#;
    check(
        parse_parts(&[&REPO.replace("#- /apps/web/kustomization.yaml\nresources:\n  - release.yaml\n", ""), k]),
        expect![[r#"
            replace ``
            File extra.yaml — ConfigMap
            Folder sub/ — no kustomization.yaml: name a file or folder inside
        "#]],
    );
}

#[test]
fn kustomize_resources_navigates_up() {
    let k = r#"
        #- /apps/web/kustomization.yaml
        resources:
          - release.yaml
          - ../../components/$0
        "#;
    check(
        parse_parts(&[&REPO.replace("#- /apps/web/kustomization.yaml\nresources:\n  - release.yaml\n", ""), k]),
        expect![[r#"
            replace `../../components/`
            Folder ../../components/other — folder with kustomization.yaml
        "#]],
    );
}

#[test]
fn kustomize_components_offers_component_folders_only() {
    let k = r#"
        #- /apps/web/kustomization.yaml
        resources:
          - release.yaml
        components:
          - ../../comp$0
        "#;
    check(
        parse_parts(&[&REPO.replace("#- /apps/web/kustomization.yaml\nresources:\n  - release.yaml\n", ""), k]),
        expect![[r#"
            replace `../../comp`
            Folder ../../components/labels — Component components/labels
        "#]],
    );
}

#[test]
fn reference_names_storage_class_and_substitute_from() {
    let pvc = r#"
        #- /apps/web/pvc.yaml
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: data
        spec:
          storageClassName: $0
        "#;
    let k = "#- /apps/web/kustomization.yaml\nresources:\n  - release.yaml\n  - pvc.yaml\n";
    check(
        parse_parts(&[&REPO.replace("#- /apps/web/kustomization.yaml\nresources:\n  - release.yaml\n", ""), k, pvc]),
        expect![[r#"
            replace ``
            Reference fast — StorageClass · infra
        "#]],
    );
    let ks = r#"
        #- /clusters/infra/more.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: late
        spec:
          postBuild:
            substituteFrom:
              - kind: Secret
                name: $0
        "#;
    check(
        parse_parts(&[REPO, ks]),
        expect![[r#"
            replace ``
            Reference cluster-secrets — Secret flux-system · infra
        "#]],
    );
}

#[test]
fn source_ref_names_use_the_kind_written_below() {
    let ks = r#"
        #- /clusters/infra/more.yaml
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: late
        spec:
          sourceRef:
            name: $0
            kind: OCIRepository
        ---
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: OCIRepository
        metadata:
          name: manifests
          namespace: flux-system
        ---
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata:
          name: flux-system
          namespace: flux-system
        "#;
    check(
        parse_parts(&[REPO, ks]),
        expect![[r#"
        replace ``
        Reference manifests — OCIRepository flux-system · infra
    "#]],
    );
}

#[test]
/// On a key, the schema offers the fields valid there; a plain value gets nothing.
fn keys_come_from_the_schema_and_plain_values_get_nothing() {
    check(
        with_pool("    - sta$0rt: x"),
        expect![[r#"
        replace `start`
        Field cidr => `cidr: ` — string
        Field start => `start: ` — string
        Field stop => `stop: ` — string
    "#]],
    );
    check(
        with_pool("    - start: 10.0$0.0.1"),
        expect![[r#"
        (none)
    "#]],
    );
}
