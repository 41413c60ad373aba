//! Addresses, pools, ASNs and ClusterMesh identities, per cluster and across clusters.
//!
//! Owns: the network facts of each cluster after substitution (`facts`), address arithmetic
//! (`addr`, on the `ipnet` crate), pool usage (`usage`: which addresses of a pool are taken
//! and by whom, which are free) and the diagnostics on them (`diagnostics`): invalid values,
//! overlapping pools, requested addresses no pool can give or two objects claim, shared
//! ASNs, ClusterMesh names and ids, pod CIDRs that collide. Clusters named in
//! `.gitops-lsp.toml` with different `network` values never conflict with each other.
//! Pure: reads an `Analysis`; knows nothing of LSP or the terminal.

pub mod addr;
pub mod facts;

use crate::analysis::Analysis;
use crate::diagnostics::{codes, Code, Diagnostic, Severity};
pub use addr::{AddrRange, Family};
pub use facts::{collect, ClusterNet, Pool, PoolKind, Request, Src, Via};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// How one pool is used in its cluster.
#[derive(Debug)]
pub struct PoolUsage<'a> {
    pub pool: &'a Pool,
    /// Addresses the pool can hand out (reserved first/last addresses left out).
    pub total: u128,
    /// Each requested address inside the pool's blocks, with who asks for it.
    pub used: BTreeMap<IpAddr, Vec<&'a Request>>,
}

impl PoolUsage<'_> {
    /// The usable ranges of the pool, in block order.
    pub fn usable(&self) -> Vec<AddrRange> {
        self.pool.blocks.iter().filter_map(|b| self.pool.usable(b)).collect()
    }
    /// Up to `n` free addresses, lowest first within each block.
    pub fn next_free(&self, n: usize) -> Vec<IpAddr> {
        let mut out = Vec::new();
        for r in self.usable() {
            let mut x = r.first;
            while out.len() < n && x <= r.last {
                let a = addr::from_int(r.family, x);
                if !self.used.contains_key(&a) {
                    out.push(a);
                }
                if x == u128::MAX {
                    break;
                }
                x += 1;
            }
        }
        out
    }
    /// The free ranges (at most `limit`).
    pub fn free_ranges(&self, limit: usize) -> Vec<AddrRange> {
        let mut out = Vec::new();
        for r in self.usable() {
            // `None` once the range is used up to its last address.
            let mut start = Some(r.first);
            let used: Vec<u128> = self.used.keys().filter(|a| r.contains(**a)).map(|a| addr::to_int(*a)).collect();
            for u in used {
                match start {
                    Some(s) if u > s => out.push(AddrRange { family: r.family, first: s, last: u - 1 }),
                    _ => {}
                }
                start = u.checked_add(1).filter(|n| *n <= r.last);
            }
            if let Some(s) = start {
                out.push(AddrRange { family: r.family, first: s, last: r.last });
            }
        }
        out.truncate(limit);
        out
    }
}

/// Each pool of a cluster with the addresses requested inside it.
pub fn usage(net: &ClusterNet) -> Vec<PoolUsage<'_>> {
    net.pools
        .iter()
        .map(|p| {
            let mut used: BTreeMap<IpAddr, Vec<&Request>> = BTreeMap::new();
            for r in &net.requests {
                if p.blocks.iter().any(|b| b.range.contains(r.addr)) {
                    used.entry(r.addr).or_default().push(r);
                }
            }
            let total = p.blocks.iter().filter_map(|b| p.usable(b)).map(|r| r.size()).fold(0u128, u128::saturating_add);
            PoolUsage { pool: p, total, used }
        })
        .collect()
}

/// Every network diagnostic of the repository (not yet merged: `Analysis::diagnostics`
/// merges and sorts them with the rest).
pub fn diagnostics(a: &Analysis) -> Vec<Diagnostic> {
    let nets = a.network();
    let mut out = Vec::new();
    let cx = Cx { a };
    for n in nets.iter() {
        for p in &n.problems {
            out.push(cx.diag(p.code, &p.src, p.message.clone()).cluster(&n.cluster));
        }
        cx.pools_in_cluster(n, &mut out);
        cx.requests_in_cluster(n, &mut out);
        cx.pod_cidrs_vs_pools(n, n, &mut out);
    }
    for (i, x) in nets.iter().enumerate() {
        for y in nets.iter().skip(i + 1) {
            if x.network != y.network {
                continue;
            }
            cx.across(x, y, &mut out);
            cx.across(y, x, &mut out);
        }
    }
    out
}

struct Cx<'a> {
    a: &'a Analysis,
}

impl Cx<'_> {
    fn path(&self, s: &Src) -> &crate::files::RelPath {
        &self.a.snapshot.file(s.file).path
    }

    fn diag(&self, code: Code, s: &Src, msg: String) -> Diagnostic {
        let mut d = Diagnostic::new(code, self.path(s), s.range.clone(), msg);
        if let (Some(o), Some(v)) = (&s.origin, &s.var) {
            d = d.related(&self.a.snapshot.file(o.file).path, o.range.clone(), format!("`{v}` is set here"));
        }
        d
    }

    fn related(&self, d: Diagnostic, s: &Src, msg: String) -> Diagnostic {
        d.related(self.path(s), s.range.clone(), msg)
    }

    fn pools_in_cluster(&self, n: &ClusterNet, out: &mut Vec<Diagnostic>) {
        for (j, pj) in n.pools.iter().enumerate() {
            for pi in &n.pools[..j] {
                for bj in &pj.blocks {
                    let Some(bi) = pi.blocks.iter().find(|bi| bi.range.overlaps(&bj.range)) else { continue };
                    let common = bi.range.intersection(&bj.range).expect("overlapping");
                    let consequence = if pi.kind == PoolKind::Cilium && pj.kind == PoolKind::Cilium {
                        "; Cilium marks the later pool Conflicting and allocates nothing from it"
                    } else {
                        "; both may hand out the same address"
                    };
                    let msg = format!(
                        "{} {} block {} overlaps {} {} ({}){consequence}: make the ranges disjoint",
                        pj.kind.label(),
                        pj.name,
                        bj.range,
                        pi.kind.label(),
                        pi.name,
                        common
                    );
                    let d = self.diag(codes::IP_POOL_OVERLAP, &bj.src, msg);
                    out.push(
                        self.related(d, &bi.src, format!("{} {} block {}", pi.kind.label(), pi.name, bi.range))
                            .cluster(&n.cluster),
                    );
                }
            }
        }
    }

    fn requests_in_cluster(&self, n: &ClusterNet, out: &mut Vec<Diagnostic>) {
        let has = |k: PoolKind| n.pools.iter().any(|p| p.kind == k);
        for r in &n.requests {
            let kind = match r.via {
                Via::CiliumAnnotation | Via::Gateway if r.owner.cilium => PoolKind::Cilium,
                Via::LoadBalancerIp if r.owner.cilium && has(PoolKind::Cilium) => PoolKind::Cilium,
                Via::LoadBalancerIp | Via::MetalLbAnnotation => PoolKind::MetalLb,
                _ => continue,
            };
            if !has(kind) {
                continue;
            }
            if let Some(why) = why_not_served(n, r, kind) {
                let msg = format!("{} requests {}, which {why}", r.owner.what, r.addr);
                out.push(self.diag(codes::LB_IP_OUTSIDE_POOL, &r.src, msg).cluster(&n.cluster));
            }
        }
        // Two objects asking for one address.
        let mut by_addr: BTreeMap<IpAddr, Vec<&Request>> = BTreeMap::new();
        for r in &n.requests {
            by_addr.entry(r.addr).or_default().push(r);
        }
        for reqs in by_addr.values() {
            for (j, rj) in reqs.iter().enumerate() {
                let first = reqs[..j].iter().find(|ri| ri.owner.obj != rj.owner.obj && !shares(ri, rj));
                if let Some(ri) = first {
                    let msg = format!(
                        "{} {} is also requested by {}{}",
                        rj.addr,
                        if rj.via == Via::Gateway { "(Gateway address)" } else { "(LoadBalancer address)" },
                        ri.owner.what,
                        " without a common sharing key (lbipam.cilium.io/sharing-key): only one of them gets it"
                    );
                    let d = self.diag(codes::LB_IP_DUPLICATE, &rj.src, msg);
                    out.push(self.related(d, &ri.src, format!("requested by {}", ri.owner.what)).cluster(&n.cluster));
                }
            }
        }
    }

    /// Conflicts of `x` with another cluster `y` of the same network, reported on `x`'s side.
    fn across(&self, x: &ClusterNet, y: &ClusterNet, out: &mut Vec<Diagnostic>) {
        let other = &y.cluster;
        for px in &x.pools {
            for bx in &px.blocks {
                for py in &y.pools {
                    let Some(by) = py.blocks.iter().find(|b| b.range.overlaps(&bx.range)) else { continue };
                    let common = bx.range.intersection(&by.range).expect("overlapping");
                    let msg = format!(
                        "{} {} block {} overlaps {} {} of cluster {other} ({common}) on the same network: both clusters may hand out the same address; split the range, or put the clusters on separate networks in .gitops-lsp.toml",
                        px.kind.label(),
                        px.name,
                        bx.range,
                        py.kind.label(),
                        py.name
                    );
                    let d = self.diag(codes::IP_POOL_OVERLAP, &bx.src, msg);
                    out.push(
                        self.related(d, &by.src, format!("{} {} in cluster {other}", py.kind.label(), py.name))
                            .cluster(&x.cluster),
                    );
                }
            }
        }
        for rx in &x.requests {
            if let Some(ry) = y.requests.iter().find(|r| r.addr == rx.addr) {
                let msg = format!("{} is requested by {} here and by {} in cluster {other}, on the same network: the address would answer in two clusters", rx.addr, rx.owner.what, ry.owner.what);
                let d = self.diag(codes::LB_IP_DUPLICATE, &rx.src, msg);
                out.push(self.related(d, &ry.src, format!("requested in cluster {other}")).cluster(&x.cluster));
            }
        }
        for ax in x.asns.iter().filter(|a| a.local) {
            if let Some(ay) = y.asns.iter().find(|a| a.local && a.value == ax.value) {
                let msg = format!("local ASN {} of {} is also the local ASN of cluster {other}; routers peering with both see one AS: give each cluster its own ASN", ax.value, ax.what);
                let d = self.diag(codes::ASN_CONFLICT, &ax.src, msg).severity(Severity::Warning);
                out.push(self.related(d, &ay.src, format!("local ASN in cluster {other}")).cluster(&x.cluster));
            }
        }
        for mx in &x.meshes {
            for my in &y.meshes {
                if let (Some(nx), Some(ny)) = (&mx.name, &my.name) {
                    if nx.value == ny.value {
                        let msg = format!("ClusterMesh cluster.name `{}` is also the name of cluster {other}; meshed clusters need distinct names", nx.value);
                        let d = self.diag(codes::CLUSTERMESH_NAME_DUPLICATE, &nx.src, msg);
                        out.push(
                            self.related(d, &ny.src, format!("cluster.name in cluster {other}")).cluster(&x.cluster),
                        );
                    }
                }
                if let (Some((ix, sx)), Some((iy, sy))) = (&mx.id, &my.id) {
                    if ix == iy {
                        let msg = format!("ClusterMesh cluster.id {ix} is also the id of cluster {other}; meshed clusters need distinct ids");
                        let d = self.diag(codes::CLUSTERMESH_ID_DUPLICATE, sx, msg);
                        out.push(self.related(d, sy, format!("cluster.id in cluster {other}")).cluster(&x.cluster));
                    }
                }
                for (cx, sx) in &mx.pod_cidrs {
                    if let Some((cy, sy)) =
                        my.pod_cidrs.iter().find(|(c, _)| AddrRange::of_net(c).overlaps(&AddrRange::of_net(cx)))
                    {
                        let msg = format!("pod CIDR {cx} overlaps pod CIDR {cy} of cluster {other}; routed or meshed clusters need disjoint pod CIDRs");
                        let d = self.diag(codes::POD_CIDR_OVERLAP, sx, msg);
                        out.push(self.related(d, sy, format!("pod CIDR of cluster {other}")).cluster(&x.cluster));
                    }
                }
            }
        }
        self.pod_cidrs_vs_pools(x, y, out);
    }

    /// Pod CIDRs of `x` that overlap an LB pool of `y` (the same cluster or another).
    fn pod_cidrs_vs_pools(&self, x: &ClusterNet, y: &ClusterNet, out: &mut Vec<Diagnostic>) {
        let where_ = if x.cluster == y.cluster { String::new() } else { format!(" of cluster {}", y.cluster) };
        for m in &x.meshes {
            for (c, s) in &m.pod_cidrs {
                let r = AddrRange::of_net(c);
                for p in &y.pools {
                    if let Some(b) = p.blocks.iter().find(|b| b.range.overlaps(&r)) {
                        let msg = format!("pod CIDR {c} overlaps {} {}{where_} (block {}): pods and LoadBalancer addresses would collide", p.kind.label(), p.name, b.range);
                        let d = self.diag(codes::POD_CIDR_OVERLAP, s, msg);
                        out.push(
                            self.related(d, &b.src, format!("{} {}{where_}", p.kind.label(), p.name))
                                .cluster(&x.cluster),
                        );
                    }
                }
            }
        }
    }
}

/// Both ask for the address with the same Cilium sharing key.
fn shares(a: &Request, b: &Request) -> bool {
    matches!((&a.owner.sharing_key, &b.owner.sharing_key), (Some(x), Some(y)) if x == y)
}

/// Why no enabled pool of the cluster can give `r` its address; `None` when one can.
fn why_not_served(n: &ClusterNet, r: &Request, kind: PoolKind) -> Option<String> {
    let pools: Vec<&Pool> =
        n.pools.iter().filter(|p| p.kind == kind && p.blocks.iter().any(|b| b.range.contains(r.addr))).collect();
    if pools.is_empty() {
        let names: Vec<String> = n
            .pools
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| {
                let ranges: Vec<String> = p.blocks.iter().map(|b| b.range.to_string()).collect();
                format!("{} {}", p.name, ranges.join(", "))
            })
            .collect();
        return Some(format!(
            "is outside every {} of this cluster ({}): it never gets an address",
            kind.label(),
            names.join("; ")
        ));
    }
    let mut why = Vec::new();
    for p in &pools {
        if p.disabled {
            why.push(format!("{} {} is disabled", kind.label(), p.name));
        } else if p.selector.as_ref().and_then(|s| s.selects(&r.owner)) == Some(false) {
            why.push(format!("the serviceSelector of {} {} does not select it", kind.label(), p.name));
        } else if !p.blocks.iter().filter_map(|b| p.usable(b)).any(|u| u.contains(r.addr)) {
            why.push(format!("it is the reserved first or last address of a CIDR block of {} {} (set allowFirstLastIPs: Yes to use it)", kind.label(), p.name));
        } else {
            return None;
        }
    }
    Some(format!("no enabled pool can give: {}", why.join("; ")))
}
