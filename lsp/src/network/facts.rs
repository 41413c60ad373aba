//! The network facts of each cluster, read from the objects its Flux applies, after the
//! substitution of the Flux Kustomization that applies each one: LB IP pools (Cilium and
//! MetalLB), requested addresses (Service annotations and `loadBalancerIP`, Gateway
//! addresses, the same annotations inside HelmRelease values), BGP ASNs and peers, and the
//! Cilium HelmRelease's ClusterMesh identity and pod CIDRs. Every fact keeps the range of
//! its source text and, when a `${VAR}` gave it, the settings line of that value. Values
//! that cannot be read (not an address…) become `Problem`s; values that cannot be known
//! (from a Secret) are left out.

use super::addr::{self, AddrError, AddrRange};
use crate::analysis::Analysis;
use crate::diagnostics::{codes, Code};
use crate::files::TextRange;
use crate::model::{FileModel, Object};
use crate::project::{Bindings, Cluster, Loc, ObjLoc, Placed, Placement};
use crate::snapshot::FileIdx;
use crate::subst;
use crate::yaml::Node;
use ipnet::IpNet;
use std::net::IpAddr;

/// Where a value is written, and the settings entry that gave it (a `${VAR}`'s value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Src {
    pub file: FileIdx,
    /// The `${VAR}` use when the value comes from one, else the scalar (or the part of it).
    pub range: TextRange,
    /// The variable used, if any.
    pub var: Option<String>,
    /// Where that variable's value is written.
    pub origin: Option<Loc>,
}

/// A value after substitution, with where it came from.
#[derive(Clone, Debug)]
pub struct Text {
    pub value: String,
    pub src: Src,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    Cilium,
    MetalLb,
}

impl PoolKind {
    pub fn label(self) -> &'static str {
        match self {
            PoolKind::Cilium => "CiliumLoadBalancerIPPool",
            PoolKind::MetalLb => "IPAddressPool",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Block {
    pub range: AddrRange,
    /// Set for a CIDR block.
    pub net: Option<IpNet>,
    pub src: Src,
}

#[derive(Clone, Debug)]
pub struct Pool {
    pub kind: PoolKind,
    pub name: String,
    pub obj: ObjLoc,
    /// `metadata.name`.
    pub at: Src,
    pub blocks: Vec<Block>,
    /// `disabled: true`: no new allocations.
    pub disabled: bool,
    pub selector: Option<Selector>,
    /// `allowFirstLastIPs: Yes`.
    pub allow_first_last: bool,
}

impl Pool {
    /// The addresses of a block this pool hands out.
    pub fn usable(&self, b: &Block) -> Option<AddrRange> {
        let mut r = b.range;
        if self.kind == PoolKind::Cilium
            && !self.allow_first_last
            && b.net.as_ref().is_some_and(addr::reserves_first_last)
        {
            r.first += 1;
            r.last -= 1;
        }
        (r.first <= r.last).then_some(r)
    }
}

/// A Kubernetes label selector (matchLabels and matchExpressions).
#[derive(Clone, Debug, Default)]
pub struct Selector {
    pub labels: Vec<(String, String)>,
    pub exprs: Vec<(String, String, Vec<String>)>,
}

impl Selector {
    fn read(n: &Node) -> Selector {
        let mut s = Selector::default();
        for (k, v) in n.get("matchLabels").and_then(Node::as_map).unwrap_or(&[]) {
            if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
                s.labels.push((k.to_string(), v.to_string()));
            }
        }
        for e in n.get("matchExpressions").and_then(Node::as_seq).unwrap_or(&[]) {
            let (Some(k), Some(op)) = (e.str_at(&["key"]), e.str_at(&["operator"])) else { continue };
            let vals = e
                .get("values")
                .and_then(Node::as_seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            s.exprs.push((k.to_string(), op.to_string(), vals));
        }
        s
    }

    /// Whether it selects a Service; `None` when that depends on something not known here
    /// (labels a chart sets, a Service name it chooses).
    pub fn selects(&self, svc: &Owner) -> Option<bool> {
        let value = |k: &str| -> Option<Option<String>> {
            match k {
                "io.kubernetes.service.namespace" => svc.namespace.clone().map(Some),
                "io.kubernetes.service.name" => svc.service_name.clone().map(Some),
                _ => svc.labels.as_ref().map(|l| l.iter().find(|(lk, _)| lk == k).map(|(_, v)| v.clone())),
            }
        };
        let mut unknown = false;
        let mut check = |ok: Option<bool>| -> bool {
            match ok {
                Some(false) => false,
                Some(true) => true,
                None => {
                    unknown = true;
                    true
                }
            }
        };
        for (k, v) in &self.labels {
            if !check(value(k).map(|x| x.as_deref() == Some(v.as_str()))) {
                return Some(false);
            }
        }
        for (k, op, vals) in &self.exprs {
            let ok = value(k).map(|x| match op.as_str() {
                "In" => x.is_some_and(|x| vals.contains(&x)),
                "NotIn" => x.is_none_or(|x| !vals.contains(&x)),
                "Exists" => x.is_some(),
                "DoesNotExist" => x.is_none(),
                _ => true,
            });
            if !check(ok) {
                return Some(false);
            }
        }
        if unknown {
            None
        } else {
            Some(true)
        }
    }
}

/// The object that asks for an address, as LB IPAM sees its Service.
#[derive(Clone, Debug)]
pub struct Owner {
    /// "Service kube-system/x", "Gateway kube-system/external", "HelmRelease kube-system/cilium (values …)".
    pub what: String,
    pub obj: ObjLoc,
    pub namespace: Option<String>,
    /// The Service's name, when known (a chart chooses its own).
    pub service_name: Option<String>,
    /// The Service's labels, `None` when not known.
    pub labels: Option<Vec<(String, String)>>,
    pub sharing_key: Option<String>,
    /// Cilium LB IPAM handles it (no foreign `loadBalancerClass`).
    pub cilium: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// `lbipam.cilium.io/ips` or `io.cilium/lb-ipam-ips`.
    CiliumAnnotation,
    /// `metallb.universe.tf/loadBalancerIPs`.
    MetalLbAnnotation,
    /// `spec.loadBalancerIP`.
    LoadBalancerIp,
    /// Gateway `spec.addresses`.
    Gateway,
}

#[derive(Clone, Debug)]
pub struct Request {
    pub addr: IpAddr,
    pub src: Src,
    pub owner: Owner,
    pub via: Via,
}

#[derive(Clone, Debug)]
pub struct Asn {
    pub value: u64,
    /// A local ASN (of this cluster), else a peer's.
    pub local: bool,
    pub src: Src,
    pub what: String,
}

/// Cilium's ClusterMesh identity, from its HelmRelease values.
#[derive(Clone, Debug)]
pub struct Mesh {
    pub obj: ObjLoc,
    pub what: String,
    pub name: Option<Text>,
    pub id: Option<(u64, Src)>,
    pub max_connected: u64,
    pub pod_cidrs: Vec<(IpNet, Src)>,
    pub native_routing: Option<(IpNet, Src)>,
}

/// A value that is not what its field needs.
#[derive(Clone, Debug)]
pub struct Problem {
    pub code: Code,
    pub src: Src,
    pub message: String,
}

/// Everything one cluster says about its network.
#[derive(Clone, Debug, Default)]
pub struct ClusterNet {
    pub cluster: String,
    /// From `.gitops-lsp.toml`; `None`: the shared network.
    pub network: Option<String>,
    pub pools: Vec<Pool>,
    pub requests: Vec<Request>,
    pub asns: Vec<Asn>,
    pub meshes: Vec<Mesh>,
    pub problems: Vec<Problem>,
}

pub const CILIUM_IPS: [&str; 2] = ["lbipam.cilium.io/ips", "io.cilium/lb-ipam-ips"];
pub const CILIUM_SHARING: [&str; 2] = ["lbipam.cilium.io/sharing-key", "io.cilium/lb-ipam-sharing-key"];
pub const METALLB_IPS: &str = "metallb.universe.tf/loadBalancerIPs";
/// The `loadBalancerClass` values Cilium handles (besides none at all).
const CILIUM_CLASSES: [&str; 2] = ["io.cilium/bgp-control-plane", "io.cilium/l2-announcer"];

/// Reads every cluster.
pub fn collect(a: &Analysis) -> Vec<ClusterNet> {
    a.project.clusters.iter().enumerate().map(|(ci, c)| collect_cluster(a, ci as u32, c)).collect()
}

/// One cluster's facts, in the order of its placements: each object is read once per file
/// and project (`Analysis::memo`), here only merged.
pub fn collect_cluster(a: &Analysis, ci: u32, c: &Cluster) -> ClusterNet {
    let snap = &*a.snapshot;
    let network = snap.config.clusters.iter().find(|x| x.name == c.name).and_then(|x| x.network.clone());
    let mut net = ClusterNet { cluster: c.name.clone(), network, ..Default::default() };
    for &(pi, file) in &a.merges(ci).network {
        let parts = a.memo(file).net.get_or_init(|| file_facts(a, file));
        if let Ok(i) = parts.binary_search_by(|(c, p, _)| (*c, *p).cmp(&(ci, pi))) {
            let part = &parts[i].2;
            net.pools.extend(part.pools.iter().cloned());
            net.requests.extend(part.requests.iter().cloned());
            net.asns.extend(part.asns.iter().cloned());
            net.meshes.extend(part.meshes.iter().cloned());
            net.problems.extend(part.problems.iter().cloned());
        }
    }
    net
}

/// The facts of one file's objects, for the first placement of each object in each cluster
/// (the one `collect_cluster` reads): (cluster, placement index, facts), sorted, without the
/// placements that give nothing.
fn file_facts(a: &Analysis, fi: FileIdx) -> Vec<(u32, u32, ClusterNet)> {
    let f = a.snapshot.file(fi);
    let mut out = Vec::new();
    for &(ci, pi) in &a.derived.placed[fi as usize] {
        let c = &a.project.clusters[ci as usize];
        let pl = &c.placements[pi as usize];
        let Placed::Object(l) = pl.obj else { continue };
        if a.merges(ci).network.binary_search_by_key(&pi, |&(p, _)| p).is_err() {
            continue;
        }
        let mut net = ClusterNet::default();
        object_facts(f, l, pl, c, &mut net);
        let empty = net.pools.is_empty()
            && net.requests.is_empty()
            && net.asns.is_empty()
            && net.meshes.is_empty()
            && net.problems.is_empty();
        if !empty {
            out.push((ci, pi, net));
        }
    }
    out
}

/// Kinds that give network facts (the ones `object_facts` reads).
pub fn has_facts(o: &crate::model::Object) -> bool {
    matches!(
        (o.group(), o.kind.as_str()),
        ("cilium.io", "CiliumLoadBalancerIPPool")
            | ("metallb.io", "IPAddressPool")
            | ("", "Service")
            | ("gateway.networking.k8s.io", "Gateway")
            | ("cilium.io", "CiliumBGPClusterConfig")
            | ("cilium.io", "CiliumBGPPeeringPolicy")
            | ("helm.toolkit.fluxcd.io", "HelmRelease")
    )
}

fn object_facts(f: &FileModel, l: ObjLoc, pl: &Placement, c: &Cluster, net: &mut ClusterNet) {
    {
        let o = &f.objects[l.obj as usize];
        let ks = &c.kss[pl.ks as usize];
        let cx = Cx {
            f,
            fi: l.file,
            b: &ks.bindings,
            subst: ks.bindings.enabled && !pl.subst_disabled && !o.subst_disabled,
        };
        let root = f.root(o);
        let Some(name) = root
            .at(&["metadata", "name"])
            .and_then(|n| cx.text(n))
            .map(|t| format!("{}{}{}", pl.name_prefix, t.value, pl.name_suffix))
        else {
            return;
        };
        let ns = pl
            .namespace
            .as_deref()
            .map(str::to_string)
            .or_else(|| root.at(&["metadata", "namespace"]).and_then(|n| cx.text(n)).map(|t| t.value));
        let id = ObjId { loc: l, name, ns };
        match (o.group(), o.kind.as_str()) {
            ("cilium.io", "CiliumLoadBalancerIPPool") => cx.cilium_pool(root, &id, net),
            ("metallb.io", "IPAddressPool") => cx.metallb_pool(root, &id, net),
            ("", "Service") => cx.service(root, &id, net),
            ("gateway.networking.k8s.io", "Gateway") => cx.gateway(root, &id, net),
            ("cilium.io", "CiliumBGPClusterConfig") => cx.bgp_cluster_config(root, o, &id, net),
            ("cilium.io", "CiliumBGPPeeringPolicy") => cx.bgp_peering_policy(root, o, &id, net),
            ("helm.toolkit.fluxcd.io", "HelmRelease") => cx.helm_release(root, &id, pl.namespace.is_some(), net),
            _ => {}
        }
    }
}

struct ObjId {
    loc: ObjLoc,
    name: String,
    ns: Option<String>,
}

impl ObjId {
    fn display(&self, kind: &str) -> String {
        match &self.ns {
            Some(ns) => format!("{kind} {ns}/{}", self.name),
            None => format!("{kind} {}", self.name),
        }
    }
}

/// One object's reading context: its file and the bindings that substitute it.
struct Cx<'a> {
    f: &'a FileModel,
    fi: FileIdx,
    b: &'a Bindings,
    subst: bool,
}

impl Cx<'_> {
    /// A scalar after substitution; `None` when absent, not a scalar, or unknown (a Secret).
    fn text(&self, n: &Node) -> Option<Text> {
        let raw = n.as_str()?;
        let value = if self.subst { self.b.apply(raw)? } else { raw.to_string() };
        Some(Text { value, src: self.src(n) })
    }

    fn src(&self, n: &Node) -> Src {
        let mut src = Src { file: self.fi, range: n.range.clone(), var: None, origin: None };
        if !self.subst {
            return src;
        }
        let Some(source) = self.f.text.get(n.range.clone()) else { return src };
        if !source.contains("${") {
            return src;
        }
        let scan = subst::scan(source);
        if let (Some(first), Some(last)) = (scan.exprs.first(), scan.exprs.last()) {
            src.range = n.range.start + first.range.start..n.range.start + last.range.end;
            src.origin = self.b.vars.get(&first.name).and_then(|b| b.origin.clone());
            src.var = Some(first.name.clone());
        }
        src
    }

    /// The part `part` (a byte range of the decoded value) of a scalar: its own range in
    /// the source when the value is the source text itself, else the whole use.
    fn part_src(&self, n: &Node, value: &str, part: TextRange) -> Src {
        let src = self.src(n);
        if src.var.is_some() {
            return src;
        }
        let source = self.f.text.get(n.range.clone()).unwrap_or("");
        // Plain or simply quoted: the value sits in the source at a fixed shift.
        let shift = if source == value {
            Some(0)
        } else if source.len() == value.len() + 2 && &source[1..source.len() - 1] == value {
            Some(1)
        } else {
            None
        };
        match shift {
            Some(s) => Src { range: n.range.start + s + part.start..n.range.start + s + part.end, ..src },
            None => src,
        }
    }

    fn problem(&self, net: &mut ClusterNet, code: Code, src: Src, message: String) {
        net.problems.push(Problem { code, src, message });
    }

    fn addr_problem(&self, net: &mut ClusterNet, src: Src, e: &AddrError, field: &str) {
        let code = match e {
            AddrError::NotAnAddress(_) | AddrError::BadRange(_) => codes::INVALID_IP,
            AddrError::NotACidr(_) | AddrError::HostBits { .. } => codes::INVALID_CIDR,
        };
        let via = src.var.as_ref().map(|v| format!(" (from `${{{v}}}`)")).unwrap_or_default();
        self.problem(net, code, src, format!("{field}: {e}{via}"));
    }

    fn ip(&self, n: &Node, net: &mut ClusterNet, field: &str) -> Option<(IpAddr, Src)> {
        let t = self.text(n)?;
        match addr::parse_ip(&t.value) {
            Ok(a) => Some((a, t.src)),
            Err(e) => {
                self.addr_problem(net, t.src, &e, field);
                None
            }
        }
    }

    fn cidr(&self, n: &Node, net: &mut ClusterNet, field: &str) -> Option<(IpNet, Src)> {
        let t = self.text(n)?;
        match addr::parse_cidr(&t.value) {
            Ok(c) => Some((c, t.src)),
            Err(e) => {
                self.addr_problem(net, t.src, &e, field);
                None
            }
        }
    }

    fn cilium_pool(&self, root: &Node, id: &ObjId, net: &mut ClusterNet) {
        let spec = root.get("spec");
        let at = |k: &str| spec.and_then(|s| s.get(k));
        let mut blocks = Vec::new();
        // `cidrs` is the older name of `blocks`.
        let items = at("blocks").or_else(|| at("cidrs")).and_then(Node::as_seq).unwrap_or(&[]);
        for b in items {
            if let Some(c) = b.get("cidr") {
                if let Some((n, src)) = self.cidr(c, net, "pool block cidr") {
                    blocks.push(Block { range: AddrRange::of_net(&n), net: Some(n), src });
                }
            } else if let Some(s) = b.get("start") {
                let Some((first, src)) = self.ip(s, net, "pool block start") else { continue };
                let last = match b.get("stop") {
                    Some(stop) => match self.ip(stop, net, "pool block stop") {
                        Some((a, _)) => a,
                        None => continue,
                    },
                    None => first,
                };
                match AddrRange::new(first, last) {
                    Some(r) => {
                        let whole = Src {
                            range: src.range.start..b.get("stop").map_or(src.range.end, |s| self.src(s).range.end),
                            ..src
                        };
                        blocks.push(Block { range: r, net: None, src: whole });
                    }
                    None => self.addr_problem(
                        net,
                        src,
                        &AddrError::BadRange(format!("{first}-{last}")),
                        "pool block start/stop",
                    ),
                }
            }
        }
        let flag = |k: &str| at(k).and_then(|n| self.text(n)).map(|t| t.value);
        let disabled = flag("disabled").is_some_and(|v| v == "true");
        let allow_first_last = flag("allowFirstLastIPs").is_some_and(|v| v.eq_ignore_ascii_case("yes"));
        let selector = at("serviceSelector").map(Selector::read);
        let at = root.at(&["metadata", "name"]).map(|n| self.src(n)).unwrap_or(Src {
            file: self.fi,
            range: 0..0,
            var: None,
            origin: None,
        });
        net.pools.push(Pool {
            kind: PoolKind::Cilium,
            name: id.name.clone(),
            obj: id.loc,
            at,
            blocks,
            disabled,
            selector,
            allow_first_last,
        });
    }

    fn metallb_pool(&self, root: &Node, id: &ObjId, net: &mut ClusterNet) {
        let mut blocks = Vec::new();
        for n in root.at(&["spec", "addresses"]).and_then(Node::as_seq).unwrap_or(&[]) {
            let Some(t) = self.text(n) else { continue };
            match addr::parse_cidr_or_range(&t.value) {
                Ok((range, cidr)) => blocks.push(Block { range, net: cidr, src: t.src }),
                Err(e) => self.addr_problem(net, t.src, &e, "IPAddressPool address"),
            }
        }
        let at = root.at(&["metadata", "name"]).map(|n| self.src(n)).unwrap_or(Src {
            file: self.fi,
            range: 0..0,
            var: None,
            origin: None,
        });
        let name = match &id.ns {
            Some(ns) => format!("{ns}/{}", id.name),
            None => id.name.clone(),
        };
        net.pools.push(Pool {
            kind: PoolKind::MetalLb,
            name,
            obj: id.loc,
            at,
            blocks,
            disabled: false,
            selector: None,
            allow_first_last: true,
        });
    }

    /// Comma-separated addresses of one annotation value.
    fn address_list(&self, n: &Node, owner: &Owner, via: Via, net: &mut ClusterNet) {
        let Some(t) = self.text(n) else { return };
        let mut at = 0;
        for part in t.value.split(',') {
            let start = at + (part.len() - part.trim_start().len());
            let range = start..start + part.trim().len();
            at += part.len() + 1;
            if part.trim().is_empty() {
                continue;
            }
            let src = self.part_src(n, &t.value, range);
            match addr::parse_ip(part) {
                Ok(a) => net.requests.push(Request { addr: a, src, owner: owner.clone(), via }),
                Err(e) => self.addr_problem(net, src, &e, "requested address"),
            }
        }
    }

    fn annotations_requests(&self, ann: &Node, owner: &Owner, net: &mut ClusterNet) {
        for k in CILIUM_IPS {
            if let Some(n) = ann.get(k) {
                self.address_list(n, owner, Via::CiliumAnnotation, net);
            }
        }
        if let Some(n) = ann.get(METALLB_IPS) {
            self.address_list(n, owner, Via::MetalLbAnnotation, net);
        }
    }

    fn sharing_key(&self, ann: Option<&Node>) -> Option<String> {
        let ann = ann?;
        CILIUM_SHARING.iter().find_map(|k| ann.get(k)).and_then(|n| self.text(n)).map(|t| t.value)
    }

    fn labels(&self, n: Option<&Node>) -> Vec<(String, String)> {
        n.and_then(Node::as_map)
            .unwrap_or(&[])
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), self.text(v)?.value)))
            .collect()
    }

    fn service(&self, root: &Node, id: &ObjId, net: &mut ClusterNet) {
        let spec = root.get("spec");
        let ty = spec.and_then(|s| s.str_at(&["type"]));
        if ty != Some("LoadBalancer") {
            return;
        }
        let class = spec.and_then(|s| s.get("loadBalancerClass")).and_then(|n| self.text(n)).map(|t| t.value);
        let ann = root.at(&["metadata", "annotations"]);
        let owner = Owner {
            what: id.display("Service"),
            obj: id.loc,
            namespace: Some(id.ns.clone().unwrap_or_else(|| "default".into())),
            service_name: Some(id.name.clone()),
            labels: Some(self.labels(root.at(&["metadata", "labels"]))),
            sharing_key: self.sharing_key(ann),
            cilium: class.as_deref().is_none_or(|c| CILIUM_CLASSES.contains(&c)),
        };
        if let Some(ann) = ann {
            self.annotations_requests(ann, &owner, net);
        }
        if let Some(n) = spec.and_then(|s| s.get("loadBalancerIP")) {
            if let Some((a, src)) = self.ip(n, net, "spec.loadBalancerIP") {
                net.requests.push(Request { addr: a, src, owner: owner.clone(), via: Via::LoadBalancerIp });
            }
        }
    }

    fn gateway(&self, root: &Node, id: &ObjId, net: &mut ClusterNet) {
        let spec = root.get("spec");
        // Cilium makes a Service `cilium-gateway-<name>` with the infrastructure labels.
        let mut labels = self.labels(spec.and_then(|s| s.at(&["infrastructure", "labels"])));
        labels.push(("io.cilium.gateway/owning-gateway".into(), id.name.clone()));
        let owner = Owner {
            what: id.display("Gateway"),
            obj: id.loc,
            namespace: Some(id.ns.clone().unwrap_or_else(|| "default".into())),
            service_name: Some(format!("cilium-gateway-{}", id.name)),
            labels: Some(labels),
            sharing_key: self.sharing_key(spec.and_then(|s| s.at(&["infrastructure", "annotations"]))),
            cilium: true,
        };
        for a in spec.and_then(|s| s.get("addresses")).and_then(Node::as_seq).unwrap_or(&[]) {
            let ty = a.get("type").and_then(|n| self.text(n)).map(|t| t.value);
            if ty.as_deref().is_some_and(|t| t != "IPAddress") {
                continue;
            }
            if let Some(v) = a.get("value") {
                if let Some((ip, src)) = self.ip(v, net, "Gateway address") {
                    net.requests.push(Request { addr: ip, src, owner: owner.clone(), via: Via::Gateway });
                }
            }
        }
    }

    fn asn(&self, n: &Node, local: bool, what: String, net: &mut ClusterNet) {
        let Some(t) = self.text(n) else { return };
        match t.value.trim().parse::<u64>() {
            Ok(v) if (1..=4_294_967_295).contains(&v) => net.asns.push(Asn { value: v, local, src: t.src, what }),
            _ => {
                let via = t.src.var.as_ref().map(|v| format!(" (from `${{{v}}}`)")).unwrap_or_default();
                let field = if local { "localASN" } else { "peerASN" };
                self.problem(
                    net,
                    codes::INVALID_ASN,
                    t.src,
                    format!("{field} `{}` of {what} is not an AS number (1 to 4294967295){via}", t.value),
                );
            }
        }
    }

    fn bgp_cluster_config(&self, root: &Node, o: &Object, id: &ObjId, net: &mut ClusterNet) {
        let what = id.display(&o.kind);
        for inst in root.at(&["spec", "bgpInstances"]).and_then(Node::as_seq).unwrap_or(&[]) {
            if let Some(n) = inst.get("localASN") {
                self.asn(n, true, what.clone(), net);
            }
            for p in inst.get("peers").and_then(Node::as_seq).unwrap_or(&[]) {
                if let Some(n) = p.get("peerASN") {
                    self.asn(n, false, what.clone(), net);
                }
                if let Some(n) = p.get("peerAddress") {
                    self.ip(n, net, "BGP peerAddress");
                }
            }
        }
    }

    fn bgp_peering_policy(&self, root: &Node, o: &Object, id: &ObjId, net: &mut ClusterNet) {
        let what = id.display(&o.kind);
        for vr in root.at(&["spec", "virtualRouters"]).and_then(Node::as_seq).unwrap_or(&[]) {
            if let Some(n) = vr.get("localASN") {
                self.asn(n, true, what.clone(), net);
            }
            for p in vr.get("neighbors").and_then(Node::as_seq).unwrap_or(&[]) {
                if let Some(n) = p.get("peerASN") {
                    self.asn(n, false, what.clone(), net);
                }
                if let Some(n) = p.get("peerAddress") {
                    // Written as a CIDR (`10.0.0.1/32`) in this API.
                    if let Some(t) = self.text(n) {
                        let ok = match t.value.split_once('/') {
                            Some(_) => t.value.trim().parse::<IpNet>().is_ok(),
                            None => addr::parse_ip(&t.value).is_ok(),
                        };
                        if !ok {
                            self.addr_problem(net, t.src, &AddrError::NotAnAddress(t.value.clone()), "BGP peerAddress");
                        }
                    }
                }
            }
        }
    }

    fn helm_release(&self, root: &Node, id: &ObjId, _placed_ns: bool, net: &mut ClusterNet) {
        let Some(values) = root.at(&["spec", "values"]) else { return };
        let target_ns =
            root.at(&["spec", "targetNamespace"]).and_then(|n| self.text(n)).map(|t| t.value).or_else(|| id.ns.clone());
        let what = id.display("HelmRelease");
        // Service annotations wherever a chart takes them.
        let mut stack: Vec<(&Node, Option<&Node>)> = vec![(values, None)];
        while let Some((n, parent)) = stack.pop() {
            match &n.kind {
                crate::yaml::NodeKind::Map(entries) => {
                    if CILIUM_IPS.iter().chain([&METALLB_IPS]).any(|k| n.get(k).is_some()) {
                        // The map holding `annotations:` may say the Service type.
                        let ty = parent.and_then(|p| p.str_at(&["type"]));
                        if ty.is_none_or(|t| t == "LoadBalancer") {
                            let owner = Owner {
                                what: format!("{what} (values)"),
                                obj: id.loc,
                                namespace: target_ns.clone(),
                                service_name: None,
                                labels: None,
                                sharing_key: self.sharing_key(Some(n)),
                                cilium: true,
                            };
                            self.annotations_requests(n, &owner, net);
                        }
                    }
                    for (_, v) in entries.iter().rev() {
                        stack.push((v, Some(n)));
                    }
                }
                crate::yaml::NodeKind::Seq(items) => stack.extend(items.iter().rev().map(|i| (i, Some(n)))),
                _ => {}
            }
        }
        if !is_cilium(root) {
            return;
        }
        let name = values.at(&["cluster", "name"]).and_then(|n| self.text(n));
        let id_val = values.at(&["cluster", "id"]).and_then(|n| self.text(n));
        let max_connected = values
            .at(&["clustermesh", "maxConnectedClusters"])
            .and_then(|n| self.text(n))
            .and_then(|t| t.value.trim().parse().ok())
            .unwrap_or(255);
        let mut mesh = Mesh {
            obj: id.loc,
            what: what.clone(),
            name: None,
            id: None,
            max_connected,
            pod_cidrs: Vec::new(),
            native_routing: None,
        };
        if let Some(t) = name {
            let v = &t.value;
            let valid = !v.is_empty()
                && v.len() <= 32
                && v.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                && !v.starts_with('-')
                && !v.ends_with('-');
            if valid {
                mesh.name = Some(t);
            } else {
                let via = t.src.var.as_ref().map(|x| format!(" (from `${{{x}}}`)")).unwrap_or_default();
                self.problem(
                    net,
                    codes::CLUSTERMESH_NAME_INVALID,
                    t.src.clone(),
                    format!("cluster.name `{v}` of {what} is not a valid ClusterMesh name: at most 32 lowercase letters, digits and dashes, starting and ending with a letter or digit{via}"),
                );
            }
        }
        if let Some(t) = id_val {
            let max = if max_connected == 511 { 511 } else { 255 };
            match t.value.trim().parse::<u64>() {
                Ok(v) if (1..=max).contains(&v) => mesh.id = Some((v, t.src)),
                // 0 is Cilium's default for a cluster outside any mesh.
                Ok(0) if !uses_clustermesh(values) => {}
                _ => {
                    let via = t.src.var.as_ref().map(|x| format!(" (from `${{{x}}}`)")).unwrap_or_default();
                    let hint = if max == 255 { " (up to 511 with clustermesh.maxConnectedClusters: 511)" } else { "" };
                    self.problem(
                        net,
                        codes::CLUSTERMESH_ID_INVALID,
                        t.src,
                        format!("cluster.id `{}` of {what} is outside 1..{max}{hint}{via}", t.value),
                    );
                }
            }
        }
        for n in values.at(&["ipam", "operator", "clusterPoolIPv4PodCIDRList"]).and_then(Node::as_seq).unwrap_or(&[]) {
            if let Some(c) = self.cidr(n, net, "ipam.operator.clusterPoolIPv4PodCIDRList") {
                mesh.pod_cidrs.push(c);
            }
        }
        if let Some(n) = values.get("ipv4NativeRoutingCIDR") {
            mesh.native_routing = self.cidr(n, net, "ipv4NativeRoutingCIDR");
        }
        net.meshes.push(mesh);
    }
}

/// The HelmRelease installs the Cilium chart.
fn is_cilium(root: &Node) -> bool {
    root.str_at(&["spec", "chart", "spec", "chart"]) == Some("cilium")
        || root.str_at(&["spec", "chartRef", "name"]) == Some("cilium")
        || root.str_at(&["metadata", "name"]) == Some("cilium")
}

fn uses_clustermesh(values: &Node) -> bool {
    values.str_at(&["clustermesh", "useAPIServer"]) == Some("true")
        || values.str_at(&["clustermesh", "config", "enabled"]) == Some("true")
}
