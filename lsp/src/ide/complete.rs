//! Completion while typing: variable names after `${`, dependsOn names, Flux `path:` and
//! `components:` folders, kustomize `resources:`/`components:` entries, and the names of
//! objects a field refers to (sourceRef, substituteFrom, storageClassName, issuerRef…).
//!
//! Owns: reading the context from the raw text around the cursor. What is being typed is
//! usually not valid YAML yet (`name: ` with nothing, `${CLU` unterminated), so the
//! enclosing keys come from the lines above (their indentation), never from the parsed tree;
//! the parsed model only supplies the candidates (clusters, bindings, folders, objects).
//! Editors filter by the partial word; items carry the range it covers (`replace`).

use super::locate::Index;
use super::nav::{md_code, md_escape, value_short};
use super::{CompletionItem, CompletionKind};
use crate::analysis::Analysis;
use crate::files::{LineIndex, RelPath, TextRange};
use crate::model::KUSTOMIZE_FILE_NAMES;
use crate::project::{ObjLoc, Value};
use crate::snapshot::{FileIdx, Snapshot};
use crate::yaml::Node;
use rustc_hash::FxHashSet;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Completion items at `offset` of `file`, sorted by `sort` then label.
pub fn completion(a: &Analysis, file: &RelPath, offset: usize) -> Vec<CompletionItem> {
    let snap = &*a.snapshot;
    let Some(fi) = snap.file_idx(file) else { return Vec::new() };
    let f = snap.file(fi);
    let text = &*f.text;
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    // Inside an LB IP annotation or a Gateway address: the next free addresses.
    let net = crate::ide::network::completion(a, file, offset);
    if !net.is_empty() {
        return net;
    }
    let idx = Index::of(a);
    let li = &f.line_index;
    let line = li.line_of(offset);
    let line_start = li.line_start(line);
    let before = &text[line_start..offset];
    let mut items = if let Some(start) = variable_prefix(before) {
        variables(a, &idx, fi, offset, line_start + start)
    } else {
        let mut items = match Context::read(text, li, offset) {
            Some(cx) => by_context(a, &idx, fi, offset, &cx),
            None => Vec::new(),
        };
        // Schema knowledge: keys valid here, enum values, apiVersion/kind pairs.
        items.extend(crate::schema::complete_keys(a, file, offset));
        items.extend(crate::schema::complete_values(a, file, offset));
        items
    };
    items.sort_by(|x, y| (x.sort.as_deref().unwrap_or(""), &x.label).cmp(&(y.sort.as_deref().unwrap_or(""), &y.label)));
    items.dedup_by(|x, y| x.label == y.label && x.kind == y.kind);
    items
}

/// Where a variable name being typed after `${` starts in `before` (the line up to the
/// cursor), unless the `${` is escaped (`$${`).
fn variable_prefix(before: &str) -> Option<usize> {
    let at = before.rfind("${")?;
    let typed = &before[at + 2..];
    if !typed.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    let dollars = before[..=at].bytes().rev().take_while(|&b| b == b'$').count();
    (dollars % 2 == 1).then_some(at + 2)
}

const OP_CHARS: &[char] = &[':', '}', '/', '#', '%', '^', ',', '=', '-', '+', '?'];

fn variables(a: &Analysis, idx: &Index, fi: FileIdx, offset: usize, start: usize) -> Vec<CompletionItem> {
    let snap = &*a.snapshot;
    let text = &*snap.file(fi).text;
    let word_end = offset + text[offset..].bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
    let next = text[word_end..].chars().next();
    let close = !next.is_some_and(|c| OP_CHARS.contains(&c));
    let scopes = scopes(a, idx, fi, offset);
    let clusters = clusters_of(&scopes);
    // name -> cluster -> (value, from)
    let mut vars: BTreeMap<&str, BTreeMap<u32, (&Value, &str)>> = BTreeMap::new();
    for &(ci, ki) in &scopes {
        let b = &a.project.clusters[ci as usize].kss[ki as usize].bindings;
        if !b.enabled {
            continue;
        }
        for (name, bd) in &b.vars {
            vars.entry(name.as_str()).or_default().entry(ci).or_insert((&bd.value, bd.from.as_str()));
        }
    }
    let replace = start..word_end;
    // Thousands of variables (an address per app): the ones that start with what is typed,
    // at most `MAX_VARIABLES` (the list is then incomplete: the editor asks again as the
    // user types).
    if vars.len() > MAX_VARIABLES {
        let typed = text[start.min(offset)..offset].to_ascii_lowercase();
        vars.retain(|name, _| name.to_ascii_lowercase().starts_with(&typed));
        while vars.len() > MAX_VARIABLES {
            vars.pop_last();
        }
    }
    // Many variables (a settings file with an address per app): documentation on resolve.
    let lazy = vars.len() > LAZY_DOCS;
    vars.into_iter()
        .map(|(name, per)| {
            let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
            for &ci in &clusters {
                let cname = a.project.clusters[ci as usize].name.as_str();
                let shown = per.get(&ci).map_or_else(|| "unset".to_string(), |(v, _)| value_short(v));
                match groups.iter_mut().find(|(v, _)| *v == shown) {
                    Some((_, cs)) => cs.push(cname),
                    None => groups.push((shown, vec![cname])),
                }
            }
            let detail = groups.iter().map(|(v, cs)| format!("{}: {v}", cs.join(", "))).collect::<Vec<_>>().join(" · ");
            CompletionItem {
                label: name.to_string(),
                kind: CompletionKind::Variable,
                detail: Some(detail),
                documentation: if lazy { None } else { Some(variable_doc_of(a, &clusters, &per)) },
                insert_text: close.then(|| format!("{name}}}")),
                replace: replace.clone(),
                sort: None,
            }
        })
        .collect()
}

/// At most this many variables in one completion list (those that start with what is typed,
/// in name order); a full list means the editor should ask again as the user types.
pub const MAX_VARIABLES: usize = 200;

/// Above this many variables, completion leaves their documentation to `variable_doc`
/// (`completionItem/resolve`).
pub const LAZY_DOCS: usize = 50;

/// The markdown documentation of one variable: its value per cluster and where it comes from.
fn variable_doc_of(a: &Analysis, clusters: &[u32], per: &BTreeMap<u32, (&Value, &str)>) -> String {
    let mut doc = String::new();
    for &ci in clusters {
        let cname = a.project.clusters[ci as usize].name.as_str();
        match per.get(&ci) {
            Some((v, from)) => {
                let shown_doc = match v {
                    Value::Known(s) => md_code(s),
                    Value::Secret => "hidden (Secret)".into(),
                    Value::Unknown => "unknown".into(),
                };
                let _ = writeln!(doc, "- {cname}: {shown_doc} ({})", md_escape(from));
            }
            None => {
                let _ = writeln!(doc, "- {cname}: unset");
            }
        }
    }
    doc
}

/// The documentation of the variable `name` as completed at `offset` of `file` (what
/// `completion` leaves out when it offers many variables).
pub fn variable_doc(a: &Analysis, file: &RelPath, offset: usize, name: &str) -> Option<String> {
    let fi = a.snapshot.file_idx(file)?;
    let idx = Index::of(a);
    let scopes = scopes(a, &idx, fi, offset);
    let clusters = clusters_of(&scopes);
    let mut per: BTreeMap<u32, (&Value, &str)> = BTreeMap::new();
    for &(ci, ki) in &scopes {
        let b = &a.project.clusters[ci as usize].kss[ki as usize].bindings;
        if let (true, Some(bd)) = (b.enabled, b.vars.get(name)) {
            per.entry(ci).or_insert((&bd.value, bd.from.as_str()));
        }
    }
    Some(variable_doc_of(a, &clusters, &per))
}

/// The (cluster, Flux Kustomization) pairs whose view of this position matters: those that
/// apply the object under the cursor, else any object of the file, else of its folder, else
/// Flux Kustomizations whose folder holds the file, else all.
fn scopes(a: &Analysis, idx: &Index, fi: FileIdx, offset: usize) -> Vec<(u32, u32)> {
    let snap = &*a.snapshot;
    let f = snap.file(fi);
    let objs_of = |fi: FileIdx| (0..snap.file(fi).objects.len()).map(move |i| ObjLoc { file: fi, obj: i as u32 });
    let collect = |objs: &mut dyn Iterator<Item = ObjLoc>| {
        let mut out: Vec<(u32, u32)> = Vec::new();
        for o in objs {
            for s in idx.scopes_of(a, o) {
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        out
    };
    let doc = f.yaml.documents.iter().position(|d| d.range.start <= offset && offset <= d.range.end);
    if let Some(i) = doc.and_then(|d| f.objects.iter().position(|o| o.doc == d)) {
        let s = collect(&mut std::iter::once(ObjLoc { file: fi, obj: i as u32 }));
        if !s.is_empty() {
            return s;
        }
    }
    let s = collect(&mut objs_of(fi));
    if !s.is_empty() {
        return s;
    }
    let dir = f.path.parent();
    let siblings: Vec<FileIdx> =
        snap.dirs.files_in.get(&dir).into_iter().flatten().filter_map(|p| snap.file_idx(p)).collect();
    let s = collect(&mut siblings.into_iter().flat_map(objs_of));
    if !s.is_empty() {
        return s;
    }
    let mut out = Vec::new();
    for (ci, c) in a.project.clusters.iter().enumerate() {
        for (ki, ks) in c.kss.iter().enumerate() {
            if ks.path.as_ref().and_then(|p| p.dir.as_ref()).is_some_and(|d| !d.is_root() && f.path.starts_with(d)) {
                out.push((ci as u32, ki as u32));
            }
        }
    }
    if !out.is_empty() {
        return out;
    }
    for (ci, c) in a.project.clusters.iter().enumerate() {
        for ki in 0..c.kss.len() {
            out.push((ci as u32, ki as u32));
        }
    }
    out
}

/// The object whose document holds `offset`, if the document parsed into one.
fn object_at(a: &Analysis, fi: FileIdx, offset: usize) -> Option<ObjLoc> {
    let f = a.snapshot.file(fi);
    let doc = f.yaml.documents.iter().position(|d| d.range.start <= offset && offset <= d.range.end)?;
    f.objects.iter().position(|o| o.doc == doc).map(|i| ObjLoc { file: fi, obj: i as u32 })
}

fn clusters_of(scopes: &[(u32, u32)]) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    for &(c, _) in scopes {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The YAML context from raw text.

/// What the cursor line is, read from the text alone.
#[derive(Debug)]
struct Context {
    /// Keys (and `-` for sequence items) from the document root to the mapping or
    /// sequence holding the cursor.
    parents: Vec<String>,
    /// The key whose value is being typed; `None` for a bare sequence item (`- ./x`).
    key: Option<String>,
    /// The partial value: from its start (after any quote) to the cursor.
    typed: String,
    /// The whole token under the cursor (what an item replaces).
    replace: TextRange,
    /// The document's top-level `kind:` and `apiVersion:`.
    kind: Option<String>,
    api_version: Option<String>,
    /// The column of the keys of the mapping holding the cursor, and its line.
    key_col: usize,
    line: usize,
}

/// The shape of one line: indentation, `- ` markers, key and whether a value follows.
struct Shape<'a> {
    indent: usize,
    dash: bool,
    /// Column where the content after the `- ` markers starts.
    content_col: usize,
    key: Option<&'a str>,
    has_value: bool,
}

fn shape(line: &str) -> Shape<'_> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let mut rest = &line[indent..];
    let mut col = indent;
    let mut dash = false;
    while rest == "-" || rest.starts_with("- ") {
        dash = true;
        let n = if rest == "-" { 1 } else { 2 + rest[2..].len() - rest[2..].trim_start_matches(' ').len() };
        rest = &rest[n.min(rest.len())..];
        col += n;
    }
    let (key, has_value) = match key_split(rest) {
        Some((k, v)) => {
            let v = v.trim();
            (Some(k), !v.is_empty() && !v.starts_with('#'))
        }
        None => (None, !rest.trim().is_empty()),
    };
    Shape { indent, dash, content_col: col, key, has_value }
}

/// `key: value` -> (key, value); quoted keys lose their quotes.
fn key_split(s: &str) -> Option<(&str, &str)> {
    if s.starts_with('#') {
        return None;
    }
    let mut i = 0;
    let b = s.as_bytes();
    if let Some(&q) = b.first().filter(|c| **c == b'"' || **c == b'\'') {
        let end = s[1..].find(q as char)? + 1;
        if s[end + 1..].starts_with(':') && (s.len() == end + 2 || s[end + 2..].starts_with([' ', '\t'])) {
            return Some((&s[1..end], &s[end + 2..]));
        }
        return None;
    }
    while i < b.len() {
        if b[i] == b':' && (i + 1 == b.len() || b[i + 1] == b' ' || b[i + 1] == b'\t') {
            let k = &s[..i];
            if k.is_empty() || k.starts_with(['{', '[', '"', '\'']) {
                return None;
            }
            return Some((k, &s[i + 1..]));
        }
        if b[i] == b' ' && b.get(i + 1) == Some(&b'#') {
            return None;
        }
        i += 1;
    }
    None
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

fn is_doc_marker(line: &str) -> bool {
    line.starts_with("---") || line == "..." || line.starts_with("... ")
}

impl Context {
    fn read(text: &str, li: &LineIndex, offset: usize) -> Option<Context> {
        let line = li.line_of(offset);
        let ls = li.line_start(line);
        let lt = li.line_text(text, line);
        let col = offset - ls;
        if col > lt.len() {
            return None;
        }
        let sh = shape(lt);
        let content = &lt[sh.content_col.min(lt.len())..];
        let content_start = ls + sh.content_col.min(lt.len());
        // The key on this line, and where its value starts.
        let (key, value_start) = match key_split(content) {
            Some((k, v)) => {
                let colon = content_start + (content.len() - v.len());
                if offset < colon {
                    return None; // on the key itself
                }
                let ws = v.len() - v.trim_start().len();
                (Some(k.to_string()), colon + ws)
            }
            None if sh.dash => (None, content_start),
            None => return None,
        };
        if offset < value_start {
            return None;
        }
        let mut value_start = value_start;
        if text[value_start..offset].starts_with(['"', '\'']) {
            value_start += 1;
        }
        if text[value_start..offset].contains(['[', '{', '#', ' ']) {
            return None;
        }
        let rest = &lt[col..];
        let end = offset + rest.find([' ', '"', '\'', '#', ',', ']', '}']).unwrap_or(rest.len());
        // Parents, from the lines above.
        let mut parents: Vec<String> = Vec::new();
        let (mut cur, mut is_item) = (sh.indent, sh.dash);
        if sh.dash {
            parents.push("-".into());
        }
        let key_col = sh.content_col;
        let mut l = line;
        while l > 0 && (cur != 0 || is_item) {
            l -= 1;
            let t = li.line_text(text, l);
            if is_doc_marker(t) {
                break;
            }
            if is_blank_or_comment(t) {
                continue;
            }
            let s = shape(t);
            if s.dash {
                if s.content_col == cur && !is_item && s.key.is_some() {
                    parents.push("-".into());
                    cur = s.indent;
                    is_item = true;
                } else if s.indent < cur && s.content_col < cur && s.key.is_some() && !s.has_value {
                    parents.push(s.key.unwrap_or_default().to_string());
                    parents.push("-".into());
                    cur = s.indent;
                    is_item = true;
                }
                continue;
            }
            let Some(k) = s.key else { continue };
            if s.indent < cur || (s.indent == cur && is_item && !s.has_value) {
                parents.push(k.to_string());
                cur = s.indent;
                is_item = false;
            }
        }
        parents.reverse();
        let (kind, api_version) = doc_header(text, li, line);
        Some(Context {
            parents,
            key,
            typed: text[value_start..offset].to_string(),
            replace: value_start..end.max(offset),
            kind,
            api_version,
            key_col,
            line,
        })
    }

    /// A sibling key's value in the mapping holding the cursor (e.g. `kind:` beside `name:`).
    fn sibling(&self, text: &str, li: &LineIndex, key: &str) -> Option<String> {
        let val = |t: &str| -> Option<String> {
            let s = shape(t);
            if s.content_col != self.key_col || s.key != Some(key) {
                return None;
            }
            let (_, v) = key_split(&t[s.content_col..])?;
            Some(clean_scalar(v))
        };
        // Upwards to the line that starts our item (or leaves the mapping).
        let mut l = self.line;
        loop {
            let t = li.line_text(text, l);
            if !is_blank_or_comment(t) {
                let s = shape(t);
                if l != self.line && (s.content_col < self.key_col || is_doc_marker(t)) {
                    break;
                }
                if let Some(v) = val(t) {
                    return Some(v);
                }
                if s.dash && s.content_col == self.key_col {
                    break;
                }
            }
            if l == 0 {
                break;
            }
            l -= 1;
        }
        for l in self.line + 1..li.line_count() {
            let t = li.line_text(text, l);
            if is_blank_or_comment(t) {
                continue;
            }
            let s = shape(t);
            if s.indent < self.key_col || s.dash && s.content_col <= self.key_col || is_doc_marker(t) {
                break;
            }
            if let Some(v) = val(t) {
                return Some(v);
            }
        }
        None
    }
}

fn clean_scalar(v: &str) -> String {
    let v = v.split(" #").next().unwrap_or("").trim();
    v.trim_matches(['"', '\'']).to_string()
}

/// The top-level `kind:` and `apiVersion:` of the document holding `line`.
fn doc_header(text: &str, li: &LineIndex, line: usize) -> (Option<String>, Option<String>) {
    let mut start = line;
    while start > 0 && !is_doc_marker(li.line_text(text, start)) {
        start -= 1;
    }
    let (mut kind, mut api) = (None, None);
    for l in start..li.line_count() {
        let t = li.line_text(text, l);
        if l > line && is_doc_marker(t) {
            break;
        }
        if let Some(v) = t.strip_prefix("kind:") {
            kind = Some(clean_scalar(v));
        } else if let Some(v) = t.strip_prefix("apiVersion:") {
            api = Some(clean_scalar(v));
        }
    }
    (kind, api)
}

// ---------------------------------------------------------------------------------------
// Candidates by context.

fn by_context(a: &Analysis, idx: &Index, fi: FileIdx, offset: usize, cx: &Context) -> Vec<CompletionItem> {
    let snap = &*a.snapshot;
    let f = snap.file(fi);
    let text = &*f.text;
    let p: Vec<&str> = cx.parents.iter().map(String::as_str).collect();
    let key = cx.key.as_deref();
    let kind = cx.kind.as_deref().unwrap_or("");
    let api = cx.api_version.as_deref().unwrap_or("");
    let flux = kind == "Kustomization" && api.starts_with("kustomize.toolkit.fluxcd.io");
    let helm = kind == "HelmRelease";
    let kustomize = f.is_kustomization;
    let refs = |kinds: &[&str]| names(a, idx, fi, offset, cx, kinds);
    match (p.as_slice(), key) {
        (["resources" | "bases" | "crds", "-"], None) if kustomize => {
            resource_entries(snap, idx, f.path.parent(), text, cx)
        }
        (["components", "-"], None) if kustomize => component_entries(snap, &f.path.parent(), cx),
        (["spec", "dependsOn", "-"], Some("name")) if flux => flux_ks_names(a, idx, fi, offset, cx),
        (["spec", "dependsOn", "-"], Some("name")) if helm => refs(&["HelmRelease"]),
        (["spec"], Some("path")) if flux => flux_folders(idx, cx),
        (["spec", "components", "-"], None) if flux => {
            let base = flux_path_here(a, fi, offset, text, cx);
            match base {
                Some(b) => component_entries(snap, &b, cx),
                None => Vec::new(),
            }
        }
        (["spec", "sourceRef"], Some("name")) if flux => {
            refs(&[&cx.sibling(text, &f.line_index, "kind").unwrap_or_else(|| "GitRepository".into())])
        }
        (["spec", "chartRef"], Some("name")) if helm => match cx.sibling(text, &f.line_index, "kind") {
            Some(k) => refs(&[&k]),
            None => refs(&["OCIRepository", "HelmChart"]),
        },
        (["spec", "chart", "spec", "sourceRef"], Some("name")) if helm => {
            refs(&[&cx.sibling(text, &f.line_index, "kind").unwrap_or_else(|| "HelmRepository".into())])
        }
        (["spec", "postBuild", "substituteFrom", "-"], Some("name")) if flux => {
            ref_by_sibling_kind(cx, text, &f.line_index, refs)
        }
        (["spec", "valuesFrom", "-"], Some("name")) if helm => ref_by_sibling_kind(cx, text, &f.line_index, refs),
        ([.., "secretStoreRef"], Some("name")) => match cx.sibling(text, &f.line_index, "kind") {
            Some(k) => refs(&[&k]),
            None => refs(&["SecretStore", "ClusterSecretStore"]),
        },
        ([.., "issuerRef"], Some("name")) => match cx.sibling(text, &f.line_index, "kind") {
            Some(k) => refs(&[&k]),
            None => refs(&["Issuer", "ClusterIssuer"]),
        },
        ([.., "parentRefs", "-"], Some("name")) => refs(&["Gateway"]),
        (_, Some("storageClassName")) => refs(&["StorageClass"]),
        (_, Some("gatewayClassName")) => refs(&["GatewayClass"]),
        _ => Vec::new(),
    }
}

fn ref_by_sibling_kind(
    cx: &Context,
    text: &str,
    li: &LineIndex,
    refs: impl Fn(&[&str]) -> Vec<CompletionItem>,
) -> Vec<CompletionItem> {
    match cx.sibling(text, li, "kind") {
        Some(k) => refs(&[&k]),
        None => refs(&["ConfigMap", "Secret"]),
    }
}

/// Names of objects of these kinds in the clusters of the cursor.
fn names(a: &Analysis, idx: &Index, fi: FileIdx, offset: usize, cx: &Context, kinds: &[&str]) -> Vec<CompletionItem> {
    let scopes = scopes(a, idx, fi, offset);
    let here = object_at(a, fi, offset);
    let mut by: BTreeMap<(String, String), (Vec<String>, Option<String>)> = BTreeMap::new();
    for ci in clusters_of(&scopes) {
        let cname = &a.project.clusters[ci as usize].name;
        for kind in kinds {
            for (name, found) in idx.names_in(ci, kind) {
                if here.is_some() && found.target.obj == here {
                    continue;
                }
                let e = by.entry((name.to_string(), kind.to_string())).or_insert((Vec::new(), found.namespace.clone()));
                if !e.0.contains(cname) {
                    e.0.push(cname.clone());
                }
            }
        }
    }
    by.into_iter()
        .map(|((name, kind), (clusters, ns))| {
            let ns = ns.map(|n| format!(" {n}")).unwrap_or_default();
            CompletionItem {
                label: name,
                kind: CompletionKind::Reference,
                detail: Some(format!("{kind}{ns} · {}", clusters.join(", "))),
                documentation: None,
                insert_text: None,
                replace: cx.replace.clone(),
                sort: None,
            }
        })
        .collect()
}

/// Flux Kustomization names of the cursor's clusters, except the one being edited.
fn flux_ks_names(a: &Analysis, idx: &Index, fi: FileIdx, offset: usize, cx: &Context) -> Vec<CompletionItem> {
    let snap = &*a.snapshot;
    let f = snap.file(fi);
    let here = object_at(a, fi, offset);
    let own_name = here.and_then(|h| f.objects[h.obj as usize].name.clone());
    let scopes = scopes(a, idx, fi, offset);
    let mut by: BTreeMap<String, (Vec<String>, String, String)> = BTreeMap::new();
    for ci in clusters_of(&scopes) {
        let c = &a.project.clusters[ci as usize];
        for ks in &c.kss {
            if ks.obj.is_none()
                || (ks.obj == here && here.is_some())
                || own_name.as_deref() == Some(ks.id.name.as_str()) && ks.obj.map(|o| o.file) == Some(fi)
            {
                continue;
            }
            let path = ks.path.as_ref().map(|p| p.raw.clone()).unwrap_or_default();
            let e = by.entry(ks.id.name.clone()).or_insert((Vec::new(), ks.id.namespace.clone(), path));
            if !e.0.contains(&c.name) {
                e.0.push(c.name.clone());
            }
        }
    }
    by.into_iter()
        .map(|(name, (clusters, ns, path))| CompletionItem {
            label: name,
            kind: CompletionKind::Reference,
            detail: Some(format!("{ns} · {path} · {}", clusters.join(", "))),
            documentation: None,
            insert_text: None,
            replace: cx.replace.clone(),
            sort: None,
        })
        .collect()
}

/// Flux `spec.path`: folders relative to the repository root, written `./…`.
fn flux_folders(idx: &Index, cx: &Context) -> Vec<CompletionItem> {
    let typed = cx.typed.as_str();
    let dotted = typed.is_empty() || typed.starts_with("./") || typed == ".";
    let bare = typed.trim_start_matches("./");
    let dir_prefix = match bare.rfind('/') {
        Some(i) => &bare[..=i],
        None => "",
    };
    let mut out = Vec::new();
    for d in &idx.dirs_with_manifests {
        let s = d.as_str();
        if !s.starts_with(dir_prefix) {
            continue;
        }
        let has_k = idx.dirs_with_kustomization.contains(d);
        let label = if dotted { format!("./{s}") } else { s.to_string() };
        out.push(CompletionItem {
            label,
            kind: CompletionKind::Folder,
            detail: Some(if has_k {
                "kustomization.yaml".into()
            } else {
                "manifests (Flux generates the kustomization)".into()
            }),
            documentation: None,
            insert_text: None,
            replace: cx.replace.clone(),
            sort: Some(if has_k { "0" } else { "1" }.into()),
        });
    }
    out
}

/// kustomize `resources:` entries: files and folders in the folder typed so far, relative to
/// the kustomization's folder; entries already listed are left out.
fn resource_entries(snap: &Snapshot, idx: &Index, base: RelPath, text: &str, cx: &Context) -> Vec<CompletionItem> {
    let typed = cx.typed.as_str();
    let dir_part = match typed.rfind('/') {
        Some(i) => &typed[..=i],
        None => "",
    };
    let Some(dir) = base.join(dir_part) else { return Vec::new() };
    let listed: FxHashSet<String> = listed_entries(snap, &base, text);
    let mut out = Vec::new();
    for sd in snap.dirs.subdirs_in.get(&dir).into_iter().flatten() {
        if idx.dirs_with_manifests.binary_search(sd).is_err() {
            continue;
        }
        let label = format!("{dir_part}{}", sd.file_name());
        if listed.contains(label.trim_start_matches("./")) {
            continue;
        }
        let is_component =
            snap.kustomization_in(sd).and_then(|k| snap.file(k).kustomization()).and_then(|r| r.str_at(&["kind"]))
                == Some("Component");
        if is_component {
            continue;
        }
        // kustomize builds only folders with a kustomization; others are a step on the way.
        let has_k = idx.dirs_with_kustomization.contains(sd);
        out.push(CompletionItem {
            label: if has_k { label } else { format!("{label}/") },
            kind: CompletionKind::Folder,
            detail: Some(if has_k {
                "folder with kustomization.yaml".into()
            } else {
                "no kustomization.yaml: name a file or folder inside".into()
            }),
            documentation: None,
            insert_text: None,
            replace: cx.replace.clone(),
            sort: Some(if has_k { "0" } else { "3" }.into()),
        });
    }
    for p in snap.dirs.files_in.get(&dir).into_iter().flatten() {
        let name = p.file_name();
        if !crate::files::is_manifest_name(name) || KUSTOMIZE_FILE_NAMES.contains(&name) {
            continue;
        }
        let label = format!("{dir_part}{name}");
        if listed.contains(label.trim_start_matches("./")) {
            continue;
        }
        let kinds: Vec<String> = snap
            .file_idx(p)
            .map(|fi| snap.file(fi).objects.iter().map(|o| o.kind.clone()).collect())
            .unwrap_or_default();
        out.push(CompletionItem {
            label,
            kind: CompletionKind::File,
            detail: Some(if kinds.is_empty() { "file".into() } else { kinds.join(", ") }),
            documentation: None,
            insert_text: None,
            replace: cx.replace.clone(),
            sort: Some("2".into()),
        });
    }
    out
}

/// Entries already in the kustomization's resources/components (normalised, without `./`).
fn listed_entries(snap: &Snapshot, base: &RelPath, _text: &str) -> FxHashSet<String> {
    let mut out = FxHashSet::default();
    if let Some(kfi) = snap.kustomization_in(base) {
        if let Some(root) = snap.file(kfi).kustomization() {
            for key in ["resources", "bases", "crds", "components"] {
                for n in root.get(key).and_then(Node::as_seq).unwrap_or(&[]) {
                    if let Some(s) = n.as_str() {
                        out.insert(s.trim_start_matches("./").trim_end_matches('/').to_string());
                    }
                }
            }
        }
    }
    out
}

/// Folders whose kustomization is `kind: Component`, relative to `base`.
fn component_entries(snap: &Snapshot, base: &RelPath, cx: &Context) -> Vec<CompletionItem> {
    let mut out = Vec::new();
    for f in snap.files.iter().filter(|f| f.is_kustomization) {
        if f.kustomization().and_then(|r| r.str_at(&["kind"])) != Some("Component") {
            continue;
        }
        let d = f.path.parent();
        out.push(CompletionItem {
            label: relative(base, &d),
            kind: CompletionKind::Folder,
            detail: Some(format!("Component {}", d.display())),
            documentation: None,
            insert_text: None,
            replace: cx.replace.clone(),
            sort: None,
        });
    }
    out
}

/// The folder a Flux Kustomization's `spec.components` are relative to: its `spec.path`,
/// as the clusters resolve it, else as written.
fn flux_path_here(a: &Analysis, fi: FileIdx, offset: usize, text: &str, cx: &Context) -> Option<RelPath> {
    let snap = &*a.snapshot;
    let f = snap.file(fi);
    let idx = Index::of(a);
    if let Some(o) = object_at(a, fi, offset) {
        for &(ci, ki) in idx.ks_nodes_of(o) {
            if let Some(d) = a.project.clusters[ci as usize].kss[ki as usize].path.as_ref().and_then(|p| p.dir.clone())
            {
                return Some(d);
            }
        }
        if let Some(p) = f.root(&f.objects[o.obj as usize]).str_at(&["spec", "path"]) {
            return RelPath::new(p.trim().trim_start_matches("./"));
        }
    }
    // Broken document: the `path:` line under `spec:`, from the text.
    let li = &f.line_index;
    let (mut l, mut in_spec) = (0usize, false);
    let start = (0..=cx.line).rev().find(|&l| is_doc_marker(li.line_text(text, l))).unwrap_or(0);
    l = l.max(start);
    while l < li.line_count() {
        let t = li.line_text(text, l);
        if l > cx.line && is_doc_marker(t) {
            break;
        }
        if t.starts_with("spec:") {
            in_spec = true;
        } else if in_spec && !t.starts_with(' ') && !is_blank_or_comment(t) {
            in_spec = false;
        } else if in_spec {
            let s = shape(t);
            if s.key == Some("path") && !s.dash {
                let (_, v) = key_split(&t[s.content_col..])?;
                return RelPath::new(clean_scalar(v).trim_start_matches("./"));
            }
        }
        l += 1;
    }
    None
}

/// `to` written relative to `from` (`../../components/x`).
fn relative(from: &RelPath, to: &RelPath) -> String {
    let a: Vec<&str> = from.as_str().split('/').filter(|s| !s.is_empty()).collect();
    let b: Vec<&str> = to.as_str().split('/').filter(|s| !s.is_empty()).collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<&str> = vec![".."; a.len() - common];
    parts.extend(&b[common..]);
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}
