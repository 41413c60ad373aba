//! Schema checks, per cluster after substitution: unknown-field, wrong-type,
//! missing-required, invalid-enum, unknown-kind and dangling-reference.
//!
//! Structure (keys, literal values) is checked once per object: it is the same in every
//! cluster. A scalar holding `${...}` is checked per (cluster, Flux Kustomization) with the
//! value Flux gives it; when that value cannot be known (a Secret, an unreadable source) it
//! is skipped. Flux substitutes into the re-serialized build, where the source's quotes are
//! gone: a single-line `${VAR}` that becomes `123` arrives as an integer whatever quotes the
//! source had. `missing-required` is reported only for objects some cluster applies (a file
//! nothing includes may be a kustomize patch, which is partial by design).

use super::{catalog, crd, Catalog, Lookup, Schema, Schemas, Ty};
use crate::analysis::{closest, Analysis};
use crate::diagnostics::{codes, Diagnostic};
use crate::files::TextRange;
use crate::model::{FileModel, Object};
use crate::project::{Cluster, ObjLoc, Placed};
use crate::yaml::{self, Node, NodeKind, Scalar, ScalarStyle, ScalarType};
use rustc_hash::{FxHashMap, FxHashSet};

/// What the schema checks need of a project, computed once per project (an edit that keeps
/// the project keeps it): the repository's kinds and, per cluster, the objects references
/// may name.
pub struct ProjectIndex {
    repo: Vec<std::sync::Arc<super::KindSchema>>,
    repo_diagnostics: Vec<Diagnostic>,
    clusters: Vec<Defined>,
}

/// kind -> (namespace, name) of what a cluster applies; kinds with a name we cannot know.
#[derive(Default)]
struct Defined {
    have: FxHashMap<String, Vec<(Option<String>, String)>>,
    unknowable: FxHashSet<String>,
}

fn index(a: &Analysis) -> &ProjectIndex {
    a.derived.schema.get_or_init(|| {
        let snap = &*a.snapshot;
        ProjectIndex {
            repo: crd::repo_kinds(snap),
            repo_diagnostics: crd::diagnostics(snap),
            clusters: a.project.clusters.iter().map(|c| defined(a, c)).collect(),
        }
    })
}

/// Every schema diagnostic of the repository, unmerged: clusters are attached to the ones
/// that depend on a cluster, so `diagnostics::merge_and_sort` must run after (as
/// `Analysis::diagnostics` does for everything).
pub fn diagnostics(a: &Analysis) -> Vec<Diagnostic> {
    let mut out = cluster_diagnostics(a);
    for fi in 0..a.snapshot.files.len() {
        file_diagnostics(a, fi as u32, &mut out);
    }
    out
}

/// The schema diagnostics that are not about one file's content (schema folders, CRDs).
pub fn cluster_diagnostics(a: &Analysis) -> Vec<Diagnostic> {
    index(a).repo_diagnostics.clone()
}

/// The schema diagnostics of one file, in every cluster that applies its objects.
pub fn file_diagnostics(a: &Analysis, fi: u32, out: &mut Vec<Diagnostic>) {
    let snap = &*a.snapshot;
    let idx = index(a);
    let schemas = Schemas { catalog: catalog(), repo: &idx.repo };
    // Where each object is applied: (cluster, Flux Kustomization, substitution disabled).
    let mut contexts: FxHashMap<ObjLoc, Vec<(u32, u32, bool)>> = FxHashMap::default();
    for &(ci, pi) in &a.derived.placed[fi as usize] {
        let pl = &a.project.clusters[ci as usize].placements[pi as usize];
        if let Placed::Object(l) = pl.obj {
            let v = contexts.entry(l).or_default();
            let key = (ci, pl.ks, pl.subst_disabled);
            if !v.contains(&key) {
                v.push(key);
            }
        }
    }
    {
        let f = snap.file(fi);
        let fi = fi as usize;
        if let Some(root) = f.kustomization() {
            let kind = root.str_at(&["kind"]).unwrap_or("Kustomization");
            if let Some(k) = schemas.catalog.kind("kustomize.config.k8s.io", kind) {
                // kustomize decodes kustomization.yaml with Go's encoding/json, which matches
                // field names regardless of case (`newtag` sets newTag).
                let mut w = Walk {
                    cat: schemas.catalog,
                    f,
                    placed: false,
                    fold_case: true,
                    skip_literal: None,
                    deferred: Vec::new(),
                    out,
                };
                w.node(root, &k.schema, 0..0, "");
            }
            return;
        }
        for (oi, o) in f.objects.iter().enumerate() {
            let l = ObjLoc { file: fi as u32, obj: oi as u32 };
            let root = f.root(o);
            let kind_at = root.get("kind").map(|n| n.range.clone()).unwrap_or(0..0);
            let av_at = root.get("apiVersion").map(|n| n.range.clone()).unwrap_or(kind_at.clone());
            let k = match schemas.lookup(&o.api_version, &o.kind) {
                Lookup::Found(k) => k,
                Lookup::OtherVersion(_) => {
                    let known = schemas.known_api_versions(&o.api_version, &o.kind);
                    let msg = format!(
                        "{} `{}` is not a version the schema catalog knows for {} (known: {}); its fields are not checked",
                        "apiVersion",
                        o.api_version,
                        o.kind,
                        known.join(", ")
                    );
                    out.push(Diagnostic::new(codes::UNKNOWN_KIND, &f.path, av_at, msg));
                    continue;
                }
                Lookup::Unknown => {
                    if o.api_version.is_empty() || o.api_version.contains("${") || o.kind.contains("${") {
                        continue;
                    }
                    let msg = format!(
                        "no schema for {} `{}`: neither the built-in catalog nor a CustomResourceDefinition in the repository describes it; its fields are not checked",
                        o.api_version, o.kind
                    );
                    out.push(Diagnostic::new(codes::UNKNOWN_KIND, &f.path, kind_at, msg));
                    continue;
                }
            };
            let ctx = contexts.get(&l).map(Vec::as_slice).unwrap_or(&[]);
            let skip_literal = if o.is("", "ConfigMap") {
                Some("data.")
            } else if o.is_flux_ks() {
                Some("spec.postBuild.substitute.")
            } else {
                None
            };
            let mut w = Walk {
                cat: schemas.catalog,
                f,
                placed: !ctx.is_empty(),
                fold_case: false,
                skip_literal,
                deferred: Vec::new(),
                out,
            };
            w.node(root, &k.schema, kind_at, "");
            let deferred = std::mem::take(&mut w.deferred);
            for &(ci, ki, pl_disabled) in ctx {
                let c = &a.project.clusters[ci as usize];
                let b = &c.kss[ki as usize].bindings;
                if !b.enabled || pl_disabled || o.subst_disabled {
                    continue;
                }
                for (n, sc, s, path) in &deferred {
                    let Some(value) = b.apply(&sc.value) else { continue };
                    let arrives = arrives_as(sc, &value);
                    if let Some(d) = value_problem(schemas.catalog, f, n, s, path, arrives, &value, Some(&sc.value)) {
                        out.push(d.cluster(&c.name));
                    }
                }
            }
        }
    }
    dangling(a, fi, out);
}

struct Walk<'a, 's, 'o> {
    cat: &'s Catalog,
    f: &'a FileModel,
    placed: bool,
    /// Field names match regardless of ASCII case (kustomization.yaml).
    fold_case: bool,
    /// Literal values below this path are checked elsewhere (variable-not-string).
    skip_literal: Option<&'static str>,
    /// Scalars holding `${...}`, checked per cluster: (node, scalar, resolved schema, path).
    deferred: Vec<(&'a Node, &'a Scalar, &'s Schema, String)>,
    out: &'o mut Vec<Diagnostic>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl<'a, 's> Walk<'a, 's, '_> {
    /// Checks `n` against `field`; `at` is the range of the key that holds it (for
    /// missing-required).
    fn node(&mut self, n: &'a Node, field: &'s Schema, at: TextRange, path: &str) {
        let (_, s) = self.cat.resolve(field);
        // Ranges of merged-in patches point into other files: leave them alone.
        if n.src != 0 {
            return;
        }
        match &n.kind {
            NodeKind::Map(entries) => match s.ty {
                Ty::Object | Ty::Any => {
                    for (k, v) in entries {
                        let Some(key) = k.as_str() else { continue };
                        if key.starts_with('$') || self.f.text[k.range.clone()].contains("${") {
                            continue;
                        }
                        let field = s.prop(key).or_else(|| {
                            let folded = s.props.iter().find(|(k, _)| k.eq_ignore_ascii_case(key));
                            folded.filter(|_| self.fold_case).map(|(_, p)| p)
                        });
                        match field {
                            Some(p) => self.node(v, p, k.range.clone(), &join(path, key)),
                            None if s.open || s.ty == Ty::Any => {}
                            None => {
                                let names: Vec<&str> = s.props.iter().map(|(k, _)| &**k).collect();
                                let hint =
                                    closest(key, &names).map(|c| format!("; did you mean `{c}`?")).unwrap_or_default();
                                let whereat = if path.is_empty() {
                                    "at the top level".to_string()
                                } else {
                                    format!("in `{path}`")
                                };
                                let msg = format!("unknown field `{key}` {whereat}: the schema does not have it, so the API server drops or rejects it{hint}");
                                self.out.push(Diagnostic::new(
                                    codes::UNKNOWN_FIELD,
                                    &self.f.path,
                                    k.range.clone(),
                                    msg,
                                ));
                            }
                        }
                    }
                    if self.placed {
                        for (pk, p) in &s.props {
                            let given = |k: &Node| {
                                k.as_str().is_some_and(|k| k == &**pk || self.fold_case && k.eq_ignore_ascii_case(pk))
                            };
                            if p.required && !entries.iter().any(|(k, _)| given(k)) {
                                let whereat =
                                    if path.is_empty() { "this object".to_string() } else { format!("`{path}`") };
                                let msg =
                                    format!("{whereat} lacks the required field `{pk}`{}", doc_suffix(self.cat, p));
                                self.out.push(Diagnostic::new(codes::MISSING_REQUIRED, &self.f.path, at.clone(), msg));
                            }
                        }
                    }
                }
                Ty::Map => {
                    if let Some(vs) = &s.values {
                        for (k, v) in entries {
                            let key = k.as_str().unwrap_or("");
                            self.node(v, vs, k.range.clone(), &join(path, key));
                        }
                    }
                }
                t => self.shape(n, t, "a mapping", path),
            },
            NodeKind::Seq(items) => match (&s.items, s.ty) {
                (Some(is), Ty::Array) => {
                    let p = format!("{path}[]");
                    for it in items {
                        self.node(it, is, it.range.clone(), &p);
                    }
                }
                (_, Ty::Array | Ty::Any) => {}
                (_, t) => self.shape(n, t, "a list", path),
            },
            NodeKind::Scalar(sc) => {
                if self.f.text[n.range.clone()].contains("${") {
                    self.deferred.push((n, sc, s, path.to_string()));
                    return;
                }
                if self.skip_literal.is_some_and(|p| path.starts_with(p)) {
                    return;
                }
                if let Some(d) = value_problem(self.cat, self.f, n, s, path, sc.ty, &sc.value, None) {
                    self.out.push(d);
                }
            }
        }
    }

    fn shape(&mut self, n: &Node, want: Ty, found: &str, path: &str) {
        let msg = format!("`{path}` must be {}, not {found}", article(want));
        self.out.push(Diagnostic::new(codes::WRONG_TYPE, &self.f.path, n.range.clone(), msg));
    }
}

fn article(t: Ty) -> String {
    match t {
        Ty::Integer | Ty::Object | Ty::Array => format!("an {}", t.name()),
        Ty::Map => "a mapping".into(),
        Ty::Any => "anything".into(),
        t => format!("a {}", t.name()),
    }
}

fn doc_suffix(cat: &Catalog, p: &Schema) -> String {
    let (doc, _) = cat.resolve(p);
    if doc.is_empty() {
        String::new()
    } else {
        format!(" ({})", doc.trim_end_matches('.'))
    }
}

/// What type a substituted single-line value has once Flux's build is parsed again.
fn arrives_as(sc: &Scalar, value: &str) -> ScalarType {
    let multi_line = matches!(sc.style, ScalarStyle::Literal | ScalarStyle::Folded)
        || sc.value.contains('\n')
        || value.contains('\n');
    if multi_line || !plain_safe(&sc.value) {
        return ScalarType::Str;
    }
    yaml::resolve_plain(value)
}

/// Whether a YAML serializer writes this string without quotes (then the text Flux
/// substitutes into is bare, and the result is typed by YAML again).
fn plain_safe(v: &str) -> bool {
    let Some(first) = v.chars().next() else { return false };
    !"-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !v.contains(": ")
        && !v.contains(" #")
        && !v.ends_with(':')
        && v.trim() == v
        && yaml::resolve_plain(v) == ScalarType::Str
}

/// A scalar's value against its field: type, then enum. `source` is the text before
/// substitution, when there was one.
#[allow(clippy::too_many_arguments)]
fn value_problem(
    cat: &Catalog,
    f: &FileModel,
    n: &Node,
    s: &Schema,
    path: &str,
    ty: ScalarType,
    value: &str,
    source: Option<&str>,
) -> Option<Diagnostic> {
    if ty == ScalarType::Null {
        return None;
    }
    let ok = match s.ty {
        Ty::String | Ty::Duration => ty == ScalarType::Str,
        Ty::Integer => ty == ScalarType::Int,
        Ty::Number => matches!(ty, ScalarType::Int | ScalarType::Float),
        Ty::Boolean => ty == ScalarType::Bool,
        Ty::IntOrString => matches!(ty, ScalarType::Int | ScalarType::Str),
        Ty::Quantity => ty != ScalarType::Bool,
        Ty::Object | Ty::Array | Ty::Map => false,
        Ty::Any => true,
    };
    let key = path.rsplit('.').next().unwrap_or(path);
    let _ = cat;
    // A Secret's values are never quoted in a message (nor the text that makes them).
    let secret = (path.starts_with("data.") || path.starts_with("stringData."))
        && f.objects.iter().any(|o| {
            let r = &f.root(o).range;
            o.is("", "Secret") && r.start <= n.range.start && n.range.end <= r.end
        });
    let shown = if secret { "the value (hidden: a Secret's)".to_string() } else { format!("`{value}`") };
    let shown_src =
        if secret { source.map(|_| "the value written here".to_string()) } else { source.map(|s| format!("`{s}`")) };
    let example = if secret { String::new() } else { format!(" (`'\"{value}\"'`)") };
    if !ok {
        let want = article(s.ty);
        let msg = match shown_src {
            Some(src) if s.ty == Ty::String || s.ty == Ty::Duration => format!(
                "{src} becomes {shown} here; Flux substitutes into the built YAML, where the quotes are gone, so `{key}` arrives as {} and the apply fails (cannot convert {} to string): make the value non-numeric or quote it inside the variable{example}",
                article_of(ty),
                go_type(ty)
            ),
            Some(src) => format!("{src} becomes {shown} here, {}, but `{key}` must be {want}", article_of(ty)),
            None if ty == ScalarType::Str && matches!(s.ty, Ty::Integer | Ty::Number | Ty::Boolean) && n.as_scalar().is_some_and(|x| x.style != ScalarStyle::Plain) => {
                format!("`{key}` must be {want}, but {shown} is quoted, so it is a string: remove the quotes")
            }
            None => format!("`{key}` must be {want}, but {shown} is {}", article_of(ty)),
        };
        return Some(Diagnostic::new(codes::WRONG_TYPE, &f.path, n.range.clone(), msg));
    }
    if !s.enum_values.is_empty() && !s.enum_values.iter().any(|e| &**e == value) {
        let names: Vec<&str> = s.enum_values.iter().map(|e| &**e).collect();
        let hint = if secret { None } else { closest(value, &names) }
            .map(|c| format!("; did you mean `{c}`?"))
            .unwrap_or_default();
        let from = shown_src.map(|s| format!("{s} becomes {shown} here, but ")).unwrap_or_default();
        let msg = format!(
            "{from}`{key}` must be one of {}: {shown} is not{hint}",
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        );
        return Some(Diagnostic::new(codes::INVALID_ENUM, &f.path, n.range.clone(), msg));
    }
    None
}

fn article_of(t: ScalarType) -> &'static str {
    match t {
        ScalarType::Str => "a string",
        ScalarType::Int => "an integer",
        ScalarType::Float => "a number",
        ScalarType::Bool => "a boolean",
        ScalarType::Null => "null",
    }
}

fn go_type(t: ScalarType) -> &'static str {
    match t {
        ScalarType::Int => "int64",
        ScalarType::Float => "float64",
        ScalarType::Bool => "bool",
        _ => "value",
    }
}

// ---------------------------------------------------------------------------------------
// dangling-reference

/// Kinds without a namespace, among those references name.
const CLUSTER_SCOPED: &[&str] = &["StorageClass", "ClusterIssuer", "ClusterSecretStore", "GatewayClass"];

struct RefAt<'n> {
    field: &'static str,
    kind: String,
    name: &'n Node,
    namespace: Option<&'n Node>,
}

/// The references an object makes, as written.
fn refs_of<'n>(o: &Object, root: &'n Node) -> Vec<RefAt<'n>> {
    let mut out = Vec::new();
    let spec = root.get("spec");
    let at = |p: &[&str]| spec.and_then(|s| s.at(p));
    let kind_of = |n: &Node, default: &str| n.str_at(&["kind"]).unwrap_or(default).to_string();
    let mut obj_ref = |field: &'static str, n: Option<&'n Node>, default_kind: &str| {
        if let Some(n) = n {
            if let Some(name) = n.get("name") {
                out.push(RefAt { field, kind: kind_of(n, default_kind), name, namespace: n.get("namespace") });
            }
        }
    };
    match (o.group(), o.kind.as_str()) {
        ("external-secrets.io", "ExternalSecret") => obj_ref("secretStoreRef", at(&["secretStoreRef"]), "SecretStore"),
        ("cert-manager.io", "Certificate") => {
            let r = at(&["issuerRef"]);
            if r.and_then(|r| r.str_at(&["group"])).is_none_or(|g| g == "cert-manager.io") {
                obj_ref("issuerRef", r, "Issuer");
            }
        }
        ("kustomize.toolkit.fluxcd.io", "Kustomization") => obj_ref("sourceRef", at(&["sourceRef"]), "GitRepository"),
        ("helm.toolkit.fluxcd.io", "HelmRelease") => {
            obj_ref("chartRef", at(&["chartRef"]), "OCIRepository");
            obj_ref("chart.spec.sourceRef", at(&["chart", "spec", "sourceRef"]), "HelmRepository");
        }
        ("gateway.networking.k8s.io", "Gateway") => {
            if let Some(n) = at(&["gatewayClassName"]) {
                out.push(RefAt { field: "gatewayClassName", kind: "GatewayClass".into(), name: n, namespace: None });
            }
        }
        ("postgresql.cnpg.io", "Cluster") => {
            for p in [["storage", "storageClass"], ["walStorage", "storageClass"]] {
                if let Some(n) = at(&p) {
                    out.push(RefAt { field: "storageClass", kind: "StorageClass".into(), name: n, namespace: None });
                }
            }
        }
        _ => {}
    }
    // storageClassName anywhere (PVCs, volumeClaimTemplates, operators' storage specs).
    fn walk<'n>(n: &'n Node, out: &mut Vec<RefAt<'n>>) {
        match &n.kind {
            NodeKind::Map(entries) => {
                for (k, v) in entries {
                    if k.as_str() == Some("storageClassName") && v.as_scalar().is_some() {
                        out.push(RefAt {
                            field: "storageClassName",
                            kind: "StorageClass".into(),
                            name: v,
                            namespace: None,
                        });
                    } else {
                        walk(v, out);
                    }
                }
            }
            NodeKind::Seq(items) => items.iter().for_each(|i| walk(i, out)),
            NodeKind::Scalar(_) => {}
        }
    }
    if let Some(s) = spec {
        walk(s, &mut out);
    }
    out
}

/// What a cluster applies, by kind.
fn defined(a: &Analysis, c: &Cluster) -> Defined {
    let snap = &*a.snapshot;
    let mut d = Defined::default();
    for pl in &c.placements {
        let Placed::Object(l) = pl.obj else { continue };
        let f = snap.file(l.file);
        let o = &f.objects[l.obj as usize];
        let b = &c.kss[pl.ks as usize].bindings;
        let name = o.name.as_deref().and_then(|n| {
            if pl.subst_disabled || o.subst_disabled {
                Some(n.to_string())
            } else {
                b.apply(n)
            }
        });
        match name {
            Some(n) if !pl.name_replaced => d.have.entry(o.kind.clone()).or_default().push((
                pl.namespace.as_deref().map(str::to_string),
                format!("{}{n}{}", pl.name_prefix, pl.name_suffix),
            )),
            _ => {
                d.unknowable.insert(o.kind.clone());
            }
        }
    }
    d
}

/// References of one file's objects naming nothing in a cluster that applies them, for the
/// kinds the cluster defines in Git.
fn dangling(a: &Analysis, fi: u32, out: &mut Vec<Diagnostic>) {
    let snap = &*a.snapshot;
    let f = snap.file(fi);
    let mut seen: FxHashSet<(u32, usize, String)> = FxHashSet::default();
    for &(ci, pi) in &a.derived.placed[fi as usize] {
        let c = &a.project.clusters[ci as usize];
        let Defined { have, unknowable } = &index(a).clusters[ci as usize];
        let pl = &c.placements[pi as usize];
        let Placed::Object(l) = pl.obj else { continue };
        let o = &f.objects[l.obj as usize];
        let b = &c.kss[pl.ks as usize].bindings;
        let text = |n: &Node| -> Option<String> {
            let s = n.as_str()?;
            if pl.subst_disabled || o.subst_disabled {
                Some(s.to_string())
            } else {
                b.apply(s)
            }
        };
        for r in refs_of(o, f.root(o)) {
            if r.name.src != 0 || unknowable.contains(r.kind.as_str()) {
                continue;
            }
            let Some(defined) = have.get(r.kind.as_str()) else { continue };
            let Some(name) = text(r.name).filter(|n| !n.is_empty() && !n.contains("${")) else { continue };
            let cluster_scoped = CLUSTER_SCOPED.contains(&r.kind.as_str());
            let ns: Option<String> = if cluster_scoped {
                None
            } else {
                r.namespace.and_then(text).or_else(|| pl.namespace.as_deref().map(str::to_string))
            };
            let found = defined
                .iter()
                .any(|(dns, dn)| *dn == name && (cluster_scoped || ns.is_none() || dns.is_none() || *dns == ns));
            if found || !seen.insert((ci, r.name.range.start, name.clone())) {
                continue;
            }
            let mut names: Vec<&str> = defined.iter().map(|(_, n)| n.as_str()).collect();
            names.sort();
            names.dedup();
            let hint = closest(&name, &names).map(|c| format!("; did you mean `{c}`?")).unwrap_or_default();
            let nsd = ns.map(|n| format!("{n}/")).unwrap_or_default();
            let msg = format!(
                "{} names {} `{nsd}{name}`, which this cluster does not define; the {} objects it defines in Git are {}{hint} (one created outside Git, e.g. by an operator's chart, is not seen here)",
                r.field,
                r.kind,
                r.kind,
                names.iter().take(8).map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            );
            out.push(Diagnostic::new(codes::DANGLING_REFERENCE, &f.path, r.name.range.clone(), msg).cluster(&c.name));
        }
    }
}
