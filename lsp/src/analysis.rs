//! Analyses over a snapshot: today, every diagnostic of the repository.
//!
//! Owns: `Analysis` (a snapshot, its `Project` and derived answers) and the rules that turn
//! files, builds and bindings into `Diagnostic`s. Pure: the same snapshot gives the same
//! answers. The server and `check` call this and convert; they add no rule of their own.

use crate::diagnostics::{codes, merge_and_sort, Code, Diagnostic, Severity};
use crate::files::{RelPath, TextRange, Unreadable};
use crate::model::{self, FileModel, FluxKs, HelmRelease, KustomizeFile};
use crate::project::{Bindings, Cluster, KsNode, Loc, NsName, ObjLoc, Placed, Project, SourceFound};
use crate::snapshot::{FileIdx, Snapshot};
use crate::subst;
use crate::yaml::{Node, SyntaxProblemKind};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::{Arc, OnceLock};

pub struct Analysis {
    pub snapshot: Arc<Snapshot>,
    pub project: Arc<Project>,
    /// Indexes over the project, shared by every analysis that reuses the project.
    pub derived: Arc<Derived>,
    /// Per file (by `FileIdx`): results that depend on the file and the project only, shared
    /// with the previous analysis for the files an edit did not touch.
    memo: Vec<Arc<FileMemo>>,
    /// Addresses, pools and ASNs per cluster, computed on first use (diagnostics, hover,
    /// completion and `ipam` share it).
    network: OnceLock<Arc<Vec<crate::network::ClusterNet>>>,
    /// The diagnostics of the cluster-wide merges (duplicates, HelmRelease graphs).
    merged: OnceLock<Arc<Vec<Diagnostic>>>,
    /// From `update`: the previous merges and the changed files' previous memos. When those
    /// files give the merges the same facts and no merged diagnostic points into them, the
    /// previous result stands (a value edit in a leaf file).
    prev_merge: std::sync::Mutex<Option<PrevMerge>>,
}

struct PrevMerge {
    merged: Arc<Vec<Diagnostic>>,
    changed: Vec<(FileIdx, Arc<FileMemo>)>,
}

/// Indexes that depend on the project alone.
#[derive(Default)]
pub struct Derived {
    /// For each file, the placements of its objects: (cluster, placement index), in order.
    pub placed: Vec<Vec<(u32, u32)>>,
    /// The schema module's per-project index (repository kinds, objects per cluster).
    pub schema: OnceLock<crate::schema::ProjectIndex>,
    /// Diagnostics that depend on the project and the files it reads only (paths, Flux
    /// Kustomizations, sources, include cycles, the configuration).
    diagnostics: OnceLock<Vec<Diagnostic>>,
    /// Per cluster: the placements each cluster-wide merge reads, with their files, so that
    /// a merge touches only those (see `Merges`).
    merges: Vec<Merges>,
}

/// The placements of one cluster that the cluster-wide merges read, in placement order:
/// (placement index, file).
#[derive(Default)]
pub struct Merges {
    /// The first placement of each object of a kind with network facts.
    pub network: Vec<(u32, FileIdx)>,
    /// The first placement of each (Flux Kustomization, object) whose name is known: the
    /// duplicate check.
    names: Vec<(u32, FileIdx)>,
    /// HelmReleases.
    helm: Vec<(u32, FileIdx)>,
}

impl Derived {
    fn new(snap: &Snapshot, project: &Project) -> Derived {
        let mut placed = vec![Vec::new(); snap.files.len()];
        for (ci, c) in project.clusters.iter().enumerate() {
            for (pi, pl) in c.placements.iter().enumerate() {
                if let Placed::Object(l) = pl.obj {
                    placed[l.file as usize].push((ci as u32, pi as u32));
                }
            }
        }
        let mut merges = Vec::new();
        for c in &project.clusters {
            let mut m = Merges::default();
            let mut seen: FxHashSet<ObjLoc> = FxHashSet::default();
            let mut seen_ks: FxHashSet<(u32, ObjLoc)> = FxHashSet::default();
            for (pi, pl) in c.placements.iter().enumerate() {
                let Placed::Object(l) = pl.obj else { continue };
                let o = &snap.file(l.file).objects[l.obj as usize];
                let at = (pi as u32, l.file);
                if seen.insert(l) && crate::network::facts::has_facts(o) {
                    m.network.push(at);
                }
                if seen_ks.insert((pl.ks, l)) && !pl.name_replaced {
                    m.names.push(at);
                }
                if o.is("helm.toolkit.fluxcd.io", "HelmRelease") {
                    m.helm.push(at);
                }
            }
            merges.push(m);
        }
        Derived { placed, schema: OnceLock::new(), diagnostics: OnceLock::new(), merges }
    }
}

/// What is computed once per file and project.
#[derive(Default)]
pub struct FileMemo {
    diagnostics: OnceLock<Vec<Diagnostic>>,
    facts: OnceLock<FileFacts>,
    /// Network facts of the file's placed objects (`network::collect` fills it).
    pub net: OnceLock<Vec<(u32, u32, crate::network::ClusterNet)>>,
}

/// Per placement of a file's objects, what the cluster-wide checks merge: (cluster,
/// placement index, fact), sorted.
#[derive(Default)]
struct FileFacts {
    /// Object identities after substitution, for `duplicate-object`.
    names: Vec<(u32, u32, NameFact)>,
    /// HelmRelease identities and their `dependsOn`.
    helm: Vec<(u32, u32, HelmFact)>,
}

/// (Flux Kustomization, group, kind, namespace, name).
type NameKey = (u32, String, String, String, String);

/// A key with its hash computed beforehand (with the file's facts): the duplicate check
/// hashes nothing, and compares keys only when hashes are equal.
struct PreHashed<'k>(u64, &'k NameKey);

impl std::hash::Hash for PreHashed<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u64(self.0);
    }
}
impl PartialEq for PreHashed<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0 && self.1 == other.1
    }
}
impl Eq for PreHashed<'_> {}

/// Passes a precomputed `u64` hash through.
#[derive(Default)]
struct U64Hasher(u64);

impl std::hash::Hasher for U64Hasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

struct NameFact {
    key: NameKey,
    /// The key's hash, computed once per file.
    hash: u64,
    at: TextRange,
}

struct HelmFact {
    id: NsName,
    depends_on: Vec<(NsName, TextRange)>,
}

fn find<T>(v: &[(u32, u32, T)], ci: u32, pi: u32) -> Option<&T> {
    v.binary_search_by(|(c, p, _)| (*c, *p).cmp(&(ci, pi))).ok().map(|i| &v[i].2)
}

impl Analysis {
    /// Analyses a snapshot from scratch.
    pub fn new(snapshot: Arc<Snapshot>) -> Analysis {
        let project = Project::build(&snapshot);
        let derived = Derived::new(&snapshot, &project);
        let memo = (0..snapshot.files.len()).map(|_| Arc::default()).collect();
        Analysis {
            snapshot,
            project: Arc::new(project),
            derived: Arc::new(derived),
            memo,
            network: OnceLock::new(),
            merged: OnceLock::new(),
            prev_merge: std::sync::Mutex::new(None),
        }
    }

    /// Analyses `snapshot`, reusing what `prev` computed where the edit between them allows:
    /// when the same files exist and the changed ones differ only in content the project
    /// build does not read (see `structure_kept`), the project and its indexes are kept and
    /// only the changed files' results are recomputed. Gives the same answers as `new`.
    pub fn update(prev: &Analysis, snapshot: Arc<Snapshot>) -> Analysis {
        let Some(changed) = structure_kept(prev, &snapshot) else { return Analysis::new(snapshot) };
        let mut memo = prev.memo.clone();
        let mut old = Vec::new();
        for &fi in &changed {
            old.push((fi, std::mem::take(&mut memo[fi as usize])));
        }
        let prev_merge = prev.merged.get().map(|m| PrevMerge { merged: m.clone(), changed: old });
        Analysis {
            snapshot,
            project: prev.project.clone(),
            derived: prev.derived.clone(),
            memo,
            network: OnceLock::new(),
            merged: OnceLock::new(),
            prev_merge: std::sync::Mutex::new(prev_merge),
        }
    }

    /// The memo of one file.
    pub fn memo(&self, file: FileIdx) -> &FileMemo {
        &self.memo[file as usize]
    }

    /// Every diagnostic of the repository, sorted by file and position, one per cause (the
    /// clusters it affects merged).
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.fill_memos();
        let mut out: Vec<Diagnostic> = Vec::new();
        for m in &self.memo {
            out.extend(m.diagnostics.get().into_iter().flatten().cloned());
        }
        out.extend(self.derived.diagnostics.get_or_init(|| self.project_diagnostics()).iter().cloned());
        out.extend(self.merged.get_or_init(|| self.cluster_merges()).iter().cloned());
        // Addresses, pools, ASNs and ClusterMesh identities, per cluster and across clusters.
        out.extend(crate::network::diagnostics(self));
        merge_and_sort(out)
    }

    /// The cluster-wide merges of per-file facts: the previous result when the edit cannot
    /// change it, else one cluster per task on all cores (with the network facts beside).
    fn cluster_merges(&self) -> Arc<Vec<Diagnostic>> {
        let prev = self.prev_merge.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(p) = prev {
            let snap = &*self.snapshot;
            let same_facts = p.changed.iter().all(|(fi, old)| {
                let (Some(old), new) = (old.facts.get(), self.facts(*fi)) else { return false };
                old.names.len() == new.names.len()
                    && old.names.iter().zip(&new.names).all(|(a, b)| a.0 == b.0 && a.1 == b.1 && a.2.key == b.2.key)
                    && old.helm.len() == new.helm.len()
                    && old.helm.iter().zip(&new.helm).all(|(a, b)| {
                        a.0 == b.0
                            && a.1 == b.1
                            && a.2.id == b.2.id
                            && a.2.depends_on.len() == b.2.depends_on.len()
                            && a.2.depends_on.iter().zip(&b.2.depends_on).all(|(x, y)| x.0 == y.0)
                    })
            });
            let touches = |d: &Diagnostic| {
                p.changed.iter().any(|(fi, _)| {
                    let path = &snap.file(*fi).path;
                    d.file == *path || d.related.iter().any(|r| r.file == *path)
                })
            };
            if same_facts && !p.merged.iter().any(touches) {
                return p.merged;
            }
        }
        let snap = &*self.snapshot;
        let merge = |ci: usize| {
            let mut out = Vec::new();
            let c = &self.project.clusters[ci];
            let mut check =
                ClusterCheck { a: self, snap, project: &self.project, ci: ci as u32, cluster: c, out: &mut out };
            check.helm_releases();
            check.duplicates();
            out
        };
        let n = self.project.clusters.len();
        let mut out = Vec::new();
        if n > 1 && snap.files.len() >= 1000 {
            let next = std::sync::atomic::AtomicUsize::new(0);
            let parts: Vec<Vec<Diagnostic>> = std::thread::scope(|s| {
                let workers: Vec<_> = (0..2.min(n))
                    .map(|_| {
                        s.spawn(|| {
                            let mut mine = Vec::new();
                            loop {
                                let ci = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                if ci >= n {
                                    break mine;
                                }
                                mine.extend(merge(ci));
                            }
                        })
                    })
                    .collect();
                // Meanwhile: the network facts (a merge of their own).
                let _ = self.network();
                workers.into_iter().map(|w| w.join().unwrap_or_default()).collect()
            });
            out.extend(parts.into_iter().flatten());
        } else {
            (0..n).for_each(|ci| out.extend(merge(ci)));
        }
        Arc::new(out)
    }

    /// See `Derived::diagnostics`.
    fn project_diagnostics(&self) -> Vec<Diagnostic> {
        let snap = &*self.snapshot;
        let mut out = Vec::new();
        workspace_diagnostics(snap, &mut out);
        for (loc, chain) in &self.project.include_cycles {
            let chain: Vec<&str> = chain.iter().map(RelPath::display).collect();
            out.push(Diagnostic::new(
                codes::INCLUDE_CYCLE,
                &snap.file(loc.file).path,
                loc.range.clone(),
                format!("kustomization includes itself: {}; remove the entry that closes the loop", chain.join(" -> ")),
            ));
        }
        for loc in &self.project.too_deep {
            out.push(diag_at(
                codes::INCLUDE_TOO_DEEP,
                snap,
                loc,
                format!(
                    "this entry makes a chain of more than {} kustomizations including each other; what it includes is not analysed",
                    crate::project::MAX_INCLUDE_DEPTH
                ),
            ));
        }
        for (ci, c) in self.project.clusters.iter().enumerate() {
            ClusterCheck { a: self, snap, project: &self.project, ci: ci as u32, cluster: c, out: &mut out }.run();
        }
        // Schema checks across objects (schema folders, CRDs).
        out.extend(crate::schema::cluster_diagnostics(self));
        out
    }

    /// The placements the cluster-wide merges of a cluster read (see `Merges`).
    pub fn merges(&self, cluster: u32) -> &Merges {
        &self.derived.merges[cluster as usize]
    }

    /// Computes the per-file results not yet known, on all cores.
    fn fill_memos(&self) {
        let todo: Vec<FileIdx> =
            (0..self.memo.len() as FileIdx).filter(|&fi| self.memo[fi as usize].diagnostics.get().is_none()).collect();
        let work = |fi: FileIdx| {
            let m = &self.memo[fi as usize];
            m.diagnostics.get_or_init(|| self.file_unit(fi));
            m.facts.get_or_init(|| self.file_facts(fi));
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
        if todo.len() < 64 || threads < 2 {
            todo.iter().for_each(|&fi| work(fi));
            return;
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| loop {
                    let i = next.fetch_add(16, std::sync::atomic::Ordering::Relaxed);
                    if i >= todo.len() {
                        break;
                    }
                    todo[i..(i + 16).min(todo.len())].iter().for_each(|&fi| work(fi));
                });
            }
        });
    }

    /// The diagnostics of one file that depend on it and the project only.
    fn file_unit(&self, fi: FileIdx) -> Vec<Diagnostic> {
        let snap = &*self.snapshot;
        let f = snap.file(fi);
        let mut out = Vec::new();
        file_diagnostics(f, &mut out);
        if f.is_kustomization {
            kustomization_diagnostics(snap, f, &mut out);
        }
        let placed = &self.derived.placed[fi as usize];
        let mut seen: FxHashSet<(u32, u32, u32)> = FxHashSet::default();
        for &(ci, pi) in placed {
            let c = &self.project.clusters[ci as usize];
            let pl = &c.placements[pi as usize];
            let Placed::Object(l) = pl.obj else { continue };
            let ks = &c.kss[pl.ks as usize];
            if !ks.bindings.enabled || pl.subst_disabled {
                continue;
            }
            let o = &f.objects[l.obj as usize];
            if o.subst_disabled || o.subst_sites.is_empty() || !seen.insert((ci, l.obj, pl.ks)) {
                continue;
            }
            let mut check = ClusterCheck { a: self, snap, project: &self.project, ci, cluster: c, out: &mut out };
            for site in &o.subst_sites {
                check.check_text(f, site.range.clone(), &site.scan, ks);
            }
        }
        crate::schema::file_diagnostics(self, fi, &mut out);
        out
    }

    /// What the cluster-wide checks need from one file's placed objects.
    fn file_facts(&self, fi: FileIdx) -> FileFacts {
        let snap = &*self.snapshot;
        let f = snap.file(fi);
        let mut facts = FileFacts::default();
        for &(ci, pi) in &self.derived.placed[fi as usize] {
            let c = &self.project.clusters[ci as usize];
            let pl = &c.placements[pi as usize];
            let Placed::Object(l) = pl.obj else { continue };
            let o = &f.objects[l.obj as usize];
            let root = f.root(o);
            let b = &c.kss[pl.ks as usize].bindings;
            if !pl.name_replaced {
                if let Some(name_node) = root.at(&["metadata", "name"]) {
                    let name = name_node.as_str().and_then(|s| {
                        if pl.subst_disabled || o.subst_disabled {
                            Some(s.to_string())
                        } else {
                            b.apply(s)
                        }
                    });
                    if let Some(name) = name {
                        let key = (
                            pl.ks,
                            o.group().to_string(),
                            o.kind.clone(),
                            pl.namespace.as_deref().unwrap_or("").to_string(),
                            format!("{}{name}{}", pl.name_prefix, pl.name_suffix),
                        );
                        let hash = {
                            use std::hash::BuildHasher;
                            rustc_hash::FxBuildHasher.hash_one(&key)
                        };
                        facts.names.push((ci, pi, NameFact { key, hash, at: name_node.range.clone() }));
                    }
                }
            }
            if o.is("helm.toolkit.fluxcd.io", "HelmRelease") {
                let hr = HelmRelease::read(root);
                let text = |n: &Node| n.as_str().and_then(|s| b.apply(s));
                let ns = pl.namespace.as_deref().map(str::to_string).unwrap_or_else(|| "default".into());
                if let Some(name) = hr.name.and_then(text) {
                    let id =
                        NsName { namespace: ns.clone(), name: format!("{}{name}{}", pl.name_prefix, pl.name_suffix) };
                    let depends_on = hr
                        .depends_on
                        .iter()
                        .filter_map(|d| {
                            Some((
                                NsName {
                                    namespace: d.namespace.and_then(text).unwrap_or_else(|| ns.clone()),
                                    name: text(d.name)?,
                                },
                                d.name.range.clone(),
                            ))
                        })
                        .collect();
                    facts.helm.push((ci, pi, HelmFact { id, depends_on }));
                }
            }
        }
        facts
    }

    fn facts(&self, fi: FileIdx) -> &FileFacts {
        self.memo[fi as usize].facts.get_or_init(|| self.file_facts(fi))
    }

    /// The network facts of every cluster (computed once per analysis).
    pub fn network(&self) -> Arc<Vec<crate::network::ClusterNet>> {
        self.network.get_or_init(|| Arc::new(crate::network::collect(self))).clone()
    }

    pub fn path_of(&self, file: FileIdx) -> &RelPath {
        &self.snapshot.file(file).path
    }
}

/// Whether `snap` has the structure of `prev`'s snapshot: the same paths, folders,
/// configuration and auxiliary files, and every changed file differs only in content that
/// the project build does not read (objects with the same identities, none of a structural
/// kind, not a kustomization, not read by the build). Gives the changed files.
fn structure_kept(prev: &Analysis, snap: &Snapshot) -> Option<Vec<FileIdx>> {
    let old = &*prev.snapshot;
    let same = Arc::ptr_eq(&old.by_path, &snap.by_path)
        && Arc::ptr_eq(&old.dirs, &snap.dirs)
        && Arc::ptr_eq(&old.other_files, &snap.other_files)
        && Arc::ptr_eq(&old.aux_texts, &snap.aux_texts)
        && Arc::ptr_eq(&old.unreadable, &snap.unreadable)
        && Arc::ptr_eq(&old.config, &snap.config)
        && old.files.len() == snap.files.len();
    if !same {
        return None;
    }
    let mut changed = Vec::new();
    for (fi, (a, b)) in old.files.iter().zip(&snap.files).enumerate() {
        if Arc::ptr_eq(a, b) {
            continue;
        }
        let fi = fi as FileIdx;
        if prev.project.content_deps.contains(&fi) || !same_shape(a, b) {
            return None;
        }
        changed.push(fi);
    }
    Some(changed)
}

/// Two versions of a file that the project build reads alike.
fn same_shape(a: &FileModel, b: &FileModel) -> bool {
    a.path == b.path
        && !a.is_kustomization
        && !b.is_kustomization
        && a.objects.len() == b.objects.len()
        && a.objects.iter().zip(&b.objects).all(|(x, y)| {
            x.api_version == y.api_version
                && x.kind == y.kind
                && x.name == y.name
                && x.namespace == y.namespace
                && x.subst_disabled == y.subst_disabled
                && !crate::project::is_structural(x)
                && crate::project::made_name(a, x) == crate::project::made_name(b, y)
        })
}

fn diag_at(code: Code, snap: &Snapshot, loc: &Loc, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(code, &snap.file(loc.file).path, loc.range.clone(), message)
}

/// Problems of the workspace as a whole: the configuration, unreadable files.
fn workspace_diagnostics(snap: &Snapshot, out: &mut Vec<Diagnostic>) {
    if let Some((msg, span)) = &snap.config_error {
        out.push(Diagnostic::new(
            codes::CONFIG_ERROR,
            &RelPath::new(crate::config::FILE_NAME).unwrap(),
            span.clone().unwrap_or(0..0),
            format!("{}: {msg}; the configuration is ignored", crate::config::FILE_NAME),
        ));
    }
    for (path, why) in snap.unreadable.iter() {
        let d = match why {
            Unreadable::NotUtf8 { at } => Diagnostic::new(
                codes::UNREADABLE_FILE,
                path,
                0..0,
                format!("file is not UTF-8 (first bad byte at offset {at}); Kubernetes manifests must be UTF-8, so it is not analysed"),
            ),
            Unreadable::TooLarge { size, limit } => Diagnostic::new(
                codes::UNREADABLE_FILE,
                path,
                0..0,
                format!("file is {size} bytes, over the {limit}-byte limit; it is not analysed"),
            )
            .severity(Severity::Warning),
            Unreadable::LinkOutsideRepo => Diagnostic::new(
                codes::PATH_OUTSIDE_REPO,
                path,
                0..0,
                "symbolic link points outside the repository; it is never read",
            ),
            Unreadable::Io(e) => Diagnostic::new(codes::UNREADABLE_FILE, path, 0..0, format!("cannot read file: {e}")),
        };
        out.push(d);
    }
}

/// Problems of one file: syntax, ConfigMap values, substitute names.
fn file_diagnostics(f: &FileModel, out: &mut Vec<Diagnostic>) {
    {
        for p in &f.yaml.problems {
            let mut range = p.range.clone();
            let (msg, sev, related) = match &p.kind {
                SyntaxProblemKind::Error => {
                    range = syntax_error_range(f, &p.range);
                    (syntax_message(f, &p.range, &range), Severity::Error, None)
                }
                SyntaxProblemKind::DuplicateKey { key, first } => (
                    format!("duplicate key `{key}`: Kubernetes rejects the document; keep one"),
                    Severity::Error,
                    Some((first.clone(), format!("`{key}` first defined here"))),
                ),
                SyntaxProblemKind::UnknownAlias(a) => {
                    (format!("alias `*{a}` refers to no anchor above it"), Severity::Error, None)
                }
                SyntaxProblemKind::TooDeep => (
                    format!(
                        "mappings and sequences nested deeper than {} levels; what lies deeper is not analysed",
                        crate::yaml::MAX_DEPTH
                    ),
                    Severity::Warning,
                    None,
                ),
                SyntaxProblemKind::ParserLimit => (
                    format!(
                        "nesting deeper than the YAML parser reads ({} block mappings, sequences and \
                         block scalars open at once); this document is analysed up to here",
                        crate::yaml::PARSER_MAX_LEVELS
                    ),
                    Severity::Warning,
                    None,
                ),
                SyntaxProblemKind::FlowLimit => (
                    format!(
                        "flow collections (`[`, `{{`) nested deeper than {} levels (go-yaml, which Flux reads \
                         manifests with, refuses more); the file is analysed up to here",
                        crate::yaml::MAX_FLOW_LEVELS
                    ),
                    Severity::Warning,
                    None,
                ),
                SyntaxProblemKind::AliasBudget => (
                    format!(
                        "aliases expand to more than {} nodes (an alias bomb?); the rest is not expanded",
                        crate::yaml::ALIAS_BUDGET
                    ),
                    Severity::Warning,
                    None,
                ),
            };
            let mut d = Diagnostic::new(codes::YAML_SYNTAX, &f.path, range, msg).severity(sev);
            if let Some((r, m)) = related {
                d = d.related(&f.path, r, m);
            }
            out.push(d);
        }
        for o in &f.objects {
            let root = f.root(o);
            if o.is("", "ConfigMap") {
                for (k, v) in root.get("data").and_then(Node::as_map).unwrap_or(&[]) {
                    if let Some(ty) = model::non_string_type(v) {
                        out.push(not_string(f, k, v, ty, "ConfigMap data"));
                    }
                }
            }
            if o.is_flux_ks() {
                let ks = FluxKs::read(root);
                for (k, v) in &ks.substitute {
                    if let Some(ty) = model::non_string_type(v) {
                        out.push(not_string(f, k, v, ty, "postBuild.substitute"));
                    }
                    if let Some(name) = k.as_str() {
                        if !subst::is_valid_name(name) {
                            out.push(invalid_name(&f.path, k.range.clone(), name, "postBuild.substitute"));
                        }
                    }
                }
            }
        }
    }
}

/// Where to show a parse error: tree-sitter wraps everything it could not fit into one
/// error node, often from the start of the document; the parser gave up at its last line,
/// which is where the cause usually is (an unclosed bracket, a bad indent just after).
fn syntax_error_range(f: &FileModel, r: &TextRange) -> TextRange {
    let li = &f.line_index;
    let end = r.end.min(f.text.len());
    let (first, last) = (li.line_of(r.start), li.line_of(end.saturating_sub(1).max(r.start)));
    if first == last {
        return r.clone();
    }
    let line = (first..=last).rev().find(|&l| !li.line_text(&f.text, l).trim().is_empty()).unwrap_or(first);
    let start = li.line_start(line);
    let text = li.line_text(&f.text, line);
    let indent = text.len() - text.trim_start().len();
    (start + indent).max(r.start)..(start + text.len()).min(r.end.max(start + indent))
}

fn syntax_message(f: &FileModel, r: &TextRange, shown: &TextRange) -> String {
    let li = &f.line_index;
    let text = &f.text[shown.clone()];
    let first_line = text.lines().next().unwrap_or("").trim();
    // A tab used for indentation: on a line of the error, or on the line right after it.
    let (first, last) = (li.line_of(r.start), li.line_of(r.end.min(f.text.len())) + 1);
    if (first..=last.min(li.line_count().saturating_sub(1)))
        .any(|l| li.line_text(&f.text, l).trim_start_matches(' ').starts_with('\t'))
    {
        return "YAML syntax error: tabs cannot indent YAML; use spaces".into();
    }
    if first_line.is_empty() {
        "YAML syntax error: something is missing here".into()
    } else {
        let shown: String = first_line.chars().take(40).collect();
        format!("YAML syntax error near `{shown}`; the rest of the file is analysed as far as it can be read")
    }
}

fn not_string(f: &FileModel, k: &Node, v: &Node, ty: crate::yaml::ScalarType, what: &str) -> Diagnostic {
    let key = k.as_str().unwrap_or("?");
    let shown = v.as_str().unwrap_or("");
    let range = if v.range.is_empty() { k.range.clone() } else { v.range.clone() };
    Diagnostic::new(
        codes::VARIABLE_NOT_STRING,
        &f.path,
        range,
        format!("{what} value of `{key}` is read by YAML as {} (`{shown}`); the API server rejects it: quote it, `\"{shown}\"`", article(ty.name())),
    )
}

fn article(s: &str) -> String {
    if s.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {s}")
    } else {
        format!("a {s}")
    }
}

fn invalid_name(path: &RelPath, range: TextRange, name: &str, what: &str) -> Diagnostic {
    Diagnostic::new(
        codes::INVALID_VARIABLE_NAME,
        path,
        range,
        format!("`{name}` ({what}) is not a valid variable name (letters, digits and `_`, not starting with a digit); Flux fails the substitution: rename it, e.g. `{}`", suggest_name(name)),
    )
}

fn suggest_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c.to_ascii_uppercase() } else { '_' })
        .collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) || s.is_empty() {
        s.insert(0, '_');
    }
    s
}

/// Entries of a kustomization.yaml that name nothing, leave the repository or are URLs.
fn kustomization_diagnostics(snap: &Snapshot, f: &FileModel, out: &mut Vec<Diagnostic>) {
    let Some(root) = f.kustomization() else { return };
    let k = KustomizeFile::read(root);
    let dir = f.path.parent();
    let entries = k.resources.iter().map(|n| (*n, "resources")).chain(k.components.iter().map(|n| (*n, "components")));
    for (n, field) in entries {
        let Some(r) = n.as_str() else { continue };
        let range = n.range.clone();
        if model::is_remote(r) {
            out.push(Diagnostic::new(
                codes::REMOTE_RESOURCE,
                &f.path,
                range,
                format!("remote {field} entry `{r}` is recorded, not fetched: its objects are not analysed"),
            ));
            continue;
        }
        if r.starts_with('/') || r.contains(":\\") {
            out.push(Diagnostic::new(codes::PATH_OUTSIDE_REPO, &f.path, range, format!("absolute path `{r}` in {field}: kustomize needs paths relative to the kustomization; it is not read")));
            continue;
        }
        let Some(p) = dir.join(r) else {
            out.push(Diagnostic::new(
                codes::PATH_OUTSIDE_REPO,
                &f.path,
                range,
                format!("`{r}` leaves the repository; it is not read"),
            ));
            continue;
        };
        if let Some(Unreadable::LinkOutsideRepo) = snap.unreadable.get(&p) {
            out.push(Diagnostic::new(
                codes::PATH_OUTSIDE_REPO,
                &f.path,
                range,
                format!("`{r}` is a symbolic link out of the repository; it is not read"),
            ));
            continue;
        }
        if snap.is_file(&p) {
            if field == "components" {
                out.push(Diagnostic::new(
                    codes::NOT_A_COMPONENT,
                    &f.path,
                    range,
                    format!(
                        "`{r}` is a file; a component entry names a folder with a `kind: Component` kustomization.yaml"
                    ),
                ));
            }
            continue;
        }
        if !snap.is_dir(&p) {
            out.push(Diagnostic::new(
                codes::MISSING_PATH,
                &f.path,
                range,
                format!("{field} entry `{r}` does not exist ({} not found)", p.display()),
            ));
            continue;
        }
        let Some(kfi) = snap.kustomization_in(&p) else {
            if !snap.has_kustomization(&p) {
                out.push(Diagnostic::new(
                    codes::MISSING_PATH,
                    &f.path,
                    range,
                    format!(
                        "folder `{r}` has no kustomization.yaml; kustomize cannot build it: add one or list its files"
                    ),
                ));
            }
            continue;
        };
        let is_component = snap.file(kfi).kustomization().is_some_and(|r| r.str_at(&["kind"]) == Some("Component"));
        if field == "components" && !is_component {
            out.push(
                Diagnostic::new(codes::NOT_A_COMPONENT, &f.path, range, format!("`{r}` is listed in components but its kustomization is not `kind: Component`; list it under resources, or make it a Component (apiVersion kustomize.config.k8s.io/v1alpha1)"))
                    .related(&snap.file(kfi).path, 0..0, "its kustomization"),
            );
        } else if field == "resources" && is_component {
            out.push(
                Diagnostic::new(
                    codes::NOT_A_COMPONENT,
                    &f.path,
                    range,
                    format!("`{r}` is a Component; kustomize only accepts it under components:, not resources:"),
                )
                .related(&snap.file(kfi).path, 0..0, "the component"),
            );
        }
    }
    for n in &k.file_refs {
        let Some(r) = n.as_str() else { continue };
        let file = r.split_once('=').map_or(r, |(_, p)| p);
        if model::is_remote(file) {
            continue;
        }
        match dir.join(file) {
            None => out.push(Diagnostic::new(
                codes::PATH_OUTSIDE_REPO,
                &f.path,
                n.range.clone(),
                format!("`{file}` leaves the repository; it is not read"),
            )),
            Some(p) if !snap.is_file(&p) => out.push(Diagnostic::new(
                codes::MISSING_PATH,
                &f.path,
                n.range.clone(),
                format!("file `{file}` does not exist"),
            )),
            _ => {}
        }
    }
    for p in &k.patches {
        if let Some(n) = p.path {
            let Some(r) = n.as_str() else { continue };
            if r.contains('\n') || r.contains(": ") {
                continue;
            }
            match dir.join(r) {
                None => out.push(Diagnostic::new(
                    codes::PATH_OUTSIDE_REPO,
                    &f.path,
                    n.range.clone(),
                    format!("patch `{r}` leaves the repository; it is not read"),
                )),
                Some(pp) if !snap.is_file(&pp) => out.push(Diagnostic::new(
                    codes::MISSING_PATH,
                    &f.path,
                    n.range.clone(),
                    format!("patch file `{r}` does not exist"),
                )),
                _ => {}
            }
        }
    }
}

struct ClusterCheck<'a> {
    a: &'a Analysis,
    snap: &'a Snapshot,
    project: &'a Project,
    ci: u32,
    cluster: &'a Cluster,
    out: &'a mut Vec<Diagnostic>,
}

impl ClusterCheck<'_> {
    fn push(&mut self, d: Diagnostic) {
        let name = self.cluster.name.clone();
        self.out.push(d.cluster(&name));
    }

    /// The checks of the cluster that depend on the project only (per-file ones are in
    /// `Analysis::file_unit`; `helm_releases` and `duplicates` merge per-file facts).
    fn run(&mut self) {
        for ks in &self.cluster.kss {
            self.ks_checks(ks);
        }
        self.dependency_cycles();
        self.generated_substitutions();
        self.variable_names();
    }

    fn ks_checks(&mut self, ks: &KsNode) {
        let snap = self.snap;
        let who = format!("Flux Kustomization {}", ks.id);
        if let Some(path) = &ks.path {
            if let (Some(at), None) = (&path.at, &ks.external) {
                if path.leaves_repo {
                    self.push(diag_at(
                        codes::PATH_OUTSIDE_REPO,
                        snap,
                        at,
                        format!("spec.path `{}` of {who} leaves the repository", path.raw),
                    ));
                } else if let Some(dir) = &path.dir {
                    if !snap.is_dir(dir) {
                        let msg = if snap.is_file(dir) {
                            format!("spec.path `{}` of {who} is a file; Flux needs a folder", path.raw)
                        } else {
                            format!("spec.path `{}` of {who} does not exist{}", path.raw, closest_dir_hint(snap, dir))
                        };
                        self.push(diag_at(codes::MISSING_PATH, snap, at, msg));
                    }
                }
            }
            if let (Some(dir), None) = (&path.dir, &ks.external) {
                for (comp, at) in &ks.components {
                    let Some(at) = at else { continue };
                    match dir.join(comp) {
                        None => self.push(diag_at(
                            codes::PATH_OUTSIDE_REPO,
                            snap,
                            at,
                            format!("component `{comp}` of {who} leaves the repository"),
                        )),
                        Some(p) if !snap.is_dir(&p) => self.push(diag_at(
                            codes::MISSING_PATH,
                            snap,
                            at,
                            format!("component `{comp}` of {who} does not exist ({} not found)", p.display()),
                        )),
                        Some(p) => {
                            let is_comp = snap.kustomization_in(&p).and_then(|k| {
                                snap.file(k).kustomization().map(|r| r.str_at(&["kind"]) == Some("Component"))
                            });
                            if is_comp != Some(true) {
                                self.push(diag_at(codes::NOT_A_COMPONENT, snap, at, format!("component `{comp}` of {who} is not a folder with a `kind: Component` kustomization")));
                            }
                        }
                    }
                }
            }
        }
        for (dep, at) in &ks.depends_on {
            let Some(at) = at else { continue };
            if !self.cluster.ks_by_id.contains_key(dep) {
                let names: Vec<&str> = self
                    .cluster
                    .kss
                    .iter()
                    .filter(|k| k.obj.is_some() && k.id.namespace == dep.namespace)
                    .map(|k| k.id.name.as_str())
                    .collect();
                let hint = closest(&dep.name, &names).map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
                self.push(diag_at(
                    codes::DEPENDS_ON_UNKNOWN,
                    snap,
                    at,
                    format!("{who} depends on `{dep}`, which this cluster does not have{hint}"),
                ));
            }
        }
        for s in &ks.sources {
            let Some(at) = &s.at else { continue };
            match &s.found {
                SourceFound::Missing if !s.optional => self.push(diag_at(
                    codes::SUBSTITUTION_SOURCE_MISSING,
                    snap,
                    at,
                    format!("substituteFrom {} {}/{} of {who} does not exist; Flux fails the Kustomization: create it, fix the name, or add `optional: true`", s.kind, s.namespace, s.name),
                )),
                SourceFound::OutsideFlux(def) => {
                    let d = diag_at(
                        codes::SUBSTITUTION_SOURCE_OUTSIDE_FLUX,
                        snap,
                        at,
                        format!("substituteFrom {} {}/{} is not applied by Flux in this cluster; it is defined in {} (created outside Flux, e.g. at bootstrap)", s.kind, s.namespace, s.name, snap.file(def.file).path),
                    )
                    .related(&snap.file(def.file).path, def.range.clone(), "defined here");
                    self.push(d);
                }
                _ => {}
            }
        }
    }

    fn dependency_cycles(&mut self) {
        let c = self.cluster;
        let edges: Vec<Vec<(u32, Option<Loc>)>> = c
            .kss
            .iter()
            .map(|k| k.depends_on.iter().filter_map(|(d, at)| c.ks_by_id.get(d).map(|&i| (i, at.clone()))).collect())
            .collect();
        let names: Vec<String> = c.kss.iter().map(|k| k.id.name.clone()).collect();
        self.report_cycles(&edges, &names, "Flux Kustomizations");
    }

    fn report_cycles(&mut self, edges: &[Vec<(u32, Option<Loc>)>], names: &[String], what: &str) {
        let adj: Vec<Vec<u32>> = edges.iter().map(|e| e.iter().map(|(i, _)| *i).collect()).collect();
        for scc in strongly_connected(&adj) {
            let set: FxHashSet<u32> = scc.iter().copied().collect();
            let self_loop = scc.len() == 1 && adj[scc[0] as usize].contains(&scc[0]);
            if scc.len() < 2 && !self_loop {
                continue;
            }
            let cycle = spell_cycle(&adj, &scc, names);
            for &from in &scc {
                for (to, at) in &edges[from as usize] {
                    if set.contains(to) {
                        if let Some(at) = at {
                            let msg = format!("dependsOn cycle among {what}: {cycle}; none of them can become ready: remove one dependsOn");
                            self.push(diag_at(codes::DEPENDS_ON_CYCLE, self.snap, at, msg));
                        }
                    }
                }
            }
        }
    }

    fn helm_releases(&mut self) {
        let snap = self.snap;
        let a = self.a;
        let ci = self.ci;
        // Each HelmRelease once (the first placement of its id), with its file's dependsOn.
        let mut ids: Vec<&NsName> = Vec::new();
        let mut index: FxHashMap<&NsName, u32> = FxHashMap::default();
        let mut deps: Vec<(FileIdx, &[(NsName, TextRange)])> = Vec::new();
        for &(pi, file) in &a.derived.merges[ci as usize].helm {
            let Some(hr) = find(&a.facts(file).helm, ci, pi) else { continue };
            if let std::collections::hash_map::Entry::Vacant(v) = index.entry(&hr.id) {
                v.insert(ids.len() as u32);
                ids.push(&hr.id);
                deps.push((file, &hr.depends_on));
            }
        }
        let mut edges = Vec::new();
        for (i, (file, ds)) in deps.iter().enumerate() {
            let mut e = Vec::new();
            for (d, r) in ds.iter() {
                let at = Loc { file: *file, range: r.clone() };
                match index.get(d) {
                    Some(&j) => e.push((j, Some(at))),
                    None => {
                        let names: Vec<&str> =
                            ids.iter().filter(|x| x.namespace == d.namespace).map(|x| x.name.as_str()).collect();
                        let hint =
                            closest(&d.name, &names).map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
                        let msg = format!(
                            "HelmRelease {} depends on HelmRelease `{d}`, which this cluster does not have{hint}",
                            ids[i]
                        );
                        self.push(diag_at(codes::DEPENDS_ON_UNKNOWN, snap, &at, msg));
                    }
                }
            }
            edges.push(e);
        }
        let names: Vec<String> = ids.iter().map(|i| i.name.clone()).collect();
        self.report_cycles(&edges, &names, "HelmReleases");
    }

    /// A kustomize generator's literals end up in the ConfigMap or Secret that Flux
    /// substitutes. (Objects of files: `Analysis::file_unit`.)
    fn generated_substitutions(&mut self) {
        let snap = self.snap;
        let c = self.cluster;
        let mut seen: FxHashSet<(u32, u32)> = FxHashSet::default();
        for pl in &c.placements {
            let ks = &c.kss[pl.ks as usize];
            if !ks.bindings.enabled || pl.subst_disabled {
                continue;
            }
            let Placed::Generated(g) = pl.obj else { continue };
            if !seen.insert((g, pl.ks)) {
                continue;
            }
            for (_, value, at) in &self.project.generated[g as usize].entries {
                let f = snap.file(at.file);
                let Some(raw) = f.text.get(at.range.clone()) else { continue };
                if value.is_none() || !raw.contains("${") {
                    continue;
                }
                let mut scan = subst::scan(raw);
                model::shift_scan(&mut scan, at.range.start);
                self.check_text(f, at.range.clone(), &scan, ks);
            }
        }
    }

    /// The `${...}` of one scalar (`range` in `f`, `scan` its file-relative scan) as the
    /// Flux Kustomization `ks` substitutes it.
    fn check_text(&mut self, f: &FileModel, range: TextRange, scan: &subst::Scan, ks: &KsNode) {
        let snap = self.snap;
        let b = &ks.bindings;
        let strict = self.cluster.strict;
        for e in &scan.errors {
            // The text of a `${...}` is the same in every cluster: one diagnostic.
            let sev = if e.fatal { Severity::Error } else { Severity::Warning };
            self.out.push(
                Diagnostic::new(codes::UNSUPPORTED_SUBSTITUTION, &f.path, e.range.clone(), e.message.clone())
                    .severity(sev),
            );
        }
        if scan.has_fatal() {
            return;
        }
        let ev = subst::eval(&f.text[range.clone()], &|n| b.lookup(n));
        for (name, r) in ev.undefined {
            let at = r.start + range.start..r.end + range.start;
            let msg = undefined_message(&name, b, ks, strict);
            let sev = if strict { Severity::Error } else { Severity::Warning };
            let mut d = Diagnostic::new(codes::UNDEFINED_VARIABLE, &f.path, at, msg).severity(sev);
            if let Some(bd) = b.vars.get(&name) {
                if let Some(o) = &bd.origin {
                    d = d.related(&snap.file(o.file).path, o.range.clone(), format!("`{name}` is set to \"\" here"));
                }
            } else if let Some(obj) = ks.obj {
                let at = snap
                    .file(obj.file)
                    .root(&snap.file(obj.file).objects[obj.obj as usize])
                    .at(&["metadata", "name"])
                    .map(|n| n.range.clone())
                    .unwrap_or(0..0);
                d = d.related(
                    &snap.file(obj.file).path,
                    at,
                    format!("variables come from Flux Kustomization {}", ks.id),
                );
            }
            self.push(d);
        }
    }

    fn duplicates(&mut self) {
        let snap = self.snap;
        let c = self.cluster;
        // By the key's hash (computed with the facts); equal hashes compare the keys. A name
        // set by kustomize `replacements` is not known here; the same file reached twice in
        // one build (two paths to it) is one object (see `Merges::names`).
        let list = &self.a.derived.merges[self.ci as usize].names;
        let mut first: std::collections::HashMap<PreHashed<'_>, Loc, std::hash::BuildHasherDefault<U64Hasher>> =
            std::collections::HashMap::with_capacity_and_hasher(list.len(), Default::default());
        for &(pi, file) in list {
            let Some(fact) = find(&self.a.facts(file).names, self.ci, pi) else { continue };
            let here = Loc { file, range: fact.at.clone() };
            match first.entry(PreHashed(fact.hash, &fact.key)) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(here);
                }
                std::collections::hash_map::Entry::Occupied(prev) => {
                    let prev = prev.get();
                    let key = &fact.key;
                    let pl = &c.placements[pi as usize];
                    let Placed::Object(l) = pl.obj else { continue };
                    let o = &snap.file(l.file).objects[l.obj as usize];
                    let ks = &c.kss[pl.ks as usize];
                    let ns = if key.3.is_empty() { String::new() } else { format!("{}/", key.3) };
                    let msg = format!("{} {ns}{} is defined twice in the build of Flux Kustomization {}; kustomize fails: remove or rename one", o.kind, key.4, ks.id);
                    let d = diag_at(codes::DUPLICATE_OBJECT, snap, &here, msg).related(
                        &snap.file(prev.file).path,
                        prev.range.clone(),
                        "first defined here",
                    );
                    self.push(d);
                }
            }
        }
    }

    /// substituteFrom keys that Flux cannot use as variable names.
    fn variable_names(&mut self) {
        let snap = self.snap;
        let mut seen: FxHashSet<(u32, usize)> = FxHashSet::default();
        // Layers are shared between Kustomizations: look at each one once.
        let mut layers_seen: FxHashSet<*const ()> = FxHashSet::default();
        for ks in &self.cluster.kss {
            for layer in ks.bindings.vars.layers() {
                if !layers_seen.insert(Arc::as_ptr(layer) as *const ()) {
                    continue;
                }
                for (name, b) in layer.iter() {
                    let Some(o) = &b.origin else { continue };
                    if subst::is_valid_name(name)
                        || !seen.insert((o.file, o.range.start))
                        || b.from.starts_with("postBuild.substitute")
                    {
                        continue;
                    }
                    let d = invalid_name(
                        &snap.file(o.file).path,
                        o.range.clone(),
                        name,
                        &format!("key of substituteFrom {}", b.from),
                    );
                    self.push(d);
                }
            }
        }
    }
}

fn undefined_message(name: &str, b: &Bindings, ks: &KsNode, strict: bool) -> String {
    if let Some(bd) = b.vars.get(name) {
        return format!("`${{{name}}}` is set to \"\" (from {}); Flux substitutes nothing: give it a value, or write `${{{name}:=default}}`", bd.from);
    }
    let from: Vec<String> = ks.sources.iter().map(|s| format!("{} {}", s.kind, s.name)).collect();
    let from = if from.is_empty() { "postBuild.substitute".to_string() } else { from.join(", ") };
    let outcome = if strict {
        "Flux fails the whole Kustomization"
    } else {
        "this cluster's Flux (older than 2.9, without strict substitution) puts an empty string there"
    };
    format!("`${{{name}}}` is not defined for Flux Kustomization {} (variables from {from}) and has no default; {outcome}: define {name} or write `${{{name}:=default}}`", ks.id)
}

fn closest_dir_hint(snap: &Snapshot, dir: &RelPath) -> String {
    let parent = dir.parent();
    let siblings: Vec<&str> =
        snap.dirs.subdirs_in.get(&parent).map(|v| v.iter().map(RelPath::file_name).collect()).unwrap_or_default();
    match closest(dir.file_name(), &siblings) {
        Some(s) => format!("; did you mean `{}`?", parent.join(s).map(|p| p.display().to_string()).unwrap_or_default()),
        None => String::new(),
    }
}

/// The most similar name within a small edit distance.
pub fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (name.len() / 3).max(1);
    candidates
        .iter()
        .map(|c| (edit_distance(name, c), *c))
        .filter(|(d, c)| *d <= limit && *c != name)
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Tarjan's strongly connected components, iterative (graphs can be deep).
fn strongly_connected(adj: &[Vec<u32>]) -> Vec<Vec<u32>> {
    let n = adj.len();
    let mut index = vec![u32::MAX; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    let mut counter = 0u32;
    for start in 0..n {
        if index[start] != u32::MAX {
            continue;
        }
        let mut work: Vec<(u32, usize)> = vec![(start as u32, 0)];
        while let Some((v, i)) = work.pop() {
            let vu = v as usize;
            if i == 0 {
                index[vu] = counter;
                low[vu] = counter;
                counter += 1;
                stack.push(v);
                on_stack[vu] = true;
            }
            if let Some(&w) = adj[vu].get(i) {
                work.push((v, i + 1));
                let wu = w as usize;
                if index[wu] == u32::MAX {
                    work.push((w, 0));
                } else if on_stack[wu] {
                    low[vu] = low[vu].min(index[wu]);
                }
                continue;
            }
            if low[vu] == index[vu] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                comp.sort();
                out.push(comp);
            }
            if let Some(&(parent, _)) = work.last() {
                let pu = parent as usize;
                low[pu] = low[pu].min(low[vu]);
            }
        }
    }
    out
}

/// "a -> b -> c -> a" for one cycle through a strongly connected component.
fn spell_cycle(adj: &[Vec<u32>], scc: &[u32], names: &[String]) -> String {
    let set: FxHashSet<u32> = scc.iter().copied().collect();
    let start = scc[0];
    let mut path = vec![start];
    let mut cur = start;
    for _ in 0..scc.len() {
        let next = adj[cur as usize].iter().copied().find(|n| set.contains(n) && (*n == start || !path.contains(n)));
        match next {
            Some(n) if n == start => break,
            Some(n) => {
                path.push(n);
                cur = n;
            }
            None => break,
        }
    }
    path.push(start);
    path.iter().map(|&i| names[i as usize].as_str()).collect::<Vec<_>>().join(" -> ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn closest_suggests_typos_only() {
        assert_eq!(super::closest("databse", &["database", "cache"]), Some("database"));
        assert_eq!(super::closest("zzz", &["database"]), None);
    }

    #[test]
    fn tarjan_finds_cycles_and_self_loops() {
        let adj = vec![vec![1], vec![2], vec![0], vec![3], vec![]];
        let sccs = super::strongly_connected(&adj);
        assert!(sccs.contains(&vec![0, 1, 2]));
        assert!(sccs.contains(&vec![3]));
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(super::spell_cycle(&adj, &[0, 1, 2], &names), "a -> b -> c -> a");
    }
}
