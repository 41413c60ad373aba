//! Clusters, the build graph and variable bindings: the repository read the way Flux reads it.
//!
//! Owns: cluster discovery; per cluster, the walk from its entry folder through kustomize
//! `resources`/`components`, Flux Kustomizations' `spec.path`/`spec.components` (after the
//! parent's patches and substitution), Flux's generated kustomization for folders without
//! one; which objects each Flux Kustomization applies; and the variable bindings of every
//! (cluster, Flux Kustomization). Pure: reads only the `Snapshot`. Reports nothing itself:
//! `analysis` turns what it records into diagnostics.
//!
//! Clusters, in order of precedence: the `[[cluster]]` entries of `.gitops-lsp.toml`; else
//! one per bootstrap object (a Flux Kustomization named `flux-system`, or a flux-operator
//! `FluxInstance`), rooted at its `spec.path` / `spec.sync.path`; else one per folder
//! directly under a folder named `clusters`; else one cluster `default` made of the Flux
//! Kustomizations that nothing else includes.
//!
//! Variables follow kustomize-controller: `substituteFrom` entries in order (a later one
//! wins; a missing `optional` one defines nothing), then `postBuild.substitute`; every "\n"
//! is removed from values; substitution runs only when at least one variable was loaded
//! (or `substituteStrategy: Always`). A source that no cluster's Flux applies but that the
//! repository defines (a bootstrap folder) still provides its keys.

use crate::files::{RelPath, TextRange};
use crate::model::{self, FileModel, FluxKs, KustomizeFile, ObjRefNode, Object, PatchNode};
use crate::patch;
use crate::snapshot::{FileIdx, Snapshot};
use crate::subst;
use crate::yaml::Node;
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;

/// A place in a file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Loc {
    pub file: FileIdx,
    pub range: TextRange,
}

/// An object of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjLoc {
    pub file: FileIdx,
    pub obj: u32,
}

/// `namespace/name` of a Flux object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NsName {
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for NsName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// What a substituteFrom entry or a variable came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Known(String),
    /// From a Secret: never shown.
    Secret,
    /// Provided, but its value cannot be read (an ExternalSecret, SOPS, a generator file…).
    Unknown,
}

#[derive(Clone, Debug)]
pub struct Binding {
    pub value: Value,
    /// Where the value is written (the key in the settings file), when it is in the repo.
    pub origin: Option<Loc>,
    /// "ConfigMap flux-system/cluster-settings", "Secret flux-system/cluster-secrets",
    /// "postBuild.substitute".
    pub from: String,
}

/// Variables by name, in layers (one per substituteFrom source, then the inline
/// `postBuild.substitute`): a later layer wins. Layers are shared between the Flux
/// Kustomizations that read the same source, so a settings ConfigMap of 700 keys read by
/// 4,000 Kustomizations is held once. The API mirrors the parts of `HashMap` callers use.
#[derive(Clone, Debug, Default)]
pub struct VarMap {
    layers: Vec<Arc<FxHashMap<String, Binding>>>,
}

impl VarMap {
    /// The layers, first to last (a later one wins).
    pub fn layers(&self) -> &[Arc<FxHashMap<String, Binding>>] {
        &self.layers
    }
    pub fn push_layer(&mut self, layer: Arc<FxHashMap<String, Binding>>) {
        if !layer.is_empty() {
            self.layers.push(layer);
        }
    }
    pub fn get(&self, name: &str) -> Option<&Binding> {
        self.layers.iter().rev().find_map(|l| l.get(name))
    }
    pub fn get_key_value(&self, name: &str) -> Option<(&String, &Binding)> {
        self.layers.iter().rev().find_map(|l| l.get_key_value(name))
    }
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
    /// The winning binding of each name (a name shadowed by a later layer appears once).
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Binding)> {
        let layers = &self.layers;
        layers.iter().enumerate().flat_map(move |(i, l)| {
            l.iter().filter(move |(k, _)| !layers[i + 1..].iter().any(|later| later.contains_key(*k)))
        })
    }
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.iter().map(|(k, _)| k)
    }
    pub fn values(&self) -> impl Iterator<Item = &Binding> {
        self.iter().map(|(_, v)| v)
    }
    pub fn len(&self) -> usize {
        self.iter().count()
    }
    pub fn is_empty(&self) -> bool {
        self.layers.iter().all(|l| l.is_empty())
    }
}

impl std::ops::Index<&str> for VarMap {
    type Output = Binding;
    /// Panics when the name is not bound, like `HashMap`'s index.
    fn index(&self, name: &str) -> &Binding {
        self.get(name).unwrap_or_else(|| panic!("no variable `{name}`"))
    }
}

impl<'a> IntoIterator for &'a VarMap {
    type Item = (&'a String, &'a Binding);
    type IntoIter = Box<dyn Iterator<Item = (&'a String, &'a Binding)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// The variables Flux substitutes for one (cluster, Flux Kustomization).
#[derive(Clone, Debug, Default)]
pub struct Bindings {
    /// Flux substitutes at all: a variable was loaded, a source's keys cannot be read, or
    /// `substituteStrategy: Always`. Otherwise `${...}` is applied as written.
    pub enabled: bool,
    pub vars: VarMap,
    /// Sources whose keys cannot be read: any name may come from them.
    pub opaque: Vec<String>,
}

impl Bindings {
    pub fn lookup(&self, name: &str) -> subst::Lookup<'_> {
        match self.vars.get(name) {
            Some(Binding { value: Value::Known(v), .. }) => subst::Lookup::Set(v),
            Some(_) => subst::Lookup::Unknown,
            None if !self.opaque.is_empty() => subst::Lookup::Unknown,
            None => subst::Lookup::Unset,
        }
    }
    /// The text after substitution, `None` when it depends on a value we cannot know.
    pub fn apply(&self, text: &str) -> Option<String> {
        if !self.enabled || !text.contains("${") {
            return Some(text.to_string());
        }
        subst::eval(text, &|n| self.lookup(n)).text
    }
}

/// A substituteFrom entry as resolved in one cluster.
#[derive(Clone, Debug)]
pub struct SourceUse {
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub optional: bool,
    /// The `name:` of the substituteFrom entry.
    pub at: Option<Loc>,
    pub found: SourceFound,
}

#[derive(Clone, Debug)]
pub enum SourceFound {
    /// Applied to the cluster by Flux (the object or generator that defines it).
    InCluster(Option<Loc>),
    /// Not applied by Flux, but defined in the repository (e.g. a bootstrap folder).
    OutsideFlux(Loc),
    Missing,
}

/// A Flux Kustomization as it exists in one cluster (after patches and substitution).
#[derive(Clone, Debug)]
pub struct KsNode {
    pub id: NsName,
    /// The source object; `None` for a cluster's synthetic root.
    pub obj: Option<ObjLoc>,
    /// Files that the effective spec's ranges refer to (`Node::src` indexes this; 0 is the
    /// object's own file). Empty for the synthetic root.
    pub srcs: Vec<FileIdx>,
    pub parent: Option<u32>,
    /// `spec.path` after substitution, with where it is written.
    pub path: Option<KsPath>,
    pub components: Vec<(String, Option<Loc>)>,
    pub depends_on: Vec<(NsName, Option<Loc>)>,
    pub bindings: Arc<Bindings>,
    pub sources: Vec<SourceUse>,
    pub target_namespace: Option<String>,
    /// The Flux source it builds from is outside this repository.
    pub external: Option<String>,
    /// Flux `spec.patches`, to apply to child Flux Kustomizations.
    pub patches: Arc<Vec<patch::Patch>>,
    /// Objects with no place of their own, for the default cluster's root.
    pub seeds: Vec<ObjLoc>,
}

#[derive(Clone, Debug)]
pub struct KsPath {
    pub raw: String,
    /// The folder, `None` when the text is unknown (from a Secret) or leaves the repository.
    pub dir: Option<RelPath>,
    pub leaves_repo: bool,
    pub at: Option<Loc>,
}

/// One object as applied by one Flux Kustomization of a cluster.
#[derive(Clone, Debug)]
pub struct Placement {
    pub obj: Placed,
    pub ks: u32,
    /// The namespace it lands in (`None`: not set anywhere).
    pub namespace: Option<Arc<str>>,
    pub name_prefix: Arc<str>,
    pub name_suffix: Arc<str>,
    pub subst_disabled: bool,
    /// Its name or namespace is set by kustomize `replacements`: not known from its source.
    pub name_replaced: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Placed {
    Object(ObjLoc),
    Generated(u32),
}

/// A ConfigMap or Secret made by a kustomize generator.
#[derive(Clone, Debug)]
pub struct GeneratedObj {
    pub secret: bool,
    pub name: String,
    pub namespace: Option<String>,
    pub at: Loc,
    /// Keys with values when readable; `None` value: unknown.
    pub entries: Vec<(String, Option<String>, Loc)>,
    /// Some of its keys could not be read.
    pub opaque: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterOrigin {
    Config,
    /// A bootstrap `flux-system` Kustomization or a `FluxInstance`.
    Bootstrap(ObjLoc),
    ClustersFolder,
    /// No entry point found: every Flux Kustomization that nothing else includes.
    Default,
}

#[derive(Clone, Debug)]
pub struct Cluster {
    pub name: String,
    pub root: RelPath,
    pub origin: ClusterOrigin,
    /// Strict substitution: an unset variable fails the Kustomization (Flux >= 2.9, or the
    /// StrictPostBuildSubstitutions gate).
    pub strict: bool,
    pub kss: Vec<KsNode>,
    pub placements: Vec<Placement>,
    /// Index: Flux Kustomization id -> kss index.
    pub ks_by_id: FxHashMap<NsName, u32>,
}

/// The whole repository read per cluster.
pub struct Project {
    pub clusters: Vec<Cluster>,
    pub generated: Vec<GeneratedObj>,
    /// Kustomize include cycles found while walking: (the entry that closes it, the chain).
    pub include_cycles: Vec<(Loc, Vec<RelPath>)>,
    /// Files whose content (beyond the identity of their objects) the build read: patch and
    /// replacement files, the substitution sources it used, bootstrap manifests. With
    /// kustomization files and the kinds of `is_structural`, an edit elsewhere cannot
    /// change the project (see `Analysis::update`).
    pub content_deps: FxHashSet<FileIdx>,
    /// Entries where a kustomize include chain goes deeper than `MAX_INCLUDE_DEPTH`: what
    /// lies below is not read.
    pub too_deep: Vec<Loc>,
}

/// The name of the Secret an object makes, when it is not its own (an ExternalSecret's
/// `spec.target.name`, a SealedSecret's template name): part of its identity for the build
/// and the editor index.
pub fn made_name<'f>(f: &'f FileModel, o: &Object) -> Option<&'f str> {
    match (o.group(), o.kind.as_str()) {
        ("external-secrets.io", "ExternalSecret") => f.root(o).str_at(&["spec", "target", "name"]),
        ("bitnami.com", "SealedSecret") => f.root(o).str_at(&["spec", "template", "metadata", "name"]),
        _ => None,
    }
}

/// Kinds whose content the build always reads: Flux Kustomizations and sources, the Flux
/// operator's objects, kustomize's own kinds, and CustomResourceDefinitions (the schema).
pub fn is_structural(o: &Object) -> bool {
    o.is_flux_ks()
        || matches!(
            o.group(),
            "source.toolkit.fluxcd.io" | "fluxcd.controlplane.io" | "kustomize.config.k8s.io" | "apiextensions.k8s.io"
        )
}

const MAX_KS_PER_CLUSTER: usize = 100_000;
pub const MAX_INCLUDE_DEPTH: usize = 256;

impl Project {
    pub fn build(snap: &Snapshot) -> Project {
        let mut b = Builder {
            snap,
            generated: Vec::new(),
            kbuild_cache: FxHashMap::default(),
            include_cycles: Vec::new(),
            patch_cache: FxHashMap::default(),
            flux_applied: None,
            repo_sources: None,
            source_roots: FxHashMap::default(),
            bindings_cache: FxHashMap::default(),
            layer_cache: FxHashMap::default(),
            content_deps: FxHashSet::default(),
            too_deep: Vec::new(),
            source_cache: FxHashMap::default(),
            namespaces: FxHashMap::default(),
        };
        let specs = discover_clusters(snap, &mut b);
        let mut clusters = Vec::new();
        for spec in &specs {
            clusters.push(b.walk_cluster(spec));
        }
        // A source "outside Flux" must be applied by Flux in no cluster at all (a bootstrap
        // folder); one that another cluster applies is missing here. Only known once every
        // cluster is walked: walk again the clusters that used such a source.
        let outside = |c: &Cluster| {
            c.kss.iter().any(|k| k.sources.iter().any(|s| matches!(s.found, SourceFound::OutsideFlux(_))))
        };
        if clusters.iter().any(outside) {
            let applied: FxHashSet<ObjLoc> = clusters
                .iter()
                .flat_map(|c| {
                    c.placements.iter().filter_map(|p| if let Placed::Object(l) = p.obj { Some(l) } else { None })
                })
                .collect();
            b.flux_applied = Some(applied);
            for (i, spec) in specs.iter().enumerate() {
                if outside(&clusters[i]) {
                    clusters[i] = b.walk_cluster(spec);
                }
            }
        }
        let mut include_cycles = b.include_cycles;
        include_cycles.sort_by_key(|c| (c.0.file, c.0.range.start));
        include_cycles.dedup_by(|a, b| a.0 == b.0);
        let mut too_deep = b.too_deep;
        too_deep.sort_by_key(|l| (l.file, l.range.start));
        too_deep.dedup();
        Project { clusters, generated: b.generated, include_cycles, content_deps: b.content_deps, too_deep }
    }

    pub fn cluster(&self, name: &str) -> Option<&Cluster> {
        self.clusters.iter().find(|c| c.name == name)
    }
}

// ---------------------------------------------------------------------------------------
// Cluster discovery.

struct ClusterSpec {
    name: String,
    root: RelPath,
    origin: ClusterOrigin,
    strict: bool,
    /// The root Flux Kustomization (bootstrap), if any.
    root_ks: Option<ObjLoc>,
    seeds: Vec<ObjLoc>,
}

fn iter_objects(snap: &Snapshot) -> impl Iterator<Item = (ObjLoc, &FileModel, &Object)> {
    snap.files.iter().enumerate().flat_map(|(fi, f)| {
        f.objects.iter().enumerate().map(move |(oi, o)| (ObjLoc { file: fi as FileIdx, obj: oi as u32 }, &**f, o))
    })
}

fn strip_dot(p: &str) -> &str {
    p.trim().trim_start_matches("./").trim_start_matches('/')
}

fn discover_clusters(snap: &Snapshot, b: &mut Builder) -> Vec<ClusterSpec> {
    let mut specs: Vec<ClusterSpec> = Vec::new();
    let mut flux_version_strict = |root: &RelPath, explicit: Option<&str>| -> bool {
        strict_for(snap, root, explicit, None, &mut b.content_deps)
    };
    if !snap.config.clusters.is_empty() {
        for c in &snap.config.clusters {
            let root = RelPath::new(strip_dot(&c.path)).unwrap_or_default();
            // A bootstrap Kustomization whose path is this folder becomes the root object.
            let root_ks = iter_objects(snap)
                .find(|(_, f, o)| {
                    o.is_flux_ks()
                        && flux_path_of(f, o).as_ref() == Some(&root)
                        && o.name.as_deref() == Some("flux-system")
                })
                .map(|(l, _, _)| l);
            let strict = c.strict_substitution.unwrap_or_else(|| flux_version_strict(&root, c.flux_version.as_deref()));
            specs.push(ClusterSpec {
                name: c.name.clone(),
                root,
                origin: ClusterOrigin::Config,
                strict,
                root_ks,
                seeds: Vec::new(),
            });
        }
        return specs;
    }
    // Bootstrap Kustomizations named flux-system, and flux-operator FluxInstances.
    let mut roots: Vec<(RelPath, ObjLoc, Option<String>)> = Vec::new();
    for (loc, f, o) in iter_objects(snap) {
        if o.is_flux_ks() && o.name.as_deref() == Some("flux-system") {
            if let Some(p) = flux_path_of(f, o) {
                roots.push((p, loc, None));
            }
        } else if o.kind == "FluxInstance" && o.group() == "fluxcd.controlplane.io" {
            let root = f.root(o);
            if let Some(p) = root.str_at(&["spec", "sync", "path"]).and_then(|p| RelPath::new(strip_dot(p))) {
                let version = root.str_at(&["spec", "distribution", "version"]).map(str::to_string);
                roots.push((p, loc, version));
            }
        }
    }
    roots.sort_by(|a, b| a.0.cmp(&b.0));
    roots.dedup_by(|a, b| a.0 == b.0);
    if !roots.is_empty() {
        let names = cluster_names(&roots.iter().map(|r| r.0.clone()).collect::<Vec<_>>());
        for ((root, loc, version), name) in roots.into_iter().zip(names) {
            // A FluxInstance sets the feature gate in its own patches.
            let strict = strict_for(snap, &root, version.as_deref(), Some(snap.file(loc.file)), &mut b.content_deps);
            let is_ks = snap.file(loc.file).objects[loc.obj as usize].is_flux_ks();
            specs.push(ClusterSpec {
                name,
                root,
                origin: ClusterOrigin::Bootstrap(loc),
                strict,
                root_ks: if is_ks { Some(loc) } else { None },
                seeds: Vec::new(),
            });
        }
        return specs;
    }
    // Folders under a folder named `clusters`.
    let mut folders: Vec<RelPath> =
        snap.dirs.dirs.iter().filter(|d| !d.is_root() && d.parent().file_name() == "clusters").cloned().collect();
    folders.sort();
    if !folders.is_empty() {
        let names = cluster_names(&folders);
        for (root, name) in folders.into_iter().zip(names) {
            let strict = flux_version_strict(&root, None);
            specs.push(ClusterSpec {
                name,
                root,
                origin: ClusterOrigin::ClustersFolder,
                strict,
                root_ks: None,
                seeds: Vec::new(),
            });
        }
        return specs;
    }
    // One default cluster: the Flux Kustomizations nothing else brings in.
    let all_ks: Vec<ObjLoc> = iter_objects(snap).filter(|(_, _, o)| o.is_flux_ks()).map(|(l, _, _)| l).collect();
    if all_ks.is_empty() {
        return specs;
    }
    let mut included: FxHashSet<ObjLoc> = FxHashSet::default();
    for &k in &all_ks {
        let f = snap.file(k.file);
        let o = &f.objects[k.obj as usize];
        if let Some(p) = flux_path_of(f, o) {
            for inst in b.flux_build(&p, &[]).iter() {
                if let Placed::Object(l) = inst.obj {
                    if l != k {
                        included.insert(l);
                    }
                }
            }
        }
    }
    // Files listed by some kustomization.yaml are included too.
    for f in snap.files.iter().filter(|f| f.is_kustomization) {
        for inst in b.kustomize_build(&f.path.parent(), &mut Vec::new()).iter() {
            if let Placed::Object(l) = inst.obj {
                included.insert(l);
            }
        }
    }
    let seeds: Vec<ObjLoc> = all_ks.into_iter().filter(|k| !included.contains(k)).collect();
    specs.push(ClusterSpec {
        name: "default".into(),
        root: RelPath::root(),
        origin: ClusterOrigin::Default,
        strict: strict_for(snap, &RelPath::root(), None, None, &mut b.content_deps),
        root_ks: None,
        seeds,
    });
    specs
}

/// The `spec.path` of a Flux Kustomization, without substitution (for discovery).
fn flux_path_of(f: &FileModel, o: &Object) -> Option<RelPath> {
    let p = f.root(o).str_at(&["spec", "path"]).unwrap_or("./");
    RelPath::new(strip_dot(p))
}

/// Short, unique names: the last folder, or more of the path where two would clash.
fn cluster_names(roots: &[RelPath]) -> Vec<String> {
    let parts: Vec<Vec<&str>> =
        roots.iter().map(|r| r.as_str().split('/').filter(|s| !s.is_empty()).collect()).collect();
    let mut take = vec![1usize; roots.len()];
    for _ in 0..8 {
        let names: Vec<String> =
            parts.iter().zip(&take).map(|(p, &n)| p[p.len().saturating_sub(n)..].join("/")).collect();
        let mut changed = false;
        for i in 0..names.len() {
            if names.iter().filter(|x| **x == names[i]).count() > 1 && take[i] < parts[i].len() {
                take[i] += 1;
                changed = true;
            }
        }
        if !changed {
            return names.into_iter().map(|n| if n.is_empty() { "default".to_string() } else { n }).collect();
        }
    }
    roots.iter().map(|r| r.display().to_string()).collect()
}

/// Whether unset variables fail the build in the cluster rooted at `root`: Flux >= 2.9 does
/// by default; older Flux only with the StrictPostBuildSubstitutions gate, set in the
/// cluster's bootstrap manifests or in `bootstrap` (the FluxInstance's file).
fn strict_for(
    snap: &Snapshot,
    root: &RelPath,
    explicit_version: Option<&str>,
    bootstrap: Option<&FileModel>,
    deps: &mut FxHashSet<FileIdx>,
) -> bool {
    let parse = |v: &str| -> Option<(u32, u32)> {
        let v = v.trim().trim_start_matches('v');
        let mut it = v.split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next().map(|m| m.trim_end_matches(['x', '*']).parse().unwrap_or(99)).unwrap_or(99);
        Some((major, minor))
    };
    let mut version = explicit_version.and_then(parse);
    let mut gate = bootstrap.is_some_and(|f| f.text.contains("StrictPostBuildSubstitutions=true"));
    // The bootstrap manifests live in the cluster's folder (flux-system/gotk-components.yaml).
    for (fi, f) in snap.files.iter().enumerate().filter(|(_, f)| f.path.starts_with(root)) {
        let name = f.path.file_name();
        if name.starts_with("gotk-components") || f.path.as_str().contains("flux-system/") {
            deps.insert(fi as FileIdx);
            if version.is_none() {
                if let Some(i) = f.text.find("# Flux Version:") {
                    let rest = &f.text[i + 15..];
                    version = rest.lines().next().and_then(parse);
                }
            }
            if f.text.contains("StrictPostBuildSubstitutions=true") {
                gate = true;
            }
        }
    }
    match version {
        Some(v) => v >= (2, 9) || gate,
        None => true,
    }
}

// ---------------------------------------------------------------------------------------
// Builds.

/// One object (or generated object) as a kustomize or Flux build produces it.
#[derive(Clone, Debug)]
pub struct Inst {
    pub obj: Placed,
    pub namespace: Option<Arc<str>>,
    pub name_prefix: Arc<str>,
    pub name_suffix: Arc<str>,
    pub subst_disabled: bool,
    /// Its name or namespace is set by kustomize `replacements`.
    pub name_replaced: bool,
    /// Kustomize patches that target this object, innermost first (only recorded for Flux
    /// Kustomizations, whose spec the model reads).
    pub patches: Vec<Arc<patch::Patch>>,
}

struct Builder<'s> {
    snap: &'s Snapshot,
    generated: Vec<GeneratedObj>,
    kbuild_cache: FxHashMap<RelPath, Arc<Vec<Inst>>>,
    include_cycles: Vec<(Loc, Vec<RelPath>)>,
    patch_cache: FxHashMap<(FileIdx, usize), Arc<Vec<patch::Patch>>>,
    /// Every object that Flux applies in some cluster, once all clusters are walked.
    flux_applied: Option<FxHashSet<ObjLoc>>,
    /// Every ConfigMap and Secret of the repository by (kind, name), built on first use.
    repo_sources: Option<RepoSources>,
    /// Where each Flux source's files live, by (kind, name, namespace).
    source_roots: FxHashMap<(String, String, String), SourceRoot>,
    /// Bindings shared by Kustomizations with the same sources, for the current walk.
    bindings_cache: FxHashMap<Vec<String>, Arc<Bindings>>,
    /// One variable layer per source (kind and `ns/name`), for the current walk.
    layer_cache: FxHashMap<String, Arc<FxHashMap<String, Binding>>>,
    /// See `Project::content_deps`.
    content_deps: FxHashSet<FileIdx>,
    /// See `Project::too_deep`.
    too_deep: Vec<Loc>,
    /// `source_of_object` of the objects read so far (every walk of every cluster reads it).
    source_cache: SourceCache,
    /// Namespace names, shared by the placements.
    namespaces: FxHashMap<String, Arc<str>>,
}

/// What an object defines as a substitution source, if anything: (kind, name, keys).
type SourceCache = FxHashMap<ObjLoc, Option<Arc<(String, String, Arc<SourceEntry>)>>>;

/// (kind, name) -> the objects that define it: where, their own namespace, their keys.
type RepoSources = FxHashMap<(String, String), Vec<(ObjLoc, Option<String>, SourceEntry)>>;

fn empty() -> Arc<str> {
    Arc::from("")
}

impl<'s> Builder<'s> {
    /// What Flux builds for a `spec.path` folder: its kustomization, or the one Flux
    /// generates (every manifest below it, sub-folders with a kustomization as a whole).
    fn flux_build(&mut self, dir: &RelPath, components: &[RelPath]) -> Arc<Vec<Inst>> {
        if self.snap.kustomization_in(dir).is_some() && components.is_empty() {
            return self.kustomize_build(dir, &mut Vec::new());
        }
        let mut out: Vec<Inst> = Vec::new();
        if self.snap.kustomization_in(dir).is_some() {
            out.extend(self.kustomize_build(dir, &mut Vec::new()).iter().cloned());
        } else {
            self.generated_build(dir, &mut out, 0);
        }
        for c in components {
            if self.snap.kustomization_in(c).is_some() {
                out.extend(self.kustomize_build(c, &mut vec![dir.clone()]).iter().cloned());
            }
        }
        Arc::new(out)
    }

    fn generated_build(&mut self, dir: &RelPath, out: &mut Vec<Inst>, depth: usize) {
        if depth > MAX_INCLUDE_DEPTH {
            return;
        }
        let snap = self.snap;
        if let Some(files) = snap.dirs.files_in.get(dir) {
            for p in files {
                if let Some(fi) = snap.file_idx(p) {
                    push_file_objects(snap, fi, out);
                }
            }
        }
        if let Some(subs) = snap.dirs.subdirs_in.get(dir) {
            for sd in subs.clone() {
                if snap.has_kustomization(&sd) {
                    out.extend(self.kustomize_build(&sd, &mut Vec::new()).iter().cloned());
                } else {
                    self.generated_build(&sd, out, depth + 1);
                }
            }
        }
    }

    /// `kustomize build dir`, as far as the model needs it; memoised per folder.
    fn kustomize_build(&mut self, dir: &RelPath, stack: &mut Vec<RelPath>) -> Arc<Vec<Inst>> {
        if let Some(c) = self.kbuild_cache.get(dir) {
            return c.clone();
        }
        let snap = self.snap;
        let Some(kfi) = snap.kustomization_in(dir) else {
            return Arc::new(Vec::new());
        };
        if stack.len() > MAX_INCLUDE_DEPTH {
            return Arc::new(Vec::new());
        }
        let kf = snap.file(kfi);
        let Some(kroot) = kf.kustomization() else {
            return Arc::new(Vec::new());
        };
        stack.push(dir.clone());
        let k = KustomizeFile::read(kroot);
        let mut out: Vec<Inst> = Vec::new();
        let entries: Vec<(&Node, bool)> =
            k.resources.iter().map(|n| (*n, false)).chain(k.components.iter().map(|n| (*n, true))).collect();
        for (entry, _is_component) in entries {
            let Some(r) = entry.as_str() else { continue };
            if model::is_remote(r) || r.starts_with('/') {
                continue;
            }
            let Some(p) = dir.join(r) else { continue };
            if let Some(fi) = snap.file_idx(&p) {
                push_file_objects(snap, fi, &mut out);
            } else if snap.is_dir(&p) {
                if stack.contains(&p) {
                    let mut chain: Vec<RelPath> = stack.clone();
                    chain.push(p.clone());
                    self.include_cycles.push((Loc { file: kfi, range: entry.range.clone() }, chain));
                    continue;
                }
                if stack.len() >= MAX_INCLUDE_DEPTH {
                    self.too_deep.push(Loc { file: kfi, range: entry.range.clone() });
                    continue;
                }
                out.extend(self.kustomize_build(&p, stack).iter().cloned());
            }
        }
        for (gi, g) in k.generators.iter().enumerate() {
            let _ = gi;
            if let Some(obj) = self.generator(kfi, dir, g, k.namespace) {
                self.generated.push(obj);
                out.push(Inst {
                    obj: Placed::Generated(self.generated.len() as u32 - 1),
                    namespace: None,
                    name_prefix: empty(),
                    name_suffix: empty(),
                    subst_disabled: g.subst_disabled,
                    name_replaced: false,
                    patches: Vec::new(),
                });
            }
        }
        // Transformations that matter to the model.
        let ns: Option<Arc<str>> = k.namespace.map(Arc::from);
        let patches = self.kustomize_patches(kfi, dir, &k);
        let renames = replacement_renames(snap, dir, &k, &mut self.content_deps);
        for inst in &mut out {
            if let (Placed::Object(l), false) = (inst.obj, renames.is_empty()) {
                // Selectors read labels and annotations.
                self.content_deps.insert(l.file);
                let f = snap.file(l.file);
                let root = f.root(&f.objects[l.obj as usize]);
                if renames.iter().any(|(sel, rejects)| {
                    sel.matches(root, inst.namespace.as_deref())
                        && !rejects.iter().any(|r| r.matches(root, inst.namespace.as_deref()))
                }) {
                    inst.name_replaced = true;
                }
            }
            if let Some(ns) = &ns {
                inst.namespace = Some(ns.clone());
            }
            if let Some(p) = k.name_prefix {
                inst.name_prefix = Arc::from(format!("{p}{}", inst.name_prefix));
            }
            if let Some(s) = k.name_suffix {
                inst.name_suffix = Arc::from(format!("{}{s}", inst.name_suffix));
            }
            if k.subst_disabled {
                inst.subst_disabled = true;
            }
            if let Placed::Object(l) = inst.obj {
                let o = &snap.file(l.file).objects[l.obj as usize];
                if o.is_flux_ks() {
                    let root = snap.file(l.file).root(o);
                    for p in patches.iter() {
                        if p.targets(root, inst.namespace.as_deref()) {
                            inst.patches.push(Arc::new(p.clone()));
                        }
                    }
                }
            }
        }
        stack.pop();
        let out = Arc::new(out);
        if stack.is_empty() {
            self.kbuild_cache.insert(dir.clone(), out.clone());
        }
        out
    }

    fn kustomize_patches(&mut self, kfi: FileIdx, dir: &RelPath, k: &KustomizeFile) -> Arc<Vec<patch::Patch>> {
        if let Some(c) = self.patch_cache.get(&(kfi, 0)) {
            return c.clone();
        }
        let mut v = Vec::new();
        for p in &k.patches {
            v.extend(read_patch(self.snap, kfi, dir, p, &mut self.content_deps));
        }
        let v = Arc::new(v);
        self.patch_cache.insert((kfi, 0), v.clone());
        v
    }

    fn generator(&self, kfi: FileIdx, dir: &RelPath, g: &model::Generator, ns: Option<&str>) -> Option<GeneratedObj> {
        let name = g.name.and_then(Node::as_str)?.to_string();
        let mut entries = Vec::new();
        let mut opaque = false;
        let loc = |n: &Node| Loc { file: kfi, range: n.range.clone() };
        for lit in &g.literals {
            if let Some(s) = lit.as_str() {
                if let Some((k, v)) = s.split_once('=') {
                    entries.push((k.trim().to_string(), Some(v.trim_matches('"').to_string()), loc(lit)));
                }
            }
        }
        for e in &g.envs {
            let text = e.as_str().and_then(|p| dir.join(p)).and_then(|p| self.snap.aux_texts.get(&p));
            match text {
                Some(t) => {
                    for line in t.lines() {
                        let line = line.trim();
                        if line.is_empty() || line.starts_with('#') {
                            continue;
                        }
                        if let Some((k, v)) = line.split_once('=') {
                            entries.push((k.trim().to_string(), Some(v.to_string()), loc(e)));
                        }
                    }
                }
                None => opaque = true,
            }
        }
        for f in &g.files {
            if let Some(s) = f.as_str() {
                let key = match s.split_once('=') {
                    Some((k, _)) => k.to_string(),
                    None => s.rsplit('/').next().unwrap_or(s).to_string(),
                };
                entries.push((key, None, loc(f)));
            }
        }
        if g.behavior_merge {
            opaque = true;
        }
        Some(GeneratedObj {
            secret: g.secret,
            name,
            namespace: g.namespace.or(ns).map(str::to_string),
            at: loc(g.node),
            entries,
            opaque,
        })
    }

    /// A ConfigMap or Secret defined in the repository but applied by Flux in no cluster, for
    /// sources created outside Flux (at bootstrap), in the namespace asked for (or in none,
    /// as `kubectl apply -n` would place it). Prefers an object that names the namespace.
    /// Objects that Flux applies somewhere are excluded once they are known.
    fn repo_source(&mut self, kind: &str, ns: &str, name: &str) -> Option<SourceEntry> {
        let snap = self.snap;
        let all = self.repo_sources.get_or_insert_with(|| {
            let mut m: RepoSources = FxHashMap::default();
            for (l, f, o) in iter_objects(snap) {
                if let Some((k, n, e)) = source_of_object(f, l.file, o) {
                    m.entry((k, n)).or_default().push((l, o.namespace.clone(), e));
                }
            }
            m
        });
        let mut best: Option<(bool, &SourceEntry)> = None;
        for (l, obj_ns, e) in all.get(&(kind.to_string(), name.to_string()))?.iter() {
            if self.flux_applied.as_ref().is_some_and(|a| a.contains(l)) {
                continue;
            }
            let same_ns = obj_ns.as_deref() == Some(ns);
            if (same_ns || obj_ns.is_none()) && best.is_none_or(|(b, _)| !b && same_ns) {
                best = Some((same_ns, e));
            }
        }
        best.map(|(_, e)| e.clone())
    }

    fn walk_cluster(&mut self, spec: &ClusterSpec) -> Cluster {
        let mut sources = SourceIndex::default();
        let mut cluster = self.walk_once(spec, &sources);
        // Sources found late (a ConfigMap applied by a child) are visible to every
        // Kustomization at reconcile time: walk again with everything the cluster has.
        for _ in 0..3 {
            let found = SourceIndex::collect(self.snap, &self.generated, &cluster, &mut self.source_cache);
            if found.keys == sources.keys {
                break;
            }
            sources = found;
            cluster = self.walk_once(spec, &sources);
        }
        cluster
    }

    fn walk_once(&mut self, spec: &ClusterSpec, known: &SourceIndex) -> Cluster {
        let snap = self.snap;
        // Sources differ per cluster and per walk.
        self.bindings_cache.clear();
        self.layer_cache.clear();
        let mut cluster = Cluster {
            name: spec.name.clone(),
            root: spec.root.clone(),
            origin: spec.origin.clone(),
            strict: spec.strict,
            kss: Vec::new(),
            placements: Vec::new(),
            ks_by_id: FxHashMap::default(),
        };
        let root_node = match spec.root_ks {
            Some(loc) => {
                let f = snap.file(loc.file);
                let o = &f.objects[loc.obj as usize];
                let node = f.root(o).clone();
                self.ks_node(&node, vec![loc.file], Some(loc), None, None, o.namespace.as_deref(), known)
            }
            None => KsNode {
                id: NsName {
                    namespace: "flux-system".into(),
                    name: if spec.origin == ClusterOrigin::Default { "(default)".into() } else { "(root)".into() },
                },
                obj: None,
                srcs: Vec::new(),
                parent: None,
                path: if spec.seeds.is_empty() {
                    Some(KsPath {
                        raw: spec.root.display().to_string(),
                        dir: Some(spec.root.clone()),
                        leaves_repo: false,
                        at: None,
                    })
                } else {
                    None
                },
                components: Vec::new(),
                depends_on: Vec::new(),
                bindings: Arc::new(Bindings::default()),
                sources: Vec::new(),
                target_namespace: None,
                external: None,
                patches: Arc::new(Vec::new()),
                seeds: spec.seeds.clone(),
            },
        };
        cluster.ks_by_id.insert(root_node.id.clone(), 0);
        cluster.kss.push(root_node);
        let mut next = 0usize;
        while next < cluster.kss.len() && cluster.kss.len() < MAX_KS_PER_CLUSTER {
            let ks_idx = next as u32;
            next += 1;
            let ks = cluster.kss[ks_idx as usize].clone();
            let insts: Arc<Vec<Inst>> = if !ks.seeds.is_empty() {
                Arc::new(
                    ks.seeds
                        .iter()
                        .map(|&l| Inst {
                            obj: Placed::Object(l),
                            namespace: None,
                            name_prefix: empty(),
                            name_suffix: empty(),
                            subst_disabled: false,
                            name_replaced: false,
                            patches: Vec::new(),
                        })
                        .collect(),
                )
            } else {
                match (&ks.path, &ks.external) {
                    (Some(KsPath { dir: Some(dir), .. }), None) if snap.is_dir(dir) => {
                        let comps: Vec<RelPath> = ks.components.iter().filter_map(|(c, _)| dir.join(c)).collect();
                        self.flux_build(dir, &comps)
                    }
                    _ => Arc::new(Vec::new()),
                }
            };
            let target_ns: Option<Arc<str>> = ks.target_namespace.as_deref().map(Arc::from);
            for inst in insts.iter() {
                let namespace = target_ns.clone().or_else(|| inst.namespace.clone()).or_else(|| {
                    let own = match inst.obj {
                        Placed::Object(l) => snap.file(l.file).objects[l.obj as usize].namespace.as_deref(),
                        Placed::Generated(g) => self.generated[g as usize].namespace.as_deref(),
                    }?;
                    // One allocation per namespace name, not per placement.
                    Some(match self.namespaces.get(own) {
                        Some(n) => n.clone(),
                        None => {
                            let n: Arc<str> = Arc::from(own);
                            self.namespaces.insert(own.to_string(), n.clone());
                            n
                        }
                    })
                });
                cluster.placements.push(Placement {
                    obj: inst.obj,
                    ks: ks_idx,
                    namespace: namespace.clone(),
                    name_prefix: inst.name_prefix.clone(),
                    name_suffix: inst.name_suffix.clone(),
                    subst_disabled: inst.subst_disabled,
                    name_replaced: inst.name_replaced,
                });
                let Placed::Object(l) = inst.obj else { continue };
                let f = snap.file(l.file);
                let o = &f.objects[l.obj as usize];
                if !o.is_flux_ks() || Some(l) == ks.obj {
                    continue;
                }
                // The child's effective spec: kustomize patches, then the parent's Flux
                // patches; then the parent's substitution (applied when reading fields).
                let mut node = f.root(o).clone();
                let mut srcs = vec![l.file];
                let parent_patches = ks.patches.iter().filter(|p| p.targets(f.root(o), namespace.as_deref()));
                for p in inst.patches.iter().map(|p| &**p).chain(parent_patches) {
                    p.apply(&mut node, &mut srcs);
                }
                let child =
                    self.ks_node(&node, srcs, Some(l), Some(ks_idx), Some(&ks.bindings), namespace.as_deref(), known);
                if cluster.ks_by_id.contains_key(&child.id) {
                    // The bootstrap Kustomization includes itself; a second copy is not a new node.
                    continue;
                }
                cluster.ks_by_id.insert(child.id.clone(), cluster.kss.len() as u32);
                cluster.kss.push(child);
            }
        }
        cluster
    }

    /// Reads a Flux Kustomization's effective spec in a cluster.
    #[allow(clippy::too_many_arguments)]
    fn ks_node(
        &mut self,
        node: &Node,
        srcs: Vec<FileIdx>,
        obj: Option<ObjLoc>,
        parent: Option<u32>,
        parent_bindings: Option<&Bindings>,
        namespace: Option<&str>,
        known: &SourceIndex,
    ) -> KsNode {
        let snap = self.snap;
        let ks = FluxKs::read(node);
        let loc = |n: &Node| srcs.get(n.src as usize).map(|&file| Loc { file, range: n.range.clone() });
        let text = |n: &Node| -> Option<String> {
            let s = n.as_str()?;
            match parent_bindings {
                Some(b) if b.enabled => b.apply(s),
                _ => Some(s.to_string()),
            }
        };
        let own_ns = namespace
            .map(str::to_string)
            .or_else(|| ks.namespace.and_then(text))
            .unwrap_or_else(|| "flux-system".into());
        let name = ks.name.and_then(text).unwrap_or_default();
        let id = NsName { namespace: own_ns.clone(), name };
        // Sources.
        let mut external = None;
        let mut root_dir = RelPath::root();
        if let Some(sr) = &ks.source_ref {
            let kind = sr.kind.and_then(text).unwrap_or_else(|| "GitRepository".into());
            let name = text(sr.name).unwrap_or_default();
            let sns = sr.namespace.and_then(text).unwrap_or_else(|| own_ns.clone());
            let key = (kind.clone(), name.clone(), sns.clone());
            let root = match self.source_roots.get(&key) {
                Some(r) => r.clone(),
                None => {
                    let r = resolve_source(snap, &kind, &name, &sns);
                    self.source_roots.insert(key, r.clone());
                    r
                }
            };
            match root {
                SourceRoot::Repo(d) => root_dir = d,
                SourceRoot::External(why) => external = Some(why),
            }
        }
        let path = ks.path.map(|p| {
            let raw = text(p);
            let (dir, leaves) = match &raw {
                Some(r) if r.starts_with('/') && !r.starts_with("./") && r.len() > 1 => {
                    (RelPath::new(r.trim_start_matches('/')).and_then(|x| root_dir.join(x.as_str())), false)
                }
                Some(r) => match root_dir.join(strip_dot(r)) {
                    Some(d) => (Some(d), false),
                    None => (None, true),
                },
                None => (None, false),
            };
            KsPath {
                raw: raw.unwrap_or_else(|| p.as_str().unwrap_or("").to_string()),
                dir,
                leaves_repo: leaves,
                at: loc(p),
            }
        });
        let path = path
            .or_else(|| Some(KsPath { raw: "./".into(), dir: Some(root_dir.clone()), leaves_repo: false, at: None }));
        let components = ks.components.iter().filter_map(|c| Some((text(c)?, loc(c)))).collect();
        let depends_on = ks
            .depends_on
            .iter()
            .filter_map(|d| {
                let name = text(d.name)?;
                let namespace = d.namespace.and_then(text).unwrap_or_else(|| own_ns.clone());
                Some((NsName { namespace, name }, loc(d.name)))
            })
            .collect();
        // Variables: substituteFrom in order (later wins), then inline substitute.
        let mut sources = Vec::new();
        let mut entries: Vec<(String, String, Option<Arc<SourceEntry>>, bool)> = Vec::new();
        for sf in &ks.substitute_from {
            let kind = sf.kind.and_then(text).unwrap_or_else(|| "ConfigMap".into());
            let name = text(sf.name).unwrap_or_default();
            let found = known.find(&kind, &own_ns, &name);
            let (found_at, entry) = match found {
                Some(e) => {
                    self.content_deps.extend(e.at.as_ref().map(|l| l.file));
                    (SourceFound::InCluster(e.at.clone()), Some(e.clone()))
                }
                None => match self.repo_source(&kind, &own_ns, &name) {
                    Some(e) => {
                        self.content_deps.extend(e.at.as_ref().map(|l| l.file));
                        (SourceFound::OutsideFlux(e.at.clone().expect("repo sources have a place")), Some(Arc::new(e)))
                    }
                    None => (SourceFound::Missing, None),
                },
            };
            entries.push((kind.clone(), format!("{kind} {own_ns}/{name}"), entry, sf.optional));
            sources.push(SourceUse {
                kind,
                name,
                namespace: own_ns.clone(),
                optional: sf.optional,
                at: loc(sf.name),
                found: found_at,
            });
        }
        // Kustomizations reading the same sources (and nothing inline) share one Bindings:
        // repositories have thousands of them over one cluster-settings ConfigMap.
        let share_key = ks.substitute.is_empty().then(|| {
            let mut k: Vec<String> =
                entries.iter().map(|(_, desc, e, opt)| format!("{desc}|{opt}|{}", e.is_some())).collect();
            k.push(ks.substitute_always.to_string());
            k
        });
        let cached = share_key.as_ref().and_then(|k| self.bindings_cache.get(k).cloned());
        let bindings = match cached {
            Some(b) => b,
            None => {
                let mut bindings = Bindings::default();
                for (kind, desc, entry, optional) in &entries {
                    match entry {
                        Some(e) => {
                            let layer_key = format!("{kind}|{desc}");
                            let layer = match self.layer_cache.get(&layer_key) {
                                Some(l) => l.clone(),
                                None => {
                                    let mut layer: FxHashMap<String, Binding> = FxHashMap::default();
                                    for (k, v, at) in &e.vars {
                                        let value = if kind == "Secret" {
                                            if matches!(v, Value::Unknown) {
                                                Value::Unknown
                                            } else {
                                                Value::Secret
                                            }
                                        } else {
                                            v.clone()
                                        };
                                        let from = if e.sops && value == Value::Unknown {
                                            format!("{desc} (SOPS-encrypted)")
                                        } else {
                                            desc.clone()
                                        };
                                        layer.insert(k.clone(), Binding { value, origin: at.clone(), from });
                                    }
                                    let layer = Arc::new(layer);
                                    self.layer_cache.insert(layer_key, layer.clone());
                                    layer
                                }
                            };
                            bindings.vars.push_layer(layer);
                            if e.opaque {
                                bindings.opaque.push(desc.clone());
                            }
                        }
                        None if !optional => bindings.opaque.push(desc.clone()),
                        None => {}
                    }
                }
                let mut inline: FxHashMap<String, Binding> = FxHashMap::default();
                for (k, v) in &ks.substitute {
                    let (Some(key), Some(val)) = (k.as_str(), text(v).or_else(|| v.as_str().map(str::to_string)))
                    else {
                        continue;
                    };
                    inline.insert(
                        key.to_string(),
                        Binding {
                            value: Value::Known(strip_newlines(val)),
                            origin: loc(k),
                            from: format!("postBuild.substitute of {id}"),
                        },
                    );
                }
                bindings.vars.push_layer(Arc::new(inline));
                // Flux substitutes only when it loaded at least one variable (sources that
                // exist but are empty, or optional ones that are missing, load none), or when
                // told to always. A source whose keys cannot be read may hold variables.
                bindings.enabled = ks.substitute_always || !bindings.vars.is_empty() || !bindings.opaque.is_empty();
                let b = Arc::new(bindings);
                if let Some(k) = share_key {
                    self.bindings_cache.insert(k, b.clone());
                }
                b
            }
        };
        let mut patches = Vec::new();
        if let Some(&file) = srcs.first() {
            for p in &ks.patches {
                patches.extend(read_flux_patch(snap, file, &srcs, p));
            }
        }
        KsNode {
            target_namespace: ks.target_namespace.and_then(text),
            id,
            obj,
            srcs,
            parent,
            path,
            components,
            depends_on,
            bindings,
            sources,
            external,
            patches: Arc::new(patches),
            seeds: Vec::new(),
        }
    }
}

fn push_file_objects(snap: &Snapshot, fi: FileIdx, out: &mut Vec<Inst>) {
    for (oi, _) in snap.file(fi).objects.iter().enumerate() {
        out.push(Inst {
            obj: Placed::Object(ObjLoc { file: fi, obj: oi as u32 }),
            namespace: None,
            name_prefix: empty(),
            name_suffix: empty(),
            subst_disabled: false,
            name_replaced: false,
            patches: Vec::new(),
        });
    }
}

fn read_patch(
    snap: &Snapshot,
    kfi: FileIdx,
    dir: &RelPath,
    p: &PatchNode,
    deps: &mut FxHashSet<FileIdx>,
) -> Vec<patch::Patch> {
    let kf = snap.file(kfi);
    if let Some(inline) = p.patch {
        return patch::Patch::from_inline(kf, kfi, inline, p.target);
    }
    if let Some(path) = p.path.and_then(Node::as_str) {
        // patchesStrategicMerge entries may hold inline YAML instead of a path.
        if path.contains('\n') || path.contains(": ") {
            return patch::Patch::from_inline(kf, kfi, p.path.unwrap(), p.target);
        }
        if let Some(fi) = dir.join(path).and_then(|pp| snap.file_idx(&pp)) {
            deps.insert(fi);
            return patch::Patch::from_file(snap.file(fi), fi, p.target.map(|t| (kfi, t)));
        }
    }
    Vec::new()
}

/// The targets of a kustomization's `replacements` (inline, or from files) that set
/// `metadata.name` or `metadata.namespace`: each selector with its rejects.
fn replacement_renames<'s>(
    snap: &'s Snapshot,
    dir: &RelPath,
    k: &KustomizeFile<'s>,
    deps: &mut FxHashSet<FileIdx>,
) -> Vec<(patch::Selector, Vec<patch::Selector>)> {
    let mut entries: Vec<&Node> = Vec::new();
    for r in &k.replacements {
        match r.str_at(&["path"]).and_then(|p| dir.join(p)).and_then(|p| snap.file_idx(&p)) {
            Some(fi) => {
                deps.insert(fi);
                for d in snap.file(fi).yaml.documents.iter().filter_map(|d| d.root.as_ref()) {
                    match d.as_seq() {
                        Some(items) => entries.extend(items),
                        None => entries.push(d),
                    }
                }
            }
            None => entries.push(r),
        }
    }
    let mut out = Vec::new();
    for e in entries {
        for t in e.get("targets").and_then(Node::as_seq).unwrap_or(&[]) {
            let renames = t
                .get("fieldPaths")
                .and_then(Node::as_seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(Node::as_str)
                .any(|p| p.starts_with("metadata.name") || p.starts_with("metadata.namespace"));
            if let (true, Some(sel)) = (renames, t.get("select")) {
                let rejects =
                    t.get("reject").and_then(Node::as_seq).unwrap_or(&[]).iter().map(patch::Selector::read).collect();
                out.push((patch::Selector::read(sel), rejects));
            }
        }
    }
    out
}

fn read_flux_patch(snap: &Snapshot, file: FileIdx, srcs: &[FileIdx], p: &PatchNode) -> Vec<patch::Patch> {
    let Some(inline) = p.patch else { return Vec::new() };
    let Some(&f) = srcs.get(inline.src as usize) else { return Vec::new() };
    let _ = file;
    patch::Patch::from_inline(snap.file(f), f, inline, p.target)
}

#[derive(Clone)]
enum SourceRoot {
    Repo(RelPath),
    External(String),
}

/// Where the files of a Flux source live: this repository (or a folder of it), or outside.
fn resolve_source(snap: &Snapshot, kind: &str, name: &str, namespace: &str) -> SourceRoot {
    for s in &snap.config.sources {
        if s.kind == kind && s.name == name && s.namespace.as_deref().unwrap_or("flux-system") == namespace {
            return match &s.path {
                Some(p) => SourceRoot::Repo(RelPath::new(strip_dot(p)).unwrap_or_default()),
                None => SourceRoot::External(format!(
                    "{kind} {namespace}/{name} is external (per {})",
                    crate::config::FILE_NAME
                )),
            };
        }
    }
    if kind == "GitRepository" && name == "flux-system" {
        return SourceRoot::Repo(RelPath::root());
    }
    // A GitRepository with the same URL as the bootstrap one is this repository.
    let url_of = |k: &str, n: &str| -> Option<String> {
        iter_objects(snap)
            .find(|(_, _, o)| o.kind == k && o.name.as_deref() == Some(n))
            .and_then(|(_, f, o)| f.root(o).str_at(&["spec", "url"]).map(str::to_string))
    };
    if kind == "GitRepository" {
        if let (Some(a), Some(b)) = (url_of("GitRepository", name), url_of("GitRepository", "flux-system")) {
            if a.trim_end_matches(".git") == b.trim_end_matches(".git") {
                return SourceRoot::Repo(RelPath::root());
            }
        }
    }
    // Otherwise: a folder against which every path of that source resolves.
    let mut paths: Vec<String> = Vec::new();
    for (_, f, o) in iter_objects(snap).filter(|(_, _, o)| o.is_flux_ks()) {
        let r = f.root(o);
        if r.str_at(&["spec", "sourceRef", "name"]) == Some(name)
            && r.str_at(&["spec", "sourceRef", "kind"]).unwrap_or("GitRepository") == kind
        {
            if let Some(p) = r.str_at(&["spec", "path"]) {
                if !p.contains("${") {
                    paths.push(strip_dot(p).to_string());
                }
            }
        }
    }
    if !paths.is_empty() {
        let mut candidates: Vec<RelPath> =
            snap.dirs.dirs.iter().filter(|d| d.join(&paths[0]).is_some_and(|x| snap.is_dir(&x))).cloned().collect();
        candidates.retain(|d| paths.iter().all(|p| d.join(p).is_some_and(|x| snap.is_dir(&x))));
        if candidates.len() == 1 {
            return SourceRoot::Repo(candidates.pop().unwrap());
        }
        if candidates.iter().any(|c| c.is_root()) {
            return SourceRoot::Repo(RelPath::root());
        }
    }
    SourceRoot::External(format!("{kind} {namespace}/{name} is not this repository"))
}

// ---------------------------------------------------------------------------------------
// Substitution sources.

#[derive(Clone, Debug, Default)]
pub struct SourceEntry {
    pub vars: Vec<(String, Value, Option<Loc>)>,
    pub opaque: bool,
    pub at: Option<Loc>,
    /// A SOPS-encrypted manifest: its `ENC[...]` values are `Value::Unknown`.
    pub sops: bool,
}

/// ConfigMaps and Secrets (and what produces Secrets) of one cluster, by kind/ns/name.
#[derive(Default)]
pub struct SourceIndex {
    keys: std::collections::BTreeSet<(String, String, String)>,
    entries: FxHashMap<(String, String, String), Arc<SourceEntry>>,
}

impl SourceIndex {
    fn find(&self, kind: &str, ns: &str, name: &str) -> Option<&Arc<SourceEntry>> {
        self.entries
            .get(&(kind.to_string(), ns.to_string(), name.to_string()))
            .or_else(|| self.entries.get(&(kind.to_string(), String::new(), name.to_string())))
    }

    fn collect(snap: &Snapshot, generated: &[GeneratedObj], cluster: &Cluster, cache: &mut SourceCache) -> SourceIndex {
        let mut idx = SourceIndex::default();
        for pl in &cluster.placements {
            let found = match pl.obj {
                Placed::Object(l) => {
                    let s = cache.entry(l).or_insert_with(|| {
                        let f = snap.file(l.file);
                        source_of_object(f, l.file, &f.objects[l.obj as usize])
                            .map(|(kind, name, e)| Arc::new((kind, name, Arc::new(e))))
                    });
                    s.as_ref().map(|s| {
                        let (kind, name, e) = &**s;
                        (kind.clone(), format!("{}{name}{}", pl.name_prefix, pl.name_suffix), e.clone())
                    })
                }
                Placed::Generated(g) => {
                    let g = &generated[g as usize];
                    let vars = g
                        .entries
                        .iter()
                        .map(|(k, v, at)| {
                            (k.clone(), v.clone().map(Value::Known).unwrap_or(Value::Unknown), Some(at.clone()))
                        })
                        .collect();
                    Some((
                        (if g.secret { "Secret" } else { "ConfigMap" }).to_string(),
                        g.name.clone(),
                        Arc::new(SourceEntry { vars, opaque: g.opaque, at: Some(g.at.clone()), sops: false }),
                    ))
                }
            };
            if let Some((kind, name, e)) = found {
                let key = (kind, pl.namespace.as_deref().unwrap_or("").to_string(), name);
                idx.keys.insert(key.clone());
                idx.entries.entry(key).or_insert(e);
            }
        }
        idx
    }
}

/// If an object defines a ConfigMap or Secret (itself, or as what an ExternalSecret,
/// SealedSecret… produces): its kind, name and readable keys.
pub fn source_of_object(f: &FileModel, fi: FileIdx, o: &Object) -> Option<(String, String, SourceEntry)> {
    let root = f.root(o);
    let name = o.name.clone()?;
    let at = Some(Loc { file: fi, range: root.at(&["metadata", "name"]).map(|n| n.range.clone()).unwrap_or(0..0) });
    let keys_of = |n: Option<&Node>, value: &dyn Fn(&Node) -> Value| -> Vec<(String, Value, Option<Loc>)> {
        n.and_then(Node::as_map)
            .unwrap_or(&[])
            .iter()
            .filter_map(|(k, v)| {
                Some((k.as_str()?.to_string(), value(v), Some(Loc { file: fi, range: k.range.clone() })))
            })
            .collect()
    };
    match (o.group(), o.kind.as_str()) {
        ("", "ConfigMap") => {
            let vars = keys_of(root.get("data"), &|v| match v.as_scalar() {
                Some(s) if is_sops_encrypted(&s.value) => Value::Unknown,
                Some(s) => Value::Known(strip_newlines(s.value.clone())),
                None => Value::Unknown,
            });
            let sops = root.get("sops").is_some() || vars.iter().any(|(_, v, _)| *v == Value::Unknown);
            Some(("ConfigMap".into(), name, SourceEntry { vars, opaque: false, at, sops }))
        }
        ("", "Secret") => {
            // SOPS leaves keys readable and encrypts values (all, or those its rules select).
            let v = |n: &Node| if n.as_str().is_some_and(is_sops_encrypted) { Value::Unknown } else { Value::Secret };
            let mut vars = keys_of(root.get("data"), &v);
            vars.extend(keys_of(root.get("stringData"), &v));
            let sops = root.get("sops").is_some() || vars.iter().any(|(_, v, _)| *v == Value::Unknown);
            Some(("Secret".into(), name, SourceEntry { vars, opaque: false, at, sops }))
        }
        ("external-secrets.io", "ExternalSecret") => {
            let target = root.str_at(&["spec", "target", "name"]).map(str::to_string).unwrap_or(name);
            let mut vars: Vec<(String, Value, Option<Loc>)> = root
                .at(&["spec", "data"])
                .and_then(Node::as_seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(|d| {
                    let k = d.get("secretKey")?;
                    Some((k.as_str()?.to_string(), Value::Unknown, Some(Loc { file: fi, range: k.range.clone() })))
                })
                .collect();
            vars.extend(keys_of(root.at(&["spec", "target", "template", "data"]), &|_| Value::Unknown));
            let opaque = root.at(&["spec", "dataFrom"]).is_some()
                || root.at(&["spec", "target", "template", "templateFrom"]).is_some();
            Some(("Secret".into(), target, SourceEntry { vars, opaque, at, sops: false }))
        }
        ("bitnami.com", "SealedSecret") => {
            let target = root.str_at(&["spec", "template", "metadata", "name"]).map(str::to_string).unwrap_or(name);
            let vars = keys_of(root.at(&["spec", "encryptedData"]), &|_| Value::Unknown);
            Some(("Secret".into(), target, SourceEntry { vars, opaque: false, at, sops: false }))
        }
        ("onepassword.com", "OnePasswordItem") | ("secrets.doppler.com", "DopplerSecret") => {
            Some(("Secret".into(), name, SourceEntry { vars: Vec::new(), opaque: true, at, sops: false }))
        }
        _ => None,
    }
}

/// A value encrypted by SOPS: `ENC[AES256_GCM,data:...,iv:...,tag:...,type:str]`.
pub fn is_sops_encrypted(v: &str) -> bool {
    v.starts_with("ENC[") && v.ends_with(']')
}

/// Flux removes every "\n" from a variable's value before substituting
/// (fluxcd/pkg kustomize: `strings.ReplaceAll(v, "\n", "")`).
fn strip_newlines(v: String) -> String {
    if v.contains('\n') {
        v.replace('\n', "")
    } else {
        v
    }
}

/// The ObjRefNode type is re-exported for analyses that read references.
pub type RefNode<'a> = ObjRefNode<'a>;
