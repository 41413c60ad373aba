//! Hover and completion on addresses: what an address or a pool range is in each cluster
//! (its pool, who uses it, how full the pool is), and the next free addresses of a cluster's
//! pools inside an LB IP annotation, a Gateway address or `spec.loadBalancerIP`.
//! Plain data in byte offsets; reads `network` facts; no LSP.

use super::{CompletionItem, CompletionKind, Hover};
use crate::analysis::Analysis;
use crate::files::{RelPath, TextRange};
use crate::network::{self, facts, ClusterNet, PoolKind, PoolUsage};
use std::fmt::Write as _;
use std::net::IpAddr;

/// How many free addresses completion offers per pool.
const FREE_PER_POOL: usize = 5;

fn within(r: &TextRange, offset: usize) -> bool {
    r.start <= offset && offset <= r.end
}

fn fullness(u: &PoolUsage) -> String {
    format!("{} of {} used", u.used.len(), u.total)
}

/// Hover on a requested address, a pool block or a pool's name.
pub fn hover(a: &Analysis, file: &RelPath, offset: usize) -> Option<Hover> {
    let fi = a.snapshot.file_idx(file)?;
    let nets = a.network();
    let mut range: Option<TextRange> = None;
    let mut md = String::new();
    for n in nets.iter() {
        let usage = network::usage(n);
        for r in n.requests.iter().filter(|r| r.src.file == fi && within(&r.src.range, offset)) {
            range.get_or_insert(r.src.range.clone());
            let _ = writeln!(md, "**{}** in cluster `{}`, requested by {}", r.addr, n.cluster, r.owner.what);
            let mut in_pool = false;
            for u in usage.iter().filter(|u| u.used.contains_key(&r.addr)) {
                in_pool = true;
                let _ = writeln!(md, "- {} `{}`: {}", u.pool.kind.label(), u.pool.name, fullness(u));
            }
            if !in_pool {
                let _ = writeln!(md, "- in no pool of this cluster");
            }
            let others: Vec<&str> = n
                .requests
                .iter()
                .filter(|o| o.addr == r.addr && o.owner.obj != r.owner.obj)
                .map(|o| o.owner.what.as_str())
                .collect();
            if !others.is_empty() {
                let _ = writeln!(md, "- also requested by {}", others.join(", "));
            }
            md.push('\n');
        }
        for u in &usage {
            let p = u.pool;
            let on_name = p.at.file == fi && within(&p.at.range, offset);
            for b in p.blocks.iter().filter(|b| on_name || (b.src.file == fi && within(&b.src.range, offset))) {
                range.get_or_insert(if on_name { p.at.range.clone() } else { b.src.range.clone() });
                let _ = writeln!(
                    md,
                    "**{} `{}`** in cluster `{}`: block {}; pool {}",
                    p.kind.label(),
                    p.name,
                    n.cluster,
                    b.range,
                    fullness(u)
                );
                if p.disabled {
                    let _ = writeln!(md, "- disabled: no new allocations");
                }
                if let Some(x) = p.usable(b).filter(|x| *x != b.range) {
                    let _ = writeln!(
                        md,
                        "- hands out {x} (first and last address reserved; `allowFirstLastIPs: Yes` to use them)"
                    );
                }
                for (addr, reqs) in u.used.iter().filter(|(ad, _)| b.range.contains(**ad)) {
                    let who: Vec<&str> = reqs.iter().map(|r| r.owner.what.as_str()).collect();
                    let _ = writeln!(md, "- {addr}: {}", who.join(", "));
                }
                let free: Vec<String> =
                    u.next_free(3).iter().filter(|ad| b.range.contains(**ad)).map(IpAddr::to_string).collect();
                if !free.is_empty() {
                    let _ = writeln!(md, "- next free: {}", free.join(", "));
                }
                md.push('\n');
                if on_name {
                    break;
                }
            }
        }
    }
    Some(Hover { range: range?, markdown: md.trim_end().to_string() })
}

/// Where a requested address is being typed: which pools can serve it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Cilium,
    MetalLb,
    Any,
}

/// Completion of free addresses inside an LB IP annotation value, a Gateway address value
/// or `spec.loadBalancerIP`.
pub fn completion(a: &Analysis, file: &RelPath, offset: usize) -> Vec<CompletionItem> {
    let snap = &*a.snapshot;
    let Some(fi) = snap.file_idx(file) else { return Vec::new() };
    let f = snap.file(fi);
    let Some(offset) = (offset <= f.text.len() && f.text.is_char_boundary(offset)).then_some(offset) else {
        return Vec::new();
    };
    let line_start = f.line_index.line_start(f.line_index.line_of(offset));
    let before = &f.text[line_start..offset];
    let body = before.trim_start().trim_start_matches("- ");
    let Some((key, value)) = body.split_once(':') else { return Vec::new() };
    let key = key.trim().trim_matches(['"', '\'']);
    let kind_here = || {
        let doc = f.yaml.documents.iter().position(|d| d.range.start <= offset && offset <= d.range.end)?;
        f.objects.iter().find(|o| o.doc == doc).map(|o| o.kind.clone())
    };
    let want = if facts::CILIUM_IPS.contains(&key) {
        Want::Cilium
    } else if key == facts::METALLB_IPS {
        Want::MetalLb
    } else if key == "value" && kind_here().as_deref() == Some("Gateway") {
        Want::Cilium
    } else if key == "loadBalancerIP" && kind_here().as_deref() == Some("Service") {
        Want::Any
    } else {
        return Vec::new();
    };
    // The partial address: after the last comma, without quotes and spaces.
    let value_start = offset - value.len();
    let cut = value.rfind([',', '"', '\'']).map_or(0, |i| i + 1);
    let lead = value[cut..].len() - value[cut..].trim_start().len();
    let replace = value_start + cut + lead..offset;
    let typed = &f.text[replace.clone()];
    let clusters: Vec<&str> = a
        .project
        .clusters
        .iter()
        .enumerate()
        .filter(|(ci, _)| a.derived.placed[fi as usize].iter().any(|(c, _)| *c as usize == *ci))
        .map(|(_, c)| c)
        .map(|c| c.name.as_str())
        .collect();
    let all = a.network();
    let nets: Vec<&ClusterNet> = all.iter().filter(|n| clusters.contains(&n.cluster.as_str())).collect();
    let mut items: Vec<CompletionItem> = Vec::new();
    for (ci, n) in nets.iter().enumerate() {
        for u in network::usage(n) {
            let ok = match want {
                Want::Cilium => u.pool.kind == PoolKind::Cilium,
                Want::MetalLb => u.pool.kind == PoolKind::MetalLb,
                Want::Any => true,
            };
            if !ok || u.pool.disabled {
                continue;
            }
            for (i, addr) in u.next_free(FREE_PER_POOL).into_iter().enumerate() {
                let label = addr.to_string();
                if !label.starts_with(typed) {
                    continue;
                }
                let where_ = format!("{}: free in {} ({})", n.cluster, u.pool.name, fullness(&u));
                match items.iter_mut().find(|it| it.label == label) {
                    Some(it) => {
                        let d = it.detail.get_or_insert_with(String::new);
                        d.push_str(" · ");
                        d.push_str(&where_);
                    }
                    None => items.push(CompletionItem {
                        label,
                        kind: CompletionKind::Value,
                        detail: Some(where_),
                        documentation: Some(format!(
                            "Next free address of {} `{}` in cluster `{}`.",
                            u.pool.kind.label(),
                            u.pool.name,
                            n.cluster
                        )),
                        insert_text: None,
                        replace: replace.clone(),
                        sort: Some(format!("{ci:03}{i:03}")),
                    }),
                }
            }
        }
    }
    items
}
