//! Hover, go to definition, find references and rename, as plain data.
//!
//! Owns: turning what `locate` finds under the cursor into per-cluster answers. Every answer
//! is computed from the `Analysis` (its clusters, placements and bindings) and the shared
//! `locate::Index`; nothing here reads the disk or knows LSP. A Secret's value is never put
//! in any answer: only where it comes from.
//!
//! Variable references and rename work by name across the repository: every `${NAME}` in
//! an object that some cluster substitutes (or that no cluster applies yet), and every
//! definition of NAME that a Flux Kustomization reads (substituteFrom keys and
//! `postBuild.substitute`). That is what a rename must touch to keep every cluster working.

use super::locate::{self, DefKind, Index, Located, Ref, RefRole, Target, VarDef, What};
use super::render;
use super::{Hover, NavTarget, TextEdit};
use crate::analysis::Analysis;
use crate::files::{RelPath, TextRange};
use crate::model::KustomizeFile;
use crate::project::{Cluster, Loc, ObjLoc, Placed, Value};
use crate::snapshot::{FileIdx, Snapshot};
use crate::subst;
use crate::yaml::Node;
use std::collections::BTreeMap;
use std::fmt::Write as _;

// ---------------------------------------------------------------------------------------
// Hover.

/// Markdown for what is under the cursor.
pub fn hover(a: &Analysis, file: &RelPath, offset: usize) -> Option<Hover> {
    // On a `${VAR}` that gives an address, both the variable and the address matter.
    match (hover_located(a, file, offset), crate::ide::network::hover(a, file, offset)) {
        (Some(mut h), Some(net)) => {
            h.markdown.push_str("\n\n---\n\n");
            h.markdown.push_str(&net.markdown);
            Some(h)
        }
        (Some(h), None) | (None, Some(h)) => Some(h),
        (None, None) => crate::schema::hover_key(a, file, offset),
    }
}

/// Hover on what `locate` finds: variables, references, paths, objects.
fn hover_located(a: &Analysis, file: &RelPath, offset: usize) -> Option<Hover> {
    let idx = Index::of(a);
    let loc = locate::at_with(a, &idx, file, offset)?;
    let markdown = match &loc.what {
        What::VarUse { expr } => hover_var_use(a, &idx, &loc, expr),
        What::VarDef { def } => hover_var_def(a, &idx, &idx.defs[*def]),
        What::Ref(r) => hover_ref(a, &idx, loc.obj?, r),
        What::FluxPath { raw } => hover_flux_path(a, &idx, loc.obj?, raw),
        What::FluxComponent { raw } => {
            hover_folders(a, &format!("component `{raw}`"), flux_component_dirs(a, &idx, loc.obj?, raw), false)
        }
        What::KustomizeEntry { raw, .. } if crate::model::is_remote(raw) => {
            format!("remote `{}`: recorded, never fetched; the objects it holds are not analysed", md_code_inner(raw))
        }
        What::KustomizeEntry { raw, component } => {
            let dir = a.snapshot.file(loc.file).path.parent();
            let what = if *component { "component" } else { "resource" };
            hover_folders(
                a,
                &format!("{what} `{raw}`"),
                dir.join(raw).map(|p| vec![(None, p)]).unwrap_or_default(),
                false,
            )
        }
        What::Kind | What::Name => hover_object(a, &idx, loc.obj?),
        What::InKustomization => return None,
    };
    Some(Hover { range: loc.range, markdown })
}

fn hover_var_use(a: &Analysis, idx: &Index, loc: &Located, expr: &subst::Expr) -> String {
    let snap = &*a.snapshot;
    let f = snap.file(loc.file);
    let name = &expr.name;
    let mut md = format!("`${{{name}}}`");
    let text = &f.text[expr.range.clone()];
    // Inside a Secret's value, its text (a default, an alternative) is secret too.
    let in_secret = render::in_secret(&render::secret_spans(f), &expr.range);
    if expr.op != subst::Op::Plain {
        if in_secret {
            md.push_str(" in a Secret's value (its text is not shown)");
        } else {
            let _ = write!(md, " in `{}`", md_code_inner(text));
        }
    }
    md.push_str("\n\n");
    let Some(obj) = loc.obj else { return md };
    let rows = var_rows(a, idx, obj, expr, text, in_secret);
    if rows.is_empty() {
        md.push_str("Not applied by any cluster: no Flux Kustomization builds this object, so nothing substitutes it.");
        return md;
    }
    md.push_str("| cluster | value | source |\n| --- | --- | --- |\n");
    for r in rows {
        let _ = writeln!(md, "| {} | {} | {} |", r.label, r.value, r.source);
    }
    md
}

struct Row {
    label: String,
    value: String,
    source: String,
}

/// One row per cluster (per Flux Kustomization when they disagree within a cluster).
fn var_rows(a: &Analysis, idx: &Index, obj: ObjLoc, expr: &subst::Expr, expr_text: &str, in_secret: bool) -> Vec<Row> {
    let snap = &*a.snapshot;
    let o = &snap.file(obj.file).objects[obj.obj as usize];
    let mut per: Vec<(u32, u32, String, String)> = Vec::new();
    for &(ci, pi) in idx.placements_of(obj) {
        let c = &a.project.clusters[ci as usize];
        let pl = &c.placements[pi as usize];
        let ks = &c.kss[pl.ks as usize];
        if per.iter().any(|(c2, k2, _, _)| *c2 == ci && *k2 == pl.ks) {
            continue;
        }
        let (value, source) = if pl.subst_disabled || o.subst_disabled {
            ("not substituted (`kustomize.toolkit.fluxcd.io/substitute: disabled`)".to_string(), String::new())
        } else if !ks.bindings.enabled {
            (format!("not substituted: Flux Kustomization {} has no `postBuild`", ks.id), String::new())
        } else {
            var_state(snap, c, pl.ks, expr, expr_text, in_secret)
        };
        per.push((ci, pl.ks, value, source));
    }
    let mut rows = Vec::new();
    for (i, (ci, ki, value, source)) in per.iter().enumerate() {
        let c = &a.project.clusters[*ci as usize];
        let differs =
            per.iter().enumerate().any(|(j, (c2, _, v2, s2))| j != i && c2 == ci && (v2 != value || s2 != source));
        let dup = per[..i].iter().any(|(c2, _, v2, s2)| c2 == ci && v2 == value && s2 == source);
        if dup {
            continue;
        }
        let label = if differs { format!("{} ({})", c.name, c.kss[*ki as usize].id.name) } else { c.name.clone() };
        rows.push(Row {
            label,
            value: value.clone(),
            source: if source.is_empty() { "—".into() } else { source.clone() },
        });
    }
    rows
}

/// The value of a variable for one Flux Kustomization, and where it comes from.
/// `in_secret`: the expression is written in a Secret's value, so its default is not shown.
fn var_state(
    snap: &Snapshot,
    c: &Cluster,
    ks: u32,
    expr: &subst::Expr,
    expr_text: &str,
    in_secret: bool,
) -> (String, String) {
    let ks = &c.kss[ks as usize];
    let b = &ks.bindings;
    let name = &expr.name;
    let default = expr.op.default_text().map(|d| match subst::eval(d, &|n| b.lookup(n)).text {
        _ if in_secret => "written in the Secret (hidden)".to_string(),
        Some(v) => md_code(&v),
        None => format!("{} (value unknown)", md_code(d)),
    });
    let source = |o: &Option<Loc>, from: &str| match (o, from.is_empty()) {
        (Some(o), true) => loc_str(snap, o),
        (Some(o), false) => format!("{} ({})", loc_str(snap, o), md_escape(from)),
        (None, _) => md_escape(from),
    };
    match b.vars.get(name) {
        Some(bd) => match &bd.value {
            Value::Known(v) if v.is_empty() && default.is_some() => {
                (format!("default: {} (set to \"\")", default.unwrap_or_default()), source(&bd.origin, &bd.from))
            }
            Value::Known(v) => {
                let mut shown = md_code(v);
                if !matches!(expr.op, subst::Op::Plain) && !expr.op.has_default() && !in_secret {
                    if let Some(out) = subst::eval(expr_text, &|n| b.lookup(n)).text {
                        if out != *v {
                            shown = format!("{shown} → {}", md_code(&out));
                        }
                    }
                }
                (shown, source(&bd.origin, &bd.from))
            }
            Value::Secret => (format!("from {} (hidden)", md_escape(&bd.from)), source(&bd.origin, "")),
            Value::Unknown => (format!("provided by {}, value unknown", md_escape(&bd.from)), source(&bd.origin, "")),
        },
        None if !b.opaque.is_empty() => {
            (format!("unknown: may come from {}", md_escape(&b.opaque.join(", "))), String::new())
        }
        None => match default {
            Some(d) => (format!("default: {d}"), String::new()),
            None if c.strict => ("**unset** (Flux fails the Kustomization)".to_string(), String::new()),
            None => ("**unset** (substituted by an empty string)".to_string(), String::new()),
        },
    }
}

fn hover_var_def(a: &Analysis, idx: &Index, d: &VarDef) -> String {
    let mut md = format!("**`{}`** — {}\n\n", d.name, def_what(d));
    match &d.value {
        Value::Known(v) => {
            let _ = writeln!(md, "value: {}\n", md_code(v));
        }
        Value::Secret => md.push_str("value: hidden (Secret)\n\n"),
        Value::Unknown => md.push_str("value: unknown (not readable from the repository)\n\n"),
    }
    // Which Flux Kustomizations read it, and where another definition wins.
    let mut by_cluster: BTreeMap<u32, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for &(ci, ki) in d.users.iter() {
        let c = &a.project.clusters[ci as usize];
        let ks = &c.kss[ki as usize];
        let e = by_cluster.entry(ci).or_default();
        match ks.bindings.vars.get(&d.name) {
            Some(b) if b.origin.as_ref() != Some(&d.loc) => e.1.push(format!("{} (by {})", ks.id.name, b.from)),
            _ => e.0.push(ks.id.name.clone()),
        }
    }
    for (ci, (reads, overridden)) in by_cluster {
        let c = &a.project.clusters[ci as usize];
        if !reads.is_empty() {
            let _ = writeln!(md, "- cluster {}: read by {}", c.name, md_escape(&list(&reads, 8)));
        }
        if !overridden.is_empty() {
            let _ = writeln!(md, "- cluster {}: overridden in {}", c.name, md_escape(&list(&overridden, 8)));
        }
    }
    let uses = var_uses(a, idx, &d.name).len();
    let _ = write!(md, "\n{uses} use{} of `${{{}}}` in the repository", if uses == 1 { "" } else { "s" }, d.name);
    md
}

fn def_what(d: &VarDef) -> String {
    match d.kind {
        DefKind::Substitute => format!("key of {}", d.from),
        DefKind::GeneratorLiteral => format!("literal of the generator of {}", d.from),
        DefKind::GeneratorEnv => format!("from the .env file of the generator of {}", d.from),
        DefKind::GeneratorFile => format!("file key of the generator of {}", d.from),
        DefKind::ExternalSecretKey => format!("key of {} (made by an ExternalSecret)", d.from),
        DefKind::SealedSecretKey => format!("key of {} (a SealedSecret)", d.from),
        DefKind::SopsSecretKey => format!("key of {} (SOPS-encrypted)", d.from),
        _ => format!("key of {}", d.from),
    }
}

fn hover_ref(a: &Analysis, idx: &Index, obj: ObjLoc, r: &Ref) -> String {
    let snap = &*a.snapshot;
    let res = locate::resolve(a, idx, obj, r);
    let mut md = format!("**{} `{}`** ({})\n\n", r.kind, r.name, r.role.field());
    let dep = r.role == RefRole::DependsOn;
    if dep {
        md.push_str("| cluster | target | path | depends on |\n| --- | --- | --- | --- |\n");
    } else {
        md.push_str("| cluster | target |\n| --- | --- |\n");
    }
    let mut first: Option<(Option<u32>, Target)> = None;
    for x in &res {
        let cluster = cluster_name(a, x.cluster);
        let shown = match &x.namespace {
            Some(ns) if !r.cluster_scoped => format!("{ns}/{}", x.name),
            _ => x.name.clone(),
        };
        let target = match x.targets.first() {
            None => format!("**not found**: no {} `{}` in this cluster", r.kind, md_escape(&shown)),
            Some(t) => {
                if first.is_none() {
                    first = Some((x.cluster, t.clone()));
                }
                let mut s = format!(
                    "`{}` in {}",
                    md_code_inner(&shown),
                    loc_str(snap, &Loc { file: t.file, range: t.focus.clone() })
                );
                if x.outside_flux {
                    s.push_str(" (not applied by Flux: created outside it)");
                }
                if x.targets.len() > 1 {
                    let _ = write!(s, " and {} more", x.targets.len() - 1);
                }
                s
            }
        };
        if dep {
            let (path, deps) = x
                .targets
                .first()
                .and_then(|t| t.obj)
                .and_then(|t| {
                    let ci = x.cluster?;
                    let &(_, ki) = idx.ks_nodes_of(t).iter().find(|(c, _)| *c == ci)?;
                    let ks = &a.project.clusters[ci as usize].kss[ki as usize];
                    let path =
                        ks.path.as_ref().map(|p| format!("`{}`", md_code_inner(&p.raw))).unwrap_or_else(|| "—".into());
                    let deps: Vec<String> = ks.depends_on.iter().map(|(d, _)| d.name.clone()).collect();
                    Some((path, if deps.is_empty() { "—".to_string() } else { md_escape(&deps.join(", ")) }))
                })
                .unwrap_or_else(|| ("—".into(), "—".into()));
            let _ = writeln!(md, "| {cluster} | {target} | {path} | {deps} |");
        } else {
            let _ = writeln!(md, "| {cluster} | {target} |");
        }
    }
    if let Some((_, t)) = first {
        let extra = ref_details(a, obj, r, &t);
        if !extra.is_empty() {
            md.push('\n');
            md.push_str(&extra);
        }
    }
    md
}

/// Facts about a reference's target that the reader wants at a glance.
fn ref_details(a: &Analysis, from: ObjLoc, r: &Ref, t: &Target) -> String {
    let snap = &*a.snapshot;
    let mut out = String::new();
    let Some(tl) = t.obj else { return out };
    let tf = snap.file(tl.file);
    let to = &tf.objects[tl.obj as usize];
    let root = tf.root(to);
    match r.role {
        RefRole::SourceRef | RefRole::ChartRef | RefRole::ChartSourceRef => {
            if let Some(url) = root.str_at(&["spec", "url"]) {
                let _ = writeln!(out, "- url: {}", md_code(url));
            }
            if let Some(reference) = root.at(&["spec", "ref"]).and_then(Node::as_map) {
                let parts: Vec<String> = reference
                    .iter()
                    .filter_map(|(k, v)| Some(format!("{} {}", k.as_str()?, md_code(v.as_str()?))))
                    .collect();
                if !parts.is_empty() {
                    let _ = writeln!(out, "- ref: {}", parts.join(", "));
                }
            }
            if let Some(ty) = root.str_at(&["spec", "type"]) {
                let _ = writeln!(out, "- type: {}", md_code(ty));
            }
            if r.role == RefRole::ChartSourceRef {
                let hr = snap.file(from.file).root(&snap.file(from.file).objects[from.obj as usize]);
                if let Some(chart) = hr.str_at(&["spec", "chart", "spec", "chart"]) {
                    let version = hr
                        .str_at(&["spec", "chart", "spec", "version"])
                        .map(|v| format!(" version {}", md_code(v)))
                        .unwrap_or_default();
                    let _ = writeln!(out, "- chart: {}{version}", md_code(chart));
                }
            }
        }
        RefRole::HelmDependsOn => {
            if let Some(c) =
                root.str_at(&["spec", "chartRef", "name"]).or_else(|| root.str_at(&["spec", "chart", "spec", "chart"]))
            {
                let _ = writeln!(out, "- chart: {}", md_code(c));
            }
            let deps: Vec<&str> = root
                .at(&["spec", "dependsOn"])
                .and_then(Node::as_seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(|d| d.str_at(&["name"]))
                .collect();
            let _ = writeln!(
                out,
                "- depends on: {}",
                if deps.is_empty() { "—".to_string() } else { md_escape(&deps.join(", ")) }
            );
        }
        RefRole::StorageClassName => {
            if let Some(p) = root.str_at(&["provisioner"]) {
                let _ = writeln!(out, "- provisioner: {}", md_code(p));
            }
            if let Some(p) = root.str_at(&["reclaimPolicy"]) {
                let _ = writeln!(out, "- reclaim policy: {}", md_code(p));
            }
            if root.str_at(&["metadata", "annotations", "storageclass.kubernetes.io/is-default-class"]) == Some("true")
            {
                out.push_str("- the cluster's default StorageClass\n");
            }
        }
        RefRole::IssuerRef => {
            let spec = root.get("spec").and_then(Node::as_map).unwrap_or(&[]);
            if let Some(ty) = spec.iter().filter_map(|(k, _)| k.as_str()).find(|k| *k != "caBundle") {
                let _ = writeln!(out, "- type: {}", md_code(ty));
            }
            if let Some(server) = root.str_at(&["spec", "acme", "server"]) {
                let _ = writeln!(out, "- ACME server: {}", md_code(server));
            }
        }
        RefRole::SecretStoreRef => {
            let providers: Vec<&str> = root
                .at(&["spec", "provider"])
                .and_then(Node::as_map)
                .unwrap_or(&[])
                .iter()
                .filter_map(|(k, _)| k.as_str())
                .collect();
            if !providers.is_empty() {
                let _ = writeln!(out, "- provider: {}", md_escape(&providers.join(", ")));
            }
        }
        RefRole::GatewayClassName => {
            if let Some(c) = root.str_at(&["spec", "controllerName"]) {
                let _ = writeln!(out, "- controller: {}", md_code(c));
            }
        }
        RefRole::ParentRef => {
            if let Some(c) = root.str_at(&["spec", "gatewayClassName"]) {
                let _ = writeln!(out, "- class: {}", md_code(c));
            }
            for l in root.at(&["spec", "listeners"]).and_then(Node::as_seq).unwrap_or(&[]).iter().take(8) {
                let field = |k: &str| l.str_at(&[k]).unwrap_or("—");
                let host = l.str_at(&["hostname"]).map(|h| format!(" {}", md_code(h))).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "- listener {}: {} {}{host}",
                    md_code(field("name")),
                    md_escape(field("protocol")),
                    md_escape(field("port"))
                );
            }
        }
        RefRole::SubstituteFrom | RefRole::ValuesFrom => {
            if let Some((_, _, e)) = crate::project::source_of_object(tf, tl.file, to) {
                let _ = writeln!(
                    out,
                    "- {} key{}{}",
                    e.vars.len(),
                    if e.vars.len() == 1 { "" } else { "s" },
                    if r.kind == "Secret" { " (values hidden)" } else { "" }
                );
            }
        }
        _ => {}
    }
    out
}

fn hover_flux_path(a: &Analysis, idx: &Index, obj: ObjLoc, raw: &str) -> String {
    let snap = &*a.snapshot;
    let nodes = idx.ks_nodes_of(obj);
    if nodes.is_empty() {
        let dirs = RelPath::new(raw.trim().trim_start_matches("./").trim_start_matches('/'))
            .map(|d| vec![(None, d)])
            .unwrap_or_default();
        return hover_folders(a, &format!("path `{raw}`"), dirs, true);
    }
    let mut md = format!("path `{}`\n\n| cluster | folder | builds |\n| --- | --- | --- |\n", md_code_inner(raw));
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for &(ci, ki) in nodes {
        let c = &a.project.clusters[ci as usize];
        let ks = &c.kss[ki as usize];
        let Some(p) = &ks.path else { continue };
        let (folder, builds) = match (&p.dir, &ks.external) {
            (_, Some(why)) => ("—".to_string(), md_escape(why)),
            (None, _) if p.leaves_repo => ("—".to_string(), "leaves the repository".to_string()),
            (None, _) => ("—".to_string(), "unknown (the path depends on a value that cannot be read)".to_string()),
            (Some(d), _) if !snap.is_dir(d) => (md_code(d.display()), "**does not exist**".to_string()),
            (Some(d), _) => {
                let mut counts: BTreeMap<String, usize> = BTreeMap::new();
                for pl in c.placements.iter().filter(|pl| pl.ks == ki) {
                    let kind = match pl.obj {
                        Placed::Object(l) => snap.file(l.file).objects[l.obj as usize].kind.clone(),
                        Placed::Generated(g) => {
                            if a.project.generated[g as usize].secret { "Secret" } else { "ConfigMap" }.to_string()
                        }
                    };
                    *counts.entry(kind).or_default() += 1;
                }
                let how = if snap.kustomization_in(d).is_some() {
                    ""
                } else {
                    " (no kustomization.yaml: every manifest below)"
                };
                (format!("{}{how}", md_code(d.display())), counts_str(&counts))
            }
        };
        let label = c.name.clone();
        match rows.iter_mut().find(|(_, f, b)| *f == folder && *b == builds) {
            Some(r) => {
                r.0.push_str(", ");
                r.0.push_str(&label);
            }
            None => rows.push((label, folder, builds)),
        }
    }
    for (c, f, b) in rows {
        let _ = writeln!(md, "| {c} | {f} | {b} |");
    }
    md
}

/// For a Flux `spec.components` entry: the folder it names in each cluster.
fn flux_component_dirs(a: &Analysis, idx: &Index, obj: ObjLoc, raw: &str) -> Vec<(Option<u32>, RelPath)> {
    let mut out: Vec<(Option<u32>, RelPath)> = Vec::new();
    for &(ci, ki) in idx.ks_nodes_of(obj) {
        let ks = &a.project.clusters[ci as usize].kss[ki as usize];
        if let Some(d) = ks.path.as_ref().and_then(|p| p.dir.as_ref()).and_then(|d| d.join(raw)) {
            out.push((Some(ci), d));
        }
    }
    if out.is_empty() {
        let f = a.snapshot.file(obj.file);
        let o = &f.objects[obj.obj as usize];
        if let Some(p) = f.root(o).str_at(&["spec", "path"]) {
            if let Some(d) = RelPath::new(p.trim().trim_start_matches("./")).and_then(|d| d.join(raw)) {
                out.push((None, d));
            }
        }
    }
    out
}

/// What folders (or files) build; `flux`: a folder without kustomization.yaml is built
/// the way Flux generates one.
fn hover_folders(a: &Analysis, title: &str, dirs: Vec<(Option<u32>, RelPath)>, flux: bool) -> String {
    let snap = &*a.snapshot;
    let mut md = format!("{}\n\n", md_escape(title));
    let mut seen: Vec<RelPath> = Vec::new();
    for (_, d) in dirs {
        if seen.contains(&d) {
            continue;
        }
        seen.push(d.clone());
        if snap.is_file(&d) {
            let n = snap.file_idx(&d).map(|fi| {
                snap.file(fi).objects.iter().fold(BTreeMap::new(), |mut m, o| {
                    *m.entry(o.kind.clone()).or_insert(0usize) += 1;
                    m
                })
            });
            let _ = writeln!(
                md,
                "- file {}: {}",
                md_code(d.display()),
                n.map(|c| counts_str(&c)).unwrap_or_else(|| "not a manifest".into())
            );
            continue;
        }
        if !snap.is_dir(&d) {
            let _ = writeln!(md, "- {} **does not exist**", md_code(d.display()));
            continue;
        }
        match snap.kustomization_in(&d) {
            Some(kfi) => {
                let kind = snap
                    .file(kfi)
                    .kustomization()
                    .and_then(|r| r.str_at(&["kind"]))
                    .unwrap_or("Kustomization")
                    .to_string();
                let mut counts = BTreeMap::new();
                count_build(snap, &d, false, &mut Vec::new(), &mut counts);
                let _ = writeln!(
                    md,
                    "- {} ({}, kind {kind}): builds {}",
                    md_code(d.display()),
                    snap.file(kfi).path.file_name(),
                    counts_str(&counts)
                );
            }
            None if flux => {
                let mut counts = BTreeMap::new();
                count_build(snap, &d, true, &mut Vec::new(), &mut counts);
                let _ = writeln!(
                    md,
                    "- {} (no kustomization.yaml: Flux applies every manifest below): {}",
                    md_code(d.display()),
                    counts_str(&counts)
                );
            }
            None => {
                let _ = writeln!(md, "- {} has no kustomization.yaml: kustomize cannot build it", md_code(d.display()));
            }
        }
    }
    md
}

/// Counts the objects a folder builds by kind (kustomize resources/components, generators;
/// `generated`: a folder without kustomization means every manifest below, as Flux does).
fn count_build(
    snap: &Snapshot,
    dir: &RelPath,
    generated: bool,
    stack: &mut Vec<RelPath>,
    counts: &mut BTreeMap<String, usize>,
) {
    if stack.contains(dir) || stack.len() > 64 {
        return;
    }
    stack.push(dir.clone());
    let add_file = |fi: FileIdx, counts: &mut BTreeMap<String, usize>| {
        for o in &snap.file(fi).objects {
            *counts.entry(o.kind.clone()).or_default() += 1;
        }
    };
    if let Some(kfi) = snap.kustomization_in(dir) {
        if let Some(root) = snap.file(kfi).kustomization() {
            let k = KustomizeFile::read(root);
            for n in k.resources.iter().chain(k.components.iter()) {
                let Some(r) = n.as_str() else { continue };
                if crate::model::is_remote(r) || r.starts_with('/') {
                    continue;
                }
                let Some(p) = dir.join(r) else { continue };
                if let Some(fi) = snap.file_idx(&p) {
                    add_file(fi, counts);
                } else if snap.is_dir(&p) {
                    count_build(snap, &p, false, stack, counts);
                }
            }
            for g in &k.generators {
                *counts.entry(if g.secret { "Secret" } else { "ConfigMap" }.to_string()).or_default() += 1;
            }
        }
    } else if generated {
        for p in snap.dirs.files_in.get(dir).into_iter().flatten() {
            if let Some(fi) = snap.file_idx(p) {
                add_file(fi, counts);
            }
        }
        for sd in snap.dirs.subdirs_in.get(dir).into_iter().flatten() {
            count_build(snap, sd, !snap.has_kustomization(sd), stack, counts);
        }
    }
    stack.pop();
}

fn counts_str(counts: &BTreeMap<String, usize>) -> String {
    if counts.is_empty() {
        return "nothing".into();
    }
    let total: usize = counts.values().sum();
    let mut v: Vec<(&String, &usize)> = counts.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let parts: Vec<String> = v.iter().map(|(k, n)| format!("{n} {k}")).collect();
    format!("{total} object{}: {}", if total == 1 { "" } else { "s" }, parts.join(", "))
}

fn hover_object(a: &Analysis, idx: &Index, obj: ObjLoc) -> String {
    let snap = &*a.snapshot;
    let f = snap.file(obj.file);
    let o = &f.objects[obj.obj as usize];
    let name = o.name.as_deref().unwrap_or("(no name)");
    let written = match &o.namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    };
    let mut md = format!("**{} {}**\n\n", o.kind, md_escape(&written));
    let pls = idx.placements_of(obj);
    if pls.is_empty() {
        md.push_str("Not applied by any cluster: no Flux Kustomization builds this file.");
        return md;
    }
    md.push_str("| cluster | applied as | through |\n| --- | --- | --- |\n");
    let mut seen: Vec<(u32, u32)> = Vec::new();
    for &(ci, pi) in pls {
        let c = &a.project.clusters[ci as usize];
        let pl = &c.placements[pi as usize];
        if seen.contains(&(ci, pl.ks)) {
            continue;
        }
        seen.push((ci, pl.ks));
        let b = &c.kss[pl.ks as usize].bindings;
        let eff = locate::apply(b, pl.subst_disabled || o.subst_disabled, name).unwrap_or_else(|| name.to_string());
        let eff = format!("{}{eff}{}", pl.name_prefix, pl.name_suffix);
        let shown = match &pl.namespace {
            Some(ns) => format!("{ns}/{eff}"),
            None => eff,
        };
        let _ = writeln!(md, "| {} | `{}` | {} |", c.name, md_code_inner(&shown), md_escape(&chain(c, pl.ks)));
    }
    md
}

/// "flux-system → infrastructure → cilium-core": the Flux Kustomizations from the cluster's
/// root down to `ks`.
pub(crate) fn chain(c: &Cluster, ks: u32) -> String {
    let mut names = Vec::new();
    let mut cur = Some(ks);
    let mut guard = 0;
    while let Some(k) = cur {
        let node = &c.kss[k as usize];
        names.push(node.id.name.clone());
        cur = node.parent;
        guard += 1;
        if guard > 1000 {
            break;
        }
    }
    names.reverse();
    names.join(" → ")
}

// ---------------------------------------------------------------------------------------
// Definition.

/// Where what is under the cursor is defined: one target per place (clusters that agree
/// share a target, named in its label).
pub fn definition(a: &Analysis, file: &RelPath, offset: usize) -> Vec<NavTarget> {
    let idx = Index::of(a);
    let Some(loc) = locate::at_with(a, &idx, file, offset) else { return Vec::new() };
    let snap = &*a.snapshot;
    let mut out = Targets::default();
    match &loc.what {
        What::VarUse { expr } => {
            let Some(obj) = loc.obj else { return Vec::new() };
            for (ci, ki) in idx.scopes_of(a, obj) {
                let c = &a.project.clusters[ci as usize];
                let Some(b) = c.kss[ki as usize].bindings.vars.get(&expr.name) else { continue };
                let Some(o) = &b.origin else { continue };
                let focus = def_focus(&idx, snap, o, &expr.name);
                out.add(snap, o.file, o.range.clone(), focus, &c.name);
            }
        }
        What::VarDef { def } => {
            let d = &idx.defs[*def];
            out.add_plain(
                snap,
                d.loc.file,
                d.loc.range.clone(),
                d.name_range.clone().unwrap_or(d.loc.range.clone()),
                None,
            );
        }
        What::Ref(r) => {
            let Some(obj) = loc.obj else { return Vec::new() };
            for x in locate::resolve(a, &idx, obj, r) {
                let label = cluster_name(a, x.cluster);
                for t in &x.targets {
                    out.add(snap, t.file, t.range.clone(), t.focus.clone(), &label);
                }
            }
        }
        What::FluxPath { .. } => {
            let Some(obj) = loc.obj else { return Vec::new() };
            let nodes = idx.ks_nodes_of(obj);
            for &(ci, ki) in nodes {
                let c = &a.project.clusters[ci as usize];
                if let Some(d) = c.kss[ki as usize].path.as_ref().and_then(|p| p.dir.clone()) {
                    folder_targets(snap, &d, true, &c.name, &mut out);
                }
            }
            if nodes.is_empty() {
                if let What::FluxPath { raw } = &loc.what {
                    if let Some(d) = RelPath::new(raw.trim().trim_start_matches("./").trim_start_matches('/')) {
                        folder_targets(snap, &d, true, "", &mut out);
                    }
                }
            }
        }
        What::FluxComponent { raw } => {
            let Some(obj) = loc.obj else { return Vec::new() };
            for (ci, d) in flux_component_dirs(a, &idx, obj, raw) {
                folder_targets(snap, &d, false, &cluster_name(a, ci), &mut out);
            }
        }
        What::KustomizeEntry { raw, .. } if crate::model::is_remote(raw) => {}
        What::KustomizeEntry { raw, .. } => {
            if let Some(d) = snap.file(loc.file).path.parent().join(raw) {
                folder_targets(snap, &d, false, "", &mut out);
            }
        }
        What::Kind | What::Name | What::InKustomization => {}
    }
    out.finish()
}

/// The range to select at a variable's definition: the name inside the key.
fn def_focus(idx: &Index, snap: &Snapshot, o: &Loc, name: &str) -> TextRange {
    idx.defs_in(o.file)
        .find(|(_, d)| d.loc == *o)
        .and_then(|(_, d)| d.name_range.clone())
        .or_else(|| locate::name_range_in(&snap.file(o.file).text, &o.range, name))
        .unwrap_or(o.range.clone())
}

/// A folder's kustomization file, a file itself, or for a Flux folder without a
/// kustomization the manifests below it.
fn folder_targets(snap: &Snapshot, d: &RelPath, flux: bool, label: &str, out: &mut Targets) {
    if let Some(fi) = snap.file_idx(d) {
        out.add(snap, fi, 0..0, 0..0, label);
        return;
    }
    if let Some(kfi) = snap.kustomization_in(d) {
        out.add(snap, kfi, 0..0, 0..0, label);
        return;
    }
    if flux && snap.is_dir(d) {
        let mut stack = vec![d.clone()];
        let mut n = 0;
        while let Some(dir) = stack.pop() {
            for p in snap.dirs.files_in.get(&dir).into_iter().flatten() {
                if let Some(fi) = snap.file_idx(p) {
                    if n < 50 {
                        out.add(snap, fi, 0..0, 0..0, label);
                        n += 1;
                    }
                }
            }
            for sd in snap.dirs.subdirs_in.get(&dir).into_iter().flatten().rev() {
                match snap.kustomization_in(sd) {
                    Some(kfi) if n < 50 => {
                        out.add(snap, kfi, 0..0, 0..0, label);
                        n += 1;
                    }
                    Some(_) => {}
                    None => stack.push(sd.clone()),
                }
            }
        }
    }
}

/// Targets without repeats; clusters sharing a target are named together in its label.
#[derive(Default)]
struct Targets {
    items: Vec<(NavTarget, Vec<String>)>,
}

impl Targets {
    fn add(&mut self, snap: &Snapshot, file: FileIdx, range: TextRange, focus: TextRange, cluster: &str) {
        let path = snap.file(file).path.clone();
        match self.items.iter_mut().find(|(t, _)| t.file == path && t.focus == focus) {
            Some((_, cs)) => {
                if !cluster.is_empty() && !cs.iter().any(|c| c == cluster) {
                    cs.push(cluster.to_string());
                }
            }
            None => {
                let cs = if cluster.is_empty() { Vec::new() } else { vec![cluster.to_string()] };
                self.items.push((NavTarget { file: path, range, focus, label: None }, cs));
            }
        }
    }
    fn add_plain(&mut self, snap: &Snapshot, file: FileIdx, range: TextRange, focus: TextRange, label: Option<String>) {
        let path = snap.file(file).path.clone();
        if !self.items.iter().any(|(t, _)| t.file == path && t.focus == focus) {
            self.items.push((NavTarget { file: path, range, focus, label }, Vec::new()));
        }
    }
    fn finish(self) -> Vec<NavTarget> {
        self.items
            .into_iter()
            .map(|(mut t, cs)| {
                if !cs.is_empty() {
                    t.label = Some(format!("{} {}", if cs.len() == 1 { "cluster" } else { "clusters" }, cs.join(", ")));
                }
                t
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// References.

/// Who uses what is under the cursor: a variable's uses (and definitions), an object's
/// referrers (dependsOn, sourceRef, substituteFrom…), a folder's includers.
pub fn references(a: &Analysis, file: &RelPath, offset: usize, include_declaration: bool) -> Vec<NavTarget> {
    let idx = Index::of(a);
    let Some(loc) = locate::at_with(a, &idx, file, offset) else { return Vec::new() };
    let snap = &*a.snapshot;
    let mut out = Targets::default();
    match &loc.what {
        What::VarUse { expr } => var_references(a, &idx, &expr.name, include_declaration, &mut out),
        What::VarDef { def } => var_references(a, &idx, &idx.defs[*def].name.clone(), include_declaration, &mut out),
        What::Kind | What::Name => {
            let Some(obj) = loc.obj else { return Vec::new() };
            let t = locate::object_target(snap.file(obj.file), obj);
            if include_declaration {
                out.add_plain(snap, t.file, t.range.clone(), t.focus.clone(), None);
            }
            referrers(a, &idx, &[t], &mut out);
        }
        What::Ref(r) => {
            let Some(obj) = loc.obj else { return Vec::new() };
            let mut targets: Vec<Target> = Vec::new();
            for x in locate::resolve(a, &idx, obj, r) {
                for t in x.targets {
                    if !targets.contains(&t) {
                        targets.push(t);
                    }
                }
            }
            if include_declaration {
                for t in &targets {
                    out.add_plain(snap, t.file, t.range.clone(), t.focus.clone(), None);
                }
            }
            if targets.is_empty() {
                // Nothing to point at: at least the reference itself.
                out.add_plain(snap, loc.file, loc.range.clone(), loc.range.clone(), None);
            }
            referrers(a, &idx, &targets, &mut out);
        }
        What::FluxPath { raw } | What::FluxComponent { raw } => {
            let Some(obj) = loc.obj else { return Vec::new() };
            let dirs: Vec<RelPath> = if matches!(loc.what, What::FluxPath { .. }) {
                idx.ks_nodes_of(obj)
                    .iter()
                    .filter_map(|&(ci, ki)| a.project.clusters[ci as usize].kss[ki as usize].path.as_ref()?.dir.clone())
                    .collect()
            } else {
                flux_component_dirs(a, &idx, obj, raw).into_iter().map(|(_, d)| d).collect()
            };
            includers(snap, &idx, &dirs, include_declaration, &mut out);
        }
        What::KustomizeEntry { raw, .. } => {
            let dirs: Vec<RelPath> = snap.file(loc.file).path.parent().join(raw).into_iter().collect();
            includers(snap, &idx, &dirs, include_declaration, &mut out);
        }
        What::InKustomization => {
            let dirs = vec![snap.file(loc.file).path.parent()];
            includers(snap, &idx, &dirs, include_declaration, &mut out);
        }
    }
    out.finish()
}

fn includers(snap: &Snapshot, idx: &Index, dirs: &[RelPath], include_declaration: bool, out: &mut Targets) {
    for d in dirs {
        if include_declaration {
            if let Some(fi) = snap.kustomization_in(d).or_else(|| snap.file_idx(d)) {
                out.add_plain(snap, fi, 0..0, 0..0, None);
            }
        }
        for inc in idx.includers_of(d) {
            out.add_plain(snap, inc.loc.file, inc.loc.range.clone(), inc.loc.range.clone(), None);
        }
    }
}

/// Every reference in the repository that resolves to one of `targets`, in file order.
fn referrers(a: &Analysis, idx: &Index, targets: &[Target], out: &mut Targets) {
    if targets.is_empty() {
        return;
    }
    let snap = &*a.snapshot;
    // Only references to a kind the targets are known by can resolve to them.
    let mut kinds: Vec<String> = Vec::new();
    for t in targets {
        let names = match t.obj {
            Some(l) => locate::names_of(snap.file(l.file), &snap.file(l.file).objects[l.obj as usize])
                .into_iter()
                .map(|(k, _)| k)
                .collect(),
            None => vec!["ConfigMap".to_string(), "Secret".to_string()],
        };
        kinds.extend(names);
    }
    for (fi, f) in snap.files.iter().enumerate() {
        for (oi, o) in f.objects.iter().enumerate() {
            let obj = ObjLoc { file: fi as FileIdx, obj: oi as u32 };
            for (range, what) in locate::sites(o, f.root(o)) {
                let What::Ref(r) = what else { continue };
                if !kinds.contains(&r.kind) {
                    continue;
                }
                let hit =
                    locate::resolve(a, idx, obj, &r).iter().any(|x| x.targets.iter().any(|t| targets.contains(t)));
                if hit {
                    out.add_plain(snap, fi as FileIdx, range.clone(), range, None);
                }
            }
        }
    }
}

/// Uses of `${name}` that rename and references cover: in objects some cluster substitutes
/// or no cluster applies. (file, the whole `${...}`, the name).
pub(crate) fn var_uses(a: &Analysis, idx: &Index, name: &str) -> Vec<(FileIdx, TextRange, TextRange)> {
    let snap = &*a.snapshot;
    let mut out = Vec::new();
    for (fi, f) in snap.files.iter().enumerate() {
        for (oi, o) in f.objects.iter().enumerate() {
            if o.subst_sites.is_empty() || o.subst_disabled {
                continue;
            }
            let obj = ObjLoc { file: fi as FileIdx, obj: oi as u32 };
            let pls = idx.placements_of(obj);
            let substituted = pls.is_empty()
                || pls.iter().any(|&(ci, pi)| {
                    let c = &a.project.clusters[ci as usize];
                    let pl = &c.placements[pi as usize];
                    !pl.subst_disabled && c.kss[pl.ks as usize].bindings.enabled
                });
            if !substituted {
                continue;
            }
            for site in &o.subst_sites {
                for e in site.scan.all_exprs() {
                    if e.name == name {
                        out.push((fi as FileIdx, e.range.clone(), e.name_range.clone()));
                    }
                }
            }
        }
    }
    out
}

fn var_references(a: &Analysis, idx: &Index, name: &str, include_declaration: bool, out: &mut Targets) {
    let snap = &*a.snapshot;
    if include_declaration {
        for d in idx.defs_named(name) {
            out.add_plain(
                snap,
                d.loc.file,
                d.loc.range.clone(),
                d.name_range.clone().unwrap_or(d.loc.range.clone()),
                Some(d.from.clone()),
            );
        }
    }
    for (fi, range, focus) in var_uses(a, idx, name) {
        out.add_plain(snap, fi, range, focus, None);
    }
}

// ---------------------------------------------------------------------------------------
// Rename.

/// The range and current name of the variable under the cursor, or why it cannot be renamed.
pub fn prepare_rename(a: &Analysis, file: &RelPath, offset: usize) -> Result<(TextRange, String), String> {
    let idx = Index::of(a);
    let (range, name) = rename_target(a, &idx, file, offset)?;
    check_defs_editable(a, &idx, &name)?;
    Ok((range, name))
}

/// Edits that rename the variable under the cursor everywhere: each definition a Flux
/// Kustomization reads (ConfigMap/Secret keys, generator literals, postBuild.substitute) and
/// each `${NAME}` use (only the name).
pub fn rename(a: &Analysis, file: &RelPath, offset: usize, new_name: &str) -> Result<Vec<TextEdit>, String> {
    let idx = Index::of(a);
    let (_, name) = rename_target(a, &idx, file, offset)?;
    if !subst::is_valid_name(new_name) {
        return Err(format!(
            "`{new_name}` is not a valid variable name: ASCII letters, digits and `_`, not starting with a digit"
        ));
    }
    if new_name == name {
        return Ok(Vec::new());
    }
    check_defs_editable(a, &idx, &name)?;
    let snap = &*a.snapshot;
    if let Some(d) = idx.defs_named(new_name).next() {
        return Err(format!(
            "`{new_name}` is already defined ({}, {}); renaming would merge two variables",
            d.from,
            loc_str(snap, &d.loc)
        ));
    }
    let mut edits: Vec<TextEdit> = Vec::new();
    let mut push = |fi: FileIdx, range: TextRange| {
        let file = snap.file(fi).path.clone();
        if !edits.iter().any(|e| e.file == file && e.range == range) {
            edits.push(TextEdit { file, range, new_text: new_name.to_string() });
        }
    };
    for d in idx.defs_named(&name) {
        let r =
            d.name_range.clone().ok_or_else(|| format!("cannot find `{name}` written at {}", loc_str(snap, &d.loc)))?;
        push(d.loc.file, r);
    }
    for (fi, _, name_range) in var_uses(a, &idx, &name) {
        if snap.file(fi).text.get(name_range.clone()) != Some(name.as_str()) {
            return Err(format!(
                "`{name}` at {} is not written verbatim; rename it by hand",
                loc_str(snap, &Loc { file: fi, range: name_range })
            ));
        }
        push(fi, name_range);
    }
    edits.sort_by(|x, y| (&x.file, x.range.start).cmp(&(&y.file, y.range.start)));
    Ok(edits)
}

fn rename_target(a: &Analysis, idx: &Index, file: &RelPath, offset: usize) -> Result<(TextRange, String), String> {
    let loc = locate::at_with(a, idx, file, offset)
        .ok_or_else(|| "only a variable (`${NAME}` or a key that defines it) can be renamed".to_string())?;
    match &loc.what {
        What::VarUse { expr } => {
            if !subst::is_valid_name(&expr.name) {
                return Err(format!("`{}` is not a valid variable name, so nothing defines it", expr.name));
            }
            Ok((expr.name_range.clone(), expr.name.clone()))
        }
        What::VarDef { def } => {
            let d = &idx.defs[*def];
            Ok((d.name_range.clone().unwrap_or(loc.range.clone()), d.name.clone()))
        }
        _ => Err("only a variable (`${NAME}` or a key that defines it) can be renamed".to_string()),
    }
}

/// Every definition of `name` must be text we can change without breaking something.
fn check_defs_editable(a: &Analysis, idx: &Index, name: &str) -> Result<(), String> {
    let snap = &*a.snapshot;
    for d in idx.defs_named(name) {
        let at = loc_str(snap, &d.loc);
        let why = match d.kind {
            DefKind::SopsSecretKey => Some(format!("it is a key of a SOPS-encrypted Secret ({}, {at}): editing it breaks the file's MAC; rename it with `sops` and then retry", d.from)),
            DefKind::ExternalSecretKey => Some(format!("it comes from an ExternalSecret ({}, {at}): its key names may be used by templates or the secret store; rename it there by hand", d.from)),
            DefKind::SealedSecretKey => Some(format!("it is a key of a SealedSecret ({}, {at}): the encrypted data is bound to its key; reseal it with the new name", d.from)),
            DefKind::GeneratorEnv => Some(format!("it is read from a generator's .env file ({at}); rename it in that file by hand")),
            DefKind::GeneratorFile => Some(format!("it is the name of a file read by a generator ({at}); rename the file or its key by hand")),
            DefKind::Other => Some(format!("it comes from {} ({at}), which cannot be edited safely", d.from)),
            _ if d.name_range.is_none() => Some(format!("`{name}` is not written verbatim at {at}")),
            _ => None,
        };
        if let Some(why) = why {
            return Err(format!("cannot rename `{name}`: {why}"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Formatting.

pub(crate) fn cluster_name(a: &Analysis, c: Option<u32>) -> String {
    match c {
        Some(c) => a.project.clusters[c as usize].name.clone(),
        None => "(no cluster)".into(),
    }
}

/// `path:line` (1-based line).
pub(crate) fn loc_str(snap: &Snapshot, l: &Loc) -> String {
    let f = snap.file(l.file);
    format!("{}:{}", f.path, f.line_index.line_of(l.range.start.min(f.text.len())) + 1)
}

fn list(items: &[String], max: usize) -> String {
    if items.len() <= max {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..max].join(", "), items.len() - max)
    }
}

/// A value as inline code, shortened, on one line, safe inside a table.
pub(crate) fn md_code(v: &str) -> String {
    if v.is_empty() {
        return "`\"\"` (empty)".into();
    }
    let inner = md_code_inner(v);
    if inner.contains('`') {
        format!("`` {inner} ``")
    } else {
        format!("`{inner}`")
    }
}

pub(crate) fn md_code_inner(v: &str) -> String {
    let one_line: String = v.replace('\r', "").replace('\n', "⏎");
    let mut s: String = one_line.chars().take(80).collect();
    if one_line.chars().count() > 80 {
        s.push('…');
    }
    s.replace('|', "\\|")
}

pub(crate) fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

pub(crate) fn value_short(v: &Value) -> String {
    match v {
        Value::Known(s) => {
            let one: String = s.replace('\n', "⏎");
            let mut t: String = one.chars().take(40).collect();
            if one.chars().count() > 40 {
                t.push('…');
            }
            if t.is_empty() {
                "\"\"".into()
            } else {
                t
            }
        }
        Value::Secret => "(secret)".into(),
        Value::Unknown => "(unknown)".into(),
    }
}
