//! Editor helpers from the schemas: keys valid at the cursor (with required children),
//! enum and boolean values, apiVersion/kind pairs, and hover on a key.
//!
//! What is being typed is usually not valid YAML yet, so completion reads the enclosing keys
//! from the indentation of the lines above the cursor, and the document's apiVersion/kind
//! from its top-level lines; hover, on a key that exists, uses the parsed tree.

use super::{catalog, crd, Catalog, KindSchema, Lookup, Schema, Schemas, Ty};
use crate::analysis::Analysis;
use crate::files::{RelPath, TextRange};
use crate::ide::{CompletionItem, CompletionKind, Hover};
use crate::yaml::NodeKind;
use std::fmt::Write as _;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Key(String),
    Item,
}

/// The cursor's place in the text.
struct Cursor {
    /// Enclosing keys, outermost first.
    path: Vec<Seg>,
    /// Column where the key at the cursor starts.
    col: usize,
    /// `key: partial`: the key whose value is being typed.
    value_of: Option<String>,
    /// The partial word the items replace.
    word: TextRange,
    /// Keys already present beside the cursor.
    siblings: Vec<String>,
    api_version: Option<String>,
    kind: Option<String>,
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')
}

/// Strips leading `- ` markers: (columns of the dashes, column of the content, content).
fn split_line(line: &str) -> (Vec<usize>, usize, &str) {
    let mut col = line.len() - line.trim_start_matches(' ').len();
    let mut rest = &line[col..];
    let mut dashes = Vec::new();
    while rest == "-" || rest.starts_with("- ") {
        dashes.push(col);
        let after = rest[1..].len() - rest[1..].trim_start_matches(' ').len();
        col += 1 + after;
        rest = &rest[1 + after..];
    }
    (dashes, col, rest)
}

/// `key:` or `key: value` -> key.
fn key_of(content: &str) -> Option<&str> {
    let i = content.find(':')?;
    let k = &content[..i];
    let after = &content[i + 1..];
    (!k.is_empty() && k.chars().all(is_key_char) && (after.is_empty() || after.starts_with(' '))).then_some(k)
}

fn cursor(text: &str, offset: usize) -> Option<Cursor> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    if before.trim_start().starts_with('#') {
        return None;
    }
    let (dashes, col, content) = split_line(before);
    let (value_of, word_start) = match content.find(':') {
        Some(i) => {
            let k = &content[..i];
            if !k.chars().all(is_key_char) {
                return None;
            }
            let v = content[i + 1..].trim_start();
            if v.contains(' ') {
                return None;
            }
            (Some(k.to_string()), offset - v.len())
        }
        None if content.chars().all(is_key_char) => (None, offset - content.len()),
        None => return None,
    };
    let word_end = offset + text[offset..].chars().take_while(|&c| is_key_char(c)).map(char::len_utf8).sum::<usize>();
    // Enclosing keys, innermost first.
    let mut segs: Vec<Seg> = dashes.iter().map(|_| Seg::Item).collect();
    let mut limit = dashes.first().copied().unwrap_or(col);
    let doc_start = text[..line_start].rfind("\n---").map_or(0, |i| i + 1);
    let lines_above: Vec<&str> = text[doc_start..line_start].lines().collect();
    for line in lines_above.iter().rev() {
        if limit == 0 {
            break;
        }
        if line.trim().is_empty() || line.trim_start().starts_with('#') || line.starts_with("---") {
            continue;
        }
        let (ds, kc, c) = split_line(line);
        if kc < limit {
            if let Some(k) = key_of(c) {
                segs.push(Seg::Key(k.to_string()));
                limit = kc;
            } else if ds.is_empty() {
                break;
            }
        }
        for &d in ds.iter().rev() {
            if d < limit {
                segs.push(Seg::Item);
                limit = d;
            }
        }
    }
    segs.reverse();
    // Siblings: lines at the same column in the same block (up and down).
    let mut siblings = Vec::new();
    let doc_end = text[offset..].find("\n---").map_or(text.len(), |i| offset + i);
    let below = text[offset..doc_end].split_once('\n').map_or("", |(_, r)| r);
    for dir in [lines_above.iter().rev().copied().collect::<Vec<_>>(), below.lines().collect()] {
        for line in dir {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let (ds, kc, c) = split_line(line);
            let indent = ds.first().copied().unwrap_or(kc);
            if kc == col {
                if let Some(k) = key_of(c) {
                    siblings.push(k.to_string());
                }
                if !ds.is_empty() {
                    break;
                }
            } else if indent < col {
                break;
            }
        }
    }
    let top = |k: &str| {
        text[doc_start..doc_end].lines().find_map(|l| {
            l.strip_prefix(k).and_then(|r| r.strip_prefix(':')).map(|v| v.trim().trim_matches(['"', '\'']).to_string())
        })
    };
    Some(Cursor {
        path: segs,
        col,
        value_of,
        word: word_start..word_end,
        siblings,
        api_version: top("apiVersion"),
        kind: top("kind"),
    })
}

fn with_schemas<T>(a: &Analysis, f: impl FnOnce(&Schemas) -> T) -> T {
    let repo = crd::repo_kinds(&a.snapshot);
    f(&Schemas { catalog: catalog(), repo: &repo })
}

fn kind_of<'s>(
    schemas: &'s Schemas,
    file: &RelPath,
    api_version: Option<&str>,
    kind: Option<&str>,
) -> Option<&'s KindSchema> {
    if crate::model::KUSTOMIZE_FILE_NAMES.contains(&file.file_name()) {
        return schemas.catalog.kind("kustomize.config.k8s.io", kind.unwrap_or("Kustomization"));
    }
    match schemas.lookup(api_version?, kind?) {
        Lookup::Found(k) | Lookup::OtherVersion(k) => Some(k),
        Lookup::Unknown => None,
    }
}

/// The schema at a path below `root`.
fn at_path<'s>(cat: &'s Catalog, root: &'s Schema, path: &[Seg]) -> Option<&'s Schema> {
    let mut cur = root;
    for seg in path {
        let (_, s) = cat.resolve(cur);
        cur = match seg {
            Seg::Key(k) => s.prop(k).or(s.values.as_deref())?,
            Seg::Item => s.items.as_deref()?,
        };
    }
    Some(cur)
}

fn markdown(cat: &Catalog, key: &str, field: &Schema) -> String {
    let (doc, s) = cat.resolve(field);
    let mut md = format!("**{key}** `{}`", field.type_label(cat));
    if field.required {
        md.push_str(" · required");
    }
    if !doc.is_empty() {
        let _ = write!(md, "\n\n{doc}");
    }
    if !s.enum_values.is_empty() {
        let _ =
            write!(md, "\n\nOne of: {}", s.enum_values.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", "));
    }
    if let Some(d) = field.default.as_ref().or(s.default.as_ref()) {
        let _ = write!(md, "\n\nDefault: `{d}`");
    }
    md
}

/// The text inserted for a key: `key: `, or the key with its required children below.
fn key_snippet(cat: &Catalog, key: &str, field: &Schema, col: usize) -> String {
    let (_, s) = cat.resolve(field);
    let pad = " ".repeat(col + 2);
    match s.ty {
        Ty::Object => {
            let req: Vec<&str> = s.props.iter().filter(|(_, p)| p.required).map(|(k, _)| &**k).collect();
            if req.is_empty() {
                format!("{key}:\n{pad}")
            } else {
                format!("{key}:\n{}", req.iter().map(|k| format!("{pad}{k}: ")).collect::<Vec<_>>().join("\n"))
            }
        }
        Ty::Map => format!("{key}:\n{pad}"),
        Ty::Array => {
            let item = s.items.as_deref().map(|i| cat.resolve(i).1);
            let req: Vec<&str> = item
                .map(|i| i.props.iter().filter(|(_, p)| p.required).map(|(k, _)| &**k).collect())
                .unwrap_or_default();
            match req.split_first() {
                Some((first, rest)) => {
                    let mut t = format!("{key}:\n{pad}- {first}: ");
                    for k in rest {
                        let _ = write!(t, "\n{pad}  {k}: ");
                    }
                    t
                }
                None => format!("{key}:\n{pad}- "),
            }
        }
        _ => format!("{key}: "),
    }
}

/// Keys valid at the cursor, not yet present; at the top of an empty document, apiVersion
/// and kind as pairs.
pub fn complete_keys(a: &Analysis, file: &RelPath, offset: usize) -> Vec<CompletionItem> {
    let Some(fi) = a.snapshot.file_idx(file) else { return Vec::new() };
    let text = &*a.snapshot.file(fi).text;
    let offset = floor_char(text, offset);
    let Some(cx) = cursor(text, offset) else { return Vec::new() };
    if cx.value_of.is_some() {
        return Vec::new();
    }
    with_schemas(a, |schemas| {
        let cat = schemas.catalog;
        let mut items = Vec::new();
        if cx.path.is_empty()
            && cx.kind.is_none()
            && cx.api_version.is_none()
            && !crate::model::KUSTOMIZE_FILE_NAMES.contains(&file.file_name())
        {
            for k in schemas.all() {
                for av in k.api_versions() {
                    items.push(CompletionItem {
                        label: format!("{} ({av})", k.kind),
                        kind: CompletionKind::Keyword,
                        detail: Some(av.clone()),
                        documentation: Some(k.schema.doc.to_string()).filter(|d| !d.is_empty()),
                        insert_text: Some(format!("apiVersion: {av}\nkind: {}\n", k.kind)),
                        replace: cx.word.clone(),
                        sort: Some("0".into()),
                    });
                }
            }
            return items;
        }
        let Some(k) = kind_of(schemas, file, cx.api_version.as_deref(), cx.kind.as_deref()) else { return items };
        let Some(here) = at_path(cat, &k.schema, &cx.path) else { return items };
        let (_, s) = cat.resolve(here);
        for (key, p) in &s.props {
            // `status` is written by controllers, never by hand.
            if cx.siblings.iter().any(|x| x == &**key) || (cx.path.is_empty() && &**key == "status") {
                continue;
            }
            items.push(CompletionItem {
                label: key.to_string(),
                kind: CompletionKind::Field,
                detail: Some(format!("{}{}", p.type_label(cat), if p.required { " · required" } else { "" })),
                documentation: Some(markdown(cat, key, p)),
                insert_text: Some(key_snippet(cat, key, p, cx.col)),
                replace: cx.word.clone(),
                sort: Some(if p.required { "0".into() } else { "1".into() }),
            });
        }
        items
    })
}

/// Values for the key at the cursor (`key: |`): its enum values, `true`/`false` for a
/// boolean, apiVersions for `apiVersion:` and kinds for `kind:` (matching the other one).
pub fn complete_values(a: &Analysis, file: &RelPath, offset: usize) -> Vec<CompletionItem> {
    let Some(fi) = a.snapshot.file_idx(file) else { return Vec::new() };
    let text = &*a.snapshot.file(fi).text;
    let offset = floor_char(text, offset);
    let Some(cx) = cursor(text, offset) else { return Vec::new() };
    let Some(key) = cx.value_of.clone() else { return Vec::new() };
    with_schemas(a, |schemas| {
        let cat = schemas.catalog;
        let item = |label: String, detail: Option<String>, doc: Option<String>| CompletionItem {
            label,
            kind: CompletionKind::Value,
            detail,
            documentation: doc,
            insert_text: None,
            replace: cx.word.clone(),
            sort: None,
        };
        if cx.path.is_empty() && (key == "apiVersion" || key == "kind") {
            let mut out = Vec::new();
            for k in schemas.all() {
                if key == "kind" {
                    let fits = cx.api_version.as_deref().is_none_or(|av| k.api_versions().any(|x| x == av));
                    if fits && !out.iter().any(|i: &CompletionItem| i.label == k.kind) {
                        out.push(item(k.kind.clone(), Some(k.api_versions().collect::<Vec<_>>().join(", ")), None));
                    }
                } else if cx.kind.as_deref().is_none_or(|kd| kd == k.kind) {
                    for av in k.api_versions() {
                        if !out.iter().any(|i: &CompletionItem| i.label == av) {
                            out.push(item(av, Some(k.kind.clone()), None));
                        }
                    }
                }
            }
            return out;
        }
        let Some(k) = kind_of(schemas, file, cx.api_version.as_deref(), cx.kind.as_deref()) else { return Vec::new() };
        let mut path = cx.path.clone();
        path.push(Seg::Key(key.clone()));
        let Some(field) = at_path(cat, &k.schema, &path) else { return Vec::new() };
        let (doc, s) = cat.resolve(field);
        let default = field.default.as_ref().or(s.default.as_ref());
        let mut out: Vec<CompletionItem> = s
            .enum_values
            .iter()
            .map(|e| {
                item(
                    e.to_string(),
                    (default.map(|d| &**d) == Some(&**e)).then(|| "default".to_string()),
                    Some(doc.to_string()).filter(|d| !d.is_empty()),
                )
            })
            .collect();
        if s.ty == Ty::Boolean {
            for b in ["true", "false"] {
                out.push(item(b.into(), (default.map(|d| &**d) == Some(b)).then(|| "default".to_string()), None));
            }
        }
        out
    })
}

/// Hover on a key: its description, type, enum values and default.
pub fn hover_key(a: &Analysis, file: &RelPath, offset: usize) -> Option<Hover> {
    let snap = &*a.snapshot;
    let f = snap.file(snap.file_idx(file)?);
    let doc = f.yaml.documents.iter().find(|d| d.range.start <= offset && offset <= d.range.end && d.root.is_some())?;
    let root = doc.root.as_ref()?;
    // The key under the cursor and the path to it.
    let mut path = Vec::new();
    let mut cur = root;
    let key_range = 'found: loop {
        match &cur.kind {
            NodeKind::Map(entries) => {
                let mut next = None;
                for (k, v) in entries {
                    if k.range.start <= offset && offset <= k.range.end && !k.range.is_empty() {
                        path.push(Seg::Key(k.as_str()?.to_string()));
                        break 'found k.range.clone();
                    }
                    if v.range.start <= offset && offset <= v.range.end && !v.range.is_empty() {
                        next = Some((k, v));
                        break;
                    }
                }
                let (k, v) = next?;
                path.push(Seg::Key(k.as_str()?.to_string()));
                cur = v;
            }
            NodeKind::Seq(items) => {
                cur = items.iter().find(|v| v.range.start <= offset && offset <= v.range.end)?;
                path.push(Seg::Item);
            }
            NodeKind::Scalar(_) => return None,
        }
    };
    let Some(Seg::Key(key)) = path.last().cloned() else { return None };
    with_schemas(a, |schemas| {
        let kind = root.str_at(&["kind"]);
        let k = kind_of(schemas, file, root.str_at(&["apiVersion"]), kind)?;
        let field = at_path(schemas.catalog, &k.schema, &path)?;
        Some(Hover { range: key_range, markdown: markdown(schemas.catalog, &key, field) })
    })
}

fn floor_char(text: &str, offset: usize) -> usize {
    let mut o = offset.min(text.len());
    while !text.is_char_boundary(o) {
        o -= 1;
    }
    o
}
