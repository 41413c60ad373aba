//! Kustomize and Flux patches, applied to the objects whose fields the model reads
//! (Flux Kustomizations: a parent's `spec.patches` or a kustomization's `patches` that add
//! `postBuild`, `decryption`… to every child).
//!
//! Owns: reading a patch (inline or from a file; strategic merge or JSON 6902), matching a
//! target selector (kustomize's `Selector`, also used for `replacements` targets), and
//! applying it to a `Node` while recording which file each patched-in
//! node comes from. Everything else kustomize does to objects is out of scope.

use crate::model::{group_of, FileModel};
use crate::snapshot::FileIdx;
use crate::yaml::{self, Node, NodeKind, ScalarStyle};

#[derive(Clone, Debug)]
pub struct Patch {
    pub file: FileIdx,
    pub selector: Selector,
    pub body: Body,
}

#[derive(Clone, Debug)]
pub enum Body {
    /// A partial object merged into the target.
    Merge(Node),
    /// JSON 6902 operations.
    Ops(Vec<Op>),
}

#[derive(Clone, Debug)]
pub struct Op {
    pub op: String,
    pub path: Vec<String>,
    pub value: Option<Node>,
}

#[derive(Clone, Debug, Default)]
pub struct Selector {
    pub group: Option<String>,
    pub kind: Option<String>,
    pub name: Option<regex_lite::Regex>,
    pub namespace: Option<String>,
    pub label_selector: Option<String>,
    pub annotation_selector: Option<String>,
}

impl Selector {
    /// Reads a kustomize selector (`group`, `kind`, `name` as an anchored regex, `namespace`,
    /// `labelSelector`, `annotationSelector`).
    pub fn read(target: &Node) -> Selector {
        let s = |k: &str| target.str_at(&[k]).map(str::to_string);
        Selector {
            group: s("group"),
            kind: s("kind"),
            name: s("name").and_then(|n| regex_lite::Regex::new(&format!("^(?:{n})$")).ok()),
            namespace: s("namespace"),
            label_selector: s("labelSelector"),
            annotation_selector: s("annotationSelector"),
        }
    }

    /// Whether an object matches (`namespace`: where it lands, if set by the build).
    pub fn matches(&self, obj: &Node, namespace: Option<&str>) -> bool {
        let sel = self;
        let api = obj.str_at(&["apiVersion"]).unwrap_or("");
        if sel.group.as_deref().is_some_and(|g| g != group_of(api)) {
            return false;
        }
        if sel.kind.as_deref().is_some_and(|k| Some(k) != obj.str_at(&["kind"])) {
            return false;
        }
        if let Some(re) = &sel.name {
            if !obj.str_at(&["metadata", "name"]).is_some_and(|n| re.is_match(n)) {
                return false;
            }
        }
        if let Some(ns) = &sel.namespace {
            let actual = namespace.or_else(|| obj.str_at(&["metadata", "namespace"]));
            if actual != Some(ns.as_str()) {
                return false;
            }
        }
        if let Some(ls) = &sel.label_selector {
            if !matches_selector(ls, obj.at(&["metadata", "labels"])) {
                return false;
            }
        }
        if let Some(a) = &sel.annotation_selector {
            if !matches_selector(a, obj.at(&["metadata", "annotations"])) {
                return false;
            }
        }
        true
    }
}

fn matches_selector(sel: &str, map: Option<&Node>) -> bool {
    sel.split(',').map(str::trim).filter(|t| !t.is_empty()).all(|term| {
        let get = |k: &str| map.and_then(|m| m.get(k.trim())).and_then(Node::as_str);
        if let Some((k, v)) = term.split_once("!=") {
            get(k) != Some(v.trim())
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            get(k) == Some(v.trim())
        } else if let Some(k) = term.strip_prefix('!') {
            get(k).is_none()
        } else {
            get(term).is_some()
        }
    })
}

impl Patch {
    /// Reads an inline patch (the `patch:` scalar of a kustomization or of a Flux spec).
    pub fn from_inline(f: &FileModel, fi: FileIdx, patch: &Node, target: Option<&Node>) -> Vec<Patch> {
        let Some(s) = patch.as_scalar() else { return Vec::new() };
        let parsed = match s.style {
            ScalarStyle::Literal | ScalarStyle::Folded => {
                let raw = &f.text[patch.range.clone()];
                match raw.find('\n') {
                    Some(i) => yaml::parse_embedded(&f.text, patch.range.start + i + 1..patch.range.end),
                    None => return Vec::new(),
                }
            }
            _ => {
                let mut p = yaml::parse(&s.value);
                for d in &mut p.documents {
                    if let Some(r) = &mut d.root {
                        reset_ranges(r, patch.range.clone());
                    }
                }
                p
            }
        };
        let selector = target.map(Selector::read);
        parsed
            .documents
            .iter()
            .filter_map(|d| d.root.as_ref())
            .filter_map(|r| Patch::from_node(fi, r, selector.clone()))
            .collect()
    }

    /// Reads a patch file; `target` is the selector given beside its path, if any.
    pub fn from_file(f: &FileModel, fi: FileIdx, target: Option<(FileIdx, &Node)>) -> Vec<Patch> {
        let selector = target.map(|(_, t)| Selector::read(t));
        f.yaml
            .documents
            .iter()
            .filter_map(|d| d.root.as_ref())
            .filter_map(|r| Patch::from_node(fi, r, selector.clone()))
            .collect()
    }

    fn from_node(fi: FileIdx, root: &Node, selector: Option<Selector>) -> Option<Patch> {
        match &root.kind {
            NodeKind::Seq(items) => {
                let ops = items
                    .iter()
                    .filter_map(|i| {
                        Some(Op {
                            op: i.str_at(&["op"])?.to_string(),
                            path: parse_pointer(i.str_at(&["path"])?),
                            value: i.get("value").cloned(),
                        })
                    })
                    .collect();
                Some(Patch { file: fi, selector: selector.unwrap_or_default(), body: Body::Ops(ops) })
            }
            NodeKind::Map(_) => {
                // Without a target, a strategic merge patch targets its own kind and name.
                let selector = selector.unwrap_or_else(|| Selector {
                    group: root.str_at(&["apiVersion"]).map(|a| group_of(a).to_string()),
                    kind: root.str_at(&["kind"]).map(str::to_string),
                    name: root
                        .str_at(&["metadata", "name"])
                        .and_then(|n| regex_lite::Regex::new(&format!("^{}$", regex_lite::escape(n))).ok()),
                    namespace: root.str_at(&["metadata", "namespace"]).map(str::to_string),
                    ..Default::default()
                });
                Some(Patch { file: fi, selector, body: Body::Merge(root.clone()) })
            }
            NodeKind::Scalar(_) => None,
        }
    }

    /// Whether the patch applies to an object (`namespace`: where it lands).
    pub fn targets(&self, obj: &Node, namespace: Option<&str>) -> bool {
        self.selector.matches(obj, namespace)
    }

    /// Applies the patch; nodes it adds get a `src` pointing at this patch's file in `srcs`.
    pub fn apply(&self, node: &mut Node, srcs: &mut Vec<FileIdx>) {
        let src = match srcs.iter().position(|&f| f == self.file) {
            Some(i) => i as u16,
            None => {
                srcs.push(self.file);
                (srcs.len() - 1) as u16
            }
        };
        match &self.body {
            Body::Merge(p) => {
                let mut p = p.clone();
                p.set_src(src);
                // The patch's identity fields select; they do not rename.
                if let NodeKind::Map(entries) = &mut p.kind {
                    entries.retain(|(k, _)| !matches!(k.as_str(), Some("apiVersion") | Some("kind")));
                    if let Some((_, meta)) = entries.iter_mut().find(|(k, _)| k.as_str() == Some("metadata")) {
                        if let NodeKind::Map(m) = &mut meta.kind {
                            m.retain(|(k, _)| !matches!(k.as_str(), Some("name") | Some("namespace")));
                        }
                    }
                }
                merge(node, &p);
            }
            Body::Ops(ops) => {
                for op in ops {
                    let value = op.value.clone().map(|mut v| {
                        v.set_src(src);
                        v
                    });
                    apply_op(node, &op.op, &op.path, value);
                }
            }
        }
    }
}

fn reset_ranges(n: &mut Node, r: std::ops::Range<usize>) {
    n.range = r.clone();
    match &mut n.kind {
        NodeKind::Scalar(_) => {}
        NodeKind::Seq(items) => items.iter_mut().for_each(|i| reset_ranges(i, r.clone())),
        NodeKind::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            reset_ranges(k, r.clone());
            reset_ranges(v, r.clone());
        }),
    }
}

fn parse_pointer(p: &str) -> Vec<String> {
    p.split('/').skip(1).map(|s| s.replace("~1", "/").replace("~0", "~")).collect()
}

/// Strategic merge as kustomize does it for custom resources: maps merge key by key, a null
/// value deletes, lists are replaced.
fn merge(target: &mut Node, patch: &Node) {
    match (&mut target.kind, &patch.kind) {
        (NodeKind::Map(t), NodeKind::Map(p)) => {
            for (pk, pv) in p {
                let Some(key) = pk.as_str() else { continue };
                let pos = t.iter().position(|(k, _)| k.as_str() == Some(key));
                if pv.is_null() {
                    if let Some(i) = pos {
                        t.remove(i);
                    }
                    continue;
                }
                match pos {
                    Some(i) => merge(&mut t[i].1, pv),
                    None => t.push((pk.clone(), pv.clone())),
                }
            }
        }
        _ => *target = patch.clone(),
    }
}

fn apply_op(node: &mut Node, op: &str, path: &[String], value: Option<Node>) {
    let Some((last, parents)) = path.split_last() else {
        if let (Some(v), "add" | "replace") = (value, op) {
            *node = v;
        }
        return;
    };
    let mut cur = node;
    for seg in parents {
        let pos = match &cur.kind {
            NodeKind::Map(m) => m.iter().position(|(k, _)| k.as_str() == Some(seg.as_str())),
            NodeKind::Seq(items) => seg.parse::<usize>().ok().filter(|&i| i < items.len()),
            NodeKind::Scalar(_) => None,
        };
        let at = cur.range.end;
        cur = match (&mut cur.kind, pos) {
            (NodeKind::Map(m), Some(i)) => &mut m[i].1,
            (NodeKind::Seq(items), Some(i)) => &mut items[i],
            // `add` creates missing maps on the way, as kustomize's implementation does.
            (NodeKind::Map(m), None) if op == "add" => {
                let key = Node {
                    range: at..at,
                    src: 0,
                    kind: NodeKind::Scalar(crate::yaml::Scalar {
                        value: seg.clone(),
                        style: ScalarStyle::Plain,
                        ty: crate::yaml::ScalarType::Str,
                    }),
                };
                m.push((key, Node { range: at..at, src: 0, kind: NodeKind::Map(Vec::new()) }));
                &mut m.last_mut().unwrap().1
            }
            _ => return,
        };
    }
    match (&mut cur.kind, op) {
        (NodeKind::Map(m), "add" | "replace") => {
            let Some(v) = value else { return };
            match m.iter_mut().find(|(k, _)| k.as_str() == Some(last.as_str())) {
                Some((_, slot)) => *slot = v,
                None => {
                    let at = v.range.start;
                    let key = Node {
                        range: at..at,
                        src: v.src,
                        kind: NodeKind::Scalar(crate::yaml::Scalar {
                            value: last.clone(),
                            style: ScalarStyle::Plain,
                            ty: crate::yaml::ScalarType::Str,
                        }),
                    };
                    m.push((key, v));
                }
            }
        }
        (NodeKind::Map(m), "remove") => m.retain(|(k, _)| k.as_str() != Some(last.as_str())),
        (NodeKind::Seq(items), "add") => {
            let Some(v) = value else { return };
            if last == "-" {
                items.push(v);
            } else if let Ok(i) = last.parse::<usize>() {
                items.insert(i.min(items.len()), v);
            }
        }
        (NodeKind::Seq(items), "replace") => {
            if let (Some(v), Ok(i)) = (value, last.parse::<usize>()) {
                if let Some(slot) = items.get_mut(i) {
                    *slot = v;
                }
            }
        }
        (NodeKind::Seq(items), "remove") => {
            if let Ok(i) = last.parse::<usize>() {
                if i < items.len() {
                    items.remove(i);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::RelPath;
    use std::sync::Arc;

    fn model(text: &str) -> FileModel {
        FileModel::build(RelPath::new("k/ks.yaml").unwrap(), Arc::from(text))
    }

    #[test]
    fn strategic_merge_patch_adds_post_build_to_selected_children() {
        let parent = model(
            "patches:\n  - target:\n      kind: Kustomization\n      group: kustomize.toolkit.fluxcd.io\n    patch: |\n      apiVersion: kustomize.toolkit.fluxcd.io/v1\n      kind: Kustomization\n      metadata:\n        name: any\n      spec:\n        postBuild:\n          substituteFrom:\n            - kind: ConfigMap\n              name: cluster-settings\n",
        );
        let root = parent.yaml.documents[0].root.as_ref().unwrap();
        let entry = &root.get("patches").unwrap().as_seq().unwrap()[0];
        let patches = Patch::from_inline(&parent, 7, entry.get("patch").unwrap(), entry.get("target"));
        assert_eq!(patches.len(), 1);
        let child = model("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\nspec:\n  path: ./x\n");
        let mut node = child.yaml.documents[0].root.clone().unwrap();
        assert!(patches[0].targets(&node, None));
        let mut srcs = vec![3];
        patches[0].apply(&mut node, &mut srcs);
        assert_eq!(srcs, vec![3, 7]);
        let name = node.at(&["spec", "postBuild", "substituteFrom"]).unwrap().as_seq().unwrap()[0].get("name").unwrap();
        assert_eq!(name.as_str(), Some("cluster-settings"));
        assert_eq!(name.src, 1);
        assert_eq!(&parent.text[name.range.clone()], "cluster-settings");
        assert_eq!(node.str_at(&["metadata", "name"]), Some("app"));
    }

    #[test]
    fn json6902_ops_add_replace_remove() {
        let f = model("- op: add\n  path: /spec/postBuild/substitute/A\n  value: x\n- op: replace\n  path: /spec/path\n  value: ./y\n- op: remove\n  path: /spec/prune\n");
        let patches = Patch::from_file(&f, 1, None);
        let child = model("kind: Kustomization\nspec:\n  path: ./x\n  prune: true\n");
        let mut node = child.yaml.documents[0].root.clone().unwrap();
        patches[0].apply(&mut node, &mut vec![0]);
        assert_eq!(node.str_at(&["spec", "postBuild", "substitute", "A"]), Some("x"));
        assert_eq!(node.str_at(&["spec", "path"]), Some("./y"));
        assert!(node.at(&["spec", "prune"]).is_none());
    }

    #[test]
    fn target_name_is_an_anchored_regex_and_label_selectors_match() {
        let f = model("target:\n  kind: Kustomization\n  name: app-.*\n  labelSelector: tier=apps\npatch: '{spec: {prune: false}}'\n");
        let r = f.yaml.documents[0].root.as_ref().unwrap();
        let p = &Patch::from_inline(&f, 0, r.get("patch").unwrap(), r.get("target"))[0];
        let yes = model("kind: Kustomization\nmetadata:\n  name: app-a\n  labels:\n    tier: apps\n");
        let no = model("kind: Kustomization\nmetadata:\n  name: xapp-a\n  labels:\n    tier: apps\n");
        assert!(p.targets(yes.yaml.documents[0].root.as_ref().unwrap(), None));
        assert!(!p.targets(no.yaml.documents[0].root.as_ref().unwrap(), None));
    }
}
