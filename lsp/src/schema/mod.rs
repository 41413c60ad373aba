//! Schema knowledge: what fields each Kubernetes kind has, their types, enums, defaults and
//! docs, and the checks, completion and hover built on it.
//!
//! Owns: the built-in catalog (`lsp/schemas/*.json`, one file per API group, embedded and
//! parsed once on first use), schemas read from CustomResourceDefinitions in the repository
//! and from the schema folders named in `.gitops-lsp.toml` (`crd`), the checks after substitution (`check`: unknown-field, wrong-type,
//! missing-required, invalid-enum, unknown-kind, dangling-reference) and the editor helpers
//! (`edit`: key and value completion, hover on a key). Pure: reads an `Analysis`, never the
//! disk; knows nothing of LSP.
//!
//! The catalog format (see `lsp/schemas/README.md`): a field is either a shorthand string
//! `"<type>[!] <doc>"` (`!` = required; types `string integer number boolean duration
//! quantity intstr any object map list`, `@Name` for a named type, `[]T` an array of T, `{}T`
//! a map of T) or an object `{type, doc, req, enum, default, props, items, values, open}`.
//! `open: true` marks an object whose unknown children are allowed (Helm values, labels,
//! the parts of big CRDs we do not describe).

pub mod check;
pub mod crd;
pub mod edit;

pub use check::{cluster_diagnostics, diagnostics, file_diagnostics, ProjectIndex};
pub use edit::{complete_keys, complete_values, hover_key};

use rustc_hash::FxHashMap;
use serde_json::Value as Json;
use std::sync::OnceLock;

/// What a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Ty {
    String,
    Integer,
    Number,
    Boolean,
    /// An integer or a string (`intstr.IntOrString`: ports, maxUnavailable).
    IntOrString,
    /// A resource quantity (`500m`, `1Gi`, `2`): a string or a number.
    Quantity,
    /// A Go duration string (`10m`, `1h30m`).
    Duration,
    Object,
    Array,
    /// An object with arbitrary keys whose values share one schema.
    Map,
    #[default]
    Any,
}

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::String => "string",
            Ty::Integer => "integer",
            Ty::Number => "number",
            Ty::Boolean => "boolean",
            Ty::IntOrString => "integer or string",
            Ty::Quantity => "quantity",
            Ty::Duration => "duration",
            Ty::Object => "object",
            Ty::Array => "array",
            Ty::Map => "map",
            Ty::Any => "any",
        }
    }
    pub fn is_scalar(self) -> bool {
        !matches!(self, Ty::Object | Ty::Array | Ty::Map | Ty::Any)
    }
}

/// One field's schema (or a whole object's).
#[derive(Clone, Debug, Default)]
pub struct Schema {
    pub ty: Ty,
    pub doc: Box<str>,
    /// Required in its parent object.
    pub required: bool,
    pub enum_values: Vec<Box<str>>,
    pub default: Option<Box<str>>,
    /// Known children of an object, in catalog order.
    pub props: Vec<(Box<str>, Schema)>,
    /// Items of an array.
    pub items: Option<Box<Schema>>,
    /// Values of a map.
    pub values: Option<Box<Schema>>,
    /// Unknown children are allowed (free-form or not described).
    pub open: bool,
    /// A named type (`@Name`), resolved through `Catalog::resolve`.
    pub reference: Option<Box<str>>,
}

impl Schema {
    pub fn prop(&self, key: &str) -> Option<&Schema> {
        self.props.iter().find(|(k, _)| &**k == key).map(|(_, s)| s)
    }
    /// A short type label, e.g. `[]Container`, `map of string`, `duration`.
    pub fn type_label(&self, cat: &Catalog) -> String {
        if let Some(r) = &self.reference {
            return r.to_string();
        }
        match self.ty {
            Ty::Array => match &self.items {
                Some(i) => format!("[]{}", cat.resolve(i).1.type_label_inner(i)),
                None => "array".into(),
            },
            Ty::Map => match &self.values {
                Some(v) => format!("map of {}", v.reference.as_deref().unwrap_or(cat.resolve(v).1.ty.name())),
                None => "map".into(),
            },
            t => t.name().into(),
        }
    }
    fn type_label_inner(&self, outer: &Schema) -> String {
        outer.reference.as_deref().map(str::to_string).unwrap_or_else(|| self.ty.name().to_string())
    }
}

/// The schema of one kind in the catalog or from a CRD.
#[derive(Clone, Debug)]
pub struct KindSchema {
    pub group: String,
    pub kind: String,
    pub versions: Vec<String>,
    pub namespaced: bool,
    /// The whole object (apiVersion, kind, metadata and the rest).
    pub schema: Schema,
}

impl KindSchema {
    pub fn api_versions(&self) -> impl Iterator<Item = String> + '_ {
        self.versions.iter().map(|v| if self.group.is_empty() { v.clone() } else { format!("{}/{v}", self.group) })
    }
}

/// The built-in catalog: kinds and the named types they share. A kind whose fields differ
/// between API versions has one entry per set of versions (`versions` never overlap).
#[derive(Debug, Default)]
pub struct Catalog {
    pub kinds: Vec<KindSchema>,
    /// (group, kind) -> its entries, in catalog order (the first is the newest).
    by_kind: FxHashMap<(String, String), Vec<usize>>,
    pub types: FxHashMap<String, Schema>,
}

/// The embedded catalog files (name, JSON text), as `catalog()` loads them.
pub const SOURCES: &[(&str, &str)] = &[
    ("core.json", include_str!("../../schemas/core.json")),
    ("flux.json", include_str!("../../schemas/flux.json")),
    ("kustomize.json", include_str!("../../schemas/kustomize.json")),
    ("cilium.json", include_str!("../../schemas/cilium.json")),
    ("gateway.json", include_str!("../../schemas/gateway.json")),
    ("cert-manager.json", include_str!("../../schemas/cert-manager.json")),
    ("external-secrets.json", include_str!("../../schemas/external-secrets.json")),
    ("cnpg.json", include_str!("../../schemas/cnpg.json")),
    ("external-dns.json", include_str!("../../schemas/external-dns.json")),
    ("dragonfly.json", include_str!("../../schemas/dragonfly.json")),
    ("victoriametrics.json", include_str!("../../schemas/victoriametrics.json")),
    ("rook-ceph.json", include_str!("../../schemas/rook-ceph.json")),
    ("prometheus.json", include_str!("../../schemas/prometheus.json")),
    ("volsync.json", include_str!("../../schemas/volsync.json")),
    ("metallb.json", include_str!("../../schemas/metallb.json")),
    ("envoy-gateway.json", include_str!("../../schemas/envoy-gateway.json")),
    ("grafana.json", include_str!("../../schemas/grafana.json")),
    ("misc.json", include_str!("../../schemas/misc.json")),
];

/// The catalog, parsed on first use.
pub fn catalog() -> &'static Catalog {
    static CAT: OnceLock<Catalog> = OnceLock::new();
    CAT.get_or_init(|| Catalog::load(SOURCES).unwrap_or_else(|e| panic!("built-in schema catalog: {e}")))
}

/// How a (apiVersion, kind) is known.
pub enum Lookup<'a> {
    Found(&'a KindSchema),
    /// The kind is known, but not at this version.
    OtherVersion(&'a KindSchema),
    Unknown,
}

impl Catalog {
    /// Parses catalog files (name, JSON text).
    pub fn load(sources: &[(&str, &str)]) -> Result<Catalog, String> {
        let mut cat = Catalog::default();
        for (name, text) in sources {
            let j: Json = serde_json::from_str(text).map_err(|e| format!("{name}: {e}"))?;
            let group = j.get("group").and_then(Json::as_str).unwrap_or("").to_string();
            if let Some(types) = j.get("types").and_then(Json::as_object) {
                for (tn, tj) in types {
                    let s = field(tj).map_err(|e| format!("{name}: type {tn}: {e}"))?;
                    cat.types.insert(tn.clone(), s);
                }
            }
            for (key, kj) in j.get("kinds").and_then(Json::as_object).into_iter().flatten() {
                // `"kind"` names the kind when the key cannot (one entry per API version).
                let kind = kj.get("kind").and_then(Json::as_str).unwrap_or(key);
                let group = kj.get("group").and_then(Json::as_str).map(str::to_string).unwrap_or_else(|| group.clone());
                let versions: Vec<String> = kj
                    .get("versions")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                let mut schema = Schema { ty: Ty::Object, doc: str_of(kj, "doc").into(), ..Schema::default() };
                schema.props.push((
                    "apiVersion".into(),
                    Schema {
                        ty: Ty::String,
                        required: true,
                        doc: "The API group and version of this object.".into(),
                        ..Default::default()
                    },
                ));
                schema.props.push((
                    "kind".into(),
                    Schema { ty: Ty::String, required: true, doc: "The kind of object.".into(), ..Default::default() },
                ));
                let meta_required = kj.get("metadataRequired").and_then(Json::as_bool).unwrap_or(true);
                schema.props.push((
                    "metadata".into(),
                    Schema {
                        reference: Some("ObjectMeta".into()),
                        required: meta_required,
                        doc: "Name, namespace, labels and annotations.".into(),
                        ..Default::default()
                    },
                ));
                for (k, fj) in kj.get("fields").and_then(Json::as_object).into_iter().flatten() {
                    let s = field(fj).map_err(|e| format!("{name}: {key}.{k}: {e}"))?;
                    schema.props.push((k.as_str().into(), s));
                }
                // The observed state: written by controllers, accepted and ignored on apply
                // (generated manifests carry `status: {}`).
                if schema.prop("status").is_none() {
                    schema.props.push((
                        "status".into(),
                        Schema {
                            ty: Ty::Object,
                            open: true,
                            doc: "Observed state, written by the controller; ignored when applied.".into(),
                            ..Default::default()
                        },
                    ));
                }
                schema.open = kj.get("open").and_then(Json::as_bool).unwrap_or(false);
                let namespaced = kj.get("namespaced").and_then(Json::as_bool).unwrap_or(true);
                if versions.is_empty() {
                    return Err(format!("{name}: {key}: no versions"));
                }
                if let Some(v) = cat.entries(&group, kind).flat_map(|k| &k.versions).find(|v| versions.contains(v)) {
                    return Err(format!("{name}: {key}: version {v} of {group} {kind} is described twice"));
                }
                cat.insert(KindSchema { group, kind: kind.to_string(), versions, namespaced, schema });
            }
        }
        // Every named type must exist: a typo in the catalog would silently open a field.
        let mut missing = Vec::new();
        for k in &cat.kinds {
            cat.check_refs(&k.schema, &mut missing);
        }
        for t in cat.types.values() {
            cat.check_refs(t, &mut missing);
        }
        if !missing.is_empty() {
            missing.sort();
            missing.dedup();
            return Err(format!("unknown named types: {}", missing.join(", ")));
        }
        Ok(cat)
    }

    fn check_refs(&self, s: &Schema, missing: &mut Vec<String>) {
        if let Some(r) = &s.reference {
            if !self.types.contains_key(&**r) {
                missing.push(r.to_string());
            }
        }
        s.props.iter().for_each(|(_, p)| self.check_refs(p, missing));
        s.items.iter().chain(s.values.iter()).for_each(|p| self.check_refs(p, missing));
    }

    /// Adds a kind; it replaces an entry of the same group and kind that shares a version.
    pub fn insert(&mut self, k: KindSchema) {
        let key = (k.group.clone(), k.kind.clone());
        let entries = self.by_kind.entry(key).or_default();
        match entries.iter().find(|&&i| self.kinds[i].versions.iter().any(|v| k.versions.contains(v))) {
            Some(&i) => self.kinds[i] = k,
            None => {
                entries.push(self.kinds.len());
                self.kinds.push(k);
            }
        }
    }

    /// Every entry of a kind (one per set of API versions), newest first.
    pub fn entries<'a>(&'a self, group: &str, kind: &str) -> impl Iterator<Item = &'a KindSchema> + 'a {
        self.by_kind.get(&(group.to_string(), kind.to_string())).into_iter().flatten().map(|&i| &self.kinds[i])
    }

    /// The kind's newest entry.
    pub fn kind(&self, group: &str, kind: &str) -> Option<&KindSchema> {
        self.entries(group, kind).next()
    }

    /// The entry of this exact API version; else the kind's newest entry as `OtherVersion`.
    pub fn lookup(&self, api_version: &str, kind: &str) -> Lookup<'_> {
        let (group, version) = split_api_version(api_version);
        match self.entries(group, kind).find(|k| k.versions.iter().any(|v| v == version)) {
            Some(k) => Lookup::Found(k),
            None => self.kind(group, kind).map_or(Lookup::Unknown, Lookup::OtherVersion),
        }
    }

    /// Follows a named type: the schema to use for structure, and the doc to show (the
    /// field's own doc when it has one).
    pub fn resolve<'a>(&'a self, s: &'a Schema) -> (&'a str, &'a Schema) {
        let mut cur = s;
        let mut doc: &str = &s.doc;
        for _ in 0..8 {
            let Some(r) = &cur.reference else { break };
            let Some(t) = self.types.get(&**r) else { break };
            cur = t;
            if doc.is_empty() {
                doc = &t.doc;
            }
        }
        (doc, cur)
    }
}

/// `group/version` -> (group, version); `v1` -> ("", "v1").
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rfind('/') {
        Some(i) => (&api_version[..i], &api_version[i + 1..]),
        None => ("", api_version),
    }
}

fn str_of<'a>(j: &'a Json, k: &str) -> &'a str {
    j.get(k).and_then(Json::as_str).unwrap_or("")
}

/// A field from its catalog form (shorthand string or object).
fn field(j: &Json) -> Result<Schema, String> {
    match j {
        Json::String(s) => {
            let s = s.trim();
            let (head, doc) = s.split_once(' ').unwrap_or((s, ""));
            let (head, required) = match head.strip_suffix('!') {
                Some(h) => (h, true),
                None => (head, false),
            };
            let mut out = type_expr(head)?;
            out.required = required;
            out.doc = doc.trim().into();
            Ok(out)
        }
        Json::Object(o) => {
            let mut out = match o.get("type").and_then(Json::as_str) {
                Some(t) => type_expr(t)?,
                None if o.contains_key("props") => Schema { ty: Ty::Object, ..Default::default() },
                None if o.contains_key("enum") => Schema { ty: Ty::String, ..Default::default() },
                None => Schema::default(),
            };
            out.doc = str_of(j, "doc").into();
            out.required = o.get("req").and_then(Json::as_bool).unwrap_or(false);
            if let Some(open) = o.get("open").and_then(Json::as_bool) {
                out.open = open;
            }
            if let Some(e) = o.get("enum").and_then(Json::as_array) {
                out.enum_values = e.iter().map(|v| scalar_text(v).into()).collect();
            }
            if let Some(d) = o.get("default") {
                out.default = Some(scalar_text(d).into());
            }
            if let Some(p) = o.get("props").and_then(Json::as_object) {
                if out.ty == Ty::Any {
                    out.ty = Ty::Object;
                }
                for (k, v) in p {
                    out.props.push((k.as_str().into(), field(v).map_err(|e| format!("{k}: {e}"))?));
                }
            }
            if let Some(i) = o.get("items") {
                out.ty = Ty::Array;
                out.items = Some(Box::new(field(i)?));
            }
            if let Some(v) = o.get("values") {
                out.ty = Ty::Map;
                out.values = Some(Box::new(field(v)?));
            }
            Ok(out)
        }
        _ => Err(format!("a field is a string or an object, not {j}")),
    }
}

fn scalar_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `string`, `@Name`, `[]T`, `{}T`…
fn type_expr(t: &str) -> Result<Schema, String> {
    if let Some(inner) = t.strip_prefix("[]") {
        return Ok(Schema { ty: Ty::Array, items: Some(Box::new(type_expr(inner)?)), ..Default::default() });
    }
    if let Some(inner) = t.strip_prefix("{}") {
        return Ok(Schema { ty: Ty::Map, values: Some(Box::new(type_expr(inner)?)), ..Default::default() });
    }
    if let Some(name) = t.strip_prefix('@') {
        return Ok(Schema { reference: Some(name.into()), ..Default::default() });
    }
    let ty = match t {
        "string" => Ty::String,
        "integer" => Ty::Integer,
        "number" => Ty::Number,
        "boolean" => Ty::Boolean,
        "intstr" => Ty::IntOrString,
        "quantity" => Ty::Quantity,
        "duration" => Ty::Duration,
        "object" => return Ok(Schema { ty: Ty::Object, open: true, ..Default::default() }),
        "map" => {
            return Ok(Schema {
                ty: Ty::Map,
                values: Some(Box::new(Schema { ty: Ty::String, ..Default::default() })),
                ..Default::default()
            })
        }
        "list" => {
            return Ok(Schema {
                ty: Ty::Array,
                items: Some(Box::new(Schema { ty: Ty::String, ..Default::default() })),
                ..Default::default()
            })
        }
        "any" => Ty::Any,
        other => return Err(format!("unknown type `{other}`")),
    };
    Ok(Schema { ty, ..Default::default() })
}

/// The catalog extended by the repository's CRDs: what checks, completion and hover use.
pub struct Schemas<'a> {
    pub catalog: &'static Catalog,
    /// Kinds from the repository's schema folders and CRD manifests (override the catalog).
    pub repo: &'a [std::sync::Arc<KindSchema>],
}

impl<'a> Schemas<'a> {
    pub fn lookup(&self, api_version: &str, kind: &str) -> Lookup<'_> {
        let (group, version) = split_api_version(api_version);
        let mut other = None;
        // A kind known only from a lower-case file name matches in any case.
        let same_kind = |k: &KindSchema| {
            k.kind == kind || (!k.kind.chars().any(|c| c.is_ascii_uppercase()) && k.kind.eq_ignore_ascii_case(kind))
        };
        for k in self.repo.iter().filter(|k| k.group == group && same_kind(k)) {
            if k.versions.iter().any(|v| v == version) {
                return Lookup::Found(k);
            }
            other = Some(k);
        }
        match self.catalog.lookup(api_version, kind) {
            Lookup::Unknown => other.map_or(Lookup::Unknown, |k| Lookup::OtherVersion(k)),
            l => l,
        }
    }
    /// Every API version known for the group and kind of `api_version` (repository first).
    pub fn known_api_versions(&self, api_version: &str, kind: &str) -> Vec<String> {
        let (group, _) = split_api_version(api_version);
        let mut out: Vec<String> = Vec::new();
        let repo = self.repo.iter().map(|k| &**k).filter(|k| k.group == group && k.kind.eq_ignore_ascii_case(kind));
        for k in repo.chain(self.catalog.entries(group, kind)) {
            for av in k.api_versions() {
                if !out.contains(&av) {
                    out.push(av);
                }
            }
        }
        out
    }
    /// Every kind, repository ones first.
    pub fn all(&self) -> impl Iterator<Item = &KindSchema> {
        self.repo.iter().map(|k| &**k).chain(self.catalog.kinds.iter())
    }
}
