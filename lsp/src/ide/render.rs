//! A file as one cluster's Flux applies it, after `postBuild` substitution; and the shared
//! question behind it (and behind inlay hints): what one `${...}` becomes for one
//! (cluster, Flux Kustomization).
//!
//! Owns: `render` (text level: the `${...}` ranges of the source are replaced, comments and
//! formatting are kept, documents the cluster does not apply are dropped), `Resolved` and
//! `Vars` (a Kustomization's bindings as Flux feeds them to envsubst: line breaks removed,
//! Secret values hidden unless asked for and written in the repository).
//! Knows nothing of LSP; reads only the `Analysis`.
//!
//! Choices (documented in the rendered header too):
//! - a value from a Secret is `**secret**` unless `show_secrets`; with it, the value when the
//!   Secret is written in the repository (`data` base64-decoded, `stringData`, a
//!   `secretGenerator` literal or env file);
//! - a value we cannot know (an ExternalSecret, SOPS, a source whose keys are unreadable)
//!   leaves the `${...}` as written, and the header says which and why;
//! - an unset variable without a default is left as written (strict substitution: Flux fails
//!   the Kustomization, the header says so) or becomes "" (Flux < 2.9, lenient);
//! - an object applied by two Flux Kustomizations of the cluster is shown as the first applies
//!   it (the header names the other).
//! - only substitution is shown: what kustomize does to the build (patches, namespace, name
//!   prefixes, generated objects) is not, since the point is the user's own text.

use crate::analysis::Analysis;
use crate::files::RelPath;
use crate::model::{FileModel, KustomizeFile};
use crate::project::{Binding, Bindings, Cluster, KsNode, Placed, Value};
use crate::snapshot::FileIdx;
use crate::subst::{self, Expr, Lookup};
use crate::yaml::{Node, NodeKind};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The mask shown for a Secret-derived value.
pub const SECRET_MASK: &str = "**secret**";

/// One place where an object of a file is applied: a cluster (index in `Project::clusters`),
/// the Flux Kustomization (index in `Cluster::kss`) and the placement (in `Cluster::placements`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Applied {
    pub cluster: usize,
    pub ks: u32,
    pub placement: usize,
}

/// For each object of file `fi` (by index), where it is applied, one entry per
/// (cluster, Flux Kustomization), in cluster order.
pub(crate) fn applied(a: &Analysis, fi: FileIdx) -> Vec<Vec<Applied>> {
    let n = a.snapshot.file(fi).objects.len();
    let mut out: Vec<Vec<Applied>> = vec![Vec::new(); n];
    for (ci, c) in a.project.clusters.iter().enumerate() {
        for (pi, pl) in c.placements.iter().enumerate() {
            let Placed::Object(l) = pl.obj else { continue };
            if l.file != fi {
                continue;
            }
            let v = &mut out[l.obj as usize];
            if !v.iter().any(|x| x.cluster == ci && x.ks == pl.ks) {
                v.push(Applied { cluster: ci, ks: pl.ks, placement: pi });
            }
        }
    }
    out
}

/// Whether Flux runs substitution on this object in this place, and if not, why.
pub(crate) fn substitution_off(a: &Analysis, fi: FileIdx, obj: usize, at: Applied) -> Option<&'static str> {
    let c = &a.project.clusters[at.cluster];
    let ks = &c.kss[at.ks as usize];
    let o = &a.snapshot.file(fi).objects[obj];
    if !ks.bindings.enabled {
        Some("its Flux Kustomization has no postBuild variables, so Flux does not substitute")
    } else if o.subst_disabled || c.placements[at.placement].subst_disabled {
        Some("substitution is disabled for it (kustomize.toolkit.fluxcd.io/substitute: disabled)")
    } else {
        None
    }
}

/// What one `${...}` becomes in one (cluster, Flux Kustomization).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// The substituted text.
    Value(String),
    /// The variable is unset or empty and the default is used (the default's text).
    Default(String),
    /// A plain `${VAR}` whose variable is set to "" (Flux substitutes "").
    Empty(String),
    /// A variable used without a default is not set (its name), and what Flux < 2.9 makes
    /// of the text (unset reads as "") when that is known.
    Unset { name: String, lenient: Option<String> },
    /// Depends on a Secret's value: the text when revealed and readable.
    Secret { revealed: Option<String> },
    /// Depends on a value that cannot be read here: why, and whether it comes from a Secret
    /// (made by an ExternalSecret, SOPS…).
    Unknown { why: String, secret: bool },
    /// Flux does not substitute here: why.
    NotSubstituted(&'static str),
    /// Flux rejects the text: the message.
    Invalid(String),
}

/// A Flux Kustomization's variables as Flux hands them to envsubst: every "\n" removed from
/// the values (as kustomize-controller does), Secret values only when revealed.
pub(crate) struct Vars<'a> {
    pub bindings: &'a Bindings,
    /// Known values that contained "\n", without it.
    stripped: FxHashMap<&'a str, String>,
    /// Secret values read from the repository (only when revealing).
    secrets: FxHashMap<&'a str, String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Secret values are unknown.
    Masked,
    /// Secret values read from the repository where possible.
    Revealed,
    /// Secret values assumed to be some non-empty text (to tell "only secrets" apart).
    Assumed,
}

impl<'a> Vars<'a> {
    pub fn new(a: &Analysis, bindings: &'a Bindings, reveal: bool) -> Vars<'a> {
        let mut stripped = FxHashMap::default();
        let mut secrets = FxHashMap::default();
        for (name, b) in &bindings.vars {
            match &b.value {
                Value::Known(v) if v.contains('\n') => {
                    stripped.insert(name.as_str(), v.replace('\n', ""));
                }
                Value::Secret if reveal => {
                    if let Some(v) = secret_value(a, name, b) {
                        secrets.insert(name.as_str(), v.replace('\n', ""));
                    }
                }
                _ => {}
            }
        }
        Vars { bindings, stripped, secrets }
    }

    fn lookup(&self, name: &str, mode: Mode) -> Lookup<'_> {
        match self.bindings.vars.get(name) {
            Some(Binding { value: Value::Known(v), .. }) => {
                Lookup::Set(self.stripped.get(name).map_or(v.as_str(), String::as_str))
            }
            Some(Binding { value: Value::Secret, .. }) => match mode {
                Mode::Masked => Lookup::Unknown,
                Mode::Revealed => self.secrets.get(name).map_or(Lookup::Unknown, |v| Lookup::Set(v)),
                Mode::Assumed => Lookup::Set("\u{1}"),
            },
            Some(_) => Lookup::Unknown,
            None if !self.bindings.opaque.is_empty() => Lookup::Unknown,
            None => Lookup::Unset,
        }
    }

    fn eval(&self, text: &str, mode: Mode) -> subst::Evaluated {
        subst::eval(text, &|n| self.lookup(n, mode))
    }

    /// Why a name's value cannot be known, and whether it comes from a Secret.
    fn unknown_reason(&self, name: &str) -> (String, bool) {
        match self.bindings.vars.get(name) {
            Some(b) => (
                format!("`{name}` comes from {}, whose value is not in the repository", b.from),
                b.from.starts_with("Secret "),
            ),
            None => (
                format!("`{name}` may come from {}, whose keys cannot be read", self.bindings.opaque.join(", ")),
                self.bindings.opaque.iter().all(|o| o.starts_with("Secret ")),
            ),
        }
    }

    /// `text` is the source of `expr` (the `${...}` alone).
    pub fn resolve(&self, expr: &Expr, text: &str, reveal: bool) -> Resolved {
        let ev = self.eval(text, Mode::Masked);
        if let Some(e) = ev.errors.first() {
            return Resolved::Invalid(e.message.clone());
        }
        if let Some((name, _)) = ev.undefined.first() {
            let empty = matches!(self.lookup(name, Mode::Masked), Lookup::Set(""));
            return if empty {
                Resolved::Empty(name.clone())
            } else {
                Resolved::Unset { name: name.clone(), lenient: ev.text }
            };
        }
        if let Some(t) = ev.text {
            let unset_or_empty = matches!(self.lookup(&expr.name, Mode::Masked), Lookup::Unset | Lookup::Set(""));
            return if expr.op.has_default() && unset_or_empty { Resolved::Default(t) } else { Resolved::Value(t) };
        }
        if reveal {
            if let Some(t) = self.eval(text, Mode::Revealed).text {
                return Resolved::Secret { revealed: Some(t) };
            }
        }
        if self.eval(text, Mode::Assumed).text.is_some() {
            return Resolved::Secret { revealed: None };
        }
        let mut names = Vec::new();
        names_of(expr, &mut names);
        let (why, secret) = names
            .iter()
            .find(|n| matches!(self.lookup(n, Mode::Assumed), Lookup::Unknown))
            .map(|n| self.unknown_reason(n))
            .unwrap_or_else(|| ("its value cannot be known here".to_string(), false));
        Resolved::Unknown { why, secret }
    }
}

fn names_of<'e>(e: &'e Expr, out: &mut Vec<&'e str>) {
    out.push(&e.name);
    for n in &e.nested {
        names_of(n, out);
    }
}

/// The value of a Secret-bound variable when the Secret is written in the repository.
fn secret_value(a: &Analysis, name: &str, b: &Binding) -> Option<String> {
    let origin = b.origin.as_ref()?;
    let f = a.snapshot.file(origin.file);
    // A key of a Secret's `data` (base64) or `stringData`.
    for o in f.objects.iter().filter(|o| o.is("", "Secret")) {
        let root = f.root(o);
        for (field, base64) in [("stringData", false), ("data", true)] {
            let Some(entries) = root.get(field).and_then(Node::as_map) else { continue };
            if let Some((_, v)) = entries.iter().find(|(k, _)| k.range == origin.range) {
                let s = v.as_str().unwrap_or("");
                return if base64 {
                    decode_base64(s).and_then(|b| String::from_utf8(b).ok())
                } else {
                    Some(s.to_string())
                };
            }
        }
    }
    // A secretGenerator literal (`KEY=value`) or env file.
    let root = f.kustomization()?;
    let k = KustomizeFile::read(root);
    for g in k.generators.iter().filter(|g| g.secret) {
        for lit in &g.literals {
            if lit.range == origin.range {
                let (_, v) = lit.as_str()?.split_once('=')?;
                return Some(v.trim_matches('"').to_string());
            }
        }
        for e in &g.envs {
            if e.range == origin.range {
                let p = f.path.parent().join(e.as_str()?)?;
                let text = a.snapshot.aux_texts.get(&p)?;
                return text
                    .lines()
                    .filter_map(|l| l.trim().split_once('='))
                    .find(|(k, _)| k.trim() == name)
                    .map(|(_, v)| v.to_string());
            }
        }
    }
    None
}

/// Standard base64 (whitespace ignored); `None` when it is not base64.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            c if c.is_ascii_whitespace() => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Byte ranges of `f`'s text that hold secret values, sorted: the values of a Secret's
/// `data` and `stringData`, SOPS-encrypted values (`ENC[...]`, in any object), the data keys
/// and MAC of a `sops:` block, and the values of `secretGenerator` literals. Nothing quotes
/// text from them: render masks them, hover and inlay hints do not repeat what is written
/// there, `check` blanks them in its source snippets.
pub fn secret_spans(f: &FileModel) -> Vec<std::ops::Range<usize>> {
    fn sops_block(n: &Node, out: &mut Vec<std::ops::Range<usize>>) {
        match &n.kind {
            NodeKind::Map(entries) => {
                for (k, v) in entries {
                    if matches!(k.as_str(), Some("mac" | "enc")) && v.as_scalar().is_some() {
                        out.push(v.range.clone());
                    } else {
                        sops_block(v, out);
                    }
                }
            }
            NodeKind::Seq(items) => items.iter().for_each(|i| sops_block(i, out)),
            NodeKind::Scalar(_) => {}
        }
    }
    let mut out = Vec::new();
    for o in &f.objects {
        let root = f.root(o);
        if o.is("", "Secret") {
            for field in ["data", "stringData"] {
                for (_, v) in root.get(field).and_then(Node::as_map).unwrap_or(&[]) {
                    out.push(v.range.clone());
                }
            }
        }
        if let Some(sops) = root.get("sops") {
            sops_block(sops, &mut out);
        }
        root.for_each_scalar(&mut |n, s, is_key| {
            if !is_key && crate::project::is_sops_encrypted(&s.value) {
                out.push(n.range.clone());
            }
        });
    }
    if let Some(root) = f.kustomization() {
        for g in KustomizeFile::read(root).generators.iter().filter(|g| g.secret) {
            for lit in &g.literals {
                let raw = &f.text[lit.range.clone()];
                if let Some(eq) = raw.find('=') {
                    out.push(lit.range.start + eq + 1..lit.range.end);
                }
            }
        }
    }
    out.retain(|r| !r.is_empty() && r.end <= f.text.len());
    out.sort_by_key(|r| (r.start, r.end));
    out.dedup();
    out
}

/// Whether `range` overlaps one of `spans` (from `secret_spans`).
pub fn in_secret(spans: &[std::ops::Range<usize>], range: &std::ops::Range<usize>) -> bool {
    spans.iter().any(|s| s.start < range.end.max(range.start + 1) && range.start < s.end)
}

/// The `.env` files that a `secretGenerator` reads (their values are secret).
pub fn secret_env_files(a: &Analysis) -> Vec<RelPath> {
    let mut out = Vec::new();
    for f in &a.snapshot.files {
        let Some(root) = f.kustomization() else { continue };
        for g in KustomizeFile::read(root).generators.iter().filter(|g| g.secret) {
            out.extend(g.envs.iter().filter_map(|e| f.path.parent().join(e.as_str()?)));
        }
    }
    out
}

/// "Kind ns/name" (or "Kind name") of an object.
pub(crate) fn describe_object(f: &FileModel, obj: usize) -> String {
    let o = &f.objects[obj];
    match (&o.namespace, &o.name) {
        (Some(ns), Some(n)) => format!("{} {ns}/{n}", o.kind),
        (None, Some(n)) => format!("{} {n}", o.kind),
        _ => o.kind.clone(),
    }
}

/// Where a Kustomization's variables come from, in words.
pub(crate) fn variable_sources(ks: &KsNode) -> String {
    let mut from: Vec<String> = ks
        .sources
        .iter()
        .map(|s| format!("{} {}/{}{}", s.kind, s.namespace, s.name, if s.optional { " (optional)" } else { "" }))
        .collect();
    if ks.bindings.vars.values().any(|b| b.from.starts_with("postBuild.substitute")) {
        from.push("postBuild.substitute".into());
    }
    if from.is_empty() {
        "substituteStrategy: Always (no variables)".into()
    } else {
        from.join(", ")
    }
}

/// The file `file` as cluster `cluster`'s Flux applies it. Err: the file, the cluster or any
/// object of the file applied by that cluster is missing.
pub fn render(a: &Analysis, file: &RelPath, cluster: &str, show_secrets: bool) -> Result<String, String> {
    let snap = &*a.snapshot;
    let Some(ci) = a.project.clusters.iter().position(|c| c.name == cluster) else {
        let names: Vec<&str> = a.project.clusters.iter().map(|c| c.name.as_str()).collect();
        return Err(format!(
            "no cluster named `{cluster}`; clusters found: {}",
            if names.is_empty() { "none".into() } else { names.join(", ") }
        ));
    };
    let Some(fi) = snap.file_idx(file) else {
        return Err(format!("{file} is not a manifest of the workspace (not a .yaml/.yml file, ignored by .gitignore, or not below the root)"));
    };
    let f = snap.file(fi);
    if f.is_kustomization {
        return Err(format!("{file} is a kustomization file: kustomize reads it and Flux applies what it builds; render the manifests it lists instead"));
    }
    if f.objects.is_empty() {
        return Err(format!("{file} holds no Kubernetes object (no document with `kind`)"));
    }
    let applied = applied(a, fi);
    let c: &Cluster = &a.project.clusters[ci];
    let here: Vec<Option<Applied>> = applied.iter().map(|v| v.iter().find(|x| x.cluster == ci).copied()).collect();
    if here.iter().all(Option::is_none) {
        let mut by: Vec<&str> = applied.iter().flatten().map(|x| a.project.clusters[x.cluster].name.as_str()).collect();
        by.sort_unstable();
        by.dedup();
        let who = if by.is_empty() {
            "no cluster applies it".to_string()
        } else {
            format!("it is applied by {}", by.join(", "))
        };
        return Err(format!("cluster `{cluster}` does not apply {file}; {who}"));
    }

    let text = &*f.text;
    let spans = secret_spans(f);
    let line = |off: usize| f.line_index.line_of(off) + 1;
    let mut notes = Notes::default();
    // Document index -> the object in it.
    let obj_of_doc: FxHashMap<usize, usize> = f.objects.iter().enumerate().map(|(i, o)| (o.doc, i)).collect();
    let mut vars_cache: FxHashMap<u32, Vars> = FxHashMap::default();
    let mut kss_used: Vec<u32> = Vec::new();
    let mut edits: BTreeMap<usize, (usize, String)> = BTreeMap::new();
    let mut dropped: Vec<usize> = Vec::new();
    // Scalars already done (aliases repeat the anchor's nodes).
    let mut seen: rustc_hash::FxHashSet<usize> = Default::default();
    let docs = &f.yaml.documents;
    for (di, _) in docs.iter().enumerate() {
        let Some(&oi) = obj_of_doc.get(&di) else { continue };
        let Some(at) = here[oi] else {
            dropped.push(di);
            notes.left_out.push(format!(
                "document {} ({}, source line {})",
                di + 1,
                describe_object(f, oi),
                line(f.root(&f.objects[oi]).range.start)
            ));
            continue;
        };
        if !kss_used.contains(&at.ks) {
            kss_used.push(at.ks);
        }
        let others: Vec<String> = applied[oi]
            .iter()
            .filter(|x| x.cluster == ci && x.ks != at.ks)
            .map(|x| c.kss[x.ks as usize].id.to_string())
            .collect();
        if !others.is_empty() {
            notes.other.push(format!(
                "{} is also applied by Flux Kustomization {}; shown as {} applies it",
                describe_object(f, oi),
                others.join(", "),
                c.kss[at.ks as usize].id
            ));
        }
        let root = f.root(&f.objects[oi]);
        // A Secret's own values (and SOPS data keys, MAC and encrypted values) are masked
        // too, unless asked for.
        let mut masked: Vec<std::ops::Range<usize>> = Vec::new();
        if !show_secrets {
            for v in spans.iter().filter(|v| root.range.start <= v.start && v.end <= root.range.end) {
                if !masked.iter().any(|m| m.start <= v.start && v.end <= m.end) {
                    edits.insert(v.start, (v.end, format!("'{SECRET_MASK}'")));
                    masked.push(v.clone());
                    notes.masked = true;
                }
            }
        }
        if let Some(why) = substitution_off(a, fi, oi, at) {
            if !f.objects[oi].subst_sites.is_empty() {
                notes.other.push(format!(
                    "{} (source line {}) is left as written: {why}",
                    describe_object(f, oi),
                    line(root.range.start)
                ));
            }
            continue;
        }
        let ks = &c.kss[at.ks as usize];
        let vars = vars_cache.entry(at.ks).or_insert_with(|| Vars::new(a, &ks.bindings, show_secrets));
        let mut scalars: Vec<&Node> = Vec::new();
        root.for_each_scalar(&mut |n, _, _| scalars.push(n));
        for n in scalars {
            let raw = &text[n.range.clone()];
            if memchr::memchr(b'$', raw.as_bytes()).is_none()
                || masked.iter().any(|m| m.start <= n.range.start && n.range.end <= m.end)
                || !seen.insert(n.range.start)
            {
                continue;
            }
            let scan = subst::scan(raw);
            if let Some(e) = scan.errors.iter().find(|e| e.fatal) {
                notes.errors.push(format!(
                    "source line {}: {}; Flux fails Flux Kustomization {}",
                    line(n.range.start + e.range.start),
                    e.message,
                    ks.id
                ));
                continue;
            }
            // Edits inside this scalar, relative to it.
            let mut local: Vec<(std::ops::Range<usize>, String)> =
                scan.escapes.iter().map(|r| (r.clone(), "$".to_string())).collect();
            let mut has_mask = false;
            for e in &scan.exprs {
                let src = &raw[e.range.clone()];
                let at_line = line(n.range.start + e.range.start);
                let new = match vars.resolve(e, src, show_secrets) {
                    Resolved::Value(v) | Resolved::Default(v) => Some(v),
                    Resolved::Empty(name) => {
                        notes.warnings.push(format!(
                            "source line {at_line}: `{name}` is set to \"\"; Flux substitutes an empty string"
                        ));
                        Some(String::new())
                    }
                    Resolved::Unset { name, lenient } => {
                        if c.strict {
                            notes.errors.push(format!(
                                "source line {at_line}: `{name}` is not set and `{src}` has no default; Flux fails Flux Kustomization {} (strict substitution); left as written",
                                ks.id
                            ));
                            None
                        } else {
                            notes.warnings.push(format!("source line {at_line}: `{name}` is not set; Flux before 2.9 substitutes an empty string"));
                            lenient
                        }
                    }
                    Resolved::Secret { revealed: Some(v) } => Some(v),
                    Resolved::Secret { revealed: None } if show_secrets => {
                        notes.unknown.push(format!("source line {at_line}: `{src}` comes from a Secret whose value is not readable in the repository; left as written"));
                        None
                    }
                    Resolved::Secret { revealed: None } => {
                        notes.masked = true;
                        has_mask = true;
                        Some(SECRET_MASK.to_string())
                    }
                    Resolved::Unknown { why, .. } => {
                        notes.unknown.push(format!("source line {at_line}: `{src}` is left as written: {why}"));
                        None
                    }
                    Resolved::Invalid(msg) => {
                        notes.errors.push(format!("source line {at_line}: {msg}"));
                        None
                    }
                    Resolved::NotSubstituted(_) => None,
                };
                if let Some(v) = new {
                    local.push((e.range.clone(), v));
                }
            }
            let plain = n.as_scalar().is_some_and(|s| s.style == crate::yaml::ScalarStyle::Plain);
            if has_mask && plain {
                // `**secret**` would start a YAML alias in a plain scalar: quote the scalar.
                local.sort_by_key(|(r, _)| r.start);
                let mut whole = String::new();
                let mut pos = 0;
                for (r, v) in &local {
                    whole.push_str(&raw[pos..r.start]);
                    whole.push_str(v);
                    pos = r.end;
                }
                whole.push_str(&raw[pos..]);
                edits.insert(n.range.start, (n.range.end, format!("'{}'", whole.replace('\'', "''"))));
            } else {
                for (r, v) in local {
                    edits.insert(n.range.start + r.start, (n.range.start + r.end, v));
                }
            }
        }
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# gitops-lsp render: {file} in cluster {cluster}, as Flux applies it after postBuild substitution"
    );
    for &k in &kss_used {
        let ks = &c.kss[k as usize];
        let how = if ks.bindings.enabled {
            format!("variables from {}", variable_sources(ks))
        } else {
            "no substitution (no postBuild variables)".into()
        };
        let _ = writeln!(out, "# applied by Flux Kustomization {}: {how}", ks.id);
    }
    if notes.masked {
        let _ = writeln!(out, "# values from Secrets are shown as {SECRET_MASK} (--show-secrets shows the ones written in the repository)");
    }
    if show_secrets {
        let _ = writeln!(out, "# WARNING: this output shows Secret values");
    }
    for n in &notes.left_out {
        let _ = writeln!(out, "# left out: {n}: cluster {cluster} does not apply it");
    }
    for n in notes.errors.iter().map(|n| ("error", n)).chain(notes.warnings.iter().map(|n| ("warning", n))) {
        let _ = writeln!(out, "# {}: {}", n.0, n.1);
    }
    for n in notes.unknown.iter().chain(&notes.other) {
        let _ = writeln!(out, "# note: {n}");
    }

    // The text: the part before the first document, then each kept document.
    let starts: Vec<usize> = docs.iter().map(|d| d.range.start).collect();
    let first = starts.first().copied().unwrap_or(text.len()).min(text.len());
    let mut pieces: Vec<std::ops::Range<usize>> = Vec::with_capacity(docs.len() + 1);
    pieces.push(0..first);
    for (di, &s) in starts.iter().enumerate() {
        let end = starts.get(di + 1).copied().unwrap_or(text.len()).max(s);
        if !dropped.contains(&di) {
            pieces.push(s..end);
        }
    }
    for piece in pieces {
        let mut pos = piece.start;
        for (&s, (e, new)) in edits.range(piece.start..piece.end) {
            if s < pos || *e > piece.end {
                continue;
            }
            out.push_str(&text[pos..s]);
            out.push_str(new);
            pos = *e;
        }
        out.push_str(&text[pos..piece.end]);
    }
    Ok(out)
}

#[derive(Default)]
struct Notes {
    left_out: Vec<String>,
    errors: Vec<String>,
    warnings: Vec<String>,
    unknown: Vec<String>,
    other: Vec<String>,
    masked: bool,
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_decodes_with_whitespace_and_padding() {
        assert_eq!(super::decode_base64("aGVs\nbG8=").unwrap(), b"hello");
        assert_eq!(super::decode_base64("MTAuMC4wLjE=").unwrap(), b"10.0.0.1");
        assert!(super::decode_base64("not base64!").is_none());
    }
}
