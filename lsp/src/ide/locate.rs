//! What is at a cursor: a `${VAR}` use, a variable definition, a reference by name to
//! another object, a path entry, an object's kind or name.
//!
//! Owns: `Index` (the cross-file facts the editor features look up, built once per
//! `Analysis` and cached beside it), `at` (classifying one offset), `sites` (every
//! navigable place of one object, for reverse look-ups) and resolving a reference to its
//! targets in each cluster. Reads `Analysis` only; knows nothing of LSP.
//!
//! Offsets are byte offsets into the file's text; a cursor right after a word still
//! counts as on it.

use crate::analysis::Analysis;
use crate::files::{RelPath, TextRange};
use crate::model::{FileModel, KustomizeFile, Object};
use crate::project::{Bindings, Loc, ObjLoc, Placed, SourceFound, Value};
use crate::snapshot::{FileIdx, Snapshot};
use crate::subst;
use crate::yaml::{Node, NodeKind};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::{Arc, Mutex, Weak};

// ---------------------------------------------------------------------------------------
// The index.

/// A place an object (or a generated ConfigMap/Secret) is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub file: FileIdx,
    /// The whole object (its document) or generator entry.
    pub range: TextRange,
    /// Its name.
    pub focus: TextRange,
    /// The source object, `None` for a generated one.
    pub obj: Option<ObjLoc>,
}

/// An object as one cluster has it, under its effective (kind, name).
#[derive(Clone, Debug)]
pub struct Found {
    /// The namespace it lands in (`None`: not set anywhere, matches any).
    pub namespace: Option<String>,
    pub target: Target,
    /// Index into the cluster's placements.
    pub placement: u32,
}

/// Where a variable definition comes from, which decides whether rename may edit it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefKind {
    /// A key of a ConfigMap's `data`.
    ConfigMapKey,
    /// A key of a plain Secret's `data`/`stringData`.
    SecretKey,
    /// A key of a SOPS-encrypted Secret (its MAC covers the key names).
    SopsSecretKey,
    /// A `secretKey` or template key of an ExternalSecret.
    ExternalSecretKey,
    /// A key of a SealedSecret's `encryptedData`.
    SealedSecretKey,
    /// `KEY=value` in a kustomize generator's `literals`.
    GeneratorLiteral,
    /// A key read from a generator's `.env` file.
    GeneratorEnv,
    /// A key named by a generator's `files` entry.
    GeneratorFile,
    /// A key of a Flux Kustomization's `postBuild.substitute`.
    Substitute,
    /// Anything else that produces a Secret.
    Other,
}

/// One place a variable is defined, with the Flux Kustomizations that read it.
#[derive(Clone, Debug)]
pub struct VarDef {
    pub name: String,
    /// The node the definition is written in (a key, a literal, a generator entry).
    pub loc: Loc,
    /// The name alone inside `loc`, when it is written there verbatim.
    pub name_range: Option<TextRange>,
    pub kind: DefKind,
    pub value: Value,
    /// "ConfigMap flux-system/cluster-settings", "postBuild.substitute of flux-system/x".
    pub from: String,
    /// (cluster, Flux Kustomization) pairs whose substitution reads it.
    pub users: Arc<Vec<(u32, u32)>>,
}

/// An entry that names a folder or file: a kustomize `resources`/`components` entry or a
/// Flux `spec.path`/`spec.components`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Include {
    pub loc: Loc,
    pub component: bool,
    pub flux: bool,
}

type SourceGroup = (Vec<VarDef>, Vec<(u32, u32)>);

/// An object anywhere in the repository: its namespace as written, and its place.
pub type RepoObject = (Option<String>, Target);

/// Cross-file facts for the editor features, built once per `Analysis`.
pub struct Index {
    /// Placements of each object: (cluster, index into `Cluster::placements`).
    placements: FxHashMap<ObjLoc, Vec<(u32, u32)>>,
    /// The Flux Kustomization nodes of each object: (cluster, index into `Cluster::kss`).
    ks_nodes: FxHashMap<ObjLoc, Vec<(u32, u32)>>,
    /// Per cluster: objects by (kind, effective name).
    objects: Vec<FxHashMap<(String, String), Vec<Found>>>,
    /// Every object of the repository by (kind, name as written).
    repo_objects: FxHashMap<(String, String), Vec<RepoObject>>,
    pub defs: Vec<VarDef>,
    defs_in_file: FxHashMap<FileIdx, Vec<usize>>,
    defs_by_name: FxHashMap<String, Vec<usize>>,
    /// Folder or file -> the entries that name it.
    includers: FxHashMap<RelPath, Vec<Include>>,
    /// Folders holding manifests (at any depth below them).
    pub dirs_with_manifests: Vec<RelPath>,
    /// Folders holding a kustomization file.
    pub dirs_with_kustomization: FxHashSet<RelPath>,
}

static CACHE: Mutex<Vec<(Weak<crate::project::Project>, Arc<Index>)>> = Mutex::new(Vec::new());

impl Index {
    /// The index of an analysis, built on first use and kept while its project lives (a
    /// small cache keyed by the project, so that every request on one `Analysis`, and every
    /// analysis that reuses the project after an edit, shares it). It reads nothing that
    /// such an edit can change but object ranges, which `Target::fresh` reads anew.
    pub fn of(a: &Analysis) -> Arc<Index> {
        let key = Arc::downgrade(&a.project);
        if let Ok(cache) = CACHE.lock() {
            if let Some((_, idx)) = cache.iter().find(|(w, _)| w.ptr_eq(&key)) {
                return idx.clone();
            }
        }
        let idx = Arc::new(Index::new(a));
        if let Ok(mut cache) = CACHE.lock() {
            cache.retain(|(w, _)| w.strong_count() > 0);
            if cache.len() >= 4 {
                cache.remove(0);
            }
            cache.push((key, idx.clone()));
        }
        idx
    }

    pub fn new(a: &Analysis) -> Index {
        let snap = &*a.snapshot;
        let project = &a.project;
        let mut placements: FxHashMap<ObjLoc, Vec<(u32, u32)>> = FxHashMap::default();
        let mut ks_nodes: FxHashMap<ObjLoc, Vec<(u32, u32)>> = FxHashMap::default();
        let mut objects = Vec::new();
        let mut per_object: FxHashMap<ObjLoc, (Target, Vec<(String, String)>)> = FxHashMap::default();
        for (ci, c) in project.clusters.iter().enumerate() {
            let ci = ci as u32;
            let mut by_key: FxHashMap<(String, String), Vec<Found>> = FxHashMap::default();
            for (pi, pl) in c.placements.iter().enumerate() {
                let ks = &c.kss[pl.ks as usize];
                let namespace = pl.namespace.as_deref().map(str::to_string);
                let affix = |n: String| {
                    if pl.name_prefix.is_empty() && pl.name_suffix.is_empty() {
                        n
                    } else {
                        format!("{}{n}{}", pl.name_prefix, pl.name_suffix)
                    }
                };
                match pl.obj {
                    Placed::Object(l) => {
                        let list = placements.entry(l).or_default();
                        if !list.contains(&(ci, pi as u32)) {
                            list.push((ci, pi as u32));
                        }
                        let f = snap.file(l.file);
                        let o = &f.objects[l.obj as usize];
                        let disabled = pl.subst_disabled || o.subst_disabled;
                        let (target, names) =
                            per_object.entry(l).or_insert_with(|| (object_target(f, l), names_of(f, o)));
                        for (kind, name) in names.iter() {
                            let name = if name.contains("${") {
                                apply(&ks.bindings, disabled, name)
                            } else {
                                Some(name.clone())
                            };
                            if let Some(name) = name {
                                by_key.entry((kind.clone(), affix(name))).or_default().push(Found {
                                    namespace: namespace.clone(),
                                    target: target.clone(),
                                    placement: pi as u32,
                                });
                            }
                        }
                    }
                    Placed::Generated(g) => {
                        let g = &project.generated[g as usize];
                        let kind = if g.secret { "Secret" } else { "ConfigMap" };
                        let target = generated_target(snap, &g.at);
                        let ns = namespace.clone().or_else(|| g.namespace.clone());
                        by_key.entry((kind.to_string(), affix(g.name.clone()))).or_default().push(Found {
                            namespace: ns,
                            target,
                            placement: pi as u32,
                        });
                    }
                }
            }
            for (ki, ks) in c.kss.iter().enumerate() {
                if let Some(o) = ks.obj {
                    ks_nodes.entry(o).or_default().push((ci, ki as u32));
                }
            }
            objects.push(by_key);
        }
        let mut repo_objects: FxHashMap<(String, String), Vec<RepoObject>> = FxHashMap::default();
        for (fi, f) in snap.files.iter().enumerate() {
            for (oi, o) in f.objects.iter().enumerate() {
                let l = ObjLoc { file: fi as FileIdx, obj: oi as u32 };
                for key in names_of(f, o) {
                    repo_objects.entry(key).or_default().push((o.namespace.clone(), object_target(f, l)));
                }
            }
        }
        let mut idx = Index {
            placements,
            ks_nodes,
            objects,
            repo_objects,
            defs: Vec::new(),
            defs_in_file: FxHashMap::default(),
            defs_by_name: FxHashMap::default(),
            includers: FxHashMap::default(),
            dirs_with_manifests: Vec::new(),
            dirs_with_kustomization: FxHashSet::default(),
        };
        let mut with_manifests: FxHashSet<RelPath> = FxHashSet::default();
        for f in &snap.files {
            let mut d = f.path.parent();
            if f.is_kustomization {
                idx.dirs_with_kustomization.insert(d.clone());
            }
            while !d.is_root() && with_manifests.insert(d.clone()) {
                d = d.parent();
            }
        }
        idx.dirs_with_manifests = with_manifests.into_iter().collect();
        idx.dirs_with_manifests.sort();
        idx.collect_defs(a);
        idx.collect_includers(a);
        idx
    }

    fn collect_defs(&mut self, a: &Analysis) {
        let snap = &*a.snapshot;
        // Each source object (or generator) is read once; its keys share one list of users.
        let mut group_of: FxHashMap<(FileIdx, usize), usize> = FxHashMap::default();
        // (the keys of one source, the (cluster, ks) pairs reading it)
        let mut groups: Vec<SourceGroup> = Vec::new();
        let mut inline: Vec<VarDef> = Vec::new();
        let mut inline_at: FxHashMap<(FileIdx, usize), usize> = FxHashMap::default();
        for (ci, c) in a.project.clusters.iter().enumerate() {
            for (ki, ks) in c.kss.iter().enumerate() {
                let user = (ci as u32, ki as u32);
                for s in &ks.sources {
                    let loc = match &s.found {
                        SourceFound::InCluster(Some(l)) | SourceFound::OutsideFlux(l) => l,
                        _ => continue,
                    };
                    let g = *group_of.entry((loc.file, loc.range.start)).or_insert_with(|| {
                        let from = format!("{} {}/{}", s.kind, s.namespace, s.name);
                        groups.push((source_defs(a, loc, &from), Vec::new()));
                        groups.len() - 1
                    });
                    // Users come in (cluster, ks) order: a repeat is always the last one.
                    if groups[g].1.last() != Some(&user) {
                        groups[g].1.push(user);
                    }
                }
                // Inline `postBuild.substitute` keys: read from the object's own spec (cheap),
                // or from every binding when patches may have added some.
                let own: Vec<&String>;
                let names: Box<dyn Iterator<Item = &String>> = match ks.obj {
                    Some(o) if ks.srcs.len() <= 1 => {
                        let f = snap.file(o.file);
                        let root = f.root(&f.objects[o.obj as usize]);
                        own = crate::model::FluxKs::read(root)
                            .substitute
                            .iter()
                            .filter_map(|(k, _)| ks.bindings.vars.get_key_value(k.as_str()?))
                            .map(|(k, _)| k)
                            .collect();
                        Box::new(own.into_iter())
                    }
                    _ => Box::new(ks.bindings.vars.keys()),
                };
                for name in names {
                    let Some(b) = ks.bindings.vars.get(name) else { continue };
                    let Some(origin) = &b.origin else { continue };
                    if !b.from.starts_with("postBuild.substitute") {
                        continue;
                    }
                    let i = *inline_at.entry((origin.file, origin.range.start)).or_insert_with(|| {
                        let text = &snap.file(origin.file).text;
                        inline.push(VarDef {
                            name: name.clone(),
                            loc: origin.clone(),
                            name_range: name_range_in(text, &origin.range, name),
                            kind: DefKind::Substitute,
                            value: b.value.clone(),
                            from: b.from.clone(),
                            users: Arc::new(Vec::new()),
                        });
                        inline.len() - 1
                    });
                    Arc::make_mut(&mut inline[i].users).push(user);
                }
            }
        }
        for (seeds, users) in groups {
            let users = Arc::new(users);
            for mut d in seeds {
                d.users = users.clone();
                self.defs.push(d);
            }
        }
        self.defs.extend(inline);
        for (i, d) in self.defs.iter().enumerate() {
            self.defs_in_file.entry(d.loc.file).or_default().push(i);
            self.defs_by_name.entry(d.name.clone()).or_default().push(i);
        }
    }

    fn collect_includers(&mut self, a: &Analysis) {
        let snap = &*a.snapshot;
        let mut push = |p: RelPath, inc: Include| {
            let v = self.includers.entry(p).or_default();
            if !v.contains(&inc) {
                v.push(inc);
            }
        };
        for (fi, f) in snap.files.iter().enumerate() {
            let Some(root) = f.kustomization() else { continue };
            let k = KustomizeFile::read(root);
            let dir = f.path.parent();
            let entries = k.resources.iter().map(|n| (*n, false)).chain(k.components.iter().map(|n| (*n, true)));
            for (n, component) in entries {
                let Some(r) = n.as_str() else { continue };
                if crate::model::is_remote(r) || r.starts_with('/') {
                    continue;
                }
                if let Some(p) = dir.join(r) {
                    push(
                        p,
                        Include { loc: Loc { file: fi as FileIdx, range: n.range.clone() }, component, flux: false },
                    );
                }
            }
        }
        for c in &a.project.clusters {
            for ks in &c.kss {
                let Some(path) = &ks.path else { continue };
                let Some(dir) = &path.dir else { continue };
                if let Some(at) = &path.at {
                    push(dir.clone(), Include { loc: at.clone(), component: false, flux: true });
                }
                for (comp, at) in &ks.components {
                    if let (Some(p), Some(at)) = (dir.join(comp), at) {
                        push(p, Include { loc: at.clone(), component: true, flux: true });
                    }
                }
            }
        }
    }

    /// Placements of an object: (cluster, index into the cluster's placements).
    pub fn placements_of(&self, obj: ObjLoc) -> &[(u32, u32)] {
        self.placements.get(&obj).map_or(&[], Vec::as_slice)
    }

    /// The Flux Kustomization nodes an object becomes: (cluster, index into `kss`).
    pub fn ks_nodes_of(&self, obj: ObjLoc) -> &[(u32, u32)] {
        self.ks_nodes.get(&obj).map_or(&[], Vec::as_slice)
    }

    /// Objects of a cluster with this kind and effective name.
    pub fn find(&self, cluster: u32, kind: &str, name: &str) -> &[Found] {
        self.objects
            .get(cluster as usize)
            .and_then(|m| m.get(&(kind.to_string(), name.to_string())))
            .map_or(&[], Vec::as_slice)
    }

    /// Every (kind, effective name) of a cluster, for completion.
    pub fn names_in(&self, cluster: u32, kind: &str) -> Vec<(&str, &Found)> {
        let Some(m) = self.objects.get(cluster as usize) else { return Vec::new() };
        m.iter()
            .filter(|((k, _), _)| k == kind)
            .flat_map(|((_, n), v)| v.iter().map(move |f| (n.as_str(), f)))
            .collect()
    }

    /// Objects anywhere in the repository with this kind and name as written.
    pub fn find_in_repo(&self, kind: &str, name: &str) -> &[RepoObject] {
        self.repo_objects.get(&(kind.to_string(), name.to_string())).map_or(&[], Vec::as_slice)
    }

    pub fn defs_named(&self, name: &str) -> impl Iterator<Item = &VarDef> {
        self.defs_by_name.get(name).into_iter().flatten().map(|&i| &self.defs[i])
    }

    pub fn defs_in(&self, file: FileIdx) -> impl Iterator<Item = (usize, &VarDef)> {
        self.defs_in_file.get(&file).into_iter().flatten().map(|&i| (i, &self.defs[i]))
    }

    /// The entries that name this folder or file.
    pub fn includers_of(&self, p: &RelPath) -> &[Include] {
        self.includers.get(p).map_or(&[], Vec::as_slice)
    }

    /// The (cluster, Flux Kustomization) pairs that apply an object, without repeats.
    pub fn scopes_of(&self, a: &Analysis, obj: ObjLoc) -> Vec<(u32, u32)> {
        let mut out: Vec<(u32, u32)> = Vec::new();
        for &(c, p) in self.placements_of(obj) {
            let ks = a.project.clusters[c as usize].placements[p as usize].ks;
            if !out.contains(&(c, ks)) {
                out.push((c, ks));
            }
        }
        out
    }
}

/// The kinds a reference can name (the only ones worth indexing by name).
const REFERABLE: &[&str] = &[
    "Kustomization",
    "HelmRelease",
    "GitRepository",
    "OCIRepository",
    "HelmRepository",
    "HelmChart",
    "Bucket",
    "ConfigMap",
    "Secret",
    "SecretStore",
    "ClusterSecretStore",
    "Issuer",
    "ClusterIssuer",
    "StorageClass",
    "GatewayClass",
    "Gateway",
];

/// The names an object is known by: its own (kind, name), and for what produces a Secret
/// (ExternalSecret, SealedSecret) the Secret it makes.
pub(crate) fn names_of(f: &FileModel, o: &Object) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(name) = o.name.clone() else { return out };
    let root = f.root(o);
    let made = match (o.group(), o.kind.as_str()) {
        (_, k) if REFERABLE.contains(&k) => None,
        ("external-secrets.io", "ExternalSecret") => {
            Some(root.str_at(&["spec", "target", "name"]).unwrap_or(&name).to_string())
        }
        ("bitnami.com", "SealedSecret") => {
            Some(root.str_at(&["spec", "template", "metadata", "name"]).unwrap_or(&name).to_string())
        }
        ("onepassword.com", "OnePasswordItem") | ("secrets.doppler.com", "DopplerSecret") => Some(name.clone()),
        _ => None,
    };
    if REFERABLE.contains(&o.kind.as_str()) {
        out.push((o.kind.clone(), name));
    }
    if let Some(m) = made {
        out.push(("Secret".to_string(), m));
    }
    out
}

pub(crate) fn apply(b: &Bindings, disabled: bool, s: &str) -> Option<String> {
    if disabled {
        Some(s.to_string())
    } else {
        b.apply(s)
    }
}

/// An object's place: its document, focused on its name (or kind).
impl Target {
    /// The target with its ranges read from `snap`: the index is shared by the analyses
    /// of one project, and an edit that keeps the project may move an object in its file.
    pub fn fresh(&self, snap: &Snapshot) -> Target {
        match self.obj {
            Some(l) => object_target(snap.file(l.file), l),
            // Generator entries live in kustomization files, which such an edit never changes.
            None => self.clone(),
        }
    }
}

pub fn object_target(f: &FileModel, l: ObjLoc) -> Target {
    let o = &f.objects[l.obj as usize];
    let root = f.root(o);
    let range = f.yaml.documents[o.doc].range.clone();
    let focus = root
        .at(&["metadata", "name"])
        .or_else(|| root.get("kind"))
        .map(|n| n.range.clone())
        .unwrap_or(root.range.start..root.range.start);
    Target { file: l.file, range, focus, obj: Some(l) }
}

fn generated_target(snap: &Snapshot, at: &Loc) -> Target {
    let f = snap.file(at.file);
    let mut focus = at.range.clone();
    if let Some(root) = f.kustomization() {
        for key in ["configMapGenerator", "secretGenerator"] {
            for g in root.get(key).and_then(Node::as_seq).unwrap_or(&[]) {
                if g.range == at.range {
                    if let Some(n) = g.get("name") {
                        focus = n.range.clone();
                    }
                }
            }
        }
    }
    Target { file: at.file, range: at.range.clone(), focus, obj: None }
}

/// The keys a substituteFrom source defines, read from the object or generator at `loc`.
fn source_defs(a: &Analysis, loc: &Loc, from: &str) -> Vec<VarDef> {
    let snap = &*a.snapshot;
    let f = snap.file(loc.file);
    let mut out = Vec::new();
    if f.is_kustomization {
        let Some(g) = a.project.generated.iter().find(|g| g.at == *loc) else { return out };
        let k = f.kustomization().map(KustomizeFile::read).unwrap_or_default();
        let gen = k.generators.iter().find(|x| x.node.range == loc.range);
        for (name, value, at) in &g.entries {
            let is = |v: &[&Node]| v.iter().any(|n| n.range == at.range);
            let kind = match gen {
                Some(x) if is(&x.literals) => DefKind::GeneratorLiteral,
                Some(x) if is(&x.envs) => DefKind::GeneratorEnv,
                _ => DefKind::GeneratorFile,
            };
            let value = match value {
                Some(_) if g.secret => Value::Secret,
                Some(v) => Value::Known(v.clone()),
                None => Value::Unknown,
            };
            let name_range =
                if kind == DefKind::GeneratorLiteral { name_range_in(&f.text, &at.range, name) } else { None };
            out.push(VarDef {
                name: name.clone(),
                loc: at.clone(),
                name_range,
                kind,
                value,
                from: from.to_string(),
                users: Arc::default(),
            });
        }
        return out;
    }
    let obj = f
        .objects
        .iter()
        .find(|o| f.root(o).at(&["metadata", "name"]).is_some_and(|n| n.range == loc.range))
        .or_else(|| f.objects.iter().find(|o| f.yaml.documents[o.doc].range.contains(&loc.range.start)));
    let Some(o) = obj else { return out };
    let Some((_, _, entry)) = crate::project::source_of_object(f, loc.file, o) else { return out };
    let sops = f.root(o).get("sops").is_some();
    let kind = match (o.group(), o.kind.as_str()) {
        ("", "ConfigMap") => DefKind::ConfigMapKey,
        ("", "Secret") if sops => DefKind::SopsSecretKey,
        ("", "Secret") => DefKind::SecretKey,
        ("external-secrets.io", "ExternalSecret") => DefKind::ExternalSecretKey,
        ("bitnami.com", "SealedSecret") => DefKind::SealedSecretKey,
        _ => DefKind::Other,
    };
    for (name, value, at) in entry.vars {
        let Some(at) = at else { continue };
        let name_range = name_range_in(&f.text, &at.range, &name);
        out.push(VarDef { name, loc: at, name_range, kind, value, from: from.to_string(), users: Arc::default() });
    }
    out
}

/// Where `name` is written inside `range`: the whole range, or inside quotes, or the key of a
/// `KEY=value` literal. `None` when the text does not hold the name verbatim.
pub(crate) fn name_range_in(text: &str, range: &TextRange, name: &str) -> Option<TextRange> {
    let raw = text.get(range.clone())?;
    let quoted = raw.starts_with(['"', '\'']);
    let start = usize::from(quoted);
    let rest = &raw[start..];
    if !rest.starts_with(name) || name.is_empty() {
        return None;
    }
    let after = &rest[name.len()..];
    let ok = if quoted {
        after.starts_with(&raw[..1]) || after.starts_with('=')
    } else {
        after.is_empty() || after.starts_with('=')
    };
    ok.then(|| range.start + start..range.start + start + name.len())
}

// ---------------------------------------------------------------------------------------
// Positions in a YAML tree.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seg<'a> {
    Key(&'a str),
    Item(usize),
}

/// The node under an offset: the keys and items leading to it, and the containers.
pub struct Hit<'a> {
    pub path: Vec<Seg<'a>>,
    /// Containers from the root down to the one holding `leaf`.
    pub parents: Vec<&'a Node>,
    pub leaf: &'a Node,
    /// The cursor is on a key (not a value).
    pub on_key: bool,
}

fn touches(r: &TextRange, offset: usize) -> bool {
    r.start <= offset && offset <= r.end
}

/// The innermost scalar (key or value) at `offset`, or the deepest container holding it.
pub fn node_at(root: &Node, offset: usize) -> Option<Hit<'_>> {
    if !touches(&root.range, offset) {
        return None;
    }
    let mut path = Vec::new();
    let mut parents = Vec::new();
    let mut cur = root;
    loop {
        match &cur.kind {
            NodeKind::Scalar(_) => return Some(Hit { path, parents, leaf: cur, on_key: false }),
            NodeKind::Map(entries) => {
                let mut next = None;
                for (k, v) in entries {
                    if touches(&k.range, offset) && !k.range.is_empty() {
                        let key = k.as_str().unwrap_or("");
                        path.push(Seg::Key(key));
                        parents.push(cur);
                        return Some(Hit { path, parents, leaf: k, on_key: true });
                    }
                    if touches(&v.range, offset) && (!v.range.is_empty() || v.as_scalar().is_some()) {
                        next = Some((k, v));
                        break;
                    }
                }
                let Some((k, v)) = next else { return Some(Hit { path, parents, leaf: cur, on_key: false }) };
                path.push(Seg::Key(k.as_str().unwrap_or("")));
                parents.push(cur);
                cur = v;
            }
            NodeKind::Seq(items) => {
                let Some((i, v)) = items.iter().enumerate().find(|(_, v)| touches(&v.range, offset)) else {
                    return Some(Hit { path, parents, leaf: cur, on_key: false });
                };
                path.push(Seg::Item(i));
                parents.push(cur);
                cur = v;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// What is at a cursor.

/// What a reference names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefRole {
    /// Flux Kustomization `spec.dependsOn[].name`.
    DependsOn,
    /// HelmRelease `spec.dependsOn[].name`.
    HelmDependsOn,
    /// Flux Kustomization `spec.sourceRef.name`.
    SourceRef,
    /// HelmRelease `spec.chartRef.name`.
    ChartRef,
    /// HelmRelease `spec.chart.spec.sourceRef.name`.
    ChartSourceRef,
    /// Flux Kustomization `spec.postBuild.substituteFrom[].name`.
    SubstituteFrom,
    /// HelmRelease `spec.valuesFrom[].name`.
    ValuesFrom,
    SecretStoreRef,
    IssuerRef,
    StorageClassName,
    GatewayClassName,
    ParentRef,
}

impl RefRole {
    pub fn field(self) -> &'static str {
        match self {
            RefRole::DependsOn | RefRole::HelmDependsOn => "dependsOn",
            RefRole::SourceRef => "sourceRef",
            RefRole::ChartRef => "chartRef",
            RefRole::ChartSourceRef => "chart.spec.sourceRef",
            RefRole::SubstituteFrom => "substituteFrom",
            RefRole::ValuesFrom => "valuesFrom",
            RefRole::SecretStoreRef => "secretStoreRef",
            RefRole::IssuerRef => "issuerRef",
            RefRole::StorageClassName => "storageClassName",
            RefRole::GatewayClassName => "gatewayClassName",
            RefRole::ParentRef => "parentRefs",
        }
    }
}

/// A reference by name to another object, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ref {
    pub role: RefRole,
    /// The target's kind (from the reference's `kind:` or the field's default).
    pub kind: String,
    pub name: String,
    /// The reference's own `namespace:`, if written.
    pub namespace: Option<String>,
    /// The target kind has no namespace (StorageClass, ClusterIssuer…).
    pub cluster_scoped: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    /// `${NAME...}`: the innermost expression under the cursor (ranges in file offsets).
    VarUse {
        expr: subst::Expr,
    },
    /// A key that defines a variable: an index into `Index::defs`.
    VarDef {
        def: usize,
    },
    Ref(Ref),
    /// A Flux Kustomization's `spec.path`, as written.
    FluxPath {
        raw: String,
    },
    /// A Flux Kustomization's `spec.components` entry (relative to its path).
    FluxComponent {
        raw: String,
    },
    /// A kustomize `resources:` (or `bases:`/`crds:`) or `components:` entry.
    KustomizeEntry {
        raw: String,
        component: bool,
    },
    /// An object's `kind`.
    Kind,
    /// An object's `metadata.name`.
    Name,
    /// Elsewhere in a kustomization.yaml (its folder is what others include).
    InKustomization,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub file: FileIdx,
    /// What the cursor is on (the `${...}`, the name, the path entry).
    pub range: TextRange,
    /// The object whose document holds the cursor.
    pub obj: Option<ObjLoc>,
    pub what: What,
}

/// Classifies the cursor.
pub fn at(a: &Analysis, file: &RelPath, offset: usize) -> Option<Located> {
    let idx = Index::of(a);
    at_with(a, &idx, file, offset)
}

pub(crate) fn at_with(a: &Analysis, idx: &Index, file: &RelPath, offset: usize) -> Option<Located> {
    let snap = &*a.snapshot;
    let fi = snap.file_idx(file)?;
    let f = snap.file(fi);
    if offset > f.text.len() {
        return None;
    }
    let doc = f.yaml.documents.iter().position(|d| touches(&d.range, offset));
    let obj_i = doc.and_then(|d| f.objects.iter().position(|o| o.doc == d));
    let obj = obj_i.map(|i| ObjLoc { file: fi, obj: i as u32 });
    // Variable uses first: a `${...}` may sit in any scalar, references included.
    if let Some(i) = obj_i {
        let o = &f.objects[i];
        for site in o.subst_sites.iter().filter(|s| touches(&s.range, offset)) {
            let best =
                site.scan.all_exprs().into_iter().filter(|e| touches(&e.range, offset)).min_by_key(|e| e.range.len());
            if let Some(e) = best {
                return Some(Located { file: fi, range: e.range.clone(), obj, what: What::VarUse { expr: e.clone() } });
            }
        }
    }
    for (i, d) in idx.defs_in(fi) {
        if let Some(r) = &d.name_range {
            if touches(r, offset) {
                return Some(Located { file: fi, range: r.clone(), obj, what: What::VarDef { def: i } });
            }
        }
    }
    if f.is_kustomization {
        let root = f.kustomization();
        let hit = root.and_then(|r| node_at(r, offset));
        if let Some(h) = &hit {
            if !h.on_key {
                if let ([Seg::Key(k), Seg::Item(_)], Some(raw)) = (h.path.as_slice(), h.leaf.as_str()) {
                    let component = match *k {
                        "resources" | "bases" | "crds" => Some(false),
                        "components" => Some(true),
                        _ => None,
                    };
                    if let Some(component) = component {
                        return Some(Located {
                            file: fi,
                            range: h.leaf.range.clone(),
                            obj: None,
                            what: What::KustomizeEntry { raw: raw.to_string(), component },
                        });
                    }
                }
            }
        }
        let range = hit.map(|h| h.leaf.range.clone()).unwrap_or(offset..offset);
        return Some(Located { file: fi, range, obj: None, what: What::InKustomization });
    }
    let i = obj_i?;
    let o = &f.objects[i];
    let hit = node_at(f.root(o), offset)?;
    if hit.on_key || hit.leaf.as_scalar().is_none() {
        return None;
    }
    let what = classify(o, &hit.path, hit.parents.last().copied(), hit.leaf)?;
    Some(Located { file: fi, range: hit.leaf.range.clone(), obj, what })
}

/// What a scalar value at `path` of object `o` is; `parent` is the mapping holding it.
pub fn classify(o: &Object, path: &[Seg], parent: Option<&Node>, leaf: &Node) -> Option<What> {
    use Seg::{Item, Key};
    let raw = leaf.as_str()?.to_string();
    let flux = o.is_flux_ks();
    let helm = o.is("helm.toolkit.fluxcd.io", "HelmRelease");
    let sib = |k: &str| parent.and_then(|p| p.get(k)).and_then(Node::as_str).map(str::to_string);
    let r = |role: RefRole, default_kind: &str| {
        let kind = sib("kind").unwrap_or_else(|| default_kind.to_string());
        let cluster_scoped =
            matches!(kind.as_str(), "ClusterSecretStore" | "ClusterIssuer" | "StorageClass" | "GatewayClass");
        Some(What::Ref(Ref {
            role,
            kind,
            name: raw.clone(),
            namespace: if cluster_scoped { None } else { sib("namespace") },
            cluster_scoped,
        }))
    };
    match path {
        [Key("kind")] => Some(What::Kind),
        [Key("metadata"), Key("name")] => Some(What::Name),
        [Key("spec"), Key("path")] if flux => Some(What::FluxPath { raw }),
        [Key("spec"), Key("components"), Item(_)] if flux => Some(What::FluxComponent { raw }),
        [Key("spec"), Key("dependsOn"), Item(_), Key("name")] if flux => Some(What::Ref(Ref {
            role: RefRole::DependsOn,
            kind: "Kustomization".into(),
            name: raw,
            namespace: sib("namespace"),
            cluster_scoped: false,
        })),
        [Key("spec"), Key("sourceRef"), Key("name")] if flux => r(RefRole::SourceRef, "GitRepository"),
        [Key("spec"), Key("postBuild"), Key("substituteFrom"), Item(_), Key("name")] if flux => Some(What::Ref(Ref {
            role: RefRole::SubstituteFrom,
            kind: sib("kind").unwrap_or_else(|| "ConfigMap".into()),
            name: raw,
            namespace: None,
            cluster_scoped: false,
        })),
        [Key("spec"), Key("dependsOn"), Item(_), Key("name")] if helm => Some(What::Ref(Ref {
            role: RefRole::HelmDependsOn,
            kind: "HelmRelease".into(),
            name: raw,
            namespace: sib("namespace"),
            cluster_scoped: false,
        })),
        [Key("spec"), Key("chartRef"), Key("name")] if helm => r(RefRole::ChartRef, "OCIRepository"),
        [Key("spec"), Key("chart"), Key("spec"), Key("sourceRef"), Key("name")] if helm => {
            r(RefRole::ChartSourceRef, "HelmRepository")
        }
        [Key("spec"), Key("valuesFrom"), Item(_), Key("name")] if helm => Some(What::Ref(Ref {
            role: RefRole::ValuesFrom,
            kind: sib("kind").unwrap_or_else(|| "ConfigMap".into()),
            name: raw,
            namespace: None,
            cluster_scoped: false,
        })),
        [.., Key("secretStoreRef"), Key("name")] => r(RefRole::SecretStoreRef, "SecretStore"),
        [.., Key("issuerRef"), Key("name")] => r(RefRole::IssuerRef, "Issuer"),
        [.., Key("storageClassName")] => Some(What::Ref(Ref {
            role: RefRole::StorageClassName,
            kind: "StorageClass".into(),
            name: raw,
            namespace: None,
            cluster_scoped: true,
        })),
        [.., Key("gatewayClassName")] => Some(What::Ref(Ref {
            role: RefRole::GatewayClassName,
            kind: "GatewayClass".into(),
            name: raw,
            namespace: None,
            cluster_scoped: true,
        })),
        [.., Key("parentRefs"), Item(_), Key("name")] => r(RefRole::ParentRef, "Gateway"),
        _ => None,
    }
}

/// Every navigable place of one object (references, paths, kind and name), in source order.
pub fn sites(o: &Object, root: &Node) -> Vec<(TextRange, What)> {
    fn walk<'a>(
        o: &Object,
        n: &'a Node,
        path: &mut Vec<Seg<'a>>,
        parent: Option<&'a Node>,
        out: &mut Vec<(TextRange, What)>,
    ) {
        match &n.kind {
            NodeKind::Scalar(_) => {
                if let Some(w) = classify(o, path, parent, n) {
                    out.push((n.range.clone(), w));
                }
            }
            NodeKind::Map(entries) => {
                for (k, v) in entries {
                    path.push(Seg::Key(k.as_str().unwrap_or("")));
                    walk(o, v, path, Some(n), out);
                    path.pop();
                }
            }
            NodeKind::Seq(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(Seg::Item(i));
                    walk(o, v, path, Some(n), out);
                    path.pop();
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(o, root, &mut Vec::new(), None, &mut out);
    out
}

// ---------------------------------------------------------------------------------------
// Resolving references.

/// A reference as one cluster reads it.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// `None`: the referring object is applied by no cluster; names were matched as written
    /// across the repository.
    pub cluster: Option<u32>,
    /// The name after substitution (the text as written when it cannot be known).
    pub name: String,
    pub namespace: Option<String>,
    pub targets: Vec<Target>,
    /// Found in the repository but not applied to this cluster by Flux (substituteFrom
    /// sources created at bootstrap).
    pub outside_flux: bool,
}

/// Resolves a reference written in object `obj`, per cluster that applies it.
pub fn resolve(a: &Analysis, idx: &Index, obj: ObjLoc, r: &Ref) -> Vec<Resolved> {
    let snap = &*a.snapshot;
    let f = snap.file(obj.file);
    let o = &f.objects[obj.obj as usize];
    let ns_ok = |want: &Option<String>, have: &Option<String>| match (want, have) {
        (Some(w), Some(h)) => w == h,
        _ => true,
    };
    let pls = idx.placements_of(obj);
    if pls.is_empty() {
        let namespace = if r.cluster_scoped { None } else { r.namespace.clone().or_else(|| o.namespace.clone()) };
        let targets = idx
            .find_in_repo(&r.kind, &r.name)
            .iter()
            .filter(|(ns, _)| r.cluster_scoped || ns_ok(&namespace, ns))
            .map(|(_, t)| t.fresh(snap))
            .collect();
        return vec![Resolved { cluster: None, name: r.name.clone(), namespace, targets, outside_flux: false }];
    }
    let mut out: Vec<Resolved> = Vec::new();
    for &(ci, pi) in pls {
        let c = &a.project.clusters[ci as usize];
        let pl = &c.placements[pi as usize];
        let b = &c.kss[pl.ks as usize].bindings;
        let disabled = pl.subst_disabled || o.subst_disabled;
        let name = apply(b, disabled, &r.name).unwrap_or_else(|| r.name.clone());
        let own_ns = pl.namespace.as_deref().map(str::to_string).or_else(|| o.namespace.clone());
        let namespace = if r.cluster_scoped {
            None
        } else {
            r.namespace.as_deref().map(|n| apply(b, disabled, n).unwrap_or_else(|| n.to_string())).or(own_ns)
        };
        if out.iter().any(|x| x.cluster == Some(ci) && x.name == name && x.namespace == namespace) {
            continue;
        }
        let found = idx.find(ci, &r.kind, &name);
        let exact: Vec<&Found> =
            found.iter().filter(|x| r.cluster_scoped || (namespace.is_some() && x.namespace == namespace)).collect();
        let chosen: Vec<&Found> = if exact.is_empty() {
            found.iter().filter(|x| r.cluster_scoped || ns_ok(&namespace, &x.namespace)).collect()
        } else {
            exact
        };
        let mut targets: Vec<Target> = Vec::new();
        for x in chosen {
            let t = x.target.fresh(snap);
            if !targets.contains(&t) {
                targets.push(t);
            }
        }
        let mut outside_flux = false;
        if targets.is_empty() && r.role == RefRole::SubstituteFrom {
            // Flux reads substituteFrom sources at reconcile time: one created at bootstrap
            // (outside any Flux Kustomization) still counts.
            let repo = idx.find_in_repo(&r.kind, &name);
            let same: Vec<&Target> = repo.iter().filter(|(ns, _)| ns_ok(&namespace, ns)).map(|(_, t)| t).collect();
            targets = same.into_iter().map(|t| t.fresh(snap)).collect();
            outside_flux = !targets.is_empty();
        }
        out.push(Resolved { cluster: Some(ci), name, namespace, targets, outside_flux });
    }
    out
}

/// The innermost `${...}` of a scan at an offset.
pub fn expr_at(scan: &subst::Scan, offset: usize) -> Option<&subst::Expr> {
    scan.all_exprs().into_iter().filter(|e| touches(&e.range, offset)).min_by_key(|e| e.range.len())
}
