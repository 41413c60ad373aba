//! A deterministic generator of realistic multi-cluster Flux + Kustomize repositories.
//!
//! Layout (home-ops style, as in fixtures/home-ops):
//! - `kubernetes/clusters/<c>/flux-system/{gotk-sync.yaml,kustomization.yaml}`: the bootstrap
//!   GitRepository + Kustomization `flux-system` (spec.path `./kubernetes/clusters/<c>`); the
//!   cluster folder has no kustomization.yaml, so Flux generates one over all of it;
//! - `kubernetes/clusters/<c>/cluster-settings.yaml`: the ConfigMap every Flux Kustomization
//!   substitutes from (quoted strings: CLUSTER, LB pool, gateway IP, domain, per-app LB IPs and
//!   replica counts);
//! - `kubernetes/clusters/<c>/infrastructure.yaml`: Flux Kustomizations for the shared
//!   `kubernetes/infrastructure/*` folders (LB IP pool, gateway, secret store, storage class);
//! - `kubernetes/clusters/<c>/apps.yaml`: per namespace a Flux Kustomization `namespace-<ns>`
//!   (path `./kubernetes/apps/<ns>`: the Namespace and the `ks.yaml` of the namespace's
//!   "ks-style" apps), and per "cluster-style" app of that cluster its Flux Kustomization
//!   (each cluster includes its own overlapping subset);
//! - `kubernetes/apps/<ns>/<app>/{ks.yaml?, app/...}`: HelmRelease + OCIRepository, Service
//!   (LoadBalancer with `lbipam.cilium.io/ips: ${LB_IP_<APP>}` for some), ConfigMap, and for
//!   some an ExternalSecret, HTTPRoute, PVC, a configMapGenerator, kustomize `components`;
//! - `kubernetes/components/{volsync,alerts,networkpolicy}` (kind: Component), used through
//!   Flux `spec.components` or kustomize `components`.
//!
//! Every random choice is drawn from one `fastrand::Rng` seeded by `--seed`, in a fixed order,
//! so the same (clusters, apps, seed) always gives the same bytes. The repository is meant to
//! be clean for `gitops-lsp check`: every variable is defined or defaulted in every cluster
//! that builds it, every dependsOn target exists in that cluster, every path exists, LB IPs
//! are unique and inside their cluster's pool, pools do not overlap.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Clone, Debug)]
pub struct Params {
    pub clusters: usize,
    pub apps: usize,
    pub seed: u64,
}

/// A generated repository, in memory.
pub struct Repo {
    pub params: Params,
    /// Path relative to the repository root -> content.
    pub files: BTreeMap<String, String>,
    pub cluster_names: Vec<String>,
    pub namespaces: usize,
    /// Apps deployed, summed over clusters.
    pub app_instances: usize,
}

impl Repo {
    /// Kubernetes objects: YAML documents with a top-level `kind`, outside kustomization files.
    pub fn objects(&self) -> usize {
        self.files
            .iter()
            .filter(|(p, _)| p.ends_with(".yaml") && !is_kustomization(p))
            .map(|(_, t)| count_objects(t))
            .sum()
    }
    pub fn yaml_files(&self) -> usize {
        self.files.keys().filter(|p| p.ends_with(".yaml")).count()
    }
    pub fn kustomization_files(&self) -> usize {
        self.files.keys().filter(|p| is_kustomization(p)).count()
    }
    pub fn bytes(&self) -> usize {
        self.files.values().map(String::len).sum()
    }

    /// Writes the repository under `out` (which must be absent or empty, unless `force`, which
    /// removes it first).
    pub fn write(&self, out: &Path, force: bool) -> std::io::Result<()> {
        if out.exists() {
            let empty = std::fs::read_dir(out)?.next().is_none();
            if !empty {
                if !force {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::AlreadyExists,
                        format!("{} exists and is not empty (use --force to replace it)", out.display()),
                    ));
                }
                std::fs::remove_dir_all(out)?;
            }
        }
        std::fs::create_dir_all(out)?;
        for (rel, text) in &self.files {
            let p = out.join(rel);
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d)?;
            }
            std::fs::write(&p, text)?;
        }
        Ok(())
    }

    pub fn summary(&self) -> String {
        format!(
            "{} clusters, {} apps ({} app instances over all clusters), {} namespaces, seed {}: {} objects in {} YAML files ({} kustomization.yaml), {} files, {:.1} MB",
            self.params.clusters,
            self.params.apps,
            self.app_instances,
            self.namespaces,
            self.params.seed,
            self.objects(),
            self.yaml_files(),
            self.kustomization_files(),
            self.files.len(),
            self.bytes() as f64 / 1e6
        )
    }
}

fn is_kustomization(p: &str) -> bool {
    p.ends_with("/kustomization.yaml") || p == "kustomization.yaml"
}

/// Documents of a YAML text that have a top-level `kind:` (the generator always writes it at
/// column 0 and separates documents with `---`).
pub fn count_objects(text: &str) -> usize {
    let mut n = 0;
    let mut in_doc_has_kind = false;
    for line in text.lines() {
        if line == "---" {
            if in_doc_has_kind {
                n += 1;
            }
            in_doc_has_kind = false;
        } else if line.starts_with("kind:") {
            in_doc_has_kind = true;
        }
    }
    if in_doc_has_kind {
        n += 1;
    }
    n
}

/// The smallest app count whose repository has at least `target` objects (binary search over
/// whole generations: each is deterministic and takes milliseconds).
pub fn apps_for_objects(clusters: usize, target: usize, seed: u64) -> usize {
    let count = |apps: usize| generate(&Params { clusters, apps, seed }).objects();
    let (mut lo, mut hi) = (1usize, 1usize);
    while count(hi) < target {
        lo = hi + 1;
        hi *= 2;
        if hi > 1_000_000 {
            return hi;
        }
    }
    while lo < hi {
        let mid = (lo + hi) / 2;
        if count(mid) >= target {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

// ---------------------------------------------------------------------------------------
// Names.

const CLUSTER_NAMES: &[&str] = &["infra", "apps", "edge", "lab", "media", "dr", "staging", "dev"];
const NS_NAMES: &[&str] = &[
    "media",
    "home-automation",
    "observability",
    "database",
    "security",
    "tools",
    "ai",
    "downloads",
    "selfhosted",
    "dev",
    "games",
    "office",
    "backup",
    "comms",
    "finance",
    "documents",
];
const CORE_NAMES: &[&str] = &[
    "reloader",
    "descheduler",
    "metrics-server",
    "snapshot-controller",
    "volsync",
    "cloudnative-pg",
    "dragonfly-operator",
    "node-feature-discovery",
    "intel-device-plugin",
    "k8s-gateway",
    "kyverno",
    "spegel-mirror",
];
const APP_NAMES: &[&str] = &[
    "paperless",
    "immich",
    "jellyfin",
    "plex",
    "sonarr",
    "radarr",
    "prowlarr",
    "bazarr",
    "lidarr",
    "readarr",
    "overseerr",
    "tautulli",
    "homepage",
    "home-assistant",
    "zigbee2mqtt",
    "mosquitto",
    "esphome",
    "node-red",
    "grafana",
    "loki",
    "gatus",
    "uptime-kuma",
    "vaultwarden",
    "authelia",
    "lldap",
    "nextcloud",
    "gitea",
    "forgejo",
    "woodpecker",
    "renovate",
    "n8n",
    "ollama",
    "open-webui",
    "searxng",
    "miniflux",
    "linkding",
    "mealie",
    "actual",
    "firefly",
    "atuin",
    "syncthing",
    "qbittorrent",
    "sabnzbd",
    "recyclarr",
    "unpackerr",
    "frigate",
    "scrypted",
    "wikijs",
    "outline",
    "bookstack",
    "freshrss",
    "navidrome",
    "audiobookshelf",
    "kavita",
    "komga",
    "calibre-web",
    "tandoor",
    "grocy",
    "changedetection",
    "echo-server",
    "smtp-relay",
    "minio",
    "pgadmin",
    "code-server",
    "excalidraw",
    "stirling-pdf",
    "it-tools",
    "cyberchef",
    "ntfy",
    "gotify",
    "shlink",
    "glance",
    "thelounge",
    "jellyseerr",
    "maintainerr",
    "kometa",
    "autobrr",
    "cross-seed",
    "flaresolverr",
    "zwave-js-ui",
];
const TIMEZONES: &[&str] = &["Europe/Paris", "America/New_York", "Asia/Tokyo", "Europe/Berlin"];

fn numbered(list: &[&str], i: usize) -> String {
    let base = list[i % list.len()];
    let round = i / list.len();
    if round == 0 {
        base.to_string()
    } else {
        format!("{base}-{}", round + 1)
    }
}

fn var_of(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

// ---------------------------------------------------------------------------------------
// The plan: every random choice, made up front in a fixed order.

struct Cluster {
    name: String,
    /// Second octet of the cluster's 10.X.0.0/20 LoadBalancer range.
    octet: u8,
    timezone: Option<&'static str>,
    log_level: Option<&'static str>,
}

struct Ns {
    name: String,
    clusters: Vec<usize>,
    apps: Vec<usize>,
}

struct App {
    name: String,
    var: String,
    ns: usize,
    #[allow(dead_code)]
    core: bool,
    /// Its Flux Kustomization lives in `<app>/ks.yaml` (included by the namespace folder),
    /// rather than in each cluster's `apps.yaml`.
    ks_style: bool,
    clusters: Vec<usize>,
    lb: bool,
    external_secret: bool,
    route: bool,
    route_nested_default: bool,
    volsync: bool,
    volsync_capacity: Option<u32>,
    pvc: bool,
    alerts: bool,
    netpol: bool,
    config_gen: bool,
    /// dependsOn the previous app of the same namespace (that the cluster has).
    chain: bool,
    core_dep: Option<usize>,
    helm_dep: Option<usize>,
    anchors: bool,
    /// Per cluster: a replica count set in cluster-settings (else the `:=1` default applies).
    replicas: Vec<Option<u8>>,
    image: String,
    tag: String,
    port: u16,
}

struct Plan {
    clusters: Vec<Cluster>,
    namespaces: Vec<Ns>,
    apps: Vec<App>,
    /// Per cluster: the LB IP of each LB app it runs.
    lb_ips: Vec<BTreeMap<usize, String>>,
}

const POOL_START: &str = "0.10";
const POOL_STOP: &str = "15.250";

fn plan(p: &Params) -> Plan {
    assert!(p.clusters >= 1 && p.clusters <= 180, "--clusters must be between 1 and 180");
    let mut rng = fastrand::Rng::with_seed(p.seed);
    let clusters: Vec<Cluster> = (0..p.clusters)
        .map(|i| Cluster {
            name: numbered(CLUSTER_NAMES, i),
            octet: (64 + i) as u8,
            timezone: if rng.u8(0..4) == 0 { None } else { Some(TIMEZONES[rng.usize(0..TIMEZONES.len())]) },
            log_level: if rng.bool() { Some(["debug", "info", "warn"][rng.usize(0..3)]) } else { None },
        })
        .collect();
    let all: Vec<usize> = (0..p.clusters).collect();
    let n_core = if p.apps <= 2 { p.apps } else { (p.apps / 40).clamp(2, 12) };
    let mut namespaces = vec![Ns { name: "platform".into(), clusters: all.clone(), apps: Vec::new() }];
    let mut apps: Vec<App> = Vec::new();
    let mut app_name_i = 0usize;
    let mut ns_name_i = 0usize;
    let mut left_in_ns = 0usize;
    for i in 0..p.apps {
        let core = i < n_core;
        let ns = if core {
            0
        } else {
            if left_in_ns == 0 {
                let mut cl: Vec<usize> = all.iter().copied().filter(|_| rng.f32() < 0.7).collect();
                if cl.is_empty() {
                    cl.push(rng.usize(0..p.clusters));
                }
                namespaces.push(Ns { name: numbered(NS_NAMES, ns_name_i), clusters: cl, apps: Vec::new() });
                ns_name_i += 1;
                left_in_ns = rng.usize(6..=14);
            }
            left_in_ns -= 1;
            namespaces.len() - 1
        };
        let name = if core {
            numbered(CORE_NAMES, i)
        } else {
            app_name_i += 1;
            numbered(APP_NAMES, app_name_i - 1)
        };
        let ks_style = !core && rng.bool();
        let clusters_of_app: Vec<usize> = if core || ks_style {
            namespaces[ns].clusters.clone()
        } else {
            let mut cl: Vec<usize> = namespaces[ns].clusters.iter().copied().filter(|_| rng.f32() < 0.75).collect();
            if cl.is_empty() {
                let nc = &namespaces[ns].clusters;
                cl.push(nc[rng.usize(0..nc.len())]);
            }
            cl
        };
        let volsync = rng.f32() < 0.25;
        let volsync_capacity = (volsync && rng.bool()).then(|| [1, 2, 10, 20, 50][rng.usize(0..5)]);
        let route = rng.bool();
        let app = App {
            var: var_of(&name),
            name,
            ns,
            core,
            ks_style,
            lb: rng.f32() < 0.3,
            external_secret: rng.bool(),
            route,
            route_nested_default: route && rng.f32() < 0.3,
            volsync,
            volsync_capacity,
            pvc: !volsync && rng.f32() < 0.15,
            alerts: rng.f32() < 0.4,
            netpol: rng.f32() < 0.3,
            config_gen: rng.f32() < 0.15,
            chain: rng.bool(),
            core_dep: if core {
                (i > 0 && rng.bool()).then(|| rng.usize(0..i))
            } else {
                (n_core > 0 && rng.f32() < 0.6).then(|| rng.usize(0..n_core))
            },
            helm_dep: if core {
                (i > 0 && rng.f32() < 0.3).then(|| rng.usize(0..i))
            } else {
                (n_core > 0 && rng.f32() < 0.3).then(|| rng.usize(0..n_core))
            },
            anchors: rng.bool(),
            replicas: (0..p.clusters)
                .map(|c| (clusters_of_app.contains(&c) && rng.f32() < 0.2).then(|| rng.u8(1..=3)))
                .collect(),
            image: format!("ghcr.io/home-operations/{}", numbered(APP_NAMES, rng.usize(0..APP_NAMES.len()))),
            tag: format!("{}.{}.{}", rng.u8(1..=9), rng.u8(0..=30), rng.u8(0..=12)),
            port: [80, 3000, 8000, 8080, 8096, 9000][rng.usize(0..6)],
            clusters: clusters_of_app,
        };
        namespaces[ns].apps.push(apps.len());
        apps.push(app);
    }
    let mut lb_ips: Vec<BTreeMap<usize, String>> = vec![BTreeMap::new(); p.clusters];
    for (c, cl) in clusters.iter().enumerate() {
        let mut k = 0usize;
        for (ai, a) in apps.iter().enumerate() {
            if a.lb && a.clusters.contains(&c) {
                // 10.X.1.1 .. 10.X.15.254: inside the pool 10.X.0.10-10.X.15.250, after the gateway (.0.10).
                let third = 1 + k / 250;
                let fourth = 1 + k % 250;
                assert!(third <= 15, "too many LoadBalancer services for one cluster's pool");
                lb_ips[c].insert(ai, format!("10.{}.{third}.{fourth}", cl.octet));
                k += 1;
            }
        }
    }
    Plan { clusters, namespaces, apps, lb_ips }
}

// ---------------------------------------------------------------------------------------
// Emission.

pub fn generate(p: &Params) -> Repo {
    let plan = plan(p);
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let k8s = "kubernetes";
    for (c, cl) in plan.clusters.iter().enumerate() {
        let dir = format!("{k8s}/clusters/{}", cl.name);
        files.insert(format!("{dir}/flux-system/gotk-sync.yaml"), gotk_sync(&cl.name));
        files.insert(
            format!("{dir}/flux-system/kustomization.yaml"),
            "# Flux Version: v2.9.0\n# gotk-components.yaml is installed by `flux bootstrap` and is not kept here.\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-sync.yaml\n".into(),
        );
        files.insert(format!("{dir}/cluster-settings.yaml"), cluster_settings(&plan, c));
        files.insert(format!("{dir}/infrastructure.yaml"), infrastructure_ks());
        files.insert(format!("{dir}/apps.yaml"), cluster_apps(&plan, c));
    }
    infrastructure(&mut files);
    components(&mut files);
    for ns in &plan.namespaces {
        let nsdir = format!("{k8s}/apps/{}", ns.name);
        let mut k = String::from(
            "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./namespace.yaml\n",
        );
        for &ai in &ns.apps {
            if plan.apps[ai].ks_style {
                let _ = writeln!(k, "  - ./{}/ks.yaml", plan.apps[ai].name);
            }
        }
        files.insert(format!("{nsdir}/kustomization.yaml"), k);
        files.insert(
            format!("{nsdir}/namespace.yaml"),
            format!("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n  labels:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n", ns.name),
        );
        for &ai in &ns.apps {
            app_files(&plan, ai, &mut files);
        }
    }
    let app_instances = plan.apps.iter().map(|a| a.clusters.len()).sum();
    let mut repo = Repo {
        params: p.clone(),
        files,
        cluster_names: plan.clusters.iter().map(|c| c.name.clone()).collect(),
        namespaces: plan.namespaces.len(),
        app_instances,
    };
    let readme = format!(
        "# Generated GitOps repository\n\nWritten by `gen-repo --clusters {} --apps {} --seed {}` (gitops-lsp bench crate).\nDeterministic: the same arguments give the same bytes.\n\n{}\n",
        p.clusters,
        p.apps,
        p.seed,
        repo.summary()
    );
    repo.files.insert("README.md".into(), readme);
    repo
}

fn gotk_sync(cluster: &str) -> String {
    format!(
        "# This manifest was generated by flux. DO NOT EDIT.
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m0s
  ref:
    branch: main
  secretRef:
    name: flux-system
  url: ssh://git@git.example.com/fleet/home-ops.git
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m0s
  path: ./kubernetes/clusters/{cluster}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"
    )
}

fn cluster_settings(plan: &Plan, c: usize) -> String {
    let cl = &plan.clusters[c];
    let o = cl.octet;
    let mut s = String::new();
    let _ = write!(
        s,
        "---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
  namespace: flux-system
data:
  # Cluster identity
  CLUSTER: \"{name}\"
  CLUSTER_ID: \"{id}\"
  CLUSTER_DOMAIN: \"{name}.example.net\"

  # LoadBalancer IPAM: 10.{o}.0.10-10.{o}.15.250
  LB_POOL_START: \"10.{o}.{POOL_START}\"
  LB_POOL_STOP: \"10.{o}.{POOL_STOP}\"
  GATEWAY_INTERNAL_IP: \"10.{o}.0.10\"

  # External Secrets
  ONEPASSWORD_CONNECT_HOST: \"http://onepassword-connect.security.svc.cluster.local:8080\"
",
        name = cl.name,
        id = c + 1,
    );
    if let Some(tz) = cl.timezone {
        let _ = writeln!(s, "  TIMEZONE: \"{tz}\"");
    }
    if let Some(l) = cl.log_level {
        let _ = writeln!(s, "  LOG_LEVEL: \"{l}\"");
    }
    if !plan.lb_ips[c].is_empty() {
        s.push_str("\n  # LoadBalancer addresses, one per service\n");
        for (&ai, ip) in &plan.lb_ips[c] {
            let _ = writeln!(s, "  LB_IP_{}: \"{ip}\"", plan.apps[ai].var);
        }
    }
    let mut header = false;
    for a in &plan.apps {
        if let Some(n) = a.replicas[c] {
            if !header {
                s.push_str("\n  # Replica counts that differ from the default (1)\n");
                header = true;
            }
            let _ = writeln!(s, "  {}_REPLICAS: \"{n}\"", a.var);
        }
    }
    s
}

const SUBSTITUTE_FROM: &str = "    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
      - kind: Secret
        name: cluster-secrets
        optional: true
";

fn infra_ks(name: &str, path: &str, deps: &[&str]) -> String {
    let mut s = format!("---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n");
    if !deps.is_empty() {
        s.push_str("  dependsOn:\n");
        for d in deps {
            let _ = writeln!(s, "    - name: {d}");
        }
    }
    let _ = write!(
        s,
        "  interval: 30m
  retryInterval: 1m
  timeout: 5m
  path: ./kubernetes/infrastructure/{path}
  prune: true
  wait: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
{SUBSTITUTE_FROM}"
    );
    s
}

fn infrastructure_ks() -> String {
    let mut s = String::new();
    s.push_str(&infra_ks("cilium-ipam", "cilium-ipam", &[]));
    s.push_str(&infra_ks("gateway", "gateway", &["cilium-ipam"]));
    s.push_str(&infra_ks("secret-stores", "secret-stores", &[]));
    s.push_str(&infra_ks("storage", "storage", &[]));
    s
}

fn infrastructure(files: &mut BTreeMap<String, String>) {
    let d = "kubernetes/infrastructure";
    let kust = |res: &[&str]| {
        let mut s = String::from("---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
        for r in res {
            let _ = writeln!(s, "  - ./{r}");
        }
        s
    };
    files.insert(format!("{d}/cilium-ipam/kustomization.yaml"), kust(&["pool.yaml"]));
    files.insert(
        format!("{d}/cilium-ipam/pool.yaml"),
        "---
# This cluster's LoadBalancer pool; every Service of type LoadBalancer takes an address in it.
apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata:
  name: lb-pool
  labels:
    cluster: ${CLUSTER}
spec:
  allowFirstLastIPs: \"No\"
  blocks:
    - start: ${LB_POOL_START}
      stop: ${LB_POOL_STOP}
"
        .into(),
    );
    files.insert(
        format!("{d}/gateway/kustomization.yaml"),
        kust(&["namespace.yaml", "gatewayclass.yaml", "gateway.yaml"]),
    );
    files.insert(
        format!("{d}/gateway/namespace.yaml"),
        "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: networking\n".into(),
    );
    files.insert(
        format!("{d}/gateway/gatewayclass.yaml"),
        "---\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: cilium\nspec:\n  controllerName: io.cilium/gateway-controller\n".into(),
    );
    files.insert(
        format!("{d}/gateway/gateway.yaml"),
        "---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: internal
  namespace: networking
  annotations:
    external-dns.alpha.kubernetes.io/target: internal.${CLUSTER_DOMAIN}
spec:
  gatewayClassName: cilium
  addresses:
    - type: IPAddress
      value: ${GATEWAY_INTERNAL_IP}
  infrastructure:
    annotations:
      external-dns.alpha.kubernetes.io/hostname: internal.${CLUSTER_DOMAIN}
  listeners:
    - name: http
      protocol: HTTP
      port: 80
      hostname: \"*.${CLUSTER_DOMAIN}\"
      allowedRoutes:
        namespaces:
          from: Same
    - name: https
      protocol: HTTPS
      port: 443
      hostname: \"*.${CLUSTER_DOMAIN}\"
      allowedRoutes:
        namespaces:
          from: All
      tls:
        certificateRefs:
          - kind: Secret
            name: ${CLUSTER}-wildcard-tls
"
        .into(),
    );
    files.insert(format!("{d}/secret-stores/kustomization.yaml"), kust(&["clustersecretstore.yaml"]));
    files.insert(
        format!("{d}/secret-stores/clustersecretstore.yaml"),
        "---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: onepassword
spec:
  provider:
    onepassword:
      connectHost: ${ONEPASSWORD_CONNECT_HOST}
      vaults:
        ${CLUSTER}: 1
        shared: 2
      auth:
        secretRef:
          connectTokenSecretRef:
            name: onepassword-connect-token
            key: token
            namespace: security
"
        .into(),
    );
    files.insert(format!("{d}/storage/kustomization.yaml"), kust(&["storageclass.yaml"]));
    files.insert(
        format!("{d}/storage/storageclass.yaml"),
        "---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-nvme
  annotations:
    storageclass.kubernetes.io/is-default-class: \"true\"
provisioner: openebs.io/local
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
parameters:
  basePath: /var/mnt/local-nvme
"
        .into(),
    );
}

fn components(files: &mut BTreeMap<String, String>) {
    let d = "kubernetes/components";
    let comp = |res: &[&str]| {
        let mut s = String::from("---\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n");
        for r in res {
            let _ = writeln!(s, "  - ./{r}");
        }
        s
    };
    files.insert(
        format!("{d}/volsync/kustomization.yaml"),
        comp(&["externalsecret.yaml", "pvc.yaml", "replicationsource.yaml"]),
    );
    files.insert(
        format!("{d}/volsync/externalsecret.yaml"),
        "---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: ${APP}-volsync
spec:
  secretStoreRef:
    kind: ClusterSecretStore
    name: onepassword
  target:
    name: ${APP}-volsync-secret
    template:
      data:
        RESTIC_REPOSITORY: \"s3:https://s3.${CLUSTER_DOMAIN}/volsync/${APP}\"
        RESTIC_PASSWORD: \"{{ .RESTIC_PASSWORD }}\"
        AWS_ACCESS_KEY_ID: \"{{ .AWS_ACCESS_KEY_ID }}\"
        AWS_SECRET_ACCESS_KEY: \"{{ .AWS_SECRET_ACCESS_KEY }}\"
  dataFrom:
    - extract:
        key: volsync-template
"
        .into(),
    );
    files.insert(
        format!("{d}/volsync/pvc.yaml"),
        "---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${APP}
spec:
  accessModes:
    - ${VOLSYNC_ACCESSMODES:=ReadWriteOnce}
  resources:
    requests:
      storage: ${VOLSYNC_CAPACITY:=5Gi}
  storageClassName: ${VOLSYNC_STORAGECLASS:=local-nvme}
"
        .into(),
    );
    files.insert(
        format!("{d}/volsync/replicationsource.yaml"),
        "---
apiVersion: volsync.backube/v1alpha1
kind: ReplicationSource
metadata:
  name: ${APP}
spec:
  sourcePVC: ${APP}
  trigger:
    schedule: \"${VOLSYNC_SCHEDULE:=0 * * * *}\"
  restic:
    copyMethod: ${VOLSYNC_COPYMETHOD:=Snapshot}
    pruneIntervalDays: 7
    repository: ${APP}-volsync-secret
    volumeSnapshotClassName: ${VOLSYNC_SNAPSHOTCLASS:=csi-snapshot}
    cacheCapacity: ${VOLSYNC_CACHE_CAPACITY:=2Gi}
    moverSecurityContext:
      runAsUser: ${APP_UID:=1000}
      runAsGroup: ${APP_GID:=1000}
      fsGroup: ${APP_GID:=1000}
    retain:
      hourly: 24
      daily: 7
"
        .into(),
    );
    files.insert(format!("{d}/alerts/kustomization.yaml"), comp(&["prometheusrule.yaml"]));
    files.insert(
        format!("{d}/alerts/prometheusrule.yaml"),
        "---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: ${APP}-alerts
  labels:
    cluster: ${CLUSTER}
spec:
  groups:
    - name: ${APP}.rules
      rules:
        - alert: ${APP}Down
          expr: absent(up{job=\"${APP}\"} == 1)
          for: 5m
          labels:
            severity: critical
            cluster: ${CLUSTER}
          annotations:
            summary: \"{{ $labels.job }} is down in ${CLUSTER}\"
        - alert: ${APP}Restarting
          expr: increase(kube_pod_container_status_restarts_total{namespace=\"${APP_NAMESPACE:=default}\"}[1h]) > 5
          for: 15m
          labels:
            severity: warning
"
        .into(),
    );
    files.insert(format!("{d}/networkpolicy/kustomization.yaml"), comp(&["ciliumnetworkpolicy.yaml"]));
    files.insert(
        format!("{d}/networkpolicy/ciliumnetworkpolicy.yaml"),
        "---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: ${APP}-default
spec:
  endpointSelector:
    matchLabels:
      app.kubernetes.io/name: ${APP}
  ingress:
    - fromEndpoints:
        - matchLabels:
            io.kubernetes.pod.namespace: networking
      toPorts:
        - ports:
            - port: \"8080\"
              protocol: TCP
  egress:
    - toEndpoints:
        - matchLabels:
            io.kubernetes.pod.namespace: kube-system
            k8s-app: kube-dns
      toPorts:
        - ports:
            - port: \"53\"
              protocol: ANY
    - toEntities:
        - world
"
        .into(),
    );
}

/// The Flux dependsOn names of an app in cluster `c`.
fn deps_of(plan: &Plan, ai: usize, c: usize) -> Vec<String> {
    let a = &plan.apps[ai];
    let mut d: Vec<String> = Vec::new();
    if a.lb {
        d.push("cilium-ipam".into());
    }
    if a.route {
        d.push("gateway".into());
    }
    if a.external_secret || a.volsync {
        d.push("secret-stores".into());
    }
    if a.volsync || a.pvc {
        d.push("storage".into());
    }
    if let Some(core) = a.core_dep {
        d.push(plan.apps[core].name.clone());
    }
    if a.chain {
        // The nearest earlier app of the same namespace and style that this cluster runs.
        let ns = &plan.namespaces[a.ns];
        let pos = ns.apps.iter().position(|&x| x == ai).unwrap();
        if let Some(&prev) = ns.apps[..pos]
            .iter()
            .rev()
            .find(|&&x| plan.apps[x].ks_style == a.ks_style && plan.apps[x].clusters.contains(&c))
        {
            d.push(plan.apps[prev].name.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    d.retain(|x| seen.insert(x.clone()));
    d
}

fn app_flux_ks(plan: &Plan, ai: usize, c: usize) -> String {
    let a = &plan.apps[ai];
    let ns = &plan.namespaces[a.ns].name;
    let mut s = String::from("---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n");
    if a.anchors {
        let _ = writeln!(s, "  name: &app {}", a.name);
    } else {
        let _ = writeln!(s, "  name: {}", a.name);
    }
    s.push_str("  namespace: flux-system\nspec:\n");
    let _ = writeln!(s, "  targetNamespace: {ns}");
    s.push_str("  commonMetadata:\n    labels:\n");
    if a.anchors {
        s.push_str("      app.kubernetes.io/name: *app\n");
    } else {
        let _ = writeln!(s, "      app.kubernetes.io/name: {}", a.name);
    }
    let deps = deps_of(plan, ai, c);
    if !deps.is_empty() {
        s.push_str("  dependsOn:\n");
        for (i, d) in deps.iter().enumerate() {
            let _ = writeln!(s, "    - name: {d}");
            if i % 3 == 2 {
                s.push_str("      namespace: flux-system\n");
            }
        }
    }
    let _ = writeln!(s, "  path: ./kubernetes/apps/{ns}/{}/app", a.name);
    if a.volsync {
        s.push_str("  components:\n    - ../../../../components/volsync\n");
    }
    s.push_str(
        "  interval: 1h
  retryInterval: 2m
  timeout: 5m
  prune: true
  wait: false
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substitute:
",
    );
    if a.anchors {
        s.push_str("      APP: *app\n");
    } else {
        let _ = writeln!(s, "      APP: {}", a.name);
    }
    let _ = writeln!(s, "      APP_NAMESPACE: {ns}");
    let _ = writeln!(s, "      APP_PORT: \"{}\"", a.port);
    if let Some(cap) = a.volsync_capacity {
        let _ = writeln!(s, "      VOLSYNC_CAPACITY: {cap}Gi");
    }
    s.push_str(SUBSTITUTE_FROM);
    s
}

fn cluster_apps(plan: &Plan, c: usize) -> String {
    let mut s = String::from("# Applications of this cluster: one Flux Kustomization per namespace folder (its ks.yaml apps)\n# and one per app wired here.\n");
    for ns in plan.namespaces.iter().filter(|ns| ns.clusters.contains(&c)) {
        let _ = write!(
            s,
            "---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: namespace-{n}
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps/{n}
  prune: true
  wait: false
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
{SUBSTITUTE_FROM}",
            n = ns.name
        );
        for &ai in &ns.apps {
            let a = &plan.apps[ai];
            if !a.ks_style && a.clusters.contains(&c) {
                s.push_str(&app_flux_ks(plan, ai, c));
            }
        }
    }
    s
}

fn app_files(plan: &Plan, ai: usize, files: &mut BTreeMap<String, String>) {
    let a = &plan.apps[ai];
    let ns = &plan.namespaces[a.ns].name;
    let dir = format!("kubernetes/apps/{ns}/{}", a.name);
    if a.ks_style {
        // A ks.yaml app runs in every cluster of its namespace: dependsOn is the same in all.
        let c = a.clusters[0];
        files.insert(format!("{dir}/ks.yaml"), app_flux_ks(plan, ai, c));
    }
    let name = &a.name;
    let mut res: Vec<&str> = vec!["ocirepository.yaml", "helmrelease.yaml", "configmap.yaml", "service.yaml"];
    if a.external_secret {
        res.push("externalsecret.yaml");
    }
    if a.route {
        res.push("httproute.yaml");
    }
    if a.pvc {
        res.push("pvc.yaml");
    }
    let mut k = String::from("---\n# yaml-language-server: $schema=https://json.schemastore.org/kustomization\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
    for r in &res {
        let _ = writeln!(k, "  - ./{r}");
    }
    if a.alerts || a.netpol {
        k.push_str("components:\n");
        if a.alerts {
            k.push_str("  - ../../../../components/alerts\n");
        }
        if a.netpol {
            k.push_str("  - ../../../../components/networkpolicy\n");
        }
    }
    if a.config_gen {
        let _ = write!(
            k,
            "configMapGenerator:
  - name: {name}-configmap
    files:
      - config.yaml=./resources/config.yaml
generatorOptions:
  disableNameSuffixHash: true
"
        );
        files.insert(
            format!("{dir}/app/resources/config.yaml"),
            format!("# {name} configuration, mounted from the {name}-configmap ConfigMap\nserver:\n  port: {}\n  baseUrl: https://{name}.example.net\nlogging:\n  level: info\n  format: json\nfeatures:\n  - metrics\n  - healthz\n", a.port),
        );
    }
    files.insert(format!("{dir}/app/kustomization.yaml"), k);
    files.insert(
        format!("{dir}/app/ocirepository.yaml"),
        format!(
            "---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: {name}
spec:
  interval: 15m
  layerSelector:
    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
    operation: copy
  ref:
    tag: 4.4.0
  url: oci://ghcr.io/bjw-s-labs/helm/app-template
"
        ),
    );
    files.insert(format!("{dir}/app/helmrelease.yaml"), helmrelease(plan, ai));
    files.insert(
        format!("{dir}/app/configmap.yaml"),
        format!(
            "---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-config
data:
  APP_ENV: \"production\"
  APP_CLUSTER: \"${{CLUSTER}}\"
  BASE_URL: \"https://{name}.${{CLUSTER_DOMAIN}}\"
  PORT: \"{port}\"
  METRICS_ENABLED: \"true\"
  CACHE_TTL: \"300\"
",
            port = a.port
        ),
    );
    let service = if a.lb {
        format!(
            "---
apiVersion: v1
kind: Service
metadata:
  name: {name}-lb
  annotations:
    lbipam.cilium.io/ips: \"${{LB_IP_{var}}}\"
    external-dns.alpha.kubernetes.io/hostname: {name}-lb.${{CLUSTER_DOMAIN}}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Cluster
  selector:
    app.kubernetes.io/name: {name}
    app.kubernetes.io/instance: {name}
  ports:
    - name: http
      port: 80
      targetPort: {port}
      protocol: TCP
",
            var = a.var,
            port = a.port
        )
    } else {
        format!(
            "---
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: {name}
    app.kubernetes.io/instance: {name}
  ports:
    - name: http
      port: 80
      targetPort: {port}
      protocol: TCP
",
            port = a.port
        )
    };
    files.insert(format!("{dir}/app/service.yaml"), service);
    if a.external_secret {
        files.insert(
            format!("{dir}/app/externalsecret.yaml"),
            format!(
                "---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: {name}
spec:
  secretStoreRef:
    kind: ClusterSecretStore
    name: onepassword
  target:
    name: {name}-secret
    template:
      data:
        DATABASE_URL: \"postgres://{{{{ .POSTGRES_USER }}}}:{{{{ .POSTGRES_PASS }}}}@postgres-rw.database.svc.cluster.local/{db}\"
        SECRET_KEY: \"{{{{ .SECRET_KEY }}}}\"
  dataFrom:
    - extract:
        key: {name}
    - extract:
        key: cloudnative-pg
",
                db = a.var.to_ascii_lowercase()
            ),
        );
    }
    if a.route {
        let host = if a.route_nested_default {
            "${HOSTNAME:=${APP}.${CLUSTER_DOMAIN}}".to_string()
        } else {
            format!("{name}.${{CLUSTER_DOMAIN}}")
        };
        let svc = if a.lb { format!("{name}-lb") } else { name.clone() };
        files.insert(
            format!("{dir}/app/httproute.yaml"),
            format!(
                "---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {name}
spec:
  hostnames:
    - \"{host}\"
  parentRefs:
    - name: internal
      namespace: networking
      sectionName: https
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: /
      backendRefs:
        - name: {svc}
          port: 80
"
            ),
        );
    }
    if a.pvc {
        files.insert(
            format!("{dir}/app/pvc.yaml"),
            format!(
                "---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {name}-data
spec:
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: ${{{var}_STORAGE:=10Gi}}
  storageClassName: local-nvme
",
                var = a.var
            ),
        );
    }
}

fn helmrelease(plan: &Plan, ai: usize) -> String {
    let a = &plan.apps[ai];
    let name = &a.name;
    let mut s = format!(
        "---
# yaml-language-server: $schema=https://raw.githubusercontent.com/bjw-s-labs/helm-charts/main/charts/other/app-template/schemas/helmrelease-helm-v2.schema.json
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: {name}
"
    );
    if let Some(h) = a.helm_dep {
        let _ = write!(s, "  dependsOn:\n    - name: {}\n      namespace: platform\n", plan.apps[h].name);
    }
    let _ = write!(
        s,
        "  install:
    remediation:
      retries: -1
  upgrade:
    cleanupOnFail: true
    remediation:
      retries: 3
  values:
    controllers:
      {name}:
        replicas: ${{{var}_REPLICAS:=1}}
        strategy: RollingUpdate
        annotations:
          reloader.stakater.com/auto: \"true\"
        containers:
          app:
            image:
              repository: {image}
              tag: {tag}
            env:
              TZ: ${{TIMEZONE:=Etc/UTC}}
              LOG_LEVEL: ${{LOG_LEVEL:-info}}
              APP_NAME: ${{APP}}
              CLUSTER_NAME: ${{CLUSTER}}
              PUBLIC_URL: https://{name}.${{CLUSTER_DOMAIN}}
              PORT: &port {port}
            envFrom:
              - configMapRef:
                  name: {name}-config
",
        var = a.var,
        image = a.image,
        tag = a.tag,
        port = a.port
    );
    if a.external_secret {
        let _ = writeln!(s, "              - secretRef:\n                  name: {name}-secret");
    }
    let _ = write!(
        s,
        "            probes:
              liveness: &probes
                enabled: true
                custom: true
                spec:
                  httpGet:
                    path: /healthz
                    port: *port
                  initialDelaySeconds: 0
                  periodSeconds: 10
                  timeoutSeconds: 1
                  failureThreshold: 3
              readiness: *probes
            securityContext:
              allowPrivilegeEscalation: false
              readOnlyRootFilesystem: true
              capabilities: {{ drop: [\"ALL\"] }}
            resources:
              requests:
                cpu: 10m
                memory: 128Mi
              limits:
                memory: 512Mi
    defaultPodOptions:
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        runAsGroup: 1000
        fsGroup: 1000
        fsGroupChangePolicy: OnRootMismatch
        seccompProfile: {{ type: RuntimeDefault }}
    persistence:
      tmp:
        type: emptyDir
        globalMounts:
          - path: /tmp
"
    );
    if a.volsync || a.pvc {
        let claim = if a.volsync { name.clone() } else { format!("{name}-data") };
        let _ =
            write!(s, "      data:\n        existingClaim: {claim}\n        globalMounts:\n          - path: /data\n");
    }
    if a.config_gen {
        let _ = write!(
            s,
            "      config:\n        type: configMap\n        name: {name}-configmap\n        globalMounts:\n          - path: /config/config.yaml\n            subPath: config.yaml\n            readOnly: true\n"
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use gitops_lsp::analysis::Analysis;
    use gitops_lsp::files::{RelPath, Vfs};
    use gitops_lsp::snapshot::Snapshot;
    use std::sync::Arc;

    fn diagnostics(repo: &Repo) -> Vec<String> {
        let mut vfs = Vfs::default();
        for (p, t) in &repo.files {
            let rel = RelPath::new(p).unwrap();
            if p.ends_with(".yaml") {
                vfs.insert_text(rel, t.as_str());
            } else {
                vfs.other_files.insert(rel);
            }
        }
        let a = Analysis::new(Arc::new(Snapshot::from_vfs(&vfs, None)));
        // Clean means no error and no warning (information, e.g. a kind without a schema, is fine).
        a.diagnostics()
            .iter()
            .filter(|d| {
                matches!(
                    d.severity,
                    gitops_lsp::diagnostics::Severity::Error | gitops_lsp::diagnostics::Severity::Warning
                )
            })
            .map(|d| format!("{} {}: {}", d.code, d.file, d.message))
            .collect()
    }

    #[test]
    fn same_arguments_give_the_same_bytes() {
        let p = Params { clusters: 3, apps: 40, seed: 7 };
        assert_eq!(generate(&p).files, generate(&p).files);
        assert_ne!(generate(&p).files, generate(&Params { seed: 8, ..p.clone() }).files);
    }

    #[test]
    fn generated_repositories_are_clean_for_check() {
        for (clusters, apps, seed) in [(1, 1, 1), (2, 30, 2), (4, 120, 3)] {
            let repo = generate(&Params { clusters, apps, seed });
            let d = diagnostics(&repo);
            assert!(d.is_empty(), "{clusters} clusters, {apps} apps, seed {seed}: {d:#?}");
        }
    }

    #[test]
    fn manifests_target_picks_the_smallest_app_count() {
        let apps = apps_for_objects(4, 1000, 1);
        assert!(generate(&Params { clusters: 4, apps, seed: 1 }).objects() >= 1000);
        assert!(generate(&Params { clusters: 4, apps: apps - 1, seed: 1 }).objects() < 1000);
    }

    #[test]
    fn objects_are_documents_with_kind() {
        assert_eq!(count_objects("---\nkind: A\n---\n# c\n---\napiVersion: v1\nkind: B\n  kind: nested\n"), 2);
        assert_eq!(count_objects("a: 1\n"), 0);
    }
}
