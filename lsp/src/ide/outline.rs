//! The shape of files and of the repository: document and workspace symbols, document links
//! on paths, inlay hints after `${VAR}` and code lenses on Flux Kustomizations.
//!
//! Owns: turning parsed documents, builds and bindings into `Symbol`, `DocumentLink`,
//! `InlayHint` and `CodeLens`. Pure functions of an `Analysis`; byte offsets; no LSP.
//! Never shows a Secret's value: Secret data, `secretGenerator` entries, a `sops:` block and
//! SOPS-encrypted values get no value detail, and variables from Secrets (and defaults
//! written in a Secret's value) read `(secret)`.
//!
//! Choices:
//! - a folder links to its kustomization file; a Flux `spec.path` folder without one (Flux
//!   then applies every manifest below it) links to its first manifest, and the tooltip says
//!   so; a kustomize entry naming a folder without one (kustomize fails) gets no link;
//! - when clusters resolve a `spec.path` differently (`./apps/${CLUSTER}`), the link opens
//!   the first cluster's folder and the tooltip lists each cluster's;
//! - URLs, absolute paths, paths leaving the repository and missing targets get no link.

use super::render::{self, applied, substitution_off, Applied, Resolved, Vars};
use super::{CodeLens, DocumentLink, InlayHint, Symbol, SymbolKind};
use crate::analysis::Analysis;
use crate::files::{RelPath, TextRange, Unreadable};
use crate::model::{self, FileModel, FluxKs, KustomizeFile, Object};
use crate::project::{NsName, ObjLoc, Placed};
use crate::snapshot::FileIdx;
use crate::yaml::{Node, NodeKind};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::{BTreeMap, BTreeSet};

/// Levels of keys shown below an object in the document outline.
const KEY_DEPTH: usize = 4;
/// Workspace symbols returned at most.
pub const WORKSPACE_SYMBOL_LIMIT: usize = 200;
/// Characters of a value shown in a symbol detail or an inlay hint.
const PREVIEW_CHARS: usize = 40;

const SOURCE_KINDS: [&str; 4] = ["GitRepository", "OCIRepository", "HelmRepository", "Bucket"];

fn symbol_kind(o: &Object) -> SymbolKind {
    if o.is_flux_ks() {
        SymbolKind::Kustomization
    } else if o.is("helm.toolkit.fluxcd.io", "HelmRelease") {
        SymbolKind::HelmRelease
    } else if o.group() == "source.toolkit.fluxcd.io" && SOURCE_KINDS.contains(&o.kind.as_str()) {
        SymbolKind::Source
    } else {
        SymbolKind::Object
    }
}

fn contains(outer: &TextRange, inner: &TextRange) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// A value's first line, cut to `max` characters.
fn preview(v: &str, max: usize) -> String {
    let first = v.lines().next().unwrap_or("");
    let more = first.len() < v.trim_end_matches('\n').len();
    let mut s: String = first.chars().filter(|c| !c.is_control()).take(max).collect();
    if more || first.chars().count() > max {
        s.push('…');
    }
    s
}

// ---------------------------------------------------------------------------------------
// Document symbols.

/// Files with more documents than this get one symbol per object, without its keys: the
/// keys of a generated 10,000-document file make an outline of tens of megabytes (and the
/// server's reply hundreds).
const KEYS_UP_TO_DOCUMENTS: usize = 1000;

/// The outline of a file: one symbol per object (`Kind name`, namespace as detail) with its
/// keys below it (maps and list items that are maps, `KEY_DEPTH` levels, unless the file has
/// more than `KEYS_UP_TO_DOCUMENTS` documents); for documents that are not objects (a
/// kustomization.yaml), their top-level keys.
pub fn document_symbols(a: &Analysis, file: &RelPath) -> Vec<Symbol> {
    let Some(fi) = a.snapshot.file_idx(file) else { return Vec::new() };
    let f = a.snapshot.file(fi);
    let obj_of_doc: FxHashMap<usize, usize> = f.objects.iter().enumerate().map(|(i, o)| (o.doc, i)).collect();
    let applied = applied(a, fi);
    let many = f.yaml.documents.len() > KEYS_UP_TO_DOCUMENTS;
    let mut out = Vec::new();
    for (di, doc) in f.yaml.documents.iter().enumerate() {
        let Some(root) = &doc.root else { continue };
        let Some(&oi) = obj_of_doc.get(&di) else {
            out.extend(key_symbols(f, root, 1, false, false));
            continue;
        };
        let o = &f.objects[oi];
        let range = doc.range.start.min(root.range.start)..doc.range.end.max(root.range.end);
        let focus = [root.at(&["metadata", "name"]), root.get("kind")]
            .into_iter()
            .flatten()
            .map(|n| n.range.clone())
            .find(|r| contains(&range, r) && !r.is_empty())
            .unwrap_or(root.range.start..root.range.start);
        // The namespace as written, else the one the build gives it when all places agree.
        let detail = o.namespace.clone().or_else(|| {
            let mut ns =
                applied[oi].iter().map(|x| a.project.clusters[x.cluster].placements[x.placement].namespace.clone());
            let first = ns.next()??;
            ns.all(|n| n.as_deref() == Some(&*first)).then(|| first.to_string())
        });
        out.push(Symbol {
            name: match &o.name {
                Some(n) => format!("{} {n}", o.kind),
                None => o.kind.clone(),
            },
            detail,
            kind: symbol_kind(o),
            file: file.clone(),
            range,
            focus,
            children: if many { Vec::new() } else { key_symbols(f, root, 1, false, o.is("", "Secret")) },
        });
    }
    out
}

/// The keys of a map (and the map items of its lists), `depth` levels deep so far.
/// `secret`: never show values (below a Secret's data or stringData, a secretGenerator);
/// `secret_object`: the map is a Secret's root.
fn key_symbols(f: &FileModel, node: &Node, depth: usize, secret: bool, secret_object: bool) -> Vec<Symbol> {
    let Some(entries) = node.as_map() else { return Vec::new() };
    let mut out = Vec::new();
    for (k, v) in entries {
        // Entries spliced in by a merge key or an alias point at the anchor's text.
        if !contains(&node.range, &k.range) {
            continue;
        }
        let name = match k.as_str() {
            Some(s) => s.to_string(),
            None => preview(&f.text[k.range.clone()], PREVIEW_CHARS),
        };
        let secret = secret
            || (f.is_kustomization && depth == 1 && name == "secretGenerator")
            || (secret_object && depth == 1 && (name == "data" || name == "stringData"))
            || (depth == 1 && name == "sops");
        let detail = match &v.kind {
            NodeKind::Scalar(_) if secret => None,
            NodeKind::Scalar(s) if crate::project::is_sops_encrypted(&s.value) => None,
            NodeKind::Scalar(s) if v.is_null() && s.value.is_empty() => None,
            NodeKind::Scalar(s) => {
                Some(if s.value.is_empty() { "\"\"".to_string() } else { preview(&s.value, PREVIEW_CHARS) })
            }
            NodeKind::Seq(items) => {
                Some(if items.len() == 1 { "1 item".to_string() } else { format!("{} items", items.len()) })
            }
            NodeKind::Map(_) => None,
        };
        let range = k.range.start..k.range.end.max(v.range.end);
        let children = if depth >= KEY_DEPTH {
            Vec::new()
        } else {
            match &v.kind {
                NodeKind::Map(_) if contains(&range, &v.range) => key_symbols(f, v, depth + 1, secret, false),
                NodeKind::Seq(items) if contains(&range, &v.range) => items
                    .iter()
                    .enumerate()
                    .filter(|(_, it)| it.as_map().is_some() && contains(&v.range, &it.range))
                    .map(|(i, it)| Symbol {
                        name: it.str_at(&["name"]).map_or_else(|| format!("[{i}]"), |n| preview(n, PREVIEW_CHARS)),
                        detail: None,
                        kind: SymbolKind::Key,
                        file: f.path.clone(),
                        range: it.range.clone(),
                        focus: it.range.start..it.range.start,
                        children: key_symbols(f, it, depth + 1, secret, false),
                    })
                    .collect(),
                _ => Vec::new(),
            }
        };
        out.push(Symbol {
            name,
            detail,
            kind: SymbolKind::Key,
            file: f.path.clone(),
            range,
            focus: k.range.clone(),
            children,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------
// Workspace symbols.

/// How well `name` matches a lower-case query: exact, prefix, substring, then the query's
/// letters in order (fuzzy). `None`: no match.
fn match_rank(query: &str, name: &str) -> Option<u8> {
    if query.is_empty() {
        return Some(0);
    }
    let n = name.to_lowercase();
    if n == query {
        Some(0)
    } else if n.starts_with(query) {
        Some(1)
    } else if n.contains(query) {
        Some(2)
    } else {
        let mut it = n.chars();
        query.chars().all(|q| it.any(|c| c == q)).then_some(3)
    }
}

fn cluster_list(a: &Analysis, clusters: &BTreeSet<usize>) -> String {
    if clusters.is_empty() {
        "no cluster".to_string()
    } else {
        clusters.iter().map(|&c| a.project.clusters[c].name.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// Flux Kustomizations, HelmReleases, Flux sources and variables (substituteFrom keys and
/// postBuild.substitute entries that some cluster uses) whose name matches `query`
/// (case-insensitive: exact, prefix, substring, then fuzzy), best first (on a tie: Flux
/// Kustomizations, HelmReleases, sources, variables; then by name), at most
/// `WORKSPACE_SYMBOL_LIMIT`. The detail names the kind or source and the clusters.
pub fn workspace_symbols(a: &Analysis, query: &str) -> Vec<Symbol> {
    let q = query.trim().to_lowercase();
    let snap = &*a.snapshot;
    let mut clusters_of: FxHashMap<ObjLoc, BTreeSet<usize>> = FxHashMap::default();
    for (ci, c) in a.project.clusters.iter().enumerate() {
        for pl in &c.placements {
            if let Placed::Object(l) = pl.obj {
                clusters_of.entry(l).or_default().insert(ci);
            }
        }
    }
    let mut found: Vec<(u8, Symbol)> = Vec::new();
    for (fi, f) in snap.files.iter().enumerate() {
        for (oi, o) in f.objects.iter().enumerate() {
            let kind = symbol_kind(o);
            if kind == SymbolKind::Object {
                continue;
            }
            let Some(name) = &o.name else { continue };
            let Some(rank) = match_rank(&q, name) else { continue };
            let root = f.root(o);
            let doc = &f.yaml.documents[o.doc];
            let range = doc.range.start.min(root.range.start)..doc.range.end.max(root.range.end);
            let focus = root.at(&["metadata", "name"]).map_or(range.start..range.start, |n| n.range.clone());
            let l = ObjLoc { file: fi as FileIdx, obj: oi as u32 };
            let clusters = clusters_of.get(&l).cloned().unwrap_or_default();
            let ns = o.namespace.as_deref().map(|n| format!(" {n}")).unwrap_or_default();
            found.push((
                rank,
                Symbol {
                    name: name.clone(),
                    detail: Some(format!("{}{ns} · {}", o.kind, cluster_list(a, &clusters))),
                    kind,
                    file: f.path.clone(),
                    range,
                    focus,
                    children: Vec::new(),
                },
            ));
        }
    }
    // Variables, once per place they are defined.
    struct VarDef {
        name: String,
        from: String,
        clusters: BTreeSet<usize>,
    }
    let mut vars: BTreeMap<(FileIdx, usize, usize), VarDef> = BTreeMap::new();
    for (ci, c) in a.project.clusters.iter().enumerate() {
        for ks in &c.kss {
            for (name, b) in &ks.bindings.vars {
                let Some(o) = &b.origin else { continue };
                let e = vars.entry((o.file, o.range.start, o.range.end)).or_insert_with(|| VarDef {
                    name: name.clone(),
                    from: b.from.clone(),
                    clusters: BTreeSet::new(),
                });
                e.clusters.insert(ci);
            }
        }
    }
    for ((file, start, end), VarDef { name, from, clusters }) in vars {
        let Some(rank) = match_rank(&q, &name) else { continue };
        found.push((
            rank,
            Symbol {
                name,
                detail: Some(format!("{from} · {}", cluster_list(a, &clusters))),
                kind: SymbolKind::Variable,
                file: snap.file(file).path.clone(),
                range: start..end,
                focus: start..end,
                children: Vec::new(),
            },
        ));
    }
    // Best match first; on a tie, objects before variables, then by name.
    let kind_order = |k: SymbolKind| match k {
        SymbolKind::Kustomization => 0,
        SymbolKind::HelmRelease => 1,
        SymbolKind::Source => 2,
        _ => 3,
    };
    found.sort_by_cached_key(|(rank, s)| {
        (*rank, kind_order(s.kind), s.name.to_lowercase(), s.file.clone(), s.range.start)
    });
    found.truncate(WORKSPACE_SYMBOL_LIMIT);
    found.into_iter().map(|(_, s)| s).collect()
}

// ---------------------------------------------------------------------------------------
// Document links.

/// The range inside quotes, for a scalar written quoted.
fn unquoted(text: &str, r: &TextRange) -> TextRange {
    let s = &text[r.clone()];
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        r.start + 1..r.end - 1
    } else {
        r.clone()
    }
}

/// What a folder link opens: its kustomization file; for a Flux path without one, the first
/// manifest below it (Flux applies them all).
fn folder_target(a: &Analysis, dir: &RelPath, flux: bool) -> Option<(RelPath, String)> {
    let snap = &*a.snapshot;
    if let Some(k) = snap.kustomization_in(dir) {
        let p = snap.file(k).path.clone();
        let how = format!("opens its {}", p.file_name());
        return Some((p, how));
    }
    if !flux || !snap.is_dir(dir) {
        return None;
    }
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        if let Some(first) = snap
            .dirs
            .files_in
            .get(&d)
            .and_then(|fs| fs.iter().find(|p| snap.file_idx(p).is_some_and(|i| !snap.file(i).objects.is_empty())))
        {
            return Some((
                first.clone(),
                "no kustomization file: Flux applies every manifest below it; opens the first".to_string(),
            ));
        }
        if let Some(subs) = snap.dirs.subdirs_in.get(&d) {
            stack.extend(subs.iter().rev().cloned());
        }
    }
    None
}

/// Links on the paths of a file: a Flux Kustomization's `spec.path` and `spec.components`; a
/// kustomization's `resources`, `components`, patch files and generator files.
pub fn document_links(a: &Analysis, file: &RelPath) -> Vec<DocumentLink> {
    let Some(fi) = a.snapshot.file_idx(file) else { return Vec::new() };
    let f = a.snapshot.file(fi);
    let mut out = if let Some(root) = f.kustomization() { kustomize_links(a, f, root) } else { flux_links(a, fi) };
    out.sort_by_key(|l| (l.range.start, l.range.end));
    out.dedup_by(|x, y| x.range == y.range);
    out
}

fn kustomize_links(a: &Analysis, f: &FileModel, root: &Node) -> Vec<DocumentLink> {
    let snap = &*a.snapshot;
    let k = KustomizeFile::read(root);
    let dir = f.path.parent();
    let mut out = Vec::new();
    // A path relative to the kustomization, if it names something readable in the repository.
    let resolve = |r: &str| -> Option<RelPath> {
        if model::is_remote(r) || r.starts_with('/') || r.contains(":\\") {
            return None;
        }
        let p = dir.join(r)?;
        (!matches!(snap.unreadable.get(&p), Some(Unreadable::LinkOutsideRepo))).then_some(p)
    };
    let entries = k.resources.iter().map(|n| (*n, "resource")).chain(k.components.iter().map(|n| (*n, "component")));
    for (n, what) in entries {
        let Some(p) = n.as_str().and_then(&resolve) else { continue };
        let (target, tooltip) = if snap.is_file(&p) {
            (p.clone(), format!("{what}: {p}"))
        } else if let Some((t, how)) = folder_target(a, &p, false) {
            (t, format!("{what}: folder {p} ({how})"))
        } else {
            continue;
        };
        out.push(DocumentLink { range: unquoted(&f.text, &n.range), target, tooltip: Some(tooltip) });
    }
    for p in &k.patches {
        let Some(n) = p.path else { continue };
        let Some(r) = n.as_str() else { continue };
        if r.contains('\n') || r.contains(": ") {
            continue; // inline patch
        }
        if let Some(t) = resolve(r).filter(|t| snap.is_file(t)) {
            out.push(DocumentLink {
                range: unquoted(&f.text, &n.range),
                tooltip: Some(format!("patch: {t}")),
                target: t,
            });
        }
    }
    for n in &k.file_refs {
        let Some(r) = n.as_str() else { continue };
        let (key_len, path) = match r.split_once('=') {
            Some((key, p)) => (key.len() + 1, p),
            None => (0, r),
        };
        let Some(t) = resolve(path).filter(|t| snap.is_file(t)) else { continue };
        let mut range = unquoted(&f.text, &n.range);
        // `key=path`: the link covers the path, when the source text is the value as written.
        if key_len > 0 && f.text[range.clone()] == *r {
            range.start += key_len;
        }
        out.push(DocumentLink { range, tooltip: Some(format!("generator file: {t}")), target: t });
    }
    out
}

fn flux_links(a: &Analysis, fi: FileIdx) -> Vec<DocumentLink> {
    let snap = &*a.snapshot;
    let f = snap.file(fi);
    let text = &*f.text;
    // Range -> (cluster name, target, what, how).
    type Target = (String, RelPath, String, String);
    let mut found: BTreeMap<(usize, usize), Vec<Target>> = BTreeMap::new();
    for (oi, o) in f.objects.iter().enumerate() {
        if !o.is_flux_ks() {
            continue;
        }
        let l = ObjLoc { file: fi, obj: oi as u32 };
        let mut seen_anywhere = false;
        for c in &a.project.clusters {
            for ks in c.kss.iter().filter(|k| k.obj == Some(l)) {
                seen_anywhere = true;
                if ks.external.is_some() {
                    continue;
                }
                let Some(path) = &ks.path else { continue };
                let Some(dir) = &path.dir else { continue };
                if let Some(at) = path.at.as_ref().filter(|at| at.file == fi) {
                    if let Some((t, how)) = folder_target(a, dir, true) {
                        found.entry((at.range.start, at.range.end)).or_default().push((
                            c.name.clone(),
                            t,
                            format!("spec.path: folder {dir}"),
                            how,
                        ));
                    }
                }
                for (comp, at) in &ks.components {
                    let Some(at) = at.as_ref().filter(|at| at.file == fi) else { continue };
                    let Some(p) = dir.join(comp) else { continue };
                    if let Some((t, how)) = folder_target(a, &p, false) {
                        found.entry((at.range.start, at.range.end)).or_default().push((
                            c.name.clone(),
                            t,
                            format!("component: folder {p}"),
                            how,
                        ));
                    }
                }
            }
        }
        if seen_anywhere {
            continue;
        }
        // Applied by no cluster: resolve against the repository root, when it is this repository.
        let ks = FluxKs::read(f.root(o));
        let in_repo = ks.source_ref.is_none_or(|s| {
            s.kind.and_then(Node::as_str).unwrap_or("GitRepository") == "GitRepository"
                && s.name.as_str() == Some("flux-system")
        });
        let Some(raw) = ks.path.and_then(Node::as_str).filter(|p| in_repo && !p.contains("${")) else { continue };
        let Some(dir) = RelPath::new(raw.trim().trim_start_matches("./").trim_start_matches('/')) else { continue };
        let path_node = ks.path.expect("read above");
        if let Some((t, how)) = folder_target(a, &dir, true) {
            found.entry((path_node.range.start, path_node.range.end)).or_default().push((
                String::new(),
                t,
                format!("spec.path: folder {dir} (no cluster applies this Kustomization)"),
                how,
            ));
        }
        for n in &ks.components {
            let Some(p) = n.as_str().filter(|c| !c.contains("${")).and_then(|c| dir.join(c)) else { continue };
            if let Some((t, how)) = folder_target(a, &p, false) {
                found.entry((n.range.start, n.range.end)).or_default().push((
                    String::new(),
                    t,
                    format!("component: folder {p}"),
                    how,
                ));
            }
        }
    }
    let mut out = Vec::new();
    for ((s, e), mut targets) in found {
        targets.dedup_by(|x, y| x.1 == y.1 && x.2 == y.2);
        let (_, target, what, how) = targets[0].clone();
        let distinct: BTreeSet<&RelPath> = targets.iter().map(|t| &t.1).collect();
        let tooltip = if distinct.len() == 1 {
            format!("{what} ({how})")
        } else {
            let per: Vec<String> = targets
                .iter()
                .map(|(c, _, w, _)| format!("{c}: {}", w.split_once(": ").map_or(w.as_str(), |x| x.1)))
                .collect();
            format!(
                "{} per cluster: {}; this link follows cluster {} ({how})",
                what.split(": ").next().unwrap_or(""),
                per.join("; "),
                targets[0].0
            )
        };
        out.push(DocumentLink { range: unquoted(text, &(s..e)), target, tooltip: Some(tooltip) });
    }
    out
}

// ---------------------------------------------------------------------------------------
// Inlay hints.

/// A short text for one resolution, and whether it is a plain value.
fn short(r: &Resolved, var: &str) -> (String, bool) {
    let value = |v: &str| if v.is_empty() { "\"\"".to_string() } else { preview(v, PREVIEW_CHARS) };
    match r {
        Resolved::Value(v) => (value(v), true),
        Resolved::Default(v) => (format!("default {}", value(v)), false),
        Resolved::Empty(_) => ("\"\"".into(), false),
        Resolved::Unset { name, .. } if name == var => ("unset".into(), false),
        Resolved::Unset { name, .. } => (format!("unset {name}"), false),
        Resolved::Secret { .. } => ("(secret)".into(), false),
        Resolved::Unknown { secret: true, .. } => ("(secret)".into(), false),
        Resolved::Unknown { .. } => ("(unknown)".into(), false),
        Resolved::NotSubstituted(_) => ("not substituted".into(), false),
        Resolved::Invalid(_) => ("invalid".into(), false),
    }
}

/// A full sentence for one resolution (tooltips).
fn long(r: &Resolved, vars: Option<&Vars>, var: &str, strict: bool) -> String {
    let from = vars.and_then(|v| v.bindings.vars.get(var)).map(|b| format!(" (from {})", b.from)).unwrap_or_default();
    match r {
        Resolved::Value(v) => format!("{v}{from}"),
        Resolved::Default(v) => format!("{v} (the default: `{var}` is not set or empty)"),
        Resolved::Empty(name) => format!("\"\": `{name}` is set to an empty string"),
        Resolved::Unset { name, .. } if strict => {
            format!("unset: `{name}` is not defined and has no default; Flux fails the Kustomization")
        }
        Resolved::Unset { name, .. } => {
            format!("unset: `{name}` is not defined; Flux before 2.9 substitutes an empty string")
        }
        Resolved::Secret { .. } => format!("(secret){from}; the value is never shown"),
        Resolved::Unknown { why, secret: true } => format!("(secret): {why}"),
        Resolved::Unknown { why, .. } => format!("(unknown): {why}"),
        Resolved::NotSubstituted(why) => format!("not substituted: {why}"),
        Resolved::Invalid(msg) => format!("invalid: {msg}"),
    }
}

/// Drops the common prefix of differing values, up to a separator (`10.25.11.100`,
/// `10.25.11.120` -> `.100`, `.120`).
fn abbreviate(values: &mut [&mut String]) {
    if values.len() < 2 {
        return;
    }
    let first = values[0].clone();
    let mut common = first.len();
    for v in values.iter().skip(1) {
        common = common.min(first.bytes().zip(v.bytes()).take_while(|(a, b)| a == b).count());
    }
    let Some(cut) = first[..common].rfind(['.', '-', '/', ':', '_']) else { return };
    if cut < 3 || values.iter().any(|v| v.len() <= cut + 1) {
        return;
    }
    for v in values.iter_mut() {
        v.replace_range(..cut, "");
    }
}

/// After each `${...}` that touches `range`, what it becomes: in `cluster` when given, else in
/// every cluster that applies the object (`= value` when they agree, `infra: .100 · apps: .120`
/// when not); `(secret)`, `unset`, `default X`, `not substituted`; the tooltip has one line
/// per cluster with the source.
pub fn inlay_hints(a: &Analysis, file: &RelPath, range: TextRange, cluster: Option<&str>) -> Vec<InlayHint> {
    let Some(fi) = a.snapshot.file_idx(file) else { return Vec::new() };
    let f = a.snapshot.file(fi);
    let applied = applied(a, fi);
    let spans = render::secret_spans(f);
    let mut vars_cache: FxHashMap<(usize, u32), Vars> = FxHashMap::default();
    let mut out = Vec::new();
    for (oi, o) in f.objects.iter().enumerate() {
        if !o.subst_sites.iter().any(|s| s.range.start <= range.end && s.range.end >= range.start) {
            continue;
        }
        let places: Vec<Applied> = applied[oi]
            .iter()
            .copied()
            .filter(|x| cluster.is_none_or(|c| a.project.clusters[x.cluster].name == c))
            .collect();
        if places.is_empty() {
            continue;
        }
        let multi: FxHashSet<usize> = places
            .iter()
            .filter(|x| places.iter().filter(|y| y.cluster == x.cluster).count() > 1)
            .map(|x| x.cluster)
            .collect();
        for at in &places {
            if substitution_off(a, fi, oi, *at).is_none() {
                let ks = &a.project.clusters[at.cluster].kss[at.ks as usize];
                vars_cache.entry((at.cluster, at.ks)).or_insert_with(|| Vars::new(a, &ks.bindings, false));
            }
        }
        for site in &o.subst_sites {
            if site.scan.has_fatal() {
                continue; // reported as a diagnostic; Flux rejects the whole text
            }
            for e in &site.scan.exprs {
                if e.range.start > range.end || e.range.end < range.start {
                    continue;
                }
                let src = &f.text[e.range.clone()];
                // A default written in a Secret's value is as secret as the value.
                let hide_default = render::in_secret(&spans, &e.range);
                let mut rows: Vec<(String, Resolved, bool)> = Vec::new();
                for at in &places {
                    let c = &a.project.clusters[at.cluster];
                    let label = if multi.contains(&at.cluster) {
                        format!("{}/{}", c.name, c.kss[at.ks as usize].id.name)
                    } else {
                        c.name.clone()
                    };
                    let r = match substitution_off(a, fi, oi, *at) {
                        Some(why) => Resolved::NotSubstituted(why),
                        None => match vars_cache[&(at.cluster, at.ks)].resolve(e, src, false) {
                            Resolved::Default(_) if hide_default => Resolved::Secret { revealed: None },
                            r => r,
                        },
                    };
                    rows.push((label, r, c.strict));
                }
                let tooltip = rows
                    .iter()
                    .zip(&places)
                    .map(|((label, r, strict), at)| {
                        format!("{label}: {}", long(r, vars_cache.get(&(at.cluster, at.ks)), &e.name, *strict))
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                let mut shorts: Vec<(String, bool)> = rows.iter().map(|(_, r, _)| short(r, &e.name)).collect();
                let label = if shorts.iter().all(|s| s.0 == shorts[0].0) {
                    let (s, is_value) = &shorts[0];
                    if *is_value {
                        format!("= {s}")
                    } else {
                        s.clone()
                    }
                } else {
                    let mut values: Vec<&mut String> = shorts.iter_mut().filter(|s| s.1).map(|s| &mut s.0).collect();
                    abbreviate(&mut values);
                    let budget = (80 / rows.len()).max(12);
                    rows.iter()
                        .zip(&shorts)
                        .map(|((label, _, _), (s, _))| format!("{label}: {}", preview(s, budget)))
                        .collect::<Vec<_>>()
                        .join(" · ")
                };
                out.push(InlayHint { offset: e.range.end, label, tooltip: Some(tooltip) });
            }
        }
    }
    out.sort_by_key(|h| h.offset);
    // An alias repeats its anchor's scalars: one hint per place.
    out.dedup_by_key(|h| h.offset);
    out
}

// ---------------------------------------------------------------------------------------
// Code lenses.

/// On each Flux Kustomization (its metadata.name, else its first line):
/// "clusters: infra, apps · depends on N · needed by M", counted over every cluster that
/// has it.
pub fn code_lenses(a: &Analysis, file: &RelPath) -> Vec<CodeLens> {
    let Some(fi) = a.snapshot.file_idx(file) else { return Vec::new() };
    let f = a.snapshot.file(fi);
    let mut out = Vec::new();
    for (oi, o) in f.objects.iter().enumerate() {
        if !o.is_flux_ks() {
            continue;
        }
        let l = ObjLoc { file: fi, obj: oi as u32 };
        let root = f.root(o);
        let range = match root.at(&["metadata", "name"]).filter(|n| !n.range.is_empty()) {
            Some(n) => n.range.clone(),
            None => {
                let line = f.line_index.line_of(root.range.start);
                let start = f.line_index.line_start(line);
                start..start + f.line_index.line_text(&f.text, line).len()
            }
        };
        let mut clusters: Vec<&str> = Vec::new();
        let mut deps: BTreeSet<&NsName> = BTreeSet::new();
        let mut needed_by: BTreeSet<&NsName> = BTreeSet::new();
        for c in &a.project.clusters {
            for ks in c.kss.iter().filter(|k| k.obj == Some(l)) {
                if !clusters.contains(&c.name.as_str()) {
                    clusters.push(&c.name);
                }
                deps.extend(ks.depends_on.iter().map(|(d, _)| d));
                needed_by.extend(c.kss.iter().filter(|k| k.depends_on.iter().any(|(d, _)| *d == ks.id)).map(|k| &k.id));
            }
        }
        let title = if clusters.is_empty() {
            let n = FluxKs::read(root).depends_on.len();
            format!("applied by no cluster · depends on {n}")
        } else {
            format!("clusters: {} · depends on {} · needed by {}", clusters.join(", "), deps.len(), needed_by.len())
        };
        out.push(CodeLens { range, title });
    }
    out
}
