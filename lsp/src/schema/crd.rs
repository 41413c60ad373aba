//! Schemas from the repository: CustomResourceDefinition manifests anywhere in it, and the
//! JSON schema files of the folders that `.gitops-lsp.toml` names (`[schemas] crds`). Each
//! served version's `openAPIV3Schema` becomes a `KindSchema` that overrides the built-in
//! catalog for that group, kind and version.
//!
//! A JSON file is either a CRD written as JSON or one version's openAPIV3Schema, as the
//! CRDs-catalog repositories lay them out: `<group>/<kind>_<version>.json` (the kind in lower
//! case; its real spelling is taken from the catalog or the repository's objects, and an
//! all-lowercase kind matches any case). `x-kubernetes-group-version-kind`, or one-value
//! enums on `apiVersion` and `kind`, name the kind instead when the file has them.
//!
//! Parsing is cached per file text (a text shared by successive snapshots is parsed once), so
//! hover and completion do not re-read a folder of schemas on each request.

use super::{KindSchema, Schema, Ty};
use crate::diagnostics::{codes, Diagnostic, Severity};
use crate::files::RelPath;
use crate::snapshot::Snapshot;
use crate::yaml::Node;
use rustc_hash::FxHashMap;
use serde_json::Value as Json;
use std::sync::{Arc, Mutex, Weak};

/// The kinds of one file, and why it could not be read (a JSON syntax error and where).
struct Parsed {
    kinds: Vec<Arc<KindSchema>>,
    error: Option<JsonError>,
}

type Kinds = Arc<Parsed>;

/// Parsed schema files, by path, valid while their text is alive.
type Cache = FxHashMap<RelPath, (Weak<str>, Kinds)>;
static CACHE: Mutex<Option<Cache>> = Mutex::new(None);

fn cached(path: &RelPath, text: &Arc<str>, build: impl FnOnce() -> Result<Vec<KindSchema>, JsonError>) -> Kinds {
    {
        let guard = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((w, k)) = guard.as_ref().and_then(|m| m.get(path)) {
            if w.upgrade().is_some_and(|t| Arc::ptr_eq(&t, text)) {
                return k.clone();
            }
        }
    }
    let kinds: Kinds = Arc::new(match build() {
        Ok(k) => Parsed { kinds: k.into_iter().map(Arc::new).collect(), error: None },
        Err(e) => Parsed { kinds: Vec::new(), error: Some(e) },
    });
    let mut guard = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let map = guard.get_or_insert_with(FxHashMap::default);
    if map.len() >= 64 && map.len().is_power_of_two() {
        map.retain(|_, (w, _)| w.strong_count() > 0);
    }
    map.insert(path.clone(), (Arc::downgrade(text), kinds.clone()));
    kinds
}

/// Every kind the repository defines: schema-folder files first (they win), then CRD
/// manifests.
pub fn repo_kinds(snap: &Snapshot) -> Vec<Arc<KindSchema>> {
    let mut out = Vec::new();
    let (dirs, _) = snap.config.schema_dirs();
    if !dirs.is_empty() {
        for (p, t) in snap.aux_texts.iter() {
            if p.file_name().ends_with(".json") && dirs.iter().any(|d| p.starts_with(d)) {
                out.extend(cached(p, t, || json_kinds(p, t, snap)).kinds.iter().cloned());
            }
        }
    }
    for f in &snap.files {
        if !f.objects.iter().any(|o| o.is("apiextensions.k8s.io", "CustomResourceDefinition")) {
            continue;
        }
        out.extend(cached(&f.path, &f.text, || Ok(yaml_kinds(f))).kinds.iter().cloned());
    }
    out
}

/// Problems with the configured schema folders and their files: a folder outside the
/// repository or missing (`config-error`), a JSON file that does not parse.
pub fn diagnostics(snap: &Snapshot) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let config = RelPath::new(crate::config::FILE_NAME).unwrap();
    let mut dirs = Vec::new();
    for (dir, span) in snap.config.schema_dir_entries() {
        match dir {
            Err(msg) => out.push(Diagnostic::new(codes::CONFIG_ERROR, &config, span, msg)),
            Ok(d) if !snap.is_dir(&d) => out.push(
                Diagnostic::new(
                    codes::CONFIG_ERROR,
                    &config,
                    span,
                    format!("schema folder `{d}` does not exist or holds no files"),
                )
                .severity(Severity::Warning),
            ),
            Ok(d) => dirs.push(d),
        }
    }
    for (p, t) in snap.aux_texts.iter() {
        if p.file_name().ends_with(".json") && dirs.iter().any(|d| p.starts_with(d)) {
            if let Some((msg, at)) = &cached(p, t, || json_kinds(p, t, snap)).error {
                out.push(
                    Diagnostic::new(codes::UNREADABLE_FILE, p, at.clone(), msg.clone()).severity(Severity::Warning),
                );
            }
        }
    }
    out
}

/// Every CRD version of one manifest file, as kinds.
fn yaml_kinds(f: &crate::model::FileModel) -> Vec<KindSchema> {
    let mut out = Vec::new();
    for o in &f.objects {
        if !o.is("apiextensions.k8s.io", "CustomResourceDefinition") {
            continue;
        }
        let root = f.root(o);
        let Some(spec) = root.get("spec") else { continue };
        let (Some(group), Some(kind)) = (spec.str_at(&["group"]), spec.str_at(&["names", "kind"])) else {
            continue;
        };
        let namespaced = spec.str_at(&["scope"]) != Some("Cluster");
        for v in spec.get("versions").and_then(Node::as_seq).unwrap_or(&[]) {
            let Some(name) = v.str_at(&["name"]) else { continue };
            let schema = match v.at(&["schema", "openAPIV3Schema"]) {
                Some(s) => from_openapi(s, 0),
                None => Schema { ty: Ty::Object, open: true, ..Default::default() },
            };
            out.push(KindSchema {
                group: group.to_string(),
                kind: kind.to_string(),
                versions: vec![name.to_string()],
                namespaced,
                schema: object_root(schema),
            });
        }
    }
    out
}

/// apiVersion, kind and metadata are implied by Kubernetes: present and required.
fn object_root(mut schema: Schema) -> Schema {
    schema.ty = Ty::Object;
    for (k, doc) in [("apiVersion", "The API group and version of this object."), ("kind", "The kind of object.")] {
        if schema.prop(k).is_none() {
            schema.props.insert(0, (k.into(), Schema { ty: Ty::String, doc: doc.into(), ..Default::default() }));
        }
    }
    for (k, p) in schema.props.iter_mut() {
        if matches!(&**k, "apiVersion" | "kind") {
            p.required = true;
            // A one-value enum on apiVersion/kind names the schema, it is not a choice.
            p.enum_values.clear();
        }
        if &**k == "metadata" {
            *p = Schema {
                reference: Some("ObjectMeta".into()),
                required: true,
                doc: p.doc.clone(),
                ..Default::default()
            };
        }
    }
    if schema.prop("metadata").is_none() {
        schema.props.push((
            "metadata".into(),
            Schema { reference: Some("ObjectMeta".into()), required: true, ..Default::default() },
        ));
    }
    schema
}

/// A JSON syntax error: message and byte range.
type JsonError = (String, std::ops::Range<usize>);

/// The kinds of one JSON schema file; an error when it is not JSON.
fn json_kinds(path: &RelPath, text: &str, snap: &Snapshot) -> Result<Vec<KindSchema>, JsonError> {
    let j: Json = serde_json::from_str(text).map_err(|e| {
        let li = crate::files::LineIndex::new(text);
        let at = li.line_start(e.line().saturating_sub(1)) + e.column().saturating_sub(1);
        let at = at.min(text.len());
        (format!("schema file is not valid JSON ({e}); its kinds are not known"), at..at)
    })?;
    let mut out = Vec::new();
    // A CRD written as JSON.
    if j.get("kind").and_then(Json::as_str) == Some("CustomResourceDefinition") {
        let spec = j.get("spec").unwrap_or(&Json::Null);
        let s = |p: &[&str]| {
            let mut cur = spec;
            for k in p {
                cur = cur.get(k)?;
            }
            cur.as_str()
        };
        let (Some(group), Some(kind)) = (s(&["group"]), s(&["names", "kind"])) else { return Ok(out) };
        let namespaced = s(&["scope"]) != Some("Cluster");
        for v in spec.get("versions").and_then(Json::as_array).into_iter().flatten() {
            let Some(name) = v.get("name").and_then(Json::as_str) else { continue };
            let schema = match v.get("schema").and_then(|s| s.get("openAPIV3Schema")) {
                Some(s) => from_json(s, 0),
                None => Schema { ty: Ty::Object, open: true, ..Default::default() },
            };
            out.push(KindSchema {
                group: group.into(),
                kind: kind.into(),
                versions: vec![name.into()],
                namespaced,
                schema: object_root(schema),
            });
        }
        return Ok(out);
    }
    if !j.is_object() || (j.get("properties").is_none() && j.get("type").is_none()) {
        return Ok(out);
    }
    let Some((group, kind, version)) = gvk_of(path, &j) else { return Ok(out) };
    let kind = real_case(&group, kind, snap);
    out.push(KindSchema {
        group,
        kind,
        versions: vec![version],
        namespaced: true,
        schema: object_root(from_json(&j, 0)),
    });
    Ok(out)
}

/// Group, kind and version of an openAPI schema file: from the file, else from its path.
fn gvk_of(path: &RelPath, j: &Json) -> Option<(String, String, String)> {
    if let Some(g) = j.get("x-kubernetes-group-version-kind").and_then(Json::as_array).and_then(|a| a.first()) {
        let f = |k: &str| g.get(k).and_then(Json::as_str).map(str::to_string);
        if let (Some(kind), Some(version)) = (f("kind"), f("version")) {
            return Some((f("group").unwrap_or_default(), kind, version));
        }
    }
    let one = |k: &str| {
        let e = j.get("properties")?.get(k)?.get("enum")?.as_array()?;
        (e.len() == 1).then(|| e[0].as_str().map(str::to_string)).flatten()
    };
    if let (Some(av), Some(kind)) = (one("apiVersion"), one("kind")) {
        let (g, v) = super::split_api_version(&av);
        return Some((g.to_string(), kind, v.to_string()));
    }
    // <group>/<kind>_<version>.json
    let stem = path.file_name().strip_suffix(".json")?;
    let (kind, version) = stem.rsplit_once('_')?;
    let parent = path.parent();
    let group = parent.file_name();
    if kind.is_empty() || version.is_empty() || !group.contains('.') {
        return None;
    }
    Some((group.to_string(), kind.to_string(), version.to_string()))
}

/// The kind's spelling: a file name gives it in lower case; the catalog or an object of the
/// repository gives the real one. Unknown: kept in lower case (matched in any case).
fn real_case(group: &str, kind: String, snap: &Snapshot) -> String {
    if kind.chars().any(|c| c.is_ascii_uppercase()) {
        return kind;
    }
    if let Some(k) = super::catalog().kinds.iter().find(|k| k.group == group && k.kind.eq_ignore_ascii_case(&kind)) {
        return k.kind.clone();
    }
    for f in &snap.files {
        for o in &f.objects {
            if o.kind.eq_ignore_ascii_case(&kind) && super::split_api_version(&o.api_version).0 == group {
                return o.kind.clone();
            }
        }
    }
    kind
}

/// An OpenAPI v3 schema node (as Kubernetes writes it in a CRD) as a `Schema`.
pub fn from_openapi(n: &Node, depth: usize) -> Schema {
    let mut s = Schema::default();
    if depth > 64 {
        s.open = true;
        return s;
    }
    s.doc = n.str_at(&["description"]).map(first_line).unwrap_or_default().into();
    let flag = |k: &str| n.str_at(&[k]) == Some("true");
    s.ty = match n.str_at(&["type"]) {
        _ if flag("x-kubernetes-int-or-string") => Ty::IntOrString,
        Some(t) => ty_of(t),
        _ => Ty::Any,
    };
    s.open = flag("x-kubernetes-preserve-unknown-fields");
    if let Some(e) = n.get("enum").and_then(Node::as_seq) {
        s.enum_values = e.iter().filter_map(Node::as_str).map(Into::into).collect();
    }
    if let Some(d) = n.get("default").and_then(Node::as_str) {
        s.default = Some(d.into());
    }
    let required: Vec<&str> =
        n.get("required").and_then(Node::as_seq).unwrap_or(&[]).iter().filter_map(Node::as_str).collect();
    if let Some(props) = n.get("properties").and_then(Node::as_map) {
        for (k, v) in props {
            let Some(key) = k.as_str() else { continue };
            let mut p = from_openapi(v, depth + 1);
            p.required = required.contains(&key);
            s.props.push((key.into(), p));
        }
    }
    if let Some(items) = n.get("items") {
        s.items = Some(Box::new(from_openapi(items, depth + 1)));
    }
    match n.get("additionalProperties") {
        Some(ap) if ap.as_map().is_some() => {
            s.ty = Ty::Map;
            s.values = Some(Box::new(from_openapi(ap, depth + 1)));
        }
        Some(ap) if ap.as_str() == Some("true") => s.open = true,
        _ => {}
    }
    // An object without properties is free-form in practice.
    if s.ty == Ty::Object && s.props.is_empty() {
        s.open = true;
    }
    s
}

/// The same for a JSON schema (a CRD as JSON, or a CRDs-catalog file).
pub fn from_json(n: &Json, depth: usize) -> Schema {
    let mut s = Schema::default();
    if depth > 64 || !n.is_object() {
        s.open = true;
        return s;
    }
    s.doc = n.get("description").and_then(Json::as_str).map(first_line).unwrap_or_default().into();
    let flag = |k: &str| n.get(k).and_then(Json::as_bool) == Some(true);
    // `type` may be a list (["string", "null"]); `oneOf`/`anyOf` of a string and an integer
    // is an int-or-string.
    let types: Vec<&str> = match n.get("type") {
        Some(Json::String(t)) => vec![t.as_str()],
        Some(Json::Array(a)) => a.iter().filter_map(Json::as_str).filter(|t| *t != "null").collect(),
        _ => ["oneOf", "anyOf"]
            .iter()
            .filter_map(|k| n.get(*k).and_then(Json::as_array))
            .flatten()
            .filter_map(|alt| alt.get("type").and_then(Json::as_str))
            .collect(),
    };
    s.ty = if flag("x-kubernetes-int-or-string")
        || n.get("format").and_then(Json::as_str) == Some("int-or-string")
        || (types.contains(&"string") && types.contains(&"integer"))
    {
        Ty::IntOrString
    } else if types.len() == 1 {
        ty_of(types[0])
    } else {
        Ty::Any
    };
    s.open = flag("x-kubernetes-preserve-unknown-fields");
    if let Some(e) = n.get("enum").and_then(Json::as_array) {
        s.enum_values = e.iter().filter(|v| !v.is_null()).map(|v| scalar_text(v).into()).collect();
    }
    if let Some(d) = n.get("default").filter(|d| !d.is_object() && !d.is_array() && !d.is_null()) {
        s.default = Some(scalar_text(d).into());
    }
    let required: Vec<&str> =
        n.get("required").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str).collect();
    if let Some(props) = n.get("properties").and_then(Json::as_object) {
        if s.ty == Ty::Any {
            s.ty = Ty::Object;
        }
        for (k, v) in props {
            let mut p = from_json(v, depth + 1);
            p.required = required.contains(&k.as_str());
            s.props.push((k.as_str().into(), p));
        }
    }
    if let Some(items) = n.get("items").filter(|i| i.is_object()) {
        s.items = Some(Box::new(from_json(items, depth + 1)));
    }
    match n.get("additionalProperties") {
        Some(ap) if ap.is_object() => {
            s.ty = Ty::Map;
            s.values = Some(Box::new(from_json(ap, depth + 1)));
        }
        Some(Json::Bool(true)) => s.open = true,
        _ => {}
    }
    if n.get("$ref").is_some() || (s.ty == Ty::Object && s.props.is_empty()) {
        s.open = true;
    }
    s
}

fn ty_of(t: &str) -> Ty {
    match t {
        "string" => Ty::String,
        "integer" => Ty::Integer,
        "number" => Ty::Number,
        "boolean" => Ty::Boolean,
        "array" => Ty::Array,
        "object" => Ty::Object,
        _ => Ty::Any,
    }
}

fn scalar_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn first_line(s: &str) -> &str {
    let s = s.trim();
    match s.find(['\n', '.']) {
        Some(i) if s.as_bytes()[i] == b'.' => &s[..=i],
        Some(i) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_schema_types_and_kinds() {
        let s = from_json(
            &json!({"type": "object", "required": ["port"], "properties": {
                "port": {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": true},
                "mode": {"type": ["string", "null"], "enum": ["a", "b", null], "default": "a"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "free": {"type": "object"},
                "items": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "boolean"}}}}
            }}),
            0,
        );
        let p = |k: &str| s.prop(k).unwrap();
        assert_eq!(p("port").ty, Ty::IntOrString);
        assert!(p("port").required && !p("mode").required);
        assert_eq!(
            (p("mode").ty, &*p("mode").enum_values, p("mode").default.as_deref()),
            (Ty::String, &["a".into(), "b".into()][..], Some("a"))
        );
        assert_eq!(p("labels").ty, Ty::Map);
        assert!(p("free").open && !s.open);
        assert_eq!(p("items").items.as_ref().unwrap().prop("x").unwrap().ty, Ty::Boolean);
    }

    #[test]
    fn json_schema_names_its_kind_from_the_file_or_its_path() {
        let path = RelPath::new("schemas/ceph.rook.io/cephcluster_v1.json").unwrap();
        assert_eq!(
            gvk_of(&path, &json!({"properties": {}})),
            Some(("ceph.rook.io".into(), "cephcluster".into(), "v1".into()))
        );
        let gvk =
            json!({"x-kubernetes-group-version-kind": [{"group": "example.com", "kind": "Widget", "version": "v2"}]});
        assert_eq!(gvk_of(&path, &gvk), Some(("example.com".into(), "Widget".into(), "v2".into())));
        let enums =
            json!({"properties": {"apiVersion": {"enum": ["example.org/v1beta1"]}, "kind": {"enum": ["Gadget"]}}});
        assert_eq!(gvk_of(&path, &enums), Some(("example.org".into(), "Gadget".into(), "v1beta1".into())));
        // No group folder, no underscore: not a schema we can place.
        assert_eq!(gvk_of(&RelPath::new("schemas/widget.json").unwrap(), &json!({"properties": {}})), None);
        assert_eq!(gvk_of(&RelPath::new("schemas/widget_v1.json").unwrap(), &json!({"properties": {}})), None);
    }
}
