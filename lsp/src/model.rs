//! Kubernetes objects of one file and the typed facts the features need.
//!
//! Owns: `FileModel` (one parsed file: its documents, its objects, its `${...}` sites, its
//! syntax problems), built by `FileModel::build` as a pure function of (path, text), and the
//! typed views (`FluxKs`, `KustomizeFile`, substitution sources) read from a `Node`, so that
//! patched objects are read the same way as source ones. Knows nothing of other files.

use crate::files::{LineIndex, RelPath, TextRange};
use crate::subst;
use crate::yaml::{self, Node, NodeKind, ParsedYaml, ScalarStyle, ScalarType};
use std::sync::Arc;

pub const SUBSTITUTE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/substitute";
pub const FLUX_KS_GROUP: &str = "kustomize.toolkit.fluxcd.io";
pub const KUSTOMIZE_FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// One parsed file.
#[derive(Debug)]
pub struct FileModel {
    pub path: RelPath,
    pub text: Arc<str>,
    pub line_index: LineIndex,
    pub yaml: ParsedYaml,
    pub objects: Vec<Object>,
    /// For a `kustomization.yaml`: its first document's root (the kustomize configuration).
    pub is_kustomization: bool,
}

/// A Kubernetes object: one document of a file with `kind`.
#[derive(Debug)]
pub struct Object {
    pub doc: usize,
    pub api_version: String,
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// `kustomize.toolkit.fluxcd.io/substitute: disabled` as annotation or label.
    pub subst_disabled: bool,
    /// Scalars holding `${`, in source order.
    pub subst_sites: Vec<SubstSite>,
}

/// A scalar whose source text holds `${`: the raw range scanned and what was found.
#[derive(Debug, Clone)]
pub struct SubstSite {
    /// Range of the scalar's source text in the file.
    pub range: TextRange,
    /// Expressions with ranges relative to the file (already shifted).
    pub scan: subst::Scan,
    pub is_key: bool,
}

impl Object {
    pub fn group(&self) -> &str {
        group_of(&self.api_version)
    }
    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.kind == kind && self.group() == group
    }
    pub fn is_flux_ks(&self) -> bool {
        self.is(FLUX_KS_GROUP, "Kustomization")
    }
}

pub fn group_of(api_version: &str) -> &str {
    match api_version.rfind('/') {
        Some(i) => &api_version[..i],
        None => "",
    }
}

impl FileModel {
    pub fn build(path: RelPath, text: Arc<str>) -> FileModel {
        let yaml = yaml::parse(&text);
        Self::from_parsed(path, text, yaml)
    }

    pub fn from_parsed(path: RelPath, text: Arc<str>, yaml: ParsedYaml) -> FileModel {
        let line_index = LineIndex::new(&text);
        let is_kustomization = KUSTOMIZE_FILE_NAMES.contains(&path.file_name());
        let mut objects = Vec::new();
        if !is_kustomization {
            for (i, doc) in yaml.documents.iter().enumerate() {
                if let Some(obj) = doc.root.as_ref().and_then(|r| Object::read(i, r, &text)) {
                    objects.push(obj);
                }
            }
        }
        FileModel { path, text, line_index, yaml, objects, is_kustomization }
    }

    pub fn root(&self, obj: &Object) -> &Node {
        self.yaml.documents[obj.doc].root.as_ref().expect("objects come from documents with a root")
    }

    /// The kustomize configuration of a kustomization file.
    pub fn kustomization(&self) -> Option<&Node> {
        if !self.is_kustomization {
            return None;
        }
        self.yaml.documents.iter().find_map(|d| d.root.as_ref()).filter(|r| r.as_map().is_some())
    }
}

impl Object {
    fn read(doc: usize, root: &Node, text: &str) -> Option<Object> {
        let kind = root.str_at(&["kind"])?.to_string();
        let api_version = root.str_at(&["apiVersion"]).unwrap_or("").to_string();
        let meta = root.get("metadata");
        let name = meta.and_then(|m| m.str_at(&["name"])).map(str::to_string);
        let namespace = meta.and_then(|m| m.str_at(&["namespace"])).map(str::to_string);
        let disabled =
            |k: &str| meta.and_then(|m| m.at(&[k, SUBSTITUTE_ANNOTATION])).and_then(Node::as_str) == Some("disabled");
        let subst_disabled = disabled("annotations") || disabled("labels");
        let mut subst_sites = Vec::new();
        collect_sites(root, text, &mut subst_sites);
        Some(Object { doc, api_version, kind, name, namespace, subst_disabled, subst_sites })
    }
}

/// Finds every scalar whose source text contains `${` and scans it.
pub fn collect_sites(root: &Node, text: &str, out: &mut Vec<SubstSite>) {
    root.for_each_scalar(&mut |node, _s, is_key| {
        let raw = &text[node.range.clone()];
        if memchr::memmem::find(raw.as_bytes(), b"${").is_none() {
            return;
        }
        let mut scan = subst::scan(raw);
        shift_scan(&mut scan, node.range.start);
        out.push(SubstSite { range: node.range.clone(), scan, is_key });
    });
}

fn shift_expr(e: &mut subst::Expr, by: usize) {
    e.range = e.range.start + by..e.range.end + by;
    e.name_range = e.name_range.start + by..e.name_range.end + by;
    e.op_range = e.op_range.start + by..e.op_range.end + by;
    for n in &mut e.nested {
        shift_expr(n, by);
    }
}

/// Moves a scan's ranges by `by` bytes (from scalar-relative to file-relative).
pub fn shift_scan(scan: &mut subst::Scan, by: usize) {
    for e in &mut scan.exprs {
        shift_expr(e, by);
    }
    for e in &mut scan.errors {
        e.range = e.range.start + by..e.range.end + by;
    }
    for r in &mut scan.escapes {
        *r = r.start + by..r.end + by;
    }
}

// ---------------------------------------------------------------------------------------
// Typed views, read from a node (source or patched).

/// A reference to another object: `{kind?, name, namespace?}`.
#[derive(Debug, Clone, Copy)]
pub struct ObjRefNode<'a> {
    pub kind: Option<&'a Node>,
    pub name: &'a Node,
    pub namespace: Option<&'a Node>,
    pub optional: bool,
}

fn obj_ref(n: &Node) -> Option<ObjRefNode<'_>> {
    Some(ObjRefNode {
        kind: n.get("kind"),
        name: n.get("name").filter(|x| x.as_str().is_some())?,
        namespace: n.get("namespace").filter(|x| x.as_str().is_some()),
        optional: n.get("optional").and_then(Node::as_scalar).is_some_and(|s| s.value == "true"),
    })
}

/// A Flux `Kustomization` (kustomize.toolkit.fluxcd.io), read from its node.
#[derive(Debug)]
pub struct FluxKs<'a> {
    pub root: &'a Node,
    pub name: Option<&'a Node>,
    pub namespace: Option<&'a Node>,
    pub path: Option<&'a Node>,
    pub depends_on: Vec<ObjRefNode<'a>>,
    pub source_ref: Option<ObjRefNode<'a>>,
    pub substitute: Vec<(&'a Node, &'a Node)>,
    pub substitute_from: Vec<ObjRefNode<'a>>,
    pub substitute_always: bool,
    pub components: Vec<&'a Node>,
    pub target_namespace: Option<&'a Node>,
    pub patches: Vec<PatchNode<'a>>,
}

impl<'a> FluxKs<'a> {
    pub fn read(root: &'a Node) -> FluxKs<'a> {
        let spec = root.get("spec");
        let at = |p: &[&str]| spec.and_then(|s| s.at(p));
        let seq = |p: &[&str]| at(p).and_then(Node::as_seq).unwrap_or(&[]);
        FluxKs {
            root,
            name: root.at(&["metadata", "name"]),
            namespace: root.at(&["metadata", "namespace"]).filter(|n| n.as_str().is_some()),
            path: at(&["path"]),
            depends_on: seq(&["dependsOn"]).iter().filter_map(obj_ref).collect(),
            source_ref: at(&["sourceRef"]).and_then(obj_ref),
            substitute: at(&["postBuild", "substitute"])
                .and_then(Node::as_map)
                .unwrap_or(&[])
                .iter()
                .map(|(k, v)| (k, v))
                .collect(),
            substitute_from: seq(&["postBuild", "substituteFrom"]).iter().filter_map(obj_ref).collect(),
            substitute_always: at(&["postBuild", "substituteStrategy"]).and_then(Node::as_str) == Some("Always"),
            components: seq(&["components"]).iter().collect(),
            target_namespace: at(&["targetNamespace"]).filter(|n| n.as_str().is_some()),
            patches: seq(&["patches"]).iter().filter_map(PatchNode::read).collect(),
        }
    }
    /// Whether the spec asks for substitution: a variable, a source, or
    /// `substituteStrategy: Always`. Flux then substitutes only when it loads at least one
    /// variable (or always): the project decides, once the sources are resolved.
    pub fn substitutes(&self) -> bool {
        !self.substitute.is_empty() || !self.substitute_from.is_empty() || self.substitute_always
    }
}

/// A patch (kustomize `patches` entry or Flux `spec.patches`): inline text or a file path,
/// and a target selector.
#[derive(Debug, Clone, Copy)]
pub struct PatchNode<'a> {
    pub patch: Option<&'a Node>,
    pub path: Option<&'a Node>,
    pub target: Option<&'a Node>,
}

impl<'a> PatchNode<'a> {
    pub fn read(n: &'a Node) -> Option<PatchNode<'a>> {
        match &n.kind {
            // `patchesStrategicMerge` entries are plain strings (a path or inline YAML).
            NodeKind::Scalar(_) => Some(PatchNode { patch: None, path: Some(n), target: None }),
            NodeKind::Map(_) => Some(PatchNode { patch: n.get("patch"), path: n.get("path"), target: n.get("target") }),
            _ => None,
        }
    }
}

/// A HelmRelease's references.
#[derive(Debug)]
pub struct HelmRelease<'a> {
    pub name: Option<&'a Node>,
    pub namespace: Option<&'a Node>,
    pub depends_on: Vec<ObjRefNode<'a>>,
}

impl<'a> HelmRelease<'a> {
    pub fn read(root: &'a Node) -> HelmRelease<'a> {
        HelmRelease {
            name: root.at(&["metadata", "name"]),
            namespace: root.at(&["metadata", "namespace"]),
            depends_on: root
                .at(&["spec", "dependsOn"])
                .and_then(Node::as_seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(obj_ref)
                .collect(),
        }
    }
}

/// Kustomize's `kustomization.yaml` (Kustomization or Component), read from its node.
#[derive(Debug, Default)]
pub struct KustomizeFile<'a> {
    pub is_component: bool,
    pub resources: Vec<&'a Node>,
    pub components: Vec<&'a Node>,
    pub namespace: Option<&'a str>,
    pub name_prefix: Option<&'a str>,
    pub name_suffix: Option<&'a str>,
    pub patches: Vec<PatchNode<'a>>,
    /// Files named by patches, generators and similar fields (checked for existence).
    pub file_refs: Vec<&'a Node>,
    pub generators: Vec<Generator<'a>>,
    /// `replacements` entries: inline, or `{path: file}`.
    pub replacements: Vec<&'a Node>,
    /// Annotations/labels set on everything it builds disable substitution.
    pub subst_disabled: bool,
}

/// A `configMapGenerator` or `secretGenerator` entry.
#[derive(Debug)]
pub struct Generator<'a> {
    pub secret: bool,
    pub node: &'a Node,
    pub name: Option<&'a Node>,
    pub namespace: Option<&'a str>,
    pub behavior_merge: bool,
    /// `literals` entries (`KEY=value`).
    pub literals: Vec<&'a Node>,
    /// `envs`/`env` files (KEY=value lines) and `files` entries (`[key=]path`).
    pub envs: Vec<&'a Node>,
    pub files: Vec<&'a Node>,
    pub subst_disabled: bool,
}

fn disables(n: Option<&Node>) -> bool {
    n.and_then(|m| m.get(SUBSTITUTE_ANNOTATION)).and_then(Node::as_str) == Some("disabled")
}

impl<'a> KustomizeFile<'a> {
    pub fn read(root: &'a Node) -> KustomizeFile<'a> {
        let seq = |k: &str| root.get(k).and_then(Node::as_seq).unwrap_or(&[]);
        let s = |k: &str| root.get(k).and_then(Node::as_str);
        let mut resources: Vec<&Node> = seq("resources").iter().collect();
        resources.extend(seq("bases"));
        resources.extend(seq("crds"));
        let mut patches: Vec<PatchNode> = seq("patches").iter().filter_map(PatchNode::read).collect();
        patches.extend(seq("patchesStrategicMerge").iter().filter_map(PatchNode::read));
        let mut file_refs: Vec<&Node> = Vec::new();
        for p in seq("patchesJson6902") {
            if let Some(path) = p.get("path") {
                file_refs.push(path);
            }
            patches.push(PatchNode { patch: p.get("patch"), path: p.get("path"), target: p.get("target") });
        }
        let gen_opts = root.get("generatorOptions");
        let gen_disabled =
            disables(gen_opts.and_then(|g| g.get("labels"))) || disables(gen_opts.and_then(|g| g.get("annotations")));
        let mut generators = Vec::new();
        for (key, secret) in [("configMapGenerator", false), ("secretGenerator", true)] {
            for g in seq(key) {
                let list = |k: &str| g.get(k).and_then(Node::as_seq).unwrap_or(&[]).iter().collect::<Vec<_>>();
                let mut envs = list("envs");
                if let Some(e) = g.get("env").filter(|e| e.as_str().is_some()) {
                    envs.push(e);
                }
                let files = list("files");
                let opts = g.get("options");
                generators.push(Generator {
                    secret,
                    node: g,
                    name: g.get("name"),
                    namespace: g.str_at(&["namespace"]),
                    behavior_merge: matches!(g.str_at(&["behavior"]), Some("merge") | Some("replace")),
                    literals: list("literals"),
                    envs: envs.clone(),
                    files: files.clone(),
                    subst_disabled: gen_disabled
                        || disables(opts.and_then(|o| o.get("labels")))
                        || disables(opts.and_then(|o| o.get("annotations"))),
                });
                file_refs.extend(envs);
                file_refs.extend(files);
            }
        }
        let labels_disable = seq("labels").iter().any(|l| disables(l.get("pairs")));
        KustomizeFile {
            is_component: root.str_at(&["kind"]) == Some("Component"),
            resources,
            components: seq("components").iter().collect(),
            namespace: s("namespace"),
            name_prefix: s("namePrefix"),
            name_suffix: s("nameSuffix"),
            patches,
            file_refs,
            generators,
            replacements: seq("replacements").iter().collect(),
            subst_disabled: disables(root.get("commonAnnotations"))
                || disables(root.get("commonLabels"))
                || labels_disable,
        }
    }
}

/// Whether a plain scalar would be read by YAML as something other than a string
/// (the API server then rejects it where a string is required).
pub fn non_string_type(n: &Node) -> Option<ScalarType> {
    match &n.kind {
        NodeKind::Scalar(s) if s.ty != ScalarType::Str => Some(s.ty),
        NodeKind::Scalar(s) if s.style == ScalarStyle::Empty => Some(ScalarType::Null),
        _ => None,
    }
}

/// True for a resource reference that is a URL or a remote git reference.
pub fn is_remote(reference: &str) -> bool {
    let r = reference.trim();
    r.contains("://")
        || r.starts_with("git@")
        || r.starts_with("github.com/")
        || r.starts_with("gitlab.com/")
        || r.starts_with("bitbucket.org/")
        || (r.contains("?ref=") && !r.starts_with('.'))
}
