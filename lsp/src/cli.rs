//! The command line: `check` and its output formats. A thin edge over `analysis`: it loads
//! the workspace, asks for diagnostics, filters by cluster and prints. No rule lives here.

use crate::analysis::Analysis;
use crate::diagnostics::{codes, Diagnostic, Severity};
use crate::files::{LineIndex, Position, RelPath};
use crate::project::Placed;
use crate::snapshot::Snapshot;
use crate::workspace;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Deny {
    Warnings,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

pub struct CheckArgs {
    pub path: PathBuf,
    pub format: Format,
    pub clusters: Vec<String>,
    pub deny: Vec<Deny>,
    pub color: ColorChoice,
}

/// Runs `check`; returns the process exit code (0 clean, 1 errors, 2 cannot run).
pub fn check(args: &CheckArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let loaded = match workspace::load(&args.path) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(err, "error: cannot check {}: {e}", args.path.display());
            return 2;
        }
    };
    let snapshot = Arc::new(Snapshot::from_vfs(&loaded.vfs, loaded.config_text.as_deref()));
    let analysis = Analysis::new(snapshot);
    let known: Vec<&str> = analysis.project.clusters.iter().map(|c| c.name.as_str()).collect();
    for c in &args.clusters {
        if !known.contains(&c.as_str()) {
            let _ = writeln!(
                err,
                "error: no cluster named `{c}`; clusters found: {}",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            );
            return 2;
        }
    }
    let mut diags = analysis.diagnostics();
    if !args.clusters.is_empty() {
        diags = filter_clusters(&analysis, diags, &args.clusters);
    }
    let secret_envs = crate::ide::render::secret_env_files(&analysis);
    let texts = Texts {
        root: &loaded.root,
        snapshot: &analysis.snapshot,
        config_text: loaded.config_text.as_deref(),
        secret_envs: &secret_envs,
    };
    let result = match args.format {
        Format::Human => human(&diags, &texts, &known, args.color, out),
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&json_diagnostics(&diags, &texts)).unwrap()),
        Format::Sarif => writeln!(out, "{}", serde_json::to_string_pretty(&sarif(&diags, &texts)).unwrap()),
        Format::Github => github(&diags, &texts, &args.path, out),
    };
    if let Err(e) = result {
        // A reader that went away (`| head`) leaves the verdict as it is.
        if !reader_gone(&e) {
            let _ = writeln!(err, "error: cannot write output: {e}");
            return 2;
        }
    }
    let errors = diags.iter().any(|d| d.severity == Severity::Error);
    let warnings = diags.iter().any(|d| d.severity == Severity::Warning);
    if errors || (warnings && args.deny.contains(&Deny::Warnings)) {
        1
    } else {
        0
    }
}

/// The output's reader has gone away (`gitops-lsp clusters | head`): like other Unix tools,
/// the command stops writing and exits quietly, without a message. (Rust ignores SIGPIPE, so
/// a write to a closed pipe fails with EPIPE instead of ending the process.)
fn reader_gone(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

/// Exit code of a command whose output failed: 0 when the reader has gone away, else 2 with
/// the error.
fn write_failed(e: &std::io::Error, err: &mut dyn Write) -> i32 {
    if reader_gone(e) {
        return 0;
    }
    let _ = writeln!(err, "error: cannot write output: {e}");
    2
}

/// Keeps what concerns the named clusters: their own diagnostics, and the cluster-less ones
/// in files that those clusters build.
fn filter_clusters(a: &Analysis, diags: Vec<Diagnostic>, names: &[String]) -> Vec<Diagnostic> {
    let snap = &a.snapshot;
    let mut dirs: BTreeSet<RelPath> = BTreeSet::new();
    let mut files: BTreeSet<RelPath> = BTreeSet::new();
    for c in a.project.clusters.iter().filter(|c| names.contains(&c.name)) {
        for pl in &c.placements {
            if let Placed::Object(l) = pl.obj {
                let p = snap.file(l.file).path.clone();
                let mut d = p.parent();
                files.insert(p);
                while dirs.insert(d.clone()) && !d.is_root() {
                    d = d.parent();
                }
            }
        }
    }
    diags
        .into_iter()
        .filter_map(|mut d| {
            if d.clusters.is_empty() {
                let keep = files.contains(&d.file)
                    || (d.file.file_name().starts_with("kustomization") && dirs.contains(&d.file.parent()));
                return keep.then_some(d);
            }
            d.clusters.retain(|c| names.contains(c));
            (!d.clusters.is_empty()).then_some(d)
        })
        .collect()
}

/// Source texts for output: parsed files, `.env` files, `.gitops-lsp.toml`.
struct Texts<'a> {
    root: &'a Path,
    snapshot: &'a Snapshot,
    config_text: Option<&'a str>,
    /// `.env` files a `secretGenerator` reads.
    secret_envs: &'a [RelPath],
}

impl Texts<'_> {
    /// The text shown in source snippets: secret values (see `ide::render::secret_spans`, and
    /// the values of a secretGenerator's `.env` file) blanked with `*`, byte for byte, so
    /// ranges still fit and line breaks stay.
    fn shown(&self, path: &RelPath) -> Arc<str> {
        let text = self.get(path);
        let spans: Vec<std::ops::Range<usize>> = match self.snapshot.file_idx(path) {
            Some(i) => crate::ide::render::secret_spans(self.snapshot.file(i)),
            None if self.secret_envs.contains(path) => {
                let mut v = Vec::new();
                let mut at = 0;
                for line in text.split_inclusive('\n') {
                    if let Some(eq) = line.find('=') {
                        v.push(at + eq + 1..at + line.trim_end().len());
                    }
                    at += line.len();
                }
                v
            }
            None => Vec::new(),
        };
        if spans.is_empty() {
            return text;
        }
        let mut bytes = text.as_bytes().to_vec();
        for r in spans {
            for b in bytes.get_mut(r).unwrap_or_default() {
                if *b != b'\n' && *b != b'\r' {
                    *b = b'*';
                }
            }
        }
        // Spans start and end on character boundaries; every byte inside became ASCII.
        Arc::from(String::from_utf8(bytes).unwrap_or_default())
    }

    /// Only what the workspace read: a file it did not (too large, not UTF-8, a link out of
    /// the repository) is shown empty, never read again here.
    fn get(&self, path: &RelPath) -> Arc<str> {
        if let Some(i) = self.snapshot.file_idx(path) {
            return self.snapshot.file(i).text.clone();
        }
        if let Some(t) = self.snapshot.aux_texts.get(path) {
            return t.clone();
        }
        match self.config_text {
            Some(t) if path.as_str() == crate::config::FILE_NAME => Arc::from(t),
            _ => Arc::from(""),
        }
    }
    fn range(&self, path: &RelPath, r: &std::ops::Range<usize>) -> (Position, Position) {
        match self.snapshot.file_idx(path) {
            Some(i) => {
                let f = self.snapshot.file(i);
                (f.line_index.position(&f.text, r.start), f.line_index.position(&f.text, r.end))
            }
            None => {
                let t = self.get(path);
                let li = LineIndex::new(&t);
                (li.position(&t, r.start), li.position(&t, r.end))
            }
        }
    }
}

fn json_range(s: Position, e: Position) -> Value {
    json!({"start": {"line": s.line, "character": s.character}, "end": {"line": e.line, "character": e.character}})
}

fn json_diagnostics(diags: &[Diagnostic], texts: &Texts) -> Value {
    Value::Array(
        diags
            .iter()
            .map(|d| {
                let (s, e) = texts.range(&d.file, &d.range);
                json!({
                    "file": d.file.as_str(),
                    "range": json_range(s, e),
                    "severity": d.severity.as_str(),
                    "code": d.code,
                    "message": d.message,
                    "clusters": d.clusters,
                    "related": d.related.iter().map(|r| {
                        let (s, e) = texts.range(&r.file, &r.range);
                        json!({"file": r.file.as_str(), "range": json_range(s, e), "message": r.message})
                    }).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

fn human(
    diags: &[Diagnostic],
    texts: &Texts,
    clusters: &[&str],
    color: ColorChoice,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    use codespan_reporting::diagnostic::{Diagnostic as CsDiag, Label, Severity as CsSev};
    use codespan_reporting::files::SimpleFiles;
    use codespan_reporting::term::{self, termcolor};
    let mut files = SimpleFiles::new();
    let mut ids: std::collections::HashMap<RelPath, usize> = std::collections::HashMap::new();
    let mut id_of = |p: &RelPath, files: &mut SimpleFiles<String, Arc<str>>| -> usize {
        *ids.entry(p.clone()).or_insert_with(|| files.add(p.as_str().to_string(), texts.shown(p)))
    };
    let config = term::Config::default();
    let use_color = match color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout())
        }
    };
    let mut buf = if use_color { termcolor::Buffer::ansi() } else { termcolor::Buffer::no_color() };
    for d in diags {
        let fid = id_of(&d.file, &mut files);
        let sev = match d.severity {
            Severity::Error => CsSev::Error,
            Severity::Warning => CsSev::Warning,
            Severity::Information => CsSev::Note,
            Severity::Hint => CsSev::Help,
        };
        let len = files.get(fid).map(|f| f.source().len()).unwrap_or(0);
        let clamp = |r: &std::ops::Range<usize>| r.start.min(len)..r.end.min(len);
        let mut labels = vec![Label::primary(fid, clamp(&d.range))];
        for r in &d.related {
            let rid = id_of(&r.file, &mut files);
            let rlen = files.get(rid).map(|f| f.source().len()).unwrap_or(0);
            labels.push(
                Label::secondary(rid, r.range.start.min(rlen)..r.range.end.min(rlen)).with_message(r.message.clone()),
            );
        }
        // The message already names the clusters.
        let cs = CsDiag::new(sev).with_code(d.code).with_message(&d.message).with_labels(labels);
        term::emit(&mut buf, &config, &files, &cs).map_err(std::io::Error::other)?;
    }
    out.write_all(buf.as_slice())?;
    let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
    let nfiles = diags.iter().map(|d| &d.file).collect::<BTreeSet<_>>().len();
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    writeln!(
        out,
        "{}, {}, {} in {} ({} checked: {})",
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        plural(count(Severity::Information) + count(Severity::Hint), "note"),
        plural(nfiles, "file"),
        plural(clusters.len(), "cluster"),
        if clusters.is_empty() { "none found".to_string() } else { clusters.join(", ") }
    )
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information | Severity::Hint => "note",
    }
}

fn sarif_region(s: Position, e: Position) -> Value {
    json!({"startLine": s.line + 1, "startColumn": s.character + 1, "endLine": e.line + 1, "endColumn": e.character + 1})
}

/// SARIF 2.1.0, as GitHub code scanning accepts it (columns in UTF-16 code units, 1-based).
fn sarif(diags: &[Diagnostic], texts: &Texts) -> Value {
    let rules: Vec<Value> = codes::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.name,
                "name": c.name,
                "shortDescription": {"text": c.summary},
                "fullDescription": {"text": c.summary},
                "helpUri": format!("https://github.com/gitops-lsp/gitops-lsp#{}", c.name.to_ascii_lowercase()),
                "defaultConfiguration": {"level": sarif_level(c.severity)},
            })
        })
        .collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let (s, e) = texts.range(&d.file, &d.range);
            let rule_index = codes::ALL.iter().position(|c| c.name == d.code).unwrap_or(0);
            let related: Vec<Value> = d
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let (s, e) = texts.range(&r.file, &r.range);
                    json!({
                        "id": i,
                        "physicalLocation": {"artifactLocation": {"uri": r.file.as_str(), "uriBaseId": "%SRCROOT%"}, "region": sarif_region(s, e)},
                        "message": {"text": r.message},
                    })
                })
                .collect();
            let mut result = json!({
                "ruleId": d.code,
                "ruleIndex": rule_index,
                "level": sarif_level(d.severity),
                "message": {"text": d.message},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": d.file.as_str(), "uriBaseId": "%SRCROOT%"}, "region": sarif_region(s, e)},
                }],
                "properties": {"clusters": d.clusters},
            });
            if !related.is_empty() {
                result["relatedLocations"] = Value::Array(related);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "gitops-lsp",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/gitops-lsp/gitops-lsp",
                "rules": rules,
            }},
            "columnKind": "utf16CodeUnits",
            "results": results,
        }]
    })
}

/// Escapes the message of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands (`::error file=…::message`). File paths are relative to
/// the current folder (the repository root in a workflow) when PATH lies below it.
fn github(diags: &[Diagnostic], texts: &Texts, path: &Path, out: &mut dyn Write) -> std::io::Result<()> {
    let prefix = std::env::current_dir()
        .ok()
        .and_then(|cwd| cwd.canonicalize().ok())
        .and_then(|cwd| texts.root.strip_prefix(&cwd).ok().map(|p| p.to_string_lossy().replace('\\', "/")))
        .unwrap_or_else(|| path.to_string_lossy().replace('\\', "/"));
    let prefix = prefix.trim_end_matches('/').to_string();
    for d in diags {
        let (s, e) = texts.range(&d.file, &d.range);
        let cmd = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            _ => "notice",
        };
        let file = if prefix.is_empty() || prefix == "." {
            d.file.as_str().to_string()
        } else {
            format!("{prefix}/{}", d.file.as_str())
        };
        let clusters = if d.clusters.is_empty() { String::new() } else { format!(" [{}]", d.clusters.join(", ")) };
        writeln!(
            out,
            "::{cmd} file={},line={},endLine={},col={},endColumn={},title={}::{}",
            escape_property(&file),
            s.line + 1,
            e.line + 1,
            s.character + 1,
            e.character + 1,
            escape_property(&format!("gitops-lsp {}{clusters}", d.code)),
            escape_data(&d.message)
        )?;
    }
    Ok(())
}

/// `gitops-lsp clusters`: how the repository reads per cluster (entry point, Flux
/// Kustomizations with their path, dependencies, variable sources and object counts).
pub fn clusters(path: &Path, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let loaded = match workspace::load(path) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(err, "error: cannot read {}: {e}", path.display());
            return 2;
        }
    };
    let snapshot = Arc::new(Snapshot::from_vfs(&loaded.vfs, loaded.config_text.as_deref()));
    let analysis = Analysis::new(snapshot);
    let snap = &analysis.snapshot;
    let mut w = || -> std::io::Result<()> {
        if analysis.project.clusters.is_empty() {
            writeln!(
                out,
                "no cluster found (no flux-system Kustomization, FluxInstance, clusters/ folder or Flux Kustomization)"
            )?;
        }
        for c in &analysis.project.clusters {
            let how = match &c.origin {
                crate::project::ClusterOrigin::Config => "named in .gitops-lsp.toml".to_string(),
                crate::project::ClusterOrigin::Bootstrap(l) => {
                    format!("bootstrap object in {}", snap.file(l.file).path)
                }
                crate::project::ClusterOrigin::ClustersFolder => "a folder under clusters/".to_string(),
                crate::project::ClusterOrigin::Default => "Flux Kustomizations that nothing includes".to_string(),
            };
            writeln!(
                out,
                "cluster {} — root {} ({how}); {} Flux Kustomizations, {} objects; substitution {}",
                c.name,
                c.root,
                c.kss.len(),
                c.placements.len(),
                if c.strict { "strict" } else { "lenient (Flux < 2.9)" }
            )?;
            for ks in &c.kss {
                let count = c
                    .placements
                    .iter()
                    .filter(|p| p.ks as usize == c.kss.iter().position(|k| k.id == ks.id).unwrap_or(usize::MAX))
                    .count();
                let path = ks.path.as_ref().map(|p| p.raw.clone()).unwrap_or_else(|| "-".into());
                let deps: Vec<String> = ks.depends_on.iter().map(|(d, _)| d.name.clone()).collect();
                let vars = if ks.bindings.enabled {
                    format!("{} variables", ks.bindings.vars.len())
                } else {
                    "no substitution".into()
                };
                writeln!(
                    out,
                    "  {:<40} path {:<55} {:>4} objects  {vars}{}{}",
                    ks.id.to_string(),
                    path,
                    count,
                    if deps.is_empty() { String::new() } else { format!("  dependsOn {}", deps.join(", ")) },
                    ks.external.as_ref().map(|e| format!("  (external: {e})")).unwrap_or_default()
                )?;
            }
        }
        Ok(())
    };
    match w() {
        Ok(()) => 0,
        Err(e) => write_failed(&e, err),
    }
}

/// `gitops-lsp render --cluster NAME FILE`: the file as that cluster's Flux applies it, after
/// substitution (see `ide::render`). The workspace root is `root`, else the nearest folder
/// above FILE holding `.git` or `.gitops-lsp.toml`. Exit 0, or 2 with a message.
pub fn render(
    file: &Path,
    cluster: &str,
    root: Option<&Path>,
    show_secrets: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let fail = |err: &mut dyn Write, msg: String| {
        let _ = writeln!(err, "error: {msg}");
        2
    };
    let abs = match file.canonicalize() {
        Ok(p) if p.is_file() => p,
        Ok(_) => return fail(err, format!("{} is not a file", file.display())),
        Err(e) => return fail(err, format!("cannot read {}: {e}", file.display())),
    };
    let root = match root {
        Some(r) => r.to_path_buf(),
        None => match abs
            .ancestors()
            .skip(1)
            .find(|d| d.join(".git").exists() || d.join(crate::config::FILE_NAME).is_file())
        {
            Some(r) => r.to_path_buf(),
            None => {
                return fail(
                    err,
                    format!(
                        "no repository root above {} (no .git or {}); pass --root DIR",
                        file.display(),
                        crate::config::FILE_NAME
                    ),
                )
            }
        },
    };
    let loaded = match workspace::load(&root) {
        Ok(l) => l,
        Err(e) => return fail(err, format!("cannot read {}: {e}", root.display())),
    };
    let Some(rel) = workspace::relative(&loaded.root, &abs) else {
        return fail(err, format!("{} is not inside the workspace root {}", file.display(), loaded.root.display()));
    };
    let snapshot = Arc::new(Snapshot::from_vfs(&loaded.vfs, loaded.config_text.as_deref()));
    let analysis = Analysis::new(snapshot);
    match crate::ide::render::render(&analysis, &rel, cluster, show_secrets) {
        Ok(text) => match out.write_all(text.as_bytes()) {
            Ok(()) => 0,
            Err(e) => write_failed(&e, err),
        },
        Err(msg) => fail(err, msg),
    }
}

// ---------------------------------------------------------------------------------------
// `ipam` (issue 4).

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum IpamFormat {
    Table,
    Json,
}

/// `gitops-lsp ipam [PATH]`: per cluster, each LB IP pool with its blocks, how many addresses
/// it hands out, which are requested and by whom, and the free ranges. Exit 0, or 2.
pub fn ipam(path: &Path, format: IpamFormat, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let loaded = match workspace::load(path) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(err, "error: cannot read {}: {e}", path.display());
            return 2;
        }
    };
    let snapshot = Arc::new(Snapshot::from_vfs(&loaded.vfs, loaded.config_text.as_deref()));
    let analysis = Analysis::new(snapshot);
    let nets = analysis.network();
    let snap = &analysis.snapshot;
    let place = |s: &crate::network::Src| {
        let f = snap.file(s.file);
        format!("{}:{}", f.path, f.line_index.line_of(s.range.start) + 1)
    };
    let result = match format {
        IpamFormat::Json => {
            let clusters: Vec<Value> = nets
                .iter()
                .map(|n| {
                    let pools: Vec<Value> = crate::network::usage(n)
                        .iter()
                        .map(|u| {
                            json!({
                                "name": u.pool.name,
                                "kind": u.pool.kind.label(),
                                "file": place(&u.pool.at),
                                "disabled": u.pool.disabled,
                                "blocks": u.pool.blocks.iter().map(|b| b.net.map_or_else(|| b.range.to_string(), |c| c.to_string())).collect::<Vec<_>>(),
                                "total": u.total.to_string(),
                                "used": u.used.iter().map(|(a, rs)| json!({"address": a.to_string(), "by": rs.iter().map(|r| json!({"object": r.owner.what, "at": place(&r.src)})).collect::<Vec<_>>()})).collect::<Vec<_>>(),
                                "free": u.free_ranges(16).iter().map(|r| r.to_string()).collect::<Vec<_>>(),
                            })
                        })
                        .collect();
                    let outside: Vec<Value> = n
                        .requests
                        .iter()
                        .filter(|r| !n.pools.iter().any(|p| p.blocks.iter().any(|b| b.range.contains(r.addr))))
                        .map(|r| json!({"address": r.addr.to_string(), "object": r.owner.what, "at": place(&r.src)}))
                        .collect();
                    json!({"cluster": n.cluster, "network": n.network, "pools": pools, "outside_pools": outside})
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&clusters).unwrap_or_default())
        }
        IpamFormat::Table => (|| -> std::io::Result<()> {
            for n in nets.iter() {
                let net = n.network.as_deref().map(|x| format!(" (network {x})")).unwrap_or_default();
                writeln!(out, "cluster {}{net}", n.cluster)?;
                let usage = crate::network::usage(n);
                if usage.is_empty() {
                    writeln!(out, "  no LB IP pool")?;
                }
                for u in &usage {
                    let blocks: Vec<String> = u
                        .pool
                        .blocks
                        .iter()
                        .map(|b| b.net.map_or_else(|| b.range.to_string(), |c| c.to_string()))
                        .collect();
                    let disabled = if u.pool.disabled { ", disabled" } else { "" };
                    writeln!(
                        out,
                        "  {} {} [{}]: {} of {} used{disabled}  ({})",
                        u.pool.kind.label(),
                        u.pool.name,
                        blocks.join(", "),
                        u.used.len(),
                        u.total,
                        place(&u.pool.at)
                    )?;
                    for (a, rs) in &u.used {
                        let who: Vec<String> =
                            rs.iter().map(|r| format!("{} ({})", r.owner.what, place(&r.src))).collect();
                        writeln!(out, "    {:<39} {}", a.to_string(), who.join(", "))?;
                    }
                    let free: Vec<String> = u.free_ranges(8).iter().map(|r| r.to_string()).collect();
                    writeln!(out, "    free: {}", if free.is_empty() { "none".to_string() } else { free.join(", ") })?;
                }
                for r in n
                    .requests
                    .iter()
                    .filter(|r| !n.pools.iter().any(|p| p.blocks.iter().any(|b| b.range.contains(r.addr))))
                {
                    writeln!(out, "  outside every pool: {} {} ({})", r.addr, r.owner.what, place(&r.src))?;
                }
            }
            Ok(())
        })(),
    };
    match result {
        Ok(()) => 0,
        Err(e) => write_failed(&e, err),
    }
}
