//! Network facts and diagnostics (issue 4): addresses, pools, ASNs, ClusterMesh, pod CIDRs.
//!
//! - `home_ops_is_clean` and `defect_fixtures_yield_their_code` load real fixture folders
//!   and call `network::diagnostics` directly (the lead wires it into `Analysis::diagnostics`).
//! - The other tests use in-memory repositories: one string with files after `#- /path`
//!   headers (as in model_rules.rs), rendered as `path:line code [clusters] message`.

use crate::common::repo_root;
use gitops_lsp::analysis::Analysis;
use gitops_lsp::diagnostics::{merge_and_sort, Diagnostic};
use gitops_lsp::files::RelPath;
use gitops_lsp::network;
use std::path::Path;

fn load_dir(dir: &Path) -> Analysis {
    crate::fixture::load(dir)
}

/// An in-memory repository (`crate::fixture`).
fn load_str(text: &str) -> Analysis {
    crate::fixture::analysis(&crate::fixture::parse(text))
}

fn render(a: &Analysis, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let f = a.snapshot.file(a.snapshot.file_idx(&d.file).unwrap());
        let line = f.line_index.line_of(d.range.start) + 1;
        out.push_str(&format!("{}:{} {} [{}] {}\n", d.file, line, d.code, d.clusters.join(","), d.message));
        for r in &d.related {
            let rf = a.snapshot.file(a.snapshot.file_idx(&r.file).unwrap());
            out.push_str(&format!(
                "    related {}:{} {}\n",
                r.file,
                rf.line_index.line_of(r.range.start) + 1,
                r.message
            ));
        }
    }
    out
}

fn check(fixture: &str) -> String {
    let a = load_str(fixture);
    let d = merge_and_sort(network::diagnostics(&a));
    render(&a, &d)
}

#[test]
fn home_ops_is_clean() {
    let a = load_dir(&repo_root().join("fixtures/home-ops"));
    let d = merge_and_sort(network::diagnostics(&a));
    assert!(d.is_empty(), "{}", render(&a, &d));
    // And the facts are there: each cluster has its pool, its three requests, its ASN, its mesh.
    let nets = network::collect(&a);
    let summary: Vec<String> = nets
        .iter()
        .map(|n| {
            let pools: Vec<String> = n
                .pools
                .iter()
                .map(|p| {
                    format!("{}={}", p.name, p.blocks.iter().map(|b| b.range.to_string()).collect::<Vec<_>>().join(","))
                })
                .collect();
            let mut reqs: Vec<String> = n.requests.iter().map(|r| r.addr.to_string()).collect();
            reqs.sort();
            let asns: Vec<String> =
                n.asns.iter().map(|a| format!("{}{}", if a.local { "local " } else { "peer " }, a.value)).collect();
            let mesh: Vec<String> = n
                .meshes
                .iter()
                .map(|m| {
                    format!(
                        "{}#{} pods {}",
                        m.name.as_ref().map_or("?", |t| t.value.as_str()),
                        m.id.as_ref().map_or(0, |i| i.0),
                        m.pod_cidrs.iter().map(|c| c.0.to_string()).collect::<Vec<_>>().join(",")
                    )
                })
                .collect();
            format!(
                "{}: pools [{}] requests [{}] asns [{}] mesh [{}]",
                n.cluster,
                pools.join(" "),
                reqs.join(" "),
                asns.join(" "),
                mesh.join(" ")
            )
        })
        .collect();
    expect_test::expect![[r#"
        apps: pools [apps-pool=10.25.11.120-10.25.11.139] requests [10.25.11.120 10.25.11.121 10.25.11.122] asns [local 64513 peer 64501] mesh [apps#2 pods 10.246.0.0/16]
        infra: pools [infra-pool=10.25.11.100-10.25.11.119] requests [10.25.11.100 10.25.11.110 10.25.11.111] asns [local 64512 peer 64501] mesh [infra#1 pods 10.244.0.0/16]"#]]
    .assert_eq(&summary.join("\n"));
}

const NETWORK_CODES: [&str; 12] = [
    "invalid-ip",
    "invalid-cidr",
    "invalid-asn",
    "ip-pool-overlap",
    "lb-ip-outside-pool",
    "lb-ip-duplicate",
    "asn-conflict",
    "clustermesh-id-duplicate",
    "clustermesh-name-duplicate",
    "clustermesh-id-invalid",
    "clustermesh-name-invalid",
    "pod-cidr-overlap",
];

/// `(file, 0-based line, code, clusters)` of each diagnostic, sorted.
fn rows(a: &Analysis, diags: &[Diagnostic]) -> Vec<(String, u64, String, Vec<String>)> {
    let mut rows: Vec<_> = diags
        .iter()
        .map(|d| {
            let f = a.snapshot.file(a.snapshot.file_idx(&d.file).unwrap());
            (d.file.to_string(), f.line_index.line_of(d.range.start) as u64, d.code.to_string(), d.clusters.clone())
        })
        .collect();
    rows.sort();
    rows
}

/// Each network defect fixture yields its code, where its expected.json says, and no other
/// network code (`UPDATE_EXPECT=1` rewrites expected.json; the other codes are checked by check_cli.rs once the lead wires these in).
#[test]
fn defect_fixtures_yield_their_code() {
    for code in NETWORK_CODES {
        let dir = repo_root().join("fixtures/defects").join(code);
        let a = load_dir(&dir);
        let diags = merge_and_sort(network::diagnostics(&a));
        let got = rows(&a, &diags);
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            let json: Vec<serde_json::Value> = got.iter().map(|(file, line, code, clusters)| serde_json::json!({"file": file, "line": line, "code": code, "clusters": clusters})).collect();
            std::fs::write(dir.join("expected.json"), serde_json::to_string_pretty(&json).unwrap() + "\n").unwrap();
        }
        let expected: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
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
        want.sort();
        assert_eq!(got, want, "defect {code}:\n{}", render(&a, &diags));
        assert!(!got.is_empty() && got.iter().all(|g| g.2 == code), "defect {code}:\n{}", render(&a, &diags));
    }
}

/// A one-cluster repository (`dev`) whose `hello` Flux Kustomization applies `apps/hello`
/// with `cluster-settings`; `files` are added under `kubernetes/apps/hello/`.
fn one_cluster(settings: &str, files: &str) -> String {
    format!(
        r#"
#- /kubernetes/clusters/dev/flux-system/gotk-sync.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  path: ./kubernetes/clusters/dev
  sourceRef:
    kind: GitRepository
    name: flux-system
#- /kubernetes/clusters/dev/apps.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: hello
  namespace: flux-system
spec:
  path: ./kubernetes/apps/hello
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
#- /kubernetes/clusters/dev/cluster-settings.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
  namespace: flux-system
data:
  CLUSTER: "dev"
{settings}
{files}"#
    )
}

#[test]
fn selector_reserved_addresses_sharing_keys_and_classes() {
    let repo = one_cluster(
        "",
        r#"
#- /kubernetes/apps/hello/pools.yaml
apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata:
  name: public
spec:
  blocks:
    - cidr: 10.0.1.0/24
  serviceSelector:
    matchLabels:
      io.kubernetes.service.namespace: web
---
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata:
  name: v6
spec:
  allowFirstLastIPs: "Yes"
  blocks:
    - cidr: fd00:10::/126
#- /kubernetes/apps/hello/services.yaml
apiVersion: v1
kind: Service
metadata:
  name: in-web
  namespace: web
  annotations:
    lbipam.cilium.io/ips: "10.0.1.10, fd00:10::3"
    lbipam.cilium.io/sharing-key: shared
spec:
  type: LoadBalancer
---
apiVersion: v1
kind: Service
metadata:
  name: other-ns
  namespace: default
  annotations:
    lbipam.cilium.io/sharing-key: shared
    io.cilium/lb-ipam-ips: 10.0.1.10
spec:
  type: LoadBalancer
---
apiVersion: v1
kind: Service
metadata:
  name: broadcast
  namespace: web
  annotations:
    lbipam.cilium.io/ips: 10.0.1.255
spec:
  type: LoadBalancer
---
apiVersion: v1
kind: Service
metadata:
  name: not-cilium
  namespace: web
  annotations:
    lbipam.cilium.io/ips: 10.9.9.9
spec:
  type: LoadBalancer
  loadBalancerClass: example.com/other
"#,
    );
    expect_test::expect![[r#"
        kubernetes/apps/hello/services.yaml:19 lb-ip-outside-pool [dev] Service default/other-ns requests 10.0.1.10, which no enabled pool can give: the serviceSelector of CiliumLoadBalancerIPPool public does not select it (cluster dev)
        kubernetes/apps/hello/services.yaml:29 lb-ip-outside-pool [dev] Service web/broadcast requests 10.0.1.255, which no enabled pool can give: it is the reserved first or last address of a CIDR block of CiliumLoadBalancerIPPool public (set allowFirstLastIPs: Yes to use it) (cluster dev)
    "#]]
    .assert_eq(&check(&repo));
}

#[test]
fn duplicates_overlaps_and_separate_networks() {
    let two = |config: &str| {
        let mut s = String::from(config);
        for c in ["dev", "prod"] {
            s.push_str(&format!(
                r#"
#- /kubernetes/clusters/{c}/flux-system/gotk-sync.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  path: ./kubernetes/clusters/{c}
  sourceRef:
    kind: GitRepository
    name: flux-system
#- /kubernetes/clusters/{c}/pool.yaml
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: pool
  namespace: metallb-system
spec:
  addresses:
    - 10.0.{}.0/25
    - 10.0.5.1-10.0.5.9
#- /kubernetes/clusters/{c}/svc.yaml
apiVersion: v1
kind: Service
metadata:
  name: dns
  namespace: default
spec:
  type: LoadBalancer
  loadBalancerIP: 10.0.5.3
"#,
                if c == "dev" { 1 } else { 2 }
            ));
        }
        s
    };
    expect_test::expect![[r#"
        kubernetes/clusters/dev/pool.yaml:9 ip-pool-overlap [dev] IPAddressPool metallb-system/pool block 10.0.5.1-10.0.5.9 overlaps IPAddressPool metallb-system/pool of cluster prod (10.0.5.1-10.0.5.9) on the same network: both clusters may hand out the same address; split the range, or put the clusters on separate networks in .gitops-lsp.toml (cluster dev)
            related kubernetes/clusters/prod/pool.yaml:9 IPAddressPool metallb-system/pool in cluster prod
        kubernetes/clusters/dev/svc.yaml:8 lb-ip-duplicate [dev] 10.0.5.3 is requested by Service default/dns here and by Service default/dns in cluster prod, on the same network: the address would answer in two clusters (cluster dev)
            related kubernetes/clusters/prod/svc.yaml:8 requested in cluster prod
        kubernetes/clusters/prod/pool.yaml:9 ip-pool-overlap [prod] IPAddressPool metallb-system/pool block 10.0.5.1-10.0.5.9 overlaps IPAddressPool metallb-system/pool of cluster dev (10.0.5.1-10.0.5.9) on the same network: both clusters may hand out the same address; split the range, or put the clusters on separate networks in .gitops-lsp.toml (cluster prod)
            related kubernetes/clusters/dev/pool.yaml:9 IPAddressPool metallb-system/pool in cluster dev
        kubernetes/clusters/prod/svc.yaml:8 lb-ip-duplicate [prod] 10.0.5.3 is requested by Service default/dns here and by Service default/dns in cluster dev, on the same network: the address would answer in two clusters (cluster prod)
            related kubernetes/clusters/dev/svc.yaml:8 requested in cluster dev
    "#]]
    .assert_eq(&check(&two("")));
    let separate = "#- /.gitops-lsp.toml\n[[cluster]]\nname = \"dev\"\npath = \"kubernetes/clusters/dev\"\nnetwork = \"site-a\"\n[[cluster]]\nname = \"prod\"\npath = \"kubernetes/clusters/prod\"\nnetwork = \"site-b\"\n";
    assert_eq!(check(&two(separate)), "");
}

#[test]
fn native_routing_cidr_covering_pod_cidrs_is_fine_but_a_pool_inside_pods_is_not() {
    let repo = one_cluster(
        "  POD_CIDR: \"10.244.0.0/16\"",
        r#"
#- /kubernetes/apps/hello/cilium.yaml
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cilium
  namespace: kube-system
spec:
  values:
    cluster:
      name: dev
      id: 1
    ipv4NativeRoutingCIDR: 10.244.0.0/14
    ipam:
      operator:
        clusterPoolIPv4PodCIDRList: ["${POD_CIDR}"]
#- /kubernetes/apps/hello/pool.yaml
apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata:
  name: bad
spec:
  blocks:
    - start: 10.244.9.1
      stop: 10.244.9.20
"#,
    );
    expect_test::expect![[r#"
        kubernetes/apps/hello/cilium.yaml:14 pod-cidr-overlap [dev] pod CIDR 10.244.0.0/16 overlaps CiliumLoadBalancerIPPool bad (block 10.244.9.1-10.244.9.20): pods and LoadBalancer addresses would collide (cluster dev)
            related kubernetes/clusters/dev/cluster-settings.yaml:8 `POD_CIDR` is set here
            related kubernetes/apps/hello/pool.yaml:7 CiliumLoadBalancerIPPool bad
    "#]]
    .assert_eq(&check(&repo));
}

fn cursor(a: &Analysis, path: &str, needle: &str, after: usize) -> (RelPath, usize) {
    let p = RelPath::new(path).unwrap();
    let f = a.snapshot.file(a.snapshot.file_idx(&p).unwrap());
    (p, f.text.find(needle).unwrap_or_else(|| panic!("{needle} not in {path}")) + after)
}

#[test]
fn hover_on_an_address_and_on_a_pool() {
    let a = load_dir(&repo_root().join("fixtures/home-ops"));
    let (p, at) = cursor(
        &a,
        "kubernetes/infrastructure/networking/cilium/gateway/gateway.yaml",
        "${CILIUM_GATEWAY_EXTERNAL_IP}",
        3,
    );
    let h = gitops_lsp::ide::network::hover(&a, &p, at).expect("hover");
    expect_test::expect![[r#"
        **10.25.11.121** in cluster `apps`, requested by Gateway kube-system/external
        - CiliumLoadBalancerIPPool `apps-pool`: 3 of 20 used

        **10.25.11.110** in cluster `infra`, requested by Gateway kube-system/external
        - CiliumLoadBalancerIPPool `infra-pool`: 3 of 20 used"#]]
    .assert_eq(&h.markdown);
    let (p, at) =
        cursor(&a, "kubernetes/infrastructure/networking/cilium/ipam/infra/pool.yaml", "${CILIUM_LB_POOL_START}", 2);
    let h = gitops_lsp::ide::network::hover(&a, &p, at).expect("hover");
    expect_test::expect![[r#"
        **CiliumLoadBalancerIPPool `infra-pool`** in cluster `infra`: block 10.25.11.100-10.25.11.119; pool 3 of 20 used
        - 10.25.11.100: HelmRelease kube-system/cilium (values)
        - 10.25.11.110: Gateway kube-system/external
        - 10.25.11.111: Gateway kube-system/internal
        - next free: 10.25.11.101, 10.25.11.102, 10.25.11.103"#]]
    .assert_eq(&h.markdown);
}

#[test]
fn completion_offers_the_next_free_addresses() {
    let repo = one_cluster(
        "",
        r#"
#- /kubernetes/apps/hello/pool.yaml
apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata:
  name: pool
spec:
  blocks:
    - cidr: 10.0.1.0/29
#- /kubernetes/apps/hello/svc.yaml
apiVersion: v1
kind: Service
metadata:
  name: a
  namespace: default
  annotations:
    lbipam.cilium.io/ips: "10.0.1.1,10.0.1."
spec:
  type: LoadBalancer
"#,
    );
    let a = load_str(&repo);
    let (p, at) = cursor(&a, "kubernetes/apps/hello/svc.yaml", "10.0.1.\"", 7);
    let items = gitops_lsp::ide::network::completion(&a, &p, at);
    let shown: Vec<String> =
        items.iter().map(|i| format!("{} ({})", i.label, i.detail.clone().unwrap_or_default())).collect();
    expect_test::expect![[r#"
        10.0.1.2 (dev: free in pool (1 of 6 used))
        10.0.1.3 (dev: free in pool (1 of 6 used))
        10.0.1.4 (dev: free in pool (1 of 6 used))
        10.0.1.5 (dev: free in pool (1 of 6 used))
        10.0.1.6 (dev: free in pool (1 of 6 used))"#]]
    .assert_eq(&shown.join("\n"));
    let f = a.snapshot.file(a.snapshot.file_idx(&p).unwrap());
    assert_eq!(&f.text[items[0].replace.clone()], "10.0.1.");
    // Elsewhere: nothing.
    let (p, at) = cursor(&a, "kubernetes/apps/hello/svc.yaml", "name: a", 7);
    assert!(gitops_lsp::ide::network::completion(&a, &p, at).is_empty());
}

#[test]
fn ipam_command_through_the_binary() {
    let run = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_gitops-lsp"))
            .args(args)
            .current_dir(repo_root())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let table = run(&["ipam", "fixtures/home-ops"]);
    expect_test::expect![[r#"
        cluster apps
          CiliumLoadBalancerIPPool apps-pool [10.25.11.120-10.25.11.139]: 3 of 20 used  (kubernetes/infrastructure/networking/cilium/ipam/apps/pool.yaml:7)
            10.25.11.120                            HelmRelease kube-system/cilium (values) (kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml:91)
            10.25.11.121                            Gateway kube-system/external (kubernetes/infrastructure/networking/cilium/gateway/gateway.yaml:14)
            10.25.11.122                            Gateway kube-system/internal (kubernetes/infrastructure/networking/cilium/gateway/gateway-internal.yaml:14)
            free: 10.25.11.123-10.25.11.139
        cluster infra
          CiliumLoadBalancerIPPool infra-pool [10.25.11.100-10.25.11.119]: 3 of 20 used  (kubernetes/infrastructure/networking/cilium/ipam/infra/pool.yaml:7)
            10.25.11.100                            HelmRelease kube-system/cilium (values) (kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml:91)
            10.25.11.110                            Gateway kube-system/external (kubernetes/infrastructure/networking/cilium/gateway/gateway.yaml:14)
            10.25.11.111                            Gateway kube-system/internal (kubernetes/infrastructure/networking/cilium/gateway/gateway-internal.yaml:14)
            free: 10.25.11.101-10.25.11.109, 10.25.11.112-10.25.11.119
    "#]]
    .assert_eq(&table);
    let json: serde_json::Value =
        serde_json::from_str(&run(&["ipam", "fixtures/home-ops", "--format", "json"])).unwrap();
    let infra = json.as_array().unwrap().iter().find(|c| c["cluster"] == "infra").unwrap();
    assert_eq!(infra["pools"][0]["name"], "infra-pool");
    assert_eq!(infra["pools"][0]["total"], "20");
    assert_eq!(infra["pools"][0]["used"][1]["address"], "10.25.11.110");
    assert_eq!(
        infra["pools"][0]["free"],
        serde_json::json!(["10.25.11.101-10.25.11.109", "10.25.11.112-10.25.11.119"])
    );
    assert!(infra["outside_pools"].as_array().unwrap().is_empty());
}
