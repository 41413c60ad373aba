//! Schemas from CustomResourceDefinition manifests in the repository: each served version's
//! `openAPIV3Schema` becomes a `KindSchema` that overrides the built-in catalog for that
//! group, kind and version.

use super::{KindSchema, Schema, Ty};
use crate::snapshot::Snapshot;
use crate::yaml::Node;

/// Every CRD version in the snapshot, as kinds.
pub fn repo_kinds(snap: &Snapshot) -> Vec<KindSchema> {
    let mut out = Vec::new();
    for f in &snap.files {
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
                let mut schema = match v.at(&["schema", "openAPIV3Schema"]) {
                    Some(s) => from_openapi(s, 0),
                    None => Schema { ty: Ty::Object, open: true, ..Default::default() },
                };
                // apiVersion, kind and metadata are implied by Kubernetes.
                schema.ty = Ty::Object;
                for (k, doc) in
                    [("apiVersion", "The API group and version of this object."), ("kind", "The kind of object.")]
                {
                    if schema.prop(k).is_none() {
                        schema
                            .props
                            .insert(0, (k.into(), Schema { ty: Ty::String, doc: doc.into(), ..Default::default() }));
                    }
                }
                for (k, p) in schema.props.iter_mut() {
                    if matches!(&**k, "apiVersion" | "kind") {
                        p.required = true;
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
                out.push(KindSchema {
                    group: group.to_string(),
                    kind: kind.to_string(),
                    versions: vec![name.to_string()],
                    namespaced,
                    schema,
                });
            }
        }
    }
    out
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
        Some("string") => Ty::String,
        Some("integer") => Ty::Integer,
        Some("number") => Ty::Number,
        Some("boolean") => Ty::Boolean,
        Some("array") => Ty::Array,
        Some("object") => Ty::Object,
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

fn first_line(s: &str) -> &str {
    let s = s.trim();
    match s.find(['\n', '.']) {
        Some(i) if s.as_bytes()[i] == b'.' => &s[..=i],
        Some(i) => &s[..i],
        None => s,
    }
}
